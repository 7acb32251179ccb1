"""Lay out subtitles for the bench truth (../shared/bench/seed.truth.json) and print JSON stats.

Builds an Alignment from the truth's segments and words (true times), writes SRT and VTT
to a temporary folder (or --out DIR), and times layout against a baseline (building the
alignment) in the same run. Usage: python scripts/subtitles_seed.py [--out DIR] [TRUTH]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from clipper import subtitles
from clipper.model import Alignment, Segment, Transcript, Word
from clipper.text import NOTE_RE, has_letters
from clipper.timecode import ms_from_seconds

ROOT = Path(__file__).resolve().parents[1]


def build(truth: dict) -> Alignment:
    words = truth["words"]
    k = 0
    segs = []
    for i, s in enumerate(truth["segments"]):
        # the truth times every whitespace token outside notes ("—" too); clipper's
        # spoken words are those with letters
        ws = []
        for t in NOTE_RE.sub(" ", s["text"]).split():
            w = words[k]
            k += 1
            if has_letters(t):
                ws.append(Word(t, ms_from_seconds(w["start"]), ms_from_seconds(w["end"])))
        segs.append(Segment(i, s["text"], tuple(ws), ms_from_seconds(s["start"]), ms_from_seconds(s["end"])))
    assert k == len(words), (k, len(words))
    return Alignment(Transcript(tuple(segs)), engine="truth")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("truth", nargs="?", default=str(ROOT.parent / "shared" / "bench" / "seed.truth.json"))
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    t0 = time.perf_counter()
    truth = json.loads(Path(a.truth).read_text())
    al = build(truth)
    t1 = time.perf_counter()
    cues, stats = subtitles.layout_with_stats(al)
    t2 = time.perf_counter()
    out = Path(a.out or tempfile.mkdtemp())
    out.mkdir(parents=True, exist_ok=True)
    (out / "seed.srt").write_text(subtitles.compose_srt(cues), encoding="utf-8")
    (out / "seed.vtt").write_text(subtitles.compose_vtt(cues), encoding="utf-8")
    t3 = time.perf_counter()
    durs = sorted(c.duration for c in cues)
    cps = sorted(c.cps for c in cues)
    lines = [len(c.lines) for c in cues]
    print(json.dumps({
        "stats": stats.to_dict(),
        "cue_ms": {"min": durs[0], "median": durs[len(durs) // 2], "max": durs[-1]},
        "cps": {"median": round(cps[len(cps) // 2], 2), "p90": round(cps[int(len(cps) * 0.9)], 2)},
        "two_line_cues": sum(1 for n in lines if n == 2),
        "seconds": {"load_and_build": round(t1 - t0, 2), "layout": round(t2 - t1, 2), "compose": round(t3 - t2, 2)},
        "layout_vs_build": round((t2 - t1) / (t1 - t0), 2),
        "out": str(out),
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
