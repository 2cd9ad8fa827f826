"""The C2PA extractor against manifests we sign ourselves and against the real-file corpus.

Signed fixtures prove the mapping from c2pa-rs's JSON to ``C2paFacts`` for known content;
the corpus proves it agrees with an independent reading of real files (Adobe, Nikon,
Truepic, crafted and truncated ones); the corrupt-input cases prove it never raises.
"""

from __future__ import annotations

import csv
import io
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearance.provenance.extractors.c2pa import (
    EXTRACTOR,
    error_kind,
    jpeg_may_hold_c2pa,
    reader_settings,
)
from clearance.provenance.model import C2paAction, C2paFacts, Extraction, ScanOptions
from tests.c2pa_fixtures import (
    AI_AGENT,
    CAMERA_AGENT,
    EDITOR_AGENT,
    GENERATOR,
    MEDIA_TYPES,
    SIGNER_ORG,
    Kind,
    SourceType,
    ThrowawayCa,
    make_ca,
    media_bytes,
    signed_file,
    tamper_jpeg,
)
from tests.support import CORPUS

KINDS: tuple[Kind, ...] = ("png", "jpeg", "wav")
SOURCE_TYPES: tuple[SourceType, ...] = (
    "trainedAlgorithmicMedia",
    "compositeWithTrainedAlgorithmicMedia",
    "digitalCapture",
)
VERIFY = ScanOptions(verify=True)
NOISE = random.Random(7).randbytes(4096)  # fixed, so every run sees the same bytes


def c2pa_of(path: Path, media_type: str, options: ScanOptions = VERIFY) -> C2paFacts:
    facts = EXTRACTOR.extract(path, media_type, options).c2pa
    assert facts is not None
    return facts


# --- signed fixtures -------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> ThrowawayCa:
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def signed(
    tmp_path_factory: pytest.TempPathFactory, ca: ThrowawayCa
) -> dict[tuple[Kind, str], Path]:
    """Every kind x scenario, signed once for the module."""
    out: dict[tuple[Kind, str], Path] = {}
    for kind in KINDS:
        folder = tmp_path_factory.mktemp(kind)
        for source_type in SOURCE_TYPES:
            out[kind, source_type] = signed_file(folder, kind, source_type, ca)
    return out


