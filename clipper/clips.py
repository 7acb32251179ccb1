"""Spans -> a clip plan, and the clip manifest. Pure: no ffmpeg, no files (but the
manifest's read/write helpers at the end, which go through :mod:`clipper.io`).

:func:`plan` turns what the user asked for (a quote's words, a takeaway's passage, a
range) into the spans to cut, in this order:

1. **sentences**: an edge a few words inside a segment or sentence moves out to its
   boundary, so a clip does not begin or end mid-thought;
2. **handles and pauses**: the start moves ``handle_before`` ms earlier and the end
   ``handle_after`` ms later, but never into the neighbouring word: an edge stops in the
   pause before it (``guard`` ms clear of it, or the middle of a short pause), so no
   word is cut;
3. **frames**: with video, edges land on frame boundaries (``accurate``) or the start
   moves back to the previous keyframe (``fast``, stream copy), and the move is noted;
4. **media**: edges are clamped to ``[0, duration]``;
5. **merge**: clips whose words overlap become one; clips whose handles only overlap
   meet in the pause between them. The plan is sorted and never overlaps.

Clip names are readable and unique: ``01-turned-down-openai``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING

from .errors import InputError
from .manifest import (  # the one manifest model (clipper.manifest); named here for cut's callers
    MANIFEST_CSV,
    MANIFEST_JSON,
    Manifest,
    ManifestClip,
    load_manifest,
    manifest_to_csv,
    manifest_to_json,
    save_manifest,
)
from .model import Alignment, Segment, Span, Transcript, Word
from .search import timed_words
from .timecode import format_clock

if TYPE_CHECKING:
    from .resolve import ResolvedTakeaway
    from .search import PassageIndex

__all__ = [
    "KINDS",
    "ClipRequest",
    "PlanOptions",
    "PlannedClip",
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
_SENTENCE_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f][\"'\u201d\u2019)\]]*$")


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
    handle_before: int = 250
    handle_after: int = 400
    mode: str = "accurate"  # or "fast"
    #: ms an edge keeps clear of a neighbouring word (the middle of a shorter pause)
    guard: int = 40
    #: extend to the segment/sentence boundary when it is at most this many words away
    sentence_words: int = 3
    merge: bool = True

    def __post_init__(self) -> None:
        if self.mode not in ("accurate", "fast"):
            raise ValueError(f"mode must be 'accurate' or 'fast', not {self.mode!r}")
        if self.handle_before < 0 or self.handle_after < 0:
            raise ValueError("handles are not negative")


@dataclass(frozen=True, slots=True)
class PlannedClip:
    """One clip to cut. ``span`` is cut from the source; ``content`` is the words it is for."""

    index: int
    name: str
    kind: str
    label: str
    text: str
    requested: Span
    content: Span
    span: Span
    notes: tuple[str, ...] = ()

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
        i = bisect_right(self.starts, ms - 1) - 1
        return any(self.toks[k].start < ms < self.toks[k].end for k in range(max(0, i - 3), i + 1))

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


def _edge_before(tl: _Timeline, i: int, desired: int, guard: int) -> int:
    """A start no earlier than the pause after word ``i-1`` (the word before the clip)."""
    a = tl.toks[i].start
    if i == 0:
        return min(a, max(0, desired))
    p = tl.toks[i - 1].end
    gap = a - p
    if gap <= 0:
        return a
    floor = p + guard if gap >= 2 * guard else p + gap // 2
    return min(a, max(desired, floor))


def _edge_after(tl: _Timeline, j: int, desired: int, guard: int) -> int:
    b = tl.toks[j].end
    if j == len(tl.toks) - 1:
        return max(b, desired)
    n = tl.toks[j + 1].start
    gap = n - b
    if gap <= 0:
        return b
    ceil = n - guard if gap >= 2 * guard else n - (gap - gap // 2)
    return max(b, min(desired, ceil))


def _frame_floor(ms: int, fps: Fraction) -> int:
    f = math.floor(Fraction(ms, 1000) * fps)
    return int(math.ceil(Fraction(f) / fps * 1000))


def _frame_ceil(ms: int, fps: Fraction) -> int:
    f = math.ceil(Fraction(ms, 1000) * fps)
    return int(math.floor(Fraction(f) / fps * 1000))


def plan(
    requests: Sequence[ClipRequest],
    alignment: Alignment,
    duration: int,
    options: PlanOptions = PlanOptions(),
    fps: Fraction | None = None,
    keyframes: Sequence[int] | None = None,
) -> list[PlannedClip]:
    """Cut spans for ``requests``: snapped, handled, framed, clamped, merged, named.

    Args:
        requests: what to cut, in any order.
        alignment: word times decide the pauses and sentence boundaries.
        duration: the media's duration (ms); requests must lie inside it.
        options: handles, mode, guard.
        fps: the video frame rate (None for audio-only media).
        keyframes: keyframe times (ms), needed for ``fast`` mode with video.

    Returns:
        Clips sorted by start, never overlapping, indexed from 1.

    Raises:
        InputError: a request outside the media, or fast mode without keyframes.
    """
    tl = _Timeline(alignment)
    kf = sorted(keyframes) if keyframes else []
    if options.mode == "fast" and fps is not None and not kf:
        raise InputError("fast mode needs the video's keyframes and none were found; use --mode accurate")
    made: list[PlannedClip] = []
    for r in requests:
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
        notes: list[str] = []
        c0, c1 = max(0, r.start), min(duration, r.end)
        i = tl.first_at(c0) if tl.toks else None
        j = tl.last_at(c1) if tl.toks else None
        if i is not None and j is not None and i <= j:
            if r.kind == "range":
                # a range keeps its edges, but not inside a word: the word is kept whole
                if tl.toks[i].start < c0:
                    c0 = tl.toks[i].start
                    notes.append(f"start moved to {format_clock(c0)}.{c0 % 1000:03d} to keep a word whole")
                if tl.toks[j].end > c1:
                    c1 = tl.toks[j].end
                    notes.append(f"end moved to {format_clock(c1)}.{c1 % 1000:03d} to keep a word whole")
            else:
                si = tl.sentence_start(i, options.sentence_words)
                sj = tl.sentence_end(j, options.sentence_words)
                if si != i:
                    notes.append(f"start extended {i - si} word(s) back to the sentence start")
                if sj != j:
                    notes.append(f"end extended {sj - j} word(s) to the sentence end")
                i, j = si, sj
                c0, c1 = tl.toks[i].start, tl.toks[j].end
            s0 = _edge_before(tl, i, c0 - options.handle_before, options.guard) if c0 == tl.toks[i].start else max(0, c0 - options.handle_before)
            s1 = _edge_after(tl, j, c1 + options.handle_after, options.guard) if c1 == tl.toks[j].end else c1 + options.handle_after
            if r.kind == "range":
                # a range's own edges may lie in a pause: handles still stop short of words
                if i > 0 and s0 < tl.toks[i - 1].end <= c0:
                    s0 = _edge_before(tl, i, s0, options.guard)
                if j + 1 < len(tl.toks) and s1 > tl.toks[j + 1].start >= c1:
                    s1 = _edge_after(tl, j, s1, options.guard)
        else:
            s0, s1 = c0 - options.handle_before, c1 + options.handle_after
        s0, s1 = max(0, s0), min(duration, s1)
        if fps is not None:
            f0, f1 = _frame_floor(s0, fps), _frame_ceil(s1, fps)
            # flooring may step into the previous word by less than a frame: step forward then
            prev_end = tl.toks[i - 1].end if (i is not None and i > 0) else None
            if prev_end is not None and f0 < prev_end <= s0:
                f0 = _frame_ceil(s0, fps) if _frame_ceil(s0, fps) <= c0 else f0
            next_start = tl.toks[j + 1].start if (j is not None and j + 1 < len(tl.toks)) else None
            if next_start is not None and f1 > next_start >= s1:
                f1 = _frame_floor(s1, fps) if _frame_floor(s1, fps) >= c1 else f1
            s0, s1 = max(0, f0), min(duration, f1)
            if options.mode == "fast":
                k = bisect_right(kf, s0) - 1
                key = kf[k] if k >= 0 else 0
                # a keyframe inside a word would start the clip mid-word: take an earlier
                # one that falls in a pause, if one is near enough
                kk = k
                while kk >= 0 and tl.inside_word(kf[kk]) and s0 - kf[kk] <= FAST_MAX_BACK:
                    kk -= 1
                if kk >= 0 and kk != k and not tl.inside_word(kf[kk]) and s0 - kf[kk] <= FAST_MAX_BACK:
                    key = kf[kk]
                elif k >= 0 and tl.inside_word(key):
                    notes.append(
                        f"fast mode: the clip starts inside a word (no keyframe in a pause within "
                        f"{FAST_MAX_BACK // 1000} s before it); use --mode accurate for a clean start"
                    )
                if key != s0:
                    notes.append(f"fast mode: start moved {(s0 - key) / 1000:.3f} s earlier to the keyframe at {format_clock(key)}.{key % 1000:03d}")
                s0 = key
        if s1 <= s0:
            raise InputError(f"{r.kind} {r.label!r} is empty after clamping to the media; give a longer span")
        made.append(
            PlannedClip(0, "", r.kind, r.label, r.text, Span(r.start, r.end), Span(min(c0, c1), max(c0, c1)), Span(s0, s1), tuple(notes))
        )
    made.sort(key=lambda c: (c.span.start, c.span.end))
    merged: list[PlannedClip] = []
    for c in made:
        if merged and c.span.start < merged[-1].span.end:
            m = merged[-1]
            if c.content.start >= m.content.end and (options.mode == "accurate" or fps is None):
                # only the handles overlap: both clips stay, meeting in the pause between
                cut = (m.content.end + c.content.start) // 2
                if fps is not None:
                    cut = max(m.content.end, min(c.content.start, _frame_floor(cut, fps)))
                if m.span.start < cut < c.span.end:
                    merged[-1] = replace(m, span=Span(m.span.start, cut), notes=(*m.notes, "end trimmed to meet the next clip"))
                    merged.append(replace(c, span=Span(cut, c.span.end), notes=(*c.notes, "start trimmed to meet the previous clip")))
                    continue
            if not options.merge:
                raise InputError(f"{c.kind} {c.label!r} overlaps {m.kind} {m.label!r}; cut them separately")
            merged[-1] = replace(
                m,
                label=f"{m.label} + {c.label}",
                text=" ".join(t for t in (m.text, c.text) if t),
                requested=Span(min(m.requested.start, c.requested.start), max(m.requested.end, c.requested.end)),
                content=Span(min(m.content.start, c.content.start), max(m.content.end, c.content.end)),
                span=Span(m.span.start, max(m.span.end, c.span.end)),
                notes=(*m.notes, *c.notes, f"merged with {c.kind} {c.label!r}: they overlap"),
            )
        else:
            merged.append(c)
    out = []
    seen: dict[str, int] = {}
    for n, c in enumerate(merged, start=1):
        base = slug(c.label)
        seen[base] = seen.get(base, 0) + 1
        name = f"{n:02d}-{base}" if seen[base] == 1 else f"{n:02d}-{base}-{seen[base]}"
        out.append(replace(c, index=n, name=name))
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


def clip_subtitles(alignment: Alignment, span: Span, fps: tuple[int, int] | None = None) -> tuple[str, str]:
    """SRT and WebVTT text for the clip ``span``, re-based so the clip starts at 0.

    Cues come from :func:`clipper.subtitles.layout` on :func:`clip_alignment`; a cue that
    would run past the clip's end is cut at the end.
    """
    from . import subtitles

    sub = clip_alignment(alignment, span)
    cues = subtitles.layout(sub, subtitles.LayoutOptions(fps=fps))
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
    from .timecode import parse_clock

    parts = text.split("-")
    if len(parts) != 2:
        raise InputError(f"--range {text!r}: give START-END, e.g. 1:02:03-1:02:45 or 62.5-90")
    try:
        a, b = parse_clock(parts[0]), parse_clock(parts[1])
    except ValueError:
        raise InputError(f"--range {text!r}: times are [h:]mm:ss[.mmm] or seconds, e.g. 1:02-1:30") from None
    if b <= a:
        raise InputError(f"--range {text!r}: the end is not after the start")
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
    from .resolve import resolve_takeaways
    from .search import PassageIndex, WordIndex, find, locate_topic

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
                    "check the wording or lower --min-score"
                )
            out.append(ClipRequest("quote", best.text, best.start, best.end, best.text))
    pindex = index if index is not None else (PassageIndex(alignment) if (takeaways or topics) else None)
    if takeaways:
        if resolved is None:
            resolved = resolve_takeaways(alignment, pindex)
        if not resolved:
            raise InputError("the alignment has no takeaways (the transcript had none); use --quote or --topic")
        for t in takeaways:
            mt = re.fullmatch(r"\s*(\d+)(?:\.(\d+))?\s*", t)
            if not mt or not 1 <= int(mt.group(1)) <= len(resolved):
                raise InputError(f"--takeaway {t!r}: give a number from 1 to {len(resolved)} (or N.K for its K-th hint)")
            rt = resolved[int(mt.group(1)) - 1]
            k = int(mt.group(2)) if mt.group(2) else None  # None: the best-evidenced hint
            if k is not None and not 1 <= k <= len(rt.hints):
                raise InputError(f"--takeaway {t}: takeaway {rt.index} has {len(rt.hints)} hint(s)")
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
                        "and no passage shares its words; use --quote or --range instead"
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
                raise InputError(f"--topic {t}: the transcript has {len(known)} topic(s); give a number from 1 to {len(known)} or words")
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
