#!/usr/bin/env python
"""Benchmark the transcript readers against a plain ``text.split()`` pass; JSON out.

For each file: the best of ``--repeat`` fresh processes (cold caches, as the CLI runs)
of :func:`clipper.read.load` (read, detect, parse, clean), and of the baseline
``text.split()`` over the same text in the same process (the machine is shared: the
ratio travels better than seconds). Also the wall time of a fresh ``python -c "import clipper.cli"``
against a bare ``python -c pass``, and which heavy modules that import pulls in.

    python scripts/bench_formats.py              # the seed and ../shared/bench
    python scripts/bench_formats.py --repeat 9 FILE...
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEFAULT = [
    SHARED / "seeds" / "000_4a3f5fdea2417d2d.txt",
    SHARED / "bench" / "seed.youtube.vtt",
    SHARED / "bench" / "seed.cues.srt",
    SHARED / "bench" / "seed.source.srt",
    SHARED / "bench" / "tts" / "seed_tts.transcript.txt",
]
HEAVY = ("numpy", "pocketsphinx", "opentimelineio", "rapidfuzz", "pysrt", "webvtt", "ffmpeg", "webrtcvad")


_CHILD = r"""
import gc, json, sys, time
t0 = time.perf_counter()
from clipper.read import detect_format, load
from clipper.io import read_text
t_import = time.perf_counter() - t0
path = sys.argv[1]
text = read_text(path)
gc.collect()
w0, c0 = time.perf_counter(), time.process_time(); text.split()
t_split, c_split = time.perf_counter() - w0, time.process_time() - c0
w0, c0 = time.perf_counter(), time.process_time(); tr = load(path)
t_load, c_load = time.perf_counter() - w0, time.process_time() - c0
w0, c0 = time.perf_counter(), time.process_time(); text.split()
t_split, c_split = min(t_split, time.perf_counter() - w0), min(c_split, time.process_time() - c0)
json.dump({"format": detect_format(text, path), "bytes": len(text.encode("utf-8")), "segments": len(tr.segments),
           "words": sum(len(s.words) for s in tr.segments), "import_s": t_import, "split_s": t_split,
           "load_s": t_load, "split_cpu_s": c_split, "load_cpu_s": c_load}, sys.stdout)
"""


def bench_file(path: Path, repeat: int) -> dict[str, Any]:
    """Best of ``repeat`` fresh processes: a cold load each time, as the CLI does it."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", _CHILD, str(path)], check=True, capture_output=True, text=True)
        runs.append(json.loads(out.stdout))
    base = min(r["split_s"] for r in runs)
    load = min(r["load_s"] for r in runs)
    base_cpu = min(r["split_cpu_s"] for r in runs)
    load_cpu = min(r["load_cpu_s"] for r in runs)
    r0 = runs[0]
    return {
        "file": str(path),
        "format": r0["format"],
        "bytes": r0["bytes"],
        "segments": r0["segments"],
        "words": r0["words"],
        "import_formats_s": round(min(r["import_s"] for r in runs), 4),
        "split_s": round(base, 4),
        "load_s": round(load, 4),
        "load_over_split": round(load / base, 1),
        # CPU time: what an unloaded machine would show as wall time, near enough
        "split_cpu_s": round(base_cpu, 4),
        "load_cpu_s": round(load_cpu, 4),
        "load_over_split_cpu": round(load_cpu / base_cpu, 1) if base_cpu else None,
    }


def bench_import(repeat: int) -> dict[str, Any]:
    def run(code: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - t0

    bare = min(run("pass") for _ in range(repeat))
    cli = min(run("import clipper.cli") for _ in range(repeat))
    probe = f"import sys, clipper.cli; print(' '.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    heavy = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout.split()
    return {"python_bare_s": round(bare, 3), "import_cli_s": round(cli, 3), "heavy_imported": heavy}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*", type=Path, help="transcript files (default: the seed and ../shared/bench)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per measurement; the best is kept")
    args = ap.parse_args()
    files = args.files or [p for p in DEFAULT if p.exists()]
    out = {"files": [bench_file(p, args.repeat) for p in files], "import": bench_import(args.repeat)}
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
