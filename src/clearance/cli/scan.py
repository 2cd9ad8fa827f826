"""``clearance scan`` and ``clearance asset add``."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clearance.cli.app import EXIT_OK, EXIT_OPEN, app, asset_app, input_errors, stderr, stdout
from clearance.manifest.errors import InputError, ManifestError
from clearance.register import workspace

if TYPE_CHECKING:  # the extractors (c2pa, PIL …) and Rich's progress: imported where used
    from rich.progress import Progress

    from clearance.provenance.scan import Scanner


class ScanFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def cache_path(no_cache: bool, given: Path | None) -> Path | None:
    if no_cache:
        return None
    if given:
        return given
    ws = workspace.find()
    if ws is not None and ws.folder is not None:
        return ws.folder / "scan-cache.db"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clearance" / "scan-cache.db"


@app.command()
def scan(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to scan.")],
    production: Annotated[
        str | None,
        typer.Option("--production", "-P", help="Reconcile with this production's register."),
    ] = None,
    output_format: Annotated[ScanFormat, typer.Option("--format", "-f")] = ScanFormat.table,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes.", min=1)] = max(
        os.cpu_count() or 1, 1
    ),
    verify: Annotated[
        bool,
        typer.Option(
            "--verify/--no-verify",
            help="Validate C2PA credentials (signature, certificate, trust, content hashes).",
        ),
    ] = True,
    trust_anchors: Annotated[
        Path | None, typer.Option("--trust-anchors", help="PEM bundle of trusted C2PA roots.")
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Inspect every file again.")] = False,
    cache: Annotated[Path | None, typer.Option("--cache", help="Cache file to use.")] = None,
    record: Annotated[
        bool,
        typer.Option("--record/--no-record", help="Record the scan in the register."),
    ] = True,
    actor: Annotated[str | None, typer.Option("--as", help="Who is scanning.")] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            help="Inspect the files on this Dask cluster (scheduler address, e.g. "
            "tcp://scheduler:8786); the workers read them at the same paths or --path-map's.",
        ),
    ] = None,
    path_map: Annotated[
        list[str] | None,
        typer.Option(
            "--path-map",
            help="With --cluster: DRIVER_PATH=WORKER_PATH, where workers mount a scanned root.",
        ),
    ] = None,
) -> None:
    """Scan deliverables for GenAI provenance (C2PA, IPTC/XMP, generator metadata).

    Each file gets a verdict from the ai-provenance pack: ai-generated, ai-composite,
    no-ai-signal (absence of a marking is not proof of human authorship) or unreadable, and
    its C2PA credential state: valid, valid, untrusted signer, expired or invalid: CODE
    (validated by default; --no-verify skips it; --trust-anchors names the roots that make a
    signer trusted). With
    --production (or inside a workspace holding one production) each file is reconciled with
    the register by the deliverables pack: undeclared-ai, temp-in-deliverables,
    unapproved-final, declared-unmarked, invalid-credentials or ok, and the scan is recorded.

    Examples:

      clearance scan deliverables/ --format json > scan.json

      clearance scan /mnt/final --production neon-harbor-s1 --jobs 8

      clearance scan /mnt/archive --cluster tcp://scheduler:8786 --format json > scan.json

    Exit codes: 0 no finding other than ok; 1 some finding; 2 invalid input.
    """
    from clearance.policy.registry import resolve
    from clearance.provenance.extractors.c2pa import check_settings
    from clearance.provenance.model import ScanOptions
    from clearance.provenance.scan import Scanner
    from clearance.provenance.walk import printable
    from clearance.reports.scan import notable, render_table, write_csv, write_json

    with input_errors():
        missing = [p for p in paths if not p.exists()]
        if missing:
            raise ManifestError(
                [InputError(str(p), None, "", "no such file or folder") for p in missing]
            )
        if trust_anchors is not None and not trust_anchors.is_file():
            raise ManifestError([InputError(str(trust_anchors), None, "", "no such file")])
        options = ScanOptions(
            verify=verify, trust_anchors=str(trust_anchors) if trust_anchors else None
        )
        try:
            check_settings(options)
        except ValueError as exc:
            source = str(trust_anchors) if trust_anchors else "scan"
            raise ManifestError([InputError(source, None, "", str(exc))]) from exc
        scanner = Scanner(
            provenance=resolve("ai-provenance"),
            options=options,
            jobs=jobs,
            cache_path=cache_path(no_cache, cache),
        )
        if path_map and not cluster:
            raise ManifestError([InputError("--path-map", None, "", "needs --cluster")])
        register_context = _reconcile(scanner, production, actor)
    cluster_context = _on_cluster(scanner, cluster, path_map or []) if cluster else nullcontext()
    with cluster_context, register_context as register:
        progress = progress_bar(output_format)
        with progress or nullcontext():
            task = progress.add_task("Scanning", total=None) if progress else None
            step = (lambda n: progress.advance(task, n)) if progress and task is not None else None
            results = scanner.scan(paths, progress=step)
            pack = scanner.deliverables
            recorded = (
                _Recorder(f"{pack.id}@{pack.version}" if pack else None)
                if register and record
                else None
            )
            if recorded is not None:
                results = recorded.watch(results)
            if output_format is ScanFormat.json:
                write_json(sys.stdout, results, scanner.summary)
            elif output_format is ScanFormat.csv:
                write_csv(sys.stdout, results)
            else:
                shown = list(notable(results))
        if output_format is ScanFormat.table:
            render_table(stdout, shown, scanner.summary)
        if register is not None and recorded is not None:
            reg, prod = register
            roots = [printable(str(p)) for p in paths]
            scan_id = reg.record_scan(prod, roots, scanner.summary.to_json(), recorded.rows)
            stderr.print(f"[dim]Scan {scan_id} recorded in the register for {prod}.[/]")
            if recorded.checks:  # the evidence that each file was compared with the library
                from clearance.register import refs

                with reg.write() as conn:
                    refs.record_checks(conn, reg.actor, prod, recorded.checks, scan_id)
                for check in recorded.checks:
                    if check.problem:  # stated, never a silent pass
                        stderr.print(
                            f"[yellow]similarity check:[/] {check.path}: {check.problem}",
                            highlight=False,
                        )
    failed = any(f != "ok" for f in scanner.summary.findings)
    raise typer.Exit(EXIT_OPEN if failed else EXIT_OK)


class _Recorder:
    """Keeps, for the register, the files that carried a GenAI verdict, a finding or a C2PA
    credential, with its state."""

    def __init__(self, pack: str | None = None) -> None:
        self.rows: list[dict[str, Any]] = []
        self.checks: list[Any] = []  # similarity checks (refs.Check), one per compared file
        self.pack = pack

    def watch(self, results: Any) -> Any:
        for r in results:
            found = [f.value for f in r.findings if f.value != "ok"]
            if r.verdict != "no-ai-signal" or found or r.credential:
                row = {"path": r.path, "sha256": r.sha256, "verdict": r.verdict}
                row |= {"findings": ",".join(found), "uc_id": r.use_case or None}
                row |= {"credential": r.credential[:80] or None}
                self.rows.append(row)
            if r.similar is not None:
                from clearance.register.refs import check_from_facts

                self.checks.append(check_from_facts(r.path, r.sha256, r.similar, self.pack))
            yield r


@contextmanager
def _on_cluster(scanner: Scanner, address: str, path_map: list[str]) -> Iterator[None]:
    """The scanner's inspections on the Dask cluster at ``address`` while the scan runs; a
    cluster that cannot run it is an input error (exit 2). Dask is imported only here."""
    from clearance.provenance.cluster import (
        ClusterError,
        ClusterInspector,
        connect,
        parse_path_map,
    )

    with input_errors():
        try:
            mapping = parse_path_map(path_map)
        except ValueError as exc:
            raise ManifestError([InputError("--path-map", None, "", str(exc))]) from exc
        try:
            with connect(address) as client:
                scanner.remote = ClusterInspector(client, scanner, mapping)
                yield
        except ClusterError as exc:
            raise ManifestError([InputError(address, None, "", str(exc))]) from exc


@contextmanager
def _reconcile(scanner: Scanner, production: str | None, actor: str | None) -> Iterator[Any]:
    """Yields ``(register, production)`` and arms the scanner with the deliverables pack and
    the register's assets when the scan reconciles (``--production``, or a workspace holding
    one production); yields ``None`` otherwise."""
    if production is None and workspace.find() is None:
        yield None
        return
    from clearance.policy.registry import resolve
    from clearance.register import queries
    from clearance.register.access import choose_production, open_register

    with input_errors(), open_register(actor) as (register, _ws):
        with register.read() as conn:
            known = queries.productions(conn)
        # An empty register has nothing to reconcile with; several productions and no
        # --production is ambiguous and refused (exit 2), never a scan that checks nothing.
        prod = choose_production(known, production) if known or production else None
        if prod is None:
            stderr.print("[dim]The register holds no production: files are not reconciled.[/]")
            yield None
            return
        with register.read() as conn:
            assets = queries.asset_facts(conn, prod, register.store, dt.date.today())
        scanner.deliverables = resolve("deliverables")
        scanner.assets = assets.get
        if any(path.startswith("prompt.") for path in scanner.deliverables.fact_paths()):
            from clearance.prompts.derive import Deriver
            from clearance.register import names

            with register.read() as conn:
                scanner.prompts = Deriver(names.prompt_entries(conn, prod))
        from clearance.similarity.library import scan_options

        with register.read() as conn:
            scanner.options, note = scan_options(conn, prod, scanner.options)
        if note:
            stderr.print(f"[dim]{note}[/]")
        yield (register, prod)


def progress_bar(output_format: str) -> Progress | None:
    if not sys.stderr.isatty():
        return None
    from rich.progress import (
        BarColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    class _Rate(ProgressColumn):
        """Files per second since the scan started."""

        def render(self, task: Task) -> Text:
            rate = task.completed / task.elapsed if task.elapsed else 0.0
            return Text(f"{rate:,.0f} files/s")

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} files"),
        _Rate(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    )


@asset_app.command("add")
def asset_add(
    use_case: Annotated[str, typer.Argument(help="The use case these files are outputs of.")],
    files: Annotated[list[Path], typer.Argument(help="Files to register (by content hash).")],
    production: Annotated[str | None, typer.Option("--production", "-P")] = None,
    actor: Annotated[str | None, typer.Option("--as", help="Who registers them.")] = None,
) -> None:
    """Register files as outputs of a use case, so a deliverables scan can reconcile them.

    Example: clearance asset add UC-008 renders/signage_v3.png
    """
    from clearance.cli.register import _opened, _production
    from clearance.provenance.inspect import sha256_of
    from clearance.provenance.walk import printable

    with _opened(actor) as (register, _ws), input_errors():
        prod = _production(register, production)
        missing = [f for f in files if not f.is_file()]
        if missing:
            raise ManifestError([InputError(str(f), None, "", "no such file") for f in missing])
        entries = [(printable(str(f)), sha256_of(f), f.stat().st_size) for f in files]
        added = register.add_assets(prod, use_case, entries)
    stdout.print(
        f"Registered {len(added)} file(s) to {use_case} ({len(files) - len(added)} already were)."
    )
