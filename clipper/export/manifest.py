"""The clip manifest exports read: the one model in :mod:`clipper.manifest`, named here too."""

from __future__ import annotations

from ..manifest import MANIFEST_VERSION, Manifest, ManifestClip, load_manifest, parse_manifest

__all__ = ["ManifestClip", "Manifest", "parse_manifest", "load_manifest", "MANIFEST_VERSION"]
