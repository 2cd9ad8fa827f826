"""The web application: ``create_app(settings)`` wires the pages, the JSON API, static files
and security headers. ``clearance serve`` runs it on uvicorn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


#: Request bodies: an upload (multipart) up to the attachment limit and a little for its
#: fields; anything else (JSON, forms) up to 1 MiB: no field of this app needs more.
MAX_UPLOAD = 50 * 1024 * 1024
MAX_BODY = 1024 * 1024


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


class BodyGuard:
    """Refuses oversized bodies (413) before they are read, and JSON holding ``NaN`` or
    ``Infinity`` (422): Python's JSON reader accepts them, but they are not JSON and nothing
    downstream (canonical digests, dates, answers) can use them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        content_type = headers.get("content-type", "")
        limit = MAX_UPLOAD + MAX_BODY if content_type.startswith("multipart/") else MAX_BODY
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await _plain(send, 413, f"request body over {limit // (1024 * 1024)} MiB")
            return
        if not content_type.startswith("application/json"):
            await self.app(scope, receive, send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > limit:
                await _plain(send, 413, f"request body over {limit // (1024 * 1024)} MiB")
                return
        body = b"".join(chunks)
        try:
            json.loads(body, parse_constant=_reject_constant)
        except ValueError as exc:
            if "JSON number" in str(exc):
                await _plain(send, 422, str(exc))
                return
            # Other syntax errors: FastAPI's own (422 json_invalid) answer.
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _plain(send: Send, status: int, detail: str) -> None:
    payload = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def _wants_json(request: Request) -> bool:
    """The API answers JSON; so does anything asking for JSON and not HTML."""
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


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
    app.state.limiter = LoginLimiter(settings.engine)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    app.add_middleware(BodyGuard)
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """JSON for the API; for pages, a sign-in redirect on 401 and a readable page else
        (unknown URLs included: Starlette raises its own HTTPException for those)."""
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
        if exc.status_code == 401:
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        page = pages.error_page(request, exc.status_code, pages.readable(exc.detail))
        page.headers.update(exc.headers or {})  # Retry-After on 429, for one
        return page

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        """422 with every problem: JSON for the API, a readable page for a browser."""
        problems = jsonable_encoder(exc.errors())
        if _wants_json(request):
            return JSONResponse({"detail": problems}, 422)
        return pages.error_page(request, 422, pages.readable(problems))

    return app


#: ``clearance serve --workers N`` hands its settings to each worker process through this.
SETTINGS_ENV = "CLEARANCE_SERVE_SETTINGS"


def from_environment() -> FastAPI:
    """The app of one worker process of ``clearance serve --workers N`` (an app factory for
    uvicorn): settings from ``CLEARANCE_SERVE_SETTINGS``. Everything processes must share —
    the register, failed sign-ins, sessions — lives in the database; each process keeps
    its own status cache, checked against the audit head on every read."""
    import json
    import os
    from pathlib import Path

    from clearance.register import db

    given = json.loads(os.environ[SETTINGS_ENV])
    engine = db.connect(given["database_url"])
    cache = given.get("scan_cache")
    return create_app(
        Settings(
            engine,
            Path(given["store"]),
            bool(given.get("secure_cookies")),
            scan_cache=Path(cache) if cache else None,
        )
    )
