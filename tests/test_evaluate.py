"""clipper.evaluate: case layouts, matching, and metrics checked against hand-computed values
on a tiny synthetic case with a real (generated) WAV file."""

from __future__ import annotations

import json
import wave
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_path
from hypothesis import given, settings
from hypothesis import strategies as st

from clipper.cli import main
from clipper.errors import InputError
from clipper.evaluate import (
    error_stats,
    evaluate,
    expand_cases,
    format_table,
    load_case,
    match_sequences,
    report,
    run_case,
)
from clipper.model import Alignment

# Uniform over 4000 ms, weights 12 ("hello world"), 8 ("[laughter]"), 20 ("good morning to you"):
# segments 0-1200, 1200-2000, 2000-4000; words hello 0-600, world 600-1200,
# good 2000-2500, morning 2500-3300, to 3300-3600, you 3600-4000.
TRANSCRIPT = "hello world\n[laughter]\ngood morning to you\n"
TRUTH = {
    "source": "synthetic test case",
    "audio": "tone.wav",
    "duration": 4.0,
    "words": [
        {"word": "hello", "start": 0.3, "end": 0.6},
        {"word": "world", "start": 0.7, "end": 1.1},
        {"word": "good", "start": 2.2, "end": 2.5},
        {"word": "morning", "start": 2.5, "end": 3.0},
        {"word": "to", "start": 3.0, "end": 3.2, "approx": True},
        {"word": "you", "start": 3.3, "end": 3.9},
    ],
    "segments": [
        {"text": "hello world", "start": 0.3, "end": 1.1},
        {"text": "[laughter]", "start": 1.3, "end": 1.8, "scored": False},
        {"text": "good morning to you", "start": 2.2, "end": 3.9},
        {"text": "this line was never said", "start": 3.95, "end": 3.99},
    ],
}


