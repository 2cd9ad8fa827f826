"""``clearance policy list | show | test``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from clearance.cli.app import EXIT_OK, EXIT_OPEN, input_errors, policy_app, stdout

if TYPE_CHECKING:  # the packs (pydantic) and Rich tables: imported where a command runs
    from rich.text import Text

    from clearance.policy.facts import Schema
    from clearance.policy.pack import RuleSpec

PackArg = Annotated[
    str, typer.Argument(help="Built-in pack id, released version (id@version) or pack.yaml path.")
]


@policy_app.command("list")
def list_packs() -> None:
    """List the built-in policy packs with their version, kind, rules and released versions.

    Any released version can be used by id@version (clearance check --pack
    netflix-genai@1.0.0) to replay a recorded decision with the exact rules that made it.
    """
    from rich.table import Table
    from rich.text import Text

    from clearance.policy.registry import BUILTIN_DIR, builtin_ids, resolve
    from clearance.policy.releases import released_versions

    table = Table(title="Policy packs", title_justify="left")
    # The pack's title wraps under its id; versions and kinds never wrap (`clearance policy
    # show ID` has the source, its link and the file's sha256).
    table.add_column("Pack", ratio=1, min_width=18)
    for column in ("Version", "Kind", "Rules"):
        table.add_column(column, no_wrap=True)
    table.add_column("Released", ratio=1, min_width=7)
    with input_errors():
        for pack_id in builtin_ids():
            pack = resolve(pack_id)
            released = released_versions(BUILTIN_DIR, pack_id)
            table.add_row(
                Text(pack.id, "bold") + Text("\n" + pack.spec.title, "dim"),
                pack.version,
                pack.spec.kind,
                str(len(pack.rules)),
                " ".join(released + ([] if pack.version in released else ["(not yet)"])),
            )
    stdout.print(table)


@policy_app.command("show")
def show(
    pack_name: PackArg,
    facts: Annotated[
        bool, typer.Option("--facts", help="Also list the facts conditions may read.")
    ] = False,
) -> None:
    """Describe a pack: its source and every rule with condition, outcome and citation.

    Example: clearance policy show netflix-genai
    """
    from rich.table import Table
    from rich.text import Text

    from clearance.policy.facts import SCHEMAS
    from clearance.policy.registry import resolve

    with input_errors():
        pack = resolve(pack_name)
    spec = pack.spec
    stdout.print(f"[bold]{spec.title}[/] — {spec.id} {spec.version} ({spec.kind} pack)")
    stdout.print(f"Source: {spec.source.publisher}, {spec.source.document}")
    stdout.print(f"        {spec.source.url}", highlight=False)
    stdout.print(f"File:   {pack.path} (sha256 {pack.sha256})", highlight=False)
    if spec.scope is not None:
        stdout.print(f"Scope:  {spec.scope.title} ({spec.scope.cites}); every rule holds only when")
        stdout.print(Text("        " + " ".join(spec.scope.when.split())))
    table = Table(show_lines=True)
    effect = {"decision": "Outcome", "classifier": "Verdict", "findings": "Finding"}[spec.kind]
    for column in ("Rule", "Title", "When (CEL)", effect, "Obligations", "Cites"):
        table.add_column(column)
    for rule in pack.rules:
        obligations = ", ".join(
            ob if when is None else f"{ob} (when {when.source})" for ob, when in rule.obligations
        )
        table.add_row(
            rule.spec.id,
            rule.spec.title,
            Text(" ".join(rule.spec.when.split())),
            _effect(rule.spec),
            obligations or "—",
            rule.spec.cites,
        )
    for advisory in pack.advisories:
        table.add_row(
            advisory.spec.id,
            advisory.spec.title,
            Text(" ".join(advisory.spec.when.split())),
            Text("note", style="yellow"),
            "—",
            advisory.spec.cites,
        )
    stdout.print(table)
    if facts:
        stdout.print("[bold]Facts[/] (CEL variables; lists of objects end in []):")
        for path in _fact_paths(SCHEMAS[spec.reads]):
            stdout.print(f"  {path}", highlight=False)


def _effect(spec: RuleSpec) -> Text:
    from rich.text import Text

    from clearance.reports.check import OUTCOME_STYLE, outcome_label

    if spec.outcome is not None:
        return Text(outcome_label(spec.outcome), style=OUTCOME_STYLE[spec.outcome])
    return Text(spec.verdict or spec.finding or "", style="bold")


def _fact_paths(schema: Schema, prefix: str = "") -> list[str]:
    paths = []
    for name, node in schema.items():
        path = prefix + name
        if isinstance(node, dict):
            paths += _fact_paths(node, path + ".")
        elif isinstance(node, list):
            paths += _fact_paths(node[0], path + "[].")
        else:
            paths.append(path)
    return paths


@policy_app.command("test")
def test(
    pack_names: Annotated[
        list[str] | None,
        typer.Argument(help="Pack ids or pack files (default: every built-in pack)."),
    ] = None,
    fail_only: Annotated[
        bool, typer.Option("--fail-only", help="Show failing cases only.")
    ] = False,
) -> None:
    """Run a pack's golden cases and print a pass/fail table (like `opa test`).

    Example: clearance policy test netflix-genai
    """
    from rich.table import Table
    from rich.text import Text

    from clearance.policy.casetest import run_cases
    from clearance.policy.registry import builtin_ids, resolve

    failed = total = 0
    for name in pack_names or builtin_ids():
        with input_errors():
            pack = resolve(name)
            results = run_cases(pack)
        table = Table(title=f"{pack.id} {pack.version}", title_justify="left")
        for column in ("Case", "Result", "Outcome", "Obligations", "Fired", "Detail"):
            table.add_column(column)
        shown = 0
        for result in results:
            total += 1
            failed += not result.passed
            if fail_only and result.passed:
                continue
            shown += 1
            table.add_row(
                result.name,
                Text("PASS", "green") if result.passed else Text("FAIL", "bold red"),
                result.outcome,
                ", ".join(result.obligations),
                ", ".join(result.fired),
                "; ".join(result.problems) or ", ".join(result.covers),
            )
        if shown:
            stdout.print(table)
        for result in results:
            if not result.passed:
                problems = "; ".join(result.problems)
                stdout.print(f"FAIL {pack.id} {result.name}: {problems}", soft_wrap=True)
    style = "green" if not failed else "bold red"
    stdout.print(f"[{style}]PASS: {total - failed}/{total}[/]")
    sys.exit(EXIT_OPEN if failed else EXIT_OK)
