"""Policy packs and the decision engine (the only source of verdicts)."""

from clearance.policy.decision import CheckResult, Decision, FiredRule, PackRef
from clearance.policy.engine import Engine
from clearance.policy.pack import Pack, load_pack
from clearance.policy.registry import builtin_ids, resolve

__all__ = [
    "CheckResult",
    "Decision",
    "Engine",
    "FiredRule",
    "Pack",
    "PackRef",
    "builtin_ids",
    "load_pack",
    "resolve",
]
