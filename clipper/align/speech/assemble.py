"""The run: the transcript checked against the audio, parts aligned in parallel and
chained, segments assembled with their confidence, the activity engine's times where
unsure."""

from __future__ import annotations

import bisect
import logging
import math
import multiprocessing as mp
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ...errors import InputError, MismatchError
from ...io import temporary_dir
from ...media import SAMPLE_RATE
from ...model import Alignment, Segment, Word
from ...text import FILLERS, norm
from ...vad import ActivityTrack, true_runs
from .. import FORCED_CONFIDENCE, AlignRequest
from .. import probe as probemod
from ..lexicon import Lexicon
from ..sphinx import FRAME_MS, Recogniser
from .audio import _activity, _Audio, _quiet_cut, _read_audio, _read_span, _snap
from .chain import _align_part, _decoder, _extra_words, _padded, _PartJob, _Placed
from .options import (
    COVER_TOKENS_PER_S,
    EXCERPT_REACH,
    EXCERPT_SHARE,
    FALLBACK_MS,
    GAP_SLACK,
    HUM_BACK_MS,
    LEAD_LOOK_MS,
    LEAD_MARGIN_MS,
    LEAD_TOKENS_PER_S,
    MIN_GAP_SPEECH_MS,
    ONSET_MARGIN_MS,
    ONSET_TOKENS_PER_S,
    OPTIONS,
    PAD_FRAMES,
    SAMPLES_PER_FRAME,
    SAY_MS_PER_CHAR,
    SKIP_FACTOR,
    SLOW_TOKENS_PER_S,
    THIN_WORDS,
    WIDE_FACTOR,
    SpeechOptions,
    Token,
    tokenize,
)

log = logging.getLogger(__name__)


