"""A small program and two look-alike partners for the portal tests.

"Now" is pinned to 2026-11-29 12:00 in Paris (``clock``): inside the claims window of the
program cycle (2026-07-01..2026-12-31, deadline = end of 31 December).

Program ``pp``, version 1 from 2026-07-01 (``PROGRAM``):

- solution_provider: advanced = 2 certified people, 2 registrations (approved or won, 12 months)
  and EUR 100,000 resale (12 months); premier = 4, 4 and EUR 500,000;
- consulting: advanced = a score of 60 points: influenced bookings 1 point per EUR 10,000 (max
  50) and certified people 10 points each (max 30);
- benefits for the three tiers.

Alpha Conseil (``ALPHA``; alice is its partner admin, amy its partner user), previous tier
advanced, enrolled in solution_provider since 2020; its baseline standing is *advanced*
(qualified, from 2026-07-01). Facts:

======================  ======================================================================
people (employed now)   Ana Martin (RHEL credential until 2027-06-01), Bruno Petit (RHEL until
                        2026-12-15: expires before the deadline), Chloé Durand (OpenShift, no
                        expiry; and an RHEL credential expired on 2026-01-01), Eve Roux (none);
                        Dan Leroy left on 2026-06-01 (a valid credential, not counted)
certified people        today 3 (Ana, Bruno, Chloé), at the deadline 2 (Bruno's expires)
registrations           R1 approved 2026-03-01 (protected until 2027-03-01; opportunity "Alpha
                        Renewal"), R2 approved 2026-05-01 (protected until 2026-12-10),
                        R3 won 2026-02-01, R4 rejected 2026-04-01 -> 3 counted
bookings                resold EUR 150,000 (2026-03-01) and USD 10,000 (2026-10-15, rate 0.9:
                        EUR 9,000), EUR 100,000 (2025-02-01); influenced EUR 20,000
                        (2026-05-01); sourced EUR 30,000 (2026-08-01, resold by Beta)
======================  ======================================================================

The stored evaluation (run as of 2026-11-29): certified people 3, registrations 3, resale EUR
159,000: advanced met, premier not (1 more person, 1 more registration, EUR 341,000 more).

Alpha Conseil Bis (``BETA``, bob is its partner admin) looks the same from afar; its facts carry
``BETA_SECRETS`` (names, customers, people, amounts) that Alpha's pages must never show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from partnerprogram.partners.models import Partner
from partnerprogram.programs.engine import evaluate
from partnerprogram.programs.models import ProgramVersion
from partnerprogram.programs.services import program_versions_load
from partnerprogram.sales.models import DealRegistration, Opportunity, PartnerInvolvement
from partnerprogram.standings.services import standings_baseline
from tests.accounts.conftest import Personas, personas  # noqa: F401 - fixture
from tests.factories import (
    BookingFactory,
    CertificationFactory,
    CredentialFactory,
    CustomerFactory,
    DealRegistrationFactory,
    ExchangeRateFactory,
    OpportunityFactory,
    PartnerInvolvementFactory,
    PersonFactory,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=PARIS)
TODAY = date(2026, 11, 29)
DEADLINE = date(2026, 12, 31)

PROGRAM = """
program: pp
name: {en: Portal test program, fr: Programme de test du portail}
currency: EUR
timezone: Europe/Paris
version: "1"
effective_from: 2026-07-01
tiers: [ready, {key: advanced, name: {en: Advanced, fr: Avancé}}, premier]
tracks:
  solution_provider: {name: {en: Solution provider, fr: Revendeur intégrateur}}
  consulting: {name: {en: Consulting, fr: Conseil}}
requirements:
  solution_provider:
    advanced:
      all:
        - {metric: certified_people, at_least: 2,
           label: {en: Certified people, fr: Personnes certifiées}}
        - {metric: registered_opportunities, where: {status: [approved, won]}, window: 12M,
           at_least: 2}
        - {metric: resale_bookings, window: 12M, at_least: 100000}
    premier:
      all:
        - {metric: certified_people, at_least: 4,
           label: {en: Certified people, fr: Personnes certifiées}}
        - {metric: registered_opportunities, where: {status: [approved, won]}, window: 12M,
           at_least: 4}
        - {metric: resale_bookings, window: 12M, at_least: 500000}
  consulting:
    advanced:
      score:
        - {metric: influenced_bookings, window: 12M, points_per: 10000, max_points: 50}
        - {metric: certified_people, points_each: 10, max_points: 30}
      at_least: 60
