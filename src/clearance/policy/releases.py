"""Released pack versions: a lock that ties each built-in pack's version to its bytes.

``packs/RELEASES.json`` maps ``id → version → sha256`` of ``pack.yaml`` for every version
that was ever released. A released version never changes: a decision recorded with
``netflix-genai@1.0.0#<sha>`` must be replayable with exactly those bytes, so a pack whose
rules change gets a new version. Older versions stay loadable from
``packs/<id>/releases/<version>.yaml``.

``python -m clearance.policy.releases check`` lists what is out of step (the test suite runs
the same check); ``python -m clearance.policy.releases record [ID ...]`` records the current
version of the named (default: every) built-in pack, keeps the bytes of versions it replaces
under ``releases/`` (recovered from git history when the working tree no longer has them),
and refuses to change the hash of a version that is already recorded.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Where the lock lives, relative to the built-in packs folder.
LOCK_FILE = "RELEASES.json"
RELEASES_DIR = "releases"
FORMAT = "clearance.pack-releases/1"
RECORD_COMMAND = "python -m clearance.policy.releases record"
_VERSION = re.compile(r"^version:\s*['\"]?(\d+\.\d+\.\d+)['\"]?\s*$", re.MULTILINE)

Lock = dict[str, dict[str, str]]


class ReleaseError(Exception):
    """A release that cannot be recorded (it would change a released version's bytes)."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(root: Path) -> dict[str, Any]:
    path = root / LOCK_FILE
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def read_lock(root: Path) -> Lock:
    """``id → version → sha256``; empty when no lock exists yet."""
    packs: Lock = _read(root).get("packs", {})
    return packs


def retired(root: Path) -> dict[str, str]:
    """``id@version → why`` for released versions kept for the record that no longer load
    (the facts they read were removed); resolving one says why."""
    notes: dict[str, str] = _read(root).get("retired", {})
    return notes


def notes(root: Path) -> dict[str, str]:
    """``id@version → note``: what a maintainer should know about a release's history."""
    found: dict[str, str] = _read(root).get("notes", {})
    return found


def write_lock(root: Path, lock: Lock) -> None:
    """Write the lock sorted by id and version (numerically), one entry a line, so diffs
    stay readable; the hand-written ``retired`` and ``notes`` sections are kept."""
    ordered = {
        pack_id: dict(sorted(versions.items(), key=lambda kv: version_key(kv[0])))
        for pack_id, versions in sorted(lock.items())
    }
    old = _read(root)
    data: dict[str, Any] = {"format": FORMAT, "packs": ordered}
    data |= {key: old[key] for key in ("retired", "notes") if key in old}
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    tmp = root / (LOCK_FILE + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(root / LOCK_FILE)


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def version_of(data: bytes) -> str | None:
    """The ``version:`` of a pack file, read without loading the pack (cheap, and works for a
    pack that no longer compiles)."""
    match = _VERSION.search(data.decode("utf-8", errors="replace"))
    return match.group(1) if match else None


def pack_ids(root: Path) -> list[str]:
    """The built-in packs: folders holding a ``pack.yaml`` (never ``releases/`` files)."""
    return sorted(p.parent.name for p in root.glob("*/pack.yaml"))


def release_path(root: Path, pack_id: str, version: str) -> Path:
    return root / pack_id / RELEASES_DIR / f"{version}.yaml"


def released_versions(root: Path, pack_id: str) -> list[str]:
    """The recorded versions of a pack, oldest first."""
    return sorted(read_lock(root).get(pack_id, {}), key=version_key)


def problems(root: Path) -> list[str]:
    """Everything out of step between the built-in packs, their release files and the lock,
    each as one line that says what to do."""
    lock = read_lock(root)
    found: list[str] = []
    for pack_id in pack_ids(root):
        path = root / pack_id / "pack.yaml"
        data = path.read_bytes()
        version = version_of(data)
        released = lock.get(pack_id, {})
        if version is None:
            found.append(f"{pack_id}: pack.yaml has no version")
        elif version not in released:
            found.append(
                f"{pack_id} {version} is not in {LOCK_FILE}: once the pack is final, run "
                f"`{RECORD_COMMAND} {pack_id}`"
            )
        elif released[version] != sha256(data):
            found.append(
                f"{pack_id} {version} is released with sha256 {released[version][:16]}…, but "
                f"pack.yaml now hashes to {sha256(data)[:16]}…: a released pack never changes; "
                f"give it a new version (e.g. {_next(version)}) and run "
                f"`{RECORD_COMMAND} {pack_id}`"
            )
        for old, digest in released.items():
            if old == version:
                continue
            kept = release_path(root, pack_id, old)
            if not kept.is_file():
                found.append(
                    f"{pack_id} {old} is released but {kept.relative_to(root)} is missing: run "
                    f"`{RECORD_COMMAND} {pack_id}` (it recovers the bytes from git)"
                )
            elif sha256(kept.read_bytes()) != digest:
                found.append(
                    f"{kept.relative_to(root)} differs from the released {pack_id} {old} "
                    f"(sha256 {digest[:16]}…): restore it from git history"
                )
        folder = root / pack_id / RELEASES_DIR
        for kept in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
            if kept.stem not in released:
                found.append(f"{kept.relative_to(root)} is not a released version in {LOCK_FILE}")
            elif version_of(kept.read_bytes()) != kept.stem:
                found.append(
                    f"{kept.relative_to(root)} says version {version_of(kept.read_bytes())}"
                )
    for pack_id in sorted(set(lock) - set(pack_ids(root))):
        found.append(f"{LOCK_FILE} lists {pack_id}, which is not a built-in pack")
    return found


def _next(version: str) -> str:
    major, minor, _ = version_key(version)
    return f"{major}.{minor + 1}.0"


@dataclass
class Recorded:
    """What ``record`` did: new lock entries and older versions' bytes it kept."""

    added: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def record(root: Path, ids: list[str] | None = None) -> Recorded:
    """Record the current version of each pack (default: all) and keep the files of its
    other released versions. Nothing is written when any pack would overwrite a released
    version with different bytes (``ReleaseError`` names them all)."""
    lock = read_lock(root)
    known = pack_ids(root)
    unknown = sorted(set(ids or []) - set(known))
    if unknown:
        raise ReleaseError(
            f"not built-in packs: {', '.join(unknown)}; built-in: {', '.join(known)}"
        )
    done = Recorded()
    refused: list[str] = []
    keep: dict[Path, bytes] = {}
    for pack_id in ids or known:
        data = (root / pack_id / "pack.yaml").read_bytes()
        version = version_of(data)
        if version is None:
            refused.append(f"{pack_id}: pack.yaml has no version")
            continue
        released = lock.setdefault(pack_id, {})
        digest = sha256(data)
        if released.get(version, digest) != digest:
            refused.append(
                f"{pack_id} {version} is already released with sha256 {released[version]}; "
                f"pack.yaml now hashes to {digest}. A released version never changes: give the "
                f"pack a new version (e.g. {_next(version)})."
            )
            continue
        if version not in released:
            released[version] = digest
            done.added.append(f"{pack_id}@{version}")
        for old, old_digest in released.items():
            kept = release_path(root, pack_id, old)
            if old == version or kept.is_file():
                continue
            recovered = _from_git(root / pack_id / "pack.yaml", old_digest)
            if recovered is None:
                refused.append(
                    f"{pack_id} {old}: {kept.relative_to(root)} is missing and no version of "
                    f"pack.yaml in git history has sha256 {old_digest}; restore the file by hand"
                )
            else:
                keep[kept] = recovered
                done.kept.append(str(kept.relative_to(root)))
    if refused:
        raise ReleaseError("\n".join(refused))
    for path, data in keep.items():
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
    write_lock(root, lock)
    return done


def _from_git(path: Path, digest: str) -> bytes | None:
    """The bytes of ``path`` with sha256 ``digest`` from the working tree's git history (the
    index and every commit that touched the file), or None."""

    def git(*args: str) -> bytes | None:
        try:
            run = subprocess.run(
                ["git", *args], cwd=path.parent, capture_output=True, check=False, timeout=60
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return run.stdout if run.returncode == 0 else None

    top = git("rev-parse", "--show-toplevel")
    if top is None:
        return None
    rel = path.resolve().relative_to(Path(top.decode().strip()).resolve()).as_posix()
    candidates = [f":{rel}"]
    log = git("log", "--format=%H", "--follow", "--", rel) or b""
    candidates += [f"{commit}:{rel}" for commit in log.decode().split()]
    for spec in candidates:
        data = git("show", spec)
        if data is not None and sha256(data) == digest:
            return data
    return None


def main(argv: list[str] | None = None) -> int:
    """``python -m clearance.policy.releases check | record [ID ...] [--root DIR]``."""
    from clearance.policy.registry import BUILTIN_DIR

    parser = argparse.ArgumentParser(
        prog="python -m clearance.policy.releases",
        description="Tie each built-in pack's version to its bytes (packs/RELEASES.json).",
    )
    parser.add_argument("--root", type=Path, default=BUILTIN_DIR, help="packs folder")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="list packs whose bytes and lock disagree (exit 1 if any)")
    rec = sub.add_parser("record", help="record the current version of packs (default: all)")
    rec.add_argument("ids", nargs="*", metavar="ID")
    args = parser.parse_args(argv)
    root: Path = args.root
    if args.command == "check":
        found = problems(root)
        for line in found:
            print(line)
        print(f"{len(found)} problem(s)" if found else "every built-in pack matches its release")
        return 1 if found else 0
    try:
        done = record(root, args.ids or None)
    except ReleaseError as exc:
        print(f"refused:\n{exc}", file=sys.stderr)
        return 2
    for entry in done.added:
        print(f"recorded {entry}")
    for kept in done.kept:
        print(f"kept {kept}")
    if not done.added and not done.kept:
        print("nothing to record: every pack's current version is in the lock")
    return 0


if __name__ == "__main__":
    sys.exit(main())
