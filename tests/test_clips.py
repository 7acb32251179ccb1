"""The pure clip plan and the manifest (clipper.clips)."""

from __future__ import annotations

import json
from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clipper.clips.plan import (
    ClipRequest,
    Manifest,
    ManifestClip,
    PlanOptions,
    clip_alignment,
    clip_subtitles,
    load_manifest,
    manifest_to_csv,
    parse_range,
    plan,
    save_manifest,
    slug,
)
from clipper.errors import InputError, ParseError
from clipper.model import Alignment, MediaInfo, Segment, Span, Transcript, Word

# Two segments; pauses: 100 ms inside the first sentence, 600 ms between them.
WORDS = [("Hello", 500, 900), ("there", 1000, 1400), ("world.", 1500, 2000), ("This", 2600, 2900), ("is", 3000, 3200), ("a", 3300, 3400), ("test.", 3500, 4000)]
SEGS = (
    Segment(0, "Hello there world.", tuple(Word(*w) for w in WORDS[:3]), 500, 2000),
    Segment(1, "This is a test.", tuple(Word(*w) for w in WORDS[3:]), 2600, 4000),
)
AL = Alignment(Transcript(SEGS), engine="t", media=MediaInfo("x.mp4", 6000, has_video=True, fps_num=25, fps_den=1))


def test_handles_stop_in_the_pause_before_a_word():
    (c,) = plan([ClipRequest("quote", "This is a test", 2600, 4000)], AL, 6000, PlanOptions(handle_before=1000, handle_after=1000))
    # start: 1000 ms before 2600 would reach "world." (ends 2000): stops at the middle of
    # the pause; the end has no word after it, so the whole handle is kept
    assert c.span.start == 2300
    assert c.span.end == 5000
    assert (c.handle_before, c.handle_after) == (300, 1000)
    assert c.name == "01-this-is-a-test"


def test_short_pause_edge_is_its_middle_and_sentence_snap():
    # "there world." starts one word into the sentence: extended back to "Hello"
    (c,) = plan([ClipRequest("quote", "there world", 1000, 2000)], AL, 6000, PlanOptions(handle_before=300, handle_after=300))
    assert c.content.start == 500 and any("sentence start" in n for n in c.notes)
    assert c.span.start == 200
    # end: 300 ms after 2000 lies in the 600 ms pause before "This"
    assert c.span.end == 2300
    # with sentence_words=0 the edges stay, at the middle of the 100 ms pauses around "there"
    (c,) = plan([ClipRequest("quote", "there", 1000, 1400)], AL, 6000, PlanOptions(handle_before=300, handle_after=300, sentence_words=0))
    assert (c.span.start, c.span.end) == (950, 1450)


def test_frames_and_fast_keyframes():
    (c,) = plan([ClipRequest("quote", "q", 2600, 4000)], AL, 6000, PlanOptions(handle_before=250, handle_after=250), fps=Fraction(25))
    assert c.span.start % 40 == 0 and c.span.end % 40 == 0
    assert 2000 < c.span.start <= 2350 and 4250 <= c.span.end < 4290
    (f,) = plan(
        [ClipRequest("quote", "q", 2600, 4000)], AL, 6000, PlanOptions(mode="fast", handle_before=250, handle_after=250), fps=Fraction(25), keyframes=[0, 2000, 4000]
    )
    assert f.span.start == 2000 and any("keyframe" in n for n in f.notes)
    with pytest.raises(InputError, match="keyframes"):
        plan([ClipRequest("quote", "q", 2600, 4000)], AL, 6000, PlanOptions(mode="fast"), fps=Fraction(25), keyframes=[])


def test_range_keeps_words_whole_and_outside_is_an_error():
    (c,) = plan([ClipRequest("range", "r", 1200, 3100)], AL, 6000, PlanOptions(handle_before=0, handle_after=0))
    assert (c.span.start, c.span.end) == (1000, 3200)  # "there" and "is" kept whole
    with pytest.raises(InputError, match="outside the media"):
        plan([ClipRequest("range", "r", 7000, 8000)], AL, 6000)
    with pytest.raises(InputError, match="ends after the media"):
        plan([ClipRequest("range", "r", 5000, 8000)], AL, 6000)


