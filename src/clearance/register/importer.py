"""Importing a manifest: new use cases, new revisions of changed ones, new decisions.

A use case's *content* is its manifest entry plus everything its decision depends on (the
terms of its tools, its performers, the production's format and territories); a change to
any of it makes a new revision. A decision is recorded per revision and pack set, so a new
pack version makes a new decision for an unchanged use case. An unchanged manifest writes
nothing. The whole import is one transaction.

When some pack reads ``prompt.*``, the decision key also names the list of protected names it
was made with (``;names#<digest>``): a name added or removed re-decides the production's
current use cases (``redecide``, through the same code as an import), so the register never
shows a decision made with a list that is no longer the current one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from clearance.manifest.errors import ManifestError
from clearance.manifest.models import Manifest, UseCase, needs_v11, strip_v11_defaults
from clearance.policy.decision import Decision, to_jsonable
from clearance.policy.engine import Engine
from clearance.policy.registry import resolve_key
from clearance.prompts.model import Entry
from clearance.register import audit, schema
from clearance.register.audit import Event, row_digest
from clearance.register.canonical import canonical

UC, REV, DEC = schema.use_cases, schema.revisions, schema.decisions


WEB = "web"  # the source of use cases declared (or last edited) in the web app


def manifest_source(name: str) -> str:
    """The source recorded for use cases a manifest file named ``name`` brings in."""
    return f"manifest:{name}"


@dataclass
class ImportSummary:
    production: str
    created: int = 0
    revised: int = 0
    unchanged: int = 0
    decisions: int = 0
    withdrawn_or_returned: int = 0
    absent: list[str] = field(default_factory=list)  # withdrawn by this import
    kept: list[str] = field(default_factory=list)  # not listed, but declared elsewhere
    stale: list[str] = field(default_factory=list)  # the manifest holds an older revision
    claimed: list[str] = field(default_factory=list)  # declared elsewhere, now this manifest's

    @property
    def wrote(self) -> bool:
        return bool(
            self.created
            or self.revised
            or self.decisions
            or self.withdrawn_or_returned
            or self.claimed
        )


@dataclass
class _Plan:
    decision: Decision
    body: str
    sha: str
    old: Any  # the use case's current row, or None when it is new


def packs_key(packs: list[dict[str, str]]) -> str:
    """``netflix-genai@1.0.0#<sha256 prefix>,…`` — which packs, exactly, made a decision."""
    return ",".join(f"{p['id']}@{p['version']}#{p['sha256'][:16]}" for p in packs)


#: Between a decision key's packs and the digest of the names list it was made with.
NAMES_MARK = ";names#"


def split_key(key: str) -> tuple[str, str | None]:
    """A decision key's packs part (``packs_key``) and the digest of the protected names list
    it was made with (None: no pack of it read prompts)."""
    packs, mark, names = key.partition(NAMES_MARK)
    return packs, (names if mark else None)


def reads_prompts(engine: Engine) -> bool:
    return any(path.startswith("prompt.") for path in engine.paths)


def prompt_names(db: Connection, engine: Engine, production: str) -> list[Entry]:
    """The production's protected names, when a pack checks prompts against them (what every
    decision the register records is made with: import, the web app, a re-decision)."""
    if not reads_prompts(engine):
        return []
    from clearance.register import names

    return names.entries(db, production)


def decision_key(db: Connection, engine: Engine, production: str) -> str:
    """The key of a decision ``engine`` makes now for ``production``: its packs, and when one
    reads prompts the names list's digest (``names.list_digest``). Productions without a
    prompt pack keep the keys they always had."""
    key = packs_key([to_jsonable(p) for p in engine.refs()])
    if not reads_prompts(engine):
        return key
    from clearance.register import names

    return key + NAMES_MARK + names.list_digest(db, production)


