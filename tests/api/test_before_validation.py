"""What the API answers before it validates a request: a partner principal on a vendor-only
operation is a 403 whatever the body (never a 422 listing the vendor's schema), and an unknown
query parameter on a list is a 400 naming it (never ignored, which returned the whole list).
The error example of ``docs/api.md`` (the two validation stages) is asserted here verbatim."""

import pytest
from django.utils.encoding import escape_uri_path

from tests.api.conftest import World, auth

pytestmark = pytest.mark.django_db

FORBIDDEN = {
    "type": "urn:partnerprogram:problem:forbidden",
    "title": "Forbidden",
    "status": 403,
    "detail": "only the vendor may do this; a partner token may not",
    "errors": [],
}

#: (method, path, body): vendor-only operations with a body the schema refuses
VENDOR_ONLY = [
    ("post", "/api/v1/bookings/bulk", {"items": [{"amount": "-1"}]}),
    ("put", "/api/v1/bookings/BK-A1", {"amount": "-1"}),
    ("post", "/api/v1/customers/bulk", {"items": [{"segment": "nope"}]}),
    ("post", "/api/v1/involvements/bulk", {}),
    ("post", "/api/v1/evaluation-runs", {}),
    ("post", "/api/v1/deal-registrations/DR-A1/decision", {"decision": "maybe"}),
    ("post", "/api/v1/deal-registrations/DR-A1B/decision", {}),
    ("post", "/api/v1/bookings/bulk", "{not json"),
]


@pytest.mark.parametrize(("method", "path", "body"), VENDOR_ONLY)
def test_partner_on_a_vendor_only_write_is_403_before_the_body(
    client, world: World, method: str, path: str, body
) -> None:
    response = getattr(client, method)(
        path, body, content_type="application/json", **auth(world.a_token)
    )
    assert response.status_code == 403
    assert response.json() == {**FORBIDDEN, "instance": path}


def test_partner_session_on_a_vendor_only_write_is_403_too(client, world: World) -> None:
    from django.contrib.auth import get_user_model

    from partnerprogram.accounts.models import Membership

    user = get_user_model().objects.create_user("alpine-admin", password="x-pass-2026")
    Membership.objects.create(user=user, role="partner_admin", partner=world.a)
    client.force_login(user)  # the test client skips CSRF: the vendor check answers
    response = client.post(
        "/api/v1/bookings/bulk", {"items": [{"amount": "-1"}]}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == FORBIDDEN["detail"]
    # and an unknown parameter of a list is a 400 for the session too
    assert client.get("/api/v1/people?partnr=P-A1").status_code == 400
    assert client.get("/api/v1/people?partner=P-A1").json()["count"] == 1


def test_partner_on_vendor_only_reads_is_403_before_the_parameters(client, world: World) -> None:
    # limit=0 is invalid (1-500) and bogus unknown: the 403 still comes first
    for path in ("/api/v1/evaluation-runs?limit=0&bogus=1", "/api/v1/evaluation-runs/1"):
        response = client.get(path, **auth(world.a_token))
        assert response.status_code == 403
        assert response.json()["detail"] == FORBIDDEN["detail"]


def test_the_vendor_still_gets_the_validation_errors(client, world: World) -> None:
    response = client.post(
        "/api/v1/evaluation-runs", {}, content_type="application/json", **auth(world.vendor_token)
    )
    assert response.status_code == 422
    # EvaluationRunIn requires program and as_of (version is optional): two errors
    assert [e["pointer"] for e in response.json()["errors"]] == ["/program", "/as_of"]


def test_partner_writable_kinds_still_validate_the_body(client, world: World) -> None:
    # people are written by partners: a partner token gets the schema's 422, not a 403
    response = client.post(
        "/api/v1/people/bulk",
        {"items": [{"external_id": "PER-NEW"}]},
        content_type="application/json",
        **auth(world.a_token),
    )
    assert response.status_code == 422
    # a person requires email and employed_from (partner optional for a partner token)
    assert sorted(e["pointer"] for e in response.json()["errors"]) == [
        "/items/0/email",
        "/items/0/employed_from",
    ]


def test_no_credentials_is_still_401_first(client, world: World) -> None:
    response = client.post(
        "/api/v1/bookings/bulk", {"items": [{"amount": "-1"}]}, content_type="application/json"
    )
    assert response.status_code == 401
    assert client.get("/api/v1/bookings?partnr=x").status_code == 401


# -- unknown query parameters ----------------------------------------------------------------

BOOKINGS_ACCEPTED = (
    "booked_from, booked_to, channel, customer, format, limit, offset, ordering, partner, "
    "product_line"
)


def test_unknown_parameters_of_a_list_are_a_400_naming_them(client, world: World) -> None:
    path = "/api/v1/bookings?transacting_partner=P-A1&partnr=P-A1"
    response = client.get(path, **auth(world.vendor_token))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "urn:partnerprogram:problem:unknown-parameter",
        "title": "Bad Request",
        "status": 400,
        "detail": "unknown query parameter(s): partnr, transacting_partner; accepted: "
        + BOOKINGS_ACCEPTED,
        "instance": "/api/v1/bookings",
        "errors": [
            {
                "parameter": "partnr",
                "detail": f"unknown query parameter partnr; accepted: {BOOKINGS_ACCEPTED}",
            },
            {
                "parameter": "transacting_partner",
                "detail": "unknown query parameter transacting_partner; accepted: "
                + BOOKINGS_ACCEPTED,
            },
        ],
    }


