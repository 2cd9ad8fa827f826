"""A protected name added or removed re-decides the register's current use cases (issue 15,
item 4): `clearance status`, the web app and the delivery report follow the names at once,
without a re-import; the decision key names the list it was made with; productions without
a prompt pack keep their decisions; the web app decides with the same names as check and
import. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clearance.register import db, schema
from clearance.register.accounts import Accounts
from clearance.register.store import Register
from clearance.web.app import create_app
from clearance.web.deps import Settings
from tests.conftest import Run
from tests.webapp import BASE, PASSWORD, cheap_hashes

Cli = Callable[..., Run]

HARBOUR = """
version: 1.1
production:
  id: harbour
  policies: [prompt-checks]
tools:
  - {id: gen, name: Image generator, enterprise: yes, trains_on_inputs: no, retains_inputs: no}
talent:
  - {id: zoe, name: Zoë Ødegård}
use_cases:
  - id: UC-1
    title: Concept frames
    tools: [gen]
    stage: previs
    output: {media: [image], destination: reference}
    prompts: ["a portrait of Ana Lima under neon rain"]
  - id: UC-2
    title: Harbour plates
    tools: [gen]
    stage: previs
    output: {media: [image], destination: reference}
    talent: {performers: [zoe]}
    prompts: ["the harbour at dusk, Zoë Ødegård on the pier"]
"""

# No pack of this production reads prompts: its decisions never depend on the names.
DOCK = """
version: 1.1
production:
  id: dock
  policies: [netflix-genai]
tools:
  - {id: gen, name: Image generator, enterprise: yes, trains_on_inputs: no, retains_inputs: no}
use_cases:
  - id: UC-1
    title: Dock frames
    tools: [gen]
    stage: ideation
    output: {media: [image], destination: reference, resembles_protected: no}
    prompts: ["a portrait of Ana Lima on the dock"]
"""


@pytest.fixture
def imported(workspace: Path, cli: Cli) -> Path:
    for name, text in (("harbour.yaml", HARBOUR), ("dock.yaml", DOCK)):
        (workspace / name).write_text(text.lstrip(), encoding="utf-8")
        run = cli("import", workspace / name)
        assert run.code == 0, run.stderr
    return workspace


def _status(cli: Cli, production: str = "harbour") -> dict[str, dict[str, Any]]:
    run = cli("status", "--production", production, "--format", "json")
    assert run.code in (0, 1), run.stderr
    return {u["id"]: u for u in json.loads(run.stdout)["use_cases"]}


def _decisions(url: str, production: str) -> list[tuple[Any, ...]]:
    uc, dec = schema.use_cases, schema.decisions
    engine = db.connect(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(dec)
                .join(uc, uc.c.pk == dec.c.use_case_pk)
                .where(uc.c.production_id == production)
            )
            return sorted(tuple(r) for r in rows)
    finally:
        engine.dispose()


def _verified(cli: Cli) -> int:
    run = cli("audit", "verify", "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    return int(json.loads(run.stdout)["events"])


def _name_id(cli: Cli, name: str) -> str:
    listed = json.loads(cli("names", "list", "-P", "harbour", "--format", "json").stdout)["names"]
    return str(next(n["id"] for n in listed if n["name"] == name))


@pytest.fixture
def api(imported: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The web app on the same register, as a contributor of harbour with an API token."""
    cheap_hashes(monkeypatch)
    engine = db.connect(database_url)
    accounts = Accounts(Register(engine, imported / "attachments", "test-runner"))
    accounts.add_user("jo", PASSWORD, "Jo", False)
    accounts.grant("jo", "harbour", "contributor")
    secret = accounts.create_token("jo", "ci")[1]
    settings = Settings(engine, imported / "attachments")
    client = TestClient(create_app(settings), base_url=BASE, follow_redirects=False)
    client.headers["Authorization"] = f"Bearer {secret}"
    try:
        yield client
    finally:
        engine.dispose()


