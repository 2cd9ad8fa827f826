"""The JSON API (``/api/v1``): everything the pages do, for pipelines and scripts. OpenAPI at
``/api/openapi.json``; every route needs a session or ``Authorization: Bearer TOKEN``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, ValidationError

from clearance.manifest.errors import ManifestError
from clearance.register.evidence import Approval, Clearance, Consent, ReportUse
from clearance.web import data, services
from clearance.web.deps import Context, context

# Routes return plain JSON-able dicts and lists (response_model=None): FastAPI would otherwise
# validate each response in a second trip through the worker thread pool, where under load it
# queues behind every newly arrived request.
router = APIRouter(prefix="/api/v1", tags=["api"])
Ctx = Annotated[Context, Depends(context)]


class Problem(BaseModel):
    detail: Any


class ReviewIn(BaseModel):
    decision: Literal["approved", "changes-requested", "denied"]
    comment: str = Field("", max_length=4000)
    conditions: list[Annotated[str, Field(max_length=500)]] = Field(
        default_factory=list, max_length=20
    )
    expires: dt.date | None = None


class EvidenceIn(BaseModel):
    """Evidence as the CLI records it: ``kind`` and the fields of that kind (see ``clearance
    report-use``, ``approve``, ``consent add``, ``clear``)."""

    kind: Literal["report-use", "written-approval", "talent-consent", "legal-review",
                  "rights-clearance", "tool-terms-review", "union-agreement",
                  "human-authorship"]  # fmt: skip
    use_cases: list[Annotated[str, Field(max_length=100)]] = Field(min_length=1, max_length=200)
    fields: dict[str, Any] = Field(default_factory=dict)


class MemberIn(BaseModel):
    """An existing account (``clearance user add``) and its role in this production."""

    username: str = Field(min_length=1, max_length=100)
    role: Literal["contributor", "reviewer", "admin"]


class DeclareIn(BaseModel):
    """A use case declared from intake answers (fact path → answer)."""

    id: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(None, max_length=4000)
    answers: dict[str, Any] = Field(default_factory=dict)


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
def productions(ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.register.read(snapshot=True) as db:
        return data.productions(db, set(ctx.who.user.roles), ctx.store, ctx.on, ctx.cache)


@router.get("/productions/{production}/use-cases", response_model=None, responses=ERRORS)
def use_cases(production: str, ctx: Ctx) -> list[dict[str, Any]]:
    ctx.member(production)
    with ctx.register.read(snapshot=True) as db:
        return data.use_cases(db, production, ctx.store, ctx.on, ctx.cache)


@router.get("/productions/{production}/use-cases/{uc_id}", response_model=None, responses=ERRORS)
def use_case(production: str, uc_id: str, ctx: Ctx) -> dict[str, Any]:
    ctx.member(production)
    with ctx.register.read(snapshot=True) as db:
        found = data.use_case(db, production, uc_id, ctx.store, ctx.on, ctx.cache)
    if found is None:
        raise HTTPException(404, "no such use case")
    return found


@router.post("/productions/{production}/intake", response_model=None, responses=WRITE_ERRORS)
def intake(production: str, answers: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
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
    """Record evidence (report of use, approval, consent, clearance). Approvals need the
    reviewer role; everything else a contributor."""
    ctx.member(production, "reviewer" if body.kind == "written-approval" else "contributor")
    models: dict[str, type[ReportUse | Approval | Consent | Clearance]] = {
        "report-use": ReportUse,
        "written-approval": Approval,
        "talent-consent": Consent,
    }
    model = models.get(body.kind, Clearance)
    # The production, use cases and kind are the checked ones: ``fields`` may not redirect
    # the evidence to a production the caller was not authorised for.
    fixed = {"production", "use_cases", "kind"} & body.fields.keys()
    if fixed:
        raise HTTPException(422, f"fields: {', '.join(sorted(fixed))} may not be set here")
    try:
        item = model.model_validate(
            {
                "production": production,
                "use_cases": body.use_cases,
                "kind": body.kind,
                **body.fields,
            }
        )
        if getattr(item, "attachment", None) is not None:
            raise HTTPException(422, "attachments are recorded with the CLI (clearance … --attach)")
        evidence_id = ctx.register.record(item, "api")
    except ValidationError as exc:
        raise HTTPException(422, exc.errors(include_url=False, include_context=False)) from exc
    except ManifestError as exc:
        raise HTTPException(422, [str(e) for e in exc.errors]) from exc
    return {"id": evidence_id}


@router.get("/productions/{production}/queue", response_model=None, responses=ERRORS)
def queue(production: str, ctx: Ctx) -> dict[str, list[Any]]:
    ctx.member(production)
    with ctx.register.read(snapshot=True) as db:
        return data.queue(db, production, ctx.store, ctx.on, ctx.cache)


@router.get("/productions/{production}/consents", response_model=None, responses=ERRORS)
def consents(production: str, ctx: Ctx) -> list[dict[str, Any]]:
    ctx.member(production)
    with ctx.register.read(snapshot=True) as db:
        return data.consents(db, production, ctx.cache)


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


@router.get(
    "/productions/{production}/report",
    response_model=None,
    response_class=HTMLResponse,
    responses=ERRORS,
)
def report(production: str, ctx: Ctx) -> HTMLResponse:
    """The delivery report (self-contained HTML), with the cue sheet when the server was
    started with ``--edit``."""
    ctx.member(production)
    return HTMLResponse(services.report_html(ctx, production))


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