EXPECTED_ACTIONS: dict[str, list[C2paAction]] = {
    "trainedAlgorithmicMedia": [
        C2paAction(action="c2pa.created", source_type="trainedAlgorithmicMedia", agent=AI_AGENT)
    ],
    "compositeWithTrainedAlgorithmicMedia": [
        C2paAction(action="c2pa.opened", source_type="digitalCapture", agent=EDITOR_AGENT),
        C2paAction(
            action="c2pa.placed",
            source_type="compositeWithTrainedAlgorithmicMedia",
            agent=EDITOR_AGENT,
        ),
        C2paAction(
            action="c2pa.created",
            source_type="trainedAlgorithmicMedia",
            agent=AI_AGENT,
            manifest="ingredient",
            relationship="componentOf",
        ),
    ],
    "digitalCapture": [
        C2paAction(action="c2pa.created", source_type="digitalCapture", agent=CAMERA_AGENT)
    ],
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("source_type", SOURCE_TYPES)
def test_signed_fixture_facts(
    signed: dict[tuple[Kind, str], Path], kind: Kind, source_type: SourceType
) -> None:
    facts = c2pa_of(signed[kind, source_type], MEDIA_TYPES[kind])
    assert facts == C2paFacts(
        present=True,
        state="Valid",  # a throwaway signer is not on any trust list
        credential="valid, untrusted signer",
        generator=GENERATOR,
        generators=[GENERATOR],
        signer=SIGNER_ORG,
        assertions=["c2pa.actions.v2"],
        actions=EXPECTED_ACTIONS[source_type],
    )


def test_signals_name_active_and_ingredient_source_types(
    signed: dict[tuple[Kind, str], Path],
) -> None:
    found = EXTRACTOR.extract(
        signed["png", "compositeWithTrainedAlgorithmicMedia"], "image/png", VERIFY
    )
    assert {(s.kind, s.value, s.strength, s.source) for s in found.signals} == {
        ("c2pa.digital_source_type", "compositeWithTrainedAlgorithmicMedia", "strong",
         "C2PA active manifest, action c2pa.placed"),
        ("c2pa.ingredient_source_type", "trainedAlgorithmicMedia", "medium",
         "C2PA ingredient manifest (componentOf), action c2pa.created"),
        ("c2pa.generator", GENERATOR, "weak", "C2PA active manifest, claim generator"),
        ("c2pa.software_agent", EDITOR_AGENT, "weak", "C2PA active manifest, action c2pa.opened"),
        ("c2pa.software_agent", EDITOR_AGENT, "weak", "C2PA active manifest, action c2pa.placed"),
        ("c2pa.credential", "valid, untrusted signer", "weak", "c2pa-rs validation: no failure"),
    }  # fmt: skip


def test_capture_only_gives_no_ai_signal(signed: dict[tuple[Kind, str], Path]) -> None:
    found = EXTRACTOR.extract(signed["jpeg", "digitalCapture"], "image/jpeg", VERIFY)
    kinds = [s.kind for s in found.signals]
    assert kinds == ["c2pa.software_agent", "c2pa.generator", "c2pa.credential"]


@pytest.mark.parametrize("kind", KINDS)
def test_trusted_when_root_is_a_trust_anchor(
    signed: dict[tuple[Kind, str], Path], ca: ThrowawayCa, kind: Kind
) -> None:
    options = ScanOptions(verify=True, trust_anchors=str(ca.root_pem))
    facts = c2pa_of(signed[kind, "trainedAlgorithmicMedia"], MEDIA_TYPES[kind], options)
    assert (facts.state, facts.trusted, facts.failures) == ("Trusted", True, [])


def test_another_root_does_not_make_it_trusted(
    signed: dict[tuple[Kind, str], Path], tmp_path: Path
) -> None:
    stranger = make_ca(tmp_path)
    options = ScanOptions(verify=True, trust_anchors=str(stranger.root_pem))
    facts = c2pa_of(signed["png", "digitalCapture"], "image/png", options)
    assert (facts.state, facts.trusted) == ("Valid", False)


def test_without_verify_metadata_is_read_but_nothing_is_validated(
    signed: dict[tuple[Kind, str], Path], ca: ThrowawayCa
) -> None:
    path = signed["wav", "compositeWithTrainedAlgorithmicMedia"]
    options = ScanOptions(verify=False, trust_anchors=str(ca.root_pem))
    facts = c2pa_of(path, "audio/wav", options)
    expected: tuple[bool, str, bool, list[str]] = (True, "not-verified", False, [])
    assert facts.credential == "not verified"
    assert (facts.present, facts.state, facts.trusted, facts.failures) == expected
    assert facts.actions == EXPECTED_ACTIONS["compositeWithTrainedAlgorithmicMedia"]


def test_tampered_pixels_are_invalid_when_verifying(
    signed: dict[tuple[Kind, str], Path], tmp_path: Path
) -> None:
    path = tmp_path / "tampered.jpg"
    shutil.copy(signed["jpeg", "trainedAlgorithmicMedia"], path)
    tamper_jpeg(path)
    found = EXTRACTOR.extract(path, "image/jpeg", VERIFY)
    assert found.c2pa is not None
    assert (found.c2pa.state, found.c2pa.failures) == ("Invalid", ["assertion.dataHash.mismatch"])
    assert found.c2pa.credential == "invalid: assertion.dataHash.mismatch"
    assert ("c2pa.credential", "invalid: assertion.dataHash.mismatch", "medium") in {
        (s.kind, s.value, s.strength) for s in found.signals
    }
    # The claim itself still reads, and unverified reading does not notice the edit.
    assert found.c2pa.actions == EXPECTED_ACTIONS["trainedAlgorithmicMedia"]
    assert c2pa_of(path, "image/jpeg", ScanOptions()).state == "Invalid"  # verified by default
    assert c2pa_of(path, "image/jpeg", ScanOptions(verify=False)).state == "not-verified"


# --- the real-file corpus --------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    path: str
    media_type: str
    signals: tuple[str, ...]

    def values(self, prefix: str) -> set[str]:
        return {s[len(prefix) :] for s in self.signals if s.startswith(prefix)}


def corpus_rows() -> Iterator[Row]:
    with (CORPUS / "labels.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            yield Row(row["path"], row["media_type"], tuple(row["signals"].split(";")))


ROWS = list(corpus_rows()) if (CORPUS / "labels.tsv").is_file() else []
needs_corpus = pytest.mark.skipif(not ROWS, reason="shared corpus not available")


def claimed(facts: C2paFacts) -> dict[str, set[str]]:
    """What the labels record, read back from the facts."""
    active = {a.source_type for a in facts.actions if a.manifest == "active" and a.source_type}
    ingredient = {a.source_type for a in facts.actions if a.manifest == "ingredient"}
    return {
        "c2pa:": active,
        "c2pa_ingredient:": ingredient - active - {""},
        "c2pa_agent:": {a.agent for a in facts.actions if a.agent},
        "c2pa_assertion:": {a for a in facts.assertions if a == "com.adobe.generative-ai"},
        "c2pa_error:": {facts.error} - {""},
    }


@needs_corpus
@pytest.mark.parametrize("verify", [True, False], ids=["verify", "metadata-only"])
@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.path.removeprefix("files/"))
def test_corpus_file_reads_as_labelled(row: Row, verify: bool) -> None:
    facts = c2pa_of(CORPUS / row.path, row.media_type, ScanOptions(verify=verify))
    expected = {prefix: row.values(prefix) for prefix in claimed(facts)}
    if not facts.present and expected.get("c2pa_error:") == {"parse-error"}:
        # Scans skip c2pa-rs when the container holds no C2PA box at all, so
        # c2pa-rs's own complaint about a damaged container (no provenance in it) is not heard.
        expected["c2pa_error:"] = claimed(facts)["c2pa_error:"]
    assert claimed(facts) == expected
    generator = row.values("c2pa_generator:")  # labels cut long generator strings short
    assert facts.generator.startswith(generator.pop()) if generator else not facts.generator
    if facts.error:
        assert facts.state == "unreadable"
    elif verify:
        assert {facts.state} - {"none"} == row.values("c2pa_state:")
        assert set(facts.failures) == row.values("c2pa_fail:")
    else:
        assert facts.failures == []
        assert facts.state == ("not-verified" if facts.present else "none")
    has_c2pa = any(s.startswith(("c2pa:", "c2pa_state:", "c2pa_generator:")) for s in row.signals)
    assert facts.present == (has_c2pa or facts.error not in ("", "parse-error", "other"))


@needs_corpus
def test_remote_manifest_is_not_fetched() -> None:
    """c2pa-rs says "must fetch" when fetching is off; "could not fetch" means it tried."""
    found = EXTRACTOR.extract(CORPUS / "files/c2pa-rs/cloud.jpg", "image/jpeg", VERIFY)
    [signal] = found.signals
    assert (signal.kind, signal.value) == ("c2pa.error", "remote-manifest-not-fetched")
    assert "must fetch remote manifests" in signal.source
    assert "cai-manifests.adobe.com" in signal.source  # a person can follow it by hand


def test_settings_block_the_network_and_follow_the_options(ca: ThrowawayCa) -> None:
    plain = reader_settings(ScanOptions(verify=False))
    assert plain["verify"] == {
        "verify_after_reading": False,
        "remote_manifest_fetch": False,
        "ocsp_fetch": False,
    }
    assert plain["core"]["allowed_network_hosts"] == []
    assert "trust" not in plain
    anchored = reader_settings(ScanOptions(verify=True, trust_anchors=str(ca.root_pem)))
    assert anchored["verify"]["verify_after_reading"] is True
    assert anchored["trust"]["trust_anchors"] == ca.root_pem.read_text()


# --- large JPEGs: header look before c2pa-rs ---------------------------------------------


def test_jpeg_header_look(signed: dict[tuple[Kind, str], Path]) -> None:
    plain = media_bytes("jpeg")
    signed_jpeg = signed["jpeg", "digitalCapture"].read_bytes()
    assert not jpeg_may_hold_c2pa(io.BytesIO(plain))
    assert jpeg_may_hold_c2pa(io.BytesIO(signed_jpeg))  # APP11
    assert jpeg_may_hold_c2pa(io.BytesIO(plain[:-2]))  # no end marker: let c2pa-rs judge
    assert jpeg_may_hold_c2pa(io.BytesIO(b"\x00" * 64 + b"\xff\xd9"))  # not a JPEG


@needs_corpus
@pytest.mark.parametrize(
    ("name", "present", "error"),
    [
        ("c2pa-rs/no_manifest.jpg", False, ""),
        ("c2pa-rs/cai.jpg", True, ""),
        ("c2pa-rs/cloud.jpg", True, "remote-manifest-not-fetched"),  # XMP reference
        ("imagemeta/huge_tag_exif.jpg", False, "parse-error"),  # truncated
    ],
)
def test_large_jpeg_path_agrees_with_full_read(name: str, present: bool, error: str) -> None:
    """A tiny ``max_metadata_bytes`` sends every JPEG through the header look first."""
    options = ScanOptions(verify=True, max_metadata_bytes=1024)
    facts = c2pa_of(CORPUS / "files" / name, "image/jpeg", options)
    assert (facts.present, facts.error) == (present, error)


# --- corrupt input never raises ----------------------------------------------------------


def assert_quiet_failure(found: Extraction) -> None:
    assert found.c2pa is not None
    assert found.c2pa.state in ("none", "unreadable")
    if found.c2pa.state == "unreadable":
        assert found.c2pa.error and [s.kind for s in found.signals] == ["c2pa.error"]


@pytest.mark.parametrize(
    ("name", "content", "media_type", "error"),
    [
        ("empty.jpg", b"", "image/jpeg", "parse-error"),
        ("random.jpg", NOISE[:4096], "image/jpeg", "parse-error"),
        ("random.png", NOISE[:4096], "image/png", "parse-error"),
        ("random.pdf", b"%PDF-1.7\n" + NOISE[:512], "application/pdf", "parse-error"),
        ("random.c2pa", NOISE[:512], "application/c2pa", "parse-error"),
        ("random.mp4", NOISE[:4096], "video/mp4", "parse-error"),
    ],
)
def test_corrupt_files_are_unreadable_not_errors(
    tmp_path: Path, name: str, content: bytes, media_type: str, error: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    found = EXTRACTOR.extract(path, media_type, VERIFY)
    assert_quiet_failure(found)
    assert found.c2pa == C2paFacts(state="unreadable", error=error)


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    found = EXTRACTOR.extract(tmp_path / "gone.jpg", "image/jpeg", VERIFY)
    assert found.c2pa == C2paFacts(state="unreadable", error="other")


@pytest.mark.parametrize("kind", KINDS)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.floats(min_value=0.0, max_value=0.999))
def test_truncated_signed_files_never_raise(
    signed: dict[tuple[Kind, str], Path], tmp_path: Path, kind: Kind, cut: float
) -> None:
    data = signed[kind, "compositeWithTrainedAlgorithmicMedia"].read_bytes()
    path = tmp_path / f"cut.{kind}"
    path.write_bytes(data[: int(len(data) * cut)])
    found = EXTRACTOR.extract(path, MEDIA_TYPES[kind], VERIFY)
    assert found.c2pa is not None
    if found.c2pa.state == "unreadable":
        assert found.c2pa.error


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=2048), media_type=st.sampled_from(sorted(MEDIA_TYPES.values())))
def test_arbitrary_bytes_never_raise(tmp_path: Path, data: bytes, media_type: str) -> None:
    path = tmp_path / "fuzz"
    path.write_bytes(data)
    assert_quiet_failure(EXTRACTOR.extract(path, media_type, VERIFY))


