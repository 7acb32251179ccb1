"""Benchmark the activity engine (and cue mapping, anchors) against truth; uniform as the floor.

Each case runs in its own child process, so wall time and peak memory are the case's own
(peak RSS of the engine process, and of its children: ffmpeg and decode workers).

    python scripts/bench_activity.py                 # the default cases (no 8-hour run)
    python scripts/bench_activity.py --case full     # the 8-hour file: speed and memory
    python scripts/bench_activity.py --case noisy    # needs scripts/make_noisy.py first

Cases: tts1h, tts10, full, noisy, noisy_anchors, noisy_wrong_anchor, source (seed.source.srt,
no audio), real (../shared/data). Prints JSON. Transcript line i is truth segment i; only
"scored" segments count.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLIPPER_SHARED", ROOT.parent / "shared"))
TTS = SHARED / "bench" / "tts"
NOISY = Path(os.environ.get("CLIPPER_BENCH_TMP", "/tmp/clipper-bench"))

CASES: dict[str, dict[str, Any]] = {
    "tts10": {"transcript": TTS / "seed_tts_10min.transcript.txt", "media": TTS / "seed_tts_10min.mp4", "truth": TTS / "seed_tts_10min.truth.json"},
    "tts1h": {"transcript": TTS / "seed_tts_1h.transcript.txt", "media": TTS / "seed_tts_1h.opus", "truth": TTS / "seed_tts_1h.truth.json"},
    "full": {"transcript": TTS / "seed_tts.transcript.txt", "media": TTS / "seed_tts.opus", "truth": TTS / "seed_tts.truth.json"},
    "noisy": {"transcript": NOISY / "seed_tts_10min_noisy12.transcript.txt", "media": NOISY / "seed_tts_10min_noisy12.flac", "truth": NOISY / "seed_tts_10min_noisy12.truth.json"},
    "noisy_anchors": {"transcript": NOISY / "seed_tts_10min_noisy12.transcript.txt", "media": NOISY / "seed_tts_10min_noisy12.flac", "truth": NOISY / "seed_tts_10min_noisy12.truth.json", "anchors": "correct3"},
    "noisy_anchors_worst": {"transcript": NOISY / "seed_tts_10min_noisy12.transcript.txt", "media": NOISY / "seed_tts_10min_noisy12.flac", "truth": NOISY / "seed_tts_10min_noisy12.truth.json", "anchors": "worst3"},
    "noisy_wrong_anchor": {"transcript": NOISY / "seed_tts_10min_noisy12.transcript.txt", "media": NOISY / "seed_tts_10min_noisy12.flac", "truth": NOISY / "seed_tts_10min_noisy12.truth.json", "anchors": "wrong1"},
    "source": {"transcript": SHARED / "seeds" / "000_4a3f5fdea2417d2d.txt", "reference": SHARED / "bench" / "seed.source.srt", "truth": SHARED / "bench" / "seed.truth.json"},
}
DEFAULT = ["tts10", "tts1h", "noisy", "noisy_anchors", "noisy_anchors_worst", "noisy_wrong_anchor", "source", "real"]


def score(segments: Any, truth: dict[str, Any]) -> dict[str, Any]:
    es: list[float] = []
    ee: list[float] = []
    conf: list[float] = []
    n = unplaced = 0
    for s, g in zip(segments, truth["segments"], strict=True):
        if not g.get("scored", True):
            continue
        n += 1
        if not s.placed:
            unplaced += 1
            continue
        es.append(s.start - g["start"] * 1000)
        ee.append(s.end - g["end"] * 1000)
        conf.append(s.confidence or 0.0)
    if not es:
        return {"scored": n, "placed": 0.0}
    a, b, c = np.abs(es), np.abs(ee), np.array(conf)
    worst = np.maximum(a, b)
    r = lambda v: round(float(v), 1)  # noqa: E731
    return {
        "scored": n,
        "placed": round(1 - unplaced / n, 4),
        "start": {"median": r(np.median(a)), "p90": r(np.percentile(a, 90)), "p99": r(np.percentile(a, 99))},
        "end": {"median": r(np.median(b)), "p90": r(np.percentile(b, 90)), "p99": r(np.percentile(b, 99))},
        "pooled": {
            "median": r(np.median(np.concatenate([a, b]))),
            "p90": r(np.percentile(np.concatenate([a, b]), 90)),
        },
        "boundaries_within_100ms": round(float(np.mean(np.concatenate([a, b]) <= 100)), 4),
        "confident": int(np.sum(c >= 0.5)),
        "confident_off_by_500ms": int(np.sum((c >= 0.5) & (worst > 500))),
        "low_confidence_off_by_500ms": int(np.sum((c < 0.5) & (worst > 500))),
    }


def _anchors(kind: str, truth: dict[str, Any], tr: Any, info: Any = None) -> list[Any]:
    """Anchors at the truth's start times.

    correct3: at 1/4, 1/2, 3/4 of the scored segments (wherever they fall; where the engine
    is already right they cannot improve anything); worst3: what a user checking the
    result would do: anchor the three segments whose *start* the unanchored run puts
    furthest off (an anchor states a start), 20+ segments apart; wrong1: the middle
    segment, 10 s late.
    """
    from clipper.align import AlignRequest, Anchor, align

    segs = [i for i, g in enumerate(truth["segments"]) if g.get("scored", True)]
    if kind == "correct3":
        picks = [segs[len(segs) * k // 4] for k in (1, 2, 3)]
        return [Anchor(tr.segments[i].text, round(truth["segments"][i]["start"] * 1000)) for i in picks]
    if kind == "worst3":
        al = align(AlignRequest(tr, media=info), "activity")
        err = {i: abs(al.segments[i].start - truth["segments"][i]["start"] * 1000) for i in segs if al.segments[i].placed}
        picks: list[int] = []
        for i in sorted(err, key=lambda k: -err[k]):
            if all(abs(i - j) >= 20 for j in picks):
                picks.append(i)
            if len(picks) == 3:
                break
        return [Anchor(tr.segments[i].text, round(truth["segments"][i]["start"] * 1000)) for i in sorted(picks)]
    i = segs[len(segs) // 2]
    return [Anchor(tr.segments[i].text, round(truth["segments"][i]["start"] * 1000) + 10_000)]


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc; Linux)."""
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        q = todo.pop()
        out.append(q)
        todo.extend(kids.get(q, []))
    return out


