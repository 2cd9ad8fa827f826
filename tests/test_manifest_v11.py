"""Manifest 1.1 end to end: the spec's examples, v1 compatibility, bad 1.1 input (exit 2 with
file, line and field), the published JSON Schema, export/re-import, and the web intake asking
the v1.1 questions of a production whose packs read them."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml

from clearance.manifest.loader import load_manifest
from clearance.manifest.models import Manifest, UseCase
from clearance.policy import Engine, resolve
from clearance.policy.registry import BUILTIN_DIR, builtin_ids
from tests.conftest import Run
from tests.support import EXAMPLE, MINIMAL, ROOT

pytest_plugins = ["tests.webapp"]

Cli = Callable[..., Run]
Write = Callable[[str, str], Path]

#: The binding spec (read-only, beside the checkout), or where CLEARANCE_SPEC_V11 points.
SPEC = Path(
    os.environ.get("CLEARANCE_SPEC_V11") or ROOT.parent / "shared" / "spec" / "manifest-v1.1.md"
)
needs_spec = pytest.mark.skipif(not SPEC.is_file(), reason=f"{SPEC} not available")


def _spec_blocks() -> list[str]:
    if not SPEC.is_file():
        return []
    return re.findall(r"```yaml\n(.*?)```", SPEC.read_text(encoding="utf-8"), re.S)


# -- the spec's examples -----------------------------------------------------------------------


@needs_spec
def test_every_complete_example_of_the_spec_loads_and_decides(tmp_path: Path) -> None:
    complete = [b for b in _spec_blocks() if "\nproduction:" in "\n" + b]
    assert complete, "the spec has a complete example"
    for number, block in enumerate(complete):
        path = tmp_path / f"example-{number}.yaml"
        path.write_text(block, encoding="utf-8")
        manifest = load_manifest(path, known_policies=builtin_ids("decision"))
        assert manifest.version == 1.1
        engine = Engine([resolve(p) for p in manifest.production.policies])
        assert all(d.outcome for d in engine.decide_all(manifest))


@needs_spec
def test_the_spec_s_field_listing_shows_the_model_s_defaults(tmp_path: Path) -> None:
    """The listing of new fields (a fragment: "every v1 field as before") holds each field at
    its default: completed with the v1 required fields, it loads, and every value it shows is
    the model's default."""
    fragments = [b for b in _spec_blocks() if "\nproduction:" not in "\n" + b]
    assert fragments
    shown = yaml.safe_load(fragments[0])
    use_case = shown["use_cases"][0]
    assert set(use_case) >= {"output", "talent", "writing"}
    use_case.update(tools=["t"], stage="post", title="listing")
    use_case["output"].update(media=["text"], destination="temp")
    use_case["talent"]["performers"] = [shown["talent"][0]["id"]]
    document = {
        "version": shown["version"],
        "production": {"id": "p"},
        "tools": [{"id": "t", "name": "T"}],
        "talent": shown["talent"],
        "use_cases": [use_case],
    }
    path = tmp_path / "listing.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    loaded = load_manifest(path)
    defaults = UseCase.model_validate(
        {"id": "U", "title": "t", "tools": ["t"], "stage": "post", "output": use_case["output"]}
    )
    got = loaded.use_cases[0]
    assert got.output.depicts_real == defaults.output.depicts_real == "unsure"
    assert got.output.synthetic_performer == defaults.output.synthetic_performer == "unsure"
    assert got.talent.depiction == defaults.talent.depiction == "role"
    assert got.writing == defaults.writing
    assert loaded.talent[0].represented == "unsure"


# -- version-1 manifests keep their meaning ----------------------------------------------------


def _v1_manifests() -> list[Path]:
    found = [EXAMPLE]
    for path in sorted(BUILTIN_DIR.rglob("*.yaml")):
        if "releases" in path.parts or path.name in ("pack.yaml", "questions.yaml"):
            continue
        if re.search(r"^version: 1\s*(#.*)?$", path.read_text(encoding="utf-8"), re.M):
            found.append(path)
    return found


