"""FCPXML (Final Cut Pro X / Resolve) read directly from the safely parsed tree.

The OpenTimelineIO ``fcpx_xml`` adapter reads 23.976 as 23 fps, puts a connected audio clip
on a video track, expands a compound clip twice and ignores transitions, so a cue sheet built
on it is wrong in ways no layer around it can undo. FCPXML states every time as rational
seconds, so reading it is a matter of adding offsets:

* a spine item's ``offset`` is its place in its parent storyline's time;
* a connected item's ``offset`` (it has a ``lane``) is in its parent clip's *source* time,
  where the parent's ``start`` is at the parent's ``offset``;
* a secondary storyline (``<spine lane=…>``) is placed like a connected item and its items
  follow its own time from zero;
* a compound clip (``ref-clip``) shows its media's sequence from its ``start`` for its
  ``duration``.

Lane 0 is V1 and lane *n* > 0 V(*n* + 1); audio-only items on lane −*n* are A*n*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from clearance.editorial.model import Event, Hint
from clearance.manifest.errors import InputError, ManifestError

#: Elements that are one clip of the cut (``clip`` and ``sync-clip`` hold their media).
_CLIPS = {"asset-clip", "clip", "sync-clip", "mc-clip", "video", "audio"}
#: Elements that are on screen but are not media: titles and generators.
_GENERATED = {"title", "generator"}
MAX_DEPTH = 16


@dataclass
class Sequence:
    name: str
    rate: Fraction
    drop_frame: bool
    start: int
    listed: list[Event] = field(default_factory=list)


def read(shown: str, root: Any, sequence: str | None) -> Sequence:
    """The project's sequence (the named one, when the file holds several) and its events."""
    from clearance.editorial.read import pick_sequence

    projects = [p for p in root.iter("project") if p.find("sequence") is not None]
    names = [p.get("name", "") for p in projects]
    index = pick_sequence(shown, names, sequence)
    chosen = projects[index].find("sequence")
    reader = _Reader(shown, root)
    rate = reader.rate(chosen)
    start = round(reader.time(chosen.get("tcStart", "0s")) * rate)
    length = round(reader.time(chosen.get("duration", "0s")) * rate)
    result = Sequence(
        names[index],
        rate,
        chosen.get("tcFormat", "").upper() == "DF" and rate.denominator == 1001,
        start,
    )
    reader.rate_ = rate
    spine = chosen.find("spine")
    if spine is not None:
        reader.spine(spine, Fraction(0), 0, "all", 0, result.listed)
    high = start + length if length > 0 else max((e.record_out for e in result.listed), default=0)
    clamped = [_clamped(e, start, high) for e in result.listed]
    result.listed = [e for e in clamped if e.record_out > e.record_in]
    return result


def _clamped(event: Event, low: int, high: int) -> Event:
    if low <= event.record_in and event.record_out <= high:
        return event
    values = {f: getattr(event, f) for f in Event.__slots__}
    values["record_in"] = max(event.record_in, low)
    values["record_out"] = min(event.record_out, high)
    return Event(**values)


