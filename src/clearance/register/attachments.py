"""Attachments (signed PDFs, emails) stored by content: ``attachments/ab/cdef…`` by sha256.

Files are never inlined in the database; the database records the digest, size and original
name, and ``check_file`` detects a missing or altered file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

CHUNK = 1 << 20


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


def put(store: Path, source: Path) -> tuple[str, int]:
    """Copy ``source`` into the store (atomically; a no-op if already there intact, and a
    repair if the stored copy was damaged)."""
    sha256, size = sha256_of(source)
    target = location(store, sha256)
    if not target.exists() or check_file(store, sha256) is not None:  # absent, or damaged
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
            with source.open("rb") as handle:
                shutil.copyfileobj(handle, tmp, CHUNK)
            tmp.flush()
            os.fsync(tmp.fileno())
        Path(tmp.name).replace(target)
    return sha256, size


def check_file(store: Path, sha256: str) -> str | None:
    """``None`` when the stored file is intact, else what is wrong with it."""
    target = location(store, sha256)
    if not target.is_file():
        return "missing"
    actual, _ = sha256_of(target)
    return None if actual == sha256 else f"altered (now sha256 {actual[:12]}…)"
