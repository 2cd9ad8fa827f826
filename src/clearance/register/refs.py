"""Writes of the reference library and of similarity checks (issue 15), each audited.

A reference is added with its hashes in one transaction (``ref:<id>`` and one
``ref-hashes:<id>`` event), removed softly (its rows stay: the trail and every check that
named it stay readable), and a check is recorded whether or not it matched — the record is
the evidence that the comparison was made.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from clearance.manifest.errors import InputError, ManifestError
from clearance.register import audit, schema
from clearance.register.audit import Event, hashes_digest, row_digest
from clearance.register.canonical import canonical


@dataclass(frozen=True)
class NewRef:
    """A reference to add: what it is, where it came from, and its hashes as
    ``(frame, seconds, crop, pdq hex, quality)``."""

    label: str
    owner: str
    kind: str
    path: str
    sha256: str
    media_type: str
    duration: float | None
    hashes: list[tuple[int, float, str, str, int]] = field(default_factory=list)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10].upper()}"


def add(
    db: Connection, actor: str, production: str | None, items: list[NewRef]
) -> list[tuple[str, bool]]:
    """Add references to ``production``'s library (``None``: the shared one); returns
    ``(id, added)`` per item — a file already in that library keeps its id, not added again."""
    table = schema.refs
    scope = (
        table.c.production_id.is_(None)
        if production is None
        else (table.c.production_id == production)
    )
    existing = {
        r.sha256: r.id
        for r in db.execute(
            select(table.c.sha256, table.c.id).where(scope, table.c.removed_at.is_(None))
        )
    }
    results: list[tuple[str, bool]] = []
    events: list[Event] = []
    for item in items:
        if item.sha256 in existing:
            results.append((existing[item.sha256], False))
            continue
        ref_id = new_id("RF")
        existing[item.sha256] = ref_id
        row: dict[str, Any] = {
            "id": ref_id,
            "production_id": production,
            "label": item.label,
            "owner": item.owner,
            "kind": item.kind,
            "path": item.path,
            "sha256": item.sha256,
            "media_type": item.media_type,
            "frames": len({h[0] for h in item.hashes}),
            "duration": item.duration,
            "added_by": actor,
            "added_at": audit.now(),
            "removed_at": None,
            "removed_by": None,
            "remove_reason": None,
        }
        hashes = [
            {"ref_id": ref_id, "frame": f, "seconds": s, "crop": c, "pdq": p, "quality": q}
            for f, s, c, p, q in item.hashes
        ]
        db.execute(insert(table), [row])
        db.execute(insert(schema.ref_hashes), hashes)
        events += [
            Event("ref.add", f"ref:{ref_id}", production, None, row_digest(row)),
            Event("ref.hashes", f"ref-hashes:{ref_id}", production, None, hashes_digest(hashes)),
        ]
        results.append((ref_id, True))
    audit.append(db, actor, events)
    return results


def remove(db: Connection, actor: str, production: str, ref_id: str, reason: str) -> Any:
    """Take a reference out of the library (soft: its rows and hashes stay, marked removed).
    Only a reference of ``production``'s library or the shared one can be removed from it."""
    table = schema.refs
    old = db.execute(select(table).where(table.c.id == ref_id)).first()
    if old is None or old.production_id not in (production, None):
        raise ManifestError(
            [InputError("ref", None, "", f"no reference {ref_id!r} in {production}'s library")]
        )
    if old.removed_at is not None:
        raise ManifestError(
            [InputError("ref", None, "", f"{ref_id} was removed on {old.removed_at[:10]}")]
        )
    if not reason.strip():
        raise ManifestError([InputError("--reason", None, "", "say why it is removed")])
    values = {"removed_at": audit.now(), "removed_by": actor, "remove_reason": reason}
    db.execute(update(table).where(table.c.id == ref_id).values(**values))
    new = {**old._mapping, **values}
    audit.append(
        db,
        actor,
        [Event("ref.remove", f"ref:{ref_id}", old.production_id, row_digest(old), row_digest(new))],
    )
    return new


@dataclass(frozen=True)
class Check:
    """One file compared with a library: what was compared, with what, and what came of it."""

    path: str
    sha256: str
    frames: int
    library_version: str
    library_size: int
    threshold: int
    pack: str | None
    matches: list[dict[str, Any]]
    problem: str | None = None


def record_checks(
    db: Connection, actor: str, production: str, checks: list[Check], scan_id: str | None = None
) -> list[str]:
    """Record that each file was compared (matched or not); returns the check ids."""
    ids = [new_id("SM") for _ in checks]
    rows: list[dict[str, Any]] = [
        {
            "id": check_id,
            "production_id": production,
            "scan_id": scan_id,
            "sha256": c.sha256,
            "path": c.path,
            "frames": c.frames,
            "library_version": c.library_version,
            "library_size": c.library_size,
            "threshold": c.threshold,
            "pack": c.pack,
            "matches": canonical(c.matches),
            "problem": c.problem,
            "checked_at": audit.now(),
            "checked_by": actor,
        }
        for check_id, c in zip(ids, checks, strict=True)
    ]
    if rows:
        db.execute(insert(schema.similarity_checks), rows)
        audit.append(
            db,
            actor,
            [
                Event(
                    "similarity.check",
                    f"similarity-check:{r['id']}",
                    production,
                    None,
                    row_digest(r),
                )
                for r in rows
            ],
        )
    return ids


def check_from_facts(path: str, sha256: str, similar: dict[str, Any], pack: str | None) -> Check:
    """The record of a scanned file's comparison, from its ``similar`` facts."""
    return Check(
        path=path,
        sha256=sha256,
        frames=int(similar.get("frames", 0)),
        library_version=str(similar.get("library_version", "")),
        library_size=int(similar.get("library_size", 0)),
        threshold=int(similar.get("radius", 0)),
        pack=pack,
        matches=list(similar.get("matches", [])),
        problem=similar.get("problem") or None,
    )
