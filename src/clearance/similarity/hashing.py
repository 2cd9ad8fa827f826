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
    from collections.abc import Callable

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
    #: What each of ``variants`` is, relative to the picture (``VARIANTS`` names, "bars
    #: removed, …", "lower band removed, …"); empty for a hash without variants.
    variant_names: tuple[str, ...] = ()

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


#: The 8 dihedral variants of a checked picture, named for what the checked picture is
#: relative to the reference it matches, each with the transform that undoes it. They are
#: hashed from really transformed pixels: ``pdqhash.compute_dihedral`` transforms in the DCT
#: domain, and PDQ's box filter is not symmetric, so its variants were up to 84 bits from the
#: hash of the turned or mirrored picture on the corpus images (a mirrored copy missed at 44).
VARIANTS: tuple[tuple[str, Callable[[NDArray[np.uint8]], NDArray[np.uint8]]], ...] = (
    ("as is", lambda a: a),
    ("turned 90° clockwise", lambda a: a[:, ::-1].swapaxes(0, 1)),  # = np.rot90(a, 1)
    ("turned 180°", lambda a: a[::-1, ::-1]),
    ("turned 90° counter-clockwise", lambda a: a[::-1].swapaxes(0, 1)),  # = np.rot90(a, 3)
    ("flipped top to bottom", lambda a: a[::-1]),
    ("flipped left to right", lambda a: a[:, ::-1]),
    ("transposed", lambda a: a.swapaxes(0, 1)),
    ("anti-transposed", lambda a: a[::-1, ::-1].swapaxes(0, 1)),
)

#: Burnt-in subtitles and captions sit in the lower part of the picture and move PDQ 40-90
#: bits; a reference also keeps the hash of its picture without the lower ``BAND`` percent,
#: and a checked picture is also hashed without it (as is and mirrored).
BAND = 25
BAND_CROP = "b25"
BAND_VARIANT = "lower band removed"


def without_band(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The picture without its lower ``BAND`` percent (where subtitles are burnt in)."""
    height = rgb.shape[0]
    return rgb[: height - height * BAND // 100]


def _code(rgb: NDArray[np.uint8]) -> tuple[bytes, int]:
    import numpy as np
    import pdqhash

    code, quality = pdqhash.compute(np.ascontiguousarray(rgb))
    return _pack(code), int(quality)


def hash_pixels(
    rgb: NDArray[np.uint8], dihedral: bool = False, frame: int = 0, seconds: float = 0.0
) -> FrameHash:
    """Hash an RGB array (height x width x 3); with ``dihedral`` (the query side), also its 8
    flips and rotations, and — when it has flat bars around it (``trim_bars``: a letterboxed
    or pillarboxed copy) — the 8 of the picture inside the bars, and the picture (inside its
    bars) without its lower band, as is and mirrored (``BAND``: burnt-in subtitles)."""
    code, quality = _code(rgb)
    if not dihedral:
        return FrameHash(code, quality, frame, seconds)
    codes = [code] + [_code(undo(rgb))[0] for _name, undo in VARIANTS[1:]]
    names = [name for name, _undo in VARIANTS]
    inner = trim_bars(rgb)
    if inner.shape != rgb.shape:
        codes += [_code(undo(inner))[0] for _name, undo in VARIANTS]
        names += [f"bars removed, {name}" for name, _undo in VARIANTS]
    # the whole picture's band is what a reference keeps; inside bars too when it has them
    # (a picture whose own edges are flat is "trimmed" the same way on both sides only then)
    pictures = [("", rgb)] + ([("bars removed, ", inner)] if inner.shape != rgb.shape else [])
    for prefix, picture in pictures:
        banded = without_band(picture)
        codes += [_code(banded)[0], _code(banded[:, ::-1])[0]]
        names += [
            f"{BAND_VARIANT}, {prefix}as is",
            f"{BAND_VARIANT}, {prefix}flipped left to right",
        ]
    return FrameHash(
        code,
        quality,
        frame,
        seconds,
        tuple(codes),
        variant_names=tuple(n.replace(", as is", "") for n in names),
    )


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


#: Margins (percent of the width or height) cut from each pair of opposite sides when a
#: reference image is hashed. PDQ is fragile to cropping (a 1 % shift moves it ~30 bits, a
#: 5 % crop 50-100), so a reference is also hashed cropped: every split of at most
#: ``MAX_CROP`` percent between two opposite sides in steps of ``CROP_STEP`` (15 per axis,
#: 225 crops with the whole picture), and a copy cropped by up to 10 % of each dimension
#: lands within ~1.25 % of one of them (measured on 56 corpus stills cropped 10 % each way,
#: unevenly: nearest stored code within 44 bits for 0.96 of them with this grid, 0.57 with
#: the previous 5 % grid of 36 crops).
CROP_STEP = 2.5
MAX_CROP = 10.0
_STEPS = int(MAX_CROP / CROP_STEP)
AXIS_CROPS = tuple(
    (a * CROP_STEP, b * CROP_STEP)
    for a in range(_STEPS + 1)
    for b in range(_STEPS + 1)
    if a + b <= _STEPS
)


def crop_name(left: float, right: float, top: float, bottom: float) -> str:
    parts = zip("lrtb", (left, right, top, bottom), strict=True)
    return " ".join(f"{side}{pct:g}" for side, pct in parts if pct)


def reference_hashes(rgb: NDArray[np.uint8]) -> list[FrameHash]:
    """The hashes kept for a reference image: the whole picture first, then its crops and the
    picture without its lower band (``BAND``; those too flat to hash are left out; the caller
    checks the whole picture's quality)."""
    height, width = rgb.shape[:2]
    found: list[FrameHash] = []
    parts: list[tuple[str, NDArray[np.uint8]]] = []
    for left, right in AXIS_CROPS:
        for top, bottom in AXIS_CROPS:
            part = rgb[
                int(height * top / 100) : height - int(height * bottom / 100),
                int(width * left / 100) : width - int(width * right / 100),
            ]
            parts.append((crop_name(left, right, top, bottom), part))
    parts.append((BAND_CROP, without_band(rgb)))
    for name, part in parts:
        code, quality = _code(part)
        if quality >= MIN_QUALITY or not found:
            found.append(FrameHash(code, quality, crop=name))
    return found


def distance(a: bytes, b: bytes) -> int:
    """Hamming distance of two hashes (0-256)."""
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()
