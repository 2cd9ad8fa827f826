"""The reasoning of every built-in pack lives in docs/packs/: one page per pack, headed with
its current version, whose rules table has a row for every rule and advisory (and none that
the pack does not have)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clearance.policy.registry import builtin_ids, resolve
from tests.support import ROOT

DOCS = ROOT / "docs" / "packs"


def _rules_section(text: str) -> str:
    """The ``## Rules`` section of a page (up to the next ``## `` heading)."""
    match = re.search(r"^## Rules\b.*?$(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    return match.group(1) if match else ""


def _first_cells(section: str) -> list[str]:
    """The first cell of every table row of ``section`` except header and separator rows."""
    cells = [line.split("|")[1].strip() for line in section.splitlines() if line.startswith("|")]
    return [c for c in cells if c and c != "Rule" and not set(c) <= set("-: ")]


@pytest.mark.parametrize("pack_id", builtin_ids())
def test_every_pack_has_a_page_with_its_version_and_every_rule(pack_id: str) -> None:
    pack = resolve(pack_id)
    page = DOCS / f"{pack_id}.md"
    assert page.is_file(), f"{page.relative_to(ROOT)} is missing: every built-in pack has a page"
    text = page.read_text(encoding="utf-8")
    heading = text.splitlines()[0]
    assert heading == f"# {pack.id} {pack.version}", (
        f"{page.relative_to(ROOT)} starts {heading!r}, not '# {pack.id} {pack.version}'"
    )
    ids = [r.spec.id for r in pack.rules] + [a.spec.id for a in pack.advisories]
    rows = _first_cells(_rules_section(text))
    missing = [i for i in ids if i not in rows]
    assert not missing, f"{page.relative_to(ROOT)}: no '| ID |' row in ## Rules for {missing}"
    stale = sorted(set(rows) - set(ids))
    assert not stale, f"{page.relative_to(ROOT)}: ## Rules documents rules {pack_id} lacks: {stale}"
    for rule_id in ids:  # the row itself, as the format asks: "| <ID> | <title> | …"
        assert re.search(rf"^\| {re.escape(rule_id)} \| [^|]+ \|", text, re.MULTILINE), rule_id


def test_the_index_lists_every_pack_and_no_page_is_stale() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    for pack_id in builtin_ids():
        assert f"]({pack_id}.md)" in index, f"docs/packs/README.md does not link {pack_id}.md"
    pages = {p.stem for p in DOCS.glob("*.md")} - {"README"}
    assert pages <= set(builtin_ids()), f"pages of no built-in pack: {pages - set(builtin_ids())}"


def test_a_page_missing_a_rule_row_is_caught(tmp_path: Path) -> None:
    """The check above can fail: a rules table without one rule's row is found."""
    text = (DOCS / "netflix-genai.md").read_text(encoding="utf-8")
    without_t4 = "\n".join(line for line in text.splitlines() if not line.startswith("| T4 |"))
    assert "T4" in _first_cells(_rules_section(text))
    assert "T4" not in _first_cells(_rules_section(without_t4))
    assert "N0" in _first_cells(_rules_section(without_t4))
