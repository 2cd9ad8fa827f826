"""The union packs sag-aftra-2023 and wga-2023 against the binding tables (packs-wave2.md §2, §3).

The golden cases themselves run in ``test_pack_cases``; these tests check that the packs are
the tables' packs (ids, outcomes, obligations, citations), that the cases cover every rule, a
near miss of each and every worked example, that the agreements follow the production whatever
its territories, and that the intake questions reach every golden decision.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clearance.manifest.loader import load_manifest
from clearance.manifest.models import UseCase
from clearance.policy import Engine, resolve
from clearance.policy.casetest import ExpectedCase, load_cases
from clearance.policy.intake import IntakeSession
from tests.conftest import Run
from tests.support import ROOT

Cli = Callable[..., Run]
Write = Callable[[str, str], Path]

#: packs-wave2.md §2.4 and §3.4, row by row: id → (outcome, obligations, cites).
TABLES: dict[str, dict[str, tuple[str, list[str], str]]] = {
    "sag-aftra-2023": {
        "SAG1": (
            "escalate",
            ["talent-consent"],
            "Digital Replicas — consent to create and use"
            " (employment-based and independently created)",
        ),
        "SAG2": ("escalate", ["talent-consent"], "Digital Alteration"),
        "SAG3": ("escalate", ["estate-consent"], "Digital Replicas — deceased performers"),
        "SAG4": (
            "escalate",
            ["talent-consent"],
            "Digital Replicas — use in other pictures (separate consent and bargaining)",
        ),
        "SAG5": (
            "escalate",
            ["union-notice"],
            "Generative AI — Synthetic Performers (notice and opportunity to bargain)",
        ),
        "SAG6": (
            "escalate",
            ["talent-consent"],
            "Generative AI — Synthetic Performers (recognisable principal facial feature)",
        ),
    },
    "wga-2023": {
        "WGA1": (
            "judgment",
            ["writer-disclosure"],
            "Art. 72 — disclosure of GAI material given to a writer",
        ),
        "WGA2": (
            "escalate",
            ["written-approval"],
            "Art. 72 — a writer's use of GAI needs the company's consent",
        ),
        "WGA3": (
            "escalate",
            ["union-agreement"],
            "Art. 72.B — GAI is not a writer; its output is not literary material",
        ),
    },
}
ADVISORIES: dict[str, dict[str, str]] = {
    "sag-aftra-2023": {
        "SAG-A1": "Digital Replicas — compensation: replica creation and use are paid;"
        " 48 hours' notice of a scan",
    },
    "wga-2023": {
        "WGA-A1": "Art. 72 — GAI material is not source or assigned material:"
        " no effect on credit, pay or separated rights",
        "WGA-A2": "Art. 72 — rights reserved on training GAI with writers' material",
    },
}

#: The worked examples (§2.5, §3.5): the tag their case carries → (outcome, obligations, fired).
WORKED: dict[str, dict[str, tuple[str, list[str], list[str]]]] = {
    "sag-aftra-2023": {
        "§2.5: scan of the lead for a digital double": ("escalate", ["talent-consent"], ["SAG1"]),
        "§2.5: regrading a performance and fixing pitch": ("proceed", [], []),
        "§2.5: a late actor's voice recreated for a cameo": (
            "escalate",
            ["estate-consent"],
            ["SAG3"],
        ),
        "§2.5: generated human extras fill a stadium": ("escalate", ["union-notice"], ["SAG5"]),
        "§2.5: generated alien creature": ("proceed", [], []),
    },
    "wga-2023": {
        "§3.5: a chatbot's pilot treatment sent to the hired writer": (
            "judgment",
            ["writer-disclosure"],
            ["WGA1"],
        ),
        "§3.5: the writer brainstorms character names with a chatbot": (
            "escalate",
            ["written-approval"],
            ["WGA2"],
        ),
        "§3.5: GAI drafts an episode's dialogue for the shooting script": (
            "escalate",
            ["union-agreement"],
            ["WGA3"],
        ),
        "§3.5: grammar checker over a writer's draft": ("proceed", [], []),
        "§3.5: storyboard frames handed to the writers' room": ("proceed", [], []),
    },
}

#: The tri-state facts each pack reads, whose "unsure" reading the cases must show.
UNSURE: dict[str, list[str]] = {
    "sag-aftra-2023": [
        "deceased", "model_reuse", "synthetic_performer", "replaces_union_work",
        "references_protected",
    ],
    "wga-2023": ["given_to_writer", "by_writer", "replaces_union_work"],
}  # fmt: skip

PACKS = sorted(TABLES)


def _cases(pack_id: str) -> list[ExpectedCase]:
    path = resolve(pack_id).cases_path()
    assert path is not None
    return load_cases(path).cases


@pytest.mark.parametrize("pack_id", PACKS)
def test_the_pack_is_the_binding_table(pack_id: str) -> None:
    pack = resolve(pack_id)
    assert pack.version == "1.0.0"
    assert pack.spec.scope is None, "a signatory agreement has no territory condition"
    got = {
        r.spec.id: (r.spec.outcome, sorted(ob for ob, _ in r.obligations), r.spec.cites)
        for r in pack.rules
    }
    assert got == {k: (o, sorted(obs), c) for k, (o, obs, c) in TABLES[pack_id].items()}
    assert all(when is None for r in pack.rules for _, when in r.obligations)
    assert {a.spec.id: a.spec.cites for a in pack.advisories} == ADVISORIES[pack_id]


@pytest.mark.parametrize("pack_id", PACKS)
def test_the_cases_cover_every_rule_a_near_miss_of_each_and_the_unsure_readings(
    pack_id: str,
) -> None:
    cases = _cases(pack_id)
    assert len(cases) >= 25
    fired = {rule for case in cases for rule in case.fired or []}
    notes = {a for case in cases for a in case.advisories or []}
    assert fired == set(TABLES[pack_id])
    assert notes == set(ADVISORIES[pack_id])
    assert all(case.fired is not None and case.advisories is not None for case in cases)
    tags = [tag for case in cases for tag in case.covers]
    for rule in [*TABLES[pack_id], *ADVISORIES[pack_id]]:
        near = [t for t in tags if t.startswith("near-miss:") and re.search(rf"\b{rule}\b", t)]
        assert near, f"no near miss of {rule}"
    for fact in UNSURE[pack_id]:
        assert any(t.startswith("unsure:") and fact in t for t in tags), f"unsure {fact}"


@pytest.mark.parametrize("pack_id", PACKS)
def test_every_worked_example_is_a_case_with_the_reference_result(pack_id: str) -> None:
    pack = resolve(pack_id)
    path = pack.cases_path()
    assert path is not None
    manifest = load_manifest(path.parent / load_cases(path).manifest)
    decisions = {d.id: d for d in Engine([pack]).decide_all(manifest)}
    for example, (outcome, obligations, fired) in WORKED[pack_id].items():
        matching = [c for c in _cases(pack_id) if example in c.covers]
        assert len(matching) == 1, example
        decision = decisions[matching[0].use_case]
        got = (decision.outcome, decision.obligations, sorted(r.id for r in decision.rules))
        assert got == (outcome, obligations, fired), example


_TERRITORY_MANIFEST = """
version: 1.1
production:
  id: unions-territories
  format: scripted
  policies: [sag-aftra-2023, wga-2023]
  territories: {territories}
