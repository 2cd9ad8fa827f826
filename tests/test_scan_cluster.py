"""``clearance scan --cluster`` on a real Dask cluster: a scheduler and two workers started
here as separate processes on loopback (torn down after), against SQLite and PostgreSQL
registers. The cluster scan gives what the local scan gives (real corpus and media files and
generated ones); a worker killed mid-scan loses no file and counts none twice; a driver killed
mid-scan leaves nothing half-recorded and its rerun resumes from the cache; a file a worker
cannot read is ``unreadable`` with the local reason; a chunk whose task fails is split so that
only a failing file would be unreadable; a production's reference library is compared with on
the workers as locally."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import distributed
import pytest
from PIL import Image, PngImagePlugin

from tests.conftest import Run
from tests.support import CORPUS, MINIMAL, ROOT

Cli = Callable[..., Run]
BIN = Path(sys.executable).parent
MEDIA = Path(os.environ.get("CLEARANCE_EXTERNAL_MEDIA") or ROOT.parent / "shared/external/media")
XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
    'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/'
    'trainedAlgorithmicMedia"/></rdf:RDF></x:xmpmeta>'
)
FINAL = """\
  - id: UC-FINAL
    title: Generated signage, final
    tools: [ent]
    stage: post
    output: {media: [image], destination: final, resembles_protected: no}
"""


class LoopbackCluster:
    """A Dask scheduler and workers as separate processes on 127.0.0.1 (one thread each, no
    nanny: a worker is one process, killed for real by the tests)."""

    def __init__(self, folder: Path, workers: int = 2, allowed_failures: int = 3) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            # A dead worker's port refuses at once: do not retry connecting for 30 s.
            "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "3s",
            "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": str(allowed_failures),
            # As examples/cluster/dask.yaml: no stack sampling in workers, short message logs.
            "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
            "DASK_DISTRIBUTED__ADMIN__LOW_LEVEL_LOG_LENGTH": "50",
        }
        self.workers: list[subprocess.Popen[bytes]] = []
        file = folder / "scheduler.json"
        self.scheduler = self._start(
            "scheduler",
            "scheduler",
            ["--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", file],
        )
        deadline = time.monotonic() + 60
        while not file.is_file() or not file.read_text().strip():
            if time.monotonic() > deadline or self.scheduler.poll() is not None:
                raise RuntimeError(self.log("scheduler"))
            time.sleep(0.1)
        self.address: str = json.loads(file.read_text())["address"]
        self.client = distributed.Client(self.address, timeout=60, set_as_default=False)  # type: ignore[no-untyped-call]
        for _ in range(workers):
            self.add_worker()
        self.client.wait_for_workers(workers, timeout=120)

    def _start(self, name: str, command: str, args: list[Any]) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}.log").open("ab")
        return subprocess.Popen(
            [str(BIN / "dask"), command, *map(str, args)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )

    def add_worker(self) -> subprocess.Popen[bytes]:
        n = len(self.workers)
        args = ["--scheduler-file", self.folder / "scheduler.json", "--host", "127.0.0.1"]
        args += ["--nthreads", "1", "--no-nanny", "--no-dashboard"]
        args += ["--preload", "clearance.provenance.cluster"]
        args += ["--local-directory", self.folder / f"w{n}"]
        self.workers.append(self._start(f"worker{n}", "worker", args))
        return self.workers[-1]

    def alive(self) -> int:
        return len(self.client.scheduler_info(n_workers=-1)["workers"])

    def ensure(self, count: int) -> None:
        """``count`` live workers (a killed one replaced), known to the scheduler."""
        live = [w for w in self.workers if w.poll() is None]
        for _ in range(count - len(live)):
            self.add_worker()
        self.client.wait_for_workers(count, timeout=120)

    def kill(self, worker: subprocess.Popen[bytes]) -> None:
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    def kill_busy(self) -> None:
        """Kill a worker while it runs a task (the scheduler says so)."""
        pids: dict[str, int] = self.client.run(os.getpid)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            processing = self.client.processing()  # type: ignore[no-untyped-call]
            busy = [a for a, keys in processing.items() if keys]
            if busy:
                self.kill(next(w for w in self.workers if w.pid == pids[busy[0]]))
                return
            time.sleep(0.01)
        raise AssertionError("no worker ever ran a task")

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")[-3000:]

    def close(self) -> None:
        self.client.close()  # type: ignore[no-untyped-call]
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [*self.workers, self.scheduler]:
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:  # throwaway processes: no need to wait longer
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackCluster]:
    cluster = LoopbackCluster(tmp_path_factory.mktemp("dask"))
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def cluster(dask_cluster: LoopbackCluster) -> LoopbackCluster:
    """The module's cluster with its two workers (a test before may have killed one)."""
    dask_cluster.ensure(2)
    return dask_cluster