def test_overlapping_clips_merge_and_names_are_unique():
    reqs = [ClipRequest("quote", "Same", 2600, 4000), ClipRequest("quote", "Same", 500, 2000), ClipRequest("quote", "Same", 3000, 3400)]
    cs = plan(reqs, AL, 6000, PlanOptions(handle_before=0, handle_after=0, sentence_words=0))
    assert [c.index for c in cs] == [1, 2]
    assert cs[1].label == "Same + Same" and any("merged" in n for n in cs[1].notes)
    far = plan([ClipRequest("quote", "Same", 500, 900), ClipRequest("quote", "Same", 3500, 4000)], AL, 6000, PlanOptions(sentence_words=0))
    assert [c.name for c in far] == ["01-same", "02-same-2"]


def test_slug():
    assert slug("Turned down OpenAI for FAIR twice") == "turned-down-openai-for-fair"
    assert slug("") == "clip"


def test_parse_range():
    assert parse_range("1:00-1:30.5") == (60_000, 90_500)
    assert parse_range("62-90") == (62_000, 90_000)
    for bad in ("1:00", "2:00-1:00", "a-b"):
        with pytest.raises(InputError):
            parse_range(bad)


@st.composite
def timelines(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(1, 25))
    t = draw(st.integers(0, 2000))
    words = []
    for i in range(n):
        t += draw(st.integers(0, 1500))
        d = draw(st.integers(40, 900))
        words.append(Word(f"w{i}." if draw(st.booleans()) else f"w{i}", t, t + d))
        t += d
    duration = t + draw(st.integers(0, 3000))
    return words, max(duration, 1)


def _on_grid(ms: int, fps: Fraction) -> bool:
    from clipper.timecode import frames_to_ms, ms_to_frames

    return frames_to_ms(ms_to_frames(ms, fps), fps) == ms


@given(timelines(), st.data())
@settings(max_examples=200, deadline=None)
def test_plan_never_cuts_a_word_and_each_clip_is_planned_alone(tl, data):  # type: ignore[no-untyped-def]
    words, duration = tl
    seg = Segment(0, " ".join(w.text for w in words), tuple(words), words[0].start, words[-1].end)
    al = Alignment(Transcript((seg,)), engine="t")
    reqs = []
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(words) - 1))
        j = data.draw(st.integers(i, len(words) - 1))
        reqs.append(ClipRequest("quote", f"q{i}", words[i].start, words[j].end))  # type: ignore[arg-type]
    fps = data.draw(st.sampled_from([None, Fraction(25), Fraction(30000, 1001)]))
    mode = data.draw(st.sampled_from(["accurate", "fast"])) if fps is not None else "accurate"
    keys = None
    if fps is not None and mode == "fast":
        from clipper.timecode import frames_to_ms

        keys = sorted({0, *(frames_to_ms(f, fps) for f in data.draw(st.lists(st.integers(0, int(duration * fps / 1000)), max_size=8)))})
    opts = PlanOptions(handle_before=data.draw(st.integers(0, 2000)), handle_after=data.draw(st.integers(0, 2000)), mode=mode)
    clips = plan(reqs, al, duration, opts, fps=fps, keyframes=keys, audio_packet=24)
    for a, b in zip(clips, clips[1:], strict=False):
        assert (a.span.start, a.span.end) <= (b.span.start, b.span.end)
    alone = {r: plan([r], al, duration, opts, fps=fps, keyframes=keys, audio_packet=24)[0] for r in reqs}
    for c in clips:
        assert 0 <= c.span.start < c.span.end <= duration
        assert c.span.start <= c.content.start and c.content.end <= c.span.end
        said = " ".join(c.notes)
        mine = [r for r in reqs if r.start == c.requested.start and r.end == c.requested.end]
        if "merged" not in said:
            # asked alone or with others, a clip is the same
            assert mine and all(alone[r].span == c.span for r in mine), (c, mine)
        # the sound heard: the span less what is silenced at either end (accurate mode,
        # where a frame edge falls inside a neighbouring word)
        heard = (c.span.start + c.mute_head, c.span.end - c.mute_tail)
        assert c.mute_head < 1000 / fps if fps else c.mute_head == 0
        assert c.mute_tail < 1000 / fps if fps else c.mute_tail == 0
        assert mode == "accurate" or c.mute_head == c.mute_tail == 0
        for edge in heard:
            # no edge strictly inside a word (a fast start on a keyframe inside one is said)
            inside = [w for w in words if w.start < edge < w.end]  # type: ignore[operator]
            if inside:
                assert mode == "fast" and edge == c.span.start and "inside a word" in said, (edge, inside, c)
        for edge in (c.span.start, c.span.end):
            if fps is not None and "not on a frame" not in said and edge != duration:
                assert _on_grid(edge, fps), (edge, c)
        if mode == "fast" and c.span.end < duration and "stream copy may end" not in said:
            # a stream copy may run one audio packet past the end: still before the next word
            assert not [w for w in words if w.start < c.span.end + 24 < w.end]  # type: ignore[operator]


