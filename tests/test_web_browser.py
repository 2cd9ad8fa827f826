"""The web app in a real browser (Playwright driving Debian's Chromium, headless): a contributor
declares a use case with the adaptive form, it escalates, a reviewer approves it with a
condition and an expiry, and the use case shows cleared. The server is the real
``clearance serve`` on a free port, on both register backends; every page must render without a
console error, and each step is saved as a screenshot (under ``$CLEARANCE_SCREENSHOTS``, else the
test's temporary folder)."""

from __future__ import annotations

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
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, expect, sync_playwright
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
        assert asked[0] == "tools" and "inputs.personal_data" in asked
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
