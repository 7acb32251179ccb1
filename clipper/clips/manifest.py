"""The clip manifest: what ``clipper cut`` made, and what exports read. One model, one reader.

``manifest.json`` (version 1), times in integer ms on the source media's timeline::

    {"clipper_manifest": 1, "media": "<abs path>", "fps": [num, den] | null,
     "mode": "accurate" | "fast",
     "clips": [{"index": 1, "name": "01-turned-down-openai", "file": "...", "label": "...",
                "kind": "quote" | "takeaway" | "topic" | "range",
                "source_start": ms, "source_end": ms, "duration": ms,
                "requested_start": ms, "requested_end": ms,
                "handle_before": ms, "handle_after": ms, "mute_head": ms, "mute_tail": ms,
                "srt": name | null, "vtt": name | null, "text": "..."}]}

``manifest.csv`` has the same clip fields, then the times again in seconds. The reader is
lenient where a person editing by hand would be (``1500.0`` is 1500; only ``source_start``
and ``source_end`` are required) and strict where an export would go wrong (times must be
whole ms, 0 <= start < end).

>>> c = ManifestClip(index=1, name="01-a", source_start=1000, source_end=4000)
>>> c.duration, parse_manifest(manifest_to_json(Manifest(media="/x.mp4", clips=(c,)))).clips == (c,)
(3000, True)
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ParseError
from ..io import read_text, write_text

__all__ = [
    "MANIFEST_VERSION",
    "MANIFEST_JSON",
    "MANIFEST_CSV",
    "ManifestClip",
    "Manifest",
    "parse_manifest",
    "load_manifest",
    "manifest_to_json",
    "manifest_to_csv",
    "save_manifest",
]

MANIFEST_VERSION = 1
MANIFEST_JSON = "manifest.json"
MANIFEST_CSV = "manifest.csv"
_KEY = "clipper_manifest"


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestClip:
    """One cut clip: where it came from in the source (ms), what it is called, what it holds."""

    index: int
    name: str
    source_start: int
    source_end: int
    file: str | None = None
    label: str = ""
    kind: str = "range"
    requested_start: int | None = None  # what was asked for, before snapping and handles
    requested_end: int | None = None
    handle_before: int = 0
    handle_after: int = 0
    #: ms of sound silenced at the clip's start / end (a frame edge inside a neighbouring word)
    mute_head: int = 0
    mute_tail: int = 0
    srt: str | None = None
    vtt: str | None = None
    text: str = ""

    def __post_init__(self) -> None:
        if self.source_start < 0 or self.source_end <= self.source_start:
            raise ValueError(
                f"clip {self.index}: source_start {self.source_start} / source_end {self.source_end} must satisfy 0 <= start < end"
            )

    @property
    def duration(self) -> int:
        return self.source_end - self.source_start


#: the clip fields in the order files list them
FIELDS = ("index", "name", "file", "label", "kind", "source_start", "source_end", "duration", "requested_start",
          "requested_end", "handle_before", "handle_after", "mute_head", "mute_tail", "srt", "vtt", "text")  # fmt: skip
_SECONDS = ("source_start", "source_end", "duration", "requested_start", "requested_end")


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    """The clips of one ``clipper cut`` run, in their order; ``path`` is where it was read from."""

    media: str | None
    clips: tuple[ManifestClip, ...] = field(default_factory=tuple)
    fps: tuple[int, int] | None = None
    mode: str | None = None
    path: str | None = field(default=None, compare=False)  # where it was read: not part of what it says

    def to_dict(self) -> dict[str, Any]:
        return {
            _KEY: MANIFEST_VERSION,
            "media": self.media,
            "fps": list(self.fps) if self.fps else None,
            "mode": self.mode,
            "clips": [{k: getattr(c, k) for k in FIELDS} for c in self.clips],
        }


def manifest_to_json(m: Manifest) -> str:
    return json.dumps(m.to_dict(), ensure_ascii=False, indent=2) + "\n"


def manifest_to_csv(m: Manifest) -> str:
    """One row a clip: the JSON's clip fields, then the times again in seconds."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*FIELDS, *(f"{k}_s" for k in _SECONDS)])
    for c in m.clips:
        row: list[Any] = ["" if getattr(c, k) is None else getattr(c, k) for k in FIELDS]
        row += ["" if getattr(c, k) is None else f"{getattr(c, k) / 1000:.3f}" for k in _SECONDS]
        w.writerow(row)
    return buf.getvalue()


