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


# -- every engine honours anchors: pinned (uniform, activity) or checked against its evidence


SPEECH = "tests/data/speech"


@pytest.mark.parametrize(
    ("anchor", "status", "capped"),
    [
        ("there's nothing going else going on@0:03.3", "confirmed", False),  # truth 3.24 s
        ("there's nothing going else going on@0:06.5", "conflict", True),
        ("never said at all anywhere@0:03", "unmatched", False),
    ],
)
def test_speech_engine_checks_each_anchor_against_what_it_heard(anchor: str, status: str, capped: bool) -> None:
    from conftest import ROOT

    from clipper.pipeline import align_files

    plain = align_files(ROOT / SPEECH / "transcript.txt", ROOT / SPEECH / "acoustic_clip.flac", engine="speech")
    al = align_files(ROOT / SPEECH / "transcript.txt", ROOT / SPEECH / "acoustic_clip.flac", engine="speech", anchors=[anchor])
    (row,) = al.stats["anchors"]
    assert row["status"] == status
    # the evidence's times stay; a contradicted segment is no longer confident
    assert [s.start for s in al.segments] == [s.start for s in plain.segments]
    conf = al.segments[2].confidence
    assert (conf is not None and conf <= 0.3) if capped else conf == plain.segments[2].confidence
    assert any("anchor" in w for w in al.stats["warnings"]) == (status != "confirmed")


def test_reference_engine_reports_a_contradicted_anchor(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from clipper.pipeline import align_files

    lines = ["good morning and welcome to the show", "today we talk about rivers and lakes", "and then about the mountains of the north"]
    (tmp_path / "t.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    srt = "".join(f"{i + 1}\n00:00:{2 * i + 1:02d},000 --> 00:00:{2 * i + 2:02d},800\n{t}\n\n" for i, t in enumerate(lines))
    (tmp_path / "r.srt").write_text(srt, encoding="utf-8")
    al = align_files(tmp_path / "t.txt", reference_path=tmp_path / "r.srt", engine="reference",
                     anchors=["today we talk about rivers@0:03", "the mountains of the north@0:40"])  # fmt: skip
    status = {r["segment"]: r["status"] for r in al.stats["anchors"]}
    assert status == {1: "confirmed", 2: "conflict"}
    assert al.segments[2].start == 5000 and al.segments[2].confidence is not None and al.segments[2].confidence <= 0.3
    assert al.segments[1].confidence is not None and al.segments[1].confidence > 0.3
