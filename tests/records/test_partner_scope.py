"""Partner-scoped upserts (partner API token, portal): a partner writes only its own deal
registrations and people, and learns nothing about a look-alike second partner."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from partnerprogram.core.records import KINDS, records_upsert
from partnerprogram.core.upserts import RowError
from partnerprogram.partners.models import Partner, Person
from partnerprogram.sales.models import DealRegistration
from tests.factories import (
    CustomerFactory,
    DealRegistrationFactory,
    OpportunityFactory,
    PartnerFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

#: "Today" in the program time zone for these calls (no program stored: the server's zone).
TODAY = date(2026, 4, 2)


@pytest.fixture(autouse=True)
def rhel() -> None:
    """The vendor's product line rhel (product lines come from the pipeline and bookings)."""
    OpportunityFactory(product_line="rhel")


UNKNOWN_ID = (
    "Unknown external id: no deal registration of this partner has it, and it cannot be used "
    "for a new one."
)


@pytest.fixture
def acme() -> Partner:
    return PartnerFactory(external_id="P-100", name="Acme Cloud")


@pytest.fixture
def lookalike() -> Partner:
    """Same name, an external id that extends the first one's."""
    return PartnerFactory(external_id="P-1000", name="Acme Cloud")


def _registration(ext: str, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "external_id": ext,
        "customer_name": "Banque Exemple",
        "product_line": "rhel",
        "estimated_amount": "5000.00",
        "currency": "EUR",
        "registered_on": "2026-04-02",
    }
    row.update(over)
    return row


def _leaks(report_errors: list[RowError], other: Partner) -> bool:
    text = " ".join(f"{e.reason}" for e in report_errors)
    return other.external_id in text or "P-1000" in text or str(other.pk) in text.split()


def test_partner_submits_its_own_registration(acme: Partner, lookalike: Partner) -> None:
    report = records_upsert(
        kind="deal_registrations",
        rows=[(1, _registration("DR-A1", expected_close_on="2026-09-30"))],
        actor="user:acme-admin",
        partner=acme,
        on=TODAY,
    )
    assert (report.created, report.rejected) == (1, 0)
    reg = DealRegistration.objects.get(external_id="DR-A1")
    # partner omitted: the scoped partner; status default submitted
    assert (reg.partner_id, reg.status, reg.expected_close_on) == (
        acme.pk,
        "submitted",
        date(2026, 9, 30),
    )


def test_cannot_target_or_claim_the_other_partners_registration(
    acme: Partner, lookalike: Partner
) -> None:
    theirs = DealRegistrationFactory(
        external_id="DR-B1", partner=lookalike, estimated_amount=Decimal("9000.00")
    )
    rows = [
        (1, _registration("DR-B1")),  # the look-alike's registration, implicit partner
        (2, _registration("DR-B1x", partner="P-1000")),  # naming the look-alike
        (3, _registration("DR-A2", partner="P-100")),  # its own: created
    ]
    report = records_upsert(
        kind="deal_registrations", rows=rows, actor="user:acme-admin", partner=acme, on=TODAY
    )
    assert report.errors == [
        RowError(1, "external_id", "DR-B1", UNKNOWN_ID),
        RowError(2, "partner", "P-1000", "Unknown partner: no partner has this external id."),
    ]
    assert (report.created, report.rejected) == (1, 2)
    assert not _leaks(report.errors, lookalike)
    theirs.refresh_from_db()
    assert (theirs.partner_id, theirs.estimated_amount) == (lookalike.pk, Decimal("9000.00"))
    assert not DealRegistration.objects.filter(external_id="DR-B1x").exists()


def test_unknown_and_foreign_partner_get_the_same_answer(acme: Partner, lookalike: Partner) -> None:
    rows = [(1, _registration("DR-1", partner="P-1000")), (2, _registration("DR-2", partner="P-9"))]
    report = records_upsert(
        kind="deal_registrations", rows=rows, actor="user:a", partner=acme, on=TODAY
    )
    assert {e.reason for e in report.errors} == {
        "Unknown partner: no partner has this external id."
    }


