"""PDQ perceptual hashes of images and frames (``pdqhash``: Meta's PDQ, 256 bits).

A hash is kept as 32 bytes (``numpy.packbits`` of PDQ's 256 bits) and shown as 64 hex
characters. PDQ also reports a quality (0-100): a flat or nearly flat picture (a black
frame, a solid fill) has too little structure for a hash that means anything, so hashes
under ``MIN_QUALITY`` are refused rather than matched (PDQ's authors advise discarding them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

#: PDQ quality under which a hash is not used (the threshold PDQ's reference code suggests).
MIN_QUALITY = 50
#: Pictures are scaled to fit this box before hashing: PDQ reduces to 64x64 anyway, and its
#: reference implementation also works from at most 512 pixels a side.
HASH_BOX = 512
BITS = 256


class SimilarityError(ValueError):
    """A file that cannot be hashed or compared, with the reason (exit 2 on the command line,
    a stated reason in a scan)."""

    def __init__(self, path: Path | str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = str(path)
        self.reason = message


@dataclass(frozen=True)
class FrameHash:
    """The PDQ hash of one picture: an image (frame 0, 0 s) or a video frame at ``seconds``.
    ``variants`` holds the 8 dihedral hashes (the original, rotations and flips) when asked
    for: the query side compares each, so a flipped or rotated copy is found."""

    code: bytes
    quality: int
    frame: int = 0
    seconds: float = 0.0
    variants: tuple[bytes, ...] = ()
    crop: str = ""  # margins cut before hashing (a reference's crop variants), "" = none

    @property
    def hex(self) -> str:
        return self.code.hex()


def _pack(bits: NDArray[np.int64]) -> bytes:
    import numpy as np

    return bytes(np.packbits(bits.astype(np.uint8)))


#: Letterbox and pillarbox bars: border rows or columns within this many grey levels of the
#: bar colour (mean and spread) are cut before hashing, at most ``MAX_BAR`` of a side each.
BAR_TOLERANCE = 10
MAX_BAR = 0.35


def trim_bars(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The picture without the flat bars around it (letterbox, pillarbox, a flat frame): a
    letterboxed copy then hashes as the picture it frames. A picture that is flat all over is
    returned as it is (PDQ's quality refuses it)."""
    import numpy as np

    grey = rgb.mean(axis=2) if rgb.ndim == 3 else rgb.astype(np.float64)
    height, width = grey.shape

    def flat(lines: NDArray[np.float64], colour: float) -> NDArray[np.bool_]:
        near: NDArray[np.bool_] = np.abs(lines.mean(axis=1) - colour) < BAR_TOLERANCE
        still: NDArray[np.bool_] = lines.std(axis=1) < BAR_TOLERANCE
        return np.logical_and(near, still)

    def run(mask: NDArray[np.bool_], limit: int) -> int:
        stops = np.flatnonzero(~mask[:limit])
        return int(stops[0]) if len(stops) else limit

    colour = float(np.median([grey[0, 0], grey[0, -1], grey[-1, 0], grey[-1, -1]]))
    rows, cols = flat(grey, colour), flat(grey.T, colour)
    top = run(rows, int(height * MAX_BAR))
    bottom = run(rows[::-1], int(height * MAX_BAR))
    left = run(cols, int(width * MAX_BAR))
    right = run(cols[::-1], int(width * MAX_BAR))
    if top + bottom >= height - 8 or left + right >= width - 8:
        return rgb
    return rgb[top : height - bottom, left : width - right]


def hash_pixels(
    rgb: NDArray[np.uint8], dihedral: bool = False, frame: int = 0, seconds: float = 0.0
) -> FrameHash:
    """Hash an RGB array (height x width x 3); with ``dihedral`` (the query side), also its 8
    flips and rotations, and — when it has flat bars around it (``trim_bars``: a letterboxed
    or pillarboxed copy) — the 8 of the picture inside the bars."""
    import numpy as np
    import pdqhash

    if dihedral:
        codes, qualities = pdqhash.compute_dihedral(rgb)
        packed = tuple(_pack(c) for c in codes)
        inner = trim_bars(rgb)
        if inner.shape != rgb.shape:
            trimmed, _quality = pdqhash.compute_dihedral(np.ascontiguousarray(inner))
            packed += tuple(_pack(c) for c in trimmed)
        return FrameHash(packed[0], int(qualities), frame, seconds, packed)
    code, quality = pdqhash.compute(rgb)
    return FrameHash(_pack(code), int(quality), frame, seconds)


def load_rgb(path: Path) -> NDArray[np.uint8]:
    """The picture of an image file as RGB pixels, upright (EXIF orientation applied), scaled
    to fit ``HASH_BOX``; the first frame of a multi-frame file."""
    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.draft("RGB", (HASH_BOX, HASH_BOX))  # JPEG: decode at a reduced scale
            upright = ImageOps.exif_transpose(image)
            rgb = upright.convert("RGB")
            rgb.thumbnail((HASH_BOX, HASH_BOX))
            return np.asarray(rgb, dtype=np.uint8)
    except FileNotFoundError as error:
        raise SimilarityError(path, "no such file") from error
    except IsADirectoryError as error:
        raise SimilarityError(path, "is a folder, not an image") from error
    except UnidentifiedImageError as error:
        raise SimilarityError(path, "not an image this tool can read") from error
    except (OSError, ValueError, SyntaxError) as error:  # truncated or corrupt data
        raise SimilarityError(path, f"unreadable image ({error})") from error


def hash_image(path: Path, dihedral: bool = False) -> FrameHash:
    """The PDQ hash of an image file; a picture too flat to hash raises ``SimilarityError``."""
    found = hash_pixels(load_rgb(path), dihedral=dihedral)
    if found.quality < MIN_QUALITY:
        raise SimilarityError(
            path,
            f"too flat to compare (PDQ quality {found.quality} < {MIN_QUALITY}): a solid or "
            "nearly solid picture has no structure a perceptual hash can match",
        )
    return found


#: Margins (fractions of the width or height) cut from each pair of opposite sides when a
#: reference image is hashed: PDQ moves 40-80 bits under a 5-10 % crop, so a reference is
#: also hashed cropped — 6 x 6 = 36 crops, each side at most 10 % — and a cropped copy lands
#: near one of them (measured on the corpus images: random crops of up to 10 % a side and a
#: half-size resize, median distance 70 to the whole picture, 30 to the nearest crop).
AXIS_CROPS = ((0, 0), (5, 0), (0, 5), (10, 0), (0, 10), (5, 5))


def crop_name(left: int, right: int, top: int, bottom: int) -> str:
    parts = zip("lrtb", (left, right, top, bottom), strict=True)
    return " ".join(f"{side}{pct}" for side, pct in parts if pct)


def reference_hashes(rgb: NDArray[np.uint8]) -> list[FrameHash]:
    """The hashes kept for a reference image: the whole picture first, then its crops (those
    too flat to hash are left out; the caller checks the whole picture's quality)."""
    height, width = rgb.shape[:2]
    found: list[FrameHash] = []
    for left, right in AXIS_CROPS:
        for top, bottom in AXIS_CROPS:
            part = rgb[
                height * top // 100 : height - height * bottom // 100,
                width * left // 100 : width - width * right // 100,
            ]
            h = hash_pixels(part)
            if h.quality >= MIN_QUALITY or not found:
                found.append(FrameHash(h.code, h.quality, crop=crop_name(left, right, top, bottom)))
    return found


def distance(a: bytes, b: bytes) -> int:
    """Hamming distance of two hashes (0-256)."""
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()
