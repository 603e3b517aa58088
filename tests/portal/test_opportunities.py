"""Deal registrations (list, detail, the register form and its duplicate warning) and influence
claims."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from partnerprogram.audit.models import AuditEvent
from partnerprogram.portal.models import DealRegistrationSubmission
from partnerprogram.sales.models import DealRegistration, PartnerInvolvement
from tests.portal.conftest import BETA_SECRETS, TODAY, World, client_for, text

VALID = {
    "customer_name": "  Nouvelle   Cliente SA ",
    "product_line": "rhel",
    "estimated_amount": "12500.50",
    "currency": "EUR",
    "expected_close": "2027-02-15",
}


def _secrets(html: str, *, typed: str = "") -> list[str]:
    return [s for s in BETA_SECRETS if s in html.replace(typed, "")]


@pytest.mark.django_db
def test_list_shows_own_registrations_and_influence_claims(world: World) -> None:
    page = text(client_for(world.personas.amy).get(reverse("portal:opportunities")))
    for customer in ("Renewal SA", "Expiring SARL", "Won SAS", "Rejected SA"):
        assert customer in page
    assert "€12,345.60" in page
    assert _secrets(page) == []
    only_won = text(
        client_for(world.personas.amy).get(reverse("portal:opportunities") + "?status=won")
    )
    assert "Won SAS" in only_won and "Renewal SA" not in only_won
    ignored = client_for(world.personas.amy).get(reverse("portal:opportunities") + "?status=bogus")
    assert "Renewal SA" in text(ignored)


@pytest.mark.django_db
def test_register_a_valid_deal(world: World) -> None:
    client = client_for(world.personas.amy)
    response = client.post(reverse("portal:register"), VALID)
    assert response.status_code == 302
    created = DealRegistration.objects.get(partner=world.alpha, customer_name="Nouvelle Cliente SA")
    assert response["Location"] == reverse("portal:registration", kwargs={"pk": created.pk})
    assert (created.status, created.registered_on, created.estimated_amount, created.currency) == (
        "submitted",
        TODAY,
        Decimal("12500.50"),
        "EUR",
    )
    submission = DealRegistrationSubmission.objects.get(registration=created)
    assert (submission.expected_close, submission.submitted_by) == (date(2027, 2, 15), "user:amy")
    # the registration itself carries the date, as when the API or an import writes it
    assert created.expected_close_on == date(2027, 2, 15)
    event = AuditEvent.objects.get(action="deal_registration.submitted")
    assert event.actor == "user:amy" and event.object_id == str(created.pk)
    page = text(client.get(response["Location"]))
    assert "Deal registration submitted for approval." in page
    assert "€12,500.50" in page and "Feb. 15, 2027" in page and "Submitted" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5", "The estimated amount must be a positive amount."),
        ("0", "The estimated amount must be a positive amount."),
        ("abc", "Enter a number."),
        ("12.345", "Ensure that there are no more than 2 decimal places."),
        ("", "This field is required."),
    ],
)
def test_register_refuses_a_bad_amount(world: World, amount: str, message: str) -> None:
    before = DealRegistration.objects.count()
    response = client_for(world.personas.amy).post(
        reverse("portal:register"), {**VALID, "estimated_amount": amount}
    )
    assert response.status_code == 400
    assert message in text(response)
    assert DealRegistration.objects.count() == before


@pytest.mark.django_db
def test_register_refuses_a_past_close_date_an_unknown_line_and_currency(world: World) -> None:
    client = client_for(world.personas.amy)
    bad = client.post(
        reverse("portal:register"),
        {**VALID, "expected_close": "2026-11-28", "product_line": "mainframe", "currency": "JPY"},
    )
    html = text(bad)
    assert bad.status_code == 400
    assert "The expected close date cannot be in the past." in html
    assert "Select a valid choice. mainframe is not one of the available choices." in html
    assert "Select a valid choice. JPY is not one of the available choices." in html
    # USD has a rate into EUR: accepted
    assert client.post(reverse("portal:register"), {**VALID, "currency": "USD"}).status_code == 302


@pytest.mark.django_db
def test_french_amounts_are_read_as_typed(world: World) -> None:
    response = client_for(world.personas.amy, "fr").post(
        reverse("portal:register"),
        {**VALID, "estimated_amount": "12 500,50", "expected_close": "15/02/2027"},
    )
    assert response.status_code == 302
    created = DealRegistration.objects.get(customer_name="Nouvelle Cliente SA")
    assert created.estimated_amount == Decimal("12500.50")


@pytest.mark.django_db
def test_duplicate_warning_never_reveals_the_other_partner(world: World) -> None:
    """Beta holds an approved registration for Acme Industries / rhel: Alpha is warned that one
    exists, never by whom, for how much or in which status; it may confirm and register."""
    client = client_for(world.personas.alice)
    typed = "acme   INDUSTRIES"
    data = {**VALID, "customer_name": typed}
    warned = client.post(reverse("portal:register"), data)
    html = text(warned)
    assert warned.status_code == 400
    assert "A registration for this customer and product line already exists." in html
    assert 'name="confirm_duplicate"' in html
    assert _secrets(html, typed=typed) == []
    assert "approved" not in html.split("duplicate-warning", 1)[1].split("</div>", 1)[0].lower()
    assert not DealRegistration.objects.filter(
        partner=world.alpha, customer_name__iexact="acme industries"
    ).exists()
    # the htmx check says the same, and nothing when the product line differs
    check = client.get(
        reverse("portal:register_check"), {"customer_name": typed, "product_line": "rhel"}
    )
    assert "already exists" in text(check) and _secrets(text(check)) == []
    other_line = client.get(
        reverse("portal:register_check"), {"customer_name": typed, "product_line": "ansible"}
    )
    assert text(other_line).strip() == ""
    # confirmed: registered (the channel team arbitrates)
    done = client.post(reverse("portal:register"), {**data, "confirm_duplicate": "on"})
    assert done.status_code == 302
    assert DealRegistration.objects.filter(
        partner=world.alpha, customer_name="acme INDUSTRIES"
    ).exists()


@pytest.mark.django_db
def test_declare_influence_and_see_its_approval_status(world: World) -> None:
    client = client_for(world.personas.amy)
    response = client.post(reverse("portal:influence"), {"opportunity": "opp-alpha-1"})
    assert response.status_code == 302
    claim = PartnerInvolvement.objects.get(
        partner=world.alpha, opportunity=world.alpha_opportunity, role="influenced"
    )
    assert claim.validated is False
    page = text(client.get(reverse("portal:opportunities")))
    row = page.split("Influence claims", 1)[1]
    assert "Alpha Deal" in row and "Pending approval" in row
    # declared twice: refused; by name works for the other one
    again = client.post(reverse("portal:influence"), {"opportunity": "OPP-ALPHA-1"})
    assert again.status_code == 400
    by_name = client.post(reverse("portal:influence"), {"opportunity": "alpha renewal"})
    assert by_name.status_code == 302
    # approved and rejected claims show their status and the vendor's reason
    PartnerInvolvement.objects.filter(pk=claim.pk).update(
        validated=True, validated_on=date(2026, 12, 1)
    )
    PartnerInvolvement.objects.filter(opportunity=world.renewal, role="influenced").update(
        decided_by="user:carol", decided_on=date(2026, 12, 2), decision_reason="No evidence given"
    )
    page = text(client.get(reverse("portal:opportunities"))).split("Influence claims", 1)[1]
    assert '<span class="met">Approved</span>' in page and "Dec. 1, 2026" in page
    assert '<span class="unmet">Rejected</span>' in page and "No evidence given" in page


@pytest.mark.django_db
def test_duplicates_ignore_case_spacing_and_accents_case_but_not_closed_registrations(
    world: World,
) -> None:
    from partnerprogram.portal.selectors import registration_duplicate_exists
    from tests.factories import DealRegistrationFactory

    DealRegistrationFactory(
        partner=world.beta, customer_name="École  Polytechnique", product_line="openshift"
    )
    DealRegistrationFactory(
        partner=world.beta, customer_name="Old Lost Deal", product_line="rhel", status="lost"
    )
    assert registration_duplicate_exists(
        customer_name=" école POLYTECHNIQUE ", product_line="openshift"
    )
    assert not registration_duplicate_exists(
        customer_name="école polytechnique", product_line="rhel"
    )
    assert not registration_duplicate_exists(customer_name="Old Lost Deal", product_line="rhel")
    assert registration_duplicate_exists(customer_name="ÉCOLE", product_line="openshift") is False
