"""Property tests (hypothesis): layout invariants for random word timings, and round
trips of the SRT and VTT writers through pysrt, webvtt-py and clipper's own readers."""

from __future__ import annotations

import dataclasses
import html
import importlib
import os
from fractions import Fraction
from typing import Any

import pysrt
import pytest
import webvtt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clipper import subtitles
from clipper.model import Alignment, MediaInfo, Segment, Transcript, Word
from clipper.subtitles import Cue, LayoutOptions, compose_srt, compose_vtt

# CLIPPER_PROP_EXAMPLES=2000 for a longer hunt
PROPS = settings(max_examples=int(os.environ.get("CLIPPER_PROP_EXAMPLES", "120")), deadline=None, suppress_health_check=[HealthCheck.too_slow])

_letters = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGH'", min_size=1, max_size=12)
_token = st.one_of(
    _letters,
    st.builds(lambda w, p: w + p, _letters, st.sampled_from([",", ".", "?", "!", ";", ":"])),
    st.sampled_from(["the", "a", "and", "of", "to", "in", "Mr.", "Dr."]),
    st.text(alphabet="xyz", min_size=30, max_size=60),  # sometimes longer than a line
).filter(lambda t: any(ch.isalpha() for ch in t))


@st.composite
def alignments(draw: Any) -> tuple[Alignment, list[str]]:
    """Random segments on a timeline: word durations and gaps from 0 (touching, even
    zero-length words) to seconds; some segments not placed, some with untimed words,
    some non-speech notes. Returns the alignment and the spoken words expected out."""
    n = draw(st.integers(1, 12))
    t = draw(st.integers(0, 5000))
    segs: list[Segment] = []
    expected: list[str] = []
    para = 0
    for i in range(n):
        kind = draw(st.sampled_from(["timed"] * 6 + ["untimed", "unplaced", "note"]))
        para += draw(st.sampled_from([0, 0, 0, 1]))
        t += draw(st.integers(0, 2500))
        if kind == "note":
            d = draw(st.integers(0, 3000))
            segs.append(Segment(i, draw(st.sampled_from(["[laughter]", "[music]", "(a long translator note here)"])),
                                (), t, t + d, paragraph=para))
            t += d
            continue
        toks = draw(st.lists(_token, min_size=1, max_size=30))
        if kind == "unplaced":
            segs.append(Segment(i, " ".join(toks), tuple(Word(x) for x in toks), paragraph=para))
            continue
        expected.extend(toks)
        if kind == "untimed":
            d = draw(st.integers(0, 12000))
            segs.append(Segment(i, " ".join(toks), tuple(Word(x) for x in toks), t, t + d, paragraph=para))
            t += d
            continue
        words = []
        start = t
        for tok in toks:
            t += draw(st.sampled_from([0, 0, 30, 120, 400, 900, 2000]))
            d = draw(st.integers(0, 900))
            words.append(Word(tok, t, t + d))
            t += d
        segs.append(Segment(i, " ".join(toks), tuple(words), start, t, paragraph=para))
    fps = draw(st.sampled_from([None, (24000, 1001), (25, 1), (30, 1), (60000, 1001)]))
    media = MediaInfo("m.mp4", t + 1000, fps_num=30, fps_den=1) if draw(st.booleans()) else None
    al = Alignment(Transcript(tuple(segs)), engine="test", media=media, settings={"fps": fps})
    return al, expected


@st.composite
def options(draw: Any) -> LayoutOptions:
    min_d = draw(st.integers(0, 2000))
    return LayoutOptions(
        max_chars=draw(st.integers(8, 60)),
        max_lines=draw(st.integers(1, 3)),
        max_cps=draw(st.sampled_from([12.0, 17.0, 20.0])),
        min_duration=min_d,
        max_duration=draw(st.integers(max(min_d, 1000), 9000)),
        min_gap_frames=draw(st.integers(0, 4)),
        close_gap_frames=draw(st.sampled_from([0, 12])),
        lead_in=draw(st.sampled_from([0, 200])),
        lead_out=draw(st.sampled_from([0, 300])),
        borrow=draw(st.sampled_from([0, 1000])),
        snap=draw(st.booleans()),
        merge=draw(st.booleans()),
        notes=draw(st.sampled_from(["keep", "drop"])),
    )


