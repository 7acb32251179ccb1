"""The shared word-sequence aligner: canonical keys, exact and near-equal pairing."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from clipper.align.seqalign import EXACT, FUZZY, NONE, SUBST, align_words, canon, number_words


def test_canon_case_punctuation_contractions() -> None:
    assert canon("Hello,") == ("hello",)
    assert canon("\u201cDon\u2019t\u201d") == ("dont",)
    assert canon("don't") == canon("DONT") == ("dont",)
    assert canon("mm-hmm") == ("mm", "hmm")
    assert canon("\u2014") == ()


def test_canon_numbers() -> None:
    assert canon("2013") == ("twenty", "thirteen")
    assert canon("2005") == ("two", "thousand", "five")
    assert canon("70%") == ("seventy", "percent")
    assert canon("1,000") == ("one", "thousand")
    assert canon("3.5") == ("three", "point", "five")
    assert canon("1990s") == ("nineteen", "nineties")
    assert canon("21st") == ("twenty", "first")
    assert canon("$5") == ("five", "dollars")
    assert " ".join(number_words(1_250_000)) == "one million two hundred fifty thousand"


def _pairs(a: list[str], b: list[str]) -> list[tuple[int, int, int]]:
    r = align_words(a, b)
    return list(zip(r.kind, r.lo, r.hi, strict=True))


def test_exact_and_typos() -> None:
    a = "It is the Chinese New Year right now".split()
    b = "it is the chinese new yaer right now".split()
    got = _pairs(a, b)
    assert [k for k, _, _ in got] == [EXACT] * 5 + [FUZZY] + [EXACT] * 2
    assert [lo for _, lo, _ in got] == list(range(8))


def test_numbers_against_spelled_words() -> None:
    a = ["back", "in", "2013,", "I", "joined"]
    b = ["back", "in", "twenty", "thirteen", "i", "joined"]
    got = _pairs(a, b)
    assert got[2] == (EXACT, 2, 3)
    assert got[3] == (EXACT, 4, 4)


def test_split_and_joined_words() -> None:
    a = ["the", "warmth", "of", "everyday", "life", "mm", "hmm"]
    b = ["the", "warmth", "of", "every", "day", "life", "mmhmm"]
    got = _pairs(a, b)
    assert got[3] == (FUZZY, 3, 4)  # one word said as two
    assert got[4] == (EXACT, 5, 5)
    assert got[5][0] == FUZZY and got[5][1] == 6 and got[6][1] == 6  # two words as one


def test_substitution_keeps_the_slot_and_deletions_stay_unpaired() -> None:
    a = "we have come to New York".split()
    b = "we hive come to new york".split()
    got = _pairs(a, b)
    assert got[1][1] == 1 and got[1][0] in (FUZZY, SUBST)
    a = "Hello everyone I'm Xiaojun".split()
    b = "so xiaojun".split()  # three words lost, one replaced
    got = _pairs(a, b)
    assert got[3] == (EXACT, 1, 1)
    assert sum(1 for k, _, _ in got if k == NONE) >= 2


def test_unrelated_text_matches_little() -> None:
    rng = random.Random(3)
    words = "the of and a to in is you that it he was for on are as with his they i".split()
    a = [rng.choice(words) for _ in range(300)]
    b = [rng.choice(words) for _ in range(300)]
    r = align_words(a, b)
    assert r.matched < len(a)  # chance matches exist; the engine's density filter drops them


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from("alpha beta gamma delta the of 2013 don't mm-hmm every day everyday".split()), max_size=40),
    st.lists(st.sampled_from("alpha beta gama delta the of twenty thirteen dont mm hmm everyday".split()), max_size=40),
)
def test_alignment_is_monotonic(a: list[str], b: list[str]) -> None:
    r = align_words(a, b)
    last = -1
    for k, lo, hi in zip(r.kind, r.lo, r.hi, strict=True):
        if k == NONE:
            assert lo == hi == -1
            continue
        assert 0 <= lo <= hi < len(b)
        assert lo >= last
        last = hi
