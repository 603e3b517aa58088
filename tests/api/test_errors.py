"""One error format: RFC 9457 problem details on every error status, no traceback leaked."""

import pytest
from django.test import Client
from django.utils.encoding import escape_uri_path

from tests.api.conftest import World, auth

pytestmark = pytest.mark.django_db

KEYS = {"type", "title", "status", "detail", "instance", "errors"}


def _problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) == KEYS
    assert body["status"] == status
    assert body["type"].startswith("urn:partnerprogram:problem:")
    assert body["instance"] == escape_uri_path(response.wsgi_request.path)
    return body


def test_401(client, world: World) -> None:
    _problem(client.get("/api/v1/partners"), 401)


def test_403(client, world: World) -> None:
    body = _problem(client.get("/api/v1/evaluation-runs", **auth(world.a_token)), 403)
    assert "vendor" in body["detail"]


def test_404_object_and_unknown_path(client, world: World) -> None:
    _problem(client.get("/api/v1/partners/NOPE", **auth(world.vendor_token)), 404)
    body = _problem(client.get("/api/v1/nowhere/at/all", **auth(world.vendor_token)), 404)
    assert "/api/v1/nowhere/at/all" in body["detail"]


def test_405(client, world: World) -> None:
    response = client.delete("/api/v1/partners/P-A1", **auth(world.vendor_token))
    _problem(response, 405)
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "PUT"}


def test_400_body_not_json(client, world: World) -> None:
    response = client.post(
        "/api/v1/people/bulk",
        "{not json",
        content_type="application/json",
        **auth(world.vendor_token),
    )
    _problem(response, 400)


def test_422_query_parameter(client, world: World) -> None:
    body = _problem(client.get("/api/v1/people?limit=501", **auth(world.vendor_token)), 422)
    assert [e["parameter"] for e in body["errors"]] == ["limit"]


def test_422_body_pointer(client, world: World) -> None:
    response = client.post(
        "/api/v1/people/bulk",
        {"items": [{"external_id": "X", "email": "x@example.test"}]},
        content_type="application/json",
        **auth(world.vendor_token),
    )
    body = _problem(response, 422)
    assert [e["pointer"] for e in body["errors"]] == ["/items/0/employed_from"]


def test_nul_character_is_422_not_500(client, world: World) -> None:
    _problem(client.get("/api/v1/people?email=a%00b", **auth(world.vendor_token)), 422)


def test_500_sends_no_traceback(client, world: World, monkeypatch) -> None:
    from partnerprogram.api.endpoints import program

    def boom(_request):
        raise RuntimeError("secret internals at /srv/app.py line 12")

    monkeypatch.setattr(program, "principal_of", boom)
    response = client.get("/api/v1/me", **auth(world.vendor_token))
    body = _problem(response, 500)
    assert "secret" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["errors"] == []


def test_nul_in_body_is_422_not_500(client, world: World) -> None:
    response = client.put(
        "/api/v1/people/PER-X",
        '{"partner": "P-A1", "email": "a\\u0000@example.test", "employed_from": "2020-01-01"}',
        content_type="application/json",
        **auth(world.vendor_token),
    )
    _problem(response, 422)


def test_body_over_the_size_limit_is_413(client, world: World, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    items = [{"external_id": f"P{n}", "email": "x@example.test"} for n in range(100)]
    response = client.post(
        "/api/v1/people/bulk",
        {"items": items},
        content_type="application/json",
        **auth(world.vendor_token),
    )
    body = _problem(response, 413)
    assert "1,000 bytes" in body["detail"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nope",
        "/api/v1/customers/a%2Fb",  # %2F decodes to "/": customers/a/b is no API path
        "/api/v1/customers/CUS-A1/extra",
    ],
)
def test_unknown_path_is_a_404_problem_whatever_the_method(world: World, method, path) -> None:
    # CSRF enforced as in production: before the fix, unsafe methods got Django's HTML page
    # "CSRF verification failed" (403 text/html)
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(
        path, "{}", content_type="application/json", **auth(world.vendor_token)
    )
    body = _problem(response, 404)
    assert "CSRF" not in body["detail"]


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/openapi.json", "/api/v1/docs"])
def test_index_and_docs_refuse_unsafe_methods_with_a_problem(world: World, path: str) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(path, "{}", content_type="application/json")
    _problem(response, 405)
    assert response["Allow"] == "GET"
    assert client.get(path).status_code == 200


def test_known_path_wrong_method_with_csrf_enforced_is_a_405_problem(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.delete("/api/v1/customers/CUS-A1", **auth(world.vendor_token))
    _problem(response, 405)
