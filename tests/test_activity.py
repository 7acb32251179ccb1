"""The activity engine on synthetic speech-like audio with known segment times."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import shared_path
from test_vad import SR, _speechlike

from clipper import vad
from clipper.align import AlignRequest, Anchor
from clipper.align.activity import align_track, units
from clipper.model import MediaInfo, Segment, Transcript, Word
from clipper.text import spoken_tokens

TEXTS = [
    "Hello everyone",
    "In this episode we have come to New York",
    "It is the Chinese New Year right now",
    "[laughter]",
    "New York just had a heavy snowfall",
    "Mm",
    "So the streets are still covered with ice",
    "and we are recording in a small studio in Brooklyn today",
    "Right",
    "Let us begin with the first question",
]


def transcript(texts: list[str]) -> Transcript:
    return Transcript(tuple(Segment(i, t, tuple(Word(w) for w in spoken_tokens(t))) for i, t in enumerate(texts)))


def render(texts: list[str], seed: int = 3, rate: float = 130.0) -> tuple[np.ndarray, list[tuple[int, int] | None]]:
    """Speech-like bursts as long as each text's units say (+-15%), pauses 150-700 ms; a note is a noise burst."""
    rng = np.random.default_rng(seed)
    parts = [np.zeros(SR)]
    t = 1000
    truth: list[tuple[int, int] | None] = []
    for text in texts:
        toks = spoken_tokens(text)
        if toks:
            ms = int(units(toks) * rate * rng.uniform(0.85, 1.15))
            parts.append(_speechlike(ms, rng, f0=rng.uniform(110, 180)))
        else:
            ms = 600
            parts.append(rng.standard_normal(ms * SR // 1000) * 600)
        truth.append((t, t + ms) if toks else None)
        t += ms
        gap = int(rng.uniform(150, 700))
        parts.append(np.zeros(gap * SR // 1000))
        t += gap
    parts.append(np.zeros(SR))
    x = np.concatenate(parts)
    x = x + rng.standard_normal(x.shape[0]) * 32768 * 10 ** (-55 / 20)
    return np.clip(x, -32768, 32767).astype(np.int16), truth


def run(texts: list[str], anchors: list[Anchor] | None = None, seed: int = 3):
    x, truth = render(texts, seed)
    track = vad.activity_from_samples(x)
    media = MediaInfo(path="synthetic.wav", duration=len(x) // 16)
    al = align_track(AlignRequest(transcript(texts), media=media, anchors=anchors or ()), track)
    return al, truth


def test_places_every_spoken_segment_near_truth() -> None:
    al, truth = run(TEXTS)
    for s, tr in zip(al.segments, truth, strict=True):
        if tr is None:
            continue
        assert s.placed
        assert abs(s.start - tr[0]) <= 30 and abs(s.end - tr[1]) <= 30, (s.text, s.start, s.end, tr)
    starts = [s.start for s in al.segments if s.placed]
    assert starts == sorted(starts)  # never reordered
    assert al.stats["warnings"] == []


def test_note_takes_the_noise_burst_and_does_not_shift_neighbours() -> None:
    al, truth = run(TEXTS)
    note = al.segments[3]
    prev, nxt = truth[2], truth[4]
    assert prev is not None and nxt is not None
    assert note.placed and prev[1] <= note.start < note.end <= nxt[0]
    assert abs(al.segments[4].start - nxt[0]) <= 30
    assert abs(al.segments[2].end - prev[1]) <= 30


def test_confidence_is_reported_and_words_spread() -> None:
    al, _ = run(TEXTS)
    for s in al.segments:
        if s.spoken:
            assert s.confidence is not None and 0.0 <= s.confidence <= 1.0
            assert all(w.start is not None for w in s.words)
            assert s.words[0].start == s.start and s.words[-1].end == s.end


def test_correct_anchor_is_used_and_wrong_anchor_is_a_conflict() -> None:
    texts = TEXTS * 4
    _, truth = run(texts)
    t6 = truth[6]
    assert t6 is not None
    good, _ = run(texts, [Anchor("So the streets are still covered with ice", t6[0])])
    assert good.stats["anchors"][0]["used"] is True
    assert not any("conflict" in w for w in good.stats["warnings"])
    t26 = truth[26]
    assert t26 is not None
    bad, _ = run(texts, [Anchor(texts[26], t26[0] + 10_000)])
    assert any("conflict" in w for w in bad.stats["warnings"])
    assert bad.stats["anchors"][0]["used"] is False
    assert abs(bad.segments[26].start - t26[0]) <= 30  # the alignment did not bend


def test_no_speech_places_nothing_and_says_so() -> None:
    track = vad.activity_from_samples(np.zeros(SR * 3, dtype=np.int16))
    al = align_track(AlignRequest(transcript(TEXTS), media=MediaInfo("x.wav", 3000)), track)
    assert al.stats["placed"] == 0
    assert al.stats["warnings"]


def test_units_counts_syllables_words_and_pauses() -> None:
    assert units(["Hello", "everyone"]) < units(["Hello,", "everyone"])
    assert units(["SJTU"]) > units(["sjtu"])
    assert units(["你好世界"]) == pytest.approx(4 + 0.6 + 1.2)
    assert units([]) == 0.0


def test_the_times_do_not_depend_on_the_number_of_workers() -> None:
    # the activity pass is cut into pieces by the media's length alone, and one worker
    # analyses the same pieces in turn: -j 1 and -j 3 give the same times, line for line
    # (pieces a worker, with a remainder piece of its own, gave other flags for each)
    from clipper import media
    from clipper import read as formats
    from clipper.align import align

    base = shared_path("bench", "tts")
    tr = formats.load(base / "seed_tts_10min.transcript.txt", segmentation="lines")
    info = media.probe(base / "seed_tts_10min.mp4")
    got = [[(s.start, s.end, s.confidence) for s in align(AlignRequest(tr, media=info, jobs=j), "activity").segments] for j in (1, 3)]
    assert got[0] == got[1] and sum(a is not None for a, _, _ in got[0]) > 250


def test_tts_10min_meets_the_bar() -> None:
    """The real decode path on the 10-minute synthetic-speech benchmark (needs ../shared)."""
    from clipper import media
    from clipper import read as formats
    from clipper.align import align

    base = shared_path("bench", "tts")
    tr = formats.load(base / "seed_tts_10min.transcript.txt", segmentation="lines")
    truth = json.loads((base / "seed_tts_10min.truth.json").read_text())
    info = media.probe(base / "seed_tts_10min.mp4")
    al = align(AlignRequest(tr, media=info, jobs=2), "activity")
    errs = []
    for s, g in zip(al.segments, truth["segments"], strict=True):
        if g["scored"]:
            assert s.placed
            errs += [abs(s.start - g["start"] * 1000), abs(s.end - g["end"] * 1000)]
    errs_a = np.array(errs)
    assert np.median(errs_a) <= 5
    assert np.percentile(errs_a, 90) <= 25
    assert np.mean(errs_a <= 100) >= 0.98
    notes = [s for s, g in zip(al.segments, truth["segments"], strict=True) if not g["scored"] and s.placed]
    for s in notes:
        g = truth["segments"][s.id]
        assert abs(s.start - g["start"] * 1000) <= 100


def test_range_max_matches_brute_force() -> None:
    from clipper.align.activity import _RangeMax

    rng = np.random.default_rng(5)
    v = rng.random(300)
    rm = _RangeMax(v)
    lo = rng.integers(0, 300, 400)
    hi = rng.integers(0, 301, 400)
    want = np.array([v[a:b].max() if b > a else 0.0 for a, b in zip(lo, hi, strict=True)])
    assert np.array_equal(rm.query(lo, hi), want)


def test_short_segments_get_a_wider_length_spread() -> None:
    from clipper.align.activity import Weights, seg_sigma

    s = seg_sigma(np.array([3.0, 12.0, 40.0]), Weights())
    assert s[0] > s[1] > s[2]
    assert s[1] == pytest.approx(Weights().sigma)


def test_pruned_run_counts_give_the_same_placement() -> None:
    """Only pairs within exp(fit_span) of the expected length are scored: same answer as scoring all."""
    from clipper.align.activity import Weights, _plan, place, regions_from_track

    x, _ = render(TEXTS * 3)
    track = vad.activity_from_samples(x)
    reg = regions_from_track(track)
    plan = _plan(transcript(TEXTS * 3).segments)
    expected = np.array(plan.units) * 130.0
    pruned = place(reg, expected, note_after=np.array(plan.note_after), weights=Weights())
    full = place(reg, expected, note_after=np.array(plan.note_after), weights=Weights(fit_span=50.0))
    assert np.array_equal(pruned.p, full.p) and np.array_equal(pruned.q, full.q)


def test_anchor_changes_only_its_neighbourhood() -> None:
    """An anchor re-places around itself; segments far away keep their times exactly."""
    texts = TEXTS * 4
    base, truth = run(texts)
    t16 = truth[16]
    assert t16 is not None
    # a slightly-off (but correct within tolerance) anchor: the audio's onset wins
    anchored, _ = run(texts, [Anchor(texts[16], t16[0] + 120)])
    assert anchored.stats["anchors"][0]["used"] is True
    assert abs(anchored.segments[16].start - t16[0]) <= 30
    for k in list(range(0, 6)) + list(range(30, len(texts))):
        assert (anchored.segments[k].start, anchored.segments[k].end) == (base.segments[k].start, base.segments[k].end)


def test_cross_check_flags_split_evidence() -> None:
    al, _ = run(TEXTS * 2)
    assert "cross_check_unsure" in al.stats
    assert al.stats["cross_check_unsure"] >= 0
