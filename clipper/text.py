"""Text helpers shared by readers, engines and search: spoken tokens and their keys.

>>> spoken_tokens("Hello [laughter] (a note) world, right?")
['Hello', 'world,', 'right?']
>>> norm("World,")
'world'
>>> norm("I'm")
"i'm"
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Transcript

__all__ = ["FILLERS", "NOTE_RE", "spoken_tokens", "norm", "norm_tokens", "spoken_length", "has_letters", "shared_word_ratio"]

#: hesitation and backchannel words: a speaker drops them and a quoter leaves them out (search
#: ignores them on both sides); they fit the speech model badly wherever they are, so the
#: speech engine does not doubt a line's end for one
FILLERS = frozenset({"um", "uh", "uhm", "umm", "erm", "er", "ah", "eh", "mm", "mmm", "hmm", "mhm", "mm-hmm", "oh"})
#: editorial notes, displayed but not spoken: [laughter], (translator's note), ♪ music ♪
NOTE_RE = re.compile(r"\[[^\]]*\]|\([^)]*\)|♪[^♪]*♪")
_WORDCHAR = re.compile(r"[\w]", re.UNICODE)
_EDGE_PUNCT = re.compile(r"^[^\w]+|[^\w]+$", re.UNICODE)
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "`": "'"})


def has_letters(token: str) -> bool:
    return bool(_WORDCHAR.search(token))


def spoken_tokens(display: str) -> list[str]:
    """Tokens of ``display`` that were spoken: notes removed, punctuation-only tokens dropped.

    Tokens keep their attached punctuation so they can be shown as written.
    """
    text = NOTE_RE.sub(" ", display)
    return [t for t in text.split() if has_letters(t)]


@functools.lru_cache(maxsize=1 << 17)
def norm(token: str) -> str:
    """Matching key of a token: case-folded, NFKC, curly quotes straightened, edge punctuation off."""
    t = unicodedata.normalize("NFKC", token).translate(_QUOTES).casefold()
    return _EDGE_PUNCT.sub("", t)


def norm_tokens(text: str) -> list[str]:
    return [k for k in (norm(t) for t in text.split()) if k]


def spoken_length(tokens: list[str] | tuple[str, ...]) -> int:
    """A proxy of how long tokens take to say: letters and digits, plus one per word gap.

    Character counts track speaking time far better than word counts across languages
    and speakers; engines may refine it.
    """
    n = 0
    for t in tokens:
        n += sum(1 for ch in t if ch.isalnum()) + 1
    return n


def shared_word_ratio(transcript: Transcript, reference: Transcript, sample: int = 4000) -> float:
    """Share of the transcript's word types (up to ``sample``) that occur in the reference.

    Same-language captions share most words (> 0.5 even for noisy ASR); a translation
    shares almost none (names at most).

    >>> from clipper.model import Segment, Transcript, Word
    >>> t = Transcript((Segment(0, "hello world", (Word("hello"), Word("world"))),))
    >>> r = Transcript((Segment(0, "你好 世界", (Word("你好"), Word("世界"))),))
    >>> shared_word_ratio(t, r), shared_word_ratio(t, t)
    (0.0, 1.0)
    """
    ref_types: set[str] = set()
    for s in reference.segments:
        ref_types.update(norm_tokens(s.spoken_text if s.words else s.text))
    types: list[str] = []
    seen: set[str] = set()
    for s in transcript.segments:
        for k in norm_tokens(s.spoken_text):
            if k not in seen:
                seen.add(k)
                types.append(k)
                if len(types) >= sample:
                    break
        if len(types) >= sample:
            break
    if not types:
        return 0.0
    return sum(1 for k in types if k in ref_types) / len(types)
