"""``Register``: every read and write of the register goes through here.

Writes run in one transaction that also appends their audit events, so data and trail never
disagree: a crash (even ``kill -9``) leaves either both or neither.
"""

from __future__ import annotations

import difflib
import json
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy import insert as sql_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from clearance.manifest.errors import InputError, ManifestError
from clearance.manifest.models import Manifest
from clearance.policy.engine import Engine as PolicyEngine
from clearance.provenance.walk import printable
from clearance.register import attachments, audit, importer, schema
from clearance.register.audit import Event, row_digest
from clearance.register.canonical import canonical
from clearance.register.db import WRITE
from clearance.register.evidence import (
    AnyEvidence,
    Consent,
    EstateConsent,
    Labelling,
    coverage,
    details_of,
    performer_of,
)
from clearance.register.importer import ImportSummary

_WRITERS: dict[str, threading.Lock] = {}
_WRITERS_GUARD = threading.Lock()


def _queue_for(engine: Engine) -> AbstractContextManager[Any]:
    """The in-process write queue of a SQLite database (PostgreSQL queues writers itself)."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(str(engine.url), threading.Lock())


class Register:
    def __init__(self, engine: Engine, store: Path, actor: str) -> None:
        self.engine = engine
        self.store = store
        self.actor = actor

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction, serialised with every other writer from its first statement:
        SQLite takes its write lock with BEGIN IMMEDIATE; PostgreSQL locks the audit head row
        (so two imports, or two revocations, never interleave their reads and writes). Within
        one process, writers to the same SQLite database queue on a lock before taking a
        connection: a writer waiting in SQLite's busy handler would hold a pooled connection
        that readers need, and sleeps in growing steps rather than in turn."""
        with (
            _queue_for(self.engine),
            self.engine.connect().execution_options(**{WRITE: True}) as connection,
        ):
            for attempt in range(5):
                try:
                    connection.begin()
                    break
                except OperationalError:  # pragma: no cover - busy beyond the timeout
                    if attempt == 4:
                        raise
            try:
                if connection.dialect.name == "postgresql":
                    head = schema.audit_head
                    connection.execute(select(head.c.seq).where(head.c.id == 1).with_for_update())
                yield connection
                connection.commit()
            except BaseException:
                connection.rollback()
                raise

    @contextmanager
    def read(self, snapshot: bool = False) -> Iterator[Connection]:
        """A read; with ``snapshot`` every query sees the same moment (PostgreSQL's default
        isolation gives each statement its own snapshot; SQLite's transaction already does)."""
        with self.engine.connect() as connection:
            if snapshot and connection.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                yield connection

    # -- import -----------------------------------------------------------------------------

    def import_manifest(
        self,
        manifest: Manifest,
        engine: PolicyEngine,
        partial: bool = False,
        source: str | None = None,
    ) -> ImportSummary:
        """Record the manifest's use cases and their decisions (see ``importer``); ``source``
        names the manifest (``importer.manifest_source``)."""
        with self.write() as db:
            return importer.import_manifest(db, self.actor, manifest, engine, partial, source)

    # -- evidence ---------------------------------------------------------------------------

    def record(self, item: AnyEvidence, source: str = "evidence") -> str:
        """Validate ``item`` against the register and store it; returns the evidence id."""
        staged = None
        if item.attachment is not None and item.attachment.is_file():
            # Copied and hashed before the write lock: other writers wait for no file copy.
            # It is moved into place only when the record is valid (a refused one stores
            # nothing); the temporary copy is removed in every case.
            staged = attachments.stage(self.store, item.attachment)
        try:
            with self.write() as db:
                return self.record_in(db, item, source, staged)
        finally:
            if staged is not None:
                staged.discard()

    def record_in(
        self,
        db: Connection,
        item: AnyEvidence,
        source: str = "evidence",
        stored: attachments.Staged | None = None,
    ) -> str:
        """``record`` inside the caller's write transaction (``stored``: the attachment as
        ``record`` staged it, moved into place here once the record is valid)."""
        current = self._current_use_cases(db, item.production, item.use_cases)
        errors = self._check_scope(db, item, current, source)
        if item.attachment is not None and not item.attachment.is_file():
            errors.append(
                InputError(source, None, "attachment", f"no such file: {item.attachment}")
            )
        if errors:
            raise ManifestError(errors)
        events: list[Event] = []
        attachment_sha = None
        if item.attachment is not None:
            attachment_sha, size = (
                attachments.place(self.store, stored)
                if stored is not None
                else attachments.put(self.store, item.attachment)
            )
            known = db.execute(
                select(schema.attachments).where(schema.attachments.c.sha256 == attachment_sha)
            ).first()
            if known is None:
                row = {
                    "sha256": attachment_sha,
                    "size": size,
                    "name": printable(item.attachment.name),
                    "stored_at": audit.now(),
                }
                db.execute(sql_insert(schema.attachments), [row])
                events.append(
                    Event(
                        "attachment.store",
                        f"attachment:{attachment_sha}",
                        item.production,
                        None,
                        row_digest(row),
                    )
                )
        evidence_id = f"EV-{uuid.uuid4().hex[:10].upper()}"
        covered = coverage(item)
        row = {
            "id": evidence_id,
            "production_id": item.production,
            "kind": item.kind,
            "scope": canonical(sorted(set(item.use_cases))),
            "performer": performer_of(item),
            "date": item.date.isoformat(),
            "expires": item.expires.isoformat() if item.expires else None,
            "reference": item.reference,
            "details": canonical(details_of(item)),
            "attachment_sha256": attachment_sha,
            "recorded_against": canonical(
                {uc: current[uc]["revision"] for uc in sorted(set(item.use_cases))}
            ),
            "recorded_by": self.actor,
            "recorded_at": audit.now(),
            "revoked_at": None,
            "revoked_by": None,
            "revoke_reason": None,
            "territories": None if covered is None else canonical(covered[0]),
            "deliverables": None if covered is None else canonical(covered[1]),
        }
        db.execute(sql_insert(schema.evidence), [row])
        events.append(
            Event(
                f"evidence.{item.kind}",
                f"evidence:{evidence_id}",
                item.production,
                None,
                row_digest(row),
            )
        )
        audit.append(db, self.actor, events)
        return evidence_id

    def revoke(self, evidence_id: str, reason: str) -> dict[str, Any]:
        ev = schema.evidence
        with self.write() as db:
            row = db.execute(select(ev).where(ev.c.id == evidence_id)).first()
            if row is None:
                raise ManifestError([InputError(evidence_id, None, "", "no such evidence")])
            if row.revoked_at is not None:
                raise ManifestError(
                    [InputError(evidence_id, None, "", f"already revoked on {row.revoked_at}")]
                )
            values = {"revoked_at": audit.now(), "revoked_by": self.actor, "revoke_reason": reason}
            db.execute(update(ev).where(ev.c.id == evidence_id).values(**values))
            after = {**row._mapping, **values}
            audit.append(
                db,
                self.actor,
                [
                    Event(
                        "evidence.revoke",
                        f"evidence:{evidence_id}",
                        row.production_id,
                        row_digest(row),
                        row_digest(after),
                    )
                ],
            )
            return after

    # -- assets and scans ----------------------------------------------------------------------

    def add_assets(
        self, production: str, uc_id: str, files: list[tuple[str, str, int]]
    ) -> list[str]:
        """Register ``(path, sha256, size)`` files as outputs of a use case; returns the paths
        newly registered (a file already registered to this use case is left as it is)."""
        table = schema.assets
        with self.write() as db:
            current = self._current_use_cases(db, production, [uc_id])
            if uc_id not in current:
                known = self._use_case_ids(db, production)
                hint = difflib.get_close_matches(uc_id, known, n=1)
                more = f"; did you mean {hint[0]!r}?" if hint else ""
                raise ManifestError(
                    [
                        InputError(
                            "asset",
                            None,
                            "use_case",
                            f"unknown use case {uc_id!r} in {production}{more}",
                        )
                    ]
                )
            existing = {
                r.sha256: r.uc_id
                for r in db.execute(
                    select(table).where(
                        table.c.production_id == production,
                        table.c.sha256.in_([f[1] for f in files]),
                    )
                )
            }
            clashes = [p for p, sha, _ in files if existing.get(sha) not in (None, uc_id)]
            if clashes:
                raise ManifestError(
                    [
                        InputError(p, None, "", f"already registered to {existing[sha]}")
                        for p, sha, _ in files
                        if p in clashes
                    ]
                )
            rows: list[dict[str, Any]] = []
            events: list[Event] = []
            added: list[str] = []
            seen = set(existing)
            for path, sha, size in files:
                if sha in seen:
                    continue
                seen.add(sha)
                row = {
                    "production_id": production,
                    "sha256": sha,
                    "uc_id": uc_id,
                    "path": path,
                    "size": size,
                    "added_by": self.actor,
                    "added_at": audit.now(),
                }
                rows.append(row)
                added.append(path)
                events.append(
                    Event(
                        "asset.add", f"asset:{production}/{sha}", production, None, row_digest(row)
                    )
                )
            if rows:
                db.execute(sql_insert(table), rows)
                audit.append(db, self.actor, events)
            return added

    def record_scan(
        self,
        production: str,
        roots: list[str],
        summary: dict[str, Any],
        files: list[dict[str, Any]],
    ) -> str:
        """Record a scan's summary and the files that carried a signal, a finding or a C2PA
        credential (its state in ``credential``, cut to the column's 80 characters)."""
        scan_id = f"SC-{uuid.uuid4().hex[:10].upper()}"
        with self.write() as db:
            row = {
                "id": scan_id,
                "production_id": production,
                "roots": canonical(roots),
                "started_at": audit.now(),
                "summary": canonical(summary),
                "recorded_by": self.actor,
            }
            db.execute(sql_insert(schema.scans), [row])
            events = [Event("scan.record", f"scan:{scan_id}", production, None, row_digest(row))]
            unique = {f["path"]: f for f in files}  # two names may print the same
            rows = [
                {"scan_id": scan_id, **f, "credential": (f.get("credential") or "")[:80] or None}
                for f in unique.values()
            ]
            if rows:
                db.execute(sql_insert(schema.scan_files), rows)
                events += [
                    Event(
                        "scan.file",
                        f"scan-file:{scan_id}/{r['path']}",
                        production,
                        None,
                        row_digest(r),
                    )
                    for r in rows
                ]
            audit.append(db, self.actor, events)
        return scan_id

    def _current_use_cases(
        self, db: Connection, production: str, uc_ids: Iterable[str]
    ) -> dict[str, dict[str, Any]]:
        """uc id → {"revision", "use_case" (manifest fields)} for those of ``uc_ids`` the
        production has: a write reads the use cases it names, not the whole production."""
        uc, rev = schema.use_cases, schema.revisions
        wanted = sorted(set(uc_ids))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), 500):
            rows = db.execute(
                select(uc.c.uc_id, uc.c.revision, rev.c.body)
                .join(rev, (rev.c.use_case_pk == uc.c.pk) & (rev.c.revision == uc.c.revision))
                .where(
                    uc.c.production_id == production, uc.c.uc_id.in_(wanted[start : start + 500])
                )
            )
            found.update({r.uc_id: {"revision": r.revision, **json.loads(r.body)} for r in rows})
        return found

    @staticmethod
    def _use_case_ids(db: Connection, production: str) -> list[str]:
        uc = schema.use_cases
        return list(
            db.execute(select(uc.c.uc_id).where(uc.c.production_id == production)).scalars()
        )

    def _check_scope(
        self, db: Connection, item: AnyEvidence, current: dict[str, dict[str, Any]], source: str
    ) -> list[InputError]:
        known = (
            self._use_case_ids(db, item.production)
            if any(uc_id not in current for uc_id in item.use_cases)
            else list(current)
        )
        if not known:
            return [
                InputError(
                    source,
                    None,
                    "production",
                    f"no production {item.production!r} in the register "
                    "(run `clearance import` first)",
                )
            ]
        errors = []
        for uc_id in item.use_cases:
            if uc_id not in current:
                hint = difflib.get_close_matches(uc_id, known, n=1)
                more = f"; did you mean {hint[0]!r}?" if hint else ""
                errors.append(
                    InputError(
                        source,
                        None,
                        "use_cases",
                        f"unknown use case {uc_id!r} in {item.production}{more}",
                    )
                )
            elif isinstance(item, Consent | EstateConsent):
                errors += _performer_problems(item, uc_id, current[uc_id], source)
        if isinstance(item, Labelling):
            errors += self._scan_problems(db, item, source)
        return errors

    @staticmethod
    def _scan_problems(db: Connection, item: Labelling, source: str) -> list[InputError]:
        """A labelling verified by a scan names a scan recorded for this production."""
        scan_id = item.verified_by.strip().upper()
        if not scan_id.startswith("SC-"):
            return []  # a person
        scans = schema.scans
        found = db.execute(
            select(scans.c.production_id).where(scans.c.id == scan_id)
        ).scalar_one_or_none()
        if found == item.production:
            return []
        return [
            InputError(
                source,
                None,
                "verified_by",
                f"no scan {scan_id} of {item.production} in the register "
                "(`clearance scan ROOT --production P` records one; or name who checked)",
            )
        ]


def _performer_problems(
    item: Consent | EstateConsent, uc_id: str, use_case: dict[str, Any], source: str
) -> list[InputError]:
    """A consent names a performer of the use case; an estate's consent one whose ``deceased``
    is yes or unsure there (a living performer consents with `consent add`)."""
    performers = use_case["use_case"]["talent"]["performers"]
    if item.performer not in performers:
        return [
            InputError(
                source,
                None,
                "performer",
                f"{item.performer!r} is not a performer of {uc_id} "
                f"(performers: {', '.join(performers) or 'none'})",
            )
        ]
    if isinstance(item, EstateConsent):
        talent = {p.get("id"): p for p in use_case.get("performers", [])}
        deceased = talent.get(item.performer, {}).get("deceased", "no")
        if deceased not in ("yes", "unsure"):
            return [
                InputError(
                    source,
                    None,
                    "performer",
                    f"{item.performer!r} is not recorded as deceased in {uc_id} "
                    f"(deceased: {deceased}); a living performer's consent is "
                    "`clearance consent add`",
                )
            ]
    return []
