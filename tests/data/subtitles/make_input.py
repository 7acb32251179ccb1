"""Make talk.align.json, the hand-made input of the subtitle golden tests.

Run from the project root: ``python tests/data/subtitles/make_input.py``. Each segment
exercises one layout rule (named in the comment beside it). Word times come from a
simple speaking model: 60 ms a character plus 40 ms, with explicit pauses.
"""

from __future__ import annotations

from pathlib import Path

from clipper import alignfile
from clipper.model import Alignment, MediaInfo, Segment, Transcript, Word
from clipper.text import spoken_tokens

HERE = Path(__file__).resolve().parent


def speak(text: str, start: int, pauses: dict[int, int] | None = None, per_char: int = 60) -> tuple[Word, ...]:
    """Spoken words of ``text`` from ``start``; ``pauses`` = {word index: ms of silence before it}."""
    out = []
    t = start
    for i, tok in enumerate(spoken_tokens(text)):
        t += (pauses or {}).get(i, 0)
        d = per_char * len(tok) + 40
        out.append(Word(tok, t, t + d, 0.9))
        t += d + 30
    return tuple(out)


def seg(i: int, text: str, start: int | None, para: int, **kw: object) -> Segment:
    if start is None:  # not placed by the engine
        return Segment(i, text, tuple(Word(t) for t in spoken_tokens(text)), None, None, None, para)
    words = speak(text, start, **kw)  # type: ignore[arg-type]
    if not words:
        return Segment(i, text, (), start, start + 1200, 0.5, para)
    return Segment(i, text, words, words[0].start, words[-1].end, 0.9, para)


def build() -> Alignment:
    s = [
        # two short neighbours in one paragraph: merged, one a line
        seg(0, "Hello everyone", 1000, 0),
        seg(1, "I'm Xiaojun", 2200, 0),
        # a long sentence: split into cues at the comma and the long pause
        seg(2, "In this episode we walk across the Brooklyn Bridge in the snow, "
               "talk about the work of building world models, and then we eat dumplings", 4000,
            0, pauses={17: 900}),
        # an inline note, shown with its words
        seg(3, "That was a joke [laughter] of course", 16000, 1),
        # a non-speech event: its own cue
        seg(4, "[applause]", 18500, 1),
        # not placed: skipped
        seg(5, "This line was never found in the audio", None, 1),
        # never break between an article and its noun
        seg(6, "We finally met the remarkable professor at the university", 21000, 2),
        # fast speech, lengthened into the silence after it up to the 17 cps it needs
        seg(7, "Quickly quickly everybody run", 25000, 3, per_char=30),
        # fast speech with no silence after it: still over 17 cps (counted, never overlapped)
        seg(8, "Faster than anyone can read it", 27000, 4, per_char=25),
        # text that needs escaping in VTT; starts 150 ms after the fast one ends
        seg(9, "R&D is <hard> work", 28160, 5),
        # a gap of 8 frames (320 ms) to the next cue: closed to 2 frames
        seg(10, "Then one more thing", 31000, 6),
        seg(11, "and that is all for today", 32530, 7),
    ]
    # a segment whose words have no times: spread over the segment by length
    words = tuple(Word(t) for t in spoken_tokens("Thank you for watching"))
    s.append(Segment(12, "Thank you for watching", words, 36000, 38000, 0.5, 8))
    # a phrase the transcript broke mid-way: merged and run on in one line
    s.append(seg(13, "need to be in this highly competitive", 40000, 9))
    s.append(seg(14, "race", 42700, 9))
    media = MediaInfo("talk.mp4", duration=46000, has_video=True, fps_num=25, fps_den=1)
    tr = Transcript(tuple(s), meta={"format": "plain", "title": "golden"})
    return Alignment(tr, engine="hand", media=media)


if __name__ == "__main__":
    (HERE / "talk.align.json").write_text(alignfile.dumps(build()), encoding="utf-8")
    print(HERE / "talk.align.json")
