"""Align a transcript to English speech with the acoustic model inside pocketsphinx.

Long audio is never decoded in one piece (pocketsphinx's time grows faster than the
audio, and a single mismatch derails the rest). Instead:

1. the audio is streamed once from ffmpeg into a temporary raw file while 10 ms frame
   energies are kept (memory flat in media length); the ``activity`` engine's times give
   every word an expected start (the *prior*: cheap, from speech activity and lengths);
2. the timeline is cut into parts, one a worker, at the quietest spot near equal shares;
   each part enters the text near the prior's word for its first audio;
3. each worker walks its part in blocks of ~30 s. A block is decoded with a finite-state
   grammar over the next words of the transcript: the entry is the next unplaced word (or,
   at a cost per line, a line start a few lines ahead or behind), the exit is free (the
   audio decides how many words it holds). Only the words before the last pause well
   inside the block are committed; the next block starts there, so every block boundary
   falls in a pause between confirmed words;
4. where text and audio part (a paragraph nobody speaks, speech the text lacks, a chain
   that lost its place), the words fit badly: their acoustic score per frame falls far
   below the run's typical score. A block's well-fitting start is committed and the rest
   left to the next block; a block that fits badly from its start is *relocated*: the
   badly fitting words before it are taken back, the audio is recognised with a bigram
   language model of the text ahead (built on the spot from the transcript: recognition
   biased to it, nothing downloaded), and the first run of five recognised words in the
   text's order says where the audio is. Text before that place is forced onto the audio
   before it and kept only if it fits (else it stays unplaced: not spoken); the walk
   resumes at the located line and keeps what the recogniser confirms. Nothing located
   means speech the text lacks: part of it is skipped and the text waits. Relocations
   only move forward, so the walk ends;
5. parts are chained: where a part's entry disagrees with its predecessor's last
   committed word, the junction is decoded again from the confirmed point;
6. segment starts move to the nearest energy onset (a swallowed pause pulls them early)
   and ends to the nearest offset within a short reach, only where the local floor and
   speech level are far enough apart to trust energy; otherwise the decoder's edges stand.
   Unknown words get spelled and letter-to-sound readings (``lexicon``).

Before any of this, the transcript is checked against the audio (``probe``): a 10 s
sample every 4 minutes (and one where each part starts) is recognised with a bigram of the
whole transcript, and runs of four or more recognised words in the text's order become
*anchors* (time, word). When fewer than 8% of the words recognition heard belong to such
runs, the transcript is not this recording's (measured: matching transcripts 16-93%,
others 0-3.4%) and the run is refused with ``MismatchError`` unless ``--force`` (then every
confidence is capped at 0.1). Text before the first anchor or after the last that the audio
around them cannot hold is left unplaced (a whole series' transcript on one episode), and
parts enter the text at the anchor nearest their start.

Every block is checked by evidence that does not assume the run is mostly right: the share
of the block's speech frames no decoded word covers, and whether it holds about as many
words as its speech should. A suspect block is decoded again with wide beams (the default
beams prune the right path on degraded audio and the decoder then returns a partial path
instead of failing); the better decoding wins. Clean audio rarely pays for it. A further
retry with a garbage loop at line starts is an option (``doubt_uncovered``), off by default.

Options (``-O key=value``) add line skipping (``skip_segments``) and a garbage phone loop
(``garbage_logp``) at line starts inside every block; both are off by default (they cost
time and, measured on the benchmarks, accuracy on clean transcripts: relocation handles
mismatches where they happen).

Words get a confidence from their acoustic score per frame against the run's typical
score; segments from their words, lowered for every doubt about an edge or a block
(``_segment_confidence``), calibrated so that 0.5 or more means within 500 ms of the truth
in 99% of cases. A line no word of which was placed gets the gap between its neighbours
(confidence 0) only when the gap holds speech enough for it and is not much longer than the
line takes to say; otherwise it is ``placed: false`` (not in this media) with no times.
"""

from __future__ import annotations

import logging
import math
import multiprocessing as mp
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..errors import InputError, MismatchError
from ..media import SAMPLE_RATE, iter_audio
from ..model import Alignment, MediaInfo, Segment, Word
from . import FORCED_CONFIDENCE, AlignRequest
from . import probe as probemod
from .lexicon import Lexicon
from .sphinx import FRAME_MS, GARBAGE_PHONES, LOG_BASE, WIDE_BEAM, Recogniser, forced_decoder

__all__ = ["run", "Token", "tokenize", "SpeechOptions"]

log = logging.getLogger(__name__)

SAMPLES_PER_FRAME = SAMPLE_RATE * FRAME_MS // 1000
PAD_FRAMES = 30
#: least spread between the local noise floor and speech level for energy edges to be trusted
MIN_SNR_DB = 18.0
#: an onset needs this much quiet before it (and an offset after it)
QUIET_MS = 60
#: an end this deep in quiet moves back to the offset before it, however far (up to 300 ms)
LONG_QUIET_MS = 100
#: a line the decoder did not place is put in the gap between its placed neighbours only
#: when the gap holds at least this much speech for each such line (else: not in the media)
MIN_GAP_SPEECH_MS = 300
#: the most dictionary words a second of audio holds (a very fast speaker without pauses):
#: text beyond what the audio around the anchors can hold at this rate is not in the media
COVER_TOKENS_PER_S = 6.0
#: a line not found is put in a gap only when the gap is at most this many times the time its
#: text takes to say (~60 ms a character) plus a second: elsewhere in a long gap it could be anywhere
GAP_SLACK = 2.0
#: an unsure line (confidence under 0.5) whose start or end lies further than this from the
#: activity engine's takes the activity engine's times (``_fall_back``)
FALLBACK_MS = 4_000
#: confidence factor for a segment from a block decoded again with wide beams (see
#: ``_segment_confidence``): measured, 3% of such blocks' segments were >500 ms off, 0.4% of the others
WIDE_FACTOR = 0.8


