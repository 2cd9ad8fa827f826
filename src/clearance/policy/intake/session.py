"""The adaptive intake: ask only what can still change the decision.

The packs' compiled rules are split into *units*: each rule's condition (its outcome and
unconditional obligations) and each conditional obligation (rule condition and its own).
Given partial answers, a unit is *determined* when every completion of the unknown facts it
reads gives the same truth value; only the facts that unit reads are enumerated, over the
answers the manifest model allows (every subset, for a list such as
``inputs.studio_material``; for ``tools`` and ``talent.performers`` every selection from the
manifest's registries, whose terms are known). An undetermined unit is *irrelevant* when its
outcome is no stronger than the strongest outcome already certain and its obligations are
already owed. The decision is *settled* when no relevant unit is undetermined; then every
completion decides the same, so unasked facts can take the spec's defaults. The next
question is the first (in the packs' order) unanswered fact on which a relevant undetermined
unit *depends* (some completion of the unit's other unknown facts makes its truth turn on that
fact): a fact a unit reads but cannot turn on, given the answers so far, is not asked.
Several packs decide together: their units are pooled, so "relevant" is judged against the
combined decision (strongest outcome, union of obligations), and each pack's questions come
from that pack (one question per fact, the first listed pack's). Conditions are the packs'
own compiled CEL (and their memo): there is no second decision logic, and the final decision
comes from ``Engine``.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from clearance.manifest.errors import InputError, ManifestError
from clearance.manifest.models import Manifest, UseCase
from clearance.policy.decision import Decision
from clearance.policy.engine import Engine
from clearance.policy.expressions import Condition
from clearance.policy.facts import FactBuilder
from clearance.policy.intake.questions import (
    FACT_DOMAINS,
    V11_FACTS,
    Answer,
    FactDomain,
    Question,
    question_facts,
)
from clearance.policy.pack import Pack
from clearance.policy.vocabulary import OUTCOME_RANK, Outcome, strongest

#: Value of an answered fact: a word, or a tuple of words for a list fact.
Value = str | tuple[str, ...]

#: Bounds of the enumeration; beyond them a unit counts as undetermined (asking is safe).
MAX_SUBSET_ITEMS = 8
MAX_COMPLETIONS = 50_000


class IntakeError(ValueError):
    """An answer the manifest model (or the registry) does not allow, or a missing one."""


@dataclass(frozen=True)
class _Unit:
    index: int  # position among the session's units (memo key)
    rule: str
    conditions: tuple[Condition, ...]
    outcome: Outcome
    obligations: frozenset[str]
    facts: tuple[str, ...]  # question facts read, sorted


@dataclass(frozen=True)
class Provisional:
    """Where the decision stands: what is certain already and what may still be added."""

    outcome: Outcome  # at least this strong, whatever the remaining answers
    obligations: tuple[str, ...]  # owed whatever the remaining answers
    could_reach: Outcome  # the strongest outcome still possible
    settled: bool  # no remaining answer can change outcome or obligations
    fired: tuple[str, ...]  # rules certain to fire
    open_rules: tuple[str, ...]  # rules whose answer could still change the decision


class IntakeSession:
    """One use case being declared: answers so far, and what to ask next.

    Pure (no I/O): the terminal command and a web form drive the same object. ``packs``
    are the production's decision packs; ``manifest`` supplies the tool and talent
    registries and the production; ``questions`` default to the packs' own, merged in pack
    order (the first pack's wording of a fact wins).
    """

    def __init__(
        self,
        packs: Sequence[Pack],
        manifest: Manifest,
        questions: Sequence[Question] | None = None,
        texts: Sequence[str] = (),
    ) -> None:
        self.packs = tuple(packs)
        self.manifest = manifest
        #: The use case's description and prompts when known up front: the derived
        #: ``prompt.*`` facts come from them (never asked; none given: nothing is named).
        self.prompt = FactBuilder(manifest).prompt_facts(tuple(texts))
        self.engine = Engine(self.packs)
        if questions is None:
            questions = [q for pack in self.packs for q in pack.questions()]
        merged: dict[str, Question] = {}
        for question in questions:
            merged.setdefault(question.fact, question)
        self.questions: tuple[Question, ...] = tuple(merged.values())
        self._by_id = {q.id: q for q in self.questions}
        self._by_fact = dict(merged)
        builder = FactBuilder(manifest)
        self._tools, self._performers = builder.tools, builder.performers
        self._production = builder.production
        self._units = tuple(self._build_units())
        #: Registry fields any condition reads ("id" when a condition reads the ids).
        self._read: dict[str, set[str]] = {"tools": set(), "performers": set()}
        for unit in self._units:
            for path in (p for c in unit.conditions for p in c.facts):
                root, _, rest = path.partition("[]")
                if root in self._read:
                    self._read[root].add(rest.lstrip(".").split(".")[0] or "id")
        missing = sorted(
            {(f, u.rule) for u in self._units for f in u.facts if f not in self._by_fact}
        )
        if missing:
            raise ManifestError(
                [
                    InputError(
                        "questions", None, fact, f"no question sets it; rule {rule} reads it"
                    )
                    for fact, rule in missing
                ]
            )
        self._answers: dict[str, Value] = {}
        self._truth_memo: dict[tuple[int, tuple[Value | None, ...]], bool | None] = {}
        self._turns_memo: dict[tuple[int, str, tuple[Value | None, ...]], bool] = {}
        self._condition_memo: dict[tuple[int, tuple[Value | None, ...]], bool | None] = {}
        self._condition_facts: dict[int, tuple[str, ...]] = {}
        self._order = {q.fact: i for i, q in enumerate(self.questions)}

    # -- answers ---------------------------------------------------------------------------

    @property
    def answers(self) -> dict[str, Value]:
        """Answers so far, fact → value (a copy)."""
        return dict(self._answers)

    def question(self, key: str) -> Question:
        """A question by id or by the fact it sets."""
        found = self._by_id.get(key) or self._by_fact.get(key)
        if found is None:
            raise IntakeError(f"no question {key!r}; questions: {', '.join(self._by_id)}")
        return found

    def choices(self, question: Question) -> tuple[Answer, ...]:
        """The answers to offer: the pack's, or the manifest's registry for tools/performers."""
        if question.domain.registry == "tools":
            return tuple(Answer(t.id, f"{t.name} ({t.id})") for t in self.manifest.tools)
        if question.domain.registry == "talent":
            return tuple(Answer(p.id, f"{p.name} ({p.id})") for p in self.manifest.talent)
        return question.answers

    def answer(self, key: str, value: Any) -> None:
        """Record an answer (question id or fact → value); ``IntakeError`` if not allowed.

        ``true``/``false`` mean yes/no; a list fact takes a list or a comma-separated text.
        """
        question = self.question(key)
        self._answers[question.fact] = self._normalise(question, value)

    def forget(self, key: str) -> None:
        """Withdraw an answer (a form's "back")."""
        self._answers.pop(self.question(key).fact, None)

    def _normalise(self, question: Question, value: Any) -> Value:
        allowed = [a.value for a in self.choices(question)]
        if value is True or value is False:
            value = "yes" if value else "no"
        if question.multiple:
            if isinstance(value, str):
                items = [v.strip() for v in value.split(",") if v.strip()]
            elif isinstance(value, list | tuple):
                items = [str(v) for v in value]
            else:
                raise IntakeError(f"{question.fact}: expected a list, got {value!r}")
            unknown = [v for v in items if v not in allowed]
            if unknown:
                raise IntakeError(
                    f"{question.fact}: unknown {', '.join(map(repr, unknown))}; "
                    f"allowed: {', '.join(allowed) or '(none declared)'}"
                )
            if not items and question.required:
                raise IntakeError(f"{question.fact}: at least one is required")
            return tuple(v for v in allowed if v in items)
        if not isinstance(value, str) or value not in allowed:
            raise IntakeError(
                f"{question.fact}: {value!r} is not an answer; allowed: {', '.join(allowed)}"
            )
        return value

    # -- the decision so far -------------------------------------------------------------

    def decision_so_far(self) -> Provisional:
        """What is certain, what is still open, and whether the decision is settled."""
        known, open_units = self._state()
        best = strongest([u.outcome for u in known])
        owed = frozenset(ob for u in known for ob in u.obligations)
        return Provisional(
            outcome=best,
            obligations=tuple(sorted(owed)),
            could_reach=strongest([best, *(u.outcome for u in open_units)]),
            settled=not open_units,
            fired=tuple(dict.fromkeys(u.rule for u in known)),
            open_rules=tuple(dict.fromkeys(u.rule for u in open_units)),
        )

    @property
    def settled(self) -> bool:
        return not self._state()[1]

    def next_question(self) -> Question | None:
        """The next question to ask, or ``None`` when the use case can be written.

        While the decision is open: the first unanswered fact on which a relevant undetermined
        rule can turn. Once settled: facts the manifest requires that are still unanswered
        (``stage``, ``output.media``, …; performers when a replica, alteration or model
        reuse names none) — asked for the record, they cannot change the decision.
        """
        _, open_units = self._state()
        if open_units:
            unknown = {f for u in open_units for f in u.facts if f not in self._answers}
            candidates = sorted(unknown, key=self._order.__getitem__)
            for fact in candidates:
                if any(self._turns_on(u, fact) for u in open_units if fact in u.facts):
                    return self._by_fact[fact]
            return self._by_fact[candidates[0]]  # not reached: an open unit turns on one
        for question in self.questions:
            if question.fact not in self._answers and (
                question.required
                or (question.fact == "talent.performers" and self._needs_performers())
            ):
                return question
        return None

    def _needs_performers(self) -> bool:
        """Spec cross-field rule: a replica, an alteration or model reuse names a performer."""
        return any(
            self._answers.get(f"talent.{key}", default) != default
            for key, default in (("replica", "none"), ("alteration", "none"), ("model_reuse", "no"))
        )

    def unasked(self) -> dict[str, Any]:
        """Facts not answered and their spec defaults (what the written use case implies).
        A v1.1 fact that no listed pack asks about is left out: no pack reads it, and a
        version-1 manifest cannot hold it."""
        return {
            fact: list(domain.default) if isinstance(domain.default, list) else domain.default
            for fact, domain in FACT_DOMAINS.items()
            if fact not in self._answers
            and not domain.required
            and (fact not in V11_FACTS or fact in self._by_fact)
        }

    def use_case(
        self, id: str, title: str, description: str | None = None, prompts: Sequence[str] = ()
    ) -> UseCase:
        """The use case declared so far; unanswered facts take the spec's defaults."""
        missing = [f for f, d in FACT_DOMAINS.items() if d.required and f not in self._answers]
        if missing:
            raise IntakeError(f"unanswered: {', '.join(missing)}")
        data: dict[str, Any] = {"id": id, "title": title}
        if description:
            data["description"] = description
        if prompts:
            data["prompts"] = list(prompts)
        for fact in FACT_DOMAINS:  # model order
            if fact in self._answers:
                value = self._answers[fact]
                node = data
                *parents, leaf = fact.split(".")
                for part in parents:
                    node = node.setdefault(part, {})
                node[leaf] = list(value) if isinstance(value, tuple) else value
        try:
            return UseCase.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"]))
            raise IntakeError(f"{where}: {first['msg']}") from exc

    def decision(self, id: str, title: str, description: str | None = None) -> Decision:
        """The engine's decision on ``use_case()`` (the same as the settled provisional one)."""
        return self.engine.decide(self.manifest, self.use_case(id, title, description))

    # -- determination ---------------------------------------------------------------------

    def _build_units(self) -> Iterator[_Unit]:
        index = itertools.count()
        for pack in self.packs:
            for rule in pack.rules:
                spec = rule.spec
                assert spec.outcome is not None  # decision packs are validated to have one
                always = frozenset(ob for ob, when in rule.obligations if when is None)
                yield _Unit(
                    next(index),
                    spec.id,
                    (rule.condition,),
                    spec.outcome,
                    always,
                    _facts(rule.condition),
                )
                for ob, when in rule.obligations:
                    if when is not None:
                        both = (rule.condition, when)
                        facts = tuple(sorted(set(_facts(rule.condition)) | set(_facts(when))))
                        yield _Unit(
                            next(index), spec.id, both, spec.outcome, frozenset({ob}), facts
                        )

    def _state(self) -> tuple[list[_Unit], list[_Unit]]:
        """(units certain to hold, relevant undetermined units)."""
        known: list[_Unit] = []
        undetermined: list[_Unit] = []
        for unit in self._units:
            truth = self._truth(unit)
            if truth is None:
                undetermined.append(unit)
            elif truth:
                known.append(unit)
        rank = OUTCOME_RANK[strongest([u.outcome for u in known])]
        owed = {ob for u in known for ob in u.obligations}
        relevant = [
            u for u in undetermined if OUTCOME_RANK[u.outcome] > rank or not u.obligations <= owed
        ]
        return known, relevant

    def _truth(self, unit: _Unit) -> bool | None:
        """The unit's truth value if every completion of its unknown facts agrees."""
        key = (unit.index, tuple(self._answers.get(f) for f in unit.facts))
        if key in self._truth_memo:
            return self._truth_memo[key]
        parts = [self._condition_truth(c) for c in unit.conditions]
        if False in parts:
            result: bool | None = False
        elif all(parts):
            result = True
        else:
            result = self._enumerate(unit.conditions, unit.facts)
        self._truth_memo[key] = result
        return result

    def _condition_truth(self, condition: Condition) -> bool | None:
        """A condition's truth value if every completion of its unknown facts agrees. The
        parts of a top-level ``&&``/``||`` are settled first, each over its own few facts (one
        part false settles an ``&&``); only when they leave it open is the whole enumerated —
        so the answer is exact, and cheap for the rules a single answer has ruled out."""
        facts = self._condition_facts.get(id(condition))
        if facts is None:
            facts = self._condition_facts[id(condition)] = _facts(condition)
        key = (id(condition), tuple(self._answers.get(f) for f in facts))
        if key in self._condition_memo:
            return self._condition_memo[key]
        result: bool | None = None
        if condition.parts:
            decisive = condition.any_part  # a true part settles ||, a false one &&
            parts: list[bool | None] = []
            for part in condition.parts:
                parts.append(self._condition_truth(part))
                if parts[-1] is decisive:
                    break
            if parts[-1] is decisive:
                result = decisive
            elif all(t is (not decisive) for t in parts):
                result = not decisive
        if result is None:
            result = self._enumerate((condition,), facts)
        self._condition_memo[key] = result
        return result

    def _enumerate(self, conditions: tuple[Condition, ...], read: tuple[str, ...]) -> bool | None:
        """Truth of ``conditions`` (all of them) over every completion of the unknown facts
        among ``read``, if they agree; ``None`` if not, or if too many to enumerate."""
        unknown = [f for f in read if f not in self._answers]
        domains = [self._completions(f) for f in unknown]
        total = 1
        for domain in domains:
            total *= len(domain) if domain is not None else MAX_COMPLETIONS + 1
        if total > MAX_COMPLETIONS:
            return None
        facts = self._facts()
        seen: set[bool] = set()
        for combo in itertools.product(*(d for d in domains if d is not None)):
            for fact, value in zip(unknown, combo, strict=True):
                self._set(facts, fact, value)
            seen.add(all(c.holds(facts) for c in conditions))
            if len(seen) > 1:
                return None
        return seen.pop()

    def _turns_on(self, unit: _Unit, fact: str) -> bool:
        """Can the unit's truth turn on ``fact``: is there a completion of its other unknown
        facts under which two answers to ``fact`` give different truth values? ``True`` when
        too many completions to enumerate (asking is safe)."""
        key = (unit.index, fact, tuple(self._answers.get(f) for f in unit.facts))
        if key in self._turns_memo:
            return self._turns_memo[key]
        others = [f for f in unit.facts if f not in self._answers and f != fact]
        if not others:  # an undetermined unit whose one unknown fact is this one
            return True
        domains = [self._completions(f) for f in [*others, fact]]
        total = 1
        for domain in domains:
            total *= len(domain) if domain is not None else MAX_COMPLETIONS + 1
        result = True
        if total <= MAX_COMPLETIONS:
            *other_domains, own = [d for d in domains if d is not None]
            facts = self._facts()
            result = False
            for combo in itertools.product(*other_domains):
                for name, value in zip(others, combo, strict=True):
                    self._set(facts, name, value)
                seen: set[bool] = set()
                for value in own:
                    self._set(facts, fact, value)
                    seen.add(all(c.holds(facts) for c in unit.conditions))
                if len(seen) > 1:
                    result = True
                    break
        self._turns_memo[key] = result
        return result

    def _completions(self, fact: str) -> list[Value] | None:
        """Every value ``fact`` may take, or ``None`` when too many to enumerate."""
        domain = FACT_DOMAINS[fact]
        if domain.registry is not None:
            ids = list(self._tools if domain.registry == "tools" else self._performers)
            return _subsets(_distinct(ids, self._profile(domain)), nonempty=domain.required)
        if domain.multiple:
            return _subsets(list(domain.values), nonempty=domain.required)
        return list(domain.values)

    def _profile(self, domain: FactDomain) -> dict[str, Any]:
        """Registry records keyed by id, reduced to the fields conditions read."""
        name = "tools" if domain.registry == "tools" else "performers"
        records = self._tools if name == "tools" else self._performers
        read = self._read[name]
        return {rid: {k: v for k, v in r.items() if k in read} for rid, r in records.items()}

    def _facts(self) -> dict[str, Any]:
        """Condition facts for the answers so far (placeholders where unknown)."""
        facts: dict[str, Any] = {}
        for fact, domain in FACT_DOMAINS.items():
            value = self._answers.get(fact)
            if value is None:
                value = domain.default if not domain.required else _placeholder(domain, self)
            self._set(facts, fact, value)
        facts["production"] = copy.deepcopy(self._production)
        facts["prompt"] = self.prompt
        return facts

    def _set(self, facts: dict[str, Any], fact: str, value: Any) -> None:
        if fact == "tools":
            facts["tools"] = [self._tools[t] for t in value]
            return
        if fact == "talent.performers":
            facts["performers"] = [self._performers[p] for p in value]
        node = facts
        *parents, leaf = fact.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = list(value) if isinstance(value, tuple | list) else value


def _facts(condition: Condition) -> tuple[str, ...]:
    return tuple(sorted({f for path in condition.facts for f in question_facts(path)}))


def _placeholder(domain: FactDomain, session: IntakeSession) -> Value:
    """A value for a required fact not answered yet; only read by conditions that do not
    depend on it (those that do enumerate it)."""
    if domain.registry == "tools":
        return tuple(session._tools)[:1]
    if domain.multiple:
        return domain.values[:1]
    return domain.values[0]


def _distinct(ids: list[str], records: dict[str, Any]) -> list[str]:
    """One id per distinct record: selections differing only by look-alike records decide
    alike, so enumerating them once is enough."""
    seen: dict[str, str] = {}
    for rid in ids:
        seen.setdefault(repr(sorted(records[rid].items(), key=lambda kv: kv[0])), rid)
    return list(seen.values())


def _subsets(items: Sequence[str], nonempty: bool) -> list[Value] | None:
    if len(items) > MAX_SUBSET_ITEMS:
        return None
    sizes: Iterable[int] = range(1 if nonempty else 0, len(items) + 1)
    return [tuple(c) for n in sizes for c in itertools.combinations(items, n)]
