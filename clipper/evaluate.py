"""Measure an engine against timing truth: ``clipper eval``.

A *case* names a transcript, a truth file and a timing source (media and/or a
reference track); see ``docs/eval.md`` for the three ways to name one (a case folder,
a ``NAME.truth.json`` with siblings, a ``*.case.json`` manifest). :func:`run_case`
reads the inputs, runs an engine (timed), and :func:`score` compares its segments
with the truth's:

- output segments are matched to truth segments **in order by normalised text**
  (the word aligner's opcodes, :func:`clipper.align.seqalign.opcodes`, over whole-segment
  keys; inside a replaced stretch, a monotonic
  pairing of similar segments), so a dropped or merged line costs only itself;
- a scored truth segment is *placed* when its matched output segment has times, and
  *not placed* when it has no match or the match has no times; it is *found* when it is
  placed and its confidence is not 0 (engines give 0 to a line they only interpolated
  between neighbours, and ``uniform`` to every line: a guess is not a find);
- a segment is *confident* when its confidence is at least :data:`CONFIDENT` (0.5), and
  *confident wrong* when it is confident and its start or end is more than
  :data:`WRONG_MS` (500 ms) off, or when the truth marks its text ``absent`` (not spoken
  in the media) and it was placed confidently anyway;
- errors are output minus truth, in ms, for starts and ends separately and pooled;
  words are matched the same way (in order by normalised text) when the truth has
  words and the output carries word times.

The report (:func:`report`) is a dict with stable keys, documented in ``docs/eval.md``.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ClipperError, InputError, MismatchError, ParseError
from .model import Alignment, MediaInfo, ProgressFn
from .text import norm_tokens
from .timecode import ms_from_seconds

__all__ = [
    "REPORT_VERSION",
    "Case",
    "Truth",
    "TruthSegment",
    "TruthWord",
    "Score",
    "CaseResult",
    "load_case",
    "expand_cases",
    "load_truth",
    "parse_truth",
    "match_sequences",
    "score",
    "pool",
    "error_stats",
    "run_case",
    "evaluate",
    "report",
    "format_table",
]

REPORT_VERSION = 1
#: thresholds of the "within" shares, ms
WITHIN = (100, 250, 500)
#: a segment at this confidence or above claims to be right ...
CONFIDENT = 0.5
#: ... and is wrong when its start or end is further than this from the truth (ms)
WRONG_MS = 500
#: least fuzz.ratio (0-100) for two differing segment texts to be paired: output text comes
#: from the transcript itself, so only cleaning differences (entities, notes, spacing) remain
MIN_SIMILARITY = 80.0
#: largest replaced stretch (rows x columns) paired by dynamic programming
_DP_LIMIT = 250_000


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True, slots=True)
class Case:
    """One evaluation case: where its transcript, truth and timing sources are."""

    name: str
    transcript: Path
    truth: Path
    media: Path | None = None
    reference: Path | None = None
    fmt: str | None = None
    segmentation: str = "lines"
    spec: Path | None = None  # the folder, truth file or manifest it was read from


def _must_exist(p: Path, what: str, spec: Path) -> Path:
    if not p.exists():
        raise InputError(f"{spec}: {what} {p} does not exist; fix the path (relative paths are from the case's folder)")
    return p


def _truth_audio(truth: Path) -> str | None:
    try:
        d = json.loads(truth.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ParseError(str(truth), f"not a readable truth file ({e})") from None
    audio = d.get("audio") if isinstance(d, dict) else None
    return audio if isinstance(audio, str) and audio else None


def _manifest_case(path: Path) -> Case:
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ParseError(str(path), f"not a readable case manifest ({e})") from None
    if not isinstance(d, dict) or "transcript" not in d or "truth" not in d:
        raise ParseError(str(path), 'a case manifest needs "transcript" and "truth" (see docs/eval.md)')
    base = path.parent

    def rel(key: str) -> Path | None:
        v = d.get(key)
        if v is None:
            return None
        if not isinstance(v, str):
            raise ParseError(str(path), f'"{key}" must be a path string')
        return _must_exist((base / v).resolve(), key, path)

    name = d.get("name") or path.name.removesuffix(".json").removesuffix(".case")
    seg = d.get("segmentation", "auto")
    if seg not in ("auto", "lines", "sentences"):
        raise ParseError(str(path), f'"segmentation" {seg!r}: use auto, lines or sentences')
    transcript, truth = rel("transcript"), rel("truth")
    assert transcript is not None and truth is not None
    return Case(
        name=str(name),
        transcript=transcript,
        truth=truth,
        media=rel("media"),
        reference=rel("reference"),
        fmt=d.get("format"),
        segmentation=seg,
        spec=path,
    )


def load_case(path: str | os.PathLike[str]) -> Case:
    """Read one case from a folder, a ``NAME.truth.json`` or a ``*.case.json`` manifest.

    Raises:
        InputError: a missing file, or a path that names no case.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such case; give a case folder, a NAME.truth.json or a *.case.json")
    if p.is_dir():
        if (p / "case.json").is_file():
            return _manifest_case(p / "case.json")
        truth = p / "truth.json"
        if not truth.is_file():
            raise InputError(f"{p}: no truth.json or case.json in this folder; see docs/eval.md for the case layout")
        transcript = _must_exist(p / "transcript.txt", "transcript", p)
        audio = _truth_audio(truth)
        media = _must_exist(p / audio, "audio", p) if audio else None
        return Case(p.name, transcript, truth, media, None, None, "lines", p)
    if p.name.endswith(".case.json"):
        return _manifest_case(p)
    if p.name.endswith(".truth.json"):
        stem = p.name.removesuffix(".truth.json")
        transcript = _must_exist(p.parent / f"{stem}.transcript.txt", "transcript", p)
        audio = _truth_audio(p)
        media = _must_exist(p.parent / audio, "audio", p) if audio else None
        return Case(stem, transcript, p, media, None, None, "lines", p)
    raise InputError(f"{p}: not a case; give a case folder, a NAME.truth.json or a *.case.json (see docs/eval.md)")


