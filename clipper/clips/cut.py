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

from .. import media as _media
from ..errors import ClipperError, InputError
from ..io import write_text
from ..model import Alignment, MediaInfo, ProgressFn
from .plan import (
    MANIFEST_CSV,
    MANIFEST_JSON,
    ClipRequest,
    Manifest,
    ManifestClip,
    PlannedClip,
    clip_subtitles,
    load_manifest,
    save_manifest,
)

__all__ = [
    "CutOptions", "CutResult", "clip_extension", "check_folder", "make_clips", "keyframes_for", "fps_fraction", "SUPERCUT",
    "SUPERCUT_ORDERS", "frame_lines", "burn_font_size", "given_order", "parse_scale",
]

SUPERCUT = "supercut"
#: how ``--concat`` orders the clips: as the user gave them, or by their place in the media
SUPERCUT_ORDERS = ("given", "timeline")


@dataclass(frozen=True, slots=True)
class CutOptions:
    """How to cut. ``scale`` is the picture size (W, H) of accurate clips (vertical ones
    default to 1080x1920 or taller, see :func:`clipper.media.frame_size`); ``video_codec``,
    ``crf``, ``preset`` and ``audio_bitrate`` set the re-encoding (None: the defaults,
    :data:`clipper.media.VIDEO_CODEC`/``AUDIO_CODEC``) and do not apply to ``fast`` clips.
    ``supercut_order`` lists clip indices in the order ``concat`` joins them (None: by time).
    """

    mode: str = "accurate"
    fade: int = 0
    burn: bool = False
    vertical: bool = False
    x_offset: int | None = None
    concat: bool = False
    subtitles: bool = True
    force: bool = False
    dry_run: bool = False
    scale: tuple[int, int] | None = None
    video_codec: str | None = None
    crf: int | None = None
    preset: str | None = None
    audio_bitrate: str | None = None
    supercut_order: tuple[int, ...] | None = None

    @property
    def encoding_set(self) -> bool:
        return any(v is not None for v in (self.video_codec, self.crf, self.preset, self.audio_bitrate))


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
    #: the clips' picture size (None: no video); subtitles' (max_chars, max_lines) for it
    frame: tuple[int, int] | None = None
    lines: tuple[int, int] | None = None
    #: clip files in the order the supercut joins them
    supercut_files: tuple[str, ...] = ()


def parse_scale(text: str) -> tuple[int, int]:
    """``--scale WxH`` as (W, H), both even and between 16 and 8192.

    >>> parse_scale("1080x1350")
    (1080, 1350)
    """
    import re

    m = re.fullmatch(r"\s*(\d+)\s*[xX:]\s*(\d+)\s*", text)
    if not m:
        raise InputError(f"⟨--scale⟩ {text!r}: give WIDTHxHEIGHT, e.g. 1080x1920")
    w, h = int(m.group(1)), int(m.group(2))
    if w % 2 or h % 2 or not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise InputError(f"⟨--scale⟩ {text}: width and height must be even numbers from 16 to 8192 (H.264 needs even sizes)")
    return w, h


def frame_lines(frame: tuple[int, int]) -> tuple[int, int]:
    """Subtitle ``(max_chars, max_lines)`` for a picture of ``frame`` (W, H).

    16:9 and wider: Netflix's 42 x 2. Narrower frames lose characters in proportion, down
    to BBC's ~25 for 9:16, where BBC allows a third line (docs/subtitles.md).

    >>> frame_lines((1920, 1080)), frame_lines((1440, 1080)), frame_lines((1080, 1920)), frame_lines((1080, 1080))
    ((42, 2), (31, 2), (25, 3), (25, 2))
    """
    w, h = frame
    chars = min(42, max(25, int(42 * (w / h) / (16 / 9) + 1e-9 + 0.05)))
    return chars, (3 if w < h else 2)


#: the width a line may take (of the frame's), and room left for wider-than-average lines
LINE_SHARE, WIDTH_MARGIN = 0.9, 1.1


