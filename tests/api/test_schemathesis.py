"""Schemathesis against the OpenAPI document: generated requests to every operation, as the
vendor and as a partner; no 5xx, every response as documented (status, content type, headers,
body schema). Requests alternate between the vendor token and
partner A's token. Bounded: ``max_examples`` per operation keeps the run to about a minute."""

import itertools
from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import World

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


#: alternates the persona of successive requests: the vendor, then partner A, ...
_calls = itertools.count()


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Schemathesis calls the WSGI handler directly, which closes "old" database connections
    at each request's start and end; inside the test's transaction that would close it (on
    PostgreSQL). Django's own test client disconnects the same handler."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms(case, world: World) -> None:
    token = world.a_token if next(_calls) % 2 else world.vendor_token
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
