"""Spans -> a clip plan, and the clip manifest. Pure: no ffmpeg, no files (but the
manifest's read/write helpers at the end, which go through :mod:`clipper.io`).

:func:`plan` turns what the user asked for (a quote's words, a takeaway's passage, a
range) into the spans to cut. Each clip is planned from its own request alone, so asking
for other clips at the same time never moves its edges:

1. **sentences**: an edge a few words inside a segment or sentence moves out to its
   boundary, so a clip does not begin or end mid-thought;
2. **pauses**: each edge lies in the pause next to its word: the start ``handle_before``
   ms before the first word but no earlier than the middle of the pause before it (the
   end likewise, ``handle_after`` ms after the last word, no later than the middle of the
   pause after it), so neither a handle nor rounding reaches a neighbouring word;
3. **frames**: with video, the edge moves to a frame boundary in the direction that stays
   in its half of the pause (earlier for a start, later for an end; the other way when
   that would leave the half; failing both, anywhere in the pause). A pause that holds no
   frame boundary (words spoken together) cannot be cut cleanly on a frame. A re-encode
   (accurate mode) then cuts on the frame just outside the pause and silences the sound
   from there to the pause (``mute_head`` / ``mute_tail``, under a frame), so no part of
   the neighbouring word is heard; a stream copy cannot, so its clip takes in the
   neighbouring word and uses the pause beyond it (up to :data:`MAX_EXTEND_WORDS`), and
   says so;
4. **fast mode** (stream copy): the start moves back to the keyframe before it, or to an
   earlier one within :data:`FAST_MAX_BACK` when that one is inside a word and the earlier
   one is in a pause; a start left inside a word is said in the notes. A copy ends on whole
   audio packets, so the end keeps one packet (``audio_packet`` ms) clear of the next word;
5. **media**: edges stay within ``[0, duration]``;
6. **merge**: clips whose requests overlap (the same words asked for twice) become one, and
   the notes say so; other clips are kept as planned alone, even when their handles or
   sentence snapping make them share some audio (the notes say that too).

Clip names are readable and unique: ``01-turned-down-openai``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING

from ..errors import InputError
from ..model import Alignment, Segment, Span, Transcript, Word
from ..query.search import timed_words
from ..timecode import format_clock, frames_to_ms
from .manifest import (  # the one manifest model (clipper.clips.manifest); named here for cut's callers
    MANIFEST_CSV,
    MANIFEST_JSON,
    Manifest,
    ManifestClip,
    load_manifest,
    manifest_to_csv,
    manifest_to_json,
    save_manifest,
)

if TYPE_CHECKING:
    from ..query.resolve import ResolvedTakeaway
    from ..query.search import PassageIndex

__all__ = [
    "KINDS",
    "ClipRequest",
    "PlanOptions",
    "PlannedClip",
    "Keyframes",
    "FAST_MAX_BACK",
    "stream_copy_packet",
    "plan",
    "slug",
    "clip_alignment",
    "clip_subtitles",
    "parse_range",
    "build_requests",
    "ManifestClip",
    "Manifest",
    "manifest_to_json",
    "manifest_to_csv",
    "save_manifest",
    "load_manifest",
    "MANIFEST_JSON",
    "MANIFEST_CSV",
]

KINDS = ("quote", "takeaway", "topic", "range")
#: how far back (ms) fast mode may go for a keyframe that is not inside a word
FAST_MAX_BACK = 15_000
#: how many words an edge may take in, looking for a pause that holds a frame boundary
MAX_EXTEND_WORDS = 8
_SENTENCE_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f][\"'\u201d\u2019)\]]*$")

#: keyframes for fast mode: all known ones, or a function giving those up to
#: :data:`FAST_MAX_BACK` before a time (so a clip's keyframe never depends on other clips)
Keyframes = Sequence[int] | Callable[[int], Sequence[int]]


def stream_copy_packet(sample_rate: int | None) -> int:
    """ms of the longest audio packet a stream copy may end on: 1152 samples (MP3; AAC
    packs 1024, Opus at most 960 at 48 kHz) at the source's rate; 27 ms when unknown.

    >>> stream_copy_packet(48000), stream_copy_packet(44100), stream_copy_packet(None)
    (24, 27, 27)
    """
    if not sample_rate:
        return 27
    return -(-1152 * 1000 // sample_rate)


@dataclass(frozen=True, slots=True)
class ClipRequest:
    """What the user asked for: ``[start, end]`` is the content (first word start to last
    word end for a quote; the passage for a takeaway or topic; the range as typed)."""

    kind: str
    label: str
    start: int
    end: int
    text: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"clip kind {self.kind!r} is not one of {KINDS}")
        if self.start > self.end:
            raise ValueError(f"clip {self.label!r}: start {self.start} > end {self.end}")


@dataclass(frozen=True, slots=True)
class PlanOptions:
    #: ms before the first word, and after the last, kept when the pause allows (see plan)
    handle_before: int = 250
    handle_after: int = 400
    mode: str = "accurate"  # or "fast"
    #: extend to the segment/sentence boundary when it is at most this many words away
    sentence_words: int = 3
    #: clips whose requests overlap become one; False refuses them instead
    merge: bool = True

    def __post_init__(self) -> None:
        if self.mode not in ("accurate", "fast"):
            raise ValueError(f"mode must be 'accurate' or 'fast', not {self.mode!r}")
        if self.handle_before < 0 or self.handle_after < 0:
            raise ValueError("handles are not negative")


@dataclass(frozen=True, slots=True)
class PlannedClip:
    """One clip to cut. ``span`` is cut from the source; ``content`` is the words it is for;
    ``sources`` are the positions (0-based) of the requests it serves, in request order."""

    index: int
    name: str
    kind: str
    label: str
    text: str
    requested: Span
    content: Span
    span: Span
    notes: tuple[str, ...] = ()
    sources: tuple[int, ...] = ()
    #: ms of the clip's sound silenced at its start / end: the frame edge lies up to a frame
    #: inside a neighbouring word (accurate mode, words spoken together), which is not heard
    mute_head: int = 0
    mute_tail: int = 0

    @property
    def handle_before(self) -> int:
        return max(0, self.content.start - self.span.start)

    @property
    def handle_after(self) -> int:
        return max(0, self.span.end - self.content.end)


def slug(text: str, max_words: int = 5, max_len: int = 40) -> str:
    """A file-name-safe, readable slug.

    >>> slug("Turned down OpenAI for FAIR twice")
    'turned-down-openai-for-fair'
    >>> slug("Ça, c'est l'été!")
    'ca-cest-lete'
    >>> slug("???")
    'clip'
    """
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    t = t.replace("'", "")
    words = re.findall(r"[a-z0-9]+", t)[:max_words]
    s = "-".join(words)[:max_len].strip("-")
    return s or "clip"


# --------------------------------------------------------------------------------------
# the timeline of words

@dataclass(frozen=True, slots=True)
class _Tok:
    start: int
    end: int
    sentence_start: bool
    sentence_end: bool


def _tokens(alignment: Alignment) -> list[_Tok]:
    """Placed words in time order, with sentence/segment boundary flags."""
    out: list[_Tok] = []
    for seg in alignment.segments:
        ws = [w for w in timed_words(seg) if w.start is not None and w.end is not None]
        for i, w in enumerate(ws):
            assert w.start is not None and w.end is not None
            first = i == 0 or bool(_SENTENCE_END.search(ws[i - 1].text))
            last = i == len(ws) - 1 or bool(_SENTENCE_END.search(w.text))
            out.append(_Tok(w.start, w.end, first, last))
    out.sort(key=lambda t: (t.start, t.end))
    return out


class _Timeline:
    def __init__(self, alignment: Alignment) -> None:
        self.toks = _tokens(alignment)
        self.starts = [t.start for t in self.toks]
        #: ``ends_before[i]``: the latest end among ``toks[:i]`` (a word may overlap the next)
        self.ends_before = [0]
        for t in self.toks:
            self.ends_before.append(max(self.ends_before[-1], t.end))

    def first_at(self, ms: int) -> int | None:
        """Index of the first word ending after ``ms`` (the word at or after ``ms``)."""
        i = bisect_right(self.starts, ms) - 1
        if i >= 0 and self.toks[i].end > ms:
            return i
        return i + 1 if i + 1 < len(self.toks) else None

    def last_at(self, ms: int) -> int | None:
        """Index of the last word starting before ``ms``."""
        i = bisect_right(self.starts, ms - 1) - 1
        return i if i >= 0 else None

    def inside_word(self, ms: int) -> bool:
        """True when ``ms`` falls strictly inside a word."""
        i = bisect_right(self.starts, ms - 1)  # words starting before ms
        return self.ends_before[i] > ms

    def sentence_start(self, i: int, max_words: int) -> int:
        for k in range(i, max(-1, i - max_words - 1), -1):
            if self.toks[k].sentence_start:
                return k
        return i

    def sentence_end(self, j: int, max_words: int) -> int:
        for k in range(j, min(len(self.toks), j + max_words + 1)):
            if self.toks[k].sentence_end:
                return k
        return j


#: the last alignment planned and its timeline: planning clip after clip (a property
#: test, a caller comparing plans) need not rebuild it; the alignment is immutable and
#: held here, so its id cannot be reused while cached
_LAST: list[tuple[Alignment, _Timeline]] = []


def _timeline(alignment: Alignment) -> _Timeline:
    if _LAST and _LAST[0][0] is alignment:
        return _LAST[0][1]
    tl = _Timeline(alignment)
    _LAST[:] = [(alignment, tl)]
    return tl


def _frame_at_or_before(ms: int, fps: Fraction) -> int:
    """The last frame boundary (as :func:`clipper.timecode.frames_to_ms` writes it) <= ``ms``."""
    f = math.floor(Fraction(ms, 1000) * fps)
    while frames_to_ms(f + 1, fps) <= ms:
        f += 1
    while f > 0 and frames_to_ms(f, fps) > ms:
        f -= 1
    return frames_to_ms(f, fps)


def _frame_at_or_after(ms: int, fps: Fraction) -> int:
    """The first frame boundary >= ``ms``."""
    f = math.ceil(Fraction(ms, 1000) * fps)
    while f > 0 and frames_to_ms(f - 1, fps) >= ms:
        f -= 1
    while frames_to_ms(f, fps) < ms:
        f += 1
    return frames_to_ms(f, fps)


def _place_start(tl: _Timeline, i: int, c0: int, handle: int, fps: Fraction | None, slack: int) -> int | None:
    """A start for content beginning at ``c0`` whose preceding words are ``toks[:i]``: in
    the pause before ``c0``, ``handle`` ms early but not before the pause's middle, on a
    frame boundary; None when that pause holds no such point.

    Rounding goes earlier (more lead-in) unless that crosses the middle of the pause, so
    the clips of two neighbouring requests do not overlap when the pause has a frame
    boundary on each side of its middle; failing that, anywhere in the pause."""
    if i == 0:
        lo = mid = 0  # the media's start: no word to keep clear of
        want = c0 - handle
    else:
        p = tl.ends_before[i]
        lo, mid = p + slack, (p + c0 + 1) // 2
        want = max(c0 - handle, mid)
    if lo > c0:
        return None
    want = min(max(want, lo), c0)
    if fps is None:
        return want
    early, late = _frame_at_or_before(want, fps), _frame_at_or_after(want, fps)
    for e in (early, late) if early >= max(lo, mid) else (late, early):
        if lo <= e <= c0:
            return e
    return None


def _place_end(tl: _Timeline, j: int, c1: int, handle: int, fps: Fraction | None, slack: int, duration: int) -> int | None:
    """An end for content ending at ``c1`` whose following words are ``toks[j:]``, as
    :func:`_place_start` mirrored; the media's end is always a possible end."""
    if c1 >= duration:
        return duration
    if j >= len(tl.toks):
        hi = mid = duration
        want = c1 + handle
    else:
        n = tl.toks[j].start
        hi, mid = min(duration, n - slack), (c1 + n) // 2
        want = min(c1 + handle, mid)
    if hi < c1:
        return None
    want = max(min(want, hi), c1)
    if fps is None:
        return want
    early, late = _frame_at_or_before(want, fps), _frame_at_or_after(want, fps)
    for e in (late, early) if late <= min(hi, mid) else (early, late):
        if c1 <= e <= hi:
            return e
    return duration if hi == duration else None


