"""The audio pass: frame energies, speech activity, a raw file to read spans from, and
the energy edges segment starts and ends move to."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import numpy as np

from ...media import SAMPLE_RATE, iter_audio
from ...model import MediaInfo
from ...vad import true_runs
from .. import AlignRequest
from .options import LONG_QUIET_MS, MIN_SNR_DB, QUIET_MS, SAMPLES_PER_FRAME

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Audio:
    raw: str  # path of the int16 raw file
    nsamples: int
    db: np.ndarray  # 10 ms frame energy, dBFS
    low_floor: bool = False  # the floor is low hum or rumble somewhere (see _low_floor)


def _frame_db(x: np.ndarray) -> np.ndarray:
    n = len(x) // SAMPLES_PER_FRAME
    f = x[: n * SAMPLES_PER_FRAME].astype(np.float32).reshape(n, SAMPLES_PER_FRAME)
    e = (f * f).mean(axis=1)
    db: np.ndarray = (10.0 * np.log10(e + 1.0) - 90.31).astype(np.float32)  # 0 dBFS = full scale
    return db


def _read_audio(path: str | MediaInfo, workdir: str, request: AlignRequest) -> _Audio:
    raw = os.path.join(workdir, "audio.s16")
    dbs: list[np.ndarray] = []
    total = request.media.duration if request.media is not None else 0
    n = 0
    rest = np.zeros(0, dtype=np.int16)
    with open(raw, "wb") as f:
        for chunk in iter_audio(path, chunk_ms=20_000):
            f.write(chunk.tobytes())
            n += len(chunk)
            buf = np.concatenate([rest, chunk]) if len(rest) else chunk
            k = len(buf) // SAMPLES_PER_FRAME * SAMPLES_PER_FRAME
            dbs.append(_frame_db(buf[:k]))
            rest = buf[k:].copy()
            request.report("decode", n * 1000 // SAMPLE_RATE, total)
    if len(rest):
        dbs.append(_frame_db(np.pad(rest, (0, SAMPLES_PER_FRAME - len(rest)))))
    db = np.concatenate(dbs) if dbs else np.zeros(0, dtype=np.float32)
    return _Audio(raw, n, db, _low_floor(raw, n))


def _read_span(raw: str, start: int, end: int) -> np.ndarray:
    """Samples [start, end) of the raw file (zero-padded past its ends)."""
    a, b = max(0, start), max(start, end)
    with open(raw, "rb") as f:
        f.seek(a * 2)
        x = np.frombuffer(f.read((b - a) * 2), dtype=np.int16)
    if start < 0 or len(x) < b - a:
        x = np.concatenate([np.zeros(a - start, np.int16), x, np.zeros(max(0, b - a - len(x)), np.int16)])
    return x




def _activity(db: np.ndarray) -> np.ndarray:
    """Speech frames: energy above a floor tracked per minute (robust to level changes)."""
    speech = np.zeros(len(db), dtype=bool)
    win = 6000  # 60 s
    for a in range(0, len(db), win):
        seg = db[max(0, a - win // 2) : a + win + win // 2]
        floor = float(np.percentile(seg, 10))
        peak = float(np.percentile(seg, 95))
        thr = floor + max(6.0, 0.3 * (peak - floor))
        speech[a : a + win] = db[a : a + win] > thr
    return speech


def _quiet_cut(db: np.ndarray, lo: int, hi: int) -> int:
    """The frame in [lo, hi) at the centre of the quietest 300 ms: a pause to cut at."""
    lo = max(0, lo)
    hi = min(len(db), hi)
    if hi - lo < 40:
        return (lo + hi) // 2
    seg = db[lo:hi].astype(np.float64)
    k = 30
    c = np.convolve(seg, np.ones(k) / k, mode="valid")
    # prefer the middle of the range a little, so blocks stay near their target length
    pos = np.arange(len(c))
    bias = 2.0 * np.abs(pos - len(c) / 2) / max(1, len(c))
    return lo + int(np.argmin(c + bias)) + k // 2




#: edges are measured above :data:`HIGHPASS_HZ` where that lifts speech this much further
#: over the floor (the floor is mains hum or rumble, not the speech's own low band)
LOW_FLOOR_GAIN_DB = 6.0
#: ... looked for only where speech stands less than this over the full band's floor: under
#: hum it stood 10-22 dB over; where it stood 27-40 dB over, the high band's edges helped
#: nothing (reverberant real speech: as many edges worse as better)
LOW_FLOOR_MAX_RANGE_DB = 24.0
#: the high-pass for that: a ramp from half this frequency up to it
HIGHPASS_HZ = 150


def _energy_db(x: np.ndarray) -> np.ndarray:
    """Energy (dBFS) of 5 ms windows at a 1 ms hop."""
    hop, k = 16, 5  # 1 ms; a window is k hops
    m = (len(x) - k * hop) // hop + 1  # windows that fit
    if m <= 0:
        return np.zeros(0)
    # sums of 1 ms, then of k of them: a cumulative sum over every sample cost 10x as much
    # (a sequential pass, and fresh pages for each temporary: 1.5 ms a line edge, 1.9 s an hour)
    ms = np.square(x[: (m + k - 1) * hop]).reshape(-1, hop).sum(axis=1)
    e = ms[:m].copy()
    for j in range(1, k):
        e += ms[j : j + m]
    db: np.ndarray = 10 * np.log10(e / (k * hop) + 1.0) - 90.31
    return db


def _fast_len(n: int) -> int:
    """The smallest 2^a 3^b 5^c >= n: an FFT of a length with a large prime factor is 10-50x slower."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def _highpassed(x: np.ndarray) -> np.ndarray:
    """``x`` without what lies under :data:`HIGHPASS_HZ` (zero phase: edges stay put)."""
    n = _fast_len(len(x))
    spec = np.fft.rfft(x, n)
    f = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    spec *= np.clip(2 * f / HIGHPASS_HZ - 1, 0, 1)
    y: np.ndarray = np.fft.irfft(spec, n)[: len(x)]
    return y


