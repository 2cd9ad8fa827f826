"""Render the full reasoning for one use case, with citations."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from clearance.policy.decision import Decision, PackRef
from clearance.reports.check import OUTCOME_STYLE, outcome_label


def render_explanation(
    console: Console,
    decision: Decision,
    facts: dict[str, Any],
    packs: list[PackRef],
    not_fired: list[tuple[str, str, str]],
) -> None:
    """``not_fired`` lists ``(pack, rule id, title)`` of rules checked that did not fire."""
    header = Text.assemble(
        (f"{decision.id} — {decision.title}\n", "bold"),
        ("Outcome: ", ""),
        (outcome_label(decision.outcome), OUTCOME_STYLE[decision.outcome]),
        ("\nObligations: ", ""),
        (", ".join(decision.obligations) or "none", ""),
        ("\nOpen: ", ""),
        (", ".join(decision.open_obligations) or "none", ""),
        ("\nPacks: ", ""),
        (", ".join(f"{p.id} {p.version} (sha256 {p.sha256[:12]}…)" for p in packs), "dim"),
    )
    console.print(Panel(header, title="Decision", title_align="left"))
    for rule in decision.rules:
        body = Table.grid(padding=(0, 1))
        body.add_column(style="dim", no_wrap=True)
        body.add_column()
        body.add_row("Outcome", Text(outcome_label(rule.outcome), OUTCOME_STYLE[rule.outcome]))
        body.add_row("Obligations", ", ".join(rule.obligations) or "—")
        body.add_row("Because", rule.because)
        body.add_row("Cites", f"{rule.citation.document}, “{rule.citation.section}”")
        body.add_row("", Text(rule.citation.url, style="link " + rule.citation.url))
        for path, value in rule.facts.items():
            body.add_row("Fact", f"{path} = {json.dumps(value)}")
        console.print(Panel(body, title=f"{rule.pack} {rule.id}: {rule.title}", title_align="left"))
    for note in decision.advisories:
        console.print(
            Panel(
                f"{note.message}\n[dim]Cites {note.citation.document}, “{note.cites}”[/]",
                title=f"Note {note.pack} {note.id}: {note.title}",
                title_align="left",
                border_style="yellow",
            )
        )
    if not_fired:
        by_pack: dict[str, list[str]] = {}
        for pack, rule_id, _title in not_fired:
            by_pack.setdefault(pack, []).append(rule_id)
        checked = "; ".join(f"{pack} {', '.join(ids)}" for pack, ids in by_pack.items())
        console.print(f"[dim]Checked, did not fire: {checked}[/]")
    console.print("[dim]Facts of this use case:[/]")
    for name, value in facts.items():
        console.print(f"  {name} = {json.dumps(value, ensure_ascii=False)}", highlight=False)
