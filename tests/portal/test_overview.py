"""The overview: standings, requirements with values computed by hand (see conftest), the gap
in words, the projection at the claim deadline, and the claim form (partner admins only)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from partnerprogram.standings.models import Claim, Standing
from tests.portal.conftest import World, client_for, text

NBSP = "\xa0"


@pytest.mark.django_db
def test_standing_requirements_and_gap(world: World) -> None:
    page = text(client_for(world.personas.amy).get(reverse("portal:overview")))
    assert "<h1>Alpha Conseil</h1>" in page
    assert "Requirement values measured on Nov. 29, 2026." in page
    # official standing: advanced, qualified (baseline), no end
    assert (
        '<span class="badge advanced">Advanced</span> <span class="status">Qualified</span>' in page
    )
    # current tier met, next tier with value / threshold / progress
    assert "Your tier: Advanced" in page and "Next tier: Premier" in page
    assert '<td class="num">€159,000</td>' in page  # 150,000 EUR + 10,000 USD x 0.9
    assert '<td class="num">at least €500,000</td>' in page
    assert '<progress value="31" max="100"' in page  # 159,000 / 500,000
    assert '<progress value="75" max="100"' in page  # 3 / 4 people and 3 / 4 registrations
    # the gap in words
    assert "<li>1 more certified person</li>" in page
    assert "<li>1 more registered opportunity (status: approved, won; 12 months)</li>" in page
    assert "<li>EUR 341,000 more resale bookings (12 months)</li>" in page
    # a partner user sees no claim form
    assert 'action="/portal/claim/"' not in page


@pytest.mark.django_db
def test_projection_at_the_deadline(world: World) -> None:
    page = text(client_for(world.personas.alice).get(reverse("portal:overview")))
    assert "Projection at the claim deadline (Dec. 31, 2026)" in page
    # target = the standing's tier (advanced): still held with 2 people and 2 registrations
    assert "On current figures you would hold Advanced at the deadline." in page
    assert (
        "After the expiry of 1 credential before Dec. 31, 2026 you would have 2 certified "
        "people (today 3)."
    ) in page
    assert (
        "1 approved deal registration loses its protection before Dec. 31, 2026: if it expires "
        "without being won you would have 2 registered opportunities (status: approved, won · "
        "12 months) (now 3)."
    ) in page
    assert "Bruno Petit — RHEL-200 — RHEL Professional (expires on Dec. 15, 2026)" in page
    assert "Expiring SARL (rhel) — Dec. 10, 2026" in page


@pytest.mark.django_db
def test_partner_admin_claims_a_tier_then_sees_it_provisional_and_at_risk(world: World) -> None:
    client = client_for(world.personas.alice)
    page = text(client.get(reverse("portal:overview")))
    assert 'action="/portal/claim/"' in page
    assert '<option value="premier">Premier</option>' in page
    response = client.post(
        reverse("portal:claim"), {"track": "solution_provider", "tier": "premier"}
    )
    assert response.status_code == 302 and response["Location"] == "/portal/"
    claim = Claim.objects.get(partner=world.alpha, status="pending")
    assert (claim.track, claim.tier, claim.filed_by) == ("solution_provider", "premier", "alice")
    page = text(client.get(reverse("portal:overview")))
    assert "Claim filed: Premier, provisional until the claim deadline Dec. 31, 2026." in page
    assert (
        '<span class="badge premier">Premier</span> <span class="status">Provisional</span>' in page
    )
    assert "provisional until Dec. 31, 2026" in page
    # projected against the claimed tier: not held, with what is missing on the deadline
    assert (
        "On current figures you would not hold Premier at the deadline (Advanced instead)." in page
    )
    assert "<li>2 more certified people</li>" in page
    assert "<li>2 more registered opportunities (status: approved, won; 12 months)</li>" in page


@pytest.mark.django_db
def test_claim_form_refusals_are_shown_and_partner_users_cannot_claim(world: World) -> None:
    alice = client_for(world.personas.alice)
    bad = alice.post(reverse("portal:claim"), {"track": "consulting", "tier": "advanced"})
    assert bad.status_code == 400
    assert "Select a valid choice. consulting is not one of the available choices." in text(bad)
    bad = alice.post(reverse("portal:claim"), {"track": "solution_provider", "tier": "platinum"})
    assert bad.status_code == 400 and "platinum is not one of the available choices" in text(bad)
    amy = client_for(world.personas.amy)
    refused = amy.post(reverse("portal:claim"), {"track": "solution_provider", "tier": "premier"})
    assert refused.status_code == 403
    assert not Claim.objects.filter(partner=world.alpha).exists()
    assert alice.get(reverse("portal:claim"))["Location"] == "/portal/"


@pytest.mark.django_db
def test_a_claim_refused_by_the_lifecycle_is_shown_in_the_form(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from partnerprogram.portal import views
    from partnerprogram.standings.errors import ClaimError

    def refuse(**kwargs: object) -> object:
        raise ClaimError("the cycle is already settled")

    monkeypatch.setattr(views, "claim_file", refuse)
    response = client_for(world.personas.alice).post(
        reverse("portal:claim"), {"track": "solution_provider", "tier": "premier"}
    )
    assert response.status_code == 400
    assert "The claim was refused: the cycle is already settled" in text(response)
    assert Standing.objects.filter(partner=world.alpha, status="provisional").count() == 0


@pytest.mark.django_db
def test_french_numbers_and_dates(world: World) -> None:
    page = text(client_for(world.personas.alice, "fr").get(reverse("portal:overview")))
    assert f'<td class="num">159{NBSP}000{NBSP}€</td>' in page
    assert f"500{NBSP}000{NBSP}€" in page
    assert "29 novembre 2026" in page
    assert "encore 1 personne certifiée" in page  # the engine's French gap sentence
    assert "Revendeur intégrateur" in page and "Avancé" in page


@pytest.mark.django_db
def test_an_expiry_that_loses_nobody_is_not_announced_as_a_loss(world: World) -> None:
    from partnerprogram.enablement.models import Certification
    from partnerprogram.partners.models import Person
    from tests.factories import CredentialFactory

    # Bruno's RHEL credential expires on 2026-12-15, but he also holds OpenShift (no expiry):
    # 3 certified people today (Ana, Bruno, Chloé) and still 3 on the deadline
    bruno = Person.objects.get(partner=world.alpha, first_name="Bruno")
    CredentialFactory(
        person=bruno, certification=Certification.objects.get(code="OCP-100"), expires_on=None
    )
    page = text(client_for(world.personas.alice).get(reverse("portal:overview")))
    assert "After the expiry" not in page
    assert (
        "1 credential expires before Dec. 31, 2026; you would still have 3 certified people "
        "(the people concerned hold other credentials)."
    ) in page
    fr = text(client_for(world.personas.alice, lang="fr").get(reverse("portal:overview")))
    assert "vous auriez toujours 3" in fr
