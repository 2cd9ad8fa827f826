"""The GenAI cue sheet: every event of the locked cut that carries GenAI, with where it is
(record timecode), what made it (provenance signals, tool, prompt), from what (the use case's
declared source material), under which approval and consent — and its status, which the
``cue-status`` pack decides from the same deliverable facts a scan reconciles.

Data flows one way: edit → events → media files → provenance facts (the scanner, cached) →
register facts → the pack's status → rows. Nothing here decides; it joins and renders facts.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

if TYPE_CHECKING:  # the models are imported by every report; the join's machinery only here
    from sqlalchemy.engine import Connection

    from clearance.editorial.events import Event
    from clearance.editorial.read import Edit
    from clearance.editorial.resolve import Resolution, Resolver
    from clearance.editorial.timecode import Timebase
    from clearance.policy.pack import Pack
    from clearance.prompts.derive import Deriver
    from clearance.prompts.model import Entry
    from clearance.provenance.model import AssetFacts, SimilarityOptions
    from clearance.provenance.scan import FileResult, Scanner
    from clearance.register.status import EvidenceView, UseCaseStatus

FORMAT = "clearance.cuesheet/1"
GENAI_VERDICTS = ("ai-generated", "ai-composite")


class CueRow(BaseModel):
    """One GenAI element of the cut (the APA cue sheet's columns, then ours)."""

    event: int
    track: str
    record_in: str
    record_out: str
    duration: str
    clip: str
    reel: str = ""
    speed: float = 1.0
    transition: str = ""
    file: str = ""
    found_by: str = ""
    sha256: str = ""
    verdict: str = ""
    signals: list[str] = Field(default_factory=list)
    tool: str = ""
    prompt: str = ""
    # Prompt checks: names the file's prompt or its use case's prompts match, and style or
    # likeness phrases ("Ana Lima's -> Ana Lima (talent)", "phrase: in the style of …")
    prompt_matches: list[str] = Field(default_factory=list)
    # Protected references the media resembles (the scan's similar.matches): which reference,
    # how close (PDQ bits of 256) and where — in the cut, in the file and in the reference
    resembles: list[str] = Field(default_factory=list)
    use_case: str = ""
    use_case_title: str = ""
    description: str = ""
    source_material: str = ""
    copyright_status: str = ""
    approvals: list[str] = Field(default_factory=list)
    consents: list[str] = Field(default_factory=list)
    clearances: list[str] = Field(default_factory=list)
    open_obligations: list[str] = Field(default_factory=list)
    next_actor: str = ""
    status: str
    status_rule: str = ""
    because: str = ""
    warnings: list[str] = Field(default_factory=list)  # the edit's own, e.g. a bad source side


class MissingMedia(BaseModel):
    """An event whose media could not be found (reported, never fatal)."""

    event: int
    track: str
    record_in: str
    record_out: str
    clip: str
    reel: str = ""
    speed: float = 1.0
    transition: str = ""
    problem: str
    warnings: list[str] = Field(default_factory=list)


class StripEvent(BaseModel):
    """An event placed on the timeline strip (every event, GenAI or not)."""

    event: int
    track: str
    start: int  # frames from the edit's first frame
    frames: int
    status: str  # a cue-status label, or "missing"


class EditInfo(BaseModel):
    name: str
    path: str
    adapter: str
    rate: str
    start: str
    end: str
    duration: str
    frames: int
    tracks: list[str]


class CueSheet(BaseModel):
    format: str = FORMAT
    generated_at: str
    production: str = ""
    packs: list[str]
    edit: EditInfo
    events: int
    resolved: int
    summary: dict[str, int]
    rows: list[CueRow]
    missing: list[MissingMedia]
    timeline: list[StripEvent]


@dataclass
class RegisterFacts:
    """What the register knows, for the join: registered files by content hash, and each
    use case's status, content and evidence."""

    production: str
    assets: dict[str, AssetFacts] = field(default_factory=dict)
    statuses: dict[str, UseCaseStatus] = field(default_factory=dict)
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    evidence: dict[str, EvidenceView] = field(default_factory=dict)
    #: What prompts are checked against: the talent and protected names (``names.prompt_entries``).
    names: list[Entry] = field(default_factory=list)
    #: The production's reference library, for the scan's similarity facts (None: it has none).
    similarity: SimilarityOptions | None = None


def build(
    edit: Edit,
    resolver: Resolver,
    scanner: Scanner,
    status_pack: Pack,
    register: RegisterFacts | None = None,
    progress: Callable[[int], None] | None = None,
    now: dt.datetime | None = None,
) -> CueSheet:
    """Resolve, inspect and join every event of ``edit`` into a cue sheet."""
    from clearance.editorial.events import events
    from clearance.policy.classify import classify
    from clearance.prompts.derive import Deriver
    from clearance.provenance.model import AssetFacts, DeliverableFacts

    timebase = edit.timebase
    listed = events(edit)
    resolutions = [resolver.resolve(e) for e in listed]
    files = sorted({r.path for r in resolutions if r.path})
    prompts = Deriver(register.names) if register else None
    scanner.keep_facts = True
    if register is not None and register.similarity is not None:
        scanner.options = scanner.options.model_copy(update={"similarity": register.similarity})
    results = dict(zip(files, _scan(scanner, files, progress), strict=True))
    assets = register.assets if register else {}
    statuses: dict[str, tuple[str, str, str]] = {}
    for path, result in results.items():
        asset = assets.get(result.sha256) or AssetFacts()
        facts = {"file": result.facts or {}, "verdict": result.verdict, "asset": asset.model_dump()}
        label = classify(status_pack, DeliverableFacts.model_validate(facts).model_dump())
        statuses[path] = (label.value, label.rule, label.because)

    rows: list[CueRow] = []
    missing: list[MissingMedia] = []
    strip: list[StripEvent] = []
    first = min((e.record_in for e in listed), default=edit.start)
    last = max((e.record_out for e in listed), default=first)
    for event, found in zip(listed, resolutions, strict=True):
        where = {
            "event": event.number,
            "track": event.track,
            "record_in": timebase.timecode(event.record_in),
            "record_out": timebase.timecode(event.record_out),
            "clip": event.clip,
            "reel": event.reel,
        }
        status = "missing"
        duration = timebase.duration(event.frames)
        if found.path is None:
            missing.append(
                MissingMedia(
                    **where,
                    speed=event.speed,
                    transition=event.transition,
                    problem=found.problem,
                    warnings=list(event.warnings),
                )
            )
        else:
            status, rule, because = statuses[found.path]
            if status != "not-genai":
                result = results[found.path]
                cue = {**where, "duration": duration}
                row = _row(event, cue, found, result, (status, rule, because), register)
                if prompts is not None:
                    row.prompt_matches = _prompt_matches(prompts, result, row.use_case, register)
                row.resembles = _resembles(event, result, timebase)
                rows.append(row)
        strip.append(
            StripEvent(
                event=event.number,
                track=event.track,
                start=event.record_in - first,
                frames=event.frames,
                status=status,
            )
        )
    tracks = list(dict.fromkeys(e.track for e in sorted(listed, key=_track_order)))
    info = EditInfo(
        name=edit.name,
        path=str(edit.path),
        adapter=edit.adapter,
        rate=timebase.label,
        start=timebase.timecode(first),
        end=timebase.timecode(last),
        duration=timebase.duration(last - first),
        frames=last - first,
        tracks=tracks,
    )
    counts = Counter(r.status for r in rows)
    summary = {
        label: counts.get(label, 0) for label in status_pack.spec.labels if label != "not-genai"
    }
    summary["missing-media"] = len(missing)
    return CueSheet(
        generated_at=(now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        production=register.production if register else "",
        packs=[
            f"{scanner.provenance.id}@{scanner.provenance.version}",
            f"{status_pack.id}@{status_pack.version}",
        ],
        edit=info,
        events=len(listed),
        resolved=len(listed) - len(missing),
        summary=summary,
        rows=rows,
        missing=missing,
        timeline=strip,
    )


def _track_order(event: Event) -> tuple[int, int]:
    return (event.kind != "video", int(event.track[1:]))


def _scan(
    scanner: Scanner, files: list[str], progress: Callable[[int], None] | None
) -> Iterable[FileResult]:
    if not files:
        return []
    return scanner.scan([Path(f) for f in files], progress=progress)


def _row(
    event: Event,
    where: dict[str, Any],
    found: Resolution,
    result: FileResult,
    status: tuple[str, str, str],
    register: RegisterFacts | None,
) -> CueRow:
    asset = register.assets.get(result.sha256) if register else None
    use_case = asset.use_case if asset else ""
    state = register.statuses.get(use_case) if register and use_case else None
    body = register.bodies.get(use_case, {}) if register and use_case else {}
    declared = body.get("use_case", {})
    row = CueRow(
        **where,
        speed=event.speed,
        transition=event.transition,
        file=found.path or "",
        found_by=found.how,
        sha256=result.sha256,
        verdict=result.verdict,
        signals=[f"{s['kind']}: {s['value']}" for s in result.signals if _is_provenance(s)],
        tool=_tool(result, body),
        prompt=_prompt(result),
        use_case=use_case,
        use_case_title=declared.get("title", ""),
        description=declared.get("description") or "",
        source_material=_source_material(declared) if declared else "",
        status=status[0],
        status_rule=status[1],
        because=status[2],
        warnings=list(event.warnings),
    )
    if state is not None and register is not None:
        _evidence(row, state, register.evidence)
    return row


def _resembles(event: Event, result: FileResult, timebase: Timebase) -> list[str]:
    """Each protected reference the media came close to, in words: the reference, the
    distance, and where — the record timecode in the cut when the matching moment of a video
    lies in the part the event uses (its source range, read as the file's own time), else
    the event's span; the time in the file and in the reference."""
    similar = (result.facts or {}).get("similar") or {}
    out = []
    for m in similar.get("matches") or []:
        where = f"event {event.number} {timebase.timecode(event.record_in)}"
        at = float(m.get("file_seconds") or 0.0)
        source_in = event.source_in / float(timebase.rate)
        source_out = event.source_out / float(timebase.rate)
        if at and source_in <= at < source_out and event.speed > 0:
            frame = event.record_in + round((at - source_in) * float(timebase.rate) / event.speed)
            where = f"event {event.number} at {timebase.timecode(frame)}"
        parts = [f"in the cut: {where}"]
        if at:
            parts.append(f"file {_clock(at)}")
        if m.get("ref_seconds"):
            parts.append(f"reference {_clock(float(m['ref_seconds']))}")
        if m.get("variant") and m["variant"] != "as is":
            parts.append(str(m["variant"]))
        out.append(
            f"{m.get('ref')} {m.get('label')} ({m.get('owner')}): distance "
            f"{m.get('distance')} of 256 — " + ", ".join(parts)
        )
    return out


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours:02d}:{minutes:02d}:{rest:06.3f}"


def _is_provenance(signal: dict[str, str]) -> bool:
    return not signal["kind"].startswith("decode.")


def _tool(result: FileResult, body: dict[str, Any]) -> str:
    """What made it: the generator the file names, else the declared tools."""
    for kind in ("generator.parameters", "generator.software", "c2pa.generator"):
        for signal in result.signals:
            if signal["kind"] == kind:
                return signal["value"]
    return ", ".join(t.get("name", "") for t in body.get("tools", []))


def _prompt(result: FileResult) -> str:
    generator = (result.facts or {}).get("generator", {})
    return str(generator.get("prompt", "")) if isinstance(generator, dict) else ""


def _prompt_matches(
    prompts: Deriver, result: FileResult, use_case: str, register: RegisterFacts | None
) -> list[str]:
    """Which names the file's own prompt (generator parameters, IPTC, C2PA actions) and its
    use case's description and prompts match."""
    from clearance.prompts.derive import described, file_texts
    from clearance.provenance.model import FileFacts

    texts = file_texts(FileFacts.model_validate(result.facts or {}))
    declared = register.bodies.get(use_case, {}).get("use_case", {}) if register else {}
    texts += tuple(
        t for t in [declared.get("description") or "", *declared.get("prompts", [])] if t
    )
    return described(prompts.facts(tuple(dict.fromkeys(texts)))) if texts else []


def _source_material(use_case: dict[str, Any]) -> str:
    """The declared inputs, in words (manifest ``inputs``)."""
    inputs = use_case.get("inputs", {})
    parts = [f"studio-owned {m}" for m in inputs.get("studio_material", [])]
    if inputs.get("third_party_material") in ("yes", "unsure"):
        parts.append(f"third-party material ({inputs['third_party_material']})")
    if inputs.get("references_protected") in ("yes", "unsure"):
        parts.append(f"references protected works ({inputs['references_protected']})")
    if inputs.get("personal_data") in ("yes", "unsure"):
        parts.append(f"personal data ({inputs['personal_data']})")
    performers = use_case.get("talent", {}).get("performers", [])
    if performers:
        parts.append("performers: " + ", ".join(performers))
    return "; ".join(parts) or "none declared (prompt only)"


def _evidence(row: CueRow, state: UseCaseStatus, evidence: dict[str, EvidenceView]) -> None:
    from clearance.policy.vocabulary import OBLIGATION_ACTOR

    def refs(ids: list[str]) -> list[str]:
        shown = []
        for ev_id in ids:
            view = evidence.get(ev_id)
            shown.append(f"{ev_id} ({view.reference})" if view and view.reference else ev_id)
        return shown

    rights = []
    for ob in state.obligations:
        if ob.obligation == "written-approval":
            row.approvals = refs(ob.evidence)
        elif ob.obligation == "talent-consent":
            row.consents = refs(ob.evidence)
        elif ob.obligation in ("legal-review", "rights-clearance", "union-agreement"):
            row.clearances += [f"{ob.obligation}: {r}" for r in refs(ob.evidence)]
        if ob.obligation in ("legal-review", "rights-clearance"):
            rights.append(f"{ob.obligation} {'recorded' if ob.met else 'open'}")
        if not ob.met:
            row.open_obligations.append(ob.obligation)
    row.copyright_status = "; ".join(rights) or "no rights clearance required by the decision"
    actors = [
        ob.next or OBLIGATION_ACTOR.get(ob.obligation, "") for ob in state.obligations if not ob.met
    ]
    row.next_actor = ", ".join(dict.fromkeys(a for a in actors if a))


def register_facts(
    db: Connection, production: str, store: Path | None, on: dt.date
) -> RegisterFacts:
    """Read, in one snapshot, what the join needs from the register."""
    from clearance.provenance.model import ScanOptions
    from clearance.register import names, queries
    from clearance.similarity.library import scan_options

    assets = queries.asset_facts(db, production, store, on)
    uc_ids = sorted({a.use_case for a in assets.values()})
    statuses = {s.id: s for s in queries.status(db, production, on, store) if s.id in uc_ids}
    return RegisterFacts(
        production=production,
        assets=assets,
        statuses=statuses,
        bodies=queries.use_case_bodies(db, production, uc_ids),
        evidence={e.id: e for e in queries.evidence(db, production)},
        names=names.prompt_entries(db, production),
        similarity=scan_options(db, production, ScanOptions())[0].similarity,
    )
