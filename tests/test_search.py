"""Quote search and topic location (clipper.query.search)."""

from __future__ import annotations

import pytest
from conftest import shared_path

from clipper.errors import InputError
from clipper.model import Alignment, Segment, Transcript, Word
from clipper.query.search import WordIndex, find, locate_topic, terms


def _al(lines: list[str], gap: int = 300, word: int = 350) -> Alignment:
    """Segments of evenly timed words, one a line."""
    segs, t = [], 1000
    for i, line in enumerate(lines):
        ws = []
        for tok in line.split():
            ws.append(Word(tok, t, t + word))
            t += word + 50
        segs.append(Segment(i, line, tuple(ws), ws[0].start, ws[-1].end))
        t += gap
    return Alignment(Transcript(tuple(segs)), engine="test")


AL = _al(
    [
        "Hello everyone, welcome back to the show.",
        "Today we talk about, um, world models",
        "and why they matter for robots.",
        "I just turned down OpenAI.",
        "They sent me an offer and I said no.",
        "Research is an infinite game.",
    ]
)


def test_exact_quote_is_found_with_its_times():
    m = find(AL, "I just turned down OpenAI")[0]
    assert m.score == 100
    assert m.text == "I just turned down OpenAI."
    first = AL.segments[3].words[0]
    last = AL.segments[3].words[-1]
    assert (m.start, m.end) == (first.start, last.end)
    assert m.segment_ids == (3,)


@pytest.mark.parametrize(
    "query",
    [
        "I just turnd down Open AI",  # typos, split word
        "i JUST turned down openai!!",  # case, punctuation
        "just turned down",  # partial
        "I just turned down Google",  # small paraphrase
    ],
)
def test_tolerant_queries_land_on_the_same_words(query: str):
    m = find(AL, query)[0]
    assert m.segment_ids == (3,)
    assert m.score >= 70


def test_dropped_filler_and_segment_spanning_quote():
    m = find(AL, "we talk about world models and why they matter")[0]
    assert m.score == 100  # "um" is ignored on both sides
    assert m.segment_ids == (1, 2)
    assert m.text.startswith("we talk about, um, world models")
    assert m.text.endswith("why they matter")


def test_results_ranked_and_not_overlapping():
    ms = find(AL, "an offer", top=5)
    assert [m.score for m in ms] == sorted((m.score for m in ms), reverse=True)
    spans = sorted((m.first, m.last) for m in ms)
    for (_, a1), (b0, _) in zip(spans, spans[1:], strict=False):
        assert a1 < b0


def test_nonsense_scores_low_and_empty_query_is_an_error():
    assert find(AL, "quantum chromodynamics lattice gauge")[0].score < 60
    with pytest.raises(InputError):
        find(AL, "um uh ...")


def test_unplaced_words_of_a_placed_segment_get_spread_times():
    seg = Segment(0, "alpha beta gamma", (Word("alpha"), Word("beta"), Word("gamma")), 0, 3000)
    m = find(Alignment(Transcript((seg,)), engine="t"), "beta")[0]
    assert m.start is not None and 0 < m.start < m.end <= 3000  # type: ignore[operator]


def test_terms_are_stemmed_without_stop_words():
    assert terms("The trajectories of B-class paths") == ["traject", "class", "path"]


def test_topic_is_located_where_its_words_are():
    al = _al(["filler talk about nothing much"] * 30 + ["robots need world models", "world models help robots plan"] + ["more filler talk here"] * 30)
    al = Alignment(al.transcript, engine="t")
    p = locate_topic(al, "World Models for Robots")[0]
    assert al.segments[30].start is not None
    assert p.start <= al.segments[31].start <= p.end  # type: ignore[operator]
    assert set(p.hits) >= {"world", "model", "robot"}


def test_seed_quotes_found_at_truth_times():
    from clips_truth import alignment_from_truth

    al = alignment_from_truth(shared_path("bench", "seed.truth.json"))
    index = WordIndex(al)
    m = find(index, "all of us humans are visual creatures")[0]
    assert m.score == 100 and abs(m.start - 1_647_000) < 2000  # type: ignore[operator]
    m = find(index, "I just turnd down open AI they sent me an ofer")[0]  # typos
    assert m.score > 90 and abs(m.start - 57_100) < 1000  # type: ignore[operator]
    m = find(index, "research, um, the infinite game")[0]
    assert m.text.startswith("research") and abs(m.start - 8_757_000) < 2000  # type: ignore[operator]


def test_find_command_says_when_nothing_matches(tmp_path, capsys):
    from clipper import alignfile
    from clipper.cli import main

    path = tmp_path / "x.align.json"
    alignfile.save(AL, path)
    assert main(["find", str(path), "I turned down open AI"]) == 0
    assert "turned down OpenAI." in capsys.readouterr().out.splitlines()[0]
    assert main(["find", str(path), "banana spaceship orbit"]) == 2
    out, err = capsys.readouterr()
    assert out.startswith("1.")  # the nearest are still shown
    assert err.count("\n") == 1 and "no match for 'banana spaceship orbit'" in err
