"""Load a manifest file: parse, validate against the models, check cross-references.

Every problem of a file is collected and raised together as one ``ManifestError``; each names
the file, the line, the field and what was expected (for an unknown key, the nearest valid
one). Nothing is returned unless the whole file is valid.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from clearance.manifest.errors import InputError, ManifestError
from clearance.manifest.models import SLUG, TERRITORY, USE_CASE_ID, V11_FIELDS, Manifest
from clearance.manifest.yamlsafe import Document, load_document
from clearance.perf import gc_paused

Loc = tuple[str | int, ...]

_PATTERN_HINTS = {
    SLUG: "a lowercase slug of a-z, 0-9 and '-' (e.g. 'neon-harbor-s1')",
    USE_CASE_ID: "an id of letters, digits, '.', '_' and '-' (e.g. 'UC-001')",
    TERRITORY: "an ISO 3166 code such as 'US', 'EU' or 'US-CA'",
}


def load_manifest(path: Path, known_policies: Collection[str] | None = None) -> Manifest:
    """Read and validate ``path``; raise ``ManifestError`` listing every problem."""
    return parse_manifest(load_document(path), known_policies)


def parse_manifest(doc: Document, known_policies: Collection[str] | None = None) -> Manifest:
    """Validate an already parsed document (used by pack case files too)."""
    problems: list[tuple[Loc, str]] = []
    manifest: Manifest | None = None
    if not isinstance(doc.data, dict):
        raise ManifestError([InputError(doc.path, doc.line_of(()), "", "expected a mapping")])
    version_one = doc.data.get("version") == 1 and type(doc.data.get("version")) is int
    try:
        with gc_paused():
            manifest = Manifest.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend((tuple(e["loc"]), _describe(e)) for e in exc.errors())
    if version_one:
        problems.extend(_v11_fields(doc.data))
    problems.extend(_cross_references(doc.data, known_policies))
    if doc.may_hold_control_characters:
        problems.extend(_control_characters(doc.data, ()))
    if problems:
        problems.sort(key=lambda p: doc.line_of(p[0]) or 0)
        raise ManifestError(
            [
                InputError(doc.path, doc.line_of(loc), _field_name(loc, doc.data), message)
                for loc, message in problems
            ]
        )
    assert manifest is not None
    return manifest


def _describe(error: ErrorDetails) -> str:
    kind, loc = error["type"], error["loc"]
    got = error.get("input")
    if kind == "extra_forbidden":
        valid = _valid_keys(tuple(loc[:-1]))
        hint = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
        message = f"unknown key {loc[-1]!r}"
        if hint:
            return f"{message}; did you mean {hint[0]!r}?"
        return f"{message}; valid keys: {', '.join(valid)}"
    if kind == "too_short":
        least = (error.get("ctx") or {}).get("min_length", 1)
        return f"expected at least {least} item(s); got {_short(got)}"
    if kind == "missing":
        return "required field is missing"
    if kind == "string_pattern_mismatch":
        pattern = str((error.get("ctx") or {}).get("pattern", ""))
        return f"expected {_PATTERN_HINTS.get(pattern, 'text matching ' + pattern)}; got {got!r}"
    message = error["msg"].replace("Input should be", "expected").removeprefix("Value error, ")
    return f"{message}; got {_short(got)}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _field_name(loc: Loc, data: Any) -> str:
    """``use_cases[3].output.destination (use case UC-004)`` from a pydantic location."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    if len(loc) >= 2 and loc[0] == "use_cases" and isinstance(loc[1], int):
        try:
            uc_id = data["use_cases"][loc[1]]["id"]
        except (KeyError, IndexError, TypeError):
            uc_id = None
        if isinstance(uc_id, str):
            text += f" (use case {uc_id})"
    return text


