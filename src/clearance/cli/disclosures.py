"""``clearance disclosures``: the disclosure plan per deliverable and market, and the check
of the delivered files' machine-readable AI labels. The library composes
(``clearance.reports.disclosures``); this module reads options and renders."""

from __future__ import annotations

import datetime as dt
import os
import sys
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from clearance.cli.app import EXIT_OK, EXIT_OPEN, app, input_errors, stderr, stdout
from clearance.cli.files import check_writable, write_atomically
from clearance.manifest.errors import InputError, ManifestError

if TYPE_CHECKING:
    from clearance.register.cuts import CutSource
    from clearance.register.store import Register
    from clearance.reports.disclosures.model import DisclosurePlan


class PlanFormat(StrEnum):
    table = "table"
    json = "json"
    xlsx = "xlsx"


@app.command()
def disclosures(
    edit: Annotated[
        Path | None,
        typer.Option("--edit", help="A cut's edit (.edl .xml .fcpxml .aaf .otio), with --media."),
    ] = None,
    cut: Annotated[
        str | None, typer.Option("--cut", help="A cut registered with `clearance cut add`.")
    ] = None,
    media: Annotated[
        list[Path],
        typer.Option(
            "--media",
            "-m",
            help="Media folder or file (repeatable): the --edit's media, and asset "
            "deliverables such as key art.",
        ),
    ] = [],  # noqa: B006 (Typer reads the default; it is never mutated)
    market: Annotated[
        list[str],
        typer.Option(
            "--market",
            help="Markets, comma-separated or repeated: EU, FR, US-NY, CN … "
            "(default: the production's territories).",
        ),
    ] = [],  # noqa: B006
    production: Annotated[
        str | None, typer.Option("--production", "-P", help="The production (register).")
    ] = None,
    policies: Annotated[
        list[str] | None,
        typer.Option(
            "--policy", "-p", help="Pack id or file instead of the production's (repeatable)."
        ),
    ] = None,
    output_format: Annotated[
        PlanFormat | None, typer.Option("--format", "-f", help="Output format.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (format from suffix).")
    ] = None,
    rate: Annotated[
        str | None, typer.Option("--rate", help="Frame rate of an EDL (default 24).")
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes.", min=1)] = max(
        os.cpu_count() or 1, 1
    ),
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Inspect every file again.")] = False,
) -> None:
    """The disclosure plan: per deliverable (each registered cut, or --edit / --cut, and the
    asset files under --media) and per market, which GenAI events or assets need an audience
    disclosure (disclose-ai, in the form and placement the rule asks) or a machine-readable
    label (ai-label), with the cue sheet's record timecodes and the pack rule that asks.

    Each market is decided by the production's packs with that market as its only territory
    (default: each of the production's territories; none declared: one "undeclared" market,
    where every listed law pack applies). The delivered files are checked: a GenAI file, or
    one whose use case owes ai-label, that carries no C2PA, IPTC or AIGC (GB 45438-2025)
    label is a label-missing finding of the deliverables pack.

    Examples:

      clearance disclosures --market FR,US-NY,CN

      clearance disclosures --cut ep101 --media keyart/ -o ep101-disclosures.xlsx

      clearance disclosures --edit cut/ep101.edl --media media/ --format json

    Exit codes: 0 no finding; 1 a delivered file lacks a label it needs (label-missing);
    2 invalid input (an unknown --market code, a missing file, no register).
    """
    from clearance.register.access import open_register, pick_production
    from clearance.reports.disclosures import writers
    from clearance.reports.disclosures.plan import parse_markets

    with input_errors():
        fmt = _format(output, output_format)
        markets = parse_markets(market)
        if output is not None:
            check_writable(output)
        if edit is not None and cut is not None:
            raise ManifestError([InputError("--cut", None, "", "give --edit or --cut, not both")])
        missing = [p for p in media if not p.exists()]
        if missing:
            raise ManifestError(
                [InputError(str(p), None, "", "no such file or folder") for p in missing]
            )
    with input_errors(), open_register() as (register, _ws):
        prod = pick_production(register, production)
        cuts = _cuts(register, prod, edit, cut, media, rate)
        plan = _plan(register, prod, cuts, media, (markets, policies), jobs, no_cache)
    if output is not None:
        with input_errors():
            write_atomically(output, lambda f: writers.write(plan, f, fmt))
        stderr.print(f"Disclosure plan written to {output}.")
    elif fmt == "table":
        _render(plan)
    else:
        writers.write(plan, sys.stdout.buffer, fmt)
        sys.stdout.buffer.flush()
    raise typer.Exit(EXIT_OPEN if plan.summary.get("label-missing") else EXIT_OK)


def _format(output: Path | None, given: PlanFormat | None) -> str:
    from clearance.reports.disclosures import writers

    if given is not None:
        if output is not None and given is PlanFormat.table:
            raise ManifestError([InputError("--format", None, "", "a table is not a file format")])
        return given.value
    if output is None:
        return "table"
    try:
        return writers.format_for(output)
    except ValueError as exc:
        raise ManifestError([InputError(str(output), None, "", str(exc))]) from exc


