"""``clearance serve``: the review web app on the register of this workspace."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from clearance.cli.app import app, input_errors, stderr
from clearance.manifest.errors import InputError, ManifestError


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on.")] = 8000,
    behind_tls: Annotated[
        bool,
        typer.Option("--behind-tls", help="Served over HTTPS by a proxy: cookies get Secure."),
    ] = False,
    edit: Annotated[
        Path | None, typer.Option("--edit", help="The locked cut, for cue-sheet downloads.")
    ] = None,
    media: Annotated[
        list[Path] | None, typer.Option("--media", "-m", help="Media folders of the cut.")
    ] = None,
    rate: Annotated[str | None, typer.Option("--rate", help="Frame rate of an EDL.")] = None,
    get: Annotated[
        str | None,
        typer.Option("--get", help="Run one GET request in-process, print it, exit (smoke test)."),
    ] = None,
    token: Annotated[
        str | None, typer.Option("--token", help="API token for --get (Authorization: Bearer).")
    ] = None,
) -> None:
    """Serve the web app: productions dashboard, use cases with their decisions and evidence,
    the adaptive intake form, the reviewer queue, consents and tools, scans, and report and
    cue-sheet downloads; plus the JSON API (OpenAPI at /api/openapi.json). Accounts come from
    ``clearance user add`` / ``user grant``.

    Examples:

      clearance serve --port 8000

      clearance serve --host 0.0.0.0 --behind-tls --edit cut/ep107.edl --media deliverables/

      clearance serve --get /api/v1/productions --token "$CLEARANCE_TOKEN"

    Exit codes: 0 stopped (or --get answered 200); 1 --get answered otherwise; 2 invalid input.
    """
    from clearance.register.access import open_register
    from clearance.web.app import create_app
    from clearance.web.deps import Settings

    with input_errors():
        if (edit is None) != (not media):
            problem = "--edit and --media go together"
            raise ManifestError([InputError("--edit", None, "", problem)])
    with input_errors(), open_register() as (register, ws):
        settings = Settings(
            register.engine, register.store, behind_tls, edit, tuple(media or ()), rate
        )
        application = create_app(settings)
        if get is not None:
            _get_once(application, get, token)
            return
        import uvicorn

        stderr.print(f"Serving {ws.label} on http://{host}:{port} (Ctrl-C to stop)")
        uvicorn.run(
            application, host=host, port=port, log_level="warning", proxy_headers=behind_tls
        )


def _get_once(application: Any, path: str, token: str | None) -> None:
    """``--get``: one request in-process; its body on stdout, exit 1 unless it is a 200."""
    from fastapi.testclient import TestClient

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with TestClient(application, base_url="http://localhost") as client:
        response = client.get(path, headers=headers, follow_redirects=False)
    sys.stdout.write(response.text + ("\n" if not response.text.endswith("\n") else ""))
    if response.status_code != 200:
        stderr.print(f"[bold red]{response.status_code}[/] for GET {path}")
        raise typer.Exit(1)
