"""Pronunciations for the speech engine: pocketsphinx's bundled CMU dictionary, numbers and
symbols spoken as words, and a letter-to-sound fallback for words the dictionary lacks.

Nothing is downloaded: the dictionary is the one inside the pocketsphinx wheel, and the
fallback is built from clipper's own rules plus pieces of that dictionary.

>>> lex = Lexicon()
>>> lex.spoken("25%")
['twenty', 'five', 'percent']
>>> [t for t, _ in lex.pronounce("Hello,")]
['hello']
>>> lex.pronounce("Zhiyuanbot")[0][1] != ""
True
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata

from ..read.numbers import ONES, number_words

__all__ = ["Lexicon", "dictionary_path", "number_words", "letter_to_sound"]

_SYMBOLS = {
    "%": "percent", "&": "and", "+": "plus", "@": "at", "=": "equals", "#": "number",
    "$": "dollars", "€": "euros", "£": "pounds", "°": "degrees", "×": "times", "/": "slash",
}
_LETTER_NAMES = {
    "a": "EY", "b": "B IY", "c": "S IY", "d": "D IY", "e": "IY", "f": "EH F", "g": "JH IY",
    "h": "EY CH", "i": "AY", "j": "JH EY", "k": "K EY", "l": "EH L", "m": "EH M", "n": "EH N",
    "o": "OW", "p": "P IY", "q": "K Y UW", "r": "AA R", "s": "EH S", "t": "T IY", "u": "Y UW",
    "v": "V IY", "w": "D AH B AH L Y UW", "x": "EH K S", "y": "W AY", "z": "Z IY",
}


def dictionary_path() -> str:
    """The CMU dictionary that ships inside pocketsphinx."""
    import pocketsphinx

    return os.path.join(pocketsphinx.get_model_path(), "en-us", "cmudict-en-us.dict")


# Letter-to-sound rules: (grapheme, phones) tried longest first at each position; a small
# context tweak handles the commonest vowel and consonant alternations. It is crude, but a
# forced aligner only needs a plausible phone count and manner to give the word its span.
_GRAPHEMES: dict[str, str] = {
    "tch": "CH", "sch": "SH K", "igh": "AY", "eau": "OW", "tion": "SH AH N", "sion": "ZH AH N",
    "ough": "AO", "augh": "AO", "ture": "CH ER", "ci": "S IY", "que": "K",
    "ch": "CH", "sh": "SH", "th": "TH", "ph": "F", "wh": "W", "ck": "K", "ng": "NG", "gh": "G",
    "qu": "K W", "kn": "N", "wr": "R", "zh": "JH", "xi": "SH IY", "ee": "IY", "ea": "IY",
    "oo": "UW", "ou": "AW", "ow": "OW", "oi": "OY", "oy": "OY", "ai": "AY", "ay": "EY",
    "au": "AO", "aw": "AO", "ei": "EY", "ey": "EY", "ie": "IY", "ue": "UW", "ui": "UW",
    "ia": "IY AH", "io": "IY OW", "ua": "UW AA", "uo": "UW OW", "ao": "AW", "ar": "AA R",
    "er": "ER", "ir": "ER", "ur": "ER", "or": "AO R", "ll": "L", "ss": "S", "tt": "T",
    "pp": "P", "bb": "B", "dd": "D", "ff": "F", "gg": "G", "mm": "M", "nn": "N", "rr": "R",
    "zz": "Z", "cc": "K",
    "a": "AE", "b": "B", "c": "K", "d": "D", "e": "EH", "f": "F", "g": "G", "h": "HH",
    "i": "IH", "j": "JH", "k": "K", "l": "L", "m": "M", "n": "N", "o": "AA", "p": "P",
    "q": "K", "r": "R", "s": "S", "t": "T", "u": "AH", "v": "V", "w": "W", "x": "K S",
    "y": "Y", "z": "Z",
}
_MAXG = max(len(g) for g in _GRAPHEMES)
_VOWELS = set("aeiouy")


def letter_to_sound(word: str) -> str:
    """A rough ARPAbet pronunciation of a lowercase word by spelling rules.

    >>> letter_to_sound("xiaojun")
    'SH IY AW JH AH N'
    >>> letter_to_sound("blorft")
    'B L AO R F T'
    """
    w = "".join(ch for ch in word.lower() if "a" <= ch <= "z")
    phones: list[str] = []
    i = 0
    while i < len(w):
        for n in range(min(_MAXG, len(w) - i), 0, -1):
            g = w[i : i + n]
            if g in _GRAPHEMES:
                p = _GRAPHEMES[g]
                nxt = w[i + n : i + n + 1]
                if g == "c" and nxt in ("e", "i", "y"):
                    p = "S"
                elif g == "g" and nxt in ("e", "i", "y") and i > 0:
                    p = "JH"
                elif g == "y":
                    p = "Y" if nxt in _VOWELS else ("IY" if i > 0 else "Y")
                elif g == "e" and i + n == len(w) and i > 1:
                    p = ""  # silent final e
                elif g == "s" and i > 0 and i + n == len(w) and w[i - 1] in _VOWELS:
                    p = "Z"
                phones += p.split()
                i += n
                break
    return " ".join(phones) if phones else "AH"


_SPLIT = re.compile(r"(\d+(?:[.,]\d+)*(?:st|nd|rd|th|s)?|[%&+@=#$€£°×/]|[^\W\d_]+(?:['’][^\W\d_]+)*)", re.UNICODE)
_ORD_SUFFIX = re.compile(r"^(\d+)(st|nd|rd|th)$")


def _ascii(text: str) -> str:
    t = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in t if not unicodedata.combining(ch)).replace("’", "'").replace("‘", "'")


class Lexicon:
    """Maps display tokens to dictionary tokens and pronunciations.

    ``pronounce(token)`` returns ``[(dict_word, phones), ...]``: one pair per spoken word
    ("25" gives two). ``phones`` is "" for a word the bundled dictionary has (the decoder
    knows it already) and an ARPAbet string for a made-up entry that the decoder must be
    given with ``add_word`` (see :attr:`extra`).
    """

    def __init__(self, path: str | None = None) -> None:
        self.path = path or dictionary_path()
        self.words = _load_dict(self.path)
        #: made-up pronunciations: dict word -> phones (to add_word into each decoder)
        self.extra: dict[str, str] = {}
        #: further readings of made-up words (added as ``word(2)``, ``word(3)`` ...)
        self.alternates: dict[str, list[str]] = {}

    def __contains__(self, word: str) -> bool:
        return word in self.words or word in self.extra

    def spoken(self, token: str) -> list[str]:
        """The words a display token is read as: numbers and symbols expanded, case folded."""
        t = _ascii(token).lower()
        out: list[str] = []
        pieces = _SPLIT.findall(t)
        for k, p in enumerate(pieces):
            if p[0].isdigit():
                out += self._number(p, pieces[k + 1] if k + 1 < len(pieces) else "")
            elif p in _SYMBOLS:
                if p == "$" or p in "€£":
                    continue  # read after the number ("$5" -> five dollars) below
                if p == "/" and out:
                    out.append("or" if out else "slash")
                else:
                    out.append(_SYMBOLS[p])
            else:
                out.append(p)
        if pieces and pieces[0] in ("$", "€", "£") and len(pieces) > 1:
            out.append(_SYMBOLS[pieces[0]])
        return out

    def _number(self, p: str, nxt: str) -> list[str]:
        m = _ORD_SUFFIX.match(p)
        if m:
            return number_words(m.group(1), year=True, ordinal=True)
        plural = p.endswith("s")
        p = p.rstrip("s")
        if "." in p:
            whole, _, frac = p.partition(".")
            words = number_words(whole.replace(",", "") or "0", year=False) + ["point"] + [ONES[int(c)] for c in frac if c.isdigit()]
        else:
            words = number_words(p.replace(",", ""), year="," not in p)
        if plural:  # "1990s" -> nineteen nineties
            last = words[-1]
            words[-1] = last[:-1] + "ies" if last.endswith("y") else last + "s"
        return words

    def pronounce(self, token: str) -> list[tuple[str, str]]:
        """Dictionary words (with made-up phones for unknown ones) for one display token.

        A year from 2010 on is one word with three readings ("twenty twelve", "two thousand
        twelve", "two thousand and twelve"): speakers say all of them, and the decoder picks.
        """
        pieces = _SPLIT.findall(_ascii(token).lower())
        if len(pieces) == 1 and pieces[0].isdigit() and len(pieces[0]) == 4 and 2010 <= int(pieces[0]) <= 2099:
            return [self._year(pieces[0])]
        out: list[tuple[str, str]] = []
        for w in self.spoken(token):
            out += self._word(w, token)
        return out

    def _year(self, digits: str) -> tuple[str, str]:
        key = f"year{digits}"
        if key not in self.extra:
            cardinal = number_words(digits, year=False)
            readings = [number_words(digits, year=True), cardinal, [*cardinal[:2], "and", *cardinal[2:]]]
            phones = [" ".join(self.words[w] for w in r) for r in readings]
            self.extra[key] = phones[0]
            self.alternates[key] = phones[1:]
        return key, self.extra[key]

    def _word(self, w: str, display: str) -> list[tuple[str, str]]:
        if w in self.words:
            return [(w, "")]
        if w in self.extra:
            return [(w, self.extra[w])]
        for suffix in ("'s", "'"):
            if w.endswith(suffix) and w[: -len(suffix)] in self.words:
                base = self.words[w[: -len(suffix)]]
                phones = base + (" Z" if suffix == "'s" else "")
                self.extra[w] = phones
                return [(w, phones)]
        core = w.replace("'", "")
        # an acronym written in capitals (SJTU) is spelt out, or read as a word (NASA):
        # both readings go to the decoder, which picks the one the audio holds
        raw = "".join(ch for ch in _ascii(display) if ch.isalpha())
        lts = self._pieces(core) or letter_to_sound(core)
        if raw.isupper() and 1 < len(raw) <= 6 and raw.lower() == core:
            phones = " ".join(_LETTER_NAMES[c] for c in core if c in _LETTER_NAMES)
            if lts != phones:
                self.alternates[w] = [lts]
        else:
            phones = lts
            alt = letter_to_sound(core)
            if alt != phones:
                self.alternates[w] = [alt]
        self.extra[w] = phones
        return [(w, phones)]

    def _pieces(self, w: str) -> str | None:
        """Pronunciation from dictionary words that spell ``w`` end to end (openai -> open ai)."""
        n = len(w)
        if n < 5:
            return None
        best: list[tuple[int, list[str]] | None] = [None] * (n + 1)
        best[0] = (0, [])
        for i in range(n):
            cur = best[i]
            if cur is None:
                continue
            for j in range(i + 3, min(n, i + 14) + 1):
                piece = w[i:j]
                if piece in self.words:
                    cand = (cur[0] + 1, cur[1] + [self.words[piece]])
                    old = best[j]
                    if old is None or cand[0] < old[0]:
                        best[j] = cand
        end = best[n]
        if end is None or end[0] > 3:
            return None
        return " ".join(end[1])


@functools.lru_cache(maxsize=2)
def _load_dict(path: str) -> dict[str, str]:
    words: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            head, _, phones = line.strip().partition(" ")
            if not phones or "(" in head:
                continue  # variants: the decoder knows them; the first reading is enough here
            words[head] = phones.split("#")[0].strip()
    return words
