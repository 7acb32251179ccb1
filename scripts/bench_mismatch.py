#!/usr/bin/env python
"""Align transcripts that do not quite match the audio; JSON out, the clean transcript as baseline.

From the espeak benchmark in ``../shared/bench/tts`` this builds, in a temporary folder:

- ``extra``: whole paragraphs from much later in the seed inserted at paragraph breaks
  (text nobody speaks in this audio);
- ``missing``: whole paragraphs dropped from the transcript (speech the text lacks);
- ``second_half``, ``middle_third``, ``last_tenth``: the transcript of only that stretch of
  the recording (minutes of speech before and after it that the text lacks; the last tenth
  is too little of the whole file for the probe's share over it, and passes on the share
  within its own windows);
- ``clean``: the transcript as it is, the baseline, aligned in the same run.

A paragraph is a run of lines between two pauses longer than 900 ms in the truth (the
render's pauses inside a paragraph are 120-900 ms, so these are surely paragraph breaks).
Each case is scored by ``clipper.evaluate.score`` on the truth segments that are in the
transcript ("rest"); for ``extra`` it also reports what the engine said about the inserted
lines (they should be unplaced or have low confidence).

    python scripts/bench_mismatch.py                  # 10-minute video, one paragraph each
    python scripts/bench_mismatch.py --hour           # also the 1-hour file, three each
    python scripts/bench_mismatch.py -O prior=false   # engine options, as for clipper align
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TTS = ROOT.parent / "shared" / "bench" / "tts"


def _paragraphs(truth: dict, min_gap_s: float = 0.9) -> list[tuple[int, int]]:
    """(first, end) line ranges between pauses longer than ``min_gap_s``."""
    segs = truth["segments"]
    cuts = [0] + [i for i in range(1, len(segs)) if segs[i]["start"] - segs[i - 1]["end"] > min_gap_s] + [len(segs)]
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def _pick(paras: list[tuple[int, int]], k: int, lo: int = 3, hi: int = 14) -> list[tuple[int, int]]:
    """k paragraphs of lo..hi lines spread evenly over the file (not the first or last)."""
    ok = [p for p in paras[1:-1] if lo <= p[1] - p[0] <= hi]
    if len(ok) < k:
        raise SystemExit("not enough paragraphs of a usable length in this file")
    return [ok[(i + 1) * len(ok) // (k + 1)] for i in range(k)]


def build(stem: str, k: int, out: Path) -> tuple[dict[str, Path], list[str]]:
    """Write the clean, extra, missing and stretch variants of ``stem`` and their case
    manifests; return those and the inserted lines."""
    truth = json.loads((TTS / f"{stem}.truth.json").read_text(encoding="utf-8"))
    lines = (TTS / f"{stem}.transcript.txt").read_text(encoding="utf-8").splitlines()
    if [s["text"] for s in truth["segments"]] != lines[: len(truth["segments"])]:
        raise SystemExit(f"{stem}: transcript lines and truth segments differ; this script expects them 1:1")
    media = TTS / truth["audio"]
    paras = _paragraphs(truth)
    # the extra text: paragraphs from hours later in the full seed, never in this audio
    full_truth = json.loads((TTS / "seed_tts.truth.json").read_text(encoding="utf-8"))
    full_lines = [s["text"] for s in full_truth["segments"]]
    later = [p for p in _paragraphs(full_truth) if p[0] > len(full_lines) // 2]
    donors = _pick(later, k)
    spots = _pick(paras, k)
    extra_lines: list[str] = []
    inserted: list[str] = []
    drop: set[int] = set()
    for (a, b) in spots:
        drop.update(range(a, b))
    pos = 0
    for (a, _), (da, db) in zip(spots, donors, strict=True):
        extra_lines += lines[pos:a]
        extra_lines += full_lines[da:db]
        inserted += full_lines[da:db]
        pos = a
    extra_lines += lines[pos:]
    variants = {
        "clean": lines,
        "extra": extra_lines,
        "missing": [ln for i, ln in enumerate(lines) if i not in drop],
        "second_half": lines[len(lines) // 2 :],
        "middle_third": lines[len(lines) // 3 : 2 * len(lines) // 3],
        "last_tenth": lines[len(lines) - len(lines) // 10 :],
    }
    cases: dict[str, Path] = {}
    for name, body in variants.items():
        t = out / f"{stem}_{name}.transcript.txt"
        t.write_text("\n".join(body) + "\n", encoding="utf-8")
        c = out / f"{stem}_{name}.case.json"
        c.write_text(json.dumps({"name": f"{stem}_{name}", "transcript": str(t), "media": str(media),
                                 "truth": str(TTS / f"{stem}.truth.json"), "segmentation": "lines"}),
                     encoding="utf-8")  # fmt: skip
        cases[name] = c
    (out / f"{stem}_inserted.json").write_text(json.dumps(inserted), encoding="utf-8")
    (out / f"{stem}_dropped.json").write_text(json.dumps(sorted(drop)), encoding="utf-8")
    return cases, inserted


def run(case_path: Path, options: dict, jobs: int, inserted: list[str]) -> dict:
    from clipper.evaluate import error_stats, load_case, load_truth, score
    from clipper.media import probe
    from clipper.pipeline import align_transcript, load_transcript

    case = load_case(case_path)
    tr = load_transcript(case.transcript, case.fmt, segmentation=case.segmentation)
    assert case.media is not None
    media = probe(case.media)
    t0 = time.perf_counter()
    al = align_transcript(tr, media, engine="speech", jobs=jobs, options=options)
    wall = time.perf_counter() - t0
    sc = score(al, load_truth(case.truth))
    st, en = error_stats(sc.start_errors), error_stats(sc.end_errors)
    keep = ("n", "median_ms", "p90_ms", "p99_ms", "max_ms", "within_100")
    out = {
        "case": case.name,
        "wall_s": round(wall, 1),
        "x_realtime": round(media.duration / 1000 / max(wall, 1e-6), 1),
        "scored_in_transcript": sc.matched,
        "placed": sc.placed,
        "found": sc.found,
        "found_pct": round(100.0 * sc.found / max(1, sc.matched), 2),
        "starts": {k: st[k] for k in keep},
        "ends": {k: en[k] for k in keep},
        "stats": {k: v for k, v in al.stats.items() if k in ("unplaced", "resyncs", "prior_reentries", "junction_redos")},
    }
    if inserted:
        # what the engine said about the lines nobody speaks: they should be unplaced or doubtful
        want = set(inserted)
        confs = [s.confidence or 0.0 for s in al.segments if s.text in want and s.spoken]
        out["inserted"] = {
            "lines": len(confs),
            "unplaced": sum(1 for c in confs if c == 0.0),
            "confidence_below_0.5": sum(1 for c in confs if c < 0.5),
            "confidence_max": round(max(confs), 3) if confs else None,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hour", action="store_true", help="also the 1-hour file (three paragraphs each)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("-O", "--option", action="append", default=[], help="engine option KEY=VALUE")
    ap.add_argument("--keep", type=Path, help="write the cases here instead of a temporary folder")
    args = ap.parse_args(argv)
    if not (TTS / "seed_tts_10min.truth.json").is_file():
        print(json.dumps({"skipped": f"{TTS} not found"}))
        return 0
    from clipper.pipeline import parse_options

    options = parse_options(args.option)
    sets = [("seed_tts_10min", 1)] + ([("seed_tts_1h", 3)] if args.hour else [])
    results = []
    with tempfile.TemporaryDirectory(prefix="clipper-mismatch-") as tmp:
        out = args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        for stem, k in sets:
            cases, inserted = build(stem, k, out)
            for name, path in cases.items():
                results.append(run(path, options, args.jobs, inserted if name == "extra" else []))
                print(json.dumps(results[-1]), file=sys.stderr)
    # ratios against the clean transcript of the same file, from this same run
    by = {r["case"]: r for r in results if "error" not in r}
    ratios = {}
    for stem, _ in sets:
        base = by.get(f"{stem}_clean")
        for v in ("extra", "missing", "second_half", "middle_third", "last_tenth"):
            r = by.get(f"{stem}_{v}")
            if base and r:
                for side in ("starts", "ends"):
                    for q in ("median_ms", "p90_ms"):
                        ratios[f"{stem}_{v}_{side}_{q}_over_clean"] = round(r[side][q] / max(base[side][q], 0.5), 2)
    print(json.dumps({"options": options, "results": results, "ratios": ratios}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
