"""clipper: put a transcript on a recording's timeline; subtitles, quotes, clips, exports."""

from __future__ import annotations

import os
from typing import Any

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


def find(alignment: Alignment, query: str, top: int = 5) -> list[Any]:
    """Where a quote (roughly remembered) is: the best ``top`` matches, best first
    (``clipper find``); each has ``text``, ``start``, ``end`` (ms, None if not placed), ``score``."""
    from .query.search import WordIndex
    from .query.search import find as _find

    return list(_find(WordIndex(alignment), query, top=top))


def write_subtitles(alignment: Alignment, path: str | os.PathLike[str], options: Any = None, *, force: bool = False) -> Any:
    """Write SRT or WebVTT (by ``path``'s ending) laid out by ``options``
    (:class:`clipper.subtitles.LayoutOptions`, default: professional conventions); returns
    the layout's statistics (``clipper subtitles``)."""
    from . import subtitles

    return subtitles.write(alignment, path, options or subtitles.LayoutOptions(), force=force)


def write_export(alignment: Alignment, path: str | os.PathLike[str], fmt: str, *, force: bool = False, **kw: Any) -> Any:
    """Write an editor's file: ``fmt`` in :data:`clipper.export.FORMATS` (``clipper export``);
    ``kw`` as :func:`clipper.export.write` takes them (``clips_manifest``, ``fps``, ...)."""
    from .export import write

    return write(alignment, path, fmt, force=force, **kw)


def cut_clips(media: str | os.PathLike[str], alignment: Any, output: str | os.PathLike[str], **kw: Any) -> Any:
    """Cut clips (``clipper cut``): see :func:`clipper.workflow.cut` for the keywords."""
    from .workflow import cut

    return cut(media, alignment, output, **kw)


def sync_subtitles(subs: str | os.PathLike[str], media: Any, output: str | os.PathLike[str] | None = None, **kw: Any) -> Any:
    """Re-time an existing SRT, WebVTT or ASS file to its media, changing only its times
    (``clipper sync``): see :func:`clipper.sync.sync` for the keywords (``mode``,
    ``offset``, ``scale``, ``force``, ...); returns a :class:`clipper.sync.SyncResult`."""
    from .sync import sync

    return sync(subs, media, output, **kw)


# ``write_export`` and ``sync_subtitles``, not ``export`` and ``sync``: ``clipper.export`` and
# ``clipper.sync`` are packages, and importing them would shadow functions of those names
# (``cut_clips`` keeps the name it had when ``clipper.cut`` was a module).

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
    "cut_clips",
    "find",
    "write_subtitles",
    "write_export",
    "sync_subtitles",
    "save_alignment",
    "summarize",
]
