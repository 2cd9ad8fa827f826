"""Benchmark: the disclosure plan's decisions — N use cases (default 10,000) decided once per
market (FR, US-NY, CN) by netflix-genai and the built-in law packs that label or disclose
(eu-ai-act-50, cn-ai-labelling, us-ny-replica when present), and every fired rule owing
disclose-ai / ai-label kept with its form. Four use-case profiles repeat (photoreal final
image, synthetic performer in video, temp image, audio of unsure realism), as fact profiles
repeat in a real production.

Run: ``python bench/bench_disclosures.py [N ...]``. Reported: the best of 3 in-process runs.
"""

from __future__ import annotations

import sys
import time

from clearance.manifest.models import Manifest
from clearance.policy.registry import builtin_ids, resolve
from clearance.reports.disclosures.plan import market_requirements

MARKETS = ["FR", "US-NY", "CN"]
PACKS = ["netflix-genai", "eu-ai-act-50", "cn-ai-labelling", "us-ny-replica"]
PROFILES = [
    {"media": ["image"], "destination": "final", "depicts_real": "yes", "could_mislead": "no",
     "synthetic_performer": "no"},
    {"media": ["video"], "destination": "final", "depicts_real": "no", "could_mislead": "no",
     "synthetic_performer": "yes"},
    {"media": ["image"], "destination": "temp"},
    {"media": ["audio"], "destination": "final", "depicts_real": "unsure"},
]  # fmt: skip


def manifest(n: int, policies: list[str]) -> Manifest:
    use_cases = [
        {"id": f"UC-{i}", "title": f"Use {i}", "tools": ["ent"], "stage": "post",
         "output": {**PROFILES[i % len(PROFILES)], "resembles_protected": "no"}}
        for i in range(n)
    ]  # fmt: skip
    tool = {"id": "ent", "name": "Enterprise", "enterprise": "yes", "trains_on_inputs": "no",
            "retains_inputs": "no"}  # fmt: skip
    production = {"id": "bench", "territories": MARKETS, "policies": policies}
    return Manifest.model_validate(
        {"version": 1.1, "production": production, "tools": [tool], "use_cases": use_cases}
    )


def main(sizes: list[int]) -> None:
    policies = [p for p in PACKS if p in builtin_ids("decision")]
    packs = [resolve(p) for p in policies]
    for n in sizes:
        data = manifest(n, policies)
        best, found = float("inf"), 0
        for _ in range(3):
            started = time.perf_counter()
            _markets, requirements = market_requirements(data, packs, MARKETS)
            best = min(best, time.perf_counter() - started)
            found = len(requirements)
        print(
            f"{n:>7,} use cases x {len(MARKETS)} markets x {len(packs)} packs "
            f"({', '.join(policies)}): {best:.2f} s, {found:,} disclose-ai/ai-label duties"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000])
