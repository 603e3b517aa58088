"""Journey: the API's interactive docs render Swagger UI from the vendored assets, with no
request to another host; the OpenAPI document is JSON.

The ``page`` fixture aborts every request to another host; this journey also records every
request and every failed one, so that a CDN link (or a validator badge) fails here even if the
page looked complete without it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import Shot

pytestmark = pytest.mark.browser


def test_docs_render_swagger_ui_from_vendored_assets_only(
    page: Page, live_server: object, shot: Shot
) -> None:
    base = str(live_server.url)  # type: ignore[attr-defined]
    requested: list[str] = []
    failed: list[str] = []

    def on_failed(request: Request) -> None:
        failed.append(f"{request.url} ({request.failure})")

    page.on("request", lambda request: requested.append(request.url))
    page.on("requestfailed", on_failed)

    response = page.goto("/api/v1/docs")
    assert response is not None and response.status == 200
    # Swagger UI has fetched the document and drawn the API's title and operation groups
    expect(page.get_by_role("heading", name="partnerprogram API", exact=False)).to_be_visible()
    groups = page.get_by_role("heading", level=3)
    for tag in ("partners", "people", "bookings", "standings"):
        expect(groups.get_by_role("link", name=tag, exact=True)).to_be_visible()
    # an operation of the partners group: its method, path and summary
    expect(page.get_by_role("button", name="GET /api/v1/partners List partners")).to_be_visible()
    page.wait_for_load_state("networkidle")
    shot(page, "swagger-ui")

    assert not failed, f"requests failed (another host is aborted): {failed}"
    others = [url for url in requested if not url.startswith(base)]
    assert not others, f"requests to another host: {others}"
    vendored = [url for url in requested if "/static/vendor/swagger-ui/" in url]
    assert any(url.endswith("swagger-ui-bundle.js") for url in vendored), requested
    assert any(url.endswith("swagger-ui.css") for url in vendored), requested
    assert f"{base}/api/v1/openapi.json" in requested


def test_openapi_document_is_json(page: Page) -> None:
    response = page.goto("/api/v1/openapi.json")
    assert response is not None and response.status == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "partnerprogram API"
    assert "get" in document["paths"]["/api/v1/partners"]
