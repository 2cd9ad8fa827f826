"""The derived ``prompt`` facts packs read (one block per use case, or per delivered file).

Pydantic models so that the fact schema derives from them like every other fact: a pack that
names a prompt fact that does not exist fails to load.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: Kinds of protected name (``clearance names add --kind``). ``performer`` is a performer who
#: is not this production's talent (another production's, or shared); ``person`` a private
#: real person; ``artist`` a living or estate-held artist whose style is protected.
NameKind = Literal["performer", "public-figure", "person", "artist", "work", "brand"]
NAME_KINDS: tuple[str, ...] = NameKind.__args__  # type: ignore[attr-defined]
#: Kinds that name a real human being.
REAL_PEOPLE = ("performer", "public-figure", "person", "artist")

YesNo = Literal["yes", "no"]


class _Facts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NameMatch(_Facts):
    """A name found in a prompt: which entry, what the prompt said, how it was introduced."""

    id: str  # talent id (kind talent) or protected name id
    name: str  # the listed name
    kind: str  # talent (the production's performer) or a NameKind
    text: str  # the prompt's own words that matched (bounded)
    score: int  # rapidfuzz score, 0-100 (100: exact after folding)
    # style: after "in the style of", "art by" …; likeness: after "looks like", "voice of" …;
    # "" when the name stands alone
    via: Literal["", "style", "likeness"] = ""


class PromptFacts(_Facts):
    """What the prompts of one use case (or one file) name.

    ``performers`` and ``protected`` split ``matches`` for conditions; ``references`` keeps
    the words after each style or likeness phrase, matched or not, for people to read."""

    present: bool = False  # some prompt text was checked
    performers: list[str] = Field(default_factory=list)  # talent ids named
    protected: list[NameMatch] = Field(default_factory=list)  # protected names named
    style_reference: YesNo = "no"  # "in the style of …", "art by …", "inspired by …"
    likeness_reference: YesNo = "no"  # "looks like …", "as played by …", "voice of …"
    facial_feature: YesNo = "no"  # eyes, nose, mouth or ears (SAG-AFTRA's principal features)
    references: list[str] = Field(default_factory=list)  # "in the style of Wes Anderson" …
    matches: list[NameMatch] = Field(default_factory=list)  # every name matched, in order


@dataclass(frozen=True, slots=True)
class Entry:
    """A name to look for: the production's talent (kind ``talent``) or a protected name."""

    id: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
