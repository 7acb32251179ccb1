"""The clip manifest exports read: the one model in :mod:`clipper.clips.manifest`, named here too."""

from __future__ import annotations

from ..clips.manifest import MANIFEST_VERSION, Manifest, ManifestClip, load_manifest, parse_manifest

__all__ = ["ManifestClip", "Manifest", "parse_manifest", "load_manifest", "MANIFEST_VERSION"]
