"""The adaptive intake: the pack's questions, the engine that picks them, ``clearance intake``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from clearance.manifest.errors import ManifestError
from clearance.manifest.loader import load_manifest
from clearance.manifest.models import Manifest, UseCase
from clearance.policy import Engine, resolve
from clearance.policy.casetest import case_files, load_cases
from clearance.policy.facts import FactBuilder
from clearance.policy.intake import IntakeError, IntakeSession
from clearance.policy.intake.questions import FACT_DOMAINS, V11_FACTS, question_facts
from clearance.policy.intake.writer import add_use_case
from clearance.policy.pack import Pack, load_pack
from clearance.policy.registry import builtin_ids
from clearance.policy.vocabulary import OUTCOME_RANK
from clearance.prompts.derive import use_case_texts
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


def _golden_cases() -> list[Any]:
    """Every golden case of every built-in decision pack, with the packs it is decided with:
    each pack's own cases alone, each combined cases file (``packs/_combined``) with the
    packs it names — once, however many packs name it."""
    params: list[Any] = []
    seen: set[Path] = set()
    for pack_id in builtin_ids("decision"):
        for path in case_files(resolve(pack_id)):
            if path in seen:
                continue
            seen.add(path)
            cases = load_cases(path)
            packs = tuple(cases.packs or [pack_id])
            label = path.name if cases.packs else pack_id
            params += [
                pytest.param(path, packs, case.use_case, id=f"{label}::{case.use_case}")
                for case in cases.cases
            ]
    return params


@cache
def _manifest(path: Path) -> tuple[Manifest, dict[str, UseCase]]:
    manifest = load_manifest(path.parent / load_cases(path).manifest, known_policies=None)
    return manifest, {u.id: u for u in manifest.use_cases}


def _value(use_case: UseCase, fact: str) -> Any:
    value: Any = use_case
    for part in fact.split("."):
        value = getattr(value, part)
    return value


def _with(use_case: UseCase, fact: str, value: Any) -> UseCase:
    """``use_case`` with one fact changed (no cross-field checks: the engine and the intake's
    enumeration both read the facts as given)."""
    data = use_case.model_dump(mode="json")
    node = data
    *parents, leaf = fact.split(".")
    for part in parents:
        node = node[part]
    node[leaf] = list(value) if isinstance(value, tuple) else value
    return UseCase.model_validate(data)


def deciding_facts(packs: Sequence[Pack], manifest: Manifest, use_case: UseCase) -> set[str]:
    """The facts that decide a use case, given the combined decision D of ``packs``
    (outcome o, obligations O).

    Each rule of each pack is split into units: its condition (with its outcome and
    unconditional obligations) and each conditional obligation (rule condition and its own).
    A unit *matters* to D when it holds for the use case (it establishes part of D), or when
    it does not hold but would change D if it did (its outcome is stronger than o, or it owes
    an obligation outside O). The facts that decide the case are the distinct question facts
    read by the units that matter (``tools[].x`` counts as the one ``tools`` question,
    ``performers[].x`` as ``talent.performers``; ``production.*`` asks nothing). Any intake
    must establish these units' values one way or another; units that do not matter could be
    skipped by an oracle.
    """
    decision = Engine(packs).decide(manifest, use_case)
    facts = FactBuilder(manifest).facts(use_case)
    rank, owed = OUTCOME_RANK[decision.outcome], set(decision.obligations)
    found: set[str] = set()
    for pack in packs:
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


#: Facts the manifest requires of every use case, or that a replica names: asked for the
#: record once the decision is settled.
FOR_THE_RECORD = {"stage", "output.media", "output.destination", "tools", "talent.performers"}


@pytest.mark.parametrize(("cases_path", "pack_ids", "case_id"), _golden_cases())
def test_intake_reaches_every_golden_decision_asking_no_more_than_the_deciding_facts(
    cases_path: Path, pack_ids: tuple[str, ...], case_id: str
) -> None:
    """Every golden case of every decision pack, and every combined case with the packs it
    names: answering each question from the golden use case reaches the engine's decision on
    the full use case (outcome and obligations), asking — until the decision is settled — no
    more questions than the facts that decide it (see ``deciding_facts``), and only facts a
    listed pack reads. After that, only facts the manifest requires for the record may be
    asked. What was not asked cannot change the decision: changing any one unasked fact of the
    golden use case to any other allowed value (a performer: any one of the registry) leaves
    the engine's decision as it was."""
    packs = [resolve(p) for p in pack_ids]
    manifest, use_cases = _manifest(cases_path)
    use_case = use_cases[case_id]
    session = IntakeSession(packs, manifest, texts=use_case_texts(use_case))
    read = {f for pack in packs for path in pack.fact_paths() for f in question_facts(path)}
    asked: list[str] = []
    while not session.settled:
        question = session.next_question()
        assert question is not None
        assert question.fact not in asked
        assert question.fact in read, f"{question.fact}: no listed pack reads it"
        asked.append(question.fact)
        session.answer(question.id, _value(use_case, question.fact))
    for_the_record: list[str] = []
    while (question := session.next_question()) is not None:
        for_the_record.append(question.fact)
        session.answer(question.id, _value(use_case, question.fact))
    assert set(for_the_record) <= FOR_THE_RECORD
    engine = Engine(packs)
    expected = engine.decide(manifest, use_case)
    provisional = session.decision_so_far()
    assert (provisional.outcome, list(provisional.obligations)) == (
        expected.outcome,
        expected.obligations,
    )
    written = session.use_case(use_case.id, use_case.title, use_case.description, use_case.prompts)
    got = engine.decide(manifest, written)
    assert (got.outcome, got.obligations) == (expected.outcome, expected.obligations)
    deciding = deciding_facts(packs, manifest, use_case)
    assert len(asked) <= len(deciding), (asked, sorted(deciding))
    answered = set(asked) | set(for_the_record)
    for fact, domain in FACT_DOMAINS.items():
        if fact in answered:
            continue
        if domain.registry == "talent":
            values: list[Any] = [[p.id] for p in manifest.talent]
        elif domain.multiple:
            values = [[v] for v in domain.values]
        else:
            values = list(domain.values)
        for value in values:
            other = engine.decide(manifest, _with(use_case, fact, value))
            assert (other.outcome, other.obligations) == (
                expected.outcome,
                expected.obligations,
            ), f"unasked {fact}: {value!r} changes the decision"


