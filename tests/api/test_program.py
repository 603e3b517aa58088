"""Program endpoints: versions (read), evaluation runs (trigger and read, the vendor only),
assessments of the latest run and standings in effect on a date (a partner sees its own)."""

from datetime import date
from pathlib import Path

import pytest

from partnerprogram.programs.models import ProgramVersion
from partnerprogram.programs.services import program_versions_load
from partnerprogram.standings.models import Standing
from tests.api.conftest import World, auth
from tests.factories import TrackEnrolmentFactory

pytestmark = pytest.mark.django_db

PROGRAM = """
program: apitest
name: API test program
currency: EUR
timezone: Europe/Paris
version: "1"
effective_from: 2026-07-01
tiers: [ready, advanced]
tracks:
  solution_provider: {}
requirements:
  solution_provider:
    advanced: {metric: certified_people, at_least: 1}
"""


@pytest.fixture
def program(world: World, tmp_path: Path) -> ProgramVersion:
    path = tmp_path / "apitest.yaml"
    path.write_text(PROGRAM, encoding="utf-8")
    program_versions_load(paths=[path])
    TrackEnrolmentFactory(partner=world.a, track="solution_provider")
    TrackEnrolmentFactory(partner=world.b, track="solution_provider")
    return ProgramVersion.objects.get(program__key="apitest", version="1")


