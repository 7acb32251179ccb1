#!/usr/bin/env python
"""A transcript much longer than its media: the 1-hour espeak audio with the whole 8-hour
transcript. JSON out.

What must hold (issue "never a confident wrong time"): every line past the audio's end is
left unplaced; no subtitle cue runs past the media's end; placed lines are within 500 ms of
the truth at p99; a quote from hours later is refused by ``clipper find`` (exit 2). The same
audio with its own 1-hour transcript runs in the same process as the baseline (speed ratio).

    python scripts/bench_long_transcript.py [-j 2] [--short]   # --short: 10-min video instead

Needs ../shared/bench/tts (skips with a message when absent).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TTS = ROOT.parent / "shared" / "bench" / "tts"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--short", action="store_true", help="the 10-minute video instead of the hour")
    a = ap.parse_args()
    if not TTS.is_dir():
        print(json.dumps({"skipped": f"{TTS} is absent"}))
        return
    from clipper import subtitles
    from clipper.alignfile import save
    from clipper.evaluate import load_truth, score
    from clipper.media import probe
    from clipper.pipeline import align_transcript, load_transcript

    stem = "seed_tts_10min" if a.short else "seed_tts_1h"
    media = TTS / ("seed_tts_10min.mp4" if a.short else "seed_tts_1h.opus")
    truth = load_truth(TTS / f"{stem}.truth.json")
    info = probe(media)
    out: dict[str, object] = {"media": str(media), "media_ms": info.duration, "jobs": a.jobs}
    runs = {}
    for name, tpath in (("own", TTS / f"{stem}.transcript.txt"), ("long", TTS / "seed_tts.transcript.txt")):
        tr = load_transcript(tpath, segmentation="lines")
        t0 = time.perf_counter()
        al = align_transcript(tr, info, engine="speech", jobs=a.jobs)
        wall = time.perf_counter() - t0
        sc = score(al, truth)
        errs = np.abs(np.asarray(sc.start_errors + sc.end_errors))
        n_truth = len(truth.segments)
        beyond = [s for s in al.segments[n_truth:] if s.spoken]
        cues = subtitles.layout(al)
        runs[name] = {
            "lines": len(al.segments),
            "wall_s": round(wall, 2),
            "x_realtime": round(info.duration / 1000 / wall, 1),
            "scored": sc.scored,
            "placed": sc.placed,
            "confident": sc.confident,
            "confident_wrong": sc.confident_wrong,
            "pooled_median_ms": float(np.median(errs)),
            "pooled_p90_ms": float(np.percentile(errs, 90)),
            "pooled_p99_ms": float(np.percentile(errs, 99)),
            "max_ms": int(errs.max()),
            "lines_past_audio": len(beyond),
            "lines_past_audio_placed": sum(1 for s in beyond if s.placed),
            "last_placed_end_ms": max((s.end for s in al.segments if s.end is not None), default=None),
            "cues": len(cues),
            "cues_past_media_end": sum(1 for c in cues if c.end > info.duration),
            "covered_tokens": al.stats.get("covered_tokens"),
            "probe": al.stats.get("probe"),
        }
        if name == "long":
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "long.align.json"
                save(al, path)
                quote = beyond[len(beyond) // 2].spoken_text
                r = subprocess.run(
                    [sys.executable, "-m", "clipper", "find", str(path), quote],
                    capture_output=True, text=True,
                )  # fmt: skip
                runs[name]["find_past_audio"] = {"quote": quote, "exit": r.returncode, "stderr": r.stderr.strip()}
    out["runs"] = runs
    out["speed_ratio_long_vs_own"] = round(runs["long"]["wall_s"] / runs["own"]["wall_s"], 2)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
