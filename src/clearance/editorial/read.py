"""Reading an edit: the reader is chosen by suffix, the input is bounded, XML is parsed with
defusedxml (entity declarations refused), and every failure becomes an ``InputError`` naming
the file, the line where known, and what is wrong.

EDLs (``cmx``), FCP7 XML (``fcp7``) and FCPXML (``fcpx``) are read directly: the OpenTimelineIO
adapters for them misread real exports (see each module). AAF (.aaf, Avid) and OTIO (.otio)
are read with OpenTimelineIO (the ``AAF`` adapter and the native ``otio_json``), with the
drop-frame flag an AAF adapter drops read back from the file.
"""

from __future__ import annotations

import logging
import math
import re
import stat
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml import ElementTree as SafeElementTree

from clearance.editorial import cmx, fcp7, fcpx
from clearance.editorial.model import Event
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
_DROP_RATES = (Fraction(30000, 1001), Fraction(60000, 1001))


@dataclass
class Edit:
    """A read edit: its events (an EDL, read directly) or its OTIO timeline, its timebase and
    where the record timecode starts."""

    path: Path
    adapter: str
    timeline: otio.schema.Timeline | None
    timebase: Timebase
    start: int  # record frame of the timeline's first frame (EDL events carry their own)
    first_frame: int | None = None  # --start: where the first event goes, when given
    listed: list[Event] | None = None  # events read directly from the file
    title: str = ""

    @property
    def name(self) -> str:
        if self.timeline is not None and self.timeline.name:
            return str(self.timeline.name)
        return self.title or self.path.stem


def read_edit(
    path: Path,
    rate: float | str | None = None,
    drop_frame: bool | None = None,
    start: str | None = None,
    sequence: str | None = None,
) -> Edit:
    """Read ``path``. Rate and drop-frame come from the file where it states them (an EDL
    states only drop-frame; 24 fps unless its frames say otherwise); ``rate``, ``drop_frame``
    and ``start`` override. ``sequence`` picks one of several sequences by name."""
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
        info = path.stat()
    except OSError as exc:
        raise ManifestError([InputError(shown, None, "", exc.strerror or str(exc))]) from exc
    if not stat.S_ISREG(info.st_mode):  # a folder, a FIFO, /dev/zero: refused, never read
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise ManifestError([InputError(shown, None, "", f"expected an edit file; this is {kind}")])
    if info.st_size > MAX_EDIT_BYTES:
        message = f"edit is {info.st_size} bytes; the limit is {MAX_EDIT_BYTES}"
        raise ManifestError([InputError(shown, None, "", message)])
    if adapter in ("cmx_3600", "fcp_xml", "fcpx_xml"):
        edit = _read_directly(path, adapter, rate, drop_frame, sequence)
    else:
        stated: bool | None = None
        if adapter == "AAF":
            timeline = _read_aaf(path, sequence)
            stated = _aaf_drop(path, str(timeline.name or ""))
        else:
            text = _text(path)
            timeline = _parse(shown, text, adapter, sequence)
        _check_timeline(shown, timeline)
        timebase = _timebase(shown, timeline, rate, stated if drop_frame is None else drop_frame)
        edit = Edit(path, adapter, timeline, timebase, _global_start(timeline, timebase))
    if start:
        edit.first_frame = _timecode(shown, edit.timebase, start)
    return edit


def _read_directly(
    path: Path, adapter: str, rate: float | str | None, drop: bool | None, sequence: str | None
) -> Edit:
    """An EDL, FCP7 XML or FCPXML, read by this package's own readers."""
    shown = str(path)
    text = _text(path)
    try:
        if adapter == "cmx_3600":
            return _read_edl(path, text, rate, drop)
        root = _check_xml(shown, text)
        if adapter == "fcp_xml":
            return _read_xmeml(path, root, rate, drop, sequence)
        return _read_fcpxml(path, root, rate, drop, sequence)
    except ManifestError:
        raise
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as exc:
        # A structure the readers do not expect: a malformed input, never a traceback.
        problem = f"cannot read this edit: {type(exc).__name__}: {exc}"
        raise ManifestError([InputError(shown, None, "", problem)]) from exc


def _read_xmeml(
    path: Path, root: Any, rate: float | str | None, drop: bool | None, sequence: str | None
) -> Edit:
    """FCP7 XML read directly (``fcp7``): rate, drop-frame and start from the sequence."""
    shown = str(path)
    if root.tag != "xmeml":
        message = f"expected Final Cut Pro 7 XML (<xmeml>), got <{root.tag}>"
        raise ManifestError([InputError(shown, None, "", message)])
    read = fcp7.read(shown, root, sequence)
    try:
        exact = exact_rate(rate) if rate is not None else read.rate
        flavour = read.drop_frame if drop is None else drop
        timebase = Timebase(exact, bool(flavour) and exact in _DROP_RATES)
    except ValueError as exc:
        raise ManifestError([InputError(shown, None, "rate", str(exc))]) from exc
    return Edit(path, "xmeml", None, timebase, read.start, listed=read.listed, title=read.name)


