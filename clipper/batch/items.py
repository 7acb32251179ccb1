"""What a batch holds: items from a folder (paired by file stem) or a CSV/JSONL manifest.

An item that cannot run (no transcript beside a media file, two media files for one stem, a
manifest row naming a missing file) is still an item: it carries its ``problem`` and is
recorded as failed with that one line, while the others go on. A manifest that cannot be
read at all (unknown column, duplicate names) is refused as a whole.

>>> Item("talk", "talk.mp4", "talk.txt").settings()["outputs"]
['alignment', 'srt', 'vtt', 'clips', 'chapters', 'edl']
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import InputError
from ..io import read_text
from ..media import MEDIA_EXTENSIONS
from ..workflow import OUTPUTS, parse_outputs

__all__ = ["Item", "Defaults", "discover", "from_folder", "from_manifest", "MANIFEST_FIELDS", "STATE_DIR"]

#: columns (CSV) or keys (JSONL) a manifest may have; media and transcript are required
MANIFEST_FIELDS = ("name", "media", "transcript", "reference", "engine", "options", "outputs", "audio_track")

#: the batch's own folder inside OUTDIR (state, work in progress); never an item's name
STATE_DIR = ".clipper-batch"

# a transcript beside the media: S.txt, then S.transcript.*; captions serve when there is no text
_TEXT_ENDINGS = (".txt", ".transcript.txt", ".transcript.srt", ".transcript.vtt", ".transcript.json")
_TIMED = (".srt", ".vtt", ".json")
_REFERENCE_ENDINGS = tuple(f".{kind}{ext}" for kind in ("reference", "ref") for ext in _TIMED)


@dataclass(frozen=True)
class Defaults:
    """Batch-wide settings an item (a manifest row) may override."""

    engine: str = "auto"
    options: Mapping[str, Any] = field(default_factory=dict)
    outputs: tuple[str, ...] = OUTPUTS
    mode: str = "accurate"
    force: bool = False
    audio_track: int = 0


@dataclass(frozen=True)
class Item:
    """One recording to run: its output folder is ``OUTDIR/name``."""

    name: str
    media: str | None
    transcript: str | None
    reference: str | None = None
    engine: str = "auto"
    options: Mapping[str, Any] = field(default_factory=dict)
    outputs: tuple[str, ...] = OUTPUTS
    mode: str = "accurate"
    force: bool = False
    problem: str | None = None  # why it cannot run; recorded as failed without running
    audio_track: int = 0  # --audio-track: the audio stream aligned to (0-based)

    def settings(self) -> dict[str, Any]:
        """Everything besides the inputs' content that changes the outputs (part of the state key)."""
        return {
            "engine": self.engine,
            "options": dict(sorted(self.options.items())),
            "outputs": list(self.outputs),
            "mode": self.mode,
            "force": self.force,
            # only when set, so items of batches journalled before it existed keep their keys
            **({"audio_track": self.audio_track} if self.audio_track else {}),
        }


def _check_name(name: str, where: str) -> str:
    p = PurePosixPath(name)
    if not name or p.is_absolute() or any(part in ("", ".", "..") for part in p.parts) or p.parts[0] == STATE_DIR:
        raise InputError(f"{where}: name {name!r} must be a relative path inside the output folder (no '..', not {STATE_DIR})")
    return str(p)


def _companion(media: Path, endings: tuple[str, ...]) -> Path | None:
    stem = media.with_suffix("")
    for end in endings:
        cand = stem.with_name(stem.name + end)
        if cand.is_file():
            return cand
    return None


def from_folder(folder: str | os.PathLike[str], defaults: Defaults = Defaults(), exclude: Path | None = None) -> list[Item]:
    """Pair every media file under ``folder`` with its transcript (and reference) by stem.

    For ``talk.mp4``: the transcript is ``talk.txt`` (or ``talk.transcript.*``),
    else captions ``talk.srt``/``talk.vtt``/``talk.json``; a reference is ``talk.reference.*``
    or ``talk.ref.*``, or captions beside a text transcript. Sub-folders are scanned; an
    item's name is its path relative to ``folder`` without the ending (``season1/ep01``).
    ``exclude`` (the output folder, when it lies inside) is skipped.
    """
    root = Path(folder)
    skip = exclude.resolve() if exclude is not None else None
    media_by_stem: dict[Path, list[Path]] = {}
    texts: set[Path] = set()
    for p in sorted(root.rglob("*")):
        if not p.is_file() or any(part.startswith(".") for part in p.relative_to(root).parts):
            continue
        if skip is not None and skip in p.resolve().parents:
            continue
        if p.suffix.lower() in MEDIA_EXTENSIONS:
            media_by_stem.setdefault(p.with_suffix(""), []).append(p)
        elif p.suffix.lower() in (".txt", ".srt", ".vtt"):
            texts.add(p)  # a transcript left without media is reported (JSON files may be anything)
    items: list[Item] = []
    used: set[Path] = set()
    for stem, media in sorted(media_by_stem.items()):
        name = stem.relative_to(root).as_posix()
        base = Item(name, str(media[0]), None, engine=defaults.engine, options=defaults.options,
                    outputs=defaults.outputs, mode=defaults.mode, force=defaults.force, audio_track=defaults.audio_track)  # fmt: skip
        if len(media) > 1:
            items.append(replace(base, problem=f"{', '.join(m.name for m in media)}: two media files share the name {stem.name!r}; keep one or use a manifest"))
            continue
        text = _companion(media[0], _TEXT_ENDINGS)
        captions = _companion(media[0], _TIMED)
        ref = _companion(media[0], _REFERENCE_ENDINGS)
        transcript = text or captions
        if text is not None and ref is None:
            ref = captions
        used.update(p for p in (transcript, ref) if p is not None)
        if transcript is None:
            items.append(replace(base, problem=f"{media[0]}: no transcript beside it; add {stem.name}.txt (or .srt/.vtt)"))
            continue
        items.append(replace(base, transcript=str(transcript), reference=str(ref) if ref else None))
    for t in sorted(texts - used):
        stem = t.with_suffix("")
        for end in (".transcript", ".reference", ".ref"):
            stem = stem.with_name(stem.name.removesuffix(end))
        if stem in media_by_stem:
            continue  # a second candidate for a media file that already has one
        items.append(Item(stem.relative_to(root).as_posix(), None, str(t),
                          problem=f"{t}: no media beside it (looked for {stem.name} with {', '.join(MEDIA_EXTENSIONS[:4])}, ...)"))  # fmt: skip
    return items


