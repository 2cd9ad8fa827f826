"""Bad input, every command: exit code 2 (or a documented verdict), one clear message, no
traceback, no hang, bounded memory, nothing written — on SQLite and PostgreSQL.

The table of inputs is ``tests/hostile_cases.py`` (also run as real processes by
``bench/hostile.py`` for the README's figures). Each case runs under a deadline; the cases
that once grew without bound or blocked (``/dev/zero``, a FIFO, an OTIO file nested 100,000
deep, a zip bomb) also run as real processes under a memory limit.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Run
from tests.hostile_cases import (
    CONTENTS,
    FILE_COMMANDS,
    MINIMAL,
    OPTION_CASES,
    REGISTER_COMMANDS,
    SPECIAL,
    Command,
    make_input,
)

Cli = Callable[..., Run]
DEADLINE_S = 20
KINDS = [*CONTENTS, *SPECIAL]
#: Inputs that are valid for some commands: any verdict (0, 1 or 2) is fine, as long as it
#: is clean. Every other input must be refused with exit code 2.
MAY_PASS = {"many-keys", "edl-garbage", "long-line", "whitespace", "binary"}


class Hang(BaseException):
    """Raised by the deadline's alarm (a BaseException: no command may swallow it)."""


@contextmanager
def deadline(seconds: int = DEADLINE_S) -> Iterator[None]:
    def alarm(_signum: int, _frame: object) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def problems_of(run: Run, expected: set[int]) -> list[str]:
    """What is wrong with how a command ended, if anything."""
    found = []
    text = run.stdout + run.stderr
    if run.code not in expected:
        found.append(f"exit {run.code}, expected {sorted(expected)}")
    if "Traceback" in text or "internal error" in text:
        found.append("traceback: " + text[-300:])
    if "\x1b" in text or "\x07" in text:
        found.append("a control character reached the terminal")
    if run.code == 2 and not run.stderr.strip():
        found.append("refused without saying why")
    return found


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` (not following links): size and modification time."""
    seen = {}
    for root, dirs, files in os.walk(folder):
        for name in files + dirs:
            path = Path(root) / name
            info = path.lstat()
            seen[str(path.relative_to(folder))] = (info.st_size, info.st_mtime_ns)
    return seen


def run_table(cli: Cli, command: Command, folder: Path) -> list[str]:
    failures = []
    for suffix in command.suffixes:
        for kind in KINDS:
            if kind in command.valid:
                continue
            target = make_input(folder, kind, suffix)
            argv = command.args(target, folder)
            before = snapshot(folder)
            try:
                with deadline():
                    run = cli(*argv)
            except Hang as exc:
                failures.append(f"{command.name} {kind}{suffix}: hang ({exc})")
                continue
            expected = {0, 1, 2} if kind in MAY_PASS else {2}
            failures += [f"{command.name} {kind}{suffix}: {p}" for p in problems_of(run, expected)]
            if snapshot(folder) != before:
                failures.append(f"{command.name} {kind}{suffix}: wrote files")
    return failures


@pytest.mark.parametrize("command", FILE_COMMANDS, ids=[c.name for c in FILE_COMMANDS])
def test_hostile_files(
    command: Command, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLEARANCE_DATABASE_URL", raising=False)
    assert run_table(cli, command, tmp_path) == []


def audit_state(cli: Cli) -> tuple[int, str]:
    verify = json.loads(cli("audit", "verify", "--format", "json").stdout)
    assert verify["ok"], verify["problems"]
    return verify["events"], verify["head"]


def test_hostile_files_on_a_register(workspace: Path, cli: Cli) -> None:
    """import, restore, approve --attach, cut add: refused with nothing written (the trail and
    the attachment store unchanged) on both backends."""
    store = workspace / "attachments"
    store.mkdir(exist_ok=True)
    inputs = workspace / "inputs"
    inputs.mkdir()
    failures: list[str] = []
    # restore first: it reads its input only into an empty register
    restores = [c for c in REGISTER_COMMANDS if c.name == "restore"]
    others = [c for c in REGISTER_COMMANDS if c.name != "restore"]
    for command in restores:
        failures += run_table(cli, command, inputs)
    assert audit_state(cli)[0] == 0, "a refused restore wrote to the register"
    assert not any(p.is_file() for p in store.rglob("*")), "a refused restore stored files"
    (workspace / "valid.yaml").write_text(MINIMAL)
    assert cli("import", workspace / "valid.yaml").code == 0
    state = audit_state(cli)
    for command in others:
        before = snapshot(store)
        failures += run_table(cli, command, inputs)
        if audit_state(cli) != state:
            failures.append(f"{command.name}: wrote to the register")
        if snapshot(store) != before:
            failures.append(f"{command.name}: wrote to the attachment store")
    assert failures == []


def test_hostile_options(workspace: Path, cli: Cli, tmp_path: Path) -> None:
    (workspace / "valid.yaml").write_text(MINIMAL)
    assert cli("import", workspace / "valid.yaml").code == 0
    state = audit_state(cli)
    store = workspace / "attachments"
    store.mkdir(exist_ok=True)
    stored = snapshot(store)
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    failures = []
    for argv, why in OPTION_CASES:
        argv = [str(a_file) if a == "MINIMAL_FILE" else a for a in argv]
        with deadline():
            run = cli(*argv)
        failures += [f"{argv} ({why}): {p}" for p in problems_of(run, {2})]
    assert failures == []
    assert audit_state(cli) == state
    assert snapshot(store) == stored


# -- real processes: bounded memory and time ---------------------------------------------------

MEMORY_LIMIT = 1536 << 20


def run_bounded(*args: str | Path, cwd: Path, timeout: float = 60) -> Run:
    """The installed command as a process with at most ``MEMORY_LIMIT`` of address space."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    exe = Path(sys.executable).parent / "clearance"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLEARANCE_")}
    proc = subprocess.run(
        [str(exe), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        preexec_fn=limit,
        timeout=timeout,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.mark.parametrize(
    ("argv", "kind", "suffix"),
    [
        (["check", "{}", "--no-register"], "dev-zero", ".yaml"),
        (["check", "{}", "--no-register"], "fifo", ".yaml"),
        (["cuesheet", "{}", "--media", "."], "dev-zero", ".edl"),
        (["cuesheet", "{}", "--media", "."], "fifo", ".edl"),
        (["cuesheet", "{}", "--media", "."], "otio-deep", ".otio"),
        (["report", "-o", "out", "--edit", "{}", "--media", "."], "otio-deep", ".otio"),
        (["check", "{}", "--no-register"], "deep-json-array", ".json"),
    ],
    ids=lambda v: v if isinstance(v, str) else "-".join(v[:1]),
)
def test_no_growth_hang_or_crash_as_a_process(
    argv: list[str], kind: str, suffix: str, tmp_path: Path
) -> None:
    target = make_input(tmp_path, kind, suffix)
    run = run_bounded(*[a.replace("{}", str(target)) for a in argv], cwd=tmp_path)
    assert run.code == 2, (run.code, run.stderr[-500:])  # a signal would be negative
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()


def test_zip_bomb_restore_is_refused_in_bounded_memory(workspace: Path, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("register.json", "w", force_zip64=True) as raw,
    ):
        for _ in range(16):
            raw.write(b" " * (8 << 20))
    assert bomb.stat().st_size < 1 << 20
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    exe = Path(sys.executable).parent / "clearance"

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    proc = subprocess.run(
        [exe, "restore", bomb], capture_output=True, text=True, env=env, preexec_fn=limit,
        timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "zip bomb" in proc.stderr
    assert list(private_tmp.iterdir()) == []
    assert not any(p.is_file() for p in (workspace / "attachments").rglob("*"))


# -- generated inputs ----------------------------------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=40,
)
_manifest_like = st.fixed_dictionaries(
    {"version": _values, "production": _values},
    optional={"tools": _values, "talent": _values, "use_cases": _values, "extra": _values},
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.one_of(_manifest_like, _values), as_json=st.booleans())
def test_generated_documents_never_crash(
    data: object, as_json: bool, cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / ("m.json" if as_json else "m.yaml")
    path.write_text(json.dumps(data))  # JSON is YAML too: the YAML reader gets it as well
    with deadline():
        run = cli("check", path, "--no-register")
    assert problems_of(run, {0, 1, 2}) == []


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=400), suffix=st.sampled_from([".yaml", ".json", ".edl", ".otio"]))
def test_generated_bytes_never_crash(raw: bytes, suffix: str, cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / f"x{suffix}"
    path.write_bytes(raw)
    argv = (
        ["check", path, "--no-register"]
        if suffix in (".yaml", ".json")
        else ["cuesheet", path, "--media", tmp_path, "-f", "json"]
    )
    with deadline():
        run = cli(*argv)
    assert problems_of(run, {0, 1, 2}) == []


def _odd_exports() -> dict[str, object]:
    from clearance.register.db import SCHEMA_REVISION

    header = {"format": "clearance-register-export", "version": 1, "schema": SCHEMA_REVISION}
    head = {"seq": 0, "hash": "0" * 64}
    return {
        "not-an-object": [1, 2],
        "no-format": {"tables": {}},
        "other-schema": {**header, "schema": "9999", "audit_head": head, "tables": {}},
        "tables-a-list": {**header, "audit_head": head, "tables": []},
        "rows-not-objects": {**header, "audit_head": head, "tables": {"productions": [1]}},
        "unknown-column": {
            **header, "audit_head": head, "tables": {"productions": [{"nope": 1}]},
        },
        "wrong-types": {
            **header, "audit_head": head, "tables": {"productions": [{"id": [], "title": {}}]},
        },
        "no-audit-head": {**header, "tables": {}},
        "huge-seq": {**header, "audit_head": {"seq": 10**30, "hash": "x"}, "tables": {}},
        "forged-head": {**header, "audit_head": {"seq": 5, "hash": "f" * 64}, "tables": {}},
        "deep": {**header, "audit_head": head, "tables": {"productions": [{"id": [[[[[[[[[[[[[
            [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
        ]}]}},
        "attachment-missing": {
            **header, "audit_head": head,
            "tables": {"attachments": [{"sha256": "a" * 64, "size": 1, "name": "x",
                                        "stored_at": "2026-01-01T00:00:00Z"}]},
        },
        "attachment-bad-digest": {
            **header, "audit_head": head,
            "tables": {"attachments": [{"sha256": "../../etc/passwd", "size": 1, "name": "x",
                                        "stored_at": "2026-01-01T00:00:00Z"}]},
        },
    }  # fmt: skip


def test_odd_exports_are_refused_and_write_nothing(
    workspace: Path, cli: Cli, tmp_path: Path
) -> None:
    state = audit_state(cli)
    store = workspace / "attachments"
    failures = []
    for name, data in _odd_exports().items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "register.json").write_text(json.dumps(data))
        archive = tmp_path / f"{name}.zip"
        with zipfile.ZipFile(archive, "w") as out:
            out.writestr("register.json", json.dumps(data))
        for source in (folder, archive):
            with deadline():
                run = cli("restore", source)
            failures += [f"{source.name}: {p}" for p in problems_of(run, {2})]
    assert failures == []
    assert audit_state(cli) == state
    assert not any(p.is_file() for p in store.rglob("*"))


def test_names_from_the_input_never_drive_the_terminal(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """File names, clip names and titles with ESC sequences are shown escaped, in tables and
    in messages alike."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLEARANCE_DATABASE_URL", raising=False)
    media = tmp_path / "media"
    media.mkdir()
    (media / "evil\x1b[31mred\x1b]0;title\x07.png").write_bytes(b"")
    edl = tmp_path / "cut\x1b[2J.edl"
    edl.write_text(
        "TITLE: t\x1b]0;pwn\x07\nFCM: NON-DROP FRAME\n\n"
        "001  AX       V     C        00:00:00:00 00:00:01:00 01:00:00:00 01:00:01:00\n"
        "* FROM CLIP NAME: sh\x1b[2Jot.mov\n"
    )
    runs = [
        cli("scan", media, "--no-cache"),
        cli("cuesheet", edl, "--media", media),
        cli("check", media / "nope\x1b[2J.yaml"),
    ]
    for run in runs:
        assert run.code in (0, 1, 2) and "Traceback" not in run.stdout + run.stderr
        assert "\x1b" not in run.stdout + run.stderr, run.stdout + run.stderr
    assert "\\x1b" in runs[0].stdout + runs[1].stdout


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.one_of(
        st.text(max_size=12),
        st.integers(min_value=-(10**12), max_value=10**12).map(str),
        st.dates().map(lambda d: d.isoformat()),
        st.dates().map(lambda d: d.strftime("%Y%m%d")),
    )
)
def test_generated_dates_are_yyyy_mm_dd_or_refused(value: str, workspace: Path, cli: Cli) -> None:
    import datetime as dt
    import re

    if not (workspace / "valid.yaml").exists():
        (workspace / "valid.yaml").write_text(MINIMAL)
        assert cli("import", workspace / "valid.yaml").code == 0
    try:
        valid = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and (
            1900 <= dt.date.fromisoformat(value).year <= 2100  # the evidence model's range
        )
    except ValueError:
        valid = False
    with deadline():
        run = cli("report-use", "UC-1", "--contact", "x", "--date", value)
    assert problems_of(run, {0} if valid else {2}) == [], (value, run.stderr)
