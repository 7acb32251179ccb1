"""Running items: here, in a local process pool, or on a Dask distributed cluster.

Every way runs the same :func:`run_task`, which writes one attempt into its own fresh
folder under the state's ``work/`` and returns an :class:`Outcome`; it never raises for an
item's own failure. The driver commits outcomes one at a time (``State.commit``), so a
task that Dask retries after losing a worker is still committed once.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import shutil
import signal
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ClipperError
from .items import Item

__all__ = ["Task", "Outcome", "run_task", "pool_size", "run_serial", "run_pool", "run_dask", "ITEM_MEMORY_MB"]

#: memory one item may take per engine worker (the speech engine peaks near 380 MB on 8 hours
#: with two workers, ffmpeg included); the pool never starts more items than memory holds
ITEM_MEMORY_MB = 600

OnDone = Callable[["Outcome"], None]


@dataclass(frozen=True)
class Task:
    """What a worker needs for one item (picklable)."""

    item: Item
    key: str
    work: str  # the state's work folder (shared with the workers)
    jobs: int = 1  # worker processes the item's engine may use


@dataclass(frozen=True)
class Outcome:
    """One attempt's result; ``folder`` holds its outputs (None when it failed)."""

    name: str
    key: str
    status: str  # "done" or "failed"
    exit_code: int
    reason: str | None
    summary: dict[str, Any] | None
    folder: str | None
    attempt: str
    seconds: float


def run_task(task: Task) -> Outcome:
    """Run one item into a fresh attempt folder; failures become an outcome, never an exception."""
    from ..workflow import run

    item = task.item
    attempt = uuid.uuid4().hex[:12]
    folder = Path(task.work) / f"{item.name.replace('/', '__')}.{attempt}"
    t0 = time.perf_counter()

    def failed(code: int, reason: str) -> Outcome:
        shutil.rmtree(folder, ignore_errors=True)
        return Outcome(item.name, task.key, "failed", code, reason, None, None, attempt, round(time.perf_counter() - t0, 2))

    if item.problem is not None:
        return failed(2, item.problem)
    assert item.media is not None and item.transcript is not None
    jobs = task.jobs
    notes: list[str] = []
    if jobs > 1 and mp.current_process().daemon:
        # a Dask worker process is daemonic by default and may not start processes of its own
        jobs = 1
        notes.append(f"--item-jobs {task.jobs}: this worker may not start processes (daemonic; set "
                     "distributed.worker.daemon to False to allow it); ran with 1")  # fmt: skip
    log = logging.getLogger("clipper")
    level = log.level
    log.setLevel(logging.ERROR)  # engine warnings go into the summary, not onto a shared terminal
    try:
        summary = run(item.media, item.transcript, folder, reference=item.reference, engine=item.engine,
                      options=item.options, outputs=item.outputs, mode=item.mode, jobs=jobs, force=item.force,
                      audio_track=item.audio_track)  # fmt: skip
    except ClipperError as e:
        # the batch's report is read by whoever ran the command: its reasons name flags
        msg = e.cli_message()
        return failed(e.exit_code, msg.splitlines()[0] if msg else type(e).__name__)
    except Exception as e:  # an item's crash must not end the batch
        return failed(1, f"internal error: {type(e).__name__}: {e}")
    except BaseException:
        # stopped (the driver's SIGTERM unwinds as SystemExit): no half-written attempt stays,
        # even when the driver has already cleaned work/ and gone
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        log.setLevel(level)
    summary["output"] = item.name
    summary["notes"] = [*notes, *summary.get("notes", [])]
    return Outcome(item.name, task.key, "done", 0, None, summary, str(folder), attempt, round(time.perf_counter() - t0, 2))


def _available_mb() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError):
        pass
    return None


