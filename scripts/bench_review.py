#!/usr/bin/env python
"""How fast the review page is usable on a long alignment, by the browser's own clock; JSON out.

The 8-hour case is the LongCut seed (../shared/seeds, 13,325 lines, 62k words) aligned by the
reference engine to ``../shared/bench/seed.youtube.vtt``, served with the 8-hour espeak audio
(``bench/tts/seed_tts.opus``) as its media; the baseline, in the same run, is the 32-second
sample. Each is loaded ``--repeat`` times in a fresh headless Chromium tab:

- ``interactive_ms``: from the navigation's start to the page's ``clipper-interactive`` mark
  (performance.now(), set when the lines are drawn and the keys and clicks work);
- ``click_to_seek_ms``: a click on a line until the player has sought there;
- scrolling: the line list flung through 20,000 px over 240 animation frames, then dragged
  to 12 random places; ``frame_ms`` p50/p95/max of the frame intervals, ``rows_in_dom``
  the most lines the page kept in the document at once (the list is virtualised).

    python scripts/bench_review.py [--repeat 5] [--alignment X.align.json --media M]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "tests"))

SCROLL = """async () => {
  const rows = document.querySelector('#rows');
  const gaps = []; let maxRows = 0, last = performance.now();
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  for (let k = 0; k < 240; k++) {
    rows.scrollTop += 20000 / 240;
    await frame();
    const now = performance.now(); gaps.push(now - last); last = now;
    maxRows = Math.max(maxRows, document.querySelectorAll('#rows .row').length);
  }
  const H = rows.scrollHeight;
  for (let k = 0; k < 12; k++) {
    rows.scrollTop = ((k * 7919) % 12) / 12 * H;
    await frame(); await frame();
    const now = performance.now(); gaps.push((now - last) / 2); last = now;
    maxRows = Math.max(maxRows, document.querySelectorAll('#rows .row').length);
  }
  return { gaps, maxRows, height: H };
}"""


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(q * len(xs)))], 1)


def measure(browser, align: Path, media: Path, repeat: int) -> dict:  # type: ignore[no-untyped-def]
    from clipper.review import ReviewServer, Session

    t0 = time.perf_counter()
    session = Session(align, media)
    out: dict = {"alignment": str(align), "media": str(media), "lines": len(session.al.segments),
                 "words": sum(len(s.words) for s in session.al.segments), "session_load_s": round(time.perf_counter() - t0, 2)}  # fmt: skip
    loads, clicks, gaps, rows = [], [], [], 0
    with ReviewServer(session) as srv:
        for _ in range(repeat):
            ctx = browser.new_context(viewport={"width": 1400, "height": 900})
            pg = ctx.new_page()
            pg.goto(srv.url)
            pg.wait_for_selector("body[data-ready='1']", timeout=60_000)
            loads.append(pg.evaluate("performance.getEntriesByName('clipper-interactive')[0].startTime"))
            pg.wait_for_function("document.querySelector('#player').readyState >= 1", timeout=60_000)
            target = len(session.al.segments) // 2
            pg.evaluate(f"document.querySelector('#rows').scrollTop = {target} * 46")
            pg.wait_for_selector(f".row[data-i='{target}']")
            clicks.append(pg.evaluate(f"""async () => {{
                const p = document.querySelector('#player'); const t = performance.now();
                const done = new Promise((r) => p.addEventListener('seeked', r, {{ once: true }}));
                document.querySelector(".row[data-i='{target}']").click();
                await done; return performance.now() - t; }}"""))
            res = pg.evaluate(SCROLL)
            gaps += res["gaps"]
            rows = max(rows, res["maxRows"])
            body = pg.evaluate("performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/alignment')).map((e) => [e.duration, e.encodedBodySize])[0]")
            ctx.close()
    out.update({
        "interactive_ms": {"median": round(statistics.median(loads), 1), "max": round(max(loads), 1), "runs": [round(x, 1) for x in loads]},
        "alignment_fetch_ms": round(body[0], 1) if body else None,
        "alignment_bytes": body[1] if body else None,
        "click_to_seek_ms": {"median": round(statistics.median(clicks), 1), "max": round(max(clicks), 1)},
        "frame_ms": {"p50": _pct(gaps, 0.5), "p95": _pct(gaps, 0.95), "max": round(max(gaps), 1),
                     "over_50ms": sum(1 for g in gaps if g > 50), "frames": len(gaps)},  # fmt: skip
        "rows_in_dom": rows,
    })
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--alignment", type=Path, help="an alignment to measure instead of the seed's")
    ap.add_argument("--media", type=Path, help="its media (default: the 8-hour espeak audio)")
    ap.add_argument("--chromium", default=os.environ.get("CLIPPER_CHROMIUM") or shutil.which("chromium") or "chromium")
    args = ap.parse_args()

    from test_review_browser import CHROMIUM_ARGS

    import clipper

    work = Path(tempfile.mkdtemp(prefix="clipper-bench-review-"))
    media = args.media or SHARED / "bench" / "tts" / "seed_tts.opus"
    if args.alignment:
        long_al = work / args.alignment.name
        shutil.copy(args.alignment, long_al)
    else:
        seed = next((SHARED / "seeds").glob("*.txt"))
        al = clipper.align_files(seed, reference_path=SHARED / "bench" / "seed.youtube.vtt")
        long_al = work / "seed.align.json"
        clipper.save_alignment(al, long_al)
    base = clipper.align_files(ROOT / "samples" / "interview.txt", ROOT / "samples" / "interview.mp4", engine="uniform")
    base_al = work / "interview.align.json"
    clipper.save_alignment(base, base_al)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        baseline = measure(browser, base_al, ROOT / "samples" / "interview.mp4", args.repeat)
        long = measure(browser, long_al, media, args.repeat)
        version = browser.version
        browser.close()
    shutil.rmtree(work, ignore_errors=True)
    ratio = {
        "interactive": round(long["interactive_ms"]["median"] / max(baseline["interactive_ms"]["median"], 1e-9), 2),
        "frame_p95": round(long["frame_ms"]["p95"] / max(baseline["frame_ms"]["p95"], 1e-9), 2),
        "click_to_seek": round(long["click_to_seek_ms"]["median"] / max(baseline["click_to_seek_ms"]["median"], 1e-9), 2),
    }
    print(json.dumps({"chromium": version, "long": long, "baseline": baseline, "ratio_long_to_baseline": ratio}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
