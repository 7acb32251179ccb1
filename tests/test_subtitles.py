"""Subtitle layout, writers and the ``subtitles`` command: rules, golden files, CLI.

Golden files in tests/data/subtitles/ are compared whole. After a deliberate layout
change, regenerate them with ``CLIPPER_REGEN_GOLDEN=1 pytest tests/test_subtitles.py``
and read the diff.
"""

from __future__ import annotations

import importlib.util
import json
import os
from fractions import Fraction
from pathlib import Path

import pysrt
import pytest
import webvtt
from conftest import TESTDATA

from clipper import alignfile, subtitles, timecode
from clipper.cli import main
from clipper.errors import InputError, OutputExistsError
from clipper.model import Alignment, MediaInfo, Segment, Transcript, Word
from clipper.subtitles import Cue, LayoutOptions, break_cost, break_lines, compose_srt, compose_vtt, layout

DATA = TESTDATA / "subtitles"
INPUT = DATA / "talk.align.json"
REGEN = bool(os.environ.get("CLIPPER_REGEN_GOLDEN"))


def _al(*segs: Segment, media: MediaInfo | None = None) -> Alignment:
    return Alignment(Transcript(tuple(segs)), engine="test", media=media)


def _seg(i: int, text: str, start: int, per_word: int = 300, para: int | None = 0, gap: int = 0) -> Segment:
    words = []
    t = start
    for tok in text.split():
        words.append(Word(tok, t, t + per_word - gap))
        t += per_word
    return Segment(i, text, tuple(words), start, t - gap, paragraph=para)


# --- line breaking --------------------------------------------------------------------


def test_break_lines_fits_one_line_when_it_can() -> None:
    assert break_lines("A short line".split()) == ("A short line",)


def test_break_lines_never_between_article_and_noun() -> None:
    toks = "I went to see the wonderful exhibition yesterday".split()
    lines = break_lines(toks, max_chars=28)
    assert lines is not None and len(lines) == 2
    assert not lines[0].endswith((" the", " a", " an"))


def test_break_lines_prefers_punctuation_and_bottom_heavy() -> None:
    lines = break_lines("After the storm passed, we walked down to the harbour".split(), 35)
    assert lines == ("After the storm passed,", "we walked down to the harbour")


def test_break_lines_long_word_gets_its_own_line_and_too_much_is_none() -> None:
    long = "x" * 50
    assert break_lines(["see", long, "here"], 42) is None  # three lines needed
    assert break_lines(["see", long, "here"], 42, max_lines=3) == ("see", long, "here")
    assert break_lines(["see", long], 42) == ("see", long)
    assert break_lines(["one", "two", "three"], 3, max_lines=2) is None


def test_break_cost_orders() -> None:
    assert break_cost("end.", "Next") == 0
    assert break_cost("Mr.", "Smith") == 60  # an abbreviation, not a sentence end
    assert break_cost("the", "house") == 60
    assert break_cost("house", "and") < break_cost("house", "stood") < break_cost("of", "house")


# --- layout rules ---------------------------------------------------------------------


def test_skips_unplaced_and_counts() -> None:
    seg = Segment(0, "never found", (Word("never"), Word("found")))
    cues, stats = subtitles.layout_with_stats(_al(seg, _seg(1, "found this", 1000)))
    assert [c.lines for c in cues] == [("found this",)]
    assert stats.segments_skipped == 1


def test_short_segments_merge_only_within_a_paragraph() -> None:
    a = _seg(0, "Hello everyone", 1000)
    b = _seg(1, "I'm here", 1800)
    c = _seg(2, "New part", 2600, para=1)
    cues = layout(_al(a, b, c))
    assert [c.lines for c in cues] == [("Hello everyone", "I'm here"), ("New part",)]
    assert layout(_al(a, b), LayoutOptions(merge=False))[0].lines == ("Hello everyone",)


def test_no_merge_across_a_long_pause() -> None:
    a = _seg(0, "Hello everyone", 1000)
    b = _seg(1, "I'm here", 1000 + 600 + 1500)
    assert len(layout(_al(a, b))) == 2


