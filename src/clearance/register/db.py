"""Opening the register's database: SQLite (WAL, busy timeout, immediate write locks) or
PostgreSQL, and bringing its schema to the current Alembic revision."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ArgumentError, DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
#: The newest migration (tests check it is Alembic's head). Kept as a constant so that
#: ordinary commands need not import Alembic, which costs a third of a second at start-up.
SCHEMA_REVISION = "0008"
BUSY_TIMEOUT_MS = 60_000
WRITE = "clearance_write"  # execution option: this transaction will write


class SchemaError(Exception):
    """The database is missing or at another schema revision."""


def connect(url: str) -> Engine:
    """An engine for ``url`` with the settings the register relies on (``SchemaError`` for a
    URL that names no database SQLAlchemy can open)."""
    try:
        return _connect(url)
    except (ArgumentError, ImportError) as exc:
        raise SchemaError(f"cannot use the database URL {_redacted(url)!r}: {exc}") from exc


def _redacted(url: str) -> str:
    from clearance.register.workspace import redact

    return redact(url)


def _connect(url: str) -> Engine:
    if url.startswith("sqlite"):
        # A web server's threads read concurrently: SQLite connections are cheap, so the pool
        # is wide enough that readers do not queue behind the (serialised) writers.
        engine = create_engine(
            url,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
            pool_size=20,
            max_overflow=40,
        )
        event.listen(engine, "connect", _sqlite_settings)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_settings(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's implicit one is deferred).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A writer takes the write lock up front, so two writers never deadlock upgrading a read
    # lock; SQLite then queues them for up to the busy timeout instead of failing.
    immediate = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _alembic_config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """Alembic's newest revision, read from the migration scripts."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The schema revision, ``None`` for a database without one (a new, empty database);
    ``SchemaError`` when the database cannot be opened or read at all (corrupt, truncated or
    unreadable file, a server that does not answer)."""
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError as exc:
        if _no_such_table(exc):
            return None
        raise SchemaError(f"cannot open the register's database: {problem(exc)}") from exc


def problem(exc: DBAPIError) -> str:
    """The driver's first line for ``exc`` (never the statement or its parameters)."""
    lines = str(exc.orig).strip().splitlines()
    return lines[0] if lines else type(exc.orig).__name__


def _no_such_table(exc: DBAPIError) -> bool:
    if getattr(exc.orig, "sqlstate", None) == "42P01":  # PostgreSQL: undefined_table
        return True
    return str(exc.orig).startswith("no such table")


def upgrade(engine: Engine, target: str = "head") -> None:
    """Create or upgrade the schema to ``target`` (``clearance init``: the newest)."""
    from alembic import command

    with _migrating(engine) as connection:
        command.upgrade(_alembic_config(connection), target)


def downgrade(engine: Engine, target: str) -> None:
    """Step the schema back to ``target`` (for operators rolling back a release, and tests)."""
    from alembic import command

    with _migrating(engine) as connection:
        command.downgrade(_alembic_config(connection), target)


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A transaction for migrations. On SQLite, altering a table means copying it, which the
    foreign keys of the tables that refer to it would refuse: they are switched off for the
    migration (outside the transaction, as SQLite requires) and checked before commit."""
    with engine.connect() as plain:
        # Two `clearance init` at once must not both create the schema: SQLite takes its write
        # lock up front (BEGIN IMMEDIATE; the other waits), PostgreSQL a transaction-level
        # advisory lock; the second then finds the schema current and does nothing.
        connection = plain.execution_options(**{WRITE: True})
        sqlite = connection.dialect.name == "sqlite"
        raw: Any = connection.connection.driver_connection  # pysqlite, autocommit: no BEGIN
        if sqlite:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                if not sqlite:
                    connection.execute(text("SELECT pg_advisory_xact_lock(7261500611)"))
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise SchemaError(f"migration left broken references: {broken[:5]}")
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


def require_current(engine: Engine) -> None:
    """Refuse to work on a database that is not at the schema this version expects."""
    current = current_revision(engine)
    if current != SCHEMA_REVISION:
        found = "no register" if current is None else f"schema revision {current}"
        raise SchemaError(
            f"found {found}, expected {SCHEMA_REVISION}: run `clearance init` to create or "
            "upgrade the register"
        )
