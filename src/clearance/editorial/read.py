"""Reading an edit with OpenTimelineIO: the adapter is chosen by suffix, the input is bounded,
XML is checked for entity tricks before any adapter sees it, and every failure becomes an
``InputError`` naming the file, the line where known, and the adapter's own message.

Adapters (plugins of OpenTimelineIO, installed as dependencies): ``cmx_3600`` (.edl),
``fcp_xml`` (.xml, Final Cut Pro 7 / Premiere / Resolve), ``fcpx_xml`` (.fcpxml), ``AAF``
(.aaf, Avid) and the native ``otio_json`` (.otio).
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml import ElementTree as SafeElementTree

from clearance.editorial.timecode import Timebase, exact_rate
from clearance.manifest.errors import InputError, ManifestError

#: suffix → OpenTimelineIO adapter name.
ADAPTERS = {
    ".edl": "cmx_3600",
    ".xml": "fcp_xml",
    ".fcpxml": "fcpx_xml",
    ".aaf": "AAF",
    ".otio": "otio_json",
}
MAX_EDIT_BYTES = 256 * 1024 * 1024

_TIMECODE = re.compile(r"^\d{1,2}[:;.]\d{2}[:;.]\d{2}[:;.]\d{2}$")
_EVENT = re.compile(r"^\s*\d{1,6}\s")
_FRAMES_SEPARATOR = re.compile(r"\b(\d{1,2}[:;.]\d{2}[:;.]\d{2})[:.](\d{2})\b")
_FCM = re.compile(r"^\s*FCM:\s*(NON[- ]?DROP|DROP)", re.IGNORECASE)


@dataclass
class Edit:
    """A read edit: the OTIO timeline, its timebase and where the record timecode starts."""

    path: Path
    adapter: str
    timeline: otio.schema.Timeline
    timebase: Timebase
    start: int  # record frame of the timeline's first frame (EDL tracks carry their own)
    first_frame: int | None = None  # --start: where the first event goes, when given

    @property
    def name(self) -> str:
        return str(self.timeline.name or self.path.stem)


def read_edit(
    path: Path,
    rate: float | str | None = None,
    drop_frame: bool | None = None,
    start: str | None = None,
) -> Edit:
    """Read ``path``; ``rate`` is needed for EDLs (which do not say; 24 when not given),
    ``drop_frame`` and ``start`` override what the file says."""
    shown = str(path)
    if rate is not None:
        try:
            exact_rate(rate)
        except ValueError as exc:
            raise ManifestError([InputError("--rate", None, "", str(exc))]) from exc
    adapter = ADAPTERS.get(path.suffix.lower())
    if adapter is None:
        known = ", ".join(sorted(ADAPTERS))
        raise ManifestError([InputError(shown, None, "", f"expected an edit ({known})")])
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ManifestError([InputError(shown, None, "", exc.strerror or str(exc))]) from exc
    if size > MAX_EDIT_BYTES:
        message = f"edit is {size} bytes; the limit is {MAX_EDIT_BYTES}"
        raise ManifestError([InputError(shown, None, "", message)])
    if adapter == "AAF":
        timeline = _read_aaf(path)
        edl_drop = None
    else:
        text = _text(path)
        edl_drop = _check_edl(shown, text) if adapter == "cmx_3600" else None
        if adapter == "cmx_3600":
            drop = edl_drop if drop_frame is None else drop_frame
            ntsc = exact_rate(rate or 24).denominator == 1001
            text = _normalise_edl(text, bool(drop) and ntsc)
        if adapter in ("fcp_xml", "fcpx_xml"):
            root = _check_xml(shown, text)
            if adapter == "fcpx_xml":
                _check_fcpx_rate(shown, root)
        timeline = _parse(shown, text, adapter, rate)
    _check_timeline(shown, timeline)
    timebase = _timebase(shown, timeline, adapter, rate, drop_frame, edl_drop)
    edit = Edit(path, adapter, timeline, timebase, _global_start(timeline, timebase))
    if start:
        edit.first_frame = _timecode(shown, timebase, start)
    return edit


def _text(path: Path) -> str:
    raw = path.read_bytes()
    if b"\0" in raw[:65536]:
        raise ManifestError(
            [InputError(str(path), None, "", "expected a text edit, got binary data")]
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # EDLs from older systems are often Latin-1


def _check_edl(shown: str, text: str) -> bool | None:
    """Check every event line's four timecodes (the adapter reads a malformed one as zero) and
    read the FCM drop-frame flag (the adapter does not keep it)."""
    problems: list[InputError] = []
    drop: bool | None = None
    for number, line in enumerate(text.splitlines(), 1):
        fcm = _FCM.match(line)
        if fcm and drop is None:
            drop = fcm.group(1).upper() == "DROP"
        if not _EVENT.match(line):
            continue
        fields = line.split()
        if len(fields) < 8:
            continue  # the adapter names the malformed statement; _line finds it
        for name, value in zip(
            ("source in", "source out", "record in", "record out"), fields[-4:], strict=True
        ):
            if not _TIMECODE.match(value):
                problems.append(
                    InputError(
                        shown, number, name, f"expected a timecode HH:MM:SS:FF, got {value!r}"
                    )
                )
    if problems:
        raise ManifestError(problems)
    return drop


def _normalise_edl(text: str, drop_frame: bool) -> str:
    """Work around two cmx_3600 adapter limits without changing what the EDL says: it tells
    drop-frame only by ``;`` in each timecode (ignoring ``FCM: DROP FRAME``), and it fails
    on an M2 line whose timecode has ``;``."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if drop_frame and _EVENT.match(line):
            lines[index] = _FRAMES_SEPARATOR.sub(r"\1;\2", line)
        elif line.lstrip().upper().startswith("M2") and ";" in line:
            lines[index] = line.replace(";", ":")
    return "\n".join(lines) + "\n"


