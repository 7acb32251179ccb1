"""Benchmark ``clipper sync`` against ffsubsync on the same mistimed subtitle files; prints JSON.

    python3 -m venv /tmp/ffs-venv && /tmp/ffs-venv/bin/pip install ffsubsync   # once, apart
    python scripts/bench_sync.py [--ffsubsync /tmp/ffs-venv/bin/ffsubsync] [--no-1h] [--no-full]
                                 [--before ../before] [--calibrate 25] [--out /tmp/clipper-bench-sync]

ffsubsync is installed from PyPI into its own venv so the project's dependencies do not
change; give its executable with ``--ffsubsync`` or have it on PATH (the script says so and
stops when it is missing; ``--no-ffsubsync`` measures clipper alone). ffsubsync gets
clipper's ffmpeg (imageio-ffmpeg's) through ``--ffmpeg-path``.

Cases, each a subtitle file whose correct times are known exactly (the espeak truth of
../shared/bench/tts, or a layout made from it), mistimed on purpose:

- ``tts10`` (the 10-minute video): shifted +2.5 s, -7 s, +31 s; drifted 25/23.976 (a file
  timed for 25 fps on 23.976), 23.976/25 plus 1.5 s, and 1.003 (not a frame-rate ratio);
  ``pro`` cues (segments merged to two 42-character lines, shown 0.5 s past the speech,
  833 ms at least) shifted +2.5 s; ``edit``: the second half 1.5 s later than the first
  (what a cut or an ad break does; no single offset fits);
- ``tts1h`` (the 1-hour audio): +2.5 s and 25/23.976 (``--no-1h`` leaves them out);
- ``noisy12``/``noisy3``: the 10-minute audio under pink noise and a music bed at 12 and 3 dB
  SNR (``scripts/make_noisy.py``, made once in ``--out``), shifted and drifted;
- ``harvard``: ../shared/data's 53-second Harvard sentences (10 cues), shifted +2.5 s;
- ``mismatch``: ten minutes of the 1-hour truth (from 20:00) on the 10-minute video: the
  subtitles of another recording. Right is refusing; any time written is wrong.

Each case runs ``clipper sync`` (drift mode, and offset mode where the truth is a shift;
full mode on the 10-minute +2.5 s and edit cases unless ``--no-full``) and ffsubsync (its
defaults: frame-rate ratios tried, offsets up to 60 s). Reported per case and summed up:
median / p90 / max |start error| in ms against the correct times and wall seconds, with
ratios clipper/ffsubsync. A refusal (exit 2) has no error; ``forced`` adds clipper's
``--force`` result for refused cases that have a truth.

``--before DIR`` also times what the issue describes as the only way before ``clipper
sync`` existed (``clipper align MEDIA SUBS`` + ``clipper subtitles --no-merge``, from the
checkout DIR) on the 10-minute +2.5 s case. ``--calibrate N`` measures the fit score of N
mismatched windows (8 h truth past the first hour) per size against the 10-minute and
1-hour media: the evidence for ``clipper.sync.MIN_SCORE``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLIPPER_SHARED", ROOT.parent / "shared")).resolve()
TTS = SHARED / "bench" / "tts"
R25 = 25 / (24000 / 1001)

sys.path.insert(0, str(ROOT))
from clipper.media import ffmpeg_binary  # noqa: E402

Cue = tuple[int, int, str]


# --- subtitle files ---------------------------------------------------------------------


def _srt_time(ms: int) -> str:
    h, r = divmod(max(0, ms), 3_600_000)
    m, r = divmod(r, 60_000)
    s, f = divmod(r, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{f:03d}"


def write_srt(path: Path, cues: list[Cue]) -> None:
    body = "\n".join(f"{k}\n{_srt_time(a)} --> {_srt_time(b)}\n{t}\n" for k, (a, b, t) in enumerate(cues, 1))
    path.write_text(body, encoding="utf-8")


_TIMING = re.compile(r"^(\d+):(\d\d):(\d\d)[,.](\d{3})\s*-->", re.M)


def srt_starts(path: Path) -> list[int]:
    text = path.read_text(encoding="utf-8-sig")
    return [((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(f) for h, m, s, f in _TIMING.findall(text)]


def truth_cues(path: Path, *, scored_only: bool = False) -> list[Cue]:
    t = json.loads(path.read_text(encoding="utf-8"))
    return [
        (round(s["start"] * 1000), round(s["end"] * 1000), s["text"] or "[...]")
        for s in t["segments"]
        if s.get("scored", True) or not scored_only
    ]


def mistime(cues: list[Cue], shift: int = 0, scale: float = 1.0, edit_at: int | None = None, edit_ms: int = 0) -> tuple[list[Cue], list[Cue]]:
    """(the mistimed file's cues, the correct cues of the same entries): a file time is
    ``t / scale + shift`` (+ ``edit_ms`` from cue ``edit_at`` on); cues pushed before 0 are
    left out (that file starts later)."""
    bad: list[Cue] = []
    good: list[Cue] = []
    for k, (a, b, t) in enumerate(cues):
        extra = edit_ms if edit_at is not None and k >= edit_at else 0
        na, nb = round(a / scale) + shift + extra, round(b / scale) + shift + extra
        if na >= 0:
            bad.append((na, nb, t))
            good.append((a, b, t))
    return bad, good


def pro_layout(cues: list[Cue]) -> list[Cue]:
    """Segments as a subtitler lays them out: up to two 42-character lines, merged over short
    pauses, shown 0.5 s past the speech (never into the next cue), 833 ms at least."""
    out: list[list[Any]] = []
    for a, b, t in cues:
        if out and a - out[-1][1] < 700 and len(out[-1][2]) + 1 + len(t) <= 84 and b - out[-1][0] <= 7000:
            out[-1][1], out[-1][2] = b, out[-1][2] + " " + t
        else:
            out.append([a, b, t])
    res: list[Cue] = []
    for k, (a, b, t) in enumerate(out):
        nxt = out[k + 1][0] if k + 1 < len(out) else b + 5000
        end = min(max(b + 500, a + 833), nxt - 80)
        words = t.split()
        lines, cur = [], ""
        for w in words:
            if cur and len(cur) + 1 + len(w) > 42:
                lines.append(cur)
                cur = w
            else:
                cur = f"{cur} {w}".strip()
        lines.append(cur)
        res.append((a, max(end, b), "\n".join(lines)))
    return res


# --- runners ------------------------------------------------------------------------------


def run(argv: list[str], cwd: Path | None = None) -> tuple[int, float, str, str]:
    t0 = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, text=True, cwd=cwd)
    return p.returncode, round(time.perf_counter() - t0, 2), p.stdout, p.stderr


def errors(out: Path, good: list[Cue]) -> dict[str, Any]:
    got = srt_starts(out)
    if len(got) != len(good):
        return {"error": f"{len(got)} cues written for {len(good)}"}
    e = sorted(abs(g - c[0]) for g, c in zip(got, good, strict=True))
    return {
        "median_ms": statistics.median(e),
        "p90_ms": e[min(len(e) - 1, int(round(0.9 * (len(e) - 1))))],
        "max_ms": e[-1],
        "within_100ms": round(sum(1 for x in e if x <= 100) / len(e), 4),
        "cues": len(e),
    }


def run_clipper(subs: Path, media: Path, out: Path, mode: str, force: bool = False) -> dict[str, Any]:
    out.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "clipper", "sync", str(subs), str(media), "-o", str(out), "--mode", mode, "--json", "-q"]
    if force:  # write the fit even when it scores under the threshold
        argv.append("--force")
    code, wall, so, se = run(argv, cwd=ROOT)
    r: dict[str, Any] = {"tool": "clipper", "mode": mode, "exit": code, "wall_s": wall}
    if code == 0:
        j = json.loads(so)
        r.update({k: j[k] for k in ("offset_ms", "scale", "score", "linear", "forced", "full")})
    else:
        r["refused"] = se.strip().splitlines()[-1][:300] if se.strip() else f"exit {code}"
    return r


def run_ffsubsync(exe: str, ffdir: Path, subs: Path, media: Path, out: Path) -> dict[str, Any]:
    code, wall, so, se = run([exe, str(media), "-i", str(subs), "-o", str(out), "--ffmpeg-path", str(ffdir)])
    r: dict[str, Any] = {"tool": "ffsubsync", "exit": code, "wall_s": wall}
    log = so + se
    for key, pat in (("score", r"score: ([-\d.]+)"), ("offset_s", r"offset seconds: ([-\d.]+)"), ("scale", r"framerate scale factor: ([-\d.]+)")):
        m = re.search(pat, log)
        if m:
            r[key] = float(m.group(1))
    if code != 0 or not out.exists():
        r["refused"] = log.strip().splitlines()[-1][:300] if log.strip() else f"exit {code}"
    return r


# --- the run --------------------------------------------------------------------------------


def noisy(out: Path, snr: int) -> Path | None:
    media = out / f"seed_tts_10min_noisy{snr}.flac"
    if not media.exists():
        code, _, _, se = run([sys.executable, str(ROOT / "scripts" / "make_noisy.py"), "--snr", str(snr), "--out", str(out)], cwd=ROOT)
        if code != 0:
            print(f"make_noisy.py failed: {se.strip()[-300:]}", file=sys.stderr)
            return None
    return media


def cases(out: Path, with_1h: bool) -> list[dict[str, Any]]:
    cs: list[dict[str, Any]] = []
    v10, t10 = TTS / "seed_tts_10min.mp4", TTS / "seed_tts_10min.truth.json"
    if v10.exists():
        truth = truth_cues(t10)
        for name, kw in (("+2.5s", {"shift": 2500}), ("-7s", {"shift": -7000}), ("+31s", {"shift": 31000}),
                         ("25/23.976", {"scale": R25}), ("23.976/25+1.5s", {"scale": 1 / R25, "shift": 1500}),
                         ("1.003", {"scale": 1.003})):  # fmt: skip
            cs.append({"media": v10, "name": f"tts10 {name}", "cues": truth, "kw": kw, "offset_mode": "scale" not in kw, "full": name == "+2.5s"})
        cs.append({"media": v10, "name": "tts10 pro +2.5s", "cues": pro_layout(truth), "kw": {"shift": 2500}, "offset_mode": True})
        cs.append({"media": v10, "name": "tts10 edit +1.5s at half", "cues": truth, "kw": {"shift": 2500, "edit_at": len(truth) // 2, "edit_ms": 1500},
                   "offset_mode": False, "full": True})  # fmt: skip
        for snr, kw in ((12, {"shift": 2500}), (3, {"scale": R25, "shift": 800})):
            m = noisy(out, snr)
            if m is not None:
                cs.append({"media": m, "name": f"noisy{snr} " + ("+2.5s" if "scale" not in kw else "25/23.976+0.8s"), "cues": truth, "kw": kw, "offset_mode": "scale" not in kw})
        h1 = TTS / "seed_tts_1h.truth.json"
        if h1.exists():
            other = [(a - 1_200_000, b - 1_200_000, t) for a, b, t in truth_cues(h1) if 1_200_000 <= a and b <= 1_800_000]
            cs.append({"media": v10, "name": "mismatch (1h truth 20:00-30:00 on tts10)", "cues": other, "kw": {"shift": 0}, "offset_mode": True, "no_truth": True})
    if with_1h and (TTS / "seed_tts_1h.opus").exists():
        truth = truth_cues(TTS / "seed_tts_1h.truth.json")
        for name, kw in (("+2.5s", {"shift": 2500}), ("25/23.976", {"scale": R25})):
            cs.append({"media": TTS / "seed_tts_1h.opus", "name": f"tts1h {name}", "cues": truth, "kw": kw, "offset_mode": False})
    hv = SHARED / "data" / "gentle_osr_harvard_list30"
    if hv.exists():
        cs.append({"media": hv / "harvard-sentences-list30.mp3", "name": "harvard (53 s, 10 cues) +2.5s", "cues": truth_cues(hv / "truth.json"),
                   "kw": {"shift": 2500}, "offset_mode": True})  # fmt: skip
    return cs


def summarize(rows: list[dict[str, Any]], tool: str, mode: str | None = None) -> dict[str, Any]:
    sel = [r for r in rows if r["tool"] == tool and (mode is None or r.get("mode") == mode)]
    done = [r for r in sel if "median_ms" in r]
    out: dict[str, Any] = {"runs": len(sel), "with_times": len(done), "refused": sum(1 for r in sel if "refused" in r),
                           "wrote_for_another_recording": sum(1 for r in sel if "wrote" in r),
                           "wall_s_total": round(sum(r["wall_s"] for r in sel), 2)}  # fmt: skip
    if done:
        out.update({
            "median_of_medians_ms": statistics.median(r["median_ms"] for r in done),
            "median_p90_ms": statistics.median(r["p90_ms"] for r in done),
            "worst_max_ms": max(r["max_ms"] for r in done),
        })  # fmt: skip
    return out


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 3)


def calibrate(n: int, out: Path) -> dict[str, Any]:
    """Fit scores of subtitles of another recording (windows of the 8-hour truth past the
    first hour) against the 10-minute and 1-hour media, drift mode."""
    import numpy as np

    from clipper.sync.fit import fit_timing
    from clipper.vad import frame_activity

    big = [(a, b) for a, b, _ in truth_cues(TTS / "seed_tts.truth.json", scored_only=True)]
    rng = random.Random(5)
    res: dict[str, Any] = {}
    for name, media in (("tts10", TTS / "seed_tts_10min.mp4"), ("tts1h", TTS / "seed_tts_1h.opus")):
        if not media.exists():
            continue
        speech = frame_activity(media).speech
        for size in (20, 50, 100, 300, 1000):
            scores = []
            for _ in range(n):
                i = rng.randrange(2000, len(big) - size)
                w = big[i : i + size]
                w0 = w[0][0] - rng.randrange(500, 3000)
                scores.append(fit_timing(speech, [(a - w0, b - w0) for a, b in w]).score)
            res[f"{name} {size} cues"] = {"n": n, "mean": round(float(np.mean(scores)), 2), "max": max(scores)}
    res["max"] = max(v["max"] for v in res.values())
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ffsubsync", default=None, help="the ffsubsync executable (default: on PATH)")
    ap.add_argument("--no-ffsubsync", action="store_true", help="measure clipper alone")
    ap.add_argument("--no-1h", action="store_true", help="leave out the 1-hour cases")
    ap.add_argument("--no-full", action="store_true", help="leave out full mode (the speech engine: ~75 s a 10-minute case)")
    ap.add_argument("--before", default=None, help="a checkout of clipper before sync existed: time align + subtitles --no-merge")
    ap.add_argument("--calibrate", type=int, default=0, help="mismatched windows per size for the MIN_SCORE evidence")
    ap.add_argument("--out", default="/tmp/clipper-bench-sync", help="work folder (outside the repo)")
    a = ap.parse_args()
    if not TTS.exists():
        sys.exit(f"needs {TTS} (the shared benchmark data beside the project; set CLIPPER_SHARED)")
    exe = None
    if not a.no_ffsubsync:
        exe = a.ffsubsync or shutil.which("ffsubsync")
        if exe is None or not Path(exe).exists():
            sys.exit(
                "ffsubsync not found" + (f" at {a.ffsubsync}" if a.ffsubsync else " on PATH") + ". Install it apart from the project:\n"
                "  python3 -m venv /tmp/ffs-venv && /tmp/ffs-venv/bin/pip install ffsubsync\n"
                "then: python scripts/bench_sync.py --ffsubsync /tmp/ffs-venv/bin/ffsubsync  (or --no-ffsubsync)"
            )
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    ffdir = Path(tempfile.mkdtemp(prefix="ffbin-"))
    (ffdir / "ffmpeg").symlink_to(ffmpeg_binary())
    rows: list[dict[str, Any]] = []
    for k, c in enumerate(cases(out, not a.no_1h)):
        bad, good = mistime(c["cues"], **c["kw"])
        subs = out / f"case{k}.srt"
        write_srt(subs, bad)
        runs = [("drift", False)]
        if c.get("offset_mode"):
            runs.append(("offset", False))
        if c.get("full") and not a.no_full:
            runs.append(("full", False))
        for mode, force in runs:
            o = out / f"case{k}.{mode}.srt"
            r = {"case": c["name"], **run_clipper(subs, c["media"], o, mode, force)}
            if "refused" not in r and not c.get("no_truth"):
                r.update(errors(o, good))
            elif "refused" in r and not c.get("no_truth"):
                f = run_clipper(subs, c["media"], o, mode, force=True)
                r["forced"] = {**{x: f.get(x) for x in ("score", "offset_ms", "scale")}, **(errors(o, good) if f["exit"] == 0 else {})}
            rows.append(r)
            print(json.dumps(r), file=sys.stderr, flush=True)
        if exe is not None:
            o = out / f"case{k}.ffsubsync.srt"
            o.unlink(missing_ok=True)
            r = {"case": c["name"], **run_ffsubsync(exe, ffdir, subs, c["media"], o)}
            if "refused" not in r and not c.get("no_truth"):
                r.update(errors(o, good))
            elif "refused" not in r:
                r["wrote"] = "a file (another recording's subtitles: every time in it is wrong)"
            rows.append(r)
            print(json.dumps(r), file=sys.stderr, flush=True)
    report: dict[str, Any] = {"cases": rows}
    summ: dict[str, Any] = {f"clipper {m}": summarize(rows, "clipper", m) for m in ("drift", "offset", "full")}
    if exe is not None:
        summ["ffsubsync"] = summarize(rows, "ffsubsync")
        # like for like: the cases both wrote times for, clipper drift (its default) vs ffsubsync
        both = [c for c in {r["case"] for r in rows}
                if any(r["case"] == c and r["tool"] == "clipper" and r.get("mode") == "drift" and "median_ms" in r for r in rows)
                and any(r["case"] == c and r["tool"] == "ffsubsync" and "median_ms" in r for r in rows)]  # fmt: skip
        cl = summarize([r for r in rows if r["case"] in both], "clipper", "drift")
        ff = summarize([r for r in rows if r["case"] in both], "ffsubsync")
        summ["same_cases"] = {
            "cases": len(both),
            "clipper_drift": cl,
            "ffsubsync": ff,
            "ratio_clipper_over_ffsubsync": {
                k: ratio(cl.get(k), ff.get(k)) for k in ("median_of_medians_ms", "median_p90_ms", "worst_max_ms", "wall_s_total")
            },
        }
    report["summary"] = summ
    if a.before:
        report["before"] = before(Path(a.before), out)
    if a.calibrate:
        report["calibration"] = calibrate(a.calibrate, out)
    print(json.dumps(report, indent=2))


def before(checkout: Path, out: Path) -> dict[str, Any]:
    """The way before ``clipper sync``: align the mistimed SRT as a transcript, then write it
    back one segment a cue (``--no-merge``); timed, with the start errors of its segments."""
    truth = truth_cues(TTS / "seed_tts_10min.truth.json")
    bad, good = mistime(truth, shift=2500)
    styled = [(a, b, f"<i>{t}</i>" if k % 5 == 0 else t) for k, (a, b, t) in enumerate(bad)]
    subs = out / "before.in.srt"
    write_srt(subs, styled)
    al, srt = out / "before.align.json", out / "before.srt"
    t0 = time.perf_counter()
    c1, _, _, e1 = run([sys.executable, "-m", "clipper", "align", str(TTS / "seed_tts_10min.mp4"), str(subs), "-o", str(al), "--force", "-q"], cwd=checkout)
    c2, _, _, e2 = run([sys.executable, "-m", "clipper", "subtitles", str(al), "-o", str(srt), "--no-merge", "--force", "-q"], cwd=checkout)
    wall = round(time.perf_counter() - t0, 2)
    res: dict[str, Any] = {"what": "clipper align + subtitles --no-merge (before sync existed)", "checkout": str(checkout), "wall_s": wall}
    if c1 or c2:
        res["failed"] = (e1 + e2).strip()[-300:]
        return res
    segs = json.loads(al.read_text(encoding="utf-8"))["segments"]
    e = sorted(abs(s["start"] - g[0]) for s, g in zip(segs, good, strict=False) if s.get("start") is not None)
    res.update({"median_ms": statistics.median(e), "p90_ms": e[int(0.9 * (len(e) - 1))], "max_ms": e[-1],
                "cues_in": len(bad), "cues_out": len(srt_starts(srt)),
                "italics_in": subs.read_text(encoding="utf-8").count("<i>"), "italics_out": srt.read_text(encoding="utf-8").count("<i>")})  # fmt: skip
    return res


if __name__ == "__main__":
    main()