def burn_font_size(frame: tuple[int, int], max_chars: int, char_em: float) -> float:
    """libass ``Fontsize`` (in its 288-line script space, as SRT gets) for burnt-in subtitles.

    Scaled to the frame's height like ffmpeg's default (16 of 288: 60 px at 1080p), but no
    larger than lets ``max_chars`` characters of ``char_em`` ems each (measured,
    :func:`clipper.media.subtitle_char_width`), plus a 10% margin, fit in 90% of the
    width: so a laid-out line is never wrapped again by libass.

    >>> burn_font_size((1920, 1080), 42, 0.4317), burn_font_size((1080, 1920), 25, 0.4317)
    (16.0, 12.2)
    """
    w, h = frame
    px = min(h * 16 / 288, LINE_SHARE * w / (max_chars * char_em * WIDTH_MARGIN))
    return float(int(px * 288 / h * 10) / 10)


def given_order(requests: Sequence[ClipRequest], clips: Sequence[PlannedClip]) -> tuple[int, ...]:
    """Clip indices in the order their requests were given (``requests`` in that order):
    each request is found in the clip whose requested span holds it (the smallest, when
    merged clips nest); a clip serving several requests comes at its first one.

    >>> from clipper.model import Span
    >>> a, b = ClipRequest("range", "a", 0, 1000), ClipRequest("range", "b", 5000, 6000)
    >>> cs = [PlannedClip(k + 1, "", "range", r.label, "", Span(r.start, r.end), Span(r.start, r.end), Span(r.start, r.end)) for k, r in enumerate([a, b])]
    >>> given_order([b, a], cs)
    (2, 1)
    """
    out: list[int] = []
    for r in requests:
        holding = [c for c in clips if c.requested.start <= r.start and r.end <= c.requested.end]
        if not holding:  # not expected: the plan keeps every request's span; then by overlap
            holding = sorted(clips, key=lambda c: -max(0, min(c.requested.end, r.end) - max(c.requested.start, r.start)))[:1]
        if holding:
            best = min(holding, key=lambda c: c.requested.end - c.requested.start)
            if best.index not in out:
                out.append(best.index)
    out += [c.index for c in clips if c.index not in out]
    return tuple(out)


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
        raise InputError(f"{folder}: is a file, expected a folder for the clips (⟨-o⟩ DIR)")
    old = _old_files(folder) if folder.exists() else []
    if old and not force:
        raise InputError(
            f"{folder}: holds earlier clips ({len(old)} file(s), e.g. {old[0].name}); "
            "pass ⟨--force⟩ to replace them or choose another ⟨-o⟩ folder"
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
        raise InputError("nothing to cut: give ⟨--quote⟩, ⟨--takeaway⟩, ⟨--topic⟩ or ⟨--range⟩")
    old = check_folder(out, options.force)
    if options.vertical and not info.has_video:
        raise InputError(f"{info.path}: has no video to crop; drop ⟨--vertical⟩")
    if options.burn and not info.has_video:
        raise InputError(f"{info.path}: has no video to burn subtitles into; drop ⟨--burn⟩")
    if options.scale and not info.has_video:
        raise InputError(f"{info.path}: has no video to scale; drop ⟨--scale⟩")
    if options.mode == "fast" and (options.fade or options.burn or options.vertical or options.scale):
        raise InputError("⟨--fade⟩, ⟨--burn⟩, ⟨--vertical⟩ and ⟨--scale⟩ re-encode the picture; use ⟨--mode⟩ accurate")
    notes: list[str] = []
    if options.mode == "fast":
        vcodec, acodec = _media.VIDEO_CODEC, _media.AUDIO_CODEC
        if options.encoding_set:
            notes.append("fast mode copies the streams: --video-codec, --crf, --preset and --audio-bitrate do not apply")
    else:  # bad values fail here, before anything is cut
        vcodec = _media.video_codec_args(options.video_codec, options.crf, options.preset)
        acodec = _media.audio_codec_args(options.audio_bitrate)
    burn = options.burn
    if burn:
        ok, why = _media.burn_support(None)
        if not ok:
            burn = False
            notes.append(f"cannot burn subtitles in ({why}); wrote them as sidecar .srt/.vtt files instead")
    fps = (info.fps_num, info.fps_den) if info.has_video and info.fps_num and info.fps_den else None
    ext = clip_extension(info, options.mode)
    src = str(Path(info.path).resolve())
    sar = (info.sar_num, info.sar_den) if info.sar_num and info.sar_den else None
    frame = _media.frame_size(info.width, info.height, sar, options.vertical, options.scale) if options.mode == "accurate" else None
    shown = frame or ((info.width, info.height) if info.width and info.height else None)
    # the clip's subtitles (sidecar and burnt in) are laid out for the picture they go with
    lines = frame_lines(shown) if info.has_video and shown else None
    style = None
    if burn and shown and lines:
        style = f"Fontsize={burn_font_size(shown, lines[0], _media.subtitle_char_width(None)):g}"
    keep_subs, sub_codec = _media.subtitle_plan(info.subtitle_codecs, ext)
    notes += _stream_notes(info, ext, keep_subs, sub_codec)
    geometry = _Geometry(frame, sar, lines, style, vcodec, acodec, keep_subs, sub_codec or "copy")
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
            entries.append(_cut_one(alignment, info, c, out, work, options, burn, fps, ext, src, commands, written, per_clip, geometry))
            if progress is not None:
                progress("cutting", n, len(clips))
        manifest = Manifest(media=src, fps=fps, mode=options.mode, clips=tuple(entries))
        supercut = None
        joined: list[ManifestClip] = []
        if options.concat and len(entries) > 1:
            rank = {k: n for n, k in enumerate(options.supercut_order or ())}
            joined = sorted(entries, key=lambda e: (rank.get(e.index, len(rank)), e.source_start))
            dest = out / f"{SUPERCUT}{ext}"
            lst = work / f".{SUPERCUT}.list.txt"
            args = _media.concat_args(str(lst), str(work / dest.name))
            commands.append((_media.ffmpeg_binary(), *_media.concat_args(str(lst), str(dest))))
            if not options.dry_run:
                try:
                    lst.write_text(_media.concat_list([str(work / e.file) for e in joined if e.file]), encoding="utf-8")
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
        frame=(frame or shown) if info.has_video else None,
        lines=lines,
        supercut_files=tuple(e.file for e in joined if e.file),
    )


