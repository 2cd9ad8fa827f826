"""Manifest v1 loading: defaults, tri-state answers, and errors with file, line and field."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearance.manifest import ManifestError, load_manifest, yamlsafe
from tests.support import EXAMPLE, MINIMAL

Write = Callable[[str, str], Path]


def errors_of(path: Path, **kwargs: object) -> list[str]:
    with pytest.raises(ManifestError) as info:
        load_manifest(path, **kwargs)  # type: ignore[arg-type]
    return [str(e) for e in info.value.errors]


def test_example_production_loads() -> None:
    manifest = load_manifest(EXAMPLE, known_policies=["netflix-genai"])
    assert manifest.production.id == "neon-harbor-s1"
    assert len(manifest.use_cases) >= 15


def test_defaults_follow_the_spec(write: Write) -> None:
    path = write(
        "m.yaml",
        """
        version: 1
        production: {id: p}
        tools: [{id: t, name: T}]
        talent: [{id: a, name: A}]
        use_cases:
          - {id: U, title: x, tools: [t], stage: post, output: {media: [video], destination: temp}}
        """,
    )
    m = load_manifest(path)
    assert m.production.format == "scripted"
    assert m.production.policies == ["netflix-genai"]
    assert m.production.territories == []
    tool = m.tools[0]
    assert (tool.enterprise, tool.trains_on_inputs, tool.retains_inputs) == ("unsure",) * 3
    assert m.talent[0].deceased == "no"
    uc = m.use_cases[0]
    assert uc.technique == "generate"
    assert (uc.output.on_screen, uc.output.element) == ("none", "none")
    assert uc.output.resembles_protected == "unsure"  # never the risky-but-convenient "no"
    assert uc.output.could_mislead == "no"
    assert uc.inputs.studio_material == [] and uc.inputs.training == "none"
    assert (uc.inputs.personal_data, uc.inputs.third_party_material) == ("no", "no")
    assert (uc.talent.replica, uc.talent.alteration, uc.talent.model_reuse) == (
        "none",
        "none",
        "no",
    )


def test_tri_state_words_and_booleans(write: Write) -> None:
    text = MINIMAL.replace("enterprise: yes", "enterprise: unsure").replace(
        "trains_on_inputs: no", "trains_on_inputs: false"
    )
    m = load_manifest(write("m.yaml", text))
    assert m.tools[0].enterprise == "unsure"
    assert m.tools[0].trains_on_inputs == "no"
    assert m.tools[0].retains_inputs == "no"


def test_json_and_yaml_give_the_same_manifest(write: Write, tmp_path: Path) -> None:
    from_yaml = load_manifest(write("m.yaml", MINIMAL))
    json_path = tmp_path / "m.json"
    json_path.write_text(json.dumps(from_yaml.model_dump(mode="json"), indent=2))
    assert load_manifest(json_path) == from_yaml


def test_every_error_of_a_file_is_reported_at_once(write: Write) -> None:
    path = write(
        "bad.yaml",
        """
        version: 1
        production:
          id: Bad_Id
          polcies: [netflix-genai]
        tools:
          - id: ent
            name: Enterprise
            enterprise: maybe
        use_cases:
          - id: UC-1
            title: x
            tools: [ent, missing-tool]
            stage: ideation
            output:
              media: [image]
              destinaton: reference
        """,
    )
    errors = errors_of(path)
    assert len(errors) == 6, errors  # the typo also leaves "destination" missing
    text = "\n".join(errors)
    assert f"{path}:3: production.id: expected a lowercase slug" in text
    assert f"{path}:4: production.polcies: unknown key 'polcies'; did you mean 'policies'?" in text
    assert f"{path}:8: tools[0].enterprise: expected 'yes', 'no' or 'unsure'; got 'maybe'" in text
    assert f"{path}:12: use_cases[0].tools[1] (use case UC-1): unknown tool 'missing-tool'" in text
    assert (
        "use_cases[0].output.destinaton (use case UC-1): unknown key 'destinaton'; did you mean"
        in text
    )


def test_missing_required_field_names_the_parent_line(write: Write) -> None:
    path = write("m.yaml", MINIMAL.replace("      destination: reference\n", ""))
    (error,) = errors_of(path)
    assert (
        error
        == f"{path}:18: use_cases[0].output.destination (use case UC-1): required field is missing"
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "      destination: reference",
            "      destination: temp\n      on_screen: incidental",
            "on_screen: incidental requires destination: final",
        ),
        (
            "    stage: ideation",
            "    stage: ideation\n    talent: {replica: voice}",
            "replica: voice requires at least one performer",
        ),
        (
            "    stage: ideation",
            "    stage: ideation\n    talent: {alteration: significant}",
            "alteration: significant requires at least one performer",
        ),
        (
            "    stage: ideation",
            "    stage: ideation\n    talent: {model_reuse: unsure}",
            "model_reuse: unsure requires at least one performer",
        ),
        (
            "    stage: ideation",
            "    stage: ideation\n    talent: {performers: [bob]}",
            "unknown performer 'bob'",
        ),
        ("  - id: ava\n", "  - id: ava\n    name: Ava\n  - id: ava\n", "duplicate id 'ava'"),
    ],
)
def test_cross_field_rules(write: Write, old: str, new: str, expected: str) -> None:
    assert old in MINIMAL
    errors = errors_of(write("m.yaml", MINIMAL.replace(old, new, 1)))
    assert any(expected in e for e in errors), errors


def test_unknown_policy_pack_is_an_input_error(write: Write) -> None:
    path = write(
        "m.yaml", MINIMAL.replace("  id: test-prod", "  id: test-prod\n  policies: [netflx-genai]")
    )
    (error,) = errors_of(path, known_policies=["netflix-genai"])
    assert ":4: production.policies[0]: unknown policy pack 'netflx-genai'" in error


def test_yaml_syntax_error_has_a_line(write: Write) -> None:
    path = write("m.yaml", "version: 1\nproduction:\n  id: [unclosed\n")
    (error,) = errors_of(path)
    assert error.startswith(f"{path}:") and "invalid YAML" in error


def test_json_syntax_error_has_a_line(write: Write) -> None:
    path = write("m.json", '{\n  "version": 1,\n  "production": {"id": "x",}\n}\n')
    (error,) = errors_of(path)
    assert error.startswith(f"{path}:3: invalid JSON")


def test_aliases_are_rejected_billion_laughs(write: Write) -> None:
    names = "abcdefghij"
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{new}: &{new} [*{old}, *{old}, *{old}, *{old}]\n"
        for old, new in itertools.pairwise(names)
    )
    errors = errors_of(write("m.yaml", laughs))
    assert all("aliases" in e for e in errors)


def test_duplicate_keys_are_rejected(write: Write) -> None:
    path = write("m.yaml", MINIMAL.replace("  id: test-prod", "  id: test-prod\n  id: other"))
    (error,) = errors_of(path)
    assert error == f"{path}:4: duplicate key 'id'"


def test_non_utf8_and_empty_and_oversized_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"version: 1\ntitle: caf\xe9\n")
    assert errors_of(bad) == [f"{bad}:2: not valid UTF-8 text"]
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert errors_of(empty) == [f"{empty}: the file is empty"]
    monkeypatch.setattr(yamlsafe, "MAX_INPUT_BYTES", 10)
    big = tmp_path / "big.yaml"
    big.write_text("version: 1\n" * 5)
    assert "the limit is 10" in errors_of(big)[0]
    assert "cannot read" in errors_of(tmp_path / "absent.yaml")[0]


def test_words_loader_keeps_yes_no_as_words() -> None:
    data = yaml.load("a: yes\nb: no\nc: on\nd: true\n", Loader=yamlsafe._WordsLoader)
    assert data == {"a": "yes", "b": "no", "c": "on", "d": True}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
def test_any_text_gives_a_manifest_or_input_errors_never_a_crash(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_manifest(path)
    except ManifestError as exc:
        assert exc.errors and all(str(path) in str(e) for e in exc.errors)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_any_structure_gives_input_errors_never_a_crash(tmp_path: Path, data: object) -> None:
    base = yaml.safe_load(MINIMAL)
    base["use_cases"][0]["output"] = data
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(base))
    try:
        load_manifest(path)
    except ManifestError as exc:
        assert exc.errors


def test_control_characters_are_refused(write: Write) -> None:
    path = write("m.yaml", MINIMAL.replace("title: Mood boards", 'title: "Mood\\0boards"'))
    (error,) = errors_of(path)
    assert "use_cases[0].title (use case UC-1): contains a control character" in error


def test_a_pack_listed_twice_is_an_input_error(write: Write) -> None:
    path = write(
        "m.yaml",
        MINIMAL.replace(
            "production:\n", "production:\n  policies: [netflix-genai, netflix-genai]\n", 1
        ),
    )
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    assert "production.policies[1]" in str(caught.value)
    assert "listed twice" in str(caught.value)
