"""What the delivery report shows, gathered from the register (and a cue sheet) before any
rendering: the renderer reads only this model, so it can be tested without a register."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from clearance.editorial.cuesheet import CueSheet
from clearance.reports.disclosures.model import DisclosurePlan


class Citation(BaseModel):
    """A rule that fired for a use case, and the guidance it cites."""

    rule: str
    pack: str
    title: str
    outcome: str
    section: str
    document: str
    url: str | None = None
    because: str = ""
    obligations: list[str] = Field(default_factory=list)
    # A prompt check: the prompt's words that matched which name, and its style or likeness
    # phrases (the fired rule's facts prompt.matched / prompt.references)
    prompt_matches: list[str] = Field(default_factory=list)


class ObligationRow(BaseModel):
    obligation: str
    met: bool
    evidence: list[str] = Field(default_factory=list)  # evidence ids that meet it
    why: str = ""  # why it is not met (open / expired / revoked …), or how it is met
    next: str = ""  # who acts next


class UseCaseReport(BaseModel):
    id: str
    title: str
    revision: int
    outcome: str  # proceed | judgment | escalate
    cleared: bool
    packs: str
    obligations: list[ObligationRow] = Field(default_factory=list)
    rules: list[Citation] = Field(default_factory=list)


class EvidenceRow(BaseModel):
    id: str
    kind: str  # an obligation id: written-approval, talent-consent, legal-review …
    use_cases: list[str]
    performer: str | None = None
    date: str
    expires: str | None = None
    reference: str | None = None
    recorded_by: str
    revoked: bool = False
    revoke_reason: str | None = None
    # What was agreed: an approval's conditions, a consent's scope.
    conditions: list[str] = Field(default_factory=list)
    replica: list[str] = Field(default_factory=list)
    uses: list[str] = Field(default_factory=list)
    guild_notified: bool | None = None  # consents only
    # A disclosure's or label's coverage (markets; deliverables, versions or files), and the
    # kind's own fields for the wave-2 kinds (form, method, writers, estate party, union …).
    territories: list[str] = Field(default_factory=list)
    deliverables: list[str] = Field(default_factory=list)
    details: dict[str, Any] = Field(default_factory=dict)


class ScanFile(BaseModel):
    path: str
    verdict: str
    findings: list[str] = Field(default_factory=list)
    use_case: str | None = None
    credential: str | None = None  # C2PA credential state (valid, expired, invalid: CODE …)


class SimilarityMatch(BaseModel):
    """A scanned file that resembles a protected reference: which, how close, where."""

    path: str
    ref: str
    label: str
    owner: str
    distance: int  # PDQ bits of 256 that differ
    file_seconds: float = 0.0
    ref_seconds: float = 0.0
    variant: str = ""


class SimilarityInfo(BaseModel):
    """The evidence that the scan compared the deliverables with the reference library."""

    library_version: str
    library_size: int
    threshold: int
    pack: str | None = None
    compared: int  # files compared (match or not)
    checked_at: str
    matches: list[SimilarityMatch] = Field(default_factory=list)
    not_compared: list[tuple[str, str]] = Field(default_factory=list)  # (path, why)


class ScanInfo(BaseModel):
    id: str
    started_at: str
    roots: list[str]
    recorded_by: str
    summary: dict[str, object]  # files, verdicts {label: n}, findings {label: n} …
    files: list[ScanFile] = Field(default_factory=list)  # those with a GenAI verdict or finding
    similarity: SimilarityInfo | None = None  # None: the production keeps no reference library


class DeliveryReport(BaseModel):
    production: str
    title: str | None = None
    generated_at: str
    on: str  # the date obligations were judged on (expiry)
    clearance_version: str
    packs: list[str]  # id@version of every pack behind the decisions
    use_cases: list[UseCaseReport]
    evidence: list[EvidenceRow]
    scan: ScanInfo | None = None
    cuesheet: CueSheet | None = None
    # Per market and deliverable, what owes disclose-ai / ai-label (None: the production's
    # packs are not all built in, so no plan could be made here)
    disclosures: DisclosurePlan | None = None