@dataclass(frozen=True, slots=True)
class _Geometry:
    """What every clip of a run shares: picture size, subtitle shape, encoders, streams."""

    frame: tuple[int, int] | None
    sar: tuple[int, int] | None
    lines: tuple[int, int] | None
    style: str | None
    video_codec: tuple[str, ...]
    audio_codec: tuple[str, ...]
    subtitle_streams: tuple[int, ...]
    subtitle_codec: str


def _stream_notes(info: MediaInfo, ext: str, keep_subs: Sequence[int], sub_codec: str | None) -> list[str]:
    """What happens to the source's other streams, said once per run."""
    notes = []
    n = len(info.audio_tracks)
    if n > 1:
        notes.append(f"all {n} audio tracks kept; track {info.audio_track} first (the default)")
    subs = len(info.subtitle_codecs)
    if keep_subs:
        how = "as they are" if sub_codec == "copy" else f"as {sub_codec}"
        notes.append(f"{len(keep_subs)} of {subs} subtitle stream(s) kept {how}")
    if subs > len(keep_subs):
        dropped = sorted({c for k, c in enumerate(info.subtitle_codecs) if k not in keep_subs})
        notes.append(f"{subs - len(keep_subs)} subtitle stream(s) not kept ({', '.join(dropped)}): a {ext} clip cannot carry them")
    if info.data_streams:
        notes.append(f"{info.data_streams} data stream(s) (timecode and the like) not kept")
    return notes


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
    geo: _Geometry,
) -> ManifestClip:
    """Cut one clip (and its subtitles) into ``work``; its command names the final path in ``out``."""
    dest = out / f"{c.name}{ext}"
    srt_name = vtt_name = None
    srt_path: Path | None = None
    clip_notes = c.notes
    if options.subtitles or burn:
        srt_text, vtt_text = clip_subtitles(alignment, c.span, fps, geo.lines)
        if burn and not srt_text.strip():  # libass refuses an empty file: nothing to burn in
            burn = False
            clip_notes = (*clip_notes, "no subtitles fall in this clip: nothing burnt in")
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
        video_codec=geo.video_codec,
        audio_codec=geo.audio_codec,
        sar=geo.sar,
        frame=geo.frame,
        subtitle_style=geo.style if burn else None,
        audio_track=info.audio_track,
        audio_tracks=max(1, len(info.audio_tracks)),
        subtitle_streams=geo.subtitle_streams,
        subtitle_codec=geo.subtitle_codec,
        mute_head=c.mute_head if options.mode == "accurate" else 0,
        mute_tail=c.mute_tail if options.mode == "accurate" else 0,
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
        mute_head=spec.mute_head,
        mute_tail=spec.mute_tail,
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
