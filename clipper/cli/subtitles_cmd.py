"""``clipper subtitles X.align.json -o out.srt|out.vtt`` with the layout options."""

from __future__ import annotations

import typer

from ..timecode import parse_fps
from . import app
from .common import FORCE, JSON, QUIET, Command, emit_json, epilog, note

_EPILOG = epilog(
    "clipper subtitles talk.align.json -o talk.srt",
    "clipper subtitles talk.align.json -o talk.vtt --karaoke",
    "clipper subtitles talk.align.json -o talk.srt --max-chars 37 \\\n    --max-cps 20 --fps 24000/1001 --notes drop",
)


@app.command(
    "subtitles",
    cls=Command,
    short_help="Write SRT or WebVTT subtitles from an alignment.",
    no_args_is_help=True,
    epilog=_EPILOG,
    help="Write SRT or WebVTT subtitles from an alignment file, laid out by the Netflix/BBC conventions.",
)
def subtitles_command(
    alignment: str = typer.Argument(..., metavar="X.align.json", help="The alignment file written by 'clipper align'."),
    output: str = typer.Option(..., "--output", "-o", metavar="FILE", help="The subtitle file to write: .srt or .vtt (chosen by the extension)."),
    max_chars: int = typer.Option(42, "--max-chars", metavar="N", help="Characters a line (Netflix: 42; BBC: about 37)."),
    max_lines: int = typer.Option(2, "--max-lines", metavar="N", help="Lines a cue."),
    max_cps: float = typer.Option(17.0, "--max-cps", metavar="CPS", help="Reading speed in characters a second (Netflix adult template: 17; ceiling 20)."),
    min_duration: int = typer.Option(833, "--min-duration", metavar="MS", help="Shortest cue in ms (grown into following silence only)."),
    max_duration: int = typer.Option(7000, "--max-duration", metavar="MS", help="Longest cue in ms; longer speech is split."),
    min_gap_frames: int = typer.Option(2, "--min-gap-frames", metavar="FRAMES", help="Frames between two cues."),
    close_gap_frames: int = typer.Option(12, "--close-gap-frames", metavar="FRAMES", help="Close a gap of up to this many frames down to the minimum gap; 0 = off."),
    fps: str | None = typer.Option(None, "--fps", metavar="FPS", help="Frame rate for the frame gaps (25, 29.97, 24000/1001); default: the media's, else 25."),
    lead_in: int = typer.Option(0, "--lead-in", metavar="MS", help="ms a cue may start before its first word (into silence only)."),
    lead_out: int = typer.Option(0, "--lead-out", metavar="MS", help="ms a cue may stay after its last word (into silence only)."),
    merge_gap: int = typer.Option(1000, "--merge-gap", metavar="MS", help="Largest pause (ms) between two segments that may share a cue."),
    no_merge: bool = typer.Option(False, "--no-merge", help="Never put two segments in one cue."),
    karaoke: bool = typer.Option(False, "--karaoke", help="VTT only: inline word timestamps <00:00:01.000><c>word</c>."),
    notes: str = typer.Option("keep", "--notes", metavar="keep|drop", help="Non-speech notes such as [laughter]: keep (own cue when placed) or drop."),
    force: bool = FORCE,
    quiet: bool = QUIET,
    as_json: bool = JSON,
) -> None:
    from .. import alignfile, io
    from ..subtitles import LayoutOptions, format_for, write

    fmt = format_for(output)  # a wrong extension fails before any reading
    io.check_writable(output, force)
    options = LayoutOptions(
        max_chars=max_chars,
        max_lines=max_lines,
        max_cps=max_cps,
        min_duration=min_duration,
        max_duration=max_duration,
        min_gap_frames=min_gap_frames,
        close_gap_frames=close_gap_frames,
        fps=parse_fps(fps) if fps is not None else None,
        lead_in=lead_in,
        lead_out=lead_out,
        merge=not no_merge,
        merge_gap=merge_gap,
        karaoke=karaoke,
        notes=notes,
    )
    al = alignfile.load(alignment)
    stats = write(al, output, options, force=force)
    if as_json:
        emit_json({"output": output, "format": fmt, **stats.to_dict()})
    else:
        extra = []
        if stats.segments_skipped:
            extra.append(f"{stats.segments_skipped} segments not placed, skipped")
        if stats.cps_violations:
            extra.append(f"{stats.cps_violations} cues faster than {max_cps:g} cps")
        if stats.notes_no_room:
            extra.append(f"{stats.notes_no_room} notes had no room")
        if stats.words_past_end:
            extra.append(f"{stats.words_past_end} words crowded past the media's end, left out")
        more = f" ({'; '.join(extra)})" if extra else ""
        note(f"wrote {output}: {stats.cues} cues{more}", quiet)
