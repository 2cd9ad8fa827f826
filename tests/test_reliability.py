"""Crash and concurrency: kill -9 during an import, and 8 writers at once, on both backends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from clearance.manifest.yamlsafe import load_document
from tests.conftest import Run
from tests.support import ROOT

Cli = Callable[..., Run]
GOLDEN = ROOT / "src/clearance/policy/packs/netflix-genai/golden-manifest.yaml"


def big_manifest(folder: Path, count: int) -> Path:
    data = load_document(GOLDEN).data
    templates = data["use_cases"]
    data["use_cases"] = [
        {**templates[i % len(templates)], "id": f"UC-{i:05d}"} for i in range(count)
    ]
    path = folder / "big.json"
    path.write_text(json.dumps(data))
    return path


def counts(cli: Cli) -> tuple[int, bool]:
    verify = json.loads(cli("audit", "verify", "--format", "json").stdout)
    status = cli("status", "--format", "json")
    use_cases = len(json.loads(status.stdout)["use_cases"]) if status.code in (0, 1) else 0
    return use_cases, verify["ok"]


def test_kill_9_during_import_leaves_register_intact(workspace: Path, cli: Cli) -> None:
    manifest = big_manifest(workspace, 3000)
    exe = Path(sys.executable).parent / "clearance"
    proc = subprocess.Popen([exe, "import", manifest], stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()  # printed as the write transaction starts
    assert line.startswith("Recording 3000 use cases"), line
    time.sleep(0.3)
    assert proc.poll() is None, "the import finished too soon to be interrupted"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert counts(cli) == (0, True), "nothing half-written, and the audit chain verifies"
    done = cli("import", manifest)
    assert done.code == 0, done.stderr
    assert counts(cli) == (3000, True)
    assert "nothing written" in cli("import", manifest).stdout


WRITER = textwrap.dedent(
    """
    import datetime, sys
    from clearance.register.access import open_register
    from clearance.register.evidence import ReportUse
    worker, count = sys.argv[1], int(sys.argv[2])
    with open_register(f"writer-{worker}") as (register, _):
        for i in range(count):
            register.record(ReportUse(
                production="test-prod", use_cases=["UC-1"], date=datetime.date(2026, 1, 1),
                contact=f"w{worker}-{i}"))
    print("done", worker)
    """
)


def test_eight_concurrent_writers_lose_nothing(workspace: Path, cli: Cli) -> None:
    from tests.support import MINIMAL

    path = workspace / "m.yaml"
    path.write_text(MINIMAL)
    assert cli("import", path).code == 0
    before = json.loads(cli("audit", "verify", "--format", "json").stdout)["events"]
    writers, each = 8, 15
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(w), str(each)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(writers)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    for proc, (_out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err.lower()
    verify = json.loads(cli("audit", "verify", "--format", "json").stdout)
    assert verify["ok"], verify["problems"]
    assert verify["events"] == before + writers * each
    state = json.loads(cli("status", "--format", "json").stdout)["use_cases"][0]
    assert len(state["obligations"][0]["evidence"]) == writers * each


def test_two_imports_at_once_do_not_collide(workspace: Path, cli: Cli) -> None:
    from tests.support import EXAMPLE

    exe = Path(sys.executable).parent / "clearance"
    procs = [
        subprocess.Popen(
            [exe, "import", EXAMPLE], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    assert sum("nothing written" in out for out, _ in outs) == 1
    assert counts(cli) == (22, True)
