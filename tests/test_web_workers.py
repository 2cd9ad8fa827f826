"""`clearance serve --workers N`: several server processes on one register, sharing what must
be shared (sessions, the login limit) through the database (issue 10)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import Run
from tests.support import EXAMPLE

EXE = Path(sys.executable).parent / "clearance"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(workspace: Path, cli: Callable[..., Run]) -> Iterator[str]:
    assert cli("import", EXAMPLE).code in (0, 1)
    password = workspace / "pw.txt"
    password.write_text("a-long-enough-password\n")
    with password.open() as stdin:
        added = subprocess.run(
            [str(EXE), "user", "add", "jpark", "--password-stdin"],
            stdin=stdin,
            capture_output=True,
            text=True,
            env=os.environ.copy(),
            check=False,
        )
    assert added.returncode == 0, added.stderr
    assert cli("user", "grant", "jpark", "neon-harbor-s1", "reviewer").code == 0
    port = _free_port()
    process = subprocess.Popen(
        [str(EXE), "serve", "--port", str(port), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"serve did not start: {process.stderr.read() if process.stderr else ''}"
                )
            time.sleep(0.2)
        assert len(_children(process.pid)) >= 2  # the worker processes
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        parent = re.search(r"^PPid:\s+(\d+)", text, re.M)
        if parent and int(parent.group(1)) == pid:
            found.append(int(status.parent.name))
    return found


def _sign_in(base: str, password: str) -> httpx.Response:
    client = httpx.Client(base_url=base, timeout=10)
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text
    data = {"username": "jpark", "password": password, "csrf_token": token.group(1), "next": "/"}
    return client.post("/login", data=data)


def test_several_processes_share_sessions_and_the_login_limit(served: str) -> None:
    good = _sign_in(served, "a-long-enough-password")
    assert good.status_code == 303
    cookies = dict(good.cookies)
    for _ in range(20):  # a session made by one process is honoured by every one
        page = httpx.get(f"{served}/", cookies=cookies, timeout=10)
        assert page.status_code == 200 and "neon-harbor-s1" in page.text
    failures = [_sign_in(served, "wrong password").status_code for _ in range(5)]
    assert failures == [401] * 5
    # Whichever process answers next, the five failures recorded by both count.
    blocked = [_sign_in(served, "wrong password").status_code for _ in range(4)]
    assert blocked == [429] * 4
    assert _sign_in(served, "a-long-enough-password").status_code == 429
