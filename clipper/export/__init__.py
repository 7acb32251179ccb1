"""Interchange files for editors and platforms: EDL, xmeml, FCPXML, OTIO, chapters, CSV.

Every format is made from one :class:`~clipper.export._plan.Plan` (media, frame rate,
markers, clips), so a marker or a clip lands on the same frame in all of them:

* markers: one per takeaway, at the time its hints resolve to (``clipper.query.resolve``), and
  one per topic, where it is discussed most (``clipper.query.search``); with neither, one per
  section found where the transcript changes subject (:mod:`clipper.export.sections`);
* clips: with a clip manifest from ``clipper cut``, one clip/event per cut clip, source
  in/out from the manifest, record times back to back.

Frame rate and drop-frame are inputs (``fps``: the manifest's or media's rate by
default, else 25). Frames exist only here; everything upstream is integer ms.

>>> FORMATS
('edl', 'xmeml', 'fcpxml', 'otio', 'chapters', 'ffmetadata', 'csv')
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..errors import FormatError
from ..io import write_text
from ..model import Alignment
from . import chapters as _chapters
from . import csv as _csv
from . import edl as _edl
from . import fcpxml as _fcpxml
from . import otio as _otio
from . import xmeml as _xmeml
from ._plan import Marker, Plan, Rate, build_plan, export_rate, parse_fps
from .manifest import Manifest, ManifestClip, load_manifest, parse_manifest

__all__ = [
    "FORMATS",
    "EXTENSIONS",
    "ExportResult",
    "export",
    "compose",
    "write",
    "default_output",
    "build_plan",
    "export_rate",
    "parse_fps",
    "Plan",
    "Rate",
    "Marker",
    "Manifest",
    "ManifestClip",
    "load_manifest",
    "parse_manifest",
]

FORMATS = ("edl", "xmeml", "fcpxml", "otio", "chapters", "ffmetadata", "csv")

#: file name endings used for default output names
EXTENSIONS = {
    "edl": ".edl",
    "xmeml": ".xml",
    "fcpxml": ".fcpxml",
    "otio": ".otio",
    "chapters": ".chapters.txt",
    "ffmetadata": ".ffmetadata.txt",
    "csv": ".csv",
}


@dataclass(frozen=True, slots=True)
class ExportResult:
    """An export's text and what went into it."""

    format: str
    text: str
    plan: Plan
    chapters: int = 0
    notes: tuple[str, ...] = ()

    @property
    def markers(self) -> int:
        return len(self.plan.markers)

    @property
    def clips(self) -> int:
        return len(self.plan.clips)


def _writer(fmt: str) -> Callable[[Plan, list[str]], str]:
    table: dict[str, Callable[[Plan, list[str]], str]] = {
        "edl": lambda p, n: _edl.compose(p),
        "xmeml": lambda p, n: _xmeml.compose(p),
        "fcpxml": lambda p, n: _fcpxml.compose(p),
        "otio": lambda p, n: _otio.compose(p),
        "chapters": _chapters.compose,
        "ffmetadata": _chapters.compose_ffmetadata,
        "csv": lambda p, n: _csv.compose(p),
    }
    try:
        return table[fmt]
    except KeyError:
        raise FormatError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}", FORMATS) from None


def export(
    alignment: Alignment,
    fmt: str,
    *,
    clips_manifest: Manifest | str | os.PathLike[str] | None = None,
    fps: str | float | Fraction | tuple[int, int] | None = None,
    drop_frame: bool = False,
    media: str | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    record_start: int = 0,
) -> ExportResult:
    """Make one export; the text plus counts and notes (merged chapters, dropped markers).

    Args:
        alignment: what to export (markers come from its takeaways and topics, else
            from sections found by topic shifts).
        fmt: one of :data:`FORMATS`.
        clips_manifest: a ``manifest.json`` path (or a loaded :class:`Manifest`): export
            its clips as subclips.
        fps: editing frame rate (``"25"``, ``"29.97"``, ``(30000, 1001)``); default the
            manifest's, else the media's, else 25.
        drop_frame: drop-frame timecode (29.97 and 59.94 only).
        media: use this media path instead of the one recorded in the alignment/manifest.
        base_dir: where a relative media path is looked up first (the alignment's folder).
        record_start: timeline timecode of the first frame, in frames (EDL, FCPXML, OTIO).

    Raises:
        FormatError: unknown ``fmt``.
        InputError: bad fps/drop-frame, a manifest that does not fit the media, a format
            that needs a media path or duration the alignment lacks, chapters impossible,
            an EDL or CSV with nothing in it (no clips, markers or sections).
    """
    writer = _writer(fmt)
    plan = build_plan(
        alignment,
        clips_manifest=clips_manifest,
        fps=fps,
        drop_frame=drop_frame,
        media=media,
        base_dir=base_dir,
        record_start=record_start,
    )
    notes: list[str] = list(plan.notes)
    text = writer(plan, notes)
    n_ch = text.count("[CHAPTER]") if fmt == "ffmetadata" else len(_chapters.parse_youtube(text)) if fmt == "chapters" else 0
    return ExportResult(fmt, text, plan, n_ch, tuple(notes))


def compose(
    alignment: Alignment,
    fmt: str,
    *,
    clips_manifest: Manifest | str | os.PathLike[str] | None = None,
    fps: str | float | Fraction | tuple[int, int] | None = None,
    drop_frame: bool = False,
    media: str | None = None,
) -> str:
    """The text of one export (see :func:`export`)."""
    return export(alignment, fmt, clips_manifest=clips_manifest, fps=fps, drop_frame=drop_frame, media=media).text


def write(
    alignment: Alignment,
    path: str | os.PathLike[str],
    fmt: str,
    *,
    clips_manifest: Manifest | str | os.PathLike[str] | None = None,
    fps: str | float | Fraction | tuple[int, int] | None = None,
    drop_frame: bool = False,
    force: bool = False,
    media: str | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    record_start: int = 0,
) -> ExportResult:
    """Export to a file, atomically; an existing file is replaced only with ``force``."""
    from ..io import check_writable

    check_writable(path, force)  # fail before doing the work
    res = export(
        alignment,
        fmt,
        clips_manifest=clips_manifest,
        fps=fps,
        drop_frame=drop_frame,
        media=media,
        base_dir=base_dir,
        record_start=record_start,
    )
    write_text(path, res.text, force=force)
    return res


def default_output(alignment_path: str | os.PathLike[str], fmt: str, clips: bool = False) -> Path:
    """``talk.align.json`` -> ``talk.edl`` (``talk.clips.edl`` for a clip export), beside it.

    >>> default_output("out/talk.align.json", "chapters").as_posix()
    'out/talk.chapters.txt'
    >>> default_output("talk.align.json", "edl", clips=True).as_posix()
    'talk.clips.edl'
    """
    p = Path(alignment_path)
    name = p.name
    for suffix in (".align.json", ".json"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    _writer(fmt)
    return p.with_name(name + (".clips" if clips else "") + EXTENSIONS[fmt])
