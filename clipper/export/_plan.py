"""What every export writer reads: media, frame rate, markers and clips, decided once.

Writers are pure functions of a :class:`Plan`; frames and timecodes appear only here and
in the writers (inside clipper every time is integer milliseconds).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..clips.manifest import Manifest, ManifestClip, load_manifest
from ..errors import InputError
from ..model import Alignment, Segment
from ..timecode import format_smpte, ms_to_frames, parse_fps
from ._positions import Position, positions
from .sections import find_sections

__all__ = ["Rate", "Marker", "Plan", "parse_fps", "build_plan", "export_rate", "DEFAULT_FPS"]

#: used when neither --fps, the manifest nor the media say (PAL, a safe editing default)
DEFAULT_FPS = (25, 1)

@dataclass(frozen=True, slots=True)
class Rate:
    """An editing frame rate and timecode mode. Frames are nearest-frame from ms."""

    num: int
    den: int
    drop_frame: bool = False

    def __post_init__(self) -> None:
        if self.drop_frame and Fraction(self.num, self.den) not in (Fraction(30000, 1001), Fraction(60000, 1001)):
            raise InputError(
                f"⟨--drop-frame⟩ needs 29.97 or 59.94 fps, not {self.label}; "
                "drop the flag or pass ⟨--fps⟩ 29.97"
            )

    @property
    def fps(self) -> Fraction:
        return Fraction(self.num, self.den)

    @property
    def float(self) -> float:
        return self.num / self.den

    @property
    def nominal(self) -> int:
        """Frames per timecode second (30 for 29.97)."""
        return int(round(self.fps))

    @property
    def label(self) -> str:
        """Human form: ``25``, ``29.97``, ``23.976``."""
        if self.den == 1:
            return str(self.num)
        return f"{float(self.fps):.3f}".rstrip("0").rstrip(".")

    def frames(self, ms: int) -> int:
        return ms_to_frames(ms, self.fps)

    def ms(self, frames: int) -> int:
        return int(round(Fraction(frames) / self.fps * 1000))

    def timecode(self, frames: int) -> str:
        return format_smpte(frames, self.fps, self.drop_frame)

    def seconds(self, frames: int) -> Fraction:
        return Fraction(frames) / self.fps

    def parse_timecode(self, text: str) -> int:
        """Frames of an SMPTE timecode ``hh:mm:ss:ff`` (``;`` before frames when drop-frame).

        Raises:
            InputError: not a timecode, or frames past this rate's last frame number.
        """
        m = re.fullmatch(r"\s*(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})\s*", text)
        if not m:
            raise InputError(f"{text!r}: not a timecode; give hh:mm:ss:ff, e.g. 01:00:00:00")
        hh, mm, ss, _, ff = m.groups()
        h, mi, s, f = int(hh), int(mm), int(ss), int(ff)
        if mi > 59 or s > 59 or f >= self.nominal:
            raise InputError(f"{text!r}: not a valid timecode at {self.label} fps")
        frames = ((h * 60 + mi) * 60 + s) * self.nominal + f
        if self.drop_frame:
            drop = 2 if self.nominal == 30 else 4
            minutes = h * 60 + mi
            frames -= drop * (minutes - minutes // 10)
        return frames


@dataclass(frozen=True, slots=True)
class Marker:
    """A named point on the source media (ms), from a takeaway or a topic."""

    kind: str  # "takeaway" | "topic" | "section" (found by topic shifts: see sections.py)
    index: int
    name: str
    start: int
    end: int | None = None
    note: str = ""
    source: str = "fallback"

    @property
    def color(self) -> str:
        """Marker colour by kind (OTIO MarkerColor names): takeaways blue, topics green,
        sections found by topic shifts yellow."""
        return {"takeaway": "BLUE", "section": "YELLOW"}.get(self.kind, "GREEN")


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything a writer needs, in ms (and the rate to turn ms into frames)."""

    title: str
    rate: Rate
    media_path: str | None  # absolute, or None when unknown
    media_duration: int | None
    has_video: bool
    has_audio: bool
    markers: tuple[Marker, ...]
    clips: tuple[ManifestClip, ...] = ()
    segments: tuple[Segment, ...] = ()
    width: int | None = None
    height: int | None = None
    sample_rate: int | None = None
    channels: int | None = None
    #: timeline (record) timecode of the first frame, in frames (Resolve timelines start at 01:00:00:00)
    record_start: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def media_name(self) -> str:
        return Path(self.media_path).name if self.media_path else (self.title or "media")

    @property
    def media_uri(self) -> str | None:
        return Path(self.media_path).as_uri() if self.media_path else None

    def require_something(self, fmt: str) -> None:
        """Refuse to write a file that would hold nothing (a header alone)."""
        if not self.clips and not self.markers:
            raise InputError(
                f"nothing to write as {fmt}: no clips, and no takeaways, topics or placed text to find sections in; "
                "pass ⟨--clips⟩ MANIFEST (from 'clipper cut')"
            )

    def require_media(self, fmt: str) -> str:
        if not self.media_path:
            raise InputError(
                f"{fmt} needs the media file's path, and the alignment has none; "
                "align with a media file ('clipper align MEDIA ...') or pass ⟨--clips⟩ MANIFEST"
            )
        return self.media_path

    @property
    def duration_frames(self) -> int | None:
        return None if self.media_duration is None else self.rate.frames(self.media_duration)

    def clip_frames(self, clip: ManifestClip) -> tuple[int, int]:
        """A clip's source in/out frames (out exclusive; at least one frame long)."""
        fin = self.rate.frames(clip.source_start)
        return fin, max(self.rate.frames(clip.source_end), fin + 1)

    def markers_in(self, clip: ManifestClip) -> list[tuple[Marker, int]]:
        """Markers whose frame falls inside a clip's source frames, with that frame.

        Decided on frames, not ms, so every writer puts a marker on the same clip.
        """
        fin, fout = self.clip_frames(clip)
        out = []
        for m in self.markers:
            f = self.rate.frames(m.start)
            if fin <= f < fout:
                out.append((m, f))
        return out


