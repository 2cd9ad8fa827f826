"""Inspecting one file: identify it by content, run every extractor that applies, hash it.

Runs in worker processes; returns plain JSON-able data (cheap to send back). Never raises
for a bad file: an extractor that fails is recorded as a weak signal with its reason.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clearance.provenance.containers import Source, preloaded
from clearance.provenance.extractors import Extractor
from clearance.provenance.model import DecodeFacts, FileFacts, ScanOptions, Signal
from clearance.provenance.sniff import media_type_of

if TYPE_CHECKING:
    from clearance.policy.pack import Pack

#: Extractor modules, in the order their facts are merged. A module that fails to import is
#: logged and skipped (a missing optional library must not stop a scan).
EXTRACTOR_MODULES = ("decode", "c2pa", "xmp", "generator", "similar")
#: Bump when an extractor's output changes: cached results of older versions are not reused.
EXTRACTOR_VERSION = "12"
CHUNK = 1 << 20
#: Files up to this size are read once, whole, and every extractor reads that copy (one open
#: and one read instead of one per extractor); larger ones are read piecewise by each.
PRELOAD_BYTES = 8 << 20
log = logging.getLogger(__name__)


def load_extractors() -> list[Extractor]:
    found = []
    for name in EXTRACTOR_MODULES:
        try:
            module = importlib.import_module(f"clearance.provenance.extractors.{name}")
        except ImportError as exc:  # pragma: no cover - depends on the installation
            log.warning("extractor %s unavailable: %s", name, exc)
            continue
        found.append(module.EXTRACTOR)
    return found


_EXTRACTORS: list[Extractor] | None = None


def inspect(path: str, options: ScanOptions, with_hash: bool = True) -> dict[str, Any]:
    """``{"media_type", "size", "sha256", "facts", "signals", "reason", "credential",
    "labels"}`` for one file."""
    global _EXTRACTORS
    if _EXTRACTORS is None:
        _EXTRACTORS = load_extractors()
    file = Path(path)
    try:
        with open(file, "rb", buffering=0) as handle:
            size = os.fstat(handle.fileno()).st_size
            data = handle.readall() if size <= PRELOAD_BYTES else None
            if data is None:
                kind = media_type_of(Source(handle))
                digest = sha256_of(file) if with_hash else ""
            else:
                kind = media_type_of(Source(data))
                digest = hashlib.sha256(data).hexdigest() if with_hash else ""
    except OSError as exc:
        return unreadable(f"cannot read: {exc.strerror}")
    if data is None:
        return _inspect(file, kind, size, digest, options)
    with preloaded(str(file), data):
        return _inspect(file, kind, size, digest, options)


def _inspect(file: Path, kind: str, size: int, digest: str, options: ScanOptions) -> dict[str, Any]:
    assert _EXTRACTORS is not None
    reason = ""
    parts: dict[str, Any] = {}
    signals: list[Signal] = []
    failed: list[str] = []
    for extractor in _EXTRACTORS:
        if not extractor.applies(kind):
            continue
        try:
            found = extractor.extract(file, kind, options)
        except Exception as exc:  # a bad file must never stop the scan
            signals.append(Signal(kind="extractor.error", value=f"{type(exc).__name__}: {exc}",
                                  strength="weak", source=extractor.name))  # fmt: skip
            reason = reason or f"{extractor.name}: {exc}"
            failed.append(extractor.name)
            continue
        for section in ("c2pa", "xmp", "generator", "decode", "aigc", "similar"):
            value = getattr(found, section)
            if value is not None:
                parts[section] = value
        signals.extend(found.signals)
    facts = FileFacts(media_type=kind, size=size, errors=failed, **parts)
    if not reason and facts.decode.state in ("fail", "empty"):
        reason = facts.decode.detail or f"decode: {facts.decode.state}"
    if not reason and (facts.generator.oversized or facts.xmp.oversized):
        blocks = facts.generator.oversized + (["XMP packet"] if facts.xmp.oversized else [])
        reason = "metadata larger than the reading bound, not read: " + ", ".join(blocks)
    return {
        "media_type": kind,
        "size": size,
        "sha256": digest,
        "facts": facts.model_dump(mode="json"),
        "signals": [s.model_dump() for s in signals],
        "reason": reason,
        "credential": facts.c2pa.credential,
        "labels": machine_labels(facts),
    }


#: Source types that mark GenAI, in C2PA actions or IPTC metadata.
_AI_TYPES = frozenset(
    {"trainedAlgorithmicMedia", "trainedAlgorithmicData", "compositeWithTrainedAlgorithmicMedia"}
)


def machine_labels(facts: FileFacts) -> list[str]:
    """The machine-readable AI labels a file carries — what labelling rules (EU AI Act
    Art. 50(2), GB 45438-2025) ask of AI output: a C2PA manifest declaring a GenAI source
    type (or Adobe's legacy assertion), IPTC DigitalSourceType / AISystemUsed, an AIGC label.
    Tool names and generator parameters are not labels."""
    found = []
    c2pa = facts.c2pa
    if any(a.source_type in _AI_TYPES for a in c2pa.actions) or (
        "com.adobe.generative-ai" in c2pa.assertions
    ):
        found.append("C2PA")
    if facts.xmp.source_type in _AI_TYPES or facts.xmp.ai_system:
        found.append("IPTC")
    if facts.aigc.present:
        found.append("AIGC")
    return found


def unreadable(reason: str) -> dict[str, Any]:
    """The result for a file that could not be opened at all. Its facts say so (decode
    failed, nothing found) and the provenance pack gives the verdict, as for any file."""
    facts = FileFacts(decode=DecodeFacts(state="fail", detail=reason))
    return {"media_type": "", "size": 0, "sha256": "", "facts": facts.model_dump(mode="json"),
            "signals": [], "reason": reason}  # fmt: skip


def inspect_many(
    paths: list[str],
    options: ScanOptions,
    with_hash: bool,
    provenance: str = "",
    as_json: bool = False,
) -> list[dict[str, Any]]:
    """A chunk of files for one worker round trip. With ``provenance`` (a pack file), each
    result also carries the pack's verdict and advisories, ``[value, rule, [advisory ids]]``
    — decided in the worker, so that a parallel scan also decides in parallel. ``as_json``
    sends the facts as JSON text: the parent stores them in the cache as they are, and
    unpickling thousands of small nested dicts would otherwise be most of its work."""
    results = [inspect(p, options, with_hash) for p in paths]
    if provenance:
        from clearance.policy.classify import advisories, classify

        pack = _pack(provenance)
        for raw in results:
            verdict = classify(pack, raw["facts"])
            notes = [a.rule for a in advisories(pack, raw["facts"])]
            raw["verdict"] = [verdict.value, verdict.rule, notes]
    if as_json:
        for raw in results:
            raw["facts"] = json.dumps(raw["facts"])
    return results


def warm_up(provenance: str) -> None:
    """Load the extractors and the pack in a worker before files arrive."""
    global _EXTRACTORS
    if _EXTRACTORS is None:
        _EXTRACTORS = load_extractors()
    _pack(provenance)


@functools.cache
def _pack(path: str) -> Pack:
    """A provenance pack, loaded once per worker process."""
    from clearance.policy.pack import load_pack

    return load_pack(Path(path))


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()
