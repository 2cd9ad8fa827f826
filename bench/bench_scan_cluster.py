"""Benchmark: `clearance scan` in one process against `clearance scan --cluster` on a local
Dask cluster (a scheduler and two one-thread workers, separate processes on loopback), on the
same tree of N small mixed files (default 200,000, generated under /tmp: PNG — plain, with
IPTC XMP DigitalSourceType, with Stable Diffusion parameters — JPEG, WAV, truncated JPEG,
unknown binary; and 200 JPEGs with C2PA manifests signed at run time by a throwaway CA).
C2PA validation is on (the default); no cache.

Reports, for each run: wall seconds, files/s, CPU seconds of each process (the driver, the
scheduler, the workers), the driver's peak memory and its memory at each quarter of the scan
(bounded: it must not grow with the files seen); the engine's own cost per file (the
cluster's CPU beyond the one process's, and a no-op task's round trip per chunk); and the
model that predicts throughput on N machines of c cores from those figures:

    files/s(N, c) = min(N·c / w, 1 / d, 1 / s)

w: worker CPU seconds per file (inspection + the engine's share on the worker), d: driver
CPU seconds per file (walk, cache, judging, output), s: scheduler CPU seconds per file. Storage
and network bandwidth are a fourth bound the model leaves to the reader (bytes per file ÷
bandwidth). CPU seconds, unlike wall seconds, hold on a machine other work shares.

Usage: ``python bench/bench_scan_cluster.py [N] [--keep]`` (``--keep``: reuse the tree in
/tmp/clearance-bench-cluster if it holds N files).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))  # the other benches import each other by name

from tests.test_scan_cluster import LoopbackCluster, make_tree  # noqa: E402

from bench_scan import add_c2pa  # noqa: E402
from clearance.provenance.cluster import TASK_FILES  # noqa: E402

EXE = Path(sys.executable).parent / "clearance"
WORK = Path("/tmp/clearance-bench-cluster")


def cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def run_driver(args: list[str], files: int) -> dict[str, Any]:
    """Run a scan, sampling its memory; wall and CPU seconds, peak and per-quarter RSS."""
    env = {k: v for k, v in os.environ.items() if k != "CLEARANCE_DATABASE_URL"}
    out = (WORK / "scan.json").open("w")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen([str(EXE), "scan", *args, "--format", "json"], stdout=out, env=env)
    watched = psutil.Process(proc.pid)
    samples: list[tuple[float, int]] = []
    while proc.poll() is None:
        try:
            samples.append((time.perf_counter() - started, watched.memory_info().rss))
        except psutil.NoSuchProcess:
            break
        time.sleep(0.25)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    driver_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out.close()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"scan failed ({proc.returncode})")
    summary = json.loads((WORK / "scan.json").read_text())["summary"]
    assert summary["files"] == files, summary
    quarters = [
        max((r for t, r in samples if q * wall / 4 <= t < (q + 1) * wall / 4), default=0) >> 20
        for q in range(4)
    ]
    return {
        "wall": wall,
        "files_per_s": files / wall,
        "driver_cpu": driver_cpu,
        "peak_mb": max(r for _, r in samples) >> 20,
        "quarters_mb": quarters,
        "summary": summary,
    }


def noop_task_ms(cluster: LoopbackCluster, count: int = 2000) -> float:
    """The engine's round trip for a task that does nothing (submit → result), ms."""

    def noop(x: int) -> int:
        return x

    started = time.perf_counter()
    futures = cluster.client.map(noop, range(count), pure=False)
    cluster.client.gather(futures)  # type: ignore[no-untyped-call]
    return (time.perf_counter() - started) / count * 1000


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 200_000
    keep = "--keep" in sys.argv
    tree = WORK / "tree"
    marker = WORK / f"made-{count}"
    if not (keep and marker.exists()):
        shutil.rmtree(WORK, ignore_errors=True)
        tree.mkdir(parents=True)
        started = time.perf_counter()
        make_tree(tree, count - 200)
        add_c2pa(tree, 200)
        print(f"tree: {count:,} files in {time.perf_counter() - started:.0f} s", flush=True)
        marker.touch()
    files = count + 1  # make_tree adds one file with a name that is not UTF-8
    load = os.getloadavg()[0]
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}; "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}; load average {load:.1f} at start",
        flush=True,
    )
    one = run_driver([str(tree), "--no-cache", "--jobs", "1", "--no-record"], files)
    print(f"one process: {one['wall']:.1f} s, {one['files_per_s']:,.0f} files/s", flush=True)

    cluster = LoopbackCluster(WORK / "dask", workers=2)
    try:
        procs = [psutil.Process(p.pid) for p in (cluster.scheduler, *cluster.workers)]
        before = [cpu(p) for p in procs]
        on = run_driver(
            [str(tree), "--no-cache", "--no-record", "--cluster", cluster.address], files
        )
        after = [cpu(p) for p in procs]
        noop = noop_task_ms(cluster)
    finally:
        cluster.close()
    scheduler_cpu = after[0] - before[0]
    worker_cpu = sum(after[1:]) - sum(before[1:])
    assert on["summary"]["verdicts"] == one["summary"]["verdicts"]
    assert on["summary"]["credentials"] == one["summary"]["credentials"]

    w = worker_cpu / files
    d = on["driver_cpu"] / files
    s = scheduler_cpu / files
    local = one["driver_cpu"] / files
    overhead = (on["driver_cpu"] + scheduler_cpu + worker_cpu - one["driver_cpu"]) / files
    print(f"\n### {files:,} files, no cache, C2PA validation on\n")
    print("| run | wall s | files/s | CPU s (driver / scheduler / workers) | driver peak MB |")
    print("|---|---|---|---|---|")
    print(
        f"| one process (`--jobs 1`) | {one['wall']:.1f} | {one['files_per_s']:,.0f} | "
        f"{one['driver_cpu']:.1f} / — / — | {one['peak_mb']} |"
    )
    print(
        f"| local cluster, 2 workers (`--cluster`) | {on['wall']:.1f} | "
        f"{on['files_per_s']:,.0f} | {on['driver_cpu']:.1f} / {scheduler_cpu:.1f} / "
        f"{worker_cpu:.1f} | {on['peak_mb']} |"
    )
    print(
        f"\nDriver memory by quarter of the scan (MB): one process {one['quarters_mb']}, "
        f"cluster driver {on['quarters_mb']}."
    )
    print(
        f"\nPer file: one process {local * 1000:.3f} ms CPU; on the cluster, workers "
        f"w = {w * 1000:.3f} ms, driver d = {d * 1000:.3f} ms, scheduler s = {s * 1000:.3f} ms. "
        f"The engine's overhead: {overhead * 1000:.3f} ms CPU per file in all "
        f"({overhead / local:.0%} of the one-process cost); a no-op task's round trip "
        f"{noop:.2f} ms, {noop / TASK_FILES:.4f} ms per file at {TASK_FILES} files a task."
    )
    shared = files / ((on["driver_cpu"] + scheduler_cpu + worker_cpu) / (os.cpu_count() or 1))
    print(
        f"\nModel on this machine (driver, scheduler and workers share its "
        f"{os.cpu_count()} cores): {shared:,.0f} files/s if the cores were ours alone; "
        f"measured {on['files_per_s']:,.0f} files/s at load average {load:.1f}."
    )
    print("\nPredicted files/s = min(N·c / w, 1/d, 1/s), driver and scheduler on machines of")
    print("their own:\n")
    print("| machines N | c = 2 cores | c = 16 cores |")
    print("|---|---|---|")
    for n in (1, 2, 4, 8, 16, 32, 64):
        cells = [f"{min(n * c / w, 1 / d, 1 / s):,.0f}" for c in (2, 16)]
        print(f"| {n} | {cells[0]} | {cells[1]} |")
    bound = "driver" if d >= s else "scheduler"
    print(
        f"\nThe {bound} bounds a scan at {min(1 / d, 1 / s):,.0f} files/s: beyond "
        f"{min(1 / d, 1 / s) * w:,.0f} worker cores, more machines do not help (several "
        f"drivers, one per tree, do)."
    )
    (WORK / "result.json").write_text(
        json.dumps(
            {"files": files, "one": one, "cluster": on, "w": w, "d": d, "s": s, "noop_ms": noop},
            default=str,
        )
    )


if __name__ == "__main__":
    main()