def _is_case(p: Path) -> bool:
    if p.is_dir():
        return (p / "truth.json").is_file() or (p / "case.json").is_file()
    if p.name.endswith(".case.json"):
        return True
    if p.name.endswith(".truth.json"):
        return (p.parent / (p.name.removesuffix(".truth.json") + ".transcript.txt")).is_file()
    return False


def expand_cases(paths: Iterable[str | os.PathLike[str]]) -> list[Case]:
    """Cases named by ``paths``; a folder that is not itself a case stands for the cases in it.

    Inside such a folder (one level, sorted by name): sub-folders with ``truth.json`` or
    ``case.json``, ``*.case.json`` manifests, and ``NAME.truth.json`` files that have a
    ``NAME.transcript.txt`` beside them.
    """
    out: list[Case] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir() and not _is_case(p):
            found = [c for c in sorted(p.iterdir()) if _is_case(c)]
            if not found:
                raise InputError(f"{p}: holds no cases; see docs/eval.md for the case layout")
            out.extend(load_case(c) for c in found)
        else:
            out.append(load_case(p))
    return out


# --------------------------------------------------------------------------- truth


@dataclass(frozen=True, slots=True)
class TruthSegment:
    """A truth segment; ``absent`` ones are transcript text that the media does not hold
    (no times): an engine should leave them unplaced."""

    text: str
    start: int | None
    end: int | None
    scored: bool = True
    absent: bool = False


@dataclass(frozen=True, slots=True)
class TruthWord:
    text: str
    start: int
    end: int
    approx: bool = False


@dataclass(frozen=True, slots=True)
class Truth:
    """A ``truth.json``: times in ms; ``duration`` None when the file does not say."""

    segments: tuple[TruthSegment, ...]
    words: tuple[TruthWord, ...] = ()
    duration: int | None = None
    audio: str | None = None


