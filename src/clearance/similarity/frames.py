"""Video frames to hash, through PyAV (FFmpeg): one at each scene change and at least one a
second.

Every frame is decoded (a scene change can fall anywhere), but only a 32x32 grey thumbnail
of each is compared with the last kept frame; a frame is kept when that thumbnail differs by
more than ``SCENE_CHANGE`` (mean absolute difference, 0-255), or when a second has passed
since the last kept frame. Bounds: decoding time grows with the video's length and frame
rate; memory is constant (one frame at a time); the hashes kept grow with the length — at
least one a second, at most ``MAX_PER_SECOND`` a second (rapid cuts beyond that are dropped),
so an hour is 3,600 to 14,400 hashes. Frames too flat for PDQ (black, fades) are skipped, and
the next frame is tried a quarter of a second later (at most 4 a second, like scene changes).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearance.similarity.hashing import (
    BAND_CROP,
    HASH_BOX,
    MIN_QUALITY,
    FrameHash,
    SimilarityError,
    hash_pixels,
    without_band,
)

SCENE_CHANGE = 24.0
MAX_PER_SECOND = 4
EVERY = 1.0  # seconds: at least one frame this often
FLAT_RETRY = 0.25  # seconds: after a frame too flat to hash (a fade), the next one sampled


@dataclass(frozen=True)
class VideoHashes:
    """The hashes of a video's sampled frames, and what was read to get them."""

    frames: list[FrameHash]
    decoded: int  # frames decoded
    duration: float  # seconds, to the last decoded frame
    flat: int  # sampled frames skipped as too flat for PDQ
    damaged: str | None = None  # why decoding stopped early (the frames before are hashed)


def hash_video(path: Path, dihedral: bool = False, band: bool = False) -> VideoHashes:
    """Hash the sampled frames of a video; a file that is not a readable video, has no video
    stream, or has no frame PDQ can hash raises ``SimilarityError``. With ``band`` (the
    reference side), each kept frame also gets the hash of its picture without the lower band
    (crop ``BAND_CROP``: where subtitles are burnt in), when that is not too flat."""
    import numpy as np

    kept: list[FrameHash] = []
    decoded = flat = 0
    last_sampled_at = -EVERY
    last_thumb: np.ndarray | None = None
    window: list[float] = []
    seconds = 0.0
    damaged: str | None = None
    try:
        for index, seconds, frame in _frames(path):
            decoded += 1
            thumb = frame.to_ndarray(width=32, height=32, format="gray").astype(np.int16)
            change = last_thumb is None or float(np.abs(thumb - last_thumb).mean()) > SCENE_CHANGE
            due = seconds - last_sampled_at >= EVERY
            window = [t for t in window if seconds - t < 1.0]
            if not (due or (change and len(window) < MAX_PER_SECOND)):
                continue
            width, height = _fit(frame.width, frame.height)
            rgb = frame.to_ndarray(width=width, height=height, format="rgb24")
            found = hash_pixels(rgb, dihedral=dihedral, frame=index, seconds=round(seconds, 3))
            last_thumb, last_sampled_at = thumb, seconds
            window.append(seconds)
            if found.quality < MIN_QUALITY:
                flat += 1
                last_sampled_at = seconds - EVERY + FLAT_RETRY  # try again soon, not in 1 s
                continue
            kept.append(found)
            if band:
                cut = hash_pixels(without_band(rgb), frame=index, seconds=round(seconds, 3))
                if cut.quality >= MIN_QUALITY:
                    kept.append(dataclasses.replace(cut, crop=BAND_CROP))
    except _Damaged as error:
        if decoded == 0:
            raise SimilarityError(path, f"not a readable video ({error})") from error
        damaged = f"decoding stopped after {decoded} frame(s), at {seconds:.3f} s: {error}"
    if decoded == 0:
        raise SimilarityError(path, "a video without frames: nothing to compare")
    if not kept:
        raise SimilarityError(
            path,
            f"no frame PDQ can hash ({flat} sampled frame(s) of {decoded} were too flat: "
            f"quality < {MIN_QUALITY})",
        )
    return VideoHashes(kept, decoded, round(seconds, 3), flat, damaged)


def _fit(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, HASH_BOX / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _frames(path: Path) -> Iterator[tuple[int, float, Any]]:
    """(index, seconds, frame) of the first video stream, in presentation order."""
    try:
        import av
    except ImportError as error:  # the optional `video` extra (PyAV bundles GPL codecs)
        raise SimilarityError(
            path,
            "decoding video needs the optional 'video' extra: pip install 'clearance[video]' "
            "(PyAV; its wheels bundle FFmpeg and GPL-2.0+ codecs)",
        ) from error

    try:
        container = av.open(str(path))
    except FileNotFoundError as error:
        raise SimilarityError(path, "no such file") from error
    except IsADirectoryError as error:
        raise SimilarityError(path, "is a folder, not a video") from error
    except (av.FFmpegError, OSError, ValueError) as error:
        raise SimilarityError(path, f"not a readable video ({error})") from error
    with container:
        if not container.streams.video:
            raise SimilarityError(path, "a video without frames (no video stream to decode)")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = float(stream.average_rate or 25)
        index = 0
        try:
            for index, frame in enumerate(container.decode(stream)):
                seconds = float(frame.time) if frame.time is not None else index / rate
                yield index, seconds, frame
        except (av.FFmpegError, OSError, ValueError) as error:
            raise _Damaged(index, str(error)) from error


class _Damaged(Exception):
    """Decoding stopped part-way (a damaged or truncated file)."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index