HARBOUR_API = "/api/v1/productions/harbour"


def _shown(api: TestClient, uc_id: str) -> dict[str, Any]:
    response = api.get(f"{HARBOUR_API}/use-cases/{uc_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_names_add_and_remove_redecide_what_the_register_shows(
    cli: Cli, database_url: str, api: TestClient, workspace: Path
) -> None:
    before = _status(cli)
    assert (before["UC-1"]["outcome"], before["UC-1"]["obligations"]) == ("proceed", [])
    assert not [r for r in _shown(api, "UC-1")["rules"] if r["id"].startswith("PC")]
    assert ";names#" in before["UC-1"]["packs"]  # the key names the list it was made with
    dock = _decisions(database_url, "dock")
    assert all(";names#" not in row[3] for row in dock)  # no prompt pack: the key as it was
    events = _verified(cli)

    run = cli("names", "add", "Ana Lima", "--kind", "public-figure", "-P", "harbour")
    assert run.code == 0, run.stderr
    assert "Re-decided 2 use cases of harbour; 1 decision changed: harbour/UC-1." in run.stdout
    after = _status(cli)  # no re-import
    uc1 = after["UC-1"]
    assert uc1["outcome"] == "escalate" and uc1["revision"] == 1
    assert uc1["open"] == ["legal-review", "rights-clearance"]
    assert uc1["packs"] != before["UC-1"]["packs"]
    assert after["UC-2"]["outcome"] == before["UC-2"]["outcome"] == "judgment"  # talent: PC1
    # One name.add event and one decision.record event per re-decided use case.
    assert _verified(cli) == events + 3
    shown = _shown(api, "UC-1")  # the web API agrees with the CLI
    assert (shown["outcome"], shown["open"]) == (uc1["outcome"], uc1["open"])
    (pc2,) = [r for r in shown["rules"] if r["id"].startswith("PC")]
    assert pc2["id"] == "PC2"
    listed = api.get(f"{HARBOUR_API}/use-cases").json()
    assert {u["id"]: u["outcome"] for u in listed} == {"UC-1": "escalate", "UC-2": "judgment"}
    report = workspace / "report"
    assert cli("report", "--production", "harbour", "-o", report).code in (0, 1)
    html = (report / "harbour-genai-report.html").read_text(encoding="utf-8")
    assert "Prompt check: Ana Lima -&gt; Ana Lima (public-figure" in html
    assert _decisions(database_url, "dock") == dock  # untouched
    history = {(d["id"], d["outcome"]) for d in [*_diff(cli)]}
    assert ("UC-1", "proceed → escalate") in history

    run = cli("names", "remove", _name_id(cli, "Ana Lima"), "--reason", "cleared by legal")
    assert run.code == 0, run.stderr
    assert "1 decision changed: harbour/UC-1" in run.stdout
    back = _status(cli)
    assert (back["UC-1"]["outcome"], back["UC-1"]["obligations"]) == ("proceed", [])
    assert back["UC-1"]["packs"] not in (before["UC-1"]["packs"], uc1["packs"])  # a new list
    shown = _shown(api, "UC-1")
    assert shown["outcome"] == "proceed"
    assert not [r for r in shown["rules"] if r["id"].startswith("PC")]
    # Nothing lost: every decision is kept (two use cases x import, add, remove).
    assert len(_decisions(database_url, "harbour")) == 6
    assert _decisions(database_url, "dock") == dock
    _verified(cli)
    # Re-importing the unchanged manifest writes nothing: the decisions are current.
    events = _verified(cli)
    run = cli("import", workspace / "harbour.yaml")
    assert run.code == 0 and "0 decisions recorded" in run.stdout, run.stdout
    assert _verified(cli) == events


def _diff(cli: Cli) -> list[dict[str, str]]:
    run = cli("diff", "--production", "harbour", "--format", "json")
    assert run.code in (0, 1), run.stderr
    return [
        {"id": c["id"], "outcome": f"{c['from_outcome']} → {c['to_outcome']}"}
        for c in json.loads(run.stdout)["changes"]
    ]