def parse_truth(d: Mapping[str, Any], path: str | None = None) -> Truth:
    """Build a :class:`Truth` from the decoded JSON of a truth file (seconds become ms here)."""
    try:
        segs = tuple(
            TruthSegment(str(s.get("text", "")), None, None, False, True)
            if s.get("absent")
            else TruthSegment(
                str(s.get("text", "")),
                ms_from_seconds(float(s["start"])),
                ms_from_seconds(float(s["end"])),
                bool(s.get("scored", True)),
            )
            for s in d["segments"]
        )
        words = tuple(
            TruthWord(
                str(w.get("word", w.get("text", ""))),
                ms_from_seconds(float(w["start"])),
                ms_from_seconds(float(w["end"])),
                bool(w.get("approx", False)),
            )
            for w in d.get("words") or ()
        )
        dur = d.get("duration")
        return Truth(segs, words, ms_from_seconds(float(dur)) if dur is not None else None, d.get("audio"))
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ParseError(path, f"malformed truth file ({type(e).__name__}: {e}); see ../shared/data/README.md") from None


def load_truth(path: str | os.PathLike[str]) -> Truth:
    try:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such truth file") from None
    except (OSError, ValueError) as e:
        raise ParseError(str(path), f"not a readable truth file ({e})") from None
    if not isinstance(d, dict) or "segments" not in d:
        raise ParseError(str(path), 'not a truth file (no "segments"); see ../shared/data/README.md')
    return parse_truth(d, str(path))


# --------------------------------------------------------------------------- matching


def _key(text: str) -> str:
    return " ".join(norm_tokens(text))


def _pair_block(a: Sequence[str], b: Sequence[str], min_sim: float) -> list[tuple[int, int]]:
    """Monotonic pairs (i, j) of a replaced stretch maximising summed similarity."""
    from rapidfuzz import fuzz

    n, m = len(a), len(b)
    if n == 0 or m == 0:
        return []
    if n * m > _DP_LIMIT:
        # too big for the quadratic pairing: only same-length stretches pair by position
        if n != m:
            return []
        return [(i, i) for i in range(n) if fuzz.ratio(a[i], b[i]) >= min_sim]
    sim = [[fuzz.ratio(x, y) for y in b] for x in a]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, nxt = best[i], best[i + 1]
        for j in range(m - 1, -1, -1):
            s = sim[i][j]
            take = s + nxt[j + 1] if s >= min_sim else -1.0
            row[j] = max(take, nxt[j], row[j + 1])
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        s = sim[i][j]
        if s >= min_sim and best[i][j] == s + best[i + 1][j + 1]:
            pairs.append((i, j))
            i += 1
            j += 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def match_sequences(
    out_keys: Sequence[str], truth_keys: Sequence[str], fuzzy: bool = True, min_sim: float = MIN_SIMILARITY
) -> list[int | None]:
    """For each truth item, the index of its output item (monotonic), or None.

    Equal keys pair through rapidfuzz's Levenshtein opcodes over key ids; with ``fuzzy``,
    items inside a replaced stretch pair by similarity (fuzz.ratio >= ``min_sim``).

    >>> match_sequences(["a b", "the cat sat", "d e"], ["a b", "the cat sad", "x y z", "d e"])
    [0, 1, None, 2]
    """
    n_truth = len(truth_keys)
    if len(out_keys) == n_truth and list(out_keys) == list(truth_keys):
        return list(range(n_truth))
    from .align.seqalign import opcodes  # the word aligner's: one sequence matcher in clipper

    result: list[int | None] = [None] * n_truth

    def pair_gap(i1: int, i2: int, j1: int, j2: int) -> None:
        if fuzzy and i2 > i1 and j2 > j1:
            for i, j in _pair_block(out_keys[i1:i2], truth_keys[j1:j2], min_sim):
                result[j1 + j] = i1 + i

    # the stretch between two equal runs (opcodes may split it into insert + replace) pairs as one
    gi = gj = 0
    for tag, i1, i2, j1, j2 in opcodes(out_keys, truth_keys):
        if tag == "equal":
            pair_gap(gi, i1, gj, j1)
            for k in range(i2 - i1):
                result[j1 + k] = i1 + k
            gi, gj = i2, j2
    pair_gap(gi, len(out_keys), gj, len(truth_keys))
    return result


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True, slots=True)
class Score:
    """Signed errors (output minus truth, ms) and counts for one case."""

    truth_segments: int
    scored: int
    output_segments: int
    matched: int
    placed: int
    start_errors: tuple[int, ...]
    end_errors: tuple[int, ...]
    truth_words: int = 0
    scored_words: int = 0
    matched_words: int = 0
    word_start_errors: tuple[int, ...] = ()
    word_end_errors: tuple[int, ...] = ()
    has_word_times: bool = False
    found: int = 0  # placed with evidence: confidence not 0
    #: confidence of each placed scored segment, in the order of ``start_errors`` (None: none given)
    confidences: tuple[float | None, ...] = ()
    absent: int = 0  # truth segments marked absent (text the media does not hold)
    absent_placed: int = 0  # ... that the engine placed anyway
    absent_confident: int = 0  # ... and called confident

    @property
    def not_placed(self) -> int:
        return self.scored - self.placed

    @property
    def confident(self) -> int:
        """Placed scored segments at confidence >= CONFIDENT."""
        return sum(1 for c in self.confidences if c is not None and c >= CONFIDENT)

    @property
    def confident_wrong(self) -> int:
        """Confident segments more than WRONG_MS off at either edge, plus absent text placed confidently."""
        bad = sum(
            1
            for c, a, b in zip(self.confidences, self.start_errors, self.end_errors, strict=True)
            if c is not None and c >= CONFIDENT and max(abs(a), abs(b)) > WRONG_MS
        )
        return bad + self.absent_confident


