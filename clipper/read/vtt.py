"""WebVTT, including YouTube auto-captions.

Plain VTT gives a segment a cue. YouTube's auto-captions are rolling: every cue shows
the previous line again above a new one, a 10 ms cue shows each finished line once
more, and new words carry inline start times (``word<00:00:02.817><c> next</c>``).
Those repeats are removed so that each spoken word appears once; each new line
becomes a segment whose words keep their times. The inline times are word *starts*:
a word's ``end`` is set to the next word's start (the cue's end for the last word) as
an upper bound, and ``meta["word_times"]`` is ``"starts"``.

>>> tr = parse("WEBVTT\\n\\n00:01.000 --> 00:02.000\\nHello <b>world</b>\\n")
>>> [(s.text, s.start, s.end) for s in tr.segments]
[('Hello world', 1000, 2000)]
"""

from __future__ import annotations

import re

from ..errors import ParseError
from ..model import Transcript, Word
from ._cues import TIMING_RE, Cue, remove_rolling, scan_cues
from .clean import (
    FinishedWords,
    RawSegment,
    RawWord,
    ReportBuilder,
    build_transcript,
    clean_text,
    is_clean_word,
    memo,
)
from .srt import cues_to_raw

__all__ = ["NAME", "EXTENSIONS", "detect", "parse"]

NAME = "vtt"
EXTENSIONS = (".vtt", ".webvtt")

_INLINE_TS = re.compile(r"<(?:(\d{1,3}):)?(\d{2}):(\d{2})[.,](\d{3})>")
# The same, one group (the time): splitting a line gives text, time, text, time, ...
_INLINE_SPLIT = re.compile(r"<((?:\d{1,3}:)?\d{2}:\d{2}[.,]\d{3})>")
_BLOCK_KINDS = ("NOTE", "STYLE", "REGION")
# Any line that could open such a block (a superset: the loop below decides).
_BLOCK_START = re.compile(r"^\s*(?:NOTE|STYLE|REGION)", re.M)


def detect(text: str) -> float:
    head = text.lstrip("\ufeff \t\n")[:20000]
    if head.upper().startswith("WEBVTT"):
        return 1.0
    if "-->" in head and re.search(r"\d{2}:\d{2}\.\d{3}\s*-->", head) and not re.search(r"\d,\d{3}\s*-->", head):
        return 0.6  # a VTT body without its header (or an SRT with dots)
    return 0.0


def _header(lines: list[str], meta: dict[str, str]) -> int:
    """Consume the WEBVTT header block; return the index of the first line after it."""
    i = 0
    if lines and lines[0].strip().upper().startswith("WEBVTT"):
        i = 1
        while i < len(lines) and lines[i].strip() and "-->" not in lines[i]:
            key, sep, value = lines[i].partition(":")
            if sep and key.strip().lower() == "language" and value.strip():
                meta["language"] = value.strip()
            i += 1
    return i


def _drop_blocks(lines: list[str], start: int, rb: ReportBuilder) -> list[str]:
    """Blank out NOTE/STYLE/REGION blocks (up to the next blank line)."""
    out = list(lines)
    if not any(_BLOCK_START.search(ln) for ln in (lines[start:] if start else lines) if "E" in ln):
        return out  # the common case: no block at all, and no line-by-line walk
    i = start
    while i < len(out):
        s = out[i].strip()
        prev_blank = i == start or not out[i - 1].strip()
        if prev_blank and s.split(" ", 1)[0] in _BLOCK_KINDS:
            kind = s.split(" ", 1)[0]
            while i < len(out) and out[i].strip() and "-->" not in out[i]:
                out[i] = ""
                i += 1
            rb.add(f"{kind.lower()}_blocks_skipped")
            continue
        i += 1
    return out


@memo
def _chunk_tokens(chunk: str) -> tuple[tuple[str, ...], bool]:
    """Tokens of one chunk of a line, and whether they are all finished words.

    Chunks such as ``<c> the</c>`` recur thousands of times in an auto-caption file.
    """
    toks = tuple(clean_text(chunk).split())
    return toks, all(is_clean_word(t) for t in toks)


def _timed_words(line: str, cue: Cue) -> tuple[RawWord, ...] | FinishedWords:
    """Words of a YouTube line with inline start times; ends are the next word's start.

    Finished words when every token is already clean (nearly always), else RawWords for
    :func:`~clipper.read.clean.build_transcript` to clean.
    """
    parts = _INLINE_SPLIT.split(line)
    # parts: text, time, text, time, text ...
    cs, ce = cue.start, cue.end
    first, clean = _chunk_tokens(parts[0])
    toks = list(first)
    times = [cs] * len(toks)
    for k in range(1, len(parts), 2):
        more, ok = _chunk_tokens(parts[k + 1])
        if more:
            # "[h:]mm:ss.mmm" to ms, with one int(): minutes, seconds and milliseconds
            # have fixed widths, so the digits alone read as h?mmssmmm.
            n = int(parts[k].replace(":", "").replace(".", "").replace(",", ""))
            t = ((n // 10_000_000 * 60 + n // 100_000 % 100) * 60 + n // 1000 % 100) * 1000 + n % 1000
            toks.extend(more)
            times.extend([t] * len(more))
            clean = clean and ok
    times.append(ce)
    if times[0] >= cs and times[-1] <= ce and times == sorted(times):
        # In order inside the cue (the usual case): each word runs to the next one's start.
        starts, ends = times, times[1:]
    else:
        starts, ends = [], []
        for j in range(len(toks)):
            start = min(max(times[j], cs), ce)
            starts.append(start)
            ends.append(max(start, min(max(times[j + 1], start), ce)))
    if clean:
        return FinishedWords(map(Word.unchecked, toks, starts, ends))
    return tuple(map(RawWord.unchecked, toks, starts, ends))


def parse(text: str, *, path: str | None = None, strict: bool = False, **_options: object) -> Transcript:
    """Parse WebVTT text (YouTube auto-captions included) into timed segments."""
    rb = ReportBuilder()
    meta: dict[str, str] = {"format": NAME, "segmentation": "cues", "word_times": "none"}
    lines = text.lstrip("\ufeff").split("\n")
    if strict and not (lines and lines[0].strip().upper().startswith("WEBVTT")):
        raise ParseError(path, "missing the WEBVTT header", line=1)
    start = _header(lines, meta)
    lines = _drop_blocks(lines, start, rb)
    cues = scan_cues(
        "", path=path, strict=strict, report=rb, is_ident=lambda s: "-->" not in s, header_lines=start, lines=lines
    )
    rb.add("cues", n=len(cues))
    youtube = any(_INLINE_TS.search(ln) for c in cues[:200] for ln in c.lines)
    cues = remove_rolling(cues, rb)
    if not youtube:
        return build_transcript(cues_to_raw(cues, rb), meta=meta, report=rb)
    meta["word_times"] = "starts"
    meta["source"] = "youtube-auto"
    raw: list[RawSegment] = []
    for cue in cues:
        for ln in cue.lines:
            if not clean_text(ln):
                continue
            words = _timed_words(ln, cue)
            if not words:
                raw.append(RawSegment(ln, start=cue.start, end=cue.end))
                continue
            st = words[0].start
            assert st is not None
            raw.append(RawSegment(ln, start=st, end=cue.end, words=words))
    return build_transcript(raw, meta=meta, report=rb)


assert TIMING_RE
