"""Anchors: known points (``--anchor "TEXT@TIME"``, resolved takeaway hints) that pin segments.

Every engine uses the same two steps:

- :func:`resolve_anchors` finds the segment whose text matches each anchor's text
  (rapidfuzz, on normalised spoken words) and returns ``(segment_index, ms, anchor)``
  triples in segment order;
- :func:`check_anchors` reports the anchors that cannot all hold: two anchors out of order
  (the later segment pinned earlier), and, given the engine's own times, anchors far from
  where the evidence puts their segment. An engine drops a conflicting anchor and says so
  in ``stats["warnings"]`` instead of bending the alignment around it.

>>> from clipper.model import Segment, Transcript, Word
>>> tr = Transcript(tuple(Segment(i, t, tuple(Word(w) for w in t.split())) for i, t in
...      enumerate(["Hello everyone", "I'm Xiaojun", "we came to New York"])))
>>> [(r.segment, r.ms) for r in resolve_anchors(tr, [Anchor("came to new york", 5000)])]
[(2, 5000)]
>>> [c.kind for c in check_anchors(resolve_anchors(tr, [Anchor("Xiaojun", 9000), Anchor("new york", 4000)]))]
['order']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from rapidfuzz import fuzz, process

from ..errors import InputError
from ..model import Alignment, Transcript
from ..text import norm_tokens
from ..timecode import parse_clock
from . import Anchor

__all__ = ["ResolvedAnchor", "Conflict", "resolve_anchors", "check_anchors", "parse_anchor", "consistent", "check_result",
           "CONFLICT_CONFIDENCE", "TOLERANCE"]

#: an anchor this far (ms) from where an engine starts its segment disagrees with the evidence
TOLERANCE = 1500
#: a segment whose anchor the evidence contradicts is at most this sure: one of the two is wrong
CONFLICT_CONFIDENCE = 0.3


class ResolvedAnchor(NamedTuple):
    segment: int  # index into transcript.segments
    ms: int
    anchor: Anchor


@dataclass(frozen=True, slots=True)
class Conflict:
    """An anchor that cannot hold: ``kind`` is "order" (out of order with other anchors),
    "evidence" (far from where the engine places its segment) or "unmatched"."""

    anchor: Anchor
    kind: str
    segment: int | None = None
    message: str = ""


def parse_anchor(spec: str, source: str = "user") -> Anchor:
    """``"TEXT@TIME"`` -> Anchor; TIME as ``[hh:]mm:ss[.mmm]`` or seconds.

    >>> parse_anchor("New York@1:02")
    Anchor(text='New York', ms=62000, source='user')
    """
    text, sep, when = spec.rpartition("@")
    if not sep or not text.strip() or not when.strip():
        raise InputError(f"anchor {spec!r}: expected TEXT@TIME, e.g. \"we came to New York@00:05\"")
    return Anchor(text.strip(), _time_ms(when.strip(), spec), source)


def _time_ms(when: str, spec: str) -> int:
    try:
        return parse_clock(when)
    except ValueError:
        raise InputError(f"anchor {spec!r}: cannot read the time {when!r}; use hh:mm:ss, mm:ss or seconds") from None


def resolve_anchors(
    transcript: Transcript,
    anchors: Sequence[Anchor],
    *,
    min_score: float = 80.0,
    duration: int | None = None,
    unmatched: list[Conflict] | None = None,
) -> list[ResolvedAnchor]:
    """Find the segment each anchor names; sorted by segment.

    Text is compared on normalised spoken words. Among near-equal matches (a short, common
    phrase) the one nearest the anchor's time wins, times estimated from the segment's
    position when ``duration`` is given; otherwise the first. Anchors matching nothing
    (score below ``min_score``) are left out and, when ``unmatched`` is given, appended to it.
    """
    segs = transcript.segments
    keys = [" ".join(norm_tokens(s.spoken_text if s.spoken else s.text)) for s in segs]
    total_len = sum(len(k) + 1 for k in keys) or 1
    cum: list[int] = []
    acc = 0
    for k in keys:
        cum.append(acc)
        acc += len(k) + 1
    out: list[ResolvedAnchor] = []
    for a in anchors:
        q = " ".join(norm_tokens(a.text))
        if not q:
            if unmatched is not None:
                unmatched.append(Conflict(a, "unmatched", None, f"anchor {a.text!r} has no words"))
            continue
        hits = process.extract(q, keys, scorer=_score, limit=None, score_cutoff=min_score)
        if not hits:
            if unmatched is not None:
                unmatched.append(Conflict(a, "unmatched", None, f"anchor {a.text!r} matches no segment (best below {min_score:.0f})"))
            continue
        best = max(h[1] for h in hits)
        near = [h for h in hits if h[1] >= best - 2.0]
        # a segment equal to the anchor beats one that merely contains it (or is contained);
        # among near-equals, time decides
        exact = [h for h in near if h[0] == q or keys[h[2]] == q]
        near = exact or near
        if duration and len(near) > 1:
            pick = min(near, key=lambda h: abs(duration * cum[h[2]] // total_len - a.ms))
        else:
            pick = min(near, key=lambda h: (-h[1], h[2]))
        out.append(ResolvedAnchor(int(pick[2]), a.ms, a))
    out.sort(key=lambda r: (r.segment, r.ms))
    return out


def _score(q: str, k: str, **kw: object) -> float:
    """A segment matches an anchor that is (part of) it, or that it is part of."""
    if not k:
        return 0.0
    full = fuzz.ratio(q, k)
    part = fuzz.partial_ratio(q, k) if min(len(q), len(k)) >= 4 else 0.0
    # a partial match of a very short query is weak evidence: discount it
    short = min(len(q), len(k)) / max(len(q), len(k))
    return max(full, part * (0.85 + 0.15 * min(1.0, short * 3)))


def consistent(resolved: Sequence[ResolvedAnchor]) -> list[int]:
    """Indices (into ``resolved``) of the largest set of anchors in time order (LIS)."""
    import bisect

    items = sorted(range(len(resolved)), key=lambda i: (resolved[i].segment, resolved[i].ms))
    tails: list[int] = []  # ms of the smallest tail of each length
    tail_idx: list[int] = []
    prev = [-1] * len(resolved)
    for i in items:
        v = resolved[i].ms
        j = bisect.bisect_right(tails, v)
        # same segment twice: keep one (strictly increasing segment order is implied by sort)
        if j > 0:
            prev[i] = tail_idx[j - 1]
        if j == len(tails):
            tails.append(v)
            tail_idx.append(i)
        else:
            tails[j] = v
            tail_idx[j] = i
    keep: list[int] = []
    k = tail_idx[-1] if tail_idx else -1
    while k >= 0:
        keep.append(k)
        k = prev[k]
    return sorted(keep)


def check_anchors(
    resolved: Sequence[ResolvedAnchor],
    times: Sequence[int | None] | None = None,
    *,
    tolerance: int = 1500,
) -> list[Conflict]:
    """Anchors that cannot hold.

    - "order": not in the largest set of anchors whose times rise with segment order;
    - "evidence": ``times`` (the engine's start per segment, None if unplaced) puts the
      segment more than ``tolerance`` ms from the anchor.
    """
    out: list[Conflict] = []
    keep = set(consistent(resolved))
    for i, r in enumerate(resolved):
        if i not in keep:
            out.append(Conflict(r.anchor, "order", r.segment, f"anchor {r.anchor.text!r}@{r.ms} ms is out of order with the other anchors"))
            continue
        if times is not None and r.segment < len(times):
            t = times[r.segment]
            if t is not None and abs(t - r.ms) > tolerance:
                out.append(Conflict(r.anchor, "evidence", r.segment, f"anchor {r.anchor.text!r}@{r.ms} ms: the evidence puts it at {t} ms"))
    return out


def check_result(alignment: Alignment, anchors: Sequence[Anchor], tolerance: int = TOLERANCE) -> Alignment:
    """Anchors against an engine that places by stronger evidence than a time a user read
    somewhere (speech recognition, a timed reference): never obeyed blindly, never ignored.

    An anchor within ``tolerance`` of its segment's start *confirms* it (the evidence's time
    is kept: it is the more precise); one farther away is a *conflict*: reported, and the
    segment's confidence capped at :data:`CONFLICT_CONFIDENCE`, since one of the two is
    wrong; one that names an unplaced segment, is out of order or matches no segment is
    reported and not used. ``stats["anchors"]`` lists every anchor with its status.
    """
    from dataclasses import replace

    if not anchors:
        return alignment
    segs = list(alignment.segments)
    unmatched: list[Conflict] = []
    duration = alignment.media.duration if alignment.media is not None else None
    resolved = resolve_anchors(alignment.transcript, list(anchors), duration=duration, unmatched=unmatched)
    order = {id(c.anchor) for c in check_anchors(resolved) if c.kind == "order"}
    info: list[dict[str, object]] = [{"text": c.anchor.text, "ms": c.anchor.ms, "status": "unmatched"} for c in unmatched]
    warnings = [f"{c.message}; not used" for c in unmatched]
    for r in resolved:
        seg = segs[r.segment]
        row: dict[str, object] = {"text": r.anchor.text, "ms": r.ms, "segment": r.segment, "engine_ms": seg.start}
        if id(r.anchor) in order:
            row["status"] = "order"
            warnings.append(f"anchor conflict: {r.anchor.text!r}@{r.ms} ms is out of order with the other anchors; not used")
        elif seg.start is None:
            row["status"] = "unplaced"
            warnings.append(f"anchor {r.anchor.text!r}@{r.ms} ms names a segment the media was not found to hold; reported, not used")
        elif abs(seg.start - r.ms) <= tolerance:
            row["status"] = "confirmed"
        else:
            row["status"] = "conflict"
            warnings.append(
                f"anchor conflict: {seg.text[:40]!r} anchored at {r.ms} ms, but the {alignment.engine} engine puts it at "
                f"{seg.start} ms; its confidence is capped at {CONFLICT_CONFIDENCE} (check the anchor or the media)"
            )
            if seg.confidence is not None and seg.confidence > CONFLICT_CONFIDENCE:
                segs[r.segment] = replace(seg, confidence=CONFLICT_CONFIDENCE)
        info.append(row)
    stats = dict(alignment.stats)
    stats["anchors"] = info
    stats["warnings"] = [*stats.get("warnings", ()), *warnings]
    return replace(alignment, transcript=replace(alignment.transcript, segments=tuple(segs)), stats=stats)
