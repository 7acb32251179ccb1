"""Exports: goldens compared whole, files read back by OTIO's adapters and by ffmpeg,
FCPXML structure, YouTube chapter rules."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
from conftest import TESTDATA
from hypothesis import given, settings
from hypothesis import strategies as st

from clipper.alignfile import load
from clipper.errors import InputError, ParseError
from clipper.export import (
    FORMATS,
    Manifest,
    Rate,
    build_plan,
    compose,
    default_output,
    export,
    load_manifest,
    parse_fps,
    parse_manifest,
    write,
)
from clipper.export import chapters as ch
from clipper.export.fcpxml import fcp_time
from clipper.export.sections import find_sections
from clipper.media import ffmpeg_binary
from clipper.model import Alignment, MediaInfo, Segment, Transcript, Word

DATA = TESTDATA / "export"
ALIGN = DATA / "talk.align.json"
MANIFEST = DATA / "talk.manifest.json"


@pytest.fixture(scope="module")
def al() -> Alignment:
    return load(ALIGN)


@pytest.fixture(scope="module")
def man() -> Manifest:
    return load_manifest(MANIFEST)


# --- goldens (compared whole) -------------------------------------------------------


@pytest.mark.parametrize(
    "fmt, clips, fps, df, golden",
    [
        ("edl", False, None, False, "talk.markers.expected.edl"),
        ("edl", True, None, False, "talk.clips.expected.edl"),
        ("edl", True, "29.97", True, "talk.clips.2997df.expected.edl"),
        ("chapters", False, None, False, "talk.expected.chapters.txt"),
        ("ffmetadata", False, None, False, "talk.expected.ffmetadata.txt"),
        ("csv", True, None, False, "talk.expected.csv"),
    ],
)
def test_golden(al: Alignment, man: Manifest, fmt: str, clips: bool, fps: str | None, df: bool, golden: str) -> None:
    got = compose(al, fmt, clips_manifest=man if clips else None, fps=fps, drop_frame=df)
    assert got == (DATA / golden).read_text(encoding="utf-8")


# --- read back by OpenTimelineIO ----------------------------------------------------


def _read(fmt: str, text: str, rate: Rate) -> otio.schema.Timeline:
    if fmt == "edl":
        return otio.adapters.read_from_string(text, "cmx_3600", rate=rate.float)
    if fmt == "xmeml":
        return otio.adapters.read_from_string(text, "fcp_xml")
    return otio.adapters.read_from_string(text, "otio_json")


def _frames(rt: otio.opentime.RationalTime) -> int:
    return int(round(rt.value))


@pytest.mark.parametrize("fmt", ["edl", "xmeml", "otio"])
@pytest.mark.parametrize("fps, df", [(None, False), ("29.97", True), ("29.97", False), ("23.976", False), ("59.94", True)])
def test_clip_points_read_back_equal_manifest(al: Alignment, man: Manifest, fmt: str, fps: str | None, df: bool) -> None:
    text = compose(al, fmt, clips_manifest=man, fps=fps, drop_frame=df)
    rate = Rate(*parse_fps(fps or "25"), drop_frame=df)
    tl = _read(fmt, text, rate)
    video = [t for t in tl.tracks if t.kind == otio.schema.TrackKind.Video]
    assert len(video) == 1
    clips = list(video[0].find_clips())
    got = [(_frames(c.source_range.start_time), _frames(c.source_range.end_time_exclusive())) for c in clips]
    want = [(rate.frames(c.source_start), rate.frames(c.source_end)) for c in man.clips]
    assert got == want
    # record times are back to back from 0
    rec = 0
    for c in clips:
        r = c.range_in_parent()
        assert _frames(r.start_time) == rec
        rec += _frames(r.duration)
    assert abs(clips[0].source_range.start_time.rate - rate.float) < 1e-6
    if fmt != "edl" or not df:  # the cmx adapter cannot read LOC lines with ';' timecodes
        names = [m.name.lower() for c in clips for m in c.markers]
        assert "steam boats came first" in names and "tourism" in names


@pytest.mark.parametrize("fmt", ["xmeml", "otio"])
def test_whole_media_with_sequence_markers_reads_back(al: Alignment, fmt: str) -> None:
    text = compose(al, fmt)
    tl = _read(fmt, text, Rate(25, 1))
    clips = list(tl.find_clips())
    assert {(_frames(c.source_range.start_time), _frames(c.source_range.duration)) for c in clips} == {(0, 1000)}
    markers = {(m.name, _frames(m.marked_range.start_time)) for m in tl.tracks.markers}
    assert ("Steam boats came first", 237) in markers  # 9480 ms at 25 fps
    assert ("Tourism", 750) in markers  # 30000 ms


def test_marker_edl_reads_back_with_resolve_fields(al: Alignment) -> None:
    text = compose(al, "edl")
    tl = otio.adapters.read_from_string(text, "cmx_3600", rate=25)
    clips = list(tl.find_clips())
    starts = [_frames(c.source_range.start_time) for c in clips]
    assert starts == sorted(starts) and len(clips) == 3  # two pairs share a frame
    assert all(_frames(c.source_range.duration) == 1 for c in clips)
    comments = [c.metadata["cmx_3600"]["comments"][0] for c in clips]
    assert all(re.search(r"\|C:ResolveColor(Blue|Green) \|M:.+ \|D:1$", c) for c in comments)


def test_drop_frame_edl_header_and_separator(al: Alignment, man: Manifest) -> None:
    text = compose(al, "edl", clips_manifest=man, fps="29.97", drop_frame=True)
    assert "FCM: DROP FRAME" in text
    events = [ln for ln in text.splitlines() if ln[:3].isdigit()]
    assert events and all(ln.count(";") == 4 for ln in events)
    ndf = compose(al, "edl", clips_manifest=man, fps="29.97")
    assert "FCM: NON-DROP FRAME" in ndf and ";" not in ndf


def test_xmeml_timecode_mode_follows_input(al: Alignment, man: Manifest) -> None:
    for df, mode in ((True, "DF"), (False, "NDF")):
        root = ET.fromstring(compose(al, "xmeml", clips_manifest=man, fps="29.97", drop_frame=df))
        assert {e.text for e in root.iter("displayformat")} == {mode}
        assert {(e.findtext("timebase"), e.findtext("ntsc")) for e in root.iter("rate")} == {("30", "TRUE")}
        assert {e.text for e in root.iter("pathurl")} == {"file:///media/talk.mp4"}


# --- timecode --------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2_000_000), st.sampled_from([(30000, 1001, True), (60000, 1001, True), (25, 1, False), (24000, 1001, False), (30000, 1001, False)]))
def test_timecode_matches_otio_and_parses_back(frames: int, rate: tuple[int, int, bool]) -> None:
    r = Rate(*rate)
    tc = r.timecode(frames)
    assert r.parse_timecode(tc) == frames
    if r.drop_frame or r.den == 1:  # OTIO infers DF at NTSC rates; compare where it agrees
        assert otio.opentime.to_timecode(otio.opentime.RationalTime(frames, r.float), r.float) == tc


def test_parse_fps() -> None:
    assert parse_fps("29.97") == (30000, 1001)
    assert parse_fps("23.976") == (24000, 1001)
    assert parse_fps("59.94") == (60000, 1001)
    assert parse_fps("30000/1001") == (30000, 1001)
    assert parse_fps("29.970") == (30000, 1001)
    assert parse_fps("25") == (25, 1)
    assert parse_fps("12.5") == (25, 2)
    for bad in ("fast", "0", "-25", "1/0", ""):
        with pytest.raises(InputError):
            parse_fps(bad)
    with pytest.raises(InputError, match="drop_frame"):
        Rate(25, 1, True)


def test_rate_defaults(al: Alignment, man: Manifest) -> None:
    assert build_plan(al).rate == Rate(25, 1)
    no_media = replace(al, media=None)
    p = build_plan(no_media)
    assert p.rate == Rate(25, 1) and any("25 fps" in n for n in p.notes)
    m2 = replace(man, fps=(24000, 1001))
    assert build_plan(al, clips_manifest=m2).rate == Rate(24000, 1001)
    assert build_plan(al, clips_manifest=m2, fps="50").rate == Rate(50, 1)


# --- FCPXML ------------------------------------------------------------------------

_TIME = re.compile(r"^(0|\d+|\d+/\d+)s$")


def _t(s: str) -> Fraction:
    assert _TIME.match(s), s
    return Fraction(s[:-1]) if s != "0s" else Fraction(0)


# The elements clipper writes, with the attributes the FCPXML 1.10 DTD allows and requires
# for them (read from Apple's DTD; the DTD itself is not redistributable, so this subset
# is checked here instead of running xmllint).
_ALLOWED = {
    "fcpxml": ({"version"}, {"version"}),
    "resources": (set(), set()),
    "format": ({"id", "name", "frameDuration", "fieldOrder", "width", "height", "paspH", "paspV", "colorSpace"}, {"id"}),
    "asset": (
        {"id", "name", "uid", "start", "duration", "hasVideo", "format", "hasAudio", "videoSources", "audioSources", "audioChannels", "audioRate"},
        {"id"},
    ),
    "media-rep": ({"kind", "sig", "src", "suggestedFilename"}, {"src"}),
    "library": ({"location", "colorProcessing"}, set()),
    "event": ({"name", "uid"}, set()),
    "project": ({"name", "uid", "id", "modDate"}, set()),
    "sequence": ({"format", "duration", "tcStart", "tcFormat", "audioLayout", "audioRate", "renderFormat", "keywords"}, {"format"}),
    "spine": ({"lane", "offset", "name", "format"}, set()),
    "asset-clip": (
        {"ref", "lane", "offset", "name", "start", "duration", "enabled", "srcEnable", "audioStart", "audioDuration", "format", "tcStart", "tcFormat", "modDate", "audioRole", "videoRole"},
        {"ref"},
    ),
    "marker": ({"start", "duration", "value", "completed", "note"}, {"start", "value"}),
}
_CHILDREN = {
    "fcpxml": ["resources", "library"],
    "library": ["event"],
    "event": ["project"],
    "project": ["sequence"],
    "sequence": ["spine"],
    "asset": ["media-rep"],
}


def check_fcpxml(text: str, version: str = "1.10") -> ET.Element:
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n')
    root = ET.fromstring(text)
    assert root.tag == "fcpxml" and root.get("version") == version
    ids = {e.get("id"): e for e in root.iter() if e.get("id")}
    for e in root.iter():
        allowed, required = _ALLOWED[e.tag]
        assert set(e.attrib) <= allowed, (e.tag, set(e.attrib) - allowed)
        assert required <= set(e.attrib), (e.tag, required - set(e.attrib))
        if e.tag in _CHILDREN:
            assert [c.tag for c in e] == _CHILDREN[e.tag][: len(e)] or all(c.tag in _CHILDREN[e.tag] for c in e)
        for a in ("ref", "format"):
            if e.get(a):
                assert e.get(a) in ids, f"{e.tag} {a}={e.get(a)} points nowhere"
        for a in ("start", "duration", "offset", "tcStart"):
            if e.get(a) is not None:
                _t(e.get(a))
    assert [c.tag for c in root] == ["resources", "library"]
    fmt = root.find("resources/format")
    fd = _t(fmt.get("frameDuration"))
    # every time lies on the frame grid
    for e in root.iter():
        for a in ("start", "duration", "offset"):
            if e.get(a) is not None:
                assert (_t(e.get(a)) / fd).denominator == 1, (e.tag, a, e.get(a))
    src = root.find("resources/asset/media-rep").get("src")
    assert src.startswith("file:///")
    # clips back to back; markers inside their clip
    pos = _t(root.find(".//sequence").get("tcStart"))
    for clip in root.iter("asset-clip"):
        assert _t(clip.get("offset")) == pos
        pos += _t(clip.get("duration"))
        a, b = _t(clip.get("start")), _t(clip.get("start")) + _t(clip.get("duration"))
        for m in clip.iter("marker"):
            assert a <= _t(m.get("start")) < b
    assert _t(root.find(".//sequence").get("duration")) == pos - _t(root.find(".//sequence").get("tcStart"))
    return root


@pytest.mark.parametrize("fps, df", [(None, False), ("29.97", True), ("23.976", False)])
def test_fcpxml_structure_and_clip_points(al: Alignment, man: Manifest, fps: str | None, df: bool) -> None:
    text = compose(al, "fcpxml", clips_manifest=man, fps=fps, drop_frame=df)
    root = check_fcpxml(text)
    rate = Rate(*parse_fps(fps or "25"), drop_frame=df)
    assert root.find("resources/format").get("frameDuration") == fcp_time(1, rate.num, rate.den)
    clips = list(root.iter("asset-clip"))
    got = [(_t(c.get("start")) * rate.fps, (_t(c.get("start")) + _t(c.get("duration"))) * rate.fps) for c in clips]
    assert got == [(rate.frames(c.source_start), rate.frames(c.source_end)) for c in man.clips]
    assert {c.get("tcFormat") for c in clips} == {"DF" if df else "NDF"}
    assert len(list(root.iter("marker"))) == 5


def test_fcpxml_whole_media_and_versions(al: Alignment) -> None:
    from clipper.export import fcpxml

    plan = build_plan(al)
    root = check_fcpxml(fcpxml.compose(plan))
    assert root.find("resources/format").get("name") == "FFVideoFormat1080p25"
    assert [m.get("value") for m in root.iter("marker")][0] == "Steam boats came first"
    old = check_fcpxml(fcpxml.compose(plan, "1.9"), "1.9")
    assert all("note" not in m.attrib for m in old.iter("marker"))
    with pytest.raises(ValueError):
        fcpxml.compose(plan, "1.4")


def test_formats_needing_media_path_say_so(al: Alignment) -> None:
    bare = replace(al, media=None)
    for fmt in ("fcpxml", "xmeml"):
        with pytest.raises(InputError, match="media file's path"):
            compose(bare, fmt)
    assert compose(bare, "edl").startswith("TITLE: River boats")


# --- chapters ----------------------------------------------------------------------


def _plan_with(markers_ms: list[int], duration: int, paragraphs: int = 0):
    segs = []
    if paragraphs:
        step = duration // (paragraphs * 2)
        for i in range(paragraphs * 2):
            segs.append(Segment(i, f"segment {i}", (Word(f"w{i}", i * step, i * step + 10),), i * step, i * step + step - 1, paragraph=i // 2))
    tr = Transcript(tuple(segs))
    al = Alignment(tr, "hand", MediaInfo("/m.mp4", duration, True, True, 25, 1))
    plan = build_plan(al)
    from clipper.export._plan import Marker

    ms = tuple(Marker("takeaway", i + 1, f"Point {i + 1}", t) for i, t in enumerate(sorted(markers_ms)))
    return replace(plan, markers=ms)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 4 * 3600_000), max_size=30),
    st.integers(1_000, 4 * 3600_000),
    st.integers(0, 8),
)
def test_chapters_always_follow_youtube_rules(markers: list[int], duration: int, paragraphs: int) -> None:
    plan = _plan_with([m % duration for m in markers], duration, paragraphs)
    if duration < 30_000:
        with pytest.raises(ch.ChapterError):
            ch.chapters(plan)
        return
    try:
        text = ch.compose(plan)
    except ch.ChapterError as e:
        # never an arbitrary split: refused only when nothing gives three chapters
        assert "cannot make 3 chapters" in str(e)
        assert len(ch._space(ch._from_markers(plan.markers, True), duration, ch.MIN_CHAPTER, [])) < 3
        assert len(find_sections(plan.segments, duration, at_least=3)) < 3
        return
    got = ch.parse_youtube(text)
    assert ch.check_youtube(got, duration) == []
    assert text.startswith("0:00 ")


def test_chapters_come_from_takeaways_then_topics(al: Alignment) -> None:
    notes: list[str] = []
    chs = ch.chapters(build_plan(al), notes)
    assert [(c.start, c.title) for c in chs] == [(0, "Steam boats came first"), (15000, "Railways took the freight"), (30000, "Tourists keep them alive")]
    assert any("moved chapter 'Steam boats came first'" in n for n in notes)
    # without takeaways, the topics (with an Intro at 0:00)
    no_take = replace(al, transcript=replace(al.transcript, takeaways=()))
    notes = []
    chs = ch.chapters(build_plan(no_take), notes)
    assert [(c.start, c.title) for c in chs] == [(0, "Intro"), (15000, "Railways and freight"), (30000, "Tourism")]
    # two takeaways give two chapters: with the topics they make three, and that is said
    two = replace(al, transcript=replace(al.transcript, takeaways=al.transcript.takeaways[:2], topics=al.transcript.topics[1:]))
    notes = []
    chs = ch.chapters(build_plan(two), notes)
    assert [c.title for c in chs] == ["Steam boats came first", "Railways took the freight", "Tourism"]
    assert any("2 chapter(s) from takeaways" in n and "chapters are the takeaways and topics" in n for n in notes), notes


def test_chapters_too_short_is_a_clear_error() -> None:
    with pytest.raises(ch.ChapterError, match=r"20\.0 s long.*at least 3 chapters of 10 s"):
        ch.chapters(_plan_with([5000], 20_000))


def test_chapters_without_takeaways_or_topics_are_sections_never_thirds() -> None:
    """Two subjects in turn: the chapter boundary is where the words change, titled by them."""
    river = "The river boats carry coal and timber down the river to the harbour every week."
    space = "The rocket engines burn fuel and oxygen while the rocket climbs into orbit around the planet."
    segs = []
    for i in range(24):
        text = river if i < 10 else space
        segs.append(Segment(i, text, tuple(Word(w, i * 5000 + k * 200, i * 5000 + k * 200 + 150) for k, w in enumerate(text.split())), i * 5000, i * 5000 + 4500))
    al = Alignment(Transcript(tuple(segs)), "hand", MediaInfo("/m.mp4", 120_000, True, True, 25, 1))
    plan = build_plan(al)
    assert {m.kind for m in plan.markers} == {"section"} and any("changes subject" in n for n in plan.notes)
    notes: list[str] = []
    chs = ch.chapters(plan, notes)
    assert len(chs) >= 3 and chs[0].start == 0
    assert 50_000 in [c.start for c in chs]  # the change of subject is a boundary
    assert all(not c.title.startswith("Part ") and c.title != "Intro" for c in chs)
    assert "River" in chs[0].title and any("Rocket" in c.title for c in chs if c.start >= 50_000), chs
    # nothing to find sections in: refused with the reason, never thirds
    empty = replace(plan, markers=(), segments=())
    with pytest.raises(ch.ChapterError, match="cannot make 3 chapters.*no takeaways, topics or placed text"):
        ch.chapters(empty)
    with pytest.raises(ch.ChapterError, match="no markers"):
        ch.compose_ffmetadata(empty)


def test_check_youtube_finds_each_rule() -> None:
    C = ch.Chapter
    assert ch.check_youtube([C(0, "a"), C(10_000, "b"), C(20_000, "c")], 30_000) == []
    assert any("first" in p for p in ch.check_youtube([C(1000, "a"), C(11_000, "b"), C(21_000, "c")], 40_000))
    assert any("at least 3" in p for p in ch.check_youtube([C(0, "a"), C(10_000, "b")], 30_000))
    assert any("9 s long" in p for p in ch.check_youtube([C(0, "a"), C(10_000, "b"), C(20_000, "c")], 29_000))
    assert any("ascending" in p for p in ch.check_youtube([C(0, "a"), C(20_000, "b"), C(15_000, "c")], 60_000))


def test_long_media_chapter_clock() -> None:
    text = ch.compose(_plan_with([3600_000 + 83_000, 600_000], 7 * 3600_000))
    assert text.splitlines() == ["0:00 Intro", "10:00 Point 1", "1:01:23 Point 2"]


# --- ffmetadata: real ffmpeg reads the chapters back --------------------------------


def _ffmpeg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ffmpeg_binary(), "-nostdin", "-hide_banner", *args], capture_output=True, text=True)


def test_ffmetadata_chapters_read_back_by_ffmpeg(al: Alignment, tmp_path: Path) -> None:
    media = tmp_path / "silence.mkv"
    p = _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "40", "-c:a", "pcm_s16le", str(media))
    assert p.returncode == 0, p.stderr
    meta = tmp_path / "chapters.txt"
    write(al, meta, "ffmetadata")
    out = tmp_path / "out.mkv"
    p = _ffmpeg("-i", str(media), "-i", str(meta), "-map_metadata", "1", "-map_chapters", "1", "-c", "copy", str(out))
    assert p.returncode == 0, p.stderr
    info = _ffmpeg("-i", str(out)).stderr
    found = re.findall(r"Chapter #\d+:\d+: start (\d+\.\d+), end (\d+\.\d+)\s*\n\s*Metadata:\s*\n\s*title\s*: (.*)", info)
    assert [(float(a), float(b), t.strip()) for a, b, t in found] == [
        (0.0, 15.0, "Steam boats came first"),
        (15.0, 30.0, "Railways took the freight"),
        (30.0, 40.0, "Tourists keep them alive"),
    ]
    assert re.search(r"title\s*: River boats", info)


def test_ffmetadata_escapes_and_short_media() -> None:
    plan = _plan_with([2000, 6000], 9000)
    plan = replace(plan, title="a=b; #c")
    text = ch.compose_ffmetadata(plan)
    assert text.startswith(";FFMETADATA1\ntitle=a\\=b\\; \\#c\n")
    # too short for YouTube's rules: the markers as placed, after an intro at 0
    assert re.findall(r"START=(\d+)\nEND=(\d+)\ntitle=(.*)", text) == [
        ("0", "2000", "Intro"),
        ("2000", "6000", "Point 1"),
        ("6000", "9000", "Point 2"),
    ]
    assert text.count("TIMEBASE=1/1000") == 3


# --- manifest ----------------------------------------------------------------------


def test_manifest_reader(man: Manifest, tmp_path: Path) -> None:
    assert man.media == "/media/talk.mp4" and man.fps == (25, 1) and len(man.clips) == 3
    c = man.clips[0]
    assert (c.index, c.name, c.source_start, c.source_end, c.label, c.kind, c.file, c.text) == (
        1, "01-steam-boats-came-first", 9300, 14260, "Steam boats came first", "takeaway", "01-steam-boats-came-first.mp4",
        "The first steam boat crossed the river in eighteen twelve.",
    )  # fmt: skip
    (tmp_path / "manifest.json").write_text(MANIFEST.read_text())
    assert load_manifest(tmp_path) == replace(man, path=str(tmp_path / "manifest.json"))
    bad = [
        ("{", "not valid JSON"),
        ("{}", "not a clipper clip manifest"),
        ('{"clipper_manifest": 2, "clips": []}', "version 2"),
        ('{"clipper_manifest": 1, "clips": [{"index": 1, "name": "a", "source_start": 5}]}', "no 'source_end'"),
        ('{"clipper_manifest": 1, "clips": [{"index": 1, "name": "a", "source_start": 5, "source_end": 2}]}', "start < end"),
        ('{"clipper_manifest": 1, "clips": [{"source_start": 1.5, "source_end": 2}]}', "integer"),
    ]
    for text, msg in bad:
        with pytest.raises(ParseError, match=re.escape(msg)):
            parse_manifest(text, "m.json")


def test_manifest_from_other_media_is_refused(al: Alignment, man: Manifest) -> None:
    late = replace(man, clips=(replace(man.clips[0], source_end=95_000),))
    with pytest.raises(InputError, match="after the media's end"):
        compose(al, "edl", clips_manifest=late)


# --- API ---------------------------------------------------------------------------


def test_every_format_exports_and_write_refuses_overwrite(al: Alignment, man: Manifest, tmp_path: Path) -> None:
    for fmt in FORMATS:
        res = export(al, fmt, clips_manifest=man)
        assert res.text.strip() and res.format == fmt
        path = tmp_path / default_output("talk.align.json", fmt, True)
        write(al, path, fmt, clips_manifest=man)
        assert path.read_text(encoding="utf-8") == res.text
        with pytest.raises(InputError, match="already exists"):
            write(al, path, fmt, clips_manifest=man)
        write(al, path, fmt, clips_manifest=man, force=True)
    with pytest.raises(InputError, match="unknown export format"):
        compose(al, "aaf")


def test_otio_json_metadata(al: Alignment, man: Manifest) -> None:
    tl = otio.adapters.read_from_string(compose(al, "otio", clips_manifest=man), "otio_json")
    clip = next(iter(tl.find_clips()))
    assert clip.metadata["clipper"]["source_start_ms"] == 9300
    assert clip.media_reference.target_url == "file:///media/talk.mp4"
    m = clip.markers[0]
    assert m.metadata["clipper"]["kind"] == "takeaway" and m.color == "BLUE"
    assert json.loads(compose(al, "otio"))["OTIO_SCHEMA"].startswith("Timeline")


def test_manifest_from_clipper_clips_is_accepted(al: Alignment, man: Manifest) -> None:
    import clipper.clips as clips
    theirs = clips.load_manifest(MANIFEST)
    for fmt in ("edl", "fcpxml", "csv"):
        assert compose(al, fmt, clips_manifest=theirs) == compose(al, fmt, clips_manifest=man)


# --- chapters and markers on the shared seeds (../shared) -----------------------------


def test_seed_chapters_are_its_takeaways(seed_path: Path) -> None:
    """The LongCut seed names its takeaways: they are the chapters, titles as written."""
    from clips_truth import alignment_from_truth, seed_takeaways
    from conftest import shared_path

    tk, tp = seed_takeaways(seed_path)
    al = alignment_from_truth(shared_path("bench", "seed.truth.json"), takeaways=tk, topics=tp)
    notes: list[str] = []
    chs = ch.chapters(build_plan(al), notes)
    assert ch.check_youtube(chs, al.duration or 0) == []
    titles = {t.title for t in tk}
    assert chs[0].title == "Intro" and len(chs) >= 4 and all(c.title in titles for c in chs[1:]), chs
    assert not any("sections" in n for n in notes)


@pytest.mark.parametrize("truth", ["tts/seed_tts_10min.truth.json", "seed.truth.json"])
def test_plain_transcript_chapters_are_sections_by_topic_shifts(truth: str) -> None:
    """The same speech with no takeaways or topics (as a plain transcript gives it):
    chapters at changes of subject, at least a few minutes apart, titled by their words."""
    from clips_truth import alignment_from_truth
    from conftest import shared_path

    from clipper.export.sections import section_lengths

    al = alignment_from_truth(shared_path("bench", *truth.split("/")))
    duration = al.duration or 0
    plan = build_plan(al)
    assert plan.markers and {m.kind for m in plan.markers} == {"section"}
    notes: list[str] = []
    chs = ch.chapters(plan, notes)
    assert ch.check_youtube(chs, duration) == [] and len(chs) >= 3
    min_len, most = section_lengths(duration)
    assert len(chs) <= most and all(b.start - a.start >= min_len - 1000 for a, b in zip(chs, chs[1:], strict=False))
    starts = {s.start // 1000 * 1000 for s in al.segments if s.start is not None}
    assert all(c.start in starts for c in chs[1:])  # a chapter begins where a segment does
    for c in chs:
        assert c.title and not c.title.startswith(("Part ", "Intro")) and len(c.title) <= 60, c
    # the titles are distinctive: no word heads more than a third of them
    heads = [c.title.split(",")[0] for c in chs]
    assert max(heads.count(h) for h in heads) <= max(1, len(chs) // 3), heads


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 100), st.floats(0, 1)), min_size=1, max_size=9), st.integers(1, 3), st.integers(1, 40))
def test_deepest_spaced_sections_match_brute_force(gaps: list[tuple[int, float]], m: int, min_len: int) -> None:
    """The fallback that reaches ``at_least`` sections: the deepest set of m boundaries
    min_len apart (and from both ends), as trying every set finds it."""
    from itertools import combinations

    from clipper.export.sections import _deepest_spaced

    gaps.sort()
    at, depth = [g[0] for g in gaps], [g[1] for g in gaps]
    end = 100

    def fits(c: tuple[int, ...]) -> bool:
        ts = [at[g] for g in c]
        return ts[0] >= min_len and end - ts[-1] >= min_len and all(b - a >= min_len for a, b in zip(ts, ts[1:], strict=False))

    sets = [c for c in combinations(range(len(at)), m) if fits(c)]
    got = _deepest_spaced(at, depth, m, min_len, end)
    if not sets:
        assert got is None
    else:
        assert got is not None and fits(tuple(got)) and len(got) == m
        assert abs(sum(depth[g] for g in got) - max(sum(depth[g] for g in c) for c in sets)) < 1e-9
