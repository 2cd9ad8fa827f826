"""The events of an edit: every clip on every track, with record in/out in frames, its source
range, speed, the transition into it, and the hints that say which media file it is.

Gaps and transitions are not events; a transition is noted on the clip it leads into.
Tracks are labelled as editors say them: V1, V2 … and A1, A2 … in the edit's own order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

import opentimelineio as otio

from clearance.editorial.read import Edit

#: EDL comment keys that name the source file (Avid, Resolve, Premiere, Baselight).
_FILE_COMMENTS = ("SOURCE FILE:", "FROM FILE:", "FILE NAME:", "FILENAME:", "SOURCE:")


@dataclass(frozen=True, slots=True)
class Event:
    """One clip in the cut."""

    number: int  # 1-based, in record order (record in, then track)
    track: str  # V1, A2 …
    kind: str  # video | audio
    record_in: int  # frames, record timecode (exclusive out)
    record_out: int
    clip: str
    reel: str
    source_in: int  # frames at the edit's rate
    source_out: int
    speed: float  # 1.0 normal, 2.0 twice as fast, 0.0 freeze frame, negative reverse
    transition: str  # the transition into this clip, e.g. "dissolve 24f"
    hints: tuple[str, ...]  # where its media may be, strongest first: paths/URLs, names

    @property
    def frames(self) -> int:
        return self.record_out - self.record_in


def events(edit: Edit) -> list[Event]:
    """Every clip of the edit as an ``Event``, numbered in record order."""
    found = list(_clips(edit))
    found.sort(key=lambda e: (e.record_in, e.kind != "video", e.track))
    return [_numbered(e, i) for i, e in enumerate(found, 1)]


def _numbered(event: Event, number: int) -> Event:
    return Event(number, *[getattr(event, f) for f in Event.__slots__[1:]])


def _clips(edit: Edit) -> Iterator[Event]:
    counters = {"video": 0, "audio": 0}
    fps = edit.timebase.fps
    # The cmx adapter divides an M2 speed (frames per timecode second) by the real rate:
    # at 23.976 an M2 of 048.0 becomes 2.002. Undo that to get the speed the editor set.
    correction = fps / edit.timebase.nominal if edit.adapter == "cmx_3600" else 1.0
    for track in edit.timeline.tracks:
        kind = "audio" if track.kind == otio.schema.TrackKind.Audio else "video"
        counters[kind] += 1
        label = f"{'A' if kind == 'audio' else 'V'}{counters[kind]}"
        offset = edit.start
        if track.source_range is not None:  # EDL tracks start at their first record-in
            offset -= round(track.source_range.start_time.rescaled_to(fps).value)
        incoming: dict[int, str] = {}
        children = list(track)
        for index, child in enumerate(children):
            if isinstance(child, otio.schema.Transition):
                incoming[index + 1] = _transition(child, fps)
        for index, child in enumerate(children):
            if isinstance(child, otio.schema.Clip):
                clips = [(child, incoming.get(index, ""))]
            elif isinstance(child, otio.core.Composition):  # nested sequence / compound clip
                clips = [(c, "") for c in child.find_clips()]
            else:
                continue
            for clip, transition in clips:
                yield _event(clip, track, label, kind, offset, fps, transition, correction)


def _event(
    clip: otio.schema.Clip,
    track: otio.schema.Track,
    label: str,
    kind: str,
    offset: int,
    fps: float,
    transition: str,
    correction: float,
) -> Event:
    placed = clip.transformed_time_range(clip.trimmed_range(), track)
    record_in = offset + round(placed.start_time.rescaled_to(fps).value)
    duration = round(placed.duration.rescaled_to(fps).value)
    cmx = _metadata(clip, "cmx_3600")  # read once: OTIO metadata lookups are slow
    source = clip.trimmed_range()
    source_in = round(source.start_time.rescaled_to(fps).value)
    source_out = source_in + round(source.duration.rescaled_to(fps).value)
    return Event(
        number=0,
        track=label,
        kind=kind,
        record_in=record_in,
        record_out=record_in + duration,
        clip=str(clip.name or ""),
        reel=_reel(cmx, clip),
        source_in=source_in,
        source_out=source_out,
        speed=_speed(clip, correction),
        transition=transition,
        hints=tuple(_hints(cmx, clip)),
    )


def _transition(transition: otio.schema.Transition, fps: float) -> str:
    frames = round((transition.in_offset + transition.out_offset).rescaled_to(fps).value)
    kind = str(transition.transition_type or "transition")
    name = "dissolve" if "Dissolve" in kind else kind.lower().replace("smpte_", "")
    return f"{name} {frames}f"


def _speed(clip: otio.schema.Clip, correction: float) -> float:
    """The clip's playback speed: OTIO time warps, or an FCP7 ``timeremap`` effect (which the
    fcp_xml adapter keeps only as metadata)."""
    speed = 1.0
    for effect in clip.effects:
        if isinstance(effect, otio.schema.FreezeFrame):
            return 0.0
        if isinstance(effect, otio.schema.LinearTimeWarp):
            speed *= float(effect.time_scalar) * correction
        else:
            speed *= _fcp_time_remap(_metadata(effect, "fcp_xml"))
    return round(speed, 4)


def _fcp_time_remap(fcp: Any) -> float:
    if not hasattr(fcp, "get") or fcp.get("effectid") != "timeremap":
        return 1.0
    parameters = fcp.get("parameter") or []
    values = {
        str(p.get("parameterid")): p.get("value")
        for p in ([parameters] if hasattr(parameters, "get") else list(parameters))
        if hasattr(p, "get")
    }
    try:
        speed = float(values.get("speed") or 100) / 100
    except (TypeError, ValueError):
        return 1.0
    return -speed if str(values.get("reverse", "")).upper() == "TRUE" else speed


def _metadata(clip: otio.core.SerializableObject, key: str) -> Any:
    """An adapter's metadata dict on a clip ({} when absent or not a mapping)."""
    value = clip.metadata.get(key, {}) if hasattr(clip.metadata, "get") else {}
    return value if hasattr(value, "get") else {}


