"""Carry out a clip plan: subtitles, ffmpeg cuts, a supercut and the manifest in one folder.

The plan is pure (:mod:`clipper.clips`); this module is the edge that writes files and
runs ffmpeg (through :mod:`clipper.media`). Every clip is cut into a hidden temporary
file beside its final name and renamed only when ffmpeg succeeded, so no half-written
clip is ever left behind. A folder that already holds clips (a manifest, or media
files) is refused unless ``force``; then the files of the old manifest are removed first
so stale clips do not linger beside new ones.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from dataclasses import replace as _replace
from fractions import Fraction
from pathlib import Path

from . import media as _media
from .clips import (
    MANIFEST_CSV,
    MANIFEST_JSON,
    Manifest,
    ManifestClip,
    PlannedClip,
    clip_subtitles,
    load_manifest,
    save_manifest,
)
from .errors import ClipperError, InputError
from .io import write_text
from .model import Alignment, MediaInfo, ProgressFn

__all__ = ["CutOptions", "CutResult", "clip_extension", "check_folder", "make_clips", "keyframes_for", "fps_fraction", "SUPERCUT"]

SUPERCUT = "supercut"


@dataclass(frozen=True, slots=True)
class CutOptions:
    mode: str = "accurate"
    fade: int = 0
    burn: bool = False
    vertical: bool = False
    x_offset: int | None = None
    concat: bool = False
    subtitles: bool = True
    force: bool = False
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class CutResult:
    manifest: Manifest
    folder: Path
    #: ffmpeg argv of every run (printed by ``--dry-run``)
    commands: tuple[tuple[str, ...], ...]
    files: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    supercut: str | None = None
    per_clip_notes: dict[int, tuple[str, ...]] = field(default_factory=dict)


def clip_extension(info: MediaInfo, mode: str) -> str:
    """Container of the clips: re-encoded H.264/AAC in .mp4 (.m4a without video); a
    stream copy keeps the source's container, which holds its codecs."""
    if mode == "fast":
        ext = Path(info.path).suffix.lower()
        if ext:
            return ext
        return ".mkv" if info.has_video else ".mka"
    return ".mp4" if info.has_video else ".m4a"


def _old_files(folder: Path) -> list[Path]:
    """Files a previous run left: those its manifest lists, else media/subtitle files."""
    found: list[Path] = []
    man = folder / MANIFEST_JSON
    if man.exists():
        found += [man, folder / MANIFEST_CSV]
        try:
            old = load_manifest(man)
            for c in old.clips:
                for n in (c.file, c.srt, c.vtt):
                    if n:
                        found.append(folder / n)
        except ClipperError:
            pass
    for p in folder.iterdir() if folder.is_dir() else ():
        if p.is_file() and p.suffix.lower() in (*_media.MEDIA_EXTENSIONS, ".srt", ".vtt") and not p.name.startswith("."):
            found.append(p)
    seen: dict[Path, None] = {}
    for p in found:
        if p.exists():
            seen[p] = None
    return list(seen)


