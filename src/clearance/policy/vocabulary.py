"""Fixed vocabularies shared by every pack: outcomes and obligation ids (public format)."""

from __future__ import annotations

from typing import Literal

Outcome = Literal["proceed", "judgment", "escalate"]

#: Weakest to strongest; a decision takes the strongest outcome of the rules that fired.
OUTCOME_RANK: dict[str, int] = {"proceed": 0, "judgment": 1, "escalate": 2}

OUTCOME_SYMBOL: dict[str, str] = {"proceed": "✅", "judgment": "⚠️", "escalate": "🛑"}

#: Obligation id → what satisfies it (the "Evidence" sections of manifest-v1 and v1.1).
OBLIGATIONS: dict[str, str] = {
    "report-use": "the use is reported to the studio contact (date, contact, channel, reference)",
    "written-approval": "a written approval of the use case by the studio",
    "talent-consent": "explicit, documented consent of every performer involved",
    "legal-review": "a legal review of the use case",
    "rights-clearance": "rights clearance of the material used or resembled",
    "tool-terms-review": "a review of each tool's data terms (training, retention)",
    "union-agreement": "an agreement or approval covering union-represented work",
    "human-authorship": "documented meaningful human authorship of the final version",
    "disclose-ai": "a disclosure to the audience, in the form the rule asks, at first exposure",
    "ai-label": "a machine-readable AI label on the delivered files, and platform declaration",
    "writer-disclosure": "written notice to every writer given the material that it is GenAI",
    "estate-consent": "written consent of whoever controls the deceased person's rights",
    "union-notice": "notice to the union before the use, with an opportunity to bargain",
}


#: Obligation id → who must act next to meet it.
OBLIGATION_ACTOR: dict[str, str] = {
    "report-use": "GenAI lead",
    "written-approval": "studio contact",
    "talent-consent": "talent relations",
    "legal-review": "legal",
    "rights-clearance": "clearances",
    "tool-terms-review": "GenAI lead",
    "union-agreement": "labour relations",
    "human-authorship": "creative lead",
    "disclose-ai": "post supervisor / distribution",
    "ai-label": "post supervisor",
    "writer-disclosure": "producer / creative executive",
    "estate-consent": "talent relations / business affairs",
    "union-notice": "labour relations",
}


def strongest(outcomes: list[str]) -> Outcome:
    """The strongest of ``outcomes`` (``proceed`` when empty)."""
    best: Outcome = "proceed"
    for outcome in outcomes:
        if OUTCOME_RANK[outcome] > OUTCOME_RANK[best]:
            best = outcome  # type: ignore[assignment]
    return best
