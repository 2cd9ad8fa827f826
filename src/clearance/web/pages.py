"""Server-rendered pages (Jinja2 + htmx). Each page calls the same ``data``/``services``
functions as the API; forms carry the session's CSRF token."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import UploadFile as StarletteUpload

from clearance.policy.vocabulary import OBLIGATION_ACTOR, OBLIGATIONS
from clearance.register.accounts import declarers
from clearance.web import data, services
from clearance.web.deps import Context, anonymous_accounts, context, limiter_of, settings_of
from clearance.web.security import LOGIN_COOKIE, SESSION_COOKIE, caller

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
# Starlette's default, select_autoescape(), escapes only names ending .html/.htm/.xml: our
# templates end .html.j2, so without this nothing would be escaped (stored XSS).
templates.env.autoescape = True
templates.env.globals.update(
    OBLIGATIONS=OBLIGATIONS, OBLIGATION_ACTOR=OBLIGATION_ACTOR, action_name=data.action_name
)
Ctx = Annotated[Context, Depends(context)]
PAGE_SIZE = 100  # use cases per page: a page costs what it shows
FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "csv": "text/csv", "json": "application/json", "html": "text/html"}  # fmt: skip


def render(
    request: Request, name: str, ctx: Context | None, status: int = 200, **values: Any
) -> HTMLResponse:
    base: dict[str, Any] = {
        "user": ctx.who.user if ctx else None,
        "csrf": ctx.who.csrf if ctx else "",
        "errors": {},
        "values": {},
    }
    production = values.get("production")
    if ctx is not None and production and "production_title" not in values:
        with ctx.register.read() as db:  # headings name the production, not only its id
            base["production_title"] = data.title(db, production)
    return templates.TemplateResponse(request, name, {**base, **values}, status_code=status)


def readable(detail: Any) -> str:
    """An error's detail as one line for a person: field: message; …"""
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict) and "field" in item:
                parts.append(
                    f"{item['field']}: {item['message']}" if item["field"] else item["message"]
                )
            elif isinstance(item, dict) and "msg" in item:
                where = ".".join(str(x) for x in item.get("loc", ()) if x not in ("body", "query"))
                parts.append(f"{where}: {item['msg']}" if where else str(item["msg"]))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return str(detail)