def test_the_golden_replay_covers_every_pack_and_the_combined_cases() -> None:
    """The replay above is over every built-in decision pack's cases, and the combined ones."""
    params = _golden_cases()
    covered = {pack for param in params for pack in param.values[1]}
    assert covered == set(builtin_ids("decision"))
    assert any(len(param.values[1]) > 1 for param in params)


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


# -- several packs, v1.1 facts ----------------------------------------------------------------


def _answers_for(fact: str) -> str:
    """A questions-file answer list with every value the model allows for ``fact``."""
    values = FACT_DOMAINS[fact].values
    return "\n".join(f"      - {{value: {v}, label: {v.title()}}}" for v in values)


def _question(fact: str, text: str) -> str:
    qid = fact.replace(".", "-").replace("_", "-")
    lines = [f"  - id: {qid}", f"    fact: {fact}", f"    text: {json.dumps(text)}"]
    if FACT_DOMAINS[fact].registry is None:
        lines += ["    answers:", _answers_for(fact)]
    return "\n".join(lines) + "\n"


#: The facts a use case cannot be written without (every pack's questions set them).
REQUIRED = ("tools", "stage", "output.media", "output.destination")


def _tiny_pack(
    folder: Path, pack_id: str, rules: list[tuple[str, str, str, str]], asks: list[str], word: str
) -> Pack:
    """A decision pack in ``folder``: rules (id, CEL, outcome, obligation) and questions for
    ``asks`` (then the required facts), each worded "<word>: <fact>?"."""
    folder.mkdir()
    body = [
        f"id: {pack_id}",
        "version: 1.0.0",
        f"title: {pack_id}",
        "source: {document: Test, publisher: Test, url: https://example.org}",
        "rules:",
    ]
    for rid, when, outcome, obligation in rules:
        body += [
            f"  - id: {rid}",
            f"    title: {rid}",
            "    cites: Test",
            f'    when: "{when}"',
            f"    outcome: {outcome}",
            f"    obligations: [{obligation}]" if obligation else "    obligations: []",
            "    because: A test rule.",
        ]
    (folder / "pack.yaml").write_text("\n".join(body) + "\n", encoding="utf-8")
    facts = asks + [f for f in REQUIRED if f not in asks]
    text = f"pack: {pack_id}\nquestions:\n" + "".join(_question(f, f"{word}: {f}?") for f in facts)
    (folder / "questions.yaml").write_text(text, encoding="utf-8")
    return load_pack(folder / "pack.yaml")


def _manifest_v1() -> Manifest:
    return Manifest.model_validate(
        {
            "version": 1,
            "production": {"id": "p", "policies": ["a"]},
            "tools": [{"id": "ent", "name": "E", "enterprise": "yes"}],
        }
    )


def test_questions_of_several_packs_merge_one_per_fact_first_listed_pack_wins(
    tmp_path: Path,
) -> None:
    a = _tiny_pack(
        tmp_path / "a",
        "pack-a",
        [("A1", "output.destination == 'final'", "judgment", "report-use")],
        ["output.destination"],
        "A asks",
    )
    b = _tiny_pack(
        tmp_path / "b",
        "pack-b",
        [
            (
                "B1",
                "output.depicts_real != 'no' && output.destination == 'final'",
                "judgment",
                "disclose-ai",
            )
        ],
        ["output.depicts_real", "output.destination"],
        "B asks",
    )
    ab = IntakeSession([a, b], _manifest_v1())
    assert [q.fact for q in ab.questions][:2] == ["output.destination", "tools"]
    assert "output.depicts_real" in [q.fact for q in ab.questions]
    assert ab.question("output.destination").text == "A asks: output.destination?"
    assert ab.question("output.destination").pack == "pack-a"
    assert ab.question("output.depicts_real").pack == "pack-b"
    ba = IntakeSession([b, a], _manifest_v1())
    assert [q.fact for q in ba.questions][:2] == ["output.depicts_real", "output.destination"]
    assert ba.question("output.destination").text == "B asks: output.destination?"
    # Questions come in the packs' order, each asked only while it can still matter.
    assert ab.next_question().fact == "output.destination"  # type: ignore[union-attr]
    ab.answer("output.destination", "temp")
    assert ab.settled  # neither rule can hold: depicts_real is never asked
    assert ab.unasked()["output.depicts_real"] == "unsure"  # a listed pack asks it
    assert ba.next_question().fact == "output.depicts_real"  # type: ignore[union-attr]
    ba.answer("output.depicts_real", "no")
    assert ba.next_question().fact == "output.destination"  # type: ignore[union-attr]


