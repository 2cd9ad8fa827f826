"""A scan: walk the trees, reuse cached results, inspect the rest in parallel, and let the
packs decide — a verdict per file (ai-provenance) and, against the register, findings per
deliverable (deliverables).

Memory stays bounded: files are walked, inspected and yielded in chunks, a bounded number of
chunks in flight; nothing holds the whole tree.
"""

from __future__ import annotations

import functools
import hashlib
import json
import multiprocessing
import os
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from importlib.machinery import ModuleSpec
from itertools import islice
from pathlib import Path
from typing import Any

from clearance.policy.classify import Label, advisories, classify, findings
from clearance.policy.pack import Pack
from clearance.prompts.derive import Deriver, prompt_texts
from clearance.provenance.cache import ScanCache
from clearance.provenance.inspect import (
    EXTRACTOR_MODULES,
    EXTRACTOR_VERSION,
    inspect_many,
    unreadable,
    warm_up,
)
from clearance.provenance.model import AssetFacts, DeliverableFacts, ScanOptions
from clearance.provenance.walk import Entry, walk

CHUNK = 64
#: Files inspected in the parent before worker processes start (starting them costs about
#: half a second: a small or mostly cached tree is done sooner without).
POOL_AFTER = 512


@dataclass
class FileResult:
    path: str
    sha256: str
    size: int
    media_type: str
    verdict: str
    verdict_rule: str
    reason: str
    signals: list[dict[str, str]]
    findings: list[Label] = field(default_factory=list)
    use_case: str = ""
    cached: bool = False
    facts: dict[str, Any] | None = None  # the file's facts, when the scanner keeps them
    # C2PA credential state: "" (no C2PA), valid, valid, untrusted signer, expired,
    # invalid: CODE, not verified, unreadable: KIND
    credential: str = ""
    # machine-readable AI labels the file carries: C2PA, IPTC, AIGC
    labels: list[str] = field(default_factory=list)
    notes: list[Label] = field(default_factory=list)  # the provenance pack's advisories
    # The comparison with the production's reference library (SimilarFacts as JSON), when the
    # scan carried one; None otherwise.
    similar: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "sha256": self.sha256,
            "size": self.size,
            "media_type": self.media_type,
            "verdict": self.verdict,
            "verdict_rule": self.verdict_rule,
            "credential": self.credential,
            "labels": self.labels,
            "advisories": [{"rule": n.rule, "message": n.because} for n in self.notes],
            "signals": self.signals,
            "findings": [
                {
                    "finding": f.value,
                    "rule": f.rule,
                    "because": f.because,
                    "use_case": self.use_case,
                }
                for f in self.findings
            ],
        }
        if self.reason:
            out["reason"] = self.reason
        if self.similar is not None:
            out["similar"] = self.similar
        return out


@dataclass
class Summary:
    files: int = 0
    cached: int = 0
    seconds: float = 0.0
    verdicts: Counter[str] = field(default_factory=Counter)
    findings: Counter[str] = field(default_factory=Counter)
    credentials: Counter[str] = field(default_factory=Counter)  # by state, "invalid: X" as is
    # GenAI files by the machine-readable labels they carry ("none": no C2PA, IPTC or AIGC
    # label at all — what labelling rules such as EU AI Act Art. 50(2) ask to have)
    ai_labels: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "cached": self.cached,
            "seconds": round(self.seconds, 3),
            "files_per_second": round(self.files / self.seconds, 1) if self.seconds else None,
            "verdicts": dict(sorted(self.verdicts.items())),
            "findings": dict(sorted(self.findings.items())),
            "credentials": dict(sorted(self.credentials.items())),
            "ai_labels": dict(sorted(self.ai_labels.items())),
        }


AssetLookup = Callable[[str], AssetFacts | None]


@dataclass
class _Batch:
    """A chunk of walked files: cached results, and the inspection of the rest (or its
    future, when a worker pool runs it)."""

    chunk: list[Entry]
    cached: dict[str, dict[str, Any]]
    todo: list[str]
    work: Future[list[dict[str, Any]]] | list[dict[str, Any]]


