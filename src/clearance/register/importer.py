"""Importing a manifest: new use cases, new revisions of changed ones, new decisions.

A use case's *content* is its manifest entry plus everything its decision depends on (the
terms of its tools, its performers, the production's format and territories); a change to
any of it makes a new revision. A decision is recorded per revision and pack set, so a new
pack version makes a new decision for an unchanged use case. An unchanged manifest writes
nothing. The whole import is one transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from clearance.manifest.models import Manifest
from clearance.policy.decision import Decision, to_jsonable
from clearance.policy.engine import Engine
from clearance.register import audit, schema
from clearance.register.audit import Event, row_digest
from clearance.register.canonical import canonical

UC, REV, DEC = schema.use_cases, schema.revisions, schema.decisions


@dataclass
class ImportSummary:
    production: str
    created: int = 0
    revised: int = 0
    unchanged: int = 0
    decisions: int = 0
    withdrawn_or_returned: int = 0
    absent: list[str] = field(default_factory=list)

    @property
    def wrote(self) -> bool:
        return bool(self.created or self.revised or self.decisions or self.withdrawn_or_returned)


@dataclass
class _Plan:
    decision: Decision
    body: str
    sha: str
    old: Any  # the use case's current row, or None when it is new


def packs_key(packs: list[dict[str, str]]) -> str:
    """``netflix-genai@1.0.0#<sha256 prefix>,…`` — which packs, exactly, made a decision."""
    return ",".join(f"{p['id']}@{p['version']}#{p['sha256'][:16]}" for p in packs)


def import_manifest(
    db: Connection, actor: str, manifest: Manifest, engine: Engine, partial: bool = False
) -> ImportSummary:
    """Record ``manifest``; with ``partial`` (a use case declared in the web app) use cases
    the manifest does not list are left as they are rather than withdrawn."""
    production = manifest.production.id
    summary = ImportSummary(production)
    packs = [to_jsonable(p) for p in engine.refs()]
    key = packs_key(packs)
    events: list[Event] = _ensure_production(db, manifest)
    existing = {r.uc_id: r for r in db.execute(select(UC).where(UC.c.production_id == production))}
    decided = {
        (row.use_case_pk, row.revision)
        for row in db.execute(
            select(DEC.c.use_case_pk, DEC.c.revision)
            .join(UC, UC.c.pk == DEC.c.use_case_pk)
            .where(UC.c.production_id == production, DEC.c.packs_key == key)
        )
    }
    plans = [
        _Plan(decision, body, hashlib.sha256(body.encode()).hexdigest(), existing.get(decision.id))
        for decision, body in zip(engine.decide_all(manifest), _bodies(manifest), strict=True)
    ]
    summary.absent = [] if partial else sorted(set(existing) - {p.decision.id for p in plans})
    listed = (
        existing
        if not partial
        else {k: v for k, v in existing.items() if k in manifest_ids(manifest)}
    )
    moved = _mark_withdrawn(db, production, listed, set(summary.absent))
    summary.withdrawn_or_returned = len(moved)
    events += moved
    created = _insert_new_use_cases(db, production, [p for p in plans if p.old is None], existing)

    now = audit.now()
    revisions, decisions, updates = [], [], []
    for plan in plans:
        subject = f"{production}/{plan.decision.id}"
        if plan.old is None:
            row = created[plan.decision.id]
            pk, revision = row.pk, 1
            events.append(
                Event("use-case.create", f"use-case:{subject}", production, None, row_digest(row))
            )
            summary.created += 1
        elif plan.old.content_sha256 != plan.sha:
            pk, revision = plan.old.pk, plan.old.revision + 1
            change = {
                "revision": revision,
                "content_sha256": plan.sha,
                "title": plan.decision.title,
            }
            updates.append({"b_pk": pk, **change})
            base = {**plan.old._mapping, "withdrawn": False}  # present in this manifest
            after = row_digest({**base, **change})
            events.append(
                Event(
                    "use-case.revise",
                    f"use-case:{subject}",
                    production,
                    row_digest(base),
                    after,
                )
            )
            summary.revised += 1
        else:
            pk, revision = plan.old.pk, plan.old.revision
            if (pk, revision) in decided:
                summary.unchanged += 1
                continue
        if plan.old is None or plan.old.content_sha256 != plan.sha:
            row = {
                "use_case_pk": pk,
                "revision": revision,
                "content_sha256": plan.sha,
                "body": plan.body,
                "created_at": now,
                "created_by": actor,
            }
            revisions.append(row)
            events.append(
                Event(
                    "revision.record",
                    f"revision:{subject}@{revision}",
                    production,
                    None,
                    row_digest(row),
                )
            )
        row = {
            "use_case_pk": pk,
            "revision": revision,
            "packs_key": key,
            "packs": canonical(packs),
            "outcome": plan.decision.outcome,
            "obligations": canonical(plan.decision.obligations),
            "rules": canonical(to_jsonable(plan.decision.rules)),
            "decided_at": now,
        }
        decisions.append(row)
        events.append(
            Event(
                "decision.record",
                f"decision:{subject}@{revision}/{key}",
                production,
                None,
                row_digest(row),
            )
        )
        summary.decisions += 1
    if updates:
        values: dict[str, Any] = {c: bindparam(c) for c in ("revision", "content_sha256", "title")}
        db.execute(update(UC).where(UC.c.pk == bindparam("b_pk")).values(**values), updates)
    if revisions:
        db.execute(insert(REV), revisions)
    if decisions:
        db.execute(insert(DEC), decisions)
    audit.append(db, actor, events)
    return summary


