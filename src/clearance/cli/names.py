"""``clearance names add|list|remove``: the protected names prompts are checked against
(public figures, real people, other productions' performers, artists, works, brands)."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from clearance.cli.app import app, input_errors, stderr, stdout
from clearance.cli.register import As, Format, FormatOpt, ProductionOpt, _opened, _production

if TYPE_CHECKING:
    from clearance.register.names import NameChange

names_app = typer.Typer(
    help="List the names prompts must not use without clearance (public figures, real people, "
    "works, brands, artists) for a production or for every production.",
    no_args_is_help=True,
)
app.add_typer(names_app, name="names")


class Kind(StrEnum):
    performer = "performer"
    public_figure = "public-figure"
    person = "person"
    artist = "artist"
    work = "work"
    brand = "brand"


@names_app.command("add")
def names_add(
    name: Annotated[str, typer.Argument(help="The name as people write it, e.g. 'Zoë Ødegård'.")],
    kind: Annotated[
        Kind,
        typer.Option(
            "--kind",
            help="performer (not this production's talent), public-figure, person (a private "
            "real person), artist (style protected), work (a film, character, photograph), "
            "brand.",
        ),
    ],
    alias: Annotated[
        list[str] | None,
        typer.Option("--alias", help="Another form people write (repeatable), e.g. a surname."),
    ] = None,
    shared: Annotated[
        bool, typer.Option("--shared", help="List it for every production in the register.")
    ] = False,
    notes: Annotated[str | None, typer.Option("--notes", help="Why it is listed.")] = None,
    production: ProductionOpt = None,
    actor: As = None,
) -> None:
    """List a name the production's prompts are checked against (audited).

    Example: clearance names add "Rhea Castellanos" --kind public-figure --alias Castellanos
    """
    from clearance.register import names

    with _opened(actor) as (register, _ws), input_errors():
        prod = None if shared else _production(register, production)
        with register.write() as conn:
            change = names.add(conn, register.actor, prod, name, kind.value, alias or [], notes)
    added = change.name
    where = "every production (shared)" if prod is None else prod
    stdout.print(f"Listed {added.name} ({added.kind}) as {added.id} for {where}.", highlight=False)
    _redecided(change)


@names_app.command("list")
def names_list(
    production: ProductionOpt = None,
    shared: Annotated[
        bool, typer.Option("--shared", help="Only the list shared by every production.")
    ] = False,
    removed: Annotated[
        bool, typer.Option("--removed", help="Include removed names (with who and why).")
    ] = False,
    output_format: FormatOpt = Format.table,
) -> None:
    """The names a production's prompts are checked against: its own and the shared list.

    Example: clearance names list --format json
    """
    from rich.table import Table

    from clearance.policy.decision import dumps
    from clearance.register import names

    with _opened() as (register, _ws), input_errors():
        prod = None if shared else _production(register, production)
        with register.read() as conn:
            found = names.listed(conn, prod, removed=removed)
    if output_format is Format.json:
        listing = {"production": prod, "names": [n.to_json() for n in found]}
        sys.stdout.write(dumps(listing))
        return
    title = "shared protected names" if prod is None else f"{prod} — protected names"
    table = Table(title=title, title_justify="left")
    table.add_column("Id", no_wrap=True)
    for column in ("Name", "Kind", "Aliases", "List", "Added"):
        table.add_column(column)
    if removed:
        table.add_column("Removed")
    for n in found:
        row = [
            n.id,
            n.name,
            n.kind,
            ", ".join(n.aliases),
            "shared" if n.production is None else n.production,
            f"{n.added_at[:10]} by {n.added_by}",
        ]
        if removed:
            row.append(
                f"{n.removed_at[:10]} by {n.removed_by}: {n.remove_reason}" if n.removed_at else ""
            )
        table.add_row(*row)
    stdout.print(table)


@names_app.command("remove")
def names_remove(
    name_id: Annotated[str, typer.Argument(help="The name's id, e.g. PN-3F2A9C01B4.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it comes off the list.")],
    actor: As = None,
) -> None:
    """Take a name off its list (audited; who, when and why are kept).

    Example: clearance names remove PN-3F2A9C01B4 --reason "cleared by legal"
    """
    from clearance.register import names

    with _opened(actor) as (register, _ws), input_errors(), register.write() as conn:
        change = names.remove(conn, register.actor, name_id, reason)
    gone = change.name
    stdout.print(f"Removed {gone.name} ({gone.id}).", highlight=False)
    _redecided(change)


def _redecided(change: NameChange) -> None:
    """Say what the change re-decided (the register's current decisions follow the names)."""
    done = change.redecided
    for skipped in done.skipped:
        stderr.print(f"warning: not re-decided (packs not found): {skipped}", highlight=False)
    if not done.productions:
        why = "" if done.skipped else "No production checks prompts: "
        stdout.print(f"{why}no decision re-made.".capitalize(), highlight=False)
        return
    changed = f": {', '.join(done.changed)}" if done.changed else ""
    stdout.print(
        f"Re-decided {_count(done.decisions, 'use case')} of {', '.join(done.productions)}; "
        f"{_count(len(done.changed), 'decision')} changed{changed}.",
        highlight=False,
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
