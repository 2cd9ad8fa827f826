"""Protected names: who and what prompts must not name without clearance (issue 15, item 4).

A name belongs to one production, or to every production (``production_id`` NULL: the shared
list). Adding and removing are audited writes; removal is soft (who, when, why), so a decision
made while a name was listed can still be explained. The prompt checks read the live names of
a production plus the shared ones (``entries``).

A decision made with prompt checks records which list it was made with (``list_digest``, in
its key), so adding or removing a name re-decides the current use cases of every production
the list applies to, in the same transaction (``importer.redecide``): what the register shows
always reflects the current names.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Connection

from clearance.manifest.errors import InputError, ManifestError
from clearance.prompts.model import NAME_KINDS, Entry
from clearance.prompts.text import fold_name
from clearance.register import audit, schema
from clearance.register.audit import Event, row_digest
from clearance.register.canonical import canonical, digest

if TYPE_CHECKING:
    from clearance.register.importer import Redecided

#: Bounds on what one name may hold (a name is a few words, not a document).
MAX_NAME = 200
MAX_ALIASES = 20


@dataclass(frozen=True)
class ProtectedName:
    id: str
    production: str | None  # None: shared by every production
    name: str
    kind: str
    aliases: tuple[str, ...]
    notes: str | None
    added_by: str
    added_at: str
    removed_at: str | None = None
    removed_by: str | None = None
    remove_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "production": self.production,
            "shared": self.production is None,
            "name": self.name,
            "kind": self.kind,
            "aliases": list(self.aliases),
            "notes": self.notes,
            "added_by": self.added_by,
            "added_at": self.added_at,
            "removed_at": self.removed_at,
            "removed_by": self.removed_by,
            "remove_reason": self.remove_reason,
        }


@dataclass(frozen=True)
class NameChange:
    """A name added or removed, and the decisions re-made because of it."""

    name: ProtectedName
    redecided: Redecided


def _problem(option: str, message: str) -> ManifestError:
    return ManifestError([InputError(option, None, "", message)])


def _clean(text: str, option: str) -> str:
    value = " ".join(text.split())
    if not fold_name(value):
        raise _problem(option, f"{text!r}: expected a name with at least one letter or digit")
    if len(value) > MAX_NAME:
        raise _problem(option, f"longer than {MAX_NAME} characters")
    return value


def add(
    db: Connection,
    actor: str,
    production: str | None,
    name: str,
    kind: str,
    aliases: list[str],
    notes: str | None = None,
) -> NameChange:
    """List ``name`` for ``production`` (None: shared) and re-decide the current use cases it
    applies to. Refuses an unknown kind, an empty or overlong name, and a name or alias
    already listed live in the same list (exit code 2)."""
    if kind not in NAME_KINDS:
        raise _problem("--kind", f"{kind!r}: expected one of {', '.join(NAME_KINDS)}")
    name = _clean(name, "name")
    cleaned = list(dict.fromkeys(_clean(a, "--alias") for a in aliases))
    if len(cleaned) > MAX_ALIASES:
        raise _problem("--alias", f"at most {MAX_ALIASES} aliases")
    listed_forms = {
        fold_name(form): n for n in listed(db, production, shared=False) for form in _forms(n)
    }
    for form, option in [(name, "name"), *((a, "--alias") for a in cleaned)]:
        other = listed_forms.get(fold_name(form))
        if other is not None:
            where = "the shared list" if production is None else production
            raise _problem(option, f"{form!r} is already listed in {where} as {other.id}")
    row = {
        "id": f"PN-{uuid.uuid4().hex[:10].upper()}",
        "production_id": production,
        "name": name,
        "kind": kind,
        "aliases": canonical(cleaned),
        "notes": notes,
        "added_by": actor,
        "added_at": audit.now(),
        "removed_at": None,
        "removed_by": None,
        "remove_reason": None,
    }
    db.execute(schema.protected_names.insert(), [row])
    subject = f"protected-name:{row['id']}"
    event = Event("protected-name.add", subject, production, None, row_digest(row))
    audit.append(db, actor, [event])
    return NameChange(_name(row), _redecide(db, actor, production))


def remove(db: Connection, actor: str, name_id: str, reason: str) -> NameChange:
    """Take a name off its list (soft: who, when and why are kept) and re-decide the current
    use cases it applied to."""
    if not reason.strip():
        raise _problem("--reason", "say why the name is removed")
    table = schema.protected_names
    old = db.execute(select(table).where(table.c.id == name_id.strip().upper())).first()
    if old is None:
        raise _problem("id", f"no protected name {name_id!r} (see `clearance names list`)")
    if old.removed_at is not None:
        raise _problem("id", f"{old.id} was already removed on {old.removed_at[:10]}")
    values = {"removed_at": audit.now(), "removed_by": actor, "remove_reason": reason.strip()}
    db.execute(update(table).where(table.c.id == old.id).values(**values))
    after = {**old._mapping, **values}
    event = Event(
        "protected-name.remove",
        f"protected-name:{old.id}",
        old.production_id,
        row_digest(old),
        row_digest(after),
    )
    audit.append(db, actor, [event])
    return NameChange(_name(after), _redecide(db, actor, old.production_id))


def _redecide(db: Connection, actor: str, production: str | None) -> Redecided:
    """Re-decide what a change to ``production``'s list (None: the shared list) affects."""
    from clearance.register import importer

    if production is None:
        table = schema.productions
        affected = list(db.execute(select(table.c.id).order_by(table.c.id)).scalars())
    else:
        affected = [production]
    return importer.redecide(db, actor, affected)


