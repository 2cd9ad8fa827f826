"""Read-side queries of the register: status, evidence, history, diff, audit log."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
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


def coverage(db: Connection, production: str, on: dt.date) -> list[EvidenceView]:
    """The disclosure (disclose-ai) and labelling (ai-label) records in force on ``on`` (not
    revoked, dated on or before it, not expired), with the markets and deliverables each
    covers (``EvidenceView.territories``, ``.deliverables``): what the disclosure plan matches
    per deliverable and market."""
    ev, day = schema.evidence, on.isoformat()
    rows = db.execute(
        select(ev)
        .where(
            ev.c.production_id == production,
            ev.c.kind.in_(["disclose-ai", "ai-label"]),
            ev.c.revoked_at.is_(None),
            ev.c.date <= day,
            or_(ev.c.expires.is_(None), ev.c.expires >= day),
        )
        .order_by(ev.c.recorded_at)
    )
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
    uc_ids: list[str] | None = None,
    index: EvidenceIndex | None = None,
) -> list[UseCaseStatus]:
    """Every use case's current decision and the state of each of its obligations
    (``evidence_items``: the production's evidence, or ``index`` built from it, when the
    caller already has it); with ``uc_ids`` only those use cases (a page that shows one
    use case reads one)."""
    uc, dec = schema.use_cases, schema.decisions
    latest: dict[int, Any] = {}
    query = (
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
    )
    chunks = [None] if uc_ids is None else [uc_ids[i : i + 500] for i in range(0, len(uc_ids), 500)]
    for chunk in chunks:
        rows = db.execute(query if chunk is None else query.where(uc.c.uc_id.in_(chunk)))
        for row in rows:  # read by position: tens of thousands of rows
            latest[row[0]] = row  # the newest decision of the current revision wins (by
            # the audited decided_at, so renumbering rows behind the register's back changes
            # nothing)
    if uc_ids is not None:
        latest = dict(sorted(latest.items()))
    if index is None:
        index = evidence_index(db, production, store, evidence_items)
    parsed: dict[str, list[str]] = {}  # decisions repeat a handful of obligation lists
    obligations: dict[int, list[str]] = {}
    for pk, row in latest.items():
        text = row[5]
        if text not in parsed:
            parsed[text] = json.loads(text)
        obligations[pk] = parsed[text]
    # Only consents need the use case's performers and replica kind: read just those bodies.
    talent = _talent(db, [pk for pk, obs in obligations.items() if _PER_PERSON & set(obs)])
    result = []
    no_talent: _Talent = ((), "none", ())
    for pk, (_, uc_id, title, revision, outcome, _, packs_key) in latest.items():
        performers, replica, deceased = talent.get(pk, no_talent)
        facts = UseCaseFacts(uc_id, revision, performers, replica, deceased)
        states = index.states(facts, obligations[pk], on)
        result.append(UseCaseStatus(production, uc_id, title, revision, outcome, packs_key, states))
    return result


_PER_PERSON = {"talent-consent", "estate-consent"}
_Talent = tuple[tuple[str, ...], str, tuple[str, ...]]


def _deceased(body: dict[str, Any]) -> tuple[str, ...]:
    """The use case's performers whose ``deceased`` is yes or unsure ("unsure" is never "no")."""
    flags = {p.get("id"): p.get("deceased", "no") for p in body.get("performers", [])}
    performers = body["use_case"]["talent"]["performers"]
    return tuple(p for p in performers if flags.get(p) in ("yes", "unsure"))


def _talent(db: Connection, pks: list[int]) -> dict[int, _Talent]:
    """use case pk → (performers, replica, deceased performers) of its current revision."""
    uc, rev = schema.use_cases, schema.revisions
    found = {}
    for start in range(0, len(pks), 500):
        rows = db.execute(
            select(uc.c.pk, rev.c.body)
            .join(rev, (rev.c.use_case_pk == uc.c.pk) & (rev.c.revision == uc.c.revision))
            .where(uc.c.pk.in_(pks[start : start + 500]))
        )
        for row in rows:
            body = json.loads(row.body)
            talent = body["use_case"]["talent"]
            found[row.pk] = (tuple(talent["performers"]), talent["replica"], _deceased(body))
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
    """The engine's ``evidence`` callback: which obligations recorded evidence meets.

    The callback sees the use case, not the manifest's talent: whose estate must consent is
    read from the register (performers recorded as deceased yes/unsure, or not recorded at
    all); when that names nobody, every performer of the use case (the rule that asked for
    an estate's consent found one deceased)."""
    index = evidence_index(db, production, store)
    # Read now (the callback runs after this connection is closed), and only when some
    # estate's consent is recorded: without one, no estate-consent can be met anyway.
    estates = any(kind == "estate-consent" for kind, _ in index.by_key)
    flags = _recorded_deceased(db, production) if estates else {}

    def deceased(performers: tuple[str, ...]) -> tuple[str, ...]:
        named = tuple(p for p in performers if flags.get(p, "unsure") in ("yes", "unsure"))
        return named or performers

    def met(use_case: UseCase, obligations: tuple[str, ...]) -> set[str]:
        performers = tuple(use_case.talent.performers)
        dead = deceased(performers) if "estate-consent" in obligations else ()
        facts = UseCaseFacts(use_case.id, 0, performers, use_case.talent.replica, dead)
        return {ob for ob in obligations if index.state(facts, ob, on).met}

    return met


