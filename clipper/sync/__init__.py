"""Re-time an existing subtitle file (SRT, WebVTT, ASS/SSA) to its media: ``clipper sync``.

Only the times change: :mod:`clipper.sync.subfile` rewrites the time fields in place and
leaves every other byte of the file as it was (styling, line breaks, numbering, cue
identifiers and settings, comments, the byte order mark).

Modes:

- ``offset``: one constant shift, from speech activity (:mod:`clipper.sync.fit`).
- ``drift`` (default): a shift and a linear scale (a file timed for another frame rate,
  25 vs 23.976 fps), from speech activity.
- ``full``: the drift fit first, then each cue's text is aligned with the speech engine
  (one alignment segment a cue). A cue the engine places with confidence (>= 0.5), in
  agreement with its neighbours, starts where its first word is heard and keeps its
  length; a cue it does not place, or places against its neighbours, moves with them
  (their median shift); with no confident neighbour it keeps the drift time. Counted.
- a known shift and scale (``offset=``/``scale=``), applied without looking at the media.

A fit whose best offset does not stand clearly above the rest (``score`` under
:data:`MIN_SCORE`: subtitles of another recording, another cut) is refused with
:class:`~clipper.errors.MismatchError` (exit 2) and the measured score, unless ``force``.
"""

from __future__ import annotations

import bisect
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, MismatchError
from ..model import MediaInfo, ProgressFn
from ..timecode import format_clock
from .fit import FRAME_RATE_SCALES, Fit, Part, fit_timing, parts
from .subfile import Cue, SubtitleFile, TimeField, format_of, read

__all__ = ["MODES", "MIN_SCORE", "PART_MAX_MS", "SyncResult", "sync", "scale_name", "parse_scale"]

MODES = ("offset", "drift", "full")

#: the least fit score accepted without ``force``. Measured (docs/sync.md, ``bench_sync.py
#: --calibrate``): subtitles of another recording of the same kind of speech score at most
#: 5.78 against 10-minute and 1-hour media (875 pairs, 8-1000 cues, drift mode); the
#: subtitles of the media itself 6-8 with 8 cues, 8-10 with 15, 24-28 with 100 (18-23 at
#: 3 dB SNR), 48 for a whole 10-minute video
MIN_SCORE = 6.5

#: a part of the file (see :func:`clipper.sync.fit.parts`) that sits further than this from
#: the fit, and clearly (part score at least PART_MIN_SCORE), makes the timing non-linear:
#: offset and drift modes refuse it (--mode full follows it). Linear timings measured
#: here sit within 15 ms; the check needs PART_MIN_CUES spoken cues
PART_MAX_MS = 300
PART_MIN_SCORE = 5.0
PART_MIN_CUES = 20

#: full mode takes the speech engine's start for a cue placed at least this confidently
#: (0.5: within 500 ms of the truth, as the engine promises) ...
FULL_MIN_CONFIDENCE = 0.5
#: ... and when it agrees within this many ms with the median shift of the cues up to
#: FULL_NEIGHBOURS either side (measured on the 10-minute video: the engine's starts are
#: within 10 ms of the truth for most cues and off by 100-400 ms for a few)
FULL_AGREE_MS = 200
FULL_NEIGHBOURS = 3

_NAMED_SCALES = {
    "25/23.976": 25 / (24000 / 1001),
    "23.976/25": (24000 / 1001) / 25,
    "24/23.976": 24 / (24000 / 1001),
    "23.976/24": (24000 / 1001) / 24,
    "25/24": 25 / 24,
    "24/25": 24 / 25,
}


def scale_name(scale: float) -> str | None:
    """The frame-rate ratio ``scale`` is (within 0.01%), e.g. ``25/23.976``; None if none.

    >>> scale_name(25 / 23.976), scale_name(1.0), scale_name(1.003)
    ('25/23.976', None, None)
    """
    for name, v in _NAMED_SCALES.items():
        if abs(scale / v - 1) < 1e-4:
            return name
    return None


