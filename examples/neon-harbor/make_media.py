"""Make the example production's small deliverables tree for `make demo` (at demo time).

Four files, each a stand-in for what a post house would hand over: generated background
signage carrying IPTC DigitalSourceType (UC-008, declared final), a generated previs frame
with Stable Diffusion parameters (UC-006, declared temp — it should not be here), a camera
plate with no GenAI marking, and a generated poster nobody declared.

Usage: python make_media.py OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, PngImagePlugin

XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
    'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/'
    'trainedAlgorithmicMedia"/></rdf:RDF></x:xmpmeta>'
)
A1111 = (
    "rain-soaked ferry deck at night, neon reflections\nNegative prompt: text\n"
    "Steps: 24, Sampler: DPM++ 2M, CFG scale: 6, Seed: 104, Size: 320x180"
)


def main(out: Path) -> None:
    (out / "vfx").mkdir(parents=True, exist_ok=True)
    (out / "plates").mkdir(exist_ok=True)
    signage = PngImagePlugin.PngInfo()
    signage.add_itxt("XML:com.adobe.xmp", XMP)
    Image.new("RGB", (320, 180), (20, 120, 160)).save(
        out / "vfx" / "lantern_street_signage_v3.png", pnginfo=signage
    )
    previs = PngImagePlugin.PngInfo()
    previs.add_text("parameters", A1111)
    Image.new("RGB", (320, 180), (40, 40, 90)).save(
        out / "vfx" / "ferry_chase_previs_0042.png", pnginfo=previs
    )
    Image.new("RGB", (320, 180), (90, 80, 70)).save(out / "plates" / "A001C003_plate.jpg")
    poster = PngImagePlugin.PngInfo()
    poster.add_itxt("XML:com.adobe.xmp", XMP)
    Image.new("RGB", (180, 320), (200, 30, 60)).save(
        out / "vfx" / "harbor_ledger_poster.png", pnginfo=poster
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
