"""Faults as they happen: a full disk (a real ``ulimit -f``), ``kill -9``, a corrupt or
unreachable database, eight ``init`` at once — on SQLite and PostgreSQL. Each ends with a
clear message and exit code 2 (or the command's verdict), the register unchanged, the audit
trail verifying, and no earlier file lost."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Run
from tests.hostile_cases import MINIMAL

Cli = Callable[..., Run]
EXE = Path(sys.executable).parent / "clearance"


def process(
    *args: str | Path,
    file_limit: int | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``clearance ARGS`` as a real process; ``file_limit``: ``ulimit -f`` in bytes."""

    def limit() -> None:
        if file_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    return subprocess.run(
        [str(EXE), *map(str, args)],
        capture_output=True,
        text=True,
        preexec_fn=limit,
        timeout=120,
        check=False,
        cwd=cwd,
        env=env,
    )


def verified(cli: Cli) -> dict[str, object]:
    result = json.loads(cli("audit", "verify", "--format", "json").stdout)
    assert result["ok"], result["problems"]
    return dict(result)


def clean(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-800:])
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr


@pytest.fixture
def recorded(workspace: Path, cli: Cli) -> Path:
    """A register with one use case and an approval carrying a 1 MiB attachment."""
    (workspace / "m.yaml").write_text(MINIMAL)
    assert cli("import", workspace / "m.yaml").code == 0
    document = workspace / "approval.pdf"
    document.write_bytes(os.urandom(1 << 20))
    run = cli("approve", "UC-1", "--approver", "legal", "--attach", document)
    assert run.code == 0, run.stderr
    return workspace


# -- export ---------------------------------------------------------------------------------


def test_export_on_a_full_disk_keeps_the_previous_export(recorded: Path, cli: Cli) -> None:
    target = recorded / "r.zip"
    first = cli("export", "-o", target)
    assert first.code == 0, first.stderr
    assert "Audit head:" in first.stdout
    before = target.read_bytes()
    proc = process("export", "-o", target, file_limit=256 << 10)
    clean(proc)
    assert "nothing was changed" in proc.stderr
    assert target.read_bytes() == before
    assert sorted(p.name for p in recorded.iterdir() if p.name.startswith(".r.zip")) == []


