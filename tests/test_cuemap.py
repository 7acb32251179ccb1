"""Cross-language cue mapping on small synthetic cue lists."""

from __future__ import annotations

import json

import numpy as np
from conftest import shared_path

from clipper.align import AlignRequest, choose_engine
from clipper.align.cuemap import map_cues, shared_word_ratio
from clipper.model import Segment, Transcript, Word


def kinds(beads) -> list[tuple[int, int]]:
    return [(len(b.segs), len(b.cues)) for b in beads]


def test_one_to_one() -> None:
    beads = map_cues([10, 20, 5], [30, 60, 15], [1000, 2000, 500])
    assert kinds(beads) == [(1, 1)] * 3
    assert [b.segs for b in beads] == [(0,), (1,), (2,)]


def test_two_segments_in_one_cue_and_one_segment_over_two_cues() -> None:
    seg = [10, 6, 6, 20, 10]
    # cue 1 holds segments 1+2; segment 3 is split over cues 2 and 3
    cue = [10, 12, 10, 10, 10]
    ms = [1000, 1200, 1000, 1000, 1000]
    beads = map_cues(seg, cue, ms)
    assert kinds(beads) == [(1, 1), (2, 1), (1, 2), (1, 1)]
    assert beads[2].cues == (2, 3)


def test_extra_cue_and_missing_segment() -> None:
    seg = [10, 10, 10, 10]
    cue = [10, 10, 10, 10, 10]  # cue 2 has no segment (a line the translation left out)
    ms = [1000, 1000, 1000, 1000, 1000]
    beads = map_cues(seg, cue, ms)
    # a left-out line becomes a 0-1 bead or joins a neighbour (1-2); either way every
    # segment and every cue is used once, in order
    assert [b.segs for b in beads if b.segs] == [(0,), (1,), (2,), (3,)]
    assert sorted(c for b in beads for c in b.cues) == [0, 1, 2, 3, 4]
    beads = map_cues([10, 10, 10, 10, 10], [10, 10, 10, 10], [1000] * 4)
    assert (1, 0) in kinds(beads) or (2, 1) in kinds(beads)
    assert map_cues([], [], []) == []


def _tr(texts: list[str], times: list[tuple[int, int]] | None = None) -> Transcript:
    segs = []
    for i, t in enumerate(texts):
        a, b = times[i] if times else (None, None)
        segs.append(Segment(i, t, tuple(Word(w) for w in t.split()), a, b))
    return Transcript(tuple(segs))


def test_auto_switches_to_activity_for_a_foreign_reference() -> None:
    tr = _tr(["hello everyone", "we came to new york"])
    foreign = _tr(["大家好", "我们来到了纽约"], [(0, 1000), (1200, 3000)])
    same = _tr(["hello everyone", "we came to new york"], [(0, 1000), (1200, 3000)])
    assert shared_word_ratio(tr, foreign) == 0.0
    assert shared_word_ratio(tr, same) == 1.0
    assert choose_engine(AlignRequest(tr, reference=foreign)) == "activity"
    assert choose_engine(AlignRequest(tr, reference=same)) != "activity"


def test_times_come_from_cues_and_split_inside_shared_cues() -> None:
    from clipper.align import align

    tr = _tr(["hello everyone", "I am Xiaojun", "in this episode", "we have come to New York"])
    ref = _tr(["大家好", "我是小军在这期节目", "我们来到了纽约"], [(1000, 2000), (2500, 5000), (5600, 7600)])
    al = align(AlignRequest(tr, reference=ref), "activity")
    s = al.segments
    assert (s[0].start, s[0].end) == (1000, 2000)
    assert s[1].start == 2500 and s[2].end == 5000 and s[1].end < s[2].start
    assert (s[3].start, s[3].end) == (5600, 7600)
    assert al.stats["beads"] == {"1-1": 2, "2-1": 1}
    assert s[1].confidence < s[0].confidence  # an edge inside a cue is a guess without audio


def test_seed_source_srt_meets_the_bar() -> None:
    """seed.source.srt (no audio): median <= 60 ms, p90 <= 350 ms, >= 99% placed (needs ../shared)."""
    from clipper import read as formats
    from clipper.align import align

    ref_path = shared_path("bench", "seed.source.srt")
    tr = formats.load(shared_path("seeds", "000_4a3f5fdea2417d2d.txt"))
    truth = json.loads(shared_path("bench", "seed.truth.json").read_text())
    al = align(AlignRequest(tr, reference=formats.load(ref_path)))
    assert al.engine == "activity"
    errs = []
    placed = scored = 0
    for seg, g in zip(al.segments, truth["segments"], strict=True):
        if not g.get("scored", True):
            continue
        scored += 1
        if seg.placed:
            placed += 1
            errs += [abs(seg.start - g["start"] * 1000), abs(seg.end - g["end"] * 1000)]
    e = np.array(errs)
    assert placed / scored >= 0.99
    assert np.median(e) <= 60 and np.percentile(e, 90) <= 350


def test_bead_margins_separate_clear_from_ambiguous_edges() -> None:
    from clipper.align.cuemap import bead_margins

    # lengths that vary a lot: each edge is where the lengths say, moving it costs much
    seg = [5, 20, 8, 30, 12]
    clear = map_cues(seg, seg, [s * 100 for s in seg])
    m_clear = bead_margins(clear, seg, seg, [s * 100 for s in seg])
    # equal lengths, one cue too many: where the extra cue goes is a guess
    seg2 = [10, 10, 10, 10]
    cue2 = [10, 10, 10, 10, 10]
    amb = map_cues(seg2, cue2, [1000] * 5)
    m_amb = bead_margins(amb, seg2, cue2, [1000] * 5)
    assert len(m_clear) == len(clear) and len(m_amb) == len(amb)
    assert min(m_clear) > 3.0  # every edge costs to move
    assert min(m_amb) < 0.5  # some edge could as well sit elsewhere
