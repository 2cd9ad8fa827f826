"""Editorial core: timecode, reading edits (and refusing bad ones), events, media index and
resolution. Format-by-format fixtures are in test_edit_formats.py."""

from __future__ import annotations

import os
import textwrap
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from clearance.editorial.events import Event, Hint, events, url_path
from clearance.editorial.media import MediaIndex
from clearance.editorial.read import read_edit
from clearance.editorial.resolve import Resolver, Rule, load_rules
from clearance.editorial.timecode import Timebase, exact_rate
from clearance.manifest.errors import ManifestError

EDL = """\
TITLE: NEON HARBOR 101 LOCK
FCM: NON-DROP FRAME

001  A001C003 V     C        10:00:00:00 10:00:04:00 01:00:00:00 01:00:04:00
* FROM CLIP NAME: A001C003_plate.jpg
002  AX       V     C        00:00:00:00 00:00:03:00 01:00:04:00 01:00:07:00
* FROM CLIP NAME: lantern_street_signage_v3.png
* SOURCE FILE: /Volumes/VFX/ep101/lantern_street_signage_v3.png
003  BL       V     C        00:00:00:00 00:00:00:00 01:00:07:00 01:00:07:00
003  B003     V     D    012 00:00:20:00 00:00:23:00 01:00:07:00 01:00:10:00
* TO CLIP NAME: harbor_wide.mov
004  AX       V     C        00:00:00:00 00:00:04:00 01:00:12:00 01:00:14:00
M2   AX       048.0                00:00:00:00
* FROM CLIP NAME: slowmo_waves.mov
005  AX       A     C        00:00:00:00 00:00:05:00 01:00:00:00 01:00:05:00
* FROM CLIP NAME: score_v2.wav
"""


def _edl(tmp_path: Path, text: str = EDL, name: str = "cut.edl") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# -- timecode --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "exact"),
    [
        (23.976, Fraction(24000, 1001)),
        ("24000/1001", Fraction(24000, 1001)),
        ("23.976", Fraction(24000, 1001)),
        (29.97, Fraction(30000, 1001)),
        (59.94, Fraction(60000, 1001)),
        (24, Fraction(24)),
        ("25", Fraction(25)),
    ],
)
def test_rates_snap_to_exact_ntsc_values(given: float | str, exact: Fraction) -> None:
    assert exact_rate(given) == exact


@pytest.mark.parametrize("bad", [0, -24, "fast", "1/0"])
def test_bad_rates_are_refused(bad: float | str) -> None:
    with pytest.raises(ValueError, match="expected a frame rate"):
        exact_rate(bad)


def test_drop_frame_skips_two_frame_numbers_each_minute_except_tenths() -> None:
    df = Timebase(Fraction(30000, 1001), drop_frame=True)
    assert df.timecode(df.frames("00:00:59;29") + 1) == "00:01:00;02"
    assert df.timecode(df.frames("00:09:59;29") + 1) == "00:10:00;00"  # every tenth minute kept
    assert df.frames("01:00:00;00") == 107892  # an hour of DF is 107,892 frames
    ndf = Timebase(Fraction(30000, 1001))
    assert ndf.frames("01:00:00:00") == 108000
    assert ndf.timecode(108000) == "01:00:00:00"
    assert df.label == "29.97 DF" and ndf.label == "29.97 NDF"


def test_timecodes_count_hours_past_a_day() -> None:
    tb = Timebase(Fraction(24))
    assert tb.timecode(25 * 3600 * 24) == "25:00:00:00"
    assert tb.duration(25 * 3600 * 24 + 12) == "25:00:00:12"
    df = Timebase(Fraction(30000, 1001), drop_frame=True)
    assert df.timecode(df.frames("23:59:59;29") + 1) == "24:00:00;00"
    assert df.timecode(107892 * 30 + df.frames("00:01:00;02")) == "30:01:00;02"


def test_drop_frame_only_at_ntsc_thirty_and_sixty() -> None:
    with pytest.raises(ValueError, match="drop-frame"):
        Timebase(Fraction(25), drop_frame=True)


# -- reading EDLs ---------------------------------------------------------------------------


