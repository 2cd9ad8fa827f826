"""Register commands: init, import, evidence (report-use, approve, consent, clear, disclose,
label, writer-disclosure, union-notice, revoke), status, diff, audit, export and restore."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clearance.cli.app import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_OPEN,
    app,
    audit_app,
    consent_app,
    input_errors,
    manifest_app,
    shown,
    stderr,
    stdout,
)
from clearance.manifest.errors import InputError, ManifestError
from clearance.perf import gc_paused
from clearance.provenance.walk import printable
from clearance.register import workspace

if TYPE_CHECKING:  # SQLAlchemy, pydantic and Rich tables: imported where a command needs them
    from rich.table import Table

    from clearance.register.evidence import AnyEvidence
    from clearance.register.store import Register


class Format(StrEnum):
    table = "table"
    json = "json"


class ClearanceKind(StrEnum):
    rights_clearance = "rights-clearance"
    legal_review = "legal-review"
    union_agreement = "union-agreement"
    tool_terms_review = "tool-terms-review"
    human_authorship = "human-authorship"


class ReplicaKind(StrEnum):
    likeness = "likeness"
    voice = "voice"
    likeness_and_voice = "likeness-and-voice"


class LabelMethod(StrEnum):
    c2pa = "c2pa"
    iptc = "iptc"
    aigc_metadata = "aigc-metadata"
    watermark = "watermark"


class EstateCapacity(StrEnum):
    executor = "executor"
    administrator = "administrator"
    heir = "heir"
    licensee = "licensee"
    representative = "representative"
    union = "union"


class UnionOutcome(StrEnum):
    pending = "pending"
    agreed = "agreed"
    no_agreement = "no-agreement"
    declined = "declined"


As = Annotated[
    str | None, typer.Option("--as", help="Who is acting (else CLEARANCE_ACTOR, config, OS user).")
]
ProductionOpt = Annotated[
    str | None,
    typer.Option(
        "--production", "-P", help="Production id (needed when the register has several)."
    ),
]
UseCases = Annotated[list[str], typer.Argument(help="Use case ids the evidence covers.")]
DateOpt = Annotated[
    str | None, typer.Option("--date", help="Date of the record (YYYY-MM-DD; default today).")
]
ExpiresOpt = Annotated[str | None, typer.Option("--expires", help="Expiry date (YYYY-MM-DD).")]
ReferenceOpt = Annotated[
    str | None, typer.Option("--reference", help="Document reference (contract no., email id).")
]
AttachOpt = Annotated[
    Path | None, typer.Option("--attach", help="File to store with the record (signed PDF, email).")
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
OnOpt = Annotated[
    str | None,
    typer.Option("--on", help="Judge expiry as of this day (YYYY-MM-DD; default today)."),
]


@contextmanager
def _opened(actor: str | None = None) -> Iterator[tuple[Register, workspace.Workspace]]:
    from clearance.register.access import open_register

    with input_errors(), open_register(actor) as opened:
        yield opened


def _production(register: Register, given: str | None) -> str:
    from clearance.register.access import pick_production

    return pick_production(register, given)


def _day(value: str | None, option: str) -> dt.date:
    """A day given as YYYY-MM-DD, nothing else (not 20250101, not a Unix time)."""
    if value is None:
        return dt.date.today()
    try:
        if len(value) != 10 or value[4] != "-" or value[7] != "-":
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ManifestError(
            [InputError(option, None, "", f"expected a date YYYY-MM-DD; got {value!r}")]
        ) from exc


def _expiry(value: str | None) -> dt.date | None:
    return None if value is None else _day(value, "--expires")


@app.command()
def init(
    directory: Annotated[
        Path, typer.Argument(help="Folder to hold .clearance/ (default: here).")
    ] = Path("."),
) -> None:
    """Create a register: DIR/.clearance/ with a SQLite database and an attachment store.

    With CLEARANCE_DATABASE_URL set (e.g. postgresql+psycopg://user@host/db), creates or
    upgrades the schema in that database instead. Safe to run again.
    """
    from sqlalchemy.exc import DBAPIError

    from clearance.register import db

    with input_errors():
        try:
            workspace.create(directory)
            ws = workspace.find(directory)
            assert ws is not None
            engine = db.connect(ws.database_url)
            try:
                if db.current_revision(engine) != db.SCHEMA_REVISION:
                    db.upgrade(engine)
            finally:
                engine.dispose()
        except (workspace.WorkspaceError, db.SchemaError) as exc:
            raise ManifestError([InputError(str(directory), None, "", str(exc))]) from exc
        except DBAPIError as exc:
            problem = f"cannot create the register: {db.problem(exc)}"
            raise ManifestError([InputError(str(directory), None, "", problem)]) from exc
        except OSError as exc:
            problem = f"cannot create the register: {exc.strerror or exc}"
            raise ManifestError([InputError(str(directory), None, "", problem)]) from exc
    stdout.print(f"Register ready: {ws.label} (attachments in {ws.attachments})", highlight=False)


@app.command("import")
def import_(
    manifest_path: Annotated[Path, typer.Argument(help="Production manifest to record.")],
    policies: Annotated[
        list[str] | None,
        typer.Option(
            "--policy",
            "--pack",
            "-p",
            help="Pack id, released version (id@version) or file instead of production.policies.",
        ),
    ] = None,
    actor: As = None,
) -> None:
    """Record a manifest's use cases and decisions. Idempotent: a changed use case gets a new
    revision, a new pack version a new decision, and an unchanged manifest writes nothing.

    The register is the source of truth: use cases this manifest (by its file name) brought
    in and no longer lists are withdrawn; use cases declared in the web app or in another
    manifest are kept. Write the register back as a manifest with `clearance manifest export`.

    Example: clearance import examples/neon-harbor/manifest.yaml
    """
    from clearance.manifest.loader import load_manifest
    from clearance.policy.engine import Engine
    from clearance.policy.registry import builtin_ids, resolve

    with _opened(actor) as (register, _ws), input_errors():
        manifest = load_manifest(
            manifest_path, known_policies=None if policies else builtin_ids("decision")
        )
        try:
            engine = Engine([resolve(p) for p in policies or manifest.production.policies])
        except ValueError as exc:  # e.g. a classifier pack where a decision pack belongs
            raise ManifestError([InputError("--policy", None, "", str(exc))]) from exc
        stderr.print(
            f"Recording {len(manifest.use_cases)} use cases of {manifest.production.id}…",
            highlight=False,
        )
        from clearance.register.importer import manifest_source

        with gc_paused():
            summary = register.import_manifest(
                manifest, engine, source=manifest_source(manifest_path.name)
            )
    stdout.print(
        f"{summary.production}: {summary.created} new, {summary.revised} revised, "
        f"{summary.unchanged} unchanged use cases; {summary.decisions} decisions recorded"
        + ("" if summary.wrote else " (nothing written)")
    )
    if summary.absent:
        stdout.print(
            "[yellow]Withdrawn (this manifest brought them in and no longer lists them; "
            "history kept):[/] " + ", ".join(summary.absent)
        )
    if summary.kept:
        stdout.print(
            "Kept (declared in the web app or another manifest, not listed here): "
            + ", ".join(summary.kept),
            highlight=False,
        )
    if summary.stale:
        stdout.print(
            "[yellow]Not changed (edited in the web app since; this manifest holds an older "
            "revision — `clearance manifest export` writes the current one):[/] "
            + ", ".join(summary.stale)
        )
    if summary.claimed:
        stdout.print(
            "Now recorded as this manifest's: " + ", ".join(summary.claimed), highlight=False
        )


#: Evidence model fields whose option is not ``--`` plus the field's name (lists take one
#: value per option; arguments are named as ``--help`` names them).
_OPTIONS = {
    "use_cases": "USE_CASES",
    "performer": "PERFORMER",
    "attachment": "--attach",
    "conditions": "--condition",
    "uses": "--use",
    "deliverables": "--deliverable",
    "territories": "--territory",
    "files": "--file",
    "writers": "--writer",
}


def _option(loc: tuple[int | str, ...]) -> str:
    """The option (or argument) a validation error's location names."""
    if not loc:
        return ""
    name = str(loc[0])
    return _OPTIONS.get(name, "--" + name.replace("_", "-"))


def _record(actor: str | None, production: str | None, build: Any, attach: Path | None) -> None:
    from pydantic import ValidationError

    with _opened(actor) as (register, _ws), input_errors():
        prod = _production(register, production)
        try:
            item: AnyEvidence = build(prod)
        except ValidationError as exc:
            raise ManifestError(
                [
                    InputError(
                        "evidence", None, _option(e["loc"]), e["msg"].removeprefix("Value error, ")
                    )
                    for e in exc.errors()
                ]
            ) from exc
        try:
            evidence_id = register.record(item, source="evidence")
        except ManifestError as exc:  # the register's checks name model fields: name options
            raise ManifestError(
                [
                    InputError(e.file, e.line, _option((e.field,)) if e.field else "", e.message)
                    for e in exc.errors
                ]
            ) from exc
    stdout.print(
        f"Recorded {item.kind} {evidence_id} for {', '.join(item.use_cases)}"
        + (f" (attached {printable(attach.name)})" if attach else "")
    )


@app.command("report-use")
def report_use(
    use_cases: UseCases,
    contact: Annotated[str, typer.Option("--contact", help="The studio contact reported to.")],
    channel: Annotated[str, typer.Option("--channel", help="email, meeting, portal, …")] = "email",
    date: DateOpt = None,
    reference: ReferenceOpt = None,
    attach: AttachOpt = None,
    production: ProductionOpt = None,
    actor: As = None,
) -> None:
    """Record that use cases were reported to the studio contact (meets report-use).

    Example: clearance report-use UC-001 UC-002 --contact "J. Park (Netflix)" --reference MAIL-118
    """
    from clearance.register.evidence import ReportUse

    _record(actor, production, lambda prod: ReportUse(
        production=prod, use_cases=use_cases, date=_day(date, "--date"), contact=contact,
        channel=channel, reference=reference, attachment=attach,
    ), attach)  # fmt: skip


@app.command()
def approve(
    use_cases: UseCases,
    approver: Annotated[str, typer.Option("--approver", help="Who approved in writing.")],
    condition: Annotated[
        list[str] | None,
        typer.Option("--condition", help="A condition of the approval (repeatable)."),
    ] = None,
    date: DateOpt = None,
    expires: ExpiresOpt = None,
    reference: ReferenceOpt = None,
    attach: AttachOpt = None,
    production: ProductionOpt = None,
    actor: As = None,
) -> None:
    """Record a written approval of use cases (meets written-approval).

    Example:

      clearance approve UC-011 --approver "Netflix legal" --condition "VFX review" --attach a.pdf
    """
    from clearance.register.evidence import Approval

    _record(actor, production, lambda prod: Approval(
        production=prod, use_cases=use_cases, date=_day(date, "--date"), expires=_expiry(expires),
        approver=approver, conditions=condition or [], reference=reference, attachment=attach,
    ), attach)  # fmt: skip


@consent_app.command("add")
def consent_add(
    performer: Annotated[str, typer.Argument(help="Talent id of the performer.")],
    use_cases: UseCases,
    replica: Annotated[
        list[ReplicaKind] | None,
        typer.Option("--replica", help="Replica kind consented to (repeatable)."),
    ] = None,
    use: Annotated[
        list[str] | None, typer.Option("--use", help="A use consented to (repeatable).")
    ] = None,
    guild_notified: Annotated[
        bool, typer.Option("--guild-notified", help="The guild was notified.")
    ] = False,
    date: DateOpt = None,
    expires: ExpiresOpt = None,
    reference: ReferenceOpt = None,
    attach: AttachOpt = None,
    production: ProductionOpt = None,
    actor: As = None,
) -> None:
    """Record a performer's documented consent for use cases (meets talent-consent for them).

    Example:

      clearance consent add ava-reyes UC-011 --replica likeness --use "de-ageing" --attach c.pdf
    """
    from clearance.register.evidence import Consent

    _record(actor, production, lambda prod: Consent(
        production=prod, use_cases=use_cases, date=_day(date, "--date"), expires=_expiry(expires),
        performer=performer, replica=[r.value for r in replica or []], uses=use or [],
        guild_notified=guild_notified, reference=reference, attachment=attach,
    ), attach)  # fmt: skip


@app.command("clear")
def clear(
    kind: Annotated[ClearanceKind, typer.Argument(help="What was cleared.")],
    use_cases: UseCases,
    by: Annotated[str, typer.Option("--by", help="Who cleared it (person, firm, union).")],
    notes: Annotated[str | None, typer.Option("--notes", help="Free text.")] = None,
    date: DateOpt = None,
    expires: ExpiresOpt = None,
    reference: ReferenceOpt = None,
    attach: AttachOpt = None,
    production: ProductionOpt = None,
    actor: As = None,
) -> None:
    """Record a rights clearance, legal review, union agreement, tool terms review or
    human-authorship record for use cases.

    Example: clearance clear legal-review UC-009 --by "Harbor Legal LLP" --reference HL-2291
    """
    from clearance.register.evidence import Clearance

    _record(actor, production, lambda prod: Clearance(
        production=prod, use_cases=use_cases, date=_day(date, "--date"), expires=_expiry(expires),
        kind=kind.value, by=by, notes=notes, reference=reference, attachment=attach,
    ), attach)  # fmt: skip


def _codes(values: list[str] | None) -> list[str]:
    """Territory codes given repeatedly or comma-separated (``--territory EU,US-NY``)."""
    return [code for value in values or [] for code in value.split(",") if code.strip()]


@app.command()
def disclose(
    use_cases: UseCases,
    form: Annotated[
        str,
        typer.Option(
            "--form", help="Form of the notice: on-screen label, lower third, end card, …"
        ),
    ],
    placement: Annotated[
        str, typer.Option("--placement", help="Where and when it appears (first exposure).")
    ],
    text: Annotated[str, typer.Option("--text", help="The words shown or spoken, or the icon.")],
    deliverable: Annotated[
        list[str],
        typer.Option("--deliverable", help="Deliverable, version or file it is on (repeatable)."),
    ],
    territory: Annotated[
        list[str],
        typer.Option("--territory", help="Market it covers: FR, EU, US-NY … (repeatable, or a,b)."),
    ],
    approver: Annotated[str, typer.Option("--approver", help="Who approved the disclosure.")],
    date: DateOpt = None,
    reference: ReferenceOpt = None,
    attach: AttachOpt = None,
    production: ProductionOpt = None,
    actor: As = None,
) -> None:
    """Record how the audience is told that content is AI-made (meets disclose-ai): the form
    and placement the rule asks for, the text or icon, the deliverables and markets it
    covers, and who approved it; --reference names the approved artwork or cue.

    Example:

      clearance disclose UC-020 --form "on-screen label" --placement "lower left, first 5 s" \\
      --text "Généré par IA" --deliverable EP101-v3 --territory FR --approver "M. Roy (post)"
    """
    from clearance.register.evidence import Disclosure

    _record(actor, production, lambda prod: Disclosure(
        production=prod, use_cases=use_cases, date=_day(date, "--date"), form=form,
        placement=placement, text=text, deliverables=deliverable, territories=_codes(territory),
        approver=approver, reference=reference, attachment=attach,
    ), attach)  # fmt: skip


@app.command()
def label(
    use_cases: UseCases,
    file: Annotated[
        list[str],
        typer.Option("--file", help="Delivered file or asset id that carries it (repeatable)."),
    ],
    method: Annotated[
        list[LabelMethod], typer.Option("--method", help="How it is labelled (repeatable).")
    ],
    verified_by: Annotated[
        str,
        typer.Option("--verified-by", help="A recorded scan's id (SC-…), or who checked it."),
    ],
    platform_ref: Annotated[
        str | None,
        typer.Option("--platform-ref", help="The platform's AI-content declaration reference."),
    ] = None,
    territory: Annotated[
        list[str] | None,
        typer.Option("--territory", help="Market it was done for (repeatable; default: any)."),
    ] = None,
    date: DateOpt = None,
    reference: ReferenceOpt = None,
    attach: AttachOpt = None,
    production: ProductionOpt = None,
    actor: As = None,
) -> None:
    """Record that delivered files carry a machine-readable AI label (meets ai-label): which
    files, by which method (c2pa, iptc, aigc-metadata, watermark), verified by a recorded
    scan or a person, and the platform declaration where the platform asks for one.

    Example:

      clearance label UC-020 --file EP101-v3.mov --method c2pa --method aigc-metadata \\
      --verified-by SC-1A2B3C4D5E --platform-ref "Douyin AIGC 88-123" --territory CN
    """
    from clearance.register.evidence import Labelling

    _record(actor, production, lambda prod: Labelling(
        production=prod, use_cases=use_cases, date=_day(date, "--date"), files=file,
        method=[m.value for m in method], verified_by=verified_by, platform_ref=platform_ref,
        territories=_codes(territory), reference=reference, attachment=attach,
    ), attach)  # fmt: skip


@app.command("writer-disclosure")
def writer_disclosure(
    use_cases: UseCases,
    writer: Annotated[
        list[str], typer.Option("--writer", help="A writer who was told (repeatable).")
    ],
    material: Annotated[
        str, typer.Option("--material", help="The material handed over, as identified to them.")
    ],
    channel: Annotated[str, typer.Option("--channel", help="email, letter, cover note, …")] = (
        "email"
    ),
    date: DateOpt = None,
    reference: ReferenceOpt = None,
    attach: AttachOpt = None,
    production: ProductionOpt = None,
    actor: As = None,
) -> None:
    """Record that writers given GenAI material were told so in writing when it was handed
    over (meets writer-disclosure); --date is the day they were told.

    Example:

      clearance writer-disclosure UC-030 --writer "Dana Ruiz" --material "Pilot treatment v2" \\
      --channel email --reference "MAIL-2291"
    """
    from clearance.register.evidence import WriterDisclosure

    _record(actor, production, lambda prod: WriterDisclosure(
        production=prod, use_cases=use_cases, date=_day(date, "--date"), writers=writer,
        material=material, channel=channel, reference=reference, attachment=attach,
    ), attach)  # fmt: skip


@app.command("union-notice")
def union_notice(
    use_cases: UseCases,
    union: Annotated[str, typer.Option("--union", help="The union notified (SAG-AFTRA, …).")],
    outcome: Annotated[
        UnionOutcome, typer.Option("--outcome", help="Outcome of any bargaining so far.")
    ] = UnionOutcome.pending,
    notes: Annotated[str | None, typer.Option("--notes", help="Free text.")] = None,
    date: Annotated[
        str | None, typer.Option("--date", help="Date the notice was sent (default today).")
    ] = None,
    reference: ReferenceOpt = None,
    attach: AttachOpt = None,
    production: ProductionOpt = None,
    actor: As = None,
) -> None:
    """Record that the union was notified of the use before it was made, with the chance to
    bargain (meets union-notice); record it again when the outcome is known.

    Example: clearance union-notice UC-040 --union SAG-AFTRA --date 2027-02-01 --reference N-17
    """
    from clearance.register.evidence import UnionNotice

    _record(actor, production, lambda prod: UnionNotice(
        production=prod, use_cases=use_cases, date=_day(date, "--date"), union=union,
        outcome=outcome.value, notes=notes, reference=reference, attachment=attach,
    ), attach)  # fmt: skip


@consent_app.command("estate")
def consent_estate(
    performer: Annotated[str, typer.Argument(help="Talent id of the deceased performer.")],
    use_cases: UseCases,
    party: Annotated[str, typer.Option("--party", help="Who consented for the estate.")],
    capacity: Annotated[EstateCapacity, typer.Option("--capacity", help="In what capacity.")],
    replica: Annotated[
        list[ReplicaKind] | None,
        typer.Option("--replica", help="Replica kind consented to (repeatable)."),
    ] = None,
    use: Annotated[
        list[str] | None, typer.Option("--use", help="A use consented to (repeatable).")
    ] = None,
    date: DateOpt = None,
    expires: ExpiresOpt = None,
    reference: ReferenceOpt = None,
    attach: AttachOpt = None,
    production: ProductionOpt = None,
    actor: As = None,
) -> None:
    """Record the written consent of whoever controls a deceased performer's rights (meets
    estate-consent for that performer): executor, administrator, heir, licensee of the
    estate, the performer's representative, or the union when none can be identified.

    Example:

      clearance consent estate lena-hart UC-050 --party "J. Hart" --capacity executor \\
      --replica likeness-and-voice --use "cameo, episode 4" --attach estate-consent.pdf
    """
    from clearance.register.evidence import EstateConsent

    _record(actor, production, lambda prod: EstateConsent(
        production=prod, use_cases=use_cases, date=_day(date, "--date"), expires=_expiry(expires),
        performer=performer, party=party, capacity=capacity.value,
        replica=[r.value for r in replica or []], uses=use or [], reference=reference,
        attachment=attach,
    ), attach)  # fmt: skip


@app.command()
def revoke(
    evidence_id: Annotated[str, typer.Argument(help="Evidence id, e.g. EV-3F2A9C01D4.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is withdrawn.")],
    actor: As = None,
) -> None:
    """Revoke a consent, approval or clearance: what depended on it is no longer cleared."""
    with _opened(actor) as (register, _ws), input_errors():
        row = register.revoke(evidence_id, reason)
    stdout.print(f"Revoked {evidence_id} ({row['kind']}, {', '.join(json.loads(row['scope']))})")


@app.command()
def status(
    production: ProductionOpt = None,
    on: OnOpt = None,
    output_format: FormatOpt = Format.table,
    open_only: Annotated[
        bool, typer.Option("--open", help="Only use cases with open obligations.")
    ] = False,
    show_all: Annotated[
        bool, typer.Option("--all", help="Table: every use case and obligation, not a summary.")
    ] = False,
    limit: Annotated[
        int, typer.Option("--limit", help="Table: how many open use cases to list.", min=0)
    ] = 25,
) -> None:
    """Per use case: its outcome, each obligation with the evidence that meets it or why not,
    and who must act next. Exit code 1 when some obligation is open.

    The table summarises (counts by outcome, open obligations by kind, who must act on how
    many) and lists the first --limit use cases with open obligations; --all lists every use
    case and obligation; --format json gives everything, for machines.

    Example: clearance status --on 2027-03-01 --format json
    """
    from clearance.policy.decision import dumps
    from clearance.register import queries
    from clearance.register.status import status_json, summarise

    with _opened() as (register, _ws), input_errors():
        prod = _production(register, production)
        day = _day(on, "--on")
        with register.read() as conn, gc_paused():
            states = queries.status(conn, prod, day, register.store)
    with gc_paused():  # tens of thousands of small objects, none of them garbage
        shown = [s for s in states if not (open_only and s.cleared)]
        summary = summarise(states)
        if output_format is Format.json:
            payload = {
                "format": "clearance.status/1",
                "production": prod,
                "on": day.isoformat(),
                "summary": summary,
                "use_cases": [status_json(s) for s in shown],
            }
            sys.stdout.write(dumps(payload))
    if output_format is Format.json:
        pass
    elif show_all:
        stdout.print(_status_table(prod, day, shown))
        stdout.print(f"{summary['cleared']} of {len(states)} use cases cleared.")
    else:
        _status_summary(prod, day, summary, [s for s in shown if not s.cleared], limit)
    raise typer.Exit(EXIT_OK if summary["cleared"] == len(states) else EXIT_OPEN)


def _status_table(prod: str, day: dt.date, shown: list[Any]) -> Table:
    from rich.table import Table
    from rich.text import Text

    from clearance.reports.check import OUTCOME_STYLE, outcome_label

    table = Table(title=f"{prod} — obligations as of {day.isoformat()}", title_justify="left")
    table.add_column("Use case", no_wrap=True)
    table.add_column("Outcome", no_wrap=True)
    table.add_column("Obligation", no_wrap=True)
    table.add_column("State", ratio=3, min_width=16)  # what is met: never squeezed away
    table.add_column("Next", ratio=1, min_width=10)  # "post supervisor / distribution" wraps
    for s in shown:
        for i, state in enumerate(s.obligations):
            table.add_row(
                f"{s.id} r{s.revision}" if i == 0 else "",
                Text(outcome_label(s.outcome), OUTCOME_STYLE[s.outcome]) if i == 0 else "",
                state.obligation,
                Text(
                    ("✓ " + ", ".join(state.evidence) + " ") if state.met else "○ ",
                    "green" if state.met else "red",
                )
                + Text("" if state.why == "met" else state.why, "dim"),
                state.next or "",
            )
    return table


def _status_summary(
    prod: str, day: dt.date, summary: dict[str, Any], open_cases: list[Any], limit: int
) -> None:
    """The terminal's default: what a GenAI lead reads first, in bounded time and space."""
    from rich.table import Table

    outcomes = summary["outcomes"]
    stdout.print(
        f"[bold]{prod}[/] — as of {day.isoformat()}: {summary['use_cases']} use cases "
        f"({outcomes['proceed']} proceed, {outcomes['judgment']} judgment, "
        f"{outcomes['escalate']} escalate); [green]{summary['cleared']} cleared[/], "
        f"{summary['use_cases'] - summary['cleared']} with obligations open.",
        highlight=False,
    )
    if summary["open_by_obligation"]:
        table = Table(title="Open obligations", title_justify="left")
        table.add_column("Obligation", no_wrap=True)
        table.add_column("Use cases", justify="right")
        for obligation, count in summary["open_by_obligation"].items():
            table.add_row(obligation, f"{count:,}")
        stdout.print(table)
        waiting = Table(title="Who must act", title_justify="left")
        waiting.add_column("Next to act", no_wrap=True)
        waiting.add_column("Use cases", justify="right")
        for actor, count in summary["waiting_on"].items():
            waiting.add_row(actor, f"{count:,}")
        stdout.print(waiting)
    if open_cases and limit:
        stdout.print(_status_table(prod, day, open_cases[:limit]))
    if len(open_cases) > limit:
        stdout.print(
            f"… and {len(open_cases) - limit:,} more use cases with obligations open: "
            "--limit N, --all, or --format json for every one.",
            highlight=False,
        )
    stdout.print(f"{summary['cleared']} of {summary['use_cases']} use cases cleared.")


@app.command()
def diff(
    production: ProductionOpt = None,
    on: OnOpt = None,
    output_format: FormatOpt = Format.table,
) -> None:
    """What changed in the last re-decision of each use case: outcome, obligations, and
    which obligations recorded evidence no longer (or not yet) covers."""
    from rich.table import Table
    from rich.text import Text

    from clearance.policy.decision import dumps
    from clearance.register import queries

    with _opened() as (register, _ws), input_errors():
        prod = _production(register, production)
        with register.read() as conn:
            changes = queries.diff(conn, prod, _day(on, "--on"), register.store)
    if output_format is Format.json:
        sys.stdout.write(
            dumps({"format": "clearance.diff/1", "production": prod, "changes": changes})
        )
        return
    table = Table(title=f"{prod} — changed decisions", title_justify="left")
    for column in (
        "Use case",
        "Revision",
        "Outcome",
        "Obligations added",
        "removed",
        "Not covered now",
    ):
        table.add_column(column)
    for c in changes:
        table.add_row(
            c.id,
            f"r{c.from_revision} → r{c.to_revision}" + _why(c.from_packs, c.to_packs),
            f"{c.from_outcome} → {c.to_outcome}",
            ", ".join(c.added) or "—",
            ", ".join(c.removed) or "—",
            Text(", ".join(c.uncovered) or "—", "red" if c.uncovered else ""),
        )
    stdout.print(table)


def _why(before: str, after: str) -> str:
    """What made a new decision of the same revision: new packs, or (after ";") a changed
    list of protected names."""
    old_packs, _, old_names = before.partition(";")
    new_packs, _, new_names = after.partition(";")
    if old_packs != new_packs:
        return " (new pack)"
    return " (names changed)" if old_names != new_names else ""


ExpectHeadOpt = Annotated[
    str | None,
    typer.Option(
        "--expect-head",
        help="The audit head hash kept elsewhere (printed by `export`, `audit verify`): "
        "refuse a trail that does not end there (truncated, or rewritten and re-chained).",
    ),
]


@audit_app.command("verify")
def audit_verify(
    output_format: FormatOpt = Format.table, expect_head: ExpectHeadOpt = None
) -> None:
    """Re-walk the hash chain and re-digest every row: exit 1 on any edit, insertion or
    deletion made outside the register, or a missing/altered attachment."""
    from clearance.policy.decision import dumps
    from clearance.register import attachments, audit

    with _opened() as (register, _ws), register.read(snapshot=True) as conn:
        result = audit.verify(conn, register.store)
    if expect_head is not None and expect_head.strip().lower() != result.head_hash:
        result.problems.append(
            f"the trail ends at head {result.head_hash}, not at the expected {expect_head}: "
            "events were removed, or the chain was rewritten"
        )
    ok = not result.problems
    leftovers = [str(p) for p in attachments.leftovers(register.store)]
    if output_format is Format.json:
        payload = {"format": "clearance.audit-verify/1", "ok": ok, "events": result.events}
        payload["head"] = result.head_hash
        payload["problems"] = result.problems
        payload["leftovers"] = leftovers
        sys.stdout.write(dumps(payload))
    elif result.problems:
        stdout.print(f"[bold red]Audit trail FAILED[/] ({result.events} events):")
        for problem in result.problems:
            stdout.print(f"  {problem}", highlight=False, soft_wrap=True)
    else:
        stdout.print(
            f"[green]Audit trail intact[/]: {result.events} events, head {result.head_hash}",
            highlight=False,
        )
    if leftovers and output_format is not Format.json:
        stdout.print(
            f"[yellow]Note:[/] {len(leftovers)} temporary file(s) of interrupted attachment "
            "copies in the store (not evidence; removed automatically after 6 hours): "
            + ", ".join(shown(p) for p in leftovers[:5]),
            highlight=False,
        )
    raise typer.Exit(EXIT_OK if ok else EXIT_OPEN)


@audit_app.command("log")
def audit_log(
    production: Annotated[str | None, typer.Option("--production", "-P")] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="Subject contains this text.")
    ] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="Action starts with this text.")
    ] = None,
    actor: Annotated[str | None, typer.Option("--actor")] = None,
    limit: Annotated[int, typer.Option("--limit", min=0, max=1_000_000_000)] = 50,
    output_format: FormatOpt = Format.table,
) -> None:
    """Show the history of the register, newest last, with filters."""
    from rich.table import Table

    from clearance.policy.decision import dumps
    from clearance.register import queries

    with _opened() as (register, _ws), register.read() as conn:
        if production is not None:
            with input_errors():
                from clearance.register.access import choose_production

                choose_production(queries.productions(conn), production)
        events = queries.audit_log(conn, production, subject, action, actor, limit)
    if output_format is Format.json:
        sys.stdout.write(dumps(events))
        return
    table = Table(title="Audit log", title_justify="left")
    for column in ("#", "At (UTC)", "Actor", "Action", "Subject"):
        table.add_column(column)
    for e in events:
        table.add_row(str(e["seq"]), e["at"][:19], e["actor"], e["action"], e["subject"])
    stdout.print(table)


