"""``clipper find``, ``takeaways``, ``topics`` and ``cut``: from an alignment to clips."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import typer

from ..errors import InputError
from ..timecode import format_clock
from . import app
from .common import FORCE, JSON, QUIET, Command, emit_json, epilog, note, progress

#: ``ctx.meta`` key: the clip options' names in the order they were given, one per value
GIVEN = "clipper.given"
_KINDS = {"quote": "quote", "takeaway": "takeaway", "topic": "topic", "range_": "range"}


class GivenOrder(Command):
    """Records the order the clip options came in (click keeps each option's values in
    order, but not how ``--quote`` and ``--range`` interleave): a supercut follows it."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        import click

        try:
            _, _, order = self.make_parser(ctx).parse_args(args=list(args))
            ctx.meta[GIVEN] = [_KINDS[p.name] for p in order if p.name in _KINDS]
        except click.ClickException:
            pass  # the real parse below reports it
        return super().parse_args(ctx, args)


def _clock(ms: int | None) -> str:
    if ms is None:
        return "--:--"
    return f"{format_clock(ms)}.{ms % 1000:03d}"


def _load(path: str):  # type: ignore[no-untyped-def]
    from ..alignfile import load

    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such alignment file; make one with 'clipper align'")
    return load(p)


@app.command(
    "find",
    cls=Command,
    short_help="Find where a quote is said, with times and scores.",
    no_args_is_help=True,
    help="Find where a quote is said: ranked matches with times, scores and the matched text.",
    epilog=epilog(
        'clipper find talk.align.json "I just turned down OpenAI"',
        'clipper find talk.align.json "the infinit game" --top 3 --json',
    ),
)
def find_command(
    alignment: str = typer.Argument(..., metavar="X.align.json", help="The alignment file from 'clipper align'."),
    query: str = typer.Argument(
        ..., metavar="QUOTE", help="The quote, as well as you remember it (typos and dropped fillers are fine)."
    ),
    top: int = typer.Option(5, "--top", "-n", metavar="N", help="How many matches to show."),
    min_score: float = typer.Option(
        80.0, "--min-score", metavar="SCORE", help="Score (0-100) a match needs to count as found; weaker ones are shown as nearest, exit code 2."
    ),
    as_json: bool = JSON,
) -> None:
    from ..query.search import Match, find

    if top < 1:
        raise InputError(f"--top {top}: give 1 or more")
    al = _load(alignment)
    matches = find(al, query, top=top)
    found = bool(matches) and matches[0].score >= min_score

    def sure(m: Match) -> float | None:
        confs = [al.segments[i].confidence for i in m.segment_ids]
        return None if any(c is None for c in confs) else min(c for c in confs if c is not None)

    if as_json:
        emit_json({"query": query, "found": found, "matches": [{**m.to_dict(), "confidence": sure(m)} for m in matches]})
    else:
        for k, m in enumerate(matches, start=1):
            c = sure(m)
            flag = "" if m.start is None or c is None or c >= 0.5 else f"  (time unsure: confidence {c:.2f})"
            typer.echo(f"{k}. {m.score:5.1f}%  {_clock(m.start)} - {_clock(m.end)}  {m.text}{flag}")
    if found and matches[0].start is None:
        raise InputError(
            f"{alignment}: {query!r} is in the transcript but was not found in the media (not placed), so it has no time; "
            "check that the media holds it, or align again"
        )
    if not found:
        best = f"best {matches[0].score:.0f}%; the nearest are listed" if matches else "nothing comparable"
        raise InputError(f"{alignment}: no match for {query!r} scoring {min_score:.0f} or more ({best}); check the wording or lower --min-score")


@app.command(
    "takeaways",
    cls=Command,
    short_help="Resolve each takeaway's timestamp hints, with reasons.",
    no_args_is_help=True,
    help="Resolve each takeaway's timestamp hints by evidence: the chosen reading, the rejected ones and why.",
    epilog=epilog("clipper takeaways talk.align.json", "clipper takeaways talk.align.json --json"),
)
def takeaways_command(
    alignment: str = typer.Argument(
        ..., metavar="X.align.json", help="The alignment file of a transcript with takeaways (e.g. a LongCut export)."
    ),
    as_json: bool = JSON,
) -> None:
    from ..query.resolve import resolve_takeaways

    al = _load(alignment)
    resolved = resolve_takeaways(al)
    if as_json:
        emit_json({"duration": al.duration, "takeaways": [r.to_dict() for r in resolved]})
        return
    if not resolved:
        typer.echo("no takeaways in this transcript")
        return
    for r in resolved:
        typer.echo(f"{r.index}. {r.takeaway.title}")
        for h in r.hints:
            if h.chosen is None:
                typer.echo(f"   {h.hint.raw}: no possible reading")
            else:
                c = h.chosen
                typer.echo(f"   {h.hint.raw} -> {format_clock(c.reading.ms)} ({c.reading.form}, {h.confidence}): {c.reason}")
            for v in h.rejected:
                typer.echo(f"      rejected {format_clock(v.reading.ms)} ({v.reading.form}): {v.reason}")


