#!/usr/bin/env python
"""Build degraded eval sets for the aligner: a development set and a held-out validation set.

Each case is three files in the output folder (default /tmp/clipper-degraded/ for the dev set,
/tmp/clipper-validation/ for the validation set; outside the repository), so
``clipper eval /tmp/clipper-degraded --engine speech`` runs them all:

- ``NAME.flac`` (``NAME.mp3`` for the MP3 case, ``NAME.wav`` for the telephone ones);
- ``NAME.truth.json`` in the truth format of ../shared/data/README.md: ``source``,
  ``license``, ``audio``, ``duration`` (s, the decoded length), ``words``, ``segments``
  (``text``, ``start``, ``end``, ``scored``) and ``notes`` (what was done, levels measured);
- ``NAME.transcript.txt``: truth segment i's text on line i.

Truth extension ``absent``: a transcript line that is spoken nowhere in the audio has the
truth segment ``{"text": ..., "absent": true}``, with no ``start``/``end``, at its place
in the order (line i is still segment i). An engine should leave such a line unplaced, or
place it with confidence 0. Speech that the transcript lacks needs nothing: the truth
simply has no segment for it.

Sources (dev set): excerpts of ../shared/bench/tts/seed_tts_10min.mp4 (a-e) and seed_tts_1h.opus
(l), cut in the middle of paragraph pauses (> 0.9 s, so no segment or word is cut), truth
re-based on the excerpt; passages from later in the hour as other speech; and the real
recordings of ../shared/data (decoded to 16 kHz mono, timing untouched, no padding).

Validation set (``--set validation``, cases ``val_*``): the aligner is tuned on the dev set,
so it is also scored on material and settings it was not tuned on, to show whether the tuning
overfits. Its excerpts (f-k) are 1098.7-1576.8 s of the 1 h file, which no dev case speaks or
lists; its babble voices and spliced paragraph come from parts of 2400-3000 s that the dev
draws (seed 7) miss, its extra paragraphs from the middle third of the seed, not the last; its
levels and real recordings differ from the dev ones (``--list --set validation`` gives them).

Extreme set (``--set extreme``, cases ``x_*``, /tmp/clipper-extreme/): the dev set's material
past the range the engine is built for (noise, music and babble at -5 to 3 dB, RT60 1.5-2 s,
a telephone line at 10 dB, 16 kb/s MP3, 0.8 and 1.25 speed, -45 dB). Refusals and unsure
lines are right answers there; a confident wrong time is not.

Text set (``--set text``, cases ``t_*``, /tmp/clipper-text/): a transcript that differs from the
speech word by word, alone and under conditions of the dev set: cleaned (fillers such as um, uh,
mm and a word said twice in a row left out; a line left empty is dropped, its speech stays) or
edited (10% or 25% of the words: a third each substituted by a word of the seed transcript, left
out, or a word inserted that nobody says). A line's truth spans the spoken words its text still
holds (a line whose first word was left out starts at its second).

Long set (``--set long``, cases ``long_*``, /tmp/clipper-long/): the other sets' files are under
two minutes, which the speech engine aligns in one part; these eight are five to six minutes
(the espeak 10 minutes' 30-390 s, L, and the hour's 1600-1900 s, M) under dev conditions
(noise 10 and 5 dB, music and babble 10 dB, reverb 0.6 s, phone, an extra paragraph, 10% of
the words edited), aligned in two parts.

Conditions (dev set). SNR = RMS of the speech inside the scored truth segments over the RMS of the
added sound over the whole file.

- noise: pink (1/f) noise at 5, 10, 15 dB SNR.
- music: a synthetic song at 5, 10, 15 dB: chords, bass, a plucked melody, kick, snare and
  hi-hat, and in every third 4-bar section a sung-like line (a vibrato harmonic tone shaped
  by vowel formants) instead of the melody.
- babble: four other voices summed (three passages from the second half of the 1 h
  render, one chain of the real recordings but the case's own), each at its own level
  within +-3 dB, at 5 and 10 dB.
- reverb: convolution (FFT) with a synthetic room response: a direct path at delay 0 and an
  exponentially decaying noise tail from 3 ms (RT60 0.5 s, DRR 0 dB; RT60 1.0 s, DRR -3 dB).
  The direct path is not delayed, so the truth is unchanged.
- phone: 300-3400 Hz band-pass, pink line noise at 30 dB, then 8 kHz G.711 mu-law WAV.
- mp3: 32 kb/s mono MP3 (libmp3lame, 16 kHz). The decoded file is cross-correlated with the
  PCM sent to the encoder; a nonzero lag shifts the truth (the notes give it). ffmpeg drops
  the encoder delay (1105 samples, 69 ms) by the LAME tag, so the lag is 0; the notes give both.
- speed: ffmpeg atempo 1.1 and 0.9; every time and the duration are scaled by 1/tempo, then
  shifted by atempo's constant offset (the median error at every clear segment start and
  end, by level-envelope cross-correlation with the source; about +7 ms at 1.1, -15 ms at 0.9).
- level: -30 dB gain (very quiet) and +20 dB gain hard-clipped at full scale.
- hum: mains hum (the fundamental and a second harmonic 9 dB under it) at 10 dB: 50 Hz on
  excerpt b, 60 Hz on gentle_osr_harvard_list30.
- confcall: reverb (RT60 0.6 s, DRR 0 dB), pink noise 10 dB, then the phone chain.
- voice (the speaker's voice, not the room): pitch shifted 1.25x with its formants (ffmpeg
  rubberband, duration kept; the truth is shifted by the filter's offset, measured at every
  clear boundary as for speed); breathy or hoarse: noise at 500-6000 Hz shaped by the
  speech's own 20 ms level, at 5 dB (excerpt c) and 8 dB (mfa) under it; muffled, a voice
  through a wall: 1500 Hz low-pass, reverb (RT60 0.7 s, DRR -3 dB), pink noise 15 dB.
- mismatched text (e: a clean 10-min excerpt; l: 84 s of the 1 h file):
  extra_para: a paragraph from late in the full seed transcript inserted at a paragraph
  break (absent segments); missing_para: a paragraph's lines dropped (speech the text
  lacks); spoken_extra: a paragraph of other speech from late in the 1 h file spliced
  into a pause (later truth times shift by its length); other_recording: excerpt a's audio
  with excerpt c's transcript (every segment absent); long_transcript: the transcript goes
  on ~5 minutes past the audio (absent segments at the end); short_transcript: only the
  first half of the lines; late_transcript: only the second half. extra_para and
  long_transcript also on a 10 dB pink-noise copy.
- real: mfa_acoustic_corpus, gentle_osr_harvard_list30, praatio_bobby, emur_ae_msajc010
  with pink noise 10 dB and reverb 0.6 s; mfa also with music 10 dB and the phone chain.

Mixes are scaled down (never up) to peak at most -1 dBFS, except the clipped case. Every
case draws from its own generator seeded by (--seed, case name), so ``--only`` builds the
same audio as a full run. Only numpy and ffmpeg are used.

    python scripts/make_degraded.py [--set dev|validation] [--out DIR] [--seed 7] [--only SUBSTRING]
    python scripts/make_degraded.py --list      # the cases and their conditions
    python scripts/make_degraded.py --check     # only check the folder's truth and transcripts

A folder holds one set: the script refuses an --out whose INDEX.json lists the other set's cases.

Writes INDEX.json (every case: name, condition, source, parameters, duration) and prints
JSON: the cases written, the total duration, codec/tempo checks and consistency problems.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import subprocess
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from make_noisy import pink  # the same pink noise as the first noisy case (scripts/ is on sys.path when run)

from clipper.media import SAMPLE_RATE, decode_audio, ffmpeg_binary

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLIPPER_SHARED", ROOT.parent / "shared"))  # as the tests read it
TTS = SHARED / "bench" / "tts"
DATA = SHARED / "data"
SR = SAMPLE_RATE
FULL = 32768.0
PEAK = FULL * 10 ** (-1 / 20)  # -1 dBFS
#: pauses inside a paragraph are 120-900 ms in the espeak render, so longer ones are paragraph breaks
PARA_GAP = 0.9
#: excerpts: (source stem, wanted start s, wanted length s); both ends snap to paragraph pauses.
#: The 10-min file is a prefix of the 1 h render, so its times are the 1 h file's.
EXCERPTS = {
    # dev: 29.9-514.8 s and 698.0-781.7 s (l's long_transcript lines run on to 1081.8 s)
    "a": ("seed_tts_10min", 30.0, 100.0),
    "b": ("seed_tts_10min", 132.0, 90.0),
    "c": ("seed_tts_10min", 223.0, 90.0),
    "d": ("seed_tts_10min", 364.0, 70.0),
    "e": ("seed_tts_10min", 434.0, 80.0),
    "l": ("seed_tts_1h", 699.0, 75.0),
    # validation: 1098.7-1576.8 s, after the dev text and before the dev babble (1749.9 s on)
    "f": ("seed_tts_1h", 1099.0, 88.0),
    "g": ("seed_tts_1h", 1186.0, 88.0),
    "h": ("seed_tts_1h", 1275.0, 72.0),
    "i": ("seed_tts_1h", 1346.0, 77.0),
    "j": ("seed_tts_1h", 1423.0, 72.0),
    "k": ("seed_tts_1h", 1495.0, 82.0),
    # long set: files over two minutes, which the speech engine aligns in two parts
    "L": ("seed_tts_10min", 30.0, 360.0),
    "M": ("seed_tts_1h", 1600.0, 300.0),
}
#: real recordings degraded (short names for the case names)
REAL = {
    "mfa": "mfa_acoustic_corpus",
    "harvard30": "gentle_osr_harvard_list30",
    "bobby": "praatio_bobby",
    "msajc010": "emur_ae_msajc010",
    "mary": "praatio_mary",
    "msajc003": "emur_ae_msajc003",
}


# --------------------------------------------------------------------------- a take: audio + truth


@dataclass(frozen=True)
class Take:
    """Audio (float, int16 scale, 16 kHz mono) with its truth, as it goes through the steps."""

    audio: np.ndarray
    segments: list[dict[str, Any]]
    words: list[dict[str, Any]]
    source: str
    license: str
    notes: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)  # where an excerpt came from
    clip_ok: bool = False  # keep full-scale peaks (the clipped case); else scale to <= -1 dBFS

    def but(self, note: str | None = None, **kw: Any) -> Take:
        if note:
            kw["notes"] = (*self.notes, note)
        return replace(self, **kw)


def _r(t: float) -> float:
    return round(t, 7)  # sample times /16000 are exact to 0.1 us


def timed(item: dict[str, Any]) -> bool:
    return "start" in item


def shift(items: Sequence[dict[str, Any]], delta: float, after: float = -math.inf) -> list[dict[str, Any]]:
    """Items starting at or after ``after`` moved by ``delta`` s (absent segments stay)."""
    return [
        {**it, "start": _r(it["start"] + delta), "end": _r(it["end"] + delta)}
        if timed(it) and it["start"] >= after
        else it
        for it in items
    ]


def scale(items: Sequence[dict[str, Any]], k: float) -> list[dict[str, Any]]:
    return [{**it, "start": _r(it["start"] * k), "end": _r(it["end"] * k)} if timed(it) else it for it in items]


def within(items: Sequence[dict[str, Any]], t0: float, t1: float) -> list[dict[str, Any]]:
    """Items wholly inside [t0, t1], re-based on t0."""
    return shift([it for it in items if timed(it) and it["start"] >= t0 and it["end"] <= t1], -t0)


def absent(texts: Sequence[str]) -> list[dict[str, Any]]:
    return [{"text": t, "absent": True} for t in texts]


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x)))) if x.size else 0.0


def dbfs(v: float) -> float:
    return round(20 * math.log10(max(v, 1e-9) / FULL), 1)


def speech_rms(take: Take) -> float:
    """RMS inside the scored, timed truth segments: the level SNRs are measured against."""
    mask = np.zeros(take.audio.size, dtype=bool)
    for s in take.segments:
        if timed(s) and s.get("scored", True):
            mask[int(s["start"] * SR) : int(s["end"] * SR)] = True
    return rms(take.audio[mask])


# --------------------------------------------------------------------------- sources


def paragraph_starts(segs: Sequence[dict[str, Any]]) -> list[int]:
    """Indices of segments that follow a pause longer than PARA_GAP."""
    return [i for i in range(1, len(segs)) if segs[i]["start"] - segs[i - 1]["end"] > PARA_GAP]


def mid_pause(segs: Sequence[dict[str, Any]], i: int) -> float:
    """The middle of the pause before segment i: where a cut or a splice harms nothing."""
    return (segs[i - 1]["end"] + segs[i]["start"]) / 2


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


@functools.cache
def tts(stem: str) -> tuple[np.ndarray, dict[str, Any]]:
    """A tts benchmark file decoded to 16 kHz, and its truth (checked 1:1 with its transcript)."""
    truth = json.loads((TTS / f"{stem}.truth.json").read_text(encoding="utf-8"))
    if [s["text"] for s in truth["segments"]] != _lines(TTS / f"{stem}.transcript.txt"):
        raise SystemExit(f"{stem}: transcript lines and truth segments differ")
    return decode_audio(TTS / truth["audio"]).astype(np.float64), truth


@functools.lru_cache(maxsize=1)
def full_seed() -> tuple[list[str], list[tuple[int, int]]]:
    """The full 8 h seed transcript's lines and its paragraphs (first, end) line ranges."""
    truth = json.loads((TTS / "seed_tts.truth.json").read_text(encoding="utf-8"))
    lines = _lines(TTS / "seed_tts.transcript.txt")
    cuts = [0, *paragraph_starts(truth["segments"]), len(lines)]
    return lines, list(zip(cuts, cuts[1:], strict=False))


