"""One worker's chain: a part of the timeline walked in blocks, each decoded with a
grammar over the next words, checked by its evidence, retried, relocated."""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..lexicon import Lexicon
from ..sphinx import FRAME_MS, GARBAGE_PHONES, LOG_BASE, WIDE_BEAM, Recogniser, forced_decoder
from .audio import _read_span
from .options import PAD_FRAMES, SAMPLES_PER_FRAME, SpeechOptions

log = logging.getLogger(__name__)


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
    #: < 0: the text may begin after speech it lacks (audio before the text, ``_text_span``):
    #: until a first word is placed, blocks may open with a garbage loop at this cost
    lead_garbage_logp: float = 0.0


@dataclass(frozen=True, slots=True)
class _Placed:
    tok: int
    start: int  # ms, absolute
    end: int
    score: float  # acoustic score per frame (log), higher is better
    uncovered: float = 0.0  # share of its block's speech no word covered (how well the block fit)
    wide: bool = False  # placed by the wide-beam retry (the default search failed there)
    skips: bool = False  # placed by the retry that may leave words out (text the audio lacks nearby)


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
    exit is free: the audio decides how many words it holds). Lines, and with
    ``word_skip_logp`` single words, may be skipped at a cost, and at line starts a garbage
    word may absorb untranscribed speech. With ``lead_garbage_logp`` < 0 the block may also
    open with such speech before any entry.
    """
    n = last - first
    start = n + 1
    final = n + 2
    tr: list[tuple[Any, ...]] = []
    for i in range(n):
        tr.append((i, i + 1, 1.0, job.words[first + i]))
    if opts.word_skip_logp < 0:  # a null arc past each word: the audio may lack it
        skip_p = math.exp(opts.word_skip_logp)
        tr += [(i, i + 1, skip_p) for i in range(n)]
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


def _whole_lines(job: _PartJob, placed: Sequence[_Placed], k: int, protected: int, tok: int) -> int:
    """``k`` moved back so that ``placed[:k]`` ends with a whole line (a line is placed whole
    or not at all); ``tok`` is the next token when ``k`` is past the end."""
    line0 = _line_start(job, placed[k].tok if k < len(placed) else tok)
    while k > protected and placed[k - 1].tok >= line0:
        k -= 1
    return k


def _after(job: _PartJob, placed: Sequence[_Placed], k: int) -> int:
    """The frame after the last of ``placed[:k]`` (the part's start when there is none)."""
    return max(job.start_frame, placed[k - 1].end // FRAME_MS + 1) if k else job.start_frame


def _say_frames(job: _PartJob, a: int, b: int) -> int:
    """Frames tokens [a, b) take at the speaking rate."""
    return int(sum(job.nphones[a:b]) / job.phones_per_s * 100)


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


#: how far (frames) before the chain's place a located line must be expected to start before
#: the words kept there are doubted (its expected start is a guess from the speaking rate)
EARLY_FRAMES = 30


def _taken_early(
    job: _PartJob,
    placed: Sequence[_Placed],
    keep_n: int,
    protected: int,
    last_reloc: int,
    r_pos: int,
    r_tok: int,
    a_tok: int,
    got: tuple[int, int],
) -> int | None:
    """Where to cut ``placed`` back to when relocation located a line past the chain's text
    (``a_tok`` after ``r_tok``) that should have begun well before the chain's place ``r_pos``
    (frames): the kept words after that start sit on the line's audio. None when it did not.

    Measured (a 222 s espeak cut with 15 unspoken lines, two parts): four unspoken words
    fitted by chance on the first second of the next spoken line; entered 1.2 s late, the
    chain fell behind and 24 lines came out 1-17 s late."""
    if a_tok <= r_tok or keep_n <= protected:
        return None
    start = r_pos + got[1] - PAD_FRAMES - _say_frames(job, a_tok, got[0])  # before its recognised word
    if start > r_pos - EARLY_FRAMES:
        return None
    k = keep_n
    floor = max(start - EARLY_FRAMES, last_reloc + 1) * FRAME_MS
    while k > protected and placed[k - 1].start >= floor:
        k -= 1
    return None if k == keep_n else _whole_lines(job, placed, k, protected, a_tok)


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
    skips: bool = False  # decoded with words that may be left out

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


def _speech_gap(
    job: _PartJob, found: Sequence[tuple[int, int, int, float]], pos: int, min_frames: int, rest_uncovered: float
) -> int:
    """Index of the first decoded word after a gap between words that holds at least
    ``min_frames`` of speech no word covers, when the words from there on leave more than
    ``rest_uncovered`` of their span's speech uncovered too (len(found) if none): where the
    words stop following the audio. A gap whose later words fit densely is speech the text
    lacks (or a breath, a cough), and a gap where the transcript has a line without words
    between the two (an event: ``[laughter]``) is explained."""
    sp = job.speech[pos - job.start_frame :]
    for i in range(1, len(found)):
        if job.seg_of[found[i][0]] - job.seg_of[found[i - 1][0]] > 1:
            continue
        a, b = max(0, found[i - 1][2] + 1), max(0, found[i][1])
        if b - a < min_frames or int(sp[a:b].sum()) < min_frames:
            continue
        lo, hi = b, min(len(sp), found[-1][2] + 1)
        cov = np.zeros(max(0, hi - lo), dtype=bool)
        for _, wa, wb, _ in found[i:]:
            cov[max(0, wa - lo) : max(0, min(hi, wb + 1) - lo)] = True
        rest = sp[lo:hi]
        if int(rest.sum()) and int((rest & ~cov).sum()) / int(rest.sum()) > rest_uncovered:
            return i
    return len(found)


def _better(new: _Evidence, old: _Evidence) -> bool:
    """Whether a second decode of a block explains its speech better than the first."""
    if not old.n:
        return bool(new.n)
    if not new.n:
        return False
    gain = old.uncovered_share - new.uncovered_share
    return gain > 0.02 or (gain > -0.02 and new.n > 1.1 * old.n)


def _gain(new: Sequence[tuple[int, int, int, float]], old: Sequence[tuple[int, int, int, float]]) -> float:
    """How a second decoding's words fit against the first's: their mean scores' ratio (the
    scores are log-likelihoods per frame, negative: under 1 is better); 1.0 when either is empty."""
    if not new or not old:
        return 1.0
    a, b = float(np.mean([w[3] for w in new])), float(np.mean([w[3] for w in old]))
    return a / b if b < 0 else 1.0


def _align_part(job: _PartJob) -> tuple[list[_Placed], dict[str, int]]:
    """Walk one part of the audio block by block; return placed tokens and counters."""
    opts = job.opts
    cpu0 = time.process_time()
    d = _decoder(job.extra, opts)
    placed: list[_Placed] = []
    stats = {"blocks": 0, "empty_blocks": 0, "resyncs": 0, "relocations": 0, "relocations_taken": 0,
             "audio_skips": 0, "prior_reentries": 0, "wide_retries": 0, "wide_taken": 0,
             "garbage_retries": 0, "garbage_taken": 0, "gap_breaks": 0, "skip_retries": 0, "skip_taken": 0,
             "rewinds_back": 0}  # fmt: skip
    wide: list[Any] = []  # the wide-beam decoder, made on first use
    ref: list[float] = []  # scores of words in blocks that fit well: what "good" looks like here
    pos_frame = job.start_frame
    tok = job.entry
    lo_tok = job.entry  # entries never go back before the part's own first word
    window = job.entry_window
    ahead = 0  # the next block may enter this many words past the next one (after a gap break)
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
        wide_beams: bool = False, fillers: list[tuple[int, int]] | None = None, skips: bool = False,
    ) -> list[tuple[int, int, int, float]]:
        """``fillers`` given: with a garbage loop at line starts, whose frames it receives."""
        first = min(e for e, _ in ents)
        top = max(e for e, _ in ents)
        hi = min(n_tok, max(_expected_tokens(job, top, n_sp, opts.exit_slack), top + opts.exit_slack_min))
        hi = min(hi, cap) if cap is not None else hi
        if wide_beams and not wide:
            wide.append(_decoder(job.extra, opts, wide=True))
        o = replace(opts, garbage_logp=opts.retry_garbage_logp) if fillers is not None else opts
        o = replace(o, word_skip_logp=opts.skip_retry_logp) if skips else o
        got = _decode_block(wide[0] if wide_beams else d, x, job, first, hi, ents, o, lead, fillers)
        stats["blocks"] += 1
        if fillers is not None:
            fillers[:] = [(a - PAD_FRAMES, b - PAD_FRAMES) for a, b in fillers]
        # a word the decoder opened in the lead of noise floor starts at the block's start:
        # before it lies audio this block never saw (at a part's first block, the previous
        # part's last word: "The" laid 300 ms early over the end of "city")
        return [(t, max(0, a - PAD_FRAMES), max(1, b - PAD_FRAMES), sc) for t, a, b, sc in got]

    def checked(
        x: np.ndarray, ents: Sequence[tuple[int, float]], n_sp: int, pos: int, end: int, lead: float = 0.0
    ) -> tuple[list[tuple[int, int, int, float]], _Evidence]:
        """Decode a block; when it looks wrong (speech no word covers, too few words for
        its speech), again with wide beams, keeping the better of the two, and once more
        letting words be left out (kept only when its words fit far better)."""
        got = decode(x, ents, n_sp, lead)
        ev = _block_evidence(job, got, pos, end)
        suspect = _suspect(ev, opts)
        if opts.wide_retry and suspect:
            stats["wide_retries"] += 1
            got2 = decode(x, ents, n_sp, lead, wide_beams=True)
            ev2 = replace(_block_evidence(job, got2, pos, end), wide=True)
            if _better(ev2, ev):
                stats["wide_taken"] += 1
                got, ev = got2, ev2
        if opts.skip_retry_logp < 0 and suspect and got and ev.uncovered_share <= opts.skip_retry_uncovered:
            # a word nobody says (an edited transcript) takes audio that is not its own and
            # pushes the words after it: decode again letting words be left out, and keep that
            # only when the words then fit far better on as much of the text
            got4 = decode(x, ents, n_sp, lead, skips=True)
            stats["skip_retries"] += 1
            gain = _gain(got4, got)
            log.debug("block at %d ms: decoded again leaving words out: %d words (to token %d) -> %d (to %d), "
                      "mean score x%.2f", pos * FRAME_MS, len(got), got[-1][0], len(got4), got4[-1][0] if got4 else -1, gain)  # fmt: skip
            if ev.wide and gain <= opts.skip_screen:
                # the block needed wide beams: so does this decoding (5-25 s a block on noisy
                # audio, so only where the cheap one above promised a gain)
                got4 = decode(x, ents, n_sp, lead, wide_beams=True, skips=True)
                gain = _gain(got4, got)
            ev4 = replace(_block_evidence(job, got4, pos, end), wide=ev.wide, skips=True)
            # (a decoding that opens with a run of badly fitting words laid them on speech the
            # text lacks: not a word nobody says but relocation's case, which it would hide)
            if got4 and got4[-1][0] >= got[-1][0] and ev4.uncovered_share <= ev.uncovered_share + 0.02 \
                    and gain <= opts.skip_gain and (len(ref) < 30 or _good_prefix(got4, ref, opts.bad_run) > 0):
                stats["skip_taken"] += 1
                got, ev = got4, ev4
        if opts.wide_retry and ev.n and ev.uncovered_share > opts.doubt_uncovered:
            # still some speech no word explains (other voices, music, an echo): let a loop
            # of phones take such speech between lines rather than the words stretch over it
            stats["garbage_retries"] += 1
            log.debug("block at %d ms: %.1f%% of its speech uncovered, retried with a garbage loop", pos * FRAME_MS, 100 * ev.uncovered_share)
            fill: list[tuple[int, int]] = []
            # (wide beams only where the block already needed them: with a phone loop they
            # cost ~15x a default decode, which clean audio must not pay)
            got3 = decode(x, ents, n_sp, lead, wide_beams=ev.wide, fillers=fill, skips=ev.skips)
            ev3 = replace(_block_evidence(job, got3, pos, end, fill), wide=ev.wide, skips=ev.skips)
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
        if ahead:
            # after a gap break: the next word or a few after it (words committed stay put)
            ents = [(e, 1.0 / (ahead + 1)) for e in range(tok, min(n_tok, tok + ahead + 1))]
        elif window:
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
        found, ev = checked(x, ents, n_speech, pos_frame, end_frame, job.lead_garbage_logp if not placed else 0.0)
        gap_break = False
        if opts.break_gap_ms and found:
            k = _speech_gap(job, found, pos_frame, opts.break_gap_ms // FRAME_MS, opts.break_rest_uncovered)
            if k < len(found):
                # speech no word explains between two words, and the words after it spread
                # thinly: a decoder that lost the audio (heavy reverberation). Commit the words
                # before the gap; the next block starts there afresh
                stats["gap_breaks"] += 1
                log.debug("block at %d ms: speech gap after word %d of %d", pos_frame * FRAME_MS, k, len(found))
                found = found[:k]
                last_block = False
                gap_break = True
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
            elif k < min(opts.bad_run, len(found)) and opts.relocate_open_words:
                # one that opens badly: the speech the text lacks is at its start, and the text
                # fitting again after it would hide it in the whole block's share (measured:
                # 0.28, its first 15 words 0.93; the next line laid over 8 s of other speech).
                # Edited text opens badly too, less so (0.67): relocation there lost five lines
                opening = _low_share(found[: opts.relocate_open_words], ref)
                log.debug("block at %d ms opens badly: %.2f of its first words, %.2f of all", pos_frame * FRAME_MS, opening, low)
                if opening > opts.relocate_open_share:
                    low = max(low, opening)
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
            keep_n = _whole_lines(job, placed, keep_n, protected, tok)
            r_pos, r_tok = pos_frame, tok
            if keep_n < len(placed):
                r_tok = placed[keep_n].tok
                r_pos = _after(job, placed, keep_n)
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
                back = _taken_early(job, placed, keep_n, protected, last_reloc, r_pos, r_tok, a_tok, got)
                if back is not None:
                    # the words kept last lie on the located line's own audio (text nobody
                    # says that fits there by chance): take them back and locate again from
                    # before them, or the line is entered late and the chain falls behind
                    b_pos = max(_after(job, placed, back), last_reloc + 1)
                    b_end, _, b_x = span(b_pos)
                    got2, hyp2 = _locate(d, b_x, job, placed[back].tok, hi_tok)
                    log.debug("located line starts before the chain's place: %d kept words taken back, again from %d ms: %s",
                              keep_n - back, b_pos * FRAME_MS, got2)  # fmt: skip
                    if got2 is not None and got2[0] >= a_tok:
                        stats["rewinds_back"] += 1
                        keep_n, r_pos, r_tok, r_end, got, hyp = back, b_pos, placed[back].tok, b_end, got2, hyp2
                        a_tok = _line_start(job, got[0])
                placed = [p for p in placed[:keep_n] if p.tok < min(a_tok, r_tok)]
                # the located line starts about this long before its recognised words
                lead = _say_frames(job, a_tok, got[0]) + 50
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
            placed.append(_Placed(t, a_ms, b_ms, sc, ev.uncovered_share, ev.wide, ev.skips))
        tok = keep[-1][0] + 1
        window = 0
        # after a gap break the chain may have fallen behind the audio (it stretched words over
        # speech that was the next words'): the next block may enter a few words ahead
        ahead = opts.prior_window if gap_break and opts.break_window else 0
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