def _reel(cmx: Any, clip: otio.schema.Clip) -> str:
    reel = cmx.get("reel")
    if reel:
        return str(reel)
    if cmx:
        return ""
    fcp: Any = _metadata(clip, "fcp_xml")
    for holder in (fcp, fcp.get("file")):
        timecode: Any = holder.get("timecode") if hasattr(holder, "get") else None
        tape: Any = timecode.get("reel") if hasattr(timecode, "get") else None
        name = tape.get("name") if hasattr(tape, "get") else None
        if name:
            return str(name)
    return ""


def _hints(cmx: Any, clip: otio.schema.Clip) -> Iterator[str]:
    """Where the clip's media may be: the reference's path, file comments, then names."""
    reference = clip.media_reference
    if isinstance(reference, otio.schema.ExternalReference) and reference.target_url:
        yield url_path(str(reference.target_url))
    elif isinstance(reference, otio.schema.ImageSequenceReference):
        yield url_path(str(reference.target_url_base)) + str(reference.name_prefix)
    for comment in cmx.get("comments", []) or []:
        text = str(comment).strip()
        for key in _FILE_COMMENTS:
            if text.upper().startswith(key):
                yield text[len(key) :].strip()
    if reference is not None and reference.name:
        yield str(reference.name)
    if clip.name:
        yield str(clip.name)


def url_path(url: str) -> str:
    """``file://localhost/Volumes/A%20B/x.mov`` → ``/Volumes/A B/x.mov``; other text as is."""
    parsed = urlparse(url)
    if parsed.scheme in ("file", ""):
        return unquote(parsed.path) if parsed.scheme else unquote(url)
    return unquote(parsed.path) or url
