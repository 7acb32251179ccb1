"""A small reader for the clip manifest that ``clipper cut`` writes (``manifest.json``).

The manifest is the hand-off between cutting and exporting: every clip's source in/out
(integer ms on the source media's timeline), its name and label. Layout (version 1)::

    {"clipper_manifest": 1, "media": "<abs path>", "fps": [num, den] | null,
     "mode": "accurate" | "fast",
     "clips": [{"index": 1, "name": "01-turned-down-openai", "file": "...", "label": "...",
                "kind": "quote" | "takeaway" | "topic" | "range",
                "source_start": ms, "source_end": ms, "duration": ms,
                "requested_start": ms, "requested_end": ms,
                "handle_before": ms, "handle_after": ms,
                "srt": name | null, "vtt": name | null, "text": "..."}]}

Only the fields an export needs are checked strictly (``index``, ``name``,
``source_start``, ``source_end``); the rest are kept when present.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from ..errors import ParseError
from ..io import read_text

__all__ = ["ManifestClip", "Manifest", "parse_manifest", "load_manifest", "MANIFEST_VERSION"]

MANIFEST_VERSION = 1
_KEY = "clipper_manifest"


@dataclass(frozen=True, slots=True)
class ManifestClip:
    """One cut clip: where it came from in the source media (ms) and what it is called."""

    index: int
    name: str
    source_start: int
    source_end: int
    label: str = ""
    kind: str = "range"
    file: str | None = None
    text: str = ""

    def __post_init__(self) -> None:
        if self.source_start < 0 or self.source_end <= self.source_start:
            raise ValueError(
                f"clip {self.index}: source_start {self.source_start} / source_end {self.source_end} "
                "must satisfy 0 <= start < end"
            )

    @property
    def duration(self) -> int:
        return self.source_end - self.source_start


@dataclass(frozen=True, slots=True)
class Manifest:
    """The clips of one ``clipper cut`` run, in their order."""

    media: str | None
    clips: tuple[ManifestClip, ...]
    fps: tuple[int, int] | None = None
    mode: str | None = None
    path: str | None = None


def _int(v: Any, what: str) -> int:
    # JSON has no int/float distinction for users editing by hand: 1500.0 is fine, 1500.5 is not.
    if isinstance(v, bool) or not isinstance(v, (int, float)) or int(v) != v:
        raise ValueError(f"{what} must be an integer number of milliseconds, got {v!r}")
    return int(v)


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
                    label=str(c.get("label") or ""),
                    kind=str(c.get("kind") or "range"),
                    file=c.get("file"),
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
        return Manifest(
            media=str(media) if media else None,
            clips=tuple(clips),
            fps=fps,
            mode=d.get("mode"),
            path=path,
        )
    except KeyError as e:
        raise ParseError(path, f"malformed manifest: a clip has no {e.args[0]!r}") from None
    except (TypeError, ValueError) as e:
        raise ParseError(path, f"malformed manifest: {e}") from None


def load_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read ``manifest.json`` from a file (or from a clip folder that holds one)."""
    p = os.fspath(path)
    if os.path.isdir(p):
        p = os.path.join(p, "manifest.json")
    return parse_manifest(read_text(p), p)
