"""The disclosure plan of a production in a register: the CLI (``clearance disclosures``)
and the delivery report both come here, so they cannot disagree.

The production's manifest is the register's (``manifest_export.production_manifest``), its
packs those its decisions were made with (or the ones given), the cuts' events come from the
one cue-sheet pipeline (``editorial.compose``) and the files from the same scanner and cache
as ``clearance scan``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from clearance.manifest.errors import InputError, ManifestError
from clearance.reports.disclosures import plan as planning
from clearance.reports.disclosures.model import DisclosurePlan

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from clearance.editorial.cuesheet import CueSheet, RegisterFacts
    from clearance.manifest.models import Manifest
    from clearance.policy.pack import Pack
    from clearance.provenance.scan import FileResult, Scanner
    from clearance.register.cuts import CutSource
    from clearance.register.status import EvidenceView
    from clearance.register.store import Register


def production_packs(manifest: Manifest, given: Sequence[str] | None = None) -> list[Pack]:
    """The packs to decide with: ``given`` (ids or files), else ``production.policies``."""
    from clearance.policy.registry import resolve

    if given:
        packs = [resolve(name) for name in given]
    else:
        packs = []
        for name in manifest.production.policies:
            try:
                packs.append(resolve(name))
            except ManifestError as exc:
                problem = (
                    f"the production was decided with pack {name!r}, which is not built in: "
                    "give the production's packs with --policy"
                )
                raise ManifestError([InputError("--policy", None, "", problem)]) from exc
    wrong = [p.id for p in packs if p.spec.kind != "decision"]
    if wrong:
        problem = f"not a decision pack: {', '.join(wrong)}"
        raise ManifestError([InputError("--policy", None, "", problem)])
    return packs


def read_manifest(db: Connection, production: str) -> Manifest:
    """The production's manifest as the register holds it (its current use cases)."""
    from clearance.manifest.models import Manifest
    from clearance.register.manifest_export import production_manifest

    try:
        return Manifest.model_validate(production_manifest(db, production))
    except LookupError as exc:
        raise ManifestError([InputError("--production", None, "", str(exc))]) from exc


def read_production(
    db: Connection, production: str, store: Path | None, on: dt.date
) -> tuple[Manifest, RegisterFacts, list[EvidenceView]]:
    """The production's manifest, the cue sheet's register facts and the disclosure and
    labelling records in force on ``on`` (what meets the plan's rows), from one snapshot."""
    from clearance.editorial.cuesheet import register_facts
    from clearance.register import queries

    manifest = read_manifest(db, production)
    facts = register_facts(db, production, store, on)
    return manifest, facts, queries.coverage(db, production, on)


def production_plan(
    register: Register,
    production: str,
    cuts: Sequence[tuple[str, CutSource]],
    media: Sequence[Path],
    scanner: Scanner,
    *,
    markets: Sequence[str] | None = None,
    policies: Sequence[str] | None = None,
    on: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> DisclosurePlan:
    """The plan for ``cuts`` (name, source) and the asset files under ``media``, per market
    (default: the production's territories), with every delivered file checked."""
    from clearance.editorial import compose
    from clearance.policy.registry import resolve

    day = on or dt.date.today()
    with register.read(snapshot=True) as conn:
        manifest, facts, coverage = read_production(conn, production, register.store, day)
    packs = production_packs(manifest, policies)
    codes = list(markets) if markets else planning.default_markets(manifest)
    listed, requirements = planning.market_requirements(manifest, packs, codes, coverage)
    sheets = [(name, compose.build_cuesheet(src, scanner, facts, progress)) for name, src in cuts]
    deliverables = [planning.cut_deliverable(n, s, requirements, coverage) for n, s in sheets]
    scanner.keep_facts = True
    used = planning.used_files(s for _, s in sheets)
    in_cuts = sorted({str(p) for p in used})
    cut_files = _scan(scanner, [Path(p) for p in in_cuts], progress)
    media_files = _scan(scanner, list(media), progress)
    assets = [r for r in media_files if Path(r.path).resolve() not in used]
    deliverables += planning.asset_deliverables(assets, facts.assets, requirements, coverage)
    checks = planning.check_files(  # each file once: the cut's, then the other assets
        cut_files + assets, facts.assets, requirements, resolve("deliverables")
    )
    return planning.assemble(production, packs, listed, requirements, deliverables, checks)


def _scan(
    scanner: Scanner, roots: list[Path], progress: Callable[[int], None] | None
) -> list[FileResult]:
    return list(scanner.scan(roots, progress=progress)) if roots else []


def report_plan(
    db: Connection, production: str, on: dt.date, cuesheet: CueSheet | None = None
) -> DisclosurePlan | None:
    """The plan the delivery report shows: the production's own packs and markets, the
    report's cut (if any) for timecodes; files are not scanned here (``clearance
    disclosures`` checks them). ``None`` when a pack of the production is not built in."""
    from clearance.register import queries

    try:
        manifest = read_manifest(db, production)
        packs = production_packs(manifest)
    except ManifestError:
        return None
    coverage = queries.coverage(db, production, on)
    codes = planning.default_markets(manifest)
    listed, requirements = planning.market_requirements(manifest, packs, codes, coverage)
    deliverables = []
    if cuesheet is not None:
        name = cuesheet.edit.name
        deliverables.append(planning.cut_deliverable(name, cuesheet, requirements, coverage))
    return planning.assemble(production, packs, listed, requirements, deliverables, None)