def _cuts(
    register: Register,
    production: str,
    edit: Path | None,
    cut: str | None,
    media: list[Path],
    rate: str | None,
) -> list[tuple[str, CutSource]]:
    """The cuts to plan: the --edit (its media the --media folders), the --cut, or every cut
    the production registered (``clearance cut list``)."""
    from clearance.editorial import compose
    from clearance.register import cuts as registered
    from clearance.register.cuts import CutSource

    if edit is not None:
        source = CutSource(edit, tuple(media), rate)
        compose.check_source(source)
        return [(edit.stem, source)]
    with register.read() as conn:
        if cut is not None:
            found = registered.find(conn, production, cut)
            return [(found.name, found.source)]
        return [(c.name, c.source) for c in registered.listed(conn, production)]


def _plan(
    register: Register,
    production: str,
    cuts: list[tuple[str, CutSource]],
    media: list[Path],
    packs: tuple[list[str], list[str] | None],
    jobs: int,
    no_cache: bool,
) -> DisclosurePlan:
    from clearance.cli.scan import cache_path, progress_bar
    from clearance.editorial import compose
    from clearance.reports.disclosures.compose import production_plan

    for _name, source in cuts:
        compose.check_source(source)
    scanner = compose.scanner(jobs, cache_path(no_cache, None))
    markets, policies = packs
    progress = progress_bar("table")
    with progress or nullcontext():
        task = progress.add_task("Inspecting media", total=None) if progress else None
        step = (lambda n: progress.advance(task, n)) if progress and task is not None else None
        return production_plan(
            register,
            production,
            cuts,
            media,
            scanner,
            markets=markets,
            policies=policies,
            on=dt.date.today(),
            progress=step,
        )


def _render(plan: DisclosurePlan) -> None:
    """Rich tables: one per deliverable (its rows per market, with timecodes), the duties no
    checked deliverable carries, what each rule asks (its form, once), and the files."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    markets = ", ".join(m.code for m in plan.markets)
    stdout.print(f"[bold]Disclosure plan — {escape(plan.production)}[/] (markets: {markets})")

    def table(title: str) -> Table:
        grid = Table(title=escape(title), title_justify="left", box=box.SIMPLE_HEAD)
        for column in ("Market", "Use case", "Needs"):
            grid.add_column(column, no_wrap=True)
        grid.add_column("Where (record TC)", min_width=23)
        grid.add_column("Rule", no_wrap=True)
        return grid

    def row(grid: Table, *cells: str) -> None:
        """Data cells are text, never markup (file and clip names come from outside)."""
        grid.add_row(*(escape(c) for c in cells))

    placed: set[tuple[str, str, str, str, str]] = set()
    for d in plan.deliverables:
        grid = table(f"{d.name} ({d.kind})")
        for i in d.items:
            placed.add((i.market, i.use_case, i.obligation, i.pack, i.rule))
            spots = "\n".join(
                f"{e.record_in}–{e.record_out} #{e.event} {e.track}" for e in i.events
            )
            row(grid, i.market, i.use_case, _needs(i.obligation, i.met), spots or "whole file",
                f"{i.pack} {i.rule}")  # fmt: skip
        for e in d.unmapped:
            spot = f"{e.record_in}–{e.record_out} #{e.event} {e.track}" if e.record_in else "file"
            row(grid, "—", "none", "?", f"{spot} GenAI no use case declares", "—")
        stdout.print(grid)
    elsewhere = [
        r
        for r in plan.requirements
        if (r.market, r.use_case, r.obligation, r.pack, r.rule) not in placed
    ]
    if elsewhere:
        grid = table("Owed by use cases in no deliverable checked here")
        for r in elsewhere:
            row(grid, r.market, r.use_case, _needs(r.obligation, r.met), "", f"{r.pack} {r.rule}")
        stdout.print(grid)
    if not plan.requirements:
        stdout.print(f"No use case owes a disclosure or an AI label in {markets}.")
    asks = {(r.pack, r.rule, r.obligation): r for r in plan.requirements}
    if asks:
        stdout.print("[bold]What each rule asks[/]")
        for (pack, rule, obligation), r in asks.items():
            form = r.form or "(the rule gives no form)"
            stdout.print(
                f"  [bold]{escape(pack)} {escape(rule)}[/] {obligation} — {escape(form)} "
                f"[dim]({escape(r.cites)})[/]",
                highlight=False,
            )
    if plan.files:
        files = Table(
            title=f"Delivered files ({plan.files_scanned} checked)",
            title_justify="left",
            box=box.SIMPLE_HEAD,
        )
        files.add_column("File", overflow="fold")
        for column in ("Verdict", "Use case", "Labels", "ai-label in", "Finding"):
            files.add_column(column, no_wrap=True)
        for f in plan.files:
            found = ", ".join(x.finding for x in f.findings)
            row(files, f.path, f.verdict, f.use_case or "—", ", ".join(f.labels) or "none",
                ", ".join(f.required_in) or "—", found or "ok")  # fmt: skip
        stdout.print(files)
    missing = plan.summary.get("label-missing", 0)
    if missing:
        stdout.print(f"[bold red]{missing} delivered file(s) lack a machine-readable AI label.[/]")


def _needs(obligation: str, met: bool) -> str:
    return f"{obligation} (met)" if met else obligation
