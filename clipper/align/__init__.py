"""Alignment engines behind one interface: ``align(request) -> Alignment``.

Engines live in their own modules and are imported lazily (the speech engine pulls in
pocketsphinx): ``uniform`` (the floor), ``reference`` (a timed track of the same
speech), ``speech`` (the audio, English, pocketsphinx's bundled model) and ``activity``
(speech activity plus segment length: any language, translations, cross-language cues).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from ..model import Alignment, MediaInfo, ProgressFn, Transcript

__all__ = ["Anchor", "AlignRequest", "ENGINES", "align", "available_engines", "choose_engine"]


@dataclass(frozen=True, slots=True)
class Anchor:
    """A known point: the segment whose text matches ``text`` starts near ``ms``."""

    text: str
    ms: int
    source: str = "user"  # "user" (--anchor) or "hint" (a resolved takeaway hint)


@dataclass(frozen=True, slots=True)
class AlignRequest:
    transcript: Transcript
    media: MediaInfo | None = None
    reference: Transcript | None = None
    anchors: Sequence[Anchor] = ()
    language: str | None = None
    jobs: int = 1
    options: Mapping[str, Any] = field(default_factory=dict)
    progress: ProgressFn | None = None
    force: bool = False

    def report(self, label: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(label, done, total)


EngineFn = Callable[[AlignRequest], Alignment]

#: engine name -> "module:function"; imported on first use
ENGINES: dict[str, str] = {
    "uniform": "clipper.align.uniform:run",
    "reference": "clipper.align.reference:run",
    "speech": "clipper.align.speech:run",
    "activity": "clipper.align.activity:run",
}


def _load(name: str) -> EngineFn | None:
    target = ENGINES.get(name)
    if target is None:
        return None
    mod, fn = target.split(":")
    try:
        module = importlib.import_module(mod)
    except ModuleNotFoundError as e:
        if e.name == mod:  # the engine is not built yet
            return None
        raise
    return getattr(module, fn)  # type: ignore[no-any-return]


def available_engines() -> list[str]:
    """Engines whose module is installed (found without importing it: the speech engine
    pulls in pocketsphinx and numpy, which a reference run never needs)."""
    import importlib.util

    return [n for n, target in ENGINES.items() if importlib.util.find_spec(target.split(":")[0]) is not None]


def _is_english(request: AlignRequest) -> bool:
    lang = (request.language or request.transcript.meta.get("language") or "en").lower()
    if not lang.startswith("en"):
        return False
    # an AI translation into English is still not English *speech*
    return "translated" not in request.transcript.meta.get("disclaimer", "").lower()


def choose_engine(request: AlignRequest) -> str:
    """What ``--engine auto`` picks, from what is given and what is built."""
    have = set(available_engines())
    if request.reference is not None:
        # a reference in another language (the original captions of a translation) shares
        # almost no words with the transcript: map segments to its cues by length instead
        if "activity" in have:
            from .cuemap import shared_word_ratio

            if shared_word_ratio(request.transcript, request.reference) < 0.1:
                return "activity"
        return "reference" if "reference" in have else "uniform"
    if request.media is None:
        raise InputError("no media and no --reference: give a media file or a timed reference track")
    if _is_english(request) and "speech" in have:
        return "speech"
    if "activity" in have:
        return "activity"
    return "uniform"


def align(request: AlignRequest, engine: str = "auto") -> Alignment:
    name = choose_engine(request) if engine == "auto" else engine
    fn = _load(name)
    if fn is None:
        known = ", ".join(["auto", *available_engines()])
        raise InputError(f"unknown or unavailable engine {name!r}; choose one of: {known}")
    if request.media is None and request.reference is None:
        raise InputError("no media and no --reference: give a media file or a timed reference track")
    return fn(request)
