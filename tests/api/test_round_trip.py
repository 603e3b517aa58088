"""GET -> PUT round trip: what a read returns can be written back unchanged for every fact
kind (the key repeated in the body, read-only fields such as a credential's ``partner``
accepted and ignored), and reads carry every field a write sets."""

import pytest

from partnerprogram.api.endpoints.facts import RESOURCES
from partnerprogram.core.records import KINDS
from partnerprogram.sales.models import DealRegistration, PartnerInvolvement
from tests.api.conftest import World, auth

pytestmark = pytest.mark.django_db

SINGLE = [r.path for r in RESOURCES if r.single]


def test_every_kind_is_covered() -> None:
    # ten fact kinds: nine with single-row paths, involvements through bulk only
    assert len(SINGLE) == 9 and len(RESOURCES) == 10


def test_reads_carry_every_field_writes_set() -> None:
    for resource in RESOURCES:
        written = {f.name for f in KINDS[resource.kind].fields}
        assert written <= set(resource.out.model_fields), resource.kind


@pytest.mark.parametrize("path", SINGLE)
def test_get_then_put_is_unchanged(client, world: World, path: str) -> None:
    key = world.ids["A"][path] if path != "certifications" else "EX280"
    got = client.get(f"/api/v1/{path}/{key}", **auth(world.vendor_token))
    assert got.status_code == 200
    put = client.put(
        f"/api/v1/{path}/{key}",
        got.json(),
        content_type="application/json",
        **auth(world.vendor_token),
    )
    assert put.status_code == 200, put.content
    assert put.json() == {"status": "unchanged", "item": got.json()}


def test_list_items_post_back_unchanged_in_bulk(client, world: World) -> None:
    # involvements have no single-row path: a list page's items go back through /bulk
    page = client.get("/api/v1/involvements?partner=P-A1", **auth(world.vendor_token)).json()
    assert page["count"] == 1
    response = client.post(
        "/api/v1/involvements/bulk",
        {"items": page["items"]},
        content_type="application/json",
        **auth(world.vendor_token),
    )
    assert response.status_code == 200, response.content
    report = response.json()
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 1)


def test_credential_partner_is_read_only(client, world: World) -> None:
    got = client.get("/api/v1/credentials/CRED-A1", **auth(world.vendor_token)).json()
    assert got["partner"] == "P-A1"
    # another partner named: ignored (the partner is the person's), nothing changes
    body = {**got, "partner": "P-A1B"}
    put = client.put(
        "/api/v1/credentials/CRED-A1",
        body,
        content_type="application/json",
        **auth(world.vendor_token),
    ).json()
    assert (put["status"], put["item"]["partner"]) == ("unchanged", "P-A1")


def test_decision_fields_are_read(client, world: World) -> None:
    DealRegistration.objects.filter(external_id="DR-A1").update(decided_by="user:channel")
    PartnerInvolvement.objects.filter(partner=world.a).update(decided_by="user:channel")
    registration = client.get("/api/v1/deal-registrations/DR-A1", **auth(world.a_token)).json()
    assert registration["decided_by"] == "user:channel"
    assert "expected_close_on" in registration
    involvements = client.get("/api/v1/involvements", **auth(world.a_token)).json()
    assert [i["decided_by"] for i in involvements["items"]] == ["user:channel"]


def test_partner_round_trip_of_its_person(client, world: World) -> None:
    got = client.get("/api/v1/people/PER-A1", **auth(world.a_token))
    put = client.put(
        "/api/v1/people/PER-A1",
        got.json(),
        content_type="application/json",
        **auth(world.a_token),
    )
    assert put.status_code == 200, put.content
    assert put.json()["status"] == "unchanged"


def test_partner_round_trip_of_its_registration(client, world: World) -> None:
    # the vendor's fields (customer CUS-A1 set by the fixture) come back equal: ignored
    got = client.get("/api/v1/deal-registrations/DR-A1", **auth(world.a_token)).json()
    assert got["customer"] == "CUS-A1"
    put = client.put(
        "/api/v1/deal-registrations/DR-A1",
        got,
        content_type="application/json",
        **auth(world.a_token),
    )
    assert put.status_code == 200, put.content
    assert put.json() == {"status": "unchanged", "item": got}
    # a vendor field changed by the partner is still refused
    changed = client.put(
        "/api/v1/deal-registrations/DR-A1",
        {**got, "decision_reason": "self-approved"},
        content_type="application/json",
        **auth(world.a_token),
    )
    assert changed.status_code == 422
    assert [e["pointer"] for e in changed.json()["errors"]] == ["/decision_reason"]
    assert DealRegistration.objects.get(external_id="DR-A1").decision_reason == ""
