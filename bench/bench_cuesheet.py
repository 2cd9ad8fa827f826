"""Benchmark: `clearance cuesheet` — a 3,000-event EDL against 20,000 media files.

Generates the bench_scan media tree (N mixed files, default 20,000: PNG/JPEG/TIFF/WAV/MP4,
one in ten with IPTC DigitalSourceType, one in ten with Stable Diffusion parameters) and an
EDL of E events (default 3,000) across one video and one audio track at 23.976: most events
name their file in the clip name, some in a `* SOURCE FILE:` path, some only by reel, one in
a hundred refers to media that is not there. Then times, in the same run:

* resolve: reading the EDL, listing events, indexing the media and resolving every event
  (the issue's target: < 5 s);
* the `clearance cuesheet` command cold (inspects every referenced file, fills the cache) and
  warm (cache), writing JSON;
* `exiftool -json` over just the referenced files — what a post supervisor would run on the
  files after finding them by hand — as the ratio.
"""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
EXE = Path(sys.executable).parent / "clearance"
RATE = 24000 / 1001


def timecode(frames: int) -> str:
    seconds, frame = divmod(frames, 24)
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours:02d}:{minute:02d}:{second:02d}:{frame:02d}"


def make_edl(path: Path, media: list[Path], events: int, seed: int = 7) -> int:
    """An EDL of ``events`` events; returns how many refer to missing media."""
    pick = random.Random(seed)
    lines = ["TITLE: BENCH LOCK", "FCM: NON-DROP FRAME", ""]
    record = {"V": 86400, "A": 86400}  # 01:00:00:00 at 24 fps timecode
    missing = 0
    audio = [m for m in media if m.suffix == ".wav"]
    pictures = [m for m in media if m.suffix != ".wav"]
    for number in range(1, events + 1):
        track = "A" if number % 5 == 0 else "V"
        length = pick.randint(24, 96)
        source = 3600 * 24 * 10
        start = record[track]
        record[track] += length
        file = pick.choice(audio if track == "A" else pictures)
        kind = number % 10
        reel = file.stem if kind == 3 else "AX"
        lines.append(
            f"{number:03d}  {reel:<8} {track:<5} C        {timecode(source)} "
            f"{timecode(source + length)} {timecode(start)} {timecode(start + length)}"
        )
        if number % 100 == 0:
            lines.append(f"* FROM CLIP NAME: not_delivered_{number}.exr")
            missing += 1
        elif kind == 3:  # named only by its reel (the file's name without extension)
            pass
        elif kind == 7:
            lines.append(f"* FROM CLIP NAME: {file.stem}")
            lines.append(f"* SOURCE FILE: /Volumes/POST/{file.parent.name}/{file.name}")
        else:
            lines.append(f"* FROM CLIP NAME: {file.name}")
    path.write_text("\n".join(lines) + "\n")
    return missing


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(command, check=False, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start, done.returncode


def resolve_only(edl: Path, media: Path) -> tuple[float, int, int]:
    from clearance.editorial.events import events
    from clearance.editorial.media import MediaIndex
    from clearance.editorial.read import read_edit
    from clearance.editorial.resolve import Resolver

    start = time.perf_counter()
    edit = read_edit(edl, rate="24000/1001")
    listed = events(edit)
    resolver = Resolver(MediaIndex([media]))
    resolved = [resolver.resolve(e) for e in listed]
    seconds = time.perf_counter() - start
    return seconds, len(listed), sum(1 for r in resolved if r.path)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    events = int(sys.argv[2]) if len(sys.argv) > 2 else 3_000
    from bench_scan import make_tree

    exiftool = shutil.which("exiftool")
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "media"
        tree.mkdir()
        make_tree(tree, count)
        media = sorted(p for p in tree.rglob("*") if p.is_file())
        edl = Path(tmp) / "lock.edl"
        missing = make_edl(edl, media, events)
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        env.pop("CLEARANCE_DATABASE_URL", None)
        seconds, listed, found = resolve_only(edl, tree)
        out = Path(tmp) / "cuesheet.json"
        command = [str(EXE), "cuesheet", str(edl), "--rate", "23.976", "--media", str(tree)]
        command += ["-o", str(out), "--fail-on", "never"]
        cold, rc = timed(command, env)
        warm, _ = timed(command, env)
        sheet = json.loads(out.read_text())
        listing = Path(tmp) / "files.txt"
        from clearance.editorial.events import events as list_events
        from clearance.editorial.media import MediaIndex
        from clearance.editorial.read import read_edit
        from clearance.editorial.resolve import Resolver

        resolver = Resolver(MediaIndex([tree]))
        paths = {resolver.resolve(e).path for e in list_events(read_edit(edl, rate=RATE))}
        referenced = sorted(p for p in paths if p)
        listing.write_text("\n".join(referenced) + "\n")
        exif = (
            timed([exiftool, "-json", "-q", "-q", "-@", str(listing)], env)[0] if exiftool else None
        )
        print(
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; {time.strftime('%Y-%m-%d')}; {len(media):,} media "
            f"files; EDL of {listed:,} events ({found:,} resolved, {missing} missing media, "
            f"{len(referenced):,} distinct files); cuesheet exit code {rc}; "
            f"{len(sheet['rows']):,} GenAI events\n"
        )
        print("| run | seconds | vs exiftool |")
        print("|---|---|---|")
        runs = [
            ("read EDL + list events + index media + resolve (target < 5 s)", seconds),
            ("`clearance cuesheet` cold (inspects referenced files, fills cache)", cold),
            ("`clearance cuesheet` warm (cache)", warm),
            (f"`exiftool -json` on the {len(referenced):,} referenced files only", exif),
        ]
        for name, value in runs:
            if value is None:
                print(f"| {name} | not installed | |")
                continue
            ratio = f"{exif / value:.1f}×" if exif else "—"
            print(f"| {name} | {value:.2f} | {ratio} |")


if __name__ == "__main__":
    main()
