"""``clipper review``: a local page to see an alignment, fix it, and pick and cut clips.

:class:`~clipper.review.server.Session` holds one alignment and its media;
:class:`~clipper.review.server.ReviewServer` serves the page for it on 127.0.0.1 with a
random token; :mod:`clipper.review.edit` turns a fixed time into an anchor its neighbours
follow. The page (``static/``) is plain HTML, CSS and JavaScript: nothing to build.
"""

from __future__ import annotations

from .edit import WINDOW, retime, save_with_backup
from .server import ReviewServer, Session

__all__ = ["ReviewServer", "Session", "WINDOW", "retime", "save_with_backup"]
