"""Benchmark of the reference engine at full scale; prints JSON.

What it measures (``../shared`` needed):

1. ``clipper align SEED --reference seed.youtube.vtt`` and ``... seed.cues.srt`` as
   subprocesses: wall time (best and median of ``--repeat`` runs), CPU time and peak RSS
   of the child (``os.wait4``), and accuracy of the written alignment against
   ``seed.truth.json`` with :mod:`clipper.evaluate` (segment start/end |error| median,
   p90, p99, share within 100/250/500 ms, scored segments placed);
2. the baseline in the same run: the same command with ``-O matcher=difflib`` (difflib's
   SequenceMatcher instead of rapidfuzz's Levenshtein opcodes, everything else equal):
   its wall time, the ratio, and its accuracy;
3. robustness, in process: a reference holding only the first half of the cues (the rest
   of the transcript must be left unplaced, not squeezed), and references of "another
   recording" (cue texts shuffled over the cue slots; a passage from elsewhere in the talk)
   that must be refused;
4. VAD refinement of segment edges (``-O refine=...``) on ``bench/tts/seed_tts_10min.mp4``
   with a YouTube-like reference derived from its truth words (lower case, ~15 % word
   errors, word starts jittered), with and without refinement.

Usage: ``python scripts/bench_reference.py [--shared ../shared] [--repeat 3] [--skip-baseline] [--skip-vad]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLIPPER = str(Path(sys.executable).with_name("clipper"))


def run_cmd(argv: list[str]) -> dict[str, Any]:
    """Run a command; wall time, child CPU time and peak RSS (MB)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "exit": proc.returncode,
        "wall_s": round(wall, 3),
        "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
        "peak_rss_mb": round(ru.ru_maxrss / 1024, 1),
        "stdout": out,
        "stderr": err.strip()[-400:],
    }


def accuracy(align_path: Path, truth_path: Path) -> dict[str, Any]:
    from clipper.alignfile import load
    from clipper.evaluate import error_stats, load_truth, score

    sc = score(load(align_path), load_truth(truth_path))
    return {
        "starts": _brief(error_stats(sc.start_errors)),
        "ends": _brief(error_stats(sc.end_errors)),
        "scored": sc.scored,
        "placed": sc.placed,
        "placed_share": round(sc.placed / sc.scored, 5) if sc.scored else None,
    }


def _brief(st: dict[str, Any]) -> dict[str, Any]:
    keep = ("median_ms", "p90_ms", "p99_ms", "max_ms", "within_100", "within_250", "within_500")
    return {k: st.get(k) for k in keep if k in st}


