"""Subtitle cue layout and SRT / WebVTT writing.

:func:`layout` turns an :class:`~clipper.model.Alignment` into cues that follow the
professional conventions (Netflix timed-text style guide, BBC subtitle guidelines; see
``docs/subtitles.md``): at most 42 characters a line and 2 lines, a reading speed of at
most 17 characters a second where the timing allows it, 833 ms to 7 s a cue, at least
2 frames between cues, never an overlap; lines broken after punctuation or before
conjunctions and prepositions, never inside a word and never between an article and its
noun; long segments split at their word times, short neighbours merged.

:func:`compose_srt` writes through pysrt and :func:`compose_vtt` through webvtt-py;
:func:`write` picks one by the file's extension and writes atomically.

>>> from clipper.model import Segment, Transcript, Alignment, Word
>>> seg = Segment(0, "Hello there, world.", words=(Word("Hello", 1000, 1300),
...     Word("there,", 1350, 1700), Word("world.", 1800, 2200)), start=1000, end=2200)
>>> cues = layout(Alignment(Transcript((seg,)), engine="hand"))
>>> cues[0].start, cues[0].end, cues[0].lines
(1000, 2200, ('Hello there, world.',))
>>> print(compose_srt(cues), end="")
1
00:00:01,000 --> 00:00:02,200
Hello there, world.
<BLANKLINE>
"""

from __future__ import annotations

import io as _stdio
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from . import io, timecode
from .errors import InputError
from .model import Alignment, Segment, Word
from .text import NOTE_RE, has_letters, norm, spoken_length

__all__ = [
    "LayoutOptions",
    "Cue",
    "LayoutStats",
    "layout",
    "layout_with_stats",
    "break_lines",
    "break_cost",
    "compose_srt",
    "compose_vtt",
    "compose",
    "write",
    "write_layout",
    "resolve_fps",
    "check",
    "read_cues",
    "Violation",
    "RULES",
    "FORMATS",
]

#: output extension -> format name
FORMATS = {".srt": "srt", ".vtt": "vtt"}


@dataclass(frozen=True, slots=True)
class LayoutOptions:
    """How cues are laid out. Times in ms; the defaults are Netflix's English template.

    Args:
        max_chars: characters a line (Netflix: 42).
        max_lines: lines a cue (Netflix, BBC: 2).
        max_cps: reading speed in characters a second, spaces included (Netflix adult
            template: 17; its ceiling is 20). A cue that is too fast is lengthened into the
            following silence; one that still is is counted in the stats, never overlapped.
        min_duration: shortest cue (Netflix: 5/6 s = 833 ms), lengthened into silence only.
        max_duration: longest cue (Netflix: 7 s); longer speech is split.
        min_gap_frames: frames between two cues (Netflix: 2).
        fps: frame rate as (num, den) for the frame gap; None = the media's, else 25/1.
        close_gap_frames: a gap this short or shorter is closed down to ``min_gap_frames``
            by lengthening the earlier cue (Netflix: 12 frames, so cues do not flicker
            off and on); 0 turns it off.
        lead_in: ms a cue may start before its first word (only into silence).
        lead_out: ms a cue stays after its last word (only into silence).
        borrow: ms a cue still too short or too fast after growing into the silence
            after it may start early, into the silence before it; 0 = never.
        snap: put every start and end on the frame grid (a start on the frame at or
            before it, an end on the one at or after it).
        karaoke: VTT only: inline word timestamps (``<00:00:01.000><c>word</c>``).
        notes: "keep" shows a non-speech segment (``[laughter]``) as its own cue when it is
            placed and there is room, and a note inside a line (``(a gloss)``) in one cue
            where it fits; "drop" leaves all of them out.
        merge: merge short neighbouring segments into one cue, each on its own line.
        merge_gap: the largest silence (ms) between two segments that are merged.
    """

    max_chars: int = 42
    max_lines: int = 2
    max_cps: float = 17.0
    min_duration: int = 833
    max_duration: int = 7000
    min_gap_frames: int = 2
    fps: tuple[int, int] | None = None
    close_gap_frames: int = 12
    lead_in: int = 0
    lead_out: int = 0
    borrow: int = 1000
    snap: bool = True
    karaoke: bool = False
    notes: str = "keep"
    merge: bool = True
    merge_gap: int = 1000

    def __post_init__(self) -> None:
        def bad(name: str, what: str) -> InputError:
            return InputError(f"⟨--{name.replace('_', '-')}⟩ {what}")

        if self.max_chars < 1:
            raise bad("max_chars", "must be at least 1")
        if self.max_lines < 1:
            raise bad("max_lines", "must be at least 1")
        if not (self.max_cps > 0 and math.isfinite(self.max_cps)):
            raise bad("max_cps", "must be a positive number")
        if self.min_duration < 0 or self.max_duration < 1:
            raise bad("min_duration", "and ⟨--max-duration⟩ must be positive")
        if self.min_duration > self.max_duration:
            raise bad("min_duration", f"({self.min_duration}) is longer than ⟨--max-duration⟩ ({self.max_duration})")
        if self.min_gap_frames < 0 or self.close_gap_frames < 0:
            raise bad("min_gap_frames", "and the gap to close cannot be negative")
        if self.lead_in < 0 or self.lead_out < 0:
            raise bad("lead_in", "and ⟨--lead-out⟩ cannot be negative")
        if self.borrow < 0:
            raise bad("borrow", "cannot be negative")
        if self.merge_gap < 0:
            raise bad("merge_gap", "cannot be negative")
        if self.notes not in ("keep", "drop"):
            raise bad("notes", f"must be keep or drop, not {self.notes!r}")
        if self.fps is not None:
            num, den = self.fps
            if num <= 0 or den <= 0:
                raise bad("fps", f"must be positive, not {num}/{den}")