def _run(client, world: World) -> dict:
    response = client.post(
        "/api/v1/evaluation-runs",
        {"program": "apitest", "as_of": "2026-11-15"},
        content_type="application/json",
        **auth(world.vendor_token),
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_program_versions_readable_by_partners(client, world: World, program) -> None:
    listed = client.get("/api/v1/program-versions", **auth(world.a_token)).json()
    assert [(v["program"], v["version"]) for v in listed["items"]] == [("apitest", "1")]
    detail = client.get("/api/v1/program-versions/apitest/1", **auth(world.a_token)).json()
    assert "advanced" in str(detail["definition"]["tiers"])
    assert (
        client.get("/api/v1/program-versions/apitest/9", **auth(world.a_token)).status_code == 404
    )


def test_partner_cannot_trigger_a_run(client, world: World, program) -> None:
    response = client.post(
        "/api/v1/evaluation-runs",
        {"program": "apitest", "as_of": "2026-11-15"},
        content_type="application/json",
        **auth(world.a_token),
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


def test_vendor_runs_and_both_partners_are_assessed(client, world: World, program) -> None:
    run = _run(client, world)
    # A and B each have one person holding EX280 earned 2025-05-01 (no expiry): one
    # certified person each, the advanced threshold -> both advanced
    assert (run["program"], run["version"], run["as_of"]) == ("apitest", "1", "2026-11-15")
    assert run["partner_count"] == 2
    assert run["summary"]["by_tier"] == {"ready": 0, "advanced": 2}
    got = client.get(f"/api/v1/evaluation-runs/{run['id']}", **auth(world.vendor_token))
    assert got.json()["id"] == run["id"]


def test_unknown_program_is_a_422_pointing_at_program(client, world: World, program) -> None:
    response = client.post(
        "/api/v1/evaluation-runs",
        {"program": "nope", "as_of": "2026-11-15"},
        content_type="application/json",
        **auth(world.vendor_token),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/program"


def test_assessments_scoped(client, world: World, program) -> None:
    _run(client, world)
    mine = client.get("/api/v1/assessments", **auth(world.a_token)).json()
    assert [(a["partner"], a["tier"]) for a in mine["items"]] == [("P-A1", "advanced")]
    everyone = client.get("/api/v1/assessments", **auth(world.vendor_token)).json()
    assert [a["partner"] for a in everyone["items"]] == ["P-A1", "P-A1B"]
    own = client.get("/api/v1/partners/P-A1/assessment", **auth(world.a_token))
    assert own.status_code == 200 and own.json()["tier"] == "advanced"
    other = client.get("/api/v1/partners/P-A1B/assessment", **auth(world.a_token))
    assert other.status_code == 404
    assert (
        client.get("/api/v1/partners/P-A1B/assessment", **auth(world.vendor_token)).status_code
        == 200
    )


def test_standings_in_effect_scoped(client, world: World, program) -> None:
    for partner, tier in ((world.a, "advanced"), (world.b, "ready")):
        Standing.objects.create(
            partner=partner,
            track="",
            tier=tier,
            status="qualified",
            valid_from=date(2026, 7, 1),
            reason="test",
            program_version=program,
            decided_by="system:test",
        )
    # a later standing of A from 2026-12-01: on 2026-11-15 the first one is in effect
    Standing.objects.create(
        partner=world.a,
        track="",
        tier="ready",
        status="lapsed",
        valid_from=date(2026, 12, 1),
        reason="test",
        program_version=program,
        decided_by="system:test",
    )
    mine = client.get("/api/v1/standings?on=2026-11-15", **auth(world.a_token)).json()
    assert [(s["partner"], s["tier"]) for s in mine["items"]] == [("P-A1", "advanced")]
    later = client.get("/api/v1/standings?on=2026-12-15", **auth(world.a_token)).json()
    assert [(s["partner"], s["tier"]) for s in later["items"]] == [("P-A1", "ready")]
    everyone = client.get("/api/v1/standings?on=2026-11-15", **auth(world.vendor_token)).json()
    assert [(s["partner"], s["tier"]) for s in everyone["items"]] == [
        ("P-A1", "advanced"),
        ("P-A1B", "ready"),
    ]
    filtered = client.get(
        "/api/v1/standings?on=2026-11-15&partner=P-A1B", **auth(world.a_token)
    ).json()
    assert filtered["count"] == 0


def _count_queries(client, path: str, token: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path, **auth(token)).status_code == 200
    return len(ctx.captured_queries)


def test_query_budget_of_program_lists(client, world: World, program) -> None:
    from tests.factories import PartnerFactory

    client.get("/api/v1/me", **auth(world.vendor_token))  # last use recorded once
    paths = ["/api/v1/assessments", "/api/v1/standings?on=2026-11-15", "/api/v1/evaluation-runs"]
    _run(client, world)
    for partner in (world.a, world.b):
        Standing.objects.create(
            partner=partner,
            track="",
            tier="ready",
            status="qualified",
            valid_from=date(2026, 7, 1),
            reason="test",
            program_version=program,
            decided_by="system:test",
        )
    few = [_count_queries(client, p, world.vendor_token) for p in paths]
    for _ in range(18):
        partner = PartnerFactory()
        TrackEnrolmentFactory(partner=partner, track="solution_provider")
        Standing.objects.create(
            partner=partner,
            track="",
            tier="ready",
            status="qualified",
            valid_from=date(2026, 7, 1),
            reason="test",
            program_version=program,
            decided_by="system:test",
        )
    _run(client, world)
    many = [_count_queries(client, p, world.vendor_token) for p in paths]
    assert client.get("/api/v1/assessments", **auth(world.vendor_token)).json()["count"] == 20
    assert few == many


def test_partner_assessment_is_the_portals_not_a_later_what_if(
    client, world: World, program, monkeypatch
) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from partnerprogram.enablement.models import Credential
    from partnerprogram.portal.selectors.context import portal_context
    from partnerprogram.portal.selectors.overview import latest_assessment

    # today pinned to 2026-11-29 (Paris)
    now = datetime(2026, 11, 29, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))
    monkeypatch.setattr(timezone, "now", lambda: now)
    # A's only credential expires 2028-01-01: certified on 2026-11-15, not on 2030-06-30
    Credential.objects.filter(person__partner=world.a).update(expires_on=date(2028, 1, 1))
    due = _run(client, world)  # as_of 2026-11-15: A advanced
    what_if = client.post(
        "/api/v1/evaluation-runs",
        {"program": "apitest", "as_of": "2030-06-30"},
        content_type="application/json",
        **auth(world.vendor_token),
    ).json()
    assert what_if["id"] > due["id"]  # the highest id is the what-if run
    for token in (world.a_token, world.vendor_token):
        seen = client.get("/api/v1/partners/P-A1/assessment", **auth(token)).json()
        assert (seen["run"], seen["as_of"], seen["tier"]) == (due["id"], "2026-11-15", "advanced")
    # the portal shows the same assessment
    ctx = portal_context(partner=world.a)
    assert ctx.current is not None
    shown = latest_assessment(ctx, ctx.current)
    assert shown is not None and shown.run_id == due["id"]
    # the list's default run is the same one
    listed = client.get("/api/v1/assessments", **auth(world.a_token)).json()
    assert [(a["run"], a["tier"]) for a in listed["items"]] == [(due["id"], "advanced")]
    # the what-if run is still there by id: A ready on 2030-06-30 (credential expired)
    ahead = client.get(f"/api/v1/assessments?run={what_if['id']}", **auth(world.a_token)).json()
    assert [(a["as_of"], a["tier"]) for a in ahead["items"]] == [("2030-06-30", "ready")]
    # a second run on the same as_of wins by id
    again = _run(client, world)
    seen = client.get("/api/v1/partners/P-A1/assessment", **auth(world.a_token)).json()
    assert seen["run"] == again["id"]
