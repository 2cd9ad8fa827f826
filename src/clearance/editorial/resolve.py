"""Resolving an event to its media file: the production's own rules first, then the
reference's path, source-file comments, the clip name, and the reel name.

A path hint is matched by file name, and when several files share that name, the one whose
folders match the hint's the furthest wins (``/Volumes/VFX/ep101/x.exr`` prefers
``…/ep101/x.exr`` over ``…/ep102/x.exr``); a tie is reported as ambiguous, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from clearance.editorial.events import Event
from clearance.editorial.media import MediaIndex


class Rule(BaseModel):
    """``from`` an event field, ``match`` a regular expression, and look for ``file``: a file
    name (glob allowed) made from the match's groups, e.g. ``{shot}_comp_v*.exr``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: str = Field(alias="from", pattern="^(clip|reel|hint)$")
    match: str
    file: str

    @field_validator("match")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _file_fits_the_groups(self) -> Rule:
        """``file`` may use only the groups ``match`` has (checked now, not mid-run)."""
        pattern = re.compile(self.match)
        numbered = [""] * pattern.groups
        named = dict.fromkeys(pattern.groupindex, "")
        try:
            self.file.format(*numbered, **named)
        except (KeyError, IndexError, ValueError) as exc:
            groups = ", ".join(
                [f"{{{i}}}" for i in range(pattern.groups)] + [f"{{{n}}}" for n in named]
            )
            raise ValueError(
                f"file {self.file!r} does not fit match's groups ({groups or 'none'}): {exc}"
            ) from exc
        return self

    def name_for(self, found: re.Match[str]) -> str:
        """The file name pattern for a match; glob characters in the matched text are taken
        literally (a clip named ``sky[1]`` is not a character class)."""
        groups = [_literal(g or "") for g in found.groups()]
        named = {k: _literal(v or "") for k, v in found.groupdict().items()}
        return self.file.format(*groups, **named)


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[Rule] = Field(default_factory=list)


def load_rules(path: Path) -> list[Rule]:
    """Read a rules file (YAML), with errors naming file, line and field."""
    from clearance.manifest.yamlsafe import load_document

    return load_document(path).validate(Rules).rules


@dataclass(frozen=True, slots=True)
class Resolution:
    """What an event resolved to: a file, how it was found, or why not."""

    path: str | None
    how: str  # rule 1 | path | comment | clip name | reel | ""
    problem: str = ""  # missing media / ambiguous …


class Resolver:
    def __init__(self, index: MediaIndex, rules: list[Rule] | None = None) -> None:
        self.index = index
        self.rules = [(r, re.compile(r.match)) for r in rules or []]

    def resolve(self, event: Event) -> Resolution:
        for number, (rule, pattern) in enumerate(self.rules, 1):
            values = {
                "clip": [event.clip],
                "reel": [event.reel],
                "hint": [h.text for h in event.hints],
            }
            for value in values[rule.source]:
                found = pattern.search(value) if value else None
                if found:
                    name = rule.name_for(found)
                    result = self._pick(self.index.matching(name), name, f"rule {number}")
                    if result.path or result.problem:
                        return result
        for hint in event.hints:
            name = re.split(r"[\\/]", hint.text)[-1]
            result = self._pick(self.index.named(name), hint.text, hint.source)
            if result.path or result.problem:
                return result
        if event.reel:
            result = self._pick(self.index.named(event.reel), event.reel, "reel")
            if result.path or result.problem:
                return result
        return Resolution(None, "", "missing media: no file matches " + _tried(event))

    @staticmethod
    def _pick(candidates: list[str], hint: str, how: str) -> Resolution:
        if not candidates:
            return Resolution(None, "")
        if len(candidates) == 1:
            return Resolution(candidates[0], how)
        scored = sorted(((_shared_tail(c, hint), c) for c in candidates), reverse=True)
        if scored[0][0] > scored[1][0]:
            return Resolution(scored[0][1], how)
        shown = ", ".join(c for _, c in sorted(scored, key=lambda s: s[1])[:3])
        problem = f"ambiguous: {len(candidates)} files match '{hint}' ({shown})"
        return Resolution(None, how, problem)


def _literal(text: str) -> str:
    """``text`` as a glob that matches only itself."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def _shared_tail(path: str, hint: str) -> int:
    """How many trailing path components two paths share."""
    a = [p.casefold() for p in re.split(r"[\\/]", path) if p]
    b = [p.casefold() for p in re.split(r"[\\/]", hint) if p]
    count = 0
    while count < min(len(a), len(b)) and a[-1 - count] == b[-1 - count]:
        count += 1
    return count


def _tried(event: Event) -> str:
    hints = [h.text for h in event.hints]
    tried = [*hints, event.reel] if event.reel else hints
    # Quoted as written: repr() would double a Windows path's backslashes.
    names = [re.split(r"[\\/]", t.rstrip("\\/"))[-1] or t for t in tried[:3]]
    return ", ".join(f"'{n}'" for n in names) or "(no name)"
