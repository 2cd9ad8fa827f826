"""The decision engine: the only place verdicts come from.

For each use case its facts are converted once into a CEL context and every compiled rule of
every pack runs against it. The decision is the strongest outcome of the rules that fired, the
sorted union of their obligations, and every fired rule with its citation and facts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from clearance.manifest.models import Manifest, UseCase
from clearance.policy.decision import Advice, Decision, FiredRule, PackRef
from clearance.policy.expressions import Condition
from clearance.policy.facts import FactProjector, path_tree, prompt_evidence
from clearance.policy.pack import Pack
from clearance.policy.vocabulary import Outcome, strongest
from clearance.prompts.model import Entry

_MEMO_LIMIT = 65_536

#: ``(use case, its obligations) → the obligations recorded evidence meets``.
Evidence = Callable[[UseCase, tuple[str, ...]], Collection[str]]


@dataclass(frozen=True)
class _Verdict:
    """What the rules concluded for one set of facts (shared by identical use cases)."""

    outcome: Outcome
    obligations: tuple[str, ...]
    rules: list[FiredRule]
    advisories: list[Advice]


class Engine:
    """Evaluates use cases against an ordered set of compiled packs.

    Only the facts the packs read are converted to CEL (``FactProjector``), and the verdict
    for a given set of those facts is memoised (bounded): a production's use cases repeat a
    small number of fact profiles, and the rules are pure functions of the facts.
    """

    def __init__(self, packs: Sequence[Pack]) -> None:
        for pack in packs:
            if pack.spec.kind != "decision":
                raise ValueError(f"pack {pack.id} is a {pack.spec.kind} pack, not a decision pack")
        self.packs = tuple(packs)
        self.paths = sorted({path for pack in self.packs for path in pack.fact_paths()})
        self._tree = path_tree(self.paths)
        self._memo: dict[tuple[Any, ...], _Verdict] = {}

    def refs(self) -> list[PackRef]:
        return [PackRef(id=p.id, version=p.version, sha256=p.sha256) for p in self.packs]

    def out_of_scope(self, manifest: Manifest) -> list[str]:
        """Ids of the packs whose scope (e.g. a law's territories) does not hold for the
        production: they run on every use case and fire nothing."""
        facts = {"production": manifest.production.model_dump()}
        return [p.id for p in self.packs if p.scope is not None and not p.scope.holds(facts)]

    def decide_all(
        self, manifest: Manifest, evidence: Evidence | None = None, names: Sequence[Entry] = ()
    ) -> Iterator[Decision]:
        """Decisions for every use case of ``manifest``, in manifest order (a generator).

        ``evidence`` tells which of a use case's obligations recorded evidence meets (the
        register supplies it); without it every obligation is open. ``names``: the
        production's protected names, which prompts are checked against (with its talent).
        """
        projector = FactProjector(manifest, self._tree, names)
        for use_case in manifest.use_cases:
            yield self._decide(projector, use_case, evidence)

    def decide(
        self,
        manifest: Manifest,
        use_case: UseCase,
        evidence: Evidence | None = None,
        names: Sequence[Entry] = (),
    ) -> Decision:
        """The decision for one use case of ``manifest``."""
        return self._decide(FactProjector(manifest, self._tree, names), use_case, evidence)

    def _decide(
        self, projector: FactProjector, use_case: UseCase, evidence: Evidence | None
    ) -> Decision:
        facts, key = projector.project(use_case)
        verdict = self._memo.get(key)
        if verdict is None:
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            verdict = self._memo[key] = self._evaluate(facts)
        met = evidence(use_case, verdict.obligations) if evidence else ()
        open_obligations = [ob for ob in verdict.obligations if ob not in met]
        return Decision(
            id=use_case.id,
            title=use_case.title,
            outcome=verdict.outcome,
            obligations=list(verdict.obligations),
            open_obligations=open_obligations,
            cleared=not open_obligations,
            rules=verdict.rules,
            advisories=verdict.advisories,
        )

    def _evaluate(self, facts: dict[str, Any]) -> _Verdict:
        fired: list[FiredRule] = []
        advice: list[Advice] = []
        for pack in self.packs:
            for rule in pack.rules:
                if not rule.condition.holds(facts):
                    continue
                spec = rule.spec
                assert spec.outcome is not None  # decision packs are validated to have one
                obligations = sorted(
                    {ob for ob, when in rule.obligations if when is None or when.holds(facts)}
                )
                fired.append(
                    FiredRule(
                        pack=pack.id,
                        id=spec.id,
                        title=spec.title,
                        outcome=spec.outcome,
                        obligations=obligations,
                        cites=spec.cites,
                        because=spec.because,
                        citation=rule.citation,
                        facts=_shown(rule.condition, facts),
                    )
                )
            for advisory in pack.advisories:
                if advisory.condition.holds(facts):
                    adv = advisory.spec
                    advice.append(
                        Advice(
                            pack=pack.id,
                            id=adv.id,
                            title=adv.title,
                            message=adv.message,
                            cites=adv.cites,
                            citation=advisory.citation,
                            facts=_shown(advisory.condition, facts),
                        )
                    )
        return _Verdict(
            outcome=strongest([r.outcome for r in fired]),
            obligations=tuple(sorted({ob for rule in fired for ob in rule.obligations})),
            rules=fired,
            advisories=advice,
        )


def _shown(condition: Condition, facts: dict[str, Any]) -> dict[str, Any]:
    """The facts a fired rule shows: those its condition read, and for a prompt check the
    words that matched (``prompt_evidence``)."""
    shown = condition.facts_of(facts)
    if "prompt" in facts:
        shown.update(prompt_evidence(condition.facts, facts))
    return shown
