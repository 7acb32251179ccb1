"""Time conversions. Inside clipper a time is an int of milliseconds.

>>> ms_from_seconds(1.5)
1500
>>> format_srt(3723004)
'01:02:03,004'
>>> format_vtt(59999)
'00:00:59.999'
>>> parse_clock("1:02:03.5")
3723500
"""

from __future__ import annotations

import re
from fractions import Fraction

from .errors import InputError

__all__ = [
    "ms_from_seconds",
    "format_srt",
    "format_vtt",
    "format_clock",
    "parse_clock",
    "ms_to_frames",
    "frames_to_ms",
    "format_smpte",
    "parse_fps",
]


def ms_from_seconds(seconds: float) -> int:
    """Round seconds to integer milliseconds, once, at the edge."""
    return int(round(seconds * 1000))


def _hmsm(ms: int) -> tuple[int, int, int, int]:
    if ms < 0:
        raise ValueError(f"negative time {ms} ms")
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, milli = divmod(rem, 1000)
    return h, m, s, milli


def format_srt(ms: int) -> str:
    h, m, s, milli = _hmsm(ms)
    return f"{h:02d}:{m:02d}:{s:02d},{milli:03d}"


def format_vtt(ms: int) -> str:
    h, m, s, milli = _hmsm(ms)
    return f"{h:02d}:{m:02d}:{s:02d}.{milli:03d}"


def format_clock(ms: int, always_hours: bool = False) -> str:
    """Human clock for reports and chapters: ``m:ss`` or ``h:mm:ss`` (truncated seconds).

    >>> format_clock(582000)
    '9:42'
    >>> format_clock(4869000)
    '1:21:09'
    """
    h, m, s, _ = _hmsm(ms)
    if h or always_hours:
        return f"{h}:{m:02d}:{s:02d}"
    return f"{m}:{s:02d}"


_CLOCK = re.compile(r"^\s*(?:(\d+):)?(?:(\d+):)?(\d+(?:[.,]\d+)?)\s*$")


def parse_clock(text: str) -> int:
    """Parse ``[h:]mm:ss[.mmm]``, ``ss.mmm`` or a comma decimal into ms.

    Raises ValueError on anything else.
    """
    mt = _CLOCK.match(text)
    if not mt:
        raise ValueError(f"not a time: {text!r}")
    a, b, sec = mt.groups()
    if b is None and a is not None:
        h, m = 0, int(a)
    else:
        h, m = int(a or 0), int(b or 0)
    s = Fraction(sec.replace(",", "."))
    return int(round((h * 3600 + m * 60 + s) * 1000))


def ms_to_frames(ms: int, fps: Fraction) -> int:
    """Nearest frame index for a time."""
    return int(round(Fraction(ms, 1000) * fps))


def frames_to_ms(frames: int, fps: Fraction) -> int:
    return int(round(Fraction(frames) / fps * 1000))


def format_smpte(frames: int, fps: Fraction, drop_frame: bool = False) -> str:
    """SMPTE timecode for a frame count (``;`` before frames when drop-frame)."""
    nominal = int(round(fps))
    if drop_frame:
        if nominal not in (30, 60):
            raise ValueError("drop-frame timecode needs 29.97 or 59.94 fps")
        drop = 2 if nominal == 30 else 4
        per_10min = nominal * 600 - drop * 9
        per_min = nominal * 60 - drop
        d, mnd = divmod(frames, per_10min)
        if mnd > drop:
            frames += drop * 9 * d + drop * ((mnd - drop) // per_min)
        else:
            frames += drop * 9 * d
    ff = frames % nominal
    total_s = frames // nominal
    hh, rem = divmod(total_s, 3600)
    mm, ss = divmod(rem, 60)
    sep = ";" if drop_frame else ":"
    return f"{hh:02d}:{mm:02d}:{ss:02d}{sep}{ff:02d}"


#: NTSC rates as people write them
_NTSC = {
    "23.976": (24000, 1001),
    "23.98": (24000, 1001),
    "29.97": (30000, 1001),
    "47.952": (48000, 1001),
    "59.94": (60000, 1001),
    "119.88": (120000, 1001),
}


def parse_fps(text: str | float | int | Fraction | tuple[int, int]) -> tuple[int, int]:
    """A frame rate as ``(num, den)``: ``"25"``, ``"29.97"`` (= 30000/1001), ``"24000/1001"``.

    >>> parse_fps("29.97")
    (30000, 1001)
    >>> parse_fps("25")
    (25, 1)
    >>> parse_fps("24000/1001")
    (24000, 1001)

    Raises:
        InputError: not a positive frame rate.
    """
    if isinstance(text, tuple):
        num, den = text
        fr = Fraction(num, den)
    elif isinstance(text, Fraction):
        fr = text
    else:
        s = str(text).strip()
        if s in _NTSC:
            return _NTSC[s]
        try:
            if "/" in s:
                a, b = s.split("/", 1)
                fr = Fraction(int(a), int(b))
            else:
                fr = Fraction(s)
        except (ValueError, ZeroDivisionError):
            raise InputError(
                f"⟨--fps⟩ {text!r}: not a frame rate; give e.g. 25, 29.97, 23.976 or 24000/1001"
            ) from None
        # NTSC rates written with more digits (29.970, 59.9401...) mean the same thing
        for num, den in _NTSC.values():
            if abs(float(fr) - num / den) < 0.0015 and fr.denominator != 1:
                return num, den
    if fr <= 0 or fr > 1000:
        raise InputError(f"⟨--fps⟩ {text}: frame rate must be between 0 and 1000")
    return fr.numerator, fr.denominator
