"""Evidence for the wave-2 obligations (manifest v1.1 "Evidence"; meanings: packs-wave2.md
§1.5): disclose-ai, ai-label, writer-disclosure, estate-consent and union-notice — recorded from
the CLI, the web form and the API, stored with the markets and deliverables they cover
(migration 0007), and met or open in status as the spec says."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Run

Cli = Callable[..., Run]

#: A tiny decision pack that asks for every wave-2 obligation (the real packs that do are
#: tested with their golden cases): the first four of every use case, an estate's consent
#: where a performer is deceased (yes or unsure), as SAG3/CA2/NY2/TN2 do.
PACK = """\
id: wave2-evidence-test
version: 0.0.1
title: Wave-2 obligations (test)
source: {document: test, publisher: test, url: "https://example.org/test"}
rules:
  - id: W1
    title: Every wave-2 notice
    cites: test
    when: "true"
    outcome: judgment
    obligations: [disclose-ai, ai-label, writer-disclosure, union-notice]
    because: test
  - id: W2
    title: A deceased performer
    cites: test
    when: performers.exists(p, p.deceased in ['yes', 'unsure'])
    outcome: escalate
    obligations: [estate-consent]
    because: test
"""

MANIFEST = """\
version: 1.1
production:
  id: wave2-prod
  territories: [FR, US-CA]
tools:
  - {id: ent, name: Enterprise tool, enterprise: yes, trains_on_inputs: no, retains_inputs: no}
talent:
  - {id: lena, name: Lena Hart, deceased: "yes"}
  - {id: omar, name: Omar Vance, deceased: unsure}
  - {id: ava, name: Ava Reyes}
use_cases:
  - id: UC-1
    title: Establishing shot of a real bridge
    tools: [ent]
    stage: post
    technique: generate
    output: {media: [video], destination: final, resembles_protected: no}
  - id: UC-2
    title: Late star and a colleague recreated for a cameo
    tools: [ent]
    stage: post
    technique: generate
    output: {media: [video, audio], destination: final, resembles_protected: no}
    talent: {performers: [lena, omar, ava], replica: likeness-and-voice}
