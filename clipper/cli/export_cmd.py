"""``clipper export X.align.json --format F [--clips MANIFEST] [-o OUT]``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ..errors import InputError
from . import app
from .common import FORCE, JSON, QUIET, Command, emit_json, epilog, note

__all__ = ["export_command"]

_EPILOG = epilog(
    "clipper export talk.align.json --format chapters",
    "clipper export talk.align.json --format edl --clips clips/manifest.json \\\n    --fps 29.97 --drop-frame",
    "clipper export talk.align.json --format fcpxml -o talk.fcpxml",
    notes=(
        "Output: -o FILE, or by default a file beside the alignment named after it "
        "(talk.align.json -> talk.edl, talk.clips.edl with --clips, talk.chapters.txt, ...); "
        "-o - writes to stdout. Existing files are kept unless --force."
    ),
)

_FORMAT_HELP = (
    "Markers are the takeaways and topics (else sections found where the transcript changes subject). "
    "edl (CMX 3600: clip events with --clips, else a DaVinci Resolve marker EDL), "
    "xmeml (Final Cut Pro 7 XML for Premiere/Resolve), fcpxml (Final Cut Pro X 1.10), "
    "otio (OpenTimelineIO JSON), chapters (YouTube description text), "
    "ffmetadata (chapters for ffmpeg -map_chapters), csv (markers and clips)."
)


@app.command(
    "export",
    cls=Command,
    short_help="Write EDL, xmeml, FCPXML, OTIO, chapters or CSV for editors.",
    no_args_is_help=True,
    epilog=_EPILOG,
    help="Write markers (takeaways, topics) and cut clips as EDL, xmeml, FCPXML, OTIO, chapters or CSV.",
)
def export_command(
    alignment: Path = typer.Argument(..., metavar="X.align.json", help="The alignment file from 'clipper align'."),
    fmt: str = typer.Option(..., "--format", "-f", metavar="FORMAT", help=_FORMAT_HELP),
    clips: Path | None = typer.Option(
        None, "--clips", "-c", metavar="MANIFEST", help="A clip manifest (manifest.json, or the clip folder) from 'clipper cut': export its clips."
    ),
    fps: str | None = typer.Option(
        None, "--fps", metavar="FPS", help="Editing frame rate: 25, 29.97, 23.976, 24000/1001 ... (default: the clips' or media's, else 25)."
    ),
    drop_frame: bool = typer.Option(False, "--drop-frame", help="Drop-frame timecode (29.97 and 59.94 fps only)."),
    start_timecode: str | None = typer.Option(
        None,
        "--start-timecode",
        metavar="HH:MM:SS:FF",
        help=(
            "Timeline timecode of the first frame for edl/fcpxml/otio/xmeml, "
            "e.g. 01:00:00:00 (Resolve's default); default 00:00:00:00."
        ),
    ),
    media: str | None = typer.Option(
        None, "--media", metavar="MEDIA", help="The media file to reference, if it moved since alignment (default: the one recorded)."
    ),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="File to write; '-' for stdout (default: beside the alignment, see below)."
    ),
    force: bool = FORCE,
    quiet: bool = QUIET,
    as_json: bool = JSON,
) -> None:
    from ..alignfile import load
    from ..export import FORMATS, default_output, export, export_rate, parse_fps
    from ..io import check_writable, write_text

    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if output == "-" and as_json:
        raise InputError("--json and -o - both want stdout; give -o FILE with --json")
    if not alignment.exists():
        raise InputError(f"{alignment}: no such alignment file; make one with 'clipper align'")
    if alignment.is_dir():
        raise InputError(f"{alignment}: is a folder; give an X.align.json file")
    if clips is not None and not clips.exists():
        raise InputError(f"{clips}: no such clip manifest; give the manifest.json that 'clipper cut' wrote")
    if media is not None and not Path(media).is_file():
        raise InputError(f"{media}: no such media file")
    out_path = None if output == "-" else Path(output) if output else default_output(alignment, fmt, clips is not None)
    if out_path is not None:
        check_writable(out_path, force)  # before any work

    al = load(alignment)
    record_start = 0
    if start_timecode:
        # the timecode is read at the rate the export will use
        rate = export_rate(al, clips_manifest=clips, fps=fps, drop_frame=drop_frame)
        record_start = rate.parse_timecode(start_timecode)
    elif fps is not None:
        parse_fps(fps)  # a bad --fps is reported as such, before anything else
    res = export(
        al,
        fmt,
        clips_manifest=clips,
        fps=fps,
        drop_frame=drop_frame,
        media=str(Path(media).resolve()) if media else None,
        base_dir=alignment.parent,
        record_start=record_start,
    )
    if out_path is None:
        sys.stdout.write(res.text)
        sys.stdout.flush()
    else:
        write_text(out_path, res.text, force=force)

    r = res.plan.rate
    summary = {
        "format": fmt,
        "output": str(out_path) if out_path is not None else "-",
        "fps": r.label,
        "fps_fraction": [r.num, r.den],
        "drop_frame": r.drop_frame,
        "media": res.plan.media_path,
        "markers": res.markers,
        "clips": res.clips,
        "chapters": res.chapters,
        "notes": list(res.notes),
    }
    if as_json:
        emit_json(summary)
    for n in res.notes:
        note(f"clipper: note: {n}", quiet)
    # sections found by topic shifts are markers too, but say so
    markers = f"{res.markers} section markers" if res.plan.markers and all(m.kind == "section" for m in res.plan.markers) else f"{res.markers} markers"
    if fmt in ("chapters", "ffmetadata"):
        what = f"{res.chapters} chapters"
    elif res.clips and fmt != "csv":
        inside = sum(len(res.plan.markers_in(c)) for c in res.plan.clips)
        what = f"{res.clips} clips, {inside} of {markers} inside them"
    else:
        what = f"{res.clips} clips, {markers}" if res.clips else markers
    note(
        f"clipper: wrote {fmt} ({what}; {r.label} fps {'DF' if r.drop_frame else 'NDF'}) -> {summary['output']}",
        quiet,
    )
