"""``clipper batch INPUT -o OUTDIR``: run a whole archive, resumable, locally or on Dask."""

from __future__ import annotations

import sys
import time
from typing import Any

import typer

from ..align import ENGINES
from ..timecode import format_clock
from . import app
from .common import JSON, QUIET, Command, emit_json, epilog, note, progress

_EPILOG = epilog(
    "clipper batch archive/ -o out/",
    "clipper batch items.csv -o out/ --outputs alignment,srt,vtt",
    "clipper batch items.jsonl -o out/ --scheduler tcp://10.0.0.5:8786",
    notes=(
        "INPUT is a folder (talk.mp4 pairs with talk.txt, or talk.srt/.vtt as the transcript; "
        "talk.reference.srt, or captions beside a .txt, is the reference) or a .csv/.jsonl manifest "
        "with columns name, media, transcript, reference, engine, options, outputs, audio_track. "
        "Each item goes to OUTDIR/NAME/ whole; OUTDIR/batch.json, .csv and .html summarise. "
        "Run it again to finish an interrupted batch: items finished with the same inputs and "
        "settings are skipped, changed ones run again. Exit 0: all done; 1: some item failed "
        "(see the summary); 2: bad INPUT; 130: interrupted."
    ),
)


@app.command(
    "batch",
    cls=Command,
    short_help="Run a folder or manifest of recordings, resumable; locally or on Dask.",
    no_args_is_help=True,
    epilog=_EPILOG,
    help="Run every recording of a folder or manifest (align, subtitles, clips, exports), resumable; locally or on a Dask cluster.",
)
def batch_command(
    source: str = typer.Argument(..., metavar="INPUT", help="A folder of media and transcripts, or a .csv/.jsonl manifest."),
    output: str = typer.Option(..., "--output", "-o", metavar="OUTDIR", help="Folder for every item's results and the batch state."),
    engine: str = typer.Option("auto", "--engine", "-e", metavar="NAME", help="Alignment engine for items that do not name one: auto, " + ", ".join(ENGINES) + "."),
    option: list[str] = typer.Option([], "--option", "-O", metavar="KEY=VALUE", help="Engine setting for every item (repeatable); a manifest's options add to these."),
    outputs: str = typer.Option("all", "--outputs", metavar="LIST", help="What to write: all, or some of alignment,srt,vtt,clips,chapters,edl."),
    mode: str = typer.Option("accurate", "--mode", "-m", metavar="accurate|fast", help="Clip cutting: accurate (re-encode) or fast (stream copy)."),
    audio_track: int = typer.Option(0, "--audio-track", metavar="N", help="Audio track to align to for items that do not name one (manifest column audio_track): 0-based among the file's audio streams (ffmpeg's 0:a:N)."),
    jobs: int = typer.Option(0, "--jobs", "-j", metavar="N", help="Cores to use here (0: all this process may use)."),
    item_jobs: int = typer.Option(1, "--item-jobs", metavar="N", help="Engine worker processes per item; items at once = jobs / this."),
    scheduler: str | None = typer.Option(None, "--scheduler", metavar="ADDRESS", help="Run the items on this Dask distributed scheduler (e.g. tcp://host:8786)."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Run again items that failed on bad input although nothing changed."),
    force: bool = typer.Option(False, "--force", help="Replace item folders this batch did not write; align transcripts that do not seem to belong (confidences capped)."),
    quiet: bool = QUIET,
    as_json: bool = JSON,
) -> None:
    from ..batch import Defaults, run_batch
    from ..errors import InputError
    from ..pipeline import parse_options
    from ..workflow import parse_outputs

    if mode not in ("accurate", "fast"):
        raise InputError(f"--mode {mode!r}: choose accurate or fast")
    if engine != "auto" and engine not in ENGINES:
        raise InputError(f"--engine {engine!r}: choose auto or one of {', '.join(ENGINES)}")
    from ..align import check_known

    if audio_track < 0:
        raise InputError(f"--audio-track {audio_track}: give 0 or more (0 is the first audio track)")
    defaults = Defaults(engine=engine, options=parse_options(option), outputs=parse_outputs(outputs), mode=mode, force=force,
                        audio_track=audio_track)  # fmt: skip
    check_known(defaults.options)  # a typo would fail every item

    seen = {"done": 0, "total": 0, "t0": time.monotonic()}

    def item_line(r: dict[str, Any]) -> None:
        if quiet or r["status"] == "skipped":
            return
        extra = r["reason"] if r["status"] != "done" else (
            f"{r['engine']}, {r['placed_share']:.0%} placed, {r['speed']}x real time" if r.get("placed_share") is not None else r["engine"]
        )
        # ETA over the whole batch, by media size still to run (a log has no progress bar)
        done, total = seen["done"], seen["total"]
        elapsed = time.monotonic() - seen["t0"]
        eta = f" [{done * 100 // total}%, ETA {format_clock(int(elapsed * (total - done) / done) * 1000)}]" if 0 < done < total else ""
        print(f"{r['status']:<6} {r['name']}: {extra}{eta}", file=sys.stderr, flush=True)

    # a killed batch stops like Ctrl-C (clipper.cli.main turns SIGTERM into it): finished items stay recorded
    with progress(quiet) as bar:

        def track(label: str, done: int, total: int) -> None:
            seen["done"], seen["total"] = done, total
            bar(label, done, total)

        res = run_batch(source, output, defaults=defaults, jobs=jobs or None, item_jobs=item_jobs, scheduler=scheduler,
                        retry_failed=retry_failed, progress=track, on_item=item_line)  # fmt: skip
    t = res.totals
    if as_json:
        emit_json({"totals": t, "items": res.rows, "reports": res.reports})
    else:
        failed = [r for r in res.rows if r["status"] == "failed"]
        lines = [
            f"clipper batch: {t['items']} items -> {output}: {t['done']} done, {t['skipped']} already done, "
            f"{t['failed']} failed, {t['interrupted']} not finished; {t['media_hours_run']} h of media in {t['seconds']} s"
            + (f" ({t['speed']}x real time)" if t.get("speed") else ""),
            *(f"  failed {r['name']}: {r['reason']}" for r in failed[:20]),
            *([f"  ... and {len(failed) - 20} more"] if len(failed) > 20 else []),
            f"  summary: {res.reports.get('html')}",
        ]
        if res.interrupted:
            lines.append("  interrupted: run the same command again to finish the rest")
        note("\n".join(lines), quiet)
    if res.interrupted:
        raise typer.Exit(130)
    if res.failed:
        raise typer.Exit(1)
