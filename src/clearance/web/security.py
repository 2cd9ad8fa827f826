"""Who is asking, and may they: session cookies or API tokens, CSRF on every form, roles per
production, and a login rate limit shared by every server process.

* Browser sessions: a random cookie (HttpOnly, SameSite=Lax, Secure behind TLS) whose digest
  names a row in ``web_sessions``; each session has its own CSRF token, required on every
  unsafe request made with the cookie (form field ``csrf_token`` or header ``X-CSRF-Token``,
  which htmx sends).
* Pipelines: ``Authorization: Bearer TOKEN`` (``clearance user token``); no cookie, so no CSRF.
* Roles are per production. A production the user is not a member of answers 404 — the same
  as one that does not exist — so members of one production learn nothing of another.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import HTTPException, Request
from sqlalchemy import Connection, Engine, delete, insert, select

from clearance.register import schema
from clearance.register.accounts import Accounts, Role, User
from clearance.register.db import WRITE

SESSION_COOKIE = "clearance_session"
LOGIN_COOKIE = "clearance_login_csrf"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Caller:
    user: User
    csrf: str | None  # None for API-token callers (no cookie to forge)


def caller(request: Request, accounts: Accounts) -> Caller | None:
    """The caller of ``request``, by bearer token or session cookie, else ``None``."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = accounts.user_for_token(header[7:].strip())
        return Caller(user, None) if user else None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = accounts.session(cookie)
        if found:
            return Caller(found[0], found[1])
    return None


async def check_csrf(request: Request, who: Caller) -> None:
    """Refuse an unsafe cookie-authenticated request without the session's CSRF token."""
    if request.method not in UNSAFE or who.csrf is None:
        return
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("csrf_token")
            sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, who.csrf):
        raise HTTPException(403, "missing or wrong CSRF token")


def require(who: Caller, production: str, role: Role) -> None:
    """404 unless a member of ``production``; 403 when the role is too weak."""
    if who.user.role_in(production) is None:
        raise HTTPException(404, "no such production")
    if not who.user.may(production, role):
        raise HTTPException(403, f"needs the {role} role in {production}")


class LoginLimiter:
    """At most ``attempts`` failed sign-ins per (client, username) and ``per_client`` per
    client (one password tried across many usernames) in ``window`` seconds.

    Failures are rows of ``login_failures`` in the register, so every server process sharing
    it shares the counts; a success clears that (client, username)'s failures only (else one
    good account would reset a client spraying passwords at others). Sign-ins are not
    audited: the rows are not part of the hash chain.
    """

    def __init__(
        self, engine: Engine, attempts: int = 5, per_client: int = 20, window: float = 300.0
    ) -> None:
        self.engine = engine
        self.attempts, self.per_client, self.window = attempts, per_client, window

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction that takes SQLite's write lock up front (as the register's)."""
        with self.engine.connect().execution_options(**{WRITE: True}) as db, db.begin():
            yield db

    def retry_after(self, client: str, username: str) -> int:
        """Seconds until another attempt is allowed (0: allowed now)."""
        table = schema.login_failures
        now = time.time()
        with self.engine.connect() as db:
            times = [
                (r.username == username, r.at)
                for r in db.execute(
                    select(table.c.username, table.c.at)
                    .where(table.c.client == client[:100], table.c.at > now - self.window)
                    .order_by(table.c.at)
                )
            ]
        waits = [0.0]
        mine = [at for same, at in times if same]
        if len(mine) >= self.attempts:
            waits.append(mine[-self.attempts] + self.window - now)
        if len(times) >= self.per_client:
            waits.append(times[-self.per_client][1] + self.window - now)
        wait = max(waits)
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, client: str, username: str) -> None:
        table = schema.login_failures
        now = time.time()
        with self._write() as db:
            db.execute(delete(table).where(table.c.at < now - self.window))
            db.execute(
                insert(table), [{"client": client[:100], "username": username[:100], "at": now}]
            )

    def succeeded(self, client: str, username: str) -> None:
        table = schema.login_failures
        with self._write() as db:
            db.execute(
                delete(table).where(
                    table.c.client == client[:100], table.c.username == username[:100]
                )
            )
