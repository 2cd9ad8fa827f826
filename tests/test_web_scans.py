"""The scans page shows each recorded file's C2PA credential state beside its verdict, as
the CLI, the register and the delivery report do (issue 13)."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("tests.webapp")
from tests.webapp import A, WebApp  # noqa: E402

pytest_plugins = ["tests.webapp"]  # the ``web`` fixture


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_scans_page_shows_credential_states(web: WebApp) -> None:
    rows = [
        {"path": "vfx/a.jpg", "sha256": "a" * 64, "verdict": "ai-generated", "findings": "",
         "uc_id": None, "credential": "invalid: assertion.dataHash.mismatch"},
        {"path": "vfx/b.jpg", "sha256": "b" * 64, "verdict": "ai-composite", "findings": "",
         "uc_id": None, "credential": "valid, untrusted signer"},
    ]  # fmt: skip
    web.register().record_scan(A, ["deliverables"], {"files": 2}, rows)
    page = web.api("reviewer-a").get(f"/p/{A}/scans")
    assert page.status_code == 200
    assert "C2PA credential" in page.text
    assert "invalid: assertion.dataHash.mismatch" in page.text
    assert "valid, untrusted signer" in page.text
