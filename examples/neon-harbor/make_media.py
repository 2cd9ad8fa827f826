"""Make the example production's deliverables and locked cut for `make demo` (at demo time).

Files, each a stand-in for what a post house would hand over: generated background signage
carrying IPTC DigitalSourceType (UC-008, declared final), a generated previs frame with Stable
Diffusion parameters (UC-006, declared temp — it should not be here), a camera plate with no
GenAI marking, a generated poster nobody declared, a de-ageing composite carrying a C2PA
manifest signed now by a throwaway CA (UC-011; the CA's key is deleted when this script ends,
its root certificate is left beside the tree for --trust-anchors) and a room-tone WAV.

``cut/neon_harbor_107_lock.edl`` is the locked cut (23.976, a video and an audio track, a
dissolve, a speed change, a gap) that places these files — and one VFX shot that was never
delivered — on the timeline.

Usage: python make_media.py OUT_DIR
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
import wave
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

    (out / "audio").mkdir(exist_ok=True)
    (out / "audio" / "NH107_room_tone.wav").write_bytes(_room_tone())
    _signed_composite(out / "vfx" / "NH107_flashback_deage_sh042_v5.jpg", out.parent)
    (out / "cut").mkdir(exist_ok=True)
    (out / "cut" / "neon_harbor_107_lock.edl").write_text(LOCKED_CUT)


LOCKED_CUT = """\
TITLE: NEON HARBOR 107 LOCKED CUT v12
FCM: NON-DROP FRAME

001  A001C003 V     C        14:22:10:00 14:22:16:00 01:00:00:00 01:00:06:00
* FROM CLIP NAME: NH107_SC03_TK2
* SOURCE FILE: /Volumes/NH_CAMERA/A001/A001C003_plate.jpg
002  AX       V     C        00:00:00:00 00:00:04:00 01:00:06:00 01:00:10:00
* FROM CLIP NAME: lantern_street_signage_v3.png
003  AX       V     C        00:00:00:00 00:00:00:00 01:00:10:00 01:00:10:00
003  AX       V     D    012 00:00:00:00 00:00:05:00 01:00:10:00 01:00:15:00
* FROM CLIP NAME: lantern_street_signage_v3.png
* TO CLIP NAME: NH107_flashback_deage_sh042_v5
* SOURCE FILE: /Volumes/NH_VFX/107/sh042/NH107_flashback_deage_sh042_v5.jpg
004  AX       V     C        00:00:00:00 00:00:04:00 01:00:15:00 01:00:17:00
M2   AX       048.0                00:00:00:00
* FROM CLIP NAME: ferry_chase_previs_0042.png
005  AX       V     C        00:00:00:00 00:00:03:00 01:00:19:00 01:00:22:00
* FROM CLIP NAME: harbor_ledger_poster.png
006  AX       V     C        00:00:00:00 00:00:03:00 01:00:22:00 01:00:25:00
* FROM CLIP NAME: NH107_sh051_skyline_comp_v2.exr
007  AX       A     C        00:00:00:00 00:00:25:00 01:00:00:00 01:00:25:00
* FROM CLIP NAME: NH107_room_tone.wav
"""


def _room_tone() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(16000))
    return buffer.getvalue()


def _signed_composite(dest: Path, beside: Path) -> None:
    """A JPEG whose C2PA manifest says it composites a GenAI ingredient into a capture, signed
    with a throwaway CA made now (the test suite's fixture factory); only the root certificate
    is kept, as ``demo-root-ca.pem``."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.c2pa_fixtures import make_ca, signed_file

    with tempfile.TemporaryDirectory() as secrets:
        ca = make_ca(Path(secrets))
        signed = signed_file(Path(secrets), "jpeg", "compositeWithTrainedAlgorithmicMedia", ca)
        shutil.copyfile(signed, dest)
        shutil.copyfile(ca.root_pem, beside / "demo-root-ca.pem")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