@app.command(
    "topics",
    cls=Command,
    no_args_is_help=True,
    help="Locate each topic by the passages that discuss it most.",
    epilog=epilog("clipper topics talk.align.json", "clipper topics talk.align.json --top 1 --json"),
)
def topics_command(
    alignment: str = typer.Argument(
        ..., metavar="X.align.json", help="The alignment file of a transcript with topics (e.g. a LongCut export)."
    ),
    top: int = typer.Option(3, "--top", "-n", metavar="N", help="Passages to show a topic."),
    as_json: bool = JSON,
) -> None:
    from ..query.search import PassageIndex, locate_topic

    al = _load(alignment)
    index = PassageIndex(al)
    rows = []
    for k, t in enumerate(al.transcript.topics, start=1):
        rows.append((k, t.title, locate_topic(index, t.title, top=top)))
    if as_json:
        emit_json({"topics": [{"index": k, "title": title, "passages": [p.to_dict() for p in ps]} for k, title, ps in rows]})
        return
    if not rows:
        typer.echo("no topics in this transcript")
        return
    for k, title, ps in rows:
        typer.echo(f"{k}. {title}")
        if not ps:
            typer.echo("   no passage uses its words")
        for p in ps:
            typer.echo(f"   {_clock(p.start)} - {_clock(p.end)}  score {p.score:.1f}  [{', '.join(p.hits)}]  {p.text[:80]}")