def test_edl_events_keep_record_timecode_tracks_transitions_speed_and_hints(
    tmp_path: Path,
) -> None:
    edit = read_edit(_edl(tmp_path), rate=24)
    listed = events(edit)
    tb = edit.timebase
    shown = [
        (e.number, e.track, tb.timecode(e.record_in), tb.timecode(e.record_out)) for e in listed
    ]
    assert shown == [  # the EDL's own event numbers, in record order
        (1, "V1", "01:00:00:00", "01:00:04:00"),
        (5, "A1", "01:00:00:00", "01:00:05:00"),
        (2, "V1", "01:00:04:00", "01:00:07:00"),  # 003 dissolves from black (BL), not from it
        (3, "V1", "01:00:07:00", "01:00:10:00"),
        (4, "V1", "01:00:12:00", "01:00:14:00"),
    ]
    by_clip = {e.clip: e for e in listed}
    assert by_clip["A001C003_plate.jpg"].reel == "A001C003"
    assert by_clip["harbor_wide.mov"].transition == "dissolve 12f"
    assert by_clip["slowmo_waves.mov"].speed == 2.0
    assert by_clip["lantern_street_signage_v3.png"].hints[0] == Hint(
        "/Volumes/VFX/ep101/lantern_street_signage_v3.png", "comment"
    )
    assert by_clip["score_v2.wav"].kind == "audio"


def test_edl_drop_frame_flag_is_read_from_fcm(tmp_path: Path) -> None:
    text = textwrap.dedent("""\
        TITLE: DF
        FCM: DROP FRAME
        001  AX       V     C        00:00:00;00 00:00:10;00 01:00:59;28 01:01:10;00
        * FROM CLIP NAME: a.mov
        """)
    edit = read_edit(_edl(tmp_path, text), rate=29.97)
    assert edit.timebase.label == "29.97 DF"
    (event,) = events(edit)
    assert edit.timebase.timecode(event.record_in) == "01:00:59;28"
    assert event.frames == 300  # 01:00:59;28 + 300 frames skips ;00 and ;01 of minute 1
    assert edit.timebase.timecode(event.record_out) == "01:01:10;00"
    forced = read_edit(_edl(tmp_path, text), rate=29.97, drop_frame=False)
    assert forced.timebase.label == "29.97 NDF"
    stated = read_edit(_edl(tmp_path, text))  # drop-frame exists only at 29.97 (and 59.94)
    assert stated.timebase.label == "29.97 DF"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "001  AX       V     C        00:00:00:00 00:00:01:00 01:00:00:00 01:00:0X:00",
            "cut.edl:4: record out: expected a timecode HH:MM:SS:FF, got '01:00:0X:00'",
        ),
        ("001  AX  V", "cut.edl:4: expected an event: number, reel, channel, transition"),
        (
            "001  AX       V     C        00:00:00:00 00:00:01:00 01:00:01:00 01:00:00:00",
            "cut.edl:4: record out: record out 01:00:00:00 is before record in 01:00:01:00",
        ),
        (
            "001  AX       Q     C        00:00:00:00 00:00:01:00 01:00:00:00 01:00:01:00",
            "cut.edl:4: channel: expected a channel (V, A, A2 … AA, A/V, B), got 'Q'",
        ),
    ],
)
def test_malformed_edl_lines_name_the_line(tmp_path: Path, line: str, expected: str) -> None:
    text = f"TITLE: BAD\nFCM: NON-DROP FRAME\n\n{line}\n"
    with pytest.raises(ManifestError) as caught:
        read_edit(_edl(tmp_path, text), rate=24)
    assert str(caught.value).replace(str(tmp_path) + os.sep, "").startswith(expected)


def test_binary_and_unknown_files_are_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.edl"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    with pytest.raises(ManifestError, match="binary"):
        read_edit(junk)
    other = tmp_path / "cut.docx"
    other.write_text("x")
    with pytest.raises(ManifestError, match=r"expected an edit \(\.aaf, \.edl"):
        read_edit(other)


