"""clipper: put a transcript on a recording's timeline; subtitles, quotes, clips, exports."""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import ClipperError, InputError, MediaError, ParseError
from .model import Alignment, MediaInfo, Segment, Span, Transcript, Word

__all__ = [
    "__version__",
    "Alignment",
    "ClipperError",
    "InputError",
    "MediaError",
    "MediaInfo",
    "ParseError",
    "Segment",
    "Span",
    "Transcript",
    "Word",
]
