"""The uniform engine: the floor. Properties over random transcripts, plus exact small cases."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clipper.align import AlignRequest, Anchor, align
from clipper.align.uniform import resolve_anchors, spread_words
from clipper.errors import InputError
from clipper.model import MediaInfo, Segment, Transcript, Word
from clipper.text import spoken_length, spoken_tokens

token = st.text(st.sampled_from("abcdefghij'-,."), min_size=1, max_size=8)


def make_transcript(lines: list[str]) -> Transcript:
    return Transcript(tuple(Segment(i, t, tuple(Word(w) for w in spoken_tokens(t))) for i, t in enumerate(lines)))


@st.composite
def transcripts(draw: Any) -> Transcript:
    lines = draw(
        st.lists(
            st.lists(token, min_size=0, max_size=6).map(" ".join) | st.just("[laughter]"),
            min_size=1,
            max_size=30,
        )
    )
    return make_transcript(lines)


@settings(max_examples=200, deadline=None)
@given(transcripts(), st.integers(min_value=1, max_value=30 * 3_600_000))
def test_properties(tr: Transcript, duration: int) -> None:
    al = align(AlignRequest(tr, MediaInfo("m.wav", duration)), "uniform")
    segs = al.segments
    assert al.engine == "uniform"
    assert len(segs) == len(tr.segments)
    assert [s.text for s in segs] == [s.text for s in tr.segments]
    # covers the whole duration, contiguous, monotonic, every segment placed
    assert segs[0].start == 0 and segs[-1].end == duration
    for a, b in zip(segs, segs[1:], strict=False):
        assert a.end == b.start
    for s in segs:
        assert s.start is not None and s.end is not None and 0 <= s.start <= s.end <= duration
        assert s.confidence == 0.0
        # words tile their segment in order
        if s.words:
            assert s.words[0].start == s.start and s.words[-1].end == s.end
            for w1, w2 in zip(s.words, s.words[1:], strict=False):
                assert w1.end == w2.start
    # longer (spoken) segments get at least as much time, up to integer rounding
    w = [spoken_length([x.text for x in s.words]) if s.words else 8 for s in tr.segments]
    total = sum(w)
    for s, n in zip(segs, w, strict=True):
        assert abs((s.end - s.start) - duration * n / total) <= 1  # type: ignore[operator]


@settings(max_examples=100, deadline=None)
@given(transcripts(), st.integers(10_000, 10_000_000), st.data())
def test_anchors_pin_their_segment_and_keep_order(tr: Transcript, duration: int, data: Any) -> None:
    spoken = [s for s in tr.segments if s.words]
    if not spoken:
        return
    seg = data.draw(st.sampled_from(spoken))
    at = data.draw(st.integers(0, duration))
    al = align(AlignRequest(tr, MediaInfo("m.wav", duration), anchors=(Anchor(seg.text, at),)), "uniform")
    segs = al.segments
    pins, warnings = resolve_anchors(tr, (Anchor(seg.text, at),), duration)
    assert len(pins) == 1 and warnings == []
    i, ms = pins[0]
    assert segs[i].start == ms == at
    # the pinned segment holds the anchor's words
    assert segs[i].text == seg.text or seg.text in segs[i].text or segs[i].text in seg.text
    assert segs[0].start <= segs[-1].end == duration
    for a, b in zip(segs, segs[1:], strict=False):
        assert a.start <= a.end <= b.start  # type: ignore[operator]


def test_exact_small_case() -> None:
    # weights: "ab cd" -> 2+1+2+1 = 6, "[laughter]" -> 8 (a note), "abcdefgh" -> 9: total 23
    tr = make_transcript(["ab cd", "[laughter]", "abcdefgh"])
    al = align(AlignRequest(tr, MediaInfo("m.wav", 2300)), "uniform")
    assert [(s.start, s.end) for s in al.segments] == [(0, 600), (600, 1400), (1400, 2300)]
    assert [(w.start, w.end) for w in al.segments[0].words] == [(0, 300), (300, 600)]
    assert al.segments[1].words == ()
    assert al.stats["placed"] == 3 and al.stats["unplaced"] == 0
    assert al.settings["duration_from"] == "media"


def test_note_weight_option() -> None:
    tr = make_transcript(["ab cd", "[laughter]", "abcdefgh"])
    al = align(AlignRequest(tr, MediaInfo("m.wav", 1500), options={"note_weight": 0}), "uniform")
    assert [(s.start, s.end) for s in al.segments] == [(0, 600), (600, 600), (600, 1500)]


def test_anchor_splits_the_spread() -> None:
    tr = make_transcript(["ab cd", "efgh", "ijklmn op"])  # weights 6, 5, 10
    al = align(AlignRequest(tr, MediaInfo("m.wav", 10_000), anchors=(Anchor("ijklmn", 8000),)), "uniform")
    # before the pin: 11 units over 8000 ms; after it: 10 units over 2000 ms
    assert [(s.start, s.end) for s in al.segments] == [(0, 4363), (4363, 8000), (8000, 10000)]
    assert al.stats["anchors_used"] == 1


def test_anchors_out_of_order_or_range_are_dropped() -> None:
    tr = make_transcript(["ab cd", "efgh", "ijklmn op"])
    anchors = (Anchor("ijklmn", 3000), Anchor("efgh", 5000), Anchor("ab cd", 99_000), Anchor("zzz qqq", 10))
    al = align(AlignRequest(tr, MediaInfo("m.wav", 10_000), anchors=anchors), "uniform")
    assert al.stats["anchors_used"] == 1 and al.stats["anchors_dropped"] == 3
    # of the two that contradict each other one holds (either is a largest consistent set)
    assert al.segments[1].start == 5000 or al.segments[2].start == 3000
    assert len(al.stats["warnings"]) == 3 and any("out of order" in w for w in al.stats["warnings"])


def test_duration_from_reference_without_media() -> None:
    tr = make_transcript(["ab cd", "efgh"])
    ref = Transcript((Segment(0, "x", (Word("x", 0, 500),), 0, 500), Segment(1, "y", (Word("y", 900, 1100),), 900, 1100)))
    req = AlignRequest(tr, None, reference=ref)
    al = align(req, "uniform")
    assert al.segments[-1].end == 1100 and al.media is None
    assert al.settings["duration_from"] == "reference"


def test_reference_without_times_is_refused() -> None:
    tr = make_transcript(["ab cd"])
    with pytest.raises(InputError, match="no times"):
        align(AlignRequest(tr, None, reference=make_transcript(["ab cd"])), "uniform")


def test_no_media_no_reference_is_refused() -> None:
    with pytest.raises(InputError, match="no media and no reference"):
        align(AlignRequest(make_transcript(["ab"])), "uniform")


def test_spread_words_is_monotonic_on_tiny_spans() -> None:
    ws = tuple(Word(t) for t in ["a", "bb", "ccc", "dddd"])
    out = spread_words(ws, 100, 102)
    assert [w.text for w in out] == ["a", "bb", "ccc", "dddd"]
    assert out[0].start == 100 and out[-1].end == 102
    assert all(w.start <= w.end for w in out)  # type: ignore[operator]
    assert all(a.end == b.start for a, b in zip(out, out[1:], strict=False))
