"""The README's manifest examples are real manifests: each ```yaml block that starts with
``version:`` loads, with the built-in packs, and decides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clearance.manifest.loader import load_manifest
from clearance.policy.engine import Engine
from clearance.policy.registry import builtin_ids, resolve

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```yaml\n(version:.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_the_readme_has_manifest_examples() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("block", BLOCKS, ids=[f"example-{i}" for i in range(len(BLOCKS))])
def test_readme_manifest_example_loads_and_decides(block: str, tmp_path: Path) -> None:
    path = tmp_path / "manifest.yaml"
    path.write_text(block, encoding="utf-8")
    manifest = load_manifest(path, known_policies=builtin_ids("decision"))
    engine = Engine([resolve(p) for p in manifest.production.policies])
    decisions = list(engine.decide_all(manifest))
    assert [d.id for d in decisions] == [uc.id for uc in manifest.use_cases]
