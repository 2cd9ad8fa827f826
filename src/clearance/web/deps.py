"""Per-request plumbing shared by pages and API: the register (acting as the caller), the
caller, and the checks every route makes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import HTTPException, Request
from sqlalchemy import Engine

from clearance.register.accounts import Accounts, Role
from clearance.register.store import Register
from clearance.web.cache import RegisterCache
from clearance.web.security import Caller, LoginLimiter, caller, check_csrf, require


@dataclass
class Settings:
    """What ``clearance serve`` was started with."""

    engine: Engine
    store: Path
    secure_cookies: bool = False  # behind TLS: cookies only over HTTPS
    scan_cache: Path | None = None  # the scan cache cue sheets inspect media through
    cache: RegisterCache = field(default_factory=RegisterCache)  # status per register state


@dataclass
class Context:
    """One authenticated request: who, and the register acting as them."""

    settings: Settings
    who: Caller
    register: Register
    on: dt.date

    @property
    def store(self) -> Path:
        return self.settings.store

    def member(self, production: str, role: Role = "contributor") -> None:
        require(self.who, production, role)

    @property
    def cache(self) -> RegisterCache:
        return self.settings.cache

    @property
    def accounts(self) -> Accounts:
        return Accounts(self.register)


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def limiter_of(request: Request) -> LoginLimiter:
    limiter: LoginLimiter = request.app.state.limiter
    return limiter


def anonymous_accounts(request: Request) -> Accounts:
    settings = settings_of(request)
    return Accounts(Register(settings.engine, settings.store, "web"))


async def context(request: Request) -> Context:
    """The authenticated caller (401 otherwise), CSRF checked on unsafe requests."""
    settings = settings_of(request)
    who = caller(request, anonymous_accounts(request))
    if who is None:
        raise HTTPException(401, "sign in, or send Authorization: Bearer TOKEN")
    await check_csrf(request, who)
    register = Register(settings.engine, settings.store, who.user.username)
    return Context(settings, who, register, dt.date.today())
