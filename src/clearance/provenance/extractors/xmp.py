"""XMP: find the packet where each format keeps it, parse it safely, report the AI fields.

XMP is where non-C2PA tools (Midjourney, Firefly PNG exports, IPTC-aware DAMs) declare
``Iptc4xmpExt:DigitalSourceType``. The packet is located by walking the container (JPEG APP1,
PNG iTXt, TIFF tag 700, WebP/WAV/AVI chunks, MP4 boxes, ID3 PRIV) and only where a format has
no fixed place (PDF, HEIF/AVIF, SVG, unknown) by a bounded byte search. Packets are parsed
with defusedxml with DTDs forbidden: entity bombs and external entities are refused, and the
refusal is reported.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]

from clearance.provenance.containers import (
    PNG_TEXT_CHUNKS,
    Block,
    Source,
    StructureError,
    Tiff,
    bmff_boxes,
    find_box,
    id3_frames,
    jpeg_segments,
    open_source,
    png_chunks,
    png_keyword,
    png_text,
    preloaded_generation,
    riff_chunks,
)
from clearance.provenance.model import (
    Extraction,
    ScanOptions,
    Signal,
    Strength,
    XmpFacts,
    source_type_term,
)
from clearance.provenance.sniff import DNG

RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
IPTC_EXT = "{http://iptc.org/std/Iptc4xmpExt/2008-02-29/}"
DIGITAL_SOURCE_TYPE = IPTC_EXT + "DigitalSourceType"
AI_SYSTEM = IPTC_EXT + "AISystemUsed"
AI_PROMPT = IPTC_EXT + "AIPromptInformation"
CREATOR_TOOL = "{http://ns.adobe.com/xap/1.0/}CreatorTool"
PROVENANCE = "{http://purl.org/dc/terms/}provenance"
DESCRIPTION = "{http://purl.org/dc/elements/1.1/}description"
CREDIT = "{http://ns.adobe.com/photoshop/1.0/}Credit"  # IPTC Credit Line ("Made with Google AI")
_WANTED = (DIGITAL_SOURCE_TYPE, AI_SYSTEM, AI_PROMPT, CREATOR_TOOL, PROVENANCE, DESCRIPTION, CREDIT)
#: GB 45438-2025 implicit label (TC260 namespace, read in any namespace by its local name).
AIGC = "AIGC"

#: Source types that declare generative AI (IPTC); the others are reported as weak context.
AI_SOURCE_TYPES = frozenset(
    {"trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "trainedAlgorithmicData"}
)

XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
_JPEG_XMP = b"http://ns.adobe.com/xap/1.0/\0"
_JPEG_EXTENDED = b"http://ns.adobe.com/xmp/extension/\0"
_PNG_XMP = "XML:com.adobe.xmp"
_SCAN_WINDOW = 1 << 20  # bytes searched at each end of a file without a fixed XMP place
_PDF_WINDOW = 4 << 20
_SIGNAL_TEXT = 200  # signal values are cut to this many characters

_STEPS = re.compile(r"\bSteps:\s*\d+")
_SD_KEYS = ("Sampler:", "CFG scale:", "Seed:", "Size:", "Model hash:", "Model:")


def has_sd_parameters(text: str) -> bool:
    """True when ``text`` holds an A1111-style block: ``Steps: N`` and, on the same line, at
    least two more generation keys (``Sampler:``, ``CFG scale:``, ``Seed:`` …)."""
    for match in _STEPS.finditer(text):
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.end())
        line = text[start : end if end >= 0 else len(text)]
        if sum(key in line for key in _SD_KEYS) >= 2:
            return True
    return False


# --------------------------------------------------------------------------- locating


@dataclass(frozen=True, slots=True)
class Packet:
    """An XMP packet and where it was found (``error`` set when it could not be read)."""

    where: str
    data: bytes = b""
    error: str = ""


Finder = Callable[[Source, int], list[Packet]]


BOUND_HIT = "exceeds max_metadata_bytes"


def _too_large(where: str, size: int) -> Packet:
    return Packet(where, error=f"XMP packet of {size} bytes {BOUND_HIT}")


def _block_packet(src: Source, where: str, offset: int, length: int, limit: int) -> Packet:
    if length > limit:
        return _too_large(where, length)
    return Packet(where, src.read(offset, length))


def _jpeg(src: Source, limit: int) -> list[Packet]:
    packets: list[Packet] = []
    extended: dict[bytes, dict[int, bytes]] = {}
    try:
        for seg in jpeg_segments(src):
            if seg.kind != b"\xe1":
                continue
            head = src.read(seg.offset, len(_JPEG_EXTENDED))
            if head.startswith(_JPEG_XMP) and not packets:
                n = len(_JPEG_XMP)
                packets.append(
                    _block_packet(src, "JPEG APP1", seg.offset + n, seg.length - n, limit)
                )
            elif head == _JPEG_EXTENDED:
                _extended_part(src, seg, extended, limit)
    except StructureError:
        pass
    return packets + _assemble_extended(extended)


def _extended_part(
    src: Source, seg: Block, parts: dict[bytes, dict[int, bytes]], limit: int
) -> None:
    """One APP1 chunk of Extended XMP: GUID (32), full length (4), offset (4), data."""
    start = seg.offset + len(_JPEG_EXTENDED)
    head = src.read(start, 40)
    if len(head) < 40:
        return
    guid, offset = head[:32], int.from_bytes(head[36:40], "big")
    chunks = parts.setdefault(guid, {})
    if sum(map(len, chunks.values())) + seg.length <= limit:
        chunks[offset] = src.read(start + 40, seg.length - len(_JPEG_EXTENDED) - 40)


def _assemble_extended(parts: dict[bytes, dict[int, bytes]]) -> list[Packet]:
    return [
        Packet("JPEG APP1 Extended XMP", b"".join(chunks[k] for k in sorted(chunks)))
        for chunks in parts.values()
    ]


def _png(src: Source, limit: int) -> list[Packet]:
    """The first text chunk keyed ``XML:com.adobe.xmp`` (iTXt by the spec; zTXt/tEXt seen)."""
    try:
        for chunk in png_chunks(src):
            if chunk.kind in PNG_TEXT_CHUNKS and png_keyword(src, chunk) == _PNG_XMP:
                text = png_text(src, chunk, limit)
                if text is None:
                    where = "PNG " + chunk.kind.decode()
                    if chunk.length > limit:
                        return [_too_large(where, chunk.length)]
                    return [Packet(where, error="corrupt, or larger than its bound inflated")]
                return [Packet("PNG " + chunk.kind.decode(), text.data)]
    except StructureError:
        pass
    return []


def _tiff(src: Source, limit: int) -> list[Packet]:
    try:
        tiff = Tiff(src)
        entry = tiff.entries(tiff.ifd0, frozenset({700})).get(700)
    except StructureError:
        return []
    if entry is None:
        return []
    if entry.nbytes > limit:
        return [_too_large("TIFF tag 700", entry.nbytes)]
    return [Packet("TIFF tag 700", tiff.value(entry, limit))]


def _riff_finder(kind: bytes, where: str) -> Finder:
    def find(src: Source, limit: int) -> list[Packet]:
        try:
            for chunk in riff_chunks(src):
                if chunk.kind == kind:
                    return [_block_packet(src, where, chunk.offset, chunk.length, limit)]
        except StructureError:
            pass
        return []

    return find


def _bmff(src: Source, limit: int) -> list[Packet]:
    """Top-level ``uuid`` box with the XMP UUID, else ``moov/udta/XMP_``, else a search of
    the ``moov`` box (writers also put XMP in track or meta boxes; media data is skipped)."""
    moov = None
    try:
        for box in bmff_boxes(src):
            if box.kind == b"uuid" and src.read(box.offset, 16) == XMP_UUID:
                return [_block_packet(src, "MP4 uuid box", box.offset + 16, box.length - 16, limit)]
            moov = box if box.kind == b"moov" and moov is None else moov
    except StructureError:
        pass
    if moov is None:
        return []
    udta = find_box(src, (b"udta", b"XMP_"), moov.offset, moov.end)
    if udta is not None:
        return [_block_packet(src, "moov/udta/XMP_", udta.offset, udta.length, limit)]
    found = _scan_range(src, moov.offset, min(moov.end, moov.offset + limit), limit)
    return [found] if found else []


def _id3(src: Source, limit: int) -> list[Packet]:
    """ID3v2 PRIV frame owned by ``XMP``."""
    try:
        for frame in id3_frames(src):
            if frame.kind == b"PRIV" and src.read(frame.offset, 4) == b"XMP\0":
                return [_block_packet(src, "ID3 PRIV", frame.offset + 4, frame.length - 4, limit)]
    except StructureError:
        pass
    return []


def _scan(src: Source, limit: int, window: int = _SCAN_WINDOW) -> list[Packet]:
    """Bounded byte search for ``<x:xmpmeta … </x:xmpmeta>`` in the first and last
    ``window`` bytes (the last window first: appended updates win)."""
    window = min(window, limit)
    tail = max(src.size - window, 0)
    for start, stop in ((tail, src.size), (0, min(window, tail))):
        packet = _scan_range(src, start, stop, limit)
        if packet is not None:
            return [packet]
    return []


def _scan_range(src: Source, start: int, stop: int, limit: int) -> Packet | None:
    for opener, closer in ((b"<x:xmpmeta", b"</x:xmpmeta>"), (b"<x:xapmeta", b"</x:xapmeta>")):
        begin = src.find(opener, start, stop)
        if begin < 0:
            continue
        end = src.find(closer, begin, begin + limit)
        if end < 0:
            return Packet("byte scan", error="XMP packet without an end within max_metadata_bytes")
        return Packet("byte scan", src.read(begin, end + len(closer) - begin))
    return None


_FINDERS: dict[str, Finder] = {
    "image/jpeg": _jpeg,
    "image/png": _png,
    "image/tiff": _tiff,
    DNG: _tiff,
    "image/webp": _riff_finder(b"XMP ", "WebP XMP chunk"),
    "audio/x-wav": _riff_finder(b"_PMX", "WAV _PMX chunk"),
    "video/x-msvideo": _riff_finder(b"_PMX", "AVI _PMX chunk"),
    "video/mp4": _bmff,
    "video/quicktime": _bmff,
    "video/3gpp": _bmff,
    "audio/mp4": _bmff,
    "audio/mpeg": _id3,
}
#: Formats whose finder is authoritative: no byte search of the file when it finds nothing (it
#: would read megabytes of media, or pick up XMP of embedded thumbnails or C2PA ingredients).
_EXACT = frozenset(_FINDERS)
_NO_XMP = frozenset({"application/x-empty", "application/c2pa"})


def find_packets(src: Source, media_type: str, limit: int) -> list[Packet]:
    """XMP packets of the file, main packet first (JPEG Extended XMP comes second)."""
    finder = _FINDERS.get(media_type)
    packets = finder(src, limit) if finder else []
    if packets or media_type in _EXACT:
        return packets
    window = _PDF_WINDOW if media_type == "application/pdf" else _SCAN_WINDOW
    return _scan(src, limit, window)


# --------------------------------------------------------------------------- parsing


def parse_packet(data: bytes) -> dict[str, str]:
    """The wanted properties of a packet, by ``{namespace}name``.

    Raises ``ValueError`` (with a reason people can read) for malformed or refused XML.
    """
    if data[:1] in (b"<", b" ", b"\t", b"\r", b"\n"):
        data = data.strip(b"\0 \t\r\n")  # writers pad packets with NULs (not in UTF-16 ones)
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise ValueError(
            f"refused: {type(exc).__name__} (DTDs and entities are not allowed)"
        ) from exc
    except ParseError as exc:
        raise ValueError(f"malformed XML: {exc}") from exc
    return _properties(root)


def _properties(root: Element) -> dict[str, str]:
    """Wanted properties of the top-level ``rdf:Description`` nodes (attribute or element
    form). Nested descriptions (ingredients, pantry, history) are not the asset's own."""
    rdf = root if root.tag == RDF + "RDF" else root.find(f".//{RDF}RDF")
    props: dict[str, str] = {}
    if rdf is None:
        return props
    for desc in rdf.iterfind(RDF + "Description"):
        for name in _WANTED:
            if name in props:
                continue
            value = desc.get(name)
            if value is None and (element := desc.find(name)) is not None:
                value = _value(element)
            if value:
                props[name] = value.strip()
        if AIGC not in props:
            aigc = _local(desc, AIGC)
            if aigc:
                props[AIGC] = aigc.strip()
    return props


