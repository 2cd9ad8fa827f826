"""Benchmark: does the similarity guard find near-copies of reference material, and how fast?

**Accuracy.** References are the real stills of the shared corpus and external media (every
file Pillow decodes, at least 64 px a side) and the frames ``hash_reference`` samples from
their videos (scene changes, at least one a second). Pictures that are the same photograph
(the C2PA test files re-sign one image many times) are grouped: a copy matching any member of
its group is a correct match. Each reference gets eight transformed copies — crop (10 % off
each dimension, split unevenly between the sides), resize to half, JPEG quality 50, colour
grade (contrast, saturation, warm tint, gamma), letterbox (black bars, 12.5 % of the height
each), horizontal flip, noise (Gaussian, σ = 2 % of full scale), overlaid text (a burnt-in
subtitle: one line, 1/16 of the height, white with a black outline, in the lower tenth).
The distractors, none a copy of a whole reference (files under SIMILARITY_BENCH_WORK, default
/tmp/similarity-bench-work, kept for inspection):

* synthetic scenes — procedural pictures (gradient sky, ground, shapes, text lines);
* collages — 4 or 9 tiles, each a 15–35 % crop of a different real picture, rotated by a
  non-right angle and colour-shifted;
* tiles — crops of at most a quarter of a real picture's area, scaled up;
* frames of videos that are not references (every frame of ``sample.avi`` and
  ``yog_videotest2.mp4``; those two videos are left out of the references).

Hashing goes through ``clearance.similarity``'s public functions, so what is measured is what
ships: a reference is stored as ``hash_reference`` makes it (an image: the whole picture and
its crops; a video: its sampled frames), a checked picture is written to a file and hashed
with ``hash_query`` (its dihedral variants, and those of the picture inside flat bars), and
the distance is the smallest over the stored codes and the variants. For every threshold
0…64 the table gives recall per transform (the copy's own reference within the threshold) and the
false-match rate (share of distractors with any reference within the threshold), with the
rate per stored code that predicts it for a library of a million codes.

**Speed.** Hashing throughput (decode + hash, one core) for images and video, side by side
with ``imagehash``'s pHash on the same files and frames; query latency against 1,000,000
reference codes with the shipped index, and its memory (see also ``bench/bench_index.py``).

Usage: ``python bench/bench_similarity.py [accuracy|speed|all] [DISTRACTORS] [CODES] [RADIUS]``
(defaults ``all``, 10,500 distractors, 1,000,000 codes, radius 32 — pass the pack's: 44).
Targets: recall ≥ 0.95 at a false-match rate ≤ 0.1 % at the pack's threshold; < 2 ms per
query against 1,000,000 codes.
"""

from __future__ import annotations

import datetime
import io
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pdqhash
from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
SHARED = ROOT.parent / "shared"
SOURCES = [SHARED / "corpus" / "files", SHARED / "external" / "media" / "files"]
STILLS = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".gif", ".bmp", ".avif", ".heic"}
VIDEOS = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v"}
DISTRACTOR_VIDEOS = {"sample.avi", "yog_videotest2.mp4"}
SAME_PICTURE = 8  # references this close (or closer) are the same photograph
TRANSFORMS = ("crop", "half", "jpeg50", "grade", "letterbox", "hflip", "noise", "text")
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
RNG = np.random.default_rng(1515)
warnings.simplefilter("ignore")  # the corpus holds crafted files on purpose


# --- hashing: the library's public functions (what ships) ----------------------------------

from clearance.similarity import (  # noqa: E402 - after the sys.path line above
    MIN_QUALITY,
    FrameHash,
    Index,
    SimilarityError,
    hash_query,
    hash_reference,
)

BACKEND = "clearance.similarity (PDQ via pdqhash " + getattr(pdqhash, "__version__", "?") + ")"
WORK = Path(os.environ.get("SIMILARITY_BENCH_WORK", "/tmp/similarity-bench-work"))


