"""Policy packs and the decision engine (the only source of verdicts).

The engine, the packs and the decision models (pydantic) are imported on first use: the
CLI imports ``clearance.policy.vocabulary`` for its light commands, and ``clearance --help``
should not pay for the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clearance.policy.decision import CheckResult, Decision, FiredRule, PackRef
    from clearance.policy.engine import Engine
    from clearance.policy.pack import Pack, load_pack
    from clearance.policy.registry import builtin_ids, resolve

_LAZY = {
    "CheckResult": "clearance.policy.decision",
    "Decision": "clearance.policy.decision",
    "FiredRule": "clearance.policy.decision",
    "PackRef": "clearance.policy.decision",
    "Engine": "clearance.policy.engine",
    "Pack": "clearance.policy.pack",
    "load_pack": "clearance.policy.pack",
    "builtin_ids": "clearance.policy.registry",
    "resolve": "clearance.policy.registry",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
