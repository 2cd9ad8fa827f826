"""Facts: what a rule condition may read about one use case.

A use case's facts are its own fields (``stage``, ``technique``, ``output``, ``inputs``,
``talent``) plus the records it refers to, resolved: ``tools`` (each tool's terms),
``performers`` (each performer involved) and ``production``. The schema is derived from the
manifest models, so a pack that names a fact the manifest does not have fails to load.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel

from clearance.manifest.models import Manifest, Performer, Production, Tool, UseCase

#: A fact schema node: ``None`` is a value, a dict is an object, a one-item list is a list
#: of objects (comprehension macros such as ``tools.exists(t, ...)`` bind its items).
Schema = dict[str, Any]


def _schema_of(model: type[BaseModel], skip: tuple[str, ...] = ()) -> Schema:
    schema: Schema = {}
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            schema[name] = _schema_of(annotation)
        else:
            schema[name] = None
    return schema


def _build_schema() -> Schema:
    schema = _schema_of(UseCase, skip=("id", "title", "description", "tools"))
    schema["tools"] = [_schema_of(Tool)]
    schema["performers"] = [_schema_of(Performer)]
    schema["production"] = _schema_of(Production, skip=("title",))
    return schema


FACT_SCHEMA: Schema = _build_schema()


class FactBuilder:
    """Builds the facts of each use case of one manifest (tools and talent indexed once)."""

    def __init__(self, manifest: Manifest) -> None:
        self.tools = {t.id: t.model_dump() for t in manifest.tools}
        self.performers = {p.id: p.model_dump() for p in manifest.talent}
        self.production = manifest.production.model_dump(exclude={"title"})

    def facts(self, use_case: UseCase) -> dict[str, Any]:
        facts = use_case.model_dump(exclude={"id", "title", "description", "tools"})
        facts["tools"] = [self.tools[t] for t in use_case.tools]
        facts["performers"] = [self.performers[p] for p in use_case.talent.performers]
        facts["production"] = self.production
        return facts


def lookup(facts: dict[str, Any], path: str) -> Any:
    """Value of a fact path such as ``output.destination`` or ``tools[].enterprise``.

    A path through a list (``tools[].enterprise``) gives ``{item id: value}`` so an
    explanation can say which tool or performer made a rule fire.
    """
    value: Any = facts
    parts = path.split(".")
    for i, part in enumerate(parts):
        if part.endswith("[]"):
            items = value.get(part[:-2], []) if isinstance(value, dict) else []
            rest = ".".join(parts[i + 1 :])
            if not rest:
                return [item.get("id") for item in items]
            return {item.get("id"): lookup(item, rest) for item in items}
        value = value.get(part) if isinstance(value, dict) else None
    return value


def schema_node(path: str) -> tuple[bool, typing.Any]:
    """``(exists, node)`` for a fact path in ``FACT_SCHEMA``."""
    node: Any = FACT_SCHEMA
    for part in path.split("."):
        key = part[:-2] if part.endswith("[]") else part
        if isinstance(node, list):
            node = node[0]
        if not isinstance(node, dict) or key not in node:
            return False, None
        node = node[key]
    return True, node
