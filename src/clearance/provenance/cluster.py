"""``clearance scan --cluster``: the file inspections of a scan as tasks on a Dask distributed
cluster (https://distributed.dask.org) — the same scan, spread over machines.

The driver (``Scanner``) walks, batches, looks up the cache, judges and records exactly as a
local scan does; only ``inspect_many`` — the same function a local worker process runs, the
provenance pack's verdict included — runs on the cluster, one task per chunk of files. Dask
re-runs the task of a worker that died on another worker; the driver takes one result per
chunk, so a file is never missing nor counted twice. A chunk whose task fails all the same is
split (in eight, recursively): only the file at fault is ``unreadable``, with the reason.
The pack and the trust bundle travel by content with each task (a worker need not have the
driver's files, and one that joins or restarts later gets them too); the files are read where
the workers mount them (the same path, or one mapped by ``--path-map``). Every worker must
read files as the driver would (same clearance, extractors and libraries, checked per chunk):
the verdicts are cached under the driver's key.

Only ``clearance scan --cluster`` imports this module (and with it Dask).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import dask
import distributed
from distributed.comm.addressing import resolve_address

from clearance.provenance.inspect import (
    EXTRACTOR_MODULES,
    EXTRACTOR_VERSION,
    inspect_many,
    unreadable,
)
from clearance.provenance.model import ScanOptions
from clearance.provenance.scan import Scanner, library_versions

#: Seconds to reach the scheduler and to wait for a first worker.
CONNECT_TIMEOUT = 20.0
#: How often the driver re-reads the cluster's thread count (workers come and go).
RESIZE_EVERY = 5.0
#: Files a task: a task costs the scheduler and the worker a few ms of CPU of their own
#: (bench/bench_scan_cluster.py), worth spreading over many files; a lost worker costs at
#: most two such chunks per thread to redo.
TASK_FILES = 512
#: Parts a failed chunk is split into, recursively, down to the file at fault.
SPLIT = 8
#: A production's reference library index (similarity) up to this size travels with each
#: task; a larger one must be readable by every worker where the driver has it (or mapped).
SHIP_LIBRARY = 2 << 20
#: The files of a cached reference library, by suffix after its version.
LIBRARY_FILES = (".json", ".faiss", ".npz")


class ClusterError(Exception):
    """The cluster cannot run this scan (unreachable, no worker, a worker unlike the driver)."""


@dataclass(frozen=True)
class Shipped:
    """A file the workers need (the provenance pack, a trust bundle), sent by content."""

    name: str
    sha256: str
    data: bytes

    @classmethod
    def of(cls, path: str | Path) -> Shipped:
        data = Path(path).read_bytes()
        return cls(Path(path).name, hashlib.sha256(data).hexdigest(), data)

    def local_path(self, folder: str = "") -> str:
        """The file on this worker, written once per content (atomically: threads and
        processes of one machine may race to write it) — as ``folder/name`` when given."""
        base = Path(tempfile.gettempdir()) / "clearance-cluster"
        target = base / folder / self.name if folder else base / f"{self.sha256}-{self.name}"
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(f".{os.getpid()}.{time.monotonic_ns()}.part")
            partial.write_bytes(self.data)
            os.replace(partial, target)
        return str(target)


def identity() -> str:
    """What a worker's results depend on besides the file: clearance, the extractors and the
    libraries they read with (as in the scan cache's key)."""
    return (
        f"clearance={metadata.version('clearance')} extractors={EXTRACTOR_VERSION} "
        f"{library_versions()}"
    )


def inspect_batch(
    paths: list[str],
    options: ScanOptions,
    with_hash: bool,
    pack: Shipped,
    anchors: Shipped | None,
    library: tuple[Shipped, ...] = (),
) -> tuple[str, str, list[dict[str, Any]]]:
    """The task a worker runs: ``(worker address, identity(), inspect_many(...))``."""
    if anchors is not None:
        options = options.model_copy(update={"trust_anchors": anchors.local_path()})
    if library and options.similarity is not None:
        folder = f"library-{library[0].sha256[:16]}"
        cache = str(Path(library[0].local_path(folder)).parent)
        for part in library[1:]:
            part.local_path(folder)
        similarity = options.similarity.model_copy(update={"cache": cache})
        options = options.model_copy(update={"similarity": similarity})
    results = inspect_many(paths, options, with_hash, pack.local_path(), as_json=True)
    for raw in results:
        if raw["reason"].startswith("cannot read:"):
            raw["transient"] = True  # perhaps this worker's mount only: never cached
    try:
        address = distributed.get_worker().address
    except ValueError:  # not in a worker (called directly)
        address = ""
    return address, identity(), results


def dask_setup(worker: Any) -> None:
    """``dask worker --preload clearance.provenance.cluster``: import the extractors (c2pa,
    PIL …) when the worker starts, not in its first task."""
    del worker
    for name in EXTRACTOR_MODULES:
        importlib.import_module(f"clearance.provenance.extractors.{name}")


@contextmanager
def connect(address: str, timeout: float | None = None) -> Iterator[distributed.Client]:
    """A client of the scheduler at ``address`` with at least one worker, closed after.
    TLS (``tls://``) takes its certificates from Dask's configuration."""
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    try:  # a malformed or unknown address, before a client exists (one that failed to
        # start would hang the interpreter's exit trying to close)
        resolve_address(address)
    except (OSError, ValueError) as exc:
        raise ClusterError(f"not a cluster scheduler address: {address}: {exc}") from exc
    try:
        # Dask keeps its last 1,000 messages to the scheduler for debugging: each a chunk's
        # task here (tens of KB), so the driver's memory would grow by tens of MB. Keep 20.
        with dask.config.set({"distributed.admin.low-level-log-length": 20}):
            client = distributed.Client(  # type: ignore[no-untyped-call]
                address, timeout=timeout, set_as_default=False
            )
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the cluster scheduler at {address}: {exc}") from exc
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError as exc:
            raise ClusterError(
                f"the cluster at {address} has no worker (waited {timeout:.0f} s)"
            ) from exc
        yield client
    finally:
        client.close()  # type: ignore[no-untyped-call]


def parse_path_map(pairs: list[str]) -> list[tuple[str, str]]:
    """``DRIVER=WORKER`` prefixes, longest first; raises ValueError naming a bad one."""
    found = []
    for pair in pairs:
        driver, sep, worker = pair.partition("=")
        if not sep or not os.path.isabs(driver) or not os.path.isabs(worker):
            raise ValueError(f"{pair!r}: expected DRIVER_PATH=WORKER_PATH, both absolute")
        found.append((driver.rstrip("/") or "/", worker.rstrip("/") or "/"))
    return sorted(found, key=lambda p: len(p[0]), reverse=True)


def map_path(path: str, path_map: list[tuple[str, str]]) -> str:
    """Where a worker finds the driver's ``path``."""
    for driver, worker in path_map:
        if path == driver or path.startswith(driver.rstrip("/") + "/"):
            return worker.rstrip("/") + path[len(driver.rstrip("/")) :]
    return path


_Task = distributed.Future[tuple[str, str, list[dict[str, Any]]]]


class _Chunk(Future[list[dict[str, Any]]]):
    """A chunk's task on the cluster; ``result()`` waits for it (in the driver's thread)."""

    def __init__(self, inspector: ClusterInspector, paths: list[str]) -> None:
        super().__init__()
        self.inspector, self.paths = inspector, paths
        self.task = inspector.submit(paths)

    def result(self, timeout: float | None = None) -> list[dict[str, Any]]:
        del timeout
        return self.inspector.collect(self.paths, self.task)


class ClusterInspector:
    """``Scanner.remote`` for a Dask cluster: submits each chunk as a task and checks what
    comes back."""

    def __init__(
        self,
        client: distributed.Client,
        scanner: Scanner,
        path_map: list[tuple[str, str]] | None = None,
    ) -> None:
        self.client, self.scanner, self.path_map = client, scanner, path_map or []
        self.expected = identity()
        try:
            found = client.run(identity)
        except Exception as exc:  # a worker without clearance cannot even unpickle the call
            raise ClusterError(f"a worker cannot run clearance: {_why(exc)}") from exc
        unlike = {a: i for a, i in found.items() if i != self.expected}
        if unlike:
            self._refuse(*next(iter(unlike.items())))
        # Sent with every task (12 KB for the built-in pack, a few bytes a file at
        # TASK_FILES a task): a task needs nothing a lost worker could have held.
        self.pack = Shipped.of(scanner.provenance.path)
        self.seen: ScanOptions | None = None
        self.sent: tuple[ScanOptions, Shipped | None, tuple[Shipped, ...]] | None = None
        self.resized = 0.0
        self.resize()
        scanner.chunk = TASK_FILES

    def __call__(self, paths: list[str]) -> Future[list[dict[str, Any]]]:
        if time.monotonic() - self.resized > RESIZE_EVERY:
            self.resize()
        return _Chunk(self, paths)

    def resize(self) -> None:
        """Two chunks in flight per worker thread (``Scanner.jobs``): enough to keep every
        worker busy, few enough to hold the driver's memory."""
        threads = sum(self.client.nthreads().values())  # type: ignore[no-untyped-call]
        self.scanner.jobs = max(threads, 1)
        self.resized = time.monotonic()

    def submit(self, paths: list[str]) -> _Task:
        mapped = [map_path(p, self.path_map) for p in paths]
        options, anchors, library = self.shipped()
        return self.client.submit(
            inspect_batch,
            mapped,
            options,
            self.scanner.with_hash,
            self.pack,
            anchors,
            library,
            pure=False,
        )

    def shipped(self) -> tuple[ScanOptions, Shipped | None, tuple[Shipped, ...]]:
        """The scan's options as the workers get them, with the files they name: the trust
        bundle, and the reference library's index when it is small. Read afresh when the
        scanner's options change (reconciling with a production adds its library after the
        cluster is connected)."""
        options = self.scanner.options
        if self.sent is not None and options is self.seen:
            return self.sent
        anchors = Shipped.of(options.trust_anchors) if options.trust_anchors else None
        similarity = options.similarity
        library: tuple[Shipped, ...] = ()
        if similarity is not None:
            files = [Path(similarity.cache) / f"{similarity.version}{s}" for s in LIBRARY_FILES]
            if all(f.is_file() for f in files) and sum(f.stat().st_size for f in files) <= (
                SHIP_LIBRARY
            ):
                library = tuple(Shipped.of(f) for f in files)
            else:
                cache = map_path(os.path.abspath(similarity.cache), self.path_map)
                self._check_library(cache, f"{similarity.version}.json")
                similarity = similarity.model_copy(update={"cache": cache})
        update = {"trust_anchors": None, "similarity": similarity}
        self.seen, self.sent = options, (options.model_copy(update=update), anchors, library)
        return self.sent

    def _check_library(self, folder: str, name: str) -> None:
        readable = self.client.run(os.path.isfile, os.path.join(folder, name))
        missing = sorted(a for a, ok in readable.items() if not ok)
        if missing:
            raise ClusterError(
                f"worker {missing[0]} cannot read the reference library index at {folder} "
                f"(larger than {SHIP_LIBRARY >> 20} MiB, it is not sent with the tasks): mount "
                "it there or map it with --path-map"
            )

    def collect(self, paths: list[str], task: _Task) -> list[dict[str, Any]]:
        try:
            address, found, results = task.result()
        except Exception as exc:  # the task failed: a worker died on it too often, or raised
            if self.client.status != "running":
                raise ClusterError(f"lost the cluster scheduler: {exc}") from exc
            if len(paths) == 1:
                failed = unreadable(f"inspection failed on the cluster: {_why(exc)}")
                return [{**failed, "transient": True}]
            # Split in eight (each part split again if it fails too), all parts submitted
            # before any is awaited: only the file at fault ends unreadable.
            size = -(-len(paths) // SPLIT)
            parts = [paths[i : i + size] for i in range(0, len(paths), size)]
            tasks = [self.submit(part) for part in parts]
            return [r for part, t in zip(parts, tasks, strict=True) for r in self.collect(part, t)]
        finally:
            task.release()  # type: ignore[no-untyped-call]
        if found != self.expected:
            self._refuse(address, found)
        return results

    def _refuse(self, address: str, found: str) -> None:
        raise ClusterError(
            f"worker {address or '?'} reads files with {found}, this driver with "
            f"{self.expected}: install the same clearance on every worker"
        )


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")