def import_manifest(
    db: Connection,
    actor: str,
    manifest: Manifest,
    engine: Engine,
    partial: bool = False,
    source: str | None = None,
    redecide: bool = False,
) -> ImportSummary:
    """Record ``manifest``'s use cases, new revisions of changed ones and new decisions.

    The register, not any one file, is the source of truth for a production's use cases, so
    each use case remembers where it was declared (``source``). A full import of the
    manifest named by ``source`` withdraws only the use cases that an earlier import of that
    same manifest brought in (or whose source predates sources); use cases declared in the
    web app or in another manifest are kept. With ``partial`` (the web app: a use case
    declared or edited there) nothing is withdrawn and the listed use cases become ``web``'s.
    A use case last edited in the web app whose manifest entry matches one of its *older*
    revisions is left alone (the file is stale: ``clearance manifest export`` brings it up
    to date) rather than reverted.

    With ``redecide`` (see ``redecide``) ``manifest`` is rebuilt from the register's current
    revisions: only decisions are written (nothing created, withdrawn, claimed or revised).
    """
    production = manifest.production.id
    partial = partial or redecide
    source = WEB if partial else (source or manifest_source(production))
    summary = ImportSummary(production)
    packs = [to_jsonable(p) for p in engine.refs()]
    key = decision_key(db, engine, production)
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
        for decision, body in zip(
            engine.decide_all(manifest, names=prompt_names(db, engine, production)),
            _bodies(manifest),
            strict=True,
        )
    ]
    if redecide:
        for plan in plans:
            if plan.old is None or plan.old.withdrawn or plan.old.content_sha256 != plan.sha:
                raise RuntimeError(
                    f"re-deciding {production}/{plan.decision.id}: the register's current "
                    "revision did not rebuild to the same content"
                )
    if not partial:
        older = _older_revisions(
            db, [p.old.pk for p in plans if p.old is not None and p.old.source == WEB]
        )
        kept_plans = []
        for plan in plans:
            if plan.old is not None and plan.sha in older.get(plan.old.pk, set()):
                summary.stale.append(plan.decision.id)
            else:
                kept_plans.append(plan)
        plans = kept_plans
        listed = {p.decision.id for p in plans} | set(summary.stale)
        for uc_id, current in sorted(existing.items()):
            if uc_id in listed or current.withdrawn:
                continue
            if current.source in (None, source):
                summary.absent.append(uc_id)
            else:
                summary.kept.append(uc_id)
        for uc_id in summary.absent:
            events.append(
                _change(db, production, existing[uc_id], "use-case.withdraw", withdrawn=True)
            )
            summary.withdrawn_or_returned += 1
    created = _insert_new_use_cases(
        db, production, [p for p in plans if p.old is None], existing, source
    )

    now = audit.now()
    revisions: list[dict[str, Any]] = []
    decisions: list[dict[str, Any]] = []
    for plan in plans:
        subject = f"{production}/{plan.decision.id}"
        if plan.old is None:
            fresh = created[plan.decision.id]
            pk, revision = fresh.pk, 1
            events.append(
                Event("use-case.create", f"use-case:{subject}", production, None, row_digest(fresh))
            )
            summary.created += 1
        else:
            pk, revision = plan.old.pk, plan.old.revision
            state = dict(plan.old._mapping)
            if state["withdrawn"]:
                events.append(_change(db, production, state, "use-case.return", withdrawn=False))
                state["withdrawn"] = False
                summary.withdrawn_or_returned += 1
            if plan.old.content_sha256 != plan.sha:
                revision += 1
                change = {
                    "revision": revision,
                    "content_sha256": plan.sha,
                    "title": plan.decision.title,
                }
                if state["source"] != source:
                    change["source"] = source
                    summary.claimed.append(plan.decision.id)
                events.append(_change(db, production, state, "use-case.revise", **change))
                state.update(change)
                summary.revised += 1
            elif state["source"] != source and not redecide:
                events.append(_change(db, production, state, "use-case.claim", source=source))
                state["source"] = source
                summary.claimed.append(plan.decision.id)
            if plan.old.content_sha256 == plan.sha and (pk, revision) in decided:
                summary.unchanged += 1
                continue
        if plan.old is None or plan.old.content_sha256 != plan.sha:
            row: dict[str, Any] = {
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
    if revisions:
        db.execute(insert(REV), revisions)
    if decisions:
        db.execute(insert(DEC), decisions)
    audit.append(db, actor, events)
    return summary


def manifest_ids(manifest: Manifest) -> set[str]:
    return {uc.id for uc in manifest.use_cases}


def _change(db: Connection, production: str, row: Any, action: str, **values: Any) -> Event:
    """Update one use case row and return the audit event of the change."""
    before = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    db.execute(update(UC).where(UC.c.pk == before["pk"]).values(**values))
    after = {**before, **values}
    subject = f"use-case:{production}/{before['uc_id']}"
    return Event(action, subject, production, row_digest(before), row_digest(after))


def _older_revisions(db: Connection, pks: list[int]) -> dict[int, set[str]]:
    """use case pk → content digests of its revisions before the current one."""
    found: dict[int, set[str]] = {}
    for start in range(0, len(pks), 500):
        rows = db.execute(
            select(REV.c.use_case_pk, REV.c.content_sha256)
            .join(UC, UC.c.pk == REV.c.use_case_pk)
            .where(REV.c.use_case_pk.in_(pks[start : start + 500]), REV.c.revision < UC.c.revision)
        )
        for row in rows:
            found.setdefault(row.use_case_pk, set()).add(row.content_sha256)
    return found


def _bodies(manifest: Manifest) -> list[str]:
    """Each use case's content as canonical JSON (what a revision stores and hashes). The
    v1.1 fields at their defaults are left out, so v1 content keeps the digest it always had."""
    tools = {t.id: t.model_dump(mode="json") for t in manifest.tools}
    talent = {p.id: p.model_dump(mode="json") for p in manifest.talent}
    for performer in talent.values():
        strip_v11_defaults("performer", performer)
    context = manifest.production.model_dump(mode="json", include={"id", "format", "territories"})
    return [
        canonical(
            {
                "use_case": _use_case_body(uc),
                "tools": [tools[t] for t in uc.tools],
                "performers": [talent[p] for p in uc.talent.performers],
                "production": context,
            }
        )
        for uc in manifest.use_cases
    ]


def _use_case_body(use_case: UseCase) -> dict[str, Any]:
    body = use_case.model_dump(mode="json")
    strip_v11_defaults("use_case", body)
    return body


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
    db: Connection, production: str, plans: list[_Plan], existing: dict[str, Any], source: str
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
            "source": source,
        }
        for p in plans
    ]
    db.execute(insert(UC), rows)
    fresh = db.execute(select(UC).where(UC.c.production_id == production))
    return {r.uc_id: r for r in fresh if r.uc_id not in existing}


