"""pocketsphinx, as the speech engine uses it: forced alignment over a grammar, and
recognition biased to the transcript with a bigram written on the spot.

Nothing is downloaded: the acoustic model and the CMU dictionary ship inside the
pocketsphinx wheel. Frames are 10 ms; scores are in pocketsphinx's log base 1.0001.
"""

from __future__ import annotations

import math
import os
import warnings
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "FRAME_MS",
    "LOG_BASE",
    "GARBAGE_PHONES",
    "WIDE_BEAM",
    "forced_decoder",
    "write_bigram",
    "Recogniser",
]

FRAME_MS = 10
LOG_BASE = math.log(1.0001)  # pocketsphinx scores are in this log base
#: the phones of the bundled en-us model: the garbage loop that absorbs untranscribed speech
GARBAGE_PHONES = ("AA", "AH", "IY", "UW", "N", "S", "T", "L")
#: all three beams this wide keep the right path on degraded audio (noise, a telephone
#: line, a hoarse voice), where the default beams prune it and the search returns a
#: partial path; 2-4x the CPU, so it is used where a block looks wrong
WIDE_BEAM = 1e-80


def forced_decoder(extra: dict[str, str], beam: float, wbeam: float, pbeam: float) -> Any:
    """A decoder for grammar (FSG) search over the bundled model and dictionary, plus the
    made-up words in ``extra`` (word -> phones; several readings tab-separated) and the
    garbage phones (``gbg_*``)."""
    import pocketsphinx

    d = pocketsphinx.Decoder(lm=None, loglevel="FATAL", beam=beam, wbeam=wbeam, pbeam=pbeam, fsgusefiller=True)
    for w, ph in extra.items():
        for k, alt in enumerate(ph.split("\t")):  # several readings: the first is the word, the others variants
            d.add_word(w if k == 0 else f"{w}({k + 1})", alt, False)
    for ph in GARBAGE_PHONES:
        d.add_word("gbg_" + ph.lower(), ph, False)
    d.add_word("gbg_sil", "SIL", True)
    return d


def write_bigram(words: Sequence[str], path: str) -> None:
    """An ARPA bigram of a stretch of the transcript: recognition biased to that text."""
    uni = Counter(words)
    big = Counter(zip(words, words[1:], strict=False))
    n = len(words)
    lines = ["\\data\\", f"ngram 1={len(uni) + 2}", f"ngram 2={len(big)}", "", "\\1-grams:"]
    lines.append("-99 <s> -0.5")
    lines.append(f"{math.log10(1 / n):.4f} </s> 0")
    for w in sorted(uni):
        lines.append(f"{math.log10(uni[w] / n):.4f} {w} {math.log10(0.3):.4f}")
    lines += ["", "\\2-grams:"]
    for (a, b), c in big.items():
        lines.append(f"{math.log10(0.7 * c / uni[a]):.4f} {a} {b}")
    lines += ["", "\\end\\", ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


class Recogniser:
    """Recognition biased to ``words`` (a stretch of the transcript, or all of it).

    A decoder of its own whose dictionary holds just these words, with every reading the
    forced decoder ``lookup`` knows: pocketsphinx sets up a language-model search over its
    full 134k-word dictionary in seconds, over a few thousand words in a fraction of one.
    Only the first search pass runs (no flat-lexicon or lattice pass): for telling where
    the audio is in a known text, it hears as many of the words at under half the time.
    """

    def __init__(self, lookup: Any, words: Sequence[str], base: str) -> None:
        import pocketsphinx

        write_bigram(words, base + ".arpa")
        lines = []
        for w in sorted(set(words)):
            k, key = 1, w
            while (ph := lookup.lookup_word(key)) is not None:
                lines.append(f"{key} {ph}")
                k += 1
                key = f"{w}({k})"
        with open(base + ".dict", "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        self.decoder = pocketsphinx.Decoder(
            lm=base + ".arpa", dict=base + ".dict", loglevel="FATAL", fwdflat=False, bestpath=False
        )
        for ext in (".arpa", ".dict"):
            os.unlink(base + ext)  # read at set-up: the files are not needed after

    def __call__(self, x: np.ndarray) -> list[tuple[str, int, int]]:
        """Recognised words with their start and end frames in ``x`` (fillers left out), from
        ``x`` alone: whatever was recognised before does not change them."""
        d = self.decoder
        _forget_noise(d)
        d.start_utt()
        d.process_raw(x.tobytes(), full_utt=True)
        d.end_utt()
        return [
            (s.word.split("(")[0], s.start_frame, s.end_frame)
            for s in d.seg()
            if not s.word.startswith(("<", "[", "+"))
        ]


def _forget_noise(d: Any) -> None:
    """Reset the noise estimate of the model's noise removal (``-remove_noise yes``), which
    otherwise carries over from one utterance to the next. Measured: recognising the probe's
    samples of babble at 5 dB in another order changed the words heard in 2 of 3, so the
    share, and whether the transcript was refused, depended on how the samples were shared
    among ``-j`` workers (7.6% refused with 2, 8.7% accepted with 1)."""
    reset = getattr(d, "start_stream", None)  # "deprecated and unnecessary" since 5.0, yet it resets them
    if reset is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            reset()
