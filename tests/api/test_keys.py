"""Path keys: a key that cannot be an external id (whitespace around it, a control character)
is a 422 problem pointing at the path parameter, raised before anything is written; a PUT's
answer reads back the very row it wrote."""

import pytest

from partnerprogram.audit.models import AuditEvent
from partnerprogram.sales.models import Customer
from tests.api.conftest import World, auth

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "quoted",
    [
        "%20TEST-SP%20",  # " TEST-SP ": was written as TEST-SP, then answered 404
        "TEST-SP%20",
        "%09TEST-SP",  # a tab
        "TEST%07SP",  # BEL, a control character inside
        "TEST-SP%0A",  # a newline
    ],
)
def test_put_with_a_bad_key_writes_nothing(client, world: World, quoted: str) -> None:
    before = AuditEvent.objects.count()
    response = client.put(
        f"/api/v1/customers/{quoted}",
        {"name": "ab"},
        content_type="application/json",
        **auth(world.vendor_token),
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert [e["parameter"] for e in response.json()["errors"]] == ["key"]
    assert not Customer.objects.filter(external_id__contains="TEST").exists()
    assert AuditEvent.objects.count() == before


def test_get_with_a_bad_key_is_a_422(client, world: World) -> None:
    response = client.get("/api/v1/customers/%20CUS-A1", **auth(world.vendor_token))
    assert response.status_code == 422
    assert response.json()["errors"][0]["parameter"] == "key"


def test_put_answers_the_row_it_wrote(client, world: World) -> None:
    response = client.put(
        "/api/v1/customers/TEST-SP",
        {"name": "Banque Test", "country": "FR"},
        content_type="application/json",
        **auth(world.vendor_token),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "created"
    assert (body["item"]["external_id"], body["item"]["name"]) == ("TEST-SP", "Banque Test")
    assert Customer.objects.get(external_id="TEST-SP").name == "Banque Test"
    # the same body again: unchanged, the same row read back
    again = client.put(
        "/api/v1/customers/TEST-SP",
        {"name": "Banque Test", "country": "FR"},
        content_type="application/json",
        **auth(world.vendor_token),
    ).json()
    assert (again["status"], again["item"]["external_id"]) == ("unchanged", "TEST-SP")


def test_key_in_body_must_match_the_path(client, world: World) -> None:
    response = client.put(
        "/api/v1/customers/TEST-SP",
        {"external_id": "TEST-OTHER", "name": "Banque Test"},
        content_type="application/json",
        **auth(world.vendor_token),
    )
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["/external_id"]
    assert not Customer.objects.filter(external_id__startswith="TEST").exists()
