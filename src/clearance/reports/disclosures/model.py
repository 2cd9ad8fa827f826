"""The disclosure plan's public shape, ``clearance.disclosures/1``: pydantic models only, so
the delivery report and the writers can import it cheaply."""

from __future__ import annotations

from pydantic import BaseModel, Field

FORMAT = "clearance.disclosures/1"
#: The obligations a disclosure plan is about (their meaning: packs-wave2.md §1.5).
DISCLOSURE_OBLIGATIONS = ("disclose-ai", "ai-label")
#: The market of a production that declares no territory: every listed law pack applies.
UNDECLARED = "undeclared"


class PackRef(BaseModel):
    id: str
    version: str
    sha256: str


class Market(BaseModel):
    """A market the plan is made for: its code and the territories the packs decided with."""

    code: str
    territories: list[str] = Field(default_factory=list)


class Requirement(BaseModel):
    """One fired rule that owes a disclosure or label for a use case in a market."""

    market: str
    use_case: str
    use_case_title: str = ""
    obligation: str  # disclose-ai | ai-label
    form: str = ""  # what meeting it must look like, from the rule's ``forms`` ("" if none)
    pack: str
    rule: str
    rule_title: str = ""
    outcome: str = ""
    cites: str = ""
    document: str = ""
    url: str | None = None
    # A disclosure / labelling record in force covers it: its use case, this market (and, for
    # an item, this deliverable); ``evidence`` names those records
    met: bool = False
    evidence: list[str] = Field(default_factory=list)


class EventRef(BaseModel):
    """Where a GenAI element sits in a cut (the cue sheet's record timecodes)."""

    event: int
    track: str
    record_in: str
    record_out: str
    clip: str = ""
    file: str = ""


class Item(Requirement):
    """A requirement as it applies to one deliverable: the cut's events, or the asset file."""

    events: list[EventRef] = Field(default_factory=list)
    file: str = ""


class Deliverable(BaseModel):
    """A cut (episode, trailer …) or an asset file (key art …) of the production."""

    name: str
    kind: str  # cut | asset
    source: str = ""  # the edit file, or the asset's path
    items: list[Item] = Field(default_factory=list)
    # GenAI events (or the asset itself) that no use case declares: nothing can say what they
    # owe until one does (``clearance asset add``)
    unmapped: list[EventRef] = Field(default_factory=list)


class Finding(BaseModel):
    finding: str
    rule: str
    because: str = ""


class FileCheck(BaseModel):
    """A delivered file whose machine-readable label matters: GenAI by its provenance, or
    registered to a use case that owes ``ai-label`` somewhere."""

    path: str
    sha256: str = ""
    verdict: str
    use_case: str = ""
    labels: list[str] = Field(default_factory=list)  # C2PA, IPTC, AIGC
    required_in: list[str] = Field(default_factory=list)  # markets owing ai-label for it
    findings: list[Finding] = Field(default_factory=list)  # the deliverables pack's, label-*


class DisclosurePlan(BaseModel):
    format: str = FORMAT
    generated_at: str
    production: str
    policies: list[PackRef]
    markets: list[Market]
    # Every use case's disclosure and label duties per market, whichever deliverable has it
    requirements: list[Requirement]
    deliverables: list[Deliverable] = Field(default_factory=list)
    files_checked: bool = False  # the delivered files were scanned for their labels
    files_scanned: int = 0
    files: list[FileCheck] = Field(default_factory=list)
    summary: dict[str, int] = Field(default_factory=dict)

    def events_of(self, req: Requirement) -> list[EventRef]:
        """The cut events, over every deliverable, where ``req`` applies (for renderers)."""
        key = (req.market, req.use_case, req.obligation, req.pack, req.rule)
        return [
            event
            for d in self.deliverables
            for i in d.items
            if (i.market, i.use_case, i.obligation, i.pack, i.rule) == key
            for event in i.events
        ]
