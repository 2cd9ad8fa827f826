"""What the web app's writes do, shared by pages and API: intake steps, declaring a use case,
reviews, and the report and cue-sheet downloads. Decisions come from the packs (through the
intake session and the importer, with the register's protected names), never from here."""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from fastapi import HTTPException
from pydantic import ValidationError
from sqlalchemy import select

from clearance.manifest.errors import ManifestError
from clearance.manifest.models import Manifest
from clearance.policy.engine import Engine
from clearance.policy.intake.session import IntakeError, IntakeSession
from clearance.policy.registry import resolve
from clearance.register import importer, manifest_export, queries, schema
from clearance.register.accounts import Accounts, ReviewDecision, Role, declarers
from clearance.register.evidence import MODELS, AnyEvidence, Clearance, ReportUse
from clearance.web.data import members as data_members
from clearance.web.deps import Context


def production_manifest(ctx: Context, production: str) -> Manifest:
    """The production as a manifest with no use cases: its context, packs, and the tools and
    talent its current use cases declare (the registries the intake chooses from) — the same
    reconstruction as ``clearance manifest export``."""
    with ctx.register.read(snapshot=True) as db:
        try:
            data = manifest_export.production_manifest(db, production, use_cases=False)
        except LookupError as exc:
            raise HTTPException(404, "no such production") from exc
    return Manifest.model_validate(data)


def session(ctx: Context, production: str, answers: dict[str, Any]) -> IntakeSession:
    manifest = production_manifest(ctx, production)
    packs = [resolve(p) for p in manifest.production.policies]
    intake = IntakeSession(packs, manifest)
    for fact, value in answers.items():
        if value is None or value == "":
            continue
        try:
            intake.answer(fact, value)
        except IntakeError as exc:
            raise HTTPException(422, str(exc)) from exc
    return intake


def question_json(intake: IntakeSession) -> dict[str, Any] | None:
    question = intake.next_question()
    if question is None:
        return None
    return {
        "id": question.id,
        "fact": question.fact,
        "text": question.text,
        "help": question.help,
        "examples": list(question.examples),
        "multiple": question.multiple,
        "answers": [
            {"value": a.value, "label": a.label, "help": a.help} for a in intake.choices(question)
        ],
    }


def intake_step(ctx: Context, production: str, answers: dict[str, Any]) -> dict[str, Any]:
    intake = session(ctx, production, answers)
    provisional = intake.decision_so_far()
    return {
        "question": question_json(intake),
        "answers": {k: list(v) if isinstance(v, tuple) else v for k, v in intake.answers.items()},
        "provisional": {
            "outcome": provisional.outcome,
            "obligations": list(provisional.obligations),
            "could_reach": provisional.could_reach,
            "settled": provisional.settled,
            "fired": list(provisional.fired),
        },
    }


def _decided(
    ctx: Context,
    production: str,
    uc_id: str,
    title: str,
    description: str | None,
    answers: dict[str, Any],
) -> tuple[Manifest, Engine, Any]:
    """The settled intake as a one-use-case manifest, its engine and the use case (422 while
    a question is open or the answers do not make a valid use case)."""
    intake = session(ctx, production, answers)
    pending = intake.next_question()
    if pending is not None:
        raise HTTPException(422, f"not finished: answer {pending.fact}")
    try:
        use_case = intake.use_case(uc_id, title, description)
        data = intake.manifest.model_copy(update={"use_cases": [use_case]})
        manifest = Manifest.model_validate(data.model_dump(mode="json"))
        engine = Engine([resolve(p) for p in manifest.production.policies])
    except (IntakeError, ManifestError, ValueError) as exc:
        raise HTTPException(422, str(exc)) from exc
    return manifest, engine, use_case


def _revision(ctx: Context, production: str, uc_id: str) -> int | None:
    with ctx.register.read() as db:
        return queries.use_case_revision(db, production, uc_id)