def _spread_db(db: np.ndarray) -> tuple[float, float]:
    """(floor, peak): the 10th and 90th percentiles, from one partition."""
    lo, hi = np.percentile(db, [10, 90])
    return float(lo), float(hi)


def _edge_energy(x: np.ndarray, low_floor: bool) -> tuple[np.ndarray, float, float, bool]:
    """(energy dB, floor, peak, high-passed) of ``x`` for finding edges: the full band's, or
    with ``low_floor`` the energy above :data:`HIGHPASS_HZ` where speech stands under
    :data:`LOW_FLOOR_MAX_RANGE_DB` over the full band's floor and the high band lifts it
    :data:`LOW_FLOOR_GAIN_DB` further.

    The span's mean is taken out first: a DC offset (0.0016 of full scale, -56 dBFS, in a
    hand-labelled EMU file) lifts the floor that quiet onsets and fading ends are measured
    against."""
    x = x - x.mean()
    db = _energy_db(x)
    floor, peak = _spread_db(db)
    if low_floor and peak - floor < LOW_FLOOR_MAX_RANGE_DB:
        db2 = _energy_db(_highpassed(x))
        floor2, peak2 = _spread_db(db2)
        if (peak2 - floor2) - (peak - floor) >= LOW_FLOOR_GAIN_DB:
            return db2, floor2, peak2, True
    return db, floor, peak, False


def _low_floor(raw: str, nsamples: int, windows: int = 12, span_s: int = 4) -> bool:
    """Whether, in any of ``windows`` stretches spread over the file, the floor is high and
    low in frequency (mains hum, rumble): :func:`_edge_energy` would take the high band
    there. Only then does :func:`_loud_runs` try it (an FFT a line edge). Under 40 ms a file."""
    n = span_s * SAMPLE_RATE
    if nsamples < n:
        starts = [0] if nsamples >= SAMPLE_RATE else []
    else:
        starts = [int(k) for k in np.linspace(0, nsamples - n, windows)]
    return any(
        _edge_energy(_read_span(raw, a, min(nsamples, a + n)).astype(np.float64), True)[3] for a in starts
    )


