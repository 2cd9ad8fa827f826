"""A throwaway PostgreSQL server for tests: real, private, and gone when the tests end.

Why not Docker or a shared server: tests must run on a bare CI machine (as root), own all
of their state, and never collide with another server on a fixed port. Debian's
``postgresql`` package supplies the binaries; ``.ci/install-system-deps`` installs it.
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

SUPERUSER = "postgres"  # the database role that owns everything; trust auth, no password
SERVER_USER = "postgres"  # the system user the server runs as when we are root
TOOLS = ("initdb", "postgres", "createdb")
INSTALL_HINT = (
    "install Debian's `postgresql` package "
    "(apt-get install -y --no-install-recommends postgresql, or run .ci/install-system-deps)"
)


def find_bindir() -> Path:
    """The newest /usr/lib/postgresql/N/bin, else the directory of ``initdb`` on PATH.

    Debian keeps the server binaries off PATH, hence the first look; symlinks on PATH are
    resolved so that ``postgres`` is found beside the ``initdb`` they point to.
    """
    debian = sorted(
        (p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/postgres")),
        key=lambda b: [int(n) for n in re.findall(r"\d+", b.parent.name)],
        reverse=True,
    )
    on_path = [Path(found).resolve().parent for found in filter(None, [shutil.which("initdb")])]
    for bindir in [*debian, *on_path]:
        if all((bindir / tool).is_file() for tool in TOOLS):
            return bindir
    raise RuntimeError(f"PostgreSQL server binaries ({', '.join(TOOLS)}) not found: {INSTALL_HINT}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThrowawayCluster:
    """``with ThrowawayCluster() as pg: engine = create_engine(pg.url)``.

    The server listens on 127.0.0.1 only (a free port, no unix socket), trusts every local
    connection, and runs with fsync off: nothing in it is meant to survive. As root it runs
    as the ``postgres`` user (initdb and postgres refuse root). It is stopped on exit, at
    interpreter exit (atexit), and by the kernel if this process dies without either
    (``setpriv --pdeathsig``; start it from the thread that will outlive it).
    """

    def __init__(
        self, dbname: str = "test", *, bindir: Path | None = None, timeout: float = 30.0
    ) -> None:
        self.dbname, self.timeout = dbname, timeout
        self.bindir = bindir or find_bindir()
        self.root: Path | None = None
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._copy = ["--strategy=file_copy"]  # PG 15+: no WAL for the copy, ~40 ms not ~350
        # Our own PG* settings (PGHOST, PGOPTIONS, ...) must not steer the tools.
        self._env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the database made at start."""
        return self.url_for(self.dbname)

    def url_for(self, dbname: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def conninfo(self, dbname: str | None = None) -> str:
        """libpq URI (for psycopg.connect, psql) of ``dbname``, default the first database."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname or self.dbname}"

    def new_database(self, name: str) -> str:
        """Create an empty database (a copy of template1, tens of ms) and return its URL."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise ValueError(f"database name {name!r}: use [a-z_][a-z0-9_]*, at most 63 chars")
        if self._proc is None:
            raise RuntimeError("the cluster is not running")
        cmd: list[str | Path] = [self.bindir / "createdb", "-h", "127.0.0.1", "-p", str(self.port)]
        self._run([*cmd, "-U", SUPERUSER, *self._copy, name], as_server=False)
        return self.url_for(name)

    def start(self) -> ThrowawayCluster:
        """initdb into a fresh temp dir, start the server, wait until it is ready."""
        atexit.register(self.stop)  # before anything that can leave a server or files behind
        try:
            self.root = Path(tempfile.mkdtemp(prefix="pgcluster-"))
            if os.geteuid() == 0:
                try:
                    user = pwd.getpwnam(SERVER_USER)
                except KeyError:
                    raise RuntimeError(f"no `{SERVER_USER}` user: {INSTALL_HINT}") from None
                os.chown(self.root, user.pw_uid, user.pw_gid)
            data = self.root / "data"
            initdb: list[str | Path] = [self.bindir / "initdb", "-D", data, "-U", SUPERUSER]
            initdb += ["--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"]
            self._run(initdb, as_server=True)
            if int((data / "PG_VERSION").read_text().split(".")[0]) < 15:
                self._copy = []
            for _ in range(3):  # another process may take the free port before the server does
                if self._start_server(data):
                    break
            else:
                raise RuntimeError(f"postgres could not bind a port:\n{self._log_tail()}")
            self.new_database(self.dbname)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_server(self, data: Path) -> bool:
        assert self.root is not None
        self.port = _free_port()
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": "",  # no socket in /var/run/postgresql to clash with
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        cmd: list[str | Path] = [self.bindir / "postgres", "-D", data, "-p", str(self.port)]
        for key, value in settings.items():
            cmd += ["-c", f"{key}={value}"]
        with open(self.root / "server.log", "wb") as log:
            self._proc = subprocess.Popen(
                self._wrap(cmd, as_server=True, pdeathsig=True),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.root,
                env=self._env,
            )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._proc = None
                if "could not bind" in self._log_tail():
                    return False
                raise RuntimeError(f"postgres exited at start:\n{self._log_tail()}")
            if self._ready(data, self._proc.pid):
                return True
            time.sleep(0.02)
        raise RuntimeError(f"postgres not ready after {self.timeout}s:\n{self._log_tail()}")

    @staticmethod
    def _ready(data: Path, pid: int) -> bool:
        """Whether postmaster.pid says "ready": this server (not one that took our port) is
        accepting connections. The same check as ``pg_ctl start -w``."""
        try:
            lines = (data / "postmaster.pid").read_text().splitlines()
        except FileNotFoundError:
            return False
        return len(lines) >= 8 and lines[0] == str(pid) and lines[7].strip() == "ready"

    def stop(self) -> None:
        """Immediate shutdown (nothing here is worth a checkpoint), then delete the temp dir."""
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)  # postmaster: immediate shutdown, children too
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def _wrap(self, cmd: list[str | Path], *, as_server: bool, pdeathsig: bool) -> list[str]:
        """Prefix ``setpriv``: to drop root to the server user, and/or to make the server die
        with this process (its parent) even on SIGKILL, when atexit cannot run."""
        prefix: list[str] = []
        if as_server and os.geteuid() == 0:
            prefix = ["setpriv", f"--reuid={SERVER_USER}", f"--regid={SERVER_USER}"]
            prefix.append("--init-groups")
        if pdeathsig and shutil.which("setpriv"):
            prefix = [*(prefix or ["setpriv"]), "--pdeathsig=SIGQUIT"]
        return [*prefix, *(["--"] if prefix else []), *map(str, cmd)]

    def _run(self, cmd: list[str | Path], *, as_server: bool) -> None:
        argv = self._wrap(cmd, as_server=as_server, pdeathsig=False)
        done = subprocess.run(argv, capture_output=True, text=True, cwd=self.root, env=self._env)
        if done.returncode != 0:
            hint = f" (can `{SERVER_USER}` reach {self.root}?)" if argv[0] == "setpriv" else ""
            raise RuntimeError(f"{' '.join(argv)} failed{hint}:\n{done.stdout}{done.stderr}")

    def _log_tail(self, lines: int = 30) -> str:
        log = self.root / "server.log" if self.root else None
        if log is None or not log.exists():
            return "(no server log)"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> ThrowawayCluster:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
