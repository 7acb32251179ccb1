"""LongCut page export: title, channel, key takeaways, topics, caption lines.

The export (see ``../shared/seeds/``) is a copied web page::

    LongCut logo
    <title>
    By <channel>
    Summary
    ## Key takeaways - **<title>**: <text> [hh:mm:ss], [hh:mm:ss] - **<title>**: ...
    Topics Covered
      • <topic>
    Full Transcript
    This subtitle was translated by AI. ...          (the disclaimer, kept as meta)
    <b>line</b> <b>line</b> ...                      (one paragraph a text line)
    Loading...

Caption lines become segments numbered by paragraph. LongCut repeats the last line of a
paragraph at the start of the next one; the repeat is removed and counted. An empty
``<b></b>`` is kept as a non-speech segment so that segment *i* is caption line *i*.
"""

from __future__ import annotations

import logging
import re

from ..errors import ParseError
from ..model import Takeaway, Topic, Transcript
from .clean import RawSegment, ReportBuilder, build_transcript, clean_text, is_boilerplate, remove_paragraph_repeats
from .hints import find_hints, strip_hints

__all__ = ["NAME", "EXTENSIONS", "detect", "parse"]

NAME = "longcut"
EXTENSIONS: tuple[str, ...] = ()  # exported as .txt; content decides

log = logging.getLogger(__name__)

_CAPTION_LINE = re.compile(r"^\s*<b>.*</b>\s*$")
# A caption ends at the first </b>; see _split_captions.
_CAPTION = re.compile(r"<b>(.*?)</b>", re.S)
_MARKERS = ("LongCut logo", "Full Transcript", "## Key takeaways", "Topics Covered")
_TAKEAWAY = re.compile(r"(?:^|\s)-\s+\*\*(.+?)\*\*\s*:?\s*")
_BULLET = re.compile(r"^\s*(?:[•·\-*]|\d+[.)])\s+")
_DISCLAIMER = re.compile(r"translated by AI|cannot guarantee its accuracy", re.I)
_SECTIONS = {"summary": "summary", "topics covered": "topics", "full transcript": "transcript"}


def detect(text: str) -> float:
    head = text[:200000]
    captions = sum(1 for ln in head.split("\n")[:400] if _CAPTION_LINE.match(ln))
    markers = sum(1 for m in _MARKERS if m in head)
    if captions and markers:
        return 1.0
    if captions:
        return 0.8
    if markers >= 2:
        return 0.7  # a page export without captions: parse says so clearly
    return 0.0


def _split_captions(line: str, path: str | None, lineno: int, strict: bool, rb: ReportBuilder) -> list[str]:
    """Caption lines of one paragraph line, in order.

    A caption is ``<b>...</b>``. LongCut now and then drops a tag: a stray inner ``<b>``
    (a lost ``</b>``) stays inside its caption and is stripped with the other tags; text
    outside any ``<b>...</b>`` is not a caption line of the page (it is reported and
    dropped, or refused with ``strict``).
    """
    caps = _CAPTION.findall(line)
    rest = _CAPTION.sub(" ", line)
    rest = re.sub(r"</?b>", " ", rest).strip()
    if rest:
        if strict:
            raise ParseError(path, f"text outside caption tags: {rest[:60]!r}", line=lineno)
        log.warning("line %d: dropped text outside <b>...</b>: %r", lineno, rest[:80])
        rb.add("stray_text_dropped", rest)
    return caps


def _parse_takeaways(body: str) -> list[Takeaway]:
    body = re.sub(r"^\s*#+\s*Key takeaways\s*", " ", body.strip(), flags=re.I)
    marks = list(_TAKEAWAY.finditer(" " + body))
    text = " " + body
    out = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        chunk = text[m.end() : end].strip()
        hints = find_hints(chunk)
        out.append(Takeaway(title=clean_text(m.group(1)), text=clean_text(strip_hints(chunk)), hints=tuple(hints)))
    return out


def parse(text: str, *, path: str | None = None, strict: bool = False, **_options: object) -> Transcript:
    """Parse a LongCut page export.

    Raises ParseError when the page has no caption lines (``<b>...</b>``).
    """
    rb = ReportBuilder()
    meta: dict[str, str] = {"format": NAME, "segmentation": "lines", "word_times": "none"}
    section = "head"
    head_lines: list[str] = []
    summary: list[str] = []
    topics: list[Topic] = []
    paragraphs: list[list[str]] = []
    for lineno, line in enumerate(text.split("\n"), 1):
        s = line.strip()
        if not s:
            continue
        if is_boilerplate(s):
            rb.add("boilerplate_dropped", s)
            continue
        low = s.lower()
        if low in _SECTIONS:
            section = _SECTIONS[low]
            continue
        if low.startswith("## key takeaways") or low.startswith("key takeaways"):
            section = "summary"
        if _CAPTION_LINE.match(s) or (section == "transcript" and s.startswith("<b>")):
            section = "transcript"
            caps = _split_captions(s, path, lineno, strict, rb)
            paragraphs.append(caps)
            continue
        if section == "head":
            head_lines.append(s)
        elif section == "summary":
            summary.append(s)
        elif section == "topics":
            topics.append(Topic(clean_text(_BULLET.sub("", s))))
        elif section == "transcript":
            if _DISCLAIMER.search(s) and not paragraphs:
                meta["disclaimer"] = s
            else:
                if strict:
                    raise ParseError(path, f"unexpected text in the transcript: {s[:60]!r}", line=lineno)
                log.warning("skipped line %d: %r", lineno, s[:80])
                rb.add("lines_skipped", s)
    for s in head_lines:
        if s.lower().startswith("by ") and "channel" not in meta:
            meta["channel"] = s[3:].strip()
        elif "title" not in meta:
            meta["title"] = clean_text(s)
        else:
            rb.add("lines_skipped", s)
    if any(_DISCLAIMER.search(s) for s in head_lines + summary) and "disclaimer" not in meta:
        meta["disclaimer"] = next(s for s in head_lines + summary if _DISCLAIMER.search(s))
    if "disclaimer" in meta and re.search(r"translated", meta["disclaimer"], re.I):
        meta["translated"] = "yes"
    takeaways = _parse_takeaways(" ".join(summary)) if summary else []
    if not paragraphs:
        raise ParseError(
            path, "LongCut page has no caption lines (<b>...</b>); export the page with its full transcript"
        )
    paragraphs = remove_paragraph_repeats(paragraphs, rb)
    raw = [RawSegment(line, paragraph=p, keep_if_empty=True) for p, para in enumerate(paragraphs) for line in para]
    rb.add("caption_lines", n=len(raw))
    return build_transcript(raw, meta=meta, takeaways=takeaways, topics=topics, report=rb)
