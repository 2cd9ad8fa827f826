"""The register's use cases written back as a manifest (``clearance manifest export``).

The register is the source of truth for a production's use cases — some are declared in the
web app, some imported from one or more manifest files — so a team needs a way to bring a
file back in line with it. Each current revision stores the use case exactly as it was
decided, with its tools' terms, its performers and the production's context, so the manifest
is rebuilt from those bodies; importing it again changes no revision.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from clearance.manifest.models import Manifest, needs_v11
from clearance.register import schema


def production_manifest(db: Connection, production: str, use_cases: bool = True) -> dict[str, Any]:
    """A manifest (as JSON-able data, validated) of ``production``'s current use cases; with
    ``use_cases=False`` only its context, tools and talent (what the web intake offers).

    Tools and performers come from the use cases' current revisions; when two revisions
    state a tool's terms differently, the newer revision's terms win (they are what the
    newer decision used).
    """
    uc, rev, dec = schema.use_cases, schema.revisions, schema.decisions
    row = db.execute(
        select(schema.productions).where(schema.productions.c.id == production)
    ).first()
    if row is None:
        raise LookupError(f"no production {production!r}")
    current = db.execute(
        select(uc.c.pk, uc.c.uc_id, rev.c.body, rev.c.created_at)
        .join(rev, (rev.c.use_case_pk == uc.c.pk) & (rev.c.revision == uc.c.revision))
        .where(uc.c.production_id == production, uc.c.withdrawn.is_(False))
        .order_by(uc.c.pk)
    ).all()
    context: dict[str, Any] = {"id": production}
    tools: dict[str, dict[str, Any]] = {}
    talent: dict[str, dict[str, Any]] = {}
    listed: list[dict[str, Any]] = []
    for entry in sorted(current, key=lambda r: (r.created_at, r.pk)):  # newest last
        body = json.loads(entry.body)
        context.update(body.get("production", {}))
        tools.update({t["id"]: t for t in body.get("tools", [])})
        talent.update({p["id"]: p for p in body.get("performers", [])})
    for entry in current:  # the register's order
        listed.append(json.loads(entry.body)["use_case"])
    production_data: dict[str, Any] = {"id": production}
    if row.title:
        production_data["title"] = row.title
    production_data.update({k: v for k, v in context.items() if k != "id"})
    policies = _policies(db, [r.pk for r in current], dec)
    if policies:
        production_data["policies"] = policies
    manifest = {
        "version": 1,
        "production": production_data,
        "tools": sorted(tools.values(), key=lambda t: t["id"]),
        "talent": sorted(talent.values(), key=lambda p: p["id"]),
        "use_cases": listed if use_cases else [],
    }
    if needs_v11(manifest):
        manifest["version"] = 1.1
    Manifest.model_validate(manifest)  # what we write must be a valid manifest
    return manifest


def _policies(db: Connection, pks: list[int], dec: Any) -> list[str]:
    """The decision packs of the newest decision: ``netflix-genai@1.0.0#…`` → ids."""
    if not pks:
        return []
    newest = db.execute(
        select(dec.c.packs_key)
        .where(dec.c.use_case_pk.in_(pks[-500:]))
        .order_by(dec.c.decided_at.desc(), dec.c.pk.desc())
        .limit(1)
    ).scalar()
    if not newest:
        return []
    return [part.split("@", 1)[0] for part in str(newest).split(",") if part]
