"""Decode: can the file be opened at all? A structural check, not a full decode.

A deliverable that no player or viewer can open is a finding in itself, and it explains why
the other extractors found nothing. Checks read headers and framing only: JPEG markers up to
the scan plus the EOI at the end, PNG chunks to IEND, RIFF/ISO BMFF/ID3/MPEG framing, and
Pillow's header parse for formats without a check of our own. Formats Pillow cannot decode
here (HEIC, SVG, EXR, DPX …) are ``no-codec``: unknown, not broken.

Where a header check passes files a decoder rejects, bounded deeper checks follow: PNG image
data is CRC-checked and inflated and discarded (zlib's Adler-32 checked) up to
``INFLATE_BUDGET`` compressed bytes; a movie's tracks must have samples that lie inside the
file; an AVI's ``movi`` list must hold frames. A file whose name claims a media type its
content does not have (a Git LFS pointer saved as ``.jpg``) fails too.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from clearance.provenance.containers import (
    Block,
    Source,
    StructureError,
    Tiff,
    TiffEntry,
    bmff_boxes,
    find_box,
    id3_frames,
    id3_tag_size,
    jpeg_segments,
    mpeg_frame_length,
    open_source,
    png_chunks,
    riff_chunks,
)
from clearance.provenance.model import DecodeFacts, Extraction, ScanOptions, Signal
from clearance.provenance.sniff import DNG

State = Literal["ok", "fail", "no-codec", "empty", "not-checked"]
Result = tuple[State, str]
Check = Callable[[Path, Source], Result]

_SOF = frozenset(bytes((m,)) for m in range(0xC0, 0xD0) if m not in (0xC4, 0xC8, 0xCC))
_PNG_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
_WINDOW = 1 << 20
_STRIP_TAGS = frozenset({273, 279, 324, 325})  # strip/tile offsets and byte counts
_SIZE_TAGS = frozenset({256, 257})  # ImageWidth, ImageLength
_OK: Result = ("ok", "")
#: Compressed PNG image data inflated (and discarded) to prove it decodes, at most (about
#: 10-15 ms); beyond it a larger image's chunks are CRC-checked only.
INFLATE_BUDGET = 4 << 20
_CRITICAL = frozenset({b"IHDR", b"PLTE", b"IDAT", b"IEND"})
_BITS_PER_PIXEL = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # samples per pixel by colour type
_LFS = b"version https://git-lfs.github.com/spec/"


def _fail(detail: str) -> Result:
    return ("fail", detail)


# --------------------------------------------------------------------------- images


def _jpeg(path: Path, src: Source) -> Result:
    """Markers up to SOS must fit and include a frame header; an EOI must follow the scan
    (entropy-coded data never contains FF D9, so its absence means truncation)."""
    sof = sos = None
    for seg in jpeg_segments(src):
        if seg.kind in _SOF:
            sof = seg
        sos = seg
    if sof is None or sos is None:
        return _fail("no JPEG frame header (SOF) before the scan")
    _height, width = struct.unpack(">HH", src.read(sof.offset + 1, 4).ljust(4, b"\0"))
    if not width:
        return _fail("JPEG frame header with zero width")
    if _rfind(src, b"\xff\xd9", sos.end) < 0:
        return _fail("truncated JPEG: no EOI marker after the image data")
    return _OK


def _rfind(src: Source, needle: bytes, start: int) -> int:
    """Last offset of ``needle`` at or after ``start``, searched backwards from the end in
    1 MiB windows (instant when the file ends with it, as nearly all JPEGs do)."""
    stop = src.size
    while stop > start:
        lo = max(start, stop - _WINDOW)
        hit = src.read(lo, stop - lo + len(needle) - 1).rfind(needle)
        if hit >= 0:
            return lo + hit
        stop = lo
    return -1


def _png(path: Path, src: Source) -> Result:
    """IHDR first (valid, CRC checked), at least one IDAT, every chunk framed, IEND."""
    chunks = png_chunks(src)
    first = next(chunks, None)
    if first is None or first.kind != b"IHDR" or first.length != 13:
        return _fail("PNG does not start with an IHDR chunk")
    problem = _ihdr_problem(src.read(first.offset - 4, 21))
    if problem:
        return _fail(problem)
    idat = [c for c in chunks if c.kind == b"IDAT"]  # raises if a chunk runs past the end
    if not idat:
        return _fail("PNG has no IDAT chunk")
    if idat[0].length >= 2 and not _zlib_header(src.read(idat[0].offset, 2)):
        return _fail("PNG image data is not a zlib stream")
    return _png_data(src, idat, src.read(first.offset, 13))


def _png_data(src: Source, idat: list[Block], ihdr: bytes) -> Result:
    """Read the image data as a decoder would: every IDAT CRC (cheap), and the zlib stream
    inflated and discarded up to ``INFLATE_BUDGET`` compressed bytes — to its end, Adler-32
    and (not interlaced) size when the image fits the budget, its first part otherwise."""
    inflater = zlib.decompressobj()
    total = fed = 0
    try:
        for chunk in idat:
            data = src.read(chunk.offset, chunk.length)
            crc = src.read(chunk.end, 4)
            if zlib.crc32(data, zlib.crc32(b"IDAT")) != int.from_bytes(crc, "big"):
                return _fail(f"PNG IDAT chunk at offset {chunk.offset - 8} fails its CRC")
            fed += len(data)
            data = data[: max(0, len(data) - max(0, fed - INFLATE_BUDGET))]
            while data and not inflater.eof:
                total += len(inflater.decompress(data, 1 << 20))
                data = inflater.unconsumed_tail
    except zlib.error as exc:
        return _fail(f"PNG image data does not inflate: {exc}")
    if fed > INFLATE_BUDGET:
        return _OK  # the first INFLATE_BUDGET bytes inflate; the rest is CRC-checked only
    if not inflater.eof:
        return _fail("PNG image data ends before its zlib stream does")
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", ihdr)
    expected = height * (1 + -(-width * depth * _BITS_PER_PIXEL.get(color, 1) // 8))
    if not interlace and total < expected:
        return _fail(f"PNG image data holds {total} of {expected} bytes")
    return _OK


def _ihdr_problem(raw: bytes) -> str:
    """``raw`` is type + data + CRC of IHDR (21 bytes)."""
    if zlib.crc32(raw[:17]) != int.from_bytes(raw[17:21], "big"):
        return "PNG IHDR checksum mismatch"
    width, height, depth, color = struct.unpack(">IIBB", raw[4:14])
    if not width or not height:
        return "PNG with zero width or height"
    if depth not in _PNG_DEPTHS.get(color, ()):
        return f"PNG with invalid colour type {color} / bit depth {depth}"
    return ""


def _zlib_header(raw: bytes) -> bool:
    return raw[0] & 0x0F == 8 and int.from_bytes(raw, "big") % 31 == 0


def _webp(path: Path, src: Source) -> Result:
    kinds = [chunk.kind for chunk in riff_chunks(src)]
    if not {b"VP8 ", b"VP8L"}.intersection(kinds) and b"ANIM" not in kinds:
        return _fail("WebP without VP8/VP8L image data")
    return _OK


def _bmff_image(codec: str) -> Check:
    """HEIF/AVIF: boxes must frame the file and hold ``meta``; decodable if Pillow has the
    codec (AVIF is built in; HEIF needs a plugin such as pillow-heif)."""

    def check(path: Path, src: Source) -> Result:
        kinds = [box.kind for box in bmff_boxes(src)]
        if b"meta" not in kinds:
            return _fail(f"{codec} without a meta box")
        if not _pillow_has(codec):
            return ("no-codec", f"no Pillow {codec} plugin; container structure ok")
        return _OK

    return check


def _pillow_has(fmt: str) -> bool:
    from PIL import Image

    Image.init()
    return fmt in Image.OPEN


def _pillow(fmt: str) -> Check:
    """Formats without a check of our own: Pillow's lazy open parses the header only."""

    def check(path: Path, src: Source) -> Result:
        del src
        if not _pillow_has(fmt):
            return ("no-codec", f"no Pillow {fmt} plugin")
        from PIL import Image

        try:
            with Image.open(path, formats=[fmt]) as image:
                width, height = image.size
        except Exception as exc:  # Pillow raises many types on hostile input; all mean "no"
            return _fail(f"Pillow cannot open it: {type(exc).__name__}: {exc}"[:300])
        return _OK if width and height else _fail("image with zero width or height")

    return check


