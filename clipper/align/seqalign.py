"""Monotonic word-sequence alignment shared by the engines.

Two token sequences (a transcript's spoken words and a reference's words, or a
transcript and a recogniser's hypothesis) are aligned in two passes:

1. exact: every token becomes a canonical key (:func:`canon`: case, punctuation,
   apostrophes and hyphens off, numbers spelled out); keys become integer ids and
   rapidfuzz's bit-parallel ``Levenshtein.opcodes`` aligns the id sequences
   (62k x 61k words in well under 0.1 s with a score hint; difflib needs ~12 s);
2. near-equal: inside each mismatched stretch a small dynamic program pairs tokens
   that differ by a typo (rapidfuzz ratio), that were split or joined ("mm-hmm" /
   "mm hmm", "everyday" / "every day"), and, in short stretches, plain substitutions
   (an ASR error is still said at the time of the word it replaces).

>>> canon("Don't")
('dont',)
>>> canon("2013")
('twenty', 'thirteen')
>>> canon("state-of-the-art")
('state', 'of', 'the', 'art')
>>> r = align_words(["In", "2013,", "we", "bought", "everything"], ["in", "twenty", "thirteen", "we", "bougt", "every", "thing"])
>>> [(k, lo, hi) for k, lo, hi in zip(r.kind, r.lo, r.hi)]
[(1, 0, 0), (1, 1, 2), (1, 3, 3), (2, 4, 4), (2, 5, 6)]
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein
from rapidfuzz.fuzz import ratio

from ..read.numbers import ONES, number_words
from ..text import norm

__all__ = [
    "NONE",
    "EXACT",
    "FUZZY",
    "SUBST",
    "WordAlignment",
    "canon",
    "number_words",
    "align_keys",
    "align_words",
]

#: kinds of pairing of an ``a`` word
NONE, EXACT, FUZZY, SUBST = 0, 1, 2, 3

_NUMBER = re.compile(r"^([$€£]?)(\d[\d,]*)(?:\.(\d+))?(%|st|nd|rd|th|s|k|m)?$")
_SPLIT = re.compile(r"[-/\u2013\u2014_]+|(?<!\d)\.|\.(?!\d)")
_DROP = re.compile(r"['\u2019]")
_CURRENCY = {"$": "dollars", "€": "euros", "£": "pounds"}
_MONEY = re.compile(r"[$€£]\d|\d%")
_MONEY_EDGE = re.compile(r"^[^\w$€£]+|[^\w%]+$")


def _number_key(token: str) -> tuple[str, ...] | None:
    m = _NUMBER.match(token)
    if m is None:
        return None
    cur, digits, frac, suffix = m.groups()
    digits = digits.replace(",", "")
    if not digits or len(digits) > 13:
        return None
    n = int(digits)
    plain = frac is None and not cur and "," not in m.group(2)
    if suffix == "s" and plain and n >= 10 and n % 10 == 0:  # the 1990s, the 80s
        words = number_words(n, year=len(digits) == 4)
        last = words[-1]
        words[-1] = (last[:-1] + "ies") if last.endswith("y") else last + "s"
        return tuple(words)
    words = number_words(n, year=plain and len(digits) == 4 and suffix is None, ordinal=suffix in ("st", "nd", "rd", "th"))
    if frac is not None:
        words += ["point", *(ONES[int(d)] for d in frac)]
    if suffix == "%":
        words.append("percent")
    elif suffix == "k":
        words.append("thousand")
    elif suffix == "m":
        words.append("million")
    if cur:
        words.append(_CURRENCY[cur])
    return tuple(words)


_CANON_CACHE: dict[str, tuple[str, ...]] = {}


def canon(token: str) -> tuple[str, ...]:
    """Canonical matching keys of one written token (usually one key; numbers and
    hyphenated compounds give several, punctuation alone gives none)."""
    hit = _CANON_CACHE.get(token)
    if hit is not None:
        return hit
    key = norm(token)
    if key != token.casefold() and _MONEY.search(token):
        # norm drops edge punctuation; keep the % and currency signs numbers carry
        key = _MONEY_EDGE.sub("", unicodedata.normalize("NFKC", token).casefold())
    out: list[str] = []
    for part in _SPLIT.split(key) if key else ():
        part = _DROP.sub("", part)
        if not part:
            continue
        num = _number_key(part) if part[0].isdigit() or part[0] in _CURRENCY else None
        if num is not None:
            out.extend(num)
        else:
            out.append(part)
    res = tuple(out)
    if len(_CANON_CACHE) < 200_000:
        _CANON_CACHE[token] = res
    return res


@dataclass(frozen=True, slots=True)
class WordAlignment:
    """Result of aligning words ``a`` to words ``b``.

    For each ``a`` word: ``kind`` (NONE, EXACT, FUZZY, SUBST), ``lo``/``hi`` the first and
    last ``b`` word it pairs with (-1 when NONE), ``score`` the similarity 0..1.
    """

    kind: list[int]
    lo: list[int]
    hi: list[int]
    score: list[float]

    @property
    def matched(self) -> int:
        """Words paired with an equal or near-equal word (not mere substitutions)."""
        return sum(1 for k in self.kind if k == EXACT or k == FUZZY)


#: fuzzy pairs need this rapidfuzz ratio (0-100) and at least this many characters
FUZZY_RATIO = 72.0
FUZZY_MIN_LEN = 3
#: a stretch is paired by the dynamic program only up to this many cells
DP_MAX_CELLS = 4000
#: substitutions are paired only in stretches at most this long on both sides
SUBST_MAX = 6


def _sim(x: str, y: str) -> float:
    """0..1 similarity of two keys; above FUZZY_RATIO/100 they count as the same word."""
    if x == y:
        return 1.0
    if len(x) < FUZZY_MIN_LEN or len(y) < FUZZY_MIN_LEN:
        # short words: only an apostrophe/plural-like difference is "the same"
        return 0.75 if (x + "s" == y or y + "s" == x) and min(len(x), len(y)) >= 2 else 0.0
    return ratio(x, y) / 100.0


def _pair_stretch(
    a: Sequence[str], b: Sequence[str], i1: int, i2: int, j1: int, j2: int, subst: bool,
    kind: list[int], lo: list[int], hi: list[int], score: list[float],
) -> None:
    """Dynamic program over one mismatched stretch a[i1:i2] x b[j1:j2].

    Moves: skip an a key, skip a b key, pair 1:1 (near-equal, or a substitution when
    ``subst``), join 2 a keys to 1 b key, split 1 a key into 2 b keys. Scores favour
    near-equal pairs strongly; substitutions score a little so that equal-sized stretches
    pair up in order (an ASR error keeps the time of the word it replaced).
    """
    n, m = i2 - i1, j2 - j1
    thr = FUZZY_RATIO / 100.0
    NEG = -1.0
    # best[i][j] over prefixes a[i1:i1+i], b[j1:j1+j]; back: move code
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    back = [[0] * (m + 1) for _ in range(n + 1)]
    sims: dict[tuple[int, int], float] = {}
    for i in range(n + 1):
        row, brow = best[i], back[i]
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            v, mv = NEG, 0
            if i > 0:
                v, mv = best[i - 1][j], 1  # skip a
            if j > 0 and row[j - 1] > v:
                v, mv = row[j - 1], 2  # skip b
            if i > 0 and j > 0:
                s = _sim(a[i1 + i - 1], b[j1 + j - 1])
                sims[(i - 1, j - 1)] = s
                if s >= thr:
                    gain = 1.0 + s
                elif subst:
                    gain = 0.05 + 0.3 * s
                else:
                    gain = NEG
                if gain > 0 and best[i - 1][j - 1] + gain > v:
                    v, mv = best[i - 1][j - 1] + gain, 3
                if i > 1:  # two a keys said as one b key ("every day" / "everyday")
                    x = a[i1 + i - 2] + a[i1 + i - 1]
                    if len(x) >= 4:
                        s2 = _sim(x, b[j1 + j - 1])
                        if s2 >= 0.85 and best[i - 2][j - 1] + 1.0 + s2 > v:
                            v, mv = best[i - 2][j - 1] + 1.0 + s2, 4
                            sims[(-i, -j)] = s2
                if j > 1:  # one a key said as two b keys
                    y = b[j1 + j - 2] + b[j1 + j - 1]
                    if len(y) >= 4:
                        s2 = _sim(a[i1 + i - 1], y)
                        if s2 >= 0.85 and best[i - 1][j - 2] + 1.0 + s2 > v:
                            v, mv = best[i - 1][j - 2] + 1.0 + s2, 5
                            sims[(-i, -j)] = s2
            row[j], brow[j] = v, mv
    i, j = n, m
    while i > 0 or j > 0:
        mv = back[i][j]
        if mv == 1:
            i -= 1
        elif mv == 2:
            j -= 1
        elif mv == 3:
            s = sims[(i - 1, j - 1)]
            k = i1 + i - 1
            kind[k] = FUZZY if s >= thr else SUBST
            if s >= 1.0:
                kind[k] = EXACT
            lo[k] = hi[k] = j1 + j - 1
            score[k] = s
            i -= 1
            j -= 1
        elif mv == 4:
            s = sims[(-i, -j)]
            for k in (i1 + i - 2, i1 + i - 1):
                kind[k], lo[k], hi[k], score[k] = FUZZY, j1 + j - 1, j1 + j - 1, s
            i -= 2
            j -= 1
        elif mv == 5:
            s = sims[(-i, -j)]
            k = i1 + i - 1
            kind[k], lo[k], hi[k], score[k] = FUZZY, j1 + j - 2, j1 + j - 1, s
            i -= 1
            j -= 2
        else:  # pragma: no cover - every cell but (0, 0) has a move
            raise AssertionError((i, j))


def opcodes(a: Sequence[str], b: Sequence[str], matcher: str = "rapidfuzz") -> list[tuple[str, int, int, int, int]]:
    """Levenshtein opcodes ``(tag, i1, i2, j1, j2)`` turning key sequence ``a`` into ``b``
    (rapidfuzz over one code point per distinct key, long sequences cut at sure anchors).
    The word aligner's exact pairs and ``clipper eval``'s segment matching both come from here.

    >>> [op for op in opcodes(["a", "b", "c"], ["a", "x", "c"])]
    [('equal', 0, 1, 0, 1), ('replace', 1, 2, 1, 2), ('equal', 2, 3, 2, 3)]
    """
    if matcher == "difflib":  # the baseline: same keys, Python's SequenceMatcher
        import difflib

        sm = difflib.SequenceMatcher(None, list(a), list(b), autojunk=False)
        return [tuple(op) for op in sm.get_opcodes()]  # type: ignore[misc]
    if matcher != "rapidfuzz":
        raise ValueError(f"unknown matcher {matcher!r}; use rapidfuzz or difflib")
    # a str of code points (one per distinct key) is the cheapest sequence to hand to rapidfuzz
    vocab = set(a)
    vocab.update(b)
    if len(vocab) + 32 >= 0x110000:  # pragma: no cover - a million distinct words
        raise ValueError("too many distinct words to align")
    code = {k: chr(i + 32) for i, k in enumerate(sorted(vocab))}
    sa = "".join([code[k] for k in a])
    sb = "".join([code[k] for k in b])
    out: list[tuple[str, int, int, int, int]] = []
    i0 = j0 = 0
    for i1, j1 in [*_anchors(sa, sb), (len(sa), len(sb))]:
        # the hint picks a banded implementation; a wrong hint only costs time
        ca, cb = sa[i0:i1], sb[j0:j1]
        hint = abs(len(ca) - len(cb)) + max(len(ca), len(cb)) // 6 + 1
        for op in Levenshtein.opcodes(ca, cb, score_hint=hint):
            out.append((op.tag, op.src_start + i0, op.src_end + i0, op.dest_start + j0, op.dest_end + j0))
        i0, j0 = i1, j1
    return out


#: split long alignments at sure anchors about this many keys apart
CHUNK = 2000
#: an anchor is a key found once in each sequence whose neighbours agree this far either side
ANCHOR_CONTEXT = 3


def _anchors(sa: str, sb: str) -> list[tuple[int, int]]:
    """Cut points (i, j) where ``sa[i] == sb[j]`` surely pair, about CHUNK keys apart.

    Keys that occur exactly once in each sequence and whose ANCHOR_CONTEXT neighbours on
    both sides are equal too are candidates; the longest chain increasing in both
    sequences is kept. Aligning the pieces between them separately gives the same
    pairs (a Levenshtein alignment keeps such a unique, context-confirmed pair) with a
    far narrower band: the whole seed aligns several times faster.
    """
    n, m = len(sa), len(sb)
    if n < 2 * CHUNK or m < 2 * CHUNK:
        return []
    from collections import Counter

    ca, cb = Counter(sa), Counter(sb)
    pos_b = {ch: j for j, ch in enumerate(sb) if cb[ch] == 1}
    c = ANCHOR_CONTEXT
    cand: list[tuple[int, int]] = []
    for i, ch in enumerate(sa):
        if ca[ch] == 1:
            j = pos_b.get(ch)
            if j is not None and c <= i < n - c and c <= j < m - c and sa[i - c : i + c + 1] == sb[j - c : j + c + 1]:
                cand.append((i, j))
    # longest chain increasing in j (patience sorting), then thin it out to ~CHUNK apart
    import bisect

    tails: list[int] = []
    tail_idx: list[int] = []
    prev = [-1] * len(cand)
    for k, (_, j) in enumerate(cand):
        p = bisect.bisect_left(tails, j)
        if p == len(tails):
            tails.append(j)
            tail_idx.append(k)
        else:
            tails[p] = j
            tail_idx[p] = k
        prev[k] = tail_idx[p - 1] if p > 0 else -1
    chain: list[tuple[int, int]] = []
    k = tail_idx[-1] if tail_idx else -1
    while k >= 0:
        chain.append(cand[k])
        k = prev[k]
    chain.reverse()
    cuts: list[tuple[int, int]] = []
    last = 0
    for i, j in chain:
        if i - last >= CHUNK and n - i >= CHUNK // 2:
            cuts.append((i, j))
            last = i
    return cuts


def align_keys(
    a: Sequence[str], b: Sequence[str], *, fuzzy: bool = True, substitutions: bool = True, matcher: str = "rapidfuzz"
) -> WordAlignment:
    """Align two sequences of canonical keys (see :func:`canon`).

    Exact pairs come from rapidfuzz's Levenshtein opcodes over integer ids (``matcher``
    "difflib" uses difflib's SequenceMatcher instead: the slow baseline); then each
    mismatched stretch (consecutive non-equal opcodes) is paired by :func:`_pair_stretch`
    when ``fuzzy`` and small enough.
    """
    n = len(a)
    kind = [NONE] * n
    lo = [-1] * n
    hi = [-1] * n
    score = [0.0] * n
    if n == 0 or not b:
        return WordAlignment(kind, lo, hi, score)
    stretch: list[int] | None = None  # [i1, i2, j1, j2]
    stretches: list[list[int]] = []
    for tag, i1, i2, j1, j2 in opcodes(a, b, matcher):
        if tag == "equal":
            if stretch is not None:
                stretches.append(stretch)
                stretch = None
            m = i2 - i1
            kind[i1:i2] = [EXACT] * m
            lo[i1:i2] = hi[i1:i2] = range(j1, j2)
            score[i1:i2] = [1.0] * m
        elif stretch is None:
            stretch = [i1, i2, j1, j2]
        else:
            stretch[1], stretch[3] = i2, j2
    if stretch is not None:
        stretches.append(stretch)
    if fuzzy:
        for i1, i2, j1, j2 in stretches:
            if i1 == i2 or j1 == j2:
                continue
            if (i2 - i1) * (j2 - j1) <= DP_MAX_CELLS:
                sub = substitutions and (i2 - i1) <= SUBST_MAX and (j2 - j1) <= SUBST_MAX
                _pair_stretch(a, b, i1, i2, j1, j2, sub, kind, lo, hi, score)
    return WordAlignment(kind, lo, hi, score)


def align_words(
    a: Sequence[str], b: Sequence[str], *, fuzzy: bool = True, substitutions: bool = True, matcher: str = "rapidfuzz"
) -> WordAlignment:
    """Align written words ``a`` to written words ``b`` (each may expand to several keys).

    A word of ``a`` takes the best kind among its keys and the span of ``b`` words its
    keys pair with.
    """
    ka, oa = _expand(a)
    kb, ob = _expand(b)
    r = align_keys(ka, kb, fuzzy=fuzzy, substitutions=substitutions, matcher=matcher)
    return _fold(r, oa, ob, len(a))


def _expand(words: Sequence[str]) -> tuple[list[str], list[int] | None]:
    """Keys of ``words`` and the word each key came from (None: one key a word)."""
    cmap = {w: canon(w) for w in set(words)}
    if all(len(k) == 1 for k in cmap.values()):
        return [cmap[w][0] for w in words], None
    keys: list[str] = []
    owner: list[int] = []
    for i, w in enumerate(words):
        for k in cmap[w]:
            keys.append(k)
            owner.append(i)
    return keys, owner


_RANK = {EXACT: 3, FUZZY: 2, SUBST: 1, NONE: 0}


def _fold(r: WordAlignment, oa: Sequence[int] | None, ob: Sequence[int] | None, n: int) -> WordAlignment:
    """Map a key-level alignment back to words: a word takes the weakest kind among its
    paired keys (EXACT drops to FUZZY when some of its keys paired with nothing) and the
    span of ``b`` words they pair with. ``oa``/``ob`` None: one key a word."""
    if ob is not None:
        r = WordAlignment(
            r.kind,
            [ob[x] if x >= 0 else -1 for x in r.lo],
            [ob[x] if x >= 0 else -1 for x in r.hi],
            r.score,
        )
    if oa is None:
        return r
    kind = [NONE] * n
    lo = [-1] * n
    hi = [-1] * n
    score = [0.0] * n
    partial = [False] * n
    rk, rl, rh, rs = r.kind, r.lo, r.hi, r.score
    for x, w in enumerate(oa):
        kx = rk[x]
        if kx == NONE:
            partial[w] = True
            continue
        if lo[w] < 0:
            lo[w], hi[w], score[w], kind[w] = rl[x], rh[x], rs[x], kx
        else:
            lo[w], hi[w] = min(lo[w], rl[x]), max(hi[w], rh[x])
            score[w] = min(score[w], rs[x])
            if _RANK[kx] < _RANK[kind[w]]:
                kind[w] = kx
    for w in range(n):
        if partial[w] and kind[w] == EXACT:
            kind[w] = FUZZY
    return WordAlignment(kind, lo, hi, score)