def _mem_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in kB; PSS splits pages shared by forked workers fairly."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


class TreeMemory:
    """Samples the memory of this process and all its children (workers, ffmpeg) together.

    ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the largest single child, not the sum of
    children alive at the same time; this is the sum, every ``every`` seconds.
    """

    def __init__(self, every: float = 0.1) -> None:
        import threading

        self.every = every
        self.peak_rss = self.peak_pss = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            tot = [_mem_kb(p) for p in _tree(os.getpid())]
            self.peak_rss = max(self.peak_rss, sum(r for r, _ in tot))
            self.peak_pss = max(self.peak_pss, sum(p for _, p in tot))
            self._stop.wait(self.every)

    def __enter__(self) -> TreeMemory:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def one(name: str) -> dict[str, Any]:
    from clipper import media
    from clipper import read as formats
    from clipper.align import AlignRequest, align

    if name == "real":
        return real()
    case = CASES[name]
    for k in ("transcript", "media", "reference", "truth"):
        if k in case and not Path(case[k]).exists():
            return {"case": name, "skipped": f"missing {case[k]}"}
    truth = json.loads(Path(case["truth"]).read_text())
    seg = "lines" if str(case["transcript"]).endswith(".txt") and "seeds" not in str(case["transcript"]) else "auto"
    tr = formats.load(case["transcript"], segmentation=seg)
    info = media.probe(case["media"]) if "media" in case else None
    ref = formats.load(case["reference"]) if "reference" in case else None
    anchors = _anchors(case["anchors"], truth, tr, info) if "anchors" in case else []
    t0 = time.perf_counter()
    uni = align(AlignRequest(tr, media=info, reference=ref), "uniform")
    t_uni = time.perf_counter() - t0
    jobs = int(os.environ.get("BENCH_JOBS", "2"))
    base_kb = _mem_kb(os.getpid())
    ru0s, ru0c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    with TreeMemory() as mem:
        t0 = time.perf_counter()
        al = align(AlignRequest(tr, media=info, reference=ref, anchors=anchors, jobs=jobs), "activity")
        wall = time.perf_counter() - t0
    ru1s, ru1c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_self = (ru1s.ru_utime + ru1s.ru_stime) - (ru0s.ru_utime + ru0s.ru_stime)
    cpu_kids = (ru1c.ru_utime + ru1c.ru_stime) - (ru0c.ru_utime + ru0c.ru_stime)
    dur_s = (info.duration if info else (uni.duration or 0)) / 1000
    floor_s = _decode_floor(case["media"]) if "media" in case else None
    out = {
        "case": name,
        "media_s": round(dur_s, 1),
        "activity": score(al.segments, truth),
        "uniform": score(uni.segments, truth),
        "wall_s": round(wall, 2),
        "uniform_wall_s": round(t_uni, 3),
        "x_realtime": round(dur_s / wall, 1) if wall else None,
        # one plain ffmpeg decode of the same file to 16 kHz mono, in the same run: the
        # machine's speed at that moment (the engine's floor with one decoder)
        "decode_floor_s": round(floor_s, 2) if floor_s is not None else None,
        "decode_floor_x_realtime": round(dur_s / floor_s, 1) if floor_s else None,
        "jobs": jobs,
        # CPU seconds of the engine process (program, merging) and of its children (decode
        # workers and their ffmpeg); on an idle machine with `jobs` cores the decode splits
        # over them and the rest is serial: the wall time that load on the machine hides
        "cpu_main_s": round(cpu_self, 2),
        "cpu_children_s": round(cpu_kids, 2),
        "x_realtime_idle_estimate": round(dur_s / (cpu_self + cpu_kids / max(jobs, 1)), 1) if (cpu_self + cpu_kids) > 0 else None,
        "load_avg_1min": round(os.getloadavg()[0], 2),
        # peak of the whole process tree during the engine run, sampled every 100 ms: the
        # engine's own figure, and with the benchmark's truth and transcript already loaded
        "peak_tree_rss_mb": round(mem.peak_rss / 1024, 1),
        "peak_tree_pss_mb": round(mem.peak_pss / 1024, 1),
        "bench_baseline_pss_mb": round(base_kb[1] / 1024, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_rss_largest_child_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "stats": {k: v for k, v in al.stats.items() if k not in ("unplaced_ids",)},
    }
    if anchors:
        out["anchors_given"] = [{"text": a.text[:40], "ms": a.ms} for a in anchors]
    return out


def _decode_floor(path: Path) -> float:
    """Wall seconds of one ffmpeg decode of ``path`` to 16 kHz mono s16 (discarded)."""
    from clipper.media import ffmpeg_binary

    t0 = time.perf_counter()
    argv = [ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", "16000", "-f", "s16le", "-y", os.devnull]
    subprocess.run(argv, check=True)
    return time.perf_counter() - t0


def real() -> dict[str, Any]:
    from clipper import media
    from clipper import read as formats
    from clipper.align import AlignRequest, align

    data = SHARED / "data"
    res: dict[str, Any] = {"case": "real"}
    for d in sorted(p for p in data.iterdir() if p.is_dir()) if data.exists() else []:
        truth = json.loads((d / "truth.json").read_text())
        tr = formats.load(d / "transcript.txt", segmentation="lines")
        info = media.probe(d / truth["audio"])
        al = align(AlignRequest(tr, media=info), "activity")
        uni = align(AlignRequest(tr, media=info), "uniform")
        res[d.name] = {"activity": score(al.segments, truth), "uniform": score(uni.segments, truth),
                       "confidence": [s.confidence for s in al.segments],
                       "errors_ms": [[s.start - round(g["start"] * 1000), s.end - round(g["end"] * 1000)] if s.placed else None for s, g in zip(al.segments, truth["segments"], strict=True)]}
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--case", action="append", help=f"case to run (repeatable); default {' '.join(DEFAULT)}")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one)))
        return
    results = []
    for name in a.case or DEFAULT:
        proc = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True, text=True)
        if proc.returncode != 0:
            results.append({"case": name, "error": proc.stderr.strip().splitlines()[-1:] })
            continue
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