@dataclass(frozen=True, slots=True)
class Cue:
    """One subtitle: times in ms, its display lines, and its spoken tokens with times.

    ``words`` are the spoken tokens *as displayed* (one a display token, notes left out),
    so a karaoke writer can find them in ``lines``; a non-speech cue has none.
    """

    start: int
    end: int
    lines: tuple[str, ...]
    words: tuple[Word, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.start, int) or not isinstance(self.end, int):
            raise TypeError(f"cue times are integer ms, got {self.start!r}, {self.end!r}")
        if not 0 <= self.start <= self.end:
            raise ValueError(f"cue times out of order: {self.start} > {self.end}")

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def chars(self) -> int:
        """Characters read (spaces included, line breaks not), as reading speed counts them."""
        return sum(len(line) for line in self.lines)

    @property
    def duration(self) -> int:
        return self.end - self.start

    @property
    def cps(self) -> float:
        return self.chars * 1000 / self.duration if self.duration else math.inf


@dataclass(frozen=True, slots=True)
class LayoutStats:
    """What layout did: counts a user (and ``--json``) can check."""

    cues: int = 0
    segments: int = 0
    segments_skipped: int = 0  # not placed by the engine (start None)
    notes_kept: int = 0
    notes_dropped: int = 0  # --notes drop
    notes_no_room: int = 0  # no silence to show them in
    words: int = 0
    segments_split: int = 0
    segments_merged: int = 0  # segments sharing a cue with a neighbour
    cps_violations: int = 0  # cues still faster than max_cps
    max_cps_seen: float = 0.0
    short_cues: int = 0  # shorter than min_duration (no silence to grow into)
    long_lines: int = 0  # over max_chars: a single word longer than a line
    shifted_cues: int = 0  # pushed later to keep the gap (speech times overlapped)
    borrowed_cues: int = 0  # started early, into the silence before, to be read in time
    words_past_end: int = 0  # in cues pushed past the media's end (crowded text at its very end)
    fps: str = "25/1"
    gap_ms: int = 80

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- where lines and cues may break ---------------------------------------------------

_ARTICLES = frozenset(
    "a an the this that these those my your his her its our their some any no every each "
    "whose which what".split()
)
_CONJUNCTIONS = frozenset(
    "and but or nor so yet because although though while whereas if unless until when "
    "whenever where wherever whether that than since as once after before".split()
)
_PREPOSITIONS = frozenset(
    "about above across against along among around at behind below beneath beside between "
    "beyond by despite down during except for from in inside into like near of off on onto "
    "out outside over past through throughout to toward towards under upon with within "
    "without via".split()
)
_AUXILIARIES = frozenset(
    "i you we they he she it do does did don't doesn't didn't can can't could couldn't will "
    "won't would wouldn't should shouldn't must is isn't are aren't was wasn't were weren't "
    "am be been have has had not to".split()
)
_INTERJECTIONS = frozenset("mm-hmm mhm hmm uh-huh uh um ah oh yeah yes no right ok okay".split())
_I_FORMS = frozenset("i i'm i've i'll i'd".split())
_ABBREVIATIONS = frozenset("mr. mrs. ms. dr. st. prof. sr. jr. vs. mt. no.".split())
_SENTENCE_END = re.compile(r"[.?!…]['\"’”)\]]*$")
_CLAUSE_END = re.compile(r"[,;:–—]['\"’”)\]]*$")


def break_cost(left: str, right: str) -> int:
    """How bad a line or cue break between two display tokens is (0 best, 60 worst).

    Follows Netflix's line-treatment rules: break after punctuation, before a
    conjunction or preposition; never between an article (or possessive) and its noun.

    >>> break_cost("done.", "Then"), break_cost("yes,", "he"), break_cost("cats", "and")
    (0, 2, 4)
    >>> break_cost("the", "cat") > break_cost("cat", "sat") > break_cost("cat", "on")
    True
    """
    lo = left.lower()
    lw, rw = norm(left), norm(right)
    if lo in _ABBREVIATIONS:
        return 60
    if _SENTENCE_END.search(left):
        return 0
    if _CLAUSE_END.search(left) or right[:1] in "([—–-":
        return 2
    if lw in _ARTICLES:
        return 60
    if rw in _CONJUNCTIONS:
        return 4
    if right[:1].isupper() and rw not in _I_FORMS:
        return 5  # most likely a new sentence (captions often drop the full stop)
    if rw in _PREPOSITIONS:
        return 6
    if lw in _PREPOSITIONS or lw in _CONJUNCTIONS:
        return 16
    if lw in _AUXILIARIES:
        return 14  # "don't | know", "we | said": a verb group split
    return 10


def _balance(upper: int, lower: int) -> float:
    # bottom-heavy (a pyramid) or even reads best; a long top line over a short one worst
    d = upper - lower
    return d * 1.0 if d > 0 else -d * 0.25


def _partition(
    lens: Sequence[int], costs: Sequence[int], max_chars: int, max_lines: int
) -> tuple[tuple[int, ...], float] | None:
    """Where to break tokens of these lengths into the fewest lines that fit.

    ``costs[k]`` is the cost of a break before token ``k + 1``. Returns the line ends
    (token indices, the last being ``len(lens)``) and the cost, or None.
    """
    n = len(lens)
    if n == 0:
        return None
    pre = [0]
    for ln in lens:
        pre.append(pre[-1] + ln)

    def width(i: int, j: int) -> int:
        return pre[j] - pre[i] + (j - i - 1)

    def ok(i: int, j: int) -> bool:
        # a line fits, or is a single word longer than a line (never split a word)
        return j - i == 1 or width(i, j) <= max_chars

    if ok(0, n):
        return (n,), 0.0
    # fewest lines first, then the best breaks and balance
    for n_lines in range(2, max_lines + 1):
        memo: dict[tuple[int, int, int], tuple[float, tuple[int, ...]] | None] = {}

        def best(
            i: int, left: int, prev_w: int, memo: dict[tuple[int, int, int], tuple[float, tuple[int, ...]] | None]
        ) -> tuple[float, tuple[int, ...]] | None:
            key = (i, left, prev_w)
            if key in memo:
                return memo[key]
            result: tuple[float, tuple[int, ...]] | None = None
            if left == 1:
                if ok(i, n):
                    result = (_balance(prev_w, width(i, n)) if prev_w >= 0 else 0.0, (n,))
            else:
                for j in range(i + 1, n - left + 2):
                    if not ok(i, j):
                        break
                    w = width(i, j)
                    rest = best(j, left - 1, w, memo)
                    if rest is None:
                        continue
                    c = costs[j - 1] + (_balance(prev_w, w) if prev_w >= 0 else 0.0) + rest[0]
                    if result is None or c < result[0]:
                        result = (c, (j, *rest[1]))
            memo[key] = result
            return result

        found = best(0, n_lines, -1, memo)
        if found is not None:
            return found[1], found[0]
    return None


