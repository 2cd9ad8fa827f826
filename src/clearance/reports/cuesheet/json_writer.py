"""The cue sheet as JSON: the public ``clearance.cuesheet/1`` format, the whole model as is.

Indented and with non-ASCII kept readable, because people diff and read these files; keys
keep the model's field order so output is stable for a given sheet.
"""

from __future__ import annotations

import json
from typing import BinaryIO

from clearance.editorial.cuesheet import CueSheet


def write(sheet: CueSheet, out: BinaryIO) -> None:
    text = json.dumps(sheet.model_dump(mode="json"), indent=2, ensure_ascii=False)
    out.write((text + "\n").encode("utf-8"))
