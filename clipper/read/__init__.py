"""Transcript readers, one module a format, behind one registry with detection.

Every reader is a pure ``parse(text, ...) -> Transcript``; :func:`load` reads the file
(``clipper.io``), detects the format, parses and cleans. Timed formats (SRT, VTT,
Whisper JSON) give segments, and words where the source has them, with times.

Contract of the registry (see ``_REGISTRY`` below): each format module defines
``NAME: str``, ``EXTENSIONS: tuple[str, ...]``, ``detect(text) -> float`` (0 = not this
format, 1 = certain) and ``parse(text, *, path=None, strict=False, **options) -> Transcript``.

Every Transcript a reader returns is cleaned (``clipper.read.clean``): segment ids are
0..n-1 in order, ``Segment.text`` is the display text (notes kept), ``Segment.words``
the spoken tokens, and ``meta`` holds at least ``format``, ``segmentation``
(``lines``/``sentences``/``cues``) and ``word_times`` (``full``/``starts``/``partial``/
``none``). ``report`` counts what reading and cleaning did.

>>> tr = parse("Hello there\\nGeneral Kenobi\\n")
>>> tr.meta["format"], [s.text for s in tr.segments]
('plain', ['Hello there', 'General Kenobi'])
>>> detect_format("WEBVTT\\n\\n00:00.000 --> 00:01.000\\nhi\\n")
'vtt'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import FormatError, ParseError
from ..io import read_text
from ..model import Transcript
from . import longcut, plain, srt, vtt, whisper
from .clean import bulk_pass

__all__ = ["FORMATS", "EXTENSIONS", "load", "parse", "detect_format", "scores"]

_REGISTRY: tuple[ModuleType, ...] = (longcut, srt, vtt, whisper, plain)

#: format name -> module (NAME, EXTENSIONS, detect, parse)
FORMATS: Mapping[str, ModuleType] = {m.NAME: m for m in _REGISTRY}

#: file extension (lower case, with the dot) -> format name
EXTENSIONS: Mapping[str, str] = {ext: m.NAME for m in _REGISTRY for ext in m.EXTENSIONS}

# Two formats whose scores are this close are a tie: the extension, if any, decides.
_TIE = 0.05
# Below this nothing is recognised with any confidence except the plain-text fallback.
_MIN = 0.05


def scores(text: str) -> dict[str, float]:
    """Each format's confidence that ``text`` is in it (0..1)."""
    return {name: float(mod.detect(text)) for name, mod in FORMATS.items()}


def detect_format(text: str, path: str | os.PathLike[str] | None = None) -> str:
    """Name of the format ``text`` is in.

    Content decides; the file's extension only breaks a tie. Raises
    :class:`FormatError` with the candidates when nothing or several fit equally.
    """
    sc = scores(text)
    ranked = sorted(sc.items(), key=lambda kv: -kv[1])
    best, top = ranked[0]
    if top < _MIN:
        raise FormatError(_where(path) + "no known transcript format recognised", candidates=[])
    tied = [name for name, v in ranked if top - v <= _TIE]
    if len(tied) == 1:
        return best
    ext_fmt = EXTENSIONS.get(Path(path).suffix.lower()) if path is not None else None
    if ext_fmt in tied:
        return ext_fmt
    raise FormatError(
        _where(path) + f"format is ambiguous ({', '.join(tied)}); pass ⟨--format⟩",
        candidates=tied,
    )


def _where(path: str | os.PathLike[str] | None) -> str:
    return f"{path}: " if path is not None else ""


def parse(
    text: str,
    fmt: str | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
    segmentation: str = "auto",
    strict: bool = False,
    **options: Any,
) -> Transcript:
    """Parse transcript text (format detected unless ``fmt`` is given), cleaned.

    ``segmentation`` (``auto``/``lines``/``sentences``) matters for plain text only.
    Raises :class:`ParseError` when the text holds no transcript or is malformed
    (``strict``) or truncated, :class:`FormatError` for an unknown or ambiguous format.
    """
    p = str(path) if path is not None else None
    if segmentation not in ("auto", "lines", "sentences"):
        raise FormatError(f"unknown segmentation {segmentation!r}; use auto, lines or sentences")
    if fmt is None:
        fmt = detect_format(text, p)
    mod = FORMATS.get(fmt.lower())
    if mod is None:
        raise FormatError(
            f"{_where(p)}unknown format {fmt!r}; use one of {', '.join(FORMATS)}", candidates=list(FORMATS)
        )
    if mod is plain:
        options["segmentation"] = segmentation
    with bulk_pass():
        tr: Transcript = mod.parse(text, path=p, strict=strict, **options)
    if not tr.segments:
        raise ParseError(p, f"no transcript text found in this {mod.NAME} file; check the file and ⟨--format⟩")
    return tr


def load(
    path: str | os.PathLike[str],
    fmt: str | None = None,
    *,
    encoding: str | None = None,
    segmentation: str = "auto",
    strict: bool = False,
) -> Transcript:
    """Read, detect, parse and clean a transcript file.

    Raises :class:`~clipper.errors.InputError` subclasses (exit code 2) naming the file
    for a missing, empty, binary, undecodable, truncated or transcript-less file.
    """
    text = read_text(path, encoding=encoding)
    return parse(text, fmt, path=str(path), segmentation=segmentation, strict=strict)
