"""Chapters: YouTube description text and ffmpeg's ffmetadata.

YouTube shows chapters only when the list follows its rules: the first at ``0:00``,
times ascending, at least three, each at least 10 s long (the last one too, up to the
end of the video). :func:`chapters` makes a list that always does, from what the
transcript says about itself first:

1. candidates are the takeaway markers; too few of them for three chapters, the topic
   markers, then both together, then the sections where the transcript changes subject
   (:mod:`clipper.export.sections`, titled by their most distinctive words); YouTube reads
   whole seconds, so times are floored to the second;
2. a candidate in the first 10 s moves to ``0:00``; one less than 10 s after the one
   kept before it is merged into it (dropped, and said so); one less than 10 s before
   the end is dropped;
3. when nothing starts at ``0:00``, an "Intro" chapter is put there;
4. never arbitrary: when none of these gives three chapters (no takeaways, topics or
   placed text to find sections in), :class:`ChapterError` says so, as it does for media
   shorter than 30 s, which cannot hold three 10 s chapters.

``ffmetadata`` carries the same chapters (ms precision, ``TIMEBASE=1/1000``, each ending
where the next starts); for media too short for YouTube it falls back to the markers as
they are, so a short clip still gets chapters in its container.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import InputError
from ..timecode import format_clock, parse_clock
from ._plan import Marker, Plan
from .sections import find_sections, section_lengths

__all__ = [
    "Chapter",
    "ChapterError",
    "chapters",
    "check_youtube",
    "parse_youtube",
    "compose",
    "compose_ffmetadata",
    "MIN_CHAPTER",
    "MIN_CHAPTERS",
]

#: YouTube's shortest chapter (ms) and fewest chapters
MIN_CHAPTER = 10_000
MIN_CHAPTERS = 3
#: YouTube cuts long chapter titles; keep them readable in a description
MAX_TITLE = 100


class ChapterError(InputError):
    """No chapter list can satisfy YouTube's rules for this media."""

    def __init__(self, message: str, duration: int | None = None) -> None:
        self.duration = duration
        super().__init__(message)

    def __reduce__(self) -> tuple[type, tuple[str, int | None]]:
        return (type(self), (self.raw_message, self.duration))


@dataclass(frozen=True, slots=True)
class Chapter:
    start: int  # ms
    title: str


