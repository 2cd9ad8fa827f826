"""Evidence that meets obligations (spec manifest-v1, "Evidence"): input models and rules of
scope. Evidence is recorded per production and names the use cases it covers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

ClearanceKind = Literal[
    "rights-clearance", "legal-review", "union-agreement", "tool-terms-review", "human-authorship"
]
ReplicaKind = Literal["likeness", "voice", "likeness-and-voice"]
UseCaseIds = Annotated[
    list[Annotated[str, Field(max_length=100)]], Field(min_length=1, max_length=500)
]
#: Free text is bounded (a reference is a document number or a URL, not the document), and
#: dates are plausible: a typo such as 20255 or 9999 would make evidence that never expires.
Name = Annotated[str, Field(min_length=1, max_length=300)]
Text = Annotated[str, Field(max_length=4000)]
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2100, 12, 31)


def _plausible(value: dt.date | None) -> dt.date | None:
    if value is not None and not EARLIEST <= value <= LATEST:
        raise ValueError(f"expected a date between {EARLIEST} and {LATEST}, got {value}")
    return value


Day = Annotated[dt.date, AfterValidator(_plausible)]


class _Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    production: str = Field(max_length=100)
    use_cases: UseCaseIds
    date: Day
    expires: Day | None = None
    reference: str | None = Field(None, max_length=2000)
    attachment: Path | None = None

    @model_validator(mode="after")
    def _expiry_after_date(self) -> _Evidence:
        if self.expires is not None and self.expires < self.date:
            raise ValueError(f"expires ({self.expires}) is before date ({self.date})")
        return self


class ReportUse(_Evidence):
    """The use was reported to the studio contact."""

    kind: Literal["report-use"] = "report-use"
    contact: Name
    channel: Name = "email"


class Approval(_Evidence):
    """A written approval of use cases by the studio."""

    kind: Literal["written-approval"] = "written-approval"
    approver: Name
    conditions: list[Annotated[str, Field(min_length=1, max_length=1000)]] = Field(
        default_factory=list, max_length=50
    )


class Consent(_Evidence):
    """A performer's explicit, documented consent for named use cases."""

    kind: Literal["talent-consent"] = "talent-consent"
    performer: str = Field(min_length=1, max_length=100)
    replica: list[ReplicaKind] = Field(default_factory=list, max_length=3)
    uses: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=100
    )
    guild_notified: bool = False


class Clearance(_Evidence):
    """A rights clearance, legal review, union agreement, tool terms review or authorship
    record naming the use cases it covers."""

    kind: ClearanceKind
    by: Name
    notes: Text | None = None


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
