"""Benchmark: which nearest-neighbour index over 256-bit PDQ codes the similarity guard uses.

Candidates: faiss binary indexes (``IndexBinaryFlat`` — exact brute force,
``IndexBinaryHash`` — one hash table on a prefix, ``IndexBinaryMultiHash`` — multi-index
hashing, ``IndexBinaryHNSW``) and usearch (HNSW, ``hamming`` metric, ``b1`` vectors, and its
exact SIMD scan). Each is built over N codes (default 1,000,000) and asked, one query at a time
on one thread (as ``clearance similar`` asks), for "every code within Hamming distance R"
(R = 16, 24, 32, 40, 48) and for the 10 nearest codes.

The codes model a reference library: PDQ codes of the real images in the shared corpus and
external media (all eight dihedral variants each), and synthetic
"shots" — a random 256-bit seed (PDQ codes are balanced, about half the bits set, as random
codes are) with 1–40 frames, each frame the previous one with a few bits flipped (consecutive
frames of a shot hash a few bits apart; a shot drifts to 20–60 bits). Queries: half are copies
— a stored code with r bits flipped (r uniform in 0…48; for the real images, the PDQ code of a
transformed copy: JPEG 50, half size, crop) — and half are unrelated (fresh random codes, which
lie ≥ 80 bits from everything, as a clean frame does).

Ground truth is a numpy brute force (XOR + popcount over every code), independent of both
libraries. Reported per index: build seconds, memory (RSS growth while building, and the
serialized size), p50/p95 query latency per R, recall of the true neighbours within R, and
for k-NN (k = 10) p50/p95 and the share of queries whose nearest distance is the true one.

Usage: ``python bench/bench_index.py [N] [QUERIES] [ONLY]`` (defaults 1,000,000 and 1,000;
``ONLY``: comma-separated parts of index names, e.g. ``faiss,usearch HNSW``).
Target: < 2 ms per query at 1,000,000 codes with recall 1.0 at the pack's threshold.
"""

from __future__ import annotations

import datetime
import gc
import importlib.metadata
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np
import pdqhash
from PIL import Image, ImageOps

try:  # a candidate only, not a dependency: ``pip install usearch`` to include it
    from usearch.compiled import MetricKind
    from usearch.index import Index
    from usearch.index import search as usearch_search

    USEARCH_VERSION: str | None = importlib.metadata.version("usearch")
except ImportError:
    USEARCH_VERSION = None

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
IMAGE_DIRS = [SHARED / "corpus" / "files", SHARED / "external" / "media" / "files"]
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".gif", ".bmp"}
RADII = (16, 24, 32, 40, 48)
K = 10
D = 256
RNG = np.random.default_rng(15)


def rss_bytes() -> int:
    """Resident set size of this process, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def real_images() -> list[Image.Image]:
    """Every decodable still in the shared corpus and external media, as RGB."""
    warnings.simplefilter("ignore")  # the corpus holds crafted files on purpose
    images = []
    for folder in IMAGE_DIRS:
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            try:
                with Image.open(path) as im:
                    im.load()
                    rgb = ImageOps.exif_transpose(im).convert("RGB")
            except Exception:
                continue
            if min(rgb.size) >= 16:
                images.append(rgb)
    return images


def pdq_codes(image: Image.Image, dihedral: bool) -> np.ndarray:
    """PDQ code(s) of one image, packed to 32 bytes each (bit i of the hash = bit i)."""
    pixels = np.asarray(image)
    hashes = pdqhash.compute_dihedral(pixels)[0] if dihedral else [pdqhash.compute(pixels)[0]]
    return np.packbits(np.asarray(hashes, dtype=np.uint8), axis=1)


def transformed(image: Image.Image, i: int) -> Image.Image:
    """One of three copies of a real image: JPEG quality 50, half size, 8 % crop."""
    import io

    w, h = image.size
    if i % 3 == 0:
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=50)
        return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    if i % 3 == 1:
        return image.resize((max(1, w // 2), max(1, h // 2)))
    dx, dy = int(w * 0.04), int(h * 0.04)
    return image.crop((dx, dy, w - dx, h - dy))


def flip_bits(codes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Each row of ``codes`` with exactly ``counts[i]`` distinct random bits flipped."""
    bits = np.unpackbits(codes, axis=1)
    order = np.argsort(RNG.random((len(codes), D)), axis=1)
    mask = np.arange(D)[None, :] < counts[:, None]
    flips = np.zeros_like(bits)
    np.put_along_axis(flips, order, mask.astype(np.uint8), axis=1)
    return np.packbits(bits ^ flips, axis=1)


