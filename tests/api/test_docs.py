"""The OpenAPI document and the interactive docs (Swagger UI vendored: no CDN)."""

import re
from pathlib import Path

import pytest

import partnerprogram

pytestmark = pytest.mark.django_db

VENDOR = Path(partnerprogram.__file__).parent / "static" / "vendor" / "swagger-ui"


def test_docs_page_loads_only_vendored_assets(client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in sources
    assert "/static/vendor/swagger-ui/swagger-ui.css" in sources
    assert all(s.startswith("/") for s in sources), sources  # nothing from another host
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE", "SOURCE"):
        assert (VENDOR / name).is_file(), name


def test_openapi_documents_problems_and_exports(client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/bookings/bulk"]["post"]
    assert set(operation["responses"]) >= {"200", "401", "403", "404", "413", "422", "500"}
    assert "application/problem+json" in operation["responses"]["422"]["content"]
    listed = document["paths"]["/api/v1/people"]["get"]["responses"]["200"]["content"]
    assert set(listed) == {
        "application/json",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    schemes = document["components"]["securitySchemes"]
    assert schemes["BearerToken"] == {"type": "http", "scheme": "bearer"}


def test_root_points_at_the_documents(client) -> None:
    assert client.get("/api/v1/").json() == {
        "openapi": "/api/v1/openapi.json",
        "docs": "/api/v1/docs",
    }
