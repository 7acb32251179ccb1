"""Acceptance figures for clips, on the 10-minute TTS case and the seed; prints JSON.

    python scripts/accept_clips.py [--clips 8] [--mode accurate|fast|both]

- 10-minute case (../shared/bench/tts/seed_tts_10min.mp4): an alignment is made from its
  truth words; ``--clips`` quotes (segments picked with a fixed seed, 6-20 words,
  typed with one word dropped) are found with ``clipper.query.search.find`` and cut. For each
  clip: |probed duration - manifest duration|, the first video and audio frame times,
  the first subtitle cue start, and the round trip: the clip's audio aligned (speech
  engine) against the words it holds puts the quote's first word at the manifest's
  ``handle_before`` (error in ms). In accurate mode the clip holds only the quote; a
  fast clip starts at a keyframe and may hold words before it.
- Seed: its 12 takeaway hints resolved against an alignment made from
  ../shared/bench/seed.truth.json: how many resolve, how many to an impossible reading,
  and the evidence of each.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from clipper.clips.cut import CutOptions, fps_fraction, make_clips  # noqa: E402
from clipper.clips.plan import PlanOptions, build_requests, clip_alignment, plan, stream_copy_packet  # noqa: E402
from clipper.media import probe, stream_starts  # noqa: E402
from clipper.model import Span  # noqa: E402
from clipper.query.resolve import resolve_takeaways  # noqa: E402
from clipper.workflow import clip_keyframes  # noqa: E402

SHARED = ROOT.parent / "shared"


def tts_case(n: int, mode: str, engine: str) -> dict[str, object]:
    from clips_truth import alignment_from_truth

    from clipper.pipeline import align_files

    media = SHARED / "bench" / "tts" / "seed_tts_10min.mp4"
    info = probe(media)
    al = alignment_from_truth(SHARED / "bench" / "tts" / "seed_tts_10min.truth.json", media=info)
    rng = random.Random(7)
    cands = [s for s in al.segments if 6 <= len(s.words) <= 20]
    picked = sorted(rng.sample(cands, n), key=lambda s: s.id)
    quotes = []
    for s in picked:
        toks = [w.text for w in s.words]
        del toks[rng.randrange(1, len(toks) - 1)]  # quoted from memory: a word left out
        quotes.append(" ".join(toks))
    reqs = build_requests(al, quotes=quotes, min_score=70)
    keys = clip_keyframes(info) if mode == "fast" else None  # looked up per clip, as clipper cut does
    clips = plan(reqs, al, info.duration, PlanOptions(mode=mode), fps=fps_fraction(info), keyframes=keys,
                 audio_packet=stream_copy_packet(info.sample_rate))  # fmt: skip
    rows = []
    with tempfile.TemporaryDirectory(prefix="clipper-accept-") as tmp:
        out = Path(tmp) / "clips"
        res = make_clips(al, info, clips, out, CutOptions(mode=mode))
        for c in res.manifest.clips:
            f = out / c.file
            got = probe(f)
            starts = stream_starts(f)
            srt = (out / c.srt).read_text() if c.srt else ""
            m = re.search(r"(\d\d):(\d\d):(\d\d),(\d\d\d) -->", srt)
            first_cue = (int(m[1]) * 3600000 + int(m[2]) * 60000 + int(m[3]) * 1000 + int(m[4])) if m else None
            # the clip's own words (a fast clip starts at a keyframe, so it may hold words
            # before the quote): align them all, then look at the quote's first word
            sub = clip_alignment(al, Span(c.source_start, c.source_end))
            words = [w for seg in sub.segments for w in seg.words]
            k = next(i for i, w in enumerate(words) if w.start is not None and w.start >= c.handle_before - 1)
            txt = Path(tmp) / f"{c.name}.txt"
            txt.write_text(" ".join(w.text for w in words) + "\n", encoding="utf-8")
            al2 = align_files(txt, f, engine=engine)
            aligned = [w for seg in al2.segments for w in seg.words]
            first = aligned[k] if len(aligned) == len(words) else None
            rows.append(
                {
                    "clip": c.file,
                    "manifest_ms": c.duration,
                    "probed_ms": got.duration,
                    "duration_err_ms": got.duration - c.duration,
                    "video_start_ms": starts.get("video"),
                    "audio_start_ms": starts.get("audio"),
                    "first_cue_ms": first_cue,
                    "handle_before_ms": c.handle_before,
                    "roundtrip_first_word_ms": first.start if first else None,
                    "roundtrip_err_ms": (first.start - c.handle_before) if first and first.start is not None else None,
                }
            )
    errs = [abs(r["roundtrip_err_ms"]) for r in rows if r["roundtrip_err_ms"] is not None]  # type: ignore[arg-type]
    frame = 1000 / float(fps_fraction(info) or 25)
    return {
        "media": str(media),
        "mode": mode,
        "roundtrip_engine": engine,
        "clips": len(rows),
        "max_duration_err_ms": max(abs(r["duration_err_ms"]) for r in rows),  # type: ignore[arg-type]
        "all_within_one_frame": all(abs(r["duration_err_ms"]) <= frame for r in rows),  # type: ignore[arg-type]
        "all_av_start_together": all(r["video_start_ms"] == r["audio_start_ms"] for r in rows),
        "all_subtitles_start_at_or_after_0": all(r["first_cue_ms"] is not None and r["first_cue_ms"] >= 0 for r in rows),  # type: ignore[operator]
        "roundtrip_abs_err_ms": {"median": statistics.median(errs), "max": max(errs)} if errs else None,
        "roundtrip_within_100ms": sum(e <= 100 for e in errs),
        "rows": rows,
    }


def seed_case() -> dict[str, object]:
    from clips_truth import alignment_from_truth, seed_takeaways

    tk, tp = seed_takeaways(SHARED / "seeds" / "000_4a3f5fdea2417d2d.txt")
    al = alignment_from_truth(SHARED / "bench" / "seed.truth.json", takeaways=tk, topics=tp)
    res = resolve_takeaways(al)
    hints = [h for r in res for h in r.hints]
    dur = al.duration or 0
    return {
        "duration_ms": dur,
        "hints": len(hints),
        "resolved": sum(h.chosen is not None for h in hints),
        "to_impossible_reading": sum(h.chosen is not None and h.chosen.reading.ms >= dur for h in hints),
        "with_text_evidence": sum(h.chosen is not None and h.chosen.passage is not None for h in hints),
        "confidence": {c: sum(h.confidence == c for h in hints) for c in ("only", "clear", "weak", "none")},
        "hints_detail": [h.to_dict() for h in hints],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--mode", default="both", choices=["accurate", "fast", "both"])
    ap.add_argument("--engine", default="speech", help="round-trip engine (speech, activity)")
    ap.add_argument("--brief", action="store_true", help="leave out per-clip rows and hint details")
    a = ap.parse_args()
    modes = ["accurate", "fast"] if a.mode == "both" else [a.mode]
    out: dict[str, object] = {"tts_10min": [tts_case(a.clips, m, a.engine) for m in modes], "seed": seed_case()}
    if a.brief:
        for case in out["tts_10min"]:  # type: ignore[attr-defined]
            case.pop("rows")
        out["seed"].pop("hints_detail")  # type: ignore[attr-defined]
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
