"""Attachments (signed PDFs, emails) stored by content: ``attachments/ab/cdef…`` by sha256.

Files are never inlined in the database; the database records the digest, size and original
name, and ``check_file`` detects a missing or altered file.

A file enters the store in one pass that copies and hashes it into ``.partial-*`` at the
store's root, then is renamed to its digest: a crash or a full disk leaves at most that
temporary file, which ``leftovers`` reports (``audit verify``) and ``sweep`` removes once it
is old enough that no writer can still be filling it.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20
TEMP_PREFIX = ".partial-"
#: A temporary file this old belongs to no live writer (copies run at disk speed).
STALE_SECONDS = 6 * 3600


class TooLarge(Exception):
    """A stream gave more bytes than the caller allowed."""


def sha256_of(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def location(store: Path, sha256: str) -> Path:
    return store / sha256[:2] / sha256[2:]


@dataclass
class Staged:
    """A file copied and hashed into the store's temporary name, not yet in place."""

    sha256: str
    size: int
    temporary: Path

    def discard(self) -> None:
        """Remove the temporary copy (a no-op once ``place`` has moved it)."""
        self.temporary.unlink(missing_ok=True)


def stage(store: Path, source: Path) -> Staged:
    """Copy and hash ``source`` into a temporary file in the store, in one pass. Run it before
    taking the register's write lock (a large file is copied while other writers go on), then
    ``place`` it once the record is known to be valid — a refused record stores nothing —
    and ``discard`` it in any case."""
    with source.open("rb") as handle:
        return stage_stream(store, handle)


def stage_stream(store: Path, stream: BinaryIO, limit: int | None = None) -> Staged:
    """``stage`` for an open stream; ``TooLarge`` (nothing kept) past ``limit`` bytes."""
    store.mkdir(parents=True, exist_ok=True)
    sweep(store)
    h = hashlib.sha256()
    size = 0
    fd, name = _temporary(store)
    temporary = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if limit is not None and size > limit:
                    raise TooLarge(f"more than {limit} bytes")
                h.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return Staged(h.hexdigest(), size, temporary)


def place(store: Path, staged: Staged) -> tuple[str, int]:
    """Move a staged file to its digest (a no-op if already there intact, a repair if the
    stored copy was damaged); a rename, cheap inside the write lock."""
    target = location(store, staged.sha256)
    if target.is_file() and check_file(store, staged.sha256) is None:
        staged.discard()
        return staged.sha256, staged.size
    target.parent.mkdir(parents=True, exist_ok=True)
    staged.temporary.replace(target)
    return staged.sha256, staged.size


def put(store: Path, source: Path) -> tuple[str, int]:
    """Copy ``source`` into the store (atomically; a no-op if already there intact, and a
    repair if the stored copy was damaged)."""
    staged = stage(store, source)
    try:
        return place(store, staged)
    finally:
        staged.discard()


def put_stream(store: Path, stream: BinaryIO, limit: int | None = None) -> tuple[str, int]:
    """``put`` for an open stream; ``TooLarge`` (nothing stored) past ``limit`` bytes."""
    staged = stage_stream(store, stream, limit)
    try:
        return place(store, staged)
    finally:
        staged.discard()


def _temporary(store: Path) -> tuple[int, str]:
    import tempfile

    return tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=store)


def discard(store: Path, shas: Iterable[str]) -> None:
    """Remove stored files (those a refused restore had added)."""
    for sha in shas:
        location(store, sha).unlink(missing_ok=True)


def leftovers(store: Path, older_versions: bool = True) -> list[Path]:
    """Temporary files of interrupted copies (a crash, a full disk) still in the store."""
    if not store.is_dir():
        return []
    found = [p for p in store.glob(f"{TEMP_PREFIX}*") if p.is_file()]
    if older_versions:  # they left ``tmp*`` files beside the stored ones
        found += [p for p in store.glob("??/tmp*") if p.is_file()]
    return sorted(found)


def sweep(store: Path, older_than: float = STALE_SECONDS) -> list[Path]:
    """Remove ``leftovers`` not touched for ``older_than`` seconds; returns those removed."""
    removed = []
    now = time.time()
    for path in leftovers(store, older_versions=False):
        try:
            if now - path.stat().st_mtime >= older_than:
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


def check_file(store: Path, sha256: str) -> str | None:
    """``None`` when the stored file is intact, else what is wrong with it."""
    target = location(store, sha256)
    if not target.is_file():
        return "missing"
    actual, _ = sha256_of(target)
    return None if actual == sha256 else f"altered (now sha256 {actual[:12]}…)"