def test_cloud_usage_month_is_not_a_filter(client, world: World) -> None:
    response = client.get("/api/v1/cloud-usage?month=2024-09-01", **auth(world.vendor_token))
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "unknown query parameter(s): month; accepted: format, limit, month_from, month_to, "
        "offset, ordering, partner, product_line"
    )


def test_unknown_parameter_comes_before_invalid_values(client, world: World) -> None:
    response = client.get("/api/v1/people?limit=0&jobrole=sales", **auth(world.vendor_token))
    assert response.status_code == 400
    assert [e["parameter"] for e in response.json()["errors"]] == ["jobrole"]


def test_known_parameters_still_filter_and_the_look_alike_does_not_leak(
    client, world: World
) -> None:
    path = "/api/v1/bookings?partner=P-A1&limit=5&offset=0&ordering=-amount&format=json"
    response = client.get(path, **auth(world.vendor_token))
    assert response.status_code == 200
    # the world holds BK-A1 (A), BK-A1B (B, the look-alike) and BK-DIRECT: A's is BK-A1 only
    assert [item["external_id"] for item in response.json()["items"]] == ["BK-A1"]
    # partner A's token asking for B's bookings: a filter it may use, on its own rows: none
    response = client.get("/api/v1/bookings?partner=P-A1B", **auth(world.a_token))
    assert response.status_code == 200
    assert response.json()["count"] == 0


LISTS = [
    "partners",
    "customers",
    "people",
    "certifications",
    "credentials",
    "opportunities",
    "involvements",
    "deal-registrations",
    "bookings",
    "cloud-usage",
    "program-versions",
    "evaluation-runs",
    "assessments",
    "standings",
]


@pytest.mark.parametrize("name", LISTS)
def test_every_list_refuses_an_unknown_parameter(client, world: World, name: str) -> None:
    response = client.get(f"/api/v1/{name}?bogus=1&limit=1", **auth(world.vendor_token))
    assert response.status_code == 400
    body = response.json()
    assert [e["parameter"] for e in body["errors"]] == ["bogus"]
    accepted = body["detail"].split("; accepted: ")[1].split(", ")
    assert {"limit", "offset", "ordering", "format"} <= set(accepted)
    assert "bogus" not in accepted
    assert client.get(f"/api/v1/{name}?limit=1", **auth(world.vendor_token)).status_code == 200


def test_list_parameters_are_in_the_openapi_document(client, world: World) -> None:
    # the accepted names are exactly the documented query parameters of the operation
    document = client.get("/api/v1/openapi.json").json()
    documented = sorted(
        p["name"] for p in document["paths"]["/api/v1/bookings"]["get"]["parameters"]
    )
    assert ", ".join(documented) == BOOKINGS_ACCEPTED


