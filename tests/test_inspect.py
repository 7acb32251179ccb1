"""``clipper inspect``: what was read and what cleaning did; bad input exits 2 in one line."""

from __future__ import annotations

import codecs
import json
import subprocess
import sys

import pytest
from conftest import TESTDATA

from clipper.cli import main

EXCERPT = TESTDATA / "formats" / "longcut_excerpt.txt"


def run(capsys, *args):
    code = main(["inspect", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_on_the_excerpt(capsys):
    code, out, err = run(capsys, EXCERPT, "--json")
    assert code == 0 and err == ""
    d = json.loads(out)
    assert set(d) == {"file", "format", "segmentation", "meta", "counts", "span", "takeaways", "topics", "cleaning"}
    assert d["format"] == "longcut" and d["segmentation"] == "lines"
    c = d["counts"]
    assert (c["takeaways"], c["hints"], c["topics"], c["segments"]) == (6, 12, 5, 265)
    assert c["spoken_segments"] + c["non_speech_segments"] == c["segments"]
    assert d["takeaways"][1]["hints"][0] == {
        "raw": "[09:42:10]",
        "readings": [{"ms": 34930000, "form": "h:mm:ss"}, {"ms": 582000, "form": "mm:ss+field"}],
    }
    assert d["cleaning"]["counts"]["paragraph_repeats_removed"] == 1
    assert d["cleaning"]["examples"]["boilerplate_dropped"][0] == "LongCut logo"


def test_text_report_on_the_seed(capsys, seed_path):
    code, out, err = run(capsys, seed_path, "--quiet")
    assert code == 0 and err == ""
    assert "segments: 13325 (13274 spoken, 51 non-speech) in 2129 paragraphs" in out
    assert "takeaways: 6, hints: 12, topics: 5" in out
    assert "paragraph_repeats_removed: 222" in out
    assert "[09:42:10] = 9:42:10 (h:mm:ss) or 9:42 (mm:ss+field)" in out


def test_seed_json_counts(capsys, seed_path):
    code, out, _ = run(capsys, seed_path, "--json")
    d = json.loads(out)
    assert d["counts"]["segments"] == 13325
    assert d["cleaning"]["counts"]["paragraph_repeats_removed"] == 222


def test_options(capsys):
    code, out, _ = run(capsys, TESTDATA / "formats" / "prose.txt", "--segments", "lines", "--json")
    assert code == 0 and json.loads(out)["segmentation"] == "lines"
    code, out, _ = run(capsys, TESTDATA / "formats" / "messy.srt", "--format", "plain", "--json")
    assert json.loads(out)["format"] == "plain"
    code, out, _ = run(capsys, TESTDATA / "formats" / "youtube_excerpt.vtt")
    assert code == 0 and "word_times: starts" in out and "rolling_duplicates_removed: 6" in out


def _one_error_line(code, out, err, path, what):
    assert code == 2
    assert out == ""
    lines = err.strip().split("\n")
    assert len(lines) == 1, err
    assert lines[0].startswith("clipper: error: ") and str(path) in lines[0] and what in lines[0]
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "name, data, what",
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b" \n\n \n", "empty"),
        ("binary.srt", bytes(range(256)) * 4, "binary"),
        ("latin1.txt", "Caf\u00e9 au lait\nd\u00e9j\u00e0 vu\n".encode("latin-1"), "--encoding"),
        ("cut.srt", b"1\n00:00:01,000 --> 00:00:02,000\nhi\n\n2\n00:00:03,0", "truncated"),
        ("cut.json", b'{"segments": [{"start": 0.0, "end": 1.0, "text": " hi"', "truncated"),
        ("nocues.vtt", b"WEBVTT\n\nNOTE nothing here\n", "no transcript"),
        (
            "nocaptions.txt",
            b"LongCut logo\n\nA title\n\nBy Someone\n\nFull Transcript\n\nLoading...\n",
            "no caption lines",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, name, data, what):
    p = tmp_path / name
    p.write_bytes(data)
    code, out, err = run(capsys, p)
    _one_error_line(code, out, err, p, what)


def test_missing_file_and_unknown_format(capsys, tmp_path):
    code, out, err = run(capsys, tmp_path / "nope.txt")
    _one_error_line(code, out, err, tmp_path / "nope.txt", "no such file")
    code, out, err = run(capsys, EXCERPT, "--format", "docx")
    assert code == 2 and "unknown format" in err and len(err.strip().split("\n")) == 1


def test_latin1_reads_with_encoding_and_utf16_bom_reads(capsys, tmp_path):
    p = tmp_path / "latin1.txt"
    p.write_bytes("Caf\u00e9 au lait\nd\u00e9j\u00e0 vu\n".encode("latin-1"))
    code, out, _ = run(capsys, p, "--encoding", "latin-1", "--json")
    assert code == 0 and json.loads(out)["counts"]["segments"] == 2
    q = tmp_path / "utf16.srt"
    q.write_bytes(
        codecs.BOM_UTF16_LE + "1\r\n00:00:01,000 --> 00:00:02,000\r\nd\u00e9j\u00e0 vu\r\n".encode("utf-16-le")
    )
    code, out, _ = run(capsys, q, "--json")
    d = json.loads(out)
    assert code == 0 and d["format"] == "srt" and d["counts"]["words"] == 2


def test_as_a_subprocess(tmp_path):
    bad = tmp_path / "empty.srt"
    bad.write_bytes(b"")
    argv = [sys.executable, "-c", "from clipper.cli import main; import sys; sys.exit(main(sys.argv[1:]))"]
    r = subprocess.run([*argv, "inspect", str(bad)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip().count("\n") == 0 and "empty" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([*argv, "inspect", str(EXCERPT), "--json"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0
    assert json.loads(r.stdout)["counts"]["takeaways"] == 6
