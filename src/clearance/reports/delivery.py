"""The delivery report as one self-contained HTML file, for a studio's production or legal
contact: what was decided for each GenAI use case, what is still open and who must act, the
evidence behind it, and where GenAI sits in the locked cut.

Self-contained because it is mailed, archived and printed: CSS is inline, the timeline is an
inline SVG, and the only URLs are the citations' links to the guidance. Everything is worked
out here (counts, grouping) so the templates only lay it out; autoescaping and
``StrictUndefined`` keep hostile text inert and template typos loud.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from clearance.policy.vocabulary import OBLIGATION_ACTOR
from clearance.reports.delivery_model import DeliveryReport, ObligationRow, UseCaseReport
from clearance.reports.strip import STATUS_COLOURS, STATUS_LABELS, timeline_svg

OUTCOMES = ("proceed", "judgment", "escalate")
OUTCOME_COLOURS = {
    "proceed": STATUS_COLOURS["cleared"],
    "judgment": STATUS_COLOURS["obligations-open"],
    "escalate": STATUS_COLOURS["undeclared"],
}
UNASSIGNED = "Unassigned"


@dataclass(frozen=True, slots=True)
class Action:
    """One open obligation, for the "Needs action" list."""

    use_case: UseCaseReport
    obligation: ObligationRow


def render_html(report: DeliveryReport) -> str:
    """The whole report as one HTML document (no network needed to view or print it)."""
    template = _environment().get_template("report.html.j2")
    return template.render(report=report, view=view(report))


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("clearance.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["status_label"] = lambda s: STATUS_LABELS.get(s, s)
    return env


def view(report: DeliveryReport) -> dict[str, Any]:
    """What the templates show beyond the model itself: counts, groupings, the strip."""
    actions = needs_action(report)
    return {
        "outcomes": outcome_counts(report),
        "cleared": sum(uc.cleared for uc in report.use_cases),
        "open": sum(not uc.cleared for uc in report.use_cases),
        "actions": actions,
        "open_obligations": sum(len(items) for items in actions.values()),
        "titles": {uc.id: uc.title for uc in report.use_cases},
        "scan_summary": scan_summary(report.scan.summary) if report.scan else [],
        "strip": Markup(timeline_svg(report.cuesheet)) if report.cuesheet else None,
        "status_colours": STATUS_COLOURS,
        "status_labels": STATUS_LABELS,
        "outcome_colours": OUTCOME_COLOURS,
    }


def outcome_counts(report: DeliveryReport) -> dict[str, int]:
    """Use cases per outcome: the three known ones always (zeros too), then any other."""
    counts = Counter(uc.outcome for uc in report.use_cases)
    return {o: counts.get(o, 0) for o in OUTCOMES} | {
        o: n for o, n in sorted(counts.items()) if o not in OUTCOMES
    }


def needs_action(report: DeliveryReport) -> dict[str, list[Action]]:
    """Every open obligation, grouped by who must act next (alphabetical, unassigned last);
    an obligation without a recorded actor falls back to the vocabulary's usual one."""
    groups: dict[str, list[Action]] = {}
    for uc in report.use_cases:
        for ob in uc.obligations:
            if not ob.met:
                actor = ob.next or OBLIGATION_ACTOR.get(ob.obligation) or UNASSIGNED
                groups.setdefault(actor, []).append(Action(uc, ob))
    return dict(sorted(groups.items(), key=lambda kv: (kv[0] == UNASSIGNED, kv[0].lower())))


def scan_summary(summary: dict[str, object]) -> list[tuple[str, str]]:
    """The scan's summary as label/text pairs (nested counts in words: ``a 3, b 1``)."""
    rows = []
    for key, value in summary.items():
        if isinstance(value, dict):
            text = ", ".join(f"{k} {v}" for k, v in value.items()) or "none"
        else:
            text = "—" if value is None else str(value)
        rows.append((key.replace("_", " ").capitalize(), text))
    return rows


def safe_url(url: str | None) -> str | None:
    """Only web links become ``href``s: a ``javascript:`` or file URL in a pack stays text."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None
