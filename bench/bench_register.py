"""Benchmark: import a 10,000-use-case manifest into the register, then `clearance status`.

Run with ``make bench``. Both backends: SQLite (a workspace file) and PostgreSQL (a throwaway
local server started by the benchmark, as the tests do). Each figure is the wall time of the
command as a user runs it (process start to exit), best of 3 on fresh databases; in-process
times are shown beside it. Targets (SQLite): import ≤ 10 s, status ≤ 1 s; with an argument
(``bench_register.py 50000``) that many use cases, where status must stay < 2 s in every
format.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pgcluster import ThrowawayCluster  # noqa: E402

from clearance.manifest import load_manifest  # noqa: E402
from clearance.manifest.yamlsafe import load_document  # noqa: E402
from clearance.policy import Engine, resolve  # noqa: E402
from clearance.register import db, queries  # noqa: E402
from clearance.register.store import Register  # noqa: E402

GOLDEN = ROOT / "src/clearance/policy/packs/netflix-genai/golden-manifest.yaml"
EXE = Path(sys.executable).parent / "clearance"


def manifest_of(n: int, folder: Path) -> Path:
    data = load_document(GOLDEN).data
    templates = data["use_cases"]
    data["use_cases"] = [{**templates[i % len(templates)], "id": f"UC-{i:06d}"} for i in range(n)]
    path = folder / f"manifest-{n}.json"
    path.write_text(json.dumps(data))
    return path


def timed_cli(*args: str, env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([str(EXE), *args], env=env, cwd=cwd, check=False, capture_output=True)
    return time.perf_counter() - start


def run(backend: str, url: str, manifest: Path, folder: Path) -> dict[str, float]:
    env = {**os.environ, "CLEARANCE_DATABASE_URL": url, "CLEARANCE_ATTACHMENTS": str(folder / "a")}
    subprocess.run([str(EXE), "init"], env=env, cwd=folder, check=True, capture_output=True)
    result = {"import": timed_cli("import", str(manifest), env=env, cwd=folder)}
    result["reimport"] = timed_cli("import", str(manifest), env=env, cwd=folder)
    result["status"] = timed_cli("status", "--format", "json", env=env, cwd=folder)
    result["status_table"] = timed_cli("status", env=env, cwd=folder)
    engine = db.connect(url)
    register = Register(engine, folder / "a", "bench")
    with register.read() as conn:
        start = time.perf_counter()
        queries.status(conn, "netflix-genai-golden", dt.date.today())
        result["status_query"] = time.perf_counter() - start
    engine.dispose()
    return result


def in_process_import(url: str, manifest_path: Path, folder: Path) -> float:
    engine = db.connect(url)
    db.upgrade(engine)
    manifest = load_manifest(manifest_path)
    policy = Engine([resolve("netflix-genai")])
    start = time.perf_counter()
    Register(engine, folder / "a", "bench").import_manifest(manifest, policy)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    print(
        f"Machine: {platform.machine()}, Python {platform.python_version()}; "
        f"{time.strftime('%Y-%m-%d')}; {n:,} use cases; best of 3 on fresh databases\n"
    )
    print(
        "| backend | `clearance import` | re-import (unchanged) | `clearance status --format "
        "json` | `clearance status` (table) | import in-process | status query in-process |"
    )
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp, ThrowawayCluster() as pg:
        manifest = manifest_of(n, Path(tmp))
        for backend in ("sqlite", "postgresql"):
            runs, inproc = [], []
            for i in range(3):
                folder = Path(tmp) / f"{backend}-{i}"
                folder.mkdir()
                url = (
                    f"sqlite:///{folder / 'r.db'}"
                    if backend == "sqlite"
                    else pg.new_database(f"bench_{i}")
                )
                runs.append(run(backend, url, manifest, folder))
                other = (
                    f"sqlite:///{folder / 'p.db'}"
                    if backend == "sqlite"
                    else pg.new_database(f"bench_p{i}")
                )
                inproc.append(in_process_import(other, manifest, folder))
            best = {k: min(r[k] for r in runs) for k in runs[0]}
            print(
                f"| {backend} | {best['import']:.2f} s | {best['reimport']:.2f} s | "
                f"{best['status']:.2f} s | {best['status_table']:.2f} s | {min(inproc):.2f} s | "
                f"{best['status_query']:.2f} s |"
            )


if __name__ == "__main__":
    main()