def saved(image: Image.Image, name: str, jpeg_quality: int | None = None) -> Path:
    """``image`` written under WORK (PNG, or JPEG at ``jpeg_quality``), for ``hash_query``."""
    path = WORK / (name + (".jpg" if jpeg_quality else ".png"))
    path.parent.mkdir(parents=True, exist_ok=True)
    if jpeg_quality:
        image.save(path, "JPEG", quality=jpeg_quality)
    else:
        image.save(path, "PNG", compress_level=1)
    return path


def codes_of(found: FrameHash) -> np.ndarray:
    """The query codes of a hash, packed (variants, 32): all eight dihedral variants."""
    return np.frombuffer(b"".join(found.variants or (found.code,)), dtype=np.uint8).reshape(-1, 32)


# --- sources --------------------------------------------------------------------------------


def stills() -> list[tuple[str, Image.Image, Path]]:
    """Every decodable still of the shared corpus and external media, as RGB."""
    out = []
    for folder in SOURCES:
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in STILLS:
                continue
            try:
                with Image.open(path) as im:
                    im.load()
                    rgb = ImageOps.exif_transpose(im).convert("RGB")
            except Exception:
                continue
            if min(rgb.size) >= 64:
                out.append((path.name, rgb, path))
    return out


def video_paths() -> list[Path]:
    return sorted(p for f in SOURCES for p in f.rglob("*") if p.suffix.lower() in VIDEOS)


def frames(path: Path, every_s: float | None) -> Iterator[tuple[float, Image.Image]]:
    """Decoded frames of a video (one per ``every_s`` seconds, or all), with their time."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            next_t = 0.0
            for frame in container.decode(stream):
                t = float(frame.time) if frame.time is not None else 0.0
                if every_s is None or t >= next_t:
                    next_t = t + (every_s or 0.0)
                    yield t, Image.fromarray(frame.to_ndarray(format="rgb24"))
    except (av.error.FFmpegError, IndexError):
        return


# --- transformed copies ---------------------------------------------------------------------


def transform(image: Image.Image, kind: str, seed: int) -> Image.Image:
    """One copy of ``image``; each kind at the strength the issue names."""
    rng = np.random.default_rng(seed)
    w, h = image.size
    if kind == "crop":
        left, top = int(w * 0.1 * rng.random()), int(h * 0.1 * rng.random())
        return image.crop((left, top, left + w - w // 10, top + h - h // 10))
    if kind == "half":
        return image.resize((max(1, w // 2), max(1, h // 2)), Image.Resampling.BILINEAR)
    if kind == "jpeg50":
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=50)
        return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    if kind == "grade":
        graded = ImageEnhance.Contrast(image).enhance(1.2)
        graded = ImageEnhance.Color(graded).enhance(0.8)
        r, g, b = graded.split()
        r = r.point(lambda v: min(255, int(v * 1.08)))
        b = b.point(lambda v: int(v * 0.9))
        graded = Image.merge("RGB", (r, g, b))
        return graded.point(lambda v: int(255 * (v / 255) ** 0.9))
    if kind == "letterbox":
        bar = h // 6  # 12.5 % of the new height each side
        canvas = Image.new("RGB", (w, h + 2 * bar))
        canvas.paste(image, (0, bar))
        return canvas
    if kind == "hflip":
        return ImageOps.mirror(image)
    if kind == "noise":
        pixels = np.asarray(image, dtype=np.float32)
        noisy = pixels + rng.normal(0.0, 0.02 * 255, pixels.shape)
        return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    if kind == "text":  # a burnt-in subtitle: one line, 1/16 of the height, lower tenth
        out = image.copy()
        draw = ImageDraw.Draw(out)
        size = max(10, h // 16)
        draw.text(
            (w // 2, h - h // 10),
            "I never said she stole my money.",
            font=ImageFont.truetype(FONT, size),
            anchor="ms",
            fill=(255, 255, 255),
            stroke_width=max(1, size // 12),
            stroke_fill=(0, 0, 0),
        )
        return out
    raise ValueError(kind)


# --- distractors ----------------------------------------------------------------------------


def synthetic_scene(seed: int) -> Image.Image:
    """A procedural picture: gradient sky, ground, shapes and a line of text."""
    rng = np.random.default_rng(seed)
    w, h = int(rng.integers(320, 720)), int(rng.integers(240, 540))
    top, bottom = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    ramp = np.linspace(0.0, 1.0, h)[:, None, None]
    sky = (top[None, None, :] * (1 - ramp) + bottom[None, None, :] * ramp).repeat(w, axis=1)
    image = Image.fromarray(sky.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    horizon = int(h * rng.uniform(0.4, 0.8))
    draw.rectangle((0, horizon, w, h), fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    for _ in range(int(rng.integers(3, 25))):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1, y1 = x0 + int(rng.integers(10, w // 2)), y0 + int(rng.integers(10, h // 2))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        shape = int(rng.integers(0, 4))
        if shape == 0:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        elif shape == 1:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        elif shape == 2:
            pts = [(int(rng.integers(0, w)), int(rng.integers(0, h))) for _ in range(3)]
            draw.polygon(pts, fill=colour)
        else:
            draw.line((x0, y0, x1, y1), fill=colour, width=int(rng.integers(1, 12)))
    if rng.random() < 0.5:
        font = ImageFont.truetype(FONT, int(rng.integers(12, 48)))
        draw.text(
            (int(rng.integers(0, w // 2)), int(rng.integers(0, h - 20))), f"scene {seed}", font=font
        )
    if rng.random() < 0.5:
        pixels = np.asarray(image, dtype=np.float32)
        pixels += rng.normal(0.0, rng.uniform(2, 20), pixels.shape)
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return image


def tile_of(image: Image.Image, rng: np.random.Generator, low: float, high: float) -> Image.Image:
    """A crop whose sides are ``low``…``high`` of the picture's sides, at a random place."""
    w, h = image.size
    tw, th = max(8, int(w * rng.uniform(low, high))), max(8, int(h * rng.uniform(low, high)))
    x, y = int(rng.integers(0, w - tw + 1)), int(rng.integers(0, h - th + 1))
    return image.crop((x, y, x + tw, y + th))


