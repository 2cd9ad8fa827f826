"""Sniffing and the XMP, generator and decode extractors, against the real-file corpus.

The corpus labels were made with exiftool, sd-parsers, Pillow and ffprobe, never with this
code, so agreement is evidence. Small hand-built files cover what the corpus lacks (XMP in
MP4/WAV/MP3/PDF, Midjourney, allow-listed Software, entity bombs); the fuzz tests prove that
random and damaged input is described, never raised.
"""

from __future__ import annotations

import csv
import struct
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearance.policy import resolve
from clearance.policy.classify import classify
from clearance.provenance.extractors.decode import EXTRACTOR as DECODE
from clearance.provenance.extractors.generator import EXTRACTOR as GENERATOR
from clearance.provenance.extractors.generator import user_comment
from clearance.provenance.extractors.xmp import EXTRACTOR as XMP
from clearance.provenance.extractors.xmp import has_sd_parameters
from clearance.provenance.model import (
    DecodeFacts,
    Extraction,
    FileFacts,
    GeneratorFacts,
    ScanOptions,
    XmpFacts,
    source_type_term,
)
from clearance.provenance.sniff import media_type, sniff
from tests.support import CORPUS

OPTIONS = ScanOptions()


@dataclass(frozen=True)
class Row:
    path: str
    media_type: str
    expected: str
    signals: tuple[str, ...]

    @property
    def file(self) -> Path:
        return CORPUS / self.path

    def values(self, prefix: str) -> set[str]:
        return {s[len(prefix) :] for s in self.signals if s.startswith(prefix)}


def corpus_rows() -> Iterator[Row]:
    with (CORPUS / "labels.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            signals = tuple(row["signals"].split(";"))
            yield Row(row["path"], row["media_type"], row["expected"], signals)


ROWS = list(corpus_rows()) if (CORPUS / "labels.tsv").is_file() else []
needs_corpus = pytest.mark.skipif(not ROWS, reason="shared corpus not available")
by_name = pytest.mark.parametrize("row", ROWS, ids=lambda r: r.path.removeprefix("files/"))


def xmp_of(path: Path, kind: str, options: ScanOptions = OPTIONS) -> tuple[XmpFacts, Extraction]:
    found = XMP.extract(path, kind, options)
    assert found.xmp is not None
    return found.xmp, found


def generator_of(path: Path, kind: str) -> GeneratorFacts:
    found = GENERATOR.extract(path, kind, OPTIONS)
    assert found.generator is not None
    return found.generator


def decode_of(path: Path, kind: str) -> DecodeFacts:
    found = DECODE.extract(path, kind, OPTIONS)
    assert found.decode is not None
    return found.decode


# --- the real-file corpus --------------------------------------------------------------


@needs_corpus
@by_name
def test_sniffing_matches_the_content_type_column(row: Row) -> None:
    assert media_type(row.file) == row.media_type


@needs_corpus
@by_name
def test_xmp_matches_exiftool(row: Row) -> None:
    facts, found = xmp_of(row.file, row.media_type)
    assert {facts.source_type} - {""} == {source_type_term(v) for v in row.values("xmp_dst:")}
    for tool in row.values("creatortool:"):  # labels cut long values short
        assert facts.creator_tool.startswith(tool.strip())
    provenance = row.values("xmp_provenance:")
    assert bool(facts.provenance) == bool(provenance)
    if provenance == {"self"}:
        assert facts.provenance.startswith("self#jumbf=")
    if provenance == {"remote-url"}:
        assert facts.provenance.startswith(("http://", "https://"))
    assert not [s for s in found.signals if s.kind == "xmp.unreadable"]


#: Files whose labelled Software sits where the generator extractor does not look.
SOFTWARE_ELSEWHERE = {"files/imagemeta/sunrise.avif": "EXIF item inside the HEIF meta box"}
GENERATOR_SIGNALS = (
    "sd_parsers:",
    "sd_parsers_eager:",
    "png_text:",
    "exif_usercomment:sd-parameters",
    "xmp_description:sd-parameters",
    "software:NovelAI",
)


@needs_corpus
@by_name
def test_generator_matches_the_labels(row: Row) -> None:
    facts = generator_of(row.file, row.media_type)
    labelled = any(s.startswith(GENERATOR_SIGNALS) for s in row.signals)
    assert bool(facts.parameters) == labelled
    for name in row.values("sd_parsers:") | row.values("sd_parsers_eager:"):
        assert name in facts.parameters
    for software in row.values("software:"):
        if row.path not in SOFTWARE_ELSEWHERE:
            assert " ".join(facts.software.split()).startswith(software.strip())
    if "software:NovelAI" in row.signals:
        assert names_a_generator(facts.names)


def names_a_generator(names: list[str]) -> bool:
    """Whether the ai-provenance pack's list of generator names (rule R11) holds a name."""
    facts = FileFacts(generator=GeneratorFacts(names=names)).model_dump()
    return classify(resolve("ai-provenance"), facts).rule == "R11"


@needs_corpus
@by_name
def test_decode_matches_the_labels(row: Row) -> None:
    if not DECODE.applies(row.media_type):
        assert not row.values("decode:")
        return
    facts = decode_of(row.file, row.media_type)
    expected = {"ok": "ok", "fail": "fail", "no-pillow-codec": "no-codec", "empty-file": "empty"}
    assert {facts.state} == {expected[v] for v in row.values("decode:")}
    assert (facts.state in ("fail", "empty")) == (row.expected == "unreadable")
    if facts.state != "ok":
        assert facts.detail


# --- XMP in each container, and hostile XMP ------------------------------------------------

DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def xmp_packet(dst: str = "trainedAlgorithmicMedia", extra: str = "", doctype: str = "") -> bytes:
    return (
        f'{doctype}<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        f'Iptc4xmpExt:DigitalSourceType="{DST}{dst}">{extra}</rdf:Description>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(*chunks: bytes, rgba: bool = False, size: tuple[int, int] = (1, 1)) -> bytes:
    width, height = size
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6 if rgba else 2, 0, 0, 0)
    row = b"\0" + bytes((4 if rgba else 3) * width)
    idat = png_chunk(b"IDAT", zlib.compress(row * height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + idat
        + b"".join(chunks)
        + (png_chunk(b"IEND", b""))
    )


def itxt(keyword: str, text: bytes) -> bytes:
    return png_chunk(b"iTXt", keyword.encode() + b"\0\0\0\0\0" + text)


def jpeg(*segments: tuple[int, bytes]) -> bytes:
    body = b"".join(b"\xff" + bytes((m,)) + struct.pack(">H", len(d) + 2) + d for m, d in segments)
    sof = b"\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x01\x11\x00"
    return b"\xff\xd8" + body + sof + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00\x00\xff\xd9"


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload) + 8) + kind + payload


