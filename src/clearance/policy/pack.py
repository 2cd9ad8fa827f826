"""Policy packs: versioned data files of rules, each citing the source behind it.

A pack is YAML (``pack.yaml``) with an id, a version, the source document it implements, and
rules. Every rule has a CEL condition (``when``), an outcome, obligations (optionally each
with its own ``when``) and a one-line explanation (``because``). Advisories are notes shown to
the user that never change an outcome. The pack is validated when loaded: schema, CEL syntax
and unknown facts are reported with the rule id and the line.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from clearance.manifest.errors import InputError, ManifestError
from clearance.manifest.yamlsafe import Document, load_document
from clearance.policy.decision import Citation
from clearance.policy.expressions import Condition, ExpressionError, compile_condition
from clearance.policy.facts import SCHEMAS, Schema
from clearance.policy.vocabulary import OBLIGATIONS, Outcome

if TYPE_CHECKING:
    from clearance.policy.intake.questions import Question

#: Intake questions are found by convention beside the pack, like its cases.
QUESTIONS_FILE = "questions.yaml"

RuleId = Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    document: str
    publisher: str
    url: str
    published: str | None = None
    interpretation: str | None = None


class ConditionalObligation(_Strict):
    """An obligation with its own condition and/or the form it must take (for example how an
    audience disclosure must look under this rule)."""

    id: str
    when: str | None = None
    form: str | None = Field(
        default=None, description="What meeting the obligation must look like under this rule"
    )


class ScopeSpec(_Strict):
    """Where a pack applies at all (e.g. a law's territories): every rule and advisory of the
    pack holds only where the scope holds; out of scope the pack still runs and finds nothing."""

    title: str
    cites: str
    when: str


class RuleSpec(_Strict):
    """A rule. Decision packs give an ``outcome`` (and obligations); classifier packs a
    ``verdict`` (the first rule that holds wins); findings packs a ``finding`` (every rule
    that holds adds its finding)."""

    id: RuleId
    title: str
    cites: str = Field(description="Section heading of the source document")
    url: str | None = Field(default=None, description="Deep link, when the section has one")
    when: str
    outcome: Outcome | None = None
    verdict: str | None = None
    finding: str | None = None
    obligations: list[str | ConditionalObligation] = Field(default_factory=list)
    because: str

    @field_validator("obligations")
    @classmethod
    def _known_obligations(
        cls, value: list[str | ConditionalObligation]
    ) -> list[str | ConditionalObligation]:
        for item in value:
            ob = item if isinstance(item, str) else item.id
            if ob not in OBLIGATIONS:
                raise ValueError(f"unknown obligation {ob!r}; known: {', '.join(OBLIGATIONS)}")
        return value


class AdvisorySpec(_Strict):
    id: RuleId
    title: str
    cites: str
    url: str | None = None
    when: str
    message: str


PackKind = Literal["decision", "classifier", "findings"]
FactsKind = Literal["use-case", "file", "deliverable"]
#: The facts each kind of pack reads unless it says otherwise.
DEFAULT_FACTS: dict[str, FactsKind] = {
    "decision": "use-case",
    "classifier": "file",
    "findings": "deliverable",
}


class PackSpec(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
    kind: PackKind = Field(
        default="decision",
        description="decision: use cases → outcome + obligations; classifier: a file → one "
        "verdict (first rule that holds); findings: a deliverable → every finding that holds",
    )
    facts: FactsKind | None = Field(
        default=None,
        description="What the rules read: use-case (decision packs), file (one file's "
        "provenance facts) or deliverable (a file, its verdict and what the register knows of "
        "it); by default the kind's own",
    )
    title: str
    description: str | None = None
    source: Source
    cases: str | None = Field(default=None, description="Golden cases file beside the pack")
    labels: list[str] = Field(
        default_factory=list, description="The verdicts or findings this pack may give"
    )
    default: str | None = Field(
        default=None, description="Verdict or finding when no rule holds (classifier, findings)"
    )
    scope: ScopeSpec | None = None
    rules: list[RuleSpec] = Field(min_length=1)
    advisories: list[AdvisorySpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rules_fit_the_kind(self) -> PackSpec:
        field = {"decision": "outcome", "classifier": "verdict", "findings": "finding"}[self.kind]
        for rule in self.rules:
            value = getattr(rule, field)
            if value is None:
                raise ValueError(f"rule {rule.id}: a {self.kind} pack's rules need {field!r}")
            if self.kind != "decision" and value not in self.labels:
                raise ValueError(
                    f"rule {rule.id}: {field} {value!r} is not in labels {self.labels}"
                )
        if self.kind != "decision" and self.default not in self.labels:
            raise ValueError(f"default {self.default!r} must be one of labels {self.labels}")
        if (self.kind == "decision") != (self.reads == "use-case"):
            raise ValueError(f"a {self.kind} pack cannot read {self.reads} facts")
        return self

    @property
    def reads(self) -> FactsKind:
        return self.facts or DEFAULT_FACTS[self.kind]


@dataclass(frozen=True)
class Rule:
    spec: RuleSpec
    condition: Condition
    obligations: tuple[tuple[str, Condition | None], ...]
    citation: Citation
    forms: tuple[tuple[str, str], ...] = ()  # (obligation id, the form this rule asks for)


@dataclass(frozen=True)
class Advisory:
    spec: AdvisorySpec
    condition: Condition
    citation: Citation


@dataclass(frozen=True)
class Pack:
    """A loaded, validated and compiled pack."""

    spec: PackSpec
    path: Path
    sha256: str
    rules: tuple[Rule, ...]
    advisories: tuple[Advisory, ...]
    scope: Condition | None = None

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def version(self) -> str:
        return self.spec.version

    def fact_paths(self) -> set[str]:
        """Every fact path any condition of this pack reads."""
        conditions = [r.condition for r in self.rules] + [a.condition for a in self.advisories]
        conditions += [when for r in self.rules for _, when in r.obligations if when is not None]
        return {path for condition in conditions for path in condition.facts}

    def cases_path(self) -> Path | None:
        return self.path.parent / self.spec.cases if self.spec.cases else None

    def questions_path(self) -> Path | None:
        """``questions.yaml`` beside the pack, when it ships intake questions."""
        path = self.path.parent / QUESTIONS_FILE
        return path if self.spec.kind == "decision" and path.is_file() else None

    def questions(self) -> tuple[Question, ...]:
        """The pack's intake questions, validated against its facts and the manifest model
        (``ManifestError`` with file, line and question id); empty when it ships none. Read
        on demand, so deciding never pays for them."""
        from clearance.policy.intake.questions import pack_questions

        path = self.questions_path()
        if path is None:
            return ()
        reads: dict[str, list[str]] = {}
        for rule in self.rules:
            whens = [rule.condition] + [when for _, when in rule.obligations if when is not None]
            for fact in {f for when in whens for f in when.facts}:
                reads.setdefault(fact, []).append(rule.spec.id)
        return pack_questions(path, self.id, reads)


def load_pack(path: Path) -> Pack:
    """Load and compile the pack at ``path``; raise ``ManifestError`` listing every problem."""
    doc = load_document(path)
    spec = doc.validate(PackSpec, lambda loc: _where(doc, loc))
    errors: list[InputError] = []
    schema = SCHEMAS[spec.reads]
    seen: set[str] = set()
    scope = None
    if spec.scope is not None:
        scope = _compile(doc, ("scope", "when"), "scope", spec.scope.when, errors, schema)
        if scope is not None and any(not f.startswith("production.") for f in scope.facts):
            problem = f"a scope reads only production facts; it reads {list(scope.facts)}"
            errors.append(InputError(doc.path, doc.line_of(("scope", "when")), "scope", problem))

    def scoped(when: str) -> str:
        """A rule's condition within the pack's scope (one compiled CEL program)."""
        return when if spec.scope is None else f"({spec.scope.when}) && ({when})"

    rules = []
    for i, rule in enumerate(spec.rules):
        if rule.id in seen:
            errors.append(
                InputError(doc.path, doc.line_of(("rules", i, "id")), rule.id, "duplicate rule id")
            )
        seen.add(rule.id)
        condition = _compile(doc, ("rules", i, "when"), rule.id, scoped(rule.when), errors, schema)
        obligations: list[tuple[str, Condition | None]] = []
        forms: list[tuple[str, str]] = []
        for j, ob in enumerate(rule.obligations):
            if isinstance(ob, str):
                obligations.append((ob, None))
                continue
            when = None
            if ob.when is not None:
                loc = ("rules", i, "obligations", j, "when")
                when = _compile(doc, loc, rule.id, ob.when, errors, schema)
            obligations.append((ob.id, when))
            if ob.form:
                forms.append((ob.id, ob.form))
        if condition is not None:
            rules.append(
                Rule(
                    rule,
                    condition,
                    tuple(obligations),
                    _citation(spec, rule.cites, rule.url),
                    tuple(forms),
                )
            )
    advisories = []
    for i, adv in enumerate(spec.advisories):
        if adv.id in seen:
            errors.append(
                InputError(
                    doc.path, doc.line_of(("advisories", i, "id")), adv.id, "duplicate rule id"
                )
            )
        seen.add(adv.id)
        condition = _compile(
            doc, ("advisories", i, "when"), adv.id, scoped(adv.when), errors, schema
        )
        if condition is not None:
            advisories.append(Advisory(adv, condition, _citation(spec, adv.cites, adv.url)))
    if errors:
        raise ManifestError(errors)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Pack(spec, path, digest, tuple(rules), tuple(advisories), scope)


def _citation(spec: PackSpec, section: str, url: str | None) -> Citation:
    return Citation(document=spec.source.document, section=section, url=url or spec.source.url)


def _compile(
    doc: Document,
    loc: tuple[str | int, ...],
    rule_id: str,
    source: str,
    errors: list[InputError],
    schema: Schema,
) -> Condition | None:
    try:
        return compile_condition(source, schema)
    except ExpressionError as exc:
        errors.append(InputError(doc.path, doc.line_of(loc), f"rule {rule_id}", str(exc)))
        return None


def _where(doc: Document, loc: tuple[str | int, ...]) -> str:
    text = ".".join(str(p) for p in loc)
    if len(loc) >= 2 and loc[0] in ("rules", "advisories") and isinstance(loc[1], int):
        try:
            return f"rule {doc.data[loc[0]][loc[1]]['id']}: {text}"
        except (KeyError, IndexError, TypeError):
            pass
    return text