def _tiff(path: Path, src: Source) -> Result:
    """IFD0 must be well formed, give the image size and image data (strips or tiles), and
    every strip/tile must lie inside the file. (Pillow's parse of the same header costs
    ten times as much and checks no more.)"""
    tiff = Tiff(src)
    ifd0 = tiff.entries(tiff.ifd0, _STRIP_TAGS | _SIZE_TAGS)
    if not _SIZE_TAGS.issubset(ifd0):
        return _fail("TIFF without an image width and length")
    if not ({273, 279}.issubset(ifd0) or {324, 325}.issubset(ifd0)):
        return _fail("TIFF without image data (strips or tiles)")
    for offsets_tag, counts_tag in ((273, 279), (324, 325)):
        if offsets_tag in ifd0 and counts_tag in ifd0:
            offsets = _tiff_numbers(tiff, ifd0[offsets_tag])
            counts = _tiff_numbers(tiff, ifd0[counts_tag])
            if any(o + c > src.size for o, c in zip(offsets, counts, strict=False)):
                return _fail("TIFF image data runs past the end of the file")
    return _OK


def _tiff_numbers(tiff: Tiff, entry: TiffEntry) -> list[int]:
    """The SHORT/LONG/LONG8 values of an entry (the first 65536)."""
    size = {3: 2, 4: 4, 16: 8}.get(entry.type, 0)
    if not size:
        return []
    raw = tiff.src.read(entry.value_offset, min(entry.count, 1 << 16) * size)
    return [int.from_bytes(raw[i : i + size], tiff.order) for i in range(0, len(raw), size)]


