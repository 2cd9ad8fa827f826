"""What the pages and the API show, read from the register in one snapshot. Pages and API
call the same functions, so they cannot disagree."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from clearance.register import queries
from clearance.register.status import EvidenceView, UseCaseStatus, status_json, summarise
from clearance.reports.delivery_data import latest_scan
from clearance.web.cache import RegisterCache


def _status(
    db: Connection, production: str, on: dt.date, store: Path, cache: RegisterCache | None
) -> list[UseCaseStatus]:
    if cache is None:
        return queries.status(db, production, on, store)
    return cache.status(db, production, on, store)


def _evidence(db: Connection, production: str, cache: RegisterCache | None) -> list[EvidenceView]:
    return queries.evidence(db, production) if cache is None else cache.evidence(db, production)


def _status_json(s: UseCaseStatus) -> dict[str, Any]:
    return status_json(s)


def productions(
    db: Connection,
    allowed: set[str],
    store: Path,
    on: dt.date,
    cache: RegisterCache | None = None,
) -> list[dict[str, Any]]:
    """The caller's productions with counts by outcome and cleared."""
    result = []
    for row in queries.production_rows(db):
        if row.id not in allowed:
            continue
        summary = (
            summarise(_status(db, row.id, on, store, cache))
            if cache is None
            else cache.summary(db, row.id, on, store)
        )
        result.append({"id": row.id, "title": row.title, **summary})
    return result


