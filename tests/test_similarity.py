"""The similarity guard (issue 15): the reference library (`clearance refs`), `clearance
similar`, and the scan's resembles-reference finding with its evidence — on real images from
the shared corpus, transformed copies made with Pillow, and tiny videos made with PyAV."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps

from clearance.similarity.hashing import AXIS_CROPS
from clearance.similarity.library import pack_threshold
from tests.conftest import Run
from tests.support import EXTERNAL_MEDIA

Cli = Callable[..., Run]

MEDIA = EXTERNAL_MEDIA / "files"
pytestmark = pytest.mark.skipif(
    not MEDIA.is_dir(), reason=f"external media not at {MEDIA} (set CLEARANCE_EXTERNAL_MEDIA)"
)
KEY_ART = MEDIA / "cnet_1girl.png"  # the protected reference
UNRELATED = [MEDIA / "cnet_an-gen.png", MEDIA / "comfyex_shark_depthmap.png"]
SCENES = [MEDIA / "cnet_dog_rel.png", MEDIA / "comfyex_sdxlturbo_example.png", KEY_ART]

MANIFEST = """\
version: 1
production: {id: refs-prod, title: Refs}
tools:
  - {id: ent, name: Enterprise tool, enterprise: yes, trains_on_inputs: no, retains_inputs: no}
use_cases:
  - id: UC-1
    title: Key art variations
    tools: [ent]
    stage: post
    technique: generate
    output: {media: [image], destination: final, resembles_protected: no}
