"""The floor every real engine is compared with: segments spread over the media's
duration in proportion to their spoken length. It knows nothing of the audio.

The duration is the media's, or (no media) the last end time of the reference track.
Anchors (``--anchor "TEXT@TIME"``) pin the start of the segment whose text they match
best (``clipper.align.anchors``); between pins the spread is again proportional, so the timeline is piecewise
linear in spoken length. Every segment is placed, with confidence 0.

Options (``--option KEY=VALUE``): ``note_weight`` (int, default 8), the weight of a
non-speech event such as ``[laughter]`` in characters of speech.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..errors import InputError
from ..model import Alignment, Segment, Transcript, Word
from ..text import spoken_length
from . import AlignRequest, Anchor

__all__ = ["run", "spread_words", "resolve_anchors", "NOTE_WEIGHT"]

#: weight of a non-speech event ([laughter]) in characters of speech
NOTE_WEIGHT = 8

#: this engine pins ``request.anchors`` itself (the others are checked against the result)
PINS_ANCHORS = True

#: the ``--option`` settings this engine reads, and their types
OPTIONS: dict[str, tuple[type, ...]] = {"note_weight": (int,)}


def spread_words(words: tuple[Word, ...], start: int, end: int) -> tuple[Word, ...]:
    """Place words over [start, end] by their spoken length (integer ms, monotonic).

    >>> [(w.start, w.end) for w in spread_words((Word("ab"), Word("abcd")), 0, 800)]
    [(0, 300), (300, 800)]
    """
    return _spread(words, [spoken_length([w.text]) for w in words], start, end)


def _spread(words: tuple[Word, ...], lengths: list[int], start: int, end: int) -> tuple[Word, ...]:
    if not words:
        return ()
    total = sum(lengths)
    out = []
    acc = 0
    for w, n in zip(words, lengths, strict=True):
        a = start + (end - start) * acc // total
        acc += n
        b = start + (end - start) * acc // total
        out.append(Word(w.text, a, b, 0.0))
    return tuple(out)


def resolve_anchors(transcript: Transcript, anchors: Sequence[Anchor], duration: int) -> tuple[list[tuple[int, int]], list[str]]:
    """Pins ``(segment index, ms)`` from anchors, rising in both, inside ``[0, duration]``; and warnings.

    Segments are found by :func:`clipper.align.anchors.resolve_anchors` (the same for
    every engine); anchors outside the duration, matching nothing, or out of order with
    the largest consistent set (:func:`clipper.align.anchors.consistent`) are dropped, each
    with a warning.
    """
    if not anchors:
        return [], []
    from .anchors import Conflict, check_anchors, consistent
    from .anchors import resolve_anchors as find

    warnings: list[str] = []
    inside = []
    for a in anchors:
        if 0 <= a.ms <= duration:
            inside.append(a)
        else:
            warnings.append(f"anchor {a.text!r}@{a.ms} ms is outside the media (0-{duration} ms): dropped")
    unmatched: list[Conflict] = []
    resolved = find(transcript, inside, duration=duration, unmatched=unmatched)
    warnings += [c.message + ": dropped" for c in unmatched]
    warnings += [c.message + ": dropped" for c in check_anchors(resolved)]
    pins: list[tuple[int, int]] = []
    for i in consistent(resolved):
        seg, ms = resolved[i].segment, resolved[i].ms
        if pins and seg == pins[-1][0]:
            warnings.append(f"anchor {resolved[i].anchor.text!r} names a segment already pinned: dropped")
            continue
        pins.append((seg, ms))
    return pins, warnings


def _duration(request: AlignRequest) -> tuple[int, str]:
    if request.media is not None:
        return request.media.duration, "media"
    assert request.reference is not None
    ends = [s.end for s in request.reference.segments if s.end is not None]
    if not ends or max(ends) <= 0:
        raise InputError("the reference track has no times to take a duration from; give the media file too")
    return max(ends), "reference"


def run(request: AlignRequest) -> Alignment:
    """Spread the transcript's segments over the duration by spoken length."""
    tr = request.transcript
    duration, duration_from = _duration(request)
    note_weight = int(request.options.get("note_weight", NOTE_WEIGHT))
    if note_weight < 0:
        raise InputError(f"⟨--option⟩ note_weight={note_weight}: give 0 or more")
    # spoken_length is additive over tokens, so a segment's weight is its words' sum
    word_lengths = [[spoken_length([w.text]) for w in s.words] for s in tr.segments]
    weights = [sum(wl) if wl else note_weight for wl in word_lengths]
    # cumulative weight before each segment, and the total after the last
    cum = [0]
    for n in weights:
        cum.append(cum[-1] + n)
    pins, warnings = resolve_anchors(tr, request.anchors, duration)
    knots = [(0, 0), *((cum[i], ms) for i, ms in pins), (cum[-1], duration)]

    def at(x: int, k: int) -> int:
        """Time of cumulative weight ``x`` on the piece between knots k and k+1."""
        (x0, t0), (x1, t1) = knots[k], knots[k + 1]
        if x1 == x0:
            return t1
        return t0 + (t1 - t0) * (x - x0) // (x1 - x0)

    segs: list[Segment] = []
    k = 0
    for i, s in enumerate(tr.segments):
        while k + 2 < len(knots) and cum[i] >= knots[k + 1][0]:
            k += 1
        a = at(cum[i], k)
        # knots sit at segment starts, so this segment lies on piece k and ends where it says
        b = max(a, at(cum[i + 1], k))
        segs.append(s.with_times(a, b, confidence=0.0, words=_spread(s.words, word_lengths[i], a, b)))
        request.report("align", len(segs), len(tr.segments))
    return Alignment(
        transcript=replace(tr, segments=tuple(segs)),
        engine="uniform",
        media=request.media,
        settings={"note_weight": note_weight, "duration_from": duration_from},
        stats={
            "segments": len(segs),
            "placed": len(segs),
            "unplaced": 0,
            "duration": duration,
            "anchors_used": len(pins),
            "anchors_dropped": len(request.anchors) - len(pins),
            "warnings": warnings,
        },
    )
