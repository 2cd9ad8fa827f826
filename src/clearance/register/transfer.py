"""Export the whole register (JSON plus attachments, as a folder or a zip) and restore it
into an empty database, reproducing every row — so the restored audit trail verifies."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO

from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from clearance.register import attachments, audit, schema
from clearance.register.db import SCHEMA_REVISION, problem

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
    schema.refs,
    schema.ref_hashes,
    schema.protected_names,
    schema.similarity_checks,
    schema.audit_events,
]  # web_sessions are not exported: a restored register starts signed out


class TransferError(Exception):
    pass


#: Bounds on what a restore reads: register.json (parsed in memory), and any one member of an
#: export zip expanding this many times its compressed size (a "zip bomb").
MAX_JSON_BYTES = 1 << 30
MAX_RATIO = 200
MAX_DEPTH = 32  # register.json is tables of flat rows: nothing nests deeper


def is_zip(target: Path) -> bool:
    return target.suffix.lower() == ".zip"


def export(db: Connection, store: Path, target: Path) -> tuple[dict[str, int], dict[str, Any]]:
    """Write ``target`` (a ``.zip`` or a folder); returns row counts per table and the audit
    head (``seq``, ``hash``) the export ends at.

    The export is built under a temporary name beside ``target`` and renamed over it only
    when complete: an interrupted export (a full disk, ``kill -9``) leaves the previous one
    as it was."""
    _check_target(target)
    counts: dict[str, int] = {}
    shas = [r.sha256 for r in db.execute(select(schema.attachments.c.sha256))]
    for sha in shas:
        problem = attachments.check_file(store, sha)
        if problem:
            raise TransferError(f"attachment {sha}: {problem}; fix the store before exporting")
    temporary = target.with_name(f".{target.name}.part-{os.getpid()}")
    try:
        if is_zip(target):
            with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
                with archive.open("register.json", "w", force_zip64=True) as raw:
                    head = _write_json(db, raw, counts)
                for sha in shas:
                    archive.write(attachments.location(store, sha), f"attachments/{sha}")
            with temporary.open("rb") as done:
                os.fsync(done.fileno())
            temporary.replace(target)
        else:
            temporary.mkdir()
            with (temporary / "register.json").open("wb") as raw:
                head = _write_json(db, raw, counts)
                raw.flush()
                os.fsync(raw.fileno())
            for sha in shas:
                (temporary / "attachments").mkdir(exist_ok=True)
                shutil.copyfile(attachments.location(store, sha), temporary / "attachments" / sha)
            if target.exists():  # an empty folder (checked above): replaced by the export
                target.rmdir()
            temporary.rename(target)
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise TransferError(
            f"{target}: cannot write the export: {why}; nothing was changed"
        ) from exc
    finally:
        if temporary.is_dir():
            shutil.rmtree(temporary, ignore_errors=True)
        else:
            temporary.unlink(missing_ok=True)
    return counts, head


def _check_target(target: Path) -> None:
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise TransferError(f"{target}: no such folder: {folder}")
    if is_zip(target):
        if target.exists() and not target.is_file():
            raise TransferError(f"{target}: exists and is not a file")
        if target.is_file() and not zipfile.is_zipfile(target):
            raise TransferError(
                f"{target}: exists and is not an export (a zip); refusing to overwrite it"
            )
    elif target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise TransferError(
            f"{target}: exists and is not an empty folder; give a new folder, or a .zip "
            "(which replaces an earlier export)"
        )


def _write_json(db: Connection, raw: IO[bytes], counts: dict[str, int]) -> dict[str, Any]:
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
    return {"seq": head.seq, "hash": head.hash}


def restore(
    db: Connection, store: Path, source: Path, expect_head: str | None = None
) -> dict[str, int]:
    """Load an export into this (empty) register, in the caller's transaction, and verify the
    result; any problem raises ``TransferError`` (the caller's transaction then rolls back,
    and no attachment is left in the store)."""
    added: list[str] = []
    try:
        counts = _restore(db, store, source, expect_head, added)
    except TransferError:
        attachments.discard(store, added)
        raise
    except (
        zipfile.BadZipFile,
        KeyError,
        TypeError,
        AttributeError,
        ValueError,
        IndexError,
        OverflowError,
    ) as exc:
        attachments.discard(store, added)
        raise TransferError(f"{source}: not a readable clearance export ({exc})"[:500]) from exc
    except RecursionError as exc:
        attachments.discard(store, added)
        raise TransferError(
            f"{source}: not a readable clearance export (nested too deeply)"
        ) from exc
    except DBAPIError as exc:
        attachments.discard(store, added)
        raise TransferError(f"{source}: rows do not fit the register: {problem(exc)}") from exc
    except SQLAlchemyError as exc:  # unknown columns, values of the wrong kind
        attachments.discard(store, added)
        why = str(exc).splitlines()[0][:300]
        raise TransferError(f"{source}: rows do not fit the register: {why}") from exc
    except OSError as exc:
        attachments.discard(store, added)
        raise TransferError(f"{source}: {exc.strerror or exc}; nothing was restored") from exc
    except BaseException:
        attachments.discard(store, added)
        raise
    return counts


def _restore(
    db: Connection, store: Path, source: Path, expect_head: str | None, added: list[str]
) -> dict[str, int]:
    if (
        db.execute(select(func.count()).select_from(schema.productions)).scalar_one()
        or db.execute(select(schema.audit_head.c.seq)).scalar_one()
    ):
        raise TransferError("the target register is not empty; restore only into a new one")
    with _Export(source) as export:
        data = export.data
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise TransferError(f"{source}: not a clearance register export")
        if data.get("schema") != SCHEMA_REVISION:
            raise TransferError(
                f"{source}: exported at schema {data.get('schema')}, "
                f"this version is {SCHEMA_REVISION}"
            )
        head = data["audit_head"]
        if expect_head is not None and str(head.get("hash")) != expect_head.strip().lower():
            raise TransferError(
                f"{source}: the export's trail ends at head {head.get('hash')}, not at the "
                f"expected {expect_head}: it was truncated or rewritten; nothing was restored"
            )
        counts = {}
        for table in TABLES:
            rows = data["tables"].get(table.name, [])
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise TransferError(f"{source}: table {table.name}: expected a list of rows")
            columns = set(table.c.keys())
            for row in rows:
                if not row.keys() <= columns or not row:
                    odd = sorted(map(str, set(row) - columns))[:3] or ["(none)"]
                    raise TransferError(
                        f"{source}: table {table.name}: unknown column(s) {', '.join(odd)}"
                    )
            if rows:
                db.execute(insert(table), rows)
            counts[table.name] = len(rows)
        wanted = {r["sha256"]: int(r["size"]) for r in data["tables"].get("attachments", [])}
        for sha, size in wanted.items():
            export.check_attachment(sha, size)  # digest and size, before anything is stored
        db.execute(update(schema.audit_head).values(seq=head["seq"], hash=head["hash"]))
        if db.dialect.name == "postgresql":
            for table in (schema.use_cases, schema.revisions, schema.decisions):
                db.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'pk'), "
                        f"COALESCE((SELECT MAX(pk) FROM {table.name}), 0) + 1, false)"
                    )
                )
        result = audit.verify(db, None)
        if not result.ok:
            problems = "; ".join(result.problems[:5])
            raise TransferError(f"{source}: the restored trail does not verify: {problems}")
        # Only now, with everything checked, do the files enter the store.
        for sha, size in wanted.items():
            if attachments.check_file(store, sha) is None:
                continue
            added.append(sha)
            stored, _ = export.store_attachment(store, sha, size)
            if stored != sha:
                raise TransferError(f"{source}: attachment {sha} does not match its digest")
        return counts


class _Export:
    """An export read from a zip (member by member, never unpacked to disk) or a folder,
    every read bounded: register.json to ``MAX_JSON_BYTES``, an attachment to the size its
    row records, any zip member to ``MAX_RATIO`` times its compressed size."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.archive: zipfile.ZipFile | None = None
        self.data: Any = None

    def __enter__(self) -> _Export:
        if not self.source.exists():
            raise TransferError(f"{self.source}: no such file or folder")
        if not (self.source.is_file() or self.source.is_dir()):  # a FIFO, a device: never read
            raise TransferError(f"{self.source}: not a regular file or a folder")
        if self.source.is_file():
            self.archive = zipfile.ZipFile(self.source)
            members = {i.filename: i for i in self.archive.infolist()}
            for info in members.values():
                if info.file_size > MAX_RATIO * max(info.compress_size, 1 << 16):
                    raise TransferError(
                        f"{self.source}: {info.filename} would expand {info.file_size} bytes "
                        f"from {info.compress_size}: refused (a zip bomb?)"
                    )
            found = members.get("register.json")
            if found is None:
                raise TransferError(f"{self.source}: no register.json in the export")
            with self.archive.open(found) as raw:
                text = _bounded(raw, MAX_JSON_BYTES, f"{self.source}: register.json")
        else:
            path = self.source / "register.json"
            if not path.is_file():
                raise TransferError(f"{self.source}: no register.json in the export")
            with path.open("rb") as raw:
                text = _bounded(raw, MAX_JSON_BYTES, f"{path}")
        try:
            self.data = json.loads(text)
        except ValueError as exc:
            raise TransferError(f"{self.source}: cannot read register.json: {exc}"[:500]) from exc
        except RecursionError as exc:
            raise TransferError(f"{self.source}: register.json is nested too deeply") from exc
        if _depth(self.data) > MAX_DEPTH:
            raise TransferError(f"{self.source}: register.json is nested too deeply")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.archive is not None:
            self.archive.close()

    def _open(self, sha: str) -> BinaryIO:
        if not _SHA.fullmatch(sha):
            raise TransferError(f"{self.source}: {sha!r} is not an attachment digest"[:200])
        try:
            if self.archive is not None:
                return self.archive.open(f"attachments/{sha}")  # type: ignore[return-value]
            path = self.source / "attachments" / sha
            if not path.is_file():
                raise KeyError(sha)
            return path.open("rb")
        except KeyError as exc:
            raise TransferError(
                f"{self.source}: attachment {sha} is missing from the export"
            ) from exc

    def check_attachment(self, sha: str, size: int) -> None:
        digest = hashlib.sha256()
        with self._open(sha) as raw:
            read = 0
            while chunk := raw.read(attachments.CHUNK):
                read += len(chunk)
                if read > size:
                    break
                digest.update(chunk)
        if read != size or digest.hexdigest() != sha:
            raise TransferError(f"{self.source}: attachment {sha} does not match its digest")

    def store_attachment(self, store: Path, sha: str, size: int) -> tuple[str, int]:
        with self._open(sha) as raw:
            try:
                return attachments.put_stream(store, raw, limit=size)
            except attachments.TooLarge as exc:
                raise TransferError(
                    f"{self.source}: attachment {sha} is larger than recorded"
                ) from exc


_SHA = re.compile(r"[0-9a-f]{64}")


def _bounded(raw: IO[bytes], limit: int, name: str) -> bytes:
    data = raw.read(limit + 1)
    if len(data) > limit:
        raise TransferError(f"{name}: larger than {limit} bytes: refused")
    return data


def _depth(value: Any) -> int:
    """Nesting depth, iteratively (a deep value must not exhaust the stack here either)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            items: Iterator[Any] = iter(item.values())
        elif isinstance(item, list):
            items = iter(item)
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in items if isinstance(child, dict | list))
    return deepest
