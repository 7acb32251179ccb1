"""Clip edges against word truth on the 10-minute TTS video; prints JSON.

    python scripts/bench_cut_edges.py [--quotes 120] [--cut 6] [--seed 5]
    # the code before a change, same script and data:
    git worktree add ../before <commit> && cd ../before && PYTHONPATH=. python ../main/scripts/bench_cut_edges.py

An alignment is made from the truth words of ../shared/bench/tts/seed_tts_10min.mp4
(sample-exact times), so every error counted is the planner's or the cut's, not an
aligner's. Random quotes (2-12 consecutive words, typed exactly) go through what
``clipper cut`` does (``clipper.workflow.cut``: find, plan, keyframes, cut) for each mode
and padding (``--handle-before``/``--handle-after``):

- planned: every quote alone, ``dry_run``: edges strictly inside a truth word (the truth
  rounded to ms: 0.5 ms of slack), their depth, edges off the 25 fps frame grid; an edge
  inside a word or off the grid that the clip's notes do not report is counted apart
  (fast mode: a keyframe start inside a word, an end with no room for an audio packet);
- measured: ``--cut`` quotes per mode and padding really cut; the clip's sound is located
  in the source by cross-correlation (tests/clips_truth.py: ``audio_edges``) and its real
  start and end checked against the truth words (more than 0.56 ms inside: the truth's
  rounding plus one sample; and more than one AAC frame, 21.3 ms);
  the manifest's ``source_end`` (what an EDL of the clips says) is checked too;
- independence: quotes cut alone and together with a neighbouring quote (the next few
  words, and one a few seconds later): how many clips' spans changed, and how many were
  merged because their words overlap.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from clips_truth import alignment_from_truth, audio_edges, inside_word, truth_words  # noqa: E402

from clipper.media import decode_audio, probe  # noqa: E402
from clipper.workflow import cut  # noqa: E402

SHARED = ROOT.parent / "shared" / "bench" / "tts"
PADDINGS = ((0, 0), (80, 80), (250, 400), (1000, 1000))
AAC_FRAME = 1024 / 48  # ms
#: a measured edge counts as inside a word when more than this (ms) inside: the truth
#: rounded to ms (0.5) plus the measurement's precision (a 16 kHz sample)
MEASURE_TOL = 0.5 + 1000 / 16000


def _noted_inside(notes: tuple[str, ...], edge: str) -> bool:
    """Whether a clip's notes say that this edge (a fast start on a keyframe, a stream
    copy's end) may fall inside a word."""
    if edge == "start":
        return any("starts inside a word" in x or "may begin" in x for x in notes)
    return any("inside the next word" in x for x in notes)


def _quotes(al: Any, rng: random.Random, n: int) -> list[tuple[int, int, str]]:
    """``n`` spans of 2-12 consecutive spoken words: (first word index, last, text)."""
    words = [w for s in al.segments for w in s.words]
    out = []
    while len(out) < n:
        i = rng.randrange(len(words) - 30)  # room for the neighbours below
        j = i + rng.randint(1, 11)
        out.append((i, j, " ".join(w.text for w in words[i : j + 1])))
    return out


