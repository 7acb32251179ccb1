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

__all__ = [
    "ms_from_seconds",
    "format_srt",
    "format_vtt",
    "format_clock",
    "parse_clock",
    "ms_to_frames",
    "frames_to_ms",
    "format_smpte",
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