def _local(desc: Element, local: str) -> str:
    """An attribute or child of ``desc`` by local name, whatever its namespace."""
    suffix = "}" + local
    for name, value in desc.attrib.items():
        if name.endswith(suffix) or name == local:
            return value
    for child in desc:
        if isinstance(child.tag, str) and (child.tag.endswith(suffix) or child.tag == local):
            return _value(child)
    return ""


def _value(element: Element) -> str:
    """Simple value, ``rdf:resource``, or the (x-default) item of an Alt/Seq/Bag."""
    resource = element.get(RDF + "resource")
    if resource is not None:
        return resource
    items = list(element.iter(RDF + "li"))
    if items:
        default = [
            li
            for li in items
            if li.get("{http://www.w3.org/XML/1998/namespace}lang") == "x-default"
        ]
        return (default or items)[0].text or ""
    return element.text or ""


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class XmpRead:
    """What the XMP of one file says (shared with the generator extractor)."""

    present: bool = False
    where: str = ""
    props: Mapping[str, str] = field(default_factory=dict)
    error: str = ""

    @property
    def description(self) -> str:
        return self.props.get(DESCRIPTION, "")


def read_xmp(path: Path, media_type: str, limit: int) -> XmpRead:
    """The file's XMP, cached per path and version (inode, size, times): the XMP and generator
    extractors both need it, and a packet is read and parsed once."""
    generation = preloaded_generation(path)
    if generation is not None:  # the file being inspected, read once: no stat needed
        return _read_cached(str(path), media_type, limit, (generation, 0, 0, 0))
    st = os.stat(path)
    version = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    return _read_cached(str(path), media_type, limit, version)