def test_kill_9_during_export_keeps_the_previous_export(recorded: Path, cli: Cli) -> None:
    big = recorded / "big.bin"
    big.write_bytes(os.urandom(32 << 20))  # deflating it takes long enough to be interrupted
    assert cli("approve", "UC-1", "--approver", "legal", "--attach", big).code == 0
    target = recorded / "r.zip"
    target.write_bytes(b"PK\x05\x06" + bytes(18))  # an (empty) earlier export
    before = target.read_bytes()
    proc = subprocess.Popen([str(EXE), "export", "-o", str(target)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not any(p.name.startswith(".r.zip.part") for p in recorded.iterdir()):
        assert time.monotonic() < deadline and proc.poll() is None, "export did not start"
        time.sleep(0.02)
    time.sleep(0.2)
    assert proc.poll() is None, "the export finished too soon to be interrupted"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert target.read_bytes() == before
    verified(cli)


def test_export_targets(recorded: Path, cli: Cli) -> None:
    existing = recorded / "notes.txt"
    existing.write_text("keep me")
    for target, why in (
        (existing, "is not an empty folder"),
        (recorded / "m.zip", None),
        (Path("/missing/x.zip"), "no such folder"),
    ):
        if why is None:
            target.write_text("not a zip")
            why = "not an export"
        run = cli("export", "-o", target)
        assert run.code == 2 and why in run.stderr, run.stderr
    assert existing.read_text() == "keep me"
    upper = recorded / "x.ZIP"
    assert cli("export", "-o", upper).code == 0
    assert zipfile.is_zipfile(upper)


# -- restore --------------------------------------------------------------------------------


def _fresh(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> dict[str, str]:
    """Environment for a second, empty register beside the fixture's."""
    folder = tmp_path / "second"
    folder.mkdir()
    env = {**os.environ, "CLEARANCE_ATTACHMENTS": str(folder / "store"), "TMPDIR": str(folder)}
    if backend == "sqlite":
        env["CLEARANCE_DATABASE_URL"] = f"sqlite:///{folder / 'r.db'}"
    else:
        cluster = request.getfixturevalue("postgres")
        env["CLEARANCE_DATABASE_URL"] = cluster.new_database(f"r{uuid.uuid4().hex[:12]}")
    assert process("init", cwd=folder, env=env).returncode == 0
    return env


def test_refused_restore_writes_nothing_and_checks_the_head(
    recorded: Path, cli: Cli, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    export = tmp_path / "r.zip"
    run = cli("export", "-o", export)
    head = verified(cli)["head"]
    assert str(head) in run.stdout
    # An export edited after the fact (a row changed, the chain left alone).
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(export) as src, zipfile.ZipFile(forged, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "register.json":
                data = data.replace(b"legal", b"LEGAL")
            dst.writestr(item, data)
    env = _fresh(tmp_path, backend, request)
    store = Path(env["CLEARANCE_ATTACHMENTS"])
    for source, extra, why in (
        (forged, [], "does not verify"),
        (export, ["--expect-head", "0" * 64], "not at the expected"),
        (tmp_path / "missing.zip", [], "no such file"),
    ):
        proc = process("restore", source, *extra, env=env)
        clean(proc)
        assert why in proc.stderr
        assert not [p for p in store.rglob("*") if p.is_file()], "a refused restore stored files"
        leftovers = [p for p in Path(env["TMPDIR"]).iterdir() if p.name.startswith("clearance")]
        assert leftovers == []
    proc = process("restore", export, "--expect-head", str(head), env=env)
    assert proc.returncode == 0, proc.stderr
    verify = process("audit", "verify", "--expect-head", str(head), env=env)
    assert verify.returncode == 0, verify.stdout
    assert process("audit", "verify", "--expect-head", "f" * 64, env=env).returncode == 1


# -- attachments and imports on a full disk -------------------------------------------------


def test_attach_on_a_full_disk_records_nothing_and_leaves_nothing(recorded: Path, cli: Cli) -> None:
    before = verified(cli)
    store = recorded / "attachments"
    files = sorted(p for p in store.rglob("*") if p.is_file())
    big = recorded / "big.pdf"
    big.write_bytes(os.urandom(8 << 20))
    proc = process(
        "approve", "UC-1", "--approver", "x", "--attach", big, file_limit=4 << 20, cwd=recorded
    )
    clean(proc)
    assert "disk is full" in proc.stderr
    assert verified(cli)["events"] == before["events"]
    assert sorted(p for p in store.rglob("*") if p.is_file()) == files


def test_leftover_copies_are_reported_and_swept(recorded: Path, cli: Cli) -> None:
    from clearance.register import attachments

    store = recorded / "attachments"
    leftover = store / f"{attachments.TEMP_PREFIX}4242-abc"  # what kill -9 mid-copy leaves
    leftover.write_bytes(b"x" * 1000)
    result = verified(cli)
    assert result["leftovers"] == [str(leftover)]
    assert "temporary file" in cli("audit", "verify").stdout
    old = time.time() - attachments.STALE_SECONDS - 60
    os.utime(leftover, (old, old))
    other = recorded / "other.pdf"
    other.write_bytes(b"another document")
    assert cli("approve", "UC-1", "--approver", "x", "--attach", other).code == 0
    assert not leftover.exists(), "an old leftover is swept by the next copy"


def test_import_on_a_full_disk_is_all_or_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.chdir(tmp_path)
    for key in ("CLEARANCE_DATABASE_URL", "CLEARANCE_ATTACHMENTS"):
        monkeypatch.delenv(key, raising=False)
    assert cli("init").code == 0
    from tests.test_reliability import big_manifest

    manifest = big_manifest(tmp_path, 2000)
    database = tmp_path / ".clearance" / "register.db"
    proc = process("import", manifest, file_limit=database.stat().st_size + (256 << 10))
    clean(proc)
    assert "database failed" in proc.stderr  # SQLite reports the refused write as an I/O error
    assert verified(cli)["events"] == 0
    assert cli("import", manifest).code == 0


# -- the register's database itself ------------------------------------------------------------


def test_corrupt_truncated_or_unreachable_databases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLEARANCE_DATABASE_URL", raising=False)
    monkeypatch.delenv("CLEARANCE_ATTACHMENTS", raising=False)
    assert cli("init").code == 0
    (tmp_path / "m.yaml").write_text(MINIMAL)
    assert cli("import", "m.yaml").code == 0
    database = tmp_path / ".clearance" / "register.db"
    good = database.read_bytes()
    cases: list[tuple[str, Callable[[], object]]] = [
        ("not a database", lambda: database.write_bytes(b"garbage" * 1000)),
        ("truncated", lambda: database.write_bytes(good[:1000])),
    ]
    for why, damage in cases:
        damage()
        for argv in (["status"], ["init"], ["audit", "verify"], ["export", "-o", "x.zip"]):
            run = cli(*argv)
            assert run.code == 2, (why, argv, run.stderr)
            assert "run `clearance init`" not in run.stderr, (why, argv)
            assert "cannot open" in run.stderr or "database" in run.stderr, run.stderr
        database.write_bytes(good)
    for url in ("postgresql+psycopg://nobody@127.0.0.1:1/none", "bogus", "mysql://x/y"):
        monkeypatch.setenv("CLEARANCE_DATABASE_URL", url)
        monkeypatch.setenv("CLEARANCE_ATTACHMENTS", str(tmp_path / "store"))
        for argv in (["status"], ["init"]):
            run = cli(*argv)
            assert run.code == 2 and ("register" in run.stderr or "database" in run.stderr)
            assert "run `clearance init`" not in run.stderr, (url, argv, run.stderr)


def test_bad_config_and_bad_init_targets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLEARANCE_DATABASE_URL", raising=False)
    monkeypatch.delenv("CLEARANCE_ATTACHMENTS", raising=False)
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    run = cli("init", a_file)
    assert run.code == 2 and "not a folder" in run.stderr
    assert cli("init").code == 0
    config = tmp_path / ".clearance" / "config.toml"
    for content, why in ((b"actor = \xff\xfe\n", "UTF-8"), (b"actor = [\n", "invalid TOML")):
        config.write_bytes(content)
        (tmp_path / "m.yaml").write_text(MINIMAL)
        for argv in (["status"], ["check", "m.yaml"], ["init"]):
            run = cli(*argv)
            assert run.code == 2 and why in run.stderr, (argv, run.stderr)


def test_eight_inits_at_once(tmp_path: Path, database_url: str) -> None:
    folder = tmp_path / "fresh"
    folder.mkdir()
    env = dict(os.environ)
    if database_url.startswith("sqlite"):
        env.pop("CLEARANCE_DATABASE_URL", None)
        env.pop("CLEARANCE_ATTACHMENTS", None)
    else:
        env["CLEARANCE_DATABASE_URL"] = database_url
        env["CLEARANCE_ATTACHMENTS"] = str(folder / "store")
    procs = [
        subprocess.Popen(
            [str(EXE), "init", str(folder)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(8 if database_url.startswith("sqlite") else 4)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * len(procs), [err for _, err in outs]


def test_a_large_attachment_is_copied_outside_the_write_lock(recorded: Path, cli: Cli) -> None:
    """Another writer is not held up while ``approve --attach`` copies and hashes a big file:
    the copy runs before the write lock is taken."""
    big = recorded / "big.mov"
    with big.open("wb") as handle:
        handle.truncate(512 << 20)  # sparse: costs no disk to make, full price to copy and hash
    store = recorded / "attachments"
    approve = subprocess.Popen(
        [str(EXE), "approve", "UC-1", "--approver", "x", "--attach", str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not any(store.glob(".partial-*")):
        assert time.monotonic() < deadline and approve.poll() is None, "the copy did not start"
        time.sleep(0.01)
    run = cli("report-use", "UC-1", "--contact", "studio")
    still_copying = approve.poll() is None
    _out, err = approve.communicate(timeout=120)
    assert run.code == 0, run.stderr
    assert approve.returncode == 0, err
    assert still_copying, "the copy ended before the other write: nothing was shown"
    verified(cli)


def test_postgresql_connection_lost_mid_import(
    workspace: Path, cli: Cli, backend: str, database_url: str
) -> None:
    """The server drops the connection in the middle of an import (as a restart does): one
    line, exit 2, no SQL or parameters printed, nothing half-written."""
    if backend != "postgresql":
        pytest.skip("a server connection is PostgreSQL's")
    from sqlalchemy import create_engine, text

    from tests.test_reliability import big_manifest

    manifest = big_manifest(workspace, 3000)
    proc = subprocess.Popen([str(EXE), "import", str(manifest)], stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    assert proc.stderr.readline().startswith("Recording")
    time.sleep(0.3)
    assert proc.poll() is None, "the import finished too soon to be interrupted"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    admin.dispose()
    rest = proc.stderr.read()
    proc.wait(timeout=60)
    assert proc.returncode == 2, rest
    assert "Traceback" not in rest and "[SQL:" not in rest and "parameters" not in rest, rest
    assert "database" in rest
    result = verified(cli)
    assert result["events"] == 0


def test_output_to_a_device_writes_into_it_never_replaces_it(
    workspace: Path, cli: Cli, tmp_path: Path
) -> None:
    """`-o /dev/null` or `-o /dev/full` (here: the same devices made under the test's folder)
    is written into, as `cp` does; a full device is exit 2; the node stays a device."""
    import stat

    (workspace / "m.yaml").write_text(MINIMAL)
    assert cli("import", workspace / "m.yaml").code == 0
    null, full = tmp_path / "null", tmp_path / "full"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    assert cli("manifest", "export", "-o", null).code == 0
    run = cli("manifest", "export", "-o", full)
    assert run.code == 2 and "No space left" in run.stderr, run.stderr
    for device in (null, full):
        assert stat.S_ISCHR(device.lstat().st_mode), f"{device.name} was replaced by a file"