def score(al: Alignment, truth: Truth) -> Score:
    """Compare an alignment's segments (and words) with the truth.

    Only truth segments with ``scored`` true count; words marked ``approx`` in the
    truth are matched (they keep the order) but not scored.
    """
    out = al.segments
    seg_match = match_sequences([_key(s.text) for s in out], [_key(t.text) for t in truth.segments])
    scored = matched = placed = found = 0
    absent = absent_placed = absent_confident = 0
    starts: list[int] = []
    ends: list[int] = []
    confs: list[float | None] = []
    for t, j in zip(truth.segments, seg_match, strict=True):
        if t.absent:
            absent += 1
            s = out[j] if j is not None else None
            if s is not None and s.placed:
                absent_placed += 1
                absent_confident += s.confidence is not None and s.confidence >= CONFIDENT
            continue
        if not t.scored:
            continue
        assert t.start is not None and t.end is not None
        scored += 1
        if j is None:
            continue
        matched += 1
        s = out[j]
        if s.start is None or s.end is None:
            continue
        placed += 1
        if s.confidence is None or s.confidence > 0:
            found += 1
        starts.append(s.start - t.start)
        ends.append(s.end - t.end)
        confs.append(s.confidence)

    out_words = [w for s in out for w in s.words]
    has_word_times = any(w.start is not None for w in out_words)
    w_starts: list[int] = []
    w_ends: list[int] = []
    matched_words = 0
    scored_words = sum(1 for w in truth.words if not w.approx)
    if truth.words and has_word_times:
        wm = match_sequences(
            [" ".join(norm_tokens(w.text)) for w in out_words],
            [" ".join(norm_tokens(w.text)) for w in truth.words],
            fuzzy=False,
        )
        for tw, j in zip(truth.words, wm, strict=True):
            if j is None or tw.approx:
                continue
            ow = out_words[j]
            if ow.start is None or ow.end is None:
                continue
            matched_words += 1
            w_starts.append(ow.start - tw.start)
            w_ends.append(ow.end - tw.end)
    return Score(
        truth_segments=len(truth.segments),
        scored=scored,
        output_segments=len(out),
        matched=matched,
        placed=placed,
        found=found,
        start_errors=tuple(starts),
        end_errors=tuple(ends),
        truth_words=len(truth.words),
        scored_words=scored_words,
        matched_words=matched_words,
        word_start_errors=tuple(w_starts),
        word_end_errors=tuple(w_ends),
        has_word_times=has_word_times,
        confidences=tuple(confs),
        absent=absent,
        absent_placed=absent_placed,
        absent_confident=absent_confident,
    )


def _r(x: float | None, nd: int = 1) -> float | None:
    return None if x is None else round(float(x), nd)