@app.command("export")
def export(
    output: Annotated[Path, typer.Option("--output", "-o", help="A .zip file, or a folder.")],
) -> None:
    """Write the whole register (JSON plus attachments) to a zip or a folder."""
    from clearance.register import transfer

    with _opened() as (register, _ws), register.read(snapshot=True) as conn:
        try:
            counts, head = transfer.export(conn, register.store, output)
        except transfer.TransferError as exc:
            stderr.print(f"[bold red]error:[/] {shown(str(exc))}", highlight=False)
            raise typer.Exit(EXIT_INPUT) from exc
    stdout.print(
        f"Exported to {shown(str(output))}: " + ", ".join(f"{n} {t}" for t, n in counts.items()),
        highlight=False,
    )
    stdout.print(
        f"Audit head: {head['hash']} (event {head['seq']}). Keep it apart from the export: "
        "`clearance restore --expect-head HASH` refuses an export truncated or rewritten since.",
        highlight=False,
    )


@app.command("restore")
def restore(
    source: Annotated[Path, typer.Argument(help="An export (.zip or folder).")],
    expect_head: ExpectHeadOpt = None,
) -> None:
    """Load an export into an empty register (after `clearance init`), then verify the audit
    trail: an export whose rows do not match their trail is refused and nothing is kept.
    With --expect-head, an export whose trail does not end at that hash is refused too."""
    from clearance.register import transfer

    with _opened() as (register, _ws):
        try:
            with register.write() as conn:
                counts = transfer.restore(conn, register.store, source, expect_head)
        except transfer.TransferError as exc:
            stderr.print(f"[bold red]error:[/] {shown(str(exc))}", highlight=False)
            raise typer.Exit(EXIT_INPUT) from exc
    stdout.print(
        f"Restored from {source}: " + ", ".join(f"{n} {t}" for t, n in counts.items()),
        highlight=False,
    )


