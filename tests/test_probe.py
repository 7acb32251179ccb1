"""Anchors from recognised samples (``clipper.align.probe``): runs of recognised words that
are consecutive transcript words, kept when they form a forward chain."""

from __future__ import annotations

from clipper.align import probe as P

WORDS = "so what is a world model it is a model of the world that predicts what happens next so what".split()


def _hyp(words: list[str], start_frame: int = 0, step: int = 30) -> list[tuple[str, int, int]]:
    return [(w, start_frame + k * step, start_frame + (k + 1) * step - 1) for k, w in enumerate(words)]


def test_a_run_of_consecutive_words_is_an_anchor_at_its_times() -> None:
    pr = P.probe([_hyp(["um", "a", "model", "of", "the", "world", "uh"])], [(100, 400)], WORDS)
    assert [(a.tok, a.start) for a in pr.anchors] == [(8, 1300), (9, 1600), (10, 1900), (11, 2200), (12, 2500)]
    assert pr.heard == 7 and pr.matched == 5 and pr.samples_matched == 1


def test_words_out_of_the_texts_order_are_no_anchor() -> None:
    pr = P.probe([_hyp(["world", "the", "of", "model", "a", "is", "what", "so"])], [(0, 300)], WORDS)
    assert pr.anchors == () and pr.share == 0.0


def test_a_repeated_phrase_is_placed_where_the_chain_goes() -> None:
    # "so what is a" opens the text; "so what" also closes it. Two windows: the first
    # hears the opening, the second hears the last part of the text
    hyps = [_hyp(["so", "what", "is", "a"]), _hyp(["predicts", "what", "happens", "next", "so", "what"])]
    pr = P.probe(hyps, [(0, 200), (1000, 1200)], WORDS)
    toks = [a.tok for a in pr.anchors]
    assert toks[:4] == [0, 1, 2, 3] and toks[4:] == [14, 15, 16, 17, 18, 19]
    assert [a.start for a in pr.anchors] == sorted(a.start for a in pr.anchors)


def test_the_chain_drops_a_run_that_goes_back_in_the_text() -> None:
    runs = [
        [P.Anchor(10, 1000, 1200), P.Anchor(11, 1200, 1400), P.Anchor(12, 1400, 1600), P.Anchor(13, 1600, 1800)],
        [P.Anchor(2, 5000, 5200), P.Anchor(3, 5200, 5400), P.Anchor(4, 5400, 5600), P.Anchor(5, 5600, 5800)],
        [P.Anchor(30, 9000, 9200), P.Anchor(31, 9200, 9400), P.Anchor(32, 9400, 9600), P.Anchor(33, 9600, 9800)],
    ]
    kept = P.chain(runs)
    assert [r[0].tok for r in kept] == [10, 30]


def test_the_chain_drops_text_said_impossibly_fast() -> None:
    # 2000 tokens cannot be said in one second
    runs = [
        [P.Anchor(k, 1000 + 100 * k, 1100 + 100 * k) for k in range(5)],
        [P.Anchor(2000 + k, 3000 + 100 * k, 3100 + 100 * k) for k in range(4)],
    ]
    assert [r[0].tok for r in P.chain(runs)] == [0]


def test_one_short_run_among_many_words_is_chance() -> None:
    # a transcript of another recording: the bigram makes one four-word run by chance
    noise = ["a", "b", "c", "d", "e", "f", "g", "h"] * 3
    hyp = _hyp(noise[:10] + ["model", "of", "the", "world"] + noise[:10])
    pr = P.probe([hyp], [(0, 1000)], WORDS)
    assert pr.anchors == () and pr.heard == 24