def _parse_options(value: Any, where: str) -> dict[str, Any]:
    from ..pipeline import parse_options

    if value in (None, ""):
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    text = str(value).strip()
    if text.startswith("{"):
        try:
            got = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError(f"{where}: options is not a JSON object ({e.msg}); write {{\"window\": 30}} or window=30;refine=yes") from None
        if not isinstance(got, dict):
            raise InputError(f"{where}: options must be a JSON object")
        return got
    return parse_options(s for s in text.split(";") if s.strip())


def _track_of(value: Any, default: int, where: str) -> int:
    if value in (None, ""):
        return default
    text = str(value).strip()
    if not text.isdigit():
        raise InputError(f"{where}: audio_track {value!r}: give a whole number, 0 for the first audio track")
    return int(text)


def from_manifest(path: str | os.PathLike[str], defaults: Defaults = Defaults()) -> list[Item]:
    """Read a CSV (with a header row) or JSONL manifest: one item a row, columns
    :data:`MANIFEST_FIELDS`. Relative paths are relative to the manifest's folder;
    ``name`` defaults to the transcript's stem; ``options`` is a JSON object or
    ``key=value;key=value``; ``outputs`` is ``all`` or names like ``srt,vtt``;
    ``audio_track`` the audio stream to align to (0-based, as ``--audio-track``).

    Raises:
        InputError: unknown columns, a malformed row, duplicate names (outputs would collide).
    """
    from ..workflow import stem_of

    p = Path(path)
    text = read_text(p)
    rows: list[tuple[str, dict[str, Any]]] = []
    if p.suffix.lower() in (".jsonl", ".ndjson"):
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{p}:{n}: not a JSON object ({e.msg}); one object a line") from None
            if not isinstance(row, dict):
                raise InputError(f"{p}:{n}: not a JSON object; one object a line")
            rows.append((f"{p}:{n}", row))
    else:
        reader = csv.DictReader(io.StringIO(text))
        for n, row in enumerate(reader, start=2):
            if None in row:
                raise InputError(f"{p}:{n}: more cells than header columns")
            rows.append((f"{p}:{n}", {k.strip(): v for k, v in row.items() if k is not None}))
    items: list[Item] = []
    seen: dict[str, str] = {}
    for where, row in rows:
        unknown = sorted(set(row) - set(MANIFEST_FIELDS))
        if unknown:
            raise InputError(f"{where}: unknown column {unknown[0]!r}; known: {', '.join(MANIFEST_FIELDS)}")

        def path_of(key: str, row: dict[str, Any] = row) -> str | None:
            v = row.get(key)
            if v in (None, ""):
                return None
            q = Path(str(v)).expanduser()
            return str(q if q.is_absolute() else p.parent / q)

        media, transcript, reference = path_of("media"), path_of("transcript"), path_of("reference")
        name = _check_name(str(row.get("name") or (stem_of(transcript) if transcript else "") or (stem_of(media) if media else "")), where)
        if name in seen:
            raise InputError(f"{where}: name {name!r} is used again (first at {seen[name]}); give each row its own name")
        seen[name] = where
        outputs = parse_outputs(row["outputs"]) if row.get("outputs") not in (None, "") else defaults.outputs
        item = Item(name, media, transcript, reference, engine=str(row.get("engine") or defaults.engine),
                    options={**defaults.options, **_parse_options(row.get("options"), where)},
                    outputs=outputs, mode=defaults.mode, force=defaults.force,
                    audio_track=_track_of(row.get("audio_track"), defaults.audio_track, where))  # fmt: skip
        problem = None
        for key, value in (("media", media), ("transcript", transcript), ("reference", reference)):
            if value is None and key != "reference":
                problem = f"{where}: no {key} given"
                break
            if value is not None and not Path(value).is_file():
                problem = f"{value}: no such {key} file ({where})"
                break
        items.append(replace(item, problem=problem))
    return items


def discover(source: str | os.PathLike[str], defaults: Defaults = Defaults(), exclude: Path | None = None) -> list[Item]:
    """Items from a folder or a manifest file (``.csv``, ``.jsonl``).

    Raises:
        InputError: ``source`` is neither, or the manifest cannot be read.
    """
    p = Path(source)
    if p.is_dir():
        return from_folder(p, defaults, exclude)
    if p.is_file():
        if p.suffix.lower() not in (".csv", ".jsonl", ".ndjson"):
            raise InputError(f"{p}: give a folder of media and transcripts, or a .csv/.jsonl manifest")
        return from_manifest(p, defaults)
    raise InputError(f"{p}: no such folder or manifest; check the path")
