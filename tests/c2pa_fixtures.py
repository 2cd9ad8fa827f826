"""Signed C2PA test media, made at test time under pytest's tmp paths.

Nothing here is checked in: a throwaway CA and signing certificate are generated with
``cryptography`` on each run and written only below the ``tmp_path`` the caller passes, so
no key ever lands in the repository. Signing uses no time-stamp authority, so no network.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import struct
import wave
from pathlib import Path
from typing import Any, Literal, NamedTuple

import c2pa  # type: ignore[import-untyped]
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

Kind = Literal["png", "jpeg", "wav"]
SourceType = Literal[
    "trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "digitalCapture"
]

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
GENERATOR = "Clearance Test Suite"
AI_AGENT = "Clearance Test Generator"
EDITOR_AGENT = "Clearance Test Editor"
CAMERA_AGENT = "Clearance Test Camera"
SIGNER_ORG = "Clearance Test Signing"

MEDIA_TYPES: dict[Kind, str] = {"png": "image/png", "jpeg": "image/jpeg", "wav": "audio/wav"}
SUFFIXES: dict[Kind, str] = {"png": ".png", "jpeg": ".jpg", "wav": ".wav"}


class ThrowawayCa(NamedTuple):
    """A throwaway root (its PEM on disk, for ``trust_anchors``) and an end-entity signer."""

    root_pem: Path
    key_pem: bytes  # end-entity private key, PKCS#8 PEM
    chain_pem: bytes  # end-entity certificate (the root is the trust anchor, not sent)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, SIGNER_ORG),
        ]
    )


def _certificate(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    """A v3 certificate with the extensions c2pa-rs's certificate profile check requires:
    AKI everywhere, SKI on the CA, digitalSignature (not keyCertSign) plus an allowed EKU on
    the end entity."""
    now = dt.datetime.now(dt.UTC)
    issuer_ski = x509.SubjectKeyIdentifier.from_public_key(issuer_key.public_key())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski),
            critical=False,
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if not ca:
        # emailProtection is on c2pa-rs's default EKU allow-list (as is documentSigning).
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def make_ca(tmp_path: Path) -> ThrowawayCa:
    """Generate a P-256 root CA and an ES256 end-entity signer; write the root PEM."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name("Clearance Test Root CA")
    root = _certificate(root_name, root_name, root_key.public_key(), root_key, ca=True)
    ee_key = ec.generate_private_key(ec.SECP256R1())
    ee = _certificate(
        _name("Clearance Test Signer"), root_name, ee_key.public_key(), root_key, ca=False
    )
    root_pem = tmp_path / "test-root-ca.pem"
    root_pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    key_pem = ee_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return ThrowawayCa(root_pem, key_pem, ee.public_bytes(serialization.Encoding.PEM))


def media_bytes(kind: Kind, seed: int = 0) -> bytes:
    """A small, valid, unsigned media file of the given kind."""
    if kind == "wav":
        return _wav_bytes(seed)
    image = Image.new("RGB", (64, 48))
    image.putdata([((x * 4 + seed) % 256, y * 5 % 256, 128) for y in range(48) for x in range(64)])
    out = io.BytesIO()
    image.save(out, format="PNG" if kind == "png" else "JPEG", quality=90)
    return out.getvalue()


def _wav_bytes(seed: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        tone = 440 + seed
        samples = (int(8000 * math.sin(2 * math.pi * tone * i / 8000)) for i in range(2000))
        w.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return out.getvalue()


def _action(action: str, source_type: str, agent: str, **extra: Any) -> dict[str, Any]:
    return {
        "action": action,
        "digitalSourceType": IPTC + source_type,
        "softwareAgent": {"name": agent, "version": "1.0"},
        **extra,
    }


def _definition(title: str, actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "claim_generator_info": [{"name": GENERATOR, "version": "1.0"}],
        "title": title,
        "assertions": [{"label": "c2pa.actions", "data": {"actions": actions}}],
    }


Ingredient = tuple[dict[str, Any], bytes]

#: Signing settings: no thumbnails (faster, smaller) and no network of any kind.
_SIGNING_SETTINGS = {
    "builder": {"thumbnail": {"enabled": False}},
    "core": {"allowed_network_hosts": []},
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
}


def _sign(
    ca: ThrowawayCa,
    kind: Kind,
    definition: dict[str, Any],
    dest: Path,
    ingredients: list[Ingredient] | None = None,
    seed: int = 0,
) -> Path:
    """Sign ``definition`` into a fresh ``kind`` file at ``dest`` (ES256, no TSA)."""
    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, ca.chain_pem, ca.key_pem, None)
    with (
        c2pa.Context.from_dict(_SIGNING_SETTINGS) as context,
        c2pa.Signer.from_info(info) as signer,
        c2pa.Builder(definition, context) as builder,
        dest.open("w+b") as out,
    ):
        for ingredient, data in ingredients or []:
            builder.add_ingredient(ingredient, MEDIA_TYPES[kind], io.BytesIO(data))
        builder.sign(signer, MEDIA_TYPES[kind], io.BytesIO(media_bytes(kind, seed)), out)
    return dest


def signed_file(
    tmp_path: Path, kind: Kind, source_type: SourceType, ca: ThrowawayCa | None = None
) -> Path:
    """A signed ``kind`` file in ``tmp_path`` whose active manifest declares ``source_type``:

    * trainedAlgorithmicMedia: ``c2pa.created`` by an AI generator;
    * compositeWithTrainedAlgorithmicMedia: ``c2pa.opened`` of a digitalCapture base, then
      ``c2pa.placed`` of an AI-generated ingredient (itself signed, so its manifest, with a
      trainedAlgorithmicMedia ``c2pa.created``, rides along as an ingredient manifest);
    * digitalCapture: ``c2pa.created`` by a camera.
    """
    ca = ca or make_ca(tmp_path)
    dest = tmp_path / f"{kind}-{source_type}{SUFFIXES[kind]}"
    if source_type == "trainedAlgorithmicMedia":
        actions = [_action("c2pa.created", source_type, AI_AGENT)]
        return _sign(ca, kind, _definition(dest.name, actions), dest)
    if source_type == "digitalCapture":
        actions = [_action("c2pa.created", source_type, CAMERA_AGENT)]
        return _sign(ca, kind, _definition(dest.name, actions), dest, seed=3)
    generated = signed_file(tmp_path, kind, "trainedAlgorithmicMedia", ca)
    actions = [
        _action("c2pa.opened", "digitalCapture", EDITOR_AGENT,
                parameters={"ingredientIds": ["base"]}),
        _action("c2pa.placed", source_type, EDITOR_AGENT,
                parameters={"ingredientIds": ["generated"]}),
    ]  # fmt: skip
    ingredients: list[Ingredient] = [
        ({"title": "base", "relationship": "parentOf", "label": "base"}, media_bytes(kind, 1)),
        (
            {"title": generated.name, "relationship": "componentOf", "label": "generated"},
            generated.read_bytes(),
        ),
    ]
    return _sign(ca, kind, _definition(dest.name, actions), dest, ingredients, seed=1)


def tamper_jpeg(path: Path) -> None:
    """Flip one bit of the entropy-coded image data near the end of a JPEG, keeping every
    marker intact, so the file still parses but no longer matches its C2PA data hash."""
    data = bytearray(path.read_bytes())
    at = next(i for i in range(len(data) - 8, 2, -1) if data[i] < 0xFE and data[i - 1] != 0xFF)
    data[at] ^= 0x01
    path.write_bytes(bytes(data))
