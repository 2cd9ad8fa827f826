"""``clearance user``: accounts, roles and API tokens for the web app (``clearance serve``)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from clearance.cli.app import app, input_errors, stdout
from clearance.cli.register import As, _opened

user_app = typer.Typer(help="Accounts, roles and API tokens for the web app.", no_args_is_help=True)
app.add_typer(user_app, name="user")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        raw = sys.stdin.buffer.readline(4096).rstrip(b"\r\n")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            from clearance.manifest.errors import InputError, ManifestError

            problem = "the password on standard input is not valid UTF-8 text"
            with input_errors():
                raise ManifestError([InputError("--password-stdin", None, "", problem)]) from exc
            raise  # not reached: input_errors() exits
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name (lower case).")],
    name: Annotated[str, typer.Option("--name", help="Name shown to others.")] = "",
    admin: Annotated[
        bool, typer.Option("--admin", help="Site administrator: may manage accounts and roles.")
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    actor: As = None,
) -> None:
    """Create a local account (the password is stored as an argon2 hash).

    Examples:

      clearance user add jpark --name "J. Park (studio)" --admin

      printf '%s\\n' "$PW" | clearance user add vfx-ci --password-stdin
    """
    from clearance.register.accounts import Accounts

    with _opened(actor) as (register, _ws), input_errors():
        user_id = Accounts(register).add_user(username, _password(password_stdin), name, admin)
    stdout.print(f"Added {username} ({user_id}){' as site administrator' if admin else ''}.")


@user_app.command("grant")
def user_grant(
    username: Annotated[str, typer.Argument(help="The account.")],
    production: Annotated[str, typer.Argument(help="Production id.")],
    role: Annotated[str, typer.Argument(help="contributor, reviewer or admin.")],
    actor: As = None,
) -> None:
    """Give an account a role in one production (replacing any role it had there).

    contributor: declare and read use cases; reviewer: also approve, request changes, deny;
    admin: also manage the production's members. A member of one production sees nothing of
    another.

    Example: clearance user grant jpark neon-harbor-s1 reviewer
    """
    from clearance.register.accounts import Accounts

    with _opened(actor) as (register, _ws), input_errors():
        Accounts(register).grant(username, production, role)
    stdout.print(f"{username} is {role} in {production}.")


@user_app.command("password")
def user_password(
    username: Annotated[str, typer.Argument(help="The account.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    actor: As = None,
) -> None:
    """Set an account's password (signs out its browser sessions)."""
    from clearance.register.accounts import Accounts

    with _opened(actor) as (register, _ws), input_errors():
        Accounts(register).set_password(username, _password(password_stdin))
    stdout.print(f"Password of {username} changed.")


@user_app.command("token")
def user_token(
    username: Annotated[str, typer.Argument(help="The account the pipeline acts as.")],
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "pipeline",
    actor: As = None,
) -> None:
    """Create an API token for a pipeline (printed once; send it as
    ``Authorization: Bearer TOKEN``).

    Example: clearance user token vfx-ci --name "render farm CI"
    """
    from clearance.register.accounts import Accounts

    with _opened(actor) as (register, _ws), input_errors():
        token_id, secret = Accounts(register).create_token(username, name)
    stdout.print(f"Token {token_id} for {username}; it is shown only now:", highlight=False)
    sys.stdout.write(secret + "\n")


@user_app.command("list")
def user_list(actor: As = None) -> None:
    """Accounts and their roles."""
    from rich.table import Table

    from clearance.register.accounts import Accounts

    with _opened(actor) as (register, _ws), input_errors():
        users = Accounts(register).users()
    table = Table(title="Accounts", title_justify="left")
    for column in ("User", "Name", "Site admin", "Roles"):
        table.add_column(column)
    for user in users:
        roles = ", ".join(f"{p}: {r}" for p, r in sorted(user.roles.items()))
        table.add_row(user.username, user.display_name, "yes" if user.is_admin else "", roles)
    stdout.print(table)


@user_app.command("tokens")
def user_tokens(
    username: Annotated[str, typer.Argument(help="The account.")],
    actor: As = None,
) -> None:
    """An account's API tokens (ids, names, state; the secrets are never stored)."""
    from rich.table import Table

    from clearance.register.accounts import Accounts

    with _opened(actor) as (register, _ws), input_errors():
        tokens = Accounts(register).tokens(username)
    table = Table(title=f"API tokens of {username}", title_justify="left")
    for column in ("Id", "Name", "Created", "Revoked"):
        table.add_column(column)
    for t in tokens:
        table.add_row(t["id"], t["name"], t["created_at"][:19], (t["revoked_at"] or "")[:19])
    stdout.print(table)


@user_app.command("token-revoke")
def user_token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (T-…; see `user tokens`).")],
    actor: As = None,
) -> None:
    """Revoke an API token: the pipeline using it is refused from the next request.

    Example: clearance user token-revoke T-1A2B3C4D5E
    """
    from clearance.register.accounts import Accounts

    with _opened(actor) as (register, _ws), input_errors():
        Accounts(register).revoke_token(token_id)
    stdout.print(f"Token {token_id} revoked.")


@user_app.command("disable")
def user_disable(
    username: Annotated[str, typer.Argument(help="The account.")],
    enable: Annotated[
        bool, typer.Option("--enable", help="Enable a disabled account again instead.")
    ] = False,
    actor: As = None,
) -> None:
    """Disable an account: it cannot sign in, its sessions end and its API tokens are refused
    (its history stays). Refused for the last admin of a production.

    Example: clearance user disable jpark
    """
    from clearance.register.accounts import Accounts

    with _opened(actor) as (register, _ws), input_errors():
        Accounts(register).set_disabled(username, not enable)
    stdout.print(f"{username} is {'enabled' if enable else 'disabled'}.")
