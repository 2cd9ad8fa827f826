"""The production manifest, format version 1 (``shared/spec/manifest-v1.md``)."""

from clearance.manifest.errors import InputError, ManifestError
from clearance.manifest.loader import load_manifest
from clearance.manifest.models import Manifest, Performer, Production, Tool, UseCase

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
