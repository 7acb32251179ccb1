"""clipper.vad on numpy-made signals with known speech and pauses (no files needed)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from clipper import vad

SR = 16000


def _speechlike(ms: int, rng: np.random.Generator, f0: float = 140.0) -> np.ndarray:
    """A voiced, syllable-modulated harmonic signal: webrtcvad calls it speech."""
    t = np.arange(ms * SR // 1000) / SR
    x = sum(np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, 12))
    env = 0.55 + 0.45 * np.sin(2 * np.pi * 4.0 * t - np.pi / 2) ** 2
    return x * env * 4000 + rng.standard_normal(t.shape[0]) * 300


def build(layout: list[tuple[str, int]], seed: int = 1) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Concatenate ("speech"|"pause"|"noise", ms) parts over a -55 dBFS floor; speech spans (ms)."""
    rng = np.random.default_rng(seed)
    parts = []
    spans = []
    t = 0
    for kind, ms in layout:
        n = ms * SR // 1000
        if kind == "speech":
            parts.append(_speechlike(ms, rng))
            spans.append((t, t + ms))
        elif kind == "noise":
            parts.append(rng.standard_normal(n) * 800)
        else:
            parts.append(np.zeros(n))
        t += ms
    x = np.concatenate(parts) + rng.standard_normal(t * SR // 1000) * 32768 * 10 ** (-55 / 20)
    return np.clip(x, -32768, 32767).astype(np.int16), spans


LAYOUT = [("pause", 700), ("speech", 1200), ("pause", 300), ("speech", 800), ("pause", 90), ("speech", 600), ("pause", 1000)]


def test_regions_match_known_speech() -> None:
    x, spans = build(LAYOUT)
    track = vad.activity_from_samples(x)
    assert track.frames == len(x) // 160
    assert track.duration == len(x) // 16
    regs = vad.speech_regions(track, refine=True)
    got = [x for r in regs for x in (r.start, r.end)]
    assert got == pytest.approx([x for sp in spans for x in sp], abs=25)


def test_short_pause_is_bridged_below_min_pause() -> None:
    x, spans = build(LAYOUT)
    track = vad.activity_from_samples(x)
    regs = vad.speech_regions(track, min_pause_ms=150)
    assert len(regs) == 2  # the 90 ms pause is not a boundary at 150 ms
    assert abs(regs[1].start - spans[1][0]) <= 30 and abs(regs[1].end - spans[2][1]) <= 30


def test_nearest_onset_offset_and_refine() -> None:
    x, spans = build(LAYOUT)
    track = vad.activity_from_samples(x)
    on = vad.nearest_onset(track, spans[1][0] + 120, within=200)
    off = vad.nearest_offset(track, spans[0][1] - 150, within=200)
    assert on is not None and abs(on - spans[1][0]) <= 15
    assert off is not None and abs(off - spans[0][1]) <= 15
    assert vad.nearest_onset(track, 200, within=100) is None  # only silence there
    assert abs(vad.refine_onset(track, spans[0][0] + 10) - spans[0][0]) <= 10


def test_silence_and_tiny_input() -> None:
    track = vad.activity_from_samples(np.zeros(SR, dtype=np.int16))
    assert not track.speech.any()
    assert vad.speech_regions(track) == []
    empty = vad.activity_from_samples(np.zeros(0, dtype=np.int16))
    assert empty.frames == 0 and vad.speech_regions(empty) == []


def test_bad_frame_size() -> None:
    from clipper.errors import InputError

    with pytest.raises(InputError):
        vad.activity_from_samples(np.zeros(160, dtype=np.int16), frame_ms=15)


def test_streamed_decode_matches_in_memory(tmp_path) -> None:
    """frame_activity over a real file (ffmpeg) equals the in-memory analysis; parallel pieces too."""
    import subprocess

    from clipper.media import ffmpeg_binary

    x, spans = build(LAYOUT * 3)
    wav = tmp_path / "x.wav"
    subprocess.run([ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-f", "s16le", "-ar", "16000", "-ac", "1", "-i", "-", str(wav)], input=x.tobytes(), check=True)
    mem = vad.activity_from_samples(x)
    one = vad.frame_activity(wav)
    two = vad.frame_activity(wav, jobs=2, media_duration=len(x) // 16)
    assert one.frames == mem.frames
    assert np.array_equal(one.speech, mem.speech)
    assert two.frames == mem.frames
    assert [(r.start, r.end) for r in vad.speech_regions(two)] == [(r.start, r.end) for r in vad.speech_regions(mem)]


def test_raw_file_matches_in_memory(tmp_path) -> None:
    """activity_from_raw (the speech engine's decoded copy) equals the in-memory analysis,
    and its pieces (a 3-minute file: 3) are the same in one process or two: the same flags."""
    x, _ = build(LAYOUT * 3)
    raw = tmp_path / "x.s16"
    raw.write_bytes(x.tobytes())
    mem = vad.activity_from_samples(x)
    one = vad.activity_from_raw(raw)
    assert one.frames == mem.frames and one.duration == mem.duration
    assert np.array_equal(one.speech, mem.speech) and np.array_equal(one.fine, mem.fine)
    long = np.tile(x, -(-180 * SR // len(x)))[: 180 * SR]
    raw.write_bytes(long.tobytes())
    said: list[int] = []
    whole = vad.activity_from_raw(raw, progress=lambda label, done, total: said.append(done))
    ref = vad.activity_from_samples(long)
    assert said == [60_000, 120_000, 180_000]
    two = vad.activity_from_raw(raw, jobs=2)
    for got in (whole, two):
        assert got.frames == ref.frames
        assert np.array_equal(got.vad, ref.vad) and np.array_equal(got.speech, ref.speech)
        assert np.array_equal(got.energy, ref.energy) and np.array_equal(got.fine, ref.fine)
    (tmp_path / "empty.s16").write_bytes(b"")
    assert vad.activity_from_raw(tmp_path / "empty.s16").frames == 0


def test_pieces_follow_the_length_not_the_workers() -> None:
    # at most 8 pieces of at least a minute, whole seconds, the remainder in the last piece:
    # an 88.7 s file is one piece (two workers made it 88 s and a 0.7 s stub)
    assert vad._piece_bounds(88_678) == (88_000, [0])
    assert vad._piece_bounds(500) == (1000, [0])
    step, bounds = vad._piece_bounds(598_066)
    assert (step, len(bounds)) == (74_000, 8) and bounds[-1] == 7 * 74_000
    step, bounds = vad._piece_bounds(8 * 3_600_000 + 5)
    assert (step, len(bounds)) == (3_600_000, 8)


def test_offsets_use_a_longer_window_in_noise() -> None:
    """Clean audio keeps 5 ms at 8 dB for offsets; at a low SNR the window grows and the threshold drops."""
    x, spans = build(LAYOUT)
    clean = vad.activity_from_samples(x)
    assert (clean.tail_win, clean.tail_db) == (5, 8.0)
    rng = np.random.default_rng(2)
    noisy = x.astype(np.float64) + rng.standard_normal(x.shape[0]) * 500
    track = vad.activity_from_samples(np.clip(noisy, -32768, 32767).astype(np.int16))
    assert track.tail_win > 5 and track.tail_db < 8.0
    off = vad.refine_offset(track, spans[0][1] - 20)
    assert abs(off - spans[0][1]) <= 60


def test_block_percentiles_are_numpys_nanpercentile_exactly() -> None:
    # the one-sort version must give numpy's values bit for bit (thresholds compare with them):
    # NaN frames (speech masked out), all-NaN blocks, ties and a short last block
    rng = np.random.default_rng(7)
    for per_block in (1, 7, 100):
        e = rng.normal(-50, 10, 1234).astype(np.float32)
        e[::3] = np.round(e[::3])
        e[rng.random(e.shape[0]) < 0.6] = np.nan
        e[200:420] = np.nan
        nb = -(-e.shape[0] // per_block)
        padded = np.concatenate([e, np.full(nb * per_block - e.shape[0], np.nan, np.float32)]).reshape(nb, per_block)
        got = vad._block_stat(e, per_block, 10, 90)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # numpy warns of all-NaN blocks
            want = [np.nanpercentile(padded, q, axis=1).astype(np.float32) for q in (10, 90)]
        for g, w in zip(got, want, strict=True):
            assert g.dtype == np.float32
            assert np.array_equal(g, w, equal_nan=True)
