"""A scan used as a delivery gate never passes over what it could not read (issue 11, items 2,
3 and 5): a folder it cannot list, a metadata block padded past the reading bound, a tree
too deep for recursion — each is reported, never a silent `no-ai-signal`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from tests.conftest import Run

Cli = Callable[..., Run]
EXE = Path(sys.executable).parent / "clearance"
A1111 = "a cat\nNegative prompt: x\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 64x64"
XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
    'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/'
    'trainedAlgorithmicMedia"/></rdf:RDF></x:xmpmeta>'
)
MiB = 1024 * 1024


def _scan(cli: Cli, root: Path) -> dict[str, dict[str, object]]:
    run = cli("scan", root, "--format", "json", "--no-cache", "--jobs", "1")
    assert run.code in (0, 1), run.stderr
    return {f["path"]: f for f in json.loads(run.stdout)["files"]}


def test_metadata_padded_past_the_bound_is_unreadable_not_clean(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLEARANCE_DATABASE_URL", raising=False)
    tree = tmp_path / "t"
    tree.mkdir()
    for name, padding in (("padded-20mb.png", 20 * MiB), ("padded-1mb.png", MiB)):
        info = PngImagePlugin.PngInfo()
        info.add_text("parameters", A1111 + " " * padding)
        Image.new("RGB", (64, 64)).save(tree / name, pnginfo=info)
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", XMP + " " * (20 * MiB))
    Image.new("RGB", (64, 64)).save(tree / "xmp-20mb.png", pnginfo=info)
    found = _scan(cli, tree)
    assert found["padded-1mb.png"]["verdict"] == "ai-generated"  # within the bound: read
    for name in ("padded-20mb.png", "xmp-20mb.png"):
        assert found[name]["verdict"] == "unreadable", found[name]
        assert found[name]["verdict_rule"] == "R14"
        assert "larger than the reading bound" in str(found[name]["reason"])


def test_a_tree_too_deep_for_recursion_is_walked_whole(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLEARANCE_DATABASE_URL", raising=False)
    deep = tmp_path / "t"
    deep.mkdir()
    (deep / "top.txt").write_text("plain")
    levels = [deep]
    try:  # built and removed one level at a time: pytest's own clean-up would recurse too deep
        for _ in range(1500):
            (levels[-1] / "d").mkdir()
            levels.append(levels[-1] / "d")
        info = PngImagePlugin.PngInfo()
        info.add_text("parameters", A1111)
        Image.new("RGB", (8, 8)).save(levels[-1] / "bottom.png", pnginfo=info)
        found = _scan(cli, deep)  # the JSON parses: it was not cut off
    finally:
        (levels[-1] / "bottom.png").unlink(missing_ok=True)
        for level in reversed(levels[1:]):
            level.rmdir()
    bottom = [p for p in found if p.endswith("bottom.png")]
    assert len(bottom) == 1 and found[bottom[0]]["verdict"] == "ai-generated"
    assert "top.txt" in found


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="drops root's permission override with setpriv (util-linux) to make a folder unreadable",
)
def test_a_folder_that_cannot_be_listed_is_reported_unreadable(tmp_path: Path) -> None:
    tree = tmp_path / "t"
    (tree / "sub").mkdir(parents=True)
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111)
    Image.new("RGB", (8, 8)).save(tree / "sub" / "hidden.png", pnginfo=info)
    (tree / "visible.txt").write_text("plain")
    (tree / "sub").chmod(0)
    env = {k: v for k, v in os.environ.items() if k != "CLEARANCE_DATABASE_URL"}
    try:  # as root without the capabilities that bypass file permissions, like a user
        done = subprocess.run(
            ["setpriv", "--bounding-set=-dac_override,-dac_read_search",
             str(EXE), "scan", str(tree), "--format", "json", "--no-cache", "--jobs", "1"],
            capture_output=True, text=True, env=env, cwd=tmp_path, check=False, timeout=120,
        )  # fmt: skip
    finally:
        (tree / "sub").chmod(0o755)
    assert done.returncode in (0, 1), done.stderr
    found = {f["path"]: f for f in json.loads(done.stdout)["files"]}
    assert found["sub"]["verdict"] == "unreadable"
    assert "cannot list this folder" in str(found["sub"]["reason"])
    assert "visible.txt" in found