@dataclass
class Scanner:
    provenance: Pack
    deliverables: Pack | None = None
    assets: AssetLookup | None = None
    options: ScanOptions = field(default_factory=ScanOptions)
    jobs: int = 1
    cache_path: Path | None = None
    with_hash: bool = True
    keep_facts: bool = False  # hand each result its facts (for packs run after the scan)
    # The production's prompt checks (talent and protected names), for the deliverables pack
    prompts: Deriver | None = None
    summary: Summary = field(default_factory=Summary)
    #: Inspects a chunk elsewhere — on a cluster (``clearance.provenance.cluster``) — from the
    #: first file on, ``2 * jobs`` chunks in flight; the results are judged here as any.
    remote: Callable[[list[str]], Future[list[dict[str, Any]]]] | None = None
    chunk: int = CHUNK  # files a round trip (a cluster task costs more than a local one)

    def cache_key(self) -> str:
        """Cached results are reused only with the same extractors, the same versions of the
        libraries behind them (c2pa-rs, sd-parsers, Pillow), options, trust bundle and
        provenance pack (the verdict is cached with the facts it was decided from)."""
        anchors = self.options.trust_anchors
        bundle = hashlib.sha256(Path(anchors).read_bytes()).hexdigest() if anchors else ""
        text = (
            f"{EXTRACTOR_VERSION}|{library_versions()}|{self.options.model_dump_json()}"
            f"|{bundle}|{self.with_hash}"
            f"|{self.provenance.id}@{self.provenance.version}@{self.provenance.sha256}"
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def scan(
        self, roots: list[Path], progress: Callable[[int], None] | None = None
    ) -> Iterator[FileResult]:
        """Results for every file under ``roots``, in walk order (a generator)."""
        started = time.perf_counter()
        cache = ScanCache(self.cache_path, self.cache_key()) if self.cache_path else None
        pools: list[ProcessPoolExecutor] = []  # started once POOL_AFTER files need inspecting
        try:
            entries = walk(roots) if _disjoint(roots) else _once(walk(roots))
            for result in self._results(entries, cache, pools):
                self.summary.files += 1
                self.summary.verdicts[result.verdict] += 1
                if result.credential:
                    self.summary.credentials[result.credential] += 1
                if result.verdict in ("ai-generated", "ai-composite"):
                    self.summary.ai_labels["+".join(result.labels) or "none"] += 1
                for finding in result.findings:
                    self.summary.findings[finding.value] += 1
                if progress:
                    progress(1)
                yield result
        finally:
            for pool in pools:
                pool.shutdown(cancel_futures=True)
            if cache:
                cache.close()
            self.summary.seconds = time.perf_counter() - started

    def _pool(self) -> ProcessPoolExecutor:
        """Worker processes, started and warmed up front (extractors imported, pack loaded).

        forkserver, not fork: a parent that already used c2pa-rs (native threads and locks)
        must not be forked mid-state, or a worker can deadlock. The fork server pre-imports
        the extractors once, so each worker starts in a fraction of a second; and workers
        never re-run the program's ``__main__`` (a console script importing the whole CLI
        costs a second or more a worker): they need nothing from it.
        """
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(WORKER_MODULES))
        pool = ProcessPoolExecutor(self.jobs, mp_context=context)
        with _main_not_reimported():
            warm = [pool.submit(warm_up, str(self.provenance.path)) for _ in range(self.jobs)]
        for future in warm:
            future.result()
        return pool

    def _results(
        self, entries: Iterator[Entry], cache: ScanCache | None, pools: list[ProcessPoolExecutor]
    ) -> Iterator[FileResult]:
        pending: deque[_Batch] = deque()
        inline = 0  # files to inspect so far: a pool is worth starting only for many
        for chunk in _chunks(entries, self.chunk):
            readable = [e for e in chunk if not e.problem]
            need_facts = self.deliverables is not None or self.keep_facts
            cached = cache.lookup(readable, need_facts) if cache else {}
            todo = [e.path for e in chunk if not e.problem and e.path not in cached]
            work: Future[list[dict[str, Any]]] | list[dict[str, Any]]
            pack = str(self.provenance.path)
            inline += len(todo)
            if self.jobs > 1 and todo and not pools and inline > POOL_AFTER and not self.remote:
                pools.append(self._pool())
            if self.remote is not None:
                work = self.remote(todo) if todo else []
            elif pools and todo:
                work = pools[0].submit(
                    inspect_many, todo, self.options, self.with_hash, pack, as_json=True
                )
            else:
                work = inspect_many(todo, self.options, self.with_hash, pack) if todo else []
            pending.append(_Batch(chunk, cached, todo, work))
            while len(pending) > 2 * self.jobs:  # a bounded number of chunks in flight
                yield from self._finish(pending.popleft(), cache)
        while pending:
            yield from self._finish(pending.popleft(), cache)

    def _finish(self, batch: _Batch, cache: ScanCache | None) -> Iterator[FileResult]:
        done = batch.work.result() if isinstance(batch.work, Future) else batch.work
        fresh = dict(zip(batch.todo, done, strict=True))
        for entry in batch.chunk:
            if entry.problem:
                yield self._judge(entry, unreadable(entry.problem), cached=False)
            elif entry.path in batch.cached:
                yield self._judge(entry, batch.cached[entry.path], cached=True)
            else:
                raw = fresh[entry.path]
                result = self._judge(entry, raw, cached=False)
                if cache is not None and not raw.get("transient"):  # a worker lost, not the file
                    notes = [n.rule for n in result.notes]
                    verdict = [result.verdict, result.verdict_rule, notes]
                    cache.store(entry, {**raw, "verdict": verdict})
                yield result
        if cache is not None and self.remote is not None:
            cache.flush()  # a driver that dies resumes from here (a cluster scan may be long)

    def _judge(self, entry: Entry, raw: dict[str, Any], cached: bool) -> FileResult:
        facts = raw["facts"]
        if isinstance(facts, str):  # from a worker, as JSON text: parsed only when needed
            facts = json.loads(facts) if self.keep_facts or self.deliverables else None
        if "verdict" in raw:  # decided by this very pack version (in a worker, or cached)
            verdict = Label(raw["verdict"][0], raw["verdict"][1], "", "")
            notes = [self._advisory(rule) for rule in raw["verdict"][2]]
        else:
            verdict = classify(self.provenance, facts)
            notes = advisories(self.provenance, facts)
        result = FileResult(
            path=entry.display,
            sha256=raw["sha256"],
            size=raw["size"],
            media_type=raw["media_type"],
            verdict=verdict.value,
            verdict_rule=verdict.rule,
            reason=raw["reason"] if verdict.value == "unreadable" else "",
            signals=raw["signals"],
            cached=cached,
            facts=facts if self.keep_facts else None,
            credential=raw.get("credential", ""),
            labels=raw.get("labels", []),
            notes=notes,
        )
        if cached:
            self.summary.cached += 1
        if self.options.similarity is not None and facts:
            similar = facts.get("similar") or {}
            result.similar = similar if similar.get("checked") or similar.get("problem") else None
        if self.deliverables is not None:
            asset = (
                self.assets(result.sha256) if self.assets and result.sha256 else None
            ) or AssetFacts()
            result.use_case = asset.use_case
            deliverable = {"file": facts, "verdict": result.verdict, "asset": asset.model_dump()}
            if self.prompts is not None and facts:
                deliverable["prompt"] = self.prompts.plain(prompt_texts(facts))
            result.findings = findings(self.deliverables, _with_defaults(deliverable))
        return result

    def _advisory(self, rule: str) -> Label:
        spec = next(a.spec for a in self.provenance.advisories if a.spec.id == rule)
        return Label(spec.id, spec.id, spec.message, spec.cites)


