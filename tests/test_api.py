"""The Python API does what the commands do: align, find, subtitles, exports, clips, run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLES

import clipper

MEDIA, TEXT = SAMPLES / "interview.mp4", SAMPLES / "interview.txt"


def test_the_api_end_to_end(tmp_path: Path) -> None:
    al = clipper.align_files(TEXT, MEDIA, engine="uniform")
    (best, *_) = clipper.find(al, "this is the acoustic corpus", top=3)
    assert best.score >= 80 and best.start is not None
    stats = clipper.write_subtitles(al, tmp_path / "t.srt")
    assert stats.cues > 0 and (tmp_path / "t.srt").read_text(encoding="utf-8").startswith("1\n")
    clipper.write_export(al, tmp_path / "t.edl", "edl")
    assert "TITLE:" in (tmp_path / "t.edl").read_text(encoding="utf-8")
    res = clipper.cut_clips(MEDIA, al, tmp_path / "clips", ranges=["1-3"])
    (clip,) = json.loads((tmp_path / "clips" / "manifest.json").read_text())["clips"]
    assert res.manifest.clips[0].file == clip["file"] and (tmp_path / "clips" / clip["file"]).exists()
    with pytest.raises(clipper.InputError, match="earlier clips"):
        clipper.cut_clips(MEDIA, al, tmp_path / "clips", ranges=["1-3"])  # never overwritten without force
    summary = clipper.run(MEDIA, TEXT, tmp_path / "run", engine="uniform", outputs=["alignment", "vtt"])
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["interview.align.json", "interview.vtt"]
    assert summary["alignment"]["engine"] == "uniform"
