"""Generator parameters: the settings Stable-Diffusion-family tools write into their outputs.

A1111/Forge, ComfyUI, InvokeAI, NovelAI and Fooocus leave prompts and sampler settings in PNG
text chunks or EXIF UserComment; Midjourney leaves a ``Job ID:`` in the description; many
tools name themselves in Software/CreatorTool (the ai-provenance pack holds the list of names
that only generators write; the extractor only reports the names). None of this is signed,
but it is rarely left by anything else, so it is strong evidence of generation when C2PA is
absent. ComfyUI's WebP savers put the graph in EXIF Make/Model (``workflow:{...}``).

The metadata blocks are found by walking the container (no pixel decoding); sd-parsers'
parsers are then run on what was found, as its ``ParserManager`` would (default eagerness)
without Pillow loading the image to reach text chunks after IDAT. A1111 "stealth" metadata
(hidden in alpha-channel LSBs, sd-parsers' EAGER mode) is looked for only in 8-bit RGBA PNGs
without other parameters, and only after a cheap check of the first alpha bits finds its magic.
"""

from __future__ import annotations

import contextlib
import json
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    meta_children,
    open_source,
    png_chunks,
    png_keyword,
    png_text,
    riff_chunks,
)
from clearance.provenance.extractors.xmp import (
    AIGC,
    CREATOR_TOOL,
    CREDIT,
    has_sd_parameters,
    read_xmp,
)
from clearance.provenance.model import AigcFacts, Extraction, GeneratorFacts, ScanOptions, Signal
from clearance.provenance.sniff import DNG

if TYPE_CHECKING:
    from sd_parsers.parsers import Parser

#: Pixels a stealth-metadata decode may touch (Pillow's own bomb limit also applies).
MAX_STEALTH_PIXELS = 25_000_000  # ≈ 100 MB of RGBA while decoding: a 4096×6144 upscale
_TEXT_LIMIT = 1 << 20  # one EXIF/ID3/QuickTime text value
_SD_TRIGGERS = frozenset(
    {"parameters", "prompt", "workflow", "invokeai_metadata", "invokeai_graph", "sd-metadata"}
    | {"Dream", "Comment"}
)
_KEY_GENERATORS = {  # PNG text keys that only these tools write (used when parsing fails)
    "invokeai_metadata": "InvokeAI",
    "invokeai_graph": "InvokeAI",
    "sd-metadata": "InvokeAI",
    "Dream": "InvokeAI",
    "fooocus_scheme": "Fooocus",
}
_NOT_PROSE = ("XML:com.adobe.xmp", "Raw profile type", "icc", "exif:", "xmp:")  # PNG text keys
_MIDJOURNEY_JOB = re.compile(r"Job ID:\s*[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-")
#: ``{"AIGC": {...}}``, or the label's own object (its Label and ContentProducer fields).
_AIGC_OBJECT = re.compile(
    r'^\s*\{\s*(?:"AIGC"\s*:\s*\{|(?=.*"Label")(?=.*"ContentProducer"))', re.S
)
_NAME_LIMIT = 200  # characters of one tool name handed to the pack
#: EXIF Make/Model prefixes ComfyUI's WebP savers use for its graph (no PNG text in WebP).
_EXIF_GRAPH = {"workflow:": "workflow", "prompt:": "prompt"}


# --------------------------------------------------------------------------- gathering


@dataclass
class Found:
    """The metadata of one file that may name a generator, by where it was found."""

    png_text: dict[str, str] = field(default_factory=dict)  # keyword → text (first wins)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (where, text) to check
    user_comment: str = ""
    software: list[tuple[str, str]] = field(default_factory=list)  # (where, value)
    aigc: list[tuple[str, str]] = field(default_factory=list)  # (where, AIGC label text)
    ihdr: bytes = b""
    idat: list[Block] = field(default_factory=list)
    oversized: list[str] = field(default_factory=list)  # blocks over the bound, by where


