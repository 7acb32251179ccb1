"""SubRip (SRT), read leniently: a segment a cue, times in ms, words untimed.

Tolerated: BOM, CRLF, ``.`` or ``:`` before the milliseconds, 1-2 millisecond digits
(read as a decimal fraction), missing hours, missing blank lines, blank lines inside a
cue, wrong or missing numbering, overlapping or unordered cues (kept, counted), rolling
two-line repeats. What cannot be read is counted in the report and logged
(``strict=True`` raises instead); a file cut off inside a cue raises.

>>> tr = parse("1\\n00:00:01,5 --> 00:00:02.250\\n<i>Hello</i> there\\n2\\n00:00:03,000 --> 00:00:04,000\\nBye\\n")
>>> [(s.text, s.start, s.end) for s in tr.segments]
[('Hello there', 1500, 2250), ('Bye', 3000, 4000)]
"""

from __future__ import annotations

import re

from ..model import Transcript
from ._cues import TIMING_RE, Cue, remove_rolling, scan_cues
from .clean import RawSegment, ReportBuilder, build_transcript

__all__ = ["NAME", "EXTENSIONS", "detect", "parse", "cues_to_raw"]

NAME = "srt"
EXTENSIONS = (".srt",)

_SRT_TIMING = re.compile(r"^\s*\d{1,3}:\d{1,2}:\d{1,2}[,.:]?\d{0,3}\s*-->", re.M)


def detect(text: str) -> float:
    head = text[:20000]
    if head.lstrip().upper().startswith("WEBVTT"):
        return 0.0
    timings = _SRT_TIMING.findall(head)
    if not timings:
        return 0.0
    comma = sum(1 for t in timings if "," in t)
    numbered = bool(re.search(r"(?:^|\n)\s*\d+\s*\n\s*\d{1,3}:\d{1,2}:\d{1,2}", head))
    if comma or numbered:
        return 0.95
    return 0.6  # "." before ms and no numbers: could be a VTT without its header


def cues_to_raw(cues: list[Cue], report: ReportBuilder) -> list[RawSegment]:
    """One raw segment a cue (lines joined by a space); overlaps counted, not changed."""
    raw: list[RawSegment] = []
    prev_end = None
    prev_start = None
    for cue in cues:
        if prev_end is not None and cue.start < prev_end:
            report.add("overlaps", f"{cue.start} ms < previous end {prev_end} ms (line {cue.lineno})")
        if prev_start is not None and cue.start < prev_start:
            report.add("out_of_order", f"line {cue.lineno}")
        prev_end = cue.end if prev_end is None else max(prev_end, cue.end)
        prev_start = cue.start
        raw.append(RawSegment(" ".join(ln.strip() for ln in cue.lines), start=cue.start, end=cue.end))
    return raw


def parse(text: str, *, path: str | None = None, strict: bool = False, **_options: object) -> Transcript:
    """Parse SRT text into a Transcript of timed cues."""
    rb = ReportBuilder()
    cues = scan_cues(text.lstrip("\ufeff"), path=path, strict=strict, report=rb, is_ident=str.isdigit)
    cues = remove_rolling(cues, rb)
    rb.add("cues", n=len(cues))
    meta = {"format": NAME, "segmentation": "cues", "word_times": "none"}
    return build_transcript(cues_to_raw(cues, rb), meta=meta, report=rb)


assert TIMING_RE  # re-exported for callers that sniff cue files