def _valid_keys(loc: Loc) -> list[str]:
    """Field names of the model found at ``loc`` (list indexes step into the item type)."""
    model: Any = Manifest
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        model = _item_model(field.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _item_model(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _item_model(arg)
            if isinstance(found, type) and issubclass(found, BaseModel):
                return found
    return annotation


def _cross_references(
    data: dict[str, Any], known_policies: Collection[str] | None
) -> Iterator[tuple[Loc, str]]:
    """Spec cross-field rules, checked on raw data so they report beside field errors."""
    tools = _ids(data, "tools")
    performers = _ids(data, "talent")
    yield from _duplicates(data, "tools")
    yield from _duplicates(data, "talent")
    yield from _duplicates(data, "use_cases")
    production = data.get("production")
    if isinstance(production, dict):
        listed: set[str] = set()
        for i, pack in enumerate(_list(production.get("policies"))):
            if isinstance(pack, str) and pack in listed:
                yield ("production", "policies", i), f"pack {pack!r} is listed twice"
            listed.add(pack if isinstance(pack, str) else "")
    if known_policies is not None and isinstance(production, dict):
        for i, pack in enumerate(_list(production.get("policies"))):
            if isinstance(pack, str) and pack not in known_policies:
                yield (
                    ("production", "policies", i),
                    f"unknown policy pack {pack!r}; available: {', '.join(sorted(known_policies))}",
                )
    for i, uc in enumerate(_list(data.get("use_cases"))):
        if not isinstance(uc, dict):
            continue
        for j, tool in enumerate(_list(uc.get("tools"))):
            if isinstance(tool, str) and tool not in tools:
                yield ("use_cases", i, "tools", j), _unknown_ref("tool", tool, tools, "tools")
        talent = uc.get("talent") if isinstance(uc.get("talent"), dict) else {}
        assert isinstance(talent, dict)
        involved = _list(talent.get("performers"))
        for j, who in enumerate(involved):
            if isinstance(who, str) and who not in performers:
                yield (
                    ("use_cases", i, "talent", "performers", j),
                    _unknown_ref("performer", who, performers, "talent"),
                )
        if not involved:
            for key, default in (
                ("replica", "none"),
                ("alteration", "none"),
                ("model_reuse", "no"),
            ):
                value = talent.get(key, default)
                if value not in (default, False):
                    yield (
                        ("use_cases", i, "talent", key),
                        f"{key}: {value} requires at least one performer in talent.performers",
                    )
        yield from _v11_cross_fields(uc, i)
        output = uc.get("output") if isinstance(uc.get("output"), dict) else {}
        assert isinstance(output, dict)
        on_screen = output.get("on_screen", "none")
        if on_screen != "none" and output.get("destination") != "final":
            yield (
                ("use_cases", i, "output", "on_screen"),
                f"on_screen: {on_screen} requires destination: final"
                f" (got {output.get('destination')!r})",
            )


def _v11_fields(data: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    """Fields of manifest v1.1 in a ``version: 1`` document: unknown keys to a v1 reader, with
    the hint the v1.1 spec asks for (not a "did you mean" that could rename them into v1 facts).
    """
    for where, name in V11_FIELDS:
        for loc, record in _records(data, where):
            if isinstance(record, dict) and name in record:
                message = f"unknown key {name!r} in a version 1 manifest; needs version: 1.1"
                yield (*loc, name), message


def _records(data: Any, where: str) -> Iterator[tuple[Loc, Any]]:
    """``("use_cases[].output")`` → every ``(location, mapping)`` found there."""
    found: list[tuple[Loc, Any]] = [((), data)]
    for part in where.split("."):
        key = part.removesuffix("[]")
        step: list[tuple[Loc, Any]] = []
        for loc, value in found:
            child = value.get(key) if isinstance(value, dict) else None
            if part.endswith("[]"):
                step.extend(((*loc, key, i), item) for i, item in enumerate(_list(child)))
            elif child is not None:
                step.append(((*loc, key), child))
        found = step
    return iter(found)


def _v11_cross_fields(uc: dict[str, Any], i: int) -> Iterator[tuple[Loc, str]]:
    """Cross-field rules 1-4 of manifest-v1.1, each reported at the field named first."""
    output = uc.get("output") if isinstance(uc.get("output"), dict) else {}
    talent = uc.get("talent") if isinstance(uc.get("talent"), dict) else {}
    writing = uc.get("writing") if isinstance(uc.get("writing"), dict) else {}
    assert isinstance(output, dict) and isinstance(talent, dict) and isinstance(writing, dict)
    if output.get("synthetic_performer") in ("yes", True):
        replica = talent.get("replica", "none")
        if replica != "none":
            yield (
                ("use_cases", i, "output", "synthetic_performer"),
                f"synthetic_performer: yes requires talent.replica: none (got {replica!r}); "
                "a synthetic performer resembles no identifiable person, a replica does",
            )
        technique = uc.get("technique", "generate")
        if technique not in ("generate", "alter"):
            yield (
                ("use_cases", i, "output", "synthetic_performer"),
                f"synthetic_performer: yes requires technique generate or alter (got "
                f"{technique!r}); enhance adds no new content",
            )
    media = _list(output.get("media"))
    for key in ("given_to_writer", "by_writer"):
        if writing.get(key) in ("yes", True) and "media" in output and "text" not in media:
            yield (
                ("use_cases", i, "writing", key),
                f"{key}: yes requires text in output.media (written material); got {media!r}",
            )
    depiction = talent.get("depiction", "role")
    if depiction != "role" and not _list(talent.get("performers")):
        yield (
            ("use_cases", i, "talent", "depiction"),
            f"depiction: {depiction} requires at least one performer in talent.performers",
        )


def _control_characters(value: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    """NUL and other C0 control characters (but tab and newlines) in any text: they have no
    place in a manifest, break reports, and PostgreSQL refuses NUL outright."""
    if isinstance(value, str):
        if not value.isprintable() and any(c < " " and c not in "\t\n\r" for c in value):
            yield loc, "contains a control character (such as NUL); remove it"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _control_characters(item, (*loc, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _control_characters(item, (*loc, i))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _ids(data: dict[str, Any], key: str) -> set[str]:
    return {
        item["id"]
        for item in _list(data.get(key))
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    }


def _duplicates(data: dict[str, Any], key: str) -> Iterator[tuple[Loc, str]]:
    seen: set[str] = set()
    for i, item in enumerate(_list(data.get(key))):
        item_id = item.get("id") if isinstance(item, dict) else None
        if isinstance(item_id, str):
            if item_id in seen:
                yield (key, i, "id"), f"duplicate id {item_id!r}; ids must be unique in {key}"
            seen.add(item_id)


def _unknown_ref(kind: str, ref: str, known: set[str], section: str) -> str:
    hint = difflib.get_close_matches(ref, sorted(known), n=1, cutoff=0.5)
    message = f"unknown {kind} {ref!r}; it must be an id declared under {section}:"
    return f"{message} (did you mean {hint[0]!r}?)" if hint else message
