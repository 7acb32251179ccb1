"""Errors carry data: the options a message names (rendered as the library's keyword for
``str(e)`` and as the command line's flag by the CLI), and every field through pickling (a
pool or a Dask worker sends errors back pickled)."""

from __future__ import annotations

import io
import pickle
import re
import tokenize
from pathlib import Path

import pytest

import clipper
from clipper.cli import main
from clipper.errors import (
    AlignmentError,
    ClipperError,
    FormatError,
    InputError,
    MediaError,
    MismatchError,
    OutputExistsError,
    ParseError,
    flag,
)
from clipper.export.chapters import ChapterError

PKG = Path(__file__).resolve().parent.parent / "clipper"
SAMPLES = PKG.parent / "samples"


@pytest.mark.parametrize(
    "error",
    [
        InputError(f"{flag('--audio-track')} 3: the media has 2 tracks; leave {flag('--audio-track')} out"),
        ParseError("talk.srt", f"no cues; check {flag('--format')}", 12),
        FormatError(f"unknown format; pass {flag('--format')}", ["srt", "vtt"]),
        OutputExistsError("out/talk.srt"),
        MediaError(f"ffmpeg failed; try {flag('--mode')} accurate", ["ffmpeg", "-i", "x"], "boom"),
        MismatchError(f"only 3% matched; pass {flag('--force')}", 0.03, 0.2, "reference"),
        ChapterError(f"too short; use {flag('--format')} csv", 4000),
        AlignmentError(f"needs media or a {flag('--reference')} track"),
        ClipperError("plain"),
    ],
)
def test_errors_pickle_with_their_fields_and_flags(error: ClipperError):
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert (str(back), back.cli_message(), back.options) == (str(error), error.cli_message(), error.options)
    assert vars(back) == vars(error)
    assert "\u27e8" not in str(back) + back.cli_message()  # the marks never show
    for option in error.options:
        assert option in back.cli_message() and option not in str(back)


def test_the_library_names_keywords_and_the_command_line_names_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    al = clipper.align_files(SAMPLES / "interview.txt", SAMPLES / "interview.mp4", engine="uniform")
    with pytest.raises(InputError) as e:
        clipper.cut_clips(SAMPLES / "interview.mp4", al, tmp_path / "clips", ranges=["0:05-0:02"], mode="fast")
    assert str(e.value) == "range '0:05-0:02': the end is not after the start"
    assert e.value.options == ("--range",)
    with pytest.raises(InputError) as e:
        clipper.cut_clips(SAMPLES / "interview.mp4", al, tmp_path / "clips", ranges=["1-2"], audio_track=-1)
    assert str(e.value).startswith("audio_track -1: give 0 or more")
    clipper.save_alignment(al, tmp_path / "a.align.json")
    code = main(["cut", str(SAMPLES / "interview.mp4"), str(tmp_path / "a.align.json"), "--range", "0:05-0:02", "-o", str(tmp_path / "c")])
    assert code == 2
    assert capsys.readouterr().err == "clipper: error: --range '0:05-0:02': the end is not after the start\n"


def _error_strings() -> list[tuple[str, int, str]]:
    """Every string literal inside a ``...Error(...)`` call in the library (the CLI aside)."""
    out = []
    for path in PKG.rglob("*.py"):
        if path.relative_to(PKG).parts[0] == "cli":
            continue
        opened: list[int] = []
        depth, prev = 0, None
        for t in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
            if t.type == tokenize.OP and t.string == "(":
                depth += 1
                if prev is not None and prev.type == tokenize.NAME and prev.string.endswith("Error"):
                    opened.append(depth)
            elif t.type == tokenize.OP and t.string == ")":
                if opened and opened[-1] == depth:
                    opened.pop()
                depth -= 1
            elif t.type == tokenize.STRING and opened:
                out.append((str(path.relative_to(PKG)), t.start[0], t.string))
            if t.type not in (tokenize.NL, tokenize.COMMENT):
                prev = t
    return out


def test_library_errors_mark_every_flag_they_name():
    strings = _error_strings()
    assert len(strings) > 200  # the scan sees the messages
    bare = [(f, n, s) for f, n, s in strings if re.search(r"(?<![\w\-\u27e8])--[a-z][a-z-]*[a-z]", s)]
    assert bare == [], "name options with clipper.errors.flag() (or the marks around them), not as bare flags"
