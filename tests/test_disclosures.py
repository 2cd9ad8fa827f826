"""`clearance disclosures` end to end, on both register backends: a production shipping to
France, New York and China with a registered cut (real EDL, media signed with C2PA at test
time, Stable Diffusion parameters, IPTC XMP) and key art (unlabelled, AIGC-labelled, and real
corpus files), decided per market by the built-in eu-ai-act-50 and cn-ai-labelling packs and a
test New York pack — every row's form compared with what the firing rule's pack says."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from PIL import Image, PngImagePlugin

from clearance.policy.registry import resolve
from tests.conftest import Run
from tests.support import CORPUS, HAVE_CORPUS
from tests.test_cuesheet_cli import A1111, USE_CASES, cut  # noqa: F401 (the fixture)

Cli = Callable[..., Run]

NY_PACK = Path(__file__).parent / "data" / "disclosures" / "ny-ads-test.yaml"
POLICIES = ["netflix-genai", "eu-ai-act-50", "cn-ai-labelling", str(NY_PACK)]
MANIFEST = """\
version: 1.1
production:
  id: test-prod
  format: scripted
  territories: [FR, US-NY, CN]
tools:
  - id: ent
    name: Enterprise tool
    enterprise: yes
    trains_on_inputs: no
    retains_inputs: no
use_cases:
  - id: UC-FINAL
    title: Generated harbour skyline, final (a real harbour, photoreal)
    tools: [ent]
    stage: post
    output: {media: [image], destination: final, on_screen: incidental, resembles_protected: no,
             depicts_real: 'yes', could_mislead: 'no', synthetic_performer: 'no'}
  - id: UC-TEMP
    title: Previs frames
    tools: [ent]
    stage: previs
    output: {media: [image], destination: temp, resembles_protected: no}
  - id: UC-AD
    title: Key art with a generated host who resembles nobody
    tools: [ent]
    stage: marketing
    output: {media: [image], destination: final, on_screen: prominent, resembles_protected: no,
             depicts_real: 'no', could_mislead: 'no', synthetic_performer: 'yes'}
"""
AIGC_LABEL = '{"Label": "1", "ContentProducer": "001191110108MA01KP2T5U00000", "ProduceID": "k1"}'


def _png(path: Path, shade: int, **text: str) -> Path:
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    Image.new("RGB", (64, 48), (shade, 40, 90)).save(path, pnginfo=info)
    return path


@pytest.fixture
def keyart(tmp_path: Path) -> Path:
    """Key art: one generated poster with only its generator's parameters (no label), one
    with China's implicit AIGC label."""
    folder = tmp_path / "keyart"
    folder.mkdir()
    _png(folder / "poster_unlabelled.png", 1, parameters=A1111)
    _png(folder / "poster_aigc.png", 2, AIGC=AIGC_LABEL)
    return folder


def _production(cli: Cli, workspace: Path, edl: Path, media: Path, keyart: Path) -> None:
    manifest = workspace / "m.yaml"
    manifest.write_text(MANIFEST)
    run = cli("import", manifest, *[a for p in POLICIES for a in ("--policy", p)])
    assert run.code in (0, 1), run.stderr
    assert cli("asset", "add", "UC-FINAL", media / "final" / "skyline_ext_v2.jpg").code == 0
    assert cli("asset", "add", "UC-TEMP", media / "temp" / "previs_0042.png").code == 0
    for name in ("poster_unlabelled.png", "poster_aigc.png"):
        assert cli("asset", "add", "UC-AD", keyart / name).code == 0
    assert cli("cut", "add", "ep1", edl, "--media", media, "--rate", "24").code == 0


def _plan(run: Run) -> dict[str, Any]:
    assert run.stdout, run.stderr
    data: dict[str, Any] = json.loads(run.stdout)
    return data


def _form(pack: str, rule: str, obligation: str) -> str:
    """What the firing rule's pack gives as the form (never restated here)."""
    found = next(r for r in resolve(pack).rules if r.spec.id == rule)
    return dict(found.forms)[obligation]


