"""Benchmark clip cutting against bare ffmpeg on the same span; prints JSON.

    python scripts/bench_cut.py [--media /tmp/clipper_1h.mp4] [--start 1800] [--length 30] [--repeat 3]

The 1-hour test video is made once when missing (testsrc 640x360 25 fps, keyframe every
2 s, plus ../shared/bench/tts/seed_tts_1h.opus as AAC) in /tmp, never in the repo.
An alignment is made from the 1-hour truth words (as an engine would give), so the
clip step includes planning and per-clip subtitles.

Measured, each run alternating with its baseline (the machine is shared: ratios, medians):
- fast: keyframe lookup + plan + stream-copy cut + subtitles + manifest, vs a bare
  ``ffmpeg -ss S -i X -t D -c copy`` of the same span (and the absolute time: goal < 0.5 s);
- accurate: plan + re-encoded cut + subtitles + manifest, vs a bare
  ``ffmpeg -ss S -i X -t D -c:v libx264 -preset veryfast -crf 18 -c:a aac`` (goal <= 1.2x).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from clipper.clips.cut import CutOptions, fps_fraction, make_clips  # noqa: E402
from clipper.clips.plan import ClipRequest, PlanOptions, plan, stream_copy_packet  # noqa: E402
from clipper.media import AUDIO_CODEC, VIDEO_CODEC, ffmpeg_binary, probe  # noqa: E402
from clipper.workflow import clip_keyframes  # noqa: E402

SHARED = ROOT.parent / "shared" / "bench" / "tts"


def make_media(path: Path) -> None:
    subprocess.run(
        [
            ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc=s=640x360:r=25",
            "-i", str(SHARED / "seed_tts_1h.opus"),
            "-map", "0:v", "-map", "1:a", "-shortest",
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", "-pix_fmt", "yuv420p",
            "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
            "-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart", str(path),
        ],
        check=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--media", default="/tmp/clipper_1h.mp4", help="1-hour test video (made when missing)")
    ap.add_argument("--start", type=float, default=1800.0, help="clip start, seconds")
    ap.add_argument("--length", type=float, default=30.0, help="clip length, seconds")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each")
    a = ap.parse_args()
    media = Path(a.media)
    if not media.exists():
        make_media(media)
    from clips_truth import alignment_from_truth

    info = probe(media)
    al = alignment_from_truth(SHARED / "seed_tts_1h.truth.json", media=info)
    s, e = int(a.start * 1000), int((a.start + a.length) * 1000)
    req = [ClipRequest("range", "bench", s, e)]
    tmp = Path(tempfile.mkdtemp(prefix="clipper-bench-"))
    ff = ffmpeg_binary()
    res: dict[str, list[float]] = {k: [] for k in ("fast", "fast_bare", "accurate", "accurate_bare")}
    spans: dict[str, tuple[int, int]] = {}
    try:
        for r in range(a.repeat):
            for mode in ("fast", "accurate"):
                out = tmp / f"{mode}{r}"
                t0 = time.perf_counter()
                keys = clip_keyframes(info) if mode == "fast" else None
                clips = plan(req, al, info.duration, PlanOptions(mode=mode), fps=fps_fraction(info), keyframes=keys,
                             audio_packet=stream_copy_packet(info.sample_rate))  # fmt: skip
                result = make_clips(al, info, clips, out, CutOptions(mode=mode))
                res[mode].append(time.perf_counter() - t0)
                c = result.manifest.clips[0]
                spans[mode] = (c.source_start, c.source_end)
                a0, a1 = c.source_start, c.source_end
                bare = [ff, "-nostdin", "-loglevel", "error", "-y", "-ss", f"{a0 / 1000:.3f}", "-i", str(media), "-t", f"{(a1 - a0) / 1000:.3f}"]
                if mode == "fast":
                    bare += ["-c", "copy", str(tmp / f"bare_fast{r}.mp4")]
                else:
                    bare += [*VIDEO_CODEC, *AUDIO_CODEC, str(tmp / f"bare_acc{r}.mp4")]
                t0 = time.perf_counter()
                subprocess.run(bare, check=True)
                res[f"{mode}_bare"].append(time.perf_counter() - t0)
        med = {k: statistics.median(v) for k, v in res.items()}
        print(
            json.dumps(
                {
                    "media": str(media),
                    "media_duration_s": info.duration / 1000,
                    "clip_s": a.length,
                    "repeat": a.repeat,
                    "spans_ms": spans,
                    "fast_s": round(med["fast"], 3),
                    "fast_bare_copy_s": round(med["fast_bare"], 3),
                    "fast_goal_s": 0.5,
                    "fast_ok": med["fast"] < 0.5,
                    "accurate_s": round(med["accurate"], 3),
                    "accurate_bare_reencode_s": round(med["accurate_bare"], 3),
                    "accurate_ratio": round(med["accurate"] / med["accurate_bare"], 3),
                    "accurate_goal_ratio": 1.2,
                    "accurate_ok": med["accurate"] / med["accurate_bare"] <= 1.2,
                    "runs": {k: [round(x, 3) for x in v] for k, v in res.items()},
                },
                indent=2,
            )
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