"""


@pytest.fixture
def production(workspace: Path, cli: Cli) -> Path:
    """The register holding MANIFEST, decided by the test pack."""
    (workspace / "pack.yaml").write_text(PACK)
    (workspace / "manifest.yaml").write_text(MANIFEST)
    run = cli("import", "manifest.yaml", "--policy", workspace / "pack.yaml")
    assert run.code == 0, run.stderr
    return workspace


def states(cli: Cli, *args: str) -> dict[str, dict[str, Any]]:
    """uc id → obligation → its state, from `clearance status --format json`."""
    run = cli("status", "--format", "json", *args)
    assert run.code in (0, 1), run.stderr
    return {
        uc["id"]: {o["obligation"]: o for o in uc["obligations"]}
        for uc in json.loads(run.stdout)["use_cases"]
    }


def recorded(run: Run) -> str:
    assert run.code == 0, run.stderr
    return run.stdout.split()[2]  # "Recorded KIND EV-… for …"


DISCLOSE = ("disclose", "UC-1", "--form", "on-screen label", "--placement", "lower left, 5 s",
            "--text", "Généré par IA", "--deliverable", "EP101-v3", "--deliverable",
            "trailer-1", "--territory", "fr,EU", "--approver", "M. Roy")  # fmt: skip
LABEL = ("label", "UC-1", "--file", "EP101-v3.mov", "--method", "c2pa", "--method",
         "aigc-metadata", "--verified-by", "P. Okafor", "--platform-ref", "DY-88")  # fmt: skip
WRITER = ("writer-disclosure", "UC-1", "--writer", "Dana Ruiz", "--writer", "Sam Lee",
          "--material", "Pilot treatment v2", "--channel", "letter")  # fmt: skip
UNION = ("union-notice", "UC-1", "--union", "SAG-AFTRA", "--date", "2026-11-01")


def test_each_kind_recorded_from_the_cli_meets_its_obligation(
    production: Path, cli: Cli, database_url: str
) -> None:
    before = states(cli)["UC-1"]
    assert {k: v["met"] for k, v in before.items()} == dict.fromkeys(
        ["ai-label", "disclose-ai", "union-notice", "writer-disclosure"], False
    )
    assert before["disclose-ai"]["next"] == "post supervisor / distribution"
    assert before["writer-disclosure"]["next"] == "producer / creative executive"
    assert before["union-notice"]["next"] == "labour relations"
    ids = {argv[0]: recorded(cli(*argv)) for argv in (DISCLOSE, LABEL, WRITER, UNION)}
    after = states(cli)["UC-1"]
    assert all(state["met"] for state in after.values()), after
    assert after["disclose-ai"]["evidence"] == [ids["disclose"]]
    assert after["ai-label"]["evidence"] == [ids["label"]]
    assert cli("status").code == 1  # UC-2's estate consents are still open
    # The columns the disclosure plan queries, and the kind's details.
    from sqlalchemy import select

    from clearance.register import db, schema

    engine = db.connect(database_url)
    try:
        with engine.connect() as conn:
            rows = {r.kind: r for r in conn.execute(select(schema.evidence))}
    finally:
        engine.dispose()
    assert json.loads(rows["disclose-ai"].territories) == ["EU", "FR"]
    assert json.loads(rows["disclose-ai"].deliverables) == ["EP101-v3", "trailer-1"]
    assert json.loads(rows["disclose-ai"].details) == {
        "form": "on-screen label",
        "placement": "lower left, 5 s",
        "text": "Généré par IA",
        "approver": "M. Roy",
    }
    assert json.loads(rows["ai-label"].territories) == []  # not market-bound
    assert json.loads(rows["ai-label"].deliverables) == ["EP101-v3.mov"]
    assert json.loads(rows["ai-label"].details)["method"] == ["c2pa", "aigc-metadata"]
    assert rows["writer-disclosure"].territories is None
    assert json.loads(rows["writer-disclosure"].details)["writers"] == ["Dana Ruiz", "Sam Lee"]
    assert json.loads(rows["union-notice"].details) == {
        "union": "SAG-AFTRA",
        "outcome": "pending",
        "notes": None,
    }
    assert rows["union-notice"].date == "2026-11-01"  # the day the notice was sent
    assert cli("audit", "verify").code == 0


def test_estate_consent_is_needed_for_every_deceased_or_unsure_performer(
    production: Path, cli: Cli
) -> None:
    estate = states(cli)["UC-2"]["estate-consent"]
    assert not estate["met"] and estate["next"] == "talent relations / business affairs"
    assert estate["why"] == "no valid consent of the estate of lena, omar"
    first = recorded(
        cli("consent", "estate", "lena", "UC-2", "--party", "J. Hart", "--capacity", "executor",
            "--replica", "likeness-and-voice", "--use", "cameo, episode 4", "--date", "2026-11-01")
    )  # fmt: skip
    estate = states(cli)["UC-2"]["estate-consent"]
    assert not estate["met"] and estate["why"] == "no valid consent of the estate of omar"
    # A consent that does not cover the replica used does not count.
    narrow = recorded(
        cli("consent", "estate", "omar", "UC-2", "--party", "SAG-AFTRA", "--capacity", "union",
            "--replica", "voice")
    )  # fmt: skip
    estate = states(cli)["UC-2"]["estate-consent"]
    assert not estate["met"] and f"{narrow} does not cover a likeness-and-voice" in estate["why"]
    second = recorded(
        cli("consent", "estate", "omar", "UC-2", "--party", "SAG-AFTRA", "--capacity", "union",
            "--replica", "likeness", "--replica", "voice", "--expires", "2026-12-31",
            "--date", "2026-11-01")
    )  # fmt: skip
    estate = states(cli, "--on", "2026-12-01")["UC-2"]["estate-consent"]
    assert estate["met"] and estate["evidence"] == [first, second]
    # Expired on the day asked about: open again, saying why.
    estate = states(cli, "--on", "2027-01-01")["UC-2"]["estate-consent"]
    assert not estate["met"] and f"{second} expired on 2026-12-31" in estate["why"]
    # Revoked: open, saying why.
    assert cli("revoke", first, "--reason", "signed by the wrong heir").code == 0
    estate = states(cli, "--on", "2026-12-01")["UC-2"]["estate-consent"]
    assert not estate["met"]
    assert estate["why"].startswith("no valid consent of the estate of lena")
    assert "signed by the wrong heir" in estate["why"]
    # Talent consent is met as before: by every performer's own consent (ava's, and the
    # unsure omar's; not the estate's).
    assert "talent-consent" not in states(cli)["UC-2"]  # not asked for by this pack


def test_revoked_and_expired_wave2_evidence_does_not_count(production: Path, cli: Cli) -> None:
    label = recorded(cli(*LABEL, "--date", "2026-10-01"))
    union = recorded(cli(*UNION))
    assert states(cli, "--on", "2026-11-02")["UC-1"]["ai-label"]["met"]
    # Evidence dated after the day asked about does not count yet.
    early = states(cli, "--on", "2026-09-01")["UC-1"]["ai-label"]
    assert not early["met"] and f"{label} takes effect on 2026-10-01" in early["why"]
    assert cli("revoke", union, "--reason", "sent to the wrong local").code == 0
    state = states(cli, "--on", "2026-11-02")["UC-1"]["union-notice"]
    assert not state["met"] and "sent to the wrong local" in state["why"]
    assert state["next"] == "labour relations"


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (("disclose", "UC-1", "--form", "card", "--placement", "end", "--text", "AI",
          "--deliverable", "EP1", "--territory", "France", "--approver", "x"), "--territory"),
        (("disclose", "UC-1", "--form", "", "--placement", "end", "--text", "AI",
          "--deliverable", "EP1", "--territory", "FR", "--approver", "x"), "--form"),
        (("label", "UC-1", "--file", "a.mov", "--method", "c2pa", "--verified-by",
          "SC-0123456789"), "--verified-by"),
        (("label", "UC-1", "--file", "a.mov", "--method", "c2pa", "--verified-by",
          "sc-0123456789"), "--verified-by"),
        (("label", "UC-1", "--file", "a.mov", "--method", "c2pa", "--verified-by",
          "SC-DEADBEEF"), "--verified-by"),
        (("label", "UC-1", "--file", "a.mov", "--method", "c2pa", "--verified-by", "x",
          "--territory", "XXXX"), "--territory"),
        (("writer-disclosure", "UC-1", "--writer", "W", "--material", "x" * 4001), "--material"),
        (("union-notice", "UC-1", "--union", "SAG-AFTRA", "--date", "20261101"), "--date"),
        (("union-notice", "UC-9", "--union", "SAG-AFTRA"), "USE_CASES: unknown use case"),
        (("consent", "estate", "ava", "UC-2", "--party", "x", "--capacity", "heir"),
         "not recorded as deceased"),
        (("consent", "estate", "lena", "UC-1", "--party", "x", "--capacity", "heir"),
         "not a performer of UC-1"),
        (("consent", "estate", "lena", "UC-2", "--party", "x", "--capacity", "heir",
          "--date", "2026-05-01", "--expires", "2026-04-01"), "is before date"),
    ],
)  # fmt: skip
def test_bad_wave2_evidence_exits_2_naming_the_option(
    production: Path, cli: Cli, argv: tuple[str, ...], option: str
) -> None:
    run = cli(*argv)
    assert run.code == 2, (run.stdout, run.stderr)
    assert option in run.stderr, run.stderr


def test_bad_choice_is_refused_by_the_command_line(production: Path, cli: Cli) -> None:
    run = cli("union-notice", "UC-1", "--union", "SAG-AFTRA", "--outcome", "maybe")
    assert run.code == 2 and "--outcome" in run.stderr
    run = cli("label", "UC-1", "--file", "a", "--method", "qr", "--verified-by", "x")
    assert run.code == 2 and "--method" in run.stderr
    run = cli("consent", "estate", "lena", "UC-2", "--party", "x", "--capacity", "cousin")
    assert run.code == 2 and "--capacity" in run.stderr


def test_a_0006_register_upgrades_in_place_and_its_trail_still_verifies(
    production: Path, cli: Cli, database_url: str
) -> None:
    """Migration 0007 adds the coverage columns; rows from before keep NULL, which digests
    leave out, so the audit trail of an upgraded register verifies, and new evidence of the
    new kinds is recorded into it."""
    from clearance.register import db

    recorded(cli("report-use", "UC-1", "--contact", "J. Park"))
    recorded(cli("consent", "estate", "lena", "UC-2", "--party", "J. Hart", "--capacity", "heir"))
    recorded(cli(*WRITER))
    before = states(cli)
    engine = db.connect(database_url)
    try:
        db.downgrade(engine, "0006")
        assert db.current_revision(engine) == "0006"
        assert cli("status").code == 2  # an old schema is refused, with the way out
        assert cli("init").code == 0  # `clearance init` upgrades in place
        assert db.current_revision(engine) == db.SCHEMA_REVISION
    finally:
        engine.dispose()
    assert cli("audit", "verify").code == 0
    assert states(cli) == before
    recorded(cli(*DISCLOSE))
    assert states(cli)["UC-1"]["disclose-ai"]["met"]
    assert cli("audit", "verify").code == 0


def test_export_and_restore_keep_what_disclosures_and_labels_cover(
    production: Path, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded(cli(*DISCLOSE))
    recorded(cli(*LABEL, "--territory", "CN"))
    before = states(cli)
    export = tmp_path / "register.zip"
    assert cli("export", "-o", export).code == 0
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    monkeypatch.chdir(fresh)
    monkeypatch.setenv("CLEARANCE_DATABASE_URL", f"sqlite:///{fresh / 'register.db'}")
    monkeypatch.setenv("CLEARANCE_ATTACHMENTS", str(fresh / "attachments"))
    assert cli("init").code == 0
    assert cli("restore", export).code == 0, "restored and verified"
    assert states(cli) == before
    from clearance.register.access import open_register
    from clearance.register.queries import evidence

    with open_register() as (register, _ws), register.read() as conn:
        found = {e.kind: e for e in evidence(conn, "wave2-prod")}
    assert found["disclose-ai"].territories == ["EU", "FR"]
    assert found["disclose-ai"].deliverables == ["EP101-v3", "trailer-1"]
    assert found["ai-label"].territories == ["CN"]


# -- the web app: the form and the JSON API ---------------------------------------------------


@pytest.fixture
def site(production: Path, database_url: str, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The web app on the production's register: a reviewer and a contributor, with tokens."""
    from clearance.register import db
    from clearance.register.accounts import Accounts
    from clearance.register.store import Register
    from clearance.web.app import create_app
    from clearance.web.deps import Settings
    from tests.webapp import PASSWORD, WebApp, cheap_hashes

    cheap_hashes(monkeypatch)
    engine = db.connect(database_url)
    store = production / "attachments"
    accounts = Accounts(Register(engine, store, "test-runner"))
    settings = Settings(engine, store)
    web = WebApp(production, "", engine, settings, create_app(settings), cli)
    for username, role in (("post-sup", "reviewer"), ("artist", "contributor")):
        accounts.add_user(username, PASSWORD, username.title())
        accounts.grant(username, "wave2-prod", role)
        web.tokens[username] = accounts.create_token(username, "ci")[1]
    try:
        yield web
    finally:
        engine.dispose()