def _gather(src: Source, media_type: str, limit: int) -> Found:
    found = Found()
    gatherer = _GATHERERS.get(media_type)
    if gatherer is not None:
        with contextlib.suppress(StructureError):  # keep what was read before the damage
            gatherer(src, found, limit)
    return found


def _jpeg(src: Source, found: Found, limit: int) -> None:
    for seg in jpeg_segments(src):
        if seg.kind == b"\xe1" and src.read(seg.offset, 6) == b"Exif\0\0":
            if seg.length - 6 > limit:
                found.oversized.append(f"JPEG EXIF ({seg.length} bytes)")
            _exif(Source(src.read(seg.offset + 6, min(seg.length - 6, limit))), found, "EXIF")
        elif seg.kind == b"\xfe":  # COM
            found.texts.append(("JPEG comment", _decode(src.read(seg.offset, seg.length))))


def _png(src: Source, found: Found, limit: int) -> None:
    for chunk in png_chunks(src):
        if chunk.kind == b"IHDR":
            found.ihdr = src.read(chunk.offset, 13)
        elif chunk.kind == b"IDAT":
            found.idat.append(chunk)
        elif chunk.kind == b"eXIf":
            if chunk.length > limit:
                found.oversized.append(f"PNG eXIf ({chunk.length} bytes)")
            else:
                _exif(Source(src.read(chunk.offset, chunk.length)), found, "PNG eXIf")
        elif chunk.kind in PNG_TEXT_CHUNKS:
            text = png_text(src, chunk, limit)
            if text is not None:
                _png_entry(found, text.keyword, text.text)
            elif chunk.length > limit or chunk.kind != b"tEXt":  # too big, or inflates past it
                keyword = png_keyword(src, chunk)
                found.oversized.append(
                    f"PNG {chunk.kind.decode()} '{keyword}' ({chunk.length} bytes)"
                )


def _png_entry(found: Found, keyword: str, text: str) -> None:
    """Software goes to ``software``; generator keys wait for sd-parsers (``png_text``);
    any other text is checked for parameter blocks and Midjourney job ids."""
    found.png_text.setdefault(keyword, text)
    where = f"PNG text '{keyword}'"
    if keyword == "AIGC":
        found.aigc.append((where, text))
    elif keyword in ("Software", "exif:Software"):
        found.software.append((where, text.strip()))
    elif keyword not in _SD_TRIGGERS and not keyword.startswith(_NOT_PROSE):
        found.texts.append((where, text))


def _webp(src: Source, found: Found, limit: int) -> None:
    for chunk in riff_chunks(src):
        if chunk.kind == b"EXIF" and chunk.length > limit:
            found.oversized.append(f"WebP EXIF ({chunk.length} bytes)")
        elif chunk.kind == b"EXIF":
            blob = src.read(chunk.offset, chunk.length)
            _exif(Source(blob.removeprefix(b"Exif\0\0")), found, "WebP EXIF")


def _tiff(src: Source, found: Found, limit: int) -> None:
    del limit
    _exif(src, found, "TIFF")


#: Software, description, XPComment, ExifIFD, Make, Model
_IFD0_TAGS = frozenset({0x0131, 0x010E, 0x9C9C, 0x8769, 0x010F, 0x0110})
_USER_COMMENT = frozenset({0x9286})


