"""A production's reference library, loaded for matching: its live references (the
production's own and the shared ones), the version that names exactly that content, and an
index of their hashes, cached on disk under that version.

The version is a digest of the live references' ids, content digests and frame counts; a
reference's hashes never change once recorded (the audit trail vouches for them), so the
same version always means the same hashes — and a check that records it says exactly what
it was compared with.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clearance.register.canonical import digest
from clearance.similarity.hashing import BAND_VARIANT, FrameHash

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from clearance.provenance.model import ScanOptions
    from clearance.similarity.index import Index


@dataclass(frozen=True)
class Reference:
    """One live reference of the library (a register ``refs`` row)."""

    id: str
    label: str
    owner: str
    kind: str
    shared: bool
    frames: int
    sha256: str


@dataclass(frozen=True)
class Match:
    """The closest a checked file came to one reference: the distance (bits of 256), where
    in the reference (its frame's timecode) and where in the file, and the variant of the
    file that matched (a flipped copy matches as "flipped left-right")."""

    ref_id: str
    label: str
    owner: str
    distance: int
    ref_seconds: float
    file_seconds: float
    variant: str
    frames_matched: int  # hashes of the file within the radius of this reference

    def as_fact(self) -> dict[str, Any]:
        return {
            "ref": self.ref_id,
            "label": self.label,
            "owner": self.owner,
            "distance": self.distance,
            "ref_seconds": self.ref_seconds,
            "file_seconds": self.file_seconds,
            "variant": self.variant,
            "frames_matched": self.frames_matched,
        }


@dataclass
class Library:
    """The live references a production's files are compared with, and their hashes."""

    production: str
    references: list[Reference]
    version: str
    _owners: list[tuple[int, float]] = field(default_factory=list)  # per code: (ref, seconds)
    _index: Index | None = None

    @property
    def size(self) -> int:
        return len(self.references)

    @property
    def hashes(self) -> int:
        return len(self._owners)

    def match(self, hashes: Sequence[FrameHash], radius: int) -> list[Match]:
        """Every reference within ``radius`` bits of any of ``hashes`` (each compared in all its
        dihedral variants when it carries them), closest first, one ``Match`` per reference."""
        if self._index is None or not hashes:
            return []
        queries: list[bytes] = []
        origin: list[tuple[int, int]] = []  # per query: (hash index, variant index)
        for h, found in enumerate(hashes):
            for v, code in enumerate(found.variants or (found.code,)):
                queries.append(code)
                origin.append((h, v))
        # a variant without the lower band (subtitles) is a fallback: a reference the picture
        # as a whole comes within the radius of is reported with that distance and variant
        best: dict[int, tuple[bool, int, float, float, int, int]] = {}
        frames: dict[int, set[int]] = {}
        for (h, v), hits in zip(origin, self._index.search(queries, radius), strict=True):
            for code_id, dist in hits:
                ref, ref_seconds = self._owners[code_id]
                frames.setdefault(ref, set()).add(h)
                names = hashes[h].variant_names
                band = v < len(names) and names[v].startswith(BAND_VARIANT)
                candidate = (band, dist, ref_seconds, hashes[h].seconds, v, h)
                if ref not in best or candidate < best[ref]:
                    best[ref] = candidate
        matches = []
        for ref, (_band, dist, ref_seconds, file_seconds, v, h) in best.items():
            r = self.references[ref]
            names = hashes[h].variant_names
            variant = names[v] if v < len(names) else "as is"
            matches.append(
                Match(
                    r.id,
                    r.label,
                    r.owner,
                    dist,
                    ref_seconds,
                    file_seconds,
                    variant,
                    len(frames[ref]),
                )
            )
        return sorted(matches, key=lambda m: (m.distance, m.ref_id))


def library_version(references: Sequence[Reference]) -> str:
    return digest(sorted([r.id, r.sha256, r.frames] for r in references))


def load(db: Connection, production: str, cache: Path | None) -> Library:
    """The library of ``production`` (its references and the shared ones), with its index:
    read from ``cache`` when a file for this version is there, else built from the register
    (and written there for next time)."""
    from clearance.register import queries

    rows = queries.live_refs(db, production)
    references = [
        Reference(r.id, r.label, r.owner, r.kind, r.production_id is None, int(r.frames), r.sha256)
        for r in rows
    ]
    library = Library(production, references, library_version(references))
    if not references:
        return library
    cached = _read_cache(cache, library.version, len(references)) if cache else None
    if cached is None:
        position = {r.id: i for i, r in enumerate(references)}
        codes: list[bytes] = []
        owners: list[tuple[int, float]] = []
        for row in queries.ref_hashes(db, list(position)):
            codes.append(bytes.fromhex(row.pdq))
            owners.append((position[row.ref_id], float(row.seconds)))
        from clearance.similarity.index import Index

        cached = Index.build(codes), owners
        if cache:
            _write_cache(cache, library.version, *cached)
    if cache:
        _write_references(cache, library)
    library._index, library._owners = cached
    return library


def _write_references(folder: Path, library: Library) -> None:
    """The references beside the index, so a scan's worker processes open the library from
    the cache alone (``from_cache``), without the register."""
    import json

    target = folder / f"{library.version}.json"
    if target.exists():
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".json")
        with os.fdopen(fd, "w") as handle:
            json.dump([r.__dict__ for r in library.references], handle)
        os.replace(tmp, target)
    except OSError:
        return


