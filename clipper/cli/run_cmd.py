"""``clipper run MEDIA TRANSCRIPT -o DIR``: align, subtitles, a clip per takeaway, chapters, EDL."""

from __future__ import annotations

import typer

from ..align import ENGINES
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
    from ..workflow import OUTPUTS, output_paths, run, stem_of

    with progress(quiet) as bar:
        summary = run(media, transcript, output, reference=reference, engine=engine, mode=mode,
                      handle_before=handle_before, handle_after=handle_after, jobs=jobs, force=force, progress=bar)  # fmt: skip
    if as_json:
        emit_json(summary)
        return
    paths = output_paths(output, stem_of(transcript), OUTPUTS)
    a, clips = summary["alignment"], summary["clips"]
    lines = [
        f"clipper: {media} ({format_clock(summary['media_ms'])}) + {transcript} -> {output}",
        f"  alignment  {paths['alignment'].name}: {summary_line(a)}",
        f"  subtitles  {paths['srt'].name}, {paths['vtt'].name}: {summary['subtitles']['cues']} cues",
        f"  clips      {clips['count']} in {paths['clips'].name}/ (one per takeaway)",
    ]
    for fmt, name in summary["exports"].items():
        lines.append(f"  {fmt:<10} {name}")
    lines += [f"  note: {n}" for n in summary["notes"]]
    lines.append(f"  done in {summary['seconds']:.1f} s")
    note("\n".join(lines), quiet)
