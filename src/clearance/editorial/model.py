"""An event of the cut and the hints that name its media: shared by the readers (an EDL is
read straight into events) and by ``events``, which places OpenTimelineIO clips."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class Hint(NamedTuple):
    """Something in the edit that names the clip's media, and where it came from."""

    text: str
    source: str  # path (reference URL or path) | comment | clip name


@dataclass(frozen=True, slots=True)
class Event:
    """One clip in the cut."""

    number: int  # the EDL's own event number; elsewhere 1-based in record order
    track: str  # V1, A2 … (the edit's own numbering)
    kind: str  # video | audio
    record_in: int  # frames, record timecode, while the clip is on screen (exclusive out)
    record_out: int
    clip: str
    reel: str
    source_in: int  # frames at the edit's rate
    source_out: int
    speed: float  # 1.0 normal, 2.0 twice as fast, 0.0 freeze frame, negative reverse
    transition: str  # the transition into this clip, e.g. "dissolve 24f"
    hints: tuple[Hint, ...]  # where its media may be, strongest first
    warnings: tuple[str, ...] = ()  # source-side problems that do not stop the reading

    @property
    def frames(self) -> int:
        return self.record_out - self.record_in

    @property
    def track_number(self) -> int:
        return int(self.track[1:])