cycle: {claims_open: 2026-07-01, claim_deadline: 2026-12-31, freeze_months: 12}
benefits:
  ready:
    - {key: discount, kind: discount, value: 0.05, label: {en: Resale discount, fr: Remise}}
  advanced:
    - {key: discount, kind: discount, value: 0.10, label: {en: Resale discount, fr: Remise}}
    - {key: mdf, kind: mdf, value: 15000, label: {en: Marketing funds, fr: Fonds marketing},
       unit: {en: per year, fr: par an}}
    - {key: protection, kind: protection_days, value: 90,
       label: {en: Deal protection, fr: Protection des affaires}}
  premier:
    - {key: discount, kind: discount, value: 0.15, label: {en: Resale discount, fr: Remise}}
    - {key: mdf, kind: mdf, value: 50000, label: {en: Marketing funds, fr: Fonds marketing},
       unit: {en: per year, fr: par an}}
    - {key: protection, kind: protection_days, value: 120,
       label: {en: Deal protection, fr: Protection des affaires}}
    - {key: manager, kind: other, label: {en: Dedicated partner manager, fr: Responsable dédié}}
"""

#: what Alpha's pages must never show (Beta's identity and facts)
BETA_SECRETS = (
    "Alpha Conseil Bis",
    "BETA",
    "Zoé Secret",
    "zoe.secret@beta.example",
    "Beta Hidden Customer",
    "Acme Industries",
    "Beta Only Deal",
    "OPP-BETA-1",
    "777,777",
)


@dataclass
class World:
    personas: Personas
    alpha: Partner
    beta: Partner
    version: ProgramVersion
    r1: DealRegistration  # alpha's approved registration linked to "Alpha Renewal"
    beta_registration: DealRegistration
    alpha_opportunity: Opportunity  # "Alpha Deal": alpha resells it (validated involvement)
    renewal: Opportunity  # "Alpha Renewal": registered by alpha (R1)
    beta_opportunity: Opportunity  # "Beta Only Deal": only beta is involved
    beta_involvement: PartnerInvolvement


@pytest.fixture(autouse=True)
def _fast_passwords(settings: object) -> None:
    """The personas' passwords hashed cheaply (the default hasher takes ~0.5 s a user)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Pin ``django.utils.timezone.now`` to 2026-11-29 12:00 in Paris."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


def load_program(tmp_path: Path) -> ProgramVersion:
    path = tmp_path / "pp-1.yaml"
    path.write_text(PROGRAM, encoding="utf-8")
    program_versions_load(paths=[path])
    return ProgramVersion.objects.get(program__key="pp", version="1")


def _person(partner: Partner, first: str, last: str, **kwargs: object) -> object:
    email = f"{first}.{last}@example.test".lower().replace("é", "e").replace("ö", "o")
    return PersonFactory(partner=partner, first_name=first, last_name=last, email=email, **kwargs)