def _exif(src: Source, found: Found, where: str) -> None:
    """IFD0 Software/ImageDescription/XPComment and ExifIFD UserComment of a TIFF block."""
    try:
        tiff = Tiff(src)
        ifd0 = tiff.entries(tiff.ifd0, _IFD0_TAGS)
        if 0x0131 in ifd0:
            found.software.append((f"{where} Software", tiff.text(ifd0[0x0131], _TEXT_LIMIT)))
        if 0x010E in ifd0:
            found.texts.append((f"{where} ImageDescription", tiff.text(ifd0[0x010E], _TEXT_LIMIT)))
        for tag in (0x010F, 0x0110):  # ComfyUI WebP: "workflow:{...}", "prompt:{...}"
            if tag in ifd0:
                _exif_graph(tiff.text(ifd0[tag], _TEXT_LIMIT), found, where)
        if 0x9C9C in ifd0:
            xp = tiff.value(ifd0[0x9C9C], _TEXT_LIMIT)
            found.texts.append((f"{where} XPComment", xp.decode("utf-16-le", "replace")))
        if 0x8769 in ifd0:
            exif_ifd = tiff.entries(tiff.number(ifd0[0x8769]), _USER_COMMENT)
            if 0x9286 in exif_ifd:
                raw = tiff.value(exif_ifd[0x9286], _TEXT_LIMIT)
                found.user_comment = user_comment(raw)
    except StructureError:
        pass


def _exif_graph(value: str, found: Found, where: str) -> None:
    del where  # the graph is reported like PNG text (sd-parsers reads both the same way)
    for prefix, key in _EXIF_GRAPH.items():
        if value[: len(prefix)].lower() == prefix:
            found.png_text.setdefault(key, value[len(prefix) :])


def user_comment(raw: bytes) -> str:
    """EXIF UserComment: 8-byte character code, then text (UTF-16 in either byte order for
    ``UNICODE``: writers disagree, so the order is guessed from where the zero bytes are)."""
    code, body = raw[:8], raw[8:]
    if code.startswith(b"UNICODE"):
        if body[:2] in (b"\xfe\xff", b"\xff\xfe"):
            text = body.decode("utf-16", "replace")
        else:
            big_endian = body[0::2].count(0) >= body[1::2].count(0)
            text = body.decode("utf-16-be" if big_endian else "utf-16-le", "replace")
    elif code.startswith(b"ASCII"):
        text = body.decode("latin-1")
    else:
        text = _decode(body if code == b"\0" * 8 or code.startswith(b"JIS") else raw)
    return text.strip("\0 ")


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").strip("\0 \r\n")


def _mp3(src: Source, found: Found, limit: int) -> None:
    del limit
    for frame in id3_frames(src):
        if frame.kind in (b"TSSE", b"TENC", b"TSS", b"TEN"):
            value = _id3_text(src.read(frame.offset, min(frame.length, _TEXT_LIMIT)))
            found.software.append((f"ID3 {frame.kind.decode()}", value))


def _id3_text(raw: bytes) -> str:
    encoding = {0: "latin-1", 1: "utf-16", 2: "utf-16-be", 3: "utf-8"}.get(raw[:1][0] if raw else 0)
    return raw[1:].decode(encoding or "latin-1", "replace").strip("\0 ")


def _riff_info(src: Source, found: Found, limit: int) -> None:
    """WAV/AVI ``LIST/INFO`` ISFT (software)."""
    del limit
    for chunk in riff_chunks(src):
        if chunk.kind == b"LIST" and src.read(chunk.offset, 4) == b"INFO":
            for item in riff_chunks(src, chunk.offset + 4, chunk.end):
                if item.kind == b"ISFT":
                    value = _decode(src.read(item.offset, min(item.length, _TEXT_LIMIT)))
                    found.software.append(("RIFF INFO ISFT", value))
            return


_QT_SOFTWARE = (b"\xa9too", b"\xa9swr")


def _bmff(src: Source, found: Found, limit: int) -> None:
    """Encoder/software tags: ``moov/udta/©too|©swr``, ``moov/udta/meta/ilst/©too`` and
    ``moov/meta`` keys ``com.apple.quicktime.software``."""
    del limit
    udta = find_box(src, (b"moov", b"udta"))
    if udta is not None:
        for kind in _QT_SOFTWARE:
            box = find_box(src, (kind,), udta.offset, udta.end)
            if box is not None:  # QuickTime text: length (2), language (2), text
                value = _decode(src.read(box.offset + 4, min(box.length - 4, _TEXT_LIMIT)))
                found.software.append((f"QuickTime {kind.decode('latin-1')}", value))
        aigc = find_box(src, (b"AIGC",), udta.offset, udta.end)
        if aigc is not None:
            value = _decode(src.read(aigc.offset, min(aigc.length, _TEXT_LIMIT)))
            found.aigc.append(("QuickTime udta AIGC", value))
        ilst = find_box(src, (b"meta", b"ilst"), udta.offset, udta.end)
        if ilst is not None:
            _ilst(src, ilst, None, found)
    meta = find_box(src, (b"moov", b"meta"))
    if meta is not None:
        _keyed_meta(src, meta, found)


