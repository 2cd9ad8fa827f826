"""The plan as a file: ``write(plan, out, fmt)`` on a binary stream, the format found by the
output file's suffix. JSON is the public ``clearance.disclosures/1`` model as is; the
workbook is for the post supervisor and distribution: one row per deliverable, market and
rule (with its timecodes), the production-wide duties, and the files' label check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import BinaryIO

from clearance.reports.disclosures.model import DisclosurePlan, EventRef

FORMATS = ("json", "xlsx")
SUFFIXES = {".json": "json", ".xlsx": "xlsx"}


def format_for(path: Path) -> str:
    """The format a file name asks for, by its suffix (case-insensitive)."""
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(SUFFIXES)
        raise ValueError(f"cannot tell the format of {path.name!r} from its suffix: use {known}")
    return fmt


def write(plan: DisclosurePlan, out: BinaryIO, fmt: str) -> None:
    if fmt == "json":
        text = json.dumps(plan.model_dump(mode="json"), indent=2, ensure_ascii=False)
        out.write((text + "\n").encode("utf-8"))
    elif fmt == "xlsx":
        from clearance.reports.disclosures.xlsx_writer import write as write_xlsx

        write_xlsx(plan, out)
    else:
        raise ValueError(f"unknown disclosure plan format {fmt!r}: use one of {', '.join(FORMATS)}")


def where(events: list[EventRef]) -> str:
    """Record timecodes in words: ``#2 V1 01:00:04:00–01:00:07:00; …``."""
    return "; ".join(f"#{e.event} {e.track} {e.record_in}–{e.record_out}" for e in events)