@functools.cache
def library_versions() -> str:
    """Versions of the libraries whose reading the facts depend on (part of the cache key:
    upgrading c2pa-python or sd-parsers must not reuse verdicts read by the old one)."""
    found = []
    for name in ("c2pa-python", "sd-parsers", "pillow", "common-expression-language"):
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}=-")
    return ",".join(found)


#: What the fork server imports once, so that workers forked from it start warm.
WORKER_MODULES = (
    "clearance.provenance.inspect",
    *(f"clearance.provenance.extractors.{name}" for name in EXTRACTOR_MODULES),
    "clearance.policy.classify",
    "clearance.policy.pack",
)


@contextmanager
def _main_not_reimported() -> Iterator[None]:
    """While workers are started, name ``__main__`` as a ``*.__main__`` module, which
    multiprocessing does not re-run in a worker; restored after."""
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None:
        yield
        return
    main.__spec__ = ModuleSpec("clearance.__main__", None)
    try:
        yield
    finally:
        main.__spec__ = None


def _with_defaults(deliverable: dict[str, Any]) -> dict[str, Any]:
    return DeliverableFacts.model_validate(deliverable).model_dump()


def _disjoint(roots: list[Path]) -> bool:
    """No root is another or inside one: the walk then names each file once, and ``_once``
    (which remembers every path: memory that grows with the tree) is not needed."""
    bases = [os.path.abspath(r) for r in roots]
    return not any(
        a == b or os.path.commonpath([a, b]) == b
        for i, a in enumerate(bases)
        for j, b in enumerate(bases)
        if i != j
    )


def _once(entries: Iterable[Entry]) -> Iterator[Entry]:
    """Each file once, however the roots overlap (``d d``, ``d ./d``, ``d d/x.jpg``)."""
    seen: set[str] = set()
    for entry in entries:
        if entry.path not in seen:
            seen.add(entry.path)
            yield entry


def _chunks(items: Iterable[Entry], size: int) -> Iterator[list[Entry]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