@functools.cache
def real(name: str) -> Take:
    """A ../shared/data recording at 16 kHz mono with its truth as it is."""
    folder = DATA / name
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    lines = _lines(folder / "transcript.txt")
    # praatio's truth texts are the TextGrid's ("BOBBY RIPPED THE LEDGER"), its transcript the
    # sentence; they must be the same words, and the case keeps the transcript's wording
    if [_words(s["text"]) for s in truth["segments"]] != [_words(ln) for ln in lines]:
        raise SystemExit(f"{name}: transcript lines and truth segments differ")
    segs = [{**s, "text": ln} for s, ln in zip(truth["segments"], lines, strict=True)]
    audio = decode_audio(folder / truth["audio"]).astype(np.float64)
    src = f"../shared/data/{name}/{truth['audio']} (decoded to 16 kHz mono). Original: {truth['source']}"
    lic = truth.get("license", "see source")
    note = f"real recording ../shared/data/{name}, decoded to 16 kHz mono, truth times as there (no padding)"
    if segs != truth["segments"]:
        note += "; segment texts = its transcript lines (the truth's TextGrid labels are the same words)"
    return Take(audio, segs, truth.get("words") or [], src, lic, (note,), {"case": name})


def _words(text: str) -> list[str]:
    return "".join(c if c.isalnum() or c == "'" else " " for c in text.lower()).split()


def excerpt(key: str) -> Take:
    """Excerpt ``key`` of EXCERPTS: both ends in the middle of a paragraph pause."""
    stem, want_start, want_len = EXCERPTS[key]
    audio, truth = tts(stem)
    segs = truth["segments"]
    starts = paragraph_starts(segs)
    b0 = min(starts, key=lambda i: abs(segs[i]["start"] - want_start))
    b1 = min((i for i in starts if i > b0), key=lambda i: abs(segs[i]["start"] - segs[b0]["start"] - want_len))
    i0, i1 = round(mid_pause(segs, b0) * SR), round(mid_pause(segs, b1) * SR)
    t0, t1 = i0 / SR, i1 / SR
    src = f"{stem}{Path(truth['audio']).suffix} {t0:.4f}-{t1:.4f} s (segments {b0}-{b1 - 1}), truth re-based on {t0:.4f} s"
    return Take(
        audio[i0:i1].copy(), within(segs[b0:b1], t0, t1), within(truth["words"], t0, t1), src, truth["license"],
        (f"excerpt {key} of {stem}: {src}",), {"stem": stem, "b0": b0, "b1": b1, "t0": t0, "t1": t1},
    )  # fmt: skip


# --------------------------------------------------------------------------- sounds (unit RMS)


def hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def envelope(n: int, attack: float, release: float, decay: float | None = None) -> np.ndarray:
    """Linear attack and release ramps (s), with an optional exponential decay (time constant, s)."""
    t = np.arange(n) / SR
    env = np.minimum(1.0, np.minimum(t / max(attack, 1e-4), (n / SR - t) / max(release, 1e-4)))
    return env * np.exp(-t / decay) if decay else env