"""


@pytest.fixture
def production(workspace: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(workspace / "cache"))
    (workspace / "manifest.yaml").write_text(MANIFEST)
    assert cli("import", "manifest.yaml").code == 0
    return workspace


def make_video(path: Path, scenes: list[Path], seconds_each: float = 1.5, fps: int = 10) -> Path:
    """An MPEG-4 Part 2 video (FFmpeg's own encoder) showing each picture in turn."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 160, 160, "yuv420p"
        for scene in scenes:
            picture = np.asarray(Image.open(scene).convert("RGB").resize((160, 160)))
            for _ in range(int(seconds_each * fps)):
                frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def copies(tmp: Path) -> dict[str, Path]:
    """Transformed copies of the key art, as an artist's output might be."""
    image = Image.open(KEY_ART).convert("RGB")
    w, h = image.size
    made = {
        "flipped": ImageOps.mirror(image),
        "cropped-halved": image.crop((w // 20, h // 20, w - w // 20, h - h // 20)).resize(
            (w // 2, h // 2)
        ),
        "graded": ImageEnhance.Color(ImageEnhance.Brightness(image).enhance(1.2)).enhance(0.6),
        "rotated": image.rotate(90, expand=True),
        "letterboxed": ImageOps.pad(image, (w * 2, h), color=(0, 0, 0)),
    }
    out = {}
    for name, picture in made.items():
        out[name] = tmp / f"{name}.jpg"
        picture.save(out[name], quality=50)  # re-encoded as JPEG at quality 50
    return out


def add_key_art(cli: Cli) -> str:
    run = cli("refs", "add", KEY_ART, "--label", "Key art, Other Film", "--owner", "Studio X")
    assert run.code == 0, run.stderr
    return run.stdout.split(": ", 1)[1].split()[0]  # "Added to the library of P: RF-… path"


def similar(cli: Cli, *args: str | Path) -> tuple[int, dict[str, Any]]:
    run = cli("similar", *args, "--format", "json")
    assert run.code in (0, 1), (run.stdout, run.stderr)
    payload = json.loads(run.stdout)
    assert payload["format"] == "clearance.similar/1"
    return run.code, payload


def test_refs_add_list_remove_audited(production: Path, cli: Cli, tmp_path: Path) -> None:
    ref = add_key_art(cli)
    video = make_video(tmp_path / "trailer.mp4", SCENES[:2])
    run = cli("refs", "add", video, "--label", "Trailer", "--owner", "Studio Y", "--shared")
    assert run.code == 0 and "the shared library" in run.stdout, run.stderr
    again = cli("refs", "add", KEY_ART, "--label", "Same file", "--owner", "Studio X")
    assert again.code == 0 and f"Already in the library of refs-prod: {ref}" in again.stdout

    listed = json.loads(cli("refs", "list", "--format", "json").stdout)
    assert listed["format"] == "clearance.refs/1" and listed["library"]["size"] == 2
    by_kind = {r["kind"]: r for r in listed["refs"]}
    assert by_kind["image"]["id"] == ref and not by_kind["image"]["shared"]
    assert by_kind["video"]["shared"] and by_kind["video"]["frames"] >= 3  # >= 1 a second
    assert 2.5 < by_kind["video"]["duration"] < 3.5
    version = listed["library"]["version"]

    assert cli("refs", "remove", ref).code == 2  # --reason is required
    assert cli("refs", "remove", ref, "--reason", "licensed from Studio X").code == 0
    after = json.loads(cli("refs", "list", "--format", "json").stdout)
    assert after["library"]["size"] == 1 and after["library"]["version"] != version
    kept = json.loads(cli("refs", "list", "--removed", "--format", "json").stdout)
    removed = next(r for r in kept["refs"] if r["id"] == ref)
    assert removed["remove_reason"] == "licensed from Studio X"
    assert removed["removed_by"] == "test-runner"
    twice = cli("refs", "remove", ref, "--reason", "again")
    assert twice.code == 2 and "was removed" in twice.stderr
    unknown = cli("refs", "remove", "RF-NOPE", "--reason", "x")
    assert unknown.code == 2 and "no reference 'RF-NOPE'" in unknown.stderr
    assert cli("audit", "verify").code == 0


def test_similar_finds_transformed_copies_not_unrelated_images(
    production: Path, cli: Cli, tmp_path: Path
) -> None:
    ref = add_key_art(cli)
    made = copies(tmp_path)
    code, payload = similar(cli, *made.values())
    assert code == 1
    assert (payload["threshold"], payload["pack"]) == pack_threshold()
    for entry in payload["files"]:
        assert [m["ref"] for m in entry["matches"]] == [ref], entry
        assert entry["matches"][0]["distance"] <= payload["threshold"]
    variants = {Path(f["path"]).stem: f["matches"][0]["variant"] for f in payload["files"]}
    assert variants["flipped"] == "flipped left to right"
    assert variants["rotated"] == "turned 90° counter-clockwise"
    assert variants["letterboxed"] == "bars removed"

    code, payload = similar(cli, *UNRELATED)
    assert code == 0 and all(f["matches"] == [] for f in payload["files"])
    # the clean check is recorded too: the evidence that the comparison was made
    from clearance.register.access import open_register
    from clearance.register.queries import similarity_checks

    with open_register() as (register, _ws), register.read() as conn:
        rows = similarity_checks(conn, "refs-prod")
    clean = {r.id: r for r in rows if r.matches == "[]"}
    assert {f["check"] for f in payload["files"]} <= set(clean)
    row = clean[payload["files"][0]["check"]]
    assert row.library_size == 1 and row.library_version == payload["library"]["version"]
    assert (
        row.threshold == pack_threshold()[0]
        and row.checked_by == "test-runner"
        and row.scan_id is None
    )
    assert cli("audit", "verify").code == 0
    # a stricter threshold is the caller's to set
    code, payload = similar(cli, made["cropped-halved"], "--threshold", "0")
    assert code == 0 and payload["pack"] is None


def test_a_video_matches_a_still_with_its_timecode(
    production: Path, cli: Cli, tmp_path: Path
) -> None:
    ref = add_key_art(cli)
    video = make_video(tmp_path / "cut.mp4", SCENES)  # the key art from 3.0 s
    code, payload = similar(cli, video)
    assert code == 1
    (match,) = payload["files"][0]["matches"]
    assert match["ref"] == ref and 2.9 <= match["file_seconds"] <= 4.5
    # and the other way round: a video reference, a still from it
    trailer = make_video(tmp_path / "trailer.mp4", [UNRELATED[1], SCENES[1]])
    assert cli("refs", "add", trailer, "--label", "Trailer", "--owner", "Studio Y").code == 0
    code, payload = similar(cli, SCENES[1])
    assert code == 1
    (match,) = payload["files"][0]["matches"]
    assert match["label"] == "Trailer" and 1.4 <= match["ref_seconds"] <= 3.0


def test_bad_input_exits_2_with_a_clear_message(production: Path, cli: Cli, tmp_path: Path) -> None:
    empty = cli("similar", UNRELATED[0])
    assert empty.code == 2 and "reference library of refs-prod is empty" in empty.stderr
    broken = tmp_path / "broken.png"
    broken.write_bytes(KEY_ART.read_bytes()[:200])  # a PNG cut short
    flat = tmp_path / "flat.png"
    Image.new("RGB", (300, 200), (12, 12, 12)).save(flat)
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    import av

    no_frames = tmp_path / "empty.mp4"
    with av.open(str(no_frames), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height = 64, 64
        container.start_encoding()  # a header, and not one frame
    for path, why in [
        (broken, "unreadable image"),
        (flat, "too flat to compare"),
        (text, "not an image or a video"),
        (no_frames, "a video without frames"),
        (tmp_path / "missing.jpg", "no such file"),
    ]:
        run = cli("refs", "add", path, "--label", "x", "--owner", "y")
        assert run.code == 2 and str(path) in run.stderr and why in run.stderr, run.stderr
    assert json.loads(cli("refs", "list", "--format", "json").stdout)["refs"] == []
    add_key_art(cli)
    run = cli("similar", flat, UNRELATED[0])
    assert run.code == 2 and "too flat" in run.stderr
    no_frames_run = cli("similar", no_frames)
    assert no_frames_run.code == 2 and str(no_frames) in no_frames_run.stderr


def test_scan_finds_the_near_copy_and_records_every_comparison(
    production: Path, cli: Cli, tmp_path: Path
) -> None:
    deliverables = production / "deliverables"
    deliverables.mkdir()
    copies(deliverables)
    for path in UNRELATED:
        (deliverables / path.name).write_bytes(path.read_bytes())
    Image.new("RGB", (300, 200), (0, 0, 0)).save(deliverables / "black.png")
    run = cli("scan", deliverables, "--format", "json")
    assert "no reference library" in run.stderr  # said once; no similarity facts
    assert all("similar" not in f for f in json.loads(run.stdout)["files"])

    ref = add_key_art(cli)
    run = cli("scan", deliverables, "--format", "json")
    assert run.code == 1, run.stderr
    files = {Path(f["path"]).name: f for f in json.loads(run.stdout)["files"]}
    for name in (
        "flipped.jpg",
        "cropped-halved.jpg",
        "graded.jpg",
        "rotated.jpg",
        "letterboxed.jpg",
    ):
        found = [f["finding"] for f in files[name]["findings"]]
        assert "resembles-reference" in found, (name, files[name])
        assert files[name]["similar"]["matches"][0]["ref"] == ref
    for path in UNRELATED:
        assert [f["finding"] for f in files[path.name]["findings"]] == ["ok"]
        assert files[path.name]["similar"]["checked"] is True
    assert "too flat" in files["black.png"]["similar"]["problem"]
    assert "black.png" in run.stderr  # named, never a silent pass

    from clearance.register.access import open_register
    from clearance.register.queries import scan_history, similarity_checks

    with open_register() as (register, _ws), register.read() as conn:
        scan_id = scan_history(conn, "refs-prod")[0].id
        rows = similarity_checks(conn, "refs-prod", scan_id=scan_id)
    assert {Path(r.path).name for r in rows} == set(files)  # every image compared, on record
    threshold, pack = pack_threshold()
    assert all(r.pack == pack and r.threshold == threshold for r in rows)
    assert next(r for r in rows if r.path.endswith("black.png")).problem
    assert cli("audit", "verify").code == 0


def test_the_index_is_cached_by_library_version(production: Path, cli: Cli, tmp_path: Path) -> None:
    from clearance.register.access import open_register
    from clearance.similarity import load_library
    from clearance.similarity.library import from_cache

    add_key_art(cli)
    cache = tmp_path / "index-cache"
    with open_register() as (register, _ws), register.read() as conn:
        first = load_library(conn, "refs-prod", cache)
    files = sorted(p.name for p in cache.iterdir())
    assert files == sorted(f"{first.version}{s}" for s in (".faiss", ".npz", ".json"))
    reopened = from_cache(cache, first.version)
    # the picture, its crops and the picture without its lower band
    assert reopened.hashes == first.hashes == len(AXIS_CROPS) ** 2 + 1 == 226
    made = copies(tmp_path)
    from clearance.similarity import hash_query

    assert reopened.match(hash_query(made["flipped"]).hashes, 45)[0].distance <= 10


CUT = """\
TITLE: REFS LOCK
FCM: NON-DROP FRAME

001  AX       V     C        00:00:00:00 00:00:02:00 01:00:00:00 01:00:02:00
* FROM CLIP NAME: plate.png
002  AX       V     C        00:00:02:00 00:00:04:12 01:00:02:00 01:00:04:12
* FROM CLIP NAME: shot_010.mp4
003  AX       V     C        00:00:00:00 00:00:02:00 01:00:04:12 01:00:06:12
* FROM CLIP NAME: flipped.jpg
"""


def test_cuesheet_and_report_show_the_reference_how_close_and_where(
    production: Path, cli: Cli, tmp_path: Path
) -> None:
    ref = add_key_art(cli)
    media = tmp_path / "media"
    media.mkdir()
    copies(media)
    make_video(media / "shot_010.mp4", SCENES)  # the key art from 3.0 s of the file
    (media / "plate.png").write_bytes(UNRELATED[0].read_bytes())
    edl = tmp_path / "lock.edl"
    edl.write_text(CUT)
    run = cli("cuesheet", edl, "--media", media, "--rate", "25", "-f", "json", "-j", "1")
    assert run.code == 1, run.stderr  # a near copy in the cut is an open item
    rows = {r["event"]: r for r in json.loads(run.stdout)["rows"]}
    assert sorted(rows) == [2, 3]  # the unrelated plate is not GenAI and resembles nothing
    assert {rows[2]["status"], rows[3]["status"]} == {"resembles-reference"}
    (still,) = rows[3]["resembles"]
    assert still.startswith(f"{ref} Key art, Other Film (Studio X): distance ")
    assert "in the cut: event 3 01:00:04:12" in still and "flipped left to right" in still
    (clip,) = rows[2]["resembles"]
    # the file's 3.0 s lies in the event's source range (2.0-4.5 s): 1.0 s after its record in
    assert "in the cut: event 2 at 01:00:03:0" in clip and "file 00:00:03.0" in clip

    assert cli("scan", media).code == 1  # records the comparison of every file
    out = tmp_path / "report"
    report = cli("report", "-o", out, "--edit", edl, "--media", media, "--rate", "25", "-j", "1")
    assert report.code in (0, 1), report.stderr
    html = (out / "refs-prod-genai-report.html").read_text()
    assert "Compared with the protected reference library" in html
    assert html.count(ref) >= 4  # both rows of the cue sheet and both near copies of the scan
    assert "flipped left to right" in html and "event 2 at 01:00:03:0" in html


def test_export_and_restore_keep_the_library_and_its_checks(
    production: Path, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = add_key_art(cli)
    made = copies(tmp_path)
    assert cli("refs", "remove", ref, "--reason", "superseded").code == 0
    ref = add_key_art(cli)  # the same file again, as a new reference
    code, before = similar(cli, made["flipped"])
    assert code == 1
    listed = json.loads(cli("refs", "list", "--removed", "--format", "json").stdout)
    export = tmp_path / "register.zip"
    assert cli("export", "-o", export).code == 0
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    monkeypatch.chdir(fresh)
    monkeypatch.setenv("CLEARANCE_DATABASE_URL", f"sqlite:///{fresh / 'register.db'}")
    monkeypatch.setenv("CLEARANCE_ATTACHMENTS", str(fresh / "attachments"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(fresh / "cache"))
    assert cli("init").code == 0
    assert cli("restore", export).code == 0, "restored and its trail verified"
    assert json.loads(cli("refs", "list", "--removed", "--format", "json").stdout) == listed
    code, after = similar(cli, made["flipped"])
    assert code == 1 and after["library"] == before["library"]
    assert after["files"][0]["matches"] == before["files"][0]["matches"]
    assert cli("audit", "verify").code == 0