def _recorded_deceased(db: Connection, production: str) -> dict[str, str]:
    """talent id → ``deceased`` as the production's current revisions record it (a performer
    recorded both ways counts as deceased: the cautious reading)."""
    uc, rev = schema.use_cases, schema.revisions
    found: dict[str, str] = {}
    rows = db.execute(
        select(rev.c.body)
        .join(uc, (rev.c.use_case_pk == uc.c.pk) & (rev.c.revision == uc.c.revision))
        .where(uc.c.production_id == production, uc.c.withdrawn.is_(False))
    )
    for (body,) in rows:
        for performer in json.loads(body).get("performers", []):
            value = performer.get("deceased", "no")
            if found.get(performer.get("id"), "no") == "no":
                found[performer.get("id")] = value
    return found


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


def decision_rules(
    db: Connection, production: str, uc_id: str, revision: int, packs_key: str
) -> list[dict[str, Any]]:
    """The rules one decision fired (the newest decision of that revision and pack set)."""
    uc, dec = schema.use_cases, schema.decisions
    row = db.execute(
        select(dec.c.rules)
        .join(uc, uc.c.pk == dec.c.use_case_pk)
        .where(
            uc.c.production_id == production,
            uc.c.uc_id == uc_id,
            dec.c.revision == revision,
            dec.c.packs_key == packs_key,
        )
        .order_by(dec.c.decided_at.desc(), dec.c.pk.desc())
        .limit(1)
    ).first()
    rules: list[dict[str, Any]] = json.loads(row.rules) if row else []
    return rules


def use_case_history(
    db: Connection, production: str, uc_id: str, related: set[str]
) -> list[dict[str, Any]]:
    """The audit events of one use case — its own rows (``use-case:P/UC``,
    ``revision:P/UC@N``, ``decision:P/UC@N/…``) and the ``related`` subjects (its evidence
    and reviews) — oldest first. Subjects are matched exactly or by an index range, never by
    ``LIKE`` (UC-1 must not show UC-10's history; ``_`` and ``%`` in an id are not
    wildcards), so the cost does not grow with the production's trail."""
    ev = schema.audit_events
    own = f"{production}/{uc_id}"
    wanted = [ev.c.subject == f"use-case:{own}"]
    for kind in ("revision", "decision"):
        prefix = f"{kind}:{own}@"
        if db.dialect.name == "sqlite":  # binary order: a range the subject index answers
            wanted.append((ev.c.subject >= prefix) & (ev.c.subject < f"{kind}:{own}A"))
        else:  # a linguistic collation does not order by code point: match the prefix
            wanted.append(ev.c.subject.startswith(prefix, autoescape=True))
    if related:
        wanted.append(ev.c.subject.in_(sorted(related)))
    rows = db.execute(
        select(ev.c.seq, ev.c.at, ev.c.actor, ev.c.action, ev.c.subject)
        .where(or_(*wanted))
        .order_by(ev.c.seq)
    )
    return [
        {"at": r.at, "actor": r.actor, "action": r.action}
        for r in rows
        if r.subject in related or r.subject.split(":", 1)[-1].split("@", 1)[0] == own
    ]


# -- what the web app's pages and API read (shaped for people in web/data.py) ---------------


def production_rows(db: Connection) -> list[Any]:
    """Every production (id, title, created_at), by id."""
    table = schema.productions
    return list(db.execute(select(table).order_by(table.c.id)))


def production_title(db: Connection, production: str) -> str | None:
    table = schema.productions
    found = db.execute(select(table.c.title).where(table.c.id == production)).scalar()
    return None if found is None else str(found)


def use_case_revision(db: Connection, production: str, uc_id: str) -> int | None:
    """The use case's current revision (``None`` when the production has no such use case)."""
    uc = schema.use_cases
    found = db.execute(
        select(uc.c.revision).where(uc.c.production_id == production, uc.c.uc_id == uc_id)
    ).scalar()
    return None if found is None else int(found)


def current_use_case_ids(db: Connection, production: str) -> list[str]:
    """The production's use cases that are not withdrawn, in declaration order."""
    uc = schema.use_cases
    rows = db.execute(
        select(uc.c.uc_id)
        .where(uc.c.production_id == production, uc.c.withdrawn.is_(False))
        .order_by(uc.c.pk)
    )
    return [r.uc_id for r in rows]


