"""Each kind: a happy path (values stored as given, references resolved) and its invariants
refused as row errors before the database sees them; ``kind_fields`` documents every kind."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from partnerprogram.core.records import KINDS, kind_fields, records_upsert
from partnerprogram.core.upserts import RowError
from partnerprogram.enablement.models import Certification, Credential
from partnerprogram.partners.models import Partner, Person
from partnerprogram.sales.models import (
    Booking,
    CloudUsage,
    Customer,
    DealRegistration,
    Opportunity,
    PartnerInvolvement,
)
from tests.factories import (
    CertificationFactory,
    CustomerFactory,
    OpportunityFactory,
    PartnerFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

ACTOR = "system:test"


def _one(kind: str, row: dict[str, Any]) -> list[RowError]:
    """Upsert one row (line 2); return its errors."""
    return records_upsert(kind=kind, rows=[(2, row)], actor=ACTOR).errors


# -- happy paths ------------------------------------------------------------------------------


def test_partners_with_merger() -> None:
    PartnerFactory(external_id="P-SURV")
    assert (
        _one(
            "partners",
            {
                "external_id": "P-OLD",
                "name": "Old SARL",
                "siren": "552100554",
                "vat_number": "FR40552100554",
                "country": "FR",
                "city": "Lyon",
                "status": "terminated",
                "joined_on": "2019-05-01",
                "contact_email": "channel@old.example",
                "previous_tier": "premier",
                "merged_into": "P-SURV",
            },
        )
        == []
    )
    old = Partner.objects.get(external_id="P-OLD")
    assert old.merged_into is not None
    assert (old.merged_into.external_id, old.joined_on, old.previous_tier) == (
        "P-SURV",
        date(2019, 5, 1),
        "premier",
    )


def test_partner_not_merged_into_itself() -> None:
    PartnerFactory(external_id="P-1")
    errors = _one(
        "partners", {"external_id": "P-1", "name": "X", "country": "FR", "merged_into": "P-1"}
    )
    assert errors == [RowError(2, "merged_into", "P-1", "A partner cannot be merged into itself.")]


def test_customers() -> None:
    assert (
        _one("customers", {"external_id": "C-1", "name": "Banque", "segment": "enterprise"}) == []
    )
    customer = Customer.objects.get(external_id="C-1")
    assert (customer.name, customer.country, customer.segment) == ("Banque", "", "enterprise")


def test_people() -> None:
    PartnerFactory(external_id="P-1")
    row = {
        "external_id": "PER-1",
        "partner": "P-1",
        "email": "jane@acme.test",
        "first_name": "Jane",
        "job_role": "technical",
        "employed_from": "2024-01-08",
        "employed_until": "2026-06-30",
    }
    assert _one("people", row) == []
    person = Person.objects.get(external_id="PER-1")
    assert (person.partner.external_id, person.employed_until) == ("P-1", date(2026, 6, 30))
    row["employed_until"] = "2024-01-08"  # not after employed_from
    assert [(e.column, e.reason) for e in _one("people", row)] == [
        (
            "employed_until",
            "employed_until must be after employed_from (it is the first day no longer employed).",
        )
    ]


def test_certifications_keyed_by_code() -> None:
    row = {"external_id": "EX280", "name": "OpenShift Admin", "family": "openshift", "level": "pro"}
    assert _one("certifications", row) == []
    assert Certification.objects.get(code="EX280").validity_months is None
    errors = _one("certifications", {**row, "family": "open shift", "validity_months": "0"})
    assert [(e.column, e.reason) for e in errors] == [
        ("family", "family must be a slug: letters, digits, - and _ only."),
        ("validity_months", "validity_months must be at least 1."),
    ]


def test_credentials_keyed_by_credential_id() -> None:
    PersonFactory(external_id="PER-1")
    CertificationFactory(code="EX280")
    row = {
        "external_id": "CRED-1",
        "person": "PER-1",
        "certification": "EX280",
        "earned_on": "2025-05-20",
        "expires_on": "2028-05-20",
    }
    assert _one("credentials", row) == []
    credential = Credential.objects.get(credential_id="CRED-1")
    assert (credential.person.external_id, credential.certification.code) == ("PER-1", "EX280")
    errors = _one("credentials", {**row, "expires_on": "2025-05-20"})
    assert errors == [
        RowError(2, "expires_on", "2025-05-20", "expires_on must be after earned_on.")
    ]


def test_opportunities() -> None:
    CustomerFactory(external_id="C-1")
    row = {
        "external_id": "OPP-1",
        "customer": "C-1",
        "name": "Platform",
        "product_line": "openshift",
        "amount": "120000.50",
        "currency": "EUR",
        "stage": "proposal",
        "created_on": "2026-02-10",
    }
    assert _one("opportunities", row) == []
    assert Opportunity.objects.get(external_id="OPP-1").amount == Decimal("120000.50")
    errors = _one("opportunities", {**row, "amount": "1.234", "currency": "euro"})
    assert [(e.column, e.reason) for e in errors] == [
        ("amount", "amount has more than 2 decimals."),
        ("currency", "currency must be an ISO 4217 code: 3 upper-case letters such as EUR."),
    ]


def test_involvements_keyed_by_opportunity_partner_role() -> None:
    OpportunityFactory(external_id="OPP-1")
    PartnerFactory(external_id="P-1")
    row = {"opportunity": "OPP-1", "partner": "P-1", "role": "influenced", "validated": "false"}
    first = records_upsert(kind="involvements", rows=[(2, row)], actor=ACTOR)
    assert first.created_ids == ["OPP-1/P-1/influenced"]
    again = {**row, "validated": "yes", "validated_on": "2026-03-15"}
    second = records_upsert(kind="involvements", rows=[(2, again)], actor=ACTOR)
    assert (second.created, second.updated) == (0, 1)
    involvement = PartnerInvolvement.objects.get()
    assert (involvement.validated, involvement.validated_on) == (True, date(2026, 3, 15))
    duplicate = records_upsert(kind="involvements", rows=[(2, again), (3, again)], actor=ACTOR)
    assert duplicate.unchanged == 1
    assert duplicate.errors[0].reason == (
        "involvement OPP-1/P-1/influenced already appears on row 2 of this upload: "
        "only the first is kept."
    )
    # validated_on absent keeps the stored date, which needs validated: refused
    errors = _one("involvements", {**row, "validated": "no"})
    assert [e.column for e in errors] == ["validated_on"]


def test_deal_registrations_by_the_vendor() -> None:
    PartnerFactory(external_id="P-1")
    CustomerFactory(external_id="C-1")
    OpportunityFactory(external_id="OPP-1")
    row = {
        "external_id": "DR-1",
        "partner": "P-1",
        "customer": "C-1",
        "customer_name": "Banque",
        "product_line": "rhel",
        "estimated_amount": "80000",
        "currency": "EUR",
        "status": "approved",
        "registered_on": "2026-04-02",
        "decided_on": "2026-04-06",
        "expires_on": "2026-10-06",
        "decided_by": "user:channel",
        "opportunity": "OPP-1",
    }
    assert _one("deal_registrations", row) == []
    reg = DealRegistration.objects.get(external_id="DR-1")
    assert (reg.status, reg.customer.external_id, reg.opportunity.external_id) == (
        "approved",
        "C-1",
        "OPP-1",
    )
    errors = _one("deal_registrations", {**row, "decided_on": "2026-04-01"})
    assert errors == [
        RowError(2, "decided_on", "2026-04-01", "decided_on cannot be before registered_on.")
    ]


def test_bookings() -> None:
    PartnerFactory(external_id="P-1")
    PartnerFactory(external_id="P-2")
    CustomerFactory(external_id="C-1")
    OpportunityFactory(external_id="OPP-1")
    row = {
        "external_id": "BK-1",
        "booked_on": "2026-06-30",
        "amount": "24000.00",
        "currency": "EUR",
        "customer": "C-1",
        "product_line": "rhel",
        "channel": "indirect",
        "motion": "renewal",
        "quantity": "50",
        "term_start": "2026-07-01",
        "term_end": "2027-07-01",
        "opportunity": "OPP-1",
        "transacting_partner": "P-1",
        "influencing_partner": "P-2",
    }
    assert _one("bookings", row) == []
    booking = Booking.objects.get(external_id="BK-1")
    assert booking.transacting_partner is not None and booking.influencing_partner is not None
    assert (booking.transacting_partner.external_id, booking.influencing_partner.external_id) == (
        "P-1",
        "P-2",
    )
    assert booking.quantity == Decimal("50")


@pytest.mark.parametrize(
    ("over", "expected"),
    [
        (
            {"transacting_partner": ""},
            [("transacting_partner", "An indirect booking needs its transacting_partner.")],
        ),
        (
            {"channel": "direct"},
            [
                (
                    "channel",
                    "A booking with a transacting_partner is indirect: set channel to indirect "
                    "or leave transacting_partner empty.",
                )
            ],
        ),
        (
            {"term_start": "", "term_end": "2027-01-01"},
            [("term_start", "term_start is required when term_end is given.")],
        ),
        (
            {"term_start": "2027-01-01", "term_end": "2027-01-01"},
            [
                (
                    "term_end",
                    "term_end must be after term_start (it is the first day after the term).",
                )
            ],
        ),
        ({"quantity": "-3"}, [("quantity", "quantity cannot be negative.")]),
        (
            {"amount": "abc"},
            [
                (
                    "amount",
                    "amount is not a number: write it with a dot for decimals (e.g. 1250.50).",
                )
            ],
        ),
    ],
)
def test_booking_invariants(over: dict[str, str], expected: list[tuple[str, str]]) -> None:
    PartnerFactory(external_id="P-1")
    CustomerFactory(external_id="C-1")
    row = {
        "external_id": "BK-1",
        "booked_on": "2026-06-30",
        "amount": "24000.00",
        "currency": "EUR",
        "customer": "C-1",
        "product_line": "rhel",
        "channel": "indirect",
        "transacting_partner": "P-1",
        "term_start": "2026-07-01",
        **over,
    }
    assert [(e.column, e.reason) for e in _one("bookings", row)] == expected
    assert Booking.objects.count() == 0


def test_cloud_usage() -> None:
    PartnerFactory(external_id="P-1")
    row = {
        "external_id": "CU-1",
        "partner": "P-1",
        "month": "2026-09-01",
        "product_line": "openshift",
        "quantity": "1520.5",
        "unit": "vcpu-hour",
        "amount": "3040.00",
        "currency": "EUR",
    }
    assert _one("cloud_usage", row) == []
    assert CloudUsage.objects.get(external_id="CU-1").quantity == Decimal("1520.5")
    # mid-month: refused (not moved to the 1st), so a wrong column is noticed
    assert _one("cloud_usage", {**row, "month": "2026-09-17"}) == [
        RowError(
            2,
            "month",
            "2026-09-17",
            "month must be the first day of a month (2026-09-01): usage is reported per "
            "calendar month.",
        )
    ]
    # same partner, month and product line under another external id
    errors = _one("cloud_usage", {**row, "external_id": "CU-2"})
    assert errors == [
        RowError(
            2,
            "partner",
            "P-1",
            "Another cloud usage report with a different key already has the same partner, "
            "month, product_line.",
        )
    ]


# -- documentation ----------------------------------------------------------------------------


def test_every_kind_documents_its_fields() -> None:
    assert list(KINDS) == [
        "partners",
        "customers",
        "people",
        "certifications",
        "credentials",
        "opportunities",
        "involvements",
        "deal_registrations",
        "bookings",
        "cloud_usage",
    ]
    for kind, spec in KINDS.items():
        fields = kind_fields(kind)
        names = [f.name for f in fields]
        assert len(names) == len(set(names)), kind
        assert set(spec.key) <= set(names), kind
        for f in fields:
            assert f.help and f.example, (kind, f.name)
            assert (f.type == "ref") == (f.ref_kind in KINDS), (kind, f.name)
            assert (f.type == "choice") == bool(f.choices), (kind, f.name)
            assert f.as_dict()["name"] == f.name


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_documented_examples_validate(kind: str) -> None:
    """A row made of every field's example passes the row validation (refs unresolved)."""
    row = {f.name: f.example for f in kind_fields(kind)}
    KINDS[kind].input_model.model_validate(row)