def _at(ms: int) -> str:
    return f"{format_clock(ms)}.{ms % 1000:03d}"


def _plan_one(
    r: ClipRequest,
    tl: _Timeline,
    duration: int,
    options: PlanOptions,
    fps: Fraction | None,
    keyframes: Keyframes | None,
    packet: int,
) -> PlannedClip:
    """One request's clip, from that request alone."""
    notes: list[str] = []
    toks = tl.toks
    c0, c1 = max(0, r.start), min(duration, r.end)
    i = tl.first_at(c0) if toks else None
    j = tl.last_at(c1) if toks else None
    if i is not None and j is not None and i <= j:
        if r.kind == "range":
            # a range keeps its edges, but not inside a word: the word is kept whole
            if toks[i].start < c0:
                c0 = toks[i].start
                notes.append(f"start moved to {_at(c0)} to keep a word whole")
            if toks[j].end > c1:
                c1 = toks[j].end
                notes.append(f"end moved to {_at(c1)} to keep a word whole")
        else:
            si = tl.sentence_start(i, options.sentence_words)
            sj = tl.sentence_end(j, options.sentence_words)
            if si != i:
                notes.append(f"start extended {i - si} word(s) back to the sentence start")
            if sj != j:
                notes.append(f"end extended {sj - j} word(s) to the sentence end")
            i, j = si, sj
            c0 = toks[i].start
        c1 = max(c1, max(t.end for t in toks[i : j + 1]))
        before, after = i, j + 1  # toks[:before] precede the content, toks[after:] follow it
    else:
        # no word in the span (a range in a pause): the words around it still bound it
        before = after = i if i is not None else len(toks)
    c1 = min(c1, duration)
    slack = packet if options.mode == "fast" else 0

    head = tail = 0
    if options.mode == "accurate" and fps is not None:
        # a re-encode can silence the sound it must not play: when the pause holds no frame
        # boundary, the edge goes to the frame just outside it and the sliver of the
        # neighbouring word is muted, rather than taking in whole words
        q0 = _place_start(tl, before, c0, options.handle_before, fps, 0)
        if q0 is None:
            cut0 = _place_start(tl, before, c0, options.handle_before, None, 0)
            if cut0 is not None:
                q0 = _frame_at_or_before(cut0, fps)
                head = cut0 - q0
                notes.append(f"start on the frame at {_at(q0)}, its first {head} ms silenced: the pause before the first word holds no frame boundary")
        q1 = _place_end(tl, after, c1, options.handle_after, fps, 0, duration)
        if q1 is None:
            cut1 = _place_end(tl, after, c1, options.handle_after, None, 0, duration)
            if cut1 is not None:
                q1 = min(_frame_at_or_after(cut1, fps), duration)
                tail = q1 - cut1
                notes.append(f"end on the frame at {_at(q1)}, its last {tail} ms silenced: the pause after the last word holds no frame boundary")
        s0 = q0 if q0 is not None else _search_start(tl, before, c0, options.handle_before, fps, slack, notes)
        s1 = q1 if q1 is not None else _search_end(tl, after, c1, options.handle_after, fps, slack, duration, notes)
    else:
        s0 = _search_start(tl, before, c0, options.handle_before, fps, slack, notes)
        s1 = _search_end(tl, after, c1, options.handle_after, fps, slack, duration, notes)
    if options.mode == "fast" and fps is not None and keyframes is not None:
        s0 = _keyframe_start(tl, s0, keyframes, notes)
    if s1 <= s0:
        raise InputError(f"{r.kind} {r.label!r} is empty after clamping to the media; give a longer span")
    return PlannedClip(0, "", r.kind, r.label, r.text, Span(r.start, r.end), Span(min(c0, c1), max(c0, c1)), Span(s0, s1),
                       tuple(notes), mute_head=head, mute_tail=tail)


