"""Export the whole register (JSON plus attachments, as a folder or a zip) and restore it
into an empty database, reproducing every row — so the restored audit trail verifies."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from clearance.register import attachments, audit, schema
from clearance.register.db import SCHEMA_REVISION

FORMAT = "clearance-register-export"
# Parents before children, so foreign keys hold while restoring.
TABLES: list[Table] = [
    schema.productions,
    schema.use_cases,
    schema.revisions,
    schema.decisions,
    schema.attachments,
    schema.evidence,
    schema.assets,
    schema.scans,
    schema.scan_files,
    schema.cuts,
    schema.users,
    schema.memberships,
    schema.api_tokens,
    schema.reviews,
    schema.audit_events,
]  # web_sessions are not exported: a restored register starts signed out


class TransferError(Exception):
    pass


def export(db: Connection, store: Path, target: Path) -> dict[str, int]:
    """Write ``target`` (a ``.zip`` or a folder); returns row counts per table."""
    counts: dict[str, int] = {}
    shas = [r.sha256 for r in db.execute(select(schema.attachments.c.sha256))]
    for sha in shas:
        problem = attachments.check_file(store, sha)
        if problem:
            raise TransferError(f"attachment {sha}: {problem}; fix the store before exporting")
    if target.suffix == ".zip":
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            with archive.open("register.json", "w") as raw:
                _write_json(db, raw, counts)
            for sha in shas:
                archive.write(attachments.location(store, sha), f"attachments/{sha}")
    else:
        target.mkdir(parents=True, exist_ok=True)
        with (target / "register.json").open("wb") as raw:
            _write_json(db, raw, counts)
        for sha in shas:
            (target / "attachments").mkdir(exist_ok=True)
            shutil.copyfile(attachments.location(store, sha), target / "attachments" / sha)
    return counts


def _write_json(db: Connection, raw: IO[bytes], counts: dict[str, int]) -> None:
    head = db.execute(select(schema.audit_head)).one()
    header = {"format": FORMAT, "version": 1, "schema": SCHEMA_REVISION}
    header["audit_head"] = {"seq": head.seq, "hash": head.hash}
    raw.write(json.dumps(header)[:-1].encode() + b', "tables": {')
    for i, table in enumerate(TABLES):
        raw.write((", " if i else "").encode() + json.dumps(table.name).encode() + b": [")
        count = 0
        order = list(table.primary_key.columns)
        for row in db.execute(select(table).order_by(*order)).mappings():
            raw.write((b",\n" if count else b"\n") + json.dumps(dict(row)).encode())
            count += 1
        raw.write(b"]")
        counts[table.name] = count
    raw.write(b"}}\n")


def restore(db: Connection, store: Path, source: Path) -> dict[str, int]:
    """Load an export into this (empty) register, in the caller's transaction, and verify the
    result; any problem raises ``TransferError`` (the caller's transaction then rolls back)."""
    try:
        counts = _restore(db, store, source)
    except (zipfile.BadZipFile, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise TransferError(f"{source}: not a readable clearance export ({exc})") from exc
    except DBAPIError as exc:
        raise TransferError(f"{source}: rows do not fit the register: {exc.orig}") from exc
    result = audit.verify(db, store)
    if not result.ok:
        problems = "; ".join(result.problems[:5])
        raise TransferError(f"{source}: the restored trail does not verify: {problems}")
    return counts


def _restore(db: Connection, store: Path, source: Path) -> dict[str, int]:
    if (
        db.execute(select(func.count()).select_from(schema.productions)).scalar_one()
        or db.execute(select(schema.audit_head.c.seq)).scalar_one()
    ):
        raise TransferError("the target register is not empty; restore only into a new one")
    with _open(source) as (data, files):
        if data.get("format") != FORMAT:
            raise TransferError(f"{source}: not a clearance register export")
        if data.get("schema") != SCHEMA_REVISION:
            raise TransferError(
                f"{source}: exported at schema {data.get('schema')}, "
                f"this version is {SCHEMA_REVISION}"
            )
        counts = {}
        for table in TABLES:
            rows = data["tables"].get(table.name, [])
            if rows:
                db.execute(insert(table), rows)
            counts[table.name] = len(rows)
        for sha in (r["sha256"] for r in data["tables"].get("attachments", [])):
            if sha not in files:
                raise TransferError(f"{source}: attachment {sha} is missing from the export")
            stored, _ = attachments.put(store, files[sha])
            if stored != sha:
                raise TransferError(f"{source}: attachment {sha} does not match its digest")
        head = data["audit_head"]
        db.execute(update(schema.audit_head).values(seq=head["seq"], hash=head["hash"]))
        if db.dialect.name == "postgresql":
            for table in (schema.use_cases, schema.revisions, schema.decisions):
                db.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'pk'), "
                        f"COALESCE((SELECT MAX(pk) FROM {table.name}), 0) + 1, false)"
                    )
                )
        return counts


class _open:
    """Read an export from a zip or a folder: ``(data, {sha: path of the attachment})``."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.tmp: Path | None = None

    def __enter__(self) -> tuple[dict[str, Any], dict[str, Path]]:
        folder = self.source
        if self.source.suffix == ".zip":
            import tempfile

            self.tmp = Path(tempfile.mkdtemp(prefix="clearance-restore-"))
            with zipfile.ZipFile(self.source) as archive:
                for name in archive.namelist():
                    if name == "register.json" or (
                        name.startswith("attachments/")
                        and "/" not in name[12:]
                        and ".." not in name
                    ):
                        archive.extract(name, self.tmp)
            folder = self.tmp
        try:
            data = json.loads((folder / "register.json").read_text())
        except (OSError, ValueError) as exc:
            raise TransferError(f"{self.source}: cannot read register.json: {exc}") from exc
        files = {p.name: p for p in _files(folder / "attachments")}
        return data, files

    def __exit__(self, *exc: object) -> None:
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _files(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        yield from (p for p in folder.iterdir() if p.is_file())