def test_long_segment_splits_at_the_pause_and_comma() -> None:
    text = (
        "We talked for hours about the long history of the city, "
        "and then we walked along the river until the sun went down over the hills"
    )
    words = []
    t = 0
    for tok in text.split():
        if tok == "and":
            t += 700  # a pause after the comma
        words.append(Word(tok, t, t + 250))
        t += 300
    seg = Segment(0, text, tuple(words), 0, t)
    cues = layout(_al(seg))
    assert len(cues) >= 2
    assert cues[0].lines[-1].endswith("city,")
    assert all(len(line) <= 42 for c in cues for line in c.lines)
    assert " ".join(" ".join(c.lines) for c in cues) == text


def test_max_duration_splits_slow_speech() -> None:
    seg = _seg(0, "one two three four five six", 0, per_word=2000)
    cues = layout(_al(seg))
    assert len(cues) >= 2 and all(c.duration <= 7000 for c in cues)


def test_reading_speed_extends_into_silence_but_never_overlaps() -> None:
    fast = _seg(0, "Quickly quickly everybody run", 0, per_word=150)  # 29 chars in 0.6 s
    nxt = _seg(1, "Later", 5000, para=1)
    cues, stats = subtitles.layout_with_stats(_al(fast, nxt))
    assert cues[0].end == 1720  # 29 / 17 s = 1706 ms, on the next frame at 25 fps
    assert subtitles.layout(_al(fast, nxt), LayoutOptions(snap=False))[0].end == 1706
    tight = _seg(1, "Later", 700, para=1)
    cues, stats = subtitles.layout_with_stats(_al(fast, tight))
    # no room to grow: the cue ends 2 frames before "Later" (both on their nearest frames,
    # 640 and 720 ms, since 620 and 700 are half-way between frames)
    assert (cues[0].end, cues[1].start) == (640, 720) and stats.cps_violations == 1


def test_min_duration_and_gap_closing_use_frames() -> None:
    a = _seg(0, "Hi", 0, per_word=200)
    b = _seg(1, "there you are", 1100, para=1)
    cues = layout(_al(a, b))
    # 833 ms reached, then the gap is closed to 2 frames before "there" (1100 ms is
    # half-way between frames, so both go to the nearest: 1040 and 1120)
    assert (cues[0].end, cues[1].start) == (1040, 1120)
    cues = layout(_al(a, b), LayoutOptions(fps=(24000, 1001), close_gap_frames=0, snap=False))
    assert cues[0].end == 833
    cues = layout(_al(a, b), LayoutOptions(fps=(24000, 1001), close_gap_frames=0))
    assert cues[0].end == 834  # frame 20 at 23.976 fps (834.17 ms), the first at or after 833
    cues = layout(_al(a, _seg(1, "x", 850, para=1)), LayoutOptions(fps=(24000, 1001)))
    fps = Fraction(24000, 1001)
    gap = Fraction(cues[1].start - cues[0].end, 1000) * fps
    # on the frame grid: two frames apart, up to the ms each frame time is rounded to
    assert timecode.ms_to_frames(cues[1].start, fps) - timecode.ms_to_frames(cues[0].end, fps) == 2
    assert gap >= 2 - Fraction(1, 1000) * fps
    cues = layout(_al(a, _seg(1, "x", 850, para=1)), LayoutOptions(fps=(24000, 1001), snap=False))
    gap = Fraction(cues[1].start - cues[0].end, 1000) * fps
    assert gap >= 2  # 84 ms: 83 would be a hair under two frames


def test_fps_from_media() -> None:
    media = MediaInfo("x.mp4", 10000, has_video=True, fps_num=30000, fps_den=1001)
    _, stats = subtitles.layout_with_stats(_al(_seg(0, "Hi", 0), media=media))
    assert stats.fps == "30000/1001" and stats.gap_ms == 67


def test_words_without_times_spread_by_length() -> None:
    seg = Segment(0, "a bbbbbbb", (Word("a"), Word("bbbbbbb")), 1000, 2000)
    cue = layout(_al(seg))[0]
    assert cue.words[0].start == 1000 and cue.words[1].end == 2000
    assert cue.words[1].start == 1000 + 1000 * 2 // 10  # 'a ' vs 'bbbbbbb '


def test_notes_kept_or_dropped() -> None:
    a = _seg(0, "Funny", 0)
    note = Segment(1, "[laughter]", (), 1000, 2500, paragraph=0)
    b = _seg(2, "Yes", 4000)
    cues, stats = subtitles.layout_with_stats(_al(a, note, b))
    assert [c.lines for c in cues] == [("Funny",), ("[laughter]",), ("Yes",)]
    assert cues[1].words == () and stats.notes_kept == 1
    cues, stats = subtitles.layout_with_stats(_al(a, note, b), LayoutOptions(notes="drop"))
    assert [c.lines for c in cues] == [("Funny",), ("Yes",)] and stats.notes_dropped == 1


