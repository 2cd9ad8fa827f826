"""The web app in a real browser (Playwright driving Debian's Chromium, headless): a contributor
declares a use case with the adaptive form, it escalates, a reviewer approves it with a
condition and an expiry, and the use case shows cleared. The server is the real
``clearance serve`` on a free port, on both register backends; every page must render without a
console error, and each step is saved as a screenshot (under ``$CLEARANCE_SCREENSHOTS``, else the
test's temporary folder)."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Error,
    FilePayload,
    Page,
    expect,
    sync_playwright,
)
from typer.testing import CliRunner

from clearance.cli import app
from tests.conftest import Run
from tests.support import MINIMAL

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason="Debian's Chromium (/usr/bin/chromium) is not installed: `make system-deps` adds it",
)

PRODUCTION = "test-prod"
CONTRIBUTOR, CONTRIBUTOR_PW = "carla", "contributor-pw-123"
REVIEWER, REVIEWER_PW = "rene", "reviewer-pw-123"
UC_ID, UC_TITLE = "UC-WEB-1", "Crew list summarised in the enterprise tool"

#: Answers, by the fact each question sets. Personal data given to a tool, "unsure", escalates
#: (rule D2) and needs only written approval besides report-use, which declaring records.
#: The engine decides which of these it asks, and in which order: the test follows it.
ANSWERS: dict[str, list[str]] = {
    "tools": ["ent"],
    "technique": ["generate"],
    "output.destination": ["reference"],
    "output.element": ["none"],
    "output.on_screen": ["none"],
    "talent.replica": ["none"],
    "talent.alteration": ["none"],
    "talent.model_reuse": ["no"],
    "talent.replaces_union_work": ["no"],
    "output.could_mislead": ["no"],
    "inputs.training": ["none"],
    "output.resembles_protected": ["no"],
    "inputs.references_protected": ["no"],
    "inputs.third_party_material": ["no"],
    "inputs.studio_material": ["script"],
    "inputs.personal_data": ["unsure"],
    "stage": ["ideation"],
    "output.media": ["text"],
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _invoke(*args: str, stdin: str | None = None) -> Run:
    result = CliRunner().invoke(app, list(args), input=stdin, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def server(workspace: Path, cli: Callable[..., Run]) -> Iterator[str]:
    """``clearance serve`` on a free port, on the workspace's register with one production
    (imported from a manifest), a contributor and a reviewer; yields its base URL."""
    manifest = workspace / "manifest.yaml"
    manifest.write_text(MINIMAL, encoding="utf-8")
    assert cli("import", manifest).code == 0
    port = _free_port()
    exe = Path(sys.executable).parent / "clearance"
    log = workspace / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(exe), "serve", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        # Accounts are read per request: add them while the server starts.
        for user, name, password, role in (
            (CONTRIBUTOR, "Carla Contributor", CONTRIBUTOR_PW, "contributor"),
            (REVIEWER, "René Reviewer", REVIEWER_PW, "reviewer"),
        ):
            added = _invoke("user", "add", user, "--name", name, "--password-stdin", stdin=password)
            assert added.code == 0, added.stderr
            granted = _invoke("user", "grant", user, PRODUCTION, role)
            assert granted.code == 0, granted.stderr
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/login", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"clearance serve did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module (each test gets its own context)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def screenshots(tmp_path: Path, backend: str) -> Path:
    root = Path(os.environ.get("CLEARANCE_SCREENSHOTS") or tmp_path / "screenshots")
    folder = root / backend
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots: {folder}")
    return folder


def test_declare_escalate_review_clear(server: str, browser: Browser, screenshots: Path) -> None:
    expect.set_options(timeout=10_000)
    problems: list[str] = []
    tolerated: list[str] = []  # console errors a step expects (the browser logs every 4xx)
    step = iter(range(1, 100))

    def shoot(page: Page, name: str) -> None:
        page.screenshot(path=screenshots / f"{next(step):02d}-{name}.png", full_page=True)

    def watch(page: Page) -> None:
        def console(message: ConsoleMessage) -> None:
            if message.type == "error" and not any(t in message.text for t in tolerated):
                problems.append(f"console error on {page.url}: {message.text}")

        def error(exc: Error) -> None:
            problems.append(f"page error on {page.url}: {exc}")

        page.on("console", console)
        page.on("pageerror", error)

    def sign_in(page: Page, username: str, password: str) -> None:
        page.goto(f"{server}/")
        expect(page).to_have_url(re.compile(r"/login"))
        page.fill("#username", username)
        page.fill("#password", password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator(f"[data-production={PRODUCTION}]")).to_be_visible()

    def sign_out(page: Page) -> None:
        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(re.compile(r"/login$"))
        expect(page.locator("#username")).to_be_visible()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        watch(page)

        # 1. The contributor declares a use with the adaptive form.
        sign_in(page, CONTRIBUTOR, CONTRIBUTOR_PW)
        shoot(page, "contributor-dashboard")
        page.locator(f"[data-production={PRODUCTION}]").click()
        expect(page.locator("tr[data-use-case=UC-1]")).to_be_visible()
        page.get_by_role("link", name="Declare a use").first.click()
        expect(page).to_have_url(re.compile(rf"/p/{PRODUCTION}/intake$"))
        shoot(page, "intake-start")

        asked: list[str] = []
        question = page.locator("fieldset[data-fact]")
        while question.count():
            fact = question.get_attribute("data-fact")
            assert fact is not None
            assert fact not in asked, f"{fact} asked twice: {asked}"
            assert fact in ANSWERS, f"unexpected question {fact} after {asked}"
            for value in ANSWERS[fact]:
                question.locator(f"input[value='{value}']").check()
            if fact == "inputs.personal_data":
                shoot(page, "intake-unsure")
            page.locator("#next").click()
            asked.append(fact)
            # Wait for htmx's swap: the answer is listed, the next question shown.
            expect(page.locator(f"#answers li[data-answer='{fact}']")).to_be_visible()
            expect(page.locator(f"fieldset[data-fact='{fact}']")).to_have_count(0)
            if fact == "output.destination":
                shoot(page, "intake-answers-so-far")
        assert page.url.endswith("/intake"), "the questions were swapped in place (htmx)"
        # Asked first: what can still turn a rule (tools, whose terms are known, come later).
        assert "tools" in asked and "inputs.personal_data" in asked
        assert len(asked) < len(ANSWERS), "only the questions that matter are asked"

        # Changing an answer asks that question again, keeping the others.
        page.locator("[data-change='output.media']").click()
        expect(page.locator("fieldset[data-fact='output.media']")).to_be_visible()
        expect(page.locator("#answers li[data-answer='output.media']")).to_have_count(0)
        expect(page.locator("#answers li")).to_have_count(len(asked) - 1)
        page.locator("fieldset[data-fact='output.media'] input[value='text']").check()
        page.locator("#next").click()

        # Settled: escalate, needing written approval besides report-use.
        expect(page.locator("#name-step")).to_be_visible()
        expect(page.locator("#provisional-outcome")).to_have_text("escalate")
        expect(page.locator("#provisional-settled")).to_be_visible()
        expect(page.locator("#provisional-obligations li")).to_have_count(2)
        expect(page.locator("#provisional [data-obligation=written-approval]")).to_be_visible()
        expect(page.locator("#provisional [data-obligation=report-use]")).to_be_visible()
        # A taken id is refused, and the form stays, saying why.
        page.fill("#uc-id", "UC-1")
        page.fill("#uc-title", UC_TITLE)
        tolerated.append("status of 409")
        page.locator("#declare").click()
        expect(page.locator("#intake-problem")).to_contain_text("UC-1 already exists")
        tolerated.clear()
        expect(page.locator("#name-step")).to_be_visible()
        expect(page.locator("#answers li")).to_have_count(len(asked))

        page.fill("#uc-id", UC_ID)
        page.fill("#uc-title", UC_TITLE)
        page.fill("#uc-description", "Summaries of the crew list; unsure whether it holds PII.")
        shoot(page, "intake-settled-escalate")
        page.locator("#declare").click()

        expect(page).to_have_url(re.compile(rf"/p/{PRODUCTION}/use-cases/{UC_ID}$"))
        expect(page.locator("h1")).to_contain_text(UC_TITLE)
        expect(page.locator("#outcome")).to_have_text("escalate")
        expect(page.locator("#cleared")).to_have_text("obligations open")
        report_use = page.locator("#obligations tr[data-obligation=report-use]")
        written = page.locator("#obligations tr[data-obligation=written-approval]")
        expect(report_use).to_have_attribute("data-met", "yes")
        expect(written).to_have_attribute("data-met", "no")
        expect(page.locator("#obligations tbody tr")).to_have_count(2)
        expect(page.locator("#rules tr[data-rule=D2]")).to_be_visible()
        # A contributor reads the use case but gets no review form.
        expect(page.locator("#review-form")).to_have_count(0)
        expect(page.locator("#review-note")).to_be_visible()
        shoot(page, "declared-escalate")

        page.get_by_role("link", name="Review queue", exact=True).click()
        expect(page.locator(f"#queue tr[data-use-case={UC_ID}]")).to_be_visible()
        shoot(page, "contributor-queue")

        # 4. Signing out ends the session: pages send you back to sign in.
        sign_out(page)
        page.goto(f"{server}/p/{PRODUCTION}/use-cases/{UC_ID}")
        expect(page).to_have_url(re.compile(r"/login\?next="))
        shoot(page, "signed-out")

        # 2. The reviewer finds it in the queue and approves it with a condition.
        sign_in(page, REVIEWER, REVIEWER_PW)
        page.locator(f"[data-production={PRODUCTION}]").click()
        page.get_by_role("link", name="Review queue", exact=True).click()
        row = page.locator(f"#queue tr[data-use-case={UC_ID}]")
        expect(row).to_contain_text("written-approval")
        shoot(page, "reviewer-queue")
        row.get_by_role("link", name=UC_ID).click()
        expect(page.locator("#review-form")).to_be_visible()
        page.select_option("#decision", "approved")
        page.fill("#conditions", "Only the production's enterprise tool sees the list")
        page.fill("#expires", "2099-12-31")
        page.fill("#comment", "Fine for the production office.")
        shoot(page, "review-form")
        page.locator("#record-review").click()

        # 3. The use case is cleared: report-use and written approval are met.
        expect(page).to_have_url(re.compile(rf"/p/{PRODUCTION}/use-cases/{UC_ID}$"))
        expect(page.locator("#cleared")).to_have_text("cleared")
        expect(page.locator("#outcome")).to_have_text("escalate")
        expect(written).to_have_attribute("data-met", "yes")
        expect(report_use).to_have_attribute("data-met", "yes")
        review = page.locator("[data-review=approved]")
        expect(review).to_contain_text("Only the production's enterprise tool sees the list")
        expect(review).to_contain_text("2099-12-31")
        expect(page.locator("#evidence tr[data-evidence=written-approval]")).to_contain_text(
            "2099-12-31"
        )
        shoot(page, "cleared")

        page.get_by_role("link", name="Review queue", exact=True).click()
        expect(page.locator(f"#queue tr[data-use-case={UC_ID}]")).to_have_count(0)
        page.get_by_role("link", name="Use cases", exact=True).click()
        expect(page.locator(f"tr[data-use-case={UC_ID}] .badge.cleared")).to_be_visible()
        shoot(page, "use-cases")
        # The other pages render too (their console is watched like the rest).
        page.get_by_role("link", name="Consents & tools", exact=True).click()
        expect(page.locator("h1")).to_contain_text("consents and tools")
        page.get_by_role("link", name="Scans & downloads", exact=True).click()
        expect(page.get_by_text("No scan recorded")).to_be_visible()
        sign_out(page)
    finally:
        context.close()

    assert not problems, "\n".join(problems)


# -- the whole workflow without a shell (issue 10) ----------------------------------------------

TALENT, TALENT_PW = "tara", "talent-pw-12345"
LEGAL, LEGAL_PW = "lee", "legal-pw-123456"
UC_VOICE = "UC-WEB-2"
#: A voice replica of the production's performer: escalate, needing written approval, the
#: performer's consent and legal review (rule T1) besides report-use.
VOICE_ANSWERS: dict[str, list[str]] = {
    **ANSWERS,
    "talent.replica": ["voice"],
    "talent.performers": ["ava"],
    "inputs.personal_data": ["no"],
}
AVA_USE_CASE = """  - id: UC-2
    title: Ava's dialogue clean-up
    tools: [ent]
    stage: post
    talent: {performers: [ava]}
    output: {media: [audio], destination: final, resembles_protected: no}
