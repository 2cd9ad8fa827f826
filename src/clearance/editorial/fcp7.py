"""Final Cut Pro 7 XML (xmeml: Premiere, Resolve, FCP7, Hiero) read directly from the safely
parsed tree.

The OpenTimelineIO ``fcp_xml`` adapter drops ``<enabled>FALSE</enabled>`` on clips and tracks,
turns a nested sequence referred to by id into an empty stack (its clips vanish), and moves
a clip that overlaps its neighbour (Premiere allows that on audio) to after it. The XML states
every clip's record ``<start>``/``<end>`` in sequence frames, so reading it directly is both
shorter and right: a clip is where the XML says it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from clearance.editorial.model import Event, Hint
from clearance.manifest.errors import InputError, ManifestError

#: ``<mediaSource>`` of Premiere's slugs, bars, leaders and titles: generators, not media.
_GENERATED = {"SLUG", "GRAPHICANDTYPE"}
_NOT_MEDIA_NAMES = {"black video", "bars and tone", "hd bars and tone", "transparent video"}
MAX_DEPTH = 8  # nested sequences inside nested sequences


@dataclass
class Sequence:
    """The sequence read: its events and what it says of its timebase."""

    name: str
    rate: Fraction
    drop_frame: bool
    start: int  # record frame of the sequence's first frame
    listed: list[Event] = field(default_factory=list)


def read(shown: str, root: Any, sequence: str | None) -> Sequence:
    """The top-level sequence (the named one, when there are several) and its events."""
    from clearance.editorial.read import pick_sequence

    tops = _top_sequences(root)
    names = [(s.findtext("name") or "").strip() for s in tops]
    chosen = tops[pick_sequence(shown, names, sequence)]
    reader = _Reader(shown, root)
    rate = reader.rate(chosen)
    timecode = chosen.find("timecode")
    drop = timecode is not None and (timecode.findtext("displayformat") or "").upper() == "DF"
    start = reader.integer(timecode, "frame", 0) if timecode is not None else 0
    result = Sequence(
        (chosen.findtext("name") or "").strip(),
        rate,
        drop and rate.denominator == 1001,
        start,
    )
    reader.sequence(chosen, start, None, result.listed, 0)
    # Nothing is on screen before the sequence's first frame (a transition may reach back
    # past it); its <duration> is not trusted for the end: Premiere writes a stale one.
    end = max((e.record_out for e in result.listed), default=start)
    result.listed = [_clamped(e, start, end) for e in result.listed]
    result.listed = [e for e in result.listed if e.record_out > e.record_in]
    return result


def _top_sequences(root: Any) -> list[Any]:
    """Sequences that are not inside a clip (xmeml's own, or in a project's bins)."""
    found: list[Any] = []
    stack = [root]
    while stack:
        element = stack.pop()
        for child in element:
            if child.tag == "sequence" and child.find("media") is not None:
                found.append(child)
            elif child.tag in ("project", "children", "bin"):
                stack.append(child)
    return found


def _clamped(event: Event, low: int, high: int) -> Event:
    values = {f: getattr(event, f) for f in Event.__slots__}
    values["record_in"] = max(event.record_in, low)
    values["record_out"] = min(event.record_out, high)
    return Event(**values)


class _Reader:
    def __init__(self, shown: str, root: Any) -> None:
        self.shown = shown
        self.files: dict[str, Any] = {}
        self.sequences: dict[str, Any] = {}
        for element in root.iter("file"):
            if element.get("id") and len(element) and element.get("id") not in self.files:
                self.files[element.get("id")] = element
        for element in root.iter("sequence"):
            if element.get("id") and element.find("media") is not None:
                self.sequences.setdefault(element.get("id"), element)

    def integer(self, element: Any, tag: str, default: int) -> int:
        text = (element.findtext(tag) or "").strip() if element is not None else ""
        if not text:
            return default
        try:
            return int(float(text))
        except ValueError:
            message = f"<{tag}> {text!r} is not a number of frames"
            raise ManifestError([InputError(self.shown, None, tag, message)]) from None

    def rate(self, element: Any) -> Fraction:
        rate = element.find("rate")
        base = self.integer(rate, "timebase", 0) if rate is not None else 0
        if base <= 0:
            message = "the sequence states no <rate><timebase>"
            raise ManifestError([InputError(self.shown, None, "rate", message)])
        ntsc = (rate.findtext("ntsc") or "").strip().upper() == "TRUE"
        return Fraction(base * 1000, 1001) if ntsc else Fraction(base)

    def sequence(
        self, element: Any, offset: int, kind: str | None, out: list[Event], depth: int
    ) -> None:
        """Place ``element``'s clips; ``offset`` is the record frame of its frame 0 and
        ``kind`` the one kind read from a nested sequence (video or audio)."""
        for which in ("video", "audio") if kind is None else (kind,):
            number = 0
            pair: list[Event] = []
            out_at = len(out)
            for track in element.findall(f"media/{which}/track"):
                exploded = track.get("currentExplodedTrackIndex", "0") not in ("", "0")
                if not exploded:  # Premiere's exploded stereo pair is one track
                    number += 1
                    pair = []
                    out_at = len(out)
                if (track.findtext("enabled") or "TRUE").strip().upper() == "FALSE":
                    continue
                label = f"{'V' if which == 'video' else 'A'}{max(number, 1)}"
                placed: list[Event] = []
                self.track(track, which, label, offset, placed, depth)
                for event in placed:
                    if exploded:
                        _merge(pair, event)
                    else:
                        pair.append(event)
                out[out_at:] = pair

    def track(
        self, track: Any, kind: str, label: str, offset: int, out: list[Event], depth: int
    ) -> None:
        items = [c for c in track if c.tag in ("clipitem", "transitionitem", "generatoritem")]
        for index, item in enumerate(items):
            if item.tag != "clipitem":
                continue
            if (item.findtext("enabled") or "TRUE").strip().upper() == "FALSE":
                continue
            start = self.integer(item, "start", -1)
            end = self.integer(item, "end", -1)
            into = ""
            before = items[index - 1] if index > 0 else None
            after = items[index + 1] if index + 1 < len(items) else None
            # A clip edge at -1 is the transition's edge; an edge written at the cut inside a
            # transition moves to its edge too: the clip is on screen for all of it.
            if before is not None and before.tag == "transitionitem":
                t_start, t_end = self.integer(before, "start", 0), self.integer(before, "end", 0)
                if start < 0 or t_start <= start < t_end:
                    start = t_start
                into = _transition(before, self)
            if after is not None and after.tag == "transitionitem":
                t_start, t_end = self.integer(after, "start", 0), self.integer(after, "end", 0)
                if end < 0 or t_start < end <= t_end:
                    end = t_end
            if start < 0 or end <= start:
                continue
            nested = item.find("sequence")
            if nested is not None:
                self.nested(item, nested, kind, label, offset + start, offset + end, out, depth)
                continue
            event = self.clip(item, kind, label, offset + start, offset + end, into)
            if event is not None:
                out.append(event)

    def nested(
        self,
        item: Any,
        nested: Any,
        kind: str,
        label: str,
        low: int,
        high: int,
        out: list[Event],
        depth: int,
    ) -> None:
        """A nested sequence: its own clips, as far as the clip's in/out shows them."""
        body = nested if nested.find("media") is not None else self.sequences.get(nested.get("id"))
        if body is None or depth >= MAX_DEPTH:
            return
        inner: list[Event] = []
        self.sequence(body, low - self.integer(item, "in", 0), kind, inner, depth + 1)
        for event in inner:
            shown = _clamped(event, low, high)
            if shown.record_out > shown.record_in:
                values = {f: getattr(shown, f) for f in Event.__slots__}
                values["track"] = label
                out.append(Event(**values))

    def clip(
        self, item: Any, kind: str, label: str, record_in: int, record_out: int, into: str
    ) -> Event | None:
        reference = item.find("file")
        file = self.files.get(reference.get("id", "")) if reference is not None else None
        if file is None and reference is not None and len(reference):
            file = reference
        name = (item.findtext("name") or "").strip()
        source = (file.findtext("mediaSource") or "").strip().upper() if file is not None else ""
        if source in _GENERATED or (file is None and name.casefold() in _NOT_MEDIA_NAMES):
            return None
        hints: list[Hint] = []
        reel = ""
        if file is not None:
            from clearance.editorial.events import url_path

            path = (file.findtext("pathurl") or "").strip()
            if path:
                hints.append(Hint(url_path(path), "path"))
            file_name = (file.findtext("name") or "").strip()
            if file_name:
                hints.append(Hint(file_name, "clip name"))
            reel = (file.findtext("timecode/reel/name") or "").strip()
        if name:
            hints.append(Hint(name, "clip name"))
        source_in = self.integer(item, "in", 0)
        source_out = self.integer(item, "out", source_in + record_out - record_in)
        return Event(
            number=0,
            track=label,
            kind=kind,
            record_in=record_in,
            record_out=record_out,
            clip=name,
            reel=reel,
            source_in=source_in,
            source_out=source_out,
            speed=_speed(item),
            transition=into,
            hints=tuple(dict.fromkeys(hints)),
        )