def _items(plan: dict[str, Any], deliverable: str) -> set[tuple[str, str, str, str, str]]:
    listed = next(d for d in plan["deliverables"] if d["name"].endswith(deliverable))
    return {(i["market"], i["use_case"], i["obligation"], i["pack"], i["rule"])
            for i in listed["items"]}  # fmt: skip


def test_plan_per_market_and_deliverable_with_timecodes_and_label_check(
    workspace: Path,
    cli: Cli,
    cut: tuple[Path, Path],  # noqa: F811 (the fixture)
    keyart: Path,
) -> None:
    edl, media = cut
    _production(cli, workspace, edl, media, keyart)
    policy = [a for p in POLICIES for a in ("--policy", p)]
    run = cli("disclosures", "--media", keyart, *policy, "-f", "json", "-j", "1")
    assert run.code == 1, run.stderr  # an unlabelled GenAI file is delivered
    plan = _plan(run)
    assert plan["format"] == "clearance.disclosures/1"
    assert [m["code"] for m in plan["markets"]] == ["FR", "US-NY", "CN"]
    assert [p["id"] for p in plan["policies"]] == ["netflix-genai", "eu-ai-act-50",
                                                   "cn-ai-labelling", "test-ny-ads"]  # fmt: skip

    # The cut: the photoreal skyline (event 2) owes the EU's non-hampering notice in France,
    # China's implicit and explicit labels; nothing in New York. The temp previs owes nothing.
    assert _items(plan, "ep1") == {
        ("FR", "UC-FINAL", "disclose-ai", "eu-ai-act-50", "EU1"),
        ("CN", "UC-FINAL", "ai-label", "cn-ai-labelling", "CN1"),
        ("CN", "UC-FINAL", "ai-label", "cn-ai-labelling", "CN2"),
        ("CN", "UC-FINAL", "disclose-ai", "cn-ai-labelling", "CN2"),
    }
    ep1 = next(d for d in plan["deliverables"] if d["name"] == "ep1")
    assert ep1["kind"] == "cut" and ep1["source"] == str(edl.resolve())
    for item in ep1["items"]:
        assert item["form"] == _form(item["pack"], item["rule"], item["obligation"])
        assert item["cites"] and item["url"].startswith("https://")
        assert [(e["event"], e["track"], e["record_in"], e["record_out"]) for e in item["events"]]\
            == [(2, "V1", "01:00:04:00", "01:00:07:00")]  # fmt: skip
        assert item["met"] is False
    eu1 = next(i for i in ep1["items"] if i["rule"] == "EU1")
    eu2_form = _form("eu-ai-act-50", "EU2", "disclose-ai")
    assert eu1["form"] != eu2_form  # the evidently fictional work's limited form
    # The IPTC-labelled poster in the cut is GenAI no use case declares: listed, not planned.
    assert [(e["event"], e["record_in"]) for e in ep1["unmapped"]] == [(4, "01:00:09:00")]

    # Key art: the synthetic host owes New York's statement (the test pack) and China's
    # labels; France nothing (an invented person is no deep fake).
    for name in ("poster_unlabelled.png", "poster_aigc.png"):
        assert _items(plan, name) == {
            ("US-NY", "UC-AD", "disclose-ai", "test-ny-ads", "T-NY3"),
            ("CN", "UC-AD", "ai-label", "cn-ai-labelling", "CN1"),
            ("CN", "UC-AD", "ai-label", "cn-ai-labelling", "CN2"),
            ("CN", "UC-AD", "disclose-ai", "cn-ai-labelling", "CN2"),
        }
    ny = next(i for d in plan["deliverables"] for i in d["items"] if i["rule"] == "T-NY3")
    assert ny["form"] == _form(str(NY_PACK), "T-NY3", "disclose-ai") and ny["file"]

    # The file check: C2PA and AIGC labels pass; GenAI files without one are label-missing.
    files = {Path(f["path"]).name: f for f in plan["files"]}
    assert files["skyline_ext_v2.jpg"]["labels"] == ["C2PA"]
    assert files["skyline_ext_v2.jpg"]["required_in"] == ["CN"]
    assert files["skyline_ext_v2.jpg"]["findings"] == []
    assert (
        files["poster_aigc.png"]["labels"] == ["AIGC"]
        and files["poster_aigc.png"]["findings"] == []
    )
    assert files["stray_poster.png"]["labels"] == ["IPTC"]
    missing = {
        n for n, f in files.items() if [x["finding"] for x in f["findings"]] == ["label-missing"]
    }
    assert missing == {"poster_unlabelled.png", "previs_0042.png"}
    unlabelled = files["poster_unlabelled.png"]
    assert unlabelled["required_in"] == ["CN"] and unlabelled["findings"][0]["rule"] == "F6"
    assert files["previs_0042.png"]["required_in"] == []  # temp: GenAI by its provenance alone
    assert plan["summary"]["label-missing"] == 2

    # One market at a time, case-insensitive; a market no pack reaches plans nothing.
    only_ny = _plan(cli("disclosures", "--media", keyart, *policy, "--market", "us-ny", "-f",
                        "json", "-j", "1"))  # fmt: skip
    assert {r["rule"] for r in only_ny["requirements"]} == {"T-NY3"}
    elsewhere = _plan(cli("disclosures", *policy, "--market", "JP", "-f", "json", "-j", "1"))
    assert elsewhere["requirements"] == [] and elsewhere["summary"]["label-missing"] == 1

    # The table names the rows and the finding; nothing from the data is read as markup.
    table = cli("disclosures", "--media", keyart, *policy, "-j", "1")
    assert table.code == 1
    for text in ("Disclosure plan", "EU1", "01:00:04:00", "T-NY3", "label-missing"):
        assert text in table.stdout, text


