"""The floor every real engine is compared with: segments spread over the media's
duration in proportion to their spoken length. It knows nothing of the audio."""

from __future__ import annotations

from dataclasses import replace

from ..model import Alignment, Segment, Word
from ..text import spoken_length
from . import AlignRequest

__all__ = ["run", "spread_words"]

#: weight of a non-speech event ([laughter]) in characters of speech
NOTE_WEIGHT = 8


def spread_words(words: tuple[Word, ...], start: int, end: int) -> tuple[Word, ...]:
    """Place words over [start, end] by their spoken length (integer ms, monotonic)."""
    if not words:
        return ()
    lengths = [spoken_length([w.text]) for w in words]
    total = sum(lengths)
    out = []
    acc = 0
    for w, n in zip(words, lengths):
        a = start + (end - start) * acc // total
        acc += n
        b = start + (end - start) * acc // total
        out.append(Word(w.text, a, b, 0.0))
    return tuple(out)


def run(request: AlignRequest) -> Alignment:
    tr = request.transcript
    if request.media is not None:
        duration = request.media.duration
    else:
        assert request.reference is not None
        ends = [s.end for s in request.reference.segments if s.end is not None]
        duration = max(ends) if ends else 0
    weights = [spoken_length([w.text for w in s.words]) if s.words else NOTE_WEIGHT for s in tr.segments]
    total = sum(weights) or 1
    segs: list[Segment] = []
    acc = 0
    for s, n in zip(tr.segments, weights):
        a = duration * acc // total
        acc += n
        b = duration * acc // total
        segs.append(s.with_times(a, b, confidence=0.0, words=spread_words(s.words, a, b)))
        request.report("align", len(segs), len(tr.segments))
    return Alignment(
        transcript=replace(tr, segments=tuple(segs)),
        engine="uniform",
        media=request.media,
        settings={},
        stats={"segments": len(segs), "placed": len(segs)},
    )
