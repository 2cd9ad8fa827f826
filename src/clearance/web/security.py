"""Who is asking, and may they: session cookies or API tokens, CSRF on every form, roles per
production, and a login rate limit.

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
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from fastapi import HTTPException, Request

from clearance.register.accounts import Accounts, Role, User

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
    """At most ``attempts`` failed sign-ins per (client, username) in ``window`` seconds.

    Counts are per server process (one uvicorn worker by default); a success clears them.
    """

    def __init__(self, attempts: int = 5, window: float = 300.0) -> None:
        self.attempts, self.window = attempts, window
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def retry_after(self, client: str, username: str) -> int:
        """Seconds until another attempt is allowed (0: allowed now)."""
        with self._lock:
            if (client, username) not in self._failures:  # asking must not store anything
                return 0
            failures = self._prune((client, username))
            if len(failures) < self.attempts:
                if not failures:
                    del self._failures[(client, username)]
                return 0
            return int(failures[0] + self.window - time.monotonic()) + 1

    def failed(self, client: str, username: str) -> None:
        with self._lock:
            self._prune((client, username)).append(time.monotonic())

    def succeeded(self, client: str, username: str) -> None:
        with self._lock:
            self._failures.pop((client, username), None)

    def _prune(self, key: tuple[str, str]) -> deque[float]:
        failures = self._failures[key]
        cutoff = time.monotonic() - self.window
        while failures and failures[0] < cutoff:
            failures.popleft()
        return failures