def riff_chunk(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack("<I", len(data)) + data + b"\0" * (len(data) & 1)


def id3(*frames: tuple[bytes, bytes]) -> bytes:
    body = b"".join(k + struct.pack(">I", len(d)) + b"\0\0" + d for k, d in frames)
    size = len(body)
    syncsafe = bytes((size >> 21 & 0x7F, size >> 14 & 0x7F, size >> 7 & 0x7F, size & 0x7F))
    frame = b"\xff\xfb\x90\x00" + bytes(413)  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz
    return b"ID3\x03\x00\x00" + syncsafe + body + frame * 2


def sample_track(first: int) -> bytes:
    """A ``trak`` with one sample whose chunk starts at ``first`` (a decoder needs both)."""
    stsz = box(b"stsz", bytes(8) + (1).to_bytes(4, "big"))
    stco = box(b"stco", bytes(4) + (1).to_bytes(4, "big") + first.to_bytes(4, "big"))
    return box(b"trak", box(b"mdia", box(b"minf", box(b"stbl", stsz + stco))))


def containers() -> dict[str, tuple[str, bytes]]:
    packet = xmp_packet()
    wave = riff_chunk(b"fmt ", bytes(16)) + riff_chunk(b"data", bytes(4))
    xmp_uuid = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
    mvhd = box(b"mvhd", bytes(100))
    media = box(b"mdat", bytes(16))  # right after a 24-byte ftyp: samples at offset 32
    moov = box(b"moov", mvhd + sample_track(32))
    return {
        "jpeg": ("image/jpeg", jpeg((0xE1, b"http://ns.adobe.com/xap/1.0/\0" + packet))),
        "png": ("image/png", png(itxt("XML:com.adobe.xmp", packet))),
        "png-after-idat": ("image/png", png(png_chunk(b"tEXt", b"XML:com.adobe.xmp\0" + packet))),
        "webp": ("image/webp", b"RIFF\0\0\0\0WEBP" + riff_chunk(b"XMP ", packet)),
        "wav": ("audio/x-wav", b"RIFF\0\0\0\0WAVE" + wave + riff_chunk(b"_PMX", packet)),
        "mp4": (
            "video/mp4",
            box(b"ftyp", b"isom\0\0\0\0isom") + media + box(b"uuid", xmp_uuid + packet) + moov,
        ),
        "mov": (
            "video/quicktime",
            box(b"ftyp", b"qt  \0\0\0\0qt  ")
            + media
            + box(b"moov", mvhd + sample_track(32) + box(b"udta", box(b"XMP_", packet))),
        ),
        "mp4-track": (
            "video/mp4",
            box(b"ftyp", b"mp42\0\0\0\0mp42")
            + box(b"moov", mvhd + box(b"trak", box(b"udta", box(b"XMP_", packet)))),
        ),
        "mp3": ("audio/mpeg", id3((b"PRIV", b"XMP\0" + packet))),
        "svg": (
            "image/svg+xml",
            b'<svg xmlns="http://www.w3.org/2000/svg"><metadata>' + packet + b"</metadata></svg>",
        ),
        "pdf": ("application/pdf", b"%PDF-1.7\n1 0 obj\n<<>>stream\n" + packet + b"\nendstream"),
    }


@pytest.mark.parametrize("name", sorted(containers()))
def test_xmp_is_found_in_each_container(tmp_path: Path, name: str) -> None:
    kind, content = containers()[name]
    path = tmp_path / name
    path.write_bytes(content)
    assert sniff(content[:1024]) == kind
    facts, found = xmp_of(path, kind)
    assert facts.source_type == "trainedAlgorithmicMedia"
    [signal] = found.signals
    assert (signal.kind, signal.strength) == ("xmp.digital_source_type", "strong")


def test_xmp_fields_and_signal_strengths(tmp_path: Path) -> None:
    extra = (
        "<Iptc4xmpExt:AISystemUsed>Midjourney v7</Iptc4xmpExt:AISystemUsed>"
        "<Iptc4xmpExt:AIPromptInformation>a heron at dawn</Iptc4xmpExt:AIPromptInformation>"
        "<xmp:CreatorTool>Midjourney</xmp:CreatorTool><dc:description><rdf:Alt>"
        '<rdf:li xml:lang="x-default">a heron\nSteps: 20, Sampler: Euler a, CFG scale: 7, '
        "Seed: 1, Size: 512x512</rdf:li></rdf:Alt></dc:description>"
    )
    path = tmp_path / "x.png"
    path.write_bytes(png(itxt("XML:com.adobe.xmp", xmp_packet("digitalCapture", extra))))
    facts, found = xmp_of(path, "image/png")
    assert facts == XmpFacts(
        present=True,
        source_type="digitalCapture",
        ai_system="Midjourney v7",
        ai_prompt="a heron at dawn",
        creator_tool="Midjourney",
        description_parameters=True,
    )
    strengths = {s.kind: s.strength for s in found.signals}
    assert strengths == {
        "xmp.digital_source_type": "weak",
        "xmp.ai_system": "strong",
        "xmp.ai_prompt": "strong",
        "xmp.description_parameters": "strong",
        "xmp.creator_tool": "weak",
    }
    generator = generator_of(path, "image/png")
    assert (generator.parameters, generator.names) == (["AUTOMATIC1111"], ["Midjourney"])


def laugh(level: int) -> str:
    inner = f"&lol{level - 1};" * 10
    return f'<!ENTITY lol{level} "{inner}">'


LAUGHS = "".join(map(laugh, range(1, 10)))
BILLION_LAUGHS = '<?xml version="1.0"?><!DOCTYPE x:xmpmeta [<!ENTITY lol0 "lol">' + LAUGHS + "]>"
XXE = '<?xml version="1.0"?><!DOCTYPE x:xmpmeta [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize(
    ("doctype", "extra"),
    [(BILLION_LAUGHS, "<xmp:CreatorTool>&lol9;</xmp:CreatorTool>"),
     (XXE, "<xmp:CreatorTool>&xxe;</xmp:CreatorTool>")],
    ids=["billion-laughs", "xxe"],
)  # fmt: skip
def test_entity_tricks_are_refused_and_reported(tmp_path: Path, doctype: str, extra: str) -> None:
    path = tmp_path / "evil.png"
    path.write_bytes(png(itxt("XML:com.adobe.xmp", xmp_packet(extra=extra, doctype=doctype))))
    started = time.perf_counter()
    facts, found = xmp_of(path, "image/png")
    assert time.perf_counter() - started < 1.0  # nothing was expanded
    assert facts == XmpFacts(present=True)  # nothing from a refused packet is believed
    [signal] = found.signals
    assert signal.kind == "xmp.unreadable" and "DTDForbidden" in signal.value
    assert "root:" not in found.model_dump_json() and "lollol" not in found.model_dump_json()
    assert generator_of(path, "image/png") == GeneratorFacts()


