"""FCPXML 1.9 / 1.10 (Final Cut Pro X; DaVinci Resolve imports it too), written here.

OpenTimelineIO's FCPX adapter is unmaintained and was dropped from its plugin set, so
this module writes the XML itself with :mod:`xml.etree`. The document holds:

* ``resources``: a ``format`` whose ``frameDuration`` is the export rate, and one
  ``asset`` for the media with a ``media-rep`` pointing at its absolute ``file://`` URL;
* ``library > event > project > sequence > spine``: one ``asset-clip`` per cut clip,
  back to back (``offset``), trimmed to the clip's source in (``start``) and length
  (``duration``), or the whole media as one clip; markers inside the clip they fall in.

Times are rational seconds on the frame grid, ``N/Ds`` with the rate's own denominator
(``1001/30000s`` per frame at 29.97; ``0s`` for zero), the form Final Cut Pro writes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ._plan import Marker, Plan

__all__ = ["compose", "fcp_time", "VERSIONS"]

VERSIONS = ("1.9", "1.10")

# Final Cut's named formats for common sizes and rates; any other size gets an unnamed
# format with explicit width/height/frameDuration, which Final Cut accepts too.
_SIZES = {(1920, 1080): "1080p", (1280, 720): "720p", (3840, 2160): "2160p"}
_RATES = {
    (24000, 1001): "2398",
    (24, 1): "24",
    (25, 1): "25",
    (30000, 1001): "2997",
    (30, 1): "30",
    (50, 1): "50",
    (60000, 1001): "5994",
    (60, 1): "60",
}


def fcp_time(frames: int, num: int, den: int) -> str:
    """Rational seconds for a frame count at ``num/den`` fps.

    >>> fcp_time(0, 25, 1)
    '0s'
    >>> fcp_time(50, 25, 1)
    '2s'
    >>> fcp_time(37, 25, 1)
    '37/25s'
    >>> fcp_time(100, 30000, 1001)
    '100100/30000s'
    """
    if frames == 0:
        return "0s"
    n, d = frames * den, num
    if n % d == 0:
        return f"{n // d}s"
    return f"{n}/{d}s"


def _one_line(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def _marker(parent: ET.Element, m: Marker, frame: int, plan: Plan, version: str) -> None:
    r = plan.rate
    attrs = {
        "start": fcp_time(frame, r.num, r.den),
        "duration": fcp_time(1, r.num, r.den),
        "value": _one_line(m.name) or f"{m.kind} {m.index}",
    }
    if version != "1.9" and m.note:
        attrs["note"] = _one_line(m.note)
    ET.SubElement(parent, "marker", attrs)


def compose(plan: Plan, version: str = "1.10") -> str:
    """The FCPXML document for a plan (needs the media's path).

    Raises:
        InputError: no media path to point the asset at.
        ValueError: an unsupported ``version``.
    """
    if version not in VERSIONS:
        raise ValueError(f"FCPXML version {version!r} is not written; choose one of {', '.join(VERSIONS)}")
    plan.require_media("fcpxml")
    r = plan.rate

    def t(frames: int) -> str:
        return fcp_time(frames, r.num, r.den)

    tc_format = "DF" if r.drop_frame else "NDF"

    ends = [plan.clip_frames(c)[1] for c in plan.clips]
    total = max([plan.duration_frames or 0, *ends, 1])

    root = ET.Element("fcpxml", {"version": version})
    res = ET.SubElement(root, "resources")
    width, height = (plan.width or 1920, plan.height or 1080) if plan.has_video else (1920, 1080)
    fmt_attrs = {"id": "r1"}
    size = _SIZES.get((width, height))
    rate_name = _RATES.get((r.num, r.den))
    if size and rate_name:
        fmt_attrs["name"] = f"FFVideoFormat{size}{rate_name}"
    fmt_attrs.update({"frameDuration": t(1), "width": str(width), "height": str(height)})
    ET.SubElement(res, "format", fmt_attrs)

    asset_attrs = {"id": "r2", "name": Path(plan.media_path or "media").stem, "start": "0s", "duration": t(total)}
    if plan.has_video:
        asset_attrs.update({"hasVideo": "1", "format": "r1", "videoSources": "1"})
    if plan.has_audio:
        asset_attrs.update(
            {
                "hasAudio": "1",
                "audioSources": "1",
                "audioChannels": str(plan.channels or 2),
                "audioRate": str(plan.sample_rate or 48000),
            }
        )
    asset = ET.SubElement(res, "asset", asset_attrs)
    ET.SubElement(asset, "media-rep", {"kind": "original-media", "src": plan.media_uri or ""})

    library = ET.SubElement(root, "library")
    event = ET.SubElement(library, "event", {"name": _one_line(plan.title) or "clipper"})
    project = ET.SubElement(
        event, "project", {"name": _one_line(plan.title) + (" (clips)" if plan.clips else "")}
    )
    seq_frames = sum(fo - fi for fi, fo in (plan.clip_frames(c) for c in plan.clips)) if plan.clips else total
    sequence = ET.SubElement(
        project,
        "sequence",
        {
            "format": "r1",
            "duration": t(seq_frames),
            "tcStart": t(plan.record_start),
            "tcFormat": tc_format,
            "audioLayout": "mono" if plan.channels == 1 else "stereo",
            "audioRate": "44.1k" if plan.sample_rate == 44100 else "48k",
        },
    )
    spine = ET.SubElement(sequence, "spine")

    def clip_el(name: str, offset: int, start: int, duration: int) -> ET.Element:
        attrs = {"ref": "r2", "name": name, "offset": t(offset), "start": t(start), "duration": t(duration)}
        if plan.has_video:
            attrs["format"] = "r1"
        attrs["tcFormat"] = tc_format
        return ET.SubElement(spine, "asset-clip", attrs)

    if plan.clips:
        rec = plan.record_start
        for c in plan.clips:
            fin, fout = plan.clip_frames(c)
            el = clip_el(c.name, rec, fin, fout - fin)
            for m, f in plan.markers_in(c):
                _marker(el, m, f, plan, version)
            rec += fout - fin
    else:
        el = clip_el(plan.media_name, plan.record_start, 0, total)
        for m in plan.markers:
            f = r.frames(m.start)
            if 0 <= f < total:
                _marker(el, m, f, plan, version)

    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n\n' + body + "\n"
