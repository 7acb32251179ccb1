"""Does the reference engine tell a reference of the same speech from one of another? Prints JSON.

For every pair of transcript and reference below, the reference engine's mismatch measure
(:func:`clipper.align.reference.run_share`: the share of min(transcript words, reference
words) matched in runs, ``stats["run_share"]``) and the match rate it used to test
(``stats["match_rate"]``, refused below 0.3), against the threshold
(``DEFAULTS["min_run_share"]``). The figures are written beside ``MIN_RUN_SHARE`` in
``clipper/align/reference.py``.

Right pairs (the same speech; the references have ~15 % word errors):

- the bench: the seed transcript against its 6.8 h ``seed.youtube.vtt`` and ``seed.cues.srt``;
- ``tests/data/reference/seed_6min.txt`` against ``seed_6min.youtube.vtt`` / ``.cues.srt``;
- a transcript of a part of the reference: seed_6min's lines 60-119 against the 6-minute
  references, and seed_6min against the 6.8 h references;
- a transcript covering twice the reference's speech: seed_6min against the first half of
  its references' cues, the seed against the first half of ``seed.youtube.vtt``;
- a reference of a small part of the transcript: the seed against ``seed_3h.youtube.vtt``;
- short transcripts: ``../shared/data`` cases (mfa_acoustic_corpus, harvard list 30)
  against YouTube-like tracks derived from their truth words
  (``scripts/bench_reference.py``'s ``youtube_like_vtt``, 15 % word errors);
- more word errors: seed_6min against tracks derived from the bench truth's words of its
  first six minutes with 30, 45 and 60 % word errors.

Wrong pairs: ``samples/interview.txt`` against the seed's references (6 min and 6.8 h);
seed_6min against ``seed_3h.youtube.vtt`` (another passage of the talk); references whose
words (or cue texts) are shuffled over their times; the seed's first hour against the
reference's last hour; transcripts against references of other recordings (tracks
derived from ``../shared/data`` cases).

Usage: ``python scripts/bench_reference_mismatch.py [--shared ../shared]`` (pairs that need
``../shared`` are listed as skipped without it).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from clipper.align import AlignRequest
from clipper.align.reference import DEFAULTS, run
from clipper.model import Segment, Transcript, Word
from clipper.read import load, parse

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "reference"


def _bench_reference() -> Any:
    spec = importlib.util.spec_from_file_location("bench_reference", ROOT / "scripts" / "bench_reference.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def word_shuffled(ref: Transcript, seed: int = 5) -> Transcript:
    """The reference's words shuffled over its word slots (times kept)."""
    rng = random.Random(seed)
    texts = [w.text for s in ref.segments for w in s.words]
    rng.shuffle(texts)
    it = iter(texts)
    segs = []
    for s in ref.segments:
        ws = tuple(replace(w, text=next(it)) for w in s.words)
        segs.append(replace(s, words=ws, text=" ".join(w.text for w in ws)))
    return replace(ref, segments=tuple(segs))