def _tries(fps: Fraction | None, slack: int) -> list[tuple[Fraction | None, int]]:
    """What an edge may give up, in order, when no pause nearby allows better: first the
    frame grid, then the stream copy's packet of room."""
    out: list[tuple[Fraction | None, int]] = [(fps, slack)]
    for t in ((None, slack), (None, 0)):
        if t not in out:
            out.append(t)
    return out


def _search_start(tl: _Timeline, before: int, c0: int, handle: int, fps: Fraction | None, slack: int, notes: list[str]) -> int:
    """The clip's start: in the pause before ``c0``, or before up to :data:`MAX_EXTEND_WORDS`
    earlier words when that pause is too short (said in ``notes``)."""
    for fr, sl in _tries(fps, slack):
        k, cs = before, c0
        for _ in range(MAX_EXTEND_WORDS + 1):
            s0 = _place_start(tl, k, cs, handle, fr, sl)
            if s0 is not None:
                if k < before:
                    why = "to cut on a frame" if (fr, sl) == (fps, slack) else "for a cut"
                    notes.append(f"start moved back {before - k} word(s): the pause before the first word is too short {why}")
                if fr is None and fps is not None:
                    notes.append(f"start {_at(s0)} is not on a frame: no pause within {MAX_EXTEND_WORDS} words before the clip holds a frame boundary")
                if sl < slack:
                    notes.append(f"a stream copy may begin up to {slack} ms before {_at(s0)}, inside the word before")
                return s0
            if k == 0:
                break
            k -= 1
            cs = min(cs, tl.toks[k].start)
    notes.append(f"start {_at(c0)} touches the word before it (the words overlap)")
    return c0