def test_max_metadata_bytes_bounds_the_packet(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    path.write_bytes(jpeg((0xE1, b"http://ns.adobe.com/xap/1.0/\0" + xmp_packet())))
    facts, found = xmp_of(path, "image/jpeg", ScanOptions(max_metadata_bytes=100))
    assert facts == XmpFacts(present=True, oversized=True)  # the bound was hit: a fact
    assert "exceeds max_metadata_bytes" in found.signals[0].value


def test_jpeg_extended_xmp_fills_in(tmp_path: Path) -> None:
    packet = xmp_packet(extra="<xmp:CreatorTool>DALL·E 3</xmp:CreatorTool>")
    guid = b"0" * 32
    main = b"http://ns.adobe.com/xap/1.0/\0" + xmp_packet("minorHumanEdits")
    parts = [
        (0xE1, b"http://ns.adobe.com/xmp/extension/\0" + guid + struct.pack(">II", len(packet), at)
         + packet[at : at + 100])
        for at in range(0, len(packet), 100)
    ]  # fmt: skip
    path = tmp_path / "ext.jpg"
    path.write_bytes(jpeg((0xE1, main), *reversed(parts)))
    facts, _ = xmp_of(path, "image/jpeg")
    assert (facts.source_type, facts.creator_tool) == ("minorHumanEdits", "DALL·E 3")
    assert generator_of(path, "image/jpeg").names == ["DALL·E 3"]
    assert names_a_generator(["DALL·E 3"])


# --- generator: what the corpus lacks ------------------------------------------------------


def exif(software: str = "", description: str = "", comment: bytes = b"") -> bytes:
    """A big-endian EXIF block with IFD0 Software/ImageDescription and ExifIFD UserComment."""
    values = [(0x010E, 2, description.encode() + b"\0"), (0x0131, 2, software.encode() + b"\0")]
    entries = [(tag, kind, data) for tag, kind, data in values if len(data) > 1]
    ifd0_size = 2 + 12 * (len(entries) + 1) + 4
    data_at = 8 + ifd0_size
    blob, table = b"", b""
    for tag, kind, data in entries:
        table += struct.pack(">HHII", tag, kind, len(data), data_at + len(blob))
        blob += data
    exif_ifd_at = data_at + len(blob)
    table += struct.pack(">HHII", 0x8769, 4, 1, exif_ifd_at)
    exif_ifd = struct.pack(">HHHII", 1, 0x9286, 7, len(comment), exif_ifd_at + 18) + b"\0" * 4
    header = b"MM\0*" + struct.pack(">I", 8)
    return (
        header
        + struct.pack(">H", len(entries) + 1)
        + table
        + b"\0" * 4
        + blob
        + (exif_ifd + comment)
    )


A1111 = "a duck\nNegative prompt: blurry\nSteps: 15, Sampler: UniPC, CFG scale: 5, Seed: 2"


@pytest.mark.parametrize(
    ("name", "content", "kind", "parameters", "known"),
    [
        ("midjourney.jpg", jpeg((0xE1, b"Exif\0\0" + exif(
            description="a heron --ar 3:2 Job ID: 3f1b2c4d-1111-2222-3333-444455556666")
         )), "image/jpeg", ["Midjourney"], ""),
        ("software.jpg", jpeg((0xE1, b"Exif\0\0" + exif("Adobe Firefly 3")))
         , "image/jpeg", [], "Adobe Firefly 3"),
        ("photoshop.jpg", jpeg((0xE1, b"Exif\0\0" + exif("Adobe Photoshop 25.0")))
         , "image/jpeg", [], "-Adobe Photoshop 25.0"),
        ("utf16le.jpg", jpeg((0xE1, b"Exif\0\0" + exif(comment=b"UNICODE\0" + A1111.encode(
            "utf-16-le"))
         )), "image/jpeg", ["AUTOMATIC1111"], ""),
        ("comfy-api.png", png(png_chunk(b"tEXt", b'prompt\0{"3": {"class_type": "KSampler"}}'))
         , "image/png", ["ComfyUI"], ""),
        ("invoke-broken.png", png(png_chunk(b"tEXt", b"invokeai_metadata\0{not json"))
         , "image/png", ["InvokeAI"], ""),
        ("plain-steps.png", png(png_chunk(b"tEXt", b"Description\0Steps: 20, Seed: 1, Size: 5x5"))
         , "image/png", ["A1111-style"], ""),
        ("ztxt.png", png(png_chunk(b"zTXt", b"parameters\0\0" + zlib.compress(A1111.encode())))
         , "image/png", ["AUTOMATIC1111"], ""),
        ("wav-isft.wav", b"RIFF\0\0\0\0WAVE" + riff_chunk(b"LIST", b"INFO" + riff_chunk(
            b"ISFT", b"Suno v4\0")), "audio/x-wav", [], "Suno v4"),
    ],
)  # fmt: skip
def test_generator_reads_what_the_corpus_lacks(
    tmp_path: Path, name: str, content: bytes, kind: str, parameters: list[str], known: str
) -> None:
    """``known``: the tool name the file gives, "-name" when the pack must not call it a
    generator, "" when it gives none."""
    path = tmp_path / name
    path.write_bytes(content)
    facts = generator_of(path, kind)
    assert facts.parameters == parameters
    assert facts.names == ([known.lstrip("-")] if known else [])
    assert names_a_generator(facts.names) == (known != "" and not known.startswith("-"))


@pytest.mark.parametrize(
    ("value", "generator"),
    [
        ("Midjourney", True),
        ("DALL·E 3", True),
        ("dall-e", True),
        ("NovelAI", True),
        ("ComfyUI", True),
        ("Stable Diffusion XL", True),
        ("Adobe Firefly", True),
        ("Runway Gen-3", True),
        ("Sora", True),
        ("Leonardo.Ai", True),
        ("Ideogram 2.0", True),
        ("FLUX.1 [dev]", True),
        ("Image Creator from Designer", True),
        ("Microsoft Responsible AI Image Provenance", True),
        ("Made with Google AI", True),
        ("Adobe Photoshop 25.6 (Macintosh)", False),
        ("GIMP 2.10.34", False),
        ("Adobe Photoshop Lightroom Classic 12.4 (Macintosh)", False),
        ("Leonardo", False),  # a drawing app of that name exists
        ("Lavf58.31.104", False),
        ("Dallas Studio", False),
        ("Google C2PA SDK for Android", False),
    ],
)
def test_pack_list_of_generator_names(value: str, generator: bool) -> None:
    assert names_a_generator([value]) == generator


def test_sniffing_looks_past_an_id3_tag(tmp_path: Path) -> None:
    path = tmp_path / "tagged.flac"
    path.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x02\0\0" + b"fLaC" + bytes(40))
    assert media_type(path) == "audio/flac"
    assert sniff(b"ID3\x03\x00\x00\x00\x00\x00\x02\0\0fLaC") == "audio/mpeg"  # head only


def test_small_pieces() -> None:
    assert has_sd_parameters("x\nSteps: 20, Sampler: Euler a, CFG scale: 7")
    assert not has_sd_parameters("Steps: 20")  # one key alone is ordinary prose
    assert not has_sd_parameters("Steps: 3\nSampler: x\nSeed: 1")  # must share a line
    assert user_comment(b"UNICODE\0" + "Steps: 1".encode("utf-16-be")) == "Steps: 1"
    assert user_comment(b"ASCII\0\0\0Screenshot") == "Screenshot"
    assert user_comment(b"\0" * 8 + b"caf\xc3\xa9") == "café"


def test_stealth_metadata_needs_the_magic(tmp_path: Path) -> None:
    """An RGBA PNG without the magic costs a glance at its first rows, nothing more."""
    path = tmp_path / "rgba.png"
    path.write_bytes(png(rgba=True, size=(64, 200)))
    assert generator_of(path, "image/png") == GeneratorFacts()


# --- decode: what the corpus lacks ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("jpeg", "ok"),
        ("png", "ok"),
        ("wav", "ok"),
        ("mp3", "ok"),
        ("mov", "ok"),
        ("mp4", "ok"),
        ("png-after-idat", "ok"),
        ("webp", "fail"),  # an XMP chunk and no image data
        ("pdf", "not-checked"),
    ],
)
def test_decode_on_built_files(tmp_path: Path, name: str, state: str) -> None:
    kind, content = containers()[name]
    path = tmp_path / name
    path.write_bytes(content)
    assert decode_of(path, kind).state == state


