"""Command line: typer. The only place that knows argv, exit codes and progress bars.

Each command lives in its own module here and registers itself on :data:`app`;
:func:`main` turns clipper's errors into one line on stderr and an exit code
(2 for bad input, 1 for a runtime failure), never a traceback.
"""

from __future__ import annotations

import importlib
import signal
import sys
import threading

import typer

from ..errors import ClipperError
from .common import epilog

app = typer.Typer(
    name="clipper",
    help="Put a transcript on a recording's timeline; write subtitles, find quotes, cut clips, export for editors.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    epilog=epilog(
        "clipper run talk.mp4 talk.txt -o out/",
        "clipper align talk.mp4 talk.txt -o talk.align.json",
        "clipper subtitles talk.align.json -o talk.srt",
        'clipper cut talk.mp4 talk.align.json --quote "turned down OpenAI" -o clips/',
        notes="'clipper COMMAND --help' shows a command's options and examples.",
    ),
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"clipper {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """clipper: transcripts onto timelines, subtitles and clips."""


# Command modules register themselves on import, in the order --help lists them.
for _name in ("inspect_cmd", "align_cmd", "subtitles_cmd", "sync_cmd", "eval_cmd", "clips_cmd", "export_cmd", "run_cmd", "batch_cmd", "review_cmd"):
    importlib.import_module(f"{__name__}.{_name}")


def _setup_logging(argv: list[str]) -> None:
    """Library warnings (``logging.getLogger("clipper")``) become one stderr line each;
    ``--quiet`` anywhere on the command line keeps only errors."""
    import logging

    log = logging.getLogger("clipper")
    if not any(getattr(h, "_clipper", False) for h in log.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("clipper: %(levelname)s: %(message)s"))
        handler._clipper = True  # type: ignore[attr-defined]
        log.addHandler(handler)
        log.propagate = False
    quiet = "--quiet" in argv or "-q" in argv
    log.setLevel(logging.ERROR if quiet else logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    """Console entry point: run the app, map errors to exit codes."""
    _setup_logging(sys.argv[1:] if argv is None else argv)
    # A long transcript is ~100k small immutable objects and no reference cycles; the
    # default gen-0 threshold (700) makes the collector rescan them hundreds of times.
    import gc

    gc.set_threshold(100_000, 50, 100)
    # a kill (SIGTERM: `timeout`, a scheduler, a shutdown) stops like Ctrl-C: its default ends
    # the process at once, and the temporary folders (decoded audio, 115 MB an hour) stayed
    on_main = threading.current_thread() is threading.main_thread()
    old_term = signal.signal(signal.SIGTERM, _terminated) if on_main else None
    # Ctrl-C too, to know it was one: typer >= 0.29 turns it into exit code 130, silently
    old_int = signal.signal(signal.SIGINT, _terminated) if on_main and signal.getsignal(signal.SIGINT) is signal.default_int_handler else None
    _stopped.clear()
    try:
        # with standalone_mode=False click returns the code of a command's typer.Exit(n)
        rv = app(args=argv, standalone_mode=False)
    except ClipperError as e:
        typer.echo(f"clipper: error: {e.cli_message()}", err=True)  # options as flags
        return _exit(e.exit_code, argv)
    except typer.Exit as e:
        return _exit(e.exit_code, argv)
    except typer.Abort:
        typer.echo("clipper: aborted", err=True)
        return _exit(1, argv)
    except KeyboardInterrupt:
        typer.echo("clipper: interrupted", err=True)
        return _exit(130, argv)
    except Exception as e:  # click's usage errors and anything unexpected
        # Duck-typed: typer >= 0.29 vendors click (typer._click) and no longer installs it,
        # so ``import click`` would fail right here; every ClickException has show() and exit_code.
        show, code = getattr(e, "show", None), getattr(e, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            return _exit(code, argv)
        typer.echo(f"clipper: internal error: {type(e).__name__}: {e}", err=True)
        return _exit(1, argv)
    finally:
        if on_main:
            signal.signal(signal.SIGTERM, old_term if old_term is not None else signal.SIG_DFL)
            if old_int is not None:
                signal.signal(signal.SIGINT, old_int)
    if rv == 130 and _stopped.is_set():
        typer.echo("clipper: interrupted", err=True)
    return _exit(rv if isinstance(rv, int) else 0, argv)


#: set when a signal stopped the command (Ctrl-C, SIGTERM)
_stopped = threading.Event()


def _terminated(signum: int, frame: object) -> None:
    _stopped.set()
    raise KeyboardInterrupt


def _exit(code: int, argv: list[str] | None) -> int:
    if argv is None:  # called as the console script
        sys.exit(code)
    return code