# -- re-deciding after the protected names change -----------------------------------------------


@dataclass
class Redecided:
    """What a change to the protected names re-decided."""

    productions: list[str] = field(default_factory=list)  # those with a prompt pack
    decisions: int = 0  # decisions recorded
    changed: list[str] = field(default_factory=list)  # "production/UC": outcome, obligations
    # or fired rules differ from the decision it replaces
    skipped: list[str] = field(default_factory=list)  # packs no longer found (a pack file
    # outside the built-in releases): "production: packs: why"


def redecide(db: Connection, actor: str, productions: list[str]) -> Redecided:
    """Re-decide, in the caller's transaction, the current use cases of ``productions`` whose
    current decision was made with a pack that reads ``prompt.*``, with the same packs
    (exactly: ``resolve_key``) and the names listed now. Each use case's current revision is
    rebuilt into a manifest and recorded through ``import_manifest`` (audited
    ``decision.record`` events, one decision per use case); use cases decided without a
    prompt pack, and productions with none, are untouched. Use cases whose packs cannot be
    found again (a pack file, not a built-in release) are left as they are and listed in
    ``skipped``."""
    result = Redecided()
    for production in productions:
        before = _current_decisions(db, production)
        groups: dict[str, list[Any]] = {}
        for row in before.values():
            groups.setdefault(split_key(row.packs_key)[0], []).append(row)
        touched = False
        talent = _production_talent(before.values())
        for packs, rows in groups.items():
            try:
                engine = Engine(resolve_key(packs))
            except ManifestError as exc:
                why = "; ".join(e.message for e in exc.errors)
                result.skipped.append(f"{production}: {packs}: {why}")
                continue
            if not reads_prompts(engine):
                continue
            touched = True
            ids = [part.split("@", 1)[0] for part in packs.split(",") if part]
            for manifest in _rebuilt(rows, talent, ids):
                summary = import_manifest(db, actor, manifest, engine, redecide=True)
                result.decisions += summary.decisions
        if not touched:
            continue
        result.productions.append(production)
        after = _current_decisions(db, production)
        for pk, old in before.items():
            new = after.get(pk)
            if new is not None and _verdict(new) != _verdict(old):
                result.changed.append(f"{production}/{old.uc_id}")
    return result


