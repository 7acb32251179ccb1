"""Quotes and topics -> spans on the alignment's timeline. Pure: no files, no ffmpeg.

Quotes are found with rapidfuzz over windows of words (not substring search), so a
quote typed from memory still lands: typos, dropped filler words ("um", "uh"), a word
swapped for another, or only part of a sentence. Windows run over the whole word
sequence, so a quote that spans several segments is found like any other.

Topics (and takeaways, see :mod:`clipper.query.resolve`) are located by passages: fixed-length
windows of segments scored with BM25 against the topic's words, so a passage that
uses the topic's rare words most wins over one that merely repeats common ones.

>>> from clipper.model import Alignment, Segment, Transcript, Word
>>> seg = Segment(0, "I just turned down OpenAI", tuple(
...     Word(t, 1000 * i, 1000 * i + 800) for i, t in enumerate("I just turned down OpenAI".split())),
...     start=0, end=4800)
>>> al = Alignment(Transcript((seg,)), engine="test")
>>> m = find(al, "turnd down open ai")[0]
>>> (m.start, m.end, m.text)
(2000, 4800, 'turned down OpenAI')
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from ..errors import InputError
from ..model import Alignment, Segment, Word
from ..text import FILLERS, norm

__all__ = [
    "FILLERS",
    "Match",
    "WordIndex",
    "find",
    "Passage",
    "PassageIndex",
    "locate_topic",
    "terms",
    "timed_words",
]


def timed_words(seg: Segment) -> tuple[Word, ...]:
    """The segment's words with times; unplaced words of a placed segment are spread
    over it by length (an engine may time segments but not every word)."""
    if seg.start is None or seg.end is None or all(w.placed for w in seg.words):
        return seg.words
    from ..align.uniform import spread_words

    spread = spread_words(seg.words, seg.start, seg.end)
    return tuple(w if w.placed else s for w, s in zip(seg.words, spread, strict=True))


@dataclass(frozen=True, slots=True)
class Match:
    """A quote found in the alignment.

    ``first``/``last`` are (segment index, word index) of the matched words, indices into
    ``alignment.segments``; ``start``/``end`` are the words' times (None when unplaced).
    """

    score: float
    start: int | None
    end: int | None
    first: tuple[int, int]
    last: tuple[int, int]
    text: str
    segment_ids: tuple[int, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "score": round(self.score, 1),
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "segments": list(self.segment_ids),
            "first_word": list(self.first),
            "last_word": list(self.last),
        }


class WordIndex:
    """The alignment's spoken words as one sequence of matching keys, fillers left out.

    Built once per alignment (an 8-hour transcript has ~60k words: well under a second).
    """

    def __init__(self, alignment: Alignment) -> None:
        self.alignment = alignment
        self.keys: list[str] = []
        self.refs: list[tuple[int, int]] = []
        self.words: list[Word] = []
        for si, seg in enumerate(alignment.segments):
            for wi, w in enumerate(timed_words(seg)):
                k = norm(w.text)
                if not k or k in FILLERS:
                    continue
                self.keys.append(k)
                self.refs.append((si, wi))
                self.words.append(w)

    def __len__(self) -> int:
        return len(self.keys)

    def window_text(self, i: int, j: int) -> str:
        return " ".join(self.keys[i:j])

    def match(self, i: int, j: int, score: float) -> Match:
        """The Match for keys ``[i, j)``; its text is the displayed words, fillers included."""
        (s0, w0), (s1, w1) = self.refs[i], self.refs[j - 1]
        segs = self.alignment.segments
        shown: list[str] = []
        for si in range(s0, s1 + 1):
            words = segs[si].words
            a = w0 if si == s0 else 0
            b = w1 + 1 if si == s1 else len(words)
            shown.extend(w.text for w in words[a:b])
        first, last = self.words[i], self.words[j - 1]
        return Match(
            score=score,
            start=first.start,
            end=last.end,
            first=(s0, w0),
            last=(s1, w1),
            text=" ".join(shown),
            segment_ids=tuple(segs[si].id for si in range(s0, s1 + 1)),
        )


def _query_keys(query: str) -> list[str]:
    return [k for k in (norm(t) for t in query.split()) if k and k not in FILLERS]


def find(
    alignment: Alignment | WordIndex,
    query: str,
    top: int = 5,
    candidates: int = 40,
) -> list[Match]:
    """Rank the places where ``query`` is said, best first, never two overlapping.

    Windows of as many words as the query are scored with ``fuzz.ratio`` on their
    normalised text; the best ``candidates`` are then refined by moving each edge a few
    words either way (the quote may drop or add words). Scores are 0-100.

    Raises:
        InputError: the query has no words, or the alignment has none.
    """
    index = alignment if isinstance(alignment, WordIndex) else WordIndex(alignment)
    q = _query_keys(query)
    if not q:
        raise InputError(f"quote {query!r} has no words to search for; give a phrase that was said")
    if not len(index):
        raise InputError("the alignment has no spoken words to search")
    qs = " ".join(q)
    n = min(len(q), len(index))
    windows = [index.window_text(i, i + n) for i in range(len(index) - n + 1)]
    hits = process.extract(qs, windows, scorer=fuzz.ratio, limit=max(candidates, top * 4))
    slack = max(2, n // 4)
    refined: dict[tuple[int, int], float] = {}
    for _, _, i in hits:
        best = (-1.0, i, i + n)
        for a in range(max(0, i - slack), min(len(index) - 1, i + slack) + 1):
            for b in range(max(a + 1, a + n - slack), min(len(index), a + n + slack) + 1):
                sc = fuzz.ratio(qs, index.window_text(a, b))
                # ties: the tighter window whose edge words equal the query's edge words
                # a quote's first and last words are what people remember best: an exact
                # edge outweighs a point or two of ratio (else a dropped word near the
                # start makes the window lose its first words)
                bonus = (index.keys[a] == q[0]) + (index.keys[b - 1] == q[-1])
                key = (sc + 1.5 * bonus - 0.001 * (b - a), a, b)
                if key > best:
                    best = key
        sc, a, b = best
        refined[(a, b)] = max(refined.get((a, b), 0.0), fuzz.ratio(qs, index.window_text(a, b)))
    ranked = sorted(refined.items(), key=lambda kv: (-kv[1], kv[0]))
    out: list[Match] = []
    taken: list[tuple[int, int]] = []
    for (a, b), sc in ranked:
        if any(a < tb and ta < b for ta, tb in taken):
            continue
        taken.append((a, b))
        out.append(index.match(a, b, float(sc)))
        if len(out) >= top:
            break
    return out


# ---------------------------------------------------------------------------------------
# passages: topics and takeaways

_STOP = frozenset(
    """a an the and or but if then so of to in on at by for with from as is are was were be been being
    it its this that these those there here i you he she we they me my your his her our their them us
    do does did done not no yes can could would should will shall may might must have has had having
    about into over under than too very just also more most much many some any each every all both
    what which who whom whose when where why how over out up down off again further once only own same
    such both few other s t don now right yeah okay ok really think like well mean know thing things
    actually kind sort lot get got go going one two""".split()
)
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)


def _stem(tok: str) -> str:
    """A crude, predictable stemmer: plural and common suffixes off, then 7 characters.

    >>> [_stem(t) for t in ("trajectories", "trajectory", "paths", "scaling", "scaled")]
    ['traject', 'traject', 'path', 'scal', 'scal']
    """
    t = tok
    if t.endswith("'s"):
        t = t[:-2]
    if len(t) > 4 and t.endswith("ies"):
        t = t[:-3] + "y"
    elif len(t) > 4 and t.endswith("sses"):
        t = t[:-2]
    elif len(t) > 3 and t.endswith("s") and not t.endswith("ss") and not t.endswith("us"):
        t = t[:-1]
    for suf in ("ing", "ed", "ly", "y", "e"):
        if len(t) - len(suf) >= 4 and t.endswith(suf):
            t = t[: -len(suf)]
            break
    return t[:7]


def terms(text: str) -> list[str]:
    """Content terms of a text: lower-cased, stop words and 1-letter tokens out, stemmed."""
    out = []
    for m in _TOKEN.finditer(text.casefold().replace("\u2019", "'")):
        tok = m.group(0)
        if tok.endswith("'s"):
            tok = tok[:-2]
        if len(tok) < 2 or tok in _STOP or tok in FILLERS:
            continue
        out.append(_stem(tok))
    return out


@dataclass(frozen=True, slots=True)
class Passage:
    """A stretch of segments scored against a topic or takeaway.

    ``first``/``last`` index ``alignment.segments``; ``hits`` are the query terms found.
    """

    score: float
    start: int
    end: int
    first: int
    last: int
    hits: tuple[str, ...]
    text: str

    def to_dict(self) -> dict[str, object]:
        return {
            "score": round(self.score, 2),
            "start": self.start,
            "end": self.end,
            "first_segment": self.first,
            "last_segment": self.last,
            "hits": list(self.hits),
            "text": self.text,
        }


class PassageIndex:
    """Overlapping windows of ~``length`` ms of placed, spoken segments, with BM25 stats.

    By default ``length`` is a tenth of the recording, kept within 8-45 s, and ``step``
    a quarter of it.

    A window starts at every segment whose start is at least ``step`` ms after the
    previous window's start, and runs until it covers ``length`` ms.
    """

    K1 = 1.2
    B = 0.75

    def __init__(self, alignment: Alignment, length: int | None = None, step: int | None = None) -> None:
        # a tenth of the recording, 8-45 s: a short recording still gets several passages
        if length is None:
            length = min(45_000, max(8_000, (alignment.duration or 0) // 10))
        if step is None:
            step = max(2_000, length // 4)
        self.alignment = alignment
        self.length = length
        placed = [i for i, s in enumerate(alignment.segments) if s.placed and s.spoken]
        self._seg_terms = {i: terms(alignment.segments[i].text) for i in placed}
        self.windows: list[tuple[int, int]] = []  # (first, last) segment indices
        self.counts: list[Counter[str]] = []
        segs = alignment.segments
        last_start: int | None = None
        for k, i in enumerate(placed):
            st = segs[i].start
            assert st is not None
            if last_start is not None and st - last_start < step:
                continue
            last_start = st
            j = k
            while j + 1 < len(placed) and (segs[placed[j + 1]].end or 0) - st <= length:
                j += 1
            c: Counter[str] = Counter()
            for m in placed[k : j + 1]:
                c.update(self._seg_terms[m])
            self.windows.append((i, placed[j]))
            self.counts.append(c)
        n = len(self.windows) or 1
        df: Counter[str] = Counter()
        for c in self.counts:
            df.update(c.keys())
        self.idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self.avg_len = (sum(sum(c.values()) for c in self.counts) / n) or 1.0

    def score(self, k: int, query: Sequence[str]) -> tuple[float, tuple[str, ...]]:
        """BM25 of window ``k`` for the distinct query terms, and the terms it contains."""
        c = self.counts[k]
        dl = sum(c.values())
        total = 0.0
        hits = []
        for t in dict.fromkeys(query):
            tf = c.get(t, 0)
            if not tf:
                continue
            hits.append(t)
            idf = self.idf.get(t, 0.0)
            total += idf * tf * (self.K1 + 1) / (tf + self.K1 * (1 - self.B + self.B * dl / self.avg_len))
        return total, tuple(hits)

    def passage(self, k: int, score: float, hits: tuple[str, ...]) -> Passage:
        first, last = self.windows[k]
        segs = self.alignment.segments
        start, end = segs[first].start, segs[last].end
        assert start is not None and end is not None
        text = " ".join(s.text for s in segs[first : last + 1] if s.spoken)
        return Passage(score, start, end, first, last, hits, text)

    def ranked(self, query: Sequence[str], within: Iterable[int] | None = None) -> list[tuple[float, int, tuple[str, ...]]]:
        ks = range(len(self.windows)) if within is None else within
        out = []
        for k in ks:
            sc, hits = self.score(k, query)
            out.append((sc, k, hits))
        out.sort(key=lambda x: (-x[0], x[1]))
        return out

    def windows_between(self, start: int, end: int) -> list[int]:
        """Windows whose start lies in ``[start, end]``."""
        segs = self.alignment.segments
        return [k for k, (f, _) in enumerate(self.windows) if start <= (segs[f].start or 0) <= end]


def locate_topic(alignment: Alignment | PassageIndex, title: str, top: int = 3) -> list[Passage]:
    """The passages that discuss ``title`` most, best first, never two overlapping.

    Raises:
        InputError: the title has no content words, or nothing is placed.
    """
    index = alignment if isinstance(alignment, PassageIndex) else PassageIndex(alignment)
    q = terms(title)
    if not q:
        raise InputError(f"topic {title!r} has no content words to look for")
    if not index.windows:
        raise InputError("the alignment has no placed segments; align it first")
    out: list[Passage] = []
    for sc, k, hits in index.ranked(q):
        if sc <= 0:
            break
        p = index.passage(k, sc, hits)
        if any(p.start < o.end and o.start < p.end for o in out):
            continue
        out.append(p)
        if len(out) >= top:
            break
    return out
