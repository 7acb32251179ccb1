"""Speech activity from a streamed decode: webrtcvad plus an energy gate over a local noise floor.

One pass over the audio (ffmpeg in a subprocess, 16 kHz mono int16 chunks, memory flat in
the media's length) gives an :class:`ActivityTrack`: per 10 ms frame the raw webrtcvad flag,
the frame level (dBFS), the local noise floor and the final speech flag (webrtcvad *and*
level over the floor by an adaptive gate), plus a 1 ms level envelope kept for edge refinement.
An 8-hour file costs ~3 MB of flags, ~23 MB of float32 levels and ~29 MB of 1 ms envelope.

Stable API (other engines use it; add, do not rename):

- ``frame_activity(path, *, frame_ms=10, mode=2, gate_db=10.0, jobs=1, start=None,
  duration=None, progress=None) -> ActivityTrack``: decode and analyse a media file
  (``jobs`` > 1 decodes its pieces in parallel processes; the pieces, and so the result,
  are the same for any ``jobs``).
- ``activity_from_samples(samples, *, frame_ms=10, mode=2, gate_db=10.0) -> ActivityTrack``:
  the same from int16 samples already in memory (16 kHz mono).
- ``activity_from_raw(raw, *, frame_ms=10, mode=2, gate_db=10.0, jobs=1, progress=None)``:
  the same from a file of raw 16 kHz mono int16 samples (no second decode).
- ``speech_regions(track, min_pause_ms=80, min_speech_ms=0, refine=False) -> list[Span]``: runs of
  speech separated by pauses of at least ``min_pause_ms`` (shorter gaps are bridged).
- ``nearest_onset(track, ms, within=200) -> int | None`` / ``nearest_offset(...)``: the
  speech onset/offset closest to ``ms`` (at most ``within`` away), refined to 1 ms.
- ``refine_onset(track, ms, within=60)`` / ``refine_offset(...)``: move a frame-level edge to
  the 1 ms envelope's crossing of ``floor + edge_db`` (what a listener hears as the edge);
  offsets use ``tail_db`` over a ``tail_win`` ms window, longer and lower in noise, where a
  speech ending decays under the noise.
- ``ActivityTrack.level_db(start, end)``: the 1 ms envelope (dBFS) of a stretch;
  ``ActivityTrack.floor_at(ms)``; ``ActivityTrack.frame(ms)``; ``ActivityTrack.ms(frame)``.

All times are integer milliseconds from the start of the decoded audio (``start`` is added
back when a stretch was decoded).

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> sig = (rng.standard_normal(16000 * 3) * 30).astype(np.int16)           # quiet noise, 3 s
>>> t = np.arange(16000) / 16000
>>> tone = (np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 4 * t)) * 3000).astype(np.int16)
>>> sig[16000:32000] += tone                                                # "speech" 1.0-2.0 s
>>> track = activity_from_samples(sig)
>>> [(s.start // 10, s.end // 10) for s in speech_regions(track, refine=True)]  # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InputError
from .model import MediaInfo, ProgressFn, Span

__all__ = [
    "ActivityTrack",
    "frame_activity",
    "activity_from_samples",
    "activity_from_raw",
    "speech_regions",
    "nearest_onset",
    "nearest_offset",
    "refine_onset",
    "refine_offset",
    "SAMPLE_RATE",
]

SAMPLE_RATE = 16000
_SPMS = SAMPLE_RATE // 1000  # samples a millisecond
#: 1 ms envelope storage: uint8 in half-dB steps, 0 = -127.5 dBFS or less, 255 = 0 dBFS
_FINE_STEP = 0.5
_FINE_BASE = -127.5
_FULL = 32768.0**2
#: frames in one noise-floor block (1 s at 10 ms) and how many blocks either side the floor looks
_BLOCK_S = 1.0
_FLOOR_REACH = 5


@dataclass(frozen=True, slots=True, eq=False)
class ActivityTrack:
    """Speech activity of one audio stream, per frame, with a 1 ms envelope for edges.

    Arrays are numpy: ``speech``/``vad`` bool, ``energy``/``floor``/``gate`` float32 dBFS, one
    entry a frame; ``fine`` uint8 half-dB steps, one a millisecond (see :meth:`level_db`).
    """

    frame_ms: int
    speech: np.ndarray
    vad: np.ndarray
    energy: np.ndarray
    floor: np.ndarray
    gate: np.ndarray
    fine: np.ndarray
    duration: int  # ms of decoded audio
    offset: int = 0  # ms of the media at frame 0 (a decoded stretch)
    edge_db: float = 8.0
    #: offsets: threshold over the floor and level window (ms); in noise a longer window
    #: steadies the level so a lower threshold finds the decay a 5 ms window loses
    tail_db: float = 8.0
    tail_win: int = 5

    @property
    def frames(self) -> int:
        return int(self.speech.shape[0])

    def frame(self, ms: int) -> int:
        """Frame index holding media time ``ms`` (clamped)."""
        return min(max((ms - self.offset) // self.frame_ms, 0), max(self.frames - 1, 0))

    def ms(self, frame: int) -> int:
        """Media time of the start of ``frame``."""
        return self.offset + frame * self.frame_ms

    def floor_at(self, ms: int) -> float:
        return float(self.floor[self.frame(ms)]) if self.frames else _FINE_BASE

    def level_db(self, start: int, end: int) -> np.ndarray:
        """The 1 ms level (dBFS, float32) over media time [start, end), clamped to the track."""
        a = min(max(start - self.offset, 0), self.fine.shape[0])
        b = min(max(end - self.offset, a), self.fine.shape[0])
        return self.fine[a:b].astype(np.float32) * _FINE_STEP + _FINE_BASE

    def speech_ms(self) -> int:
        return int(self.speech.sum()) * self.frame_ms


# --------------------------------------------------------------------------- analysis


def _power_ms(x: np.ndarray) -> np.ndarray:
    """Mean power of each whole millisecond of int16 samples (float64, full scale = 1)."""
    n = x.shape[0] // _SPMS
    if n == 0:
        return np.zeros(0)
    y = x[: n * _SPMS].astype(np.float32, copy=False).reshape(n, _SPMS)
    power: np.ndarray = np.einsum("ij,ij->i", y, y, dtype=np.float64) / (_SPMS * _FULL)
    return power


#: levels are measured after a first-order high-pass (pre-emphasis): hum, rumble, pink
#: noise and a music bed keep most of their power below the speech formants
EMPHASIS = 0.0


def _emphasis(x: np.ndarray, prev: int) -> np.ndarray:
    y = x.astype(np.float32)
    out = np.empty_like(y)
    out[0] = y[0] - EMPHASIS * prev
    out[1:] = y[1:] - EMPHASIS * y[:-1]
    return out


def _to_db(p: np.ndarray) -> np.ndarray:
    return (10.0 * np.log10(p + 1e-13)).astype(np.float32)


@dataclass(slots=True)
class _Piece:
    vad: np.ndarray
    energy: np.ndarray
    fine: np.ndarray
    samples: int


def _analyse_chunks(chunks: Iterable[np.ndarray], frame_ms: int, mode: int, progress: ProgressFn | None = None, total_ms: int = 0) -> _Piece:
    """webrtcvad flags, frame levels and the 1 ms envelope of a stream of int16 chunks."""
    import webrtcvad

    vad = webrtcvad.Vad(mode)
    fbytes = frame_ms * _SPMS * 2
    flags: list[np.ndarray] = []
    energies: list[np.ndarray] = []
    fines: list[np.ndarray] = []
    carry = np.zeros(0, dtype=np.int16)
    samples = 0
    prev = 0
    for chunk in chunks:
        samples += chunk.shape[0]
        x = np.concatenate([carry, chunk]) if carry.shape[0] else chunk
        nf = x.shape[0] // (frame_ms * _SPMS)
        use = nf * frame_ms * _SPMS
        carry = x[use:].copy()
        x = x[:use]
        if nf == 0:
            continue
        p = _power_ms(_emphasis(x, prev) if EMPHASIS else x)
        prev = int(x[-1])
        fines.append(_fine_codes(p))
        energies.append(_to_db(p.reshape(nf, frame_ms).mean(axis=1)))
        b = x.tobytes()
        is_speech = vad.is_speech
        flags.append(np.fromiter((is_speech(b[i : i + fbytes], SAMPLE_RATE) for i in range(0, nf * fbytes, fbytes)), dtype=bool, count=nf))
        if progress is not None:
            progress("speech activity", samples // _SPMS, total_ms)
    if carry.shape[0] >= _SPMS:  # a last partial frame: envelope and level only, no VAD call
        p = _power_ms(carry)
        fines.append(_fine_codes(p))
        energies.append(_to_db(np.array([p.mean()])))
        flags.append(np.zeros(1, dtype=bool))

    def cat(parts: list[np.ndarray], dt: type) -> np.ndarray:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dt)

    return _Piece(cat(flags, bool), cat(energies, np.float32), cat(fines, np.uint8), samples)


def _fine_codes(p: np.ndarray) -> np.ndarray:
    db = 10.0 * np.log10(p + 1e-13)
    codes: np.ndarray = np.clip(np.rint((db - _FINE_BASE) / _FINE_STEP), 0, 255).astype(np.uint8)
    return codes


def _block_stat(energy: np.ndarray, per_block: int, *qs: float) -> list[np.ndarray]:
    """Percentiles ``qs`` of each block of ``per_block`` frames, NaN frames left out (NaN
    for a block with none left): ``np.nanpercentile(..., axis=1)`` done on one sort of all
    blocks, as that runs a Python-level loop per block (1.5 s an hour); the same values."""
    nb = max(1, math.ceil(energy.shape[0] / per_block))
    pad = nb * per_block - energy.shape[0]
    e = np.concatenate([energy, np.full(pad, np.nan, dtype=np.float32)]) if pad else energy
    s = np.sort(e.reshape(nb, per_block), axis=1)  # NaN sorts last
    n = per_block - np.count_nonzero(np.isnan(s), axis=1)
    rows = np.arange(nb)
    out: list[np.ndarray] = []
    for q in qs:
        # numpy's "linear" method step for step, so the float rounding matches too: index
        # (n - 1) q, interpolated from the nearer neighbour, in the data's float32
        vi = (n - 1) * (q / 100)
        lo = np.floor(vi)
        gamma = vi - lo
        i0 = np.clip(lo.astype(np.intp), 0, per_block - 1)
        i1 = np.clip(np.minimum(lo.astype(np.intp) + 1, n - 1), 0, per_block - 1)
        a, b = s[rows, i0], s[rows, i1]
        d = b - a
        up = b - d * (1 - gamma).astype(s.dtype)
        v = np.where(gamma >= 0.5, up, a + d * gamma.astype(s.dtype))
        out.append(np.where(n > 0, v, np.nan).astype(np.float32))
    return out


def _sliding(a: np.ndarray, reach: int, fn: str) -> np.ndarray:
    if a.shape[0] == 0:
        return a
    padded = np.pad(a, reach, mode="edge")
    win = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1)
    out: np.ndarray = (win.min(axis=1) if fn == "min" else win.max(axis=1)).astype(np.float32)
    return out


def _finish(piece: _Piece, frame_ms: int, gate_db: float, offset: int) -> ActivityTrack:
    """Local floor, adaptive gate and final speech flags from the raw per-frame analysis."""
    energy = piece.energy
    n = energy.shape[0]
    per_block = max(1, int(_BLOCK_S * 1000 / frame_ms))
    if n:
        # floor: the quiet tenth of each second, the lowest of those over +-5 s (there is
        # almost always a pause in 11 s); level: the loud tenth, the highest over +-5 s
        q10, q90e = _block_stat(energy, per_block, 10, 90)
        lo = _sliding(q10, _FLOOR_REACH, "min")
        # the gate sits just over the loud end of what webrtcvad calls non-speech nearby
        # (steady noise: a few dB over the floor; a music bed or babble: more), at least
        # 3 dB and at most gate_db over the floor
        quiet = np.where(piece.vad, np.nan, energy).astype(np.float32)
        (q90,) = _block_stat(quiet, per_block, 90)
        ok = np.isfinite(q90)
        if ok.any():
            q90 = np.interp(np.arange(q90.shape[0]), np.flatnonzero(ok), q90[ok]).astype(np.float32)
        else:
            q90 = lo + gate_db
        q90 = _sliding(q90, 2, "max")
        g = np.clip(q90 + 1.0, lo + 3.0, lo + gate_db)
        floor = np.repeat(lo, per_block)[:n]
        gate = np.repeat(g, per_block)[:n]
        # edges: 8 dB over the floor in clean audio; in noise (speech under 20 dB over the
        # floor) 6 dB, or soft endings drown and ends come out early
        hi = _sliding(q90e, _FLOOR_REACH, "max")
        snr = float(np.median(hi - lo))
        edge_db = float(np.clip(6.0 + (snr - 20.0) / 5.0, 6.0, 8.0))
        # a speech ending decays into the noise: at 20 dB or less a 20 ms window at 4 dB
        # over the floor follows it (noisy benchmark: end p90 197 -> 169 ms); clean audio
        # keeps the sharp 5 ms window at 8 dB
        t = float(np.clip((snr - 20.0) / 10.0, 0.0, 1.0))
        tail_db = 4.0 + 4.0 * t
        tail_win = int(round(20 - 15 * t))
    else:
        floor = gate = np.zeros(0, dtype=np.float32)
        edge_db = tail_db = 8.0
        tail_win = 5
    speech = piece.vad & (energy >= gate)
    return ActivityTrack(
        frame_ms=frame_ms,
        speech=speech,
        vad=piece.vad,
        energy=energy,
        floor=floor.astype(np.float32),
        gate=gate.astype(np.float32),
        fine=piece.fine,
        duration=piece.samples // _SPMS,
        offset=offset,
        edge_db=edge_db,
        tail_db=tail_db,
        tail_win=tail_win,
    )


def activity_from_samples(samples: np.ndarray, *, frame_ms: int = 10, mode: int = 2, gate_db: float = 10.0, offset: int = 0) -> ActivityTrack:
    """Activity of 16 kHz mono int16 ``samples`` already in memory (tests, short clips), in
    the same pieces as the other entry points (:func:`_piece_bounds`): the same flags."""
    _check(frame_ms, mode)
    x = np.asarray(samples)
    if x.dtype != np.int16:
        x = np.clip(np.rint(x), -32768, 32767).astype(np.int16)
    step, bounds = _piece_bounds(x.shape[0] // _SPMS)

    def worker(k: int, *_: Any) -> _Piece:
        a = bounds[k] * _SPMS
        b = x.shape[0] if k == len(bounds) - 1 else a + step * _SPMS
        return _analyse_chunks((x[i : min(i + SAMPLE_RATE * 30, b)] for i in range(a, b, SAMPLE_RATE * 30)), frame_ms, mode)

    return _finish(_run_pieces(worker, range(len(bounds)), 1, step, x.shape[0] // _SPMS, frame_ms, None), frame_ms, gate_db, offset)


def _check(frame_ms: int, mode: int) -> None:
    if frame_ms not in (10, 20, 30):
        raise InputError(f"frame_ms must be 10, 20 or 30 (webrtcvad frames), got {frame_ms}")
    if mode not in (0, 1, 2, 3):
        raise InputError(f"VAD mode must be 0-3, got {mode}")


def _piece_worker(args: tuple[str, int, int | None, int, int, int], progress: ProgressFn | None = None, total_ms: int = 0) -> _Piece:
    from .media import iter_audio

    path, start, dur, frame_ms, mode, track = args
    return _analyse_chunks(iter_audio(path, start=start or None, duration=dur, track=track), frame_ms, mode, progress, total_ms)


def frame_activity(
    path: str | os.PathLike[str] | MediaInfo,
    *,
    frame_ms: int = 10,
    mode: int = 2,
    gate_db: float = 10.0,
    jobs: int = 1,
    start: int | None = None,
    duration: int | None = None,
    media_duration: int | None = None,
    progress: ProgressFn | None = None,
) -> ActivityTrack:
    """Decode ``path`` (a file's first audio track, or a probed MediaInfo's chosen one)
    and analyse its speech activity.

    Args:
        frame_ms: webrtcvad frame (10, 20 or 30 ms).
        mode: webrtcvad aggressiveness 0-3 (2: a balance that keeps soft speech).
        gate_db: most the frame level must exceed the local noise floor to count as speech.
        jobs: processes decoding pieces in parallel. The pieces (:func:`_piece_bounds`, cut
            by the media's duration: given as ``media_duration`` or probed) are the same for
            any ``jobs``, and so is the result.
        start, duration: analyse only that stretch (ms); times stay media times.
        progress: ``(label, done_ms, total_ms)`` callback.

    Raises:
        MediaError: ffmpeg could not decode the file.
    """
    from .media import audio_source, iter_audio, probe

    _check(frame_ms, mode)
    src, track = audio_source(path)
    offset = start or 0
    to_end = duration is None
    if duration is None:
        full = media_duration if media_duration is not None else probe(src).duration
        duration = max(full - offset, 0) if full else None
    if not duration:
        piece = _analyse_chunks(iter_audio(path, start=start, duration=None), frame_ms, mode, progress, 0)
        return _finish(piece, frame_ms, gate_db, offset)
    # pieces of whole seconds so frames line up; the last piece of a whole-file run reads to
    # the end (containers often hold a few ms more than their stated duration)
    step, bounds = _piece_bounds(duration)
    tasks: list[tuple[str, int, int | None, int, int, int]] = []
    for k, a in enumerate(bounds):
        last = k == len(bounds) - 1
        dur: int | None = step
        if last:
            dur = None if to_end else duration - a
        tasks.append((src, offset + a, dur, frame_ms, mode, track))
    return _finish(_run_pieces(_piece_worker, tasks, jobs, step, duration, frame_ms, progress), frame_ms, gate_db, offset)


def activity_from_raw(
    raw: str | os.PathLike[str],
    *,
    frame_ms: int = 10,
    mode: int = 2,
    gate_db: float = 10.0,
    jobs: int = 1,
    progress: ProgressFn | None = None,
) -> ActivityTrack:
    """The same as :func:`frame_activity` from a file of raw 16 kHz mono int16 samples (the
    speech engine's decoded copy): no second decode, and pieces cut at exact samples."""
    _check(frame_ms, mode)
    n = os.path.getsize(raw) // 2
    if n == 0:
        return activity_from_samples(np.zeros(0, dtype=np.int16), frame_ms=frame_ms, mode=mode, gate_db=gate_db)
    duration = n // _SPMS
    step, bounds = _piece_bounds(duration)
    tasks = [(os.fspath(raw), a, None if k == len(bounds) - 1 else step, frame_ms, mode) for k, a in enumerate(bounds)]
    return _finish(_run_pieces(_raw_piece_worker, tasks, jobs, step, duration, frame_ms, progress), frame_ms, gate_db, 0)


def _raw_piece_worker(args: tuple[str, int, int | None, int, int], progress: ProgressFn | None = None, total_ms: int = 0) -> _Piece:
    raw, start, dur, frame_ms, mode = args

    def chunks() -> Iterator[np.ndarray]:
        # plain reads, not a memory map: mapped pages would count in the worker's memory
        left = -1 if dur is None else dur * _SPMS
        with open(raw, "rb") as f:
            f.seek(start * _SPMS * 2)
            while left:
                n = SAMPLE_RATE * 30 if left < 0 else min(left, SAMPLE_RATE * 30)
                x = np.frombuffer(f.read(n * 2), dtype=np.int16)
                if not x.shape[0]:
                    return
                left = left - x.shape[0] if left > 0 else left
                yield x

    return _analyse_chunks(chunks(), frame_ms, mode, progress, total_ms)


#: the activity pass is cut into at most this many pieces of at least :data:`PIECE_MIN_MS`,
#: whatever the number of workers: webrtcvad adapts to what it has heard, so a piece's flags
#: depend on where it starts, and pieces that followed ``--jobs`` gave another result for each
#: (an 89 s music-bed case: 0 lines laid on the activity engine's times with 2 workers, 8 with 1)
PIECES = 8
PIECE_MIN_MS = 60_000


def _piece_bounds(duration: int) -> tuple[int, list[int]]:
    """Piece length (whole seconds, so frames line up) and piece starts (ms) of ``duration``
    ms of audio; the last piece runs to the end (the remainder joins it: a piece of a few
    hundred ms starts a detector that has heard nothing)."""
    n = max(1, min(PIECES, duration // PIECE_MIN_MS))
    step = max(1000, duration // n // 1000 * 1000)
    return step, [k * step for k in range(n)]


def _run_pieces(
    worker: Callable[..., _Piece], tasks: Sequence[Any], jobs: int, step: int, duration: int, frame_ms: int,
    progress: ProgressFn | None,
) -> _Piece:  # fmt: skip
    """Analyse pieces in ``jobs`` processes, or here with one (a daemonic process, a Dask
    worker's, may not start others), and join them (each but the last fitted to its frames)."""
    if len(tasks) == 1:
        return worker(tasks[0], progress, duration)  # progress as it goes
    parts: list[_Piece] = []
    with ExitStack() as stack:
        if jobs > 1:
            ex = stack.enter_context(ProcessPoolExecutor(max_workers=min(jobs, len(tasks))))
            done: Iterable[_Piece] = ex.map(worker, tasks)
        else:
            done = map(worker, tasks)
        for k, piece in enumerate(done):
            if k < len(tasks) - 1:  # a piece decoded a hair long or short: cut or pad to its frames
                piece = _fit(piece, step // frame_ms, frame_ms)
            parts.append(piece)
            if progress is not None:
                progress("speech activity", min((k + 1) * step, duration), duration)
    merged = _Piece(
        np.concatenate([p.vad for p in parts]),
        np.concatenate([p.energy for p in parts]),
        np.concatenate([p.fine for p in parts]),
        sum(p.samples for p in parts),
    )
    merged.samples = merged.fine.shape[0] * _SPMS
    return merged


def _fit(p: _Piece, frames: int, frame_ms: int) -> _Piece:
    def fit(a: np.ndarray, n: int, fill: float | bool | int) -> np.ndarray:
        if a.shape[0] >= n:
            return a[:n]
        return np.concatenate([a, np.full(n - a.shape[0], fill, dtype=a.dtype)])

    return _Piece(
        fit(p.vad, frames, False),
        fit(p.energy, frames, float(p.energy[-1]) if p.energy.shape[0] else -130.0),
        fit(p.fine, frames * frame_ms, 0),
        frames * frame_ms * _SPMS,
    )


# --------------------------------------------------------------------------- regions and edges


def true_runs(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) frame indices of the True runs of ``flags``."""
    if flags.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    d = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def region_frames(track: ActivityTrack, min_pause_ms: int = 80, min_speech_ms: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Frame-index runs of speech with gaps shorter than ``min_pause_ms`` bridged.

    Runs shorter than ``min_speech_ms`` (clicks) are dropped before bridging.
    """
    s, e = true_runs(track.speech)
    if min_speech_ms > 0 and s.shape[0]:
        keep = (e - s) * track.frame_ms >= min_speech_ms
        s, e = s[keep], e[keep]
    if s.shape[0] <= 1:
        return s, e
    gap_frames = max(1, math.ceil(min_pause_ms / track.frame_ms))
    gaps = s[1:] - e[:-1]
    brk = np.flatnonzero(gaps >= gap_frames)
    starts = np.concatenate([s[:1], s[brk + 1]])
    ends = np.concatenate([e[brk], e[-1:]])
    return starts, ends


def speech_regions(track: ActivityTrack, min_pause_ms: int = 80, min_speech_ms: int = 0, refine: bool = False) -> list[Span]:
    """Speech runs (media ms) separated by pauses of at least ``min_pause_ms``.

    With ``refine`` each edge moves to the 1 ms envelope crossing (see :func:`refine_onset`),
    never past the neighbouring region.
    """
    s, e = region_frames(track, min_pause_ms, min_speech_ms)
    out: list[Span] = []
    prev_end = track.offset
    for k in range(s.shape[0]):
        a, b = track.ms(int(s[k])), track.ms(int(e[k]))
        if refine:
            nxt = track.ms(int(s[k + 1])) if k + 1 < s.shape[0] else track.offset + track.duration
            a = max(refine_onset(track, a), prev_end)
            b = min(refine_offset(track, b), nxt)
            b = max(a, b)
        out.append(Span(a, b))
        prev_end = b
    return out


def _window_db(track: ActivityTrack, a: int, b: int, win: int = 5) -> tuple[np.ndarray, int]:
    """Level of ``win`` ms windows starting at each ms in [a, b) (media ms), and the first ms."""
    a = max(a, track.offset)
    lv = track.level_db(a, b + win)
    if lv.shape[0] < win:
        return np.zeros(0, dtype=np.float32), a
    p = np.power(10.0, lv / 10.0)
    c = np.concatenate([[0.0], np.cumsum(p)])
    w = (c[win:] - c[:-win]) / win
    return (10.0 * np.log10(w + 1e-13)).astype(np.float32), a


def refine_onset(track: ActivityTrack, ms: int, within: int = 60, bridge: int = 10) -> int:
    """Move a frame-level onset to where the 5 ms level first crosses ``floor + edge_db``.

    Walks back from ``ms`` over level above the threshold (bridging dips up to ``bridge`` ms,
    as in a stop consonant's closure), at most ``within`` ms; if the level at ``ms`` is
    still under the threshold, walks forward to the first crossing instead.
    """
    thr = track.floor_at(ms) + track.edge_db
    lv, a = _window_db(track, ms - within, ms + within)
    if lv.shape[0] == 0:
        return ms
    i = ms - a
    above = lv >= thr
    if i >= above.shape[0]:
        return ms
    if not above[i]:
        nz = np.flatnonzero(above[i:])
        return ms + int(nz[0]) if nz.shape[0] else ms
    # earliest j <= i such that no gap of more than `bridge` ms under the threshold lies in [j, i]
    j = i
    k = i
    while k > 0:
        k -= 1
        if above[k]:
            j = k
        elif j - k > bridge:
            break
    return a + j


def refine_offset(track: ActivityTrack, ms: int, within: int = 60, bridge: int = 10, win: int | None = None) -> int:
    """Move a frame-level offset (exclusive) to the end of the last window over ``floor + tail_db``.

    The window is ``track.tail_win`` ms unless ``win`` is given (5 ms in clean audio,
    up to 20 ms in noise).
    """
    win = track.tail_win if win is None else win
    thr = track.floor_at(ms) + track.tail_db
    lv, a = _window_db(track, ms - within, ms + within, win)
    if lv.shape[0] == 0:
        return ms
    i = ms - 1 - a - (win - 1)  # the window ending at ms
    above = lv >= thr
    n = above.shape[0]
    if i < 0 or i >= n:
        return ms
    if not above[i]:
        nz = np.flatnonzero(above[: i + 1])
        return a + int(nz[-1]) + win if nz.shape[0] else ms
    j = i
    k = i
    while k < n - 1:
        k += 1
        if above[k]:
            j = k
        elif k - j > bridge:
            break
    return a + j + win


def _edges(track: ActivityTrack, onset: bool) -> np.ndarray:
    s, e = region_frames(track)
    return (s if onset else e) * track.frame_ms + track.offset


def nearest_onset(track: ActivityTrack, ms: int, within: int = 200) -> int | None:
    """The speech onset (after a pause of >= 80 ms) nearest ``ms``, refined to 1 ms; None if none within."""
    return _nearest(track, ms, within, True)


def nearest_offset(track: ActivityTrack, ms: int, within: int = 200) -> int | None:
    """The speech offset (before a pause of >= 80 ms) nearest ``ms``, refined to 1 ms; None if none within."""
    return _nearest(track, ms, within, False)


def _nearest(track: ActivityTrack, ms: int, within: int, onset: bool) -> int | None:
    # only the frames near ms are looked at, so this is cheap on an 8-hour track
    lo = track.frame(ms - within - 200)
    hi = track.frame(ms + within + 200) + 1
    sub = ActivityTrack(
        track.frame_ms, track.speech[lo:hi], track.vad[lo:hi], track.energy[lo:hi], track.floor[lo:hi], track.gate[lo:hi],
        track.fine, track.duration, track.offset, track.edge_db, track.tail_db, track.tail_win,
    )
    s, e = region_frames(sub)
    cand = ((s if onset else e) + lo) * track.frame_ms + track.offset
    # a run cut by the window's edge is not an edge of speech
    if onset:
        cand = cand[(s > 0) | (lo == 0)]
    else:
        cand = cand[(e < hi - lo) | (hi >= track.frames)]
    if cand.shape[0] == 0:
        return None
    best = int(cand[np.argmin(np.abs(cand - ms))])
    best = refine_onset(track, best) if onset else refine_offset(track, best)
    return best if abs(best - ms) <= within else None


def iter_frames(track: ActivityTrack) -> Iterator[tuple[int, bool, float]]:
    """(ms, speech, level dB) per frame; for inspection and tests."""
    for i in range(track.frames):
        yield track.ms(i), bool(track.speech[i]), float(track.energy[i])