def _check_xml(shown: str, text: str) -> Any:
    """Refuse entity declarations and external references before an adapter parses the file;
    the parsed root, for the checks an adapter does not make."""
    try:
        return SafeElementTree.fromstring(text.encode("utf-8"))
    except DefusedXmlException as exc:
        message = f"refused: the XML declares entities ({type(exc).__name__})"
        raise ManifestError([InputError(shown, None, "", message)]) from exc
    except SafeElementTree.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise ManifestError([InputError(shown, line, "", f"malformed XML: {exc}")]) from exc


def _parse(shown: str, text: str, adapter: str, rate: float | str | None) -> otio.schema.Timeline:
    kwargs: dict[str, object] = {}
    if adapter == "cmx_3600":
        kwargs["rate"] = float(exact_rate(rate)) if rate is not None else 24.0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = otio.adapters.read_from_string(text, adapter, **kwargs)
    except Exception as exc:  # any adapter failure is a malformed input, never a crash
        line = getattr(exc, "position", None)
        number = line[0] if isinstance(line, tuple) else _line(text, str(exc))
        message = f"{adapter} adapter: {exc}"
        raise ManifestError([InputError(shown, number, "", message)]) from exc
    return _timeline(shown, result)


def _read_aaf(path: Path) -> otio.schema.Timeline:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = otio.adapters.read_from_file(str(path), "AAF")
    except Exception as exc:
        raise ManifestError([InputError(str(path), None, "", f"AAF adapter: {exc}")]) from exc
    return _timeline(str(path), result)


def _timeline(shown: str, result: object) -> otio.schema.Timeline:
    if isinstance(result, otio.schema.SerializableCollection):
        timelines = list(result.find_children(descended_from_type=otio.schema.Timeline))
        if len(timelines) != 1:
            message = f"expected one sequence in the edit, found {len(timelines)}"
            raise ManifestError([InputError(shown, None, "", message)])
        result = timelines[0]
    if not isinstance(result, otio.schema.Timeline):
        message = f"expected a timeline, got {type(result).__name__}"
        raise ManifestError([InputError(shown, None, "", message)])
    return result


def _line(text: str, message: str) -> int | None:
    """The line an adapter message refers to: a quoted statement, or the event of ``for clip
    NAME`` (an event number, or the clip name of a ``FROM CLIP NAME`` comment)."""
    statement = re.search(r"statement: (.+)$", message)
    clip = re.search(r"for clip (.+)$", message)
    event_line = None
    for number, line in enumerate(text.splitlines(), 1):
        if statement and line.strip() == statement.group(1).strip():
            return number
        if _EVENT.match(line):
            event_line = number
            if clip and line.split()[:1] == [clip.group(1).strip()]:
                return number
        elif (
            clip
            and line.strip().upper().startswith("* FROM CLIP NAME:")
            and line.split(":", 1)[1].strip() == clip.group(1).strip()
        ):
            return event_line
    return None


