"""Cut the small test fixtures of the reference engine out of ../shared/bench.

Writes ``tests/data/reference/``:

- ``seed_6min.txt``: the first seed caption lines (one a line, notes kept) up to ~6 min;
- ``seed_6min.youtube.vtt`` / ``seed_6min.cues.srt``: the benchmark reference tracks' cues
  over the same time, copied verbatim (cut at a cue boundary);
- ``seed_6min.truth.json``: the truth segments of those lines (the ``../shared/data`` format,
  words left out to stay small);
- ``seed_3h.youtube.vtt``: six minutes of the same reference from 3 h on (another passage of
  the same talk: "a reference for a different recording" to the 6-minute transcript).

Run from the project root: ``python scripts/make_reference_fixtures.py [--shared ../shared]``.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "reference"
CUE = re.compile(r"(\d\d:\d\d:\d\d[.,]\d\d\d) --> ")


def _ms(t: str) -> int:
    h, m, s = t.replace(",", ".").split(":")
    return int(h) * 3_600_000 + int(m) * 60_000 + round(float(s) * 1000)


def cut_cues(text: str, lo: int, hi: int, header_blocks: int) -> str:
    """Blocks (separated by blank lines) whose cue starts in [lo, hi), after the header."""
    blocks = text.replace("\r\n", "\n").split("\n\n")
    head, body = blocks[:header_blocks], blocks[header_blocks:]
    keep = []
    for b in body:
        m = CUE.search(b)
        if m and lo <= _ms(m.group(1)) < hi:
            keep.append(b.strip("\n") if not b.startswith("\n") else b.lstrip("\n"))
    return "\n\n".join(head + keep) + "\n"


def renumber_srt(text: str) -> str:
    out = []
    for i, b in enumerate(text.strip().split("\n\n"), 1):
        lines = b.split("\n")
        out.append("\n".join([str(i), *lines[1:]]))
    return "\n\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"), help="the shared data folder")
    ap.add_argument("--minutes", type=float, default=6.0, help="length of the excerpt")
    args = ap.parse_args()
    bench = Path(args.shared) / "bench"
    truth = json.loads((bench / "seed.truth.json").read_text(encoding="utf-8"))
    segs = truth["segments"]
    limit = args.minutes * 60
    n = 0
    while n < len(segs) and segs[n]["end"] < limit:
        n += 1
    cut = round(segs[n]["start"] * 1000) - 50  # in the pause before the first line left out
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "seed_6min.txt").write_text("\n".join(s["text"] for s in segs[:n]) + "\n", encoding="utf-8")
    sub = {
        "source": "first lines of ../shared/bench/seed.truth.json",
        "license": truth.get("license", ""),
        "audio": None,
        "duration": cut / 1000,
        "words": [],
        "segments": segs[:n],
        "notes": "segments only (words left out to keep the fixture small)",
    }
    (OUT / "seed_6min.truth.json").write_text(json.dumps(sub, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    vtt = (bench / "seed.youtube.vtt").read_text(encoding="utf-8")
    # the header ("WEBVTT\nKind...\nLanguage...") is the first block
    (OUT / "seed_6min.youtube.vtt").write_text(cut_cues(vtt, 0, cut, 1), encoding="utf-8")
    lo3 = 3 * 3_600_000
    (OUT / "seed_3h.youtube.vtt").write_text(cut_cues(vtt, lo3, lo3 + cut, 1), encoding="utf-8")
    srt = (bench / "seed.cues.srt").read_text(encoding="utf-8")
    (OUT / "seed_6min.cues.srt").write_text(renumber_srt(cut_cues("\n\n" + srt, 0, cut, 0)), encoding="utf-8")
    for p in sorted(OUT.iterdir()):
        print(f"{p.relative_to(ROOT)}: {p.stat().st_size} bytes")
    print(f"{n} segments, cut at {cut} ms")


if __name__ == "__main__":
    main()
