"""Extractors: one small module each, behind one interface.

An extractor is a module-level object with ``name``, ``applies(media_type) -> bool`` and
``extract(path, media_type, options) -> Extraction``. It must not raise for bad input it can
describe: a corrupt file is an ``Extraction`` with ``decode.state = "fail"`` (or
``c2pa.state = "unreadable"``) and a signal saying why. Anything it does raise is caught by
the scanner and reported as ``unreadable`` with the reason; the scan goes on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from clearance.provenance.model import Extraction, ScanOptions


class Extractor(Protocol):
    name: str

    def applies(self, media_type: str) -> bool: ...

    def extract(self, path: Path, media_type: str, options: ScanOptions) -> Extraction: ...
