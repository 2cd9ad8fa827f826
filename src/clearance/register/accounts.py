"""People in the register: local accounts (argon2 password hashes), roles per production,
API tokens for pipelines, browser sessions, and reviewers' decisions.

Every change to accounts, roles, tokens and reviews is audited like any other write; browser
sessions are not (they change nothing in the register). Secrets (passwords, tokens, session
cookies) are never stored: only argon2 hashes or SHA-256 digests of random values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from clearance.manifest.errors import InputError, ManifestError
from clearance.register import audit, schema
from clearance.register.audit import Event, row_digest
from clearance.register.canonical import canonical
from clearance.register.evidence import Approval
from clearance.register.store import Register

Role = Literal["contributor", "reviewer", "admin"]
ROLES: tuple[Role, ...] = ("contributor", "reviewer", "admin")
#: What each role may do in its production (an admin may do everything).
ROLE_RANK = {"contributor": 0, "reviewer": 1, "admin": 2}
ReviewDecision = Literal["approved", "changes-requested", "denied"]
SESSION_HOURS = 12
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
MIN_PASSWORD = 10

_hasher = PasswordHasher()
#: Verified against when the username is unknown, so a miss costs as much as a wrong password.
_DUMMY_HASH = _hasher.hash("clearance: no such user")


@dataclass(frozen=True)
class User:
    id: str
    username: str
    display_name: str
    is_admin: bool
    roles: dict[str, str]  # production id → role

    def role_in(self, production: str) -> str | None:
        if production in self.roles:
            return self.roles[production]
        return None

    def may(self, production: str, needed: Role) -> bool:
        role = self.role_in(production)
        return role is not None and ROLE_RANK[role] >= ROLE_RANK[needed]


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _problem(field: str, message: str) -> ManifestError:
    return ManifestError([InputError("account", None, field, message)])


class Accounts:
    """Account operations on one register; ``register.actor`` is who performs them."""

    def __init__(self, register: Register) -> None:
        self.register = register

    # -- accounts and roles ------------------------------------------------------------------

    def add_user(
        self, username: str, password: str, display_name: str = "", is_admin: bool = False
    ) -> str:
        if not USERNAME.match(username):
            raise _problem(
                "username", "expected 2–63 of a-z 0-9 . _ - (lower case), got " + repr(username)
            )
        if len(password) < MIN_PASSWORD:
            raise _problem("password", f"expected at least {MIN_PASSWORD} characters")
        row = {
            "id": f"U-{uuid.uuid4().hex[:10].upper()}",
            "username": username,
            "display_name": display_name or username,
            "password_hash": _hasher.hash(password),
            "is_admin": is_admin,
            "disabled": False,
            "created_at": audit.now(),
        }
        with self.register.write() as db:
            if self._user_row(db, username) is not None:
                raise _problem("username", f"{username!r} already exists")
            db.execute(insert(schema.users), [row])
            event = Event("user.add", f"user:{row['id']}", None, None, row_digest(row))
            audit.append(db, self.register.actor, [event])
        return str(row["id"])

    def set_password(self, username: str, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise _problem("password", f"expected at least {MIN_PASSWORD} characters")
        with self.register.write() as db:
            row = self._require_user(db, username)
            values = {"password_hash": _hasher.hash(password)}
            self._update_user(db, row, values, "user.password")
            db.execute(delete(schema.web_sessions).where(schema.web_sessions.c.user_id == row.id))

    def grant(self, username: str, production: str, role: str) -> None:
        if role not in ROLES:
            raise _problem("role", f"expected one of {', '.join(ROLES)}, got {role!r}")
        table = schema.memberships
        with self.register.write() as db:
            user = self._require_user(db, username)
            known = db.execute(
                select(schema.productions.c.id).where(schema.productions.c.id == production)
            ).first()
            if known is None:
                raise _problem("production", f"no production {production!r} in the register")
            old = db.execute(
                select(table).where(table.c.user_id == user.id, table.c.production_id == production)
            ).first()
            row = {
                "user_id": user.id,
                "production_id": production,
                "role": role,
                "granted_by": self.register.actor,
                "granted_at": audit.now(),
            }
            if old is not None:
                if old.role == "admin" and role != "admin":
                    self._keep_an_admin(db, production, user.id)
                db.execute(
                    delete(table).where(
                        table.c.user_id == user.id, table.c.production_id == production
                    )
                )
            db.execute(insert(table), [row])
            event = Event(
                "membership.grant",
                f"membership:{production}/{user.id}",
                production,
                row_digest(old) if old is not None else None,
                row_digest(row),
            )
            audit.append(db, self.register.actor, [event])

    def leave(self, username: str, production: str) -> None:
        """Take ``username``'s role in ``production`` away (refused for its last admin: a
        production nobody can administer could never get members again but by hand)."""
        table = schema.memberships
        with self.register.write() as db:
            user = self._require_user(db, username)
            old = db.execute(
                select(table).where(table.c.user_id == user.id, table.c.production_id == production)
            ).first()
            if old is None:
                raise _problem("username", f"{username!r} is not a member of {production}")
            if old.role == "admin":
                self._keep_an_admin(db, production, user.id)
            db.execute(
                delete(table).where(table.c.user_id == user.id, table.c.production_id == production)
            )
            event = Event(
                "membership.revoke",
                f"membership:{production}/{user.id}",
                production,
                row_digest(old),
                None,
            )
            audit.append(db, self.register.actor, [event])

    def set_disabled(self, username: str, disabled: bool = True) -> None:
        """Disable (or enable again) an account: a disabled account cannot sign in, and its
        sessions end at once; its tokens stop working (they are checked against the account).
        The last enabled admin of a production cannot be disabled."""
        with self.register.write() as db:
            row = self._require_user(db, username)
            if bool(row.disabled) == disabled:
                state = "disabled" if disabled else "enabled"
                raise _problem("username", f"{username!r} is already {state}")
            if disabled:
                table = schema.memberships
                for m in db.execute(
                    select(table).where(table.c.user_id == row.id, table.c.role == "admin")
                ):
                    self._keep_an_admin(db, m.production_id, row.id)
            action = "user.disable" if disabled else "user.enable"
            self._update_user(db, row, {"disabled": disabled}, action)
            if disabled:
                db.execute(
                    delete(schema.web_sessions).where(schema.web_sessions.c.user_id == row.id)
                )

    def _keep_an_admin(self, db: Connection, production: str, leaving: str) -> None:
        """Refuse when ``leaving`` is the last enabled admin of ``production``."""
        m, u = schema.memberships, schema.users
        others = db.execute(
            select(m.c.user_id)
            .join(u, u.c.id == m.c.user_id)
            .where(
                m.c.production_id == production,
                m.c.role == "admin",
                m.c.user_id != leaving,
                u.c.disabled.is_(False),
            )
        ).first()
        if others is None:
            raise _problem(
                "role", f"the last admin of {production} cannot leave: make another admin first"
            )

    def users(self) -> list[User]:
        with self.register.read() as db:
            rows = db.execute(select(schema.users).order_by(schema.users.c.username)).all()
            return [self._user(db, r) for r in rows]

    # -- authentication ------------------------------------------------------------------------

    def authenticate(self, username: str, password: str) -> User | None:
        """The user, if the password is right and the account enabled."""
        with self.register.read() as db:
            row = self._user_row(db, username)
            try:
                _hasher.verify(row.password_hash if row is not None else _DUMMY_HASH, password)
            except (VerificationError, InvalidHashError):
                return None
            if row is None or row.disabled:
                return None
            return self._user(db, row)

    def create_token(self, username: str, name: str) -> tuple[str, str]:
        """``(token id, secret)``: the secret is shown once and stored only as a digest."""
        secret = "clr_" + secrets.token_urlsafe(32)
        with self.register.write() as db:
            user = self._require_user(db, username)
            row = {
                "id": f"T-{uuid.uuid4().hex[:10].upper()}",
                "user_id": user.id,
                "name": name,
                "token_sha256": _sha(secret),
                "created_at": audit.now(),
                "revoked_at": None,
            }
            db.execute(insert(schema.api_tokens), [row])
            event = Event("api-token.create", f"api-token:{row['id']}", None, None, row_digest(row))
            audit.append(db, self.register.actor, [event])
        return str(row["id"]), secret

    def tokens(self, username: str) -> list[dict[str, Any]]:
        """An account's API tokens, newest first (ids and names: never the secret)."""
        table = schema.api_tokens
        with self.register.read() as db:
            user = self._require_user(db, username)
            rows = db.execute(
                select(table.c.id, table.c.name, table.c.created_at, table.c.revoked_at)
                .where(table.c.user_id == user.id)
                .order_by(table.c.created_at.desc())
            )
            return [dict(r._mapping) for r in rows]

    def revoke_token(self, token_id: str, owner: str | None = None) -> None:
        """Revoke a token; with ``owner``, only one of that account's (the web app lets
        people revoke their own)."""
        table = schema.api_tokens
        with self.register.write() as db:
            row = db.execute(select(table).where(table.c.id == token_id)).first()
            if (
                owner is not None
                and row is not None
                and row.user_id != self._require_user(db, owner).id
            ):
                row = None  # another account's token: as if it did not exist
            if row is None or row.revoked_at is not None:
                raise _problem("token", f"no active token {token_id!r}")
            values = {"revoked_at": audit.now()}
            db.execute(update(table).where(table.c.id == token_id).values(**values))
            after = {**row._mapping, **values}
            event = Event(
                "api-token.revoke",
                f"api-token:{token_id}",
                None,
                row_digest(row),
                row_digest(after),
            )
            audit.append(db, self.register.actor, [event])

    def user_for_token(self, secret: str) -> User | None:
        table = schema.api_tokens
        with self.register.read() as db:
            token = db.execute(
                select(table).where(
                    table.c.token_sha256 == _sha(secret), table.c.revoked_at.is_(None)
                )
            ).first()
            if token is None:
                return None
            row = db.execute(select(schema.users).where(schema.users.c.id == token.user_id)).first()
            return None if row is None or row.disabled else self._user(db, row)

    # -- browser sessions ------------------------------------------------------------------------

    def start_session(self, user: User) -> tuple[str, str]:
        """``(cookie value, CSRF token)`` of a new session."""
        cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = dt.datetime.now(dt.UTC)
        row = {
            "token_sha256": _sha(cookie),
            "user_id": user.id,
            "csrf_token": csrf,
            "created_at": now.isoformat(),
            "expires_at": (now + dt.timedelta(hours=SESSION_HOURS)).isoformat(),
        }
        with self.register.write() as db:
            db.execute(
                delete(schema.web_sessions).where(
                    schema.web_sessions.c.expires_at < now.isoformat()
                )
            )
            db.execute(insert(schema.web_sessions), [row])
        return cookie, csrf

    def session(self, cookie: str) -> tuple[User, str] | None:
        """The signed-in user and the session's CSRF token, if the cookie is a live session."""
        table = schema.web_sessions
        now = dt.datetime.now(dt.UTC).isoformat()
        with self.register.read() as db:
            found = db.execute(
                select(table).where(table.c.token_sha256 == _sha(cookie), table.c.expires_at > now)
            ).first()
            if found is None:
                return None
            row = db.execute(select(schema.users).where(schema.users.c.id == found.user_id)).first()
            if row is None or row.disabled:
                return None
            return self._user(db, row), str(found.csrf_token)

    def end_session(self, cookie: str) -> None:
        with self.register.write() as db:
            db.execute(
                delete(schema.web_sessions).where(
                    schema.web_sessions.c.token_sha256 == _sha(cookie)
                )
            )

    # -- reviews -----------------------------------------------------------------------------

    def review(
        self,
        production: str,
        uc_id: str,
        decision: ReviewDecision,
        comment: str,
        conditions: list[str] | None = None,
        expires: dt.date | None = None,
    ) -> dict[str, Any]:
        """A reviewer's decision on a use case's current revision, in one transaction with its
        audit event; an approval also records written-approval evidence."""
        if decision not in ("approved", "changes-requested", "denied"):
            raise _problem(
                "decision", f"expected approved, changes-requested or denied, got {decision!r}"
            )
        if decision != "approved" and not comment.strip():
            raise _problem("comment", "say what must change, or why it is denied")
        register = self.register
        with register.write() as db:
            current = register._current_use_cases(db, production, [uc_id])
            if uc_id not in current:
                raise _problem("use_case", f"no use case {uc_id!r} in {production}")
            if decision == "approved" and register.actor in declarers(db, production, uc_id):
                raise _problem(
                    "decision", f"{register.actor} declared {uc_id}: another reviewer approves it"
                )
            evidence_id = None
            if decision == "approved":
                approval = Approval(
                    production=production,
                    use_cases=[uc_id],
                    date=dt.date.today(),
                    expires=expires,
                    approver=register.actor,
                    conditions=conditions or [],
                    reference=comment.strip() or None,
                )
                evidence_id = register.record_in(db, approval, "review")
            row = {
                "id": f"RV-{uuid.uuid4().hex[:10].upper()}",
                "production_id": production,
                "uc_id": uc_id,
                "revision": current[uc_id]["revision"],
                "decision": decision,
                "comment": comment.strip(),
                "conditions": canonical(conditions or []),
                "expires": expires.isoformat() if expires else None,
                "evidence_id": evidence_id,
                "reviewer": register.actor,
                "created_at": audit.now(),
            }
            db.execute(insert(schema.reviews), [row])
            event = Event(
                f"review.{decision}", f"review:{row['id']}", production, None, row_digest(row)
            )
            audit.append(db, register.actor, [event])
        return row

    # -- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _user_row(db: Connection, username: str) -> Any:
        return db.execute(select(schema.users).where(schema.users.c.username == username)).first()

    def _require_user(self, db: Connection, username: str) -> Any:
        row = self._user_row(db, username)
        if row is None:
            raise _problem("username", f"no user {username!r}")
        return row

    def _update_user(self, db: Connection, row: Any, values: dict[str, Any], action: str) -> None:
        db.execute(update(schema.users).where(schema.users.c.id == row.id).values(**values))
        after = {**row._mapping, **values}
        event = Event(action, f"user:{row.id}", None, row_digest(row), row_digest(after))
        audit.append(db, self.register.actor, [event])

    @staticmethod
    def _user(db: Connection, row: Any) -> User:
        table = schema.memberships
        roles = {
            m.production_id: m.role
            for m in db.execute(select(table).where(table.c.user_id == row.id))
        }
        return User(row.id, row.username, row.display_name, bool(row.is_admin), roles)


def declarers(db: Connection, production: str, uc_id: str) -> set[str]:
    """Who declared a use case: whoever recorded its first revision and its current one.
    Nobody approves (or clears) a use case they declared themselves."""
    uc, rev = schema.use_cases, schema.revisions
    row = db.execute(
        select(uc.c.pk, uc.c.revision).where(uc.c.production_id == production, uc.c.uc_id == uc_id)
    ).first()
    if row is None:
        return set()
    found = db.execute(
        select(rev.c.created_by).where(
            rev.c.use_case_pk == row.pk, rev.c.revision.in_([1, row.revision])
        )
    )
    return {r.created_by for r in found}
