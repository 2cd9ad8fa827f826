"""A production's GenAI cue sheet, composed once for every face.

The CLI (`clearance cuesheet`, `clearance report --edit/--cut`) and the web app's downloads
call these functions with the same inputs — a cut (edit, media roots, rate, drop-frame,
start, naming rules, sequence), the production's register facts and a scanner with its
cache — so the two can never disagree, and neither re-inspects media the cache already knows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from clearance.manifest.errors import InputError, ManifestError
from clearance.register.cuts import CutSource

if TYPE_CHECKING:
    from clearance.editorial.cuesheet import CueSheet, RegisterFacts
    from clearance.provenance.scan import Scanner
    from clearance.register.store import Register


def check_source(source: CutSource) -> None:
    """Refuse a cut whose edit, media roots or rules are missing (exit code 2)."""
    missing = [p for p in [source.edit, *source.media] if not p.exists()]
    if source.rules is not None and not source.rules.is_file():
        missing.append(source.rules)
    if missing:
        raise ManifestError(
            [InputError(str(p), None, "", "no such file or folder") for p in missing]
        )
    if not source.media:
        raise ManifestError([InputError("--media", None, "", "give at least one media folder")])


def scanner(jobs: int = 1, cache_path: Path | None = None) -> Scanner:
    """The scanner a cue sheet inspects media with: the ai-provenance pack, and the same
    cache as `clearance scan` (so unchanged files are not read again)."""
    from clearance.policy.registry import resolve
    from clearance.provenance.scan import Scanner

    return Scanner(provenance=resolve("ai-provenance"), jobs=jobs, cache_path=cache_path)


def build_cuesheet(
    source: CutSource,
    inspect_with: Scanner,
    facts: RegisterFacts | None,
    progress: Callable[[int], None] | None = None,
) -> CueSheet:
    """Read the cut, resolve its media, inspect it and join it with ``facts``."""
    from clearance.editorial import cuesheet as cues
    from clearance.editorial.media import MediaIndex
    from clearance.editorial.read import read_edit
    from clearance.editorial.resolve import Resolver, load_rules
    from clearance.policy.registry import resolve

    check_source(source)
    edit = read_edit(
        source.edit,
        rate=source.rate,
        drop_frame=source.drop_frame,
        start=source.start,
        sequence=source.sequence,
    )
    rules = load_rules(source.rules) if source.rules else []
    index = MediaIndex(list(source.media))
    try:
        return cues.build(
            edit, Resolver(index, rules), inspect_with, resolve("cue-status"), facts, progress
        )
    except (ValueError, ArithmeticError) as exc:  # times OpenTimelineIO cannot place
        problem = f"the edit's times cannot be placed: {exc}"
        raise ManifestError([InputError(str(source.edit), None, "", problem)]) from exc


def register_facts(register: Register, production: str, on: dt.date) -> RegisterFacts:
    """What the cue sheet joins with, read from the register in one snapshot."""
    from clearance.editorial.cuesheet import register_facts as read_facts

    with register.read(snapshot=True) as conn:
        return read_facts(conn, production, register.store, on)


def production_cuesheet(
    register: Register,
    production: str,
    source: CutSource,
    on: dt.date,
    inspect_with: Scanner,
    progress: Callable[[int], None] | None = None,
) -> CueSheet:
    """The cue sheet of ``source`` joined with ``production``'s register as of ``on``."""
    check_source(source)
    return build_cuesheet(source, inspect_with, register_facts(register, production, on), progress)
