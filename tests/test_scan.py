"""Deliverables scan: the real corpus, the CLI contract, the cache, bad input, and
reconciliation with the register."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, PngImagePlugin

from clearance.policy import resolve
from clearance.provenance.scan import Scanner
from tests.c2pa_fixtures import ThrowawayCa, make_ca, signed_file, tamper_jpeg
from tests.conftest import Run
from tests.support import CORPUS, HAVE_CORPUS, MINIMAL

Cli = Callable[..., Run]
AI = {"ai-generated", "ai-composite"}


def labels() -> dict[str, dict[str, str]]:
    with (CORPUS / "labels.tsv").open(encoding="utf-8") as handle:
        return {row["path"]: row for row in csv.DictReader(handle, delimiter="\t")}


def corpus_verdicts() -> dict[str, str]:
    scanner = Scanner(provenance=resolve("ai-provenance"), jobs=2)
    return {f"files/{r.path}": r.verdict for r in scanner.scan([CORPUS / "files"])}


@pytest.fixture(scope="module")
def corpus() -> dict[str, str]:
    if not HAVE_CORPUS:
        pytest.skip(f"the labelled corpus is not at {CORPUS} (set CLEARANCE_CORPUS)")
    return corpus_verdicts()


def test_corpus_recall_and_precision(corpus: dict[str, str]) -> None:
    truth = labels()
    assert set(corpus) == set(truth)
    lines = []
    for label in ("ai-generated", "ai-composite"):
        expected = {p for p, row in truth.items() if row["expected"] == label}
        found = {p for p, verdict in corpus.items() if verdict == label}
        hits = len(expected & found)
        recall = hits / len(expected) if expected else 1.0
        precision = hits / len(found) if found else 1.0
        lines.append(
            f"{label}: recall {recall:.0%} ({hits}/{len(expected)}), precision {precision:.0%}"
        )
    any_ai = {p for p, row in truth.items() if row["expected"] in AI}
    found_ai = {p for p, v in corpus.items() if v in AI}
    lines.append(f"any GenAI: recall {len(any_ai & found_ai)}/{len(any_ai)}, "
                 f"false positives {len(found_ai - any_ai - _ambiguous(truth))}")  # fmt: skip
    print("\n" + "\n".join(lines))
    confusion = Counter((truth[p]["expected"], v) for p, v in corpus.items())
    print("expected → verdict:", dict(sorted(confusion.items())))
    assert not (found_ai - any_ai - _ambiguous(truth)), "no file without a GenAI label is called AI"


def _ambiguous(truth: dict[str, dict[str, str]]) -> set[str]:
    return {p for p, row in truth.items() if row["expected"] == "ambiguous"}


def test_full_recall_where_c2pa_or_xmp_declares_the_source_type(corpus: dict[str, str]) -> None:
    """Files labelled from a C2PA or XMP digitalSourceType (or the legacy Firefly assertion)."""
    declared = re.compile(
        r"(c2pa|c2pa_ingredient|xmp_dst):(trainedAlgorithmic|compositeWithTrained)"
        r"|c2pa_assertion:com\.adobe\.generative-ai",
        re.IGNORECASE,
    )
    misses = [
        (path, row["expected"], corpus[path])
        for path, row in labels().items()
        if row["expected"] in AI
        and declared.search(row["signals"])
        and corpus[path] != row["expected"]
    ]
    assert misses == []


def test_unreadable_and_no_signal_files(corpus: dict[str, str]) -> None:
    truth = labels()
    unreadable = {p for p, row in truth.items() if row["expected"] == "unreadable"}
    assert {p for p in unreadable if corpus[p] != "unreadable"} == set()
    assert all(corpus[p] not in AI for p, row in truth.items() if row["expected"] == "no-ai-signal")


def test_no_file_that_exiftool_shows_as_ai_is_missed(corpus: dict[str, str]) -> None:
    readings = json.loads((CORPUS / "readings.json").read_text())
    generator_tags = re.compile(
        r"(Parameters|Prompt|Workflow|Dream|sd-metadata|invokeai|fooocus)", re.I
    )
    missed = []
    for reading in readings:
        tags: dict[str, Any] = reading.get("exif") or {}
        dst = str(tags.get("XMP-iptcExt:DigitalSourceType", ""))
        ai = bool(re.search(r"trainedAlgorithmic|compositeWithTrained", dst, re.I))
        ai = ai or any(generator_tags.search(k) for k in tags if k.startswith("PNG"))
        ai = ai or any(
            str(v).strip() == "NovelAI" for k, v in tags.items() if k.endswith(":Software")
        )
        if ai and corpus[reading["path"]] not in AI:
            missed.append(reading["path"])
    assert missed == []


def _tree(tmp_path: Path) -> Path:
    tree = tmp_path / "deliverables"
    (tree / "reel1").mkdir(parents=True)
    info = PngImagePlugin.PngInfo()
    info.add_text(
        "parameters", "harbor\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 8x8"
    )
    Image.new("RGB", (8, 8), "red").save(tree / "reel1" / "generated.png", pnginfo=info)
    Image.new("RGB", (8, 8), "blue").save(tree / "reel1" / "plate.jpg")
    (tree / "reel1" / "truncated.jpg").write_bytes((tree / "reel1" / "plate.jpg").read_bytes()[:40])
    (tree / "empty.wav").write_bytes(b"")
    return tree


def test_scan_json_is_the_public_contract(cli: Cli, tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    run = cli("scan", tree, "--format", "json", "--no-cache", "--jobs", "1")
    assert run.code == 0, run.stderr
    data = json.loads(run.stdout)
    files = {f["path"]: f for f in data["files"]}
    assert set(files) == {
        "reel1/generated.png",
        "reel1/plate.jpg",
        "reel1/truncated.jpg",
        "empty.wav",
    }
    generated = files["reel1/generated.png"]
    assert generated["verdict"] == "ai-generated" and generated["media_type"] == "image/png"
    assert len(generated["sha256"]) == 64
    assert any(s["strength"] == "strong" for s in generated["signals"])
    for signal in generated["signals"]:
        assert set(signal) == {"kind", "value", "strength", "source"}
    assert files["reel1/plate.jpg"]["verdict"] == "no-ai-signal"
    assert files["empty.wav"]["verdict"] == "unreadable" and files["empty.wav"]["reason"]
    assert files["reel1/truncated.jpg"]["verdict"] == "unreadable"
    assert data["summary"]["files"] == 4
    assert data["summary"]["verdicts"]["ai-generated"] == 1


def test_scan_csv_and_table(cli: Cli, tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    rows = list(csv.DictReader(io.StringIO(cli("scan", tree, "-f", "csv", "--no-cache").stdout)))
    assert {r["verdict"] for r in rows} == {"ai-generated", "no-ai-signal", "unreadable"}
    table = cli("scan", tree, "--no-cache")
    assert "generated.png" in table.stdout and "not that a file is human-made" in table.stdout
    assert "plate.jpg" not in table.stdout  # only files worth attention are listed


def test_cache_makes_a_rescan_stat_only_and_notices_changes(cli: Cli, tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    cache = tmp_path / "cache.db"
    first = json.loads(cli("scan", tree, "-f", "json", "--cache", cache).stdout)
    assert first["summary"]["cached"] == 0
    again = json.loads(cli("scan", tree, "-f", "json", "--cache", cache).stdout)
    assert again["summary"]["cached"] == 4
    assert [f["verdict"] for f in again["files"]] == [f["verdict"] for f in first["files"]]
    plate = tree / "reel1" / "plate.jpg"
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "x\nSteps: 5, Sampler: DDIM, Seed: 2")
    Image.new("RGB", (8, 8), "green").save(plate, format="PNG", pnginfo=info)
    os.utime(plate, ns=(1, 1))
    third = json.loads(cli("scan", tree, "-f", "json", "--cache", cache).stdout)
    assert third["summary"]["cached"] == 3
    assert {f["path"]: f["verdict"] for f in third["files"]}["reel1/plate.jpg"] == "ai-generated"


def test_parallel_scan_gives_the_same_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clearance.provenance import scan as scan_module

    monkeypatch.setattr(scan_module, "POOL_AFTER", 0)  # workers even for four files
    tree = _tree(tmp_path)
    pack = resolve("ai-provenance")
    one = [(r.path, r.verdict, r.sha256) for r in Scanner(provenance=pack, jobs=1).scan([tree])]
    two = [(r.path, r.verdict, r.sha256) for r in Scanner(provenance=pack, jobs=2).scan([tree])]
    assert one == two


def test_bad_trees_never_stop_a_scan(cli: Cli, tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    (tree / "loop").symlink_to(tree)  # a symlink loop: folders are never followed
    outside = tmp_path / "outside.png"
    Image.new("RGB", (4, 4)).save(outside)
    (tree / "escape.png").symlink_to(outside)
    (tree / "dangling.png").symlink_to(tmp_path / "nowhere.png")
    weird = os.fsdecode(b"caf\xe9-\xff.png")
    (tree / weird).write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    bomb = tree / "bomb.png"
    Image.new("1", (20000, 20000)).save(bomb)  # a small file that decodes to 400 megapixels
    os.mkfifo(tree / "pipe.wav")
    run = cli("scan", tree, "--format", "json", "--no-cache", "--jobs", "2")
    assert run.code == 0, run.stderr
    files = {f["path"]: f for f in json.loads(run.stdout)["files"]}
    assert (
        files["escape.png"]["verdict"] == "unreadable"
        and "outside" in files["escape.png"]["reason"]
    )
    assert files["dangling.png"]["verdict"] == "unreadable"
    assert files["pipe.wav"]["verdict"] == "unreadable"
    assert files["caf\\xe9-\\xff.png"]["verdict"] in ("unreadable", "no-ai-signal")
    assert files["bomb.png"]["verdict"] in ("unreadable", "no-ai-signal")
    assert not any(p.startswith("loop/") for p in files)


def test_missing_path_is_an_input_error(cli: Cli, tmp_path: Path) -> None:
    run = cli("scan", tmp_path / "nope")
    assert run.code == 2 and "no such file or folder" in run.stderr


def test_scan_reconciles_with_the_register(workspace: Path, cli: Cli, tmp_path: Path) -> None:
    manifest = workspace / "m.yaml"
    manifest.write_text(
        MINIMAL
        + """\
  - id: UC-FINAL
    title: Generated signage, final
    tools: [ent]
    stage: post
    output: {media: [image], destination: final, resembles_protected: no}
