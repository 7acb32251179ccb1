"""Clips, the stage after finding: plan them so they never start or end inside a word
(:mod:`.plan`), cut them with ffmpeg (:mod:`.cut`), and describe them in the one manifest
every export reads (:mod:`.manifest`).

``clipper.clips`` names the planner's public API (and the manifest model), so
``from clipper.clips import plan, ClipRequest`` reads as it did when this was one module.
"""

from __future__ import annotations

from .manifest import Manifest, ManifestClip, load_manifest
from .plan import (
    FAST_MAX_BACK,
    KINDS,
    ClipRequest,
    Keyframes,
    PlannedClip,
    PlanOptions,
    build_requests,
    clip_alignment,
    clip_subtitles,
    parse_range,
    plan,
    slug,
    stream_copy_packet,
)

__all__ = ["FAST_MAX_BACK", "KINDS", "ClipRequest", "Keyframes", "Manifest", "ManifestClip", "PlanOptions", "PlannedClip",
           "build_requests", "clip_alignment", "clip_subtitles", "load_manifest", "parse_range", "plan", "slug",
           "stream_copy_packet"]  # fmt: skip