def _join_lines(tokens: Sequence[str], ends: Sequence[int]) -> tuple[str, ...]:
    starts = (0, *ends[:-1])
    return tuple(" ".join(tokens[a:b]) for a, b in zip(starts, ends, strict=True))


def break_lines(tokens: Sequence[str], max_chars: int = 42, max_lines: int = 2) -> tuple[str, ...] | None:
    """Break display tokens into the fewest lines that fit, at the best places.

    Returns None when they do not fit in ``max_lines`` lines. A single token longer than
    a line gets a line of its own (words are never split).

    >>> break_lines("In this episode, we have come to New York, USA".split())
    ('In this episode,', 'we have come to New York, USA')
    >>> break_lines("He said that the weather in the mountains would be cold".split(), 30)
    ('He said that the weather', 'in the mountains would be cold')
    """
    costs = [break_cost(tokens[k - 1], tokens[k]) for k in range(1, len(tokens))]
    r = _partition([len(t) for t in tokens], costs, max_chars, max_lines)
    return None if r is None else _join_lines(tokens, r[0])


# --- units: display tokens with times -------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Unit:
    """A display token (never split) with its spoken words' times; notes have no words."""

    text: str
    start: int
    end: int
    spoken: bool
    confidence: float | None = None
    glued: bool = False  # the break after it falls inside an editorial note


@dataclass(frozen=True, slots=True)
class _Piece:
    """A run of units of one segment that becomes a cue (or part of a merged cue)."""

    units: tuple[_Unit, ...]
    lines: tuple[str, ...]
    seg: int  # index in the placed segments
    paragraph: int | None
    note: bool = False
    first: bool = True  # first piece of its segment
    last: bool = True

    @property
    def start(self) -> int:
        return self.units[0].start

    @property
    def end(self) -> int:
        return max(u.end for u in self.units)


