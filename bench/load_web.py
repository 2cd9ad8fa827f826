"""Load test of ``clearance serve``: 200 concurrent readers and 20 concurrent writers, on loopback.

Run with ``python bench/load_web.py`` (options: ``--help``). Needs ``wrk`` (4.x):
``apt-get install -y wrk`` on Debian/Ubuntu, ``brew install wrk`` on macOS.

What it does, as a user would: a temporary workspace (SQLite; ``--postgres`` for a throwaway
PostgreSQL server, as the tests start one), ``clearance import`` of the example production
(examples/neon-harbor, 22 use cases; ``--use-cases N`` for a generated one of N), a reader and a
writer account (both contributors) with API tokens from ``clearance user token``, and
``clearance serve`` on a free loopback port (``--workers N`` processes; one by default), the way
it is started by hand.
Then, at the same time for ``--duration`` seconds:

* readers: ``wrk`` with 200 connections on a mix of GET /api/v1/productions (the dashboard),
  /api/v1/productions/P/use-cases (the list) and /api/v1/productions/P/use-cases/UC-… (a
  use case's page: decision, evidence, history); ``--pages`` adds the HTML pages of the same
  three, with a session cookie from signing in;
* writers: ``wrk`` with 20 connections POSTing report-use evidence to
  /api/v1/productions/P/evidence, each with its own reference.

Afterwards the server is stopped (gracefully: requests in flight finish) and the register is
checked: every write the server acknowledged (201, with its evidence id) is in the evidence
table with its audit event, and ``clearance audit verify`` passes. The exit status is 1 on any
error (a non-2xx/3xx answer, a socket error or timeout, a server traceback) or any lost write,
2 when the test could not be set up.

wrk and the server share the machine's cores: on a small machine the figures are a floor.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from clearance.register import db, schema  # noqa: E402

EXAMPLE = ROOT / "examples/neon-harbor/manifest.yaml"
EXE = Path(sys.executable).parent / "clearance"
WRK_HINT = (
    "wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu), `brew install wrk` "
    "(macOS), or build it from https://github.com/wg/wrk"
)
READER, WRITER = "load-reader", "load-writer"
PASSWORD = "load-test-password-1"


class SetupError(Exception):
    """The load test could not be set up (exit status 2)."""


# -- wrk scripts -----------------------------------------------------------------------------------

# Shared by both scripts: number the threads, and write wrk's figures as JSON (wrk's own text
# output is for people; ``done`` sees the exact counts and the latency histogram).
_LUA_COMMON = r"""
local threads = {}
local counter = 0
sent = 0  -- per thread: requests written (wrk counts only the answered ones)

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local function json_str(s)
  return '"' .. tostring(s):gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end) .. '"'
end

local function figures(summary, latency)
  local e = summary.errors
  local total_sent = 0
  for _, t in ipairs(threads) do total_sent = total_sent + t:get("sent") end
  local parts = {
    -- wrk calls request() once more, on the first thread, to check the script
    string.format('"sent": %d', total_sent - 1),
    string.format('"requests": %d', summary.requests),
    string.format('"duration_us": %d', summary.duration),
    string.format('"bytes": %d', summary.bytes),
    string.format('"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d',
                  e.connect, e.read, e.write, e.status, e.timeout),
    string.format('"mean_us": %.0f, "max_us": %.0f', latency.mean, latency.max),
  }
  for _, p in ipairs({50, 90, 99, 99.9}) do
    table.insert(parts, string.format('"p%s_us": %.0f', tostring(p), latency:percentile(p)))
  end
  return table.concat(parts, ", ")
end
"""

_LUA_READERS = r"""
-- Readers: a weighted mix of GETs, pre-formatted once per thread.
local kinds = KINDS  -- { {weight, {path, auth}, ...}, ... }
local auth = AUTH
local out_path = OUT
local prepared = {}
local total = 0

function init(args)
  math.randomseed(tid * 7919)
  for i, kind in ipairs(kinds) do
    local reqs = {}
    for j, target in ipairs(kind[2]) do
      reqs[j] = wrk.format("GET", target[1], auth[target[2]])
    end
    prepared[i] = {kind[1], reqs}
    total = total + kind[1]
  end
end

