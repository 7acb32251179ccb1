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
from typing import Any, Protocol, runtime_checkable

from ..errors import InputError
from ..model import Alignment, MediaInfo, ProgressFn, Transcript

__all__ = ["Anchor", "AlignRequest", "ENGINES", "Engine", "engine_module", "align", "available_engines", "check_known", "check_options", "choose_engine", "explain_engine", "option_keys", "option_types"]


@dataclass(frozen=True, slots=True)
class Anchor:
    """A known point: the segment whose text matches ``text`` starts near ``ms``."""

    text: str
    ms: int
    source: str = "user"  # "user" (--anchor) or "hint" (a resolved takeaway hint)


#: every confidence of a result aligned despite a refused mismatch (``force``) is at most this
FORCED_CONFIDENCE = 0.1


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


@runtime_checkable
class Engine(Protocol):
    """What an engine module provides; checked when it is loaded (:func:`engine_module`).

    ``OPTIONS``: the ``--option`` keys it reads and the types each takes (anything else is
    refused before it runs); ``PINS_ANCHORS``: it pins ``--anchor`` times itself (else
    :func:`align` checks its result against them, :mod:`clipper.align.anchors`);
    ``run(request)``: the alignment, recording the settings it used
    (``settings["effective"]``).
    """

    OPTIONS: Mapping[str, tuple[type, ...]]
    PINS_ANCHORS: bool

    def run(self, request: AlignRequest) -> Alignment: ...


#: engine name -> "module:function"; imported on first use
ENGINES: dict[str, str] = {
    "uniform": "clipper.align.uniform:run",
    "reference": "clipper.align.reference:run",
    "speech": "clipper.align.speech:run",
    "activity": "clipper.align.activity:run",
}


def engine_module(name: str) -> Engine | None:
    """Engine ``name``'s module (None when it is unknown or not installed); a module that
    does not keep the :class:`Engine` contract is a TypeError (a bug, not bad input)."""
    target = ENGINES.get(name)
    if target is None:
        return None
    mod = target.partition(":")[0]
    try:
        module = importlib.import_module(mod)
    except ModuleNotFoundError as e:
        if e.name == mod:  # the engine is not built yet
            return None
        raise
    if not isinstance(module, Engine):
        missing = [k for k in ("OPTIONS", "PINS_ANCHORS", "run") if not hasattr(module, k)]
        raise TypeError(f"engine {name!r} ({mod}) does not keep the engine contract: it lacks {', '.join(missing)}")
    return module


def _load(name: str) -> EngineFn | None:
    module = engine_module(name)
    return None if module is None else module.run


def available_engines() -> list[str]:
    """Engines whose module is installed (found without importing it: the speech engine
    pulls in pocketsphinx and numpy, which a reference run never needs)."""
    import importlib.util

    return [n for n, target in ENGINES.items() if importlib.util.find_spec(target.split(":")[0]) is not None]


def _declared_language(request: AlignRequest) -> str:
    return (request.language or request.transcript.meta.get("language") or "en").lower()


def _translated(request: AlignRequest) -> bool:
    """The transcript says it is a translation (LongCut's "translated by AI" disclaimer)."""
    return "translated" in request.transcript.meta.get("disclaimer", "").lower()


def _n(k: int, noun: str) -> str:
    return f"{k} {noun}" + ("" if k == 1 else "s")


def explain_engine(request: AlignRequest) -> tuple[str, str]:
    """What ``--engine auto`` picks, and why, from what is given, what is built and what
    the media holds.

    With media and no reference, a few samples of the audio are recognised against the
    transcript (``speech.quick_match``, ~3 s): English speech of these words goes to
    ``speech`` whatever the transcript says of itself (a LongCut export marked "translated
    by AI" may well be English speech); a transcript recognition does not find goes to
    ``activity`` when it says it is a translation or another language is given, and to
    ``speech`` otherwise, which then refuses it as another recording's transcript.
    """
    have = set(available_engines())
    if request.reference is not None:
        # a reference in another language (the original captions of a translation) shares
        # almost no words with the transcript: map segments to its cues by length instead
        if "activity" in have:
            from ..text import shared_word_ratio  # numpy-free: a reference run never loads it

            ratio = shared_word_ratio(request.transcript, request.reference)
            if ratio < 0.1:
                return "activity", f"the reference shares {ratio:.0%} of its words with the transcript: another language, mapped by cue length"
        if "reference" in have:
            return "reference", "a timed reference track was given"
        return "uniform", "no reference engine is installed"
    if request.media is None:
        raise InputError("no media and no ⟨--reference⟩: give a media file or a timed reference track")
    lang = _declared_language(request)
    if request.language is not None and not lang.startswith("en"):
        if "activity" in have:
            return "activity", f"--language {request.language}: speech activity and length (any language)"
        return "uniform", "no activity engine is installed"
    if "speech" in have and request.media.has_audio:
        from . import speech

        pr = speech.quick_match(request)
        opts = speech.SpeechOptions.from_mapping(request.options)
        found = f"recognition found {pr.share:.0%} of {pr.heard} words heard in {_n(pr.samples, 'sample')} in the transcript"
        if pr.heard >= opts.min_probe_words and pr.share >= opts.min_match_share:
            return "speech", f"{found}: English speech of this text"
        other = _translated(request) or not lang.startswith("en")
        if other and "activity" in have:
            why = "the transcript says it is translated" if _translated(request) else f"its language is {lang}"
            if pr.heard < opts.min_probe_words:
                found = f"recognition heard only {pr.heard} words in {_n(pr.samples, 'sample')}"
            return "activity", f"{found} and {why}: speech activity and length"
        return "speech", f"{found}; the transcript is English, so the speech engine decides"
    if "activity" in have:
        return "activity", "speech activity and length"
    return "uniform", "no audio engine is installed"


