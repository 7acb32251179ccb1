"""Fixing an alignment by hand: a segment's new times become an anchor, its neighbours follow.

:func:`retime` sets one segment's start and end and re-times the segments around it by a
piecewise-linear warp through the edit: on each side, everything between a pivot and the
segment's old edge is stretched or squeezed so that it meets the new edge. The pivot is
``window`` ms beyond the farther of the old and new edges, or the nearest segment fixed by an
earlier edit, whichever is closer, so a fix moves only its neighbourhood, never crosses an
earlier fix, keeps order and never makes segments overlap. Words move with their segment.
A segment that was not placed is placed by its edit (its words spread by spoken length),
and only the neighbours it would overlap move.

Each edit is recorded in ``settings["anchors"]`` (``source: "review"``, with the segment id
and both times), so the file says which times a person set; the segment's confidence is 1.

>>> from clipper.model import Alignment, Segment, Transcript, Word
>>> segs = (Segment(0, "a b", (Word("a", 0, 400), Word("b", 500, 1000)), 0, 1000, 0.9),
...         Segment(1, "c", (Word("c", 1000, 2000),), 1000, 2000, 0.9),
...         Segment(2, "d", (Word("d", 2000, 3000),), 2000, 3000, 0.9))
>>> al = Alignment(Transcript(segs), "speech")
>>> new, changed = retime(al, 1, 1500, 2000, window=1000)
>>> [(s.start, s.end) for s in new.segments], changed    # the line before follows its new start
([(0, 1500), (1500, 2000), (2000, 3000)], [0, 1])
>>> [(w.start, w.end) for w in new.segments[0].words]
[(0, 600), (750, 1500)]
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..model import Alignment, Segment, Word

__all__ = ["WINDOW", "retime", "save_with_backup", "backup_path"]

#: how far (ms) beyond an edit its neighbours are re-timed
WINDOW = 10_000

Warp = Callable[[int], int]


def _linear(a0: int, a1: int, b0: int, b1: int) -> Warp:
    """Map [a0, a1] onto [b0, b1]; times outside are clamped to the nearer end."""

    def f(t: int) -> int:
        if a1 <= a0:
            return b1
        t = min(max(t, a0), a1)
        return b0 + (t - a0) * (b1 - b0) // (a1 - a0)

    return f


def _warp_words(words: tuple[Word, ...], f: Warp) -> tuple[Word, ...]:
    """``words`` with their times mapped by ``f`` (words not placed stay so)."""
    return tuple(
        Word(w.text, f(w.start), max(f(w.start), f(w.end)), w.confidence) if w.start is not None and w.end is not None else w
        for w in words
    )


def _warp_segment(seg: Segment, f: Warp, lo: int, hi: int) -> Segment:
    """``seg`` with every time inside [lo, hi] mapped by ``f`` (times outside stay)."""

    def g(t: int) -> int:
        return f(t) if lo <= t <= hi else t

    assert seg.start is not None and seg.end is not None
    start = g(seg.start)
    return replace(seg, start=start, end=max(start, g(seg.end)), words=_warp_words(seg.words, g))


def _fixed(al: Alignment, seg_id: int) -> set[int]:
    return {
        int(a["segment"])
        for a in al.settings.get("anchors", ())
        if isinstance(a, dict) and a.get("source") == "review" and isinstance(a.get("segment"), int) and a["segment"] != seg_id
    }


def retime(al: Alignment, seg_id: int, start: int, end: int, *, window: int = WINDOW) -> tuple[Alignment, list[int]]:
    """Set segment ``seg_id`` to [start, end] (ms) and re-time its neighbours (see the module).

    Returns the new alignment and the indices (into ``segments``) of every segment whose
    times changed, the edited one included.

    Raises:
        InputError: no such segment, times that are not whole ms, an empty or reversed span,
            a span outside the media, one that would cross a segment fixed by an earlier edit,
            or a segment not placed put more than ``window`` across the segments around it.
    """
    segs = list(al.segments)
    index = next((k for k, s in enumerate(segs) if s.id == seg_id), None)
    if index is None:
        raise InputError(f"segment {seg_id}: no such segment in this alignment")
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) or isinstance(end, bool):
        raise InputError(f"segment {seg_id}: times are whole milliseconds, got {start!r} and {end!r}")
    if not 0 <= start < end:
        raise InputError(f"segment {seg_id}: {start}-{end} ms is not a span; the end must be after the start, both 0 or more")
    duration = al.duration
    if al.media is not None and end > al.media.duration:
        raise InputError(f"segment {seg_id}: ends at {end} ms, past the media's end ({al.media.duration} ms)")
    fixed = _fixed(al, seg_id)
    left_fix = max((segs[k].end or 0 for k in range(index) if segs[k].id in fixed and segs[k].placed), default=0)
    right_fix = min(
        (segs[k].start or 0 for k in range(index + 1, len(segs)) if segs[k].id in fixed and segs[k].placed),
        default=duration if duration is not None else max(end, max((s.end or 0 for s in segs), default=end)) + window,
    )
    right_fix = max(right_fix, end) if duration is None else right_fix
    if start < left_fix or end > right_fix:
        raise InputError(
            f"segment {seg_id}: {start}-{end} ms would cross a segment fixed by an earlier edit "
            f"({left_fix}-{right_fix} ms is free); fix that one first"
        )
    old = segs[index]
    before = [k for k in range(index) if segs[k].placed]
    after = [k for k in range(index + 1, len(segs)) if segs[k].placed]
    if old.placed:
        assert old.start is not None and old.end is not None
        o_start, o_end = old.start, old.end
    else:  # only what the new span would overlap moves, and only within the window
        o_start = max([start] + [segs[k].end or 0 for k in before])
        o_end = min([end] + [segs[k].start or 0 for k in after])
        if o_start - start > window:
            k = max(before, key=lambda j: segs[j].end or 0)
            raise InputError(f"segment {seg_id} comes after segment {segs[k].id}, which ends at {segs[k].end} ms: place it later, or fix that one first")
        if end - o_end > window:
            k = min(after, key=lambda j: segs[j].start or 0)
            raise InputError(f"segment {seg_id} comes before segment {segs[k].id}, which starts at {segs[k].start} ms: place it earlier, or fix that one first")
    changed: list[int] = []
    # left: [pivot, o_start] -> [pivot, start]
    lp = max(left_fix, min(o_start, start) - window)
    if o_start != start:
        f = _linear(lp, o_start, lp, start)
        for k in before:
            s = segs[k]
            assert s.start is not None and s.end is not None
            if s.end > lp:
                new = _warp_segment(s, f, lp, max(o_start, s.end))
                if (new.start, new.end) != (s.start, s.end) or new.words != s.words:
                    segs[k] = new
                    changed.append(k)
    # right: [o_end, pivot] -> [end, pivot]
    rp = min(right_fix, max(o_end, end) + window)
    if o_end != end:
        g = _linear(o_end, rp, end, rp)
        for k in after:
            s = segs[k]
            assert s.start is not None and s.end is not None
            if s.start < rp:
                new = _warp_segment(s, g, min(o_end, s.start), rp)
                if (new.start, new.end) != (s.start, s.end) or new.words != s.words:
                    segs[k] = new
                    changed.append(k)
    if old.placed:
        words = _warp_words(old.words, _linear(o_start, o_end, start, end))
    else:
        from ..align.uniform import spread_words

        words = spread_words(old.words, start, end)
    segs[index] = replace(old, start=start, end=end, words=words, confidence=1.0)
    changed.append(index)
    anchors = [a for a in al.settings.get("anchors", ()) if not (isinstance(a, dict) and a.get("source") == "review" and a.get("segment") == seg_id)]
    anchors.append({"text": " ".join(old.text.split()[:8]), "ms": start, "source": "review", "segment": seg_id, "end": end})
    settings: dict[str, Any] = {**al.settings, "anchors": anchors}
    stats: dict[str, Any] = {**al.stats, "review_edits": int(al.stats.get("review_edits", 0)) + 1}
    if "placed" in stats:
        stats["placed"] = sum(1 for s in segs if s.placed)
    tr = replace(al.transcript, segments=tuple(segs))
    return replace(al, transcript=tr, settings=settings, stats=stats), sorted(changed)


def backup_path(path: str | os.PathLike[str]) -> Path:
    """Where :func:`save_with_backup` keeps the version before the last save."""
    p = Path(path)
    return p.with_name(p.name + ".bak")


def save_with_backup(al: Alignment, path: str | os.PathLike[str]) -> Path:
    """Save ``al`` over ``path`` atomically, keeping the version it replaces at
    :func:`backup_path` (itself replaced atomically). Returns the backup's path."""
    from ..alignfile import save

    p = Path(path)
    bak = backup_path(p)
    if p.exists():
        tmp = bak.with_name(f".{bak.name}.part")
        try:
            shutil.copy2(p, tmp)
            os.replace(tmp, bak)
        finally:
            tmp.unlink(missing_ok=True)
    save(al, p, force=True)
    return bak