def _search_end(
    tl: _Timeline, after: int, c1: int, handle: int, fps: Fraction | None, slack: int, duration: int, notes: list[str]
) -> int:
    """The clip's end, as :func:`_search_start` mirrored."""
    for fr, sl in _tries(fps, slack):
        k, ce = after, c1
        for _ in range(MAX_EXTEND_WORDS + 1):
            s1 = _place_end(tl, k, ce, handle, fr, sl, duration)
            if s1 is not None:
                if k > after:
                    why = "to cut on a frame" if fr is not None else "for a cut"
                    if sl:
                        why = "for a stream copy's last audio packet" + (" on a frame" if fr is not None else "")
                    notes.append(f"end moved on {k - after} word(s): the pause after the last word is too short {why}")
                if fr is None and fps is not None:
                    notes.append(f"end {_at(s1)} is not on a frame: no pause within {MAX_EXTEND_WORDS} words after the clip holds a frame boundary")
                if sl < slack:
                    notes.append(f"a stream copy may end up to {slack} ms after {_at(s1)}, inside the next word")
                return s1
            if k >= len(tl.toks):
                break
            ce = min(duration, max(ce, tl.toks[k].end))
            k += 1
    notes.append(f"end {_at(c1)} touches the word after it (the words overlap)")
    return c1