# -- the two validation stages of a write (docs/api.md "Errors") ---------------------------


def _booking(external_id: str, customer: str, amount: str) -> dict[str, str]:
    return {
        "external_id": external_id,
        "booked_on": "2026-01-05",
        "customer": customer,
        "channel": "indirect",
        "transacting_partner": "P-A1",
        "product_line": "openshift",
        "amount": amount,
        "currency": "EUR",
    }


def test_stage_1_schema_errors_hide_unknown_references(client, world: World) -> None:
    items = [
        _booking("BK-1", "CUS-A1", "100.00"),
        _booking("BK-2", "CUS-A1", "-5"),
        _booking("BK-3", "NOPE", "5"),
    ]
    response = client.post(
        "/api/v1/bookings/bulk",
        {"items": items},
        content_type="application/json",
        **auth(world.vendor_token),
    )
    # the body as docs/api.md shows it: only the schema error of item 1 (0-based), NOPE of
    # item 2 is not looked up while the body does not match the schema
    assert response.status_code == 422
    assert response.json() == {
        "type": "urn:partnerprogram:problem:validation-error",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": "1 invalid value(s): /items/1/amount: must be 0 or more",
        "instance": "/api/v1/bookings/bulk",
        "errors": [{"pointer": "/items/1/amount", "detail": "must be 0 or more"}],
    }


def test_stage_2_the_docs_example(client, world: World) -> None:
    # docs/api.md: the stage-1 request with the amount corrected to 5
    items = [
        _booking("BK-1", "CUS-A1", "100.00"),
        _booking("BK-2", "CUS-A1", "5"),
        _booking("BK-3", "NOPE", "5"),
    ]
    response = client.post(
        "/api/v1/bookings/bulk",
        {"items": items},
        content_type="application/json",
        **auth(world.vendor_token),
    )
    assert response.status_code == 422
    unknown = "Unknown customer: no customer has this external id. (value: 'NOPE')"
    assert response.json() == {
        "type": "urn:partnerprogram:problem:rows-rejected",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": f"nothing was written: 1 invalid value(s): /items/2/customer: {unknown}",
        "instance": "/api/v1/bookings/bulk",
        "errors": [{"pointer": "/items/2/customer", "detail": unknown}],
    }


def test_stage_2_records_layer_reports_every_row(client, world: World) -> None:
    items = [
        _booking("BK-1", "CUS-A1", "100.00"),
        _booking("BK-2", "NOPE", "5"),
        _booking("BK-3", "NOPE-2", "5"),
    ]
    response = client.post(
        "/api/v1/bookings/bulk",
        {"items": items},
        content_type="application/json",
        **auth(world.vendor_token),
    )
    assert response.status_code == 422
    unknown = "Unknown customer: no customer has this external id."
    assert response.json() == {
        "type": "urn:partnerprogram:problem:rows-rejected",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": "nothing was written: 2 invalid value(s): "
        f"/items/1/customer: {unknown} (value: 'NOPE'); "
        f"/items/2/customer: {unknown} (value: 'NOPE-2')",
        "instance": "/api/v1/bookings/bulk",
        "errors": [
            {"pointer": "/items/1/customer", "detail": f"{unknown} (value: 'NOPE')"},
            {"pointer": "/items/2/customer", "detail": f"{unknown} (value: 'NOPE-2')"},
        ],
    }
    # all or nothing: BK-1 was valid, and is not written
    assert client.get("/api/v1/bookings/BK-1", **auth(world.vendor_token)).status_code == 404


def test_instance_is_a_percent_encoded_uri_reference(client, world: World) -> None:
    response = client.get("/api/v1/customers/%20ACME%20", **auth(world.vendor_token))
    assert response.status_code == 422
    # the decoded path is "/api/v1/customers/ ACME ": spaces encoded as %20 (RFC 3986)
    assert response.json()["instance"] == "/api/v1/customers/%20ACME%20"
    assert escape_uri_path("/api/v1/customers/ ACME ") == "/api/v1/customers/%20ACME%20"