def test_note_without_room_is_dropped_not_overlapped() -> None:
    a = _seg(0, "Funny thing", 0)
    note = Segment(1, "[laughter]", (), 600, 600, paragraph=0)
    b = _seg(2, "Yes", 700, para=1)
    cues, stats = subtitles.layout_with_stats(_al(a, note, b))
    assert [c.lines for c in cues] == [("Funny thing",), ("Yes",)] and stats.notes_no_room == 1


def test_inline_note_shown_with_its_words_and_not_in_words() -> None:
    seg = Segment(0, "Ha [laughter] yes", (Word("Ha", 0, 300), Word("yes", 400, 700)), 0, 700)
    cue = layout(_al(seg))[0]
    assert cue.lines == ("Ha [laughter] yes",)
    assert [w.text for w in cue.words] == ["Ha", "yes"]


def test_options_are_checked() -> None:
    with pytest.raises(InputError, match="max_chars"):
        LayoutOptions(max_chars=0)
    with pytest.raises(InputError, match="min_duration"):
        LayoutOptions(min_duration=8000)
    with pytest.raises(InputError, match="^notes "):
        LayoutOptions(notes="maybe")


# --- writers --------------------------------------------------------------------------


def test_compose_srt_and_vtt_basics() -> None:
    cues = [Cue(0, 1500, ("R&D <3", "two")), Cue(3_600_000 * 101, 3_600_000 * 101 + 5, ("late",))]
    srt = compose_srt(cues)
    assert srt.startswith("1\n00:00:00,000 --> 00:00:01,500\nR&D <3\ntwo\n\n2\n101:00:00,000 --> ")
    assert not srt.startswith("\ufeff") and "\r" not in srt
    vtt = compose_vtt(cues)
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nR&amp;D &lt;3\ntwo\n")
    with pytest.raises(ValueError):
        compose_srt([Cue(0, 1, ("",))])


def test_karaoke_timestamps_strictly_inside_the_cue() -> None:
    words = (Word("a", 1000, 1100), Word("b", 1000, 1200), Word("c", 1500, 1800), Word("d", 2500, 2600))
    cue = Cue(1000, 2000, ("a b", "c d"), words)
    vtt = compose_vtt([cue], karaoke=True)
    assert "\n<c>a</c> <c>b</c>\n<00:00:01.500><c>c</c> <c>d</c>\n" in vtt
    assert webvtt.from_string(vtt).captions[0].text == "a b\nc d"


# --- golden files ---------------------------------------------------------------------


def _golden(name: str, text: str) -> None:
    path = DATA / name
    if REGEN:
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text


def test_golden_input_is_what_make_input_builds() -> None:
    spec = importlib.util.spec_from_file_location("make_input", DATA / "make_input.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert alignfile.dumps(mod.build()) == INPUT.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "name, karaoke", [("talk.expected.srt", False), ("talk.expected.vtt", False), ("talk.karaoke.expected.vtt", True)]
)
def test_golden_layout(name: str, karaoke: bool) -> None:
    cues = layout(alignfile.load(INPUT))
    text = compose_srt(cues) if name.endswith(".srt") else compose_vtt(cues, karaoke=karaoke)
    _golden(name, text)


def test_golden_stats() -> None:
    _, stats = subtitles.layout_with_stats(alignfile.load(INPUT))
    assert stats.segments_skipped == 1 and stats.cps_violations == 1 and stats.notes_kept == 1
    assert stats.segments_merged == 4 and stats.segments_split == 1


def test_golden_files_read_back_with_pysrt_and_webvtt() -> None:
    items = pysrt.open(str(DATA / "talk.expected.srt"))
    caps = webvtt.read(str(DATA / "talk.karaoke.expected.vtt")).captions
    assert [i.index for i in items] == list(range(1, len(items) + 1))
    assert [i.text for i in items] == [c.text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">") for c in caps]
    assert [i.start.ordinal for i in items] == [c.start_time.in_milliseconds() for c in caps]


# --- write() and the CLI --------------------------------------------------------------


