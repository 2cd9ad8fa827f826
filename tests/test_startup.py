"""Light commands stay light: ``clearance --help`` and ``check`` of a small manifest (no
register) must not import the heavy modules only other commands use — SQLAlchemy (≈ 0.3 s),
openpyxl, Jinja, prompt_toolkit (CEL's REPL), OpenTimelineIO. ``bench/bench_startup.py``
measures the CPU time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import MINIMAL

HEAVY = ("sqlalchemy", "openpyxl", "jinja2", "prompt_toolkit", "opentimelineio")


def _imported(args: list[str], cwd: Path) -> set[str]:
    probe = (
        "import sys\n"
        f"sys.argv = ['clearance', *{args!r}]\n"
        "from clearance.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY=' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "CLEARANCE_DATABASE_URL"}
    env["COLUMNS"] = "100"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, env=env, capture_output=True, text=True
    )
    line = [x for x in done.stdout.splitlines() if x.startswith("HEAVY=")][-1]
    return {m for m in line[len("HEAVY=") :].split(",") if m}


@pytest.mark.parametrize("args", [["--help"], ["check", "manifest.yaml"]], ids=["help", "check"])
def test_light_commands_import_no_heavy_module(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "manifest.yaml").write_text(MINIMAL)
    assert _imported(args, tmp_path) == set()


def test_piped_output_is_never_hard_wrapped() -> None:
    """Error messages, paths and the audit head hash must reach a pipe whole."""
    probe = (
        "from clearance.cli.app import stderr, stdout\n"
        "stdout.print('head ' + '0123456789abcdef' * 8 + ' /a/long/checkout/path' * 8)\n"
        "stderr.print('error: ' + 'x' * 300)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert len(done.stdout.splitlines()) == 1 and len(done.stderr.splitlines()) == 1