_OPENED: dict[tuple[str, str], Library] = {}


def from_cache(folder: Path, version: str, production: str = "") -> Library:
    """The library written to ``folder`` by ``load`` (kept open per process); raises
    ``SimilarityError`` when it is not there or damaged."""
    import json

    from clearance.similarity.hashing import SimilarityError

    key = (str(folder), version)
    if key not in _OPENED:
        try:
            data = json.loads((folder / f"{version}.json").read_text())
            references = [Reference(**r) for r in data]
        except (OSError, ValueError, TypeError) as error:
            raise SimilarityError(folder, f"reference library {version[:12]} not cached") from error
        cached = _read_cache(folder, version, len(references))
        if cached is None or library_version(references) != version:
            raise SimilarityError(folder, f"reference library {version[:12]} not cached")
        library = Library(production, references, version)
        library._index, library._owners = cached
        _OPENED.clear()  # one library at a time per process
        _OPENED[key] = library
    return _OPENED[key]


#: The finding of the deliverables pack that a match within its threshold makes.
FINDING = "resembles-reference"


def pack_threshold() -> tuple[int, str]:
    """The distance threshold of the ``deliverables`` pack's ``resembles-reference`` rule
    (read from its condition, ``m.distance <= N``), and the pack as ``id@version`` — so
    ``clearance similar`` and a scan apply the very threshold the pack decides with."""
    import re

    from clearance.policy.registry import resolve

    pack = resolve("deliverables")
    for rule in pack.rules:
        if rule.spec.finding == FINDING:
            found = re.search(r"\.distance\s*<=\s*(\d+)", rule.spec.when)
            if found:
                return int(found.group(1)), f"{pack.id}@{pack.version}"
    raise LookupError(f"{pack.id}@{pack.version} has no {FINDING} rule with a distance bound")


def _read_cache(
    folder: Path, version: str, size: int
) -> tuple[Index, list[tuple[int, float]]] | None:
    import numpy as np

    from clearance.similarity.index import Index

    index_file, owners_file = folder / f"{version}.faiss", folder / f"{version}.npz"
    try:
        index = Index.load(index_file)
        with np.load(owners_file) as data:
            refs, seconds = data["refs"].tolist(), data["seconds"].tolist()
    except (OSError, RuntimeError, KeyError, ValueError):
        return None  # absent or damaged: rebuilt from the register
    if len(index) != len(refs) or (refs and max(refs) >= size):
        return None
    return index, list(zip(refs, seconds, strict=True))


def _write_cache(folder: Path, version: str, index: Index, owners: list[tuple[int, float]]) -> None:
    """Write the index and its owners atomically; a cache that cannot be written is skipped
    (the library is rebuilt next time, which is only slower)."""
    import numpy as np

    try:
        folder.mkdir(parents=True, exist_ok=True)
        for suffix, write in (
            (
                ".npz",
                lambda p: np.savez(
                    p,
                    refs=np.array([o[0] for o in owners], dtype=np.int32),
                    seconds=np.array([o[1] for o in owners], dtype=np.float64),
                ),
            ),
            (".faiss", index.save),
        ):
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=suffix)
            os.close(fd)
            write(Path(tmp))
            os.replace(tmp, folder / f"{version}{suffix}")
    except OSError:
        return


def cache_folder() -> Path:
    """Where indexes are cached: beside the scan cache (the workspace folder, else the user's
    cache folder)."""
    from clearance.register import workspace

    ws = workspace.find()
    if ws is not None and ws.folder is not None:
        return ws.folder / "similarity-cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clearance" / "similarity"


def scan_options(
    db: Connection, production: str, options: ScanOptions, cache: Path | None = None
) -> tuple[ScanOptions, str | None]:
    """``options`` armed with ``production``'s reference library for a scan (its index
    cached where the scan's workers read it), and a note to show once when the production
    has no library (then no file gets similarity facts)."""
    from clearance.provenance.model import SimilarityOptions

    folder = cache or cache_folder()
    library = load(db, production, folder)
    if library.size == 0:
        note = (
            f"{production} has no reference library: files are not compared with protected "
            "references (add them with `clearance refs add`)."
        )
        return options, note
    radius, _pack = pack_threshold()
    setup = SimilarityOptions(
        cache=str(folder), version=library.version, size=library.size, radius=radius
    )
    return options.model_copy(update={"similarity": setup}), None
