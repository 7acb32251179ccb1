"""OpenTimelineIO: the timeline every OTIO-based export is made from, and ``.otio`` JSON.

The timeline has a video track (when the media has video) and an audio track (when it
has audio) holding the same clips:

* with a clip manifest, one clip per cut clip, back to back, each trimmed to the clip's
  source in/out; markers that fall inside a clip are attached to it (clip markers live in
  the clip's source time, as OTIO defines them);
* without one, the whole media as a single clip, with every marker on the timeline's
  stack (the sequence markers an editor sees on the ruler).

Times are ``RationalTime(frames, rate)``: whole frames at the export rate, so what a
reader gets back is exactly what an EDL or xmeml says.
"""

from __future__ import annotations

import opentimelineio as otio  # type: ignore[import-untyped,unused-ignore]

from ._plan import Marker, Plan

__all__ = ["timeline", "compose"]

#: metadata namespace for what clipper knows about a clip or marker
META = "clipper"


def _rt(frames: int, plan: Plan) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(frames, plan.rate.float)


def _range(start: int, duration: int, plan: Plan) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(_rt(start, plan), _rt(duration, plan))


def _marker(m: Marker, frame: int, plan: Plan) -> otio.schema.Marker:
    return otio.schema.Marker(
        name=m.name,
        marked_range=_range(frame, 0, plan),
        color=m.color,
        metadata={META: {"kind": m.kind, "index": m.index, "note": m.note, "placed_by": m.source}},
    )


def _fcp_tc_metadata(plan: Plan) -> dict[str, object]:
    # otio-fcp-adapter takes a file's or sequence's timecode mode from this metadata
    # (the rate comes from the times themselves); without it, it infers drop-frame from 29.97.
    return {"fcp_xml": {"timecode": {"displayformat": "DF" if plan.rate.drop_frame else "NDF"}}}


def _media_ref(plan: Plan, total_frames: int) -> otio.core.MediaReference:
    if plan.media_uri is None:
        return otio.schema.MissingReference(name=plan.media_name)
    return otio.schema.ExternalReference(
        target_url=plan.media_uri,
        available_range=_range(0, total_frames, plan),
        metadata=_fcp_tc_metadata(plan),
    )


def timeline(plan: Plan) -> otio.schema.Timeline:
    """Build the OTIO timeline for a plan (see the module docstring for its shape)."""
    r = plan.rate
    ends = [r.frames(c.source_end) for c in plan.clips]
    total = max([plan.duration_frames or 0, *ends, 1])
    tl = otio.schema.Timeline(name=plan.title, global_start_time=_rt(plan.record_start, plan))
    tl.metadata.update(_fcp_tc_metadata(plan))
    kinds = []
    if plan.has_video:
        kinds.append((otio.schema.TrackKind.Video, "V1"))
    if plan.has_audio or not kinds:
        kinds.append((otio.schema.TrackKind.Audio, "A1"))
    for kind, name in kinds:
        track = otio.schema.Track(name=name, kind=kind)
        if plan.clips:
            for c in plan.clips:
                fin, fout = plan.clip_frames(c)
                clip = otio.schema.Clip(
                    name=c.name,
                    media_reference=_media_ref(plan, total),
                    source_range=_range(fin, fout - fin, plan),
                    metadata={
                        META: {
                            "index": c.index,
                            "label": c.label,
                            "kind": c.kind,
                            "file": c.file,
                            "source_start_ms": c.source_start,
                            "source_end_ms": c.source_end,
                        }
                    },
                )
                if kind == otio.schema.TrackKind.Video or not plan.has_video:
                    for m, f in plan.markers_in(c):
                        clip.markers.append(_marker(m, f, plan))
                track.append(clip)
        else:
            track.append(
                otio.schema.Clip(
                    name=plan.media_name,
                    media_reference=_media_ref(plan, total),
                    source_range=_range(0, total, plan),
                )
            )
        tl.tracks.append(track)
    if not plan.clips:
        for m in plan.markers:
            tl.tracks.markers.append(_marker(m, r.frames(m.start), plan))
    return tl


def compose(plan: Plan) -> str:
    """The ``.otio`` JSON text of the plan's timeline."""
    return str(otio.adapters.write_to_string(timeline(plan), "otio_json"))
