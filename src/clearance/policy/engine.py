"""The decision engine: the only place verdicts come from.

For each use case its facts are converted once into a CEL context and every compiled rule of
every pack runs against it. The decision is the strongest outcome of the rules that fired, the
sorted union of their obligations, and every fired rule with its citation and facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import cel

from clearance.manifest.models import Manifest, UseCase
from clearance.policy.decision import Advice, Citation, Decision, FiredRule, PackRef
from clearance.policy.facts import FactBuilder, lookup
from clearance.policy.pack import Pack
from clearance.policy.vocabulary import strongest


class Engine:
    """Evaluates use cases against an ordered set of compiled packs."""

    def __init__(self, packs: Sequence[Pack]) -> None:
        self.packs = tuple(packs)

    def refs(self) -> list[PackRef]:
        return [PackRef(id=p.id, version=p.version, sha256=p.sha256) for p in self.packs]

    def decide_all(self, manifest: Manifest, satisfied: Iterable[str] = ()) -> Iterator[Decision]:
        """Decisions for every use case of ``manifest``, in manifest order (a generator)."""
        builder = FactBuilder(manifest)
        met = frozenset(satisfied)
        for use_case in manifest.use_cases:
            yield self.decide(use_case, builder.facts(use_case), met)

    def decide(
        self, use_case: UseCase, facts: dict[str, Any], satisfied: frozenset[str] = frozenset()
    ) -> Decision:
        """Decide one use case from its facts.

        ``satisfied`` holds the obligation ids met by recorded evidence; until a register
        supplies evidence it is empty and every obligation is open.
        """
        context = cel.Context(facts)
        fired: list[FiredRule] = []
        advice: list[Advice] = []
        for pack in self.packs:
            for rule in pack.rules:
                if not rule.condition.holds(context):
                    continue
                spec = rule.spec
                obligations = sorted(
                    {ob for ob, when in rule.obligations if when is None or when.holds(context)}
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
                        citation=_citation(pack, spec.cites, spec.url),
                        facts=_facts(facts, rule.condition.facts),
                    )
                )
            for advisory in pack.advisories:
                if advisory.condition.holds(context):
                    adv = advisory.spec
                    advice.append(
                        Advice(
                            pack=pack.id,
                            id=adv.id,
                            title=adv.title,
                            message=adv.message,
                            cites=adv.cites,
                            citation=_citation(pack, adv.cites, adv.url),
                            facts=_facts(facts, advisory.condition.facts),
                        )
                    )
        obligations = sorted({ob for rule in fired for ob in rule.obligations})
        open_obligations = [ob for ob in obligations if ob not in satisfied]
        return Decision(
            id=use_case.id,
            title=use_case.title,
            outcome=strongest([r.outcome for r in fired]),
            obligations=obligations,
            open_obligations=open_obligations,
            cleared=not open_obligations,
            rules=fired,
            advisories=advice,
        )


def _citation(pack: Pack, section: str, url: str | None) -> Citation:
    source = pack.spec.source
    return Citation(document=source.document, section=section, url=url or source.url)


def _facts(facts: dict[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    return {path: lookup(facts, path) for path in paths}
