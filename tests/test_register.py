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
    manifest = workspace / "manifest.yaml"
    manifest.write_text(CONSENT_CASE)
    cli("import", manifest)
    assert cli("report-use", "UC-1", "--contact", "x").code == 0
    manifest.write_text(MINIMAL)
    run = cli("import", manifest)
    assert "Withdrawn" in run.stdout and "UC-2" in run.stdout
    assert set(status_of(cli)) == {"UC-1"}
    assert cli("status").code == 0  # the only remaining use case is cleared
    assert "nothing written" in cli("import", manifest).stdout
    manifest.write_text(CONSENT_CASE)
    cli("import", manifest)
    assert set(status_of(cli)) == {"UC-1", "UC-2"}
    assert cli("audit", "verify").code == 0
    actions = [
        e["action"]
        for e in json.loads(cli("audit", "log", "--subject", "UC-2", "--format", "json").stdout)
    ]
    assert "use-case.withdraw" in actions and "use-case.return" in actions


def test_an_import_never_withdraws_what_another_manifest_or_the_web_declared(
    workspace: Path, cli: Cli
) -> None:
    """Regression (issue 10): importing the unchanged manifest withdrew a use case declared
    in the web app. Only the manifest that brought a use case in may withdraw it."""
    from clearance.policy import Engine, resolve
    from clearance.register.access import open_register

    main = workspace / "manifest.yaml"
    main.write_text(MINIMAL)
    assert cli("import", main).code == 0
    web_case = load_manifest_text(workspace, CONSENT_CASE)
    web_only = web_case.model_copy(
        update={"use_cases": [u for u in web_case.use_cases if u.id == "UC-2"]}
    )
    with open_register("web user") as (register, _ws):
        engine = Engine([resolve(p) for p in web_only.production.policies])
        register.import_manifest(web_only, engine, partial=True)
    run = cli("import", main)
    assert "Withdrawn" not in run.stdout and "Kept" in run.stdout and "UC-2" in run.stdout
    assert "nothing written" in run.stdout
    assert set(status_of(cli)) == {"UC-1", "UC-2"}
    # A second manifest (a vendor's) keeps its own use cases and leaves the others alone.
    vendor = workspace / "vendor.yaml"
    vendor.write_text(CONSENT_CASE.replace("UC-1", "UC-9").replace("UC-2", "UC-8"))
    assert cli("import", vendor).code in (0, 1)
    vendor.write_text(MINIMAL.replace("UC-1", "UC-9"))
    run = cli("import", vendor)
    assert "Withdrawn" in run.stdout and "UC-8" in run.stdout
    assert set(status_of(cli)) == {"UC-1", "UC-2", "UC-9"}
    assert cli("audit", "verify").code == 0


def load_manifest_text(folder: Path, text: str) -> Any:
    from clearance.manifest.loader import load_manifest

    path = folder / "in-memory.yaml"
    path.write_text(text)
    try:
        return load_manifest(path)
    finally:
        path.unlink()


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


def test_manifest_export_writes_the_register_back_as_a_valid_manifest(
    workspace: Path, cli: Cli
) -> None:
    """Web-declared and imported use cases come back as one manifest that imports with no
    new revision, so the file and the app agree (issue 10)."""
    import yaml

    from clearance.manifest.loader import load_manifest
    from clearance.manifest.models import Manifest
    from clearance.policy import Engine, resolve
    from clearance.register.access import open_register
    from clearance.register.manifest_export import production_manifest

    assert cli("import", EXAMPLE).code in (0, 1)
    extra = load_manifest_text(workspace, CONSENT_CASE)
    with open_register("web user") as (register, _ws):
        with register.read() as conn:  # as the web intake does: the production's context
            data = production_manifest(conn, "neon-harbor-s1", use_cases=False)
        data["tools"].append(extra.tools[0].model_dump(mode="json"))
        data["talent"].append(extra.talent[0].model_dump(mode="json"))
        data["use_cases"] = [extra.use_cases[1].model_dump(mode="json")]
        web_only = Manifest.model_validate(data)
        register.import_manifest(
            web_only, Engine([resolve(p) for p in web_only.production.policies]), partial=True
        )
    out = workspace / "exported.yaml"
    run = cli("manifest", "export", "-o", out)
    assert run.code == 0, run.stderr
    manifest = load_manifest(out)
    original = load_manifest(EXAMPLE)
    assert [u.id for u in manifest.use_cases] == [u.id for u in original.use_cases] + ["UC-2"]
    assert manifest.production.policies == original.production.policies
    assert manifest.production.title == original.production.title
    assert {t.id for t in manifest.tools} >= {t.id for t in original.tools if any(
        t.id in u.tools for u in original.use_cases)}  # fmt: skip
    assert manifest.use_cases[0] == original.use_cases[0]
    run = cli("import", out)
    assert "0 new, 0 revised" in run.stdout and "Withdrawn" not in run.stdout
    assert "UC-2" in run.stdout  # now recorded as this manifest's
    as_json = cli("manifest", "export", "--format", "json")
    assert as_json.code == 0
    assert json.loads(as_json.stdout)["use_cases"][-1]["id"] == "UC-2"
    assert yaml.safe_load(out.read_text())["version"] == 1
    assert cli("audit", "verify").code == 0


