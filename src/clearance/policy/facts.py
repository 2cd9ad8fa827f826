"""Facts: what a rule condition may read.

Decision packs read one use case: its own fields (``stage``, ``technique``, ``output``,
``inputs``, ``talent``) plus the records it refers to, resolved: ``tools`` (each tool's
terms), ``performers`` (each performer involved) and ``production``. Provenance packs read
one file's ``FileFacts``; deliverables packs read ``DeliverableFacts``. A use case's ``prompt``
block is derived, not declared: what its description and prompts name (``clearance.prompts``),
computed only when a pack reads it. Each schema is derived
from its models, so a pack that names a fact that does not exist fails to load.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import Any

from pydantic import BaseModel

from clearance.manifest.models import Manifest, Performer, Production, Tool, UseCase
from clearance.prompts.derive import Deriver, use_case_texts
from clearance.prompts.model import Entry, PromptFacts
from clearance.provenance.model import DeliverableFacts, FileFacts

#: A fact schema node: ``None`` is a value, a dict is an object, a one-item list is a list
#: of objects (comprehension macros such as ``tools.exists(t, ...)`` bind its items).
Schema = dict[str, Any]


def _schema_of(model: type[BaseModel], skip: tuple[str, ...] = ()) -> Schema:
    schema: Schema = {}
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        annotation = field.annotation
        item = (typing.get_args(annotation) or [None])[0]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            schema[name] = _schema_of(annotation)
        elif (
            typing.get_origin(annotation) is list
            and isinstance(item, type)
            and issubclass(item, BaseModel)
        ):
            schema[name] = [_schema_of(item)]
        else:
            schema[name] = None
    return schema


def _build_schema() -> Schema:
    schema = _schema_of(UseCase, skip=("id", "title", "description", "tools", "prompts"))
    schema["tools"] = [_schema_of(Tool)]
    schema["performers"] = [_schema_of(Performer)]
    schema["production"] = _schema_of(Production, skip=("title",))
    schema["prompt"] = _schema_of(PromptFacts)  # derived from description and prompts
    return schema


FACT_SCHEMA: Schema = _build_schema()
FILE_SCHEMA: Schema = _schema_of(FileFacts)
DELIVERABLE_SCHEMA: Schema = _schema_of(DeliverableFacts)

#: Which facts each kind of pack reads.
SCHEMAS: dict[str, Schema] = {
    "use-case": FACT_SCHEMA,
    "file": FILE_SCHEMA,
    "deliverable": DELIVERABLE_SCHEMA,
}


class FactBuilder:
    """Builds the facts of each use case of one manifest (tools and talent indexed once).

    ``names``: the production's protected names (the register's), for the ``prompt`` block."""

    def __init__(self, manifest: Manifest, names: Sequence[Entry] = ()) -> None:
        self.tools = {t.id: t.model_dump() for t in manifest.tools}
        self.performers = {p.id: p.model_dump() for p in manifest.talent}
        self.production = manifest.production.model_dump(exclude={"title"})
        self._prompts = Deriver.for_manifest(manifest, names)

    def facts(self, use_case: UseCase) -> dict[str, Any]:
        facts = use_case.model_dump(exclude={"id", "title", "description", "tools", "prompts"})
        facts["tools"] = [self.tools[t] for t in use_case.tools]
        facts["performers"] = [self.performers[p] for p in use_case.talent.performers]
        facts["production"] = self.production
        facts["prompt"] = self._prompts.plain(use_case_texts(use_case))
        return facts

    def prompt_facts(self, texts: tuple[str, ...]) -> dict[str, Any]:
        """The derived ``prompt`` block of some prompt texts (plain data, shared)."""
        return self._prompts.plain(texts)


PathTree = dict[str, Any]


def path_tree(paths: Iterable[str]) -> PathTree:
    """``["output.destination", "tools[].enterprise"]`` → ``{"output": {"destination": None},
    "tools": {"enterprise": None}}``; ``None`` marks a value taken whole."""
    tree: PathTree = {}
    for path in sorted(paths):
        node = tree
        parts = [p.removesuffix("[]") for p in path.split(".")]
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            node = child
        node.setdefault(parts[-1], {} if path.endswith("[]") else None)
    return tree


#: What a rule reading ``prompt.*`` shows beside the facts it read: what matched, and which
#: words (``prompt_evidence``), whether or not its condition reads them.
SHOWN_PROMPT_FACTS = ("matches", "references")


def prompt_evidence(paths: Iterable[str], facts: dict[str, Any]) -> dict[str, Any]:
    """For a condition reading ``prompt.*``: the prompt's words that matched (``Ana Lima's ->
    Ana Lima (talent, score 100)``) and its style or likeness phrases, as facts to show."""
    prompt = facts.get("prompt")
    if not prompt or not any(p.startswith("prompt.") for p in paths):
        return {}
    shown: dict[str, Any] = {}
    if prompt.get("matches"):
        shown["prompt.matched"] = [
            f"{m['text']} -> {m['name']} ({m['kind']}{', ' + m['via'] if m['via'] else ''}, "
            f"score {m['score']})"
            for m in prompt["matches"]
        ]
    if prompt.get("references"):
        shown["prompt.references"] = list(prompt["references"])
    return shown


class FactProjector:
    """Builds only the facts that a set of rules reads, plus a hashable key of them.

    Converting facts into CEL values is the engine's main cost, so a use case's facts are
    projected onto the paths the packs read. Two use cases with the same key get the same
    rule results, which lets the engine reuse a decision (see ``Engine``). Tools and
    performers are projected once per manifest, not once per use case. The derived ``prompt``
    block is computed only when the tree reads it, keyed by the use case's prompt texts.
    """

    def __init__(self, manifest: Manifest, tree: PathTree, names: Sequence[Entry] = ()) -> None:
        self.tree = tree
        self.production = manifest.production
        self._prompts = Deriver.for_manifest(manifest, names) if "prompt" in tree else None
        self._lists: dict[str, dict[str, tuple[dict[str, Any], tuple[Any, ...]]]] = {}
        for name, records in (("tools", manifest.tools), ("performers", manifest.talent)):
            sub = tree.get(name)
            if sub is not None:
                self._lists[name] = {r.id: _record(r, sub) for r in records}
        self._getters = {
            name: attrgetter(*sub) if sub else None
            for name, sub in tree.items()
            if name not in self._lists
        }

    def project(self, use_case: UseCase) -> tuple[dict[str, Any], tuple[Any, ...]]:
        key: list[Any] = []
        facts: dict[str, Any] = {}
        for name, sub in self.tree.items():
            if name in self._lists:
                ids = use_case.tools if name == "tools" else use_case.talent.performers
                records = [self._lists[name][i] for i in ids]
                facts[name] = [projected for projected, _ in records]
                key.append(tuple(part for _, part in records))
                continue
            if self._prompts is not None and name == "prompt":
                texts = use_case_texts(use_case)
                plain = self._prompts.plain(texts)
                shown = sub if sub is None else {**sub, **dict.fromkeys(SHOWN_PROMPT_FACTS)}
                facts[name] = plain if shown is None else {field: plain[field] for field in shown}
                key.append(texts)
                continue
            source = self.production if name == "production" else getattr(use_case, name)
            getter = self._getters[name]
            if getter is None:  # a value taken whole
                facts[name] = _plain(source)
                key.append(_hashable(facts[name]))
                continue
            values = getter(source) if len(sub) > 1 else (getter(source),)
            facts[name] = dict(zip(sub, values, strict=True))
            key.append(tuple(map(_hashable, values)))
        return facts, tuple(key)


def _record(record: Tool | Performer, sub: PathTree) -> tuple[dict[str, Any], tuple[Any, ...]]:
    projected = {"id": record.id}
    projected.update({field: _plain(getattr(record, field)) for field in sub})
    return projected, tuple(_hashable(v) for v in projected.values())


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, list):
        return list(value)
    return value


def _hashable(value: Any) -> Any:
    if type(value) is str:
        return value
    if isinstance(value, list):  # a list of objects (prompt.protected) keys by their repr
        return tuple(map(_hashable, value)) if value and type(value[0]) is dict else tuple(value)
    if isinstance(value, dict):
        return repr(value)
    return value


Reader = Callable[[dict[str, Any]], Any]


def reader(path: str) -> Reader:
    """A function reading a fact path such as ``output.destination`` or ``tools[].enterprise``.

    A path through a list (``tools[].enterprise``) reads ``{item id: value}``, so that an
    explanation says which tool or performer made a rule fire. Built once per condition.
    """
    return _reader(path, keyed=False)


def key_reader(path: str) -> Reader:
    """Like ``reader``, but hashable and without item ids: a part of a memo key."""
    return _reader(path, keyed=True)


def _reader(path: str, keyed: bool) -> Reader:
    parts = path.split(".")
    if len(parts) == 2 and parts[0].endswith("[]"):  # the common list case: tools[].x
        root, field = parts[0][:-2], parts[1]
        if keyed:
            return lambda facts: tuple(item[field] for item in facts[root])
        return lambda facts: {item["id"]: item[field] for item in facts[root]}
    if path.endswith("[]"):
        root = path[:-2]
        if keyed:
            return lambda facts: tuple(item["id"] for item in facts[root])
        return lambda facts: [item["id"] for item in facts[root]]
    if "[]" in path:  # deeper paths through lists: not in manifest v1, kept generic
        head, _, rest = path.partition("[].")
        read_item, read_list = _reader(rest, keyed), reader(head)
        if keyed:
            return lambda facts: tuple(read_item(item) for item in read_list(facts))
        return lambda facts: {item["id"]: read_item(item) for item in read_list(facts)}
    if len(parts) == 1:
        if keyed:
            return lambda facts: _hashable(facts[path])
        return lambda facts: facts[path]
    if len(parts) == 2:
        first, second = parts
        if keyed:
            return lambda facts: _hashable(facts[first][second])
        return lambda facts: facts[first][second]

    def read(facts: dict[str, Any]) -> Any:
        value: Any = facts
        for part in parts:
            value = value[part]
        return _hashable(value) if keyed else value

    return read


def restrict(facts: dict[str, Any], tree: PathTree) -> dict[str, Any]:
    """Only the parts of ``facts`` named by ``tree`` (what one condition reads)."""
    out: dict[str, Any] = {}
    for name, sub in tree.items():
        value = facts.get(name)
        if sub is None:
            out[name] = value
        elif isinstance(value, list):
            out[name] = [{"id": item.get("id"), **restrict(item, sub)} for item in value]
        elif isinstance(value, dict):
            out[name] = restrict(value, sub)
        else:
            out[name] = value
    return out


def schema_node(path: str, schema: Schema = FACT_SCHEMA) -> tuple[bool, typing.Any]:
    """``(exists, node)`` for a fact path in ``schema``."""
    node: Any = schema
    for part in path.split("."):
        key = part[:-2] if part.endswith("[]") else part
        if isinstance(node, list):
            node = node[0]
        if not isinstance(node, dict) or key not in node:
            return False, None
        node = node[key]
    return True, node
