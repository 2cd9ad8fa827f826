"""Read-side queries of the register: status, evidence, history, diff, audit log."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from clearance.manifest.models import UseCase
from clearance.provenance.model import AssetFacts
from clearance.register import attachments, schema
from clearance.register.status import EvidenceIndex, EvidenceView, UseCaseFacts, UseCaseStatus


def productions(db: Connection) -> list[str]:
    return [
        r.id for r in db.execute(select(schema.productions.c.id).order_by(schema.productions.c.id))
    ]


def evidence(db: Connection, production: str) -> list[EvidenceView]:
    ev = schema.evidence
    rows = db.execute(select(ev).where(ev.c.production_id == production).order_by(ev.c.recorded_at))
    return [EvidenceView.from_row(r) for r in rows]


def evidence_index(
    db: Connection,
    production: str,
    store: Path | None,
    items: list[EvidenceView] | None = None,
) -> EvidenceIndex:
    """The production's evidence (``items`` when the caller already read it); with the store,
    evidence whose file is gone does not count."""
    items = evidence(db, production) if items is None else items
    broken: dict[str, str] = {}
    if store is not None:
        for sha in {i.attachment_sha256 for i in items if i.attachment_sha256}:
            problem = attachments.check_file(store, sha)
            if problem:
                broken[sha] = problem
    return EvidenceIndex(items, broken)


def status(
    db: Connection,
    production: str,
    on: dt.date,
    store: Path | None = None,
    evidence_items: list[EvidenceView] | None = None,
) -> list[UseCaseStatus]:
    """Every use case's current decision and the state of each of its obligations
    (``evidence_items``: the production's evidence, when the caller already read it)."""
    uc, dec = schema.use_cases, schema.decisions
    latest: dict[int, Any] = {}
    for row in db.execute(
        select(
            uc.c.pk,
            uc.c.uc_id,
            uc.c.title,
            uc.c.revision,
            dec.c.outcome,
            dec.c.obligations,
            dec.c.packs_key,
        )
        .join(dec, (dec.c.use_case_pk == uc.c.pk) & (dec.c.revision == uc.c.revision))
        .where(uc.c.production_id == production, uc.c.withdrawn.is_(False))
        .order_by(uc.c.pk, dec.c.decided_at, dec.c.pk)
    ):
        latest[row.pk] = row  # the newest decision of the current revision wins (by the
        # audited decided_at, so renumbering rows behind the register's back changes nothing)
    index = evidence_index(db, production, store, evidence_items)
    obligations = {pk: json.loads(row.obligations) for pk, row in latest.items()}
    # Only consent needs the use case's performers and replica kind: read just those bodies.
    talent = _talent(db, [pk for pk, obs in obligations.items() if "talent-consent" in obs])
    result = []
    for pk, row in latest.items():
        performers, replica = talent.get(pk, ((), "none"))
        facts = UseCaseFacts(row.uc_id, row.revision, performers, replica)
        result.append(
            UseCaseStatus(
                production=production,
                id=row.uc_id,
                title=row.title,
                revision=row.revision,
                outcome=row.outcome,
                packs=row.packs_key,
                obligations=index.states(facts, obligations[pk], on),
            )
        )
    return result


def _talent(db: Connection, pks: list[int]) -> dict[int, tuple[tuple[str, ...], str]]:
    """use case pk → (performers, replica) of its current revision."""
    uc, rev = schema.use_cases, schema.revisions
    found = {}
    for start in range(0, len(pks), 500):
        rows = db.execute(
            select(uc.c.pk, rev.c.body)
            .join(rev, (rev.c.use_case_pk == uc.c.pk) & (rev.c.revision == uc.c.revision))
            .where(uc.c.pk.in_(pks[start : start + 500]))
        )
        for row in rows:
            talent = json.loads(row.body)["use_case"]["talent"]
            found[row.pk] = (tuple(talent["performers"]), talent["replica"])
    return found


@dataclass(frozen=True)
class Change:
    id: str
    from_revision: int
    to_revision: int
    from_packs: str
    to_packs: str
    from_outcome: str
    to_outcome: str
    added: list[str]
    removed: list[str]
    uncovered: list[str]  # obligations of the new decision that recorded evidence does not meet


def diff(db: Connection, production: str, on: dt.date, store: Path | None = None) -> list[Change]:
    """For each use case decided more than once: what changed between its last two decisions."""
    uc, dec = schema.use_cases, schema.decisions
    history: dict[str, list[Any]] = {}
    for row in db.execute(
        select(uc.c.uc_id, dec.c.revision, dec.c.packs_key, dec.c.outcome, dec.c.obligations)
        .join(dec, dec.c.use_case_pk == uc.c.pk)
        .where(uc.c.production_id == production)
        .order_by(uc.c.pk, dec.c.decided_at, dec.c.pk)
    ):
        history.setdefault(row.uc_id, []).append(row)
    current = {s.id: s for s in status(db, production, on, store)}
    changes = []
    for uc_id, decisions in history.items():
        if len(decisions) < 2:
            continue
        old, new = decisions[-2], decisions[-1]
        before, after = json.loads(old.obligations), json.loads(new.obligations)
        state = current.get(uc_id)
        uncovered = [s.obligation for s in state.obligations if not s.met] if state else []
        changes.append(
            Change(
                id=uc_id,
                from_revision=old.revision,
                to_revision=new.revision,
                from_packs=old.packs_key,
                to_packs=new.packs_key,
                from_outcome=old.outcome,
                to_outcome=new.outcome,
                added=sorted(set(after) - set(before)),
                removed=sorted(set(before) - set(after)),
                uncovered=uncovered,
            )
        )
    return changes


def audit_log(
    db: Connection,
    production: str | None = None,
    subject: str | None = None,
    action: str | None = None,
    actor: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """The newest ``limit`` events matching every filter given, oldest first."""
    ev = schema.audit_events
    query = select(ev).order_by(ev.c.seq.desc()).limit(limit)
    if production:
        query = query.where(ev.c.production_id == production)
    if subject:  # case-insensitive on both databases
        query = query.where(ev.c.subject.icontains(subject, autoescape=True))
    if action:
        query = query.where(ev.c.action.istartswith(action, autoescape=True))
    if actor:
        query = query.where(ev.c.actor == actor)
    return [dict(r) for r in reversed(db.execute(query).mappings().all())]


def evidence_check(
    db: Connection, production: str, store: Path | None, on: dt.date
) -> Callable[[UseCase, tuple[str, ...]], set[str]]:
    """The engine's ``evidence`` callback: which obligations recorded evidence meets."""
    index = evidence_index(db, production, store)

    def met(use_case: UseCase, obligations: tuple[str, ...]) -> set[str]:
        facts = UseCaseFacts(
            use_case.id, 0, tuple(use_case.talent.performers), use_case.talent.replica
        )
        return {ob for ob in obligations if index.state(facts, ob, on).met}

    return met


def asset_facts(
    db: Connection, production: str, store: Path | None, on: dt.date
) -> dict[str, AssetFacts]:
    """sha256 → what the register knows of that registered file (for a deliverables scan)."""
    table, uc, rev = schema.assets, schema.use_cases, schema.revisions
    registered = {
        r.sha256: r.uc_id
        for r in db.execute(select(table).where(table.c.production_id == production))
    }
    if not registered:
        return {}
    states = {s.id: s for s in status(db, production, on, store)}
    destinations = {
        r.uc_id: json.loads(r.body)["use_case"]["output"]["destination"]
        for r in db.execute(
            select(uc.c.uc_id, rev.c.body)
            .join(rev, (rev.c.use_case_pk == uc.c.pk) & (rev.c.revision == uc.c.revision))
            .where(
                uc.c.production_id == production, uc.c.uc_id.in_(sorted(set(registered.values())))
            )
        )
    }
    facts = {}
    for sha, uc_id in registered.items():
        state = states.get(uc_id)
        if state is None:  # its use case was withdrawn: nothing declares this file any more
            continue
        facts[sha] = AssetFacts(
            registered=True,
            use_case=uc_id,
            destination=destinations.get(uc_id, ""),
            outcome=state.outcome,
            cleared=state.cleared,
            open_obligations=[o.obligation for o in state.obligations if not o.met],
        )
    return facts


def use_case_bodies(
    db: Connection, production: str, uc_ids: list[str]
) -> dict[str, dict[str, Any]]:
    """uc_id → its current revision's content (use case, its tools and performers)."""
    if not uc_ids:
        return {}
    uc, rev = schema.use_cases, schema.revisions
    rows = db.execute(
        select(uc.c.uc_id, rev.c.body)
        .join(rev, (rev.c.use_case_pk == uc.c.pk) & (rev.c.revision == uc.c.revision))
        .where(uc.c.production_id == production, uc.c.uc_id.in_(sorted(set(uc_ids))))
    )
    return {r.uc_id: json.loads(r.body) for r in rows}
