"""Whisper-style JSON."""

from __future__ import annotations

import json

import pytest
from conftest import TESTDATA

from clipper import read as formats
from clipper.errors import ParseError
from clipper.read import whisper

FIXTURE = TESTDATA / "formats" / "whisper.json"


def test_segments_and_words_with_times():
    tr = formats.load(FIXTURE)
    assert tr.meta == {"format": "whisper", "segmentation": "cues", "language": "en", "word_times": "partial"}
    s0, s1 = tr.segments
    assert (s0.text, s0.start, s0.end) == ("Hello there.", 0, 1520)
    assert [(w.text, w.start, w.end, w.confidence) for w in s0.words] == [
        ("Hello", 0, 480, 0.91),
        ("there.", 520, 1520, 0.88),
    ]
    # whisperX leaves numbers untimed; a [Music] note is displayed, not a word
    assert s1.text == "It costs 20 dollars. [Music]"
    assert [(w.text, w.start) for w in s1.words] == [("It", 1900), ("costs", 2050), ("20", None), ("dollars.", 2800)]


def test_full_word_times_and_bare_list():
    data = [
        {
            "start": 1,
            "end": 2.0004,
            "text": "a b",
            "words": [{"word": "a", "start": 1, "end": 1.5}, {"word": "b", "start": 1.5, "end": 2}],
        }
    ]
    tr = whisper.parse(json.dumps(data))
    assert tr.meta["word_times"] == "full"
    assert (tr.segments[0].start, tr.segments[0].end) == (1000, 2000)


def test_segments_without_words():
    tr = whisper.parse(json.dumps({"segments": [{"start": 0.25, "end": 1, "text": " hi"}]}))
    assert tr.meta["word_times"] == "none"
    assert [(w.text, w.start) for w in tr.words] == [("hi", None)]


def test_truncated_json_is_an_error(tmp_path):
    text = FIXTURE.read_text(encoding="utf-8")
    p = tmp_path / "cut.json"
    p.write_text(text[: len(text) // 2], encoding="utf-8")
    assert formats.detect_format(p.read_text()) == "whisper"
    with pytest.raises(ParseError, match="truncated") as e:
        formats.load(p)
    assert str(p) in str(e.value)


def test_json_without_segments_is_an_error():
    with pytest.raises(ParseError, match="segments"):
        formats.parse('{"foo": 1}', path="x.json")
