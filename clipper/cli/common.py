"""Options and helpers shared by the commands: progress on stderr, --json output."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import Any, Iterator

import typer

from ..model import ProgressFn

QUIET = typer.Option(False, "--quiet", "-q", help="No progress or notes on stderr.")
JSON = typer.Option(False, "--json", help="Machine-readable JSON on stdout.")
FORCE = typer.Option(False, "--force", help="Replace existing output files.")


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def note(message: str, quiet: bool) -> None:
    """A line for the user on stderr (warnings, what was done)."""
    if not quiet:
        typer.echo(message, err=True)


@contextmanager
def progress(quiet: bool) -> Iterator[ProgressFn]:
    """A ProgressFn drawing rich bars on stderr; a no-op when quiet or stderr is not a TTY
    (then a line every 10% keeps logs readable)."""
    if quiet:
        yield lambda label, done, total: None
        return
    if not sys.stderr.isatty():
        last: dict[str, int] = {}

        def plain(label: str, done: int, total: int) -> None:
            if total <= 0:
                return
            step = done * 10 // total
            if last.get(label, -1) != step:
                last[label] = step
                print(f"{label}: {done * 100 // total}%", file=sys.stderr, flush=True)

        yield plain
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:

        def fancy(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total or None)
            bar.update(tasks[label], completed=done, total=total or None)

        yield fancy