def parse_scale(text: str) -> float:
    """A scale as a number (``1.0427``) or a ratio (``25/23.976``, ``24000/1001/25`` is not).

    >>> round(parse_scale("25/23.976"), 6), parse_scale("1.5")
    (1.042709, 1.5)
    """
    try:
        if "/" in text:
            a, b = text.split("/")
            v = float(a) / float(b)
        else:
            v = float(text)
    except (ValueError, ZeroDivisionError):
        raise InputError(f"⟨--scale⟩ {text!r}: give a number (1.0427) or a ratio (25/23.976)") from None
    if not 0.5 <= v <= 2.0:
        raise InputError(f"⟨--scale⟩ {text}: {v:g} is not a plausible scale; give one between 0.5 and 2")
    return v


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What ``clipper sync`` did (``--json`` prints :meth:`to_dict`)."""

    subtitles: str
    output: str | None
    format: str
    mode: str  # offset, drift, full or manual
    offset_ms: int
    scale: float
    scale_name: str | None
    #: how clearly the fit stands out (None: manual, nothing measured); see MIN_SCORE
    score: float | None
    min_score: float
    #: share of the re-timed cue time that falls on speech (None: manual)
    speech_overlap: float | None
    cues: int
    speech_cues: int  # cues that held spoken words: the evidence
    clamped: int  # cues with a time moved into [0, media duration]
    forced: bool  # written despite a score under min_score
    #: the cues fitted in parts alone: each part's first cue, its residual (ms from the
    #: fit) and score; empty when not measured (manual, or under PART_MIN_CUES cues)
    parts: tuple[dict[str, Any], ...]
    #: False when a part sits clearly off the fit: one offset and scale do not hold
    linear: bool | None
    #: full mode: aligned (own engine time), neighbours (their median shift), kept (the
    #: drift time), trimmed (cut short where a moved cue ran into the next)
    full: dict[str, int] | None
    media_duration_ms: int | None
    wall_s: float
    warnings: tuple[str, ...] = ()
    #: the re-timed (start, end) of every cue, in file order
    times: tuple[tuple[int, int], ...] = field(default=(), repr=False)

    def to_dict(self, with_times: bool = False) -> dict[str, Any]:
        d = asdict(self)
        d["warnings"] = list(self.warnings)
        if not with_times:
            d.pop("times")
        else:
            d["times"] = [list(t) for t in self.times]
        return d


def _spoken(cue: Cue, fmt: str) -> bool:
    """The cue holds words someone says (not only a note such as [music] or a ♪ line)."""
    from ..read.clean import clean_text
    from ..text import spoken_tokens

    return cue.shown and cue.end.ms > cue.start.ms and bool(spoken_tokens(clean_text(_plain(cue.text, fmt))))


def _plain(text: str, fmt: str) -> str:
    """A cue's text without ASS line-break codes (clean_text drops tags and {\\...} blocks)."""
    if fmt in ("ass", "ssa"):
        text = text.replace("\\N", " ").replace("\\n", " ").replace("\\h", " ")
    return text.replace("\n", " ")


def _check_output(subs: str | os.PathLike[str], output: str | os.PathLike[str] | None, force: bool) -> str:
    fmt = format_of(subs)
    if output is not None:
        out_fmt = format_of(output)
        if out_fmt != fmt:
            raise InputError(
                f"{output}: the output must be {fmt.upper()} like {Path(subs).name} (sync changes times, not formats); "
                f"name it {Path(output).with_suffix(Path(subs).suffix).name}"
            )
        from ..io import check_writable

        check_writable(output, force)
    return fmt