@pytest.fixture
def world(personas: Personas, clock: datetime, tmp_path: Path) -> World:  # noqa: F811
    version = load_program(tmp_path)
    alpha, beta = personas.alpha, personas.beta
    Partner.objects.filter(pk=alpha.pk).update(previous_tier="advanced")
    alpha.refresh_from_db()
    ExchangeRateFactory(
        currency="USD", base="EUR", rate=Decimal("0.9"), valid_from=date(2026, 1, 1)
    )
    rhel = CertificationFactory(code="RHEL-200", name="RHEL Professional", family="rhel")
    ocp = CertificationFactory(code="OCP-100", name="OpenShift Associate", family="openshift")

    ana = _person(alpha, "Ana", "Martin")
    CredentialFactory(person=ana, certification=rhel, expires_on=date(2027, 6, 1))
    bruno = _person(alpha, "Bruno", "Petit")
    CredentialFactory(person=bruno, certification=rhel, expires_on=date(2026, 12, 15))
    chloe = _person(alpha, "Chloé", "Durand")
    CredentialFactory(person=chloe, certification=ocp, expires_on=None)
    CredentialFactory(
        person=chloe, certification=rhel, earned_on=date(2023, 1, 1), expires_on=date(2026, 1, 1)
    )
    _person(alpha, "Eve", "Roux")
    dan = _person(alpha, "Dan", "Leroy", employed_until=date(2026, 6, 1))
    CredentialFactory(person=dan, certification=rhel, expires_on=None)

    renewal = OpportunityFactory(
        name="Alpha Renewal", external_id="OPP-ALPHA-2", customer=CustomerFactory(name="Renewal SA")
    )
    r1 = DealRegistrationFactory(
        partner=alpha,
        customer_name="Renewal SA",
        registered_on=date(2026, 3, 1),
        decided_on=date(2026, 3, 5),
        expires_on=date(2027, 3, 1),
        opportunity=renewal,
        estimated_amount=Decimal("12345.60"),
    )
    DealRegistrationFactory(
        partner=alpha,
        customer_name="Expiring SARL",
        registered_on=date(2026, 5, 1),
        decided_on=date(2026, 5, 2),
        expires_on=date(2026, 12, 10),
    )
    DealRegistrationFactory(
        partner=alpha, customer_name="Won SAS", status="won", registered_on=date(2026, 2, 1)
    )
    DealRegistrationFactory(
        partner=alpha,
        customer_name="Rejected SA",
        status="rejected",
        registered_on=date(2026, 4, 1),
    )

    deal = OpportunityFactory(
        name="Alpha Deal", external_id="OPP-ALPHA-1", customer=CustomerFactory(name="Deal SA")
    )
    PartnerInvolvementFactory(opportunity=deal, partner=alpha, role="resell")
    PartnerInvolvementFactory(opportunity=deal, partner=alpha, role="sourced")
    BookingFactory(transacting_partner=alpha, amount=Decimal("150000"), booked_on=date(2026, 3, 1))
    BookingFactory(
        transacting_partner=alpha,
        amount=Decimal("10000"),
        currency="USD",
        booked_on=date(2026, 10, 15),
    )
    BookingFactory(transacting_partner=alpha, amount=Decimal("100000"), booked_on=date(2025, 2, 1))
    BookingFactory(
        transacting_partner=None,
        channel="direct",
        influencing_partner=alpha,
        amount=Decimal("20000"),
        booked_on=date(2026, 5, 1),
    )
    BookingFactory(
        transacting_partner=beta,
        opportunity=deal,
        amount=Decimal("30000"),
        booked_on=date(2026, 8, 1),
    )

    # Beta: same shape, its own secrets
    zoe = PersonFactory(
        partner=beta, first_name="Zoé", last_name="Secret", email="zoe.secret@beta.example"
    )
    CredentialFactory(person=zoe, certification=rhel, expires_on=date(2026, 12, 20))
    beta_registration = DealRegistrationFactory(
        partner=beta,
        customer_name="Acme Industries",
        status="approved",
        registered_on=date(2026, 6, 1),
        expires_on=date(2026, 12, 5),
        estimated_amount=Decimal("777777"),
    )
    DealRegistrationFactory(
        partner=beta, customer_name="Beta Hidden Customer", status="submitted", registered_on=TODAY
    )
    beta_opportunity = OpportunityFactory(
        name="Beta Only Deal",
        external_id="OPP-BETA-1",
        customer=CustomerFactory(name="Beta Hidden Customer"),
    )
    beta_involvement = PartnerInvolvementFactory(
        opportunity=beta_opportunity, partner=beta, role="influenced", validated=False
    )
    BookingFactory(transacting_partner=beta, amount=Decimal("777777"), booked_on=date(2026, 6, 1))

    evaluate(version=version, as_of=TODAY)
    standings_baseline(program="pp", on=date(2026, 7, 1))
    return World(
        personas=personas,
        alpha=alpha,
        beta=beta,
        version=version,
        r1=r1,
        beta_registration=beta_registration,
        alpha_opportunity=deal,
        renewal=renewal,
        beta_opportunity=beta_opportunity,
        beta_involvement=beta_involvement,
    )


def client_for(user: object, lang: str = "en") -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    client.cookies["django_language"] = lang
    return client


def text(response: object) -> str:
    """The page's HTML as text."""
    return response.content.decode()  # type: ignore[attr-defined]
