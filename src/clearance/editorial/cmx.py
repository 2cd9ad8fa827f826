"""CMX 3600 EDLs read directly, record side first.

The OpenTimelineIO ``cmx_3600`` adapter refuses whole files over things a cue sheet does not
need (an audio event whose source has no timecode, a 48 fps clip without its M2 line, a fade
from black as a channel's first event), renames audio channels by first appearance and
renumbers events. An EDL is a line format, so it is read here: every event keeps the EDL's own
number and channel (``A7`` stays ``A7``), record in/out are read as written, and a source side
that does not add up becomes a warning on the event, not a refusal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from clearance.editorial.model import Event, Hint
from clearance.editorial.timecode import Timebase
from clearance.manifest.errors import InputError, ManifestError

#: EDL comment keys that name the source file (Avid, Resolve, Premiere, Baselight).
FILE_COMMENTS = ("SOURCE FILE:", "FROM FILE:", "FILE NAME:", "FILENAME:", "SOURCE:")
#: Reels that are black or bars, not media (CMX 3600 ``BL``, and common spellings).
BLACK_REELS = {"BL", "BLK", "BLACK", "BARS"}
#: The auxiliary source: a file with no tape (its name is in the comments, not the reel).
_AUX_REELS = {"AX", "AUX"}

_TIMECODE = re.compile(r"^(\d{1,2})[:;.](\d{2})[:;.](\d{2})([:;.])(\d{2})$")
_NUMBER = re.compile(r"^\d{1,6}$")
_CHANNEL = re.compile(r"^(?:(V\d{0,2})|(A\d{0,2})|(AA))(?:/(?:(V\d{0,2})|(A\d{0,2})|(AA)))?$")
_SPLIT = re.compile(r"^SPLIT:\s*(AUDIO|VIDEO)\s+DELAY\s*=\s*(\S+)", re.IGNORECASE)
_FCM = re.compile(r"^FCM:\s*(NON[- ]?DROP|DROP)", re.IGNORECASE)
_COMMENT_KEY = re.compile(r"^\*\s*([A-Z ]+NAME|[A-Z ]+FILE|SOURCE|FILENAME)\s*:\s*(.*)$", re.I)


@dataclass
class _Line:
    """One event line, on one channel, as the EDL writes it."""

    number: int
    line: int
    reel: str
    channel: str  # V1, A1, A7 …
    transition: str  # C, D, W001, K …
    length: int  # transition frames
    source_in: int
    source_out: int
    record_in: int
    record_out: int
    speed: float | None = None  # from an M2 line
    names: list[Hint] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    outgoing_until: int = 0  # on screen until here (the end of a transition out of it)
    label: str = ""  # the transition into it, in words


@dataclass
class _Group:
    """Event lines sharing one number (a cut, or the from/to sides of a transition) and the
    comments that follow them."""

    number: int
    lines: list[_Line] = field(default_factory=list)
    from_names: list[str] = field(default_factory=list)
    to_names: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    closed: bool = False  # comments have begun: a line with the same number is a new event


def drop_frame_of(text: str) -> bool | None:
    """The first ``FCM:`` line's flavour (``None`` when the EDL has none)."""
    for line in text.splitlines():
        match = _FCM.match(line.strip())
        if match:
            return match.group(1).upper() == "DROP"
    return None


def highest_frame(text: str) -> tuple[int, int, str]:
    """The highest frames field of any event timecode, with its line: what tells a 25 or
    30 fps EDL from a 24 fps one when no rate is given."""
    best = (-1, 0, "")
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if len(fields) >= 8 and _NUMBER.match(fields[0]):
            for value in fields[-4:]:
                match = _TIMECODE.match(value)
                if match and int(match.group(5)) > best[0]:
                    best = (int(match.group(5)), number, value)
    return best


def read(shown: str, text: str, timebase: Timebase) -> list[Event]:
    """Every event of the EDL (black and zero-length lines are not events), or a
    ``ManifestError`` naming each line that cannot be read."""
    groups, problems = _parse(shown, text, timebase)
    if problems:
        raise ManifestError(problems)
    listed = _place(groups, timebase)
    if not listed:
        raise ManifestError([InputError(shown, None, "", "the edit has no clips (no events)")])
    return listed