def _keyed_meta(src: Source, meta: Block, found: Found) -> None:
    keys: dict[int, bytes] = {}
    ilst: Block | None = None
    for box in meta_children(src, meta):
        if box.kind == b"keys":
            keys = _mdta_keys(src.read(box.offset, min(box.length, _TEXT_LIMIT)))
        elif box.kind == b"ilst":
            ilst = box
    if ilst is not None:
        _ilst(src, ilst, keys, found)


def _mdta_keys(raw: bytes) -> dict[int, bytes]:
    """``keys`` box: version/flags, count, then (size, namespace, name) entries, 1-based."""
    keys: dict[int, bytes] = {}
    pos = 8
    for index in range(1, 1 + min(int.from_bytes(raw[4:8], "big"), 4096)):
        size = int.from_bytes(raw[pos : pos + 4], "big")
        if size < 8 or pos + size > len(raw):
            break
        keys[index] = raw[pos + 8 : pos + size]
        pos += size
    return keys


_SOFTWARE_KEYS = (b"\xa9too", b"com.apple.quicktime.software")
_AIGC_KEYS = (b"AIGC", b"com.aigc.label")


def _ilst(src: Source, ilst: Block, keys: dict[int, bytes] | None, found: Found) -> None:
    """``ilst`` items are named by four-character codes, or (with ``keys``) by 1-based key
    index."""
    for item in bmff_boxes(src, ilst.offset, ilst.end):
        name = item.kind if keys is None else keys.get(int.from_bytes(item.kind, "big"))
        if name not in _SOFTWARE_KEYS and name not in _AIGC_KEYS:
            continue
        data = find_box(src, (b"data",), item.offset, item.end)
        if data is not None and name is not None:  # data: type (4), locale (4), value
            value = _decode(src.read(data.offset + 8, min(data.length - 8, _TEXT_LIMIT)))
            where = f"QuickTime {name.decode('latin-1')}"
            (found.aigc if name in _AIGC_KEYS else found.software).append((where, value))


_GATHERERS: dict[str, Callable[[Source, Found, int], None]] = {
    "image/jpeg": _jpeg,
    "image/png": _png,
    "image/webp": _webp,
    "image/tiff": _tiff,
    DNG: _tiff,
    "audio/mpeg": _mp3,
    "audio/x-wav": _riff_info,
    "video/x-msvideo": _riff_info,
    "video/mp4": _bmff,
    "video/quicktime": _bmff,
    "video/3gpp": _bmff,
    "audio/mp4": _bmff,
}


# --------------------------------------------------------------------------- sd-parsers


@cache
def _parsers() -> tuple[Parser, ...]:
    """sd-parsers' parsers in ``ParserManager`` order (imported on first use: it pulls in
    Pillow, which a scan of audio/video never needs)."""
    from sd_parsers.parsers import MANAGED_PARSERS

    # MANAGED_PARSERS is typed as the abstract base but holds the concrete parsers.
    return tuple(parser(normalize_parameters=False) for parser in MANAGED_PARSERS)  # type: ignore[abstract]


def sd_parse(parameters: dict[str, Any]) -> str:
    """The generator sd-parsers recognises in a metadata dict (first parser that succeeds, as
    in ``ParserManager.parse``), else ""."""
    return sd_parse_prompt(parameters)[0]


