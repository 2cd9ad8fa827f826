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

from clearance.cli.app import EXIT_OK, EXIT_OPEN, app, input_errors, stderr, stdout
from clearance.cli.files import check_writable, write_atomically
from clearance.cli.scan import cache_path, progress_bar
from clearance.manifest.errors import InputError, ManifestError

if TYPE_CHECKING:
    from clearance.editorial.cuesheet import CueSheet, RegisterFacts
    from clearance.register.cuts import CutSource

EXIT_PRINT = 3
STATUS_STYLE = {
    "cleared": "green",
    "obligations-open": "yellow",
    "temp-material": "dark_orange",
    "undeclared": "bold red",
    "resembles-reference": "bold magenta",
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


CutOpt = Annotated[
    str | None,
    typer.Option("--cut", help="A cut registered with `clearance cut add` (instead of EDIT)."),
]
SequenceOpt = Annotated[
    str | None, typer.Option("--sequence", help="Which sequence, when the edit holds several.")
]
JobsOpt = Annotated[int, typer.Option("--jobs", "-j", help="Worker processes.", min=1)]
CORES = max(os.cpu_count() or 1, 1)


@app.command()
def cuesheet(
    edit: Annotated[
        Path | None,
        typer.Argument(help="The locked cut: .edl .xml .fcpxml .aaf .otio (or use --cut)."),
    ] = None,
    media: MediaOpt = [],  # noqa: B006 (Typer reads the default; it is never mutated)
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (format from suffix).")
    ] = None,
    output_format: Annotated[
        CueFormat | None, typer.Option("--format", "-f", help="Output format.")
    ] = None,
    production: Annotated[
        str | None, typer.Option("--production", "-P", help="Join with this production.")
    ] = None,
    cut: CutOpt = None,
    rate: RateOpt = None,
    drop_frame: DropOpt = None,
    start: StartOpt = None,
    rules: RulesOpt = None,
    sequence: SequenceOpt = None,
    jobs: JobsOpt = CORES,
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
    Inside a workspace (or with --production) the cue sheet is joined with the register;
    --cut NAME builds a cut registered there (`clearance cut add`), exactly as the web app
    does; with neither EDIT nor --cut, the production's only registered cut.

    Examples:

      clearance cuesheet cut/ep101_lock.edl --rate 23.976 --media media/ -o ep101-cuesheet.xlsx

      clearance cuesheet ep101.xml --media /mnt/vfx --media /mnt/stock --format json

      clearance cuesheet --cut ep101 -o ep101-cuesheet.xlsx

    Exit codes: 0 every GenAI event cleared; 1 some event open (see --fail-on); 2 invalid input.
    """
    from clearance.reports import cuesheet as writers

    with input_errors():
        fmt = _format(output, output_format)
        if output is not None:
            check_writable(output)
        given = _given_source(edit, media, (rate, drop_frame, start), rules, sequence, cut)
        sheet = _build_cuesheet(given, cut, production, jobs, no_cache)
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
        else (
            "undeclared",
            "unreadable",
            "temp-material",
            "obligations-open",
            "resembles-reference",
        )
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


def _given_source(
    edit: Path | None,
    media: list[Path] | None,
    timing: tuple[str | None, bool | None, str | None],
    rules: Path | None,
    sequence: str | None,
    cut: str | None,
) -> CutSource | None:
    """The cut given on the command line, or ``None`` when it comes from the register."""
    from clearance.register.cuts import CutSource

    if edit is not None and cut is not None:
        raise ManifestError([InputError("--cut", None, "", "give EDIT or --cut, not both")])
    if edit is None:
        if media:
            problem = "--media goes with an edit; a registered cut (--cut) has its own media"
            raise ManifestError([InputError("--media", None, "", problem)])
        return None
    rate, drop_frame, start = timing
    return CutSource(edit, tuple(media or ()), rate, drop_frame, start, rules, sequence)


def _build_cuesheet(
    given: CutSource | None,
    cut: str | None,
    production: str | None,
    jobs: int,
    no_cache: bool,
    on: dt.date | None = None,
) -> CueSheet:
    """The cue sheet through the library's one pipeline (``editorial.compose``), joined with
    the register when there is one (``--production``, ``--cut``, or a workspace)."""
    from clearance.editorial import compose

    if given is not None:
        compose.check_source(given)
    inspect_with = compose.scanner(jobs, cache_path(no_cache, None))
    with _register_source(production, cut, given, on or dt.date.today()) as (source, facts):
        progress = progress_bar("table")
        with progress or nullcontext():
            task = progress.add_task("Inspecting media", total=None) if progress else None
            step = (lambda n: progress.advance(task, n)) if progress and task is not None else None
            return compose.build_cuesheet(source, inspect_with, facts, step)


@contextmanager
def _register_source(
    production: str | None, cut: str | None, given: CutSource | None, on: dt.date
) -> Iterator[tuple[CutSource, RegisterFacts | None]]:
    """The cut to build (given, or registered) and the register's facts for the join (as of
    ``on``) when there is a register; ``None`` facts outside one."""
    from clearance.register import workspace

    try:
        here = workspace.find()
    except workspace.WorkspaceError as exc:
        raise ManifestError([InputError("register", None, "", str(exc))]) from exc
    if production is None and here is None and given is not None:
        yield given, None
        return
    from clearance.editorial import compose
    from clearance.register import cuts
    from clearance.register.access import open_register, pick_production

    with open_register(None) as (register, _ws):
        prod = pick_production(register, production)
        if given is None:
            with register.read() as conn:
                given = cuts.find(conn, prod, cut).source
        facts = compose.register_facts(register, prod, on)
    yield given, facts


def _render(sheet: CueSheet) -> None:
    from rich.table import Table
    from rich.text import Text

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
        if row.resembles:
            status += Text("\n" + "; ".join(row.resembles), "magenta")
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
    sequence: SequenceOpt = None,
    cut: CutOpt = None,
    on: Annotated[
        str | None, typer.Option("--on", help="Judge expiry as of this day (YYYY-MM-DD).")
    ] = None,
    jobs: JobsOpt = CORES,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print it to PDF (needs Chromium installed).")
    ] = False,
) -> None:
    """The delivery report: one self-contained HTML file for the studio contact — counts by
    outcome and status, every use case with its decision and citations, open obligations
    and who must act, evidence, the latest scan's findings, and (with --edit or --cut) the
    cue sheet and a timeline strip of the cut coloured by status. It prints well (A4
    landscape).

    Run inside a workspace (``clearance init``) or with CLEARANCE_DATABASE_URL set.

    Examples:

      clearance report -o out/ --edit cut/ep101.edl --rate 23.976 --media media/ --pdf

      clearance report -o out/ --cut ep101

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
        given = _given_source(edit, media, (rate, drop_frame, start), rules, sequence, cut)
    with _opened() as (register, _ws), input_errors():
        prod = _production(register, production)
        sheet = (
            _build_cuesheet(given, cut, prod, jobs, False, day)
            if given is not None or cut is not None
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
