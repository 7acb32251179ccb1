"""The alignment file (``*.align.json``): versioned JSON that round-trips exactly.

Layout (version 1)::

    {"clipper_alignment": 1,
     "engine": "uniform", "settings": {...}, "stats": {...},
     "media": {"path", "duration", "has_audio", ...} | null,
     "meta": {...}, "report": {"counts": {...}, "examples": {...}},
     "takeaways": [{"title", "text", "hints": [{"raw", "readings": [{"ms", "form"}]}]}],
     "topics": [{"title"}],
     "segments": [{"id", "text", "start", "end", "confidence", "paragraph", "speaker",
                   "words": [[text, start, end, confidence], ...]}]}

Times are integer milliseconds; ``start``/``end`` are null for a segment not placed.
Words are compact arrays because an 8-hour transcript has ~60k of them.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from typing import Any

from .errors import ParseError
from .io import read_text, write_text
from .model import (
    Alignment,
    AudioTrack,
    CleanReport,
    Hint,
    MediaInfo,
    Reading,
    Segment,
    Takeaway,
    Topic,
    Transcript,
    Word,
)

__all__ = ["VERSION", "dumps", "loads", "load", "save", "to_dict", "from_dict"]

VERSION = 1
_KEY = "clipper_alignment"


def to_dict(al: Alignment) -> dict[str, Any]:
    tr = al.transcript
    return {
        _KEY: VERSION,
        "engine": al.engine,
        "settings": dict(al.settings),
        "stats": dict(al.stats),
        "media": _media_dict(al.media) if al.media is not None else None,
        "meta": dict(tr.meta),
        "report": {
            "counts": dict(tr.report.counts),
            "examples": {k: list(v) for k, v in tr.report.examples.items()},
        },
        "takeaways": [
            {
                "title": t.title,
                "text": t.text,
                "hints": [
                    {"raw": h.raw, "readings": [{"ms": r.ms, "form": r.form} for r in h.readings]}
                    for h in t.hints
                ],
            }
            for t in tr.takeaways
        ],
        "topics": [{"title": t.title} for t in tr.topics],
        "segments": [
            {
                "id": s.id,
                "text": s.text,
                "start": s.start,
                "end": s.end,
                "confidence": s.confidence,
                "paragraph": s.paragraph,
                "speaker": s.speaker,
                "words": [[w.text, w.start, w.end, w.confidence] for w in s.words],
            }
            for s in tr.segments
        ],
    }


def from_dict(d: dict[str, Any], path: str | None = None) -> Alignment:
    if not isinstance(d, dict) or _KEY not in d:
        raise ParseError(path, "not a clipper alignment file (no 'clipper_alignment' key); make one with 'clipper align'")
    if d[_KEY] != VERSION:
        raise ParseError(path, f"alignment file version {d[_KEY]} is not supported (this clipper reads {VERSION})")
    try:
        media = _media(d["media"]) if d.get("media") else None
        segs = tuple(
            Segment(
                id=s["id"],
                text=s["text"],
                words=tuple(Word(w[0], w[1], w[2], w[3]) for w in s["words"]),
                start=s["start"],
                end=s["end"],
                confidence=s["confidence"],
                paragraph=s["paragraph"],
                speaker=s.get("speaker"),
            )
            for s in d["segments"]
        )
        tr = Transcript(
            segments=segs,
            takeaways=tuple(
                Takeaway(
                    t["title"],
                    t["text"],
                    tuple(
                        Hint(h["raw"], tuple(Reading(r["ms"], r["form"]) for r in h["readings"]))
                        for h in t["hints"]
                    ),
                )
                for t in d.get("takeaways", [])
            ),
            topics=tuple(Topic(t["title"]) for t in d.get("topics", [])),
            meta=dict(d.get("meta", {})),
            report=CleanReport(
                counts=dict(d.get("report", {}).get("counts", {})),
                examples={k: tuple(v) for k, v in d.get("report", {}).get("examples", {}).items()},
            ),
        )
        return Alignment(
            transcript=tr,
            engine=d["engine"],
            media=media,
            settings=dict(d.get("settings", {})),
            stats=dict(d.get("stats", {})),
        )
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise ParseError(path, f"malformed alignment file ({type(e).__name__}: {e})") from None


#: MediaInfo fields added after version 1 was fixed: written only when they say something,
#: so files of media without them read (and compare) exactly as before
_LATER_MEDIA = {"audio_track": 0, "audio_tracks": (), "subtitle_codecs": (), "data_streams": 0, "sar_num": None, "sar_den": None}


def _media_dict(m: MediaInfo) -> dict[str, Any]:
    d = asdict(m)
    return {k: v for k, v in d.items() if k not in _LATER_MEDIA or getattr(m, k) != _LATER_MEDIA[k]}


def _media(m: dict[str, Any]) -> MediaInfo:
    """MediaInfo from its JSON object; lists back to tuples (files from before
    ``audio_tracks`` and the like existed simply lack those keys)."""
    m = dict(m)
    if "audio_tracks" in m:
        m["audio_tracks"] = tuple(AudioTrack(**t) for t in m["audio_tracks"])
    if "subtitle_codecs" in m:
        m["subtitle_codecs"] = tuple(m["subtitle_codecs"])
    return MediaInfo(**m)


def dumps(al: Alignment) -> str:
    return json.dumps(to_dict(al), ensure_ascii=False, indent=None, separators=(",", ":")) + "\n"


def loads(text: str, path: str | None = None) -> Alignment:
    try:
        d = json.loads(text)
    except json.JSONDecodeError as e:
        raise ParseError(path, f"not valid JSON ({e.msg})", line=e.lineno) from None
    return from_dict(d, path)


def load(path: str | os.PathLike[str]) -> Alignment:
    return loads(read_text(path), str(path))


def save(al: Alignment, path: str | os.PathLike[str], force: bool = False) -> None:
    write_text(path, dumps(al), force=force)
