"""Isolation on every endpoint: partner A's token sees its own rows only, B's keys are 404
(never 403), writes to B's rows are refused; tokens expired, revoked, absent or with another
scheme are 401 problems. The look-alike partner B ("Alpine Cloud Services", P-A1B) has one row
of every resource under ids that differ from A's by a suffix only."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from partnerprogram.api.models import ApiToken
from partnerprogram.api.services import api_token_create, api_token_revoke
from partnerprogram.sales.records import registration_context
from tests.api.conftest import World, auth

pytestmark = pytest.mark.django_db

#: list path -> the key field of its items
LISTS = {
    "partners": "external_id",
    "customers": "external_id",
    "people": "external_id",
    "credentials": "external_id",
    "opportunities": "external_id",
    "involvements": "opportunity",
    "deal-registrations": "external_id",
    "bookings": "external_id",
    "cloud-usage": "external_id",
}
SINGLE = [name for name in LISTS if name != "involvements"]


def _keys(response) -> list[str]:
    return [
        item[LISTS[response.wsgi_request.path.split("/")[3]]] for item in response.json()["items"]
    ]


@pytest.mark.parametrize("resource", list(LISTS))
def test_partner_lists_only_its_own_rows(client, world: World, resource: str) -> None:
    # the fixture gives each partner exactly one row of each resource: A's token sees A's one
    response = client.get(f"/api/v1/{resource}", **auth(world.a_token))
    assert response.status_code == 200
    assert _keys(response) == [world.ids["A"][resource]]
    assert response.json()["count"] == 1


@pytest.mark.parametrize("resource", list(LISTS))
def test_vendor_lists_every_partner(client, world: World, resource: str) -> None:
    response = client.get(f"/api/v1/{resource}", **auth(world.vendor_token))
    keys = _keys(response)
    assert world.ids["A"][resource] in keys and world.ids["B"][resource] in keys


@pytest.mark.parametrize("resource", [r for r in LISTS if r not in ("customers", "partners")])
def test_partner_filter_on_the_other_partner_finds_nothing(client, world, resource) -> None:
    response = client.get(f"/api/v1/{resource}?partner=P-A1B", **auth(world.a_token))
    assert response.status_code == 200
    assert response.json() == {"count": 0, "limit": 50, "offset": 0, "items": []}


@pytest.mark.parametrize("resource", SINGLE)
def test_other_partners_key_is_404_not_403(client, world: World, resource: str) -> None:
    own = client.get(f"/api/v1/{resource}/{world.ids['A'][resource]}", **auth(world.a_token))
    assert own.status_code == 200
    other = client.get(f"/api/v1/{resource}/{world.ids['B'][resource]}", **auth(world.a_token))
    assert other.status_code == 404
    assert other["Content-Type"] == "application/problem+json"
    # the answer is the same as for a key that does not exist at all
    missing = client.get(f"/api/v1/{resource}/NO-SUCH-ID", **auth(world.a_token))
    assert missing.status_code == 404
    assert other.json()["detail"].replace(world.ids["B"][resource], "X") == missing.json()[
        "detail"
    ].replace("NO-SUCH-ID", "X")


@pytest.mark.parametrize("resource", SINGLE)
def test_vendor_gets_both_partners_rows(client, world: World, resource: str) -> None:
    for side in ("A", "B"):
        key = world.ids[side][resource]
        response = client.get(f"/api/v1/{resource}/{key}", **auth(world.vendor_token))
        assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/api/v1/deal-registrations/DR-A1B",
            {
                "customer_name": "Client A1B",
                "product_line": "rhel",
                "estimated_amount": "1.00",
                "currency": "EUR",
                "registered_on": "2026-10-01",
            },
        ),
        ("/api/v1/people/PER-A1B", {"email": "x@example.test", "employed_from": "2020-01-01"}),
    ],
)
def test_put_on_other_partners_writable_rows_is_404(client, world: World, path, body) -> None:
    before = client.get(path, **auth(world.vendor_token)).json()
    response = client.put(path, body, content_type="application/json", **auth(world.a_token))
    assert response.status_code == 404
    assert client.get(path, **auth(world.vendor_token)).json() == before


def test_put_on_other_partners_person_is_404_and_writes_nothing(client, world: World) -> None:
    response = client.put(
        "/api/v1/people/PER-A1B",
        {"email": "taken@example.test", "employed_from": "2020-01-01"},
        content_type="application/json",
        **auth(world.a_token),
    )
    assert response.status_code == 404
    person = client.get("/api/v1/people/PER-A1B", **auth(world.vendor_token)).json()
    assert person["email"] == "ada.a1b@example.test"


def test_put_naming_the_other_partner_is_refused(client, world: World) -> None:
    response = client.put(
        "/api/v1/people/PER-NEW",
        {"partner": "P-A1B", "email": "new@example.test", "employed_from": "2020-01-01"},
        content_type="application/json",
        **auth(world.a_token),
    )
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["/partner"]
    assert client.get("/api/v1/people/PER-NEW", **auth(world.vendor_token)).status_code == 404


def test_bulk_touching_the_other_partners_row_is_refused_whole(client, world: World) -> None:
    items = [
        {"external_id": "PER-A1", "email": "ada.a1@example.test", "employed_from": "2020-01-01"},
        {"external_id": "PER-A1B", "email": "x@example.test", "employed_from": "2020-01-01"},
    ]
    response = client.post(
        "/api/v1/people/bulk",
        {"items": items},
        content_type="application/json",
        **auth(world.a_token),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"].startswith("/items/1/")
    person = client.get("/api/v1/people/PER-A1B", **auth(world.vendor_token)).json()
    assert person["email"] == "ada.a1b@example.test"


@pytest.mark.parametrize(
    "path", ["/partners/P-A1", "/bookings/BK-A1", "/cloud-usage/CU-A1", "/customers/CUS-A1"]
)
def test_partner_may_not_write_vendor_kinds(client, world: World, path: str) -> None:
    response = client.put(
        f"/api/v1{path}", {}, content_type="application/json", **auth(world.a_token)
    )
    # 422 (empty body misses required fields) or 403; never written
    assert response.status_code in (403, 422)
    response = client.post(
        f"/api/v1/{path.split('/')[1]}/bulk",
        {"items": []},
        content_type="application/json",
        **auth(world.a_token),
    )
    assert response.status_code in (403, 422)


def test_partner_token_may_not_decide_registrations(client, world: World) -> None:
    for key in ("DR-A1", "DR-A1B"):
        response = client.post(
            f"/api/v1/deal-registrations/{key}/decision",
            {"decision": "approved", "reason": "", "on": "2026-10-05"},
            content_type="application/json",
            **auth(world.a_token),
        )
        assert response.status_code == 403
    statuses = {
        item["external_id"]: item["status"]
        for item in client.get("/api/v1/deal-registrations", **auth(world.vendor_token)).json()[
            "items"
        ]
    }
    assert statuses == {"DR-A1": "submitted", "DR-A1B": "submitted"}


def test_vendor_decides_a_registration(client, world: World) -> None:
    response = client.post(
        "/api/v1/deal-registrations/DR-A1B/decision",
        {"decision": "approved", "reason": "", "on": "2026-10-05"},
        content_type="application/json",
        **auth(world.vendor_token),
    )
    assert response.status_code == 200
    body = response.json()
    # approved on 5 October with the default 90-day protection: expires 90 days later
    assert (body["status"], body["decided_on"]) == ("approved", "2026-10-05")
    assert body["expires_on"] == str(date(2026, 10, 5) + timedelta(days=90))
    again = client.post(
        "/api/v1/deal-registrations/DR-A1B/decision",
        {"decision": "rejected", "reason": "late", "on": "2026-10-06"},
        content_type="application/json",
        **auth(world.vendor_token),
    )
    assert again.status_code == 409


def test_partner_submits_a_registration_but_cannot_approve_it(client, world: World) -> None:
    # The portal's rules: a product line of the vendor's pipeline (the world's opportunities
    # are rhel); registered_on is the day of submission, today in the program time zone.
    payload = {
        "customer_name": "Hôpital Nord",
        "product_line": "rhel",
        "estimated_amount": "25000.00",
        "currency": "EUR",
        "registered_on": registration_context(world.a).today.isoformat(),
    }
    created = client.put(
        "/api/v1/deal-registrations/DR-A1-NEW",
        payload,
        content_type="application/json",
        **auth(world.a_token),
    )
    assert created.status_code == 200, created.content
    assert created.json()["status"] == "created"
    assert created.json()["item"]["partner"] == "P-A1"
    assert created.json()["item"]["status"] == "submitted"
    approved = client.put(
        "/api/v1/deal-registrations/DR-A1-NEW",
        {**payload, "status": "approved"},
        content_type="application/json",
        **auth(world.a_token),
    )
    assert approved.status_code == 422
    assert [e["pointer"] for e in approved.json()["errors"]] == ["/status"]


@pytest.mark.parametrize(
    "path",
    ["/evaluation-runs", "/evaluation-runs/1"],
)
def test_runs_are_vendor_only(client, world: World, path: str) -> None:
    assert client.get(f"/api/v1{path}", **auth(world.a_token)).status_code == 403


def test_me_tells_the_scope(client, world: World) -> None:
    assert client.get("/api/v1/me", **auth(world.a_token)).json()["partner"] == "P-A1"
    assert client.get("/api/v1/me", **auth(world.vendor_token)).json()["scope"] == "vendor"


# -- authentication ------------------------------------------------------------------------


def _is_401(response) -> None:
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert (body["status"], body["title"]) == (401, "Unauthorized")


def test_no_token_is_401(client, world: World) -> None:
    _is_401(client.get("/api/v1/people"))


def test_wrong_scheme_is_401(client, world: World) -> None:
    _is_401(client.get("/api/v1/people", HTTP_AUTHORIZATION=f"Token {world.a_token}"))
    _is_401(client.get("/api/v1/people", HTTP_AUTHORIZATION=f"Basic {world.a_token}"))


def test_unknown_token_is_401(client, world: World) -> None:
    _is_401(client.get("/api/v1/people", **auth(world.a_token + "x")))


def test_revoked_token_is_401(client, world: World) -> None:
    assert client.get("/api/v1/people", **auth(world.a_token)).status_code == 200
    api_token_revoke(prefix=world.a_token[:8], actor="test")
    _is_401(client.get("/api/v1/people", **auth(world.a_token)))


def test_expired_token_is_401(client, world: World) -> None:
    created = api_token_create(
        name="short",
        partner=world.a,
        actor="test",
        expires_in_days=1,
        now=timezone.now() - timedelta(days=2),
    )
    _is_401(client.get("/api/v1/people", **auth(created.token)))


def test_token_stored_hashed_and_last_use_recorded(client, world: World) -> None:
    record = ApiToken.objects.get(prefix=world.a_token[:8])
    assert world.a_token not in (record.key_hash, record.prefix, record.name)
    assert record.last_used_at is None
    client.get("/api/v1/me", **auth(world.a_token))
    record.refresh_from_db()
    assert record.last_used_at is not None


def test_session_of_a_partner_user_is_scoped(client, world: World) -> None:
    from django.contrib.auth import get_user_model

    from partnerprogram.accounts.models import Membership

    user = get_user_model().objects.create_user("alpine-user", password="x-pass-2026")
    Membership.objects.create(user=user, role="partner_user", partner=world.a)
    client.force_login(user)
    response = client.get("/api/v1/people")
    assert [i["external_id"] for i in response.json()["items"]] == ["PER-A1"]
    assert client.get("/api/v1/people/PER-A1B").status_code == 404


def test_session_writes_need_csrf(world: World) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from partnerprogram.accounts.models import Membership

    user = get_user_model().objects.create_user("alpine-admin", password="x-pass-2026")
    Membership.objects.create(user=user, role="partner_admin", partner=world.a)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.put(
        "/api/v1/people/PER-A1",
        {"email": "ada.a1@example.test", "employed_from": "2020-01-01"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
