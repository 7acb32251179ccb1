"""Test helpers for the clip tests: alignments made from truth files, the seed's takeaways.

An alignment built from truth times stands in for an engine's output, so search,
hint resolution and cutting can be measured against known times.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from pathlib import Path

from clipper.model import Alignment, Hint, MediaInfo, Segment, Takeaway, Topic, Transcript, Word
from clipper.resolve import readings_for
from clipper.text import spoken_tokens


def alignment_from_truth(
    truth_path: Path,
    media: MediaInfo | None = None,
    takeaways: tuple[Takeaway, ...] = (),
    topics: tuple[Topic, ...] = (),
) -> Alignment:
    """Segments and words of a ``truth.json`` (seconds) as an Alignment (ms).

    Truth words are assigned to the segment whose span holds their start; a segment's
    displayed text is the truth text.
    """
    d = json.loads(truth_path.read_text(encoding="utf-8"))
    words = d["words"]
    starts = [w["start"] for w in words]
    segs = []
    for i, s in enumerate(d["segments"]):
        a, b = round(s["start"] * 1000), round(s["end"] * 1000)
        lo = bisect_left(starts, s["start"] - 1e-6)
        hi = bisect_left(starts, s["end"] + 1e-6)
        ws = tuple(Word(w["word"], round(w["start"] * 1000), round(w["end"] * 1000), 1.0) for w in words[lo:hi])
        if s.get("scored") is False or not spoken_tokens(s["text"]):
            ws = ()
        segs.append(Segment(i, s["text"], ws, a, b, 1.0))
    if media is None:
        media = MediaInfo(path=str(truth_path.with_name(d.get("audio") or "none")), duration=round(d["duration"] * 1000))
    tr = Transcript(tuple(segs), takeaways=takeaways, topics=topics, meta={"title": d.get("source", "")})
    return Alignment(tr, engine="truth", media=media, stats={"segments": len(segs)})


_TAKEAWAY = re.compile(r"- \*\*(?P<title>[^*]+)\*\*:\s*(?P<body>.*?)(?=\s+- \*\*|\Z)", re.S)
_HINT = re.compile(r"\[\d{1,2}:\d{1,2}(?::\d{1,2})?\]")


def seed_takeaways(seed_path: Path) -> tuple[tuple[Takeaway, ...], tuple[Topic, ...]]:
    """The LongCut seed's takeaways (with both readings of each hint) and topics."""
    text = seed_path.read_text(encoding="utf-8")
    block = text.split("## Key takeaways", 1)[1].split("Topics Covered", 1)[0]
    out = []
    for m in _TAKEAWAY.finditer(block):
        body = m.group("body").strip()
        hints = tuple(Hint(h, readings_for(h)) for h in _HINT.findall(body))
        clean = _HINT.sub("", body).strip().rstrip(",").strip()
        out.append(Takeaway(m.group("title").strip(), clean, hints))
    topics_block = text.split("Topics Covered", 1)[1].split("Full Transcript", 1)[0]
    topics = tuple(Topic(t.strip()) for t in re.findall(r"•\s*(.+)", topics_block))
    return tuple(out), topics