def declare(
    ctx: Context,
    production: str,
    uc_id: str,
    title: str,
    description: str | None,
    answers: dict[str, Any],
) -> dict[str, Any]:
    """Decide and record a new use case (a partial import: other use cases are untouched)."""
    manifest, engine, use_case = _decided(ctx, production, uc_id, title, description, answers)
    if _revision(ctx, production, uc_id) is not None:
        raise HTTPException(409, f"use case {uc_id} already exists in {production}")
    # Declaring here reports the use to the studio (its reviewers work from this queue): the
    # report-use evidence is recorded with the use case, in the same transaction.
    report = ReportUse(
        production=production,
        use_cases=[uc_id],
        date=dt.date.today(),
        contact="studio reviewers (clearance review queue)",
        channel="clearance web",
        reference=f"declared by {ctx.who.user.username}",
    )
    try:
        with ctx.register.write() as db:
            importer.import_manifest(db, ctx.register.actor, manifest, engine, partial=True)
            names = importer.prompt_names(db, engine, production)
            ctx.register.record_in(db, report, "intake")
    except (ManifestError, ValueError) as exc:
        raise HTTPException(422, str(exc)) from exc
    # What was recorded: decided with the register's protected names, as check and import do.
    decision = engine.decide(manifest, use_case, names=names)
    return {"id": uc_id, "outcome": decision.outcome, "obligations": list(decision.obligations)}


def review(
    ctx: Context,
    production: str,
    uc_id: str,
    decision: str,
    comment: str,
    conditions: list[str],
    expires: dt.date | None,
) -> dict[str, Any]:
    try:
        if decision not in ("approved", "changes-requested", "denied"):
            raise Problems([("decision", "choose one: approve, request changes or deny")])
        verdict: ReviewDecision = decision  # type: ignore[assignment]
        if verdict == "approved":
            with ctx.register.read() as db:
                if ctx.who.user.username in declarers(db, production, uc_id):
                    raise Problems(
                        [("decision", f"you declared {uc_id}: another reviewer approves it")], 403
                    )
        row = Accounts(ctx.register).review(
            production, uc_id, verdict, comment, conditions, expires
        )
        # As the use case shows reviews: conditions a list, not their stored JSON text.
        return {**row, "conditions": json.loads(row["conditions"])}
    except ManifestError as exc:
        if any(e.field == "use_case" for e in exc.errors):
            raise HTTPException(404, "no such use case") from exc
        raise Problems([(e.field, e.message) for e in exc.errors]) from exc
    except ValidationError as exc:  # the approval's own checks (expiry before its date, …)
        problems = _validation_problems(exc)
        raise Problems([(f or "expires", m) for f, m in problems]) from exc


def cuesheet(ctx: Context, production: str, cut: str | None = None) -> Any:
    """The cue sheet of the production's cut ``cut`` (its only cut when ``None``), built by
    the same library function as ``clearance cuesheet --cut``. 404 when there is no such
    cut; 422 when the registered edit or media can no longer be read."""
    from clearance.editorial import compose
    from clearance.register import cuts

    with ctx.register.read() as db:
        try:
            found = cuts.find(db, production, cut)
        except ManifestError as exc:
            raise HTTPException(404, exc.errors[0].message) from exc
    try:
        return compose.production_cuesheet(
            ctx.register,
            production,
            found.source,
            ctx.on,
            compose.scanner(1, ctx.settings.scan_cache),
        )
    except ManifestError as exc:
        raise HTTPException(422, [str(e) for e in exc.errors]) from exc


def cuesheet_bytes(ctx: Context, production: str, fmt: str, cut: str | None = None) -> bytes:
    from clearance.reports import cuesheet as writers

    sheet = cuesheet(ctx, production, cut)
    out = io.BytesIO()
    writers.write(sheet, out, fmt)
    return out.getvalue()


def report_html(ctx: Context, production: str, cut: str | None = None) -> str:
    """The delivery report; with the cue sheet of ``cut``, or of the production's only cut
    when it has exactly one."""
    from clearance.register import cuts
    from clearance.reports.delivery import render_html
    from clearance.reports.delivery_data import gather

    if cut is None:
        with ctx.register.read() as db:
            registered = cuts.listed(db, production)
        cut = registered[0].name if len(registered) == 1 else None
    sheet = cuesheet(ctx, production, cut) if cut is not None else None
    with ctx.register.read(snapshot=True) as db:
        return render_html(gather(db, production, ctx.store, ctx.on, sheet))


def cut_names(ctx: Context, production: str) -> list[dict[str, Any]]:
    """The production's cuts as members see them (name, edit file name, rate, added)."""
    from clearance.register import cuts

    with ctx.register.read() as db:
        return [
            {
                "name": c.name,
                "edit": c.source.edit.name,
                "rate": c.source.rate,
                "added_at": c.added_at,
                "added_by": c.added_by,
            }
            for c in cuts.listed(db, production)
        ]


