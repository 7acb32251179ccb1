"""Benchmark ``clipper batch``: serial vs local process pool vs a Dask LocalCluster, one run.

Twelve items (the 10-minute tts video under twelve names, linked, with its transcript) are
run three ways into fresh folders, then once more into the pool's folder to time a rerun
where everything is already done; and, as the status quo a batch replaces, one `clipper
run` process per item in turn (same outputs: the transcript has no takeaways, so no clips).
Prints JSON: wall seconds per way and ratios to serial (the acceptance asks pool >= 1.7x
serial on 2 cores for the activity engine), CPU seconds, and how many cores a serial item
already keeps busy.

    python scripts/bench_batch.py                      # activity engine (default)
    python scripts/bench_batch.py --engine speech --items 4
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("CLIPPER_SHARED", ROOT.parent / "shared")).resolve()


def make_items(folder: Path, n: int, media: Path, transcript: Path) -> None:
    folder.mkdir(parents=True)
    for i in range(1, n + 1):
        (folder / f"item{i:02d}{media.suffix}").symlink_to(media)
        shutil.copyfile(transcript, folder / f"item{i:02d}.txt")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", default="activity")
    ap.add_argument("--items", type=int, default=12)
    ap.add_argument("--jobs", type=int, default=2, help="cores for the pool and Dask workers")
    ap.add_argument("--repeat", type=int, default=3, help="serial and pool runs, alternating; medians are reported")
    ap.add_argument("--outputs", default="all")
    ap.add_argument("--skip", action="append", default=[], choices=["serial", "pool", "dask", "run_loop"])
    args = ap.parse_args()
    media = SHARED / "bench" / "tts" / "seed_tts_10min.mp4"
    transcript = SHARED / "bench" / "tts" / "seed_tts_10min.transcript.txt"
    if not media.exists():
        print(json.dumps({"skipped": f"needs {media}"}))
        return 0

    from clipper.batch import Defaults, run_batch
    from clipper.workflow import parse_outputs

    defaults = Defaults(engine=args.engine, outputs=parse_outputs(args.outputs))
    out: dict[str, object] = {"engine": args.engine, "items": args.items, "jobs": args.jobs,
                              "media_s_per_item": 600, "outputs": args.outputs}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench_batch.") as tmp:
        src = Path(tmp) / "in"
        make_items(src, args.items, media, transcript)
        times: dict[str, float] = {}
        cpu: dict[str, float] = {}
        runs: dict[str, list[float]] = {}

        def cpu_now() -> float:
            # this process and every waited-for descendant (pool workers, ffmpeg)
            me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
            return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

        def timed(name: str, folder: str, **kw: object) -> None:
            t0, c0 = time.perf_counter(), cpu_now()
            res = run_batch(src, Path(tmp) / folder, defaults=defaults, **kw)  # type: ignore[arg-type]
            wall, used = time.perf_counter() - t0, cpu_now() - c0
            runs.setdefault(name, []).append(round(wall, 2))
            runs.setdefault(name + "_cpu", []).append(round(used, 2))
            times[name] = round(statistics.median(runs[name]), 2)
            cpu[name] = round(statistics.median(runs[name + "_cpu"]), 2)
            assert res.totals["done"] == args.items, res.totals
            print(f"{name}: {wall:.2f} s", file=sys.stderr, flush=True)

        # the machine is shared: serial and pool alternate, and medians are compared
        for r in range(args.repeat):
            if "serial" not in args.skip:
                timed("serial", f"serial{r}", jobs=1)
            if "pool" not in args.skip:
                timed("pool", f"pool{r}", jobs=args.jobs)
        if "pool" not in args.skip:
            t0 = time.perf_counter()
            res = run_batch(src, Path(tmp) / "pool0", defaults=defaults, jobs=args.jobs)
            assert res.totals["skipped"] == args.items
            times["rerun_all_done"] = round(time.perf_counter() - t0, 2)
        if "run_loop" not in args.skip:
            t0, c0 = time.perf_counter(), cpu_now()
            for i in range(1, args.items + 1):
                dest = Path(tmp) / "loop" / f"item{i:02d}"
                subprocess.run([sys.executable, "-m", "clipper", "run", str(src / f"item{i:02d}.mp4"), str(src / f"item{i:02d}.txt"),
                                "-o", str(dest), "-e", args.engine, "-q"], check=True)  # fmt: skip
            times["run_loop"] = round(time.perf_counter() - t0, 2)
            cpu["run_loop"] = round(cpu_now() - c0, 2)
            print(f"run_loop: {times['run_loop']} s", file=sys.stderr, flush=True)
        if "dask" not in args.skip:
            from distributed import LocalCluster

            t0 = time.perf_counter()
            with LocalCluster(n_workers=args.jobs, threads_per_worker=1, processes=True, host="127.0.0.1",
                              dashboard_address=None) as cluster:  # fmt: skip
                times["dask_startup"] = round(time.perf_counter() - t0, 2)
                timed("dask", "dask", scheduler=cluster.scheduler_address)
        out["seconds"] = times
        out["runs"] = {k: v for k, v in runs.items() if not k.endswith("_cpu")}
        # Dask workers are not this process's children: their CPU is not counted
        out["cpu_seconds"] = {k: v for k, v in cpu.items() if k != "dask"}
        if "serial" in times:
            # a serial item already keeps more than one core busy (ffmpeg decodes on its own
            # threads), so a pool of N cannot be N times faster: this is its ceiling
            busy = cpu["serial"] / times["serial"]
            out["serial_cores_busy"] = round(busy, 2)
            out["pool_ceiling_vs_serial"] = round(args.jobs / busy, 2)
            base = times["serial"]
            out["speedup_vs_serial"] = {k: round(base / v, 2) for k, v in times.items() if k in ("pool", "dask", "run_loop")}
            out["real_time_factor"] = {k: round(args.items * 600 / v, 1) for k, v in times.items() if k in ("serial", "pool", "dask", "run_loop")}
        if "run_loop" in times:
            out["speedup_vs_run_loop"] = {k: round(times["run_loop"] / v, 2) for k, v in times.items() if k in ("serial", "pool", "dask")}
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
