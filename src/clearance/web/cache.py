"""A production's evidence and status, kept up to date by what changed rather than recomputed
per request.

Every write appends to the audit trail, so the trail's head (its sequence number) names the
register's state, and the events since a cached head say what a write touched. A production
is read whole once — its evidence, indexed for matching, and, per day asked about, every use
case's status — and then patched: after a write only the evidence rows the new events name
are read again, and only the use cases they name (their own rows, or evidence whose scope
names them) are recomputed. A request costs what it shows, not what the production holds.
Concurrent readers of a stale entry wait for one of them to bring it up to date (single
flight). Entries are rebuilt whole after ``ttl`` seconds, so a change outside the register
(an attachment file removed from disk) shows within that time.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from clearance.register import attachments, queries, schema
from clearance.register.status import EvidenceIndex, EvidenceView, UseCaseStatus, summarise

#: Beyond this many events since the cached head, reading everything again is cheaper.
MAX_PATCH_EVENTS = 2000
#: Subjects naming a use case's own rows: ``kind:production/uc[@…]``.
USE_CASE_KINDS = ("use-case", "revision", "decision")


@dataclass
class _Day:
    """Every current use case's status as of one day, and its summary once asked for."""

    states: dict[str, UseCaseStatus]
    summary: dict[str, Any] | None = None


@dataclass
class _Production:
    seq: int
    built: float  # when it was last read whole (monotonic)
    views: dict[str, EvidenceView]  # evidence by id, in recorded order
    index: EvidenceIndex
    by_use_case: dict[str, list[EvidenceView]]
    days: dict[dt.date, _Day] = field(default_factory=dict)


