"""Status and evidence, computed once per change of the register rather than per request.

Every write appends to the audit trail, so the trail's head (its sequence number) names the
register's state: a page read in the same snapshot as the head can reuse what was computed for
that head. Concurrent readers of a stale entry wait for one of them to recompute it (single
flight) instead of all computing it at once. Entries also expire after ``ttl`` seconds, so a
change outside the register (an attachment file removed from disk) shows within that time.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Connection

from clearance.register import queries, schema
from clearance.register.status import EvidenceView, UseCaseStatus

T = TypeVar("T")


class RegisterCache:
    def __init__(self, entries: int = 256, ttl: float = 10.0) -> None:
        self.entries, self.ttl = entries, ttl
        self._data: OrderedDict[tuple[Any, ...], tuple[int, float, Any]] = OrderedDict()
        self._guard = threading.Lock()
        self._flights: dict[tuple[Any, ...], threading.Lock] = {}
        self._views: dict[str, dict[str, EvidenceView]] = {}  # production → evidence by id

    def status(
        self, db: Connection, production: str, on: dt.date, store: Path
    ) -> list[UseCaseStatus]:
        return self._get(
            db,
            ("status", production, on),
            lambda: queries.status(db, production, on, store, self.evidence(db, production)),
        )

    def evidence(self, db: Connection, production: str) -> list[EvidenceView]:
        return self._get(db, ("evidence", production), lambda: self._read_evidence(db, production))

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

    def _get(self, db: Connection, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        head = db.execute(select(schema.audit_head.c.seq).where(schema.audit_head.c.id == 1))
        seq = int(head.scalar() or 0)
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
