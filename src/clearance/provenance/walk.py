"""Walking deliverables safely: no symlinked folders followed, symlinked files only when they
point inside the scanned tree, loops impossible, undecodable names kept (and shown escaped).

Uses ``os.scandir``, so a plain file costs one ``stat`` (the directory listing already says
what each entry is); this is most of the time of a re-scan of an unchanged tree.
"""

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
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    return name


def walk(roots: list[Path]) -> Iterator[Entry]:
    """Every file under ``roots`` in a stable order (files given directly: themselves)."""
    single = len(roots) == 1
    for root in roots:
        base = os.path.abspath(root)
        if not os.path.isdir(base):
            shown = os.path.basename(base) if single else base
            yield _stat_entry(base, printable(shown), inside=None)
            continue
        prefix = len(base) + 1 if single else 0
        yield from _walk_dir(base, prefix, os.path.realpath(base))


def _walk_dir(root: str, prefix: int, real_root: str) -> Iterator[Entry]:
    """Depth-first, files of a folder before its subfolders, names sorted — with an explicit
    stack, so a tree thousands of folders deep cannot exhaust Python's recursion. A folder
    that cannot be listed is an entry of its own (reported unreadable with the reason):
    a scan used as a delivery gate must never pass over what it could not see."""
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                items = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            shown = printable(folder[prefix:] or os.path.basename(folder))
            yield Entry(folder, shown, 0, 0, 0, f"cannot list this folder: {exc.strerror}")
            continue
        subdirs = []
        for item in items:
            display = printable(item.path[prefix:])
            try:
                if item.is_symlink():
                    if not item.is_dir():  # symlinked folders are never followed (no loops)
                        yield _stat_entry(item.path, display, inside=real_root)
                    continue
                if item.is_dir(follow_symlinks=False):
                    subdirs.append(item.path)
                    continue
                if not item.is_file(follow_symlinks=False):
                    yield Entry(item.path, display, 0, 0, 0, "not a regular file")
                    continue
                st = item.stat(follow_symlinks=False)
            except OSError as exc:
                yield Entry(item.path, display, 0, 0, 0, f"cannot stat: {exc.strerror}")
                continue
            yield Entry(item.path, display, st.st_size, st.st_mtime_ns, st.st_ino)
        stack.extend(reversed(subdirs))  # the first subfolder is walked next, as before


def _stat_entry(path: str, display: str, inside: str | None) -> Entry:
    """A file reached through a symlink (or named directly): followed only inside the tree."""
    try:
        if inside is not None:
            target = os.path.realpath(path)
            if os.path.commonpath([target, inside]) != inside:
                return Entry(path, display, 0, 0, 0, "symlink to a file outside the scanned tree")
        st = os.stat(path)
    except OSError as exc:
        return Entry(path, display, 0, 0, 0, f"cannot stat: {exc.strerror}")
    if not os.path.isfile(path):
        return Entry(path, display, 0, 0, 0, "not a regular file")
    return Entry(path, display, st.st_size, st.st_mtime_ns, st.st_ino)
