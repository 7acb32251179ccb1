"""Build the noisy benchmark: seed_tts_10min mixed with pink noise and a music-like bed.

The mix sits at a given SNR over speech (default 12 dB): noise RMS = RMS of the speech
inside the truth's scored segments minus SNR dB; half the noise power is pink noise
(1/f, shaped by FFT), half a music-like bed (chords of harmonic tones changing every
2.4 s, with a soft 2 Hz pulse). Written as FLAC beside a copy of the truth and the
transcript, in a folder outside the repository (default /tmp/clipper-bench/).

    python scripts/make_noisy.py [--snr 12] [--out /tmp/clipper-bench] [--seed 11]

Prints JSON: the files written and the measured levels.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np

from clipper.media import SAMPLE_RATE, decode_audio, ffmpeg_binary

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "bench" / "tts"


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    """Pink (1/f power) noise shaped in the frequency domain, unit RMS."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
    spec *= 1.0 / np.sqrt(np.maximum(f, 20.0))  # flat below 20 Hz: no DC drift
    out = np.fft.irfft(spec, n)
    out -= out.mean()
    return out / np.sqrt(np.mean(out**2))


def music_bed(n: int, rng: np.random.Generator) -> np.ndarray:
    """Chords of harmonic tones, a new chord every 2.4 s, with a soft 2 Hz pulse; unit RMS."""
    t = np.arange(n) / SAMPLE_RATE
    out = np.zeros(n)
    step = int(2.4 * SAMPLE_RATE)
    roots = [110.0, 123.47, 130.81, 146.83, 164.81, 174.61, 196.0]
    for s in range(0, n, step):
        e = min(n, s + step)
        tt = t[s:e]
        root = roots[rng.integers(len(roots))]
        chord = np.zeros(e - s)
        for ratio in (1.0, 1.26, 1.5, 2.0):
            f = root * ratio
            for h in range(1, 6):
                chord += np.sin(2 * np.pi * f * h * tt + rng.uniform(0, 2 * np.pi)) / h
        fade = np.minimum(1.0, np.minimum(np.arange(e - s), np.arange(e - s)[::-1]) / (0.05 * SAMPLE_RATE))
        out[s:e] = chord * fade
    out *= 0.75 + 0.25 * np.sin(2 * np.pi * 2.0 * t)
    return out / np.sqrt(np.mean(out**2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--snr", type=float, default=12.0, help="speech-to-noise ratio in dB")
    ap.add_argument("--out", default="/tmp/clipper-bench", help="output folder (outside the repo)")
    ap.add_argument("--seed", type=int, default=11, help="random seed")
    ap.add_argument("--src", default=str(SHARED / "seed_tts_10min.mp4"), help="source media")
    a = ap.parse_args()
    src = Path(a.src)
    truth_path = src.with_name(src.stem + ".truth.json")
    trans_path = src.with_name(src.stem + ".transcript.txt")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    x = decode_audio(src).astype(np.float64)
    truth = json.loads(truth_path.read_text())
    mask = np.zeros(x.shape[0], dtype=bool)
    for g in truth["segments"]:
        if g.get("scored", True):
            mask[int(g["start"] * SAMPLE_RATE) : int(g["end"] * SAMPLE_RATE)] = True
    speech_rms = float(np.sqrt(np.mean(x[mask] ** 2)))
    rng = np.random.default_rng(a.seed)
    noise = (pink(x.shape[0], rng) + music_bed(x.shape[0], rng)) / np.sqrt(2.0)
    noise_rms = speech_rms * 10 ** (-a.snr / 20)
    mix = x + noise * noise_rms
    peak = float(np.max(np.abs(mix)))
    scale = min(1.0, 32000.0 / peak)
    pcm = np.clip(np.rint(mix * scale), -32768, 32767).astype(np.int16)
    name = f"seed_tts_10min_noisy{int(a.snr)}"
    dst = out / f"{name}.flac"
    argv = [ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-y", "-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", "-", str(dst)]
    subprocess.run(argv, input=pcm.tobytes(), check=True)
    truth["audio"] = dst.name
    truth["notes"] = (truth.get("notes", "") + f" | mixed with pink noise + music-like bed at {a.snr} dB SNR by scripts/make_noisy.py").strip(" |")
    (out / f"{name}.truth.json").write_text(json.dumps(truth))
    shutil.copyfile(trans_path, out / f"{name}.transcript.txt")
    db = lambda v: round(20 * np.log10(v / 32768.0), 2)  # noqa: E731
    print(json.dumps({"media": str(dst), "truth": str(out / f"{name}.truth.json"), "transcript": str(out / f"{name}.transcript.txt"),
                      "speech_dbfs": db(speech_rms * scale), "noise_dbfs": db(noise_rms * scale), "snr_db": a.snr}, indent=2))


if __name__ == "__main__":
    main()
