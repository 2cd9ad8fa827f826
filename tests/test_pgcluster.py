"""The throwaway PostgreSQL server really starts, serves databases, and really goes away."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.pgcluster import ThrowawayCluster

ROOT = Path(__file__).resolve().parent.parent


def libpq(url: str) -> str:
    """The SQLAlchemy URL that tests get, as the libpq URI that plain psycopg takes."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def alive(pid: int) -> bool:
    """Running, not a zombie (where nothing reaps orphans, a dead server stays a zombie)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def refuses(url: str) -> bool:
    try:
        psycopg.connect(libpq(url), connect_timeout=2).close()
    except psycopg.OperationalError:
        return True
    return False


def test_cluster_serves_databases_and_is_gone_after_exit() -> None:
    with ThrowawayCluster() as pg:
        assert pg.url == f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/test"
        with psycopg.connect(libpq(pg.url)) as conn:
            version = conn.execute("select version()").fetchone()
            listen = conn.execute("show listen_addresses").fetchone()
        assert version is not None and version[0].startswith("PostgreSQL ")
        assert listen == ("127.0.0.1",)

        second = pg.new_database("second_db")
        assert second == f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/second_db"
        with psycopg.connect(libpq(second)) as conn:
            conn.execute("create table t (x int)")
            conn.execute("insert into t values (42)")
            assert conn.execute("select current_database(), x from t").fetchall() == [
                ("second_db", 42)
            ]

        assert pg._proc is not None and pg.root is not None
        server, root = pg._proc.pid, pg.root
        workers = children(server)  # a backend that just closed may briefly be a zombie
        assert workers and alive(server)

    assert not any(alive(p) for p in [server, *workers])
    assert not root.exists()
    assert refuses(pg.url) and refuses(second)


def test_bad_database_name_is_refused() -> None:
    with pytest.raises(ValueError, match="database name"):
        ThrowawayCluster().new_database("x; drop database test")  # checked before any SQL


def test_server_dies_with_a_killed_test_process() -> None:
    """SIGKILL runs no atexit hook: the kernel's parent-death signal must stop the server."""
    script = (
        "import sys, time\n"
        "from tests.pgcluster import ThrowawayCluster\n"
        "pg = ThrowawayCluster().start()\n"
        "print(pg.url, pg.root, flush=True)\n"
        "time.sleep(120)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    url, root = child.stdout.readline().split()
    try:
        assert not refuses(url)
        child.kill()
        child.wait()
        deadline = time.monotonic() + 20
        while not refuses(url) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert refuses(url)
    finally:
        child.kill()
        shutil.rmtree(root, ignore_errors=True)  # only atexit or stop() would have removed it
    assert not os.path.exists(root)
