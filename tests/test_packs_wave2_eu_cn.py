"""The eu-ai-act-50 and cn-ai-labelling packs against their binding tables (packs-wave2.md §1.2,
§4, §8): golden cases, their coverage, the worked examples, the territory scope, the forms of the
disclosures they ask for, and the intake over their questions."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from clearance.manifest.loader import load_manifest
from clearance.manifest.models import UseCase
from clearance.policy import Engine, resolve
from clearance.policy.casetest import ExpectedCase, case_files, load_cases, run_cases
from clearance.policy.intake import IntakeSession
from tests.conftest import Run

EU, CN = "eu-ai-act-50", "cn-ai-labelling"
PACKS = (EU, CN)
DOCS = Path(__file__).parent.parent / "docs" / "packs"

#: The worked examples of the reference (§4.5, §8.4): covers tag → (territories, outcome,
#: obligations, rules fired), as the reference's tables give them.
WORKED: dict[str, dict[str, tuple[list[str], str, list[str], list[str]]]] = {
    EU: {
        "§4.5: scripted, real Paris bridge": (["FR"], "judgment", ["disclose-ai"], ["EU1"]),
        "§4.5: scripted, invented alien skyline": (["FR"], "proceed", [], []),
        "§4.5: documentary, reconstructed voice of a real politician": (
            ["FR"], "escalate", ["disclose-ai", "legal-review"], ["EU2"]
        ),
        "§4.5: scripted, leaked CCTV of a real minister": (
            ["FR"], "escalate", ["disclose-ai", "legal-review"], ["EU2"]
        ),
        "§4.5: upscaling archive footage of a real street": (["FR"], "proceed", [], []),
    },
    CN: {
        "§8.4: invented ink-wash matte painting": (["CN"], "judgment", ["ai-label"], ["CN1"]),
        "§8.4: lead's voice cloned for the Mandarin version": (
            ["CN"], "judgment", ["ai-label", "disclose-ai"], ["CN1", "CN2"]
        ),
        "§8.4: generated crowd, defaults": (
            ["CN"], "judgment", ["ai-label", "disclose-ai"], ["CN1", "CN2"]
        ),
        "§8.4: AI dialogue denoise": (["CN"], "proceed", [], []),
    },
}  # fmt: skip


@cache
def _cases(pack_id: str) -> list[tuple[Path, ExpectedCase]]:
    """Every expected case of the pack: its own file and the combined files naming it."""
    return [(p, c) for p in case_files(resolve(pack_id)) for c in load_cases(p).cases]


@pytest.mark.parametrize("pack_id", PACKS)
def test_every_golden_case_passes(pack_id: str) -> None:
    results = run_cases(resolve(pack_id))
    failed = [f"{r.name}: {'; '.join(r.problems)}" for r in results if not r.passed]
    assert not failed
    assert len(results) >= 40  # own cases and the territory/format readings


@pytest.mark.parametrize("pack_id", PACKS)
def test_cases_cover_every_rule_advisory_and_a_near_miss_of_each(pack_id: str) -> None:
    pack = resolve(pack_id)
    own = pack.cases_path()
    assert own is not None
    assert len(load_cases(own).cases) >= 25
    cases = [c for _, c in _cases(pack_id)]
    assert all(c.fired is not None and c.advisories is not None for c in cases)
    rule_ids = {r.spec.id for r in pack.rules}
    advisory_ids = {a.spec.id for a in pack.advisories}
    # combined files also list the rules of the packs decided with this one
    assert rule_ids <= {rule for c in cases for rule in c.fired or []}
    assert advisory_ids <= {a for c in cases for a in c.advisories or []}
    tags = [tag for c in cases for tag in c.covers]
    near_misses = [tag for tag in tags if tag.startswith("near-miss:")]
    for rule in rule_ids | advisory_ids:
        assert any(re.search(rf"\b{re.escape(rule)}\b", tag) for tag in near_misses), rule
    unsure = ["depicts_real", "could_mislead"] + (["synthetic_performer"] if pack_id == CN else [])
    for fact in unsure:
        assert any(tag.startswith(f"unsure: {fact}") for tag in tags), f"unsure {fact}"


@pytest.mark.parametrize("pack_id", PACKS)
def test_every_worked_example_of_the_reference_is_a_case(pack_id: str) -> None:
    for tag, (territories, outcome, obligations, fired) in WORKED[pack_id].items():
        found = [(p, c) for p, c in _cases(pack_id) if any(t.startswith(tag) for t in c.covers)]
        assert len(found) == 1, tag
        path, case = found[0]
        manifest = load_manifest(path.parent / load_cases(path).manifest)
        assert manifest.production.territories == territories, tag
        assert (case.outcome, sorted(case.obligations), sorted(case.fired or [])) == (
            outcome,
            obligations,
            fired,
        ), tag


def _manifest(pack_id: str, territories: list[str]) -> str:
    """A scripted production listing only ``pack_id`` with one deep fake that could pass as
    real: in scope it fires EU2 (and EU-A1) or CN1 and CN2."""
    return f"""\
