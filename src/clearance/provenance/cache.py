"""The incremental scan cache: (path, size, mtime, inode) → result, in a small SQLite file.

A re-scan of an unchanged tree only stats files and looks them up here, in batches (memory
stays bounded however large the tree). Results are keyed by the extractor version and the
scan options too, so changing either re-inspects.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clearance.provenance.walk import Entry


class ScanCache:
    def __init__(self, path: Path, key: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS results2 (path BLOB PRIMARY KEY, size INTEGER, "
            "mtime_ns INTEGER, inode INTEGER, key TEXT, result TEXT, facts TEXT)"
        )
        self.key = key
        self.pending: list[tuple[bytes, int, int, int, str, str, str]] = []

    def lookup(self, entries: Sequence[Entry], with_facts: bool) -> dict[str, dict[str, Any]]:
        """Cached results for those of ``entries`` that are unchanged, by path. The facts
        (the bulk of a result) are read only when asked for: a verdict is cached beside them."""
        found: dict[str, dict[str, Any]] = {}
        # Paths are stored as OS bytes: names that are not UTF-8 must round-trip too.
        wanted = {os.fsencode(e.path): e for e in entries}
        for start in range(0, len(entries), 500):
            batch = [os.fsencode(e.path) for e in entries[start : start + 500]]
            marks = ",".join("?" * len(batch))
            facts_column = "facts" if with_facts else "NULL"
            query = (
                f"SELECT path, size, mtime_ns, inode, key, result, {facts_column} FROM results2 "
                f"WHERE path IN ({marks})"
            )
            for path, size, mtime_ns, inode, key, result, facts in self.db.execute(query, batch):
                e = wanted[path]
                if (size, mtime_ns, inode, key) == (e.size, e.mtime_ns, e.inode, self.key):
                    found[e.path] = json.loads(result)
                    found[e.path]["facts"] = json.loads(facts) if facts else None
        return found

    def store(self, entry: Entry, result: dict[str, Any]) -> None:
        path = os.fsencode(entry.path)
        rest = {k: v for k, v in result.items() if k != "facts"}
        facts = result["facts"]  # JSON text already when a worker sent it
        facts = facts if isinstance(facts, str) else json.dumps(facts)
        row = (path, entry.size, entry.mtime_ns, entry.inode, self.key, json.dumps(rest), facts)
        self.pending.append(row)
        if len(self.pending) >= 1000:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            with self.db:
                self.db.executemany(
                    "INSERT OR REPLACE INTO results2 VALUES (?, ?, ?, ?, ?, ?, ?)", self.pending
                )
            self.pending.clear()

    def close(self) -> None:
        self.flush()
        self.db.close()