API = "/api/v1/productions/wave2-prod"
FIELDS: dict[str, tuple[str, dict[str, Any]]] = {
    "disclose-ai": ("UC-1", {"form": "end card", "placement": "end credits",
                             "text": "Made with AI", "deliverables": ["EP101-v3"],
                             "territories": ["FR", "eu"], "approver": "M. Roy",
                             "date": "2026-11-01"}),
    "ai-label": ("UC-1", {"files": ["EP101-v3.mov"], "method": ["iptc"],
                          "verified_by": "P. Okafor", "date": "2026-11-01"}),
    "writer-disclosure": ("UC-1", {"writers": ["Dana Ruiz"], "material": "Treatment v2",
                                   "date": "2026-11-01"}),
    "union-notice": ("UC-1", {"union": "SAG-AFTRA", "outcome": "agreed",
                              "date": "2026-11-01"}),
    "estate-consent": ("UC-2", {"performer": "lena", "party": "J. Hart",
                                "capacity": "executor", "replica": ["likeness-and-voice"],
                                "date": "2026-11-01"}),
}  # fmt: skip


def test_the_api_records_each_wave2_kind_reviewers_only(site: Any) -> None:
    for kind, (uc, fields) in FIELDS.items():
        body = {"kind": kind, "use_cases": [uc], "fields": fields}
        assert site.api("artist").post(f"{API}/evidence", json=body).status_code == 403
        response = site.api("post-sup").post(f"{API}/evidence", json=body)
        assert response.status_code == 201, response.text
    shown = site.api("post-sup").get(f"{API}/use-cases/UC-1").json()
    assert shown["cleared"] is True
    disclosure = next(e for e in shown["evidence"] if e["kind"] == "disclose-ai")
    assert disclosure["territories"] == ["EU", "FR"]
    assert disclosure["deliverables"] == ["EP101-v3"]
    assert disclosure["details"]["form"] == "end card"
    estate = {
        o["obligation"]: o for o in site.api("post-sup").get(f"{API}/use-cases/UC-2").json()[
            "obligations"]
    }["estate-consent"]  # fmt: skip
    assert not estate["met"] and estate["why"] == "no valid consent of the estate of omar"
    # Bad input: 422, each problem named by its field.
    bad = {"kind": "disclose-ai", "use_cases": ["UC-1"],
           "fields": {**FIELDS["disclose-ai"][1], "territories": ["France"]}}  # fmt: skip
    response = site.api("post-sup").post(f"{API}/evidence", json=bad)
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["detail"]] == ["territories"]
    living = {"kind": "estate-consent", "use_cases": ["UC-2"],
              "fields": {**FIELDS["estate-consent"][1], "performer": "ava"}}  # fmt: skip
    response = site.api("post-sup").post(f"{API}/evidence", json=living)
    assert response.status_code == 422 and "not recorded as deceased" in response.text
    assert site.audit_verify().code == 0


