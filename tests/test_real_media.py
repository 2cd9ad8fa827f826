# ruff: noqa: E501  (the expectation table keeps one file, its values and its reason a line)
"""Verdicts and credential states on real files nobody on this project made.

``shared/external/media`` (beside the checkout, or where CLEARANCE_EXTERNAL_MEDIA points)
holds about a hundred files copied byte for byte from public repositories (``sources.md``
gives repository, commit and licence). Each expected value below was decided from the file's
source and its metadata (c2pa-rs's manifest JSON, exiftool, Pillow), not from this tool's
output, with a one-line reason. A file added to the folder fails the test until someone
decides its verdict.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clearance.policy import resolve
from clearance.provenance.scan import FileResult, Scanner
from tests.support import ROOT

MEDIA = Path(os.environ.get("CLEARANCE_EXTERNAL_MEDIA") or ROOT.parent / "shared/external/media")
FILES = MEDIA / "files"

G, C, N, U = "ai-generated", "ai-composite", "no-ai-signal", "unreadable"
VALID_UNTRUSTED = "valid, untrusted signer"
REMOTE = "unreadable: remote-manifest-not-fetched"

#: file → (verdict, C2PA credential state, why). "" credential: the file carries no C2PA.
EXPECTED: dict[str, tuple[str, str, str]] = {
    # --- camera and editor files from metadata libraries' test suites ---------------------
    "bep_FailedHash-NoDate-sep-remembory.jpg": (U, "", "DQT segment runs past the end; Pillow: truncated"),
    "bep_crash01.jpg": (N, "", "metadata-extractor crash case, but the image decodes; no AI tag"),
    "bep_issue-xmp-iptc-misalignment.jpg": (N, "", "Nikon Z 8 photo (XMP CreatorTool)"),
    "bep_leica_dng_fraction.jpg": (N, "", "Leica DNG developed in Camera Raw"),
    "bep_metadata_demo_inc_exif_out_of_sync_Inc_adobe.jpg": (N, "", "IPTC DigitalSourceType digitalCapture, Lightroom"),
    "bep_sample.dng": (N, "", "camera raw sample, no AI tag"),
    "bep_sunrise_lossy.webp": (N, "", "plain lossy WebP photo"),
    "bep_sunset.avif": (N, "", "Lightroom export of a photo"),
    "bep_withXmp.jpg": (N, "", "XMP without any AI field"),
    "et_Apple.jpg": (N, "", "exiftool sample: Apple camera EXIF"),
    "et_Canon.jpg": (N, "", "exiftool sample: Canon camera EXIF"),
    "et_ExifTool.tif": (N, "", "exiftool sample TIFF, no AI tag"),
    "et_ExtendedXMP.jpg": (N, "", "Extended XMP test, no AI field"),
    "et_GIF.gif": (N, "", "GIF with comment, no AI tag"),
    "et_GoPro.jpg": (N, "", "GoPro camera EXIF"),
    "et_Google.jpg": (N, "", "Pixel 8 Pro HDR+ camera photo, no AI edit declared"),
    "et_IPTC.jpg": (N, "", "IPTC fields, no DigitalSourceType"),
    "et_MWG.jpg": (N, "", "Metadata Working Group sample"),
    "et_Nikon.jpg": (N, "", "Nikon camera EXIF"),
    "et_PNG.png": (N, "", "PNG text sample, no generator parameters"),
    "et_PhotoMechanic.jpg": (N, "", "Photo Mechanic sample"),
    "et_QuickTime.mov": (U, "", "metadata-only sample: stco offsets 0, mdat empty, nothing plays"),
    "et_RIFF.avi": (U, "", "RIFF says 2.7 MB, file is 1262 bytes: no movi frames"),
    "et_RIFF.wav": (N, "", "tiny but well-formed PCM (fmt + data)"),
    "et_RIFF.webp": (N, "", "small valid WebP"),
    "et_Sony.jpg": (N, "", "Sony camera EXIF"),
    "et_Writer.jpg": (N, "", "251-byte JPEG that decodes; no AI tag"),
    "et_XMP.jpg": (N, "", "XMP sample without AI fields"),
    # --- corrupt images from decoder test suites -----------------------------------------
    "pil_broken.png": (U, "", "Pillow cannot identify it: bad chunk header"),
    "pil_broken_data_stream.png": (U, "", "Pillow: unrecognized data stream"),
    "pil_hopper_bad_exif.jpg": (N, "", "bad EXIF, image decodes"),
    "pil_invalid-exif.jpg": (N, "", "invalid EXIF, image decodes; Photoshop CC"),
    "pil_sugarshack_bad_mpo_header.jpg": (N, "", "bad MPO header, decodes as a base JPEG"),
    "pil_truncated_app14.jpg": (N, "", "APP14 one byte short; libjpeg/Pillow skip it and decode"),
    "pil_truncated_end_chunk.png": (U, "", "IEND missing, IDAT cut short"),
    "pil_truncated_image.png": (U, "", "IDAT runs past the end of the file"),
    "pil_truncated_jpeg.jpg": (U, "", "no EOI: image data cut short"),
    "png_badadler.png": (U, "", "libpng crasher: zlib Adler-32 of the image data is wrong"),
    "png_badcrc.png": (U, "", "libpng crasher: IDAT (critical) CRC is wrong"),
    "png_huge_iTXt_chunk.png": (U, "", "libpng crasher: iTXt length past the end"),
    # --- generator outputs without C2PA -------------------------------------------------
    "cnet_1girl.png": (G, "", "A1111 parameters in PNG text (ControlNet example output)"),
    "cnet_an-gen.png": (N, "", "palette PNG with no metadata at all: nothing marks it"),
    "cnet_dog_rel.png": (G, "", "A1111 parameters in PNG text"),
    "comfyex_flux_kontext_example_comic.webp": (G, "", "ComfyUI WebP: workflow/prompt in EXIF Make/Model"),
    "comfyex_house_scribble.png": (N, "", "ControlNet input scribble, no metadata"),
    "comfyex_hypernetwork_example_output.png": (G, "", "ComfyUI prompt/workflow PNG text"),
    "comfyex_lora_multiple.png": (G, "", "ComfyUI prompt/workflow PNG text"),
    "comfyex_mochi_simple_checkpoint.webp": (G, "", "animated ComfyUI WebP: graph in EXIF Make/Model"),
    "comfyex_sdxlturbo_example.png": (G, "", "ComfyUI prompt/workflow PNG text"),
    "comfyex_shark_depthmap.png": (N, "", "depth-map input, only date and gamma chunks"),
    "nai_sample-0316-out.png": (G, "", "NovelAI Software tag and Comment parameters"),
    "nai_sample-0316.png": (G, "", "NovelAI Software tag and Comment parameters"),
    "nai_sample-0317.png": (G, "", "NovelAI Software tag and Comment parameters"),
    "nai_static_image.png": (N, "", "a JPEG named .png with no metadata: nothing marks it"),
    "sdpr_single_line_prompt.png": (N, "", "a screenshot of a prompt (UserComment: Screenshot)"),
    # --- C2PA: generative services -----------------------------------------------------
    "c2panode_ingredient-with-data-types.jpg": (G, VALID_UNTRUSTED, "Firefly c2pa.created trainedAlgorithmicMedia; references are inputTo"),
    "c2pats_amazon-titan-g1.png": (G, VALID_UNTRUSTED, "Titan Image Generator G1 created trainedAlgorithmicMedia"),
    "dmc_genai-picture-validate-protected.jpg": (G, VALID_UNTRUSTED, "Firefly image re-signed by Digimarc: created trained, parentOf Firefly"),
    "msval_DALL-E_cloud_surfing_puppy.webp": (G, VALID_UNTRUSTED, "ChatGPT converts its own DALL·E output: parentOf created trained"),
    "msval_bing_creator_cloud_surfing_puppy.jpg": (G, "invalid: signingCredential.invalid", "created by 'Image Creator from Designer', no source type; cert lacks the C2PA EKU"),
    "vsite_butteryfly.jpg": (G, VALID_UNTRUSTED, "Adobe Firefly created trainedAlgorithmicMedia"),
    "wsv_ai-generated.jpg": (G, VALID_UNTRUSTED, "Adobe Firefly created trainedAlgorithmicMedia"),
    "wsv_conformant-a.jpg": (G, "expired", "Google opens and transcodes its own Gemini image (parentOf created trained)"),
    "wsv_conformant-b.jpg": (C, "expired", "Pixel camera photo edited with compositeWithTrainedAlgorithmicMedia"),
    "yog_videotest.mp4": (G, "expired", "Google generative video: created trainedAlgorithmicMedia"),
    "yog_videotest2.mp4": (G, "expired", "Sora video: created trainedAlgorithmicMedia"),
    "s4m_prmiere-firefly.mp4": (C, VALID_UNTRUSTED, "Premiere export with a Firefly still as componentOf"),
    # --- C2PA without GenAI, valid, tampered or unreadable --------------------------------
    "c2pac_C_with_CAWG_data.jpg": (N, "expired", "watermark of an algorithmicMedia test image; cert expired"),
    "c2pac_for_trusted_read.jpg": (N, VALID_UNTRUSTED, "c2pa-c test claim, no AI source type"),
    "c2pajs_PirateShip_save_credentials_to_cloud.jpg": (N, REMOTE, "Photoshop save with cloud-only credentials"),
    "c2panode_cloud-only-firefly.jpg": (N, REMOTE, "only a remote manifest URL; offline nothing in the file says AI"),
    "c2pars_C.jpg": (N, VALID_UNTRUSTED, "make_test_images created + drawing"),
    "c2pars_MultiPage.tif": (N, "", "unsigned TIFF fixture"),
    "c2pars_basic-password.pdf": (N, "", "unsigned PDF fixture"),
    "c2pars_basic.pdf": (N, "", "unsigned PDF fixture (Acrobat)"),
    "c2pars_invalid_cose_sign1.jpg": (N, "invalid: cawg.ica.invalid_cose_sign1", "CAWG identity assertion with a broken COSE signature"),
    "c2pars_sample1.jxl": (N, "", "unsigned JPEG XL fixture"),
    "c2pars_success.jpg": (N, VALID_UNTRUSTED, "CAWG identity test, parent opened + colour adjusted"),
    "c2pars_test.webp": (N, "", "unsigned WebP fixture"),
    "c2pats_sample1.mp3": (N, "", "unsigned MP3 fixture"),
    "c2pats_test-video.mp4": (N, "", "unsigned 1-second MP4 fixture"),
    "c2pats_trustnxt-icon-signed-timestamp.jpg": (N, VALID_UNTRUSTED, "c2pa-ts signed icon, no actions"),
    "c2pats_trustnxt-icon-signed-v2-bmff.heic": (N, VALID_UNTRUSTED, "origo test signer: opened a user image"),
    "c2pats_trustnxt-icon.png": (N, "", "unsigned PNG fixture"),
    "msval_cards_invalid.jpg": (N, "invalid: assertion.dataHash.mismatch", "pixels changed after signing"),
    "msval_cards_trusted.avif": (N, "invalid: signingCredential.invalid", "test signer cert without the C2PA EKU"),
    "msval_cards_trusted.jpg": (N, "invalid: signingCredential.invalid", "test signer cert without the C2PA EKU"),
    "msval_cards_trusted.svg": (N, "invalid: signingCredential.invalid", "test signer cert without the C2PA EKU"),
    "msval_cicadas_trusted.mp3": (N, "invalid: signingCredential.invalid", "test signer cert without the C2PA EKU"),
    "pubtf_adobe-20220124-CAI.jpg": (N, VALID_UNTRUSTED, "opened, colour adjusted, placed: no source type"),
    "pubtf_adobe-20220124-E-dat-CA.jpg": (N, "invalid: assertion.dataHash.mismatch", "tampered data hash (public test file)"),
    "pubtf_adobe-20220124-E-sig-CA.jpg": (N, "invalid: claimSignature.mismatch", "tampered claim signature"),
    "pubtf_adobe-20220124-E-uri-CA.jpg": (N, "invalid: assertion.hashedURI.mismatch", "tampered assertion reference"),
    "pubtf_adobe-20220124-E-uri-CIE-sig-CA.jpg": (N, "invalid: ingredient:assertion.hashedURI.mismatch", "its ingredient's manifest is tampered"),
    "pubtf_adobe-20220124-XCI.jpg": (N, "invalid: assertion.dataHash.mismatch", "tampered data hash"),
    "s4m_PTS_TRUSTED_sony_official_cawg_wdr.mp4": (N, VALID_UNTRUSTED, "Sony camera digitalCapture, re-published by the EBU"),
    "tpic_t6.m4a": (N, VALID_UNTRUSTED, "Truepic Lens capture"),
    "tpic_t8.jpg": (N, "expired", "Truepic capture, signing certificate expired"),
    "vsite_firefly-labradoodle.jpg": (U, "", "a 132-byte Git LFS pointer named .jpg"),
}  # fmt: skip

needs_media = pytest.mark.skipif(
    not FILES.is_dir(), reason=f"external media not at {MEDIA} (set CLEARANCE_EXTERNAL_MEDIA)"
)


@pytest.fixture(scope="module")
def results() -> dict[str, FileResult]:
    if not FILES.is_dir():
        pytest.skip(f"external media not at {MEDIA} (set CLEARANCE_EXTERNAL_MEDIA)")
    scanner = Scanner(provenance=resolve("ai-provenance"), jobs=1)
    return {Path(r.path).name: r for r in scanner.scan([FILES])}


@needs_media
def test_every_file_has_a_decided_verdict(results: dict[str, FileResult]) -> None:
    assert sorted(results) == sorted(EXPECTED)


@needs_media
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_verdict_and_credential(results: dict[str, FileResult], name: str) -> None:
    verdict, credential, why = EXPECTED[name]
    got = results[name]
    assert (got.verdict, got.credential) == (verdict, credential), (why, got.signals)


@needs_media
def test_tampered_and_expired_credentials_are_flagged_without_flags(
    results: dict[str, FileResult],
) -> None:
    """Validation is the default: every broken credential carries advisory A1, and an AI
    claim keeps its verdict beside it."""
    for name, (_, credential, _) in EXPECTED.items():
        broken = credential.startswith("invalid") or credential == "expired"
        assert [n.rule for n in results[name].notes] == (["A1"] if broken else []), name
    assert results["yog_videotest2.mp4"].verdict == G  # expired, still a Sora video


@needs_media
def test_machine_readable_labels(results: dict[str, FileResult]) -> None:
    """C2PA labels where a manifest declares GenAI; tool names and parameters are no label."""
    assert results["vsite_butteryfly.jpg"].labels == ["C2PA"]
    assert results["s4m_prmiere-firefly.mp4"].labels == ["C2PA"]
    assert results["msval_bing_creator_cloud_surfing_puppy.jpg"].labels == []
    assert results["comfyex_lora_multiple.png"].labels == []


@needs_media
def test_recall_and_no_false_alarm(results: dict[str, FileResult]) -> None:
    ai = {name for name, (verdict, _, _) in EXPECTED.items() if verdict in (G, C)}
    found = {name for name, r in results.items() if r.verdict in (G, C)}
    assert found == ai


@needs_media
def test_summary_counts_ai_files_without_a_machine_readable_label() -> None:
    scanner = Scanner(provenance=resolve("ai-provenance"), jobs=1)
    for _ in scanner.scan([FILES]):
        pass
    labels = scanner.summary.to_json()["ai_labels"]
    ai = sum(1 for verdict, _, _ in EXPECTED.values() if verdict in (G, C))
    assert sum(labels.values()) == ai
    assert labels["C2PA"] == 11  # every C2PA-declared GenAI file but Bing's (names only)
    assert labels["none"] == ai - 11  # generator parameters and tool names are no label


@needs_media
def test_facts_are_the_same_on_every_read_and_in_threads() -> None:
    """c2pa-rs lists manifests in no stable order, and a scan inside a web server may inspect
    files in several threads at once (each thread reads its own file once, whole)."""
    import threading

    from clearance.provenance.inspect import inspect
    from clearance.provenance.model import ScanOptions

    names = ["wsv_conformant-a.jpg", "s4m_prmiere-firefly.mp4", "comfyex_lora_multiple.png",
             "dmc_genai-picture-validate-protected.jpg", "et_Canon.jpg", "png_badcrc.png"]  # fmt: skip
    paths = [str(FILES / name) for name in names]
    options = ScanOptions()
    expected = {p: inspect(p, options) for p in paths}
    differ: list[str] = []

    def reread(mine: list[str]) -> None:
        for _ in range(4):
            differ.extend(p for p in mine if inspect(p, options) != expected[p])

    threads = [threading.Thread(target=reread, args=(paths[i::3],)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert differ == []