def test_clip_alignment_and_subtitles_are_rebased_to_zero():
    sub = clip_alignment(AL, __import__("clipper.model").model.Span(1450, 4200))
    assert [s.text for s in sub.segments] == ["world.", "This is a test."]
    assert sub.segments[0].start == 50 and sub.segments[-1].end == 2550
    srt, vtt = clip_subtitles(AL, __import__("clipper.model").model.Span(2040, 4400), (25, 1))
    assert srt.startswith("1\n00:00:00,560 --> ")
    assert vtt.startswith("WEBVTT")


def _manifest() -> Manifest:
    c = ManifestClip(index=1, name="01-a", file="01-a.mp4", label='Say "hi", ok', kind="quote", source_start=1000, source_end=4000,
                     requested_start=1250, requested_end=3600, handle_before=250, handle_after=400, srt="01-a.srt",
                     vtt="01-a.vtt", text="hi, there")  # fmt: skip
    return Manifest(media="/abs/x.mp4", fps=(25, 1), mode="accurate", clips=(c,))


def test_manifest_round_trip_and_csv(tmp_path):
    m = _manifest()
    save_manifest(m, tmp_path)
    assert load_manifest(tmp_path) == m
    assert load_manifest(tmp_path / "manifest.json") == m
    assert (tmp_path / "manifest.csv").read_text() == manifest_to_csv(m)
    assert manifest_to_csv(m) == (
        "index,name,file,label,kind,source_start,source_end,duration,requested_start,requested_end,"
        "handle_before,handle_after,mute_head,mute_tail,srt,vtt,text,source_start_s,source_end_s,duration_s,requested_start_s,requested_end_s\n"
        '1,01-a,01-a.mp4,"Say ""hi"", ok",quote,1000,4000,3000,1250,3600,250,400,0,0,01-a.srt,01-a.vtt,"hi, there",1.000,4.000,3.000,1.250,3.600\n'
    )

    d = json.loads((tmp_path / "manifest.json").read_text())
    assert list(d) == ["clipper_manifest", "media", "fps", "mode", "clips"]
    assert list(d["clips"][0]) == [
        "index", "name", "file", "label", "kind", "source_start", "source_end", "duration", "requested_start",
        "requested_end", "handle_before", "handle_after", "mute_head", "mute_tail", "srt", "vtt", "text",
    ]


def test_manifest_is_read_by_the_exporter(tmp_path):
    import clipper.export.manifest as export_manifest
    save_manifest(_manifest(), tmp_path)
    m = export_manifest.load_manifest(tmp_path / "manifest.json")
    assert m.clips[0].source_start == 1000 and m.clips[0].name == "01-a"


def test_clips_whose_handles_would_overlap_stop_at_the_middle_of_the_pause():
    reqs = [ClipRequest("quote", "one", 500, 2000), ClipRequest("quote", "two", 2600, 4000)]
    opts = PlanOptions(handle_before=500, handle_after=500)
    a, b = plan(reqs, AL, 6000, opts, fps=Fraction(25))
    # the pause 2000-2600 has its middle at 2300, between frames: each edge keeps to its half
    assert (a.span.end, b.span.start) == (2280, 2320)
    assert a.content == a.requested and b.content == b.requested
    # each is the clip it would be alone
    assert [plan([r], AL, 6000, opts, fps=Fraction(25))[0].span for r in reqs] == [a.span, b.span]
    assert not any("shares" in n for n in (*a.notes, *b.notes))