def test_write_by_extension_atomic_and_no_overwrite(tmp_path: Path) -> None:
    al = alignfile.load(INPUT)
    out = tmp_path / "x.SRT"
    stats = subtitles.write(al, out)
    assert out.read_text(encoding="utf-8").startswith("1\n00:00:01,000 --> ")
    assert stats.cues == 13
    with pytest.raises(OutputExistsError):
        subtitles.write(al, out)
    with pytest.raises(InputError, match=r"\.txt"):
        subtitles.write(al, tmp_path / "x.txt")
    with pytest.raises(InputError, match="karaoke"):
        subtitles.write(al, tmp_path / "y.srt", LayoutOptions(karaoke=True))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.SRT"]


def test_cli_writes_srt_and_vtt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    srt = tmp_path / "out.srt"
    assert main(["subtitles", str(INPUT), "-o", str(srt), "--quiet"]) == 0
    assert srt.read_text(encoding="utf-8") == (DATA / "talk.expected.srt").read_text(encoding="utf-8")
    vtt = tmp_path / "out.vtt"
    assert main(["subtitles", str(INPUT), "-o", str(vtt), "--karaoke", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["cues"] == 13 and summary["segments_skipped"] == 1 and summary["cps_violations"] == 1
    assert summary["format"] == "vtt" and summary["fps"] == "25/1"
    assert vtt.read_text(encoding="utf-8") == (DATA / "talk.karaoke.expected.vtt").read_text(encoding="utf-8")


def test_cli_options_reach_the_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o.srt"
    args = ["subtitles", str(INPUT), "-o", str(out), "--max-chars", "20", "--max-lines", "3", "--max-cps", "25",
            "--min-duration", "500", "--max-duration", "5000", "--min-gap-frames", "3", "--fps", "29.97",
            "--notes", "drop", "--json"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["fps"] == "30000/1001" and summary["gap_ms"] == 101 and summary["notes_dropped"] == 1
    items = pysrt.open(str(out))
    assert all(len(line) <= 20 for i in items for line in i.text.split("\n"))
    assert "[applause]" not in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("typed", ["29.97", "29.970", "30000/1001", "29.97002997"])
def test_one_frame_rate_reading_for_subtitles_and_export(typed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # --fps 29.970 once meant 2997/100 here and 30000/1001 in export
    assert main(["subtitles", str(INPUT), "-o", str(tmp_path / "o.srt"), "--fps", typed, "--json", "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["fps"] == "30000/1001"
    assert main(["export", str(INPUT), "-f", "fcpxml", "-o", str(tmp_path / "o.fcpxml"), "--fps", typed, "--json", "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["fps_fraction"] == [30000, 1001]


@pytest.mark.parametrize(
    "args, words",
    [
        (["-o", "{tmp}/out.txt"], "out.txt: cannot write subtitles"),
        (["-o", "{tmp}/exists.srt"], "exists.srt: already exists; pass --force"),
        (["-o", "{tmp}/k.srt", "--karaoke"], "karaoke"),
        (["-o", "{tmp}/f.srt", "--fps", "fast"], "--fps 'fast'"),
        (["-o", "{tmp}/n.srt", "--notes", "maybe"], "--notes"),
        (["-o", "{tmp}/m.srt", "--max-chars", "0"], "--max-chars"),
    ],
)
def test_cli_bad_input_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], words: str
) -> None:
    (tmp_path / "exists.srt").write_text("keep me", encoding="utf-8")
    argv = ["subtitles", str(INPUT), *[a.format(tmp=tmp_path) for a in args]]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("clipper: error: ") and words in err and "\n" not in err
    assert (tmp_path / "exists.srt").read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exists.srt"]


def test_cli_bad_alignment_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.align.json"
    bad.write_text("{}", encoding="utf-8")
    assert main(["subtitles", str(bad), "-o", str(tmp_path / "o.srt")]) == 2
    assert "not a clipper alignment file" in capsys.readouterr().err
    assert not (tmp_path / "o.srt").exists()


def test_cli_force_replaces(tmp_path: Path) -> None:
    out = tmp_path / "o.vtt"
    out.write_text("old", encoding="utf-8")
    assert main(["subtitles", str(INPUT), "-o", str(out), "--force", "-q"]) == 0
    assert out.read_text(encoding="utf-8").startswith("WEBVTT\n")


def test_doctests() -> None:
    import doctest

    from clipper.cli import subtitles_cmd

    for mod in (subtitles, subtitles_cmd):
        assert doctest.testmod(mod).failed == 0
