"""Where the register lives: a ``.clearance/`` workspace folder, or a database URL.

``clearance init [DIR]`` creates ``DIR/.clearance/`` with ``register.db`` (SQLite),
``attachments/`` and ``config.toml``. Commands find the workspace by walking up from the
current folder (like git). ``CLEARANCE_DATABASE_URL`` overrides the database (for a team's
PostgreSQL); ``CLEARANCE_ATTACHMENTS`` overrides the attachment store.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

FOLDER = ".clearance"
DATABASE_ENV = "CLEARANCE_DATABASE_URL"
ATTACHMENTS_ENV = "CLEARANCE_ATTACHMENTS"
ACTOR_ENV = "CLEARANCE_ACTOR"


class WorkspaceError(Exception):
    """No register could be found or opened."""


@dataclass(frozen=True)
class Workspace:
    """A resolved register location."""

    database_url: str
    attachments: Path
    folder: Path | None
    actor: str | None = None

    @property
    def label(self) -> str:
        return str(self.folder) if self.folder else _redact(self.database_url)


def find(start: Path | None = None) -> Workspace | None:
    """The workspace for ``start`` (default: the current folder), or ``None`` if none."""
    url = os.environ.get(DATABASE_ENV)
    folder = _find_folder(start or Path.cwd())
    if url is None and folder is None:
        return None
    config = _config(folder)
    attachments = os.environ.get(ATTACHMENTS_ENV)
    if attachments:
        store = Path(attachments)
    elif folder is not None:
        store = folder / "attachments"
    else:
        raise WorkspaceError(
            f"{DATABASE_ENV} is set but no attachment store: set {ATTACHMENTS_ENV} "
            "or run inside a workspace (clearance init)"
        )
    if url is None:
        assert folder is not None
        url = f"sqlite:///{folder / 'register.db'}"
    return Workspace(url, store, folder, config.get("actor"))


def create(directory: Path) -> Path:
    """Create ``directory/.clearance/`` (idempotent) and return it."""
    folder = directory / FOLDER
    if directory.exists() and not directory.is_dir():
        raise WorkspaceError(f"{directory}: not a folder (init makes DIR/{FOLDER}/ in a folder)")
    try:
        (folder / "attachments").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"{folder}: cannot create: {exc.strerror}") from exc
    config = folder / "config.toml"
    if not config.exists():
        config.write_text(
            "# clearance workspace settings\n"
            '# actor = "Jane Doe <jane@example.com>"\n'
            "#   who writes evidence (else --as, else CLEARANCE_ACTOR, else the OS user)\n"
        )
    return folder


def actor(explicit: str | None, workspace: Workspace | None) -> str:
    """Who is writing: ``--as``, then ``CLEARANCE_ACTOR``, then config, then the OS user."""
    for candidate in (explicit, os.environ.get(ACTOR_ENV), workspace and workspace.actor):
        if candidate:
            return candidate
    return getpass.getuser()


def _find_folder(start: Path) -> Path | None:
    for directory in (start.resolve(), *start.resolve().parents):
        if (directory / FOLDER).is_dir():
            return directory / FOLDER
    return None


def _config(folder: Path | None) -> dict[str, str]:
    if folder is None or not (folder / "config.toml").is_file():
        return {}
    try:
        data = tomllib.loads((folder / "config.toml").read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"{folder / 'config.toml'}: invalid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise WorkspaceError(f"{folder / 'config.toml'}: not valid UTF-8 text") from exc
    except OSError as exc:
        raise WorkspaceError(f"{folder / 'config.toml'}: cannot read: {exc.strerror}") from exc
    return {k: str(v) for k, v in data.items()}


def redact(url: str) -> str:
    """``url`` with its password hidden."""
    return _redact(url)


def _redact(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest and ":" in rest.split("@")[0]:
        user = rest.split("@")[0].split(":")[0]
        rest = f"{user}:***@" + rest.split("@", 1)[1]
    return scheme + sep + rest