def test_partner_cannot_decide(acme: Partner) -> None:
    rows = [
        (1, _registration("DR-1", status="approved")),
        (2, _registration("DR-2", decided_on="2026-04-05")),
        (3, _registration("DR-3", customer="CUS-1")),  # vendor field: refused unresolved
    ]
    report = records_upsert(
        kind="deal_registrations", rows=rows, actor="user:a", partner=acme, on=TODAY
    )
    assert [(e.row, e.column) for e in report.errors] == [
        (1, "status"),
        (2, "decided_on"),
        (3, "customer"),
    ]
    assert report.errors[1].reason == "Only the vendor sets decided_on: leave it empty."
    assert report.created == 0


def test_decided_registration_is_frozen_for_the_partner(acme: Partner) -> None:
    DealRegistrationFactory(
        external_id="DR-A1",
        partner=acme,
        customer_name="Banque Exemple",
        product_line="rhel",
        estimated_amount=Decimal("5000.00"),
        currency="EUR",
        status="approved",
        registered_on=date(2026, 4, 2),
    )
    # identical: unchanged
    same = records_upsert(
        kind="deal_registrations",
        rows=[(1, _registration("DR-A1"))],
        actor="user:a",
        partner=acme,
        on=TODAY,
    )
    assert (same.unchanged, same.rejected) == (1, 0)
    changed = records_upsert(
        kind="deal_registrations",
        rows=[(1, _registration("DR-A1", estimated_amount="7000"))],
        actor="user:a",
        partner=acme,
        on=TODAY,
    )
    assert changed.errors == [
        RowError(
            1,
            "external_id",
            "DR-A1",
            "The vendor has already decided this registration (status approved): it can no "
            "longer be changed.",
        )
    ]
    reg = DealRegistration.objects.get(external_id="DR-A1")
    assert (reg.status, reg.estimated_amount) == ("approved", Decimal("5000.00"))


def test_partner_corrects_a_submitted_registration(acme: Partner) -> None:
    # registered on 2026-04-02 as the row sends it: only the amount changes
    DealRegistrationFactory(
        external_id="DR-A1", partner=acme, status="submitted", registered_on=TODAY
    )
    report = records_upsert(
        kind="deal_registrations",
        rows=[(1, _registration("DR-A1", estimated_amount="7000"))],
        actor="user:a",
        partner=acme,
        on=TODAY,
    )
    assert report.updated == 1
    assert DealRegistration.objects.get(external_id="DR-A1").estimated_amount == Decimal("7000")


def test_partner_cannot_blank_the_vendors_fields(acme: Partner) -> None:
    customer = CustomerFactory(external_id="CUS-1")
    DealRegistrationFactory(
        external_id="DR-A1",
        partner=acme,
        customer=customer,
        customer_name="Banque Exemple",
        product_line="rhel",
        estimated_amount=Decimal("5000.00"),
        currency="EUR",
        status="submitted",
        registered_on=date(2026, 4, 2),
    )
    # blank vendor fields: allowed (nothing to refuse), but the stored values are kept
    row = _registration("DR-A1", customer="", decided_by="", opportunity=None)
    report = records_upsert(
        kind="deal_registrations", rows=[(1, row)], actor="u", partner=acme, on=TODAY
    )
    assert (report.unchanged, report.rejected) == (1, 0)
    assert DealRegistration.objects.get(external_id="DR-A1").customer_id == customer.pk


def test_people_of_the_other_partner_are_out_of_reach(acme: Partner, lookalike: Partner) -> None:
    PersonFactory(external_id="PER-B", partner=lookalike, email="jane@acme.test")
    rows = [
        (1, {"external_id": "PER-B", "email": "jane@acme.test", "employed_from": "2024-01-01"}),
        (2, {"external_id": "PER-A", "email": "jane@acme.test", "employed_from": "2024-01-01"}),
    ]
    report = records_upsert(kind="people", rows=rows, actor="user:a", partner=acme, on=TODAY)
    assert [(e.row, e.column, e.value) for e in report.errors] == [(1, "external_id", "PER-B")]
    assert not _leaks(report.errors, lookalike)
    assert Person.objects.get(external_id="PER-B").partner_id == lookalike.pk
    assert Person.objects.get(external_id="PER-A").partner_id == acme.pk


@pytest.mark.parametrize(
    "kind",
    sorted(k for k in KINDS if k not in ("people", "deal_registrations")),
)
def test_other_kinds_are_vendor_only(acme: Partner, kind: str) -> None:
    with pytest.raises(PermissionError):
        records_upsert(kind=kind, rows=[], actor="user:a", partner=acme, on=TODAY)