def test_outputs_parse_and_bad_input_exits_2(
    workspace: Path,
    cli: Cli,
    cut: tuple[Path, Path],  # noqa: F811 (the fixture)
    keyart: Path,
    tmp_path: Path,
) -> None:
    edl, media = cut
    _production(cli, workspace, edl, media, keyart)
    policy = [a for p in POLICIES for a in ("--policy", p)]
    out = tmp_path / "plan.xlsx"
    run = cli("disclosures", "--cut", "ep1", "--media", keyart, *policy, "-o", out, "-j", "1")
    assert run.code == 1, run.stderr
    book = load_workbook(out)
    assert book.sheetnames == ["Plan", "By use case", "Files"]
    plan_rows = [[c.value for c in row] for row in book["Plan"].iter_rows()]
    assert any(r[0] == "ep1" and r[8] == "eu-ai-act-50 EU1" and "01:00:04:00" in r[7]
               for r in plan_rows)  # fmt: skip
    files = [[c.value for c in row] for row in book["Files"].iter_rows(min_row=2)]
    assert sorted(Path(r[0]).name for r in files if r[5]) == ["poster_unlabelled.png",
                                                               "previs_0042.png"]  # fmt: skip

    js = tmp_path / "plan.json"
    assert cli("disclosures", "--edit", edl, "--media", media, *policy, "-o", js).code == 1
    plan = json.loads(js.read_text())
    assert plan["format"] == "clearance.disclosures/1"
    assert [d["name"] for d in plan["deliverables"] if d["kind"] == "cut"] == ["lock"]

    for args, needle in (
        (("--market", "FR,XX1"), "--market"),
        (("--market", "France"), "--market"),
        (("--cut", "nope"), "no cut 'nope'"),
        (("--edit", edl, "--cut", "ep1"), "not both"),
        (("--media", tmp_path / "nowhere"), "no such file"),
        (("-o", tmp_path / "plan.txt"), "suffix"),
        (("--policy", "no-such-pack"), "no such pack"),
        ((), "not built in"),  # the production's own test pack: named, with the way out
    ):
        bad = cli("disclosures", *args)
        assert bad.code == 2 and needle in bad.stderr, (args, bad.stderr)
        assert "Traceback" not in bad.stderr


