"""Cuts registered per production (`clearance cut add|list|remove`) and the one cue-sheet
pipeline behind `cuesheet --cut`, `report --cut` and the web app's downloads (issue 10)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Run
from tests.support import MINIMAL
from tests.test_cuesheet_cli import USE_CASES, cut  # noqa: F401 (the fixture)

pytest.register_assert_rewrite("tests.webapp")
from tests.webapp import A, B, WebApp  # noqa: E402

pytest_plugins = ["tests.webapp"]  # the ``web`` fixture

Cli = Callable[..., Run]


def _events(cli: Cli) -> int:
    return int(json.loads(cli("audit", "verify", "--format", "json").stdout)["events"])


def _sheet(run: Run) -> dict[str, Any]:
    assert run.stdout, run.stderr
    data: dict[str, Any] = json.loads(run.stdout)
    data.pop("generated_at")
    return data


def test_a_registered_cut_gives_the_same_cue_sheet_as_the_command_line(
    workspace: Path,
    cli: Cli,
    cut: tuple[Path, Path],  # noqa: F811
) -> None:
    edl, media = cut
    manifest = workspace / "m.yaml"
    manifest.write_text(MINIMAL + USE_CASES)
    assert cli("import", manifest).code == 0
    assert cli("asset", "add", "UC-FINAL", media / "final" / "skyline_ext_v2.jpg").code == 0

    run = cli("cut", "add", "ep1-lock", edl, "--media", media, "--rate", "24")
    assert run.code == 0, run.stderr
    listed = json.loads(cli("cut", "list", "--format", "json").stdout)
    assert [c["name"] for c in listed["cuts"]] == ["ep1-lock"]
    assert listed["cuts"][0]["edit"] == str(edl.resolve()) and listed["cuts"][0]["rate"] == "24"

    given = _sheet(cli("cuesheet", edl, "--media", media, "--rate", "24", "-f", "json", "-j", "1"))
    by_name = _sheet(cli("cuesheet", "--cut", "ep1-lock", "-f", "json", "-j", "1"))
    only = _sheet(cli("cuesheet", "-f", "json", "-j", "1"))  # the production's only cut
    assert by_name == given == only
    assert {r["use_case"] for r in by_name["rows"]} >= {"UC-FINAL"}

    out = workspace / "report"
    assert cli("report", "-o", out, "--cut", "ep1-lock", "-j", "1").code == 0
    assert "never_delivered_v9.exr" in (out / "test-prod-genai-report.html").read_text()
    assert cli("audit", "verify").code == 0


def test_bad_cuts_are_refused_and_nothing_is_written(
    workspace: Path,
    cli: Cli,
    cut: tuple[Path, Path],  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    edl, media = cut
    manifest = workspace / "m.yaml"
    manifest.write_text(MINIMAL + USE_CASES)
    assert cli("import", manifest).code == 0
    before = _events(cli)
    broken = tmp_path / "broken.edl"
    broken.write_text("TITLE: X\n001  AX V C 00:00:00:00 00:00:0X:00 01:00:00:00 01:00:01:00\n")
    for args, expected in (
        (("ep1", tmp_path / "missing.edl", "--media", media), "no such file"),
        (("ep1", edl, "--media", tmp_path / "nowhere"), "no such file"),
        (("ep1", broken, "--media", media), "broken.edl"),
        (("../ep1", edl, "--media", media), "expected letters"),
    ):
        run = cli("cut", "add", *args)
        assert run.code == 2 and expected in run.stderr, (args, run.stderr)
        assert "Traceback" not in run.stderr
    assert _events(cli) == before
    none = cli("cuesheet", "-f", "json")
    assert none.code == 2 and "no cut" in none.stderr and "clearance cut add" in none.stderr
    assert cli("cut", "add", "a", edl, "--media", media).code == 0
    assert cli("cut", "add", "b", edl, "--media", media).code == 0
    ambiguous = cli("cuesheet", "-f", "json")
    assert ambiguous.code == 2 and "a, b" in ambiguous.stderr and "--cut" in ambiguous.stderr
    unknown = cli("cuesheet", "--cut", "c")
    assert unknown.code == 2 and "no cut 'c'" in unknown.stderr
    both = cli("cuesheet", edl, "--cut", "a", "--media", media)
    assert both.code == 2 and "not both" in both.stderr
    assert cli("cut", "remove", "b").code == 0
    assert [c["name"] for c in json.loads(cli("cut", "list", "-f", "json").stdout)["cuts"]] == ["a"]
    actions = [e["action"] for e in json.loads(cli("audit", "log", "-f", "json").stdout)]
    assert actions[-3:] == ["cut.add", "cut.add", "cut.remove"]
    assert cli("audit", "verify").code == 0


def test_the_web_app_serves_each_production_only_its_own_cut_as_the_cli_builds_it(
    web: WebApp,
    cut: tuple[Path, Path],  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    """Regression (issue 10): with one cut per server, a member of production B downloaded
    production A's edit name, server paths, tools and prompts."""
    edl, media = cut
    other = tmp_path / "b-lock.edl"
    other.write_text(edl.read_text().replace("TITLE: TEST LOCK", "TITLE: B SIDE LOCK"))
    assert web.cli("cut", "add", "a-lock", edl, "--media", media, "-P", A).code == 0
    assert web.cli("cut", "add", "b-lock", other, "--media", media, "-P", B).code == 0

    member_b = web.api("member-b")
    mine = member_b.get(f"/p/{B}/cuesheet.json")
    assert mine.status_code == 200, mine.text
    sheet = mine.json()
    assert sheet["production"] == B and sheet["edit"]["name"] == "B SIDE LOCK"
    assert "TEST LOCK" not in mine.text and "a-lock" not in mine.text
    for path in (
        f"/p/{A}/cuesheet.json",
        f"/p/{A}/cuts/a-lock/cuesheet.json",
        f"/api/v1/productions/{A}/cuts",
        f"/api/v1/productions/{A}/cuts/a-lock/cuesheet",
    ):
        assert member_b.get(path).status_code == 404, path
    assert member_b.get(f"/p/{B}/cuts/a-lock/cuesheet.json").status_code == 404
    assert [c["name"] for c in member_b.get(f"/api/v1/productions/{B}/cuts").json()] == ["b-lock"]

    from_web = web.api("reviewer-a").get(f"/api/v1/productions/{A}/cuts/a-lock/cuesheet").json()
    from_cli = _sheet(web.cli("cuesheet", "--cut", "a-lock", "-P", A, "-f", "json", "-j", "1"))
    from_web.pop("generated_at")
    assert from_web == from_cli
    report = web.api("reviewer-a").get(f"/api/v1/productions/{A}/report")
    assert report.status_code == 200 and "never_delivered_v9.exr" in report.text
