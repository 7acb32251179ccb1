"""``clipper sync SUBS MEDIA -o OUT``: re-time an existing subtitle file to its media."""

from __future__ import annotations

import typer

from ..errors import InputError
from . import app
from .common import JSON, QUIET, Command, emit_json, epilog, note, progress

_EPILOG = epilog(
    "clipper sync film.srt film.mkv -o film.synced.srt",
    "clipper sync talk.vtt talk.mp4 --mode offset -o talk.synced.vtt",
    "clipper sync episode.ass episode.mkv --mode full --audio-track 1 \\\n    -o episode.synced.ass",
    "clipper sync film.srt -o film.synced.srt --offset -2500 --scale 25/23.976",
    notes=(
        "Only the times change: styling, line breaks, cue numbers, identifiers and settings "
        "stay byte for byte. A fit that does not stand out (subtitles of another recording) "
        "is refused with exit code 2 and its score; --force writes it anyway."
    ),
)


@app.command(
    "sync",
    cls=Command,
    short_help="Re-time an existing SRT, WebVTT or ASS file to its media.",
    no_args_is_help=True,
    epilog=_EPILOG,
    help=(
        "Re-time an existing subtitle file (SRT, WebVTT, ASS/SSA) to its media: a constant offset, "
        "an offset and a frame-rate drift, or each cue re-aligned; only the times change."
    ),
)
def sync_command(
    inputs: list[str] = typer.Argument(
        ..., metavar="SUBS [MEDIA]", help="The subtitle file (.srt, .vtt, .ass, .ssa) and its media; MEDIA may be left out with --offset/--scale."
    ),
    output: str = typer.Option(..., "--output", "-o", metavar="FILE", help="The re-timed file to write, in the input's format (same extension)."),
    mode: str = typer.Option(
        "drift", "--mode", "-m", metavar="MODE",
        help="offset: a constant shift; drift: a shift and a linear scale (frame-rate mismatch); full: drift, then each cue aligned by the speech engine (English, slower).",
    ),  # fmt: skip
    offset: int | None = typer.Option(None, "--offset", metavar="MS", help="Apply this known shift in ms (negative: earlier) without analysing the media."),
    scale: str | None = typer.Option(None, "--scale", metavar="RATIO", help="Apply this known scale (1.0427 or 25/23.976) without analysing the media."),
    max_offset: float | None = typer.Option(None, "--max-offset", metavar="SECONDS", help="Largest shift to consider (default: any that keeps half the cues on the media)."),
    audio_track: int = typer.Option(0, "--audio-track", metavar="N", help="Audio track to listen to (0 = the first)."),
    jobs: int = typer.Option(1, "--jobs", "-j", metavar="N", help="Processes decoding the audio (and aligning, in full mode)."),
    encoding: str | None = typer.Option(None, "--encoding", metavar="ENCODING", help="Text encoding of SUBS when it is not UTF-8 and has no BOM (written back the same)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing output file; write a fit that scores under the threshold."),
    quiet: bool = QUIET,
    as_json: bool = JSON,
) -> None:
    from ..sync import parse_scale, sync

    if len(inputs) > 2:
        raise InputError(f"expected SUBS [MEDIA], got {len(inputs)} paths")
    subs = inputs[0]
    media = inputs[1] if len(inputs) == 2 else None
    known = parse_scale(scale) if scale is not None else None
    if media is None and offset is None and known is None:
        raise InputError(f"{subs}: no media; give SUBS MEDIA, or a known --offset/--scale")
    with progress(quiet) as bar:
        res = sync(
            subs,
            media,
            output,
            mode=mode,
            offset=offset,
            scale=known,
            force=force,
            max_offset=None if max_offset is None else int(round(max_offset * 1000)),
            jobs=jobs,
            audio_track=audio_track,
            encoding=encoding,
            progress=bar,
        )
    if as_json:
        emit_json(res.to_dict())
    for w in res.warnings:
        note(f"clipper: warning: {w}", quiet)
    note(f"clipper: {summary_line(res.to_dict())}", quiet)


def summary_line(r: dict[str, object]) -> str:
    """``synced a.srt -> b.srt (drift): offset +2500 ms, scale 1.0427093 (25/23.976), fit score 48.5, 271 cues ...``"""
    scale = f"scale {r['scale']:.7f}" + (f" ({r['scale_name']})" if r["scale_name"] else "")
    score = "" if r["score"] is None else f", fit score {r['score']:.1f}"
    line = f"synced {r['subtitles']} -> {r['output']} ({r['mode']}): offset {r['offset_ms']:+d} ms, {scale}{score}"
    line += f", {r['cues']} cues ({r['speech_cues']} with speech)"
    full = r.get("full")
    if isinstance(full, dict):
        line += f", {full['aligned']} re-aligned, {full['neighbours']} moved with their neighbours, {full['kept']} kept the drift time"
    if r["clamped"]:
        line += f", {r['clamped']} clamped to the media"
    line += f", {r['wall_s']:.1f} s"
    if r["forced"]:
        line += " [FORCED: the fit is weak; times may be wrong]"
    return line
