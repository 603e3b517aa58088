"""Query budgets: every portal page runs the same number of queries with 1 and with 50 rows of
each fact it lists (people and credentials, registrations, influence claims, opportunities,
bookings, cloud usage)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerprogram.partners.models import Partner
from partnerprogram.programs.engine import evaluate
from partnerprogram.standings.services import standings_baseline
from tests.accounts.conftest import Personas
from tests.factories import (
    BookingFactory,
    CertificationFactory,
    CloudUsageFactory,
    CredentialFactory,
    DealRegistrationFactory,
    OpportunityFactory,
    PartnerInvolvementFactory,
    PersonFactory,
    TrackEnrolmentFactory,
)
from tests.portal.conftest import TODAY, client_for, load_program

PAGES = [
    "portal:overview",
    "portal:people",
    "portal:opportunities",
    "portal:register",
    "portal:influence",
    "portal:business",
    "portal:benefits",
    "portal:guide",
]
LINES = ("rhel", "openshift", "ansible", "middleware", "cloud")


def _facts(partner: Partner, start: int, count: int) -> None:
    """``count`` more rows of every fact, numbered from ``start``."""
    cert = CertificationFactory(code="RHEL-1", family="rhel")
    for i in range(start, start + count):
        person = PersonFactory(partner=partner, email=f"p{i}@alpha.example")
        CredentialFactory(person=person, certification=cert, expires_on=date(2026, 12, 1 + i % 28))
        opportunity = OpportunityFactory(name=f"Deal {i}", external_id=f"OPP-{i}")
        DealRegistrationFactory(
            partner=partner,
            customer_name=f"Customer {i}",
            registered_on=date(2026, 1 + i % 10, 1),
            expires_on=date(2026, 12, 1 + i % 28),
            opportunity=opportunity,
        )
        PartnerInvolvementFactory(
            opportunity=opportunity, partner=partner, role="influenced", validated=i % 2 == 0
        )
        PartnerInvolvementFactory(opportunity=opportunity, partner=partner, role="sourced")
        BookingFactory(
            transacting_partner=partner,
            opportunity=opportunity,
            influencing_partner=partner,
            booked_on=date(2025 + i % 2, 1 + i % 11, 1),
            currency=("EUR", "USD")[i % 2],
        )
        CloudUsageFactory(
            partner=partner, month=date(2025 + i % 2, 1 + i % 11, 1), product_line=LINES[i % 5]
        )


def _queries(client: Client, name: str) -> int:
    url = reverse(name)
    assert client.get(url).status_code == 200  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_each_page_runs_the_same_queries_with_1_and_50_rows(
    personas: Personas, clock: datetime, tmp_path: Path
) -> None:
    from partnerprogram.core.models import ExchangeRate

    version = load_program(tmp_path)
    alpha = personas.alpha
    Partner.objects.filter(pk=alpha.pk).update(previous_tier="advanced")
    TrackEnrolmentFactory(partner=alpha, track="ccsp", enrolled_on=date(2026, 1, 1))
    ExchangeRate.objects.create(
        currency="USD", base="EUR", rate=Decimal("0.9"), valid_from=date(2025, 1, 1)
    )
    _facts(alpha, 0, 1)
    evaluate(version=version, as_of=TODAY)
    standings_baseline(program="pp", on=date(2026, 7, 1))
    client = client_for(personas.alice)
    one = {name: _queries(client, name) for name in PAGES}
    _facts(alpha, 1, 49)
    evaluate(version=version, as_of=TODAY)
    fifty = {name: _queries(client, name) for name in PAGES}
    assert fifty == one
    # the budget itself (session, user, membership included)
    assert one == {
        "portal:overview": 13,
        "portal:people": 7,
        "portal:opportunities": 7,
        "portal:register": 6,
        "portal:influence": 5,
        "portal:business": 9,
        "portal:benefits": 5,
        "portal:guide": 4,
    }
