"""The readers' fast paths give exactly what the plain code gives.

Each shortcut (a cache, a whole-text regex instead of one a token, slot-level Word
construction, the paused garbage collector) is checked here against the simple form
it replaces, on generated text that reaches the edge cases (tags, entities, odd
whitespace, notes, punctuation-only tokens).
"""

from __future__ import annotations

import gc
import html
import math
import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clipper import read as formats
from clipper.errors import ParseError
from clipper.model import Word
from clipper.read import _cues, vtt, whisper
from clipper.read import clean as clean_module
from clipper.read.clean import (
    FinishedWords,
    RawSegment,
    RawWord,
    ReportBuilder,
    build_transcript,
    clean_text,
    is_clean_word,
)
from clipper.text import spoken_tokens
from clipper.timecode import ms_from_seconds

# Characters that steer the cleaners: tags, entities, whitespace of every kind, notes,
# zero-width and no-break spaces, punctuation, letters and digits of other scripts.
_ALPHABET = st.sampled_from(
    list("ab Z9_,.;:!?<>/{}\\[]()&#;-—'\"♪\t\r\n\u00a0\u2003\u200b\ufeff٣é")
    + ["<b>", "</i>", "<c>", "<00:00:01.500>", "&amp;", "&nbsp;", "&lt;b&gt;", "{\\an8}", " ,", "[x]", "(y)"]
)
_TEXT = st.lists(_ALPHABET, max_size=40).map("".join)

# --- the plain forms the fast paths replace (as the readers were first written) -------

_TAG_RE = re.compile(r"</?[A-Za-z][^<>]*>|<\d{1,2}:\d{2}(?::\d{2})?[.,]\d{1,3}>|\{\\[^{}]*\}")
_ODD_WS_RE = re.compile(r"\s{2,}|[^\S ]|&nbsp;")


def _clean_text_plain(raw: str, report: ReportBuilder | None = None) -> str:
    text = raw
    stripped = _TAG_RE.sub(" ", text)
    had_tags = stripped != text
    if had_tags:
        if report is not None:
            report.add("tags_stripped", raw, n=len(_TAG_RE.findall(text)))
        text = stripped
    if "&" in text:
        unescaped = html.unescape(text)
        if unescaped != text:
            if report is not None:
                report.add("entities_decoded", raw)
            text = unescaped
    text = text.replace("\u200b", "").replace("\ufeff", "")
    normalised = re.sub(r"\s+", " ", text).strip()
    if report is not None and _ODD_WS_RE.search(raw.strip()):
        report.add("whitespace_normalised", raw)
    return re.sub(r" ([,.;:!?])(?=\s|$)", r"\1", normalised) if had_tags else normalised


def _parse_time_plain(h: str | None, m: str, s: str, frac: str | None) -> int:
    ms = (int(h or 0) * 3600 + int(m) * 60 + int(s)) * 1000
    if frac:
        ms += int(round(Fraction(int(frac), 10 ** len(frac)) * 1000))
    return ms


def _ms_plain(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return None
    return ms_from_seconds(float(value))


# --- the checks --------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_clean_text_is_the_plain_form(raw):
    fast, plain = ReportBuilder(), ReportBuilder()
    assert clean_text(raw, fast) == _clean_text_plain(raw, plain)
    assert clean_text(raw, fast) == _clean_text_plain(raw, plain)  # again: now from the cache
    assert fast.build() == plain.build()


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=4))
def test_build_transcript_words_are_the_spoken_tokens(texts):
    tr = build_transcript([RawSegment(t, keep_if_empty=True) for t in texts])
    assert [s.text for s in tr.segments] == [_clean_text_plain(t) for t in texts]
    assert [[w.text for w in s.words] for s in tr.segments] == [spoken_tokens(s.text) for s in tr.segments]
    assert all(type(w) is Word and w.start is None and w.end is None for s in tr.segments for w in s.words)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_TEXT, st.integers(0, 5000), st.integers(0, 5000)), min_size=1, max_size=6))
def test_finished_words_are_what_cleaning_makes(items):
    """Readers may hand over finished Words for clean tokens: the same as RawWords."""
    raw_words = tuple(RawWord(t, min(a, b), max(a, b)) for t, a, b in items)
    toks = [(t, min(a, b), max(a, b)) for text, a, b in items for t in clean_text(text).split()]
    if not toks or not all(is_clean_word(t) for t, _, _ in toks):
        return
    as_raw = build_transcript([RawSegment("x", 0, 5000, words=tuple(RawWord(*t) for t in toks))])
    as_words = build_transcript([RawSegment("x", 0, 5000, words=FinishedWords(Word.unchecked(*t) for t in toks))])
    assert as_raw == as_words
    assert type(as_words.segments[0].words) is tuple
    build_transcript([RawSegment("x", 0, 5000, words=raw_words)])  # and RawWords of any text still work


def test_plain_tuples_of_words_are_cleaned():
    tr = build_transcript([RawSegment("x", 0, 9, words=(Word(" <b>a</b>", 0, 1), Word("—", 1, 2)))])
    assert [w.text for w in tr.segments[0].words] == ["a"]