def _timebase(
    shown: str,
    timeline: otio.schema.Timeline,
    adapter: str,
    rate: float | str | None,
    drop_frame: bool | None,
    edl_drop: bool | None,
) -> Timebase:
    try:
        if adapter == "cmx_3600":
            exact = exact_rate(rate if rate is not None else 24)
            drop = edl_drop
        else:
            exact = exact_rate(rate) if rate is not None else exact_rate(_rate_of(timeline))
            drop = _drop_of(timeline)
        if drop_frame is not None:
            drop = drop_frame
        return Timebase(exact, bool(drop) and exact.denominator == 1001)
    except ValueError as exc:
        raise ManifestError([InputError(shown, None, "rate", str(exc))]) from exc


def _rate_of(timeline: otio.schema.Timeline) -> float:
    if timeline.global_start_time is not None:
        return float(timeline.global_start_time.rate)
    for clip in timeline.find_clips():
        return float(clip.trimmed_range().duration.rate)
    return 24.0


def _drop_of(timeline: otio.schema.Timeline) -> bool:
    """What an XML sequence says of drop-frame (FCP7 ``displayformat``, FCPX ``tcFormat``)."""
    meta = timeline.metadata
    fcp = meta.get("fcp_xml", {}) if hasattr(meta, "get") else {}
    for holder in (fcp, fcp.get("timecode", {}) if hasattr(fcp, "get") else {}):
        if hasattr(holder, "get") and str(holder.get("displayformat", "")).upper() == "DF":
            return True
    fcpx = meta.get("fcpx", {}) if hasattr(meta, "get") else {}
    return hasattr(fcpx, "get") and str(fcpx.get("tcFormat", "")).upper() == "DF"


def _global_start(timeline: otio.schema.Timeline, timebase: Timebase) -> int:
    if timeline.global_start_time is not None:
        value: float = timeline.global_start_time.rescaled_to(timebase.fps).value
        return round(value)
    return 0


def _timecode(shown: str, timebase: Timebase, given: str) -> int:
    """``--start`` in the edit's own flavour (``01:00:00:00`` is DF at 29.97 DF)."""
    text = given.strip()
    if timebase.drop_frame and _TIMECODE.match(text):
        text = text[:-3] + ";" + text[-2:]
    try:
        return timebase.frames(text)
    except ValueError as exc:
        raise ManifestError([InputError(shown, None, "start", str(exc))]) from exc


def _check_fcpx_rate(shown: str, root: Any) -> None:
    """The fcpx_xml adapter turns a frame duration into ``int(1 / duration)`` frames per
    second: 23.976 becomes 23 and every timecode drifts. Refuse rather than report wrong
    timecodes."""
    for element in root.iter("format"):
        duration = element.get("frameDuration", "")
        try:
            fraction = Fraction(duration.rstrip("s")) if duration else None
        except (ValueError, ZeroDivisionError):
            fraction = None
        if fraction and fraction > 0 and (1 / fraction).denominator != 1:
            rate = float(1 / fraction)
            problem = (
                f"frameDuration {duration} ({rate:.3f} fps): the FCPXML adapter reads only "
                "whole-number frame rates; export FCP7 XML, AAF or an EDL of this cut instead"
            )
            raise ManifestError([InputError(shown, None, "format", problem)])


def _check_timeline(shown: str, timeline: otio.schema.Timeline) -> None:
    """An edit with no clips, or with times no frame rate can place, is refused."""
    clips = 0
    for clip in timeline.find_clips():
        clips += 1
        try:
            timing = clip.trimmed_range()
            rate, length = float(timing.duration.rate), float(timing.duration.value)
        except Exception as exc:  # an adapter's object that cannot even say its range
            raise ManifestError(
                [InputError(shown, None, "", f"clip {clip.name!r}: {exc}")]
            ) from exc
        if not (rate > 0 and math.isfinite(rate)) or not (length >= 0 and math.isfinite(length)):
            problem = f"clip {clip.name!r}: duration {length} at rate {rate} is not a time"
            raise ManifestError([InputError(shown, None, "", problem)])
    for transition in timeline.find_children(descended_from_type=otio.schema.Transition):
        for offset in (transition.in_offset, transition.out_offset):
            if not (float(offset.rate) > 0 and float(offset.value) >= 0):
                problem = f"transition {transition.name!r}: offset {offset} is not a time"
                raise ManifestError([InputError(shown, None, "", problem)])
    if clips == 0:
        raise ManifestError([InputError(shown, None, "", "the edit has no clips (no events)")])
