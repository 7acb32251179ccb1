"""Align a transcript to English speech with the acoustic model inside pocketsphinx.

Long audio is never decoded in one piece (pocketsphinx's time grows faster than the
audio, and a single mismatch derails the rest). Instead:

1. the audio is streamed once from ffmpeg into a temporary raw file while 10 ms frame
   energies are kept (memory flat in media length); the ``activity`` engine's times, from
   that file, give every word an expected start (the *prior*: cheap, from speech activity
   and lengths);
2. the timeline is cut into parts at the quietest spot near equal shares: an even number
   (two workers share equally), each at most ``part_ms`` (30 min), one under two minutes.
   The cut follows the audio's length, not the number of workers, so ``--jobs`` changes
   the speed and never the times; workers take parts in turn. Each part enters the text
   near the prior's word for its first audio;
3. each worker walks its part in blocks of ~30 s. A block is decoded with a finite-state
   grammar over the next words of the transcript: the entry is the next unplaced word (or,
   at a cost per line, a line start a few lines ahead or behind), the exit is free (the
   audio decides how many words it holds). Only the words before the last pause well
   inside the block are committed; the next block starts there, so every block boundary
   falls in a pause between confirmed words;
4. where text and audio part (a paragraph nobody speaks, speech the text lacks, a chain
   that lost its place), the words fit badly: their acoustic score per frame falls far
   below the run's typical score. A block's well-fitting start is committed and the rest
   left to the next block; a block that fits badly from its start (most of its words, or
   most of its first 15 when they open with a run of badly fitting ones: speech the text
   lacks, then text and audio together again later in the block) is *relocated*: the
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
*anchors* (time, word). Thin evidence (a share under 16%, or fewer than 12 anchors) takes
a second look: more of the audio, all of it up to 5 minutes, in 10 s windows. When fewer
than 8% of the words recognition heard belong to such runs, or under 16% from fewer than 12
words, the transcript is not this recording's (measured on the degraded sets: matching
transcripts 9-93% after the second look, others 0-3%; a short transcript's chance runs
gave 12% from 11 words at first sight) and the run is refused with ``MismatchError``
unless ``--force`` (then every confidence is capped at 0.1), or unless the transcript is of a
short stretch of a long recording: with a run of 8 words or more, the windows beside those
that hold anchors are recognised too, and a share of 16% within the anchors' windows (two
or more, at least half of those from the first to the last) passes (``_excerpt``). Text before the first anchor or after the last that the audio
around them cannot hold is left unplaced (a whole series' transcript on one episode), and
parts enter the text at the anchor nearest their start. The reverse, a transcript of a
stretch of the recording: when the audio before the first anchor (after the last) holds far
more speech than the text before (after) it takes, that audio is recognised whole, up to 5
minutes, to find the first (last) anchor again; audio before the text's first word (after
its last), at a very slow rate and a pause, is then outside it: no part decodes it, the
prior lays no text on it, and the first block may open on a garbage loop
(``stats["text_span_ms"]``; measured: the second half of the 10-minute file's transcript
had been laid from the audio's start, 300 s early). The run's speaking rate, which bounds how
many words a block may hold, is measured on the text's audio alone.

Every block is checked by evidence that does not assume the run is mostly right: the share
of the block's speech frames no decoded word covers, and whether it holds about as many
words as its speech should. A suspect block is decoded again with wide beams (the default
beams prune the right path on degraded audio and the decoder then returns a partial path
instead of failing); the better decoding wins. Clean audio rarely pays for it. A suspect block
with no more than a third of its speech uncovered is decoded once more with a null arc past
each word (``skip_retry_logp``; default beams, and wide ones too where the block needed them
and the cheap decoding promised a gain, ``skip_screen``): a word nobody says (an edited
transcript's "Frankly") otherwise takes audio that is not its own and pushes the words after
it late. That decoding is kept when it reaches as far into the text and its words' mean
score is at least a quarter better (``skip_gain``); a word a noisy block merely cannot hear
well is not worth that much. Nor is it kept when its words open with a run of badly fitting
ones (``bad_run``): that is speech the text lacks, which relocation finds its way past. A
further retry with a garbage loop at line starts is an option (``doubt_uncovered``), off by
default.
Where a second or more of speech lies between two decoded words (``break_gap_ms``) and the
words after it leave more than a third of their own speech uncovered too
(``break_rest_uncovered``), the block's commit ends before the gap and the next block starts
there afresh, free to enter a few words ahead: under heavy reverberation a decoder that lost
the audio mid-block spreads the rest of the block's words thinly over it, and every later
block follows. Measured: such gaps after which the words fit densely are speech the text
lacks, a hesitation on a real recording (words after them 0-23% uncovered); after the lost
ones, 47-59%.

Options (``-O key=value``) add line skipping (``skip_segments``) and a garbage phone loop
(``garbage_logp``) at line starts inside every block; both are off by default (they cost
time and, measured on the benchmarks, accuracy on clean transcripts: relocation handles
mismatches where they happen). ``word_skip_logp`` lets any word of every block be left out;
off by default, since on noisy audio it also leaves out words the decoder cannot hear well
(the retry above does it only where a block fits badly; docs/accuracy.md).

Words get a confidence from their acoustic score per frame against the run's typical
score; segments from their words, lowered for every doubt about an edge or a block
(``_segment_confidence``), calibrated so that 0.5 or more means within 500 ms of the truth
in 99% of cases. A line no word of which was placed gets the gap between its neighbours
(confidence 0) only when the gap holds speech enough for it and is not much longer than the
line takes to say; otherwise it is ``placed: false`` (not in this media) with no times.
A run of unsure lines (under 0.5) where the decoder lost the chain takes the activity
engine's times instead, at confidence 0 (``_fall_back``): when a line of it lies over 4 s
from them and lasts far longer than its text takes to say (heavy reverberation), or when
the run has a confident line on one side only and half of its lines or more lie that far
from them, all on one side (a line's side is its far edge's: one stretched from a right
start is late): towards that line (babble: the text crowded against the line that holds
it) or away from it (a transcript with words edited: the chain fell behind); not when the
activity engine's times for the run, at the text's free end, leave over 2 s of speech past
it that the decoder's cover, and it placed the run's line at that end too (``_text_short``:
under a music bed the activity engine was the one 4-5 s off there). In a file
with no confident line one such far line is enough, and where the decoder placed under
half of the lines, one the activity engine did not place is unplaced too. The lines the
decoder did not place inside such a run are lost with the chain, not absent, and take the
activity engine's times as well (telephone band: the chain fell 4-21 s behind and ran out
of audio ten lines early; those ten lines had been called absent from the media).
A drift can also hold confident lines: a stretch ending at the last placed line, laid ever
earlier than the activity engine (three lines or more over 4 s), most of it unsure, with
over 4 s of speech left after it that no text covers, takes those times whatever the
confidence of its lines (babble: the text ran out 11 s before the speech did, two lines of
it confident and 6-12 s early); ever later from the first placed line, likewise; and ever
later up to the last placed line with over 4 s of the activity engine's time on text after
it that the decoder did not place (an edited transcript: the chain fell 2-21 s behind and
ran out of audio ten lines early, three lines in it confident and 2.7-12 s late).
Last, a line whose nearby pauses are loud (within 16 dB of it) and swing like speech was
spoken over other voices or music, where the decoder can lay an edge on the other sound: it
keeps its times and takes 0.55 of its confidence (``_competing``; babble put 14 of 181
confident lines 0.5-1.7 s off, and nothing in the lines themselves told them apart).

The package follows those steps: :mod:`.options` (settings, constants, the transcript as
tokens), :mod:`.audio` (the audio pass, speech activity, energy edges), :mod:`.chain` (one
worker's blocks: decode, check, retry, relocate) and :mod:`.assemble` (the run: probe,
parts, chaining, segments and their confidence).
"""

from __future__ import annotations

from .assemble import quick_match, run
from .options import OPTIONS, SpeechOptions, Token, tokenize

#: anchors are checked against the result (what is heard is finer evidence than a time read off a page)
PINS_ANCHORS = False

__all__ = ["run", "quick_match", "Token", "tokenize", "SpeechOptions", "OPTIONS", "PINS_ANCHORS"]
