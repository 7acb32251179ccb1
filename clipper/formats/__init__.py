"""Transcript readers, one module a format, behind one registry with detection.

Every reader is a pure ``parse(text, ...) -> Transcript``; :func:`load` reads the file
(``clipper.io``), detects the format, parses and cleans. Timed formats (SRT, VTT,
Whisper JSON) give segments, and words where the source has them, with times.

Contract of the registry (see ``_REGISTRY`` below): each format module defines
``NAME: str``, ``EXTENSIONS: tuple[str, ...]``, ``detect(text) -> float`` (0 = not this
format, 1 = certain) and ``parse(text, *, path=None, strict=False, **options) -> Transcript``.
"""
