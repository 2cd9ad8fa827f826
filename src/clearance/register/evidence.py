"""Evidence that meets obligations (spec manifest-v1, "Evidence"): input models and rules of
scope. Evidence is recorded per production and names the use cases it covers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ClearanceKind = Literal[
    "rights-clearance", "legal-review", "union-agreement", "tool-terms-review", "human-authorship"
]
ReplicaKind = Literal["likeness", "voice", "likeness-and-voice"]
UseCaseIds = Annotated[list[str], Field(min_length=1)]


class _Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    production: str
    use_cases: UseCaseIds
    date: dt.date
    expires: dt.date | None = None
    reference: str | None = None
    attachment: Path | None = None

    @model_validator(mode="after")
    def _expiry_after_date(self) -> _Evidence:
        if self.expires is not None and self.expires < self.date:
            raise ValueError(f"expires ({self.expires}) is before date ({self.date})")
        return self


class ReportUse(_Evidence):
    """The use was reported to the studio contact."""

    kind: Literal["report-use"] = "report-use"
    contact: str = Field(min_length=1)
    channel: str = Field(default="email", min_length=1)


class Approval(_Evidence):
    """A written approval of use cases by the studio."""

    kind: Literal["written-approval"] = "written-approval"
    approver: str = Field(min_length=1)
    conditions: list[str] = Field(default_factory=list)


class Consent(_Evidence):
    """A performer's explicit, documented consent for named use cases."""

    kind: Literal["talent-consent"] = "talent-consent"
    performer: str = Field(min_length=1)
    replica: list[ReplicaKind] = Field(default_factory=list)
    uses: list[str] = Field(default_factory=list)
    guild_notified: bool = False


class Clearance(_Evidence):
    """A rights clearance, legal review, union agreement, tool terms review or authorship
    record naming the use cases it covers."""

    kind: ClearanceKind
    by: str = Field(min_length=1)
    notes: str | None = None


AnyEvidence = ReportUse | Approval | Consent | Clearance


def details_of(item: AnyEvidence) -> dict[str, object]:
    """The kind-specific fields, stored as JSON beside the common columns."""
    common = {"production", "use_cases", "date", "expires", "reference", "attachment", "kind"}
    if isinstance(item, Consent):
        common.add("performer")
    return item.model_dump(mode="json", exclude=common)


def covers_replica(granted: list[str], needed: str) -> bool:
    """Does a consent for ``granted`` replica kinds cover a use of kind ``needed``?"""
    if needed == "none":
        return True
    if "likeness-and-voice" in granted:
        return True
    if needed == "likeness-and-voice":
        return {"likeness", "voice"} <= set(granted)
    return needed in granted
