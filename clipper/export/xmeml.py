"""Final Cut Pro 7 XML (xmeml), which Premiere Pro and DaVinci Resolve import.

Written by ``otio-fcp-adapter`` from the same OTIO timeline as ``.otio`` (see
:mod:`clipper.export.otio`): cut clips with their markers, or the whole media with
sequence markers. The media is referenced by an absolute ``file://`` URL, or relinking
fails in both NLEs.
"""

from __future__ import annotations

import opentimelineio as otio  # type: ignore[import-untyped,unused-ignore]

from ._plan import Plan
from .otio import timeline

__all__ = ["compose"]


def compose(plan: Plan) -> str:
    """The xmeml text for a plan (needs the media's path)."""
    plan.require_media("xmeml")
    return str(otio.adapters.write_to_string(timeline(plan), "fcp_xml"))
