"""Cue sheet writers: one plain module per output format behind one contract,
``write(sheet, out)`` on a binary stream, found by the output file's suffix. Writers only
render; the cue sheet's facts and statuses are decided in ``clearance.editorial.cuesheet``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from clearance.editorial.cuesheet import CueSheet

Writer = Callable[["CueSheet", BinaryIO], None]


def _lazy(module: str) -> Writer:
    """A writer whose module (openpyxl, Jinja) is imported when it first writes: every
    command that only names the formats starts faster."""

    def write(sheet: CueSheet, out: BinaryIO) -> None:
        writer: Writer = import_module(f"clearance.reports.cuesheet.{module}").write
        writer(sheet, out)

    return write


FORMATS: dict[str, Writer] = {
    "json": _lazy("json_writer"),
    "csv": _lazy("csv_writer"),
    "xlsx": _lazy("xlsx_writer"),
    "html": _lazy("html_writer"),
}

SUFFIXES = {
    ".json": "json",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".html": "html",
    ".htm": "html",
}


def format_for(path: Path) -> str:
    """The format a file name asks for, by its suffix (case-insensitive)."""
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(SUFFIXES)
        raise ValueError(
            f"cannot tell the cue sheet format of {path.name!r} from its suffix: use one of {known}"
        )
    return fmt


def write(sheet: CueSheet, out: BinaryIO, fmt: str) -> None:
    """Render ``sheet`` to ``out`` in format ``fmt`` (a key of ``FORMATS``)."""
    writer = FORMATS.get(fmt)
    if writer is None:
        raise ValueError(f"unknown cue sheet format {fmt!r}: use one of {', '.join(FORMATS)}")
    writer(sheet, out)
