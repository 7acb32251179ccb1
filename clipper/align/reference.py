"""The reference engine: carry the times of a timed track of the same speech (YouTube
auto-captions, a Whisper run, old subtitles) over to the clean transcript.

Steps, all on integer milliseconds:

1. flatten the reference into words with times: word starts (and ends) where the source
   has them; for cue-only tracks (SRT without word times) the words are spread inside
   their cue by spoken length, with slack put in the pauses between transcript segments
   that fall inside the cue, and the cue edges kept;
2. align the transcript's spoken words to the reference words
   (:mod:`clipper.align.seqalign`: rapidfuzz opcodes over token ids, then near-equal
   pairs and substitutions inside mismatched stretches); isolated matches in sparse
   regions are dropped, and a reference whose share of words matched *in runs*
   (:func:`run_share`) is below ``min_run_share`` is refused with
   :class:`~clipper.errors.MismatchError` (``request.force`` goes on, and no segment is
   then more than 0.1 confident);
3. matched words take the reference word's start; their end is the reference end where
   it is real, else ``min(next reference start, start + expected duration)`` from a
   speech-rate model (``A + B * letters``, fitted on the reference's word starts);
4. unmatched words are laid out between their matched neighbours by spoken length with
   durations from the same model, so a long gap stays a gap and is not smeared; whole
   segments with no match go into the pause between their neighbours with the slack
   shared equally; a long run of such segments, or one that would have to be squeezed or
   stretched past reason, is left unplaced (start/end None) and listed in ``stats``;
5. when media with audio is given (``options["refine"]``, default "auto"), segment
   starts move to the nearest speech onset and ends to the end of the speech the last
   word starts in, found by the VAD (:mod:`clipper.vad`). On the 10-minute TTS bench with
   a derived YouTube-like track this takes ends from a 128 ms median error to 2 ms.

Per-segment confidence is the share of its words matched (exact or near-equal), capped
where the times are guesses rather than readings (:func:`_edge_unsure`): at
``UNSURE_CONF`` when an edge may be more than ``EDGE_MS`` off (an edge laid by length
from a matched word further in, or interpolated inside a cue of a cue-only track), and at
``STRETCHED_CONF`` when the segment spans far more than its words take to say. Measured on
the bench (``clipper eval scripts/cases/bench_*.case.json --engine reference``), a segment
at confidence >= 0.5 is within 500 ms of the truth at both edges in 99.87% (YouTube-style
track, 97% of segments confident) and 99.52% (cue-only SRT, 51% confident) of cases. ``stats["warnings"]`` records what was done
about bad input (overlapping or backwards cues, times past the media's end).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from itertools import accumulate
from typing import Any

from ..errors import InputError, MismatchError
from ..model import Alignment, Segment, Transcript, Word
from ..text import spoken_tokens
from . import FORCED_CONFIDENCE, AlignRequest
from .seqalign import EXACT, FUZZY, NONE, SUBST, WordAlignment, align_words

__all__ = ["run", "DEFAULTS", "word_duration", "RefTrack", "flatten_reference", "run_share"]

#: a run: at least RUN_MIN matched words in a row, where each next matched word is at most
#: RUN_SKIP+1 words on in the transcript and in the reference (one word of either may sit
#: between, unmatched: an ASR error or an inserted filler)
RUN_MIN = 3
RUN_SKIP = 1
#: the default of ``min_run_share``. Measured by ``scripts/bench_reference_mismatch.py``:
#: run_share, and (after the slash) the match rate the engine used to test (matched words
#: over min(transcript, reference words), refused below 0.3):
#:
#: right pairs (the same speech; references with ~15 % word errors unless said)
#:   bench seed / seed.youtube.vtt, seed.cues.srt (6.8 h)                   0.922 / 0.922
#:   seed_6min / seed_6min.youtube.vtt, seed_6min.cues.srt                  0.917 / 0.917
#:   seed_6min lines 60-119 / seed_6min's youtube, cues (a part of the ref) 0.927 / 0.944
#:   seed_6min / seed.youtube.vtt, seed.cues.srt (a part of a 6.8 h ref)    0.900 / 0.918
#:   seed_6min / first half of its youtube, cues (twice the ref's speech)   0.911 / 0.911
#:   bench seed / first half of seed.youtube.vtt (twice the ref's speech)   0.923 / 0.923
#:   bench seed / seed_3h.youtube.vtt (a ref of 1/65 of the transcript)     0.879 / 0.880
#:   mfa_acoustic_corpus, harvard list 30 / tracks from their truth words   0.881, 0.895
#:   seed_6min / tracks from its truth words, 30 / 45 / 60 % word errors    0.778 / 0.675 / 0.486
#: wrong pairs
#:   samples/interview.txt / seed_6min's youtube, cues                      0.000 / 0.407
#:   samples/interview.txt / seed.youtube.vtt, seed.cues.srt (6.8 h)        0.000 / 0.848
#:   harvard list 30 / seed.youtube.vtt (6.8 h), seed_6min.youtube.vtt      0.000 / 0.628, 0.337
#:   seed_6min (and its lines 60-119) / seed_3h.youtube.vtt                 0.000 / 0.063, 0.220
#:   seed_6min / its youtube, cues with the words shuffled                  0.000 / 0.059, 0.069
#:   seed_6min / its youtube, cues with the cue texts shuffled              0.028, 0.049 / 0.088, 0.103
#:   bench seed / seed.youtube.vtt, words or cue texts shuffled             0.001, 0.006 / 0.049, 0.056
#:   bench seed's first hour / seed.youtube.vtt's last hour                 0.003 / 0.051
#:   bench seed, seed_6min / tracks of other recordings (../shared/data)    0.000 / 0.000
#:
#: Right pairs are >= 0.879 at 15 % word errors (0.486 at 60 %), wrong ones <= 0.049:
#: 0.2 is four times the worst wrong pair and 2.4 times under the 60 % right one. Short
#: inputs are weak evidence either way: a run is 3 words, 5 % of a 60-word transcript.
MIN_RUN_SHARE = 0.2
#: a segment edge that may be further than this from the truth (ms) is not confident ...
EDGE_MS = 500
#: ... and its segment's confidence is at most this
UNSURE_CONF = 0.3
#: share of the time from the nearer cue edge that a word interpolated inside a cue of a
#: cue-only track may be off by (the speech-rate model's error) ...
CUE_RATE_ERR = 0.1
#: ... and a cue edge less than this (ms) from the neighbouring cue is not a speech edge.
#: Measured on the bench (``clipper eval scripts/cases/bench_{youtube,cues}.case.json
#: --engine reference``): share of segments at confidence >= 0.5, and of those more than
#: 500 ms off at either edge:
#:   confidence = share of matched words (before):  YouTube 98.3 % / 0.32 %,  cues 98.3 % / 2.26 %
#:   + edges laid by length, cue layout readings:   YouTube 97.3 % / 0.13 %,  cues 84.0 % / 0.99 %
#:   + CUE_RATE_ERR 0.1:                                                      cues 70.0 % / 0.54 %
#:   + touching cue edges (ABUT_MS 50), as now:     YouTube 97.3 % / 0.13 %,  cues 50.7 % / 0.48 %
#: (CUE_RATE_ERR 0.2 instead: cues 54.1 % / 0.40 % without ABUT_MS.) On the 10-minute TTS
#: render (bench/tts) with tracks derived from its truth words (scripts/bench_reference.py
#: youtube_like_vtt; 15 % word errors, word starts exact or +-60 ms): YouTube-style
#: 91-94 % / 0.4-0.8 % (30 % word errors: 83-85 % / 1.8 %, 4 of 229); its cues merged in
#: pairs as a cue-only track whose cues all touch (25-35 % of segments more than 500 ms
#: off): 0.4-1.5 % confident, 1 of those 11 segments wrong.
ABUT_MS = 50
#: a segment spanning more than max_stretch times its words' spoken length plus this (ms)
#: holds words placed far apart: at most STRETCHED_CONF
STRETCH_SLACK = 1000
STRETCHED_CONF = 0.1
#: every segment of a reference aligned despite a mismatch (--force) is at most this
FORCED_CONF = FORCED_CONFIDENCE

#: engine settings (``request.options`` overrides any of them)
DEFAULTS: dict[str, Any] = {
    # refuse a reference whose share of words matched in runs (run_share) is below this;
    # see MIN_RUN_SHARE for the measurements behind it
    "min_run_share": MIN_RUN_SHARE,
    # move segment edges to speech onsets/offsets found by the VAD: "auto" (both edges
    # when media with audio is given), false, "ends", "starts" or true/"both"; and how
    # far a start may move to the nearest onset (ms)
    "refine": "auto",
    "refine_within": 150,
    # a run of wholly unmatched segments with at least this many words is not guessed
    "long_run": 40,
    # placing unmatched segments may stretch or squeeze them by at most these factors
    "max_stretch": 2.5,
    # speech-rate model: a word lasts A + B * letters ms; fitted on the reference's word
    # starts when it has them (fit_rate), these are the defaults
    "dur_a": 95.0,
    "dur_b": 35.0,
    "fit_rate": True,
    # a word's end is at most this long before the next reference word's start
    "end_gap": 0,
    # a substituted word this far (ms) from its placed neighbour in the same segment was
    # paired with a word of another line: it is placed by length instead
    "stray_gap": 1200,
    # sequence matcher: rapidfuzz (fast) or difflib (the slow baseline, for benchmarks)
    "matcher": "rapidfuzz",
}

#: the ``--option`` settings this engine reads, and their types: DEFAULTS' and how far a
#: refined edge may look; ``refine`` is a switch or a word (ends, starts, both, auto)
OPTIONS: dict[str, tuple[type, ...]] = {**{k: (type(v),) for k, v in DEFAULTS.items()}, "refine": (str, bool), "refine_far": (int,)}
#: anchors are checked against the result (the reference's times are finer evidence than a time read off a page)
PINS_ANCHORS = False

#: gap between words inside a segment, and the least pause between segments (ms)
GAP_IN = 40
MIN_PAUSE = 100
#: pause assumed between segments where there is no window to measure it (ms)
PAUSE = 450
#: a match counts only with at least this many matches among the 2*DENSITY_REACH+1 words around it
DENSITY_REACH = 10
DENSITY_MIN = 4
#: at most this many unplaced stretches are listed one by one in stats
MAX_LISTED = 50
#: bounds of the speech-rate model fitted on the reference (ms, ms a letter)
RATE_A_MIN, RATE_A_MAX = 20.0, 300.0
RATE_B_MIN, RATE_B_MAX = 12.0, 150.0


_LETTERS: dict[str, int] = {}


def _letters(text: str) -> int:
    n = _LETTERS.get(text)
    if n is None:
        n = sum(1 for ch in text if ch.isalnum())
        if len(_LETTERS) < 200_000:
            _LETTERS[text] = n
    return n


def word_duration(text: str, a: float = 95.0, b: float = 35.0, tempo: float = 1.0) -> int:
    """Expected duration (ms) of saying ``text``: ``tempo * (a + b * letters)``.

    >>> word_duration("hello"), word_duration("a")
    (270, 130)
    """
    return int(round(tempo * (a + b * _letters(text))))


@dataclass(slots=True)
class RefTrack:
    """A reference flattened to words: text, start, end, the cue each came from.

    ``end_real`` is False where ``end`` is only an upper bound (YouTube gives starts).
    """

    text: list[str] = field(default_factory=list)
    start: list[int] = field(default_factory=list)
    end: list[int] = field(default_factory=list)
    cue: list[int] = field(default_factory=list)
    end_real: bool = True
    #: cues whose words carry no times: cue index -> (start, end); spread after alignment
    spread: dict[int, tuple[int, int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    word_times: str = "none"
    #: how far (ms) each word's start/end may be from the truth where it was interpolated
    #: inside its cue (:func:`_cue_unsure`); empty when every word carries its own time
    unsure_s: list[int] = field(default_factory=list)
    unsure_e: list[int] = field(default_factory=list)

    @property
    def last_end(self) -> int:
        return max(self.end) if self.end else 0


def _fmt_ms(ms: int) -> str:
    s, m = divmod(ms, 1000)
    h, s = divmod(s, 3600)
    mi, s = divmod(s, 60)
    return f"{h}:{mi:02d}:{s:02d}.{m:03d}"


def flatten_reference(ref: Transcript, media_duration: int | None = None) -> RefTrack:
    """Words of a reference track with times; see :class:`RefTrack`.

    Words of cues without word times get placeholder times (their cue's start) and the
    cue is listed in ``spread``: :func:`_spread_cues` fills them in once the transcript's
    segment boundaries are known. Raises :class:`InputError` when nothing is timed.
    """
    tr = RefTrack()
    tr.word_times = ref.meta.get("word_times", "none")
    src = ref.meta.get("path", "reference")
    starts_only = tr.word_times == "starts"
    untimed_cues = 0
    for ci, seg in enumerate(ref.segments):
        words: Sequence[Word] = seg.words or tuple(Word(t) for t in spoken_tokens(seg.text))
        if not words:
            continue
        starts = [w.start for w in words]
        if None not in starts:
            tr.text.extend([w.text for w in words])
            tr.start.extend(starts)  # type: ignore[arg-type]
            tr.end.extend([w.end for w in words])  # type: ignore[misc]
            tr.cue.extend([ci] * len(words))
        elif seg.start is not None and seg.end is not None:
            tr.spread[ci] = (seg.start, seg.end)
            k = len(words)
            tr.text.extend([w.text for w in words])
            tr.start.extend([seg.start] * k)
            tr.end.extend([seg.end] * k)
            tr.cue.extend([ci] * k)
        else:
            untimed_cues += 1
    if not tr.text:
        raise InputError(f"{src}: the reference has no timed words or cues; give a timed track (SRT, VTT, Whisper JSON)")
    tr.end_real = not starts_only
    if untimed_cues:
        tr.warnings.append(f"{untimed_cues} reference cues had no times and were ignored")
    # times must run forward for the words to be usable; clamp what goes back
    back = 0
    prev = tr.start[0]
    for j in range(1, len(tr.start)):
        s = tr.start[j]
        if s < prev:
            back += 1
            tr.start[j] = prev
            if tr.end[j] < prev:
                tr.end[j] = prev
        else:
            prev = s
    if back:
        tr.warnings.append(
            f"{back} reference words start before the word before them (overlapping or backwards cues); "
            "their starts were clamped to keep the words in order"
        )
    if media_duration is not None:
        past = sum(1 for s in tr.start if s >= media_duration)
        if past:
            if past > len(tr.start) // 2:
                raise InputError(
                    f"{src}: {past} of {len(tr.start)} reference words start after the media's end "
                    f"({_fmt_ms(media_duration)}); is the reference for this media?"
                )
            keep = [j for j, s in enumerate(tr.start) if s < media_duration]
            tr.text = [tr.text[j] for j in keep]
            tr.start = [tr.start[j] for j in keep]
            tr.end = [min(tr.end[j], media_duration) for j in keep]
            tr.cue = [tr.cue[j] for j in keep]
            tr.warnings.append(
                f"{past} reference words start after the media's end ({_fmt_ms(media_duration)}); they were ignored"
            )
        clipped = sum(1 for e in tr.end if e > media_duration)
        if clipped:
            tr.end = [min(e, media_duration) for e in tr.end]
            tr.warnings.append(f"{clipped} reference words end after the media's end; their ends were clipped to it")
    return tr


def _untimed_cues(tr: RefTrack) -> Iterator[tuple[int, int, int, int]]:
    """Each untimed cue (one whose words get times by :func:`_spread_cues`): its words
    ``[j, k)`` and its span (ms)."""
    n = len(tr.text)
    j = 0
    while j < n:
        k = j
        while k < n and tr.cue[k] == tr.cue[j]:
            k += 1
        if tr.cue[j] in tr.spread:
            c0, c1 = tr.spread[tr.cue[j]]
            yield j, k, c0, c1
        j = k


def _spread_cues(tr: RefTrack, boundary: Sequence[bool], dur: Sequence[int]) -> None:
    """Give the words of untimed cues times inside their cue.

    Each word takes its model duration; the cue's slack goes first into the pauses at
    ``boundary`` words (a transcript segment starts there: speakers pause between lines),
    then, if there is none or the cue is too short, every word scales. The first word
    starts at the cue start and the last ends at the cue end.
    """
    for j, k, c0, c1 in _untimed_cues(tr):
        span = max(0, c1 - c0)
        need = sum(dur[j:k]) + GAP_IN * (k - j - 1)
        nb = sum(1 for x in range(j + 1, k) if boundary[x])
        pause_extra = 0.0
        scale = 1.0
        slack = span - need
        if slack >= 0 and nb:
            pause_extra = slack / nb
        elif need > 0:
            scale = span / need
        t = float(c0)
        for x in range(j, k):
            if x > j:
                t += GAP_IN * scale + (pause_extra if boundary[x] else 0.0)
            d = dur[x] * scale
            tr.start[x] = int(round(t))
            t += d
            tr.end[x] = int(round(t))
        if k > j:
            tr.start[j] = c0
            tr.end[k - 1] = max(tr.start[k - 1], c1)


def _cue_unsure(tr: RefTrack, dur: Sequence[int], covered: Sequence[bool]) -> None:
    """How far the times :func:`_spread_cues` gave each word of an untimed cue may be off.

    Inside a cue only its edges are read; the rest is a layout, and other readings of the
    same cue are as plausible: the slack (the cue's span less its words' spoken length)
    may be in the pauses between transcript segments (the layout), slower speech
    throughout (every word scaled to fill the cue), or, where the cue touches the next
    (previous) cue, a pause at its end (start): the cue edge is then where the next cue
    starts, not where speech stops. How far a word's start/end may be off is the most it
    moves between these readings, plus ``CUE_RATE_ERR`` of the time to the nearer cue edge
    (the speech-rate model's error adds up from the edge), plus the spoken length of the
    cue's reference words that no transcript word pairs with (an inserted filler may take
    that time or none). A cue's first start and last end are read (0) unless the cue
    touches its neighbour there. Fills ``tr.unsure_s``/``tr.unsure_e``.
    """
    n = len(tr.text)
    us = [0] * n
    ue = [0] * n
    for j, k, c0, c1 in _untimed_cues(tr):
        need = sum(dur[j:k]) + GAP_IN * (k - j - 1)
        slack = max(0, c1 - c0 - need)
        scale = max(0, c1 - c0) / need if need > 0 else 1.0
        ins = sum(dur[x] for x in range(j, k) if not covered[x])
        # a cue edge that touches the next/previous cue may hold a pause, not speech
        tail = slack > 0 and k < n and tr.start[k] - c1 < ABUT_MS
        head = slack > 0 and j > 0 and c0 - tr.end[j - 1] < ABUT_MS
        acc = 0
        for x in range(j, k):
            ps = c0 + acc * scale
            ts = c0 + acc
            acc += dur[x]
            pe = c0 + acc * scale
            te = c0 + acc
            acc += GAP_IN
            t = tr.start[x]
            d = abs(t - ps) if x > j else 0.0
            if tail:
                d = max(d, abs(t - ts))
            if head:
                d = max(d, abs(t - ts - slack))
            if d or x > j:
                us[x] = int(d + CUE_RATE_ERR * min(t - c0, c1 - t)) + ins
            t = tr.end[x]
            d = abs(t - pe) if x < k - 1 else 0.0
            if tail:
                d = max(d, abs(t - te))
            if head:
                d = max(d, abs(t - te - slack))
            if d or x < k - 1:
                ue[x] = int(d + CUE_RATE_ERR * min(t - c0, c1 - t)) + ins
    tr.unsure_s, tr.unsure_e = us, ue


def run_share(kind: Sequence[int], lo: Sequence[int], hi: Sequence[int], n_ref: int) -> tuple[float, int]:
    """How much of the transcript and the reference match *in runs*: (share, words).

    Counts exact and near-equal matches that sit in runs of at least ``RUN_MIN`` matched
    words (``min(RUN_MIN, words)`` for a tiny input), where each next matched word is at
    most ``RUN_SKIP`` unmatched words on in the transcript and in the reference; the share
    is that count over the shorter side's words (capped at 1). Chance matches of common
    words ("the", "a", "is") of an unrelated reference lie scattered and rarely in runs;
    the words of the same speech do, even with many recognition errors, and a transcript
    of a part of the reference (or a reference of a part of the transcript) matches densely
    within that part. Measured values: :data:`MIN_RUN_SHARE`.

    >>> run_share([1, 1, 1, 0, 1], [0, 1, 2, -1, 7], [0, 1, 2, -1, 7], 8)
    (0.6, 3)
    """
    n = len(kind)
    d = min(n, n_ref)
    if d <= 0:
        return 0.0, 0
    need = min(RUN_MIN, d)
    in_runs = cur = 0
    prev = -1
    for i in range(n):
        k = kind[i]
        if k != EXACT and k != FUZZY:
            continue
        step = i - prev
        if cur and step <= 1 + RUN_SKIP and 0 <= lo[i] - hi[prev] <= step + RUN_SKIP:
            cur += 1
        else:
            if cur >= need:
                in_runs += cur
            cur = 1
        prev = i
    if cur >= need:
        in_runs += cur
    return min(1.0, in_runs / d), in_runs


def _density_filter(kind: list[int]) -> int:
    """Drop matches that stand alone in a sparse region (chance hits of "the", "and").

    A pairing stays when at least DENSITY_MIN of the 2*DENSITY_REACH+1 words around it
    (itself included) are exact or near-equal matches. Returns how many were dropped.
    (Plain Python: importing numpy would cost more than this whole pass.)
    """
    n = len(kind)
    pre = [0, *accumulate(1 if k == EXACT or k == FUZZY else 0 for k in kind)]
    r, need = DENSITY_REACH, DENSITY_MIN
    dropped = 0
    for i, k in enumerate(kind):
        if k == NONE:
            continue
        lo = i - r if i > r else 0
        hi = i + r + 1 if i + r + 1 < n else n
        if pre[hi] - pre[lo] < (need if hi - lo > need else hi - lo):
            kind[i] = NONE
            dropped += 1
    return dropped


@dataclass(slots=True)
class _Words:
    """The transcript's spoken words, flat, with their segment and layout fields."""

    text: list[str]
    seg: list[int]
    dur: list[int]
    start: list[int | None]
    end: list[int | None]
    conf: list[float]


def _fit_rate(w: _Words, wa: WordAlignment, tr: RefTrack, a: float, b: float) -> tuple[float, float, int]:
    """Fit the speech-rate model to this reference: ``duration = A + B * letters``.

    Over consecutive exact pairs inside one transcript segment, the time from a word's
    start to the next word's start is its duration plus a short gap. The median of that
    time for each letter count, fitted by weighted least squares, gives A (less the
    usual gap) and B. Falls back to the defaults (``a``, ``b``) with too few pairs, and
    keeps the fit within plausible bounds. Returns (A, B, pairs used).
    """
    kind, lo = wa.kind, wa.lo
    seg = w.seg
    spread = tr.spread
    by: dict[int, list[int]] = {}
    pairs = 0
    # a sample of ~20k words is plenty for two parameters
    step = max(1, len(kind) // 20_000)
    for i in range(0, len(kind) - 1, step):
        if kind[i] == EXACT and kind[i + 1] == EXACT and seg[i] == seg[i + 1] and lo[i + 1] == lo[i] + 1:
            j = lo[i]
            if spread and tr.cue[j] in spread:
                continue
            delta = tr.start[j + 1] - tr.start[j]
            if 0 < delta < 2000:
                by.setdefault(min(_letters(w.text[i]), 16), []).append(delta)
                pairs += 1
    pts = []
    for n_, ds in by.items():
        if len(ds) >= 5:
            ds.sort()
            pts.append((n_, ds[len(ds) // 2], len(ds)))
    if pairs < 40 or len(pts) < 3:
        return a, b, pairs
    sw = sum(c for _, _, c in pts)
    mx = sum(x * c for x, _, c in pts) / sw
    my = sum(y * c for _, y, c in pts) / sw
    sxx = sum(c * (x - mx) ** 2 for x, _, c in pts)
    sxy = sum(c * (x - mx) * (y - my) for x, y, c in pts)
    if sxx <= 0:
        return a, b, pairs
    fb = min(RATE_B_MAX, max(RATE_B_MIN, sxy / sxx))
    fa = min(RATE_A_MAX, max(RATE_A_MIN, my - fb * mx - GAP_IN))
    return fa, fb, pairs


def _time_matched(w: _Words, wa: WordAlignment, tr: RefTrack, end_gap: int) -> None:
    """Matched words take the reference word's start, and its end or an estimate."""
    kind, lo, hi = wa.kind, wa.lo, wa.hi
    nref = len(tr.start)
    n = len(kind)
    i = 0
    while i < n:
        if kind[i] == NONE:
            i += 1
            continue
        # words sharing one reference span (joined words) split it by length
        k = i + 1
        while k < n and kind[k] != NONE and lo[k] == lo[i] and hi[k] == hi[i]:
            k += 1
        j0, j1 = lo[i], hi[i]
        s0 = tr.start[j0]
        if tr.end_real:
            e1 = tr.end[j1]
        else:
            bound = tr.start[j1 + 1] - end_gap if j1 + 1 < nref else tr.end[j1]
            bound = min(bound, tr.end[j1])
            e1 = min(bound, s0 + sum(w.dur[i:k]) + GAP_IN * (k - i - 1))
        e1 = max(e1, s0)
        if k - i == 1:
            w.start[i], w.end[i] = s0, e1
        else:
            tot = sum(w.dur[i:k]) or 1
            acc = 0
            for x in range(i, k):
                a = s0 + (e1 - s0) * acc // tot
                acc += w.dur[x]
                w.start[x], w.end[x] = a, s0 + (e1 - s0) * acc // tot
        i = k


def _drop_stray_substitutions(w: _Words, kind: list[int], gap: int) -> int:
    """Unpair substitutions that sit far from their neighbours in the same segment.

    A substitution only says "some word was said here"; when the transcript's word was
    lost by the recogniser at a line's edge, the dynamic program may pair it with a word
    of the next or previous line, seconds away. Returns how many were unpaired.
    """
    n = len(kind)
    dropped = 0
    seg, start, end = w.seg, w.start, w.end
    for i in range(n):
        if kind[i] != SUBST:
            continue
        s, e = start[i], end[i]
        assert s is not None and e is not None
        stray = False
        if i > 0 and seg[i - 1] == seg[i]:
            pe = end[i - 1]
            if pe is not None and s - pe > gap:
                stray = True
        if i + 1 < n and seg[i + 1] == seg[i]:
            ns = start[i + 1]
            if ns is not None and ns - e > gap:
                stray = True
        if stray:
            kind[i] = NONE
            start[i] = end[i] = None
            dropped += 1
    return dropped


@dataclass(slots=True)
class _Stretch:
    first: int  # segment ids
    last: int
    segments: int
    words: int
    after: int | None
    before: int | None
    reason: str


def _lay_forward(w: _Words, idx: Sequence[int], t: float, scale: float) -> float:
    for x in idx:
        w.start[x] = int(round(t))
        t += w.dur[x] * scale
        w.end[x] = int(round(t))
        t += GAP_IN * scale
    return t - GAP_IN * scale if idx else t


def _lay_backward(w: _Words, idx: Sequence[int], t: float, scale: float) -> float:
    for x in reversed(idx):
        w.end[x] = int(round(t))
        t -= w.dur[x] * scale
        w.start[x] = int(round(t))
        t -= GAP_IN * scale
    return t + GAP_IN * scale if idx else t


def _need(w: _Words, idx: Sequence[int]) -> int:
    return sum(w.dur[x] for x in idx) + GAP_IN * max(0, len(idx) - 1)


def _place_runs(w: _Words, opts: dict[str, Any], limit: int) -> tuple[list[_Stretch], int]:
    """Lay out every run of unmatched words between its placed neighbours p and q.

    Words of p's segment follow p, words of q's segment lead up to q, both with model
    durations (squeezed only if the window is too short). Whole segments in between
    share the remaining window with equal pauses around them; a long run of them
    (``long_run`` words or more), or one with no window on one side, is not guessed at
    and is returned as an unplaced stretch. Returns (unplaced stretches, number of whole
    segments placed by length).
    """
    n = len(w.text)
    long_run = int(opts["long_run"])
    max_stretch = float(opts["max_stretch"])
    out: list[_Stretch] = []
    guessed = 0
    i = 0
    while i < n:
        if w.start[i] is not None:
            i += 1
            continue
        k = i
        while k < n and w.start[k] is None:
            k += 1
        p = i - 1 if i > 0 else None
        q = k if k < n else None
        run = list(range(i, k))
        i = k
        if p is not None and q is not None and w.seg[p] == w.seg[q]:
            _inside(w, p, q, run, max_stretch)
            continue
        ps = w.seg[p] if p is not None else -1
        qs = w.seg[q] if q is not None else -1
        head = [x for x in run if w.seg[x] == ps]
        tail = [x for x in run if w.seg[x] == qs]
        groups: list[list[int]] = []
        for x in run:
            if w.seg[x] == ps or w.seg[x] == qs:
                continue
            if groups and w.seg[groups[-1][-1]] == w.seg[x]:
                groups[-1].append(x)
            else:
                groups.append([x])
        mid_words = sum(len(g) for g in groups)
        place_mid = bool(groups) and mid_words < long_run
        t0 = w.end[p] if p is not None else None
        t1 = w.start[q] if q is not None else None
        need_m = sum(_need(w, g) for g in groups) if place_mid else 0
        if t0 is not None and t1 is not None:
            pauses = len(groups) + 1 if place_mid else (1 if head and tail else 0)
            need = _need(w, head) + _need(w, tail) + GAP_IN * (bool(head) + bool(tail)) + need_m + pauses * MIN_PAUSE
            avail = t1 - t0
            scale = 1.0 if need <= avail else (max(0.0, avail) / need if need > 0 else 0.0)
            a = _lay_forward(w, head, t0 + GAP_IN * scale, scale) if head else float(t0)
            b = _lay_backward(w, tail, t1 - GAP_IN * scale, scale) if tail else float(t1)
            if place_mid:
                guessed += len(groups)
                pause = max(0.0, (b - a) - need_m * scale) / (len(groups) + 1)
                t = a + pause
                for g in groups:
                    t = _lay_forward(w, g, t, scale) + pause
            elif groups:
                out.append(_stretch(w, groups, t0, t1, "long unmatched stretch"))
            continue
        if t1 is not None:  # leading run: back from the first match
            b = _lay_backward(w, tail, t1 - GAP_IN, 1.0) if tail else float(t1)
            if place_mid:
                guessed += len(groups)
                t = b
                for g in reversed(groups):
                    t = _lay_backward(w, g, t - PAUSE, 1.0)
            elif groups:
                out.append(_stretch(w, groups, None, t1, "long unmatched stretch before the first match"))
            _squeeze_into(w, run, 0, t1)
            continue
        if t0 is not None:  # trailing run: on from the last match
            a = _lay_forward(w, head, t0 + GAP_IN, 1.0) if head else float(t0)
            if place_mid:
                guessed += len(groups)
                t = a
                for g in groups:
                    t = _lay_forward(w, g, t + PAUSE, 1.0)
            elif groups:
                out.append(_stretch(w, groups, t0, None, "long unmatched stretch after the last match"))
            _squeeze_into(w, run, t0, max(limit, t0))
            continue
        if groups:
            out.append(_stretch(w, groups, None, None, "nothing in the reference matched"))
    return out, guessed


def _squeeze_into(w: _Words, idx: Sequence[int], lo: int, hi: int) -> None:
    """Scale the placed words of ``idx`` into [lo, hi] when they spill over it."""
    placed = [x for x in idx if w.start[x] is not None]
    if not placed:
        return
    s0 = w.start[placed[0]]
    e1 = w.end[placed[-1]]
    assert s0 is not None and e1 is not None
    if s0 >= lo and e1 <= hi:
        return
    a, b = max(lo, min(s0, hi)), min(hi, max(e1, lo))
    if s0 < lo:
        a = lo
    if e1 > hi:
        b = hi
    span = max(1, e1 - s0)
    for x in placed:
        s, e = w.start[x], w.end[x]
        assert s is not None and e is not None
        w.start[x] = a + (s - s0) * (b - a) // span
        w.end[x] = a + (e - s0) * (b - a) // span


def _stretch(w: _Words, groups: list[list[int]], after: int | None, before: int | None, reason: str) -> _Stretch:
    return _Stretch(
        first=w.seg[groups[0][0]],
        last=w.seg[groups[-1][-1]],
        segments=len(groups),
        words=sum(len(g) for g in groups),
        after=None if after is None else int(after),
        before=None if before is None else int(before),
        reason=reason,
    )


def _inside(w: _Words, p: int, q: int, run: list[int], max_stretch: float) -> None:
    """Unmatched words inside one segment, between matched words p and q.

    The time from p's start to q's start is shared by p and the run in proportion to their
    model durations (with the gaps between words), stretched at most ``max_stretch``-fold;
    beyond that the words keep their model durations right after p and the rest stays a
    gap (a pause inside the line).
    """
    ps = w.start[p]
    qs = w.start[q]
    assert ps is not None and qs is not None
    items = [p, *run]
    need = sum(w.dur[x] + GAP_IN for x in items)
    avail = qs - ps
    scale = avail / need if need > 0 else 1.0
    if scale > max_stretch:
        scale = 1.0
    t = float(ps)
    pe = w.end[p]
    for x in items:
        s = int(round(t))
        t += w.dur[x] * scale
        e = int(round(t))
        t += GAP_IN * scale
        if x == p:
            assert pe is not None
            w.end[p] = max(ps, min(pe, e)) if pe is not None else e
        else:
            w.start[x], w.end[x] = s, min(e, qs)


def _monotonic(w: _Words) -> None:
    """Keep placed words in order and not overlapping (rounding and estimates can cross);
    afterwards every word has both times None or integer ms with start <= end."""
    prev_end = None
    prev_start = 0
    for x in range(len(w.text)):
        s, e = w.start[x], w.end[x]
        if s is None or e is None:
            w.start[x] = w.end[x] = None
            continue
        if s < prev_start:
            s = prev_start
        if e < s:
            e = s
        w.start[x], w.end[x] = s, e
        if prev_end is not None and prev_end[1] > s:
            px = prev_end[0]
            ps = w.start[px]
            assert ps is not None
            w.end[px] = max(ps, s)
        prev_end = (x, e)
        prev_start = s


def _refine_mode(value: Any) -> str:
    """``refine`` option -> "off", "auto", "starts", "ends" or "both"."""
    if value is True:
        return "both"
    if value is False or value is None:
        return "off"
    v = str(value).strip().lower()
    if v in ("both", "starts", "ends", "auto"):
        return v
    if v in ("off", "no", "false", "0", "none"):
        return "off"
    raise InputError(f"refine={value!r}: use auto, true/both, starts, ends or false")


def _refine(request: AlignRequest, segs: list[Segment], mode: str, within: int) -> int:
    """Move segment edges to speech onsets/offsets found on the audio (VAD).

    A start moves to the nearest onset within ``within`` ms. An end moves to the end of
    the stretch of speech its last word starts in (the model only guesses how long the
    last word lasts; the audio shows where the pause begins), unless that speech runs
    on into the next segment. The first/last word moves with its segment's edge, and
    segments stay in order.
    """
    from bisect import bisect_right

    from ..vad import frame_activity, nearest_onset, refine_offset, speech_regions

    assert request.media is not None
    track = frame_activity(
        request.media, jobs=max(1, request.jobs), media_duration=request.media.duration, progress=request.progress
    )
    regions = speech_regions(track, min_pause_ms=80)
    r_starts = [r.start for r in regions]
    far = int(request.options.get("refine_far", 1500))
    spoken = [i for i, s in enumerate(segs) if s.start is not None and s.words]
    moved = 0
    prev_end = 0
    for n, i in enumerate(spoken):
        s = segs[i]
        assert s.start is not None and s.end is not None
        ns, ne = s.start, s.end
        ws = list(s.words)
        placed = [k for k, w in enumerate(ws) if w.start is not None]
        first, last = placed[0], placed[-1]
        if mode in ("both", "starts"):
            a = nearest_onset(track, s.start, within=within)
            if a is not None:
                ns = a
        if mode in ("both", "ends"):
            last_start = ws[last].start
            assert last_start is not None
            k = bisect_right(r_starts, last_start + 20) - 1
            if k >= 0 and regions[k].end <= last_start:
                k += 1  # the word starts in a pause (the VAD is late): take the next speech
            nxt = segs[spoken[n + 1]].start if n + 1 < len(spoken) else None
            if 0 <= k < len(regions) and regions[k].start <= last_start + within:
                off = regions[k].end
                if (nxt is None or off < nxt) and abs(off - s.end) <= far:
                    ne = refine_offset(track, off)
        ns = max(ns, prev_end)
        if ne <= ns:
            ns, ne = s.start, s.end
        prev_end = ne
        if (ns, ne) == (s.start, s.end):
            continue
        moved += 1
        wf = ws[first]
        assert wf.end is not None
        ws[first] = replace(wf, start=min(ns, wf.end))
        wl = ws[last]
        assert wl.start is not None
        ws[last] = replace(wl, end=max(ne, wl.start))
        segs[i] = replace(s, start=ns, end=ne, words=tuple(ws))
    return moved


_SEGMENT_FIELDS = tuple(f.name for f in fields(Segment))


def _timed(s: Segment, words: tuple[Word, ...], start: int | None, end: int | None, conf: float) -> Segment:
    """``replace(s, words=..., start=..., end=..., confidence=...)``, without replace's
    per-call introspection (13k segments) while Segment has the fields known here."""
    if _SEGMENT_FIELDS == ("id", "text", "words", "start", "end", "confidence", "paragraph", "speaker"):
        return Segment(s.id, s.text, words, start, end, conf, s.paragraph, s.speaker)
    return replace(s, words=words, start=start, end=end, confidence=conf)  # pragma: no cover


class _Clock:
    """Wall time of each step, for ``stats["seconds"]``."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._t = time.perf_counter()

    def __call__(self, label: str) -> None:
        now = time.perf_counter()
        self.laps[label] = round(now - self._t, 4)
        self._t = now


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the engine builds ~10^5 small objects.

    Nothing here makes reference cycles, but every few hundred new lists/tuples/Words
    CPython scans the whole (large) heap of the transcript and reference: that doubled
    the engine's CPU time on the seed (0.42 s -> 0.25 s paused).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def run(request: AlignRequest) -> Alignment:
    """Align ``request.transcript`` to ``request.reference``; see the module docstring."""
    with _gc_paused():
        return _run(request)


def _run(request: AlignRequest) -> Alignment:
    if request.reference is None:
        raise InputError("the reference engine needs a timed reference track (⟨--reference⟩)")
    opts = {**DEFAULTS, **dict(request.options)}
    transcript = request.transcript
    media_dur = request.media.duration if request.media is not None else None
    clock = _Clock()
    request.report("reference: read", 0, 3)
    tr = flatten_reference(request.reference, media_dur)
    warnings = list(tr.warnings)
    src = request.reference.meta.get("path", "reference")

    a, b = float(opts["dur_a"]), float(opts["dur_b"])
    texts: list[str] = []
    segi: list[int] = []
    for si, s in enumerate(transcript.segments):
        for wd in s.words:
            texts.append(wd.text)
            segi.append(si)
    n = len(texts)
    w = _Words(texts, segi, [0] * n, [None] * n, [None] * n, [0.0] * n)

    clock("flatten")
    request.report("reference: match", 1, 3)
    wa = align_words(texts, tr.text, matcher=str(opts["matcher"]))
    clock("match")
    dropped = _density_filter(wa.kind)
    matched = sum(1 for k in wa.kind if k == EXACT or k == FUZZY)
    denom = max(1, min(n, len(tr.text)))
    rate = matched / denom
    share, _ = run_share(wa.kind, wa.lo, wa.hi, len(tr.text))
    threshold = float(opts["min_run_share"])
    mismatch = bool(n) and share < threshold
    if mismatch:
        whose = "the transcript's words" if n <= len(tr.text) else "this reference's words"
        if not request.force:
            raise MismatchError(
                f"{src}: only {share:.0%} of {whose} match this reference in runs (at least {threshold:.0%} expected): "
                "is it a track of another recording? Pass ⟨--force⟩ to align anyway.",
                share,
                threshold,
                what="reference",
            )
        warnings.append(
            f"{src}: only {share:.0%} of {whose} match this reference in runs (at least {threshold:.0%} expected); "
            f"aligned anyway (⟨--force⟩), every segment's confidence is at most {FORCED_CONF}"
        )

    if opts["fit_rate"]:
        a, b, rate_pairs = _fit_rate(w, wa, tr, a, b)
    else:
        rate_pairs = 0
    dur_of = {t: int(round(a + b * _letters(t))) for t in set(texts)}
    w.dur = [dur_of[t] for t in texts]

    if tr.spread:
        # a reference word that starts a transcript segment marks a likely pause in its cue
        boundary = [False] * len(tr.text)
        rdur = [int(round(a + b * _letters(t))) for t in tr.text]
        for i in range(n):
            if wa.kind[i] != NONE and (i == 0 or segi[i - 1] != segi[i]):
                boundary[wa.lo[i]] = True
        _spread_cues(tr, boundary, rdur)
        covered = [False] * len(tr.text)
        for i in range(n):
            if wa.kind[i] != NONE:
                for j in range(wa.lo[i], wa.hi[i] + 1):
                    covered[j] = True
        _cue_unsure(tr, rdur, covered)

    clock("model")
    _time_matched(w, wa, tr, int(opts["end_gap"]))
    strays = _drop_stray_substitutions(w, wa.kind, int(opts["stray_gap"]))
    for i, k in enumerate(wa.kind):
        w.conf[i] = 1.0 if k == EXACT else (wa.score[i] if k == FUZZY else (0.3 if k == SUBST else 0.0))

    request.report("reference: place", 2, 3)
    limit = media_dur if media_dur is not None else tr.last_end
    stretches, guessed = _place_runs(w, opts, limit)
    _monotonic(w)
    clock("place")

    # assemble segments (one Word per spoken word: this loop is most of the engine's time)
    conf_r = [c if c == 1.0 or c == 0.0 else round(c, 3) for c in w.conf]
    good_w = [1 if k == EXACT or k == FUZZY else 0 for k in wa.kind]
    # _monotonic left every word with both times None, or int ms with start <= end: the
    # model's checked constructor would only repeat that, at 3x the cost for 60k words
    mk = getattr(Word, "unchecked", Word)
    out_words = [mk(t, s0, e0, c) for t, s0, e0, c in zip(texts, w.start, w.end, conf_r, strict=True)]
    if mismatch:
        out_words = [
            ow if ow.confidence is None or ow.confidence <= FORCED_CONF else mk(ow.text, ow.start, ow.end, FORCED_CONF)
            for ow in out_words
        ]
    max_stretch = float(opts["max_stretch"])
    segs: list[Segment] = []
    x = 0
    unplaced_spoken = 0
    n_unsure = n_stretched = 0
    for s in transcript.segments:
        nw = len(s.words)
        if nw == 0:
            segs.append(s)
            continue
        y = x + nw
        starts = [v for v in w.start[x:y] if v is not None]
        if starts:
            ends = [v for v in w.end[x:y] if v is not None]
            conf = round(sum(good_w[x:y]) / nw, 3)
            if conf > 0.0:
                span = ends[-1] - starts[0]
                if span > max_stretch * (sum(w.dur[x:y]) + GAP_IN * (nw - 1)) + STRETCH_SLACK:
                    if conf > STRETCHED_CONF:
                        conf = STRETCHED_CONF
                        n_stretched += 1
                elif conf > UNSURE_CONF and _edge_unsure(w, wa, tr, good_w, x, y) > EDGE_MS:
                    conf = UNSURE_CONF
                    n_unsure += 1
                if mismatch:
                    conf = min(conf, FORCED_CONF)
            segs.append(_timed(s, tuple(out_words[x:y]), starts[0], ends[-1], conf))
        else:
            unplaced_spoken += 1
            segs.append(_timed(s, tuple(out_words[x:y]), None, None, 0.0))
        x = y
    _place_notes(segs)
    clock("segments")

    moved = 0
    mode = _refine_mode(opts["refine"])
    if mode == "auto":
        has_audio = request.media is not None and request.media.has_audio
        mode = "both" if has_audio else "off"
    if mode != "off":
        if request.media is None:
            warnings.append("refine needs the media; segment edges were not refined")
        elif not request.media.has_audio:
            warnings.append("the media has no audio; segment edges were not refined")
        else:
            moved = _refine(request, segs, mode, int(opts["refine_within"]))
    clock("refine")
    request.report("reference: place", 3, 3)

    placed = sum(1 for s in segs if s.start is not None)
    kinds = {"exact": 0, "fuzzy": 0, "substituted": 0, "unmatched": 0}
    for k in wa.kind:
        kinds[("unmatched", "exact", "fuzzy", "substituted")[k]] += 1
    stats: dict[str, Any] = {
        "segments": len(segs),
        "placed": placed,
        "unplaced": len(segs) - placed,
        "unplaced_spoken": unplaced_spoken,
        "words": n,
        "reference_words": len(tr.text),
        "match_rate": round(rate, 4),
        "run_share": round(share, 4),
        "min_run_share": threshold,
        "word_kinds": kinds,
        "isolated_matches_dropped": dropped,
        "stray_substitutions_dropped": strays,
        "rate_model_ms": {"a": round(a, 1), "b_per_letter": round(b, 1), "pairs": rate_pairs},
        "word_times": tr.word_times,
        "segments_placed_by_length": guessed,
        "unplaced_stretches": len(stretches),
        "unplaced_segments": sum(s.segments for s in stretches),
        "stretches": [
            {"first": s.first, "last": s.last, "segments": s.segments, "words": s.words,
             "after": s.after, "before": s.before, "reason": s.reason}
            for s in stretches[:MAX_LISTED]
        ],  # fmt: skip
        "confidence_capped": {"unsure_edges": n_unsure, "stretched": n_stretched},
        "refine": mode,
        "refined_segments": moved,
        "warnings": warnings,
        "seconds": clock.laps,
    }
    if mismatch:
        stats["mismatch"] = {"share": round(share, 4), "threshold": threshold, "forced": True}
    settings = {k: opts[k] for k in DEFAULTS}
    return Alignment(
        transcript=replace(transcript, segments=tuple(segs)),
        engine="reference",
        media=request.media,
        settings=settings,
        stats=stats,
    )


def _edge_unsure(w: _Words, wa: WordAlignment, tr: RefTrack, good: Sequence[int], x: int, y: int) -> int:
    """How far (ms) the start or end of the segment of words ``x:y`` may be off, the larger.

    An edge on a matched word is as sure as that word's time: read (0), or interpolated in
    a cue (``tr.unsure_s``/``unsure_e``). An edge on an unmatched word was laid by length
    from the first (last) matched word: add the time laid. Only called for segments with a
    matched word.
    """
    start, end = w.start, w.end
    fx = next(z for z in range(x, y) if start[z] is not None)
    lx = next(z for z in range(y - 1, x - 1, -1) if start[z] is not None)
    f = next(z for z in range(x, y) if good[z])
    la = next(z for z in range(y - 1, x - 1, -1) if good[z])
    sf, sfx, el, elx = start[f], start[fx], end[la], end[lx]
    assert sf is not None and sfx is not None and el is not None and elx is not None
    us = sf - sfx
    ue = elx - el
    if tr.unsure_s:
        us += tr.unsure_s[wa.lo[f]]
        ue += tr.unsure_e[wa.hi[la]]
    return max(us, ue)


def _place_notes(segs: list[Segment]) -> None:
    """Non-speech segments ([laughter]) take the pause between their placed neighbours."""
    for i, s in enumerate(segs):
        if s.words or s.start is not None:
            continue
        prev_end = next((segs[j].end for j in range(i - 1, -1, -1) if segs[j].end is not None), None)
        nxt = next((segs[j].start for j in range(i + 1, len(segs)) if segs[j].start is not None and segs[j].words), None)
        if prev_end is None or nxt is None:
            continue
        gap = max(0, nxt - prev_end)
        pad = min(100, gap // 4)
        segs[i] = replace(s, start=prev_end + pad, end=max(prev_end + pad, nxt - pad), confidence=0.0)
