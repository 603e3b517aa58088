"""A small program world for the console, every figure computable by hand.

"Today" is pinned to 2026-10-15 12:00 in Paris (``clock``). Program ``cons`` version 1 from
2026-07-01 (Europe/Paris): solution_provider advanced = 2 certified people, premier = 4;
consulting advanced = 2; claims 2026-07-01..2026-12-31, 12 months' freeze.

==== ================== ====== ======= ========== ========================================
ext  name               city   country status     facts
==== ================== ====== ======= ========== ========================================
ALPH Alpha Conseil      Paris  FR      active     sp, previous premier, 4 certified, EUR 600
                                                  resale 2026-05-10, USD 100 resale 2026-06-15
BETA Alpha Conseil Bis  Lyon   FR      active     sp, previous advanced, 2 certified, deal
                                                  registration 2026-09-01 (approved)
GAMM Gamma Influence    Nantes FR      active     consulting, no previous tier, cloud usage
                                                  EUR 68 in 2026-09 and EUR 50 in 2025-09
DELT Delta Services     Liège  BE      suspended  sp, nothing else
OMEG Omega Réseaux      Paris  FR      terminated sp
==== ================== ====== ======= ========== ========================================

Direct bookings: EUR 310 on 2026-07-01, EUR 1,000 on 2025-03-15. Rates: 1 USD = 0.90 EUR from
2026-01-01, 0.80 EUR from 2026-10-01.

Lifecycle: baseline on 2026-07-01 (ALPHA premier, BETA advanced), an evaluation as of
2026-10-01 (ALPHA premier, BETA advanced, GAMMA ready, DELTA ready), claims filed on 2026-09-15
by BETA (premier: at risk), on 2026-09-20 by ALPHA (premier: not at risk), on 2026-09-25 by
GAMMA (consulting advanced: at risk).

Waiting for a decision: deal registrations DR-A1 (ALPHA, registered 2026-10-01) and DR-B1 (BETA,
2026-10-02); an influence claim of ALPHA on opportunity OPP-A1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from django.utils import timezone

from partnerprogram.accounts.models import Membership
from partnerprogram.partners.models import Partner
from partnerprogram.programs.engine import evaluate
from partnerprogram.programs.selectors import program_version_get
from partnerprogram.programs.services import program_versions_load
from partnerprogram.sales.models import Booking, DealRegistration, PartnerInvolvement
from partnerprogram.standings.services import claim_file, standings_baseline
from tests.factories import (
    BookingFactory,
    CertificationFactory,
    CloudUsageFactory,
    CredentialFactory,
    DealRegistrationFactory,
    ExchangeRateFactory,
    OpportunityFactory,
    PartnerFactory,
    PartnerInvolvementFactory,
    PersonFactory,
    TrackEnrolmentFactory,
)

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 10, 15)
NOW = datetime(2026, 10, 15, 12, 0, tzinfo=PARIS)

PROGRAM = """
program: cons
name: {en: Console test program, fr: Programme de test de la console}
currency: EUR
timezone: Europe/Paris
version: "1"
effective_from: 2026-07-01
tiers:
  - ready
  - advanced
  - {key: premier, name: {en: Premier, fr: Premier}}
tracks:
  solution_provider: {name: {en: Solution provider, fr: Revendeur intégrateur}}
  consulting: {name: {en: Consulting, fr: Conseil}}
requirements:
  solution_provider:
    advanced: {metric: certified_people, at_least: 2}
    premier: {metric: certified_people, at_least: 4}
  consulting:
    advanced: {metric: certified_people, at_least: 2}
cycle:
  claims_open: 2026-07-01
  claim_deadline: 2026-12-31
  freeze_months: 12