def _keyframe_start(tl: _Timeline, s0: int, keyframes: Keyframes, notes: list[str]) -> int:
    """The keyframe a stream copy of a clip planned to start at ``s0`` really starts on."""
    known = keyframes(s0) if callable(keyframes) else keyframes
    kf = sorted(k for k in known if k <= s0)
    if not kf:
        raise InputError(f"fast mode needs a keyframe before {_at(s0)} and none was found; use ⟨--mode⟩ accurate")
    key = kf[-1]
    if tl.inside_word(key):
        # a keyframe inside a word would start the clip mid-word: take the latest earlier
        # one that falls in a pause, if one is near enough
        clean = [k for k in kf if s0 - k <= FAST_MAX_BACK and not tl.inside_word(k)]
        if clean:
            key = clean[-1]
        else:
            notes.append(
                f"fast mode: the clip starts inside a word at {_at(key)} (no keyframe in a pause within "
                f"{FAST_MAX_BACK // 1000} s before it); use --mode accurate for a clean start"
            )
    if key != s0:
        notes.append(f"fast mode: start moved {(s0 - key) / 1000:.3f} s earlier to the keyframe at {_at(key)}")
    return key


def _overlap(a: Span, b: Span) -> bool:
    return a == b or (a.start < b.end and b.start < a.end)


