"""A transcript that does not belong to the media is refused by ``align`` and ``run``: one
line, exit code 2, nothing written; ``--force`` goes on and marks the result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLES, TESTDATA

from clipper.cli import main

CLIP = TESTDATA / "speech" / "acoustic_clip.flac"
OTHER = (
    "the quick brown fox jumps over the lazy dog and runs away into the dark forest\n"
    "colourless green ideas sleep furiously tonight while the city slowly falls asleep\n"
    "we hold these truths to be self evident that all men are created equal\n"
    "a journey of a thousand miles begins with a single step taken in the morning\n"
)


@pytest.fixture
def other(tmp_path: Path) -> Path:
    p = tmp_path / "other.txt"
    p.write_text(OTHER, encoding="utf-8")
    return p


def _one_line_error(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith("clipper:")]
    assert len(lines) == 1 and "Traceback" not in err
    return lines[0]


def test_align_refuses_another_recordings_transcript(tmp_path: Path, other: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.align.json"
    assert main(["align", str(CLIP), str(other), "-o", str(out), "-q"]) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert "recognition found only" in line and "--force" in line and str(other) in line
    assert not out.exists() and list(tmp_path.iterdir()) == [other]


def test_align_force_goes_on_and_marks_it(tmp_path: Path, other: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.align.json"
    assert main(["align", str(CLIP), str(other), "-o", str(out), "--force", "--json", "-q"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["mismatch"]["forced"] is True and summary["confident"] == 0
    d = json.loads(out.read_text())
    assert all(s["confidence"] is None or s["confidence"] <= 0.1 for s in d["segments"])


def test_run_refuses_before_writing_anything(tmp_path: Path, other: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not (SAMPLES / "interview.mp4").exists():
        pytest.skip("samples/interview.mp4 not present")
    out = tmp_path / "out"
    assert main(["run", str(SAMPLES / "interview.mp4"), str(other), "-o", str(out), "-q"]) == 2
    _one_line_error(capsys.readouterr().err)
    assert not out.exists()


def test_find_and_cut_refuse_a_quote_the_media_does_not_hold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the clip's lines, then lines nobody speaks in it: those stay unplaced, and asking for
    # them gives the reason and exit 2, never a clip of the wrong audio
    lines = (TESTDATA / "speech" / "transcript.txt").read_text(encoding="utf-8").splitlines()
    later = [f"and then {w} spoke about the {w} plan for the next {n} years" for n, w in
             enumerate(["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"] * 6, start=2)]  # fmt: skip
    tr = tmp_path / "long.txt"
    tr.write_text("\n".join(lines + later) + "\n", encoding="utf-8")
    al = tmp_path / "long.align.json"
    assert main(["align", str(CLIP), str(tr), "-o", str(al), "--engine", "speech", "-q"]) == 0
    d = json.loads(al.read_text(encoding="utf-8"))
    assert all(s["start"] is None for s in d["segments"][len(lines) :])
    capsys.readouterr()
    assert main(["find", str(al), "carol spoke about the carol plan for the next 4 years"]) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert "not found in the media" in line
    clips = tmp_path / "clips"
    assert main(["cut", str(CLIP), str(al), "--quote", "carol spoke about the carol plan for the next 4 years", "-o", str(clips), "-q"]) == 2
    assert "not found in the media" in _one_line_error(capsys.readouterr().err)
    assert not clips.exists() or not any(clips.iterdir())
