"""Opening the register the current folder belongs to (used by every command)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from clearance.manifest.errors import InputError, ManifestError
from clearance.register import workspace

if TYPE_CHECKING:  # SQLAlchemy (≈ 0.3 s) is imported only where a register is opened
    from clearance.manifest.models import UseCase
    from clearance.prompts.model import Entry
    from clearance.register.store import Register


@contextmanager
def open_register(actor: str | None = None) -> Iterator[tuple[Register, workspace.Workspace]]:
    """The register of the current workspace (or ``CLEARANCE_DATABASE_URL``), schema checked.

    Raises ``ManifestError`` (exit code 2) when there is none or its schema is not current.
    """
    from clearance.register import db
    from clearance.register.store import Register

    try:
        ws = workspace.find()
        if ws is None:
            raise workspace.WorkspaceError(
                "no register here: run `clearance init` (or set CLEARANCE_DATABASE_URL)"
            )
        engine = db.connect(ws.database_url)
        db.require_current(engine)
    except (workspace.WorkspaceError, db.SchemaError) as exc:
        raise ManifestError([InputError("register", None, "", str(exc))]) from exc
    try:
        yield Register(engine, ws.attachments, workspace.actor(actor, ws)), ws
    finally:
        engine.dispose()


def choose_production(known: list[str], given: str | None) -> str:
    """Which production a command or request means: ``given`` (it must exist), else the
    register's only one. Several and none given is ambiguous: the caller must say which
    (``--production``) — never a guess, never a silent skip. Raises ``ManifestError``."""
    if given is not None:
        if given not in known:
            problem = (
                f"no production {given!r} in the register (have: {', '.join(known) or 'none'})"
            )
            raise ManifestError([InputError("--production", None, "", problem)])
        return given
    if len(known) == 1:
        return known[0]
    problem = (
        "the register is empty: run `clearance import MANIFEST`"
        if not known
        else f"the register holds {len(known)} productions ({', '.join(known)}): "
        "say which with --production"
    )
    raise ManifestError([InputError("--production", None, "", problem)])


def pick_production(register: Register, given: str | None) -> str:
    """``choose_production`` over the productions ``register`` holds."""
    from clearance.register import queries

    with register.read() as conn:
        return choose_production(queries.productions(conn), given)


def evidence_from_register(
    production: str, use_register: bool, on: str | None
) -> Callable[[UseCase, tuple[str, ...]], set[str]] | None:
    """For ``clearance check``: the evidence callback when a workspace holds this production,
    else ``None`` (every obligation open)."""
    try:
        found = use_register and workspace.find() is not None
    except workspace.WorkspaceError as exc:
        raise ManifestError([InputError("register", None, "", str(exc))]) from exc
    if not found:
        return None
    from clearance.register import queries

    day = dt.date.fromisoformat(on) if on else dt.date.today()
    with open_register() as (register, _ws), register.read() as conn:
        if production not in queries.productions(conn):
            return None
        return queries.evidence_check(conn, production, register.store, day)


def names_from_register(production: str, use_register: bool) -> list[Entry]:
    """For ``clearance check``/``explain``: the protected names the production's prompts are
    checked against (its own and the shared list) when a workspace holds this production,
    else none (prompts are then checked against the manifest's talent only)."""
    try:
        found = use_register and workspace.find() is not None
    except workspace.WorkspaceError as exc:
        raise ManifestError([InputError("register", None, "", str(exc))]) from exc
    if not found:
        return []
    from clearance.register import names, queries

    with open_register() as (register, _ws), register.read() as conn:
        if production not in queries.productions(conn):
            return []
        return names.entries(conn, production)
