"""Server-rendered pages (Jinja2 + htmx). Each page calls the same ``data``/``services``
functions as the API; forms carry the session's CSRF token."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from clearance.policy.vocabulary import OBLIGATION_ACTOR, OBLIGATIONS
from clearance.web import data, services
from clearance.web.deps import Context, anonymous_accounts, context, limiter_of, settings_of
from clearance.web.security import LOGIN_COOKIE, SESSION_COOKIE, caller

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
# Starlette's default, select_autoescape(), escapes only names ending .html/.htm/.xml: our
# templates end .html.j2, so without this nothing would be escaped (stored XSS).
templates.env.autoescape = True
templates.env.globals.update(OBLIGATIONS=OBLIGATIONS, OBLIGATION_ACTOR=OBLIGATION_ACTOR)
Ctx = Annotated[Context, Depends(context)]
FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "csv": "text/csv", "json": "application/json", "html": "text/html"}  # fmt: skip


def render(request: Request, name: str, ctx: Context | None, **values: Any) -> HTMLResponse:
    base: dict[str, Any] = {
        "user": ctx.who.user if ctx else None,
        "csrf": ctx.who.csrf if ctx else "",
    }
    return templates.TemplateResponse(request, name, {**base, **values})


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    response = templates.TemplateResponse(
        request, "error.html.j2", {"user": None, "csrf": "", "status": status, "detail": detail}
    )
    response.status_code = status
    return response


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no ``//host``): no open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


# -- signing in ---------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = templates.TemplateResponse(
        request,
        "login.html.j2",
        {"user": None, "csrf": "", "login_csrf": token, "next": _safe_next(next), "error": ""},
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings_of(request).secure_cookies,
    )
    return response


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form(max_length=100)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, csrf_token):
        raise HTTPException(403, "the sign-in form expired: reload the page and try again")
    limiter = limiter_of(request)
    client = request.client.host if request.client else "?"
    wait = limiter.retry_after(client, username)
    if wait:
        raise HTTPException(
            429,
            f"too many failed sign-ins: try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    accounts = anonymous_accounts(request)
    user = accounts.authenticate(username, password)
    if user is None:
        limiter.failed(client, username)
        token = secrets.token_urlsafe(24)
        response = templates.TemplateResponse(
            request,
            "login.html.j2",
            {
                "user": None,
                "csrf": "",
                "login_csrf": token,
                "next": _safe_next(next),
                "error": "Wrong username or password.",
            },
            status_code=401,
        )
        response.set_cookie(
            LOGIN_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=settings_of(request).secure_cookies,
        )
        return response
    limiter.succeeded(client, username)
    cookie, _csrf = accounts.start_session(user)
    redirect = RedirectResponse(_safe_next(next), status_code=303)
    redirect.set_cookie(
        SESSION_COOKIE,
        cookie,
        httponly=True,
        samesite="lax",
        secure=settings_of(request).secure_cookies,
        max_age=12 * 3600,
    )
    redirect.delete_cookie(LOGIN_COOKIE)
    return redirect


@router.post("/logout")
def logout(request: Request, ctx: Ctx) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        ctx.accounts.end_session(cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# -- reading -------------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, ctx: Ctx) -> HTMLResponse:
    with ctx.register.read(snapshot=True) as db:
        found = data.productions(db, set(ctx.who.user.roles), ctx.store, ctx.on, ctx.cache)
    return render(request, "dashboard.html.j2", ctx, productions=found)


@router.get("/p/{production}", response_class=HTMLResponse)
def production_page(
    request: Request, production: str, ctx: Ctx, outcome: str = "", open: str = ""
) -> HTMLResponse:
    ctx.member(production)
    with ctx.register.read(snapshot=True) as db:
        items = data.use_cases(db, production, ctx.store, ctx.on, ctx.cache)
    shown = [
        i
        for i in items
        if (not outcome or i["outcome"] == outcome) and (not open or not i["cleared"])
    ]
    return render(
        request,
        "use_cases.html.j2",
        ctx,
        production=production,
        items=shown,
        total=len(items),
        outcome=outcome,
        open=open,
        role=ctx.who.user.role_in(production),
    )


@router.get("/p/{production}/use-cases/{uc_id}", response_class=HTMLResponse)
def use_case_page(request: Request, production: str, uc_id: str, ctx: Ctx) -> HTMLResponse:
    ctx.member(production)
    with ctx.register.read(snapshot=True) as db:
        found = data.use_case(db, production, uc_id, ctx.store, ctx.on, ctx.cache)
    if found is None:
        raise HTTPException(404, "no such use case")
    return render(
        request,
        "use_case.html.j2",
        ctx,
        production=production,
        uc=found,
        may_review=ctx.who.user.may(production, "reviewer"),
    )


@router.get("/p/{production}/queue", response_class=HTMLResponse)
def queue_page(request: Request, production: str, ctx: Ctx) -> HTMLResponse:
    ctx.member(production)
    with ctx.register.read(snapshot=True) as db:
        found = data.queue(db, production, ctx.store, ctx.on, ctx.cache)
    return render(
        request,
        "queue.html.j2",
        ctx,
        production=production,
        queue=found,
        may_review=ctx.who.user.may(production, "reviewer"),
    )


@router.get("/p/{production}/consents", response_class=HTMLResponse)
def consents_page(request: Request, production: str, ctx: Ctx) -> HTMLResponse:
    ctx.member(production)
    with ctx.register.read(snapshot=True) as db:
        consents, tools = data.consents(db, production, ctx.cache), data.tools(db, production)
    return render(
        request, "consents.html.j2", ctx, production=production, consents=consents, tools=tools
    )


@router.get("/p/{production}/scans", response_class=HTMLResponse)
def scans_page(request: Request, production: str, ctx: Ctx) -> HTMLResponse:
    ctx.member(production)
    with ctx.register.read(snapshot=True) as db:
        found = data.scans(db, production)
    return render(
        request,
        "scans.html.j2",
        ctx,
        production=production,
        scans=found,
        has_cut=ctx.settings.edit is not None,
    )


@router.get("/p/{production}/report.html")
def report_download(production: str, ctx: Ctx) -> Response:
    ctx.member(production)
    html = services.report_html(ctx, production)
    disposition = f'attachment; filename="{production}-genai-report.html"'
    return Response(html, media_type="text/html", headers={"Content-Disposition": disposition})


@router.get("/p/{production}/cuesheet.{fmt}")
def cuesheet_download(production: str, fmt: str, ctx: Ctx) -> Response:
    ctx.member(production)
    if fmt not in FORMATS:
        raise HTTPException(404, "cue sheets come as xlsx, csv, json or html")
    body = services.cuesheet_bytes(ctx, production, fmt)
    if body is None:
        raise HTTPException(404, "no cut: start the server with --edit and --media")
    disposition = f'attachment; filename="{production}-cuesheet.{fmt}"'
    return Response(body, media_type=FORMATS[fmt], headers={"Content-Disposition": disposition})


# -- members -------------------------------------------------------------------------------------


@router.get("/p/{production}/members", response_class=HTMLResponse)
def members_page(request: Request, production: str, ctx: Ctx) -> HTMLResponse:
    ctx.member(production, "admin")
    with ctx.register.read(snapshot=True) as db:
        found = data.members(db, production)
    return render(request, "members.html.j2", ctx, production=production, members=found)


@router.post("/p/{production}/members")
def members_form(
    production: str,
    ctx: Ctx,
    username: Annotated[str, Form(max_length=100)],
    role: Annotated[str, Form(max_length=20)],
) -> Response:
    ctx.member(production, "admin")
    services.grant(ctx, production, username.strip(), role)
    return RedirectResponse(f"/p/{production}/members", status_code=303)


# -- reviewing -----------------------------------------------------------------------------------


@router.post("/p/{production}/use-cases/{uc_id}/review")
def review_form(
    production: str,
    uc_id: str,
    ctx: Ctx,
    decision: Annotated[str, Form(max_length=30)],
    comment: Annotated[str, Form(max_length=4000)] = "",
    conditions: Annotated[str, Form(max_length=4000)] = "",
    expires: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    ctx.member(production, "reviewer")
    try:
        until = dt.date.fromisoformat(expires) if expires else None
    except ValueError as exc:
        raise HTTPException(422, f"expires: expected a date YYYY-MM-DD, got {expires!r}") from exc
    listed = [c.strip() for c in conditions.splitlines() if c.strip()]
    services.review(ctx, production, uc_id, decision, comment, listed, until)
    return RedirectResponse(f"/p/{production}/use-cases/{uc_id}", status_code=303)


# -- declaring (the adaptive intake) ---------------------------------------------------------------


def _answers(form: Any) -> dict[str, Any]:
    """Form fields ``a.<fact>`` → answers, in the order the form lists them. A multiple-choice
    question is marked ``m.<fact>``: with nothing ticked its answer is the empty list
    ("none of these"), which is an answer, not a skipped question."""
    answers: dict[str, Any] = {}
    for key in form:
        if key.startswith("m.") and form.get(key) == "1":
            fact = key[2:]
            answers.setdefault(fact, [])
        elif key.startswith("a."):
            fact = key[2:]
            values = [v for v in form.getlist(key) if isinstance(v, str) and v != ""]
            if form.get(f"m.{fact}") == "1":
                answers[fact] = values
            elif values:
                answers[fact] = values[0]
    return answers


@router.get("/p/{production}/intake", response_class=HTMLResponse)
def intake_page(request: Request, production: str, ctx: Ctx) -> HTMLResponse:
    ctx.member(production)
    step = services.intake_step(ctx, production, {})
    return render(request, "intake.html.j2", ctx, production=production, step=step, problem="")


@router.post("/p/{production}/intake", response_class=HTMLResponse)
async def intake_step(request: Request, production: str, ctx: Ctx) -> HTMLResponse:
    """One step: the answers so far → the next question (an htmx fragment, or the page)."""
    ctx.member(production)
    form = await request.form()
    answers = _answers(form)
    problem = ""
    try:
        step = services.intake_step(ctx, production, answers)
    except HTTPException as exc:
        problem, step = str(exc.detail), services.intake_step(ctx, production, {})
    name = "_intake_form.html.j2" if request.headers.get("hx-request") else "intake.html.j2"
    return render(request, name, ctx, production=production, step=step, problem=problem)


@router.post("/p/{production}/intake/declare")
async def intake_declare(request: Request, production: str, ctx: Ctx) -> Response:
    ctx.member(production)
    form = await request.form()
    answers = _answers(form)
    uc_id = str(form.get("id", "")).strip()
    title = str(form.get("title", "")).strip()
    description = str(form.get("description", "")).strip() or None
    try:
        services.declare(ctx, production, uc_id, title, description, answers)
    except HTTPException as exc:
        step = services.intake_step(ctx, production, answers)
        response = render(
            request,
            "intake.html.j2",
            ctx,
            production=production,
            step=step,
            problem=str(exc.detail),
        )
        response.status_code = exc.status_code
        return response
    target = f"/p/{production}/use-cases/{uc_id}"
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def signed_in(request: Request) -> bool:
    return caller(request, anonymous_accounts(request)) is not None