def _parse(shown: str, text: str, timebase: Timebase) -> tuple[list[_Group], list[InputError]]:
    groups: list[_Group] = []
    problems: list[InputError] = []
    source_drop = timebase.drop_frame
    split: tuple[str, int] | None = None  # a SPLIT: line's delay, for the next event
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        fields = line.split()
        if not fields:
            continue
        fcm = _FCM.match(line)
        if fcm:
            source_drop = fcm.group(1).upper() == "DROP" and timebase.rate.denominator == 1001
        elif fields[0].upper() == "SPLIT:":
            match = _SPLIT.match(line)
            if match is None:
                problem = "expected SPLIT: AUDIO|VIDEO DELAY= HH:MM:SS:FF"
                problems.append(InputError(shown, number, "SPLIT", problem))
                continue
            try:
                delay = _frames(match.group(2), timebase, "SPLIT", source_drop)
            except ValueError as exc:
                problems.append(InputError(shown, number, "SPLIT", exc.args[0]))
                continue
            split = ("V" if match.group(1).upper() == "VIDEO" else "A", delay)
        elif _NUMBER.match(fields[0]):
            try:
                event = _event(fields, number, timebase, source_drop)
            except ValueError as exc:
                problems.append(InputError(shown, number, exc.args[1], exc.args[0]))
                continue
            if split is not None:  # the split channels come in ``delay`` frames later
                for part in event:
                    if part.channel[0] == split[0]:
                        part.record_in = min(part.record_in + split[1], part.record_out)
                        part.source_in += split[1]
                split = None
            if not groups or groups[-1].number != event[0].number or groups[-1].closed:
                groups.append(_Group(event[0].number))
            groups[-1].lines.extend(event)
        elif not groups:
            continue  # TITLE and anything before the first event
        elif fields[0].upper() == "M2" and len(fields) >= 3:
            _speed(groups[-1], fields, timebase, shown, number, problems)
        elif fields[0].upper() == "AUD" and groups[-1].lines:
            _audio(groups[-1], fields[1:], shown, number, problems)
        elif line.startswith("*"):
            groups[-1].closed = True
            _comment(groups[-1], line)
    return groups, problems


def _event(fields: list[str], number: int, timebase: Timebase, source_drop: bool) -> list[_Line]:
    if len(fields) < 8:
        raise ValueError(
            f"expected an event: number, reel, channel, transition and four timecodes; got "
            f"{len(fields)} fields",
            "",
        )
    times = []
    for name, value in zip(
        ("source in", "source out", "record in", "record out"), fields[-4:], strict=True
    ):
        times.append(_frames(value, timebase, name, source_drop if "source" in name else None))
    channels = _channels(fields[2])
    middle = fields[3:-4]
    transition = middle[0].upper() if middle else ""
    if not transition or transition[0] not in "CDWK":
        raise ValueError(f"expected a transition (C, D, W or K), got {' '.join(middle)!r}", "")
    length = 0
    if transition[0] != "C":
        durations = [m for m in middle[1:] if m.isdigit()]
        if not durations and transition[0] != "K":
            raise ValueError(f"transition {transition} without a duration in frames", "")
        length = int(durations[-1]) if durations else 0
    source_in, source_out, record_in, record_out = times
    if record_out < record_in:
        raise ValueError(f"record out {fields[-1]} is before record in {fields[-2]}", "record out")
    return [
        _Line(
            int(fields[0]),
            number,
            fields[1],
            channel,
            transition,
            length,
            source_in,
            source_out,
            record_in,
            record_out,
        )
        for channel in channels
    ]


