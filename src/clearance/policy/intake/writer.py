"""Add a use case to a manifest's text without re-dumping it (comments and layout are kept).

YAML: the use case is written as a block under ``use_cases:`` (after its last item; an empty
``use_cases: []`` or a missing key is handled). JSON has no comments: it is re-dumped. A use
case that holds a fact of manifest v1.1 (``output.depicts_real``, ``writing.*``, …) makes a
``version: 1`` manifest ``version: 1.1`` (the v1.1 spec: a manifest that uses a v1.1 field
declares it; every v1 content keeps its meaning). The caller validates the result with the
manifest loader before replacing the file.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from clearance.manifest.models import UseCase, needs_v11

_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9._-]*$")
_RESERVED = frozenset({"true", "false", "null", "~", "on", "off", "y", "n"})
_TOP_LEVEL_END = re.compile(r"^[^\s#-]")  # a line starting a new top-level key or document


def add_use_case(text: str, use_case: UseCase, *, json_format: bool, notes: list[str]) -> str:
    """``text`` with ``use_case`` appended to ``use_cases``; ``notes`` become YAML comments
    at the end of the new item (JSON has none)."""
    data = use_case.model_dump(mode="json", exclude_unset=True)
    v11 = needs_v11({"use_cases": [data]})
    if json_format:
        document = json.loads(text)
        document.setdefault("use_cases", []).append(data)
        if v11 and document.get("version") == 1:
            document["version"] = 1.1
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return _add_yaml(_version_11(text) if v11 else text, data, notes)


def _version_11(text: str) -> str:
    """``text`` with a top-level ``version: 1`` made ``version: 1.1`` (only that scalar is
    replaced: comments, quoting style and layout stay)."""
    root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(root, yaml.MappingNode):
        raise ValueError("the manifest is not a mapping")
    for key, value in root.value:
        if key.value == "version" and isinstance(value, yaml.ScalarNode):
            if value.value.strip("'\"") == "1.1":
                return text
            start, end = value.start_mark.index, value.end_mark.index
            return text[:start] + "1.1" + text[end:]
    return text


def _add_yaml(text: str, data: dict[str, Any], notes: list[str]) -> str:
    root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(root, yaml.MappingNode):
        raise ValueError("the manifest is not a mapping")
    found = [(k, v) for k, v in root.value if k.value == "use_cases"]
    if not text.endswith("\n"):
        text += "\n"
    if not found:
        return text + "use_cases:\n" + _block(data, 2, notes)
    key, value = found[0]
    if isinstance(value, yaml.SequenceNode) and value.value and value.flow_style:
        # ``use_cases: [{...}, ...]``: JSON is YAML's flow style; add one more item.
        close = text.rindex("]", 0, value.end_mark.index)
        item = json.dumps(data, ensure_ascii=False)
        return text[:close].rstrip() + ", " + item + text[close:]
    if isinstance(value, yaml.SequenceNode) and value.value:
        lines = text.splitlines(keepends=True)
        end = key.start_mark.line + 1
        last = end - 1
        while end < len(lines) and not _TOP_LEVEL_END.match(lines[end]):
            if lines[end].strip() and not lines[end].lstrip().startswith("#"):
                last = end
            end += 1
        indent = value.start_mark.column
        return "".join(lines[: last + 1]) + _block(data, indent, notes) + "".join(lines[last + 1 :])
    # ``use_cases:``, ``use_cases: null`` or ``use_cases: []``: drop the value, write a block.
    if value.start_mark.index != value.end_mark.index:
        text = text[: value.start_mark.index] + text[value.end_mark.index :]
    lines = text.splitlines(keepends=True)
    line = key.start_mark.line
    lines[line] = lines[line].rstrip() + "\n"
    lines.insert(line + 1, _block(data, 2, notes))
    return "".join(lines)


def _block(data: dict[str, Any], indent: int, notes: list[str]) -> str:
    pad = " " * indent
    out: list[str] = []
    first = True
    for key, value in data.items():
        lead = pad + ("- " if first else "  ")
        first = False
        if isinstance(value, dict):
            out.append(f"{lead}{key}:")
            out += [f"{pad}    {k}: {_scalar(v)}" for k, v in value.items()]
        else:
            out.append(f"{lead}{key}: {_scalar(value)}")
    out += [f"{pad}  # {note}" for note in notes]
    return "\n".join(out) + "\n"


def _scalar(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    text = str(value)
    if (_PLAIN.match(text) and text.lower() not in _RESERVED) or text in ("yes", "no"):
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML scalar
