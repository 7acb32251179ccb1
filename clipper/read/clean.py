"""Cleaning shared by every reader: tags, entities, whitespace, boilerplate, notes.

Readers collect raw segments (:class:`RawSegment`) and hand them to
:func:`build_transcript`, which cleans each text, marks editorial notes as not
spoken, drops what is empty (or keeps it as a non-speech event), numbers the segments
0..n-1 and returns a :class:`~clipper.model.Transcript` whose ``report`` counts what
was done. Format-specific clean-ups (LongCut's paragraph repeats, YouTube's rolling
lines) live here too so that ``inspect`` can explain every one of them.

>>> clean_text("<i>Hello</i>&nbsp; &amp;   world ")
'Hello & world'
>>> tr = build_transcript([RawSegment("<b>Hi [laughter] there</b>"), RawSegment("[laughter]")])
>>> [s.spoken_text for s in tr.segments], tr.segments[1].spoken
(['Hi there', ''], False)
>>> dict(tr.report.counts)["notes_marked"]
2
"""

from __future__ import annotations

import gc
import html
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, TypeVar

from ..model import CleanReport, Segment, Takeaway, Topic, Transcript, Word
from ..text import NOTE_RE, has_letters

__all__ = [
    "RawWord",
    "RawSegment",
    "ReportBuilder",
    "FinishedWords",
    "clean_text",
    "bulk_pass",
    "is_clean_word",
    "is_boilerplate",
    "remove_paragraph_repeats",
    "build_transcript",
    "clean",
]

#: how many examples of each kind a report keeps
MAX_EXAMPLES = 3

# HTML-ish tags (<b>, <i>, <c.colour>, <v Speaker>), inline cue times (<00:00:02.817>)
# and ASS override blocks ({\an8}) that SRT files borrow.
_TAG_RE = re.compile(r"</?[A-Za-z][^<>]*>|<\d{1,2}:\d{2}(?::\d{2})?[.,]\d{1,3}>|\{\\[^{}]*\}")
_WS_RE = re.compile(r"\s+")
_ODD_WS_RE = re.compile(r"\s{2,}|[^\S ]|&nbsp;")
# Text without any of these has no tag, entity or zero-width space: only whitespace to tidy.
_SPECIAL_RE = re.compile("[<{&\u200b\ufeff]")
_TIDY_RE = re.compile(r" ([,.;:!?])(?=\s|$)")
# A token without a letter or digit (a dash, "..."), which is not spoken.
_NONWORD_TOKEN_RE = re.compile(r"(?<!\S)[^\w\s]+(?!\S)")
# Editorial notes need one of these characters (see clipper.text.NOTE_RE).
_NOTE_CHARS_RE = re.compile("[\\[(\u266a]")
# Readers call the cleaners once per line and once per word: 60k+ calls for an 8-hour
# file, with many repeats (YouTube shows each line three times; words recur). The
# caches hold the result and the report entries to replay, so repeats cost a lookup;
# they are emptied when a bulk_pass ends, so nothing is held after a file is read.
_CACHE_SIZE = 1 << 16
_F = TypeVar("_F", bound=Callable[..., Any])
_MEMOS: list[Any] = []


def memo(fn: _F) -> _F:
    """A pure function's results cached (bounded) for the length of a :func:`bulk_pass`."""
    cached = lru_cache(maxsize=_CACHE_SIZE)(fn)
    _MEMOS.append(cached)
    return cached  # type: ignore[return-value]


