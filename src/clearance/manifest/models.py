"""Pydantic models of manifest v1.

Names, values and defaults are fixed by the public spec. Every model forbids unknown keys: a
typo must never silently weaken a check. Tri-state answers accept ``yes | no | unsure`` (YAML
``true``/``false`` are read as yes/no); ``unsure`` is kept as its own value everywhere.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

SLUG = r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$"
USE_CASE_ID = r"^[A-Za-z0-9._-]+$"
TERRITORY = r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$"


def _tri_state(value: Any) -> Any:
    """YAML 1.1 / JSON booleans mean yes/no; anything else is validated as a literal."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return value


def _whole_number(value: Any) -> Any:
    """``version: 1`` only: not ``true``, not ``1.0`` (which Python would equate with 1)."""
    if type(value) is not int:
        raise ValueError("expected the whole number 1")
    return value


TriState = Annotated[Literal["yes", "no", "unsure"], BeforeValidator(_tri_state)]
Slug = Annotated[str, Field(pattern=SLUG, max_length=100)]

Stage = Literal["ideation", "previs", "production", "post", "localization", "marketing"]
Technique = Literal["generate", "alter", "enhance"]
Media = Literal["image", "video", "audio", "text", "3d"]
Destination = Literal["reference", "temp", "final"]
OnScreen = Literal["none", "incidental", "prominent"]
Element = Literal[
    "none", "background", "prop", "main-character", "key-visual", "central-setting", "performance"
]
StudioMaterial = Literal[
    "script", "unreleased-footage", "production-images", "contracts", "talent-likeness", "other"
]
Training = Literal["none", "owned", "licensed", "unowned"]
Replica = Literal["none", "likeness", "voice", "likeness-and-voice"]
ReplicaUse = Literal["none", "as-performed", "safety", "unrecognizable", "new-performance"]
Alteration = Literal["none", "customary", "significant"]
Format = Literal["scripted", "documentary", "unscripted", "animation", "commercial"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Production(_Strict):
    id: Slug
    title: str | None = None
    format: Format = "scripted"
    policies: list[Slug] = Field(default_factory=lambda: ["netflix-genai"], min_length=1)
    territories: list[Annotated[str, Field(pattern=TERRITORY)]] = Field(default_factory=list)


class Tool(_Strict):
    """A tool or vendor pipeline step. Unknown data terms default to ``unsure``."""

    id: Slug
    name: str = Field(min_length=1)
    vendor: str | None = None
    enterprise: TriState = "unsure"
    trains_on_inputs: TriState = "unsure"
    retains_inputs: TriState = "unsure"


class Performer(_Strict):
    """An identifiable performer (``talent:`` in the manifest)."""

    id: Slug
    name: str = Field(min_length=1)
    union: str | None = None
    deceased: TriState = "no"


class Output(_Strict):
    media: list[Media] = Field(min_length=1)
    destination: Destination
    on_screen: OnScreen = "none"
    element: Element = "none"
    resembles_protected: TriState = "unsure"
    could_mislead: TriState = "no"


class Inputs(_Strict):
    studio_material: list[StudioMaterial] = Field(default_factory=list)
    personal_data: TriState = "no"
    third_party_material: TriState = "no"
    references_protected: TriState = "no"
    training: Training = "none"


class TalentUse(_Strict):
    performers: list[Slug] = Field(default_factory=list)
    replica: Replica = "none"
    replica_use: ReplicaUse = "none"
    alteration: Alteration = "none"
    model_reuse: TriState = "no"
    replaces_union_work: TriState = "no"


class UseCase(_Strict):
    id: Annotated[str, Field(pattern=USE_CASE_ID, max_length=100)]
    title: str = Field(min_length=1)
    description: str | None = None
    tools: list[Slug] = Field(min_length=1)
    stage: Stage
    technique: Technique = "generate"
    output: Output
    inputs: Inputs = Field(default_factory=Inputs)
    talent: TalentUse = Field(default_factory=TalentUse)


class Manifest(_Strict):
    """A whole production manifest (spec: manifest-v1)."""

    version: Annotated[Literal[1], BeforeValidator(_whole_number)]
    production: Production
    tools: list[Tool] = Field(default_factory=list)
    talent: list[Performer] = Field(default_factory=list)
    use_cases: list[UseCase] = Field(default_factory=list)

    def tool(self, tool_id: str) -> Tool:
        return next(t for t in self.tools if t.id == tool_id)

    def performer(self, performer_id: str) -> Performer:
        return next(p for p in self.talent if p.id == performer_id)