def collage(pictures: list[Image.Image], seed: int) -> Image.Image:
    """4 or 9 tiles of different pictures, each rotated and colour-shifted."""
    rng = np.random.default_rng(seed)
    n = 2 if rng.random() < 0.5 else 3
    cell = 480 // n
    out = Image.new("RGB", (cell * n, cell * n))
    picks = rng.choice(len(pictures), n * n, replace=False)
    for k, idx in enumerate(picks):
        tile = tile_of(pictures[int(idx)], rng, 0.15, 0.35)
        angle = float(rng.choice([-1, 1]) * rng.uniform(8, 80))
        tile = tile.rotate(angle, expand=False).resize((cell, cell))
        tile = ImageEnhance.Brightness(tile).enhance(float(rng.uniform(0.6, 1.4)))
        out.paste(tile, ((k % n) * cell, (k // n) * cell))
    return out


@dataclass
class Distractor:
    kind: str
    codes: np.ndarray | None  # query codes (its variants); None: refused as too flat
    path: Path


def distractors(pictures: list[Image.Image], total: int) -> list[Distractor]:
    """``total`` unrelated pictures (or more: every frame of the distractor videos), each
    written to a file and hashed with ``hash_query`` as ``clearance similar`` would."""
    out: list[Distractor] = []

    def add(kind: str, image: Image.Image) -> None:
        path = saved(image, f"distractors/{len(out):05d}", jpeg_quality=92)
        try:
            out.append(Distractor(kind, codes_of(hash_query(path).hashes[0]), path))
        except SimilarityError:
            out.append(Distractor(kind, None, path))

    for path in video_paths():
        if path.name in DISTRACTOR_VIDEOS:
            for _, frame in frames(path, None):
                add("video frame", frame)
    rest = max(0, total - len(out))
    n_tiles = rest // 5
    n_collages = rest * 2 // 5
    rng = np.random.default_rng(7)
    for i in range(n_tiles):
        tile = tile_of(pictures[i % len(pictures)], rng, 0.2, 0.5)
        tile.thumbnail((512, 512))
        add("tile", tile.resize((tile.width * 2, tile.height * 2)))
    for i in range(n_collages):
        add("collage", collage(pictures, 10_000 + i))
    for i in range(rest - n_tiles - n_collages):
        add("synthetic scene", synthetic_scene(20_000 + i))
    return out


# --- accuracy -------------------------------------------------------------------------------


def distances(queries: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """Distance from a picture (its query variants, (v, 32)) to each reference code (n, 32):
    the smallest over the variants, as ``Library.match`` takes it."""
    x = np.bitwise_xor(refs.view(np.uint64)[None, :, :], queries.view(np.uint64)[:, None, :])
    d: np.ndarray = np.bitwise_count(x).sum(axis=2, dtype=np.int32).min(axis=0)
    return d


@dataclass
class Reference:
    name: str  # file, or file@seconds for a video frame
    source: str  # the file it came from
    picture: Image.Image  # full-size pixels the copies are made from
    codes: np.ndarray  # the stored codes (n, 32): the whole picture first, then its crops


def references() -> tuple[list[Reference], list[str]]:
    """The references the library accepts (``hash_reference``: stills with their crops, and
    the sampled frames of the videos that are not distractor sources), and the files it
    refused with its reason."""
    refs: list[Reference] = []
    refused: list[str] = []
    for name, picture, path in stills():
        try:
            found = hash_reference(path)
        except SimilarityError as error:
            refused.append(f"{name}: {error.reason.split(':')[0]}")
            continue
        codes = np.stack([codes_of(h)[0] for h in found.hashes])
        refs.append(Reference(name, name, picture, codes))
    for path in video_paths():
        if path.name in DISTRACTOR_VIDEOS:
            continue
        try:
            sampled: dict[int, list[FrameHash]] = {}
            for h in hash_reference(path).hashes:
                sampled.setdefault(h.frame, []).append(h)
        except SimilarityError as error:
            refused.append(f"{path.name}: {error.reason.split(':')[0]}")
            continue
        for index, (t, picture) in enumerate(frames(path, None)):
            if index in sampled:
                codes = np.stack([codes_of(h)[0] for h in sampled[index]])
                refs.append(Reference(f"{path.name}@{t:.2f}s", path.name, picture, codes))
    return refs, refused


class Stored:
    """Every stored code of every reference, and the distance from a picture to each
    reference: the smallest over its codes and the picture's variants."""

    def __init__(self, refs: list[Reference]) -> None:
        self.codes = np.concatenate([r.codes for r in refs])
        self.starts = np.cumsum([0] + [len(r.codes) for r in refs])[:-1]

    def to(self, queries: np.ndarray) -> np.ndarray:
        return np.minimum.reduceat(distances(queries, self.codes), self.starts)


def groups_of(refs: list[Reference]) -> np.ndarray:
    """Group id per reference: frames of one file, and pictures within SAME_PICTURE bits of
    each other (the same photograph in several files), share one."""
    codes = np.stack([r.codes[0] for r in refs])
    group = np.arange(len(refs))
    for i, ref in enumerate(refs):
        same = distances(codes[i : i + 1], codes) <= SAME_PICTURE
        same |= np.array([r.source == ref.source for r in refs])
        members = np.isin(group, group[same])
        group[members] = group[members].min()
    return group


def accuracy(n_distractors: int) -> tuple[str, int | None]:
    t0 = time.perf_counter()
    refs, refused = references()
    stored = Stored(refs)
    group = groups_of(refs)
    # distance to the copy's own reference (or 999)
    own: dict[str, list[int]] = {kind: [] for kind in TRANSFORMS}
    flat_copies = {kind: 0 for kind in TRANSFORMS}
    for i, ref in enumerate(refs):
        for kind in TRANSFORMS:
            copy = transform(ref.picture, kind, seed=i)
            path = saved(copy, f"copies/{kind}/{i:04d}", 50 if kind == "jpeg50" else None)
            try:
                found = hash_query(path).hashes[0]
            except SimilarityError:
                flat_copies[kind] += 1
                own[kind].append(999)
                continue
            own[kind].append(int(stored.to(codes_of(found))[group == group[i]].min()))
    sources = []
    for _, picture, _ in stills():  # distractors are cut from pictures of at most 1024 px
        picture.thumbnail((1024, 1024))
        sources.append(picture)
    dis = distractors(sources, n_distractors)
    compared = [x for x in dis if x.codes is not None]
    dis_d = np.stack([stored.to(x.codes) for x in compared if x.codes is not None])
    nearest = dis_d.min(axis=1)
    # per stored code: how often an unrelated picture (any of its variants) comes within t —
    # the rate that scales with the library's size
    per_code = np.zeros(257, dtype=np.int64)
    for x in compared:
        if x.codes is not None:
            per_code += np.bincount(distances(x.codes, stored.codes), minlength=257)
    per_code_rate = np.cumsum(per_code) / per_code.sum()
    elapsed = time.perf_counter() - t0

    own_arr = {k: np.array(v) for k, v in own.items()}
    every = np.concatenate(list(own_arr.values()))
    kinds: dict[str, int] = {}
    for x in dis:
        kinds[x.kind] = kinds.get(x.kind, 0) + 1
    stills_n = sum(1 for r in refs if "@" not in r.name)
    lines = [
        f"## Accuracy — {BACKEND}",
        "",
        f"{len(refs)} references accepted by `hash_reference` ({stills_n} stills, "
        f"{len(refs) - stills_n} video frames it sampled; {len(stored.codes):,} stored codes "
        f"with the stills' crops) in {len(set(group.tolist()))} distinct pictures; "
        f"{len(refused)} files refused by the library ({'; '.join(refused)}). "
        f"{len(every):,} copies ({len(refs)} × {len(TRANSFORMS)} transforms; "
        f"{sum(flat_copies.values())} refused as too flat, counted as misses). "
        f"{len(dis):,} distractors ("
        + ", ".join(f"{v:,} {k}s" for k, v in sorted(kinds.items()))
        + f"; {len(dis) - len(compared):,} refused as too flat (PDQ quality < {MIN_QUALITY}), "
        f"so never compared). {elapsed:.0f} s.",
        "",
        "Recall: share of copies whose own reference is within the distance. False-match "
        "rate (FMR): share of the compared distractors with any reference within the "
        "distance; per reference: share of distractor × reference comparisons; per code: "
        "share of distractor × stored-code comparisons (a distractor's nearest variant), the "
        "rate that grows with the library; at 1M codes: per code × 1,000,000, the expected "
        "false matches of one unrelated picture against a library of a million codes "
        "(an upper bound on its FMR there, capped at 100 %; hits are not independent — one "
        "distractor close to a reference is close to many of its crops, so read it with the "
        "closest distractors below). PDQ codes have 128 bits set, so every distance is even: "
        "only even rows are shown.",
        "",
        "| distance ≤ | "
        + " | ".join(TRANSFORMS)
        + " | all copies | FMR | per reference | per code | at 1M codes |",
        "|---:|" + "---:|" * (len(TRANSFORMS) + 5),
    ]
    best: int | None = None
    for t in range(0, 65, 2):
        recall = [float((own_arr[k] <= t).mean()) for k in TRANSFORMS]
        fmr = float((nearest <= t).mean())
        per_pair = float((dis_d <= t).sum()) / dis_d.size
        if fmr <= 0.001:
            best = t
        lines.append(
            f"| {t} | "
            + " | ".join(f"{r:.3f}" for r in recall)
            + f" | {float((every <= t).mean()):.3f} | {100 * fmr:.3f} % | {per_pair:.1e} "
            f"| {per_code_rate[t]:.1e} | {min(1.0, per_code_rate[t] * 1e6):.2%} |"
        )
    lines.append("")
    if best is not None:
        # the shipped path at that threshold: the exact index, every query variant
        index = Index.build(stored.codes)
        hits = sum(1 for x in compared if x.codes is not None and any(index.search(x.codes, best)))
        recall_best = float((every <= best).mean())
        fmr_best = 100 * float((nearest <= best).mean())
        lines.append(
            f"Largest distance with FMR ≤ 0.1 %: **{best}** — recall of all copies "
            f"{recall_best:.3f}, FMR {fmr_best:.3f} % ({hits} distractors matched through "
            "`Index.search` at that radius)."
        )
    order = np.argsort(nearest)[:5]
    closest = [(int(nearest[j]), compared[j].kind, compared[j].path.name) for j in order]
    lines.append(f"Closest distractors (distance, kind, file under {WORK}): {closest}.")
    return "\n".join(lines), best


# --- speed ----------------------------------------------------------------------------------


def speed(threshold: int, n_codes: int) -> str:
    """Hashing throughput against imagehash's pHash on the same files and frames (one core),
    and query latency against ``n_codes`` reference codes."""
    import imagehash

    paths = [p for _, _, p in stills()]
    lines = [f"## Speed — {BACKEND}", ""]

    def timed(fn: Callable[[Path], object]) -> tuple[float, int]:
        refused = 0
        t = time.perf_counter()
        for path in paths:
            try:
                fn(path)
            except SimilarityError:
                refused += 1
        return time.perf_counter() - t, refused

    def phash(path: Path) -> object:
        with Image.open(path) as im:
            return imagehash.phash(im)

    timed(phash)  # warm the page cache: every timed pass reads the files from memory
    ref_s, refused = timed(hash_reference)
    query_s, _ = timed(hash_query)
    ph_s, _ = timed(phash)
    mpx = sum(s[1].size[0] * s[1].size[1] for s in stills()) / 1e6
    lines += [
        f"Stills: the {len(paths)} decodable corpus and external images ({mpx:.0f} Mpixel; "
        f"{refused} refused as too flat, still timed), decode + hash, one process. pHash: "
        "`imagehash.phash(Image.open(path))`.",
        "",
        "| hash | seconds | images/s | vs pHash |",
        "|---|---:|---:|---:|",
        f"| `hash_reference` (whole picture + crops) | {ref_s:.2f} | {len(paths) / ref_s:.0f} "
        f"| {ph_s / ref_s:.2f}× |",
        f"| `hash_query` (8 dihedral variants) | {query_s:.2f} | "
        f"{len(paths) / query_s:.0f} | {ph_s / query_s:.2f}× |",
        f"| imagehash pHash | {ph_s:.2f} | {len(paths) / ph_s:.0f} | 1.00× |",
        "",
    ]
    # video: the library's sampler against pHash of the very frames it sampled (same decode)
    videos, minutes, lib_s, ph_v_s, n_frames = [], 0.0, 0.0, 0.0, 0
    for path in video_paths():
        t = time.perf_counter()
        try:
            found = hash_query(path)
        except SimilarityError:
            continue
        lib_s += time.perf_counter() - t
        videos.append(path.name)
        minutes += (found.duration or 0.0) / 60
        sampled = {f.frame for f in found.hashes}
        n_frames += len(sampled)
        t = time.perf_counter()
        with av.open(str(path)) as container:
            for index, frame in enumerate(container.decode(container.streams.video[0])):
                if index in sampled:
                    imagehash.phash(Image.fromarray(frame.to_ndarray(format="rgb24")))
        ph_v_s += time.perf_counter() - t
    lines += [
        f"Video: {len(videos)} readable videos ({minutes:.2f} min in all, {n_frames} frames "
        "sampled: scene changes and at least one a second); every frame decoded by both.",
        "",
        "| hash | seconds | video min/s | vs pHash |",
        "|---|---:|---:|---:|",
        f"| `hash_query` (8 variants a frame) | {lib_s:.2f} | {minutes / lib_s:.2f} "
        f"| {ph_v_s / lib_s:.2f}× |",
        f"| PyAV decode + pHash of the same frames | {ph_v_s:.2f} | {minutes / ph_v_s:.2f} "
        "| 1.00× |",
        "",
    ]
    lines += queries(threshold, n_codes)
    return "\n".join(lines)


def queries(threshold: int, n_codes: int) -> list[str]:
    """``Index.search`` against ``n_codes`` codes: one picture (8 dihedral variants, as
    ``Library.match`` asks) at a time, and one code at a time."""
    import faiss

    sys.path.insert(0, str(ROOT / "bench"))
    from bench_index import synthetic_shots

    base = synthetic_shots(n_codes)
    t = time.perf_counter()
    index = Index.build(base)
    build_s = time.perf_counter() - t
    saved_at = WORK / "index.faiss"
    saved_at.parent.mkdir(parents=True, exist_ok=True)
    index.save(saved_at)  # what the index holds: faiss keeps one copy of the packed codes
    size_mib = saved_at.stat().st_size / 2**20
    pictures = [p for _, _, p in stills()][:100]
    asked = []
    for path in pictures:
        try:
            asked.append(codes_of(hash_query(path).hashes[0]))
        except SimilarityError:
            continue
    copies = base[RNG.integers(0, n_codes, 100)]
    lines = []
    for threads in (1, os.cpu_count() or 1):
        faiss.omp_set_num_threads(threads)
        per_picture, per_code = [], []
        for _ in range(5):
            for q in asked:
                t = time.perf_counter_ns()
                index.search(q, threshold)
                per_picture.append(time.perf_counter_ns() - t)
            for q in copies:
                t = time.perf_counter_ns()
                index.search(q[None, :], threshold)
                per_code.append(time.perf_counter_ns() - t)
        pp = np.percentile(per_picture, [50, 95]) / 1e6
        pc = np.percentile(per_code, [50, 95]) / 1e6
        lines.append(f"| {threads} | {pc[0]:.2f} / {pc[1]:.2f} | {pp[0]:.2f} / {pp[1]:.2f} |")
    load = os.getloadavg()
    return [
        f"Queries: `Index.search` (faiss `IndexBinaryFlat`, exact) over {n_codes:,} reference "
        f"codes (synthetic shots, as in `bench/bench_index.py`), radius {threshold}; built in "
        f"{build_s:.2f} s; memory {size_mib:.1f} MiB (the saved index; 32 bytes a code). "
        f"Each figure is 5 × {len(asked)} real pictures / 5 × 100 codes; "
        f"load average {load[0]:.2f}.",
        "",
        "| faiss threads | one code: p50 / p95 ms | one picture (all its variants): p50 / p95 ms |",
        "|---:|---:|---:|",
        *lines,
    ]


def header() -> str:
    load = os.getloadavg()
    return (
        f"# Similarity benchmark — {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC\n\n"
        f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared), Python "
        f"{platform.python_version()}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
        "at the start.\n"
    )


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10_500
    n_codes = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
    threshold = int(sys.argv[4]) if len(sys.argv) > 4 else 32
    print(header())
    if what in ("accuracy", "all"):
        print(accuracy(n)[0], flush=True)
        print()
    if what in ("speed", "all"):
        print(speed(threshold, n_codes))


if __name__ == "__main__":
    main()