@dataclass(frozen=True, slots=True)
class SpeechOptions:
    """Tuning knobs (``request.options`` keys of the same names override them)."""

    block_ms: int = 30_000  # target block length
    commit_margin_ms: int = 4_000  # words ending this close to a block's end wait for the next block
    exit_slack: float = 0.6  # extra words beyond the estimate, as a share of it
    exit_slack_min: int = 25
    resync_lines: int = 0  # a block may enter the text this many lines ahead of or behind the chain
    # (off: on degraded audio the decoder took such a jump whenever beams pruned the right
    # path; relocation and the probe's anchors handle text and audio that part)
    resync_logp: float = -5.0  # log-probability per line of a jump ahead (unspoken text)
    resync_back_logp: float = -5.0  # ... and of a jump back (speech the text lacks)
    relocate_low_share: float = 0.5  # a block with more badly fitting words than this may be misplaced:
    relocate_ahead: int = 80  # ... its words are recognised against the text up to this many lines ahead
    relocate_run: int = 5  # ... and the first run of this many in the text's order says where it is
    relocate_garbage_logp: float = -5.0  # text before that place may follow untranscribed speech at this cost
    bad_run: int = 5  # this many badly fitting words in a row end a block's commit
    rewind_ms: int = 60_000  # badly fitting words up to this far back are taken back first
    skip_segments: int = 0  # how many lines ahead an unspoken passage may be skipped (0: never)
    skip_logp: float = -60.0  # log-probability of a skip (natural log) ...
    skip_line_logp: float = 0.0  # ... plus this for every line skipped
    garbage_logp: float = 0.0  # log-probability of entering the garbage loop at a line start (0: none)
    garbage_phone_logp: float = -20.0  # log-probability of each garbage phone
    snap_start_ms: int = 300  # a start in quiet moves forward to an onset within this
    snap_back_ms: int = 0  # a start inside loud audio moves back to its onset within this
    snap_end_ms: int = 100  # an end inside loud audio extends to its offset within this (0: ends left alone)
    snap_end_back_ms: int = 40  # an end in quiet moves back to the previous offset within this
    beam: float = 1e-48
    wbeam: float = 7e-29
    pbeam: float = 1e-48
    dither: int = 3  # std of the added noise floor, in int16 steps (digital silence gives no result)
    prior: bool = True  # run the activity engine first and use its times to keep the chain on track
    prior_always: bool = False  # every block may also enter at the prior's word (else only relocations look there)
    prior_max_ms: int = 4_000  # ... when the chain's next word is this far off the prior's
    prior_window: int = 8  # ... within this many tokens either side of it (the audio decides)
    probe_every_ms: int = 240_000  # recognise a sample of the audio this often (and where each part starts) ...
    probe_ms: int = 10_000  # ... this long, against the whole transcript: anchors
    min_match_share: float = 0.08  # refuse when less of what recognition hears is in the transcript ...
    min_probe_words: int = 20  # ... once it heard at least this many words
    wide_retry: bool = True  # decode a block that looks wrong again with wide beams
    suspect_uncovered: float = 0.10  # a block looks wrong when more of its speech is covered by no word ...
    suspect_ratio: float = 0.7  # ... or it holds fewer words than this share of what its speech should hold
    # a block with more speech than this uncovered is decoded again with a garbage loop at line
    # starts (and wide beams if it needed them). Off (1.0) by default: measured on the degraded
    # set, it cut babble at 5 dB from 2.3 s to 0.4 s at most, but cost 10-20x the time on
    # blocks of mismatched text and misplaced a paragraph of untranscribed speech by 3.9 s
    doubt_uncovered: float = 1.0
    retry_garbage_logp: float = -5.0  # ... the loop's cost

    @classmethod
    def from_mapping(cls, m: Any) -> SpeechOptions:
        known = {k: m[k] for k in cls.__dataclass_fields__ if m and k in m}
        for k in ("prior", "prior_always", "wide_retry"):
            if isinstance(known.get(k), str):
                known[k] = known[k].strip().lower() not in ("0", "false", "no", "off")
        return cls(**known)


#: the ``--option`` settings this engine reads, and their types: SpeechOptions' fields
OPTIONS: dict[str, tuple[type, ...]] = {k: (type(f.default),) for k, f in SpeechOptions.__dataclass_fields__.items()}


@dataclass(frozen=True, slots=True)
class Token:
    """One dictionary word to be spoken, and the transcript word it belongs to."""

    word: str  # dictionary key
    seg: int  # segment index
    idx: int  # word index within the segment
    nphones: int


def tokenize(segments: Sequence[Segment], lex: Lexicon) -> list[Token]:
    """Dictionary tokens for every spoken word, in order (numbers become several)."""
    out: list[Token] = []
    for si, seg in enumerate(segments):
        for wi, w in enumerate(seg.words):
            for word, phones in lex.pronounce(w.text):
                p = phones or lex.words.get(word, "AH")
                out.append(Token(word, si, wi, max(1, len(p.split()))))
    return out


# ---------------------------------------------------------------- audio pass


@dataclass(frozen=True, slots=True)
class _Audio:
    raw: str  # path of the int16 raw file
    nsamples: int
    db: np.ndarray  # 10 ms frame energy, dBFS


def _frame_db(x: np.ndarray) -> np.ndarray:
    n = len(x) // SAMPLES_PER_FRAME
    f = x[: n * SAMPLES_PER_FRAME].astype(np.float32).reshape(n, SAMPLES_PER_FRAME)
    e = (f * f).mean(axis=1)
    db: np.ndarray = (10.0 * np.log10(e + 1.0) - 90.31).astype(np.float32)  # 0 dBFS = full scale
    return db


