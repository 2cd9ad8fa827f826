"""``clearance cut add|list|remove``: a production's locked cuts, kept in the register so the
CLI (`cuesheet --cut`, `report --cut`) and the web app build the same cue sheet from them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from clearance.cli.app import cut_app, input_errors, stdout
from clearance.cli.editorial import DropOpt, MediaOpt, RateOpt, RulesOpt, SequenceOpt, StartOpt
from clearance.cli.register import As, Format, FormatOpt, ProductionOpt, _opened, _production
from clearance.manifest.errors import InputError, ManifestError


@cut_app.command("add")
def cut_add(
    name: Annotated[str, typer.Argument(help="A short name, e.g. ep107-lock.")],
    edit: Annotated[Path, typer.Argument(help="The locked cut: .edl .xml .fcpxml .aaf .otio")],
    media: MediaOpt,
    rate: RateOpt = None,
    drop_frame: DropOpt = None,
    start: StartOpt = None,
    rules: RulesOpt = None,
    sequence: SequenceOpt = None,
    production: ProductionOpt = None,
    actor: As = None,
) -> None:
    """Register (or replace) a locked cut of the production: the edit, its media folders as
    the server sees them, and how to read it. The edit is read once now, so a cut that cannot
    be read is refused (exit 2) rather than failing later in the web app.

    Example: clearance cut add ep107-lock cut/ep107.edl --rate 23.976 --media /mnt/deliverables
    """
    import re

    from clearance.editorial.compose import check_source
    from clearance.editorial.read import read_edit
    from clearance.editorial.resolve import load_rules
    from clearance.register import cuts

    with _opened(actor) as (register, _ws), input_errors():
        if not re.match(cuts.CUT_NAME, name):
            problem = "expected letters, digits, '.', '_' or '-' (at most 100)"
            raise ManifestError([InputError("name", None, "", f"{name!r}: {problem}")])
        prod = _production(register, production)
        source = cuts.CutSource(
            edit.resolve(),
            tuple(m.resolve() for m in media),
            rate,
            drop_frame,
            start,
            rules.resolve() if rules else None,
            sequence,
        )
        check_source(source)
        read_edit(source.edit, rate=rate, drop_frame=drop_frame, start=start, sequence=sequence)
        if source.rules:
            load_rules(source.rules)
        with register.write() as conn:
            new = cuts.save(conn, register.actor, prod, name, source)
    stdout.print(f"{'Registered' if new else 'Replaced'} cut {name} of {prod}.", highlight=False)


@cut_app.command("list")
def cut_list(production: ProductionOpt = None, output_format: FormatOpt = Format.table) -> None:
    """The production's registered cuts.

    Example: clearance cut list --format json
    """
    from rich.table import Table

    from clearance.policy.decision import dumps
    from clearance.register import cuts

    with _opened() as (register, _ws), input_errors():
        prod = _production(register, production)
        with register.read() as conn:
            found = cuts.listed(conn, prod)
    if output_format is Format.json:
        payload = {
            "format": "clearance.cuts/1",
            "production": prod,
            "cuts": [c.to_json() for c in found],
        }
        sys.stdout.write(dumps(payload))
        return
    table = Table(title=f"{prod} — cuts", title_justify="left")
    for column in ("Name", "Edit", "Media", "Read as", "Added"):
        table.add_column(column)
    for c in found:
        src = c.source
        how = ", ".join(
            part
            for part in (
                f"{src.rate} fps" if src.rate else "",
                {True: "drop-frame", False: "non-drop-frame", None: ""}[src.drop_frame],
                f"start {src.start}" if src.start else "",
                f"rules {src.rules}" if src.rules else "",
                f"sequence {src.sequence}" if src.sequence else "",
            )
            if part
        )
        table.add_row(
            c.name,
            str(src.edit),
            "\n".join(str(m) for m in src.media),
            how or "as the edit states",
            f"{c.added_at[:10]} by {c.added_by}",
        )
    stdout.print(table)


@cut_app.command("remove")
def cut_remove(
    name: Annotated[str, typer.Argument(help="The cut's name.")],
    production: ProductionOpt = None,
    actor: As = None,
) -> None:
    """Remove a registered cut (its history stays in the audit trail).

    Example: clearance cut remove ep107-temp
    """
    from clearance.register import cuts

    with _opened(actor) as (register, _ws), input_errors():
        prod = _production(register, production)
        with register.write() as conn:
            cuts.remove(conn, register.actor, prod, name)
    stdout.print(f"Removed cut {name} of {prod}.", highlight=False)
