"""A tolerant scanner for cue files (SRT and WebVTT share it).

Real caption files break the rules in many small ways: a BOM, CRLF, ``.`` instead of
``,`` before milliseconds, one or two millisecond digits, a missing blank line between
cues, blank lines inside a cue, wrong numbering. The scanner reads line by line and
trusts the timing lines (``-->``) above everything else; it never drops text without
counting it in the report (and raising with ``strict``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from ..errors import ParseError
from .clean import ReportBuilder, clean_text

__all__ = ["Cue", "scan_cues", "parse_time", "TIMING_RE", "remove_rolling"]

log = logging.getLogger(__name__)

_T = r"(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})(?:[,.:](\d{1,3}))?"
#: a timing line; anything after the second time is cue settings (VTT) or junk
TIMING_RE = re.compile(rf"^\s*{_T}\s*-+>\s*{_T}(?P<settings>\s.*)?$")
_PARTIAL_TIMING = re.compile(r"^\s*\d{1,3}:\d{0,2}(?::\d{0,2})?(?:[,.:]\d{0,3})?\s*(?:-+>?.*)?$|-->")
_WORDS = re.compile(r"[^\W\d_]{2,}")
# ms per unit of a 1, 2 or 3 digit fraction: exact integers, no rounding needed.
_FRAC_UNIT = {1: 100, 2: 10, 3: 1}


def parse_time(h: str | None, m: str, s: str, frac: str | None) -> int:
    """Milliseconds from timing fields; a 1-2 digit fraction is decimal (``1,5`` = 1.5 s)."""
    ms = (int(h or 0) * 3600 + int(m) * 60 + int(s)) * 1000
    if frac:
        unit = _FRAC_UNIT.get(len(frac))
        if unit is not None:
            ms += int(frac) * unit
        else:
            ms += int(round(Fraction(int(frac), 10 ** len(frac)) * 1000))
    return ms


@dataclass(slots=True)
class Cue:
    start: int
    end: int
    lines: list[str] = field(default_factory=list)
    lineno: int = 0
    settings: str = ""
    ident: str | None = None


def scan_cues(
    text: str,
    *,
    path: str | None,
    strict: bool,
    report: ReportBuilder,
    is_ident: Callable[[str], bool],
    header_lines: int = 0,
    lines: Sequence[str] | None = None,
) -> list[Cue]:
    """Cues of a caption file, in file order.

    ``is_ident(line)`` says whether a line right before a timing line (after a blank
    line) is a cue identifier (SRT: a number; VTT: any text). ``header_lines`` skips a
    header already consumed by the caller. ``lines``, when given, is ``text`` already
    split at ``\n`` (saves a copy of a big file).
    """
    if lines is None:
        lines = text.split("\n")
    n = len(lines)
    match = TIMING_RE.match
    # Only a line with "->" can be a timing line, and most lines are text.
    timing = [match(ln) if "->" in ln else None for ln in lines]
    # A line with an arrow is a cue's timing even when it cannot be read; one more
    # entry (False) stands for the line after the last.
    arrow = [m is not None or "-->" in ln for m, ln in zip(timing, lines, strict=True)]
    arrow.append(False)
    cues: list[Cue] = []
    cur: Cue | None = None
    bad: Cue | None = None  # a cue whose timing line could not be read
    gap = False
    expected_index = 1
    ident: str | None = None
    for i in range(header_lines, n):
        line = lines[i]
        s = line.strip()
        lineno = i + 1
        m = timing[i]
        if m is not None:
            g = m.groups()
            if g[3] is not None and g[7] is not None and len(g[3]) == 3 and len(g[7]) == 3:
                # The usual hh:mm:ss,mmm (parse_time inlined: a call a cue adds up).
                start = (int(g[0] or 0) * 3600 + int(g[1]) * 60 + int(g[2])) * 1000 + int(g[3])
                end = (int(g[4] or 0) * 3600 + int(g[5]) * 60 + int(g[6])) * 1000 + int(g[7])
            else:
                start, end = parse_time(*g[0:4]), parse_time(*g[4:8])
            if end < start:
                if strict:
                    raise ParseError(path, f"cue ends ({end} ms) before it starts ({start} ms)", line=lineno)
                report.add("bad_times_fixed", s)
                end = start
            cur = Cue(start, end, [], lineno, (g[8] or "").strip(), ident)  # g[8]: the settings
            cues.append(cur)
            ident = None
            bad = None
            gap = False
        elif not s:
            gap = True
        elif arrow[i + 1] and is_ident(s) and (gap or cur is None or not cur.lines or s.isdigit()):
            # An identifier (an SRT number) belongs to the cue whose timing follows.
            if s.isdigit():
                if int(s) != expected_index:
                    report.add("bad_numbering", f"line {lineno}: {s} (expected {expected_index})")
                expected_index = int(s) + 1
            ident = s
        elif "-->" in s or (
            # (the regex can only match a line that starts with a digit: a cheap test first)
            s[0].isdecimal() and _PARTIAL_TIMING.match(s) and ":" in s and not _has_words(s)
        ):
            # A timing line we cannot read: its text is not added to the previous cue.
            if _is_truncated_tail(lines, i):
                raise ParseError(
                    path, f"file looks truncated: the cue timing at line {lineno} is cut off ({s!r})", line=lineno
                )
            if strict:
                raise ParseError(path, f"cannot read the cue timing {s!r}", line=lineno)
            log.warning("skipped line %d: %r", lineno, s)
            report.add("bad_timing_skipped", f"line {lineno}: {s}")
            bad = Cue(0, 0, lineno=lineno)
            cur = None
            gap = False
        elif bad is not None:
            report.add("lines_skipped", f"line {lineno}: {s}")
            log.warning("skipped line %d: %r", lineno, s)
        elif cur is None:
            if s.isdigit() and _is_truncated_tail(lines, i):
                raise ParseError(path, f"file looks truncated: cue {s} at line {lineno} has no timing", line=lineno)
            if strict:
                raise ParseError(path, f"text before the first cue: {s[:60]!r}", line=lineno)
            log.warning("skipped line %d: %r", lineno, s)
            report.add("lines_skipped", f"line {lineno}: {s}")
        else:
            if s.isdigit() and gap and _is_truncated_tail(lines, i):
                raise ParseError(path, f"file looks truncated: cue {s} at line {lineno} has no timing", line=lineno)
            if gap and cur.lines:
                if strict:
                    raise ParseError(path, "blank line inside a cue, or a cue without a timing line", line=lineno)
                report.add("blank_lines_in_cues", f"line {lineno}: {s}")
            cur.lines.append(line)
            gap = False
    return cues


def _has_words(s: str) -> bool:
    return bool(_WORDS.search(s))


def _is_truncated_tail(lines: Sequence[str], i: int) -> bool:
    """True when nothing but blank space follows line ``i``."""
    return all(not ln.strip() for ln in lines[i + 1 :])


def remove_rolling(cues: list[Cue], report: ReportBuilder) -> list[Cue]:
    """Drop rolling-caption repeats: a line carried over from the previous cue, and the
    very short (<= 20 ms) cues that only show a finished line again.

    Only a cue with more than one line can carry a line over, so single-line cues that
    legitimately repeat ("Please bear with me" three times) are kept.
    """
    out: list[Cue] = []
    prev_lines: list[str] = []
    for cue in cues:
        plain = [clean_text(ln) for ln in cue.lines]
        nonblank = [p for p in plain if p]
        if cue.end - cue.start <= 20 and nonblank and all(p in prev_lines for p in nonblank):
            report.add("short_cues_removed", " / ".join(nonblank))
            continue
        if len(nonblank) >= 2 and prev_lines and plain and plain[0] and plain[0] == prev_lines[-1]:
            report.add("rolling_duplicates_removed", plain[0])
            out.append(Cue(cue.start, cue.end, cue.lines[1:], cue.lineno, cue.settings, cue.ident))
        else:
            out.append(Cue(cue.start, cue.end, list(cue.lines), cue.lineno, cue.settings, cue.ident))
        if nonblank:
            prev_lines = nonblank
    return out