@PROPS
@given(alignments(), options())
def test_layout_invariants(case: tuple[Alignment, list[str]], opts: LayoutOptions) -> None:
    al, expected = case
    fps_opt = al.settings["fps"]
    if fps_opt is not None:
        opts = dataclasses.replace(opts, fps=fps_opt)
    cues, stats = subtitles.layout_with_stats(al, opts)
    fps = subtitles.resolve_fps(al, opts)
    for c in cues:
        assert 0 <= c.start < c.end
        assert 1 <= len(c.lines) <= opts.max_lines
        for line in c.lines:
            assert line and line == line.strip()
            assert len(line) <= opts.max_chars or " " not in line  # only a single long word is longer
    for a, b in zip(cues, cues[1:], strict=False):
        assert a.start <= b.start
        # never overlap, and at least min_gap_frames frames between cues (a frame time is
        # rounded to whole ms, so a snapped gap may be up to 1 ms under the exact frames)
        slack = 1 if opts.snap else 0
        assert Fraction(b.start - a.end + slack, 1000) * fps >= opts.min_gap_frames
    # the checker agrees: nothing overlaps, no gap too short, no cue with too many lines,
    # and with snapping every time is on the frame grid
    found = subtitles.check(cues, opts, fps=fps)
    assert not [v for v in found if v.rule in ("overlap", "gap", "lines") + (("frames",) if opts.snap else ())]
    # every spoken word exactly once, in order, whole (never split across lines or cues); only
    # text crowded past the media's end (cues pushed there by the gaps) is left out, and counted
    words = [w.text for c in cues for w in c.words]
    assert words == expected[: len(words)]
    assert stats.words_past_end == len(expected) - len(words)
    if stats.words_past_end:
        assert al.media is not None and all(c.end <= al.media.duration for c in cues)
    shown = [tok for c in cues if c.words for line in c.lines for tok in line.split(" ")]
    assert shown == words
    assert stats.words == len(words) and stats.cues == len(cues)
    assert stats.segments_skipped == sum(1 for s in al.segments if not s.placed)


# --- writer round trips ---------------------------------------------------------------

_line = st.text(
    alphabet=st.characters(
        whitelist_categories=("L", "N", "P", "S", "Zs"), blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
    ),
    min_size=1,
    max_size=50,
).map(lambda s: " ".join(s.split())).filter(lambda s: bool(s) and "-->" not in s)


@st.composite
def cue_lists(draw: Any, line: Any = _line) -> list[Cue]:
    n = draw(st.integers(0, 15))
    t = draw(st.integers(0, 10**7))
    out = []
    for _ in range(n):
        t += draw(st.integers(0, 5000))
        d = draw(st.integers(1, 8000))
        lines = tuple(draw(st.lists(line, min_size=1, max_size=3)))
        out.append(Cue(t, t + d, lines))
        t += d
    return out


@settings(max_examples=150, deadline=None)
@given(cue_lists())
def test_srt_round_trip_through_pysrt(cues: list[Cue]) -> None:
    text = compose_srt(cues)
    assert not text.startswith("\ufeff")
    items = pysrt.SubRipFile.from_string(text, error_handling=pysrt.ERROR_RAISE)
    assert [i.index for i in items] == list(range(1, len(cues) + 1))
    assert [(i.start.ordinal, i.end.ordinal, i.text) for i in items] == [(c.start, c.end, c.text) for c in cues]


@settings(max_examples=150, deadline=None)
@given(cue_lists(), st.booleans())
def test_vtt_round_trip_through_webvtt(cues: list[Cue], karaoke: bool) -> None:
    text = compose_vtt(cues, karaoke=karaoke)
    assert text.startswith("WEBVTT\n")
    caps = webvtt.from_string(text).captions
    got = [(c.start_time.in_milliseconds(), c.end_time.in_milliseconds(), html.unescape(c.text)) for c in caps]
    assert got == [(c.start, c.end, c.text) for c in cues]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alignments())
def test_karaoke_round_trip_keeps_word_starts(case: tuple[Alignment, list[str]]) -> None:
    al, _ = case
    cues = subtitles.layout(al)
    caps = webvtt.from_string(compose_vtt(cues, karaoke=True)).captions
    assert [html.unescape(c.text) for c in caps] == [c.text for c in cues]
    for cap, cue in zip(caps, cues, strict=True):
        stamps = [int(x) for x in _stamps(cap.raw_text)]
        assert stamps == sorted(set(stamps))  # strictly increasing
        assert all(cue.start < s < cue.end for s in stamps)
        starts = {w.start for w in cue.words}
        assert set(stamps) <= starts


def _stamps(raw: str) -> list[int]:
    import re

    out = []
    for h, m, s, ms in re.findall(r"<(\d+):(\d\d):(\d\d)\.(\d{3})>", raw):
        out.append(((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms))
    return out


# --- through clipper's own readers (skipped until they exist) -------------------------

_word_line = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8), min_size=1, max_size=6).map(" ".join)


def _reader(name: str) -> Any:
    importlib.import_module(f"clipper.read.{name}")  # the format exists: a missing one fails
    from clipper import read as formats

    return formats.parse


@st.composite
def distinct_cues(draw: Any) -> list[Cue]:
    # cues at least 100 ms long, every one with a different first word, so no reader
    # mistakes them for YouTube's rolling repeats or 10 ms "finished line" cues
    cues = draw(cue_lists(line=_word_line))
    out = []
    t = 0
    for k, c in enumerate(cues):
        start = t + (c.start % 3000)
        end = start + max(100, c.duration)
        out.append(Cue(start, end, (f"cue{k} {c.lines[0]}", *c.lines[1:])))
        t = end + 1
    return out


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_round_trip_through_clipper_readers(fmt: str) -> None:
    parse = _reader(fmt)

    @settings(max_examples=60, deadline=None)
    @given(distinct_cues())
    def check(cues: list[Cue]) -> None:
        if not cues:
            return
        text = compose_srt(cues) if fmt == "srt" else compose_vtt(cues)
        tr = parse(text, fmt)
        got = [(s.start, s.end, " ".join(s.text.split())) for s in tr.segments]
        assert got == [(c.start, c.end, " ".join(c.lines)) for c in cues]

    check()
