"""Writing a command's output file: checked before any work, never half-written."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from clearance.manifest.errors import InputError, ManifestError


def check_writable(path: Path) -> None:
    """Refuse an output that cannot be written before any work is done."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ManifestError([InputError(str(path), None, "", f"no such folder: {folder}")])
    if not os.access(folder, os.W_OK) or path.is_dir():
        raise ManifestError([InputError(str(path), None, "", "cannot write here")])


def write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write through a temporary file beside ``path`` and rename: never a half-written file.

    A target that exists and is neither a file nor a folder (``/dev/stdout``, ``/dev/null``,
    a FIFO) is written into, as ``cp`` would, never replaced by a file."""
    if path.exists() and not path.is_file() and not path.is_dir():
        try:
            with path.open("wb") as f:
                write(f)
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise ManifestError([InputError(str(path), None, "", why)]) from exc
        return
    temporary = path.with_name(f".{path.name}.part")
    try:
        with temporary.open("wb") as f:
            write(f)
        temporary.replace(path)
    except OSError as exc:
        raise ManifestError([InputError(str(path), None, "", exc.strerror or str(exc))]) from exc
    finally:
        temporary.unlink(missing_ok=True)