def save_manifest(m: Manifest, folder: str | os.PathLike[str], force: bool = False) -> tuple[Path, Path]:
    """Write ``manifest.json`` and ``manifest.csv`` into ``folder`` (atomically)."""
    f = Path(folder)
    return (
        write_text(f / MANIFEST_JSON, manifest_to_json(m), force=force),
        write_text(f / MANIFEST_CSV, manifest_to_csv(m), force=force),
    )


def _int(v: Any, what: str) -> int:
    # JSON has no int/float distinction for users editing by hand: 1500.0 is fine, 1500.5 is not.
    if isinstance(v, bool) or not isinstance(v, (int, float)) or int(v) != v:
        raise ValueError(f"{what} must be an integer number of milliseconds, got {v!r}")
    return int(v)


def _opt_int(v: Any, what: str) -> int | None:
    return None if v is None else _int(v, what)


def _opt_str(v: Any) -> str | None:
    return None if v in (None, "") else str(v)


def parse_manifest(text: str, path: str | None = None) -> Manifest:
    """Read a manifest's JSON text.

    Raises:
        ParseError: not JSON, not a clipper manifest, or a clip without valid times.
    """
    try:
        d = json.loads(text)
    except json.JSONDecodeError as e:
        raise ParseError(path, f"not valid JSON ({e.msg})", line=e.lineno) from None
    if not isinstance(d, dict) or _KEY not in d:
        raise ParseError(path, f"not a clipper clip manifest (no {_KEY!r} key); make one with 'clipper cut'")
    if d[_KEY] != MANIFEST_VERSION:
        raise ParseError(path, f"manifest version {d[_KEY]} is not supported (this clipper reads {MANIFEST_VERSION})")
    try:
        raw_clips = d["clips"]
        if not isinstance(raw_clips, list):
            raise ValueError("'clips' must be a list")
        clips = []
        for i, c in enumerate(raw_clips, 1):
            if not isinstance(c, dict):
                raise ValueError(f"clip #{i} is not an object")
            clips.append(
                ManifestClip(
                    index=_int(c.get("index", i), f"clip #{i} index"),
                    name=str(c.get("name") or f"clip-{i:02d}"),
                    source_start=_int(c["source_start"], f"clip #{i} source_start"),
                    source_end=_int(c["source_end"], f"clip #{i} source_end"),
                    file=_opt_str(c.get("file")),
                    label=str(c.get("label") or ""),
                    kind=str(c.get("kind") or "range"),
                    requested_start=_opt_int(c.get("requested_start"), f"clip #{i} requested_start"),
                    requested_end=_opt_int(c.get("requested_end"), f"clip #{i} requested_end"),
                    handle_before=_int(c.get("handle_before", 0), f"clip #{i} handle_before"),
                    handle_after=_int(c.get("handle_after", 0), f"clip #{i} handle_after"),
                    mute_head=_int(c.get("mute_head", 0), f"clip #{i} mute_head"),
                    mute_tail=_int(c.get("mute_tail", 0), f"clip #{i} mute_tail"),
                    srt=_opt_str(c.get("srt")),
                    vtt=_opt_str(c.get("vtt")),
                    text=str(c.get("text") or ""),
                )
            )
        fps_raw = d.get("fps")
        fps: tuple[int, int] | None = None
        if fps_raw is not None:
            if not (isinstance(fps_raw, list) and len(fps_raw) == 2):
                raise ValueError(f"'fps' must be [num, den] or null, got {fps_raw!r}")
            num, den = _int(fps_raw[0], "fps num"), _int(fps_raw[1], "fps den")
            if num <= 0 or den <= 0:
                raise ValueError(f"'fps' must be positive, got {fps_raw!r}")
            fps = (num, den)
        media = d.get("media")
        return Manifest(media=str(media) if media else None, clips=tuple(clips), fps=fps, mode=d.get("mode"), path=path)
    except KeyError as e:
        raise ParseError(path, f"malformed manifest: a clip has no {e.args[0]!r}") from None
    except (TypeError, ValueError) as e:
        raise ParseError(path, f"malformed manifest: {e}") from None


def load_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read ``manifest.json`` from a file (or from a clip folder that holds one)."""
    p = Path(path)
    if p.is_dir():
        p = p / MANIFEST_JSON
    return parse_manifest(read_text(p), str(p))
