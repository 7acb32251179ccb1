#!/usr/bin/env python
"""The speech engine on degraded and mismatched media, next to plain pocketsphinx; JSON out.

Runs every case of the sets built by ``scripts/make_degraded.py`` (the dev set, and the
validation set when it exists) through the speech engine (``--jobs``) and, in the same run,
through plain pocketsphinx: one-block forced alignment of the whole file with all beams at
1e-80 (the baseline the issue names). Scores come from ``clipper.evaluate`` (pooled starts
and ends, confident-wrong share: segments at confidence >= 0.5 more than 500 ms off, plus
absent text placed confidently); a refusal (another recording's transcript) scores as
nothing placed. Speed is x real time, and the engine's time as a ratio of the baseline's.

    python scripts/make_degraded.py && python scripts/make_degraded.py --set validation
    python scripts/bench_degraded.py [--set dev|validation|both] [-j 2] [--no-plain]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
SETS = {"dev": Path("/tmp/clipper-degraded"), "validation": Path("/tmp/clipper-validation")}


def _pooled(scores: list) -> dict:  # type: ignore[type-arg]
    from clipper.evaluate import error_stats, pool

    p = pool(scores)
    claims = p.confident + p.absent_confident
    return {
        "scored": p.scored,
        "placed": p.placed,
        "found": p.found,
        "confident": p.confident,
        "confident_wrong": p.confident_wrong,
        "confident_wrong_share": round(p.confident_wrong / claims, 4) if claims else None,
        "absent": p.absent,
        "absent_placed": p.absent_placed,
        "pooled": error_stats(p.start_errors + p.end_errors),
    }


def run_set(folder: Path, jobs: int, plain: bool) -> dict:  # type: ignore[type-arg]
    from bench_speech import plain_align

    from clipper.errors import ClipperError
    from clipper.evaluate import expand_cases, load_truth, run_case, score
    from clipper.media import probe
    from clipper.pipeline import load_transcript

    rows, eng_scores, plain_scores = [], [], []
    eng_wall = plain_wall = dur = 0.0
    for case in expand_cases([folder]):
        r = run_case(case, "speech", jobs=jobs)
        if r.score is None:
            rows.append({"case": case.name, "error": r.error})
            continue
        eng_scores.append(r.score)
        eng_wall += r.wall_s
        dur += (r.duration_ms or 0) / 1000
        row = {"case": case.name, "refused": bool(r.refused), "engine": _pooled([r.score]), "wall_s": round(r.wall_s, 2)}
        if plain:
            tr = load_transcript(case.transcript, segmentation=case.segmentation)
            t0 = time.perf_counter()
            try:
                al = plain_align(tr, probe(case.media), wide=True)
                sc = score(al, load_truth(case.truth))
                plain_scores.append(sc)
                row["plain"] = _pooled([sc])
            except ClipperError as e:
                row["plain"] = {"error": str(e)}
            plain_wall += time.perf_counter() - t0
        rows.append(row)
    out: dict = {"folder": str(folder), "cases": len(rows), "duration_s": round(dur, 1), "rows": rows}  # type: ignore[type-arg]
    out["engine"] = {**_pooled(eng_scores), "wall_s": round(eng_wall, 1), "x_realtime": round(dur / eng_wall, 1)}
    if plain:
        out["plain"] = {**_pooled(plain_scores), "wall_s": round(plain_wall, 1), "x_realtime": round(dur / plain_wall, 1)}
        out["engine_time_vs_plain"] = round(eng_wall / plain_wall, 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", choices=["dev", "validation", "both"], default="both")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--no-plain", action="store_true", help="skip the plain pocketsphinx baseline")
    a = ap.parse_args()
    names = ["dev", "validation"] if a.set == "both" else [a.set]
    out = {}
    for n in names:
        if not SETS[n].is_dir():
            out[n] = {"skipped": f"{SETS[n]} is absent: build it with scripts/make_degraded.py --set {n}"}
            continue
        out[n] = run_set(SETS[n], a.jobs, not a.no_plain)
    np.set_printoptions(precision=1)
    print(json.dumps(out, indent=1, default=float))


if __name__ == "__main__":
    main()
