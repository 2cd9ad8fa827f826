"""The disclosure plan as an Excel workbook: "Plan" (per deliverable, market and rule, with
the timecodes), "By use case" (every duty, whichever deliverable carries it) and "Files" (the
delivered files' machine-readable labels and findings). Cells are written as the cue sheet's
workbook writes them: text stays text, never a formula."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, BinaryIO

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from clearance.reports.cuesheet.columns import Cell
from clearance.reports.cuesheet.xlsx_writer import BOLD, TITLE, WRAP, _header, _put, _table
from clearance.reports.disclosures.model import DisclosurePlan
from clearance.reports.disclosures.writers import where

PLAN = (
    ("Deliverable", 28), ("Kind", 7), ("Market", 10), ("Use case", 12), ("Title", 28),
    ("Needs", 12), ("Form and placement", 48), ("Where (record TC)", 40), ("Rule", 22),
    ("Cites", 40), ("Met", 6),
)  # fmt: skip
DUTIES = (
    ("Market", 10), ("Use case", 12), ("Title", 28), ("Needs", 12), ("Form and placement", 48),
    ("Rule", 22), ("Outcome", 10), ("Cites", 40), ("Link", 40), ("Met", 6),
)  # fmt: skip
FILES = (
    ("File", 50), ("Verdict", 14), ("Use case", 12), ("Labels carried", 16),
    ("ai-label owed in", 18), ("Findings", 40),
)  # fmt: skip


def write(plan: DisclosurePlan, out: BinaryIO) -> None:
    book = Workbook()
    book.properties.creator = "clearance"
    book.properties.title = f"Disclosure plan — {plan.production}"
    ws = book.active
    ws.title = "Plan"
    _put(ws, 1, 1, f"Disclosure plan — {plan.production}").font = TITLE
    block = [
        ("Markets", ", ".join(m.code for m in plan.markets)),
        ("Packs", ", ".join(f"{p.id}@{p.version}" for p in plan.policies)),
        ("Generated", plan.generated_at),
    ]
    for offset, (label, value) in enumerate(block, start=2):
        _put(ws, offset, 1, label).font = BOLD
        _put(ws, offset, 2, value)
    rows: list[list[Cell]] = []
    for d in plan.deliverables:
        for i in d.items:
            rows.append([
                d.name, d.kind, i.market, i.use_case, i.use_case_title, i.obligation, i.form,
                where(i.events) or i.file, f"{i.pack} {i.rule}", i.cites, "yes" if i.met else "no",
            ])  # fmt: skip
        for e in d.unmapped:
            text = where([e]) if e.record_in else e.file
            rows.append([d.name, d.kind, "", "", "GenAI no use case declares", "", "", text,
                         "", "", ""])  # fmt: skip
    _sheet(ws, len(block) + 3, PLAN, rows)
    duties = [
        [r.market, r.use_case, r.use_case_title, r.obligation, r.form, f"{r.pack} {r.rule}",
         r.outcome, r.cites, r.url or "", "yes" if r.met else "no"]
        for r in plan.requirements
    ]  # fmt: skip
    _sheet(book.create_sheet("By use case"), 1, DUTIES, duties)
    files = [
        [f.path, f.verdict, f.use_case, ", ".join(f.labels) or "none",
         ", ".join(f.required_in), "; ".join(f"{x.finding} ({x.rule})" for x in f.findings)]
        for f in plan.files
    ]  # fmt: skip
    _sheet(book.create_sheet("Files"), 1, FILES, files)
    book.save(out)


def _sheet(
    ws: Any, header: int, columns: tuple[tuple[str, int], ...], rows: Sequence[Sequence[Cell]]
) -> None:
    _header(ws, header, [name for name, _ in columns])
    for number, row in enumerate(rows, start=header + 1):
        for col, value in enumerate(row, start=1):
            _put(ws, number, col, value).alignment = WRAP
    _table(ws, header, len(columns), len(rows))
    for col, (_, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
