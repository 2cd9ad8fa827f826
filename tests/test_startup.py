"""Light commands stay light: ``clearance --help`` and ``check`` of a small manifest (no
register) import neither the other commands' modules (``clearance check`` imports the
``check`` module only: ``clearance.cli.lazy``) nor the heavy libraries only other commands use —
SQLAlchemy (≈ 0.3 s), the web stack, openpyxl, Jinja, prompt_toolkit (CEL's REPL),
OpenTimelineIO, the provenance extractors with c2pa and PIL; ``--help`` imports no pydantic,
YAML or CEL either (``check`` needs them to read the manifest and the packs).
``bench/bench_startup.py`` measures the CPU time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import MINIMAL

#: Imported by neither ``--help`` nor ``check`` (a module or any of its submodules).
HEAVY = (
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "openpyxl",
    "jinja2",
    "prompt_toolkit",
    "opentimelineio",
    "c2pa",
    "PIL",
    "clearance.provenance.extractors",
    "clearance.provenance.scan",
    "clearance.provenance.inspect",
    "clearance.register.store",
    "clearance.register.evidence",
    "clearance.editorial",
    "clearance.web",
    # the similarity guard (clearance refs / similar / scan): hashing, video and the index
    "numpy",
    "av",
    "faiss",
    "pdqhash",
    "clearance.similarity",
)
#: The distributed engine: imported by ``clearance scan --cluster`` only.
CLUSTER = ("distributed", "dask", "tornado", "ray", "clearance.provenance.cluster")
#: Not imported by ``--help`` (``check`` reads the manifest and the packs with them).
HEAVY_FOR_HELP = (
    "pydantic",
    "yaml",
    "cel",
    "clearance.manifest.models",
    "clearance.policy.engine",
    "clearance.policy.pack",
    "clearance.reports",
)
#: The command modules ``clearance check`` does not need.
OTHER_COMMANDS = tuple(
    f"clearance.cli.{m}"
    for m in ("cuts", "editorial", "intake", "policy", "register", "scan", "users", "web")
)


def _imported(args: list[str], cwd: Path, watched: tuple[str, ...]) -> set[str]:
    probe = (
        "import sys\n"
        f"sys.argv = ['clearance', *{args!r}]\n"
        "from clearance.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"watched = {watched!r}\n"
        "print('HEAVY=' + ','.join(w for w in watched if w in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "CLEARANCE_DATABASE_URL"}
    env["COLUMNS"] = "100"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, env=env, capture_output=True, text=True
    )
    line = [x for x in done.stdout.splitlines() if x.startswith("HEAVY=")][-1]
    return {m for m in line[len("HEAVY=") :].split(",") if m}


def test_help_imports_no_heavy_module(tmp_path: Path) -> None:
    assert _imported(["--help"], tmp_path, HEAVY + HEAVY_FOR_HELP + CLUSTER) == set()


def test_check_imports_no_heavy_module_and_no_other_command(tmp_path: Path) -> None:
    (tmp_path / "manifest.yaml").write_text(MINIMAL)
    watched = HEAVY + OTHER_COMMANDS + CLUSTER
    assert _imported(["check", "manifest.yaml"], tmp_path, watched) == set()


def test_only_a_cluster_scan_imports_the_engine(tmp_path: Path) -> None:
    """A local scan (and its help) imports nothing of Dask; ``--cluster`` does (an address
    that is refused still imports it: the probe sees what it watches)."""
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "a.txt").write_text("text")
    local = ["scan", "tree", "--no-cache", "--jobs", "1"]
    assert _imported(local, tmp_path, CLUSTER) == set()
    assert _imported(["scan", "--help"], tmp_path, CLUSTER) == set()
    on_cluster = _imported([*local, "--cluster", "nonsense"], tmp_path, CLUSTER)
    assert {"distributed", "clearance.provenance.cluster"} <= on_cluster


def test_lazy_commands_match_their_modules() -> None:
    """``COMMANDS`` names each top-level command's module: importing that module alone gives
    the command (a group: all its subcommands) exactly as the full import does, the full
    import lists them in ``COMMANDS``'s order, and so does a group that loaded some first."""
    probe = """
import json, subprocess, sys
import typer.main
from clearance.cli.app import app
from clearance.cli.lazy import MODULES

def shape():
    group = typer.main.get_group(app)
    built = dict(group.commands._built)
    return {n: sorted(getattr(c, "commands", {}) or ["-"]) for n, c in built.items()}

if len(sys.argv) > 1:
    for module in sys.argv[1:]:
        __import__("clearance.cli." + module)
    order = [typer.main.get_command_name(c.name or c.callback.__name__)
             for c in app.registered_commands] + [g.name for g in app.registered_groups]
    print(json.dumps([shape(), order]))
else:
    group = typer.main.get_command(app)
    ctx = typer.Context(group)
    group.get_command(ctx, "scan")
    group.get_command(ctx, "policy")
    print(json.dumps(group.list_commands(ctx)))
"""
    from clearance.cli.lazy import COMMANDS, MODULES

    def run(*modules: str) -> Any:
        done = subprocess.run(
            [sys.executable, "-c", probe, *modules], capture_output=True, text=True, check=True
        )
        return json.loads(done.stdout)

    cli = Path(__file__).resolve().parent.parent / "src" / "clearance" / "cli"
    found = {f.stem for f in cli.glob("*.py")} - {"__init__", "app", "lazy", "files"}
    assert found == set(MODULES), "a command module missing from clearance.cli.lazy.MODULES"
    full, order = run(*MODULES)
    assert order == list(COMMANDS), "clearance.cli.lazy.COMMANDS: a command missing or moved"
    assert sorted(set(COMMANDS.values())) == sorted(MODULES)
    for module in MODULES:
        alone, _ = run(module)
        for name, owner in COMMANDS.items():
            if owner == module:
                assert alone.get(name) == full[name], f"{name}: not all in clearance.cli.{owner}"
    assert run() == list(COMMANDS)


@pytest.mark.parametrize("args", [["--help"], ["check", "--help"], ["chek"]])
def test_lazy_loading_changes_no_output(args: list[str]) -> None:
    """Help and a mistyped command's suggestions read the same as with every module loaded."""
    probe = (
        "import sys\n"
        "import clearance.cli.lazy as lazy\n"
        "if sys.argv[1] == 'all':\n"
        "    for m in lazy.MODULES:\n"
        "        __import__('clearance.cli.' + m)\n"
        "sys.argv = ['clearance', *sys.argv[2:]]\n"
        "from clearance.cli import main\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "CLEARANCE_DATABASE_URL"}
    env["COLUMNS"] = "100"
    outputs = [
        subprocess.run(
            [sys.executable, "-c", probe, how, *args], env=env, capture_output=True, text=True
        )
        for how in ("lazy", "all")
    ]
    lazy, eager = ((o.returncode, o.stdout, o.stderr) for o in outputs)
    assert lazy == eager and (lazy[1] or lazy[2])


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