def cores() -> int:
    """Cores this process may use (its CPU affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def pool_size(jobs: int, item_jobs: int, n_items: int, available_mb: int | None = None) -> int:
    """Items run at once: ``jobs`` cores shared by items that each use ``item_jobs`` engine
    workers, no more than memory holds or there are items.

    >>> pool_size(2, 1, 12, 24000), pool_size(8, 2, 12, 24000), pool_size(8, 1, 12, 1500), pool_size(4, 1, 1, 24000)
    (2, 4, 2, 1)
    """
    n = max(1, jobs // max(1, item_jobs))
    mem = _available_mb() if available_mb is None else available_mb
    if mem is not None:
        n = min(n, max(1, mem // (ITEM_MEMORY_MB * max(1, item_jobs))))
    return max(1, min(n, n_items))


def run_serial(tasks: Sequence[Task], on_done: OnDone) -> None:
    for t in tasks:
        on_done(run_task(t))


def _worker_init() -> None:
    # Ctrl-C reaches the whole process group: the driver alone decides what stops
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # the driver stops a worker with SIGTERM, whose default kills at once: the item's temporary
    # folders (an hour of decoded audio is 115 MB) would stay behind; an exception unwinds them
    signal.signal(signal.SIGTERM, _unwind)


def _unwind(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


#: how long (s) a stopped worker may take to unwind: its SIGTERM is handled between bytecodes,
#: after the native call it is in (a block's decoding) returns; 5 s was too short on a loaded
#: machine, and the worker wrote into work/ after the driver had cleaned it
STOP_WAIT_S = 60


def _stop(ex: ProcessPoolExecutor) -> None:
    """Stop a pool now, items in flight included (Python 3.11 has no public terminate)."""
    procs = list(getattr(ex, "_processes", {}).values())
    ex.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    deadline = time.monotonic() + STOP_WAIT_S
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()  # stuck: its temporary folders may stay, but it writes nothing more
            p.join(5)


def run_pool(tasks: Sequence[Task], on_done: OnDone, workers: int) -> None:
    """Run ``tasks`` on ``workers`` spawned processes. A worker that dies (out of memory, a
    crash in native code) breaks the pool: the unfinished tasks go to a new pool, and a task
    that was in flight twice when that happened fails alone."""
    ctx = mp.get_context("spawn")  # no fork of a process with threads (progress, ffmpeg readers)
    pending = list(tasks)
    breaks: dict[str, int] = {}
    while pending:
        ex = ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=ctx, initializer=_worker_init)
        futs: dict[Future[Outcome], Task] = {ex.submit(run_task, t): t for t in pending}
        pending = []
        try:
            todo = set(futs)
            while todo:
                # timed: a Ctrl-C taken by another thread reaches this one only when it runs
                done, todo = wait(todo, timeout=0.25, return_when=FIRST_COMPLETED)
                for f in done:
                    t = futs[f]
                    try:
                        on_done(f.result())
                    except BrokenProcessPool:
                        breaks[t.item.name] = breaks.get(t.item.name, 0) + 1
                        if breaks[t.item.name] >= 2:
                            on_done(Outcome(t.item.name, t.key, "failed", 1, "the worker process died twice running it (out of memory? see --item-jobs)",
                                            None, None, "", 0.0))  # fmt: skip
                        else:
                            pending.append(t)
        except BaseException:
            _stop(ex)
            raise
        ex.shutdown(wait=True)


def run_dask(tasks: Sequence[Task], on_done: OnDone, scheduler: str | Any) -> None:
    """Run ``tasks`` on a Dask distributed cluster (``scheduler``: its address, or a Client).

    The workers must have clipper installed and see the same paths (a shared file system).
    A worker lost mid-task makes the scheduler run the task again elsewhere (each attempt in
    its own folder); a task that kills workers ``distributed.scheduler.allowed-failures``
    times fails alone.
    """
    try:
        from distributed import Client, as_completed
    except ImportError:
        from ..errors import InputError

        raise InputError("⟨--scheduler⟩ needs Dask distributed: pip install 'clipper[dask]'") from None
    own = not hasattr(scheduler, "submit")
    client: Any = Client(scheduler, timeout="30s") if own else scheduler  # type: ignore[no-untyped-call]
    try:
        futs = {
            client.submit(run_task, t, key=f"clipper-{t.item.name.replace('/', '__')}-{uuid.uuid4().hex[:8]}", pure=False): t
            for t in tasks
        }
        try:
            for f in as_completed(list(futs)):  # type: ignore[no-untyped-call]
                t = futs[f]
                try:
                    out = f.result()
                except Exception as e:  # KilledWorker, a lost scheduler, a cancelled task
                    out = Outcome(t.item.name, t.key, "failed", 1, f"{type(e).__name__}: {e}".splitlines()[0], None, None, "", 0.0)
                on_done(out)
        except BaseException:
            client.cancel(list(futs), force=True)
            raise
    finally:
        if own:
            client.close()


def execute(tasks: Iterable[Task], on_done: OnDone, *, workers: int, scheduler: str | Any | None = None) -> None:
    """Run every task one of the three ways; ``on_done`` is called in this process, in order of finishing."""
    ts = list(tasks)
    if not ts:
        return
    if scheduler is not None:
        run_dask(ts, on_done, scheduler)
    elif workers <= 1:
        run_serial(ts, on_done)
    else:
        run_pool(ts, on_done, workers)
