"""Library-level steps that join the readers, the media probe and the engines.

The CLI is a thin layer over these functions: :func:`align_files` is what
``clipper align`` does, minus argv and printing.

>>> parse_anchor("So what is a world model@1:02:03").ms
3723000
>>> parse_options(["window=30", "refine=yes", "gap=0.5", "voice=f3"])
{'window': 30, 'refine': True, 'gap': 0.5, 'voice': 'f3'}
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from .align import AlignRequest, Anchor
from .align import align as _run_engine
from .errors import InputError
from .model import Alignment, MediaInfo, ProgressFn, Transcript

__all__ = [
    "SEGMENTATIONS",
    "align_files",
    "align_transcript",
    "load_transcript",
    "parse_anchor",
    "parse_option_value",
    "parse_options",
    "summarize",
]

PathLike = str | os.PathLike[str]

#: how a plain-text transcript is cut into segments (``--segments``)
SEGMENTATIONS = ("auto", "lines", "sentences")


def parse_anchor(text: str, source: str = "user") -> Anchor:
    """Parse ``"TEXT@TIME"`` (TIME as ``[h:]mm:ss[.mmm]`` or seconds) into an :class:`Anchor`.

    The last ``@`` separates the time, so the text may itself contain ``@``. The one
    parser is :func:`clipper.align.anchors.parse_anchor`; this is its library-level name.

    Raises:
        InputError: no ``@``, empty text, or a time :func:`clipper.timecode.parse_clock` rejects.
    """
    from .align.anchors import parse_anchor as _parse

    return _parse(text, source)


def parse_option_value(value: str) -> Any:
    """Read an option value as bool, int, float or (else) str.

    >>> [parse_option_value(v) for v in ("true", "Off", "12", "-3", "1e3", "0.25", "en-us")]
    [True, False, 12, -3, 1000.0, 0.25, 'en-us']
    """
    low = value.strip().lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def parse_options(items: Iterable[str]) -> dict[str, Any]:
    """Parse repeated ``KEY=VALUE`` settings (``--option``) into a dict; later keys win.

    Raises:
        InputError: an item without ``=`` or with an empty key.
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"⟨--option⟩ {item!r}: expected KEY=VALUE, e.g. ⟨--option⟩ window=30")
        out[key.strip()] = parse_option_value(value)
    return out


def load_transcript(
    path: PathLike,
    fmt: str | None = None,
    *,
    encoding: str | None = None,
    segmentation: str = "auto",
) -> Transcript:
    """Read and clean a transcript (or a timed reference track) of any known format.

    A thin wrapper of :func:`clipper.read.load` that checks ``segmentation`` first.
    """
    if segmentation not in SEGMENTATIONS:
        raise InputError(f"⟨--segments⟩ {segmentation!r}: choose one of {', '.join(SEGMENTATIONS)}")
    from . import read

    tr = read.load(path, fmt, encoding=encoding, segmentation=segmentation)
    # engines name the file in their messages ("reference x.vtt: only 6% matched")
    return replace(tr, meta={**tr.meta, "path": str(path)})


def _coerce_anchors(anchors: Iterable[Anchor | str]) -> tuple[Anchor, ...]:
    return tuple(a if isinstance(a, Anchor) else parse_anchor(a) for a in anchors)


def align_transcript(
    transcript: Transcript,
    media: MediaInfo | None = None,
    *,
    reference: Transcript | None = None,
    engine: str = "auto",
    anchors: Iterable[Anchor | str] = (),
    language: str | None = None,
    jobs: int = 1,
    options: Mapping[str, Any] | None = None,
    progress: ProgressFn | None = None,
    force: bool = False,
) -> Alignment:
    """Align an in-memory transcript: build an :class:`AlignRequest` and run the engine.

    Args:
        transcript: what to put on the timeline (from :func:`load_transcript`).
        media: the probed media (:func:`clipper.media.probe`); may be None when a
            ``reference`` is given, then the duration comes from the reference.
        reference: a timed track of the same speech (SRT, VTT, Whisper JSON, ...).
        engine: ``auto`` or a name in :data:`clipper.align.ENGINES`.
        anchors: known points, as :class:`Anchor` or ``"TEXT@TIME"`` strings.
        language: the spoken language (``en``); None = from the transcript's metadata.
        jobs: worker processes an engine may use.
        options: engine-specific settings (``--option KEY=VALUE``).
        progress: a :data:`ProgressFn` called as work proceeds.
        force: go on where an engine would refuse (e.g. a reference that seems not to belong).

    Raises:
        InputError: no media and no reference, no segments, bad engine or anchor.
        MismatchError: the transcript or reference does not seem to belong to the media
            (``force`` goes on and marks the result).
    """
    if media is None and reference is None:
        raise InputError("no media and no ⟨--reference⟩: give a media file or a timed reference track (SRT, VTT, JSON)")
    if jobs < 1:
        raise InputError(f"⟨--jobs⟩ {jobs}: give 1 or more worker processes")
    if not transcript.segments:
        src = transcript.meta.get("path", "transcript")
        raise InputError(f"{src}: no transcript segments were read; check the file and ⟨--format⟩/⟨--segments⟩")
    if reference is not None and not reference.timed:
        src = reference.meta.get("path", "reference")
        raise InputError(f"{src}: the reference has no times; give a timed track (SRT, VTT, Whisper JSON)")
    if media is not None and media.duration <= 0:
        raise InputError(f"{media.path}: the media has no duration; give a media file with audio")
    request = AlignRequest(
        transcript=transcript,
        media=media,
        reference=reference,
        anchors=_coerce_anchors(anchors),
        language=language,
        jobs=jobs,
        options=dict(options or {}),
        progress=progress,
        force=force,
    )
    return _run_engine(request, engine)


