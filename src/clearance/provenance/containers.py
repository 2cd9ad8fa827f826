"""Walking container structures without loading files: JPEG segments, PNG chunks, RIFF
chunks, ISO BMFF boxes, TIFF IFDs, ID3 frames, MPEG audio frame headers.

Shared by the sniffer and the extractors. Each reads only headers and the blocks asked for,
and every loop is bounded, so crafted files (nested boxes, looping IFDs, lengths of
0xFFFFFFFF) end in a ``StructureError``, not a hang. Written here rather than taken from a
library: the scanner's budget is well under a millisecond a file, and no permissively
licensed library reads all of these headers without decoding or a native media stack.
"""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, Literal, ParamSpec

P = ParamSpec("P")

TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


class StructureError(ValueError):
    """The container's framing is inconsistent (a length past the end, a loop, bad magic)."""


_MPEG_BITRATES = {  # kbit/s by (version is MPEG-1, layer) → index 1..14
    (True, 3): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 1): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 3): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 1): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MPEG_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def mpeg_frame_length(header: bytes) -> int:
    """Length in bytes of the MPEG audio frame whose 4-byte header this is; 0 if invalid."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return 0
    version, layer = (header[1] >> 3) & 3, (header[1] >> 1) & 3
    bitrate_index, rate_index = header[2] >> 4, (header[2] >> 2) & 3
    if version == 1 or layer == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return 0  # reserved values; "free" bitrate (0) has no computable length
    mpeg1 = version == 3
    bitrate = _MPEG_BITRATES[(mpeg1, layer)][bitrate_index - 1] * 1000
    rate = _MPEG_RATES[version][rate_index]
    padding = (header[2] >> 1) & 1
    if layer == 3:  # Layer I
        return (12 * bitrate // rate + padding) * 4
    per_frame = 144 if (mpeg1 or layer == 2) else 72
    return per_frame * bitrate // rate + padding


# --------------------------------------------------------------------------- reading


class Source:
    """Positional reads over an open binary file or a bytes block (a nested EXIF/TIFF blob).

    The first 16 KiB are read at once (most metadata sits there) and one further 64 KiB
    window is kept, so walkers stepping through headers cost one system call per window.
    """

    HEAD = 16384
    WINDOW = 65536

    def __init__(self, f: io.RawIOBase | io.BufferedIOBase | bytes) -> None:
        self._window, self._window_at = b"", 0
        if isinstance(f, bytes):
            self._file: io.RawIOBase | io.BufferedIOBase | None = None
            self._head, self.size = f, len(f)
        else:
            self._file = f
            self.size = f.seek(0, io.SEEK_END)
            f.seek(0)
            self._head = f.read(self.HEAD) or b""

    def holds(self, data: bytes) -> bool:
        """Whether this source reads exactly ``data`` (a file read whole, not a part of it)."""
        return self._file is None and self._head is data

    def read(self, offset: int, n: int) -> bytes:
        """Up to ``n`` bytes at ``offset`` (fewer at the end of the file, none past it)."""
        if offset < 0 or n <= 0 or offset >= self.size:
            return b""
        end = offset + n
        if end <= len(self._head) or self._file is None:
            return self._head[offset:end]
        rel = offset - self._window_at
        if rel >= 0 and end - self._window_at <= len(self._window):
            return self._window[rel : rel + n]
        self._file.seek(offset)
        if n >= self.WINDOW:
            return self._file.read(n) or b""
        self._window, self._window_at = self._file.read(self.WINDOW) or b"", offset
        return self._window[:n]

    def find(self, needle: bytes, start: int, stop: int, window: int = 1 << 20) -> int:
        """Offset of ``needle`` in ``[start, stop)``, read ``window`` bytes at a time; -1 if
        absent."""
        pos = max(start, 0)
        stop = min(stop, self.size)
        while pos < stop:
            block = self.read(pos, min(window, stop - pos) + len(needle) - 1)
            hit = block.find(needle)
            if hit >= 0 and pos + hit + len(needle) <= stop:
                return pos + hit
            pos += window
        return -1


#: The file being inspected, read whole when it is small (``preloaded``): the extractors,
#: which each open the file, then share one read and one system call instead of several.
class _Preloaded(threading.local):
    """The file being inspected in this thread (a scan inside a web server may run in
    several threads at once): its path, bytes, read number, and the walks done on it."""

    file: tuple[str, bytes, int] | None = None
    walks: dict[tuple[Any, ...], tuple[list[Block], str]]

    def __init__(self) -> None:
        self.walks = {}


_STATE = _Preloaded()
_GENERATION = itertools.count(1)  # one number per preloaded read: a key never reused


@contextlib.contextmanager
def preloaded(path: str, data: bytes) -> Iterator[None]:
    """While inside, ``open_source(path)`` and ``preloaded_bytes(path)`` serve ``data``."""
    _STATE.file = (path, data, next(_GENERATION))
    _STATE.walks = {}
    try:
        yield
    finally:
        _STATE.file = None
        _STATE.walks = {}


def preloaded_generation(path: Path | str) -> int | None:
    """The number of the current preloaded read of ``path``, else None."""
    current = _STATE.file
    if current is not None and current[0] == str(path):
        return current[2]
    return None


def preloaded_bytes(path: Path | str) -> bytes | None:
    """The whole file, when it is the one being inspected and was small enough to read."""
    current = _STATE.file
    if current is not None and current[0] == str(path):
        return current[1]
    return None


def open_source(path: Path) -> tuple[contextlib.AbstractContextManager[Any], Source]:
    """A file (or nothing to close, when it was preloaded) and its ``Source``; the caller
    closes the first with ``with``."""
    data = preloaded_bytes(path)
    if data is not None:
        return contextlib.nullcontext(), Source(data)
    f = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by the caller
    try:
        return f, Source(f)
    except BaseException:
        f.close()
        raise


#: Upper bound on items any walker yields: real files have tens; crafted ones millions.
MAX_ITEMS = 100_000


@dataclass(frozen=True, slots=True)
class Block:
    """One framed item of a container: its four-character (or marker) type and payload span."""

    kind: bytes
    offset: int
    length: int

    @property
    def end(self) -> int:
        return self.offset + self.length


# --------------------------------------------------------------------------- JPEG


_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}
_JPEG_JUNK = 64  # stray bytes before a marker that are skipped (libjpeg warns, then reads on)


Walker = Callable[Concatenate[Source, P], Iterator["Block"]]


def replayed(walker: Walker[P]) -> Walker[P]:
    """A walk of the preloaded file is done once and replayed to every extractor that asks
    for it (the same blocks, then the same ``StructureError``): four extractors read the
    same headers, and walking them is most of what a small file costs."""

    @functools.wraps(walker)
    def walk(src: Source, /, *args: P.args, **kwargs: P.kwargs) -> Iterator[Block]:
        current, walks = _STATE.file, _STATE.walks
        if current is None or not src.holds(current[1]):
            yield from walker(src, *args, **kwargs)
            return
        key = (walker.__name__, args, tuple(sorted(kwargs.items())))
        found = walks.get(key)
        if found is None:
            blocks: list[Block] = []
            problem = ""
            try:
                blocks.extend(walker(src, *args, **kwargs))
            except StructureError as exc:
                problem = str(exc)
            found = walks[key] = (blocks, problem)
        yield from found[0]
        if found[1]:
            raise StructureError(found[1])

    return walk


@replayed
def jpeg_segments(src: Source) -> Iterator[Block]:
    """Marker segments from SOI up to and including SOS (kind = the marker byte).

    Raises ``StructureError`` when a segment runs past the end or a marker is missing.
    """
    if src.read(0, 2) != b"\xff\xd8":
        raise StructureError("no JPEG SOI marker")
    pos = 2
    for _ in range(MAX_ITEMS):
        head = src.read(pos, 4)
        if len(head) >= 2 and head[0] != 0xFF:  # stray bytes: decoders skip to the next marker
            skip = src.read(pos, _JPEG_JUNK).find(b"\xff")
            if skip > 0:
                pos += skip
                head = src.read(pos, 4)
        if len(head) < 2 or head[0] != 0xFF:
            raise StructureError(f"expected a JPEG marker at offset {pos}")
        marker = head[1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _JPEG_STANDALONE:
            pos += 2
            continue
        if marker == 0xD9:
            raise StructureError("EOI before any image data")
        if len(head) < 4 or (length := int.from_bytes(head[2:4], "big")) < 2:
            raise StructureError(f"bad JPEG segment length at offset {pos}")
        if pos + 2 + length > src.size:
            raise StructureError(f"JPEG segment 0x{marker:02X} runs past the end of the file")
        yield Block(bytes((marker,)), pos + 4, length - 2)
        if marker == 0xDA:
            return
        pos += 2 + length
    raise StructureError("too many JPEG segments")


# --------------------------------------------------------------------------- PNG


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@replayed
def png_chunks(src: Source) -> Iterator[Block]:
    """Every chunk up to and including IEND (also those after IDAT; CRCs are not checked)."""
    if src.read(0, 8) != PNG_SIGNATURE:
        raise StructureError("no PNG signature")
    pos = 8
    for _ in range(MAX_ITEMS):
        head = src.read(pos, 8)
        if len(head) < 8:
            raise StructureError("PNG ends without an IEND chunk")
        length, kind = struct.unpack(">I4s", head)
        if length > 0x7FFFFFFF or not kind.isalpha():
            raise StructureError(f"bad PNG chunk header at offset {pos}")
        if pos + 12 + length > src.size:
            raise StructureError(f"PNG chunk {kind.decode()} runs past the end of the file")
        yield Block(kind, pos + 8, length)
        if kind == b"IEND":
            return
        pos += 12 + length
    raise StructureError("too many PNG chunks")


PNG_TEXT_CHUNKS = frozenset({b"tEXt", b"zTXt", b"iTXt"})


@dataclass(frozen=True, slots=True)
class PngText:
    """A decoded tEXt/zTXt/iTXt chunk."""

    keyword: str
    data: bytes  # decompressed; Latin-1 for tEXt/zTXt, UTF-8 for iTXt
    utf8: bool

    @property
    def text(self) -> str:
        return self.data.decode("utf-8" if self.utf8 else "latin-1", "replace")


def png_keyword(src: Source, chunk: Block) -> str:
    """The keyword of a text chunk (read without its text)."""
    head = src.read(chunk.offset, min(chunk.length, 80))
    return head.split(b"\0", 1)[0].decode("latin-1")


def png_text(src: Source, chunk: Block, limit: int) -> PngText | None:
    """The text chunk's keyword and (decompressed) text; None when it is not a text chunk,
    is corrupt, or holds more than ``limit`` bytes."""
    if chunk.kind not in PNG_TEXT_CHUNKS or chunk.length > limit:
        return None
    keyword, sep, rest = src.read(chunk.offset, chunk.length).partition(b"\0")
    if not sep:
        return None
    if chunk.kind == b"tEXt":
        return PngText(keyword.decode("latin-1"), rest, False)
    if chunk.kind == b"zTXt":
        data = inflate(rest[1:], limit)
        return None if data is None else PngText(keyword.decode("latin-1"), data, False)
    return _itxt(keyword.decode("latin-1"), rest, limit)


def _itxt(keyword: str, rest: bytes, limit: int) -> PngText | None:
    """iTXt after the keyword: compression flag, method, language, translated keyword (both
    NUL-terminated), text."""
    parts = rest[2:].split(b"\0", 2)
    if len(parts) < 3:
        return None
    data: bytes | None = parts[2]
    if rest[:1] == b"\x01":
        data = inflate(parts[2], limit)
    return None if data is None else PngText(keyword, data, True)


# --------------------------------------------------------------------------- RIFF


@replayed
def riff_chunks(src: Source, start: int = 12, stop: int | None = None) -> Iterator[Block]:
    """Chunks of a RIFF list (top level by default). The RIFF size is not trusted: the walk
    goes to the end of the file, as players do. A chunk that runs past the end is yielded
    (readers get what is there), then ``StructureError`` is raised."""
    stop = src.size if stop is None else min(stop, src.size)
    pos = start
    for _ in range(MAX_ITEMS):
        if pos + 8 > stop:
            return
        kind, length = struct.unpack("<4sI", src.read(pos, 8))
        yield Block(kind, pos + 8, length)
        if pos + 8 + length > stop:
            raise StructureError(f"RIFF chunk {kind!r} runs past the end")
        pos += 8 + length + (length & 1)
    raise StructureError("too many RIFF chunks")


# --------------------------------------------------------------------------- ISO BMFF


@replayed
def bmff_boxes(src: Source, start: int = 0, stop: int | None = None) -> Iterator[Block]:
    """Boxes in ``[start, stop)`` (one level; recurse by calling again on a payload).

    A box that runs past its parent is yielded, then ``StructureError`` is raised.
    """
    stop = src.size if stop is None else min(stop, src.size)
    pos = start
    for _ in range(MAX_ITEMS):
        if pos + 8 > stop:
            return  # QuickTime ends some lists with a 4-byte zero; players ignore the rest
        size, kind = struct.unpack(">I4s", src.read(pos, 8))
        header = 8
        if size == 1:
            large = src.read(pos + 8, 8)
            if len(large) < 8:
                raise StructureError("truncated 64-bit box size")
            size, header = int.from_bytes(large, "big"), 16
        elif size == 0:
            size = stop - pos
        if size < header:
            raise StructureError(f"box {kind!r} at offset {pos} has size {size}")
        yield Block(kind, pos + header, size - header)
        if pos + size > stop:
            raise StructureError(f"box {kind!r} runs past the end of its parent")
        pos += size
    raise StructureError("too many boxes")


def meta_children(src: Source, meta: Block) -> Iterator[Block]:
    """Children of a ``meta`` box: a FullBox in ISO files, a plain box in QuickTime."""
    plain = src.read(meta.offset + 4, 4) == b"hdlr"
    return bmff_boxes(src, meta.offset + (0 if plain else 4), meta.end)


def find_box(
    src: Source, path: tuple[bytes, ...], start: int = 0, stop: int | None = None
) -> Block | None:
    """The first box along ``path`` (e.g. ``(b"moov", b"udta", b"XMP_")``), or None."""
    parent = Block(b"", start, (src.size if stop is None else stop) - start)
    for kind in path:
        found = None
        try:
            children = (
                meta_children(src, parent)
                if parent.kind == b"meta"
                else bmff_boxes(src, parent.offset, parent.end)
            )
            for box in children:
                if box.kind == kind:
                    found = box
                    break
        except StructureError:
            pass
        if found is None:
            return None
        parent = found
    return parent


# --------------------------------------------------------------------------- TIFF


_TIFF_TYPE_SIZES = {
    1: 1,
    2: 1,
    3: 2,
    4: 4,
    5: 8,
    6: 1,
    7: 1,
    8: 2,
    9: 4,
    10: 8,
    11: 4,
    12: 8,
    13: 4,
    16: 8,
    17: 8,
    18: 8,
}
MAX_IFD_ENTRIES = 4096


@dataclass(frozen=True, slots=True)
class TiffEntry:
    tag: int
    type: int
    count: int
    value_offset: int  # where the value bytes start (inline values point into the entry)

    @property
    def nbytes(self) -> int:
        return _TIFF_TYPE_SIZES.get(self.type, 1) * self.count


class Tiff:
    """A TIFF structure (a file, or an EXIF blob): byte order, IFD0 offset and IFD reads."""

    def __init__(self, src: Source, base: int = 0) -> None:
        head = src.read(base, 16)
        if head[:4] not in TIFF_MAGICS:
            raise StructureError("no TIFF header")
        self.src, self.base = src, base
        self.order: Literal["little", "big"] = "little" if head[:2] == b"II" else "big"
        self.big = head[2:4] in (b"+\x00", b"\x00+")
        self._ptr = 8 if self.big else 4  # pointer / inline value size
        self.ifd0 = self._int(head[self._ptr : 2 * self._ptr]) if len(head) >= 2 * self._ptr else 0

    def _int(self, raw: bytes) -> int:
        return int.from_bytes(raw, self.order)

    def entries(
        self, ifd_offset: int, wanted: frozenset[int] | None = None
    ) -> dict[int, TiffEntry]:
        """The entries (``wanted`` ones, or all) of the IFD at ``ifd_offset`` (relative to the
        TIFF header); the first entry wins when a tag repeats."""
        count_size, entry_size = (8, 20) if self.big else (2, 12)
        pos = self.base + ifd_offset
        raw = self.src.read(pos, count_size)
        if ifd_offset <= 0 or len(raw) < count_size:
            raise StructureError(f"IFD offset {ifd_offset} outside the file")
        count = self._int(raw)
        if count > MAX_IFD_ENTRIES:
            raise StructureError(f"IFD with {count} entries")
        table = self.src.read(pos + count_size, count * entry_size)
        if len(table) < count * entry_size:
            raise StructureError("IFD runs past the end")
        out: dict[int, TiffEntry] = {}
        for at in range(0, count * entry_size, entry_size):
            tag = self._int(table[at : at + 2])
            if tag not in out and (wanted is None or tag in wanted):
                out[tag] = self._entry(table[at : at + entry_size], pos + count_size + at)
        return out

    def _entry(self, raw: bytes, at: int) -> TiffEntry:
        tag, kind = self._int(raw[0:2]), self._int(raw[2:4])
        count = self._int(raw[4 : 4 + self._ptr])
        value_at = 4 + self._ptr
        entry = TiffEntry(tag, kind, count, at + value_at)
        if entry.nbytes > self._ptr:  # the value lives elsewhere; the field is its offset
            entry = TiffEntry(tag, kind, count, self.base + self._int(raw[value_at:]))
        return entry

    def value(self, entry: TiffEntry, limit: int) -> bytes:
        """The raw value bytes of ``entry`` (at most ``limit``)."""
        return self.src.read(entry.value_offset, min(entry.nbytes, limit))

    def number(self, entry: TiffEntry) -> int:
        """The first value of a BYTE/SHORT/LONG/LONG8 entry."""
        return self._int(self.src.read(entry.value_offset, _TIFF_TYPE_SIZES.get(entry.type, 1)))

    def text(self, entry: TiffEntry, limit: int) -> str:
        """An ASCII/UTF-8 value without its trailing NULs."""
        return self.value(entry, limit).split(b"\0", 1)[0].decode("utf-8", "replace").strip()


def tiff_has_tag(src: Source, tag: int) -> bool:
    try:
        tiff = Tiff(src)
        return tag in tiff.entries(tiff.ifd0, frozenset({tag}))
    except StructureError:
        return False


# --------------------------------------------------------------------------- ID3


@dataclass(frozen=True, slots=True)
class Id3Frame:
    kind: bytes
    offset: int
    length: int
    flags: int


def id3_tag_size(src: Source) -> int:
    """Total size of the ID3v2 tag at the start (header and footer included); 0 if none."""
    head = src.read(0, 10)
    if len(head) < 10 or head[:3] != b"ID3" or any(b & 0x80 for b in head[6:10]):
        return 0
    footer = 10 if head[5] & 0x10 else 0
    return 10 + _syncsafe(head[6:10]) + footer


def id3_frames(src: Source) -> Iterator[Id3Frame]:
    """Frames of the leading ID3v2 tag (v2.2 to v2.4); stops at padding."""
    end = id3_tag_size(src)
    if not end:
        return
    head = src.read(0, 10)
    version, flags = head[3], head[5]
    pos = 10
    if flags & 0x40 and version >= 3:  # extended header
        ext = src.read(10, 4)
        pos += (
            (_syncsafe(ext) if version == 4 else int.from_bytes(ext, "big") + 4)
            if len(ext) == 4
            else 0
        )
    id_len, header_len = (3, 6) if version == 2 else (4, 10)
    for _ in range(MAX_ITEMS):
        raw = src.read(pos, header_len)
        if len(raw) < header_len or raw[0] == 0 or pos + header_len > end:
            return
        kind = raw[:id_len]
        if version == 2:
            size, frame_flags = int.from_bytes(raw[3:6], "big"), 0
        else:
            size = _syncsafe(raw[4:8]) if version == 4 else int.from_bytes(raw[4:8], "big")
            frame_flags = int.from_bytes(raw[8:10], "big")
        if not kind.isalnum() or pos + header_len + size > end:
            raise StructureError(f"ID3 frame {kind!r} runs past the end of the tag")
        yield Id3Frame(kind, pos + header_len, size, frame_flags)
        pos += header_len + size
    raise StructureError("too many ID3 frames")


def _syncsafe(raw: bytes) -> int:
    value = 0
    for b in raw:
        value = (value << 7) | (b & 0x7F)
    return value


# --------------------------------------------------------------------------- helpers


def inflate(data: bytes, limit: int) -> bytes | None:
    """zlib-decompress at most ``limit`` bytes; None when corrupt or larger (a zip bomb)."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit)
    except zlib.error:
        return None
    return None if inflater.unconsumed_tail else out
