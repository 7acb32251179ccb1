"""``clipper run`` on the sample, and the cut round trip: re-aligning a cut clip puts
its first word where the manifest's handle says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLES

from clipper.cli import main
from clipper.media import probe, stream_starts


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    media, transcript = SAMPLES / "interview.mp4", SAMPLES / "interview.txt"
    if not media.exists() or not transcript.exists():
        pytest.skip("samples/interview.* not present")
    out = tmp_path_factory.mktemp("run") / "out"
    assert main(["run", str(media), str(transcript), "-o", str(out), "-q"]) == 0
    return out


def test_run_writes_everything(run_dir: Path, capsys: pytest.CaptureFixture[str]):
    names = sorted(p.name for p in run_dir.iterdir())
    assert names == ["clips", "interview.align.json", "interview.chapters.txt", "interview.edl", "interview.srt", "interview.vtt"]
    clips = json.loads((run_dir / "clips" / "manifest.json").read_text())["clips"]
    assert [c["kind"] for c in clips] == ["takeaway"] * 3  # one clip per takeaway
    for c in clips:
        info = probe(run_dir / "clips" / c["file"])
        assert abs(info.duration - c["duration"]) <= 40
        assert stream_starts(run_dir / "clips" / c["file"]) == {"video": 0, "audio": 0}
    assert "FROM CLIP" in (run_dir / "interview.edl").read_text()
    # a second run into the same folder is refused without --force
    assert main(["run", str(SAMPLES / "interview.mp4"), str(SAMPLES / "interview.txt"), "-o", str(run_dir), "-q"]) == 2
    assert "earlier results" in capsys.readouterr().err


def test_round_trip_first_word_at_the_handle(run_dir: Path, tmp_path: Path):
    """Align the first clip's audio against its own text: the first word starts where the
    manifest's handle says it does (within 100 ms)."""
    from clipper.pipeline import align_files

    engine = "speech"
    c = json.loads((run_dir / "clips" / "manifest.json").read_text())["clips"][0]
    txt = tmp_path / "clip.txt"
    txt.write_text(c["text"] + "\n", encoding="utf-8")
    al = align_files(txt, run_dir / "clips" / c["file"], engine=engine)
    first = next(w for s in al.segments for w in s.words if w.start is not None)
    assert abs(first.start - c["handle_before"]) <= 100, (first, c["handle_before"])  # type: ignore[operator]


def test_run_writes_only_the_outputs_asked_for(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    media, transcript = SAMPLES / "interview.mp4", SAMPLES / "interview.txt"
    out = tmp_path / "o"
    assert main(["run", str(media), str(transcript), "-o", str(out), "-e", "uniform", "--outputs", "srt,chapters", "-q",
                 "-O", "note_weight=4", "--json"]) == 0  # fmt: skip
    summary = json.loads(capsys.readouterr().out)
    assert sorted(p.name for p in out.iterdir()) == ["interview.chapters.txt", "interview.srt"]
    assert summary["exports"] == {"chapters": "interview.chapters.txt"} and "clips" not in summary
    # a bad output name or engine setting is refused before anything is written
    for extra, words in ((["--outputs", "srt,pdf"], "unknown; choose from"), (["-O", "note_wieght=4"], "did you mean note_weight")):
        assert main(["run", str(media), str(transcript), "-o", str(tmp_path / "p"), "-e", "uniform", "-q", *extra]) == 2
        assert words in capsys.readouterr().err
        assert not (tmp_path / "p").exists()