def test_xml_with_entities_is_refused_before_the_adapter(tmp_path: Path) -> None:
    xxe = tmp_path / "xxe.xml"
    xxe.write_text(
        '<?xml version="1.0"?><!DOCTYPE xmeml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<xmeml version='4'><sequence><name>&x;</name></sequence></xmeml>"
    )
    with pytest.raises(ManifestError, match="declares entities"):
        read_edit(xxe)
    broken = tmp_path / "broken.xml"
    broken.write_text("<?xml version='1.0'?>\n<xmeml version='4'>\n<sequence><name>x</name>\n")
    with pytest.raises(ManifestError, match=r"broken\.xml:4: malformed XML"):
        read_edit(broken)


def test_otio_edit_without_start_takes_start_option(tmp_path: Path) -> None:
    timeline = otio.schema.Timeline(name="no start")
    track = otio.schema.Track(name="V")
    clip = otio.schema.Clip(
        name="shot",
        media_reference=otio.schema.ExternalReference(target_url="file:///media/shot%201.mov"),
        source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, 25), otio.opentime.RationalTime(50, 25)
        ),
    )
    track.append(clip)
    timeline.tracks.append(track)
    path = tmp_path / "cut.otio"
    otio.adapters.write_to_file(timeline, str(path))
    (event,) = events(read_edit(path, start="10:00:00:00"))
    assert (event.record_in, event.record_out) == (900000, 900050)
    assert event.hints[0] == Hint("/media/shot 1.mov", "path")
    with pytest.raises(ManifestError, match="start"):
        read_edit(path, start="ten o'clock")


def test_url_path() -> None:
    assert url_path("file://localhost/Volumes/A%20B/x.mov") == "/Volumes/A B/x.mov"
    assert url_path("file:///C:/media/x.mov") == "/C:/media/x.mov"
    assert url_path("file://localhost/Volumes/shot%231.mov") == "/Volumes/shot#1.mov"
    assert url_path("C:\\Media\\shot#1.mov") == "C:\\Media\\shot#1.mov"
    assert url_path("/Volumes/what?.mov") == "/Volumes/what?.mov"
    assert url_path("x.mov") == "x.mov"


# -- media index and resolution -------------------------------------------------------------


def _tree(tmp_path: Path, names: list[str]) -> Path:
    root = tmp_path / "media"
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    return root


def _event(clip: str = "", reel: str = "", hints: tuple[str, ...] = ()) -> Event:
    found = tuple(Hint(h, "path" if "/" in h else "clip name") for h in hints or (clip,) if h)
    return Event(1, "V1", "video", 0, 24, clip, reel, 0, 24, 1.0, "", found)


def test_resolution_order_and_sequences(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        [
            "ep101/vfx/NH101_0420_comp_v003.exr",
            "ep102/vfx/NH101_0420_comp_v003.exr",
            "plates/A001C003.mov",
            "seq/NH101_0500_comp.1001.exr",
            "seq/NH101_0500_comp.1002.exr",
            "Score_V2.WAV",
        ],
    )
    resolver = Resolver(MediaIndex([root]))
    path_hint = _event(hints=("/Volumes/VFX/ep102/vfx/NH101_0420_comp_v003.exr",))
    found = resolver.resolve(path_hint)
    assert found.path and found.path.endswith("ep102/vfx/NH101_0420_comp_v003.exr")
    assert found.how == "path"
    ambiguous = resolver.resolve(_event("NH101_0420_comp_v003.exr"))
    assert ambiguous.path is None and ambiguous.problem.startswith("ambiguous: 2 files")
    reel = resolver.resolve(_event(clip="", reel="A001C003", hints=()))
    assert reel.how == "reel" and reel.path and reel.path.endswith("A001C003.mov")
    sequence = resolver.resolve(_event("NH101_0500_comp.[1001-1002].exr"))
    assert sequence.path and "NH101_0500_comp.100" in sequence.path
    assert resolver.resolve(_event("score_v2.wav")).path  # case-insensitive
    missing = resolver.resolve(_event("nowhere.mov"))
    assert missing.path is None and missing.problem.startswith("missing media")


