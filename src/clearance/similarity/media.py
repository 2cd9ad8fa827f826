"""A file to hash, by what its bytes are (not its name): an image is one picture, a video its
sampled frames; anything else cannot be compared. One entry point for the reference side
(``hash_reference``: an image's crops too) and the query side (``hash_query``: every hash in
its 8 dihedral variants)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clearance.similarity.hashing import (
    FrameHash,
    SimilarityError,
    hash_image,
    load_rgb,
    reference_hashes,
)


@dataclass(frozen=True)
class Hashed:
    """A file's hashes and what it is: kind image|video, its sniffed media type, and for a
    video its length and why decoding stopped early (if it did)."""

    kind: str
    media_type: str
    hashes: list[FrameHash]
    duration: float | None = None
    damaged: str | None = None

    @property
    def frames(self) -> int:
        """Pictures hashed (a reference image's crops count once)."""
        return len({h.frame for h in self.hashes})


def kind_of(path: Path) -> tuple[str, str]:
    """(image|video, media type) of a file, from its first bytes; ``SimilarityError`` for a
    file that is neither (or cannot be read)."""
    from clearance.provenance.sniff import media_type

    if path.is_dir():
        raise SimilarityError(path, "is a folder, not an image or a video")
    try:
        found = media_type(path)
    except FileNotFoundError as error:
        raise SimilarityError(path, "no such file") from error
    except OSError as error:
        raise SimilarityError(path, f"unreadable ({error.strerror or error})") from error
    if found.startswith("image/"):
        return "image", found
    if found.startswith("video/") or found == "application/mxf":
        return "video", found
    raise SimilarityError(path, f"not an image or a video ({found}): nothing to compare")


def hash_reference(path: Path) -> Hashed:
    """The hashes a reference is stored with: an image's whole picture, its crops and the
    picture without its lower band, or a video's sampled frames, each whole and without its
    lower band."""
    from clearance.similarity.frames import hash_video

    kind, media_type = kind_of(path)
    if kind == "image":
        hash_image(path)  # refuses an unreadable or flat picture, with the reason
        return Hashed(kind, media_type, reference_hashes(load_rgb(path)))
    video = hash_video(path, band=True)
    return Hashed(kind, media_type, video.frames, video.duration, video.damaged)


def hash_query(path: Path) -> Hashed:
    """The hashes a checked file is compared with: each in its 8 dihedral variants (and 8
    more inside flat bars, and 2 without the lower band: ``hash_pixels``)."""
    from clearance.similarity.frames import hash_video

    kind, media_type = kind_of(path)
    if kind == "image":
        return Hashed(kind, media_type, [hash_image(path, dihedral=True)])
    video = hash_video(path, dihedral=True)
    return Hashed(kind, media_type, video.frames, video.duration, video.damaged)
