"""Intake questions: the pack's wording of each question, checked against the manifest model.

A decision pack may ship ``questions.yaml`` beside ``pack.yaml``: per question an id, the fact
it sets (a use-case field path such as ``output.destination``), the question, help, the
guidance's examples and the allowed answers with labels. Answers are checked against the
manifest model (its enums and yes/no/unsure), so a question can never offer a value the
manifest would refuse, nor forget ``unsure`` where the spec allows it. Tools and performers
are answered from the manifest's own registries, never from the questions file.
"""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticUndefined

from clearance.manifest.errors import InputError, ManifestError
from clearance.manifest.models import V11_FIELDS, UseCase
from clearance.manifest.yamlsafe import Document, load_document
from clearance.policy.facts import SCHEMAS, schema_node

#: Facts answered by picking ids from a registry of the manifest (fact → manifest section).
REGISTRY_FACTS: dict[str, str] = {"tools": "tools", "talent.performers": "talent"}
#: Fields of a use case that are not facts (named by the command, not asked); packs read
#: what the description and prompts name through the derived ``prompt.*`` facts.
_NOT_FACTS = frozenset({"id", "title", "description", "prompts"})
#: Problems found in one question: (location in the file, message).
Problems = list[tuple[tuple[str | int, ...], str]]


@dataclass(frozen=True)
class FactDomain:
    """What the manifest model allows for one use-case fact."""

    fact: str
    values: tuple[str, ...]  # allowed values (items, for a list); empty for registry facts
    multiple: bool  # a list of values (studio_material, media, tools, performers)
    registry: str | None  # manifest section whose ids are the answers
    required: bool  # the model has no default: a use case cannot be written without it
    default: Any  # the spec's default (None when required)


def _leaf_fields(model: type[BaseModel], prefix: str = "") -> dict[str, FactDomain]:
    out: dict[str, FactDomain] = {}
    for name, field in model.model_fields.items():
        if not prefix and name in _NOT_FACTS:
            continue
        path = prefix + name
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out.update(_leaf_fields(annotation, path + "."))
            continue
        multiple = typing.get_origin(annotation) is list
        item = typing.get_args(annotation)[0] if multiple else annotation
        values = tuple(typing.get_args(item)) if typing.get_origin(item) is typing.Literal else ()
        required = field.is_required()
        if required:
            default: Any = None
        elif field.default_factory is not None:
            default = field.default_factory()  # type: ignore[call-arg]
        else:
            default = field.default
        if default is PydanticUndefined:
            default = None
        out[path] = FactDomain(path, values, multiple, REGISTRY_FACTS.get(path), required, default)
    return out


#: Every fact a question may set, derived from the manifest model.
FACT_DOMAINS: dict[str, FactDomain] = _leaf_fields(UseCase)


def _v11_facts() -> frozenset[str]:
    """The use-case facts manifest v1.1 added (``output.depicts_real``, ``writing.*``, …)."""
    paths = [
        ".".join(filter(None, (where.removeprefix("use_cases[]").lstrip("."), name)))
        for where, name in V11_FIELDS
        if where.startswith("use_cases[]")
    ]
    return frozenset(f for f in FACT_DOMAINS for p in paths if f == p or f.startswith(p + "."))


#: Facts only a version-1.1 manifest can hold: asked only when a listed pack has a question
#: for them, and a use case that answers one makes the manifest ``version: 1.1``.
V11_FACTS: frozenset[str] = _v11_facts()


@dataclass(frozen=True)
class Answer:
    value: str
    label: str
    help: str | None = None


@dataclass(frozen=True)
class Question:
    """One question of the intake, as the pack words it."""

    id: str
    fact: str
    text: str
    help: str | None
    examples: tuple[str, ...]
    answers: tuple[Answer, ...]  # empty for registry facts (the session lists the registry)
    domain: FactDomain
    pack: str

    @property
    def multiple(self) -> bool:
        return self.domain.multiple

    @property
    def required(self) -> bool:
        return self.domain.required


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnswerSpec(_Strict):
    value: str
    label: str = Field(min_length=1)
    help: str | None = None


class QuestionSpec(_Strict):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]+$")]
    fact: str
    text: str = Field(min_length=1)
    help: str | None = None
    examples: list[str] = Field(default_factory=list)
    answers: list[AnswerSpec] | None = Field(
        default=None, description="Every allowed value once; omitted for tools and performers"
    )


class QuestionsFile(_Strict):
    pack: str | None = Field(default=None, description="The pack these questions belong to")
    questions: list[QuestionSpec] = Field(min_length=1)


