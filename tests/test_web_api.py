"""What the web app does: reviews and the queue, declaring through the API, the OpenAPI schema
(schemathesis), escaping, and the ``clearance user`` / ``clearance serve --get`` commands."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from sqlalchemy import select

from clearance.register import schema
from tests.conftest import Run

pytest.register_assert_rewrite("tests.webapp")  # before its import: its asserts report well
from tests.webapp import ANSWERS, MANIFEST_A, A, B, WebApp  # noqa: E402

pytest_plugins = ["tests.webapp"]  # the ``web`` fixture
SQLITE = pytest.mark.parametrize("backend", ["sqlite"])
API = f"/api/v1/productions/{A}"


def _queue(web: WebApp) -> dict[str, list[str]]:
    found = web.api("reviewer-a").get(f"{API}/queue").json()
    return {k: [i["id"] for i in v] for k, v in found.items()}


def _evidence(web: WebApp, evidence_id: str) -> Any:
    with web.engine.connect() as conn:
        return conn.execute(
            select(schema.evidence).where(schema.evidence.c.id == evidence_id)
        ).one()


# -- reviews ---------------------------------------------------------------------------------------


def test_an_approval_with_conditions_and_expiry_writes_evidence_review_and_audit(
    web: WebApp,
) -> None:
    assert _queue(web) == {"review": ["UC-2"], "contributor": []}
    events = web.count(schema.audit_events)
    until = dt.date.today() + dt.timedelta(days=90)
    response = web.api("reviewer-a").post(
        f"{API}/use-cases/UC-2/reviews",
        json={
            "decision": "approved",
            "comment": "MAIL-7",
            "conditions": ["credit the matte painter", "no use in marketing"],
            "expires": until.isoformat(),
        },
    )
    assert response.status_code == 201, response.text
    review = response.json()
    assert review["decision"] == "approved" and review["reviewer"] == "reviewer-a"
    assert review["conditions"] == ["credit the matte painter", "no use in marketing"]
    evidence = _evidence(web, review["evidence_id"])
    assert evidence.kind == "written-approval" and evidence.expires == until.isoformat()
    details = json.loads(evidence.details)
    assert details["conditions"] == review["conditions"]
    assert details["approver"] == "reviewer-a"
    assert web.count(schema.reviews, uc_id="UC-2") == 1
    assert web.count(schema.audit_events) >= events + 2  # the evidence and the review
    with web.engine.connect() as conn:
        actions = {
            r.action
            for r in conn.execute(
                select(schema.audit_events).where(schema.audit_events.c.seq > events)
            )
        }
    assert {"review.approved", "evidence.written-approval"} <= actions
    # The written approval is met: UC-2 leaves the queue; the use case shows the review.
    assert _queue(web) == {"review": [], "contributor": []}
    shown = web.api("contributor-a").get(f"{API}/use-cases/UC-2").json()
    assert "written-approval" not in shown["open"]
    assert shown["reviews"][0]["conditions"] == review["conditions"]
    verify = web.audit_verify()
    assert verify.code == 0, verify.stdout


@SQLITE
@pytest.mark.parametrize("decision", ["changes-requested", "denied"])
def test_request_changes_and_deny_need_a_comment(web: WebApp, decision: str) -> None:
    before = web.writes()
    for comment in ("", "   "):
        response = web.api("reviewer-a").post(
            f"{API}/use-cases/UC-2/reviews", json={"decision": decision, "comment": comment}
        )
        assert response.status_code == 422, response.text
    browser = web.sign_in("reviewer-a")
    page = browser.post(f"/p/{A}/use-cases/UC-2/review", {"decision": decision})
    assert page.status_code == 422
    assert web.writes() == before
    response = web.api("reviewer-a").post(
        f"{API}/use-cases/UC-2/reviews", json={"decision": decision, "comment": "why"}
    )
    assert response.status_code == 201
    assert response.json()["evidence_id"] is None  # only approvals are evidence


@SQLITE
def test_the_queue_moves_items_between_reviewer_and_contributor(
    web: WebApp, cli: Callable[..., Run]
) -> None:
    reviewer = web.api("reviewer-a")
    assert _queue(web) == {"review": ["UC-2"], "contributor": []}
    reviewer.post(
        f"{API}/use-cases/UC-2/reviews",
        json={"decision": "changes-requested", "comment": "name the matte painter"},
    )
    assert _queue(web) == {"review": [], "contributor": ["UC-2"]}
    # The contributor revises the use case: a new revision is back with the reviewers.
    revised = MANIFEST_A.replace("title: ALPHA harbor matte", "title: ALPHA harbor matte v2")
    (web.root / "a2.yaml").write_text(revised.lstrip(), encoding="utf-8")
    run = cli("import", web.root / "a2.yaml")
    assert run.code == 0, run.stderr
    assert _queue(web) == {"review": ["UC-2"], "contributor": []}
    reviewer.post(
        f"{API}/use-cases/UC-2/reviews", json={"decision": "denied", "comment": "not on air"}
    )
    assert _queue(web) == {"review": [], "contributor": ["UC-2"]}
    # The page shows the same queue.
    page = web.sign_in("reviewer-a").client.get(f"/p/{A}/queue").text
    assert "UC-2" in page


@SQLITE
def test_review_problems_are_422_or_404_never_500(web: WebApp) -> None:
    reviewer = web.api("reviewer-a")
    past = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    cases = [
        ("UC-2", {"decision": "approved", "expires": past}, 422),  # expiry before its date
        ("UC-2", {"decision": "maybe"}, 422),
        ("UC-99", {"decision": "approved"}, 404),
    ]
    before = web.writes()
    for uc_id, body, status in cases:
        response = reviewer.post(f"{API}/use-cases/{uc_id}/reviews", json=body)
        assert response.status_code == status, (body, response.text)
    browser = web.sign_in("reviewer-a")
    for expires in (past, "soon"):
        form = {"decision": "approved", "expires": expires}
        assert browser.post(f"/p/{A}/use-cases/UC-2/review", form).status_code == 422
    assert web.writes() == before


# -- declaring through the API ------------------------------------------------------------------


def test_declaring_through_the_api_records_the_use_case_decision_and_report(
    web: WebApp,
) -> None:
    client = web.api("contributor-a")
    answers: dict[str, Any] = {}
    for _ in range(len(ANSWERS) + 1):
        step = client.post(f"{API}/intake", json=answers)
        assert step.status_code == 200, step.text
        question = step.json()["question"]
        if question is None:
            break
        answers[question["id"]] = ANSWERS[question["id"]]
    assert step.json()["provisional"]["settled"]
    declared = client.post(
        f"{API}/use-cases",
        json={"id": "UC-30", "title": "ALPHA <b>storyboards</b>", "answers": answers},
    )
    assert declared.status_code == 201, declared.text
    decision = declared.json()
    assert (
        decision["id"] == "UC-30" and decision["outcome"] == step.json()["provisional"]["outcome"]
    )
    shown = client.get(f"{API}/use-cases/UC-30").json()
    assert shown["outcome"] == decision["outcome"] and shown["rules"]
    assert "report-use" not in shown["open"]  # declaring reported it
    kinds = {e["kind"] for e in shown["evidence"]}
    assert "report-use" in kinds
    # UC-1 and UC-10 are untouched; the register is intact.
    assert {u["id"] for u in client.get(f"{API}/use-cases").json()} == {
        "UC-1",
        "UC-2",
        "UC-10",
        "UC-30",
    }
    # The same id again: 409, nothing written.
    before = web.writes()
    again = client.post(f"{API}/use-cases", json={"id": "UC-30", "title": "x", "answers": answers})
    assert again.status_code == 409
    existing = client.post(
        f"{API}/use-cases", json={"id": "UC-1", "title": "x", "answers": answers}
    )
    assert existing.status_code == 409
    # Unfinished or wrong answers: 422, nothing written.
    partial = {k: v for k, v in answers.items() if k != "destination"}
    for body in (
        {"id": "UC-31", "title": "x", "answers": partial},
        {"id": "UC-31", "title": "x", "answers": {**answers, "destination": "the moon"}},
        {"id": "UC-31", "title": "x", "answers": {**answers, "tools": ["not-a-tool"]}},
        {"id": "", "title": "x", "answers": answers},
        {"id": "UC-31", "title": "", "answers": answers},
    ):
        assert client.post(f"{API}/use-cases", json=body).status_code == 422, body
    assert web.writes() == before
    verify = web.audit_verify()
    assert verify.code == 0, verify.stdout


@SQLITE
def test_declaring_through_the_page_form(web: WebApp) -> None:
    browser = web.sign_in("contributor-a")
    form: dict[str, Any] = {"id": "UC-40", "title": "ALPHA page form"}
    for fact, value in ANSWERS.items():
        form[f"a.{fact}"] = value
        if isinstance(value, list):
            form[f"m.{fact}"] = "1"
    response = browser.post(f"/p/{A}/intake/declare", form)
    assert response.status_code == 303
    assert response.headers["location"] == f"/p/{A}/use-cases/UC-40"
    # Without an id, or again: the form comes back with the problem, nothing written.
    before = web.writes()
    assert browser.post(f"/p/{A}/intake/declare", {**form, "id": ""}).status_code == 422
    assert browser.post(f"/p/{A}/intake/declare", form).status_code == 409
    assert web.writes() == before


@SQLITE
def test_evidence_fields_cannot_redirect_it_to_another_production(web: WebApp) -> None:
    """A contributor of A only: ``fields`` must not override the production checked."""
    before = web.writes()
    for extra in ({"production": B}, {"use_cases": ["UC-2"]}, {"kind": "written-approval"}):
        response = web.api("contributor-a").post(
            f"{API}/evidence",
            json={
                "kind": "report-use",
                "use_cases": ["UC-1"],
                "fields": {"contact": "studio", "date": "2024-05-01", **extra},
            },
        )
        assert response.status_code == 422, (extra, response.text)
    assert web.writes() == before
    assert web.api("member-b").get(f"/api/v1/productions/{B}/use-cases").json()[0]["open"]


@SQLITE
def test_a_use_case_history_is_its_own(web: WebApp) -> None:
    """UC-1's history must not include UC-10's events (an id is not a prefix match)."""
    client = web.api("contributor-a")
    one = client.get(f"{API}/use-cases/UC-1").json()["history"]
    ten = client.get(f"{API}/use-cases/UC-10").json()["history"]
    assert one and ten
    assert len(one) == len(ten)  # the same import made both: the same kinds of event


# -- escaping ------------------------------------------------------------------------------------

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@SQLITE
def test_a_hostile_title_is_escaped_on_every_page_that_shows_it(web: WebApp) -> None:
    client = web.api("contributor-a")
    declared = client.post(
        f"{API}/use-cases", json={"id": "UC-50", "title": XSS, "answers": ANSWERS}
    )
    assert declared.status_code == 201, declared.text
    reviewer = web.api("reviewer-a")
    reviewer.post(
        f"{API}/use-cases/UC-50/reviews",
        json={"decision": "changes-requested", "comment": XSS},
    )
    browser = web.sign_in("reviewer-a")
    pages = ["/", f"/p/{A}", f"/p/{A}/use-cases/UC-50", f"/p/{A}/queue", f"/p/{A}/report.html"]
    shown = 0
    for path in pages:
        html = browser.client.get(path).text
        assert "<script>alert" not in html, path
        assert "onerror=alert" not in html.replace("onerror=alert(1)&gt;", ""), path
        shown += "&lt;script&gt;alert" in html or "&#34;" in html
    assert shown >= 3  # the title is on the list, the use case and the report at least
    assert "<script>alert" not in web.api("reviewer-a").get(f"{API}/report").text


# -- the OpenAPI schema -------------------------------------------------------------------------


PINNED = {"production": A, "uc_id": "UC-2"}  # real ones, so the calls reach the code


@SQLITE
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_its_schema(web: WebApp, mode: GenerationMode) -> None:
    """Every operation, generated from the OpenAPI document, in-process: no 5xx, and every
    response (status, content type, body) as documented. (Schemathesis' lazy pytest loader
    does not work with pytest 9, so the operations are driven here.)"""
    api = schemathesis.openapi.from_asgi("/api/openapi.json", web.app)
    headers = {"Authorization": f"Bearer {web.tokens['admin-a']}"}
    failures: list[str] = []
    operations = 0
    for result in api.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        operations += 1
        pinned = {k: v for k, v in PINNED.items() if "{" + k + "}" in operation.path}
        strategy = operation.as_strategy(mode, path_parameters=pinned or None)

        @given(strategy)
        @settings(
            max_examples=10,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            # Schema-valid but refused is right here: intake answers are checked against the
            # pack, a denial needs a comment, evidence fields depend on its kind (all 422).
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        if mode is GenerationMode.NEGATIVE and (
            operation.method.upper() not in ("POST", "PUT") or not operation.body
        ):
            continue  # nothing to get wrong: the path parameters are pinned, and strings
        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # collect: report every operation
            failures.append(f"{operation.label}: {exc}")
    assert operations == 25  # every /api/v1 operation (test_the_schema_documents_every_api_route)
    assert failures == [], "\n\n".join(failures)


@SQLITE
def test_the_schema_documents_every_api_route(web: WebApp) -> None:
    from fastapi.routing import APIRoute

    from clearance.web import api

    document = web.client().get("/api/openapi.json").json()
    operations = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    routes = {
        (method, route.path)
        for route in api.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    assert operations == routes and len(routes) == 25


# -- the CLI -------------------------------------------------------------------------------------


def _user(*args: str, password: str | None = None) -> Run:
    """``clearance user ARGS``, the password (if any) on standard input."""
    from typer.testing import CliRunner

    from clearance.cli import app

    stdin = None if password is None else password + "\n"
    flags = [] if password is None else ["--password-stdin"]
    result = CliRunner().invoke(app, ["user", *args, *flags], input=stdin, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


@SQLITE
def test_user_commands(web: WebApp) -> None:
    add = _user("add", "jpark", "--name", "J. Park", password="a long enough password")
    assert add.code == 0, add.stderr
    assert "Added jpark" in add.stdout
    assert _user("add", "jpark", password="another long one").code == 2  # duplicate
    weak = _user("add", "weak", password="short")
    assert weak.code == 2 and "password" in weak.stderr
    assert _user("add", "Bad Name", password="x" * 12).code == 2
    assert _user("grant", "jpark", A, "reviewer").code == 0
    assert _user("grant", "jpark", "no-such-production", "reviewer").code == 2
    assert _user("grant", "jpark", A, "overlord").code == 2
    assert _user("grant", "nobody-here", A, "reviewer").code == 2
    token = _user("token", "jpark", "--name", "farm")
    assert token.code == 0, token.stderr
    secret = token.stdout.strip().splitlines()[-1]
    assert secret.startswith("clr_")
    bearer = {"Authorization": f"Bearer {secret}"}
    assert web.client().get(f"{API}/queue", headers=bearer).status_code == 200
    assert _user("token", "nobody-here").code == 2
    listing = _user("list")
    assert listing.code == 0 and "jpark" in listing.stdout and "reviewer" in listing.stdout
    # The CLI stores argon2id hashes.
    with web.engine.connect() as conn:
        stored = conn.execute(
            select(schema.users.c.password_hash).where(schema.users.c.username == "jpark")
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    browser = web.sign_in("jpark", "a long enough password")
    assert _user("password", "jpark", password="tiny").code == 2
    assert _user("password", "jpark", password="a brand new password").code == 0
    assert browser.client.get("/api/v1/me").status_code == 401  # signed out
    web.sign_in("jpark", "a brand new password")
    assert _user("password", "ghost", password="x" * 12).code == 2
    verify = web.audit_verify()
    assert verify.code == 0, verify.stdout


@SQLITE
def test_serve_get_exits_0_on_200_and_1_otherwise(web: WebApp, cli: Callable[..., Run]) -> None:
    token = web.tokens["reviewer-a"]
    ok = cli("serve", "--get", f"{API}/queue", "--token", token)
    assert ok.code == 0, ok.stderr
    assert json.loads(ok.stdout)["review"][0]["id"] == "UC-2"
    assert cli("serve", "--get", "/api/v1/productions/prod-b/queue", "--token", token).code == 1
    assert cli("serve", "--get", f"{API}/queue").code == 1  # no token: 401
    assert cli("serve", "--get", "/login").code == 0
    assert cli("serve", "--get", "/login", "--edit", "cut.edl").code == 2  # cuts: `cut add`


def test_serve_outside_a_workspace_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Run]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLEARANCE_DATABASE_URL", raising=False)
    assert cli("serve", "--get", "/login").code == 2


@SQLITE
def test_page_form_takes_none_of_these_as_an_answer(web: WebApp) -> None:
    """A multiple-choice question answered with nothing ticked is answered (the empty list),
    so the intake moves on instead of asking it again."""
    browser = web.sign_in("contributor-a")
    empty = {"m.inputs.studio_material": "1"}
    page = browser.post(f"/p/{A}/intake", empty, headers={"HX-Request": "true"})
    assert page.status_code == 200
    assert 'data-fact="inputs.studio_material"' not in page.text


@SQLITE
def test_use_case_history_shows_its_evidence_and_reviews(web: WebApp) -> None:
    client = web.api("reviewer-a")
    review = client.post(
        f"{API}/use-cases/UC-2/reviews", json={"decision": "approved", "conditions": ["VFX"]}
    )
    assert review.status_code == 201, review.text
    actions = [h["action"] for h in client.get(f"{API}/use-cases/UC-2").json()["history"]]
    assert "review.approved" in actions and "evidence.written-approval" in actions
    other = client.get(f"{API}/use-cases/UC-1").json()["history"]
    assert not any(h["action"].startswith("review.") for h in other)
