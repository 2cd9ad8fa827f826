"""Similarity to protected reference material (issue 15): PDQ perceptual hashes of images
and video frames, an exact nearest-neighbour index over them, and the reference library.

The public API (stable; ``bench/bench_similarity.py`` uses it):

* ``hash_image(path, dihedral=False) -> FrameHash`` — the PDQ hash of an image (upright,
  first frame); ``dihedral=True`` also computes its 8 flips/rotations in ``.variants`` (the
  query side). Raises ``SimilarityError`` for an unreadable file or a picture too flat to
  hash (PDQ quality < ``MIN_QUALITY``).
* ``hash_video(path, dihedral=False) -> VideoHashes`` — ``.frames``: a ``FrameHash`` (with
  ``frame`` index and ``seconds``) at each scene change and at least one a second.
* ``hash_pixels(rgb_array, dihedral=False) -> FrameHash`` — for pixels already in memory.
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
)
from clearance.similarity.index import Index
from clearance.similarity.library import Library, Match, Reference
from clearance.similarity.library import load as load_library

__all__ = [
    "MIN_QUALITY",
    "FrameHash",
    "Index",
    "Library",
    "Match",
    "Reference",
    "SimilarityError",
    "VideoHashes",
    "distance",
    "hash_image",
    "hash_pixels",
    "hash_video",
    "load_library",
]
