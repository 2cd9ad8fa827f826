"""The command line: output formats, the public JSON contract, exit codes, help."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from clearance.cli import app
from clearance.manifest.yamlsafe import load_document
from clearance.policy import resolve
from tests.conftest import Run
from tests.support import EXAMPLE, MINIMAL, ROOT

Cli = Callable[..., Run]
Write = Callable[[str, str], Path]
BASELINES = Path(__file__).parent / "baselines"


def golden(name: str, actual: str) -> str:
    """The stored baseline; ``CLEARANCE_UPDATE_GOLDEN=1`` rewrites it from ``actual``."""
    path = BASELINES / name
    if os.environ.get("CLEARANCE_UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    return path.read_text(encoding="utf-8")


def test_check_json_matches_the_public_contract_and_baseline(cli: Cli) -> None:
    run = cli("check", EXAMPLE, "--format", "json")
    assert run.code == 1  # nothing recorded yet: obligations are open
    data: dict[str, Any] = json.loads(run.stdout)
    assert data["format"] == "clearance.check/1"
    assert data["production"] == "neon-harbor-s1"
    (policy,) = data["policies"]
    pack = resolve("netflix-genai")
    assert policy == {"id": "netflix-genai", "version": pack.version, "sha256": pack.sha256}
    for uc in data["use_cases"]:
        assert {"id", "outcome", "obligations", "cleared", "rules"} <= uc.keys()
        assert uc["outcome"] in ("proceed", "judgment", "escalate")
        assert uc["obligations"] == sorted(set(uc["obligations"]))
        assert uc["cleared"] is False
        for rule in uc["rules"]:
            assert {"pack", "id", "outcome", "obligations", "cites", "because"} <= rule.keys()
    normalised = run.stdout.replace(pack.sha256, "<sha256>")
    assert normalised == golden("neon-harbor.check.json", normalised)


def test_example_reaches_every_outcome_and_obligation(cli: Cli) -> None:
    data = json.loads(cli("check", EXAMPLE, "--format", "json").stdout)
    assert {uc["outcome"] for uc in data["use_cases"]} == {"proceed", "judgment", "escalate"}
    obligations = {ob for uc in data["use_cases"] for ob in uc["obligations"]}
    assert obligations == {
        "report-use", "written-approval", "talent-consent", "legal-review",
        "rights-clearance", "tool-terms-review", "union-agreement", "human-authorship",
    }  # fmt: skip


def test_check_table_and_markdown(cli: Cli) -> None:
    table = cli("check", EXAMPLE)
    assert table.code == 1
    assert "UC-001" in table.stdout and "🛑 escalate" in table.stdout
    assert "Note (P3)" in table.stdout
    markdown = cli("check", EXAMPLE, "--format", "markdown")
    assert markdown.stdout.startswith("# GenAI use cases — neon-harbor-s1")
    assert "| UC-008 |" in markdown.stdout and "⚠️ judgment" in markdown.stdout


def test_fail_on_narrows_what_fails(cli: Cli, write: Write) -> None:
    proceed_only = write("m.yaml", MINIMAL)
    assert cli("check", proceed_only).code == 1  # report-use is open
    assert cli("check", proceed_only, "--fail-on", "escalate").code == 0
    assert cli("check", proceed_only, "--fail-on", "judgment").code == 0
    assert cli("check", EXAMPLE, "--fail-on", "escalate").code == 1
    assert cli("check", EXAMPLE, "--fail-on", "never").code == 0


def test_invalid_manifest_exits_2_with_file_line_field(clearance_bin: Any, write: Write) -> None:
    bad = write("bad.yaml", MINIMAL.replace("destination: reference", "destination: finale"))
    proc = clearance_bin("check", bad, "--format", "json")
    assert proc.returncode == 2
    assert proc.stdout == ""  # nothing written
    assert f"{bad}:20: use_cases[0].output.destination (use case UC-1): expected" in proc.stderr


def test_explain_shows_reasoning_with_citations(cli: Cli) -> None:
    run = cli("explain", EXAMPLE, "UC-014")
    assert run.code == 0
    expected = ["T4", "Replica of a deceased performer", "Talent Enhancement"]
    expected += ["partnerhelp.netflixstudios.com", "Checked, did not fire", "talent.replica"]
    for text in expected:
        assert text in run.stdout, text
    as_json = json.loads(cli("explain", EXAMPLE, "UC-014", "--format", "json").stdout)
    assert as_json["decision"]["id"] == "UC-014"
    assert as_json["facts"]["performers"][0]["deceased"] == "yes"
    missing = cli("explain", EXAMPLE, "UC-999")
    assert missing.code == 2 and "no use case 'UC-999'" in missing.stderr


def test_schema_is_valid_and_accepts_real_manifests(cli: Cli, write: Write) -> None:
    schema = json.loads(cli("schema").stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in (EXAMPLE, ROOT / "src/clearance/policy/packs/netflix-genai/golden-manifest.yaml"):
        assert list(validator.iter_errors(load_document(path).data)) == []
    typo = load_document(write("m.yaml", MINIMAL.replace("stage:", "stag:"))).data
    assert list(validator.iter_errors(typo))


@pytest.mark.parametrize(
    ("where", "field"),
    [
        ("talent", {"represented": "no"}),
        ("output", {"depicts_real": "no"}),
        ("output", {"synthetic_performer": "no"}),
        ("use_talent", {"depiction": "role"}),
        ("use_case", {"writing": {"by_writer": "no"}}),
    ],
)
def test_schema_rejects_v11_fields_in_a_version_1_file_as_the_loader_does(
    cli: Cli, write: Write, where: str, field: dict[str, Any]
) -> None:
    validator = jsonschema.Draft202012Validator(json.loads(cli("schema").stdout))
    data: dict[str, Any] = {
        "version": 1,
        "production": {"id": "p"},
        "tools": [{"id": "t", "name": "T"}],
        "talent": [{"id": "a", "name": "A"}],
        "use_cases": [
            {
                "id": "U1",
                "title": "x",
                "tools": ["t"],
                "stage": "post",
                "output": {"media": ["text"], "destination": "final"},
                "talent": {"performers": ["a"]},
            }
        ],
    }
    target = {
        "talent": data["talent"][0],
        "output": data["use_cases"][0]["output"],
        "use_talent": data["use_cases"][0]["talent"],
        "use_case": data["use_cases"][0],
    }[where]
    assert list(validator.iter_errors(data)) == []
    target.update(field)
    assert list(validator.iter_errors(data)), "a v1.1 field in a version-1 file must not validate"
    path = write("m.json", json.dumps(data))
    assert cli("check", path).code == 2
    data["version"] = 1.1
    assert list(validator.iter_errors(data)) == []


def test_policy_list_show_and_test(cli: Cli) -> None:
    listing = cli("policy", "list")
    assert listing.code == 0 and "netflix-genai" in listing.stdout and "1.0.0" in listing.stdout
    shown = cli("policy", "show", "netflix-genai", "--facts")
    assert shown.code == 0 and "P4b" in shown.stdout and "tools[].trains_on_inputs" in shown.stdout
    tested = cli("policy", "test", "netflix-genai")
    assert tested.code == 0 and "PASS: " in tested.stdout and "FAIL" not in tested.stdout


def test_policy_test_fails_on_a_wrong_expectation(cli: Cli, tmp_path: Path) -> None:
    source = resolve("netflix-genai").path.parent
    for name in ("pack.yaml", "golden-manifest.yaml", "cases.yaml"):
        shutil.copy(source / name, tmp_path / name)
    cases = tmp_path / "cases.yaml"
    text = cases.read_text()
    cases.write_text(text.replace("outcome: proceed", "outcome: escalate", 1))
    run = cli("policy", "test", tmp_path / "pack.yaml", "--fail-only")
    assert run.code == 1
    assert "FAIL" in run.stdout and "outcome proceed, expected escalate" in run.stdout


def test_unknown_pack_is_an_input_error(cli: Cli) -> None:
    run = cli("policy", "show", "no-such-pack")
    assert run.code == 2 and "no such pack" in run.stderr


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["check"],
        ["explain"],
        ["schema"],
        ["policy", "list"],
        ["policy", "test"],
        ["init"],
        ["import"],
        ["status"],
        ["scan"],
        ["asset", "add"],
        ["audit", "verify"],
        ["cuesheet"],
        ["report"],
    ],
)
def test_help_is_available_with_examples(cli: Cli, command: list[str]) -> None:
    run = cli(*command, "--help")
    assert run.code == 0 and "Usage" in run.stdout


def _command_paths() -> list[str]:
    """Every command of the CLI, as typed after ``clearance`` (from the Typer app itself)."""
    import typer.main

    def walk(command: Any, prefix: str) -> list[str]:
        subcommands = getattr(command, "commands", None)  # a group
        if subcommands is None:
            return [prefix.strip()]
        return [p for name, sub in subcommands.items() for p in walk(sub, f"{prefix} {name}")]

    return walk(typer.main.get_command(app), "")


def test_readme_documents_every_command() -> None:
    readme = (ROOT / "README.md").read_text()
    for command in ("clearance check", "clearance explain", "clearance schema",
                    "clearance policy list", "clearance policy show", "clearance policy test",
                    "clearance init", "clearance import", "clearance report-use",
                    "clearance approve", "clearance consent add", "clearance clear",
                    "clearance status", "clearance revoke", "clearance diff",
                    "clearance audit verify", "clearance audit log", "clearance export",
                    "clearance restore", "clearance scan", "clearance asset add",
                    "clearance cuesheet", "clearance report ",
                    "make demo", "make test"):  # fmt: skip
        assert command in readme, command
    for path in _command_paths():
        assert f"clearance {path}" in readme, f"command {path!r} is not in the README"
    # each pack's rules are documented in docs/packs/ (tests/test_pack_docs.py)
