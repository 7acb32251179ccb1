"""Core types. Pure, frozen, times in integer milliseconds.

A transcript is read into these types once (``clipper.read``), cleaned
(``clipper.read.clean``), then timed by an engine (``clipper.align``); every later step
reads an :class:`Alignment`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = [
    "Word",
    "Segment",
    "Reading",
    "Hint",
    "Takeaway",
    "Topic",
    "CleanReport",
    "Transcript",
    "AudioTrack",
    "MediaInfo",
    "Alignment",
    "Span",
    "ProgressFn",
]

#: progress callback: (label, done, total). Engines and media steps call it; only the CLI
#: turns it into a bar (on stderr). ``total`` may be 0 when unknown.
ProgressFn = Callable[[str, int, int], None]


def _check_span(start: int | None, end: int | None, what: str) -> None:
    if (start is None) != (end is None):
        raise ValueError(f"{what}: start and end must both be set or both be None")
    if start is not None and end is not None:
        if not isinstance(start, int) or not isinstance(end, int):
            raise TypeError(f"{what}: times are integer milliseconds, got {start!r}, {end!r}")
        if start > end:
            raise ValueError(f"{what}: start {start} > end {end}")


@dataclass(frozen=True, slots=True)
class Word:
    """A spoken token as it is displayed ("Hello," keeps its comma).

    ``start``/``end`` are None until an engine places the word.
    """

    text: str
    start: int | None = None
    end: int | None = None
    confidence: float | None = None

    def __post_init__(self) -> None:
        _check_span(self.start, self.end, f"word {self.text!r}")

    @property
    def placed(self) -> bool:
        return self.start is not None

    @classmethod
    def unchecked(
        cls, text: str, start: int | None = None, end: int | None = None, confidence: float | None = None
    ) -> Word:
        """A Word built without ``__post_init__``: the fast path for readers (60k+ words).

        Only for callers that already keep the span rules (both times None, or integer
        ms with start <= end). About 3x cheaper than ``Word(...)``, which matters when
        a reader builds a whole 8-hour transcript; everyone else calls ``Word(...)``.
        """
        w = _new_object(cls)
        _word_set_text(w, text)
        _word_set_start(w, start)
        _word_set_end(w, end)
        _word_set_confidence(w, confidence)
        return w


# Slot setters for Word.unchecked (a frozen dataclass refuses normal assignment). If a
# field is added to Word, add it here too: the assertion makes a forgotten one loud.
assert tuple(Word.__dataclass_fields__) == ("text", "start", "end", "confidence"), "update Word.unchecked"
_new_object = object.__new__
_word_set_text = Word.__dict__["text"].__set__
_word_set_start = Word.__dict__["start"].__set__
_word_set_end = Word.__dict__["end"].__set__
_word_set_confidence = Word.__dict__["confidence"].__set__


@dataclass(frozen=True, slots=True)
class Segment:
    """One transcript unit (a caption line, a sentence).

    ``text`` is what is displayed; ``words`` are the tokens that were spoken (editorial
    notes such as ``[laughter]`` or ``(Yann LeCun, ...)`` are in ``text`` only). A segment
    with no spoken words is a non-speech event (``spoken`` is False).
    """

    id: int
    text: str
    words: tuple[Word, ...] = ()
    start: int | None = None
    end: int | None = None
    confidence: float | None = None
    paragraph: int | None = None
    speaker: str | None = None

    def __post_init__(self) -> None:
        _check_span(self.start, self.end, f"segment {self.id}")

    @property
    def placed(self) -> bool:
        return self.start is not None

    @property
    def spoken(self) -> bool:
        return bool(self.words)

    @property
    def spoken_text(self) -> str:
        return " ".join(w.text for w in self.words)

    def with_times(self, start: int | None, end: int | None, **kw: Any) -> Segment:
        return replace(self, start=start, end=end, **kw)


@dataclass(frozen=True, slots=True)
class Reading:
    """One plausible reading of a timestamp hint, e.g. ``09:42:10`` as h:mm:ss or mm:ss."""

    ms: int
    form: str  # "h:mm:ss", "mm:ss", "mm:ss+field" ...


@dataclass(frozen=True, slots=True)
class Hint:
    """A timestamp hint as written (``[01:21:09]``) with every plausible reading."""

    raw: str
    readings: tuple[Reading, ...]


@dataclass(frozen=True, slots=True)
class Takeaway:
    title: str
    text: str
    hints: tuple[Hint, ...] = ()


@dataclass(frozen=True, slots=True)
class Topic:
    title: str


@dataclass(frozen=True, slots=True)
class CleanReport:
    """What reading and cleaning did: counts by kind, plus a few examples."""

    counts: Mapping[str, int] = field(default_factory=dict)
    examples: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Transcript:
    segments: tuple[Segment, ...]
    takeaways: tuple[Takeaway, ...] = ()
    topics: tuple[Topic, ...] = ()
    #: free-form facts: title, channel, disclaimer, language, source format, segmentation
    meta: Mapping[str, str] = field(default_factory=dict)
    report: CleanReport = field(default_factory=CleanReport)

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for s in self.segments for w in s.words)

    @property
    def timed(self) -> bool:
        """True when the source carried times (a reference track), not only text."""
        return any(s.placed for s in self.segments)


@dataclass(frozen=True, slots=True)
class AudioTrack:
    """One audio stream of a media file. ``index`` counts audio streams only (ffmpeg's
    ``0:a:N``, what ``--audio-track`` takes); ``stream`` is the container's stream number."""

    index: int
    stream: int
    codec: str = ""
    channels: int | None = None
    sample_rate: int | None = None
    language: str | None = None
    title: str | None = None
    default: bool = False

    def describe(self) -> str:
        """``1 (aac, stereo, fra)``: how messages name a track."""
        ch = {1: "mono", 2: "stereo"}.get(self.channels or 0, f"{self.channels} ch" if self.channels else "")
        facts = [f for f in (self.codec, ch, self.language, repr(self.title) if self.title else "") if f]
        return f"{self.index} ({', '.join(facts)})" if facts else str(self.index)


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """Facts about a media file, probed with ffmpeg (no ffprobe needed).

    ``audio_track`` is the audio stream every step decodes (``--audio-track``; 0 = the
    first); ``sample_rate`` and ``channels`` are that track's. ``audio_tracks`` lists them
    all; ``subtitle_codecs`` and ``data_streams`` are what else the file holds (``cut``
    keeps what the clip's container can carry). Files written before these fields load
    with their defaults.
    """

    path: str
    duration: int  # ms
    has_audio: bool = True
    has_video: bool = False
    fps_num: int | None = None
    fps_den: int | None = None
    width: int | None = None
    height: int | None = None
    sample_rate: int | None = None
    channels: int | None = None
    start_time: int = 0  # ms, container start
    audio_track: int = 0
    audio_tracks: tuple[AudioTrack, ...] = ()
    subtitle_codecs: tuple[str, ...] = ()
    data_streams: int = 0
    sar_num: int | None = None  # sample (pixel) aspect ratio; None = square
    sar_den: int | None = None

    @property
    def fps(self) -> float | None:
        if self.fps_num is None or not self.fps_den:
            return None
        return self.fps_num / self.fps_den


@dataclass(frozen=True, slots=True)
class Alignment:
    """The one artifact every later step reads (``*.align.json``)."""

    transcript: Transcript
    engine: str
    media: MediaInfo | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    stats: Mapping[str, Any] = field(default_factory=dict)

    @property
    def segments(self) -> tuple[Segment, ...]:
        return self.transcript.segments

    @property
    def duration(self) -> int | None:
        if self.media is not None:
            return self.media.duration
        ends = [s.end for s in self.segments if s.end is not None]
        return max(ends) if ends else None


@dataclass(frozen=True, slots=True, order=True)
class Span:
    start: int
    end: int

    def __post_init__(self) -> None:
        _check_span(self.start, self.end, "span")

    @property
    def duration(self) -> int:
        return self.end - self.start