def test_rules_come_first_and_may_glob(tmp_path: Path) -> None:
    root = _tree(tmp_path, ["vfx/NH101_0420_comp_v002.exr", "vfx/NH101_0420_comp_v003.exr"])
    rules = [
        Rule.model_validate(
            {"from": "clip", "match": r"^(?P<shot>NH\d+_\d+)", "file": "{shot}_comp_v003.*"}
        )
    ]
    found = Resolver(MediaIndex([root]), rules).resolve(_event("NH101_0420 temp"))
    assert found.path and found.path.endswith("v003.exr") and found.how == "rule 1"
    glob_both = [Rule.model_validate({"from": "clip", "match": r"^(\S+)", "file": "{0}_comp_v*"})]
    both = Resolver(MediaIndex([root]), glob_both).resolve(_event("NH101_0420"))
    assert both.path is None and "ambiguous: 2 files" in both.problem


def test_rules_file_errors_name_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - from: clip\n    match: '(['\n    file: x\n  - from: bin\n")
    with pytest.raises(ManifestError) as caught:
        load_rules(path)
    text = str(caught.value)
    assert "rules.yaml:3: rules.0.match" in text and "not a regular expression" in text
    assert "rules.1.from" in text


# -- regressions found in review ---------------------------------------------------------------


def test_dissolve_incoming_clip_names_its_own_file(tmp_path: Path) -> None:
    """Avid writes both sides' SOURCE FILE comments under a dissolve; the adapter builds the
    incoming clip's reference from the outgoing side. The incoming clip must name its own."""
    text = textwrap.dedent("""\
        TITLE: DISSOLVE
        FCM: NON-DROP FRAME
        001  A007C001 V     C        00:00:00:00 00:00:04:00 01:00:00:00 01:00:04:00
        * FROM CLIP NAME: plate_a.mov
        * SOURCE FILE: /Volumes/CAM/plate_a.mov
        002  A007C001 V     C        00:00:04:00 00:00:04:00 01:00:04:00 01:00:04:00
        002  A007C003 V     D    010 00:00:00:00 00:00:04:00 01:00:04:00 01:00:08:00
        * FROM CLIP NAME: plate_a.mov
        * SOURCE FILE: /Volumes/CAM/plate_a.mov
        * TO CLIP NAME: genai_sky.png
        * SOURCE FILE: /Volumes/VFX/genai_sky.png
        """)
    edit = read_edit(_edl(tmp_path, text), rate=25)
    incoming = next(e for e in events(edit) if e.transition)
    assert incoming.clip == "genai_sky.png"
    root = _tree(tmp_path, ["plate_a.mov", "genai_sky.png"])
    found = Resolver(MediaIndex([root])).resolve(incoming)
    assert found.path and found.path.endswith("genai_sky.png")


def test_nested_sequence_shows_only_what_its_trim_shows(tmp_path: Path) -> None:
    def clip(name: str, frames: int) -> otio.schema.Clip:
        return otio.schema.Clip(
            name=name,
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(frames, 24)
            ),
        )

    inner = otio.schema.Stack(name="compound")
    lane = otio.schema.Track()
    for name in ("X", "Y", "Z"):
        lane.append(clip(name, 100))
    inner.append(lane)
    inner.source_range = otio.opentime.TimeRange(
        otio.opentime.RationalTime(50, 24), otio.opentime.RationalTime(100, 24)
    )
    track = otio.schema.Track()
    track.extend([clip("LEAD", 24), inner, clip("TAIL", 24)])
    timeline = otio.schema.Timeline()
    timeline.tracks.append(track)
    timeline.global_start_time = otio.opentime.RationalTime(86400, 24)
    path = tmp_path / "nested.otio"
    otio.adapters.write_to_file(timeline, str(path))
    edit = read_edit(path)
    tb = edit.timebase
    shown = [(e.clip, tb.timecode(e.record_in), tb.timecode(e.record_out)) for e in events(edit)]
    assert shown == [
        ("LEAD", "01:00:00:00", "01:00:01:00"),
        ("X", "01:00:01:00", "01:00:03:02"),
        ("Y", "01:00:03:02", "01:00:05:04"),
        ("TAIL", "01:00:05:04", "01:00:06:04"),
    ]


