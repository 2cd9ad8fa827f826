"""Every hostile input of ``tests/hostile_cases.py``, given to every command as a real
process (a memory limit, a deadline): how many were refused (exit 2), got a verdict, printed
a traceback, hung or crashed. The README's robustness figure comes from this script.

    .venv/bin/python bench/hostile.py [--jobs 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.hostile_cases import (
    CONTENTS,
    FILE_COMMANDS,
    MINIMAL,
    OPTION_CASES,
    REGISTER_COMMANDS,
    SPECIAL,
    make_input,
)

EXE = Path(sys.executable).parent / "clearance"
MEMORY_LIMIT = 1536 << 20
DEADLINE_S = 60


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[str, int | None, str]:
    """``(outcome, exit code, tail)``: refused, verdict, traceback, hang or crash."""
    try:
        proc = subprocess.run(
            [str(EXE), *argv],
            capture_output=True,
            text=True,
            errors="replace",
            cwd=cwd,
            env=env,
            preexec_fn=_limits,
            timeout=DEADLINE_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "hang", None, ""
    text = proc.stdout + proc.stderr
    if "Traceback" in text or "internal error" in text:
        return "traceback", proc.returncode, text[-400:]
    if proc.returncode < 0:
        return "crash", proc.returncode, text[-400:]
    if "\x1b" in text:
        return "terminal-injection", proc.returncode, text[-400:]
    if proc.returncode == 2:
        return "refused", 2, ""
    if proc.returncode in (0, 1):
        return "verdict", proc.returncode, ""
    return "other-exit", proc.returncode, text[-400:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="clearance-hostile-") as tmp:
        root = Path(tmp)
        files, production = root / "files", root / "production"
        files.mkdir()
        production.mkdir()
        plain_env = {k: v for k, v in os.environ.items() if not k.startswith("CLEARANCE_")}
        register_env = {**plain_env, "CLEARANCE_ACTOR": "hostile-bench"}
        subprocess.run([str(EXE), "init"], cwd=production, env=register_env, check=True)
        (production / "valid.yaml").write_text(MINIMAL)
        subprocess.run(
            [str(EXE), "import", "valid.yaml"], cwd=production, env=register_env, check=True,
            capture_output=True,
        )  # fmt: skip
        inputs = production / "inputs"
        inputs.mkdir()
        empty = root / "empty"  # restore reads its input only into an empty register
        empty.mkdir()
        subprocess.run([str(EXE), "init"], cwd=empty, env=register_env, check=True)
        jobs: list[tuple[str, list[str], Path, dict[str, str]]] = []
        for commands, folder, env in (
            (FILE_COMMANDS, files, plain_env),
            (REGISTER_COMMANDS, inputs, register_env),
        ):
            for command in commands:
                for suffix in command.suffixes:
                    for kind in [*CONTENTS, *SPECIAL]:
                        if kind in command.valid:
                            continue
                        target = make_input(folder, kind, suffix)
                        cwd = production if command.register else folder
                        if command.name == "restore":
                            cwd = empty
                        label = f"{command.name} {kind}{suffix}"
                        jobs.append((label, command.args(target, folder), cwd, env))
        for argv, why in OPTION_CASES:
            argv = [str(production / "valid.yaml") if a == "MINIMAL_FILE" else a for a in argv]
            jobs.append((f"{argv[0]} option: {why}", argv, production, register_env))
        before = _head(production, register_env), _head(empty, register_env)
        with ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(lambda job: (job[0], *run(*job[1:])), jobs))
        after = _head(production, register_env), _head(empty, register_env)
    counts = Counter(outcome for _, outcome, _, _ in results)
    summary = {
        "inputs": len(results),
        "commands": len(FILE_COMMANDS)
        + len(REGISTER_COMMANDS)
        + len({a[0] for a, _ in OPTION_CASES}),
        **{k: counts.get(k, 0) for k in ("refused", "verdict", "traceback", "hang", "crash")},
        "other": sum(
            v
            for k, v in counts.items()
            if k not in ("refused", "verdict", "traceback", "hang", "crash")
        ),
        "register_unchanged": before == after,
        "seconds": round(time.perf_counter() - started, 1),
    }
    bad = [(label, outcome, code, tail) for label, outcome, code, tail in results
           if outcome not in ("refused", "verdict")]  # fmt: skip
    print(json.dumps(summary, indent=2))
    for label, outcome, code, tail in bad:
        print(f"  {outcome}: {label} (exit {code}) {tail!r}")
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "problems": bad}, indent=2))
    sys.exit(1 if bad or not summary["register_unchanged"] else 0)


def _head(production: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(
        [str(EXE), "audit", "verify", "--format", "json"],
        cwd=production, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return str(json.loads(proc.stdout)["head"])


if __name__ == "__main__":
    main()
