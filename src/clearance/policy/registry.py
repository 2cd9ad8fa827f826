"""Where packs come from: the built-in packs shipped in ``clearance/policy/packs/<id>/``,
or a pack file given by path."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from clearance.manifest.errors import InputError, ManifestError
from clearance.policy.pack import Pack, load_pack

BUILTIN_DIR = Path(__file__).parent / "packs"


def builtin_ids(kind: str | None = None) -> list[str]:
    """Ids of the packs shipped with clearance (of one kind: decision, classifier, findings)."""
    ids = sorted(p.parent.name for p in BUILTIN_DIR.glob("*/pack.yaml"))
    return [i for i in ids if kind is None or resolve(i).spec.kind == kind]


@cache
def _load(path: Path) -> Pack:
    return load_pack(path)


def resolve(name: str) -> Pack:
    """A built-in pack by id, or a pack file (or folder holding ``pack.yaml``) by path."""
    candidate = Path(name)
    if name in builtin_ids():
        path = BUILTIN_DIR / name / "pack.yaml"
    elif candidate.is_dir() and (candidate / "pack.yaml").is_file():
        path = candidate / "pack.yaml"
    elif candidate.is_file():
        path = candidate
    else:
        raise ManifestError(
            [
                InputError(
                    name, None, "", f"no such pack; built-in packs: {', '.join(builtin_ids())}"
                )
            ]
        )
    return _load(path.resolve())
