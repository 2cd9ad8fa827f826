"""The audit trail: an append-only log of every write, chained by hashes.

Each event records who did what to which subject, with digests of the subject before and
after, and the hash of the previous event. ``verify`` re-walks the chain and re-digests
every tracked row, so a row edited, inserted or deleted behind the register's back (raw SQL)
is found. Limit: whoever can rewrite the whole database can rewrite a consistent history;
export the head hash (``clearance audit verify --format json``) to anchor it elsewhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Row, Table, insert, select, update
from sqlalchemy.engine import Connection

from clearance.register import attachments, schema
from clearance.register.canonical import digest

GENESIS = "0" * 64


@dataclass(frozen=True)
class Event:
    action: str
    subject: str
    production_id: str | None
    before_digest: str | None
    after_digest: str | None


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def event_hash(prev_hash: str, row: dict[str, Any]) -> str:
    fields = ("seq", "at", "actor", "action", "production_id", "subject")
    return digest([prev_hash, *(row[f] for f in fields), row["before_digest"], row["after_digest"]])


def append(connection: Connection, actor: str, events: list[Event]) -> None:
    """Append ``events`` in the caller's transaction (the head row is locked meanwhile)."""
    if not events:
        return
    head = connection.execute(
        select(schema.audit_head).where(schema.audit_head.c.id == 1).with_for_update()
    ).one()
    seq, prev = head.seq, head.hash
    at = now()
    rows = []
    for event in events:
        seq += 1
        row = {
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": event.action,
            "production_id": event.production_id,
            "subject": event.subject,
            "before_digest": event.before_digest,
            "after_digest": event.after_digest,
        }
        row["prev_hash"] = prev
        row["hash"] = prev = event_hash(prev, row)
        rows.append(row)
    connection.execute(insert(schema.audit_events), rows)
    connection.execute(
        update(schema.audit_head).where(schema.audit_head.c.id == 1).values(seq=seq, hash=prev)
    )


#: Columns added by a later migration, with the value existing rows received. A column at
#: that value is left out of a row's digest, so a migration that adds a column does not make
#: every older row look edited.
ADDED_COLUMNS: dict[str, Any] = {
    "withdrawn": False,
    "credential": None,
    "territories": None,
    "deliverables": None,
}
# Bookkeeping left out of row digests: where a use case was declared decides only which
# import may withdraw it (and every change of it is an audited event of its own); keeping it
# out lets a register migrate down and up without its rows looking edited.
UNDIGESTED = ("pk", "source")


def row_digest(row: Row[Any] | dict[str, Any]) -> str:
    """Digest of a row's content; the surrogate ``pk`` is left out (assigned on insert), and so
    are columns added later while they hold the value they were added with."""
    data = dict(row._mapping) if isinstance(row, Row) else dict(row)
    for column in UNDIGESTED:
        data.pop(column, None)
    for column, initial in ADDED_COLUMNS.items():
        if column in data and data[column] == initial:
            del data[column]
    return digest(data)


