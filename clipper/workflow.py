"""``clipper run`` as a library call: align, then write what was asked for into one folder.

:func:`run` is what the ``run`` command and every ``batch`` item do; the CLI only parses
arguments and prints the summary this returns.

>>> OUTPUTS
('alignment', 'srt', 'vtt', 'clips', 'chapters', 'edl')
>>> parse_outputs("srt, vtt")
('srt', 'vtt')
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import ClipperError, InputError
from .model import ProgressFn

__all__ = ["OUTPUTS", "cut", "output_paths", "parse_outputs", "run", "stem_of"]

PathLike = str | os.PathLike[str]

#: what ``run`` can write; ``clips`` is one clip per takeaway with a manifest, ``edl`` lists
#: those clips when they were cut (else the takeaway and topic markers)
OUTPUTS = ("alignment", "srt", "vtt", "clips", "chapters", "edl")

_SUFFIX = {
    "alignment": ".align.json",
    "srt": ".srt",
    "vtt": ".vtt",
    "chapters": ".chapters.txt",
    "edl": ".edl",
}


def parse_outputs(value: str | Iterable[str]) -> tuple[str, ...]:
    """Read an output list (``"srt,vtt"`` or a sequence); ``all`` means every one.

    Raises:
        InputError: an unknown name (the message lists the known ones).
    """
    items = value.split(",") if isinstance(value, str) else list(value)
    names = [s.strip().lower() for s in items if s.strip()]
    if not names or names == ["all"]:
        return OUTPUTS
    bad = [n for n in names if n not in OUTPUTS]
    if bad:
        raise InputError(f"outputs {bad[0]!r}: unknown; choose from {', '.join(OUTPUTS)} or all")
    return tuple(n for n in OUTPUTS if n in names)  # canonical order, no repeats


def stem_of(path: PathLike) -> str:
    """The name outputs are called by: the transcript's file name without its ending.

    >>> stem_of("talk.transcript.txt"), stem_of("a/b/talk.align.json"), stem_of("x.srt")
    ('talk', 'talk', 'x')
    """
    name = Path(path).name
    for suf in (".align.json", ".transcript.txt"):
        if name.endswith(suf):
            return name[: -len(suf)]
    return Path(name).stem


def output_paths(output: PathLike, stem: str, outputs: Iterable[str] = OUTPUTS) -> dict[str, Path]:
    """Where each output goes in ``output`` (``clips`` is a folder)."""
    out = Path(output)
    return {k: (out / "clips" if k == "clips" else out / f"{stem}{_SUFFIX[k]}") for k in outputs}


def _check_output(out: Path, paths: Mapping[str, Path], force: bool) -> None:
    """Refuse before any slow work: a file where the folder goes, earlier results, no write access."""
    from .clips.cut import check_folder

    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: is a file, expected a folder (⟨-o⟩ DIR)")
    existing = [p for k, p in paths.items() if k != "clips" and p.exists()]
    if existing and not force:
        raise InputError(f"{out}: holds earlier results (e.g. {existing[0].name}); pass ⟨--force⟩ to replace them or choose another ⟨-o⟩ folder")
    if "clips" in paths:
        check_folder(paths["clips"], force)
    # nothing is created before the work succeeds; the folder or its nearest existing parent must be writable
    probe = out
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f"{out}: cannot write there ({probe} is not a writable folder); choose another ⟨-o⟩ folder")


def run(
    media: PathLike,
    transcript: PathLike,
    output: PathLike,
    *,
    reference: PathLike | None = None,
    engine: str = "auto",
    options: Mapping[str, Any] | None = None,
    outputs: Iterable[str] = OUTPUTS,
    mode: str = "accurate",
    handle_before: int = 250,
    handle_after: int = 400,
    jobs: int = 1,
    force: bool = False,
    progress: ProgressFn | None = None,
    audio_track: int = 0,
) -> dict[str, Any]:
    """Align ``transcript`` to ``media`` and write ``outputs`` into the folder ``output``.

    ``audio_track`` (0-based among the audio streams) is the one aligned to; clips keep
    every track, that one first.

    Files are named by the transcript (``talk.txt`` gives ``talk.align.json``, ``talk.srt``,
    ...); each is written atomically. Returns the summary ``clipper run --json`` prints:
    ``alignment`` (:func:`clipper.pipeline.summarize` plus ``file``), ``subtitles``,
    ``takeaways``, ``clips``, ``exports``, ``notes``, ``seconds`` and ``media_ms``.

    Raises:
        InputError: a missing input, a bad option, an output folder holding earlier
            results (without ``force``) or not writable; all before the alignment starts.
        MismatchError: the transcript does not seem to belong to the media.
        MediaError: ffmpeg failed.
    """
    from . import subtitles
    from .alignfile import save
    from .io import write_text
    from .media import probe
    from .pipeline import align_files, summarize
    from .timecode import format_clock

    want = parse_outputs(list(outputs))
    if mode not in ("accurate", "fast"):
        raise InputError(f"⟨--mode⟩ {mode!r}: choose accurate or fast")
    for p, what in ((media, "media"), (transcript, "transcript"), (reference, "reference")):
        if p is not None and not Path(p).is_file():
            raise InputError(f"{p}: no such {what} file; check the path")
    out = Path(output)
    paths = output_paths(out, stem_of(transcript), want)
    _check_output(out, paths, force)
    if audio_track < 0:
        raise InputError(f"⟨--audio-track⟩ {audio_track}: give 0 or more (0 is the first audio track)")
    info = probe(media, audio_track)  # a corrupt or stream-less file, or a track it lacks, fails here, before the long work
    t0 = time.perf_counter()
    notes: list[str] = []
    summary: dict[str, Any] = {"output": str(out), "media_ms": info.duration}

    al = align_files(transcript, media, reference_path=reference, engine=engine, jobs=jobs, options=options, progress=progress, force=force,
                     audio_track=audio_track)  # fmt: skip
    summary["alignment"] = summarize(al)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"{out}: cannot create the output folder ({e.strerror}); choose another ⟨-o⟩ folder") from None
    if "alignment" in paths:
        save(al, paths["alignment"], force=force)
        summary["alignment"]["file"] = paths["alignment"].name

    if "srt" in paths or "vtt" in paths:
        cues = subtitles.layout(al, subtitles.LayoutOptions())
        for fmt in ("srt", "vtt"):
            if fmt in paths:
                text = subtitles.compose_srt(cues) if fmt == "srt" else subtitles.compose_vtt(cues)
                write_text(paths[fmt], text, force=force)
        summary["subtitles"] = {"cues": len(cues), **{f: paths[f].name for f in ("srt", "vtt") if f in paths}}

    manifest_path: Path | None = None
    if "clips" in paths or "edl" in paths:
        from .query.resolve import resolve_takeaways
        from .query.search import PassageIndex

        with _explained(al):
            index = PassageIndex(al)
            resolved = resolve_takeaways(al, index)
        summary["takeaways"] = [
            {
                "index": r.index,
                "title": r.takeaway.title,
                "hints": [
                    {"raw": h.hint.raw, "chosen": format_clock(h.chosen.reading.ms) if h.chosen else None, "confidence": h.confidence}
                    for h in r.hints
                ],
            }
            for r in resolved
        ]
        if "clips" in paths:
            with _explained(al):
                manifest_path = _cut_takeaways(al, info, index, resolved, paths["clips"], summary, notes,
                                               mode=mode, handle_before=handle_before, handle_after=handle_after,
                                               force=force, progress=progress)  # fmt: skip

    summary["exports"] = {}
    from . import export as _export

    for fmt in ("chapters", "edl"):
        if fmt not in paths:
            continue
        kw: dict[str, Any] = {"clips_manifest": str(manifest_path)} if fmt == "edl" and manifest_path else {}
        try:
            _export.write(al, paths[fmt], fmt, force=force, **kw)
            summary["exports"][fmt] = paths[fmt].name
        except ClipperError as e:
            notes.append(f"{fmt} not written: {e.cli_message()}")  # notes are printed by the command
    summary["notes"] = notes
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    return summary


def clip_keyframes(info: Any) -> Any:
    """Keyframes for fast-mode planning, looked up per clip (``clipper.clips.Keyframes``):
    the ones up to ``FAST_MAX_BACK`` before its start, whatever else is cut, so a clip's
    keyframe never depends on the other clips of the run. None without video."""
    from .clips.plan import FAST_MAX_BACK
    from .media import keyframes_near

    if not info.has_video:
        return None
    return lambda ms: keyframes_near(info.path, max(0, ms), before=FAST_MAX_BACK + 1000, after=0)


@contextmanager
def _explained(al: Any) -> Iterator[None]:
    """Bad input found after the alignment (nothing placed, so nothing to cut) is most
    likely a silent audio track: the error then says so, and which track to choose."""
    try:
        yield
    except InputError as e:
        if al.stats.get("silent_track"):
            raise InputError(f"{e.raw_message}; {al.stats['silent_track']}") from None  # its flags kept
        raise


def _cut_takeaways(
    al: Any,
    info: Any,
    index: Any,
    resolved: Sequence[Any],
    folder: Path,
    summary: dict[str, Any],
    notes: list[str],
    *,
    mode: str,
    handle_before: int,
    handle_after: int,
    force: bool,
    progress: ProgressFn | None,
) -> Path | None:
    """One clip per takeaway that can be placed; a note for each that cannot."""
    from .clips.cut import CutOptions, fps_fraction, make_clips
    from .clips.plan import PlanOptions, build_requests, plan, stream_copy_packet

    skipped: list[str] = []
    reqs = build_requests(al, takeaways=[str(r.index) for r in resolved], skipped=skipped, index=index, resolved=resolved) if resolved else []
    notes += [f"no clip: {why}" for why in skipped]
    if not reqs:
        summary["clips"] = {"folder": None, "count": 0, "files": []}
        if not resolved:
            notes.append("the transcript has no takeaways: no clips cut (use 'clipper cut --quote/--topic/--range')")
        return None
    planned = plan(reqs, al, info.duration, PlanOptions(handle_before=handle_before, handle_after=handle_after, mode=mode),
                   fps=fps_fraction(info), keyframes=clip_keyframes(info) if mode == "fast" else None,
                   audio_packet=stream_copy_packet(info.sample_rate))  # fmt: skip
    result = make_clips(al, info, planned, folder, CutOptions(mode=mode, force=force), progress=progress)
    notes += list(result.notes)
    summary["clips"] = {
        "folder": str(folder),
        "count": len(result.manifest.clips),
        "files": [c.file for c in result.manifest.clips],
        "seconds": round(result.seconds, 2),
    }
    return folder / "manifest.json"


def cut(
    media: PathLike,
    alignment: PathLike | Any,
    output: PathLike,
    *,
    quotes: Sequence[str] = (),
    takeaways: Sequence[str] = (),
    topics: Sequence[str] = (),
    ranges: Sequence[str] = (),
    mode: str = "accurate",
    handle_before: int = 250,
    handle_after: int = 400,
    fade: int = 0,
    burn: bool = False,
    concat: bool = False,
    vertical: bool = False,
    x_offset: int | None = None,
    min_score: float = 80.0,
    dry_run: bool = False,
    force: bool = False,
    progress: ProgressFn | None = None,
    audio_track: int | None = None,
    scale: str | tuple[int, int] | None = None,
    video_codec: str | None = None,
    crf: int | None = None,
    preset: str | None = None,
    audio_bitrate: str | None = None,
    supercut_order: str = "given",
    given: Sequence[str] | None = None,
) -> Any:
    """What ``clipper cut`` does: find each request in ``alignment`` (an ``*.align.json``
    path or an :class:`~clipper.model.Alignment`), plan clips that never start or end inside
    a word, and cut them into ``output`` with per-clip SRT/VTT and a manifest (the set is
    swapped in whole). Returns a :class:`clipper.clips.cut.CutResult`; its ``notes`` include a
    warning when the media's length differs from the one the alignment was made for.

    Every audio track of ``media`` is kept, ``audio_track`` first (None: the track the
    alignment was made from, else 0). ``scale`` (``"WxH"``) sizes the picture (vertical
    clips are at least 1080x1920 without it); ``video_codec``, ``crf``, ``preset`` and
    ``audio_bitrate`` set the re-encoding of accurate clips. ``supercut_order`` is
    ``given`` (``concat`` joins the clips in the order asked for: ``given`` lists the kinds
    ``quote``/``takeaway``/``topic``/``range`` in the order they were given, as the
    command line had them; None: quotes, then takeaways, topics, ranges) or ``timeline``.

    Raises:
        InputError: no request, bad values, a quote that matches nothing or is not placed,
            an output folder holding earlier clips (without ``force``); all before cutting.
        MediaError: ffmpeg failed (the earlier clips stay as they were).
    """
    from dataclasses import replace as _replace

    from .alignfile import load
    from .clips.cut import CutOptions, check_folder, fps_fraction, make_clips
    from .clips.plan import PlanOptions, build_requests, plan, stream_copy_packet
    from .media import probe, select_track
    from .model import Alignment
    from .timecode import format_clock

    if mode not in ("accurate", "fast"):
        raise InputError(f"⟨--mode⟩ {mode!r}: choose accurate or fast")
    if handle_before < 0 or handle_after < 0 or fade < 0:
        raise InputError("⟨--handle-before⟩, ⟨--handle-after⟩ and ⟨--fade⟩ are ms, not negative")
    if mode == "fast" and (fade or burn or vertical or scale):
        raise InputError("⟨--fade⟩, ⟨--burn⟩, ⟨--vertical⟩ and ⟨--scale⟩ re-encode the picture; use ⟨--mode⟩ accurate")
    if not (quotes or takeaways or topics or ranges):
        raise InputError("nothing to cut: give ⟨--quote⟩, ⟨--takeaway⟩, ⟨--topic⟩ or ⟨--range⟩")
    from .clips.cut import SUPERCUT_ORDERS, given_order, parse_scale
    from .media import audio_codec_args, video_codec_args

    if supercut_order not in SUPERCUT_ORDERS:
        raise InputError(f"⟨--supercut-order⟩ {supercut_order!r}: choose {' or '.join(SUPERCUT_ORDERS)}")
    if audio_track is not None and audio_track < 0:
        raise InputError(f"⟨--audio-track⟩ {audio_track}: give 0 or more (0 is the first audio track)")
    frame = parse_scale(scale) if isinstance(scale, str) else scale
    if mode == "accurate":  # a codec this ffmpeg lacks, a CRF off its scale: refused before any work
        video_codec_args(video_codec, crf, preset)
        audio_codec_args(audio_bitrate)
    check_folder(Path(output), force)
    if not isinstance(alignment, Alignment) and not Path(alignment).exists():
        raise InputError(f"{alignment}: no such alignment file; make one with 'clipper align'")
    al = alignment if isinstance(alignment, Alignment) else load(alignment)
    info = probe(media, audio_track or 0)
    warn: list[str] = []
    heard = al.media.audio_track if al.media is not None else 0
    if audio_track is None and heard:  # the track the words were heard on comes first again
        if heard < len(info.audio_tracks):
            info = select_track(info, heard)
        else:
            warn.append(f"the alignment was made from audio track {heard}, which {media} lacks; track 0 comes first")
    from .media import silent_track_warning

    silent = silent_track_warning(info)
    if silent:
        warn.append(f"warning: {silent}")
    if al.media is not None and abs(al.media.duration - info.duration) > max(2000, info.duration // 100):
        warn.append(
            f"warning: {media} lasts {format_clock(info.duration)} but the alignment was made for "
            f"{format_clock(al.media.duration)} of media; is it the same file?"
        )
    requests = build_requests(al, quotes=quotes, takeaways=takeaways, topics=topics, ranges=ranges, min_score=min_score)
    clips = plan(requests, al, info.duration, PlanOptions(handle_before=handle_before, handle_after=handle_after, mode=mode),
                 fps=fps_fraction(info), keyframes=clip_keyframes(info) if mode == "fast" else None,
                 audio_packet=stream_copy_packet(info.sample_rate))  # fmt: skip
    order = given_order(_as_given(requests, given), clips) if concat and supercut_order == "given" else None
    options = CutOptions(mode=mode, fade=fade, burn=burn, vertical=vertical, x_offset=x_offset, concat=concat, force=force, dry_run=dry_run,
                         scale=frame, video_codec=video_codec, crf=crf, preset=preset, audio_bitrate=audio_bitrate,
                         supercut_order=order)  # fmt: skip
    result = make_clips(al, info, clips, output, options, progress=progress)
    return _replace(result, notes=(*warn, *result.notes)) if warn else result


def _as_given(requests: Sequence[Any], given: Sequence[str] | None) -> list[Any]:
    """``requests`` (as :func:`clipper.clips.build_requests` makes them: quotes, takeaways,
    topics, ranges, each kind in its given order) in the order of ``given``, the kinds as the
    user interleaved them; unchanged when ``given`` is None or does not fit."""
    if not given:
        return list(requests)
    by_kind: dict[str, list[Any]] = {}
    for r in requests:
        by_kind.setdefault(r.kind, []).append(r)
    if sorted(given) != sorted(r.kind for r in requests):
        return list(requests)
    taken: dict[str, int] = {}
    out = []
    for kind in given:
        k = taken.get(kind, 0)
        out.append(by_kind[kind][k])
        taken[kind] = k + 1
    return out