def _title(s: str, limit: int = MAX_TITLE) -> str:
    s = re.sub(r"\s+", " ", s).strip()
    if len(s) <= limit:
        return s
    cut = s[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.-")
    return cut + "…"


def _space(cands: list[Chapter], duration: int, min_len: int, notes: list[str]) -> list[Chapter]:
    """Greedy pass: ascending, each ``min_len`` long, first at 0 (rules 2 and 3)."""
    kept: list[Chapter] = []
    for c in sorted(cands, key=lambda c: c.start):
        if c.start < 0:
            continue
        if 0 < c.start < min_len:
            # anything in the first chapter's span starts the video: move it to 0:00 now,
            # so the next chapter is spaced from 0:00, not from where this one was
            notes.append(f"moved chapter {c.title!r} from {format_clock(c.start)} to 0:00")
            c = Chapter(0, c.title)
        if duration - c.start < min_len:
            notes.append(f"dropped chapter {c.title!r} at {format_clock(c.start)}: less than {min_len // 1000} s before the end")
            continue
        if kept and c.start - kept[-1].start < min_len:
            notes.append(
                f"merged chapter {c.title!r} at {format_clock(c.start)} into {kept[-1].title!r} "
                f"(less than {min_len // 1000} s apart)"
            )
            continue
        kept.append(c)
    if (not kept or kept[0].start > 0) and duration >= min_len:
        kept.insert(0, Chapter(0, "Intro"))
    return kept


def _from_markers(markers: Sequence[Marker], whole_seconds: bool) -> list[Chapter]:
    out = []
    for m in markers:
        start = m.start // 1000 * 1000 if whole_seconds else m.start
        out.append(Chapter(start, _title(m.name) or f"{m.kind.title()} {m.index}"))
    return out


def _sources(plan: Plan) -> list[tuple[str, list[Marker]]]:
    """Candidate chapter lists in the order they are tried."""
    take = [m for m in plan.markers if m.kind == "takeaway"]
    topics = [m for m in plan.markers if m.kind == "topic"]
    out = [("takeaways", take), ("topics", topics), ("takeaways and topics", take + topics)]
    secs = [m for m in plan.markers if m.kind == "section"]
    if not secs and plan.media_duration is not None:
        found = find_sections(plan.segments, plan.media_duration, min_len=max(MIN_CHAPTER, section_lengths(plan.media_duration)[0]),
                              at_least=MIN_CHAPTERS, grain=1000)  # fmt: skip
        secs = [Marker("section", k, s.title, s.start, s.end, "", "sections") for k, s in enumerate(found, 1)]
    out.append(("sections found by topic shifts", secs))
    return [(what, ms) for what, ms in out if ms]


def chapters(plan: Plan, notes: list[str] | None = None) -> list[Chapter]:
    """A chapter list that satisfies YouTube's rules (see the module docstring).

    Raises:
        ChapterError: the media is shorter than 30 s, or its duration is unknown, or the
            transcript gives nothing to make three chapters from.
    """
    notes = notes if notes is not None else []
    duration = plan.media_duration
    if duration is None:
        raise ChapterError("chapters need the media's duration, and the alignment has none; align with the media file")
    if duration < MIN_CHAPTER * MIN_CHAPTERS:
        raise ChapterError(
            f"the media is {duration / 1000:.1f} s long; YouTube chapters need at least "
            f"{MIN_CHAPTERS} chapters of {MIN_CHAPTER // 1000} s ({MIN_CHAPTER * MIN_CHAPTERS // 1000} s); "
            "use ⟨--format⟩ ffmetadata or csv for short media",
            duration,
        )
    tried: list[str] = []
    kept: list[Chapter] = []
    for what, markers in _sources(plan):
        said: list[str] = []
        kept = _space(_from_markers(markers, True), duration, MIN_CHAPTER, said)
        if len(kept) >= MIN_CHAPTERS:
            if tried:
                notes.append(f"{'; '.join(tried)}: chapters are the {what}")
            notes += said
            break
        tried.append(f"{len(kept)} chapter(s) from {what}")
    else:
        got = "; ".join(tried) if tried else "no takeaways, topics or placed text"
        raise ChapterError(
            f"cannot make {MIN_CHAPTERS} chapters of {MIN_CHAPTER // 1000} s for YouTube ({got}); "
            "use ⟨--format⟩ ffmetadata or csv, or a transcript with takeaways or topics",
            duration,
        )
    problems = check_youtube(kept, duration)
    if problems:  # cannot happen by construction; never hand out an invalid list
        raise AssertionError(f"chapter list breaks YouTube's rules: {problems}")
    return kept


def check_youtube(chs: list[Chapter], duration: int) -> list[str]:
    """What breaks YouTube's chapter rules in a list (empty when it is valid).

    Times are compared in whole seconds, as YouTube reads them.
    """
    problems = []
    secs = [c.start // 1000 for c in chs]
    if len(chs) < MIN_CHAPTERS:
        problems.append(f"{len(chs)} chapters; at least {MIN_CHAPTERS} are needed")
    if not secs or secs[0] != 0:
        problems.append("the first chapter does not start at 0:00")
    ends = secs[1:] + [duration // 1000]
    for i, (a, b) in enumerate(zip(secs, ends, strict=True)):
        if b <= a:
            problems.append(f"chapter {i + 1} is not in ascending order")
        elif b - a < MIN_CHAPTER // 1000:
            problems.append(f"chapter {i + 1} ({chs[i].title!r}) is {b - a} s long; at least {MIN_CHAPTER // 1000} s")
    for i, c in enumerate(chs):
        if not c.title.strip():
            problems.append(f"chapter {i + 1} has no title")
    return problems


def compose(plan: Plan, notes: list[str] | None = None) -> str:
    """YouTube chapter lines, ``0:00 Title`` (``h:mm:ss`` past the first hour)."""
    return "".join(f"{format_clock(c.start)} {c.title}\n" for c in chapters(plan, notes))


_LINE = re.compile(r"^\s*((?:\d+:)?\d{1,2}:\d{2})\s+(?:[-–—]\s*)?(.*?)\s*$")


def parse_youtube(text: str) -> list[Chapter]:
    """Read chapter lines back (``0:00 Intro``); other lines are ignored, as YouTube does."""
    out = []
    for line in text.splitlines():
        m = _LINE.match(line)
        if m:
            out.append(Chapter(parse_clock(m.group(1)), m.group(2)))
    return out


def _ff_escape(s: str) -> str:
    # ffmetadata: '=', ';', '#', '\\' and newlines are escaped with a backslash
    return re.sub(r"([=;#\\\n])", r"\\\1", s)


def compose_ffmetadata(plan: Plan, notes: list[str] | None = None) -> str:
    """An ffmetadata file with the chapters: ``;FFMETADATA1``, ``[CHAPTER]``, ``TIMEBASE=1/1000``.

    Embed with ``ffmpeg -i in.mp4 -i chapters.txt -map_metadata 1 -map_chapters 1 -c copy out.mp4``.
    """
    notes = notes if notes is not None else []
    duration = plan.media_duration
    if duration is None:
        raise ChapterError("chapters need the media's duration, and the alignment has none; align with the media file")
    try:
        chs = chapters(plan, notes)
    except ChapterError as e:
        # YouTube's rules cannot be met: the markers as they are (1 s apart at least), first at 0
        if not plan.markers:
            raise ChapterError(f"{e.raw_message}; and there are no markers to use as chapters either", duration) from None
        why = "media too short for YouTube chapter rules" if duration < MIN_CHAPTER * MIN_CHAPTERS else "too few chapters for YouTube's rules"
        notes.append(f"{why}; chapters are the markers as placed")
        chs = _space(_from_markers(plan.markers, False), duration, 1000, notes)
    lines = [";FFMETADATA1", f"title={_ff_escape(plan.title)}", ""]
    for i, c in enumerate(chs):
        end = chs[i + 1].start if i + 1 < len(chs) else duration
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={c.start}", f"END={end}", f"title={_ff_escape(c.title)}", ""]
    return "\n".join(lines)
