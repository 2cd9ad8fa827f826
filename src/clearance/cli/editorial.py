"""``clearance cuesheet`` and ``clearance report``: the locked cut's GenAI cue sheet, and the
delivery report for the studio contact."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from clearance.cli.app import EXIT_OK, EXIT_OPEN, app, input_errors, stderr, stdout
from clearance.cli.files import check_writable, write_atomically
from clearance.cli.scan import cache_path, progress_bar
from clearance.manifest.errors import InputError, ManifestError

if TYPE_CHECKING:
    from clearance.editorial.cuesheet import CueSheet, RegisterFacts

EXIT_PRINT = 3
STATUS_STYLE = {
    "cleared": "green",
    "obligations-open": "yellow",
    "temp-material": "dark_orange",
    "undeclared": "bold red",
}


class CueFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    html = "html"


class FailOn(StrEnum):
    undeclared = "undeclared"
    open = "open"
    never = "never"


MediaOpt = Annotated[
    list[Path],
    typer.Option("--media", "-m", help="Folder of the cut's media (repeatable)."),
]
RateOpt = Annotated[
    str | None,
    typer.Option("--rate", help="Frame rate of an EDL: 23.976, 24, 25, 29.97 … (default 24)."),
]
DropOpt = Annotated[
    bool | None,
    typer.Option(
        "--drop-frame/--non-drop-frame",
        help="Timecode flavour at 29.97/59.94 (default: what the edit says).",
    ),
]
StartOpt = Annotated[
    str | None,
    typer.Option("--start", help="Record timecode of the first frame, if the edit lacks it."),
]
RulesOpt = Annotated[
    Path | None,
    typer.Option("--rules", help="YAML rules mapping clip/reel names to media file names."),
]


@app.command()
def cuesheet(
    edit: Annotated[Path, typer.Argument(help="The locked cut: .edl .xml .fcpxml .aaf .otio")],
    media: MediaOpt,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (format from suffix).")
    ] = None,
    output_format: Annotated[
        CueFormat | None, typer.Option("--format", "-f", help="Output format.")
    ] = None,
    production: Annotated[
        str | None, typer.Option("--production", "-P", help="Join with this production.")
    ] = None,
    rate: RateOpt = None,
    drop_frame: DropOpt = None,
    start: StartOpt = None,
    rules: RulesOpt = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes.", min=1)] = max(
        os.cpu_count() or 1, 1
    ),
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Inspect every file again.")] = False,
    fail_on: Annotated[
        FailOn, typer.Option("--fail-on", help="Exit 1 on undeclared GenAI, on any open item.")
    ] = FailOn.open,
) -> None:
    """The GenAI cue sheet of a locked cut: every event whose media carries GenAI, with its
    record timecode, provenance, tool, prompt, use case, source material, approvals and
    consents, and a status from the cue-status pack (cleared, obligations-open,
    temp-material, undeclared). Media that cannot be found is listed, never fatal.

    Each event's media is found by the --rules first, then the edit's file path or URL,
    source-file comments, the clip name and the reel name, under the --media folders.
    Inside a workspace (or with --production) the cue sheet is joined with the register.

    Examples:

      clearance cuesheet cut/ep101_lock.edl --rate 23.976 --media media/ -o ep101-cuesheet.xlsx

      clearance cuesheet ep101.xml --media /mnt/vfx --media /mnt/stock --format json

    Exit codes: 0 every GenAI event cleared; 1 some event open (see --fail-on); 2 invalid input.
    """
    from clearance.reports import cuesheet as writers

    with input_errors():
        fmt = _format(output, output_format)
        if output is not None:
            check_writable(output)
        sheet = _build_cuesheet(
            edit, media, production, (rate, drop_frame, start), rules, jobs, no_cache
        )
    if output is not None:
        with input_errors():
            write_atomically(output, lambda f: writers.write(sheet, f, fmt))
        stderr.print(f"Cue sheet written to {output} ({len(sheet.rows)} GenAI events).")
    elif fmt == "table":
        _render(sheet)
    else:
        writers.write(sheet, sys.stdout.buffer, fmt)
        sys.stdout.buffer.flush()
    raise typer.Exit(_exit_code(sheet.summary, fail_on))


def _exit_code(summary: dict[str, int], fail_on: FailOn) -> int:
    if fail_on is FailOn.never:
        return EXIT_OK
    bad = (
        ("undeclared",)
        if fail_on is FailOn.undeclared
        else ("undeclared", "unreadable", "temp-material", "obligations-open")
    )
    return EXIT_OPEN if any(summary.get(label) for label in bad) else EXIT_OK


def _format(output: Path | None, given: CueFormat | None) -> str:
    from clearance.reports import cuesheet as writers

    if given is not None:
        if output is not None and given is CueFormat.table:
            raise ManifestError([InputError("--format", None, "", "a table is not a file format")])
        return given.value
    if output is None:
        return "table"
    try:
        return writers.format_for(output)
    except ValueError as exc:
        raise ManifestError([InputError(str(output), None, "", str(exc))]) from exc


def _build_cuesheet(
    edit_path: Path,
    media: list[Path],
    production: str | None,
    timing: tuple[str | None, bool | None, str | None],
    rules_path: Path | None,
    jobs: int,
    no_cache: bool,
    on: dt.date | None = None,
) -> CueSheet:
    from clearance.editorial import cuesheet as cues
    from clearance.editorial.media import MediaIndex
    from clearance.editorial.read import read_edit
    from clearance.editorial.resolve import Resolver, load_rules
    from clearance.policy.registry import resolve
    from clearance.provenance.scan import Scanner

    missing = [p for p in [edit_path, *media] if not p.exists()]
    if rules_path is not None and not rules_path.is_file():
        missing.append(rules_path)
    if missing:
        raise ManifestError(
            [InputError(str(p), None, "", "no such file or folder") for p in missing]
        )
    if not media:
        raise ManifestError([InputError("--media", None, "", "give at least one media folder")])
    rate, drop_frame, start = timing
    edit = read_edit(edit_path, rate=rate, drop_frame=drop_frame, start=start)
    rules = load_rules(rules_path) if rules_path else []
    scanner = Scanner(
        provenance=resolve("ai-provenance"), jobs=jobs, cache_path=cache_path(no_cache, None)
    )
    with _register_facts(production, on or dt.date.today()) as facts:
        index = MediaIndex(media)
        progress = progress_bar("table")
        with progress or nullcontext():
            task = progress.add_task("Inspecting media", total=None) if progress else None
            step = (lambda n: progress.advance(task, n)) if progress and task is not None else None
            try:
                return cues.build(
                    edit, Resolver(index, rules), scanner, resolve("cue-status"), facts, step
                )
            except (ValueError, ArithmeticError) as exc:  # times OTIO cannot place
                problem = f"the edit's times cannot be placed: {exc}"
                raise ManifestError([InputError(str(edit_path), None, "", problem)]) from exc


@contextmanager
def _register_facts(production: str | None, on: dt.date) -> Iterator[RegisterFacts | None]:
    """The register's facts (as of ``on``) for the join when there is a register
    (``--production``, or a workspace holding one production); ``None`` otherwise."""
    from clearance.register import workspace

    try:
        here = workspace.find()
    except workspace.WorkspaceError as exc:
        raise ManifestError([InputError("register", None, "", str(exc))]) from exc
    if production is None and here is None:
        yield None
        return
    from clearance.editorial.cuesheet import register_facts
    from clearance.register.access import open_register, pick_production

    with open_register(None) as (register, _ws):
        prod = pick_production(register, production)
        with register.read() as conn:
            facts = register_facts(conn, prod, register.store, on)
    yield facts


def _render(sheet: CueSheet) -> None:
    edit = sheet.edit
    title = (
        f"GenAI cue sheet — {edit.name} ({edit.rate}, {edit.start}–{edit.end}, "
        f"{sheet.events} events, {sheet.resolved} resolved)"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right", no_wrap=True, min_width=3)
    table.add_column("Track", no_wrap=True, min_width=5)
    table.add_column("Record in–out", no_wrap=True, min_width=23)
    table.add_column("Clip / file", ratio=3, overflow="fold")
    table.add_column("Verdict", ratio=1)
    table.add_column("Use case", no_wrap=True, min_width=8)
    table.add_column("Status", ratio=2)
    for row in sheet.rows:
        status = Text(row.status, STATUS_STYLE.get(row.status, ""))
        if row.open_obligations:
            status += Text("\n" + ", ".join(row.open_obligations), "dim")
        table.add_row(
            str(row.event),
            row.track,
            f"{row.record_in}–{row.record_out}",
            row.clip if row.clip == Path(row.file).name else f"{row.clip}\n{Path(row.file).name}",
            row.verdict,
            row.use_case or "—",
            status,
        )
    stdout.print(table)
    for item in sheet.missing:
        how = [f"speed {item.speed:g}"] if item.speed != 1.0 else []
        how += [item.transition] if item.transition else []
        stderr.print(
            f"[yellow]missing media[/] event {item.event} {item.track} "
            f"{item.record_in}–{item.record_out}{' (' + ', '.join(how) + ')' if how else ''}: "
            f"{item.problem}",
            highlight=False,
        )
    counts = ", ".join(f"{label} {n}" for label, n in sheet.summary.items())
    stdout.print(f"GenAI events: {len(sheet.rows)} ({counts})")


@app.command()
def report(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder to write the report into.")
    ] = Path("."),
    production: Annotated[
        str | None,
        typer.Option("--production", "-P", help="Production id (needed when several)."),
    ] = None,
    edit: Annotated[
        Path | None, typer.Option("--edit", help="The locked cut, for the cue sheet and strip.")
    ] = None,
    media: Annotated[
        list[Path] | None, typer.Option("--media", "-m", help="Media folders of the cut.")
    ] = None,
    rate: RateOpt = None,
    drop_frame: DropOpt = None,
    start: StartOpt = None,
    rules: RulesOpt = None,
    on: Annotated[
        str | None, typer.Option("--on", help="Judge expiry as of this day (YYYY-MM-DD).")
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes.", min=1)] = max(
        os.cpu_count() or 1, 1
    ),
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print it to PDF (needs Chromium installed).")
    ] = False,
) -> None:
    """The delivery report: one self-contained HTML file for the studio contact — counts by
    outcome and status, every use case with its decision and citations, open obligations
    and who must act, evidence, the latest scan's findings, and (with --edit) the cue sheet
    and a timeline strip of the cut coloured by status. It prints well (A4 landscape).

    Run inside a workspace (``clearance init``) or with CLEARANCE_DATABASE_URL set.

    Example: clearance report -o out/ --edit cut/ep101.edl --rate 23.976 --media media/ --pdf

    Exit codes: 0 written; 2 invalid input (nothing written); 3 the PDF could not be printed
    (the HTML is written).
    """
    from clearance.cli.register import _day, _opened, _production
    from clearance.reports.delivery import render_html
    from clearance.reports.delivery_data import gather
    from clearance.reports.pdf import find_browser, print_pdf

    with input_errors():
        day = _day(on, "--on")
        browser = find_browser() if pdf else None
        if pdf and browser is None:
            problem = (
                "no Chromium found to print the PDF (install chromium or set CLEARANCE_CHROMIUM)"
            )
            raise ManifestError([InputError("--pdf", None, "", problem)])
        if (edit is None) != (not media):
            problem = "--edit and --media go together"
            raise ManifestError(
                [InputError("--edit" if edit is None else "--media", None, "", problem)]
            )
        if output.exists() and not output.is_dir():
            raise ManifestError([InputError(str(output), None, "", "expected a folder")])
    with _opened() as (register, _ws), input_errors():
        prod = _production(register, production)
        sheet = (
            _build_cuesheet(
                edit, media or [], prod, (rate, drop_frame, start), rules, jobs, False, day
            )
            if edit is not None
            else None
        )
        with register.read() as conn:
            data = gather(conn, prod, register.store, day, sheet)
    html = render_html(data)
    target = output / f"{prod}-genai-report.html"
    with input_errors():
        try:
            output.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            problem = exc.strerror or str(exc)
            raise ManifestError([InputError(str(output), None, "", problem)]) from exc
        write_atomically(target, lambda f: f.write(html.encode("utf-8")))
    stdout.print(f"Report written to {target}")
    if browser is not None:
        printed = target.with_suffix(".pdf")
        try:
            write_atomically(printed, lambda f: print_pdf(target, Path(f.name), browser))
        except RuntimeError as exc:
            stderr.print(f"[bold red]error:[/] the PDF could not be printed: {exc}")
            raise typer.Exit(EXIT_PRINT) from exc
        stdout.print(f"PDF written to {printed}")
    raise typer.Exit(EXIT_OK)
