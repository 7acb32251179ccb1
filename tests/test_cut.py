"""Cutting real media (clipper.cut, clipper.media cut functions, ``clipper cut``)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from clipper.alignfile import save
from clipper.cli import main
from clipper.clips import ClipRequest, PlanOptions, plan
from clipper.cut import CutOptions, make_clips
from clipper.errors import MediaError
from clipper.media import CutSpec, cut_args, ffmpeg_binary, probe, stream_starts
from clipper.model import Alignment, MediaInfo, Segment, Takeaway, Topic, Transcript, Word

WORDS = [("Hello", 500, 900), ("there", 1000, 1400), ("world.", 1500, 2000), ("This", 2600, 2900), ("is", 3000, 3200), ("a", 3300, 3400), ("test.", 3500, 4000), ("Goodbye", 4600, 5200), ("now.", 5300, 5600)]


def _al(media: MediaInfo | None = None) -> Alignment:
    segs = (
        Segment(0, "Hello there world.", tuple(Word(*w) for w in WORDS[:3]), 500, 2000),
        Segment(1, "This is a test.", tuple(Word(*w) for w in WORDS[3:7]), 2600, 4000),
        Segment(2, "Goodbye now.", tuple(Word(*w) for w in WORDS[7:]), 4600, 5600),
    )
    tr = Transcript(segs, takeaways=(Takeaway("A test is made", "They say this is a test.", ()),), topics=(Topic("Test"),))
    return Alignment(tr, engine="t", media=media)


def _ff(*args: str) -> None:
    subprocess.run([ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("media")
    av, audio, video, bad = d / "av.mp4", d / "audio.m4a", d / "video.mp4", d / "bad.mp4"
    src = ["-f", "lavfi", "-i", "testsrc=s=320x240:r=25:d=6", "-f", "lavfi", "-i", "sine=f=440:r=48000:d=6"]
    enc = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p"]
    _ff(*src, "-map", "0:v", "-map", "1:a", *enc, "-c:a", "aac", str(av))
    _ff("-f", "lavfi", "-i", "sine=f=330:r=48000:d=6", "-c:a", "aac", str(audio))
    _ff("-f", "lavfi", "-i", "testsrc=s=320x240:r=25:d=6", *enc, str(video))
    bad.write_bytes(b"\x00\x01not a video at all" * 100)
    align = d / "t.align.json"
    save(_al(probe(av)), align)
    return {"av": av, "audio": audio, "video": video, "bad": bad, "align": align}


def _cut(media: dict[str, Path], out: Path, *extra: str, src: str = "av") -> int:
    return main(["cut", str(media[src]), str(media["align"]), "-o", str(out), "-q", *extra])


def _clips(out: Path) -> list[dict]:  # type: ignore[type-arg]
    return json.loads((out / "manifest.json").read_text())["clips"]  # type: ignore[no-any-return]


def test_cut_args_are_one_list():
    assert cut_args(CutSpec("in.mp4", "out.mp4", 1500, 4000)) == [
        "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-ss", "1.500", "-i", "in.mp4", "-t", "2.500",
        "-map", "0:v:0", "-map", "0:a:0", "-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "160k", "-movflags", "+faststart", "out.mp4",
    ]


def test_accurate_clips_match_the_manifest(media: dict[str, Path], tmp_path: Path):
    out = tmp_path / "clips"
    assert _cut(media, out, "--quote", "this is a tset", "--range", "0:00.4-0:01.5", "--takeaway", "1", "--handle-before", "300") == 0
    clips = _clips(out)
    assert [c["kind"] for c in clips] == ["range", "quote"]  # the takeaway's passage overlaps the quote: merged
    for c in clips:
        info = probe(out / c["file"])
        assert abs(info.duration - c["duration"]) <= 40  # one frame at 25 fps
        assert c["source_start"] % 40 == 0 and c["duration"] % 40 == 0
        starts = stream_starts(out / c["file"])
        assert starts["video"] == starts["audio"] == 0
        srt = (out / c["srt"]).read_text()
        first = srt.split("\n")[1]
        assert first.startswith("00:00:0")
        assert (out / c["vtt"]).read_text().startswith("WEBVTT")
    q = clips[1]
    assert q["text"].startswith("This is a test.") and q["handle_before"] >= 280
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


def test_fast_mode_starts_on_a_keyframe(media: dict[str, Path], tmp_path: Path):
    out = tmp_path / "fast"
    assert _cut(media, out, "--quote", "this is a test", "--mode", "fast") == 0
    (c,) = _clips(out)
    assert c["source_start"] == 2000  # keyframe every second; the handle wanted ~2.35 s
    assert probe(out / c["file"]).duration == c["duration"]


def test_audio_only_and_video_only_media(media: dict[str, Path], tmp_path: Path):
    assert _cut(media, tmp_path / "a", "--range", "1-2.5", src="audio") == 0
    (c,) = _clips(tmp_path / "a")
    info = probe(tmp_path / "a" / c["file"])
    assert c["file"].endswith(".m4a") and not info.has_video and abs(info.duration - c["duration"]) <= 25
    assert _cut(media, tmp_path / "v", "--range", "1-2.5", src="video") == 0
    (c,) = _clips(tmp_path / "v")
    info = probe(tmp_path / "v" / c["file"])
    assert info.has_video and not info.has_audio and abs(info.duration - c["duration"]) <= 40
    assert _cut(media, tmp_path / "b", "--range", "1-2.5", "--burn", src="audio") == 2


def test_burn_vertical_fade_concat(media: dict[str, Path], tmp_path: Path):
    out = tmp_path / "fx"
    rc = _cut(media, out, "--quote", "hello there world", "--quote", "goodbye now", "--burn", "--vertical", "--fade", "200", "--concat")
    assert rc == 0
    clips = _clips(out)
    assert len(clips) == 2
    info = probe(out / clips[0]["file"])
    assert (info.width, info.height) == (134, 240)
    sup = probe(out / "supercut.mp4")
    assert abs(sup.duration - sum(c["duration"] for c in clips)) <= 80


def test_bad_inputs_one_line_exit_2_nothing_left(media: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "x"
    assert _cut(media, out, "--quote", "quantum chromodynamics on a lattice") == 2
    err = capsys.readouterr().err
    assert "matches nothing" in err and "nearest" in err and "Traceback" not in err
    assert _cut(media, out, "--range", "10-12") == 2
    assert "outside the media" in capsys.readouterr().err
    assert _cut(media, out, "--range", "1-2", src="bad") == 2
    assert "not a readable media file" in capsys.readouterr().err
    assert not out.exists()


def test_older_clips_are_not_replaced_without_force(media: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "o"
    assert _cut(media, out, "--range", "1-2") == 0
    before = (out / "manifest.json").read_text()
    assert _cut(media, out, "--range", "3-4") == 2
    assert "holds earlier clips" in capsys.readouterr().err
    assert (out / "manifest.json").read_text() == before
    assert _cut(media, out, "--range", "3-4", "--force") == 0
    assert [c["name"] for c in _clips(out)] == ["01-range-0-03-0-04"]
    assert not (out / "01-range-0-01-0-02.mp4").exists()  # the old clip is gone, not stale


def test_dry_run_prints_commands_and_writes_nothing(media: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "d"
    assert _cut(media, out, "--range", "1-2", "--dry-run") == 0
    printed = capsys.readouterr().out
    assert "-ss 0.920 " in printed and "libx264" in printed and "01-range-0-01-0-02.mp4" in printed
    assert not out.exists()


def test_failed_cut_leaves_no_partial_clip(media: dict[str, Path], tmp_path: Path):
    info = probe(media["av"])
    clips = plan([ClipRequest("range", "r", 1000, 2000)], _al(info), info.duration, PlanOptions())
    bad = MediaInfo(str(media["bad"]), 6000, has_audio=True, has_video=True, fps_num=25, fps_den=1)
    with pytest.raises(MediaError):
        make_clips(_al(bad), bad, clips, tmp_path / "f", CutOptions())
    assert not (tmp_path / "f").exists() and list(tmp_path.iterdir()) == []  # no folder, no staging left


def test_a_failed_or_interrupted_recut_keeps_the_earlier_clips(media: dict[str, Path], tmp_path: Path):
    """--force replaces the earlier set only once the new one is whole: a cut that fails, or
    is interrupted (Ctrl-C) after its first clip, leaves the folder exactly as it was."""
    out = tmp_path / "o"
    assert _cut(media, out, "--range", "1-2", "--range", "3-4") == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    info = probe(media["av"])
    clips = plan([ClipRequest("range", "r", 500, 1500), ClipRequest("range", "s", 2500, 3500)], _al(info), info.duration, PlanOptions())
    bad = MediaInfo(str(media["bad"]), 6000, has_audio=True, has_video=True, fps_num=25, fps_den=1)
    with pytest.raises(MediaError):
        make_clips(_al(bad), bad, clips, out, CutOptions(force=True))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    def ctrl_c(label: str, done: int, total: int) -> None:
        raise KeyboardInterrupt  # what Ctrl-C raises, here after the first clip is cut

    with pytest.raises(KeyboardInterrupt):
        make_clips(_al(info), info, clips, out, CutOptions(force=True), progress=ctrl_c)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    # and a whole recut replaces the set
    make_clips(_al(info), info, clips, out, CutOptions(force=True))
    assert sorted(c["name"] for c in _clips(out)) == [c.name for c in clips]
    assert not any(p.name.startswith("01-range-0-01") for p in out.iterdir())


def _frame(path: Path, at: float) -> bytes:
    got = subprocess.run([ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-ss", f"{at:.3f}", "-i", str(path), "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, check=True)  # fmt: skip
    return got.stdout


def test_hostile_folder_names_cannot_inject_into_the_filter_graph(media: dict[str, Path], tmp_path: Path):
    """The burnt-in subtitle file lives in the output folder: quotes, commas, semicolons,
    brackets, colons, equals signs and backslashes in its path stay a file name (the graph
    is built and escaped by ffmpeg-python), and the subtitles are really drawn."""
    from clipper.media import burn_support

    if not burn_support(None)[0]:
        pytest.skip(f"this ffmpeg cannot burn subtitles: {burn_support(None)[1]}")
    hostile = tmp_path / "x'; y,[z]:w=v\\q [out] ;movie=o.mp4"
    plain = tmp_path / "plain"
    assert _cut(media, hostile, "--quote", "hello there world", "--quote", "goodbye now", "--burn", "--concat") == 0
    assert _cut(media, plain, "--quote", "hello there world") == 0
    (burnt, second), (clean,) = _clips(hostile), _clips(plain)
    assert burnt["file"] == clean["file"]
    # the concat list names the clips by their hostile paths too
    assert abs(probe(hostile / "supercut.mp4").duration - burnt["duration"] - second["duration"]) <= 80
    # a cue is on screen from the first word: the burnt picture differs from the plain one
    assert _frame(hostile / burnt["file"], 0.6) != _frame(plain / clean["file"], 0.6)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([hostile.name, "plain"])


def test_a_new_clip_folder_has_plain_permissions(media: dict[str, Path], tmp_path: Path):
    import os
    import stat

    umask = os.umask(0o022)
    try:
        assert _cut(media, tmp_path / "p", "--range", "1-2") == 0
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "p").stat().st_mode) == 0o755
