"""Where takeaways and topics sit on the timeline, for markers and chapters.

Resolving a takeaway's timestamp hints by evidence lives in ``clipper.query.resolve`` and
locating a topic's passages in ``clipper.query.search``; exports only read their answers
(:func:`_locate`). Where they have no answer (a takeaway whose hints have no text
evidence, topics none of which is found) a simple fallback is used: a takeaway sits at its
first hint reading inside the media, a topic at the segment that best matches its title
(rapidfuzz).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..model import Alignment, Segment

if TYPE_CHECKING:
    from ..query.resolve import ResolvedTakeaway
    from ..query.search import Passage

__all__ = ["Position", "positions", "takeaway_positions", "topic_positions"]


@dataclass(frozen=True, slots=True)
class Position:
    """A takeaway or topic placed on the media timeline (ms)."""

    kind: str  # "takeaway" | "topic"
    index: int  # 1-based within its kind, as listed in the transcript
    title: str
    start: int
    end: int | None = None
    text: str = ""
    source: str = "fallback"  # who placed it: "resolve", "search" or "fallback"


def positions(al: Alignment) -> list[Position]:
    """Takeaway positions, then topic positions (unplaceable ones left out), in one pass."""
    takeaways, topics = _locate(al)
    return [p for p in takeaways + topics if p is not None]


def takeaway_positions(al: Alignment) -> list[Position]:
    """One position per takeaway that can be placed (unplaceable ones are left out)."""
    return [p for p in _locate(al)[0] if p is not None]


def topic_positions(al: Alignment) -> list[Position]:
    """One position per topic, at its first passage."""
    return [p for p in _locate(al)[1] if p is not None]


def _locate(al: Alignment) -> tuple[list[Position | None], list[Position | None]]:
    """Takeaway and topic positions from clipper.query.resolve and clipper.query.search.

    Each takeaway's marker goes where its best-evidenced hint resolves
    (``resolve_takeaways``); each topic's at the first of its passages (``locate_topic``,
    where it is discussed most). Only the refusals those functions document are caught: a
    topic with no content words, an alignment with nothing placed; anything else is a bug
    and surfaces.
    """
    from ..errors import InputError
    from ..query import resolve, search

    index = search.PassageIndex(al)
    takeaways = _from_resolve(al, resolve.resolve_takeaways(al, index=index))
    topics: list[Position | None] = []
    for i, tp in enumerate(al.transcript.topics, 1):
        try:
            passages = search.locate_topic(index, tp.title)
        except InputError:  # no content words in the title, or nothing placed
            passages = []
        if passages:
            start = _refine(al, passages[0], tp.title)
            topics.append(Position("topic", i, tp.title, start, None, "", "search"))
        else:
            topics.append(None)
    if takeaways is None:
        takeaways = _fallback_takeaways(al)
    # a topic search that found nothing at all (e.g. a transcript without placed text)
    # still deserves the plain fuzzy fallback
    if al.transcript.topics and all(t is None for t in topics):
        topics = _fallback_topics(al)
    return takeaways, topics


def _from_resolve(al: Alignment, results: Sequence[ResolvedTakeaway]) -> list[Position | None] | None:
    if len(results) != len(al.transcript.takeaways):
        return None
    out: list[Position | None] = []
    for i, (tk, res) in enumerate(zip(al.transcript.takeaways, results, strict=True), 1):
        best = res.best
        if best is None or best.chosen is None:
            out.append(None)
            continue
        out.append(Position("takeaway", i, tk.title, best.chosen.reading.ms, None, tk.text, "resolve"))
    return out


def _refine(al: Alignment, passage: Passage, title: str) -> int:
    """Where in a passage (a window of ~45 s) the topic's words first show up.

    The segment (with its neighbour) sharing the most of the title's terms wins, the
    earliest on a tie; the passage's start when none shares any.
    """
    from ..query.search import terms

    want = set(terms(title))
    segs = al.segments
    best: tuple[int, int] | None = None
    for j in range(passage.first, passage.last + 1):
        s = segs[j]
        if s.start is None:
            continue
        nxt = segs[j + 1].text if j + 1 < len(segs) else ""
        hits = len(want & set(terms(f"{s.text} {nxt}")))
        if hits and (best is None or hits > best[0]):
            best = (hits, s.start)
    return best[1] if best is not None else passage.start


# --- fallbacks ------------------------------------------------------------------------------


def _fallback_takeaways(al: Alignment) -> list[Position | None]:
    duration = al.duration
    out: list[Position | None] = []
    for i, tk in enumerate(al.transcript.takeaways, 1):
        ms = next(
            (
                r.ms
                for h in tk.hints
                for r in h.readings
                if r.ms >= 0 and (duration is None or r.ms < duration)
            ),
            None,
        )
        out.append(None if ms is None else Position("takeaway", i, tk.title, ms, None, tk.text))
    return out


def _fallback_topics(al: Alignment) -> list[Position | None]:
    from rapidfuzz import fuzz

    from ..text import norm_tokens

    placed: list[Segment] = [s for s in al.segments if s.start is not None and s.end is not None]
    texts = []
    for i, s in enumerate(placed):
        # a segment and its neighbour: captions split a phrase a title may summarise
        nxt = placed[i + 1].text if i + 1 < len(placed) else ""
        texts.append(" ".join(norm_tokens(f"{s.text} {nxt}")))
    out: list[Position | None] = []
    for i, tp in enumerate(al.transcript.topics, 1):
        title = " ".join(norm_tokens(tp.title))
        best: tuple[float, float, int] | None = None
        for j, t in enumerate(texts):
            if not t:
                continue
            key = (fuzz.token_set_ratio(title, t), fuzz.partial_ratio(title, t), -j)
            if best is None or key > best:
                best = key
        if best is None or best[0] < 50:
            out.append(None)
            continue
        seg = placed[-best[2]]
        out.append(Position("topic", i, tp.title, seg.start or 0, None, ""))
    return out
