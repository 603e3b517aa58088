"""A small program and a hand-built population for the lifecycle tests.

Program ``life`` (Europe/Paris), version 1 from 2026-07-01:

- solution_provider: advanced = 2 certified people; premier = 4 certified people and
  EUR 500,000 resale in 12 months;
- consulting: advanced = 2 certified people;
- ccsp (from 2027-01-01, own cycle 2027-01-01..2027-03-31, 9 months' freeze):
  advanced = EUR 1,000 cloud usage in 12 months;
- grandfathering: previous Premier keep Premier while qualifying for Advanced;
- cycle: claims 2026-07-01..2026-12-31, 12 months' freeze (frozen through 2027-12-31).

Version 2 (from 2026-09-01, ``v2`` fixture) lowers the premier resale threshold to EUR 400,000.

Partners (all enrolled since 2024-01-01):

==== ========== =========================================================== ==================
ext  track      facts                                                       on 2026-12-31
==== ========== =========================================================== ==================
A    sp         4 certified, EUR 600,000 resale (2026-03-01)                premier
A2   sp         look-alike of A, but one credential expires on 2026-12-31   advanced (3 people)
C    sp         previous premier, 2 certified, no resale                    advanced -> GF premier
D    consulting 1 certified person                                          ready
E    ccsp       EUR 5,000 cloud usage in 2026-11                            (track not open)
==== ========== =========================================================== ==================
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from partnerprogram.partners.models import Partner
from partnerprogram.programs.services import program_versions_load
from tests.factories import (
    BookingFactory,
    CertificationFactory,
    CloudUsageFactory,
    CredentialFactory,
    PartnerFactory,
    PersonFactory,
    TrackEnrolmentFactory,
)

PARIS = ZoneInfo("Europe/Paris")
PROGRAM = "life"

V1 = """
program: life
name: Lifecycle test program
currency: EUR
timezone: Europe/Paris
version: "1"
effective_from: 2026-07-01
tiers: [ready, advanced, premier]
tracks:
  solution_provider: {}
  consulting: {}
  ccsp:
    effective_from: 2027-01-01
    cycle: {claims_open: 2027-01-01, claim_deadline: 2027-03-31, freeze_months: 9}
requirements:
  solution_provider:
    advanced: {metric: certified_people, at_least: 2}
    premier:
      all:
        - {metric: certified_people, at_least: 4}
        - {metric: resale_bookings, window: 12M, at_least: RESALE}
  consulting:
    advanced: {metric: certified_people, at_least: 2}
  ccsp:
    advanced: {metric: cloud_usage, window: 12M, at_least: 1000}
grandfathering:
  - id: keep-premier
    keep: premier
    for: {was: premier, tier_on: 2026-06-30}
    while_qualifying_for: advanced
cycle:
  claims_open: 2026-07-01
  claim_deadline: 2026-12-31
  freeze_months: 12
  promotions_during_freeze: PROMOTIONS
"""


def program_text(
    *,
    version: str = "1",
    effective_from: str = "2026-07-01",
    resale: int = 500000,
    promotions: bool = False,
) -> str:
    return (
        V1.replace('version: "1"', f'version: "{version}"')
        .replace("effective_from: 2026-07-01", f"effective_from: {effective_from}")
        .replace("RESALE", str(resale))
        .replace("PROMOTIONS", "true" if promotions else "false")
    )


def load(tmp_path: Path, **kwargs: object) -> None:
    name = f"life-{kwargs.get('version', '1')}.yaml"
    path = tmp_path / name
    path.write_text(program_text(**kwargs), encoding="utf-8")  # type: ignore[arg-type]
    program_versions_load(paths=[path])


def paris(*args: int) -> datetime:
    """An aware instant in Europe/Paris: ``paris(2026, 12, 31, 23, 59, 59)``."""
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


#: the deadline instant of the program cycle and the first settlement moment
DEADLINE = paris(2027, 1, 1)

#: "now" for the tests of the commands (``clock``): during the claims window of the cycle
NOW = paris(2026, 11, 29, 12)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Pin ``django.utils.timezone.now`` (the commands' "now", for the refusals of a future
    ``--at``) to ``NOW``, 2026-11-29 12:00 in Paris."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


def _partner(ext: str, track: str, previous: str = "") -> Partner:
    partner = PartnerFactory(
        external_id=ext,
        name=f"Partner {ext}",
        previous_tier=previous,
        contact_email=f"{ext.lower()}@example.test",
    )
    TrackEnrolmentFactory(partner=partner, track=track, enrolled_on=date(2024, 1, 1))
    return partner


def certify(
    partner: Partner,
    count: int,
    *,
    expires_on: date | None = None,
    earned_on: date = date(2025, 1, 1),
) -> None:
    cert = CertificationFactory(code="RH124", family="rhel")
    for _ in range(count):
        CredentialFactory(
            person=PersonFactory(partner=partner),
            certification=cert,
            earned_on=earned_on,
            expires_on=expires_on,
        )


@pytest.fixture
def partners(db: None) -> dict[str, Partner]:
    a = _partner("A", "solution_provider")
    certify(a, 4)
    BookingFactory(transacting_partner=a, amount=Decimal("600000.00"), booked_on=date(2026, 3, 1))

    a2 = _partner("A2", "solution_provider")
    certify(a2, 3)
    certify(a2, 1, expires_on=date(2026, 12, 31))  # does not count on the deadline day
    BookingFactory(transacting_partner=a2, amount=Decimal("600000.00"), booked_on=date(2026, 3, 1))

    c = _partner("C", "solution_provider", previous="premier")
    certify(c, 2)

    d = _partner("D", "consulting")
    certify(d, 1)

    e = _partner("E", "ccsp")
    CloudUsageFactory(partner=e, month=date(2026, 11, 1), amount=Decimal("5000.00"))
    return {"A": a, "A2": a2, "C": c, "D": d, "E": e}


@pytest.fixture
def v1(db: None, tmp_path: Path) -> None:
    load(tmp_path)


@pytest.fixture
def v1_promotions(db: None, tmp_path: Path) -> None:
    load(tmp_path, promotions=True)