def sync(
    subs: str | os.PathLike[str],
    media: str | os.PathLike[str] | MediaInfo | None,
    output: str | os.PathLike[str] | None = None,
    *,
    mode: str = "drift",
    offset: int | None = None,
    scale: float | None = None,
    force: bool = False,
    min_score: float = MIN_SCORE,
    max_offset: int | None = None,
    jobs: int = 1,
    audio_track: int = 0,
    encoding: str | None = None,
    progress: ProgressFn | None = None,
) -> SyncResult:
    """Re-time the subtitle file ``subs`` to ``media`` and write it to ``output``.

    Args:
        subs: an SRT, WebVTT (.vtt) or ASS/SSA file.
        media: the audio or video it belongs to (a path, or a probed :class:`MediaInfo`,
            whose ``audio_track`` is then the one listened to); may be None with a known
            ``offset``/``scale``.
        output: where to write (same format as ``subs``); None: only measure.
        mode: ``offset``, ``drift`` or ``full`` (see the module docstring).
        offset, scale: a known shift (ms) and scale (new = old * scale + offset): applied
            as given, the media not analysed.
        force: replace an existing ``output``; write a fit scoring under ``min_score``.
        max_offset: largest shift (ms) the fit may choose; None: any that keeps half the
            cues on the media.
        jobs: processes decoding the audio (and aligning, in full mode).
        audio_track: which audio stream of ``media`` to listen to (0: the first).
        encoding: the text encoding of ``subs`` when it has no BOM and is not UTF-8.
        progress: a ``(label, done, total)`` callback.

    Raises:
        InputError: bad subtitles, media, options, or an existing ``output``.
        MismatchError: the fit's score is under ``min_score`` (without ``force``).
    """
    t0 = time.perf_counter()
    if mode not in MODES:
        raise InputError(f"⟨--mode⟩ {mode!r}: choose one of {', '.join(MODES)}")
    manual = offset is not None or scale is not None
    if manual and mode == "full":
        raise InputError("⟨--offset⟩/⟨--scale⟩ apply a known shift; ⟨--mode⟩ full measures one: give one or the other")
    if jobs < 1:
        raise InputError(f"⟨--jobs⟩ {jobs}: give 1 or more worker processes")
    if audio_track < 0:
        raise InputError(f"⟨--audio-track⟩ {audio_track}: give 0 or more (0 is the first audio track)")
    if scale is not None and not 0.5 <= scale <= 2.0:
        raise InputError(f"⟨--scale⟩ {scale:g}: not a plausible scale; give one between 0.5 and 2")
    if not manual and media is None:
        raise InputError("no media: give the media file the subtitles belong to, or a known ⟨--offset⟩")
    fmt = _check_output(subs, output, force)
    sub = read(subs, encoding)
    info = _probe(media, audio_track) if media is not None else None
    evidence = [k for k, c in enumerate(sub.cues) if _spoken(c, fmt)]
    warnings: list[str] = []
    full_stats: dict[str, int] | None = None
    part_list: list[Part] = []
    linear: bool | None = None
    deltas: dict[int, int] = {}
    overlap: float | None = None
    score: float | None = None
    forced = False
    if manual:
        fit = Fit(offset or 0, 1.0 if scale is None else scale, 0.0, 0.0, 0)
        used_mode = "manual"
    else:
        assert info is not None
        fit, speech = _fit(sub, evidence, info, mode, max_offset, jobs, progress)
        score, overlap = fit.score, fit.overlap
        if fit.score < min_score:
            if not force:
                raise MismatchError(
                    f"{subs}: the cues do not clearly fit the speech in {Path(info.path).name} (fit score {fit.score:.1f}, "
                    f"need {min_score:g}): subtitles of another recording or another cut? "
                    f"⟨--force⟩ writes the best guess (offset {fit.offset:+d} ms, scale {fit.scale:.6f})",
                    share=fit.score,
                    threshold=min_score,
                    what="subtitles",
                )
            forced = True
            warnings.append(f"forced: fit score {fit.score:.1f} is under {min_score:g}; the times may be wrong")
        used_mode = mode
        cue_ms = [(sub.cues[k].start.ms, sub.cues[k].end.ms) for k in evidence]
        if len(evidence) >= PART_MIN_CUES:
            part_list = parts(speech, cue_ms, fit)
            off = [p for p in part_list if abs(p.residual) > PART_MAX_MS and p.score >= PART_MIN_SCORE]
            linear = not off
            if off and mode != "full":
                worst = max(off, key=lambda p: abs(p.residual))
                where = (f"cues {evidence[worst.first] + 1}-{evidence[worst.last] + 1} (from {format_clock(max(0, worst.start + worst.residual))}) "
                         f"sit {worst.residual / 1000:+.1f} s off it")  # fmt: skip
                if not force:
                    raise MismatchError(
                        f"{subs}: one offset and scale do not fit the whole file: {where}, {len(off)} of {len(part_list)} "
                        f"parts so (an edit, a cut or a pause in the media?); ⟨--mode⟩ full re-aligns each cue; "
                        f"⟨--force⟩ writes the best single fit (offset {fit.offset:+d} ms, scale {fit.scale:.6f})",
                        share=abs(worst.residual) / 1000,
                        threshold=PART_MAX_MS / 1000,
                        what="subtitle timing",
                    )
                forced = True
                warnings.append(f"forced: the timing is not linear ({where}); --mode full would follow it")
        if mode == "full":
            deltas, full_stats, more = _full(sub, evidence, info, fit, jobs, progress)
            warnings += more
    duration = info.duration if info is not None else None
    new, times, clamped = _retime(sub, fit, deltas, duration)
    if full_stats is not None:
        full_stats["trimmed"] = _trim_overlaps(sub, new, times)
    if output is not None:
        from ..io import atomic_path

        data = sub.render(new)
        with atomic_path(output, force) as tmp:
            tmp.write_bytes(data)
    return SyncResult(
        subtitles=str(subs),
        output=None if output is None else str(output),
        format=fmt,
        mode=used_mode,
        offset_ms=fit.offset,
        scale=round(fit.scale, 7),
        scale_name=scale_name(fit.scale),
        score=score,
        min_score=min_score,
        speech_overlap=overlap,
        cues=len(sub.cues),
        speech_cues=len(evidence),
        clamped=clamped,
        forced=forced,
        parts=tuple({"first_cue": evidence[p.first] + 1, "start_ms": max(0, p.start), "residual_ms": p.residual, "score": p.score} for p in part_list),
        linear=linear,
        full=full_stats,
        media_duration_ms=duration,
        wall_s=round(time.perf_counter() - t0, 3),
        warnings=tuple(warnings),
        times=tuple(times),
    )