def test_the_form_offers_each_kind_and_records_it(site: Any) -> None:
    browser = site.sign_in("post-sup")
    page = browser.client.get("/p/wave2-prod/evidence/new?kind=estate-consent&use_case=UC-2")
    assert page.status_code == 200
    for kind in FIELDS:
        assert f'data-kind="{kind}"' in page.text
    # The estate's consent is asked of the deceased (and unsure) performers only.
    assert '<option value="lena"' in page.text and '<option value="omar"' in page.text
    assert '<option value="ava"' not in page.text
    form = {"kind": "estate-consent", "use_cases": "UC-2", "performer": "omar",
            "party": "SAG-AFTRA", "capacity": "union", "replica": ["likeness-and-voice"],
            "uses": "cameo\nepisode 4", "date": "2026-11-01"}  # fmt: skip
    response = browser.post("/p/wave2-prod/evidence", data=form)
    assert response.status_code == 303, response.text
    shown = browser.client.get("/p/wave2-prod/use-cases/UC-2").text
    assert "Estate of <strong>omar</strong>" in shown and "Consented by SAG-AFTRA (union)" in shown
    consents = browser.client.get("/p/wave2-prod/consents").text
    estates = consents[consents.index('id="estate-consents"') :]
    assert "<td>omar</td>" in estates and "cameo; episode 4" in estates
    # A union notice has no expiry field; its date is the day it was sent.
    page = browser.client.get("/p/wave2-prod/evidence/new?kind=union-notice&use_case=UC-1")
    assert 'id="expires"' not in page.text and "Date sent" in page.text
    # A disclosure with a bad market comes back with the problem beside the field, typed
    # values kept.
    form = {"kind": "disclose-ai", "use_cases": "UC-1", "form": "lower third",
            "placement": "first 5 s", "text": "Généré par IA", "deliverables": "EP101-v3",
            "territories": "FR, Frankreich", "approver": "M. Roy",
            "date": "2026-11-01"}  # fmt: skip
    response = browser.post("/p/wave2-prod/evidence", data=form)
    assert response.status_code == 422
    assert 'id="territories-error"' in response.text and "Frankreich" in response.text
    assert "Généré par IA" in response.text
    response = browser.post("/p/wave2-prod/evidence", data={**form, "territories": "FR, EU"})
    assert response.status_code == 303
    form = {
        "kind": "ai-label",
        "use_cases": "UC-1",
        "files": "a.mov\nb.mov",
        "method": ["c2pa", "watermark"],
        "verified_by": "P. Okafor",
        "date": "2026-11-01",
    }
    assert browser.post("/p/wave2-prod/evidence", data=form).status_code == 303
    shown = browser.client.get("/p/wave2-prod/use-cases/UC-1").text
    assert "lower third, first 5 s" in shown and "c2pa, watermark on a.mov, b.mov" in shown
    assert site.audit_verify().code == 0


