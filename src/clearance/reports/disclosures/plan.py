"""Building the plan from decided facts: each market's duties (the decision engine over the
production's packs, with the market as its only territory), the cuts' events and the asset
files mapped to them, and the delivered files' label findings (the deliverables pack).

Pure functions of their inputs (a manifest, packs, cue sheets, scan results): ``compose``
reads them from a register, tests give them directly.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from clearance.manifest.errors import InputError, ManifestError
from clearance.manifest.models import TERRITORY
from clearance.manifest.territories import covers
from clearance.reports.disclosures.model import (
    DISCLOSURE_OBLIGATIONS,
    UNDECLARED,
    Deliverable,
    DisclosurePlan,
    EventRef,
    FileCheck,
    Finding,
    Item,
    Market,
    PackRef,
    Requirement,
)

if TYPE_CHECKING:
    from clearance.editorial.cuesheet import CueSheet
    from clearance.manifest.models import Manifest
    from clearance.policy.pack import Pack
    from clearance.provenance.model import AssetFacts
    from clearance.provenance.scan import FileResult
    from clearance.register.status import EvidenceView

GENAI_VERDICTS = ("ai-generated", "ai-composite")
#: The finding of the deliverables pack the plan reports (its rule reads ``label.*``).
LABEL_FINDINGS = ("label-missing",)
_TERRITORY = re.compile(TERRITORY)


def parse_markets(given: Iterable[str]) -> list[str]:
    """``["EU,us-ny", "CN"]`` → ``["EU", "US-NY", "CN"]`` (each once, in order); a code that
    is not a territory code as ``production.territories`` takes is an input error."""
    codes: list[str] = []
    for part in (p.strip().upper() for text in given for p in text.split(",")):
        if not part:
            continue
        if not _TERRITORY.match(part):
            problem = (
                f"unknown market code {part!r}: give territory codes as production.territories "
                "takes them (ISO 3166: FR, EU, US-NY, CN …), comma-separated"
            )
            raise ManifestError([InputError("--market", None, "", problem)])
        if part not in codes:
            codes.append(part)
    return codes


def default_markets(manifest: Manifest) -> list[str]:
    """The production's territories, each a market of its own; none → one undeclared market
    (empty territories: every listed law pack applies, packs-wave2.md §1.2)."""
    return list(dict.fromkeys(manifest.production.territories)) or [UNDECLARED]


def market_requirements(
    manifest: Manifest,
    packs: Sequence[Pack],
    markets: Sequence[str],
    coverage: Sequence[EvidenceView] = (),
) -> tuple[list[Market], list[Requirement]]:
    """Decide every use case once per market — ``production.territories`` replaced by that
    market alone — and keep each fired rule that owes ``disclose-ai`` or ``ai-label``, with
    the form the rule gives for it; met where a record in ``coverage`` (the register's
    disclosure and labelling records in force) covers the use case in that market."""
    from clearance.policy.engine import Engine

    engine = Engine(packs)
    forms = {(p.id, r.spec.id): dict(r.forms) for p in packs for r in p.rules}
    listed: list[Market] = []
    found: list[Requirement] = []
    for code in markets:
        territories = [] if code == UNDECLARED else [code]
        listed.append(Market(code=code, territories=territories))
        production = manifest.production.model_copy(update={"territories": territories})
        scoped = manifest.model_copy(update={"production": production})
        for decision in engine.decide_all(scoped):
            for fired in decision.rules:
                for ob in fired.obligations:
                    if ob not in DISCLOSURE_OBLIGATIONS:
                        continue
                    evidence = covered_by(coverage, ob, decision.id, code)
                    found.append(
                        Requirement(
                            market=code,
                            use_case=decision.id,
                            use_case_title=decision.title,
                            obligation=ob,
                            form=forms.get((fired.pack, fired.id), {}).get(ob, ""),
                            pack=fired.pack,
                            rule=fired.id,
                            rule_title=fired.title,
                            outcome=fired.outcome,
                            cites=fired.cites,
                            document=fired.citation.document,
                            url=fired.citation.url,
                            met=bool(evidence),
                            evidence=evidence,
                        )
                    )
    return listed, found


def covered_by(
    coverage: Sequence[EvidenceView],
    obligation: str,
    use_case: str,
    market: str,
    names: Iterable[str] | None = None,
) -> list[str]:
    """Ids of the records that cover ``obligation`` for ``use_case`` in ``market`` (and, with
    ``names``, for a deliverable known by one of those names). A record that names no
    territory covers every market, and one that names no deliverable every deliverable; a
    country code covers its subdivisions (``US`` covers ``US-NY``) and ``EU`` its member
    states (``manifest.territories.covers``); an undeclared market is
    covered only by a record that names no territory. Names compare without regard to case."""
    wanted = {n.lower() for n in names} if names is not None else None
    found = []
    for record in coverage:
        if record.kind != obligation or use_case not in record.scope:
            continue
        if record.territories and not any(covers(t, market) for t in record.territories):
            continue
        named = {d.lower() for d in record.deliverables}
        if wanted is not None and named and not wanted & named:
            continue
        found.append(record.id)
    return found


def _item(
    req: Requirement,
    coverage: Sequence[EvidenceView],
    names: tuple[str, ...],
    events: list[EventRef] | None = None,
    file: str = "",
) -> Item:
    """``req`` on one deliverable, met when records cover it there: for a cut, each of its
    events' files is covered by a record naming the cut, that file, or no deliverable."""
    files = sorted({e.file for e in events or []}) or [file]
    found: list[str] = []
    met = True
    for path in files:
        also = (path, Path(path).name) if path else ()
        ids = covered_by(coverage, req.obligation, req.use_case, req.market, names + also)
        met = met and bool(ids)
        found += [i for i in ids if i not in found]
    data = req.model_dump() | {"met": met, "evidence": found if met else []}
    return Item(**data, events=events or [], file=file)


