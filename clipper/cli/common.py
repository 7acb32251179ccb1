"""Options and helpers shared by the commands: progress on stderr, --json output, help layout."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from typer.core import TyperCommand

from ..model import ProgressFn

QUIET = typer.Option(False, "--quiet", "-q", help="No progress or notes on stderr.")
JSON = typer.Option(False, "--json", help="Machine-readable JSON on stdout.")
FORCE = typer.Option(False, "--force", help="Replace existing output files.")


class Command(TyperCommand):
    """typer's plain (``rich_markup_mode=None``) help, with arguments shown by their metavar.

    typer 0.29 prints an argument as ``{name}`` in the usage line and as ``NAME <type>`` in the
    Arguments list even when it has a metavar; clipper's arguments all have one that says
    what to give (``MEDIA``, ``X.align.json``), so the metavar alone is shown, as given.
    Only the help text changes, never parsing. ``ctx``/``formatter`` are click objects, typed
    ``Any`` because typer vendors click in 0.29 and imports it in older versions.
    """

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument" and param.metavar:
                # as given: a metavar spells out repetition itself ("CASES...", "[MEDIA] TRANSCRIPT")
                pieces.append(param.metavar if param.required else f"[{param.metavar}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        args: list[tuple[str, str]] = []
        opts: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                args.append((param.metavar, record[1]) if param.metavar else record)
            elif param.param_type_name == "option":
                opts.append(record)
        for title, rows in (("Arguments", args), ("Options", opts)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def epilog(*examples: str, notes: str = "") -> str:
    """A command's epilog: ``Examples:``, one invocation a line, then ``notes`` as prose.

    The examples sit in a click ``\\b`` block so they are never rewrapped (a wrapped
    command line cannot be pasted); a long one continues on the next line after `` \\``.
    Keep each line under 75 characters so it fits an 80-column terminal.
    """
    block = "\n".join("  " + line for example in examples for line in example.splitlines())
    return "Examples:\n\n\b\n" + block + (f"\n\n{notes}" if notes else "")


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
