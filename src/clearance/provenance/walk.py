"""Walking deliverables safely: no symlinked folders followed, symlinked files only when they
point inside the scanned tree, loops impossible, undecodable names kept (and shown escaped)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Entry:
    """A file to scan: where it is, how to show it, and its stat identity (for the cache)."""

    path: str  # absolute, as the OS gives it (may hold surrogate escapes)
    display: str  # relative to its root when scanning one root; printable
    size: int
    mtime_ns: int
    inode: int
    problem: str = ""  # why it cannot be scanned (then it is reported unreadable)


def printable(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 shown as \\xNN, never an exception."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def walk(roots: list[Path]) -> Iterator[Entry]:
    """Every regular file under ``roots`` (files given directly are yielded as themselves)."""
    single = len(roots) == 1
    for root in roots:
        base = os.path.abspath(root)
        if os.path.isfile(base):
            yield _entry(base, base, os.path.dirname(base) if single else "", root_real=None)
            continue
        real_root = os.path.realpath(base)
        for folder, dirs, files in os.walk(base, followlinks=False, onerror=None):
            dirs.sort()
            for name in sorted(files):
                full = os.path.join(folder, name)
                yield _entry(full, base, base if single else "", root_real=real_root)


def _entry(full: str, base: str, relative_to: str, root_real: str | None) -> Entry:
    display = printable(os.path.relpath(full, relative_to) if relative_to else full)
    try:
        if os.path.islink(full) and root_real is not None:
            target = os.path.realpath(full)
            if os.path.commonpath([target, root_real]) != root_real:
                return Entry(full, display, 0, 0, 0, "symlink to a file outside the scanned tree")
        st = os.stat(full)
    except OSError as exc:
        return Entry(full, display, 0, 0, 0, f"cannot stat: {exc.strerror}")
    if not os.path.isfile(full):
        return Entry(full, display, 0, 0, 0, "not a regular file")
    return Entry(full, display, st.st_size, st.st_mtime_ns, st.st_ino)