def test_start_option_places_the_first_event_in_the_edits_flavour(tmp_path: Path) -> None:
    text = (
        "TITLE: S\nFCM: DROP FRAME\n"
        "001  AX  V  C  00:00:00;00 00:00:01;00 00:10:00;00 00:10:01;00\n"
    )
    edit = read_edit(_edl(tmp_path, text), rate=29.97, start="01:00:00:00")
    (event,) = events(edit)
    assert edit.timebase.timecode(event.record_in) == "01:00:00;00"


def test_drop_frame_option_reinterprets_an_edl_without_fcm(tmp_path: Path) -> None:
    text = "TITLE: N\n001  AX  V  C  00:00:00:00 00:00:10:00 01:00:59:28 01:01:10:00\n"
    edit = read_edit(_edl(tmp_path, text), rate=29.97, drop_frame=True)
    (event,) = events(edit)
    assert edit.timebase.timecode(event.record_in) == "01:00:59;28"
    assert event.frames == 300


def test_empty_edits_are_refused_and_fcpxml_keeps_fractional_rates(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="no clips"):
        read_edit(_edl(tmp_path, "TITLE: NOTHING\nFCM: NON-DROP FRAME\n"))
    fcpx = tmp_path / "cut.fcpxml"
    resources = (
        '<?xml version="1.0"?><fcpxml version="1.8"><resources>'
        '<format id="r1" frameDuration="1001/24000s" width="1920" height="1080"/>'
        '<asset id="r2" name="a.mov" src="file:///m/a.mov" hasVideo="1" start="0s"/>'
        "</resources>"
    )
    fcpx.write_text(resources + "</fcpxml>")
    with pytest.raises(ManifestError, match="no sequence"):
        read_edit(fcpx)  # clips or bins only: not a cut
    fcpx.write_text(
        resources + '<project name="P"><sequence format="r1" tcStart="86486400/24000s" '
        'duration="48048/24000s"><spine><asset-clip ref="r2" name="a" '
        'offset="86486400/24000s" duration="48048/24000s" start="0s"/></spine></sequence>'
        "</project></fcpxml>"
    )  # 01:00:00:00 at 23.976 is 86,400 frames of 1001/24000 s
    edit = read_edit(fcpx)  # 23.976 read as 24000/1001 (the adapter made it 23)
    (event,) = events(edit)
    assert edit.timebase.label == "23.976 NDF" and event.frames == 48
    assert edit.timebase.timecode(event.record_in) == "01:00:00:00"


def test_rule_captures_are_literal_and_bad_templates_fail_at_load(tmp_path: Path) -> None:
    root = _tree(tmp_path, ["sky1_v9.png", "sky[1]_v2.png"])
    rule = Rule.model_validate({"from": "clip", "match": r"^(\S+)", "file": "{0}_v*.png"})
    found = Resolver(MediaIndex([root]), [rule]).resolve(_event("sky[1]"))
    assert found.path and found.path.endswith("sky[1]_v2.png")
    for template in ("{missing}.png", "{2}.png", "{0!z}"):
        with pytest.raises(ValueError, match="does not fit match's groups"):
            Rule.model_validate({"from": "clip", "match": r"(?P<shot>sky)", "file": template})


def test_image_sequence_prefix_finds_its_frames(tmp_path: Path) -> None:
    root = _tree(tmp_path, ["seq/sh010_comp_1001.exr", "seq/sh010_comp_1002.exr"])
    found = Resolver(MediaIndex([root])).resolve(_event(hints=("/shots/seq/sh010_comp_",)))
    assert found.path and found.path.endswith("sh010_comp_1001.exr")


def test_sequence_option_picks_one_of_several_and_names_them(tmp_path: Path) -> None:
    def sequence(name: str, clip: str) -> str:
        return (
            f"<sequence id='{name}'><name>{name}</name><rate><timebase>25</timebase></rate>"
            "<media><video><track><clipitem id='c'><name>" + clip + "</name>"
            "<start>0</start><end>25</end><in>0</in><out>25</out></clipitem></track></video>"
            "</media></sequence>"
        )

    path = tmp_path / "two.xml"
    path.write_text(
        "<?xml version='1.0'?><xmeml version='5'>"
        + sequence("LOCK v3", "a.mov")
        + sequence("LOCK v4", "b.mov")
        + "</xmeml>"
    )
    with pytest.raises(ManifestError, match=r"2 sequences \('LOCK v3', 'LOCK v4'\).*--sequence"):
        read_edit(path)
    (event,) = events(read_edit(path, sequence="LOCK v4"))
    assert event.clip == "b.mov"
    with pytest.raises(ManifestError, match=r"no sequences named 'LOCK v5'; the edit has"):
        read_edit(path, sequence="LOCK v5")


