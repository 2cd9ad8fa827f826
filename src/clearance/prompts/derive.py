"""The fact-deriving step: prompt texts of a use case or a file → ``PromptFacts``.

Runs before the engine (``FactProjector`` / ``FactBuilder`` call it only when some pack reads
``prompt.*``); results are memoised per set of texts, so repeated prompts cost one match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from clearance.prompts.model import Entry, PromptFacts

if TYPE_CHECKING:
    from clearance.manifest.models import Manifest, UseCase
    from clearance.prompts.match import Matcher
    from clearance.provenance.model import FileFacts

_MEMO_LIMIT = 16_384


def use_case_texts(use_case: UseCase) -> tuple[str, ...]:
    """What a use case gives as prompt text: its description and its ``prompts``."""
    texts = (use_case.description or "", *use_case.prompts)
    return tuple(t for t in texts if t.strip())


def file_texts(facts: FileFacts) -> tuple[str, ...]:
    """The prompt a file's metadata carries: generator parameters, IPTC
    AIPromptInformation (XMP) and the descriptions of its C2PA actions."""
    texts = [facts.generator.prompt, facts.xmp.ai_prompt]
    texts += [a.description for a in facts.c2pa.actions]
    return tuple(dict.fromkeys(t for t in texts if t.strip()))


def prompt_texts(facts: dict[str, Any]) -> tuple[str, ...]:
    """``file_texts`` of a file's facts as plain data (a scan's, without re-validating)."""
    generator, xmp, c2pa = (facts.get(k) or {} for k in ("generator", "xmp", "c2pa"))
    texts = [generator.get("prompt") or "", xmp.get("ai_prompt") or ""]
    texts += [a.get("description") or "" for a in c2pa.get("actions") or []]
    return tuple(dict.fromkeys(t for t in texts if t.strip()))


def talent_entries(manifest: Manifest) -> list[Entry]:
    """The production's performers as names to look for."""
    return [Entry(p.id, p.name, "talent") for p in manifest.talent]


class Deriver:
    """Prompt facts for one production: its talent and protected names, matched once per
    distinct set of texts."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries = tuple(entries)
        self._matcher: Matcher | None = None
        self._memo: dict[tuple[str, ...], tuple[PromptFacts, dict[str, Any]]] = {}

    @classmethod
    def for_manifest(cls, manifest: Manifest, names: Sequence[Entry] = ()) -> Deriver:
        return cls([*talent_entries(manifest), *names])

    def facts(self, texts: tuple[str, ...]) -> PromptFacts:
        return self._get(texts)[0]

    def plain(self, texts: tuple[str, ...]) -> dict[str, Any]:
        """The facts as plain data (what a CEL context is built from); shared, do not change."""
        return self._get(texts)[1]

    def _get(self, texts: tuple[str, ...]) -> tuple[PromptFacts, dict[str, Any]]:
        found = self._memo.get(texts)
        if found is None:
            if self._matcher is None:
                from clearance.prompts.match import Matcher  # rapidfuzz: only when a pack asks

                self._matcher = Matcher(self.entries)
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            facts = self._matcher.check(texts)
            found = self._memo[texts] = (facts, facts.model_dump())
        return found


def described(facts: PromptFacts) -> list[str]:
    """What a person reads: each name matched with the prompt's own words, then each style or
    likeness phrase (``Ana Lima's -> Ana Lima (talent)``, ``phrase: in the style of …``)."""
    shown = [
        f"{m.text} -> {m.name} ({m.kind}{', ' + m.via if m.via else ''})" for m in facts.matches
    ]
    return shown + [f"phrase: {r}" for r in facts.references]
