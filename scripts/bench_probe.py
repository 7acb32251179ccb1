#!/usr/bin/env python
"""Does the transcript belong to the media? The speech engine's check, on right and wrong pairs; JSON out.

Every case of the degraded sets (``scripts/make_degraded.py``) and of ``../shared/data`` is
checked with its own transcript (right pairs: a refusal is a false one) and with the
transcripts of cases from other texts, the next one along and the shortest of 40 words or
more (wrong pairs: an acceptance lets the engine lay another recording's words on this
speech). Each pair is judged twice in the same run: as the engine does (a second, longer
look when the first samples say little) and with the first look only (``probe_more_ms=0``).
Both apply today's refusal rule; the one before the second look accepted any share of 8%
or more, which the rows' ``share`` shows. Only the check runs (recognition of samples),
not the alignment.

    python scripts/make_degraded.py && python scripts/make_degraded.py --set validation
    python scripts/bench_probe.py [-j 2]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
SETS = [Path("/tmp/clipper-degraded"), Path("/tmp/clipper-validation")]
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _text_of(name: str) -> str:
    """Which text a case speaks: "tts_c_babble5" and "val_tts_c_x" -> "tts_c", "mfa_phone" -> "mfa"."""
    name = re.sub(r"^(val_|emur_ae_|praatio_)", "", name)
    m = re.match(r"(tts_[a-z])_", name)
    if m:
        return m.group(1)
    name = name.split("_")[0]
    return {"acoustic": "mfa", "gentle": "harvard30", "2412": "librispeech"}.get(name, name)


def _grams(path: Path, n: int = 5) -> set[tuple[str, ...]]:
    w = re.findall(r"[a-z']+", path.read_text(encoding="utf-8").lower())
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def verdict(media: Path, transcript: Path, jobs: int, options: dict[str, Any]) -> dict[str, Any]:
    """The engine's check of ``transcript`` against ``media``: accepted or not, and the probe's counts."""
    from clipper.align import AlignRequest
    from clipper.align.lexicon import Lexicon
    from clipper.align.speech import assemble as A
    from clipper.align.speech.audio import _activity, _read_audio
    from clipper.align.speech.chain import _extra_words
    from clipper.align.speech.options import SpeechOptions, tokenize
    from clipper.errors import MismatchError
    from clipper.media import probe
    from clipper.pipeline import load_transcript

    tr = load_transcript(transcript, segmentation="lines")
    req = AlignRequest(tr, probe(media), jobs=jobs, options=options)
    opts = SpeechOptions.from_mapping(options)
    lex = Lexicon()
    words = [t.word for t in tokenize(tr.segments, lex)]
    stats: dict[str, Any] = {}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-probe-") as tmp:
        audio = _read_audio(req.media, tmp, req)  # type: ignore[arg-type]
        speech = _activity(audio.db)
        parts = A._partition(audio, jobs, opts.part_ms)
        pr = A._run_probe(audio, speech, [p[0] for p in parts[1:]], words, _extra_words(lex), opts, jobs, req)
        try:
            A._check_match(pr, req, opts, stats)
            ok = True
        except MismatchError:
            ok = False
    return {"accepted": ok, "wall_s": round(time.perf_counter() - t0, 2), **stats["probe"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-j", "--jobs", type=int, default=2)
    a = ap.parse_args()
    from clipper.evaluate import expand_cases

    cases = [c for s in SETS if s.is_dir() for c in expand_cases([s])]
    if DATA.is_dir():
        cases += expand_cases([DATA])
    if not cases:
        print(json.dumps({"skipped": "no cases: build them with scripts/make_degraded.py"}))
        return
    # right pairs: every case but another recording's transcript (those are wrong pairs already)
    right = [(c.name, c.media, c.transcript) for c in cases if "other_recording" not in c.name]
    by_text: dict[str, Any] = {}
    for c in cases:
        by_text.setdefault(_text_of(c.name), c)
    texts = sorted(by_text)
    wrong = [(c.name, c.media, c.transcript) for c in cases if "other_recording" in c.name]
    n_words = {t: len(re.findall(r"[a-z']+", by_text[t].transcript.read_text(encoding="utf-8").lower())) for t in texts}
    shortest = [by_text[t] for t in sorted(texts, key=lambda t: n_words[t]) if n_words[t] >= 40]
    for c in cases:
        if "other_recording" in c.name:
            continue
        # the next text along that shares no five words in a row with this one (a long
        # transcript holds other cases' passages)
        mine = _grams(c.transcript)
        k = texts.index(_text_of(c.name))
        for j in range(1, len(texts)):
            other = by_text[texts[(k + j) % len(texts)]]
            if not mine & _grams(other.transcript):
                wrong.append((f"{c.name} <- {other.name}", c.media, other.transcript))
                break
        # and the shortest other text of 40 words or more: a short transcript's bigram
        # spells chance runs of it out of any speech
        for other in shortest:
            if _text_of(other.name) != _text_of(c.name) and not mine & _grams(other.transcript):
                if (f"{c.name} <- {other.name}", c.media, other.transcript) not in wrong:
                    wrong.append((f"{c.name} <- {other.name}", c.media, other.transcript))
                break
    out: dict[str, Any] = {}
    for label, opts in (("engine", {}), ("first_look_only", {"probe_more_ms": 0})):
        rows = []
        for kind, pairs in (("right", right), ("wrong", wrong)):
            for name, media, transcript in pairs:
                v = verdict(media, transcript, a.jobs, opts)
                rows.append({"pair": name, "kind": kind, **v})
        r = [x for x in rows if x["kind"] == "right" and x["heard"] >= 20]
        w = [x for x in rows if x["kind"] == "wrong" and x["heard"] >= 20]
        out[label] = {
            "right_pairs_checked": len(r),
            "right_refused": [x["pair"] for x in r if not x["accepted"]],
            "wrong_pairs_checked": len(w),
            "wrong_accepted": [x["pair"] for x in w if x["accepted"]],
            "right_share_min": min((x["share"] for x in r if x["accepted"]), default=None),
            "wrong_share_max": max((x["share"] for x in w), default=None),
            "second_looks": sum(1 for x in rows if "first_share" in x),
            "wall_s": round(sum(x["wall_s"] for x in rows), 1),
            "rows": rows,
        }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