def test_the_productions_own_packs_and_territories_and_the_delivery_report(
    workspace: Path,
    cli: Cli,
    cut: tuple[Path, Path],  # noqa: F811 (the fixture)
) -> None:
    """No --policy, no --market: the register's packs and the production's territories; the
    delivery report's "Disclosure plan" section comes from the same library."""
    edl, media = cut
    manifest = workspace / "m.yaml"
    text = MANIFEST.replace("[FR, US-NY, CN]", "[FR, CN]")
    manifest.write_text(text.replace("  territories:", "  policies: [netflix-genai, eu-ai-act-50, "
                                     "cn-ai-labelling]\n  territories:"))  # fmt: skip
    assert cli("import", manifest).code in (0, 1)
    assert cli("asset", "add", "UC-FINAL", media / "final" / "skyline_ext_v2.jpg").code == 0
    assert cli("cut", "add", "ep1", edl, "--media", media).code == 0
    plan = _plan(cli("disclosures", "-f", "json", "-j", "1"))
    assert [m["code"] for m in plan["markets"]] == ["FR", "CN"]
    assert {r["rule"] for r in plan["requirements"] if r["use_case"] == "UC-FINAL"} == {
        "EU1", "CN1", "CN2"}  # fmt: skip
    assert {r["rule"] for r in plan["requirements"] if r["use_case"] == "UC-AD"} == {"CN1", "CN2"}

    out = workspace / "report"
    assert cli("report", "-o", out, "--cut", "ep1", "-j", "1").code == 0
    html = (out / "test-prod-genai-report.html").read_text()
    section = html[html.index('id="disclosures"') :]
    for needle in ("Disclosure plan", "EU1", "CN2", "01:00:04:00", _form("eu-ai-act-50", "EU1",
                   "disclose-ai").split()[0], "clearance disclosures"):  # fmt: skip
        assert needle in section, needle


def test_undeclared_territories_make_one_market_where_every_law_pack_applies(
    workspace: Path, cli: Cli
) -> None:
    manifest = workspace / "m.yaml"
    manifest.write_text(MANIFEST.replace("  territories: [FR, US-NY, CN]\n", ""))
    policy = [a for p in POLICIES for a in ("--policy", p)]
    assert cli("import", manifest, *policy).code in (0, 1)
    plan = _plan(cli("disclosures", *policy, "-f", "json"))
    assert plan["markets"] == [{"code": "undeclared", "territories": []}]
    assert {r["pack"] for r in plan["requirements"]} == {"eu-ai-act-50", "cn-ai-labelling",
                                                         "test-ny-ads"}  # fmt: skip


@pytest.mark.skipif(not HAVE_CORPUS, reason=f"the real-file corpus is not at {CORPUS}")
def test_real_files_labels_against_the_corpus_ground_truth(
    workspace: Path, cli: Cli, tmp_path: Path
) -> None:
    """Real generator output: Firefly's C2PA-labelled JPEG passes, AUTOMATIC1111's PNG (its
    parameters only) is label-missing — as the corpus's labels say they are GenAI."""
    truth = {
        line.split("\t")[0]: line.split("\t")[4]
        for line in (CORPUS / "labels.tsv").read_text().splitlines()[1:]
    }
    chosen = ["files/c2pa-rs/cai.jpg", "files/sd-parsers/automatic1111_cropped.png",
              "files/c2pa-rs/firefly.png", "files/c2pa-rs/CA.jpg"]  # fmt: skip
    folder = tmp_path / "delivered"
    folder.mkdir()
    for rel in chosen:
        shutil.copyfile(CORPUS / rel, folder / Path(rel).name)
    manifest = workspace / "m.yaml"
    manifest.write_text(MANIFEST)
    policy = [a for p in POLICIES for a in ("--policy", p)]
    assert cli("import", manifest, *policy).code in (0, 1)
    assert cli("asset", "add", "UC-AD", folder / "CA.jpg").code == 0
    run = cli("disclosures", "--media", folder, *policy, "--market", "CN", "-f", "json", "-j", "1")
    assert run.code == 1, run.stderr
    files = {Path(f["path"]).name: f for f in _plan(run)["files"]}
    for rel in chosen[:3]:
        assert files[Path(rel).name]["verdict"] == truth[rel]
    assert files["cai.jpg"]["labels"] == ["C2PA"] and files["cai.jpg"]["findings"] == []
    assert "IPTC" in files["firefly.png"]["labels"] and files["firefly.png"]["findings"] == []
    assert [f["finding"] for f in files["automatic1111_cropped.png"]["findings"]] == [
        "label-missing"]  # fmt: skip
    # A camera file registered to a use case that owes ai-label in China carries none.
    assert truth["files/c2pa-rs/CA.jpg"] == "no-ai-signal"
    assert files["CA.jpg"]["required_in"] == ["CN"]
    assert [f["finding"] for f in files["CA.jpg"]["findings"]] == ["label-missing"]


