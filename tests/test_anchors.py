"""Anchor parsing, resolution to segments, and conflict checks."""

from __future__ import annotations

import pytest

from clipper.align import Anchor
from clipper.align.anchors import check_anchors, consistent, parse_anchor, resolve_anchors
from clipper.errors import InputError
from clipper.model import Segment, Transcript, Word

TEXTS = ["Hello everyone", "I'm Xiaojun", "In this episode, we have come to New York, USA", "Right", "It is the Chinese New Year right now", "Right"]


def tr() -> Transcript:
    return Transcript(tuple(Segment(i, t, tuple(Word(w) for w in t.split())) for i, t in enumerate(TEXTS)))


def test_parse_anchor() -> None:
    assert parse_anchor("New York@1:02") == Anchor("New York", 62000, "user")
    assert parse_anchor("a@b@00:00:05.5") == Anchor("a@b", 5500, "user")
    assert parse_anchor("hello@12.25").ms == 12250
    for bad in ("no time", "@5", "text@soon"):
        with pytest.raises(InputError):
            parse_anchor(bad)


def test_resolve_exact_partial_and_fuzzy() -> None:
    got = resolve_anchors(tr(), [Anchor("we have come to new york", 5000), Anchor("Chinese new yeer", 9000), Anchor("hello everyone", 1000)])
    assert [(r.segment, r.ms) for r in got] == [(0, 1000), (2, 5000), (4, 9000)]
    assert got[1].anchor.text == "we have come to new york"


def test_unmatched_anchor_is_reported() -> None:
    missed: list = []
    assert resolve_anchors(tr(), [Anchor("completely different words here", 100)], unmatched=missed) == []
    assert missed and missed[0].kind == "unmatched"


def test_repeated_text_picks_the_occurrence_nearest_the_time() -> None:
    early = resolve_anchors(tr(), [Anchor("Right", 1000)], duration=60000)
    late = resolve_anchors(tr(), [Anchor("Right", 59000)], duration=60000)
    assert early[0].segment == 3 and late[0].segment == 5


def test_order_conflict_keeps_the_largest_consistent_set() -> None:
    res = resolve_anchors(tr(), [Anchor("Hello everyone", 1000), Anchor("Xiaojun", 30000), Anchor("new york", 5000), Anchor("Chinese New Year", 9000)])
    assert consistent(res) == [0, 2, 3]
    conf = check_anchors(res)
    assert [(c.kind, c.segment) for c in conf] == [("order", 1)]


def test_evidence_conflict() -> None:
    res = resolve_anchors(tr(), [Anchor("Hello everyone", 1000), Anchor("new york", 15000)])
    conf = check_anchors(res, times=[1100, 2500, 5000, None, 9000, None])
    assert [(c.kind, c.segment) for c in conf] == [("evidence", 2)]
