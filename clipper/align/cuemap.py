"""Cross-language cue mapping: time a translation from captions in the original language.

The seed is an English translation; the original captions (e.g. Chinese) share no word
with it, but their cues follow the same speech. Segments are mapped to cues by length, in
the manner of Gale and Church (1993): a monotonic dynamic program over *beads* (1-1: a
segment is a cue; 2-1: two segments share a cue; 1-2: a segment spans two cues; 1-0: a
segment with no cue; 0-1: a cue with no segment), each scored by how well the cue's text
length and duration match the segments' expected spoken length (:func:`units`).
Times are taken from the cues. Inside a cue that holds two segments the edge between them
is placed at the pause the audio shows (when media is given), else by length.

- :func:`shared_word_ratio` tells whether a reference is in the transcript's language
  (``choose_engine`` uses it to switch ``auto`` to this mapping);
- :func:`map_cues` is the pure mapping (lengths in, beads out);
- :func:`run_cuemap` is the engine entry (``activity`` with a reference).

>>> beads = map_cues([10, 10, 5, 5, 10], [10, 10, 10, 10], [1000, 1000, 1000, 1000])
>>> [(b.segs, b.cues) for b in beads]
[((0,), (0,)), ((1,), (1,)), ((2, 3), (2,)), ((4,), (3,))]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..errors import AlignmentError
from ..model import Alignment, Segment
from ..text import shared_word_ratio
from . import AlignRequest
from .activity import units
from .uniform import spread_words

__all__ = ["Bead", "map_cues", "shared_word_ratio", "run_cuemap", "BEADS"]

#: bead kinds (segments, cues) and their prior cost (-log probability, roughly)
BEADS: dict[tuple[int, int], float] = {(1, 1): 0.0, (2, 1): 0.7, (1, 2): 1.6, (3, 1): 3.0, (1, 0): 7.0, (0, 1): 7.0}


@dataclass(frozen=True, slots=True)
class Bead:
    """Segments ``segs`` (indices into the length list) map to cues ``cues``."""

    segs: tuple[int, ...]
    cues: tuple[int, ...]
    cost: float = 0.0


def _seg_units(s: Segment) -> float:
    return max(units([w.text for w in s.words]), 1.0)


def map_cues(
    seg_units: Sequence[float],
    cue_units: Sequence[float],
    cue_ms: Sequence[int],
    *,
    band: int = 80,
    priors: dict[tuple[int, int], float] | None = None,
    sigma_text: float | None = None,
    sigma_time: float | None = None,
) -> list[Bead]:
    """Gale-Church style mapping of segments to cues by text length and duration.

    Args:
        seg_units: expected spoken length of each segment (units).
        cue_units: text length of each cue in its own language (units; any scale).
        cue_ms: duration of each cue.
        band: cues either side of the length diagonal the program looks at.

    Returns beads in order, covering every segment and every cue once.
    """
    pri = dict(BEADS if priors is None else priors)
    L = np.asarray(seg_units, dtype=np.float64)
    C = np.asarray(cue_units, dtype=np.float64)
    D = np.asarray(cue_ms, dtype=np.float64)
    n, m = L.shape[0], C.shape[0]
    if n == 0 or m == 0:
        return [Bead((i,), ()) for i in range(n)] + [Bead((), (j,)) for j in range(m)]
    k_text = max(C.sum(), 1e-9) / max(L.sum(), 1e-9)
    k_time = max(D.sum(), 1e-9) / max(L.sum(), 1e-9)
    s_text = sigma_text if sigma_text is not None else 0.35
    s_time = sigma_time if sigma_time is not None else 0.35
    cl = np.concatenate([[0.0], np.cumsum(L)])
    cc = np.concatenate([[0.0], np.cumsum(C)])
    cd = np.concatenate([[0.0], np.cumsum(D)])
    # diagonal: the cue boundary j whose cumulative text matches segment boundary i
    diag = np.searchsorted(cc / cc[-1], cl / cl[-1]).astype(np.int64)
    lo = np.clip(diag - band, 0, m)
    hi = np.clip(diag + band, 0, m)
    lo = np.minimum.accumulate(lo[::-1])[::-1]  # keep the band monotone
    hi = np.maximum.accumulate(hi)
    lo[0], hi[-1] = 0, m
    inf = math.inf
    cost = [np.full(int(hi[i] - lo[i] + 1), inf) for i in range(n + 1)]
    back = [np.zeros(int(hi[i] - lo[i] + 1), dtype=np.int8) for i in range(n + 1)]
    kinds = list(pri.items())
    kind_code = {k: c for c, (k, _) in enumerate(kinds)}

    def get(i: int, j: np.ndarray) -> np.ndarray:
        if i < 0:
            return np.full(j.shape[0], inf)
        row = cost[i]
        idx = j - lo[i]
        ok = (idx >= 0) & (idx < row.shape[0])
        return np.where(ok, row[np.clip(idx, 0, row.shape[0] - 1)], inf)

    def fit(sl: np.ndarray, sc: np.ndarray, sd: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            a = np.log(np.maximum(sc, 1e-3) / (k_text * np.maximum(sl, 1e-3))) / s_text
            b = np.log(np.maximum(sd, 1.0) / (k_time * np.maximum(sl, 1e-3))) / s_time
        total: np.ndarray = a * a + b * b
        return total

    for i in range(n + 1):
        js = np.arange(lo[i], hi[i] + 1)
        best = np.full(js.shape[0], inf)
        arg = np.full(js.shape[0], -1, dtype=np.int8)
        if i == 0:
            best[js == 0] = 0.0
        for (a, b), prior in kinds:
            if b == 0 or a == 0:
                continue  # handled below (1-0) / in the row scan (0-1)
            if i - a < 0:
                continue
            prev = get(i - a, js - b)
            jj = np.maximum(js - b, 0)
            sl = cl[i] - cl[i - a]
            c = prev + prior + fit(np.full(js.shape[0], sl), cc[js] - cc[jj], cd[js] - cd[jj])
            c = np.where(js - b >= 0, c, inf)
            better = c < best
            best = np.where(better, c, best)
            arg = np.where(better, kind_code[(a, b)], arg)
        if i >= 1 and (1, 0) in pri:
            c = get(i - 1, js) + pri[(1, 0)]
            better = c < best
            best = np.where(better, c, best)
            arg = np.where(better, kind_code[(1, 0)], arg)
        if (0, 1) in pri:
            # a skipped cue: best[j] = min(best[j], best[j-1] + prior); a running minimum
            p01 = pri[(0, 1)]
            steps = np.arange(js.shape[0]) * p01
            val = best - steps
            run = np.minimum.accumulate(val) + steps
            skip = run < best - 1e-9  # float noise of the shift must not count as a skip
            best = np.where(skip, run, best)
            arg = np.where(skip, kind_code[(0, 1)], arg)
        cost[i] = best
        back[i] = arg
    if not math.isfinite(cost[n][-1]):
        raise AlignmentError("cue mapping failed: no monotonic mapping of segments to cues within the band")
    beads: list[Bead] = []
    i, j = n, m
    while i > 0 or j > 0:
        code = int(back[i][j - lo[i]])
        if code < 0:
            raise AlignmentError("internal: cue mapping back-pointer missing")
        a, b = kinds[code][0]
        cum = float(cost[i][j - lo[i]])
        beads.append(Bead(tuple(range(i - a, i)), tuple(range(j - b, j)), cum))
        i, j = i - a, j - b
    beads.reverse()
    # per-bead cost, not cumulative
    prev_cost = 0.0
    out: list[Bead] = []
    for bd in beads:
        out.append(replace(bd, cost=round(bd.cost - prev_cost, 3)))
        prev_cost = bd.cost
    return out


def bead_margins(
    beads: Sequence[Bead],
    seg_units: Sequence[float],
    cue_units: Sequence[float],
    cue_ms: Sequence[int],
    priors: dict[tuple[int, int], float] | None = None,
    sigma: float = 0.35,
) -> list[float]:
    """How sure each bead's edges are: per bead, the least extra cost of moving its start or
    end by one segment or one cue (the neighbouring bead changing with it).

    A 1-1 bead whose neighbour could as well take one more cue, or give up a segment,
    at almost the same cost is a guess (the length evidence cannot tell them apart); a
    bead whose edges cost a lot to move is what the lengths say.
    """
    pri = dict(BEADS if priors is None else priors)
    L = np.asarray(seg_units, dtype=np.float64)
    C = np.asarray(cue_units, dtype=np.float64)
    D = np.asarray(cue_ms, dtype=np.float64)
    cl = np.concatenate([[0.0], np.cumsum(L)])
    cc = np.concatenate([[0.0], np.cumsum(C)])
    cd = np.concatenate([[0.0], np.cumsum(D)])
    k_text = max(C.sum(), 1e-9) / max(L.sum(), 1e-9)
    k_time = max(D.sum(), 1e-9) / max(L.sum(), 1e-9)
    n, m = L.shape[0], C.shape[0]

    def cost(s0: int, s1: int, c0: int, c1: int) -> float:
        kind = (s1 - s0, c1 - c0)
        if kind not in pri or s0 < 0 or c0 < 0 or s1 > n or c1 > m:
            return math.inf
        if kind[0] == 0 or kind[1] == 0:
            return pri[kind]
        sl = max(cl[s1] - cl[s0], 1e-3)
        a = math.log(max(cc[c1] - cc[c0], 1e-3) / (k_text * sl)) / sigma
        b = math.log(max(cd[c1] - cd[c0], 1.0) / (k_time * sl)) / sigma
        return pri[kind] + a * a + b * b

    spans: list[tuple[int, int, int, int]] = []
    si = ci = 0
    for bd in beads:
        s1 = si + len(bd.segs)
        c1 = ci + len(bd.cues)
        spans.append((si, s1, ci, c1))
        si, ci = s1, c1
    edge = [math.inf] * (len(spans) + 1)  # edge[k]: margin of the boundary before bead k
    for k in range(1, len(spans)):
        a0, a1, b0, b1 = spans[k - 1]
        x0, x1, y0, y1 = spans[k]
        here = cost(a0, a1, b0, b1) + cost(x0, x1, y0, y1)
        best = math.inf
        for ds, dc in ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, -1)):
            s_mid, c_mid = a1 + ds, b1 + dc
            if s_mid < a0 or s_mid > x1 or c_mid < b0 or c_mid > y1:
                continue
            best = min(best, cost(a0, s_mid, b0, c_mid) + cost(s_mid, x1, c_mid, y1) - here)
        edge[k] = best
    return [min(edge[k], edge[k + 1]) for k in range(len(spans))]


def _local_rates(beads: Sequence[Bead], su: Sequence[float], cd: Sequence[int], reach: int = 30) -> list[float]:
    """ms a unit around each bead: the median over the 1-1 beads within ``reach`` beads."""
    glob = sum(cd) / max(sum(su), 1e-9)
    r = np.full(len(beads), np.nan)
    for k, bd in enumerate(beads):
        if len(bd.segs) == 1 and len(bd.cues) == 1:
            r[k] = cd[bd.cues[0]] / max(su[bd.segs[0]], 1e-9)
    out: list[float] = []
    for k in range(len(beads)):
        win = r[max(0, k - reach) : k + reach + 1]
        v = win[~np.isnan(win)]
        out.append(float(np.median(v)) if v.shape[0] >= 5 else glob)
    return out


def _split_inside(a: int, b: int, lens: Sequence[float], pause: int) -> list[tuple[int, int]]:
    """Spans for segments sharing the cue [a, b]: speech time split by length, one typical
    pause between neighbours (never more than a third of the cue)."""
    k = len(lens)
    total = b - a
    gap = min(pause, total // (3 * max(k - 1, 1))) if k > 1 else 0
    speech = total - gap * (k - 1)
    tot = sum(lens) or 1.0
    out: list[tuple[int, int]] = []
    t = float(a)
    for n_, ln in enumerate(lens):
        d = speech * ln / tot
        s = int(round(t))
        e = int(round(t + d)) if n_ < k - 1 else b
        out.append((s, e))
        t += d + gap
    return out


def run_cuemap(request: AlignRequest) -> Alignment:
    """Time segments from a reference track in another language (see the module docstring)."""
    ref = request.reference
    assert ref is not None
    tr = request.transcript
    opts = request.options
    cues = [s for s in ref.segments if s.start is not None and s.end is not None]
    if not cues:
        raise AlignmentError("the reference track has no timed cues to map segments to")
    cues.sort(key=lambda s: (s.start or 0, s.end or 0))
    spoken = [k for k, s in enumerate(tr.segments) if s.spoken]
    su = [_seg_units(tr.segments[k]) for k in spoken]
    cu = [max(units([w.text for w in c.words]) if c.words else units(c.text.split()), 1.0) for c in cues]
    cd = [int(c.end or 0) - int(c.start or 0) for c in cues]
    request.report("mapping cues", 0, 2)
    beads = map_cues(su, cu, cd, band=int(opts.get("cue_band", 80)))
    # a second pass with bead priors and spreads learnt from the first
    counts: dict[tuple[int, int], int] = {}
    for bd in beads:
        kk = (len(bd.segs), len(bd.cues))
        counts[kk] = counts.get(kk, 0) + 1
    tot = sum(counts.values())
    pri = {k: round(-math.log((counts.get(k, 0) + 1) / (tot + len(BEADS))) + math.log(counts.get((1, 1), 1) / tot), 3) for k in BEADS}
    pri = {k: max(0.0, v) for k, v in pri.items()}
    request.report("mapping cues", 1, 2)
    beads = map_cues(su, cu, cd, band=int(opts.get("cue_band", 80)), priors=pri)
    request.report("mapping cues", 2, 2)
    margins = bead_margins(beads, su, cu, cd, priors=pri)
    # a cross-check: the same mapping trusting durations less and text lengths more; a
    # segment the two map to different cues has split evidence and is not confident
    split: set[int] = set()
    if bool(opts.get("cross_check", True)):
        alt = map_cues(su, cu, cd, band=int(opts.get("cue_band", 80)), priors=pri, sigma_time=0.5, sigma_text=0.25)
        where = {i: bd.cues for bd in alt for i in bd.segs}
        split = {i for bd in beads for i in bd.segs if where.get(i) != bd.cues}
    local_rate = _local_rates(beads, su, cd)
    # a typical pause between segments: the median gap between consecutive cues
    gaps = [int(cues[j + 1].start or 0) - int(cues[j].end or 0) for j in range(len(cues) - 1)]
    pos = sorted(g for g in gaps if g > 0)
    pause = int(min(max(pos[len(pos) // 2] if pos else 300, 100), 800))
    track = None
    if request.media is not None and bool(opts.get("cue_audio", True)):
        from .. import vad as vadmod

        track = vadmod.frame_activity(request.media, jobs=max(1, request.jobs), media_duration=request.media.duration, progress=request.progress)
    times: dict[int, tuple[int, int, float]] = {}
    unplaced: list[int] = []
    for bd, margin, ms_per_unit in zip(beads, margins, local_rate, strict=True):
        if not bd.segs:
            continue
        if not bd.cues:
            unplaced.extend(spoken[i] for i in bd.segs)
            continue
        a = int(cues[bd.cues[0]].start or 0)
        b = int(cues[bd.cues[-1]].end or 0)
        fitc = math.exp(-max(bd.cost - BEADS.get((len(bd.segs), len(bd.cues)), 0.0), 0.0) / 4.0)
        # a bead is as sure as the cheapest move of its edges (see bead_margins)
        fitc *= 1.0 - math.exp(-max(margin, 0.0) / float(opts.get("cue_margin_scale", 3.0)))
        # and as its cues' duration is to the segments' expected one: a cue 700 ms longer
        # than the words need holds something else too (a piece of a neighbour, a filler),
        # and a segment edge is likely off by about that much
        dev = abs((b - a) - ms_per_unit * sum(su[i] for i in bd.segs))
        fitc *= math.exp(-((dev / float(opts.get("cue_dev_ms", 550.0))) ** 2))
        if len(bd.segs) == 1:
            c = 0.9 * fitc
            times[spoken[bd.segs[0]]] = (a, b, round(min(c, 0.3) if bd.segs[0] in split else c, 3))
            continue
        lens = [su[i] for i in bd.segs]
        spans = _split_inside(a, b, lens, pause)
        inner_conf = 0.35
        if track is not None:
            spans, inner_conf = _split_by_audio(track, a, b, spans)
        for n_, i in enumerate(bd.segs):
            s, e = spans[n_]
            c = min(0.9 * fitc, inner_conf)
            times[spoken[i]] = (s, max(e, s), round(min(c, 0.3) if i in split else c, 3))
    if track is not None:
        times = _snap_edges(track, times)
    out: list[Segment] = []
    for k, seg in enumerate(tr.segments):
        if k in times:
            a, b, c = times[k]
            out.append(seg.with_times(a, b, confidence=c, words=spread_words(seg.words, a, b)))
        else:
            out.append(seg.with_times(None, None, confidence=0.0))
    kinds: dict[str, int] = {}
    for bd in beads:
        key = f"{len(bd.segs)}-{len(bd.cues)}"
        kinds[key] = kinds.get(key, 0) + 1
    threshold = float(opts.get("confident", 0.5))
    stats: dict[str, Any] = {
        "segments": len(out),
        "placed": sum(1 for s in out if s.placed),
        "spoken": len(spoken),
        "unplaced_spoken": len(unplaced),
        "unplaced_ids": unplaced[:50],
        "low_confidence": sum(1 for s in out if s.placed and (s.confidence or 0) < threshold),
        "confident_threshold": threshold,
        "cues": len(cues),
        "beads": kinds,
        "mode": "cuemap" + ("+audio" if track is not None else ""),
        "cross_check_unsure": len(split),
        "warnings": [],
    }
    return Alignment(transcript=replace(tr, segments=tuple(out)), engine="activity", media=request.media, settings={"cuemap": True, "pause_ms": pause}, stats=stats)


def _split_by_audio(track: Any, a: int, b: int, spans: list[tuple[int, int]]) -> tuple[list[tuple[int, int]], float]:
    """Move the edges between segments sharing a cue to the pause nearest each length-based split."""
    from .. import vad as vadmod

    s, e = vadmod.region_frames(track, min_pause_ms=80)
    on = s * track.frame_ms + track.offset
    off = e * track.frame_ms + track.offset
    # pauses strictly inside the cue: (offset of run r, onset of run r+1)
    lo = int(np.searchsorted(off, a))
    hi = int(np.searchsorted(on, b))
    pauses = [(int(off[r]), int(on[r + 1])) for r in range(lo, min(hi, on.shape[0] - 1)) if off[r] > a and on[r + 1] < b]
    if not pauses:
        return spans, 0.3
    out = list(spans)
    used: set[int] = set()
    conf = 0.7
    for k in range(len(spans) - 1):
        want = (spans[k][1] + spans[k + 1][0]) // 2
        best = min((p for p in range(len(pauses)) if p not in used), key=lambda p: abs((pauses[p][0] + pauses[p][1]) // 2 - want), default=None)
        if best is None:
            return spans, 0.3
        used.add(best)
        pa, pb = pauses[best]
        if abs((pa + pb) // 2 - want) > 0.25 * (b - a):
            conf = min(conf, 0.4)
        out[k] = (out[k][0], vadmod.refine_offset(track, pa))
        out[k + 1] = (vadmod.refine_onset(track, pb), out[k + 1][1])
    return out, conf


def _snap_edges(track: Any, times: dict[int, tuple[int, int, float]]) -> dict[int, tuple[int, int, float]]:
    """Cue edges carry the captioner's jitter; move each to the speech edge within 200 ms."""
    from .. import vad as vadmod

    out: dict[int, tuple[int, int, float]] = {}
    for k, (a, b, c) in times.items():
        a2 = vadmod.nearest_onset(track, a, within=200)
        b2 = vadmod.nearest_offset(track, b, within=200)
        a2 = a if a2 is None else a2
        b2 = b if b2 is None else b2
        if b2 <= a2:
            a2, b2 = a, b
        out[k] = (a2, b2, c)
    return out