def error_stats(errors: Sequence[int]) -> dict[str, Any]:
    """Absolute-error figures of signed errors (ms).

    Percentiles interpolate linearly (numpy's default). ``bias_ms`` is the signed mean;
    ``within_X`` the share (0-1) of errors with ``|e| <= X``. Empty input gives None values.

    >>> error_stats([-100, 0, 300])["median_ms"], error_stats([-100, 0, 300])["within_250"]
    (100.0, 0.6667)
    """
    import numpy as np

    keys = ("median_ms", "p90_ms", "p99_ms", "max_ms", "bias_ms") + tuple(f"within_{w}" for w in WITHIN)
    if not errors:
        return {"n": 0, **{k: None for k in keys}}
    e = np.asarray(errors, dtype=np.float64)
    a = np.abs(e)
    out: dict[str, Any] = {
        "n": int(len(a)),
        "median_ms": _r(float(np.percentile(a, 50))),
        "p90_ms": _r(float(np.percentile(a, 90))),
        "p99_ms": _r(float(np.percentile(a, 99))),
        "max_ms": _r(float(a.max())),
        "bias_ms": _r(float(e.mean())),
    }
    for w in WITHIN:
        out[f"within_{w}"] = round(float((a <= w).mean()), 4)
    return out


def _word_stats(sc: Score) -> dict[str, Any] | None:
    if not sc.truth_words or not sc.has_word_times:
        return None
    st, en = error_stats(sc.word_start_errors), error_stats(sc.word_end_errors)
    return {
        "truth": sc.truth_words,
        "scored": sc.scored_words,
        "matched": sc.matched_words,
        "start_median_ms": st["median_ms"],
        "start_p90_ms": st["p90_ms"],
        "end_median_ms": en["median_ms"],
        "end_p90_ms": en["p90_ms"],
    }


# --------------------------------------------------------------------------- running


@dataclass(frozen=True, slots=True)
class CaseResult:
    """A case run: its score (None on failure), timings (s) and what was used."""

    case: Case
    engine: str | None
    score: Score | None
    load_s: float
    wall_s: float
    duration_ms: int | None
    reference: Path | None = None
    error: str | None = None
    stats: Mapping[str, Any] = field(default_factory=dict)
    #: why the engine refused the inputs (a transcript or reference that does not belong to
    #: the media): then every segment counts as not placed, which is right for absent text
    refused: str | None = None


def run_case(
    case: Case,
    engine: str = "auto",
    *,
    reference: str | os.PathLike[str] | None = None,
    options: Mapping[str, Any] | None = None,
    jobs: int = 1,
    progress: ProgressFn | None = None,
    force: bool = False,
) -> CaseResult:
    """Read a case's inputs, run the engine (timed apart from reading), score it.

    ``reference`` replaces the case's own reference track. A :class:`ClipperError`
    raised while aligning is recorded in the result's ``error``, not raised: one failing
    case does not stop the others. Bad case files (truth, transcript) still raise.
    """
    from .media import probe
    from .pipeline import align_transcript, load_transcript

    ref_path = Path(reference) if reference is not None else case.reference
    t0 = time.perf_counter()
    truth = load_truth(case.truth)
    transcript = load_transcript(case.transcript, case.fmt, segmentation=case.segmentation)
    ref = load_transcript(ref_path) if ref_path is not None else None
    media: MediaInfo | None = probe(case.media) if case.media is not None else None
    t1 = time.perf_counter()
    duration = truth.duration
    if duration is None and media is not None:
        duration = media.duration
    try:
        al = align_transcript(
            transcript, media, reference=ref, engine=engine, jobs=jobs,
            options=options, progress=progress, force=force,
        )  # fmt: skip
    except MismatchError as e:
        # a refusal is an answer: score it as "nothing placed"
        t2 = time.perf_counter()
        empty = Alignment(transcript=transcript, engine="refused", media=media)
        return CaseResult(case, None, score(empty, truth), t1 - t0, t2 - t1, duration, ref_path, None, {}, str(e))
    except ClipperError as e:
        return CaseResult(case, None, None, t1 - t0, time.perf_counter() - t1, duration, ref_path, str(e))
    t2 = time.perf_counter()
    if duration is None:
        duration = al.duration
    return CaseResult(case, al.engine, score(al, truth), t1 - t0, t2 - t1, duration, ref_path, None, dict(al.stats))