def _loud_runs(raw: str, lo_ms: int, hi_ms: int, low_floor: bool = False) -> tuple[np.ndarray, int] | None:
    """Loud (speech-like) milliseconds in [lo_ms, hi_ms): 5 ms RMS windows at a 1 ms hop
    against a threshold between the local floor and peak, blips under 20 ms dropped.
    Returns (mask, lo_ms) or None when flat.

    ``low_floor`` (the file has hum or rumble somewhere): the energy above
    :data:`HIGHPASS_HZ` is used instead where speech stands :data:`LOW_FLOOR_GAIN_DB`
    further over its floor there (:func:`_edge_energy`). A 50 Hz hum at -26 dBFS put the
    espeak starts' p90 at 53 ms, 4.5 ms so. Not in general: on ../shared/data's real speech
    the high band's starts came out 5-10 ms later against hand-labelled and aligner truth.

    Short dips (stop closures) are not bridged: :func:`_snap` needs :data:`QUIET_MS` of
    quiet before an onset anyway, and bridging dips under 30 ms put the espeak 10 minutes'
    start p90 at 33 ms (from 4) and a hand-labelled start (praatio mary) 96 ms off (from 25).
    """
    lo_ms = max(0, lo_ms)  # past the file's start there is no floor to measure
    x = _read_span(raw, lo_ms * 16, hi_ms * 16 + 80).astype(np.float64)
    db, floor, peak, _ = _edge_energy(x, low_floor)
    if peak - floor < MIN_SNR_DB:
        return None  # noisy: the decoder's edge is better than an energy guess
    # 6 dB over the floor in most rooms: the weak edges of a line (a fricative onset, a fading
    # vowel) count as sound. At a quarter of the floor-to-peak range the espeak files' ends sat
    # 3-6 ms early on average, p90 17 ms (now 9) on the 10-minute file
    thr = floor + max(6.0, 0.15 * (peak - floor))
    loud = _drop_blips(db > thr, 20)
    return loud[: hi_ms - lo_ms], lo_ms


def _drop_blips(loud: np.ndarray, shorter: int) -> np.ndarray:
    """``loud`` without its runs shorter than ``shorter`` that have quiet on both sides."""
    out = loud.copy()
    for a, b in zip(*true_runs(loud), strict=True):
        if b - a < shorter and a > 0 and b < len(loud):
            out[a:b] = False
    return out


def _snap(
    raw: str,
    t_ms: int,
    back_ms: int,
    fwd_ms: int,
    lo_limit: int,
    offset: bool = False,
    tail: bool = True,
    low_floor: bool = False,
) -> int | None:
    """The speech edge that ``t_ms`` belongs to.

    A start inside loud audio moves back to where that loud stretch began (a long "um"
    whose opening the decoder gave to silence); a start in quiet moves forward to the
    next onset. ``offset`` does the mirror image for ends. ``lo_limit`` bounds the move
    (the previous segment's end, for a start). ``tail`` False: a start inside loud audio is
    inside the line's own first sound (a hum), never the tail of the line before.
    ``low_floor``: see :func:`_loud_runs`.
    """
    pad = max(back_ms, fwd_ms) + 500
    got = _loud_runs(raw, t_ms - pad, t_ms + pad, low_floor)
    if got is None:
        return None
    loud, lo = got
    i = t_ms - lo
    if offset:
        loud = loud[::-1]
        i = len(loud) - 1 - i
    if i < 0 or i >= len(loud):
        return None
    if loud[i] and not offset and tail:
        # the tail of the previous line's last sound: look past it
        r = i
        while r < len(loud) and loud[r] and r - i <= 80:
            r += 1
        if r < len(loud) and not loud[r]:
            i = r
    if loud[i]:
        if back_ms <= 0:
            return None
        j = i
        while j > 0 and loud[j - 1] and i - j < back_ms:
            j -= 1
        if j > 0 and loud[j - 1]:
            return None  # loud all the way back: no edge in reach
        if j < QUIET_MS or loud[j - QUIET_MS : j].any():
            return None
        k = j
    else:
        nxt = np.flatnonzero(loud[i : i + fwd_ms + 1])
        if not len(nxt) and offset and LONG_QUIET_MS:
            # an end well inside a pause (longer than any stop closure): speech ended before it
            far = np.flatnonzero(loud[i : i + 300])
            if len(far) and far[0] >= LONG_QUIET_MS:
                nxt = far
        if not len(nxt):
            return None
        k = i + int(nxt[0])
        if k < QUIET_MS or loud[k - QUIET_MS : k].any():
            return None
    out = lo + (k if not offset else len(loud) - 1 - k + 1)
    if not offset and out < lo_limit:
        return None
    if offset and out > lo_limit:
        return None
    return out




