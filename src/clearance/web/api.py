"""The JSON API (``/api/v1``): everything the pages do, for pipelines and scripts. OpenAPI at
``/api/openapi.json``; every route needs a session or ``Authorization: Bearer TOKEN``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field, ValidationError
from pydantic_core import to_json

from clearance.web import data, services
from clearance.web.deps import Context, context

# Routes return plain JSON-able dicts and lists (response_model=None): FastAPI would otherwise
# validate each response in a second trip through the worker thread pool, where under load it
# queues behind every newly arrived request.
router = APIRouter(prefix="/api/v1", tags=["api"])
Ctx = Annotated[Context, Depends(context)]


def _json(content: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer serialised in one pass by pydantic-core: a route that returns plain data
    would otherwise go through FastAPI's ``jsonable_encoder``, which walks every value in
    Python (a page of 200 use cases took 30 ms there, 1 ms here)."""
    return Response(to_json(content), media_type="application/json", headers=headers)


class Problem(BaseModel):
    detail: Any


class ReviewIn(BaseModel):
    decision: Literal["approved", "changes-requested", "denied"]
    comment: str = Field("", max_length=4000)
    conditions: list[Annotated[str, Field(max_length=500)]] = Field(
        default_factory=list, max_length=20
    )
    expires: dt.date | None = None


Short = Annotated[str, Field(max_length=200)]
#: Intake answers: fact → a choice, or a list of choices (bounded: the facts and choices
#: are the pack's, so nothing legitimate comes near these limits).
Answers = Annotated[
    dict[
        Annotated[str, Field(max_length=100)],
        Short | bool | Annotated[list[Short], Field(max_length=100)],
    ],
    Field(max_length=60),
]


class EvidenceIn(BaseModel):
    """Evidence as the CLI records it: ``kind`` and the fields of that kind (see ``clearance
    report-use``, ``approve``, ``consent add``, ``clear``, ``disclose``, ``label``,
    ``writer-disclosure``, ``union-notice``, ``consent estate``; fields are the options'
    names with underscores: ``verified_by``, ``platform_ref``, lists for ``territories``,
    ``deliverables``, ``files``, ``method``, ``writers``). Contributors record report-use
    only; every other kind needs the reviewer role, and nobody records evidence that clears
    a use case they declared."""

    kind: Literal["report-use", "written-approval", "talent-consent", "legal-review",
                  "rights-clearance", "tool-terms-review", "union-agreement",
                  "human-authorship", "disclose-ai", "ai-label", "writer-disclosure",
                  "estate-consent", "union-notice"]  # fmt: skip
    use_cases: list[Annotated[str, Field(max_length=100)]] = Field(min_length=1, max_length=200)
    fields: dict[Annotated[str, Field(max_length=50)], Any] = Field(
        default_factory=dict, max_length=30
    )


class RevokeIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


class ReviseIn(BaseModel):
    """A new revision of a use case: its title, description and intake answers."""

    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(None, max_length=4000)
    answers: Answers = Field(default_factory=dict)


class MemberIn(BaseModel):
    """An existing account (``clearance user add``) and its role in this production."""

    username: str = Field(min_length=1, max_length=100)
    role: Literal["contributor", "reviewer", "admin"]


class DeclareIn(BaseModel):
    """A use case declared from intake answers (fact path → answer)."""

    id: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(None, max_length=4000)
    answers: Answers = Field(default_factory=dict)


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Problem, "description": "role too weak, or CSRF token missing"},
    404: {"model": Problem, "description": "no such production (or not a member) or use case"},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    400: {"model": Problem, "description": "the body is not JSON"},
    422: {"model": Problem, "description": "invalid input (each problem listed)"},
}


@router.get("/me", response_model=None, responses=ERRORS)
def me(ctx: Ctx) -> dict[str, Any]:
    user = ctx.who.user
    return {"username": user.username, "name": user.display_name, "roles": user.roles}


@router.get("/productions", response_model=None, responses=ERRORS)
def productions(ctx: Ctx) -> Response:
    with ctx.register.read(snapshot=True) as db:
        return _json(data.productions(db, set(ctx.who.user.roles), ctx.store, ctx.on, ctx.cache))


