"""The pure clip plan and the manifest (clipper.clips)."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clipper.clips import (
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
from clipper.model import Alignment, MediaInfo, Segment, Transcript, Word

# Two segments; pauses: 100 ms inside the first sentence, 600 ms between them.
WORDS = [("Hello", 500, 900), ("there", 1000, 1400), ("world.", 1500, 2000), ("This", 2600, 2900), ("is", 3000, 3200), ("a", 3300, 3400), ("test.", 3500, 4000)]
SEGS = (
    Segment(0, "Hello there world.", tuple(Word(*w) for w in WORDS[:3]), 500, 2000),
    Segment(1, "This is a test.", tuple(Word(*w) for w in WORDS[3:]), 2600, 4000),
)
AL = Alignment(Transcript(SEGS), engine="t", media=MediaInfo("x.mp4", 6000, has_video=True, fps_num=25, fps_den=1))


def test_handles_stop_in_the_pause_before_a_word():
    (c,) = plan([ClipRequest("quote", "This is a test", 2600, 4000)], AL, 6000, PlanOptions(handle_before=1000, handle_after=1000))
    # start: 1000 ms before 2600 would cut "world." (ends 2000): stops 40 ms after it
    assert c.span.start == 2040
    assert c.span.end == 5000
    assert (c.handle_before, c.handle_after) == (560, 1000)
    assert c.name == "01-this-is-a-test"


def test_short_pause_edge_is_its_middle_and_sentence_snap():
    # "there world." starts one word into the sentence: extended back to "Hello"
    (c,) = plan([ClipRequest("quote", "there world", 1000, 2000)], AL, 6000, PlanOptions(handle_before=300, handle_after=300))
    assert c.content.start == 500 and any("sentence start" in n for n in c.notes)
    assert c.span.start == 200
    # end: 300 ms after 2000 lies in the 600 ms pause before "This"
    assert c.span.end == 2300
    # with sentence_words=0 the edge stays, 40 ms clear of the neighbours in the 100 ms pauses
    (c,) = plan([ClipRequest("quote", "there", 1000, 1400)], AL, 6000, PlanOptions(handle_before=300, handle_after=300, sentence_words=0))
    assert (c.span.start, c.span.end) == (940, 1460)


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


@given(timelines(), st.data())
@settings(max_examples=150, deadline=None)
def test_plan_is_sorted_never_overlaps_never_cuts_a_word(tl, data):  # type: ignore[no-untyped-def]
    words, duration = tl
    seg = Segment(0, " ".join(w.text for w in words), tuple(words), words[0].start, words[-1].end)
    al = Alignment(Transcript((seg,)), engine="t")
    reqs = []
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(words) - 1))
        j = data.draw(st.integers(i, len(words) - 1))
        reqs.append(ClipRequest("quote", f"q{i}", words[i].start, words[j].end))  # type: ignore[arg-type]
    fps = data.draw(st.sampled_from([None, Fraction(25), Fraction(30000, 1001)]))
    opts = PlanOptions(handle_before=data.draw(st.integers(0, 2000)), handle_after=data.draw(st.integers(0, 2000)))
    clips = plan(reqs, al, duration, opts, fps=fps)
    for a, b in zip(clips, clips[1:], strict=False):
        assert a.span.end <= b.span.start
    for c in clips:
        assert 0 <= c.span.start < c.span.end <= duration
        assert c.span.start <= c.content.start and c.content.end <= c.span.end
        for w in words:
            assert w.start is not None and w.end is not None
            # a word is wholly in or wholly out, unless frame rounding (< 1 frame) forced it
            slack = 0 if fps is None else int(1000 / fps) + 1
            inside_start = w.start < c.span.start < w.end
            inside_end = w.start < c.span.end < w.end
            if inside_start:
                assert c.span.start - w.start < slack or w.end - c.span.start < slack, (w, c.span)
            if inside_end:
                assert c.span.end - w.start < slack or w.end - c.span.end < slack, (w, c.span)


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
        "handle_before,handle_after,srt,vtt,text,source_start_s,source_end_s,duration_s,requested_start_s,requested_end_s\n"
        '1,01-a,01-a.mp4,"Say ""hi"", ok",quote,1000,4000,3000,1250,3600,250,400,01-a.srt,01-a.vtt,"hi, there",1.000,4.000,3.000,1.250,3.600\n'
    )

    d = json.loads((tmp_path / "manifest.json").read_text())
    assert list(d) == ["clipper_manifest", "media", "fps", "mode", "clips"]
    assert list(d["clips"][0]) == [
        "index", "name", "file", "label", "kind", "source_start", "source_end", "duration", "requested_start",
        "requested_end", "handle_before", "handle_after", "srt", "vtt", "text",
    ]


def test_manifest_is_read_by_the_exporter(tmp_path):
    import clipper.export.manifest as export_manifest
    save_manifest(_manifest(), tmp_path)
    m = export_manifest.load_manifest(tmp_path / "manifest.json")
    assert m.clips[0].source_start == 1000 and m.clips[0].name == "01-a"


def test_clips_whose_handles_overlap_meet_in_the_pause():
    reqs = [ClipRequest("quote", "one", 500, 2000), ClipRequest("quote", "two", 2600, 4000)]
    a, b = plan(reqs, AL, 6000, PlanOptions(handle_before=500, handle_after=500), fps=Fraction(25))
    assert a.span.end == b.span.start == 2280  # the middle of the 2000-2600 pause, on a frame
    assert a.content == a.requested and b.content == b.requested


def test_fast_mode_skips_a_keyframe_inside_a_word():
    # keyframe 1200 lies inside "there" (1000-1400): the clip starts at the earlier one, 0
    (c,) = plan(
        [ClipRequest("quote", "q", 1500, 2000)], AL, 6000, PlanOptions(mode="fast", sentence_words=0), fps=Fraction(25), keyframes=[0, 1200, 4000]
    )
    assert c.span.start == 0


def test_one_manifest_model_for_cutting_and_exporting(tmp_path):
    """clips.py and export/manifest.py once had a manifest each, validated differently."""
    import clipper.clips
    import clipper.export
    import clipper.manifest

    for name in ("Manifest", "ManifestClip", "load_manifest"):
        assert getattr(clipper.clips, name) is getattr(clipper.manifest, name) is getattr(clipper.export, name)
    bad = json.dumps({"clipper_manifest": 1, "media": "/x.mp4", "clips": [{"name": "a", "source_start": 4000, "source_end": 1000}]})
    (tmp_path / "manifest.json").write_text(bad, encoding="utf-8")
    with pytest.raises(ParseError, match="0 <= start < end"):
        clipper.clips.load_manifest(tmp_path)
