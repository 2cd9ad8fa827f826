"""A production's locked cuts: which edit, where its media is mounted and how to read it.

A cut belongs to one production, like its use cases, so the cue sheet and the report that
any face (CLI, web app) builds for a production can only ever show that production's edit,
media and prompts. Registering a cut is an audited write.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from clearance.manifest.errors import InputError, ManifestError
from clearance.register import audit, schema
from clearance.register.audit import Event, row_digest
from clearance.register.canonical import canonical

CUT_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"


@dataclass(frozen=True)
class CutSource:
    """Everything needed to read a cut and find its media (the same for every face)."""

    edit: Path
    media: tuple[Path, ...]
    rate: str | None = None
    drop_frame: bool | None = None
    start: str | None = None
    rules: Path | None = None
    sequence: str | None = None


@dataclass(frozen=True)
class Cut:
    production: str
    name: str
    source: CutSource
    added_by: str
    added_at: str

    def to_json(self) -> dict[str, Any]:
        settings = asdict(self.source)
        settings["edit"] = str(self.source.edit)
        settings["media"] = [str(m) for m in self.source.media]
        settings["rules"] = str(self.source.rules) if self.source.rules else None
        return {
            "production": self.production,
            "name": self.name,
            **settings,
            "added_by": self.added_by,
            "added_at": self.added_at,
        }


def _row(production: str, name: str, source: CutSource, actor: str) -> dict[str, Any]:
    settings = {
        "rate": source.rate,
        "drop_frame": source.drop_frame,
        "start": source.start,
        "rules": str(source.rules) if source.rules else None,
        "sequence": source.sequence,
    }
    return {
        "production_id": production,
        "name": name,
        "edit": str(source.edit),
        "media": canonical([str(m) for m in source.media]),
        "settings": canonical(settings),
        "added_by": actor,
        "added_at": audit.now(),
    }


def _cut(row: Any) -> Cut:
    settings = json.loads(row.settings)
    source = CutSource(
        edit=Path(row.edit),
        media=tuple(Path(m) for m in json.loads(row.media)),
        rate=settings.get("rate"),
        drop_frame=settings.get("drop_frame"),
        start=settings.get("start"),
        rules=Path(settings["rules"]) if settings.get("rules") else None,
        sequence=settings.get("sequence"),
    )
    return Cut(row.production_id, row.name, source, row.added_by, row.added_at)


def save(db: Connection, actor: str, production: str, name: str, source: CutSource) -> bool:
    """Add or replace the cut ``name`` of ``production``; True when it was new."""
    table = schema.cuts
    old = db.execute(
        select(table).where(table.c.production_id == production, table.c.name == name)
    ).first()
    row = _row(production, name, source, actor)
    if old is not None:
        db.execute(delete(table).where(table.c.production_id == production, table.c.name == name))
    db.execute(insert(table), [row])
    action = "cut.add" if old is None else "cut.replace"
    before = row_digest(old) if old is not None else None
    subject = f"cut:{production}/{name}"
    audit.append(db, actor, [Event(action, subject, production, before, row_digest(row))])
    return old is None


def remove(db: Connection, actor: str, production: str, name: str) -> None:
    table = schema.cuts
    old = db.execute(
        select(table).where(table.c.production_id == production, table.c.name == name)
    ).first()
    if old is None:
        raise _unknown(db, production, name)
    db.execute(delete(table).where(table.c.production_id == production, table.c.name == name))
    subject = f"cut:{production}/{name}"
    audit.append(db, actor, [Event("cut.remove", subject, production, row_digest(old), None)])


def listed(db: Connection, production: str) -> list[Cut]:
    table = schema.cuts
    rows = db.execute(
        select(table).where(table.c.production_id == production).order_by(table.c.name)
    )
    return [_cut(r) for r in rows]


def find(db: Connection, production: str, name: str | None) -> Cut:
    """The cut ``name`` of ``production``; without a name, its only cut. Raises
    ``ManifestError`` (exit code 2) naming the cuts there are."""
    cuts = listed(db, production)
    if name is None:
        if len(cuts) == 1:
            return cuts[0]
        names = ", ".join(c.name for c in cuts)
        problem = (
            f"{production} has no cut: register one with `clearance cut add`"
            if not cuts
            else f"{production} has {len(cuts)} cuts ({names}): say which with --cut"
        )
        raise ManifestError([InputError("--cut", None, "", problem)])
    for cut in cuts:
        if cut.name == name:
            return cut
    raise _unknown(db, production, name)


def _unknown(db: Connection, production: str, name: str) -> ManifestError:
    names = ", ".join(c.name for c in listed(db, production)) or "none"
    problem = f"no cut {name!r} in {production} (have: {names})"
    return ManifestError([InputError("--cut", None, "", problem)])