def plan(
    requests: Sequence[ClipRequest],
    alignment: Alignment,
    duration: int,
    options: PlanOptions = PlanOptions(),
    fps: Fraction | None = None,
    keyframes: Keyframes | None = None,
    audio_packet: int = 27,
) -> list[PlannedClip]:
    """Cut spans for ``requests``: snapped, handled, framed, clamped, merged, named.

    Every clip is planned from its own request (the module docstring has the rules), so
    its span is the same whatever else is requested, unless two requests overlap.

    Args:
        requests: what to cut, in any order.
        alignment: word times decide the pauses and sentence boundaries.
        duration: the media's duration (ms); requests must lie inside it.
        options: handles, mode, sentence snapping, merging.
        fps: the video frame rate (None for audio-only media: edges are then any ms).
        keyframes: keyframe times (ms), or a function giving those before a time;
            needed for ``fast`` mode with video.
        audio_packet: ms of the source's longest audio packet (:func:`stream_copy_packet`):
            how far a stream copy's end may run past the planned end (``fast`` mode).

    Returns:
        Clips sorted by start, indexed from 1. Two clips share audio only where their
        handles or sentences meet in a pause; their notes say so.

    Raises:
        InputError: a request outside the media, fast mode without keyframes, overlapping
            requests with ``merge=False``.
    """
    tl = _timeline(alignment)
    if options.mode == "fast" and fps is not None and (keyframes is None or (not callable(keyframes) and not keyframes)):
        raise InputError("fast mode needs the video's keyframes and none were found; use ⟨--mode⟩ accurate")
    made: list[PlannedClip] = []
    for n, r in enumerate(requests):
        if r.start >= duration or r.end <= 0:
            raise InputError(
                f"{r.kind} {r.label!r} ({format_clock(r.start)}-{format_clock(r.end)}) is outside the media "
                f"(0:00-{format_clock(duration)}); give times inside it"
            )
        if r.kind == "range" and r.end > duration:
            raise InputError(
                f"range {format_clock(r.start)}-{format_clock(r.end)} ends after the media "
                f"({format_clock(duration)}); give times inside it"
            )
        made.append(replace(_plan_one(r, tl, duration, options, fps, keyframes, audio_packet), sources=(n,)))
    # the same words asked for twice become one clip; nothing else changes a clip
    made.sort(key=lambda c: (c.requested.start, c.requested.end))
    merged: list[PlannedClip] = []
    for c in made:
        m = merged[-1] if merged else None
        if m is None or not _overlap(m.requested, c.requested):
            merged.append(c)
            continue
        if not options.merge:
            raise InputError(f"{c.kind} {c.label!r} overlaps {m.kind} {m.label!r}; cut them separately")
        merged[-1] = replace(
            m,
            label=f"{m.label} + {c.label}",
            text=" ".join(t for t in (m.text, c.text) if t),
            requested=Span(min(m.requested.start, c.requested.start), max(m.requested.end, c.requested.end)),
            content=Span(min(m.content.start, c.content.start), max(m.content.end, c.content.end)),
            span=Span(min(m.span.start, c.span.start), max(m.span.end, c.span.end)),
            notes=(*m.notes, *c.notes, f"merged with {c.kind} {c.label!r}: they ask for some of the same words"),
            sources=(*m.sources, *c.sources),
            mute_head=m.mute_head if m.span.start <= c.span.start else c.mute_head,
            mute_tail=m.mute_tail if m.span.end >= c.span.end else c.mute_tail,
        )
    merged.sort(key=lambda c: (c.span.start, c.span.end))
    out = []
    seen: dict[str, int] = {}
    for n, c in enumerate(merged, start=1):
        base = slug(c.label)
        seen[base] = seen.get(base, 0) + 1
        name = f"{n:02d}-{base}" if seen[base] == 1 else f"{n:02d}-{base}-{seen[base]}"
        out.append(replace(c, index=n, name=name))
    for a in range(len(out)):
        for b in range(a + 1, len(out)):
            x, y = out[a], out[b]
            if y.span.start >= x.span.end:
                break
            shared = min(x.span.end, y.span.end) - y.span.start
            out[a] = x = replace(x, notes=(*x.notes, f"shares {shared} ms with clip {y.name} (each is cut as it would be alone)"))
            out[b] = replace(y, notes=(*y.notes, f"shares {shared} ms with clip {x.name} (each is cut as it would be alone)"))
    return out


# --------------------------------------------------------------------------------------
# per-clip subtitles

