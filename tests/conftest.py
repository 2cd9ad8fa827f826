"""Shared fixtures: the real CLI (in-process via Typer's runner, and as a subprocess)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clearance.cli import app
from tests.pgcluster import ThrowawayCluster


class Run:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code, self.stdout, self.stderr = code, stdout, stderr


@pytest.fixture
def cli() -> Callable[..., Run]:
    """Run ``clearance ARGS`` in-process; returns exit code, stdout and stderr."""
    runner = CliRunner()

    def run(*args: str | Path) -> Run:
        result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def clearance_bin() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the installed ``clearance`` console script as a real process."""

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        exe = Path(sys.executable).parent / "clearance"
        return subprocess.run(
            [str(exe), *map(str, args)], capture_output=True, text=True, check=False
        )

    return run


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a dedented text file under the test's temporary folder."""

    def make(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    return make


# -- registers on both backends ---------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres() -> Iterator[ThrowawayCluster]:
    """One real PostgreSQL server for the whole run (a fresh database per test)."""
    with ThrowawayCluster() as cluster:
        yield cluster


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database of the parametrised backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'register.db'}"
    cluster: ThrowawayCluster = request.getfixturevalue("postgres")
    return cluster.new_database(f"t{uuid.uuid4().hex[:12]}")


@pytest.fixture
def workspace(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Run]
) -> Path:
    """A folder with an initialised register on the parametrised backend, as the cwd."""
    folder = tmp_path / "production"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("CLEARANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("CLEARANCE_ATTACHMENTS", str(folder / "attachments"))
    monkeypatch.setenv("CLEARANCE_ACTOR", "test-runner")
    run = cli("init")
    assert run.code == 0, run.stderr
    return folder
