"""Bounded, alias-free YAML/JSON reading that remembers where every value came from.

Why not ``yaml.safe_load``: YAML 1.1 reads ``yes``/``no`` as booleans (tri-state answers must
stay words), it silently keeps the last of duplicate keys, and it expands aliases (a
"billion laughs" document). Here libyaml's C parser composes the node tree, and one walk
builds plain Python data, rejecting aliases and duplicate keys. The node tree is kept so that
a validation error's location can be turned into a line number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import yaml

from clearance.manifest.errors import InputError, ManifestError

MAX_INPUT_BYTES = 64 * 1024 * 1024

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _WordsLoader(_Loader):  # type: ignore[misc]
    """A loader whose booleans are only true/false; yes/no/on/off stay strings."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in _Loader.yaml_implicit_resolvers.items()
    }


_WordsLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)

_INT = "tag:yaml.org,2002:int"
_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


class Document:
    """Parsed data plus the node tree it came from (``None`` when lines are unknown)."""

    def __init__(self, path: str, data: Any, root: yaml.Node | None) -> None:
        self.path = path
        self.data = data
        self.root = root

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """1-based line of the deepest node that exists along ``loc``."""
        node = self.root
        if node is None:
            return None
        line: int = node.start_mark.line + 1
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if key.value == part:
                        line = key.start_mark.line + 1
                        node = value
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    return line
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line


def read_text(path: Path) -> str:
    """Read a bounded UTF-8 text file or raise a ``ManifestError`` naming it."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise ManifestError(
                [
                    InputError(
                        name, None, "", f"file is {size} bytes; the limit is {MAX_INPUT_BYTES}"
                    )
                ]
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ManifestError([InputError(name, None, "", f"cannot read: {exc.strerror}")]) from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ManifestError([InputError(name, line, "", "not valid UTF-8 text")]) from exc


def load_document(path: Path) -> Document:
    """Parse a YAML or JSON file (by suffix) into a ``Document``."""
    text = read_text(path)
    if path.suffix.lower() == ".json":
        return _load_json(str(path), text)
    return _load_yaml(str(path), text)


def _load_yaml(name: str, text: str) -> Document:
    loader = _WordsLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise ManifestError([InputError(name, line, "", f"invalid YAML: {problem}")]) from exc
    except yaml.YAMLError as exc:
        raise ManifestError([InputError(name, None, "", f"invalid YAML: {exc}")]) from exc
    finally:
        loader.dispose()
    if root is None:
        raise ManifestError([InputError(name, None, "", "the file is empty")])
    errors: list[InputError] = []
    data = _Builder(name, loader, errors).build(root)
    if errors:
        raise ManifestError(errors)
    return Document(name, data, root)


def _load_json(name: str, text: str) -> Document:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise ValueError(f"duplicate key {key!r}")
            out[key] = value
        return out

    try:
        data = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise ManifestError([InputError(name, exc.lineno, "", f"invalid JSON: {exc.msg}")]) from exc
    except ValueError as exc:
        raise ManifestError([InputError(name, None, "", f"invalid JSON: {exc}")]) from exc
    # JSON is a subset of YAML's flow style: compose it only to learn line numbers.
    root: yaml.Node | None
    try:
        root = yaml.compose(text, Loader=_WordsLoader)
    except yaml.YAMLError:
        root = None
    return Document(name, data, root)


class _Builder:
    """Turns a composed node tree into plain data; rejects aliases and duplicate keys."""

    def __init__(self, name: str, loader: Any, errors: list[InputError]) -> None:
        self.name = name
        self.loader = loader
        self.errors = errors
        self.seen: set[int] = set()

    def build(self, node: yaml.Node) -> Any:
        if id(node) in self.seen:
            self._error(node, "YAML aliases (*name) are not allowed in this file")
            return None
        self.seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node)
                if isinstance(key, list | dict):
                    self._error(key_node, "a mapping key must be a plain value")
                    continue
                if key in out:
                    self._error(key_node, f"duplicate key {key!r}")
                    continue
                out[key] = self.build(value_node)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item) for item in node.value]
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        tag, value = node.tag, node.value
        if tag == _STR:
            return value
        if tag == _BOOL:
            return value.lower() == "true"
        if tag == _NULL:
            return None
        if tag == _INT and value.isdigit():
            return int(value)
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self._error(node, f"cannot read value: {exc}")
            return None

    def _error(self, node: yaml.Node, message: str) -> None:
        self.errors.append(InputError(self.name, node.start_mark.line + 1, "", message))
