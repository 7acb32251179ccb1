"""Plain text: a segment a line, or sentences of prose."""

from __future__ import annotations

import json

import pytest
from conftest import TESTDATA, shared_path

from clipper import read as formats
from clipper.read import plain
from clipper.text import norm_tokens


def test_caption_lines_are_segments():
    tr = formats.parse("Hello everyone\nI'm Xiaojun\n[laughter]\n")
    assert [s.text for s in tr.segments] == ["Hello everyone", "I'm Xiaojun", "[laughter]"]
    assert tr.meta["segmentation"] == "lines" and tr.meta["format"] == "plain"
    assert not tr.segments[2].spoken


def test_prose_is_split_into_sentences():
    tr = formats.load(TESTDATA / "formats" / "prose.txt")
    assert tr.meta["segmentation"] == "sentences"
    assert [s.text for s in tr.segments] == [
        "The committee met on Tuesday.",
        "Dr. Smith opened the session with a short report on the budget, which had grown by 4.5 percent since last year.",
        "Nobody objected to the figures.",
        "After the break, the members discussed the new building.",
        "Mrs. Jones asked whether the U.S. office would move as well!",
        "The answer was not yet known?",
    ]
    assert [s.paragraph for s in tr.segments] == [0, 0, 0, 1, 1, 1]


def test_one_long_paragraph_line_is_prose():
    para = "This is the first sentence of a long paragraph. " * 3 + "And here it ends."
    assert plain.choose_segmentation(para + "\n") == "sentences"


def test_segmentation_can_be_forced():
    text = (TESTDATA / "formats" / "prose.txt").read_text(encoding="utf-8")
    tr = formats.parse(text, segmentation="lines")
    assert tr.meta["segmentation"] == "lines"
    assert tr.segments[0].text == "The committee met on Tuesday. Dr. Smith opened the session with a short"
    tr = formats.parse("one. Two\nthree", segmentation="sentences")
    assert [s.text for s in tr.segments] == ["one.", "Two three"]


def test_long_unpunctuated_lines_stay_lines():
    # corpus transcripts: one utterance a line, no punctuation, long
    text = "if the reader will excuse me i will say nothing of my antecedents " * 3 + "\nsecond line\n"
    assert formats.parse(text).meta["segmentation"] == "lines"


def test_sparse_blank_line_is_an_empty_segment_but_blank_separators_are_not():
    lines = [f"line {i}" for i in range(40)]
    tr = formats.parse("\n".join(lines[:20] + [""] + lines[20:]))
    assert len(tr.segments) == 41 and tr.segments[20].text == "" and not tr.segments[20].spoken
    tr = formats.parse("a line\n\nanother line\n\nthird\n")
    assert [s.text for s in tr.segments] == ["a line", "another line", "third"]
    assert [s.paragraph for s in tr.segments] == [0, 1, 2]


def test_sentence_splitter():
    assert plain.split_sentences('He said "Stop." Then J. Smith left. e.g. this stays.') == [
        'He said "Stop."',
        "Then J. Smith left. e.g. this stays.",
    ]


@pytest.mark.parametrize(
    "case", ["mfa_acoustic_corpus", "praatio_bobby", "praatio_mary", "librispeech_2412-153948-0000"]
)
def test_data_transcripts_are_read_line_by_line(case):
    folder = shared_path("data", case)
    tr = formats.load(folder / "transcript.txt")
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    assert tr.meta["segmentation"] == "lines"
    # the truth's text may differ in case and punctuation; the segment count and order match
    assert [norm_tokens(s.text) for s in tr.segments] == [norm_tokens(t["text"]) for t in truth["segments"]]


def test_tts_transcript_matches_truth_segment_for_segment():
    tr = formats.load(shared_path("bench", "tts", "seed_tts_10min.transcript.txt"))
    truth = json.loads(shared_path("bench", "tts", "seed_tts_10min.truth.json").read_text(encoding="utf-8"))
    assert [s.text for s in tr.segments] == [t["text"] for t in truth["segments"]]
    full = formats.load(shared_path("bench", "tts", "seed_tts.transcript.txt"))
    assert len(full.segments) == 13325
    assert sum(1 for s in full.segments if s.text == "") == 1
    assert sum(1 for s in full.segments if not s.spoken) == 51  # as the tts truth's scored=false
