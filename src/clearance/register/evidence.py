"""Evidence that meets obligations (spec manifest-v1 and v1.1, "Evidence"): input models and
rules of scope. Evidence is recorded per production and names the use cases it covers."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from clearance.manifest.models import TERRITORY

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


def _territory(value: object) -> object:
    """A market code as the manifest writes it ('fr' is read as 'FR'); anything else is refused
    with the form expected, not a regular expression."""
    if not isinstance(value, str):
        return value
    code = value.strip().upper()
    if not re.fullmatch(TERRITORY, code):
        raise ValueError(f"expected an ISO 3166 code such as 'FR', 'EU' or 'US-CA', got {value!r}")
    return code


Territory = Annotated[str, BeforeValidator(_territory)]
#: A deliverable, version or file a record covers: a cut name, "trailer-1 v3", a path, an
#: asset's sha256 — named as the production names it.
Item = Annotated[str, Field(min_length=1, max_length=500)]
Items = Annotated[list[Item], Field(min_length=1, max_length=500)]


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


# -- wave 2 (manifest v1.1 "Evidence"; meanings: packs-wave2.md §1.5) ------------------------

LabelMethod = Literal["c2pa", "iptc", "aigc-metadata", "watermark"]
EstateCapacity = Literal["executor", "administrator", "heir", "licensee", "representative", "union"]
UnionOutcome = Literal["pending", "agreed", "no-agreement", "declined"]


class Disclosure(_Evidence):
    """How the audience is told that content is AI-made (disclose-ai): the form and placement
    the rule asked for, the text or icon used, and which deliverables in which markets carry
    it, approved by whom."""

    kind: Literal["disclose-ai"] = "disclose-ai"
    form: Name  # on-screen label, lower third, end card, audio notice, ad statement …
    placement: Name  # where and when: "first 5 s of the shot, lower left", "end credits"
    text: Annotated[str, Field(min_length=1, max_length=4000)]  # the words, or the icon used
    deliverables: Items
    territories: Annotated[list[Territory], Field(min_length=1, max_length=300)]
    approver: Name


class Labelling(_Evidence):
    """A machine-readable AI label on delivered files (ai-label): which files, by which
    method, verified how (a recorded scan's id or a person), and the platform declaration."""

    kind: Literal["ai-label"] = "ai-label"
    files: Items
    method: Annotated[list[LabelMethod], Field(min_length=1, max_length=4)]
    verified_by: Name  # SC-… (a recorded scan of this production) or a person
    platform_ref: str | None = Field(None, min_length=1, max_length=2000)
    #: Markets the labelling was done for (a platform's or a law's); empty: not market-bound.
    territories: Annotated[list[Territory], Field(max_length=300)] = Field(default_factory=list)


class WriterDisclosure(_Evidence):
    """Written notice to writers, when the material was handed over, that it is or contains
    GenAI material (writer-disclosure)."""

    kind: Literal["writer-disclosure"] = "writer-disclosure"
    writers: Annotated[list[Name], Field(min_length=1, max_length=100)]
    material: Annotated[str, Field(min_length=1, max_length=4000)]
    channel: Name = "email"


class EstateConsent(_Evidence):
    """Written consent of whoever controls a deceased performer's rights (estate-consent),
    scoped like a performer's own consent: replica kinds and uses."""

    kind: Literal["estate-consent"] = "estate-consent"
    performer: str = Field(min_length=1, max_length=100)  # the deceased performer's talent id
    party: Name
    capacity: EstateCapacity
    replica: list[ReplicaKind] = Field(default_factory=list, max_length=3)
    uses: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=100
    )


class UnionNotice(_Evidence):
    """Notice to a union of the use, sent before it was made, with the opportunity to bargain
    (union-notice); ``date`` is the day it was sent."""

    kind: Literal["union-notice"] = "union-notice"
    union: Name
    outcome: UnionOutcome = "pending"
    notes: Text | None = None


AnyEvidence = (
    ReportUse
    | Approval
    | Consent
    | Clearance
    | Disclosure
    | Labelling
    | WriterDisclosure
    | EstateConsent
    | UnionNotice
)
#: Kind → its model (every kind but the clearances, which share ``Clearance``).
MODELS: dict[str, type[AnyEvidence]] = {
    "report-use": ReportUse,
    "written-approval": Approval,
    "talent-consent": Consent,
    "disclose-ai": Disclosure,
    "ai-label": Labelling,
    "writer-disclosure": WriterDisclosure,
    "estate-consent": EstateConsent,
    "union-notice": UnionNotice,
}
_COMMON = {"production", "use_cases", "date", "expires", "reference", "attachment", "kind"}


def details_of(item: AnyEvidence) -> dict[str, object]:
    """The kind-specific fields, stored as JSON beside the common columns (the performer,
    territories and deliverables have columns of their own)."""
    common = set(_COMMON)
    if isinstance(item, Consent | EstateConsent):
        common.add("performer")
    if isinstance(item, Disclosure):
        common |= {"territories", "deliverables"}
    if isinstance(item, Labelling):
        common |= {"territories", "files"}
    return item.model_dump(mode="json", exclude=common)


def coverage(item: AnyEvidence) -> tuple[list[str], list[str]] | None:
    """(territories, deliverables) a disclosure or labelling record covers, the columns the
    disclosure plan queries; ``None`` for every other kind."""
    if isinstance(item, Disclosure):
        return sorted(set(item.territories)), list(dict.fromkeys(item.deliverables))
    if isinstance(item, Labelling):
        return sorted(set(item.territories)), list(dict.fromkeys(item.files))
    return None


def performer_of(item: AnyEvidence) -> str | None:
    """The talent id a consent names (a performer's own, or a deceased performer's)."""
    return item.performer if isinstance(item, Consent | EstateConsent) else None


def covers_replica(granted: list[str], needed: str) -> bool:
    """Does a consent for ``granted`` replica kinds cover a use of kind ``needed``?"""
    if needed == "none":
        return True
    if "likeness-and-voice" in granted:
        return True
    if needed == "likeness-and-voice":
        return {"likeness", "voice"} <= set(granted)
    return needed in granted