"""
    )
    assert cli("import", manifest).code == 0
    tree = _tree(tmp_path)
    declared = tree / "reel1" / "generated.png"
    unmarked = tree / "reel1" / "plate.jpg"
    assert cli("asset", "add", "UC-FINAL", declared).code == 0
    assert cli("asset", "add", "UC-1", unmarked).code == 0
    assert cli("asset", "add", "UC-9", unmarked).code == 2
    stray = tree / "stray.png"
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", _xmp("trainedAlgorithmicMedia"))
    Image.new("RGB", (8, 8)).save(stray, pnginfo=info)

    run = cli("scan", tree, "--format", "json", "--no-cache", "--jobs", "1")
    assert run.code == 1, run.stderr  # findings
    found = {
        f["path"]: sorted(x["finding"] for x in f["findings"])
        for f in json.loads(run.stdout)["files"]
    }
    assert found["reel1/generated.png"] == ["unapproved-final"]
    assert found["reel1/plate.jpg"] == ["declared-unmarked", "temp-in-deliverables"]
    assert found["stray.png"] == ["undeclared-ai"]
    assert found["empty.wav"] == ["ok"]
    log = json.loads(cli("audit", "log", "--action", "scan.", "--format", "json").stdout)
    assert log[0]["action"] == "scan.record"
    assert cli("scan", tree, "-f", "json", "--no-cache", "--no-record").code == 1
    again = json.loads(cli("audit", "log", "--action", "scan.record", "--format", "json").stdout)
    assert len(again) == 1  # --no-record reconciles but writes nothing
    assert cli("audit", "verify").code == 0

    # Approve and report UC-FINAL: its file is then ok.
    assert cli("report-use", "UC-FINAL", "--contact", "x").code == 0
    assert cli("approve", "UC-FINAL", "--approver", "Studio").code == 0
    run = cli("scan", tree, "--format", "json", "--no-cache", "--jobs", "1")
    found = {
        f["path"]: [x["finding"] for x in f["findings"]] for f in json.loads(run.stdout)["files"]
    }
    assert found["reel1/generated.png"] == ["ok"]


def _xmp(dst: str) -> str:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        f'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/{dst}"/>'
        "</rdf:RDF></x:xmpmeta>"
    )


def test_a_bad_trust_bundle_stops_the_scan(cli: Cli, tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    bad = tmp_path / "roots.pem"
    bad.write_text("not a certificate")
    run = cli("scan", tree, "--verify", "--trust-anchors", bad, "--no-cache")
    assert run.code == 2 and "C2PA settings refused" in run.stderr


def test_overlapping_roots_report_each_file_once(workspace: Path, cli: Cli, tmp_path: Path) -> None:
    manifest = workspace / "m.yaml"
    manifest.write_text(MINIMAL)
    assert cli("import", manifest).code == 0
    tree = _tree(tmp_path)
    run = cli("scan", tree, tree, tree / "reel1" / "generated.png", "-f", "json", "--no-cache")
    assert run.code == 1, run.stderr  # the undeclared generated file is a finding
    paths = [f["path"] for f in json.loads(run.stdout)["files"]]
    assert len(paths) == len(set(paths)) == 4
    weird = tmp_path / os.fsdecode(b"appr\xe9.eml")
    weird.write_text("approved")
    assert cli("approve", "UC-1", "--approver", "Studio", "--attach", weird).code == 0
    assert cli("audit", "verify").code == 0


# --- C2PA credentials: validated by default -------------------------------------------------


def _signed_tree(tmp_path: Path) -> tuple[Path, ThrowawayCa]:
    """A generated JPEG signed by a throwaway CA, and a copy tampered after signing."""
    tree = tmp_path / "signed"
    tree.mkdir()
    ca = make_ca(tmp_path)
    signed = signed_file(tree, "jpeg", "trainedAlgorithmicMedia", ca)
    tampered = tree / "tampered.jpg"
    shutil.copy(signed, tampered)
    tamper_jpeg(tampered)
    return tree, ca


def _by_name(run: Run) -> dict[str, dict[str, Any]]:
    assert run.code in (0, 1), run.stderr
    return {Path(f["path"]).name: f for f in json.loads(run.stdout)["files"]}


def test_credentials_are_validated_without_flags(cli: Cli, tmp_path: Path) -> None:
    tree, _ = _signed_tree(tmp_path)
    files = _by_name(cli("scan", tree, "-f", "json", "--no-cache", "--jobs", "1"))
    signed, tampered = files["jpeg-trainedAlgorithmicMedia.jpg"], files["tampered.jpg"]
    assert (signed["verdict"], signed["credential"]) == ("ai-generated", "valid, untrusted signer")
    assert signed["labels"] == ["C2PA"] and signed["advisories"] == []
    # A tampered AI claim keeps its verdict and says the provenance cannot be relied on.
    assert tampered["verdict"] == "ai-generated"
    assert tampered["credential"] == "invalid: assertion.dataHash.mismatch"
    assert [a["rule"] for a in tampered["advisories"]] == ["A1"]
    table = cli("scan", tree, "--no-cache", "--jobs", "1").stdout
    assert "invalid:" in table and "A1:" in table and "C2PA credentials:" in table
    rows = list(csv.DictReader(io.StringIO(cli("scan", tree, "-f", "csv", "--no-cache").stdout)))
    assert {r["credential"] for r in rows} == {
        "valid, untrusted signer",
        "invalid: assertion.dataHash.mismatch",
    }
    skipped = _by_name(cli("scan", tree, "-f", "json", "--no-cache", "--no-verify"))
    assert {f["credential"] for f in skipped.values()} == {"not verified"}


def test_trust_anchors_visibly_change_the_credential(cli: Cli, tmp_path: Path) -> None:
    tree, ca = _signed_tree(tmp_path)
    run = cli("scan", tree, "-f", "json", "--no-cache", "--trust-anchors", ca.root_pem)
    files = _by_name(run)
    assert files["jpeg-trainedAlgorithmicMedia.jpg"]["credential"] == "valid"
    assert files["tampered.jpg"]["credential"] == "invalid: assertion.dataHash.mismatch"
    (tmp_path / "stranger").mkdir()
    stranger = make_ca(tmp_path / "stranger")
    run = cli("scan", tree, "-f", "json", "--no-cache", "--trust-anchors", stranger.root_pem)
    assert _by_name(run)["jpeg-trainedAlgorithmicMedia.jpg"]["credential"] == (
        "valid, untrusted signer"
    )


def test_invalid_credentials_are_a_finding_and_recorded(
    workspace: Path, cli: Cli, tmp_path: Path
) -> None:
    manifest = workspace / "m.yaml"
    manifest.write_text(MINIMAL)
    assert cli("import", manifest).code == 0
    tree, _ = _signed_tree(tmp_path)
    files = _by_name(cli("scan", tree, "-f", "json", "--no-cache", "--jobs", "1"))
    assert [f["finding"] for f in files["tampered.jpg"]["findings"]] == [
        "undeclared-ai",
        "invalid-credentials",
    ]
    assert [f["finding"] for f in files["jpeg-trainedAlgorithmicMedia.jpg"]["findings"]] == [
        "undeclared-ai"
    ]
    from sqlalchemy import select

    from clearance.register import schema
    from clearance.register.access import open_register

    with open_register() as (register, _ws), register.read() as conn:
        table = schema.scan_files
        recorded = dict(conn.execute(select(table.c.path, table.c.credential)).all())
    assert {Path(p).name: c for p, c in recorded.items()} == {
        "jpeg-trainedAlgorithmicMedia.jpg": "valid, untrusted signer",
        "tampered.jpg": "invalid: assertion.dataHash.mismatch",
    }
    assert cli("audit", "verify").code == 0


def test_csv_defuses_file_names_a_spreadsheet_would_run(cli: Cli, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    Image.new("RGB", (8, 8)).save(tree / '=HYPERLINK("x.test","open").png')
    rows = list(csv.DictReader(io.StringIO(cli("scan", tree, "-f", "csv", "--no-cache").stdout)))
    assert rows[0]["path"] == '\'=HYPERLINK("x.test","open").png'


def test_cache_key_follows_libraries_and_the_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    from clearance.provenance import scan as scan_module

    scanner = Scanner(provenance=resolve("ai-provenance"))
    before = scanner.cache_key()
    monkeypatch.setattr(scan_module, "library_versions", lambda: "c2pa-python=99")
    assert scanner.cache_key() != before


def test_delivery_report_shows_each_files_credential() -> None:
    from clearance.reports.delivery import render_html
    from clearance.reports.delivery_model import DeliveryReport, ScanFile, ScanInfo

    files = [
        ScanFile(
            path="a.jpg", verdict="ai-generated", credential="invalid: claimSignature.mismatch"
        ),
        ScanFile(path="b.jpg", verdict="no-ai-signal", credential="valid, untrusted signer"),
    ]
    scan = ScanInfo(id="SC-1", started_at="2026-01-01", roots=["/d"], recorded_by="qc",
                    summary={"credentials": {"expired": 1}}, files=files)  # fmt: skip
    report = DeliveryReport(production="p", title="t", generated_at="2026-01-01", on="2026-01-01",
                            clearance_version="0", packs=[], use_cases=[], evidence=[],
                            scan=scan)  # fmt: skip
    html = render_html(report)
    assert "invalid: claimSignature.mismatch" in html and "valid, untrusted signer" in html
    assert "Credentials" in html and "expired 1" in html
