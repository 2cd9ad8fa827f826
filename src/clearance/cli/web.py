"""``clearance serve``: the review web app on the register of this workspace."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from clearance.cli.app import app, input_errors, stderr


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on.")] = 8000,
    behind_tls: Annotated[
        bool,
        typer.Option("--behind-tls", help="Served over HTTPS by a proxy: cookies get Secure."),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", "-w", min=1, max=64, help="Server processes (share the register)."
        ),
    ] = 1,
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
    cue-sheet downloads (of each production's cuts: ``clearance cut add``); plus the JSON API
    (OpenAPI at /api/openapi.json). Accounts come from ``clearance user add`` / ``user
    grant``.

    Examples:

      clearance serve --port 8000

      clearance serve --host 0.0.0.0 --behind-tls --workers 4

      clearance serve --get /api/v1/productions --token "$CLEARANCE_TOKEN"

    Exit codes: 0 stopped (or --get answered 200); 1 --get answered otherwise; 2 invalid input.
    """
    from clearance.cli.scan import cache_path
    from clearance.register.access import open_register
    from clearance.web.app import create_app
    from clearance.web.deps import Settings

    with input_errors(), open_register() as (register, ws):
        settings = Settings(
            register.engine, register.store, behind_tls, scan_cache=cache_path(False, None)
        )
        application = create_app(settings)
        if get is not None:
            _get_once(application, get, token)
            return
        import uvicorn

        stderr.print(
            f"Serving {ws.label} on http://{host}:{port} with {workers} process"
            f"{'es' if workers > 1 else ''} (Ctrl-C to stop)"
        )
        if workers == 1:
            uvicorn.run(
                application, host=host, port=port, log_level="warning", proxy_headers=behind_tls
            )
            return
        import json
        import os

        from clearance.web.app import SETTINGS_ENV

        os.environ[SETTINGS_ENV] = json.dumps(
            {
                "database_url": ws.database_url,
                "store": str(settings.store),
                "secure_cookies": behind_tls,
                "scan_cache": str(settings.scan_cache) if settings.scan_cache else None,
            }
        )
        register.engine.dispose()  # each worker opens its own connections
        uvicorn.run(
            "clearance.web.app:from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            proxy_headers=behind_tls,
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