def write_wav(path: Path, seconds: float, rate: int = 16000) -> None:
    t = np.arange(int(seconds * rate)) / rate
    pcm = (0.2 * 32767 * np.sin(2 * np.pi * 220 * t)).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    d = tmp_path / "tiny"
    d.mkdir()
    (d / "transcript.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (d / "truth.json").write_text(json.dumps(TRUTH), encoding="utf-8")
    write_wav(d / "tone.wav", 4.0)
    return d


def test_metrics_match_hand_computed_values(case_dir: Path) -> None:
    res = run_case(load_case(case_dir), "uniform")
    assert res.error is None and res.engine == "uniform"
    rep = report([res], "uniform")
    c = rep["cases"][0]
    assert c["name"] == "tiny" and c["media"].endswith("tone.wav")
    assert c["segments"] == {
        "truth": 4, "scored": 3, "output": 3, "matched": 2, "placed": 2, "not_placed": 1, "placed_share": 0.6667,
        "found": 0, "found_share": 0.0,  # uniform guesses: confidence 0, nothing found
        "confident": 0, "confident_share": 0.0, "confident_wrong": 0, "confident_wrong_share": None,
        "absent": 0, "absent_placed": 0,
    }  # fmt: skip
    # starts: 0-300 = -300, 2000-2200 = -200; ends: 1200-1100 = +100, 4000-3900 = +100
    assert c["starts"] == {
        "n": 2, "median_ms": 250.0, "p90_ms": 290.0, "p99_ms": 299.0, "max_ms": 300.0, "bias_ms": -250.0,
        "within_100": 0.0, "within_250": 0.5, "within_500": 1.0,
    }  # fmt: skip
    assert c["ends"]["median_ms"] == 100.0 and c["ends"]["max_ms"] == 100.0 and c["ends"]["within_100"] == 1.0
    # pooled |e| = 100, 100, 200, 300: median 150, p90 at rank 2.7 -> 270
    assert c["pooled"]["median_ms"] == 150.0 and c["pooled"]["p90_ms"] == 270.0
    assert c["pooled"]["within_250"] == 0.75
    # words (the approx "to" not scored): |start e| = 300, 100, 200, 0, 300 -> median 200, p90 300
    assert c["words"] == {
        "truth": 6, "scored": 5, "matched": 5,
        "start_median_ms": 200.0, "start_p90_ms": 300.0, "end_median_ms": 100.0, "end_p90_ms": 220.0,
    }  # fmt: skip
    # ends of words: hello 0, world +100, good 0, morning +300, you +100 -> median 100, p90 220
    tm = c["timing"]
    assert tm["duration_s"] == 4.0 and tm["wall_s"] >= 0
    if tm["wall_s"] > 0:
        assert tm["rtf"] == pytest.approx(tm["wall_s"] / 4.0, abs=1e-4)
    assert rep["overall"]["segments"]["not_placed"] == 1
    assert rep["overall"]["starts"] == c["starts"]
    assert rep["clipper_eval"] == 1 and rep["overall"]["cases"] == 1 and rep["overall"]["failed"] == 0
    table = format_table(rep)
    assert table.splitlines()[1].startswith("tiny") and "overall" in table


def test_word_end_figures(case_dir: Path) -> None:
    rep = report([run_case(load_case(case_dir), "uniform")])
    # word end errors: hello 600-600 = 0, world 1200-1100 = 100, good 0, morning 300, you 100
    assert rep["cases"][0]["words"]["end_median_ms"] == 100.0


def test_error_stats_empty_and_signs() -> None:
    assert error_stats([])["median_ms"] is None and error_stats([])["n"] == 0
    s = error_stats([-10, 10, 1000])
    assert s["max_ms"] == 1000.0 and s["bias_ms"] == pytest.approx(333.3) and s["within_100"] == pytest.approx(0.6667)


def test_matching_in_order_by_text() -> None:
    out = ["hello world", "good morning", "an extra line", "and then the end"]
    truth = ["hello world", "good morning!", "something else entirely", "and then the end."]
    # keys are normalised (case, punctuation), so all but the odd pair agree
    assert match_sequences(out, truth) == [0, 1, None, 3]
    # typos pair inside a replaced stretch; order is kept
    assert match_sequences(["the quik brown fox", "jumps over"], ["the quick brown fox", "jumped over"]) == [0, 1]
    # a merged line matches neither of its halves well enough
    assert match_sequences(["one two three four five six"], ["one two three", "four five six"]) == [None, None]
    # equal counts and texts: one to one
    assert match_sequences(["a", "b", "a"], ["a", "b", "a"]) == [0, 1, 2]
    # opcodes may split a gap into insert + replace: the gap still pairs as one stretch
    assert match_sequences(["a b", "the cat sat", "d e"], ["a b", "the cat sad", "x y z", "d e"]) == [0, 1, None, 2]
    assert match_sequences(["a b", "the cat sat", "d e"], ["a b", "x y z", "the cat sad", "d e"]) == [0, None, 1, 2]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["alpha beta", "gamma", "delta x", "one two three", "five"]), max_size=40), st.data())
def test_matching_properties(truth: list[str], data: st.DataObject) -> None:
    keep = data.draw(st.lists(st.booleans(), min_size=len(truth), max_size=len(truth)))
    out = [t for t, k in zip(truth, keep, strict=True) if k]
    m = match_sequences(out, truth)
    pairs = [(j, i) for j, i in enumerate(m) if i is not None]
    assert len(pairs) == len(out)  # dropping lines costs only those lines
    assert all(out[i] == truth[j] for j, i in pairs)
    assert all(i1 < i2 for (_, i1), (_, i2) in zip(pairs, pairs[1:], strict=False))  # monotonic


def test_case_layouts(tmp_path: Path, case_dir: Path) -> None:
    # NAME.truth.json with siblings
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "x.transcript.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (flat / "x.truth.json").write_text(json.dumps(TRUTH), encoding="utf-8")
    write_wav(flat / "tone.wav", 4.0)
    c = load_case(flat / "x.truth.json")
    assert c.name == "x" and c.media == flat / "tone.wav" and c.segmentation == "lines"
    # a manifest with relative paths, pointing into the folder case
    man = tmp_path / "cases" / "mine.case.json"
    man.parent.mkdir()
    man.write_text(
        json.dumps({"transcript": "../tiny/transcript.txt", "truth": "../tiny/truth.json", "media": "../tiny/tone.wav"}),
        encoding="utf-8",
    )
    m = load_case(man)
    assert m.name == "mine" and m.media == (case_dir / "tone.wav").resolve() and m.reference is None
    # a folder of cases expands to them, sorted
    names = [c.name for c in expand_cases([tmp_path])]
    assert names == ["tiny"]
    assert [c.name for c in expand_cases([flat, man.parent])] == ["x", "mine"]
    # all three give the same figures
    reps = [report([r]) for r in evaluate([load_case(case_dir), c, m], "uniform")]
    assert reps[0]["cases"][0]["starts"] == reps[1]["cases"][0]["starts"] == reps[2]["cases"][0]["starts"]


