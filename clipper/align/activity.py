"""The ``activity`` engine: any language, by when speech happens and how long each segment is.

No acoustic model can match an English translation to Chinese speech, so this engine
places segments from speech activity alone (:mod:`clipper.vad`) and the expected spoken
length of each segment (a syllable estimate, :func:`units`):

1. Speech runs are cut at pauses; every pause of 30 ms or more is a candidate boundary, its
   strength growing with its length (80 ms and more are the strong ones).
2. A banded monotonic dynamic program assigns consecutive runs to consecutive segments.
   A segment's cost is the squared log ratio of its duration to the expected one (over a
   spread that is wider for short segments, :func:`seg_sigma`), minus a bonus for pauses
   at its edges, plus a cost for a long pause inside it; runs may be skipped between segments (noise, coughs,
   untranscribed speech; cheap when the run is stationary noise or a note such as
   ``[laughter]`` stands there), and a segment may be left unplaced at a high price.
   Segments never reorder.
3. The speaking rate adapts locally: a second pass uses the rate seen around each segment
   in the first pass, and a band centred on the first pass. Only run counts whose
   duration can fit a segment are scored, so an 8-hour file takes seconds.
4. Edges move to the 1 ms envelope (:func:`clipper.vad.refine_onset`).
5. Confidence is honest: a boundary is as sure as the cost of moving it to the next
   candidate (the margin), the pause it sits on, and the length fit of its segments; and a
   second program that trusts pauses more and lengths less (:func:`disagreement`) must
   agree, or the segment is not confident (a stretch shifted by a word fits well locally).
   It is then scaled below 0.5 (:data:`AUDIO_CONFIDENCE_SCALE`): nothing here hears the
   words, so it ranks segments but never promises 500 ms.

Non-speech segments (only notes, e.g. ``[laughter]``) are not in the program: afterwards each
takes a skipped noise run between its neighbours, or stays unplaced; they never move a
neighbour. Anchors (``request.anchors``) pin a segment's start near a time (:func:`repin`:
the anchored program keeps the unanchored one's local rates and path, so only the
neighbourhood of an anchor moves, as a whole); an anchor the audio contradicts is reported
in ``stats["warnings"]`` and not used.

With a reference track in another language (``request.reference``), segments are mapped to
its cues by length (:mod:`clipper.align.cuemap`) and the audio, when there is some, only
places edges inside cues that hold several segments.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .. import vad as vadmod
from ..errors import AlignmentError
from ..model import Alignment, Segment
from . import AlignRequest
from .uniform import spread_words

__all__ = ["run", "units", "place", "Regions", "regions_from_track", "Placement"]

_VOWELS = re.compile(r"[aeiouy]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_DIGIT_SYL = 1.3  # a digit read out: "twenty-four" ~ 1.3 syllables a digit


#: units a word adds (word boundaries take time), a pause at inner punctuation, a segment;
#: fitted on the synthetic benchmark (sd of log(duration/expected) 0.13, against 0.24 for
#: syllables alone and 0.22 for characters) and kept round
#: the activity engine's confidences (0-1 from margins, edges and fit) are scaled by this,
#: so they rank segments but never reach 0.5: see where it is applied
AUDIO_CONFIDENCE_SCALE = 0.45
WORD_UNITS = 0.6
PUNCT_UNITS = 2.0
SEGMENT_UNITS = 1.2
_INNER_PUNCT = re.compile(r"(?:[,;:\u2014\u2013]|\.\.\.|\u2026|[.?!])[\"'\u201d\u2019)\]]*$")


@functools.lru_cache(maxsize=65536)
def syllables(token: str) -> float:
    """Syllable estimate of one token (see :func:`units`); cached: words repeat a lot."""
    t = token.strip()
    cjk = len(_CJK.findall(t))
    if cjk:
        return float(cjk)
    core = re.sub(r"[^\w']", "", t)
    if not core:
        return 0.0
    digits = sum(ch.isdigit() for ch in core)
    letters = re.sub(r"[^A-Za-z]", "", core)
    other = sum(ch.isalpha() and not ("a" <= ch.lower() <= "z") for ch in core)
    syl = digits * _DIGIT_SYL + other / 3.0
    if letters:
        if letters.isupper() and 1 < len(letters) <= 5:
            syl += sum(3 if ch == "W" else 1 for ch in letters)
        else:
            low = letters.lower()
            groups = len(_VOWELS.findall(low))
            if low.endswith("e") and not low.endswith(("le", "ee", "ye")) and groups > 1:
                groups -= 1
            syl += max(1, groups)
    return syl


def units(tokens: Sequence[str]) -> float:
    """Expected spoken length of a segment's tokens, in syllable-like units.

    Syllables (English-like words: vowel groups, a final silent ``e`` off; all-caps
    acronyms a syllable a letter, ``W`` three; digits ~1.3 each; CJK characters one each;
    other scripts a third of their letters), plus :data:`WORD_UNITS` a word,
    :data:`PUNCT_UNITS` for each pause-making punctuation inside the segment (a comma, a
    dash, a sentence end) and :data:`SEGMENT_UNITS` once.

    >>> units(["Hello", "everyone"])
    7.4
    >>> units(["Right,", "in", "many", "films"])
    10.6
    """
    toks = [t for t in tokens if t.strip()]
    if not toks:
        return 0.0
    n = SEGMENT_UNITS
    for k, tok in enumerate(toks):
        syl = syllables(tok)
        if syl <= 0:
            continue
        n += syl + WORD_UNITS
        if k < len(toks) - 1 and _INNER_PUNCT.search(tok):
            n += PUNCT_UNITS
    return round(n, 3)


# --------------------------------------------------------------------------- regions


@dataclass(frozen=True, slots=True, eq=False)
class Regions:
    """Speech runs between candidate pauses, as numpy arrays (ms), with per-run facts.

    ``gap[k]`` is the pause before run ``k`` (``gap[0]`` from the start, ``gap[m]`` after
    the last run), ``strength[k]`` in [0, 1] how good a boundary that pause is, ``noise[r]``
    in [0, 1] how much run ``r`` looks like stationary noise rather than speech.
    """

    on: np.ndarray
    off: np.ndarray
    gap: np.ndarray
    strength: np.ndarray
    noise: np.ndarray

    @property
    def m(self) -> int:
        return int(self.on.shape[0])


def pause_strength(gap_ms: np.ndarray) -> np.ndarray:
    """How good a boundary a pause is: 30 ms ~0.1, 80 ms ~0.4, 250 ms ~0.8, >= 600 ms 1."""
    g = np.maximum(gap_ms.astype(np.float64), 1.0)
    return np.clip(np.log(g / 20.0) / math.log(600.0 / 20.0), 0.0, 1.0)


def regions_from_track(track: vadmod.ActivityTrack, min_pause_ms: int = 30, min_speech_ms: int = 20) -> Regions:
    """Candidate runs of a track: gaps of ``min_pause_ms`` or more split runs."""
    s, e = vadmod.region_frames(track, min_pause_ms=min_pause_ms, min_speech_ms=min_speech_ms)
    fm = track.frame_ms
    on = s.astype(np.int64) * fm + track.offset
    off = e.astype(np.int64) * fm + track.offset
    end = track.offset + track.duration
    gap = np.empty(on.shape[0] + 1, dtype=np.int64)
    if on.shape[0]:
        gap[0] = on[0] - track.offset
        gap[1:-1] = on[1:] - off[:-1]
        gap[-1] = end - off[-1]
    else:
        gap[0] = track.duration
    strength = pause_strength(gap)
    strength[0] = strength[-1] = 1.0
    # stationary noise (a hum, a noise burst) has a flat level; speech rises and falls
    # with its syllables several times a second
    noise = np.zeros(on.shape[0])
    if on.shape[0]:
        en = track.energy.astype(np.float64)
        c1 = np.concatenate([[0.0], np.cumsum(en)])
        c2 = np.concatenate([[0.0], np.cumsum(en * en)])
        n = np.maximum(e - s, 1)
        mean = (c1[e] - c1[s]) / n
        sd = np.sqrt(np.maximum((c2[e] - c2[s]) / n - mean * mean, 0.0))
        noise = np.clip((4.5 - sd) / 2.5, 0.0, 1.0)
        noise[n < 15] *= 0.5  # too short to tell
    return Regions(on, off, gap, strength, noise)


# --------------------------------------------------------------------------- dynamic program


#: this engine pins ``request.anchors`` itself, where the audio agrees (:func:`_resolve_pins`)
PINS_ANCHORS = True

#: the weights ``--option`` may set
WEIGHT_KEYS = ("sigma", "edge", "skip", "miss", "band", "kmax", "band2", "inner", "inner_ms", "inner_rel_ms", "fit_span")
#: the ``--option`` settings this engine reads and their types (with a reference in another
#: language, the cue mapper's too); the weights' types are their fields' (after Weights below)
OPTIONS: dict[str, tuple[type, ...]] = {
    "min_pause_ms": (int,), "anchor_tolerance": (int,), "cross_check": (bool,), "confident": (float,),
    "vad_mode": (int,), "cuemap": (bool,), "cue_band": (int,), "cue_audio": (bool,), "cue_margin_scale": (float,),
    "cue_dev_ms": (float,),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Weights:
    sigma: float = 0.2  # spread of log(duration / expected)
    edge: float = 1.6  # bonus for a boundary on a full-strength pause (each edge)
    skip: float = 2.5  # cost of leaving a second of speech-like activity to no segment
    skip_base: float = 0.4  # cost of skipping any run
    miss: float = 14.0  # cost of a segment left unplaced
    gap_cap: int = 300  # ms of an inner pause counted as speaking time
    kmax: int = 40  # most runs one segment may take
    band: int = 80  # runs either side of the predicted path
    pin: float = 6.0  # cost a second between an anchored segment's start and the anchor
    band2: int = 40  # runs either side of the first pass's path in the second pass
    fit_span: float = 1.6  # |log(duration / expected)| beyond which a placement is not scored
    # a caption line rarely holds a silence much longer than the pauses at its own edges:
    # the longest pause inside a segment costs up to `inner` when it is 4x or more the
    # weaker edge pause (that pause counted as at least inner_rel_ms, at most inner_ms)
    inner: float = 4.0
    inner_ms: int = 500
    inner_rel_ms: int = 150


OPTIONS.update({k: (type(Weights.__dataclass_fields__[k].default),) for k in WEIGHT_KEYS})


@dataclass(frozen=True, slots=True)
class Placement:
    """Result of the program: for each spoken segment, the runs [p, q) or (-1, -1) if unplaced."""

    p: np.ndarray
    q: np.ndarray
    cost: float
    touched_band: bool


class _RangeMax:
    """Maximum of ``v[l:r]`` for many (l, r) at once (a sparse table; 0 for empty ranges)."""

    def __init__(self, v: np.ndarray) -> None:
        levels = [np.asarray(v, dtype=np.float64)]
        k = 1
        while 2 * k <= levels[0].shape[0]:
            prev = levels[-1]
            levels.append(np.maximum(prev[:-k], prev[k:]))
            k *= 2
        n = levels[0].shape[0]
        self.table = np.zeros((len(levels), n + 1))
        for j, lv in enumerate(levels):
            self.table[j, : lv.shape[0]] = lv

    def query(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        ln = hi - lo
        ok = ln > 0
        lev = np.where(ok, np.floor(np.log2(np.maximum(ln, 1))), 0).astype(np.int64)
        a = np.clip(lo, 0, self.table.shape[1] - 1)
        b = np.clip(hi - (1 << lev), 0, self.table.shape[1] - 1)
        return np.where(ok, np.maximum(self.table[lev, a], self.table[lev, b]), 0.0)


def seg_sigma(unit: np.ndarray, w: Weights) -> np.ndarray:
    """Spread of log(duration / expected) per segment: short segments vary more.

    The variance of a segment's log duration falls with its length like ``a + b / units``
    (fitted on the synthetic benchmark: sd 0.18 under 5 units, 0.10 over 20); ``w.sigma``
    is the spread at 12 units (a typical caption line) and the others scale from it.
    """
    u = np.maximum(np.asarray(unit, dtype=np.float64), 1.0)
    return w.sigma * np.sqrt((0.006 + 0.1 / u) / (0.006 + 0.1 / 12.0))


def _cum(reg: Regions, w: Weights) -> tuple[np.ndarray, np.ndarray]:
    sp = (reg.off - reg.on).astype(np.float64)
    cs = np.concatenate([[0.0], np.cumsum(sp)])
    gc = np.minimum(reg.gap[:-1], w.gap_cap).astype(np.float64)  # pause before run r, capped
    gc[0] = 0.0
    g = np.concatenate([[0.0], np.cumsum(gc)])  # g[k] = sum of capped pauses before runs < k
    return cs, g


def place(
    reg: Regions,
    expected: np.ndarray,
    *,
    centre: np.ndarray | None = None,
    note_after: np.ndarray | None = None,
    pins: dict[int, tuple[int, int]] | None = None,
    weights: Weights = Weights(),
    sigma: np.ndarray | None = None,
) -> Placement:
    """Assign runs to segments by a banded monotonic dynamic program.

    Args:
        reg: candidate runs.
        expected: expected duration (ms) of each spoken segment, in order.
        centre: predicted end boundary (run index) of each segment; the band is around it.
        note_after: bool per segment, a non-speech note follows it (skipping is cheap there).
        pins: segment index -> (lo, hi) ms the segment's start must fall in.
        sigma: spread of log(duration / expected) per segment (default ``weights.sigma``).
    """
    n = expected.shape[0]
    m = reg.m
    w = weights
    sig = np.full(n, w.sigma) if sigma is None else sigma
    if n == 0 or m == 0:
        return Placement(np.full(n, -1), np.full(n, -1), 0.0, False)
    cs, g = _cum(reg, w)
    sp = (reg.off - reg.on).astype(np.float64)
    skip_r = w.skip_base + w.skip * (sp / 1000.0) * (1.0 - 0.85 * reg.noise)
    csk = np.concatenate([[0.0], np.cumsum(skip_r)])  # csk[k] = cost of skipping runs < k
    st = reg.strength
    if centre is None:
        cum_e = np.cumsum(expected)
        tgt = cum_e / cum_e[-1] * (cs[-1] + g[-1])
        centre = np.searchsorted(cs + g, tgt).astype(np.int64)
    if note_after is None:
        note_after = np.zeros(n, dtype=bool)
    band = w.band
    inf = np.inf
    # per segment: q range [lo, hi], E values and back-pointers
    los = np.clip(centre - band, 1, m).astype(np.int64)
    his = np.clip(centre + band, 1, m).astype(np.int64)
    # keep the band monotonic so each row can reach the next
    los = np.maximum.accumulate(los)
    his = np.maximum.accumulate(his)
    back_p: list[np.ndarray] = []
    back_f: list[np.ndarray] = []
    rows: list[np.ndarray] = []
    prev_lo = 0
    prev_e = np.array([0.0])  # "segment -1" ends at boundary 0
    touched = False
    # only pairs (p, q) whose duration is within a factor exp(fit_span) of the expected one
    # are worth scoring (beyond it the fit alone costs more than leaving the segment
    # unplaced and skipping its runs): the run counts k = q - p a row needs come from
    # searchsorted on the cumulative durations, far fewer than kmax on dense runs
    gap_log = np.log(np.maximum(reg.gap[:-1], 1).astype(np.float64))
    inner = _RangeMax(gap_log) if w.inner > 0 else None
    edge_log = np.log(np.maximum(reg.gap, 1).astype(np.float64))
    a_cum = cs + g[np.minimum(np.arange(m + 1) + 1, m)]  # duration(p, q) = b_cum[q] - a_cum[p]
    b_cum = cs + g
    span = math.exp(w.fit_span)
    for i in range(n):
        lo, hi = int(los[i]), int(his[i])
        bq = b_cum[lo : hi + 1]
        p_first = np.searchsorted(a_cum, bq - expected[i] * span, side="left")
        p_last = np.searchsorted(a_cum, bq - expected[i] / span, side="right") - 1
        qq = np.arange(lo, hi + 1)
        k_lo = max(1, int(np.min(qq - p_last)))
        k_hi = min(w.kmax, int(np.max(qq - p_first)))
        if k_hi < k_lo:
            k_lo = k_hi = 1
        k_off = np.arange(k_lo, k_hi + 1)
        # F over p in [plo, hi): best state before segment i having consumed up to p
        plo = min(prev_lo, max(lo - w.kmax, 0))
        width = hi - plo + 1
        ev = np.full(width, inf)
        a = prev_lo - plo
        ev[a : a + prev_e.shape[0]] = prev_e[: max(0, min(prev_e.shape[0], width - a))]
        mult = 0.15 if (i > 0 and note_after[i - 1]) else 1.0
        ck = csk[plo : hi + 1] * mult
        val = ev - ck
        cmin = np.minimum.accumulate(val)
        idx = np.where(val <= cmin, np.arange(width), -1)
        arg = np.maximum.accumulate(idx)
        f = cmin + ck  # f[j] for p = plo + j
        qs = np.arange(lo, hi + 1)
        ps = qs[:, None] - k_off[None, :]  # (nq, kmax)
        valid = ps >= plo
        pj = np.where(valid, ps - plo, 0)
        fp = np.where(valid, f[pj], inf)
        psafe = np.where(valid, ps, 0)
        dur = (cs[qs][:, None] - cs[psafe]) + (g[qs][:, None] - g[np.minimum(psafe + 1, m)])
        dur = np.maximum(dur, 10.0)
        lr = np.log(dur / expected[i])
        cost = fp + (lr / sig[i]) ** 2 - w.edge * (st[psafe] + st[qs][:, None])
        if inner is not None:
            # the longest pause inside (p, q): for the fewest runs k_lo a range query, then
            # one more pause (before run q - k + 1) with each further run
            col = gap_log[np.clip(qs[:, None] - k_off[None, :] + 1, 0, m - 1)]
            col[:, 0] = inner.query(qs - k_lo + 1, qs)  # 0 (1 ms) when no pause inside
            longest = np.maximum.accumulate(col, axis=1)
            # measured against the weaker of the segment's own edge pauses (never under
            # rel_ms): a boundary at a 30 ms gap around a 1.2 s silence is the wrong way round
            ref = np.maximum(np.minimum(edge_log[psafe], edge_log[qs][:, None]), math.log(w.inner_rel_ms))
            ref = np.minimum(ref, math.log(w.inner_ms))
            cost = cost + w.inner * np.clip((longest - ref) / math.log(4.0), 0.0, 1.0)
        if pins is not None and i in pins:
            plo_ms, phi_ms = pins[i]
            onp = reg.on[np.minimum(psafe, m - 1)]
            # inside the window, pull towards the anchor's time: a precise anchor decides
            # between nearby onsets, a rough one (whole seconds) only weakly
            pull = w.pin * np.abs(onp - (plo_ms + phi_ms) / 2.0) / 1000.0
            cost = np.where((onp >= plo_ms) & (onp <= phi_ms), cost + pull, inf)
        best = np.argmin(cost, axis=1)
        e_row = cost[np.arange(qs.shape[0]), best]
        bp = qs - k_off[best]
        # unplaced segment: consume nothing, pay `miss`
        miss = f[qs - plo] + w.miss if not (pins is not None and i in pins) else np.full(qs.shape[0], inf)
        use_miss = miss < e_row
        e_row = np.where(use_miss, miss, e_row)
        bp = np.where(use_miss, -(qs + 1), bp)  # negative: unplaced, the state stays at q
        rows.append(e_row)
        back_p.append(bp)
        back_f.append(arg + plo)  # best q' <= p for the F step
        prev_lo, prev_e = lo, e_row
    # end: skip whatever is left after the last segment
    lo = int(los[-1])
    tail = rows[-1] + (csk[m] - csk[lo : int(his[-1]) + 1])
    j = int(np.argmin(tail))
    total = float(tail[j])
    if not math.isfinite(total):
        raise AlignmentError("the speech activity cannot hold the transcript's segments in order (anchors in conflict?)")
    q = lo + j
    ps = np.full(n, -1, dtype=np.int64)
    qs_out = np.full(n, -1, dtype=np.int64)
    for i in range(n - 1, -1, -1):
        lo_i = int(los[i])
        if q - lo_i < 0 or q - lo_i >= back_p[i].shape[0]:
            raise AlignmentError("internal: back-pointer out of band")
        hi_i = int(his[i])
        if (q == lo_i and lo_i > 1) or (q == hi_i and hi_i < m):
            touched = True
        bp = int(back_p[i][q - lo_i])
        if bp < 0:
            p = -bp - 1
        else:
            p = bp
            ps[i], qs_out[i] = p, q
        # the F step: which q' the previous segment ended at
        plo = min(int(los[i - 1]) if i > 0 else 0, max(lo_i - weights.kmax, 0))
        q = int(back_f[i][p - plo])
    return Placement(ps, qs_out, total, touched)


# --------------------------------------------------------------------------- engine


@dataclass
class _Plan:
    spoken: list[int] = field(default_factory=list)  # transcript index of each spoken segment
    units: list[float] = field(default_factory=list)
    note_after: list[bool] = field(default_factory=list)


def _plan(segments: Sequence[Segment]) -> _Plan:
    pl = _Plan()
    for k, s in enumerate(segments):
        if s.spoken:
            pl.spoken.append(k)
            pl.units.append(max(units([w.text for w in s.words]), 1.0))
            pl.note_after.append(False)
        elif pl.note_after:
            pl.note_after[-1] = True
    return pl


def _local_rate(durs: np.ndarray, u: np.ndarray, ok: np.ndarray, reach: int = 25) -> np.ndarray:
    """ms a unit, per segment: the median over the placed neighbours within ``reach``."""
    n = u.shape[0]
    r = np.where(ok, durs / u, np.nan)
    glob = float(np.nanmedian(r)) if np.any(ok) else float("nan")
    out = np.empty(n)
    for i in range(n):
        win = r[max(0, i - reach) : i + reach + 1]
        v = win[~np.isnan(win)]
        out[i] = float(np.median(v)) if v.shape[0] >= 5 else glob
    # a local rate far from the global one is more likely a misplacement than a speaker
    return np.clip(out, glob * 0.7, glob * 1.45)


def _seg_durations(reg: Regions, pl: Placement, w: Weights) -> np.ndarray:
    cs, g = _cum(reg, w)
    ok = pl.p >= 0
    p = np.where(ok, pl.p, 0)
    q = np.where(ok, pl.q, 1)
    return np.where(ok, (cs[q] - cs[p]) + (g[q] - g[np.minimum(p + 1, reg.m)]), np.nan)


def _margins(reg: Regions, pl: Placement, expected: np.ndarray, w: Weights, sig: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cost of moving each segment's start / end boundary by one candidate (the smaller side).

    A boundary whose neighbours cost almost the same is a guess; one that costs a lot to
    move is what the evidence says.
    """
    cs, g = _cum(reg, w)
    n = expected.shape[0]
    st = reg.strength

    def segcost(i: int, p: int, q: int) -> float:
        if q <= p:
            return math.inf
        d = max((cs[q] - cs[p]) + (g[q] - g[min(p + 1, reg.m)]), 10.0)
        return float((math.log(d / expected[i]) / (w.sigma if sig is None else sig[i])) ** 2 - w.edge * (st[p] + st[q]))

    ms = np.zeros(n)
    me = np.zeros(n)
    for i in range(n):
        p, q = int(pl.p[i]), int(pl.q[i])
        if p < 0:
            continue
        base = segcost(i, p, q)
        # the previous / next placed segment, if it shares the boundary
        prv = i - 1 if i > 0 and pl.q[i - 1] == p else -1
        nxt = i + 1 if i + 1 < n and pl.p[i + 1] == q else -1
        best = math.inf
        for dp in (-1, 1):
            p2 = p + dp
            if p2 < 0 or p2 >= q:
                continue
            c = segcost(i, p2, q) - base
            if prv >= 0:
                c += segcost(prv, int(pl.p[prv]), p2) - segcost(prv, int(pl.p[prv]), p)
            elif dp > 0:
                c += w.skip_base + w.skip * (reg.off[p] - reg.on[p]) / 1000.0 * (1 - 0.85 * reg.noise[p])
            best = min(best, c)
        ms[i] = best
        best = math.inf
        for dq in (-1, 1):
            q2 = q + dq
            if q2 <= p or q2 > reg.m:
                continue
            c = segcost(i, p, q2) - base
            if nxt >= 0:
                c += segcost(nxt, q2, int(pl.q[nxt])) - segcost(nxt, q, int(pl.q[nxt]))
            elif dq < 0:
                c += w.skip_base + w.skip * (reg.off[q - 1] - reg.on[q - 1]) / 1000.0 * (1 - 0.85 * reg.noise[q - 1])
            best = min(best, c)
        me[i] = best
    return ms, me