def cut_deliverable(
    name: str,
    sheet: CueSheet,
    requirements: Sequence[Requirement],
    coverage: Sequence[EvidenceView] = (),
) -> Deliverable:
    """A cut: each requirement of a use case its GenAI events are registered to, with those
    events' record timecodes; GenAI events with no use case are listed as unmapped."""
    by_use_case: dict[str, list[EventRef]] = {}
    unmapped: list[EventRef] = []
    for row in sheet.rows:
        ref = EventRef(
            event=row.event,
            track=row.track,
            record_in=row.record_in,
            record_out=row.record_out,
            clip=row.clip,
            file=row.file,
        )
        if row.use_case:
            by_use_case.setdefault(row.use_case, []).append(ref)
        elif row.verdict in GENAI_VERDICTS:
            unmapped.append(ref)
    edit = Path(sheet.edit.path)
    names = (name, edit.name, edit.stem, sheet.edit.name)
    items = [
        _item(req, coverage, names, events=by_use_case[req.use_case])
        for req in requirements
        if req.use_case in by_use_case
    ]
    return Deliverable(
        name=name, kind="cut", source=sheet.edit.path, items=items, unmapped=unmapped
    )


def asset_deliverables(
    results: Iterable[FileResult],
    assets: Mapping[str, AssetFacts],
    requirements: Sequence[Requirement],
    coverage: Sequence[EvidenceView] = (),
) -> list[Deliverable]:
    """Asset files (key art, stills …): one deliverable per file registered to a use case
    that owes something, or carrying GenAI that no use case declares."""
    out = []
    for result in results:
        asset = assets.get(result.sha256) if result.sha256 else None
        use_case = asset.use_case if asset else ""
        items = [
            _item(req, coverage, (), file=result.path)
            for req in requirements
            if use_case and req.use_case == use_case
        ]
        unmapped = []
        if not use_case and result.verdict in GENAI_VERDICTS:
            unmapped.append(
                EventRef(event=0, track="", record_in="", record_out="", file=result.path)
            )
        if items or unmapped:
            out.append(
                Deliverable(
                    name=result.path,
                    kind="asset",
                    source=result.path,
                    items=items,
                    unmapped=unmapped,
                )
            )
    return out


def check_files(
    results: Iterable[FileResult],
    assets: Mapping[str, AssetFacts],
    requirements: Sequence[Requirement],
    deliverables_pack: Pack,
) -> tuple[int, list[FileCheck]]:
    """Each delivered file's facts, with what the plan knows (``label.*``: the labels it
    carries, the markets owing ``ai-label`` for its use case), through the deliverables
    pack; returns the number of files checked and those where a label is at issue."""
    from clearance.policy.classify import findings
    from clearance.provenance.model import AssetFacts, DeliverableFacts, LabelFacts

    owed: dict[str, set[str]] = {}
    for req in requirements:
        if req.obligation == "ai-label":
            owed.setdefault(req.use_case, set()).add(req.market)
    checked = 0
    shown: list[FileCheck] = []
    seen: set[str] = set()
    for result in results:
        if result.path in seen:
            continue
        seen.add(result.path)
        checked += 1
        asset = (assets.get(result.sha256) if result.sha256 else None) or AssetFacts()
        required = sorted(owed.get(asset.use_case, ())) if asset.use_case else []
        facts = DeliverableFacts.model_validate(
            {
                "file": result.facts or {},
                "verdict": result.verdict,
                "asset": asset.model_dump(),
                "label": LabelFacts(checked=True, carried=result.labels, required_in=required),
            }
        )
        found = [
            Finding(finding=f.value, rule=f.rule, because=f.because)
            for f in findings(deliverables_pack, facts.model_dump())
            if f.value in LABEL_FINDINGS
        ]
        if found or required or result.verdict in GENAI_VERDICTS:
            shown.append(
                FileCheck(
                    path=result.path,
                    sha256=result.sha256,
                    verdict=result.verdict,
                    use_case=asset.use_case,
                    labels=list(result.labels),
                    required_in=required,
                    findings=found,
                )
            )
    return checked, shown


def assemble(
    production: str,
    packs: Sequence[Pack],
    markets: list[Market],
    requirements: list[Requirement],
    deliverables: list[Deliverable],
    files: tuple[int, list[FileCheck]] | None,
    now: dt.datetime | None = None,
) -> DisclosurePlan:
    """The plan, with its counts: requirements by obligation, deliverables, files, findings."""
    scanned, checks = files if files is not None else (0, [])
    summary = {ob: sum(r.obligation == ob for r in requirements) for ob in DISCLOSURE_OBLIGATIONS}
    summary["unmet"] = sum(not r.met for r in requirements)
    summary["deliverables"] = len(deliverables)
    summary["unmapped"] = sum(len(d.unmapped) for d in deliverables)
    summary["files"] = len(checks)
    for label in LABEL_FINDINGS:
        summary[label] = sum(any(f.finding == label for f in c.findings) for c in checks)
    return DisclosurePlan(
        generated_at=(now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        production=production,
        policies=[PackRef(id=p.id, version=p.version, sha256=p.sha256) for p in packs],
        markets=markets,
        requirements=requirements,
        deliverables=deliverables,
        files_checked=files is not None,
        files_scanned=scanned,
        files=checks,
        summary=summary,
    )


def used_files(sheets: Iterable[CueSheet]) -> set[Path]:
    """The media files the cuts' events use (resolved), so they are not listed again as
    assets of their own."""
    return {Path(row.file).resolve() for sheet in sheets for row in sheet.rows if row.file}
