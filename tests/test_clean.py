"""Cleaning: tags, entities, whitespace, boilerplate, notes, repeats; the report."""

from __future__ import annotations

from clipper.model import Segment, Transcript, Word
from clipper.read.clean import (
    RawSegment,
    RawWord,
    ReportBuilder,
    build_transcript,
    clean,
    clean_text,
    is_boilerplate,
    remove_paragraph_repeats,
)


def test_clean_text():
    rb = ReportBuilder()
    assert clean_text("<i>Hello</i>&nbsp;&amp;\tworld ", rb) == "Hello & world"
    assert clean_text("word<00:00:01.000><c> next</c>") == "word next"
    assert clean_text("{\\an8}top") == "top"
    assert clean_text("<b>Hi</b>, you") == "Hi, you"
    assert clean_text("5 < 6 and 7 > 3") == "5 < 6 and 7 > 3"  # not tags
    assert clean_text("&lt;b&gt; shown") == "<b> shown"  # escaped text stays text
    c = rb.build().counts
    assert c["tags_stripped"] == 2 and c["entities_decoded"] == 1 and c["whitespace_normalised"] == 1


def test_boilerplate():
    assert (
        is_boilerplate("LongCut logo") and is_boilerplate("Loading...") and is_boilerplate("Loading video analysis...")
    )
    assert not is_boilerplate("Loading the truck took an hour")


def test_paragraph_repeats():
    rb = ReportBuilder()
    out = remove_paragraph_repeats([["a", "b"], ["b", "c"], ["c"], ["x", "c"]], rb)
    assert out == [["a", "b"], ["c"], [], ["x", "c"]]
    assert rb.counts["paragraph_repeats_removed"] == 2


def test_notes_are_displayed_not_spoken():
    tr = build_transcript(
        [
            RawSegment("And Yann (Yann LeCun, Turing Award winner) said"),
            RawSegment("[laughter]"),
            RawSegment("♪ la la ♪"),
            RawSegment(""),
            RawSegment("", keep_if_empty=True),
            RawSegment("—"),
        ]
    )
    assert [s.text for s in tr.segments] == [
        "And Yann (Yann LeCun, Turing Award winner) said",
        "[laughter]",
        "♪ la la ♪",
        "",
        "—",
    ]
    assert tr.segments[0].spoken_text == "And Yann said"
    assert [s.spoken for s in tr.segments] == [True, False, False, False, False]
    assert [s.id for s in tr.segments] == [0, 1, 2, 3, 4]
    c = tr.report.counts
    assert c["notes_marked"] == 3 and c["empty_dropped"] == 1 and c["empty_kept"] == 1 and c["non_speech"] == 4


def test_timed_words_are_cleaned_and_keep_times():
    tr = build_transcript(
        [
            RawSegment(
                "a [Music] b",
                0,
                900,
                words=(RawWord(" a", 0, 100), RawWord("[Music]", 100, 500), RawWord("<i>b</i>", 500, 900)),
            )
        ]
    )
    assert [(w.text, w.start, w.end) for w in tr.segments[0].words] == [("a", 0, 100), ("b", 500, 900)]


def test_clean_is_idempotent_on_reader_output_and_renumbers():
    tr = Transcript(
        segments=(Segment(5, "<b>Hi</b> there"), Segment(9, "  "), Segment(12, "x", (Word("x", 0, 10),), 0, 10))
    )
    once = clean(tr)
    assert [(s.id, s.text) for s in once.segments] == [(0, "Hi there"), (1, "x")]
    assert once.segments[1].words == (Word("x", 0, 10),)
    twice = clean(once)
    assert twice.segments == once.segments
    assert twice.report.counts == once.report.counts