@router.get("/productions/{production}/use-cases", response_model=None, responses=ERRORS)
def use_cases(
    production: str,
    ctx: Ctx,
    outcome: Annotated[Literal["", "proceed", "judgment", "escalate"], Query()] = "",
    open: Annotated[bool, Query(description="Only use cases with obligations open.")] = False,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Response:
    """The production's use cases with their status, in declaration order, a page at a time
    (``offset``, ``limit``; the ``X-Total-Count`` header gives how many match)."""
    ctx.member(production)
    with ctx.register.read(snapshot=True) as db:
        found = data.use_case_page(
            db, production, ctx.store, ctx.on, ctx.cache, outcome, open, offset, limit
        )
    return _json(found["items"], {"X-Total-Count": str(found["matching"])})


@router.get("/productions/{production}/use-cases/{uc_id}", response_model=None, responses=ERRORS)
def use_case(production: str, uc_id: str, ctx: Ctx) -> Response:
    ctx.member(production)
    with ctx.register.read(snapshot=True) as db:
        found = data.use_case(db, production, uc_id, ctx.store, ctx.on, ctx.cache)
    if found is None:
        raise HTTPException(404, "no such use case")
    return _json(found)


@router.post("/productions/{production}/intake", response_model=None, responses=WRITE_ERRORS)
def intake(production: str, answers: Answers, ctx: Ctx) -> dict[str, Any]:
    """Given answers so far (fact → answer), the next question to ask and the provisional
    decision; ``question`` is null when the decision is settled."""
    ctx.member(production)
    return services.intake_step(ctx, production, answers)


@router.post(
    "/productions/{production}/use-cases",
    response_model=None,
    status_code=201,
    responses=WRITE_ERRORS,
)
def declare(production: str, body: DeclareIn, ctx: Ctx) -> dict[str, Any]:
    """Declare a new use case from intake answers; it is decided and recorded."""
    ctx.member(production)
    return services.declare(ctx, production, body.id, body.title, body.description, body.answers)


@router.post(
    "/productions/{production}/use-cases/{uc_id}/reviews",
    response_model=None,
    status_code=201,
    responses=WRITE_ERRORS,
)
def review(production: str, uc_id: str, body: ReviewIn, ctx: Ctx) -> dict[str, Any]:
    """Approve (with conditions and expiry), request changes, or deny."""
    ctx.member(production, "reviewer")
    return services.review(
        ctx, production, uc_id, body.decision, body.comment, body.conditions, body.expires
    )


@router.post(
    "/productions/{production}/evidence",
    response_model=None,
    status_code=201,
    responses=WRITE_ERRORS,
)
def add_evidence(production: str, body: EvidenceIn, ctx: Ctx) -> dict[str, Any]:
    """Record evidence (report of use, approval, consent, clearance); with an attachment, use
    ``/evidence/upload``."""
    ctx.member(production)
    kind, fields = body.kind, body.fields
    return {"id": services.record_evidence(ctx, production, kind, body.use_cases, fields)}


@router.post(
    "/productions/{production}/evidence/upload",
    response_model=None,
    status_code=201,
    responses={**WRITE_ERRORS, 413: {"model": Problem, "description": "attachment over 50 MiB"}},
)
def add_evidence_with_attachment(
    production: str,
    evidence: Annotated[str, Form(max_length=100_000, description="EvidenceIn as JSON")],
    attachment: Annotated[UploadFile, File(description="signed PDF, e-mail …; 50 MiB at most")],
    ctx: Ctx,
) -> dict[str, Any]:
    """Record evidence with its attachment (multipart): stored by content (sha256) exactly
    as ``clearance … --attach`` stores it."""
    ctx.member(production)
    try:
        body = EvidenceIn.model_validate_json(evidence)
    except ValidationError as exc:
        raise HTTPException(422, exc.errors(include_url=False, include_context=False)) from exc
    if attachment.size is not None and attachment.size > services.MAX_ATTACHMENT:
        raise HTTPException(413, "attachment over 50 MiB")
    upload = services.Upload(attachment.filename or "attachment", attachment.file)
    found = services.record_evidence(
        ctx, production, body.kind, body.use_cases, body.fields, upload
    )
    return {"id": found}


@router.post(
    "/productions/{production}/evidence/{evidence_id}/revoke",
    response_model=None,
    responses={**WRITE_ERRORS, 409: {"model": Problem, "description": "already revoked"}},
)
def revoke_evidence(production: str, evidence_id: str, body: RevokeIn, ctx: Ctx) -> dict[str, Any]:
    """Revoke evidence (reviewers), with the reason; it no longer meets any obligation."""
    ctx.member(production, "reviewer")
    return services.revoke_evidence(ctx, production, evidence_id, body.reason)


@router.put(
    "/productions/{production}/use-cases/{uc_id}",
    response_model=None,
    responses=WRITE_ERRORS,
)
def revise(production: str, uc_id: str, body: ReviseIn, ctx: Ctx) -> dict[str, Any]:
    """A new revision from edited answers: decided again, and back in the review queue."""
    ctx.member(production)
    return services.revise(ctx, production, uc_id, body.title, body.description, body.answers)


@router.get("/productions/{production}/audit", response_model=None, responses=ERRORS)
def audit(
    production: str,
    ctx: Ctx,
    actor: Annotated[str, Query(max_length=100)] = "",
    action: Annotated[str, Query(max_length=60)] = "",
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> Response:
    """The production's audit trail, newest first, with readable action names."""
    ctx.member(production)
    with ctx.register.read(snapshot=True) as db:
        return _json(data.audit(db, production, actor, action, limit))


@router.get("/productions/{production}/queue", response_model=None, responses=ERRORS)
def queue(
    production: str,
    ctx: Ctx,
    sort: Literal["outcome", "age", "id", "declared_by"] = "outcome",
    outcome: Literal["", "proceed", "judgment", "escalate"] = "",
    declared_by: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Response:
    """Waiting for a reviewer, and sent back to the contributor; each with who declared it
    and its age (days since its current revision). The first ``limit`` of each list;
    ``X-Total-Review`` and ``X-Total-Contributor`` say how many wait in all."""
    ctx.member(production)
    with ctx.register.read(snapshot=True) as db:
        found = data.queue_overview(
            db, production, ctx.store, ctx.on, ctx.cache, sort, outcome, declared_by, limit
        )
    totals = {
        "X-Total-Review": str(found["review_total"]),
        "X-Total-Contributor": str(found["contributor_total"]),
    }
    return _json({"review": found["review"], "contributor": found["contributor"]}, totals)


@router.get("/productions/{production}/consents", response_model=None, responses=ERRORS)
def consents(production: str, ctx: Ctx) -> Response:
    ctx.member(production)
    with ctx.register.read(snapshot=True) as db:
        return _json(data.consents(db, production, ctx.cache))


@router.get("/productions/{production}/tools", response_model=None, responses=ERRORS)
def tools(production: str, ctx: Ctx) -> list[dict[str, Any]]:
    ctx.member(production)
    with ctx.register.read(snapshot=True) as db:
        return data.tools(db, production)


@router.get("/productions/{production}/scans", response_model=None, responses=ERRORS)
def scans(production: str, ctx: Ctx) -> dict[str, Any]:
    ctx.member(production)
    with ctx.register.read(snapshot=True) as db:
        return data.scans(db, production)


_JSON_PROBLEM = {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
# The report is HTML, its errors JSON: say so, or the schema would promise HTML for both.
REPORT_ERRORS: dict[int | str, dict[str, Any]] = {
    **{code: {**spec, "content": _JSON_PROBLEM} for code, spec in ERRORS.items()},
    422: {"model": Problem, "description": "the cut's edit or media cannot be read",
          "content": _JSON_PROBLEM},
}  # fmt: skip


@router.get(
    "/productions/{production}/report",
    response_model=None,
    response_class=HTMLResponse,
    responses=REPORT_ERRORS,
)
def report(production: str, ctx: Ctx, cut: str | None = None) -> HTMLResponse:
    """The delivery report (self-contained HTML), with the cue sheet of ``cut`` (or of the
    production's only registered cut)."""
    ctx.member(production)
    return HTMLResponse(services.report_html(ctx, production, cut))


@router.get("/productions/{production}/cuts", response_model=None, responses=ERRORS)
def cuts(production: str, ctx: Ctx) -> list[dict[str, Any]]:
    """The production's locked cuts (registered with ``clearance cut add``)."""
    ctx.member(production)
    return services.cut_names(ctx, production)


@router.get("/productions/{production}/cuts/{cut}/cuesheet", response_model=None, responses=ERRORS)
def cut_cuesheet(production: str, cut: str, ctx: Ctx) -> dict[str, Any]:
    """The GenAI cue sheet of one cut (``clearance.cuesheet/1``), as ``clearance cuesheet
    --cut`` writes it."""
    ctx.member(production)
    sheet = services.cuesheet(ctx, production, cut)
    payload: dict[str, Any] = sheet.model_dump(mode="json")
    return payload


@router.get("/productions/{production}/members", response_model=None, responses=ERRORS)
def members(production: str, ctx: Ctx) -> list[dict[str, Any]]:
    """The production's members (admins only)."""
    ctx.member(production, "admin")
    with ctx.register.read(snapshot=True) as db:
        return data.members(db, production)


@router.post(
    "/productions/{production}/members",
    response_model=None,
    status_code=201,
    responses=WRITE_ERRORS,
)
def grant(production: str, body: MemberIn, ctx: Ctx) -> dict[str, Any]:
    """Give an existing account a role here, replacing any it had (admins only)."""
    ctx.member(production, "admin")
    return services.grant(ctx, production, body.username, body.role)


@router.delete(
    "/productions/{production}/members/{username}", response_model=None, responses=WRITE_ERRORS
)
def remove_member(production: str, username: str, ctx: Ctx) -> dict[str, Any]:
    """Take a member's role away (admins; not from the production's last admin)."""
    ctx.member(production, "admin")
    return services.leave(ctx, production, username)


@router.post(
    "/productions/{production}/members/{username}/disable",
    response_model=None,
    responses={**WRITE_ERRORS, 409: {"model": Problem, "description": "the last admin"}},
)
def disable_member(production: str, username: str, ctx: Ctx) -> dict[str, Any]:
    """Disable a member's account (admins): no sign-in, sessions ended, tokens refused."""
    ctx.member(production, "admin")
    return services.disable(ctx, production, username)


@router.get("/me/tokens", response_model=None, responses=ERRORS)
def my_tokens(ctx: Ctx) -> list[dict[str, Any]]:
    """The caller's API tokens (ids and names; secrets are never stored)."""
    return ctx.accounts.tokens(ctx.who.user.username)


@router.post("/me/tokens/{token_id}/revoke", response_model=None, responses=WRITE_ERRORS)
def revoke_my_token(token_id: str, ctx: Ctx) -> dict[str, Any]:
    """Revoke one of the caller's own API tokens."""
    return services.revoke_token(ctx, token_id)
