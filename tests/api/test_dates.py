"""Dates near the limits: a decision dated in the future, before its registration or out of
any sane range is a 422 problem pointing at ``/on`` (never a 500); an evaluation's ``as_of``
runs from 2000-01-01 to today plus 10 years (program time zone), else a 422 at ``/as_of``.
The clock is pinned: today is 2026-11-29 (Paris)."""

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from partnerprogram.programs.models import EvaluationRun
from partnerprogram.programs.services import program_versions_load
from partnerprogram.sales.models import DealRegistration
from tests.api.conftest import World, auth
from tests.factories import TrackEnrolmentFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))

PROGRAM = """
program: apidates
name: API dates program
currency: EUR
timezone: Europe/Paris
version: "1"
effective_from: 2020-01-01
tiers: [ready, advanced]
tracks:
  solution_provider: {}
requirements:
  solution_provider:
    advanced: {metric: certified_people, at_least: 1}
"""


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def program(world: World, tmp_path: Path) -> None:
    path = tmp_path / "apidates.yaml"
    path.write_text(PROGRAM, encoding="utf-8")
    program_versions_load(paths=[path])
    TrackEnrolmentFactory(partner=world.a, track="solution_provider")


def _decide(client, world: World, on: str | None) -> object:
    body: dict[str, str] = {"decision": "approved", "reason": "ok"}
    if on is not None:
        body["on"] = on
    return client.post(
        "/api/v1/deal-registrations/DR-A1/decision",
        body,
        content_type="application/json",
        **auth(world.vendor_token),
    )


@pytest.mark.parametrize(
    "on",
    [
        "9999-12-31",  # was a 500: OverflowError adding the protection days
        "2030-01-01",  # in the future
        "2026-11-30",  # tomorrow
        "2026-09-30",  # the day before the registration (2026-10-01)
        "0001-01-01",
    ],
)
def test_decision_date_out_of_range_is_a_422(client, world: World, on: str) -> None:
    response = _decide(client, world, on)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert [e["pointer"] for e in response.json()["errors"]] == ["/on"]
    assert DealRegistration.objects.get(external_id="DR-A1").status == "submitted"


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        ("2026-10-01", date(2026, 10, 1)),  # the registration day itself
        ("2026-11-29", date(2026, 11, 29)),  # today
        (None, date(2026, 11, 29)),  # default: today in the program time zone
    ],
)
def test_decision_dated_from_registration_to_today(client, world, on, expected) -> None:
    response = _decide(client, world, on)
    assert response.status_code == 200, response.content
    body = response.json()
    # approved: protected 90 days from the decision (PROTECTION_DAYS)
    assert body["decided_on"] == expected.isoformat()
    assert body["expires_on"] == date.fromordinal(expected.toordinal() + 90).isoformat()


def _run(client, world: World, as_of: str):
    return client.post(
        "/api/v1/evaluation-runs",
        {"program": "apidates", "as_of": as_of},
        content_type="application/json",
        **auth(world.vendor_token),
    )


@pytest.mark.parametrize(
    "as_of",
    [
        "9999-12-31",  # was a 500 (metric period bounds overflow)
        "2036-11-30",  # today + 10 years + 1 day
        "1999-12-31",  # before 2000-01-01
        "0001-01-01",
    ],
)
def test_as_of_out_of_range_is_a_422(client, world: World, program, as_of: str) -> None:
    response = _run(client, world, as_of)
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["/as_of"]
    assert not EvaluationRun.objects.exists()


def test_as_of_may_project_up_to_ten_years(client, world: World, program) -> None:
    # today 2026-11-29 + 10 years = 2036-11-29: the last date accepted
    response = _run(client, world, "2036-11-29")
    assert response.status_code == 201, response.content
    assert response.json()["as_of"] == "2036-11-29"