def _read_fcpxml(
    path: Path, root: Any, rate: float | str | None, drop: bool | None, sequence: str | None
) -> Edit:
    """FCPXML read directly (``fcpx``): rate, drop-frame and start from the project."""
    shown = str(path)
    if root.tag != "fcpxml":
        message = f"expected FCPXML (<fcpxml>), got <{root.tag}>"
        raise ManifestError([InputError(shown, None, "", message)])
    read = fcpx.read(shown, root, sequence)
    try:
        exact = exact_rate(rate) if rate is not None else exact_rate(str(read.rate))
        flavour = read.drop_frame if drop is None else drop
        timebase = Timebase(exact, bool(flavour) and exact in _DROP_RATES)
    except ValueError as exc:
        raise ManifestError([InputError(shown, None, "rate", str(exc))]) from exc
    return Edit(path, "fcpxml", None, timebase, read.start, listed=read.listed, title=read.name)


def _read_edl(path: Path, text: str, rate: float | str | None, drop: bool | None) -> Edit:
    """An EDL read directly (``cmx``): the timebase from ``--rate``, ``FCM`` and its frames."""
    shown = str(path)
    fcm = cmx.drop_frame_of(text)
    if rate is None:
        highest, line, value = cmx.highest_frame(text)
        ntsc_df = bool(fcm) if drop is None else drop
        rate = "30000/1001" if ntsc_df else "24"
        if highest >= exact_rate(rate).__round__():
            problem = (
                f"frame {highest} in {value}: this EDL is not {rate if not ntsc_df else '29.97'} "
                "fps, and an EDL does not say its rate; give --rate (25, 29.97, 30 …)"
            )
            raise ManifestError([InputError(shown, line, "rate", problem)])
    exact = exact_rate(rate)
    flavour = fcm if drop is None else drop
    if not fcm and drop is None:  # no FCM: a ';' in a record timecode says drop-frame
        flavour = bool(re.search(r"\d;\d\d\s*$", text, re.MULTILINE))
    timebase = Timebase(exact, bool(flavour) and exact in _DROP_RATES)
    title = next(
        (x.split(":", 1)[1].strip() for x in text.splitlines()[:20] if x.startswith("TITLE:")),
        "",
    )
    listed = cmx.read(shown, text, timebase)
    return Edit(path, "cmx3600", None, timebase, 0, listed=listed, title=title)


