"""The speech engine on real audio: a committed 7.5 s clip of read English (MFA test data),
the ../shared/data cases when present, digital silence, and the lexicon's fallbacks."""

from __future__ import annotations

import json
import wave
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import SAMPLES, TESTDATA, shared_path

from clipper.align import AlignRequest, align
from clipper.align.lexicon import Lexicon, letter_to_sound, number_words
from clipper.errors import MismatchError
from clipper.media import decode_audio, probe
from clipper.model import Alignment
from clipper.read import parse

CLIP = TESTDATA / "speech"


def _lines() -> list[str]:
    return (CLIP / "transcript.txt").read_text().splitlines()


def _truth() -> dict[str, tuple[int, int]]:
    d = json.loads((CLIP / "truth.json").read_text())
    return {s["text"]: (round(s["start"] * 1000), round(s["end"] * 1000)) for s in d["segments"]}


def _align(lines: list[str], media: Path, **options: object) -> Alignment:
    tr = parse("\n".join(lines) + "\n", "plain", segmentation="lines")
    return align(AlignRequest(tr, probe(media), options=options), "speech")


def _write_wav(path: Path, x: np.ndarray) -> None:
    """16 kHz mono 16-bit PCM, written with the standard library (no ffmpeg in the way)."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(x.tobytes())


def _errors(al: Alignment, shift: int = 0) -> list[int]:
    truth = _truth()
    errs = []
    for s in al.segments:
        if s.text in truth:
            assert s.start is not None and s.end is not None, s.text
            a, b = truth[s.text]
            errs += [abs(s.start - a - shift), abs(s.end - b - shift)]
    return errs


def test_clip_every_line_placed_close_to_truth() -> None:
    al = _align(_lines(), CLIP / "acoustic_clip.flac")
    assert al.engine == "speech"
    assert al.stats["placed"] == 4 and al.stats["unplaced"] == 0
    errs = _errors(al)
    assert len(errs) == 8
    assert float(np.median(errs)) <= 40 and max(errs) <= 120
    # words carry times and confidences, in order, inside their segment
    for s in al.segments:
        assert s.start is not None and s.end is not None
        assert all(w.start is not None and w.end is not None for w in s.words)
        starts = [w.start for w in s.words]
        assert starts == sorted(starts)
        assert s.start <= starts[0] and s.words[-1].end <= s.end  # type: ignore[operator]
        assert s.confidence is not None and 0 < s.confidence <= 1


def test_clip_word_times() -> None:
    al = _align(_lines(), CLIP / "acoustic_clip.flac")
    truth = json.loads((CLIP / "truth.json").read_text())["words"]
    ours = [w for s in al.segments for w in s.words]
    assert [w.text for w in ours] == [t["word"] for t in truth]
    errs = [abs(w.start - round(t["start"] * 1000)) for w, t in zip(ours, truth, strict=True)]  # type: ignore[operator]
    assert float(np.median(errs)) <= 30


def test_digital_silence_and_oov_words(tmp_path: Path) -> None:
    # 1.5 s of exact zeros before the speech: pocketsphinx alone returns nothing on
    # digital silence; the engine adds a noise floor. "zorblax" is in no dictionary.
    x = decode_audio(CLIP / "acoustic_clip.flac")
    y = np.concatenate([np.zeros(24000, np.int16), x, np.zeros(8000, np.int16)])
    path = tmp_path / "silence.wav"
    _write_wav(path, y)
    al = _align(_lines(), path)
    assert al.stats["unplaced"] == 0
    errs = _errors(al, shift=1500)
    assert float(np.median(errs)) <= 40 and max(errs) <= 150


def test_unknown_words_get_pronunciations() -> None:
    lex = Lexicon()
    assert "zorblaxian" not in lex
    (word, phones), = lex.pronounce("Zorblaxian")
    assert word == "zorblaxian" and phones and all(p.isupper() for p in phones.split())
    assert lex.pronounce("SJTU")[0][1] == "EH S JH EY T IY Y UW"  # an acronym is spelt
    assert [w for w, _ in lex.pronounce("25%")] == ["twenty", "five", "percent"]
    assert [w for w, _ in lex.pronounce("1990s")] == ["nineteen", "nineties"]
    assert [w for w, _ in lex.pronounce("$5")] == ["five", "dollars"]
    assert number_words("2024", year=True) == ["twenty", "twenty", "four"]
    assert number_words("21", ordinal=True) == ["twenty", "first"]
    assert letter_to_sound("sh") == "SH"


def test_extra_unspoken_line_is_flagged_with_skips_enabled() -> None:
    # with line skipping switched on, a line that is not in the audio is left with no
    # speech (confidence 0) and the lines around it stay on their speech
    lines = _lines()
    extra = "the quick brown fox jumps over the lazy dog"
    al = _align(lines[:2] + [extra] + lines[2:], CLIP / "acoustic_clip.flac", skip_segments=12, skip_logp=-60.0)
    by = {s.text: s for s in al.segments}
    assert by[extra].confidence == 0.0
    errs = _errors(al)
    assert len(errs) == 8 and max(errs) <= 120


def test_shared_mfa_case_every_segment_placed() -> None:
    case = shared_path("data", "mfa_acoustic_corpus")
    tr = parse((case / "transcript.txt").read_text(), "plain", segmentation="lines")
    al = align(AlignRequest(tr, probe(case / "acoustic_corpus.wav")), "speech")
    truth = json.loads((case / "truth.json").read_text())["segments"]
    assert al.stats["unplaced"] == 0
    errs = []
    for s, t in zip(al.segments, truth, strict=True):
        assert s.start is not None and s.end is not None
        errs += [abs(s.start - t["start"] * 1000), abs(s.end - t["end"] * 1000)]
    assert float(np.median(errs)) <= 40 and max(errs) <= 120


def test_missing_line_does_not_fail_the_run() -> None:
    # the audio holds a line the transcript lacks: the run completes, every line gets
    # times in order, and the lines before the gap stay on their speech
    lines = _lines()
    al = _align(lines[:2] + lines[3:], CLIP / "acoustic_clip.flac")
    truth = _truth()
    assert al.stats["unplaced"] == 0
    ends = [s.end for s in al.segments]
    assert all(e is not None for e in ends) and ends == sorted(ends)  # type: ignore[type-var]
    for s in al.segments[:2]:
        a, b = truth[s.text]
        assert abs(s.start - a) <= 60 and abs(s.end - b) <= 60  # type: ignore[operator]


@pytest.mark.xfail(strict=True, reason="known gap: speech missing from the text pulls the next line early (issue 4)")
def test_missing_line_next_line_keeps_its_start() -> None:
    lines = _lines()
    al = _align(lines[:2] + lines[3:], CLIP / "acoustic_clip.flac")
    a, _ = _truth()[lines[3]]
    assert abs(al.segments[2].start - a) <= 100  # type: ignore[operator]


def test_activity_prior_and_reentry(tmp_path: Path) -> None:
    # the activity engine's times give every token an expected start, in order and near the
    # truth; a chain entering the text at the wrong word is put back at the prior's word
    from clipper.align.speech import SpeechOptions, tokenize
    from clipper.align.speech.assemble import _activity_prior
    from clipper.align.speech.audio import _activity, _read_audio
    from clipper.align.speech.chain import _align_part, _PartJob

    tr = parse("\n".join(_lines()) + "\n", "plain", segmentation="lines")
    req = AlignRequest(tr, probe(CLIP / "acoustic_clip.flac"))
    lex = Lexicon()
    tokens = tokenize(tr.segments, lex)
    audio = _read_audio(str(CLIP / "acoustic_clip.flac"), str(tmp_path), req)
    prior = _activity_prior(req, tokens, audio.raw)
    assert prior is not None and len(prior) == len(tokens)
    assert list(prior) == sorted(prior)
    truth = _truth()
    firsts = {t.seg: i for i, t in reversed(list(enumerate(tokens)))}
    for si, s in enumerate(tr.segments):
        assert abs(prior[firsts[si]] - truth[s.text][0]) <= 1000  # a coarse guide on 7 s
    speech = _activity(audio.db)
    opts = SpeechOptions(prior_max_ms=1000, prior_always=True)
    extra = {w: ph for w, ph in lex.extra.items()}
    wrong = firsts[2]  # the chain believes the third line comes first
    job = _PartJob(
        audio.raw, 0, len(audio.db), wrong, 0, [t.word for t in tokens], [t.nphones for t in tokens],
        [t.seg for t in tokens], extra, 14.0, speech, opts, prior,
    )
    placed, stats = _align_part(job)
    assert stats["prior_reentries"] == 1
    assert placed and placed[0].tok == 0 and abs(placed[0].start - truth[tr.segments[0].text][0]) <= 100
    # without the prior the chain stays where it was put
    placed, stats = _align_part(replace(job, prior=None))
    assert stats["prior_reentries"] == 0 and placed[0].tok >= wrong


def test_speech_between_words_ends_the_commit() -> None:
    # under heavy reverberation a decoder that lost the audio spreads a block's last words
    # thinly over it: a gap between words holding a second of speech, with the words after it
    # leaving much of their speech uncovered too, ends the commit; a shorter gap, speech the
    # text lacks followed by words that fit densely, or an event line ([laughter]) between
    # the two lines does not
    from clipper.align.speech import SpeechOptions
    from clipper.align.speech.chain import _PartJob, _speech_gap

    speech = np.zeros(1000, dtype=bool)
    speech[0:50] = speech[100:400] = speech[450:700] = True
    seg_of = [0, 0, 1, 1, 3, 3]
    job = _PartJob("", 0, 1000, 0, 0, ["w"] * 6, [3] * 6, seg_of, {}, 14.0, speech, SpeechOptions())
    # (token, start frame, end frame, score): frames count from the block's start (frame 0)
    found = [(0, 100, 150, 0.0), (1, 160, 200, 0.0), (2, 290, 330, 0.0), (3, 460, 500, 0.0)]
    assert _speech_gap(job, found, 0, 100, 0.35) == len(found)  # gaps hold 0, 89 and 79 frames of speech
    assert _speech_gap(job, found, 0, 80, 0.35) == 2  # the words after it leave 79 of 160 uncovered
    assert _speech_gap(job, found, 0, 80, 0.6) == len(found)
    dense = [(0, 100, 150, 0.0), (1, 160, 200, 0.0), (2, 560, 600, 0.0)]
    assert _speech_gap(job, dense, 0, 100, 0.35) == len(dense)
    thin = [(0, 100, 150, 0.0), (1, 160, 200, 0.0), (2, 560, 580, 0.0), (3, 650, 660, 0.0)]
    assert _speech_gap(job, thin, 0, 100, 0.35) == 2
    # the same gap where an event line (seg 2, no words) sits between lines 1 and 3
    evt = [(0, 100, 150, 0.0), (3, 160, 200, 0.0), (4, 560, 580, 0.0), (5, 650, 660, 0.0)]
    assert _speech_gap(replace(job, seg_of=[0, 0, 0, 1, 3, 3]), evt, 0, 100, 0.35) == len(evt)
    # frames are the block's: the same words in a block starting at frame 300 see other speech
    assert _speech_gap(job, [(0, 0, 50, 0.0), (1, 260, 280, 0.0), (2, 350, 360, 0.0)], 300, 100, 0.35) == 1


def test_a_stretched_inner_word_gives_its_excess_back_from_both_sides() -> None:
    # under babble a pause after "don't" was swallowed by it and "know either" pushed 2.3 s
    # late (tts_c_babble5); which side holds the excess is unknown, so each gives back half
    from clipper.align.speech.assemble import INNER_STRETCH_LIMIT, _unstretch, _usual_ms
    from clipper.model import Word

    pace = 8.0
    words = [Word("I", 61640, 61740, 0.9), Word("don't", 61740, 64520, 0.9),
             Word("know", 64520, 64660, 0.6), Word("either", 64660, 64940, 0.7)]  # fmt: skip
    nph = [1, 4, 2, 3]
    out, worst = _unstretch(words, nph, 0, 3, pace)
    usual = _usual_ms(4, pace)
    assert worst == pytest.approx(2780 / usual) and worst > INNER_STRETCH_LIMIT
    half = int(2780 - usual) // 2
    assert [(w.start, w.end) for w in out] == [
        (61640 + half, 61740 + half), (61740 + half, 64520 - half),
        (64520 - half, 64660 - half), (64660 - half, 64940 - half)]  # fmt: skip
    assert out[1].end - out[1].start == pytest.approx(usual, abs=1)  # type: ignore[operator]
    assert all(a.end <= b.start for a, b in zip(out, out[1:], strict=False))  # type: ignore[operator]
    # an edge word is the edge rules' business, and a word within the limit stays put
    assert _unstretch(words, [1, 4, 2, 3], 1, 3, pace)[0] == words
    calm = [Word("I", 0, 100, 0.9), Word("don't", 100, 800, 0.9), Word("know", 800, 1000, 0.9)]
    assert _unstretch(calm, [1, 4, 2], 0, 2, pace)[0] == calm
    # untimed and unplaced words are left alone
    gap = [Word("a", 0, 100, 0.9), Word("b"), Word("don't", 100, 3000, 0.9), Word("c", 3000, 3100, 0.9)]
    got, _ = _unstretch(gap, [1, 1, 4, 1], 0, 3, pace)
    assert got[1] == Word("b") and got[0].start is not None and got[0].start > 0


def test_a_detached_short_first_word_rejoins_its_line() -> None:
    # music in the pause before a line: "I" put at the pause's start, 1.66 s before "think"
    from clipper.align.speech.assemble import DETACHED_MS, _reattach_first, _usual_ms
    from clipper.model import Word

    words = [Word("I", 53300, 53690, 0.84), Word("think", 55350, 55900, 0.89)]
    assert _reattach_first(words, [1, 4], 0, 8.0)
    assert words[0] == Word("I", 55350 - 360, 55350, 0.84)  # its usual length at this pace
    assert _usual_ms(1, 8.0) == 360
    short = [Word("I", 53300, 53400, 0.84), Word("think", 55350, 55900, 0.89)]
    assert _reattach_first(short, [1, 4], 0, 8.0) and short[0].start == 55250  # its own length
    # a word with more phones, or one close to the next, stays
    long_word = [Word("Today", 0, 400, 0.9), Word("we", 2000, 2100, 0.9)]
    assert not _reattach_first(long_word, [4, 2], 0, 8.0) and long_word[0].start == 0
    near = [Word("I", 0, 100, 0.9), Word("think", 100 + DETACHED_MS - 1, 900, 0.9)]
    assert not _reattach_first(near, [1, 4], 0, 8.0)
    assert not _reattach_first([Word("I", 0, 100, 0.9)], [1], 0, 8.0)


def test_detached_first_words_that_fit_badly_rejoin_their_line() -> None:
    # "And he" laid on the tail of the line before, 1.82 s before "is also very well known"
    from clipper.align.speech.assemble import LEAD_FIT, _reattach_first, _usual_ms
    from clipper.model import Word

    def line(fit: float) -> list[Word]:
        return [Word("And", 80450, 80540, 0.001), Word("he", 80540, 80690, fit), Word("is", 82510, 82690, 0.12),
                Word("also", 82690, 83080, 0.97)]  # fmt: skip

    words = line(0.159)
    assert _reattach_first(words, [3, 2, 2, 3], 0, 8.0)
    # each keeps its own length (both under their usual length), back to back before "is"
    assert words[:2] == [Word("And", 82270, 82360, 0.001), Word("he", 82360, 82510, 0.159)]
    assert words[2:] == line(0.159)[2:]
    assert _usual_ms(2, 8.0) > 150
    # the same two words fitting well stay: three such groups in the measured sets were right
    well = [Word("And", 80450, 80540, LEAD_FIT + 0.01), Word("he", 80540, 80690, 0.9)] + line(0.9)[2:]
    assert not _reattach_first(well, [3, 2, 2, 3], 0, 8.0) and well[0].start == 80450
    # a gap after the fourth word is not a detached start
    four = [Word(t, 100 * k, 100 * k + 90, 0.01) for k, t in enumerate("a b c d".split())] + [Word("e", 2000, 2100, 0.9)]
    assert not _reattach_first(four, [1, 1, 1, 1, 1], 0, 8.0)


def _evidence(**changes: Any) -> dict[str, Any]:
    """A segment's evidence for ``_segment_confidence``: a well-fitting line (0.8) whose edges
    both snapped to energy edges, touching neither neighbour; ``changes`` on top."""
    return {"fit": 0.8, "uncovered": 0.0, "snap_start": True, "snap_end": True, "abut_start": False,
            "abut_end": False, "stretch_start": 0.5, "stretch_end": 0.5, "reattached": False,
            "after_lost": False, **changes}  # fmt: skip


def test_a_badly_fitting_first_word_far_before_its_line_makes_the_start_unsure() -> None:
    # a breathy voice: "The" (fit 0.147) 1.22 s before "node", at a line with a clear start;
    # misplaced there, but a real speaker's "and ... here's" looks the same: it stays put and
    # the start loses its confidence
    from clipper.align.speech.assemble import DETACHED_MS, LEAD_FIT, _segment_confidence, _stray_first
    from clipper.model import Word

    def line(fit: float, gap: int = 1220) -> list[Word]:
        return [Word("The", 21640, 21750, fit), Word("node", 21750 + gap, 22160 + gap, 0.905), Word("on", 22160 + gap, 22340 + gap, 0.9)]

    nph = [2, 3, 2]
    assert _stray_first(line(0.147), nph, 0, 21640, 8.0, snapped=False)
    assert not _stray_first(line(LEAD_FIT + 0.01), nph, 0, 21640, 8.0, snapped=False)
    assert not _stray_first(line(0.147, DETACHED_MS - 1), nph, 0, 21640, 8.0, snapped=False)
    # an onset found past the word, just before "node": the line already starts after it
    assert not _stray_first(line(0.147), nph, 0, 22900, 8.0, snapped=True)
    assert _stray_first(line(0.147), nph, 0, 21640, 8.0, snapped=True)
    ev = _evidence(snap_start=False)
    assert _segment_confidence({**ev, "stray_first": False}) == 0.8
    assert _segment_confidence({**ev, "stray_first": True}) < 0.5


def test_a_short_first_word_apart_from_its_line_with_no_onset_makes_the_start_unsure() -> None:
    # music at 5 dB (dev set, --seed 12): "And" put on the music 310 ms before "the AI efforts
    # here", the line 571 ms early at 0.85; with an onset found the line's start is known
    from clipper.align.speech.assemble import DETACHED_MS, _detached_first, _segment_confidence
    from clipper.model import Word

    def line(gap: int = 310, fit: float = 0.743) -> list[Word]:
        return [Word("And", 27130, 27480, fit), Word("the", 27480 + gap, 28150, 0.83), Word("AI", 28150, 28270, 0.947)]

    nph = [3, 2, 2]
    assert _detached_first(line(), nph, 0)
    assert not _detached_first(line(DETACHED_MS - 10), nph, 0)
    assert not _detached_first(line(), [4, 2, 2], 0)  # a longer word is seldom put on music alone
    assert not _detached_first(line(fit=0.0), nph, 0)  # not placed: filled in, nothing to judge
    ev = _evidence(fit=0.85, snap_start=False)
    assert _segment_confidence(ev) == 0.85
    assert _segment_confidence({**ev, "detached_first": True}) < 0.5


def test_a_badly_fitting_last_word_apart_from_its_line_makes_the_end_unsure() -> None:
    # an edited Harvard list (text set, --seed 133): "pierced" took the spoken "ear", and the
    # text's "ear." went on 60 ms at 0.003, 1.33 s later: the line 1370 ms late at 0.71
    from clipper.align.speech.assemble import DETACHED_MS, LEAD_FIT, _segment_confidence, _stray_last
    from clipper.model import Word

    def line(fit: float = 0.003, gap: int = 1330) -> list[Word]:
        return [Word("a", 8620, 8780, 0.897), Word("pierced", 9290, 9720, 0.758), Word("ear.", 9720 + gap, 9780 + gap, fit)]

    assert _stray_last(line(), 2)
    assert not _stray_last(line(LEAD_FIT + 0.01), 2)
    assert not _stray_last(line(gap=DETACHED_MS - 10), 2)
    ev = _evidence(fit=0.75, snap_end=False)
    assert _segment_confidence(ev) == 0.75
    assert _segment_confidence({**ev, "stray_last": True}) < 0.5


def test_a_line_touching_a_squeezed_hum_before_it_has_an_unsure_start() -> None:
    # music at 8 and 12 dB (validation set, --seed 51 and 91): "Mm" squeezed onto 50-120 ms,
    # and "But then", touching it, laid on the murmur's audio: 988 ms early at 0.53-0.54.
    # Lines after a hum of 200 ms or more, or not touching it, were right (128 confident ones)
    from clipper.align.speech.assemble import _segment_confidence

    ev = _evidence(fit=0.75, abut_start=True, snap_start=True)
    assert _segment_confidence({**ev, "after_short_hum": False}) == 0.75
    assert _segment_confidence({**ev, "after_short_hum": True}) < 0.5


def test_an_onset_that_stretches_the_first_word_of_a_touching_line_is_doubted() -> None:
    # music at 12 dB and babble at 7 dB (validation set, --seed 151): no pause found before
    # "But at that time" and "why people should learn", and the onset found made "But" 1.31
    # and "why" 4.4 times their usual length: the lines 569 and 1975 ms early at 0.79 and 0.50
    from clipper.align.speech.assemble import ONSET_STRETCH, _segment_confidence

    ev = _evidence(fit=0.79, abut_start=True, snap_start=True)
    assert _segment_confidence({**ev, "stretch_start": ONSET_STRETCH - 0.01}) == 0.79
    assert _segment_confidence({**ev, "stretch_start": 1.31}) < 0.5
    assert _segment_confidence({**ev, "stretch_start": 4.4, "fit": 0.5}) < 0.5
    # a pause found before the line: its onset is the line's own, whatever the word's length
    assert _segment_confidence({**ev, "abut_start": False, "stretch_start": 1.31}) == 0.79


def test_an_inner_word_a_third_longer_than_usual_is_doubted() -> None:
    # an edited transcript under pink noise (text set, --seed 103): "Because I live windows
    # near Times Square" with an inner word 1.57 times its usual length, its end 1.2 s late on
    # the next line's speech at 0.58; the doubt began at 1.5, now at 1.3
    from clipper.align.speech.assemble import INNER_DOUBT, INNER_STRETCH_LIMIT, _segment_confidence

    ev = _evidence(fit=0.75)
    assert _segment_confidence({**ev, "inner_stretch": INNER_DOUBT}) == 0.75
    assert _segment_confidence({**ev, "inner_stretch": 1.57}) < 0.6
    assert _segment_confidence({**ev, "inner_stretch": INNER_STRETCH_LIMIT}) < 0.5 * 0.75


def test_a_start_after_a_lost_line_needs_a_pause_or_a_good_fit() -> None:
    # the pitched-down voice: "Mm" not found (fit 0.014), "But then" took its audio, 1.1 s
    # early at 0.63; a start after a lost line with a pause and an onset keeps its confidence
    from clipper.align.speech.assemble import _segment_confidence

    ev = _evidence(abut_start=True)
    assert _segment_confidence(ev) == 0.8
    # touching the lost line: a good fit stays confident, a middling one (0.63) does not
    assert 0.5 < _segment_confidence({**ev, "after_lost": True, "fit": 0.9}) < 0.9
    assert _segment_confidence({**ev, "after_lost": True, "fit": 0.63}) < 0.5
    # first words moved off the lost line's audio: 150-460 ms early in every measured case
    assert _segment_confidence({**ev, "after_lost": True, "abut_start": False, "reattached": True, "fit": 0.9}) < 0.5
    # a pause and an onset before it: as confident as anywhere
    assert _segment_confidence({**ev, "after_lost": True, "abut_start": False}) == 0.8


def test_a_last_word_on_a_sliver_leaves_the_end_unsure() -> None:
    # babble: "I think, mm" whose "mm" the decoder did not find was squeezed to 0 ms at the
    # end of "think", and the snapped end was 784 ms early at 0.75
    from clipper.align.speech.assemble import _segment_confidence

    ev = _evidence(abut_end=True)
    assert _segment_confidence({**ev, "sliver_end": False}) == 0.8
    assert _segment_confidence({**ev, "sliver_end": True}) < 0.5


@pytest.mark.parametrize("edge", ["untimed_start", "untimed_end"])
def test_an_edge_word_the_decoder_did_not_place_leaves_that_edge_unsure(edge: str) -> None:
    # a middle stretch's transcript in two parts: "... the country, right" whose "right" the
    # decoder did not place ended on "country", 537 ms early at 0.57
    from clipper.align.speech.assemble import _segment_confidence

    ev = _evidence()
    assert _segment_confidence({**ev, edge: False}) == 0.8
    assert _segment_confidence({**ev, edge: True}) < 0.5


def test_speech_left_after_an_end_that_found_no_offset_leaves_the_end_unsure() -> None:
    # a voice slowed to 0.9: "Sichuan, and then" ended on "and", 528 ms early at 0.66; the
    # energy gate heard "then" in the 600 ms after the end, before the next line began, as
    # loud as the line's words. A real speaker's breath there is speech to the gate too, but
    # quieter than the line: it leaves the end alone
    from clipper.align.speech.assemble import (
        AFTER_MS,
        LOUD_AFTER_DB,
        SPEECH_AFTER_MS,
        _segment_confidence,
        _speech_after,
    )

    speech = np.zeros(4000, dtype=bool)
    speech[3094:3148] = True  # "then": 30.94-31.48 s
    db = np.full(4000, -60.0)
    db[2990:3090] = -25.0  # "Sichuan, and"
    db[3094:3148] = -25.0 + LOUD_AFTER_DB
    assert _speech_after(speech, db, 29900, 30900, 32404) == 540
    assert _speech_after(speech, db, 29900, 30900, 31100) == 160  # the next line's start bounds it
    assert _speech_after(speech, db, 29900, 31500, None) == 0
    assert _speech_after(speech, db, 29900, 31100 - AFTER_MS, None) == 160  # only the 600 ms after the end count
    breath = db.copy()
    breath[3094:3148] = -25.0 + LOUD_AFTER_DB - 1
    assert _speech_after(speech, breath, 29900, 30900, 32404) == 0
    ev = _evidence(snap_end=False)
    assert _segment_confidence({**ev, "speech_after": SPEECH_AFTER_MS - 10}) == 0.8
    assert _segment_confidence({**ev, "speech_after": SPEECH_AFTER_MS}) < 0.5
    # an offset found where the line ends: the speech after it is the next sound, not this line's
    assert _segment_confidence({**ev, "speech_after": 540, "snap_end": True}) == 0.8


def test_a_last_word_that_fits_badly_leaves_the_end_and_a_start_on_its_heels_unsure() -> None:
    # edited transcripts (text set, --seed 53): "Be taking the" whose audio goes on with words
    # the text lacks, "the" stretched over them to 1.37 times its usual length, 539 ms late
    # at 0.57; "Is young Xie Saining" whose "Saining" (fit 0.257) ended 979 ms early at 0.55
    # before speech no line took. A short word fitting badly is common on right lines
    from clipper.align.speech.assemble import (
        LAST_MISFIT_AFTER_MS,
        LAST_MISFIT_FIT,
        LAST_MISFIT_LENGTH,
        _segment_confidence,
    )

    ev = _evidence(last_fit=0.257, stretch_end=1.37)
    assert _segment_confidence(ev) < 0.5
    assert _segment_confidence({**ev, "stretch_end": LAST_MISFIT_LENGTH - 0.01}) == 0.8
    assert _segment_confidence({**ev, "last_fit": LAST_MISFIT_FIT}) == 0.8
    assert _segment_confidence({**ev, "last_fit": None}) == 0.8  # evidence without the edge words' fits
    short = _evidence(last_fit=0.257, snap_end=False, stretch_end=0.26, speech_after=LAST_MISFIT_AFTER_MS)
    assert _segment_confidence(short) < 0.5
    assert _segment_confidence({**short, "speech_after": LAST_MISFIT_AFTER_MS - 10}) == 0.8
    # an offset found where the line ends: what follows is the next sound
    assert _segment_confidence({**short, "snap_end": True}) == 0.8
    # the next line, with no onset found, began on "Saining"'s tail: 859 ms early at 0.51
    after = _evidence(snap_start=False, stretch_start=0.5)
    assert _segment_confidence({**after, "after_misfit": False}) == 0.8
    assert _segment_confidence({**after, "after_misfit": True}) < 0.5


def test_a_first_word_squeezed_or_far_from_the_next_leaves_the_start_unsure() -> None:
    # 16 kb/s MP3: "Sichuan," (six phones read by rule) put on 141 ms, the line 733 ms late
    # at 0.61; babble: "And I" 630 ms before "think", laid on another voice 869 ms early at 0.87
    from clipper.align.speech.assemble import FAR_FIRST_MS, _far_first, _segment_confidence
    from clipper.model import Word

    line = [Word("And", 42854, 43190, 0.79), Word("I", 43190, 43360, 0.68), Word("think", 43990, 44350, 0.86),
            Word("I", 44350, 44460, 0.95)]  # fmt: skip
    assert _far_first(line, 0)
    near = [*line[:2], Word("think", 43360 + FAR_FIRST_MS - 10, 44350, 0.86), line[3]]
    assert not _far_first(near, 0)
    # a pause after the third word is inside the line, not at its start
    late = [*line[:2], Word("think", 43360, 43700, 0.86), Word("I", 43700 + FAR_FIRST_MS, 44460, 0.95)]
    assert not _far_first(late, 0)
    ev = _evidence(fit=0.87)
    assert _segment_confidence(ev) == 0.87
    assert _segment_confidence({**ev, "far_first": True}) < 0.5
    assert _segment_confidence({**ev, "squeezed_first": True}) < 0.5


def test_a_long_first_word_on_a_sliver_is_squeezed_a_short_one_is_not() -> None:
    # a six-phone name on 141 ms at pace 9 is squeezed; "The" said in 70 ms is not (short
    # words are often said that fast: counted, they took 16 right confident lines of the
    # measured sets), nor a full "Sichuan"
    from clipper.align.speech.assemble import _squeezed
    from clipper.model import Word

    assert _squeezed(Word("Sichuan", 27669, 27810, 0.3), 6, 9.0)
    assert not _squeezed(Word("Sichuan", 27200, 27810, 0.3), 6, 9.0)
    assert not _squeezed(Word("The", 27740, 27810, 0.9), 2, 9.0)
    assert not _squeezed(Word("For", 77940, 77960, 0.9), 3, 9.0)
    # a hum the decoder squeezed to nothing: its onset is not known
    assert _squeezed(Word("Mm", 4382, 4382, 0.43), 1, 8.5, hum=True)
    assert not _squeezed(Word("Mm", 4382, 4382, 0.43), 1, 8.5)
    assert not _squeezed(Word("Mm", 4232, 4382, 0.43), 1, 8.5, hum=True)


def test_a_first_word_that_fits_badly_on_its_full_length_leaves_the_start_unsure() -> None:
    # a cleaned transcript: "Well, a little I guess" whose "Um" the text left out; "Well,"
    # (fit 0.143) took the "Um", 527 ms early at 0.52. A word nobody said ("Context") before a
    # line: 630 ms early at 0.62. A misfit squeezed short ("For" in 70 ms) is not one
    from clipper.align.speech.assemble import MISFIT_FIT, _misfit, _segment_confidence
    from clipper.model import Word

    assert _misfit(Word("Well,", 68946, 69280, 0.143), 3, 8.1)
    assert _misfit(Word("Context", 3996, 4610, 0.051), 8, 8.2)
    assert not _misfit(Word("Well,", 68946, 69280, MISFIT_FIT), 3, 8.1)
    assert not _misfit(Word("For", 41000, 41070, 0.047), 3, 8.0)
    ev = _evidence()
    assert _segment_confidence({**ev, "misfit_first": False}) == 0.8
    assert _segment_confidence({**ev, "misfit_first": True}) < 0.5


def test_a_long_gap_inside_a_line_or_a_one_word_line_stretched_leaves_the_line_unsure() -> None:
    # an edited transcript under noise: a word nobody said pushed "sides of the same coin"
    # 2.3 s past "two", onto the next line's audio (the end 3.7 s late at 0.75); cleaned text
    # under babble: "Why" stretched to twice its length at both edges, 538 ms early at 0.77
    from clipper.align.speech.assemble import GAP_INSIDE_MS, ONE_STRETCHED, _gap_inside, _segment_confidence
    from clipper.model import Word

    line = [Word("They", 43590, 44210, 0.75), Word("are", 44380, 44550, 0.9), Word("two", 44550, 44700, 0.48),
            Word("sides", 47010, 47220, 0.81), Word("coin", None, None, 0.0)]  # fmt: skip
    assert _gap_inside(line) == 2310
    assert _gap_inside(line[:3]) == 170
    assert _gap_inside(line[:1]) == 0
    ev = _evidence()
    assert _segment_confidence({**ev, "gap_inside": GAP_INSIDE_MS - 10}) == 0.8
    assert _segment_confidence({**ev, "gap_inside": GAP_INSIDE_MS}) < 0.5
    one = {**ev, "timed": 1, "stretch_start": ONE_STRETCHED, "stretch_end": 1.9}
    assert _segment_confidence(one) < 0.5
    assert _segment_confidence({**one, "timed": 2}) == 0.8
    assert _segment_confidence({**one, "stretch_end": ONE_STRETCHED - 0.1}) == 0.8


def test_a_run_crowded_against_its_one_confident_line_falls_back() -> None:
    # Harvard sentences under babble (validation): line 0 confident, the other nine unsure,
    # each laid on the babble before it, drifting up to 10.7 s early; nothing held the run's
    # end. The activity engine had them within 1.3 s. Decoder and activity times as measured.
    import numpy as np

    from clipper.align.speech.assemble import _Audio, _crowded, _fall_back
    from clipper.model import Segment, Word

    dec = [(1127, 4290, 0.77), (6255, 9630, 0.34), (10152, 13208, 0.34), (13730, 16870, 0.31), (17286, 22230, 0.34),
           (22230, 24500, 0.32), (24500, 28230, 0.23), (29120, 31630, 0.22), (31852, 38170, 0.48), (38636, 43530, 0.45)]
    act = {0: (0, 4629), 1: (4933, 10639), 2: (11943, 16973), 3: (17261, 22242), 4: (22352, 27037),
           5: (27251, 32081), 6: (32165, 37251), 7: (37358, 42557), 8: (42644, 48432)}  # fmt: skip
    text = "the gold ring fits only a pierced ear"
    segs = [Segment(k, text, tuple(Word(w) for w in text.split()), a, b, c) for k, (a, b, c) in enumerate(dec)]
    audio = _Audio("", 52_000 * 16, np.full(5200, -20.0, dtype=np.float32))
    stats: dict[str, int] = {}
    out = _fall_back(segs, act, audio, np.ones(5200, dtype=bool), stats)
    assert out[0] == segs[0]  # a confident line never moves
    assert [(s.start, s.end, s.confidence) for s in out[1:9]] == [(a, b, 0.0) for a, b in list(act.values())[1:]]
    assert not out[9].placed and stats["prior_fallbacks"] == 9  # past the last placed line: nowhere
    # the same run far on the other side of the activity engine's times (away from its
    # confident line: a chain that fell behind) is lost too; held on both sides, it stays
    late = {k: (a - 15_000, b - 15_000) for k, (a, b) in act.items()}
    assert _crowded(segs, run := list(range(1, 10)), late, True, False)
    mixed = {k: (a - 15_000, b - 15_000) if k % 2 else (a, b) for k, (a, b) in act.items()}
    assert not _crowded(segs, run, mixed, True, False)  # far on both sides: not one drift
    held = [*segs, Segment(10, text, segs[0].words, 50_000, 51_000, 0.9)]
    assert _fall_back(held, act, audio, np.ones(5200, dtype=bool), {}) == held
    # fewer than half of the run far (or fewer than three lines) is not crowding
    assert _crowded(segs, run, act, True, False)
    assert not _crowded(segs, run, {k: v for k, v in act.items() if k not in (3, 4, 5)}, True, False)
    assert not _crowded(segs, [7, 8], act, True, False)
    # the mirror image: a run before the first confident line, laid late towards it
    mirror = [s.with_times(60_000 - s.end, 60_000 - s.start) for s in reversed(segs)]  # type: ignore[operator]
    m_act = {9 - k: (60_000 - b, 60_000 - a) for k, (a, b) in act.items()}
    assert _crowded(mirror, list(range(0, 9)), m_act, False, True)
    assert not _crowded(mirror, list(range(0, 9)), m_act, True, True)  # held on both sides


def test_a_run_stretched_from_a_right_start_is_late_and_takes_its_unplaced_lines_with_it() -> None:
    # espeak in telephone band with a tenth of the words edited (text set, --seed 63), as
    # measured: from line 1 on the decoder fell ever further behind, 4-21 s late, ran out of
    # audio at line 19 and left the last ten lines unplaced; the activity engine had all
    # 29 within 1.7 s, most within 10 ms. Line 1 kept its right start (1 ms early) and was
    # stretched 4.1 s late at its end: it is late, and so is the whole run
    from clipper.align.speech.assemble import _Audio, _crowded, _fall_back
    from clipper.model import Segment, Word

    dec = [(11960, 13420, 0.688), (13719, 19000, 0.299), (19520, 20400, 0.31), (21200, 24040, 0.315),
           (24040, 26910, 0.111), (27144, 30881, 0.029), (33480, 35830, 0.155), (35830, 40570, 0.028),
           (40570, 42990, 0.131), (44010, 47420, 0.145), (47420, 47649, 0.087), (47714, 49800, 0.124),
           (49800, 51720, 0.061), (53210, 60120, 0.145), (60950, 66190, 0.097), (66190, 66967, 0.121),
           (67000, 69240, 0.135), (69240, 73850, 0.121), (74094, 78950, 0.056), (78950, 79472, 0.043)]
    act = {0: (11961, 13424), 1: (13720, 14882), 2: (15763, 17032), 3: (17214, 18973), 4: (19225, 20618),
           5: (20964, 22293), 6: (22897, 25020), 7: (25708, 28403), 8: (29185, 30883), 9: (33125, 36299),
           10: (38175, 39044), 11: (39087, 41433), 12: (41627, 43049), 13: (43452, 46049), 14: (46396, 48815),
           15: (49140, 50251), 16: (51136, 52547), 17: (52677, 55610), 18: (55798, 58043), 19: (58474, 60078),
           20: (60618, 61715), 21: (62316, 64729), 22: (65733, 67458), 23: (67690, 68191), 24: (68777, 69264),
           25: (69560, 71692), 26: (72137, 72556), 27: (73049, 75822), 28: (76478, 76809), 29: (77507, 79476)}  # fmt: skip
    text = "and for the first time I felt"
    words = tuple(Word(w) for w in text.split())
    segs = [Segment(k, text, words, a, b, c) for k, (a, b, c) in enumerate(dec)]
    segs += [Segment(k, text, words) for k in range(len(dec), 30)]
    run = list(range(1, 20))
    assert _crowded(segs, run, act, True, False)
    # its start alone (1 ms early) would have put line 1 on the other side: not one drift
    assert segs[1].start is not None and segs[1].start < act[1][0]
    audio = _Audio("", 80_720 * 16, np.full(8072, -20.0, dtype=np.float32))
    stats: dict[str, int] = {}
    out = _fall_back(segs, act, audio, np.ones(8072, dtype=bool), stats)
    assert out[0] == segs[0]  # the confident line stays
    # every line of the run, placed or not, on the activity engine's times, confidence 0
    assert [(s.start, s.end, s.confidence) for s in out[1:]] == [(a, b, 0.0) for k, (a, b) in act.items() if k]
    assert stats["prior_fallbacks"] == 29


def test_a_run_the_activity_engine_laid_short_of_the_speech_s_end_keeps_the_decoder_s_times() -> None:
    # espeak under a music bed at 8 dB (validation set --seed 11, val_tts_g_music8), as
    # measured: the activity engine laid the last eight lines 4.2-5.2 s early and left the
    # last 4.3 s of speech to no text; the decoder had them 0.02-1.15 s off, unsure, late of
    # the activity engine's: a crowded run at the text's end, which fell back to those times
    from clipper.align.speech.assemble import _Audio, _crowded, _fall_back, _text_short
    from clipper.model import Segment, Word

    dec = [(71000, 73867, 0.887), (74600, 75193, 0.783), (75760, 76349, 0.326), (76860, 77610, 0.275),
           (77610, 80690, 0.165), (80690, 81440, 0.204), (82130, 82850, 0.084), (83090, 86070, 0.342),
           (86070, 86300, 0.396), (86300, 86838, 0.218)]
    act = {2: (71012, 71886), 3: (71920, 72555), 4: (72640, 75266), 5: (75611, 76446), 6: (76889, 77776),
           7: (77943, 81444), 8: (82101, 82656), 9: (82940, 83696)}
    # the speech engine's speech frames (10 ms) from 82 s to the end of the file
    runs = [(8215, 8258), (8259, 8261), (8312, 8326), (8335, 8345), (8346, 8365), (8371, 8408), (8415, 8444),
            (8445, 8447), (8448, 8450), (8451, 8452), (8454, 8455), (8457, 8477), (8478, 8522), (8524, 8525),
            (8542, 8545), (8546, 8569), (8570, 8595), (8598, 8599), (8600, 8605), (8606, 8607), (8609, 8611),
            (8612, 8613), (8614, 8615), (8616, 8618), (8619, 8621), (8622, 8623), (8625, 8626), (8628, 8629),
            (8630, 8672), (8673, 8677), (8678, 8679), (8680, 8681), (8682, 8684), (8732, 8744), (8761, 8762),
            (8764, 8799)]  # fmt: skip
    speech = np.zeros(8868, dtype=bool)
    for a, b in runs:
        speech[a:b] = True
    text = "and for the first time I felt"
    words = tuple(Word(w) for w in text.split())
    segs = [Segment(k, text, words, a, b, c) for k, (a, b, c) in enumerate(dec)]
    run = list(range(2, 10))
    assert _crowded(segs, run, act, True, False)
    assert _text_short(segs, range(2, 10), act, speech, (0, 88_680), False, True)
    # where the activity engine did not place the run's last lines, its times do not show
    # where its text ran out (babble at 10 dB, validation seed 31: the decoder's run, 2-9.5 s
    # early, was kept over the activity engine's 0.6-1.9 s off)
    unplaced_end = {k: v for k, v in act.items() if k < 8}
    assert not _text_short(segs, range(2, 10), unplaced_end, speech, (0, 88_680), False, True)
    audio = _Audio("", 88_680 * 16, np.full(8868, -20.0, dtype=np.float32))
    stats: dict[str, int] = {}
    assert _fall_back(segs, act, audio, speech, stats) == segs and stats["prior_fallbacks"] == 0
    # the same run where the speech ends with the activity engine's last line falls back (as
    # it did: lines 5-9 on the activity engine's times, 2-4 unplaced, theirs being before line 1's end)
    speech[8370:] = False
    out = _fall_back(segs, act, audio, speech, stats)
    assert [s.confidence for s in out[2:]] == [0.0] * 8
    assert [(s.start, s.end) for s in out[5:]] == [act[k] for k in range(5, 10)]
    assert [s.start for s in out[2:5]] == [None] * 3


def test_a_far_line_with_nothing_confident_in_the_file_falls_back() -> None:
    # espeak under pink noise 5 dB louder than the speech (extreme set, --seed 34): recognition
    # heard 3 words, the decoder found 2 words of the first line at 60.1 s (truth 0.9-2.5 s,
    # confidence 0.06) and nothing else. No line of the file is confident, so nothing holds
    # the one it placed: far from the activity engine's times, it takes them (as measured);
    # one that engine did not place either has no support at all
    from clipper.align.speech.assemble import _Audio, _crowded, _fall_back
    from clipper.model import Segment, Word

    text = "is young scientist Xie Saining"
    words = tuple(Word(w) for w in text.split())
    segs = [Segment(0, text, words, 60_100, 60_650, 0.062)] + [Segment(k, text, words) for k in range(1, 6)]
    act = {0: (568, 1995), 1: (2100, 7000), 2: (7300, 9800)}
    audio = _Audio("", 102_000 * 16, np.full(10_200, -20.0, dtype=np.float32))
    stats: dict[str, int] = {}
    out = _fall_back(segs, act, audio, np.ones(10_200, dtype=bool), stats)
    assert (out[0].start, out[0].end, out[0].confidence) == (568, 1995, 0.0)
    # the lines it did not place are lost with it: those the activity engine placed take its
    # times (confidence 0: a guess), the others stay unplaced
    assert [(s.start, s.end, s.confidence) for s in out[1:3]] == [(2100, 7000, 0.0), (7300, 9800, 0.0)]
    assert not any(s.placed for s in out[3:]) and stats["prior_fallbacks"] == 6
    # near the activity engine's times it stays
    near = [segs[0].with_times(900, 2400), *segs[1:]]
    assert _fall_back(near, act, audio, np.ones(10_200, dtype=bool), {}) == near
    # with another draw of the noise the activity engine did not place that line: unplaced
    # (the decoder placed 1 of 6 lines); all of them placed, such a line stays
    out = _fall_back(segs, {k: v for k, v in act.items() if k}, audio, np.ones(10_200, dtype=bool), {})
    assert [s.placed for s in out] == [False, True, True, False, False, False]
    full = [segs[0].with_times(900, 2400), *(s.with_times(3000 * s.id, 3000 * s.id + 2000, confidence=0.3) for s in segs[1:])]
    assert _fall_back(full, {k: v for k, v in act.items() if k}, audio, np.ones(10_200, dtype=bool), {}) == full
    # two far lines on both sides of the activity engine's times are not one drift
    two = [segs[0], Segment(1, text, words, 20_000, 21_000, 0.1), *segs[2:]]
    assert not _crowded(two, [0, 1], {0: act[0], 1: (30_000, 31_000)}, False, False)
    assert _crowded(two, [0, 1], {0: act[0], 1: (2100, 3000)}, False, False)


def test_a_line_whose_words_straddle_a_long_pause_is_cut_where_the_activity_engine_ends_it() -> None:
    # read sentences with 2 s pauses and a tenth of the words edited, under pink noise at 10 dB
    # (text set, --seed 53), as measured: the decoder put "His shirt was" on its sentence, then
    # the other seven words across the 2.9 s pause onto the next sentence (the line 5.4 s late
    # at its end, confidence 0.10). The activity engine had the line within 120 ms
    from clipper.align.speech.assemble import _Audio, _fall_back
    from clipper.model import Segment, Word

    def line(k: int, text: str, words: list[tuple[int | None, int | None, float | None]], conf: float | None) -> Segment:
        ws = tuple(Word(t, a, b, c) for t, (a, b, c) in zip(text.split(), words, strict=True))
        return Segment(k, text, ws, ws[0].start, max(w.end or 0 for w in ws) or None, conf)

    his = [(37620, 37880, 0.857), (37880, 38160, 0.873), (39130, 39790, 0.712), (42650, 43540, 0.635), (43540, 44000, 0.937),
           (44000, 44470, 0.636), (44470, 44750, 0.8), (44750, 44910, 0.031), (45060, 45330, 0.311), (45860, 46120, 0.827)]  # fmt: skip
    segs = [
        line(0, "Write fast, if you want to finish early.", [(32990 + 300 * i, 33290 + 300 * i, 0.9) for i in range(8)], 0.674),
        line(1, "His shirt was paradox clean but one button was gone.", his, 0.1),
        line(2, "The barrel of beer was a brew of and hops.", [(48670 + 300 * i, 48970 + 300 * i, 0.5) for i in range(6)] + [(None, None, None)] * 4, 0.057),
        Segment(3, "Tin cans are absent from store shelves.", tuple(Word(w) for w in "Tin cans are absent from store shelves.".split())),
    ]
    act = {0: (32945, 35597), 1: (37640, 40750), 2: (42695, 46117), 3: (48695, 51359)}
    n = 53_650 // 10
    audio = _Audio("", n * 160, np.full(n, -20.0, dtype=np.float32))
    speech = np.zeros(n, dtype=bool)
    for a, b in [(32850, 35730), (37520, 40760), (42570, 46320), (48580, 51420)]:
        speech[a // 10 : b // 10] = True
    stats: dict[str, int] = {}
    out = _fall_back(segs, act, audio, speech, stats)
    assert stats["gap_cuts"] == 1 and stats["prior_fallbacks"] == 0
    cut = out[1]
    assert (cut.start, cut.end, cut.confidence) == (37620, 40750, 0.1)  # truth 37520-40760
    assert cut.words[:3] == segs[1].words[:3]  # the words before the pause stay
    # the seven after it are spread from "was" to the cut, in order, none of them a point
    rest = cut.words[3:]
    assert rest[0].start == 39790 and rest[-1].end == 40750 and all(w.confidence == 0.0 for w in rest)
    assert all(w.end > w.start for w in rest) and all(a.end == b.start for a, b in zip(rest, rest[1:], strict=False))
    assert out[0] == segs[0] and out[2] == segs[2]
    # the same line with the activity engine's time over the pause: a pause its speaker made
    assert _fall_back(segs, {**act, 1: (37640, 46200)}, audio, speech, {}) == segs
    # the activity engine out of step with the decoder on the line before (another draw: it put
    # each line on the sentence before, the cut would have sent the line 5.4 s off): no cut
    assert _fall_back(segs, {**act, 0: (28100, 31700)}, audio, speech, {}) == segs
    # the same line last in the text: its words after a pause are its own, whatever ends the activity engine's time
    assert _fall_back(segs[:2], act, audio, speech, {})[1] == segs[1]
    # confident, it is not cut
    sure = [s if k != 1 else replace(s, confidence=0.6) for k, s in enumerate(segs)]
    assert _fall_back(sure, act, audio, speech, {})[1] == sure[1]
    # the mirror image (an edited list, --seed 63): a line opening on two words laid on the end
    # of the sentence before, 2.1 s before the rest, 3.2 s early; cut at the activity engine's start
    watch = [(14260, 14430, 0.684), (14430, 15390, 0.633), (17460, 17520, 0.367), (17520, 18000, 0.91), (18000, 18670, 0.843),
             (19300, 19480, 0.959), (19480, 19570, 0.015), (19570, 20140, 0.948), (20140, 20720, 0.912)]  # fmt: skip
    early = [segs[0].with_times(11490, 14070), line(1, "Watch reconstruct the log float in this wide river.", watch, 0.121),
             line(2, "The node on the stalk of wheat grew same daily.", [(22640 + 340 * i, 22980 + 340 * i, 0.9) for i in range(10)], 0.811)]  # fmt: skip
    early[0] = replace(early[0], words=tuple(Word(w.text, 11490 + 300 * i, 11790 + 300 * i, 0.9) for i, w in enumerate(early[0].words)))
    act = {0: (10538, 15401), 1: (17462, 22113), 2: (22396, 26590)}
    out = _fall_back(early, act, audio, speech, {})
    assert (out[1].start, out[1].end) == (17460, 20720)  # truth 17440-20780
    assert out[1].words[3:] == early[1].words[3:]
    # with no time between the cut and "the", the two words share it with "the" (confidence 0)
    first = out[1].words[:3]
    assert first[0].start == 17460 and first[-1].end == 17520 and all(w.end > w.start and w.confidence == 0.0 for w in first)


def test_a_run_that_strayed_behind_and_came_back_between_agreeing_lines_falls_back() -> None:
    # espeak through a telephone band with a tenth of the words edited (text set, --seed 43),
    # as measured: from line 13 the decoder laid three lines 3.2-5.2 s late (unsure), then was
    # right again from line 16; the lines either side of the run are confident and the activity
    # engine agrees with them, and it had the three within 4 ms
    from clipper.align.speech.assemble import _Audio, _excursions, _fall_back
    from clipper.model import Segment, Word

    texts = ["When I was about 9 years old", "I got my first computer", "And from that time on",
             "100 not for anything productive, right", "Buying box by inputs box and playing fine",
             "Then the gradually came inside along", "Say and for the first time I felt this information explosion",
             "That was first time I understood what \"content\" meant", "And at that time felt",
             "I suddenly had more desire to express myself", "Because reading books is still one-directional"]  # fmt: skip
    dec = [(17214, 18976, 0.648), (19225, 20615, 0.692), (20964, 22200, 0.326), (22200, 25018, 0.085), (25708, 30881, 0.328),
           (33125, 36080, 0.157), (36980, 41360, 0.111), (41360, 41920, 0.011), (41920, 43048, 0.249), (43452, 46029, 0.693),
           (46395, 48813, 0.714)]  # fmt: skip
    act = {0: (17214, 18979), 1: (19225, 20619), 2: (20964, 22293), 5: (29185, 30883), 6: (33125, 36302), 7: (38175, 41434),
           8: (41627, 43049), 9: (43452, 46029), 10: (46396, 48815)}  # fmt: skip
    truth = [(17218, 18980), (19229, 20615), (20968, 22290), (22900, 25022), (25714, 28400), (29189, 30880), (33127, 36298),
             (38177, 41434), (41629, 43050), (43456, 46062), (46399, 48814)]  # fmt: skip
    segs = [Segment(k, t, tuple(Word(w) for w in t.split()), a, b, c) for k, (t, (a, b, c)) in enumerate(zip(texts, dec, strict=True))]
    n = 50_000 // 10
    audio = _Audio("", n * 160, np.full(n, -20.0, dtype=np.float32))
    speech = np.zeros(n, dtype=bool)
    for a, b in truth:
        speech[a // 10 : b // 10] = True
    # with line 4 before it, which the activity engine did not place: the decoder ended it
    # 2.5 s late, on line 5's speech
    assert _excursions(segs, act) == [(4, 8)]
    stats: dict[str, int] = {}
    out = _fall_back(segs, act, audio, speech, stats)
    assert stats["excursion_fallbacks"] == 4 and stats["prior_fallbacks"] == 4
    assert [(s.start, s.end, s.confidence) for s in out[5:8]] == [(*act[k], 0.0) for k in (5, 6, 7)]
    assert [max(abs(s.start - a), abs(s.end - b)) for s, (a, b) in zip(out[5:8], truth[5:8], strict=True)] == [4, 4, 2]
    # line 4 takes the gap before line 5 (``_place_events``), closer than the decoder's 2.5 s
    assert out[4].confidence == 0.0 and max(abs(out[4].start - truth[4][0]), abs(out[4].end - truth[4][1])) < 1000
    assert out[:4] == segs[:4] and out[8:] == segs[8:]  # the lines near the activity engine's stay
    # the activity engine out of step with the decoder at a line that holds the run: nothing moves
    assert _excursions(segs, {**act, 9: (41000, 43000)}) == []
    # two lines that far are not a row
    assert _excursions([*segs[:7], segs[7].with_times(38200, 41400), *segs[8:]], act) == []
    # nor are lines far on both sides
    assert _excursions([*segs[:6], segs[6].with_times(29000, 33000), *segs[7:]], act) == []


def test_a_drift_to_the_last_line_with_speech_left_over_falls_back() -> None:
    # espeak under babble at 10 dB with a cleaned transcript (text set, --seed 43), as
    # measured: from the 12th line on the decoder laid the text ever earlier than the activity
    # engine, up to 13 s, and ended it 11 s before the speech did; two lines inside the drift
    # stayed confident ("Right", 5.7 s early at 0.68; the last line, 11.6 s early at 0.75)
    # and held the unsure runs between them on both sides. The activity engine had every line
    # within 2 s
    from clipper.align.speech.assemble import _Audio, _fall_back
    from clipper.model import Segment, Word

    case = json.loads((TESTDATA / "speech" / "babble_drift.json").read_text())
    segs = [Segment(k, t, tuple(Word(w) for w in t.split()), a, b, c) for k, (t, (a, b, c)) in enumerate(zip(case["lines"], case["decoder"], strict=True))]
    act = {int(k): (a, b) for k, (a, b) in case["activity"].items()}
    n = case["duration_ms"] // 10
    audio = _Audio("", n * 160, np.full(n, -20.0, dtype=np.float32))
    babble = np.ones(n, dtype=bool)  # under babble the energy is speech-like throughout
    was = [max(abs(s.start - a), abs(s.end - b)) for s, (a, b) in zip(segs, case["truth_ms"], strict=True) if s.confidence >= 0.5]
    assert sum(e > 500 for e in was) == 2  # the case as measured
    stats: dict[str, int] = {}
    out = _fall_back(segs, act, audio, babble, stats)
    assert stats["prior_fallbacks"] == 31
    errs = [(s.confidence, max(abs(s.start - a), abs(s.end - b))) for s, (a, b) in zip(out, case["truth_ms"], strict=True) if s.start is not None and s.end is not None]
    assert not [e for c, e in errs if c is not None and c >= 0.5 and e > 500]
    assert len(errs) == 40 and max(e for _, e in errs) <= 2000
    assert out[:11] == segs[:11]  # before the drift nothing moves
    # where the text reaches the end of the speech the same drift is kept: the activity
    # engine, not the decoder, may be the one off (under babble it was 7 s late elsewhere)
    covered = babble.copy()
    covered[(segs[-1].end + 300) // 10 :] = False
    assert _fall_back(segs, act, audio, covered, {}) == segs
    # and so it is where most of its lines are confident
    sure = [s if k < 11 or k % 2 else replace(s, confidence=0.8) for k, s in enumerate(segs)]
    assert _fall_back(sure, act, audio, babble, {}) == sure


def test_a_chain_that_fell_behind_and_ran_out_of_audio_falls_back_whatever_its_confident_lines() -> None:
    # espeak under a transcript with a quarter of its words edited (text set, --seed 83), as
    # measured: from the sixth line on the decoder laid the text ever later than the activity
    # engine, up to 21 s, and ran out of audio ten lines before the text's end. Three lines
    # inside the drift stayed confident (2.7 s late at 0.80, 6.2 s at 0.54, 12 s at 0.55) and
    # cut the unsure lines into short runs. The activity engine had lines 5-24 within 2 s
    from clipper.align.speech.assemble import _Audio, _drifts, _fall_back
    from clipper.model import Segment, Word

    case = json.loads((TESTDATA / "speech" / "fell_behind.json").read_text())
    segs = [Segment(k, t, tuple(Word(w) for w in t.split()), a, b, c) for k, (t, (a, b, c)) in enumerate(zip(case["lines"], case["decoder"], strict=True))]
    act = {int(k): (a, b) for k, (a, b) in case["activity"].items()}
    span = (case["span_ms"][0], case["span_ms"][1])
    n = case["duration_ms"] // 10
    audio = _Audio("", n * 160, np.full(n, -20.0, dtype=np.float32))
    speech = np.zeros(n, dtype=bool)
    for a, b in case["speech_frames"]:
        speech[a:b] = True

    def errors(out: list[Segment]) -> list[tuple[int, float, int]]:
        return [(k, s.confidence or 0.0, max(abs(s.start - a), abs(s.end - b)))
                for k, (s, (a, b)) in enumerate(zip(out, case["truth_ms"], strict=True)) if s.start is not None and s.end is not None]  # fmt: skip

    was = errors(segs)
    assert [k for k, c, e in was if c >= 0.5 and e > 2000] == [7, 10, 16]  # the case as measured
    assert max(e for _, _, e in was) > 20_000 and len(was) == 28
    stats: dict[str, int] = {}
    out = _fall_back(segs, act, audio, speech, stats, span)
    got = errors(out)
    # lines 5-16 by the drift; 17-37, an unsure run held on one side only, are lost by their own rule
    assert stats["drift_fallbacks"] >= 10 and stats["prior_fallbacks"] >= 30
    assert len(got) >= 34 and max(e for k, _, e in got if k >= 5) <= 2000, got
    assert not [k for k, c, e in got if k >= 5 and c >= 0.5]  # moved, not found
    assert out[:5] == segs[:5]  # before the drift nothing moves
    # two confident lines in a row are the chain still holding: the drift starts after them
    # (an unspoken paragraph after such lines had put the activity engine 2-8 s early there;
    # here 5 and 6, made confident, join 7, and the drift starts at 8)
    assert _drifts(segs, act, speech, span) == [(5, 38)]
    held = [replace(s, confidence=0.9) if k in (5, 6) else s for k, s in enumerate(segs)]
    assert _drifts(held, act, speech, span) == [(8, 38)]
    # it is a drift because text is left over: where the text ends with the decoder's last line
    # there is none (the unsure runs may still be lost, by their own rule)
    stats = {}
    _fall_back(segs[:28], act, audio, speech, stats, span)
    assert stats["drift_fallbacks"] == 0


def test_lines_over_a_competing_sound_lose_confidence_and_over_a_quiet_or_steady_one_keep_it() -> None:
    from clipper.align.speech.assemble import COMPETE_FACTOR, _competing
    from clipper.model import Segment, Word

    rng = np.random.default_rng(5)
    # 20 lines of 2 s at speech level with pauses of 700 ms between them (10 ms frames)
    segs, db = [], np.zeros(0, dtype=np.float32)
    for k in range(20):
        a = len(db) * 10 + 700
        segs.append(Segment(k, f"line {k}", (Word("line"), Word(str(k))), a, a + 2000, 0.8))
        db = np.concatenate([db, np.full(70, np.nan), rng.uniform(-30, -14, 200)]).astype(np.float32)
    pause = np.isnan(db)

    def run(level: np.ndarray) -> tuple[list[Segment], dict[str, int]]:
        stats: dict[str, int] = {}
        return _competing(segs, np.where(pause, level, db).astype(np.float32), stats), stats

    t = np.arange(len(db))
    # other voices 12 dB under the speaker: the pauses swing by syllables (~4 Hz) and bursts
    voices = -32 + 5 * np.sin(2 * np.pi * t / 25) + rng.normal(0, 2, len(db))
    out, stats = run(voices)
    assert stats["competing"] == 20
    assert [s.confidence for s in out] == [round(0.8 * COMPETE_FACTOR, 3)] * 20
    assert [(s.start, s.end, s.words) for s in out] == [(s.start, s.end, s.words) for s in segs]
    # steady noise as loud, a quiet room whose breaths and tails swing as much (30 dB under
    # the speech), or the voices far under the speaker: nothing changes
    for level in (-32 + rng.normal(0, 0.5, len(db)), voices - 30, voices - 8):
        out, stats = run(level)
        assert out == segs and stats.get("competing", 0) == 0
    # lines at confidence 0 (the activity engine's times) stay as they are
    zero = [replace(s, confidence=0.0) if k % 2 else s for k, s in enumerate(segs)]
    out = _competing(zero, np.where(pause, voices, db).astype(np.float32), {})
    assert out[1::2] == zero[1::2] and all(s.confidence == round(0.8 * COMPETE_FACTOR, 3) for s in out[::2])


def test_drop_blips_drops_short_loud_runs_between_quiet_ones_only() -> None:
    from clipper.align.speech.audio import _drop_blips

    m = np.array([int(c) for c in "110001100000011100001111111011"], dtype=bool)
    # runs of 2 between quiet go; runs of 3 and 7 stay, so do short runs at either end
    assert "".join(str(int(v)) for v in _drop_blips(m, 3)) == "110000000000011100001111111011"
    assert "".join(str(int(v)) for v in _drop_blips(m, 4)) == "110000000000000000001111111011"
    assert _drop_blips(np.zeros(0, dtype=bool), 20).shape == (0,)


def test_prior_can_be_switched_off() -> None:
    on = _align(_lines(), CLIP / "acoustic_clip.flac")
    off = _align(_lines(), CLIP / "acoustic_clip.flac", prior=False)
    assert on.stats["prior"] is True and off.stats["prior"] is False
    assert max(_errors(off)) <= 120


# ---------------------------------------------------------------- transcripts that do not match


@pytest.fixture(scope="module")
def tts_cut(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    """The first 222.5 s of the espeak benchmark video as WAV, and its truth segments."""
    import subprocess

    from clipper.media import ffmpeg_binary

    video = shared_path("bench", "tts", "seed_tts_10min.mp4")
    truth = json.loads(shared_path("bench", "tts", "seed_tts_10min.truth.json").read_text())["segments"]
    out = tmp_path_factory.mktemp("tts") / "cut.wav"
    subprocess.run([ffmpeg_binary(), "-v", "error", "-i", str(video), "-t", "222.5", "-vn", "-ac", "1", "-ar", "16000", str(out)], check=True)  # fmt: skip
    return out, truth


def _rest_errors(al: Alignment, truth: list[dict], idx: list[int], rest: set[int]) -> tuple[list[int], list[int], int]:
    """Start and end errors (ms) of the output lines made from truth lines in ``rest``
    (output line k was truth line idx[k]; texts repeat, so pair by position) and how many
    of them were found (confidence above 0)."""
    starts, ends, found = [], [], 0
    for s, i in zip(al.segments, idx, strict=True):
        t = truth[i]
        if i not in rest or not t["scored"]:
            continue
        assert s.start is not None and s.end is not None, t["text"]
        found += bool(s.confidence)
        starts.append(abs(s.start - round(t["start"] * 1000)))
        ends.append(abs(s.end - round(t["end"] * 1000)))
    return starts, ends, found


def test_extra_unspoken_paragraph_is_left_out_and_the_rest_holds(tts_cut: tuple[Path, list[dict]]) -> None:
    # 15 lines from five minutes later (never said in this audio) inserted at a paragraph
    # break at 132 s: they end up unplaced or doubtful, every other line keeps its speech.
    # (In two parts, four unspoken words fitted by chance on the next spoken line's first
    # second; relocation kept them and the 24 lines after it came out 1-17 s late)
    wav, truth = tts_cut
    lines = [t["text"] for t in truth]
    idx = [*range(54), *range(196, 211), *range(54, 98)]
    al = _align([lines[i] for i in idx], wav)
    assert al.stats["parts"] == 2
    confs = [s.confidence or 0.0 for s, i in zip(al.segments, idx, strict=True) if i >= 196]
    assert len(confs) == 15 and max(confs) < 0.5 and confs.count(0.0) >= 12
    starts, ends, found = _rest_errors(al, truth, idx, set(range(98)))
    assert found >= 0.99 * len(starts)
    assert float(np.median(starts)) <= 10 and float(np.percentile(starts, 90)) <= 40
    assert float(np.median(ends)) <= 10 and float(np.percentile(ends, 90)) <= 40


def test_missing_paragraph_does_not_pull_the_rest(tts_cut: tuple[Path, list[dict]]) -> None:
    # the paragraph at 132-158 s is spoken but not in the text: the lines after it are not
    # put on its speech
    wav, truth = tts_cut
    lines = [t["text"] for t in truth]
    idx = [*range(54), *range(68, 98)]
    al = _align([lines[i] for i in idx], wav)
    starts, ends, found = _rest_errors(al, truth, idx, set(idx))
    assert found >= 0.99 * len(starts)
    assert float(np.median(starts)) <= 10 and float(np.percentile(starts, 90)) <= 40
    assert float(np.median(ends)) <= 10 and float(np.percentile(ends, 90)) <= 40
    assert max(starts) <= 1000  # nothing pulled into the missing paragraph's speech


def test_a_transcript_of_a_stretch_of_the_recording_stays_on_that_stretch(tts_cut: tuple[Path, list[dict]]) -> None:
    # the text covers 98-175 s of 222.5 s: the minute and a half before it and the speech after
    # it are not in the text. Nothing is laid there (before: the text was entered at the
    # audio's start and lines of it were left unplaced)
    wav, truth = tts_cut
    idx = list(range(40, 76))
    al = _align([truth[i]["text"] for i in idx], wav)
    onset, end = al.stats["text_span_ms"]
    assert 60_000 < onset < round(truth[40]["start"] * 1000) and round(truth[75]["end"] * 1000) < end
    starts, ends, found = _rest_errors(al, truth, idx, set(idx))
    assert found == len(starts)
    assert float(np.median(starts)) <= 10 and float(np.median(ends)) <= 10
    assert max(starts + ends) <= 500


def test_a_transcript_of_twenty_seconds_of_a_longer_recording_is_found_there(tts_cut: tuple[Path, list[dict]]) -> None:
    # 11 lines (150-171 s) of 222.5 s: 4% of what recognition hears over the whole file is
    # in them (refused before), 40% of what it hears in the windows that hold them
    wav, truth = tts_cut
    idx = [i for i, t in enumerate(truth) if 150 <= t["start"] < 172]
    al = _align([truth[i]["text"] for i in idx], wav)
    assert al.stats["probe"]["share"] < 0.08 <= al.stats["probe"]["excerpt"]["share"]
    onset, end = al.stats["text_span_ms"]
    assert onset < round(truth[idx[0]]["start"] * 1000) and round(truth[idx[-1]]["end"] * 1000) < end < 222_500
    starts, ends, found = _rest_errors(al, truth, idx, set(idx))
    assert found == len(starts) == len(idx)
    assert float(np.median(starts)) <= 10 and float(np.median(ends)) <= 20
    assert max(starts + ends) <= 500


def _inserted(tts_cut: tuple[Path, list[dict]], **options: object) -> tuple[list[int], int, int]:
    """The first 98 lines with a word nobody says at the start of every other line (an editor's
    "Frankly", "Meanwhile"): the errors (ms) of the placed lines, how many were confident and
    how many of those were more than 500 ms off."""
    wav, truth = tts_cut
    extra = ["Frankly", "Meanwhile", "Basically", "Before"]
    lines = [t["text"] for t in truth[:98]]
    edited = [f"{extra[i % 4]} {ln[:1].lower()}{ln[1:]}" if i % 2 else ln for i, ln in enumerate(lines)]
    al = _align(edited, wav, **options)
    errs, confident, wrong = [], 0, 0
    for s, t in zip(al.segments, truth, strict=False):
        if t["scored"] and s.start is not None and s.end is not None:
            e = max(abs(s.start - round(t["start"] * 1000)), abs(s.end - round(t["end"] * 1000)))
            errs.append(e)
            confident += (s.confidence or 0.0) >= 0.5
            wrong += (s.confidence or 0.0) >= 0.5 and e > 500
    return errs, confident, wrong


def test_words_nobody_says_are_left_out_with_word_skips(tts_cut: tuple[Path, list[dict]]) -> None:
    # -O word_skip_logp=-60 lets every block leave out a word the audio lacks (measured 97
    # placed, 21 ms, 846 ms); the retry that does so by default is off here, so this checks the arcs
    errs, confident, wrong = _inserted(tts_cut, word_skip_logp=-60.0, skip_retry_logp=0.0)
    assert len(errs) >= 95 and float(np.percentile(errs, 90)) <= 40 and max(errs) <= 2000
    assert confident >= 40 and wrong == 0


def test_words_nobody_says_are_left_out_where_a_block_fits_badly(tts_cut: tuple[Path, list[dict]]) -> None:
    # by default a block that looks wrong is decoded again with words that may be left out,
    # kept when its words then fit far better (measured: 97 placed, p90 128 ms, max 1811 ms,
    # 0 of 33 confident wrong; without that retry 67 placed, p90 60 s, 2 of 5 confident wrong)
    errs, confident, wrong = _inserted(tts_cut)
    assert len(errs) >= 95 and float(np.percentile(errs, 90)) <= 250 and max(errs) <= 2500
    assert confident >= 20 and wrong == 0


def test_speech_the_text_lacks_at_a_block_start_is_not_taken_for_words_nobody_says(tmp_path: Path) -> None:
    # 8.1 s of other speech (three lines from 25 minutes later) spliced into a pause 40.4 s
    # into 73 s of the espeak hour; a block starts inside it. Decoded again with words left
    # out, that block fits 40% better, yet lays its first nine words on the other speech;
    # taken, it hid the misfit from relocation, and "I think this thing is just so
    # fascinating" went 8.2 s early (before: unsure, but a max of 8.2 s on the validation set)
    hour = shared_path("bench", "tts", "seed_tts_1h.opus")
    truth = json.loads(shared_path("bench", "tts", "seed_tts_1h.truth.json").read_text())["segments"][637:672]
    t0, at = 1422.6531, 40.4234
    main = decode_audio(hour, start=1_422_653, duration=72_732)
    other = decode_audio(hour, start=2_938_356, duration=8_094)
    cut = round(at * 16000)
    wav = tmp_path / "spliced.wav"
    _write_wav(wav, np.concatenate([main[:cut], other, main[cut:]]))
    al = _align([t["text"] for t in truth], wav)
    shift = len(other) / 16
    errs = []
    for s, t in zip(al.segments, truth, strict=True):
        assert s.start is not None and s.end is not None and s.confidence, t["text"]
        a, b = (t["start"] - t0) * 1000, (t["end"] - t0) * 1000
        d = shift if a > at * 1000 else 0.0
        errs.append(max(abs(s.start - a - d), abs(s.end - b - d)))
    assert al.stats["skip_retries"] >= 1  # the case still calls for the retry
    assert max(errs) <= 500, max(errs)


def test_speech_the_text_lacks_where_a_block_opens_is_relocated_past(tmp_path: Path) -> None:
    # 8.3 s of other speech spliced into a pause 32 s into a 10-minute file's excerpt (dev set,
    # --seed 62): the next block opened on it, its first 15 words fitting badly (93%), but
    # the 45 after them fit, so the whole block's share (28%) stayed under relocation's bar
    # and three lines were stretched over the other speech, up to 7.7 s off (unsure). Judged
    # on its opening words, the block is relocated past that speech
    lines, truth, media = _degraded_case(tmp_path, "dev", 62, "tts_e_spoken_extra")
    al = _align(lines, media)
    errs = [e for _, e in _line_errors(al, truth)]
    assert len(errs) == len(lines)
    assert max(errs) <= 500, sorted(errs)[-3:]
    assert al.stats["relocations_taken"] >= 1


def test_a_chain_pushed_late_by_edited_text_takes_the_activity_engines_times(tmp_path: Path) -> None:
    # 87 s of the espeak hour under a transcript with a quarter of its words edited: the
    # chain fell behind from the sixth line on and laid the rest of the text ever later (lines
    # 3-18 s late to the end, all unsure); the activity engine, which counts speech and length
    # only, had them within 0.61 s. A run of unsure lines held on one side only, most of them
    # far from the activity engine's times and all on one side of them, takes those times
    case = json.loads((TESTDATA / "speech" / "edited25.json").read_text())
    wav = tmp_path / "edited25.wav"
    _write_wav(wav, decode_audio(shared_path("bench", "tts", case["source"]), start=case["start_ms"], duration=case["duration_ms"]))
    al = _align(case["lines"], wav)
    placed = [(s.confidence or 0.0, max(abs(s.start - a), abs(s.end - b)))
              for s, (a, b) in zip(al.segments, case["truth_ms"], strict=True) if s.start is not None and s.end is not None]  # fmt: skip
    errs = [e for _, e in placed]
    assert len(errs) >= 30 and max(errs) <= 1500, sorted(errs)[-5:]
    assert al.stats["prior_fallbacks"] >= 10
    assert not [e for c, e in placed if c >= 0.5 and e > 500]


def _line_errors(al: Alignment, truth: dict[str, Any]) -> list[tuple[float | None, float]]:
    """(confidence, error at the worse edge in ms) of every placed line, against the truth's
    segments (one a line, in order)."""
    return [(s.confidence, max(abs(s.start - t["start"] * 1000), abs(s.end - t["end"] * 1000)))
            for s, t in zip(al.segments, truth["segments"], strict=True) if s.start is not None and s.end is not None]  # fmt: skip


def _degraded_case(tmp_path: Path, kind: str, seed: int, name: str) -> tuple[list[str], dict[str, Any], Path]:
    """One case of ``scripts/make_degraded.py --set kind --seed seed`` (from the espeak
    benchmark in ``../shared``): its transcript lines, truth and media file."""
    import subprocess
    import sys

    shared_path("bench", "tts", "seed_tts_10min.mp4")
    script = Path(__file__).resolve().parents[1] / "scripts" / "make_degraded.py"
    cmd = [sys.executable, str(script), "--set", kind, "--seed", str(seed), "--only", name, "--out", str(tmp_path)]
    subprocess.run(cmd, check=True, capture_output=True)
    truth = json.loads((tmp_path / f"{name}.truth.json").read_text())
    media = next(p for p in tmp_path.glob(f"{name}.*") if p.suffix not in (".txt", ".json"))  # .flac or .wav
    return (tmp_path / f"{name}.transcript.txt").read_text().splitlines(), truth, media


def test_speech_drowned_in_noise_is_laid_on_the_activity_engine_s_times_as_a_guess(tmp_path: Path) -> None:
    # the same case built by scripts/make_degraded.py: the first line used to be placed 59 s
    # late (unsure) with the other 41 lines unplaced; then the first line alone took the
    # activity engine's times, and the 41 lines were called absent from the media. They are
    # lost with the chain, not absent: they take that engine's times too, as guesses
    # (measured: 40 of 42 placed, median 332 ms, max 3.6 s, every one at confidence 0)
    lines, truth, media = _degraded_case(tmp_path, "extreme", 34, "x_tts_a_noise-5")
    al = _align(lines, media)
    assert [s.text for s in al.segments] == [t["text"] for t in truth["segments"]]
    placed = [(s, t) for s, t in zip(al.segments, truth["segments"], strict=True) if s.start is not None]
    assert len(placed) >= 0.9 * len(lines), f"{len(placed)} of {len(lines)} placed"
    errs = []
    for s, t in placed:
        assert s.end is not None and s.confidence == 0.0, (s.text, s.confidence)
        errs += [abs(s.start - t["start"] * 1000), abs(s.end - t["end"] * 1000)]
    assert float(np.median(errs)) <= 500 and max(errs) <= 5000, (float(np.median(errs)), max(errs))


def test_a_chain_that_fell_behind_in_telephone_band_is_laid_on_the_activity_engine_s_times(tmp_path: Path) -> None:
    # the case of test_a_run_stretched_from_a_right_start_is_late_and_takes_its_unplaced_lines_with_it,
    # built by scripts/make_degraded.py: lines 6-24 were 4-21 s late (unsure) and the last ten
    # unplaced; now every line is placed, none more than 2 s off, none confidently wrong
    lines, truth, media = _degraded_case(tmp_path, "text", 63, "t_tts_e_phone_edited10")
    al = _align(lines, media)
    errs = _line_errors(al, truth)
    assert len(errs) == len(lines)
    assert max(e for _, e in errs) <= 2000, errs
    assert not [e for c, e in errs if c is not None and c >= 0.5 and e > 500], errs
    assert al.stats["prior_fallbacks"] >= 20


def test_a_chain_that_fell_behind_and_ran_out_of_audio_is_laid_on_the_activity_engine_s_times(tmp_path: Path) -> None:
    # the case of test_a_chain_that_fell_behind_and_ran_out_of_audio_falls_back_whatever_its_confident_lines,
    # built by scripts/make_degraded.py: lines 5-27 were 2-21 s late, three of them confident,
    # and the last ten unplaced. (Lines 0 and 1 share a boundary 0.8-0.9 s off, confidently:
    # words left out at the end of the first, the second's first word on their audio.)
    lines, truth, media = _degraded_case(tmp_path, "text", 83, "t_tts_f_edited25")
    al = _align(lines, media)
    errs = [(k, s.confidence or 0.0, max(abs(s.start - t["start"] * 1000), abs(s.end - t["end"] * 1000)))
            for k, (s, t) in enumerate(zip(al.segments, truth["segments"], strict=True)) if s.start is not None and s.end is not None]  # fmt: skip
    assert len(errs) >= 34
    assert max(e for k, _, e in errs if k >= 5) <= 2000, errs
    assert not [(k, c, e) for k, c, e in errs if k >= 5 and c >= 0.5 and e > 500]
    assert al.stats["drift_fallbacks"] >= 10


def test_a_line_laid_across_the_pause_onto_the_next_sentence_is_cut_back(tmp_path: Path) -> None:
    # the case of test_a_line_whose_words_straddle_a_long_pause_is_cut_where_the_activity_engine_ends_it,
    # built by scripts/make_degraded.py: the eighth sentence's last seven words were laid across
    # the 2.9 s pause onto the ninth, its end 5.4 s late
    lines, truth, media = _degraded_case(tmp_path, "text", 53, "t_harvard30_noise10_edited10")
    al = _align(lines, media)
    s, t = al.segments[7], truth["segments"][7]
    assert s.start is not None and s.end is not None
    assert abs(s.start - t["start"] * 1000) <= 500 and abs(s.end - t["end"] * 1000) <= 500, (s.start, s.end, t)
    assert al.stats["gap_cuts"] >= 1
    errs = _line_errors(al, truth)
    assert not [e for c, e in errs if c is not None and c >= 0.5 and e > 500], errs


def test_an_edited_line_with_a_stretched_inner_word_is_not_confident(tmp_path: Path) -> None:
    # the case of test_an_inner_word_a_third_longer_than_usual_is_doubted, built by
    # scripts/make_degraded.py: "Because I live windows near Times Square" ended 1.2 s late on
    # the next line's speech at 0.58, and that line was left unplaced. Unsure, it joins a lost
    # run and both take the activity engine's times
    lines, truth, media = _degraded_case(tmp_path, "text", 103, "t_tts_a_noise10_edited10")
    al = _align(lines, media)
    errs = _line_errors(al, truth)
    assert not [e for c, e in errs if c is not None and c >= 0.5 and e > 500], errs
    assert al.segments[22].placed
    for k in (21, 22):
        s, t = al.segments[k], truth["segments"][k]
        assert s.start is not None and s.end is not None
        assert max(abs(s.start - t["start"] * 1000), abs(s.end - t["end"] * 1000)) <= 500, (k, s.start, s.end, t)


def test_a_line_on_the_audio_of_a_squeezed_hum_before_it_is_not_confident(tmp_path: Path) -> None:
    # the case of test_a_line_touching_a_squeezed_hum_before_it_has_an_unsure_start, built by
    # scripts/make_degraded.py: "Mm" squeezed onto 120 ms, "But then" on its audio, 989 ms
    # early at 0.53
    lines, truth, media = _degraded_case(tmp_path, "validation", 91, "val_tts_g_music12")
    al = _align(lines, media)
    errs = _line_errors(al, truth)
    assert not [e for c, e in errs if c is not None and c >= 0.5 and e > 500], errs
    assert al.segments[37].text == "But then"
    assert (al.segments[37].confidence or 0.0) < 0.5


def test_speech_under_babble_drifting_early_places_no_line_confidently_wrong(tmp_path: Path) -> None:
    # the case of test_a_drift_to_the_last_line_with_speech_left_over_falls_back, built by
    # scripts/make_degraded.py: two lines used to be confident 5.7 s and 11.6 s early, the last
    # ones up to 13 s early
    lines, truth, media = _degraded_case(tmp_path, "text", 43, "t_tts_c_babble10_cleaned")
    al = _align(lines, media)
    errs = _line_errors(al, truth)
    assert len(errs) >= 35
    assert not [e for c, e in errs if c is not None and c >= 0.5 and e > 500], errs
    assert max(e for _, e in errs) <= 2500, sorted(e for _, e in errs)[-5:]


def test_speech_under_other_voices_is_not_confident_where_their_words_took_an_edge(tmp_path: Path) -> None:
    # the same cleaned transcript under babble at 10 dB, another draw (text set, --seed 53):
    # no drift, but four edges laid on the other voices' words, 543-1362 ms off at confidence
    # 0.52-0.88; the pauses between lines hold those voices, so the lines lose confidence
    lines, truth, media = _degraded_case(tmp_path, "text", 53, "t_tts_c_babble10_cleaned")
    al = _align(lines, media)
    errs = _line_errors(al, truth)
    assert len(errs) == len(lines)
    assert not [e for c, e in errs if c is not None and c >= 0.5 and e > 500], errs
    assert al.stats["competing"] >= 30
    # its times are as they were: only the confidence says what they are worth
    assert float(np.median([e for _, e in errs])) <= 150


def test_a_last_word_squeezed_onto_a_sliver_leaves_its_line_unsure(tmp_path: Path) -> None:
    # an edited Harvard list (text set, --seed 53): "fudge." was put on 70 ms, the line's end
    # 1350 ms early at confidence 0.85
    lines, truth, media = _degraded_case(tmp_path, "text", 53, "t_harvard30_edited25")
    al = _align(lines, media)
    by_text = {s.text: s for s in al.segments}
    t = next(t for t in truth["segments"] if t["text"] == "The old pan was covered with fudge.")
    s = by_text[t["text"]]
    assert s.confidence is not None and s.end is not None
    last = s.words[-1]
    assert last.start is not None and last.end is not None
    assert last.end - last.start < 100  # squeezed as measured: the end is not trusted
    assert s.confidence < 0.5
    errs = _line_errors(al, truth)
    assert not [e for c, e in errs if c is not None and c >= 0.5 and e > 500], errs


@pytest.mark.parametrize(
    ("name", "texts"),
    [("t_tts_l_edited25", ["Be taking the"]),
     ("t_tts_a_noise10_edited10", ["Is young Xie Saining", "He has just embarked on an entrepreneurial journey"])],
)  # fmt: skip
def test_an_edited_line_whose_last_word_fits_badly_is_not_confident(tmp_path: Path, name: str, texts: list[str]) -> None:
    # edited transcripts (text set, --seed 53): the line's end was 539 ms late at 0.57 ("the"
    # stretched over words the text lacks) and 979 ms early at 0.55 ("Saining" short of the
    # speech after it); their last words fit at 0.26. The line after "Saining" began on its
    # tail, 859 ms early at 0.51. The times stay: only the confidence moves
    lines, truth, media = _degraded_case(tmp_path, "text", 53, name)
    al = _align(lines, media)
    for text in texts:
        s = next(s for s in al.segments if s.text.startswith(text))
        t = next(t for t in truth["segments"] if t["text"].startswith(text))
        assert s.start is not None and s.end is not None
        assert max(abs(s.start - t["start"] * 1000), abs(s.end - t["end"] * 1000)) > 500  # still off
        assert s.confidence is not None and s.confidence < 0.5, (text, s.confidence)
    errs = _line_errors(al, truth)
    assert not [e for c, e in errs if c is not None and c >= 0.5 and e > 500], errs


def test_a_last_word_far_after_its_line_on_the_next_line_s_start_moves_back() -> None:
    # a Harvard sentence under an echo (dev set, --seed 14): "was" took the audio of "gone", and
    # "gone" was put 1.9 s on, over the pause, on the next line's first sound: the end 2.1 s late
    from clipper.align.speech.assemble import GAP_INSIDE_MS, _reattach_last, _segment_confidence
    from clipper.model import Word

    line = [Word("button", 39640, 40180, 0.87), Word("was", 40180, 40700, 0.56), Word("gone.", 42610, 42890, 0.88)]
    nph = [5, 2, 3]
    words = list(line)
    assert _reattach_last(words, nph, 2, 8.0, 37570)
    assert words[:2] == line[:2] and (words[2].start, words[2].end, words[2].confidence) == (40700, 40980, 0.88)
    # a long word keeps at most its usual length
    long = [*line[:2], Word("gone.", 42610, 43610, 0.88)]
    assert _reattach_last(long, nph, 2, 8.0, 37570) and long[2].end is not None and long[2].end - 40700 < 1000
    # nearer, a pause before a last word is as often real: the word stays
    near = [*line[:2], Word("gone.", 40700 + GAP_INSIDE_MS - 10, 42890, 0.88)]
    assert not _reattach_last(near, nph, 2, 8.0, 37570) and near[2].start == 40700 + GAP_INSIDE_MS - 10
    # a word the decoder did not place, or nothing before it, is not moved
    assert not _reattach_last([*line[:2], Word("gone.", 42610, 42890, 0.0)], nph, 2, 8.0, 37570)
    assert not _reattach_last([line[2]], [3], 0, 8.0, 42610)
    # a start found past the word before (an onset beyond it): the line is the last word alone
    assert not _reattach_last(list(line), nph, 2, 8.0, 40700)
    # where it ends is then not known: the end stays doubted
    ev = _evidence()
    assert _segment_confidence(ev) == 0.8
    assert _segment_confidence({**ev, "reattached_end": True}) < 0.5


@pytest.mark.parametrize(("seed", "name"), [(14, "harvard30_reverb06"), (32, "harvard30_noise10")])
def test_a_last_word_carried_over_the_pause_comes_back_to_its_line(tmp_path: Path, seed: int, name: str) -> None:
    # dev set, --seed 14 (an echo) and --seed 32 (noise at 10 dB): "His shirt was clean but one
    # button was gone" ended 2.0-2.1 s late (unsure), its "gone" on the next line's "The"
    lines, truth, media = _degraded_case(tmp_path, "dev", seed, name)
    al = _align(lines, media)
    s = next(s for s in al.segments if s.text.startswith("His shirt"))
    t = next(t for t in truth["segments"] if t["text"].startswith("His shirt"))
    assert s.start is not None and s.end is not None and s.confidence is not None
    assert abs(s.end - t["end"] * 1000) <= 300, (s.end, t["end"])
    assert s.confidence < 0.5  # moved, not found
    errs = _line_errors(al, truth)
    assert max(e for _, e in errs) <= 2000, errs
    assert not [e for c, e in errs if c is not None and c >= 0.5 and e > 500], errs


def test_first_words_far_before_their_line_after_the_line_before_move_forward() -> None:
    # an edited Harvard list (text set, --seed 63): "His shirt was" laid on the end of the line
    # before, 2.5 s before "clean", the start 2.7 s early
    from clipper.align.speech.assemble import GAP_INSIDE_MS, _reattach_lead, _segment_confidence
    from clipper.model import Word

    rest = [Word("clean", 38120, 38510, 0.52), Word("but", 38510, 38700, 0.9), Word("gone.", 38700, 39000, 0.9)]
    line = [Word("His", 34860, 35050, 0.74), Word("shirt", 35050, 35340, 0.79), Word("was", 35340, 35610, 0.5), *rest]
    nph = [3, 3, 2, 4, 3, 3]
    words = list(line)
    assert _reattach_lead(words, nph, 0, 8.0, abut_end=False)
    assert [(w.start, w.end) for w in words[:3]] == [(37370, 37560), (37560, 37850), (37850, 38120)]
    assert words[3:] == rest and [w.confidence for w in words] == [w.confidence for w in line]
    # nearer than GAP_INSIDE_MS they stay (a speaker's pause after "His shirt was")
    near = [*line[:3], Word("clean", 35610 + GAP_INSIDE_MS - 10, 38510, 0.52), *rest[1:]]
    assert not _reattach_lead(near, nph, 0, 8.0, abut_end=False)
    # four words before the gap: not a lead
    assert not _reattach_lead([Word("So", 34600, 34860, 0.9), *line], [2, *nph], 0, 8.0, abut_end=False)
    # the same gap before a last word touching the next line: the side that fits worse moves
    two = [*line[:3], Word("gone.", 38120, 38400, 0.9)]
    assert _reattach_lead(list(two), nph[:4], 0, 8.0, abut_end=True)  # "was" (0.5) fits worse: the lead moves
    worse = [*line[:3], Word("gone.", 38120, 38400, 0.3)]
    assert not _reattach_lead(list(worse), nph[:4], 0, 8.0, abut_end=True)  # the last word is the one to move
    assert _reattach_lead(worse, nph[:4], 0, 8.0, abut_end=False)
    # moved, not found: the start is doubted
    ev = _evidence()
    assert _segment_confidence({**ev, "reattached_lead": True}) < 0.5 < _segment_confidence(ev)


@pytest.mark.parametrize(("kind", "seed", "name", "texts"), [
    ("text", 63, "t_harvard30_edited25", ["His shirt", "Closed Tin"]),
    ("dev", 62, "tts_c_babble5", ["I really enjoy podcasts"]),
])  # fmt: skip
def test_first_words_laid_on_the_line_before_come_back_to_their_line(tmp_path: Path, kind: str, seed: int, name: str, texts: list[str]) -> None:
    # text --seed 63: an edited Harvard list whose "His shirt was" and "Closed" sat on the line
    # before, 2.7 and 2.2 s early; dev --seed 62: babble at 5 dB, a line 3.1 s early. Unsure
    # before and after: the start was moved, not found
    lines, truth, media = _degraded_case(tmp_path, kind, seed, name)
    al = _align(lines, media)
    for text in texts:
        s = next(s for s in al.segments if s.text.startswith(text))
        t = next(t for t in truth["segments"] if t["text"].startswith(text))
        assert s.start is not None and s.confidence is not None
        assert abs(s.start - t["start"] * 1000) <= 300, (text, s.start, t["start"])
        assert s.confidence < 0.5
    errs = _line_errors(al, truth)
    assert not [e for c, e in errs if c is not None and c >= 0.5 and e > 500], errs


def test_more_parts_than_workers_chain_without_loss(tts_cut: tuple[Path, list[dict]]) -> None:
    # parts of at most part_ms, three a worker here: the junctions hold, every line as close
    # to the truth as in one piece
    wav, truth = tts_cut
    idx = list(range(98))
    tr = parse("\n".join(truth[i]["text"] for i in idx) + "\n", "plain", segmentation="lines")
    al = align(AlignRequest(tr, probe(wav), options={"part_ms": 40_000}, jobs=2), "speech")
    assert al.stats["parts"] == 6
    starts, ends, found = _rest_errors(al, truth, idx, set(idx))
    assert found == len(starts)
    assert float(np.median(starts)) <= 10 and float(np.percentile(starts, 90)) <= 40
    assert float(np.median(ends)) <= 10 and float(np.percentile(ends, 90)) <= 40
    assert max(starts + ends) <= 500


def test_partition_gives_equal_parts_no_longer_than_asked_whatever_the_workers() -> None:
    from clipper.align.speech.assemble import _partition
    from clipper.align.speech.audio import _Audio

    rng = np.random.default_rng(1)
    hour = 360_000  # frames
    db = rng.uniform(-60, -20, 2 * hour).astype(np.float32)
    audio = _Audio("unused", len(db) * 160, db)

    def check(parts: list[tuple[int, int]]) -> list[int]:
        assert parts[0][0] == 0 and parts[-1][1] == len(db)
        assert all(a[1] == b[0] for a, b in zip(parts, parts[1:], strict=False))
        return [b - a for a, b in parts]

    lens = check(_partition(audio, 1_800_000))  # 2 h: 4 half-hour parts
    assert len(lens) == 4 and max(abs(n - len(db) / 4) for n in lens) <= 2000  # cuts move 10 s at most
    assert len(check(_partition(audio, 3 * 3_600_000))) == 2  # an even number: 2 workers share equally
    assert len(check(_partition(audio, 600_000))) == 12
    longer = _Audio("unused", 0, np.concatenate([db, db[:100]]))  # a second over: 6 parts
    assert len(_partition(longer, 1_800_000)) == 6
    short = _Audio("unused", 0, db[:11_999])  # under two minutes: one part
    assert _partition(short, 1_800_000) == [(0, 11_999)]


def test_the_times_do_not_depend_on_the_number_of_workers(tts_cut: tuple[Path, list[dict]]) -> None:
    # parts and activity pieces are cut by the audio's length alone: one worker and three
    # give the same times, word for word, on a file long enough for both to be cut
    wav, truth = tts_cut
    tr = parse("\n".join(t["text"] for t in truth[:98]) + "\n", "plain", segmentation="lines")
    got = []
    for jobs in (1, 3):
        al = align(AlignRequest(tr, probe(wav), jobs=jobs), "speech")
        assert al.stats["parts"] == 2
        got.append([(s.start, s.end, s.confidence, [(w.start, w.end) for w in s.words or ()]) for s in al.segments])
    assert got[0] == got[1]


def test_locate_recognises_where_the_audio_is_in_the_text(tmp_path: Path) -> None:
    # relocation's recogniser: a bigram of the text (here with a foreign paragraph in front)
    # finds the clip's second line, at its time; a text the audio does not hold gives None
    from clipper.align.speech import SpeechOptions, tokenize
    from clipper.align.speech.audio import _activity, _read_audio, _read_span
    from clipper.align.speech.chain import _decoder, _locate, _padded, _PartJob
    from clipper.align.speech.options import PAD_FRAMES
    from clipper.align.sphinx import FRAME_MS

    foreign = ["the quick brown fox jumps over the lazy dog", "colourless green ideas sleep furiously"]
    lines = foreign + _lines()
    tr = parse("\n".join(lines) + "\n", "plain", segmentation="lines")
    req = AlignRequest(tr, probe(CLIP / "acoustic_clip.flac"))
    lex = Lexicon()
    tokens = tokenize(tr.segments, lex)
    audio = _read_audio(str(CLIP / "acoustic_clip.flac"), str(tmp_path), req)
    extra = {w: "\t".join([ph, *lex.alternates.get(w, [])]) for w, ph in lex.extra.items()}
    job = _PartJob(
        audio.raw, 0, len(audio.db), 0, 0, [t.word for t in tokens], [t.nphones for t in tokens],
        [t.seg for t in tokens], extra, 14.0, _activity(audio.db), SpeechOptions(), None,
    )  # fmt: skip
    d = _decoder(extra, job.opts)
    x = _padded(_read_span(audio.raw, 0, audio.nsamples), 3, 0)
    got, hyp = _locate(d, x, job, 0, len(tokens))
    assert got is not None and hyp
    tok, frame = got
    t = tokens[tok]
    assert t.seg >= 2  # in the clip's lines, not the foreign ones
    ms = (frame - PAD_FRAMES) * FRAME_MS
    word_truth = json.loads((CLIP / "truth.json").read_text())["words"]
    starts = [round(w["start"] * 1000) for w in word_truth if w["word"].lower().strip(".,") == t.word]
    assert starts and min(abs(ms - s) for s in starts) <= 150
    n_foreign = sum(1 for t in tokens if t.seg < 2)
    assert _locate(d, x, job, 0, n_foreign)[0] is None


def test_years_have_three_readings() -> None:
    lex = Lexicon()
    ((word, phones),) = lex.pronounce("2012,")
    assert phones == "T W EH N T IY T W EH L V"
    assert lex.alternates[word] == ["T UW TH AW Z AH N D T W EH L V", "T UW TH AW Z AH N D AH N D T W EH L V"]
    assert [w for w, _ in lex.pronounce("1990")] == ["nineteen", "ninety"]  # read one way only


OTHER = [
    "the quick brown fox jumps over the lazy dog and runs away into the dark forest",
    "colourless green ideas sleep furiously tonight while the city slowly falls asleep",
    "we hold these truths to be self evident that all men are created equal",
    "a journey of a thousand miles begins with a single step taken in the morning",
]


def test_a_transcript_of_another_recording_is_refused() -> None:
    # forced alignment puts any text on any speech; recognition of samples tells them apart
    right = _align(_lines(), CLIP / "acoustic_clip.flac")
    assert right.stats["probe"]["share"] >= 0.5 and not right.stats.get("warnings")
    with pytest.raises(MismatchError) as e:
        _align(OTHER, CLIP / "acoustic_clip.flac")
    assert e.value.share < 0.08 and e.value.what == "transcript" and e.value.exit_code == 2
    assert "\n" not in str(e.value) and "--force" in e.value.cli_message() and e.value.options == ("--engine", "--force")


def test_a_forced_mismatch_is_marked_and_never_confident() -> None:
    tr = parse("\n".join(OTHER) + "\n", "plain", segmentation="lines")
    al = align(AlignRequest(tr, probe(CLIP / "acoustic_clip.flac"), force=True), "speech")
    assert al.stats["mismatch"]["forced"] is True
    assert any("aligned anyway" in w for w in al.stats["warnings"])
    assert all(s.confidence is None or s.confidence <= 0.1 for s in al.segments)


def test_text_past_the_audio_is_not_placed() -> None:
    # the clip's lines, then the rest of a much longer transcript: none of it is in the
    # audio, so it is left unplaced (no times), never squeezed into points at the end
    later = [f"and then {w} spoke about the {w} plan for the next {n} years" for n, w in
             enumerate(["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"] * 6, start=2)]  # fmt: skip
    al = _align(_lines() + later, CLIP / "acoustic_clip.flac")
    assert max(_errors(al)) <= 120
    tail = al.segments[len(_lines()) :]
    assert len(tail) == len(later) and not any(s.placed for s in tail)
    assert all(w.start is None for s in tail for w in s.words)
    assert all(s.end is not None and s.end <= al.media.duration for s in al.segments[: len(_lines())])  # type: ignore[union-attr]
    # and no zero-length point anywhere
    assert all(s.end > s.start for s in al.segments if s.placed)  # type: ignore[operator]


def test_auto_chooses_speech_for_english_speech_marked_as_translated(tmp_path: Path) -> None:
    from clipper.pipeline import align_files, summarize

    text = (SAMPLES / "interview.txt").read_text(encoding="utf-8")
    marked = tmp_path / "interview.txt"
    marked.write_text(text.replace("Full Transcript", "Full Transcript\n\nThis subtitle was translated by AI. We cannot guarantee its accuracy."), encoding="utf-8")
    from clipper.read import load

    assert load(marked).meta.get("translated") == "yes"
    al = align_files(marked, SAMPLES / "interview.mp4")
    assert al.engine == "speech"
    reason = summarize(al)["engine_reason"]
    assert reason and "recognition found" in reason and "English speech" in reason
    # other speech under the same marked transcript: not found, and a translation -> activity
    harvard = shared_path("data", "gentle_osr_harvard_list30", "harvard-sentences-list30.mp3")
    other = align_files(marked, harvard)
    assert other.engine == "activity" and "translated" in summarize(other)["engine_reason"]


def _degrade(x: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    """The clip under noise, another voice or a room, at levels where decoding goes wrong."""
    s = x.astype(np.float64)
    rms = float(np.sqrt(np.mean(s**2)))
    if kind == "noise":  # white noise at 3 dB SNR
        out = s + rng.normal(0, rms / 10 ** (3 / 20), s.size)
    elif kind == "voice":  # the same speaker backwards (speech-like, no words) at 10 dB
        out = s + s[::-1] / 10 ** (10 / 20)
    else:  # a room: an exponentially decaying noise tail, RT60 1.2 s, no direct-path delay
        n = int(1.2 * 16000)
        tail = rng.normal(0, 1, n) * np.exp(-6.9 * np.arange(n) / n)
        tail[0] = 0
        out = s + np.convolve(s, tail / np.sqrt(np.sum(tail**2)))[: s.size]
    return np.clip(out / np.max(np.abs(out)) * 20000, -32768, 32767).astype(np.int16)


@pytest.mark.parametrize("kind", ["noise", "voice", "room"])
def test_degraded_audio_is_never_confidently_wrong(tmp_path: Path, kind: str) -> None:
    # the promise behind confidence: a segment at 0.5 or more is within 500 ms of the truth;
    # what the decoder cannot place well must say so rather than look sure
    x = _degrade(decode_audio(CLIP / "acoustic_clip.flac"), kind, np.random.default_rng(3))
    path = tmp_path / f"{kind}.wav"
    _write_wav(path, x)
    al = _align(_lines(), path)
    truth = _truth()
    for s in al.segments:
        assert s.text in truth
        if s.placed:
            assert s.end is not None and s.start is not None and 0 <= s.start < s.end <= al.media.duration  # type: ignore[union-attr]
        if s.confidence is not None and s.confidence >= 0.5:
            a, b = truth[s.text]
            assert abs(s.start - a) <= 500 and abs(s.end - b) <= 500, (kind, s.text, s.start, s.end, a, b)  # type: ignore[operator]


def test_a_hum_is_marked_and_its_start_found_at_the_onset_of_its_murmur(tmp_path: Path) -> None:
    # espeak's "Mm" lasts ~480 ms and the decoder gave the line only its last ~140 ms: on the
    # clean hour 79 of 100 lines opening with "Mm" started 200-600 ms late
    from clipper.align.speech.audio import _snap
    from clipper.align.speech.options import HUM_BACK_MS, tokenize

    tr = parse("Mm, right.\nHmm.\nUm, no.\nHim.\n", "plain", segmentation="lines")
    hums = {(t.seg, t.word): t.hum for t in tokenize(tr.segments, Lexicon())}
    assert hums[(0, "mm")] and hums[(1, "hmm")]
    assert not hums[(0, "right")] and not hums[(2, "um")] and not hums[(3, "him")]

    rng = np.random.default_rng(3)
    t = np.arange(480 * 16) / 16000
    murmur = 3000 * np.sin(2 * np.pi * 140 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    murmur[390 * 16 : 440 * 16] = 0  # a break near its end, as espeak's murmur has
    x = np.concatenate([np.zeros(600 * 16), murmur, np.zeros(400 * 16)]) + rng.normal(0, 3, 1480 * 16)
    raw = tmp_path / "a.s16"
    raw.write_bytes(x.astype(np.int16).tobytes())
    decoder_start = 600 + 340
    hum_on = _snap(str(raw), decoder_start, HUM_BACK_MS, 300, 0, tail=False)
    assert hum_on is not None and abs(hum_on - 600) <= 10
    # the usual snap does not get there: the start would stay 340 ms late. Its reach is too
    # short, and with any reach the break ahead reads as the end of the line before's sound
    assert _snap(str(raw), decoder_start, 80, 300, 0) is None
    assert _snap(str(raw), decoder_start, HUM_BACK_MS, 300, 0) is None


def test_under_mains_hum_a_line_edge_is_found_above_the_hum(tmp_path: Path) -> None:
    # a 50 Hz hum at -24 dBFS under a harmonic "voice" (280-2800 Hz) that begins at 1000 ms
    # and ends at 2000 ms, over a -60 dBFS floor: full band, the hum is the floor and the
    # voice stands under 18 dB over it (no edge); above 150 Hz the floor is the noise again
    from clipper.align.speech.audio import _low_floor, _snap

    rng = np.random.default_rng(5)
    n = 4000 * 16
    t = np.arange(n) / 16000
    voice = sum(np.sin(2 * np.pi * 140 * h * t + h) for h in range(2, 21)) * 700
    env = np.clip((t - 1.0) / 0.03, 0, 1) * np.clip((2.0 - t) / 0.03, 0, 1)
    floor = rng.normal(0, 33, n)
    hum = 2000 * np.sin(2 * np.pi * 50 * t)
    for name, x, low in (("hum", voice * env + floor + hum, True), ("clean", voice * env + floor, False)):
        raw = tmp_path / f"{name}.s16"
        raw.write_bytes(np.clip(x, -32768, 32767).astype(np.int16).tobytes())
        assert _low_floor(str(raw), n) is low, name
        # a decoder start 60 ms late moves back to the onset; an end 50 ms early, forward
        on = _snap(str(raw), 1060, 80, 300, 0, low_floor=low)
        off = _snap(str(raw), 1950, 100, 40, 10**9, offset=True, low_floor=low)
        assert on is not None and abs(on - 1000) <= 8, (name, on)
        assert off is not None and abs(off - 2000) <= 8, (name, off)
    # without looking above the hum, neither edge is found: the decoder's times would stand
    raw = tmp_path / "hum.s16"
    assert _snap(str(raw), 1060, 80, 300, 0) is None
    assert _snap(str(raw), 1950, 100, 40, 10**9, offset=True) is None


def _weak_onset_then_voice(seed: int, voice_ms: int, onset_sd: float, floor_sd: float) -> np.ndarray:
    """3 s at 16 kHz: a noise floor, a weak onset (noise, a fricative) from 1000 ms, and a loud
    harmonic "voice" from ``voice_ms`` to 2000 ms."""
    rng = np.random.default_rng(seed)
    n = 3000 * 16
    t = np.arange(n) / 16000
    voice = sum(np.sin(2 * np.pi * 140 * h * t + h) for h in range(2, 21)) * 700 * (t >= voice_ms / 1000) * (t < 2.0)
    onset = rng.normal(0, onset_sd, n) * (t >= 1.0) * (t < voice_ms / 1000)
    return voice + onset + rng.normal(0, floor_sd, n)


def test_a_dc_offset_does_not_hide_a_quiet_onset(tmp_path: Path) -> None:
    # a weak onset (60 ms of -50 dBFS noise, a fricative) before a loud "voice" at 1060 ms:
    # over a -70 dBFS floor it counts as sound, and a DC offset of -50 dBFS must not change
    # that (full band, the offset would be the floor and the onset under it)
    from clipper.align.speech.audio import _snap

    base = _weak_onset_then_voice(7, 1060, onset_sd=100, floor_sd=10)
    found = {}
    for name, dc in (("plain", 0.0), ("offset", 100.0)):
        raw = tmp_path / f"{name}.s16"
        raw.write_bytes(np.clip(base + dc, -32768, 32767).astype(np.int16).tobytes())
        found[name] = _snap(str(raw), 1100, 150, 300, 0)  # a decoder start 100 ms late
    assert found["plain"] is not None and abs(found["plain"] - 1000) <= 8, found
    assert found["offset"] == found["plain"], found


def test_a_start_does_not_move_past_a_first_word_the_energy_gate_missed(tmp_path: Path) -> None:
    # "They are": a weak /th/ (110 ms of noise near the floor, under the gate) before a loud
    # vowel at 1110 ms. The decoder's start (1000) is right; an onset reach past the first
    # word would move it to the vowel, 110 ms late, and drop "They"
    from clipper.align.speech.assemble import _onset_reach
    from clipper.align.speech.audio import _snap
    from clipper.model import Word

    raw = tmp_path / "a.s16"
    x = _weak_onset_then_voice(11, 1110, onset_sd=40, floor_sd=30)
    raw.write_bytes(np.clip(x, -32768, 32767).astype(np.int16).tobytes())
    they_are = [Word("They", 1000, 1110, 0.9), Word("are", 1110, 1300, 0.9)]
    reach = _onset_reach(they_are, 1000, 1500)
    assert reach == 90
    assert _snap(str(raw), 1000, 80, reach, 0) is None  # the decoder's start stands
    assert abs((_snap(str(raw), 1000, 80, 300, 0) or 0) - 1110) <= 10  # what a 300 ms reach did
    # a first word put apart in the pause before the line: the onset may lie up to the second's end
    apart = [Word("I", 600, 700, 0.9), Word("think", 1000, 1400, 0.9)]
    assert _onset_reach(apart, 600, 1500) == 780
    assert _onset_reach(apart, 600, 300) == 300
    # a start at or past the first word's end: no forward reach at all
    assert _onset_reach(they_are, 1200, 1500) == 0


def _probe(heard: int, matched: int) -> object:
    from clipper.align.probe import Anchor, Probe

    return Probe(tuple(Anchor(k, 100 * k, 100 * k + 90) for k in range(matched)), heard, matched, 1, 1, run_sizes=(matched,))


@pytest.mark.parametrize(
    ("heard", "matched", "refused"),
    [
        (93, 11, True),  # 12% from 11 anchors: what a short transcript's chance runs gave
        (147, 20, False),  # 14% from 20 anchors: the conference call, looked at whole
        (22, 11, False),  # 50% of a short clear clip: few words, but most of them
        (100, 7, True),  # under the threshold however many
    ],
)
def test_a_small_share_from_few_anchors_is_refused(heard: int, matched: int, refused: bool) -> None:
    from clipper.align.speech.assemble import _check_match
    from clipper.align.speech.options import SpeechOptions

    tr = parse("\n".join(_lines()) + "\n", "plain", segmentation="lines")
    req = AlignRequest(tr, probe(CLIP / "acoustic_clip.flac"))
    stats: dict[str, object] = {}
    if refused:
        with pytest.raises(MismatchError, match="recognition found only") as e:
            _check_match(_probe(heard, matched), req, SpeechOptions(), stats)  # type: ignore[arg-type]
        assert e.value.share < e.value.threshold  # the threshold it missed: 8%, or 16% from few anchors
    else:
        assert _check_match(_probe(heard, matched), req, SpeechOptions(), stats) is False  # type: ignore[arg-type]
    assert stats["probe"]["matched"] == matched  # type: ignore[index]


def test_a_share_just_under_the_threshold_does_not_read_as_the_threshold() -> None:
    # 8 of 106 words is 7.5%: "(8%)" next to "at least 8%" would make no sense
    from clipper.align.speech.assemble import _check_match
    from clipper.align.speech.options import SpeechOptions

    tr = parse("\n".join(_lines()) + "\n", "plain", segmentation="lines")
    req = AlignRequest(tr, probe(CLIP / "acoustic_clip.flac"))
    with pytest.raises(MismatchError) as e:
        _check_match(_probe(106, 8), req, SpeechOptions(), {})  # type: ignore[arg-type]
    assert "(7.5%)" in str(e.value) and "at least 8%" in str(e.value) and "engine activity" in str(e.value)
    with pytest.raises(MismatchError) as e:
        _check_match(_probe(100, 3), req, SpeechOptions(), {})  # type: ignore[arg-type]
    assert "(3%)" in str(e.value)


def test_thin_evidence_takes_a_second_look_at_the_whole_file(tmp_path: Path) -> None:
    # the clip three times over: 22.5 s, sampled first as one window; a share asked of more
    # than it gives is thin, so the file is recognised again in 10 s windows, and that decides
    x = decode_audio(CLIP / "acoustic_clip.flac")
    wav = tmp_path / "thrice.wav"
    _write_wav(wav, np.concatenate([x, x, x]))
    al = _align(_lines() * 3, wav, min_match_share=0.45)
    pr = al.stats["probe"]
    assert "first_share" in pr and pr["samples"] == 2  # 0-10 s and 10-22.5 s (a short tail joins)
    assert pr["share"] >= 0.45 and pr["matched"] >= 12
    al = _align(_lines() * 3, wav, min_match_share=0.45, probe_more_ms=0)
    assert "first_share" not in al.stats["probe"]


def _windows_probe(n: int, heard: int, runs: dict[int, int]) -> object:
    """``n`` 10 s windows, ``heard`` words recognised in each; ``runs[i]`` transcript words
    in a row recognised in window ``i`` (the text moving on 3 words a second)."""
    from clipper.align.probe import Anchor, Probe

    anchors = tuple(Anchor(30 * i + m, 10_000 * i + 300 * m, 10_000 * i + 300 * m + 250) for i, k in sorted(runs.items()) for m in range(k))
    windows = tuple((1000 * i, 1000 * (i + 1)) for i in range(n))
    return Probe(anchors, n * heard, len(anchors), n, len(runs), windows, tuple(runs[i] for i in sorted(runs)), window_heard=(heard,) * n)


@pytest.mark.parametrize(
    ("runs", "refused"),
    [
        # the last minute of 10: 3 of 30 windows, 49 of 1050 words (5%), 47% within them
        ({27: 14, 28: 20, 29: 15}, False),
        # one window in two between the first and the last that hold a run: still a stretch
        ({10: 9, 12: 9}, False),
        # chance runs of another recording's transcript: spread, none longer than 5 words
        ({3: 5, 12: 4, 22: 4}, True),
        # a long one among them changes nothing: 14 of the 350 words from window 3 to 12
        ({3: 9, 12: 5}, True),
        # two windows side by side, but too few words to rest a verdict on
        ({5: 6, 6: 5}, True),
        # one window alone: nothing beside it confirms it
        ({5: 14}, True),
    ],
)
def test_a_transcript_of_a_stretch_of_a_long_recording_passes_within_that_stretch(runs: dict[int, int], refused: bool) -> None:
    from clipper.align.speech.assemble import _check_match
    from clipper.align.speech.options import SpeechOptions

    tr = parse("\n".join(_lines()) + "\n", "plain", segmentation="lines")
    req = AlignRequest(tr, probe(CLIP / "acoustic_clip.flac"))
    pr = _windows_probe(30, 35, runs)
    assert pr.share < SpeechOptions().min_match_share  # type: ignore[attr-defined]  # refused over the whole audio
    stats: dict[str, Any] = {}
    if refused:
        with pytest.raises(MismatchError, match="recognition found only"):
            _check_match(pr, req, SpeechOptions(), stats)  # type: ignore[arg-type]
        assert "excerpt" not in stats["probe"]
    else:
        assert _check_match(pr, req, SpeechOptions(), stats) is False  # type: ignore[arg-type]
        ex = stats["probe"]["excerpt"]
        assert ex["holding"] == len(runs) and ex["share"] >= 0.16


def test_recognition_of_a_sample_does_not_depend_on_the_samples_before_it(tmp_path: Path):
    """The probe's verdict must not change with ``-j``: each worker recognises its share of
    the samples in one decoder, and pocketsphinx's noise removal carried its estimate from one
    utterance to the next (babble at 5 dB: 7.6% refused with 2 workers, 8.7% accepted with 1)."""
    from clipper.align.speech.chain import _decoder, _extra_words, _padded
    from clipper.align.speech.options import SpeechOptions, tokenize
    from clipper.align.sphinx import Recogniser

    lex = Lexicon()
    words = [t.word for t in tokenize(parse((SAMPLES / "interview.txt").read_text()).segments, lex)]
    x = decode_audio(SAMPLES / "interview.mp4").astype(np.float64)
    noise = np.random.default_rng(0).standard_normal(len(x))
    noise *= np.sqrt(np.mean(x**2) / np.mean(noise**2)) / 10 ** (10 / 20)  # white noise at 10 dB
    y = np.clip(x + noise, -32768, 32767).astype(np.int16)
    windows = [(0, 160_000), (160_000, 320_000), (320_000, len(y))]

    def heard(order: list[tuple[int, int]]) -> dict[tuple[int, int], list[tuple[str, int, int]]]:
        rec = Recogniser(_decoder(_extra_words(lex), SpeechOptions()), words, str(tmp_path / "probe"))
        return {w: rec(_padded(y[w[0] : w[1]], 1, w[0] // 160)) for w in order}

    forward, backward = heard(windows), heard(windows[::-1])
    assert all(forward[w] for w in windows)  # words were heard in every sample
    assert [forward[w] for w in windows] == [backward[w] for w in windows]
