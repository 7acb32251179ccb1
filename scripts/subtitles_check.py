"""Check subtitle layout against its own conventions on every data set here; JSON out.

For each truth file (the 6.8 h bench timeline, the espeak 8 h / 1 h / 10 min renders and
every ``../shared/data`` case) an alignment is built from the true word times, laid out
with the default options and checked with :func:`clipper.subtitles.check` (every rule:
short, long, fast, gap, overlap, lines, width, frames, past_end). With ``--baseline DIR``
the same is done in the same run by the clipper checkout in DIR (for example a
``git worktree`` of the previous commit), and both are checked by this checkout's
checker, so the counts compare like with like.

    python scripts/subtitles_check.py [--baseline /path/to/old/checkout] [--fast]
        [--alignment X.align.json]... [--set borrow=500]...
"""

from __future__ import annotations

import argparse
import bisect
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def datasets(fast: bool, alignments: list[str] = ()) -> list[tuple[str, Path]]:  # type: ignore[assignment]
    out = [(f"align/{Path(a).name}", Path(a).resolve()) for a in alignments]
    out += [
        ("tts_10min", SHARED / "bench/tts/seed_tts_10min.truth.json"),
        ("tts_1h", SHARED / "bench/tts/seed_tts_1h.truth.json"),
    ]
    if not fast:
        out += [("tts_8h", SHARED / "bench/tts/seed_tts.truth.json"), ("bench_6.8h", SHARED / "bench/seed.truth.json")]
    out += [(f"data/{p.name}", p / "truth.json") for p in sorted((SHARED / "data").glob("*/")) if (p / "truth.json").exists()]
    return [(n, p) for n, p in out if p.exists()]


def build(truth: dict):  # type: ignore[no-untyped-def]
    """An alignment from a truth file: each segment gets the truth's words inside its span."""
    from clipper.model import Alignment, MediaInfo, Segment, Transcript, Word
    from clipper.text import NOTE_RE, has_letters
    from clipper.timecode import ms_from_seconds as ms

    words = truth["words"]
    mids = [(w["start"] + w["end"]) / 2 for w in words]
    segs = []
    for i, s in enumerate(truth["segments"]):
        # the truth's words inside the segment's span, given the transcript's spelling
        # when they pair one to one with its spoken tokens
        ws = words[bisect.bisect_left(mids, s["start"]) : bisect.bisect_right(mids, s["end"])]
        spoken = [t for t in NOTE_RE.sub(" ", s["text"]).split() if has_letters(t)]
        texts = spoken if len(spoken) == len(ws) else [w["word"] for w in ws]
        timed = tuple(Word(t, ms(w["start"]), ms(w["end"])) for t, w in zip(texts, ws, strict=True))
        segs.append(Segment(i, s["text"], timed, ms(s["start"]), ms(s["end"])))
    media = MediaInfo(path="truth", duration=ms(truth["duration"]), has_audio=True, has_video=False)
    return Alignment(Transcript(tuple(segs)), engine="truth", media=media)


def emit(out: Path, fast: bool, settings: list[str], alignments: list[str]) -> dict[str, float]:
    """Lay out every data set with the clipper on sys.path; write NAME.srt; layout seconds."""
    from clipper import subtitles

    fields = {f.name: f.type for f in dataclasses.fields(subtitles.LayoutOptions)}
    kw = {k: (v == "true" if fields[k] == "bool" else int(v) if fields[k] == "int" else v)
          for k, v in (x.split("=", 1) for x in settings)}
    options = subtitles.LayoutOptions(**kw)
    secs = {}
    for name, path in datasets(fast, alignments):
        if name.startswith("align/"):
            from clipper import alignfile

            al = alignfile.load(path)
        else:
            al = build(json.loads(path.read_text()))
        t0 = time.perf_counter()
        cues = subtitles.layout(al, options)
        secs[name] = time.perf_counter() - t0
        dest = out / (name.replace("/", "_") + ".srt")
        dest.write_text(subtitles.compose_srt(cues), encoding="utf-8")
    return secs


def summarise(srt: Path, media_end: int) -> dict:
    from fractions import Fraction

    from clipper import subtitles

    cues = subtitles.read_cues(srt)
    found = subtitles.check(cues, fps=Fraction(25), media_end=media_end)
    by_rule = {r: sum(1 for v in found if v.rule == r) for r in subtitles.RULES}
    cps = sorted(c.cps for c in cues)
    durs = sorted(c.duration for c in cues)
    return {
        "cues": len(cues),
        "breaking": len({v.cue for v in found}),
        **by_rule,
        "fast_over_20": sum(1 for c in cues if c.cps > 20),
        # a note split across cues leaves one of them with an unmatched bracket
        "split_notes": sum(1 for c in cues if c.text.count("(") != c.text.count(")")
                           or c.text.count("[") != c.text.count("]")),
        "notes_shown": sum(1 for c in cues if "(" in c.text or "[" in c.text),
        "max_cps": round(cps[-1], 1) if cps else 0,
        "min_ms": durs[0] if durs else 0,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", help="another clipper checkout to compare with, in the same run")
    ap.add_argument("--fast", action="store_true", help="skip the 8 h and 6.8 h files")
    ap.add_argument("--set", action="append", default=[], metavar="OPTION=VALUE",
                    help="a LayoutOptions field for this checkout's run (borrow=500, notes=drop)")
    ap.add_argument("--alignment", action="append", default=[], metavar="X.align.json",
                    help="also lay out and check an engine's alignment (its media's duration as the end)")
    ap.add_argument("--emit", help=argparse.SUPPRESS)  # internal: write SRTs with the clipper on sys.path
    a = ap.parse_args()
    if a.emit:
        print(json.dumps(emit(Path(a.emit), a.fast, a.set, a.alignment)))
        return 0
    if not SHARED.exists():
        print(json.dumps({"skipped": f"{SHARED} not found"}))
        return 0
    sides = {"now": ROOT} | ({"baseline": Path(a.baseline).resolve()} if a.baseline else {})
    report: dict = {"datasets": {}, "seconds": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for side, root in sides.items():
            out = Path(tmp) / side
            out.mkdir()
            env = {**os.environ, "PYTHONPATH": str(root)}
            cmd = [sys.executable, __file__, "--emit", str(out)] + (["--fast"] if a.fast else [])
            cmd += [f"--set={x}" for x in a.set] if side == "now" else []
            cmd += [f"--alignment={x}" for x in a.alignment]
            r = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            report["seconds"][side] = {k: round(v, 2) for k, v in json.loads(r.stdout).items()}
        for name, path in datasets(a.fast, a.alignment):
            doc = json.loads(path.read_text())
            end = doc["media"]["duration"] if name.startswith("align/") else round(doc["duration"] * 1000)
            fname = name.replace("/", "_") + ".srt"
            report["datasets"][name] = {side: summarise(Path(tmp) / side / fname, end) for side in sides}
    totals: dict = {}
    for side in sides:
        totals[side] = {}
        for row in report["datasets"].values():
            for k, v in row[side].items():
                if k in ("max_cps", "min_ms"):
                    continue
                totals[side][k] = totals[side].get(k, 0) + v
    report["totals"] = totals
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