def test_fast_mode_skips_a_keyframe_inside_a_word():
    # keyframe 1200 lies inside "there" (1000-1400): the clip starts at the earlier one, 0
    (c,) = plan(
        [ClipRequest("quote", "q", 1500, 2000)], AL, 6000, PlanOptions(mode="fast", sentence_words=0), fps=Fraction(25), keyframes=[0, 1200, 4000]
    )
    assert c.span.start == 0


def test_one_manifest_model_for_cutting_and_exporting(tmp_path):
    """clips.py and export/manifest.py once had a manifest each, validated differently."""
    import clipper.clips
    import clipper.clips.manifest
    import clipper.export

    for name in ("Manifest", "ManifestClip", "load_manifest"):
        assert getattr(clipper.clips, name) is getattr(clipper.clips.manifest, name) is getattr(clipper.export, name)
    bad = json.dumps({"clipper_manifest": 1, "media": "/x.mp4", "clips": [{"name": "a", "source_start": 4000, "source_end": 1000}]})
    (tmp_path / "manifest.json").write_text(bad, encoding="utf-8")
    with pytest.raises(ParseError, match="0 <= start < end"):
        clipper.clips.load_manifest(tmp_path)


def test_words_spoken_together_are_cut_on_a_frame_with_the_sliver_silenced():
    # "two" and "three" touch their neighbours; 1650-1700 is the only short pause
    words = [("One", 1000, 1210), ("two", 1210, 1430), ("three", 1430, 1650), ("four.", 1700, 2000)]
    seg = Segment(0, "One two three four.", tuple(Word(*w) for w in words), 1000, 2000)
    al = Alignment(Transcript((seg,)), engine="t")
    req = [ClipRequest("quote", "three", 1430, 1650)]
    opts = PlanOptions(handle_before=0, handle_after=0, sentence_words=0)
    (c,) = plan(req, al, 3000, opts, fps=Fraction(25))
    # no frame boundary at 1430: the clip starts on the frame before (1400) with its first
    # 30 ms (the end of "two") silenced; the end on the frame at 1680, in the 1650-1700 pause
    assert (c.span.start, c.span.end) == (1400, 1680) and c.content == Span(1430, 1650)
    assert (c.mute_head, c.mute_tail) == (30, 0) and any("first 30 ms silenced" in n for n in c.notes)
    # a stream copy may run 24 ms past its end: 1680 + 24 would reach "four.", so it is taken in
    (f,) = plan(req, al, 3000, replace(opts, mode="fast"), fps=Fraction(25), keyframes=[0], audio_packet=24)
    assert f.span == Span(0, 2000) and any("audio packet" in n for n in f.notes)
    # without video there is no frame grid: the edges are the words' own
    (a,) = plan(req, al, 3000, opts)
    assert (a.span.start, a.span.end) == (1430, 1650)


def test_overlapping_requests_merge_others_are_kept_as_alone():
    reqs = [ClipRequest("quote", "a", 1000, 1400), ClipRequest("quote", "b", 1000, 2000), ClipRequest("quote", "c", 2600, 2900)]
    opts = PlanOptions(handle_before=0, handle_after=0, sentence_words=0)
    merged, other = plan(reqs, AL, 6000, opts)
    assert merged.label == "a + b" and merged.sources == (0, 1) and any("merged" in n for n in merged.notes)
    assert other.span == plan([reqs[2]], AL, 6000, opts)[0].span and other.sources == (2,)
    with pytest.raises(InputError, match="overlaps"):
        plan(reqs, AL, 6000, replace(opts, merge=False))
    # sentence snapping makes two clips share words: both kept, the notes say so
    x, y = plan([ClipRequest("quote", "x", 1000, 1400), ClipRequest("quote", "y", 1500, 2000)], AL, 6000, PlanOptions())
    assert x.span == y.span and any("shares" in n for n in x.notes)
