"""Fit subtitle timing to speech activity: a constant offset, or an offset and a linear scale.

Both signals are sampled at ``frame_ms`` (10 ms): the media's speech flags (``clipper.vad``)
and the union of the subtitle cues that hold spoken words. Each is coded +1 (speech / cue on)
and -1 (off), and one FFT cross-correlation gives their agreement at every offset at once
(ffsubsync's idea). A scale is a different cue signal (cue times multiplied by it) against the
same media FFT, so trying a scale costs one FFT of the cue signal and one inverse.

Scales tried: 1, the frame-rate ratios subtitles are commonly off by (23.976/24, 24/25,
23.976/25 and their inverses), then a narrowing search around the best of those, so a drift
that is not one of the common ratios is still found when it lies near one.

The fit's ``score`` is how far the best offset stands out: the correlation peak minus the mean
of the correlation at every other offset searched (more than 2 s away), in standard deviations
of those. Subtitles of the same recording score 10-60 here; another recording's, or the right
recording at a wrong scale, 2-5 (measured: docs/sync.md).

>>> speech = np.zeros(3000, dtype=bool)
>>> for a in range(100, 2900, 230):
...     speech[a : a + 90 + a % 70] = True          # 10 ms frames: bursts of 0.9-1.6 s
>>> cues = [(int(f * 10 - 1500), int(f * 10 - 1500) + 900 + (f % 70) * 10) for f in range(100, 2900, 230)]
>>> fit = fit_timing(speech, cues, scales=(1.0,))
>>> fit.offset, fit.scale
(1500, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Fit", "Part", "FRAME_RATE_SCALES", "PART_REACH", "cue_signal", "fit_timing", "parts"]

#: frame-rate ratios subtitle timing is commonly off by (a file timed for 25 fps on a
#: 23.976 fps picture and so on), and 1; a scale maps a subtitle time t to t * scale
FRAME_RATE_SCALES: tuple[float, ...] = tuple(
    sorted({1.0, *(r for a, b in ((24000 / 1001, 24.0), (24.0, 25.0), (24000 / 1001, 25.0)) for r in (a / b, b / a))})
)

#: offsets within this many ms of the peak belong to the peak, not to the background
_PEAK_HALF_WIDTH = 2000


@dataclass(frozen=True, slots=True)
class Fit:
    """``new = round(old * scale) + offset`` (ms), and how clearly the data chose it."""

    offset: int
    scale: float
    score: float
    #: share of cue time the media has speech in, at the fit (0-1)
    overlap: float
    #: how many scales were tried
    scales_tried: int
    #: Pearson correlation of cue and speech signals at the fit (-1 to 1)
    r: float = 0.0

    def map(self, ms: int) -> int:
        return int(round(ms * self.scale)) + self.offset


def _intervals(cues: Sequence[tuple[int, int]], frame_ms: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """The cues (times multiplied by ``scale``) as disjoint, sorted frame runs [a, b)."""
    c = np.asarray(cues, dtype=np.float64).reshape(-1, 2) * scale / frame_ms
    a = np.floor(c[:, 0]).astype(np.int64)
    b = np.maximum(np.ceil(c[:, 1]).astype(np.int64), a)
    order = np.argsort(a, kind="stable")
    a, b = a[order], b[order]
    # merge overlapping or touching runs: a run starts where no earlier run reaches
    reach = np.maximum.accumulate(b)
    new = np.ones(a.shape[0], dtype=bool)
    new[1:] = a[1:] > reach[:-1]
    starts = a[new]
    ends = np.maximum.reduceat(b, np.flatnonzero(new)) if a.shape[0] else b
    return starts, ends


def cue_signal(cues: Sequence[tuple[int, int]], frame_ms: int = 10, scale: float = 1.0) -> tuple[np.ndarray, int]:
    """+1 where a cue (its times multiplied by ``scale``) is on, -1 between cues, from the
    first cue's start to the last one's end; and the frame the signal starts at.

    Only the stretch the cues span is coded: before the first cue and after the last the
    file says nothing about speech (a subtitle file often starts late and ends early).
    """
    a, b = _intervals(cues, frame_ms, scale)
    if a.shape[0] == 0:
        return np.full(1, -1.0, dtype=np.float32), 0
    f0 = int(a[0])
    y = np.full(max(1, int(b.max()) - f0), -1.0, dtype=np.float32)
    for x0, x1 in zip((a - f0).tolist(), (b - f0).tolist(), strict=True):
        y[x0:x1] = 1.0
    return y, f0


@dataclass(frozen=True, slots=True)
class _Trial:
    scale: float
    best: int  # lag (frames) of the peak
    value: float  # correlation at the peak
    score: float
    lag: np.ndarray
    c: np.ndarray


class _Correlator:
    """The media's speech signal, transformed once; correlate cue signals against it."""

    def __init__(self, speech: np.ndarray, span_frames: int, max_lag: int) -> None:
        self.x = np.where(speech, 1.0, -1.0).astype(np.float32)
        self.n = int(self.x.shape[0])
        self.cx = np.concatenate([[0.0], np.cumsum(self.x, dtype=np.float64)])
        self.max_lag = max_lag
        need = self.n + span_frames + 1
        self.nfft = 1 << max(1, math.ceil(math.log2(need)))
        self.X = np.fft.rfft(self.x, self.nfft)

    def offsets(self, y: np.ndarray, f0: int) -> tuple[np.ndarray, np.ndarray]:
        """(offset, correlation) for every offset (frames) in [-max_lag, max_lag] that keeps
        at least half the cue signal on the media: offset k puts subtitle frame u on media
        frame u + k (``y[t]`` is subtitle frame ``t + f0``).

        The correlation is Pearson's over the whole cue signal, the media taken as silent
        beyond its ends (there is no speech there): a long media's offsets are judged like
        a short one's, and a fit that pushes cues off the media pays for it.
        """
        m = int(y.shape[0])
        c = np.fft.irfft(self.X * np.conj(np.fft.rfft(y, self.nfft)), self.nfft)
        need = max(1, min(m, self.n) // 2)
        # c[L] = sum_t x[t + L] y[t]; L = k + f0, from -(m - 1) to n - 1, negative L wrapped
        lo = max(-self.max_lag, need - m - f0)
        hi = min(self.max_lag, self.n - need - f0)
        if hi < lo:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        off = np.arange(lo, hi + 1)
        L = off + f0
        t_lo = np.maximum(0, -L)
        t_hi = np.minimum(m, self.n - L)
        cy = np.concatenate([[0.0], np.cumsum(y, dtype=np.float64)])
        y_in = cy[t_hi] - cy[t_lo]
        y_all = float(cy[-1])
        # frames of y off the media meet x = -1
        sxy = c[L % self.nfft] - (y_all - y_in)
        mx = (self.cx[t_hi + L] - self.cx[t_lo + L] - (m - (t_hi - t_lo))) / m
        my = y_all / m
        den = np.sqrt(np.maximum((1 - mx * mx) * (1 - my * my), 1e-9))
        r = (sxy / m - mx * my) / den
        return off, r



def _peak(lag: np.ndarray, c: np.ndarray, frame_ms: int, limit: int | None = None) -> tuple[int, float, float]:
    """Best lag (within +-``limit`` frames when given), its correlation and its score
    (standard deviations over the background: every other lag, the limit aside, so a peak
    kept out of reach shows as a weak fit rather than an empty background)."""
    if limit is not None:
        inside = np.flatnonzero(np.abs(lag) <= limit)
        if inside.shape[0] == 0:
            return 0, -1.0, 0.0
        k = int(inside[np.argmax(c[inside])])
    else:
        k = int(np.argmax(c))
    half = max(1, _PEAK_HALF_WIDTH // frame_ms)
    rest = np.concatenate([c[: max(0, k - half)], c[k + half + 1 :]])
    if rest.shape[0] < 10:
        return int(lag[k]), float(c[k]), 0.0
    sd = float(rest.std())
    score = (float(c[k]) - float(rest.mean())) / sd if sd > 0 else 0.0
    return int(lag[k]), float(c[k]), score


def _refine_lag(lag: np.ndarray, c: np.ndarray, best: int) -> float:
    """Sub-frame peak position by a parabola through the peak and its neighbours."""
    k = int(np.searchsorted(lag, best))
    if k <= 0 or k >= c.shape[0] - 1:
        return float(best)
    y0, y1, y2 = float(c[k - 1]), float(c[k]), float(c[k + 1])
    den = y0 - 2 * y1 + y2
    if den >= 0:
        return float(best)
    return best + max(-0.5, min(0.5, 0.5 * (y0 - y2) / den))


def fit_timing(
    speech: np.ndarray,
    cues: Sequence[tuple[int, int]],
    *,
    frame_ms: int = 10,
    scales: Sequence[float] = FRAME_RATE_SCALES,
    fine: bool = True,
    max_offset: int | None = None,
) -> Fit:
    """The offset (and scale) that best lays ``cues`` (ms) over ``speech`` (a flag a frame).

    Args:
        speech: media speech flags, one per ``frame_ms`` from media time 0.
        cues: (start, end) ms of the cues that hold speech, in the subtitle file's time.
        scales: scales to try; ``(1.0,)`` fits an offset only.
        fine: search around the best of ``scales`` for a better scale nearby.
        max_offset: largest |offset| (ms) the fit may choose; None: any that keeps half the
            cues on the media. The score still weighs the chosen peak against every offset.
    """
    n = int(speech.shape[0])
    if not cues or n == 0:
        return Fit(0, 1.0, 0.0, 0.0, 0)
    first = min(a for a, _ in cues)
    last = max(b for _, b in cues)
    top = max(scales) * (1.01 if fine else 1.0)
    span = int(math.ceil((last - first) * top / frame_ms)) + 2
    limit = None if max_offset is None else max(0, int(math.ceil(max_offset / frame_ms)))
    cor = _Correlator(speech, span, n + span)

    def try_scale(s: float) -> _Trial:
        lag, c = cor.offsets(*cue_signal(cues, frame_ms, s))
        if lag.shape[0] == 0:
            return _Trial(s, 0, -1.0, 0.0, lag, c)
        best, value, score = _peak(lag, c, frame_ms, limit)
        return _Trial(s, best, value, score, lag, c)

    tried = [try_scale(s) for s in scales]
    n_tried = len(tried)
    # between far-apart scales the score decides: a wrong scale smears the peak into the
    # background, and the raw peak of a longer cue signal is not comparable
    best = max(tried, key=lambda t: t.score)
    if fine and len(scales) > 1 and best.lag.shape[0]:
        # then narrow around the winner (+-0.2%, then a quarter of that, ...: 20 scales, down
        # to steps of 4e-6, 14 ms over an hour); near scales have alike backgrounds, and the
        # raw peak is the smoother guide there
        width = 0.001
        for _ in range(5):
            centre = best.scale
            cands = [try_scale(centre * (1 + width * k)) for k in (-2, -1, 1, 2)]
            n_tried += len(cands)
            best = max([best, *cands], key=lambda t: t.value)
            width /= 4
    if best.lag.shape[0] == 0:
        return Fit(0, 1.0, 0.0, 0.0, n_tried)
    off = _refine_lag(best.lag, best.c, best.best) * frame_ms
    overlap = _overlap(speech, cues, best.scale, off, frame_ms)
    return Fit(int(round(off)), best.scale, round(best.score, 2), round(overlap, 3), n_tried, round(best.value, 3))


def _overlap(speech: np.ndarray, cues: Sequence[tuple[int, int]], scale: float, offset: float, frame_ms: int) -> float:
    """Share of the (mapped) cue time that falls on media speech."""
    n = int(speech.shape[0])
    on = 0
    total = 0
    cs = np.cumsum(np.concatenate([[0], speech.astype(np.int64)]))
    for a, b in cues:
        fa = int(round((a * scale + offset) / frame_ms))
        fb = int(round((b * scale + offset) / frame_ms))
        total += max(0, fb - fa)
        fa, fb = min(max(fa, 0), n), min(max(fb, 0), n)
        if fb > fa:
            on += int(cs[fb] - cs[fa])
    return on / total if total else 0.0


@dataclass(frozen=True, slots=True)
class Part:
    """A stretch of the cues fitted on its own around a fit: how far it sits from it."""

    first: int  # index (among the cues given) of its first cue
    last: int  # ... and of its last
    start: int  # ms (media time, after the fit) of its first cue
    residual: int  # ms the part's own best offset is from the fit's
    score: float  # how clearly the part chose it (as Fit.score, over +-PART_REACH)


#: how far (ms) a part may sit from the fit when each part is fitted alone
PART_REACH = 10_000


def parts(speech: np.ndarray, cues: Sequence[tuple[int, int]], fit: Fit, *, frame_ms: int = 10, per_part: int = 30) -> list[Part]:
    """Fit stretches of about ``per_part`` cues (2 to 8 stretches) alone, as ``fit`` maps
    them, each to a constant offset within :data:`PART_REACH`: a residual near 0 in every
    part says one offset and scale hold for the whole file; a part that sits seconds off
    (with a clear score of its own) says they do not (an edit, an ad break, a pause).

    Measured (docs/sync.md): parts of linear timings sit within 15 ms of the fit, also at
    3 dB SNR; the parts after a 1.5-2 s edit sit 1.5-2 s off with scores of 6 to 25.
    """
    n = len(cues)
    k = max(2, min(8, n // per_part))
    mapped = [(fit.map(a), fit.map(b)) for a, b in cues]
    out: list[Part] = []
    for i in range(k):
        lo, hi = i * n // k, (i + 1) * n // k
        if hi - lo < 3:
            continue
        g = fit_timing(speech, mapped[lo:hi], frame_ms=frame_ms, scales=(1.0,), fine=False, max_offset=PART_REACH)
        out.append(Part(lo, hi - 1, mapped[lo][0], g.offset, g.score))
    return out
