"""Media with several audio tracks: probing them, choosing one (``--audio-track``) for
align, run and cut, the warning for a silent one, and clips that keep every track."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES

from clipper import alignfile
from clipper.cli import main
from clipper.media import decode_audio, ffmpeg_binary, iter_audio, loudest_second, probe, silent_track_warning
from clipper.model import AudioTrack, MediaInfo


def _ff(*args: str) -> None:
    subprocess.run([ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def _streams(path: Path) -> list[tuple[str, str | None, str]]:
    """(kind, language, description) of each stream, read from ``ffmpeg -i`` here rather
    than through clipper.media.probe, the code under test."""
    err = subprocess.run([ffmpeg_binary(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    pat = r"Stream #0:\d+(?:\[[^\]]*\])?(?:\(([^)]*)\))?: (Video|Audio|Subtitle|Data): ([^\n]*)"
    return [(m.group(2), m.group(1), m.group(3)) for m in re.finditer(pat, err)]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``two.mp4``: the sample's picture, a silent stereo track first (default, eng) and the
    sample's speech second (fra); ``subs.mkv``: the same two tracks plus an SRT subtitle
    stream; ``tc.mov``: with a timecode (data) stream."""
    media, transcript = SAMPLES / "interview.mp4", SAMPLES / "interview.txt"
    if not media.exists() or not transcript.exists():
        pytest.skip("samples/interview.* not present")
    d = tmp_path_factory.mktemp("tracks")
    two, subs, tc, srt = d / "two.mp4", d / "subs.mkv", d / "tc.mov", d / "s.srt"
    _ff("-i", str(media), "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-map", "0:v", "-map", "1:a", "-map", "0:a",
        "-c:v", "copy", "-c:a", "aac", "-shortest", "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fra",
        "-disposition:a:0", "default", "-disposition:a:1", "0", str(two))  # fmt: skip
    srt.write_text("1\n00:00:01,000 --> 00:00:04,000\nA subtitle in the source\n\n2\n00:00:20,000 --> 00:00:22,000\nAnother\n", encoding="utf-8")
    _ff("-i", str(two), "-i", str(srt), "-map", "0", "-map", "1", "-c", "copy", "-metadata:s:s:0", "language=deu", str(subs))
    _ff("-i", str(media), "-map", "0", "-c", "copy", "-timecode", "01:00:00:00", str(tc))
    al = d / "two1.align.json"
    assert main(["align", str(two), str(transcript), "-e", "activity", "--audio-track", "1", "-o", str(al), "-q"]) == 0
    return {"two": two, "subs": subs, "tc": tc, "transcript": transcript, "align": al}


def test_probe_lists_the_audio_tracks(files: dict[str, Path]):
    info = probe(files["two"])
    assert [(t.index, t.codec, t.channels, t.language, t.default) for t in info.audio_tracks] == [
        (0, "aac", 2, "eng", True),
        (1, "aac", 1, "fra", False),
    ]
    assert (info.audio_track, info.sample_rate, info.channels) == (0, 48000, 2)
    one = probe(files["two"], audio_track=1)
    assert (one.audio_track, one.sample_rate, one.channels) == (1, 16000, 1)
    subs = probe(files["subs"])
    assert subs.subtitle_codecs == ("subrip",) and len(subs.audio_tracks) == 2
    assert probe(files["tc"]).data_streams == 1


