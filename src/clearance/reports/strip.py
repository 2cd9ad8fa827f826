"""The picture of the cut: an inline SVG strip with one lane per track and one rect per event,
coloured by cue status, so a reader sees at a glance where GenAI sits and what is still open.

Built as plain text (not through a template) because a feature cut has thousands of events:
each rect is one short line with a class (fills live in one ``<style>``), runs of
not-GenAI events on a lane merge into one rect, and coordinates are rounded — a 3,000-event
cut stays well under half a megabyte.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from html import escape

from clearance.editorial.cuesheet import CueSheet, StripEvent
from clearance.editorial.timecode import Timebase, exact_rate

#: One colour per status, shared by the strip and the report's badges.
STATUS_COLOURS: dict[str, str] = {
    "cleared": "#2f855a",
    "obligations-open": "#d69e2e",
    "temp-material": "#dd6b20",
    "undeclared": "#c53030",
    "unreadable": "#6b46c1",
    "resembles-reference": "#822727",
    "not-genai": "#dfe3e8",
    "missing": "#4a5568",
}
STATUS_LABELS: dict[str, str] = {
    "cleared": "Cleared",
    "obligations-open": "Obligations open",
    "temp-material": "Temp material",
    "undeclared": "Undeclared GenAI",
    "unreadable": "Unreadable media",
    "resembles-reference": "Resembles a protected reference",
    "not-genai": "Not GenAI",
    "missing": "Media missing",
}
UNKNOWN_COLOUR = "#805ad5"

WIDTH = 1000.0  # drawing units for the whole cut; the viewBox scales it to the page
GUTTER = 40.0  # lane labels
MARGIN = 40.0  # room for half the last tick's label
LANE = 18.0
GAP = 6.0
RULER = 26.0
LEGEND = 30.0
MAX_TICKS = 10
_TICK_SECONDS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)


@dataclass(frozen=True, slots=True)
class Segment:
    """What one rect draws: an event, or a merged run of not-GenAI events on one lane."""

    track: str
    start: int
    end: int
    status: str
    first: int  # event number
    last: int
    count: int

    @property
    def tooltip(self) -> str:
        label = STATUS_LABELS.get(self.status, self.status)
        if self.count == 1:
            return f"#{self.first} {self.track} {label}"
        return f"#{self.first}–#{self.last} {self.track} {label} ({self.count} events)"


def lanes(sheet: CueSheet) -> dict[str, list[Segment]]:
    """Each track's segments in time order (tracks in edit order, any stray ones after)."""
    by_track: dict[str, list[StripEvent]] = {t: [] for t in sheet.edit.tracks}
    for event in sheet.timeline:
        by_track.setdefault(event.track, []).append(event)
    return {
        track: list(_merge(sorted(found, key=lambda e: (e.start, e.event))))
        for track, found in by_track.items()
    }


def _merge(events: Iterable[StripEvent]) -> Iterator[Segment]:
    """Consecutive not-GenAI events become one segment (gaps between them included): they
    carry nothing to look at, and merging them keeps the SVG small."""
    run: Segment | None = None
    for e in events:
        seg = Segment(e.track, e.start, e.start + e.frames, e.status, e.event, e.event, 1)
        if run is not None and run.status == seg.status == "not-genai":
            run = replace(run, end=max(run.end, seg.end), last=seg.last, count=run.count + 1)
            continue
        if run is not None:
            yield run
        run = seg
    if run is not None:
        yield run


def timeline_svg(sheet: CueSheet) -> str:
    """The strip as an inline ``<svg>`` (viewBox-scaled, no external references)."""
    tracks = lanes(sheet)
    total = max([sheet.edit.frames, *(e.start + e.frames for e in sheet.timeline), 1])
    scale = WIDTH / total
    height = RULER + len(tracks) * (LANE + GAP) + LEGEND
    parts = [
        f'<svg class="strip" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 '
        f'{GUTTER + WIDTH + MARGIN:g} {height:g}" role="img" aria-label="Timeline of the cut">',
        _style(),
        *_ruler(sheet, total, scale, height - LEGEND),
    ]
    for index, (track, segments) in enumerate(tracks.items()):
        parts.extend(_lane(index, track, segments, scale))
    parts.extend(_legend(height - LEGEND + 10))
    parts.append("</svg>")
    return "\n".join(parts)


