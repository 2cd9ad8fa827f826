"""The US state packs (us-ca-replica, us-ny-replica, us-tn-elvis) against the binding tables of
packs-wave2.md §1.2, §5-§7: rule ids, outcomes, obligations and citations as the tables give
them; the territory scope; every rule and a near miss of each in the golden cases; every worked
example decided as the reference says (by the engine, not only as the cases file claims)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from clearance.manifest.loader import load_manifest
from clearance.manifest.models import Manifest
from clearance.policy import Engine, resolve
from clearance.policy.casetest import (
    COMBINED_DIR,
    ExpectedCase,
    case_files,
    load_cases,
    run_cases,
)
from clearance.policy.pack import Pack
from tests.conftest import Run

PACKS = ("us-ca-replica", "us-ny-replica", "us-tn-elvis")

#: The binding tables (§5.3, §6.3, §7.3): rule → (outcome, obligations, cites); advisories → None.
TABLES: dict[str, dict[str, tuple[str, set[str], str] | None]] = {
    "us-ca-replica": {
        "CA1": (
            "escalate",
            {"talent-consent", "legal-review"},
            "Cal. Labor Code §927(a) (AB 2602)",
        ),
        "CA1a": (
            "judgment",
            {"talent-consent"},
            "Cal. Labor Code §927(a)(3) — represented performers",
        ),
        "CA2": (
            "escalate",
            {"estate-consent", "legal-review"},
            "Cal. Civil Code §3344.1 (as amended by AB 1836)",
        ),
    },
    "us-ny-replica": {
        "NY1": ("escalate", {"talent-consent", "legal-review"}, "N.Y. Gen. Oblig. Law §5-302(1)"),
        "NY1a": (
            "judgment",
            {"talent-consent"},
            "N.Y. Gen. Oblig. Law §5-302(1)(c) — represented performers",
        ),
        "NY2": (
            "escalate",
            {"estate-consent", "legal-review"},
            "N.Y. Civ. Rights Law §50-f (as amended Dec 2025)",
        ),
        "NY3": (
            "judgment",
            {"disclose-ai"},
            "N.Y. Gen. Bus. Law §396-b (synthetic performers in advertisements)",
        ),
        "NY-A1": None,
    },
    "us-tn-elvis": {
        "TN1": ("escalate", {"talent-consent"}, "Tenn. Code Ann. §47-25-1105 (ELVIS Act)"),
        "TN2": (
            "escalate",
            {"estate-consent"},
            "Tenn. Code Ann. §47-25-1105; post-mortem rights of executors, heirs and assigns",
        ),
        "TN3": ("judgment", {"legal-review"}, "Tenn. Code Ann. §47-25-1107(a) (fair use)"),
    },
}

#: The worked examples (§5.4, §6.4, §7.4): tag → (outcome, obligations, fired), as the reference
#: gives them; each is a golden case tagged with it in ``covers``.
EXAMPLES: dict[str, dict[str, tuple[str, list[str], list[str]]]] = {
    "us-ca-replica": {
        "§5.4 #1": ("judgment", ["talent-consent"], ["CA1a"]),
        "§5.4 #2": ("escalate", ["legal-review", "talent-consent"], ["CA1"]),
        "§5.4 #3": ("proceed", [], []),
        "§5.4 #4": ("escalate", ["estate-consent", "legal-review"], ["CA2"]),
    },
    "us-ny-replica": {
        "§6.4 #1": ("judgment", ["disclose-ai"], ["NY3"]),
        "§6.4 #2": ("proceed", [], []),
        "§6.4 #3": ("escalate", ["legal-review", "talent-consent"], ["NY1"]),
        "§6.4 #4": ("escalate", ["estate-consent", "legal-review"], ["NY2"]),
    },
    "us-tn-elvis": {
        "§7.4 #1": ("escalate", ["talent-consent"], ["TN1"]),
        "§7.4 #2": ("judgment", ["legal-review"], ["TN3"]),
        "§7.4 #3": ("escalate", ["estate-consent"], ["TN2"]),
        "§7.4 #4": ("judgment", ["legal-review"], ["TN3"]),
        "§7.4 #5": ("proceed", [], []),
    },
}

#: §1.2: territories → the packs whose scope holds (empty means unknown: every listed law pack).
SCOPES: list[tuple[list[str], set[str]]] = [
    ([], set(PACKS)),
    (["US"], set(PACKS)),
    (["US-CA"], {"us-ca-replica"}),
    (["US-NY"], {"us-ny-replica"}),
    (["US-TN"], {"us-tn-elvis"}),
    (["CA"], set()),  # Canada, never California
    (["FR", "EU", "GB", "MX"], set()),
    (["US-TX", "US-FL"], set()),
    (["NO", "IS", "CN", "CN-HK", "TW"], set()),
    (["CA", "US-TN"], {"us-tn-elvis"}),
    (["GB", "US-CA", "US-NY"], {"us-ca-replica", "us-ny-replica"}),
]


def _own_files(pack: Pack) -> list[Path]:
    """The pack's cases file and the combined files this task wrote for it."""
    return [p for p in case_files(pack) if p.parent != COMBINED_DIR or p.name.startswith(PACKS)]


def _cases(pack_id: str) -> list[tuple[Path, ExpectedCase]]:
    pack = resolve(pack_id)
    return [(path, case) for path in _own_files(pack) for case in load_cases(path).cases]