def synthetic_shots(n: int) -> np.ndarray:
    """``n`` codes as shots: a random seed, then frames a few bits from the previous one."""
    out = np.empty((n, 32), dtype=np.uint8)
    filled = 0
    chunk = 50_000
    while filled < n:
        seeds = RNG.integers(0, 256, (chunk // 20, 32), dtype=np.uint8)
        lengths = RNG.integers(1, 41, len(seeds))
        frames = [seeds]
        current = seeds
        for step in range(1, int(lengths.max())):
            alive = lengths > step
            current = current.copy()
            current[alive] = flip_bits(current[alive], RNG.integers(0, 5, int(alive.sum())))
            frames.append(current[alive])
            # keep `current` aligned with `seeds` for the next step
        block = np.concatenate(frames)[: n - filled]
        out[filled : filled + len(block)] = block
        filled += len(block)
    return out


def library(n: int, queries: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(codes, copy queries, unrelated queries, number of real codes in ``codes``)."""
    images = real_images()
    real = np.concatenate([pdq_codes(im, dihedral=True) for im in images])
    real_copies = np.concatenate(
        [pdq_codes(transformed(im, i), dihedral=False) for i, im in enumerate(images)]
    )
    codes = np.concatenate([real, synthetic_shots(n - len(real))])
    RNG.shuffle(codes)
    n_copy = max(0, queries // 2 - len(real_copies))
    picked = codes[RNG.integers(0, n, n_copy)]
    copies = np.concatenate([real_copies, flip_bits(picked, RNG.integers(0, 49, n_copy))])
    unrelated = RNG.integers(0, 256, (queries - len(copies), 32), dtype=np.uint8)
    return codes, copies, unrelated, len(real)


def distances(codes: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Hamming distance from ``query`` to every code (numpy XOR + popcount)."""
    x = np.bitwise_xor(codes.view(np.uint64), query.view(np.uint64)[None, :])
    d: np.ndarray = np.bitwise_count(x).sum(axis=1, dtype=np.int32)
    return d


@dataclass
class Result:
    name: str
    build_s: float = 0.0
    rss_mb: float = 0.0
    stored_mb: float = 0.0
    radius: dict[int, tuple[float, float, float]] = field(default_factory=dict)  # p50, p95, recall
    knn: tuple[float, float, float] = (0.0, 0.0, 0.0)  # p50, p95, share with exact nearest
    note: str = ""


Radius = Callable[[np.ndarray, int], set[int]]
Knn = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def measure(
    result: Result,
    radius: Radius,
    knn: Knn,
    queries: np.ndarray,
    truth: list[np.ndarray],
    nearest: np.ndarray,
) -> None:
    """Time each query alone; compare with the brute-force truth."""
    for r in RADII:
        times, found, wanted = [], 0, 0
        for q, d in zip(queries, truth, strict=True):
            t = time.perf_counter_ns()
            got = radius(q, r)
            times.append(time.perf_counter_ns() - t)
            true = set(np.flatnonzero(d <= r).tolist())
            wanted += len(true)
            found += len(true & got)
        p50, p95 = np.percentile(times, [50, 95]) / 1e6
        result.radius[r] = (float(p50), float(p95), found / wanted if wanted else 1.0)
    times, exact = [], 0
    for q, best in zip(queries, nearest, strict=True):
        t = time.perf_counter_ns()
        _, dist = knn(q)
        times.append(time.perf_counter_ns() - t)
        exact += int(len(dist) > 0 and int(dist[0]) == int(best))
    p50, p95 = np.percentile(times, [50, 95]) / 1e6
    result.knn = (float(p50), float(p95), exact / len(queries))


def faiss_range(index: faiss.IndexBinary) -> Radius:
    def run(q: np.ndarray, r: int) -> set[int]:
        # faiss keeps distances < radius, so ask for r + 1 to get every code at distance <= r
        lims, _, ids = index.range_search(q[None, :], r + 1)
        return set(ids[lims[0] : lims[1]].tolist())

    return run


def faiss_knn(index: faiss.IndexBinary) -> Knn:
    def run(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dist, ids = index.search(q[None, :], K)
        return ids[0], dist[0]

    return run


def knn_filtered(knn: Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]]) -> Radius:
    """Radius search through k-NN (HNSW has no range search): k = 256, keep d <= r."""

    def run(q: np.ndarray, r: int) -> set[int]:
        ids, dist = knn(q, 256)
        return {int(i) for i, d in zip(ids, dist, strict=True) if d <= r and i >= 0}

    return run


def build_faiss(
    name: str, make: Callable[[], faiss.IndexBinary], codes: np.ndarray
) -> tuple[Result, faiss.IndexBinary]:
    gc.collect()
    before = rss_bytes()
    t = time.perf_counter()
    index = make()
    if not index.is_trained:
        index.train(codes)
    index.add(codes)
    build = time.perf_counter() - t
    rss = rss_bytes() - before
    stored = len(faiss.serialize_index_binary(index))
    return Result(name, build, rss / 2**20, stored / 2**20), index


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    nq = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    build_threads = os.cpu_count() or 1
    only = set(sys.argv[3].split(",")) if len(sys.argv) > 3 else None
    t0 = time.perf_counter()
    codes, copies, unrelated, n_real = library(n, nq)
    queries = np.concatenate([copies, unrelated])
    gen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    truth = [distances(codes, q) for q in queries]
    nearest = np.array([int(d.min()) for d in truth])
    truth_s = time.perf_counter() - t0
    within = {r: int(sum(int((d <= r).sum()) for d in truth)) for r in RADII}
    results: list[Result] = []
    faiss.omp_set_num_threads(build_threads)

    def want(name: str) -> bool:
        return only is None or any(o in name for o in only)

    faiss_configs: list[
        tuple[str, Callable[[], faiss.IndexBinary], Callable[[faiss.IndexBinary, int], None]]
    ] = [
        ("faiss IndexBinaryFlat", lambda: faiss.IndexBinaryFlat(D), lambda ix, r: None),
        (
            "faiss IndexBinaryHash b=16 nflip=4",
            lambda: faiss.IndexBinaryHash(D, 16),
            lambda ix, r: setattr(ix, "nflip", 4),
        ),
        (
            "faiss IndexBinaryMultiHash 16x16",
            lambda: faiss.IndexBinaryMultiHash(D, 16, 16),
            lambda ix, r: setattr(ix, "nflip", r // 16),
        ),
        ("faiss IndexBinaryHNSW M=16", lambda: faiss.IndexBinaryHNSW(D, 16), lambda ix, r: None),
    ]
    for name, make, tune in faiss_configs:
        if not want(name):
            continue
        faiss.omp_set_num_threads(build_threads)
        result, index = build_faiss(name, make, codes)
        faiss.omp_set_num_threads(1)
        if isinstance(index, faiss.IndexBinaryHNSW):
            index.hnsw.efSearch = 256
            result.note = "efSearch 256; no range search: k-NN (k=256) filtered by distance"

            def hnsw_knn(
                q: np.ndarray, k: int, ix: faiss.IndexBinary = index
            ) -> tuple[np.ndarray, np.ndarray]:
                dist, ids = ix.search(q[None, :], k)
                return ids[0], dist[0]

            radius = knn_filtered(hnsw_knn)
        else:
            base = faiss_range(index)

            def radius(
                q: np.ndarray,
                r: int,
                ix: faiss.IndexBinary = index,
                tune: Callable[[faiss.IndexBinary, int], None] = tune,
                base: Radius = base,
            ) -> set[int]:
                tune(ix, r)
                return base(q, r)

            if "MultiHash" in name:
                result.note = "nflip = R // 16 per query: exact by the pigeonhole principle"
            elif "IndexBinaryHash" in name:
                result.note = "buckets of the first 16 bits within 4 flips: misses far neighbours"
        tune(index, 48)
        measure(result, radius, faiss_knn(index), queries, truth, nearest)
        results.append(result)
        print(result, file=sys.stderr, flush=True)
        del index
        gc.collect()

    if USEARCH_VERSION is None:
        print("usearch is not installed: its rows are left out", file=sys.stderr)
    elif want("usearch HNSW"):
        gc.collect()
        before = rss_bytes()
        t = time.perf_counter()
        uindex = Index(
            ndim=D,
            metric=MetricKind.Hamming,
            dtype="b1",
            connectivity=16,
            expansion_add=128,
            expansion_search=256,
        )
        uindex.add(np.arange(len(codes), dtype=np.uint64), codes, threads=build_threads)
        build = time.perf_counter() - t
        result = Result(
            "usearch HNSW b1 M=16",
            build,
            (rss_bytes() - before) / 2**20,
            uindex.memory_usage / 2**20,
        )
        result.note = "expansion_search 256; no range search: k-NN (k=256) filtered by distance"

        def u_knn(q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
            m = uindex.search(q, k, threads=1)
            return m.keys.astype(np.int64), m.distances

        measure(result, knn_filtered(u_knn), lambda q: u_knn(q, K)[::1], queries, truth, nearest)
        results.append(result)
        print(result, file=sys.stderr, flush=True)
        del uindex
        gc.collect()

    if USEARCH_VERSION is not None and want("usearch exact"):
        result = Result(
            "usearch exact scan",
            0.0,
            0.0,
            codes.nbytes / 2**20,
            note="brute force over the packed codes; k-NN (k=256) filtered",
        )

        def e_knn(q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
            m = usearch_search(codes, q, k, MetricKind.Hamming, exact=True, threads=1)
            return m.keys.astype(np.int64), m.distances

        measure(result, knn_filtered(e_knn), lambda q: e_knn(q, K), queries, truth, nearest)
        results.append(result)

    load = os.getloadavg()
    print(f"# Index benchmark — {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    print()
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, faiss {faiss.__version__}, usearch "
        f"{USEARCH_VERSION or '(not installed)'}; load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (shared machine). Queries one at a time "
        f"on one thread; builds on {build_threads} threads."
    )
    print()
    print(
        f"{n:,} codes ({n_real:,} PDQ codes of real images with dihedral variants, the rest "
        f"synthetic shots), {nq:,} queries ({len(copies):,} copies, {len(unrelated):,} unrelated); "
        f"true neighbours within R over all queries: "
        + ", ".join(f"R={r}: {within[r]:,}" for r in RADII)
        + f". Data {gen_s:.1f} s, numpy ground truth {truth_s:.1f} s."
    )
    print()
    head = (
        "| index | build s | RSS MiB | stored MiB | "
        + " | ".join(f"R≤{r} p50/p95 ms (recall)" for r in RADII)
        + f" | {K}-NN p50/p95 ms (exact 1st) |"
    )
    print(head)
    print("|" + "---|" * (5 + len(RADII)))
    for res in results:
        cells = [
            f"{res.radius[r][0]:.3f}/{res.radius[r][1]:.3f} ({res.radius[r][2]:.3f})" for r in RADII
        ]
        print(
            f"| {res.name} | {res.build_s:.1f} | {res.rss_mb:.0f} | {res.stored_mb:.0f} | "
            + " | ".join(cells)
            + f" | {res.knn[0]:.3f}/{res.knn[1]:.3f} ({res.knn[2]:.3f}) |"
        )
    print()
    for res in results:
        if res.note:
            print(f"* {res.name}: {res.note}")


if __name__ == "__main__":
    main()