def _style() -> str:
    fills = "".join(f"svg.strip .st-{s}{{fill:{c}}}" for s, c in STATUS_COLOURS.items())
    return (
        '<defs><pattern id="strip-hatch" width="4" height="4" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="4" height="4" fill="#4a5568"/>'
        '<line x1="0" y1="0" x2="0" y2="4" stroke="#a0aec0" stroke-width="1.5"/></pattern>'
        "</defs><style>"
        f"svg.strip text{{font:10px system-ui,sans-serif;fill:#2d3748}}{fills}"
        f"svg.strip .st-missing{{fill:url(#strip-hatch)}}svg.strip .st-x{{fill:{UNKNOWN_COLOUR}}}"
        "svg.strip .lane{fill:#f7f8fa}svg.strip .tick{stroke:#a0aec0;stroke-width:.5}"
        "svg.strip .legend rect{stroke:#a0aec0;stroke-width:.5}"
        "</style>"
    )


def _lane(index: int, track: str, segments: list[Segment], scale: float) -> list[str]:
    y = RULER + index * (LANE + GAP)
    out = [
        f'<g class="lane-{index}"><text x="4" y="{y + LANE * 0.7:g}">{escape(track)}</text>',
        f'<rect class="lane" x="{GUTTER:g}" y="{y:g}" width="{WIDTH:g}" height="{LANE:g}"/>',
        f'<g class="events" transform="translate({GUTTER:g} {y:g})">',
    ]
    for seg in segments:
        x = seg.start * scale
        width = max((seg.end - seg.start) * scale, 0.3)  # a one-frame event stays visible
        css = f"st-{seg.status}" if seg.status in STATUS_COLOURS else "st-x"
        out.append(
            f'<rect class="{css}" x="{x:.1f}" width="{width:.2f}" height="{LANE:g}">'
            f"<title>{escape(seg.tooltip)}</title></rect>"
        )
    out.append("</g></g>")
    return out


def _ruler(sheet: CueSheet, total: int, scale: float, bottom: float) -> list[str]:
    """Ticks at a round interval, labelled with record timecode (the edit's start plus the
    offset) when the rate is known, else with the offset in minutes and seconds."""
    timebase = _timebase(sheet.edit.rate)
    fps = timebase.nominal if timebase else 24
    step = _tick_step(total, fps)
    start = _start_frame(timebase, sheet.edit.start)
    out = ['<g class="ruler">']
    for offset in range(0, total + 1, step):
        x = GUTTER + offset * scale
        if timebase is not None and start is not None:
            label = timebase.timecode(start + offset)
        else:
            label = _clock(offset // fps)
        anchor = "middle" if offset else "start"
        out.append(
            f'<line class="tick" x1="{x:.1f}" y1="{RULER - 8:g}" x2="{x:.1f}" y2="{bottom:g}"/>'
            f'<text x="{x:.1f}" y="{RULER - 11:g}" text-anchor="{anchor}">{escape(label)}</text>'
        )
    out.append("</g>")
    return out


def _tick_step(total: int, fps: int) -> int:
    """The smallest round interval (in frames) that gives at most ``MAX_TICKS`` ticks."""
    for seconds in _TICK_SECONDS:
        if total / (seconds * fps) <= MAX_TICKS:
            return seconds * fps
    return max(total // MAX_TICKS, 1)


def _timebase(rate: str) -> Timebase | None:
    """The edit's rate label (``23.976 NDF``, ``29.97 DF``, ``25``) back to a timebase."""
    number, _, flavour = rate.partition(" ")
    try:
        return Timebase(exact_rate(number), drop_frame=flavour == "DF")
    except (ValueError, ZeroDivisionError):
        return None


def _start_frame(timebase: Timebase | None, start: str) -> int | None:
    if timebase is None:
        return None
    try:
        return timebase.frames(start)
    except ValueError:
        return None


def _clock(seconds: int) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"+{minutes}m{secs:02d}s" if minutes else f"+{secs}s"


def _legend(y: float) -> list[str]:
    out = ['<g class="legend">']
    x = GUTTER
    for status, label in STATUS_LABELS.items():
        out.append(
            f'<rect class="st-{status}" x="{x:g}" y="{y:g}" width="12" height="12"/>'
            f'<text x="{x + 16:g}" y="{y + 10:g}">{escape(label)}</text>'
        )
        x += 26 + 6.2 * len(label)
    out.append("</g>")
    return out
