"""Where takeaways and topics sit on the timeline, for markers and chapters.

Resolving a takeaway's timestamp hints by evidence lives in ``clipper.resolve`` and
locating a topic's passages in ``clipper.search``; exports only read their answers.
Both are looked up at call time through :func:`_locate`, the one place to change when
their interfaces settle. Until they exist (or if they fail on an odd alignment) a simple
fallback is used: a takeaway sits at its first hint reading inside the media, a topic at
the segment that best matches its title (rapidfuzz).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from ..model import Alignment, Segment

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
    """Takeaway and topic positions: from clipper.resolve / clipper.search when present.

    This is deliberately the only function that knows those modules' names and shapes:
    ``resolve_takeaways(al, index=...)`` gives each takeaway's ``best`` hint and its
    ``chosen.reading.ms``; ``locate_topic(index, title)`` gives passages best first, and the
    topic's marker goes at the first of them (where it is discussed most).
    """
    takeaways: list[Position | None] | None = None
    topics: list[Position | None] | None = None
    search = _optional_module("clipper.search")
    resolve = _optional_module("clipper.resolve")
    index: Any = None
    if search is not None and hasattr(search, "PassageIndex"):
        try:
            index = search.PassageIndex(al)
        except Exception:  # noqa: BLE001 - an odd alignment must not break an export; fall back
            index = None
    if resolve is not None and hasattr(resolve, "resolve_takeaways"):
        try:
            resolved = resolve.resolve_takeaways(al, index=index) if index is not None else resolve.resolve_takeaways(al)
            takeaways = _from_resolve(al, resolved)
        except Exception:  # noqa: BLE001 - see above
            takeaways = None
    if search is not None and hasattr(search, "locate_topic"):
        topics = []
        for i, tp in enumerate(al.transcript.topics, 1):
            try:
                passages = list(search.locate_topic(index if index is not None else al, tp.title))
            except Exception:  # noqa: BLE001 - a topic with no content words, nothing placed
                passages = []
            if passages:
                start = _refine(al, search, passages[0], tp.title)
                topics.append(Position("topic", i, tp.title, start, None, "", "search"))
            else:
                topics.append(None)
    if takeaways is None:
        takeaways = _fallback_takeaways(al)
    if topics is None:
        topics = _fallback_topics(al)
    # a topic search that found nothing at all (e.g. a transcript without placed text)
    # still deserves the plain fuzzy fallback
    if al.transcript.topics and all(t is None for t in topics):
        topics = _fallback_topics(al)
    return takeaways, topics


# --- the other modules, when they are there -------------------------------------------------


def _optional_module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name == name:
            return None
        raise


def _from_resolve(al: Alignment, results: Any) -> list[Position | None] | None:
    results = list(results)
    if len(results) != len(al.transcript.takeaways):
        return None
    out: list[Position | None] = []
    for i, (tk, res) in enumerate(zip(al.transcript.takeaways, results, strict=True), 1):
        best = getattr(res, "best", None)
        chosen = getattr(best, "chosen", None)
        reading = getattr(chosen, "reading", None)
        ms = getattr(reading, "ms", None)
        if not isinstance(ms, int):
            out.append(None)
            continue
        out.append(Position("takeaway", i, tk.title, ms, None, tk.text, "resolve"))
    return out


def _refine(al: Alignment, search: Any, passage: Any, title: str) -> int:
    """Where in a passage (a window of ~45 s) the topic's words first show up.

    The segment (with its neighbour) sharing the most of the title's terms wins, the
    earliest on a tie; the passage's start when none shares any.
    """
    try:
        want = set(search.terms(title))
        segs = al.segments
        best: tuple[int, int] | None = None
        for j in range(int(passage.first), int(passage.last) + 1):
            s = segs[j]
            if s.start is None:
                continue
            nxt = segs[j + 1].text if j + 1 < len(segs) else ""
            hits = len(want & set(search.terms(f"{s.text} {nxt}")))
            if hits and (best is None or hits > best[0]):
                best = (hits, s.start)
        return best[1] if best is not None else int(passage.start)
    except Exception:  # noqa: BLE001 - a shape we do not know: the passage start is still right
        return int(passage.start)


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