def clip_alignment(alignment: Alignment, span: Span) -> Alignment:
    """The part of ``alignment`` inside ``span``, re-based so the clip starts at 0.

    Words inside the span are kept (shifted); a segment cut by the span keeps only its
    words inside, and shows only them; a non-speech event is kept when it lies inside.
    """
    dur = span.duration
    segs: list[Segment] = []
    for seg in alignment.segments:
        if seg.start is None or seg.end is None or seg.end <= span.start or seg.start >= span.end:
            continue
        words = timed_words(seg)
        inside = [w for w in words if w.start is not None and w.end is not None and w.start >= span.start and w.end <= span.end]
        if seg.spoken and not inside:
            continue
        if not seg.spoken and not (seg.start >= span.start and seg.end <= span.end):
            continue

        def shift(t: int) -> int:
            return min(dur, max(0, t - span.start))

        moved = tuple(Word(w.text, shift(w.start or 0), shift(w.end or 0), w.confidence) for w in inside)
        whole = len(inside) == len(words)
        text = seg.text if whole else " ".join(w.text for w in inside)
        a = moved[0].start if moved else shift(seg.start)
        b = moved[-1].end if moved else shift(seg.end)
        assert a is not None and b is not None
        segs.append(replace(seg, text=text, words=moved, start=a, end=max(a, b)))
    tr = Transcript(tuple(segs), meta=dict(alignment.transcript.meta))
    media = replace(alignment.media, duration=dur, start_time=0) if alignment.media is not None else None
    return Alignment(tr, engine=alignment.engine, media=media, settings=dict(alignment.settings), stats={"clip_of": [span.start, span.end]})


def clip_subtitles(
    alignment: Alignment, span: Span, fps: tuple[int, int] | None = None, lines: tuple[int, int] | None = None
) -> tuple[str, str]:
    """SRT and WebVTT text for the clip ``span``, re-based so the clip starts at 0.

    Cues come from :func:`clipper.subtitles.layout` on :func:`clip_alignment`; a cue that
    would run past the clip's end is cut at the end. ``lines`` is ``(max_chars,
    max_lines)`` for the clip's frame (:func:`clipper.clips.cut.frame_lines`); None: the defaults.
    """
    from .. import subtitles

    sub = clip_alignment(alignment, span)
    opts = subtitles.LayoutOptions(fps=fps)
    cues = subtitles.layout(sub, replace(opts, max_chars=lines[0], max_lines=lines[1]) if lines else opts)
    dur = span.duration
    kept = []
    for c in cues:
        if c.start >= dur:
            continue
        kept.append(replace(c, end=min(c.end, dur)) if c.end > dur else c)
    return subtitles.compose_srt(kept), subtitles.compose_vtt(kept)


# --------------------------------------------------------------------------------------
# what the user asked for -> requests

def parse_range(text: str) -> tuple[int, int]:
    """``A-B`` with clock times (``1:02-1:30.5``, ``62-90``) as ms.

    >>> parse_range("1:00-1:30.5")
    (60000, 90500)
    """
    from ..timecode import parse_clock

    parts = text.split("-")
    if len(parts) != 2:
        raise InputError(f"⟨--range⟩ {text!r}: give START-END, e.g. 1:02:03-1:02:45 or 62.5-90")
    try:
        a, b = parse_clock(parts[0]), parse_clock(parts[1])
    except ValueError:
        raise InputError(f"⟨--range⟩ {text!r}: times are [h:]mm:ss[.mmm] or seconds, e.g. 1:02-1:30") from None
    if b <= a:
        raise InputError(f"⟨--range⟩ {text!r}: the end is not after the start")
    return a, b


