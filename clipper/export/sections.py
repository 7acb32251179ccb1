"""Sections of a transcript found by topic shifts, for chapters and markers when the
transcript names no takeaways or topics.

A TextTiling-like pass (Hearst 1997, "TextTiling: Segmenting Text into Multi-paragraph
Subtopic Passages"), on the placed segments:

1. each segment's content words (stop words and fillers out, crudely stemmed, as
   :func:`clipper.query.search.terms`);
2. at every segment start, the cosine similarity of the words said in a window before it
   and in a window after it (windows in time: ``window`` ms, default a twentieth of the
   media, 20 s to 2 min), smoothed over neighbouring gaps;
3. each gap's depth: how far its similarity lies below the nearest peaks on both sides;
4. boundaries at the deepest gaps, deepest first, at least ``min_len`` apart (and from the
   media's start and end); a gap shallower than the mean depth minus half its standard
   deviation is not a boundary unless ``at_least`` sections are needed;
5. each section's title: its most distinctive words and word pairs (said at least twice
   in it, weighted by how rare they are in the rest of the transcript), else its first
   sentence, trimmed.

Deterministic, pure, no model: the same transcript gives the same sections.

>>> from clipper.model import Segment, Word
>>> segs = [Segment(i, t, tuple(map(Word, t.split())), i * 10_000, i * 10_000 + 9_000) for i, t in enumerate(
...     ["Snow fell on New York.", "New York snow is cold.", "Cold snow in New York.",
...      "Neural networks learn.", "Networks learn vision.", "Vision networks learn well."])]
>>> [(s.start, s.title) for s in find_sections(segs, 60_000, min_len=10_000, most=2)]
[(0, 'New York, snow, cold'), (30000, 'Networks learn, vision')]
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Segment
from ..query.search import _STOP, _TOKEN, FILLERS, _stem

__all__ = ["Section", "find_sections", "section_lengths"]

#: a title holds at most this many keywords, and this many characters
TITLE_WORDS = 3
TITLE_CHARS = 60
#: words of conversation too common to name a subject (beside clipper.query.search's stop words)
_COMMON = frozenset(
    """him himself herself itself myself yourself ourselves themselves because quite want wanted wants
    back look looked looking say said says saying tell told feel felt seem seemed seems see saw seen
    make made makes making take took taken come came comes give gave given let put keep kept
    even still maybe perhaps probably already always never often ever though although however
    something anything everything nothing someone anyone everyone somebody anybody everybody
    doing done start started starting enter entered way ways time times year years day days point part
    lot lots bit much many little
    able sure true whole else anyway rather pretty somewhat around
    today yesterday tomorrow later ago yet since while until between through during before after
    people person guy guys stuff area example fact course case question answer""".split()
)
#: a title word is said here at least this many times more often than on average
MIN_LIFT = 1.5


@dataclass(frozen=True, slots=True)
class Section:
    """A stretch of the transcript about one thing: ``[start, end)`` in ms, a title, the
    index of its first segment and the keywords the title was made from."""

    start: int
    end: int
    title: str
    first: int
    keywords: tuple[str, ...] = ()


def section_lengths(duration: int) -> tuple[int, int]:
    """``(min_len, most)``: sections at least a few minutes apart on long media (a sixth of
    it on short media, 10 s at least), and about one every five minutes at most (3 at least).

    >>> section_lengths(600_000), section_lengths(8 * 3_600_000), section_lengths(32_000)
    ((100000, 3), (180000, 96), (10000, 3))
    """
    return min(180_000, max(10_000, duration // 6)), max(3, duration // 300_000)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """(stem, surface form, position among all the words) of each content word."""
    out = []
    for pos, m in enumerate(_TOKEN.finditer(text.replace("\u2019", "'"))):
        tok = m.group(0)
        if tok.endswith("'s"):
            tok = tok[:-2]
        low = tok.casefold()
        # contractions ("I'm", "don't") are function words too
        if len(low) < 3 or "'" in low or low in _STOP or low in _COMMON or low in FILLERS or low.isdigit():
            continue
        out.append((_stem(low), tok, pos))
    return out


def _depths(sims: list[float]) -> list[float]:
    """TextTiling's depth score of each gap: the climb to the highest point on each side,
    going while the similarity keeps rising."""
    out = []
    for i, s in enumerate(sims):
        left = s
        for k in range(i - 1, -1, -1):
            if sims[k] < left:
                break
            left = sims[k]
        right = s
        for k in range(i + 1, len(sims)):
            if sims[k] < right:
                break
            right = sims[k]
        out.append((left - s) + (right - s))
    return out


class _Bag:
    """Word counts of one side of a gap, with its dot product with the other side and its
    squared norm kept up to date as segments enter and leave (integers: exact)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.norm2 = 0

    def add(self, bag: Counter[str], other: _Bag, sign: int) -> int:
        """Add (``sign`` 1) or remove (-1) ``bag``; returns the change of the dot product."""
        dot = 0
        for w, c in bag.items():
            c *= sign
            have = self.counts[w]
            self.norm2 += 2 * have * c + c * c
            self.counts[w] = have + c
            dot += c * other.counts.get(w, 0)
        return dot


