"""Timestamp hints: keep every plausible reading, resolve later against evidence.

LongCut writes hints in mixed forms. ``[01:21:09]`` is 1 h 21 min 9 s, but in the
same export ``[09:42:10]`` can only be 9 min 42 s of a 7-hour recording (its player
would jump past the end): three fields are sometimes ``mm:ss`` followed by a trailing
field. So a three-field hint keeps both readings; a later step chooses by the media's
duration and by the words near each reading.

>>> [(r.ms, r.form) for r in parse_hint("[01:21:09]").readings]
[(4869000, 'h:mm:ss'), (81000, 'mm:ss+field')]
>>> [(r.ms, r.form) for r in parse_hint("[12:34]").readings]
[(754000, 'mm:ss')]
>>> [h.raw for h in find_hints("... persistence. [09:42:10], [22:29:22]")]
['[09:42:10]', '[22:29:22]']
"""

from __future__ import annotations

import re
from fractions import Fraction

from ..model import Hint, Reading

__all__ = ["parse_hint", "find_hints", "strip_hints", "readings_for", "HINT_RE", "CLOCK_RE"]

#: a clock as LongCut writes it: mm:ss or hh:mm:ss, optional fraction
CLOCK_RE = re.compile(r"\d{1,3}(?::\d{1,2}){1,2}(?:[.,]\d{1,3})?")
#: ... in brackets: [mm:ss], [hh:mm:ss]
HINT_RE = re.compile(r"\[\s*(" + CLOCK_RE.pattern + r")\s*\]")
_TRAILING_HINTS_RE = re.compile(r"(?:[\s,;]*" + HINT_RE.pattern + r")+[\s,;]*$")


def _ms(seconds: Fraction) -> int:
    return int(round(seconds * 1000))


def parse_hint(raw: str) -> Hint:
    """Every plausible reading of one hint (``[hh:mm:ss]``, ``hh:mm:ss``, ``[mm:ss]``...).

    Forms: ``h:mm:ss`` (three fields as hours, minutes, seconds), ``mm:ss+field`` (the
    first two of three fields as minutes and seconds, the third ignored), ``mm:ss``
    (two fields). A reading whose minutes or seconds field is 60 or more is not
    plausible and is left out; a hint with no plausible reading raises ValueError.
    """
    body = raw.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1].strip()
    if not CLOCK_RE.fullmatch(body):
        raise ValueError(f"not a timestamp hint: {raw!r}")
    body = body.replace(",", ".")
    fields = body.split(":")
    readings: list[Reading] = []
    if len(fields) == 3:
        a, b = int(fields[0]), int(fields[1])
        c = Fraction(fields[2])
        if b < 60 and c < 60:
            readings.append(Reading(_ms(Fraction(a * 3600 + b * 60) + c), "h:mm:ss"))
        if b < 60 and "." not in fields[1]:
            readings.append(Reading(_ms(Fraction(a * 60 + b)), "mm:ss+field"))
    else:
        a = int(fields[0])
        c = Fraction(fields[1])
        if c < 60:
            readings.append(Reading(_ms(Fraction(a * 60) + c), "mm:ss"))
    if not readings:
        raise ValueError(f"timestamp hint {raw!r} has no plausible reading")
    # Two forms can agree (e.g. [00:00:00]); keep one reading a time.
    seen: set[int] = set()
    unique = []
    for r in readings:
        if r.ms not in seen:
            seen.add(r.ms)
            unique.append(r)
    return Hint(raw=raw.strip(), readings=tuple(unique))


def readings_for(raw: str) -> tuple[Reading, ...]:
    """The readings of the first clock in ``raw`` (a hint stored without its readings), or ().

    >>> [(r.ms, r.form) for r in readings_for("at [01:21:09]")], readings_for("[01:75:00]")
    ([(4869000, 'h:mm:ss'), (81000, 'mm:ss+field')], ())
    """
    m = CLOCK_RE.search(raw)
    if m is None:
        return ()
    try:
        return parse_hint(m.group(0)).readings
    except ValueError:
        return ()


def find_hints(text: str) -> list[Hint]:
    """All hints in a piece of text, in order; implausible ones are skipped."""
    hints = []
    for m in HINT_RE.finditer(text):
        try:
            hints.append(parse_hint(m.group(0)))
        except ValueError:
            continue
    return hints


def strip_hints(text: str) -> str:
    """Text without its trailing list of hints (``... persistence. [09:42:10], [22:29:22]``)."""
    return _TRAILING_HINTS_RE.sub("", text).rstrip()