def test_every_command_asks_which_production_when_the_register_holds_several(
    workspace: Path, cli: Cli, tmp_path: Path
) -> None:
    """One picker for every command: several productions and no --production is exit 2
    (a scan used as a CI gate no longer reconciles nothing and passes)."""
    assert cli("import", EXAMPLE).code in (0, 1)
    second = workspace / "second.yaml"
    second.write_text(MINIMAL)
    assert cli("import", second).code in (0, 1)
    deliverables = tmp_path / "deliverables"
    deliverables.mkdir()
    (deliverables / "note.txt").write_text("plain")
    for args in (
        ("status",),
        ("scan", str(deliverables)),
        ("manifest", "export"),
        ("report-use", "UC-1", "--contact", "x"),
    ):
        run = cli(*args)
        assert run.code == 2, args
        assert "--production" in run.stderr and "neon-harbor-s1" in run.stderr, args
    assert cli("status", "--production", "test-prod").code in (0, 1)
    assert cli("scan", str(deliverables), "--production", "test-prod").code == 0


def test_status_summarises_in_the_terminal_and_lists_everything_on_request(
    workspace: Path, cli: Cli
) -> None:
    """The default table is a summary plus the first open use cases (bounded, whatever the
    production's size); --all lists every obligation; JSON carries the same summary."""
    assert cli("import", EXAMPLE).code in (0, 1)
    assert cli("report-use", "UC-001", "--contact", "x").code == 0
    payload = json.loads(cli("status", "--format", "json").stdout)
    summary = payload["summary"]
    assert summary["use_cases"] == 22 == len(payload["use_cases"])
    assert sum(summary["outcomes"].values()) == 22
    opened = [u for u in payload["use_cases"] if not u["cleared"]]
    assert summary["cleared"] == 22 - len(opened)
    assert summary["open_obligations"] == sum(len(u["open"]) for u in payload["use_cases"])
    assert summary["open_by_obligation"]["report-use"] == 21  # UC-001 was reported
    first = payload["use_cases"][0]
    assert first["open"] == [o["obligation"] for o in first["obligations"] if not o["met"]]

    short = cli("status", "--limit", "2")
    assert short.code == 1
    assert "Open obligations" in short.stdout and "Who must act" in short.stdout
    assert f"and {len(opened) - 2:,} more" in short.stdout
    shown_ids = {u["id"] for u in opened[:2]}
    assert all(i in short.stdout for i in shown_ids)
    assert opened[5]["id"] not in short.stdout
    full = cli("status", "--all")
    assert all(u["id"] in full.stdout for u in payload["use_cases"])
    assert "0 of 22" not in full.stdout and f"{summary['cleared']} of 22" in full.stdout


def test_an_import_does_not_revert_a_use_case_edited_in_the_web_app(
    workspace: Path, cli: Cli
) -> None:
    """A use case edited in the web app (changes requested → a new revision) is not put back
    to its old content by re-importing the manifest that first declared it."""
    from clearance.manifest.models import Manifest
    from clearance.policy import Engine, resolve
    from clearance.register.access import open_register
    from clearance.register.manifest_export import production_manifest

    manifest = workspace / "manifest.yaml"
    manifest.write_text(MINIMAL)
    assert cli("import", manifest).code in (0, 1)
    with open_register("web user") as (register, _ws):
        with register.read() as conn:
            data = production_manifest(conn, "test-prod")
        data["use_cases"][0]["title"] = "Mood boards, as the reviewer asked"
        edited = Manifest.model_validate(data)
        register.import_manifest(
            edited, Engine([resolve(p) for p in edited.production.policies]), partial=True
        )
    run = cli("import", manifest)
    assert "Not changed" in run.stdout and "UC-1" in run.stdout, run.stdout
    assert status_of(cli)["UC-1"]["revision"] == 2
    assert status_of(cli)["UC-1"]["title"] == "Mood boards, as the reviewer asked"
    exported = workspace / "exported.yaml"
    assert cli("manifest", "export", "-o", exported).code == 0
    again = cli("import", exported)
    assert "0 new, 0 revised" in again.stdout and "Not changed" not in again.stdout
    manifest.write_text(MINIMAL.replace("title: Mood boards", "title: Mood boards v3"))
    newer = cli("import", manifest)  # new content in the file: a revision, as always
    assert "1 revised" in newer.stdout, newer.stdout
    assert status_of(cli)["UC-1"]["revision"] == 3
    assert cli("audit", "verify").code == 0
