"""Similarity to protected reference material (issue 15): PDQ perceptual hashes of images
and video frames, an exact nearest-neighbour index over them, and the reference library.

The public API (stable; ``bench/bench_similarity.py`` uses it):

* ``hash_image(path, dihedral=False) -> FrameHash`` — the PDQ hash of an image (upright,
  first frame); ``dihedral=True`` (the query side) also computes its 8 flips/rotations in
  ``.variants`` (hashed from the turned pixels), 8 more of the picture inside flat bars
  (letterbox, pillarbox) when it has them, and 2 of the picture without its lower band
  (subtitles: as is and mirrored); ``.variant_names`` says what each is. Raises
  ``SimilarityError`` for an unreadable file or a picture too flat to hash (PDQ quality
  < ``MIN_QUALITY``).
* ``hash_video(path, dihedral=False, band=False) -> VideoHashes`` — ``.frames``: a
  ``FrameHash`` (with ``frame`` index and ``seconds``) at each scene change and at least one
  a second (with ``band``, also each frame without its lower band: crop ``b25``).
* ``hash_pixels(rgb_array, dihedral=False) -> FrameHash`` — for pixels already in memory.
* ``hash_reference(path) -> Hashed`` — what a reference is stored with: an image's whole
  picture, 224 crops of it (up to 10 % off each dimension, 2.5 % steps) and the picture
  without its lower band (``reference_hashes(rgb)`` for pixels; PDQ is fragile to cropping,
  so crops are hashed on the reference side), or a video's sampled frames, whole and without
  the band;
  ``hash_query(path) -> Hashed`` — what a checked file is compared with (dihedral variants).
  ``Hashed.hashes`` is a list of ``FrameHash``; ``kind`` is image|video.
* ``distance(a, b) -> int`` — Hamming distance of two 32-byte codes (0-256).
* ``Index.build(codes)`` (``codes``: a list of 32-byte codes or an ``(n, 32)`` uint8 array),
  ``Index.search(codes, radius) -> [[(id, distance), …] per query]`` (every code within
  ``radius`` bits, inclusive, nearest first), ``Index.nearest(codes, k)``, ``len(index)``.
* ``Library`` / ``load_library(db, production, cache)`` — a production's live references
  and their index; ``Library.match(hashes, radius) -> [Match]``.

Heavy libraries (numpy, pdqhash, av, faiss) are imported inside the functions that need
them, so importing this package costs nothing.
"""

from __future__ import annotations

from clearance.similarity.frames import VideoHashes, hash_video
from clearance.similarity.hashing import (
    MIN_QUALITY,
    FrameHash,
    SimilarityError,
    distance,
    hash_image,
    hash_pixels,
    reference_hashes,
)
from clearance.similarity.index import Index
from clearance.similarity.library import Library, Match, Reference
from clearance.similarity.library import load as load_library
from clearance.similarity.media import Hashed, hash_query, hash_reference

__all__ = [
    "MIN_QUALITY",
    "FrameHash",
    "Hashed",
    "Index",
    "Library",
    "Match",
    "Reference",
    "SimilarityError",
    "VideoHashes",
    "distance",
    "hash_image",
    "hash_pixels",
    "hash_query",
    "hash_reference",
    "hash_video",
    "load_library",
    "reference_hashes",
]
