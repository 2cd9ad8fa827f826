"""The web app under test: a workspace on the parametrised backend with two productions, users
for every role, API tokens, and in-process clients that sign in through the real /login form.

Test modules use the ``web`` fixture with ``pytest_plugins = ["tests.webapp"]``.
Production A (``prod-a``) has three use cases — ``UC-1`` (proceed), ``UC-2`` (escalate: needs a
written approval) and ``UC-10`` (a prefix sibling of ``UC-1``); production B (``prod-b``) has one.
Every title of A contains ``ALPHA`` and every title of B ``BRAVO``, so a body can be searched
for the other production's data.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from clearance.cli import app
from clearance.register import accounts as accounts_module
from clearance.register import db, schema
from clearance.register.accounts import Accounts
from clearance.register.store import Register
from clearance.web.app import create_app
from clearance.web.deps import Settings
from tests.conftest import Run

A, B = "prod-a", "prod-b"
PASSWORD = "correct horse battery"
BASE = "http://testserver"

MANIFEST_A = """
version: 1
production:
  id: prod-a
  title: ALPHA production
tools:
  - id: ent
    name: ALPHA enterprise tool
    enterprise: yes
    trains_on_inputs: no
    retains_inputs: no
use_cases:
  - id: UC-1
    title: ALPHA mood boards
    tools: [ent]
    stage: ideation
    output: {media: [image], destination: reference, resembles_protected: no}
  - id: UC-2
    title: ALPHA harbor matte
    tools: [ent]
    stage: production
    output: {media: [video], destination: final, resembles_protected: unsure}
  - id: UC-10
    title: ALPHA title cards
    tools: [ent]
    stage: ideation
    output: {media: [image], destination: reference, resembles_protected: no}
"""

MANIFEST_B = """
version: 1
production:
  id: prod-b
  title: BRAVO production
tools:
  - id: gen
    name: BRAVO tool
    enterprise: yes
    trains_on_inputs: no
    retains_inputs: no
use_cases:
  - id: UC-1
    title: BRAVO storyboards
    tools: [gen]
    stage: ideation
    output: {media: [image], destination: reference, resembles_protected: no}
"""

#: username → (roles by production, site admin)
USERS: dict[str, tuple[dict[str, str], bool]] = {
    "contributor-a": ({A: "contributor"}, False),
    "reviewer-a": ({A: "reviewer"}, False),
    "admin-a": ({A: "admin"}, False),
    "member-b": ({B: "reviewer"}, False),
    "site-admin": ({}, True),
    "nobody": ({}, False),
    "disabled-a": ({A: "reviewer"}, False),
}
#: Users with an API token (the token fixture names them ``token:<username>``).
TOKEN_USERS = ("contributor-a", "reviewer-a", "admin-a", "member-b", "disabled-a")

#: Answers that take the intake of production A to a settled decision.
ANSWERS: dict[str, Any] = {
    "tools": ["ent"],
    "technique": "generate",
    "destination": "reference",
    "replica": "none",
    "alteration": "none",
    "model-reuse": "no",
    "union-work": "no",
    "could-mislead": "no",
    "training": "none",
    "resembles-protected": "no",
    "references-protected": "no",
    "third-party-material": "no",
    "studio-material": ["script"],
    "personal-data": "no",
    "stage": "ideation",
    "media": ["image"],
}

_CSRF = re.compile(r'"X-CSRF-Token": "([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_in(html: str) -> str:
    """The first CSRF token a page carries (htmx header or hidden form field)."""
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1) or found.group(2)


@dataclass
class Browser:
    """A signed-in browser: its client (cookies kept) and its session's CSRF token."""

    client: TestClient
    csrf: str
    username: str

    def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        """A form POST carrying the CSRF token as the form field."""
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kw)