def use_cases(
    db: Connection,
    production: str,
    store: Path,
    on: dt.date,
    cache: RegisterCache | None = None,
    outcome: str = "",
    open_only: bool = False,
    offset: int = 0,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The production's use cases (filtered by ``outcome`` / not cleared), in declaration
    order; ``offset``/``limit`` page them. Only the page is shaped."""
    page = use_case_page(db, production, store, on, cache, outcome, open_only, offset, limit)
    items: list[dict[str, Any]] = page["items"]
    return items


def use_case_page(
    db: Connection,
    production: str,
    store: Path,
    on: dt.date,
    cache: RegisterCache | None = None,
    outcome: str = "",
    open_only: bool = False,
    offset: int = 0,
    limit: int | None = None,
) -> dict[str, Any]:
    """One page of use cases: ``items``, ``total`` (all current use cases), ``matching`` (after
    the filters), ``offset`` and ``limit``. A page's cost is its size plus one pass over the
    (cached) statuses, not a shaped production."""
    states = _status(db, production, on, store, cache)
    matching = [
        s
        for s in states
        if (not outcome or s.outcome == outcome) and (not open_only or not s.cleared)
    ]
    window = matching[offset:] if limit is None else matching[offset : offset + limit]
    reviews = _latest_reviews(db, production, [s.id for s in window])
    items = []
    for s in window:
        item = _status_json(s)
        review = reviews.get(s.id)
        item["review"] = review if review and review["revision"] == s.revision else None
        items.append(item)
    return {
        "items": items,
        "total": len(states),
        "matching": len(matching),
        "offset": offset,
        "limit": limit,
    }


def use_case(
    db: Connection,
    production: str,
    uc_id: str,
    store: Path,
    on: dt.date,
    cache: RegisterCache | None = None,
) -> dict[str, Any] | None:
    """Everything about one use case: its content, decision with citations, obligations with
    evidence, reviews and history."""
    if cache is not None:
        state = cache.use_case_status(db, production, uc_id, on, store)
    else:
        found = queries.status(db, production, on, store, uc_ids=[uc_id])
        state = found[0] if found else None
    if state is None:
        return None
    body = queries.use_case_bodies(db, production, [uc_id]).get(uc_id, {})
    rules = queries.decision_rules(db, production, uc_id, state.revision, state.packs)
    evidence = [
        {
            "id": e.id,
            "kind": e.kind,
            "date": e.date,
            "expires": e.expires,
            "reference": e.reference,
            "details": e.details,
            "performer": e.performer,
            "use_cases": sorted(e.scope),
            "territories": e.territories,
            "deliverables": e.deliverables,
            "attachment": e.attachment_sha256,
            "recorded_by": e.recorded_by,
            "revoked": e.revoked_at is not None,
            "revoke_reason": e.revoke_reason,
        }
        for e in (
            cache.evidence_of(db, production, uc_id)
            if cache is not None
            else [e for e in queries.evidence(db, production) if uc_id in e.scope]
        )
    ]
    reviews = [_review_json(r) for r in queries.reviews(db, production, uc_id)]
    related = {f"evidence:{e['id']}" for e in evidence} | {f"review:{r['id']}" for r in reviews}
    history = queries.use_case_history(db, production, uc_id, related)
    return {
        **_status_json(state),
        "use_case": body.get("use_case", {}),
        "tools": body.get("tools", []),
        "performers": body.get("performers", []),
        "rules": [
            {
                "id": r["id"],
                "title": r.get("title", ""),
                "outcome": r.get("outcome", ""),
                "because": r.get("because", ""),
                "section": (r.get("citation") or {}).get("section", r.get("cites", "")),
                "document": (r.get("citation") or {}).get("document", ""),
                "url": (r.get("citation") or {}).get("url"),
            }
            for r in rules
        ],
        "evidence": evidence,
        "reviews": reviews,
        "history": history,
    }


QUEUE_SORTS = ("outcome", "age", "id", "declared_by")


def queue(
    db: Connection,
    production: str,
    store: Path,
    on: dt.date,
    cache: RegisterCache | None = None,
    sort: str = "outcome",
    outcome: str = "",
    declared_by: str = "",
    limit: int | None = None,
) -> dict[str, list[Any]]:
    """Use cases waiting for a reviewer (written approval open, no pending request or denial
    on the current revision) and those waiting for their contributor; each says who
    declared it and how long its current revision has waited. ``sort``: outcome (strongest
    first, then oldest), age (oldest first), id or declared_by; ``outcome`` and
    ``declared_by`` filter; ``limit`` keeps the first of each list."""
    found = queue_overview(db, production, store, on, cache, sort, outcome, declared_by, limit)
    return {"review": found["review"], "contributor": found["contributor"]}


def queue_overview(
    db: Connection,
    production: str,
    store: Path,
    on: dt.date,
    cache: RegisterCache | None = None,
    sort: str = "outcome",
    outcome: str = "",
    declared_by: str = "",
    limit: int | None = None,
) -> dict[str, Any]:
    """``queue`` with how many wait in each list (``review_total``, ``contributor_total``)
    and everyone who declared something waiting (``people``, for the filter). Every waiting
    use case is sorted, but only the shown ones are shaped."""
    waiting = [
        s
        for s in _status(db, production, on, store, cache)
        if "written-approval" in s.open and (not outcome or s.outcome == outcome)
    ]
    ids = [s.id for s in waiting]
    who = declared(db, production, ids) if ids else {}
    reviews = _latest_reviews(db, production, ids)
    people = sorted({who.get(s.id, ({}, {}))[0].get("by", "") for s in waiting})
    lists: dict[str, list[tuple[Any, ...]]] = {"review": [], "contributor": []}
    for s in waiting:
        first, current = who.get(s.id, ({}, {}))
        by, revised_by, since = first.get("by", ""), current.get("by", ""), current.get("at", "")
        if declared_by and declared_by not in (by, revised_by):
            continue
        review = reviews.get(s.id)
        review = review if review and review["revision"] == s.revision else None
        sent_back = review is not None and review["decision"] in ("changes-requested", "denied")
        lists["contributor" if sent_back else "review"].append((s, review, by, revised_by, since))
    order = {"escalate": 0, "judgment": 1, "proceed": 2}
    keys: dict[str, Any] = {
        "outcome": lambda e: (order[e[0].outcome], e[4], e[0].id),
        "age": lambda e: (e[4], e[0].id),
        "id": lambda e: e[0].id,
        "declared_by": lambda e: (e[2], e[4]),
    }
    key = keys.get(sort, keys["outcome"])
    now = dt.datetime.now(dt.UTC)
    result: dict[str, Any] = {"people": [p for p in people if p]}
    for name, entries in lists.items():
        entries.sort(key=key)
        result[f"{name}_total"] = len(entries)
        result[name] = [
            {
                **_status_json(s),
                "review": review,
                "declared_by": by,
                "revised_by": revised_by,
                "waiting_since": since,
                "age_days": _age_days(since, now),
            }
            for s, review, by, revised_by, since in (entries if limit is None else entries[:limit])
        ]
    return result


def _age_days(at: str, now: dt.datetime) -> int | None:
    try:
        then = dt.datetime.fromisoformat(at)
    except ValueError:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=dt.UTC)
    return max(0, (now - then).days)


def declared(
    db: Connection, production: str, uc_ids: list[str] | None = None
) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """uc id → (who recorded its first revision and when, who recorded its current one)."""
    return queries.revision_authors(db, production, uc_ids)


#: Audit actions as people read them (an unknown action is shown as it is stored).
ACTION_NAMES = {
    "production.create": "production created",
    "use-case.create": "use case declared",
    "use-case.revise": "use case revised",
    "use-case.withdraw": "use case withdrawn",
    "use-case.return": "use case back in the manifest",
    "use-case.claim": "use case claimed by a manifest",
    "revision.record": "revision recorded",
    "decision.record": "decision recorded",
    "evidence.revoke": "evidence revoked",
    "attachment.store": "attachment stored",
    "asset.add": "file registered",
    "scan.record": "scan recorded",
    "scan.file": "scanned file recorded",
    "review.approved": "approved",
    "review.changes-requested": "changes requested",
    "review.denied": "denied",
    "membership.grant": "role granted",
    "membership.revoke": "role taken away",
    "user.add": "account created",
    "user.disable": "account disabled",
    "user.enable": "account enabled",
    "user.password": "password changed",
    "api-token.create": "API token created",
    "api-token.revoke": "API token revoked",
}


def action_name(action: str) -> str:
    if action in ACTION_NAMES:
        return ACTION_NAMES[action]
    if action.startswith("evidence."):
        return f"{action.split('.', 1)[1]} evidence recorded"
    return action


def audit(
    db: Connection, production: str, actor: str = "", action: str = "", limit: int = 500
) -> list[dict[str, Any]]:
    """The production's audit trail, newest first, with readable action names."""
    rows = queries.audit_log(
        db, production=production, actor=actor or None, action=action or None, limit=limit
    )
    return [
        {
            "seq": r["seq"],
            "at": r["at"],
            "actor": r["actor"],
            "action": r["action"],
            "what": action_name(r["action"]),
            "subject": r["subject"],
        }
        for r in reversed(rows)
    ]


def title(db: Connection, production: str) -> str:
    """The production's title (its id when it has none)."""
    return queries.production_title(db, production) or production


def consents(
    db: Connection,
    production: str,
    cache: RegisterCache | None = None,
    kind: str = "talent-consent",
) -> list[dict[str, Any]]:
    """The production's consents of ``kind``: performers' own (talent-consent), or an estate's
    for a deceased performer (estate-consent, with its party and capacity in ``details``)."""
    return [
        {
            "id": e.id,
            "performer": e.performer,
            "use_cases": sorted(e.scope),
            "date": e.date,
            "expires": e.expires,
            "reference": e.reference,
            "details": e.details,
            "replica": e.details.get("replica", []),
            "uses": e.details.get("uses", []),
            "guild_notified": bool(e.details.get("guild_notified", False)),
            "attachment": e.attachment_sha256,
            "recorded_by": e.recorded_by,
            "revoked": e.revoked_at is not None,
            "revoke_reason": e.revoke_reason,
        }
        for e in _evidence(db, production, cache)
        if e.kind == kind
    ]


def tools(db: Connection, production: str) -> list[dict[str, Any]]:
    """The tools the production's use cases declare, with their data terms and users."""
    ids = queries.current_use_case_ids(db, production)
    found: dict[str, dict[str, Any]] = {}
    for uc_id, body in sorted(queries.use_case_bodies(db, production, ids).items()):
        for tool in body.get("tools", []):
            entry = found.setdefault(tool["id"], {**tool, "use_cases": []})
            entry["use_cases"].append(uc_id)
    return [found[k] for k in sorted(found)]


def scans(db: Connection, production: str) -> dict[str, Any]:
    history = [
        {
            "id": r.id,
            "started_at": r.started_at,
            "roots": json.loads(r.roots),
            "summary": json.loads(r.summary),
            "recorded_by": r.recorded_by,
        }
        for r in queries.scan_history(db, production)
    ]
    latest = latest_scan(db, production)
    return {"scans": history, "latest": latest.model_dump(mode="json") if latest else None}


def _latest_reviews(
    db: Connection, production: str, uc_ids: list[str] | None = None
) -> dict[str, dict[str, Any]]:
    if uc_ids is not None and not uc_ids:
        return {}
    rows = queries.reviews(db, production, uc_ids=uc_ids)
    return {row.uc_id: _review_json(row) for row in rows}


def _review_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "revision": row.revision,
        "decision": row.decision,
        "comment": row.comment,
        "conditions": json.loads(row.conditions),
        "expires": row.expires,
        "evidence_id": row.evidence_id,
        "reviewer": row.reviewer,
        "at": row.created_at,
    }


def members(db: Connection, production: str) -> list[dict[str, Any]]:
    """The production's members and their roles."""
    return [
        {
            "username": r.username,
            "name": r.display_name,
            "role": r.role,
            "disabled": bool(r.disabled),
            "granted_by": r.granted_by,
            "granted_at": r.granted_at,
        }
        for r in queries.members(db, production)
    ]