def reviews(
    db: Connection, production: str, uc_id: str | None = None, uc_ids: list[str] | None = None
) -> list[Any]:
    """Reviews of the production (or of one use case, or of some), oldest first."""
    table = schema.reviews
    query = select(table).where(table.c.production_id == production)
    if uc_id is not None:
        query = query.where(table.c.uc_id == uc_id)
    if uc_ids is None:
        return list(db.execute(query.order_by(table.c.created_at, table.c.id)))
    found: list[Any] = []
    for start in range(0, len(uc_ids), 500):
        chunk = query.where(table.c.uc_id.in_(uc_ids[start : start + 500]))
        found += db.execute(chunk.order_by(table.c.created_at, table.c.id))
    return sorted(found, key=lambda r: (r.created_at, r.id))


def revision_authors(
    db: Connection, production: str, uc_ids: list[str] | None = None
) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """uc id → (who recorded its first revision and when, who recorded its current one)."""
    uc, rev = schema.use_cases, schema.revisions
    query = (
        select(
            uc.c.uc_id,
            uc.c.revision.label("current"),
            rev.c.revision,
            rev.c.created_by,
            rev.c.created_at,
        )
        .join(rev, rev.c.use_case_pk == uc.c.pk)
        .where(
            uc.c.production_id == production,
            uc.c.withdrawn.is_(False),
            or_(rev.c.revision == 1, rev.c.revision == uc.c.revision),
        )
    )
    chunks = [query] if uc_ids is None else [
        query.where(uc.c.uc_id.in_(uc_ids[i : i + 500])) for i in range(0, len(uc_ids), 500)
    ]  # fmt: skip
    found: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
    for r in (row for chunk in chunks for row in db.execute(chunk)):
        first, current = found.setdefault(r.uc_id, ({}, {}))
        entry = {"by": r.created_by, "at": r.created_at}
        if r.revision == 1:
            first.update(entry)
        if r.revision == r.current:
            current.update(entry)
    return found


def scan_history(db: Connection, production: str, limit: int = 50) -> list[Any]:
    """The production's recorded scans, newest first."""
    table = schema.scans
    return list(
        db.execute(
            select(table)
            .where(table.c.production_id == production)
            .order_by(table.c.started_at.desc())
            .limit(limit)
        )
    )


def members(db: Connection, production: str) -> list[Any]:
    """The production's members: username, display name, disabled, role, granted by/at."""
    m, u = schema.memberships, schema.users
    return list(
        db.execute(
            select(
                u.c.username,
                u.c.display_name,
                u.c.disabled,
                m.c.role,
                m.c.granted_by,
                m.c.granted_at,
            )
            .join(u, u.c.id == m.c.user_id)
            .where(m.c.production_id == production)
            .order_by(u.c.username)
        )
    )


# -- the reference library (issue 15) -------------------------------------------------------


def refs(db: Connection, production: str, removed: bool = False) -> list[Any]:
    """The references a production's files are compared with — its own and the shared ones
    (production_id NULL) — oldest first; with ``removed``, removed ones too."""
    table = schema.refs
    query = select(table).where(
        or_(table.c.production_id == production, table.c.production_id.is_(None))
    )
    if not removed:
        query = query.where(table.c.removed_at.is_(None))
    return list(db.execute(query.order_by(table.c.added_at, table.c.id)))


def live_refs(db: Connection, production: str) -> list[Any]:
    """The live references of ``production``'s library, in a stable order (by id)."""
    return sorted(refs(db, production), key=lambda r: r.id)


def ref(db: Connection, ref_id: str) -> Any | None:
    return db.execute(select(schema.refs).where(schema.refs.c.id == ref_id)).first()


def ref_hashes(db: Connection, ref_ids: list[str]) -> list[Any]:
    """The hash rows of the given references, by reference and frame (in batches: a library
    may hold many references)."""
    table = schema.ref_hashes
    found: list[Any] = []
    for start in range(0, len(ref_ids), 500):
        batch = ref_ids[start : start + 500]
        found += db.execute(
            select(table)
            .where(table.c.ref_id.in_(batch))
            .order_by(table.c.ref_id, table.c.frame, table.c.crop)
        )
    return found


def similarity_checks(
    db: Connection, production: str, scan_id: str | None = None, limit: int = 1000
) -> list[Any]:
    """A production's recorded similarity checks (of one scan, when given), newest first."""
    table = schema.similarity_checks
    query = select(table).where(table.c.production_id == production)
    if scan_id is not None:
        query = query.where(table.c.scan_id == scan_id)
    return list(db.execute(query.order_by(table.c.checked_at.desc(), table.c.id).limit(limit)))