def _confidence(
    reg: Regions, pl: Placement, expected: np.ndarray, w: Weights, sig: np.ndarray | None = None, pinned: frozenset[int] = frozenset()
) -> np.ndarray:
    n = expected.shape[0]
    ms, me = _margins(reg, pl, expected, w, sig)
    durs = _seg_durations(reg, pl, w)
    conf = np.zeros(n)
    for i in range(n):
        if pl.p[i] < 0:
            continue
        p, q = int(pl.p[i]), int(pl.q[i])
        edge = min(reg.strength[p], reg.strength[q])
        margin = min(ms[i], me[i])
        if i in pinned:  # the start is the anchor's: only the end is the evidence's guess
            edge, margin = float(reg.strength[q]), me[i]
        fit = abs(math.log(durs[i] / expected[i]))
        c_margin = 1.0 - math.exp(-max(margin, 0.0) / 3.0)
        c_fit = math.exp(-((fit / 0.45) ** 2))
        conf[i] = round(c_margin * (0.4 + 0.6 * edge) * c_fit, 3)
    return conf


def _centre_from(pl: Placement, fallback: np.ndarray) -> np.ndarray:
    q = np.where(pl.q >= 0, pl.q, -1).astype(np.float64)
    idx = np.flatnonzero(q >= 0)
    if idx.shape[0] == 0:
        return fallback
    return np.rint(np.interp(np.arange(q.shape[0]), idx, q[idx])).astype(np.int64)