def test_a_shared_name_redecides_every_production_that_checks_prompts(
    cli: Cli, database_url: str, imported: Path
) -> None:
    dock = _decisions(database_url, "dock")
    run = cli("names", "add", "Ana Lima", "--kind", "person", "--shared")
    assert run.code == 0, run.stderr
    assert "of harbour;" in run.stdout
    assert _status(cli)["UC-1"]["outcome"] == "escalate"
    assert _decisions(database_url, "dock") == dock
    # A name of another list does not touch harbour.
    harbour = _decisions(database_url, "harbour")
    run = cli("names", "add", "Rhea Castellanos", "--kind", "public-figure", "-P", "dock")
    assert run.code == 0 and "No production checks prompts" in run.stdout, run.stdout
    assert _decisions(database_url, "harbour") == harbour
    assert _decisions(database_url, "dock") == dock
    _verified(cli)


def _declare_answers(api: TestClient, description: str) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for _ in range(40):
        step = api.post(f"{HARBOUR_API}/intake", json=answers)
        assert step.status_code == 200, step.text
        question = step.json()["question"]
        if question is None:
            return answers
        choices = [a["value"] for a in question["answers"]]
        value = "gen" if question["fact"] == "tools" else choices[0]
        answers[question["id"]] = [value] if question["multiple"] else value
    raise AssertionError("the intake did not settle")


def test_the_web_app_decides_with_the_registers_names(
    cli: Cli, api: TestClient, database_url: str
) -> None:
    assert cli("names", "add", "Ana Lima", "--kind", "public-figure", "-P", "harbour").code == 0
    description = "a portrait of Ana Lima on the harbour wall"
    answers = _declare_answers(api, description)
    declared = api.post(
        f"{HARBOUR_API}/use-cases",
        json={"id": "UC-9", "title": "Wall", "description": description, "answers": answers},
    )
    assert declared.status_code == 201, declared.text
    shown = _shown(api, "UC-9")
    assert declared.json()["outcome"] == shown["outcome"] == "escalate"
    assert "PC2" in {r["id"] for r in shown["rules"]}
    assert _status(cli)["UC-9"]["outcome"] == "escalate"
    # Removing the name re-decides the web's use case too, and keeps it the web's.
    assert cli("names", "remove", _name_id(cli, "Ana Lima"), "--reason", "cleared").code == 0
    assert _status(cli)["UC-9"]["outcome"] == _shown(api, "UC-9")["outcome"]
    uc = schema.use_cases
    engine = db.connect(database_url)
    try:
        with engine.connect() as conn:
            source = conn.execute(select(uc.c.source).where(uc.c.uc_id == "UC-9")).scalar()
    finally:
        engine.dispose()
    assert source == "web"
    _verified(cli)


def test_decisions_made_with_a_pack_file_are_left_with_a_warning(
    workspace: Path, cli: Cli, database_url: str
) -> None:
    """A pack given as a file cannot be found again by its key: its decisions stay as they
    are, the command says so, and the name is still listed (exit 0)."""
    source = Path(__file__).parents[1] / "src/clearance/policy/packs/prompt-checks"
    local = workspace / "local-pack"
    shutil.copytree(source, local)
    with (local / "pack.yaml").open("a", encoding="utf-8") as out:
        out.write("# a local copy\n")
    (workspace / "harbour.yaml").write_text(HARBOUR.lstrip(), encoding="utf-8")
    assert cli("import", workspace / "harbour.yaml", "--policy", local).code == 0
    rows = _decisions(database_url, "harbour")
    run = cli("names", "add", "Ana Lima", "--kind", "public-figure")
    assert run.code == 0, run.stderr
    assert "not re-decided (packs not found): harbour: prompt-checks@1.1.0#" in run.stderr
    assert "No decision re-made." in run.stdout
    assert _decisions(database_url, "harbour") == rows
    _verified(cli)
