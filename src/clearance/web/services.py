"""What the web app's writes do, shared by pages and API: intake steps, declaring a use case,
reviews, and the report and cue-sheet downloads. Decisions come from the packs (through the
intake session and the importer), never from here."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

from fastapi import HTTPException
from pydantic import ValidationError
from sqlalchemy import select

from clearance.manifest.errors import ManifestError
from clearance.manifest.models import Manifest
from clearance.policy.engine import Engine
from clearance.policy.intake.session import IntakeError, IntakeSession
from clearance.policy.registry import resolve
from clearance.register import importer, queries, schema
from clearance.register.accounts import Accounts, ReviewDecision
from clearance.register.evidence import ReportUse
from clearance.web.deps import Context


def production_manifest(ctx: Context, production: str) -> Manifest:
    """The production as a manifest with no use cases: its context, and the tools and talent
    its current use cases declare (the registries the intake chooses from)."""
    with ctx.register.read(snapshot=True) as db:
        row = db.execute(
            select(schema.productions).where(schema.productions.c.id == production)
        ).first()
        uc = schema.use_cases
        ids = [
            r.uc_id
            for r in db.execute(
                select(uc.c.uc_id).where(
                    uc.c.production_id == production, uc.c.withdrawn.is_(False)
                )
            )
        ]
        bodies = queries.use_case_bodies(db, production, ids)
    if row is None:
        raise HTTPException(404, "no such production")
    context: dict[str, Any] = {"id": production, "title": row.title}
    tools: dict[str, Any] = {}
    talent: dict[str, Any] = {}
    for body in bodies.values():
        context = {**body.get("production", {}), "title": row.title, **{"id": production}}
        for tool in body.get("tools", []):
            tools.setdefault(tool["id"], tool)
        for performer in body.get("performers", []):
            talent.setdefault(performer["id"], performer)
    return Manifest.model_validate(
        {
            "version": 1,
            "production": context,
            "tools": list(tools.values()),
            "talent": list(talent.values()),
            "use_cases": [],
        }
    )


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


def declare(
    ctx: Context,
    production: str,
    uc_id: str,
    title: str,
    description: str | None,
    answers: dict[str, Any],
) -> dict[str, Any]:
    """Decide and record a new use case (a partial import: other use cases are untouched)."""
    intake = session(ctx, production, answers)
    pending = intake.next_question()
    if pending is not None:
        raise HTTPException(422, f"not finished: answer {pending.fact}")
    try:
        use_case = intake.use_case(uc_id, title, description)
    except IntakeError as exc:
        raise HTTPException(422, str(exc)) from exc
    with ctx.register.read() as db:
        known = db.execute(
            select(schema.use_cases.c.uc_id).where(
                schema.use_cases.c.production_id == production,
                schema.use_cases.c.uc_id == uc_id,
            )
        ).first()
    if known is not None:
        raise HTTPException(409, f"use case {uc_id} already exists in {production}")
    manifest = intake.manifest.model_copy(update={"use_cases": [use_case]})
    try:
        manifest = Manifest.model_validate(manifest.model_dump(mode="json"))
        engine = Engine([resolve(p) for p in manifest.production.policies])
        # Declaring here reports the use to the studio (its reviewers work from this queue):
        # the report-use evidence is recorded with the use case, in the same transaction.
        report = ReportUse(
            production=production,
            use_cases=[uc_id],
            date=dt.date.today(),
            contact="studio reviewers (clearance review queue)",
            channel="clearance web",
            reference=f"declared by {ctx.who.user.username}",
        )
        with ctx.register.write() as db:
            importer.import_manifest(db, ctx.register.actor, manifest, engine, partial=True)
            ctx.register.record_in(db, report, "intake")
    except (ManifestError, ValueError) as exc:
        raise HTTPException(422, str(exc)) from exc
    decision = engine.decide(manifest, use_case)
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
            raise HTTPException(422, "decision: expected approved, changes-requested or denied")
        verdict: ReviewDecision = decision  # type: ignore[assignment]
        row = Accounts(ctx.register).review(
            production, uc_id, verdict, comment, conditions, expires
        )
        # As the use case shows reviews: conditions a list, not their stored JSON text.
        return {**row, "conditions": json.loads(row["conditions"])}
    except ManifestError as exc:
        status = 404 if any(e.field == "use_case" for e in exc.errors) else 422
        raise HTTPException(status, [e.message for e in exc.errors]) from exc
    except ValidationError as exc:  # the approval's own checks (expiry before its date, …)
        problems = [str(e["msg"]) for e in exc.errors(include_url=False)]
        raise HTTPException(422, problems) from exc


def cuesheet(ctx: Context, production: str) -> Any:
    """The cue sheet of the cut the server was started with (``--edit``), or ``None``."""
    settings = ctx.settings
    if settings.edit is None:
        return None
    from clearance.editorial import cuesheet as cues
    from clearance.editorial.media import MediaIndex
    from clearance.editorial.read import read_edit
    from clearance.editorial.resolve import Resolver
    from clearance.provenance.scan import Scanner

    edit = read_edit(settings.edit, rate=settings.rate)
    with ctx.register.read(snapshot=True) as db:
        facts = cues.register_facts(db, production, ctx.store, ctx.on)
    scanner = Scanner(provenance=resolve("ai-provenance"))
    return cues.build(
        edit, Resolver(MediaIndex(list(settings.media))), scanner, resolve("cue-status"), facts
    )


def cuesheet_bytes(ctx: Context, production: str, fmt: str) -> bytes | None:
    from clearance.reports import cuesheet as writers

    sheet = cuesheet(ctx, production)
    if sheet is None:
        return None
    out = io.BytesIO()
    writers.write(sheet, out, fmt)
    return out.getvalue()


def report_html(ctx: Context, production: str) -> str:
    from clearance.reports.delivery import render_html
    from clearance.reports.delivery_data import gather

    sheet = cuesheet(ctx, production)
    with ctx.register.read(snapshot=True) as db:
        return render_html(gather(db, production, ctx.store, ctx.on, sheet))


def grant(ctx: Context, production: str, username: str, role: str) -> dict[str, Any]:
    """A production admin gives an existing account a role in their production."""
    try:
        Accounts(ctx.register).grant(username, production, role)
    except ManifestError as exc:
        raise HTTPException(422, [e.message for e in exc.errors]) from exc
    return {"username": username, "production": production, "role": role}