class _Reader:
    def __init__(self, shown: str, root: Any) -> None:
        self.shown = shown
        self.resources: dict[str, Any] = {}
        for holder in root.iter("resources"):
            for element in holder:
                if element.get("id"):
                    self.resources.setdefault(element.get("id"), element)
        self.rate_ = Fraction(24)

    def time(self, text: str) -> Fraction:
        """``"1001/24000s"``, ``"3600s"`` → seconds."""
        value = text.strip().rstrip("s")
        try:
            return Fraction(value) if value else Fraction(0)
        except (ValueError, ZeroDivisionError):
            message = f"{text!r} is not a time (rational seconds such as 1001/24000s)"
            raise ManifestError([InputError(self.shown, None, "time", message)]) from None

    def rate(self, sequence: Any) -> Fraction:
        fmt = self.resources.get(sequence.get("format", ""))
        duration = self.time(fmt.get("frameDuration", "")) if fmt is not None else Fraction(0)
        if duration <= 0:
            message = "the sequence's format states no frameDuration"
            raise ManifestError([InputError(self.shown, None, "format", message)])
        return 1 / duration

    def frames(self, seconds: Fraction) -> int:
        return round(seconds * self.rate_)

    def spine(
        self, spine: Any, at: Fraction, lane: int, enable: str, depth: int, out: list[Event]
    ) -> None:
        """Place a storyline whose time zero is at record second ``at``, on ``lane``."""
        items = [c for c in spine if c.get("offset") is not None or c.tag == "transition"]
        for index, item in enumerate(items):
            if item.tag == "transition":
                continue
            begin = at + self.time(item.get("offset", "0s"))
            end = begin + self.time(item.get("duration", "0s"))
            into = ""
            shown_from, shown_to = begin, end
            before = items[index - 1] if index > 0 else None
            after = items[index + 1] if index + 1 < len(items) else None
            if before is not None and before.tag == "transition":
                t0 = at + self.time(before.get("offset", "0s"))
                shown_from = min(shown_from, t0)
                into = (
                    f"{_transition(before)} {self.frames(self.time(before.get('duration', '0s')))}f"
                )
            if after is not None and after.tag == "transition":
                t0 = at + self.time(after.get("offset", "0s"))
                shown_to = max(shown_to, t0 + self.time(after.get("duration", "0s")))
            self.item(item, begin, end, (shown_from, shown_to), into, lane, enable, depth, out)

    def item(
        self,
        item: Any,
        begin: Fraction,
        end: Fraction,
        shown: tuple[Fraction, Fraction],
        into: str,
        lane: int,
        enable: str,
        depth: int,
        out: list[Event],
    ) -> None:
        """One spine item at record ``begin``–``end``: the clip itself (when it is one), then
        what is connected to it."""
        if item.get("enabled", "1") == "0" or depth > MAX_DEPTH:
            return
        if item.tag == "ref-clip":
            self.compound(item, begin, end, lane, enable, depth, out)
        elif item.tag in _CLIPS:
            event = self.clip(item, shown, into, lane, enable)
            if event is not None:
                out.append(event)
        # Connected items and storylines: in this item's source time, its start at ``begin``.
        origin = begin - self.time(item.get("start", "0s"))
        for child in item:
            child_lane = child.get("lane")
            if child_lane is None or child.get("enabled", "1") == "0":
                continue
            if not child_lane.lstrip("-").isdigit():
                message = f"<{child.tag} lane={child_lane!r}>: a lane is a whole number"
                raise ManifestError([InputError(self.shown, None, "lane", message)])
            place = origin + self.time(child.get("offset", "0s"))
            if child.tag == "spine":
                self.spine(child, place, lane + int(child_lane), enable, depth + 1, out)
            else:
                length = self.time(child.get("duration", "0s"))
                span = (place, place + length)
                self.item(child, *span, span, "", lane + int(child_lane), enable, depth + 1, out)

    def compound(
        self, item: Any, begin: Fraction, end: Fraction, lane: int, enable: str, depth: int,
        out: list[Event],
    ) -> None:  # fmt: skip
        """A compound clip: its media's own sequence, as far as the ref-clip shows it."""
        media = self.resources.get(item.get("ref", ""))
        inner = media.find("sequence") if media is not None else None
        spine = inner.find("spine") if inner is not None else None
        if spine is None:
            return
        source = item.get("srcEnable", "all")
        allowed = source if enable == "all" else enable
        offset = begin - self.time(item.get("start", "0s"))  # compound time, as its offsets
        found: list[Event] = []
        self.spine(spine, offset, lane, allowed, depth + 1, found)
        low, high = self.frames(begin), self.frames(end)
        for event in found:  # on the compound clip's own lane, as an FCP7 nest is
            event = _clamped(event, low, high)
            if event.record_out > event.record_in:
                values = {f: getattr(event, f) for f in Event.__slots__}
                values["track"] = _track(event.kind, lane)
                out.append(Event(**values))

    def clip(
        self, item: Any, shown: tuple[Fraction, Fraction], into: str, lane: int, enable: str
    ) -> Event | None:
        asset, has_video = self.media(item)
        if asset is None:
            return None
        kind = "video" if has_video and item.get("srcEnable", "all") != "audio" else "audio"
        if enable != "all" and kind != enable:
            return None
        track = _track(kind, lane)
        name = item.get("name", "") or asset.get("name", "")
        hints: list[Hint] = []
        src = asset.get("src", "") or next(
            (r.get("src", "") for r in asset.iter("media-rep") if r.get("src")), ""
        )
        if src:
            from clearance.editorial.events import url_path

            hints.append(Hint(url_path(src), "path"))
        if asset.get("name"):
            hints.append(Hint(asset.get("name"), "clip name"))
        if name:
            hints.append(Hint(name, "clip name"))
        reel = next(
            (m.get("value", "") for m in asset.iter("md") if m.get("key", "").endswith(".reel")),
            "",
        )
        start = self.frames(self.time(item.get("start", "0s")))
        duration = self.frames(self.time(item.get("duration", "0s")))
        return Event(
            number=0,
            track=track,
            kind=kind,
            record_in=self.frames(shown[0]),
            record_out=self.frames(shown[1]),
            clip=name,
            reel=reel,
            source_in=start,
            source_out=start + duration,
            speed=_speed(item, self),
            transition=into,
            hints=tuple(dict.fromkeys(hints)),
        )

    def media(self, item: Any) -> tuple[Any | None, bool]:
        """The asset an item shows and whether it has picture (titles and generators have no
        asset: not media)."""
        if item.tag in ("asset-clip", "video", "audio"):
            asset = self.resources.get(item.get("ref", ""))
            if asset is None or asset.tag != "asset":
                return None, False
            has_video = asset.get("hasVideo", "0") == "1" and item.tag != "audio"
            return asset, has_video
        if item.tag == "mc-clip":
            media = self.resources.get(item.get("ref", ""))
            first = next(iter(media.iter("asset-clip")), None) if media is not None else None
            return (self.media(first) if first is not None else (None, False))[0], True
        # clip / sync-clip: its own video (else audio) inside — outside its lanes first
        for inside in (list(_own(item)), list(item.iter())[1:]):
            for tag in ("video", "asset-clip", "audio"):
                for child in inside:
                    if child.tag == tag:
                        asset, has_video = self.media(child)
                        if asset is not None:
                            return asset, has_video
        return None, False


def _track(kind: str, lane: int) -> str:
    """Lane 0 is V1, lane n > 0 V(n + 1); audio on lane -n is An (the spine's own audio A1)."""
    if kind == "video":
        return f"V{lane + 1}" if lane >= 0 else "V1"
    return f"A{-lane}" if lane < 0 else "A1"


def _own(item: Any) -> Any:
    """``item``'s descendants that are its own media, not what is connected on a lane."""
    for child in item:
        if child.get("lane") is None:
            yield child
            yield from _own(child)


def _transition(item: Any) -> str:
    name = (item.get("name", "") + " ".join(f.get("name", "") for f in item)).casefold()
    return "dissolve" if "dissolve" in name else "wipe" if "wipe" in name else "transition"


def _speed(item: Any, reader: _Reader) -> float:
    """A ``timeMap``'s speed between its first two points (source over record time)."""
    time_map = item.find("timeMap")
    points = time_map.findall("timept") if time_map is not None else []
    if len(points) < 2:
        return 1.0
    record = reader.time(points[1].get("time", "0s")) - reader.time(points[0].get("time", "0s"))
    source = reader.time(points[1].get("value", "0s")) - reader.time(points[0].get("value", "0s"))
    return round(float(source / record), 4) if record else 1.0
