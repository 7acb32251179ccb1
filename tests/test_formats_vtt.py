"""WebVTT, YouTube auto-captions included; what webvtt-py writes reads back exactly."""

from __future__ import annotations

import webvtt
from conftest import TESTDATA, shared_path
from hypothesis import given, settings
from hypothesis import strategies as st
from test_formats_srt import _CUE, _assume_not_rolling

from clipper import read as formats
from clipper.read import vtt
from clipper.timecode import format_vtt


def test_youtube_excerpt_each_word_once_with_start_times():
    tr = formats.load(TESTDATA / "formats" / "youtube_excerpt.vtt")
    assert tr.meta["format"] == "vtt"
    assert tr.meta["word_times"] == "starts"
    assert tr.meta["language"] == "en"
    assert [s.text for s in tr.segments] == [
        "so xiaojun in this we hive come to",
        "new york like usa it",
        "is the chinese it year right now",
        "i york just had",
        "that heavy snowfall this",
        "is the coldest winter new york has",
        "the in years the streets",
    ]
    s0 = tr.segments[0]
    assert (s0.start, s0.end) == (1749, 5400)
    assert [(w.text, w.start, w.end) for w in s0.words[:3]] == [
        ("so", 1749, 2817),
        ("xiaojun", 2817, 3638),
        ("in", 3638, 3826),
    ]
    assert s0.words[-1].end == 5400  # the last word ends at most at the cue end
    c = tr.report.counts
    assert c["rolling_duplicates_removed"] == 6 and c["short_cues_removed"] == 7


def test_seed_youtube_track_has_each_word_once():
    yt = formats.load(shared_path("bench", "seed.youtube.vtt"))
    cues = formats.load(shared_path("bench", "seed.cues.srt"))  # the same words, cue-level
    assert [w.text for w in yt.words] == [w.text for w in cues.words]
    starts = [w.start for w in yt.words]
    assert starts == sorted(starts)
    assert all(w.start is not None and w.end is not None and w.start <= w.end for w in yt.words)


def test_plain_vtt_with_header_notes_styles_identifiers_and_voices():
    text = (
        "WEBVTT - a title\nKind: captions\nLanguage: de\n\n"
        "STYLE\n::cue { color: red }\n\n"
        "NOTE this is a comment\nover two lines\n\n"
        "intro\n00:00:01.000 --> 00:00:02.000 align:start line:0\n<v Bob>Guten Tag</v>\n\n"
        "00:02.500 --> 00:04.000\n<c.yellow>zwei</c> Zeilen\nhier &gt; da\n"
    )
    tr = vtt.parse(text)
    assert [(s.text, s.start, s.end) for s in tr.segments] == [
        ("Guten Tag", 1000, 2000),
        ("zwei Zeilen hier > da", 2500, 4000),
    ]
    assert tr.meta["language"] == "de" and tr.meta["word_times"] == "none"
    assert tr.report.counts["note_blocks_skipped"] == 1 and tr.report.counts["style_blocks_skipped"] == 1


def test_detects_vtt_by_header():
    assert formats.detect_format("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhi\n", "x.srt") == "vtt"


@settings(max_examples=60, deadline=None)
@given(st.lists(_CUE, min_size=1, max_size=8))
def test_reads_back_what_webvtt_py_writes(cues):
    _assume_not_rolling(cues)
    doc = webvtt.WebVTT()
    for start, dur, lines in cues:
        doc.captions.append(webvtt.Caption(format_vtt(start), format_vtt(start + dur), lines))
    tr = formats.parse(doc.content, path="x.vtt")
    assert tr.meta["format"] == "vtt"
    assert [(s.text, s.start, s.end) for s in tr.segments] == [(" ".join(ln), s, s + d) for s, d, ln in cues]