def field_errors(exc: HTTPException) -> dict[str, str]:
    """A refusal's problems by field (a problem without one is shown at the top)."""
    if isinstance(exc, services.Problems):
        return {k or "_": v for k, v in exc.by_field.items()}
    return {"_": readable(exc.detail)}


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
    request: Request,
    production: str,
    ctx: Ctx,
    outcome: Annotated[str, Query(max_length=20)] = "",
    open: Annotated[str, Query(max_length=5)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> HTMLResponse:
    ctx.member(production)
    with ctx.register.read(snapshot=True) as db:
        found = data.use_case_page(
            db,
            production,
            ctx.store,
            ctx.on,
            ctx.cache,
            outcome,
            bool(open),
            (page - 1) * PAGE_SIZE,
            PAGE_SIZE,
        )
    pages = max(1, -(-found["matching"] // PAGE_SIZE))
    return render(
        request,
        "use_cases.html.j2",
        ctx,
        production=production,
        items=found["items"],
        total=found["total"],
        matching=found["matching"],
        page=page,
        pages=pages,
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
    return _use_case_view(request, ctx, production, found)


def _use_case_view(
    request: Request,
    ctx: Context,
    production: str,
    uc: dict[str, Any],
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    user = ctx.who.user
    with ctx.register.read() as db:
        own = user.username in declarers(db, production, uc["id"])
    return render(
        request,
        "use_case.html.j2",
        ctx,
        status=status,
        production=production,
        uc=uc,
        may_review=user.may(production, "reviewer"),
        declared_it=own,
        # Its declarer records no evidence that clears it (the server refuses it anyway).
        kinds=[
            k
            for k, role in services.EVIDENCE_ROLE.items()
            if user.may(production, role) and (k == "report-use" or not own)
        ],
        errors=errors or {},
        values=values or {},
    )


@router.get("/p/{production}/queue", response_class=HTMLResponse)
def queue_page(
    request: Request,
    production: str,
    ctx: Ctx,
    sort: Annotated[str, Query(max_length=20)] = "outcome",
    outcome: Annotated[str, Query(max_length=20)] = "",
    declared_by: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    ctx.member(production)
    sort = sort if sort in data.QUEUE_SORTS else "outcome"
    with ctx.register.read(snapshot=True) as db:
        found = data.queue_overview(
            db, production, ctx.store, ctx.on, ctx.cache, sort, outcome, declared_by, PAGE_SIZE
        )
    people = found["people"]
    return render(
        request,
        "queue.html.j2",
        ctx,
        production=production,
        queue=found,
        sort=sort,
        outcome=outcome,
        declared_by=declared_by,
        people=people,
        may_review=ctx.who.user.may(production, "reviewer"),
    )


@router.get("/p/{production}/consents", response_class=HTMLResponse)
def consents_page(request: Request, production: str, ctx: Ctx) -> HTMLResponse:
    ctx.member(production)
    with ctx.register.read(snapshot=True) as db:
        consents, tools = data.consents(db, production, ctx.cache), data.tools(db, production)
        estates = data.consents(db, production, ctx.cache, "estate-consent")
    return render(
        request, "consents.html.j2", ctx, production=production, consents=consents, tools=tools,
        estates=estates,
    )  # fmt: skip


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
        cuts=services.cut_names(ctx, production),
    )


@router.get("/p/{production}/report.html")
def report_download(production: str, ctx: Ctx, cut: str | None = None) -> Response:
    ctx.member(production)
    html = services.report_html(ctx, production, cut)
    disposition = f'attachment; filename="{production}-genai-report.html"'
    return Response(html, media_type="text/html", headers={"Content-Disposition": disposition})


@router.get("/p/{production}/cuesheet.{fmt}")
def cuesheet_download(production: str, fmt: str, ctx: Ctx) -> Response:
    """The cue sheet of the production's only cut."""
    return _cuesheet_response(production, None, fmt, ctx)


@router.get("/p/{production}/cuts/{cut}/cuesheet.{fmt}")
def cut_cuesheet_download(production: str, cut: str, fmt: str, ctx: Ctx) -> Response:
    return _cuesheet_response(production, cut, fmt, ctx)


def _cuesheet_response(production: str, cut: str | None, fmt: str, ctx: Context) -> Response:
    ctx.member(production)
    if fmt not in FORMATS:
        raise HTTPException(404, "cue sheets come as xlsx, csv, json or html")
    body = services.cuesheet_bytes(ctx, production, fmt, cut)
    name = f"{production}-{cut}" if cut else production
    disposition = f'attachment; filename="{name}-cuesheet.{fmt}"'
    return Response(body, media_type=FORMATS[fmt], headers={"Content-Disposition": disposition})


# -- members -------------------------------------------------------------------------------------


@router.get("/p/{production}/members", response_class=HTMLResponse)
def members_page(request: Request, production: str, ctx: Ctx) -> HTMLResponse:
    ctx.member(production, "admin")
    return _members_view(request, ctx, production)


@router.post("/p/{production}/members")
def members_form(
    request: Request,
    production: str,
    ctx: Ctx,
    username: Annotated[str, Form(max_length=100)],
    role: Annotated[str, Form(max_length=20)],
) -> Response:
    ctx.member(production, "admin")
    try:
        services.grant(ctx, production, username.strip(), role)
    except HTTPException as exc:
        return _members_view(request, ctx, production, exc)
    return RedirectResponse(f"/p/{production}/members", status_code=303)


# -- reviewing -----------------------------------------------------------------------------------


@router.post("/p/{production}/use-cases/{uc_id}/review")
def review_form(
    request: Request,
    production: str,
    uc_id: str,
    ctx: Ctx,
    decision: Annotated[str, Form(max_length=10_000)] = "",
    comment: Annotated[str, Form(max_length=100_000)] = "",
    conditions: Annotated[str, Form(max_length=100_000)] = "",
    expires: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    """Record a review; a refused one shows the use case again with each problem beside its
    field and what was typed kept. (Fields are read generously and checked here, so an
    over-long one is a message on the form, not a bare error page.)"""
    ctx.member(production, "reviewer")
    values = {"decision": decision, "comment": comment, "conditions": conditions,
              "expires": expires}  # fmt: skip
    errors: dict[str, str] = {}
    listed = [c.strip() for c in conditions.splitlines() if c.strip()]
    if len(comment) > 4000:
        errors["comment"] = "at most 4000 characters"
    if len(listed) > 20 or any(len(c) > 500 for c in listed):
        errors["conditions"] = "at most 20 conditions of 500 characters each"
    until = None
    try:
        until = dt.date.fromisoformat(expires) if expires else None
    except ValueError:
        errors["expires"] = f"expected a date YYYY-MM-DD, got {expires[:40]!r}"
    status = 422
    if not errors:
        try:
            services.review(ctx, production, uc_id, decision, comment, listed, until)
            return RedirectResponse(f"/p/{production}/use-cases/{uc_id}", status_code=303)
        except HTTPException as exc:
            if exc.status_code == 404:
                raise
            errors, status = field_errors(exc), exc.status_code
    with ctx.register.read(snapshot=True) as db:
        found = data.use_case(db, production, uc_id, ctx.store, ctx.on, ctx.cache)
    if found is None:
        raise HTTPException(404, "no such use case")
    return _use_case_view(request, ctx, production, found, status, errors, values)


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
    values = {"id": uc_id, "title": title, "description": description or ""}
    try:
        problem = _text_problems(title, description, uc_id)
        if problem:
            raise HTTPException(422, problem)
        services.declare(ctx, production, uc_id, title, description, answers)
    except HTTPException as exc:
        step = services.intake_step(ctx, production, answers)
        return render(
            request,
            "intake.html.j2",
            ctx,
            status=exc.status_code,
            production=production,
            step=step,
            problem=readable(exc.detail),
            values=values,
        )
    target = f"/p/{production}/use-cases/{uc_id}"
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


# -- revising a use case (changes requested) ----------------------------------------------------


def _edit_values(ctx: Context, production: str, uc_id: str) -> dict[str, Any]:
    _answers_now, title, description = services.answers_of(ctx, production, uc_id)
    return {"id": uc_id, "title": title, "description": description}


@router.get("/p/{production}/use-cases/{uc_id}/edit", response_class=HTMLResponse)
def edit_page(request: Request, production: str, uc_id: str, ctx: Ctx) -> HTMLResponse:
    """The intake form, pre-filled from the current revision's answers."""
    ctx.member(production)
    answers, title, description = services.answers_of(ctx, production, uc_id)
    step = services.intake_step(ctx, production, answers)
    values = {"id": uc_id, "title": title, "description": description}
    return render(
        request, "intake.html.j2", ctx, production=production, step=step, problem="",
        editing=uc_id, values=values,
    )  # fmt: skip


@router.post("/p/{production}/use-cases/{uc_id}/edit", response_class=HTMLResponse)
async def edit_step(request: Request, production: str, uc_id: str, ctx: Ctx) -> HTMLResponse:
    """One step of editing (as the intake's): the answers so far → the next question."""
    ctx.member(production)
    values = _edit_values(ctx, production, uc_id)
    form = await request.form()
    problem = ""
    try:
        step = services.intake_step(ctx, production, _answers(form))
    except HTTPException as exc:
        problem, step = str(exc.detail), services.intake_step(ctx, production, {})
    name = "_intake_form.html.j2" if request.headers.get("hx-request") else "intake.html.j2"
    return render(
        request, name, ctx, production=production, step=step, problem=problem, editing=uc_id,
        values=values,
    )  # fmt: skip


@router.post("/p/{production}/use-cases/{uc_id}/edit/save")
async def edit_save(request: Request, production: str, uc_id: str, ctx: Ctx) -> Response:
    """Save the edit: a new revision, decided again, back in the review queue."""
    ctx.member(production)
    _edit_values(ctx, production, uc_id)  # 404 for an unknown use case
    form = await request.form()
    answers = _answers(form)
    title = str(form.get("title", "")).strip()
    description = str(form.get("description", "")).strip() or None
    values = {"id": uc_id, "title": title, "description": description or ""}
    problem = _text_problems(title, description)
    if not problem:
        try:
            services.revise(ctx, production, uc_id, title, description, answers)
        except HTTPException as exc:
            problem = readable(exc.detail)
    if problem:
        step = services.intake_step(ctx, production, answers)
        return render(
            request, "intake.html.j2", ctx, status=422, production=production, step=step,
            problem=problem, editing=uc_id, values=values,
        )  # fmt: skip
    target = f"/p/{production}/use-cases/{uc_id}"
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _text_problems(title: str, description: str | None, uc_id: str = "") -> str:
    if len(uc_id) > 100:
        return "id: at most 100 characters"
    if not title:
        return "title: give the use case a title"
    if len(title) > 300:
        return "title: at most 300 characters"
    if description and len(description) > 4000:
        return "description: at most 4000 characters"
    return ""


# -- evidence ------------------------------------------------------------------------------------

#: The fields each kind of evidence takes in the form (besides date, expiry, reference and
#: the document), in the order shown.
EVIDENCE_TEXT = ("date", "expires", "reference", "contact", "channel", "approver", "conditions",
                 "performer", "uses", "by", "notes", "form", "placement", "text", "deliverables",
                 "territories", "files", "verified_by", "platform_ref", "writers", "material",
                 "party", "capacity", "union", "outcome")  # fmt: skip
TEXT_LIMITS = {"reference": 2000, "contact": 300, "channel": 300, "approver": 300,
               "performer": 100, "by": 300, "notes": 4000, "conditions": 50_000,
               "uses": 50_000, "date": 10, "expires": 10, "form": 300, "placement": 300,
               "text": 4000, "deliverables": 260_000, "territories": 3000, "files": 260_000,
               "verified_by": 300, "platform_ref": 2000, "writers": 31_000, "material": 4000,
               "party": 300, "capacity": 40, "union": 300, "outcome": 40}  # fmt: skip
#: Kinds whose record has no expiry (a notice sent, a disclosure made, a file labelled).
NO_EXPIRY = ("report-use", "disclose-ai", "ai-label", "writer-disclosure", "union-notice")


def _evidence_page(
    request: Request,
    ctx: Context,
    production: str,
    kind: str,
    use_case: str,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> HTMLResponse:
    user = ctx.who.user
    kinds = [k for k, role in services.EVIDENCE_ROLE.items() if user.may(production, role)]
    if kind not in kinds:
        kind = kinds[0]
    with ctx.register.read(snapshot=True) as db:
        items = data.use_cases(db, production, ctx.store, ctx.on, ctx.cache)
        performers: list[str] = []
        deceased: list[str] = []  # whose estate's consent the use case needs
        if use_case:
            found = data.use_case(db, production, use_case, ctx.store, ctx.on, ctx.cache)
            talent = (found or {}).get("performers", [])
            performers = [p["id"] for p in talent]
            deceased = [p["id"] for p in talent if p.get("deceased") in ("yes", "unsure")]
    defaults = {"date": dt.date.today().isoformat(), "approver": user.display_name,
                "by": user.display_name, "channel": "email", "outcome": "pending"}  # fmt: skip
    return render(
        request, "evidence.html.j2", ctx, status=status, production=production, kind=kind,
        kinds=kinds, use_case=use_case, use_cases=items, performers=performers,
        deceased=deceased, errors=errors or {}, values={**defaults, **(values or {})},
        max_mib=services.MAX_ATTACHMENT // (1024 * 1024), no_expiry=NO_EXPIRY,
    )  # fmt: skip


@router.get("/p/{production}/evidence/new", response_class=HTMLResponse)
def evidence_form(
    request: Request,
    production: str,
    ctx: Ctx,
    kind: Annotated[str, Query(max_length=40)] = "",
    use_case: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    """The form for one kind of evidence (the kinds the caller's role may record)."""
    ctx.member(production)
    return _evidence_page(request, ctx, production, kind, use_case)


@router.post("/p/{production}/evidence")
async def evidence_post(request: Request, production: str, ctx: Ctx) -> Response:
    """Record evidence from the form (multipart: the document is uploaded with it). A refused
    one comes back with each problem beside its field and what was typed kept (not the file:
    browsers cannot be given one back)."""
    ctx.member(production)
    form = await request.form()
    kind = str(form.get("kind", ""))[:40]
    scope = [str(u)[:100] for u in form.getlist("use_cases") if str(u).strip()][:200]
    values: dict[str, Any] = {k: str(form.get(k, "")) for k in EVIDENCE_TEXT}
    values["replica"] = [str(r) for r in form.getlist("replica")][:3]
    values["method"] = [str(m)[:40] for m in form.getlist("method")][:4]
    values["guild_notified"] = form.get("guild_notified") == "yes"
    values["use_cases"] = scope
    errors = {
        k: f"at most {TEXT_LIMITS[k]} characters"
        for k in EVIDENCE_TEXT
        if len(values[k]) > TEXT_LIMITS[k]
    }
    upload_field = form.get("attachment")
    upload = None
    if isinstance(upload_field, StarletteUpload) and upload_field.filename:
        if upload_field.size is not None and upload_field.size > services.MAX_ATTACHMENT:
            errors["attachment"] = f"over {services.MAX_ATTACHMENT // (1024 * 1024)} MiB"
        upload = services.Upload(upload_field.filename, upload_field.file)
    status = 413 if "attachment" in errors else 422
    if not scope:
        errors["use_cases"] = "choose the use cases it covers"
    if not errors:
        try:
            services.record_evidence(
                ctx, production, kind, scope, _evidence_fields(kind, values), upload
            )
            target = (
                f"/p/{production}/use-cases/{scope[0]}" if len(scope) == 1 else f"/p/{production}"
            )
            return RedirectResponse(target, status_code=303)
        except HTTPException as exc:
            if exc.status_code == 404:
                raise
            errors, status = field_errors(exc), exc.status_code
    use_case = scope[0] if len(scope) == 1 else ""
    return _evidence_page(request, ctx, production, kind, use_case, status, errors, values)


def _evidence_fields(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """The form's fields for ``kind`` as the evidence model takes them."""
    fields: dict[str, Any] = {"date": values["date"] or None}
    for key in ("expires", "reference"):
        if values[key].strip():
            fields[key] = values[key].strip()
    if kind == "report-use":
        fields["contact"] = values["contact"].strip()
        if values["channel"].strip():
            fields["channel"] = values["channel"].strip()
    elif kind == "written-approval":
        fields |= {
            "approver": values["approver"].strip(),
            "conditions": _lines(values["conditions"]),
        }
    elif kind == "talent-consent":
        fields |= {
            "performer": values["performer"].strip(),
            "replica": values["replica"],
            "uses": _lines(values["uses"]),
            "guild_notified": values["guild_notified"],
        }
    elif kind in _WAVE2_FIELDS:
        fields |= _WAVE2_FIELDS[kind](values)
    else:
        fields["by"] = values["by"].strip()
        if values["notes"].strip():
            fields["notes"] = values["notes"].strip()
    return fields


def _lines(text: str) -> list[str]:
    return [x.strip() for x in text.splitlines() if x.strip()]


def _codes(text: str) -> list[str]:
    """Market codes typed as "FR, EU" or one per line."""
    return [code for code in text.replace(";", ",").replace(",", " ").split() if code]


def _optional(values: dict[str, Any], *keys: str) -> dict[str, str]:
    return {k: values[k].strip() for k in keys if values[k].strip()}


#: The form's fields of the wave-2 kinds (manifest v1.1 "Evidence") as their models take them.
_WAVE2_FIELDS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "disclose-ai": lambda v: {
        "form": v["form"].strip(),
        "placement": v["placement"].strip(),
        "text": v["text"].strip(),
        "deliverables": _lines(v["deliverables"]),
        "territories": _codes(v["territories"]),
        "approver": v["approver"].strip(),
    },
    "ai-label": lambda v: {
        "files": _lines(v["files"]),
        "method": v["method"],
        "verified_by": v["verified_by"].strip(),
        "territories": _codes(v["territories"]),
        **_optional(v, "platform_ref"),
    },
    "writer-disclosure": lambda v: {
        "writers": _lines(v["writers"]),
        "material": v["material"].strip(),
        **_optional(v, "channel"),
    },
    "estate-consent": lambda v: {
        "performer": v["performer"].strip(),
        "party": v["party"].strip(),
        "capacity": v["capacity"].strip(),
        "replica": v["replica"],
        "uses": _lines(v["uses"]),
    },
    "union-notice": lambda v: {
        "union": v["union"].strip(),
        **_optional(v, "outcome", "notes"),
    },
}


@router.post("/p/{production}/evidence/{evidence_id}/revoke")
def evidence_revoke(
    request: Request,
    production: str,
    evidence_id: str,
    ctx: Ctx,
    reason: Annotated[str, Form(max_length=100_000)] = "",
    back: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Revoke evidence with a reason (reviewers); back to the page it was revoked from."""
    ctx.member(production, "reviewer")
    target = _safe_next(back) if back.startswith(f"/p/{production}/") else f"/p/{production}"
    try:
        services.revoke_evidence(ctx, production, evidence_id, reason)
    except HTTPException as exc:
        if exc.status_code == 404:
            raise
        return error_page(request, exc.status_code, readable(exc.detail))
    return RedirectResponse(target, status_code=303)


# -- the audit trail -----------------------------------------------------------------------------


@router.get("/p/{production}/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    production: str,
    ctx: Ctx,
    actor: Annotated[str, Query(max_length=100)] = "",
    action: Annotated[str, Query(max_length=60)] = "",
) -> HTMLResponse:
    """Everything recorded in the production, newest first, in words."""
    ctx.member(production)
    with ctx.register.read(snapshot=True) as db:
        events = data.audit(db, production, actor, action)
    return render(
        request, "audit.html.j2", ctx, production=production, events=events, actor=actor,
        action=action, names=data.ACTION_NAMES,
    )  # fmt: skip


# -- members and accounts ------------------------------------------------------------------------


@router.post("/p/{production}/members/{username}/remove")
def member_remove(request: Request, production: str, username: str, ctx: Ctx) -> Response:
    ctx.member(production, "admin")
    try:
        services.leave(ctx, production, username)
    except HTTPException as exc:
        return _members_view(request, ctx, production, exc)
    return RedirectResponse(f"/p/{production}/members", status_code=303)


@router.post("/p/{production}/members/{username}/disable")
def member_disable(request: Request, production: str, username: str, ctx: Ctx) -> Response:
    ctx.member(production, "admin")
    try:
        services.disable(ctx, production, username)
    except HTTPException as exc:
        return _members_view(request, ctx, production, exc)
    return RedirectResponse(f"/p/{production}/members", status_code=303)


def _members_view(
    request: Request, ctx: Context, production: str, exc: HTTPException | None = None
) -> HTMLResponse:
    with ctx.register.read(snapshot=True) as db:
        found = data.members(db, production)
    problem = readable(exc.detail) if exc is not None else ""
    status = exc.status_code if exc is not None else 200
    return render(
        request, "members.html.j2", ctx, status=status, production=production, members=found,
        problem=problem,
    )  # fmt: skip


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, ctx: Ctx) -> HTMLResponse:
    """The caller's own account: roles and API tokens (revocable here)."""
    tokens = ctx.accounts.tokens(ctx.who.user.username)
    return render(request, "account.html.j2", ctx, tokens=tokens)


@router.post("/account/tokens/{token_id}/revoke")
def account_token_revoke(request: Request, token_id: str, ctx: Ctx) -> Response:
    services.revoke_token(ctx, token_id)
    return RedirectResponse("/account", status_code=303)


def signed_in(request: Request) -> bool:
    return caller(request, anonymous_accounts(request)) is not None