tools:
  - {{id: ent, name: Enterprise suite, enterprise: yes, trains_on_inputs: no, retains_inputs: no}}
talent:
  - {{id: lead, name: Lena Lead, deceased: no}}
use_cases:
  - id: UC-1
    title: Two new lines in the lead's cloned voice
    tools: [ent]
    stage: post
    output: {{media: [audio], destination: final, resembles_protected: no}}
    talent: {{performers: [lead], replica: voice, replica_use: new-performance}}
    writing: {{given_to_writer: no, by_writer: no}}
  - id: UC-2
    title: A chatbot's treatment given to the writer
    tools: [ent]
    stage: ideation
    output: {{media: [text], destination: reference, resembles_protected: no}}
    writing: {{given_to_writer: yes, by_writer: no}}
"""


@pytest.mark.parametrize(
    "territories", ["[]", '[CA, "NO", CN-HK, TW]', "[US-CA, FR]", "[JP]", "[CN]"]
)
def test_the_agreements_follow_the_production_whatever_its_territories(
    cli: Cli, write: Write, territories: str
) -> None:
    path = write("m.yaml", _TERRITORY_MANIFEST.format(territories=territories))
    run = cli("check", path, "--format", "json", "--fail-on", "never")
    assert run.code == 0, run.stderr
    result = json.loads(run.stdout)
    assert [p["id"] for p in result["policies"]] == ["sag-aftra-2023", "wga-2023"]
    got = {
        u["id"]: (u["outcome"], u["obligations"], [(r["pack"], r["id"]) for r in u["rules"]])
        for u in result["use_cases"]
    }
    assert got == {
        "UC-1": ("escalate", ["talent-consent"], [("sag-aftra-2023", "SAG1")]),
        "UC-2": ("judgment", ["writer-disclosure"], [("wga-2023", "WGA1")]),
    }


def test_a_version_1_manifest_listing_the_packs_gets_the_cautious_defaults(
    cli: Cli, write: Write
) -> None:
    """manifest-v1.1: a version-1 file may list wave-2 packs; the facts it cannot express take
    their defaults (synthetic_performer, given_to_writer, by_writer: unsure)."""
    path = write(
        "v1.yaml",
        """
        version: 1
        production: {id: v1-prod, policies: [netflix-genai, sag-aftra-2023, wga-2023]}
        tools:
          - id: ent
            name: Enterprise suite
            enterprise: yes
            trains_on_inputs: no
            retains_inputs: no
        use_cases:
          - id: UC-1
            title: Generated crowd in place of hired extras
            tools: [ent]
            stage: post
            output:
              media: [video]
              destination: final
              on_screen: incidental
              element: background
              resembles_protected: no
            talent: {replaces_union_work: yes}
          - id: UC-2
            title: Generated loglines
            tools: [ent]
            stage: ideation
            output: {media: [text], destination: reference, resembles_protected: no}
        """,
    )
    run = cli("check", path, "--format", "json", "--fail-on", "never")
    assert run.code == 0, run.stderr
    uses = {u["id"]: u for u in json.loads(run.stdout)["use_cases"]}
    crowd, loglines = uses["UC-1"], uses["UC-2"]
    assert {(r["pack"], r["id"]) for r in crowd["rules"]} >= {("sag-aftra-2023", "SAG5")}
    assert crowd["outcome"] == "escalate"
    assert {"union-notice", "union-agreement", "report-use"} <= set(crowd["obligations"])
    wga = sorted(r["id"] for r in loglines["rules"] if r["pack"] == "wga-2023")
    assert wga == ["WGA1", "WGA2"]
    assert loglines["obligations"] == ["report-use", "writer-disclosure", "written-approval"]
    assert loglines["outcome"] == "escalate"


def test_without_netflix_a_production_gets_no_report_use() -> None:
    """§1.1: listing a union pack never requires netflix-genai; the strongest outcome and the
    union of obligations across the two packs (§1.4)."""
    pack_ids = ["sag-aftra-2023", "wga-2023"]
    path = resolve("wga-2023").cases_path()
    assert path is not None
    manifest = load_manifest(path.parent / load_cases(path).manifest)
    engine = Engine([resolve(p) for p in pack_ids])
    for decision in engine.decide_all(manifest):
        assert "report-use" not in decision.obligations
        assert {r.pack for r in decision.rules} <= set(pack_ids)
    everything = engine.decide(manifest, next(u for u in manifest.use_cases if u.id == "W-019"))
    assert everything.outcome == "escalate"
    assert everything.obligations == ["union-agreement", "writer-disclosure", "written-approval"]


def _value(use_case: UseCase, fact: str) -> Any:
    value: Any = use_case
    for part in fact.split("."):
        value = getattr(value, part)
    return value


@pytest.mark.parametrize("pack_id", PACKS)
def test_the_intake_questions_reach_every_golden_decision(pack_id: str) -> None:
    """Answering the pack's own questions from each golden use case settles the same outcome
    and obligations as the full use case, each fact asked once."""
    pack = resolve(pack_id)
    path = pack.cases_path()
    assert path is not None
    manifest = load_manifest(path.parent / load_cases(path).manifest)
    engine = Engine([pack])
    for use_case in manifest.use_cases:
        session = IntakeSession([pack], manifest)
        asked: list[str] = []
        while (question := session.next_question()) is not None:
            assert question.fact not in asked
            asked.append(question.fact)
            session.answer(question.id, _value(use_case, question.fact))
        assert session.settled
        expected = engine.decide(manifest, use_case)
        got = engine.decide(manifest, session.use_case(use_case.id, use_case.title))
        assert (got.outcome, got.obligations) == (expected.outcome, expected.obligations)


@pytest.mark.parametrize("pack_id", PACKS)
def test_the_pack_is_documented_rule_by_rule(pack_id: str) -> None:
    pack = resolve(pack_id)
    text = (ROOT / "docs" / "packs" / f"{pack_id}.md").read_text(encoding="utf-8")
    assert text.startswith(f"# {pack_id} {pack.version}\n")
    for rule_id in [r.spec.id for r in pack.rules] + [a.spec.id for a in pack.advisories]:
        assert re.search(rf"^\| {re.escape(rule_id)} \| ", text, re.MULTILINE), rule_id