def test_the_delivery_report_shows_each_records_details(
    production: Path, cli: Cli, tmp_path: Path
) -> None:
    for argv in (DISCLOSE, LABEL, WRITER, UNION):
        recorded(cli(*argv))
    estate = recorded(
        cli("consent", "estate", "lena", "UC-2", "--party", "J. Hart", "--capacity", "heir",
            "--replica", "voice", "--use", "cameo")
    )  # fmt: skip
    assert cli("revoke", estate, "--reason", "wrong heir").code == 0
    out = tmp_path / "report"
    run = cli("report", "-o", out)
    assert run.code == 0, run.stderr
    html = next(out.glob("*.html")).read_text()
    section = html[html.index('<section id="evidence"') :]
    section = section[: section.index("</section>")]
    assert "on-screen label, lower left, 5 s: “Généré par IA”" in section
    assert "on EP101-v3, trailer-1 in EU, FR" in section and "approved by M. Roy" in section
    assert "c2pa, aigc-metadata on EP101-v3.mov" in section
    assert "verified by P. Okafor; platform declaration DY-88" in section
    assert "told Dana Ruiz, Sam Lee (letter)" in section
    assert "material: Pilot treatment v2" in section
    assert "SAG-AFTRA notified; pending" in section
    # A revoked estate consent is struck through, with its reason.
    assert "<del>estate: J. Hart (heir)</del>" in section and "wrong heir" in section