function request()
  sent = sent + 1
  local r = math.random() * total
  for _, kind in ipairs(prepared) do
    r = r - kind[1]
    if r <= 0 then
      return kind[2][math.random(#kind[2])]
    end
  end
  local last = prepared[#prepared][2]
  return last[#last]
end

function done(summary, latency, requests)
  local f = assert(io.open(out_path, "w"))
  f:write("{", figures(summary, latency), "}\n")
  f:close()
end
"""

_LUA_WRITERS = r"""
-- Writers: report-use evidence, each with its own reference; the server's 201 answers carry
-- the evidence ids, collected per thread so that the register can be checked against them.
local path = PATH
local headers = HEADERS
local use_cases = USE_CASES
local date = DATE
local out_path = OUT
local seq = 0
ids = {}
codes = {}

function request()
  sent = sent + 1
  seq = seq + 1
  local uc = use_cases[(seq * 7 + tid) % #use_cases + 1]
  local body = string.format(
    '{"kind": "report-use", "use_cases": ["%s"], "fields": {"date": "%s", '
    .. '"contact": "load test", "channel": "wrk", "reference": "load-%d-%d"}}',
    uc, date, tid, seq)
  return wrk.format("POST", path, headers, body)
end

function response(status, hdrs, body)
  codes[status] = (codes[status] or 0) + 1
  if status == 201 then
    local id = body:match('"id"%s*:%s*"([^"]+)"')
    table.insert(ids, id or "?")
  end
end

function done(summary, latency, requests)
  local all_ids, all_codes = {}, {}
  for _, t in ipairs(threads) do
    for _, id in ipairs(t:get("ids")) do table.insert(all_ids, json_str(id)) end
    for status, n in pairs(t:get("codes")) do
      all_codes[status] = (all_codes[status] or 0) + n
    end
  end
  local code_parts = {}
  for status, n in pairs(all_codes) do
    table.insert(code_parts, string.format('"%d": %d', status, n))
  end
  local f = assert(io.open(out_path, "w"))
  f:write("{", figures(summary, latency),
          ', "codes": {', table.concat(code_parts, ", "), "}",
          ', "ids": [', table.concat(all_ids, ", "), "]}\n")
  f:close()
end
"""


def lua(value: Any) -> str:
    """``value`` (str, int, list, dict of those) as a Lua constructor."""
    if isinstance(value, str):  # Lua 5.1 knows no \u escapes: bytes outside ASCII as \ddd
        plain = (
            chr(b) if 32 <= b < 127 and chr(b) not in '"\\' else f"\\{b:03d}"
            for b in value.encode()
        )
        return '"' + "".join(plain) + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "{" + ", ".join(lua(v) for v in value) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{lua(k)}] = {lua(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no Lua form for {type(value).__name__}")


def render(template: str, **values: Any) -> str:
    text = _LUA_COMMON + template
    for name, value in values.items():
        text = re.sub(
            rf"\b{name}\b(?= *(?:--|\n))", lua(value).replace("\\", "\\\\"), text, count=1
        )
    return text


# -- the server and its workspace ------------------------------------------------------------------


@dataclass
class Workspace:
    folder: Path
    url: str
    env: dict[str, str]
    backend: str

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [str(EXE), *args],
            env=self.env,
            cwd=self.folder,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SetupError(f"clearance {' '.join(args)}: {done.returncode}\n{done.stderr}")
        return done.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(ws: Workspace, manifest: Path, production: str, evidence: int) -> dict[str, str]:
    """Register, production, ``evidence`` report-use records, accounts; the API tokens by
    username."""
    ws.cli("init", ".")
    ws.cli("import", str(manifest))
    if evidence:
        from clearance.register.evidence import ReportUse
        from clearance.register.store import Register

        engine = db.connect(ws.url)
        register = Register(engine, ws.folder / "attachments", "load-test")
        with register.read() as conn:
            use_cases = conn.execute(
                select(schema.use_cases.c.uc_id).where(
                    schema.use_cases.c.production_id == production
                )
            ).scalars()
            ids = sorted(set(use_cases))
        with register.write() as conn:
            for i in range(evidence):
                scope = [ids[i % len(ids)]]
                item = ReportUse(
                    production=production,
                    use_cases=scope,
                    date=dt.date.today(),
                    contact="earlier",
                    reference=f"pre-{i}",
                )
                register.record_in(conn, item, "load test")
        engine.dispose()
    tokens = {}
    for user in (READER, WRITER):
        ws.cli("user", "add", user, "--name", f"load test ({user})", "--password-stdin",
               stdin=PASSWORD + "\n")  # fmt: skip
        ws.cli("user", "grant", user, production, "contributor")
        tokens[user] = ws.cli("user", "token", user, "--name", "load test").split()[-1]
    return tokens


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    stop_s: float = 0.0  # from Ctrl-C to exit: the backlog of requests it still had to finish

    def request(
        self, method: str, path: str, headers: dict[str, str], body: str | None = None
    ) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            cookies = {}
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    cookies[key] = rest.split(";")[0]
            return response.status, cookies, text
        finally:
            connection.close()

    def get_json(self, path: str, token: str) -> Any:
        status, _, text = self.request("GET", path, {"Authorization": f"Bearer {token}"})
        if status != 200:
            raise SetupError(f"GET {path}: {status} {text[:300]}")
        return json.loads(text)

    def sign_in(self, username: str) -> str:
        """A session cookie for ``username``, by the sign-in form."""
        status, cookies, page = self.request("GET", "/login", {})
        match = re.search(r'name="csrf_token"\s+value="([^"]+)"', page)
        login = cookies.get("clearance_login_csrf")
        if status != 200 or match is None or login is None:
            raise SetupError(f"GET /login: {status}; no sign-in form token")
        form = {"username": username, "password": PASSWORD, "csrf_token": match[1], "next": "/"}
        status, cookies, page = self.request(
            "POST",
            "/login",
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"clearance_login_csrf={login}",
            },
            urllib.parse.urlencode(form),
        )
        if status != 303 or "clearance_session" not in cookies:
            raise SetupError(f"POST /login: {status}; no session cookie\n{page[:300]}")
        return cookies["clearance_session"]


@contextlib.contextmanager
def serving(ws: Workspace, token: str, workers: int = 1) -> Iterator[Server]:
    """``clearance serve`` on a free loopback port, until it answers; stopped with Ctrl-C
    (SIGINT: uvicorn finishes the requests in flight) on the way out."""
    port = free_port()
    log = ws.folder / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(EXE), "serve", "--port", str(port), "--workers", str(workers)],
            cwd=ws.folder,
            env=ws.env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = Server(port, process, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SetupError(f"clearance serve exited ({process.returncode}):\n{log_text(log)}")
            with contextlib.suppress(OSError):
                server.get_json("/api/v1/me", token)
                break
            if time.monotonic() > deadline:
                raise SetupError(f"clearance serve did not answer in 60 s:\n{log_text(log)}")
            time.sleep(0.2)
        yield server
    finally:
        start = time.monotonic()
        stop(process)
        server.stop_s = time.monotonic() - start


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux; 0 elsewhere)."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def log_text(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:]


def server_errors(log: Path) -> Counter[str]:
    """Exceptions in the server's log (uvicorn logs each failed request with its traceback),
    by their last line."""
    found: Counter[str] = Counter()
    in_traceback = False
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("Traceback"):
            in_traceback = True
        elif (
            in_traceback
            and re.match(r"[\w.]+(Error|Exception|Exit|Timeout|Interrupt)\b", line) is not None
        ):
            found[line[:200]] += 1
            in_traceback = False
    return found


# -- the load --------------------------------------------------------------------------------------


@dataclass
class Load:
    name: str
    connections: int
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def socket_errors(self) -> int:
        return sum(int(self.figures.get(k, 0)) for k in ("connect", "read", "write"))

    @property
    def errors(self) -> int:
        f = self.figures
        return int(f.get("status", 0)) + self.socket_errors + int(f.get("timeout", 0))

    @property
    def unanswered(self) -> int:
        """Requests sent but not answered when wrk stopped (at most one per connection while
        the server keeps up; wrk counts a timeout only for an answer that came late)."""
        return int(self.figures.get("sent", 0)) - int(self.figures.get("requests", 0))

    @property
    def rate(self) -> float:
        return float(self.figures["requests"]) / (float(self.figures["duration_us"]) / 1e6)


def run_wrk(
    loads: list[tuple[Load, Path, Path]], url: str, args: argparse.Namespace, tmp: Path
) -> None:
    """Run every ``(load, script, out)`` at once; fill in each load's figures."""
    processes = []
    for load, script, _out in loads:
        threads = max(1, min(args.threads, load.connections))
        command = ["wrk", f"-t{threads}", f"-c{load.connections}", f"-d{args.duration}s",
                   f"--timeout={args.timeout}s", "--latency", "-s", str(script), url]  # fmt: skip
        stdout = (tmp / f"wrk-{load.name}.txt").open("w")
        processes.append(
            (subprocess.Popen(command, stdout=stdout, stderr=subprocess.STDOUT), stdout)
        )
    for process, stdout in processes:
        process.wait(timeout=args.duration + 120)
        stdout.close()
    for (load, _script, out), (process, _) in zip(loads, processes, strict=True):
        text = (tmp / f"wrk-{load.name}.txt").read_text()
        if process.returncode != 0 or not out.exists():
            raise SetupError(f"wrk ({load.name}) failed ({process.returncode}):\n{text}")
        load.figures = json.loads(out.read_text())


@dataclass
class Check:
    acknowledged: int = 0
    stored: int = 0
    lost: list[str] = field(default_factory=list)
    unacknowledged: int = 0  # stored, but wrk stopped before the answer came
    without_audit: int = 0
    audit_ok: bool = False
    audit_message: str = ""


def check_register(ws: Workspace, production: str, ids: list[str]) -> Check:
    engine = db.connect(ws.url)
    ev, events = schema.evidence, schema.audit_events
    try:
        with engine.connect() as conn:
            stored = set(
                conn.execute(
                    select(ev.c.id).where(
                        ev.c.production_id == production,
                        ev.c.recorded_by == WRITER,
                        ev.c.reference.like("load-%"),
                    )
                ).scalars()
            )
            audited = conn.execute(
                select(func.count()).where(
                    events.c.actor == WRITER, events.c.action == "evidence.report-use"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    acknowledged = set(ids)
    done = subprocess.run(
        [str(EXE), "audit", "verify"], env=ws.env, cwd=ws.folder, capture_output=True, text=True
    )
    message = " ".join((done.stdout + done.stderr).split())
    return Check(
        acknowledged=len(ids),
        stored=len(stored),
        lost=sorted(acknowledged - stored)
        + (["(duplicate ids)"] if len(acknowledged) < len(ids) else []),
        unacknowledged=len(stored - acknowledged),
        without_audit=len(stored) - int(audited),
        audit_ok=done.returncode == 0,
        audit_message=message,
    )


# -- report ----------------------------------------------------------------------------------------


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "cpu"


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    names = []
    for package in ("uvicorn", "fastapi", "sqlalchemy"):
        with contextlib.suppress(PackageNotFoundError):
            names.append(f"{package} {version(package)}")
    loop = "uvloop" if _importable("uvloop") else "asyncio"
    http = "httptools" if _importable("httptools") else "h11"
    return f"{', '.join(names)}; uvicorn on {loop} + {http}"


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    match = re.search(r"wrk\s+(\S+)", done.stdout + done.stderr)
    return match[1] if match else "?"


def ms(us: Any) -> str:
    value = float(us) / 1000
    return f"{value:.0f} ms" if value >= 100 else f"{value:.1f} ms"


def report(
    args: argparse.Namespace,
    ws: Workspace,
    use_cases: int,
    loads: list[Load],
    check: Check,
    errors: Counter[str],
    pool: str,
    load_before: float,
    stop_s: float,
    busy: float,
) -> None:
    cores = os.cpu_count() or 1
    print(
        f"\nMachine: {platform.machine()}, {cpu_model()}, {cores} cores shared by wrk and the "
        f"server (load average {load_before:.1f} before the run); Python "
        f"{platform.python_version()}; {time.strftime('%Y-%m-%d')}\n"
        f"Server: `clearance serve --workers {args.workers}` ({versions()}; {pool}) on "
        f"{ws.backend}, {use_cases:,} use cases, {args.evidence:,} evidence records before "
        f"the load; loopback; wrk {wrk_version()}, "
        f"{args.duration} s, timeout {args.timeout} s\n"
    )
    print("| load | connections | requests | req/s | errors | p50 | p90 | p99 | max | unanswered |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for load in loads:
        if not load.figures:
            continue
        f = load.figures
        detail = (
            f"{f['status']} non-2xx/3xx, {load.socket_errors} socket, {f['timeout']} timeouts"
            if load.errors
            else "0"
        )
        print(
            f"| {load.name} | {load.connections} | {f['requests']:,} | {load.rate:,.0f} | "
            f"{detail} | {ms(f['p50_us'])} | {ms(f['p90_us'])} | {ms(f['p99_us'])} | "
            f"{ms(f['max_us'])} | {load.unanswered} |"
        )
    writers = loads[-1].figures if loads[-1].name == "writers" else {}
    codes = ", ".join(f"{code}: {n:,}" for code, n in sorted(writers.get("codes", {}).items()))
    print(
        f"\nWrites: {check.acknowledged:,} acknowledged (the first before the load; wrk's "
        f"answers: {codes or 'none'}); "
        f"{check.stored:,} in the register; **{len(check.lost)} lost**; "
        f"{check.unacknowledged} stored but unanswered when wrk stopped; "
        f"{check.without_audit} without their audit event. "
        f"`clearance audit verify`: {'passes' if check.audit_ok else 'FAILS'} "
        f"({check.audit_message}).\n\nAfter wrk stopped, the server took {stop_s:.1f} s to "
        "finish the requests it had accepted (the unanswered ones) and exit"
        + (
            f": **over the {args.timeout} s timeout**, so some request waited longer than that. "
            if stop_s > args.timeout
            else ". "
        )
        + f"Server CPU during the load: {busy:.0%} of one core."
    )
    if errors:
        print(f"\nServer exceptions ({sum(errors.values())}):")
        for line, n in errors.most_common(10):
            print(f"  {n:>6} × {line}")
    if check.lost:
        print(f"\nLost evidence ids (first 20): {', '.join(check.lost[:20])}")


# -- main ------------------------------------------------------------------------------------------


def reader_kinds(production: str, uc_ids: list[str], pages: bool) -> list[Any]:
    """``[weight, [[path, auth], ...]]``: the dashboard, the use case list, a use case."""
    api = f"/api/v1/productions/{production}"
    kinds: list[Any] = [
        [2, [["/api/v1/productions", "bearer"]]],
        [3, [[f"{api}/use-cases", "bearer"]]],
        [5, [[f"{api}/use-cases/{uc}", "bearer"] for uc in uc_ids]],
    ]
    if pages:
        kinds += [
            [2, [["/", "cookie"]]],
            [3, [[f"/p/{production}", "cookie"]]],
            [5, [[f"/p/{production}/use-cases/{uc}", "cookie"] for uc in uc_ids]],
        ]
    return kinds


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=30, help="seconds of load (default 30)")
    parser.add_argument("--readers", type=int, default=200, help="reader connections (200)")
    parser.add_argument("--writers", type=int, default=20, help="writer connections (20)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads per load (2)")
    parser.add_argument(
        "--timeout", type=int, default=10, help="seconds before wrk counts a timeout (10)"
    )
    parser.add_argument(
        "--use-cases",
        type=int,
        default=0,
        help="a generated production of N use cases instead of examples/neon-harbor",
    )
    parser.add_argument(
        "--evidence",
        type=int,
        default=0,
        help="report-use evidence recorded before the load (default 0: reads cost more as the "
        "production's evidence grows)",
    )
    parser.add_argument("--pages", action="store_true", help="readers also fetch the HTML pages")
    parser.add_argument(
        "--postgres", action="store_true", help="a throwaway PostgreSQL server instead of SQLite"
    )
    parser.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the workspace and print it")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        print(WRK_HINT, file=sys.stderr)
        return 2
    with contextlib.ExitStack() as stack:
        tmp = Path(
            tempfile.mkdtemp(prefix="clearance-load-")
            if args.keep
            else stack.enter_context(tempfile.TemporaryDirectory(prefix="clearance-load-"))
        )
        try:
            return run(args, tmp, stack)
        except SetupError as exc:
            print(f"load test not run: {exc}", file=sys.stderr)
            return 2
        finally:
            if args.keep:
                print(f"\nWorkspace kept: {tmp}", file=sys.stderr)
    return 2  # pragma: no cover - unreachable


def run(args: argparse.Namespace, tmp: Path, stack: contextlib.ExitStack) -> int:
    folder = tmp / "ws"
    folder.mkdir()
    env = {**os.environ, "CLEARANCE_ACTOR": "load-test"}
    for name in ("CLEARANCE_DATABASE_URL", "CLEARANCE_ATTACHMENTS"):
        env.pop(name, None)
    if args.postgres:
        from tests.pgcluster import ThrowawayCluster

        pg = stack.enter_context(ThrowawayCluster())
        url = pg.new_database("load")
        env.update(CLEARANCE_DATABASE_URL=url, CLEARANCE_ATTACHMENTS=str(folder / "attachments"))
        backend = "PostgreSQL (throwaway local server, fsync off)"
    else:
        url = f"sqlite:///{folder / '.clearance' / 'register.db'}"
        backend = "SQLite (WAL)"
    ws = Workspace(folder, url, env, backend)

    if args.use_cases:
        sys.path.insert(0, str(ROOT / "bench"))
        from bench_check import make_manifest

        manifest, production = make_manifest(args.use_cases, tmp, "golden"), "netflix-genai-golden"
    else:
        manifest, production = EXAMPLE, "neon-harbor-s1"
    print(f"Preparing the register ({backend}) and accounts…", file=sys.stderr)
    tokens = prepare(ws, manifest, production, args.evidence)
    engine = db.connect(url)
    settings = {k: getattr(engine.pool, k, "?") for k in ("_pool", "_max_overflow", "_timeout")}
    size = getattr(settings["_pool"], "maxsize", "?")
    pool = (
        f"SQLAlchemy pool {size} + {settings['_max_overflow']} overflow, "
        f"{settings['_timeout']} s wait"
    )
    engine.dispose()

    with serving(ws, tokens[READER], args.workers) as server:
        listed = server.get_json(f"/api/v1/productions/{production}/use-cases", tokens[READER])
        uc_ids = [item["id"] for item in listed]
        auth = {"bearer": {"Authorization": f"Bearer {tokens[READER]}"}}
        if args.pages:
            auth["cookie"] = {"Cookie": f"clearance_session={server.sign_in(READER)}"}
        kinds = reader_kinds(production, uc_ids, args.pages)
        for _weight, targets in kinds:  # every target answers before the load starts
            for path, how in targets[:3]:
                status, _, text = server.request("GET", path, auth[how])
                if status != 200:
                    raise SetupError(f"GET {path}: {status} {text[:300]}")

        evidence_path = f"/api/v1/productions/{production}/evidence"
        writer_headers = {
            "Authorization": f"Bearer {tokens[WRITER]}",
            "Content-Type": "application/json",
        }
        today = dt.date.today().isoformat()
        fields = {"date": today, "contact": "load test", "reference": "load-0-0"}
        first = {"kind": "report-use", "use_cases": uc_ids[:1], "fields": fields}
        status, _, text = server.request("POST", evidence_path, writer_headers, json.dumps(first))
        if status != 201:
            raise SetupError(f"POST {evidence_path}: {status} {text[:300]}")
        acknowledged = [json.loads(text)["id"]]

        readers, writers = Load("readers", args.readers), Load("writers", args.writers)
        scripts = [
            (
                readers,
                render(_LUA_READERS, KINDS=kinds, AUTH=auth, OUT=str(tmp / "readers.json")),
            ),
            (
                writers,
                render(
                    _LUA_WRITERS,
                    PATH=evidence_path,
                    HEADERS=writer_headers,
                    USE_CASES=uc_ids,
                    DATE=today,
                    OUT=str(tmp / "writers.json"),
                ),
            ),
        ]
        loads = []
        for load, text in scripts:
            if load.connections <= 0:
                continue
            script = tmp / f"{load.name}.lua"
            script.write_text(text)
            loads.append((load, script, tmp / f"{load.name}.json"))
        print(
            f"Load: {args.readers} readers + {args.writers} writers for {args.duration} s on "
            f"http://127.0.0.1:{server.port} ({dt.datetime.now():%H:%M:%S})…",
            file=sys.stderr,
        )
        load_before = os.getloadavg()[0]
        cpu_before, wall_before = cpu_seconds(server.process.pid), time.monotonic()
        run_wrk(loads, f"http://127.0.0.1:{server.port}", args, tmp)
        cpu = cpu_seconds(server.process.pid) - cpu_before
        busy = cpu / (time.monotonic() - wall_before)
    # The server has stopped: every request it accepted has been answered or abandoned.
    if server.process.returncode not in (0, -signal.SIGINT):
        print(f"clearance serve exited {server.process.returncode}", file=sys.stderr)
    errors = server_errors(server.log)
    acknowledged += writers.figures.get("ids", [])
    check = check_register(ws, production, acknowledged)
    ran = [load for load in (readers, writers) if load.connections > 0]
    total = args.use_cases or len(uc_ids)  # the list answers a page; the register has all
    report(args, ws, total, ran, check, errors, pool, load_before, server.stop_s, busy)
    failed = (
        readers.errors
        or writers.errors
        or any(int(load.figures.get("requests", 0)) == 0 for load in ran)
        or server.stop_s > args.timeout
        or errors
        or check.lost
        or check.without_audit
        or not check.audit_ok
        or check.unacknowledged > args.writers
        or server.process.returncode not in (0, -signal.SIGINT)
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