@pytest.mark.parametrize(
    ("content", "kind", "detail"),
    [
        (b"", "image/png", "file is empty"),
        (png()[:-12], "image/png", "PNG ends without an IEND chunk"),
        (jpeg()[:-2], "image/jpeg", "truncated JPEG: no EOI marker after the image data"),
        (b"RIFF\0\0\0\0WAVE" + riff_chunk(b"data", bytes(4)), "audio/x-wav", "WAV without fmt "),
        (b"\x00\x00\x00\x08moov", "video/mp4", "moov box without a movie header (mvhd)"),
        (b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(50), "audio/mpeg", "fewer than two"),
    ],
)
def test_decode_failures_say_why(tmp_path: Path, content: bytes, kind: str, detail: str) -> None:
    path = tmp_path / "f"
    path.write_bytes(content)
    facts = decode_of(path, kind)
    assert facts.state in ("fail", "empty") and facts.detail.startswith(detail)


# --- random and damaged input never raises -------------------------------------------------

KINDS = sorted({kind for kind, _ in containers().values()} | {"image/tiff", "image/avif"})
SEEDS = [r.file for r in ROWS if 0 < r.file.stat().st_size <= 64 * 1024]
SEEDS += [Path(f"built:{name}") for name in sorted(containers())]


def seed_bytes(seed: Path) -> bytes:
    if seed.name.startswith("built:"):
        return containers()[seed.name.removeprefix("built:")][1]
    return seed.read_bytes()


