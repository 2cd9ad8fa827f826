"""The register on SQLite and PostgreSQL: import, evidence, status, diff, revoke, expiry."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import Run
from tests.support import EXAMPLE, MINIMAL

Cli = Callable[..., Run]

CONSENT_CASE = (
    MINIMAL
    + """\
  - id: UC-2
    title: De-ageing Ava
    tools: [ent]
    stage: post
    technique: alter
    output: {media: [video], destination: final, resembles_protected: no}
    talent: {performers: [ava], replica: likeness}
"""
)


def events(cli: Cli) -> int:
    return int(json.loads(cli("audit", "verify", "--format", "json").stdout)["events"])


def status_of(cli: Cli, *args: str) -> dict[str, Any]:
    run = cli("status", "--format", "json", *args)
    assert run.code in (0, 1), run.stderr
    return {uc["id"]: uc for uc in json.loads(run.stdout)["use_cases"]}


def test_import_is_idempotent_and_check_uses_the_register(workspace: Path, cli: Cli) -> None:
    first = cli("import", EXAMPLE)
    assert first.code == 0 and "22 new" in first.stdout
    after_first = events(cli)
    again = cli("import", EXAMPLE)
    assert "nothing written" in again.stdout
    assert events(cli) == after_first
    assert len(status_of(cli)) == 22
    assert cli("check", EXAMPLE, "--fail-on", "never").code == 0

    single = workspace / "one.yaml"
    single.write_text(MINIMAL)
    cli("import", single)
    assert cli("check", single).code == 1
    recorded = cli("report-use", "UC-1", "--production", "test-prod", "--contact", "J. Park")
    assert recorded.code == 0, recorded.stderr
    assert cli("check", single).code == 0  # the only obligation is met by recorded evidence
    assert cli("check", single, "--no-register").code == 1
    data = json.loads(cli("check", single, "--format", "json").stdout)
    assert data["use_cases"][0]["cleared"] is True


def test_changed_use_case_gets_a_revision_and_diff_shows_what_is_uncovered(
    workspace: Path, cli: Cli
) -> None:
    path = workspace / "m.yaml"
    path.write_text(MINIMAL)
    cli("import", path)
    cli("report-use", "UC-1", "--contact", "J. Park")
    assert status_of(cli)["UC-1"]["cleared"] is True
    # The mood boards become a final, on-screen element: a new revision and a new decision.
    path.write_text(
        MINIMAL.replace("destination: reference", "destination: final\n      on_screen: prominent")
    )
    summary = cli("import", path)
    assert "1 revised" in summary.stdout
    state = status_of(cli)["UC-1"]
    assert state["revision"] == 2 and state["outcome"] == "escalate" and not state["cleared"]
    report = next(o for o in state["obligations"] if o["obligation"] == "report-use")
    assert report["met"] and "recorded before the use case changed" in report["why"]
    diff = json.loads(cli("diff", "--format", "json").stdout)["changes"]
    assert diff == [
        {
            "id": "UC-1", "from_revision": 1, "to_revision": 2,
            "from_packs": diff[0]["from_packs"], "to_packs": diff[0]["from_packs"],
            "from_outcome": "proceed", "to_outcome": "escalate",
            "added": ["human-authorship", "legal-review", "written-approval"], "removed": [],
            "uncovered": ["human-authorship", "legal-review", "written-approval"],
        }
    ]  # fmt: skip
    log = cli("audit", "log", "--subject", "test-prod/UC-1", "--format", "json")
    actions = [e["action"] for e in json.loads(log.stdout)]
    assert actions.count("revision.record") == 2 and "use-case.revise" in actions


def test_new_pack_version_makes_a_new_decision(workspace: Path, cli: Cli, tmp_path: Path) -> None:
    from clearance.policy import resolve

    path = workspace / "m.yaml"
    path.write_text(MINIMAL)
    cli("import", path)
    source = resolve("netflix-genai").path
    bumped = tmp_path / "pack.yaml"
    bumped.write_text(source.read_text().replace("version: 1.0.0", "version: 1.1.0"))
    run = cli("import", path, "--policy", bumped)
    assert "0 revised" in run.stdout and "1 decisions recorded" in run.stdout
    assert status_of(cli)["UC-1"]["packs"].startswith("netflix-genai@1.1.0")
    (change,) = json.loads(cli("diff", "--format", "json").stdout)["changes"]
    assert change["from_packs"].startswith("netflix-genai@1.0.0")
    assert change["to_packs"].startswith("netflix-genai@1.1.0")
    assert change["from_revision"] == change["to_revision"] == 1


def test_evidence_meets_obligations_until_revoked_or_expired(workspace: Path, cli: Cli) -> None:
    path = workspace / "m.yaml"
    path.write_text(CONSENT_CASE)
    cli("import", path)
    signed = workspace / "approval.pdf"
    signed.write_bytes(b"%PDF-1.4 signed approval")
    steps = [
        ("report-use", "UC-2", "--contact", "J. Park"),
        ("approve", "UC-2", "--approver", "Studio legal", "--condition", "final VFX review",
         "--date", "2026-01-10", "--expires", "2027-01-10", "--attach", str(signed)),
        ("consent", "add", "ava", "UC-2", "--replica", "likeness", "--guild-notified"),
        ("clear", "legal-review", "UC-2", "--by", "Harbor Legal LLP"),
    ]  # fmt: skip
    for step in steps:
        run = cli(*step, "--date", "2026-02-01") if "--date" not in step else cli(*step)
        assert run.code == 0, run.stderr
    assert status_of(cli, "--on", "2026-06-01")["UC-2"]["cleared"] is True
    expired = status_of(cli, "--on", "2027-02-01")["UC-2"]
    approval = next(o for o in expired["obligations"] if o["obligation"] == "written-approval")
    assert not expired["cleared"] and "expired on 2027-01-10" in approval["why"]
    assert approval["next"] == "studio contact"

    consent_id = next(
        o["evidence"][0] for o in status_of(cli, "--on", "2026-06-01")["UC-2"]["obligations"]
        if o["obligation"] == "talent-consent"
    )  # fmt: skip
    assert cli("revoke", consent_id, "--reason", "performer withdrew").code == 0
    state = status_of(cli, "--on", "2026-06-01")["UC-2"]
    consent = next(o for o in state["obligations"] if o["obligation"] == "talent-consent")
    assert not state["cleared"] and "revoked (performer withdrew)" in consent["why"]
    assert cli("revoke", consent_id, "--reason", "again").code == 2
    assert cli("audit", "verify").code == 0


def test_consent_must_cover_the_replica_kind(workspace: Path, cli: Cli) -> None:
    path = workspace / "m.yaml"
    path.write_text(CONSENT_CASE)
    cli("import", path)
    assert cli("consent", "add", "ava", "UC-2", "--replica", "voice").code == 0
    consent = next(
        o for o in status_of(cli)["UC-2"]["obligations"] if o["obligation"] == "talent-consent"
    )
    assert not consent["met"] and "does not cover a likeness replica" in consent["why"]


def test_attachments_are_content_addressed_and_checked(workspace: Path, cli: Cli) -> None:
    path = workspace / "m.yaml"
    path.write_text(MINIMAL)
    cli("import", path)
    mail = workspace / "report.eml"
    mail.write_text("From: production\nSubject: GenAI use report\n")
    assert cli("report-use", "UC-1", "--contact", "J. Park", "--attach", mail).code == 0
    import hashlib

    sha = hashlib.sha256(mail.read_bytes()).hexdigest()
    stored = workspace / "attachments" / sha[:2] / sha[2:]
    assert stored.read_bytes() == mail.read_bytes()
    assert status_of(cli)["UC-1"]["cleared"] is True
    stored.write_text("tampered")
    state = status_of(cli)["UC-1"]
    assert not state["cleared"] and "attachment altered" in state["obligations"][0]["why"]
    verify = cli("audit", "verify")
    assert verify.code == 1 and f"attachment:{sha}: file altered" in verify.stdout
    stored.unlink()
    assert "attachment missing" in status_of(cli)["UC-1"]["obligations"][0]["why"]


def test_malformed_evidence_is_refused_and_nothing_is_written(workspace: Path, cli: Cli) -> None:
    path = workspace / "m.yaml"
    path.write_text(CONSENT_CASE)
    cli("import", path)
    before = events(cli)
    cases = [
        (("approve", "UC-9", "--approver", "x"), "unknown use case 'UC-9'"),
        (("consent", "add", "bob", "UC-2"), "'bob' is not a performer of UC-2"),
        (("consent", "add", "ava", "UC-1"), "'ava' is not a performer of UC-1"),
        (("approve", "UC-2", "--approver", "x", "--date", "2026-05-01", "--expires", "2026-01-01"),
         "expires (2026-01-01) is before date (2026-05-01)"),
        (("approve", "UC-2", "--approver", "x", "--attach", "missing.pdf"), "no such file"),
        (("approve", "UC-2", "--approver", "x", "--date", "01/05/2026"), "date"),
        (("report-use", "UC-2", "--contact", "x", "--production", "nope"), "no production 'nope'"),
    ]  # fmt: skip
    for args, message in cases:
        run = cli(*args)
        assert run.code == 2, (args, run.stdout, run.stderr)
        assert message in run.stderr, (args, run.stderr)
    assert events(cli) == before
    assert not (workspace / "attachments").exists() or not any(
        (workspace / "attachments").iterdir()
    )


def test_commands_without_a_register_explain_what_to_do(
    cli: Cli, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLEARANCE_DATABASE_URL", raising=False)
    run = cli("status")
    assert run.code == 2 and "run `clearance init`" in run.stderr


def test_status_table_names_who_acts_next(workspace: Path, cli: Cli) -> None:
    cli("import", EXAMPLE)
    run = cli("status", "--open")
    assert run.code == 1
    assert "studio contact" in run.stdout and "0 of 22 use cases cleared" in run.stdout


def test_schema_revision_constant_is_alembic_head() -> None:
    from clearance.register import db

    assert db.head_revision() == db.SCHEMA_REVISION


def test_use_cases_left_out_of_the_manifest_are_withdrawn(workspace: Path, cli: Cli) -> None:
    both = workspace / "both.yaml"
    both.write_text(CONSENT_CASE)
    one = workspace / "one.yaml"
    one.write_text(MINIMAL)
    cli("import", both)
    assert cli("report-use", "UC-1", "--contact", "x").code == 0
    run = cli("import", one)
    assert "Withdrawn" in run.stdout and "UC-2" in run.stdout
    assert set(status_of(cli)) == {"UC-1"}
    assert cli("status").code == 0  # the only remaining use case is cleared
    assert "nothing written" in cli("import", one).stdout
    cli("import", both)
    assert set(status_of(cli)) == {"UC-1", "UC-2"}
    assert cli("audit", "verify").code == 0
    actions = [
        e["action"]
        for e in json.loads(cli("audit", "log", "--subject", "UC-2", "--format", "json").stdout)
    ]
    assert "use-case.withdraw" in actions and "use-case.return" in actions


def test_a_populated_register_migrates_down_and_up(
    workspace: Path, cli: Cli, database_url: str
) -> None:
    from clearance.register import db

    assert cli("import", EXAMPLE).code == 0
    assert cli("report-use", "UC-001", "--contact", "x").code == 0
    before = status_of(cli)
    engine = db.connect(database_url)
    try:
        db.downgrade(engine, "0001")
        assert db.current_revision(engine) == "0001"
        assert cli("status").code == 2  # an old schema is refused, with the way out
        db.upgrade(engine)
        assert db.current_revision(engine) == db.SCHEMA_REVISION
    finally:
        engine.dispose()
    assert status_of(cli) == before
    assert cli("audit", "verify").code == 0
