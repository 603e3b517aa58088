"""Journey (e): a partner user of the look-alike partner tries the other partner's URLs.

bert is a partner user of *Alpha Conseil Lille*; the other partner is *Alpha Conseil Lyon*.
Every portal URL is tried with Alpha Conseil Lyon's object ids and every console URL with
Alpha Conseil Lyon's keys: each answers 403 or 404 (pages without an object may answer the
member's own page), and no answer ever shows Alpha Conseil Lyon's name, customers or people.
The console URLs and the portal URLs naming an object are posted to as well (with a valid
CSRF token): refused, and nothing changes. A URL added to the portal or the console without
an entry in ``OBJECTS`` fails the test: say whose object it names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlencode

import pytest
from django.urls import URLPattern, URLResolver, reverse
from playwright.sync_api import Page, expect

from partnerprogram.console import urls as console_urls
from partnerprogram.portal import urls as portal_urls
from partnerprogram.sales.models import DealRegistration, PartnerInvolvement
from partnerprogram.standings.models import Claim, Standing
from tests.browser.conftest import Shot, World, login

pytestmark = pytest.mark.browser

REFUSED = {403, 404}

#: ``namespace:name:kwarg`` -> the values naming Alpha Conseil Lyon's objects
OBJECTS: dict[str, Callable[[World], list[str]]] = {
    "portal:registration:pk": lambda w: _registrations(w),
    "console:partner:external_id": lambda w: [w.alpha.external_id],
    "console:partner_override:external_id": lambda w: [w.alpha.external_id],
    "console:registration_decide:external_id": lambda w: _registrations(w, "external_id"),
    "console:influence_decide:pk": lambda w: _involvements(w),
}


def _registrations(world: World, attr: str = "pk") -> list[str]:
    rows = DealRegistration.objects.filter(partner=world.alpha).order_by("pk")
    return [str(getattr(r, attr)) for r in rows]


def _involvements(world: World) -> list[str]:
    rows = PartnerInvolvement.objects.filter(partner=world.alpha).order_by("pk")
    return [str(r.pk) for r in rows]


def _patterns(
    entries: Iterable[URLPattern | URLResolver], namespace: str
) -> Iterator[tuple[str, list[str]]]:
    """``(namespace:name, [kwarg, ...])`` of every named pattern, includes followed."""
    for entry in entries:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
            yield from _patterns(entry.url_patterns, inner)
        elif entry.name:
            yield f"{namespace}:{entry.name}", list(entry.pattern.converters)


def _urls(world: World) -> list[tuple[str, str, bool]]:
    """``(url, route name, names an object)`` for every portal and console URL."""
    out: list[tuple[str, str, bool]] = []
    missing: list[str] = []
    for module, namespace in ((portal_urls, "portal"), (console_urls, "console")):
        for name, kwargs in _patterns(module.urlpatterns, namespace):
            if not kwargs:
                out.append((reverse(name), name, False))
                continue
            values: dict[str, list[str]] = {}
            for kwarg in kwargs:
                key = f"{name}:{kwarg}"
                if key not in OBJECTS:
                    missing.append(key)
                    continue
                values[kwarg] = OBJECTS[key](world)
                assert values[kwarg], f"{key}: the fixture has no such object of Alpha"
            if len(values) != len(kwargs):
                continue
            # one URL per value of the first kwarg, the others at their first value
            first, *rest = kwargs
            for value in values[first]:
                args = {first: value, **{k: values[k][0] for k in rest}}
                out.append((reverse(name, kwargs=args), name, True))
    assert not missing, (
        f"URLs without an entry in OBJECTS (tests/browser/test_isolation.py): {missing}"
    )
    return out


def _alpha_state(world: World) -> tuple[object, ...]:
    return (
        sorted(
            DealRegistration.objects.filter(partner=world.alpha).values_list(
                "external_id", "status", "decided_by"
            )
        ),
        sorted(
            PartnerInvolvement.objects.filter(partner=world.alpha).values_list(
                "pk", "validated", "decided_by"
            )
        ),
        Claim.objects.filter(partner=world.alpha).count(),
        Standing.objects.filter(partner=world.alpha).count(),
        PartnerInvolvement.objects.count(),
        DealRegistration.objects.count(),
    )


def _assert_private(world: World, where: str, html: str) -> None:
    shown = [secret for secret in world.alpha_secrets if secret in html]
    assert not shown, f"{where} shows Alpha Conseil Lyon's {shown}"


def test_look_alike_partner_user_never_sees_the_other_partner(
    page: Page, world: World, shot: Shot
) -> None:
    before = _alpha_state(world)
    login(page, "bert")
    # bert lands on his own partner's overview, without the claim form (partner admins only)
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha Conseil Lille")
    expect(page.get_by_role("region", name="Claim a tier")).to_have_count(0)
    _assert_private(world, "the overview", page.content())

    # the influence form does not find Alpha's opportunity, by id or by name
    page.get_by_role("link", name="Opportunities").click()
    page.get_by_role("link", name="Declare influence").click()
    for text in ("OPP-ALPHA-1", "Lyon Data Centre Move"):
        page.get_by_label("Opportunity (external id or name)").fill(text)
        page.get_by_role("button", name="Declare influence").click()
        expect(page.get_by_role("alert")).to_contain_text(
            "None of your opportunities that you have not declared yet has this id or name."
        )
        # the field keeps what bert typed; nothing else may name Alpha's opportunity
        echoed = f'value="{text}"'
        assert page.content().count(echoed) == 1
        _assert_private(world, "the influence form", page.content().replace(echoed, ""))
    shot(page, "influence-refused")
    # the duplicate check answers yes or no, never whose registration it is
    query = urlencode({"customer_name": "Lyon Hospices Civils", "product_line": "rhel"})
    page.goto(f"/portal/opportunities/register/check/?{query}")
    expect(page.locator("body")).to_contain_text("already exists")
    _assert_private(world, "the duplicate check", page.content())

    urls = _urls(world)
    assert any(name.startswith("portal:") for _, name, _ in urls)
    assert any(name.startswith("console:") for _, name, _ in urls)
    posted: list[str] = []
    shot_404 = shot_403 = False
    for url, name, names_object in urls:
        for target in (url, f"{url}?partner={world.alpha.external_id}&partner_id={world.alpha.pk}"):
            response = page.goto(target)
            assert response is not None
            status = response.status
            _assert_private(world, f"GET {target} ({status})", page.content())
            if name.startswith("console:") or names_object:
                assert status in REFUSED | {405}, f"GET {target}: {status}, expected 403 or 404"
            else:  # a page of bert's own portal (403 when reserved to partner admins)
                assert status in {200, 403, 405}, f"GET {target}: {status}"
            if status == 404 and not shot_404:
                shot(page, "404")
                shot_404 = True
            if status == 403 and not shot_403:
                shot(page, "403")
                shot_403 = True
        if names_object or name.startswith("console:"):
            posted.append(url)

    # the same URLs posted to, with a valid CSRF token: refused too
    page.goto("/portal/")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    for url in posted:
        response = page.request.post(
            url,
            form={"decision": "approve", "reason": "looks fine", "tier": "premier"},
            headers={"X-CSRFToken": token, "Referer": page.url},
        )
        # 405: a GET-only page (the method is refused before anything is read)
        assert response.status in REFUSED | {405}, f"POST {url}: {response.status}"
        # refused by the permission or the lookup, not by the CSRF check
        assert "CSRF verification failed" not in response.text(), f"POST {url}: CSRF refusal"
        _assert_private(world, f"POST {url}", response.text())

    assert _alpha_state(world) == before, "a refused request changed Alpha Conseil Lyon's data"
    assert shot_403, "no 403 page was seen"
