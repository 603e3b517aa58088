"""Every console URL is for vendor staff only: the console urlconf is walked, so a view added
without ``vendor_staff_required`` fails here."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, reverse

from partnerprogram.audit.models import AuditEvent
from partnerprogram.console import urls as console_urls
from partnerprogram.notifications.models import Notification
from partnerprogram.sales.models import DealRegistration, PartnerInvolvement
from partnerprogram.standings.models import Override
from tests.console.conftest import World, client_for


def _console_urls(world: World) -> list[str]:
    """One URL per console pattern, its arguments naming existing objects (so a refusal is
    the access check, not a 404)."""
    values: dict[str, Any] = {
        "partner": {"external_id": world.alpha.external_id},
        "partner_override": {"external_id": world.alpha.external_id},
        "registration_decide": {"external_id": world.registration_a.external_id},
        "influence_decide": {"pk": world.influence_a.pk},
    }
    found = []
    for pattern in console_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        name = pattern.name
        kwargs = values.get(name or "", {})
        assert set(kwargs) == set(pattern.pattern.converters), (
            f"console URL {name!r}: give test values for {sorted(pattern.pattern.converters)}"
        )
        found.append(reverse(f"console:{name}", kwargs=kwargs))
    return found


def _writes() -> tuple[int, ...]:
    return (
        AuditEvent.objects.count(),
        Notification.objects.count(),
        Override.objects.count(),
        DealRegistration.objects.filter(status="submitted").count(),
        PartnerInvolvement.objects.filter(decided_by="").count(),
    )


@pytest.mark.django_db
def test_every_console_url_refuses_partner_members_and_users_without_a_role(
    world: World,
) -> None:
    urls = _console_urls(world)
    assert len(urls) == len(console_urls.urlpatterns) >= 8
    before = _writes()
    for user in (world.alice, world.amy, world.dave):
        client = client_for(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user, "GET", url)
            posted = client.post(
                url,
                {
                    "decision": "approve",
                    "reason": "x",
                    "track": "solution_provider",
                    "tier": "premier",
                    "approver": "x",
                    "starts_on": "2026-10-15",
                    "until": "2026-12-31",
                },
            )
            assert posted.status_code == 403, (user, "POST", url)
    assert _writes() == before  # nothing decided, granted, logged or notified


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_sign_in(world: World) -> None:
    for url in _console_urls(world):
        response = client_for(None).get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next=/console/")


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["carol", "paula"])
def test_vendor_staff_reach_every_console_page(world: World, who: str) -> None:
    client = client_for(getattr(world, who))
    for url in _console_urls(world):
        response = client.get(url)
        # the action URLs take only POST
        expected = 405 if url.endswith(("/decide/", "/override/")) else 200
        assert response.status_code == expected, url


@pytest.mark.django_db
def test_partner_admin_sees_the_portal_not_the_console_with_a_partner_parameter(
    world: World,
) -> None:
    client = client_for(world.alice)
    assert client.get("/console/partners/?q=BETA").status_code == 403
    assert client.get(f"/console/partners/{world.beta.external_id}/").status_code == 403