def _as_manifest(m: Manifest | str | os.PathLike[str] | None) -> Manifest | None:
    if m is None or isinstance(m, Manifest):
        return m
    return load_manifest(m)


def _resolve_media(path: str | None, base_dir: str | os.PathLike[str] | None) -> str | None:
    if not path:
        return None
    p = Path(path)
    if p.is_absolute():
        return str(p)
    for base in ([Path(base_dir)] if base_dir else []) + [Path.cwd()]:
        cand = base / p
        if cand.exists():
            return str(cand.resolve())
    return str((Path.cwd() / p).resolve())


def _clean_name(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def _rate(al: Alignment, man: Manifest | None, fps: Any, drop_frame: bool, notes: list[str]) -> Rate:
    mi = al.media
    if fps is not None:
        num, den = parse_fps(fps)
    elif man is not None and man.fps:
        num, den = parse_fps(man.fps)
    elif mi is not None and mi.fps_num and mi.fps_den:
        num, den = mi.fps_num, mi.fps_den
    else:
        num, den = DEFAULT_FPS
        notes.append("no frame rate known (no --fps, no video); using 25 fps")
    return Rate(num, den, drop_frame)


def export_rate(
    al: Alignment,
    *,
    clips_manifest: Manifest | str | os.PathLike[str] | None = None,
    fps: str | float | Fraction | tuple[int, int] | None = None,
    drop_frame: bool = False,
) -> Rate:
    """The rate an export will use (``fps``, else the manifest's, else the media's, else 25)."""
    return _rate(al, _as_manifest(clips_manifest), fps, drop_frame, [])


def build_plan(
    al: Alignment,
    *,
    clips_manifest: Manifest | str | os.PathLike[str] | None = None,
    fps: str | float | Fraction | tuple[int, int] | None = None,
    drop_frame: bool = False,
    media: str | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    record_start: int = 0,
) -> Plan:
    """Decide media, rate, markers and clips for an export.

    The frame rate is ``fps`` if given, else the manifest's, else the media's, else 25.
    Markers outside the media are dropped (and said so in ``notes``). Without any takeaway
    or topic marker, the markers are sections found by topic shifts
    (:func:`clipper.export.sections.find_sections`), kind ``section``, and a note says so.
    """
    notes: list[str] = []
    man = _as_manifest(clips_manifest)
    mi = al.media
    rate = _rate(al, man, fps, drop_frame, notes)

    media_path = media or (man.media if man is not None else None) or (mi.path if mi else None)
    media_path = _resolve_media(media_path, base_dir)
    if media_path and not Path(media_path).exists():
        notes.append(f"media file {media_path} does not exist here; the export points at it anyway (or pass --media)")
    duration = al.duration
    title = _clean_name(str(al.transcript.meta.get("title") or "")) or (
        Path(media_path).stem if media_path else "clipper"
    )

    clips: tuple[ManifestClip, ...] = ()
    if man is not None:
        clips = man.clips
        if not clips:
            raise InputError(f"{man.path or 'manifest'}: has no clips; nothing to export")
        if duration is not None:
            for c in clips:
                if c.source_end > duration + 1000 // max(1, rate.nominal):
                    raise InputError(
                        f"clip {c.index} ({c.name}) ends at {c.source_end} ms, after the media's end "
                        f"({duration} ms); is this manifest from another media file?"
                    )

    markers: list[Marker] = []
    placed: list[Position] = positions(al)
    for p in placed:
        if p.start < 0 or (duration is not None and p.start >= duration):
            notes.append(f"{p.kind} {p.index} ({p.title!r}) at {p.start} ms is outside the media; no marker")
            continue
        markers.append(Marker(p.kind, p.index, _clean_name(p.title), p.start, p.end, p.text, p.source))
    n_take = len(al.transcript.takeaways)
    placed_take = sum(1 for m in markers if m.kind == "takeaway")
    if placed_take < n_take:
        notes.append(f"{n_take - placed_take} of {n_take} takeaways could not be placed")
    if not markers and duration is not None:
        # nothing named: markers where the transcript changes subject, so an export says
        # something (and says where it came from)
        secs = find_sections(al.segments, duration, at_least=3, grain=1000)  # whole seconds: chapters use them
        for k, sec in enumerate(secs, 1):
            first = al.segments[sec.first].text
            markers.append(Marker("section", k, sec.title, sec.start, sec.end, _clean_name(first), "sections"))
        if secs:
            why = "no takeaway or topic could be placed" if (n_take or al.transcript.topics) else "the transcript has no takeaways or topics"
            notes.append(
                f"{why}: markers are the {len(secs)} section(s) found where the transcript changes subject, "
                "titled by their most distinctive words"
            )
    markers.sort(key=lambda m: (m.start, m.kind != "topic", m.index))

    return Plan(
        title=title,
        rate=rate,
        media_path=media_path,
        media_duration=duration,
        has_video=bool(mi.has_video) if mi else True,
        has_audio=bool(mi.has_audio) if mi else True,
        markers=tuple(markers),
        clips=clips,
        segments=al.segments,
        width=mi.width if mi else None,
        height=mi.height if mi else None,
        sample_rate=mi.sample_rate if mi else None,
        channels=mi.channels if mi else None,
        record_start=record_start,
        notes=tuple(notes),
    )
