"""The speech engine's settings, constants and the transcript as decoder tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...media import SAMPLE_RATE
from ...model import Segment
from ..lexicon import Lexicon
from ..sphinx import FRAME_MS

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
#: where the text lies (``_text_span``): the audio before the first anchor (after the last)
#: is looked at closely when it holds more speech than the text there takes at this many
#: dictionary words a second of speech frames (a slow speaker: measured 2.7-4.5, the slowly
#: read Harvard sentences 2.7), once more than ``LEAD_LOOK_MS`` of it is over
LEAD_TOKENS_PER_S = 2.0
LEAD_LOOK_MS = 30_000
#: ... and the text is taken to end no later than where the speech after the last anchor
#: holds the text after it at this very slow rate, plus ``LEAD_MARGIN_MS`` of speech: audio
#: outside is not in the transcript (the decoder's exit is free: a late end costs nothing)
SLOW_TOKENS_PER_S = 0.8
LEAD_MARGIN_MS = 3_000
#: ... and to begin no earlier than where the speech before the first anchor holds the text
#: before it at two thirds of the anchors' own rate, within these bounds (half the slowest
#: measured, and 3), plus ``ONSET_MARGIN_MS``: the decoder must enter the text at its first
#: word, and lays it over any speech before (measured at 0.8 words a second and 3 s: the first
#: six lines of a 2-minute stretch of the 1-hour file were laid 2-11 s early; at 1.5 and 1 s,
#: eleven lines of 20 s, whose first anchor was their 23rd word, 8-16 s early)
ONSET_TOKENS_PER_S = (1.5, 3.0)
ONSET_MARGIN_MS = 1_000
#: the time a line's text takes to say, a character (ms): a rough pace, for bounds only
SAY_MS_PER_CHAR = 60
#: a line not found is put in a gap only when the gap is at most this many times the time its
#: text takes to say plus a second: elsewhere in a long gap it could be anywhere
GAP_SLACK = 2.0
#: an unsure line (confidence under 0.5) whose start or end lies further than this from the
#: activity engine's takes the activity engine's times (``_fall_back``)
FALLBACK_MS = 4_000
#: fewer anchors (recognised words in runs) than this are thin evidence: the probe looks
#: again (``_thin``); a share under twice ``min_match_share`` from fewer is then refused
THIN_WORDS = 12
#: a transcript of a stretch of a longer recording (``_excerpt``): the share of recognised
#: words in anchors within the windows from the first that holds one to the last, after
#: recognising up to ``EXCERPT_REACH`` windows on either side of each of those
EXCERPT_SHARE = 0.16
EXCERPT_REACH = 2
#: confidence factor for a segment from a block decoded again with wide beams (see
#: ``_segment_confidence``): measured, 3% of such blocks' segments were >500 ms off, 0.4% of the others
WIDE_FACTOR = 0.8
#: ... and for one from a block decoded again with words left out (``skip_retry_logp``): the
#: text and the audio disagree near it, and the chain may have reached it late
SKIP_FACTOR = 0.8


@dataclass(frozen=True, slots=True)
class SpeechOptions:
    """Tuning knobs (``request.options`` keys of the same names override them)."""

    block_ms: int = 30_000  # target block length
    part_ms: int = 1_800_000  # a part holds at most this much audio (an even number of parts, cut by length alone: the same times for any --jobs); smaller keeps more workers busy
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
    bad_run: int = 5  # this many badly fitting words in a row end a block's commit (and open a retry not taken)
    # a block whose words open with such a run is judged on this many first words: a stretch
    # of speech the text lacks at its start, then text and audio together again (0: off)
    relocate_open_words: int = 15
    relocate_open_share: float = 0.8  # ... and relocated when more of those fit badly than this
    rewind_ms: int = 60_000  # badly fitting words up to this far back are taken back first
    skip_segments: int = 0  # how many lines ahead an unspoken passage may be skipped (0: never)
    skip_logp: float = -60.0  # log-probability of a skip (natural log) ...
    skip_line_logp: float = 0.0  # ... plus this for every line skipped
    # log-probability of leaving out a word of the text (0: never). -60 helps text edited by hand
    # on clear audio (words nobody says); on noisy audio it leaves out words it cannot hear well
    word_skip_logp: float = 0.0
    # a block that looks wrong (and leaves no more than skip_retry_uncovered of its speech
    # uncovered: more is other voices or noise) is decoded again with words that may be left
    # out at this cost (0: never) and kept when its words' mean score is at most skip_gain
    # times the first decode's (scores are negative: better) on as much of the text, and its
    # words do not open with bad_run badly fitting ones (speech the text lacks); with
    # wide beams when the block needed them, only where default beams reached skip_screen
    skip_retry_logp: float = -60.0
    skip_retry_uncovered: float = 0.35
    skip_gain: float = 0.75
    skip_screen: float = 0.8
    garbage_logp: float = 0.0  # log-probability of entering the garbage loop at a line start (0: none)
    garbage_phone_logp: float = -20.0  # log-probability of each garbage phone
    snap_start_ms: int = 1500  # a start in quiet moves forward to an onset within this, inside its first word
    snap_back_ms: int = 80  # a start inside loud audio moves back to its onset within this
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
    probe_more_ms: int = 300_000  # thin evidence: recognise this much more audio (the whole of a shorter file) first
    wide_retry: bool = True  # decode a block that looks wrong again with wide beams
    suspect_uncovered: float = 0.10  # a block looks wrong when more of its speech is covered by no word ...
    suspect_ratio: float = 0.7  # ... or it holds fewer words than this share of what its speech should hold
    # a block with more speech than this uncovered is decoded again with a garbage loop at line
    # starts (and wide beams if it needed them). Off (1.0) by default: measured on the degraded
    # set, it cut babble at 5 dB from 2.3 s to 0.4 s at most, but cost 10-20x the time on
    # blocks of mismatched text and misplaced a paragraph of untranscribed speech by 3.9 s
    doubt_uncovered: float = 1.0
    retry_garbage_logp: float = -5.0  # ... the loop's cost
    break_gap_ms: int = 1_000  # a block's commit ends before a gap between words holding this much speech (0: never) ...
    break_rest_uncovered: float = 0.35  # ... when the words after it leave more than this share of their speech uncovered
    break_window: bool = True  # ... and the next block may enter up to ``prior_window`` tokens past the next word

    @classmethod
    def from_mapping(cls, m: Any) -> SpeechOptions:
        known = {k: m[k] for k in cls.__dataclass_fields__ if m and k in m}
        for k in ("prior", "prior_always", "wide_retry", "break_window"):
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
    hum: bool = False  # "mm", "hmm": nasal murmur only (see HUM_BACK_MS)


#: the phones of a hum ("mm" M, "hmm" HH M): a held nasal murmur, often far longer than its
#: one phone suggests, whose quiet opening the acoustic model takes for silence
HUM_PHONES = frozenset({"HH", "M", "N", "NG"})
#: a line opening with a hum may start this far (ms) before where the decoder put it, at the
#: onset of the sound the hum ends in (the usual reach is ``snap_back_ms``)
HUM_BACK_MS = 600


def tokenize(segments: Sequence[Segment], lex: Lexicon) -> list[Token]:
    """Dictionary tokens for every spoken word, in order (numbers become several)."""
    out: list[Token] = []
    for si, seg in enumerate(segments):
        for wi, w in enumerate(seg.words):
            for word, phones in lex.pronounce(w.text):
                ph = (phones or lex.words.get(word, "AH")).split()
                hum = bool(ph) and set(ph) <= HUM_PHONES and ph != ["HH"]
                out.append(Token(word, si, wi, max(1, len(ph)), hum))
    return out




