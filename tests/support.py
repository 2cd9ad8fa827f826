"""Constants shared by tests: paths and a minimal valid manifest."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "neon-harbor" / "manifest.yaml"
#: Real media from public repositories (shared/external/media beside the checkout, or where
#: CLEARANCE_EXTERNAL_MEDIA points).
EXTERNAL_MEDIA = Path(
    os.environ.get("CLEARANCE_EXTERNAL_MEDIA") or ROOT.parent / "shared/external/media"
)
#: The product side's labelled real-file corpus (read-only, beside the checkout), or where
#: CLEARANCE_CORPUS points. Tests that need it are skipped, saying so, when it is absent.
CORPUS = Path(os.environ.get("CLEARANCE_CORPUS") or ROOT.parent / "shared" / "corpus")
HAVE_CORPUS = (CORPUS / "labels.tsv").is_file()

MINIMAL = """
version: 1
production:
  id: test-prod
tools:
  - id: ent
    name: Enterprise tool
    enterprise: yes
    trains_on_inputs: no
    retains_inputs: no
talent:
  - id: ava
    name: Ava
use_cases:
  - id: UC-1
    title: Mood boards
    tools: [ent]
    stage: ideation
    output:
      media: [image]
      destination: reference
      resembles_protected: no
"""
