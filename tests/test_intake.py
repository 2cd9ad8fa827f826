"""The adaptive intake: the pack's questions, the engine that picks them, ``clearance intake``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from clearance.manifest.errors import ManifestError
from clearance.manifest.loader import load_manifest
from clearance.manifest.models import Manifest, UseCase
from clearance.policy import Engine, resolve
from clearance.policy.casetest import load_cases
from clearance.policy.facts import FactBuilder
from clearance.policy.intake import IntakeError, IntakeSession
from clearance.policy.intake.questions import question_facts
from clearance.policy.intake.writer import add_use_case
from clearance.policy.pack import Pack, load_pack
from clearance.policy.vocabulary import OUTCOME_RANK
from tests.conftest import Run
from tests.support import MINIMAL

Cli = Callable[..., Run]
Write = Callable[[str, str], Path]
PACK = resolve("netflix-genai")


@cache
def _golden() -> tuple[Manifest, dict[str, UseCase]]:
    path = PACK.cases_path()
    assert path is not None
    manifest = load_manifest(path.parent / load_cases(path).manifest)
    return manifest, {u.id: u for u in manifest.use_cases}


def _case_ids() -> list[str]:
    path = PACK.cases_path()
    assert path is not None
    return [case.use_case for case in load_cases(path).cases]


def _value(use_case: UseCase, fact: str) -> Any:
    value: Any = use_case
    for part in fact.split("."):
        value = getattr(value, part)
    return value


def deciding_facts(pack: Pack, manifest: Manifest, use_case: UseCase) -> set[str]:
    """The facts that decide a use case, given its decision D (outcome o, obligations O).

    Each rule is split into units: its condition (with its outcome and unconditional
    obligations) and each conditional obligation (rule condition and its own). A unit
    *matters* to D when it holds for the use case (it establishes part of D), or when it does
    not hold but would change D if it did (its outcome is stronger than o, or it owes an
    obligation outside O). The facts that decide the case are the distinct question facts
    read by the units that matter (``tools[].x`` counts as the one ``tools`` question,
    ``performers[].x`` as ``talent.performers``). Any intake must establish these units'
    values one way or another; units that do not matter could be skipped by an oracle.
    """
    decision = Engine([pack]).decide(manifest, use_case)
    facts = FactBuilder(manifest).facts(use_case)
    rank, owed = OUTCOME_RANK[decision.outcome], set(decision.obligations)
    found: set[str] = set()
    for rule in pack.rules:
        assert rule.spec.outcome is not None
        always = {ob for ob, when in rule.obligations if when is None}
        units = [((rule.condition,), always)] + [
            ((rule.condition, when), {ob}) for ob, when in rule.obligations if when is not None
        ]
        for conditions, obligations in units:
            holds = all(c.holds(facts) for c in conditions)
            if holds or OUTCOME_RANK[rule.spec.outcome] > rank or not obligations <= owed:
                found |= {f for c in conditions for p in c.facts for f in question_facts(p)}
    return found


@pytest.mark.parametrize("case_id", _case_ids())
def test_intake_reaches_every_golden_decision_asking_no_more_than_the_deciding_facts(
    case_id: str,
) -> None:
    """Answering each question from the golden use case reaches the engine's decision on the
    full use case (outcome and obligations), asking — until the decision is settled — no more
    questions than the facts that decide it (see ``deciding_facts``). After that, only facts
    the manifest requires for the record (stage, media, performers) may be asked."""
    manifest, use_cases = _golden()
    use_case = use_cases[case_id]
    session = IntakeSession([PACK], manifest)
    asked: list[str] = []
    while not session.settled:
        question = session.next_question()
        assert question is not None
        assert question.fact not in asked
        asked.append(question.fact)
        session.answer(question.id, _value(use_case, question.fact))
    for_the_record: list[str] = []
    while (question := session.next_question()) is not None:
        for_the_record.append(question.fact)
        session.answer(question.id, _value(use_case, question.fact))
    assert set(for_the_record) <= {"stage", "output.media", "output.destination", "tools"} | {
        "talent.performers"
    }
    expected = Engine([PACK]).decide(manifest, use_case)
    provisional = session.decision_so_far()
    assert (provisional.outcome, list(provisional.obligations)) == (
        expected.outcome,
        expected.obligations,
    )
    written = session.use_case(use_case.id, use_case.title)
    got = Engine([PACK]).decide(manifest, written)
    assert (got.outcome, got.obligations) == (expected.outcome, expected.obligations)
    deciding = deciding_facts(PACK, manifest, use_case)
    assert len(asked) <= len(deciding), (asked, sorted(deciding))


def test_the_builtin_questions_cover_every_fact_the_pack_reads() -> None:
    questions = PACK.questions()
    facts = {q.fact for q in questions}
    read = {f for path in PACK.fact_paths() for f in question_facts(path)}
    assert read <= facts
    for question in questions:
        if question.domain.values and question.domain.values[-1] == "unsure":
            assert "unsure" in [a.value for a in question.answers], question.id


def test_unsure_escalates_where_the_guidance_says_so() -> None:
    """ "Any no or unsure → escalate": an unsure answer settles the escalation at once."""
    manifest, _ = _golden()
    session = IntakeSession([PACK], manifest)
    session.answer("tools", ["ent-clean"])
    session.answer("output.resembles_protected", "unsure")
    state = session.decision_so_far()
    assert state.outcome == "escalate"
    assert {"written-approval", "rights-clearance"} <= set(state.obligations)
    assert "P1" in state.fired
    # A tool whose training terms are unsure owes a review of its terms (P2).
    session = IntakeSession([PACK], manifest)
    session.answer("tools", ["trains-unsure"])
    state = session.decision_so_far()
    assert state.outcome == "escalate"
    assert "tool-terms-review" in state.obligations


def test_answers_are_checked_against_the_model_and_the_registry() -> None:
    manifest, _ = _golden()
    session = IntakeSession([PACK], manifest)
    with pytest.raises(IntakeError, match="not an answer"):
        session.answer("output.destination", "maybe")
    with pytest.raises(IntakeError, match="unknown 'nope'"):
        session.answer("tools", "ent-clean, nope")
    with pytest.raises(IntakeError, match="no question"):
        session.answer("output.colour", "red")
    session.answer("inputs.personal_data", False)  # YAML false is "no"
    assert session.answers["inputs.personal_data"] == "no"
    with pytest.raises(IntakeError, match=r"unanswered: .*stage"):
        session.use_case("UC-1", "x")


def _pack_copy(tmp_path: Path, questions: str) -> Pack:
    folder = tmp_path / "pack"
    folder.mkdir()
    shutil.copy(PACK.path, folder / "pack.yaml")
    (folder / "questions.yaml").write_text(questions, encoding="utf-8")
    return load_pack(folder / "pack.yaml")


def _builtin_questions() -> str:
    path = PACK.questions_path()
    assert path is not None
    return path.read_text(encoding="utf-8")


def test_a_bad_questions_file_is_reported_with_line_and_question_id(tmp_path: Path) -> None:
    text = _builtin_questions()
    text = text.replace("fact: output.destination", "fact: output.destinaton")
    text = text.replace("{value: likeness, label:", "{value: lookalike, label:")
    text = text.replace(
        '      - {value: unsure, label: "Unsure (escalates)"}\n\n  - id: union-work',
        "\n  - id: union-work",
    )
    pack = _pack_copy(tmp_path, text)
    with pytest.raises(ManifestError) as caught:
        pack.questions()
    lines = text.splitlines()
    by_message = {e.message: e for e in caught.value.errors}
    unknown_fact = next(e for m, e in by_message.items() if m.startswith("unknown fact"))
    assert unknown_fact.field == "question destination"
    assert "did you mean 'output.destination'" in unknown_fact.message
    assert unknown_fact.line is not None
    assert "output.destinaton" in lines[unknown_fact.line - 1]
    unknown_answer = next(e for m, e in by_message.items() if "'lookalike'" in m)
    assert unknown_answer.field == "question replica"
    assert unknown_answer.line is not None
    assert "lookalike" in lines[unknown_answer.line - 1]
    missing = next(e for m, e in by_message.items() if "miss unsure" in m)
    assert missing.field == "question model-reuse"
    assert str(caught.value).count(str(tmp_path / "pack" / "questions.yaml")) == len(
        caught.value.errors
    )
    # The pack itself still loads and decides: questions are read on demand.
    assert pack.sha256 == PACK.sha256


def test_a_fact_the_pack_reads_needs_a_question(tmp_path: Path) -> None:
    text = _builtin_questions()
    start = text.index("  - id: could-mislead")
    end = text.index("  - id: training")
    pack = _pack_copy(tmp_path, text[:start] + text[end:])
    with pytest.raises(ManifestError, match=r"no question sets output.could_mislead.*rule E1"):
        pack.questions()


MANIFEST = (
    "# Test production: comments must survive the intake.\n"
    + MINIMAL.lstrip()
    + "  # end of use cases\n"
    + "\n# trailing comment\n"
)

ANSWERS = """\
id: UC-2
title: "Street signage: background of a final shot"
tools: [ent]
stage: post
technique: generate
output.media: [image]
output.destination: final
output.element: background
output.on_screen: incidental
talent.replica: none
talent.alteration: none
talent.model_reuse: no
talent.replaces_union_work: no
output.could_mislead: no
inputs.training: none
output.resembles_protected: no
inputs.references_protected: no
inputs.third_party_material: no
inputs.studio_material: []
inputs.personal_data: no
"""


def test_the_cli_writes_a_valid_manifest_and_keeps_the_file(cli: Cli, write: Write) -> None:
    manifest = write("manifest.yaml", MANIFEST)
    answers = write("answers.yaml", ANSWERS)
    run = cli("intake", manifest, "--answers", answers)
    assert run.code == 0, run.stderr
    assert "judgment" in run.stdout
    text = manifest.read_text(encoding="utf-8")
    assert text.startswith(MANIFEST.split("  # end of use cases")[0])  # untouched before
    assert text.endswith("\n# trailing comment\n")
    loaded = load_manifest(manifest)
    added = loaded.use_cases[-1]
    assert [u.id for u in loaded.use_cases] == ["UC-1", "UC-2"]
    assert added.title == "Street signage: background of a final shot"
    assert added.output.element == "background"
    decision = Engine([PACK]).decide(loaded, added)
    assert (decision.outcome, decision.obligations) == (
        "judgment",
        ["report-use", "rights-clearance"],
    )
    check = cli("check", manifest, "--format", "json", "--no-register")
    assert check.code == 1  # valid; obligations open
    by_id = {u["id"]: u for u in json.loads(check.stdout)["use_cases"]}
    assert by_id["UC-2"]["outcome"] == "judgment"


def test_a_duplicate_id_exits_2_and_leaves_the_file_unchanged(cli: Cli, write: Write) -> None:
    manifest = write("manifest.yaml", MANIFEST)
    before = manifest.read_bytes()
    run = cli("intake", manifest, "--use-case", "UC-1", "--title", "again", "-a", "tools=ent")
    assert run.code == 2
    assert "already exists" in run.stderr
    assert manifest.read_bytes() == before


def test_non_interactive_names_the_first_unanswered_question(cli: Cli, write: Write) -> None:
    manifest = write("manifest.yaml", MANIFEST)
    before = manifest.read_bytes()
    run = cli("intake", manifest, "-t", "x", "-a", "tools=ent", "-a", "technique=enhance")
    assert run.code == 2
    assert "no answer for question" in run.stderr
    assert "--answer" in run.stderr
    assert manifest.read_bytes() == before
    bad = cli("intake", manifest, "-t", "x", "-a", "output.destination=later")
    assert bad.code == 2
    assert "not an answer" in bad.stderr


def test_an_unsure_answer_writes_an_escalated_use_case(cli: Cli, write: Write) -> None:
    manifest = write("manifest.yaml", MANIFEST)
    answers = ANSWERS.replace("output.destination: final", "output.destination: reference")
    answers = answers.replace("output.on_screen: incidental", "output.on_screen: none")
    answers = answers.replace("inputs.personal_data: no", "inputs.personal_data: unsure")
    run = cli("intake", manifest, "--answers", write("answers.yaml", answers))
    assert run.code == 0, run.stderr
    loaded = load_manifest(manifest)
    decision = Engine([PACK]).decide(loaded, loaded.use_cases[-1])
    assert decision.outcome == "escalate"
    assert "D2" in [r.id for r in decision.rules]


def test_the_interactive_intake_prompts_and_shows_the_decision(cli: Cli, write: Write) -> None:
    """Numbered answers in prompt order; the flow stops asking once the decision settles."""
    manifest = write("manifest.yaml", MANIFEST)
    session = IntakeSession([PACK], load_manifest(manifest))
    replies = ["UC-9", "Mood boards"]
    choose = {"tools": "1", "technique": "1", "output.destination": "1", "stage": "1"}
    while (question := session.next_question()) is not None:
        tri_state = [a.value for a in question.answers] == ["yes", "no", "unsure"]
        reply = choose.get(question.fact, "2" if tri_state else "1")
        if question.fact == "inputs.studio_material":
            reply = ""
        if question.fact == "output.media":
            reply = "1, 2"
        replies.append(reply)
        pick = session.choices(question)
        values = [pick[int(n) - 1].value for n in reply.split(",") if n.strip()]
        session.answer(question.id, values if question.multiple else values[0])
    from typer.testing import CliRunner

    from clearance.cli import app

    result = CliRunner().invoke(app, ["intake", str(manifest)], input="\n".join(replies) + "\n")
    assert result.exit_code == 0, result.output
    assert "So far:" in result.output
    assert "Decision settled:" in result.output
    added = load_manifest(manifest).use_cases[-1]
    assert added.id == "UC-9"
    assert added.output.media == ["image", "video"]
    assert Engine([PACK]).decide(load_manifest(manifest), added).outcome == "proceed"


def _one_use_case() -> UseCase:
    return UseCase.model_validate(
        {
            "id": "UC-7",
            "title": "A: title, with 'quotes'",
            "tools": ["ent"],
            "stage": "post",
            "output": {"media": ["3d"], "destination": "temp"},
            "inputs": {"personal_data": "no"},
        }
    )


@pytest.mark.parametrize(
    "tail",
    [
        "use_cases: []  # none yet\n",
        "use_cases:\n",
        "",
        "use_cases: [{id: UC-1, title: t, tools: [ent], stage: post,"
        " output: {media: [image], destination: temp}}]\n",
        "use_cases:\n- id: UC-1\n  title: t\n  tools: [ent]\n  stage: post\n"
        "  output: {media: [image], destination: temp}\n# a comment\ntalent: []\n",
    ],
)
def test_the_writer_appends_to_every_shape_of_use_cases(tmp_path: Path, tail: str) -> None:
    head = "version: 1\nproduction:\n  id: p\ntools:\n  - {id: ent, name: E}\n"
    text = head + tail
    new = add_use_case(text, _one_use_case(), json_format=False, notes=["a note"])
    path = tmp_path / "m.yaml"
    path.write_text(new, encoding="utf-8")
    loaded = load_manifest(path)
    assert loaded.use_cases[-1] == _one_use_case()
    assert new.startswith(head)
    if "[{" not in tail:  # a flow sequence takes the use case as one more flow item
        assert "  # a note\n" in new
    if "# a comment" in tail:
        assert new.endswith("  # a note\n# a comment\ntalent: []\n")


def test_the_writer_redumps_json(tmp_path: Path) -> None:
    data = {"version": 1, "production": {"id": "p"}, "tools": [{"id": "ent", "name": "E"}]}
    new = add_use_case(json.dumps(data), _one_use_case(), json_format=True, notes=["x"])
    path = tmp_path / "m.json"
    path.write_text(new, encoding="utf-8")
    assert load_manifest(path).use_cases == [_one_use_case()]
