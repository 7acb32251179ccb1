"""Numbers as they are said: the one reading both the speech engine's dictionary and the
text matcher (reference engine, cue mapping) use, so "2013" is the same words everywhere.

>>> " ".join(number_words(2013, year=True)), " ".join(number_words("1905", year=True))
('twenty thirteen', 'nineteen oh five')
>>> " ".join(number_words(342)), " ".join(number_words(21, ordinal=True)), number_words("007")
('three hundred forty two', 'twenty first', ['zero', 'zero', 'seven'])
>>> " ".join(number_words("1500000"))
'one million five hundred thousand'
"""

from __future__ import annotations

__all__ = ["ONES", "number_words"]

ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINAL = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}  # fmt: skip
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))


def _below_thousand(n: int) -> list[str]:
    out: list[str] = []
    if n >= 100:
        out += [ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        out.append(_TENS[n // 10])
        n %= 10
        if n:
            out.append(ONES[n])
    elif n or not out:
        out.append(ONES[n])
    return out


def number_words(n: int | str, *, year: bool = False, ordinal: bool = False) -> list[str]:
    """English words for a whole number (an int, or its digits as written).

    Digits with a leading zero ("007") and more than 15 digits are read one by one.
    ``year`` reads a four-digit 1100-1999 or 2010-2099 in pairs ("nineteen ninety",
    "twenty thirteen", "nineteen hundred"); ``ordinal`` makes the last word an ordinal.

    Raises:
        ValueError: not a whole number.
    """
    digits = str(n)
    if not digits.isdigit():
        raise ValueError(f"not a whole number: {n!r}")
    if len(digits) > 1 and digits.startswith("0"):
        return [ONES[int(c)] for c in digits]
    v = int(digits)
    if year and len(digits) == 4 and 1100 <= v <= 2099 and v % 1000 >= 10 and not 2000 <= v <= 2009:
        hi, lo = divmod(v, 100)
        words = _below_thousand(hi) + (["hundred"] if lo == 0 else (["oh", ONES[lo]] if lo < 10 else _below_thousand(lo)))
    elif v == 0:
        words = ["zero"]
    elif len(digits) > 15:
        words = [ONES[int(c)] for c in digits]
    else:
        words = []
        for scale, name in _SCALES:
            if v >= scale:
                words += _below_thousand(v // scale) + [name]
                v %= scale
        if v:
            words += _below_thousand(v)
    if ordinal:
        last = words[-1]
        if last in _ORDINAL:
            words[-1] = _ORDINAL[last]
        elif last.endswith("y"):
            words[-1] = last[:-1] + "ieth"
        else:
            words[-1] = last + "th"
    return words