def _probe(media: str | os.PathLike[str] | MediaInfo, audio_track: int) -> MediaInfo:
    from ..media import probe

    if isinstance(media, MediaInfo):
        return media
    p = Path(media)
    if p.suffix.lower() in (".srt", ".vtt", ".ass", ".ssa"):
        raise InputError(f"{p}: is a subtitle file; give the media (audio or video) second: clipper sync SUBS MEDIA ⟨-o⟩ OUT")
    info = probe(p, audio_track) if audio_track else probe(p)
    if not info.has_audio:
        raise InputError(f"{p}: no audio stream; sync listens to the speech, so it needs the media's audio")
    if info.duration <= 0:
        raise InputError(f"{p}: the media has no duration; give a media file with audio")
    return info


def _fit(
    sub: SubtitleFile, evidence: list[int], info: MediaInfo, mode: str, max_offset: int | None, jobs: int, progress: ProgressFn | None
) -> tuple[Fit, Any]:
    from ..vad import frame_activity

    if len(evidence) < 3:
        raise InputError(
            f"{sub.path}: {len(evidence)} cue(s) with spoken words; a fit needs at least 3 (give a known ⟨--offset⟩ instead)"
        )
    track = frame_activity(info, jobs=jobs, media_duration=info.duration, progress=progress)
    speech = track.speech
    if speech.shape[0] == 0 or float(speech.mean()) < 0.002:
        from ..media import silent_track_warning

        why = silent_track_warning(info)
        raise InputError(f"{info.path}: no speech found in the audio" + (f": {why}" if why else "; sync listens to the speech and needs some"))
    cues = [(sub.cues[k].start.ms, sub.cues[k].end.ms) for k in evidence]
    scales = (1.0,) if mode == "offset" else FRAME_RATE_SCALES
    return fit_timing(speech, cues, scales=scales, fine=mode != "offset", max_offset=max_offset), speech


