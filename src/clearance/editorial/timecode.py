"""Frame rates and SMPTE timecode (OpenTimelineIO does the arithmetic, drop-frame included).

Events are held as whole frames at the edit's rate; text is made only for display, so a
23.976 or 29.97 DF cut never accumulates rounding error.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

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
        """Frame count from 00:00:00:00 → SMPTE timecode (``;`` before frames when DF)."""
        if frames < 0:
            return "-" + self.timecode(-frames)
        time = otio.opentime.RationalTime(frames, self.fps)
        return str(otio.opentime.to_timecode(time, self.fps, self.drop_frame))

    def frames(self, timecode: str) -> int:
        """SMPTE timecode → frame count (raises ``ValueError`` with what was expected)."""
        try:
            time = otio.opentime.from_timecode(timecode.strip(), self.fps)
        except ValueError as exc:
            raise ValueError(f"expected a timecode HH:MM:SS:FF, got {timecode!r}") from exc
        value: float = time.value
        return round(value)

    def duration(self, frames: int) -> str:
        """A duration as timecode (drop-frame counting does not apply to lengths)."""
        time = otio.opentime.RationalTime(frames, self.fps)
        return str(otio.opentime.to_timecode(time, self.fps, False))

    def seconds(self, frames: int) -> float:
        return frames / self.fps