def _decisions(manifest: Manifest) -> list[tuple[Any, ...]]:
    engine = Engine([resolve(p) for p in manifest.production.policies])
    return [
        (d.id, d.outcome, d.obligations, [r.id for r in d.rules], [a.id for a in d.advisories])
        for d in engine.decide_all(manifest)
    ]


@pytest.mark.parametrize(
    "path", _v1_manifests(), ids=lambda p: str(p.relative_to(ROOT)).replace("/", ":")
)
def test_every_v1_manifest_means_the_same_read_as_1_1(path: Path, tmp_path: Path) -> None:
    """A version-1 manifest loads, and declared ``version: 1.1`` with nothing else changed it
    is the same manifest with the same decisions (the compatibility promise)."""
    as_v1 = load_manifest(path, known_policies=None)
    assert as_v1.version == 1
    text = re.sub(
        r"^version: 1\b", "version: 1.1", path.read_text(encoding="utf-8"), count=1, flags=re.M
    )
    relabelled = tmp_path / path.name
    relabelled.write_text(text, encoding="utf-8")
    as_v11 = load_manifest(relabelled, known_policies=None)
    assert as_v11.version == 1.1
    assert as_v11.model_copy(update={"version": 1}) == as_v1
    assert _decisions(as_v11) == _decisions(as_v1)
    # Dumped, a v1 manifest is still a v1 document (no v1.1 key at its default sneaks in).
    dumped = tmp_path / "dumped.json"
    dumped.write_text(json.dumps(as_v1.model_dump(mode="json")), encoding="utf-8")
    assert load_manifest(dumped, known_policies=None) == as_v1


def test_the_v1_list_holds_the_example_and_pack_manifests() -> None:
    names = {p.name for p in _v1_manifests()}
    assert {"manifest.yaml", "golden-manifest.yaml"} <= names


# -- bad 1.1 input: exit 2 naming file, line and field -----------------------------------------

GOOD_V11 = """\
version: 1.1
production: {id: p, policies: [netflix-genai]}
tools: [{id: t, name: T, enterprise: yes, trains_on_inputs: no, retains_inputs: no}]
talent:
  - id: ava
    name: Ava
    represented: yes
use_cases:
  - id: U-1
    title: A line
    tools: [t]
    stage: post
    technique: generate
    output:
      media: [audio]
      destination: final
      resembles_protected: no
      depicts_real: no
      synthetic_performer: no
    talent:
      performers: [ava]
      replica: voice
      depiction: role
    writing:
      given_to_writer: no
      by_writer: no
"""


#: GOOD_V11 with a synthetic performer (valid: no replica, generated).
GOOD_SYNTHETIC = GOOD_V11.replace("      replica: voice\n", "").replace(
    "synthetic_performer: no", "synthetic_performer: yes"
)


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