class RegisterCache:
    def __init__(self, entries: int = 64, ttl: float = 120.0) -> None:
        self.entries, self.ttl = entries, ttl
        self.store: Path | None = None  # the attachment store (the same for one app)
        self._productions: OrderedDict[str, _Production] = OrderedDict()
        self._guard = threading.Lock()
        self._flights: dict[str, threading.Lock] = {}

    # -- what pages ask for ------------------------------------------------------------------

    def status(
        self, db: Connection, production: str, on: dt.date, store: Path
    ) -> list[UseCaseStatus]:
        """Every current use case's status, in declaration order."""
        return list(self._day(db, production, on, store).states.values())

    def summary(self, db: Connection, production: str, on: dt.date, store: Path) -> dict[str, Any]:
        """``status.summarise`` of the production, once per state (the dashboard's counts)."""
        day = self._day(db, production, on, store)
        if day.summary is None:
            day.summary = summarise(day.states.values())
        return day.summary

    def use_case_status(
        self, db: Connection, production: str, uc_id: str, on: dt.date, store: Path
    ) -> UseCaseStatus | None:
        """One use case's status: from the production's when that day is held, else computed
        for this use case alone (its page must not cost the whole production)."""
        entry = self._production(db, production, store)
        day = entry.days.get(on)
        if day is not None:
            return day.states.get(uc_id)
        found = queries.status(db, production, on, store, uc_ids=[uc_id], index=entry.index)
        return found[0] if found else None

    def evidence(
        self, db: Connection, production: str, store: Path | None = None
    ) -> list[EvidenceView]:
        return list(self._production(db, production, store).views.values())

    def evidence_of(
        self, db: Connection, production: str, uc_id: str, store: Path | None = None
    ) -> list[EvidenceView]:
        """The evidence naming ``uc_id``, in recorded order."""
        return self._production(db, production, store).by_use_case.get(uc_id, [])

    # -- keeping a production current --------------------------------------------------------

    def _day(self, db: Connection, production: str, on: dt.date, store: Path) -> _Day:
        entry = self._production(db, production, store)
        day = entry.days.get(on)
        if day is None:
            with self._flight(production):
                day = entry.days.get(on)
                if day is None:
                    states = queries.status(db, production, on, store, index=entry.index)
                    day = entry.days[on] = _Day({s.id: s for s in states})
        return day

    def _production(self, db: Connection, production: str, store: Path | None) -> _Production:
        store = self.store = store or self.store
        seq = self._head(db)
        with self._guard:
            entry = self._productions.get(production)
        if entry is not None and entry.seq == seq and not self._expired(entry):
            return entry
        with self._flight(production):
            with self._guard:
                entry = self._productions.get(production)
            if entry is not None and entry.seq == seq and not self._expired(entry):
                return entry
            patched = None
            if entry is not None and not self._expired(entry) and entry.seq < seq:
                patched = self._patch(db, production, store, entry, seq)
            fresh = patched or self._read(db, production, store, seq)
            with self._guard:
                self._productions[production] = fresh
                self._productions.move_to_end(production)
                while len(self._productions) > self.entries:
                    self._productions.popitem(last=False)
            return fresh

    def _read(self, db: Connection, production: str, store: Path | None, seq: int) -> _Production:
        views = {v.id: v for v in queries.evidence(db, production)}
        index = queries.evidence_index(db, production, store, list(views.values()))
        by_use_case: dict[str, list[EvidenceView]] = {}
        for view in views.values():
            for uc_id in view.scope:
                by_use_case.setdefault(uc_id, []).append(view)
        return _Production(seq, time.monotonic(), views, index, by_use_case)

    def _patch(
        self, db: Connection, production: str, store: Path | None, entry: _Production, seq: int
    ) -> _Production | None:
        """``entry`` brought up to ``seq`` from the events since its head; ``None`` when
        reading everything again is the cheaper (or the only safe) way."""
        if seq - entry.seq > MAX_PATCH_EVENTS:
            return None
        ev = schema.audit_events
        rows = db.execute(
            select(ev.c.subject, ev.c.production_id).where(ev.c.seq > entry.seq, ev.c.seq <= seq)
        ).all()
        touched: set[str] = set()
        evidence_ids: set[str] = set()
        for row in rows:
            kind, _, name = row.subject.partition(":")
            if kind == "attachment":  # a repaired or damaged file: which evidence uses it?
                return None
            if row.production_id != production:
                continue
            if kind in USE_CASE_KINDS:
                touched.add(name.split("@", 1)[0].split("/", 1)[1])
            elif kind == "evidence":
                evidence_ids.add(name)
        changed = self._evidence_rows(db, production, sorted(evidence_ids))
        views = dict(entry.views)
        by_use_case = dict(entry.by_use_case)
        broken: dict[str, str] = {}
        for view in changed:
            views[view.id] = view  # a revocation keeps its place; new evidence comes last
            touched |= view.scope
            for uc_id in view.scope:
                listed = list(by_use_case.get(uc_id, []))
                at = next((i for i, v in enumerate(listed) if v.id == view.id), None)
                if at is None:
                    listed.append(view)
                else:
                    listed[at] = view
                by_use_case[uc_id] = listed
            sha = view.attachment_sha256
            if store is not None and sha:
                problem = attachments.check_file(store, sha)
                if problem:
                    broken[sha] = problem
        index = entry.index.updated(changed, broken) if changed else entry.index
        days = {}
        for on, day in entry.days.items():
            days[on] = self._patched_day(db, production, store, on, day, touched, index)
        return _Production(seq, entry.built, views, index, by_use_case, days)

    @staticmethod
    def _patched_day(
        db: Connection,
        production: str,
        store: Path | None,
        on: dt.date,
        day: _Day,
        touched: set[str],
        index: EvidenceIndex,
    ) -> _Day:
        if not touched:
            return day
        fresh = {
            s.id: s
            for s in queries.status(db, production, on, store, uc_ids=sorted(touched), index=index)
        }
        states = {
            uc_id: fresh.get(uc_id, state)
            for uc_id, state in day.states.items()
            if uc_id not in touched or uc_id in fresh  # withdrawn ones leave
        }
        states.update({k: v for k, v in fresh.items() if k not in states})  # new ones last
        summary = None
        if day.summary is not None:  # adjust the counts rather than count again
            before = [day.states[k] for k in touched if k in day.states]
            after = [fresh[k] for k in touched if k in fresh]
            summary = _adjusted(day.summary, summarise(before), summarise(after))
        return _Day(states, summary)

    @staticmethod
    def _evidence_rows(db: Connection, production: str, ids: list[str]) -> list[EvidenceView]:
        ev = schema.evidence
        found: list[EvidenceView] = []
        for start in range(0, len(ids), 500):
            rows = db.execute(
                select(ev)
                .where(ev.c.production_id == production, ev.c.id.in_(ids[start : start + 500]))
                .order_by(ev.c.recorded_at, ev.c.id)
            )
            found += [EvidenceView.from_row(r) for r in rows]
        return found

    # -- plumbing ----------------------------------------------------------------------------

    def _flight(self, production: str) -> threading.Lock:
        with self._guard:
            return self._flights.setdefault(production, threading.Lock())

    def _expired(self, entry: _Production) -> bool:
        return time.monotonic() - entry.built > self.ttl

    @staticmethod
    def _head(db: Connection) -> int:
        head = db.execute(select(schema.audit_head.c.seq).where(schema.audit_head.c.id == 1))
        return int(head.scalar() or 0)


def _adjusted(
    total: dict[str, Any], removed: dict[str, Any], added: dict[str, Any]
) -> dict[str, Any]:
    """``total`` minus the counts of ``removed`` plus those of ``added`` (see ``summarise``)."""
    result: dict[str, Any] = {}
    for key, value in total.items():
        if isinstance(value, dict):
            counts = Counter(value)
            counts.subtract(removed.get(key, {}))
            counts.update(added.get(key, {}))
            kept = {k: v for k, v in counts.items() if v or key == "outcomes"}
            if key == "waiting_on":
                kept = dict(sorted(kept.items(), key=lambda kv: -kv[1]))
            elif key == "open_by_obligation":
                kept = dict(sorted(kept.items()))
            result[key] = kept
        else:
            result[key] = value - removed.get(key, 0) + added.get(key, 0)
    return result
