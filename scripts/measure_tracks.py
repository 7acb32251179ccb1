"""Audio tracks, vertical and burnt-in clips, supercut order, encoders: the figures of
issue 15 for one checkout against another, measured in one run; prints JSON.

    python scripts/measure_tracks.py [--baseline /path/to/older/checkout]

Each checkout runs as ``python -m clipper`` from its own folder (so its ``clipper``
package is the one imported), on files made here from ``samples/interview.mp4``:

- ``two.mp4``: the sample's picture with two audio tracks, a silent stereo one first (the
  default, tagged eng) and the sample's speech second (tagged fra);
- ``black.mp4``: a black picture with the sample's speech, so burnt-in text is the only
  light in a frame and its lines can be counted as bands of bright rows;
- ``black_tts.mp4`` (when ../shared is there): a black picture with the first 3 minutes of
  the 10-minute TTS case, aligned from its truth words (longer lines than the sample's).

Figures: ``align`` on two.mp4 as it is and with ``--audio-track 1`` (placed, confident,
mean confidence, warnings); the audio streams of a clip of two.mp4 (accurate and fast);
the picture size of a ``--vertical`` clip; the lines of burnt-in subtitles on screen
(most bright bands in a frame at any cue's middle) and the longest subtitle line, for
vertical and plain 16:9 clips; which clip a ``--concat`` supercut starts with when the
later range is given first; and whether ``--video-codec libx265`` is honoured.
A command the checkout does not know is reported with its exit code.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from clipper.media import ffmpeg_binary  # noqa: E402

FF = ffmpeg_binary()
SAMPLE = ROOT / "samples" / "interview.mp4"
TRANSCRIPT = ROOT / "samples" / "interview.txt"


def _ff(*args: str) -> None:
    subprocess.run([FF, "-nostdin", "-loglevel", "error", "-y", *args], check=True)


SHARED_TTS = ROOT.parent / "shared" / "bench" / "tts"


def make_inputs(d: Path) -> dict[str, Path]:
    two, black = d / "two.mp4", d / "black.mp4"
    made: dict[str, Path] = {}
    if (SHARED_TTS / "seed_tts_10min.mp4").exists():
        sys.path.insert(0, str(ROOT / "tests"))
        from clips_truth import alignment_from_truth

        from clipper.alignfile import save

        made["black_tts"] = d / "black_tts.mp4"
        _ff("-f", "lavfi", "-i", "color=c=black:s=640x360:r=25", "-i", str(SHARED_TTS / "seed_tts_10min.mp4"), "-map", "0:v", "-map", "1:a",
            "-t", "180", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "copy", str(made["black_tts"]))  # fmt: skip
        # no media facts: a baseline checkout may not read fields added since
        made["tts_align"] = d / "tts.align.json"
        from dataclasses import replace

        save(replace(alignment_from_truth(SHARED_TTS / "seed_tts_10min.truth.json"), media=None), made["tts_align"])
    _ff("-i", str(SAMPLE), "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-map", "0:v", "-map", "1:a", "-map", "0:a",
        "-c:v", "copy", "-c:a", "aac", "-shortest", "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fra",
        "-disposition:a:0", "default", "-disposition:a:1", "0", str(two))  # fmt: skip
    _ff("-f", "lavfi", "-i", "color=c=black:s=640x360:r=25", "-i", str(SAMPLE), "-map", "0:v", "-map", "1:a",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "copy", "-shortest", str(black))  # fmt: skip
    return {"two": two, "black": black, **made}


def clipper(checkout: Path, *args: str) -> tuple[int, str, str]:
    p = subprocess.run([sys.executable, "-m", "clipper", *args], cwd=checkout, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def streams(path: Path) -> list[dict[str, str | None]]:
    err = subprocess.run([FF, "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    out = []
    for m in re.finditer(r"Stream #0:\d+(?:\[[^\]]*\])?(?:\(([^)]*)\))?: (Video|Audio|Subtitle|Data): ([^\n]*)", err):
        out.append({"kind": m.group(2), "language": m.group(1), "desc": m.group(3)})
    return out


def size(path: Path) -> list[int] | None:
    for s in streams(path):
        if s["kind"] == "Video":
            m = re.search(r"\b(\d{2,5})x(\d{2,5})\b", s["desc"] or "")
            return [int(m.group(1)), int(m.group(2))] if m else None
    return None


def frame_gray(path: Path, at: float, w: int, h: int) -> np.ndarray:
    raw = subprocess.run([FF, "-nostdin", "-loglevel", "error", "-ss", f"{at:.3f}", "-i", str(path), "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout  # fmt: skip
    return np.frombuffer(raw, dtype=np.uint8)[: w * h].reshape(h, w)


def bands(img: np.ndarray) -> int:
    """Runs of rows holding bright (text fill) pixels: the lines of text on screen."""
    rows = (img > 128).sum(axis=1) > 0
    return int(np.count_nonzero(rows[1:] & ~rows[:-1]) + int(rows[0]))


def cues(srt: Path) -> list[tuple[float, float, list[str]]]:
    out = []
    for block in re.split(r"\n\s*\n", srt.read_text(encoding="utf-8").strip()):
        lines = block.splitlines()
        m = re.match(r"(\d+):(\d+):(\d+),(\d+) --> (\d+):(\d+):(\d+),(\d+)", lines[1]) if len(lines) > 1 else None
        if not m:
            continue
        g = [int(x) for x in m.groups()]
        a = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
        b = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
        out.append((a, b, lines[2:]))
    return out


def burnt(checkout: Path, media: Path, align: Path, d: Path, vertical: bool, span: str = "0:01-0:08") -> dict[str, object]:
    out = d / f"{media.stem}_{'vert' if vertical else 'flat'}"
    rc, so, se = clipper(checkout, "cut", str(media), str(align), "-R", span, "--burn", *(["--vertical"] if vertical else []),
                         "-o", str(out), "-q", "--json")  # fmt: skip
    if rc != 0:
        return {"rc": rc, "error": se.strip().splitlines()[-1:]}
    clip = json.loads(so)["clips"][0]
    dims = size(out / clip["file"])
    assert dims is not None
    per_cue = []
    for a, b, lines in cues(out / clip["srt"]):
        per_cue.append({"text_lines": len(lines), "longest": max(len(s) for s in lines), "on_screen": bands(frame_gray(out / clip["file"], (a + b) / 2, *dims))})
    return {
        "size": dims,
        "cues": len(per_cue),
        "most_lines_on_screen": max(c["on_screen"] for c in per_cue),
        "most_lines_in_file": max(c["text_lines"] for c in per_cue),
        "longest_line_chars": max(c["longest"] for c in per_cue),
        "cues_wrapped_by_renderer": sum(1 for c in per_cue if c["on_screen"] > c["text_lines"]),
    }


def first_in_supercut(folder: Path, clips: list[dict[str, object]]) -> str | None:
    """The clip whose first half second of audio the supercut starts with."""

    def pcm(p: Path) -> np.ndarray:
        raw = subprocess.run([FF, "-nostdin", "-loglevel", "error", "-i", str(p), "-map", "0:a:0", "-t", "0.5", "-ac", "1", "-f", "s16le", "-"],
                             capture_output=True, check=True).stdout  # fmt: skip
        return np.frombuffer(raw, dtype=np.int16).astype(np.float64)

    sup = pcm(folder / "supercut.mp4")
    best, err = None, float("inf")
    for c in clips:
        x = pcm(folder / str(c["file"]))
        n = min(len(x), len(sup))
        e = float(np.mean(np.abs(x[:n] - sup[:n]))) if n else float("inf")
        if e < err:
            best, err = str(c["label"]), e
    return best


def measure(checkout: Path, inputs: dict[str, Path], d: Path) -> dict[str, object]:
    d.mkdir(parents=True, exist_ok=True)
    res: dict[str, object] = {"checkout": str(checkout)}
    aligned: dict[str, Path] = {}
    for key, extra in (("default_track", []), ("audio_track_1", ["--audio-track", "1"])):
        path = d / f"{key}.align.json"
        rc, so, se = clipper(checkout, "align", str(inputs["two"]), str(TRANSCRIPT), "-o", str(path), "--json", "-q", *extra)
        if rc != 0:
            res[f"align_{key}"] = {"rc": rc, "error": se.strip().splitlines()[-1:]}
            continue
        s = json.loads(so)
        aligned[key] = path
        res[f"align_{key}"] = {k: s[k] for k in ("engine", "placed", "confident", "mean_confidence", "warnings")}
    align = aligned.get("audio_track_1", aligned.get("default_track"))
    assert align is not None
    for mode in ("accurate", "fast"):
        out = d / f"cut_{mode}"
        rc, so, se = clipper(checkout, "cut", str(inputs["two"]), str(align), "-R", "0:01-0:05", "--mode", mode, "-o", str(out), "-q", "--json")
        if rc != 0:
            res[f"cut_{mode}"] = {"rc": rc, "error": se.strip().splitlines()[-1:]}
            continue
        clip = out / json.loads(so)["clips"][0]["file"]
        audio = [s for s in streams(clip) if s["kind"] == "Audio"]
        res[f"cut_{mode}"] = {"audio_streams": len(audio), "languages": [s["language"] for s in audio]}
    plain = d / "black.align.json"  # the burnt clips are cut from black.mp4, aligned on its own
    rc, so, se = clipper(checkout, "align", str(inputs["black"]), str(TRANSCRIPT), "-o", str(plain), "-q")
    res["burnt_vertical"] = burnt(checkout, inputs["black"], plain, d, vertical=True)
    res["burnt_16x9"] = burnt(checkout, inputs["black"], plain, d, vertical=False)
    if "black_tts" in inputs:
        res["burnt_vertical_tts"] = burnt(checkout, inputs["black_tts"], inputs["tts_align"], d, vertical=True, span="1:00-2:30")
        res["burnt_16x9_tts"] = burnt(checkout, inputs["black_tts"], inputs["tts_align"], d, vertical=False, span="1:00-2:30")
    out = d / "supercut"
    rc, so, se = clipper(checkout, "cut", str(inputs["two"]), str(align), "-R", "0:20-0:24", "-R", "0:01-0:05", "--concat", "-o", str(out), "-q", "--json")
    res["supercut"] = (
        {"given": ["range 0:20-0:24", "range 0:01-0:05"], "starts_with": first_in_supercut(out, json.loads(so)["clips"])}
        if rc == 0 else {"rc": rc, "error": se.strip().splitlines()[-1:]}
    )  # fmt: skip
    out = d / "x265"
    rc, so, se = clipper(checkout, "cut", str(inputs["two"]), str(align), "-R", "0:01-0:03", "--video-codec", "libx265", "--crf", "26", "-o", str(out), "-q", "--json")
    if rc == 0:
        video = [s for s in streams(out / json.loads(so)["clips"][0]["file"]) if s["kind"] == "Video"]
        res["video_codec_libx265"] = {"codec": (video[0]["desc"] or "").split()[0] if video else None}
    else:
        res["video_codec_libx265"] = {"rc": rc, "error": se.strip().splitlines()[-1:]}
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", type=Path, help="an older checkout to measure the same way (e.g. a git worktree of an older commit)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="clipper-tracks-") as tmp:
        d = Path(tmp)
        inputs = make_inputs(d)
        report: dict[str, object] = {"inputs": {k: str(v.name) for k, v in inputs.items()}}
        if args.baseline:
            report["baseline"] = measure(args.baseline.resolve(), inputs, d / "baseline")
        report["this"] = measure(ROOT, inputs, d / "this")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
