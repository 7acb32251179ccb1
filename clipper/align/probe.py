"""Where the audio is in the transcript, before any forced alignment: anchors.

Samples of the audio (10 s every few minutes, and wherever a worker's part begins) are
recognised with a bigram of the *whole* transcript. Runs of :data:`RUN` recognised words
that are consecutive words of the transcript are anchors: (time, token) pairs. Chance
runs are rare (a run needs the acoustics to agree with one exact stretch of the text) and
they point anywhere, so the anchors kept are the best chain that moves forward in both
time and text at a speaking rate a person can have.

What the anchors tell (measured on ``../shared`` and ``scripts/make_degraded.py``):

- **whether the transcript belongs to the media**: the share of recognised words that lie
  in kept runs. Matching English speech gives 0.2-0.8 (clean) and 0.02-0.25 (a telephone
  line, 5 dB noise); another recording's transcript, or speech in another language, 0-0.01;
- **where each part of the audio starts in the text**, so a worker never guesses;
- **how much of the text the audio holds**: text far past the last anchor, beyond what the
  remaining speech can hold, is not in this media (a transcript of 8 hours on 1 hour of it).

A 10 s sample takes ~0.6 s to recognise; a probe of a 1-hour file ~8 s of CPU.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .sphinx import FRAME_MS

__all__ = [
    "RUN", "Anchor", "Probe", "sample_windows", "more_windows", "windows_around", "find_runs", "window_runs", "chain", "probe",
]  # fmt: skip

#: recognised words in a row that must match consecutive transcript words to be an anchor
RUN = 4
#: a chain of anchors never implies more tokens per second of audio than this (a fast
#: speaker says ~4 words a second; tokens here are dictionary words)
MAX_TOKENS_PER_S = 9.0


@dataclass(frozen=True, slots=True)
class Anchor:
    """A recognised word that matched the transcript: its token, start and end (ms)."""

    tok: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Probe:
    """What the samples said: kept anchors (in order) and the counts behind the share."""

    anchors: tuple[Anchor, ...]
    heard: int  # words recognised in the samples
    matched: int  # of those, in kept runs
    samples: int
    samples_matched: int  # samples holding at least one kept run
    windows: tuple[tuple[int, int], ...] = field(default=())  # the samples (frames)
    run_sizes: tuple[int, ...] = ()  # the kept runs the anchors come from, in order: how many anchors each
    first_share: float | None = None  # after a second look: the first look's share
    window_heard: tuple[int, ...] = ()  # words recognised in each of ``windows``

    @property
    def runs(self) -> int:
        return len(self.run_sizes)

    @property
    def share(self) -> float:
        """Share of recognised words that the transcript explains (0-1)."""
        return self.matched / self.heard if self.heard else 0.0

    def holding(self) -> list[int]:
        """Indices of the windows that hold an anchor."""
        out: list[int] = []
        k = 0
        for i, (a, b) in enumerate(self.windows):
            while k < len(self.anchors) and self.anchors[k].start < a * FRAME_MS:
                k += 1
            if k < len(self.anchors) and self.anchors[k].start < b * FRAME_MS:
                out.append(i)
        return out

    def bare(self) -> list[tuple[int, int]]:
        """The windows that hold no anchor."""
        held = set(self.holding())
        return [w for i, w in enumerate(self.windows) if i not in held]

    def long_run(self) -> bool:
        """Whether one run of anchors holds at least twice :data:`RUN` words: chance runs
        of another text measured 5 at most."""
        return any(k >= 2 * RUN for k in self.run_sizes)

    def stretch(self) -> tuple[int, int, float]:
        """The anchors' stretch: the windows from the first that holds an anchor to the last:
        how many there are, how many of them hold one, and the share of the words heard in
        them that are anchors (0 without anchors or per-window counts)."""
        held = self.holding()
        if not held or len(self.window_heard) != len(self.windows):
            return 0, 0, 0.0
        heard = sum(self.window_heard[held[0] : held[-1] + 1])
        return held[-1] - held[0] + 1, len(held), self.matched / heard if heard else 0.0


def sample_windows(speech: np.ndarray, every: int, length: int, also: Sequence[int] = ()) -> list[tuple[int, int]]:
    """Sample windows (frames): one of ``length`` frames every ``every`` frames, moved to
    where there is most speech nearby, plus one starting at each frame in ``also``. A
    file shorter than three samples is sampled whole."""
    n = len(speech)
    if n <= 3 * length:
        return [(0, n)] if n else []
    cum = np.concatenate([[0], np.cumsum(speech)])
    out: list[tuple[int, int]] = []
    k = max(3, int(round(n / every)))
    for i in range(k):
        centre = int((i + 0.5) * n / k)
        # the start within +-length/2 of the centre with the most speech in the window
        lo = max(0, centre - length)
        hi = min(n - length, centre)
        starts = np.arange(lo, hi + 1, max(1, length // 10))
        if not len(starts):
            continue
        a = int(starts[int(np.argmax(cum[starts + length] - cum[starts]))])
        out.append((a, a + length))
    for a in also:
        a = max(0, min(n - length, int(a)))
        out.append((a, a + length))
    out.sort()
    merged: list[tuple[int, int]] = []
    for a, b in out:
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def more_windows(n: int, have: Sequence[tuple[int, int]], length: int, budget: int) -> list[tuple[int, int]]:
    """Windows for a second look at ``n`` frames of audio: the whole of it in windows of
    ``length`` when it is at most ``budget`` long, else ``have`` plus windows spread evenly
    over the rest, ``budget`` frames of them, none overlapping another."""
    if n <= budget:
        cuts = list(range(0, n, length))
        if len(cuts) > 1 and n - cuts[-1] < length // 2:
            cuts.pop()  # a short tail joins the window before it
        return [(a, b) for a, b in zip(cuts, [*cuts[1:], n], strict=True)]
    out = sorted(have)
    k = budget // length
    for i in range(k):
        a = int((i + 0.5) * n / k) - length // 2
        a = max(0, min(n - length, a))
        if all(a + length <= x or a >= y for x, y in out):
            out.append((a, a + length))
            out.sort()
    return out


def windows_around(n: int, have: Sequence[tuple[int, int]], held: Sequence[int], length: int, reach: int) -> list[tuple[int, int]]:
    """``have`` plus up to ``reach`` windows of ``length`` frames on either side of each
    window ``have[i]`` for ``i`` in ``held``, back to back with it, none overlapping another
    or outside [0, ``n``)."""
    out = sorted(have)
    for i in held:
        a0, b0 = have[i]
        for k in range(reach):
            for a in (a0 - (k + 1) * length, b0 + k * length):
                a, b = max(0, a), min(n, a + length)
                if b - a >= length // 2 and all(b <= x or a >= y for x, y in out):
                    out.append((a, b))
                    out.sort()
    return out


def find_runs(
    hyp: Sequence[tuple[str, int, int]], words: Sequence[str], at: dict[str, list[int]], offset_ms: int
) -> list[list[Anchor]]:
    """Every placement of each maximal run of >= RUN recognised words that equal consecutive
    transcript words. ``at`` maps a word to its token positions; frames of ``hyp`` are
    ``offset_ms`` after the audio's start."""
    out: list[list[Anchor]] = []
    i = 0
    n = len(hyp)
    while i <= n - RUN:
        best: list[list[Anchor]] = []
        best_len = 0
        for j in at.get(hyp[i][0], ()):
            k = 1
            while i + k < n and j + k < len(words) and hyp[i + k][0] == words[j + k]:
                k += 1
            if k >= RUN and k >= best_len:
                run = [Anchor(j + m, max(0, offset_ms + hyp[i + m][1] * FRAME_MS), max(0, offset_ms + (hyp[i + m][2] + 1) * FRAME_MS)) for m in range(k)]
                if k > best_len:
                    best, best_len = [], k
                best.append(run)
        if best:
            out.extend(best)
            i += best_len
        else:
            i += 1
    return out


