"""``clipper batch``: run a whole archive, resumably, here or on a Dask cluster.

:func:`run_batch` discovers the items (``items``), skips those finished with the same
inputs and settings (``state``), runs the rest (``runner``: serial, a process pool, or Dask
distributed), commits each finished item's folder whole, and writes the summary
(``report``). Ctrl-C or a killed process loses only the items in flight; the next run
finishes the rest.

    >>> from clipper.batch import run_batch  # doctest: +SKIP
    >>> res = run_batch("archive/", "out/", jobs=2)  # doctest: +SKIP
    >>> res.totals["done"], res.totals["failed"]  # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io import signals_held
from ..model import ProgressFn
from .items import STATE_DIR, Defaults, Item, discover
from .report import row, write_reports
from .runner import Outcome, Task, cores, execute, pool_size, run_task
from .state import Record, State

__all__ = ["BatchResult", "Defaults", "Item", "discover", "run_batch", "MARKER", "STATE_DIR"]

#: a file inside every item folder the batch writes: the item's key (whose folder it is)
MARKER = ".clipper-item"


@dataclass
class BatchResult:
    rows: list[dict[str, Any]]
    totals: dict[str, Any]
    reports: dict[str, str] = field(default_factory=dict)
    interrupted: bool = False

    @property
    def failed(self) -> int:
        return int(self.totals.get("failed", 0))


def _foreign(outdir: Path, name: str, state: State) -> bool:
    """An existing ``OUTDIR/NAME`` this batch did not write (replaced only with force)."""
    d = outdir / name
    return d.exists() and not (d / MARKER).is_file() and name not in state.records


def run_batch(
    source: str | os.PathLike[str],
    outdir: str | os.PathLike[str],
    *,
    defaults: Defaults = Defaults(),
    jobs: int | None = None,
    item_jobs: int = 1,
    scheduler: str | Any | None = None,
    retry_failed: bool = False,
    progress: ProgressFn | None = None,
    on_item: Callable[[dict[str, Any]], None] | None = None,
) -> BatchResult:
    """Run every item of ``source`` (a folder or a CSV/JSONL manifest) into ``outdir``.

    Args:
        defaults: engine, options, outputs, mode, force and audio track for items that do not set them.
        jobs: cores to use here (default: all this process may use); ignored with ``scheduler``.
        item_jobs: worker processes each item's engine may use; the pool runs
            ``jobs // item_jobs`` items at once (fewer if memory is short).
        scheduler: a Dask distributed scheduler address (or Client) to run the items on.
        retry_failed: run again items that failed on bad input with the same inputs.
        progress: called as ``("batch", done, total)`` with media kilobytes as the measure.
        on_item: called with each item's summary row as it finishes (or is skipped).

    Raises:
        InputError: ``source`` is not a folder or a readable manifest; another batch
            holds ``outdir``; bad ``jobs``.
    """
    out = Path(outdir)
    src = Path(source)
    if jobs is not None and jobs < 1:
        raise InputError(f"⟨--jobs⟩ {jobs}: give 1 or more")
    if item_jobs < 1:
        raise InputError(f"⟨--item-jobs⟩ {item_jobs}: give 1 or more")
    items = discover(src, defaults, exclude=out)
    if not items:
        raise InputError(f"{src}: no media with transcripts found; name them talk.mp4 + talk.txt, or give a manifest")
    t0 = time.perf_counter()
    rows: dict[str, dict[str, Any]] = {}
    interrupted = False
    with State(out) as state:
        todo: list[Task] = []
        weight: dict[str, int] = {}
        for it in items:
            key = state.key(it)
            rec = state.finished(it, key, retry_failed)
            if rec is not None:
                rows[it.name] = row(rec, "skipped" if rec.status == "done" else "failed")
                continue
            if _foreign(out, it.name, state) and not it.force:
                it = replace(it, problem=f"{out / it.name}: exists and was not written by clipper batch; move it or pass --force")
            todo.append(Task(it, key, str(state.work), item_jobs))
            weight[it.name] = max(1, (os.path.getsize(it.media) // 1024) if it.media and os.path.isfile(it.media) else 1)
        total_w = sum(weight.values())
        done_w = 0
        if progress is not None:
            progress("batch", 0, total_w)
        for r in rows.values():
            if on_item is not None:
                on_item(r)

        def finish(o: Outcome) -> None:
            nonlocal done_w
            rec = Record(o.name, o.key, o.status, o.exit_code, o.reason, o.summary, o.attempt or None)
            if o.folder is not None:
                Path(o.folder, MARKER).write_text(o.key + "\n", encoding="ascii")
            # held: landing between the journal and the summary, Ctrl-C left a finished item
            # reported as "interrupted" (seen in the test of Ctrl-C)
            with signals_held():
                state.commit(rec, o.folder)
                rows[o.name] = row(rec)
            done_w += weight.get(o.name, 0)
            if progress is not None:
                progress("batch", done_w, total_w)
            if on_item is not None:
                on_item(rows[o.name])

        # items known not to run (no transcript, a missing file) fail here, without a worker
        for t in [t for t in todo if t.item.problem is not None]:
            finish(run_task(t))
        todo = [t for t in todo if t.item.problem is None]
        workers = 1 if scheduler is not None else pool_size(jobs or cores(), item_jobs, len(todo))
        try:
            execute(todo, finish, workers=workers, scheduler=scheduler)
        except KeyboardInterrupt:
            interrupted = True
        ordered: list[dict[str, Any]] = []
        for it in items:
            got = rows.get(it.name)
            if got is not None:
                r = got
            else:
                r = {"name": it.name, "status": "interrupted", "reason": "not finished: run the batch again"}
                r = {**dict.fromkeys(("engine", "media_s", "seconds", "speed", "segments", "placed_share", "found_share",
                                      "confident_share", "confident_wrong_est")), "warnings": [], **r}  # fmt: skip
            ordered.append(r)
        counts = {s: sum(1 for r in ordered if r["status"] == s) for s in ("done", "skipped", "failed", "interrupted")}
        media_s = sum(r["media_s"] or 0 for r in ordered if r["status"] == "done")
        secs = round(time.perf_counter() - t0, 2)
        totals: dict[str, Any] = {
            "items": len(ordered),
            **counts,
            "media_hours_run": round(media_s / 3600, 3),
            "seconds": secs,
            "speed": round(media_s / secs, 1) if secs > 0 and media_s else None,
            "workers": f"dask {scheduler if isinstance(scheduler, str) else 'client'}" if scheduler is not None else workers,
            "item_jobs": item_jobs,
        }
        reports = write_reports(out, ordered, totals)
    return BatchResult(ordered, totals, reports, interrupted)

