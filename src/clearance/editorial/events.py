"""The events of an edit: every clip on every track, with record in/out in frames, its source
range, speed, the transition into it, and the hints that say which media file it is.

Gaps and transitions are not events; a transition is noted on the clip it leads into.
Tracks are labelled as editors say them: V1, V2 … and A1, A2 … in the edit's own order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

import opentimelineio as otio

from clearance.editorial.cmx import BLACK_REELS, FILE_COMMENTS
from clearance.editorial.model import Event, Hint
from clearance.editorial.read import Edit

__all__ = ["Event", "Hint", "events", "url_path"]


def events(edit: Edit) -> list[Event]:
    """Every clip of the edit as an ``Event``, numbered in record order.

    Disabled tracks and clips, generators (black, bars, titles) and clips trimmed out of a
    nested sequence are not events. A clip's record range is while it is on screen: a
    transition extends the outgoing clip to its end and the incoming one back to its start.
    """
    found = list(edit.listed) if edit.listed is not None else list(_clips(edit))
    if edit.first_frame is not None and found:  # --start: the first frame is there
        shift = edit.first_frame - min(e.record_in for e in found)
        found = [_moved(e, shift) for e in found]
    found.sort(key=lambda e: (e.record_in, e.kind != "video", e.track_number))
    if edit.adapter == "cmx3600":
        return found  # the EDL's own event numbers
    return [_renumbered(e, i) for i, e in enumerate(found, 1)]


def _renumbered(event: Event, number: int) -> Event:
    return Event(number, *[getattr(event, f) for f in Event.__slots__[1:]])


def _moved(event: Event, shift: int) -> Event:
    values = {f: getattr(event, f) for f in Event.__slots__}
    values["record_in"] += shift
    values["record_out"] += shift
    return Event(**values)


def _clips(edit: Edit) -> Iterator[Event]:
    if edit.timeline is None:
        return
    counters = {"video": 0, "audio": 0}
    fps = edit.timebase.fps
    for track in edit.timeline.tracks:
        kind = "audio" if track.kind == otio.schema.TrackKind.Audio else "video"
        counters[kind] += 1
        if not track.enabled:
            continue
        label = f"{'A' if kind == 'audio' else 'V'}{counters[kind]}"
        offset = edit.start
        if track.source_range is not None:  # a trimmed track starts at its trim
            offset -= _frames(track.source_range.start_time, fps)
        place = _Placing(track, label, kind, offset, fps)
        # Nothing is on screen outside the track's own range: a transition at its edge must
        # not stretch a clip before the cut's first frame or past its last.
        # (A negative trim start is the old EDL adapters' record offset: content starts at 0.
        # OTIO counts an edge transition's overhang into a track's range; the cut does not.)
        if track.source_range is not None:
            low = offset + max(_frames(track.source_range.start_time, fps), 0)
            high = low + _frames(track.source_range.duration, fps)
        else:
            low = offset
            high = low + sum(
                _frames(c.duration(), fps)
                for c in track
                if not isinstance(c, otio.schema.Transition)
            )
        for event in place.children(list(track)):
            shown = _within(event, low, high)
            if shown is not None:
                yield shown


def _within(event: Event, low: int, high: int) -> Event | None:
    if event.record_in >= low and event.record_out <= high:
        return event
    values = {f: getattr(event, f) for f in Event.__slots__}
    values["record_in"] = max(event.record_in, low)
    values["record_out"] = min(event.record_out, high)
    return Event(**values) if values["record_out"] > values["record_in"] else None


def _frames(time: otio.opentime.RationalTime, fps: float) -> int:
    value: float = time.rescaled_to(fps).value
    return round(value)


@dataclass
class _Placing:
    """Places one top-level track's clips on the record timeline."""

    track: otio.schema.Track
    label: str
    kind: str
    offset: int
    fps: float

    def children(self, children: list[Any]) -> Iterator[Event]:
        late: dict[int, int] = {}  # clip index → frames it stays on screen after its end
        early: dict[int, tuple[int, str]] = {}  # clip index → (frames shown before, label)
        for index, child in enumerate(children):
            if isinstance(child, otio.schema.Transition):
                late[index - 1] = _frames(child.out_offset, self.fps)
                early[index + 1] = (
                    _frames(child.in_offset, self.fps),
                    _transition(child, self.fps),
                )
        for index, child in enumerate(children):
            if not getattr(child, "enabled", True):
                continue
            if isinstance(child, otio.schema.Clip):
                before, label = early.get(index, (0, ""))
                event = self.event(child, label, before, late.get(index, 0), None)
                if event is not None:
                    yield event
            elif isinstance(child, otio.core.Composition):  # nested sequence / compound clip
                window = child.transformed_time_range(child.trimmed_range(), self.track)
                for clip in child.find_clips():
                    if _shown_within(clip, child):
                        event = self.event(clip, "", 0, 0, window)
                        if event is not None:
                            yield event

    def event(
        self,
        clip: otio.schema.Clip,
        transition: str,
        before: int,
        after: int,
        window: otio.opentime.TimeRange | None,
    ) -> Event | None:
        """The clip's event, or ``None`` for a generator or a clip trimmed out of view."""
        if isinstance(clip.media_reference, otio.schema.GeneratorReference):
            return None
        cmx = _metadata(clip, "cmx_3600")  # read once: OTIO metadata lookups are slow
        reel = _reel(cmx, clip)
        if reel.upper() in BLACK_REELS:
            return None
        placed = clip.transformed_time_range(clip.trimmed_range(), self.track)
        start = _frames(placed.start_time, self.fps)
        end = start + _frames(placed.duration, self.fps)
        source = clip.trimmed_range()
        source_in = _frames(source.start_time, self.fps)
        source_out = source_in + _frames(source.duration, self.fps)
        if window is not None:  # a clip inside a nested sequence: only what the trim shows
            low = _frames(window.start_time, self.fps)
            high = low + _frames(window.duration, self.fps)
            source_in += max(low - start, 0)
            source_out -= max(end - high, 0)
            start, end = max(start, low), min(end, high)
            if end <= start:
                return None
        return Event(
            number=0,
            track=self.label,
            kind=self.kind,
            record_in=self.offset + start - before,
            record_out=self.offset + end + after,
            clip=str(clip.name or ""),
            reel=reel,
            source_in=source_in,
            source_out=source_out,
            speed=_speed(clip),
            transition=transition,
            hints=tuple(_hints(cmx, clip, incoming=bool(transition))),
        )


