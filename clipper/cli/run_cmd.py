"""``clipper run MEDIA TRANSCRIPT -o DIR``: align, subtitles, a clip per takeaway, chapters, EDL."""

from __future__ import annotations

import typer

from ..align import ENGINES
from ..timecode import format_clock
from . import app
from .align_cmd import AUDIO_TRACK_HELP, summary_line
from .common import JSON, QUIET, Command, emit_json, epilog, note, progress

_EPILOG = epilog(
    "clipper run talk.mp4 talk.txt -o out/",
    "clipper run talk.mp4 talk.txt --reference talk.youtube.vtt -o out/",
    "clipper run talk.mp4 longcut.txt -o out/ --mode fast --json",
    "clipper run talk.mp4 talk.txt -o out/ --outputs alignment,srt,vtt",
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
    audio_track: int = typer.Option(0, "--audio-track", metavar="N", help=AUDIO_TRACK_HELP + " Clips keep every track, this one first."),
    option: list[str] = typer.Option([], "--option", "-O", metavar="KEY=VALUE", help="Engine setting KEY=VALUE, as for 'clipper align'; repeatable."),
    outputs: str = typer.Option("all", "--outputs", metavar="LIST", help="What to write: all, or some of alignment,srt,vtt,clips,chapters,edl."),
    force: bool = typer.Option(False, "--force", help="Replace earlier results; align a transcript or reference that does not seem to belong to the media (confidences capped at 0.1)."),
    quiet: bool = QUIET,
    as_json: bool = JSON,
) -> None:
    from ..pipeline import parse_options
    from ..workflow import output_paths, parse_outputs, run, stem_of

    want = parse_outputs(outputs)
    with progress(quiet) as bar:
        summary = run(media, transcript, output, reference=reference, engine=engine, options=parse_options(option), outputs=want,
                      mode=mode, handle_before=handle_before, handle_after=handle_after, jobs=jobs, force=force, progress=bar,
                      audio_track=audio_track)  # fmt: skip
    if as_json:
        for w in summary["alignment"].get("warnings", ()):
            note(f"clipper: warning: {w}", quiet)
        emit_json(summary)
        return
    paths = output_paths(output, stem_of(transcript), want)
    lines = [
        f"clipper: {media} ({format_clock(summary['media_ms'])}) + {transcript} -> {output}",
        f"  alignment  {paths['alignment'].name if 'alignment' in paths else '(not written)'}: {summary_line(summary['alignment'])}",
    ]
    if "subtitles" in summary:
        names = ", ".join(paths[f].name for f in ("srt", "vtt") if f in paths)
        lines.append(f"  subtitles  {names}: {summary['subtitles']['cues']} cues")
    if "clips" in summary:
        lines.append(f"  clips      {summary['clips']['count']} in {paths['clips'].name}/ (one per takeaway)")
    for fmt, name in summary["exports"].items():
        lines.append(f"  {fmt:<10} {name}")
    lines += [f"  warning: {w}" for w in summary["alignment"].get("warnings", ())]
    lines += [f"  note: {n}" for n in summary["notes"]]
    lines.append(f"  done in {summary['seconds']:.1f} s")
    note("\n".join(lines), quiet)
