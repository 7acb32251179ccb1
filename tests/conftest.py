"""Shared fixtures. Tests that need ../shared (the data and benchmarks beside the
project) skip with a clear reason when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = ROOT / "tests" / "data"
SAMPLES = ROOT / "samples"
SHARED = Path(os.environ.get("CLIPPER_SHARED", ROOT.parent / "shared")).resolve()


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test saying what is missing."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"needs {p} (the shared data beside the project; set CLIPPER_SHARED to point elsewhere)")
    return p


@pytest.fixture
def shared() -> Path:
    return shared_path()


@pytest.fixture
def seed_path() -> Path:
    return shared_path("seeds", "000_4a3f5fdea2417d2d.txt")


@pytest.fixture(scope="session")
def aligned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``samples/interview`` aligned by the speech engine, once per run (``interview.align.json``
    in a folder of its own); a test that writes copies it."""
    import clipper

    d = tmp_path_factory.mktemp("aligned")
    al = clipper.align_files(SAMPLES / "interview.txt", SAMPLES / "interview.mp4")
    clipper.save_alignment(al, d / "interview.align.json")
    return d / "interview.align.json"
