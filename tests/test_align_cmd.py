"""``clipper align``: through clipper.cli.main and once as a subprocess; bad input gives one
line and exit 2, and never leaves an output file behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES

from clipper import alignfile, load_alignment
from clipper.cli import main
from clipper.cli.align_cmd import split_inputs
from clipper.errors import InputError

TRANSCRIPT = "hello world\n[laughter]\ngood morning to you\n"
REFERENCE = (
    "1\n00:00:00,500 --> 00:00:02,000\nhello world\n\n"
    "2\n00:00:02,500 --> 00:00:05,000\ngood morning to you\n"
)


def write_wav(path: Path, seconds: float, rate: int = 16000) -> None:
    t = np.arange(int(seconds * rate)) / rate
    pcm = (0.2 * 32767 * np.sin(2 * np.pi * 220 * t)).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    tr = tmp_path / "talk.txt"
    tr.write_text(TRANSCRIPT, encoding="utf-8")
    ref = tmp_path / "talk.srt"
    ref.write_text(REFERENCE, encoding="utf-8")
    media = tmp_path / "talk.wav"
    write_wav(media, 4.0)
    return {"transcript": tr, "reference": ref, "media": media, "out": tmp_path / "talk.align.json"}


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("clipper: error: ")
    return err


def test_media_and_transcript(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    args = ["align", str(files["media"]), str(files["transcript"]), "-o", str(files["out"]), "--engine", "uniform"]
    assert main([*args, "--segments", "lines", "--json", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    summary = json.loads(captured.out)
    assert summary["engine"] == "uniform" and summary["segments"] == 3 and summary["placed"] == 3
    assert summary["unplaced"] == 0 and summary["mean_confidence"] == 0.0 and summary["wall_s"] >= 0
    al = load_alignment(files["out"])
    assert al.media is not None and al.media.duration == 4000
    assert [(s.start, s.end) for s in al.segments] == [(0, 1200), (1200, 2000), (2000, 4000)]
    assert al.settings["transcript"] == str(files["transcript"])


def test_reference_only_one_positional(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    out = files["out"]
    rc = main(["align", str(files["transcript"]), "--reference", str(files["reference"]), "-o", str(out), "--engine", "uniform"])
    assert rc == 0
    err = capsys.readouterr().err
    assert "aligned 3 segments with uniform: 3 placed (0 confident), 0 not found in the media" in err
    al = alignfile.load(out)
    assert al.media is None and al.segments[-1].end == 5000  # the reference's last end
    assert al.settings["reference"] == str(files["reference"])


def test_anchor_and_options(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    rc = main([
        "align", str(files["media"]), str(files["transcript"]), "-o", str(files["out"]), "-q",
        "--engine", "uniform", "--anchor", "good morning@0:03", "--option", "note_weight=0",
    ])  # fmt: skip
    assert rc == 0
    al = alignfile.load(files["out"])
    assert al.segments[2].start == 3000
    assert al.settings["options"] == {"note_weight": 0}
    assert al.settings["anchors"] == [{"text": "good morning", "ms": 3000, "source": "user"}]


def test_refuses_to_overwrite_without_force(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    out = files["out"]
    out.write_text("keep me", encoding="utf-8")
    args = ["align", str(files["media"]), str(files["transcript"]), "-o", str(out), "--engine", "uniform", "-q"]
    assert main(args) == 2
    assert "already exists" in one_error_line(capsys)
    assert out.read_text(encoding="utf-8") == "keep me"
    assert main([*args, "--force"]) == 0
    assert alignfile.load(out).engine == "uniform"


@pytest.mark.parametrize(
    ("extra", "what"),
    [
        (["--anchor", "no time here"], "expected TEXT@TIME"),
        (["--anchor", "hello@soon"], "time"),
        (["--anchor", "@1:00"], "expected TEXT@TIME"),
        (["--option", "novalue"], "KEY=VALUE"),
        (["--engine", "magic"], "choose one of"),
        (["--segments", "words"], "choose one of"),
        (["--jobs", "0"], "--jobs"),
        # a setting no engine has, refused before auto listens to the audio
        (["--option", "windw=3"], "--option windw: no engine has this setting; known: anchor_tolerance"),
        (["--option", "note_wieght=50"], "did you mean note_weight?"),
        # each engine refuses what it does not read, and a value of the wrong type
        (["-e", "uniform", "--option", "sigma=0.3"], "not a setting of the uniform engine; known: note_weight"),
        (["-e", "uniform", "--option", "note_weight=lots"], "note_weight takes a whole number"),
        (["-e", "activity", "--option", "beam=1e-60"], "not a setting of the activity engine"),
        (["-e", "activity", "--option", "kmax=2.5"], "kmax takes a whole number"),
        (["-e", "speech", "--option", "note_weight=0"], "not a setting of the speech engine"),
        (["-e", "speech", "--option", "prior=maybe"], "prior takes true/false"),
        (["-e", "reference", "--option", "matcher=1"], "matcher takes a word"),
    ],
)
def test_bad_options(files: dict[str, Path], capsys: pytest.CaptureFixture[str], extra: list[str], what: str) -> None:
    rc = main(["align", str(files["media"]), str(files["transcript"]), "-o", str(files["out"]), *extra])
    assert rc == 2
    assert what in one_error_line(capsys)
    assert not files["out"].exists()


def test_missing_files_and_no_timing_source(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(files["out"])
    assert main(["align", str(files["media"]), str(tmp_path / "nope.txt"), "-o", out]) == 2
    assert "nope.txt: no such transcript file" in one_error_line(capsys)
    assert main(["align", str(tmp_path / "nope.mp4"), str(files["transcript"]), "-o", out]) == 2
    assert "nope.mp4: no such media file" in one_error_line(capsys)
    assert main(["align", str(files["transcript"]), "-o", out]) == 2
    assert "no media and no --reference" in one_error_line(capsys)
    assert main(["align", "a", "b", "c", "-o", out]) == 2
    one_error_line(capsys)
    # a reference without times, and a media file that is not media
    assert main(["align", str(files["transcript"]), "--reference", str(files["transcript"]), "-o", out, "-q"]) == 2
    assert "has no times" in one_error_line(capsys)
    assert main(["align", str(files["transcript"]), str(files["transcript"]), "-o", out, "-q"]) == 2
    one_error_line(capsys)
    assert not files["out"].exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary files


def test_empty_transcript(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    files["transcript"].write_text("", encoding="utf-8")
    assert main(["align", str(files["media"]), str(files["transcript"]), "-o", str(files["out"])]) == 2
    assert "talk.txt" in one_error_line(capsys)
    assert not files["out"].exists()


def test_split_inputs() -> None:
    assert split_inputs(["m.mp4", "t.txt"], None) == ("m.mp4", "t.txt")
    assert split_inputs(["t.txt"], "r.vtt") == (None, "t.txt")
    assert split_inputs(["m.mp4", "t.txt"], "r.vtt") == ("m.mp4", "t.txt")
    with pytest.raises(InputError):
        split_inputs(["t.txt"], None)


def test_subprocess(files: dict[str, Path]) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    cmd = [sys.executable, "-m", "clipper", "align", str(files["media"]), str(files["transcript"]),
           "-o", str(files["out"]), "--engine", "uniform", "--json"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["placed"] == 3
    assert "aligned 3 segments" in proc.stderr
    again = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert again.returncode == 2
    assert again.stderr.strip().count("\n") == 0 and "already exists" in again.stderr
    assert "Traceback" not in again.stderr


def test_python_api(files: dict[str, Path]) -> None:
    import clipper

    tr = clipper.load_transcript(files["transcript"], segmentation="lines")
    assert [s.text for s in tr.segments] == ["hello world", "[laughter]", "good morning to you"]
    al = clipper.align_files(files["transcript"], files["media"], engine="uniform", anchors=["good morning@3"])
    assert al.segments[2].start == 3000
    clipper.save_alignment(al, files["out"])
    assert clipper.load_alignment(files["out"]) == al
    ref_only = clipper.align_files(files["transcript"], reference_path=files["reference"], engine="uniform")
    assert ref_only.segments[-1].end == 5000
    media = clipper.probe_media(str(files["media"]))
    same = clipper.align_transcript(tr, media, engine="uniform", anchors=[clipper.Anchor("good morning", 3000)])
    assert [(s.start, s.end) for s in same.segments] == [(s.start, s.end) for s in al.segments]
    assert clipper.summarize(al)["placed"] == 3


def test_parse_anchor_and_options() -> None:
    from clipper.pipeline import parse_anchor, parse_options

    assert parse_anchor("mail me@home@1:02:03.5").text == "mail me@home"
    assert parse_anchor("mail me@home@1:02:03.5").ms == 3_723_500
    assert parse_anchor("x@90").ms == 90_000
    assert parse_options(["a=1", "b=2.5", "c=true", "d=no", "e=en-us", "f=", "a=3"]) == {
        "a": 3, "b": 2.5, "c": True, "d": False, "e": "en-us", "f": "",
    }  # fmt: skip
    for bad in ("=1", "novalue"):
        with pytest.raises(InputError):
            parse_options([bad])


def test_engine_warnings_reach_stderr(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["align", str(files["media"]), str(files["transcript"]), "-o", str(files["out"]),
               "--engine", "uniform", "--anchor", "good morning@9:00"])  # fmt: skip
    assert rc == 0
    err = capsys.readouterr().err
    assert "clipper: warning: anchor 'good morning'" in err and "outside the media" in err


def test_a_reference_run_never_loads_numpy() -> None:
    """docs/design.md: `clipper align --reference` (auto included) does not pay for numpy."""
    import subprocess
    import sys

    from conftest import ROOT

    code = (
        "import sys\n"
        "from clipper.pipeline import align_files\n"
        "al = align_files('tests/data/reference/seed_6min.txt', reference_path='tests/data/reference/seed_6min.youtube.vtt')\n"
        "print(al.engine, 'numpy' in sys.modules)\n"
    )
    got = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert got.stdout.split() == ["reference", "False"]


@pytest.mark.parametrize(("engine", "key", "value", "other"), [
    ("speech", "wbeam", 1e-30, "block_ms"),
    ("activity", "sigma", 0.3, "kmax"),
])  # fmt: skip
def test_the_alignment_file_records_every_setting_as_used(engine: str, key: str, value: float, other: str) -> None:
    from conftest import ROOT

    from clipper.align import option_keys
    from clipper.pipeline import align_files

    data = ROOT / "tests" / "data" / "speech"
    al = align_files(data / "transcript.txt", data / "acoustic_clip.flac", engine=engine, options={key: value})
    used = al.settings["effective"]
    assert used[key] == value and other in used  # what was given, and the defaults beside it
    assert set(used) <= option_keys(engine)
    assert al.settings["options"] == {key: value}  # what the user gave, as given


def test_the_summary_line_says_where_a_text_of_a_stretch_lies() -> None:
    from clipper.cli.align_cmd import summary_line

    base = {"segments": 11, "engine": "speech", "placed": 11, "confident": 9, "unplaced_spoken": 0, "mean_confidence": 0.6}
    assert "lies in" not in summary_line({**base, "text_span_ms": None})
    line = summary_line({**base, "text_span_ms": [140_370, 179_020]})
    assert line.endswith("mean confidence 0.60, the text lies in 2:20-2:59 of the media")


def test_a_killed_align_leaves_no_temporary_folder_and_no_output(tmp_path: Path) -> None:
    # SIGTERM (`timeout`, a scheduler) stops like Ctrl-C: before, its default ended the process
    # at once and the decoded audio stayed in the temporary folder
    import time

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "interview.align.json"
    cmd = [sys.executable, "-m", "clipper", "align", str(SAMPLES / "interview.mp4"), str(SAMPLES / "interview.txt"),
           "-o", str(out), "--engine", "speech", "-q"]  # fmt: skip
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(tmp)})
    deadline = time.monotonic() + 120
    while not any(tmp.iterdir()) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "finished before it could be stopped"
    proc.terminate()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert err.splitlines()[-1] == "clipper: interrupted", err
    assert list(tmp.iterdir()) == [] and not out.exists()


def test_workers_stop_without_a_traceback(tmp_path: Path) -> None:
    # the speech engine's worker pool is stopped with SIGTERM when its work is done; forked
    # workers had inherited the CLI's handler (SIGTERM as Ctrl-C), and each idle one printed
    # a KeyboardInterrupt traceback on a run that otherwise went well
    out = tmp_path / "interview.align.json"
    cmd = [sys.executable, "-m", "clipper", "align", str(SAMPLES / "interview.mp4"), str(SAMPLES / "interview.txt"),
           "-o", str(out), "--engine", "speech", "-j", "2", "-q"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0 and out.exists(), proc.stderr
    assert "Traceback" not in proc.stderr and "KeyboardInterrupt" not in proc.stderr, proc.stderr


def test_ctrl_c_stops_a_parallel_run_with_one_line(tmp_path: Path) -> None:
    # Ctrl-C reaches the whole process group: the workers recognising the probe's samples
    # each printed a traceback, and typer >= 0.29 turns the parent's into exit code 130 with
    # nothing said
    import signal

    out = tmp_path / "interview.align.json"
    cmd = [sys.executable, "-m", "clipper", "align", str(SAMPLES / "interview.mp4"), str(SAMPLES / "interview.txt"),
           "-o", str(out), "--engine", "speech", "-j", "2"]  # fmt: skip
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:  # progress lines: the probe's workers start once the audio is decoded
        seen.append(line)
        if line.startswith("decode: 100%"):
            break
    assert proc.poll() is None, "finished before it could be stopped"
    os.killpg(proc.pid, signal.SIGINT)
    err = "".join(seen) + proc.stderr.read()
    proc.wait(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert err.splitlines()[-1] == "clipper: interrupted", err
    assert not out.exists()
