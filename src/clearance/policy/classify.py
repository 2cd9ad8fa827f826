"""Classifier and findings packs: verdicts and findings about files, from their facts.

A classifier pack gives one verdict per file: the first rule (in pack order) whose condition
holds, else the pack's default — like the ordered rules of a labelling guide. A findings pack
gives every finding whose rule holds, else its default (``ok``). Both cite the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clearance.policy.facts import Reader, key_reader
from clearance.policy.pack import Pack


@dataclass(frozen=True, slots=True)
class Label:
    """A verdict or a finding, with the rule behind it (``rule`` is empty for the default)."""

    value: str
    rule: str
    because: str
    cites: str


def classify(pack: Pack, facts: dict[str, Any]) -> Label:
    """The verdict of a classifier pack for one file's facts.

    A verdict is a pure function of the facts the pack's rules read, and a scan meets the
    same few combinations again and again, so verdicts are memoised by those facts (one key
    a file instead of one per rule)."""
    _require(pack, "classifier")
    readers, memo = _verdict_memo(pack)
    key = tuple(read(facts) for read in readers)
    label = memo.get(key)
    if label is None:
        label = _first_rule(pack, facts)
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[key] = label
    return label


_MEMO_LIMIT = 4096


_MEMOS: dict[tuple[str, str], tuple[tuple[Reader, ...], dict[tuple[Any, ...], Label]]] = {}


def _verdict_memo(pack: Pack) -> tuple[tuple[Reader, ...], dict[tuple[Any, ...], Label]]:
    """The readers of every fact the pack's rules read, and the pack's verdicts by them."""
    name = (str(pack.path), pack.sha256)
    found = _MEMOS.get(name)
    if found is None:
        paths = sorted({path for rule in pack.rules for path in rule.condition.facts})
        found = _MEMOS[name] = (tuple(key_reader(path) for path in paths), {})
    return found


def _first_rule(pack: Pack, facts: dict[str, Any]) -> Label:
    for rule in pack.rules:
        if rule.condition.holds(facts):
            spec = rule.spec
            assert spec.verdict is not None
            return Label(spec.verdict, spec.id, spec.because, spec.cites)
    assert pack.spec.default is not None
    return Label(pack.spec.default, "", "no rule applies", "")


def advisories(pack: Pack, facts: dict[str, Any]) -> list[Label]:
    """The advisories of a classifier or findings pack that hold for these facts: notes shown
    beside the verdict that never change it (e.g. "this credential cannot be relied on")."""
    return [
        Label(a.spec.id, a.spec.id, a.spec.message, a.spec.cites)
        for a in pack.advisories
        if a.condition.holds(facts)
    ]


def findings(pack: Pack, facts: dict[str, Any]) -> list[Label]:
    """Every finding of a findings pack for one deliverable's facts (or its default)."""
    _require(pack, "findings")
    found = []
    for rule in pack.rules:
        if rule.condition.holds(facts):
            spec = rule.spec
            assert spec.finding is not None
            found.append(Label(spec.finding, spec.id, spec.because, spec.cites))
    if not found:
        assert pack.spec.default is not None
        return [Label(pack.spec.default, "", "no rule applies", "")]
    return found


def _require(pack: Pack, kind: str) -> None:
    if pack.spec.kind != kind:
        raise ValueError(f"pack {pack.id} is a {pack.spec.kind} pack, not a {kind} pack")
