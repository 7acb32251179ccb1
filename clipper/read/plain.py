"""Plain text: a segment a line (captions, scripts) or sentences of prose.

A file of short lines is read line by line, each line one segment in order (the
``transcript.txt`` of the truth cases, a caption dump). Prose, meaning long
multi-sentence lines or hard-wrapped blank-line paragraphs, is split into sentences,
each paragraph numbered. ``segmentation="lines"|"sentences"`` forces the choice;
``meta["segmentation"]`` says which was made.

>>> tr = parse("First line\\nsecond line\\n")
>>> [s.text for s in tr.segments], tr.meta["segmentation"]
(['First line', 'second line'], 'lines')
>>> tr = parse("One sentence here. Another one, Dr. Who said! And a third?", segmentation="sentences")
>>> [s.text for s in tr.segments]
['One sentence here.', 'Another one, Dr. Who said!', 'And a third?']
"""

from __future__ import annotations

import logging
import re
import statistics

from ..errors import FormatError
from ..model import Transcript
from .clean import RawSegment, ReportBuilder, build_transcript, is_boilerplate

__all__ = ["NAME", "EXTENSIONS", "detect", "parse", "split_sentences", "choose_segmentation"]

NAME = "plain"
EXTENSIONS = (".txt", ".text", ".md")

log = logging.getLogger(__name__)

# Abbreviations after which a full stop does not end a sentence.
_ABBREV = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sr",
    "jr",
    "st",
    "vs",
    "etc",
    "e.g",
    "i.e",
    "cf",
    "no",
    "vol",
    "fig",
    "approx",
    "inc",
    "ltd",
    "co",
    "corp",
    "mt",
    "u.s",
    "u.k",
    "a.m",
    "p.m",
}
# A sentence ends at . ! ? … (plus closing quotes/brackets) before a space and a capital,
# digit or opening quote. Lower-case continuations stay in the sentence.
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9À-ÖØ-Þ])")
_INTERNAL_BOUNDARY = re.compile(r"[.!?…][\"'”’)]*\s+[\"“]?[A-Z]")


def detect(text: str) -> float:
    """Anything with letters can be plain text: the low-confidence fallback."""
    return 0.1 if any(ch.isalnum() for ch in text[:20000]) else 0.0


def split_sentences(paragraph: str) -> list[str]:
    """Split prose into sentences; abbreviations and initials do not end one."""
    parts: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(paragraph):
        before = paragraph[start : m.start()].rstrip("\"'”’)]")
        last = before.split()[-1] if before.split() else ""
        word = last.rstrip(".").lower()
        # "Dr. Who", "U.S. law", "J. Smith": not the end of a sentence.
        if last.endswith(".") and (word in _ABBREV or (len(word) == 1 and word.isalpha())):
            continue
        parts.append(paragraph[start : m.start() + len(m.group(0).rstrip())].strip())
        start = m.end()
    tail = paragraph[start:].strip()
    if tail:
        parts.append(tail)
    return [p for p in parts if p]


def choose_segmentation(text: str) -> str:
    """``lines`` for caption-like files, ``sentences`` for prose.

    Prose is either long lines holding several sentences (a paragraph a line), or
    blank-line-separated paragraphs whose lines are hard-wrapped (lines of a paragraph
    that do not end a sentence). A file of short lines, or of long lines without
    sentence punctuation (ASR and corpus transcripts), is read line by line.
    """
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    if not lines:
        return "lines"
    median = statistics.median(len(ln) for ln in lines)
    internal = sum(len(_INTERNAL_BOUNDARY.findall(ln)) for ln in lines) / len(lines)
    if median >= 120 and internal >= 1.0:
        return "sentences"
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    multi = [b for b in blocks if len([ln for ln in b.split("\n") if ln.strip()]) >= 2]
    if len(blocks) >= 2 and len(multi) >= max(1, len(blocks) // 2) and median >= 50:
        # Hard-wrapped: most lines inside a paragraph run on into the next one.
        inner = [ln.strip() for b in multi for ln in b.strip().split("\n")[:-1] if ln.strip()]
        runs_on = sum(1 for ln in inner if not ln.endswith((".", "!", "?", "…", '"', "”")))
        if inner and runs_on / len(inner) >= 0.5:
            return "sentences"
    return "lines"


def parse(
    text: str,
    *,
    path: str | None = None,
    strict: bool = False,
    segmentation: str = "auto",
    **_options: object,
) -> Transcript:
    """Parse plain text into segments (see the module docstring for the rules)."""
    if segmentation == "auto":
        segmentation = choose_segmentation(text)
    if segmentation not in ("lines", "sentences"):
        raise FormatError(f"unknown segmentation {segmentation!r}; use auto, lines or sentences")
    rb = ReportBuilder()
    raw: list[RawSegment] = []
    lines = text.split("\n")
    # Trim blank lines at both ends; they carry no structure.
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    if segmentation == "lines":
        nonblank = sum(1 for ln in lines if ln.strip())
        blank = len(lines) - nonblank
        # A rare blank line among caption lines is an empty caption (a non-speech event,
        # kept so that segment i stays line i); frequent ones just separate paragraphs.
        sparse = blank > 0 and blank * 20 <= nonblank
        para = 0
        for ln in lines:
            if is_boilerplate(ln):
                rb.add("boilerplate_dropped", ln.strip())
                continue
            if not ln.strip():
                if sparse:
                    raw.append(RawSegment("", paragraph=para, keep_if_empty=True))
                else:
                    para += 1
                    rb.add("blank_lines_skipped")
                continue
            raw.append(RawSegment(ln, paragraph=para))
    else:
        blocks = [b for b in re.split(r"\n\s*\n", "\n".join(lines)) if b.strip()]
        for para, block in enumerate(blocks):
            kept = []
            for ln in block.split("\n"):
                if is_boilerplate(ln):
                    rb.add("boilerplate_dropped", ln.strip())
                    continue
                kept.append(ln.strip())
            joined = " ".join(k for k in kept if k)
            for sent in split_sentences(joined):
                raw.append(RawSegment(sent, paragraph=para))
    if not any(r.text.strip() for r in raw):
        raw = []
    meta = {"format": NAME, "segmentation": segmentation, "word_times": "none"}
    del path, strict
    return build_transcript(raw, meta=meta, report=rb)
