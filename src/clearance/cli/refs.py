"""``clearance refs add|list|remove`` (the protected reference library) and ``clearance
similar`` (check files against it before using them). numpy, PyAV and faiss are imported
inside the commands: other commands never load them."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clearance.cli.app import app, input_errors, stderr, stdout
from clearance.cli.register import As, Format, FormatOpt, ProductionOpt, _opened, _production
from clearance.manifest.errors import InputError, ManifestError

if TYPE_CHECKING:
    from clearance.register.store import Register
    from clearance.similarity import Hashed, Library

refs_app = typer.Typer(
    help="Keep the protected reference library (key art, stills, logos, clips the production "
    "does not own) that outputs are compared with.",
    no_args_is_help=True,
)
app.add_typer(refs_app, name="refs")

EXIT_MATCH = 1


def _problems(errors: list[tuple[str, str]]) -> ManifestError:
    return ManifestError([InputError(path, None, "", reason) for path, reason in errors])


def _hash_all(paths: list[Path], reference: bool) -> list[tuple[Path, Hashed, str]]:
    """Hash every file (as a reference or as a query) with its sha256; any file that cannot
    be hashed makes the whole command fail (exit 2), naming each such file and why."""
    from clearance.provenance.inspect import sha256_of
    from clearance.similarity import SimilarityError, hash_query, hash_reference

    done: list[tuple[Path, Hashed, str]] = []
    errors: list[tuple[str, str]] = []
    for path in paths:
        try:
            hashed = hash_reference(path) if reference else hash_query(path)
            done.append((path, hashed, sha256_of(path)))
        except SimilarityError as error:
            errors.append((str(path), error.reason))
        except OSError as error:
            errors.append((str(path), f"unreadable ({error.strerror or error})"))
    if errors:
        raise _problems(errors)
    return done


@refs_app.command("add")
def refs_add(
    paths: Annotated[list[Path], typer.Argument(help="Images or videos to protect.")],
    label: Annotated[str, typer.Option("--label", help="What it is, e.g. 'Key art, Dune (2021)'.")],
    owner: Annotated[str, typer.Option("--owner", help="Who owns it, e.g. 'Legendary'.")],
    shared: Annotated[
        bool, typer.Option("--shared", help="Add to the library every production shares.")
    ] = False,
    production: ProductionOpt = None,
    actor: As = None,
) -> None:
    """Add protected references: each image is hashed whole, in 224 crops (up to 10 % off
    each dimension) and without its lower quarter (subtitles), each video at every scene
    change and at least once a second, whole and without its lower quarter (PDQ). A file
    that cannot be read or is too flat to hash is refused (exit 2) and nothing is added; a
    file already in the library is not added twice.

    Example: clearance refs add keyart/poster.jpg --label "Key art, Other Film" --owner "Studio X"
    """
    from clearance.register import refs

    with _opened(actor) as (register, _ws), input_errors():
        if not label.strip() or not owner.strip():
            raise ManifestError([InputError("--label/--owner", None, "", "must not be empty")])
        scope = None if shared else _production(register, production)
        items = [
            refs.NewRef(
                label=label.strip(),
                owner=owner.strip(),
                kind=hashed.kind,
                path=str(path),
                sha256=sha,
                media_type=hashed.media_type,
                duration=hashed.duration,
                hashes=[(h.frame, h.seconds, h.crop, h.hex, h.quality) for h in hashed.hashes],
            )
            for path, hashed, sha in _hash_all(paths, reference=True)
        ]
        with register.write() as conn:
            added = refs.add(conn, register.actor, scope, items)
    where = "the shared library" if scope is None else f"the library of {scope}"
    for item, (ref_id, new) in zip(items, added, strict=True):
        frames = f"{item.kind}, {len({h[0] for h in item.hashes})} frame(s)"
        if item.kind == "video":
            frames += f" over {item.duration:.1f} s"
        verb = "Added to" if new else "Already in"
        stdout.print(f"{verb} {where}: {ref_id}  {item.path}  ({frames})", highlight=False)


def _ref_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "label": row.label,
        "owner": row.owner,
        "kind": row.kind,
        "shared": row.production_id is None,
        "path": row.path,
        "sha256": row.sha256,
        "media_type": row.media_type,
        "frames": row.frames,
        "duration": row.duration,
        "added_by": row.added_by,
        "added_at": row.added_at,
        "removed_at": row.removed_at,
        "removed_by": row.removed_by,
        "remove_reason": row.remove_reason,
    }


@refs_app.command("list")
def refs_list(
    removed: Annotated[
        bool, typer.Option("--removed", help="Also list removed references.")
    ] = False,
    production: ProductionOpt = None,
    output_format: FormatOpt = Format.table,
) -> None:
    """The production's reference library (its own references and the shared ones), with
    the library version a check records.

    Example: clearance refs list --format json
    """
    from rich.table import Table

    from clearance.policy.decision import dumps
    from clearance.register import queries
    from clearance.similarity.library import Reference, library_version

    with _opened() as (register, _ws), input_errors():
        prod = _production(register, production)
        with register.read() as conn:
            rows = queries.refs(conn, prod, removed=removed)
    live = [
        Reference(r.id, r.label, r.owner, r.kind, r.production_id is None, r.frames, r.sha256)
        for r in rows
        if r.removed_at is None
    ]
    version = library_version(live)
    if output_format is Format.json:
        payload = {
            "format": "clearance.refs/1",
            "production": prod,
            "library": {"version": version, "size": len(live)},
            "refs": [_ref_json(r) for r in rows],
        }
        sys.stdout.write(dumps(payload))
        return
    table = Table(
        title=f"{prod} — reference library ({len(live)}, version {version[:12]})",
        title_justify="left",
    )
    for column in ("Id", "Label", "Owner", "Kind", "Library", "File", "Added"):
        table.add_column(column)
    for r in rows:
        kind = r.kind if r.kind == "image" else f"video, {r.frames} frames, {r.duration or 0:.1f} s"
        added = f"{r.added_at[:10]} by {r.added_by}"
        if r.removed_at:
            added += f"\nremoved {r.removed_at[:10]} by {r.removed_by}: {r.remove_reason}"
        scope = "shared" if r.production_id is None else r.production_id
        table.add_row(r.id, r.label, r.owner, kind, scope, r.path, added)
    stdout.print(table)
    if not rows:
        stdout.print("No references: add some with `clearance refs add`.", highlight=False)


@refs_app.command("remove")
def refs_remove(
    ref_id: Annotated[str, typer.Argument(help="The reference's id (RF-…).")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is removed (audited).")],
    production: ProductionOpt = None,
    actor: As = None,
) -> None:
    """Remove a reference from the library. Its record stays (marked removed, with who, when
    and why) so the audit trail and earlier checks that named it stay readable.

    Example: clearance refs remove RF-1A2B3C4D5E --reason "licensed from the owner"
    """
    from clearance.register import refs

    with _opened(actor) as (register, _ws), input_errors():
        prod = _production(register, production)
        with register.write() as conn:
            refs.remove(conn, register.actor, prod, ref_id, reason)
    stdout.print(f"Removed {ref_id} from the library of {prod}.", highlight=False)


class SimilarFormat(StrEnum):
    table = "table"
    json = "json"


def open_library(register: Register, production: str) -> Library:
    """The production's library with its index (cached beside the scan cache)."""
    from clearance.similarity.library import cache_folder, load

    with register.read() as conn:
        return load(conn, production, cache_folder())