def _retime(
    sub: SubtitleFile, fit: Fit, deltas: dict[int, int], duration: int | None
) -> tuple[dict[TimeField, int], list[tuple[int, int]], int]:
    """Every time field's new value (the fit, plus a full-mode cue's own shift), clamped to
    [0, duration]; the cues' new (start, end); how many cues a clamp moved."""
    top = duration if duration is not None else None
    new: dict[TimeField, int] = {}
    times: list[tuple[int, int]] = []
    clamped = 0

    def clamp(ms: int) -> int:
        v = max(0, ms)
        return min(v, top) if top is not None else v

    for k, c in enumerate(sub.cues):
        d = deltas.get(k, 0)
        a0, b0 = fit.map(c.start.ms) + d, fit.map(c.end.ms) + d
        a, b = clamp(a0), clamp(b0)
        if (a, b) != (a0, b0):
            clamped += 1
        new[c.start], new[c.end] = a, b
        for f in c.inline:
            new[f] = min(max(clamp(fit.map(f.ms) + d), a), b)
        times.append((a, b))
    return new, times, clamped


def _trim_overlaps(sub: SubtitleFile, new: dict[TimeField, int], times: list[tuple[int, int]]) -> int:
    """Full mode: a cue moved into the next one (which it did not overlap before) ends
    where the next begins. Returns how many were trimmed."""
    shown = [k for k, c in enumerate(sub.cues) if c.shown]
    trimmed = 0
    for i, j in zip(shown, shown[1:], strict=False):
        ci, cj = sub.cues[i], sub.cues[j]
        if ci.end.ms <= cj.start.ms and times[i][1] > times[j][0]:
            end = max(times[i][0], times[j][0])
            times[i] = (times[i][0], end)
            new[ci.end] = end
            for f in ci.inline:
                new[f] = min(new[f], end)
            trimmed += 1
    return trimmed


def _full(
    sub: SubtitleFile,
    evidence: list[int],
    info: MediaInfo,
    fit: Fit,
    jobs: int,
    progress: ProgressFn | None,
) -> tuple[dict[int, int], dict[str, int], list[str]]:
    """Each spoken cue aligned by the speech engine: its own shift from the drift time."""
    from ..pipeline import align_transcript
    from ..read.clean import RawSegment, build_transcript

    raws = [RawSegment(_plain(sub.cues[k].text, sub.fmt), keep_if_empty=True) for k in evidence]
    tr = build_transcript(raws, meta={"format": sub.fmt, "path": sub.path, "segmentation": "cues"})
    warnings: list[str] = []
    try:
        al = align_transcript(tr, info, engine="speech", jobs=jobs, progress=progress)
    except MismatchError as e:
        warnings.append(
            f"full: the speech engine recognised {e.share:.0%} of the words it heard in the cues' text (another "
            "language? it knows English): every cue keeps the drift time"
        )
        return {}, {"aligned": 0, "neighbours": 0, "kept": len(evidence), "trimmed": 0}, warnings
    own: list[int | None] = []
    for k, seg in zip(evidence, al.segments, strict=True):
        ok = seg.start is not None and seg.confidence is not None and seg.confidence >= FULL_MIN_CONFIDENCE
        own.append(seg.start - fit.map(sub.cues[k].start.ms) if ok and seg.start is not None else None)
    deltas, source = _consensus(evidence, own)
    reverted = _keep_order(sub, evidence, fit, deltas)
    counts = {"aligned": 0, "neighbours": 0, "kept": len(evidence) - len(deltas)}
    for k in deltas:
        counts[source[k]] += 1
    # cues that are no evidence (a [music] note, an ASS Comment) go with the spoken cue
    # before them (or after, at the start), as a stretch the media moved carries them too
    moved = sorted(deltas)
    spoken = set(evidence)
    if moved:
        for k in range(len(sub.cues)):
            if k not in spoken:
                p = bisect.bisect_left(moved, k)
                deltas[k] = deltas[moved[p - 1] if p > 0 else moved[0]]
    if counts["kept"]:
        warnings.append(
            f"full: {counts['kept']} of {len(evidence)} spoken cues kept the drift time (no confident engine times "
            f"near them{f'; {reverted} would have changed places with a neighbour' if reverted else ''})"
        )
    return deltas, {**counts, "trimmed": 0}, warnings