def sd_parse_prompt(parameters: dict[str, Any]) -> tuple[str, str]:
    """``(generator, prompt)`` sd-parsers reads from a metadata dict, else ``("", "")``; the
    prompt (for the cue sheet) is bounded to ``MAX_PROMPT`` characters."""
    for parser in _parsers():
        try:
            info = parser.parse(dict(parameters))
            prompt = str(info.full_prompt or "")
            return str(info.generator.value), prompt[:MAX_PROMPT]
        except Exception:  # a third-party parser on hostile input: any error means "not this"
            continue
    return "", ""


MAX_PROMPT = 2000


@dataclass
class Hits:
    """Generators found, each with the place that revealed it."""

    items: dict[str, str] = field(default_factory=dict)  # name → where
    prompt: str = ""  # the first prompt read with a generator's parameters

    def add(self, name: str, where: str, prompt: str = "") -> None:
        if name:
            self.items.setdefault(name, where)
            self.prompt = self.prompt or prompt


def _png_parameters(found: Found, hits: Hits) -> None:
    keys = _SD_TRIGGERS.intersection(found.png_text)
    if keys:
        name, prompt = sd_parse_prompt(found.png_text)
        where = "PNG text " + ", ".join(sorted(keys))
        hits.add(name, f"{where} (sd-parsers)", prompt)
        if not name:  # let the text checks look at what sd-parsers could not read
            found.texts.extend((f"PNG text '{k}'", found.png_text[k]) for k in sorted(keys))
    for key, name in _KEY_GENERATORS.items():
        if key in found.png_text and not hits.items:
            hits.add(name, f"PNG text '{key}'")
    if not hits.items:
        hits.add(_comfy_json(found.png_text), "PNG text 'prompt'/'workflow' (ComfyUI graph)")


def _comfy_json(texts: dict[str, str]) -> str:
    """ComfyUI API exports carry only ``prompt`` (a node graph with ``class_type``)."""
    prompt, workflow = texts.get("prompt", ""), texts.get("workflow", "")
    if '"class_type"' in prompt or ('"nodes"' in workflow and '"links"' in workflow):
        return "ComfyUI"
    return ""


def _text_parameters(found: Found, hits: Hits) -> None:
    candidates = list(found.texts)
    if found.user_comment:
        candidates.insert(0, ("EXIF UserComment", found.user_comment))
    for where, text in candidates:
        if ('"AIGC"' in text or '"ContentProducer"' in text) and _AIGC_OBJECT.search(text):
            found.aigc.append((where, text.strip()))  # a label in a free-text field
        if _MIDJOURNEY_JOB.search(text):
            hits.add("Midjourney", f"{where} (Job ID)")
        elif "Steps:" in text or "Sampler:" in text or text.lstrip().startswith("{"):
            name, prompt = sd_parse_prompt({"parameters": text})
            if name:
                hits.add(name, f"{where} (sd-parsers)", prompt)
            elif has_sd_parameters(text):
                hits.add("A1111-style", f"{where} (Steps/Sampler block)")


# --------------------------------------------------------------------------- stealth


_STEALTH = {b"stealth_pnginfo": False, b"stealth_pngcomp": True}  # magic → gzip-compressed
_MAGIC_BITS = 15 * 8
_LSB = bytes(0x30 | (b & 1) for b in range(256))  # byte → ASCII '0'/'1' of its low bit


def stealth_candidate(src: Source, found: Found, limit: int) -> bool:
    """Whether the first alpha LSBs (column-major, as A1111 writes them) spell a stealth
    magic. The first byte ("s") needs 8 rows; only if it matches are 120 rows looked at."""
    if len(found.ihdr) < 13 or not found.idat:
        return False
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", found.ihdr)
    if color != 6 or depth != 8 or interlace or width * height > MAX_STEALTH_PIXELS:
        return False
    first = _alpha_lsbs(src, found.idat, (width, height), 8, limit)
    if first != b"s":
        return False
    return _alpha_lsbs(src, found.idat, (width, height), _MAGIC_BITS, limit) in _STEALTH