def _shown_within(clip: otio.schema.Clip, nest: otio.core.Composition) -> bool:
    """A clip in a nest is in the cut when it and every track between it and the nest are
    enabled (a muted layer inside a nested sequence is not on screen)."""
    item: Any = clip
    while item is not None and item is not nest:
        if not getattr(item, "enabled", True):
            return False
        item = item.parent()
    return True


def _transition(transition: otio.schema.Transition, fps: float) -> str:
    frames = round((transition.in_offset + transition.out_offset).rescaled_to(fps).value)
    kind = str(transition.transition_type or "transition")
    name = "dissolve" if "Dissolve" in kind else kind.lower().replace("smpte_", "")
    return f"{name} {frames}f"


def _speed(clip: otio.schema.Clip) -> float:
    """The clip's playback speed: OTIO time warps, or an FCP7 ``timeremap`` effect (which the
    fcp_xml adapter keeps only as metadata)."""
    speed = 1.0
    for effect in clip.effects:
        if isinstance(effect, otio.schema.FreezeFrame):
            return 0.0
        if isinstance(effect, otio.schema.LinearTimeWarp):
            speed *= float(effect.time_scalar)
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


def _hints(cmx: Any, clip: otio.schema.Clip, incoming: bool) -> Iterator[Hint]:
    """Where the clip's media may be: the reference's path, file comments, then names.

    The incoming side of an EDL dissolve is the exception: the adapter built its reference
    from ``FROM CLIP`` (the outgoing side) and its comments list the outgoing file first, so
    its own name and the last file comment come first.
    """
    reference = clip.media_reference
    paths: list[Hint] = []
    if isinstance(reference, otio.schema.ExternalReference) and reference.target_url:
        paths.append(Hint(url_path(str(reference.target_url)), "path"))
    elif isinstance(reference, otio.schema.ImageSequenceReference):
        base = url_path(str(reference.target_url_base))
        paths.append(Hint(base.rstrip("/") + "/" + str(reference.name_prefix), "path"))
    comments = []
    for comment in cmx.get("comments", []) or []:
        text = str(comment).strip()
        for key in FILE_COMMENTS:
            if text.upper().startswith(key):
                comments.append(Hint(text[len(key) :].strip(), "comment"))
    names = []
    if (
        reference is not None
        and reference.name
        and not isinstance(reference, otio.schema.MissingReference)
    ):
        names.append(Hint(str(reference.name), "clip name"))
    if clip.name:
        names.append(Hint(str(clip.name), "clip name"))
    if incoming and cmx:
        yield from names[::-1]
        yield from comments[::-1]
        yield from paths
    else:
        yield from paths
        yield from comments
        yield from names


def url_path(url: str) -> str:
    """``file://localhost/Volumes/A%20B/x.mov`` → ``/Volumes/A B/x.mov``; a plain path
    (``C:\\Media\\shot#1.mov``, ``/Volumes/x?.mov``) as it is: ``#`` and ``?`` are file
    name characters there, not parts of a URL."""
    if url[:5].lower() == "file:":
        rest = url[5:]
        if rest.startswith("//"):
            host, slash, path = rest[2:].partition("/")
            rest = slash + path if host.lower() in ("", "localhost") else rest
        return unquote(rest)
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]+://", url):  # http(s) and other schemes
        return unquote(urlparse(url).path) or url
    return url
