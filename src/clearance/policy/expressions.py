"""CEL conditions: compile once, and find which facts an expression reads.

Conditions are CEL (the Common Expression Language, https://cel.dev) compiled by the
``common-expression-language`` package's Rust core. A pack is compiled once when loaded; a
use case's facts are converted into one ``cel.Context`` and every rule runs against it.

``fact_paths`` is a light static reading of the source that lists the dotted fact paths an
expression reads. It is used to reject unknown facts when a pack loads and to show, for every
rule that fires, the facts that made it fire.
"""

from __future__ import annotations

import difflib
import importlib
import re
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from clearance.policy.facts import (
    FACT_SCHEMA,
    PathTree,
    Reader,
    Schema,
    key_reader,
    path_tree,
    reader,
    restrict,
    schema_node,
)

_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_MACRO = re.compile(
    r"([A-Za-z_][\w.]*)\.(?:all|exists|exists_one|map|filter)\(\s*([A-Za-z_]\w*)\s*,"
)
_PATH = re.compile(r"(?<![\w.])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_KEYWORDS = {"true", "false", "null", "in"}


@cache
def _cel() -> Any:
    """The CEL module, imported on first use: its package also imports its own command line
    (prompt_toolkit, ≈ 0.2 s), which commands that decide nothing should not pay for."""
    # The package's __init__ imports its REPL (``cel.cli``, prompt_toolkit ≈ 0.25 s) before
    # the compiler; a placeholder stands in for it, as nothing here uses the REPL.
    sys.modules.setdefault("cel.cli", types.ModuleType("cel.cli"))
    return importlib.import_module("cel")


class ExpressionError(ValueError):
    """A condition that does not compile or reads a fact that does not exist."""


_MEMO_LIMIT = 4096


@dataclass(frozen=True)
class Condition:
    """A compiled CEL condition, the fact paths it reads, and a memo of its results.

    A condition is a pure function of the facts it reads, and those are few enumerated
    values, so results are memoised by those values. On a miss, CEL runs on a context holding
    only those facts: converting Python values into CEL is far costlier than evaluating, and
    a fact the static reading missed fails loudly (an undefined field) instead of silently.
    """

    source: str
    program: Any
    facts: tuple[str, ...]
    readers: tuple[tuple[str, Reader], ...]
    keys: tuple[Reader, ...]
    tree: PathTree
    memo: dict[tuple[Any, ...], bool] = field(default_factory=dict, compare=False, repr=False)

    def facts_of(self, facts: dict[str, Any]) -> dict[str, Any]:
        """The values of the facts this condition reads (shown when it fires)."""
        return {path: read(facts) for path, read in self.readers}

    def holds(self, facts: dict[str, Any]) -> bool:
        """Evaluate against a use case's (projected) facts."""
        key = tuple(read(facts) for read in self.keys)
        result = self.memo.get(key)
        if result is None:
            result = self.program.execute(_cel().Context(restrict(facts, self.tree)))
            if not isinstance(result, bool):
                raise ExpressionError(f"condition {self.source!r} gave {result!r}, not true/false")
            if len(self.memo) >= _MEMO_LIMIT:
                self.memo.clear()
            self.memo[key] = result
        return result


def compile_condition(source: str, schema: Schema = FACT_SCHEMA) -> Condition:
    """Compile ``source``; raise ``ExpressionError`` for syntax errors or unknown facts."""
    try:
        program = _cel().compile(source)
    except (ValueError, RuntimeError) as exc:
        raise ExpressionError(str(exc).splitlines()[0]) from exc
    paths = fact_paths(source, schema)
    return Condition(
        source=source,
        program=program,
        facts=tuple(paths),
        readers=tuple((p, reader(p)) for p in paths),
        keys=tuple(key_reader(p) for p in paths),
        tree=path_tree(paths),
    )


def fact_paths(source: str, schema: Schema = FACT_SCHEMA) -> list[str]:
    """Sorted fact paths read by ``source``; raises ``ExpressionError`` for unknown ones."""
    text = _STRING.sub("''", source)
    bound: dict[str, str] = {}
    for collection, variable in _MACRO.findall(text):
        bound[variable] = _resolve(collection, bound) + "[]"
    found: set[str] = set()
    for path in _paths(text):
        root, _, rest = path.partition(".")
        if root in bound:
            if root == path:  # the variable bound by the macro itself
                continue
            path = bound[root] + ("." + rest if rest else "")
        exists, _node = schema_node(path, schema)
        if not exists:
            raise ExpressionError(f"unknown fact {path!r}{_hint(path, schema)}")
        found.add(path)
    # A list read only through a macro variable is reported by its item fields.
    return sorted(p for p in found if not any(q.startswith(p + "[].") for q in found))


def _paths(text: str) -> Iterator[str]:
    for match in _PATH.finditer(text):
        path = match.group(0)
        if text[match.end() :].lstrip().startswith("("):
            path = path.rpartition(".")[0]  # a call: keep the receiver, drop the method
        if path and path.split(".")[0] not in _KEYWORDS:
            yield path


def _resolve(collection: str, bound: dict[str, str]) -> str:
    root, _, rest = collection.partition(".")
    if root in bound:
        return bound[root] + ("." + rest if rest else "")
    return collection


def _hint(path: str, schema: Schema) -> str:
    head, _, last = path.rpartition(".")
    exists, node = schema_node(head, schema) if head else (True, schema)
    if isinstance(node, list):
        node = node[0]
    if not exists or not isinstance(node, dict):
        return ""
    close = difflib.get_close_matches(last.removesuffix("[]"), list(node), n=1, cutoff=0.5)
    return f"; did you mean {(head + '.' if head else '') + close[0]!r}?" if close else ""