def build_requests(
    alignment: Alignment,
    *,
    quotes: Sequence[str] = (),
    takeaways: Sequence[str] = (),
    topics: Sequence[str] = (),
    ranges: Sequence[str] = (),
    min_score: float = 80.0,
    skipped: list[str] | None = None,
    index: PassageIndex | None = None,
    resolved: Sequence[ResolvedTakeaway] | None = None,
) -> list[ClipRequest]:
    """Turn ``--quote``/``--takeaway``/``--topic``/``--range`` values into requests.

    A takeaway is ``N`` (its best-evidenced hint) or ``N.K`` (its K-th hint), 1-based; a
    topic is its number or its title (any words: they are searched as a topic). With a
    ``skipped`` list, a takeaway that cannot be placed adds its reason there instead of
    raising (``clipper run`` cuts the others). ``index`` and ``resolved`` (the passage index
    and the takeaways resolved with it) save a caller that has them doing that work again.

    Raises:
        InputError: a quote below ``min_score`` (with the nearest matches), a takeaway or
            topic that does not exist or cannot be placed, a malformed range.
    """
    from ..query.resolve import resolve_takeaways
    from ..query.search import PassageIndex, WordIndex, find, locate_topic

    out: list[ClipRequest] = []
    if quotes:
        windex = WordIndex(alignment)
        for q in quotes:
            ms = find(windex, q, top=3)
            best = ms[0] if ms else None
            if best is not None and best.score >= min_score and best.start is None:
                raise InputError(
                    f"quote {q!r} is in the transcript but was not found in the media (not placed): "
                    "there is nothing to cut; check that the media holds it, or align again"
                )
            if best is None or best.score < min_score or best.start is None or best.end is None:
                near = "; ".join(
                    f"{m.score:.0f}% at {format_clock(m.start) if m.start is not None else '?'}: {m.text[:60]!r}" for m in ms
                )
                raise InputError(
                    f"quote {q!r} matches nothing (best score below {min_score:.0f}); nearest: {near or 'none'}; "
                    "check the wording or lower ⟨--min-score⟩"
                )
            out.append(ClipRequest("quote", best.text, best.start, best.end, best.text))
    pindex = index if index is not None else (PassageIndex(alignment) if (takeaways or topics) else None)
    if takeaways:
        if resolved is None:
            resolved = resolve_takeaways(alignment, pindex)
        if not resolved:
            raise InputError("the alignment has no takeaways (the transcript had none); use ⟨--quote⟩ or ⟨--topic⟩")
        for t in takeaways:
            mt = re.fullmatch(r"\s*(\d+)(?:\.(\d+))?\s*", t)
            if not mt or not 1 <= int(mt.group(1)) <= len(resolved):
                raise InputError(f"⟨--takeaway⟩ {t!r}: give a number from 1 to {len(resolved)} (or N.K for its K-th hint)")
            rt = resolved[int(mt.group(1)) - 1]
            k = int(mt.group(2)) if mt.group(2) else None  # None: the best-evidenced hint
            if k is not None and not 1 <= k <= len(rt.hints):
                raise InputError(f"⟨--takeaway⟩ {t}: takeaway {rt.index} has {len(rt.hints)} hint(s)")
            rh = rt.hints[k - 1] if k is not None else rt.best
            if rh is not None and rh.chosen is not None and rh.chosen.passage is not None:
                p = rh.chosen.passage
            else:
                # no usable hint: the passage that shares the takeaway's words most
                assert pindex is not None
                found = locate_topic(pindex, f"{rt.takeaway.title} {rt.takeaway.text}", top=1) if k is None else []
                if not found:
                    why = (
                        f"takeaway {rt.index} ({rt.takeaway.title!r}) cannot be placed: no hint reading has text evidence "
                        "and no passage shares its words; use ⟨--quote⟩ or ⟨--range⟩ instead"
                    )
                    if skipped is None:
                        raise InputError(why)
                    skipped.append(why)
                    continue
                p = found[0]
            out.append(ClipRequest("takeaway", rt.takeaway.title, p.start, p.end, p.text))
    for t in topics:
        known = alignment.transcript.topics
        title = t
        if t.strip().isdigit():
            k = int(t)
            if not 1 <= k <= len(known):
                raise InputError(f"⟨--topic⟩ {t}: the transcript has {len(known)} topic(s); give a number from 1 to {len(known)} or words")
            title = known[k - 1].title
        assert pindex is not None
        ps = locate_topic(pindex, title, top=1)
        if not ps:
            raise InputError(f"topic {title!r}: no passage uses its words; try other words")
        out.append(ClipRequest("topic", title, ps[0].start, ps[0].end, ps[0].text))
    for r in ranges:
        a, b = parse_range(r)
        out.append(ClipRequest("range", f"range {format_clock(a)}-{format_clock(b)}", a, b, ""))
    return out
