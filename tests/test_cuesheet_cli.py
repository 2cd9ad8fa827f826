"""`clearance cuesheet` and `clearance report` end to end, on both register backends: real
media (C2PA signed at test time with a throwaway CA, Stable Diffusion parameters, IPTC XMP,
plain files), a real EDL, the register's evidence — and the status of every GenAI event
coming from the cue-status pack."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from PIL import Image, PngImagePlugin

from clearance.reports.pdf import find_browser
from tests.c2pa_fixtures import make_ca, signed_file
from tests.conftest import Run
from tests.support import MINIMAL

Cli = Callable[..., Run]

USE_CASES = """\
  - id: UC-FINAL
    title: Generated harbour skyline, final
    description: Skyline extension behind the ferry terminal.
    tools: [ent]
    stage: post
    output: {media: [image], destination: final, on_screen: incidental, resembles_protected: no}
    inputs: {studio_material: [production-images]}
  - id: UC-TEMP
    title: Previs frames
    tools: [ent]
    stage: previs
    output: {media: [image], destination: temp, resembles_protected: no}
"""
XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
    'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/'
    'trainedAlgorithmicMedia"/></rdf:RDF></x:xmpmeta>'
)
A1111 = (
    "ferry deck at night, neon reflections\nNegative prompt: text\n"
    "Steps: 24, Sampler: DPM++ 2M, CFG scale: 6, Seed: 104, Size: 64x48"
)
EDL = """\
TITLE: TEST LOCK
FCM: NON-DROP FRAME

