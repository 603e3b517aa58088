"""A partner submits deal registrations through the API under the portal's rules
(``registered_on`` today in the program time zone, amount > 0, a known product line, a
convertible currency, an expected close not in the past) and with the portal's audit event
(``deal_registration.submitted``, actor ``token:<prefix>``). Today is pinned to 2026-11-29."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from partnerprogram.api.models import ApiToken
from partnerprogram.audit.models import AuditEvent
from partnerprogram.sales.models import DealRegistration
from tests.api.conftest import World, auth

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


def _body(**extra: object) -> dict:
    # "rhel": the product line of the fixture's opportunities and bookings (a known one)
    return {
        "customer_name": "Banque Exemple",
        "product_line": "rhel",
        "estimated_amount": "5000.00",
        "currency": "EUR",
        "registered_on": "2026-11-29",
        "expected_close_on": "2027-03-31",
        **extra,
    }


def _put(client, token: str, key: str, body: dict):
    return client.put(
        f"/api/v1/deal-registrations/{key}",
        body,
        content_type="application/json",
        **auth(token),
    )


def test_partner_submission_is_audited_as_in_the_portal(client, world: World) -> None:
    response = _put(client, world.a_token, "DR-A1-NEW", _body())
    assert response.status_code == 200, response.content
    item = response.json()["item"]
    assert (item["partner"], item["status"], item["registered_on"]) == (
        "P-A1",
        "submitted",
        "2026-11-29",
    )
    registration = DealRegistration.objects.get(external_id="DR-A1-NEW")
    prefix = ApiToken.objects.get(partner=world.a).prefix
    events = AuditEvent.objects.filter(
        action="deal_registration.submitted", object_id=str(registration.pk)
    )
    assert [e.actor for e in events] == [f"token:{prefix}"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("registered_on", "2026-10-01"),  # not today
        ("estimated_amount", "0.00"),  # not more than zero
        ("product_line", "no-such-line"),  # not a product line of the vendor
        ("currency", "JPY"),  # no exchange rate into EUR
        ("expected_close_on", "2026-11-28"),  # yesterday
    ],
)
def test_partner_submission_breaking_a_portal_rule_is_refused(
    client, world: World, field: str, value: str
) -> None:
    response = _put(client, world.a_token, "DR-A1-NEW", _body(**{field: value}))
    assert response.status_code == 422
    assert f"/{field}" in [e["pointer"] for e in response.json()["errors"]]
    assert not DealRegistration.objects.filter(external_id="DR-A1-NEW").exists()
    assert not AuditEvent.objects.filter(action="deal_registration.submitted").exists()


def test_partner_may_leave_registered_on_out(client, world: World) -> None:
    body = _body()
    del body["registered_on"]
    response = _put(client, world.a_token, "DR-A1-NEW", body)
    assert response.status_code == 200, response.content
    # today, 2026-11-29 (pinned), in the program time zone
    assert response.json()["item"]["registered_on"] == "2026-11-29"


def test_vendor_must_give_registered_on(client, world: World) -> None:
    body = _body(partner="P-A1")
    del body["registered_on"]
    response = _put(client, world.vendor_token, "DR-V-NEW", body)
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["/registered_on"]


def test_partner_defaulted_fields_match_the_records_layer() -> None:
    from datetime import date
    from types import SimpleNamespace

    from partnerprogram.api.writes import PARTNER_DEFAULTED
    from partnerprogram.core.records import KINDS

    for kind, names in PARTNER_DEFAULTED.items():
        defaults = KINDS[kind].scoped_defaults
        assert defaults is not None
        assert set(defaults(SimpleNamespace(today=date(2026, 11, 29)))) == set(names)