def _verdict(row: Any) -> tuple[str, str, str]:
    return row.outcome, row.obligations, row.rules


def _current_decisions(db: Connection, production: str) -> dict[int, Any]:
    """use case pk → its current revision's body and newest decision (live use cases)."""
    rows = db.execute(
        select(
            UC.c.pk,
            UC.c.uc_id,
            REV.c.body,
            REV.c.created_at,
            DEC.c.packs_key,
            DEC.c.outcome,
            DEC.c.obligations,
            DEC.c.rules,
        )
        .join(REV, (REV.c.use_case_pk == UC.c.pk) & (REV.c.revision == UC.c.revision))
        .join(DEC, (DEC.c.use_case_pk == UC.c.pk) & (DEC.c.revision == UC.c.revision))
        .where(UC.c.production_id == production, UC.c.withdrawn.is_(False))
        .order_by(UC.c.pk, DEC.c.decided_at, DEC.c.pk)
    )
    return {row.pk: row for row in rows}  # the newest decision wins, as status reads it


def _production_talent(rows: Any) -> dict[str, dict[str, Any]]:
    """Every performer the production's current revisions name (the newest revision's
    record of each): the talent prompts are checked against, as the web app's intake and a
    delivered file's prompt see it."""
    talent: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: (r.created_at, r.pk)):
        talent.update({p["id"]: p for p in json.loads(row.body).get("performers", [])})
    return talent


def _rebuilt(rows: list[Any], talent: dict[str, dict[str, Any]], ids: list[str]) -> list[Manifest]:
    """Manifests holding the use cases of ``rows`` exactly as their current revisions record
    them: use cases whose revisions state the production, a tool or a performer differently
    go to different manifests, so every body rebuilds to its own digest."""
    buckets: list[tuple[Any, dict[str, Any], dict[str, Any], list[Any]]] = []
    for row in sorted(rows, key=lambda r: r.pk):
        body = json.loads(row.body)
        context = body["production"]
        tools = {t["id"]: t for t in body["tools"]}
        performers = {p["id"]: p for p in body["performers"]}
        for bucket_context, bucket_tools, bucket_performers, use_cases in buckets:
            if (
                bucket_context == context
                and all(bucket_tools.get(k, v) == v for k, v in tools.items())
                and all(bucket_performers.get(k, v) == v for k, v in performers.items())
            ):
                bucket_tools.update(tools)
                bucket_performers.update(performers)
                use_cases.append(body["use_case"])
                break
        else:
            buckets.append((context, tools, performers, [body["use_case"]]))
    manifests = []
    for context, tools, performers, use_cases in buckets:
        everyone = {**talent, **performers}
        data: dict[str, Any] = {
            "version": 1,
            "production": {**context, "policies": ids},
            "tools": [tools[k] for k in sorted(tools)],
            "talent": [everyone[k] for k in sorted(everyone)],
            "use_cases": use_cases,
        }
        if needs_v11(data):
            data["version"] = 1.1
        manifests.append(Manifest.model_validate(data))
    return manifests