version: 1.1
production: {{id: scope, title: Scope, format: scripted, policies: [{pack_id}],
  territories: {json.dumps(territories)}}}
tools: [{{id: t, name: Tool, enterprise: yes, trains_on_inputs: no, retains_inputs: no}}]
use_cases:
  - id: UC-1
    title: Generated clip of a real event that could circulate as real
    tools: [t]
    stage: post
    technique: generate
    output: {{media: [video], destination: final, depicts_real: yes, could_mislead: yes}}
"""


EU_MEMBERS = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE"
EU_OUTERMOST = "GF GP MQ RE YT MF AX"
IN_SCOPE: dict[str, list[list[str]]] = {
    EU: [
        [],
        ["EU"],
        *([code] for code in f"{EU_MEMBERS} {EU_OUTERMOST}".split()),
        ["ES-CT"], ["FR-75"], ["DE-BY"], ["PT-20"], ["US", "IT"], ["NO", "SE"], ["CA", "EU"],
    ],
    CN: [[], ["CN"], ["CN-11"], ["CN-BJ"], ["CN-44"], ["HK", "CN"], ["US", "CN-SH"]],
}  # fmt: skip
OUT_OF_SCOPE: dict[str, list[list[str]]] = {
    EU: [
        ["US"], ["CA"], ["US-CA"], ["IS"], ["LI"], ["NO"], ["CH"], ["GB"], ["CN"], ["JP"],
        ["IS", "LI", "NO", "CH", "US", "CA"], ["US-NY", "GB-ENG"],
    ],
    CN: [
        ["HK"], ["MO"], ["TW"], ["CN-HK"], ["CN-MO"], ["CN-TW"], ["US"], ["EU"], ["JP"],
        ["HK", "MO", "TW", "CN-HK", "CN-MO", "CN-TW"], ["SG", "FR"],
    ],
}  # fmt: skip
IN_SCOPE_RULES = {EU: (["EU2"], ["EU-A1"]), CN: (["CN1", "CN2"], [])}


@pytest.mark.parametrize("pack_id", PACKS)
def test_the_territory_scope_is_that_of_section_1_2(pack_id: str, tmp_path: Path) -> None:
    engine = Engine([resolve(pack_id)])
    for territories, in_scope in [(t, True) for t in IN_SCOPE[pack_id]] + [
        (t, False) for t in OUT_OF_SCOPE[pack_id]
    ]:
        path = tmp_path / f"{'-'.join(territories) or 'none'}.yaml"
        path.write_text(_manifest(pack_id, territories), encoding="utf-8")
        decision = next(engine.decide_all(load_manifest(path)))
        got = (sorted(r.id for r in decision.rules), sorted(a.id for a in decision.advisories))
        assert got == (IN_SCOPE_RULES[pack_id] if in_scope else ([], [])), territories


@pytest.mark.parametrize(
    ("pack_id", "manifest"),
    [
        (EU, "eu-ai-act-50-territory-eea-manifest.yaml"),
        (EU, "eu-ai-act-50-territory-us-canada-manifest.yaml"),
        (CN, "cn-ai-labelling-territory-hk-mo-tw-manifest.yaml"),
    ],
)
def test_an_out_of_scope_pack_fires_nothing_but_is_listed_as_applied(
    cli: Callable[..., Run], pack_id: str, manifest: str
) -> None:
    path = resolve(pack_id).path.parent.parent / "_combined" / manifest
    run = cli("check", path, "--format", "json")
    assert run.code == 0, run.stderr
    data = json.loads(run.stdout)
    assert [p["id"] for p in data["policies"]] == [pack_id]
    assert data["use_cases"]
    for use_case in data["use_cases"]:
        assert (use_case["outcome"], use_case["rules"], use_case["advisories"]) == (
            "proceed",
            [],
            [],
        )


def test_each_disclosure_and_label_has_the_form_its_rule_asks_for() -> None:
    forms = {
        (rule.spec.id, ob): form.lower()
        for pack_id in PACKS
        for rule in resolve(pack_id).rules
        for ob, form in rule.forms
    }
    owed = {
        (rule.spec.id, ob)
        for pack_id in PACKS
        for rule in resolve(pack_id).rules
        for ob, _ in rule.obligations
        if ob in ("disclose-ai", "ai-label")
    }
    assert set(forms) == owed == {
        ("EU1", "disclose-ai"), ("EU2", "disclose-ai"), ("CN1", "ai-label"),
        ("CN2", "ai-label"), ("CN2", "disclose-ai"),
    }  # fmt: skip
    assert "not hamper" in forms["EU1", "disclose-ai"] and "credits" in forms["EU1", "disclose-ai"]
    assert "clear and distinguishable" in forms["EU2", "disclose-ai"]
    assert "first exposure" in forms["EU2", "disclose-ai"]
    for rule in ("CN1", "CN2"):
        assert "gb 45438-2025" in forms[rule, "ai-label"] and "platform" in forms[rule, "ai-label"]
    assert "perceive" in forms["CN2", "disclose-ai"]


def _value(use_case: UseCase, fact: str) -> Any:
    value: Any = use_case
    for part in fact.split("."):
        value = getattr(value, part)
    return value


@pytest.mark.parametrize("pack_id", PACKS)
def test_the_intake_reaches_every_golden_decision_with_the_packs_questions(pack_id: str) -> None:
    """Answering the pack's own questions from each golden use case (its own cases file, the
    worked examples among them) writes a use case with the expected decision."""
    pack, engine = resolve(pack_id), Engine([resolve(pack_id)])
    path = pack.cases_path()
    assert path is not None
    manifest = load_manifest(path.parent / load_cases(path).manifest)
    use_cases = {u.id: u for u in manifest.use_cases}
    for case in load_cases(path).cases:
        use_case = use_cases[case.use_case]
        session = IntakeSession([pack], manifest)
        while (question := session.next_question()) is not None:
            session.answer(question.id, _value(use_case, question.fact))
        got = engine.decide(manifest, session.use_case(use_case.id, use_case.title))
        assert (got.outcome, got.obligations) == (case.outcome, sorted(case.obligations)), case


@pytest.mark.parametrize("pack_id", PACKS)
def test_the_docs_have_a_row_for_every_rule(pack_id: str) -> None:
    pack = resolve(pack_id)
    text = (DOCS / f"{pack_id}.md").read_text(encoding="utf-8")
    assert text.startswith(f"# {pack.id} {pack.version}\n")
    for rule_id in [r.spec.id for r in pack.rules] + [a.spec.id for a in pack.advisories]:
        assert re.search(rf"^\| {re.escape(rule_id)} \|", text, re.MULTILINE), rule_id