def run_all(content: bytes, forced: str) -> None:
    """Sniff, then run all three extractors as sniffed and as ``forced`` (a wrong guess)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f"
        path.write_bytes(content)
        sniffed = media_type(path)
        for kind in {sniffed, forced}:
            for extractor in (XMP, GENERATOR, DECODE):
                if extractor.applies(kind):
                    assert isinstance(extractor.extract(path, kind, OPTIONS), Extraction)


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
quiet_pillow = pytest.mark.filterwarnings("ignore::UserWarning")  # "Corrupt EXIF data" etc.


@quiet_pillow
@FUZZ
@given(content=st.binary(max_size=4096), forced=st.sampled_from(KINDS))
def test_random_bytes_never_raise(content: bytes, forced: str) -> None:
    run_all(content, forced)


@quiet_pillow
@FUZZ
@given(
    seed=st.sampled_from(SEEDS),
    cut=st.floats(0.0, 1.0),
    flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 7)), max_size=8),
    forced=st.sampled_from(KINDS),
)
def test_damaged_files_never_raise(
    seed: Path, cut: float, flips: list[tuple[float, int]], forced: str
) -> None:
    data = bytearray(seed_bytes(seed))
    data = data[: max(1, int(len(data) * cut))]
    for where, bit in flips:
        data[min(int(where * len(data)), len(data) - 1)] ^= 1 << bit
    run_all(bytes(data), forced)


# --- AIGC implicit labels (GB 45438-2025), ComfyUI WebP, files that do not decode ----------

AIGC_LABEL = (
    '{"Label": "1", "ContentProducer": "001191110108MA01KP2T5U00000", '
    '"ProduceID": "b7c1e0", "ContentPropagator": "", "PropagateID": ""}'
)


def _aigc_xmp() -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        'xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/">'
        f"<TC260:AIGC>{AIGC_LABEL}</TC260:AIGC></rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()


@pytest.mark.parametrize(
    ("name", "kind", "content", "where"),
    [
        ("label.png", "image/png", png(png_chunk(b"tEXt", b"AIGC\0" + AIGC_LABEL.encode())),
         "PNG text 'AIGC'"),
        ("xmp.png", "image/png", png(itxt("XML:com.adobe.xmp", _aigc_xmp())), "XMP"),
        ("exif.jpg", "image/jpeg", jpeg((0xE1, b"Exif\0\0" + exif(
            description='{"AIGC": ' + AIGC_LABEL + "}")
         )), "EXIF ImageDescription"),
        ("comment.jpg", "image/jpeg", jpeg((0xE1, b"Exif\0\0" + exif(
            comment=b"ASCII\0\0\0" + AIGC_LABEL.encode()))), "EXIF UserComment"),
        ("udta.mp4", "video/mp4", box(b"ftyp", b"isom\0\0\0\0isom") + box(b"moov", box(
            b"mvhd", bytes(100)) + box(b"udta", box(b"AIGC", AIGC_LABEL.encode()))),
         "QuickTime udta AIGC"),
    ],
)  # fmt: skip
def test_aigc_implicit_label_is_read_and_gives_a_verdict(
    tmp_path: Path, name: str, kind: str, content: bytes, where: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    found = GENERATOR.extract(path, kind, OPTIONS)
    assert found.aigc is not None
    assert (found.aigc.present, found.aigc.label) == (True, "1")
    assert found.aigc.producer == "001191110108MA01KP2T5U00000"
    assert found.aigc.where.startswith(where)
    facts = FileFacts(aigc=found.aigc).model_dump()
    assert classify(resolve("ai-provenance"), facts).rule == "R12"


def test_comfyui_webp_graph_in_exif_make_and_model(tmp_path: Path) -> None:
    """ComfyUI's WebP savers write ``workflow:{...}`` to Make and ``prompt:{...}`` to Model."""
    graph = '{"3": {"class_type": "KSampler", "inputs": {"seed": 1}}}'
    make, model = b"workflow:{}\0", f"prompt:{graph}\0".encode()
    entries = [(0x010F, make), (0x0110, model)]
    at = 8 + 2 + 12 * len(entries) + 4
    table, blob = b"", b""
    for tag, data in entries:
        table += struct.pack(">HHII", tag, 2, len(data), at + len(blob))
        blob += data
    tiff = b"MM\0*" + struct.pack(">I", 8) + struct.pack(">H", len(entries)) + table + bytes(4)
    webp = b"RIFF\0\0\0\0WEBP" + riff_chunk(b"VP8 ", bytes(10)) + riff_chunk(b"EXIF", tiff + blob)
    path = tmp_path / "comfy.webp"
    path.write_bytes(webp)
    assert generator_of(path, "image/webp").parameters == ["ComfyUI"]


