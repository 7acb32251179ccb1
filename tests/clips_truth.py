"""Test helpers for the clip tests: alignments made from truth files, the seed's takeaways.

An alignment built from truth times stands in for an engine's output, so search,
hint resolution and cutting can be measured against known times.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from pathlib import Path

from clipper.model import Alignment, Hint, MediaInfo, Segment, Takeaway, Topic, Transcript, Word
from clipper.query.resolve import readings_for
from clipper.text import spoken_tokens


def alignment_from_truth(
    truth_path: Path,
    media: MediaInfo | None = None,
    takeaways: tuple[Takeaway, ...] = (),
    topics: tuple[Topic, ...] = (),
) -> Alignment:
    """Segments and words of a ``truth.json`` (seconds) as an Alignment (ms).

    Truth words are assigned to the segment whose span holds their start; a segment's
    displayed text is the truth text.
    """
    d = json.loads(truth_path.read_text(encoding="utf-8"))
    words = d["words"]
    starts = [w["start"] for w in words]
    segs = []
    for i, s in enumerate(d["segments"]):
        a, b = round(s["start"] * 1000), round(s["end"] * 1000)
        lo = bisect_left(starts, s["start"] - 1e-6)
        hi = bisect_left(starts, s["end"] + 1e-6)
        ws = tuple(Word(w["word"], round(w["start"] * 1000), round(w["end"] * 1000), 1.0) for w in words[lo:hi])
        if s.get("scored") is False or not spoken_tokens(s["text"]):
            ws = ()
        segs.append(Segment(i, s["text"], ws, a, b, 1.0))
    if media is None:
        media = MediaInfo(path=str(truth_path.with_name(d.get("audio") or "none")), duration=round(d["duration"] * 1000))
    tr = Transcript(tuple(segs), takeaways=takeaways, topics=topics, meta={"title": d.get("source", "")})
    return Alignment(tr, engine="truth", media=media, stats={"segments": len(segs)})


_TAKEAWAY = re.compile(r"- \*\*(?P<title>[^*]+)\*\*:\s*(?P<body>.*?)(?=\s+- \*\*|\Z)", re.S)
_HINT = re.compile(r"\[\d{1,2}:\d{1,2}(?::\d{1,2})?\]")


def seed_takeaways(seed_path: Path) -> tuple[tuple[Takeaway, ...], tuple[Topic, ...]]:
    """The LongCut seed's takeaways (with both readings of each hint) and topics."""
    text = seed_path.read_text(encoding="utf-8")
    block = text.split("## Key takeaways", 1)[1].split("Topics Covered", 1)[0]
    out = []
    for m in _TAKEAWAY.finditer(block):
        body = m.group("body").strip()
        hints = tuple(Hint(h, readings_for(h)) for h in _HINT.findall(body))
        clean = _HINT.sub("", body).strip().rstrip(",").strip()
        out.append(Takeaway(m.group("title").strip(), clean, hints))
    topics_block = text.split("Topics Covered", 1)[1].split("Full Transcript", 1)[0]
    topics = tuple(Topic(t.strip()) for t in re.findall(r"•\s*(.+)", topics_block))
    return tuple(out), topics


# --------------------------------------------------------------------------------------
# cut edges against word truth (tests/test_cut_edges.py, scripts/bench_cut_edges.py)

def truth_words(truth_path: Path) -> list[tuple[float, float]]:
    """The truth's words as ``(start, end)`` in ms, unrounded (sample-exact times)."""
    d = json.loads(truth_path.read_text(encoding="utf-8"))
    return sorted((w["start"] * 1000, w["end"] * 1000) for w in d["words"])


def inside_word(t: float, words: list[tuple[float, float]], tol: float = 0.0) -> float:
    """How deep (ms) ``t`` lies inside a word (strictly between its start and end, more
    than ``tol`` from both); 0 when it is in a pause or on a word's edge."""
    i = bisect_left(words, (t, float("inf"))) - 1
    for a, b in words[max(0, i - 2) : i + 2]:
        depth = min(t - a, b - t)
        if depth > tol:
            return depth
    return 0.0


def audio_edges(clip, source, near_ms: int, rate: int = 16000, search_ms: int = 3000) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Where a cut clip's sound really starts and ends on the source's timeline (ms).

    The clip's decoded audio (what a player plays: edit lists and encoder delay applied)
    is located in the source's audio (a path, or its decoded samples at ``rate``) by
    normalised cross-correlation of its first second, searched within ``search_ms`` of
    ``near_ms``; the end is that start plus the clip's audio length. Precision: one
    sample at ``rate``.
    """
    import numpy as np

    from clipper.media import decode_audio

    a = decode_audio(clip, sample_rate=rate).astype(np.float64)
    n = min(len(a), rate)
    x = a[:n] - a[:n].mean()
    lo_ms = max(0, near_ms - search_ms)
    if isinstance(source, np.ndarray):
        lo = lo_ms * rate // 1000
        s = source[lo : (near_ms + search_ms) * rate // 1000 + n].astype(np.float64)
    else:
        # ffmpeg's seek before decoding is sample-exact (checked against a decode from 0)
        lo = lo_ms * rate // 1000
        s = decode_audio(source, sample_rate=rate, start=lo_ms, duration=near_ms - lo_ms + search_ms + 1000).astype(np.float64)
    size = 1 << int(np.ceil(np.log2(len(s) + n)))
    corr = np.fft.irfft(np.fft.rfft(s, size) * np.conj(np.fft.rfft(x, size)), size)[: len(s) - n + 1]
    c2 = np.concatenate(([0.0], np.cumsum(s * s)))
    c1 = np.concatenate(([0.0], np.cumsum(s)))
    energy = (c2[n:] - c2[:-n]) - (c1[n:] - c1[:-n]) ** 2 / n
    k = int(np.argmax(corr / np.sqrt(np.maximum(energy, 1e-9))))
    start = (lo + k) * 1000 / rate
    return start, start + len(a) * 1000 / rate
