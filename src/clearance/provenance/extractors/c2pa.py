"""C2PA Content Credentials, read with c2pa-rs (c2pa-python's ``Reader``), strictly offline.

Network: remote manifests, OCSP and every other host are switched off in the c2pa-rs
settings, so a file that only points at a remote manifest reads as
``remote-manifest-not-fetched`` instead of phoning out.

Validation is on by default (a scan hashes every byte anyway): signature, certificate dates,
trust and content hashes, summed up as ``credential`` (valid / valid, untrusted signer /
expired / invalid: CODE). With ``options.verify`` off (``--no-verify``) c2pa-rs only parses
the store and ``state`` is ``"not-verified"``. c2pa-rs loads the whole file for a JPEG, so
every file first gets a header-only look (``may_hold_c2pa``) and skips c2pa-rs when its
container holds no C2PA box and no XMP provenance reference: a file without C2PA costs the
same with validation on or off.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO, Literal

import c2pa  # type: ignore[import-untyped]

from clearance.provenance.containers import (
    Source,
    StructureError,
    Tiff,
    bmff_boxes,
    png_chunks,
    preloaded_bytes,
    riff_chunks,
)
from clearance.provenance.model import (
    C2paAction,
    C2paFacts,
    Extraction,
    ScanOptions,
    Signal,
    source_type_term,
)

NAME = "c2pa"
ACTIONS_LABELS = frozenset({"c2pa.actions", "c2pa.actions.v2"})
#: Source types that say generative AI made or went into the asset.
AI_SOURCE_TYPES = frozenset(
    {"trainedAlgorithmicMedia", "trainedAlgorithmicData", "compositeWithTrainedAlgorithmicMedia"}
)
#: Assertions that say generative AI by themselves (legacy Firefly has no digitalSourceType).
AI_ASSERTIONS = frozenset({"com.adobe.generative-ai"})
#: Always present when no trust list is configured; ``trusted`` carries it instead.
UNTRUSTED = "signingCredential.untrusted"
#: Library tokens that follow the product in a C2PA 1.x ``claim_generator`` string.
_LIBRARY_TOKEN = re.compile(r"\s+(c2pa-rs|adobe_c2pa|c2patool|cai-helper|c2pa-c|c2pa-python)/\S+")
_INSTANCE_SUFFIX = re.compile(r"__\d+$")
_SIDECAR_TYPES = frozenset({"application/c2pa", "application/x-c2pa-manifest-store"})
Where = Literal["active", "ingredient"]
_STATES: dict[str, Literal["Valid", "Invalid", "Trusted"]] = {
    "Valid": "Valid",
    "Invalid": "Invalid",
    "Trusted": "Trusted",
}


def _base_type(media_type: str) -> str:
    return media_type.split(";", 1)[0].strip().lower()


@cache
def supported_media_types() -> frozenset[str]:
    """What this c2pa-rs build reads (asked once; the list also holds bare extensions)."""
    listed = {m for m in c2pa.Reader.get_supported_mime_types() if "/" in m}
    return frozenset(listed | _SIDECAR_TYPES)


def reader_settings(options: ScanOptions) -> dict[str, Any]:
    """c2pa-rs settings: no network of any kind; validation only when asked for."""
    settings: dict[str, Any] = {
        "verify": {
            "verify_after_reading": options.verify,
            "remote_manifest_fetch": False,
            "ocsp_fetch": False,
        },
        "core": {
            "allowed_network_hosts": [],  # empty list = block every host
            "max_decompressed_manifest_size_in_mb": max(1, options.max_metadata_bytes >> 20),
        },
    }
    if options.trust_anchors:
        anchors = Path(options.trust_anchors).read_text(encoding="utf-8")
        settings["trust"] = {"trust_anchors": anchors}
    return settings


@cache
def _context(options: ScanOptions, pid: int) -> Any:
    """One c2pa Context per option set and process (a forked worker must not reuse the
    parent's native handle)."""
    del pid  # only part of the cache key
    return c2pa.Context.from_dict(reader_settings(options))


def check_settings(options: ScanOptions) -> None:
    """Fail early (``ValueError``) on settings c2pa-rs refuses, such as a bad trust bundle:
    a setup error must stop a scan, not turn every C2PA file into "no signal"."""
    try:
        _context(options, os.getpid())
    except Exception as exc:
        raise ValueError(f"C2PA settings refused: {exc}") from exc


class C2paExtractor:
    """Reads the manifest store and turns it into ``C2paFacts`` plus signals."""

    name = NAME

    def applies(self, media_type: str) -> bool:
        return _base_type(media_type) in supported_media_types()

    def extract(self, path: Path, media_type: str, options: ScanOptions) -> Extraction:
        context = _context(options, os.getpid())  # bad settings are a setup error: raise
        try:
            store = _read_store(path, _base_type(media_type), options, context)
        except (c2pa.C2paError, ValueError) as exc:
            return _unreadable(error_kind(exc), str(exc))
        except OSError as exc:
            return _unreadable("other", f"cannot read: {exc.strerror}")
        if store is None:
            return Extraction(c2pa=C2paFacts())
        facts = store_facts(store, verified=options.verify)
        return Extraction(c2pa=facts, signals=list(_signals(facts)))


EXTRACTOR = C2paExtractor()


def _read_store(
    path: Path, media_type: str, options: ScanOptions, context: Any
) -> dict[str, Any] | None:
    """The manifest store as c2pa-rs's JSON, or None when the file has no C2PA."""
    fmt = media_type if media_type in supported_media_types() else None  # None: sniff
    data = preloaded_bytes(path)
    with io.BytesIO(data) if data is not None else path.open("rb") as stream:
        size = len(data) if data is not None else os.fstat(stream.fileno()).st_size
        if size == 0:
            raise ValueError("empty file")
        if not may_hold_c2pa(stream, fmt):
            return None
        stream.seek(0)
        try:
            with c2pa.Reader(fmt, stream, None, context) as reader:
                loaded = json.loads(reader.json())
        except c2pa.C2paError.ManifestNotFound:
            return None
    return _dict(loaded)


#: The UUID of the ISO BMFF box that carries a C2PA manifest store.
C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")


def may_hold_c2pa(stream: BinaryIO, media_type: str | None) -> bool:
    """A header-only look, so that most files without C2PA never reach c2pa-rs (whose reads
    call back into Python, about 0.3 ms a file): True when the container has a C2PA box or
    chunk, an XMP provenance reference to a URL, a structure too damaged to be sure, or a
    format this look does not know — c2pa-rs then decides."""
    if media_type == "image/jpeg":
        return jpeg_may_hold_c2pa(stream)
    walker = _WALKERS.get(media_type or "")
    if walker is None:
        return True
    try:
        return walker(Source(stream))  # type: ignore[arg-type]  # a binary file object
    except StructureError:
        return True


_REMOTE = re.compile(rb"provenance\s*(?:=\s*[\"']|>)\s*(?!self#)[A-Za-z][\w+.-]*:", re.I)


def remote_reference(xmp: bytes) -> bool:
    """Whether XMP bytes hold a ``dcterms:provenance`` that points outside the file (a URL):
    a ``self#jumbf=`` reference points into the file, where the container walk has already
    looked for the manifest, so only a remote one needs c2pa-rs (to say it was not fetched)."""
    return b"provenance" in xmp and _REMOTE.search(xmp) is not None


def _png_may_hold_c2pa(src: Source) -> bool:
    for chunk in png_chunks(src):
        if chunk.kind == b"caBX":
            return True
        if chunk.kind == b"iTXt" and remote_reference(
            src.read(chunk.offset, min(chunk.length, 1 << 20))
        ):
            return True
    return False


def _riff_may_hold_c2pa(src: Source) -> bool:
    return any(chunk.kind in (b"C2PA", b"_PMX", b"XMP ") for chunk in riff_chunks(src))


def _bmff_may_hold_c2pa(src: Source) -> bool:
    for box in bmff_boxes(src):
        if box.kind == b"uuid" and src.read(box.offset, 16) == C2PA_UUID:
            return True
        if box.kind == b"uuid" and remote_reference(src.read(box.offset, min(box.length, 1 << 20))):
            return True
    return False


#: TIFF tags: the C2PA manifest store (C2PA 2.1, 0xCD41) and the XMP packet.
_TIFF_C2PA, _TIFF_XMP = 0xCD41, 700


def _tiff_may_hold_c2pa(src: Source) -> bool:
    tiff = Tiff(src)
    entries = tiff.entries(tiff.ifd0, frozenset({_TIFF_C2PA, _TIFF_XMP}))
    if _TIFF_C2PA in entries:
        return True
    xmp = entries.get(_TIFF_XMP)
    return xmp is not None and remote_reference(tiff.value(xmp, 1 << 20))


_WALKERS = {
    "image/tiff": _tiff_may_hold_c2pa,
    "image/x-adobe-dng": _tiff_may_hold_c2pa,
    "image/png": _png_may_hold_c2pa,
    "audio/wav": _riff_may_hold_c2pa,
    "audio/x-wav": _riff_may_hold_c2pa,
    "audio/vnd.wave": _riff_may_hold_c2pa,
    "video/x-msvideo": _riff_may_hold_c2pa,
    "image/webp": _riff_may_hold_c2pa,
    "video/mp4": _bmff_may_hold_c2pa,
    "video/quicktime": _bmff_may_hold_c2pa,
    "audio/mp4": _bmff_may_hold_c2pa,
    "image/heif": _bmff_may_hold_c2pa,
    "image/heic": _bmff_may_hold_c2pa,
    "image/avif": _bmff_may_hold_c2pa,
}


def jpeg_may_hold_c2pa(stream: BinaryIO) -> bool:
    """Walk the JPEG header segments, never the image data: True when an APP11 segment
    (JUMBF) or an XMP ``provenance`` reference to a URL is there, or when the header is not clean
    enough to be sure (c2pa-rs then decides). A missing end marker counts as unsure too, so
    a truncated file still gets c2pa-rs's parse error."""
    if stream.seek(0, os.SEEK_END) < 4:
        return True
    stream.seek(-2, os.SEEK_END)
    if stream.read(2) != b"\xff\xd9":
        return True
    stream.seek(0)
    if stream.read(2) != b"\xff\xd8":
        return True
    while (code := _next_marker(stream)) not in (0xDA, 0xD9):  # start of scan, end of image
        if code is None:
            return True
        if code == 0x01 or 0xD0 <= code <= 0xD7:  # markers without a length
            continue
        length = int.from_bytes(stream.read(2), "big")
        if length < 2 or code == 0xEB:  # APP11 carries C2PA JUMBF
            return True
        body = stream.read(length - 2)  # at most 64 KiB by format
        if code == 0xE1 and remote_reference(body):  # XMP dcterms:provenance to a URL
            return True
    return False


def _next_marker(stream: BinaryIO) -> int | None:
    """The next marker code, skipping 0xFF fill bytes; None when there is no marker."""
    if stream.read(1) != b"\xff":
        return None
    while (byte := stream.read(1)) == b"\xff":
        pass
    return byte[0] if byte else None


def store_facts(store: dict[str, Any], *, verified: bool) -> C2paFacts:
    """Facts from c2pa-rs's manifest-store JSON (``Reader.json()``)."""
    # c2pa-rs lists manifests in no stable order: sorted by label, the facts are the same on
    # every read (the cache, the verdict memo and the output rely on it)
    manifests = dict(sorted(_dict(store.get("manifests")).items()))
    active_label = str(store.get("active_manifest") or "")
    active = _dict(manifests.get(active_label))
    state = _STATES.get(str(store.get("validation_state")), "none") if verified else "not-verified"
    failures = failure_codes(store) if verified else []
    relationships = ingredient_relationships(manifests, active_label)
    generators = (generator_name(_dict(m)) for m in manifests.values())
    return C2paFacts(
        present=True,
        state=state,
        credential=credential(state, failures),
        generator=generator_name(active),
        generators=list(dict.fromkeys(g for g in generators if g)),
        signer=_signer(active),
        trusted=state == "Trusted",
        failures=failures,
        assertions=_assertion_labels(active),
        actions=[
            *_actions(active, "active", ""),
            *(
                action
                for label, manifest in manifests.items()
                if label != active_label
                for action in _actions(_dict(manifest), "ingredient", relationships.get(label, ""))
            ),
        ],
    )


#: Failure codes that mean the signing certificate's validity period has passed; alone, the
#: credential is "expired" (the claim was intact when signed) rather than "invalid".
EXPIRED = frozenset({"signingCredential.expired", "timeStamp.expired"})


#: Codes about trust or an offline look-up, not about the credential being broken: an
#: untrusted CAWG identity signer, a DID that cannot be resolved without the network.
_NOT_BROKEN = (".untrusted", "_unavailable")


def credential(state: str, failures: list[str]) -> str:
    """The credential state shown beside a verdict: ``valid`` (a trust anchor vouches for
    the signer), ``valid, untrusted signer``, ``expired``, ``invalid: CODE`` (the first
    failure of the active manifest, else of an ingredient) or ``not verified``."""
    if state == "not-verified":
        return "not verified"
    if state == "Trusted":
        return "valid"
    failures = [f for f in failures if not f.endswith(_NOT_BROKEN)]
    own = [f for f in failures if not f.startswith("ingredient:")]
    broken = [f for f in own if f not in EXPIRED] or [f for f in failures if f not in EXPIRED]
    if broken:
        return f"invalid: {broken[0]}"
    if own:
        return "expired"
    if state in ("Valid", "Invalid"):  # Invalid only for trust or offline look-ups
        return "valid, untrusted signer"
    return ""


def ingredient_relationships(manifests: dict[str, Any], active_label: str) -> dict[str, str]:
    """Manifest label → how it relates to the file: ``parentOf`` when every link from the
    active manifest down to it is parentOf (an earlier state of this very asset), else the
    first link that is not (componentOf, inputTo): a component of a parent is a component."""
    found: dict[str, str] = {}
    queue = [(active_label, "parentOf")]
    while queue:
        label, path = queue.pop(0)
        for ingredient in _list(_dict(manifests.get(label)).get("ingredients")):
            ingredient = _dict(ingredient)
            target = ingredient.get("active_manifest")
            if not isinstance(target, str) or target in found or target == active_label:
                continue
            link = str(ingredient.get("relationship") or "componentOf")
            found[target] = link if path == "parentOf" else path
            queue.append((target, found[target]))
    return found


def generator_name(manifest: dict[str, Any]) -> str:
    """``claim_generator_info`` name, else ``claim_generator`` without its library tokens."""
    info = manifest.get("claim_generator_info")
    first = info[0] if isinstance(info, list) and info else info
    name = _dict(first).get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    claimed = manifest.get("claim_generator")
    return _LIBRARY_TOKEN.sub("", claimed).strip() if isinstance(claimed, str) else ""


def _signer(manifest: dict[str, Any]) -> str:
    info = _dict(manifest.get("signature_info"))
    for key in ("issuer", "common_name"):
        if isinstance(info.get(key), str) and info[key].strip():
            return str(info[key]).strip()
    return ""


def failure_codes(store: dict[str, Any]) -> list[str]:
    """Validation failure codes, ingredient ones prefixed ``ingredient:``; the ever-present
    ``signingCredential.untrusted`` is left to ``trusted``."""
    results = _dict(store.get("validation_results"))
    codes = set(_codes(_dict(results.get("activeManifest")).get("failure")))
    for delta in _list(results.get("ingredientDeltas")):
        deltas = _dict(_dict(delta).get("validationDeltas"))
        codes.update(f"ingredient:{code}" for code in _codes(deltas.get("failure")))
    return sorted(code for code in codes if not code.endswith(UNTRUSTED))


def _codes(entries: Any) -> Iterator[str]:
    for entry in _list(entries):
        code = _dict(entry).get("code")
        if isinstance(code, str) and code:
            yield code


def _assertion_labels(manifest: dict[str, Any]) -> list[str]:
    """Labels without their ``__N`` instance suffix, first occurrence order."""
    labels = (_dict(a).get("label") for a in _list(manifest.get("assertions")))
    return list(dict.fromkeys(_INSTANCE_SUFFIX.sub("", x) for x in labels if isinstance(x, str)))


def _actions(manifest: dict[str, Any], where: Where, relationship: str) -> Iterator[C2paAction]:
    """Every action of the manifest's ``c2pa.actions`` / ``c2pa.actions.v2`` assertions."""
    for assertion in map(_dict, _list(manifest.get("assertions"))):
        label = assertion.get("label")
        if not isinstance(label, str) or _INSTANCE_SUFFIX.sub("", label) not in ACTIONS_LABELS:
            continue
        data = _dict(assertion.get("data"))
        agents = _list(data.get("softwareAgents"))
        for action in _list(data.get("actions")):
            yield _action(_dict(action), agents, where, relationship)


def _action(
    action: dict[str, Any], agents: list[Any], where: Where, relationship: str
) -> C2paAction:
    source = action.get("digitalSourceType")
    agent = action.get("softwareAgent")
    description = action.get("description")
    index = action.get("softwareAgentIndex")
    if agent is None and isinstance(index, int) and 0 <= index < len(agents):
        agent = agents[index]
    return C2paAction(
        action=str(action.get("action", "")),
        source_type=source_type_term(source) if isinstance(source, str) else "",
        agent=_agent_name(agent),
        manifest=where,
        relationship=relationship,
        description=description.strip()[:200] if isinstance(description, str) else "",
    )


def _agent_name(agent: Any) -> str:
    """softwareAgent is a string (actions v1) or a ClaimGeneratorInfo object (v2)."""
    name = agent.get("name") if isinstance(agent, dict) else agent
    return name.strip() if isinstance(name, str) else ""


def _signals(facts: C2paFacts) -> Iterator[Signal]:
    seen: set[tuple[str, str, str]] = set()
    for signal in _all_signals(facts):
        key = (signal.kind, signal.value, signal.source)
        if key not in seen:
            seen.add(key)
            yield signal


def _all_signals(facts: C2paFacts) -> Iterator[Signal]:
    for act in facts.actions:
        if act.source_type not in AI_SOURCE_TYPES:
            continue
        if act.manifest == "active":
            source = f"C2PA active manifest, action {act.action}"
            yield Signal(kind="c2pa.digital_source_type", value=act.source_type,
                         strength="strong", source=source)  # fmt: skip
        else:
            link = act.relationship or "unlinked"
            source = f"C2PA ingredient manifest ({link}), action {act.action}"
            yield Signal(kind="c2pa.ingredient_source_type", value=act.source_type,
                         strength="medium", source=source)  # fmt: skip
    for act in facts.actions:
        if act.agent and act.manifest == "active":
            yield Signal(kind="c2pa.software_agent", value=act.agent, strength="weak",
                         source=f"C2PA active manifest, action {act.action}")  # fmt: skip
    for label in facts.assertions:
        if label in AI_ASSERTIONS:
            yield Signal(kind="c2pa.assertion", value=label, strength="strong",
                         source="C2PA active manifest, assertion")  # fmt: skip
    if facts.generator:
        yield Signal(kind="c2pa.generator", value=facts.generator, strength="weak",
                     source="C2PA active manifest, claim generator")  # fmt: skip
    if facts.credential:
        broken = facts.credential.startswith("invalid") or facts.credential == "expired"
        detail = ", ".join(facts.failures) or "no failure"
        yield Signal(kind="c2pa.credential", value=facts.credential,
                     strength="medium" if broken else "weak",
                     source=f"c2pa-rs validation: {detail}")  # fmt: skip


def error_kind(exc: Exception) -> str:
    """remote-manifest-not-fetched | prerelease-manifest | unknown-algorithm | parse-error |
    other, from c2pa-rs's error type and text (the corpus labels use the same words)."""
    text = str(exc).lower()
    if text.startswith("remote") or "remote manifest" in text:
        return "remote-manifest-not-fetched"
    if "prerelease" in text:
        return "prerelease-manifest"
    if "unknown algorithm" in text:
        return "unknown-algorithm"
    parse_types = (c2pa.C2paError.Io, c2pa.C2paError.NotSupported, c2pa.C2paError.Decoding)
    parse_words = ("could not be parsed", "jumbf", "empty file", "fill whole buffer")
    if isinstance(exc, parse_types) or any(word in text for word in parse_words):
        return "parse-error"
    return "other"


def _unreadable(kind: str, detail: str) -> Extraction:
    """A reader failure: C2PA is known to be there unless the file itself would not parse."""
    present = kind in ("remote-manifest-not-fetched", "prerelease-manifest", "unknown-algorithm")
    facts = C2paFacts(present=present, state="unreadable", error=kind,
                      credential=f"unreadable: {kind}" if present else "")  # fmt: skip
    signal = Signal(kind="c2pa.error", value=kind, strength="weak", source=f"c2pa-rs: {detail}")
    return Extraction(c2pa=facts, signals=[signal])


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
