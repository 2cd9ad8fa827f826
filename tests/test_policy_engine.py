"""The policy engine: pack validation, CEL conditions, how decisions combine rules."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clearance.manifest import ManifestError, load_manifest
from clearance.policy import Engine, load_pack, resolve
from clearance.policy.expressions import ExpressionError, compile_condition, fact_paths
from tests.support import EXAMPLE, MINIMAL

Write = Callable[[str, str], Path]

PACK_HEAD = """
id: test-pack
version: 0.1.0
title: Test pack
source: {document: Doc, publisher: Us, url: "https://example.org/doc"}
"""


def pack_file(write: Write, rules: str, advisories: str = "") -> Path:
    return write("pack.yaml", PACK_HEAD + "rules:\n" + rules + advisories)


def test_builtin_pack_records_version_and_file_digest() -> None:
    pack = resolve("netflix-genai")
    assert pack.version == "1.0.0"
    assert pack.sha256 == hashlib.sha256(pack.path.read_bytes()).hexdigest()
    assert {r.spec.id for r in pack.rules} >= {"N0", "P1", "P4b", "D1b", "T4", "E1"}
    assert [a.spec.id for a in pack.advisories] == ["P3"]


def test_every_rule_cites_a_section_of_the_guidance() -> None:
    guidance_sections = {
        "Guiding Principles",
        "Final Output vs Temporary Media",
        "Confidentiality and Data Protection",
        "Talent Enhancement",
        "Appendix — Proposed Use Case Matrix",
    }
    for rule in resolve("netflix-genai").rules:
        cites = rule.spec.cites
        assert cites in guidance_sections or cites.startswith(
            "What use cases always require written approval? — "
        ), (rule.spec.id, cites)


def test_bad_pack_reports_every_problem_with_rule_id_and_line(write: Write) -> None:
    path = pack_file(
        write,
        """\
  - id: R1
    title: syntax error
    cites: S
    when: "output.destination =="
    outcome: escalate
    because: x
  - id: R2
    title: unknown fact
    cites: S
    when: "output.destinaton == 'final'"
    outcome: escalate
    because: x
  - id: R3
    title: unknown fact inside a macro
    cites: S
    when: "tools.exists(t, t.enterprize == 'yes')"
    outcome: judgment
    because: x
""",
    )
    with pytest.raises(ManifestError) as info:
        load_pack(path)
    errors = [str(e) for e in info.value.errors]
    assert len(errors) == 3, errors
    assert errors[0].startswith(f"{path}:9: rule R1: Failed to parse expression")
    assert errors[1] == (
        f"{path}:15: rule R2: unknown fact 'output.destinaton'; did you mean 'output.destination'?"
    )
    assert errors[2] == (
        f"{path}:21: rule R3: unknown fact 'tools[].enterprize'; did you mean 'tools[].enterprise'?"
    )


def test_pack_schema_errors_name_the_rule(write: Write) -> None:
    path = pack_file(
        write,
        """\
  - id: R1
    title: bad outcome and obligation
    cites: S
    when: "true"
    outcome: maybe
    obligations: [written-aproval]
    because: x
""",
    )
    with pytest.raises(ManifestError) as info:
        load_pack(path)
    text = "\n".join(str(e) for e in info.value.errors)
    assert ":10: rule R1: rules.0.outcome" in text
    assert "unknown obligation 'written-aproval'" in text


def test_duplicate_rule_ids_are_rejected(write: Write) -> None:
    rule = '  - {id: R1, title: t, cites: S, when: "true", outcome: proceed, because: x}\n'
    with pytest.raises(ManifestError, match="duplicate rule id"):
        load_pack(pack_file(write, rule + rule))


def test_strongest_outcome_union_of_obligations_and_facts(write: Write) -> None:
    path = pack_file(
        write,
        """\
  - {id: A, title: a, cites: S, when: "true", outcome: proceed,
     obligations: [report-use], because: a}
  - id: B
    title: b
    cites: S
    when: "output.destination == 'reference' && tools.exists(t, t.enterprise == 'yes')"
    outcome: judgment
    obligations:
      - legal-review
      - {id: rights-clearance, when: "stage == 'ideation'"}
      - {id: union-agreement, when: "stage == 'post'"}
    because: b
  - {id: C, title: c, cites: S, when: "stage == 'post'", outcome: escalate, because: c}
