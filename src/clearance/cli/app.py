"""The Typer application and the error handling every command shares."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console

from clearance import __version__
from clearance.manifest.errors import ManifestError

app = typer.Typer(
    name="clearance",
    help=(
        "Govern generative AI use in film and TV production.\n\n"
        "Declare GenAI use cases in a manifest; versioned policy packs decide each one "
        "(proceed / judgment / escalate), with obligations and the cited rule behind each.\n\n"
        "Exit codes: 0 ok (check: all cleared), 1 obligations open or tests failed, "
        "2 invalid input."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
policy_app = typer.Typer(
    help="List, show and test policy packs.", no_args_is_help=True, rich_markup_mode="rich"
)
app.add_typer(policy_app, name="policy")
consent_app = typer.Typer(help="Record performers' consent.", no_args_is_help=True)
app.add_typer(consent_app, name="consent")
audit_app = typer.Typer(help="Verify and read the audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
asset_app = typer.Typer(help="Register files as outputs of use cases.", no_args_is_help=True)
app.add_typer(asset_app, name="asset")
manifest_app = typer.Typer(
    help="Write the register's use cases back as a manifest.", no_args_is_help=True
)
app.add_typer(manifest_app, name="manifest")
cut_app = typer.Typer(
    help="Register a production's locked cuts (edit, media, timing) for cue sheets, reports "
    "and the web app.",
    no_args_is_help=True,
)
app.add_typer(cut_app, name="cut")


stdout = Console(soft_wrap=False)
stderr = Console(stderr=True)
# Piped or captured output is read by programs and people's tools: never hard-wrap its text
# (error messages, paths, the audit head hash stay whole). A terminal still gets tables and
# text fitted to its width.
for _console in (stdout, stderr):
    if not _console.is_terminal:
        _console.soft_wrap = True

EXIT_OK, EXIT_OPEN, EXIT_INPUT = 0, 1, 2
MAX_ERRORS_SHOWN = 50


@contextmanager
def input_errors() -> Iterator[None]:
    """Turn ``ManifestError`` into a list of messages on stderr and exit code 2."""
    try:
        yield
    except ManifestError as exc:
        count = len(exc.errors)
        stderr.print(f"[bold red]error:[/] {count} problem{'s' if count != 1 else ''} in input")
        for error in exc.errors[:MAX_ERRORS_SHOWN]:
            stderr.print(f"  {error}", markup=False, highlight=False, soft_wrap=True)
        if count > MAX_ERRORS_SHOWN:
            stderr.print(f"  … and {count - MAX_ERRORS_SHOWN} more")
        sys.exit(EXIT_INPUT)


def _version(value: bool) -> None:
    if value:
        stdout.print(f"clearance {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Govern generative AI use in film and TV production."""


# Register the commands (modules attach themselves to ``app`` / ``policy_app``).
from clearance.cli import check as _check  # noqa: E402,F401
from clearance.cli import cuts as _cuts  # noqa: E402,F401
from clearance.cli import editorial as _editorial  # noqa: E402,F401
from clearance.cli import intake as _intake  # noqa: E402,F401
from clearance.cli import policy as _policy  # noqa: E402,F401
from clearance.cli import register as _register  # noqa: E402,F401
from clearance.cli import scan as _scan  # noqa: E402,F401
from clearance.cli import users as _users  # noqa: E402,F401
from clearance.cli import web as _web  # noqa: E402,F401