def test_recorded_disclosures_and_labels_meet_the_rows_they_cover(
    workspace: Path,
    cli: Cli,
    cut: tuple[Path, Path],  # noqa: F811 (the fixture)
    keyart: Path,
) -> None:
    """A disclose-ai / ai-label record meets a row where it covers its use case, market (a
    country covers its subdivisions; none named: every market) and deliverable (none named:
    every deliverable); revoked records meet nothing."""
    edl, media = cut
    _production(cli, workspace, edl, media, keyart)
    policy = [a for p in POLICIES for a in ("--policy", p)]

    notice = ("disclose", "UC-FINAL", "--form", "start card", "--placement", "opening titles",
              "--text", "Contient des images générées par IA", "--approver", "M. Roy")  # fmt: skip
    assert cli(*notice, "--deliverable", "ep1", "--territory", "FR").code == 0
    assert cli(*notice, "--deliverable", "trailer-1", "--territory", "CN").code == 0
    assert cli("label", "UC-AD", "--file", "poster_aigc.png", "--method", "aigc-metadata",
               "--verified-by", "P. Okafor", "--platform-ref", "DY-88", "--territory",
               "CN").code == 0  # fmt: skip
    assert cli("label", "UC-FINAL", "--file", "skyline_ext_v2.jpg", "--method", "c2pa",
               "--verified-by", "P. Okafor", "--platform-ref", "DY-89").code == 0  # fmt: skip
    plan = _plan(cli("disclosures", "--media", keyart, *policy, "-f", "json", "-j", "1"))
    met = {
        (d["name"].rsplit("/", 1)[-1], i["market"], i["use_case"], i["obligation"], i["rule"])
        for d in plan["deliverables"]
        for i in d["items"]
        if i["met"] and i["evidence"]
    }
    assert met == {
        ("ep1", "FR", "UC-FINAL", "disclose-ai", "EU1"),  # ep1, France: the start card
        # China's labels: the AIGC record names the labelled poster only
        ("poster_aigc.png", "CN", "UC-AD", "ai-label", "CN1"),
        ("poster_aigc.png", "CN", "UC-AD", "ai-label", "CN2"),
        # the skyline's C2PA record names the cut's file, for every market
        ("ep1", "CN", "UC-FINAL", "ai-label", "CN1"),
        ("ep1", "CN", "UC-FINAL", "ai-label", "CN2"),
    }  # the trailer's Chinese notice does not cover ep1
    by_rule = {(r["market"], r["use_case"], r["obligation"], r["rule"]): r
               for r in plan["requirements"]}  # fmt: skip
    # Production-wide, a record covering the market meets the duty whatever the deliverable.
    assert by_rule[("CN", "UC-FINAL", "disclose-ai", "CN2")]["met"] is True
    assert by_rule[("CN", "UC-FINAL", "ai-label", "CN1")]["met"] is True  # no territory: any
    assert by_rule[("US-NY", "UC-AD", "disclose-ai", "T-NY3")]["met"] is False