def _no_codec(kind: str) -> Check:
    def check(path: Path, src: Source) -> Result:
        return ("no-codec", f"no Pillow decoder for {kind}")

    return check


# --------------------------------------------------------------------------- audio/video


def _movie(path: Path, src: Source) -> Result:
    """Top-level boxes must frame the file; ``moov`` must hold ``mvhd`` and no ``moov``; a
    track's samples must start inside the file, and some track (or a fragment) must have
    samples at all — a player shows nothing of a movie without them."""
    moov = None
    fragments = False
    media: list[Block] = []
    for box in bmff_boxes(src):
        if box.kind == b"moov" and moov is None:
            moov = box
        elif box.kind == b"mdat":
            media.append(box)
        fragments = fragments or box.kind == b"moof"
    if moov is None:
        return _fail("no moov box")
    kinds = [box.kind for box in bmff_boxes(src, moov.offset, moov.end)]
    if b"moov" in kinds:
        return _fail("moov box nested inside moov")
    if b"mvhd" not in kinds:
        return _fail("moov box without a movie header (mvhd)")
    samples = 0
    for trak in bmff_boxes(src, moov.offset, moov.end):
        if trak.kind != b"trak":
            continue
        stbl = find_box(src, (b"mdia", b"minf", b"stbl"), trak.offset, trak.end)
        if stbl is None:
            continue
        count, first = _track_samples(src, stbl)
        if count and not any(m.offset <= first < m.end for m in media):
            return _fail(f"track samples at offset {first} lie outside the media data (mdat)")
        samples += count
    if not samples and not fragments and b"mvex" not in kinds:
        return _fail("movie without any samples (no frames or audio)")
    return _OK


def _track_samples(src: Source, stbl: Block) -> tuple[int, int]:
    """(sample count from ``stsz``/``stz2``, offset of the first chunk from ``stco``/``co64``)."""
    count, first = 0, 0
    for box in bmff_boxes(src, stbl.offset, stbl.end):
        head = src.read(box.offset, 16)
        if box.kind in (b"stsz", b"stz2") and len(head) >= 12:
            count = int.from_bytes(head[8:12], "big")
        elif box.kind == b"stco" and len(head) >= 12 and int.from_bytes(head[4:8], "big"):
            first = int.from_bytes(head[8:12], "big")
        elif box.kind == b"co64" and len(head) >= 16 and int.from_bytes(head[4:8], "big"):
            first = int.from_bytes(head[8:16], "big")
    return count, first