def test_the_coverage_query_returns_live_disclosures_and_labels_with_what_they_cover(
    production: Path, cli: Cli
) -> None:
    import datetime as dt

    from clearance.register import queries
    from clearance.register.access import open_register

    disclosure = recorded(cli(*DISCLOSE, "--date", "2026-10-01"))
    label = recorded(cli(*LABEL, "--territory", "CN", "--date", "2026-10-01"))
    recorded(cli(*WRITER))  # another kind: not coverage
    revoked = recorded(cli(*DISCLOSE, "--territory", "US-NY"))
    assert cli("revoke", revoked, "--reason", "superseded").code == 0
    with open_register() as (register, _ws), register.read() as conn:
        found = queries.coverage(conn, "wave2-prod", dt.date(2026, 11, 1))
        before = queries.coverage(conn, "wave2-prod", dt.date(2026, 9, 1))
    assert [(e.id, e.territories, e.deliverables) for e in found] == [
        (disclosure, ["EU", "FR"], ["EP101-v3", "trailer-1"]),
        (label, ["CN"], ["EP101-v3.mov"]),
    ]
    assert before == []  # not yet in force


def test_check_inside_the_workspace_counts_an_estates_consent_per_deceased_performer(
    production: Path, cli: Cli
) -> None:
    def open_of(uc: str) -> list[str]:
        run = cli("check", "manifest.yaml", "--policy", "pack.yaml", "--format", "json")
        assert run.code in (0, 1), run.stderr
        found = {u["id"]: u for u in json.loads(run.stdout)["use_cases"]}
        return list(found[uc]["open_obligations"])

    assert "estate-consent" in open_of("UC-2")
    estate = ("--party", "J. Hart", "--capacity", "heir", "--replica", "likeness-and-voice")
    recorded(cli("consent", "estate", "lena", "UC-2", *estate))
    assert "estate-consent" in open_of("UC-2")  # omar (deceased: unsure) has none yet
    recorded(cli("consent", "estate", "omar", "UC-2", *estate))
    assert "estate-consent" not in open_of("UC-2")


