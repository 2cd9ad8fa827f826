"""The ``clearance`` command line: a thin layer that calls the library and renders results.

Exit codes (all commands): 0 success (for ``check``: every use case cleared), 1 the check
found open obligations or a pack test failed, 2 invalid input (nothing written).
"""

from __future__ import annotations

from clearance.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