def _text(path: Path) -> str:
    from clearance.manifest.yamlsafe import read_bounded

    raw = read_bounded(path, MAX_EDIT_BYTES, "edit")
    if b"\0" in raw[:65536]:
        raise ManifestError(
            [InputError(str(path), None, "", "expected a text edit, got binary data")]
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # EDLs from older systems are often Latin-1


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


def _parse(shown: str, text: str, adapter: str, sequence: str | None) -> otio.schema.Timeline:
    if adapter == "otio_json":
        _check_nesting(shown, text)
    try:
        with _quiet():
            result = otio.adapters.read_from_string(text, adapter)
    except Exception as exc:  # any adapter failure is a malformed input, never a crash
        line = getattr(exc, "position", None)
        number = line[0] if isinstance(line, tuple) else None
        message = f"{adapter} adapter: {_plain(str(exc))}"
        raise ManifestError([InputError(shown, number, "", message)]) from exc
    return _timeline(shown, result, sequence)


#: OpenTimelineIO's JSON reader recurses natively: a document nested 100,000 deep overflows
#: the C stack (a segfault), so the depth is counted before it reads.
MAX_OTIO_DEPTH = 500


def _check_nesting(shown: str, text: str) -> None:
    depth = 0
    deepest = 0
    # Only brackets outside strings count: strings are blanked first (escapes included).
    for bracket in re.findall(r"[\[\]{}]", re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
        if deepest > MAX_OTIO_DEPTH:
            message = f"nested more than {MAX_OTIO_DEPTH} levels deep: refused"
            raise ManifestError([InputError(shown, None, "", message)])


def _read_aaf(path: Path, sequence: str | None) -> otio.schema.Timeline:
    try:
        with _quiet():
            result = otio.adapters.read_from_file(str(path), "AAF")
    except Exception as exc:
        message = f"AAF adapter: {_plain(str(exc))}"
        raise ManifestError([InputError(str(path), None, "", message)]) from exc
    return _timeline(str(path), result, sequence)


def _aaf_drop(path: Path, name: str) -> bool | None:
    """Whether the AAF's sequence counts drop-frame: its timecode track says so (the AAF
    adapter keeps the start frame but not the flag, so 05:00:00;00 read as 04:59:42:00).
    Only a 30 or 60 fps timecode track can drop frames; Avid adds 24/25 fps ones too."""
    import aaf2  # type: ignore[import-untyped]  # the AAF adapter's own reader

    try:
        with _quiet(), aaf2.open(str(path), "r") as file:
            for mob in file.content.compositionmobs():
                if str(mob.name or "") != name:
                    continue
                flags = []
                for slot in mob.slots:
                    segment = slot.segment
                    parts = getattr(segment, "components", None) or [segment]
                    for part in parts:
                        if isinstance(part, aaf2.components.Timecode):
                            flags.append((int(part.fps) in (30, 60), bool(part.drop)))
                ntsc = [drop for counts, drop in flags if counts]
                return any(ntsc) if ntsc else None
    except Exception:  # the adapter has read the file; a flag it cannot find is not fatal
        return None
    return None


@contextmanager
def _quiet() -> Iterator[None]:
    """Adapters warn through ``warnings`` and the root logger (pyaaf2's ``Fraction(0,0)``):
    nothing of theirs reaches the terminal; what matters becomes an ``InputError``."""
    root = logging.getLogger()
    level = root.level
    handlers = root.handlers[:]
    root.handlers = [logging.NullHandler()]
    root.setLevel(logging.CRITICAL + 1)
    previous = logging.lastResort
    logging.lastResort = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.handlers = handlers
        root.setLevel(level)
        logging.lastResort = previous


def _plain(message: str) -> str:
    """An adapter message in words: ``RationalTime(192, 23.976)`` as the timecode duration it
    is (``00:00:08:00``)."""

    def duration(match: re.Match[str]) -> str:
        try:
            frames, rate = round(float(match.group(1))), float(match.group(2))
        except ValueError:
            return match.group(0)
        nominal = round(rate)
        if nominal <= 0 or not math.isfinite(rate):
            return match.group(0)
        seconds, frame = divmod(abs(frames), nominal)
        sign = "-" if frames < 0 else ""
        return (
            f"{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{frame:02d}"
        )

    return re.sub(r"RationalTime\(([-\d.e+]+), ([-\d.e+]+)\)", duration, message)


def _timeline(shown: str, result: object, sequence: str | None) -> otio.schema.Timeline:
    """The one sequence of the edit, or the one named ``sequence``."""
    if isinstance(result, otio.schema.SerializableCollection):
        timelines = list(result.find_children(descended_from_type=otio.schema.Timeline))
    elif isinstance(result, otio.schema.Timeline):
        timelines = [result]
    else:
        message = f"expected a timeline, got {type(result).__name__}"
        raise ManifestError([InputError(shown, None, "", message)])
    names = [str(t.name or "") for t in timelines]
    return timelines[pick_sequence(shown, names, sequence)]


def pick_sequence(shown: str, names: list[str], sequence: str | None) -> int:
    """The index of the sequence to read: the only one, or the one named ``--sequence``."""
    listed = ", ".join(repr(n) for n in names)
    if sequence is None:
        if len(names) == 1:
            return 0
        if not names:
            message = "the file holds no sequence (a cut) to read, only clips or bins"
            raise ManifestError([InputError(shown, None, "", message)])
        message = f"the edit has {len(names)} sequences ({listed}); choose one with --sequence"
        raise ManifestError([InputError(shown, None, "sequence", message)])
    found = [i for i, n in enumerate(names) if n == sequence]
    if len(found) != 1:
        how = "no" if not found else f"{len(found)}"
        message = f"{how} sequences named {sequence!r}; the edit has {listed}"
        raise ManifestError([InputError(shown, None, "sequence", message)])
    return found[0]


def _timebase(
    shown: str,
    timeline: otio.schema.Timeline,
    rate: float | str | None,
    drop_frame: bool | None,
) -> Timebase:
    try:
        exact = exact_rate(rate) if rate is not None else exact_rate(_rate_of(timeline))
        drop = _drop_of(timeline) if drop_frame is None else drop_frame
        return Timebase(exact, bool(drop) and exact in _DROP_RATES)
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
                [InputError(shown, None, "", f"clip {clip.name!r}: {_plain(str(exc))}")]
            ) from exc
        if not (rate > 0 and math.isfinite(rate)) or not (length >= 0 and math.isfinite(length)):
            problem = f"clip {clip.name!r}: duration {length} at rate {rate} is not a time"
            raise ManifestError([InputError(shown, None, "", problem)])
    for transition in timeline.find_children(descended_from_type=otio.schema.Transition):
        for offset in (transition.in_offset, transition.out_offset):
            if not (float(offset.rate) > 0 and float(offset.value) >= 0):
                shown_offset = _plain(str(offset))
                problem = f"transition {transition.name!r}: offset {shown_offset} is not a time"
                raise ManifestError([InputError(shown, None, "", problem)])
    if clips == 0:
        raise ManifestError([InputError(shown, None, "", "the edit has no clips (no events)")])
