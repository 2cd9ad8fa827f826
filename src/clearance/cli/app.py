"""The Typer application and the error handling every command shares."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.segment import Segment

from clearance import __version__
from clearance.cli.lazy import LazyGroup
from clearance.manifest.errors import ManifestError, safe_text


class _Guarded(LazyGroup):
    """The root command group: a fault that escapes a command (a full disk, a database that
    went away, input nested past the stack) ends with one clear line and exit code 2, never a
    traceback. ``CLEARANCE_DEBUG=1`` lets the traceback through."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:  # every fault ends in a message, see above
            # Usage errors and exits are the command line's own (exit 2 with usage, or a code).
            if os.environ.get("CLEARANCE_DEBUG") or type(exc).__module__.startswith(
                ("click", "typer")
            ):
                raise
            _fault(exc)


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
    cls=_Guarded,
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


class _SafeConsole(Console):
    """A console that never sends a control character from the data to the terminal: names
    of files, clips and reels, titles and metadata are the input's, and an ESC sequence among
    them would drive the terminal. Rich's own control segments (styles, cursor) pass."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            segment if segment.control else Segment(safe_text(segment.text), segment.style)
            for segment in buffer
        )


stdout = _SafeConsole(soft_wrap=False)
stderr = _SafeConsole(stderr=True)
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


_DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
EXIT_FAULT = 70  # EX_SOFTWARE: a bug, reported in one line (CLEARANCE_DEBUG=1 shows where)


def _fault(exc: Exception) -> NoReturn:
    """One line for a fault no command turned into an input error, then the exit code."""
    code = EXIT_INPUT
    if isinstance(exc, RecursionError):
        message = "the input is nested too deeply to process"
    elif isinstance(exc, MemoryError):
        message = "out of memory (the input is too large)"
    elif isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        if exc.errno in _DISK_FULL:
            why = "the disk is full or the file size limit was reached; nothing was written"
            message = f"{where}{why} ({exc.strerror})"
        else:
            message = f"{where}{exc.strerror or exc}"
    elif isinstance(exc, UnicodeError):
        message = f"not valid UTF-8 text ({exc})"
    elif type(exc).__module__ == "sqlite3":  # a cache or other SQLite file, not the register
        message = f"a database file failed: {exc} (is it a file this tool wrote?)"
    elif type(exc).__module__.startswith("sqlalchemy"):
        # Never the statement and its parameters: the driver's own first line says enough.
        original = getattr(exc, "orig", None) or exc
        first = str(original).strip().splitlines()[:1] or [type(original).__name__]
        message = f"the register's database failed: {first[0]} (nothing was written)"
    else:
        code = EXIT_FAULT
        message = f"internal error: {type(exc).__name__}: {exc} (please report it)"
    stderr.print(f"[bold red]error:[/] {shown(message)}", highlight=False, soft_wrap=True)
    sys.exit(code)


def shown(text: str) -> str:
    """``text`` for a Rich console: bytes that are not UTF-8 as ``\\xNN``, control characters
    escaped (a file name cannot drive the terminal) and Rich markup taken literally."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return escape(safe_text(text))


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


# The command modules attach their commands to ``app`` and its groups when imported, which
# the root group does on first use of a command (``clearance.cli.lazy``).