def test_sample_windows_cover_a_short_file_whole_and_sample_a_long_one() -> None:
    import numpy as np

    assert P.sample_windows(np.ones(2500, dtype=bool), 24_000, 1000) == [(0, 2500)]
    speech = np.zeros(360_000, dtype=bool)
    speech[::3] = True
    wins = P.sample_windows(speech, 24_000, 1000, also=[150_000])
    # 15 samples, one every 24 000 frames, and one where a part starts
    assert len(wins) == 16 and all(b - a == 1000 for a, b in wins)
    assert (150_000, 151_000) in wins
    assert all(wins[k][1] <= wins[k + 1][0] for k in range(len(wins) - 1))
    # a part start inside a sample: the two become one window
    merged = P.sample_windows(speech, 24_000, 1000, also=[wins[3][0] + 500])
    assert len(merged) == 15 and (wins[3][0], wins[3][1] + 500) in merged


def test_a_second_look_tiles_a_short_file_whole() -> None:
    # 26 s in 10 s windows: the 6 s tail is kept as a window of its own; a 1 s tail joins the last
    assert P.more_windows(2600, [(0, 2600)], 1000, 30_000) == [(0, 1000), (1000, 2000), (2000, 2600)]
    assert P.more_windows(2100, [(0, 2100)], 1000, 30_000) == [(0, 1000), (1000, 2100)]


def test_a_second_look_at_a_long_file_adds_windows_between_the_first() -> None:
    have = [(10_000, 11_000), (50_000, 51_000)]
    got = P.more_windows(100_000, have, 1000, 10_000)
    assert set(have) <= set(got) and len(got) == 2 + 10  # ten more: 10,000 frames of them
    assert got == sorted(got) and all(b - a == 1000 for a, b in got)
    assert all(b <= c for (_, b), (c, _) in zip(got, got[1:], strict=False))  # none overlaps another
    assert 0 <= got[0][0] and got[-1][1] <= 100_000


def test_the_probe_counts_the_runs_its_anchors_come_from() -> None:
    hyps = [_hyp(["so", "what", "is", "a"]), _hyp(["predicts", "what", "happens", "next", "so", "what"])]
    assert P.probe(hyps, [(0, 200), (1000, 1200)], WORDS).runs == 2


def test_the_anchors_stretch_counts_the_windows_from_the_first_that_holds_one_to_the_last() -> None:
    # four windows; the chain lies in the second and the third: 10 of the 16 words heard there
    hyps = [
        _hyp(["um", "uh", "yes", "no"]),
        _hyp(["so", "what", "is", "a", "world"]),
        _hyp(["model", "of", "the", "world", "that", "hm", "er"]),
        _hyp(["hm", "oh"]),
    ]  # (frames from each window's start)
    pr = P.probe(hyps, [(0, 300), (1000, 1300), (2000, 2300), (3000, 3300)], WORDS)
    assert pr.window_heard == (4, 5, 7, 2) and pr.heard == 18
    assert pr.holding() == [1, 2]
    assert pr.stretch() == (2, 2, pr.matched / 12)
    assert pr.matched == 10  # "so what is a world" and "model of the world that"
    # no anchors, or no counts a window: nothing to tell
    assert P.probe([_hyp(["hm"])], [(0, 300)], WORDS).stretch() == (0, 0, 0.0)


def test_windows_around_those_that_hold_anchors_lie_back_to_back_with_them() -> None:
    have = [(0, 1000), (5000, 6000), (20_000, 21_000)]
    got = P.windows_around(22_000, have, [1], 1000, 2)
    assert got == [(0, 1000), (3000, 4000), (4000, 5000), (5000, 6000), (6000, 7000), (7000, 8000), (20_000, 21_000)]
    # never over the audio's ends or another window: the first window's left is the file's start,
    # the last's right ends at 22,000 frames; a window between is kept only where it fits whole
    got = P.windows_around(21_500, have, [0, 2], 1000, 2)
    assert got == [(0, 1000), (1000, 2000), (2000, 3000), (5000, 6000), (18_000, 19_000), (19_000, 20_000), (20_000, 21_000), (21_000, 21_500)]
