"""Isolation: every URL of the portal urlconf, requested and posted to by alice (Alpha
Conseil's admin) with the look-alike partner's ids and parameters, answers 404 or alice's own
page, and never shows anything of Alpha Conseil Bis; vendor staff and anonymous users are kept
out; every form needs its CSRF token.

A pattern added to ``portal.urls`` without an entry in ``OBJECTS`` (when it takes an id) or in
``PAGES`` fails ``test_every_pattern_is_covered``: say whose object it names.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from partnerprogram.portal import urls as portal_urls
from partnerprogram.sales.models import DealRegistration, PartnerInvolvement
from partnerprogram.standings.models import Claim, Standing
from tests.portal.conftest import BETA_SECRETS, World, client_for, text

#: patterns taking an id -> the look-alike partner's object for each URL kwarg
OBJECTS: dict[str, dict[str, Callable[[World], object]]] = {
    "registration": {"pk": lambda w: w.beta_registration.pk},
}
#: patterns without an id (pages of the member's own partner)
PAGES = {
    "overview",
    "claim",
    "people",
    "opportunities",
    "register",
    "register_check",
    "influence",
    "business",
    "benefits",
    "guide",
}
#: what a curious member adds to every URL, and posts
PARAMS = (
    "partner=BETA&partner_id={beta}&pk={reg}&id={reg}&status=approved"
    "&customer_name=Acme+Industries&product_line=rhel&opportunity=OPP-BETA-1&page=1"
)
#: echoed inputs are typed differently from the secrets they try to reach (lower case)
POST = {
    "partner": "beta",
    "track": "solution_provider",
    "tier": "premier",
    "customer_name": "acme  industries",
    "product_line": "rhel",
    "estimated_amount": "1000",
    "currency": "EUR",
    "expected_close": "2027-01-31",
    "opportunity": "opp-beta-1",
}


def _urls(world: World) -> list[tuple[str, str, bool]]:
    out = []
    for pattern in portal_urls.urlpatterns:
        kwargs = list(pattern.pattern.converters)
        name = pattern.name
        if kwargs:
            values = {k: OBJECTS[name][k](world) for k in kwargs}
            out.append((reverse(f"portal:{name}", kwargs=values), name, True))
        else:
            out.append((reverse(f"portal:{name}"), name, False))
    return out


def _beta_state(world: World) -> tuple[object, ...]:
    return (
        sorted(DealRegistration.objects.filter(partner=world.beta).values_list("pk", "status")),
        sorted(
            PartnerInvolvement.objects.filter(partner=world.beta).values_list("pk", "validated")
        ),
        Claim.objects.filter(partner=world.beta).count(),
        Standing.objects.filter(partner=world.beta).count(),
    )


def _private(where: str, html: str) -> None:
    shown = [secret for secret in BETA_SECRETS if secret in html]
    assert not shown, f"{where} shows the look-alike partner's {shown}"


def test_every_pattern_is_covered() -> None:
    names = [p.name for p in portal_urls.urlpatterns]
    with_ids = {p.name for p in portal_urls.urlpatterns if p.pattern.converters}
    assert set(names) == PAGES | set(OBJECTS), "a portal URL is not covered by the isolation test"
    assert with_ids == set(OBJECTS)


@pytest.mark.django_db
def test_look_alike_ids_and_parameters_show_nothing_of_the_other_partner(world: World) -> None:
    before = _beta_state(world)
    client = client_for(world.personas.alice)
    params = PARAMS.format(beta=world.beta.pk, reg=world.beta_registration.pk)
    for url, _name, names_object in _urls(world):
        for target in (url, f"{url}?{params}"):
            response = client.get(target, follow=True)
            # the language switcher echoes the page's own URL (``next``): not the other's data
            html = text(response).replace(escape(target), "")
            _private(f"GET {target}", html)
            if names_object:
                assert response.status_code == 404, f"GET {target}: {response.status_code}"
            else:
                assert response.status_code == 200, f"GET {target}: {response.status_code}"
        response = client.post(url, {**POST, "pk": world.beta_registration.pk}, follow=True)
        _private(f"POST {url}", text(response))
        assert response.status_code in {200, 400, 404, 405}, f"POST {url}"
        if names_object:
            assert response.status_code in {404, 405}
    assert _beta_state(world) == before, "a request of alice changed the other partner's data"


@pytest.mark.django_db
def test_the_other_partners_registration_is_a_404_and_ones_own_is_shown(world: World) -> None:
    client = client_for(world.personas.alice)
    own = client.get(reverse("portal:registration", kwargs={"pk": world.r1.pk}))
    assert own.status_code == 200
    assert "Renewal SA" in text(own) and "€12,345.60" in text(own)
    other = client.get(reverse("portal:registration", kwargs={"pk": world.beta_registration.pk}))
    assert other.status_code == 404
    missing = client.get(reverse("portal:registration", kwargs={"pk": 999_999}))
    assert missing.status_code == 404
    # bob sees his own, and not alice's
    bob = client_for(world.personas.bob)
    assert bob.get(reverse("portal:registration", kwargs={"pk": world.r1.pk})).status_code == 404
    assert (
        bob.get(
            reverse("portal:registration", kwargs={"pk": world.beta_registration.pk})
        ).status_code
        == 200
    )


@pytest.mark.django_db
def test_an_influence_claim_on_the_other_partners_opportunity_is_refused_like_an_unknown_one(
    world: World,
) -> None:
    client = client_for(world.personas.alice)
    url = reverse("portal:influence")
    theirs = client.post(url, {"opportunity": world.beta_opportunity.external_id})
    unknown = client.post(url, {"opportunity": "OPP-NOPE"})
    assert theirs.status_code == unknown.status_code == 400
    message = "None of your opportunities that you have not declared yet has this id or name."
    assert message in text(theirs) and message in text(unknown)
    # the page lists (datalist) only alice's own opportunities
    page = text(client.get(url))
    assert "OPP-ALPHA-1" in page and "OPP-ALPHA-2" in page
    assert not PartnerInvolvement.objects.filter(
        partner=world.alpha, opportunity=world.beta_opportunity
    ).exists()


@pytest.mark.django_db
def test_vendor_staff_and_strangers_are_kept_out(world: World) -> None:
    carol, dave = client_for(world.personas.carol), client_for(world.personas.dave)
    for url, _name, _names_object in _urls(world):
        assert carol.get(url).status_code == 403, url
        assert dave.get(url).status_code == 403, url
        anonymous = Client().get(url)
        assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_every_form_needs_its_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.personas.alice)
    before = (
        DealRegistration.objects.count(),
        PartnerInvolvement.objects.count(),
        Claim.objects.count(),
    )
    for name in ("claim", "register", "influence"):
        response = client.post(reverse(f"portal:{name}"), POST)
        assert response.status_code == 403, name
    after = (
        DealRegistration.objects.count(),
        PartnerInvolvement.objects.count(),
        Claim.objects.count(),
    )
    assert after == before
    # and the forms carry the token
    for name in ("overview", "register", "influence"):
        assert 'name="csrfmiddlewaretoken"' in text(client.get(reverse(f"portal:{name}"))), name
