"""Golden tests for packs, in the style of ``opa test`` / ``kyverno test``.

A pack ships a cases file: a manifest (by relative path) and, per use case, the expected
outcome, obligations, rules fired and advisories. ``run_cases`` decides the manifest with the
pack alone and compares. A cases file may instead name the ``packs`` to decide with together
(the combined examples of several packs); such files in ``packs/_combined/`` are run as part
of every built-in pack they name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from clearance.manifest.errors import InputError, ManifestError
from clearance.manifest.loader import load_manifest
from clearance.manifest.yamlsafe import load_document
from clearance.policy.classify import advisories, classify, findings
from clearance.policy.engine import Engine
from clearance.policy.pack import Pack
from clearance.policy.vocabulary import Outcome
from clearance.prompts.model import Entry, NameKind
from clearance.provenance.model import DeliverableFacts, FileFacts


class ExpectedCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    use_case: str
    covers: list[str] = Field(default_factory=list)
    outcome: Outcome
    obligations: list[str]
    fired: list[str] | None = None
    advisories: list[str] | None = None


class ProtectedNameCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    kind: NameKind
    aliases: list[str] = Field(default_factory=list)


class CasesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    manifest: str
    packs: list[str] | None = Field(
        default=None,
        description="Decide with these packs together (built-in ids, in order); default: the "
        "pack under test alone",
    )
    names: list[ProtectedNameCase] = Field(
        default_factory=list,
        description="Protected names prompts are checked against, as the register would hold "
        "them (clearance names add)",
    )
    cases: list[ExpectedCase] = Field(min_length=1)


#: Cases that decide several built-in packs together (``packs:`` names them).
COMBINED_DIR = Path(__file__).parent / "packs" / "_combined"


def case_files(pack: Pack) -> list[Path]:
    """The pack's own cases file and every combined cases file that names it."""
    own = pack.cases_path()
    files = [own] if own is not None else []
    if pack.path.parent.parent == COMBINED_DIR.parent:  # a built-in pack
        for path in sorted(COMBINED_DIR.glob("*cases*.yaml")):
            if pack.id in (load_cases(path).packs or []):
                files.append(path)
    return files


class FactCase(BaseModel):
    """A case of a classifier or findings pack: facts given directly, and what to expect."""

    model_config = ConfigDict(extra="forbid")

    name: str
    covers: list[str] = Field(default_factory=list)
    facts: dict[str, Any]
    expect: str | list[str]
    fired: list[str] | None = None
    advisories: list[str] | None = None


class FactCasesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cases: list[FactCase] = Field(min_length=1)


_Cases = TypeVar("_Cases", bound=BaseModel)


@dataclass
class CaseResult:
    name: str
    covers: list[str]
    outcome: str
    obligations: list[str]
    fired: list[str]
    advisories: list[str]
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def load_cases(path: Path) -> CasesFile:
    return _load(path, CasesFile)


def _load(path: Path, model: type[_Cases]) -> _Cases:
    return load_document(path).validate(model)


def run_cases(pack: Pack, cases_path: Path | None = None) -> list[CaseResult]:
    """Decide the pack's golden manifests and compare with every expected case (the pack's own
    cases file and the combined ones naming it, or only ``cases_path``)."""
    paths = [cases_path] if cases_path is not None else case_files(pack)
    if not paths:
        raise ManifestError(
            [InputError(str(pack.path), None, "cases", "this pack has no cases file")]
        )
    if pack.spec.kind != "decision":
        return [r for path in paths for r in _run_fact_cases(pack, _load(path, FactCasesFile))]
    return [result for path in paths for result in _run_decision_cases(pack, path)]


def _run_decision_cases(pack: Pack, path: Path) -> list[CaseResult]:
    from clearance.policy.registry import resolve

    cases = load_cases(path)
    packs = [pack]
    if cases.packs is not None:
        if pack.id not in cases.packs:
            problem = f"{path.name} decides with {cases.packs}, not with {pack.id}"
            return [CaseResult(path.name, [], "—", [], [], [], [problem])]
        packs = [pack if name == pack.id else resolve(name) for name in cases.packs]
    manifest = load_manifest(path.parent / cases.manifest)
    names = [Entry(n.id, n.name, n.kind, tuple(n.aliases)) for n in cases.names]
    decisions = {d.id: d for d in Engine(packs).decide_all(manifest, names=names)}
    results = []
    for case in cases.cases:
        decision = decisions.get(case.use_case)
        if decision is None:
            problem = f"no use case {case.use_case!r} in manifest"
            result = CaseResult(case.use_case, case.covers, "—", [], [], [], [problem])
            results.append(result)
            continue
        fired = sorted(r.id for r in decision.rules)
        advisories = sorted(a.id for a in decision.advisories)
        result = CaseResult(
            case.use_case, case.covers, decision.outcome, decision.obligations, fired, advisories
        )
        if decision.outcome != case.outcome:
            result.problems.append(f"outcome {decision.outcome}, expected {case.outcome}")
        if decision.obligations != sorted(set(case.obligations)):
            result.problems.append(
                f"obligations {decision.obligations}, expected {sorted(set(case.obligations))}"
            )
        if case.fired is not None and fired != sorted(case.fired):
            result.problems.append(f"fired {fired}, expected {sorted(case.fired)}")
        if case.advisories is not None and advisories != sorted(case.advisories):
            result.problems.append(f"advisories {advisories}, expected {sorted(case.advisories)}")
        results.append(result)
    return results


def _run_fact_cases(pack: Pack, cases: FactCasesFile) -> list[CaseResult]:
    model: type[BaseModel] = FileFacts if pack.spec.reads == "file" else DeliverableFacts
    results = []
    for case in cases.cases:
        try:
            facts = model.model_validate(case.facts).model_dump()
        except ValidationError as exc:
            problem = f"invalid facts: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}"
            results.append(CaseResult(case.name, case.covers, "—", [], [], [], [problem]))
            continue
        labels = (
            [classify(pack, facts)] if pack.spec.kind == "classifier" else findings(pack, facts)
        )
        got = [label.value for label in labels]
        fired = sorted(label.rule for label in labels if label.rule)
        notes = sorted(a.rule for a in advisories(pack, facts))
        result = CaseResult(case.name, case.covers, ", ".join(got), [], fired, notes)
        expected = [case.expect] if isinstance(case.expect, str) else sorted(case.expect)
        if sorted(got) != sorted(expected):
            result.problems.append(f"gave {', '.join(got)}, expected {', '.join(expected)}")
        if case.fired is not None and fired != sorted(case.fired):
            result.problems.append(f"fired {fired}, expected {sorted(case.fired)}")
        if case.advisories is not None and notes != sorted(case.advisories):
            result.problems.append(f"advisories {notes}, expected {sorted(case.advisories)}")
        results.append(result)
    return results
