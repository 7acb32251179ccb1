"""No clip edge inside a word, in any mode, and every clip planned from its own request.

A seeded random sample of quotes and ranges is planned in every mode and with several
paddings (``--handle-before``/``--handle-after``), each alone and all together, and some
are really cut with ffmpeg; the clip's sound is then located in the source by
cross-correlation (``clips_truth.audio_edges``) to learn where it really starts and ends.

- On the 10-minute TTS video (../shared) the words are sample-exact truth and the
  alignment is made from it, so a failure is the planner's or the cut's, not an aligner's.
- On samples/interview.mp4 (in the tree, so CI runs it) the alignment comes from the
  speech engine and its own words are the reference.

Tolerances: a planned edge fails when it is more than 0.5 ms inside a word (the truth is
sample-exact, the alignment rounds it to ms; 0 ms against the alignment's own words); a
measured edge when more than 0.56 ms inside (that rounding plus one 16 kHz sample, the
measurement's precision). Fast mode has two honest exceptions, which must be in the
clip's notes: a start on a keyframe inside a word (no keyframe in a pause within 15 s
before it), and an end with no room within 8 words for a stream copy's last audio packet.
Planned edges are on the frame grid unless the notes say no pause nearby holds a frame
boundary.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from clips_truth import alignment_from_truth, audio_edges, inside_word, truth_words
from conftest import SAMPLES, shared_path

from clipper.clips.plan import ClipRequest, PlannedClip, PlanOptions, plan, stream_copy_packet
from clipper.media import keyframes_near, probe
from clipper.timecode import frames_to_ms, ms_to_frames
from clipper.workflow import cut

PADDINGS = ((0, 0), (80, 80), (250, 400), (1000, 1000))
MODES = ("accurate", "fast")
#: ms a measured edge may lie inside a word: the truth's rounding to ms plus one sample
MEASURE_TOL = 0.5 + 1000 / 16000


def _noted_inside(notes: Sequence[str], edge: str) -> bool:
    if edge == "start":
        return any("starts inside a word" in n or "may begin" in n for n in notes)
    return any("inside the next word" in n for n in notes)


def _requests(words: Sequence[Any], duration: int, rng: random.Random, n: int) -> list[ClipRequest]:
    """``n`` random quotes (1-15 consecutive words) and a few ranges (any ms)."""
    out = []
    for _ in range(n):
        i = rng.randrange(len(words))
        j = min(len(words) - 1, i + rng.randrange(15))
        text = " ".join(w.text for w in words[i : j + 1])
        out.append(ClipRequest("quote", text, words[i].start, words[j].end, text))
    for _ in range(max(1, n // 10)):
        a = rng.randrange(duration - 5000)
        out.append(ClipRequest("range", f"range {a}", a, a + rng.randrange(500, 5000)))
    return out


def _check_planned(c: PlannedClip, ref: list[tuple[float, float]], fps: Fraction | None, duration: int, mode: str, packet: int, tol: float) -> None:
    # what is heard: the span less the sound silenced where a frame edge lies in a word
    heard = {"start": c.span.start + c.mute_head, "end": c.span.end - c.mute_tail}
    for edge, t in (("start", c.span.start), ("end", c.span.end)):
        d = inside_word(heard[edge], ref, tol)
        assert not d or (mode == "fast" and _noted_inside(c.notes, edge)), (edge, heard[edge], d, c)
        if fps is not None and t != duration and not any(f"{edge} " in n and "not on a frame" in n for n in c.notes):
            assert frames_to_ms(ms_to_frames(t, fps), fps) == t, (edge, t, "not on a frame", c)
    if mode == "fast" and c.span.end < duration and not _noted_inside(c.notes, "end"):
        # a stream copy may run one audio packet past the end: still not into the next word
        assert not inside_word(c.span.end + packet, ref, tol), ("fast end + packet", c)


def _property(al: Any, ref: list[tuple[float, float]], info: Any, keys: list[int], n: int, seed: int, tol: float) -> dict[str, int]:
    """Plan ``n`` random requests per mode and padding, alone and together; check them all."""
    words = [w for s in al.segments for w in s.words if w.start is not None]
    fps = Fraction(info.fps_num, info.fps_den) if info.fps_num else None
    packet = stream_copy_packet(info.sample_rate)
    seen = {"clips": 0, "merged": 0, "fast_start_in_word": 0, "off_grid": 0, "extended": 0, "muted": 0}
    for mode in MODES:
        for pad in PADDINGS:
            reqs = _requests(words, info.duration, random.Random(f"{seed}{mode}{pad}"), n)
            opts = PlanOptions(handle_before=pad[0], handle_after=pad[1], mode=mode)
            kw: dict[str, Any] = {"fps": fps, "keyframes": keys if mode == "fast" else None, "audio_packet": packet}
            alone = [plan([r], al, info.duration, opts, **kw)[0] for r in reqs]
            for c in alone:
                _check_planned(c, ref, fps, info.duration, mode, packet, tol)
                seen["clips"] += 1
                seen["fast_start_in_word"] += _noted_inside(c.notes, "start")
                seen["off_grid"] += any("not on a frame" in x for x in c.notes)
                seen["extended"] += any("word(s): the pause" in x for x in c.notes)
                seen["muted"] += bool(c.mute_head or c.mute_tail)
            together = plan(reqs, al, info.duration, opts, **kw)
            for c in together:
                _check_planned(c, ref, fps, info.duration, mode, packet, tol)
                mine = [alone[k] for k in c.sources]
                if len(mine) == 1:
                    # asked for with all the others, a clip is the clip it is alone
                    assert c.span == mine[0].span and c.content == mine[0].content, (c, mine[0])
                else:
                    # only requests that ask for some of the same words are merged
                    seen["merged"] += 1
                    assert any("merged" in x for x in c.notes)
                    assert c.span.start == min(m.span.start for m in mine) and c.span.end == max(m.span.end for m in mine)
                    rs = sorted((reqs[k] for k in c.sources), key=lambda r: r.start)
                    assert all(b.start <= max(r.end for r in rs[:i + 1]) for i, b in enumerate(rs[1:])), rs
    return seen


def _measure(al: Any, ref: list[tuple[float, float]], media: Path, tmp: Path, quotes: Sequence[str], pad: tuple[int, int]) -> None:
    """Cut ``quotes`` in each mode through ``clipper cut``'s own path, then check where the
    sound of every clip really starts and ends."""
    info = probe(media)
    packet = stream_copy_packet(info.sample_rate)
    for mode in MODES:
        kw: dict[str, Any] = {"quotes": quotes, "mode": mode, "handle_before": pad[0], "handle_after": pad[1], "min_score": 90}
        planned = cut(media, al, tmp / "dry", dry_run=True, **kw).manifest.clips
        res = cut(media, al, tmp / mode, **kw)
        assert len(res.manifest.clips) == len(quotes) == len(planned)
        for p, c in zip(planned, res.manifest.clips, strict=True):
            notes = res.per_clip_notes.get(c.index, ())
            s, e = audio_edges(res.folder / c.file, media, c.source_start)
            # the sound starts where the plan (a keyframe in fast mode) says, to a sample;
            # it ends there too, or (a stream copy) within one audio packet after it
            assert abs(s - p.source_start) <= 1, (mode, p, s)
            assert p.source_end - 1 <= e <= p.source_end + (packet if mode == "fast" else 1), (mode, p, e)
            for edge, t in (("start", s + c.mute_head), ("end", e - c.mute_tail)):
                d = inside_word(t, ref, MEASURE_TOL)
                assert not d or (mode == "fast" and _noted_inside(notes, edge)), (mode, edge, t, d, c, notes)


# --------------------------------------------------------------------------------------
# the 10-minute video with word truth (../shared)

@pytest.fixture(scope="module")
def tts() -> dict[str, Any]:
    media = shared_path("bench", "tts", "seed_tts_10min.mp4")
    truth = shared_path("bench", "tts", "seed_tts_10min.truth.json")
    info = probe(media)
    return {
        "media": media,
        "info": info,
        "al": alignment_from_truth(truth, media=info),
        "truth": truth_words(truth),
        "keys": keyframes_near(media, info.duration, before=info.duration, after=0),
    }


def test_no_planned_edge_inside_a_word_on_the_10_minute_video(tts: dict[str, Any]) -> None:
    seen = _property(tts["al"], tts["truth"], tts["info"], tts["keys"], n=250, seed=11, tol=0.5)
    # what the sample exercised: the rules for short pauses and merges were reached
    assert seen["clips"] > 1000 and seen["extended"] > 0 and seen["merged"] > 0 and seen["muted"] > 0, seen


def test_cut_clips_sound_starts_and_ends_in_pauses_on_the_10_minute_video(tts: dict[str, Any], tmp_path: Path) -> None:
    words = [w for s in tts["al"].segments for w in s.words]
    rng = random.Random(3)
    quotes = []
    while len(quotes) < 4:
        i = rng.randrange(len(words) - 10)
        q = " ".join(w.text for w in words[i : i + rng.randint(2, 8)])
        if q not in quotes:
            quotes.append(q)
    _measure(tts["al"], tts["truth"], tts["media"], tmp_path, quotes, (80, 80))


# --------------------------------------------------------------------------------------
# samples/interview.mp4, aligned by the speech engine (runs without ../shared)

@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    import clipper

    media = SAMPLES / "interview.mp4"
    if not media.exists():
        pytest.skip("samples/interview.mp4 is not in the tree")
    info = probe(media)
    al = clipper.align_files(SAMPLES / "interview.txt", media, engine="speech")
    ref = sorted((float(w.start), float(w.end)) for s in al.segments for w in s.words if w.start is not None and w.end is not None)
    return {"media": media, "info": info, "al": al, "ref": ref, "keys": keyframes_near(media, info.duration, before=info.duration, after=0)}


def test_no_planned_edge_inside_a_word_on_the_sample(sample: dict[str, Any]) -> None:
    seen = _property(sample["al"], sample["ref"], sample["info"], sample["keys"], n=40, seed=5, tol=0.0)
    assert seen["clips"] > 300 and seen["extended"] > 0, seen


def test_cut_clips_sound_starts_and_ends_in_pauses_on_the_sample(sample: dict[str, Any], tmp_path: Path) -> None:
    _measure(sample["al"], sample["ref"], sample["media"], tmp_path, ["talking pretty fast here", "some speech errors"], (80, 80))


def _check_muted_edges(al: Any, media: Path, tmp: Path) -> None:
    """A clip whose frame edges fall inside the neighbouring words (words spoken together)
    plays silence there, and the source's sound from the pause on: cut for real, decoded,
    compared with the source."""
    import numpy as np

    from clipper.media import MUTE_RAMP, decode_audio

    words = [w for s in al.segments for w in s.words if w.start is not None]
    for i in range(1, len(words) - 3):
        span = f"{words[i].start / 1000:.3f}-{words[i + 2].end / 1000:.3f}"
        (c,) = cut(media, al, tmp / f"dry{i}", ranges=[span], handle_before=0, handle_after=0, dry_run=True).manifest.clips
        if c.mute_head >= 10:
            break
    else:
        pytest.fail("no pause without a frame boundary in this alignment")
    res = cut(media, al, tmp / "muted", ranges=[span], handle_before=0, handle_after=0)
    (m,) = res.manifest.clips
    assert (m.source_start, m.mute_head) == (c.source_start, c.mute_head)
    rate = 16000
    clip = decode_audio(res.folder / m.file, sample_rate=rate).astype(np.float64)
    src = decode_audio(media, sample_rate=rate, start=m.source_start, duration=m.duration).astype(np.float64)
    h = m.mute_head * rate // 1000
    def rms(x: Any) -> float:
        return float(np.sqrt(np.mean(x * x)))

    # the neighbouring word is there in the source and at least 20 dB down in the clip (AAC
    # leaks a little of the onset that follows into the silence before it)
    assert rms(clip[:h]) < rms(src[:h]) / 10, (rms(clip[:h]), rms(src[:h]), m)
    after = slice(h + MUTE_RAMP * rate // 1000, h + rate // 4)
    assert np.corrcoef(clip[after], src[after])[0, 1] > 0.99  # from the pause on, the source's sound


def test_a_frame_edge_inside_a_word_is_silenced_on_the_10_minute_video(tts: dict[str, Any], tmp_path: Path) -> None:
    _check_muted_edges(tts["al"], tts["media"], tmp_path)


def test_a_frame_edge_inside_a_word_is_silenced_on_the_sample(sample: dict[str, Any], tmp_path: Path) -> None:
    _check_muted_edges(sample["al"], sample["media"], tmp_path)


def _spans(sample: dict[str, Any], tmp: Path, quotes: list[str], mode: str, pad: tuple[int, int]) -> list[tuple[int, int]]:
    res = cut(sample["media"], sample["al"], tmp / "d", quotes=quotes, mode=mode, handle_before=pad[0], handle_after=pad[1],
              min_score=80, dry_run=True)  # fmt: skip
    return [(c.source_start, c.source_end) for c in res.manifest.clips]


def test_a_clip_is_the_same_alone_or_cut_with_others(sample: dict[str, Any], tmp_path: Path) -> None:
    """Through ``clipper cut``'s own path (find, keyframes looked up per clip, plan)."""
    q = "nothing going else going on"
    # the quotes just before and after it, and one further away
    others = ["talking pretty fast here", q, "just y'know", "there's some speech errors"]
    for mode in MODES:
        for pad in ((0, 0), (80, 80), (1000, 1000)):
            (alone,) = _spans(sample, tmp_path, [q], mode, pad)
            together = _spans(sample, tmp_path, others, mode, pad)
            assert len(together) == 4 and alone in together, (mode, pad, alone, together)
