"""Decision records: what the engine concluded for a use case, and why (public JSON shape)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from clearance.policy.vocabulary import Outcome


class Citation(BaseModel):
    document: str
    section: str
    url: str


class FiredRule(BaseModel):
    """A rule whose condition held, with the facts that made it hold."""

    pack: str
    id: str
    title: str
    outcome: Outcome
    obligations: list[str]
    cites: str
    because: str
    citation: Citation
    facts: dict[str, Any] = Field(default_factory=dict)


class Advice(BaseModel):
    """An advisory note: shown to the user, never changes an outcome or obligation."""

    pack: str
    id: str
    title: str
    message: str
    cites: str
    citation: Citation
    facts: dict[str, Any] = Field(default_factory=dict)


class Decision(BaseModel):
    id: str
    title: str
    outcome: Outcome
    obligations: list[str]
    open_obligations: list[str]
    cleared: bool
    rules: list[FiredRule]
    advisories: list[Advice] = Field(default_factory=list)


class PackRef(BaseModel):
    """Which pack (and exactly which file) made a decision: enough to replay it."""

    id: str
    version: str
    sha256: str


class CheckResult(BaseModel):
    production: str
    policies: list[PackRef]
    use_cases: list[Decision]