"""


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Pin ``django.utils.timezone.now`` (and so ``localdate``) to 2026-10-15 12:00 Paris."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


def load_program(tmp_path: Path) -> None:
    path = tmp_path / "cons-1.yaml"
    path.write_text(PROGRAM, encoding="utf-8")
    program_versions_load(paths=[path])


def certify(partner: Partner, count: int) -> None:
    cert = CertificationFactory(code="RH124", family="rhel")
    for _ in range(count):
        CredentialFactory(person=PersonFactory(partner=partner), certification=cert)


def make_user(username: str, role: str | None, partner: Partner | None = None) -> AbstractBaseUser:
    # signed in with force_login: no password (hashing one costs 0.4 s per user)
    user = get_user_model().objects.create_user(
        username=username, password=None, email=f"{username}@example.test"
    )
    if role:
        Membership.objects.create(user=user, role=role, partner=partner)
    return user


def client_for(user: AbstractBaseUser | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@dataclass
class World:
    alpha: Partner
    beta: Partner
    gamma: Partner
    delta: Partner
    omega: Partner
    registration_a: DealRegistration
    registration_b: DealRegistration
    influence_a: PartnerInvolvement
    carol: AbstractBaseUser  # channel manager
    paula: AbstractBaseUser  # program admin
    alice: AbstractBaseUser  # partner admin of ALPHA
    amy: AbstractBaseUser  # partner user of ALPHA
    dave: AbstractBaseUser  # signed up, no role


def _partner(ext: str, name: str, city: str, country: str, track: str, **extra: object) -> Partner:
    partner = PartnerFactory(
        external_id=ext,
        name=name,
        city=city,
        country=country,
        contact_email=f"{ext.lower()}@example.test",
        **extra,
    )
    TrackEnrolmentFactory(partner=partner, track=track, enrolled_on=date(2024, 1, 1))
    return partner


@pytest.fixture
def world(db: None, tmp_path: Path, clock: datetime) -> World:
    load_program(tmp_path)
    alpha = _partner(
        "ALPHA", "Alpha Conseil", "Paris", "FR", "solution_provider", previous_tier="premier"
    )
    beta = _partner(
        "BETA", "Alpha Conseil Bis", "Lyon", "FR", "solution_provider", previous_tier="advanced"
    )
    gamma = _partner("GAMMA", "Gamma Influence", "Nantes", "FR", "consulting")
    delta = _partner(
        "DELTA",
        "Delta Services",
        "Liège",
        "BE",
        "solution_provider",
        status=Partner.Status.SUSPENDED,
    )
    omega = _partner(
        "OMEGA",
        "Omega Réseaux",
        "Paris",
        "FR",
        "solution_provider",
        status=Partner.Status.TERMINATED,
    )
    certify(alpha, 4)
    certify(beta, 2)

    ExchangeRateFactory(
        currency="USD", base="EUR", rate=Decimal("0.90"), valid_from=date(2026, 1, 1)
    )
    ExchangeRateFactory(
        currency="USD", base="EUR", rate=Decimal("0.80"), valid_from=date(2026, 10, 1)
    )
    BookingFactory(transacting_partner=alpha, amount=Decimal("600.00"), booked_on=date(2026, 5, 10))
    BookingFactory(
        transacting_partner=alpha,
        amount=Decimal("100.00"),
        currency="USD",
        booked_on=date(2026, 6, 15),
    )
    BookingFactory(
        transacting_partner=None,
        channel=Booking.Channel.DIRECT,
        amount=Decimal("310.00"),
        booked_on=date(2026, 7, 1),
    )
    BookingFactory(
        transacting_partner=None,
        channel=Booking.Channel.DIRECT,
        amount=Decimal("1000.00"),
        booked_on=date(2025, 3, 15),
    )
    CloudUsageFactory(partner=gamma, month=date(2026, 9, 1), amount=Decimal("68.00"))
    CloudUsageFactory(partner=gamma, month=date(2025, 9, 1), amount=Decimal("50.00"))
    DealRegistrationFactory(
        partner=beta, registered_on=date(2026, 9, 1), status=DealRegistration.Status.APPROVED
    )

    standings_baseline(program="cons", on=date(2026, 7, 1))
    evaluate(version=program_version_get(program="cons", version="1"), as_of=date(2026, 10, 1))
    claim_file(
        partner=beta,
        track="solution_provider",
        tier="premier",
        filed_by="bob",
        at=paris(2026, 9, 15, 10),
        program="cons",
    )
    claim_file(
        partner=alpha,
        track="solution_provider",
        tier="premier",
        filed_by="alice",
        at=paris(2026, 9, 20, 10),
        program="cons",
    )
    claim_file(
        partner=gamma,
        track="consulting",
        tier="advanced",
        filed_by="gina",
        at=paris(2026, 9, 25, 10),
        program="cons",
    )

    registration_a = DealRegistrationFactory(
        external_id="DR-A1",
        partner=alpha,
        customer_name="Mairie de Lyon",
        estimated_amount=Decimal("12500.00"),
        registered_on=date(2026, 10, 1),
        status=DealRegistration.Status.SUBMITTED,
    )
    registration_b = DealRegistrationFactory(
        external_id="DR-B1",
        partner=beta,
        customer_name='=HYPERLINK("http://x.test")',
        registered_on=date(2026, 10, 2),
        status=DealRegistration.Status.SUBMITTED,
    )
    influence_a = PartnerInvolvementFactory(
        partner=alpha,
        opportunity=OpportunityFactory(external_id="OPP-A1", name="ERP rollout"),
        validated=False,
        validated_on=None,
    )
    return World(
        alpha=alpha,
        beta=beta,
        gamma=gamma,
        delta=delta,
        omega=omega,
        registration_a=registration_a,
        registration_b=registration_b,
        influence_a=influence_a,
        carol=make_user("carol", "channel_manager"),
        paula=make_user("paula", "program_admin"),
        alice=make_user("alice", "partner_admin", alpha),
        amy=make_user("amy", "partner_user", alpha),
        dave=make_user("dave", None),
    )