def _merge(pair: list[Event], event: Event) -> None:
    """An exploded stereo pair's channels are one clip: the other channel's clip of the
    same name, overlapping, widens the first channel's event to span both."""
    for index, other in enumerate(pair):
        if (
            other.clip == event.clip
            and other.record_in < event.record_out
            and event.record_in < other.record_out
        ):
            values = {f: getattr(other, f) for f in Event.__slots__}
            values["record_in"] = min(other.record_in, event.record_in)
            values["record_out"] = max(other.record_out, event.record_out)
            values["transition"] = other.transition or event.transition
            pair[index] = Event(**values)
            return
    pair.append(event)


def _transition(item: Any, reader: _Reader) -> str:
    frames = reader.integer(item, "end", 0) - reader.integer(item, "start", 0)
    effect = " ".join(
        (item.findtext(f"effect/{tag}") or "") for tag in ("name", "effectid")
    ).casefold()
    kind = "dissolve" if "dissolve" in effect else "wipe" if "wipe" in effect else "transition"
    return f"{kind} {frames}f"


def _speed(item: Any) -> float:
    """An FCP7 ``timeremap`` effect's speed (percent; ``reverse`` makes it negative)."""
    for effect in item.iter("effect"):
        if (effect.findtext("effectid") or "").strip() != "timeremap":
            continue
        values = {
            (p.findtext("parameterid") or "").strip(): (p.findtext("value") or "").strip()
            for p in effect.findall("parameter")
        }
        try:
            speed = float(values.get("speed") or 100) / 100
        except ValueError:
            return 1.0
        return round(-speed if values.get("reverse", "").upper() == "TRUE" else speed, 4)
    return 1.0