def _read_audio(path: str | MediaInfo, workdir: str, request: AlignRequest) -> _Audio:
    raw = os.path.join(workdir, "audio.s16")
    dbs: list[np.ndarray] = []
    total = request.media.duration if request.media is not None else 0
    n = 0
    rest = np.zeros(0, dtype=np.int16)
    with open(raw, "wb") as f:
        for chunk in iter_audio(path, chunk_ms=20_000):
            f.write(chunk.tobytes())
            n += len(chunk)
            buf = np.concatenate([rest, chunk]) if len(rest) else chunk
            k = len(buf) // SAMPLES_PER_FRAME * SAMPLES_PER_FRAME
            dbs.append(_frame_db(buf[:k]))
            rest = buf[k:].copy()
            request.report("decode", n * 1000 // SAMPLE_RATE, total)
    if len(rest):
        dbs.append(_frame_db(np.pad(rest, (0, SAMPLES_PER_FRAME - len(rest)))))
    db = np.concatenate(dbs) if dbs else np.zeros(0, dtype=np.float32)
    return _Audio(raw, n, db)


def _read_span(raw: str, start: int, end: int) -> np.ndarray:
    """Samples [start, end) of the raw file (zero-padded past its ends)."""
    a, b = max(0, start), max(start, end)
    with open(raw, "rb") as f:
        f.seek(a * 2)
        x = np.frombuffer(f.read((b - a) * 2), dtype=np.int16)
    if start < 0 or len(x) < b - a:
        x = np.concatenate([np.zeros(a - start, np.int16), x, np.zeros(max(0, b - a - len(x)), np.int16)])
    return x


# ---------------------------------------------------------------- speech activity


def _activity(db: np.ndarray) -> np.ndarray:
    """Speech frames: energy above a floor tracked per minute (robust to level changes)."""
    speech = np.zeros(len(db), dtype=bool)
    win = 6000  # 60 s
    for a in range(0, len(db), win):
        seg = db[max(0, a - win // 2) : a + win + win // 2]
        floor = float(np.percentile(seg, 10))
        peak = float(np.percentile(seg, 95))
        thr = floor + max(6.0, 0.3 * (peak - floor))
        speech[a : a + win] = db[a : a + win] > thr
    return speech


def _quiet_cut(db: np.ndarray, lo: int, hi: int) -> int:
    """The frame in [lo, hi) at the centre of the quietest 300 ms: a pause to cut at."""
    lo = max(0, lo)
    hi = min(len(db), hi)
    if hi - lo < 40:
        return (lo + hi) // 2
    seg = db[lo:hi].astype(np.float64)
    k = 30
    c = np.convolve(seg, np.ones(k) / k, mode="valid")
    # prefer the middle of the range a little, so blocks stay near their target length
    pos = np.arange(len(c))
    bias = 2.0 * np.abs(pos - len(c) / 2) / max(1, len(c))
    return lo + int(np.argmin(c + bias)) + k // 2


# ---------------------------------------------------------------- one worker's chain


@dataclass(frozen=True, slots=True)
class _PartJob:
    raw: str
    start_frame: int  # audio of this part
    end_frame: int
    entry: int  # first token (estimated unless `entry_window` is 0)
    entry_window: int
    words: list[str]
    nphones: list[int]
    seg_of: list[int]
    extra: dict[str, str]
    phones_per_s: float
    speech: np.ndarray  # activity of this part (bool, frames)
    opts: SpeechOptions
    prior: np.ndarray | None = None  # expected start (ms) of every token, from the activity engine


@dataclass(frozen=True, slots=True)
class _Placed:
    tok: int
    start: int  # ms, absolute
    end: int
    score: float  # acoustic score per frame (log), higher is better
    uncovered: float = 0.0  # share of its block's speech no word covered (how well the block fit)
    wide: bool = False  # placed by the wide-beam retry (the default search failed there)


def _extra_words(lex: Lexicon) -> dict[str, str]:
    """The words the bundled dictionary lacks, each with its readings tab-separated (the form
    ``forced_decoder`` and ``Recogniser`` take)."""
    return {w: "\t".join([ph, *lex.alternates.get(w, [])]) for w, ph in lex.extra.items()}


def _decoder(extra: dict[str, str], opts: SpeechOptions, wide: bool = False) -> Any:
    if wide:
        return forced_decoder(extra, WIDE_BEAM, WIDE_BEAM, WIDE_BEAM)
    return forced_decoder(extra, opts.beam, opts.wbeam, opts.pbeam)


def _grammar(
    job: _PartJob,
    first: int,
    last: int,
    entries: Sequence[tuple[int, float]],
    opts: SpeechOptions,
    lead_garbage_logp: float = 0.0,
) -> tuple[list[tuple[Any, ...]], int, int]:
    """FSG transitions over tokens [first, last): state i precedes token i - first.

    Entries: null arcs from the start state; every state may exit to the final one (the
    exit is free: the audio decides how many words it holds). Lines may be skipped at a
    cost, and at line starts a garbage word may absorb untranscribed speech. With
    ``lead_garbage_logp`` < 0 the block may also open with such speech before any entry.
    """
    n = last - first
    start = n + 1
    final = n + 2
    tr: list[tuple[Any, ...]] = []
    for i in range(n):
        tr.append((i, i + 1, 1.0, job.words[first + i]))
    for e, p in entries:
        tr.append((start, e - first, p))
    # exit anywhere (the block is cut in a pause, but its last words are not committed)
    for i in range(1, n + 1):
        tr.append((i, final, 1.0))
    # line starts: skip up to K lines ahead, garbage loop
    line_starts = [i for i in range(n) if i == 0 or job.seg_of[first + i] != job.seg_of[first + i - 1]]
    garb_p = math.exp(opts.garbage_logp)
    phone_p = math.exp(opts.garbage_phone_logp)
    nxt = final + 1
    if lead_garbage_logp < 0:
        g = nxt
        nxt += 1
        tr.append((start, g, math.exp(lead_garbage_logp)))
        tr += _phone_loop(g, phone_p)
        for e, p in entries:
            tr.append((g, e - first, p))
    for k, i in enumerate(line_starts):
        for m, j in enumerate(line_starts[k + 1 : k + 1 + opts.skip_segments], start=1):
            # skipping more lines costs more: a short skip must not beat a slightly poorer fit
            tr.append((i, j, math.exp(opts.skip_logp + opts.skip_line_logp * m)))
        if opts.garbage_logp < 0:
            # untranscribed speech before this line: a free loop of phones, each at a cost
            g = nxt
            nxt += 1
            tr.append((i, g, garb_p))
            tr += _phone_loop(g, phone_p)
            tr.append((g, i, 1.0))
    return tr, start, final


def _phone_loop(state: int, p: float) -> list[tuple[Any, ...]]:
    """Garbage: any string of the coarse phones at ``state``, each at probability ``p``."""
    return [(state, state, p, "gbg_" + ph.lower()) for ph in GARBAGE_PHONES]


def _decode_block(
    d: Any,
    x: np.ndarray,
    job: _PartJob,
    first: int,
    last: int,
    entries: Sequence[tuple[int, float]],
    opts: SpeechOptions,
    lead_garbage_logp: float = 0.0,
    fillers: list[tuple[int, int]] | None = None,
) -> list[tuple[int, int, int, float]]:
    """Decode one block; returns (token, start_frame, end_frame, score/frame) for words found.
    The frames the garbage loop took are appended to ``fillers``."""
    tr, start, final = _grammar(job, first, last, entries, opts, lead_garbage_logp)
    fsg = d.create_fsg("blk", start, final, tr)
    d.add_fsg("blk", fsg)
    d.activate_search("blk")
    d.start_utt()
    d.process_raw(x.tobytes(), full_utt=True)
    d.end_utt()
    out: list[tuple[int, int, int, float]] = []
    hyp = d.hyp()
    if hyp is None:
        return out
    # map the word sequence back to tokens: the grammar is a chain, so words come in order
    words = [(s.word.split("(")[0], s.start_frame, s.end_frame, s.ascore) for s in d.seg()]
    if fillers is not None:
        fillers.extend((a, b) for w, a, b, _ in words if w.startswith("gbg_") and w != "gbg_sil")
    words = [w for w in words if not w[0].startswith(("<", "[", "+", "gbg_"))]
    if not words:
        return out
    # which entry the path took: the one whose following words spell the decoded ones
    seq = [w[0] for w in words[:40]]
    pos = first
    for e, _ in sorted(entries, key=lambda ep: -ep[1]):
        if job.words[e : e + len(seq)] == seq:
            pos = e
            break
    for w, a, b, sc in words:
        base = w
        while pos < last and job.words[pos] != base:
            pos += 1
        if pos >= last:
            break
        # ascore comes back as a probability (logmath exp): back to log units per frame
        out.append((pos, a, b, math.log(max(sc, 1e-300)) / LOG_BASE / max(1, b - a + 1)))
        pos += 1
    return out


def _noisy(x: np.ndarray, std: int, seed: int) -> np.ndarray:
    if std <= 0:
        return x
    rng = np.random.default_rng(seed)
    y = x.astype(np.int32) + np.round(rng.normal(0, std, len(x))).astype(np.int32)
    return np.clip(y, -32768, 32767).astype(np.int16)


def _padded(x: np.ndarray, dither: int, seed: int) -> np.ndarray:
    """The block with a lead and tail at its own noise floor, plus a faint dither throughout."""
    padn = PAD_FRAMES * SAMPLES_PER_FRAME
    n = len(x) // SAMPLES_PER_FRAME
    rms = 0.0
    if n:
        f = x[: n * SAMPLES_PER_FRAME].astype(np.float64).reshape(n, SAMPLES_PER_FRAME)
        rms = float(np.sqrt(np.percentile((f * f).mean(axis=1), 10)))
    rng = np.random.default_rng(seed)
    lead = np.round(rng.normal(0, rms, padn)).astype(np.int16) if rms > 0 else np.zeros(padn, np.int16)
    tail = np.round(rng.normal(0, rms, padn)).astype(np.int16) if rms > 0 else np.zeros(padn, np.int16)
    return _noisy(np.concatenate([lead, x, tail]), dither, seed + 1)


def _bad_below(ref: Sequence[float]) -> float:
    """A word scoring below this fits badly: far below what well-fitting words score."""
    r = np.asarray(ref)
    med = float(np.median(r))
    return med - 3 * (float(np.median(np.abs(r - med))) or 1.0)


def _low_share(found: Sequence[tuple[int, int, int, float]], ref: Sequence[float]) -> float:
    """Share of decoded words that fit badly."""
    if not found or len(ref) < 30:
        return 0.0
    thr = _bad_below(ref)
    return sum(1 for w in found if w[3] < thr) / len(found)


def _resync_entries(job: _PartJob, tok: int, lo_tok: int, opts: SpeechOptions) -> list[tuple[int, float]]:
    """Where a block may enter the text: the next word, or (at a cost per line) a line start
    a few lines ahead (text that is not spoken) or back (speech the text lacks, which made the
    previous block place words on the wrong audio)."""
    ents = [(tok, 1.0)]
    if opts.resync_lines <= 0 or tok >= len(job.words):
        return ents
    seg = job.seg_of
    i, n = tok + 1, 0
    while i < len(job.words) and n < opts.resync_lines:
        if seg[i] != seg[i - 1]:
            n += 1
            ents.append((i, math.exp(opts.resync_logp * n)))
        i += 1
    i, n = tok - 1, 0
    while i > lo_tok and n < opts.resync_lines:
        if seg[i] != seg[i - 1]:
            n += 1
            ents.append((i, math.exp(opts.resync_back_logp * n)))
        i -= 1
    return ents


def _expected_tokens(job: _PartJob, tok: int, frames_speech: int, slack: float) -> int:
    """Index just past the tokens expected in ``frames_speech`` frames of speech, plus slack."""
    budget = frames_speech / 100.0 * job.phones_per_s * (1.0 + slack)
    i = tok
    acc = 0.0
    while i < len(job.words) and acc < budget:
        acc += job.nphones[i]
        i += 1
    return i


def _locate(
    d: Any, x: np.ndarray, job: _PartJob, lo: int, hi: int
) -> tuple[tuple[int, int] | None, list[tuple[str, int]]]:
    """Where in tokens [lo, hi) this audio is: recognise it with a bigram of that text and
    take the first run of ``relocate_run`` recognised words that follow the text's order.
    Returns (token, frame in ``x``) of the run's first word, or None (nothing of it spoken),
    and the recognised words with their start frames in ``x``."""
    words = job.words[lo:hi]
    if len(words) < 2:
        return None, []
    rec = Recogniser(d, words, os.path.join(os.path.dirname(job.raw), f"locate-{os.getpid()}"))
    hyp = [(w, a) for w, a, _ in rec(x)]
    run = max(1, job.opts.relocate_run)
    at: dict[str, list[int]] = {}
    for j, w in enumerate(words):
        at.setdefault(w, []).append(j)
    for i in range(len(hyp) - run + 1):
        for j in at.get(hyp[i][0], ()):
            if j + run <= len(words) and all(hyp[i + k][0] == words[j + k] for k in range(1, run)):
                return (lo + j, hyp[i][1]), hyp
    return None, hyp


def _hears(hyp: Sequence[tuple[str, int]], shift: int = 0) -> Callable[[str, int], bool]:
    """Whether recognition heard ``word`` starting within 0.3 s of ``frame`` (the frames of
    ``hyp`` plus ``shift``)."""
    at: dict[str, list[int]] = {}
    for w, f in hyp:
        at.setdefault(w, []).append(f + shift)
    return lambda word, frame: any(abs(f - frame) <= 30 for f in at.get(word, ()))


def _confirmed(
    found: Sequence[tuple[int, int, int, float]],
    words: Sequence[str],
    hyp: Sequence[tuple[str, int]],
    offset: int,
    upto: int,
) -> int:
    """How many of the forced words the recogniser confirms: the same word starting within
    0.3 s. Stops before the first three unconfirmed in a row (the text and the audio part
    there) and at frame ``upto`` (the end of what was recognised); frames of ``found`` are
    ``offset`` after those of ``hyp``."""
    hears = _hears(hyp)
    miss = 0
    for i, (t, a, _, _) in enumerate(found):
        if a + offset >= upto:
            return i - miss
        miss = 0 if hears(words[t], a + offset) else miss + 1
        if miss >= 3:
            return i - 2
    return len(found) - miss


def _line_start(job: _PartJob, t: int) -> int:
    while t > 0 and job.seg_of[t - 1] == job.seg_of[t]:
        t -= 1
    return t


def _lines_ahead(job: _PartJob, tok: int, lines: int) -> int:
    """The token index ``lines`` line starts after ``tok`` (or the end)."""
    i, n = tok + 1, 0
    while i < len(job.words):
        if job.seg_of[i] != job.seg_of[i - 1]:
            n += 1
            if n > lines:
                return i
        i += 1
    return len(job.words)


def _prior_entries(job: _PartJob, at_frame: int, tok: int) -> list[tuple[int, float]]:
    """Entries near the prior's word for this audio, when the chain is far from it."""
    if job.prior is None or tok >= len(job.words):
        return []
    exp_tok = min(len(job.words) - 1, int(np.searchsorted(job.prior, at_frame * FRAME_MS)))
    if abs(float(job.prior[tok]) - float(job.prior[exp_tok])) <= job.opts.prior_max_ms:
        return []
    w = max(1, job.opts.prior_window)
    lo, hi = max(0, exp_tok - w), min(len(job.words), exp_tok + w + 1)
    return [(e, 1.0 / (2 * w + 1)) for e in range(lo, hi)]


def _good_prefix(found: Sequence[tuple[int, int, int, float]], ref: Sequence[float], run: int) -> int:
    """Index where the first run of ``run`` badly fitting words begins (len(found) if none)."""
    thr = _bad_below(ref)
    n = 0
    for i, w in enumerate(found):
        n = n + 1 if w[3] < thr else 0
        if n >= run:
            return i - run + 1
    return len(found)


def _rewind(placed: list[_Placed], ref: Sequence[float], since_ms: int) -> int:
    """How many placed words to keep: trailing words that fit badly (placed on audio they do
    not match) are taken back, up to the last run of four that fit well, not before ``since_ms``."""
    if len(ref) < 30 or not placed:
        return len(placed)
    thr = _bad_below(ref)
    good = 0
    for i in range(len(placed) - 1, -1, -1):
        if placed[i].start < since_ms:
            return i + 1 + good
        if placed[i].score >= thr:
            good += 1
            if good >= 4:
                return i + 4
        else:
            good = 0
    return good


@dataclass(frozen=True, slots=True)
class _Evidence:
    """What a decoded block says about itself (frames; cheap: no second decode)."""

    n: int  # words decoded
    speech: int  # speech frames in the block
    span_speech: int  # ... between its first word's start and its last word's end
    uncovered: int  # ... that no word covers
    after_speech: int  # speech frames after its last word
    expected: int  # words its span's speech should hold at the run's rate
    wide: bool = False  # decoded with wide beams

    @property
    def uncovered_share(self) -> float:
        return self.uncovered / max(1, self.span_speech)


def _block_evidence(
    job: _PartJob, found: Sequence[tuple[int, int, int, float]], pos: int, end: int,
    fillers: Sequence[tuple[int, int]] = (),
) -> _Evidence:
    """What a decoded block says about itself; speech in ``fillers`` (frames the garbage
    loop took) counts as explained."""
    sp = job.speech[pos - job.start_frame : end - job.start_frame]
    n = len(sp)
    if not found:
        return _Evidence(0, int(sp.sum()), 0, 0, int(sp.sum()), 0)
    cov = np.zeros(n, dtype=bool)
    for _, a, b, _ in found:
        cov[max(0, a) : max(0, min(n, b + 1))] = True
    for a, b in fillers:
        cov[max(0, a) : max(0, min(n, b + 1))] = True
    first, last = max(0, found[0][1]), min(n, found[-1][2] + 1)
    in_span = sp[first:last]
    span_speech = int(in_span.sum())
    return _Evidence(
        n=len(found),
        speech=int(sp.sum()),
        span_speech=span_speech,
        uncovered=int((in_span & ~cov[first:last]).sum()),
        after_speech=int(sp[last:].sum()),
        expected=_expected_tokens(job, found[0][0], span_speech, 0.0) - found[0][0],
    )


def _suspect(ev: _Evidence, opts: SpeechOptions) -> bool:
    """A decoded block that looks wrong: speech inside its span that no word covers (the
    decoder gave it to silence: the words do not fit there), or far fewer words than its
    speech should hold while speech goes on after them (the search stopped early)."""
    if not ev.n:
        return ev.speech >= 100
    if ev.uncovered_share > opts.suspect_uncovered:
        return True
    return ev.n < opts.suspect_ratio * ev.expected and ev.after_speech >= 100


def _better(new: _Evidence, old: _Evidence) -> bool:
    """Whether a second decode of a block explains its speech better than the first."""
    if not old.n:
        return bool(new.n)
    if not new.n:
        return False
    gain = old.uncovered_share - new.uncovered_share
    return gain > 0.02 or (gain > -0.02 and new.n > 1.1 * old.n)


def _align_part(job: _PartJob) -> tuple[list[_Placed], dict[str, int]]:
    """Walk one part of the audio block by block; return placed tokens and counters."""
    opts = job.opts
    cpu0 = time.process_time()
    d = _decoder(job.extra, opts)
    placed: list[_Placed] = []
    stats = {"blocks": 0, "empty_blocks": 0, "resyncs": 0, "relocations": 0, "relocations_taken": 0,
             "audio_skips": 0, "prior_reentries": 0, "wide_retries": 0, "wide_taken": 0,
             "garbage_retries": 0, "garbage_taken": 0}  # fmt: skip
    wide: list[Any] = []  # the wide-beam decoder, made on first use
    ref: list[float] = []  # scores of words in blocks that fit well: what "good" looks like here
    pos_frame = job.start_frame
    tok = job.entry
    lo_tok = job.entry  # entries never go back before the part's own first word
    window = job.entry_window
    block = opts.block_ms // FRAME_MS
    margin = opts.commit_margin_ms // FRAME_MS
    n_tok = len(job.words)
    last_reloc = -1  # frame where the last relocation resumed
    reloc_at: tuple[int, int] = (-1, -1)  # the last relocation's (line start, audio frame)
    protected = 0  # placed[:protected] were confirmed by a relocation: never taken back
    protect = False

    def span(frame: int) -> tuple[int, int, np.ndarray]:
        """A block from ``frame``: its end, its speech frames, its padded samples."""
        end = min(job.end_frame, frame + block)
        if job.end_frame - end < block // 3:
            end = job.end_frame  # do not leave a sliver
        x = _read_span(job.raw, frame * SAMPLES_PER_FRAME, end * SAMPLES_PER_FRAME)
        # a lead and tail of noise floor: a word right at the file's edge needs silence around it
        n_sp = int(job.speech[frame - job.start_frame : end - job.start_frame].sum())
        return end, n_sp, _padded(x, opts.dither, frame)

    def decode(
        x: np.ndarray, ents: Sequence[tuple[int, float]], n_sp: int, lead: float = 0.0, cap: int | None = None,
        wide_beams: bool = False, fillers: list[tuple[int, int]] | None = None,
    ) -> list[tuple[int, int, int, float]]:
        """``fillers`` given: with a garbage loop at line starts, whose frames it receives."""
        first = min(e for e, _ in ents)
        top = max(e for e, _ in ents)
        hi = min(n_tok, max(_expected_tokens(job, top, n_sp, opts.exit_slack), top + opts.exit_slack_min))
        hi = min(hi, cap) if cap is not None else hi
        if wide_beams and not wide:
            wide.append(_decoder(job.extra, opts, wide=True))
        o = replace(opts, garbage_logp=opts.retry_garbage_logp) if fillers is not None else opts
        got = _decode_block(wide[0] if wide_beams else d, x, job, first, hi, ents, o, lead, fillers)
        stats["blocks"] += 1
        if fillers is not None:
            fillers[:] = [(a - PAD_FRAMES, b - PAD_FRAMES) for a, b in fillers]
        return [(t, a - PAD_FRAMES, b - PAD_FRAMES, sc) for t, a, b, sc in got]

    def checked(
        x: np.ndarray, ents: Sequence[tuple[int, float]], n_sp: int, pos: int, end: int
    ) -> tuple[list[tuple[int, int, int, float]], _Evidence]:
        """Decode a block; when it looks wrong (speech no word covers, too few words for
        its speech), again with wide beams, keeping the better of the two."""
        got = decode(x, ents, n_sp)
        ev = _block_evidence(job, got, pos, end)
        if opts.wide_retry and _suspect(ev, opts):
            stats["wide_retries"] += 1
            got2 = decode(x, ents, n_sp, wide_beams=True)
            ev2 = replace(_block_evidence(job, got2, pos, end), wide=True)
            if _better(ev2, ev):
                stats["wide_taken"] += 1
                got, ev = got2, ev2
        if opts.wide_retry and ev.n and ev.uncovered_share > opts.doubt_uncovered:
            # still some speech no word explains (other voices, music, an echo): let a loop
            # of phones take such speech between lines rather than the words stretch over it
            stats["garbage_retries"] += 1
            log.debug("block at %d ms: %.1f%% of its speech uncovered, retried with a garbage loop", pos * FRAME_MS, 100 * ev.uncovered_share)
            fill: list[tuple[int, int]] = []
            # (wide beams only where the block already needed them: with a phone loop they
            # cost ~15x a default decode, which clean audio must not pay)
            got3 = decode(x, ents, n_sp, wide_beams=ev.wide, fillers=fill)
            ev3 = replace(_block_evidence(job, got3, pos, end, fill), wide=ev.wide)
            if ev3.n >= 0.9 * ev.n:
                stats["garbage_taken"] += 1
                got, ev = got3, ev3
        return got, ev

    while pos_frame < job.end_frame and tok < n_tok:
        end_frame, n_speech, x = span(pos_frame)
        last_block = end_frame >= job.end_frame
        if n_speech < 10 and not last_block:
            pos_frame = end_frame
            continue
        pri: list[tuple[int, float]] = []
        if window:
            first = max(0, tok - window)
            ents = [(e, 1.0 / (2 * window + 1)) for e in range(first, min(n_tok, tok + window + 1))]
        else:
            ents = _resync_entries(job, tok, lo_tok, opts)
            # the activity engine's times say which word should come next here; when the chain
            # is far off, the block may also enter there (the audio decides which is right)
            pri = _prior_entries(job, pos_frame, tok) if opts.prior_always else []
            if pri:
                ents = sorted(dict([*pri, *ents]).items())
                lo_tok = min(lo_tok, pri[0][0])
        found, ev = checked(x, ents, n_speech, pos_frame, end_frame)
        if pri and found and abs(found[0][0] - tok) > opts.prior_window and found[0][0] in dict(pri):
            stats["prior_reentries"] += 1
        low = _low_share(found, ref)
        if len(ref) >= 30 and low > 0:
            # a block that starts well and then fits badly (its text ends, speech the text lacks
            # begins): commit the good start; the next block meets the rest on its own
            k = _good_prefix(found, ref, opts.bad_run)
            if opts.bad_run <= k < len(found):
                found = found[:k]
                low = _low_share(found, ref)
                last_block = False
        if len(ref) >= 30 and low > opts.relocate_low_share:
            # most words fit badly: the text and the audio disagree here (text nobody speaks,
            # speech the text lacks, a lost chain). Take back the words that already fit badly,
            # then recognise the audio against the text ahead to find where it is
            stats["relocations"] += 1
            log.debug("relocating at %d ms, tok %d, low %.2f", pos_frame * FRAME_MS, tok, low)
            # never back past the last relocation (each must move the chain forward)
            keep_n = _rewind(placed, ref, max(pos_frame * FRAME_MS - opts.rewind_ms, (last_reloc + 1) * FRAME_MS))
            keep_n = max(keep_n, protected)  # words a relocation confirmed are not taken back
            # a line is placed whole or not at all: its first words may sit on the wrong audio
            line0 = _line_start(job, placed[keep_n].tok if keep_n < len(placed) else tok)
            while keep_n > protected and placed[keep_n - 1].tok >= line0:
                keep_n -= 1
            r_pos, r_tok = pos_frame, tok
            if keep_n < len(placed):
                r_tok = placed[keep_n].tok
                r_pos = max(job.start_frame, placed[keep_n - 1].end // FRAME_MS + 1 if keep_n else job.start_frame)
            r_pos = max(r_pos, last_reloc + 1)  # relocations only move forward: the walk ends
            r_end, r_sp, r_x = span(r_pos)
            hi_tok = min(n_tok, _lines_ahead(job, r_tok, opts.relocate_ahead) + len(found) + opts.exit_slack_min)
            got, hyp = _locate(d, r_x, job, r_tok, hi_tok)
            if got is None and job.prior is not None:
                # nothing of the text ahead is spoken here: perhaps the chain is lost; look
                # where the activity engine's times put this audio
                p_tok = _line_start(job, min(n_tok - 1, int(np.searchsorted(job.prior, r_pos * FRAME_MS))))
                if p_tok > hi_tok or p_tok < r_tok:
                    got, hyp = _locate(d, r_x, job, p_tok, min(n_tok, _lines_ahead(job, p_tok, opts.relocate_ahead)))
            if got is None:
                if not last_block:
                    # speech the text lacks (or no speech at all): skip some of it; the text waits
                    stats["audio_skips"] += 1
                    placed = placed[:keep_n]
                    pos_frame, tok = max(r_pos + 1, (r_pos + r_end) // 2), r_tok
                    last_reloc = pos_frame
                    continue
            else:
                stats["relocations_taken"] += 1
                a_tok = _line_start(job, got[0])
                if got[0] >= r_tok:
                    a_tok = max(a_tok, r_tok)  # located in the chain's own line: go on from its word
                placed = [p for p in placed[:keep_n] if p.tok < min(a_tok, r_tok)]
                # the located line starts about this long before its recognised words
                lead = int(sum(job.nphones[a_tok : got[0]]) / job.phones_per_s * 100) + 50
                gap_end = max(r_pos, r_pos + got[1] - PAD_FRAMES - lead)
                if a_tok > r_tok and gap_end - r_pos >= 50:
                    # the text before the located place: spoken in the audio before it, or not at all
                    g_x = _padded(_read_span(job.raw, r_pos * SAMPLES_PER_FRAME, gap_end * SAMPLES_PER_FRAME), opts.dither, r_pos)
                    g_sp = int(job.speech[r_pos - job.start_frame : gap_end - job.start_frame].sum())
                    gap = decode(g_x, [(r_tok, 1.0)], g_sp, opts.relocate_garbage_logp, cap=a_tok)
                    g_ev = _block_evidence(job, gap, r_pos, gap_end)
                    if gap and _low_share(gap, ref) <= opts.relocate_low_share:
                        for t, a, b, sc in gap:
                            a_ms = (r_pos + max(0, a)) * FRAME_MS
                            b_ms = max(a_ms, min(gap_end, r_pos + b + 1) * FRAME_MS)
                            placed.append(_Placed(t, a_ms, b_ms, sc, g_ev.uncovered_share))
                # resume at the located line with that one entry (many entries invite search
                # errors), and keep what the recogniser confirms: up to where text and audio part
                pos_frame, tok, window = gap_end, a_tok, 0
                lo_tok = tok  # the text skipped here is not entered again from behind
                last_reloc = pos_frame
                end_frame, n_speech, x = span(pos_frame)
                last_block = end_frame >= job.end_frame
                found = decode(x, [(tok, 1.0)], n_speech)
                ev = _block_evidence(job, found, pos_frame, end_frame)
                # hyp frames count from r_x's padded start, found's from pos_frame
                n_ok = _confirmed(found, job.words, hyp, pos_frame - r_pos + PAD_FRAMES, r_end - r_pos + PAD_FRAMES)
                if a_tok == reloc_at[0] and r_pos - reloc_at[1] < 100:
                    # the same place again (words the recogniser hears otherwise, a reading
                    # the lexicon lacks): take the forced result whole, so the walk moves on
                    n_ok = len(found)
                reloc_at = (a_tok, r_pos)
                last_block = last_block and n_ok == len(found)
                found = found[: max(1, n_ok)]
                protect = True
                # confirmed words count as fitting well here (a new voice may score lower)
                ref.extend(w[3] for w in found)
                del ref[:-3000]
                low = 0.0
        elif found and low <= opts.relocate_low_share:
            ref.extend(w[3] for w in found)
            del ref[:-3000]
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "block %d-%d ms tok %d (line %d) found %d (lines %s-%s) low %.2f",
                pos_frame * FRAME_MS, end_frame * FRAME_MS, tok, job.seg_of[min(tok, n_tok - 1)], len(found),
                job.seg_of[found[0][0]] if found else "-", job.seg_of[found[-1][0]] if found else "-", low,
            )  # fmt: skip
        if not found:
            stats["empty_blocks"] += 1
            pos_frame = end_frame  # nothing recognisable: move on, the text waits
            continue
        # commit words ending before the last pause that is well inside the block
        limit = (end_frame - pos_frame) - (0 if last_block else margin)
        keep = [w for w in found if w[2] < limit]
        if not last_block:
            # end the commit at a gap between words (a pause), so the next block starts clean
            cut = len(keep)
            while cut > 1 and keep[cut - 1][2] + 1 >= (found[cut][1] if cut < len(found) else 10**9):
                cut -= 1
            if cut > 1:
                keep = keep[:cut]
        if not keep:
            if last_block:
                break
            # nothing settled inside this block: take the first word and go on from it
            keep = found[:1]
        if keep[0][0] != tok:
            stats["resyncs"] += 1
            # entering earlier than the confirmed word: the words placed before were on the
            # wrong audio (speech missing from the text); this block places them again
            placed = [p for p in placed if p.tok < keep[0][0]]
        lo_tok = max(lo_tok, min(tok, keep[0][0]))  # later blocks go back at most to this block's first word
        for t, a, b, sc in keep:
            a_ms = max(0, (pos_frame + a) * FRAME_MS)
            b_ms = min(job.end_frame * FRAME_MS, max(a_ms, (pos_frame + b + 1) * FRAME_MS))
            placed.append(_Placed(t, a_ms, b_ms, sc, ev.uncovered_share, ev.wide))
        tok = keep[-1][0] + 1
        window = 0
        if protect:
            protected, protect = len(placed), False
        if last_block:
            break
        next_start = pos_frame + keep[-1][2] + 1
        if len(keep) < len(found):
            gap_end = pos_frame + found[len(keep)][1]
            next_start = (next_start + gap_end) // 2
        pos_frame = max(next_start, pos_frame + 1)
    stats["cpu_ms"] = int((time.process_time() - cpu0) * 1000)
    return placed, stats


# ---------------------------------------------------------------- edges


def _loud_runs(raw: str, lo_ms: int, hi_ms: int) -> tuple[np.ndarray, int] | None:
    """Loud (speech-like) milliseconds in [lo_ms, hi_ms): 5 ms RMS windows at a 1 ms hop
    against a threshold between the local floor and peak; dips under 30 ms (stop closures)
    are bridged and blips under 20 ms dropped. Returns (mask, lo_ms) or None when flat."""
    lo_ms = max(0, lo_ms)  # past the file's start there is no floor to measure
    x = _read_span(raw, lo_ms * 16, hi_ms * 16 + 80).astype(np.float64)
    win = 80  # 5 ms
    c = np.concatenate([[0.0], np.cumsum(x * x)])
    e = (c[win:] - c[:-win])[::16] / win
    db = 10 * np.log10(e + 1.0) - 90.31
    floor = float(np.percentile(db, 10))
    peak = float(np.percentile(db, 90))
    if peak - floor < MIN_SNR_DB:
        return None  # noisy: the decoder's edge is better than an energy guess
    thr = floor + max(6.0, 0.25 * (peak - floor))
    loud = db > thr
    loud = _fill_runs(loud, False, 30)
    loud = _fill_runs(loud, True, 20)
    return loud[: hi_ms - lo_ms], lo_ms


def _fill_runs(mask: np.ndarray, value: bool, shorter: int) -> np.ndarray:
    """Flip runs of ``value`` shorter than ``shorter`` that lie between other runs."""
    m = mask.copy()
    d = np.diff(np.concatenate([[not value], m == value, [not value]]).astype(np.int8))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    for a, b in zip(starts, ends, strict=True):
        if b - a < shorter and a > 0 and b < len(m):
            m[a:b] = not value
    return m


def _snap(raw: str, t_ms: int, back_ms: int, fwd_ms: int, lo_limit: int, offset: bool = False) -> int | None:
    """The speech edge that ``t_ms`` belongs to.

    A start inside loud audio moves back to where that loud stretch began (a long "um"
    whose opening the decoder gave to silence); a start in quiet moves forward to the
    next onset. ``offset`` does the mirror image for ends. ``lo_limit`` bounds the move
    (the previous segment's end, for a start).
    """
    pad = max(back_ms, fwd_ms) + 500
    got = _loud_runs(raw, t_ms - pad, t_ms + pad)
    if got is None:
        return None
    loud, lo = got
    i = t_ms - lo
    if offset:
        loud = loud[::-1]
        i = len(loud) - 1 - i
    if i < 0 or i >= len(loud):
        return None
    if loud[i] and not offset:
        # the tail of the previous line's last sound: look past it
        r = i
        while r < len(loud) and loud[r] and r - i <= 80:
            r += 1
        if r < len(loud) and not loud[r]:
            i = r
    if loud[i]:
        if back_ms <= 0:
            return None
        j = i
        while j > 0 and loud[j - 1] and i - j < back_ms:
            j -= 1
        if j > 0 and loud[j - 1]:
            return None  # loud all the way back: no edge in reach
        if j < QUIET_MS or loud[j - QUIET_MS : j].any():
            return None
        k = j
    else:
        nxt = np.flatnonzero(loud[i : i + fwd_ms + 1])
        if not len(nxt) and offset and LONG_QUIET_MS:
            # an end well inside a pause (longer than any stop closure): speech ended before it
            far = np.flatnonzero(loud[i : i + 300])
            if len(far) and far[0] >= LONG_QUIET_MS:
                nxt = far
        if not len(nxt):
            return None
        k = i + int(nxt[0])
        if k < QUIET_MS or loud[k - QUIET_MS : k].any():
            return None
    out = lo + (k if not offset else len(loud) - 1 - k + 1)
    if not offset and out < lo_limit:
        return None
    if offset and out > lo_limit:
        return None
    return out


# ---------------------------------------------------------------- assembly


def _partition(audio: _Audio, speech: np.ndarray, jobs: int) -> list[tuple[int, int]]:
    n = len(audio.db)
    if jobs <= 1 or n < 2 * 6000:
        return [(0, n)]
    parts = []
    lo = 0
    for j in range(1, jobs):
        target = n * j // jobs
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
    with ctx.Pool(min(n, len(items))) as pool:
        yield from pool.imap(fn, items)


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
    against the whole transcript, in ``jobs_n`` workers."""
    windows = probemod.sample_windows(speech, opts.probe_every_ms // FRAME_MS, opts.probe_ms // FRAME_MS, starts)
    k = max(1, min(jobs_n, len(windows)))
    shares = [windows[i::k] for i in range(k)]
    jobs = [_ProbeJob(audio.raw, sh, words, extra, opts.dither) for sh in shares if sh]
    hyps: dict[tuple[int, int], list[tuple[str, int, int]]] = {}
    for i, got in enumerate(_pool_map(_probe_windows, jobs, k)):
        hyps.update(zip(jobs[i].windows, got, strict=True))
        request.report("probe", i + 1, len(jobs))
    return probemod.probe([hyps[w] for w in windows], windows, words)


def _check_match(pr: probemod.Probe, request: AlignRequest, opts: SpeechOptions, stats: dict[str, Any]) -> bool:
    """Refuse a transcript that recognition does not find in the audio (``MismatchError``),
    unless ``request.force``; then warn and return True (the result is marked)."""
    stats["probe"] = {"samples": pr.samples, "samples_matched": pr.samples_matched, "heard": pr.heard,
                      "matched": pr.matched, "share": round(pr.share, 3)}  # fmt: skip
    if pr.heard < opts.min_probe_words or pr.share >= opts.min_match_share:
        return False
    assert request.media is not None
    src = request.transcript.meta.get("path", "the transcript")
    msg = (
        f"{src}: recognition found only {pr.share:.0%} of the {pr.heard} words it heard in {pr.samples} "
        f"sample{'s' if pr.samples != 1 else ''} of {request.media.path} in this transcript (at least {opts.min_match_share:.0%} expected): "
        "is it the transcript of another recording, or speech in another language? "
        "Pass --force to align anyway (times will be marked unreliable)"
    )
    if not request.force:
        raise MismatchError(msg, pr.share, opts.min_match_share, "transcript")
    stats.setdefault("warnings", []).append(
        f"recognition found only {pr.share:.0%} of the words it heard in the transcript; aligned anyway (--force), "
        "every time is unreliable"
    )
    stats["mismatch"] = {"share": round(pr.share, 3), "threshold": opts.min_match_share, "forced": True}
    return True


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
    with tempfile.TemporaryDirectory(prefix="clipper-speech-") as tmp:
        audio = _read_audio(request.media, tmp, request)  # the chosen --audio-track
        speech = _activity(audio.db)
        placed: dict[int, _Placed] = {}
        act_times: dict[int, tuple[int, int]] = {}
        if tokens and len(audio.db):
            parts = _partition(audio, speech, jobs_n)
            words = [t.word for t in tokens]
            extra = _extra_words(lex)
            pr = _run_probe(audio, speech, [p[0] for p in parts[1:]], words, extra, opts, jobs_n, request)
            forced = _check_match(pr, request, opts, stats)
            lo, hi = _coverage(pr, len(audio.db), tokens) if not forced else (0, len(tokens))
            stats["covered_tokens"] = [lo, hi]
            sub = tokens[lo:hi]
            prior = _activity_prior(request, sub, act_times) if opts.prior and sub else None
            anchors = [(x.start, x.tok - lo) for x in pr.anchors if lo <= x.tok < hi]
            got = _align_all(audio, speech, sub, extra, opts, parts, request, stats, prior, anchors)
            placed = {k + lo: v for k, v in got.items()}
        out_segs = _assemble(segs, tokens, placed, audio, speech, opts)
        out_segs = _fall_back(out_segs, act_times, audio, speech, stats)
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
    request: AlignRequest,
    stats: dict[str, Any],
    prior: np.ndarray | None = None,
    anchors: Sequence[tuple[int, int]] = (),
) -> dict[int, _Placed]:
    """Place ``tokens`` (indices from 0) on the audio, a part a worker; ``anchors`` are
    (ms, token) pairs recognition confirmed."""
    jobs_n = len(parts)
    words = [t.word for t in tokens]
    nph = [t.nphones for t in tokens]
    seg_of = [t.seg for t in tokens]
    total_speech = max(1, int(speech.sum()))
    phones_per_s = sum(nph) / (total_speech / 100.0)
    cum_speech = np.concatenate([[0], np.cumsum(speech)])
    cum_ph = np.concatenate([[0], np.cumsum(nph)])
    tok_per_frame = len(tokens) / total_speech
    jobs: list[_PartJob] = []
    for a, b in parts:
        share = cum_speech[a] / total_speech
        entry = int(np.searchsorted(cum_ph, share * cum_ph[-1]))
        entry = min(entry, len(tokens) - 1)
        window = 0 if a == 0 else max(60, len(tokens) // 50)
        near = [(ms, t) for ms, t in anchors if a * FRAME_MS <= ms < a * FRAME_MS + opts.probe_ms + 5_000]
        if a > 0 and near:
            # recognition heard where this part's audio is in the text: enter just before it
            ms, t = near[0]
            est = int(round((cum_speech[min(len(speech), ms // FRAME_MS)] - cum_speech[a]) * tok_per_frame))
            entry = max(0, min(len(tokens) - 1, t - est))
            window = max(1, opts.prior_window, est // 2)
        elif prior is not None and a > 0:
            # the activity engine knows where this part's audio sits in the text
            entry = min(len(tokens) - 1, int(np.searchsorted(prior, a * FRAME_MS)))
            window = max(1, opts.prior_window)
        jobs.append(
            _PartJob(audio.raw, a, b, entry, window, words, nph, seg_of, extra, phones_per_s, speech[a:b], opts, prior)
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
                "wide_taken", "garbage_retries", "garbage_taken"):
        stats[key] = sum(r[1][key] for r in results)
    stats["worker_cpu_s"] = round(sum(r[1]["cpu_ms"] for r in results) / 1000, 2)
    stats["parts"] = len(parts)
    # chain parts: a later part's words must come after the earlier part's; when a part's
    # guessed entry overlaps or leaves a gap, redo its start from the confirmed point
    redo = 0
    for k, (pl, _) in enumerate(results):
        if k == 0 or not pl:
            for p in pl:
                placed[p.tok] = p
            continue
        prev_last = max(placed) if placed else -1
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
            if p.tok > (max(placed) if placed else -1):
                placed[p.tok] = p
    stats["junction_redos"] = redo
    return placed


def _activity_prior(request: AlignRequest, tokens: list[Token], seg_times: dict[int, tuple[int, int]] | None = None) -> np.ndarray | None:
    """Expected start (ms) of every token from the activity engine (cheap: activity and lengths),
    run on the lines ``tokens`` come from (the stretch of text the audio holds); ``seg_times``,
    when given, receives the activity engine's (start, end) of each line it placed.

    Each placed segment's span is shared among its tokens by phone count; tokens of unplaced
    segments are interpolated. Non-decreasing by construction. None when activity fails.
    """
    from ..errors import ClipperError
    from . import activity

    seg0, seg1 = tokens[0].seg, tokens[-1].seg + 1
    tr = request.transcript
    sub = replace(tr, segments=tr.segments[seg0:seg1])
    try:
        al = activity.run(replace(request, transcript=sub, options={}, anchors=()))
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


def _fall_back(
    segs: list[Segment], act: dict[int, tuple[int, int]], audio: _Audio, speech: np.ndarray, stats: dict[str, Any]
) -> list[Segment]:
    """Where the decoder lost the chain, the activity engine's times, confidence 0.

    A run of lines placed unsure (confidence under 0.5) is lost when one of them lies further
    than :data:`FALLBACK_MS` from where the activity engine puts it and lasts far longer than
    its text takes to say: under heavy reverberation every word "fits" stretched, and a few
    lines spread over a whole stretch (measured 35 s off), while the activity engine, which
    only counts speech and length, cannot drift that far. (Far alone is not enough: under
    babble the activity engine was 4 s off where the decoder was right.) Every line of such a run takes the activity engine's times when it has them, else the
    gap between its neighbours when that holds speech for it (``_place_events``), else none.
    Confident lines are never moved.
    """
    out = list(segs)
    unsure = [s.placed and s.confidence is not None and s.confidence < 0.5 for s in out]
    moved = 0
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
            a, b = act.get(k, (s.start, s.end))
            assert s.start is not None and s.end is not None and a is not None and b is not None
            far = abs(s.start - a) > FALLBACK_MS or abs(s.end - b) > FALLBACK_MS
            return far and s.end - s.start > GAP_SLACK * 1.25 * 60 * len(s.spoken_text) + 1000

        if any(lost(k) for k in run):
            log.debug("lost run %d-%d: %s", i, j, [(k, out[k].start, out[k].end, act.get(k)) for k in run if lost(k)])
            lo = next((o.end for o in reversed(out[:i]) if o.end is not None), 0)
            hi = next((o.start for o in out[j:] if o.start is not None), None)
            for k in run:
                s = out[k]
                a, b = act.get(k, (-1, -1))
                if k in act and a >= lo and (hi is None or b <= hi) and b - a >= 200:
                    out[k] = s.with_times(a, b, confidence=0.0, words=_spread(s.words, a, b))
                    lo = b
                else:
                    out[k] = s.with_times(None, None, confidence=None, words=tuple(Word(w.text) for w in s.words))
                moved += 1
        i = j
    stats["prior_fallbacks"] = moved
    return _place_events(out, audio, speech) if moved else out


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
    for si, s in enumerate(segs):
        words: list[Word] = []
        ev: dict[str, Any] = {"seg": si, "n": len(s.words), "uncovered": 0.0, "wide": False}
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
        start, end = words[i0].start, words[i1].end
        assert start is not None and end is not None
        prev_end = next((o.end for o in reversed(out) if o.end is not None), None)
        nxt = next((p.start for _, p in by_word.get((si + 1, 0), [])), None)
        # an edge touching the next or previous line: no pause was found between them
        ev["abut_start"] = prev_end is not None and start - prev_end <= 20
        ev["abut_end"] = nxt is not None and nxt - end <= 20
        ev["snap_start"] = ev["snap_end"] = False
        ev["trim_start"] = ev["trim_end"] = 0
        if opts.snap_start_ms:
            # a swallowed pause can make the first word long: its onset may lie anywhere in it
            # a short first word is sometimes put at the end of the pause before it and the
            # pause moved after it: then the onset lies up to the end of the next word
            timed_w = [w for w in words if w.start is not None and w.end is not None]
            upto = timed_w[0].end
            if len(timed_w) > 1 and timed_w[1].start - timed_w[0].end >= 50:  # type: ignore[operator]
                upto = timed_w[1].end
            assert upto is not None
            reach = max(opts.snap_start_ms, min(1500, upto - start - 20))
            on = _snap(audio.raw, start, opts.snap_back_ms, reach, prev_end or 0)
            if on is not None and on < end:
                ev["snap_start"] = True
                start = on
        w_end = words[i0].end
        assert w_end is not None
        ev["stretch_start"] = (w_end - start) / _usual_ms(nph[i0], pace)
        if not ev["snap_start"] and ev["stretch_start"] > _trim_limit(ev["abut_start"]):
            # no clear onset to go by and a first word far longer than its phones take at this
            # speaker's pace: it took in what came before it (noise, another voice, an echo)
            cap = int(_usual_ms(nph[i0], pace) * _trim_limit(ev["abut_start"]))
            ev["trim_start"] = w_end - cap - start
            start = w_end - cap
        if opts.snap_end_ms:
            off = _snap(audio.raw, end, opts.snap_end_ms, opts.snap_end_back_ms, 10**12 if nxt is None else nxt, offset=True)
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
        fit = float(np.mean([w.confidence or 0.0 for w in words])) * len(timed) / len(words)
        ev.update(fit=fit, z_min=min(zs), z_mean=float(np.mean(zs)), timed=len(timed), pace=pace,
                  n_first=nph[i0], n_last=nph[i1])  # fmt: skip
        conf = round(_segment_confidence(ev), 3)
        if _FEATURES is not None:
            _FEATURES.append(ev)
        out.append(s.with_times(start, end, words=tuple(words), confidence=conf))
    return _place_events(out, audio, speech)


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
      (factor 0.8: the retry is usually right, but wrong more often than a clean block).

    Calibrated on ``scripts/make_degraded.py``'s set, ``../shared/data`` and the espeak
    benchmark so that segments at 0.5 or above are within 500 ms of the truth in 99% of
    cases or more on each (docs/accuracy.md has the figures).
    """
    def edge(snapped: bool, abut: bool, stretch: float) -> float:
        if snapped:
            return 1.0  # an energy edge was found where the decoder put it
        return (0.45 if abut else 1.0) * _ramp(stretch, 0.8, 1.2)

    e = min(edge(ev["snap_start"], ev["abut_start"], ev["stretch_start"]),
            edge(ev["snap_end"], ev["abut_end"], ev["stretch_end"]))  # fmt: skip
    retried = WIDE_FACTOR if ev.get("wide") else 1.0
    return float(ev["fit"]) * e * _ramp(float(ev["uncovered"]), 0.10, 0.25) * retried


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
        need = sum(60 * len(out[k].spoken_text) for k in spoken)
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
    from ..media import decode_audio

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
    with tempfile.TemporaryDirectory(prefix="clipper-match-") as tmp:
        rec = Recogniser(_decoder(extra, opts), words, os.path.join(tmp, "match"))
        hyps, windows = [], []
        for a in starts:
            x = decode_audio(request.media, start=max(0, a), duration=dur if dur <= 3 * span else span)
            hyps.append([(w, s - PAD_FRAMES, e - PAD_FRAMES) for w, s, e in rec(_padded(x, opts.dither, a))])
            windows.append((max(0, a) // FRAME_MS, (max(0, a) + len(x) * 1000 // SAMPLE_RATE) // FRAME_MS))
    return probemod.probe(hyps, windows, words)
