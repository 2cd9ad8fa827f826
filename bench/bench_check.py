"""Benchmark: load and decide a generated manifest of N use cases (default 1,000 and 10,000).

Run with ``make bench`` or ``python bench/bench_check.py [N ...]``. Two kinds of manifest:

* ``golden``: use cases cycle through the netflix-genai golden manifest (74 varied cases, every
  rule firing somewhere) — like a real production, fact profiles repeat;
* ``random``: every field of every use case drawn at random — nearly every use case has its
  own fact profile, the worst case for the engine's verdict memo.

Reported: load (parse + validate), decide, decisions/s, the end-to-end wall time of
``clearance check --format json`` as a user runs it (process start to exit), and that
process's peak memory. Target: 10,000 use cases loaded and decided in under 2 s.
"""

from __future__ import annotations

import json
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from clearance.manifest import load_manifest
from clearance.manifest.yamlsafe import load_document
from clearance.perf import gc_paused
from clearance.policy import Engine, load_pack, resolve

GOLDEN = (
    Path(__file__).resolve().parent.parent
    / "src/clearance/policy/packs/netflix-genai/golden-manifest.yaml"
)
TRI = ["yes", "no", "unsure"]


class _NoAliasDumper(yaml.CSafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True


def random_use_case(rng: random.Random, i: int, tools: list[str], talent: list[str]) -> Any:
    destination = rng.choice(["reference", "temp", "final"])
    performers = rng.sample(talent, rng.randint(0, 2))
    return {
        "id": f"UC-{i:06d}",
        "title": f"Generated use case {i}",
        "tools": rng.sample(tools, rng.randint(1, 3)),
        "stage": rng.choice(["ideation", "previs", "production", "post", "localization"]),
        "technique": rng.choice(["generate", "alter", "enhance"]),
        "output": {
            "media": rng.sample(["image", "video", "audio", "text", "3d"], rng.randint(1, 2)),
            "destination": destination,
            "on_screen": rng.choice(["none", "incidental", "prominent"])
            if destination == "final"
            else "none",
            "element": rng.choice(["none", "background", "prop", "main-character", "key-visual"]),
            "resembles_protected": rng.choice(TRI),
            "could_mislead": rng.choice(TRI),
        },
        "inputs": {
            "studio_material": rng.sample(
                ["script", "unreleased-footage", "contracts"], rng.randint(0, 2)
            ),
            "personal_data": rng.choice(TRI),
            "third_party_material": rng.choice(TRI),
            "references_protected": rng.choice(TRI),
            "training": rng.choice(["none", "owned", "licensed", "unowned"]),
        },
        "talent": {
            "performers": performers,
            "replica": rng.choice(["none", "likeness", "voice"]) if performers else "none",
            "alteration": rng.choice(["none", "customary", "significant"])
            if performers
            else "none",
            "model_reuse": rng.choice(TRI) if performers else "no",
            "replaces_union_work": rng.choice(TRI),
        },
    }


def make_manifest(n: int, folder: Path, kind: str) -> Path:
    base = load_document(GOLDEN).data
    if kind == "golden":
        templates = base["use_cases"]
        base["use_cases"] = [
            {**templates[i % len(templates)], "id": f"UC-{i:06d}"} for i in range(n)
        ]
    else:
        rng = random.Random(n)
        tools = [t["id"] for t in base["tools"]]
        talent = [p["id"] for p in base["talent"]]
        base["use_cases"] = [random_use_case(rng, i, tools, talent) for i in range(n)]
    path = folder / f"manifest-{kind}-{n}.yaml"
    with path.open("w") as out:
        yaml.dump(base, out, Dumper=_NoAliasDumper, sort_keys=False)
    path.with_suffix(".json").write_text(json.dumps(base))
    return path


# Runs `clearance check` in a fresh child and reports its wall time and peak memory alone.
_RUNNER = """
import resource, subprocess, sys, time
start = time.perf_counter()
with open("/dev/null", "w") as sink:
    subprocess.run(sys.argv[1:], stdout=sink, check=True)
wall = time.perf_counter() - start
print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""


def run_check(path: Path) -> tuple[float, float]:
    exe = Path(sys.executable).parent / "clearance"
    command = [str(exe), "check", str(path), "--format", "json", "--fail-on", "never"]
    out = subprocess.run(
        [sys.executable, "-c", _RUNNER, *command], capture_output=True, text=True, check=True
    )
    wall, peak = out.stdout.split()
    return float(wall), float(peak)


def best_of(runs: int, fn: Callable[[], float]) -> float:
    """The fastest of ``runs`` timings: the machine's noise only ever adds time."""
    return min(fn() for _ in range(runs))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(n: int, folder: Path, kind: str, runs: int) -> None:
    path = make_manifest(n, folder, kind)
    size_mb = path.stat().st_size / 1e6
    manifest = load_manifest(path)
    load = best_of(runs, lambda: timed(lambda: load_manifest(path)))
    json_load = best_of(runs, lambda: timed(lambda: load_manifest(path.with_suffix(".json"))))

    def decide() -> float:
        # Freshly loaded packs: their condition memos start empty, as in a new process.
        engine = Engine([load_pack(resolve(p).path) for p in manifest.production.policies])
        with gc_paused():
            return timed(lambda: list(engine.decide_all(manifest)))

    decide_s = best_of(runs, decide)
    walls, peaks = zip(*(run_check(path) for _ in range(runs)), strict=True)
    print(
        f"| {kind} | {n:,} | {size_mb:.1f} MB | {load:.2f} s | {json_load:.2f} s | "
        f"{decide_s:.2f} s | {n / decide_s:,.0f} | **{load + decide_s:.2f} s** | "
        f"{min(walls):.2f} s | {max(peaks):.0f} MB |"
    )


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1_000, 10_000]
    runs = 3
    print(
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python "
        f"{platform.python_version()}; {time.strftime('%Y-%m-%d')}; best of 3 runs\n"
    )
    print(
        "| manifest | use cases | YAML | load (YAML) | load (same as JSON) | decide | decisions/s "
        "| load + decide (YAML) "
        "| `check --format json` end to end | peak RSS (end to end) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("golden", "random"):
            for n in sizes:
                measure(n, Path(tmp), kind, runs)


if __name__ == "__main__":
    main()
