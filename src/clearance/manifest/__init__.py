"""The production manifest, format version 1 (``shared/spec/manifest-v1.md``).

The loader and the models (pydantic) are imported on first use: every command imports
``clearance.manifest.errors``, and ``clearance --help`` should not pay for the models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from clearance.manifest.errors import InputError, ManifestError

if TYPE_CHECKING:
    from clearance.manifest.loader import load_manifest
    from clearance.manifest.models import Manifest, Performer, Production, Tool, UseCase

_LAZY = {
    "load_manifest": "clearance.manifest.loader",
    "Manifest": "clearance.manifest.models",
    "Performer": "clearance.manifest.models",
    "Production": "clearance.manifest.models",
    "Tool": "clearance.manifest.models",
    "UseCase": "clearance.manifest.models",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "InputError",
    "Manifest",
    "ManifestError",
    "Performer",
    "Production",
    "Tool",
    "UseCase",
    "load_manifest",
]