def test_reference_only_case_and_override(tmp_path: Path, case_dir: Path) -> None:
    ref = tmp_path / "ref.srt"
    ref.write_text("1\n00:00:00,000 --> 00:00:02,000\nhello world\n\n2\n00:00:02,000 --> 00:00:05,000\ngood morning to you\n", encoding="utf-8")
    man = tmp_path / "r.case.json"
    man.write_text(json.dumps({"transcript": "tiny/transcript.txt", "truth": "tiny/truth.json", "reference": "ref.srt"}))
    res = run_case(load_case(man), "uniform")
    assert res.error is None
    # no media: uniform spreads over the reference's 5000 ms; seg 0 ends at 1500
    assert report([res])["cases"][0]["ends"]["max_ms"] == 1100.0  # 5000 - 3900
    assert res.duration_ms == 4000  # the truth's duration, not the reference's
    res2 = run_case(load_case(man), "uniform", reference=ref)
    assert res2.reference == ref


def test_bad_cases(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such case"):
        load_case(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no cases"):
        expand_cases([tmp_path / "empty"])
    man = tmp_path / "m.case.json"
    man.write_text('{"transcript": "nope.txt", "truth": "nope.json"}')
    with pytest.raises(InputError, match="does not exist"):
        load_case(man)


def test_eval_cli_json_and_table(case_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(case_dir), "--engine", "uniform", "--json", "--quiet"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["engine"] == "uniform" and rep["cases"][0]["starts"]["median_ms"] == 250.0
    assert main(["eval", str(case_dir), "--engine", "uniform", "-q", "--option", "note_weight=8"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("case") and "tiny" in out


def test_eval_cli_failed_case_exit_1(case_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notimes = tmp_path / "plain.txt"
    notimes.write_text("hello world\n", encoding="utf-8")
    # a reference without times cannot be used: the case fails, the run reports it
    assert main(["eval", str(case_dir), "--engine", "uniform", "--reference", str(notimes), "-q"]) == 1
    assert "FAILED" in capsys.readouterr().out


def test_eval_cli_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(tmp_path / "nope"), "--engine", "uniform"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("clipper: error:") and len(err.splitlines()) == 1
    assert main(["eval", str(tmp_path), "--engine", "nonesuch"]) == 2


def test_shared_data_cases_run() -> None:
    data = shared_path("data")
    results = evaluate(expand_cases([data]), "uniform")
    rep = report(results, "uniform")
    assert [c["name"] for c in rep["cases"]] == sorted(p.name for p in data.iterdir() if (p / "truth.json").exists())
    assert rep["overall"]["failed"] == 0
    # every segment of every truth file is scored unless it says otherwise (LibriSpeech's one)
    truths = [json.loads((p / "truth.json").read_text()) for p in data.iterdir() if (p / "truth.json").exists()]
    scored = sum(1 for t in truths for s in t["segments"] if s.get("scored", True) and not s.get("absent"))
    assert scored > 0
    assert rep["overall"]["segments"]["scored"] == scored
    assert rep["overall"]["segments"]["placed"] == scored


def test_found_counts_only_segments_placed_by_evidence(case_dir: Path) -> None:
    # placed: has times; found: placed and its confidence is not 0 (an engine's "I only put
    # this line between its neighbours"); None (an engine without confidences) counts as found
    from clipper.evaluate import load_truth, score
    from clipper.pipeline import load_transcript

    tr = load_transcript(case_dir / "transcript.txt")
    s0, s1, s2 = tr.segments
    segs = (s0.with_times(300, 1100, confidence=0.9), s1.with_times(1100, 2000), s2.with_times(2000, 3900, confidence=0.0))
    al = Alignment(transcript=replace(tr, segments=segs), engine="test")
    sc = score(al, load_truth(case_dir / "truth.json"))
    assert (sc.scored, sc.placed, sc.found) == (3, 2, 1)
    segs = (s0.with_times(300, 1100), s1, s2.with_times(2000, 3900, confidence=0.4))
    sc = score(Alignment(transcript=replace(tr, segments=segs), engine="test"), load_truth(case_dir / "truth.json"))
    assert (sc.placed, sc.found) == (2, 2)


def test_confident_wrong_counts_far_edges_and_absent_text_placed_confidently(tmp_path: Path) -> None:
    # truth: line 1 at 300-1100, line 3 at 2200-3900, and a line the media does not hold
    from clipper.evaluate import load_truth, score
    from clipper.pipeline import load_transcript

    d = tmp_path / "absent"
    d.mkdir()
    lines = ["hello world", "good morning to you", "this line was never said"]
    (d / "transcript.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    truth = {**TRUTH, "segments": [
        {"text": "hello world", "start": 0.3, "end": 1.1},
        {"text": "good morning to you", "start": 2.2, "end": 3.9},
        {"text": "this line was never said", "absent": True},
    ]}  # fmt: skip
    (d / "truth.json").write_text(json.dumps(truth), encoding="utf-8")
    write_wav(d / "tone.wav", 4.0)
    tr = load_transcript(d / "transcript.txt")
    t = load_truth(d / "truth.json")
    s0, s1, s2 = tr.segments

    def sc(*segs):  # type: ignore[no-untyped-def]
        return score(Alignment(transcript=replace(tr, segments=segs), engine="test"), t)

    # right and sure, 501 ms off and sure, absent and placed surely: two confident wrong of three claims
    r = sc(s0.with_times(300, 1100, confidence=0.9), s1.with_times(2701, 3900, confidence=0.6), s2.with_times(3900, 3990, confidence=0.7))
    assert (r.scored, r.confident, r.confident_wrong, r.absent, r.absent_placed, r.absent_confident) == (2, 2, 2, 1, 1, 1)
    # the same times, but the doubtful ones say so: nothing confident is wrong
    r = sc(s0.with_times(300, 1100, confidence=0.9), s1.with_times(2701, 3900, confidence=0.4), s2)
    assert (r.confident, r.confident_wrong, r.absent_placed) == (1, 0, 0)
    # 500 ms off is not wrong (more than 500 is)
    r = sc(s0.with_times(800, 1100, confidence=0.9), s1.with_times(2200, 4400, confidence=0.9), s2)
    assert r.confident_wrong == 0
    rep = report([replace(run_case(load_case(d), "uniform"), score=r)], "uniform")
    assert rep["cases"][0]["segments"]["confident_wrong_share"] == 0.0
    assert rep["overall"]["segments"]["absent"] == 1


def test_a_refusal_scores_as_nothing_placed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # another recording's transcript: the speech engine refuses it, which is right when
    # the truth says none of it is in the media; the case is not a failure
    from conftest import TESTDATA

    d = tmp_path / "other"
    d.mkdir()
    clip = TESTDATA / "speech" / "acoustic_clip.flac"
    (d / "clip.flac").write_bytes(clip.read_bytes())
    lines = [
        "the quick brown fox jumps over the lazy dog and runs away into the dark forest",
        "colourless green ideas sleep furiously tonight while the city slowly falls asleep",
        "we hold these truths to be self evident that all men are created equal",
    ]
    (d / "transcript.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    truth = {"audio": "clip.flac", "duration": 7.5, "words": [], "segments": [{"text": t, "absent": True} for t in lines]}
    (d / "truth.json").write_text(json.dumps(truth), encoding="utf-8")
    res = run_case(load_case(d), "speech")
    assert res.error is None and res.refused and "recognition found only" in res.refused
    assert res.score is not None and (res.score.absent, res.score.absent_placed, res.score.confident_wrong) == (3, 0, 0)
    assert main(["eval", str(d), "--engine", "speech", "-q"]) == 0
    assert "refused" in capsys.readouterr().out
