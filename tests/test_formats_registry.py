"""The registry contract and format detection."""

from __future__ import annotations

import pytest
from conftest import TESTDATA

from clipper import read as formats
from clipper.errors import FormatError


def test_every_module_meets_the_contract():
    assert set(formats.FORMATS) == {"longcut", "plain", "srt", "vtt", "whisper"}
    for name, mod in formats.FORMATS.items():
        assert mod.NAME == name
        assert isinstance(mod.EXTENSIONS, tuple)
        assert callable(mod.detect) and callable(mod.parse)
        assert 0.0 <= mod.detect("") <= 1.0


@pytest.mark.parametrize(
    "fixture, fmt",
    [
        ("longcut_excerpt.txt", "longcut"),
        ("youtube_excerpt.vtt", "vtt"),
        ("messy.srt", "srt"),
        ("whisper.json", "whisper"),
        ("prose.txt", "plain"),
    ],
)
def test_detects_the_fixtures(fixture, fmt):
    from clipper.io import read_text

    path = TESTDATA / "formats" / fixture
    assert formats.detect_format(read_text(path)) == fmt
    tr = formats.load(path)
    assert tr.meta["format"] == fmt
    assert [s.id for s in tr.segments] == list(range(len(tr.segments)))
    assert tr.meta["segmentation"] in ("lines", "sentences", "cues")
    assert tr.meta["word_times"] in ("full", "starts", "partial", "none")


def test_extension_breaks_a_tie_and_ambiguity_names_candidates():
    body = "00:00:01.000 --> 00:00:02.000\nhello\n"  # no WEBVTT header, no numbers, dots
    assert formats.detect_format(body, "a.vtt") == "vtt"
    assert formats.detect_format(body, "a.srt") == "srt"
    with pytest.raises(FormatError) as e:
        formats.detect_format(body, "a.txt")
    assert set(e.value.candidates) == {"srt", "vtt"}


def test_unknown_format_name():
    with pytest.raises(FormatError, match="unknown format"):
        formats.parse("hi", "docx")


def test_forced_format_wins():
    tr = formats.parse("1\n00:00:01,000 --> 00:00:02,000\nhi\n", "plain")
    assert tr.meta["format"] == "plain" and len(tr.segments) == 3


def test_doctests_of_the_readers():
    import doctest

    import clipper.read.clean
    import clipper.read.hints

    mods = [formats, *formats.FORMATS.values(), clipper.read.clean, clipper.read.hints]
    for mod in mods:
        result = doctest.testmod(mod)
        assert result.failed == 0, mod.__name__
