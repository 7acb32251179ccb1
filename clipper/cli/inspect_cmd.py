"""``clipper inspect FILE``: what was read from a transcript and what cleaning did."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import typer

from ..model import Transcript
from ..read import FORMATS, load
from ..timecode import format_clock
from . import app
from .common import JSON, QUIET, Command, emit_json, epilog

__all__ = ["inspect", "summary"]


def summary(tr: Transcript, path: str) -> dict[str, Any]:
    """The facts ``inspect --json`` prints (stable keys)."""
    segs = tr.segments
    timed = [s for s in segs if s.placed]
    return {
        "file": path,
        "format": tr.meta.get("format"),
        "segmentation": tr.meta.get("segmentation"),
        "meta": dict(tr.meta),
        "counts": {
            "segments": len(segs),
            "spoken_segments": sum(1 for s in segs if s.spoken),
            "non_speech_segments": sum(1 for s in segs if not s.spoken),
            "words": sum(len(s.words) for s in segs),
            "paragraphs": len({s.paragraph for s in segs if s.paragraph is not None}),
            "timed_segments": len(timed),
            "timed_words": sum(1 for s in segs for w in s.words if w.placed),
            "takeaways": len(tr.takeaways),
            "hints": sum(len(t.hints) for t in tr.takeaways),
            "topics": len(tr.topics),
        },
        "span": (
            {
                "start": min(s.start for s in timed if s.start is not None),
                "end": max(s.end for s in timed if s.end is not None),
            }
            if timed
            else None
        ),
        "takeaways": [
            {
                "title": t.title,
                "text": t.text,
                "hints": [
                    {"raw": h.raw, "readings": [{"ms": r.ms, "form": r.form} for r in h.readings]} for h in t.hints
                ],
            }
            for t in tr.takeaways
        ],
        "topics": [t.title for t in tr.topics],
        "cleaning": {
            "counts": dict(tr.report.counts),
            "examples": {k: list(v) for k, v in tr.report.examples.items()},
        },
    }


def _text_report(d: dict[str, Any]) -> list[str]:
    c = d["counts"]
    out = [f"{d['file']}: {d['format']} transcript, segmented by {d['segmentation']}"]
    for key in ("title", "channel", "language", "disclaimer", "word_times", "source"):
        if key in d["meta"]:
            out.append(f"  {key}: {d['meta'][key]}")
    out.append(
        f"  segments: {c['segments']} ({c['spoken_segments']} spoken, {c['non_speech_segments']} non-speech)"
        + (f" in {c['paragraphs']} paragraphs" if c["paragraphs"] else "")
    )
    out.append(f"  words: {c['words']}" + (f" ({c['timed_words']} timed)" if c["timed_words"] else ""))
    if d["span"]:
        a, b = format_clock(d["span"]["start"]), format_clock(d["span"]["end"])
        out.append(f"  timed: {c['timed_segments']} segments, {a} to {b}")
    out.append(f"  takeaways: {c['takeaways']}, hints: {c['hints']}, topics: {c['topics']}")
    for i, t in enumerate(d["takeaways"], 1):
        readings = "; ".join(
            h["raw"] + " = " + " or ".join(f"{format_clock(r['ms'])} ({r['form']})" for r in h["readings"])
            for h in t["hints"]
        )
        out.append(f"    {i}. {t['title']}" + (f"  {readings}" if readings else ""))
    for t in d["topics"]:
        out.append(f"    topic: {t}")
    counts = d["cleaning"]["counts"]
    if counts:
        out.append("  cleaning:")
        for k, n in counts.items():
            ex = d["cleaning"]["examples"].get(k, [])
            shown = ", ".join(repr(e) for e in ex[:2])
            out.append(f"    {k}: {n}" + (f"  e.g. {shown}" if shown else ""))
    return out


@app.command(
    "inspect",
    cls=Command,
    no_args_is_help=True,
    epilog=epilog(
        "clipper inspect talk.txt",
        "clipper inspect captions.vtt --json",
        "clipper inspect script.txt --segments sentences --encoding cp1252",
    ),
)
def inspect(
    file: Path = typer.Argument(
        ...,
        metavar="TRANSCRIPT",
        help="Transcript file: LongCut export, plain text, SRT, VTT or Whisper JSON.",
    ),
    fmt: str | None = typer.Option(
        None,
        "--format",
        "-f",
        metavar="FORMAT",
        help=f"Format instead of detecting it: {', '.join(FORMATS)}.",
    ),
    encoding: str | None = typer.Option(
        None,
        "--encoding",
        metavar="ENCODING",
        help="Text encoding when the file is not UTF-8 (e.g. latin-1, cp1252).",
    ),
    segments: str = typer.Option(
        "auto",
        "--segments",
        metavar="MODE",
        help="Plain text only: auto, lines (a segment a line) or sentences.",
    ),
    strict: bool = typer.Option(False, "--strict", help="Refuse malformed input instead of skipping and reporting it."),
    json_out: bool = JSON,
    quiet: bool = QUIET,
) -> None:
    """Show what was read from a transcript and what cleaning did."""
    logger = logging.getLogger("clipper")
    old_level = logger.level
    if quiet or json_out:
        # Readers log skipped lines; the report already counts them.
        logger.setLevel(logging.ERROR)
    try:
        tr = load(file, fmt, encoding=encoding, segmentation=segments, strict=strict)
    finally:
        logger.setLevel(old_level)
    d = summary(tr, str(file))
    if json_out:
        emit_json(d)
    else:
        typer.echo("\n".join(_text_report(d)))
