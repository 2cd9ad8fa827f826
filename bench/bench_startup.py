"""Benchmark: start-up. CPU seconds (user + system, median of N runs) of

* ``clearance --help``,
* ``clearance check`` of a one-use-case manifest (no register),
* ``clearance cuesheet`` of a two-event EDL with no media (JSON to a file),

against ``exiftool -ver`` where it is installed, and the heavy modules each one imports.
Most of a small command's run is start-up, so this is the figure a user feels.

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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EXE = Path(sys.executable).parent / "clearance"
HEAVY = ("sqlalchemy", "openpyxl", "prompt_toolkit", "jinja2", "opentimelineio", "pydantic")
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


def imported(args: list[str], cwd: Path, env: dict[str, str]) -> list[str]:
    """The heavy modules a command imports (run in-process under the same interpreter)."""
    probe = (
        "import sys\n"
        f"sys.argv = ['clearance', *{args!r}]\n"
        "from clearance.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, env=env, capture_output=True, text=True
    )
    return [m for m in done.stderr.strip().splitlines()[-1].split(",") if m]


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
            seconds = statistics.median(cpu([str(EXE), *args], here, env) for _ in range(runs))
            rows.append((name, seconds, imported(args, here, env)))
        exiftool = shutil.which("exiftool")
        base = (
            statistics.median(cpu([exiftool, "-ver"], here, env) for _ in range(runs))
            if exiftool
            else None
        )
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; median of {runs} runs, CPU seconds (user + system)\n"
    )
    print("| command | CPU s | vs exiftool -ver | heavy modules imported |")
    print("|---|---|---|---|")
    for name, seconds, heavy in rows:
        ratio = f"{seconds / base:.1f}×" if base else "—"
        print(f"| {name} | {seconds:.2f} | {ratio} | {', '.join(heavy) or 'none'} |")
    if base:
        print(f"| exiftool -ver | {base:.2f} | 1.0× | |")


if __name__ == "__main__":
    main()
