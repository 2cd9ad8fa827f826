"""Shared fixtures: the real CLI (in-process via Typer's runner, and as a subprocess)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clearance.cli import app


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
