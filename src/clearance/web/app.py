"""The web application: ``create_app(settings)`` wires the pages, the JSON API, static files
and security headers. ``clearance serve`` runs it on uvicorn."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from clearance import __version__
from clearance.web import api, pages
from clearance.web.deps import Settings
from clearance.web.security import LoginLimiter

STATIC = Path(__file__).parent / "static"
#: No inline scripts, nothing from elsewhere: htmx is served from /static.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


class SecurityHeaders:
    """Headers every response carries (a plain ASGI middleware: cheap, and streaming-safe)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))  # type: ignore[call-overload]
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)  # type: ignore[arg-type]


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(
        title="clearance",
        version=__version__,
        description="GenAI use in production: declare, decide, review, evidence.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # Swagger UI loads scripts from a CDN, which the CSP (rightly) blocks
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.limiter = LoginLimiter()
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        """JSON for the API; for pages, a sign-in redirect on 401 and a readable page else."""
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
        if exc.status_code == 401:
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        page = pages.error_page(request, exc.status_code, str(exc.detail))
        page.headers.update(exc.headers or {})  # Retry-After on 429, for one
        return page

    return app