""",
        """\
advisories:
  - {id: N, title: n, cites: S, when: "true", message: hello}
""",
    )
    pack = load_pack(path)
    manifest = load_manifest(write("m.yaml", MINIMAL))
    (decision,) = Engine([pack]).decide_all(manifest)
    assert decision.outcome == "judgment"
    assert decision.obligations == ["legal-review", "report-use", "rights-clearance"]
    assert decision.open_obligations == decision.obligations and not decision.cleared
    assert [r.id for r in decision.rules] == ["A", "B"]
    rule_b = decision.rules[1]
    assert rule_b.obligations == ["legal-review", "rights-clearance"]
    assert rule_b.facts == {"output.destination": "reference", "tools[].enterprise": {"ent": "yes"}}
    assert rule_b.citation.url == "https://example.org/doc"
    assert [a.message for a in decision.advisories] == ["hello"]


def test_satisfied_obligations_clear_a_decision(write: Write) -> None:
    manifest = load_manifest(write("m.yaml", MINIMAL))
    engine = Engine([resolve("netflix-genai")])
    (open_decision,) = engine.decide_all(manifest)
    assert open_decision.outcome == "proceed" and open_decision.open_obligations == ["report-use"]
    (cleared,) = engine.decide_all(manifest, evidence=lambda uc, obligations: {"report-use"})
    assert cleared.cleared and cleared.open_obligations == []


def test_non_boolean_condition_is_an_error(write: Write) -> None:
    path = pack_file(
        write, '  - {id: R, title: t, cites: S, when: "stage", outcome: proceed, because: x}\n'
    )
    manifest = load_manifest(write("m.yaml", MINIMAL))
    with pytest.raises(ExpressionError, match="not true/false"):
        list(Engine([load_pack(path)]).decide_all(manifest))


def test_fact_paths_reading() -> None:
    assert fact_paths("size(inputs.studio_material) > 0 && 'output.x' == 'y'") == [
        "inputs.studio_material"
    ]
    assert fact_paths("performers.exists(p, p.deceased in ['yes'])") == ["performers[].deceased"]
    with pytest.raises(ExpressionError, match="unknown fact 'nothing'"):
        compile_condition("nothing == 1")


def test_two_packs_combine_to_the_strongest(write: Write) -> None:
    path = pack_file(
        write, '  - {id: X, title: x, cites: S, when: "true", outcome: escalate, because: x}\n'
    )
    manifest = load_manifest(EXAMPLE)
    engine = Engine([resolve("netflix-genai"), load_pack(path)])
    decisions = list(engine.decide_all(manifest))
    assert {d.outcome for d in decisions} == {"escalate"}
    assert all({r.pack for r in d.rules} == {"netflix-genai", "test-pack"} for d in decisions)
    assert [p.id for p in engine.refs()] == ["netflix-genai", "test-pack"]


@pytest.mark.parametrize("count", [0, 1, 3])
def test_streamed_json_equals_the_whole_document(count: int) -> None:
    import io

    from clearance.policy.decision import CheckResult, to_json, write_json

    manifest = load_manifest(EXAMPLE)
    engine = Engine([resolve("netflix-genai")])
    decisions = list(engine.decide_all(manifest))[:count]
    whole = to_json(CheckResult("p", engine.refs(), decisions))
    out = io.StringIO()
    write_json(out, "p", engine.refs(), iter(decisions))
    assert out.getvalue() == whole


@pytest.mark.parametrize(
    ("source", "joiner", "pieces"),
    [
        ("a && b", "&&", ["a", "b"]),
        ("(a && b)", "&&", ["a", "b"]),
        ("a || b && c", "||", ["a", "b && c"]),
        ("(x || y) && (p && q)", "&&", ["(x || y)", "(p && q)"]),
        ("t.exists(z, z == '&&') && k", "&&", ["t.exists(z, z == '&&')", "k"]),
        ('s == "a || b"', "", []),
        ("a ? b : c && d", "", []),
        ("!(a && b)", "", []),
        ("(a) || (b)", "||", ["(a)", "(b)"]),
    ],
)
def test_conditions_split_at_their_outermost_operator(
    source: str, joiner: str, pieces: list[str]
) -> None:
    from clearance.policy.expressions import split_top_level

    assert split_top_level(source) == (joiner, pieces)


def test_a_split_condition_gives_what_cel_gives_for_every_combination() -> None:
    """Evaluating part by part (each memoised on its own facts) equals one CEL run."""
    import itertools

    source = (
        "(size(production.territories) == 0 || production.territories.exists(t, t == 'FR'))"
        " && (technique in ['generate', 'alter'] && output.destination == 'final'"
        " && (output.depicts_real in ['yes', 'unsure'] || output.could_mislead != 'no'))"
    )
    condition = compile_condition(source)
    assert len(condition.parts) == 2 and condition.parts[1].parts
    whole = compile_condition(source)
    object.__setattr__(whole, "parts", ())  # the same condition, run as one CEL program
    for territories, technique, destination, real, mislead in itertools.product(
        [[], ["FR"], ["US"]],
        ["generate", "alter", "enhance"],
        ["final", "temp"],
        ["yes", "no", "unsure"],
        ["yes", "no", "unsure"],
    ):
        facts = {
            "production": {"territories": territories},
            "technique": technique,
            "output": {"destination": destination, "depicts_real": real, "could_mislead": mislead},
        }
        assert condition.holds(facts) == whole.holds(facts), facts


@pytest.mark.parametrize(
    ("territories", "out_of_scope"),
    [
        ("[CA, 'NO']", ["eu-ai-act-50", "us-ca-replica"]),
        ("[US-CA, FR]", []),
        ("[]", []),
        ("[ES-CT]", ["us-ca-replica"]),
    ],
)
def test_a_pack_out_of_territory_is_applied_and_fires_nothing(
    cli: Callable[..., Any], write: Write, territories: str, out_of_scope: list[str]
) -> None:
    import json

    manifest = write(
        "m.yaml",
        f"""
        version: 1.1
        production:
          id: p
          policies: [netflix-genai, sag-aftra-2023, eu-ai-act-50, us-ca-replica]
          territories: {territories}
        tools: [{{id: t, name: T, enterprise: yes, trains_on_inputs: no, retains_inputs: no}}]
        talent: [{{id: theo, name: Theo, represented: no}}]
        use_cases:
          - id: UC-1
            title: New lines in Theo's cloned voice
            tools: [t]
            stage: post
            output: {{media: [audio], destination: final, resembles_protected: no}}
            talent: {{performers: [theo], replica: voice, replica_use: new-performance}}
        """,
    )
    run = cli("check", manifest, "--format", "json", "--no-register")
    data = json.loads(run.stdout)
    assert [p["id"] for p in data["policies"]] == [
        "netflix-genai", "sag-aftra-2023", "eu-ai-act-50", "us-ca-replica"
    ]  # fmt: skip
    assert data["out_of_scope"] == out_of_scope
    fired_packs = {rule["pack"] for rule in data["use_cases"][0]["rules"]}
    assert fired_packs.isdisjoint(out_of_scope)
    assert {"netflix-genai", "sag-aftra-2023"} <= fired_packs
    assert (set(out_of_scope) | fired_packs) == {p["id"] for p in data["policies"]}
    table = cli("check", manifest, "--no-register").stdout
    assert ("Out of scope" in table) == bool(out_of_scope)