001  A001C003 V     C        10:00:00:00 10:00:04:00 01:00:00:00 01:00:04:00
* FROM CLIP NAME: A001C003_plate.jpg
002  AX       V     C        00:00:00:00 00:00:03:00 01:00:04:00 01:00:07:00
* FROM CLIP NAME: skyline_ext_v2
* SOURCE FILE: /Volumes/VFX/final/skyline_ext_v2.jpg
003  AX       V     C        00:00:00:00 00:00:02:00 01:00:07:00 01:00:09:00
* FROM CLIP NAME: previs_0042.png
004  AX       V     C        00:00:00:00 00:00:02:00 01:00:09:00 01:00:11:00
* FROM CLIP NAME: stray_poster.png
005  AX       V     C        00:00:00:00 00:00:02:00 01:00:11:00 01:00:13:00
* FROM CLIP NAME: never_delivered_v9.exr
006  AX       A     C        00:00:00:00 00:00:13:00 01:00:00:00 01:00:13:00
* FROM CLIP NAME: room_tone.wav
"""


@pytest.fixture
def cut(tmp_path: Path) -> tuple[Path, Path]:
    """(edl, media folder) with one file of each provenance kind."""
    media = tmp_path / "media"
    (media / "final").mkdir(parents=True)
    (media / "temp").mkdir()
    ca_dir = tmp_path / "ca"
    ca_dir.mkdir()
    signed = signed_file(ca_dir, "jpeg", "compositeWithTrainedAlgorithmicMedia", make_ca(ca_dir))
    shutil.copyfile(signed, media / "final" / "skyline_ext_v2.jpg")
    sd = PngImagePlugin.PngInfo()
    sd.add_text("parameters", A1111)
    Image.new("RGB", (64, 48), (10, 20, 30)).save(media / "temp" / "previs_0042.png", pnginfo=sd)
    xmp = PngImagePlugin.PngInfo()
    xmp.add_itxt("XML:com.adobe.xmp", XMP)
    Image.new("RGB", (64, 48), (90, 20, 30)).save(media / "stray_poster.png", pnginfo=xmp)
    Image.new("RGB", (64, 48), (90, 80, 70)).save(media / "A001C003_plate.jpg")
    (media / "room_tone.wav").write_bytes(b"RIFF\x24\0\0\0WAVEfmt ")  # damaged: not GenAI
    edl = tmp_path / "lock.edl"
    edl.write_text(EDL)
    return edl, media


def _json(run: Run) -> dict[str, object]:
    assert run.stdout, run.stderr
    data: dict[str, object] = json.loads(run.stdout)
    return data


def _by_event(sheet: dict[str, object]) -> dict[int, dict[str, object]]:
    rows = sheet["rows"]
    assert isinstance(rows, list)
    return {int(r["event"]): r for r in rows}


def test_cuesheet_without_a_register_marks_genai_undeclared(
    cut: tuple[Path, Path], cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLEARANCE_DATABASE_URL", raising=False)
    edl, media = cut
    run: Run = cli("cuesheet", edl, "--media", media, "-f", "json", "--no-cache", "-j", "1")
    assert run.code == 1, run.stderr
    sheet = _json(run)
    rows = _by_event(sheet)
    assert sorted(rows) == [2, 3, 4, 6]  # the EDL's own numbers; 006 is the A1 room tone
    assert rows[6]["status"] == "unreadable"  # a damaged WAV: listed, never assumed clean
    assert {rows[n]["status"] for n in (2, 3, 4)} == {"undeclared"}
    assert rows[2]["verdict"] == "ai-composite" and rows[2]["found_by"] == "comment"
    assert rows[3]["prompt"] == "ferry deck at night, neon reflections"
    assert rows[3]["tool"] == "AUTOMATIC1111"
    assert sheet["missing"] == [
        {
            "event": 5,
            "track": "V1",
            "record_in": "01:00:11:00",
            "record_out": "01:00:13:00",
            "clip": "never_delivered_v9.exr",
            "reel": "",
            "speed": 1.0,
            "transition": "",
            "problem": "missing media: no file matches 'never_delivered_v9.exr'",
            "warnings": [],
        }
    ]
    assert sheet["summary"] == {
        "resembles-reference": 0,
        "undeclared": 3,
        "unreadable": 1,
        "temp-material": 0,
        "obligations-open": 0,
        "cleared": 0,
        "missing-media": 1,
    }
    timeline = sheet["timeline"]
    assert isinstance(timeline, list)
    strip = {e["event"]: e["status"] for e in timeline}
    assert strip == {1: "not-genai", 6: "unreadable", 2: "undeclared", 3: "undeclared",
                     4: "undeclared", 5: "missing"}  # fmt: skip


def test_cuesheet_joins_the_register_and_follows_evidence(
    workspace: Path, cli: Cli, cut: tuple[Path, Path]
) -> None:
    run_cli = cli
    edl, media = cut
    manifest = workspace / "m.yaml"
    manifest.write_text(MINIMAL + USE_CASES)
    assert run_cli("import", manifest).code == 0
    final, temp = media / "final" / "skyline_ext_v2.jpg", media / "temp" / "previs_0042.png"
    assert run_cli("asset", "add", "UC-FINAL", final).code == 0
    assert run_cli("asset", "add", "UC-TEMP", temp).code == 0
    args = ("cuesheet", edl, "--media", media, "-f", "json", "-j", "1")

    before = _by_event(_json(run_cli(*args)))
    assert before[2]["status"] == "obligations-open"
    assert before[2]["open_obligations"] == ["report-use", "written-approval"]
    assert before[2]["next_actor"] == "GenAI lead, studio contact"
    assert before[2]["use_case"] == "UC-FINAL"
    assert before[2]["source_material"] == "studio-owned production-images"
    assert before[3]["status"] == "temp-material" and before[3]["use_case"] == "UC-TEMP"
    assert before[4]["status"] == "undeclared"

    assert (
        run_cli("report-use", "UC-FINAL", "--contact", "J. Park", "--reference", "MAIL-1").code == 0
    )
    approved = run_cli("approve", "UC-FINAL", "--approver", "Studio legal", "--reference", "APP-7")
    assert approved.code == 0, approved.stderr
    after_run: Run = run_cli(*args)
    after = _by_event(_json(after_run))
    assert after[2]["status"] == "cleared" and after[2]["status_rule"] == "Q4"
    assert after[2]["open_obligations"] == []
    approvals = after[2]["approvals"]
    assert isinstance(approvals, list) and len(approvals) == 1
    assert approvals[0].endswith("(APP-7)")
    assert after_run.code == 1  # the temp frame and the stray poster are still open

    out = workspace / "report"
    report: Run = run_cli("report", "-o", out, "--edit", edl, "--media", media, "-j", "1")
    assert report.code == 0, report.stderr
    html = (out / "test-prod-genai-report.html").read_text()
    assert "UC-FINAL" in html and "never_delivered_v9.exr" in html
    assert (
        "<svg" in html
        and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "").split("<a ")[0]
    )
    parser = HTMLParser()
    parser.feed(html)


@pytest.mark.parametrize("suffix", ["json", "csv", "xlsx", "html"])
def test_cuesheet_writes_every_format_atomically(
    suffix: str,
    cut: tuple[Path, Path],
    cli: Cli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLEARANCE_DATABASE_URL", raising=False)
    edl, media = cut
    out = tmp_path / f"sheet.{suffix}"
    run: Run = cli("cuesheet", edl, "--media", media, "-o", out, "--fail-on", "never", "-j", "1")
    assert run.code == 0, run.stderr
    assert not list(tmp_path.glob(".*.part"))
    if suffix == "xlsx":
        sheet = load_workbook(out)["GenAI cue sheet"]
        values = [c.value for row in sheet.iter_rows() for c in row]
        assert "stray_poster.png" in values
    else:
        assert "stray_poster.png" in out.read_text(encoding="utf-8")


def test_cuesheet_bad_options_exit_2_and_write_nothing(
    cut: tuple[Path, Path], cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    edl, media = cut
    out = tmp_path / "sheet.pdf"
    run: Run = cli("cuesheet", edl, "--media", media, "-o", out)
    assert run.code == 2 and "sheet.pdf" in run.stderr and not out.exists()
    run = cli("cuesheet", edl, "--media", tmp_path / "nowhere")
    assert run.code == 2 and "nowhere: no such file or folder" in run.stderr
    run = cli("cuesheet", edl, "--media", media, "--rate", "fast")
    assert run.code == 2 and "frame rate" in run.stderr
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - from: clip\n    match: '(['\n    file: x\n")
    run = cli("cuesheet", edl, "--media", media, "--rules", rules)
    assert run.code == 2 and "rules.yaml:3" in run.stderr


def test_report_needs_a_register(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLEARANCE_DATABASE_URL", raising=False)
    run: Run = cli("report", "-o", tmp_path / "out")
    assert run.code == 2
    assert not (tmp_path / "out").exists()


def _report_workspace(cli: Cli, workspace: Path) -> None:
    manifest = workspace / "m.yaml"
    manifest.write_text(MINIMAL + USE_CASES)
    assert cli("import", manifest).code == 0


@pytest.mark.skipif(find_browser() is None, reason="Chromium is not installed here")
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_report_prints_a_pdf_through_chromium(workspace: Path, cli: Cli) -> None:
    _report_workspace(cli, workspace)
    run = cli("report", "-o", workspace / "out", "--pdf")
    assert run.code == 0, run.stderr
    pdf = (workspace / "out" / "test-prod-genai-report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and b"/Type /Page" in pdf
    assert not list((workspace / "out").glob(".*.part"))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_report_pdf_failures_are_reported_not_crashes(
    workspace: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    _report_workspace(cli, workspace)
    monkeypatch.setenv("CLEARANCE_CHROMIUM", str(workspace / "no-such-browser"))
    run = cli("report", "-o", workspace / "out", "--pdf")
    assert run.code == 2 and "no Chromium found" in run.stderr
    assert not (workspace / "out").exists()
    monkeypatch.setenv("CLEARANCE_CHROMIUM", "/bin/false")
    run = cli("report", "-o", workspace / "out", "--pdf")
    assert run.code == 3 and "could not be printed" in run.stderr
    assert (workspace / "out" / "test-prod-genai-report.html").is_file()
    assert not (workspace / "out" / "test-prod-genai-report.pdf").exists()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_cuesheet_register_edge_cases(workspace: Path, cli: Cli, cut: tuple[Path, Path]) -> None:
    """A file of a withdrawn use case is undeclared again; a register of two productions
    needs --production; an output that cannot be written fails before any work."""
    edl, media = cut
    manifest = workspace / "m.yaml"
    manifest.write_text(MINIMAL + USE_CASES)
    assert cli("import", manifest).code == 0
    assert cli("asset", "add", "UC-TEMP", media / "temp" / "previs_0042.png").code == 0
    manifest.write_text(MINIMAL + USE_CASES.split("  - id: UC-TEMP")[0])  # UC-TEMP withdrawn
    assert cli("import", manifest).code == 0
    rows = _by_event(_json(cli("cuesheet", edl, "--media", media, "-f", "json", "-j", "1")))
    assert rows[3]["status"] == "undeclared" and rows[3]["use_case"] == ""

    other = workspace / "other.yaml"
    other.write_text(MINIMAL.replace("id: test-prod", "id: other-prod"))
    assert cli("import", other).code == 0
    run = cli("cuesheet", edl, "--media", media, "-f", "json")
    assert run.code == 2 and "say which with --production" in run.stderr
    assert cli("cuesheet", edl, "--media", media, "-P", "test-prod", "-f", "json").code == 1

    run = cli(
        "cuesheet", edl, "--media", media, "-P", "test-prod", "-o", workspace / "no" / "x.csv"
    )
    assert run.code == 2 and "no such folder" in run.stderr
