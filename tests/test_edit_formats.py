"""Every edit format against hand-computed expectations (tests/data/edits/expected.yaml):
EDLs at 23.976, 24, 25 and 29.97 DF/NDF, FCP7 XML (Premiere, 29.97 DF), FCPX XML, OTIO and
AAF — several video and audio tracks, transitions, speed changes, gaps — and the malformed
ones, which must fail with exit code 2 and the line where known."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from clearance.editorial.events import events
from clearance.editorial.read import read_edit
from clearance.manifest.errors import ManifestError
from tests.conftest import Run

EDITS = Path(__file__).parent / "data" / "edits"
EXPECTED: dict[str, Any] = yaml.safe_load((EDITS / "expected.yaml").read_text())
GOOD = sorted(EXPECTED["files"])
MALFORMED = EXPECTED["malformed"]
ENTITY_TRICKS = ("xxe.xml", "billion_laughs.fcpxml")


def _rate(name: str) -> str | None:
    return EXPECTED["files"][name]["rate"] if name.endswith(".edl") else None


@pytest.mark.parametrize("name", GOOD)
def test_edit_reads_with_the_expected_timebase(name: str) -> None:
    expected = EXPECTED["files"][name]
    edit = read_edit(EDITS / name, rate=_rate(name))
    assert edit.timebase.rate == _fraction(expected["rate"])
    assert edit.timebase.drop_frame is expected["drop_frame"]


@pytest.mark.parametrize("name", GOOD)
def test_edit_events_match_hand_computed_timecodes(name: str) -> None:
    expected = EXPECTED["files"][name]
    edit = read_edit(EDITS / name, rate=_rate(name))
    tb = edit.timebase
    got = sorted(
        (tb.timecode(e.record_in), tb.timecode(e.record_out), e.kind, e.clip, e.speed)
        for e in events(edit)
    )
    want = sorted(
        (c["record_in"], c["record_out"], c["track_kind"], c["name"], float(c["speed"]))
        for c in expected["clips"]
    )
    assert got == want
    first = min(e.record_in for e in events(edit))
    assert tb.timecode(first) == expected["start"]


@pytest.mark.parametrize("name", GOOD)
def test_every_named_file_is_among_the_event_hints(name: str) -> None:
    expected = EXPECTED["files"][name]
    edit = read_edit(EDITS / name, rate=_rate(name))
    hints: dict[tuple[str, str], set[str]] = {}
    for e in events(edit):
        names = {os.path.basename(h.text.replace("\\", "/")).casefold() for h in e.hints}
        hints.setdefault((e.clip, e.kind), set()).update(names)
    for clip in expected["clips"]:
        if clip["file"]:
            assert clip["file"].casefold() in hints[(clip["name"], clip["track_kind"])], clip


def test_edl_events_keep_their_numbers_and_channels_in_record_order() -> None:
    listed = events(read_edit(EDITS / "edl_2398_ndf.edl", rate="24000/1001"))
    assert [(e.number, e.track) for e in listed] == [  # read off the EDL by hand
        (1, "V1"), (2, "A1"), (2, "A2"), (3, "V1"), (4, "A1"), (5, "A2"),
        (6, "V1"), (7, "V1"), (8, "A1"), (8, "A2"), (9, "V1"),
    ]  # fmt: skip
    assert [e.record_in for e in listed] == sorted(e.record_in for e in listed)


@pytest.mark.parametrize("case", MALFORMED, ids=[m["file"] for m in MALFORMED])
def test_malformed_edits_fail_with_the_line(case: dict[str, Any]) -> None:
    path = EDITS / case["file"]
    with pytest.raises(ManifestError) as caught:
        read_edit(path, rate=24 if path.suffix == ".edl" else None)
    (error, *_) = caught.value.errors
    assert error.file == str(path)
    if case["file"] in ENTITY_TRICKS:  # refused at the declaration, before any parser uses it
        assert "declares entities" in error.message
    elif case["line"] is not None:
        assert error.line == case["line"], str(error)


@pytest.mark.parametrize("case", MALFORMED, ids=[m["file"] for m in MALFORMED])
def test_malformed_edits_exit_2_from_the_command(
    case: dict[str, Any], cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "sheet.json"
    run: Run = cli("cuesheet", EDITS / case["file"], "--media", tmp_path, "-o", out)
    assert run.code == 2, run.stdout + run.stderr
    assert case["file"] in run.stderr
    assert not out.exists()


def _fraction(text: str) -> Any:
    from fractions import Fraction

    return Fraction(text)