def grant(ctx: Context, production: str, username: str, role: str) -> dict[str, Any]:
    """A production admin gives an existing account a role in their production."""
    try:
        Accounts(ctx.register).grant(username, production, role)
    except ManifestError as exc:
        raise HTTPException(422, [e.message for e in exc.errors]) from exc
    return {"username": username, "production": production, "role": role}


# -- evidence ------------------------------------------------------------------------------------

#: Who records which kind of evidence. A contributor only reports their use: everything that
#: clears a use case (approvals, consents, reviews, clearances) is the studio's to record —
#: talent relations and legal are given the reviewer role.
EVIDENCE_ROLE: dict[str, Role] = {
    "report-use": "contributor",
    "written-approval": "reviewer",
    "talent-consent": "reviewer",
    "legal-review": "reviewer",
    "rights-clearance": "reviewer",
    "union-agreement": "reviewer",
    "tool-terms-review": "reviewer",
    "human-authorship": "reviewer",
    # Wave 2 (manifest v1.1): disclosures, labels, notices and an estate's consent clear
    # obligations too, so the studio records them (post, producers, labour relations).
    "disclose-ai": "reviewer",
    "ai-label": "reviewer",
    "writer-disclosure": "reviewer",
    "estate-consent": "reviewer",
    "union-notice": "reviewer",
}
EVIDENCE_KINDS = tuple(EVIDENCE_ROLE)
MAX_ATTACHMENT = 50 * 1024 * 1024  # a signed PDF or an e-mail, not a rushes reel