def _riff_media(required: tuple[bytes, ...], what: str) -> Check:
    """WAV/AVI: the required chunks must be present. Like players, the RIFF size field and a
    short final chunk are tolerated (reported in the detail)."""

    def check(path: Path, src: Source) -> Result:
        seen: set[bytes] = set()
        note = ""
        try:
            for chunk in riff_chunks(src):
                seen.add(chunk.kind)
                if chunk.kind == b"LIST":
                    form = src.read(chunk.offset, 4)
                    if form != b"movi" or _has_frames(src, chunk):
                        seen.add(b"LIST:" + form)
        except StructureError as exc:
            note = str(exc)
        declared = int.from_bytes(src.read(4, 4), "little") + 8
        if declared != src.size and not note:
            note = f"RIFF size field says {declared} bytes, the file has {src.size}"
        missing = [k.decode("latin-1") for k in required if k not in seen]
        if missing:
            return _fail(f"{what} without {', '.join(missing)}" + (f" ({note})" if note else ""))
        return ("ok", note)

    return check


def _has_frames(src: Source, movi: Block) -> bool:
    """Whether an AVI ``movi`` list holds at least one stream chunk (``00dc``, ``01wb``…)
    with its data inside the file."""
    try:
        for chunk in riff_chunks(src, movi.offset + 4, movi.end):
            name = chunk.kind
            if chunk.kind == b"LIST" and src.read(chunk.offset, 4) == b"rec ":
                return _has_frames(src, chunk)
            if name[:2].isdigit() and chunk.length and chunk.end <= src.size:
                return True
    except StructureError:
        return False
    return False


def _mp3(path: Path, src: Source) -> Result:
    """ID3 frames well formed, then two consecutive MPEG audio frame headers."""
    for frame in id3_frames(src):
        compressed = frame.flags & (0x0080 if src.read(3, 1) == b"\x03" else 0x0008)
        if compressed and frame.length < 4:
            name = frame.kind.decode("latin-1")
            return _fail(f"ID3 frame {name} is compressed but shorter than its length field")
    start = id3_tag_size(src)
    head = src.read(start, 1 << 16)  # padding or junk may precede the first frame
    pos = head.find(b"\xff")
    while 0 <= pos < len(head) - 3:
        length = mpeg_frame_length(head[pos : pos + 4])
        if length and mpeg_frame_length(src.read(start + pos + length, 4)):
            return _OK
        pos = head.find(b"\xff", pos + 1)
    return _fail("fewer than two consecutive MPEG audio frames")


def _flac(path: Path, src: Source) -> Result:
    block = src.read(4, 4)
    if len(block) < 4 or block[0] & 0x7F != 0 or int.from_bytes(block[1:4], "big") != 34:
        return _fail("FLAC without a STREAMINFO block")
    return _OK if src.size >= 42 else _fail("FLAC shorter than its STREAMINFO block")


def _mxf(path: Path, src: Source) -> Result:
    """The header partition pack key must carry a BER length that fits the file."""
    head = src.read(0, 1 << 16)
    at = head.find(bytes.fromhex("060e2b34020501010d0102"))
    if at < 0 or at + 17 > len(head):
        return _fail("no MXF header partition pack")
    first = head[at + 16]
    size, width = (first, 1) if first < 0x80 else (0, 1 + (first & 0x7F))
    if first >= 0x80:
        size = int.from_bytes(head[at + 17 : at + 16 + width], "big")
    if at + 16 + width + size > src.size:
        return _fail("MXF header partition pack runs past the end of the file")
    return _OK


_CHECKS: dict[str, Check] = {
    "image/jpeg": _jpeg,
    "image/png": _png,
    "image/webp": _webp,
    "image/tiff": _tiff,
    DNG: _tiff,
    "image/gif": _pillow("GIF"),
    "image/bmp": _pillow("BMP"),
    "image/vnd.adobe.photoshop": _pillow("PSD"),
    "image/jp2": _pillow("JPEG2000"),
    "image/avif": _bmff_image("AVIF"),
    "image/heif": _bmff_image("HEIF"),
    "image/svg+xml": _no_codec("SVG"),
    "image/x-exr": _no_codec("OpenEXR"),
    "image/x-dpx": _no_codec("DPX"),
    "image/x-cineon": _no_codec("Cineon"),
    "image/jxl": _no_codec("JPEG XL"),
    "video/mp4": _movie,
    "video/quicktime": _movie,
    "video/3gpp": _movie,
    "audio/mp4": _movie,
    "audio/x-wav": _riff_media((b"fmt ", b"data"), "WAV"),
    "video/x-msvideo": _riff_media((b"LIST:hdrl", b"LIST:movi"), "AVI"),
    "audio/mpeg": _mp3,
    "audio/flac": _flac,
    "application/mxf": _mxf,
}


