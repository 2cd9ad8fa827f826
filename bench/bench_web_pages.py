"""Benchmark: what one web request costs on a large production (issue 10's goals).

Run with ``python bench/bench_web_pages.py [USE_CASES] [EVIDENCE]`` (default 10,000 and 3,000).
It builds a SQLite workspace as ``bench/load_web.py`` does (a generated production, report-use
evidence recorded through the register, a reviewer with an API token), then times requests
in-process (FastAPI's test client: the app's own cost, no network) — each the median of 20 —
for the pages a reviewer opens: a use case (JSON and HTML), a page of the use-case list, the
dashboard, the review queue; first on a fresh server process (cold: the production's status is
computed once), then warm, then right after a write (the status is patched: only the use
cases the write names are recomputed). Goal: a use case's page < 50 ms at 10,000 use cases,
also right after a write.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_check import make_manifest  # noqa: E402
from load_web import READER, Workspace, prepare  # noqa: E402

PRODUCTION = "netflix-genai-golden"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    evidence = int(sys.argv[2]) if len(sys.argv) > 2 else 3_000
    with tempfile.TemporaryDirectory(prefix="clearance-pages-") as tmp:
        folder = Path(tmp) / "ws"
        folder.mkdir()
        env = {**os.environ, "CLEARANCE_ACTOR": "bench"}
        for name in ("CLEARANCE_DATABASE_URL", "CLEARANCE_ATTACHMENTS"):
            env.pop(name, None)
        url = f"sqlite:///{folder / '.clearance' / 'register.db'}"
        ws = Workspace(folder, url, env, "SQLite (WAL)")
        tokens = prepare(ws, make_manifest(n, Path(tmp), "golden"), PRODUCTION, evidence)
        os.chdir(folder)
        for name in ("CLEARANCE_DATABASE_URL", "CLEARANCE_ATTACHMENTS"):
            os.environ.pop(name, None)
        measure(tokens[READER], n, evidence)


def measure(token: str, n: int, evidence: int) -> None:
    from fastapi.testclient import TestClient

    from clearance.register.access import open_register
    from clearance.web.app import create_app
    from clearance.web.deps import Settings

    api = f"/api/v1/productions/{PRODUCTION}"
    with open_register("bench") as (register, _ws):
        client = TestClient(create_app(Settings(register.engine, register.store)))
        client.headers["Authorization"] = f"Bearer {token}"
        counter = iter(range(1_000_000))

        def get(path: str) -> Callable[[], None]:
            def call() -> None:
                answer = client.get(path)
                assert answer.status_code == 200, (path, answer.status_code, answer.text[:200])

            return call

        def use_case() -> str:
            return f"UC-{next(counter) * 37 % n:06d}"

        def write() -> None:
            body = {
                "kind": "report-use",
                "use_cases": [use_case()],
                "fields": {"contact": "bench", "date": time.strftime("%Y-%m-%d")},
            }
            answer = client.post(f"{api}/evidence", json=body)
            assert answer.status_code == 201, answer.text

        pages: dict[str, Callable[[], None]] = {
            "a use case (API)": lambda: get(f"{api}/use-cases/{use_case()}")(),
            "a use case (HTML page)": lambda: get(f"/p/{PRODUCTION}/use-cases/{use_case()}")(),
            "use-case list, 200 (API)": get(f"{api}/use-cases?limit=200"),
            "use-case list, page of 100 (HTML)": get(f"/p/{PRODUCTION}"),
            "dashboard (API)": get("/api/v1/productions"),
            "review queue (API)": get(f"{api}/queue"),
        }
        print(
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; {time.strftime('%Y-%m-%d')}; SQLite; {n:,} use cases, "
            f"{evidence:,} evidence records; in-process, median of 20\n"
        )
        print("| request | first (cold process) | warm | right after a write |")
        print("|---|---|---|---|")
        for name, call in pages.items():
            start = time.perf_counter()
            call()
            cold = time.perf_counter() - start
            warm = timed(call)
            after = timed(call, before=write)
            print(
                f"| {name} | {cold * 1000:.0f} ms | {warm * 1000:.1f} ms | {after * 1000:.1f} ms |"
            )
        print(f"| a write (report-use evidence, API) | | {timed(write) * 1000:.1f} ms | |")


def timed(call: Callable[[], None], before: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(20):
        if before is not None:
            before()
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


if __name__ == "__main__":
    main()
