"""Benchmark: `clearance scan` against `exiftool -r -json` on the same tree, in the same run.

Two trees of N files each (default 20,000): a **small-image** tree (PNG, JPEG, TIFF, WebP of
64×48 pixels; about one in ten with XMP DigitalSourceType, one in ten with Stable Diffusion
(A1111) parameters) and a **mixed** tree (images, WAV, and MP4/MOV copies of two corpus
videos); each gets 200 JPEGs with C2PA manifests signed at run time by a throwaway CA (never
stored). C2PA validation is on (the default). For each tree: a cold `clearance scan` (fills
the cache, all cores), a warm re-scan of the unchanged tree, `--no-cache` with `--jobs 1` and
with all cores, and `exiftool -r -json` (Debian libimage-exiftool-perl). Reports wall seconds,
files/s, the ratio to exiftool, CPU seconds (user + system of the command), and for the warm
re-scan the scan's own time (the JSON summary's ``seconds``, without interpreter start-up).

Usage: ``python bench/bench_scan.py [N] [small|mixed|both]``.
Targets: cold ≥ 10× exiftool's files/s on both trees; warm re-scan of 20,000 files < 1 s.
"""

from __future__ import annotations

import io
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

from PIL import Image, PngImagePlugin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = Path(os.environ.get("CLEARANCE_CORPUS") or ROOT.parent / "shared" / "corpus") / "files"
EXE = Path(sys.executable).parent / "clearance"

XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
    'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/{dst}"/>'
    "</rdf:RDF></x:xmpmeta>"
)
A1111 = (
    "a harbor at night, neon\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, "
    "CFG scale: 7, Seed: {seed}, Size: 64x64, Model: sd_xl_base_1.0"
)


def image(i: int) -> Image.Image:
    return Image.new("RGB", (64, 48), ((i * 37) % 256, (i * 91) % 256, (i * 13) % 256))


def make_tree(root: Path, count: int, mixed: bool = True) -> dict[str, int]:
    """``count`` files; ``mixed`` adds WAV and video copies, else every file is an image."""
    kinds: dict[str, int] = {}
    videos = [
        p for p in (CORPUS / "c2pa-rs").glob("*") if p.name in ("video1_no_manifest.mp4", "c.mov")
    ]
    for i in range(count):
        folder = root / f"reel{i // 1000:02d}"
        folder.mkdir(exist_ok=True)
        slot = i % 10
        if slot in (0, 1, 2):
            info = PngImagePlugin.PngInfo()
            if slot == 1:
                info.add_itxt("XML:com.adobe.xmp", XMP.format(dst="trainedAlgorithmicMedia"))
                kind = "png+xmp"
            elif slot == 2:
                info.add_text("parameters", A1111.format(seed=i))
                kind = "png+sd"
            else:
                kind = "png"
            image(i).save(folder / f"f{i:06d}.png", pnginfo=info)
        elif slot in (3, 4, 5):
            kind = "jpeg"
            image(i).save(folder / f"f{i:06d}.jpg", quality=80)
        elif slot == 6:
            kind = "tiff"
            image(i).save(folder / f"f{i:06d}.tif")
        elif slot in (7, 8) and mixed:
            kind = "wav"
            buffer = io.BytesIO()
            with wave.open(buffer, "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(8000)
                w.writeframes(bytes(1600 + (i % 7) * 2))
            (folder / f"f{i:06d}.wav").write_bytes(buffer.getvalue())
        elif not mixed:
            kind = "webp"
            image(i).save(folder / f"f{i:06d}.webp", quality=80)
        else:
            kind = "video"
            source = videos[i % len(videos)] if videos else None
            if source is None:
                continue
            shutil.copyfile(source, folder / f"f{i:06d}{source.suffix}")
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def add_c2pa(root: Path, count: int) -> int:
    """Sign ``count`` JPEGs with a throwaway CA made now; the CA lives outside the scanned tree
    and is deleted with it (never stored)."""
    from tests.c2pa_fixtures import make_ca, signed_file

    work = root / "c2pa"
    secrets = root.parent / "throwaway-ca"
    work.mkdir()
    secrets.mkdir()
    ca = make_ca(secrets)
    for i in range(count):
        scratch = secrets / f"s{i}"
        scratch.mkdir()
        if i % 2:
            signed = signed_file(scratch, "jpeg", "compositeWithTrainedAlgorithmicMedia", ca)
        else:
            signed = signed_file(scratch, "jpeg", "trainedAlgorithmicMedia", ca)
        shutil.move(signed, work / f"signed{i:04d}.jpg")
    return count


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system of the command and its children) and stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, check=False, capture_output=True, env=env, text=True)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: findings; anything else is a failed run
        raise SystemExit(f"{command[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def scan_seconds(out: str) -> float | None:
    try:
        return float(json.loads(out)["summary"]["seconds"])
    except (ValueError, KeyError, TypeError):
        return None


def bench_tree(kind: str, count: int, exiftool: str | None) -> None:
    jobs = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "deliverables"
        tree.mkdir()
        kinds = make_tree(tree, count, mixed=kind == "mixed")
        kinds["c2pa jpeg"] = add_c2pa(tree, 200)
        files = sum(kinds.values())
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        env.pop("CLEARANCE_DATABASE_URL", None)
        cache = Path(tmp) / "scan-cache.db"
        base = [str(EXE), "scan", str(tree), "--format", "json", "--no-record"]
        cold = timed([*base, "--cache", str(cache), "--jobs", str(jobs)], env)
        warm = timed([*base, "--cache", str(cache), "--jobs", str(jobs)], env)
        one = timed([*base, "--no-cache", "--jobs", "1"], env)
        many = timed([*base, "--no-cache", "--jobs", str(jobs)], env)
        exif = timed([exiftool, "-r", "-json", "-q", "-q", str(tree)], env) if exiftool else None
        mix = ", ".join(f"{n:,} {k}" for k, n in kinds.items())
        print(f"\n### {kind} tree: {files:,} files ({mix})\n")
        print("| run | seconds | files/s | vs exiftool | CPU s |")
        print("|---|---|---|---|---|")
        rate_exif = files / exif[0] if exif else None
        runs = [
            (f"`clearance scan` cold (fills the cache, --jobs {jobs})", cold),
            (f"`clearance scan` warm re-scan (unchanged tree, --jobs {jobs})", warm),
            ("`clearance scan --no-cache --jobs 1`", one),
            (f"`clearance scan --no-cache --jobs {jobs}`", many),
            ("`exiftool -r -json`", exif),
        ]
        for name, result in runs:
            if result is None:
                print(f"| {name} | not installed | | | |")
                continue
            wall, cpu, _ = result
            rate = files / wall
            ratio = f"{rate / rate_exif:.1f}×" if rate_exif else "—"
            print(f"| {name} | {wall:.2f} | {rate:,.0f} | {ratio} | {cpu:.2f} |")
        inside = scan_seconds(warm[2])
        if inside is not None:
            print(f"\nWarm re-scan inside the command (without start-up): {inside:.2f} s.")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    which = sys.argv[2] if len(sys.argv) > 2 else "both"
    exiftool = shutil.which("exiftool")
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {time.strftime('%Y-%m-%d')}; load average "
        f"{os.getloadavg()[0]:.1f} at start"
    )
    for kind in ("small", "mixed") if which == "both" else (which,):
        bench_tree(kind, count, exiftool)


if __name__ == "__main__":
    main()