def tone(
    f0: float, dur: float, amps: Callable[[np.ndarray], np.ndarray], env: np.ndarray, vibrato: float = 0.0
) -> np.ndarray:
    """Additive harmonic tone: harmonic k at amplitude amps(k * f0), below 7 kHz."""
    n = env.size
    t = np.arange(n) / SR
    # vibrato: 5.5 Hz frequency wobble of +-``vibrato`` (fraction), integrated into the phase
    phase = 2 * np.pi * f0 * (t - vibrato / (2 * np.pi * 5.5) * (np.cos(2 * np.pi * 5.5 * t) - 1))
    ks = np.arange(1, max(2, int(7000 // f0)))
    a = amps(ks * f0) / ks
    out = np.zeros(n)
    for k, ak in zip(ks, a, strict=True):
        if ak > 1e-4:
            out += ak * np.sin(k * phase + 0.7 * k)
    return out * env


#: formants (Hz, bandwidth Hz) of sung vowels
VOWELS = {
    "a": ((730, 90), (1090, 110), (2440, 170)),
    "o": ((570, 80), (840, 100), (2410, 170)),
    "e": ((530, 80), (1840, 120), (2480, 170)),
    "i": ((300, 60), (2290, 130), (3010, 180)),
    "u": ((320, 60), (870, 90), (2240, 170)),
}


def vowel(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """Spectral envelope of a vowel: Lorentzian formant peaks over a small floor."""

    def amps(f: np.ndarray) -> np.ndarray:
        out = np.full(f.shape, 0.03)
        for (fc, bw), g in zip(VOWELS[name], (1.0, 0.6, 0.3), strict=True):
            out += g / (1 + ((f - fc) / (bw / 2)) ** 2)
        return out

    return amps


def rolloff(p: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda f: (f / f[0]) ** -p  # the 1/k of tone() comes on top


def drum(kind: str, rng: np.random.Generator) -> np.ndarray:
    """One kick (falling sine), snare (noise + 185 Hz) or hi-hat (twice-differenced noise) hit."""
    if kind == "kick":
        n = int(0.35 * SR)
        t = np.arange(n) / SR
        f = 45 + 75 * np.exp(-t / 0.03)
        return np.sin(2 * np.pi * np.cumsum(f) / SR) * np.exp(-t / 0.15)
    if kind == "snare":
        n = int(0.2 * SR)
        t = np.arange(n) / SR
        body = np.diff(rng.standard_normal(n + 1)) * 0.5 * np.exp(-t / 0.09)
        return body + 0.6 * np.sin(2 * np.pi * 185 * t) * np.exp(-t / 0.05)
    n = int(0.05 * SR)
    t = np.arange(n) / SR
    return np.diff(rng.standard_normal(n + 2), 2) * 0.25 * np.exp(-t / 0.015)


#: chord progressions: (semitones above the key, third: 4 major / 3 minor) per bar
PROGRESSIONS = (
    ((0, 4), (7, 4), (9, 3), (5, 4)),  # I V vi IV
    ((9, 3), (5, 4), (0, 4), (7, 4)),  # vi IV I V
    ((0, 4), (9, 3), (5, 4), (7, 4)),  # I vi IV V
)
PENTATONIC = (0, 2, 4, 7, 9, 12, 14, 16, 19, 21)


def _put(layer: np.ndarray, t: float, sig: np.ndarray) -> None:
    i = int(t * SR)
    if i < layer.size:
        m = min(sig.size, layer.size - i)
        layer[i : i + m] += sig[:m]


def _line(
    layer: np.ndarray, t0: float, bar: float, beat: float, key: int, rng: np.random.Generator, sung: bool
) -> None:
    """One bar of the top line: plucked pentatonic notes, or legato vowel notes when ``sung``."""
    t, idx = 0.0, int(rng.integers(2, 7))
    while t < bar - 1e-6:
        dur = min(beat * float(rng.choice((1, 2) if sung else (0.5, 1, 1, 1.5))), bar - t)
        idx = int(np.clip(idx + rng.integers(-2, 3), 0, len(PENTATONIC) - 1))
        if rng.random() > 0.15:  # rests keep it a tune, not a drone
            n = int(dur * SR)
            if sung:
                f0 = hz(key + 12 + PENTATONIC[idx])
                sig = tone(f0, dur, vowel(str(rng.choice(list(VOWELS)))), envelope(n, 0.06, 0.08), vibrato=0.015)
            else:
                sig = tone(hz(key + 24 + PENTATONIC[idx]), dur, rolloff(1.0), envelope(n, 0.005, 0.05, 0.35))
            _put(layer, t0 + t, sig)
        t += dur


def music(n: int, rng: np.random.Generator) -> np.ndarray:
    """A synthetic song: pad chords, bass, drums, a melody or (every third section) a sung line."""
    beat = 60.0 / rng.uniform(88, 116)
    bar = 4 * beat
    key = int(rng.integers(43, 50))  # bass key G2..F#3
    prog = PROGRESSIONS[int(rng.integers(len(PROGRESSIONS)))]
    names = ("pad", "bass", "lead", "voice", "kick", "snare", "hat")
    layers = {k: np.zeros(n) for k in names}
    for b in range(math.ceil(n / (bar * SR))):
        t0, (root, third) = b * bar, prog[b % 4]
        section = b // 4
        for m in (0, third, 7):
            _put(
                layers["pad"], t0, tone(hz(key + 12 + root + m), bar, rolloff(1.5), envelope(int(bar * SR), 0.08, 0.2))
            )
        for at in (0, 2, 2.5) if rng.random() < 0.5 else (0, 2):
            _put(
                layers["bass"],
                t0 + at * beat,
                tone(hz(key + root), beat * 0.9, rolloff(0.5), envelope(int(beat * 0.9 * SR), 0.005, 0.05, 0.25)),
            )
        if b >= 2:  # two bars of intro without drums
            for at in (0, 2):
                _put(layers["kick"], t0 + at * beat, drum("kick", rng))
            for at in (1, 3):
                _put(layers["snare"], t0 + at * beat, drum("snare", rng))
            for at in range(8):
                _put(layers["hat"], t0 + at * beat / 2, drum("hat", rng) * (1.0 if at % 2 else 0.6))
        sung = section % 3 == 1
        _line(layers["voice" if sung else "lead"], t0, bar, beat, key, rng, sung)
    weights = {"pad": 0.5, "bass": 0.6, "lead": 0.45, "voice": 0.7, "kick": 0.7, "snare": 0.35, "hat": 0.15}
    out = np.zeros(n)
    for k, x in layers.items():
        on = np.abs(x) > 1e-6
        if on.any():
            out += weights[k] * x / rms(x[on])  # each layer at its weight where it plays
    out *= envelope(n, 0.5, 0.5)
    return out / rms(out)


def active_unit(x: np.ndarray) -> np.ndarray:
    """``x`` scaled to unit RMS over its active 20 ms frames (within 30 dB of its loudest)."""
    frames = x[: x.size // 320 * 320].reshape(-1, 320)
    e = np.sqrt(np.mean(frames**2, axis=1)) + 1e-9
    on = frames[20 * np.log10(e) > 20 * np.log10(e.max()) - 30]
    return x / rms(on) if on.size else x


def real_chain(n: int, rng: np.random.Generator, exclude: str | None = None) -> np.ndarray:
    """The real recordings of ../shared/data (but ``exclude``) in a random order with short gaps, looped to ``n``."""
    names = sorted(p.name for p in DATA.iterdir() if (p / "truth.json").is_file() and p.name != exclude)
    parts: list[np.ndarray] = []
    total = 0
    while total < n + 30 * SR:
        for i in rng.permutation(len(names)):
            x = active_unit(real(names[i]).audio)
            parts += [x, np.zeros(int(rng.uniform(0.1, 0.8) * SR))]
            total += x.size + parts[-1].size
    chain = np.concatenate(parts)
    i = int(rng.integers(0, chain.size - n))
    return chain[i : i + n]


#: where babble voices come from: (start s, end s or None for the end, voices) spans of the 1 h render
Spans = tuple[tuple[float, float | None, int], ...]


def babble(n: int, rng: np.random.Generator, spans: Spans, exclude: str | None = None) -> np.ndarray:
    """Other voices summed: passages of the 1 h render drawn in ``spans``, and the real recordings (but ``exclude``).

    A span's possible start times are split into one slot per voice, each voice starting in its own slot.
    """
    hour, _ = tts("seed_tts_1h")
    starts = []
    for t0, t1, k in spans:
        lo, hi = int(t0 * SR), (hour.size if t1 is None else int(t1 * SR)) - n
        slot = (hi - lo) // k
        if slot <= 0:
            raise SystemExit(f"babble: {n / SR:.1f} s of audio do not fit {k} voice(s) in {t0}-{t1} s")
        starts += [lo + j * slot + int(rng.integers(0, slot)) for j in range(k)]
    voices = [active_unit(hour[i : i + n]) for i in starts]
    voices.append(real_chain(n, rng, exclude))
    gains = 10 ** (rng.uniform(-3, 3, len(voices)) / 20)
    out = sum(g * v for g, v in zip(gains, voices, strict=True))
    return out / rms(out)


# --------------------------------------------------------------------------- steps: Take -> Take

Step = Callable[[Take, np.random.Generator], Take]


def add_sound(kind: str, snr: float, spans: Spans = ()) -> Step:
    """Add pink noise, music or babble (voices from ``spans``) at ``snr`` dB over the speech inside the truth segments."""

    def step(take: Take, rng: np.random.Generator) -> Take:
        s = speech_rms(take)
        level = s * 10 ** (-snr / 20)
        n = take.audio.size
        if kind == "babble":  # never the recording itself among the voices
            sound = babble(n, rng, spans, take.meta.get("case")) * level
        else:
            sound = {"pink noise": pink, "music": music}[kind](n, rng) * level
        note = f"{kind} at {snr:g} dB SNR: speech {dbfs(s)} dBFS RMS inside segments, {kind} {dbfs(level)} dBFS RMS"
        return take.but(note, audio=take.audio + sound)

    return step


def mains_hum(n: int, freq: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS mains hum: the fundamental and a second harmonic 9 dB under it, random phases."""
    t = np.arange(n) / SR
    ph = rng.uniform(0, 2 * math.pi, 2)
    x = np.sin(2 * math.pi * freq * t + ph[0]) + 0.35 * np.sin(4 * math.pi * freq * t + ph[1])
    return x / rms(x)


def add_hum(freq: float, snr: float) -> Step:
    """Mains hum at ``freq`` Hz, ``snr`` dB under the speech inside the truth segments."""

    def step(take: Take, rng: np.random.Generator) -> Take:
        s = speech_rms(take)
        level = s * 10 ** (-snr / 20)
        note = f"mains hum {freq:g} Hz + 2nd harmonic at {snr:g} dB SNR: speech {dbfs(s)} dBFS RMS, hum {dbfs(level)} dBFS RMS"
        return take.but(note, audio=take.audio + mains_hum(take.audio.size, freq, rng) * level)

    return step


def room_response(rt60: float, drr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Direct path at sample 0 plus a decaying noise tail (-60 dB at ``rt60``); unit energy."""
    n = int(1.5 * rt60 * SR)
    t = np.arange(n) / SR
    tail = rng.standard_normal(n) * np.exp(-3 * math.log(10) * t / rt60)
    tail[: int(0.003 * SR)] = 0.0  # first reflection after 3 ms: the direct path alone marks the onset
    tail = np.convolve(tail, [0.25, 0.5, 0.25], mode="same")  # walls absorb the highest frequencies
    tail *= math.sqrt(10 ** (-drr_db / 10) / float(np.sum(tail**2)))
    tail[0] = 1.0
    return tail / math.sqrt(float(np.sum(tail**2)))


def fft_convolve(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Linear convolution by FFT, cut to len(x) (the tail after the end is lost, as in a recording)."""
    m = x.size + h.size - 1
    nfft = 1 << (m - 1).bit_length()
    return np.fft.irfft(np.fft.rfft(x, nfft) * np.fft.rfft(h, nfft), nfft)[: x.size]


def reverb(rt60: float, drr_db: float) -> Step:
    def step(take: Take, rng: np.random.Generator) -> Take:
        h = room_response(rt60, drr_db, rng)
        note = f"reverb: synthetic room response RT60 {rt60:g} s, DRR {drr_db:g} dB, direct path at delay 0 (truth unchanged)"
        return take.but(note, audio=fft_convolve(take.audio, h))

    return step


def band_pass(lo: float = 300.0, hi: float = 3400.0) -> Step:
    """Telephone band: zero-phase FFT mask with raised-cosine edges (100 Hz below lo, 200 Hz above hi)."""

    def step(take: Take, rng: np.random.Generator) -> Take:
        spec = np.fft.rfft(take.audio)
        f = np.fft.rfftfreq(take.audio.size, 1.0 / SR)
        rise = np.clip((f - (lo - 100)) / 100, 0, 1)
        fall = np.clip(((hi + 200) - f) / 200, 0, 1)
        gain = (0.5 - 0.5 * np.cos(np.pi * rise)) * (0.5 - 0.5 * np.cos(np.pi * fall))
        return take.but(f"band-pass {lo:g}-{hi:g} Hz (zero phase)", audio=np.fft.irfft(spec * gain, take.audio.size))

    return step


def breathy(snr: float) -> Step:
    """Breath or hoarseness: noise at 500-6000 Hz that follows the speech's own level (20 ms
    RMS), ``snr`` dB under the speech inside the truth segments. It sounds only where the
    voice does, so the truth stands."""

    def step(take: Take, rng: np.random.Generator) -> Take:
        x = take.audio
        c = np.concatenate([[0.0], np.cumsum(x * x)])
        w = SR // 50
        env = np.sqrt(np.maximum(0.0, (c[w:] - c[:-w]) / w))
        env = np.pad(env, (w // 2, x.size - env.size - w // 2), mode="edge")
        spec = np.fft.rfft(rng.normal(0.0, 1.0, x.size))
        f = np.fft.rfftfreq(x.size, 1.0 / SR)
        hiss = np.fft.irfft(spec * ((f >= 500) & (f <= 6000)), x.size) * env
        s = speech_rms(take)
        hiss *= s * 10 ** (-snr / 20) / speech_rms(take.but(audio=hiss))
        note = f"breathy: speech-shaped noise 500-6000 Hz at {snr:g} dB under the speech ({dbfs(s)} dBFS RMS inside segments)"
        return take.but(note, audio=x + hiss)

    return step


def gain(db: float, clip: bool = False) -> Step:
    def step(take: Take, rng: np.random.Generator) -> Take:
        y = take.audio * 10 ** (db / 20)
        if not clip:
            return take.but(f"gain {db:+g} dB: speech {dbfs(speech_rms(take) * 10 ** (db / 20))} dBFS RMS", audio=y)
        share = float(np.mean(np.abs(y) >= FULL - 1))
        note = f"gain {db:+g} dB with hard clipping at full scale: {100 * share:.1f}% of samples clipped"
        return take.but(note, audio=np.clip(y, -FULL, FULL - 1), clip_ok=True)

    return step


def _spoken(line: str) -> bool:
    return any(c.isalnum() for c in line)


def _middle_paragraph(take: Take) -> int:
    """The segment index starting the paragraph nearest the middle of the take."""
    starts = paragraph_starts(take.segments)
    if not starts:
        raise SystemExit(f"{take.source}: no paragraph break inside this excerpt")
    return min(starts, key=lambda i: abs(i - len(take.segments) / 2))


def extra_para(third: int) -> Step:
    """A paragraph from the given third (0-2) of the full seed inserted (absent) at a paragraph break."""

    def step(take: Take, rng: np.random.Generator) -> Take:
        lines, paras = full_seed()
        lo, hi = third * len(lines) // 3, (third + 1) * len(lines) // 3
        # 4-9 lines from that third, every one with words (no blank or note-only line)
        pool = [(a, b) for a, b in paras if lo < a and b <= hi and 4 <= b - a <= 9 and all(map(_spoken, lines[a:b]))]
        a, b = pool[int(rng.integers(len(pool)))]
        at = _middle_paragraph(take)
        segs = [*take.segments[:at], *absent(lines[a:b]), *take.segments[at:]]
        note = (
            f"extra_para: seed_tts lines {a}-{b - 1} (not spoken here) inserted before segment {at} as absent segments"
        )
        return take.but(note, segments=segs)

    return step


def missing_para(take: Take, rng: np.random.Generator) -> Take:
    """The middle paragraph's lines dropped from transcript and truth; its audio stays."""
    at = _middle_paragraph(take)
    nxt = [i for i in paragraph_starts(take.segments) if i > at]
    end = nxt[0] if nxt else len(take.segments)
    t0, t1 = take.segments[at]["start"], take.segments[end - 1]["end"]
    words = [w for w in take.words if w["end"] <= t0 or w["start"] >= t1]
    note = (
        f"missing_para: segments {at}-{end - 1} ({t0:.3f}-{t1:.3f} s) dropped from the transcript; their speech stays"
    )
    return take.but(note, segments=take.segments[:at] + take.segments[end:], words=words)


def spoken_extra(t0: float, t1: float) -> Step:
    """A paragraph of other speech (3-6 lines of the 1 h file within t0-t1 s) spliced into the pause before
    the middle paragraph."""

    def step(take: Take, rng: np.random.Generator) -> Take:
        hour, truth = tts("seed_tts_1h")
        segs = truth["segments"]
        starts = paragraph_starts(segs)
        pairs = [(a, b) for a, b in zip(starts, starts[1:], strict=False)
                 if segs[a]["start"] > t0 and mid_pause(segs, b) <= t1 and 3 <= b - a <= 6]  # fmt: skip
        a, b = pairs[int(rng.integers(len(pairs)))]
        i0, i1 = round(mid_pause(segs, a) * SR), round(mid_pause(segs, b) * SR)
        at = _middle_paragraph(take)
        p = round(mid_pause(take.segments, at) * SR)
        d = (i1 - i0) / SR
        audio = np.concatenate([take.audio[:p], hour[i0:i1], take.audio[p:]])
        note = (f"spoken_extra: seed_tts_1h {i0 / SR:.3f}-{i1 / SR:.3f} s (lines {a}-{b - 1}, not in the transcript) "
                f"spliced in at {p / SR:.4f} s; truth after it shifted by {d:.4f} s")  # fmt: skip
        return take.but(note, audio=audio, segments=shift(take.segments, d, p / SR), words=shift(take.words, d, p / SR))

    return step


def other_recording(text_of: str) -> Step:
    """The audio with the transcript of another excerpt: every segment absent."""

    def step(take: Take, rng: np.random.Generator) -> Take:
        other = excerpt(text_of)
        note = f"other_recording: the transcript is excerpt {text_of}'s ({other.source}); none of it is spoken here"
        return take.but(note, segments=absent([s["text"] for s in other.segments]), words=[])

    return step


def long_transcript(more_s: float = 300.0) -> Step:
    """The lines of the next ``more_s`` seconds of the source appended (absent)."""

    def step(take: Take, rng: np.random.Generator) -> Take:
        _, truth = tts(take.meta["stem"])
        segs = truth["segments"]
        b1, t1 = take.meta["b1"], take.meta["t1"]
        more = [s["text"] for s in segs[b1:] if s["start"] < t1 + more_s]
        note = f"long_transcript: the next {len(more)} lines ({more_s:g} s of the source after the excerpt) appended, absent"
        return take.but(note, segments=[*take.segments, *absent(more)])

    return step


def short_transcript(take: Take, rng: np.random.Generator) -> Take:
    """Only the first half of the lines; the rest of the audio is untranscribed speech."""
    k = len(take.segments) // 2
    cut = take.segments[k - 1]["end"]
    note = (
        f"short_transcript: only the first {k} of {len(take.segments)} lines; speech after {cut:.3f} s is untranscribed"
    )
    return take.but(note, segments=take.segments[:k], words=[w for w in take.words if w["end"] <= cut])


def late_transcript(take: Take, rng: np.random.Generator) -> Take:
    """Only the second half of the lines; the speech before them is untranscribed."""
    k = len(take.segments) // 2
    cut = take.segments[k]["start"]
    note = (
        f"late_transcript: only the last {len(take.segments) - k} of {len(take.segments)} lines; "
        f"speech before {cut:.3f} s is untranscribed"
    )
    return take.but(note, segments=take.segments[k:], words=[w for w in take.words if w["start"] >= cut])


#: what a cleaned transcript leaves out (with a word said twice in a row)
FILLERS = frozenset({"um", "uh", "mm", "hmm", "er", "erm", "ah", "mhm"})


def _inside(take: Take, seg: dict[str, Any]) -> list[dict[str, Any]]:
    """The truth words within a timed segment."""
    return [w for w in take.words if w["start"] >= seg["start"] - 1e-6 and w["end"] <= seg["end"] + 1e-6]


def _tokens(text: str) -> list[str]:
    """A line's whitespace tokens that hold a word (not a dash)."""
    return [t for t in text.split() if _words(t)]


def _line_words(take: Take, seg: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The truth words of a segment, one per token of its text, or None when they do not pair
    up (a number spoken as several words)."""
    ws = _inside(take, seg)
    toks = _tokens(seg["text"])
    ok = len(ws) == len(toks) and all(_words(w["word"]) == _words(t) for w, t in zip(ws, toks, strict=False))
    return ws if ok else None


def _retext(take: Take, edit: Callable[[list[str], np.random.Generator], list[tuple[str, int | None]]],
            rng: np.random.Generator, what: str) -> Take:
    """Each line's words rewritten by ``edit``: (new token, index of the spoken word it stands for, or None
    for a word nobody says). A line's truth then spans the spoken words its text still holds; a line left
    with none of them is dropped (its speech stays, untranscribed); word truth keeps the unchanged words."""
    segs, words, changed, dropped = [], [], 0, 0
    for s in take.segments:
        ws = _line_words(take, s) if timed(s) else None
        if ws is None:
            segs.append(s)
            words += _inside(take, s) if timed(s) else []
            continue
        new = edit(_tokens(s["text"]), rng)
        kept = [i for _, i in new if i is not None]
        if not kept:
            dropped += 1
            continue
        text = " ".join(t for t, _ in new)
        text = text[:1].upper() + text[1:]
        if text != s["text"]:
            changed += 1
        segs.append({**s, "text": text, "start": ws[kept[0]]["start"], "end": ws[kept[-1]]["end"]})
        words += [ws[i] for t, i in new if i is not None and _words(t) == _words(ws[i]["word"])]
    note = f"{what}: {changed} lines changed, {dropped} dropped (their speech stays); truth spans the words kept"
    return take.but(note, segments=segs, words=words)


def cleaned(take: Take, rng: np.random.Generator) -> Take:
    """A cleaned transcript: fillers (um, uh, mm) and a word said twice in a row left out."""

    def edit(toks: list[str], rng: np.random.Generator) -> list[tuple[str, int | None]]:
        out: list[tuple[str, int | None]] = []
        for i, t in enumerate(toks):
            w = _words(t)
            if (len(w) == 1 and w[0] in FILLERS) or (i and w == _words(toks[i - 1])):
                continue
            out.append((t, i))
        return out

    return _retext(take, edit, rng, "cleaned (fillers and repeats left out)")


def edited(rate: float) -> Step:
    """About ``rate`` of the words changed, as an editor or a caption service would: a third each
    substituted, left out, or a word inserted that nobody says (words from the full seed transcript)."""

    def step(take: Take, rng: np.random.Generator) -> Take:
        lines, _ = full_seed()
        pool = sorted({w for ln in lines[::7] for w in _words(ln) if len(w) > 2})

        def edit(toks: list[str], rng: np.random.Generator) -> list[tuple[str, int | None]]:
            out: list[tuple[str, int | None]] = []
            for i, t in enumerate(toks):
                r = rng.random()
                if r < rate / 3:  # substituted: another word where this one is said
                    out.append((str(pool[int(rng.integers(len(pool)))]), i))
                elif r < 2 * rate / 3:  # left out
                    continue
                elif r < rate:  # an extra word nobody says, before this one
                    out += [(str(pool[int(rng.integers(len(pool)))]), None), (t, i)]
                else:
                    out.append((t, i))
            return out

        return _retext(take, edit, rng, f"edited: {100 * rate:g}% of words substituted, left out or inserted")

    return step


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Spec:
    """One case: its base (excerpt key or REAL short name), steps, encoding and parameters."""

    name: str
    condition: str
    base: str
    steps: tuple[Step, ...]
    params: dict[str, Any]
    encoding: str = "flac"  # flac | mp3 | phone | tempo | pitch
    tempo: float = 1.0


@dataclass(frozen=True)
class Cond:
    """A degradation as cases name and describe it; a case is a base and one or more of these."""

    tag: str  # its part of the case name
    what: str  # the condition
    steps: tuple[Step, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    encoding: str = "flac"
    tempo: float = 1.0
    detail: str = ""  # appended to ``what`` on excerpts (real recordings get " (real speech)")


def noise(snr: float) -> Cond:
    return Cond(f"noise{snr}", "pink noise", (add_sound("pink noise", snr),), {"snr_db": snr})


def music_bed(snr: float) -> Cond:
    return Cond(f"music{snr}", "music bed", (add_sound("music", snr),), {"snr_db": snr})


def babble_bed(snr: float, spans: Spans) -> Cond:
    return Cond(f"babble{snr}", "babble", (add_sound("babble", snr, spans),), {"snr_db": snr}, detail=" (4 voices)")


def hum(freq: float, snr: float) -> Cond:
    return Cond(f"hum{freq:g}", "mains hum", (add_hum(freq, snr),), {"hum_hz": freq, "snr_db": snr})


def room(rt60: float, drr: float) -> Cond:
    return Cond(f"reverb{round(rt60 * 10):02d}", "reverb", (reverb(rt60, drr),), {"rt60_s": rt60, "drr_db": drr})


def phone(line_snr: float | None) -> Cond:
    """Telephone band and 8 kHz mu-law, with pink line noise at ``line_snr`` dB (None: none)."""
    line = (add_sound("pink noise", line_snr),) if line_snr is not None else ()
    params = {"band_hz": [300, 3400], **({"line_noise_snr_db": line_snr} if line_snr is not None else {})}
    return Cond("phone", "telephone band", (*line, band_pass()), params, "phone", detail=", 8 kHz mu-law")


def pitch(ratio: float) -> Cond:
    what = f"voice pitched x{ratio:g} (rubberband, formants too)"
    return Cond(f"pitch{round(ratio * 100):03d}", what, (), {"pitch": ratio}, "pitch")


def hoarse(snr: float) -> Cond:
    return Cond(f"breathy{snr}", "breathy voice", (breathy(snr),), {"snr_db": snr})


def muffled(hz: float, rt60: float, drr: float, snr: float) -> Cond:
    steps = (band_pass(0.0, hz), reverb(rt60, drr), add_sound("pink noise", snr))
    params = {"lowpass_hz": hz, "rt60_s": rt60, "drr_db": drr, "snr_db": snr}
    return Cond("muffled", "muffled (through a wall)", steps, params, detail=": low-pass, reverb, noise")


def mp3(bitrate: str) -> Cond:
    return Cond(f"mp3_{bitrate}", f"MP3 {bitrate.removesuffix('k')} kb/s", (), {"bitrate": bitrate}, "mp3")


def speed(tempo: float) -> Cond:
    what = f"speed {100 * (tempo - 1):+.0f}% (atempo)"
    return Cond(f"speed{round(tempo * 100):03d}", what, (), {"tempo": tempo}, "tempo", tempo)


def quiet(db: float) -> Cond:
    return Cond(f"quiet{-db}", "very quiet", (gain(db),), {"gain_db": db})


def clipped(db: float) -> Cond:
    return Cond(f"clipped{db}", "loud, hard-clipped", (gain(db, clip=True),), {"gain_db": db})


def extra(third: int) -> Cond:
    return Cond("extra_para", "text not spoken: extra paragraph", (extra_para(third),))


def spliced(t0: float, t1: float) -> Cond:
    return Cond("spoken_extra", "speech not in text: spliced paragraph", (spoken_extra(t0, t1),))


def wrong_text(text_of: str) -> Cond:
    what = "wrong transcript (other excerpt)"
    return Cond(f"other_recording_text_of_{text_of}", what, (other_recording(text_of),), {"text_of": text_of})


def longer(more_s: int) -> Cond:
    what = f"text runs {more_s / 60:g} min past the audio"
    return Cond("long_transcript", what, (long_transcript(more_s),), {"more_s": more_s})


def words_edited(rate: float) -> Cond:
    what = f"text edited: {100 * rate:g}% of words substituted, left out or inserted"
    return Cond(f"edited{round(100 * rate)}", what, (edited(rate),), {"word_edit_rate": rate})


CLEANED = Cond("cleaned", "cleaned text: fillers and repeats left out", (cleaned,))
MISSING = Cond("missing_para", "speech not in text: missing paragraph", (missing_para,))
SHORT = Cond("short_transcript", "text covers the first half", (short_transcript,))
LATE = Cond("late_transcript", "text covers the second half", (late_transcript,))


@dataclass(frozen=True)
class CaseSet:
    """A set of cases: its name prefix, output folder, and where its other material comes from."""

    prefix: str
    out: str
    babble: Spans  # babble voices: spans of the 1 h render
    splice: tuple[float, float]  # spoken_extra: a paragraph of the 1 h render inside this span (s)
    extra_third: int  # extra_para: a paragraph from this third (0-2) of the full seed transcript

    def case(self, base: str, *conds: Cond, tag: str = "", what: str = "") -> Spec:
        """A case: ``base`` degraded by ``conds`` in order (their tags and conditions joined unless given)."""
        is_real = base in REAL
        what = what or " + ".join(c.what + ("" if is_real else c.detail) for c in conds)
        codec = next((c for c in conds if c.encoding != "flac"), conds[0])
        return Spec(
            f"{self.prefix}{base if is_real else 'tts_' + base}_{tag or '_'.join(c.tag for c in conds)}",
            f"{what} (real speech)" if is_real else what,
            base,
            tuple(st for c in conds for st in c.steps),
            {k: v for c in conds for k, v in c.params.items()},
            codec.encoding,
            codec.tempo,
        )


DEV = CaseSet("", "/tmp/clipper-degraded", ((1500.0, None, 3),), (2400.0, math.inf), 2)
#: validation: other speech from parts of 2400-3000 s that the dev set (seed 7) does not draw from
#: (its babble takes 1749.9-1841.3, 1958.0-2049.5, 2595.9-2687.4, 2838.1-2929.6 s and later;
#: its spliced paragraph is 2774.1-2781.6 s); extra paragraphs from the middle third, not the last
VALIDATION = CaseSet(
    "val_", "/tmp/clipper-validation", ((2400.0, 2497.0, 1), (2497.0, 2595.0, 1), (2688.0, 2773.5, 1)), (2930.0, 3000.0), 1
)  # fmt: skip


def dev_cases() -> list[Spec]:
    s = DEV
    return [
        *(s.case("a", noise(snr)) for snr in (5, 10, 15)),
        *(s.case("b", music_bed(snr)) for snr in (5, 10, 15)),
        *(s.case("c", babble_bed(snr, s.babble)) for snr in (5, 10)),
        s.case("c", room(0.5, 0.0)),
        s.case("c", room(1.0, -3.0)),
        s.case("d", phone(30)),
        s.case("d", mp3("32k")),
        s.case("d", speed(1.1)),
        s.case("d", speed(0.9)),
        s.case("d", room(0.6, 0.0), noise(10), phone(None), tag="confcall", what="reverb + noise + phone"),
        s.case("e", quiet(-30)),
        s.case("e", clipped(20)),
        s.case("e", extra(s.extra_third)),
        s.case("e", MISSING),
        s.case("e", spliced(*s.splice)),
        s.case("e", SHORT),
        s.case("e", LATE),
        s.case("e", noise(10), extra(s.extra_third), what="pink noise + extra paragraph"),
        s.case("a", wrong_text("c")),
        s.case("l", longer(300)),
        s.case("l", noise(10), longer(300), what="pink noise + long transcript"),
        *(s.case(r, c) for r in ("mfa", "harvard30", "bobby", "msajc010") for c in (noise(10), room(0.6, 0.0))),
        s.case("mfa", music_bed(10)),
        s.case("mfa", phone(30)),
        s.case("b", hum(50, 10)),
        s.case("harvard30", hum(60, 10)),
        s.case("b", pitch(1.25)),
        s.case("c", hoarse(5)),
        s.case("mfa", hoarse(8)),
        s.case("e", muffled(1500, 0.7, -3.0, 15)),
    ]


def validation_cases() -> list[Spec]:
    s = VALIDATION
    return [
        *(s.case("f", noise(snr)) for snr in (7, 12)),
        s.case("f", longer(240)),
        *(s.case("g", music_bed(snr)) for snr in (8, 12)),
        s.case("g", wrong_text("k")),
        s.case("h", babble_bed(7, s.babble)),
        s.case("h", room(0.7, -1.0)),
        s.case("h", room(0.9, -2.0)),
        s.case("i", phone(25)),
        s.case("i", mp3("48k")),
        s.case("i", speed(0.92)),
        s.case("i", speed(1.08)),
        s.case("j", quiet(-25)),
        s.case("j", extra(s.extra_third)),
        s.case("j", MISSING),
        s.case("j", spliced(*s.splice)),
        s.case("k", room(0.5, 0.0), noise(12)),
        s.case("k", SHORT),
        s.case("k", LATE),
        *(s.case(r, c) for r in ("mfa", "harvard30") for c in (babble_bed(10, s.babble), phone(25))),
        *(s.case(r, c) for r in ("mary", "msajc003") for c in (noise(12), room(0.7, -1.0))),
        s.case("g", hum(60, 12)),
        s.case("mfa", hum(50, 8)),
        s.case("g", pitch(0.8)),
        s.case("harvard30", hoarse(8)),
        s.case("h", hoarse(3)),
        s.case("i", muffled(2000, 0.6, -2.0, 12)),
    ]


#: beyond the issue's range (0-3 dB beds, RT60 2 s, 16 kb/s, ±20-25% speed): where the engine
#: may refuse or be unsure, but must not be confidently wrong; the dev set's other material
EXTREME = CaseSet("x_", "/tmp/clipper-extreme", DEV.babble, DEV.splice, DEV.extra_third)


def extreme_cases() -> list[Spec]:
    s = EXTREME
    return [
        *(s.case("a", noise(snr)) for snr in (0, -5)),
        *(s.case("b", music_bed(snr)) for snr in (0, 3)),
        *(s.case("c", babble_bed(snr, s.babble)) for snr in (0, 2)),
        s.case("c", room(2.0, -8.0)),
        s.case("c", room(1.5, -6.0), noise(10), tag="reverb15_noise10", what="heavy reverb + noise"),
        s.case("d", phone(10)),
        s.case("d", room(1.0, -3.0), noise(5), phone(None), tag="confcall_bad", what="reverb + noise 5 dB + phone"),
        s.case("d", mp3("16k")),
        s.case("d", speed(1.25)),
        s.case("d", speed(0.8)),
        s.case("e", hoarse(0)),
        s.case("e", quiet(-45)),
        s.case("mfa", noise(0)),
        s.case("harvard30", music_bed(3)),
        s.case("bobby", babble_bed(3, s.babble)),
        s.case("msajc010", room(1.5, -6.0)),
        s.case("e", noise(3), extra(s.extra_third), what="pink noise 3 dB + extra paragraph"),
    ]


#: a transcript that differs from the speech word by word (a cleaned or an edited text, captions
#: from a service), alone and under the dev set's conditions; material from both sets
TEXT = CaseSet("t_", "/tmp/clipper-text", DEV.babble, DEV.splice, DEV.extra_third)


def text_cases() -> list[Spec]:
    s = TEXT
    return [
        *(s.case(k, CLEANED) for k in ("a", "c", "h")),
        *(s.case(k, words_edited(r)) for k, r in (("b", 0.1), ("d", 0.1), ("f", 0.25), ("l", 0.25))),
        # the real recordings whose truth words pair with the transcript's (not MFA's: 58 words for 59)
        *(s.case(k, words_edited(0.25)) for k in ("harvard30", "mary", "msajc003", "msajc010")),
        s.case("a", noise(10), words_edited(0.1)),
        s.case("g", music_bed(10), words_edited(0.25)),
        s.case("c", babble_bed(10, s.babble), CLEANED),
        s.case("i", room(0.7, -1.0), CLEANED),
        s.case("e", phone(30), words_edited(0.1)),
        s.case("harvard30", noise(10), words_edited(0.1)),
        s.case("k", CLEANED, words_edited(0.1), tag="cleaned_edited10", what="cleaned and edited 10%"),
        s.case("j", speed(1.1), words_edited(0.1)),
    ]


#: files of five to six minutes (the other sets' are under two): the speech engine aligns
#: them in two parts, so its junction and relocation across parts are measured on degraded audio
LONG = CaseSet("long_", "/tmp/clipper-long", DEV.babble, DEV.splice, DEV.extra_third)


def long_cases() -> list[Spec]:
    s = LONG
    return [
        s.case("L", noise(10)),
        s.case("L", music_bed(10)),
        s.case("L", babble_bed(10, s.babble)),
        s.case("L", room(0.6, 0.0)),
        s.case("L", extra(s.extra_third)),
        s.case("M", noise(5)),
        s.case("M", phone(30)),
        s.case("M", words_edited(0.1)),
    ]


SETS: dict[str, tuple[CaseSet, Callable[[], list[Spec]]]] = {
    "dev": (DEV, dev_cases),
    "validation": (VALIDATION, validation_cases),
    "extreme": (EXTREME, extreme_cases),
    "text": (TEXT, text_cases),
    "long": (LONG, long_cases),
}


# --------------------------------------------------------------------------- encoding and checks

ENCODINGS = {
    "flac": (".flac", ["-c:a", "flac"]),
    "mp3": (".mp3", ["-c:a", "libmp3lame", "-ac", "1"]),  # and -b:a params["bitrate"]
    "phone": (".wav", ["-ar", "8000", "-c:a", "pcm_mulaw"]),
    "tempo": (".flac", ["-c:a", "flac"]),
    "pitch": (".flac", ["-c:a", "flac"]),
}


def to_pcm(take: Take) -> tuple[np.ndarray, Take]:
    """int16 PCM; scaled down to a -1 dBFS peak unless the take keeps its clipping."""
    peak = float(np.max(np.abs(take.audio))) if take.audio.size else 0.0
    if not take.clip_ok and peak > PEAK:
        take = take.but(
            f"scaled by {20 * math.log10(PEAK / peak):.1f} dB to peak at -1 dBFS", audio=take.audio * (PEAK / peak)
        )
    return np.clip(np.rint(take.audio), -FULL, FULL - 1).astype(np.int16), take


def encode(pcm: np.ndarray, dest: Path, args: Sequence[str]) -> None:
    """ffmpeg from int16 16 kHz mono PCM on stdin."""
    argv = [ffmpeg_binary(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "s16le", "-ar", str(SR), "-ac", "1", "-i", "-", *args, str(dest)]  # fmt: skip
    subprocess.run(argv, input=pcm.tobytes(), check=True)


def lag_samples(ref: np.ndarray, out: np.ndarray, max_lag: int = 4000) -> int:
    """Lag (samples) of ``out`` behind ``ref`` by waveform cross-correlation (positive: out is late)."""
    n = max(ref.size, out.size) + max_lag
    nfft = 1 << (n - 1).bit_length()
    c = np.fft.irfft(np.fft.rfft(out, nfft) * np.conj(np.fft.rfft(ref, nfft)), nfft)
    lags = np.r_[np.arange(0, max_lag + 1), np.arange(-max_lag, 0)]
    vals = np.r_[c[: max_lag + 1], c[-max_lag:]]
    return int(lags[int(np.argmax(vals))])


def env_db(x: np.ndarray) -> np.ndarray:
    """Level (dB) of 5 ms windows every 1 ms."""
    c = np.r_[0.0, np.cumsum(x.astype(np.float64) ** 2)]
    hop, win = SR // 1000, 5 * SR // 1000
    idx = np.arange(0, max(1, x.size - win), hop)
    return 10 * np.log10((c[idx + win] - c[idx]) / win + 1.0)


def onset_errors(ref: np.ndarray, ref_segs: list[dict[str, Any]], out: np.ndarray, out_segs: list[dict[str, Any]],
                 tempo: float, k: int | None = 6) -> list[float]:  # fmt: skip
    """Truth error (ms, positive: the audio's onset is later than the truth) at ``k`` segment onsets (None: all).

    The source's level envelope around each onset (-250..+400 ms) is stretched by 1/tempo and
    slid over the output's envelope around the truth start; the best-correlating offset is the error.
    Only onsets after a pause of 0.3 s or more count (the envelope needs the silence before).
    """
    er, eo = env_db(ref), env_db(out)
    cand = [i for i in range(1, len(ref_segs)) if timed(ref_segs[i]) and ref_segs[i].get("scored", True)
            and timed(ref_segs[i - 1]) and ref_segs[i]["start"] - ref_segs[i - 1]["end"] > 0.3 and timed(out_segs[i])]  # fmt: skip
    if k is not None and len(cand) > k:
        cand = [cand[j * len(cand) // k] for j in range(k)]
    errs = []
    for i in cand:
        s_ref, s_out = ref_segs[i]["start"] * 1000, out_segs[i]["start"] * 1000
        u = np.arange(-250, 400)
        a = np.interp(s_ref + u, np.arange(er.size), er)
        best, best_d = -2.0, 0
        for d in range(-150, 151):
            b = np.interp(s_out + u / tempo + d, np.arange(eo.size), eo)
            r = float(np.corrcoef(a, b)[0, 1]) if b.std() > 0 else -1.0
            if r > best:
                best, best_d = r, d
        errs.append(float(best_d))
    return errs


def _reversed(segs: list[dict[str, Any]], dur: float) -> list[dict[str, Any]]:
    return [{**s, "start": dur - s["end"], "end": dur - s["start"]} if timed(s) else s for s in segs[::-1]]


def boundary_errors(ref: np.ndarray, ref_segs: list[dict[str, Any]], out: np.ndarray, out_segs: list[dict[str, Any]],
                    tempo: float, k: int | None = 6) -> tuple[list[float], list[float]]:  # fmt: skip
    """Truth errors (ms) at segment starts and at segment ends (the ends as onsets of the time-reversed audio)."""
    starts = onset_errors(ref, ref_segs, out, out_segs, tempo, k)
    rev = onset_errors(ref[::-1].copy(), _reversed(ref_segs, ref.size / SR), out[::-1].copy(),
                       _reversed(out_segs, out.size / SR), tempo, k)  # fmt: skip
    return starts, [0.0 - e + 0.0 for e in rev]  # + 0.0: no "-0.0"


def raw_mp3_delay(path: Path, dec: np.ndarray) -> int:
    """Encoder delay (samples) in the MP3 stream itself: decode without applying the LAME tag's skip."""
    argv = [ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-flags2", "+skip_manual", "-i", str(path),
            "-ac", "1", "-ar", str(SR), "-f", "s16le", "-"]  # fmt: skip
    raw = np.frombuffer(subprocess.run(argv, capture_output=True, check=True).stdout, dtype=np.int16)
    return lag_samples(dec, raw.astype(np.float64))


def fix_codec_lag(spec: Spec, take: Take, pcm: np.ndarray, dec: np.ndarray, dest: Path) -> tuple[Take, dict[str, Any]]:
    """Shift the truth by the decoded file's lag behind the PCM sent to the encoder (MP3, mu-law)."""
    lag = lag_samples(pcm.astype(np.float64), dec)
    check: dict[str, Any] = {"codec_lag_ms": round(1000 * lag / SR, 3)}
    what = "decoded (ffmpeg, as clipper decodes) vs encoded PCM, waveform cross-correlation"
    if lag:
        take = take.but(f"codec lag {1000 * lag / SR:+.3f} ms ({what}): truth shifted by it",
                        segments=shift(take.segments, lag / SR), words=shift(take.words, lag / SR))  # fmt: skip
    else:
        take = take.but(f"codec lag 0 samples ({what}): truth not shifted")
    if spec.encoding == "mp3":
        raw = raw_mp3_delay(dest, dec)
        check["raw_encoder_delay_ms"] = round(1000 * raw / SR, 3)
        take = take.but(f"the MP3 stream holds {raw} samples ({1000 * raw / SR:.2f} ms) of encoder delay; ffmpeg drops "
                        "them by the LAME tag, a decoder that ignores the tag plays that much late")  # fmt: skip
    return take, check


def fix_tempo(spec: Spec, take: Take, pcm: np.ndarray, dec: np.ndarray) -> tuple[Take, dict[str, Any]]:
    """Scale the truth by 1/tempo, then remove the filter's constant offset (atempo, rubberband), measured at
    every clear boundary."""
    k = 1 / spec.tempo
    scaled = take if k == 1 else take.but(f"ffmpeg atempo={spec.tempo:g}: truth times and duration scaled by {k:.6f}",
                                          segments=scale(take.segments, k), words=scale(take.words, k))  # fmt: skip
    starts, ends = boundary_errors(pcm.astype(np.float64), take.segments, dec, scaled.segments, spec.tempo, None)
    off = float(np.median(starts + ends))
    tool = "rubberband" if spec.encoding == "pitch" else "atempo"
    check = {f"{tool}_offset_ms": off, "boundaries_measured": len(starts) + len(ends)}
    if off:
        scaled = scaled.but(
            f"{tool} offset {off:+.0f} ms (median over {len(starts)} starts and {len(ends)} ends, envelope "
            f"cross-correlation against the source): truth shifted by it",
            segments=shift(scaled.segments, off / 1000),
            words=shift(scaled.words, off / 1000),
        )
    return scaled, check


def finish(spec: Spec, take: Take, out: Path) -> dict[str, Any]:
    """Encode, fix the truth for the codec/tempo, write the three files; the INDEX entry."""
    pcm, take = to_pcm(take)
    ext, args = ENCODINGS[spec.encoding]
    if spec.encoding == "tempo":
        args = ["-af", f"atempo={spec.tempo:g}", *args]
    if spec.encoding == "pitch":
        args = ["-af", f"rubberband=pitch={spec.params['pitch']:g}", *args]
    if spec.encoding == "mp3":
        args = [*args, "-b:a", spec.params["bitrate"]]
    dest = out / f"{spec.name}{ext}"
    encode(pcm, dest, args)
    dec = decode_audio(dest).astype(np.float64)
    before, check = take, {}
    if spec.encoding in ("mp3", "phone"):
        take, check = fix_codec_lag(spec, take, pcm, dec, dest)
    if spec.encoding in ("tempo", "pitch"):
        take, check = fix_tempo(spec, take, pcm, dec)
    if spec.encoding != "flac":
        starts, ends = boundary_errors(pcm.astype(np.float64), before.segments, dec, take.segments, spec.tempo)
        check.update(start_errors_ms=starts, end_errors_ms=ends)
        take = take.but(f"check: truth vs audio by envelope cross-correlation with the source, at {len(starts)} "
                        f"starts {starts} ms and {len(ends)} ends {ends} ms")  # fmt: skip
    duration = round(dec.size / SR, 7)
    truth = {
        "source": f"{take.source}; degraded by scripts/make_degraded.py ({spec.condition})",
        "license": take.license,
        "audio": dest.name,
        "duration": duration,
        "words": take.words,
        "segments": take.segments,
        "notes": " | ".join(take.notes),
    }
    (out / f"{spec.name}.truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False), encoding="utf-8")
    (out / f"{spec.name}.transcript.txt").write_text("".join(s["text"] + "\n" for s in take.segments), encoding="utf-8")
    return {
        "name": spec.name, "condition": spec.condition, "source": take.source.split(" (")[0].split(";")[0],
        "params": spec.params, "duration": duration, "audio": dest.name,
        "segments": len(take.segments), "absent": sum(1 for s in take.segments if s.get("absent")),
        "words": len(take.words), **({"check": check} if check else {}),
    }  # fmt: skip


def build(spec: Spec, seed: int, out: Path) -> dict[str, Any]:
    rng = np.random.default_rng([seed, zlib.crc32(spec.name.encode())])
    take = excerpt(spec.base) if spec.base in EXCERPTS else real(REAL[spec.base])
    for step in spec.steps:
        take = step(take, rng)
    return finish(spec, take, out)


def check_case(truth_path: Path) -> list[str]:
    """Consistency problems of one written case (empty when fine)."""
    name = truth_path.name.removesuffix(".truth.json")
    d = json.loads(truth_path.read_text(encoding="utf-8"))
    probs = []
    media = truth_path.parent / d["audio"]
    dur = d["duration"]
    if not media.is_file():
        return [f"{name}: audio {d['audio']} missing"]
    n = decode_audio(media).size / SR
    if abs(n - dur) > 0.001:
        probs.append(f"{name}: duration {dur} but the audio decodes to {n:.4f} s")
    lines = _lines(truth_path.parent / f"{name}.transcript.txt")
    if lines != [s["text"] for s in d["segments"]]:
        probs.append(f"{name}: transcript lines ({len(lines)}) differ from truth segment texts ({len(d['segments'])})")
    for kind, items in (("segment", d["segments"]), ("word", d["words"])):
        prev = 0.0
        for i, s in enumerate(items):
            if s.get("absent"):
                if "start" in s or "end" in s:
                    probs.append(f"{name}: absent {kind} {i} has times")
                continue
            if not 0 <= s["start"] <= s["end"] <= dur:
                probs.append(f"{name}: {kind} {i} [{s['start']}, {s['end']}] not in order or outside 0-{dur}")
            if s["start"] < prev - 1e-9:
                probs.append(f"{name}: {kind} {i} starts at {s['start']} before the previous end {prev}")
            prev = s["end"]
    return probs


def set_of(name: str) -> str:
    """The set a case name belongs to (by its prefix)."""
    return next((k for k, (cs, _) in SETS.items() if cs.prefix and name.startswith(cs.prefix)), "dev")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", choices=SETS, default="dev",
                    help="dev (for tuning), validation (held out), extreme (beyond the range: refuse or be unsure), "
                         "text (a transcript that differs from the speech word by word) or long (five to six minutes)")
    ap.add_argument("--out", help="output folder (outside the repository; default by --set: "
                    + ", ".join(f"{k} {cs.out}" for k, (cs, _) in SETS.items()) + ")")  # fmt: skip
    ap.add_argument("--seed", type=int, default=7, help="random seed")
    ap.add_argument("--only", metavar="SUBSTRING", help="build only the cases whose name or condition contains this")
    ap.add_argument("--list", action="store_true", help="print the cases and their conditions, build nothing")
    ap.add_argument("--check", action="store_true", help="only check the truth/transcripts already in --out")
    a = ap.parse_args()
    case_set, cases = SETS[a.set]
    todo = [s for s in cases() if not a.only or a.only in s.name or a.only in s.condition]
    if a.list:
        for s in todo:
            print(f"{s.name:34} {s.base:9} {s.encoding:5} {s.condition}  {json.dumps(s.params)}")
        return
    out = Path(a.out or case_set.out)
    out.mkdir(parents=True, exist_ok=True)
    index_path = out / "INDEX.json"
    old = {e["name"]: e for e in json.loads(index_path.read_text())["cases"]} if index_path.is_file() else {}
    if other := sorted(n for n in old if set_of(n) != a.set):
        raise SystemExit(f"{out} holds cases of another set ({other[0]}, ...): give --set or another --out")
    entries = dict(old) if a.only or a.check else {}
    if not a.check:
        for s in todo:
            entries[s.name] = build(s, a.seed, out)
        if not a.only:  # a full build: remove files of cases this script no longer makes
            for name in set(old) - set(entries):
                for p in out.glob(f"{name}.*"):
                    p.unlink()
    index = {
        "made_by": "scripts/make_degraded.py" + ("" if a.set == "dev" else f" --set {a.set}"),
        "seed": a.seed,
        "cases": sorted(entries.values(), key=lambda e: e["name"]),
    }
    index_path.write_text(json.dumps(index, indent=1), encoding="utf-8")
    problems = [p for e in index["cases"] for p in check_case(out / f"{e['name']}.truth.json")]
    total = sum(e["duration"] for e in index["cases"])
    print(json.dumps({
        "out": str(out),
        "written": [s.name for s in todo] if not a.check else [],
        "cases": len(index["cases"]),
        "total_duration_s": round(total, 1),
        "total_duration_min": round(total / 60, 2),
        "checks": {e["name"]: e["check"] for e in index["cases"] if "check" in e},
        "problems": problems,
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
