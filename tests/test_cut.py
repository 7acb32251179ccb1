"""Cutting real media (clipper.clips.cut, clipper.media cut functions, ``clipper cut``)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from clipper.alignfile import save
from clipper.cli import main
from clipper.clips.cut import CutOptions, make_clips
from clipper.clips.plan import ClipRequest, PlanOptions, plan
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
    assert (info.width, info.height) == (1080, 1920) and info.sar_num is None  # 9:16 of 320x240, scaled up, square pixels
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
    assert "-ss 0.960 " in printed and "libx264" in printed and "01-range-0-01-0-02.mp4" in printed
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


# --------------------------------------------------------------------------------------
# picture size, burnt-in subtitle layout, encoders, supercut order

LONG = [
    "Everything we measured that afternoon was ordinary, which is exactly why it mattered to us.",
    "Nobody expected the second measurement to disagree with the first one by quite so much.",
]


def _long_al(media: MediaInfo) -> Alignment:
    """Two long sentences (~90 characters each) over 6 s: lines laid out to the limit."""
    segs = []
    for k, text in enumerate(LONG):
        toks = text.split()
        a, b = 200 + k * 3000, 2900 + k * 3000
        step = (b - a) // len(toks)
        words = tuple(Word(t, a + i * step, a + i * step + step - 30) for i, t in enumerate(toks))
        segs.append(Segment(k, text, words, words[0].start, words[-1].end))
    return Alignment(Transcript(tuple(segs)), engine="t", media=media)


@pytest.fixture(scope="module")
def dark(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A black 16:9 picture (burnt-in text is then the only light in a frame), an
    anamorphic one (SAR 4:3), and an alignment of long lines."""
    d = tmp_path_factory.mktemp("dark")
    black, wide = d / "black.mp4", d / "anamorphic.mp4"
    src = ["-f", "lavfi", "-i", "color=c=black:s=640x360:r=25:d=6", "-f", "lavfi", "-i", "sine=f=440:r=48000:d=6"]
    _ff(*src, "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(black))
    _ff("-f", "lavfi", "-i", "testsrc=s=480x360:r=25:d=2", "-vf", "setsar=4/3", "-c:v", "libx264", "-preset", "ultrafast",
        "-pix_fmt", "yuv420p", str(wide))  # fmt: skip
    align = d / "long.align.json"
    save(_long_al(probe(black)), align)
    return {"black": black, "anamorphic": wide, "align": align}


def _lines_on_screen(path: Path, at_ms: int, w: int, h: int) -> int:
    """Text lines in the frame at ``at_ms``: runs of rows holding bright pixels (the black
    picture has none but the subtitles' white fill)."""
    import numpy as np

    img = np.frombuffer(_frame(path, at_ms / 1000), dtype=np.uint8)[: w * h].reshape(h, w)
    rows = (img > 128).any(axis=1)
    return int(np.count_nonzero(rows[1:] & ~rows[:-1]) + int(rows[0]))


def _cues(srt: Path) -> list[tuple[int, int, list[str]]]:
    from clipper.subtitles import read_cues

    return [(c.start, c.end, list(c.lines)) for c in read_cues(srt)]


def _sar(path: Path) -> str | None:
    err = subprocess.run([ffmpeg_binary(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    m = re.search(r"Video: .*?\bSAR (\d+:\d+)", err)
    return m.group(1) if m else None


@pytest.mark.parametrize(("vertical", "size", "chars", "lines"), [(True, (1080, 1920), 25, 3), (False, (640, 360), 42, 2)])
def test_burnt_subtitles_fit_the_frame(dark: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       vertical: bool, size: tuple[int, int], chars: int, lines: int):  # fmt: skip
    """A vertical clip is 1080x1920 with square pixels; the subtitles burnt into it (and its
    sidecars) are laid out for its width, and libass wraps none of their lines again: the
    lines in a rendered frame are the lines in the file, at most 3 (2 for 16:9)."""
    from clipper.media import burn_support

    if not burn_support(None)[0]:
        pytest.skip(f"this ffmpeg cannot burn subtitles: {burn_support(None)[1]}")
    out = tmp_path / "b"
    argv = ["cut", str(dark["black"]), str(dark["align"]), "-R", "0-6", "--burn", "-o", str(out), "--json", "-q"]
    assert main([*argv, *(["--vertical"] if vertical else [])]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["frame"] == list(size) and res["subtitle_lines"] == {"max_chars": chars, "max_lines": lines}
    clip = out / res["clips"][0]["file"]
    info = probe(clip)
    assert (info.width, info.height) == size and _sar(clip) == "1:1"
    # the file the burn filter reads is the clip's SRT (named in the filter graph)
    graph = res["commands"][0][res["commands"][0].index("-filter_complex") + 1]
    assert res["clips"][0]["srt"] in graph and "force_style" in graph
    cues = _cues(out / res["clips"][0]["srt"])
    assert len(cues) >= 2 and max(len(c[2]) for c in cues) <= lines
    assert max(len(line) for c in cues for line in c[2]) <= chars
    assert max(len(line) for c in cues for line in c[2]) > chars - 10  # the long lines are really long
    for start, end, text in cues:
        assert _lines_on_screen(clip, (start + end) // 2, *size) == len(text), text


def test_vertical_from_anamorphic_and_scale_options(dark: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    # 480x360 pixels at SAR 4:3 show as 640x360: the 9:16 crop is of the picture as shown
    assert main(["cut", str(dark["anamorphic"]), str(dark["align"]), "-R", "0-1", "--vertical", "-o", str(tmp_path / "v"), "--json", "-q"]) == 0
    res = json.loads(capsys.readouterr().out)
    graph = res["commands"][0][res["commands"][0].index("-filter_complex") + 1]
    assert "crop=150:360:165:0" in graph
    clip = tmp_path / "v" / res["clips"][0]["file"]
    assert (probe(clip).width, probe(clip).height, _sar(clip)) == (1080, 1920, "1:1")
    # --scale with --vertical: the crop takes the frame's shape (4:5)
    assert main(["cut", str(dark["black"]), str(dark["align"]), "-R", "0-1", "--vertical", "--scale", "432x540", "-o", str(tmp_path / "p"), "--json", "-q"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert "crop=288:360:176:0" in res["commands"][0][res["commands"][0].index("-filter_complex") + 1]
    assert (probe(tmp_path / "p" / res["clips"][0]["file"]).width, probe(tmp_path / "p" / res["clips"][0]["file"]).height) == (432, 540)
    # without --vertical: the whole picture, letterboxed into the frame
    assert main(["cut", str(dark["anamorphic"]), str(dark["align"]), "-R", "0-1", "--scale", "640x640", "-o", str(tmp_path / "l"), "--json", "-q"]) == 0
    clip = tmp_path / "l" / json.loads(capsys.readouterr().out)["clips"][0]["file"]
    assert (probe(clip).width, probe(clip).height, _sar(clip)) == (640, 640, "1:1")
    import numpy as np

    img = np.frombuffer(_frame(clip, 0.5), dtype=np.uint8).reshape(640, 640)
    assert img[:100].max() < 30 and img[-100:].max() < 30 and img[200:440].mean() > 60  # bars above and below: 640x360 shown


@pytest.mark.parametrize(
    ("extra", "what"),
    [
        (["--scale", "641x360"], "even numbers"),
        (["--scale", "big"], "WIDTHxHEIGHT"),
        (["--video-codec", "h264_imaginary"], "choose one of libx264"),
        (["--crf", "70"], "libx264 takes 0"),
        (["--video-codec", "libx265", "--preset", "turbo"], "libx265 takes one of ultrafast"),
        (["--audio-bitrate", "lots"], "--audio-bitrate"),
        (["--supercut-order", "random"], "given or timeline"),
        (["--scale", "640x360", "--mode", "fast"], "use --mode accurate"),
    ],
)
def test_bad_picture_and_encoder_options_exit_2(media: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], what: str):
    assert _cut(media, tmp_path / "x", "--range", "1-2", *extra) == 2
    err = capsys.readouterr().err
    assert what in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_encoder_options(media: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from clipper.media import encoders

    if "libx265" not in encoders():
        pytest.skip("this ffmpeg has no libx265")
    out = tmp_path / "h"
    assert _cut(media, out, "--range", "1-2", "--video-codec", "libx265", "--crf", "30", "--preset", "ultrafast", "--audio-bitrate", "96k", "--json") == 0
    res = json.loads(capsys.readouterr().out)
    argv = res["commands"][0]
    assert argv[argv.index("-c:v") + 1] == "libx265" and argv[argv.index("-crf") + 1] == "30" and argv[argv.index("-b:a") + 1] == "96k"
    err = subprocess.run([ffmpeg_binary(), "-hide_banner", "-i", str(out / res["clips"][0]["file"])], capture_output=True, text=True).stderr
    assert re.search(r"Video: hevc", err)
    # fast mode copies: the options are noted as not applying, and the clip is the source's H.264
    assert _cut(media, tmp_path / "f", "--range", "1-2", "--mode", "fast", "--crf", "30", "--json") == 0
    res = json.loads(capsys.readouterr().out)
    assert any("do not apply" in n for n in res["notes"]) and "libx265" not in res["commands"][0]


def test_supercut_follows_the_order_given(media: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """--concat joins the clips as asked (later range first, the quote in between), or by
    time with --supercut-order timeline; the supercut's first frame is the first clip's."""
    out = tmp_path / "g"
    assert _cut(media, out, "--range", "4.5-5.6", "--quote", "hello there world", "--range", "2.5-3.5", "--concat", "--json") == 0
    res = json.loads(capsys.readouterr().out)
    by_start = sorted(res["clips"], key=lambda c: c["source_start"])
    assert [c["file"] for c in res["clips"]] == [c["file"] for c in by_start]  # files and manifest stay in time order
    assert res["supercut_order"] == [by_start[2]["file"], by_start[0]["file"], by_start[1]["file"]]
    assert _frame(out / "supercut.mp4", 0) == _frame(out / by_start[2]["file"], 0) != _frame(out / by_start[0]["file"], 0)
    t = tmp_path / "t"
    assert _cut(media, t, "--range", "4.5-5.6", "--quote", "hello there world", "--range", "2.5-3.5", "--concat", "--supercut-order", "timeline", "--json") == 0
    res = json.loads(capsys.readouterr().out)
    assert res["supercut_order"] == [c["file"] for c in by_start]
    assert _frame(t / "supercut.mp4", 0) == _frame(t / by_start[0]["file"], 0)


def test_cut_args_with_tracks_and_subtitle_streams():
    args = cut_args(CutSpec("in.mkv", "out.mkv", 0, 1000, mode="fast", audio_track=2, audio_tracks=3, subtitle_streams=(0,)))
    maps = [args[i + 1] for i, a in enumerate(args) if a == "-map"]
    assert maps == ["0:v:0", "0:a:2", "0:a:0", "0:a:1", "0:s:0"] and "-sn" not in args
    assert args[args.index("-disposition:a:0") + 1] == "default" and args[args.index("-disposition:a:2") + 1] == "0"
    assert args[args.index("-map_metadata:s:a:0") + 1] == "0:s:a:2"