@dataclass
class WebApp:
    root: Path
    backend: str
    engine: Engine
    settings: Settings
    app: FastAPI
    cli: Callable[..., Run]
    user_ids: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # username → secret
    revoked_token: str = ""

    def register(self, actor: str = "test-runner") -> Register:
        return Register(self.engine, self.settings.store, actor)

    def accounts(self, actor: str = "test-runner") -> Accounts:
        return Accounts(self.register(actor))

    def client(self, app: FastAPI | None = None, **kw: Any) -> TestClient:
        return TestClient(app or self.app, base_url=BASE, follow_redirects=False, **kw)

    def api(self, username: str | None, **kw: Any) -> TestClient:
        """A client sending ``username``'s API token (``None``: no credentials)."""
        client = self.client(**kw)
        if username is not None:
            secret = self.revoked_token if username == "revoked" else self.tokens[username]
            client.headers["Authorization"] = f"Bearer {secret}"
        return client

    def sign_in(
        self, username: str, password: str = PASSWORD, app: FastAPI | None = None
    ) -> Browser:
        """Sign in through the real form: GET /login (login CSRF cookie), POST /login."""
        client = self.client(app)
        form = client.get("/login")
        assert form.status_code == 200
        response = client.post(
            "/login",
            data={
                "username": username,
                "password": password,
                "csrf_token": csrf_in(form.text),
                "next": "/",
            },
        )
        assert response.status_code == 303, response.text
        home = client.get("/")
        assert home.status_code == 200, home.text
        return Browser(client, csrf_in(home.text), username)

    # -- what the register holds ----------------------------------------------------------------

    def count(self, table: Any, **where: Any) -> int:
        query = select(func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def writes(self) -> tuple[int, int, int, int]:
        """(audit events, evidence, reviews, use cases): what a refused request must not add."""
        return (
            self.count(schema.audit_events),
            self.count(schema.evidence),
            self.count(schema.reviews),
            self.count(schema.use_cases),
        )

    def audit_verify(self) -> Run:
        return self.cli("audit", "verify")


def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with the least work (same algorithm and code path): the default parameters cost
    about a second per hash on a small CI machine, and these tests sign in hundreds of times.
    ``test_web_api`` checks that real accounts get the default parameters."""
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts_module, "_hasher", hasher)
    monkeypatch.setattr(accounts_module, "_DUMMY_HASH", hasher.hash("clearance: no such user"))


def disable(accounts: Accounts, username: str) -> None:
    """Disable an account as ``clearance user disable`` does (audited; sessions end)."""
    accounts.set_disabled(username, True)


@dataclass
class _Prepared:
    database: Path
    user_ids: dict[str, str]
    tokens: dict[str, str]
    revoked: str


def _populate(folder: Path, database_url: str, cli: Callable[..., Run]) -> _Prepared:
    """Import both productions into the (initialised) register, add users and tokens."""
    for name, text in (("a.yaml", MANIFEST_A), ("b.yaml", MANIFEST_B)):
        (folder / name).write_text(text.lstrip(), encoding="utf-8")
        run = cli("import", folder / name)
        assert run.code == 0, run.stderr
    engine = db.connect(database_url)
    try:
        accounts = Accounts(Register(engine, folder / "attachments", "test-runner"))
        prepared = _Prepared(folder, {}, {}, "")
        for username, (roles, is_admin) in USERS.items():
            prepared.user_ids[username] = accounts.add_user(
                username, PASSWORD, username.upper(), is_admin
            )
            for production, role in roles.items():
                accounts.grant(username, production, role)
        for username in TOKEN_USERS:
            prepared.tokens[username] = accounts.create_token(username, "ci")[1]
        token_id, prepared.revoked = accounts.create_token("reviewer-a", "old")
        accounts.revoke_token(token_id)
        disable(accounts, "disabled-a")
    finally:
        engine.dispose()
    return prepared


@pytest.fixture(scope="session")
def web_template(tmp_path_factory: pytest.TempPathFactory) -> _Prepared:
    """A populated SQLite register, made once; each test gets a copy of the file."""
    folder = tmp_path_factory.mktemp("web-template")
    url = f"sqlite:///{folder / 'register.db'}"
    runner = CliRunner()

    def cli(*args: str | Path) -> Run:
        result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        mp.setenv("CLEARANCE_DATABASE_URL", url)
        mp.setenv("CLEARANCE_ATTACHMENTS", str(folder / "attachments"))
        mp.setenv("CLEARANCE_ACTOR", "test-runner")
        cheap_hashes(mp)
        run = cli("init")
        assert run.code == 0, run.stderr
        prepared = _populate(folder, url, cli)
    prepared.database = folder / "register.db"
    return prepared


@pytest.fixture
def web(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: Callable[..., Run],
) -> Iterator[WebApp]:
    """The web app on a fresh register of the parametrised backend (see the module doc)."""
    cheap_hashes(monkeypatch)
    if backend == "sqlite":
        template: _Prepared = request.getfixturevalue("web_template")
        folder = tmp_path / "production"
        folder.mkdir()
        shutil.copyfile(template.database, tmp_path / "register.db")
        database_url = f"sqlite:///{tmp_path / 'register.db'}"
        monkeypatch.chdir(folder)
        monkeypatch.setenv("CLEARANCE_DATABASE_URL", database_url)
        monkeypatch.setenv("CLEARANCE_ATTACHMENTS", str(folder / "attachments"))
        monkeypatch.setenv("CLEARANCE_ACTOR", "test-runner")
        prepared = template
    else:
        folder = request.getfixturevalue("workspace")
        database_url = str(request.getfixturevalue("database_url"))
        prepared = _populate(folder, database_url, cli)
    engine = db.connect(database_url)
    settings = Settings(engine, folder / "attachments")
    web = WebApp(folder, backend, engine, settings, create_app(settings), cli)
    web.user_ids = dict(prepared.user_ids)
    web.tokens = dict(prepared.tokens)
    web.revoked_token = prepared.revoked
    try:
        yield web
    finally:
        engine.dispose()