# Lines a page export adds around the transcript that are not part of it.
_BOILERPLATE_RE = re.compile(
    r"^\s*(?:LongCut logo|Loading(?: video analysis)?(?:\.\.\.|…)?|Loading\s*\.\.\.)\s*$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class RawWord:
    """A word as a reader found it (text may still hold tags); times in ms or None."""

    text: str
    start: int | None = None
    end: int | None = None
    confidence: float | None = None

    @classmethod
    def unchecked(
        cls, text: str, start: int | None = None, end: int | None = None, confidence: float | None = None
    ) -> RawWord:
        """The same as ``RawWord(...)``, cheaper: for readers making 60k+ words."""
        w = _new_object(cls)
        _raw_set_text(w, text)
        _raw_set_start(w, start)
        _raw_set_end(w, end)
        _raw_set_confidence(w, confidence)
        return w


# Slot setters for RawWord.unchecked (frozen: normal assignment is refused).
assert tuple(RawWord.__dataclass_fields__) == ("text", "start", "end", "confidence"), "update RawWord.unchecked"
_new_object = object.__new__
_raw_set_text = RawWord.__dict__["text"].__set__
_raw_set_start = RawWord.__dict__["start"].__set__
_raw_set_end = RawWord.__dict__["end"].__set__
_raw_set_confidence = RawWord.__dict__["confidence"].__set__


class FinishedWords(tuple[Word, ...]):
    """Words a reader made already clean, for :class:`RawSegment` (a fast path).

    Only for words whose texts pass :func:`is_clean_word` and whose times keep the span
    rules: cleaning would give them back unchanged, so :func:`build_transcript` keeps
    them as they are instead of cleaning 60k+ words one by one. Plain tuples of
    ``Word`` s are cleaned like RawWords.
    """

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class RawSegment:
    """A segment as a reader found it: raw text, optional times and words.

    ``words`` is None when the source gives no words: they are then the spoken tokens of
    the cleaned text. A reader making many words may pass :class:`FinishedWords`
    instead: they are kept as they are, which is what cleaning would have made of them.
    ``keep_if_empty`` keeps an empty segment as a non-speech event (LongCut's
    ``<b></b>``, a blank caption line) so that numbering follows the source.
    """

    text: str
    start: int | None = None
    end: int | None = None
    paragraph: int | None = None
    words: tuple[RawWord, ...] | FinishedWords | None = None
    speaker: str | None = None
    confidence: float | None = None
    keep_if_empty: bool = False


@dataclass
class ReportBuilder:
    """Mutable tally while reading; :meth:`build` freezes it into a CleanReport."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, example: str | None = None, n: int = 1) -> None:
        if n <= 0:
            return
        self.counts[kind] += n
        if example is not None:
            ex = self.examples.setdefault(kind, [])
            if len(ex) < MAX_EXAMPLES:
                ex.append(example if len(example) <= 120 else example[:117] + "...")

    def build(self) -> CleanReport:
        return CleanReport(
            counts=dict(sorted(self.counts.items())),
            examples={k: tuple(v) for k, v in sorted(self.examples.items())},
        )

    @classmethod
    def from_report(cls, report: CleanReport) -> ReportBuilder:
        rb = cls()
        rb.counts.update(report.counts)
        rb.examples = {k: list(v) for k, v in report.examples.items()}
        return rb


@contextmanager
def bulk_pass() -> Iterator[None]:
    """Read or clean a whole transcript: the cyclic garbage collector paused, memo
    tables (see :func:`memo`) emptied at the end.

    Reading makes 100k+ small objects (words, segments) and no reference cycles; the
    collector would walk them again and again for nothing (20-30% of a big file's parse
    time). It is restored as it was, also when the body raises.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        for cached in _MEMOS:
            cached.cache_clear()
        if was_enabled:
            gc.enable()


def is_boilerplate(line: str) -> bool:
    """True for page furniture such as ``LongCut logo`` or ``Loading...``."""
    return bool(_BOILERPLATE_RE.match(line))


def clean_text(raw: str, report: ReportBuilder | None = None) -> str:
    """Display text of a raw caption: tags stripped, entities decoded, whitespace normalised.

    Tags go first so that an escaped ``&lt;b&gt;`` written as text survives as ``<b>``.
    """
    text, events = _clean(raw)
    if events and report is not None:
        for kind, n in events:
            report.add(kind, raw, n=n)
    return text


_Events = tuple[tuple[str, int], ...]
_WS_EVENT: _Events = (("whitespace_normalised", 1),)


@memo
def _clean(raw: str) -> tuple[str, _Events]:
    """:func:`clean_text` without the report: the text and the report entries (kind, n)."""
    # str.split()/strip() and the regex \s agree on what whitespace is, so joining the
    # split is the \s+ -> " " normalisation, without a regex call.
    if _SPECIAL_RE.search(raw) is None:
        text = " ".join(raw.split())
        # Odd whitespace (a run, a tab, a no-break space) is exactly what the join changed.
        return text, (_WS_EVENT if text != raw.strip() else ())
    events: list[tuple[str, int]] = []
    text, n_tags = _TAG_RE.subn(" ", raw)
    if n_tags:
        events.append(("tags_stripped", n_tags))
    if "&" in text:
        unescaped = html.unescape(text)
        if unescaped != text:
            events.append(("entities_decoded", 1))
            text = unescaped
    # Zero-width spaces come from web pages; non-breaking spaces are word gaps (\s).
    text = text.replace("\u200b", "").replace("\ufeff", "")
    normalised = " ".join(text.split())
    # _ODD_WS_RE.search(raw.strip()), without the regex walk over every character: a
    # run of whitespace or a tab/newline/no-break space is what joining the split changes.
    stripped = raw.strip()
    if "&nbsp;" in stripped or " ".join(stripped.split()) != stripped:
        events.append(("whitespace_normalised", 1))
    return (_tidy_after_tags(normalised) if n_tags else normalised), tuple(events)


def _tidy_after_tags(text: str) -> str:
    # Removing an inline tag can leave "word ," when the tag sat before punctuation.
    # (Searching first is cheaper: most lines have nothing to tidy, and sub() with a
    # template string costs more than the search.)
    return _TIDY_RE.sub(r"\1", text) if _TIDY_RE.search(text) is not None else text


def remove_paragraph_repeats(
    paragraphs: Sequence[Sequence[str]], report: ReportBuilder | None = None
) -> list[list[str]]:
    """Drop the line a page export repeats at the start of a paragraph.

    LongCut starts a paragraph with the previous paragraph's last caption line again;
    the repeat is not spoken twice. Only the first line of a paragraph is compared, and
    only with the last line of the paragraph before it.
    """
    out: list[list[str]] = []
    prev_last: str | None = None
    for para in paragraphs:
        lines = list(para)
        if lines and prev_last is not None and _key(lines[0]) == _key(prev_last) and _key(prev_last):
            if report is not None:
                report.add("paragraph_repeats_removed", lines[0])
            lines = lines[1:]
        if para:
            prev_last = para[-1]
        out.append(lines)
    return out


def _key(text: str) -> str:
    return _WS_RE.sub(" ", text).strip()


def _spoken(text: str) -> list[str]:
    """:func:`clipper.text.spoken_tokens`, with a regex call a text rather than a token."""
    if _NOTE_CHARS_RE.search(text) is not None:
        text = NOTE_RE.sub(" ", text)
    toks = text.split()
    if _NONWORD_TOKEN_RE.search(text) is None:
        return toks
    return [t for t in toks if has_letters(t)]


@memo
def _word_tokens(raw: str) -> tuple[tuple[str, ...], _Events]:
    """Spoken tokens of one raw word (usually one) and the report entries of cleaning it."""
    text, events = _clean(raw)
    return tuple(_spoken(text)), events


def is_clean_word(token: str) -> bool:
    """True when cleaning ``token`` as a spoken word gives it back unchanged, with nothing
    to report: such a token can go into a :class:`RawSegment` as a finished ``Word``."""
    toks, events = _word_tokens(token)
    return not events and len(toks) == 1 and toks[0] == token


def _clean_words(raw: Sequence[RawWord] | FinishedWords, report: ReportBuilder) -> tuple[Word, ...]:
    if type(raw) is FinishedWords:
        return tuple(raw)  # cleaning them would change nothing
    words: list[Word] = []
    append = words.append
    unchecked = Word.unchecked
    for rw in raw:
        toks, events = _word_tokens(rw.text)
        if events:
            for kind, n in events:
                report.add(kind, rw.text, n=n)
        if not toks:
            continue
        start, end = rw.start, rw.end
        # Times that keep the span rules skip the checks; others go through Word(), which
        # raises the same error as ever for a bad span.
        ok = (start is None and end is None) or (type(start) is int and type(end) is int and start <= end)
        make = unchecked if ok else Word
        # A source "word" holding several tokens shares its times among them.
        for t in toks:
            append(make(t, start, end, rw.confidence))
    return tuple(words)


def build_transcript(
    raw: Iterable[RawSegment],
    *,
    meta: Mapping[str, str] | None = None,
    takeaways: Sequence[Takeaway] = (),
    topics: Sequence[Topic] = (),
    report: ReportBuilder | None = None,
) -> Transcript:
    """Clean raw segments into a Transcript (ids 0..n-1, words = spoken tokens).

    Counts ``notes_marked`` (notes kept for display, not spoken), ``empty_dropped``,
    ``empty_kept`` and ``non_speech`` (segments with no spoken word).
    """
    rb = report if report is not None else ReportBuilder()
    segs: list[Segment] = []
    unchecked = Word.unchecked
    for rs in raw:
        text = clean_text(rs.text, rb)
        if not text and not rs.keep_if_empty:
            rb.add("empty_dropped", repr(rs.text))
            continue
        notes = NOTE_RE.findall(text) if _NOTE_CHARS_RE.search(text) is not None else None
        if notes:
            rb.add("notes_marked", notes[0], n=len(notes))
        if rs.words is not None:
            words = _clean_words(rs.words, rb)
        else:
            words = tuple(map(unchecked, _spoken(text)))
        if not text:
            rb.add("empty_kept", repr(rs.text))
        if not words:
            rb.add("non_speech", text or repr(rs.text))
        segs.append(
            Segment(
                id=len(segs),
                text=text,
                words=words,
                start=rs.start,
                end=rs.end,
                confidence=rs.confidence,
                paragraph=rs.paragraph,
                speaker=rs.speaker,
            )
        )
    return Transcript(
        segments=tuple(segs),
        takeaways=tuple(takeaways),
        topics=tuple(topics),
        meta=dict(meta or {}),
        report=rb.build(),
    )


def clean(transcript: Transcript) -> Transcript:
    """Clean an already-built Transcript again (idempotent on a reader's output).

    Useful for transcripts made by hand or by other tools: text is cleaned, words are
    re-derived where the segment has no timed words, empty segments are dropped and ids
    renumbered. The report accumulates on the existing one.
    """
    rb = ReportBuilder()
    raw: list[RawSegment] = []
    make = RawWord.unchecked
    with bulk_pass():
        for s in transcript.segments:
            timed = any(w.start is not None for w in s.words)
            raw.append(
                RawSegment(
                    text=s.text,
                    start=s.start,
                    end=s.end,
                    paragraph=s.paragraph,
                    words=tuple(make(w.text, w.start, w.end, w.confidence) for w in s.words) if timed else None,
                    speaker=s.speaker,
                    confidence=s.confidence,
                    keep_if_empty=not s.text,
                )
            )
        out = build_transcript(
            raw, meta=transcript.meta, takeaways=transcript.takeaways, topics=transcript.topics, report=rb
        )
    # Actions add up over passes; states (notes, non-speech, empty kept) are this pass's.
    merged = ReportBuilder.from_report(transcript.report)
    for k in _STATE_KINDS:
        merged.counts.pop(k, None)
        merged.examples.pop(k, None)
    for k, n in rb.counts.items():
        merged.counts[k] += n
        for ex in rb.examples.get(k, []):
            ex_list = merged.examples.setdefault(k, [])
            if len(ex_list) < MAX_EXAMPLES:
                ex_list.append(ex)
    return replace(out, report=merged.build())


_STATE_KINDS = ("notes_marked", "non_speech", "empty_kept")