def evaluate(
    cases: Sequence[Case],
    engine: str = "auto",
    *,
    reference: str | os.PathLike[str] | None = None,
    options: Mapping[str, Any] | None = None,
    jobs: int = 1,
    progress: ProgressFn | None = None,
    force: bool = False,
) -> list[CaseResult]:
    """Run :func:`run_case` on each case in turn (one at a time, so timings are fair)."""
    results = []
    for i, c in enumerate(cases):
        if progress is not None:
            progress("cases", i, len(cases))
        results.append(
            run_case(c, engine, reference=reference, options=options, jobs=jobs, progress=progress, force=force)
        )
    if progress is not None:
        progress("cases", len(cases), len(cases))
    return results


# --------------------------------------------------------------------------- report


def _timing(load_s: float, wall_s: float, duration_ms: int | None) -> dict[str, Any]:
    dur = duration_ms / 1000 if duration_ms else None
    return {
        "load_s": round(load_s, 4),
        "wall_s": round(wall_s, 4),
        "duration_s": _r(dur, 3),
        "rtf": _r(wall_s / dur, 6) if dur else None,
        "x_realtime": _r(dur / wall_s, 1) if dur and wall_s > 0 else None,
    }


def pool(scores: Sequence[Score]) -> Score:
    """Several cases' scores as one: counts summed, errors and confidences concatenated.

    Word counts come only from cases whose output has word times (others have none to match).
    """
    timed = [s for s in scores if s.has_word_times]
    return Score(
        truth_segments=sum(s.truth_segments for s in scores),
        scored=sum(s.scored for s in scores),
        output_segments=sum(s.output_segments for s in scores),
        matched=sum(s.matched for s in scores),
        placed=sum(s.placed for s in scores),
        start_errors=tuple(e for s in scores for e in s.start_errors),
        end_errors=tuple(e for s in scores for e in s.end_errors),
        truth_words=sum(s.truth_words for s in timed),
        scored_words=sum(s.scored_words for s in timed),
        matched_words=sum(s.matched_words for s in timed),
        word_start_errors=tuple(e for s in timed for e in s.word_start_errors),
        word_end_errors=tuple(e for s in timed for e in s.word_end_errors),
        has_word_times=bool(timed),
        found=sum(s.found for s in scores),
        confidences=tuple(c for s in scores for c in s.confidences),
        absent=sum(s.absent for s in scores),
        absent_placed=sum(s.absent_placed for s in scores),
        absent_confident=sum(s.absent_confident for s in scores),
    )


def _seg_counts(sc: Score) -> dict[str, Any]:
    scored = sc.scored
    claims = sc.confident + sc.absent_confident
    return {
        "truth": sc.truth_segments,
        "scored": scored,
        "output": sc.output_segments,
        "matched": sc.matched,
        "placed": sc.placed,
        "not_placed": scored - sc.placed,
        "placed_share": round(sc.placed / scored, 4) if scored else None,
        "found": sc.found,
        "found_share": round(sc.found / scored, 4) if scored else None,
        "confident": sc.confident,
        "confident_share": round(sc.confident / scored, 4) if scored else None,
        "confident_wrong": sc.confident_wrong,
        "confident_wrong_share": round(sc.confident_wrong / claims, 4) if claims else None,
        "absent": sc.absent,
        "absent_placed": sc.absent_placed,
    }


def _case_dict(r: CaseResult) -> dict[str, Any]:
    c = r.case
    d: dict[str, Any] = {
        "name": c.name,
        "spec": str(c.spec) if c.spec else None,
        "transcript": str(c.transcript),
        "media": str(c.media) if c.media else None,
        "reference": str(r.reference) if r.reference else None,
        "truth": str(c.truth),
        "engine": r.engine,
        "error": r.error,
        "refused": r.refused,
    }
    sc = r.score
    if sc is None:
        d.update(segments=None, starts=None, ends=None, pooled=None, words=None)
    else:
        d["segments"] = _seg_counts(sc)
        d["starts"] = error_stats(sc.start_errors)
        d["ends"] = error_stats(sc.end_errors)
        d["pooled"] = error_stats(sc.start_errors + sc.end_errors)
        d["words"] = _word_stats(sc)
    d["timing"] = _timing(r.load_s, r.wall_s, r.duration_ms)
    return d