def _frames(value: str, timebase: Timebase, name: str, source_drop: bool | None) -> int:
    """``HH:MM:SS:FF`` → frames at the edit's rate; a record timecode in the edit's flavour,
    a source one as its own separator or the current FCM says."""
    match = _TIMECODE.match(value)
    if match is None:
        raise ValueError(f"expected a timecode HH:MM:SS:FF, got {value!r}", name)
    hours, minutes, seconds, separator, frames = match.groups()
    nominal = timebase.nominal
    if int(minutes) > 59 or int(seconds) > 59 or int(frames) >= nominal:
        problem = f"{value} is not a timecode at {timebase.label} fps"
        if int(frames) >= nominal:
            problem += " (frames run to " + str(nominal - 1) + "; is --rate right?)"
        raise ValueError(problem, name)
    total = ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * nominal + int(frames)
    drop = timebase.drop_frame if source_drop is None else (source_drop or separator == ";")
    if drop and timebase.rate.denominator == 1001 and nominal in (30, 60):
        minutes_total = int(hours) * 60 + int(minutes)
        total -= (nominal // 15) * (minutes_total - minutes_total // 10)
    return total


def _channels(text: str) -> list[str]:
    """``V`` → V1, ``A`` → A1, ``A7`` → A7, ``AA`` → A1 A2, ``B`` and ``A/V`` → V1 A1,
    ``AA/V`` → V1 A1 A2; ``NONE`` → no channel."""
    upper = text.upper()
    if upper == "NONE":
        return []
    if upper == "B":
        return ["V1", "A1"]
    match = _CHANNEL.match(upper)
    if match is None:
        raise ValueError(f"expected a channel (V, A, A2 … AA, A/V, B), got {text!r}", "channel")
    channels: list[str] = []
    for part in filter(None, match.groups()):
        if part == "AA":
            channels += ["A1", "A2"]
        else:
            channels.append(part[0] + (part[1:] or "1"))
    return sorted(dict.fromkeys(channels), key=lambda c: (c[0] != "V", int(c[1:])))


def _speed(
    group: _Group,
    fields: list[str],
    timebase: Timebase,
    shown: str,
    number: int,
    problems: list[InputError],
) -> None:
    """``M2 REEL 048.0 TC``: the reel plays at 48 frames per timecode second."""
    value = next((f for f in fields[2:] if re.match(r"^[-+]?\d+(\.\d+)?$", f)), None)
    if value is None:
        problems.append(InputError(shown, number, "M2", "expected a speed in frames per second"))
        return
    speed = round(float(value) / timebase.nominal, 4)
    matching = [line for line in group.lines if line.reel == fields[1]] or group.lines[-1:]
    for line in matching:
        line.speed = speed


def _audio(
    group: _Group, numbers: list[str], shown: str, line: int, problems: list[InputError]
) -> None:
    """``AUD 3 4``: the event also records on audio channels 3 and 4."""
    last = group.lines[-1]
    for value in numbers:
        if not value.isdigit():
            problems.append(
                InputError(shown, line, "AUD", f"expected channel numbers, got {value!r}")
            )
            return
        channel = f"A{int(value)}"
        if all(x.channel != channel or x.line != last.line for x in group.lines):
            copy = _Line(**{**last.__dict__, "channel": channel, "names": [], "warnings": []})
            group.lines.append(copy)


def _comment(group: _Group, line: str) -> None:
    match = _COMMENT_KEY.match(line)
    if match is None:
        return
    key, value = match.group(1).upper().strip(), match.group(2).strip()
    if not value:
        return
    if key == "FROM CLIP NAME":
        group.from_names.append(value)
    elif key == "TO CLIP NAME":
        group.to_names.append(value)
    elif any(key + ":" == k for k in FILE_COMMENTS):
        group.files.append(value)


def _place(groups: list[_Group], timebase: Timebase) -> list[Event]:
    """Record ranges while on screen: a transition's outgoing side stays until it ends."""
    placed: list[_Line] = []
    last: dict[str, _Line] = {}  # channel → the line last on screen there
    for group in groups:
        for index, line in enumerate(group.lines):
            if line.transition[0] != "C":
                _hand_over(group, index, line, last, placed)
            line.names = _names(group, line)
            _check_source(line, timebase)
            if line.reel.upper() not in BLACK_REELS:
                placed.append(line)
            last[line.channel] = line
    end = max((x.record_out for x in placed), default=0)
    listed = []
    for line in placed:
        out = min(max(line.record_out, line.outgoing_until), end)
        if out - line.record_in < 1 or line.reel.upper() in BLACK_REELS:
            continue
        listed.append(
            Event(
                number=line.number,
                track=line.channel,
                kind="video" if line.channel[0] == "V" else "audio",
                record_in=line.record_in,
                record_out=out,
                clip=_clip(line),
                reel="" if line.reel.upper() in _AUX_REELS else line.reel,
                source_in=line.source_in,
                source_out=line.source_out,
                speed=1.0 if line.speed is None else line.speed,
                transition=line.label,
                hints=tuple(line.names),
                warnings=tuple(line.warnings),
            )
        )
    return listed


def _hand_over(
    group: _Group, index: int, line: _Line, last: dict[str, _Line], placed: list[_Line]
) -> None:
    """A transition into ``line``: its outgoing side (the group's from-line, or the clip that
    was on the channel) stays on screen until the transition ends."""
    kind = line.transition
    name = "dissolve" if kind == "D" else "wipe" if kind[0] == "W" else "key"
    line.label = f"{name} {line.length}f"
    ends = line.record_in + line.length
    before = [x for x in group.lines[:index] if x.channel == line.channel and x.transition == "C"]
    outgoing = before[-1] if before else last.get(line.channel)
    if outgoing is None or outgoing.reel.upper() in BLACK_REELS:
        return  # from black: nothing else is on screen
    if outgoing.record_out == outgoing.record_in and before:
        previous = _previous(placed, outgoing)
        if previous is not None:  # the from-line continues the clip already on screen
            previous.outgoing_until = max(previous.outgoing_until, ends)
            outgoing.outgoing_until = 0
            return
    if outgoing.record_out == line.record_in:
        outgoing.outgoing_until = max(outgoing.outgoing_until, ends)


def _previous(placed: list[_Line], line: _Line) -> _Line | None:
    """The clip on ``line``'s channel that ends where the zero-length ``line`` stands, when
    ``line`` continues it (Avid writes the outgoing side again as a from-line: the same reel,
    or at least the source timecode where the clip left off)."""
    for candidate in reversed(placed):
        if candidate is line or candidate.channel != line.channel:
            continue
        continues = candidate.reel == line.reel or candidate.source_out == line.source_in
        if candidate.record_out == line.record_in and continues:
            return candidate
        return None
    return None


def _names(group: _Group, line: _Line) -> list[Hint]:
    """The clip names and files the comments give this side of the group, strongest first."""
    incoming = line.transition[0] != "C"
    transition = any(x.transition[0] != "C" for x in group.lines)
    names = group.to_names if incoming else group.from_names
    if not names and incoming:
        names = group.from_names
    files = group.files
    if transition and len(files) > 1:
        files = files[-1:] if incoming else files[:1]
    hints = [Hint(f, "comment") for f in files]
    named = (
        [Hint(n, "clip name") for n in names[-1:]]
        if incoming
        else [Hint(n, "clip name") for n in names[:1]]
    )
    if transition and len(group.files) == 1:  # one file for two sides: names decide first
        return named + hints
    return hints + named


def _clip(line: _Line) -> str:
    for hint in line.names:
        if hint.source == "clip name":
            return hint.text
    return "" if line.reel.upper() in _AUX_REELS else line.reel


def _check_source(line: _Line, timebase: Timebase) -> None:
    """The source side should add up to the record side at the event's speed; when it does
    not, the record side (what the cue sheet needs) stands and the event says so."""
    record = line.record_out - line.record_in
    source = line.source_out - line.source_in
    if record <= 0 or line.reel.upper() in BLACK_REELS:
        return
    speed = 1.0 if line.speed is None else line.speed
    shown = f"source {timebase.duration(max(source, 0))}"
    if source < 0:
        line.warnings.append("source out is before source in; read from the record side")
    elif source == 0 and speed != 0:
        what = "no timecode (00:00:00:00 both ends)" if line.source_in == 0 else "no length"
        line.warnings.append(f"source has {what}; read from the record side")
    elif speed != 0 and abs(source - record * abs(speed)) > max(1.0, abs(speed)):
        implied = source / record
        line.warnings.append(
            f"{shown} does not match record {timebase.duration(record)} at speed "
            f"{speed:g} (implies {implied:.3g}×{'' if line.speed else ', no M2 line'}); "
            "read from the record side"
        )