def cue_shuffled(ref: Transcript, seed: int = 7) -> Transcript:
    """The reference's cue texts shuffled over its cue slots, words spread evenly in each."""
    rng = random.Random(seed)
    segs = [s for s in ref.segments if s.start is not None and s.end is not None and s.words]
    texts = [s.words for s in segs]
    rng.shuffle(texts)
    out = []
    for s, ws in zip(segs, texts, strict=True):
        assert s.start is not None and s.end is not None
        n, span = len(ws), s.end - s.start
        nw = tuple(Word(w.text, s.start + span * k // n, s.start + span * (k + 1) // n) for k, w in enumerate(ws))
        out.append(Segment(s.id, " ".join(w.text for w in ws), nw, s.start, s.end))
    return replace(ref, segments=tuple(out))


def first_half(ref: Transcript) -> Transcript:
    return replace(ref, segments=ref.segments[: len(ref.segments) // 2])


def pairs(shared: Path | None) -> Iterator[tuple[str, str, Callable[[], tuple[Transcript, Transcript]] | None]]:
    """(name, "right"/"wrong", loader or None when it needs ../shared)."""
    cache: dict[str, Transcript] = {}

    def get(key: str, make: Callable[[], Transcript]) -> Transcript:
        if key not in cache:
            cache[key] = make()
        return cache[key]

    def seed6() -> Transcript:
        return get("seed6", lambda: load(DATA / "seed_6min.txt"))

    def part6() -> Transcript:
        return get("part6", lambda: replace(seed6(), segments=seed6().segments[60:120]))

    def yt6() -> Transcript:
        return get("yt6", lambda: load(DATA / "seed_6min.youtube.vtt"))

    def cu6() -> Transcript:
        return get("cu6", lambda: load(DATA / "seed_6min.cues.srt"))

    def y3h() -> Transcript:
        return get("y3h", lambda: load(DATA / "seed_3h.youtube.vtt"))

    def interview() -> Transcript:
        return get("interview", lambda: load(ROOT / "samples" / "interview.txt"))

    local: list[tuple[str, str, Callable[[], tuple[Transcript, Transcript]]]] = [
        ("seed_6min / seed_6min.youtube.vtt", "right", lambda: (seed6(), yt6())),
        ("seed_6min / seed_6min.cues.srt", "right", lambda: (seed6(), cu6())),
        ("seed_6min lines 60-119 / seed_6min.youtube.vtt (transcript of a part)", "right", lambda: (part6(), yt6())),
        ("seed_6min lines 60-119 / seed_6min.cues.srt (transcript of a part)", "right", lambda: (part6(), cu6())),
        ("seed_6min / first half of seed_6min.youtube.vtt (transcript twice the reference)", "right",
         lambda: (seed6(), first_half(yt6()))),
        ("seed_6min / first half of seed_6min.cues.srt (transcript twice the reference)", "right",
         lambda: (seed6(), first_half(cu6()))),
        ("samples/interview.txt / seed_6min.youtube.vtt", "wrong", lambda: (interview(), yt6())),
        ("samples/interview.txt / seed_6min.cues.srt", "wrong", lambda: (interview(), cu6())),
        ("seed_6min / seed_3h.youtube.vtt (another passage)", "wrong", lambda: (seed6(), y3h())),
        ("seed_6min lines 60-119 / seed_3h.youtube.vtt (another passage)", "wrong", lambda: (part6(), y3h())),
        ("seed_6min / word-shuffled seed_6min.youtube.vtt", "wrong", lambda: (seed6(), word_shuffled(yt6()))),
        ("seed_6min / word-shuffled seed_6min.cues.srt", "wrong", lambda: (seed6(), word_shuffled(cu6()))),
        ("seed_6min / cue-shuffled seed_6min.youtube.vtt", "wrong", lambda: (seed6(), cue_shuffled(yt6()))),
        ("seed_6min / cue-shuffled seed_6min.cues.srt", "wrong", lambda: (seed6(), cue_shuffled(cu6()))),
    ]  # fmt: skip
    yield from local
    ok = shared is not None and (shared / "bench" / "seed.truth.json").exists()

    def need(f: Callable[[], tuple[Transcript, Transcript]]) -> Callable[[], tuple[Transcript, Transcript]] | None:
        return f if ok else None

    assert shared is not None or not ok
    sh = shared if shared is not None else Path("../shared")
    br: list[Any] = []

    def bench_ref() -> Any:
        if not br:
            br.append(_bench_reference())
        return br[0]

    def seed() -> Transcript:
        return get("seed", lambda: load(sh / "seeds" / "000_4a3f5fdea2417d2d.txt"))

    def byt() -> Transcript:
        return get("byt", lambda: load(sh / "bench" / "seed.youtube.vtt"))

    def bcu() -> Transcript:
        return get("bcu", lambda: load(sh / "bench" / "seed.cues.srt"))

    def truth() -> dict[str, Any]:
        return json.loads((sh / "bench" / "seed.truth.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    def case_tr(case: str) -> Transcript:
        return get("tr_" + case, lambda: load(sh / "data" / case / "transcript.txt"))

    def case_ref(case: str) -> Transcript:
        def make() -> Transcript:
            words = json.loads((sh / "data" / case / "truth.json").read_text(encoding="utf-8"))["words"]
            return parse(bench_ref().youtube_like_vtt(words), "vtt")

        return get("ref_" + case, make)

    def derived6(wer: float) -> Transcript:
        words = [w for w in truth()["words"] if w["end"] < 362.0]  # seed_6min's span
        return parse(bench_ref().youtube_like_vtt(words, wer=wer), "vtt")

    def first_hour() -> Transcript:
        segs = truth()["segments"]
        return replace(seed(), segments=tuple(s for s, t in zip(seed().segments, segs, strict=True) if t["end"] < 3600))

    def last_hour() -> Transcript:
        ref = byt()
        last = max(s.end for s in ref.segments if s.end is not None)
        return replace(
            ref, segments=tuple(s for s in ref.segments if s.start is not None and s.start > last - 3_600_000)
        )

    mfa, harvard = "mfa_acoustic_corpus", "gentle_osr_harvard_list30"
    yield from [
        ("bench seed / seed.youtube.vtt (6.8 h)", "right", need(lambda: (seed(), byt()))),
        ("bench seed / seed.cues.srt (6.8 h)", "right", need(lambda: (seed(), bcu()))),
        ("seed_6min / seed.youtube.vtt (6.8 h: transcript of a part)", "right", need(lambda: (seed6(), byt()))),
        ("seed_6min / seed.cues.srt (6.8 h: transcript of a part)", "right", need(lambda: (seed6(), bcu()))),
        ("bench seed / first half of seed.youtube.vtt (transcript twice the reference)", "right",
         need(lambda: (seed(), first_half(byt())))),
        ("bench seed / seed_3h.youtube.vtt (reference of a small part)", "right", need(lambda: (seed(), y3h()))),
        (f"{mfa} / YouTube-like track from its truth", "right", need(lambda: (case_tr(mfa), case_ref(mfa)))),
        (f"{harvard} / YouTube-like track from its truth", "right", need(lambda: (case_tr(harvard), case_ref(harvard)))),
        ("seed_6min / track derived from its truth words, 30 % word errors", "right", need(lambda: (seed6(), derived6(0.3)))),
        ("seed_6min / track derived from its truth words, 45 % word errors", "right", need(lambda: (seed6(), derived6(0.45)))),
        ("seed_6min / track derived from its truth words, 60 % word errors", "right", need(lambda: (seed6(), derived6(0.6)))),
        ("samples/interview.txt / seed.youtube.vtt (6.8 h)", "wrong", need(lambda: (interview(), byt()))),
        ("samples/interview.txt / seed.cues.srt (6.8 h)", "wrong", need(lambda: (interview(), bcu()))),
        (f"{harvard} / seed.youtube.vtt (6.8 h)", "wrong", need(lambda: (case_tr(harvard), byt()))),
        (f"{harvard} / seed_6min.youtube.vtt", "wrong", need(lambda: (case_tr(harvard), yt6()))),
        ("bench seed's first hour / seed.youtube.vtt's last hour", "wrong", need(lambda: (first_hour(), last_hour()))),
        ("bench seed / word-shuffled seed.youtube.vtt", "wrong", need(lambda: (seed(), word_shuffled(byt())))),
        ("bench seed / cue-shuffled seed.youtube.vtt", "wrong", need(lambda: (seed(), cue_shuffled(byt())))),
        (f"bench seed / track of {mfa}", "wrong", need(lambda: (seed(), case_ref(mfa)))),
        (f"seed_6min / track of {mfa}", "wrong", need(lambda: (seed6(), case_ref(mfa)))),
        (f"seed_6min / track of {harvard}", "wrong", need(lambda: (seed6(), case_ref(harvard)))),
    ]  # fmt: skip


def measure(tr: Transcript, ref: Transcript) -> dict[str, Any]:
    t0 = time.perf_counter()
    al = run(AlignRequest(tr, reference=ref, force=True, options={"refine": False}))
    st = al.stats
    return {
        "transcript_words": st["words"],
        "reference_words": st["reference_words"],
        "run_share": st["run_share"],
        "match_rate": st["match_rate"],
        "wall_s": round(time.perf_counter() - t0, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"), help="the shared data folder")
    args = ap.parse_args()
    shared = Path(args.shared).resolve()
    threshold = float(DEFAULTS["min_run_share"])
    rows: list[dict[str, Any]] = []
    for name, expect, loader in pairs(shared if shared.exists() else None):
        if loader is None:
            rows.append({"pair": name, "expect": expect, "skipped": f"needs {shared}"})
            continue
        print(f"{name} ...", file=sys.stderr, flush=True)
        tr, ref = loader()
        m = measure(tr, ref)
        refused = m["run_share"] < threshold
        rows.append(
            {"pair": name, "expect": expect, **m, "refused": refused, "correct": refused == (expect == "wrong")}
        )
    done = [r for r in rows if "skipped" not in r]
    right = [r["run_share"] for r in done if r["expect"] == "right"]
    wrong = [r["run_share"] for r in done if r["expect"] == "wrong"]
    old_wrong_accepted = [r["pair"] for r in done if r["expect"] == "wrong" and r["match_rate"] >= 0.3]
    report = {
        "measure": "run_share: share of min(transcript words, reference words) matched in runs",
        "threshold": threshold,
        "right_min": min(right) if right else None,
        "wrong_max": max(wrong) if wrong else None,
        "all_correct": all(r["correct"] for r in done),
        "old_measure_accepted_wrong": old_wrong_accepted,
        "pairs": rows,
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