def _partition(audio: _Audio, part_ms: int) -> list[tuple[int, int]]:
    """Parts of the timeline (frames), cut at the quietest spot near equal shares: an even
    number of them (two workers, the usual machine, get equal shares), none longer than
    ``part_ms``; one for under two minutes. Not one a worker: the cuts, and so the times,
    would change with ``--jobs``.

    Tried before and undone while one worker still meant one part: a 222 s espeak cut with
    15 unspoken lines inserted lost the chain after them in two parts (the relocation kept
    four chance-fitting words on the next spoken line's audio; ``chain._taken_early`` now
    takes them back). On eight degraded files of five to six minutes, two draws, two parts did
    as well as one within the spread of a draw (docs/accuracy.md)."""
    n = len(audio.db)
    if n < 2 * 6000:
        return [(0, n)]
    k = 2 * max(1, -(-n * FRAME_MS // (max(1, part_ms) * 2)))
    parts = []
    lo = 0
    for j in range(1, k):
        target = n * j // k
        cut = _quiet_cut(audio.db, target - 1000, target + 1000)
        parts.append((lo, cut))
        lo = cut
    parts.append((lo, n))
    return [p for p in parts if p[1] > p[0]]


def _pool_map(fn: Callable[[Any], Any], items: Sequence[Any], n: int) -> Iterator[Any]:
    """``map(fn, items)`` over ``n`` worker processes (in order), or here when one is enough."""
    if n <= 1 or len(items) <= 1:
        yield from map(fn, items)
        return
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    with ctx.Pool(min(n, len(items)), initializer=_quiet_worker) as pool:
        yield from pool.imap(fn, items)


def _quiet_worker() -> None:
    """A worker ends at the pool's SIGTERM and leaves Ctrl-C to the parent, which stops the
    pool: forked, it had the CLI's handler (SIGTERM as Ctrl-C), and every idle worker printed
    a KeyboardInterrupt traceback when a run that went well closed its pool."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass(frozen=True, slots=True)
class _ProbeJob:
    raw: str
    windows: list[tuple[int, int]]
    words: list[str]
    extra: dict[str, str]
    dither: int


def _probe_windows(job: _ProbeJob) -> list[list[tuple[str, int, int]]]:
    """Recognise each window against the whole transcript (one worker's share)."""
    d = _decoder(job.extra, SpeechOptions())
    rec = Recogniser(d, job.words, os.path.join(os.path.dirname(job.raw), f"probe-{os.getpid()}"))
    out = []
    for a, b in job.windows:
        x = _padded(_read_span(job.raw, a * SAMPLES_PER_FRAME, b * SAMPLES_PER_FRAME), job.dither, a)
        out.append([(w, s - PAD_FRAMES, e - PAD_FRAMES) for w, s, e in rec(x)])
    return out


def _run_probe(
    audio: _Audio, speech: np.ndarray, starts: Sequence[int], words: list[str], extra: dict[str, str],
    opts: SpeechOptions, jobs_n: int, request: AlignRequest,
) -> probemod.Probe:  # fmt: skip
    """Anchors: samples of the audio (and one at each of ``starts``, frames) recognised
    against the whole transcript, in ``jobs_n`` workers. Thin evidence (``_thin``) takes
    a second, longer look, and the verdict rests on that."""
    windows = probemod.sample_windows(speech, opts.probe_every_ms // FRAME_MS, opts.probe_ms // FRAME_MS, starts)
    hyps = _recognise(audio, windows, words, extra, opts, jobs_n, request)

    def heard_in(ws: list[tuple[int, int]]) -> probemod.Probe | None:
        """The probe of windows ``ws``, recognising those not heard yet; None when all were."""
        new = [w for w in ws if w not in hyps]
        if not new:
            return None
        hyps.update(_recognise(audio, new, words, extra, opts, jobs_n, request))
        return probemod.probe([hyps[w] for w in ws], ws, words)

    pr = probemod.probe([hyps[w] for w in windows], windows, words)
    if not opts.probe_more_ms or pr.heard < opts.min_probe_words or not _thin(pr, opts):
        return pr
    more = probemod.more_windows(len(speech), windows, opts.probe_ms // FRAME_MS, opts.probe_more_ms // FRAME_MS)
    pr2 = heard_in(more)
    if pr2 is None:
        return pr  # a file no longer than one window: it was heard whole already
    log.info("probe: share %.3f in %d runs, looked again: %.3f in %d runs", pr.share, pr.runs, pr2.share, pr2.runs)
    pr2 = replace(pr2, first_share=pr.share)
    if _threshold(pr2, opts) is None or not pr2.long_run():
        return pr2
    # refused so far, yet with a long run: the transcript may be of a stretch of the audio,
    # small beside the rest; the windows next to those that hold anchors tell (``_excerpt``)
    pr3 = heard_in(probemod.windows_around(len(speech), more, pr2.holding(), opts.probe_ms // FRAME_MS, EXCERPT_REACH))
    if pr3 is None:
        return pr2
    log.info("probe: looked around the anchors: share %.3f, stretch %s", pr3.share, pr3.stretch())
    return replace(pr3, first_share=pr.share)


def _thin(pr: probemod.Probe, opts: SpeechOptions) -> bool:
    """Whether the samples' verdict rests on little: a share near the threshold (through a
    degraded line recognition hears few words right: a conference call's three samples
    matched 0 of 57 words, the whole file 20 of 147), or few anchors (a short transcript
    makes recognition spell runs of it out of any speech: a 26 s recording of other words
    gave runs of 4 and 7 words of the Harvard sentences, 11 of the 93 it heard)."""
    return pr.share < 2 * opts.min_match_share or pr.matched < THIN_WORDS


def _recognise(
    audio: _Audio, windows: Sequence[tuple[int, int]], words: list[str], extra: dict[str, str],
    opts: SpeechOptions, jobs_n: int, request: AlignRequest,
) -> dict[tuple[int, int], list[tuple[str, int, int]]]:  # fmt: skip
    """Words recognised in each window, in ``jobs_n`` workers."""
    k = max(1, min(jobs_n, len(windows)))
    shares = [list(windows[i::k]) for i in range(k)]
    jobs = [_ProbeJob(audio.raw, sh, words, extra, opts.dither) for sh in shares if sh]
    hyps: dict[tuple[int, int], list[tuple[str, int, int]]] = {}
    for i, got in enumerate(_pool_map(_probe_windows, jobs, k)):
        hyps.update(zip(jobs[i].windows, got, strict=True))
        request.report("probe", i + 1, len(jobs))
    return hyps


def _check_match(pr: probemod.Probe, request: AlignRequest, opts: SpeechOptions, stats: dict[str, Any]) -> bool:
    """Refuse a transcript that recognition does not find in the audio (``MismatchError``),
    unless ``request.force``; then warn and return True (the result is marked)."""
    stats["probe"] = {"samples": pr.samples, "samples_matched": pr.samples_matched, "heard": pr.heard,
                      "matched": pr.matched, "share": round(pr.share, 3), "runs": pr.runs}  # fmt: skip
    if pr.first_share is not None:
        stats["probe"]["first_share"] = round(pr.first_share, 3)
    thr = _threshold(pr, opts)
    if thr is None:
        return False
    if _excerpt(pr, opts):
        n_win, n_held, local = pr.stretch()
        stats["probe"]["excerpt"] = {"windows": n_win, "holding": n_held, "share": round(local, 3)}
        log.info("probe: a transcript of a stretch of the audio: share %.3f in %d of %d windows", local, n_held, n_win)
        return False
    assert request.media is not None
    src = request.transcript.meta.get("path", "the transcript")
    # 7.5% against an 8% threshold must not read "(8%)"
    share = f"{pr.share:.1%}" if f"{pr.share:.0%}" == f"{thr:.0%}" else f"{pr.share:.0%}"
    msg = (
        f"{src}: recognition found only {pr.matched} of the {pr.heard} words it heard ({share}) in {pr.samples} "
        f"sample{'s' if pr.samples != 1 else ''} of {request.media.path} in this transcript "
        f"(at least {opts.min_match_share:.0%}, or {2 * opts.min_match_share:.0%} when under {THIN_WORDS} words, expected): "
        "is it the transcript of another recording (or of too short a part of this one), speech in another language, or speech too muffled to recognise "
        "(⟨--engine⟩ activity times lines without recognition)? Pass ⟨--force⟩ to align anyway (times will be marked unreliable)"
    )
    if not request.force:
        raise MismatchError(msg, pr.share, thr, "transcript")
    stats.setdefault("warnings", []).append(
        f"recognition found only {pr.matched} of the {pr.heard} words it heard ({share}) in the transcript; aligned anyway (--force), "
        "every time is unreliable"
    )
    stats["mismatch"] = {"share": round(pr.share, 3), "threshold": thr, "forced": True}
    return True


def _threshold(pr: probemod.Probe, opts: SpeechOptions) -> float | None:
    """The share the probe missed (a refusal), or None when it passes or heard too little to
    tell: too small a share, or a small one resting on few anchors (chance runs of a short
    transcript); a short clip of clear speech has a high share, however few words."""
    thr = opts.min_match_share if pr.share < opts.min_match_share or pr.matched >= THIN_WORDS else 2 * opts.min_match_share
    return None if pr.heard < opts.min_probe_words or pr.share >= thr else thr


def _excerpt(pr: probemod.Probe, opts: SpeechOptions) -> bool:
    """Whether a probe that missed the share is a transcript of a stretch of a longer
    recording: anchors enough, one run of at least twice :data:`probe.RUN` words, in two or
    more windows that are at least half of the windows from the first that holds one to the
    last, and within those windows a share of at least :data:`EXCERPT_SHARE` (the share over
    the whole audio is small because most of it is speech the text lacks). Measured: such
    transcripts (30 s to 10 min of the 10-minute and 1-hour espeak files, two under noise at
    10 dB) 0.24-0.89 within their windows, runs of 9-28 words; other recordings' transcripts,
    the same speaker's other hours among them, 0.021 at most, runs of 5 at most."""
    if pr.matched < THIN_WORDS or not pr.long_run():
        return False
    n_win, n_held, local = pr.stretch()
    return n_held >= 2 and 2 * n_held >= n_win and local >= EXCERPT_SHARE


def _coverage(pr: probemod.Probe, n_frames: int, tokens: Sequence[Token]) -> tuple[int, int]:
    """The tokens [lo, hi) that the audio can hold, from the anchors: text before the first
    anchor or past the last, more than the audio around it could hold at
    :data:`COVER_TOKENS_PER_S`, is not in this media (a transcript of a whole series on one
    episode). Whole lines; all of them without anchors enough to tell."""
    n = len(tokens)
    a = pr.anchors
    if len(a) < 2 * probemod.RUN:
        return 0, n
    lo = a[0].tok - int(COVER_TOKENS_PER_S * a[0].start / 1000) - 30
    hi = a[-1].tok + int(COVER_TOKENS_PER_S * (n_frames * FRAME_MS - a[-1].end) / 1000) + 30
    lo, hi = max(0, lo), min(n, hi)
    while lo > 0 and tokens[lo - 1].seg == tokens[lo].seg:
        lo -= 1
    while hi < n and tokens[hi].seg == tokens[hi - 1].seg:
        hi += 1
    return lo, hi


def _text_span(
    pr: probemod.Probe, audio: _Audio, speech: np.ndarray, lo: int, hi: int, words: list[str],
    extra: dict[str, str], opts: SpeechOptions, jobs_n: int, request: AlignRequest,
) -> tuple[int, int, probemod.Probe]:  # fmt: skip
    """The frames [onset, end) where the covered text (tokens ``lo``-``hi``) can lie, and the
    probe with what a closer look added: the whole audio unless the audio before the first
    anchor (after the last) holds far more speech than the text before (after) it takes: a
    transcript of a stretch of a longer recording.

    The samples are minutes apart, so the first anchor can lie well inside the text; the
    stretch between the last sample before it that matched nothing and the anchor is then
    recognised whole (up to ``probe_more_ms``, twice at most), which brings the first anchor
    to within a window of where the text begins; likewise after the last anchor. The text is
    then taken to begin no earlier than where the speech before that anchor would hold the
    text before it at :data:`ONSET_TOKENS_PER_S` (plus :data:`ONSET_MARGIN_MS` of speech unless
    the anchor is the text's first word), at the pause before; and to end no later than where
    the speech after the last anchor holds the text after it at :data:`SLOW_TOKENS_PER_S` plus
    :data:`LEAD_MARGIN_MS` (an entry is forced, an exit free: the end can be generous). Measured:
    a transcript of the second half of the 10-minute file was laid from the audio's start,
    300 s early; the middle third's last line was stretched to the end of the file.
    """
    cum = np.concatenate([[0], np.cumsum(speech)])
    n = len(speech)
    per_token = 100.0  # frames of speech a token takes at one token a second
    margin = LEAD_MARGIN_MS // FRAME_MS
    for _ in range(2):
        if not pr.anchors:
            return 0, n, pr
        first = pr.anchors[0]
        t0 = min(n, first.start // FRAME_MS)
        if cum[t0] - per_token * (first.tok - lo) / LEAD_TOKENS_PER_S <= LEAD_LOOK_MS // FRAME_MS:
            break
        # from the end of the last window before the anchor that holds none of the chain
        u = max((b for a, b in pr.bare() if b <= t0), default=0)
        got = _look(pr, u, t0, audio, words, extra, opts, jobs_n, request)
        moved = got.anchors[:1] != pr.anchors[:1]
        pr = got
        if not moved:
            break
    for _ in range(2):
        last = pr.anchors[-1]
        t1 = min(n, last.end // FRAME_MS)
        if cum[n] - cum[t1] - per_token * (hi - 1 - last.tok) / LEAD_TOKENS_PER_S <= LEAD_LOOK_MS // FRAME_MS:
            break
        v = min((a for a, b in pr.bare() if a >= t1), default=n)
        got = _look(pr, t1, v, audio, words, extra, opts, jobs_n, request)
        moved = got.anchors[-1:] != pr.anchors[-1:]
        pr = got
        if not moved:
            break
    if len(pr.anchors) < 2 * probemod.RUN:
        return 0, n, pr  # too few to cut the audio on (as for ``_coverage``)
    first, last = pr.anchors[0], pr.anchors[-1]
    t0, t1 = min(n, first.start // FRAME_MS), min(n, last.end // FRAME_MS)
    k0, k1 = max(0, first.tok - lo), max(0, hi - 1 - last.tok)
    margin0 = ONSET_MARGIN_MS // FRAME_MS
    # the text before the first anchor at two thirds of the anchors' own rate (words a second
    # of speech between the first and the last), within the slow and the fast bound
    rate = (last.tok - first.tok) / max(1.0, (cum[t1] - cum[t0]) / per_token)
    rate = min(ONSET_TOKENS_PER_S[1], max(ONSET_TOKENS_PER_S[0], rate / 1.5))
    need0 = per_token * k0 / rate + (margin0 if k0 else 0)
    need1 = per_token * k1 / SLOW_TOKENS_PER_S + margin
    onset = end = None
    if cum[t0] > need0 + margin0:
        # the last frame from which the speech up to the anchor is still ``need0``, moved
        # back to the pause before it: the decoder enters the text there
        onset = _pause_near(speech, int(np.searchsorted(cum, cum[t0] - need0, side="right")) - 1, -1)
    if cum[n] - cum[t1] > need1 + margin:
        end = _pause_near(speech, int(np.searchsorted(cum, cum[t1] + need1, side="left")), 1)
    return onset or 0, end or n, pr


def _look(
    pr: probemod.Probe, u: int, v: int, audio: _Audio, words: list[str], extra: dict[str, str],
    opts: SpeechOptions, jobs_n: int, request: AlignRequest,
) -> probemod.Probe:  # fmt: skip
    """``pr`` with frames [u, v) recognised in contiguous windows (at most ``probe_more_ms``
    of them, spread evenly) and the chain made again with their runs."""
    length = opts.probe_ms // FRAME_MS
    budget = max(1, opts.probe_more_ms // opts.probe_ms)
    cuts = list(range(u, v - length // 2, length))
    if len(cuts) > budget:
        cuts = [cuts[int(i * len(cuts) / budget)] for i in range(budget)]
    new = [(a, min(a + length, v)) for a in cuts]
    new = [win for win in new if win not in pr.windows]
    if not new:
        return pr
    hyps = _recognise(audio, new, words, extra, opts, jobs_n, request)
    kept = probemod.chain(_kept_runs(pr) + probemod.window_runs([hyps[win] for win in new], new, words))
    log.info("text span: looked at %d windows in %d-%d ms", len(new), u * FRAME_MS, v * FRAME_MS)
    # (the counts behind the share stay the verdict's; per-window ones no longer apply)
    windows = tuple(sorted({*pr.windows, *new}))
    if not kept:
        return replace(pr, windows=windows, window_heard=())
    return replace(pr, anchors=tuple(x for r in kept for x in r), windows=windows, run_sizes=tuple(len(r) for r in kept),
                   window_heard=())  # fmt: skip


def _pause_near(speech: np.ndarray, at: int, step: int, min_frames: int = 15) -> int | None:
    """The middle of the first pause (``min_frames`` or more without speech) from frame
    ``at`` backwards (``step`` -1) or forwards (1), counting only its frames on that side of
    ``at``; None when there is none."""
    at = max(0, min(len(speech) - 1, at))
    starts, ends = true_runs(~speech)
    if step < 0:
        for x, y in zip(starts[::-1].tolist(), ends[::-1].tolist(), strict=True):
            e = min(y - 1, at)
            if x <= at and e - x + 1 >= min_frames:
                return int((x - 1 + e) // 2)
    else:
        for x, y in zip(starts.tolist(), ends.tolist(), strict=True):
            e = max(x, at)
            if y > at and y - e >= min_frames:
                return int((e + y) // 2)
    return None


def _kept_runs(pr: probemod.Probe) -> list[list[probemod.Anchor]]:
    """A probe's kept runs again, from its anchors and run sizes."""
    out: list[list[probemod.Anchor]] = []
    i = 0
    for n in pr.run_sizes:
        out.append(list(pr.anchors[i : i + n]))
        i += n
    return out


def run(request: AlignRequest) -> Alignment:
    """The speech engine: see the module docstring."""
    if request.media is None:
        raise InputError("the speech engine needs a media file with audio")
    if not request.media.has_audio:
        raise InputError(f"{request.media.path}: no audio stream; the speech engine aligns to speech")
    opts = SpeechOptions.from_mapping(request.options)
    tr = request.transcript
    segs = tr.segments
    lex = Lexicon()
    tokens = tokenize(segs, lex)
    jobs_n = max(1, int(request.jobs or 1))
    stats: dict[str, Any] = {"tokens": len(tokens), "oov": len(lex.extra)}
    forced = False
    with temporary_dir("clipper-speech-") as tmp:
        audio = _read_audio(request.media, tmp, request)  # the chosen --audio-track
        speech = _activity(audio.db)
        placed: dict[int, _Placed] = {}
        act_times: dict[int, tuple[int, int]] = {}
        span = (0, len(audio.db) * FRAME_MS)
        if tokens and len(audio.db):
            parts = _partition(audio, opts.part_ms)
            words = [t.word for t in tokens]
            extra = _extra_words(lex)
            pr = _run_probe(audio, speech, [p[0] for p in parts[1:]], words, extra, opts, jobs_n, request)
            forced = _check_match(pr, request, opts, stats)
            lo, hi = _coverage(pr, len(audio.db), tokens) if not forced else (0, len(tokens))
            stats["covered_tokens"] = [lo, hi]
            onset, end = 0, len(audio.db)
            if not forced and lo < hi:
                onset, end, pr = _text_span(pr, audio, speech, lo, hi, words, extra, opts, jobs_n, request)
                if onset or end < len(audio.db):
                    # audio before or after the text: no part holds it, no prior lays text on it
                    parts = [(max(a, onset), min(b, end)) for a, b in parts if b > onset and a < end]
                    stats["text_span_ms"] = list(span := (onset * FRAME_MS, end * FRAME_MS))
            sub = tokens[lo:hi]
            prior = (
                _activity_prior(request, sub, audio.raw, act_times, onset * FRAME_MS, end * FRAME_MS)
                if opts.prior and sub
                else None
            )
            anchors = [(x.start, x.tok - lo) for x in pr.anchors if lo <= x.tok < hi]
            got = _align_all(audio, speech, sub, extra, opts, parts, jobs_n, request, stats, prior, anchors)
            placed = {k + lo: v for k, v in got.items()}
        out_segs = _assemble(segs, tokens, placed, audio, speech, opts)
        out_segs = _fall_back(out_segs, act_times, audio, speech, stats, span)
        out_segs = _competing(out_segs, audio.db, stats)
    if forced:
        # a transcript recognition did not find: nothing here is confident
        out_segs = [s if s.confidence is None else replace(s, confidence=min(s.confidence, FORCED_CONFIDENCE)) for s in out_segs]
    n_spoken = sum(1 for s in segs if s.spoken)
    # placed: has times; found: the decoder placed words of it (a line in a gap has confidence 0)
    n_placed = sum(1 for s in out_segs if s.spoken and s.placed)
    n_found = sum(1 for s in out_segs if s.spoken and s.confidence)
    stats.update({"segments": len(segs), "spoken": n_spoken, "placed": n_placed, "found": n_found,
                  "unplaced": n_spoken - n_placed})  # fmt: skip
    return Alignment(
        transcript=replace(tr, segments=tuple(out_segs)),
        engine="speech",
        media=request.media,
        # every setting as used (defaults included), so a file says how it was made
        settings={"jobs": jobs_n, "block_ms": opts.block_ms, "model": "pocketsphinx en-us (bundled)",
                  "effective": {k: getattr(opts, k) for k in OPTIONS}},  # fmt: skip
        stats=stats,
    )


def _align_all(
    audio: _Audio,
    speech: np.ndarray,
    tokens: list[Token],
    extra: dict[str, str],
    opts: SpeechOptions,
    parts: list[tuple[int, int]],
    jobs_n: int,
    request: AlignRequest,
    stats: dict[str, Any],
    prior: np.ndarray | None = None,
    anchors: Sequence[tuple[int, int]] = (),
) -> dict[int, _Placed]:
    """Place ``tokens`` (indices from 0) on the audio, parts in ``jobs_n`` workers; ``anchors``
    are (ms, token) pairs recognition confirmed."""
    words = [t.word for t in tokens]
    nph = [t.nphones for t in tokens]
    seg_of = [t.seg for t in tokens]
    # the text's audio: from the first part's start to the last's end (where the text begins
    # and ends, ``_text_span``). Measured: counting the speech after the text's end too, a 30 s
    # text in a 10-minute file was given a fifth of its speaking rate, its block a fifth of
    # its words, and half its lines were left unplaced
    cum_speech = np.concatenate([[0], np.cumsum(speech)])
    base = cum_speech[parts[0][0]] if parts else 0
    total_speech = max(1, int((cum_speech[parts[-1][1]] if parts else cum_speech[-1]) - base))
    phones_per_s = sum(nph) / (total_speech / 100.0)
    cum_ph = np.concatenate([[0], np.cumsum(nph)])
    tok_per_frame = len(tokens) / total_speech
    jobs: list[_PartJob] = []
    for k, (a, b) in enumerate(parts):
        share = (cum_speech[a] - base) / total_speech
        entry = int(np.searchsorted(cum_ph, share * cum_ph[-1]))
        entry = min(entry, len(tokens) - 1)
        window = 0 if k == 0 else max(60, len(tokens) // 50)
        near = [(ms, t) for ms, t in anchors if a * FRAME_MS <= ms < a * FRAME_MS + opts.probe_ms + 5_000]
        if k > 0 and near:
            # recognition heard where this part's audio is in the text: enter just before it
            ms, t = near[0]
            est = int(round((cum_speech[min(len(speech), ms // FRAME_MS)] - cum_speech[a]) * tok_per_frame))
            entry = max(0, min(len(tokens) - 1, t - est))
            window = max(1, opts.prior_window, est // 2)
        elif prior is not None and k > 0:
            # the activity engine knows where this part's audio sits in the text
            entry = min(len(tokens) - 1, int(np.searchsorted(prior, a * FRAME_MS)))
            window = max(1, opts.prior_window)
        # a text that begins after speech it lacks (``_text_span``) may open on a garbage loop
        lead = opts.relocate_garbage_logp if k == 0 and a > 0 else 0.0
        jobs.append(
            _PartJob(audio.raw, a, b, entry, window, words, nph, seg_of, extra, phones_per_s, speech[a:b], opts, prior, lead)
        )
    stats["prior"] = prior is not None
    results: list[tuple[list[_Placed], dict[str, int]]] = []
    for k, res in enumerate(_pool_map(_align_part, jobs, jobs_n)):
        results.append(res)
        request.report("align", k + 1, len(jobs))
    placed: dict[int, _Placed] = {}
    stats["blocks"] = sum(r[1]["blocks"] for r in results)
    stats["empty_blocks"] = sum(r[1]["empty_blocks"] for r in results)
    for key in ("resyncs", "relocations", "relocations_taken", "audio_skips", "prior_reentries", "wide_retries",
                "wide_taken", "garbage_retries", "garbage_taken", "gap_breaks", "skip_retries", "skip_taken",
                "rewinds_back"):
        stats[key] = sum(r[1][key] for r in results)
    stats["worker_cpu_s"] = round(sum(r[1]["cpu_ms"] for r in results) / 1000, 2)
    stats["parts"] = len(parts)
    # chain parts: a later part's words must come after the earlier part's; when a part's
    # guessed entry overlaps or leaves a gap, redo its start from the confirmed point
    redo = 0
    last = -1  # the last token placed so far (tokens are placed in order)
    for k, (pl, _) in enumerate(results):
        if k == 0 or not pl:
            for p in pl:
                placed[p.tok] = p
                last = max(last, p.tok)
            continue
        prev_last = last
        first_tok = pl[0].tok
        if first_tok != prev_last + 1:
            redo += 1
            # decode this part again from the confirmed word, up to where it rejoins its own path
            prev_end_ms = placed[prev_last].end if placed else 0
            start_frame = max(parts[k - 1][0], prev_end_ms // FRAME_MS)
            job = replace(
                jobs[k],
                start_frame=start_frame,
                entry=prev_last + 1,
                entry_window=0,
                speech=speech[start_frame : parts[k][1]],
            )
            rejoin = _rejoin(job, pl, start_frame)
            fixed, _ = _align_part(replace(job, end_frame=rejoin[0]) if rejoin else job)
            pl = [p for p in fixed if p.tok > prev_last] + (
                [p for p in pl if p.tok >= rejoin[1] and p.start >= rejoin[0] * FRAME_MS] if rejoin else []
            )
        for p in pl:
            if p.tok > last:
                placed[p.tok] = p
                last = p.tok
    stats["junction_redos"] = redo
    return placed


def _activity_prior(
    request: AlignRequest, tokens: list[Token], raw: str, seg_times: dict[int, tuple[int, int]] | None = None,
    from_ms: int = 0,
    to_ms: int | None = None,
) -> np.ndarray | None:
    """Expected start (ms) of every token from the activity engine (cheap: activity and lengths),
    run on the lines ``tokens`` come from (the stretch of text the audio holds), over ``raw``
    (the decoded audio: a second decode cost 5 s an hour); ``seg_times``, when given,
    receives the activity engine's (start, end) of each line it placed. Speech before
    ``from_ms`` or from ``to_ms`` on (outside the text, ``_text_span``) is not offered to it.

    Each placed segment's span is shared among its tokens by phone count; tokens of unplaced
    segments are interpolated. Non-decreasing by construction. None when activity fails.
    """
    from ...errors import ClipperError
    from ...vad import activity_from_raw
    from .. import activity

    seg0, seg1 = tokens[0].seg, tokens[-1].seg + 1
    tr = request.transcript
    sub = replace(tr, segments=tr.segments[seg0:seg1])
    try:
        al = activity.run(
            replace(request, transcript=sub, options={}, anchors=()),
            make_track=lambda: _silenced(
                activity_from_raw(raw, jobs=max(1, request.jobs), progress=request.progress), from_ms, to_ms
            ),
        )
    except ClipperError:
        return None
    segs = (None,) * seg0 + al.transcript.segments
    known_i: list[int] = []
    known_t: list[float] = []
    by_seg: dict[int, list[int]] = {}
    for ti, t in enumerate(tokens):
        by_seg.setdefault(t.seg, []).append(ti)
    for si, tis in by_seg.items():
        if si >= len(segs):
            continue
        s = segs[si]
        if s is None or s.start is None or s.end is None or not s.confidence:
            continue
        if seg_times is not None:
            seg_times[si] = (s.start, s.end)
        ph = np.array([tokens[i].nphones for i in tis], dtype=np.float64)
        cum = np.concatenate([[0.0], np.cumsum(ph)])[:-1] / max(1.0, float(ph.sum()))
        for i, c in zip(tis, cum, strict=True):
            known_i.append(i)
            known_t.append(s.start + c * (s.end - s.start))
    if len(known_i) < 2:
        return None
    out = np.interp(np.arange(len(tokens)), np.asarray(known_i), np.asarray(known_t))
    return np.maximum.accumulate(out)


#: the pauses looked at around a line (the nearest, by order), and how many it needs
COMPETE_PAUSES = 8
COMPETE_MIN_PAUSES = 3
#: a pause's level swings by this much (dB, the standard deviation of its 50 ms level) ...
COMPETE_SWING_DB = 2.8
#: ... and lies within this much (dB) of the line's level (its 80th percentile frame)
COMPETE_NEAR_DB = 16.0
#: what a line's confidence is multiplied by under a competing sound
COMPETE_FACTOR = 0.55


def _competing(out: list[Segment], db: np.ndarray, stats: dict[str, Any]) -> list[Segment]:
    """Lines spoken over a competing sound (other voices, music) lose confidence.

    The pauses between found lines tell what else the recording holds. Around most lines they
    are silence, room tone or steady noise. Under other voices or music they are loud and
    their level swings like speech: the decoder can lay a line's first or last words on that
    sound, and its fit cannot tell (the acoustic model hears words there). On the degraded
    sets, babble of four voices at 10 dB put 14 of 181 confident lines 0.5-1.7 s off, at
    confidence up to 0.88, and no per-line evidence set them apart from right lines.

    So a line whose :data:`COMPETE_PAUSES` nearest pauses (each without its 100 ms next to a
    line) swing by :data:`COMPETE_SWING_DB` or more at the median, and whose own level is at
    most :data:`COMPETE_NEAR_DB` over the pauses' median level, takes
    :data:`COMPETE_FACTOR`. A quiet room's breaths and reverb tails swing too, but lie
    26-37 dB under the speech (``../shared/data``'s Harvard list, RT60 0.5-1 s), and steady
    noise at 5 dB is near but swings under 1 dB; reverberation of RT60 2 s (15 dB under)
    counts as competing.
    """
    idx = [i for i, s in enumerate(out) if s.start is not None and s.end is not None and s.confidence]
    pauses: list[tuple[float, float, float]] = []  # (position between lines, swing, level)
    for p, (i, j) in enumerate(zip(idx, idx[1:], strict=False)):
        a, b = out[i].end, out[j].start
        assert a is not None and b is not None
        g0, g1 = a // FRAME_MS + 10, b // FRAME_MS - 10
        if g1 - g0 < 20 or g1 > len(db):
            continue
        x = db[g0:g1].astype(np.float64)
        pauses.append((p + 0.5, float(np.std(np.convolve(x, np.ones(5) / 5, mode="valid"))), float(np.median(x))))
    if len(pauses) < COMPETE_MIN_PAUSES:
        return out
    at = [q[0] for q in pauses]
    res = list(out)
    n = 0
    for p, i in enumerate(idx):
        k = bisect.bisect_left(at, p)
        near = sorted(pauses[max(0, k - COMPETE_PAUSES) : k + COMPETE_PAUSES], key=lambda q: abs(q[0] - p))[:COMPETE_PAUSES]
        s = out[i]
        assert s.start is not None and s.end is not None and s.confidence is not None
        a = s.start // FRAME_MS
        line = db[a : max(a + 1, s.end // FRAME_MS)]
        if not line.size or float(np.median([q[1] for q in near])) < COMPETE_SWING_DB:
            continue
        if float(np.percentile(line, 80)) - float(np.median([q[2] for q in near])) > COMPETE_NEAR_DB:
            continue
        res[i] = replace(s, confidence=round(s.confidence * COMPETE_FACTOR, 3))
        n += 1
    stats["competing"] = n
    return res


def _silenced(track: ActivityTrack, from_ms: int, to_ms: int | None) -> ActivityTrack:
    """``track`` with no speech before ``from_ms`` nor from ``to_ms`` on."""
    a = track.frame(from_ms) if from_ms > 0 else 0
    b = track.frame(to_ms) if to_ms is not None and to_ms < track.ms(track.frames) else track.frames
    if a == 0 and b >= track.frames:
        return track
    sp, vd = track.speech.copy(), track.vad.copy()
    sp[:a] = vd[:a] = False
    sp[b:] = vd[b:] = False
    return replace(track, speech=sp, vad=vd)


def _fall_back(
    segs: list[Segment], act: dict[int, tuple[int, int]], audio: _Audio, speech: np.ndarray, stats: dict[str, Any],
    span: tuple[int, int] | None = None,
) -> list[Segment]:
    """Where the decoder lost the chain, the activity engine's times, confidence 0.

    A run of lines placed unsure (confidence under 0.5) is lost when one of them lies further
    than :data:`FALLBACK_MS` from where the activity engine puts it and lasts far longer than
    its text takes to say: under heavy reverberation every word "fits" stretched, and a few
    lines spread over a whole stretch (measured 35 s off), while the activity engine, which
    only counts speech and length, cannot drift that far. (Far alone is not enough: under
    babble the activity engine was 4 s off where the decoder was right.) A run held by a
    confident line on one side only (it begins or ends the speech) is lost too when it is
    *crowded*: half of its lines or more, three at least, lie that far from the activity
    engine's times and all on the same side of them. With nothing holding its other end the
    decoder can lay the text on the sound before each line (babble) and leave the rest of the
    speech to fillers: measured 10.7 s early at the end of a file, each line only shifted, not
    stretched; or, under a transcript with a quarter of its words edited, fall behind and lay
    the rest of the text ever later, away from that line: 3-21 s late to the end of the file,
    where the activity engine had every line within 0.61 s. Not where the activity engine
    is the one short of the speech at that free end (``_text_short``): its times leave more
    than 2 s of speech past the text's end (or before its start) that the decoder's cover.
    With no confident line in the
    whole file nothing holds a run at all, and one line far from the activity engine's times
    is enough; where the decoder placed under half of the lines, so is one that engine did
    not place: under noise louder than the speech the decoder found two words of the first
    line, 59 s late, and nothing else. A line's side is that of its far edge: a line
    stretched from a right start over the next lines' speech is late. Every line of such a
    run, the ones the decoder did not place included (they are lost with the chain, not
    absent: in telephone band the decoder fell 4-21 s behind and ran out of audio ten lines
    before the text's end, where the activity engine had them all within 0.2 s), takes the
    activity engine's times when it has them, else the gap between its neighbours when that
    holds speech for it (``_place_events``), else none. Confident lines are not moved by
    those runs.

    They are moved by a *drift* (``_drifts``): a stretch up to the last placed line, laid
    ever earlier than the activity engine's times, with more than FALLBACK_MS of speech
    after its last line that no text covers (or ever later from the first placed line, with
    that speech before it). The text ran out before the speech did, so the chain, not the
    activity engine, is off; a few lines it matched by chance inside such a stretch may be
    confident and hold the unsure runs between them: under babble, from the 12th line on,
    the decoder ran ever earlier up to 13 s and ended 11 s before the speech, with "Right"
    5.7 s early at 0.68 and the last line 11.6 s early at 0.75. The same drift where the text
    reaches the end of the speech is kept: under babble the activity engine was 7 s late
    elsewhere while the decoder was right. The mirror image is a drift too: a stretch laid
    ever later up to the last placed line, with more than FALLBACK_MS of the activity engine's
    time on lines after it that the decoder did not place. The speech ran out before the
    text did: the chain fell behind. Under a transcript with a quarter of its words edited it
    fell 2-21 s behind from the sixth line on and left ten lines unplaced, with three lines
    matched by chance 2.7-12 s late at 0.54-0.80 that cut the unsure lines into runs too
    short to be lost; the activity engine had the lines within 2 s. Drifts are found in the
    decoder's times, before the lost runs move any line (a run moved first would split the
    stretch). A line's side, here too, is that of its far edge. Such a row starts after its
    last two confident lines in a row: up to there the chain held.

    A run of lines that are not confident, held on both sides by confident lines on which the
    activity engine agrees with the decoder, with a row of them laid far to one side of that
    engine's times, strayed and came back (:func:`_excursions`): the row takes those times
    too. Last, an unsure line left where the decoder put it, with one side of a long pause
    inside it laid on another line's speech, is cut back to the activity engine's edge
    (:func:`_cut_at_gaps`).
    """
    out = list(segs)
    span = span or (0, len(audio.db) * FRAME_MS)
    # in the decoder's times: a lost run moved first would split a drift's stretch
    drifts = _drifts(out, act, speech, span)
    excursions = _excursions(out, act)
    unsure = [s.placed and s.confidence is not None and s.confidence < 0.5 for s in out]
    moved: set[int] = set()
    i = 0
    while i < len(out):
        if not unsure[i]:
            i += 1
            continue
        j = i
        while j < len(out) and (unsure[j] or not out[j].placed):
            j += 1
        run = [k for k in range(i, j) if unsure[k]]

        def lost(k: int) -> bool:
            """Far from the activity engine's times, and stretched far beyond its text."""
            s = out[k]
            assert s.start is not None and s.end is not None
            return _far(s, act.get(k)) and s.end - s.start > GAP_SLACK * 1.25 * _say_ms(s) + 1000

        lo, hi = _neighbours(out, i, j)
        thin = 2 * sum(1 for k in range(i, j) if out[k].placed) < j - i
        crowded = _crowded(out, run, act, lo is not None, hi is not None, thin)
        if crowded and _text_short(out, range(i, j), act, speech, span, lo is None, hi is None):
            log.debug("run %d-%d: the activity engine leaves speech at the text's free end", i, j)
            crowded = False
        if any(lost(k) for k in run) or crowded:
            log.debug("lost run %d-%d: %s", i, j, [(k, out[k].start, out[k].end, act.get(k)) for k in run])
            # the lines the decoder did not place there are lost with the chain, not absent
            lost_run = [k for k in range(i, j) if unsure[k] or (out[k].spoken and not out[k].placed)]
            _to_prior(out, lost_run, act, lo or 0, hi)
            moved.update(lost_run)
        i = j
    # a drift lays its lines a lost run took again (they count there)
    drifted = _rows_to_prior(out, drifts, act, "drift") - moved
    stats["drift_fallbacks"] = len(drifted)
    strayed = _rows_to_prior(out, excursions, act, "excursion", skip=moved | drifted)
    stats["excursion_fallbacks"] = len(strayed)
    stats["prior_fallbacks"] = len(moved | drifted | strayed)
    cut = _cut_at_gaps(out, act, moved | drifted | strayed)
    stats["gap_cuts"] = len(cut)
    return _place_events(out, audio, speech) if moved or drifted or strayed or cut else out


def _rows_to_prior(
    out: list[Segment], rows: Sequence[tuple[int, int]], act: dict[int, tuple[int, int]], what: str,
    skip: frozenset[int] | set[int] = frozenset(),
) -> set[int]:
    """Each row [a, b) of ``out`` (its lines with text or times, but those in ``skip``) on the
    activity engine's times (:func:`_to_prior`) between its neighbours; the lines laid."""
    laid: set[int] = set()
    for a, b in rows:
        run = [k for k in range(a, b) if k not in skip and (out[k].spoken or out[k].placed)]
        if not run:
            continue
        log.debug("%s %d-%d: %s", what, a, b, [(k, out[k].start, out[k].end, act.get(k)) for k in run])
        lo, hi = _neighbours(out, a, b)
        _to_prior(out, run, act, lo or 0, hi)
        laid.update(run)
    return laid


def _excursions(out: Sequence[Segment], act: dict[int, tuple[int, int]]) -> list[tuple[int, int]]:
    """Rows [a, b) of lines the decoder laid away from the activity engine's times, all on
    one side, inside a run of lines that are not confident held on both sides by confident
    lines on which the two engines agree (:func:`_agree`): the chain strayed and came back.

    Three lines at least, and half of the run's lines with activity times, lie more than half
    :data:`FALLBACK_MS` from them (at the edge further off); the row goes from the first such
    line to the last, with the lines beside it that the activity engine did not place and the
    decoder laid over that engine's time for the row's edge line. Found in the decoder's
    times, like drifts.

    Measured on the 224 files of the degraded sets and their fresh draws with a run of three
    lines or more that are not confident held on both sides: it fires in four, all edited
    transcripts, where the decoder fell 2-8.8 s behind for 3-18 lines and caught up again.
    Their 34 lines come closer (32 over 2 s before, none after; none further off). It did not
    fire under babble, where the activity engine can be the one off. Far at 1.5 s instead of
    2, it fired in eight files and sent 12 lines further off, some from within 230 ms of the
    truth to 1.5-2.3 s (reverberation, music).
    """
    rows: list[tuple[int, int]] = []
    sure = [s.placed and (s.confidence or 0.0) >= 0.5 for s in out]
    i = 0
    while i < len(out):
        if sure[i]:
            i += 1
            continue
        j = i
        while j < len(out) and not sure[j]:
            j += 1
        if i > 0 and j < len(out) and all(k in act and _agree(out[k], act[k]) for k in (i - 1, j)):
            offs = []
            for k in range(i, j):
                s = out[k]
                if s.start is None or s.end is None or k not in act:
                    continue
                ds, de = s.start - act[k][0], s.end - act[k][1]
                offs.append((k, ds if abs(ds) > abs(de) else de))
            far = [(k, d) for k, d in offs if abs(d) > FALLBACK_MS // 2]
            one_side = all(d > 0 for _, d in far) or all(d < 0 for _, d in far)
            if len(far) >= 3 and one_side and 2 * len(far) >= len(offs):
                # with the lines beside the row that the activity engine did not place and the
                # decoder laid over the activity engine's time for the row's first (last) line:
                # they strayed with it (one ended 2.5 s late, on that line's speech)
                a, b = far[0][0], far[-1][0] + 1
                while a > i and a - 1 not in act and (out[a - 1].end or 0) > act[far[0][0]][0]:
                    a -= 1
                while b < j and b not in act and (out[b].start or 10**12) < act[far[-1][0]][1]:
                    b += 1
                rows.append((a, b))
        i = j
    return rows


def _cut_at_gaps(out: list[Segment], act: dict[int, tuple[int, int]], skip: set[int]) -> set[int]:
    """Unsure lines split by a pause of :data:`GAP_INSIDE_MS` or more between two of their
    words, one side of which the activity engine's times for the line leave out by more than
    :data:`GAP_CUT_MS`: that side was laid on another line's speech, across the pause
    between them. The line is cut back to the activity engine's edge (within the pause) and
    the words laid on the far side are spread up to it, confidence 0. Only towards a spoken
    line of the text (the next for the end, the previous for the start): a last line's words
    after a pause are its own wherever the activity engine ends it. And only where the
    activity engine keeps time with the decoder on the neighbour at the kept side (the line
    before, for the end), its times overlapping the decoder's by half their union: under
    another draw of edits it had put each line on the sentence before, and a cut sent a line
    5.4 s off.

    Measured: a tenth to a quarter of the words edited on read sentences with 2 s pauses, the
    decoder put a line's last words on the next sentence (its end 2-5.4 s late), or opened a
    line with words laid on the end of the sentence before (1.3-3.2 s early), at confidence
    0.06-0.34; the activity engine had most of those edges within 0.3 s. Two in five of the
    unsure lines with such a pause were right at both edges: there the activity engine's
    times spanned the pause too, or the line was the last.
    """
    def held(m: int) -> bool:
        """The activity engine keeps time with the decoder at line ``m`` (the neighbour on the kept side)."""
        return 0 <= m < len(out) and m not in skip and m in act and _agree(out[m], act[m])

    cut: set[int] = set()
    for k, s in enumerate(out):
        if k in skip or k not in act or not s.placed or s.confidence is None or s.confidence >= 0.5:
            continue
        found = [i for i, w in enumerate(s.words) if w.confidence and w.start is not None and w.end is not None]
        if len(found) < 2:
            continue
        gap, n = max((_word(s, found[m + 1])[0] - _word(s, found[m])[1], m) for m in range(len(found) - 1))
        if gap < GAP_INSIDE_MS:
            continue
        assert s.start is not None and s.end is not None
        i, j = found[n], found[n + 1]  # the words either side of the pause
        pre_end, post_start = _word(s, i)[1], _word(s, j)[0]
        a, b = act[k]
        if b < post_start - GAP_CUT_MS and a < pre_end and any(m.spoken for m in out[k + 1 :]) and held(k - 1):
            end = min(max(b, pre_end), post_start)
            words = _lay_from(s.words, i, end)
            out[k] = s.with_times(s.start, end, words=words)
            cut.add(k)
        elif a > pre_end + GAP_CUT_MS and b > post_start and any(m.spoken for m in out[:k]) and held(k + 1):
            start = max(min(a, post_start), pre_end)
            out[k] = s.with_times(start, s.end, words=_lay_to(s.words, j, start))
            cut.add(k)
    return cut


def _agree(s: Segment, ab: tuple[int, int]) -> bool:
    """A placed line and the activity engine's times ``ab`` for it overlap by half their union or more."""
    if s.start is None or s.end is None:
        return False
    inter = min(s.end, ab[1]) - max(s.start, ab[0])
    return 2 * inter >= max(s.end, ab[1]) - min(s.start, ab[0])


def _word(s: Segment, i: int) -> tuple[int, int]:
    w = s.words[i]
    assert w.start is not None and w.end is not None
    return w.start, w.end


def _lay_from(words: Sequence[Word], i: int, end: int) -> tuple[Word, ...]:
    """``words`` up to ``i`` as they are, those after it spread from word ``i``'s end to
    ``end`` (confidence 0); where that leaves under :data:`MIN_WORD_MS` a word, word ``i``
    shares its own time with them."""
    w = words[i]
    assert w.start is not None and w.end is not None
    rest = words[i + 1 :]
    if end - w.end >= MIN_WORD_MS * len(rest):
        return (*words[: i + 1], *_spread(rest, w.end, end))
    return (*words[:i], *_spread(words[i:], w.start, max(end, w.start + 1)))


def _lay_to(words: Sequence[Word], j: int, start: int) -> tuple[Word, ...]:
    """The mirror image of :func:`_lay_from`: ``words`` from ``j`` on as they are, those before
    it spread from ``start`` to word ``j``'s start (confidence 0); where that leaves under
    :data:`MIN_WORD_MS` a word, word ``j`` shares its own time with them."""
    w = words[j]
    assert w.start is not None and w.end is not None
    head = words[:j]
    if w.start - start >= MIN_WORD_MS * len(head):
        return (*_spread(head, start, w.start), *words[j:])
    return (*_spread(words[: j + 1], min(start, w.end - 1), w.end), *words[j + 1 :])


def _neighbours(out: Sequence[Segment], i: int, j: int) -> tuple[int | None, int | None]:
    """The end of the last placed line before ``out[i:j]`` and the start of the first after it."""
    # (indices, not slices: the nearest placed line is almost always the neighbour)
    lo = next((out[m].end for m in range(i - 1, -1, -1) if out[m].end is not None), None)
    hi = next((out[m].start for m in range(j, len(out)) if out[m].start is not None), None)
    return lo, hi


def _to_prior(out: list[Segment], run: Sequence[int], act: dict[int, tuple[int, int]], lo: int, hi: int | None) -> None:
    """Each line of ``run`` (in order) on the activity engine's times, confidence 0, when
    it has them and they lie after the previous line's and within [``lo``, ``hi``]; else
    no times (``_place_events`` then looks for a gap)."""
    for k in run:
        s = out[k]
        a, b = act.get(k, (-1, -1))
        if k in act and a >= lo and (hi is None or b <= hi) and b - a >= 200:
            out[k] = s.with_times(a, b, confidence=0.0, words=_spread(s.words, a, b))
            lo = b
        else:
            out[k] = s.with_times(None, None, confidence=None, words=tuple(Word(w.text) for w in s.words))


def _said(speech: np.ndarray, a_ms: int, b_ms: int) -> int:
    """Speech (ms) in [a_ms, b_ms) by the speech frames ``speech``."""
    return int(np.count_nonzero(speech[max(0, a_ms // FRAME_MS) : max(0, b_ms // FRAME_MS)])) * FRAME_MS


def _drifts(
    out: Sequence[Segment], act: dict[int, tuple[int, int]], speech: np.ndarray, span: tuple[int, int]
) -> list[tuple[int, int]]:
    """Stretches [a, b) of lines the decoder laid ever earlier than the activity engine up to
    the last line it placed, with the speech after that line left to no text (or ever later
    from the first, with the speech before it left over; or ever later up to the last, with
    text after it that the decoder did not place and the activity engine did,
    :func:`_text_left`): see :func:`_fall_back`.

    A stretch is a row of lines more than half :data:`FALLBACK_MS` from the activity
    engine's times at an edge, their starts all earlier (or all later) than its, with the
    lines that engine did not place inside and beside the row. It is lost when three of its
    lines at least lie further than FALLBACK_MS, most of its lines are unsure, and more than
    FALLBACK_MS of speech inside ``span`` (ms: the part of the media the text covers) lies
    after its last line (before its first) with no line on it, or, ever later, more than
    FALLBACK_MS of text after its last line.
    """
    on = [k for k, s in enumerate(out) if s.placed and k in act]
    placed = [k for k, s in enumerate(out) if s.placed]
    if not on:
        return []

    def off(k: int) -> int:
        """Signed offset from the activity engine's times (negative: earlier) at the far edge
        (:func:`_side`: a line stretched from a right start is late), 0 within half
        FALLBACK_MS of them at both edges."""
        s = out[k]
        assert s.start is not None
        return _side(s, act[k], FALLBACK_MS // 2) if _far(s, act[k], FALLBACK_MS // 2) else 0

    first, last = out[placed[0]], out[placed[-1]]
    assert first.start is not None and last.end is not None
    offs = [off(k) for k in on]
    spans = []
    i = 0
    while i < len(on):
        side = offs[i]
        j = i + 1
        while side and j < len(on) and offs[j] * side > 0:
            j += 1
        a = on[i - 1] + 1 if i else 0
        b = on[j] if j < len(on) else len(out)
        lines = [k for k in range(a, b) if out[k].placed]
        far = sum(1 for k in on[i:j] if _far(out[k], act[k]))
        sure = sum(1 for k in lines if (out[k].confidence or 0) >= 0.5)
        if side and far >= 3 and 2 * sure < len(lines):
            # early up to the last placed line with speech after it no text covers; late from the first
            end, left = (placed[-1], _said(speech, last.end, span[1])) if side < 0 else (placed[0], _said(speech, span[0], first.start))
            if end in lines and left > FALLBACK_MS:
                spans.append((a, b))
            elif side > 0 and placed[-1] in lines and _text_left(out, act, placed[-1]) > FALLBACK_MS:
                # it fell behind after its last two confident lines in a row: up to there the
                # chain still held (a paragraph nobody spoke after them had put the activity
                # engine 2-8 s early there, seven lines right at 0.53-0.94). Lines matched by
                # chance stand alone among unsure ones
                sure_at = {n for n, k in enumerate(lines) if (out[k].confidence or 0) >= 0.5}
                held = sorted(n for n in sure_at if n - 1 in sure_at)
                a = max(a, lines[held[-1]] + 1) if held else a
                if sum(1 for k in on[i:j] if k >= a and _far(out[k], act[k])) >= 3:
                    spans.append((a, b))
        i = j
    return spans


def _say_ms(s: Segment) -> int:
    """About how long (ms) ``s``'s text takes to say (:data:`SAY_MS_PER_CHAR`)."""
    return SAY_MS_PER_CHAR * len(s.spoken_text)


def _text_left(out: Sequence[Segment], act: dict[int, tuple[int, int]], last: int) -> int:
    """The activity engine's time (ms) on the spoken lines after ``last`` (the last line the
    decoder placed) that the decoder did not place."""
    return sum(act[k][1] - act[k][0] for k in range(last + 1, len(out)) if k in act and out[k].spoken and not out[k].placed)


def _text_short(
    out: Sequence[Segment], lines: Sequence[int], act: dict[int, tuple[int, int]], speech: np.ndarray,
    span: tuple[int, int], free_start: bool, free_end: bool,
) -> bool:
    """The activity engine's times for ``lines``, a run at a free end of the text (nothing
    placed after it, ``free_end``, or before it), leave more than half :data:`FALLBACK_MS` of
    speech inside ``span`` past that end, where the decoder's leave a quarter of that: the
    activity engine ran out of text before the speech did (or began it late), so it, not the
    chain, is off there. Measured: under a music bed at 8 dB it laid the last eight lines
    4.2-5.2 s early and left the last 4.3 s of speech to no text, where the decoder had them
    0.02-1.15 s off; a crowded run of lines late of the activity engine's fell back to those.
    Each side's reach counts every line it placed: the lines the decoder did not place reach
    the speech's end on the activity engine's times (a chain that fell behind, with speech
    the text lacks, laid its last lines 16-25 s late and ran out of audio before the rest).
    The lines the activity engine did not place past its last (before its first) take their
    share of that speech (:func:`_say_ms`): that engine had text left for it. Measured:
    it left the last two lines unplaced and the 4 s of speech they hold, where the decoder,
    21 s behind, had run out of audio ten lines before the text's end."""
    dec = [k for k in lines if out[k].start is not None and out[k].end is not None]
    eng = [k for k in lines if k in act]
    if not dec or not eng:
        return False

    def need(ks: Iterable[int]) -> int:
        return sum(_say_ms(out[k]) for k in ks if out[k].spoken)

    left = []  # (speech the decoder's times leave past the free end, the activity engine's)
    # only where the activity engine placed the line at that end too: one it left unplaced says
    # nothing of where its text ran out (babble at 10 dB: it placed the first 8 of 10 lines; the
    # decoder's run, 2-9.5 s early, was kept, where its times were 0.6-1.9 s off)
    if free_end and max(eng) >= max(dec):
        d = _said(speech, max(out[k].end or 0 for k in dec), span[1])
        e = _said(speech, max(act[k][1] for k in eng), span[1])
        left.append((d, e - need(k for k in lines if k > max(eng))))
    if free_start and min(eng) <= min(dec):
        d = _said(speech, span[0], min(out[k].start or 0 for k in dec))
        e = _said(speech, span[0], min(act[k][0] for k in eng))
        left.append((d, e - need(k for k in lines if k < min(eng))))
    return any(e > FALLBACK_MS // 2 and 4 * d <= e for d, e in left)


def _crowded(
    out: Sequence[Segment], run: Sequence[int], act: dict[int, tuple[int, int]], before: bool, after: bool,
    thin: bool = False,
) -> bool:
    """A run held on one side only (``before``: a placed line precedes it; ``after``: one
    follows), or on neither, whose lines lie far from the activity engine's, all on the same
    side of them (towards the held side, or away from it): see :func:`_fall_back`."""
    if before and after:
        return False
    # signed offsets of the far lines (negative: earlier than the activity engine's), at
    # the far edge: a line stretched from its right start over the next lines' speech is
    # late, not early by the 1 ms its start is off (measured: that 1 ms kept a phone-band
    # run 4-21 s late in place)
    far = [_side(out[k], act[k]) for k in run if _far(out[k], act.get(k))]
    towards = sum(1 for d in far if (d < 0) == before)
    off, least = len(far), 3
    if not before and not after:
        # no line of the file is confident, so nothing holds even one line far from the activity
        # engine's times; where the decoder placed under half of the lines (``thin``: what it
        # did place may be chance), not one the activity engine did not place either
        off += sum(1 for k in run if k not in act) if thin else 0
        least = 1
    return off >= max(least, (len(run) + 1) // 2) and towards in (0, len(far))


def _side(s: Segment, ab: tuple[int, int], ms: int = FALLBACK_MS) -> int:
    """Signed offset (ms) of a line from the activity engine's times ``ab``: its start's when
    that is further than ``ms``, else its end's."""
    assert s.start is not None and s.end is not None
    return s.start - ab[0] if abs(s.start - ab[0]) > ms else s.end - ab[1]


def _far(s: Segment, ab: tuple[int, int] | None, ms: int = FALLBACK_MS) -> bool:
    """A placed line more than ``ms`` from the activity engine's times ``ab`` at either edge
    (never, without them)."""
    assert s.start is not None and s.end is not None
    return ab is not None and (abs(s.start - ab[0]) > ms or abs(s.end - ab[1]) > ms)


def _rejoin(job: _PartJob, pl: list[_Placed], start_frame: int) -> tuple[int, int] | None:
    """A point well after the junction where the part's own path can be trusted again."""
    horizon = start_frame + 3 * job.opts.block_ms // FRAME_MS
    for p in pl:
        if p.start // FRAME_MS >= horizon:
            return p.start // FRAME_MS, p.tok
    return None


_FEATURES: list[dict[str, Any]] | None = None  # when a list: each segment's evidence is appended (calibration)


def _assemble(
    segs: Sequence[Segment],
    tokens: list[Token],
    placed: dict[int, _Placed],
    audio: _Audio,
    speech: np.ndarray,
    opts: SpeechOptions,
) -> list[Segment]:
    """Words and segments with times, confidences and refined edges (``speech``: the
    audio's speech frames, for lines put between their neighbours)."""
    scores = np.array([p.score for p in placed.values()]) if placed else np.zeros(1)
    med = float(np.median(scores))
    mad = float(np.median(np.abs(scores - med))) or 1.0
    # the speaker's pace: frames a phone, over words that fit well
    paces = [(p.end - p.start) / FRAME_MS / tokens[ti].nphones for ti, p in placed.items() if p.score >= med]
    pace = float(np.median(paces)) if len(paces) >= 20 else 8.0
    by_word: dict[tuple[int, int], list[tuple[int, _Placed]]] = {}
    for ti, p in placed.items():
        t = tokens[ti]
        by_word.setdefault((t.seg, t.idx), []).append((ti, p))
    out: list[Segment] = []
    prev_ev: dict[str, Any] | None = None  # the evidence of the last line with times (its fit, its last word)
    for si, s in enumerate(segs):
        words: list[Word] = []
        ev: dict[str, Any] = {"seg": si, "n": len(s.words), "uncovered": 0.0, "wide": False, "skips": False}
        nph: list[int] = []
        zs: list[float] = []
        for wi, w in enumerate(s.words):
            tps = by_word.get((si, wi))
            if not tps:
                words.append(Word(w.text))
                nph.append(0)
                continue
            ps_ = [p for _, p in tps]
            a = min(p.start for p in ps_)
            b = max(p.end for p in ps_)
            z = (min(p.score for p in ps_) - med) / (3 * mad)
            zs.append(z)
            nph.append(sum(tokens[ti].nphones for ti, _ in tps))
            ev["uncovered"] = max(ev["uncovered"], *(p.uncovered for p in ps_))
            ev["wide"] = ev["wide"] or any(p.wide for p in ps_)
            ev["skips"] = ev["skips"] or any(p.skips for p in ps_)
            # at least 0.001: the decoder put it here, however poorly it fits (0 is kept
            # for words it did not find, which only get times between their neighbours)
            conf = max(0.001, round(1.0 / (1.0 + math.exp(-2.0 * (z + 1.0))), 3))
            words.append(Word(w.text, a, b, conf))
        words = _fill_words(words)
        timed = [w for w in words if w.confidence]
        if not s.words or not timed:
            out.append(s.with_times(None, None, words=tuple(words), confidence=None))
            continue
        i0 = next(i for i, w in enumerate(words) if w.start is not None)
        i1 = next(i for i in range(len(words) - 1, -1, -1) if words[i].end is not None)
        words, ev["inner_stretch"] = _unstretch(words, nph, i0, i1, pace)
        start, end = words[i0].start, words[i1].end
        assert start is not None and end is not None
        prev_end = next((o.end for o in reversed(out) if o.end is not None), None)
        nxt = next((p.start for _, p in by_word.get((si + 1, 0), [])), None)
        # an edge touching the next or previous line: no pause was found between them
        ev["abut_start"] = prev_end is not None and start - prev_end <= 20
        ev["abut_end"] = nxt is not None and nxt - end <= 20
        ev["snap_start"] = ev["snap_end"] = False
        ev["trim_start"] = ev["trim_end"] = 0
        # the line opens with a hum ("Mm"): the decoder puts it late, and it always fits badly
        hum = _hum(tokens, by_word[(si, i0)])
        if opts.snap_start_ms:
            timed_w = [w for w in words if w.start is not None and w.end is not None]
            reach = _onset_reach(timed_w, start, opts.snap_start_ms)
            # a hum ("Mm") the decoder put at its end: its onset lies further back (else as usual)
            on = _snap(audio.raw, start, HUM_BACK_MS, reach, prev_end or 0, tail=False, low_floor=audio.low_floor) if hum else None
            if on is None:
                on = _snap(audio.raw, start, opts.snap_back_ms, reach, prev_end or 0, low_floor=audio.low_floor)
            if on is not None and on < end:
                ev["snap_start"] = True
                start = on
        ev["reattached"] = False
        # the pause before the line is unclear (no pause found, no onset), or the line before
        # was not found at all: its audio is where a detached first word was put
        unclear = not ev["snap_start"] and ev["abut_start"]
        lost_before = prev_ev is not None and prev_ev["fit"] < LOST_FIT
        ev["after_lost"] = lost_before
        if (unclear or lost_before) and _reattach_first(words, nph, i0, pace):
            ev["reattached"] = True
            start = words[i0].start
            assert start is not None
        # the first words stand far before the rest of the line, against the line before (no
        # pause found between them): they were laid on that line's last sounds
        ev["reattached_lead"] = ev["abut_start"] and not ev["reattached"] and _reattach_lead(words, nph, i0, pace, ev["abut_end"])
        if ev["reattached_lead"]:
            start = words[i0].start
            assert start is not None
        ev["stray_first"] = not ev["reattached"] and not hum and _stray_first(words, nph, i0, start, pace, ev["snap_start"])
        # a short first word apart from its line, and no onset to say the line starts there
        ev["detached_first"] = not ev["snap_start"] and not hum and _detached_first(words, nph, i0)
        w_end = words[i0].end
        assert w_end is not None
        ev["stretch_start"] = (w_end - start) / _usual_ms(nph[i0], pace)
        if not ev["snap_start"] and ev["stretch_start"] > _trim_limit(ev["abut_start"]):
            # no clear onset to go by and a first word far longer than its phones take at this
            # speaker's pace: it took in what came before it (noise, another voice, an echo)
            cap = int(_usual_ms(nph[i0], pace) * _trim_limit(ev["abut_start"]))
            ev["trim_start"] = w_end - cap - start
            start = w_end - cap
        # the last word stands far after the rest of the line, against the next line's start:
        # it was carried over the pause onto that line's first sound
        ev["reattached_end"] = ev["abut_end"] and _reattach_last(words, nph, i1, pace, start)
        if ev["reattached_end"]:
            end = words[i1].end
            assert end is not None
        # not a closing hum or filler: they fit badly wherever they are, and a pause before
        # them is common ("I think, mm", "might be, um")
        ev["stray_last"] = not _hum(tokens, by_word[(si, i1)]) and norm(words[i1].text) not in FILLERS and _stray_last(words, i1)
        if opts.snap_end_ms:
            off = _snap(audio.raw, end, opts.snap_end_ms, opts.snap_end_back_ms, 10**12 if nxt is None else nxt, offset=True,
                        low_floor=audio.low_floor)  # fmt: skip
            if off is not None and off > start:
                ev["snap_end"] = True
                end = off
        w_start = words[i1].start
        assert w_start is not None
        ev["stretch_end"] = (end - w_start) / _usual_ms(nph[i1], pace)
        if not ev["snap_end"] and ev["stretch_end"] > _trim_limit(ev["abut_end"]):
            cap = int(_usual_ms(nph[i1], pace) * _trim_limit(ev["abut_end"]))
            # (from the trimmed start when that is later: a one-word line trimmed at both
            # edges must not end before it starts)
            new_end = max(w_start, start) + cap
            ev["trim_end"] = max(0, end - new_end)
            end = min(end, new_end)
        words = _clamp(words, start, end)
        last = words[i1]
        assert last.start is not None and last.end is not None
        ev["sliver_end"] = last.end - last.start < SLIVER_MS
        ev["squeezed_first"] = _squeezed(words[i0], nph[i0], pace, hum)
        ev["far_first"] = _far_first(words, i0)
        ev["misfit_first"] = not hum and _misfit(words[i0], nph[i0], pace)
        ev["gap_inside"] = _gap_inside(words)
        ev["squeezed_last"] = len(timed) > 1 and _squeezed(last, nph[i1], pace, phones=SQUEEZED_LAST_PHONES)
        ev["speech_after"] = _speech_after(speech, audio.db, start, end, nxt)
        # an edge word the decoder did not place: the edge stands on the word beside it
        ev["untimed_start"], ev["untimed_end"] = i0 > 0, i1 < len(words) - 1
        # the line before ends on a word that fits badly (:func:`_misfit_last`) and this one
        # starts, with no onset found, within the stretch searched for speech after it: where
        # one line ends and the other begins is not known
        ev["after_misfit"] = (prev_ev is not None and prev_ev["seg"] == si - 1 and _misfit_last(prev_ev)
                              and not ev["snap_start"] and prev_end is not None and start - prev_end <= AFTER_MS)  # fmt: skip
        # the line before is a hum ("Mm") squeezed short, and this one touches it: it took
        # the hum's audio (a held murmur lasts longer)
        ev["after_short_hum"] = (prev_ev is not None and prev_ev["seg"] == si - 1 and prev_ev["hum_line"]
                                 and prev_ev["span_ms"] < SHORT_HUM_MS and ev["abut_start"])  # fmt: skip
        ev["hum_line"], ev["span_ms"] = hum and len(s.words) == 1, end - start
        fit = float(np.mean([w.confidence or 0.0 for w in words])) * len(timed) / len(words)
        prev_ev = ev
        ev.update(fit=fit, z_min=min(zs), z_mean=float(np.mean(zs)), timed=len(timed), pace=pace,
                  n_first=nph[i0], n_last=nph[i1], first_fit=words[i0].confidence, last_fit=words[i1].confidence)  # fmt: skip
        conf = round(_segment_confidence(ev), 3)
        if _FEATURES is not None:
            _FEATURES.append(ev)
        out.append(s.with_times(start, end, words=tuple(words), confidence=conf))
    return _place_events(out, audio, speech)


def _squeezed(w: Word, nphones: int, pace: float, hum: bool = False, phones: int | None = None) -> bool:
    """Whether a word of :data:`SQUEEZED_PHONES` (or ``phones``) or more lasts under :data:`SQUEEZED` of its
    phones at the speaker's ``pace``: the decoder put it on a sliver, where it did not hear
    it. (Shorter words are often said in a few frames: "the" in 70 ms.) A ``hum`` ("Mm")
    counts under :data:`SLIVER_MS`: its quiet onset may lie anywhere before (a telephone
    line at 10 dB: "Mm," on 0 ms, the line 698 ms late at 0.68; no right confident line on
    the sets had one)."""
    assert w.start is not None and w.end is not None
    if hum and w.end - w.start < SLIVER_MS:
        return True
    return nphones >= (phones or SQUEEZED_PHONES) and w.end - w.start < SQUEEZED * nphones * pace * FRAME_MS


def _gaps(words: Sequence[Word]) -> list[int]:
    """The time (ms) between each two placed words that follow each other."""
    found = [(w.start, w.end) for w in words if w.confidence and w.start is not None and w.end is not None]
    return [b[0] - a[1] for a, b in zip(found, found[1:], strict=False)]


def _far_first(words: Sequence[Word], i0: int) -> bool:
    """Whether one of the first two words stands :data:`FAR_FIRST_MS` or more before the
    word after it."""
    return any(g >= FAR_FIRST_MS for g in _gaps(words[i0:])[:2])


def _misfit(w: Word, nphones: int, pace: float) -> bool:
    """Whether a word fits far worse than the run's words (under :data:`MISFIT_FIT`) while
    holding at least :data:`MISFIT_LENGTH` of its phones' length at the speaker's ``pace``:
    it took audio that is not its own (a filler the text left out, a word nobody said).
    Shorter misfits are words the decoder squeezed in where it did not hear them ("For" in
    70 ms, a name read by rule on 8 ms), next to an edge that is right."""
    assert w.start is not None and w.end is not None and w.confidence is not None
    return w.confidence < MISFIT_FIT and w.end - w.start >= MISFIT_LENGTH * nphones * pace * FRAME_MS


def _gap_inside(words: Sequence[Word]) -> int:
    """The longest time (ms) between two placed words of a line that follow each other."""
    return max(_gaps(words), default=0)


def _speech_after(speech: np.ndarray, db: np.ndarray, start: int, end: int, nxt: int | None) -> int:
    """Speech (ms, by the energy gate) in the :data:`AFTER_MS` after a line's ``end``, up to the
    next line's start ``nxt``, when it is as loud as words (its 90th percentile level at least
    :data:`LOUD_AFTER_DB` over the line's median): audio no line's words took. 0 when it is
    quieter: a real speaker's breath after a line is speech to the gate, 3-7 dB under the
    line's median (the sample's three confident lines), a word left out 7-9 dB over it."""
    a = end // FRAME_MS
    b = min(a + AFTER_MS // FRAME_MS, len(speech), len(db), (nxt // FRAME_MS) if nxt is not None else len(speech))
    line = db[start // FRAME_MS : a]
    if b <= a or not line.size or np.percentile(db[a:b], 90) < np.median(line) + LOUD_AFTER_DB:
        return 0
    return int(speech[a:b].sum()) * FRAME_MS


def _onset_reach(timed: Sequence[Word], start: int, cap: int) -> int:
    """How far (ms) a line's start in quiet may move forward to an energy onset: up to the end
    of its first word ``timed[0]`` (a swallowed pause can make it long: the onset may lie
    anywhere in it), or of the second when the first stands 50 ms or more apart (a short
    first word put at the end of the pause before it and the pause moved after it), at most
    ``cap``. Never past that: a word the decoder heard is not dropped because the energy gate
    missed it (a weak "They" under noise). With a 300 ms reach at least, 17 lines' first words
    were swallowed on the degraded sets: 10 of them started 126-351 ms late, one (babble)
    552 ms early at confidence 0.74."""
    upto = timed[0].end
    if len(timed) > 1 and timed[1].start - timed[0].end >= 50:  # type: ignore[operator]
        upto = timed[1].end
    assert upto is not None
    return max(0, min(cap, upto - start - 20))


#: an inner word lasting more than this many times its usual length took in a pause that held
#: sound (another voice, music): the three segments over 2.0 on the degraded sets,
#: ../shared/data and the espeak hour were all 0.9-2.3 s off at an edge
INNER_STRETCH_LIMIT = 2.0
#: ... and from this many times on it is doubted: on the degraded sets and their fresh draws,
#: 5 of the 27 confident lines over 1.3 were more than 500 ms off (at 1.39-1.68), against 24
#: of all 13,825
INNER_DOUBT = 1.3


def _unstretch(words: list[Word], nph: Sequence[int], i0: int, i1: int, pace: float) -> tuple[list[Word], float]:
    """Give an inner word that lasts far longer than its phones take its usual length back.

    Such a word swallowed a pause filled with sound, and the words on one side of it were
    pushed onto that sound: ahead of it (a late start) or behind it (an early end). Which
    side is not known, so the excess is taken half from each: its neighbours on both sides
    move towards it, and an edge that was off by the whole excess is off by half of it.
    Returns the words and the largest inner stretch (word length over usual length).
    """
    out = list(words)
    worst = 0.0
    for k in range(i0 + 1, i1):
        w = out[k]
        if not w.confidence or not nph[k] or w.start is None or w.end is None:
            continue
        usual = _usual_ms(nph[k], pace)
        stretch = (w.end - w.start) / usual
        worst = max(worst, stretch)
        if stretch <= INNER_STRETCH_LIMIT:
            continue
        half = int(w.end - w.start - usual) // 2
        for j, v in enumerate(out):
            if v.start is None or v.end is None:
                continue
            if j < k:
                out[j] = Word(v.text, v.start + half, v.end + half, v.confidence)
            elif j > k:
                out[j] = Word(v.text, v.start - half, v.end - half, v.confidence)
        out[k] = Word(w.text, w.start + half, w.end - half, w.confidence)
    return out, worst


#: a short first word this far (ms) from the next one, at a line that touches the line before
#: and has no clear onset, was put at the start of the pause before the line (below)
DETACHED_MS = 300
#: a first word this many times its usual length from an onset found at a line touching the
#: one before took in the sound before the line (:func:`_segment_confidence`)
ONSET_STRETCH = 1.0
#: a one-word hum line ("Mm") shorter than this (ms) was squeezed: the line after it, touching
#: it, took its audio (:func:`_segment_confidence`)
SHORT_HUM_MS = 200
#: a line whose words fit this badly was not found (the decoder put it on a sliver of audio)
LOST_FIT = 0.05
#: the first words of a line, up to this many, may be detached together (below) ...
LEAD_WORDS = 3
#: ... when one of them fits this badly: the decoder did not find it where it put it
LEAD_FIT = 0.2


def _lead_gap(words: Sequence[Word], i0: int, min_ms: int) -> tuple[list[int], int] | None:
    """(the placed words from ``i0`` on, m) where the first ``m`` of them (up to
    :data:`LEAD_WORDS`) stand ``min_ms`` or more before the next; None when none do."""
    found = [j for j in range(i0, len(words)) if words[j].confidence and words[j].start is not None]
    for m in range(1, min(LEAD_WORDS, len(found) - 1) + 1):
        a, b = words[found[m - 1]], words[found[m]]
        assert a.end is not None and b.start is not None
        if b.start - a.end >= min_ms:
            return found, m
    return None


def _reattach_first(words: list[Word], nph: Sequence[int], i0: int, pace: float) -> bool:
    """Move the first words of a line that sit apart from the rest of it back against the
    next word (in place; True when they moved).

    With noise, music or an echo in the pause before a line, the decoder sometimes puts a
    short first word ("I", "So") at the start of that pause, against the line before, and
    leaves the pause after it. On the degraded sets and the clean espeak hour, every such
    word (3 phones or fewer, 300 ms or more before the next word, no pause found before it)
    was 360-2000 ms early; none was right. So was every one after a line the decoder did not
    find (an "Mm" whose audio the word took: 0.8-1.4 s early, at confidence 0.63-0.89).

    Two or three first words go the same way when one of them fits at 0.2 or worse: the
    decoder laid them on what came before (the tail of a name it had no good reading for,
    babble), e.g. "And he" 1.8 s before "is also very well known". In the same sets all seven
    such groups were 0.6-1.8 s early; the three groups that fitted well were right (within
    210 ms) and stay. Each word keeps its length, up to its usual length.
    """
    gap = _lead_gap(words, i0, DETACHED_MS)
    if gap is None:
        return False
    found, m = gap
    lead = range(i0, found[m])
    if m == 1 and not 0 < nph[i0] <= 3:
        return False
    if m > 1 and min(words[j].confidence or 0.0 for j in found[:m]) > LEAD_FIT:
        return False
    _lay_before(words, nph, lead, found[m], pace, cap_unplaced=True)
    return True


def _reattach_lead(words: list[Word], nph: Sequence[int], i0: int, pace: float, abut_end: bool) -> bool:
    """Move the first words of a line (up to :data:`LEAD_WORDS`) that stand :data:`GAP_INSIDE_MS`
    or more before the rest of it forward against the next word (in place; True when they
    moved). Called where the line touches the line before (no pause was found between them).

    :func:`_reattach_first` at a gap too long for its bounds (it moves words 300 ms or more
    apart only when one word of three phones or fewer, or words that fit at 0.2 or worse):
    an edited Harvard sentence's "Watch" or "His shirt was", babble's "I really enjoy",
    laid on the end of the line before and 1.5-3.4 s from their own line. On the degraded
    sets, of 16 such lines touching the line before, moved, 9 came closer (eight from 1.7-3.4 s
    early to within 500 ms, one under a 2 s echo from 868 ms early to 722 ms late), 6 kept
    their times (set by a fallback) and one went further off: a line whose last word stood
    after the same gap against the next line, and was the wrong one (:func:`_reattach_last`).
    So where the words after the gap are the last word alone and it touches the next line,
    the side that fits worse moves. Lines that do not touch the line before stay: on a
    conference call the first words really are said before another voice's turn ends
    (moved, lines 73-105 ms off would have been 4.1-7.1 s off).
    """
    gap = _lead_gap(words, i0, GAP_INSIDE_MS)
    if gap is None:
        return False
    found, m = gap
    lead_fit = min(words[j].confidence or 0.0 for j in found[:m])
    if len(found) == m + 1 and abut_end and lead_fit >= (words[found[m]].confidence or 0.0):
        return False  # the last word is the one to move
    _lay_before(words, nph, range(i0, found[m]), found[m], pace, cap_unplaced=False)
    return True


def _lay_before(words: list[Word], nph: Sequence[int], lead: range, nxt: int, pace: float, cap_unplaced: bool) -> None:
    """Lay the words of ``lead`` end to end against the start of ``words[nxt]`` (in place),
    each keeping its length up to its usual length. ``cap_unplaced`` False: a word the
    decoder did not place (no phones; filled in between its neighbours) keeps its whole
    length (:func:`_reattach_lead` does; :func:`_reattach_first` caps it)."""
    at = words[nxt].start
    assert at is not None
    for j in reversed(lead):
        w = words[j]
        if w.start is None or w.end is None:
            continue
        d = min(w.end - w.start, int(_usual_ms(nph[j], pace))) if nph[j] or cap_unplaced else w.end - w.start
        words[j] = Word(w.text, at - d, at, w.confidence)
        at -= d


def _reattach_last(words: list[Word], nph: Sequence[int], i1: int, pace: float, start: int) -> bool:
    """Move a line's last word back against the word before it when :data:`GAP_INSIDE_MS` or
    more lies between them (in place; True when it moved). Called where the word touches the
    next line's start (no pause was found between them).

    The mirror of :func:`_reattach_first`, far narrower. Under an echo, noise or babble the
    decoder sometimes gives a line's last word's audio to the word before it ("was" on
    "gone") and carries the last word over the pause after the line, onto the next line's
    first sound. On the 21 degraded sets the move takes seven ends 2.0-2.3 s off to 60-641 ms
    (three Harvard sentences with 2 s pauses, "gone" on the next "The", 2.0-2.1 s late to
    60-220 ms). One more line had it the other way round (babble: its first words on another
    voice, its last word right); there the first words fit worse, and :func:`_reattach_lead`
    moves them instead. Nearer than 1.5 s the move was right about as often as wrong (a
    reverberant espeak line ended 226 ms late before it, 574 ms early after it), and a far
    last word that does not touch the next line stays too: on a conference call a speaker
    really does wait out another voice (moved, a line 105 ms off would be 5.3 s off). The
    word keeps its length, up to its usual length. Not when the line's ``start`` is past the
    word before (an onset found beyond it): the line is the last word alone.
    """
    prev = next((j for j in range(i1 - 1, -1, -1) if words[j].confidence and words[j].end is not None), None)
    w = words[i1]
    if prev is None or not w.confidence or w.start is None or w.end is None:
        return False
    at = words[prev].end
    assert at is not None
    if at <= start or w.start - at < GAP_INSIDE_MS:
        return False
    d = min(w.end - w.start, int(_usual_ms(nph[i1], pace)))  # placed: it has phones
    words[i1] = Word(w.text, at, at + d, w.confidence)
    return True


def _stray_first(words: Sequence[Word], nph: Sequence[int], i0: int, start: int, pace: float, snapped: bool) -> bool:
    """Whether the first word sits :data:`DETACHED_MS` or more before the next one and fits at
    :data:`LEAD_FIT` or worse, at a line whose start is clear (nothing moved it): either it is
    misplaced or the speaker paused after it, and which is not known. A breathy voice's "The"
    (0.15) put on a sound 1.2 s before "node" (a line 990 ms early at 0.53); the MFA speaker's
    "and" (0.09 under noise) really was 1.1 s before "here's". Three of the espeak 8 hours'
    confident wrong lines were of this kind, and no right confident line. Not when an onset was found
    past the word and close enough before the next word for the word to fit between them:
    then the line already starts after it (the clean 10 minutes' "It is the Chinese...")."""
    w = words[i0]
    nxt = next((v for v in words[i0 + 1 :] if v.confidence and v.start is not None), None)
    if nxt is None or nxt.start is None or w.end is None or not w.confidence or w.confidence > LEAD_FIT:
        return False
    if nxt.start - w.end < DETACHED_MS:
        return False
    return not (snapped and w.end <= start and nxt.start - start <= _usual_ms(nph[i0], pace))


def _detached_first(words: Sequence[Word], nph: Sequence[int], i0: int) -> bool:
    """Whether the first word, of three phones or fewer, stands :data:`DETACHED_MS` or more
    before the next placed word. Called where no onset was found for the line (music or
    noise before it): the decoder may have put the word on that sound. Where the line
    touches the one before, :func:`_reattach_first` has moved such a word already; here the
    line does not, and which is right is not known ("And" on music 310 and 550 ms before
    "the AI efforts here", the line 571 and 1211 ms early at 0.85 and 0.73, but the MFA
    speaker's "and" before a pause was right), so the start is doubted, not moved."""
    w = words[i0]
    if not w.confidence or not 0 < nph[i0] <= 3:
        return False
    gaps = _gaps(words[i0:])
    return bool(gaps) and gaps[0] >= DETACHED_MS


def _stray_last(words: Sequence[Word], i1: int) -> bool:
    """Whether the last word stands :data:`DETACHED_MS` or more after the word before it and
    fits at :data:`LEAD_FIT` or worse (the mirror of :func:`_stray_first`): an edited
    Harvard sentence's "ear." on 60 ms at 0.003, 1.3 s after "pierced", which had taken the
    real "ear": the line 1370 ms late at 0.71."""
    w = words[i1]
    if not w.confidence or w.confidence > LEAD_FIT:
        return False
    gaps = _gaps(words[: i1 + 1])
    return bool(gaps) and gaps[-1] >= DETACHED_MS


def _hum(tokens: Sequence[Token], placed: Sequence[tuple[int, _Placed]]) -> bool:
    """Whether the word whose placed tokens are ``placed`` ((token index, placement) pairs) is a hum."""
    return tokens[min(ti for ti, _ in placed)].hum


def _trim_limit(abut: bool) -> float:
    """How many times its usual length an edge word may last before its outer part is cut
    (when no energy edge was found): 1.5 where it touches the next line, else 2. Real
    speakers draw words out (hesitation, emphasis) far more than espeak does: at 1.0/1.3 the
    cut moved two of the MFA recording's three segments 220 ms off their truth."""
    return 1.5 if abut else 2.0


def _usual_ms(nphones: int, pace: float) -> float:
    """The longest a word of ``nphones`` phones usually lasts at this speaker's ``pace``
    (frames a phone), in ms: on the espeak benchmark (pace 7.9) 99% of words of 2-6 phones
    are shorter, and only held "mm"s of one phone longer."""
    return (3 + 1.5 * nphones) * pace * FRAME_MS


def _ramp(x: float, good: float, bad: float, low: float = 0.45) -> float:
    """1 up to ``good``, ``low`` from ``bad`` on, linear between."""
    if x <= good:
        return 1.0
    if x >= bad:
        return low
    return 1.0 - (1.0 - low) * (x - good) / (bad - good)


#: a start touching a line that was not found (below)
AFTER_LOST_FACTOR = 0.7
#: a last word left shorter than this (ms; the decoder's shortest phone is 3 frames) was not
#: heard where it was put: the line's end is not known (below)
SLIVER_MS = 30
#: a first word of this many phones or more, shorter than this share of its phones at the
#: speaker's pace, was squeezed onto a sliver (below)
SQUEEZED_PHONES = 4
SQUEEZED = 0.35
#: the same for a last word, from three phones: "fudge." on 70 ms, its line's end 1350 ms
#: early at 0.85 (an edited Harvard list); 4 of some 9700 right confident lines had one
SQUEEZED_LAST_PHONES = 3
#: a first word this far (ms) before the next one stands apart from its line
FAR_FIRST_MS = 600
#: how far after a line's end (ms) speech no line took is looked for, and how much of it
#: makes the end doubtful
AFTER_MS = 600
SPEECH_AFTER_MS = 400
LOUD_AFTER_DB = 6.0
#: a first word fitting worse than this, and at least this share of its phones' usual
#: length, sits on audio not its own (:func:`_misfit`)
MISFIT_FIT = 0.2
MISFIT_LENGTH = 0.5
#: a last word fitting worse than this is doubted when it also lasts :data:`LAST_MISFIT_LENGTH`
#: of its phones' usual length, or is followed by :data:`LAST_MISFIT_AFTER_MS` of speech no
#: line took (:func:`_misfit_last`)
LAST_MISFIT_FIT = 0.3
LAST_MISFIT_LENGTH = 1.0
LAST_MISFIT_AFTER_MS = 150
#: a line with this long (ms) between two of its words may have one side on another line's audio
GAP_INSIDE_MS = 1500
#: an unsure line's side of such a pause that the activity engine's times leave out by more
#: than this (ms) is cut off (:func:`_cut_at_gaps`)
GAP_CUT_MS = 500
#: the least time (ms) a word spread after a cut gets
MIN_WORD_MS = 40
#: a one-word line this many times its usual length at both edges took in sound around it
ONE_STRETCHED = 1.8


def _segment_confidence(ev: dict[str, Any]) -> float:
    """How sure a segment's times are (0-1), from the evidence of its words and edges.

    The fit of its words (their acoustic score against the run's) is lowered by what makes
    an edge uncertain or a block doubtful, each down to a factor of 0.45, so that one
    doubt takes a well-fitting segment below 0.5:

    - an edge without a clear energy onset/offset that touches the neighbouring line (no
      pause was found between them), or whose word is longer than words of its phones
      usually are at this speaker's pace (it took in noise, another voice, an echo);
    - a block in which speech was left uncovered by any word (10-25% of its speech: blocks
      the decoder lost measured 19-42%; right ones on espeak under 5%, but up to 17% on real
      recordings, whose breaths, noises and untranscribed "uh"s are speech to the energy gate);
    - a block whose first decoding looked wrong and was decoded again with wide beams
      (factor 0.8: the retry is usually right, but wrong more often than a clean block), or
      with words left out (:data:`SKIP_FACTOR`: text the audio lacks lies near it, and the
      chain may have reached the block late: "This morning we are in New York", after an
      inserted "Before" pushed the line before it, 1.9 s late at 0.52 with wide beams alone);
    - an inner word far longer than its phones take (:data:`INNER_DOUBT` to 2 times its usual
      length): it swallowed a pause that held sound, and one side of the line is off by the
      excess (an edited line's end laid on the next line's speech, 1.2 s late at 0.58 with the
      doubt from 1.5 on; a word under music, 1.5 s late at 0.51);
    - a start after a line the decoder did not find (:data:`LOST_FIT`) whose first words
      were moved (:func:`_reattach_first`): they had taken some of the lost line's audio and
      kept it. On the degraded sets and the espeak 8 hours all 9 such confident starts were
      150-460 ms off (8 of them early). Factor 0.45;
    - such a start with no pause found before it (factor :data:`AFTER_LOST_FACTOR`): 15 of 16
      were within 35 ms, but one (a voice pitched down) was 1.1 s early at 0.63, so only a
      good fit keeps it confident;
    - a first word far before the rest of its line that fits badly (:func:`_stray_first`);
    - a first word of three phones or fewer :data:`DETACHED_MS` or more before the next, at
      a start with no onset found (:func:`_detached_first`): "And" on music 310 and 550 ms
      before "the AI efforts here", 571 and 1211 ms early at 0.85 and 0.73. Factor 0.45;
    - its mirror at the end, a last word that fits at :data:`LEAD_FIT` or worse
      :data:`DETACHED_MS` or more after the word before it, not a hum or filler
      (:func:`_stray_last`): an edited line's "ear." on 60 ms at 0.003, 1.3 s after the word
      that had taken the spoken "ear", 1370 ms late at 0.71. Factor 0.45 on the end;
    - a start touching a one-word hum line before it ("Mm") that lasts under
      :data:`SHORT_HUM_MS` (``after_short_hum``): the hum was squeezed and this line took its
      audio. Under music, "But then" 988 ms early at 0.53-0.54 (two draws); the 128 other
      confident lines after a hum line, of 200 ms or more or not touching it, were right.
      Factor 0.45;
    - an onset found at a line that touches the one before (no pause found) that makes its
      first word :data:`ONSET_STRETCH` times its usual length or more:
      the onset is the sound before the line's first word, not the word's. Under music and
      babble, "But at that time" 569 ms early at 0.79 and "why people should learn" 1975 ms
      early at 0.50 (a fresh validation draw); of the 30 such lines in all the sets and
      draws, 21 were over 500 ms early and 3 more over 450 (the one other confident line:
      493 ms early, at 0.91). Factor 0.45;
    - a last word squeezed onto a sliver (:data:`SLIVER_MS`), snapped or not: under babble an
      "I think, mm" whose "mm" the decoder did not find ended 784 ms early at 0.75 (the one
      such confident line on the degraded sets, fresh draws and the espeak hour). Factor 0.45;
    - a first or last word the decoder did not place: the edge stands on the word beside it.
      Two of the 2798 confident lines of the four degraded sets had one (the same line, its
      end 323 ms early), and a transcript of a middle stretch aligned in two parts one more
      (537 ms early at 0.57). Factor 0.45;
    - a first word of four phones or more squeezed onto a sliver, or a hum on under 30 ms
      (:func:`_squeezed`): a name read by rule, put on 141 ms, the line 733 ms late at 0.61
      (16 kb/s MP3). Factor 0.45;
    - one of the first two words :data:`FAR_FIRST_MS` or more before the next word
      (:func:`_far_first`): "And I" laid on another voice 630 ms before "think", 869 ms early
      at 0.87 (babble); "The" on music 1.4 s before "barrel". Real speakers do pause there
      (the MFA speaker's "and ... here's"), so the start is doubted, not moved. Factor 0.45;
    - an end with no energy offset found, followed within :data:`AFTER_MS` by
      :data:`SPEECH_AFTER_MS` or more of speech as loud as words that the next line does not
      take (:func:`_speech_after`): the line's last words were left there. A voice slowed to
      0.9 or 0.8 ended "Sichuan, and then" on "and", 530-550 ms early at 0.66-0.70; under
      music at 12 dB a line ended 623 ms early at 0.71. Factor 0.45;
    - a last word of :data:`SQUEEZED_LAST_PHONES` or more phones squeezed onto a sliver
      (:func:`_squeezed`): an edited Harvard sentence's "fudge." on 70 ms, its end 1350 ms
      early at 0.85. Factor 0.45 on the end. (The mirror of :func:`_far_first` at the end
      caught one more wrong end, but it turned lines of a drift unsure before
      :func:`_drifts` looked at them, and the drift kept a line 5.8 s early at 0.68);
    - a first word that fits far worse than the run's words on at least half its usual length
      (:func:`_misfit`), not a hum: a cleaned transcript's "Well," on the "Um" the text left
      out, 527 ms early at 0.52; a word nobody said before a line, 630 ms early at 0.62.
      Factor 0.45;
    - a last word moved back against its line (:func:`_reattach_last`), or first words moved
      forward to it (:func:`_reattach_lead`): moved, not found. Factor 0.45 on that edge;
    - a last word that fits badly (:func:`_misfit_last`): an edited transcript's line whose
      audio goes on with words the text lacks ends on a word stretched over them ("Be taking
      the", "the" on 649 ms, 539 ms late at 0.57), or one whose last word the audio lacks
      puts it short of the speech that follows ("Is young Xie Saining", 979 ms early at
      0.55). Of the 10,582 confident lines of the 21 degraded sets and ``../shared/data``
      it took these two wrong ones and one right one (301 ms off). Factor 0.45 on the end;
    - a start with no onset found within :data:`AFTER_MS` of such an end (``after_misfit``):
      where one line ends and the next begins is not known. The line after "Saining" began
      on its tail, 859 ms early at 0.51, the one confident line it took. Factor 0.45;
    - :data:`GAP_INSIDE_MS` or more between two words of the line, or a one-word line
      :data:`ONE_STRETCHED` times its usual length at both edges: one side may lie on another
      line's audio, and which one is not known (an inserted word pushed a line's last words
      2.3 s on, its end 3.7 s late at 0.75; "Why" under babble, 538 ms early at 0.77). The
      whole line takes a factor 0.45.

    Calibrated on ``scripts/make_degraded.py``'s set, ``../shared/data`` and the espeak
    benchmark so that segments at 0.5 or above are within 500 ms of the truth in 99% of
    cases or more on each (docs/accuracy.md has the figures).
    """
    def edge(snapped: bool, abut: bool, stretch: float) -> float:
        if snapped:
            return 1.0  # an energy edge was found where the decoder put it
        return (0.45 if abut else 1.0) * _ramp(stretch, 0.8, 1.2)

    doubt = 1.0  # the start's own doubts, beyond its edge
    # an onset found where the decoder left no pause before the line, that makes the first
    # word longer than its phones take: it belongs to the sound before the line
    stretched_onset = ev["snap_start"] and ev["abut_start"] and ev["stretch_start"] >= ONSET_STRETCH
    if ev.get("after_lost"):
        doubt = 0.45 if ev["reattached"] else AFTER_LOST_FACTOR if ev["abut_start"] else 1.0
    if (ev.get("reattached_lead") or ev.get("stray_first") or ev.get("detached_first") or ev.get("untimed_start") or ev.get("squeezed_first") or ev.get("far_first")
            or ev.get("misfit_first") or ev.get("after_misfit") or ev.get("after_short_hum") or stretched_onset):  # fmt: skip
        doubt *= 0.45
    # the end's own doubt, beyond its edge
    end_doubt = 0.45 if ev.get("reattached_end") or ev.get("stray_last") or ev.get("sliver_end") or ev.get("untimed_end") or ev.get("squeezed_last") or _misfit_last(ev) else 1.0
    if not ev["snap_end"] and ev.get("speech_after", 0) >= SPEECH_AFTER_MS:
        end_doubt = 0.45
    e = min(edge(ev["snap_start"], ev["abut_start"], ev["stretch_start"]) * doubt,
            edge(ev["snap_end"], ev["abut_end"], ev["stretch_end"]) * end_doubt)  # fmt: skip
    retried = (WIDE_FACTOR if ev.get("wide") else 1.0) * (SKIP_FACTOR if ev.get("skips") else 1.0)
    inner = _ramp(float(ev.get("inner_stretch", 0.0)), INNER_DOUBT, INNER_STRETCH_LIMIT)
    # which side is off is not known: the whole line is doubted
    one_stretched = ev.get("timed") == 1 and min(ev["stretch_start"], ev["stretch_end"]) >= ONE_STRETCHED
    whole = 0.45 if ev.get("gap_inside", 0) >= GAP_INSIDE_MS or one_stretched else 1.0
    return float(ev["fit"]) * e * _ramp(float(ev["uncovered"]), 0.10, 0.25) * retried * inner * whole


def _misfit_last(ev: dict[str, Any]) -> bool:
    """A last word fitting under :data:`LAST_MISFIT_FIT` that lasts :data:`LAST_MISFIT_LENGTH`
    of its usual length or more (it took in words the text lacks: a short word that fits
    badly is common, 215 right confident lines had one at half its length), or that ends
    without an offset before :data:`LAST_MISFIT_AFTER_MS` of speech no line took (the word
    itself lies there)."""
    fit = ev.get("last_fit")
    if fit is None or fit >= LAST_MISFIT_FIT:
        return False
    return bool(ev["stretch_end"] >= LAST_MISFIT_LENGTH
                or (not ev["snap_end"] and ev.get("speech_after", 0) >= LAST_MISFIT_AFTER_MS))  # fmt: skip


def _fill_words(words: list[Word]) -> list[Word]:
    """Unplaced words inside a placed stretch get times between their neighbours (confidence 0)."""
    out = list(words)
    n = len(out)
    i = 0
    while i < n:
        if out[i].start is not None:
            i += 1
            continue
        j = i
        while j < n and out[j].start is None:
            j += 1
        left = out[i - 1].end if i > 0 else None
        right = out[j].start if j < n else None
        if left is not None and right is not None and right >= left:
            span = right - left
            for k in range(i, j):
                a = left + span * (k - i) // (j - i)
                b = left + span * (k - i + 1) // (j - i)
                out[k] = Word(out[k].text, a, b, 0.0)
        i = j
    return out


def _clamp(words: list[Word], start: int, end: int) -> list[Word]:
    out = []
    for w in words:
        if w.start is None or w.end is None:
            out.append(w)
            continue
        a = min(max(w.start, start), end)
        b = min(max(w.end, a), end)
        out.append(Word(w.text, a, b, w.confidence))
    if out and out[0].start is not None and out[0].start != start:
        out[0] = Word(out[0].text, start, max(start, out[0].end or start), out[0].confidence)
    # words squeezed to nothing at the front by a later start share the span up to the next word
    k = 0
    while k < len(out) and out[k].start == start and out[k].end == start:
        k += 1
    if 0 < k < len(out) and out[k].start is not None:
        nxt = out[k].start
        assert nxt is not None
        if nxt > start:
            for i in range(k):
                w = out[i]
                out[i] = Word(w.text, start + (nxt - start) * i // k, start + (nxt - start) * (i + 1) // k, w.confidence)
    return out


def _place_events(segs: list[Segment], audio: _Audio, speech: np.ndarray) -> list[Segment]:
    """Lines with no placed word, and non-speech events ([laughter]), between their neighbours.

    A spoken line the decoder did not place, between placed neighbours whose gap holds
    speech enough for it (at least :data:`MIN_GAP_SPEECH_MS` a line) and is not much longer
    than the line takes to say (:data:`GAP_SLACK`), shares that gap with the other such
    lines there (by length; confidence 0: a guess, not a find). A gap without that speech
    means the media does not hold the text, a long one that it could be anywhere in it, and
    before the first or past the last placed line, nowhere: the line stays unplaced (no times). An event takes the
    gap between its neighbours when there is one. Never a zero-length point.
    """
    out = list(segs)
    dur = len(audio.db) * FRAME_MS
    cum = np.concatenate([[0], np.cumsum(speech)])
    i = 0
    n = len(out)
    while i < n:
        if out[i].placed:
            i += 1
            continue
        j = i
        while j < n and not out[j].placed:
            j += 1
        left = out[i - 1].end if i > 0 else None
        right = out[j].start if j < n else None
        run = range(i, j)
        spoken = [k for k in run if out[k].spoken]
        lo_f = (left or 0) // FRAME_MS
        hi_f = (right if right is not None else dur) // FRAME_MS
        gap_speech = int(cum[min(len(speech), max(lo_f, hi_f))] - cum[min(len(speech), lo_f)]) * FRAME_MS
        need = sum(_say_ms(out[k]) for k in spoken)
        tight = left is not None and right is not None and right - left <= GAP_SLACK * need + 1000
        if left is not None and right is not None and right > left and spoken and tight and gap_speech >= MIN_GAP_SPEECH_MS * len(spoken):
            # the gap's time is shared by spoken length; events get no share of it
            weights = [len(out[k].spoken_text) + 10 for k in spoken]
            total = sum(weights)
            t = left
            for k, wt in zip(spoken, weights, strict=True):
                b = t + (right - left) * wt // total
                out[k] = out[k].with_times(t, max(t + 1, b), confidence=0.0, words=_spread(out[k].words, t, max(t + 1, b)))
                t = b
        for k in run:
            s = out[k]
            if s.placed:
                continue
            if s.spoken:
                out[k] = s.with_times(None, None, confidence=0.0, words=tuple(Word(w.text) for w in s.words))
            elif left is not None and right is not None and right > left:
                out[k] = s.with_times(left, right, confidence=0.0)
            else:
                out[k] = s.with_times(None, None, confidence=None)
        i = j
    return out


def _spread(words: Sequence[Word], start: int, end: int) -> tuple[Word, ...]:
    """Words laid evenly over [start, end] by length (confidence 0: not found)."""
    weights = [len(w.text) + 1 for w in words]
    total = max(1, sum(weights))
    out, acc = [], 0
    for w, wt in zip(words, weights, strict=True):
        a = start + (end - start) * acc // total
        acc += wt
        out.append(Word(w.text, a, start + (end - start) * acc // total, 0.0))
    return tuple(out)


def quick_match(request: AlignRequest, opts: SpeechOptions | None = None) -> probemod.Probe:
    """Whether the media's speech is this transcript, cheaply (for ``--engine auto``): three
    samples of 15 s (at a sixth, half and five sixths of the media; the whole file when
    short) recognised against the whole transcript. ~3 s whatever the length."""
    from ...media import decode_audio

    assert request.media is not None
    opts = opts or SpeechOptions.from_mapping(request.options)
    lex = Lexicon()
    tokens = tokenize(request.transcript.segments, lex)
    words = [t.word for t in tokens]
    if not words:
        return probemod.Probe((), 0, 0, 0, 0)
    extra = _extra_words(lex)
    dur = request.media.duration
    span = 15_000
    starts = [0] if dur <= 3 * span else [dur // 6 - span // 2, dur // 2 - span // 2, 5 * dur // 6 - span // 2]
    with temporary_dir("clipper-match-") as tmp:
        rec = Recogniser(_decoder(extra, opts), words, os.path.join(tmp, "match"))
        hyps, windows = [], []
        for a in starts:
            x = decode_audio(request.media, start=max(0, a), duration=dur if dur <= 3 * span else span)
            hyps.append([(w, s - PAD_FRAMES, e - PAD_FRAMES) for w, s, e in rec(_padded(x, opts.dither, a))])
            windows.append((max(0, a) // FRAME_MS, (max(0, a) + len(x) * 1000 // SAMPLE_RATE) // FRAME_MS))
    return probemod.probe(hyps, windows, words)