BAD_11 = [
    # (id, old, new, line to point at, field named, words of the message)
    ("depicts-real-maybe", "depicts_real: no", "depicts_real: maybe", "depicts_real:",
     "output.depicts_real", "'yes', 'no' or 'unsure'"),
    ("depiction-documentary", "depiction: role", "depiction: documentary", "depiction:",
     "talent.depiction", "'role', 'self', 'commentary' or 'news'"),
    ("represented-perhaps", "represented: yes", "represented: perhaps", "represented:",
     "talent[0].represented", "'yes', 'no' or 'unsure'"),
    ("writing-not-a-mapping", "    writing:\n      given_to_writer: no\n      by_writer: no\n",
     "    writing: yes\n", "writing: yes", "writing", "valid dictionary"),
    ("rule-1-synthetic-with-replica", "synthetic_performer: no", "synthetic_performer: yes",
     "synthetic_performer:", "output.synthetic_performer", "requires talent.replica: none"),
    ("rule-2-synthetic-enhance", "technique: generate\n", "technique: enhance\n",
     "synthetic_performer:", "output.synthetic_performer", "requires technique generate or alter"),
    ("rule-3-given-to-writer", "given_to_writer: no", "given_to_writer: yes", "given_to_writer:",
     "writing.given_to_writer", "requires text in output.media"),
    ("rule-3-by-writer", "by_writer: no", "by_writer: yes", "by_writer:",
     "writing.by_writer", "requires text in output.media"),
    ("rule-4-depiction-without-performer", "      performers: [ava]\n      replica: voice\n"
     "      depiction: role\n", "      depiction: self\n", "depiction:", "talent.depiction",
     "requires at least one performer"),
    ("version-1-2", "version: 1.1", "version: 1.2", "version:", "version",
     "expected the format version 1 or 1.1; got 1.2"),
    ("version-string-1", "version: 1.1", 'version: "1"', "version:", "version",
     "expected the format version 1 or 1.1; got '1'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_11],
)
def test_bad_1_1_input_exits_2_naming_file_line_and_field(
    request: pytest.FixtureRequest,
    cli: Cli,
    write: Write,
    old: str,
    new: str,
    line: str,
    field: str,
    words: str,
) -> None:
    base = GOOD_SYNTHETIC if "rule-2" in request.node.callspec.id else GOOD_V11
    assert old in base
    text = base.replace(old, new)
    path = write("bad.yaml", text)
    run = cli("check", path, "--no-register")
    assert run.code == 2, run.stdout
    expected = f"{path}:{_line_of(text, line)}: "
    problem = next((row for row in run.stderr.splitlines() if words in row), None)
    assert problem is not None, run.stderr
    assert expected in problem and field in problem, problem


def test_the_good_1_1_manifests_are_good(write: Write) -> None:
    assert load_manifest(write("good.yaml", GOOD_V11)).version == 1.1
    assert load_manifest(write("synthetic.yaml", GOOD_SYNTHETIC)).version == 1.1


V1_WITH_V11_FIELDS = [
    ("represented: yes", "represented"),
    ("depicts_real: no", "depicts_real"),
    ("synthetic_performer: no", "synthetic_performer"),
    ("depiction: role", "depiction"),
    ("writing:", "writing"),
]


@pytest.mark.parametrize(
    ("keep", "key"), V1_WITH_V11_FIELDS, ids=[k for _, k in V1_WITH_V11_FIELDS]
)
def test_a_v11_field_in_a_version_1_file_needs_version_1_1(
    cli: Cli, write: Write, keep: str, key: str
) -> None:
    """Each v1.1 field alone in a ``version: 1`` file: exit 2 at its line, with the hint."""
    lines = GOOD_V11.replace("version: 1.1", "version: 1").splitlines(keepends=True)
    v11_keys = ("represented:", "depicts_real:", "synthetic_performer:", "depiction:")
    text = "".join(line for line in lines if keep in line or not any(k in line for k in v11_keys))
    if key != "writing":
        text = re.sub(r"    writing:\n(      .*\n)+", "", text)
    path = write("v1.yaml", text)
    run = cli("check", path, "--no-register")
    assert run.code == 2
    rows = [row for row in run.stderr.splitlines() if "needs version: 1.1" in row]
    assert len(rows) == 1, run.stderr
    assert f"{path}:{_line_of(text, keep)}: " in rows[0]
    assert f"unknown key {key!r} in a version 1 manifest" in rows[0]
    assert "did you mean" not in run.stderr


# -- the published schema ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def published_schema() -> dict[str, Any]:
    from typer.testing import CliRunner

    from clearance.cli import app

    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    schema: dict[str, Any] = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def _v11_documents() -> list[Path]:
    return [
        p
        for p in sorted((BUILTIN_DIR / "_combined").glob("wave2-*manifest*.yaml"))
        if yaml.safe_load(p.read_text(encoding="utf-8"))["version"] == 1.1
    ]


def test_the_schema_validates_1_1_and_1_documents(published_schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(published_schema)
    documents = [yaml.safe_load(GOOD_V11), yaml.safe_load(MINIMAL), *map(_yaml, _v11_documents())]
    documents += [yaml.safe_load(b) for b in _spec_blocks() if "\nproduction:" in "\n" + b]
    assert len(documents) >= 6
    for document in documents:
        errors = [e.message for e in validator.iter_errors(_words(document))]
        assert errors == [], errors


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _words(value: Any) -> Any:
    """YAML 1.1 reads yes/no as booleans; the manifest (and its schema) mean the words."""
    if value is True or value is False:
        return "yes" if value else "no"
    if isinstance(value, dict):
        return {k: _words(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_words(v) for v in value]
    return value


@pytest.mark.parametrize(
    ("where", "value", "validator_kind"),
    [
        (("use_cases", 0, "output", "depicts_real"), "maybe", "enum"),
        (("use_cases", 0, "output", "synthetic_performer"), 3, "enum"),
        (("use_cases", 0, "talent", "depiction"), "documentary", "enum"),
        (("use_cases", 0, "writing"), "yes", "type"),
        (("use_cases", 0, "writing", "by_writer"), ["yes"], "enum"),
        (("talent", 0, "represented"), "perhaps", "enum"),
        (("use_cases", 0, "writing", "ghost_writer"), "yes", "additionalProperties"),
        (("version",), 1.2, "enum"),
    ],
)
def test_the_schema_rejects_bad_1_1_values(
    published_schema: dict[str, Any], where: tuple[Any, ...], value: Any, validator_kind: str
) -> None:
    document = _words(yaml.safe_load(GOOD_V11))
    node = document
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    errors = list(jsonschema.Draft202012Validator(published_schema).iter_errors(document))
    assert errors, where
    kinds = {e.validator for e in errors for e in [e, *(e.context or [])]}
    assert validator_kind in kinds or (
        validator_kind == "enum" and kinds & {"const", "anyOf", "oneOf", "type"}
    ), (where, [(e.validator, e.message) for e in errors])
    paths = {tuple(e.absolute_path) for e in errors}
    target = where if validator_kind != "additionalProperties" else where[:-1]
    assert target in paths, paths


# -- export and re-import ------------------------------------------------------------------------


def test_a_1_1_production_exports_1_1_and_reimports_unchanged(workspace: Path, cli: Cli) -> None:
    source = BUILTIN_DIR / "_combined" / "wave2-section9-manifest.yaml"
    assert cli("import", source).code in (0, 1)
    out = workspace / "exported.yaml"
    run = cli("manifest", "export", "-o", out)
    assert run.code == 0, run.stderr
    exported = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert exported["version"] == 1.1
    loaded = load_manifest(out)
    original = load_manifest(source)
    assert {p.id: p.represented for p in loaded.talent} == {
        p.id: p.represented for p in original.talent
    }
    assert _decisions(loaded) == _decisions(original)
    again = cli("import", out)
    assert "0 new, 0 revised" in again.stdout, again.stdout
    assert cli("audit", "verify").code == 0


def test_a_v1_production_still_exports_version_1(workspace: Path, cli: Cli) -> None:
    manifest = workspace / "m.yaml"
    manifest.write_text(MINIMAL, encoding="utf-8")
    assert cli("import", manifest).code in (0, 1)
    out = workspace / "exported.yaml"
    assert cli("manifest", "export", "-o", out).code == 0
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["version"] == 1
    # The same content declared 1.1 is the same content: no new revision.
    relabelled = workspace / "m.yaml"
    relabelled.write_text(MINIMAL.replace("version: 1", "version: 1.1"), encoding="utf-8")
    run = cli("import", relabelled)
    assert "0 new, 0 revised" in run.stdout, run.stdout


# -- the web intake asks the v1.1 questions of the production's packs ----------------------------

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])

MANIFEST_W = """\
version: 1
production:
  id: prod-w
  title: WAVE production
  policies: [netflix-genai, eu-ai-act-50, wga-2023]
  territories: [FR]
tools:
  - {id: ent, name: WAVE enterprise tool, enterprise: yes, trains_on_inputs: no, retains_inputs: no}
use_cases:
  - id: UC-1
    title: WAVE mood boards
    tools: [ent]
    stage: ideation
    output: {media: [image], destination: reference, resembles_protected: no}
"""

#: A photoreal generated shot of a real Paris bridge, in the background of a final shot.
BRIDGE: dict[str, Any] = {
    "tools": ["ent"],
    "technique": "generate",
    "stage": "post",
    "output.media": ["video"],
    "output.destination": "final",
    "output.element": "background",
    "output.on_screen": "incidental",
    "output.resembles_protected": "no",
    "output.could_mislead": "no",
    "output.depicts_real": "yes",
    "output.synthetic_performer": "no",
    "talent.replica": "none",
    "talent.replica_use": "none",
    "talent.alteration": "none",
    "talent.model_reuse": "no",
    "talent.replaces_union_work": "no",
    "talent.performers": [],
    "talent.depiction": "role",
    "inputs.training": "none",
    "inputs.references_protected": "no",
    "inputs.third_party_material": "no",
    "inputs.studio_material": [],
    "inputs.personal_data": "no",
    "writing.given_to_writer": "no",
    "writing.by_writer": "no",
}


def _form(answers: dict[str, Any]) -> dict[str, Any]:
    form: dict[str, Any] = {}
    for fact, value in answers.items():
        form[f"a.{fact}"] = value
        if isinstance(value, list):
            form[f"m.{fact}"] = "1"
    return form


@SQLITE
def test_the_web_intake_asks_and_records_the_v11_questions_of_the_packs(web: Any) -> None:
    """A production listing netflix-genai, eu-ai-act-50 and wga-2023: the page asks the EU
    pack's depicts_real question (its wording, all three answers) and never a writing question
    for a video; the declared use case holds the answer, is decided with disclose-ai, and the
    production exports as manifest 1.1."""
    path = web.root / "w.yaml"
    path.write_text(MANIFEST_W, encoding="utf-8")
    assert web.cli("import", path).code in (0, 1)
    web.accounts().grant("contributor-a", "prod-w", "contributor")
    browser = web.sign_in("contributor-a")
    answers: dict[str, Any] = {}
    pages: dict[str, str] = {}
    for _ in range(len(BRIDGE) + 1):
        page = browser.post("/p/prod-w/intake", _form(answers), headers={"HX-Request": "true"})
        assert page.status_code == 200, page.text
        asked = re.search(r'data-fact="([^"]+)"', page.text)
        if asked is None:
            break
        fact = asked.group(1)
        pages[fact] = page.text
        answers[fact] = BRIDGE[fact]
    assert 'id="name-step"' in page.text
    assert "output.depicts_real" in pages
    question = pages["output.depicts_real"]
    assert "realistically depict an existing person, object, place" in question
    for value in ("yes", "no", "unsure"):
        assert f'name="a.output.depicts_real" value="{value}"' in question
    assert not [f for f in pages if f.startswith("writing.")]  # video: WGA cannot fire
    assert "Depicts something real" in page.text  # the answer is listed under its label
    declared = browser.post(
        "/p/prod-w/intake/declare", {**_form(answers), "id": "UC-W1", "title": "WAVE bridge"}
    )
    assert declared.status_code == 303, declared.text
    shown = web.api("contributor-a").get("/api/v1/productions/prod-w/use-cases/UC-W1").json()
    assert shown["outcome"] == "judgment"
    assert {"disclose-ai", "rights-clearance"} <= set(shown["open"])
    assert "EU1" in [r["id"] for r in shown["rules"]]
    out = web.root / "exported.yaml"
    assert web.cli("manifest", "export", "--production", "prod-w", "-o", out).code == 0
    exported = load_manifest(out)
    assert exported.version == 1.1
    bridge = next(u for u in exported.use_cases if u.id == "UC-W1")
    assert bridge.output.depicts_real == "yes"
    assert web.audit_verify().code == 0