def bench_command(
    transcript: Path, reference: Path, truth: Path, tmp: Path, repeat: int, extra: list[str] = ()  # type: ignore[assignment]
) -> dict[str, Any]:
    runs = []
    out = tmp / "out.align.json"
    for _ in range(repeat):
        argv = [CLIPPER, "align", str(transcript), "--reference", str(reference), "-o", str(out), "--force", "-q", "--json", *extra]
        r = run_cmd(argv)
        if r["exit"] != 0:
            return {"error": r["stderr"], "argv": argv}
        runs.append(r)
    walls = [r["wall_s"] for r in runs]
    summary = json.loads(runs[-1]["stdout"]) if runs[-1]["stdout"].strip().startswith("{") else {}
    stats = json.loads(out.read_text(encoding="utf-8")).get("stats", {})
    return {
        "command": " ".join(["clipper", *argv[1:]]),
        "wall_s_best": min(walls),
        "wall_s_median": statistics.median(walls),
        "wall_s_all": walls,
        "cpu_s_best": min(r["cpu_s"] for r in runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "read_and_align_wall_s": summary.get("wall_s"),
        "engine_wall_s": round(sum(stats.get("seconds", {}).values()), 3),
        "engine_steps_s": stats.get("seconds"),
        "accuracy": accuracy(out, truth),
    }


def robustness(shared: Path) -> dict[str, Any]:
    from clipper.align import AlignRequest
    from clipper.align.reference import run
    from clipper.errors import AlignmentError, MismatchError
    from clipper.model import Segment, Word
    from clipper.read import load

    seed = load(shared / "seeds" / "000_4a3f5fdea2417d2d.txt")
    ref = load(shared / "bench" / "seed.youtube.vtt")
    truth = json.loads((shared / "bench" / "seed.truth.json").read_text(encoding="utf-8"))["segments"]
    out: dict[str, Any] = {}

    half = replace(ref, segments=ref.segments[: len(ref.segments) // 2])
    ref_end = max(s.end for s in half.segments if s.end is not None)
    t0 = time.perf_counter()
    al = run(AlignRequest(seed, reference=half))
    spoken = [(s, t) for s, t in zip(al.segments, truth, strict=True) if s.words]
    out["half_reference"] = {
        "wall_s": round(time.perf_counter() - t0, 3),
        "reference_end_ms": ref_end,
        "match_rate": al.stats["match_rate"],
        "placed_spoken": sum(1 for s, _ in spoken if s.start is not None),
        "unplaced_spoken": sum(1 for s, _ in spoken if s.start is None),
        "unplaced_whose_truth_starts_before_reference_end": sum(
            1 for s, t in spoken if s.start is None and t["start"] * 1000 < ref_end
        ),
        "placed_ending_after_reference_end": sum(1 for s, _ in spoken if s.end is not None and s.end > ref_end),
        "stretches": al.stats["stretches"][:3],
    }

    def refused(name: str, r: Any) -> dict[str, Any]:
        try:
            run(AlignRequest(seed, reference=r))
            res: dict[str, Any] = {"refused": False}
        except (AlignmentError, MismatchError) as e:
            res = {"refused": True, "message": str(e)}
        forced = run(AlignRequest(seed, reference=r, force=True))
        res["match_rate_forced"] = forced.stats["match_rate"]
        return res

    rng = random.Random(7)
    segs = list(ref.segments)
    texts = [s.words for s in segs]
    rng.shuffle(texts)
    shuffled = []
    for s, ws in zip(segs, texts, strict=True):
        assert s.start is not None and s.end is not None
        n, span = len(ws), s.end - s.start
        nw = tuple(Word(w.text, s.start + span * k // n, s.start + span * (k + 1) // n) for k, w in enumerate(ws))
        shuffled.append(Segment(s.id, " ".join(w.text for w in ws), nw, s.start, s.end))
    out["cue_shuffled_reference"] = refused("shuffled", replace(ref, segments=tuple(shuffled)))
    # the seed's first hour against the reference of its last hour: another passage of the same talk
    first_hour = replace(seed, segments=tuple(s for s, t in zip(seed.segments, truth, strict=True) if t["end"] < 3600))
    last = max(s.end for s in ref.segments if s.end is not None)
    other = replace(ref, segments=tuple(s for s in ref.segments if s.start is not None and s.start > last - 3_600_000))
    try:
        run(AlignRequest(first_hour, reference=other))
        out["other_passage_reference"] = {"refused": False}
    except (AlignmentError, MismatchError) as e:
        out["other_passage_reference"] = {"refused": True, "message": str(e)}
    return out


# --------------------------------------------------------------------------- VAD refinement

_FILLERS = ("um", "uh", "like", "so", "you know")


def youtube_like_vtt(words: list[dict[str, Any]], seed: int = 3, wer: float = 0.15, jitter_ms: int = 60) -> str:
    """A YouTube auto-caption VTT from truth words: lower case, no punctuation, about
    ``wer`` word errors (substitutions, deletions, inserted fillers), word starts moved by
    a uniform jitter of +-``jitter_ms`` (recognisers' word times are not exact), rolling
    two-line cues with inline word times and the 10 ms "finished line" cues."""
    from clipper.text import norm

    rng = random.Random(seed)
    vocab = sorted({norm(w["word"]) for w in words if norm(w["word"])})
    toks: list[tuple[str, int]] = []
    for w in words:
        key = norm(w["word"])
        if not key:
            continue
        t = int(round(w["start"] * 1000)) + rng.randint(-jitter_ms, jitter_ms)
        r = rng.random()
        if r < wer * 0.35:
            continue  # deleted
        if r < wer * 0.8:
            key = rng.choice(vocab)  # substituted
        toks.append((key, t))
        if rng.random() < wer * 0.2:
            toks.append((rng.choice(_FILLERS), t + 150))
    toks.sort(key=lambda x: x[1])
    lines: list[list[tuple[str, int]]] = []
    while toks:
        n = rng.randint(4, 8)
        lines.append(toks[:n])
        toks = toks[n:]

    def ts(ms: int) -> str:
        ms = max(0, ms)
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"

    out = ["WEBVTT", "Kind: captions", "Language: en", ""]
    prev = " "
    for i, ln in enumerate(lines):
        a = ln[0][1]
        b = lines[i + 1][0][1] - 10 if i + 1 < len(lines) else ln[-1][1] + 600
        b = max(b, ln[-1][1] + 1)
        body = ln[0][0] + "".join(f"<{ts(t)}><c> {w}</c>" for w, t in ln[1:])
        out += [f"{ts(a)} --> {ts(b)} align:start position:0%", prev, body, ""]
        text = " ".join(w for w, _ in ln)
        out += [f"{ts(b)} --> {ts(b + 10)} align:start position:0%", text, " ", ""]
        prev = text
    return "\n".join(out)


def vad_refinement(shared: Path, tmp: Path) -> dict[str, Any]:
    tts = shared / "bench" / "tts"
    truth = tts / "seed_tts_10min.truth.json"
    media = tts / "seed_tts_10min.mp4"
    words = json.loads(truth.read_text(encoding="utf-8"))["words"]
    res: dict[str, Any] = {"media": str(media), "reference": "youtube-like VTT derived from the truth words (see youtube_like_vtt)"}
    for jitter in (0, 60):
        vtt = tmp / f"tts10_j{jitter}.vtt"
        vtt.write_text(youtube_like_vtt(words, jitter_ms=jitter), encoding="utf-8")
        row: dict[str, Any] = {}
        for mode in ("false", "ends", "starts", "both"):
            out = tmp / f"tts10_{jitter}_{mode}.align.json"
            argv = [CLIPPER, "align", str(media), str(tts / "seed_tts_10min.transcript.txt"), "--reference", str(vtt),
                    "-o", str(out), "--force", "-q", "-O", f"refine={mode}"]  # fmt: skip
            r = run_cmd(argv)
            if r["exit"] != 0:
                row[mode] = {"error": r["stderr"]}
                continue
            row[mode] = {"wall_s": r["wall_s"], **accuracy(out, truth)}
        res[f"jitter_{jitter}ms"] = row
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"), help="the shared data folder")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each timed command (best and median reported)")
    ap.add_argument("--skip-baseline", action="store_true", help="do not run the slow difflib baseline")
    ap.add_argument("--skip-vad", action="store_true", help="do not measure VAD refinement")
    args = ap.parse_args()
    shared = Path(args.shared).resolve()
    bench = shared / "bench"
    seed = shared / "seeds" / "000_4a3f5fdea2417d2d.txt"
    truth = bench / "seed.truth.json"
    report: dict[str, Any] = {"load_average_before": os.getloadavg(), "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        report["youtube"] = bench_command(seed, bench / "seed.youtube.vtt", truth, tmp, args.repeat)
        report["cues_srt"] = bench_command(seed, bench / "seed.cues.srt", truth, tmp, args.repeat)
        if not args.skip_baseline:
            base = bench_command(seed, bench / "seed.youtube.vtt", truth, tmp, 1, ["-O", "matcher=difflib"])
            report["baseline_difflib_youtube"] = base
            if "wall_s_best" in base and "wall_s_best" in report["youtube"]:
                report["difflib_over_rapidfuzz_wall_ratio"] = round(base["wall_s_best"] / report["youtube"]["wall_s_best"], 2)
                if base.get("engine_wall_s") and report["youtube"].get("engine_wall_s"):
                    report["difflib_over_rapidfuzz_engine_ratio"] = round(
                        base["engine_wall_s"] / report["youtube"]["engine_wall_s"], 2
                    )
                m_base = (base.get("engine_steps_s") or {}).get("match")
                m_fast = (report["youtube"].get("engine_steps_s") or {}).get("match")
                if m_base and m_fast:
                    report["difflib_over_rapidfuzz_match_step_ratio"] = round(m_base / m_fast, 1)
        report["robustness"] = robustness(shared)
        if not args.skip_vad:
            report["vad_refinement_tts_10min"] = vad_refinement(shared, tmp)
    report["load_average_after"] = os.getloadavg()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
