"""The cue sheet as an Excel workbook, for the people who clear and deliver: the cue sheet
itself (title block, then a filterable table with the header frozen and each status
coloured), the events whose media was missing, and the counts by status.

Every text cell is stored as a string, never as a formula, and text that a spreadsheet would
read as a formula is marked quote-prefixed (as if typed with a leading ``'``) so that it stays
text even when someone edits the cell: clip names and prompts come from outside.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from clearance.editorial.cuesheet import CueSheet
from clearance.reports.cuesheet.columns import (
    COLUMNS,
    FORMULA_START,
    MISSING_COLUMNS,
    STATUS_COLOURS,
    Cell,
    missing_value,
    title_block,
)

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill(fill_type="solid", fgColor="D9D9D9")
TOP = Alignment(vertical="top")
WRAP = Alignment(vertical="top", wrap_text=True)


def write(sheet: CueSheet, out: BinaryIO) -> None:
    book = Workbook()
    book.properties.creator = "clearance"
    book.properties.title = f"GenAI cue sheet — {sheet.edit.name}"
    _cue_sheet(book.active, sheet)
    _missing(book.create_sheet("Missing media"), sheet)
    _summary(book.create_sheet("Summary"), sheet)
    book.save(out)


def _cue_sheet(ws: Any, sheet: CueSheet) -> None:
    ws.title = "GenAI cue sheet"
    _put(ws, 1, 1, "GenAI cue sheet").font = TITLE
    block = title_block(sheet)
    for offset, (label, value) in enumerate(block, start=2):
        _put(ws, offset, 1, label).font = BOLD
        _put(ws, offset, 2, value)
    header = len(block) + 3  # one blank row between the block and the table
    _header(ws, header, [c.header for c in COLUMNS])
    for number, row in enumerate(sheet.rows, start=header + 1):
        for col, column in enumerate(COLUMNS, start=1):
            cell = _put(ws, number, col, column.value(row))
            cell.alignment = WRAP if column.wrap else TOP
            if column.header == "Status" and row.status in STATUS_COLOURS:
                cell.fill = _fill(row.status)
    _table(ws, header, len(COLUMNS), len(sheet.rows))
    for col, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = column.width
    # The title block's labels sit in column A, which is narrow (event numbers): widen it.
    ws.column_dimensions["A"].width = max(COLUMNS[0].width, 14)


def _missing(ws: Any, sheet: CueSheet) -> None:
    _header(ws, 1, [header for header, _, _ in MISSING_COLUMNS])
    for number, missing in enumerate(sheet.missing, start=2):
        for col, (_, name, _) in enumerate(MISSING_COLUMNS, start=1):
            _put(ws, number, col, missing_value(missing, name)).alignment = TOP
    _table(ws, 1, len(MISSING_COLUMNS), len(sheet.missing))
    for col, width in enumerate((8, 7, 12, 12, 24, 12, 8, 12, 60, 40), start=1):
        ws.column_dimensions[get_column_letter(col)].width = width


def _summary(ws: Any, sheet: CueSheet) -> None:
    _header(ws, 1, ["Status", "Count"])
    number = 1
    for number, (status, count) in enumerate(sheet.summary.items(), start=2):
        cell = _put(ws, number, 1, status)
        if status in STATUS_COLOURS:
            cell.fill = _fill(status)
        _put(ws, number, 2, count)
    totals = [("GenAI elements", len(sheet.rows)), ("Events", sheet.events)]
    totals.append(("Resolved", sheet.resolved))
    for offset, (label, count) in enumerate(totals, start=number + 2):
        _put(ws, offset, 1, label).font = BOLD
        _put(ws, offset, 2, count)
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 10


def _header(ws: Any, row: int, headers: list[str]) -> None:
    for col, header in enumerate(headers, start=1):
        cell = _put(ws, row, col, header)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = WRAP


def _table(ws: Any, header: int, columns: int, rows: int) -> None:
    """Freeze everything above the first data row; filter on the header."""
    ws.freeze_panes = ws.cell(row=header + 1, column=1)
    last = get_column_letter(columns)
    ws.auto_filter.ref = f"A{header}:{last}{header + max(rows, 1)}"


def _put(ws: Any, row: int, col: int, value: Cell) -> Any:
    """Write one cell; strings are always strings (never formulas) and lose the control
    characters the XLSX format cannot hold."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = text
        cell.data_type = "s"
        if text.startswith(FORMULA_START):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def _fill(status: str) -> Any:
    return PatternFill(fill_type="solid", fgColor=STATUS_COLOURS[status])