def test_is_clean_word():
    assert is_clean_word("hello") and is_clean_word("world,") and is_clean_word("I'm")
    for t in ("", "—", "a b", "[laughter]", "&amp;", "<b>x</b>", " x", "x\u200b"):
        assert not is_clean_word(t), t


def test_word_unchecked_is_a_word():
    w = Word.unchecked("hi", 10, 20, 0.5)
    assert w == Word("hi", 10, 20, 0.5) and hash(w) == hash(Word("hi", 10, 20, 0.5))
    assert Word.unchecked("hi") == Word("hi")
    with pytest.raises(AttributeError):
        w.text = "no"  # type: ignore[misc]
    assert RawWord.unchecked("a", 1, 2) == RawWord("a", 1, 2)


def test_bad_word_times_still_raise():
    with pytest.raises(ValueError):
        build_transcript([RawSegment("a", 0, 10, words=(RawWord("a", 5, 1),))])
    with pytest.raises(ValueError):
        build_transcript([RawSegment("a", 0, 10, words=(RawWord("a", 5, None),))])


@given(
    st.one_of(st.none(), st.from_regex(r"\d{1,3}", fullmatch=True)),
    st.from_regex(r"\d{1,2}", fullmatch=True),
    st.from_regex(r"\d{1,2}", fullmatch=True),
    st.one_of(st.none(), st.just(""), st.from_regex(r"\d{1,6}", fullmatch=True)),
)
def test_parse_time_is_the_plain_form(h, m, s, frac):
    assert _cues.parse_time(h, m, s, frac) == _parse_time_plain(h, m, s, frac)


@pytest.mark.parametrize(
    "value",
    [0, 0.0, -0.0, 1, 1.2345, 1.0005, 2.5e-4, 1e300, -1.0, -1, math.nan, math.inf, -math.inf, True, False, "1", None],
)
def test_whisper_seconds_are_the_plain_form(value):
    assert whisper._ms(value) == _ms_plain(value)


_YT = (
    "WEBVTT\nKind: captions\nLanguage: en\n\n"
    "00:00:01.000 --> 00:00:04.000 align:start position:0%\n \n"
    "one<00:00:02.000><c> two</c><00:00:01.500><c> &amp;amp;</c><00:00:09.000><c> three</c>\n\n"
    "00:00:04.000 --> 00:00:04.010 align:start position:0%\n"
    "one two &amp; three\n \n\n"
    "00:00:04.010 --> 00:00:06.000 align:start position:0%\n"
    "one two &amp; three\n"
    "four<00:00:04.500><c> [Music]</c><00:00:05.000><c> &lt;i&gt;five</c><00:00:05.500><c> six,</c>\n"
)


def test_youtube_words_out_of_order_and_unclean():
    """Times out of order or past the cue, and tokens that cleaning changes, take the
    general path; the result is the same as cleaning RawWords would give."""
    tr = formats.parse(_YT)
    assert tr.meta["word_times"] == "starts"
    # (as the readers gave before the fast paths: "&amp;amp;" is "&", not a spoken word)
    assert [[(w.text, w.start, w.end) for w in s.words] for s in tr.segments] == [
        [("one", 1000, 2000), ("two", 2000, 2000), ("three", 4000, 4000)],
        [("one", 4000, 4000), ("two", 4000, 4000), ("three", 4000, 4010)],
        [("four", 4010, 4500), ("five", 5000, 5500), ("six,", 5500, 6000)],
    ]
    assert dict(tr.report.counts) == {
        "cues": 3,
        "entities_decoded": 4,
        "notes_marked": 1,
        "rolling_duplicates_removed": 1,
        "tags_stripped": 19,
    }


def test_scan_cues_with_lines_given():
    text = "1\n00:00:01,000 --> 00:00:02,000\nhello\n\n2\n00:00:02,5 --> 00:00:03.25\nworld\n"
    a = _cues.scan_cues(text, path=None, strict=False, report=ReportBuilder(), is_ident=str.isdigit)
    b = _cues.scan_cues(
        "", path=None, strict=False, report=ReportBuilder(), is_ident=str.isdigit, lines=text.split("\n")
    )
    assert a == b and [(c.start, c.end, c.lines) for c in a] == [(1000, 2000, ["hello"]), (2500, 3250, ["world"])]


def test_vtt_blocks_still_dropped():
    text = "WEBVTT\n\nNOTE a note\nmore note\n\nSTYLE\n::cue {}\n\n00:01.000 --> 00:02.000\nhi\n"
    tr = vtt.parse(text)
    assert [s.text for s in tr.segments] == ["hi"]
    assert tr.report.counts["note_blocks_skipped"] == 1 and tr.report.counts["style_blocks_skipped"] == 1


def test_the_collector_is_restored_and_the_memos_emptied():
    assert gc.isenabled()
    formats.parse("Hello there\n")
    assert gc.isenabled()
    assert all(m.cache_info().currsize == 0 for m in clean_module._MEMOS)
    with pytest.raises(ParseError):
        formats.parse("WEBVTT\n\n", "vtt")
    assert gc.isenabled()
    gc.disable()
    try:
        formats.parse("Hello there\n")
        assert not gc.isenabled()
    finally:
        gc.enable()