class ManifestFormat(StrEnum):
    yaml = "yaml"
    json = "json"


@manifest_app.command("export")
def manifest_export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (.yaml, .yml or .json).")
    ] = None,
    output_format: Annotated[
        ManifestFormat | None, typer.Option("--format", "-f", help="Default: from the suffix.")
    ] = None,
    production: ProductionOpt = None,
) -> None:
    """Write the production's current use cases — imported from any manifest or declared in
    the web app — as one valid manifest (tools, talent and policies included), so the file
    and the register agree again. Withdrawn use cases are left out.

    Example: clearance manifest export -o manifest.yaml && clearance import manifest.yaml
    """
    from clearance.cli.files import check_writable, write_atomically
    from clearance.register.manifest_export import production_manifest

    with _opened() as (register, _ws), input_errors():
        if output is not None:
            check_writable(output)
        prod = _production(register, production)
        with register.read(snapshot=True) as conn:
            data = production_manifest(conn, prod)
        fmt = output_format or (
            ManifestFormat.json
            if output is not None and output.suffix.lower() == ".json"
            else ManifestFormat.yaml
        )
        text = _manifest_text(data, fmt, prod)
        if output is None:
            sys.stdout.write(text)
        else:
            write_atomically(output, lambda f: f.write(text.encode()))
    if output is not None:
        count = len(data["use_cases"])
        stderr.print(f"Wrote {count} use cases of {prod} to {output}.", highlight=False)


def _manifest_text(data: dict[str, Any], fmt: ManifestFormat, production: str) -> str:
    if fmt is ManifestFormat.json:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    import yaml

    header = (
        f"# {production}: written by `clearance manifest export` from the register on "
        f"{dt.date.today().isoformat()}.\n"
    )
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return header + body