# Every table whose rows the trail vouches for, and how each row is named as a subject.
def _subjects(connection: Connection) -> Iterator[tuple[str, str]]:
    uc = schema.use_cases
    names = {
        r.pk: f"{r.production_id}/{r.uc_id}"
        for r in connection.execute(select(uc.c.pk, uc.c.production_id, uc.c.uc_id))
    }
    tracked: list[tuple[Table, Callable[[Any], str]]] = [
        (schema.productions, lambda r: f"production:{r.id}"),
        (uc, lambda r: f"use-case:{r.production_id}/{r.uc_id}"),
        (schema.revisions, lambda r: f"revision:{names.get(r.use_case_pk)}@{r.revision}"),
        (
            schema.decisions,
            lambda r: f"decision:{names.get(r.use_case_pk)}@{r.revision}/{r.packs_key}",
        ),
        (schema.evidence, lambda r: f"evidence:{r.id}"),
        (schema.attachments, lambda r: f"attachment:{r.sha256}"),
        (schema.assets, lambda r: f"asset:{r.production_id}/{r.sha256}"),
        (schema.scans, lambda r: f"scan:{r.id}"),
        (schema.scan_files, lambda r: f"scan-file:{r.scan_id}/{r.path}"),
        (schema.cuts, lambda r: f"cut:{r.production_id}/{r.name}"),
        (schema.users, lambda r: f"user:{r.id}"),
        (schema.memberships, lambda r: f"membership:{r.production_id}/{r.user_id}"),
        (schema.api_tokens, lambda r: f"api-token:{r.id}"),
        (schema.reviews, lambda r: f"review:{r.id}"),
        (schema.refs, lambda r: f"ref:{r.id}"),
        (schema.protected_names, lambda r: f"protected-name:{r.id}"),
        (schema.similarity_checks, lambda r: f"similarity-check:{r.id}"),
    ]
    for table, name in tracked:
        for row in connection.execute(select(table)):
            yield name(row), row_digest(row)
    # A reference's frame hashes are one subject (a video has thousands of frames).
    rh = schema.ref_hashes
    frames: dict[str, list[dict[str, Any]]] = {}
    for row in connection.execute(select(rh).order_by(rh.c.ref_id, rh.c.frame, rh.c.crop)):
        frames.setdefault(row.ref_id, []).append(dict(row._mapping))
    for ref_id, rows in frames.items():
        yield f"ref-hashes:{ref_id}", hashes_digest(rows)


def hashes_digest(rows: list[dict[str, Any]]) -> str:
    """Digest of one reference's hash rows (by frame and crop): its ``ref-hashes:`` subject."""
    return digest(sorted(rows, key=lambda r: (int(r["frame"]), str(r["crop"]))))


@dataclass(frozen=True)
class Verification:
    events: int
    head_hash: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(connection: Connection, store: Path | None = None, limit: int = 100) -> Verification:
    """Check the chain, every tracked row against it and (given the store) every attachment
    file; report at most ``limit`` problems."""
    problems: list[str] = []
    prev, expected_seq = GENESIS, 1
    last_digest: dict[str, str | None] = {}
    ev = schema.audit_events
    count = 0
    for row in connection.execute(select(ev).order_by(ev.c.seq)).mappings():
        count += 1
        if row["seq"] != expected_seq:
            problems.append(f"event {expected_seq}: missing (next is {row['seq']}) — deleted?")
        if row["prev_hash"] != prev:
            problems.append(f"event {row['seq']}: does not follow the event before it")
        if event_hash(row["prev_hash"], dict(row)) != row["hash"]:
            problems.append(f"event {row['seq']}: its content does not match its hash — edited")
        prev, expected_seq = row["hash"], row["seq"] + 1
        last_digest[row["subject"]] = row["after_digest"]
    head = connection.execute(select(schema.audit_head)).one()
    if head.seq != expected_seq - 1 or head.hash != prev:
        problems.append(
            f"the chain ends at event {expected_seq - 1} but the head says {head.seq}"
            " — events deleted or appended outside the register"
        )
    seen: set[str] = set()
    for subject, row_hash in _subjects(connection):
        seen.add(subject)
        if subject not in last_digest:
            problems.append(f"{subject}: not in the audit trail — inserted outside the register")
        elif last_digest[subject] != row_hash:
            problems.append(f"{subject}: differs from its last audited state — edited")
    for subject, after in last_digest.items():
        if after is not None and subject not in seen:
            problems.append(f"{subject}: in the audit trail but missing — deleted")
    if store is not None:
        for sha in connection.execute(select(schema.attachments.c.sha256)).scalars():
            problem = attachments.check_file(store, sha)
            if problem:
                problems.append(f"attachment:{sha}: file {problem}")
    return Verification(count, prev, problems[:limit])
