"""``clearance check``, ``clearance explain`` and ``clearance schema``."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from clearance.cli.app import EXIT_INPUT, EXIT_OK, EXIT_OPEN, app, input_errors, stderr, stdout
from clearance.manifest.errors import InputError, ManifestError
from clearance.perf import gc_paused
from clearance.policy.vocabulary import OUTCOME_RANK

if TYPE_CHECKING:  # pydantic models, the engine and Rich tables: imported where a command runs
    from clearance.manifest.models import Manifest
    from clearance.policy.decision import Decision
    from clearance.policy.engine import Engine
    from clearance.prompts.model import Entry


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


class FailOn(StrEnum):
    open = "open"
    judgment = "judgment"
    escalate = "escalate"
    never = "never"


ManifestArg = Annotated[
    Path, typer.Argument(help="Production manifest (YAML or JSON, format version 1 or 1.1).")
]
PolicyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--policy",
        "--pack",
        "-p",
        help="Pack id, released version (netflix-genai@1.0.0) or pack file to use instead "
        "of production.policies (repeatable).",
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def _engine_for(manifest: Manifest, policies: list[str] | None) -> Engine:
    from clearance.policy.engine import Engine
    from clearance.policy.registry import resolve

    try:
        return Engine([resolve(name) for name in (policies or manifest.production.policies)])
    except ValueError as exc:  # e.g. a classifier pack where a decision pack belongs
        raise ManifestError([InputError("--policy", None, "", str(exc))]) from exc


def _load(path: Path, policies: list[str] | None) -> Manifest:
    from clearance.manifest.loader import load_manifest
    from clearance.policy.registry import builtin_ids

    return load_manifest(path, known_policies=None if policies else builtin_ids("decision"))


@app.command()
def check(
    manifest_path: ManifestArg,
    output_format: FormatOpt = Format.table,
    fail_on: Annotated[
        FailOn,
        typer.Option(
            "--fail-on",
            help=(
                "What makes the exit code 1: any open obligation (open), an uncleared judgment "
                "or escalate decision (judgment), an uncleared escalate decision (escalate), "
                "or never."
            ),
        ),
    ] = FailOn.open,
    policies: PolicyOpt = None,
    use_register: Annotated[
        bool,
        typer.Option(
            "--register/--no-register",
            help="Inside a workspace, count evidence recorded in the register (default).",
        ),
    ] = True,
    on: Annotated[
        str | None, typer.Option("--on", help="Judge evidence expiry as of YYYY-MM-DD.")
    ] = None,
) -> None:
    """Decide every use case of a manifest against its policy packs.

    Examples:

      clearance check examples/neon-harbor/manifest.yaml

      clearance check manifest.yaml --format json > decisions.json

      clearance check manifest.yaml --fail-on escalate   # CI gate: only escalations fail

    Exit codes: 0 every use case cleared; 1 some obligation open (narrowed by --fail-on);
    2 invalid input (the message names file, line and field).
    """
    from clearance.policy.decision import CheckResult, write_json
    from clearance.reports.check import render_table, to_markdown

    with input_errors():
        manifest = _load(manifest_path, policies)
        if not manifest.use_cases:
            problem = "the manifest declares no use cases: nothing to check"
            raise ManifestError([InputError(str(manifest_path), None, "use_cases", problem)])
        engine = _engine_for(manifest, policies)
    gate = _Gate(fail_on)
    from clearance.register.access import evidence_from_register  # SQLAlchemy: only when used

    with input_errors():
        met = evidence_from_register(manifest.production.id, use_register, _valid_day(on))
        names = _protected_names(engine, manifest, use_register)
    if met is not None and output_format is Format.table:
        stderr.print("[dim]Counting evidence recorded in the register.[/]")
    with gc_paused():
        decisions = gate.watch(engine.decide_all(manifest, met, names))
        if output_format is Format.json:
            write_json(
                sys.stdout,
                manifest.production.id,
                engine.refs(),
                decisions,
                engine.out_of_scope(manifest),
            )
        else:
            result = CheckResult(
                manifest.production.id,
                engine.refs(),
                list(decisions),
                out_of_scope=engine.out_of_scope(manifest),
            )
            if output_format is Format.markdown:
                sys.stdout.write(to_markdown(result))
            else:
                render_table(stdout, result)
    raise typer.Exit(EXIT_OPEN if gate.failed else EXIT_OK)


def _protected_names(engine: Engine, manifest: Manifest, use_register: bool) -> list[Entry]:
    """The register's protected names for the production's prompt checks — read only when a
    pack reads ``prompt.*`` (opening the register costs time every other check is spared)."""
    if not any(path.startswith("prompt.") for path in engine.paths):
        return []
    from clearance.register.access import names_from_register

    return names_from_register(manifest.production.id, use_register)


def _valid_day(value: str | None) -> str | None:
    if value is not None:
        try:
            dt.date.fromisoformat(value)
        except ValueError as exc:
            error = InputError("--on", None, "", f"expected a date YYYY-MM-DD; got {value!r}")
            raise ManifestError([error]) from exc
    return value


class _Gate:
    """Watches decisions as they stream past and remembers whether the run must fail."""

    def __init__(self, fail_on: FailOn) -> None:
        self.floor = {FailOn.open: 0, FailOn.judgment: 1, FailOn.escalate: 2}.get(fail_on)
        self.failed = False

    def watch(self, decisions: Iterable[Decision]) -> Iterator[Decision]:
        for decision in decisions:
            if self.floor is not None and not decision.cleared:
                self.failed |= OUTCOME_RANK[decision.outcome] >= self.floor
            yield decision


@app.command()
def explain(
    manifest_path: ManifestArg,
    use_case_id: Annotated[str, typer.Argument(help="Id of the use case, e.g. UC-004.")],
    output_format: FormatOpt = Format.table,
    policies: PolicyOpt = None,
) -> None:
    """Show the full reasoning for one use case: every rule that fired, why, and its source.

    Example:

      clearance explain examples/neon-harbor/manifest.yaml UC-011
    """
    from clearance.policy.decision import dumps
    from clearance.policy.facts import FactBuilder
    from clearance.reports.explain import render_explanation

    with input_errors():
        manifest = _load(manifest_path, policies)
        engine = _engine_for(manifest, policies)
    use_case = next((uc for uc in manifest.use_cases if uc.id == use_case_id), None)
    if use_case is None:
        known = ", ".join(uc.id for uc in manifest.use_cases[:20])
        stderr.print(
            f"[bold red]error:[/] {manifest_path}: no use case {use_case_id!r} (have: {known})"
        )
        raise typer.Exit(EXIT_INPUT)
    with input_errors():
        names = _protected_names(engine, manifest, use_register=True)
    facts = FactBuilder(manifest, names).facts(use_case)
    decision = engine.decide(manifest, use_case, names=names)
    if output_format is Format.json:
        sys.stdout.write(
            dumps({"format": "clearance.explain/1", "decision": decision, "facts": facts})
        )
        return
    fired = {(r.pack, r.id) for r in decision.rules}
    not_fired = [
        (pack.id, rule.spec.id, rule.spec.title)
        for pack in engine.packs
        for rule in pack.rules
        if (pack.id, rule.spec.id) not in fired
    ]
    render_explanation(stdout, decision, facts, engine.refs(), not_fired)


#: In a ``version: 1`` document the fields of manifest 1.1 are unknown keys (manifest-v1.1,
#: cross-field rule 5): an invalid version-1 manifest stays invalid for schema validators too.
_VERSION_ONE_HAS_NO_V11_FIELDS = {
    "properties": {
        "talent": {"items": {"not": {"required": ["represented"]}}},
        "use_cases": {
            "items": {
                "not": {"required": ["writing"]},
                "properties": {
                    "output": {
                        "not": {
                            "anyOf": [
                                {"required": ["depicts_real"]},
                                {"required": ["synthetic_performer"]},
                            ]
                        }
                    },
                    "talent": {"not": {"required": ["depiction"]}},
                },
            }
        },
    }
}


@app.command()
def schema() -> None:
    """Print the JSON Schema of the production manifest (format version 1.1, which accepts
    version 1 and 1.1 documents)."""
    from clearance.manifest.models import Manifest

    document = Manifest.model_json_schema()
    document["properties"]["version"] = {
        "description": "Format version: 1, or 1.1 when any field of manifest-v1.1 is used",
        "enum": [1, 1.1, "1.1"],
    }
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://clearance.dev/schema/manifest-v1.1.json",
        **document,
        "title": "clearance production manifest, version 1.1",
        "if": {"properties": {"version": {"const": 1}}},
        "then": _VERSION_ONE_HAS_NO_V11_FIELDS,
    }
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
