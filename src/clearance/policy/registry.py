"""Where packs come from: the built-in packs shipped in ``clearance/policy/packs/<id>/``,
a released version of one (``netflix-genai@1.0.0``, kept under ``<id>/releases/``), or a pack
file given by path."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from clearance.manifest.errors import InputError, ManifestError
from clearance.policy.pack import Pack, load_pack

BUILTIN_DIR = Path(__file__).parent / "packs"


def builtin_ids(kind: str | None = None) -> list[str]:
    """Ids of the packs shipped with clearance (of one kind: decision, classifier, findings).
    Only ``<id>/pack.yaml`` counts: released versions under ``<id>/releases/`` are not packs
    of their own."""
    ids = sorted(p.parent.name for p in BUILTIN_DIR.glob("*/pack.yaml"))
    return [i for i in ids if kind is None or resolve(i).spec.kind == kind]


def _load(path: Path) -> Pack:
    """The compiled pack at ``path``, compiled once per content: a file replaced while the
    process runs (a pack upgrade under a long-running server, a test) is read afresh."""
    return _compiled(path, hashlib.sha256(path.read_bytes()).hexdigest())


@cache
def _compiled(path: Path, sha256: str) -> Pack:
    return load_pack(path)


def _error(name: str, problem: str) -> ManifestError:
    return ManifestError([InputError(name, None, "", problem)])


def resolve(name: str) -> Pack:
    """A built-in pack by id, a released version of one by ``id@version``, or a pack file
    (or folder holding ``pack.yaml``) by path."""
    candidate = Path(name)
    ids = builtin_ids()
    if name in ids:
        path = BUILTIN_DIR / name / "pack.yaml"
    elif "@" in name and name.rsplit("@", 1)[0] in ids:
        return resolve_release(*name.rsplit("@", 1))
    elif candidate.is_dir() and (candidate / "pack.yaml").is_file():
        path = candidate / "pack.yaml"
    elif candidate.is_file():
        path = candidate
    else:
        raise _error(name, f"no such pack; built-in packs: {', '.join(ids)}")
    return _load(path.resolve())


def resolve_release(pack_id: str, version: str) -> Pack:
    """Built-in pack ``pack_id`` exactly as released at ``version``: the current file when its
    version matches, else ``releases/<version>.yaml``. Bytes that differ from the recorded
    release (``RELEASES.json``) are refused, so a replay never runs other rules than the ones
    that decided."""
    from clearance.policy import releases

    name = f"{pack_id}@{version}"
    current = _load((BUILTIN_DIR / pack_id / "pack.yaml").resolve())
    locked = releases.read_lock(BUILTIN_DIR).get(pack_id, {})
    known = sorted(set(locked) | {current.version}, key=releases.version_key)
    if version == current.version:
        pack = current
    elif version not in locked:
        raise _error(
            name, f"{pack_id} has no released version {version}; known: {', '.join(known)}"
        )
    elif why := releases.retired(BUILTIN_DIR).get(name):
        raise _error(name, f"released version {version} can no longer be loaded: {why}")
    else:
        path = releases.release_path(BUILTIN_DIR, pack_id, version)
        if not path.is_file():
            raise _error(name, f"released version {version} is missing its file {path}")
        pack = _load(path.resolve())
        if pack.version != version:
            raise _error(name, f"{path} holds version {pack.version}, not {version}")
    if version in locked and locked[version] != pack.sha256:
        raise _error(
            name,
            f"{pack.path} is not the released {name} (sha256 {pack.sha256[:16]}…, released "
            f"{locked[version][:16]}…): the pack changed without a new version",
        )
    return pack


def resolve_key(packs_key: str) -> list[Pack]:
    """The packs a recorded decision was made with, from its ``packs_key``
    (``netflix-genai@1.0.0#<sha256 prefix>,…``), each checked against the recorded hash."""
    packs = []
    # After ";" a key names the protected names list the decision was made with (not a pack).
    for part in filter(None, packs_key.split(";", 1)[0].split(",")):
        ref, _, prefix = part.partition("#")
        pack = resolve(ref)
        if prefix and not pack.sha256.startswith(prefix):
            raise _error(
                part, f"the pack found for {ref} has sha256 {pack.sha256[:16]}…, not {prefix}…"
            )
        packs.append(pack)
    return packs