def _spread(lengths: list[int], lo: int, hi: int) -> list[tuple[int, int]]:
    total = sum(lengths) or 1
    out = []
    acc = 0
    for n in lengths:
        a = lo + (hi - lo) * acc // total
        acc += n
        out.append((a, lo + (hi - lo) * acc // total))
    return out


def _word_times(seg: Segment, words: list[Word]) -> list[tuple[int, int]]:
    """Times for every word: the engine's where placed (made monotonic), else spread by
    character length between the placed neighbours (or the segment's bounds)."""
    assert seg.start is not None and seg.end is not None
    times: list[tuple[int, int] | None] = []
    prev_s = -1
    for w in words:
        if w.start is not None and w.end is not None:
            s = max(w.start, prev_s)
            times.append((s, max(w.end, s)))
            prev_s = s
        else:
            times.append(None)
    i = 0
    n = len(words)
    while i < n:
        if times[i] is not None:
            i += 1
            continue
        j = i
        while j < n and times[j] is None:
            j += 1
        prev_t = times[i - 1] if i > 0 else None
        next_t = times[j] if j < n else None
        lo = prev_t[1] if prev_t is not None else seg.start
        hi = next_t[0] if next_t is not None else max(seg.end, lo)
        hi = max(hi, lo)
        for k, t in enumerate(_spread([spoken_length([w.text]) for w in words[i:j]], lo, hi)):
            times[i + k] = t
        i = j
    return [t for t in times if t is not None]


def _drop_notes(text: str) -> str:
    """The text without its editorial notes, punctuation closed up: "Yann (Yann LeCun),
    said" -> "Yann, said"."""
    return re.sub(r"\s+([,.;:!?…])", r"\1", NOTE_RE.sub(" ", text)).strip()


def _segment_units(seg: Segment, drop_notes: bool = False) -> list[_Unit]:
    """The segment's display tokens with times.

    The display text (notes included, unless ``drop_notes``) is shown when its spoken
    tokens line up one to one with the segment's words, as they do for every clipper
    reader; otherwise the words themselves are shown. A break inside a note is marked
    (``glued``) so a cue is not split in the middle of one.
    """
    assert seg.start is not None
    words = [w for w in seg.words if w.text.strip()]
    times = _word_times(seg, words)
    text = _drop_notes(seg.text) if drop_notes else seg.text
    masked = NOTE_RE.sub(lambda m: " " * len(m.group()), text)
    inside = [False] * (len(text) + 1)  # a break at this offset is inside a note
    for m in NOTE_RE.finditer(text):
        for i in range(m.start() + 1, m.end()):
            inside[i] = True
    tokens = [(m.group(), m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    counts = [sum(1 for t in masked[a:b].split() if has_letters(t)) for _, a, b in tokens]
    raw: list[tuple[str, tuple[int, int] | None, float | None, bool]] = []
    if sum(counts) == len(words):
        k = 0
        for (tok, _, b), c in zip(tokens, counts, strict=True):
            if c:
                a, z = times[k][0], times[k + c - 1][1]
                raw.append((tok, (a, z), words[k].confidence, inside[b]))
                k += c
            else:
                raw.append((tok, None, None, inside[b]))
    else:
        raw = [(" ".join(w.text.split()), t, w.confidence, False) for w, t in zip(words, times, strict=True)]
    units: list[_Unit] = []
    # a note token takes the time where it sits: after the previous spoken token
    last_end = next((t[0] for _, t, _, _ in raw if t is not None), seg.start)
    for tok, t, conf, glued in raw:
        if t is None:
            units.append(_Unit(tok, last_end, last_end, False, glued=glued))
        else:
            units.append(_Unit(tok, t[0], t[1], True, conf, glued))
            last_end = t[1]
    return units


# --- layout ---------------------------------------------------------------------------


def resolve_fps(alignment: Alignment | None, options: LayoutOptions) -> Fraction:
    """The frame rate for frame gaps: the option, else the media's, else 25/1."""
    if options.fps is not None:
        return Fraction(options.fps[0], options.fps[1])
    media = alignment.media if alignment is not None else None
    if media is not None and media.fps_num and media.fps_den:
        return Fraction(media.fps_num, media.fps_den)
    return Fraction(25)


def _frames_ms(frames: int, fps: Fraction) -> int:
    """At least ``frames`` frames, in whole ms (rounded up so a gap is never a frame short)."""
    exact = Fraction(frames) / fps * 1000
    ms = timecode.frames_to_ms(frames, fps)
    return ms if ms >= exact else ms + 1


class _Layouter:
    def __init__(self, options: LayoutOptions, fps: Fraction) -> None:
        self.o = options
        self.gap = _frames_ms(options.min_gap_frames, fps)
        self.frame = _frames_ms(1, fps)
        self.close = _frames_ms(options.close_gap_frames, fps) if options.close_gap_frames else 0

    def fit(self, units: Sequence[_Unit]) -> tuple[tuple[str, ...], float] | None:
        """Lines for these units and their cost, or None when they do not fit a cue."""
        toks = [u.text for u in units]
        costs = [break_cost(a, b) for a, b in zip(toks, toks[1:], strict=False)]
        r = _partition([len(t) for t in toks], costs, self.o.max_chars, self.o.max_lines)
        return None if r is None else (_join_lines(toks, r[0]), r[1])

    def chunk(self, units: list[_Unit], limit: int) -> list[tuple[int, int, tuple[str, ...]]]:
        """Split one segment's units into cue-sized runs (start, stop, lines).

        A segment that fits one cue stays whole. A longer one is split by a dynamic
        program over split points: good breaks (punctuation, long pauses, before a
        conjunction) are cheap, each cue costs a little, and a cue that cannot be read at
        ``max_cps`` in the time before the next one, or is very short, costs more.
        """
        o = self.o
        n = len(units)
        whole = self.fit(units)
        if whole is not None and (n == 1 or units[-1].end - units[0].start <= o.max_duration):
            return [(0, n, whole[0])]
        cap = o.max_chars * o.max_lines + o.max_lines  # no run longer than this fits
        INF = math.inf
        spoken_before = [0]
        for u in units:
            spoken_before.append(spoken_before[-1] + u.spoken)
        spoken_any = spoken_before[-1] > 0
        toks = [u.text for u in units]
        lens = [len(t) for t in toks]
        pair = [break_cost(a, b) for a, b in zip(toks, toks[1:], strict=False)]  # once, not per window
        best: list[float] = [INF] * (n + 1)
        back: list[int] = [0] * (n + 1)
        ends_of: dict[tuple[int, int], tuple[int, ...]] = {}
        best[0] = 0.0
        for i in range(n):
            if best[i] == INF:
                continue
            split_c = self.split_cost(units[i - 1], units[i], pair[i - 1]) if i > 0 else 0.0
            if i > 0 and units[i - 1].glued:
                split_c += 200.0  # a note read across two cues: only when it cannot fit one
            chars = -1
            for j in range(i + 1, n + 1):
                chars += len(units[j - 1].text) + 1
                if chars > cap and j - i > 1:
                    break
                if j - i > 1 and units[j - 1].end - units[i].start > o.max_duration:
                    break
                f = _partition(lens[i:j], pair[i : j - 1], o.max_chars, o.max_lines)
                if f is None:
                    if j - i > 1:
                        continue
                    f = ((1,), 0.0)
                nxt = units[j].start if j < n else limit
                c = self.cue_cost(chars, units[i].start, nxt, f[1])
                if spoken_any and spoken_before[j] == spoken_before[i]:
                    c += 1000.0  # a cue of a note alone, with no speech to time it by
                total = best[i] + split_c + c
                if total < best[j]:
                    best[j] = total
                    back[j] = i
                    ends_of[(i, j)] = f[0]
        out = []
        j = n
        while j > 0:
            i = back[j]
            out.append((i, j, _join_lines(toks[i:j], ends_of[(i, j)])))
            j = i
        return out[::-1]

    def split_cost(self, left: _Unit, right: _Unit, cost: int | None = None) -> float:
        """Cost of ending a cue between two units: a bad break costs, a long pause pays."""
        gap = max(0, right.start - left.end)
        if cost is None:
            cost = break_cost(left.text, right.text)
        return 1.5 * cost - min(gap, 1500) / 50

    def cue_cost(self, chars: int, start: int, next_start: int, line_cost: float = 0.0) -> float:
        """Cost of one cue: a constant (fewer cues read better), a share of its line-break
        cost, and penalties for too little time to read it and for a tiny fragment."""
        o = self.o
        cap = o.max_chars * o.max_lines + o.max_lines
        avail = max(1, min(o.max_duration, next_start - self.gap - start))
        need = max(o.min_duration, chars * 1000 / o.max_cps)
        c = 30.0 + 0.5 * line_cost + 10.0 * (chars / cap) ** 2
        if need > avail:
            c += (need - avail) / 50
        if chars < 12:
            c += (12 - chars) * 2
        return c

    def cramped(self, p: _Piece, chars: int, limit: int) -> bool:
        """Whether a piece on its own would be a cue shorter than the minimum or faster
        than the reading speed, with the silence up to ``limit`` to grow into."""
        avail = min(self.o.max_duration, limit - self.gap - p.start)
        return avail < self.o.min_duration or chars * 1000 > self.o.max_cps * avail

    def mergeable(self, q: _Piece, p: _Piece) -> bool:
        o = self.o
        return (
            o.merge
            and not q.note
            and not p.note
            and q.last
            and p.first
            and p.seg == q.seg + 1
            and p.paragraph == q.paragraph
            and 0 <= p.start - q.end <= o.merge_gap
        )

    def merge(self, pieces: list[_Piece], limits: list[int]) -> list[list[_Piece]]:
        """Group neighbouring pieces into cues, each piece on its own line(s).

        Pieces may share a cue when they end and start neighbouring segments of the same
        paragraph, the silence between them is at most ``merge_gap``, their lines fit in
        ``max_lines`` and the cue is not longer than ``max_duration``. Which neighbours
        share is chosen by a dynamic program with the costs of :meth:`chunk`, so cues end
        at pauses and punctuation rather than mid-phrase.
        """
        o = self.o
        n = len(pieces)
        chars = [sum(len(line) for line in p.lines) for p in pieces]
        bounds = [0.0] + [self.split_cost(pieces[k - 1].units[-1], pieces[k].units[0]) for k in range(1, n)]
        best: list[float] = [math.inf] * (n + 1)
        back = [0] * (n + 1)
        best[0] = 0.0
        for a in range(n):
            lines = 0
            ch = 0
            for b in range(a + 1, n + 1):
                p = pieces[b - 1]
                if b - 1 > a and not self.mergeable(pieces[b - 2], p):
                    break
                lines += len(p.lines)
                ch += chars[b - 1] + (1 if b - 1 > a else 0)
                if b - 1 > a and p.end - pieces[a].start > o.max_duration:
                    break
                extra = 0.0
                if lines > o.max_lines:
                    # the pieces' own lines do not fit: re-flowed into max_lines, at a
                    # price, and only so that a piece too short or too fast on its own
                    # ("So" between two cues) can join its neighbour
                    flowed = self.fit([u for q in pieces[a:b] for u in q.units]) if b - a == 2 and (
                        self.cramped(pieces[a], chars[a], limits[a]) or self.cramped(p, chars[b - 1], limits[b - 1])
                    ) else None
                    if flowed is None:
                        break
                    extra = 25.0 + flowed[1]
                c = best[a] + bounds[a] + extra + self.cue_cost(ch, pieces[a].start, limits[b - 1])
                if c < best[b]:
                    best[b] = c
                    back[b] = a
        groups: list[list[_Piece]] = []
        b = n
        while b > 0:
            a = back[b]
            groups.append(pieces[a:b])
            b = a
        return groups[::-1]


@dataclass(slots=True)
class _Draft:
    """A cue being timed (mutable on purpose: the timing passes adjust it in place)."""

    start: int
    end: int
    lines: tuple[str, ...]
    words: tuple[Word, ...]
    note: bool

    @property
    def chars(self) -> int:
        return sum(len(line) for line in self.lines)


def _pieces(
    placed: list[Segment], L: _Layouter
) -> tuple[list[_Piece], int]:
    """Every placed segment cut into cue-sized pieces (and how many were split)."""
    o = L.o
    seg_units = [_segment_units(s, o.notes == "drop") if s.spoken else [] for s in placed]
    pieces: list[_Piece] = []
    split = 0
    for idx, (s, units) in enumerate(zip(placed, seg_units, strict=True)):
        note = not units
        if note:  # a non-speech event: its own cue(s), text as written, over its span
            assert s.start is not None and s.end is not None
            toks = s.text.split()
            spans = _spread([len(t) + 1 for t in toks], s.start, s.end)
            units = [_Unit(t, a, b, False) for t, (a, b) in zip(toks, spans, strict=True)]
        # the silence after a segment ends where the next one starts
        if idx + 1 < len(placed):
            nxt = placed[idx + 1]
            nxt_units = seg_units[idx + 1]
            limit = nxt_units[0].start if nxt_units else (nxt.start if nxt.start is not None else 0)
        else:
            limit = units[-1].end + o.max_duration
        runs = L.chunk(units, limit)
        if len(runs) > 1:
            split += 1
        for r, (a, b, lines) in enumerate(runs):
            pieces.append(
                _Piece(tuple(units[a:b]), lines, idx, s.paragraph, note=note, first=r == 0, last=r == len(runs) - 1)
            )
    pieces.sort(key=lambda p: p.start)  # stable: text order among equal starts
    return pieces, split


def _legal_times(drafts: list[_Draft], L: _Layouter) -> tuple[list[_Draft], int, int]:
    """Pass 1: starts in order and the gap apart; an end that runs into the next start is
    cut back; speech that overlaps pushes the later cue (counted as shifted). A note with
    no silence to show in is dropped (counted)."""
    o, gap = L.o, L.gap
    out: list[_Draft] = []
    prev_end = -gap
    shifted = no_room = 0
    for k, d in enumerate(drafts):
        nxt = drafts[k + 1].start if k + 1 < len(drafts) else None
        start = max(d.start, prev_end + gap, 0)
        if d.note:
            end = max(d.end, start + o.min_duration)
            if nxt is not None:
                end = min(end, nxt - gap)
            if end - start < max(o.min_duration // 2, L.frame):
                no_room += 1
                continue
        else:
            if start > d.start:
                shifted += 1
            end = max(d.end, start + L.frame)
            if nxt is not None and end > nxt - gap:
                end = max(nxt - gap, start + L.frame)
        d.start, d.end = start, min(end, start + o.max_duration)
        out.append(d)
        prev_end = d.end
    return out, shifted, no_room


def _grow(drafts: list[_Draft], L: _Layouter, media_end: int | None) -> int:
    """Pass 2: lead-in into the silence before; then lead-out, minimum duration and
    reading speed into the silence after (never past the next cue minus the gap, 7 s or
    the media's end); a cue still too short or too fast then borrows up to ``borrow`` ms
    of the silence before it; last, a short gap is closed, since a cue blinking off for
    a few frames is worse than none. Returns how many cues borrowed."""
    o, gap = L.o, L.gap
    if o.lead_in:
        prev_end = -gap
        for d in drafts:
            d.start = max(d.start - o.lead_in, prev_end + gap, 0)
            prev_end = d.end

    def wanted(d: _Draft) -> int:
        return max(o.min_duration, math.ceil(d.chars * 1000 / o.max_cps))

    for k, d in enumerate(drafts):
        nxt = drafts[k + 1].start if k + 1 < len(drafts) else None
        limit = d.start + o.max_duration
        if nxt is not None:
            limit = min(limit, nxt - gap)
        if media_end is not None and media_end > d.start:
            limit = min(limit, media_end)
        target = max(d.end + o.lead_out, d.start + wanted(d))
        d.end = max(d.end, min(target, limit))
    borrowed = 0
    if o.borrow:
        prev_end = -gap
        for d in drafts:
            short = min(wanted(d), o.max_duration) - (d.end - d.start)
            if short > 0:
                start = max(d.start - min(short, o.borrow), prev_end + gap, 0)
                if start < d.start:
                    d.start = start
                    borrowed += 1
            prev_end = d.end
    if L.close:
        for d, e in zip(drafts, drafts[1:], strict=False):
            if gap < e.start - d.end <= L.close and e.start - gap - d.start <= o.max_duration:
                d.end = e.start - gap
    return borrowed


def _snap(drafts: list[_Draft], L: _Layouter, fps: Fraction, media_end: int | None) -> None:
    """Pass 3: every time on the frame grid, as editors and subtitle tools expect.

    A start moves to the frame at or before it and an end to the frame at or after it,
    so a cue never loses time. Where that would bring two cues closer than the frame
    gap, both go to their nearest frame instead, which keeps any gap that held before
    (rounding is monotonic). Nothing ends after the media's last frame."""
    if not drafts:
        return
    g = L.o.min_gap_frames
    per = Fraction(1000) / fps  # ms a frame

    def floor(ms: int) -> int:
        return math.floor(ms / per)

    def ceil(ms: int) -> int:
        return math.ceil(ms / per)

    def nearest(ms: int) -> int:
        return math.floor(ms / per + Fraction(1, 2))

    last = floor(media_end) if media_end is not None else None
    frames: list[list[int]] = []
    for k, d in enumerate(drafts):
        a, b = floor(d.start), ceil(d.end)
        if k and a < frames[k - 1][1] + g:
            prev = frames[k - 1]
            prev[1] = max(prev[0] + 1, min(prev[1], nearest(drafts[k - 1].end)))
            a = max(a, prev[1] + g)
        b = max(b, a + 1)
        if last is not None and b > last:
            b = max(last, a + 1)  # only a cue starting in the last frame passes it
        frames.append([a, b])
    for d, (a, b) in zip(drafts, frames, strict=True):
        d.start = timecode.frames_to_ms(a, fps)
        d.end = timecode.frames_to_ms(b, fps)


def _group_lines(group: list[_Piece], L: _Layouter) -> tuple[str, ...]:
    """Lines of a merged cue: each piece on its own line(s), except that a phrase the
    transcript broke mid-way ("... highly competitive" + "race") runs on in one line when
    it fits: the first piece ends without punctuation, the next starts in lower case, and
    neither is a lone interjection ("mm-hmm", likely another speaker). Pieces whose own
    lines are too many are re-flowed into ``max_lines`` (:meth:`_Layouter.merge` chose
    them only if they fit)."""
    max_chars = L.o.max_chars
    lines = [line for p in group for line in p.lines]
    if len(lines) > L.o.max_lines:
        flowed = L.fit([u for p in group for u in p.units])
        assert flowed is not None
        return flowed[0]
    if len(group) == 2 and len(group[0].lines) == len(group[1].lines) == 1:
        a, b = group
        left, right = a.units[-1].text, b.units[0].text
        joined = f"{lines[0]} {lines[1]}"
        if (
            len(joined) <= max_chars
            and not _SENTENCE_END.search(left)
            and not _CLAUSE_END.search(left)
            and right[:1].islower()
            and not any(len(p.units) == 1 and norm(p.units[0].text) in _INTERJECTIONS for p in group)
        ):
            return (joined,)
    return tuple(lines)


def layout_with_stats(
    alignment: Alignment, options: LayoutOptions | None = None
) -> tuple[list[Cue], LayoutStats]:
    """Lay out cues for an alignment and say what was done (see :func:`layout`)."""
    o = options or LayoutOptions()
    fps = resolve_fps(alignment, o)
    L = _Layouter(o, fps)
    skipped = notes_dropped = 0
    placed: list[Segment] = []
    for s in alignment.segments:
        if not s.placed:
            skipped += 1
        elif not s.spoken and (o.notes == "drop" or not s.text.strip()):
            notes_dropped += 1
        else:
            placed.append(s)
    pieces, split = _pieces(placed, L)
    media_end = alignment.media.duration if alignment.media is not None else None
    limits = [
        pieces[k + 1].start if k + 1 < len(pieces) else (media_end or pieces[k].end + o.max_duration)
        for k in range(len(pieces))
    ]
    groups = L.merge(pieces, limits)
    drafts = [
        _Draft(
            g[0].start,
            max(p.end for p in g),
            _group_lines(g, L),
            tuple(Word(u.text, u.start, u.end, u.confidence) for p in g for u in p.units if u.spoken),
            g[0].note,
        )
        for g in groups
    ]
    drafts, shifted, no_room = _legal_times(drafts, L)
    borrowed = _grow(drafts, L, media_end)
    past_end = 0
    if media_end is not None:
        # nothing is shown past the media's end, whatever the alignment says
        past_end = sum(len(d.words) for d in drafts if d.start >= media_end)
        drafts = [d for d in drafts if d.start < media_end]
        for d in drafts:
            d.end = min(d.end, media_end)
    if o.snap:
        _snap(drafts, L, fps, media_end)

    cues = [Cue(d.start, d.end, d.lines, d.words) for d in drafts]
    stats = LayoutStats(
        cues=len(cues),
        segments=len(alignment.segments),
        segments_skipped=skipped,
        notes_kept=sum(1 for d in drafts if d.note),  # cues: a long note may take two
        notes_dropped=notes_dropped,
        notes_no_room=no_room,
        words=sum(len(c.words) for c in cues),
        segments_split=split,
        segments_merged=sum(len(g) for g in groups if len(g) > 1),
        cps_violations=sum(1 for c in cues if c.chars * 1000 > o.max_cps * c.duration),
        max_cps_seen=round(max((c.cps for c in cues if c.duration), default=0.0), 2),
        short_cues=sum(1 for c in cues if c.duration < o.min_duration),
        long_lines=sum(1 for c in cues for line in c.lines if len(line) > o.max_chars),
        shifted_cues=shifted,
        borrowed_cues=borrowed,
        words_past_end=past_end,
        fps=f"{fps.numerator}/{fps.denominator}",
        gap_ms=L.gap,
    )
    return cues, stats


def layout(alignment: Alignment, options: LayoutOptions | None = None) -> list[Cue]:
    """Cues for an alignment, sorted, never overlapping, at least the frame gap apart.

    Segments not placed are skipped; non-speech segments become their own cues (or are
    dropped, ``notes="drop"``). Word times are used where present; otherwise a
    segment's time is shared among its words by character length.
    """
    return layout_with_stats(alignment, options)[0]


# --- checking -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Violation:
    """One cue that breaks a layout rule: its number (1-based), times, rule and detail."""

    cue: int
    start: int
    end: int
    rule: str  # short | long | fast | gap | overlap | lines | width | frames | past_end
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: every rule :func:`check` knows, in the order reports list them
RULES = ("short", "long", "fast", "gap", "overlap", "lines", "width", "frames", "past_end")


def _on_frame(ms: int, fps: Fraction) -> bool:
    """Whether ``ms`` is the (rounded) time of a frame boundary at ``fps``."""
    return timecode.frames_to_ms(timecode.ms_to_frames(ms, fps), fps) == ms


def check(
    cues: Sequence[Cue],
    options: LayoutOptions | None = None,
    *,
    fps: Fraction | None = None,
    media_end: int | None = None,
) -> list[Violation]:
    """Every cue that breaks the layout conventions of ``options``.

    Rules: shorter than ``min_duration`` (``short``), longer than ``max_duration``
    (``long``), faster than ``max_cps`` (``fast``), closer than ``min_gap_frames`` to
    the next cue (``gap``) or overlapping it (``overlap``), more than ``max_lines``
    lines (``lines``) or a line longer than ``max_chars`` (``width``); with ``fps``, a
    time off the frame grid (``frames``); with ``media_end``, a cue ending after it
    (``past_end``). Markup (``<i>``, ``{\\an8}``) is not counted as characters.

    >>> c = [Cue(0, 500, ("Hi.",)), Cue(520, 2000, ("A line that is fine.",))]
    >>> [(v.cue, v.rule) for v in check(c)]
    [(1, 'short'), (1, 'gap')]
    """
    o = options or LayoutOptions()
    gap_exact = Fraction(o.min_gap_frames * 1000) / (fps or Fraction(25))
    gap = math.ceil(gap_exact)
    out: list[Violation] = []
    for k, c in enumerate(cues):
        lines = [_MARKUP.sub("", line) for line in c.lines]
        chars = sum(len(line) for line in lines)

        def bad(rule: str, detail: str, c: Cue = c, k: int = k) -> None:
            out.append(Violation(k + 1, c.start, c.end, rule, detail))

        if c.duration < o.min_duration:
            bad("short", f"{c.duration} ms < {o.min_duration} ms")
        if c.duration > o.max_duration:
            bad("long", f"{c.duration} ms > {o.max_duration} ms")
        if chars * 1000 > o.max_cps * c.duration:
            cps = chars * 1000 / c.duration if c.duration else math.inf
            bad("fast", f"{cps:.1f} cps > {o.max_cps:g}")
        if k + 1 < len(cues):
            nxt = cues[k + 1].start
            if nxt < c.end:
                bad("overlap", f"ends {c.end - nxt} ms after cue {k + 2} starts")
            elif nxt - c.end < gap_exact - 1:  # frame times are rounded to whole ms
                bad("gap", f"{nxt - c.end} ms < {gap} ms ({o.min_gap_frames} frames)")
        if len(lines) > o.max_lines:
            bad("lines", f"{len(lines)} lines > {o.max_lines}")
        widest = max((len(line) for line in lines), default=0)
        if widest > o.max_chars:
            bad("width", f"a line of {widest} characters > {o.max_chars}")
        if fps is not None and not (_on_frame(c.start, fps) and _on_frame(c.end, fps)):
            bad("frames", f"not on the {fps.numerator}/{fps.denominator} fps frame grid")
        if media_end is not None and c.end > media_end:
            bad("past_end", f"ends {c.end - media_end} ms after the media ({media_end} ms)")
    return out


# SRT/VTT tags and ASS override blocks: styling, not characters a viewer reads
_MARKUP = re.compile(r"</?[a-zA-Z][^>]*>|\{[^}]*\}|<\d[\d:.]*>")


def read_cues(path: str | os.PathLike[str]) -> list[Cue]:
    """The cues of an existing SRT or WebVTT file (through pysrt / webvtt-py), in file
    order, for :func:`check`. An unreadable file is an InputError (exit 2)."""
    import pysrt
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    fmt = format_for(path)
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such subtitle file")
    try:
        if fmt == "srt":
            subs = pysrt.open(str(p), encoding="utf-8-sig", error_handling=pysrt.ERROR_RAISE)
            return [Cue(s.start.ordinal, max(s.end.ordinal, s.start.ordinal), tuple(s.text.split("\n"))) for s in subs]
        return [
            Cue(c.start_time.in_milliseconds(), max(c.end_time.in_milliseconds(), c.start_time.in_milliseconds()),
                tuple(c.text.split("\n")))
            for c in webvtt.read(str(p)).captions
        ]
    except (UnicodeDecodeError, ValueError, OSError, pysrt.Error, MalformedCaptionError, MalformedFileError) as e:
        raise InputError(f"{p}: cannot read it as {fmt.upper()} ({type(e).__name__}: {e}); check it is UTF-8 {fmt.upper()}") from None


# --- writers --------------------------------------------------------------------------


def _check_cues(cues: Iterable[Cue]) -> list[Cue]:
    out = list(cues)
    for c in out:
        if not c.lines or any(not line.strip() or "\n" in line or "\r" in line for line in c.lines):
            raise ValueError(f"cue at {c.start} ms has an empty or multi-line line: {c.lines!r}")
    return out


def compose_srt(cues: Iterable[Cue]) -> str:
    """SubRip text through pysrt: numbered 1..n, ``HH:MM:SS,mmm``, ``\\n`` line ends.

    The result is written as UTF-8 without a BOM by :func:`write`.
    """
    import pysrt

    items = [
        pysrt.SubRipItem(
            index=i,
            start=pysrt.SubRipTime.from_ordinal(c.start),
            end=pysrt.SubRipTime.from_ordinal(c.end),
            text="\n".join(c.lines),
        )
        for i, c in enumerate(_check_cues(cues), 1)
    ]
    buf = _stdio.StringIO()
    pysrt.SubRipFile(items, eol="\n").write_into(buf, eol="\n")
    return buf.getvalue()


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _karaoke_line(line: str, words: Sequence[Word], k: int, cue: Cue, last_ts: int) -> tuple[str, int, int]:
    """A line with ``<hh:mm:ss.mmm><c>word</c>`` word timestamps.

    WebVTT wants each inner timestamp after the cue start, after the previous one and
    before the cue end; a word that would break that is shown without one.
    """
    toks = line.split(" ")
    out: list[str] = []
    t = 0
    while t < len(toks):
        if k < len(words):
            wt = words[k].text.split()
            if wt and toks[t : t + len(wt)] == wt:
                body = f"<c>{_vtt_escape(' '.join(wt))}</c>"
                ws = words[k].start
                if ws is not None and last_ts < ws < cue.end and ws > cue.start:
                    body = f"<{timecode.format_vtt(ws)}>{body}"
                    last_ts = ws
                out.append(body)
                t += len(wt)
                k += 1
                continue
        out.append(_vtt_escape(toks[t]))
        t += 1
    return " ".join(out), k, last_ts


def compose_vtt(cues: Iterable[Cue], karaoke: bool = False) -> str:
    """WebVTT text through webvtt-py: ``WEBVTT`` header, ``HH:MM:SS.mmm`` times.

    ``&``, ``<`` and ``>`` are escaped. With ``karaoke`` every spoken word is wrapped in
    ``<c>`` and preceded by its start time, as YouTube's word-timed captions are.
    """
    import webvtt

    captions = []
    for c in _check_cues(cues):
        if karaoke and c.words:
            lines = []
            k, last_ts = 0, c.start
            for line in c.lines:
                text, k, last_ts = _karaoke_line(line, c.words, k, c, last_ts)
                lines.append(text)
        else:
            lines = [_vtt_escape(line) for line in c.lines]
        captions.append(webvtt.Caption(timecode.format_vtt(c.start), timecode.format_vtt(c.end), lines))
    out: str = webvtt.WebVTT(captions=captions).content
    return out if out.endswith("\n") else out + "\n"


def compose(cues: Iterable[Cue], fmt: str, karaoke: bool = False) -> str:
    """SRT or VTT text by format name."""
    if fmt == "srt":
        return compose_srt(cues)
    if fmt == "vtt":
        return compose_vtt(cues, karaoke=karaoke)
    raise InputError(f"unknown subtitle format {fmt!r}; use srt or vtt")


def format_for(path: str | os.PathLike[str]) -> str:
    """``srt`` or ``vtt`` from a file name; an InputError (exit 2) for anything else."""
    ext = Path(path).suffix.lower()
    fmt = FORMATS.get(ext)
    if fmt is None:
        raise InputError(
            f"{path}: cannot write subtitles as {ext or 'a file without extension'!r}; name the output .srt or .vtt"
        )
    return fmt


def write(
    alignment: Alignment,
    path: str | os.PathLike[str],
    options: LayoutOptions | None = None,
    force: bool = False,
) -> LayoutStats:
    """Lay out and write subtitles, SRT or VTT by the extension, atomically.

    Raises InputError (exit 2) for an unknown extension, karaoke asked for SRT, or an
    existing file without ``force`` (checked before any work is done).
    """
    return write_layout(alignment, path, options, force)[1]


def write_layout(
    alignment: Alignment,
    path: str | os.PathLike[str],
    options: LayoutOptions | None = None,
    force: bool = False,
) -> tuple[list[Cue], LayoutStats]:
    """:func:`write`, returning the cues written as well (to :func:`check` them)."""
    o = options or LayoutOptions()
    fmt = format_for(path)
    if o.karaoke and fmt != "vtt":
        raise InputError(f"{path}: karaoke word timing needs a .vtt output (SRT has no inline times)")
    io.check_writable(path, force)
    cues, stats = layout_with_stats(alignment, o)
    io.write_text(path, compose(cues, fmt, karaoke=o.karaoke), force=force)
    return cues, stats