def test_edl_split_edit_delays_the_named_channels(tmp_path: Path) -> None:
    """``SPLIT: AUDIO DELAY=`` before an event: its audio comes in that much later (an
    L-cut), its video at the record in written."""
    text = textwrap.dedent("""\
        TITLE: SPLIT
        FCM: NON-DROP FRAME
        SPLIT:   AUDIO DELAY=  00:00:00:12
        001  A001     AA/V  C        10:00:00:00 10:00:05:00 01:00:00:00 01:00:05:00
        * FROM CLIP NAME: a.mov
        """)
    edit = read_edit(_edl(tmp_path, text), rate=24)
    tb = edit.timebase
    shown = [(e.track, tb.timecode(e.record_in), tb.timecode(e.record_out)) for e in events(edit)]
    assert shown == [
        ("V1", "01:00:00:00", "01:00:05:00"),
        ("A1", "01:00:00:12", "01:00:05:00"),
        ("A2", "01:00:00:12", "01:00:05:00"),
    ]


def test_fcp7_clip_edges_written_at_the_cut_reach_the_transitions_edges(tmp_path: Path) -> None:
    """Some exporters write a dissolve's clip edges at the cut (not -1): both clips are still
    on screen for the whole transition; a disabled clip and a disabled track are not events."""

    def clip(name: str, start: int, end: int, enabled: str = "TRUE") -> str:
        return (
            f"<clipitem><name>{name}</name><enabled>{enabled}</enabled><start>{start}</start>"
            f"<end>{end}</end><in>0</in><out>{end - start}</out></clipitem>"
        )

    path = tmp_path / "cut.xml"
    path.write_text(
        "<?xml version='1.0'?><xmeml version='4'><sequence><name>S</name>"
        "<rate><timebase>24</timebase></rate><media><video><track>"
        + clip("out.mov", 0, 120)
        + "<transitionitem><start>108</start><end>132</end><alignment>center</alignment>"
        "<effect><name>Cross Dissolve</name></effect></transitionitem>"
        + clip("in.mov", 120, 240)
        + clip("off.mov", 240, 260, "FALSE")
        + "</track><track><enabled>FALSE</enabled>"
        + clip("hidden.mov", 0, 24)
        + "</track></video></media></sequence></xmeml>"
    )
    shown = [(e.clip, e.record_in, e.record_out, e.transition) for e in events(read_edit(path))]
    assert shown == [("out.mov", 0, 132, ""), ("in.mov", 108, 240, "dissolve 24f")]


def test_adapter_messages_show_durations_as_timecode() -> None:
    from clearance.editorial.read import _plain

    message = "duration mismatch: RationalTime(0, 24) != RationalTime(192, 23.976)"
    assert _plain(message) == "duration mismatch: 00:00:00:00 != 00:00:08:00"


def test_a_disabled_layer_inside_a_nest_is_not_in_the_cut(tmp_path: Path) -> None:
    def clip(name: str) -> otio.schema.Clip:
        return otio.schema.Clip(
            name=name,
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(24, 24)
            ),
        )

    nest = otio.schema.Stack(name="nest")
    shown, muted = otio.schema.Track(), otio.schema.Track()
    muted.enabled = False
    shown.append(clip("SHOWN"))
    muted.append(clip("MUTED"))
    nest.extend([shown, muted])
    track = otio.schema.Track()
    track.append(nest)
    timeline = otio.schema.Timeline()
    timeline.tracks.append(track)
    path = tmp_path / "nest.otio"
    otio.adapters.write_to_file(timeline, str(path))
    assert [e.clip for e in events(read_edit(path))] == ["SHOWN"]
