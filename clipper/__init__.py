"""clipper: put a transcript on a recording's timeline; subtitles, quotes, clips, exports."""

from __future__ import annotations

__version__ = "0.1.0"

# High-level API: what the CLI does, importable. ``import clipper`` stays light: the readers,
# ffmpeg and the engines are imported when first used.
#
#     import clipper
#     tr = clipper.load_transcript("talk.txt")
#     al = clipper.align_files("talk.txt", "talk.mp4")       # or reference_path="talk.vtt"
#     clipper.save_alignment(al, "talk.align.json")
#     clipper.run("talk.mp4", "talk.txt", "out/")              # what `clipper run` does
#
# (The function is ``align_files``/``align_transcript``, not ``align``: ``clipper.align`` is the
# engines' subpackage, and a function of that name would be shadowed by it on import.)
from .align import Anchor
from .alignfile import load as load_alignment
from .alignfile import save as save_alignment
from .errors import ClipperError, InputError, MediaError, ParseError
from .model import Alignment, MediaInfo, Segment, Span, Transcript, Word
from .pipeline import align_files, align_transcript, load_transcript, summarize
from .workflow import run


def probe_media(path: str) -> MediaInfo:
    """Duration, streams and frame rate of a media file (ffmpeg, no ffprobe needed)."""
    from .media import probe

    return probe(path)


# Later steps add theirs here (e.g. write_subtitles, find, cut, export).

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
    # high-level API
    "Anchor",
    "align_files",
    "align_transcript",
    "load_alignment",
    "load_transcript",
    "probe_media",
    "run",
    "save_alignment",
    "summarize",
]
