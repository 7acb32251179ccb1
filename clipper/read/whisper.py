"""Whisper-style JSON: ``{"segments": [{"start", "end", "text", "words": [...]}]}``.

Reads the JSON that openai-whisper, faster-whisper and whisperX write (a top-level
object with ``segments``, or a bare list of segments). Seconds become integer ms here,
once. Words keep their times where they have them (whisperX leaves some numbers
untimed): ``meta["word_times"]`` is ``full``, ``partial`` or ``none``.

>>> tr = parse('{"language": "en", "segments": [{"start": 0.5, "end": 1.25, "text": " Hi there.",'
...            ' "words": [{"word": " Hi", "start": 0.5, "end": 0.8}, {"word": " there.", "start": 0.8, "end": 1.25}]}]}')
>>> [(w.text, w.start, w.end) for w in tr.segments[0].words], tr.meta["word_times"]
([('Hi', 500, 800), ('there.', 800, 1250)], 'full')
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from ..errors import ParseError
from ..model import Transcript
from ..timecode import ms_from_seconds
from .clean import RawSegment, RawWord, ReportBuilder, build_transcript

__all__ = ["NAME", "EXTENSIONS", "detect", "parse"]

NAME = "whisper"
EXTENSIONS = (".json",)

log = logging.getLogger(__name__)


def detect(text: str) -> float:
    head = text.lstrip("\ufeff \t\n")[:5000]
    if not head or head[0] not in "{[":
        return 0.0
    if '"segments"' in head:
        return 0.95
    if head[0] == "[" and '"start"' in head and '"text"' in head:
        return 0.8
    return 0.5  # JSON of some kind; parse explains what is missing


def _ms(value: Any) -> int | None:
    if type(value) is float and 0.0 <= value < math.inf:
        return ms_from_seconds(value)  # the usual case, tested first (NaN fails the comparison)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return None
    return ms_from_seconds(float(value))


def parse(text: str, *, path: str | None = None, strict: bool = False, **_options: object) -> Transcript:
    """Parse Whisper-style JSON into timed segments and words."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        cut = e.pos >= len(text.rstrip()) - 1
        what = "JSON ends too early (truncated?)" if cut else f"invalid JSON ({e.msg})"
        raise ParseError(path, f"{what} at line {e.lineno} column {e.colno}; check the file", line=e.lineno) from None
    meta: dict[str, str] = {"format": NAME, "segmentation": "cues"}
    if isinstance(data, dict):
        segs = data.get("segments")
        lang = data.get("language")
        if isinstance(lang, str) and lang:
            meta["language"] = lang
    else:
        segs = data
    if not isinstance(segs, list):
        raise ParseError(path, 'JSON without a "segments" list; expected Whisper-style JSON')
    rb = ReportBuilder()
    raw: list[RawSegment] = []
    n_words = n_timed = 0
    for k, seg in enumerate(segs):
        if not isinstance(seg, dict) or not isinstance(seg.get("text", ""), str):
            if strict:
                raise ParseError(path, f"segment {k} is not an object with text")
            log.warning("skipped segment %d: %r", k, str(seg)[:80])
            rb.add("segments_skipped", str(seg)[:80])
            continue
        words: list[RawWord] | None = None
        if isinstance(seg.get("words"), list):
            words = []
            for w in seg["words"]:
                if not isinstance(w, dict):
                    continue
                wt = w.get("word", w.get("text"))
                if not isinstance(wt, str):
                    continue
                ws, we = _ms(w.get("start")), _ms(w.get("end"))
                if ws is None or we is None:
                    ws = we = None
                elif we < ws:
                    rb.add("bad_times_fixed", wt.strip())
                    we = ws
                conf = w.get("probability", w.get("score", w.get("confidence")))
                words.append(RawWord.unchecked(wt, ws, we, float(conf) if isinstance(conf, (int, float)) else None))
                n_words += 1
                n_timed += ws is not None
        start, end = _ms(seg.get("start")), _ms(seg.get("end"))
        timed = [w for w in words or [] if w.start is not None]
        if (start is None or end is None) and timed:
            start, end = timed[0].start, timed[-1].end
        if start is None or end is None:
            start = end = None
        elif end < start:
            if strict:
                raise ParseError(path, f"segment {k} ends before it starts")
            rb.add("bad_times_fixed", str(seg.get("text", ""))[:60])
            end = start
        text_ = seg.get("text", "")
        if not text_.strip() and words:
            text_ = "".join(w.text for w in words)
        speaker = seg.get("speaker")
        raw.append(
            RawSegment(
                text_,
                start=start,
                end=end,
                words=tuple(words) if words else None,
                speaker=speaker if isinstance(speaker, str) else None,
            )
        )
    meta["word_times"] = "none" if n_timed == 0 else ("full" if n_timed == n_words else "partial")
    return build_transcript(raw, meta=meta, report=rb)
