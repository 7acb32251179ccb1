"""SRT read leniently; what pysrt writes reads back exactly."""

from __future__ import annotations

import io

import pysrt
import pytest
from conftest import TESTDATA, shared_path
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from clipper import read as formats
from clipper.errors import ParseError
from clipper.read import srt


def test_messy_file():
    tr = formats.load(TESTDATA / "formats" / "messy.srt")  # BOM, CRLF
    assert tr.meta == {"format": "srt", "segmentation": "cues", "word_times": "none"}
    assert [(s.text, s.start, s.end) for s in tr.segments] == [
        ("Hello & welcome", 1000, 2500),  # tags and entities
        ("second cue with two lines", 2600, 4050),  # "." and 1-2 ms digits, no blank line after
        ("[applause]", 3900, 5000),  # ":" before ms; overlaps the cue before
        ("Top line", 6000, 7000),  # ASS override tag
        ("42", 8000, 9000),  # a number as text is text
    ]
    assert not tr.segments[2].spoken
    assert all(w.start is None for w in tr.words)
    c = tr.report.counts
    assert c["overlaps"] == 1 and c["bad_numbering"] == 1 and c["cues"] == 5


def test_bad_timing_block_is_skipped_and_reported_not_merged():
    text = "1\n00:00:01,000 --> 00:00:02,000\nfirst\n\n2\n00:00:0x,000 --> 00:00:03,000\nlost text\n\n3\n00:00:04,000 --> 00:00:05,000\nthird\n"
    tr = srt.parse(text)
    assert [s.text for s in tr.segments] == ["first", "third"]
    assert tr.report.counts["bad_timing_skipped"] == 1
    assert tr.report.counts["lines_skipped"] == 1
    assert "lost text" in tr.report.examples["lines_skipped"][0]
    with pytest.raises(ParseError, match="cannot read the cue timing"):
        srt.parse(text, strict=True)


def test_blank_line_inside_a_cue_keeps_the_text():
    tr = srt.parse(
        "1\n00:00:01,000 --> 00:00:02,000\nfirst part\n\nsecond part\n\n2\n00:00:03,000 --> 00:00:04,000\nnext\n"
    )
    assert [s.text for s in tr.segments] == ["first part second part", "next"]
    assert tr.report.counts["blank_lines_in_cues"] == 1


def test_end_before_start_is_fixed_or_refused():
    text = "1\n00:00:05,000 --> 00:00:04,000\nbackwards\n"
    assert (srt.parse(text).segments[0].start, srt.parse(text).segments[0].end) == (5000, 5000)
    with pytest.raises(ParseError):
        srt.parse(text, strict=True)


@pytest.mark.parametrize(
    "tail",
    ["3\n00:00:05,0", "3\n00:00:05,000 --", "3\n"],
)
def test_truncated_file_is_an_error(tmp_path, tail):
    p = tmp_path / "cut.srt"
    p.write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nfirst\n\n2\n00:00:03,000 --> 00:00:04,000\nsecond\n\n" + tail,
        encoding="utf-8",
    )
    with pytest.raises(ParseError, match="truncated") as e:
        formats.load(p)
    assert str(p) in str(e.value)


def test_no_cues_is_an_error(tmp_path):
    p = tmp_path / "empty.srt"
    p.write_text("no cues in here at all\n", encoding="utf-8")
    with pytest.raises(ParseError, match="no transcript"):
        formats.load(p, "srt")


def test_rolling_two_line_cues_are_deduplicated():
    text = (
        "1\n00:00:01,000 --> 00:00:02,000\nfirst line\n\n"
        "2\n00:00:02,000 --> 00:00:03,000\nfirst line\nsecond line\n\n"
        "3\n00:00:03,000 --> 00:00:03,010\nsecond line\n\n"
        "4\n00:00:03,010 --> 00:00:04,000\nsecond line\nthird line\n"
    )
    tr = srt.parse(text)
    assert [s.text for s in tr.segments] == ["first line", "second line", "third line"]
    assert tr.report.counts["rolling_duplicates_removed"] == 2
    assert tr.report.counts["short_cues_removed"] == 1


def test_repeated_single_line_cues_are_kept():
    text = "".join(f"{i + 1}\n00:00:0{i},000 --> 00:00:0{i},900\nPlease bear with me\n\n" for i in range(3))
    assert len(srt.parse(text).segments) == 3


def test_seed_cue_track():
    tr = formats.load(shared_path("bench", "seed.cues.srt"))
    assert tr.meta["format"] == "srt"
    assert len(tr.segments) == tr.report.counts["cues"]
    starts = [s.start for s in tr.segments]
    assert starts == sorted(starts)


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ0123456789',.!?-éß", min_size=1, max_size=8)
_LINE = st.lists(_WORD, min_size=1, max_size=6).map(" ".join)
_CUE = st.tuples(st.integers(0, 36_000_000), st.integers(0, 60_000), st.lists(_LINE, min_size=1, max_size=2))


def _assume_not_rolling(cues: list[tuple[int, int, list[str]]]) -> None:
    # A line carried over from the cue before is a rolling repeat by design; exclude it.
    for prev, cur in zip(cues, cues[1:], strict=False):
        assume(not (len(cur[2]) >= 2 and cur[2][0] == prev[2][-1]))
        assume(not (cur[1] <= 20 and all(ln in prev[2] for ln in cur[2])))


@settings(max_examples=60, deadline=None)
@given(st.lists(_CUE, min_size=1, max_size=8))
def test_reads_back_what_pysrt_writes(cues):
    _assume_not_rolling(cues)
    f = pysrt.SubRipFile()
    for i, (start, dur, lines) in enumerate(cues, 1):
        f.append(
            pysrt.SubRipItem(
                i,
                start=pysrt.SubRipTime(milliseconds=start),
                end=pysrt.SubRipTime(milliseconds=start + dur),
                text="\n".join(lines),
            )
        )
    buf = io.StringIO()
    f.write_into(buf)
    tr = formats.parse(buf.getvalue(), path="x.srt")
    assert tr.meta["format"] == "srt"
    assert [(s.text, s.start, s.end) for s in tr.segments] == [(" ".join(ln), s, s + d) for s, d, ln in cues]
