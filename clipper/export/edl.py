"""CMX 3600 EDL: cut clips as events, or takeaways and topics as a Resolve marker EDL.

Two shapes, by what is exported:

* **clips** (a manifest is given): one event per clip, source in/out from the clip's
  source times, record times back to back. ``* FROM CLIP NAME:`` is the media's file
  name (Resolve and Premiere relink by it), ``* FROM CLIP:`` its absolute path, the
  clip's own name is a ``* COMMENT:``, and markers that fall inside a clip are
  ``* LOC:`` lines (source timecode, as OpenTimelineIO writes them).
* **markers** (no manifest): the marker EDL DaVinci Resolve exports and imports
  (Timeline > Import > Timeline Markers from EDL): one 1-frame event per marker with
  ``|C:ResolveColorBlue |M:name |D:1`` (takeaways blue, topics green, sections found
  by topic shifts yellow).

The text is written here rather than by ``otio-cmx3600-adapter`` because the adapter
always writes drop-frame timecode at 29.97 (it infers DF from the rate), writes no
``FCM:`` line and knows no marker EDL; the adapter is what the tests read the files
back with.
"""

from __future__ import annotations

import re

from ._plan import Marker, Plan

__all__ = ["compose", "compose_clips", "compose_markers"]

_RESOLVE_COLOR = {"BLUE": "ResolveColorBlue", "GREEN": "ResolveColorGreen", "YELLOW": "ResolveColorYellow"}


def _one_line(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def _header(plan: Plan) -> list[str]:
    fcm = "DROP FRAME" if plan.rate.drop_frame else "NON-DROP FRAME"
    # CMX 3600 allows 70 characters of title
    return [f"TITLE: {_one_line(plan.title)[:70]}", f"FCM: {fcm}", ""]


def _event(n: int, reel: str, channel: str, src_in: str, src_out: str, rec_in: str, rec_out: str) -> str:
    # column layout as CMX 3600 (and otio-cmx3600-adapter) write it
    return f"{n:03d}  {reel:<8} {channel:<5} C        {src_in} {src_out} {rec_in} {rec_out}"


def _channel(plan: Plan) -> str:
    stereo = (plan.channels or 2) >= 2
    if plan.has_video and plan.has_audio:
        return "AA/V" if stereo else "B"
    if plan.has_video:
        return "V"
    return "AA" if stereo else "A"


def compose_clips(plan: Plan) -> str:
    """One event per manifest clip, record times consecutive from ``plan.record_start``."""
    r = plan.rate
    lines = _header(plan)
    rec = plan.record_start
    channel = _channel(plan)
    for n, c in enumerate(plan.clips, 1):
        fin, fout = plan.clip_frames(c)
        lines.append(
            _event(n, "AX", channel, r.timecode(fin), r.timecode(fout), r.timecode(rec), r.timecode(rec + fout - fin))
        )
        lines.append(f"* FROM CLIP NAME:  {plan.media_name}")
        if plan.media_path:
            lines.append(f"* FROM CLIP: {plan.media_path}")
        label = _one_line(c.label)
        lines.append(f"* COMMENT: {c.name}" + (f" - {label}" if label and label != c.name else ""))
        for m, f in plan.markers_in(c):
            # LOC: source timecode, a colour word, upper-case text (as Avid and OTIO write it)
            lines.append(f"* LOC: {r.timecode(f)} {m.color:<7} {_one_line(m.name).upper()}")
        lines.append("")
        rec += fout - fin
    return "\n".join(lines) + ("" if lines[-1] == "" else "\n")


def _merge_same_frame(plan: Plan) -> list[tuple[int, list[Marker]]]:
    """Markers grouped by frame: an EDL's record times must ascend, so one event a frame."""
    groups: dict[int, list[Marker]] = {}
    for m in plan.markers:
        groups.setdefault(plan.rate.frames(m.start), []).append(m)
    return sorted(groups.items())


def _marker_text(s: str) -> str:
    # '|' separates Resolve's fields; keep it out of names and notes
    return _one_line(s).replace("|", "/")


def compose_markers(plan: Plan) -> str:
    """A Resolve marker EDL: one 1-frame event per marker frame."""
    r = plan.rate
    lines = _header(plan)
    for n, (frame, group) in enumerate(_merge_same_frame(plan), 1):
        f = plan.record_start + frame
        tc_in, tc_out = r.timecode(f), r.timecode(f + 1)
        lines.append(_event(n, "001", "V", tc_in, tc_out, tc_in, tc_out) + "  ")
        name = " / ".join(_marker_text(m.name) for m in group)
        note = " / ".join(_marker_text(m.note) for m in group if m.note)
        color = _RESOLVE_COLOR.get(group[0].color, "ResolveColorBlue")
        lines.append(f"{note} |C:{color} |M:{name} |D:1")
        lines.append("")
    return "\n".join(lines) + ("" if lines[-1] == "" else "\n")


def compose(plan: Plan) -> str:
    """The EDL for a plan: clip events when it has clips, else a marker EDL.

    Raises:
        InputError: neither clips nor markers: the file would be a header alone.
    """
    plan.require_something("an EDL")
    return compose_clips(plan) if plan.clips else compose_markers(plan)
