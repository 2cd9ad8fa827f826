"""Similar: is an image or video a near copy of the production's protected references?

Runs only when the scan carries a reference library (``ScanOptions.similarity``: the
production has one). The file is hashed as ``clearance similar`` hashes it (PDQ, each hash in
its 8 dihedral variants, a video's frames at scene changes and at least one a second) and
compared with the library's cached index; the facts list every reference within the radius.
A file that cannot be compared (too flat for PDQ, a video without frames) gets the reason in
``similar.problem`` — stated, never a silent pass. numpy, PyAV and faiss load on first use.
"""

from __future__ import annotations

from pathlib import Path

from clearance.provenance.model import (
    Extraction,
    ScanOptions,
    SimilarFacts,
    SimilarMatch,
)


class SimilarExtractor:
    name = "similar"

    def applies(self, media_type: str) -> bool:
        return media_type.startswith(("image/", "video/")) or media_type == "application/mxf"

    def extract(self, path: Path, media_type: str, options: ScanOptions) -> Extraction:
        setup = options.similarity
        if setup is None:
            return Extraction()
        from clearance.similarity.hashing import SimilarityError
        from clearance.similarity.library import from_cache
        from clearance.similarity.media import hash_query

        base = {
            "library_version": setup.version,
            "library_size": setup.size,
            "radius": setup.radius,
        }
        try:
            library = from_cache(Path(setup.cache), setup.version)
            hashed = hash_query(path)
        except SimilarityError as error:
            facts = SimilarFacts(checked=False, problem=error.reason, **base)
            return Extraction(similar=facts)
        matches = library.match(hashed.hashes, setup.radius)
        facts = SimilarFacts(
            checked=True,
            frames=len(hashed.hashes),
            matches=[SimilarMatch(**m.as_fact()) for m in matches],
            problem=hashed.damaged or "",
            **base,
        )
        return Extraction(similar=facts)


EXTRACTOR = SimilarExtractor()
