"""The cue sheet as CSV: one table, a header row and one row per GenAI element (RFC 4180,
plain UTF-8, ``\\r\\n``). Missing media and the title block are not in it — CSV holds one
table, and tools that load CSV expect exactly that; use XLSX, HTML or JSON for the rest.

Text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``...) get a
leading ``'``: clip names and prompts come from outside and must not execute when opened.
"""

from __future__ import annotations

import csv
import io
from typing import BinaryIO

from clearance.editorial.cuesheet import CueSheet
from clearance.reports.cuesheet.columns import COLUMNS, HEADERS, defuse


def write(sheet: CueSheet, out: BinaryIO) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(HEADERS)
        for row in sheet.rows:
            writer.writerow(
                defuse(c.text(row)) if c.kind == "text" else c.text(row) for c in COLUMNS
            )
        text.flush()
    finally:
        text.detach()  # leave the caller's stream open
