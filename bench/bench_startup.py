"""Benchmark: start-up. CPU seconds (user + system; median and best of N runs) of

* ``clearance --help``,
* ``clearance check`` of a one-use-case manifest (no register),
* ``clearance cuesheet`` of a two-event EDL with no media (JSON to a file),

against ``exiftool -ver`` where it is installed, the heavy modules each one imports and the
command modules it imports (``clearance.cli.lazy`` imports only the one that runs, except for
``--help``). Most of a small command's run is start-up, so this is the figure a user feels;
the target is ≤ 0.3 s for ``--help`` and ``check``. On a shared, loaded machine compare the
best figures.

    python bench/bench_startup.py [RUNS]
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from clearance.cli.lazy import MODULES as COMMAND_MODULES

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EXE = Path(sys.executable).parent / "clearance"
HEAVY = (
    "sqlalchemy",
    "fastapi",
    "uvicorn",
    "openpyxl",
    "prompt_toolkit",
    "jinja2",
    "opentimelineio",
    "c2pa",
    "PIL",
    "pydantic",
    "yaml",
    "cel",
)
EDL = (
    "TITLE: STARTUP\nFCM: NON-DROP FRAME\n"
    "001  AX  V  C  00:00:00:00 00:00:01:00 01:00:00:00 01:00:01:00\n"
    "* FROM CLIP NAME: a.mov\n"
    "002  AX  V  C  00:00:00:00 00:00:01:00 01:00:01:00 01:00:02:00\n"
    "* FROM CLIP NAME: b.mov\n"
)


def cpu(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    """CPU seconds of one run of ``command`` (its children's user + system time)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def imported(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[list[str], int]:
    """The heavy modules a command imports, and how many command modules (run in-process
    under the same interpreter)."""
    probe = (
        "import sys\n"
        f"sys.argv = ['clearance', *{args!r}]\n"
        "from clearance.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
        f"print(sum('clearance.cli.' + m in sys.modules for m in {COMMAND_MODULES!r}),"
        " file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, env=env, capture_output=True, text=True
    )
    heavy, modules = done.stderr.splitlines()[-2:]
    return [m for m in heavy.split(",") if m], int(modules)


def main() -> None:
    from tests.support import MINIMAL

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with tempfile.TemporaryDirectory() as tmp:
        here = Path(tmp)
        (here / "manifest.yaml").write_text(MINIMAL)
        (here / "cut.edl").write_text(EDL)
        env = {k: v for k, v in os.environ.items() if k != "CLEARANCE_DATABASE_URL"}
        env["XDG_CACHE_HOME"] = str(here / "cache")
        commands = {
            "clearance --help": ["--help"],
            "clearance check (1 use case)": ["check", "manifest.yaml"],
            "clearance cuesheet (2 events)": [
                "cuesheet", "cut.edl", "--media", ".", "-o", "sheet.json", "--no-cache",
            ],
        }  # fmt: skip
        rows = []
        for name, args in commands.items():
            times = [cpu([str(EXE), *args], here, env) for _ in range(runs)]
            rows.append((name, statistics.median(times), min(times), *imported(args, here, env)))
        exiftool = shutil.which("exiftool")
        base = (
            statistics.median(cpu([exiftool, "-ver"], here, env) for _ in range(runs))
            if exiftool
            else None
        )
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load {os.getloadavg()[0]:.1f}; {runs} runs, CPU seconds "
        "(user + system)\n"
    )
    print("| command | CPU s median | best | vs exiftool -ver | heavy modules | command modules |")
    print("|---|---|---|---|---|---|")
    for name, seconds, best, heavy, modules in rows:
        ratio = f"{seconds / base:.1f}×" if base else "—"
        print(
            f"| {name} | {seconds:.2f} | {best:.2f} | {ratio} | {', '.join(heavy) or 'none'} "
            f"| {modules} of {len(COMMAND_MODULES)} |"
        )
    if base:
        print(f"| exiftool -ver | {base:.2f} | | 1.0× | | |")


if __name__ == "__main__":
    main()