@app.command(
    "cut",
    cls=GivenOrder,
    short_help="Cut clips for quotes, takeaways, topics or time ranges.",
    no_args_is_help=True,
    help="Cut clips for quotes, takeaways, topics or ranges, with per-clip SRT/VTT and a manifest.",
    epilog=epilog(
        'clipper cut talk.mp4 talk.align.json --quote "I just turned down OpenAI" \\\n    -o clips/',
        "clipper cut talk.mp4 talk.align.json -T 1 -T 2 --mode fast -o clips/",
        "clipper cut talk.mp4 talk.align.json --range 1:00-1:30 \\\n    --burn --vertical --concat -o clips/",
        'clipper cut talk.mp4 talk.align.json -Q "last point" -Q "first point" \\\n    --concat --audio-track 1 -o clips/',
        "clipper cut talk.mp4 talk.align.json -R 1:00-1:30 --video-codec libx265 \\\n    --crf 24 --scale 1280x720 -o clips/",
        notes=(
            "Clips keep every audio track of MEDIA (the --audio-track one first, as the default) and its text "
            "subtitle streams where the clip's container holds them (MP4: as mov_text; MKV: all, as they are); "
            "data streams are dropped. A vertical clip is a 9:16 crop scaled to 1080x1920, or to the source's "
            "height when that is taller; burnt-in subtitles are laid out for the frame (42 characters a line for "
            "16:9, 25 and up to 3 lines for 9:16) at a font size that fits them."
        ),
    ),
)
def cut_command(
    ctx: typer.Context,
    media: str = typer.Argument(..., metavar="MEDIA", help="The media file the alignment was made for."),
    alignment: str = typer.Argument(..., metavar="X.align.json", help="The alignment file from 'clipper align'."),
    output: str = typer.Option(..., "--output", "-o", metavar="DIR", help="Folder for the clips, their subtitles and the manifest."),
    quote: list[str] = typer.Option([], "--quote", "-Q", metavar="QUOTE", help="A quote to cut (found fuzzily); repeatable."),
    takeaway: list[str] = typer.Option([], "--takeaway", "-T", metavar="N[.K]", help="A takeaway number (N, or N.K for its K-th hint); repeatable."),
    topic: list[str] = typer.Option([], "--topic", metavar="N|WORDS", help="A topic number or words; its best passage is cut; repeatable."),
    range_: list[str] = typer.Option([], "--range", "-R", metavar="START-END", help="A time range, times as [h:]mm:ss[.mmm] or seconds (e.g. 1:02-1:30.5); repeatable."),
    mode: str = typer.Option("accurate", "--mode", "-m", metavar="accurate|fast", help="accurate (re-encode, frame-exact) or fast (stream copy, start on a keyframe)."),
    handle_before: int = typer.Option(250, "--handle-before", metavar="MS", help="ms kept before the first word (stops in the pause before it)."),
    handle_after: int = typer.Option(400, "--handle-after", metavar="MS", help="ms kept after the last word (stops in the pause after it)."),
    fade: int = typer.Option(0, "--fade", metavar="MS", help="Fade in and out over this many ms (accurate mode)."),
    burn: bool = typer.Option(False, "--burn", help="Burn the subtitles into the picture (accurate mode; sidecar files if impossible)."),
    concat: bool = typer.Option(False, "--concat", help="Also join the clips into one supercut."),
    supercut_order: str = typer.Option("given", "--supercut-order", metavar="given|timeline", help="Order of the clips in the --concat supercut: as given on the command line, or by time."),
    vertical: bool = typer.Option(False, "--vertical", help="Crop to 9:16 and scale to 1080x1920, or the source's height if taller (accurate mode)."),
    x_offset: int | None = typer.Option(None, "--x-offset", metavar="PX", help="Left edge of the 9:16 crop in source pixels (default: centred)."),
    scale: str | None = typer.Option(None, "--scale", metavar="WxH", help="Picture size of the clips, even numbers (e.g. 1280x720; with --vertical the crop takes its shape, e.g. 1080x1350); the picture is letterboxed when its shape differs (accurate mode)."),
    video_codec: str | None = typer.Option(None, "--video-codec", metavar="CODEC", help="Video encoder of accurate clips: libx264 (default), libx265, libvpx-vp9, libaom-av1 or libsvtav1, if this ffmpeg has it."),
    crf: int | None = typer.Option(None, "--crf", metavar="N", help="Constant quality (lower is better): default 18 for libx264, 22 libx265, 31 libvpx-vp9, 30 libaom-av1, 35 libsvtav1."),
    preset: str | None = typer.Option(None, "--preset", metavar="NAME", help="Encoder speed: x264/x265 ultrafast..veryslow (default veryfast / fast), or the -cpu-used / -preset number of VP9 and AV1."),
    audio_bitrate: str | None = typer.Option(None, "--audio-bitrate", metavar="RATE", help="AAC bitrate of every audio track of accurate clips (default 160k)."),
    audio_track: int | None = typer.Option(None, "--audio-track", metavar="N", help="Audio track that comes first (the default) in the clips, 0-based among the file's audio streams (ffmpeg's 0:a:N); default: the one the alignment was made from. Every track is kept. A number the file lacks is refused with its list of tracks."),
    min_score: float = typer.Option(80.0, "--min-score", metavar="SCORE", help="Lowest match score (0-100) a --quote may have."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan and the ffmpeg commands; write nothing."),
    force: bool = FORCE,
    quiet: bool = QUIET,
    as_json: bool = JSON,
) -> None:
    from ..workflow import cut

    with progress(quiet) as bar:
        result = cut(media, alignment, output, quotes=quote, takeaways=takeaway, topics=topic, ranges=range_, mode=mode,
                     handle_before=handle_before, handle_after=handle_after, fade=fade, burn=burn, concat=concat,
                     vertical=vertical, x_offset=x_offset, min_score=min_score, dry_run=dry_run, force=force, progress=bar,
                     audio_track=audio_track, scale=scale, video_codec=video_codec, crf=crf, preset=preset,
                     audio_bitrate=audio_bitrate, supercut_order=supercut_order, given=ctx.meta.get(GIVEN))  # fmt: skip
    for n in result.notes:
        note(f"clipper: {n}", quiet)
    if as_json:
        emit_json(
            {
                **result.manifest.to_dict(),
                "folder": str(result.folder),
                "dry_run": dry_run,
                "notes": list(result.notes),
                "clip_notes": {str(k): list(v) for k, v in result.per_clip_notes.items()},
                "supercut": result.supercut,
                "supercut_order": list(result.supercut_files),
                "frame": list(result.frame) if result.frame else None,
                "subtitle_lines": {"max_chars": result.lines[0], "max_lines": result.lines[1]} if result.lines else None,
                "commands": [list(c) for c in result.commands],
                "seconds": round(result.seconds, 3),
            }
        )
        return
    if dry_run:
        for argv in result.commands:
            typer.echo(shlex.join(argv))
    for clip in result.manifest.clips:
        extra = "; ".join(result.per_clip_notes.get(clip.index, ()))
        note(
            f"{clip.file}: {_clock(clip.source_start)} - {_clock(clip.source_end)} ({clip.duration / 1000:.3f} s, "
            f"handles {clip.handle_before}/{clip.handle_after} ms) {clip.label[:50]!r}" + (f" [{extra}]" if extra else ""),
            quiet,
        )
    verb = "would cut" if dry_run else "cut"
    note(
        f"clipper: {verb} {len(result.manifest.clips)} clip(s) ({mode}) into {result.folder}"
        + (f", supercut {result.supercut}" if result.supercut else "")
        + ("" if dry_run else f" in {result.seconds:.2f} s"),
        quiet,
    )