def chain(runs: Sequence[Sequence[Anchor]]) -> list[list[Anchor]]:
    """The runs that form the best forward chain: most matched words, each run after the
    previous in time and in text, at a plausible rate between them (a weighted longest
    increasing subsequence; runs are few, so quadratic is fine)."""
    rs = sorted(runs, key=lambda r: (r[0].start, r[0].tok))
    n = len(rs)
    if not n:
        return []
    best = [float(len(r)) for r in rs]
    back = [-1] * n
    for i in range(n):
        a = rs[i][0]
        for j in range(i):
            b = rs[j][-1]
            if a.tok <= b.tok or a.start < b.end:
                continue
            # the text between must fit the audio between (extra audio is fine: speech the
            # text lacks; extra text is not: it would have to be said impossibly fast,
            # unless it is not spoken at all, which a chain through both cannot tell)
            if a.tok - b.tok - 1 > MAX_TOKENS_PER_S * (a.start - b.end) / 1000 + 8:
                continue
            if best[j] + len(rs[i]) > best[i]:
                best[i] = best[j] + len(rs[i])
                back[i] = j
    i = int(np.argmax(best))
    out: list[list[Anchor]] = []
    while i >= 0:
        out.append(list(rs[i]))
        i = back[i]
    return out[::-1]


def window_runs(
    hyps: Sequence[Sequence[tuple[str, int, int]]],
    windows: Sequence[tuple[int, int]],
    words: Sequence[str],
) -> list[list[Anchor]]:
    """Every run (:func:`find_runs`) in recognised windows: ``hyps[k]`` holds the words
    recognised in ``windows[k]`` (frames), with frames counted from the window's start."""
    at: dict[str, list[int]] = {}
    for j, w in enumerate(words):
        at.setdefault(w, []).append(j)
    runs: list[list[Anchor]] = []
    for hyp, (a, _) in zip(hyps, windows, strict=True):
        runs += find_runs(hyp, words, at, a * FRAME_MS)
    return runs


def probe(
    hyps: Sequence[Sequence[tuple[str, int, int]]],
    windows: Sequence[tuple[int, int]],
    words: Sequence[str],
) -> Probe:
    """The kept anchors of recognised windows (as for :func:`window_runs`)."""
    kept = chain(window_runs(hyps, windows, words))
    if len(kept) == 1 and len(kept[0]) < 2 * RUN and sum(len(h) for h in hyps) >= 4 * RUN:
        # one short run among many recognised words is what chance gives (measured: a
        # transcript of another recording yields one such run in 117 words)
        kept = []
    anchors = tuple(x for r in kept for x in r)
    wins = [(a * FRAME_MS, b * FRAME_MS) for a, b in windows]
    n_match = sum(1 for a, b in wins if any(a <= r[0].start < b for r in kept))
    heard = sum(len(h) for h in hyps)
    return Probe(anchors, heard, len(anchors), len(windows), n_match, tuple(windows), tuple(len(r) for r in kept),
                 window_heard=tuple(len(h) for h in hyps))  # fmt: skip
