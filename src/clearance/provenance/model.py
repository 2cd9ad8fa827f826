"""What a scan knows about one file: signals for people, facts for the policy packs.

Each extractor fills its own part of ``FileFacts`` (``c2pa``, ``xmp``, ``generator``,
``decode``) and adds ``Signal``s saying what it saw and where. The pydantic models double as
the fact schema the provenance packs are validated against.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from clearance.prompts.model import PromptFacts

Strength = Literal["strong", "medium", "weak"]

#: IPTC digital source type terms, by lower-case key (values are compared by their last path
#: segment without regard to case or surrounding blanks, then written in this canonical form).
IPTC_SOURCE_TYPES = {
    term.lower(): term
    for term in (
        "trainedAlgorithmicMedia",
        "compositeWithTrainedAlgorithmicMedia",
        "trainedAlgorithmicData",
        "algorithmicMedia",
        "algorithmicallyEnhanced",
        "composite",
        "compositeCapture",
        "compositeSynthetic",
        "dataDrivenMedia",
        "digitalArt",
        "digitalCapture",
        "humanEdits",
        "minorHumanEdits",
        "negativeFilm",
        "positiveFilm",
        "print",
        "screenCapture",
        "softwareImage",
        "virtualRecording",
    )
}


def source_type_term(value: str) -> str:
    """``http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia`` (any case,
    any scheme, stray blanks) → ``trainedAlgorithmicMedia``; unknown terms are kept as written
    (last segment, stripped)."""
    last = value.strip().rstrip("/").rsplit("/", 1)[-1].strip()
    return IPTC_SOURCE_TYPES.get(last.lower(), last)


class Signal(BaseModel):
    """One thing an extractor saw: e.g. kind ``c2pa.digitalSourceType``, value
    ``trainedAlgorithmicMedia``, strength ``strong``, source ``C2PA active manifest, action
    c2pa.created``. Absence of signals means "no signal", never "human-made"."""

    model_config = ConfigDict(frozen=True)

    kind: str
    value: str
    strength: Strength
    source: str


class _Facts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class C2paAction(_Facts):
    action: str  # e.g. c2pa.created, c2pa.placed, c2pa.edited, c2pa.opened
    source_type: str = ""  # canonical IPTC term (source_type_term), "" when absent
    agent: str = ""  # softwareAgent name
    manifest: Literal["active", "ingredient"] = "active"
    # How an ingredient manifest relates to the file: parentOf (an earlier state of this very
    # asset, reached through parentOf links only), componentOf or inputTo (the first link
    # that is not parentOf), "" for the active manifest or an ingredient nothing links to.
    relationship: str = ""
    description: str = ""  # the action's description (bounded), e.g. "AI Generated Image"


class C2paFacts(_Facts):
    present: bool = False  # a C2PA manifest store was found (readable or not)
    # none: no manifest; not-verified: read without validation (scan --no-verify)
    state: Literal["none", "not-verified", "Valid", "Invalid", "Trusted", "unreadable"] = "none"
    # What a person is told about the credential: "" (none), "valid", "valid, untrusted
    # signer", "expired", "invalid: CODE", "not verified", "unreadable: KIND"
    credential: str = ""
    # remote-manifest-not-fetched | prerelease-manifest | unknown-algorithm | parse-error | other
    error: str = ""
    generator: str = ""  # claim_generator_info name (or claim_generator)
    generators: list[str] = Field(default_factory=list)  # every manifest's generator name
    signer: str = ""  # certificate issuer / common name
    trusted: bool = False  # signer chains to a configured trust anchor
    # validation failure codes, without signingCredential.untrusted (that is ``trusted``)
    failures: list[str] = Field(default_factory=list)
    assertions: list[str] = Field(default_factory=list)  # assertion labels of the active manifest
    actions: list[C2paAction] = Field(default_factory=list)


class XmpFacts(_Facts):
    present: bool = False
    source_type: str = ""  # Iptc4xmpExt:DigitalSourceType, canonical term
    ai_system: str = ""  # Iptc4xmpExt:AISystemUsed (IPTC 2025.1)
    ai_prompt: str = ""  # Iptc4xmpExt:AIPromptInformation
    creator_tool: str = ""  # xmp:CreatorTool
    provenance: str = ""  # dcterms:provenance
    description_parameters: bool = False  # an A1111-style "Steps: N" block in dc:description
    oversized: bool = False  # an XMP packet larger than the reading bound: not read


class AigcFacts(_Facts):
    """The implicit label of China's labelling measures (GB 45438-2025): an ``AIGC`` field
    (XMP, PNG text, MP4 user data) with Label, ContentProducer, ProduceID, ..."""

    present: bool = False
    label: str = ""  # 1 = AI-generated, 2 = possibly AI-generated, 3 = suspected (as written)
    producer: str = ""  # ContentProducer
    where: str = ""


class GeneratorFacts(_Facts):
    parameters: list[str] = Field(default_factory=list)  # generators whose parameters are embedded
    software: str = ""  # EXIF/PNG/container Software or encoder tag
    # Tool names the file gives (Software, encoder, CreatorTool, EXIF Make/Model text);
    # the ai-provenance pack holds the list of names that only generators write.
    names: list[str] = Field(default_factory=list)
    watermark: str = ""  # a weak invisible-watermark reading, when checked
    prompt: str = ""  # the prompt in those parameters, when a parser could read it (bounded)
    # Metadata blocks (PNG text, EXIF) larger than the reading bound, by where: not read, so
    # what they hold — generator parameters, a label — is unknown.
    oversized: list[str] = Field(default_factory=list)


class DecodeFacts(_Facts):
    state: Literal["ok", "fail", "no-codec", "empty", "not-checked"] = "not-checked"
    detail: str = ""


class SimilarMatch(_Facts):
    """A protected reference the file came close to: the distance (bits of 256 PDQ bits that
    differ; 0 = the same picture), the reference's frame time and the file's (seconds; 0 for
    an image), and the file's variant that matched (e.g. "flipped left to right")."""

    ref: str = ""
    label: str = ""
    owner: str = ""
    distance: int = 256
    ref_seconds: float = 0.0
    file_seconds: float = 0.0
    variant: str = ""
    frames_matched: int = 0


