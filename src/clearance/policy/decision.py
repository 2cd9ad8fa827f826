"""Decision records: what the engine concluded for a use case, and why (public JSON shape).

Plain slotted dataclasses: a large manifest makes hundreds of thousands of them, and they are
built only from already validated data. ``to_json`` / ``to_jsonable`` serialise them through
pydantic's Rust serializer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from pydantic import TypeAdapter

from clearance.policy.vocabulary import Outcome


@dataclass(frozen=True, slots=True)
class Citation:
    document: str
    section: str
    url: str


@dataclass(frozen=True, slots=True)
class FiredRule:
    """A rule whose condition held, with the facts that made it hold."""

    pack: str
    id: str
    title: str
    outcome: Outcome
    obligations: list[str]
    cites: str
    because: str
    citation: Citation
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Advice:
    """An advisory note: shown to the user, never changes an outcome or obligation."""

    pack: str
    id: str
    title: str
    message: str
    cites: str
    citation: Citation
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    id: str
    title: str
    outcome: Outcome
    obligations: list[str]
    open_obligations: list[str]
    cleared: bool
    rules: list[FiredRule]
    advisories: list[Advice] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PackRef:
    """Which pack (and exactly which file) made a decision: enough to replay it."""

    id: str
    version: str
    sha256: str


#: Schema id and version of ``clearance check --format json`` (like ``clearance.cuesheet/1``).
CHECK_FORMAT = "clearance.check/1"


@dataclass(frozen=True, slots=True)
class CheckResult:
    format: str = field(default=CHECK_FORMAT, init=False)
    production: str
    policies: list[PackRef]
    #: Packs of ``policies`` whose scope (territories) does not hold: they fired nothing.
    out_of_scope: list[str] = field(default_factory=list, kw_only=True)
    use_cases: list[Decision]


_RESULT = TypeAdapter(CheckResult)
_DECISION = TypeAdapter(Decision)
_ANY: TypeAdapter[Any] = TypeAdapter(Any)


def to_json(result: CheckResult) -> str:
    """The public JSON form of a check (``clearance check --format json``)."""
    return _RESULT.dump_json(result, indent=2).decode() + "\n"


def write_json(
    out: TextIO,
    production: str,
    policies: list[PackRef],
    decisions: Iterable[Decision],
    out_of_scope: list[str] | None = None,
) -> None:
    """Stream the same text as ``to_json``, one decision at a time (bounded memory)."""
    head = {
        "format": CHECK_FORMAT,
        "production": production,
        "policies": policies,
        "out_of_scope": out_of_scope or [],
    }
    head_text = _ANY.dump_json(head, indent=2).decode()
    out.write(head_text.removesuffix("\n}") + ',\n  "use_cases": [')
    separator = "\n    "
    for decision in decisions:
        out.write(
            separator + _DECISION.dump_json(decision, indent=2).decode().replace("\n", "\n    ")
        )
        separator = ",\n    "
    out.write("]\n}\n" if separator == "\n    " else "\n  ]\n}\n")


def to_jsonable(value: Any) -> Any:
    """Plain JSON-compatible data for any decision record."""
    return _ANY.dump_python(value, mode="json")


def dumps(value: Any) -> str:
    """Indented JSON text of any data or records, serialised in Rust (``json.dumps`` with
    ``indent`` falls back to a pure-Python encoder, seconds slower on large outputs)."""
    return _ANY.dump_json(value, indent=2).decode() + "\n"
