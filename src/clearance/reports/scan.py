"""Rendering scan results: the public JSON (streamed), CSV (streamed) and a Rich table."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from clearance.manifest.errors import safe_text
from clearance.provenance.scan import FileResult, Summary
from clearance.reports.cuesheet.columns import defuse

VERDICT_STYLE = {
    "ai-generated": "bold red",
    "ai-composite": "yellow",
    "no-ai-signal": "dim",
    "unreadable": "magenta",
}


#: Schema id and version of ``clearance scan --format json``.
SCAN_FORMAT = "clearance.scan/1"


def write_json(out: TextIO, results: Iterable[FileResult], summary: Summary) -> None:
    """``{"format": "clearance.scan/1", "files": [...], "summary": {...}}``, one file at a
    time (bounded memory)."""
    out.write(f'{{"format": "{SCAN_FORMAT}", "files": [')
    separator = "\n  "
    for result in results:
        out.write(separator + json.dumps(result.to_json(), ensure_ascii=False))
        separator = ",\n  "
    out.write(("\n" if separator != "\n  " else "") + '], "summary": ')
    out.write(json.dumps(summary.to_json()) + "}\n")


CSV_COLUMNS = [
    "path",
    "sha256",
    "media_type",
    "verdict",
    "rule",
    "credential",
    "labels",
    "advisories",
    "signals",
    "findings",
    "use_case",
    "reason",
]


def write_csv(out: TextIO, results: Iterable[FileResult]) -> None:
    """One row a file. Every cell a spreadsheet could evaluate (a file named
    ``=HYPERLINK(...)``, a signal value copied from metadata) is defused as in the cue sheet."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in results:
        signals = "; ".join(f"{s['kind']}={s['value']} ({s['strength']})" for s in r.signals)
        found = "; ".join(f.value for f in r.findings)
        row = [
            r.path,
            r.sha256,
            r.media_type,
            r.verdict,
            r.verdict_rule,
            r.credential,
            "; ".join(r.labels),
            "; ".join(n.rule for n in r.notes),
            signals,
            found,
            r.use_case,
            r.reason,
        ]
        writer.writerow([defuse(cell) for cell in row])


def notable(results: Iterable[FileResult]) -> Iterator[FileResult]:
    """Files worth a person's attention: a GenAI verdict, unreadable, a credential that is
    not valid, or a finding."""
    for r in results:
        if (
            r.verdict != "no-ai-signal"
            or any(f.value != "ok" for f in r.findings)
            or r.credential.startswith(("invalid", "expired", "unreadable"))
        ):
            yield r


CREDENTIAL_STYLE = {"valid": "green", "expired": "yellow"}


def credential_text(credential: str) -> Text:
    """The credential state, coloured: red when invalid, dim when untrusted or absent."""
    if not credential:
        return Text("—", "dim")
    style = CREDENTIAL_STYLE.get(credential, "")
    if credential.startswith(("invalid", "unreadable")):
        style = "bold red"
    elif credential.startswith("valid,") or credential == "not verified":
        style = "dim"
    return Text(credential, style)


def render_table(console: Console, results: list[FileResult], summary: Summary) -> None:
    table = Table(title="GenAI provenance in the scanned files", title_justify="left")
    table.add_column("File", overflow="fold", ratio=3)
    table.add_column("Verdict / C2PA credential", ratio=1, overflow="fold")
    table.add_column("Signals", ratio=3)
    table.add_column("Findings", no_wrap=True)
    for r in results:
        shown = [s for s in r.signals if s["kind"] != "c2pa.credential"]  # in its own cell
        strong = [s for s in shown if s["strength"] != "weak"] or shown
        signals = "\n".join(f"{s['kind']}: {s['value']}" for s in strong[:4])
        if r.reason:
            signals = (signals + "\n" if signals else "") + f"({r.reason})"
        for note in r.notes:
            signals = (signals + "\n" if signals else "") + f"{note.rule}: {note.because}"
        found = "\n".join(
            f.value + (f" ({r.use_case})" if r.use_case else "")
            for f in r.findings
            if f.value != "ok"
        )
        verdict = Text(r.verdict, VERDICT_STYLE.get(r.verdict, ""))
        if r.credential:
            verdict.append("\n").append_text(credential_text(r.credential))
        # Names and metadata come from the files: shown as text, escapes and markup inert.
        table.add_row(Text(safe_text(r.path)), verdict, Text(safe_text(signals)), found)
    if results:
        console.print(table)
    data = summary.to_json()
    verdicts = ", ".join(f"{n} {v}" for v, n in data["verdicts"].items())
    line = f"{data['files']} files ({verdicts}) in {data['seconds']} s"
    if data["files_per_second"]:
        line += f", {data['files_per_second']:.0f} files/s"
    if data["cached"]:
        line += f"; {data['cached']} unchanged (from the cache)"
    console.print(line)
    if data["credentials"]:
        console.print(
            "C2PA credentials: " + ", ".join(f"{n} {c}" for c, n in data["credentials"].items())
        )
    if data["ai_labels"]:
        labels = ", ".join(f"{n} {label}" for label, n in data["ai_labels"].items())
        console.print(f"Machine-readable labels on GenAI files: {labels}")
    if data["findings"]:
        console.print("Findings: " + ", ".join(f"{n} {f}" for f, n in data["findings"].items()))
    console.print(
        "[dim]No signal means no GenAI marking was found — not that a file is human-made.[/]"
    )