class Problems(HTTPException):
    """Invalid input, field by field (``detail``: ``[{"field", "message"}]``), so a form can
    show each message beside its field and the API can list them all."""

    def __init__(self, problems: list[tuple[str, str]], status: int = 422) -> None:
        super().__init__(status, [{"field": f, "message": m} for f, m in problems])
        self.problems = problems

    @property
    def by_field(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for field, message in self.problems:
            found[field] = (found.get(field, "") + " " + message).strip()
        return found


def _validation_problems(exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for e in exc.errors(include_url=False, include_context=False):
        loc = [str(part) for part in e["loc"] if not isinstance(part, int)]
        out.append((loc[0] if loc else "", str(e["msg"])))
    return out


@dataclass
class Upload:
    """An uploaded attachment: its original name and an open binary file."""

    name: str
    file: BinaryIO


def _safe_name(name: str) -> str:
    """The uploaded file's own name (no folders), kept as the attachment's name."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    base = "".join(c for c in base if c.isprintable())[:200].lstrip(".")
    return base or "attachment"


def record_evidence(
    ctx: Context,
    production: str,
    kind: str,
    use_cases: list[str],
    fields: dict[str, Any],
    upload: Upload | None = None,
) -> str:
    """Record one piece of evidence, with its attachment stored by content exactly as
    ``clearance … --attach`` stores it (``Register.record``). Checks the caller's role for
    the kind, and that nobody clears a use case they declared."""
    if kind not in EVIDENCE_ROLE:
        raise Problems([("kind", f"expected one of {', '.join(EVIDENCE_KINDS)}, got {kind!r}")])
    ctx.member(production, EVIDENCE_ROLE[kind])
    fixed = {"production", "use_cases", "kind", "attachment"} & fields.keys()
    if fixed:
        raise Problems([(f, "may not be set here") for f in sorted(fixed)])
    if kind != "report-use":
        with ctx.register.read() as db:
            own = [u for u in use_cases if ctx.who.user.username in declarers(db, production, u)]
        if own:
            raise Problems(
                [("use_cases", f"you declared {', '.join(own)}: someone else records its {kind}")],
                status=403,
            )
    model: type[AnyEvidence] = MODELS.get(kind, Clearance)
    with tempfile.TemporaryDirectory(prefix="clearance-upload-") as folder:
        attachment = None
        if upload is not None:
            attachment = Path(folder) / _safe_name(upload.name)
            size = 0
            with attachment.open("wb") as out:
                while chunk := upload.file.read(1 << 20):
                    size += len(chunk)
                    if size > MAX_ATTACHMENT:
                        raise Problems(
                            [("attachment", f"over {MAX_ATTACHMENT // (1024 * 1024)} MiB")], 413
                        )
                    out.write(chunk)
        try:
            item = model.model_validate(
                {
                    "production": production,
                    "use_cases": use_cases,
                    "kind": kind,
                    **fields,
                    **({"attachment": attachment} if attachment else {}),
                }
            )
            return ctx.register.record(item, "web")
        except ValidationError as exc:
            raise Problems(_validation_problems(exc)) from exc
        except ManifestError as exc:
            raise Problems([(e.field, e.message) for e in exc.errors]) from exc


def revoke_evidence(ctx: Context, production: str, evidence_id: str, reason: str) -> dict[str, Any]:
    """Revoke evidence of this production (a reviewer's act, with a reason: it is audited)."""
    ctx.member(production, "reviewer")
    reason = reason.strip()
    if not reason:
        raise Problems([("reason", "say why it is revoked")])
    if len(reason) > 1000:
        raise Problems([("reason", "at most 1000 characters")])
    with ctx.register.read() as db:
        row = db.execute(
            select(schema.evidence.c.production_id).where(schema.evidence.c.id == evidence_id)
        ).first()
    if row is None or row.production_id != production:
        raise HTTPException(404, "no such evidence")
    try:
        after = ctx.register.revoke(evidence_id, reason)
    except ManifestError as exc:
        raise Problems([("evidence", e.message) for e in exc.errors], 409) from exc
    return {"id": evidence_id, "revoked_at": after["revoked_at"], "reason": reason}


# -- revising a use case -------------------------------------------------------------------------


def answers_of(ctx: Context, production: str, uc_id: str) -> tuple[dict[str, Any], str, str]:
    """The current revision's intake answers, title and description: the edit form starts
    from what was declared."""
    with ctx.register.read(snapshot=True) as db:
        body = queries.use_case_bodies(db, production, [uc_id]).get(uc_id)
    if body is None:
        raise HTTPException(404, "no such use case")
    use_case = body.get("use_case", {})
    facts = session(ctx, production, {}).questions
    answers: dict[str, Any] = {}
    for question in facts:
        node: Any = use_case
        for part in question.fact.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            answers[question.fact] = node
    return answers, str(use_case.get("title", "")), str(use_case.get("description") or "")


def revise(
    ctx: Context,
    production: str,
    uc_id: str,
    title: str,
    description: str | None,
    answers: dict[str, Any],
) -> dict[str, Any]:
    """A new revision of a use case from edited answers, through the importer as declaring
    does: the decision is recomputed, and a use case with changes requested is back in the
    review queue (reviews belong to the revision they were made on)."""
    before = _revision(ctx, production, uc_id)
    if before is None:
        raise HTTPException(404, "no such use case")
    manifest, engine, use_case = _decided(ctx, production, uc_id, title, description, answers)
    try:
        with ctx.register.write() as db:
            importer.import_manifest(db, ctx.register.actor, manifest, engine, partial=True)
            names = importer.prompt_names(db, engine, production)
    except (ManifestError, ValueError) as exc:
        raise HTTPException(422, str(exc)) from exc
    decision = engine.decide(manifest, use_case, names=names)  # as recorded (see declare)
    revision = _revision(ctx, production, uc_id)
    return {
        "id": uc_id,
        "revision": revision,
        "changed": revision != before,
        "outcome": decision.outcome,
        "obligations": list(decision.obligations),
    }


# -- accounts ------------------------------------------------------------------------------------


def _account_problem(exc: ManifestError, status: int = 422) -> HTTPException:
    return Problems([(e.field, e.message) for e in exc.errors], status)


def leave(ctx: Context, production: str, username: str) -> dict[str, Any]:
    """An admin takes a member's role away (not the last admin's)."""
    try:
        Accounts(ctx.register).leave(username, production)
    except ManifestError as exc:
        raise _account_problem(exc) from exc
    return {"username": username, "production": production, "role": None}


def disable(ctx: Context, production: str, username: str) -> dict[str, Any]:
    """An admin of a production disables an account that is a member of it."""
    with ctx.register.read() as db:
        members = {m["username"] for m in data_members(db, production)}
    if username not in members:
        raise Problems([("username", f"{username!r} is not a member of {production}")])
    try:
        Accounts(ctx.register).set_disabled(username, True)
    except ManifestError as exc:
        raise _account_problem(exc, 409) from exc
    return {"username": username, "disabled": True}


def revoke_token(ctx: Context, token_id: str) -> dict[str, Any]:
    """Revoke one of the caller's own API tokens."""
    try:
        Accounts(ctx.register).revoke_token(token_id, owner=ctx.who.user.username)
    except ManifestError as exc:
        raise HTTPException(404, "no such active token of yours") from exc
    return {"id": token_id, "revoked": True}
