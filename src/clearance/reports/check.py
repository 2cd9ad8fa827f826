"""Render a ``CheckResult``: a Rich table, Markdown, or the public JSON format."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table
from rich.text import Text

from clearance.policy.decision import CheckResult, Decision
from clearance.policy.vocabulary import OUTCOME_SYMBOL

OUTCOME_STYLE = {"proceed": "green", "judgment": "yellow", "escalate": "bold red"}


def outcome_label(outcome: str) -> str:
    return f"{OUTCOME_SYMBOL[outcome]} {outcome}"


def summary_counts(result: CheckResult) -> dict[str, int]:
    counts = Counter(d.outcome for d in result.use_cases)
    return {
        "use_cases": len(result.use_cases),
        "proceed": counts["proceed"],
        "judgment": counts["judgment"],
        "escalate": counts["escalate"],
        "cleared": sum(d.cleared for d in result.use_cases),
    }


def render_table(console: Console, result: CheckResult) -> None:
    packs = ", ".join(f"{p.id} {p.version}" for p in result.policies)
    table = Table(
        title=f"{result.production} — GenAI use cases against {packs}",
        title_justify="left",
        show_lines=False,
    )
    table.add_column("Use case", style="bold", no_wrap=True)
    table.add_column("Title", ratio=2)
    table.add_column("Outcome", no_wrap=True)
    table.add_column("Obligations", no_wrap=True)
    table.add_column("Rules fired", ratio=1)
    for decision in result.use_cases:
        table.add_row(
            decision.id,
            decision.title,
            Text(outcome_label(decision.outcome), style=OUTCOME_STYLE[decision.outcome]),
            _obligations(decision),
            ", ".join(r.id for r in decision.rules),
        )
    console.print(table)
    counts = summary_counts(result)
    console.print(
        f"{counts['use_cases']} use cases: {counts['proceed']} proceed, "
        f"{counts['judgment']} judgment, {counts['escalate']} escalate; "
        f"{counts['cleared']} cleared."
    )
    if result.out_of_scope:
        console.print(
            f"[dim]Out of scope for this production's territories (applied, fired nothing): "
            f"{', '.join(result.out_of_scope)}.[/]"
        )
    notes = sorted({(a.id, a.message) for d in result.use_cases for a in d.advisories})
    for advisory_id, message in notes:
        users = [d.id for d in result.use_cases if any(a.id == advisory_id for a in d.advisories)]
        console.print(f"[yellow]Note ({advisory_id})[/]: {message} [dim]({', '.join(users)})[/]")


def _obligations(decision: Decision) -> str:
    """One per line; a met obligation is ticked, an open one is plain."""
    return "\n".join(
        ob if ob in decision.open_obligations else f"[dim]{ob} ✓[/]" for ob in decision.obligations
    )


def to_markdown(result: CheckResult) -> str:
    packs = ", ".join(f"`{p.id}` {p.version}" for p in result.policies)
    lines = [
        f"# GenAI use cases — {result.production}",
        "",
        f"Policy packs: {packs}",
        "",
        "| Use case | Title | Outcome | Obligations | Open | Rules fired |",
        "|---|---|---|---|---|---|",
    ]
    for d in result.use_cases:
        lines.append(
            f"| {d.id} | {_md(d.title)} | {outcome_label(d.outcome)} | {', '.join(d.obligations)}"
            f" | {', '.join(d.open_obligations) or '—'} | {', '.join(r.id for r in d.rules)} |"
        )
    counts = summary_counts(result)
    lines += [
        "",
        f"**{counts['use_cases']}** use cases: {counts['proceed']} proceed, "
        f"{counts['judgment']} judgment, {counts['escalate']} escalate; "
        f"{counts['cleared']} cleared.",
    ]
    if result.out_of_scope:
        lines += [
            "",
            "Out of scope for this production's territories (applied, fired nothing): "
            + ", ".join(f"`{pack}`" for pack in result.out_of_scope)
            + ".",
        ]
    notes = sorted({(a.id, a.title, a.message) for d in result.use_cases for a in d.advisories})
    if notes:
        lines += ["", "## Notes", ""]
        lines += [f"* **{i} — {t}.** {m}" for i, t, m in notes]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