def _consensus(evidence: list[int], own: list[int | None]) -> tuple[dict[int, int], dict[int, str]]:
    """Each cue's shift from the drift time. The engine's own shift is taken when it agrees
    (within :data:`FULL_AGREE_MS`) with the median of the confident cues before it or of
    those after it (up to :data:`FULL_NEIGHBOURS` each side): one engine slip does not move
    a cue, and the first cue after an edit agrees with the cues after it. A cue without an
    accepted shift takes the nearest accepted cue's, so a stretch the media has moved (an
    edit, an ad break) carries its unplaced cues with it; none at all: the drift time.

    >>> deltas, source = _consensus(list(range(8)), [0, 10, None, 900, 0, 1500, 1500, 1500])
    >>> [deltas[k] for k in range(8)], [source[k][0] for k in range(8)]
    ([0, 10, 10, 0, 0, 1500, 1500, 1500], ['a', 'a', 'n', 'n', 'a', 'a', 'a', 'a'])
    """
    h = FULL_NEIGHBOURS
    placed = [i for i, d in enumerate(own) if d is not None]

    def median(v: list[int]) -> int:
        return sorted(v)[(len(v) - 1) // 2]  # the lower one: never a mean across an edit

    accepted: list[int] = []
    for r, i in enumerate(placed):
        d = own[i]
        assert d is not None
        left = [own[j] for j in placed[max(0, r - h) : r]]
        right = [own[j] for j in placed[r + 1 : r + 1 + h]]
        sides = [[x for x in side if x is not None] for side in (left, right)]
        if sum(len(x) for x in sides) < 2 or any(x and abs(d - median(x)) <= FULL_AGREE_MS for x in sides):
            accepted.append(i)
    deltas: dict[int, int] = {}
    source: dict[int, str] = {}
    for i in accepted:
        d = own[i]
        assert d is not None
        deltas[evidence[i]] = d
        source[evidence[i]] = "aligned"
    if not accepted:
        return deltas, source
    taken = set(accepted)
    for i in range(len(evidence)):
        if i in taken:
            continue
        p = bisect.bisect_left(accepted, i)
        near = [accepted[q] for q in (p - 1, p) if 0 <= q < len(accepted)]
        j = min(near, key=lambda x: (abs(x - i), x))
        deltas[evidence[i]] = deltas[evidence[j]]
        source[evidence[i]] = "neighbours"
    return deltas, source


def _keep_order(sub: SubtitleFile, evidence: list[int], fit: Fit, deltas: dict[int, int]) -> int:
    """Drop the engine's shift of any cue it would move before the cue before it (or after
    the one after it): cues keep their order. The drift times keep it, so this ends."""
    dropped = 0
    start: Callable[[int], int] = lambda k: fit.map(sub.cues[k].start.ms) + deltas.get(k, 0)  # noqa: E731
    changed = True
    while changed:
        changed = False
        for i, j in zip(evidence, evidence[1:], strict=False):
            if sub.cues[i].start.ms <= sub.cues[j].start.ms and start(i) > start(j):
                # the one the engine moved further is the suspect
                k = i if abs(deltas.get(i, 0)) >= abs(deltas.get(j, 0)) else j
                if k in deltas:
                    del deltas[k]
                    dropped += 1
                    changed = True
    return dropped