def bad_adler_png() -> bytes:
    """A 1×1 PNG whose zlib stream ends with a wrong Adler-32 (chunk CRCs correct)."""
    good = png()
    data = zlib.compress(b"\0" + bytes(3))
    idat = png_chunk(b"IDAT", data[:-4] + bytes(4))
    start = good.index(b"IDAT") - 4
    end = start + 12 + int.from_bytes(good[start : start + 4], "big")
    return good[:start] + idat + good[end:]


@pytest.mark.parametrize(
    ("name", "content", "kind", "detail"),
    [
        ("pointer.jpg", b"version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n",
         "application/octet-stream", "Git LFS pointer"),
        ("notes.mov", b"just some words", "application/octet-stream", "video/quicktime"),
        ("error.jpg", b"<html><body>403 Forbidden</body></html>", "application/octet-stream",
         "content is text"),
        ("bad-adler.png", bad_adler_png(), "image/png", "does not inflate"),
        ("bad-crc.png", png()[:-25] + bytes(4) + png()[-21:], "image/png", "fails its CRC"),
        ("empty-movie.mov", box(b"ftyp", b"qt  \0\0\0\0qt  ") + box(b"moov", box(
            b"mvhd", bytes(100)) + sample_track(4000)) + box(b"mdat", b""), "video/quicktime",
         "outside the media data"),
    ],
)  # fmt: skip
def test_files_a_decoder_would_reject_fail(
    tmp_path: Path, name: str, content: bytes, kind: str, detail: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    facts = decode_of(path, kind)
    assert facts.state == "fail" and detail in facts.detail


def test_text_named_as_text_is_not_checked(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"version https://git-lfs.github.com/spec/v1\n")
    assert decode_of(path, "application/octet-stream").state == "not-checked"


def test_unknown_binary_named_as_media_is_not_judged(tmp_path: Path) -> None:
    """A container this sniffer does not know (a QuickTime file opening with a uuid box, a
    camera raw) is not called broken for its name."""
    path = tmp_path / "camera.mov"
    path.write_bytes(b"\0\0\0\x18uuid" + bytes(range(256)) * 4)
    assert decode_of(path, "application/octet-stream").state == "not-checked"
