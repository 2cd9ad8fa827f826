"""Frame rates and SMPTE timecode (OpenTimelineIO does the arithmetic, drop-frame included).

Events are held as whole frames at the edit's rate; text is made only for display, so a
23.976 or 29.97 DF cut never accumulates rounding error.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import opentimelineio as otio

#: NTSC rates as written in the field → the exact rate.
_NTSC = {
    23.976: Fraction(24000, 1001),
    29.97: Fraction(30000, 1001),
    47.952: Fraction(48000, 1001),
    59.94: Fraction(60000, 1001),
}
_DROP_FRAME_RATES = (Fraction(30000, 1001), Fraction(60000, 1001))


def exact_rate(rate: float | str) -> Fraction:
    """``23.976``, ``"24000/1001"``, ``29.97`` or ``25`` → the exact rate (NTSC snapped)."""
    try:
        value = Fraction(rate) if isinstance(rate, str) else Fraction(rate).limit_denominator(1001)
    except (ValueError, ZeroDivisionError):
        value = Fraction(0)
    if value <= 0 or value > 1000:
        raise ValueError(f"expected a frame rate such as 24, 25, 23.976 or 29.97, got {rate}")
    for nominal, exact in _NTSC.items():
        if abs(float(value) - nominal) < 0.01:
            return exact
    return value


@cache
def _hour_frames(rate: Fraction, drop_frame: bool) -> int:
    """Frames in one hour of timecode (107,892 at 29.97 DF)."""
    text = "01:00:00;00" if drop_frame else "01:00:00:00"
    value: float = otio.opentime.from_timecode(text, float(rate)).value
    return round(value)


@dataclass(frozen=True, slots=True)
class Timebase:
    """An edit's rate and timecode flavour."""

    rate: Fraction
    drop_frame: bool = False

    def __post_init__(self) -> None:
        if self.drop_frame and self.rate not in _DROP_FRAME_RATES:
            raise ValueError(f"drop-frame timecode exists only at 29.97 and 59.94, not {self}")

    @property
    def fps(self) -> float:
        return float(self.rate)

    @property
    def label(self) -> str:
        """``23.976 NDF``, ``29.97 DF``, ``25``."""
        text = f"{float(self.rate):.3f}".rstrip("0").rstrip(".")
        if self.rate.denominator == 1001:
            return f"{text} {'DF' if self.drop_frame else 'NDF'}"
        return text

    @property
    def nominal(self) -> int:
        """Frames per timecode second (24 for 23.976, 30 for 29.97)."""
        return round(self.rate)

    def timecode(self, frames: int) -> str:
        """Frame count from 00:00:00:00 → SMPTE timecode (``;`` before frames when DF). Hours
        count on past 24 (a long edit's record times do not wrap round to 00)."""
        if frames < 0:
            return "-" + self.timecode(-frames)
        hours, rest = divmod(frames, self._hour)  # an hour is whole frames, DF included
        time = otio.opentime.RationalTime(rest, self.fps)
        text = str(otio.opentime.to_timecode(time, self.fps, self.drop_frame))
        return f"{hours:02d}{text[2:]}"

    @property
    def _hour(self) -> int:
        return _hour_frames(self.rate, self.drop_frame)

    def frames(self, timecode: str) -> int:
        """SMPTE timecode → frame count (raises ``ValueError`` with what was expected)."""
        try:
            time = otio.opentime.from_timecode(timecode.strip(), self.fps)
        except ValueError as exc:
            raise ValueError(f"expected a timecode HH:MM:SS:FF, got {timecode!r}") from exc
        value: float = time.value
        return round(value)

    def duration(self, frames: int) -> str:
        """A duration as timecode (drop-frame counting does not apply to lengths; hours count
        on past 24)."""
        hour = round(self.rate) * 3600
        hours, rest = divmod(max(frames, 0), hour)
        time = otio.opentime.RationalTime(rest, self.fps)
        return f"{hours:02d}{str(otio.opentime.to_timecode(time, self.fps, False))[2:]}"

    def seconds(self, frames: int) -> float:
        return frames / self.fps
