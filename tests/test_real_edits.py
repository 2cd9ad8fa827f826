"""Real edits nobody on this project wrote (``../shared/external/edits``, or where
CLEARANCE_EXTERNAL_EDITS points; see its ``sources.md``): each file's event count, events per
track and first/last record timecode, pinned to values read with a second reader or by hand —
never from this tool's output:

* EDLs: pycmx 1.5.1 (``parse_cmx3600``), counting each non-black edit line per channel with a
  record length, the outgoing side of a dissolve/wipe kept on screen until it ends. Where pycmx
  misreads a file the value is by hand, and the test says why.
* FCP7 XML: the ``<start>``/``<end>`` of enabled ``clipitem``s on enabled tracks, read with
  ElementTree (Premiere's exploded stereo pairs counted once, nested sequences by their clips).
* FCPXML: by hand from the project's spine (rational seconds added up; see the comment).
* AAF: pyaaf2 (the top-level composition's slots — Avid's video tracks are the layers of a
  NestedScope — and its timecode track's start and drop flag).
* OTIO: the JSON read as plain data (item durations summed along each track).

Then every file through the command: no traceback, nothing on stderr but our own lines.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from clearance.editorial.events import events
from clearance.editorial.read import read_edit
from clearance.manifest.errors import ManifestError
from tests.conftest import Run
from tests.support import ROOT

EDITS = Path(os.environ.get("CLEARANCE_EXTERNAL_EDITS") or ROOT.parent / "shared/external/edits")
if not (EDITS / "sources.md").is_file():
    pytest.skip(
        f"the external edits are not at {EDITS} (set CLEARANCE_EXTERNAL_EDITS)",
        allow_module_level=True,
    )

# file: (rate given or None, events, events per track, first record in, last record out)
EXPECTED: dict[str, tuple[str | None, int, dict[str, int], str, str]] = {
    # -- CMX 3600 EDLs ----------------------------------------------------------------------
    # 25 fps: frames run to 24, so the rate is given (an EDL does not state it).
    "otio-cmx3600-adapter/25fps.edl": ("25", 4, {"V1": 4}, "00:00:00:00", "00:00:19:21"),
    "otio-cmx3600-adapter/avid_example.edl": (None, 2, {"V1": 2}, "00:59:53:11", "00:59:56:20"),
    # pycmx drops event 001 (an event line right after FCM); by hand it is 01:04:11:17–12:23.
    # Event 060 keeps its number; dissolves 003 and 004 come out of 002 and 003.
    "otio-cmx3600-adapter/dissolve_test_4.edl": (
        None,
        6,
        {"V1": 6},
        "01:04:11:17",
        "01:04:31:14",
    ),
    "otio-cmx3600-adapter/gap_test.edl": (None, 3, {"V1": 3}, "00:00:00:00", "00:00:05:06"),
    # AA plus an ``AUD 3`` line: channels 1, 2 and 3 (pycmx ignores AUD).
    "otio-cmx3600-adapter/multi_audio.edl": (
        None,
        3,
        {"A1": 1, "A2": 1, "A3": 1},
        "00:00:00:00",
        "00:56:55:22",
    ),
    "otio-cmx3600-adapter/nucoda_example.edl": (
        None,
        2,
        {"V1": 2},
        "00:59:53:11",
        "00:59:56:20",
    ),
    "otio-cmx3600-adapter/premiere_example.edl": (
        None,
        2,
        {"V1": 2},
        "00:59:53:11",
        "00:59:56:20",
    ),
    "otio-cmx3600-adapter/screening_example.edl": (
        None,
        9,
        {"V1": 9},
        "00:59:53:11",
        "01:00:37:04",
    ),
    "otio-cmx3600-adapter/speed_effects.edl": (
        None,
        548,
        {"V1": 548},
        "01:00:00:00",
        "01:21:03:18",
    ),
    "otio-cmx3600-adapter/speed_effects_small.edl": (
        None,
        5,
        {"V1": 5},
        "01:00:00:00",
        "01:11:33:04",
    ),
    # pycmx drops event 001 here too (by hand: 01:00:48:20–01:00:53:06).
    "otio-cmx3600-adapter/transition_duration.edl": (
        None,
        4,
        {"V1": 4},
        "01:00:48:20",
        "01:01:05:20",
    ),
    # pycmx does not read ``W001``; by hand: clip_A 00–19 (until the wipe ends), clip_B 09–19
    # (the wipe's incoming side), clip_B again 19–20.
    "otio-cmx3600-adapter/wipe_test.edl": (None, 3, {"V1": 3}, "01:00:00:00", "01:00:00:20"),
    "pycmx/INS4_R1_010417.edl": (None, 287, {"V1": 287}, "01:00:00:00", "01:19:18:13"),
    # Audio sources with no timecode (00:00:00:00 both ends): read from the record side.
    "pycmx/INS4_R1_DX_092117.edl": (
        None,
        466,
        {"A1": 325, "A2": 92, "A3": 49},
        "01:00:00:00",
        "01:18:14:13",
    ),
    "pycmx/INS4_R4_DX_092117.edl": (
        None,
        575,
        {"A1": 448, "A2": 78, "A3": 49},
        "04:00:00:00",
        "04:22:48:14",
    ),
    "pycmx/ISSUE_14_conform_edl_issue_03.edl": (
        None,
        42,
        {"V1": 42},
        "01:00:20:23",
        "01:12:23:19",
    ),
    # pycmx reads no events from this one (four-digit event numbers); by hand: 38 V cuts.
    "pycmx/ISSUE_19_unusual01.edl": (None, 38, {"V1": 38}, "00:00:00:00", "00:02:51:09"),
    "pycmx/STP_R1_v082517.edl": (None, 250, {"V1": 250}, "01:00:00:00", "01:16:57:20"),
    # Premiere audio EDL: A7, A11, A12 keep their numbers; fades from black start channels.
    "pycmx/TEST.edl": (
        None,
        119,
        {"A1": 34, "A2": 11, "A5": 1, "A7": 25, "A8": 4, "A10": 8, "A11": 13, "A12": 23},
        "01:00:00:00",
        "01:16:55:17",
    ),
    # A 48 fps clip without its M2 line (event 061): read from the record side.
    "pycmx/ToD_R4_LOCK3.1_030618_Video.edl": (
        None,
        376,
        {"V1": 376},
        "04:00:00:00",
        "04:20:12:01",
    ),
    "pycmx/cdl_example01.edl": (None, 39, {"V1": 39}, "02:13:08:12", "02:14:52:08"),
    "pycmx/cdl_frmc_example02.edl": (None, 25, {"V1": 25}, "01:00:00:00", "01:04:43:04"),
    # -- FCP7 XML ---------------------------------------------------------------------------
    # Disabled clips (4) and the disabled V3 are not in the cut; A1/A2 and A3/A4 are pairs.
    "otio-fcp-adapter/premiere_enable_property.xml": (
        None,
        7,
        {"V1": 2, "V2": 1, "A1": 3, "A2": 1},
        "00:00:00:00",
        "00:00:10:06",
    ),
    # V1 33 clips (a Grey generator is not); V2 23 clips + a nested sequence showing 2 layers;
    # V3's clips are disabled but for a Graphic (a title); V4–V12 are disabled; A1/A2 a pair.
    "otio-fcp-adapter/empty_name_tags.xml": (
        None,
        91,
        {"V1": 33, "V2": 25, "A1": 33},
        "00:00:00:15",
        "00:02:26:13",
    ),
    # Nested sequence-2 (defined on V2, referred to by id on A3/A4) shows its clips; test_title
    # on V3 is a title; A7's second clip starts at 1164 as the XML says (overlapping 13 frames).
    "otio-fcp-adapter/premiere_example.xml": (
        None,
        15,
        {"V1": 1, "V2": 5, "V4": 2, "A1": 2, "A2": 2, "A3": 1, "A4": 2},
        "00:00:00:13",
        "00:00:41:28",
    ),
    "otio-fcp-adapter/hiero_xml_export.xml": (None, 2, {"V1": 2}, "01:00:00:14", "01:00:55:04"),
    # Counting leader, black video, a colour matte, bars, transparent video, a graphic: all
    # generators, so the cut has no events.
    "otio-fcp-adapter/premiere_generators.xml": (None, 0, {}, "", ""),
    # -- FCPXML -----------------------------------------------------------------------------
    # By hand from the project's spine (30 fps, tcStart 0): IMG_0715 0–10.5 s (a dissolve into
    # the gap after it), connected clips on lanes 1 and 2 (V2, V3) and -1 (A1), a secondary
    # storyline on lane 1 (IMG_0268 50–60, IMG_0740 59–69 around its dissolve), a compound
    # clip at 80 s from its 3.633 s (IMG_0233 and its audio, IMG_0268 and its audio, all on
    # the compound's own lane), spine clips 110–140 s, and a video-only compound at 140 s with
    # its audio-only twin on lane -1 (to the sequence's end, 150.016 s → 00:02:30:00).
    "otio-fcpx-xml-adapter/fcpx_project.fcpxml": (
        None,
        19,
        {"V1": 7, "V2": 3, "V3": 1, "A1": 8},
        "00:00:00:00",
        "00:02:30:00",
    ),
    # -- AAF --------------------------------------------------------------------------------
    # Timecode track: start 539460 at 30, drop True → 05:00:00;00 (was read as 04:59:42:00).
    "otio-aaf-adapter/2997fps-DFTC.aaf": (
        None,
        7,
        {"V1": 1, "A1": 1, "A2": 1, "A3": 1, "A4": 1, "A5": 1, "A6": 1},
        "05:00:00;00",
        "05:01:39;21",
    ),
    "otio-aaf-adapter/30fps.aaf": (
        None,
        6,
        {"V1": 2, "A1": 2, "A2": 2},
        "01:00:00:00",
        "01:00:05:08",
    ),
    "otio-aaf-adapter/simple.aaf": (
        None,
        15,
        {"V1": 5, "A1": 5, "A2": 5},
        "01:00:00:00",
        "01:02:16:18",
    ),
    # pyaaf2: each slot's sequence (an OperationGroup's own length on the record side).
    "otio-aaf-adapter/misc_speed_effects.aaf": (
        None,
        10,
        {"V1": 10},
        "01:00:00:00",
        "01:00:03:16",
    ),
    "otio-aaf-adapter/time_warp_test.avid_media_composer.aaf": (
        None,
        127,
        {"V1": 75, "A1": 52},
        "01:00:00:00",
        "01:02:33:19",
    ),
    "otio-aaf-adapter/transitions.aaf": (
        None,
        12,
        {"V1": 4, "A1": 4, "A2": 4},
        "01:00:00:00",
        "01:00:21:17",
    ),
    "otio-aaf-adapter/trims.aaf": (
        None,
        15,
        {"V1": 5, "A1": 5, "A2": 5},
        "01:00:00:00",
        "01:01:56:13",
    ),
    # Avid's video tracks are the layers of a NestedScope in the picture slot.
    "otio-aaf-adapter/multitrack.aaf": (
        None,
        21,
        {"V1": 3, "V2": 1, "V3": 1, "A1": 8, "A2": 8},
        "01:00:00:00",
        "01:02:16:18",
    ),
    "otio-aaf-adapter/composite.aaf": (
        None,
        5,
        {"V1": 3, "V2": 1, "A1": 1},
        "01:00:00:00",
        "01:00:07:07",
    ),
    # Layers V1, V2 (speed effects) and V4; the sequence is 2,275 frames.
    "otio-aaf-adapter/keyframed_properties.aaf": (
        None,
        30,
        {"V1": 10, "V2": 8, "V4": 12},
        "01:00:00:00",
        "01:01:34:19",
    ),
    # A Submaster (OperationGroup over three layered sequences, 33 frames) between three clips:
    # its 3 + 1 + 1 clips, each where its layer's ScopeReference fills put it.
    "otio-aaf-adapter/nested_stack.aaf": (None, 8, {"V1": 8}, "01:00:00:00", "01:00:02:17"),
    # Its one clip is muted (a Selector in the picture slot): nothing is in the cut.
    "otio-aaf-adapter/test_muted_clip.aaf": (None, 0, {}, "", ""),
    # -- OTIO JSON --------------------------------------------------------------------------
    # A transition at each end of the track: nothing before frame 0 or after 150.
    "OpenTimelineIO/transition_test.otio": (
        None,
        3,
        {"V1": 3},
        "00:00:00:00",
        "00:00:06:06",
    ),
    "OpenTimelineIO/multitrack.otio": (
        None,
        5,
        {"V1": 3, "V2": 1, "V3": 1},
        "00:00:00:00",
        "00:01:51:13",
    ),
    "OpenTimelineIO/effects.otio": (
        None,
        31,
        {
            "V1": 13,
            "V2": 1,
            "V5": 4,
            "A2": 2,
            "A3": 1,
            "A5": 6,
            "A7": 1,
            "A8": 1,
            "A10": 1,
            "A11": 1,
        },
        "01:00:00:00",
        "01:00:46:21",
    ),
    # Converted from screening_example.edl (same cut; pycmx: 9 events, same timecodes).
    "OpenTimelineIO/screening_example.otio": (
        None,
        9,
        {"V1": 9},
        "00:59:53:11",
        "01:00:37:04",
    ),
    # 4 clips and 3 nests (two stacks, a track), each showing one clip: 0–636 frames.
    "OpenTimelineIO/nested_example.otio": (None, 7, {"V1": 7}, "00:00:00:00", "00:00:26:12"),
    # Gap 8, clip 3, then a dissolve out 1 frame into the gap: on screen 8–12.
    "OpenTimelineIO/clip_example.otio": (None, 1, {"V1": 1}, "00:00:00:08", "00:00:00:12"),
}

#: Real edits that are refused, and what the message must say.
REFUSED = {
    "otio-fcpx-xml-adapter/fcpx_clips.fcpxml": "no sequence",  # a clip library, not a cut
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_edit_reads_as_a_second_reader_does(name: str) -> None:
    rate, count, tracks, first, last = EXPECTED[name]
    edit = read_edit(EDITS / name, rate=rate)
    listed = events(edit)
    tb = edit.timebase
    assert len(listed) == count
    assert dict(Counter(e.track for e in listed)) == tracks
    if listed:
        assert tb.timecode(min(e.record_in for e in listed)) == first
        assert tb.timecode(max(e.record_out for e in listed)) == last
    assert all(e.record_out > e.record_in for e in listed)


def test_edl_event_numbers_and_channels_are_the_edls_own() -> None:
    listed = events(read_edit(EDITS / "otio-cmx3600-adapter/dissolve_test_4.edl"))
    assert [e.number for e in listed] == [1, 2, 3, 4, 5, 60]
    tb = read_edit(EDITS / "otio-cmx3600-adapter/dissolve_test_4.edl").timebase
    shown = [(tb.timecode(e.record_in), tb.timecode(e.record_out), e.transition) for e in listed]
    assert shown[1:4] == [  # 002 stays until 003's dissolve (35 f) ends, and so on
        ("01:04:12:23", "01:04:16:13", ""),
        ("01:04:15:02", "01:04:21:03", "dissolve 35f"),
        ("01:04:18:11", "01:04:21:23", "dissolve 64f"),
    ]
    test = {e.number: e.track for e in events(read_edit(EDITS / "pycmx/TEST.edl"))}
    assert [test[n] for n in (1, 2, 3, 4, 5)] == ["A2", "A1", "A7", "A11", "A12"]  # lines 3–18


def test_source_side_problems_are_warnings_on_the_event() -> None:
    dx = events(read_edit(EDITS / "pycmx/INS4_R1_DX_092117.edl"))
    leader = dx[0]
    assert leader.clip == "FKI_LEADER_HEAD_1920X1080.MOV" and leader.frames == 192
    assert "source has no timecode" in leader.warnings[0]
    tod = events(read_edit(EDITS / "pycmx/ToD_R4_LOCK3.1_030618_Video.edl"))
    (clip,) = [e for e in tod if e.number == 61]
    assert clip.frames == 13 and clip.source_out - clip.source_in == 25
    assert "no M2 line" in clip.warnings[0]


def test_an_overlapping_premiere_audio_clip_stays_where_the_xml_puts_it() -> None:
    edit = read_edit(EDITS / "otio-fcp-adapter/premiere_example.xml")
    a4 = sorted((e.record_in, e.record_out) for e in events(edit) if e.track == "A4")
    assert a4 == [(956, 1177), (1164, 1258)]  # clipitem-23/25 and -24/-26, <start>/<end>


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_files_that_are_not_a_cut_are_refused_with_a_reason(name: str) -> None:
    with pytest.raises(ManifestError, match=REFUSED[name]):
        read_edit(EDITS / name)


def test_an_edl_past_24_frames_asks_for_its_rate() -> None:
    with pytest.raises(ManifestError) as caught:
        read_edit(EDITS / "otio-cmx3600-adapter/25fps.edl")
    (error,) = caught.value.errors
    assert error.line == 13 and "give --rate" in error.message


def _all() -> list[str]:
    suffixes = {".edl", ".xml", ".aaf", ".otio", ".fcpxml"}
    return sorted(
        str(p.relative_to(EDITS)) for p in EDITS.rglob("*") if p.suffix.lower() in suffixes
    )


@pytest.mark.parametrize("name", _all())
def test_every_real_edit_runs_through_the_command_cleanly(
    name: str, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLEARANCE_DATABASE_URL", raising=False)
    rate = ["--rate", EXPECTED[name][0]] if name in EXPECTED and EXPECTED[name][0] else []
    out = tmp_path / "sheet.json"
    run: Run = cli("cuesheet", EDITS / name, "--media", tmp_path, "-o", out, "--no-cache", *rate)
    assert "Traceback" not in run.stderr and "WARNING" not in run.stderr, run.stderr
    if name in REFUSED:
        assert run.code == 2 and not out.exists()
    else:
        assert run.code == 0, run.stderr
        assert out.exists()


def test_the_cue_sheet_carries_the_events_warnings(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A source side that does not add up reaches the cue sheet (here every event's media is
    missing, so the Missing media list carries speed, transition and the warning)."""
    import json

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLEARANCE_DATABASE_URL", raising=False)
    out = tmp_path / "sheet.json"
    edl = EDITS / "pycmx/ToD_R4_LOCK3.1_030618_Video.edl"
    run: Run = cli("cuesheet", edl, "--media", tmp_path, "-o", out, "--no-cache")
    assert run.code == 0, run.stderr
    missing = {m["event"]: m for m in json.loads(out.read_text())["missing"]}
    assert missing[61]["record_in"] == "04:03:49:10" and missing[61]["record_out"] == "04:03:49:23"
    assert "no M2 line" in missing[61]["warnings"][0]
    assert {"speed", "transition"} <= set(missing[61])