def check(path: Path, media_type: str) -> Result:
    """State and detail for one file (``StructureError`` from a walker becomes ``fail``)."""
    f, src = open_source(path)
    with f:
        if src.size == 0:
            return ("empty", "file is empty")
        checker = _CHECKS.get(media_type)
        if checker is None and not _is_media(media_type):
            claimed = claimed_media_type(path.name)
            head = src.read(0, 512)
            if claimed and _is_text(head):  # binary content of an unknown kind: not judged
                what = "a Git LFS pointer" if head.startswith(_LFS) else "text"
                return _fail(f"named as {claimed} but the content is {what}")
        if checker is None:
            return ("not-checked", f"no structural check for {media_type}")
        try:
            return checker(path, src)
        except StructureError as exc:
            return _fail(str(exc))


_TEXT_BYTES = (
    frozenset(b"\t\n\r\f\b") | frozenset(range(0x20, 0x7F)) | frozenset(range(0x80, 0x100))
)


def _is_text(head: bytes) -> bool:
    """Text (a Git LFS pointer, an HTML error page, JSON) rather than any binary format:
    no NUL and no other control byte in the first bytes."""
    return bool(head) and all(b in _TEXT_BYTES for b in head)


def _is_media(media_type: str) -> bool:
    return media_type.startswith(("image/", "audio/", "video/")) or media_type in (
        "application/mxf",
        "application/x-empty",
    )


#: Extensions that promise media; content that sniffs as something else is not that media.
_MEDIA_EXTENSIONS = {
    **dict.fromkeys(("jpg", "jpeg", "jpe", "jfif"), "image/jpeg"),
    **dict.fromkeys(("png", "apng"), "image/png"),
    **dict.fromkeys(("tif", "tiff"), "image/tiff"),
    **{"webp": "image/webp", "gif": "image/gif", "bmp": "image/bmp", "avif": "image/avif"},
    **{"heic": "image/heic", "heif": "image/heif", "dng": DNG, "exr": "image/x-exr"},
    **{"dpx": "image/x-dpx", "psd": "image/vnd.adobe.photoshop", "jxl": "image/jxl"},
    **dict.fromkeys(("mp4", "m4v"), "video/mp4"),
    **{"mov": "video/quicktime", "avi": "video/x-msvideo", "mxf": "application/mxf"},
    **{"mkv": "video/x-matroska", "webm": "video/webm", "m4a": "audio/mp4"},
    **{"wav": "audio/x-wav", "mp3": "audio/mpeg", "flac": "audio/flac", "aac": "audio/aac"},
}


def claimed_media_type(name: str) -> str:
    """The media type a file name's extension promises, "" when it promises none."""
    _, dot, extension = name.rpartition(".")
    return _MEDIA_EXTENSIONS.get(extension.lower(), "") if dot else ""


class DecodeExtractor:
    """Reports ``DecodeFacts``; failures come with a ``decode.state`` signal saying why."""

    name = "decode"

    def applies(self, media_type: str) -> bool:
        """Media, and unknown content (octet-stream, text) whose name may claim media."""
        return _is_media(media_type) or media_type in (
            "application/octet-stream",
            "text/plain",
        )

    def extract(self, path: Path, media_type: str, options: ScanOptions) -> Extraction:
        del options
        state, detail = check(path, media_type)
        signals = []
        if state in ("fail", "empty", "no-codec"):
            signals.append(Signal(kind="decode.state", value=state, strength="weak", source=detail))
        return Extraction(decode=DecodeFacts(state=state, detail=detail), signals=signals)


EXTRACTOR = DecodeExtractor()
