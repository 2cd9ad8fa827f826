"""Gathering the delivery report from the register, in one read snapshot: statuses, the
decisions' fired rules with their citations, evidence, and the latest recorded scan."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from clearance import __version__
from clearance.editorial.cuesheet import CueSheet
from clearance.register import queries, schema
from clearance.reports.delivery_model import (
    Citation,
    DeliveryReport,
    EvidenceRow,
    ObligationRow,
    ScanFile,
    ScanInfo,
    SimilarityInfo,
    SimilarityMatch,
    UseCaseReport,
)
from clearance.reports.disclosures.compose import report_plan

MAX_SCAN_FILES = 5000  # files listed from a scan (all are counted in its summary)
#: Evidence kinds whose own fields the report shows from ``details`` (manifest v1.1).
WAVE2_KINDS = ("disclose-ai", "ai-label", "writer-disclosure", "estate-consent", "union-notice")


def gather(
    db: Connection,
    production: str,
    store: Path | None,
    on: dt.date,
    cuesheet: CueSheet | None = None,
    now: dt.datetime | None = None,
) -> DeliveryReport:
    statuses = queries.status(db, production, on, store)
    rules = fired_rules(db, production)
    use_cases = [
        UseCaseReport(
            id=s.id,
            title=s.title,
            revision=s.revision,
            outcome=s.outcome,
            cleared=s.cleared,
            packs=s.packs,
            obligations=[
                ObligationRow(
                    obligation=o.obligation,
                    met=o.met,
                    evidence=list(o.evidence),
                    why=o.why,
                    next=o.next or "",
                )
                for o in s.obligations
            ],
            rules=[_citation(r) for r in rules.get((s.id, s.revision, s.packs), [])],
        )
        for s in statuses
    ]
    evidence = [
        EvidenceRow(
            id=e.id,
            kind=e.kind,
            use_cases=sorted(e.scope),
            performer=e.performer,
            date=e.date,
            expires=e.expires,
            reference=e.reference,
            recorded_by=e.recorded_by,
            revoked=e.revoked_at is not None,
            revoke_reason=e.revoke_reason,
            conditions=list(e.details.get("conditions", [])),
            replica=list(e.details.get("replica", [])),
            uses=list(e.details.get("uses", [])),
            guild_notified=(
                bool(e.details.get("guild_notified")) if e.kind == "talent-consent" else None
            ),
            territories=e.territories,
            deliverables=e.deliverables,
            details=e.details if e.kind in WAVE2_KINDS else {},
        )
        for e in queries.evidence(db, production)
    ]
    # A key's part after ";" names the protected names list it was made with, not a pack.
    packs = sorted({p for s in statuses for p in s.packs.split(";", 1)[0].split(",") if p})
    title = db.execute(
        select(schema.productions.c.title).where(schema.productions.c.id == production)
    ).scalar()
    return DeliveryReport(
        production=production,
        title=title,
        generated_at=(now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        on=on.isoformat(),
        clearance_version=__version__,
        packs=packs,
        use_cases=use_cases,
        evidence=evidence,
        scan=latest_scan(db, production),
        cuesheet=cuesheet,
        disclosures=report_plan(db, production, on, cuesheet),
    )


def fired_rules(db: Connection, production: str) -> dict[tuple[str, int, str], list[Any]]:
    """(use case, revision, packs) → the rules its decision fired."""
    uc, dec = schema.use_cases, schema.decisions
    rows = db.execute(
        select(uc.c.uc_id, dec.c.revision, dec.c.packs_key, dec.c.rules)
        .join(dec, (dec.c.use_case_pk == uc.c.pk) & (dec.c.revision == uc.c.revision))
        .where(uc.c.production_id == production, uc.c.withdrawn.is_(False))
        .order_by(dec.c.decided_at, dec.c.pk)
    )
    return {(r.uc_id, r.revision, r.packs_key): json.loads(r.rules) for r in rows}


def _citation(rule: dict[str, Any]) -> Citation:
    cited = rule.get("citation") or {}
    return Citation(
        rule=rule["id"],
        pack=rule.get("pack", ""),
        title=rule.get("title", ""),
        outcome=rule.get("outcome", ""),
        section=cited.get("section") or rule.get("cites", ""),
        document=cited.get("document", ""),
        url=cited.get("url"),
        because=rule.get("because", ""),
        obligations=list(rule.get("obligations", [])),
        prompt_matches=_prompt_matches(rule.get("facts") or {}),
    )


def _prompt_matches(facts: dict[str, Any]) -> list[str]:
    """What a prompt check matched, as its fired rule recorded it."""
    matched = [str(m) for m in facts.get("prompt.matched") or []]
    return matched + [f"phrase: {r}" for r in facts.get("prompt.references") or []]


def latest_scan(db: Connection, production: str) -> ScanInfo | None:
    scans, files = schema.scans, schema.scan_files
    row = db.execute(
        select(scans)
        .where(scans.c.production_id == production)
        .order_by(scans.c.started_at.desc(), scans.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    listed = db.execute(
        select(files).where(files.c.scan_id == row.id).order_by(files.c.path).limit(MAX_SCAN_FILES)
    )
    return ScanInfo(
        id=row.id,
        started_at=row.started_at,
        roots=json.loads(row.roots),
        recorded_by=row.recorded_by,
        summary=json.loads(row.summary),
        files=[
            ScanFile(
                path=f.path,
                verdict=f.verdict,
                findings=[x for x in f.findings.split(",") if x],
                use_case=f.uc_id,
                credential=f.credential,
            )
            for f in listed
        ],
        similarity=_similarity(db, production, row.id),
    )


def _similarity(db: Connection, production: str, scan_id: str) -> SimilarityInfo | None:
    """What the scan's similarity checks (one per compared file) show: the library, the
    threshold, the near copies and the files that could not be compared."""
    from clearance.register.queries import similarity_checks

    checks = similarity_checks(db, production, scan_id=scan_id, limit=MAX_SCAN_FILES)
    if not checks:
        return None
    first = checks[0]
    matches = [
        SimilarityMatch(
            path=c.path,
            ref=m["ref"],
            label=m["label"],
            owner=m["owner"],
            distance=m["distance"],
            file_seconds=m.get("file_seconds", 0.0),
            ref_seconds=m.get("ref_seconds", 0.0),
            variant=m.get("variant", ""),
        )
        for c in checks
        for m in json.loads(c.matches)
    ]
    return SimilarityInfo(
        library_version=first.library_version,
        library_size=first.library_size,
        threshold=first.threshold,
        pack=first.pack,
        compared=sum(1 for c in checks if not c.problem or c.frames),
        checked_at=first.checked_at,
        matches=sorted(matches, key=lambda m: (m.distance, m.path)),
        not_compared=sorted((c.path, c.problem) for c in checks if c.problem and not c.frames),
    )