def test_a_track_the_file_lacks_is_refused_with_the_list(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from clipper.errors import InputError

    with pytest.raises(InputError, match=r"has 2 audio track\(s\): 0 \(aac, stereo, eng\), 1 \(aac, mono, fra\)"):
        probe(files["two"], audio_track=2)
    for argv in (
        ["align", str(files["two"]), str(files["transcript"]), "--audio-track", "2", "-o", str(tmp_path / "x.align.json")],
        ["run", str(files["two"]), str(files["transcript"]), "--audio-track", "5", "-o", str(tmp_path / "run")],
        ["cut", str(files["two"]), str(files["align"]), "-R", "1-2", "--audio-track", "2", "-o", str(tmp_path / "cut")],
        ["align", str(files["two"]), str(files["transcript"]), "--audio-track", "-1", "-o", str(tmp_path / "y.align.json")],
    ):
        assert main([*argv, "-q"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--audio-track" in err and "Traceback" not in err
    assert not any(tmp_path.iterdir())


def test_decoding_takes_the_chosen_track(files: dict[str, Path]):
    silent, speech = decode_audio(files["two"]), decode_audio(files["two"], track=1)
    assert len(silent) == len(speech) == 32 * 16000
    assert not silent.any() and np.abs(speech).max() > 3000
    # a probed MediaInfo carries its track to every decoder (what the engines are given)
    chosen = probe(files["two"], audio_track=1)
    assert np.array_equal(np.concatenate(list(iter_audio(chosen, chunk_ms=5000))), speech)
    assert loudest_second(files["two"]) == -120.0 and loudest_second(chosen) > -35


def _cli_decode(path: Path, track: int) -> np.ndarray:
    """The track as ffmpeg's own command line decodes it (the oracle: clipper decodes whole
    tracks inside a filter graph instead, which has to give the same samples)."""
    argv = [ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-i", str(path), "-map", f"0:a:{track}", "-ac", "1",
            "-ar", "16000", "-f", "s16le", "-acodec", "pcm_s16le", "-"]  # fmt: skip
    return np.frombuffer(subprocess.run(argv, capture_output=True, check=True).stdout, dtype=np.int16)


@pytest.mark.parametrize("name", ["plain.mp4", "a b's [x],y;z:w\\q.mp4", " edges .mp4", "ünï—名前 %s $HOME.mp4", "-dash\nline.mp4"])
def test_a_whole_track_decodes_as_ffmpeg_decodes_it_whatever_the_file_is_called(files: dict[str, Path], tmp_path: Path, name: str):
    # the file's name goes into a filter graph: quotes, colons, brackets, commas, semicolons,
    # backslashes and spaces at its edges must reach the demuxer as they are
    path = tmp_path / name
    path.write_bytes(files["two"].read_bytes())
    for track in (0, 1):
        got = decode_audio(path, track=track)
        assert len(got) == 32 * 16000 and np.array_equal(got, _cli_decode(files["two"], track))


def test_speech_activity_in_parallel_reads_the_chosen_track(files: dict[str, Path]):
    from clipper.vad import frame_activity, speech_regions

    chosen = probe(files["two"], audio_track=1)
    parallel = frame_activity(chosen, jobs=2, media_duration=chosen.duration)
    assert parallel.vad.sum() > 500 and speech_regions(parallel)
    assert np.array_equal(parallel.vad, frame_activity(chosen).vad)
    assert not frame_activity(files["two"], jobs=2).vad.any()


def test_silent_track_warns_and_names_the_one_with_sound(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    w = silent_track_warning(probe(files["two"]))
    assert w is not None and "audio track 0" in w and "silent" in w and "1 (aac, mono, fra)" in w and "--audio-track 1" in w
    assert silent_track_warning(probe(files["two"], audio_track=1)) is None
    out = tmp_path / "a.align.json"
    assert main(["align", str(files["two"]), str(files["transcript"]), "-e", "activity", "-o", str(out), "--json"]) == 0
    cap = capsys.readouterr()
    summary = json.loads(cap.out)
    assert summary["placed"] == 0 and any("--audio-track 1" in x for x in summary["warnings"])
    assert "clipper: warning: audio track 0 of two.mp4 is silent" in cap.err
    assert alignfile.load(out).stats["warnings"][-1] == w


def test_the_chosen_track_is_aligned_and_recorded(files: dict[str, Path], capsys: pytest.CaptureFixture[str]):
    al = alignfile.load(files["align"])
    assert al.media is not None and al.media.audio_track == 1
    assert [t.language for t in al.media.audio_tracks] == ["eng", "fra"]
    assert sum(1 for s in al.segments if s.placed) == len(al.segments)
    assert not [w for w in al.stats.get("warnings", ()) if "silent" in w]


def test_alignment_files_without_track_fields_still_load():
    d = json.loads(alignfile.dumps(_with_media()))
    assert d["media"]["audio_track"] == 1 and len(d["media"]["audio_tracks"]) == 2
    for key in ("audio_track", "audio_tracks", "subtitle_codecs", "data_streams"):
        del d["media"][key]
    back = alignfile.from_dict(d)
    assert back.media is not None and back.media.audio_track == 0 and back.media.audio_tracks == ()
    # and the new fields round-trip; at their defaults they are not written (older files stay as they were)
    al = _with_media()
    assert alignfile.loads(alignfile.dumps(al)) == al
    plain = json.loads(alignfile.dumps(replace(al, media=MediaInfo("/x/a.wav", 5000))))["media"]
    assert sorted(plain) == sorted(["path", "duration", "has_audio", "has_video", "fps_num", "fps_den", "width", "height",
                                    "sample_rate", "channels", "start_time"])  # fmt: skip


def _with_media():  # type: ignore[no-untyped-def]
    from clipper.model import Alignment, Transcript

    tracks = (AudioTrack(0, 1, "aac", 2, 48000, "eng", None, True), AudioTrack(1, 2, "opus", 1, 48000, None, "commentary"))
    info = MediaInfo("/x/a.mkv", 5000, has_video=True, audio_track=1, audio_tracks=tracks, subtitle_codecs=("ass",), data_streams=1)
    return Alignment(Transcript(()), "uniform", info)


@pytest.mark.parametrize("mode", ["accurate", "fast"])
def test_cut_keeps_every_track_the_chosen_one_first(files: dict[str, Path], tmp_path: Path, mode: str, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / mode
    # the alignment was made from track 1, so it comes first unless --audio-track says otherwise
    assert main(["cut", str(files["two"]), str(files["align"]), "-R", "1-5", "--mode", mode, "-o", str(out), "--json", "-q"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert "all 2 audio tracks kept; track 1 first (the default)" in res["notes"]
    clip = out / res["clips"][0]["file"]
    audio = [s for s in _streams(clip) if s[0] == "Audio"]
    assert [lang for _, lang, _ in audio] == ["fra", "eng"]
    assert "(default)" in audio[0][2] and "(default)" not in audio[1][2]
    assert np.abs(decode_audio(clip, track=0)).max() > 3000 and not decode_audio(clip, track=1).any()
    # asked for, track 0 comes first
    assert main(["cut", str(files["two"]), str(files["align"]), "-R", "1-5", "--mode", mode, "--audio-track", "0", "-o", str(tmp_path / "t0"), "-q"]) == 0
    clip0 = tmp_path / "t0" / clip.name
    assert [lang for kind, lang, _ in _streams(clip0) if kind == "Audio"] == ["eng", "fra"]
    assert not decode_audio(clip0).any()


def test_supercut_has_every_track(files: dict[str, Path], tmp_path: Path):
    out = tmp_path / "s"
    assert main(["cut", str(files["two"]), str(files["align"]), "-R", "1-3", "-R", "20-22", "--concat", "-o", str(out), "-q"]) == 0
    assert [lang for kind, lang, _ in _streams(out / "supercut.mp4") if kind == "Audio"] == ["fra", "eng"]


def test_subtitle_and_data_streams_kept_where_the_container_can(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    # fast keeps the Matroska container: the SRT stream is copied as it is
    assert main(["cut", str(files["subs"]), str(files["align"]), "-R", "1-5", "--mode", "fast", "-o", str(tmp_path / "f"), "--json", "-q"]) == 0
    res = json.loads(capsys.readouterr().out)
    kinds = [(k, lang) for k, lang, _ in _streams(tmp_path / "f" / res["clips"][0]["file"])]
    assert kinds == [("Video", None), ("Audio", "fra"), ("Audio", "eng"), ("Subtitle", "deu")] and res["clips"][0]["file"].endswith(".mkv")
    assert "1 of 1 subtitle stream(s) kept as they are" in res["notes"]
    # accurate writes MP4: the text subtitles become mov_text
    assert main(["cut", str(files["subs"]), str(files["align"]), "-R", "1-5", "-o", str(tmp_path / "a"), "--json", "-q"]) == 0
    res = json.loads(capsys.readouterr().out)
    subs = [d for k, _, d in _streams(tmp_path / "a" / res["clips"][0]["file"]) if k == "Subtitle"]
    assert len(subs) == 1 and subs[0].startswith("mov_text") and "1 of 1 subtitle stream(s) kept as mov_text" in res["notes"]
    # a timecode track is data: dropped, and said
    assert main(["cut", str(files["tc"]), str(files["align"]), "-R", "1-5", "--audio-track", "0", "-o", str(tmp_path / "t"), "--json", "-q"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert "1 data stream(s) (timecode and the like) not kept" in res["notes"]
    assert [k for k, _, _ in _streams(tmp_path / "t" / res["clips"][0]["file"])] == ["Video", "Audio"]


def test_run_aligns_the_chosen_track_and_its_clips_keep_both(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "run"
    argv = ["run", str(files["two"]), str(files["transcript"]), "-e", "activity", "--outputs", "alignment,clips", "-o", str(out)]
    assert main([*argv, "--audio-track", "1", "--json", "-q"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["alignment"]["placed"] == 13 and summary["alignment"]["warnings"] == []
    al = alignfile.load(out / "interview.align.json")
    assert al.media is not None and al.media.audio_track == 1
    first = out / "clips" / summary["clips"]["files"][0]
    assert [lang for kind, lang, _ in _streams(first) if kind == "Audio"] == ["fra", "eng"]
    # without it: the silent first track places nothing, so there is no clip to cut, and
    # the error says why and what to do
    assert main([*argv[:-1], str(tmp_path / "run0"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "no placed segments" in err and "audio track 0 of two.mp4 is silent" in err and "--audio-track 1" in err
    assert main([*argv[:-3], "alignment", "-o", str(tmp_path / "run1")]) == 0
    assert "warning: audio track 0 of two.mp4 is silent" in capsys.readouterr().err


def test_batch_manifest_column_and_default(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    man = tmp_path / "items.csv"
    man.write_text(f"name,media,transcript,engine,outputs,audio_track\nsecond,{files['two']},{files['transcript']},activity,alignment,1\n", encoding="utf-8")
    assert main(["batch", str(man), "-o", str(tmp_path / "out"), "-q", "-j", "1"]) == 0
    al = alignfile.load(tmp_path / "out" / "second" / "interview.align.json")
    assert al.media is not None and al.media.audio_track == 1 and all(s.placed for s in al.segments)
    # --audio-track for items that do not name one; a row's bad value is refused
    man.write_text(f"name,media,transcript,engine,outputs\nfirst,{files['two']},{files['transcript']},activity,alignment\n", encoding="utf-8")
    assert main(["batch", str(man), "-o", str(tmp_path / "out2"), "--audio-track", "1", "-q", "-j", "1"]) == 0
    assert alignfile.load(tmp_path / "out2" / "first" / "interview.align.json").media.audio_track == 1  # type: ignore[union-attr]
    man.write_text(f"name,media,transcript,audio_track\nx,{files['two']},{files['transcript']},one\n", encoding="utf-8")
    assert main(["batch", str(man), "-o", str(tmp_path / "out3"), "-q"]) == 2
    assert "audio_track 'one'" in capsys.readouterr().err
