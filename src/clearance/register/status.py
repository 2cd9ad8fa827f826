"""Which obligations recorded evidence meets, and why not where it does not.

Mechanical, per the spec's "Evidence" sections (manifest v1 and v1.1): an obligation is met by
evidence of the same kind that names the use case, is not revoked and has not expired on the
given day; consent is needed from every performer of the use case, and an estate's consent
for every performer whose ``deceased`` is yes or unsure, each covering the replica kind used.
(Outcomes and obligations themselves come only from the policy engine.)
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from clearance.policy.vocabulary import OBLIGATION_ACTOR
from clearance.register.evidence import covers_replica


@dataclass(frozen=True)
class EvidenceView:
    """One evidence row as status reads it. The JSON of ``details`` and
    ``recorded_against`` is decoded only when asked for: status reads every row of a
    production, and most never need either."""

    id: str
    kind: str
    scope: frozenset[str]
    performer: str | None
    date: str
    expires: str | None
    reference: str | None
    details_json: str
    attachment_sha256: str | None
    recorded_against_json: str
    recorded_by: str
    revoked_at: str | None
    revoke_reason: str | None
    territories_json: str | None = None
    deliverables_json: str | None = None

    @cached_property
    def territories(self) -> list[str]:
        """Markets a disclosure or labelling record covers (empty for other kinds)."""
        value: list[str] = json.loads(self.territories_json) if self.territories_json else []
        return value

    @cached_property
    def deliverables(self) -> list[str]:
        """Deliverables, versions or files a disclosure or labelling record covers."""
        value: list[str] = json.loads(self.deliverables_json) if self.deliverables_json else []
        return value

    @cached_property
    def details(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.details_json)
        return value

    @cached_property
    def recorded_against(self) -> dict[str, int]:
        value: dict[str, int] = json.loads(self.recorded_against_json)
        return value

    @classmethod
    def from_row(cls, row: Any) -> EvidenceView:
        return cls(
            id=row.id,
            kind=row.kind,
            scope=frozenset(json.loads(row.scope)),
            performer=row.performer,
            date=row.date,
            expires=row.expires,
            reference=row.reference,
            details_json=row.details,
            attachment_sha256=row.attachment_sha256,
            recorded_against_json=row.recorded_against,
            recorded_by=row.recorded_by,
            revoked_at=row.revoked_at,
            revoke_reason=row.revoke_reason,
            territories_json=row.territories,
            deliverables_json=row.deliverables,
        )


@dataclass(frozen=True)
class ObligationState:
    obligation: str
    met: bool
    evidence: list[str]
    why: str
    next: str | None


@dataclass(frozen=True)
class UseCaseFacts:
    """What matching needs to know about a use case."""

    id: str
    revision: int
    performers: tuple[str, ...]
    replica: str
    #: Its performers whose ``deceased`` is yes or unsure: each needs an estate's consent.
    deceased: tuple[str, ...] = ()


class EvidenceIndex:
    """A production's evidence, indexed by (kind, use case)."""

    def __init__(
        self, evidence: Iterable[EvidenceView], broken: dict[str, str] | None = None
    ) -> None:
        """``broken`` maps attachment digests whose stored file is missing or altered."""
        self.broken = broken or {}
        self.by_key: dict[tuple[str, str], list[EvidenceView]] = defaultdict(list)
        for item in evidence:
            for uc in item.scope:
                self.by_key[(item.kind, uc)].append(item)

    def updated(
        self, changed: Iterable[EvidenceView], broken: dict[str, str] | None = None
    ) -> EvidenceIndex:
        """A new index with ``changed`` evidence added (or replacing rows of the same id, in
        place: a revocation), sharing every untouched list with this one; ``broken`` adds to
        the damaged attachments."""
        new = EvidenceIndex([], {**self.broken, **(broken or {})})
        new.by_key = defaultdict(list, self.by_key)
        for item in changed:
            for uc in item.scope:
                key = (item.kind, uc)
                rows = list(new.by_key.get(key, []))
                at = next((i for i, row in enumerate(rows) if row.id == item.id), None)
                if at is None:
                    rows.append(item)
                else:
                    rows[at] = item
                new.by_key[key] = rows
        return new

    def states(
        self, use_case: UseCaseFacts, obligations: Iterable[str], on: dt.date
    ) -> list[ObligationState]:
        return [self.state(use_case, ob, on) for ob in obligations]

    def state(self, use_case: UseCaseFacts, obligation: str, on: dt.date) -> ObligationState:
        candidates = self.by_key.get((obligation, use_case.id), [])
        per_person = _PER_PERSON.get(obligation)
        if not candidates and (per_person is None or not per_person(use_case)):
            return _no_evidence(obligation)  # most obligations of a large production
        day = on.isoformat()
        valid: list[EvidenceView] = []
        reasons: list[str] = []
        for item in candidates:
            if item.revoked_at is not None:
                reasons.append(f"{item.id} revoked ({item.revoke_reason or 'no reason given'})")
            elif item.expires is not None and item.expires < day:
                reasons.append(f"{item.id} expired on {item.expires}")
            elif item.attachment_sha256 in self.broken:
                reasons.append(f"{item.id} attachment {self.broken[item.attachment_sha256]}")
            elif item.date > day:
                reasons.append(f"{item.id} takes effect on {item.date}")
            elif per_person is not None and not covers_replica(
                item.details.get("replica", []), use_case.replica
            ):
                reasons.append(
                    f"{item.id} does not cover a {use_case.replica} replica (out of scope)"
                )
            else:
                valid.append(item)
        if per_person is not None:
            people = per_person(use_case)
            consenting = {item.performer for item in valid}
            missing = [p for p in people if p not in consenting]
            met = not missing and bool(people)
            if missing:
                named = ", ".join(missing)
                reasons.insert(
                    0,
                    f"no valid consent from {named}"
                    if obligation == "talent-consent"
                    else f"no valid consent of the estate of {named}",
                )
            elif not people and obligation == "estate-consent":
                reasons.insert(0, "no performer of the use case is recorded as deceased")
        else:
            met = bool(valid)
        stale = [
            item.id
            for item in valid
            if item.recorded_against.get(use_case.id, use_case.revision) != use_case.revision
        ]
        if met:
            why = "met"
            if stale:
                why += f" (recorded before the use case changed: {', '.join(stale)} — re-check)"
        else:
            why = "; ".join(reasons) if reasons else "no evidence"
        return ObligationState(
            obligation=obligation,
            met=met,
            evidence=[item.id for item in valid],
            why=why,
            next=None if met else OBLIGATION_ACTOR.get(obligation),
        )