@functools.lru_cache(maxsize=32)
def _read_cached(
    path: str, media_type: str, limit: int, version: tuple[int, int, int, int]
) -> XmpRead:
    del version  # part of the cache key only: a rewritten file is read again
    if media_type in _NO_XMP:
        return XmpRead()
    f, src = open_source(Path(path))
    with f:
        packets = find_packets(src, media_type, limit)
    return _merge(packets)


def _merge(packets: list[Packet]) -> XmpRead:
    """Main packet first; Extended XMP only fills properties the main one lacks."""
    if not packets:
        return XmpRead()
    props: dict[str, str] = {}
    errors: list[str] = []
    for packet in packets:
        if packet.error:
            errors.append(f"{packet.where}: {packet.error}")
            continue
        try:
            for name, value in parse_packet(packet.data).items():
                props.setdefault(name, value)
        except ValueError as exc:
            errors.append(f"{packet.where}: {exc}")
    return XmpRead(True, packets[0].where, props, "; ".join(errors))


# --------------------------------------------------------------------------- extractor


def _cut(text: str) -> str:
    return text if len(text) <= _SIGNAL_TEXT else text[: _SIGNAL_TEXT - 1] + "…"


def _facts(read: XmpRead) -> XmpFacts:
    raw_type = read.props.get(DIGITAL_SOURCE_TYPE, "")
    return XmpFacts(
        present=read.present,
        source_type=source_type_term(raw_type) if raw_type else "",
        ai_system=read.props.get(AI_SYSTEM, ""),
        ai_prompt=read.props.get(AI_PROMPT, ""),
        creator_tool=read.props.get(CREATOR_TOOL, ""),
        provenance=read.props.get(PROVENANCE, ""),
        description_parameters=has_sd_parameters(read.description),
        oversized=BOUND_HIT in read.error or "larger than its bound" in read.error,
    )


