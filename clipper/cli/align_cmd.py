"""``clipper align [MEDIA] TRANSCRIPT [--reference REF] -o X.align.json``."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from ..align import ENGINES
from ..errors import InputError
from ..io import check_writable
from ..read import FORMATS
from ..timecode import format_clock
from . import app
from .common import JSON, QUIET, Command, emit_json, epilog, note, progress

#: --audio-track's help, shared by align, run, cut and batch
AUDIO_TRACK_HELP = (
    "Audio track to use: 0-based among the file's audio streams (ffmpeg's 0:a:N); default 0, the first. "
    "A number the file lacks is refused with its list of tracks; a silent track gives a warning naming those with sound."
)

_EPILOG = epilog(
    "clipper align talk.mp4 talk.txt -o talk.align.json",
    "clipper align talk.mp4 talk.txt --audio-track 1 -o talk.align.json",
    "clipper align talk.txt --reference talk.youtube.vtt -o talk.align.json",
    'clipper align talk.mp4 talk.txt --engine activity \\\n    --anchor "world model@1:02:03" -o talk.align.json',
)


def split_inputs(inputs: list[str], reference: str | None) -> tuple[str | None, str]:
    """``[MEDIA] TRANSCRIPT`` -> (media, transcript); one positional needs ``--reference``."""
    if len(inputs) == 2:
        return inputs[0], inputs[1]
    if len(inputs) == 1:
        if reference is None:
            raise InputError(
                f"{inputs[0]}: no media and no --reference; give MEDIA TRANSCRIPT, or TRANSCRIPT --reference REF"
            )
        return None, inputs[0]
    raise InputError(f"expected [MEDIA] TRANSCRIPT, got {len(inputs)} paths; give at most a media file and a transcript")


def _must_be_file(path: str, what: str) -> None:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such {what} file; check the path")
    if p.is_dir():
        raise InputError(f"{p}: is a folder; give a {what} file")


@app.command(
    "align",
    cls=Command,
    short_help="Put a transcript on the timeline: write X.align.json.",
    no_args_is_help=True,
    epilog=_EPILOG,
    help="Put a transcript on the media's timeline (or a reference track's) and write X.align.json.",
)
def align_command(
    inputs: list[str] = typer.Argument(
        ...,
        metavar="[MEDIA] TRANSCRIPT",
        help="The media file (audio or video) and the transcript; MEDIA may be left out with --reference.",
    ),
    output: str = typer.Option(..., "--output", "-o", metavar="FILE", help="The alignment file to write (X.align.json)."),
    reference: str | None = typer.Option(
        None, "--reference", "-r", metavar="REF", help="A timed track of the same speech: SRT, VTT (YouTube auto-captions), Whisper JSON."
    ),
    engine: str = typer.Option(
        "auto", "--engine", "-e", metavar="NAME", help="auto, " + ", ".join(ENGINES) + " (auto: reference if given, else the best for the media)."
    ),
    anchor: list[str] = typer.Option(
        [], "--anchor", "-a", metavar="TEXT@TIME", help='A known point "TEXT@TIME" (TIME as h:mm:ss[.mmm], mm:ss or seconds); repeatable.'
    ),
    language: str | None = typer.Option(None, "--language", metavar="LANG", help="Spoken language (e.g. en); default: from the transcript."),
    audio_track: int = typer.Option(0, "--audio-track", metavar="N", help=AUDIO_TRACK_HELP),
    jobs: int = typer.Option(1, "--jobs", "-j", metavar="N", help="Worker processes an engine may use."),
    option: list[str] = typer.Option(
        [], "--option", "-O", metavar="KEY=VALUE", help="Engine setting KEY=VALUE (values read as int, float, bool or text); repeatable. A key the engine does not read, or a value of the wrong type, is refused."
    ),
    fmt: str | None = typer.Option(None, "--format", "-f", metavar="FORMAT", help=f"Transcript format: {', '.join(FORMATS)} (default: detected)."),
    encoding: str | None = typer.Option(None, "--encoding", metavar="ENCODING", help="Text encoding of transcript and reference (default: UTF-8 or BOM)."),
    segments: str = typer.Option("auto", "--segments", metavar="MODE", help="Plain-text segmentation: auto, lines or sentences."),
    force: bool = typer.Option(
        False, "--force", help="Replace an existing output file; align a transcript or reference the engine finds does not belong to the media (confidences capped at 0.1)."
    ),
    quiet: bool = QUIET,
    as_json: bool = JSON,
) -> None:
    from ..alignfile import save
    from ..pipeline import SEGMENTATIONS, align_files, parse_anchor, parse_options, summarize

    media, transcript = split_inputs(inputs, reference)
    # cheap checks first, so a typo never costs a long alignment
    if engine != "auto" and engine not in ENGINES:
        raise InputError(f"--engine {engine!r}: choose one of auto, {', '.join(ENGINES)}")
    if segments not in SEGMENTATIONS:
        raise InputError(f"--segments {segments!r}: choose one of {', '.join(SEGMENTATIONS)}")
    if jobs < 1:
        raise InputError(f"--jobs {jobs}: give 1 or more worker processes")
    if audio_track < 0:
        raise InputError(f"--audio-track {audio_track}: give 0 or more (0 is the first audio track)")
    anchors = [parse_anchor(a) for a in anchor]
    options = parse_options(option)
    _must_be_file(transcript, "transcript")
    if media is not None:
        _must_be_file(media, "media")
    if reference is not None:
        _must_be_file(reference, "reference")
    check_writable(output, force)

    t0 = time.perf_counter()
    with progress(quiet) as bar:
        al = align_files(
            transcript,
            media,
            reference_path=reference,
            engine=engine,
            anchors=anchors,
            language=language,
            jobs=jobs,
            options=options,
            progress=bar,
            force=force,
            encoding=encoding,
            segmentation=segments,
            fmt=fmt,
            audio_track=audio_track,
        )
    wall = time.perf_counter() - t0
    save(al, output, force=force)
    summary = {**summarize(al), "wall_s": round(wall, 3), "output": output}
    if as_json:
        emit_json(summary)
    for w in summary["warnings"]:
        note(f"clipper: warning: {w}", quiet)
    note(f"clipper: {summary_line(summary)}, {wall:.2f} s -> {output}", quiet)


def summary_line(summary: dict[str, object]) -> str:
    """One line: what was aligned, how, how much is placed and how much of it is sure."""
    conf = summary["mean_confidence"]
    line = (
        f"aligned {summary['segments']} segments with {summary['engine']}: "
        f"{summary['placed']} placed ({summary['confident']} confident), "
        f"{summary['unplaced_spoken']} not found in the media, "
        f"mean confidence {'-' if conf is None else f'{conf:.2f}'}"
    )
    span = summary.get("text_span_ms")
    if isinstance(span, (list, tuple)):
        line += f", the text lies in {format_clock(span[0])}-{format_clock(span[1])} of the media"
    if summary.get("engine_reason"):
        line += f" (auto: {summary['engine_reason']})"
    if summary.get("mismatch"):
        line += " [FORCED: the transcript does not match the media; times are unreliable]"
    return line
