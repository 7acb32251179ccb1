"""``clipper subtitles X.align.json -o out.srt|out.vtt`` with the layout options."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import typer

from ..errors import InputError
from ..subtitles import resolve_fps
from ..timecode import format_srt, parse_fps
from . import app
from .common import FORCE, JSON, QUIET, Command, emit_json, epilog, note

if TYPE_CHECKING:
    from ..subtitles import Cue, LayoutOptions, Violation

_EPILOG = epilog(
    "clipper subtitles talk.align.json -o talk.srt",
    "clipper subtitles talk.align.json -o talk.vtt --karaoke",
    "clipper subtitles talk.align.json -o talk.srt --max-chars 37 \\\n    --max-cps 20 --fps 24000/1001 --notes drop",
    "clipper subtitles talk.align.json -o talk.srt --check",
    "clipper subtitles --check delivered.srt --fps 25",
    notes="--check lists every cue that breaks a rule (short, long, fast, gap, overlap, lines, width, "
    "frames, past_end) and exits 1 when there is one, 0 when none.",
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
    alignment: str = typer.Argument(..., metavar="X.align.json", help="The alignment file written by 'clipper align' (with --check and no -o: an .srt or .vtt to check)."),
    output: str | None = typer.Option(None, "--output", "-o", metavar="FILE", help="The subtitle file to write: .srt or .vtt (chosen by the extension)."),
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
    borrow: int = typer.Option(1000, "--borrow", metavar="MS", help="A cue still too short or too fast may start up to this many ms early, into the silence before it; 0 = never."),
    no_snap: bool = typer.Option(False, "--no-snap", help="Keep cue times in ms instead of putting them on the frame grid."),
    merge_gap: int = typer.Option(1000, "--merge-gap", metavar="MS", help="Largest pause (ms) between two segments that may share a cue."),
    no_merge: bool = typer.Option(False, "--no-merge", help="Never put two segments in one cue."),
    karaoke: bool = typer.Option(False, "--karaoke", help="VTT only: inline word timestamps <00:00:01.000><c>word</c>."),
    notes: str = typer.Option("keep", "--notes", metavar="keep|drop", help="Editorial notes, [laughter] or (a translator's gloss): keep (a note on its own gets its own cue; one inside a line stays in one cue) or drop (all of them)."),
    check: bool = typer.Option(False, "--check", help="Report every cue that breaks the rules above; exit 1 if any does."),
    force: bool = FORCE,
    quiet: bool = QUIET,
    as_json: bool = JSON,
) -> None:
    from .. import alignfile, io
    from ..subtitles import LayoutOptions, format_for, read_cues, write_layout
    from ..subtitles import check as check_cues

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
        borrow=borrow,
        snap=not no_snap,
        merge=not no_merge,
        merge_gap=merge_gap,
        karaoke=karaoke,
        notes=notes,
    )
    if output is None:
        if not check:
            raise InputError("clipper subtitles: missing -o FILE (.srt or .vtt) to write; or --check to check an existing subtitle file")
        cues = read_cues(alignment)
        fr = Fraction(*options.fps) if options.fps else None
        _report(alignment, cues, check_cues(cues, options, fps=fr), options, quiet, as_json, {"input": alignment})
        return
    fmt = format_for(output)  # a wrong extension fails before any reading
    io.check_writable(output, force)
    al = alignfile.load(alignment)
    cues, stats = write_layout(al, output, options, force=force)
    summary = {"output": output, "format": fmt, **stats.to_dict()}
    if check:
        media_end = al.media.duration if al.media is not None else None
        fr = resolve_fps(al, options) if options.snap else None
        found = check_cues(cues, options, fps=fr, media_end=media_end)
        _report(output, cues, found, options, quiet, as_json, summary)
        return
    if as_json:
        emit_json(summary)
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


def _report(name: str, cues: Sequence[Cue], found: Sequence[Violation], options: LayoutOptions,
            quiet: bool, as_json: bool, summary: dict[str, Any]) -> None:
    """Print the rule breaks (one line a cue and rule on stdout, or JSON) and exit 1 if any."""
    from ..subtitles import RULES

    counts = {r: sum(1 for v in found if v.rule == r) for r in RULES}
    if as_json:
        emit_json({**summary, "cues": len(cues), "violations": [v.to_dict() for v in found], "counts": counts})
    else:
        for v in found:
            print(f"{name}: cue {v.cue} {format_srt(v.start)} --> {format_srt(v.end)}: {v.rule}: {v.detail}")
        broken = ", ".join(f"{n} {r}" for r, n in counts.items() if n)
        wrote = "wrote " if "output" in summary else ""
        note(f"{wrote}{name}: {len(cues)} cues, {len({v.cue for v in found})} break a rule" + (f" ({broken})" if broken else ""), quiet)
    if found:
        raise typer.Exit(1)
