"""Pydantic models of manifest v1 and v1.1.

Names, values and defaults are fixed by the public specs. Version 1.1 only adds optional facts
(``V11_FIELDS``); a version-1 document that uses one is rejected by the loader. Every model
forbids unknown keys: a typo must never silently weaken a check. Tri-state answers accept
``yes | no | unsure`` (YAML ``true``/``false`` are read as yes/no); ``unsure`` is kept as its
own value everywhere.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

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


def _format_version(value: Any) -> Any:
    """``version: 1`` (not ``true``, not ``1.0``) or ``version: 1.1`` (the number or the string
    ``"1.1"``); kept as the number ``1`` or ``1.1``, so a dumped manifest reads back."""
    if type(value) is int and value == 1:
        return 1
    if (type(value) is float and value == 1.1) or value == "1.1":
        return 1.1
    raise ValueError("expected the format version 1 or 1.1")  # the loader adds what it got


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
Depiction = Literal["role", "self", "commentary", "news"]
#: ``1`` or ``1.1`` (a float: ``Literal`` cannot say so, ``_format_version`` checks it).
FormatVersion = int | float

#: Fields added by manifest v1.1, as (model location, field name). A version-1 document that
#: uses one is an input error ("needs version: 1.1").
V11_FIELDS: tuple[tuple[str, str], ...] = (
    ("talent[]", "represented"),
    ("use_cases[].output", "depicts_real"),
    ("use_cases[].output", "synthetic_performer"),
    ("use_cases[].talent", "depiction"),
    ("use_cases[]", "writing"),
    ("use_cases[]", "prompts"),  # a clearance extension (manifest-v1.md allows optional fields)
)


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
    represented: TriState = "unsure"  # v1.1


class Output(_Strict):
    media: list[Media] = Field(min_length=1)
    destination: Destination
    on_screen: OnScreen = "none"
    element: Element = "none"
    resembles_protected: TriState = "unsure"
    could_mislead: TriState = "no"
    depicts_real: TriState = "unsure"  # v1.1
    synthetic_performer: TriState = "unsure"  # v1.1


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
    depiction: Depiction = "role"  # v1.1


class Writing(_Strict):
    """Written material and the people who write it (v1.1)."""

    given_to_writer: TriState = "unsure"
    by_writer: TriState = "unsure"


#: One prompt as given to a tool (clearance extension, allowed from version 1.1): bounded so a
#: pasted document cannot slow every check down.
Prompt = Annotated[str, Field(min_length=1, max_length=4000)]


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
    writing: Writing = Field(default_factory=Writing)  # v1.1
    # The prompts the use case gives its tools, checked with ``description`` against the
    # production's talent and protected names (the prompt-checks pack). Extension, v1.1 on.
    prompts: list[Prompt] = Field(default_factory=list, max_length=100)


class Manifest(_Strict):
    """A whole production manifest (spec: manifest-v1, manifest-v1.1)."""

    version: Annotated[FormatVersion, BeforeValidator(_format_version)]
    production: Production
    tools: list[Tool] = Field(default_factory=list)
    talent: list[Performer] = Field(default_factory=list)
    use_cases: list[UseCase] = Field(default_factory=list)

    @model_serializer(mode="wrap")
    def _as_its_version(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """A version-1 manifest dumps without the v1.1 fields (at their defaults), so that
        what is dumped reads back as the same document."""
        data: dict[str, Any] = handler(self)
        if self.version == 1:
            for performer in data.get("talent", []):
                strip_v11_defaults("performer", performer)
            for use_case in data.get("use_cases", []):
                strip_v11_defaults("use_case", use_case)
        return data

    def tool(self, tool_id: str) -> Tool:
        return next(t for t in self.tools if t.id == tool_id)

    def performer(self, performer_id: str) -> Performer:
        return next(p for p in self.talent if p.id == performer_id)


#: The v1.1 fields at their defaults, by record kind (see ``strip_v11_defaults``).
_V11_DEFAULTS: dict[str, dict[str, Any]] = {
    "performer": {"represented": "unsure"},
    "use_case": {
        "output": {"depicts_real": "unsure", "synthetic_performer": "unsure"},
        "talent": {"depiction": "role"},
        "writing": {"given_to_writer": "unsure", "by_writer": "unsure"},
        "prompts": [],
    },
}


def strip_v11_defaults(kind: Literal["performer", "use_case"], data: dict[str, Any]) -> None:
    """Remove (in place) the v1.1 fields of a dumped record that hold their defaults.

    A v1 record then dumps exactly as it did before v1.1 existed: its stored revisions keep
    their content digests, and what is written back is a valid version-1 record."""
    for key, default in _V11_DEFAULTS[kind].items():
        if isinstance(default, dict):
            block = data.get(key)
            if isinstance(block, dict):
                for name, value in default.items():
                    if block.get(name) == value:
                        del block[name]
                if key == "writing" and not block:
                    del data[key]
        elif data.get(key) == default:
            del data[key]


def needs_v11(data: dict[str, Any]) -> bool:
    """Does a manifest document (plain data) use any field of manifest v1.1?"""
    if any(isinstance(p, dict) and "represented" in p for p in data.get("talent") or []):
        return True
    for use_case in data.get("use_cases") or []:
        if not isinstance(use_case, dict):
            continue
        output, talent = use_case.get("output") or {}, use_case.get("talent") or {}
        if "writing" in use_case or "depiction" in talent or "prompts" in use_case:
            return True
        if "depicts_real" in output or "synthetic_performer" in output:
            return True
    return False