def report(
    results: Sequence[CaseResult],
    engine: str = "auto",
    *,
    options: Mapping[str, Any] | None = None,
    reference: str | os.PathLike[str] | None = None,
    jobs: int = 1,
) -> dict[str, Any]:
    """The ``clipper eval --json`` document (keys documented in docs/eval.md)."""
    ok = pool([r.score for r in results if r.score is not None])
    durations = [r.duration_ms for r in results if r.duration_ms]
    overall = {
        "cases": len(results),
        "failed": sum(1 for r in results if r.error is not None),
        "refused": sum(1 for r in results if r.refused is not None),
        "segments": _seg_counts(ok),
        "starts": error_stats(ok.start_errors),
        "ends": error_stats(ok.end_errors),
        "pooled": error_stats(ok.start_errors + ok.end_errors),
        "words": _word_stats(ok),
        "timing": _timing(
            sum(r.load_s for r in results),
            sum(r.wall_s for r in results),
            sum(durations) if durations else None,
        ),
    }
    return {
        "clipper_eval": REPORT_VERSION,
        "engine": engine,
        "options": dict(options or {}),
        "reference_override": str(reference) if reference is not None else None,
        "jobs": jobs,
        "cases": [_case_dict(r) for r in results],
        "overall": overall,
    }


def _fmt(x: Any, pct: bool = False) -> str:
    if x is None:
        return "-"
    if pct:
        return f"{100 * x:.1f}"
    if isinstance(x, float):
        if math.isfinite(x) and abs(x) >= 100:
            return f"{x:.0f}"
        return f"{x:.1f}" if x != int(x) else f"{x:.0f}"
    return str(x)


def format_table(rep: Mapping[str, Any]) -> str:
    """A plain-text table of a :func:`report`: a row per case and one for all of them."""
    head = (
        "case", "engine", "scored", "placed%", "found%", "conf%", "c-wrong",
        "start med", "p90", "p99", "max",
        "end med", "p90", "p99", "max",
        "<=100", "<=500", "word med", "wall s", "xRT",
    )  # fmt: skip
    rows: list[tuple[str, ...]] = []

    def row(name: str, eng: str, d: Mapping[str, Any]) -> tuple[str, ...]:
        seg = d.get("segments") or {}
        st, en, po = d.get("starts") or {}, d.get("ends") or {}, d.get("pooled") or {}
        wd = d.get("words") or {}
        tm = d.get("timing") or {}
        return (
            name, eng, _fmt(seg.get("scored")), _fmt(seg.get("placed_share"), pct=True),
            _fmt(seg.get("found_share"), pct=True), _fmt(seg.get("confident_share"), pct=True),
            _fmt(seg.get("confident_wrong")),
            _fmt(st.get("median_ms")), _fmt(st.get("p90_ms")), _fmt(st.get("p99_ms")), _fmt(st.get("max_ms")),
            _fmt(en.get("median_ms")), _fmt(en.get("p90_ms")), _fmt(en.get("p99_ms")), _fmt(en.get("max_ms")),
            _fmt(po.get("within_100"), pct=True), _fmt(po.get("within_500"), pct=True), _fmt(wd.get("start_median_ms")),
            "-" if tm.get("wall_s") is None else f"{tm['wall_s']:.3f}",
            "-" if tm.get("x_realtime") is None else f"{tm['x_realtime']:.0f}",
        )  # fmt: skip

    for c in rep["cases"]:
        if c.get("error"):
            rows.append((c["name"], "FAILED", c["error"]))
        else:
            rows.append(row(c["name"], "refused" if c.get("refused") else c.get("engine") or "-", c))
    rows.append(row("overall", rep.get("engine", "-"), rep["overall"]))
    full = [r for r in rows if len(r) == len(head)]
    widths = [max(len(h), *(len(r[i]) for r in full)) for i, h in enumerate(head)]

    def line(cells: Sequence[str]) -> str:
        if len(cells) != len(head):
            return "  ".join(cells)
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    out = [line(head), *(line(r) for r in rows)]
    out.append(
        "(errors in ms, output minus truth, absolute; <=X = share of starts and ends within X ms, %; "
        f"conf% = share at confidence >= {CONFIDENT}; c-wrong = of those, more than {WRONG_MS} ms off, "
        "plus absent text placed confidently)"
    )
    return "\n".join(out)
