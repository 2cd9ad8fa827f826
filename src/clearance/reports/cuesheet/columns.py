"""The cue sheet's one ordered column list, shared by every tabular writer so that CSV, XLSX
and HTML cannot drift apart: first the Archival Producers Alliance GenAI cue sheet's columns
(where, what, with which tool and prompt, from which source, under what copyright status),
then ours (how the media was found and judged, the evidence, the status).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from clearance.editorial.cuesheet import CueRow, CueSheet

Cell = str | int | float
Kind = Literal["text", "timecode", "number"]

# Fill colours (RGB hex) for the statuses of the cue-status pack; unknown statuses get none.
STATUS_COLOURS = {
    "cleared": "C6EFCE",  # green
    "obligations-open": "FFEB9C",  # amber
    "temp-material": "F8CBAD",  # orange
    "undeclared": "FFC7CE",  # red
    "unreadable": "D9D2E9",  # violet: provenance unknown
    "resembles-reference": "E6B8B7",  # deep red: a near copy of protected material
}

# What a spreadsheet may read as the start of a formula (OWASP "CSV injection"): tab and CR too,
# because some spreadsheets strip them before looking at the first character.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def joined(items: list[str]) -> str:
    return "; ".join(items)


def defuse(text: str) -> str:
    """Prefix ``'`` to text a spreadsheet would otherwise evaluate as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _credential(row: CueRow) -> str:
    """The C2PA credential state the scan reported (valid, expired, invalid: CODE …)."""
    prefix = "c2pa.credential: "
    return next((s[len(prefix) :] for s in row.signals if s.startswith(prefix)), "")


def _description(row: CueRow) -> str:
    return " — ".join(part for part in (row.use_case_title, row.description) if part)


@dataclass(frozen=True)
class Column:
    """One column: its header, the CueRow fields it shows, and how writers lay it out."""

    header: str
    fields: tuple[str, ...]
    kind: Kind = "text"
    width: int = 14  # characters, for XLSX
    wrap: bool = False  # long free text: wrapped rather than cut off
    render: Callable[[CueRow], Cell] | None = None

    def value(self, row: CueRow) -> Cell:
        """The cell's value: numbers stay numbers, lists are joined with ``"; "``."""
        if self.render is not None:
            return self.render(row)
        value = getattr(row, self.fields[0])
        if isinstance(value, list):
            return joined(value)
        if isinstance(value, str | int | float):
            return value
        return str(value)

    def text(self, row: CueRow) -> str:
        """The cell as text, for formats without types (CSV, HTML)."""
        value = self.value(row)
        return value if isinstance(value, str) else str(value)


COLUMNS: tuple[Column, ...] = (
    # The APA GenAI cue sheet: description and timecode of each use, prompts and software,
    # underlying source material and its copyright status.
    Column("Event #", ("event",), kind="number", width=8),
    Column("Track", ("track",), width=7),
    Column("Record In", ("record_in",), kind="timecode", width=12),
    Column("Record Out", ("record_out",), kind="timecode", width=12),
    Column("Duration", ("duration",), kind="timecode", width=12),
    Column(
        "Description",
        ("use_case_title", "description"),
        width=40,
        wrap=True,
        render=_description,
    ),
    Column("Software / Tool", ("tool",), width=24, wrap=True),
    Column("Prompt", ("prompt",), width=48, wrap=True),
    Column("Underlying Source Material", ("source_material",), width=32, wrap=True),
    Column("Copyright Status", ("copyright_status",), width=28, wrap=True),
    # Ours: where the media came from and how it was judged.
    Column("Prompt Matches", ("prompt_matches",), width=36, wrap=True),
    Column("Resembles Reference", ("resembles",), width=48, wrap=True),
    Column("Clip", ("clip",), width=24),
    Column("Reel", ("reel",), width=12),
    Column("File", ("file",), width=40, wrap=True),
    Column("Found By", ("found_by",), width=12),
    Column("Provenance Verdict", ("verdict",), width=16),
    Column("C2PA Credential", ("signals",), width=24, wrap=True, render=_credential),
    Column("Signals", ("signals",), width=40, wrap=True),
    Column("Use Case", ("use_case",), width=10),
    Column("Approvals", ("approvals",), width=28, wrap=True),
    Column("Consents", ("consents",), width=28, wrap=True),
    Column("Clearances", ("clearances",), width=28, wrap=True),
    Column("Open Obligations", ("open_obligations",), width=24, wrap=True),
    Column("Next To Act", ("next_actor",), width=18, wrap=True),
    Column("Status", ("status",), width=18),
    Column("Status Rule", ("status_rule",), width=10),
    Column("Status Reason", ("because",), width=48, wrap=True),
    Column("Speed", ("speed",), kind="number", width=8),
    Column("Transition", ("transition",), width=12),
    Column("SHA-256", ("sha256",), width=20),
    Column("Edit Warnings", ("warnings",), width=40, wrap=True),
)

HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS)

# The Missing media table: (header, MissingMedia field, kind).
MISSING_COLUMNS: tuple[tuple[str, str, Kind], ...] = (
    ("Event #", "event", "number"),
    ("Track", "track", "text"),
    ("Record In", "record_in", "timecode"),
    ("Record Out", "record_out", "timecode"),
    ("Clip", "clip", "text"),
    ("Reel", "reel", "text"),
    ("Speed", "speed", "number"),
    ("Transition", "transition", "text"),
    ("Problem", "problem", "text"),
    ("Edit Warnings", "warnings", "text"),
)


def missing_value(missing: Any, name: str) -> str | int | float:
    """A Missing media cell: lists (the edit's warnings) as one line of text."""
    value = getattr(missing, name)
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return value if isinstance(value, str | int | float) else str(value)


def title_block(sheet: CueSheet) -> list[tuple[str, str]]:
    """The facts above the table as (label, value): what was checked, when, by which packs."""
    edit = sheet.edit
    return [
        ("Production", sheet.production or "—"),
        ("Edit", edit.name),
        ("Edit file", f"{edit.path} ({edit.adapter})"),
        ("Rate", edit.rate),
        ("Start – End", f"{edit.start} – {edit.end} ({edit.duration})"),
        ("Events", f"{sheet.events} ({sheet.resolved} resolved, {len(sheet.missing)} missing)"),
        ("Generated at", sheet.generated_at),
        ("Packs", joined(sheet.packs)),
        ("Format", sheet.format),
    ]
