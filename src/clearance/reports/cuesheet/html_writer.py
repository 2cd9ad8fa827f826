"""The cue sheet as one self-contained HTML page, to read on screen or print for a review:
inline CSS, no scripts and nothing fetched from the network, so it opens anywhere and can be
attached to a delivery as is. Every value is escaped: prompts and clip names come from outside.

Printed, it is A4 landscape with the table header repeated on each page and the status
colours kept (``print-color-adjust: exact``), because the colour is the point of the sheet.
"""

from __future__ import annotations

from html import escape
from typing import BinaryIO

from clearance.editorial.cuesheet import CueSheet
from clearance.reports.cuesheet.columns import (
    COLUMNS,
    MISSING_COLUMNS,
    STATUS_COLOURS,
    missing_value,
    title_block,
)

_STATUS_CSS = "\n".join(
    f".status-{status} {{ background: #{colour}; }}" for status, colour in STATUS_COLOURS.items()
)

CSS = f"""
body {{ font: 13px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  margin: 1.5em; color: #111; }}
h1 {{ font-size: 1.5em; margin: 0 0 .4em; }}
h2 {{ font-size: 1.2em; margin: 1.5em 0 .4em; }}
dl.meta {{ display: grid; grid-template-columns: max-content auto; gap: .1em 1em; margin: 0; }}
dl.meta dt {{ font-weight: 600; }}
dl.meta dd {{ margin: 0; }}
p.summary span {{ display: inline-block; padding: .1em .5em; margin-right: .4em;
  border-radius: .3em; border: 1px solid #bbb; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #bbb; padding: .25em .4em; text-align: left; vertical-align: top; }}
th {{ background: #d9d9d9; position: sticky; top: 0; }}
td {{ white-space: nowrap; }}
td.wrap {{ white-space: pre-wrap; min-width: 14em; }}
td.hash, td.file {{ white-space: normal; word-break: break-all; min-width: 10em; }}
td.number {{ text-align: right; }}
{_STATUS_CSS}
* {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
@page {{ size: A4 landscape; margin: 10mm; }}
@media print {{
  body {{ font-size: 7pt; margin: 0; }}
  th {{ position: static; }}
  thead {{ display: table-header-group; }}
  tr {{ break-inside: avoid; }}
}}
"""


def write(sheet: CueSheet, out: BinaryIO) -> None:
    out.write(render(sheet).encode("utf-8"))


def render(sheet: CueSheet) -> str:
    title = f"GenAI cue sheet — {sheet.edit.name}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{escape(title)}</h1>",
        '<dl class="meta">',
        *(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in title_block(sheet)),
        "</dl>",
        "</header>",
        _summary(sheet),
        *_cues(sheet),
        *_missing(sheet),
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _status_class(status: str) -> str:
    """A class only for the statuses we know, so no outside text reaches an attribute name."""
    return f"status-{status}" if status in STATUS_COLOURS else ""


def _summary(sheet: CueSheet) -> str:
    counts = [
        f'<span class="{_status_class(status)}">{escape(status)}: {count}</span>'
        for status, count in sheet.summary.items()
    ]
    events = f"{sheet.events} events, {sheet.resolved} resolved, {len(sheet.rows)} GenAI"
    return f'<p class="summary">{"".join(counts)} {escape(events)}</p>'


def _cell_class(header: str, kind: str, wrap: bool) -> str:
    if header == "SHA-256":
        return "hash"
    if header == "File":
        return "file"
    if kind == "number":
        return "number"
    return "wrap" if wrap else ""


def _cues(sheet: CueSheet) -> list[str]:
    if not sheet.rows:
        return ["<p>No GenAI elements in this cut.</p>"]
    head = "".join(f'<th scope="col">{escape(c.header)}</th>' for c in COLUMNS)
    lines = ['<table class="cues">', f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    for row in sheet.rows:
        cells = []
        for column in COLUMNS:
            css = _cell_class(column.header, column.kind, column.wrap)
            if column.header == "Status":
                css = _status_class(row.status)
            attr = f' class="{css}"' if css else ""
            cells.append(f"<td{attr}>{escape(column.text(row))}</td>")
        lines.append(f"<tr>{''.join(cells)}</tr>")
    lines += ["</tbody>", "</table>"]
    return lines


def _missing(sheet: CueSheet) -> list[str]:
    lines = ['<section class="missing">', "<h2>Missing media</h2>"]
    if not sheet.missing:
        return [*lines, "<p>None: every event's media was found.</p>", "</section>"]
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h, _, _ in MISSING_COLUMNS)
    lines += ['<table class="missing">', f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    for missing in sheet.missing:
        cells = "".join(
            f"<td>{escape(str(missing_value(missing, name)))}</td>"
            for _, name, _ in MISSING_COLUMNS
        )
        lines.append(f"<tr>{cells}</tr>")
    return [*lines, "</tbody>", "</table>", "</section>"]