def listed(
    db: Connection, production: str | None, shared: bool = True, removed: bool = False
) -> list[ProtectedName]:
    """The names of ``production`` (None: the shared list), with the shared ones when
    ``shared``; live ones only unless ``removed``. Shared names first, then by name."""
    table = schema.protected_names
    scope = (
        table.c.production_id.is_(None)
        if production is None
        else (
            or_(table.c.production_id == production, table.c.production_id.is_(None))
            if shared
            else table.c.production_id == production
        )
    )
    query = select(table).where(scope)
    if not removed:
        query = query.where(table.c.removed_at.is_(None))
    rows = [_name(r._mapping) for r in db.execute(query)]
    return sorted(rows, key=lambda n: (n.production is not None, n.name.casefold(), n.id))


def entries(db: Connection, production: str) -> list[Entry]:
    """The live names the prompts of ``production`` are checked against (its own and the
    shared ones), as the matcher takes them."""
    return [Entry(n.id, n.name, n.kind, n.aliases) for n in listed(db, production)]


def list_digest(db: Connection, production: str) -> str:
    """Which list of names a decision of ``production`` is made with: a digest of the live
    names that apply (its own and the shared ones: id, name, kind, aliases) and of the ids of
    those removed. A removed name never comes back (removal is final; listing it again makes
    a new id), so the digest never returns to an earlier value: a decision is unique per
    revision and key, and the newest decision of a revision is the current one."""
    every = listed(db, production, removed=True)
    live = sorted([n.id, n.name, n.kind, list(n.aliases)] for n in every if n.removed_at is None)
    removed = sorted(n.id for n in every if n.removed_at is not None)
    return digest({"live": live, "removed": removed})[:16]


def _forms(name: ProtectedName) -> tuple[str, ...]:
    return (name.name, *name.aliases)


def _name(row: Any) -> ProtectedName:
    return ProtectedName(
        id=row["id"],
        production=row["production_id"],
        name=row["name"],
        kind=row["kind"],
        aliases=tuple(json.loads(row["aliases"])),
        notes=row["notes"],
        added_by=row["added_by"],
        added_at=row["added_at"],
        removed_at=row["removed_at"],
        removed_by=row["removed_by"],
        remove_reason=row["remove_reason"],
    )


def prompt_entries(db: Connection, production: str) -> list[Entry]:
    """Everything a delivered file's prompt is checked against: the production's talent as
    its use cases' current revisions record them (kind ``talent``), then its live protected
    names and the shared ones."""
    uc, rev = schema.use_cases, schema.revisions
    talent: dict[str, str] = {}
    rows = db.execute(
        select(rev.c.body)
        .join(uc, (rev.c.use_case_pk == uc.c.pk) & (rev.c.revision == uc.c.revision))
        .where(uc.c.production_id == production, uc.c.withdrawn.is_(False))
    )
    for (body,) in rows:
        for performer in json.loads(body).get("performers", []):
            talent.setdefault(performer.get("id", ""), performer.get("name", ""))
    found = [Entry(pid, name, "talent") for pid, name in sorted(talent.items()) if pid and name]
    return found + entries(db, production)