def _centre_anchored(reg: Regions, expected: np.ndarray, pins: dict[int, tuple[int, int]], w: Weights) -> np.ndarray:
    """Predicted end boundary per segment, piecewise linear between anchored points."""
    cs, g = _cum(reg, w)
    t = cs + g
    cum_e = np.concatenate([[0.0], np.cumsum(expected)])
    xs = [0.0]
    ys = [0.0]
    for i in sorted(pins):
        lo, hi = pins[i]
        k = int(np.searchsorted(reg.on, (lo + hi) // 2))
        k = min(max(k, 0), reg.m - 1)
        if t[k] > ys[-1] and cum_e[i] > xs[-1]:
            xs.append(float(cum_e[i]))
            ys.append(float(t[k]))
    xs.append(float(cum_e[-1]))
    ys.append(float(t[-1]))
    tgt = np.interp(cum_e[1:], xs, ys)
    idx: np.ndarray = np.searchsorted(t, tgt).astype(np.int64)
    return idx


def solve(
    reg: Regions,
    unit: np.ndarray,
    note_after: np.ndarray,
    pins: dict[int, tuple[int, int]] | None = None,
    weights: Weights = Weights(),
) -> tuple[Placement, np.ndarray]:
    """Two passes: a global rate, then the local rate and a band around the first pass.

    Returns the placement and the expected durations (ms) used by the last pass.
    """
    w = weights
    sig = seg_sigma(unit, w)
    cs, g = _cum(reg, w)
    total_units = float(unit.sum()) or 1.0
    # first guess of the rate: all speech and capped pauses over all units; the program is
    # tolerant (sigma) and the second pass corrects it
    rate0 = (cs[-1] + 0.6 * g[-1]) / total_units
    centre = _centre_anchored(reg, unit * rate0, pins, w) if pins else None
    # a global rate drifts from the truth like a random walk over the voice's rate changes:
    # a band growing with the square root of the segment count (80 runs a ~1500 segments,
    # ~230 on an 8-hour file) holds it without the cost of re-running with a wider one
    band = max(w.band, int(w.band * math.sqrt(unit.shape[0] / 1500.0)))
    pl = place(reg, unit * rate0, centre=centre, note_after=note_after, pins=pins, weights=replace(w, band=band, inner=0.0), sigma=sig)
    for _ in range(2):  # widen the band when the path ran along its edge
        if not pl.touched_band:
            break
        band *= 2
        pl = place(reg, unit * rate0, centre=centre, note_after=note_after, pins=pins, weights=replace(w, band=band, inner=0.0), sigma=sig)
    durs = _seg_durations(reg, pl, w)
    ok = (pl.p >= 0) & np.isfinite(durs)
    if not np.any(ok):
        return pl, unit * rate0
    rate = _local_rate(np.nan_to_num(durs), unit, ok)
    expected = unit * rate
    centre2 = _centre_from(pl, np.zeros(unit.shape[0], dtype=np.int64))
    # the second pass only refines the first: a narrow band, widened when the path touches it
    w2 = replace(w, band=w.band2)
    pl2 = place(reg, expected, centre=centre2, note_after=note_after, pins=pins, weights=w2, sigma=sig)
    if pl2.touched_band:
        pl2 = place(reg, expected, centre=centre2, note_after=note_after, pins=pins, weights=replace(w2, band=band), sigma=sig)
    return pl2, expected


def repin(
    reg: Regions,
    expected: np.ndarray,
    base: Placement,
    pins: dict[int, tuple[int, int]],
    note_after: np.ndarray,
    weights: Weights = Weights(),
    sig: np.ndarray | None = None,
) -> Placement:
    """Re-place around anchors, keeping the unanchored solution's local rates and path.

    The unanchored program already knows the local speaking rate; an anchor only corrects
    where the evidence was ambiguous. So the anchored program reuses ``expected`` and runs
    in a band around ``base``'s path, wide enough to reach each pin: segments far from any
    anchor keep their places, and a stretch that had drifted around an anchor moves with
    it as a whole (the program re-places every segment the pin's band reaches).
    """
    w = weights
    centre = _centre_from(base, np.zeros(expected.shape[0], dtype=np.int64))
    band = w.band2
    for i, (lo, hi) in pins.items():
        k = int(np.searchsorted(reg.on, (lo + hi) // 2))
        if base.p[i] >= 0:
            band = max(band, abs(k - int(base.p[i])) + w.band2 // 2)
        else:
            band = max(band, abs(k - int(centre[i])) + w.band2)
    pl = place(reg, expected, centre=centre, note_after=note_after, pins=pins, weights=replace(w, band=band), sigma=sig)
    if pl.touched_band:
        pl = place(reg, expected, centre=centre, note_after=note_after, pins=pins, weights=replace(w, band=2 * band), sigma=sig)
    return pl


def disagreement(
    reg: Regions,
    pl: Placement,
    expected: np.ndarray,
    note_after: np.ndarray,
    weights: Weights,
    sig: np.ndarray,
    pins: dict[int, tuple[int, int]] | None = None,
    tol: int = 250,
) -> np.ndarray:
    """Segments a second, differently weighted program places elsewhere (bool per segment).

    The second program trusts pauses twice as much and lengths 1.6 times less. Where the
    two agree the evidence is one-sided; where they differ by more than ``tol`` ms at
    either edge the evidence is split, and the segment (often a whole stretch shifted
    by a word or two) is not confident, however well it fits its own boundaries.
    """
    w = weights
    centre = _centre_from(pl, np.zeros(expected.shape[0], dtype=np.int64))
    alt = place(reg, expected, centre=centre, note_after=note_after, pins=pins, weights=replace(w, band=w.band2, edge=2.0 * w.edge), sigma=1.6 * sig)
    ok = pl.p >= 0
    ok_alt = alt.p >= 0
    p = np.where(ok, pl.p, 0)
    q = np.where(ok, pl.q, 1)
    pa = np.where(ok_alt, alt.p, 0)
    qa = np.where(ok_alt, alt.q, 1)
    moved = (np.abs(reg.on[p] - reg.on[pa]) > tol) | (np.abs(reg.off[q - 1] - reg.off[qa - 1]) > tol)
    unsure: np.ndarray = ok & (moved | ~ok_alt)
    return unsure


def _resolve_pins(
    request: AlignRequest,
    spoken: list[int],
    reg: Regions,
    unit: np.ndarray,
    note_after: np.ndarray,
    base: Placement,
    expected: np.ndarray,
    w: Weights,
    tolerance: int,
) -> tuple[dict[int, tuple[int, int]], list[str], list[dict[str, Any]]]:
    """Pins from anchors; an anchor the audio contradicts is a conflict, not a pin."""
    from .anchors import resolve_anchors

    warnings: list[str] = []
    used: list[dict[str, Any]] = []
    pins: dict[int, tuple[int, int]] = {}
    if not request.anchors:
        return pins, warnings, used
    from .anchors import Conflict, check_anchors

    unmatched: list[Conflict] = []
    duration = request.media.duration if request.media is not None else None
    resolved = resolve_anchors(request.transcript, list(request.anchors), duration=duration, unmatched=unmatched)
    warnings.extend(c.message for c in unmatched)
    order = {id(c.anchor) for c in check_anchors(resolved) if c.kind == "order"}
    for c in check_anchors(resolved):
        warnings.append("anchor conflict: " + c.message + "; anchor not used")
    resolved = [r for r in resolved if id(r.anchor) not in order]
    pos = {k: i for i, k in enumerate(spoken)}
    for seg_index, ms, anchor in resolved:
        i = pos.get(seg_index)
        if i is None:
            warnings.append(f"anchor {anchor.text!r}@{ms} ms names a non-speech segment; ignored")
            continue
        pins[i] = (ms - tolerance, ms + tolerance)
    if not pins:
        return pins, warnings, used
    # test each anchor alone against the unanchored program: a correct anchor costs little
    # (the audio agrees, or is unsure there); a wrong one forces many segments to misfit
    keep: dict[int, tuple[int, int]] = {}
    for i, span in sorted(pins.items()):
        start = int(reg.on[base.p[i]]) if base.p[i] >= 0 else None
        if start is not None and span[0] <= start <= span[1]:
            keep[i] = span
            continue
        try:
            pl_i = repin(reg, expected, base, {i: span}, note_after, w, seg_sigma(unit, w))
            extra = pl_i.cost - base.cost
        except AlignmentError:
            extra = math.inf
        if extra <= max(6.0, 0.02 * len(spoken)):
            keep[i] = span
        else:
            seg = request.transcript.segments[spoken[i]]
            where = f"{start} ms" if start is not None else "nowhere"
            warnings.append(
                f"anchor conflict: {seg.text[:40]!r} pinned at {(span[0] + span[1]) // 2} ms, but the audio puts it at {where} "
                f"(pinning would cost {extra:.1f} more); anchor not used"
            )
            used.append({"segment": spoken[i], "ms": (span[0] + span[1]) // 2, "used": False, "audio_ms": start})
            continue
    for i, span in keep.items():
        used.append({"segment": spoken[i], "ms": (span[0] + span[1]) // 2, "used": True})
    return keep, warnings, used


def align_track(request: AlignRequest, track: vadmod.ActivityTrack) -> Alignment:
    """The engine on an activity track already computed (tests, benchmarks, reuse)."""
    opts = request.options
    w = Weights(**{k: opts[k] for k in WEIGHT_KEYS if k in opts})
    tr = request.transcript
    plan = _plan(tr.segments)
    reg = regions_from_track(track, min_pause_ms=int(opts.get("min_pause_ms", 30)))
    unit = np.array(plan.units, dtype=np.float64)
    note_after = np.array(plan.note_after, dtype=bool)
    n_spoken = unit.shape[0]
    warnings: list[str] = []
    request.report("placing segments", 0, max(n_spoken, 1))
    pins: dict[int, tuple[int, int]] = {}
    if reg.m == 0 or n_spoken == 0:
        pl = Placement(np.full(n_spoken, -1), np.full(n_spoken, -1), 0.0, False)
        expected = unit
        if n_spoken:
            warnings.append("no speech found in the media; nothing placed")
        anchors_info: list[dict[str, Any]] = []
    else:
        pl, expected = solve(reg, unit, note_after, weights=w)
        pins, aw, anchors_info = _resolve_pins(request, plan.spoken, reg, unit, note_after, pl, expected, w, int(opts.get("anchor_tolerance", 1500)))
        warnings += aw
        if pins:
            pl = repin(reg, expected, pl, pins, note_after, w, seg_sigma(unit, w))
    request.report("placing segments", n_spoken, max(n_spoken, 1))
    conf = _confidence(reg, pl, expected, w, seg_sigma(unit, w), frozenset(pins)) if reg.m else np.zeros(n_spoken)
    split = 0
    if reg.m and n_spoken and bool(opts.get("cross_check", True)):
        unsure = disagreement(reg, pl, expected, note_after, w, seg_sigma(unit, w), pins or None)
        split = int(np.sum(unsure & (conf >= float(opts.get("confident", 0.5)))))
        conf = np.where(unsure, np.minimum(conf, 0.3), conf)
    # timed by activity and length alone, a segment's words are never heard: text the media
    # does not hold, or a degraded stretch, fits as well as the truth. So confidence ranks
    # segments but stays below 0.5, the level that promises 500 ms (README): measured on the
    # degraded sets of scripts/make_degraded.py, 10% of segments at 0.5 or more were further
    # off, 3.5% even at 0.8
    conf = conf * AUDIO_CONFIDENCE_SCALE
    threshold = float(opts.get("confident", 0.5))
    segs = list(tr.segments)
    times: dict[int, tuple[int, int, float]] = {}
    prev_end = track.offset
    for i, k in enumerate(plan.spoken):
        p, q = int(pl.p[i]), int(pl.q[i])
        if p < 0:
            continue
        a = vadmod.refine_onset(track, int(reg.on[p]))
        b = vadmod.refine_offset(track, int(reg.off[q - 1]))
        nxt = int(reg.on[q]) if q < reg.m else track.offset + track.duration
        a = max(a, prev_end)
        b = min(max(b, a), nxt)
        times[k] = (a, b, float(conf[i]))
        prev_end = b
    # notes ([laughter]) take a skipped run between their neighbours, else stay unplaced
    used_runs = np.zeros(reg.m, dtype=bool)
    for i in range(n_spoken):
        if pl.p[i] >= 0:
            used_runs[pl.p[i] : pl.q[i]] = True
    placed_notes = _place_notes(tr.segments, times, reg, used_runs)
    times.update(placed_notes)
    out: list[Segment] = []
    for k, s in enumerate(segs):
        if k in times:
            a, b, c = times[k]
            out.append(s.with_times(a, b, confidence=c, words=spread_words(s.words, a, b)))
        else:
            out.append(s.with_times(None, None, confidence=0.0, words=tuple(replace(x, start=None, end=None) for x in s.words)))
    placed = sum(1 for s in out if s.placed)
    low = sum(1 for s in out if s.placed and s.spoken and (s.confidence or 0.0) < threshold)
    unplaced = [s.id for s in out if not s.placed and s.spoken]
    stats: dict[str, Any] = {
        "segments": len(out),
        "placed": placed,
        "spoken": n_spoken,
        "unplaced_spoken": len(unplaced),
        "unplaced_ids": unplaced[:50],
        "low_confidence": low,
        "confident_threshold": threshold,
        "notes_placed": len(placed_notes),
        "cross_check_unsure": split,
        "speech_ms": track.speech_ms(),
        "runs": reg.m,
        "rate_ms_per_unit": round(float(np.median(expected / unit)), 2) if n_spoken else None,
        "anchors": anchors_info,
        "warnings": warnings,
    }
    if n_spoken and placed - len(placed_notes) < 0.5 * n_spoken:
        warnings.append(f"only {placed - len(placed_notes)} of {n_spoken} spoken segments found speech to sit on: is this the right media?")
    settings = {"frame_ms": track.frame_ms, "vad_mode": int(opts.get("vad_mode", 2)), "min_pause_ms": int(opts.get("min_pause_ms", 30)),
                # every setting as used (defaults included), so a file says how it was made
                "effective": {**{k: getattr(w, k) for k in WEIGHT_KEYS}, "anchor_tolerance": int(opts.get("anchor_tolerance", 1500)),
                              "cross_check": bool(opts.get("cross_check", True)), "confident": threshold}}  # fmt: skip
    return Alignment(transcript=replace(tr, segments=tuple(out)), engine="activity", media=request.media, settings=settings, stats=stats)


def _place_notes(segments: Sequence[Segment], times: dict[int, tuple[int, int, float]], reg: Regions, used: np.ndarray) -> dict[int, tuple[int, int, float]]:
    out: dict[int, tuple[int, int, float]] = {}
    k = 0
    n = len(segments)
    while k < n:
        if segments[k].spoken:
            k += 1
            continue
        j = k
        while j < n and not segments[j].spoken:
            j += 1
        # notes k..j-1 lie between the placed neighbours before k and from j on
        lo = next((times[x][1] for x in range(k - 1, -1, -1) if x in times), None)
        hi = next((times[x][0] for x in range(j, n) if x in times), None)
        if lo is not None and hi is not None and hi > lo:
            a = int(np.searchsorted(reg.on, lo))
            b = int(np.searchsorted(reg.off, hi, side="right"))
            cand = [r for r in range(a, b) if not used[r] and reg.on[r] >= lo and reg.off[r] <= hi]
            # the most noise-like free runs, in time order, one a note (fewer runs than notes:
            # the notes left over stay unplaced, hence strict=False)
            cand = sorted(sorted(cand, key=lambda r: -reg.noise[r])[: j - k])
            for note, r in zip(range(k, j), cand, strict=False):
                out[note] = (int(reg.on[r]), int(reg.off[r]), round(0.3 * float(reg.noise[r]), 3))
        k = j
    return out


def run(request: AlignRequest, make_track: Callable[[], vadmod.ActivityTrack] | None = None) -> Alignment:
    """Place the transcript by speech activity and length (see the module docstring).

    ``make_track``: how to get the media's activity when it is needed, for a caller that
    has the audio decoded already (the speech engine); by default the media is decoded.
    """
    opts = request.options
    if request.reference is not None and bool(opts.get("cuemap", True)):
        from .anchors import check_result
        from .cuemap import run_cuemap

        # cues carry times of their own: anchors are checked against them, not pinned
        return check_result(run_cuemap(request), request.anchors)
    if request.media is None:
        raise AlignmentError("the activity engine needs media (or a ⟨--reference⟩ track to map cues from)")
    if make_track is not None:
        return align_track(request, make_track())
    track = vadmod.frame_activity(
        request.media,
        mode=int(opts.get("vad_mode", 2)),
        jobs=max(1, request.jobs),
        media_duration=request.media.duration,
        progress=request.progress,
    )
    return align_track(request, track)
