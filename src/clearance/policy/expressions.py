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
    #: A top-level conjunction or disjunction is evaluated part by part, each part memoised by
    #: the few facts it reads: a rule of ten facts has thousands of fact combinations, its
    #: parts a handful each, and evaluation stops at the first part that decides.
    parts: tuple[Condition, ...] = ()
    any_part: bool = False  # the parts are joined by || (else by &&)
    key: Reader | None = field(default=None, compare=False, repr=False)  # facts → memo key

    def facts_of(self, facts: dict[str, Any]) -> dict[str, Any]:
        """The values of the facts this condition reads (shown when it fires)."""
        return {path: read(facts) for path, read in self.readers}

    def holds(self, facts: dict[str, Any]) -> bool:
        """Evaluate against a use case's (projected) facts."""
        if self.parts:
            if self.any_part:
                return any(part.holds(facts) for part in self.parts)
            for part in self.parts:  # noqa: SIM110 - a loop is faster than all() here
                if not part.holds(facts):
                    return False
            return True
        key = self.key(facts) if self.key else tuple(read(facts) for read in self.keys)
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
    joiner, pieces = split_top_level(source)
    keys = tuple(key_reader(p) for p in paths)
    return Condition(
        source=source,
        program=program,
        facts=tuple(paths),
        readers=tuple((p, reader(p)) for p in paths),
        keys=keys,
        tree=path_tree(paths),
        parts=tuple(compile_condition(piece, schema) for piece in pieces),
        any_part=joiner == "||",
        key=_key_function(keys),
    )


def _key_function(keys: tuple[Reader, ...]) -> Reader | None:
    """One call building a condition's memo key (the hot path of deciding)."""
    if len(keys) == 1:
        return keys[0]
    if len(keys) == 2:
        first, second = keys
        return lambda facts: (first(facts), second(facts))
    return None


_TOKEN = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|&&|\|\||[()\[\]{}?]""")


def split_top_level(source: str) -> tuple[str, list[str]]:
    """``a && (b || c) && d`` → ``("&&", ["a", "(b || c)", "d"])``: the operands of the
    expression's outermost ``&&`` (or, when it has no top-level ``&&``, ``||``); a whole
    expression in parentheses is looked into. ``("", [])`` when there is nothing to split
    (one operand, or a top-level ``?:`` whose precedence a split would change)."""
    text = source.strip()
    while True:
        ops, inner = _top_level(text)
        if not ops and inner:  # "( … )" around everything
            text = text[1:-1].strip()
            continue
        break
    if "?" in (op for _, op in ops):
        return "", []
    for joiner in ("||", "&&"):  # || binds loosest: split there first
        cuts = [i for i, op in ops if op == joiner]
        if cuts:
            pieces, start = [], 0
            for cut in cuts:
                pieces.append(text[start:cut].strip())
                start = cut + 2
            pieces.append(text[start:].strip())
            return joiner, pieces
    return "", []


def _top_level(text: str) -> tuple[list[tuple[int, str]], bool]:
    """Top-level operators (offset, ``&&``/``||``/``?``), and whether one pair of
    parentheses encloses the whole text."""
    ops: list[tuple[int, str]] = []
    depth = 0
    enclosed = text.startswith("(")
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token in ("(", "[", "{"):
            depth += 1
        elif token in (")", "]", "}"):
            depth -= 1
            if depth == 0 and match.end() < len(text.rstrip()):
                enclosed = False
        elif depth == 0 and token in ("&&", "||", "?"):
            ops.append((match.start(), token))
    return ops, enclosed


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
