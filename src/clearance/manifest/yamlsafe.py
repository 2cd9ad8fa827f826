"""Bounded, alias-free YAML/JSON reading that remembers where every value came from.

Why not ``yaml.safe_load``: YAML 1.1 reads ``yes``/``no`` as booleans (tri-state answers must
stay words), it silently keeps the last of duplicate keys, and it expands aliases (a
"billion laughs" document). Here libyaml's C parser composes the node tree, and one walk
builds plain Python data, rejecting aliases and duplicate keys. The node tree is kept so that
a validation error's location can be turned into a line number.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from clearance.manifest.errors import InputError, ManifestError
from clearance.perf import gc_paused

MAX_INPUT_BYTES = 64 * 1024 * 1024
#: Deeper nesting than any real input needs: refused before recursive code (validation,
#: hashing, reports) could run out of stack on it.
MAX_DEPTH = 100

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

_WORDS: dict[str, Any] = {
    **dict.fromkeys(("", "~", "null", "Null", "NULL")),
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
}
_NUMBER_START = frozenset("0123456789+-.")
_COLLECTION_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})
_INT_RX = re.compile(r"^[-+]?[0-9]+$")
_FLOAT_RX = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOATS = {".inf": float("inf"), "-.inf": float("-inf"), ".nan": float("nan")}
_STR_TAG = "tag:yaml.org,2002:str"
_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


M = TypeVar("M", bound=BaseModel)


def dotted(loc: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in loc)


class Document:
    """Parsed data, and a way back to the line each value came from.

    Lines are found lazily: only when an error must be reported is the text composed into a
    node tree (slow), so valid files are read in one fast pass.
    """

    def __init__(self, path: str, data: Any, text: str | None) -> None:
        self.path = path
        self.data = data
        self._text = text
        self._root: yaml.Node | None = None
        self._index: dict[int, dict[str, tuple[yaml.Node, yaml.Node]]] = {}
        # Control characters can only come from raw bytes or from escapes: when the text has
        # neither, the (costly) walk over every value that looks for them is skipped.
        self.may_hold_control_characters = (
            text is None or bool(_RAW_CONTROL.search(text)) or "\\" in text
        )

    def validate(self, model: type[M], where: Callable[[tuple[str | int, ...]], str] = dotted) -> M:
        """``model`` from this document; every validation error at once, each with the line
        it points at and ``where`` naming the field (exit code 2 upstream)."""
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            errors = [
                InputError(
                    self.path, self.line_of(tuple(e["loc"])), where(tuple(e["loc"])), e["msg"]
                )
                for e in exc.errors()
            ]
            raise ManifestError(errors) from exc

    def _tree(self) -> yaml.Node | None:
        if self._root is None and self._text is not None:
            try:
                self._root = yaml.compose(self._text, Loader=_WordsLoader)
            except (yaml.YAMLError, RecursionError):
                self._text = None
        return self._root

    def _keys(self, node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """A mapping node's keys, indexed once (a file with 50,000 unknown keys must not
        cost 50,000 scans of 50,000 keys)."""
        index = self._index.get(id(node))
        if index is None:
            index = {}
            for key, value in node.value:
                if isinstance(key.value, str):
                    index.setdefault(key.value, (key, value))
            self._index[id(node)] = index
        return index

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """1-based line of the deepest node that exists along ``loc``."""
        node = self._tree()
        if node is None:
            return None
        line: int = node.start_mark.line + 1
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                found = self._keys(node).get(str(part))
                if found is None:
                    return line
                line = found[0].start_mark.line + 1
                node = found[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    return line
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line


def read_bounded(path: Path, limit: int | None = None, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or a ``ManifestError`` naming
    it. The bound is on the bytes actually read (a file that grows, or a symlink to
    ``/dev/zero``, cannot get past ``stat``), and a FIFO, device or folder is refused without
    blocking on it."""
    name = str(path)
    limit = MAX_INPUT_BYTES if limit is None else limit
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise ManifestError([InputError(name, None, "", f"cannot read: {exc.strerror}")]) from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise ManifestError([InputError(name, None, "", f"expected a {what}; this is {kind}")])
        if info.st_size > limit:
            message = f"{what} is {info.st_size} bytes; the limit is {limit}"
            raise ManifestError([InputError(name, None, "", message)])
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, min(1 << 22, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                message = f"{what} is over {limit} bytes (the limit)"
                raise ManifestError([InputError(name, None, "", message)])
    except OSError as exc:
        raise ManifestError([InputError(name, None, "", f"cannot read: {exc.strerror}")]) from exc
    finally:
        os.close(fd)
    return b"".join(chunks)


def read_text(path: Path) -> str:
    """Read a bounded UTF-8 text file or raise a ``ManifestError`` naming it."""
    name = str(path)
    raw = read_bounded(path)
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
    errors: list[InputError] = []
    try:
        with gc_paused():
            data = _EventBuilder(name, errors).build(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise ManifestError([InputError(name, line, "", f"invalid YAML: {problem}")]) from exc
    except yaml.YAMLError as exc:
        raise ManifestError([InputError(name, None, "", f"invalid YAML: {exc}")]) from exc
    if errors:
        raise ManifestError(errors)
    if data is _EMPTY:
        raise ManifestError([InputError(name, None, "", "the file is empty")])
    return Document(name, data, text)


def _load_json(name: str, text: str) -> Document:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise ValueError(f"duplicate key {key!r}")
            out[key] = value
        return out

    try:
        with gc_paused():
            data = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise ManifestError([InputError(name, exc.lineno, "", f"invalid JSON: {exc.msg}")]) from exc
    except RecursionError as exc:
        raise ManifestError(
            [InputError(name, None, "", "invalid JSON: nested too deeply")]
        ) from exc
    except ValueError as exc:
        raise ManifestError([InputError(name, None, "", f"invalid JSON: {exc}")]) from exc
    # JSON is a subset of YAML's flow style, so the YAML composer can find lines on error.
    return Document(name, data, text)


_EMPTY = object()


def _line(event: yaml.Event) -> int:
    return event.start_mark.line + 1 if event.start_mark else 0


class _EventBuilder:
    """Builds plain data straight from libyaml's parse events (no node tree).

    Scalars follow the YAML 1.2 core schema: ``yes``/``no``/``on``/``off`` and dates stay
    text. Aliases, duplicate keys, non-scalar keys and custom tags are errors.
    """

    def __init__(self, name: str, errors: list[InputError]) -> None:
        self.name = name
        self.errors = errors

    def build(self, text: str) -> Any:
        """The document's data, or ``_EMPTY`` for a file with no document.

        This loop runs once per YAML event (≈ 60 per use case), so it is kept flat.
        """
        loader = _WordsLoader(text)
        next_event = loader.get_event
        # One frame per open collection: [container, pending mapping key, the key's event].
        stack: list[list[Any]] = []
        result: Any = _EMPTY
        try:
            while True:
                event = next_event()
                kind = type(event)
                if kind is yaml.ScalarEvent:
                    value: Any = self._scalar(event)
                elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                    self._check_tag(event)
                    if len(stack) >= MAX_DEPTH:
                        message = f"nested more than {MAX_DEPTH} levels deep"
                        raise ManifestError([InputError(self.name, _line(event), "", message)])
                    stack.append([{} if kind is yaml.MappingStartEvent else [], _EMPTY, None])
                    continue
                elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                    value = stack.pop()[0]
                elif kind is yaml.AliasEvent:
                    self._error(event, "YAML aliases (*name) are not allowed")
                    value = None
                elif kind is yaml.StreamEndEvent:
                    return result
                else:
                    if kind is yaml.DocumentStartEvent and result is not _EMPTY:
                        self._error(event, "only one YAML document is allowed")
                    continue
                if not stack:
                    result = value
                    continue
                frame = stack[-1]
                container = frame[0]
                if type(container) is list:
                    container.append(value)
                elif frame[1] is _EMPTY:
                    if isinstance(value, list | dict):
                        self._error(event, "a mapping key must be a plain value")
                        value = f"<invalid key at line {_line(event)}>"
                    frame[1] = value
                    frame[2] = event
                else:
                    key = frame[1]
                    frame[1] = _EMPTY
                    if key in container:
                        self._error(frame[2], f"duplicate key {key!r}")
                    else:
                        container[key] = value
        finally:
            loader.dispose()

    def _scalar(self, event: yaml.ScalarEvent) -> Any:
        value: str = event.value
        if event.style or not event.implicit[0]:
            tag = event.tag
            if tag is not None and tag not in ("!", _STR_TAG) and not event.implicit[1]:
                self._error(event, f"unsupported YAML tag {tag!r}")
            return value  # quoted, block or !!str: always text
        if value in _WORDS:
            return _WORDS[value]
        if value[:1] in _NUMBER_START:
            if _INT_RX.match(value):
                if len(value) > 100:
                    self._error(event, f"a number of {len(value)} digits; quote it if it is text")
                    return value
                return int(value)
            if _FLOAT_RX.match(value):
                return float(value)
            if value.lower() in _SPECIAL_FLOATS:
                return _SPECIAL_FLOATS[value.lower()]
        return value

    def _check_tag(self, event: yaml.CollectionStartEvent) -> None:
        if event.tag is not None and not event.implicit and event.tag not in _COLLECTION_TAGS:
            self._error(event, f"unsupported YAML tag {event.tag!r}")

    def _error(self, event: yaml.Event, message: str) -> None:
        self.errors.append(InputError(self.name, _line(event), "", message))
