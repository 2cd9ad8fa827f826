"""Benchmark: `clearance scan` against `exiftool -r -json` on the same tree, in the same run.

Generates a tree of N mixed files (default 20,000): PNG, JPEG, TIFF, WAV and MP4/MOV; about
one in ten carries XMP DigitalSourceType, one in ten Stable Diffusion (A1111) parameters, and
a few hundred a C2PA manifest signed at run time with a throwaway CA (never stored). Then
times: a cold `clearance scan` (no cache), a warm re-scan of the unchanged tree (cache), and
`exiftool -r -json` (Debian libimage-exiftool-perl). Reports files/s and ratios.
Targets: cold ≥ 5× exiftool's files/s; warm re-scan of 20,000 files < 2 s.
"""

from __future__ import annotations

import io
import os
import platform
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


def make_tree(root: Path, count: int) -> dict[str, int]:
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
        elif slot in (7, 8):
            kind = "wav"
            buffer = io.BytesIO()
            with wave.open(buffer, "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(8000)
                w.writeframes(bytes(1600 + (i % 7) * 2))
            (folder / f"f{i:06d}.wav").write_bytes(buffer.getvalue())
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


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    return time.perf_counter() - start


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    exiftool = shutil.which("exiftool")
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "deliverables"
        tree.mkdir()
        kinds = make_tree(tree, count)
        kinds["c2pa jpeg"] = add_c2pa(tree, 200)
        files = sum(kinds.values())
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        env.pop("CLEARANCE_DATABASE_URL", None)
        cache = Path(tmp) / "scan-cache.db"
        scan = [
            str(EXE),
            "scan",
            str(tree),
            "--format",
            "json",
            "--cache",
            str(cache),
            "--no-record",
        ]
        cold = timed(scan, env)
        warm = timed(scan, env)
        no_cache = timed(
            [str(EXE), "scan", str(tree), "--format", "json", "--no-cache", "--no-record"], env
        )
        exif = timed([exiftool, "-r", "-json", "-q", "-q", str(tree)], env) if exiftool else None
        mix = ", ".join(f"{n:,} {k}" for k, n in kinds.items())
        print(
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; {time.strftime('%Y-%m-%d')}; {files:,} files ({mix})\n"
        )
        print("| run | seconds | files/s | vs exiftool |")
        print("|---|---|---|---|")
        base = files / exif if exif else None
        runs = [
            ("`clearance scan` cold (fills the cache)", cold),
            ("`clearance scan --no-cache`", no_cache),
            ("`clearance scan` warm re-scan (unchanged tree)", warm),
            ("`exiftool -r -json`", exif),
        ]
        for name, seconds in runs:
            if seconds is None:
                print(f"| {name} | not installed | | |")
                continue
            rate = files / seconds
            ratio = f"{rate / base:.1f}×" if base else "—"
            print(f"| {name} | {seconds:.2f} | {rate:,.0f} | {ratio} |")


if __name__ == "__main__":
    main()