def _alpha_lsbs(
    src: Source, idat: list[Block], size: tuple[int, int], bits: int, limit: int
) -> bytes:
    """The first ``bits`` alpha LSBs in column-major order, packed into bytes."""
    width, height = size
    rows, cols = min(height, bits), -(-bits // height)
    if cols > width:
        return b""
    stride = 1 + 4 * width
    raw = _inflate_prefix(src, idat, rows * stride, limit)
    if len(raw) < rows * stride:
        return b""
    alpha = _alpha_prefix(raw, stride, rows, cols)
    lsbs = bytes(alpha[i % height][i // height] & 1 | 0x30 for i in range(bits))
    return int(lsbs, 2).to_bytes(bits // 8, "big")


def _inflate_prefix(src: Source, idat: list[Block], need: int, limit: int) -> bytes:
    inflater = zlib.decompressobj()
    out = bytearray()
    try:
        for chunk in idat:
            for pos in range(chunk.offset, chunk.end, 1 << 16):
                data = src.read(pos, min(1 << 16, chunk.end - pos))
                out += inflater.decompress(data, min(need, limit) - len(out))
                if len(out) >= need:
                    return bytes(out)
    except zlib.error:
        pass
    return bytes(out)


def _alpha_prefix(raw: bytes, stride: int, rows: int, cols: int) -> list[bytes]:
    """Alpha of the first ``cols`` pixels of each row, undoing PNG filters on that prefix
    only (every filter reads left, up and up-left bytes, all inside the prefix)."""
    width = 4 * cols
    prior = bytes(width)
    alphas = []
    for row in range(rows):
        start = row * stride
        line = _unfilter(raw[start], raw[start + 1 : start + 1 + width], prior)
        alphas.append(line[3::4])
        prior = line
    return alphas


def _unfilter(kind: int, line: bytes, prior: bytes) -> bytes:
    out = bytearray(line)
    for i in range(len(out)):
        left = out[i - 4] if i >= 4 else 0
        up, up_left = prior[i], (prior[i - 4] if i >= 4 else 0)
        if kind == 1:
            out[i] = (out[i] + left) & 0xFF
        elif kind == 2:
            out[i] = (out[i] + up) & 0xFF
        elif kind == 3:
            out[i] = (out[i] + ((left + up) >> 1)) & 0xFF
        elif kind == 4:
            out[i] = (out[i] + _paeth(left, up, up_left)) & 0xFF
    return bytes(out)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def read_stealth(path: Path, limit: int) -> str:
    """Decode the whole image (Pillow, bounded) and read the stealth payload; "" if none."""
    from PIL import Image

    try:
        with Image.open(path, formats=["PNG"]) as image:
            if image.mode != "RGBA" or image.width * image.height > MAX_STEALTH_PIXELS:
                return ""
            alpha = image.getchannel("A").transpose(Image.Transpose.TRANSPOSE).tobytes()
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        return ""
    return _stealth_payload(alpha.translate(_LSB), limit)


def _stealth_payload(bits: bytes, limit: int) -> str:
    compressed = _STEALTH.get(int(bits[:_MAGIC_BITS], 2).to_bytes(15, "big"))
    if compressed is None or len(bits) < _MAGIC_BITS + 32:
        return ""
    length = int(bits[_MAGIC_BITS : _MAGIC_BITS + 32], 2)
    body = bits[_MAGIC_BITS + 32 : _MAGIC_BITS + 32 + length]
    if not body or length > 8 * limit:
        return ""
    data = int(body, 2).to_bytes(len(body) // 8, "big")
    if compressed:
        inflater = zlib.decompressobj(wbits=31)  # gzip
        try:
            data = inflater.decompress(data, limit)
        except zlib.error:
            return ""
    return data.decode("utf-8", "replace")


def _stealth_parameters(path: Path, src: Source, found: Found, hits: Hits, limit: int) -> None:
    if not stealth_candidate(src, found, limit):
        return
    payload = read_stealth(path, limit)
    candidates: list[dict[str, Any]] = [{"parameters": payload}]
    try:
        decoded = json.loads(payload)
    except ValueError:
        decoded = None
    if isinstance(decoded, dict):
        candidates.insert(0, decoded)
    for parameters in candidates:
        name = sd_parse(parameters)
        if name:
            hits.add(name, "PNG alpha-channel stealth metadata (sd-parsers)")
            return
    if payload:
        hits.add("A1111-style", "PNG alpha-channel stealth metadata")


# --------------------------------------------------------------------------- extractor


def _names(found: Found, *xmp_names: str) -> list[str]:
    """Tool names the file gives (Software tags, XMP CreatorTool and IPTC Credit), for the
    pack's list of generator names."""
    named = [value for _, value in found.software] + list(xmp_names)
    return list(dict.fromkeys(v.strip()[:_NAME_LIMIT] for v in named if v.strip()))


def aigc_facts(found: list[tuple[str, str]]) -> AigcFacts | None:
    """The first AIGC implicit label: a JSON object (Label, ContentProducer, ProduceID,
    ContentPropagator, PropagateID, ...), or any other text, which still labels the file."""
    if not found:
        return None
    where, text = found[0]
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    fields = {str(k).lower(): v for k, v in data.items()} if isinstance(data, dict) else {}
    if isinstance(fields.get("aigc"), dict):  # {"AIGC": {"Label": ...}} as EXIF text writes it
        fields = {str(k).lower(): v for k, v in fields["aigc"].items()}
    return AigcFacts(
        present=True,
        label=str(fields.get("label", ""))[:_NAME_LIMIT],
        producer=str(fields.get("contentproducer", ""))[:_NAME_LIMIT],
        where=where,
    )


def _signals(hits: Hits, found: Found, aigc: AigcFacts | None) -> Iterator[Signal]:
    for name, where in sorted(hits.items.items()):
        yield Signal(kind="generator.parameters", value=name, strength="strong", source=where)
    for where, value in found.software:
        if value:
            yield Signal(kind="generator.software", value=value[:_NAME_LIMIT], strength="weak",
                         source=where)  # fmt: skip
    if aigc is not None:
        value = f"Label={aigc.label}" + (f", ContentProducer={aigc.producer}" * bool(aigc.producer))
        yield Signal(kind="aigc.label", value=value, strength="strong", source=aigc.where)


class GeneratorExtractor:
    """Reports ``GeneratorFacts``; damaged metadata ends the search quietly (decode reports
    damage), and sd-parsers errors count as "not recognised"."""

    name = "generator"

    def applies(self, media_type: str) -> bool:
        return media_type not in ("application/x-empty", "application/c2pa")

    def extract(self, path: Path, media_type: str, options: ScanOptions) -> Extraction:
        limit = options.max_metadata_bytes
        f, src = open_source(path)
        with f:
            found = _gather(src, media_type, limit)
            hits = Hits()
            _png_parameters(found, hits)
            xmp = read_xmp(path, media_type, limit)
            if xmp.description:
                found.texts.append(("XMP dc:description", xmp.description))
            if xmp.props.get(AIGC):
                found.aigc.append((f"XMP ({xmp.where}) AIGC", xmp.props[AIGC]))
            _text_parameters(found, hits)
            if not hits.items and media_type == "image/png":
                _stealth_parameters(path, src, found, hits, limit)
        facts = GeneratorFacts(
            parameters=sorted(hits.items),
            software=next((value for _, value in found.software if value), ""),
            names=_names(found, xmp.props.get(CREATOR_TOOL, ""), xmp.props.get(CREDIT, "")),
            prompt=hits.prompt,
            oversized=found.oversized,
        )
        aigc = aigc_facts(found.aigc)
        signals = list(_signals(hits, found, aigc))
        return Extraction(generator=facts, aigc=aigc, signals=signals)


EXTRACTOR = GeneratorExtractor()
