"""The audit trail detects tampering through raw SQL; export and restore reproduce it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import Run
from tests.support import EXAMPLE

Cli = Callable[..., Run]


def seeded(cli: Cli, workspace: Path) -> None:
    assert cli("import", EXAMPLE).code == 0
    note = workspace / "approval.pdf"
    note.write_bytes(b"%PDF signed")
    assert cli("approve", "UC-011", "--approver", "Studio", "--attach", note).code == 0
    assert cli("report-use", "UC-001", "--contact", "J. Park").code == 0
    assert cli("audit", "verify").code == 0


def raw(database_url: str, *statements: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


TAMPERING = {
    "edit an evidence row": (
        ["UPDATE evidence SET expires = '2099-01-01' WHERE kind = 'written-approval'"],
        "differs from its last audited state — edited",
    ),
    "edit an audit event": (
        ["UPDATE audit_events SET actor = 'someone else' WHERE seq = 3"],
        "event 3: its content does not match its hash — edited",
    ),
    "delete an audit event": (
        ["DELETE FROM audit_events WHERE seq = 5"],
        "event 5: missing",
    ),
    "delete the newest audit event": (
        ["DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)"],
        "the chain ends at event",
    ),
    "insert an evidence row": (
        [
            "INSERT INTO evidence (id, production_id, kind, scope, date, details, "
            "recorded_against, recorded_by, recorded_at) VALUES ('EV-FORGED', 'neon-harbor-s1', "
            "'written-approval', '[\"UC-014\"]', '2026-01-01', '{}', '{}', 'x', 'x')"
        ],
        "evidence:EV-FORGED: not in the audit trail — inserted",
    ),
    "delete an evidence row": (
        ["DELETE FROM evidence WHERE kind = 'report-use'"],
        "in the audit trail but missing — deleted",
    ),
    "edit a decision": (
        ["UPDATE decisions SET outcome = 'proceed' WHERE outcome = 'escalate'"],
        "differs from its last audited state — edited",
    ),
}


@pytest.mark.parametrize("how", list(TAMPERING))
def test_audit_verify_detects_tampering(
    how: str, workspace: Path, cli: Cli, database_url: str
) -> None:
    seeded(cli, workspace)
    statements, expected = TAMPERING[how]
    raw(database_url, *statements)
    run = cli("audit", "verify")
    assert run.code == 1
    assert expected in run.stdout, run.stdout


def test_audit_log_filters(workspace: Path, cli: Cli) -> None:
    seeded(cli, workspace)
    evidence = json.loads(cli("audit", "log", "--action", "evidence.", "--format", "json").stdout)
    assert [e["action"] for e in evidence] == ["evidence.written-approval", "evidence.report-use"]
    assert {e["actor"] for e in evidence} == {"test-runner"}
    one = json.loads(cli("audit", "log", "--subject", "UC-014", "--format", "json").stdout)
    assert one and all("UC-014" in e["subject"] for e in one)
    last = json.loads(cli("audit", "log", "--limit", "1", "--format", "json").stdout)
    assert len(last) == 1 and last[0]["action"] == "evidence.report-use"
    by_as = cli("report-use", "UC-002", "--contact", "x", "--as", "Dana (post supervisor)")
    assert by_as.code == 0
    who = json.loads(
        cli("audit", "log", "--actor", "Dana (post supervisor)", "--format", "json").stdout
    )
    assert len(who) == 1


@pytest.mark.parametrize("archive", ["zip", "folder"])
def test_export_then_restore_into_an_empty_register_verifies(
    archive: str,
    backend: str,
    workspace: Path,
    cli: Cli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    seeded(cli, workspace)
    target = tmp_path / ("export.zip" if archive == "zip" else "export")
    assert cli("export", "-o", target).code == 0
    status_before = json.loads(cli("status", "--format", "json").stdout)
    head_before = json.loads(cli("audit", "verify", "--format", "json").stdout)["head"]

    # Restore into a new, empty register on the other backend.
    other = tmp_path / "restored"
    other.mkdir()
    monkeypatch.chdir(other)
    if backend == "postgresql":
        url = f"sqlite:///{other / 'r.db'}"
    else:
        url = request.getfixturevalue("postgres").new_database(f"r{uuid.uuid4().hex[:12]}")
    monkeypatch.setenv("CLEARANCE_DATABASE_URL", url)
    monkeypatch.setenv("CLEARANCE_ATTACHMENTS", str(other / "attachments"))
    assert cli("init").code == 0
    run = cli("restore", target)
    assert run.code == 0, run.stderr
    verify = json.loads(cli("audit", "verify", "--format", "json").stdout)
    assert verify["ok"] and verify["head"] == head_before
    assert json.loads(cli("status", "--format", "json").stdout) == status_before
    assert cli("restore", target).code == 2  # not into a register that holds data
    # The restored register keeps working: new writes extend the same chain.
    assert cli("report-use", "UC-003", "--contact", "x").code == 0
    changed = tmp_path / "changed.yaml"
    changed.write_text(EXAMPLE.read_text().replace("Harbor district mood boards", "Mood boards v2"))
    run = cli("import", changed)
    assert run.code == 0 and "1 revised" in run.stdout, run.stderr
    assert cli("audit", "verify").code == 0


def test_restore_refuses_a_tampered_or_broken_export(
    workspace: Path, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded(cli, workspace)
    export = tmp_path / "export"
    assert cli("export", "-o", export).code == 0
    data = json.loads((export / "register.json").read_text())
    data["tables"]["evidence"][0]["scope"] = '["UC-014"]'
    (export / "register.json").write_text(json.dumps(data))
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    other = tmp_path / "restored"
    other.mkdir()
    monkeypatch.chdir(other)
    monkeypatch.setenv("CLEARANCE_DATABASE_URL", f"sqlite:///{other / 'r.db'}")
    monkeypatch.setenv("CLEARANCE_ATTACHMENTS", str(other / "attachments"))
    assert cli("init").code == 0
    tampered = cli("restore", export)
    assert tampered.code == 2 and "does not verify" in tampered.stderr
    assert cli("restore", broken).code == 2
    assert json.loads(cli("audit", "verify", "--format", "json").stdout)["events"] == 0


def test_a_damaged_attachment_is_repaired_by_attaching_the_original(
    workspace: Path, cli: Cli
) -> None:
    seeded(cli, workspace)
    import hashlib

    original = workspace / "approval.pdf"
    sha = hashlib.sha256(original.read_bytes()).hexdigest()
    stored = workspace / "attachments" / sha[:2] / sha[2:]
    stored.write_text("damaged")
    assert cli("audit", "verify").code == 1
    assert cli("approve", "UC-012", "--approver", "Studio", "--attach", original).code == 0
    assert stored.read_bytes() == original.read_bytes()
    assert cli("audit", "verify").code == 0
    upper = json.loads(cli("audit", "log", "--subject", "uc-014", "--format", "json").stdout)
    assert upper  # subject filters ignore case on both databases