def _run(al: Any, media: Path, out: Path, quotes: list[str], mode: str, pad: tuple[int, int], dry: bool) -> Any:
    return cut(media, al, out, quotes=quotes, mode=mode, handle_before=pad[0], handle_after=pad[1], min_score=95,
               dry_run=dry, force=True)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quotes", type=int, default=120, help="random quotes planned per mode and padding")
    ap.add_argument("--cut", type=int, default=6, help="of them, really cut and measured per mode and padding")
    ap.add_argument("--pairs", type=int, default=30, help="quotes cut alone and with neighbours, per mode and padding")
    ap.add_argument("--seed", type=int, default=5)
    a = ap.parse_args()
    media = SHARED / "seed_tts_10min.mp4"
    truth = SHARED / "seed_tts_10min.truth.json"
    if not media.exists():
        sys.exit(f"needs {media} (../shared beside the project)")
    t0 = time.perf_counter()
    info = probe(media)
    al = alignment_from_truth(truth, media=info)
    tw = truth_words(truth)
    words = [w for s in al.segments for w in s.words]
    rng = random.Random(a.seed)
    quotes = _quotes(al, rng, a.quotes)
    src = decode_audio(media)
    frame = 1000 * info.fps_den / info.fps_num if info.fps_num and info.fps_den else None
    report: dict[str, Any] = {"media": str(media), "quotes": a.quotes, "cut": a.cut, "pairs": a.pairs, "seed": a.seed,
                              "paddings": [list(p) for p in PADDINGS], "planned": {}, "measured": {}, "independence": {}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="clipper-edges-") as tmp:
        for mode in ("accurate", "fast"):
            for pad in PADDINGS:
                key = f"{mode} {pad[0]}/{pad[1]}"
                # planned, each quote alone
                n = inside = silent = off = off_silent = took_words = muted = 0
                depth = 0.0
                singles: dict[int, tuple[int, int]] = {}
                for k, (i, _j, q) in enumerate(quotes):
                    res = _run(al, media, Path(tmp) / "d", [q], mode, pad, True)
                    (c,) = res.manifest.clips
                    if c.requested_start != words[i].start:
                        continue  # the quote is said more than once and find chose another place
                    singles[k] = (c.source_start, c.source_end)
                    said = res.per_clip_notes.get(c.index, ())
                    took_words += any("word(s): the pause" in x for x in said)
                    # what is heard: a re-encode silences a frame edge's sliver of a word
                    head, tail = getattr(c, "mute_head", 0), getattr(c, "mute_tail", 0)
                    muted += bool(head or tail)
                    for edge, t in (("start", c.source_start), ("end", c.source_end)):
                        n += 1
                        d = inside_word(t + head if edge == "start" else t - tail, tw, 0.5)
                        if d:
                            inside += 1
                            depth = max(depth, d)
                            silent += not _noted_inside(said, edge)
                        if frame is not None and t != info.duration and abs(t / frame - round(t / frame)) * frame >= 1:
                            off += 1
                            off_silent += not any(f"{edge} " in x and "not on a frame" in x for x in said)
                report["planned"][key] = {"edges": n, "inside_word": inside, "inside_word_not_noted": silent,
                                          "max_depth_ms": round(depth, 1), "off_frame_grid": off,
                                          "off_frame_grid_not_noted": off_silent, "clips": len(singles),
                                          "took_in_neighbouring_words": took_words, "edge_sliver_silenced": muted}  # fmt: skip
                # measured: really cut a few
                m = m_in = m_tol = m_silent = man_in = 0
                m_depth = 0.0
                picked = [k for k in list(singles)[: a.cut]]
                res = _run(al, media, Path(tmp) / key.replace(" ", "_").replace("/", "-"), [quotes[k][2] for k in picked], mode, pad, False)
                for c in res.manifest.clips:
                    s, e = audio_edges(res.folder / c.file, src, c.source_start)
                    said = res.per_clip_notes.get(c.index, ())
                    # what the manifest (and so an EDL of it) says the clip ends at
                    man_in += inside_word(c.source_end, tw, 0.5) > 0
                    head, tail = getattr(c, "mute_head", 0), getattr(c, "mute_tail", 0)
                    for edge, t in (("start", s + head), ("end", e - tail)):
                        m += 1
                        d = inside_word(t, tw, MEASURE_TOL)
                        m_depth = max(m_depth, d)
                        m_in += d > 0
                        m_silent += d > 0 and not _noted_inside(said, edge)
                        m_tol += inside_word(t, tw, AAC_FRAME) > 0
                report["measured"][key] = {"edges": m, "inside_word": m_in, "inside_word_not_noted": m_silent,
                                           "inside_word_beyond_one_aac_frame": m_tol, "max_depth_ms": round(m_depth, 1),
                                           "manifest_end_inside_word": man_in}  # fmt: skip
                # independence: alone vs with neighbours
                changed = merged = compared = 0
                for k in list(singles)[: a.pairs]:
                    i, j, q = quotes[k]
                    nxt = " ".join(w.text for w in words[j + 1 : j + 1 + rng.randint(2, 6)])
                    later = " ".join(w.text for w in words[j + 12 : j + 16])
                    res = _run(al, media, Path(tmp) / "d", [q, nxt, later], mode, pad, True)
                    mine = [c for c in res.manifest.clips if c.requested_start <= words[i].start < c.requested_end]
                    if len(mine) != 1:
                        continue
                    compared += 1
                    c = mine[0]
                    if " + " in c.label:  # merged with another clip (both versions label it so)
                        merged += 1
                    elif (c.source_start, c.source_end) != singles[k]:
                        changed += 1
                report["independence"][key] = {"compared": compared, "changed": changed, "merged": merged}
                print(f"{key}: {report['planned'][key]} {report['measured'][key]} {report['independence'][key]}", file=sys.stderr)
    report["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