def test_a_fact_a_rule_can_no_longer_turn_on_is_not_asked(tmp_path: Path) -> None:
    """R1 reads the element, but once the output is known not to be prominent the element
    cannot change it: the destination is asked next, and the element never."""
    pack = _tiny_pack(
        tmp_path / "a",
        "pack-a",
        [
            (
                "R1",
                "(output.on_screen == 'prominent' && output.element == 'prop')"
                " || output.destination == 'final'",
                "escalate",
                "legal-review",
            )
        ],
        ["output.on_screen", "output.element", "output.destination"],
        "Q",
    )
    session = IntakeSession([pack], _manifest_v1())
    assert session.next_question().fact == "output.on_screen"  # type: ignore[union-attr]
    session.answer("output.on_screen", "none")
    assert session.next_question().fact == "output.destination"  # type: ignore[union-attr]
    session.answer("output.destination", "final")
    assert session.settled
    assert session.decision_so_far().outcome == "escalate"
    assert "output.element" in session.unasked()


def test_v11_facts_are_left_out_where_no_listed_pack_asks_them() -> None:
    manifest, _ = _golden()
    session = IntakeSession([PACK], manifest)
    assert not {q.fact for q in session.questions} & V11_FACTS
    assert not set(session.unasked()) & V11_FACTS


V1_WITH_COMMENT = """\
# A version-1 manifest: the intake makes it 1.1 only for a v1.1 answer.
version: 1   # format
production:
  id: p
  policies: [netflix-genai]
tools:
  - {id: ent, name: E, enterprise: yes, trains_on_inputs: no, retains_inputs: no}
use_cases: []
"""


@pytest.mark.parametrize(
    ("answers", "version"),
    [
        (["output.destination=final", "output.depicts_real=yes"], 1.1),
        (["output.destination=temp"], 1),
    ],
    ids=["v11-answered", "not-asked"],
)
def test_the_intake_writes_version_1_1_when_a_v11_fact_is_answered(
    cli: Cli, write: Write, tmp_path: Path, answers: list[str], version: float
) -> None:
    """A pack that reads a v1.1 fact asks it while it matters; the answer makes the manifest
    1.1 (its comments kept). Where it cannot matter it is not asked, and the file stays v1."""
    pack = _tiny_pack(
        tmp_path / "eu-like",
        "eu-like",
        [
            (
                "DF1",
                "output.destination == 'final' && output.depicts_real != 'no'",
                "judgment",
                "disclose-ai",
            )
        ],
        ["output.destination", "output.depicts_real"],
        "Q",
    )
    manifest = write("manifest.yaml", V1_WITH_COMMENT)
    given = ["tools=ent", "stage=post", "output.media=video", *answers]
    options = [arg for answer in given for arg in ("-a", answer)]
    run = cli("intake", manifest, "-p", pack.path, "-u", "UC-1", "-t", "Bridge", *options)
    assert run.code == 0, run.stderr
    text = manifest.read_text(encoding="utf-8")
    loaded = load_manifest(manifest, known_policies=None)
    assert loaded.version == version
    assert text.startswith("# A version-1 manifest")
    assert f"version: {version}   # format\n" in text
    written = loaded.use_cases[0]
    if version == 1.1:
        assert written.output.depicts_real == "yes"
        assert "judgment" in run.stdout
    else:
        assert "proceed" in run.stdout
        data_lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
        assert not [line for line in data_lines if "depicts_real" in line]
        assert "#   output.depicts_real: unsure" in text  # the default it implies, noted


def test_the_writer_makes_a_json_manifest_1_1(tmp_path: Path) -> None:
    data = {"version": 1, "production": {"id": "p"}, "tools": [{"id": "ent", "name": "E"}]}
    text_use = {"output": {"media": ["text"], "destination": "temp"}}
    use_case = UseCase.model_validate(
        {
            **_one_use_case().model_dump(exclude_unset=True),
            **text_use,
            "writing": {"given_to_writer": "yes"},
        }
    )
    new = add_use_case(json.dumps(data), use_case, json_format=True, notes=[])
    path = tmp_path / "m.json"
    path.write_text(new, encoding="utf-8")
    loaded = load_manifest(path)
    assert loaded.version == 1.1
    assert loaded.use_cases[0].writing.given_to_writer == "yes"
    plain = add_use_case(json.dumps(data), _one_use_case(), json_format=True, notes=[])
    assert json.loads(plain)["version"] == 1