@app.command("similar")
def similar(
    files: Annotated[list[Path], typer.Argument(help="Images or videos to check.")],
    threshold: Annotated[
        int | None,
        typer.Option(
            "--threshold",
            min=0,
            max=256,
            help="Report references within this PDQ distance (bits of 256; default: the "
            "deliverables pack's threshold).",
        ),
    ] = None,
    output_format: Annotated[
        SimilarFormat, typer.Option("--format", "-f", help="Output format.")
    ] = SimilarFormat.table,
    production: ProductionOpt = None,
    actor: As = None,
) -> None:
    """Check files against the production's protected reference library before using them:
    each image (and each sampled video frame), flipped and rotated too, is compared with every
    reference. Each check is recorded in the register — with no match too, as evidence that
    the comparison was made. Exit 1 when a file is within the threshold of a reference; 2 for
    a file that cannot be compared or an empty library.

    Example: clearance similar renders/shot_012.png --format json
    """
    from clearance.policy.decision import dumps
    from clearance.register import refs
    from clearance.similarity.library import pack_threshold

    with _opened(actor) as (register, _ws), input_errors():
        prod = _production(register, production)
        pack_radius, pack = pack_threshold()
        radius = pack_radius if threshold is None else threshold
        library = open_library(register, prod)
        if library.size == 0:
            raise ManifestError(
                [
                    InputError(
                        "library",
                        None,
                        "",
                        f"the reference library of {prod} is empty: nothing to compare with "
                        "(add references with `clearance refs add`)",
                    )
                ]
            )
        hashed = _hash_all(files, reference=False)
        results = [(path, h, sha, library.match(h.hashes, radius)) for path, h, sha in hashed]
        checks = [
            refs.Check(
                path=str(path),
                sha256=sha,
                frames=len(h.hashes),
                library_version=library.version,
                library_size=library.size,
                threshold=radius,
                pack=pack if threshold is None else None,
                matches=[m.as_fact() for m in found],
                problem=h.damaged,
            )
            for path, h, sha, found in results
        ]
        with register.write() as conn:
            ids = refs.record_checks(conn, register.actor, prod, checks)
    matched = any(found for *_, found in results)
    if output_format is SimilarFormat.json:
        payload = {
            "format": "clearance.similar/1",
            "production": prod,
            "library": {"version": library.version, "size": library.size},
            "threshold": radius,
            "pack": pack if threshold is None else None,
            "files": [
                {
                    "path": str(path),
                    "sha256": sha,
                    "kind": h.kind,
                    "frames": len(h.hashes),
                    "check": check_id,
                    "problem": h.damaged,
                    "matches": [m.as_fact() for m in found],
                }
                for (path, h, sha, found), check_id in zip(results, ids, strict=True)
            ],
        }
        sys.stdout.write(dumps(payload))
    else:
        _similar_table(prod, library, radius, results, ids)
    if matched:
        raise typer.Exit(EXIT_MATCH)