class SimilarFacts(_Facts):
    """The file compared with the production's reference library (``clearance refs``): only
    when the production has one. ``matches`` lists every reference within the search radius
    (``radius``; the deliverables pack's condition decides which distance is a finding);
    ``problem`` says why the file could not be compared (e.g. too flat for PDQ) — never a
    silent pass."""

    checked: bool = False
    library_version: str = ""
    library_size: int = 0
    radius: int = 0
    frames: int = 0  # hashes of the file compared
    matches: list[SimilarMatch] = Field(default_factory=list)
    problem: str = ""


class FileFacts(_Facts):
    """Everything the provenance and deliverables packs may read about one file."""

    media_type: str = "application/octet-stream"
    size: int = 0
    c2pa: C2paFacts = Field(default_factory=C2paFacts)
    xmp: XmpFacts = Field(default_factory=XmpFacts)
    generator: GeneratorFacts = Field(default_factory=GeneratorFacts)
    decode: DecodeFacts = Field(default_factory=DecodeFacts)
    aigc: AigcFacts = Field(default_factory=AigcFacts)
    similar: SimilarFacts = Field(default_factory=SimilarFacts)
    errors: list[str] = Field(default_factory=list)  # extractors that failed on this file


class AssetFacts(_Facts):
    """What the register knows about a scanned file (by content hash)."""

    registered: bool = False  # registered as the output of a use case (clearance asset add)
    use_case: str = ""
    destination: str = ""  # reference | temp | final, of that use case
    outcome: str = ""  # proceed | judgment | escalate, its current decision
    cleared: bool = False
    open_obligations: list[str] = Field(default_factory=list)


class LabelFacts(_Facts):
    """What the disclosure plan (``clearance disclosures``) knows of a delivered file's
    machine-readable AI label. A plain scan leaves ``checked`` false: whether a label is owed
    depends on the markets, which only the plan decides (with the decision packs)."""

    checked: bool = False  # the disclosure plan checked this file against its markets
    # Machine-readable AI labels the file carries (``inspect.machine_labels``): C2PA (an AI
    # digitalSourceType), IPTC (DigitalSourceType / AISystemUsed), AIGC (GB 45438-2025)
    carried: list[str] = Field(default_factory=list)
    # Markets where a use case the file is registered to owes ``ai-label`` (a pack asks)
    required_in: list[str] = Field(default_factory=list)


class DeliverableFacts(_Facts):
    """Facts of one file in a deliverables scan: what it carries, its verdict, and the use
    case it was registered to (if any) — what the deliverables pack decides findings from."""

    file: FileFacts = Field(default_factory=FileFacts)
    verdict: str = "no-ai-signal"
    asset: AssetFacts = Field(default_factory=AssetFacts)
    label: LabelFacts = Field(default_factory=LabelFacts)
    # What the file's own prompt names (clearance.prompts: its generator parameters, IPTC
    # AIPromptInformation and C2PA action descriptions against the production's talent and
    # protected names); derived per production by the scan, empty where none was checked
    prompt: PromptFacts = Field(default_factory=PromptFacts)


class Extraction(BaseModel):
    """What one extractor returns: its part of the facts and the signals behind them."""

    model_config = ConfigDict(frozen=True)

    c2pa: C2paFacts | None = None
    xmp: XmpFacts | None = None
    generator: GeneratorFacts | None = None
    decode: DecodeFacts | None = None
    aigc: AigcFacts | None = None
    similar: SimilarFacts | None = None
    signals: list[Signal] = Field(default_factory=list)


class SimilarityOptions(BaseModel):
    """Where an extractor finds the production's reference library: the cache folder holding
    its index files, named by the library version (part of the scan cache key, so a changed
    library re-compares every file), and the search radius in bits."""

    model_config = ConfigDict(frozen=True)

    cache: str
    version: str
    size: int
    radius: int


class ScanOptions(BaseModel):
    """Options every extractor receives."""

    model_config = ConfigDict(frozen=True)

    verify: bool = True  # C2PA validation (hashes, signature, dates); off = metadata only
    trust_anchors: str | None = None  # PEM bundle of trusted C2PA signing roots
    max_metadata_bytes: int = 16 * 1024 * 1024  # bound on any metadata block read into memory
    # The reference library to compare images and videos with (its cached index, by version);
    # None: the production has none, and no similarity facts are made.
    similarity: SimilarityOptions | None = None