def option_types(name: str) -> dict[str, tuple[type, ...]]:
    """The ``--option`` settings engine ``name`` reads and the types each takes (its module's ``OPTIONS``)."""
    module = engine_module(name)
    return dict(module.OPTIONS) if module is not None else {}


def option_keys(name: str) -> frozenset[str]:
    """The ``--option`` keys engine ``name`` reads."""
    return frozenset(option_types(name))


def _fits(value: Any, types: tuple[type, ...]) -> bool:
    """``value`` as ``--option`` parsed it is of one of ``types`` (an int serves a float; 0/1 a switch)."""
    if isinstance(value, bool):
        return bool in types
    if isinstance(value, int):
        return int in types or float in types or (bool in types and value in (0, 1))
    if isinstance(value, float):
        return float in types
    return isinstance(value, str) and str in types


def check_options(name: str, options: Mapping[str, Any], why: str | None = None) -> None:
    """Refuse keys engine ``name`` does not read: a typo (``note_wieght``) would otherwise be
    recorded in the alignment as if it had been applied.

    Raises:
        InputError: an unknown key, with the engine's known ones.
    """
    if not options:
        return
    types = option_types(name)
    keys = frozenset(types)
    unknown = sorted(k for k in options if k not in keys)
    if unknown:
        chosen = f" (auto chose {name}: {why})" if why else ""
        near = get_close(unknown[0], keys)
        raise InputError(
            f"⟨--option⟩ {unknown[0]}: not a setting of the {name} engine{chosen}; "
            + (f"did you mean {near}? " if near else "")
            + f"known: {', '.join(sorted(keys)) or 'none'}"
        )
    for k, v in options.items():
        if not _fits(v, types[k]):
            want = " or ".join({bool: "true/false", int: "a whole number", float: "a number", str: "a word"}[t] for t in types[k])
            raise InputError(f"⟨--option⟩ {k}={v}: {k} takes {want}")


def check_known(options: Mapping[str, Any]) -> None:
    """Refuse, before any work, keys that no engine reads (``auto`` has not chosen yet)."""
    if not options:
        return  # nothing to check: no engine module is imported for it
    every = frozenset().union(*(option_keys(n) for n in ENGINES))
    unknown = sorted(k for k in options if k not in every)
    if unknown:
        near = get_close(unknown[0], every)
        raise InputError(
            f"⟨--option⟩ {unknown[0]}: no engine has this setting"
            + (f"; did you mean {near}?" if near else f"; known: {', '.join(sorted(every))}")
        )


def get_close(word: str, choices: frozenset[str]) -> str | None:
    import difflib

    got = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.75)
    return got[0] if got else None


def choose_engine(request: AlignRequest) -> str:
    """What ``--engine auto`` picks (see :func:`explain_engine`)."""
    return explain_engine(request)[0]


def align(request: AlignRequest, engine: str = "auto") -> Alignment:
    """Run ``engine`` (or the one ``auto`` picks: :func:`explain_engine`) on the request;
    the alignment's settings record an automatic choice and its reason (``engine_choice``)."""
    why = None
    name = engine
    check_known(request.options)
    if engine == "auto":
        name, why = explain_engine(request)
    fn = _load(name)
    if fn is None:
        known = ", ".join(["auto", *available_engines()])
        raise InputError(f"unknown or unavailable engine {name!r}; choose one of: {known}")
    if request.media is None and request.reference is None:
        raise InputError("no media and no ⟨--reference⟩: give a media file or a timed reference track")
    check_options(name, request.options, why)
    al = fn(request)
    module = engine_module(name)
    if request.anchors and module is not None and not module.PINS_ANCHORS:
        # an engine that places by evidence stronger than a user's time: check them against it
        from .anchors import check_result

        al = check_result(al, request.anchors)
    if why is not None:
        from dataclasses import replace

        al = replace(al, settings={**al.settings, "engine_choice": {"chosen": name, "why": why}})
    return al