"""
CONSENT_PDF = b"%PDF-1.4\n% consent of Ava to a synthetic temp voice\n%%EOF\n"
CONDITION = "Temp only: replaced by Ava's own ADR before lock"


def _watch(page: Page, problems: list[str], tolerated: list[str]) -> None:
    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and not any(t in message.text for t in tolerated):
            problems.append(f"console error on {page.url}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda exc: problems.append(f"page error on {page.url}: {exc}"))


def _sign_in(page: Page, server: str, username: str, password: str) -> None:
    page.goto(f"{server}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(f"[data-production={PRODUCTION}]")).to_be_visible()


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def _answer_every_question(page: Page, answers: dict[str, list[str]]) -> list[str]:
    """Answer what the intake asks, checking that focus moves to each new question."""
    asked: list[str] = []
    question = page.locator("fieldset[data-fact]")
    while question.count():
        fact = question.get_attribute("data-fact")
        assert fact is not None and fact in answers, f"unexpected question {fact} after {asked}"
        assert fact not in asked, f"{fact} asked twice"
        if asked:  # focus moved to the new question (htmx honours autofocus after a swap)
            expect(question.locator(f"input[name='a.{fact}']").first).to_be_focused()
        for value in answers[fact]:
            question.locator(f"input[value='{value}']").check()
        page.locator("#next").click()
        asked.append(fact)
        expect(page.locator(f"#answers li[data-answer='{fact}']")).to_be_visible()
        expect(page.locator(f"fieldset[data-fact='{fact}']")).to_have_count(0)
    return asked


def test_the_whole_workflow_in_the_browser(
    server: str, browser: Browser, screenshots: Path, workspace: Path
) -> None:
    """Declare → changes requested → edited → approved with a condition → consent with its
    document (talent relations) → legal review → cleared, and the report shows what was
    agreed; no CLI step after the accounts exist."""
    for user, name, password in ((TALENT, "Tara (talent relations)", TALENT_PW),
                                 (LEGAL, "Lee (legal)", LEGAL_PW)):  # fmt: skip
        assert _invoke("user", "add", user, "--name", name, "--password-stdin",
                       stdin=password).code == 0  # fmt: skip
        assert _invoke("user", "grant", user, PRODUCTION, "reviewer").code == 0
    # The production's manifest names Ava in a use case: the web intake offers her.
    manifest = workspace / "with-ava.yaml"
    manifest.write_text(MINIMAL + AVA_USE_CASE, encoding="utf-8")
    imported = _invoke("import", str(manifest))
    assert imported.code == 0, imported.stderr
    expect.set_options(timeout=10_000)
    problems: list[str] = []
    tolerated: list[str] = []
    step = iter(range(1, 100))

    def shoot(page: Page, name: str) -> None:
        page.screenshot(path=screenshots / f"w{next(step):02d}-{name}.png", full_page=True)

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        _watch(page, problems, tolerated)
        use_case = f"{server}/p/{PRODUCTION}/use-cases/{UC_VOICE}"

        # 1. The contributor declares a voice replica: it escalates.
        _sign_in(page, server, CONTRIBUTOR, CONTRIBUTOR_PW)
        page.goto(f"{server}/p/{PRODUCTION}/intake")
        expect(page.locator("h1")).to_contain_text(PRODUCTION)
        asked = _answer_every_question(page, VOICE_ANSWERS)
        assert "talent.performers" in asked
        expect(page.locator("#provisional-outcome")).to_have_text("escalate")
        expect(page.locator("#uc-id")).to_be_focused()
        page.fill("#uc-id", UC_VOICE)
        page.fill("#uc-title", "Synthetic temp voice for Ava")
        page.locator("#declare").click()
        expect(page).to_have_url(use_case)
        for needed in ("talent-consent", "legal-review", "written-approval"):
            expect(page.locator(f"#obligations tr[data-obligation={needed}]")).to_have_attribute(
                "data-met", "no"
            )
        # A contributor may record no evidence that clears it: only report-use is offered.
        expect(page.locator("[data-record]")).to_have_count(0)
        page.goto(f"{server}/p/{PRODUCTION}/evidence/new?kind=talent-consent")
        expect(page.locator("[data-kind]")).to_have_count(1)
        expect(page.locator("#record-evidence")).to_have_text("Record report-use")
        shoot(page, "declared")
        _sign_out(page)

        # 2. The reviewer asks for changes, from the queue that says who declared it.
        _sign_in(page, server, REVIEWER, REVIEWER_PW)
        page.goto(f"{server}/p/{PRODUCTION}/queue")
        row = page.locator(f"#queue tr[data-use-case={UC_VOICE}]")
        expect(row.locator(".declared-by")).to_contain_text(CONTRIBUTOR)
        expect(row.locator(".age")).to_have_text("today")
        row.get_by_role("link", name=UC_VOICE).click()
        expect(page.locator("#decision")).to_have_value("")  # no default decision
        page.select_option("#decision", "changes-requested")
        page.fill("#comment", "Say which episode, and use audio as the medium")
        page.locator("#record-review").click()
        expect(page.locator("[data-review=changes-requested]")).to_be_visible()
        _sign_out(page)

        # 3. The contributor edits it: the form starts from the declared answers.
        _sign_in(page, server, CONTRIBUTOR, CONTRIBUTOR_PW)
        page.goto(use_case)
        expect(page.locator("#sent-back")).to_contain_text("Say which episode")
        page.locator("#edit").click()
        expect(page.locator("#name-step")).to_be_visible()
        expect(page.locator("#uc-title")).to_have_value("Synthetic temp voice for Ava")
        expect(page.locator("#answers li[data-answer='talent.replica']")).to_contain_text("voice")
        shoot(page, "edit-prefilled")
        page.locator("[data-change='output.media']").click()
        media = page.locator("fieldset[data-fact='output.media']")
        expect(media).to_be_visible()
        media.locator("input[value='text']").uncheck()
        media.locator("input[value='audio']").check()
        page.locator("#next").click()
        expect(page.locator("#name-step")).to_be_visible()
        page.fill("#uc-title", "Synthetic temp voice for Ava, episode 107")
        page.locator("#declare").click()
        expect(page).to_have_url(use_case)
        expect(page.locator("h1")).to_contain_text("episode 107")
        expect(page.locator("#status")).to_contain_text("revision 2")
        expect(page.locator("#sent-back")).to_have_count(0)
        _sign_out(page)

        # 4. Back in the queue; the reviewer approves it with a condition.
        _sign_in(page, server, REVIEWER, REVIEWER_PW)
        page.goto(f"{server}/p/{PRODUCTION}/queue")
        page.locator(f"#queue tr[data-use-case={UC_VOICE}]").get_by_role(
            "link", name=UC_VOICE
        ).click()
        page.select_option("#decision", "approved")
        page.fill("#conditions", CONDITION)
        page.fill("#expires", "2099-12-31")
        page.locator("#record-review").click()
        expect(page.locator("[data-review=approved]")).to_contain_text(CONDITION)
        expect(page.locator("#obligations tr[data-obligation=written-approval]")).to_have_attribute(
            "data-met", "yes"
        )
        _sign_out(page)

        # 5. Talent relations records Ava's consent, with the signed document.
        _sign_in(page, server, TALENT, TALENT_PW)
        page.goto(use_case)
        page.locator("[data-record=talent-consent]").click()
        expect(page.locator("#performer")).to_have_value("ava")
        page.locator("input[name=replica][value=voice]").check()
        page.fill("#uses", "temp ADR in episode 107\nreplaced before lock")
        page.locator("#guild_notified").check()
        page.fill("#expires", "2027-06-30")
        page.fill("#reference", "TR-2291")
        document: FilePayload = {
            "name": "ava-consent.pdf",
            "mimeType": "application/pdf",
            "buffer": CONSENT_PDF,
        }
        page.set_input_files("#attachment", files=[document])
        shoot(page, "consent-form")
        page.locator("#record-evidence").click()
        expect(page).to_have_url(use_case)
        consent = page.locator("#evidence tr[data-evidence=talent-consent]")
        expect(consent).to_contain_text("voice")
        expect(consent).to_contain_text("temp ADR in episode 107")
        expect(consent).to_contain_text("Guild notified")
        expect(consent).to_contain_text("document")
        digest = hashlib.sha256(CONSENT_PDF).hexdigest()
        assert (workspace / "attachments" / digest[:2] / digest[2:]).read_bytes() == CONSENT_PDF
        _sign_out(page)

        # 6. Legal records its review; the use case is cleared.
        _sign_in(page, server, LEGAL, LEGAL_PW)
        page.goto(use_case)
        page.locator("[data-record=legal-review]").click()
        page.fill("#by", "Lee, production counsel")
        page.fill("#reference", "LEGAL-107-4")
        page.locator("#record-evidence").click()
        expect(page).to_have_url(use_case)
        expect(page.locator("#cleared")).to_have_text("cleared")
        shoot(page, "cleared")

        # 7. What was agreed is on the consents page and in the delivery report.
        page.goto(f"{server}/p/{PRODUCTION}/consents")
        row = page.locator("#consents tbody tr").first
        expect(row).to_contain_text("ava")
        expect(row).to_contain_text("voice")
        expect(row).to_contain_text("2027-06-30")
        report = page.request.get(f"{server}/p/{PRODUCTION}/report.html")
        assert report.ok
        html = report.text()
        for agreed in (CONDITION.replace("'", "&#39;"), "temp ADR in episode 107", "voice",
                       "guild notified", "2099-12-31"):  # fmt: skip
            assert agreed in html, f"{agreed!r} not in the report"
        # The audit trail names what happened in words.
        page.goto(f"{server}/p/{PRODUCTION}/audit")
        expect(page.locator("#audit")).to_contain_text("changes requested")
        expect(page.locator("#audit")).to_contain_text("talent-consent evidence recorded")
        _sign_out(page)
    finally:
        context.close()

    # At 375 px (a phone) nothing is off-screen: no sideways scroll, Sign out in view.
    phone = browser.new_context(viewport={"width": 375, "height": 800})
    try:
        page = phone.new_page()
        _watch(page, problems, tolerated)
        _sign_in(page, server, REVIEWER, REVIEWER_PW)
        for path in (f"/p/{PRODUCTION}/use-cases/{UC_VOICE}", f"/p/{PRODUCTION}/queue",
                     f"/p/{PRODUCTION}/intake", f"/p/{PRODUCTION}/consents"):  # fmt: skip
            page.goto(f"{server}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} is {width} px wide at 375"
            box = page.get_by_role("button", name="Sign out").bounding_box()
            assert box is not None and box["x"] + box["width"] <= 375, f"{path}: Sign out {box}"
        shoot(page, "phone")
        # An unknown URL: the HTML error page for a browser.
        tolerated.append("status of 404")
        missing = page.goto(f"{server}/no/such/page")
        assert missing is not None and missing.status == 404
        expect(page.locator("h1")).to_have_text("404")
    finally:
        phone.close()
    assert not problems, "\n".join(problems)