@pytest.mark.parametrize("pack_id", PACKS)
def test_the_pack_is_the_binding_table(pack_id: str) -> None:
    pack = resolve(pack_id)
    table = TABLES[pack_id]
    rules = {r.spec.id: r for r in pack.rules}
    advisories = {a.spec.id for a in pack.advisories}
    assert set(rules) == {k for k, v in table.items() if v is not None}
    assert advisories == {k for k, v in table.items() if v is None}
    for rule_id, rule in rules.items():
        row = table[rule_id]
        assert row is not None
        outcome, obligations, cites = row
        assert rule.spec.outcome == outcome, rule_id
        assert {ob for ob, _ in rule.obligations} == obligations, rule_id
        assert all(when is None for _, when in rule.obligations), rule_id
        assert rule.spec.cites == cites, rule_id
        assert rule.spec.because.strip(), rule_id
    assert pack.scope is not None and pack.version == "1.0.0"


def test_the_advertisement_disclosure_has_its_form() -> None:
    """NY3 owes a conspicuous statement in the advertisement (§1.5, §6.3)."""
    (ny3,) = [r for r in resolve("us-ny-replica").rules if r.spec.id == "NY3"]
    forms = dict(ny3.forms)
    assert "conspicuous" in forms["disclose-ai"] and "advertisement" in forms["disclose-ai"]


@pytest.mark.parametrize("pack_id", PACKS)
def test_the_golden_cases_pass(pack_id: str) -> None:
    pack = resolve(pack_id)
    results = [r for path in _own_files(pack) for r in run_cases(pack, path)]
    failures = [f"{r.name}: {'; '.join(r.problems)}" for r in results if not r.passed]
    assert not failures
    assert len(load_cases(pack.path.parent / "cases.yaml").cases) >= 25


@pytest.mark.parametrize("pack_id", PACKS)
def test_every_rule_fires_in_some_case_and_misses_in_another(pack_id: str) -> None:
    cases = [case for _, case in _cases(pack_id)]
    fired = {r for c in cases for r in (c.fired or []) + (c.advisories or [])}
    assert set(TABLES[pack_id]) <= fired
    near = " ".join(t for c in cases for t in c.covers if t.startswith("near-miss:"))
    missing = [r for r in TABLES[pack_id] if f" {r}" not in near.replace(",", " ")]
    assert not missing, f"no near miss of {missing}"
    assert any(t.startswith("unsure:") for c in cases for t in c.covers)


@pytest.mark.parametrize(
    ("pack_id", "tag"), [(p, tag) for p, examples in EXAMPLES.items() for tag in examples]
)
def test_each_worked_example_is_decided_as_the_reference_says(pack_id: str, tag: str) -> None:
    pack = resolve(pack_id)
    found = [(path, c) for path, c in _cases(pack_id) if tag in c.covers]
    assert len(found) == 1, f"{tag}: {len(found)} cases"
    path, case = found[0]
    manifest = load_manifest(path.parent / load_cases(path).manifest)
    (use_case,) = [u for u in manifest.use_cases if u.id == case.use_case]
    decision = Engine([pack]).decide(manifest, use_case)
    outcome, obligations, fired = EXAMPLES[pack_id][tag]
    assert (decision.outcome, decision.obligations) == (outcome, obligations)
    assert sorted(r.id for r in decision.rules) == fired


def _with_territories(manifest: Manifest, territories: list[str]) -> Manifest:
    production = manifest.production.model_copy(update={"territories": territories})
    return manifest.model_copy(update={"production": production})


@pytest.mark.parametrize(("territories", "in_scope"), SCOPES, ids=lambda v: repr(v))
def test_the_territory_scope(territories: list[str], in_scope: set[str]) -> None:
    """§1.2, over the three packs together: each fires exactly where its scope holds."""
    path = COMBINED_DIR / "us-ca-replica-us-states-manifest.yaml"
    manifest = _with_territories(load_manifest(path), territories)
    packs = [resolve(p) for p in PACKS]
    prefixes = {"us-ca-replica": "CA", "us-ny-replica": "NY", "us-tn-elvis": "TN"}
    fired = {r.id for d in Engine(packs).decide_all(manifest) for r in d.rules}
    fired |= {a.id for d in Engine(packs).decide_all(manifest) for a in d.advisories}
    for pack_id, prefix in prefixes.items():
        hits = {r for r in fired if r.startswith(prefix)}
        assert bool(hits) == (pack_id in in_scope), (pack_id, sorted(hits))


def test_an_out_of_scope_pack_fires_nothing_but_is_listed(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    """Canada with the three packs: nothing fires, yet every pack was applied (§1.2)."""
    text = (COMBINED_DIR / "us-ca-replica-us-states-manifest.yaml").read_text(encoding="utf-8")
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(text.replace("territories: [US]", "territories: [CA]"), encoding="utf-8")
    run = cli("check", manifest, "--format", "json", "--no-register")
    assert run.code == 0, run.stderr
    data = json.loads(run.stdout)
    assert [p["id"] for p in data["policies"]] == list(PACKS)
    assert all(u["rules"] == [] and u["advisories"] == [] for u in data["use_cases"])
    assert {u["outcome"] for u in data["use_cases"]} == {"proceed"}
    inside = cli(
        "check",
        COMBINED_DIR / "us-ca-replica-us-states-manifest.yaml",
        "--format",
        "json",
        "--no-register",
    )
    assert {r["pack"] for u in json.loads(inside.stdout)["use_cases"] for r in u["rules"]} == set(
        PACKS
    )


@pytest.mark.parametrize("pack_id", PACKS)
def test_the_intake_questions_load(pack_id: str) -> None:
    """Every fact a rule reads has a question (the loader checks it against the pack)."""
    questions = resolve(pack_id).questions()
    assert {"talent.replica", "talent.performers", "output.destination"} <= {
        q.fact for q in questions
    }
