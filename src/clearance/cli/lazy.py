"""Commands are imported when they run: ``clearance check`` imports (and Typer builds) the
``check`` module's commands only, not the register's, the scanner's or the web app's.

The root command group holds its subcommands in a ``LazyCommands`` mapping: asking it for one
command imports the module that defines it (``COMMANDS``); listing them (``--help``, a typo's
suggestions, shell completion) imports every module, so what is listed, and in what order, is
what a full import gives. ``tests/test_startup.py`` checks ``COMMANDS`` against the modules.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING, Any

from typer.core import TyperGroup

if TYPE_CHECKING:
    from typer._click import Command

#: Every top-level command and group, in the order ``clearance --help`` lists them, with the
#: module under ``clearance.cli`` that defines it (and its subcommands).
COMMANDS: dict[str, str] = {
    "check": "check",
    "explain": "check",
    "schema": "check",
    "scan": "scan",
    "cuesheet": "editorial",
    "report": "editorial",
    "init": "register",
    "import": "register",
    "report-use": "register",
    "approve": "register",
    "clear": "register",
    "disclose": "register",
    "label": "register",
    "writer-disclosure": "register",
    "union-notice": "register",
    "revoke": "register",
    "status": "register",
    "diff": "register",
    "export": "register",
    "restore": "register",
    "disclosures": "disclosures",
    "intake": "intake",
    "similar": "refs",
    "serve": "web",
    "policy": "policy",
    "consent": "register",
    "audit": "register",
    "asset": "scan",
    "manifest": "register",
    "cut": "cuts",
    "names": "names",
    "refs": "refs",
    "user": "users",
}
#: The modules in the order a full import registers them (the order above).
MODULES = (
    "check",
    "cuts",
    "disclosures",
    "editorial",
    "intake",
    "names",
    "policy",
    "refs",
    "register",
    "scan",
    "users",
    "web",
)


class LazyCommands(MutableMapping[str, "Command"]):
    """The root group's subcommands, each module's built on first use."""

    def __init__(self, built: MutableMapping[str, Command]) -> None:
        # What was imported before this group was built is in it already.
        self._loaded = {m for m in MODULES if f"clearance.cli.{m}" in sys.modules}
        self._built = dict(built)
        self._settle()

    def _load(self, modules: tuple[str, ...]) -> None:
        missing = [m for m in modules if m not in self._loaded]
        if not missing:
            return
        for module in missing:
            importlib.import_module(f"clearance.cli.{module}")
        import typer.main

        from clearance.cli.app import app

        rebuilt = typer.main.get_group(app).commands
        assert isinstance(rebuilt, LazyCommands)
        self._loaded = rebuilt._loaded  # with the modules those imported
        self._built.update(rebuilt._built)
        self._settle()

    def _settle(self) -> None:
        """Once every module is in, keep the order a full import gives (modules imported in
        another order register their commands in another order)."""
        if self._loaded.issuperset(MODULES):
            rank = {name: i for i, name in enumerate(COMMANDS)}
            ordered = sorted(self._built.items(), key=lambda item: rank.get(item[0], len(rank)))
            self._built = dict(ordered)

    def __getitem__(self, name: str) -> Command:
        module = COMMANDS.get(name)
        self._load((module,) if module else MODULES)
        return self._built[name]

    def __setitem__(self, name: str, command: Command) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        self._load(MODULES)
        return iter(self._built)

    def __len__(self) -> int:
        self._load(MODULES)
        return len(self._built)


class LazyGroup(TyperGroup):
    """A command group whose subcommands are a ``LazyCommands`` mapping."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(self.commands)
