"""Identify a file by what it starts with, never by its name.

Deliverables arrive renamed and re-wrapped, so extractors choose their parser from the sniffed
type, never the extension.
"""

from __future__ import annotations

import struct
from pathlib import Path

from clearance.provenance.containers import (
    TIFF_MAGICS,
    Source,
    id3_tag_size,
    mpeg_frame_length,
    tiff_has_tag,
)

OCTET = "application/octet-stream"
EMPTY = "application/x-empty"
DNG = "image/x-adobe-dng"
TIFF = "image/tiff"

#: Bytes read for sniffing: magic numbers need 64; ftyp brand lists and XML prologues a bit more.
HEAD_BYTES = 1024
_MXF_KEY = bytes.fromhex("060e2b34020501010d0102")
_RIFF_FORMS = {b"WAVE": "audio/x-wav", b"AVI ": "video/x-msvideo", b"WEBP": "image/webp"}
_AVIF_BRANDS = {b"avif", b"avis"}
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1"}
_QT_FIRST_BOXES = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
_MAGICS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"v/1\x01", "image/x-exr"),
    (b"SDPX", "image/x-dpx"),
    (b"XPDS", "image/x-dpx"),
    (b"\x80\x2a\x5f\xd7", "image/x-cineon"),
    (b"8BPS", "image/vnd.adobe.photoshop"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "image/jp2"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "image/jxl"),
    (b"\xff\x0a", "image/jxl"),
    (b"%PDF-", "application/pdf"),
    (b"fLaC", "audio/flac"),
    (b"ID3", "audio/mpeg"),
    (b"OggS\x00", "audio/ogg"),
    (_MXF_KEY, "application/mxf"),
)


# --------------------------------------------------------------------------- sniffing


def media_type(path: Path) -> str:
    """The file's real type from its first bytes (and, for TIFF, one IFD to spot DNG)."""
    with open(path, "rb", buffering=0) as f:
        return media_type_of(Source(f))


def media_type_of(src: Source) -> str:
    """``media_type`` of an opened file or a file read whole."""
    head = src.read(0, HEAD_BYTES)
    kind = sniff(head)
    if kind == TIFF and tiff_has_tag(src, 0xC612):
        return DNG
    if head.startswith(b"ID3"):  # an ID3 tag may precede FLAC or AAC as well as MP3
        after = sniff(src.read(id3_tag_size(Source(head)), 16))
        if after in ("audio/flac", "audio/aac"):
            return after
    return kind


def sniff(head: bytes) -> str:
    """The media type for the first bytes of a file (``HEAD_BYTES`` are enough)."""
    if not head:
        return EMPTY
    for magic, kind in _MAGICS:
        if head.startswith(magic):
            return kind
    return (
        _sniff_tiff(head)
        or _sniff_riff(head)
        or _sniff_bmff(head)
        or _sniff_mpeg_audio(head)
        or _sniff_other(head)
        or _sniff_text(head)
        or OCTET
    )


def _sniff_tiff(head: bytes) -> str | None:
    if head[:4] not in TIFF_MAGICS:
        return None
    return "image/x-canon-cr2" if head[8:10] == b"CR" else TIFF


def _sniff_riff(head: bytes) -> str | None:
    if head[:4] in (b"RIFF", b"RF64", b"BW64"):
        return _RIFF_FORMS.get(head[8:12])
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "audio/x-aiff"
    return None


def _sniff_bmff(head: bytes) -> str | None:
    if len(head) < 8:
        return None
    size, box = struct.unpack_from(">I4s", head)
    if box == b"ftyp" and size >= 16:
        brands = [head[i : i + 4] for i in range(16, min(size, len(head)) - 3, 4)]
        return _brand_type(head[8:12], brands)
    if box == b"jumb":
        return "application/c2pa"
    if box in _QT_FIRST_BOXES and (size >= 8 or size in (0, 1)):
        return "video/quicktime"
    return None


def _brand_type(major: bytes, compatible: list[bytes]) -> str:
    """ISO BMFF brands → type; the major brand decides first, then the compatible list."""
    if major == b"qt  ":
        return "video/quicktime"
    if major in (b"M4A ", b"M4B ", b"M4P ", b"F4A "):
        return "audio/mp4"
    if major == b"crx ":
        return "image/x-canon-cr3"
    if major[:3] in (b"3gp", b"3ge", b"3gg"):
        return "video/3gpp"
    for brands in ([major], compatible):
        if _AVIF_BRANDS.intersection(brands):
            return "image/avif"
        if _HEIF_BRANDS.intersection(brands) or b"msf1" in brands:
            return "image/heif"
    return "video/mp4"


def _sniff_mpeg_audio(head: bytes) -> str | None:
    """MPEG audio frame sync (11 set bits) with a valid version/layer/bitrate/rate header."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    if head[1] & 0xF6 == 0xF0:
        return "audio/aac"  # ADTS: 12-bit sync, layer 00
    return "audio/mpeg" if mpeg_frame_length(head[:4]) else None


def _sniff_other(head: bytes) -> str | None:
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    if head[:2] == b"BM" and len(head) >= 18 and head[6:10] == b"\0\0\0\0" and _bmp_dib(head):
        return "image/bmp"
    if _MXF_KEY in head:  # MXF allows a short run-in before the header partition
        return "application/mxf"
    if b"%PDF-" in head:  # PDF allows junk before the header (within the first 1 KiB)
        return "application/pdf"
    return None


def _bmp_dib(head: bytes) -> bool:
    return int.from_bytes(head[14:18], "little") in (12, 40, 52, 56, 64, 108, 124)


def _sniff_text(head: bytes) -> str | None:
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not text.startswith(b"<"):
        return None
    if b"<svg" in head:
        return "image/svg+xml"
    if b"<x:xmpmeta" in head or b"<?xpacket" in head or b"<x:xapmeta" in head:
        return "application/rdf+xml"  # an XMP sidecar
    return None
