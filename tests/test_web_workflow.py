"""The clearance workflow in the web app without a shell (issue 10): evidence of every kind,
uploads, revocation, edits as new revisions, review rules (no self-approval, last admin),
accounts (tokens, disabling), the queue and the audit page — and bad input refused clearly
(422/413, forms re-rendered with what was typed), never a 500."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from sqlalchemy import select

from clearance.register import schema
from clearance.web import services
from clearance.web.app import create_app
from tests.conftest import Run

pytest.register_assert_rewrite("tests.webapp")  # before its import: its asserts report well
from tests.webapp import ANSWERS, PASSWORD, A, B, WebApp, csrf_in  # noqa: E402

pytest_plugins = ["tests.webapp"]  # the ``web`` fixture
SQLITE = pytest.mark.parametrize("backend", ["sqlite"])
API = f"/api/v1/productions/{A}"


def _evidence(web: WebApp, user: str, kind: str, fields: dict[str, Any], uc: str = "UC-2") -> Any:
    return web.api(user).post(
        f"{API}/evidence", json={"kind": kind, "use_cases": [uc], "fields": fields}
    )


def _user(*args: str) -> Run:
    from typer.testing import CliRunner

    from clearance.cli import app

    result = CliRunner().invoke(app, ["user", *args], catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


# -- evidence: roles, uploads, revocation --------------------------------------------------


@SQLITE
def test_contributors_report_use_only_reviewers_record_the_rest(web: WebApp) -> None:
    legal = {"by": "counsel", "date": "2024-05-01"}
    before = web.writes()
    for kind, fields in (
        ("legal-review", legal),
        ("written-approval", {"approver": "me", "date": "2024-05-01"}),
    ):
        assert _evidence(web, "contributor-a", kind, fields).status_code == 403
    assert web.writes() == before
    report = _evidence(
        web, "contributor-a", "report-use", {"contact": "studio", "date": "2024-05-01"}
    )
    assert report.status_code == 201, report.text
    assert _evidence(web, "reviewer-a", "legal-review", legal).status_code == 201
    # The page offers a contributor report-use only.
    page = web.sign_in("contributor-a").client.get(f"/p/{A}/evidence/new?kind=legal-review")
    assert 'data-kind="report-use"' in page.text and 'data-kind="legal-review"' not in page.text


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_upload_is_stored_by_content_like_the_cli_and_named_by_its_file(web: WebApp) -> None:
    body = b"%PDF-1.4\nsigned\n%%EOF\n"
    evidence = {
        "kind": "legal-review",
        "use_cases": ["UC-2"],
        "fields": {"by": "counsel", "date": "2024-05-01", "reference": "L-1"},
    }
    response = web.api("reviewer-a").post(
        f"{API}/evidence/upload",
        data={"evidence": json.dumps(evidence)},
        files={"attachment": ("../../etc/signed review.pdf", body, "application/pdf")},
    )
    assert response.status_code == 201, response.text
    digest = hashlib.sha256(body).hexdigest()
    assert (web.settings.store / digest[:2] / digest[2:]).read_bytes() == body
    with web.engine.connect() as conn:
        row = conn.execute(
            select(schema.evidence).where(schema.evidence.c.id == response.json()["id"])
        ).one()
        stored = conn.execute(
            select(schema.attachments).where(schema.attachments.c.sha256 == digest)
        ).one()
    assert row.attachment_sha256 == digest
    assert stored.name == "signed review.pdf" and stored.size == len(body)  # no folders
    # The same file again: one stored copy, two pieces of evidence naming it.
    again = web.api("reviewer-a").post(
        f"{API}/evidence/upload",
        data={"evidence": json.dumps(evidence)},
        files={"attachment": ("copy.pdf", body, "application/pdf")},
    )
    assert again.status_code == 201
    assert web.count(schema.attachments) == 1
    assert web.audit_verify().code == 0


@SQLITE
def test_an_attachment_over_the_limit_is_refused_clearly(
    web: WebApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "MAX_ATTACHMENT", 1024)
    evidence = {
        "kind": "legal-review",
        "use_cases": ["UC-2"],
        "fields": {"by": "counsel", "date": "2024-05-01"},
    }
    before = web.writes()
    response = web.api("reviewer-a").post(
        f"{API}/evidence/upload",
        data={"evidence": json.dumps(evidence)},
        files={"attachment": ("big.bin", b"x" * 4096, "application/octet-stream")},
    )
    assert response.status_code == 413, response.text
    browser = web.sign_in("reviewer-a")
    page = browser.client.post(
        f"/p/{A}/evidence",
        data={
            "csrf_token": browser.csrf,
            "kind": "legal-review",
            "use_cases": "UC-2",
            "by": "counsel",
            "date": "2024-05-01",
            "reference": "KEEP-ME",
        },
        files={"attachment": ("big.bin", b"x" * 4096, "application/octet-stream")},
    )
    assert page.status_code == 413
    assert 'id="attachment-error"' in page.text and "KEEP-ME" in page.text
    # A declared body over the upload limit is refused before it is read.
    huge = web.api("reviewer-a").post(
        f"{API}/evidence/upload",
        content=b"",
        headers={
            "content-type": "multipart/form-data; boundary=x",
            "content-length": str(60 * 1024 * 1024),
        },
    )
    assert huge.status_code == 413
    assert web.writes() == before


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_revoking_evidence_needs_a_reason_and_stays_in_its_production(web: WebApp) -> None:
    made = _evidence(web, "reviewer-a", "legal-review", {"by": "counsel", "date": "2024-05-01"})
    evidence_id = made.json()["id"]
    reviewer = web.api("reviewer-a")
    assert (
        reviewer.post(f"{API}/evidence/{evidence_id}/revoke", json={"reason": ""}).status_code
        == 422
    )
    assert (
        web.api("contributor-a")
        .post(f"{API}/evidence/{evidence_id}/revoke", json={"reason": "x"})
        .status_code
        == 403
    )
    # Another production's reviewer cannot reach it through their own production.
    other = web.api("member-b").post(
        f"/api/v1/productions/{B}/evidence/{evidence_id}/revoke", json={"reason": "x"}
    )
    assert other.status_code == 404
    ok = reviewer.post(f"{API}/evidence/{evidence_id}/revoke", json={"reason": "wrong counsel"})
    assert ok.status_code == 200, ok.text
    again = reviewer.post(f"{API}/evidence/{evidence_id}/revoke", json={"reason": "again"})
    assert again.status_code == 409
    shown = web.api("contributor-a").get(f"{API}/use-cases/UC-2").json()
    revoked = next(e for e in shown["evidence"] if e["id"] == evidence_id)
    assert revoked["revoked"] and revoked["revoke_reason"] == "wrong counsel"
    assert web.audit_verify().code == 0


# -- review rules -----------------------------------------------------------------------------


def _declare(web: WebApp, user: str, uc_id: str) -> None:
    answers = {**ANSWERS, "resembles-protected": "unsure"}  # escalates: written approval
    response = web.api(user).post(
        f"{API}/use-cases", json={"id": uc_id, "title": "ALPHA own", "answers": answers}
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_nobody_approves_or_clears_a_use_case_they_declared(web: WebApp) -> None:
    _declare(web, "reviewer-a", "UC-OWN")
    before = web.writes()
    own = web.api("reviewer-a").post(
        f"{API}/use-cases/UC-OWN/reviews", json={"decision": "approved"}
    )
    assert own.status_code == 403, own.text
    legal = _evidence(
        web, "reviewer-a", "legal-review", {"by": "me", "date": "2024-05-01"}, "UC-OWN"
    )
    assert legal.status_code == 403
    assert web.writes() == before
    # The page shows no review form to its declarer, and refuses a forged post.
    browser = web.sign_in("reviewer-a")
    page = browser.client.get(f"/p/{A}/use-cases/UC-OWN")
    assert 'id="review-form"' not in page.text and "You declared this use case" in page.text
    forged = browser.post(f"/p/{A}/use-cases/UC-OWN/review", {"decision": "approved"})
    assert forged.status_code == 403 and "another reviewer" in forged.text
    assert web.writes() == before
    other = web.api("admin-a").post(
        f"{API}/use-cases/UC-OWN/reviews", json={"decision": "approved"}
    )
    assert other.status_code == 201


@SQLITE
def test_the_review_form_has_no_default_and_keeps_what_was_typed(web: WebApp) -> None:
    browser = web.sign_in("reviewer-a")
    page = browser.client.get(f"/p/{A}/use-cases/UC-2").text
    assert '<option value="" selected>Choose…</option>' in page
    assert 'value="approved" selected' not in page
    before = web.writes()
    form = {
        "comment": "TYPED <comment>",
        "conditions": "CONDITION ONE\nCONDITION TWO",
        "expires": "2099-01-01",
    }
    refused = browser.post(f"/p/{A}/use-cases/UC-2/review", form)
    assert refused.status_code == 422
    html = refused.text
    assert 'id="decision-error"' in html and "choose one" in html
    assert "TYPED &lt;comment&gt;" in html and "CONDITION ONE\nCONDITION TWO" in html
    assert 'value="2099-01-01"' in html and "[" not in html.split('id="decision-error"')[1][:80]
    # Each problem beside its field: a bad date, an over-long comment, too far in the future.
    for extra, field in (
        ({"expires": "soon"}, "expires"),
        ({"comment": "x" * 5000}, "comment"),
        ({"expires": "2101-01-01"}, "expires"),
    ):
        response = browser.post(
            f"/p/{A}/use-cases/UC-2/review", {**form, "decision": "approved", **extra}
        )
        assert response.status_code == 422, extra
        assert f'id="{field}-error"' in response.text, extra
    assert web.writes() == before


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_last_admin_can_neither_leave_nor_be_demoted_nor_disabled(web: WebApp) -> None:
    admin = web.api("admin-a")
    before = web.writes()
    demote = admin.post(f"{API}/members", json={"username": "admin-a", "role": "reviewer"})
    assert demote.status_code == 422 and "last admin" in demote.text
    assert admin.delete(f"{API}/members/admin-a").status_code == 422
    assert admin.post(f"{API}/members/admin-a/disable").status_code == 409
    assert _user("disable", "admin-a").code == 2
    browser = web.sign_in("admin-a")
    page = browser.post(f"/p/{A}/members/admin-a/remove")
    assert page.status_code == 422 and "last admin" in page.text
    assert web.writes() == before
    # With a second admin, the first may step down.
    assert admin.post(f"{API}/members", json={"username": "reviewer-a", "role": "admin"}).is_success
    assert admin.delete(f"{API}/members/admin-a").status_code == 200
    assert web.api("admin-a").get(f"{API}/members").status_code == 404


# -- editing a use case -------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_edit_is_a_new_revision_decided_again_and_back_in_the_queue(web: WebApp) -> None:
    reviewer = web.api("reviewer-a")
    reviewer.post(
        f"{API}/use-cases/UC-2/reviews",
        json={"decision": "changes-requested", "comment": "say what it shows"},
    )
    queue = reviewer.get(f"{API}/queue").json()
    assert [i["id"] for i in queue["contributor"]] == ["UC-2"]
    # The edit form starts from the declared answers and title.
    browser = web.sign_in("contributor-a")
    form = browser.client.get(f"/p/{A}/use-cases/UC-2/edit")
    assert form.status_code == 200 and 'value="ALPHA harbor matte"' in form.text
    assert 'data-answer="output.destination"' in form.text
    current = web.api("contributor-a").get(f"{API}/use-cases/UC-2").json()
    answers = {**ANSWERS, "resembles-protected": "unsure", "studio-material": []}
    revised = web.api("contributor-a").put(
        f"{API}/use-cases/UC-2", json={"title": "ALPHA harbor matte v2", "answers": answers}
    )
    assert revised.status_code == 200, revised.text
    assert revised.json()["revision"] == current["revision"] + 1 and revised.json()["changed"]
    shown = web.api("contributor-a").get(f"{API}/use-cases/UC-2").json()
    assert shown["title"] == "ALPHA harbor matte v2"
    assert shown["outcome"] == revised.json()["outcome"]  # decided again, by the packs
    queue = reviewer.get(f"{API}/queue").json()
    assert "UC-2" not in [i["id"] for i in queue["contributor"]]
    if "written-approval" in shown["open"]:
        assert "UC-2" in [i["id"] for i in queue["review"]]
    # Unknown use case, unfinished answers: 404 and 422, nothing written.
    before = web.writes()
    assert (
        web.api("contributor-a")
        .put(f"{API}/use-cases/UC-99", json={"title": "x", "answers": answers})
        .status_code
        == 404
    )
    partial = {k: v for k, v in answers.items() if k != "destination"}
    assert (
        web.api("contributor-a")
        .put(f"{API}/use-cases/UC-2", json={"title": "x", "answers": partial})
        .status_code
        == 422
    )
    assert web.writes() == before
    assert web.audit_verify().code == 0


# -- the queue and the audit page ---------------------------------------------------------------


@SQLITE
def test_the_queue_says_who_declared_and_sorts_and_filters(web: WebApp) -> None:
    _declare(web, "contributor-a", "UC-Q")
    client = web.api("reviewer-a")
    queue = client.get(f"{API}/queue").json()["review"]
    by_id = {i["id"]: i for i in queue}
    assert by_id["UC-Q"]["declared_by"] == "contributor-a"
    assert by_id["UC-2"]["declared_by"] == "test-runner"
    assert by_id["UC-Q"]["age_days"] == 0
    age = [i["id"] for i in client.get(f"{API}/queue?sort=age").json()["review"]]
    assert age.index("UC-2") < age.index("UC-Q")  # the oldest first
    mine = client.get(f"{API}/queue?declared_by=contributor-a").json()["review"]
    assert [i["id"] for i in mine] == ["UC-Q"]
    assert client.get(f"{API}/queue?sort=nonsense").status_code == 422
    page = web.sign_in("reviewer-a").client.get(f"/p/{A}/queue?declared_by=contributor-a")
    assert 'data-use-case="UC-Q"' in page.text and 'data-use-case="UC-2"' not in page.text


@SQLITE
def test_the_audit_page_names_actions_in_words(web: WebApp) -> None:
    web.api("reviewer-a").post(
        f"{API}/use-cases/UC-2/reviews", json={"decision": "changes-requested", "comment": "x"}
    )
    events = web.api("contributor-a").get(f"{API}/audit").json()
    assert events[0]["what"] == "changes requested" and events[0]["actor"] == "reviewer-a"
    assert {"use case declared", "decision recorded"} <= {e["what"] for e in events}
    assert all(e["subject"] for e in events)
    page = web.sign_in("contributor-a").client.get(f"/p/{A}/audit?actor=reviewer-a")
    table = page.text.split('id="audit"')[1]
    assert "changes requested" in table and "use case declared" not in table
    assert "BRAVO" not in web.api("contributor-a").get(f"{API}/audit").text


# -- accounts: tokens and disabling ----------------------------------------------------------


@SQLITE
def test_tokens_and_disabling_from_the_cli(web: WebApp) -> None:
    listed = _user("tokens", "reviewer-a")
    assert listed.code == 0 and "ci" in listed.stdout
    token_id = web.accounts().tokens("reviewer-a")[0]["id"]
    assert web.api("reviewer-a").get("/api/v1/me").status_code in (200, 401)
    active = [t for t in web.accounts().tokens("reviewer-a") if not t["revoked_at"]]
    token_id = active[0]["id"]
    assert _user("token-revoke", token_id).code == 0
    assert web.api("reviewer-a").get("/api/v1/me").status_code == 401
    assert _user("token-revoke", token_id).code == 2  # already revoked
    assert _user("token-revoke", "T-NOPE").code == 2
    browser = web.sign_in("contributor-a")
    assert _user("disable", "contributor-a").code == 0
    assert browser.client.get("/api/v1/me").status_code == 401
    assert web.api("contributor-a").get("/api/v1/me").status_code == 401
    assert _user("disable", "contributor-a").code == 2  # already disabled
    assert _user("disable", "contributor-a", "--enable").code == 0
    web.sign_in("contributor-a")
    assert web.audit_verify().code == 0


@SQLITE
def test_people_revoke_their_own_tokens_in_the_web_app_and_admins_disable(web: WebApp) -> None:
    mine = web.api("admin-a").get("/api/v1/me/tokens").json()
    assert mine and all("token_sha256" not in t for t in mine)
    others = next(t["id"] for t in web.accounts().tokens("reviewer-a") if not t["revoked_at"])
    assert web.api("admin-a").post(f"/api/v1/me/tokens/{others}/revoke").status_code == 404
    browser = web.sign_in("reviewer-a")
    page = browser.client.get("/account")
    assert f'data-token="{others}"' in page.text
    assert browser.post(f"/account/tokens/{others}/revoke").status_code == 303
    assert web.api("reviewer-a").get("/api/v1/me").status_code == 401
    # An admin disables a member; someone of another production is not theirs to disable.
    assert web.api("admin-a").post(f"{API}/members/member-b/disable").status_code == 422
    assert web.api("admin-a").post(f"{API}/members/contributor-a/disable").status_code == 200
    assert web.api("contributor-a").get("/api/v1/me").status_code == 401


# -- bad input ----------------------------------------------------------------------------------


@SQLITE
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_json_are_422_not_500(web: WebApp, constant: str) -> None:
    client = web.api("reviewer-a")
    before = web.writes()
    bodies = [
        (f"{API}/intake", f'{{"tools": {constant}}}'),
        (f"{API}/use-cases", f'{{"id": "UC-N", "title": "x", "answers": {{"a": {constant}}}}}'),
        (
            f"{API}/evidence",
            '{"kind": "legal-review", "use_cases": ["UC-2"], "fields": '
            f'{{"by": "x", "date": "2024-05-01", "extra": {constant}}}}}',
        ),
        (f"{API}/use-cases/UC-2/reviews", f'{{"decision": "approved", "x": {constant}}}'),
    ]
    for path, body in bodies:
        response = client.post(path, content=body, headers={"content-type": "application/json"})
        assert response.status_code == 422, (path, response.text)
        assert "JSON number" in response.text
    assert web.writes() == before


@SQLITE
def test_free_text_is_bounded_everywhere(web: WebApp) -> None:
    client = web.api("reviewer-a")
    before = web.writes()
    legal = {"by": "counsel", "date": "2024-05-01"}
    # A megabyte reference: refused before it is read; a long one: 422 naming the field.
    huge = client.post(
        f"{API}/evidence",
        json={
            "kind": "legal-review",
            "use_cases": ["UC-2"],
            "fields": {**legal, "reference": "r" * 1_100_000},
        },
    )
    assert huge.status_code == 413
    long = _evidence(web, "reviewer-a", "legal-review", {**legal, "reference": "r" * 3000})
    assert long.status_code == 422 and "reference" in long.text
    for fields in ({**legal, "notes": "n" * 5000}, {**legal, "by": "b" * 400}):
        assert _evidence(web, "reviewer-a", "legal-review", fields).status_code == 422
    consent = {"performer": "x", "date": "2024-05-01"}
    assert (
        _evidence(web, "reviewer-a", "talent-consent", {**consent, "uses": ["u"] * 101}).status_code
        == 422
    )
    assert (
        _evidence(
            web, "reviewer-a", "talent-consent", {**consent, "uses": ["a use"] * 200_000}
        ).status_code
        == 413
    )
    approval = {"approver": "a", "date": "2024-05-01"}
    assert (
        _evidence(
            web, "reviewer-a", "written-approval", {**approval, "conditions": ["c" * 2000]}
        ).status_code
        == 422
    )
    assert client.post(f"{API}/use-cases", json={"id": "U" * 101, "title": "x"}).status_code == 422
    too_many = {f"fact{i}": "x" for i in range(100)}
    assert client.post(f"{API}/intake", json=too_many).status_code == 422
    assert (
        client.post(
            f"{API}/use-cases/UC-2/reviews", json={"decision": "denied", "comment": "c" * 5000}
        ).status_code
        == 422
    )
    # The page form: the message beside the field, the typed input kept.
    browser = web.sign_in("reviewer-a")
    page = browser.post(
        f"/p/{A}/evidence",
        {
            "kind": "legal-review",
            "use_cases": "UC-2",
            "by": "KEPT-BY",
            "date": "2024-05-01",
            "reference": "r" * 3000,
        },
    )
    assert page.status_code == 422
    assert 'id="reference-error"' in page.text and 'value="KEPT-BY"' in page.text
    title = browser.post(f"/p/{A}/intake/declare", {"id": "UC-T", "title": "t" * 400})
    assert title.status_code == 422 and "title" in title.text
    assert web.writes() == before


@SQLITE
def test_dates_far_in_the_future_are_refused(web: WebApp) -> None:
    before = web.writes()
    legal = {"by": "counsel", "date": "2024-05-01"}
    for fields in (
        {**legal, "expires": "2101-01-01"},
        {**legal, "date": "9999-01-01"},
        {**legal, "date": "1066-10-14"},
    ):
        response = _evidence(web, "reviewer-a", "legal-review", fields)
        assert response.status_code == 422, fields
        assert "between 1900-01-01 and 2100-12-31" in response.text
    review = web.api("reviewer-a").post(
        f"{API}/use-cases/UC-2/reviews", json={"decision": "approved", "expires": "2200-01-01"}
    )
    assert review.status_code == 422
    assert web.writes() == before
    ok = _evidence(web, "reviewer-a", "legal-review", {**legal, "expires": "2100-12-31"})
    assert ok.status_code == 201


@SQLITE
def test_unknown_urls_answer_html_to_a_browser_and_json_to_the_api(web: WebApp) -> None:
    client = web.client()
    page = client.get("/no/such/page", headers={"accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "<h1>404</h1>" in page.text
    api = client.get("/api/v1/no/such", headers={"accept": "text/html"})
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
    wants_json = client.get("/no/such/page", headers={"accept": "application/json"})
    assert wants_json.json() == {"detail": "Not Found"}
    signed_in = web.sign_in("reviewer-a").client.get(f"/p/{A}/use-cases/UC-404")
    assert signed_in.status_code == 404 and "no such use case" in signed_in.text


# -- the login limit --------------------------------------------------------------------------


def _login(client: Any, username: str, password: str = PASSWORD) -> Any:
    token = csrf_in(client.get("/login").text)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_one_password_across_many_usernames_is_stopped_and_counts_are_shared(
    web: WebApp,
) -> None:
    # Two server processes on one register: two apps, one database.
    first, second = web.client(), web.client(create_app(web.settings))
    for i in range(20):
        client = first if i % 2 else second
        assert _login(client, f"user-{i}", "Summer2024!").status_code == 401
    refused = _login(first, "reviewer-a")  # a username never tried, the right password
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert _login(second, "admin-a").status_code == 429
    assert web.count(schema.login_failures) == 20
    # Another client is not affected.
    from fastapi.testclient import TestClient

    elsewhere = TestClient(
        web.app, base_url="http://testserver", client=("10.0.0.7", 5000), follow_redirects=False
    )
    assert _login(elsewhere, "reviewer-a").status_code == 303


@SQLITE
def test_the_per_username_limit_holds_across_processes(web: WebApp) -> None:
    first, second = web.client(), web.client(create_app(web.settings))
    for i in range(5):
        assert _login(first if i % 2 else second, "reviewer-a", "wrong!").status_code == 401
    assert _login(second, "reviewer-a").status_code == 429
    assert _login(first, "admin-a").status_code == 303
    # Old failures expire: rows older than the window do not count.
    with web.engine.begin() as conn:
        conn.execute(schema.login_failures.update().values(at=0.0))
    assert _login(first, "reviewer-a").status_code == 303
    assert dt.date.today()  # (the window is wall-clock time, shared by every process)