def _similarities(bags: Sequence[Counter[str]], starts: Sequence[int], window: int) -> tuple[list[float], list[int]]:
    """Cosine similarity of the words within ``window`` ms before and after each segment
    start (gap k lies between segments k-1 and k), in one sliding pass."""
    left, right = _Bag(), _Bag()
    dot = 0
    lo = hi = 0  # left holds bags[lo:k], right bags[k:hi]
    sims: list[float] = []
    gaps: list[int] = []
    for k in range(1, len(bags)):
        t = starts[k]
        # bags[k-1] moves from the right side to the left
        if hi < k:
            dot += right.add(bags[hi], left, 1)
            hi += 1
        dot += right.add(bags[k - 1], left, -1)
        dot += left.add(bags[k - 1], right, 1)
        while starts[lo] < t - window:
            dot += left.add(bags[lo], right, -1)
            lo += 1
        while hi < len(bags) and starts[hi] < t + window:
            dot += right.add(bags[hi], left, 1)
            hi += 1
        norm = math.sqrt(left.norm2 * right.norm2)
        sims.append(dot / norm if norm else 0.0)
        gaps.append(k)
    return sims, gaps


def find_sections(
    segments: Sequence[Segment],
    duration: int,
    *,
    min_len: int | None = None,
    most: int | None = None,
    at_least: int = 1,
    window: int | None = None,
    grain: int = 1,
) -> list[Section]:
    """Sections covering ``[0, duration)``, the first starting at 0 (see the module docstring).

    Args:
        segments: the transcript's segments; unplaced and unspoken ones are skipped.
        duration: the media's duration (ms).
        min_len: shortest section (ms); default from :func:`section_lengths`.
        most: most sections; default from :func:`section_lengths`.
        at_least: fewest sections wanted: shallow gaps are taken too to reach it (never
            closer than ``min_len``), so fewer come back only when the text cannot hold them.
        window: ms of text compared on each side of a gap.
        grain: section lengths are checked on starts floored to this many ms (1000 for
            YouTube chapters, which are read in whole seconds).

    Returns:
        Sections in time order; empty when no segment is placed.
    """
    d_min, d_most = section_lengths(duration)
    min_len = d_min if min_len is None else min_len
    most = d_most if most is None else most
    window = window if window is not None else min(120_000, max(20_000, duration // 20))
    units = sorted(
        ((s.start, k, _tokens(s.text)) for k, s in enumerate(segments) if s.start is not None and s.spoken and s.start < duration),
        key=lambda u: (u[0], u[1]),
    )
    if not units:
        return []
    bags = [Counter(stem for stem, _, _ in toks) for _, _, toks in units]
    starts = [u[0] for u in units]
    sims, gaps = _similarities(bags, starts, window)
    if sims:
        smooth = [sum(sims[max(0, i - 1) : i + 2]) / len(sims[max(0, i - 1) : i + 2]) for i in range(len(sims))]
        depth = _depths(smooth)
        mean = sum(depth) / len(depth)
        sd = math.sqrt(sum((x - mean) ** 2 for x in depth) / len(depth))
        cutoff = mean - sd / 2
    else:
        depth, cutoff = [], 0.0
    # spacing is judged on times floored to ``grain`` (YouTube reads whole seconds)
    at = [starts[k] // grain * grain for k in gaps]
    end = duration // grain * grain
    chosen: list[int] = []  # gap indices that start a section
    for g in sorted(range(len(gaps)), key=lambda g: (-depth[g], gaps[g])):
        if len(chosen) + 1 >= most:
            break
        t = at[g]
        if t < min_len or end - t < min_len or any(abs(t - at[c]) < min_len for c in chosen):
            continue
        if depth[g] < cutoff and len(chosen) + 1 >= at_least:
            continue
        chosen.append(g)
    if len(chosen) + 1 < min(at_least, most):
        # deepest-first left too few (an early pick blocked two later ones): the deepest
        # set of exactly that many that fits, if any does
        chosen = _deepest_spaced(at, depth, min(at_least, most) - 1, min_len, end) or chosen
    firsts = [0, *sorted(gaps[g] for g in chosen)]
    total: Counter[str] = Counter()
    for b in bags:
        total.update(b)
    out = []
    for n, k in enumerate(firsts):
        end_k = firsts[n + 1] if n + 1 < len(firsts) else len(units)
        start = 0 if n == 0 else starts[k]
        end = starts[end_k] if end_k < len(units) else duration
        title, keys = _title([units[u][2] for u in range(k, end_k)], total, segments[units[k][1]].text)
        out.append(Section(start, end, title, units[k][1], keys))
    return out


def _deepest_spaced(at: Sequence[int], depth: Sequence[float], m: int, min_len: int, end: int) -> list[int] | None:
    """The ``m`` gaps (indices, times ``at`` ascending) of greatest total depth that lie
    ``min_len`` from the start, the end and each other; None when no such set exists."""
    from bisect import bisect_right

    n = len(at)
    ok = [min_len <= at[g] and end - at[g] >= min_len for g in range(n)]
    prev: list[list[int]] = []  # prev[j][g]: the gap before g in the best set of j+1 ending at g (-1: none)
    best: list[float | None] = [depth[g] if ok[g] else None for g in range(n)]
    for _ in range(m - 1):
        # running best of the previous round, by time
        run: list[tuple[float, int]] = []
        for g in range(n):
            b = best[g]
            top = run[-1] if run else (float("-inf"), -1)
            run.append((b, g) if b is not None and b > top[0] else top)
        nxt: list[float | None] = [None] * n
        back = [-1] * n
        for g in range(n):
            if not ok[g]:
                continue
            k = bisect_right(at, at[g] - min_len) - 1
            if k >= 0 and run[k][1] >= 0:
                nxt[g], back[g] = run[k][0] + depth[g], run[k][1]
        prev.append(back)
        best = nxt
    ends = [g for g in range(n) if best[g] is not None]
    if not ends:
        return None
    g = max(ends, key=lambda x: (best[x], -x))
    out = [g]
    for back in reversed(prev):
        g = back[g]
        out.append(g)
    return sorted(out)


def _title(parts: Sequence[list[tuple[str, str, int]]], total: Counter[str], first_text: str) -> tuple[str, tuple[str, ...]]:
    """The section's most distinctive words and word pairs, else its first sentence.

    A word's weight is its count here times the log of its lift: the share of all its uses
    that fall here over the share of all the words said here. Words said evenly throughout
    ("time", "people") have a lift near 1 and drop out; names and subjects stay."""
    tf: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    pairs: Counter[tuple[str, str]] = Counter()
    for toks in parts:
        for i, (stem, said, pos) in enumerate(toks):
            tf[stem] += 1
            forms.setdefault(stem, Counter())[said] += 1
            if i + 1 < len(toks) and toks[i + 1][2] == pos + 1:  # said one after the other
                pairs[(stem, toks[i + 1][0])] += 1
    here, everywhere = sum(tf.values()), sum(total.values())

    def lift(stem: str) -> float:
        return (tf[stem] / total[stem]) / (here / everywhere) if here else 0.0

    def form(stem: str) -> str:
        # the form said most; on a tie the lower-case one (a capital there may just start
        # a sentence; a name such as "LeCun" has no lower-case form)
        return max(forms[stem].items(), key=lambda kv: (kv[1], kv[0] == kv[0].lower(), kv[0]))[0]

    cands: list[tuple[float, str, tuple[str, ...]]] = []
    for stem, c in tf.items():
        if c >= 2 and lift(stem) > MIN_LIFT:
            cands.append((c * math.log(lift(stem)), form(stem), (stem,)))
    for (a, b), c in pairs.items():
        if c >= 2 and a != b and min(lift(a), lift(b)) > MIN_LIFT:
            # a pair said twice is a name or a subject ("New York", "world models"): it
            # beats its words said as often, not a word said more often
            cands.append((c * 1.5 * (math.log(lift(a)) + math.log(lift(b))) / 2, f"{form(a)} {form(b)}", (a, b)))
    cands.sort(key=lambda x: (-x[0], x[1]))
    used: set[str] = set()
    picked: list[str] = []
    for _, text, stems in cands:
        if any(s in used for s in stems):
            continue
        picked.append(text)
        used.update(stems)
        if len(picked) == TITLE_WORDS or len(", ".join(picked)) > TITLE_CHARS:
            break
    title = ", ".join(picked)
    if len(title) > TITLE_CHARS:
        title = ", ".join(picked[:-1])
    if not title:
        sentence = re.split(r"(?<=[.!?])\s", " ".join(first_text.split()), maxsplit=1)[0]
        title = sentence if len(sentence) <= TITLE_CHARS else sentence[: TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(" ,;:.-") + "…"
    return (title[:1].upper() + title[1:]) if title else "", tuple(picked)
