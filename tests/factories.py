"""factory_boy factories for the fact models: plain, predictable values.

Every external id is an explicit ``Sequence`` (``P0001``, ``PER0001``...), dates default to fixed
days in 2026 (no "today"), money defaults to EUR, and no factory invents facts the test did not
ask for (a ``PersonFactory`` creates its partner, nothing else). Override what the test is about.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory

from partnerprogram.core.models import ExchangeRate
from partnerprogram.enablement.models import Certification, Credential
from partnerprogram.partners.models import Attestation, Partner, Person, TrackEnrolment
from partnerprogram.sales.models import (
    Booking,
    CloudUsage,
    Customer,
    DealRegistration,
    Opportunity,
    PartnerInvolvement,
)

__all__ = [
    "AttestationFactory",
    "BookingFactory",
    "CertificationFactory",
    "CloudUsageFactory",
    "CredentialFactory",
    "CustomerFactory",
    "DealRegistrationFactory",
    "ExchangeRateFactory",
    "OpportunityFactory",
    "PartnerFactory",
    "PartnerInvolvementFactory",
    "PersonFactory",
    "TrackEnrolmentFactory",
]


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    external_id = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"Partner {n:04d}")
    country = "FR"
    city = "Paris"
    status = Partner.Status.ACTIVE
    joined_on = date(2020, 1, 1)


class TrackEnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrackEnrolment

    partner = factory.SubFactory(PartnerFactory)
    track = "solution_provider"
    enrolled_on = date(2020, 1, 1)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    external_id = factory.Sequence(lambda n: f"PER{n:05d}")
    partner = factory.SubFactory(PartnerFactory)
    email = factory.Sequence(lambda n: f"person{n:05d}@example.test")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    job_role = Person.JobRole.TECHNICAL
    employed_from = date(2020, 1, 1)
    employed_until = None


class AttestationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attestation

    external_id = factory.Sequence(lambda n: f"ATT{n:05d}")
    partner = factory.SubFactory(PartnerFactory)
    kind = "business_plan"
    category = ""
    attested_on = date(2026, 1, 15)
    valid_until = None


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"CERT{n:03d}")
    name = factory.Sequence(lambda n: f"Certification {n:03d}")
    family = "rhel"
    level = "professional"
    validity_months = 36


class CredentialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Credential

    credential_id = factory.Sequence(lambda n: f"CRED{n:06d}")
    person = factory.SubFactory(PersonFactory)
    certification = factory.SubFactory(CertificationFactory)
    earned_on = date(2025, 1, 1)
    expires_on = None


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"CUS{n:05d}")
    name = factory.Sequence(lambda n: f"Customer {n:05d}")
    country = "FR"
    segment = Customer.Segment.SMB


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    external_id = factory.Sequence(lambda n: f"OPP{n:05d}")
    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Opportunity {n:05d}")
    product_line = "rhel"
    amount = Decimal("10000.00")
    currency = "EUR"
    stage = Opportunity.Stage.PROPOSAL
    created_on = date(2026, 3, 1)
    close_date = None


class PartnerInvolvementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerInvolvement

    opportunity = factory.SubFactory(OpportunityFactory)
    partner = factory.SubFactory(PartnerFactory)
    role = PartnerInvolvement.Role.INFLUENCED
    validated = True
    validated_on = date(2026, 3, 15)


class DealRegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealRegistration

    external_id = factory.Sequence(lambda n: f"DR{n:05d}")
    partner = factory.SubFactory(PartnerFactory)
    customer = None
    customer_name = factory.Sequence(lambda n: f"Prospect {n:05d}")
    product_line = "rhel"
    estimated_amount = Decimal("10000.00")
    currency = "EUR"
    status = DealRegistration.Status.APPROVED
    registered_on = date(2026, 3, 1)


class BookingFactory(factory.django.DjangoModelFactory):
    """An indirect booking resold by a new partner; pass ``transacting_partner=None,
    channel="direct"`` for a direct one."""

    class Meta:
        model = Booking

    external_id = factory.Sequence(lambda n: f"BK{n:06d}")
    booked_on = date(2026, 3, 1)
    amount = Decimal("1000.00")
    currency = "EUR"
    customer = factory.SubFactory(CustomerFactory)
    product_line = "rhel"
    channel = Booking.Channel.INDIRECT
    motion = Booking.Motion.NEW
    quantity = Decimal("0")
    term_start = None
    term_end = None
    opportunity = None
    transacting_partner = factory.SubFactory(PartnerFactory)
    influencing_partner = None


class CloudUsageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CloudUsage

    external_id = factory.Sequence(lambda n: f"CU{n:06d}")
    partner = factory.SubFactory(PartnerFactory)
    month = date(2026, 1, 1)
    product_line = "openshift"
    quantity = Decimal("100")
    unit = "vcpu_hour"
    amount = Decimal("1000.00")
    currency = "EUR"


class ExchangeRateFactory(factory.django.DjangoModelFactory):
    """1 ``currency`` = ``rate`` ``base`` from ``valid_from``."""

    class Meta:
        model = ExchangeRate

    currency = "USD"
    base = "EUR"
    rate = Decimal("0.90000000")
    valid_from = date(2026, 1, 1)
