"""The delivery report's HTML: self-contained, inert to hostile text, complete (every open
obligation with its actor, every strip event), printable, and small for a long cut."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from clearance.editorial.cuesheet import CueRow, CueSheet, EditInfo, MissingMedia, StripEvent
from clearance.reports.delivery import needs_action, render_html
from clearance.reports.delivery_model import (
    Citation,
    DeliveryReport,
    EvidenceRow,
    ObligationRow,
    ScanFile,
    ScanInfo,
    UseCaseReport,
)
from clearance.reports.strip import lanes, timeline_svg

HOSTILE = "<script>alert('pwned')</script> Crowd"
STATUSES = ["cleared", "obligations-open", "temp-material", "undeclared"]


def _citation(rule: str, outcome: str, url: str | None = None) -> Citation:
    return Citation(
        rule=rule,
        pack="netflix-genai",
        title=f"Rule {rule}",
        outcome=outcome,
        section="Guiding Principles",
        document="Using Generative AI in Content Production",
        url=url,
        because=f"because of {rule}",
        obligations=["written-approval"],
    )


def _use_cases() -> list[UseCaseReport]:
    guide = "https://partnerhelp.netflixstudios.com/hc/en-us/articles/1"
    return [
        UseCaseReport(
            id="UC-1",
            title="Storyboard ideation",
            revision=1,
            outcome="proceed",
            cleared=True,
            packs="netflix-genai@1.0.0",
            obligations=[ObligationRow(obligation="report-use", met=True, evidence=["EV-1"])],
            rules=[_citation("N1", "proceed", guide)],
        ),
        UseCaseReport(
            id="UC-2",
            title=HOSTILE,
            revision=2,
            outcome="judgment",
            cleared=False,
            packs="netflix-genai@1.0.0",
            obligations=[
                ObligationRow(obligation="report-use", met=True, evidence=["EV-1"]),
                ObligationRow(
                    obligation="written-approval",
                    met=False,
                    why="open: no approval recorded",
                    next="studio contact",
                ),
            ],
            rules=[_citation("N4", "judgment", "javascript:alert(1)")],
        ),
        UseCaseReport(
            id="UC-3",
            title="Digital double of lead actor",
            revision=1,
            outcome="escalate",
            cleared=False,
            packs="netflix-genai@1.0.0",
            obligations=[
                ObligationRow(
                    obligation="talent-consent",
                    met=False,
                    evidence=[],
                    why="revoked: EV-3",
                    next="talent relations",
                ),
                ObligationRow(obligation="legal-review", met=False, why="open"),
            ],
            rules=[_citation("N9", "escalate", guide), _citation("N10", "escalate")],
        ),
    ]


def _evidence() -> list[EvidenceRow]:
    return [
        EvidenceRow(
            id="EV-1",
            kind="report-use",
            use_cases=["UC-1", "UC-2"],
            date="2025-01-10",
            recorded_by="genai-lead",
        ),
        EvidenceRow(
            id="EV-3",
            kind="talent-consent",
            use_cases=["UC-3"],
            performer="A. Lead",
            date="2025-01-12",
            expires="2026-01-12",
            reference="CONSENT-77",
            recorded_by="talent",
            revoked=True,
            revoke_reason="performer withdrew consent",
        ),
    ]


def _scan() -> ScanInfo:
    return ScanInfo(
        id="SCAN-1",
        started_at="2025-02-01T10:00:00+00:00",
        roots=["/deliverables"],
        recorded_by="qc",
        summary={"files": 12, "verdicts": {"ai-generated": 2, "no-ai-signal": 10}, "findings": {}},
        files=[
            ScanFile(path="/deliverables/a.png", verdict="ai-generated", use_case="UC-1"),
            ScanFile(path="/deliverables/b.png", verdict="ai-generated", findings=["undeclared"]),
        ],
    )


def _timeline() -> list[StripEvent]:
    """20 events on three lanes: every status, and runs of not-GenAI events that merge."""
    v1 = ["not-genai", "not-genai", "cleared", "not-genai", "obligations-open", "temp-material"]
    v1 += ["not-genai", "not-genai", "not-genai", "undeclared"]
    v2 = ["cleared", "not-genai", "missing", "not-genai", "not-genai"]
    a1 = ["not-genai", "not-genai", "missing", "not-genai", "obligations-open"]
    out: list[StripEvent] = []
    number = 1
    for track, statuses in (("V1", v1), ("V2", v2), ("A1", a1)):
        for i, status in enumerate(statuses):
            out.append(
                StripEvent(event=number, track=track, start=i * 48, frames=48, status=status)
            )
            number += 1
    return out


def _row(event: int, status: str) -> CueRow:
    return CueRow(
        event=event,
        track="V1",
        record_in="01:00:00:00",
        record_out="01:00:02:00",
        duration="00:00:02:00",
        clip=f"clip_{event}.mov",
        use_case="UC-2" if status != "undeclared" else "",
        use_case_title=HOSTILE if status != "undeclared" else "",
        tool="Firefly",
        prompt="a crowd at dusk",
        source_material="studio-owned plates",
        copyright_status="legal-review open",
        approvals=["EV-9 (APPROVAL-1)"],
        consents=[],
        open_obligations=["written-approval"] if status == "obligations-open" else [],
        next_actor="studio contact" if status == "obligations-open" else "",
        status=status,
    )


def _cuesheet(timeline: list[StripEvent] | None = None) -> CueSheet:
    strip = _timeline() if timeline is None else timeline
    return CueSheet(
        generated_at="2025-02-02T09:00:00+00:00",
        production="Night Train",
        packs=["ai-provenance@1.0.0", "cue-status@1.0.0"],
        edit=EditInfo(
            name="Reel 1 lock",
            path="/edits/r1.edl",
            adapter="cmx_3600",
            rate="23.976 NDF",
            start="01:00:00:00",
            end="01:00:20:00",
            duration="00:00:20:00",
            frames=max(e.start + e.frames for e in strip),
            tracks=["V1", "V2", "A1"],
        ),
        events=len(strip),
        resolved=len(strip) - 2,
        summary={s: 1 for s in STATUSES} | {"missing-media": 2},
        rows=[_row(n, s) for n, s in enumerate(STATUSES, start=3)],
        missing=[
            MissingMedia(
                event=13,
                track="V2",
                record_in="01:00:04:00",
                record_out="01:00:06:00",
                clip="lost.mov",
                problem="no file named lost.mov under the media roots",
            )
        ],
        timeline=strip,
    )


def _report(with_extras: bool = True) -> DeliveryReport:
    return DeliveryReport(
        production="Night Train",
        title="Season 1, Episode 3",
        generated_at="2025-02-03T12:00:00+00:00",
        on="2025-02-03",
        clearance_version="0.1.0",
        packs=["netflix-genai@1.0.0"],
        use_cases=_use_cases(),
        evidence=_evidence(),
        scan=_scan() if with_extras else None,
        cuesheet=_cuesheet() if with_extras else None,
    )


class _Collector(HTMLParser):
    """Tags with their attributes, and the rects drawn inside the strip's event groups."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.event_rects = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "rect" and "events" in self.stack:
            self.event_rects += 1
        if tag not in ("rect", "line", "br", "meta"):
            self.stack.append(attributes.get("class") or tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("rect", "line", "br", "meta") and self.stack:
            self.stack.pop()


def _parse(text: str) -> _Collector:
    parser = _Collector()
    parser.feed(text)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def html() -> str:
    return render_html(_report())


def test_renders_a_parseable_document(html: str, tmp_path: Path) -> None:
    (tmp_path / "delivery-report.html").write_text(html, encoding="utf-8")
    parsed = _parse(html)
    names = {tag for tag, _ in parsed.tags}
    assert {"html", "style", "svg", "table", "details"} <= names
    assert "Night Train" in html and "Season 1, Episode 3" in html
    assert "23.976 NDF" in html


def test_loads_nothing_from_the_network(html: str) -> None:
    for tag, attrs in _parse(html).tags:
        assert tag not in ("script", "link", "img", "iframe", "object")
        for name, value in attrs.items():
            if value and re.search(r"https?://", value):
                assert (tag, name) in (("a", "href"), ("svg", "xmlns")), (tag, name, value)
    assert not re.search(r"url\(\s*['\"]?https?:", html)
    assert "@import" not in html


def test_escapes_hostile_text(html: str) -> None:
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; Crowd" in html
    assert 'href="javascript:' not in html


def test_links_citations_to_their_guidance(html: str) -> None:
    hrefs = [a.get("href") for tag, a in _parse(html).tags if tag == "a"]
    assert "https://partnerhelp.netflixstudios.com/hc/en-us/articles/1" in hrefs
    for rule in ("N1", "N4", "N9", "N10"):
        assert f"netflix-genai/{rule}" in html


def test_every_open_obligation_is_listed_with_its_actor(html: str) -> None:
    section = html.split('id="needs-action"')[1].split("</section>")[0]
    groups = needs_action(_report())
    assert list(groups) == ["legal", "studio contact", "talent relations"]
    for actor, actions in groups.items():
        assert f"<h3>{actor} " in section
        for action in actions:
            assert f"<code>{action.obligation.obligation}</code>" in section
            assert f"<code>{action.use_case.id}</code>" in section
    assert "revoked: EV-3" in section and "open: no approval recorded" in section
    assert sum(len(a) for a in groups.values()) == 3


def test_use_cases_print_expanded(html: str) -> None:
    details = [a for tag, a in _parse(html).tags if tag == "details"]
    assert len(details) == 3
    assert all("open" in a for a in details)
    assert "@page" in html and "A4 landscape" in html
    assert "print-color-adjust: exact" in html
    assert "display: table-header-group" in html


def test_revoked_evidence_is_struck_through_with_its_reason(html: str) -> None:
    row = html.split('id="ev-EV-3"')[1].split("</tr>")[0]
    assert "<del>" in row and "performer withdrew consent" in row
    assert "<del>" not in html.split('id="ev-EV-1"')[1].split("</tr>")[0]


def test_cue_sheet_shows_every_status_and_missing_media(html: str) -> None:
    section = html.split('id="cuesheet"')[1]
    for status in STATUSES:
        assert f"badge s-{status}" in section
    assert "lost.mov" in section and "no file named lost.mov" in section
    assert "a crowd at dusk" in section


def test_strip_has_one_rect_per_merged_event(html: str) -> None:
    segments = lanes(_cuesheet())
    assert list(segments) == ["V1", "V2", "A1"]
    # V1: [ng ng] C [ng] O T [ng ng ng] U → 7; V2: C [ng] M [ng ng] → 4; A1: [ng ng] M [ng] O → 4
    assert [len(s) for s in segments.values()] == [7, 4, 4]
    assert _parse(html).event_rects == 15
    assert "#7–#9 V1 Not GenAI (3 events)" in html
    assert "#13 V2 Media missing" in html


def test_strip_ruler_labels_record_timecode() -> None:
    svg = timeline_svg(_cuesheet())
    assert ">01:00:00:00<" in svg
    assert ">01:00:04:00<" in svg  # 23.976 counts 24 frames to the timecode second


def test_strip_stays_small_for_a_long_cut() -> None:
    """3,000 events, none mergeable (the worst case), a feature's length."""
    statuses = ["cleared", "obligations-open", "temp-material", "undeclared", "missing"]
    tracks = ["V1", "V2", "A1"]
    timeline = [
        StripEvent(
            event=n + 1,
            track=tracks[n % 3],
            start=(n // 3) * 170,
            frames=170,
            status=statuses[n % 5],
        )
        for n in range(3000)
    ]
    svg = timeline_svg(_cuesheet(timeline))
    assert len(svg.encode()) < 400_000
    assert _parse(svg).event_rects == 3000


def test_renders_without_scan_or_cue_sheet() -> None:
    text = render_html(_report(with_extras=False))
    _parse(text)
    assert "No scan of the deliverables was recorded" in text
    assert "No cue sheet was built for this report" in text
    assert "<svg" not in text


def test_empty_states_are_worded() -> None:
    report = _report(with_extras=False).model_copy(update={"use_cases": [], "evidence": []})
    text = render_html(report)
    assert "No open obligations" in text
    assert "No GenAI use cases are declared" in text
    assert "No evidence has been recorded" in text
