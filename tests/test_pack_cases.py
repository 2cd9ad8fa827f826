"""The netflix-genai golden cases, one pytest test per case, plus their coverage."""

from __future__ import annotations

import pytest

from clearance.policy import builtin_ids, resolve
from clearance.policy.casetest import CaseResult, load_cases, run_cases


def _results() -> list[tuple[str, CaseResult]]:
    return [(pack_id, r) for pack_id in builtin_ids() for r in run_cases(resolve(pack_id))]


RESULTS = _results()


@pytest.mark.parametrize(
    "result", [r for _, r in RESULTS], ids=[f"{p}:{r.name}" for p, r in RESULTS]
)
def test_golden_case(result: CaseResult) -> None:
    assert result.passed, "; ".join(result.problems)


def test_netflix_cases_cover_every_rule_and_the_guidance() -> None:
    pack = resolve("netflix-genai")
    path = pack.cases_path()
    assert path is not None
    cases = load_cases(path).cases
    assert len(cases) >= 40
    fired = {rule for case in cases for rule in case.fired or []}
    advisories = {a for case in cases for a in case.advisories or []}
    assert fired == {r.spec.id for r in pack.rules}
    assert advisories == {a.spec.id for a in pack.advisories}
    covers = " ".join(tag for case in cases for tag in case.covers)
    assert covers.count("§3") >= 13, "every worked example of §3"
    assert covers.count("matrix") >= 6, "every row of the use case matrix"
    for question in (
        "enterprise", "trains_on_inputs", "retains_inputs", "resembles_protected",
        "could_mislead", "personal_data", "third_party_material", "references_protected",
        "model_reuse", "replaces_union_work", "deceased",
    ):  # fmt: skip
        tags = [t for case in cases for t in case.covers if t.startswith("unsure:")]
        assert any(question in tag for tag in tags), f"the unsure path of {question}"