def _timecode(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours:02d}:{minutes:02d}:{rest:06.3f}"


def _similar_table(
    prod: str, library: Library, radius: int, results: list[Any], ids: list[str]
) -> None:
    from rich.table import Table

    table = Table(
        title=f"{prod} — compared with {library.size} reference(s) (library "
        f"{library.version[:12]}), threshold {radius} of 256 bits",
        title_justify="left",
    )
    for column in ("File", "Reference", "Distance", "Where", "Check"):
        table.add_column(column)
    for (path, hashed, _sha, found), check_id in zip(results, ids, strict=True):
        if not found:
            table.add_row(str(path), "no match", "", f"{len(hashed.hashes)} hash(es)", check_id)
        for m in found:
            where = []
            if hashed.kind == "video":
                where.append(f"file {_timecode(m.file_seconds)}")
            if m.ref_seconds:
                where.append(f"reference {_timecode(m.ref_seconds)}")
            if m.variant != "as is":
                where.append(m.variant)
            table.add_row(
                str(path),
                f"{m.ref_id} {m.label} ({m.owner})",
                str(m.distance),
                ", ".join(where),
                check_id,
            )
        if hashed.damaged:
            stderr.print(f"[yellow]warning:[/] {path}: {hashed.damaged}", highlight=False)
    stdout.print(table)