def load_questions(
    path: Path, pack_id: str, pack_facts: dict[str, list[str]] | None = None
) -> tuple[Question, ...]:
    """Load and check ``path``; raise ``ManifestError`` naming file, line and question id.

    ``pack_facts`` (question fact → rule ids reading it) makes a fact the pack reads without
    a question an error: the intake could never settle a rule that reads it.
    """
    doc = load_document(path)
    spec = doc.validate(QuestionsFile, lambda loc: _where(doc, loc))
    errors: list[InputError] = []

    def error(loc: tuple[str | int, ...], question: str, message: str) -> None:
        errors.append(InputError(doc.path, doc.line_of(loc), question, message))

    if spec.pack is not None and spec.pack != pack_id:
        error(("pack",), "pack", f"questions of pack {spec.pack!r}, found beside {pack_id!r}")
    questions: list[Question] = []
    ids: set[str] = set()
    facts: set[str] = set()
    for i, q in enumerate(spec.questions):
        where = f"question {q.id}"
        if q.id in ids:
            error(("questions", i, "id"), where, "duplicate question id")
        ids.add(q.id)
        problems: list[tuple[tuple[str | int, ...], str]] = []
        domain = _check_fact(q.fact, problems, i)
        if domain is not None:
            if q.fact in facts:
                problems.append((("questions", i, "fact"), f"another question sets {q.fact}"))
            facts.add(q.fact)
            answers = _check_answers(q, domain, problems, i)
            questions.append(
                Question(q.id, q.fact, q.text, q.help, tuple(q.examples), answers, domain, pack_id)
            )
        for loc, message in problems:
            error(loc, where, message)
    for fact, domain in FACT_DOMAINS.items():
        if domain.required and fact not in facts:
            error(("questions",), "questions", f"no question sets {fact} (a use case needs it)")
    for fact, rules in sorted((pack_facts or {}).items()):
        if fact not in facts:
            error(
                ("questions",),
                "questions",
                f"no question sets {fact}, which rule {', '.join(rules)} reads",
            )
    if errors:
        raise ManifestError(errors)
    return tuple(questions)


def _check_fact(fact: str, problems: Problems, i: int) -> FactDomain | None:
    domain = FACT_DOMAINS.get(fact)
    exists, _ = schema_node(fact, SCHEMAS["use-case"])
    if domain is None or not exists:
        close = difflib.get_close_matches(fact, list(FACT_DOMAINS), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        problems.append((("questions", i, "fact"), f"unknown fact {fact!r}{hint}"))
        return None
    return domain


def _check_answers(
    q: QuestionSpec,
    domain: FactDomain,
    problems: Problems,
    i: int,
) -> tuple[Answer, ...]:
    def error(loc: tuple[str | int, ...], message: str) -> None:
        problems.append((loc, message))

    if domain.registry is not None:
        if q.answers is not None:
            error(
                ("questions", i, "answers"),
                f"{q.fact} is answered from the manifest's {domain.registry}: registry; "
                "remove answers",
            )
        return ()
    if not q.answers:
        error(("questions", i), f"answers are required: {', '.join(domain.values)}")
        return ()
    seen: list[str] = []
    for j, answer in enumerate(q.answers):
        if answer.value not in domain.values:
            error(
                ("questions", i, "answers", j, "value"),
                f"unknown answer {answer.value!r} for {q.fact}; "
                f"allowed: {', '.join(domain.values)}",
            )
        elif answer.value in seen:
            error(("questions", i, "answers", j, "value"), f"duplicate answer {answer.value!r}")
        seen.append(answer.value)
    missing = [v for v in domain.values if v not in seen]
    if missing:
        error(("questions", i, "answers"), f"answers miss {', '.join(missing)} (the model allows)")
    return tuple(Answer(a.value, a.label, a.help) for a in q.answers)


def _where(doc: Document, loc: tuple[str | int, ...]) -> str:
    text = ".".join(str(p) for p in loc)
    if len(loc) >= 2 and loc[0] == "questions" and isinstance(loc[1], int):
        try:
            return f"question {doc.data['questions'][loc[1]]['id']}: {text}"
        except (KeyError, IndexError, TypeError):
            pass
    return text


def question_facts(path: str) -> list[str]:
    """The question facts a condition's fact path reads: ``tools[].enterprise`` → ``tools``
    (the tools are picked; their terms come from the registry), ``performers[].deceased`` →
    ``talent.performers``; ``production.*`` is known from the manifest and asks nothing."""
    root = path.split("[]", 1)[0]
    if root == "tools":
        return ["tools"]
    if root == "performers":
        return ["talent.performers"]
    if root == "production" or root.startswith("production."):
        return []
    return [f for f in FACT_DOMAINS if f == root or f.startswith(root + ".")]


def pack_questions(path: Path, pack_id: str, reads: dict[str, list[str]]) -> tuple[Question, ...]:
    """``load_questions`` with the pack's condition paths (path → rule ids) as question facts."""
    facts: dict[str, list[str]] = {}
    for fact_path, rules in reads.items():
        for fact in question_facts(fact_path):
            facts.setdefault(fact, [])
            facts[fact] += [r for r in rules if r not in facts[fact]]
    return load_questions(path, pack_id, facts)