@pytest.fixture(scope="module")
def tree_1200(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """1,201 files, and what a local scan reconciling them with a production that registered
    none of them says of each (the JSON output's ``files``)."""
    from clearance.policy import resolve
    from clearance.provenance.scan import Scanner

    tree = make_tree(tmp_path_factory.mktemp("shared") / "tree", 1200)
    scanner = Scanner(provenance=resolve("ai-provenance"), deliverables=resolve("deliverables"))
    files = [json.loads(json.dumps(r.to_json(), ensure_ascii=False)) for r in scanner.scan([tree])]
    return tree, files


def make_tree(root: Path, count: int) -> Path:
    """``count`` small files of mixed kinds, some with GenAI markings, some unreadable, one
    with a name that is not UTF-8."""
    for i in range(count):
        folder = root / f"reel{i // 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        colour = ((i * 37) % 256, (i * 91) % 256, (i * 13) % 256)
        slot = i % 8
        if slot in (0, 1, 2):
            info = PngImagePlugin.PngInfo()
            if slot == 1:
                info.add_itxt("XML:com.adobe.xmp", XMP)
            if slot == 2:
                info.add_text("parameters", f"harbor\nSteps: 20, Seed: {i}, Size: 8x8")
            Image.new("RGB", (8, 8), colour).save(folder / f"f{i:05d}.png", pnginfo=info)
        elif slot in (3, 4):
            Image.new("RGB", (8, 8), colour).save(folder / f"f{i:05d}.jpg")
        elif slot == 5:
            with wave.open(str(folder / f"f{i:05d}.wav"), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(8000)
                w.writeframes(bytes(200 + i % 7 * 2))
        elif slot == 6:
            (folder / f"f{i:05d}.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(30))  # truncated
        else:
            (folder / f"f{i:05d}.bin").write_bytes(os.urandom(64))
    (root / os.fsdecode(b"caf\xe9-\xff.png")).write_bytes((root / "reel00/f00000.png").read_bytes())
    return root


def _production(workspace: Path, cli: Cli) -> None:
    manifest = workspace / "m.yaml"
    manifest.write_text(MINIMAL + FINAL)
    assert cli("import", manifest).code == 0


def _notable(files: list[dict[str, Any]]) -> list[str]:
    """The files a recorded scan keeps: a GenAI verdict, a finding other than ok, or a C2PA
    credential (``clearance.cli.scan._Recorder``)."""
    return sorted(
        f["path"]
        for f in files
        if f["verdict"] != "no-ai-signal"
        or any(x["finding"] != "ok" for x in f["findings"])
        or f["credential"]
    )


def _recorded() -> tuple[list[str], list[str]]:
    """Ids of the register's scans, and the paths of their files (repeats kept)."""
    from sqlalchemy import select

    from clearance.register import schema
    from clearance.register.access import open_register

    with open_register() as (register, _ws), register.read() as conn:
        scans = list(conn.execute(select(schema.scans.c.id)).scalars())
        paths = list(conn.execute(select(schema.scan_files.c.path)).scalars())
    return scans, sorted(paths)


def _scan_json(run: Run | subprocess.CompletedProcess[str]) -> dict[str, Any]:
    code = run.code if isinstance(run, Run) else run.returncode
    assert code in (0, 1), run.stderr
    data: dict[str, Any] = json.loads(run.stdout)
    return data


class Driver:
    """``clearance scan ARGS --format json`` as a process of its own: its output read as it
    comes, its errors in a file."""

    def __init__(self, errors: Path, *args: str | Path) -> None:
        self.errors = errors
        self.proc = subprocess.Popen(
            [str(BIN / "clearance"), "scan", *map(str, args), "--format", "json"],
            stdout=subprocess.PIPE,
            stderr=errors.open("w"),
            text=True,
        )
        self.out: list[str] = []

    def read(self, files: int) -> None:
        """Read the output up to its ``files``-th file."""
        assert self.proc.stdout is not None
        seen = 0
        while seen < files:
            line = self.proc.stdout.readline()
            assert line, f"the scan ended early: {self.errors.read_text()}"
            self.out.append(line)
            seen += line.startswith("  {")

    def running(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def finish(self) -> dict[str, Any]:
        """The whole output, once the scan ends (exit 0 or 1)."""
        assert self.proc.stdout is not None
        self.out.append(self.proc.stdout.read())
        self.proc.wait(timeout=120)
        assert self.proc.returncode in (0, 1), self.errors.read_text()
        data: dict[str, Any] = json.loads("".join(self.out))
        return data


def test_a_cluster_scan_gives_the_local_scans_verdicts_and_findings(
    workspace: Path, cli: Cli, cluster: LoopbackCluster, tmp_path: Path
) -> None:
    _production(workspace, cli)
    tree = make_tree(tmp_path / "generated", 120)
    assert cli("asset", "add", "UC-FINAL", tree / "reel00" / "f00001.png").code == 0
    roots = [tree] + [p for p in (CORPUS / "files", MEDIA / "files") if p.is_dir()]
    local = _scan_json(
        cli("scan", *roots, "-f", "json", "--no-cache", "--jobs", "1", "--no-record")
    )
    assert _recorded() == ([], [])
    on_cluster = _scan_json(
        cli("scan", *roots, "-f", "json", "--no-cache", "--cluster", cluster.address)
    )
    assert on_cluster["files"] == local["files"]  # verdicts, findings, credentials, reasons
    assert len(local["files"]) >= 121 + (200 if len(roots) == 3 else 0)
    summary = {
        k: v for k, v in local["summary"].items() if k not in ("seconds", "files_per_second")
    }
    assert {k: on_cluster["summary"][k] for k in summary} == summary
    findings = {x["finding"] for f in local["files"] for x in f["findings"]}
    assert {"undeclared-ai", "unapproved-final", "ok"} <= findings
    verdicts = {f["verdict"] for f in local["files"]}
    assert {"ai-generated", "no-ai-signal", "unreadable"} <= verdicts
    scans, paths = _recorded()
    assert len(scans) == 1 and paths == _notable(on_cluster["files"])  # each file once
    assert cli("audit", "verify").code == 0


def test_a_worker_killed_mid_scan_loses_no_file_and_counts_none_twice(
    workspace: Path,
    cli: Cli,
    cluster: LoopbackCluster,
    tmp_path: Path,
    tree_1200: tuple[Path, list[dict[str, Any]]],
) -> None:
    _production(workspace, cli)
    tree, expected = tree_1200
    driver = Driver(tmp_path / "errors", tree, "--no-cache", "--cluster", cluster.address)
    cluster.kill_busy()
    assert driver.running(), "the scan ended before the worker was killed"
    done = driver.finish()
    assert cluster.alive() == 1
    paths = [f["path"] for f in done["files"]]
    assert len(paths) == len(set(paths)) == done["summary"]["files"] == 1201
    assert done["files"] == expected
    scans, recorded = _recorded()
    assert len(scans) == 1 and recorded == _notable(done["files"])


def test_a_killed_driver_leaves_nothing_half_recorded_and_the_rerun_resumes(
    workspace: Path,
    cli: Cli,
    cluster: LoopbackCluster,
    tmp_path: Path,
    tree_1200: tuple[Path, list[dict[str, Any]]],
) -> None:
    _production(workspace, cli)
    tree, expected = tree_1200
    cache = tmp_path / "cache.db"
    driver = Driver(tmp_path / "errors", tree, "--cache", cache, "--cluster", cluster.address)
    driver.read(600)
    assert driver.running(), "the scan ended before the driver was killed"
    driver.kill()
    assert _recorded() == ([], [])  # the register is written once, when the scan is whole
    rerun = _scan_json(
        cli("scan", tree, "-f", "json", "--cache", cache, "--cluster", cluster.address)
    )
    summary = rerun["summary"]
    assert summary["files"] == 1201 and 400 <= summary["cached"] < 1201  # resumed
    paths = [f["path"] for f in rerun["files"]]
    assert len(paths) == len(set(paths)) == 1201
    assert rerun["files"] == expected
    scans, recorded = _recorded()
    assert len(scans) == 1 and recorded == _notable(rerun["files"])
    assert cli("audit", "verify").code == 0


@pytest.mark.parametrize("backend", ["sqlite"])  # the register's part is tested above
@pytest.mark.parametrize("shipped", [True, False], ids=["library-sent", "library-mounted"])
def test_similarity_to_the_reference_library_is_the_same_on_the_cluster(
    workspace: Path,
    cli: Cli,
    cluster: LoopbackCluster,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    shipped: bool,
) -> None:
    """A production with a reference library: its index travels with the tasks (small) or is
    read where the driver has it (large; here the workers share the machine); a worker that
    cannot read it stops the scan (exit 2) before any file is compared."""
    from clearance.provenance import cluster as cluster_module

    key_art = MEDIA / "files" / "cnet_1girl.png"
    if not key_art.is_file():
        pytest.skip(f"the external media are not at {MEDIA}")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    if not shipped:
        monkeypatch.setattr(cluster_module, "SHIP_LIBRARY", 0)
    _production(workspace, cli)
    assert cli("refs", "add", key_art, "--label", "Key art", "--owner", "Studio X").code == 0
    tree = tmp_path / "deliverables"
    tree.mkdir()
    picture = Image.open(key_art).convert("RGB")
    picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(tree / "flipped.jpg", quality=50)
    for name in ("cnet_an-gen.png", "comfyex_shark_depthmap.png"):
        shutil.copy(MEDIA / "files" / name, tree / name)
    Image.new("RGB", (300, 200)).save(tree / "black.png")
    args = ["-f", "json", "--no-cache", "--no-record"]
    local = _scan_json(cli("scan", tree, *args, "--jobs", "1"))
    on_cluster = _scan_json(cli("scan", tree, *args, "--cluster", cluster.address))
    assert on_cluster["files"] == local["files"]
    found = {f["path"]: [x["finding"] for x in f["findings"]] for f in local["files"]}
    assert "resembles-reference" in found["flipped.jpg"]
    assert all(f["similar"]["checked"] or f["similar"]["problem"] for f in local["files"])
    if not shipped:
        run = cli("scan", tree, *args, "--cluster", cluster.address, "--path-map", "/=/nowhere")
        assert run.code == 2 and "cannot read the reference library index" in run.stderr


def test_a_file_a_worker_cannot_read_is_unreadable_with_the_local_reason(
    cli: Cli, cluster: LoopbackCluster, tmp_path: Path
) -> None:
    """The workers see the tree through ``--path-map`` (their own mount), which lacks one file
    and holds a folder where another is: both unreadable, for the reason a local scan gives;
    neither cached (the mount, not the file, may be at fault)."""
    from clearance.provenance.inspect import inspect
    from clearance.provenance.model import ScanOptions

    tree = make_tree(tmp_path / "tree", 16)
    mount = tmp_path / "worker-mount"
    shutil.copytree(tree, mount)
    (mount / "reel00" / "f00000.png").unlink()
    (mount / "reel00" / "f00003.jpg").unlink()
    (mount / "reel00" / "f00003.jpg").mkdir()
    cache = tmp_path / "cache.db"
    args = ["-f", "json", "--cache", cache, "--cluster", cluster.address]
    run = cli("scan", tree, *args, "--path-map", f"{tree}={mount}")
    files = {f["path"]: f for f in _scan_json(run)["files"]}
    local = {
        name: inspect(str(mount / name), ScanOptions())["reason"]
        for name in ("reel00/f00000.png", "reel00/f00003.jpg")
    }
    assert local == {
        "reel00/f00000.png": "cannot read: No such file or directory",
        "reel00/f00003.jpg": "cannot read: Is a directory",
    }
    assert {n: (files[n]["verdict"], files[n]["reason"]) for n in local} == {
        n: ("unreadable", reason) for n, reason in local.items()
    }
    assert files["reel00/f00001.png"]["verdict"] == "ai-generated"
    again = _scan_json(cli("scan", tree, *args))  # the workers' mount is the driver's again
    files = {f["path"]: f for f in again["files"]}
    assert files["reel00/f00000.png"]["verdict"] == "no-ai-signal"
    assert files["reel00/f00003.jpg"]["verdict"] == "no-ai-signal"
    assert again["summary"]["cached"] == again["summary"]["files"] - 2


@pytest.mark.parametrize("backend", ["sqlite"])  # the register plays no part here
def test_a_chunk_whose_task_fails_is_split_and_loses_no_file(
    workspace: Path, cli: Cli, tmp_path: Path, tree_1200: tuple[Path, list[dict[str, Any]]]
) -> None:
    """On a scheduler that gives up on a task at the first worker that dies under it
    (KilledWorker), the driver splits that chunk (in eight, again while a part fails) and runs
    the parts on the worker left: every file comes back, none unreadable for a lost worker."""
    cluster = LoopbackCluster(tmp_path / "dask", workers=2, allowed_failures=0)
    try:
        _production(workspace, cli)
        tree, expected = tree_1200
        args = ["--no-cache", "--no-record", "--cluster", cluster.address]
        driver = Driver(tmp_path / "errors", tree, *args)
        cluster.kill_busy()
        assert driver.running(), "the scan ended before the worker was killed"
        done = driver.finish()
        assert done["files"] == expected
        assert "marked as failed because 1 workers died" in cluster.log("scheduler")
    finally:
        cluster.close()


def test_a_worker_unlike_the_driver_is_refused(
    cli: Cli, cluster: LoopbackCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers whose clearance, extractors or libraries differ from the driver's would cache
    other facts under the driver's key: the scan stops before any file (exit 2)."""
    from clearance.provenance import cluster as cluster_module

    real = cluster_module.identity()
    monkeypatch.setattr(cluster_module, "identity", lambda: real.replace("pillow=", "pillow=0"))
    tree = make_tree(tmp_path / "tree", 2)
    run = cli("scan", tree, "--no-cache", "--cluster", cluster.address)
    assert run.code == 2, run.stderr
    assert (
        "reads files with clearance=" in run.stderr and "install the same clearance" in run.stderr
    )


def test_a_cluster_that_cannot_run_the_scan_is_an_input_error(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clearance.provenance import cluster as cluster_module

    monkeypatch.setattr(cluster_module, "CONNECT_TIMEOUT", 1.0)
    tree = make_tree(tmp_path / "tree", 2)
    run = cli("scan", tree, "--cluster", "nonsense")
    assert run.code == 2 and "not a cluster scheduler address: nonsense" in run.stderr
    run = cli("scan", tree, "--cluster", "tcp://127.0.0.1:9")
    assert run.code == 2 and "cannot reach the cluster scheduler at tcp://127.0.0.1:9" in run.stderr
    run = cli("scan", tree, "--path-map", f"{tree}=/mnt/tree")
    assert run.code == 2 and "--path-map: needs --cluster" in run.stderr
    run = cli("scan", tree, "--cluster", "tcp://127.0.0.1:9", "--path-map", "a=b")
    assert run.code == 2 and "--path-map: 'a=b': expected DRIVER_PATH=WORKER_PATH" in run.stderr
