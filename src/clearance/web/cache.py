"""Status and evidence, kept up to date by what changed rather than recomputed per request.

Every write appends to the audit trail, so the trail's head (its sequence number) names the
register's state, and the events since a cached head say which use cases a write touched.
A production's status is therefore computed whole once, then patched: after a write only the
use cases named by the new events (their own rows, or evidence whose scope names them) are
recomputed — a request costs what it shows, not what the production holds. One use case's
page reads one use case's status when the production's is not cached. Concurrent readers of
a stale entry wait for one of them to bring it up to date (single flight). Entries are also
rebuilt whole after ``ttl`` seconds, so a change outside the register (an attachment file
removed from disk) shows within that time.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Connection

from clearance.register import queries, schema
from clearance.register.status import EvidenceIndex, EvidenceView, UseCaseStatus, summarise

T = TypeVar("T")
#: Beyond this many events since the cached head, recomputing everything is cheaper.
MAX_PATCH_EVENTS = 2000
#: Subjects naming a use case's own rows: ``kind:production/uc[@…]``.
USE_CASE_KINDS = ("use-case", "revision", "decision")


@dataclass
class _Status:
    seq: int
    built: float  # when it was last computed whole (monotonic)
    states: dict[str, UseCaseStatus]
    summary: dict[str, Any] | None = None  # ``summarise`` of the states, once asked for


class RegisterCache:
    def __init__(self, entries: int = 256, ttl: float = 30.0) -> None:
        self.entries, self.ttl = entries, ttl
        self._data: OrderedDict[tuple[Any, ...], tuple[int, float, Any]] = OrderedDict()
        self._statuses: OrderedDict[tuple[Any, ...], _Status] = OrderedDict()
        self._guard = threading.Lock()
        self._flights: dict[tuple[Any, ...], threading.Lock] = {}
        self._views: dict[str, dict[str, EvidenceView]] = {}  # production → evidence by id

    # -- status ----------------------------------------------------------------------------

    def status(
        self, db: Connection, production: str, on: dt.date, store: Path
    ) -> list[UseCaseStatus]:
        """Every current use case's status, patched since the last head where possible."""
        return list(self._status(db, production, on, store).states.values())

    def summary(self, db: Connection, production: str, on: dt.date, store: Path) -> dict[str, Any]:
        """``status.summarise`` of the production, once per state (the dashboard's counts)."""
        entry = self._status(db, production, on, store)
        if entry.summary is None:
            entry.summary = summarise(entry.states.values())
        return entry.summary

    def evidence_of(self, db: Connection, production: str, uc_id: str) -> list[EvidenceView]:
        """The evidence naming ``uc_id``, in recorded order (indexed once per state)."""
        by_use_case = self._get(
            db, ("evidence-by-use-case", production), lambda: self._by_use_case(db, production)
        )
        return by_use_case.get(uc_id, [])

    def _by_use_case(self, db: Connection, production: str) -> dict[str, list[EvidenceView]]:
        found: dict[str, list[EvidenceView]] = {}
        for view in self.evidence(db, production):
            for uc_id in view.scope:
                found.setdefault(uc_id, []).append(view)
        return found

    def use_case_status(
        self, db: Connection, production: str, uc_id: str, on: dt.date, store: Path
    ) -> UseCaseStatus | None:
        """One use case's status: from the production's when that is current, else computed
        for this use case alone (its page must not cost the whole production)."""
        seq = self._head(db)
        with self._guard:
            entry = self._statuses.get(("status", production, on))
        if entry is not None and entry.seq == seq and not self._expired(entry.built):
            return entry.states.get(uc_id)
        index = self.index(db, production, store)
        found = queries.status(db, production, on, store, uc_ids=[uc_id], index=index)
        return found[0] if found else None

    def _status(self, db: Connection, production: str, on: dt.date, store: Path) -> _Status:
        seq = self._head(db)
        key = ("status", production, on)
        with self._guard:
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            with self._guard:
                entry = self._statuses.get(key)
            if entry is not None and not self._expired(entry.built):
                if entry.seq == seq:
                    return entry
                patched = self._patch(db, production, on, store, entry, seq)
                if patched is not None:
                    return self._keep(key, patched)
            index = self.index(db, production, store)
            states = queries.status(db, production, on, store, index=index)
            return self._keep(key, _Status(seq, time.monotonic(), {s.id: s for s in states}))

    def _patch(
        self, db: Connection, production: str, on: dt.date, store: Path, entry: _Status, seq: int
    ) -> _Status | None:
        """``entry`` brought up to ``seq`` by recomputing only the use cases the events since
        its head touched; ``None`` when that is not the cheaper way."""
        touched = self._touched(db, production, entry.seq, seq)
        if touched is None:
            return None
        if not touched:
            return _Status(seq, entry.built, entry.states)
        index = self.index(db, production, store)
        fresh = {
            s.id: s
            for s in queries.status(db, production, on, store, uc_ids=sorted(touched), index=index)
        }
        states = {
            uc_id: fresh.get(uc_id, state)
            for uc_id, state in entry.states.items()
            if uc_id not in touched or uc_id in fresh  # withdrawn ones leave
        }
        states.update({k: v for k, v in fresh.items() if k not in states})  # new ones last
        return _Status(seq, entry.built, states)

    def _touched(self, db: Connection, production: str, since: int, until: int) -> set[str] | None:
        """Use case ids whose status the events ``since < seq <= until`` may change."""
        if until - since > MAX_PATCH_EVENTS:
            return None
        ev = schema.audit_events
        rows = db.execute(
            select(ev.c.subject, ev.c.production_id).where(ev.c.seq > since, ev.c.seq <= until)
        ).all()
        touched: set[str] = set()
        evidence: set[str] = set()
        for row in rows:
            kind, _, name = row.subject.partition(":")
            if kind == "attachment":  # a repaired or broken file: which evidence uses it?
                return None
            if row.production_id != production:
                continue
            if kind in USE_CASE_KINDS:
                touched.add(name.split("@", 1)[0].split("/", 1)[1])
            elif kind == "evidence":
                evidence.add(name)
        if evidence:
            views = {v.id: v for v in self.evidence(db, production)}
            for evidence_id in evidence:
                view = views.get(evidence_id)
                if view is None:
                    return None
                touched |= view.scope
        return touched

    def _keep(self, key: tuple[Any, ...], entry: _Status) -> _Status:
        with self._guard:
            self._statuses[key] = entry
            self._statuses.move_to_end(key)
            while len(self._statuses) > self.entries:
                self._statuses.popitem(last=False)
        return entry

    def _expired(self, built: float) -> bool:
        return time.monotonic() - built > self.ttl

    # -- evidence --------------------------------------------------------------------------

    def evidence(self, db: Connection, production: str) -> list[EvidenceView]:
        return self._get(db, ("evidence", production), lambda: self._read_evidence(db, production))

    def index(self, db: Connection, production: str, store: Path) -> EvidenceIndex:
        """The production's evidence indexed for matching (attachments checked), per head."""
        return self._get(
            db,
            ("index", production),
            lambda: queries.evidence_index(db, production, store, self.evidence(db, production)),
        )

    def _read_evidence(self, db: Connection, production: str) -> list[EvidenceView]:
        """The production's evidence, reusing the rows already read: an evidence row changes
        only when it is revoked, so only new or newly revoked rows are read whole."""
        ev = schema.evidence
        listing = db.execute(
            select(ev.c.id, ev.c.revoked_at)
            .where(ev.c.production_id == production)
            .order_by(ev.c.recorded_at, ev.c.id)
        ).all()
        with self._guard:
            known = dict(self._views.get(production, {}))
        wanted = [
            r.id for r in listing if r.id not in known or known[r.id].revoked_at != r.revoked_at
        ]
        for start in range(0, len(wanted), 500):
            batch = wanted[start : start + 500]
            for row in db.execute(select(ev).where(ev.c.id.in_(batch))):
                known[row.id] = EvidenceView.from_row(row)
        views = {r.id: known[r.id] for r in listing}
        with self._guard:
            self._views[production] = views
        return list(views.values())

    # -- plumbing --------------------------------------------------------------------------

    @staticmethod
    def _head(db: Connection) -> int:
        head = db.execute(select(schema.audit_head.c.seq).where(schema.audit_head.c.id == 1))
        return int(head.scalar() or 0)

    def _get(self, db: Connection, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        seq = self._head(db)
        found = self._fresh(key, seq)
        if found is not None:
            return found  # type: ignore[no-any-return]
        with self._guard:
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            found = self._fresh(key, seq)  # another reader may have just computed it
            if found is not None:
                return found  # type: ignore[no-any-return]
            value = compute()
            with self._guard:
                self._data[key] = (seq, time.monotonic(), value)
                self._data.move_to_end(key)
                while len(self._data) > self.entries:
                    self._data.popitem(last=False)
            return value

    def _fresh(self, key: tuple[Any, ...], seq: int) -> Any:
        with self._guard:
            entry = self._data.get(key)
        if entry is None:
            return None
        cached_seq, at, value = entry
        if cached_seq != seq or time.monotonic() - at > self.ttl:
            return None
        return value