def align_files(
    transcript_path: PathLike,
    media_path: PathLike | None = None,
    *,
    reference_path: PathLike | None = None,
    engine: str = "auto",
    anchors: Sequence[Anchor | str] = (),
    language: str | None = None,
    jobs: int = 1,
    options: Mapping[str, Any] | None = None,
    progress: ProgressFn | None = None,
    force: bool = False,
    encoding: str | None = None,
    segmentation: str = "auto",
    fmt: str | None = None,
    reference_fmt: str | None = None,
    audio_track: int = 0,
) -> Alignment:
    """What ``clipper align`` does: read the transcript (and reference), probe the media, align.

    ``media_path`` may be None when ``reference_path`` is given. ``encoding`` applies to
    the transcript and the reference; ``segmentation`` and ``fmt`` to the transcript
    only. ``audio_track`` is the audio stream to align to (0-based among the audio
    streams, ffmpeg's ``0:a:N``; recorded as ``media.audio_track``); when it is silent the
    alignment's warnings say so and name the tracks that have sound. The returned alignment's ``settings`` records the inputs (``transcript``,
    ``reference``, ``options``, ``anchors``) unless the engine already set those keys.

    Example:
        >>> al = align_files("talk.txt", "talk.mp4")  # doctest: +SKIP
        >>> save_alignment(al, "talk.align.json")  # doctest: +SKIP
    """
    if media_path is None and reference_path is None:
        raise InputError("no media and no ⟨--reference⟩: give a media file or a timed reference track (SRT, VTT, JSON)")
    anchor_objs = _coerce_anchors(anchors)  # bad anchors fail before any slow work
    opts = dict(options or {})
    transcript = load_transcript(transcript_path, fmt, encoding=encoding, segmentation=segmentation)
    reference = (
        load_transcript(reference_path, reference_fmt, encoding=encoding) if reference_path is not None else None
    )
    if reference is not None and not reference.timed:
        raise InputError(f"{reference_path}: the reference has no times; give a timed track (SRT, VTT, Whisper JSON)")
    media: MediaInfo | None = None
    if media_path is not None:
        from .media import probe

        media = probe(media_path, audio_track)  # a track the file lacks fails here, listing its tracks
    elif audio_track:
        raise InputError(f"⟨--audio-track⟩ {audio_track}: there is no media to choose a track of; give MEDIA or leave it out")
    al = align_transcript(
        transcript,
        media,
        reference=reference,
        engine=engine,
        anchors=anchor_objs,
        language=language,
        jobs=jobs,
        options=opts,
        progress=progress,
        force=force,
    )
    settings = dict(al.settings)
    settings.setdefault("transcript", str(Path(transcript_path)))
    if reference_path is not None:
        settings.setdefault("reference", str(Path(reference_path)))
    if opts:
        settings.setdefault("options", opts)
    if anchor_objs:
        settings.setdefault("anchors", [{"text": a.text, "ms": a.ms, "source": a.source} for a in anchor_objs])
    stats = al.stats
    if media is not None:
        from .media import silent_track_warning

        silent = silent_track_warning(media)
        if silent:  # also on its own, for callers that explain a later failure with it
            stats = {**stats, "warnings": [*stats.get("warnings", ()), silent], "silent_track": silent}
    return replace(al, settings=settings, stats=stats)


def summarize(al: Alignment) -> dict[str, Any]:
    """The figures ``clipper align`` reports: engine (and why ``auto`` chose it), segments,
    placed, confident, unplaced, mean confidence, and the engine's warnings.

    ``placed``: segments with times; ``confident``: placed at confidence >= 0.5 (see
    README, "Reading confidence"); ``unplaced_spoken``: spoken lines left without times
    because the media does not hold them where they could be (``placed: false`` in the
    alignment file); ``found`` (speech engine only, else None): spoken segments whose
    words recognition placed, not put between neighbours. Non-speech events (no spoken words) count in ``segments`` only.
    ``mean_confidence`` is over placed segments that carry one. ``text_span_ms``: where the
    speech engine found the transcript to lie, when that is a stretch of the media (else None).
    """
    segs = al.segments
    placed = [s for s in segs if s.placed]
    confs = [s.confidence for s in placed if s.confidence is not None]
    choice = al.settings.get("engine_choice") or {}
    return {
        "engine": al.engine,
        "engine_reason": choice.get("why"),
        "segments": len(segs),
        "placed": len(placed),
        "confident": sum(1 for s in placed if s.spoken and s.confidence is not None and s.confidence >= 0.5),
        "unplaced": len(segs) - len(placed),
        "unplaced_spoken": sum(1 for s in segs if s.spoken and not s.placed),
        "found": al.stats.get("found"),
        "mean_confidence": round(sum(confs) / len(confs), 4) if confs else None,
        "duration_ms": al.duration,
        "mismatch": al.stats.get("mismatch"),
        "text_span_ms": al.stats.get("text_span_ms"),
        "warnings": [str(w) for w in al.stats.get("warnings", ())],
    }
