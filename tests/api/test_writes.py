"""Writes: upserts by key, idempotent; bulk up to 10,000 rows all or nothing; 10,001 -> 413."""

from decimal import Decimal

import pytest

from partnerprogram.audit.models import AuditEvent
from partnerprogram.sales.models import Booking
from tests.api.conftest import World, auth
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _booking(n: int, **extra: object) -> dict:
    return {
        "external_id": f"BK-BULK-{n:05d}",
        "booked_on": "2026-06-30",
        "amount": "100.00",
        "currency": "EUR",
        "customer": "CUS-BULK",
        "product_line": "rhel",
        "channel": "indirect",
        "transacting_partner": "P-A1",
        **extra,
    }


def _post(client, world: World, items: list[dict], token: str | None = None):
    return client.post(
        "/api/v1/bookings/bulk",
        {"items": items},
        content_type="application/json",
        **auth(token or world.vendor_token),
    )


@pytest.fixture
def customer(world: World):
    return CustomerFactory(external_id="CUS-BULK")


def test_one_bad_row_among_five_writes_nothing(client, world: World, customer) -> None:
    items = [_booking(n) for n in range(5)]
    items[2]["amount"] = "-40.00"
    response = _post(client, world, items)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert [e["pointer"] for e in body["errors"]] == ["/items/2/amount"]
    assert body["status"] == 422 and body["instance"] == "/api/v1/bookings/bulk"
    assert not Booking.objects.filter(external_id__startswith="BK-BULK").exists()


def test_reference_error_points_at_the_row(client, world: World, customer) -> None:
    items = [_booking(n) for n in range(5)]
    items[3]["customer"] = "CUS-NOBODY"
    response = _post(client, world, items)
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["/items/3/customer"]
    assert not Booking.objects.filter(external_id__startswith="BK-BULK").exists()


def test_same_bulk_twice_creates_nothing_the_second_time(client, world: World, customer) -> None:
    items = [_booking(n) for n in range(5)]
    first = _post(client, world, items).json()
    assert (first["created"], first["updated"], first["unchanged"]) == (5, 0, 0)
    second = _post(client, world, items).json()
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 5)
    assert second["created_ids"] == []
    # one row changed: updated 1, unchanged 4
    items[4]["amount"] = "150.00"
    third = _post(client, world, items).json()
    assert (third["created"], third["updated"], third["unchanged"]) == (0, 1, 4)
    assert third["updated_ids"] == ["BK-BULK-00004"]
    assert Booking.objects.get(external_id="BK-BULK-00004").amount == Decimal("150.00")


def test_dry_run_reports_without_writing(client, world: World, customer) -> None:
    response = client.post(
        "/api/v1/bookings/bulk?dry_run=true",
        {"items": [_booking(1)]},
        content_type="application/json",
        **auth(world.vendor_token),
    )
    assert response.json()["created"] == 1 and response.json()["applied"] is False
    assert not Booking.objects.filter(external_id="BK-BULK-00001").exists()


def test_bulk_of_10000_rows_is_accepted(client, world: World, customer) -> None:
    items = [_booking(n) for n in range(10_000)]
    response = _post(client, world, items)
    assert response.status_code == 200, response.content[:500]
    assert response.json()["created"] == 10_000
    assert Booking.objects.filter(external_id__startswith="BK-BULK").count() == 10_000


def test_bulk_of_10001_rows_is_413(client, world: World, customer) -> None:
    items = [_booking(n) for n in range(10_001)]
    response = _post(client, world, items)
    assert response.status_code == 413
    body = response.json()
    assert body["status"] == 413
    assert body["type"] == "urn:partnerprogram:problem:too-many-rows"
    assert "10,000" in body["detail"]
    assert not Booking.objects.filter(external_id__startswith="BK-BULK").exists()


def test_put_is_idempotent_and_audited(client, world: World, customer) -> None:
    row = _booking(7)
    key = row.pop("external_id")
    first = client.put(
        f"/api/v1/bookings/{key}",
        row,
        content_type="application/json",
        **auth(world.vendor_token),
    )
    assert first.json()["status"] == "created"
    assert first.json()["item"]["amount"] == "100.00"
    second = client.put(
        f"/api/v1/bookings/{key}",
        row,
        content_type="application/json",
        **auth(world.vendor_token),
    )
    assert second.json()["status"] == "unchanged"
    assert Booking.objects.filter(external_id=key).count() == 1
    event = AuditEvent.objects.filter(action="records.upserted").order_by("id").first()
    assert event is not None and event.actor == f"token:{world.vendor_token[:8]}"


def test_put_validation_error_points_at_the_field(client, world: World, customer) -> None:
    row = _booking(8, amount="abc")
    key = row.pop("external_id")
    response = client.put(
        f"/api/v1/bookings/{key}",
        row,
        content_type="application/json",
        **auth(world.vendor_token),
    )
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["/amount"]


def test_unknown_property_is_refused(client, world: World, customer) -> None:
    response = _post(client, world, [_booking(1, colour="blue")])
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["/items/0/colour"]


def test_partner_writes_its_people(client, world: World) -> None:
    items = [
        {"external_id": "PER-A1-2", "email": "bo@example.test", "employed_from": "2026-01-05"},
        {"external_id": "PER-A1-3", "email": "cy@example.test", "employed_from": "2026-02-01"},
    ]
    response = client.post(
        "/api/v1/people/bulk",
        {"items": items},
        content_type="application/json",
        **auth(world.a_token),
    )
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 2
    mine = client.get("/api/v1/people?ordering=external_id", **auth(world.a_token)).json()
    assert [p["external_id"] for p in mine["items"]] == ["PER-A1", "PER-A1-2", "PER-A1-3"]
    assert {p["partner"] for p in mine["items"]} == {"P-A1"}
