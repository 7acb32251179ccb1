"""Takeaway timestamp hints resolved by evidence. Pure.

LongCut writes hints in mixed forms: ``[09:42:10]`` in a 7-hour interview can only be
9 min 42 s (as h:mm:ss it would be past the end), while ``[01:21:09]`` may be 1 h 21 min
or 1 min 21 s. Each hint keeps every plausible reading (``Hint.readings``); here each
reading is judged:

1. the media's duration rules out readings past the end;
2. the takeaway's words are scored (BM25, :class:`clipper.query.search.PassageIndex`) against
   the aligned text in passages near each remaining reading; the nearer and the better
   the passage, the higher the reading's evidence. The best wins; the others are
   rejected with the reason.

Hint times come from the original recording and an alignment may sit on a slightly
different timeline, so "near" grows with the time: ``max(150 s, 12 %)`` either side.

>>> [(r.ms, r.form) for r in readings_for("[09:42:10]")]
[(34930000, 'h:mm:ss'), (582000, 'mm:ss+field')]
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Alignment, Hint, Reading, Takeaway
from ..read.hints import readings_for  # the one hint reader; named here for resolve's callers
from ..timecode import format_clock
from .search import Passage, PassageIndex, terms

__all__ = ["readings_for", "Verdict", "ResolvedHint", "ResolvedTakeaway", "resolve_takeaways", "resolve_hint"]

#: search radius around a reading: at least this many ms ...
MIN_RADIUS = 150_000
#: ... or this share of the reading's time, whichever is larger
RADIUS_SHARE = 0.12


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the evidence says about one reading."""

    reading: Reading
    possible: bool
    score: float
    reason: str
    passage: Passage | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "ms": self.reading.ms,
            "form": self.reading.form,
            "clock": format_clock(self.reading.ms),
            "possible": self.possible,
            "score": round(self.score, 2),
            "reason": self.reason,
            "passage": self.passage.to_dict() if self.passage else None,
        }


@dataclass(frozen=True, slots=True)
class ResolvedHint:
    hint: Hint
    chosen: Verdict | None
    rejected: tuple[Verdict, ...]
    #: "only" (one possible reading), "clear", "weak" (close call), "none" (no text evidence)
    confidence: str

    def to_dict(self) -> dict[str, object]:
        return {
            "raw": self.hint.raw,
            "confidence": self.confidence,
            "chosen": self.chosen.to_dict() if self.chosen else None,
            "rejected": [v.to_dict() for v in self.rejected],
        }


@dataclass(frozen=True, slots=True)
class ResolvedTakeaway:
    index: int  # 1-based, as the user counts them
    takeaway: Takeaway
    hints: tuple[ResolvedHint, ...]

    @property
    def best(self) -> ResolvedHint | None:
        """The hint whose chosen reading has the strongest evidence (the clip's place)."""
        cands = [h for h in self.hints if h.chosen is not None]
        if not cands:
            return None
        return max(cands, key=lambda h: (h.chosen.score if h.chosen else 0.0, -self.hints.index(h)))

    def to_dict(self) -> dict[str, object]:
        return {
            "index": self.index,
            "title": self.takeaway.title,
            "text": self.takeaway.text,
            "hints": [h.to_dict() for h in self.hints],
        }


def _radius(ms: int) -> int:
    return max(MIN_RADIUS, int(ms * RADIUS_SHARE))


def _evidence(index: PassageIndex, query: list[str], ms: int) -> tuple[float, Passage | None]:
    """Best proximity-weighted passage score near ``ms``."""
    r = _radius(ms)
    best: tuple[float, Passage | None] = (0.0, None)
    segs = index.alignment.segments
    for k in index.windows_between(max(0, ms - r), ms + r):
        sc, hits = index.score(k, query)
        if sc <= 0:
            continue
        first = segs[index.windows[k][0]]
        d = abs((first.start or 0) - ms)
        weighted = sc * (1.0 - 0.5 * d / r)
        if weighted > best[0]:
            best = (weighted, index.passage(k, weighted, hits))
    return best


def resolve_hint(
    hint: Hint,
    takeaway: Takeaway,
    index: PassageIndex,
    duration: int | None,
) -> ResolvedHint:
    """Judge every reading of ``hint`` and choose one by evidence."""
    readings = hint.readings or readings_for(hint.raw)
    query = terms(f"{takeaway.title} {takeaway.text}")
    verdicts: list[Verdict] = []
    for r in readings:
        if duration is not None and r.ms >= duration:
            verdicts.append(
                Verdict(r, False, 0.0, f"impossible: {format_clock(r.ms)} is past the end of the media ({format_clock(duration)})")
            )
            continue
        sc, p = _evidence(index, query, r.ms)
        if p is None:
            why = f"no passage within {_radius(r.ms) // 1000} s shares the takeaway's words"
        else:
            why = (
                f"passage {format_clock(p.start)}-{format_clock(p.end)} "
                f"({(p.start - r.ms) / 1000:+.0f} s) shares {len(p.hits)} of {len(set(query))} terms: "
                + ", ".join(p.hits[:8])
            )
        verdicts.append(Verdict(r, True, sc, why, p))
    possible = [v for v in verdicts if v.possible]
    if not possible:
        return ResolvedHint(hint, None, tuple(verdicts), "none")
    ranked = sorted(possible, key=lambda v: -v.score)
    chosen = ranked[0]
    if len(possible) == 1:
        conf = "only" if chosen.score > 0 else "none"
    elif chosen.score <= 0:
        conf = "none"
    else:
        runner = ranked[1].score
        conf = "clear" if runner < 0.75 * chosen.score else "weak"
    rejected = []
    for v in verdicts:
        if v is chosen:
            continue
        if v.possible:
            v = Verdict(v.reading, True, v.score, f"weaker evidence ({v.score:.1f} vs {chosen.score:.1f}): {v.reason}", v.passage)
        rejected.append(v)
    return ResolvedHint(hint, chosen, tuple(rejected), conf)


def resolve_takeaways(
    alignment: Alignment,
    index: PassageIndex | None = None,
    duration: int | None = None,
) -> list[ResolvedTakeaway]:
    """Resolve every hint of every takeaway in ``alignment.transcript``.

    ``duration`` defaults to the media's (or the last placed segment's end).
    """
    idx = index if index is not None else PassageIndex(alignment)
    dur = duration if duration is not None else alignment.duration
    out = []
    for i, t in enumerate(alignment.transcript.takeaways, start=1):
        out.append(ResolvedTakeaway(i, t, tuple(resolve_hint(h, t, idx, dur) for h in t.hints)))
    return out