#: The worked examples of packs-wave2.md §3.4 (SAG3, SAG5) and §4.4 (WGA1), decided by the
#: built-in packs.
UNION_PACKS = """\
version: 1.1
production:
  id: sag-prod
  format: scripted
  policies: [sag-aftra-2023, wga-2023]
tools:
  - {id: ent, name: Enterprise tool, enterprise: yes, trains_on_inputs: no, retains_inputs: no}
talent:
  - {id: late-star, name: Late Star, union: SAG-AFTRA, deceased: "yes"}
use_cases:
  - id: UC-1
    title: A late actor's voice recreated for a cameo
    tools: [ent]
    stage: post
    technique: generate
    output: {media: [audio], destination: final, resembles_protected: no, synthetic_performer: no}
    talent: {performers: [late-star], replica: voice, replica_use: new-performance}
    writing: {given_to_writer: no, by_writer: no}
  - id: UC-2
    title: Generated extras fill a stadium
    tools: [ent]
    stage: post
    technique: generate
    output: {media: [video], destination: final, resembles_protected: no,
             synthetic_performer: "yes"}
    talent: {replaces_union_work: "yes"}
    writing: {given_to_writer: no, by_writer: no}
  - id: UC-3
    title: A chatbot's pilot treatment sent to the hired writer
    tools: [ent]
    stage: ideation
    technique: generate
    output: {media: [text], destination: reference, resembles_protected: no,
             synthetic_performer: no}
    writing: {given_to_writer: "yes", by_writer: "no"}
"""


def test_the_union_packs_obligations_are_met_by_their_evidence(workspace: Path, cli: Cli) -> None:
    (workspace / "unions.yaml").write_text(UNION_PACKS)
    assert cli("import", "unions.yaml").code == 0
    before = states(cli)
    assert {uc: list(obs) for uc, obs in before.items()} == {
        "UC-1": ["estate-consent"],
        "UC-2": ["union-notice"],
        "UC-3": ["writer-disclosure"],
    }
    assert not any(o["met"] for obs in before.values() for o in obs.values())
    recorded(cli("consent", "estate", "late-star", "UC-1", "--party", "SAG-AFTRA",
                 "--capacity", "union", "--replica", "voice", "--use", "cameo"))  # fmt: skip
    recorded(cli("union-notice", "UC-2", "--union", "SAG-AFTRA", "--reference", "N-17"))
    recorded(cli("writer-disclosure", "UC-3", "--writer", "Dana Ruiz", "--material",
                 "Pilot treatment (chatbot draft)"))  # fmt: skip
    assert cli("status").code == 0  # every use case cleared