# --- small pieces ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("media_type", "applies"),
    [
        ("image/jpeg", True),
        ("image/png", True),
        ("image/heif", True),
        ("image/svg+xml", True),
        ("image/x-adobe-dng", True),
        ("video/mp4", True),
        ("video/quicktime", True),
        ("video/x-msvideo", True),
        ("audio/x-wav", True),
        ("audio/mpeg", True),
        ("audio/flac", True),
        ("application/pdf", True),
        ("application/c2pa", True),
        ("Image/JPEG; charset=binary", True),
        ("text/plain", False),
        ("application/x-empty", False),
        ("application/octet-stream", False),
    ],
)
def test_applies(media_type: str, applies: bool) -> None:
    assert EXTRACTOR.applies(media_type) is applies


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("Remote: must fetch remote manifests from url https://x", "remote-manifest-not-fetched"),
        ("Other: prerelease content detected", "prerelease-manifest"),
        ("Other: unknown algorithm", "unknown-algorithm"),
        ("Other: asset could not be parsed: Invalid RIFF format", "parse-error"),
        ("Verify: invalid JUMBF header", "parse-error"),
        ("Failed to create reader: Unknown error", "other"),
    ],
)
def test_error_kinds(message: str, kind: str) -> None:
    assert error_kind(Exception(message)) == kind
