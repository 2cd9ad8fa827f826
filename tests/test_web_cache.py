"""The web app's status cache is patched by what changed (issue 10): after every kind of write
it must equal a status computed from scratch, on both backends."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from clearance.register import queries
from clearance.register.evidence import Approval, ReportUse
from clearance.register.status import summarise
from clearance.web.cache import RegisterCache

pytest.register_assert_rewrite("tests.webapp")
from tests.webapp import MANIFEST_A, A, WebApp  # noqa: E402

pytest_plugins = ["tests.webapp"]  # the ``web`` fixture


def _shape(states: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (
            s.id,
            s.revision,
            s.outcome,
            s.packs,
            [(o.obligation, o.met, o.why) for o in s.obligations],
        )
        for s in states
    ]


def test_a_patched_status_equals_one_computed_from_scratch(web: WebApp, tmp_path: Path) -> None:
    today = dt.date.today()
    cache = RegisterCache(ttl=3600)  # only patches, never a rebuild by age
    register = web.register()
    store = web.settings.store

    def check() -> None:
        with register.read(snapshot=True) as db:
            cached = cache.status(db, A, today, store)
            fresh = queries.status(db, A, today, store)
            one = cache.use_case_status(db, A, "UC-2", today, store)
            summary = cache.summary(db, A, today, store)
            evidence = [e.id for e in cache.evidence_of(db, A, "UC-2", store)]
            every = queries.evidence(db, A)
        assert _shape(cached) == _shape(fresh)
        assert summary == summarise(fresh)
        assert evidence == [e.id for e in every if "UC-2" in e.scope]
        assert _shape([one] if one else []) == _shape([s for s in fresh if s.id == "UC-2"])

    check()
    first = register.record(
        ReportUse(production=A, use_cases=["UC-1", "UC-2"], contact="x", date=today)
    )
    check()
    register.record(Approval(production=A, use_cases=["UC-2"], approver="studio", date=today))
    check()
    register.revoke(first, "sent to the wrong contact")
    check()
    # UC-1 revised and UC-10 withdrawn by a later import of the same manifest
    text = MANIFEST_A.lstrip().replace("ALPHA mood boards", "ALPHA mood boards, revised")
    manifest = tmp_path / "a.yaml"  # the file name the register knows this manifest by
    manifest.write_text(text.split("  - id: UC-10")[0])
    assert web.cli("import", manifest).code in (0, 1)
    check()
    with register.read() as db:
        cached_ids = [s.id for s in cache.status(db, A, today, store)]
    assert cached_ids == ["UC-1", "UC-2"]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_long_lists_page(web: WebApp, monkeypatch: pytest.MonkeyPatch) -> None:
    api = web.api("reviewer-a")
    every = api.get(f"/api/v1/productions/{A}/use-cases").json()
    first = api.get(f"/api/v1/productions/{A}/use-cases?limit=2")
    assert first.headers["X-Total-Count"] == str(len(every)) == "3"
    rest = api.get(f"/api/v1/productions/{A}/use-cases?limit=2&offset=2").json()
    assert [i["id"] for i in first.json() + rest] == [i["id"] for i in every]
    escalated = api.get(f"/api/v1/productions/{A}/use-cases?outcome=escalate")
    assert {i["outcome"] for i in escalated.json()} == {"escalate"}
    assert escalated.headers["X-Total-Count"] == str(len(escalated.json()))
    assert api.get(f"/api/v1/productions/{A}/use-cases?limit=0").status_code == 422
    assert api.get(f"/api/v1/productions/{A}/use-cases?outcome=maybe").status_code == 422

    from clearance.web import pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    one = api.get(f"/p/{A}").text
    two = api.get(f"/p/{A}?page=2").text
    assert "page 1 of 2" in one and 'rel="next"' in one and 'rel="prev"' not in one
    assert "page 2 of 2" in two and 'rel="prev"' in two
    shown = [i["id"] for i in every]
    assert shown[0] in one and f'data-use-case="{shown[2]}"' not in one
    assert f'data-use-case="{shown[2]}"' in two