def manifest_ids(manifest: Manifest) -> set[str]:
    return {uc.id for uc in manifest.use_cases}


def _mark_withdrawn(
    db: Connection, production: str, existing: dict[str, Any], absent: set[str]
) -> list[Event]:
    """Flag use cases that left the manifest as withdrawn, and those that came back as not;
    each change is an audited revision of the use case row."""
    events = []
    for uc_id, row in existing.items():
        withdrawn = uc_id in absent
        if bool(row.withdrawn) == withdrawn:
            continue
        db.execute(update(UC).where(UC.c.pk == row.pk).values(withdrawn=withdrawn))
        after = row_digest({**row._mapping, "withdrawn": withdrawn})
        action = "use-case.withdraw" if withdrawn else "use-case.return"
        subject = f"use-case:{production}/{uc_id}"
        events.append(Event(action, subject, production, row_digest(row), after))
    return events


def _bodies(manifest: Manifest) -> list[str]:
    """Each use case's content as canonical JSON (what a revision stores and hashes)."""
    tools = {t.id: t.model_dump(mode="json") for t in manifest.tools}
    talent = {p.id: p.model_dump(mode="json") for p in manifest.talent}
    context = manifest.production.model_dump(mode="json", include={"id", "format", "territories"})
    return [
        canonical(
            {
                "use_case": uc.model_dump(mode="json"),
                "tools": [tools[t] for t in uc.tools],
                "performers": [talent[p] for p in uc.talent.performers],
                "production": context,
            }
        )
        for uc in manifest.use_cases
    ]


def _ensure_production(db: Connection, manifest: Manifest) -> list[Event]:
    production = manifest.production
    table = schema.productions
    if db.execute(select(table.c.id).where(table.c.id == production.id)).first() is not None:
        return []
    row = {"id": production.id, "title": production.title, "created_at": audit.now()}
    db.execute(insert(table), [row])
    return [
        Event(
            "production.create", f"production:{production.id}", production.id, None, row_digest(row)
        )
    ]


def _insert_new_use_cases(
    db: Connection, production: str, plans: list[_Plan], existing: dict[str, Any]
) -> dict[str, Any]:
    """Insert new use cases in bulk; their rows (with the assigned keys) by use case id."""
    if not plans:
        return {}
    rows = [
        {
            "production_id": production,
            "uc_id": p.decision.id,
            "title": p.decision.title,
            "revision": 1,
            "content_sha256": p.sha,
        }
        for p in plans
    ]
    db.execute(insert(UC), rows)
    fresh = db.execute(select(UC).where(UC.c.production_id == production))
    return {r.uc_id: r for r in fresh if r.uc_id not in existing}
