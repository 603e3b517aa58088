"""Personas of the API tests: a vendor token, a token of partner A ("Alpine Cloud", P-A1) and a
look-alike partner B ("Alpine Cloud Services", P-A1B) with the same kinds of rows under similar
ids: every access test checks that A's token never reaches B's rows."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from partnerprogram.api.services import api_token_create
from partnerprogram.partners.models import Partner
from tests.factories import (
    BookingFactory,
    CertificationFactory,
    CloudUsageFactory,
    CredentialFactory,
    CustomerFactory,
    DealRegistrationFactory,
    OpportunityFactory,
    PartnerFactory,
    PartnerInvolvementFactory,
    PersonFactory,
)

#: a fixed instant for token creation (tests never depend on today)
CREATED = datetime.fromisoformat("2026-11-01T09:00:00+01:00")


@dataclass
class World:
    """Both partners, their row ids by resource, and the three tokens."""

    a: Partner
    b: Partner
    vendor_token: str
    a_token: str
    b_token: str
    ids: dict[str, dict[str, str]] = field(default_factory=dict)


def auth(token: str) -> dict[str, str]:
    """Test-client headers carrying a bearer token."""
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _rows(partner: Partner, tag: str) -> dict[str, str]:
    """One row of every resource owned by ``partner``; ids carry ``tag`` (``A1``/``A1B``)."""
    customer = CustomerFactory(external_id=f"CUS-{tag}", name=f"Client {tag}")
    person = PersonFactory(
        external_id=f"PER-{tag}", partner=partner, email=f"ada.{tag.lower()}@example.test"
    )
    cert = CertificationFactory(code="EX280", family="openshift")
    credential = CredentialFactory(
        credential_id=f"CRED-{tag}", person=person, certification=cert, earned_on=date(2025, 5, 1)
    )
    opportunity = OpportunityFactory(external_id=f"OPP-{tag}", customer=customer)
    PartnerInvolvementFactory(opportunity=opportunity, partner=partner)
    registration = DealRegistrationFactory(
        external_id=f"DR-{tag}",
        partner=partner,
        customer=customer,
        status="submitted",
        registered_on=date(2026, 10, 1),
    )
    booking = BookingFactory(
        external_id=f"BK-{tag}", customer=customer, transacting_partner=partner
    )
    usage = CloudUsageFactory(external_id=f"CU-{tag}", partner=partner)
    return {
        "partners": partner.external_id,
        "customers": customer.external_id,
        "people": person.external_id,
        "credentials": credential.credential_id,
        "opportunities": opportunity.external_id,
        "involvements": opportunity.external_id,
        "deal-registrations": registration.external_id,
        "bookings": booking.external_id,
        "cloud-usage": usage.external_id,
    }


@pytest.fixture
def world(db: Any) -> World:
    a = PartnerFactory(external_id="P-A1", name="Alpine Cloud")
    b = PartnerFactory(external_id="P-A1B", name="Alpine Cloud Services")
    ids = {"A": _rows(a, "A1"), "B": _rows(b, "A1B")}
    # a direct booking (no partner): only the vendor sees it
    BookingFactory(
        external_id="BK-DIRECT",
        customer=CustomerFactory(external_id="CUS-DIRECT"),
        transacting_partner=None,
        channel="direct",
        amount=Decimal("500.00"),
    )
    return World(
        a=a,
        b=b,
        vendor_token=api_token_create(
            name="integration", partner=None, actor="test", now=CREATED, expires_in_days=366
        ).token,
        a_token=api_token_create(
            name="alpine", partner=a, actor="test", now=CREATED, expires_in_days=366
        ).token,
        b_token=api_token_create(
            name="alpine services", partner=b, actor="test", now=CREATED, expires_in_days=366
        ).token,
        ids=ids,
    )


@pytest.fixture
def client() -> Client:
    return Client()