#: Obligations met per person (each needs a consent naming them): whom each asks for.
_PER_PERSON: dict[str, Callable[[UseCaseFacts], tuple[str, ...]]] = {
    "talent-consent": lambda use_case: use_case.performers,
    "estate-consent": lambda use_case: use_case.deceased,
}


@functools.cache
def _no_evidence(obligation: str) -> ObligationState:
    """The state of an obligation nothing was recorded for (shared: states are immutable)."""
    return ObligationState(obligation, False, [], "no evidence", OBLIGATION_ACTOR.get(obligation))


@dataclass(frozen=True)
class UseCaseStatus:
    production: str
    id: str
    title: str
    revision: int
    outcome: str
    packs: str
    obligations: list[ObligationState] = field(default_factory=list)

    @cached_property
    def cleared(self) -> bool:
        return all(state.met for state in self.obligations)

    @cached_property
    def next(self) -> list[str]:
        return sorted({s.next for s in self.obligations if s.next})

    @property
    def open(self) -> list[str]:
        return [s.obligation for s in self.obligations if not s.met]


def status_json(s: UseCaseStatus) -> dict[str, Any]:
    """One use case's status as every face shows it (``clearance status --format json``, the
    web app's lists and pages, the API): shaped here once so they cannot drift apart."""
    return {
        "id": s.id,
        "title": s.title,
        "revision": s.revision,
        "outcome": s.outcome,
        "packs": s.packs,
        "cleared": s.cleared,
        "next": s.next,
        "open": s.open,
        "obligations": [
            {
                "obligation": o.obligation,
                "met": o.met,
                "evidence": list(o.evidence),
                "why": o.why,
                "next": o.next,
            }
            for o in s.obligations
        ],
    }


def summarise(states: Iterable[UseCaseStatus]) -> dict[str, Any]:
    """Counts a person reads first: use cases by outcome, cleared, open obligations by kind
    and who must act on how many (the dashboard and the terminal status)."""
    outcomes: Counter[str] = Counter()
    open_by_kind: Counter[str] = Counter()
    waiting_on: Counter[str] = Counter()
    total = cleared = 0
    for s in states:
        total += 1
        outcomes[s.outcome] += 1
        actors = set()
        for o in s.obligations:
            if not o.met:
                open_by_kind[o.obligation] += 1
                if o.next:
                    actors.add(o.next)
        cleared += all(o.met for o in s.obligations)
        waiting_on.update(actors)
    return {
        "use_cases": total,
        "outcomes": {k: outcomes.get(k, 0) for k in ("proceed", "judgment", "escalate")},
        "cleared": cleared,
        "open_obligations": sum(open_by_kind.values()),
        "open_by_obligation": dict(sorted(open_by_kind.items())),
        "waiting_on": dict(waiting_on.most_common()),
    }