def _signals(facts: XmpFacts, read: XmpRead) -> Iterator[Signal]:
    where = f"XMP ({read.where})"

    def signal(kind: str, value: str, strength: Strength, prop: str) -> Signal:
        return Signal(kind=kind, value=_cut(value), strength=strength, source=f"{where} {prop}")

    if facts.source_type:
        strength: Strength = "strong" if facts.source_type in AI_SOURCE_TYPES else "weak"
        yield signal(
            "xmp.digital_source_type", facts.source_type, strength, "Iptc4xmpExt:DigitalSourceType"
        )
    if facts.ai_system:
        yield signal("xmp.ai_system", facts.ai_system, "strong", "Iptc4xmpExt:AISystemUsed")
    if facts.ai_prompt:
        yield signal("xmp.ai_prompt", facts.ai_prompt, "strong", "Iptc4xmpExt:AIPromptInformation")
    if facts.description_parameters:
        yield signal(
            "xmp.description_parameters", "A1111-style parameters", "strong", "dc:description"
        )
    if facts.creator_tool:
        yield signal("xmp.creator_tool", facts.creator_tool, "weak", "xmp:CreatorTool")
    if facts.provenance:
        yield signal("xmp.provenance", facts.provenance, "weak", "dcterms:provenance")
    if read.error:
        yield Signal(kind="xmp.unreadable", value=_cut(read.error), strength="weak", source=where)


class XmpExtractor:
    """Reports ``XmpFacts``; never raises for a malformed packet (it becomes a signal)."""

    name = "xmp"

    def applies(self, media_type: str) -> bool:
        return media_type not in _NO_XMP

    def extract(self, path: Path, media_type: str, options: ScanOptions) -> Extraction:
        read = read_xmp(path, media_type, options.max_metadata_bytes)
        if not read.present:
            return Extraction(xmp=XmpFacts())
        facts = _facts(read)
        return Extraction(xmp=facts, signals=list(_signals(facts, read)))


EXTRACTOR = XmpExtractor()

__all__ = ["EXTRACTOR", "XmpRead", "find_packets", "has_sd_parameters", "parse_packet", "read_xmp"]
