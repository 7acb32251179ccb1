"""``clipper eval CASES... --engine E [--json]``: accuracy and speed against truth."""

from __future__ import annotations

import typer

from ..align import ENGINES
from ..errors import ClipperError, InputError
from . import app
from .common import JSON, QUIET, Command, emit_json, epilog, note, progress

_EPILOG = epilog(
    "clipper eval ../shared/data --engine uniform",
    "clipper eval scripts/cases/bench_youtube.case.json -e reference --json",
    "clipper eval scripts/cases/bench_youtube.case.json \\\n    --reference ../shared/bench/seed.cues.srt",
    notes=(
        "A case is a folder (truth.json, transcript.txt, the audio named in truth.json), a NAME.truth.json "
        "beside NAME.transcript.txt, or a *.case.json manifest; a folder of cases stands for all of them. "
        "See docs/eval.md. The exit code is 0 however bad the accuracy; 1 when a case failed to run."
    ),
)


@app.command(
    "eval",
    cls=Command,
    short_help="Measure an engine's timing errors and speed against truth.",
    no_args_is_help=True,
    epilog=_EPILOG,
    help="Run an engine on cases with timing truth; report start/end errors, placement and speed.",
)
def eval_command(
    cases: list[str] = typer.Argument(..., metavar="CASES...", help="Case folders, NAME.truth.json files, *.case.json manifests, or folders of them."),
    engine: str = typer.Option("auto", "--engine", "-e", metavar="NAME", help="Alignment engine: auto, " + ", ".join(ENGINES) + "."),
    reference: str | None = typer.Option(
        None, "--reference", "-r", metavar="REF", help="Use this timed track as every case's reference (replaces the case's own)."
    ),
    option: list[str] = typer.Option([], "--option", "-O", metavar="KEY=VALUE", help="Engine setting KEY=VALUE; repeatable."),
    jobs: int = typer.Option(1, "--jobs", "-j", metavar="N", help="Worker processes the engine may use (cases run one at a time)."),
    force: bool = typer.Option(False, "--force", help="Let the engine go on where it would refuse a reference."),
    quiet: bool = QUIET,
    as_json: bool = JSON,
) -> None:
    from ..evaluate import evaluate, expand_cases, format_table, report
    from ..pipeline import parse_options

    if engine != "auto" and engine not in ENGINES:
        raise InputError(f"--engine {engine!r}: choose one of auto, {', '.join(ENGINES)}")
    if jobs < 1:
        raise InputError(f"--jobs {jobs}: give 1 or more worker processes")
    options = parse_options(option)
    if reference is not None:
        from pathlib import Path

        if not Path(reference).is_file():
            raise InputError(f"{reference}: no such reference file; check the path")
    found = expand_cases(cases)
    with progress(quiet) as bar:
        results = evaluate(found, engine, reference=reference, options=options, jobs=jobs, progress=bar, force=force)
    rep = report(results, engine, options=options, reference=reference, jobs=jobs)
    if as_json:
        emit_json(rep)
    else:
        typer.echo(format_table(rep))
    failed = [r for r in results if r.error is not None]
    for r in failed:
        note(f"clipper: case {r.case.name} failed: {r.error}", quiet)
    if failed:
        # a case that did not run is not a measurement: say so in the exit code
        raise ClipperError(f"{len(failed)} of {len(results)} cases failed to run (see above)")
