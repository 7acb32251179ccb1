"""``clipper run MEDIA TRANSCRIPT -o DIR``: align, subtitles, a clip per takeaway, chapters, EDL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from ..align import ENGINES
from ..errors import ClipperError, InputError
from ..timecode import format_clock
from . import app
from .align_cmd import summary_line
from .common import JSON, QUIET, Command, emit_json, epilog, note, progress

_EPILOG = epilog(
    "clipper run talk.mp4 talk.txt -o out/",
    "clipper run talk.mp4 talk.txt --reference talk.youtube.vtt -o out/",
    "clipper run talk.mp4 longcut.txt -o out/ --mode fast --json",
    notes=(
        "DIR gets NAME.align.json, NAME.srt, NAME.vtt, NAME.chapters.txt, NAME.edl and clips/ "
        "(NAME from the transcript's file name); a DIR holding earlier results is refused unless --force."
    ),
)


def _stem(path: str) -> str:
    name = Path(path).name
    for suf in (".align.json", ".transcript.txt"):
        if name.endswith(suf):
            return name[: -len(suf)]
    return Path(name).stem


@app.command(
    "run",
    cls=Command,
    short_help="Do it all: align, subtitles, clips, chapters and an EDL.",
    no_args_is_help=True,
    epilog=_EPILOG,
    help="Do it all: align, SRT, VTT, one clip per takeaway, chapters and an EDL.",
)
def run_command(
    media: str = typer.Argument(..., metavar="MEDIA", help="The media file (audio or video)."),
    transcript: str = typer.Argument(..., metavar="TRANSCRIPT", help="The transcript (LongCut export, plain text, SRT, VTT, Whisper JSON)."),
    output: str = typer.Option(..., "--output", "-o", metavar="DIR", help="Folder for everything this writes."),
    reference: str | None = typer.Option(None, "--reference", "-r", metavar="REF", help="A timed track of the same speech (SRT, VTT, Whisper JSON)."),
    engine: str = typer.Option("auto", "--engine", "-e", metavar="NAME", help="Alignment engine: auto, " + ", ".join(ENGINES) + "."),
    mode: str = typer.Option("accurate", "--mode", "-m", metavar="accurate|fast", help="Clip cutting: accurate (re-encode) or fast (stream copy)."),
    handle_before: int = typer.Option(250, "--handle-before", metavar="MS", help="ms kept before a clip's first word."),
    handle_after: int = typer.Option(400, "--handle-after", metavar="MS", help="ms kept after a clip's last word."),
    jobs: int = typer.Option(1, "--jobs", "-j", metavar="N", help="Worker processes the engine may use."),
    force: bool = typer.Option(False, "--force", help="Replace earlier results; align a transcript or reference that does not seem to belong to the media (confidences capped at 0.1)."),
    quiet: bool = QUIET,
    as_json: bool = JSON,
) -> None:
    from .. import subtitles
    from ..alignfile import save
    from ..clips import PlanOptions, build_requests, plan
    from ..cut import CutOptions, check_folder, fps_fraction, keyframes_for, make_clips
    from ..media import probe
    from ..pipeline import align_files, summarize
    from ..resolve import resolve_takeaways

    if mode not in ("accurate", "fast"):
        raise InputError(f"--mode {mode!r}: choose accurate or fast")
    for p, what in ((media, "media"), (transcript, "transcript"), (reference, "reference")):
        if p is not None and not Path(p).is_file():
            raise InputError(f"{p}: no such {what} file; check the path")
    out = Path(output)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: is a file, expected a folder (-o DIR)")
    stem = _stem(transcript)
    paths = {
        "alignment": out / f"{stem}.align.json",
        "srt": out / f"{stem}.srt",
        "vtt": out / f"{stem}.vtt",
        "chapters": out / f"{stem}.chapters.txt",
        "edl": out / f"{stem}.edl",
    }
    clips_dir = out / "clips"
    existing = [p for p in paths.values() if p.exists()]
    if existing and not force:
        raise InputError(f"{out}: holds earlier results (e.g. {existing[0].name}); pass --force to replace them or choose another -o folder")
    check_folder(clips_dir, force)
    info = probe(media)  # a corrupt or stream-less file fails here, before the long work
    t0 = time.perf_counter()
    notes: list[str] = []
    summary: dict[str, Any] = {"output": str(out)}
    with progress(quiet) as bar:
        al = align_files(transcript, media, reference_path=reference, engine=engine, jobs=jobs, progress=bar, force=force)
        out.mkdir(parents=True, exist_ok=True)
        save(al, paths["alignment"], force=force)
        summary["alignment"] = {**summarize(al), "file": paths["alignment"].name}
        cues = subtitles.layout(al, subtitles.LayoutOptions())
        from ..io import write_text

        write_text(paths["srt"], subtitles.compose_srt(cues), force=force)
        write_text(paths["vtt"], subtitles.compose_vtt(cues), force=force)
        summary["subtitles"] = {"cues": len(cues), "srt": paths["srt"].name, "vtt": paths["vtt"].name}

        resolved = resolve_takeaways(al)
        reqs = []
        for r in resolved:
            try:
                reqs += build_requests(al, takeaways=[str(r.index)])
            except InputError as e:
                notes.append(f"takeaway {r.index}: no clip ({e})")
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
        manifest_path: Path | None = None
        if reqs:
            keys = keyframes_for(info, [q.start - handle_before for q in reqs]) if mode == "fast" else None
            planned = plan(reqs, al, info.duration, PlanOptions(handle_before=handle_before, handle_after=handle_after, mode=mode), fps=fps_fraction(info), keyframes=keys)
            result = make_clips(al, info, planned, clips_dir, CutOptions(mode=mode, force=force), progress=bar)
            notes += list(result.notes)
            manifest_path = clips_dir / "manifest.json"
            summary["clips"] = {
                "folder": str(clips_dir),
                "count": len(result.manifest.clips),
                "files": [c.file for c in result.manifest.clips],
                "seconds": round(result.seconds, 2),
            }
        else:
            summary["clips"] = {"folder": None, "count": 0, "files": []}
            if not resolved:
                notes.append("the transcript has no takeaways: no clips cut (use 'clipper cut --quote/--topic/--range')")

    try:
        from .. import export as _export
    except ImportError:
        _export = None  # type: ignore[assignment]
    summary["exports"] = {}
    if _export is None:
        notes.append("clipper.export is not available: chapters and EDL skipped")
    else:
        for fmt, key, kw in (
            ("chapters", "chapters", {}),
            ("edl", "edl", {"clips_manifest": str(manifest_path)} if manifest_path else {}),
        ):
            try:
                _export.write(al, paths[key], fmt, force=force, **kw)  # type: ignore[arg-type]
                summary["exports"][fmt] = paths[key].name
            except ClipperError as e:
                notes.append(f"{fmt} not written: {e}")
    summary["notes"] = notes
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    if as_json:
        emit_json(summary)
        return
    a = summary["alignment"]
    lines = [
        f"clipper: {media} ({format_clock(info.duration)}) + {transcript} -> {out}/",
        f"  alignment  {paths['alignment'].name}: {summary_line(a)}",
        f"  subtitles  {paths['srt'].name}, {paths['vtt'].name}: {len(cues)} cues",
        f"  clips      {summary['clips']['count']} in {clips_dir.name}/ (one per takeaway)",
    ]
    for fmt, name in summary["exports"].items():
        lines.append(f"  {fmt:<10} {name}")
    lines += [f"  note: {n}" for n in notes]
    lines.append(f"  done in {summary['seconds']:.1f} s")
    note("\n".join(lines), quiet)