def check_folder(folder: Path, force: bool) -> list[Path]:
    """Refuse a folder holding older clips unless ``force``; return what would be replaced."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: is a file, expected a folder for the clips (-o DIR)")
    old = _old_files(folder) if folder.exists() else []
    if old and not force:
        raise InputError(
            f"{folder}: holds earlier clips ({len(old)} file(s), e.g. {old[0].name}); "
            "pass --force to replace them or choose another -o folder"
        )
    return old


def make_clips(
    alignment: Alignment,
    info: MediaInfo,
    clips: Sequence[PlannedClip],
    folder: str | os.PathLike[str],
    options: CutOptions = CutOptions(),
    progress: ProgressFn | None = None,
) -> CutResult:
    """Cut ``clips`` from ``info.path`` into ``folder`` with per-clip SRT/VTT and a manifest.

    Raises:
        OutputExistsError: ``folder`` holds earlier clips and ``force`` is not set.
        InputError: options the media cannot honour (burn/vertical without video).
        MediaError: ffmpeg failed (the clip being cut is not left behind).
    """
    t0 = time.perf_counter()
    out = Path(folder)
    if not clips:
        raise InputError("nothing to cut: give --quote, --takeaway, --topic or --range")
    old = check_folder(out, options.force)
    if options.vertical and not info.has_video:
        raise InputError(f"{info.path}: has no video to crop; drop --vertical")
    if options.burn and not info.has_video:
        raise InputError(f"{info.path}: has no video to burn subtitles into; drop --burn")
    if options.mode == "fast" and (options.fade or options.burn or options.vertical):
        raise InputError("--fade, --burn and --vertical re-encode the picture; use --mode accurate")
    notes: list[str] = []
    burn = options.burn
    if burn:
        ok, why = _media.burn_support(None)
        if not ok:
            burn = False
            notes.append(f"cannot burn subtitles in ({why}); wrote them as sidecar .srt/.vtt files instead")
    fps = (info.fps_num, info.fps_den) if info.has_video and info.fps_num and info.fps_den else None
    ext = clip_extension(info, options.mode)
    src = str(Path(info.path).resolve())
    commands: list[tuple[str, ...]] = []
    entries: list[ManifestClip] = []
    written: list[str] = []
    per_clip: dict[int, tuple[str, ...]] = {}
    # Everything is cut into a staging folder and swapped in at the end: an error or Ctrl-C
    # leaves the folder as it was (earlier clips included), never half a set.
    staging = None if options.dry_run else _staging(out)
    work = staging or out
    try:
        for n, c in enumerate(clips, start=1):
            entries.append(_cut_one(alignment, info, c, out, work, options, burn, fps, ext, src, commands, written, per_clip))
            if progress is not None:
                progress("cutting", n, len(clips))
        manifest = Manifest(media=src, fps=fps, mode=options.mode, clips=tuple(entries))
        supercut = None
        if options.concat and len(entries) > 1:
            dest = out / f"{SUPERCUT}{ext}"
            lst = work / f".{SUPERCUT}.list.txt"
            args = _media.concat_args(str(lst), str(work / dest.name))
            commands.append((_media.ffmpeg_binary(), *_media.concat_args(str(lst), str(dest))))
            if not options.dry_run:
                try:
                    lst.write_text(_media.concat_list([str(work / e.file) for e in entries if e.file]), encoding="utf-8")
                    _media.run_ffmpeg(args[2:], what="joining the clips")
                finally:
                    lst.unlink(missing_ok=True)
                written.append(dest.name)
            supercut = dest.name
        elif options.concat:
            notes.append("--concat needs two clips or more; nothing joined")
        if staging is not None:
            save_manifest(manifest, staging, force=True)
            written += [MANIFEST_JSON, MANIFEST_CSV]
            _swap_in(staging, out, old)
    finally:
        if staging is not None and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return CutResult(
        manifest=manifest,
        folder=out,
        commands=tuple(commands),
        files=tuple(written),
        notes=tuple(notes),
        seconds=time.perf_counter() - t0,
        supercut=supercut,
        per_clip_notes=per_clip,
    )


def _staging(out: Path) -> Path:
    """A fresh folder on ``out``'s file system: inside it when it exists, else beside it
    (then it becomes ``out``, so it gets a plain folder's permissions, not mkdtemp's 0700)."""
    if out.is_dir():
        return Path(tempfile.mkdtemp(prefix=".clipper-cut.", dir=out))
    out.parent.mkdir(parents=True, exist_ok=True)
    d = Path(tempfile.mkdtemp(prefix=f".{out.name}.part-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(d, 0o777 & ~umask)
    return d


def _swap_in(staging: Path, out: Path, old: Sequence[Path]) -> None:
    """Replace the earlier clips (``old``) with the staged set: renames only."""
    if staging.parent != out:
        os.replace(staging, out)
        return
    for p in old:
        p.unlink(missing_ok=True)
    for p in staging.iterdir():
        os.replace(p, out / p.name)
    staging.rmdir()


def _cut_one(
    alignment: Alignment,
    info: MediaInfo,
    c: PlannedClip,
    out: Path,
    work: Path,
    options: CutOptions,
    burn: bool,
    fps: tuple[int, int] | None,
    ext: str,
    src: str,
    commands: list[tuple[str, ...]],
    written: list[str],
    per_clip: dict[int, tuple[str, ...]],
) -> ManifestClip:
    """Cut one clip (and its subtitles) into ``work``; its command names the final path in ``out``."""
    dest = out / f"{c.name}{ext}"
    srt_name = vtt_name = None
    srt_path: Path | None = None
    if options.subtitles or burn:
        srt_text, vtt_text = clip_subtitles(alignment, c.span, fps)
        srt_name, vtt_name = f"{c.name}.srt", f"{c.name}.vtt"
        srt_path = work / srt_name
        if not options.dry_run:
            write_text(srt_path, srt_text, force=True)
            write_text(work / vtt_name, vtt_text, force=True)
            written += [srt_name, vtt_name]
    tmp = work / dest.name
    spec = _media.CutSpec(
        source=src,
        dest=str(tmp),
        start=c.span.start,
        end=c.span.end,
        mode=options.mode,
        video=info.has_video,
        audio=info.has_audio,
        fade=options.fade,
        subtitles=str(srt_path.resolve()) if (burn and srt_path is not None) else None,
        vertical=options.vertical,
        x_offset=options.x_offset,
        width=info.width,
        height=info.height,
    )
    # the command as the user would run it: into the final name
    shown = _media.cut_args(_replace(spec, dest=str(dest)))
    commands.append((_media.ffmpeg_binary(), *shown))
    if not options.dry_run:
        _media.cut(spec)
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise ClipperError(f"ffmpeg wrote nothing for {dest.name}")
        written.append(dest.name)
    span_end = c.span.end
    clip_notes = c.notes
    if options.mode == "fast" and not options.dry_run:
        # a stream copy ends on whole (reordered) frames and audio packets: report
        # what was cut, not what was asked
        got = _media.probe(tmp).duration
        if got != c.span.duration:
            span_end = c.span.start + got
            clip_notes = (*clip_notes, f"fast mode: end moved {got - c.span.duration:+d} ms (stream copy keeps whole frames)")
    per_clip[c.index] = clip_notes
    return ManifestClip(
        index=c.index,
        name=c.name,
        file=dest.name,
        label=c.label,
        kind=c.kind,
        source_start=c.span.start,
        source_end=span_end,
        requested_start=c.requested.start,
        requested_end=c.requested.end,
        handle_before=c.handle_before,
        handle_after=max(0, span_end - c.content.end),
        srt=srt_name,
        vtt=vtt_name,
        text=c.text,
    )


def keyframes_for(info: MediaInfo, starts: Sequence[int]) -> list[int]:
    """Keyframes (ms) of ``info``'s video near each of ``starts`` (for fast mode)."""
    if not info.has_video:
        return []
    keys: set[int] = set()
    for s in starts:
        keys.update(_media.keyframes_near(info.path, max(0, s)))
    return sorted(keys)


def fps_fraction(info: MediaInfo) -> Fraction | None:
    """The video frame rate as a Fraction (None without video)."""
    if not info.has_video or not info.fps_num or not info.fps_den:
        return None
    return Fraction(info.fps_num, info.fps_den)
