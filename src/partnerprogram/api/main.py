"""The API object: ``/api/v1`` with its OpenAPI document (``/api/v1/openapi.json``), the
interactive docs (``/api/v1/docs``, Swagger UI served from the vendored
``static/vendor/swagger-ui``: no CDN), authentication, and the problem-details error format
for every error (see ``api.problems``), including those raised before an endpoint runs (401,
404 of unknown paths, 405, 413, 422 of ninja's validation, 500).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import DocsBase

from partnerprogram.api.auth import BearerToken, SessionMembership
from partnerprogram.api.endpoints import facts, program
from partnerprogram.api.problems import (
    PROBLEM_CONTENT_TYPE,
    ApiProblem,
    error_summary,
    logger,
    problem_response,
    validation_errors,
)

API_DESCRIPTION = """The partner program's REST API.

**Authentication**: `Authorization: Bearer TOKEN` (create one in the console, *API tokens*, or
with `partnerprogram token create --vendor|--partner EXTERNAL_ID`). A vendor token sees every
partner; a partner token only its own data (another partner's object is a 404). The portal's
own session also works (unsafe methods need the `X-CSRFToken` header).

**Lists**: `limit` (1-500), `offset`, `ordering` (`-` for descending), filters, and
`format=csv|xlsx` for the whole filtered list as a download. Any other query parameter is a
400 problem naming it and listing the accepted ones (a misspelt filter is never ignored).

**Writes** are upserts by external id, idempotent: `PUT /<kind>/{key}` for one row,
`POST /<kind>/bulk` with `{"items": [...]}` for up to 10,000 rows, applied all or nothing.

**Errors** are RFC 9457 problem details (`application/problem+json`), with `errors:
[{pointer, detail}]` pointing at the offending value (`/items/3/amount`). A partner token on a
vendor-only operation is a 403 before the parameters or the body are validated.
"""


class VendoredSwagger(DocsBase):
    """Swagger UI from ``static/vendor/swagger-ui`` (no CDN at run time)."""

    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        settings_json = json.dumps(
            {
                "url": self.get_openapi_url(api, kwargs),
                "layout": "BaseLayout",
                "deepLinking": True,
                "persistAuthorization": False,
            }
        )
        return render(request, "api/swagger.html", {"api": api, "swagger_settings": settings_json})


api = NinjaAPI(
    title="partnerprogram API",
    version="1.0",
    description=API_DESCRIPTION,
    urls_namespace="api-v1",
    auth=[BearerToken(), SessionMembership()],
    docs=VendoredSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("", program.router)
api.add_router("", facts.router)


# -- errors as problem details -------------------------------------------------------------


@api.exception_handler(ApiProblem)
def _problem(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
    return problem_response(
        request, exc.status, exc.detail, slug=exc.slug, errors=exc.errors, headers=exc.headers
    )


@api.exception_handler(ValidationError)
def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = validation_errors(exc.errors)
    return problem_response(request, 422, error_summary(errors), errors=errors)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem_response(
        request,
        401,
        "send a valid, unexpired API token as 'Authorization: Bearer TOKEN'",
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem_response(request, exc.status_code, exc.message)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(request, 404, "not found")


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return problem_response(
        request, 500, "an unexpected error occurred; it was logged (no detail is sent)"
    )


# -- the OpenAPI document: every error documented as a problem -----------------------------

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_ERROR_STATUSES = {
    "400": "Bad request (body not JSON, or an unknown query parameter on a list)",
    "401": "No valid token (WWW-Authenticate: Bearer)",
    "403": "Not allowed for this principal (or CSRF check failed)",
    "404": "Not found among the records the principal can see",
    "405": "Method not allowed",
    "422": "Invalid input: errors point at the offending values",
    "500": "Unexpected error (logged; no detail sent)",
}
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _openapi_postprocess(schema: dict[str, Any]) -> dict[str, Any]:
    from partnerprogram.api.problems import Problem

    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in problem_schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components["Problem"] = problem_schema
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = {str(k): v for k, v in operation.get("responses", {}).items()}
            operation["responses"] = responses
            statuses = dict(_ERROR_STATUSES)
            if method == "post" and operation.get("operationId", "").endswith("_bulk"):
                statuses["413"] = "More than 10,000 rows: nothing written"
            if method in ("post", "put"):
                statuses["409"] = "Conflict with the stored state"
            for status, description in statuses.items():
                responses[status] = {
                    "description": description,
                    "content": {PROBLEM_CONTENT_TYPE: {"schema": _PROBLEM_REF}},
                }
            if method == "get" and operation.get("operationId", "").endswith("_list"):
                ok = responses.get("200", {}).get("content", {})
                ok["text/csv"] = {"schema": {"type": "string"}}
                ok[_XLSX] = {"schema": {"type": "string", "format": "binary"}}
    return schema


_original_get_openapi_schema = api.get_openapi_schema


def _get_openapi_schema(**kwargs: Any) -> Any:
    return _openapi_postprocess(_original_get_openapi_schema(**kwargs))


api.get_openapi_schema = _get_openapi_schema  # type: ignore[method-assign]


# -- URL patterns: problems for 405, unknown paths and NUL characters ----------------------


def _has_nul(body: bytes) -> bool:
    """A JSON body carrying a NUL character, raw or escaped (PostgreSQL text cannot hold it)."""
    return b"\x00" in body or b"\\u0000" in body


def _guard(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        raw_query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in raw_query.lower() or "\x00" in raw_query:
            return problem_response(
                request,
                422,
                "a NUL character is not allowed in the path or parameters",
                errors=[{"parameter": "query", "detail": "NUL character"}],
            )
        try:
            body = request.body
        except RequestDataTooBig:
            return problem_response(
                request,
                413,
                f"the body exceeds {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes: split the load",
            )
        if request.method in ("POST", "PUT", "PATCH") and _has_nul(body):
            return problem_response(
                request,
                422,
                "a NUL character (\\u0000) is not allowed in the body: no text field can store it",
                errors=[{"pointer": "", "detail": "NUL character"}],
            )
        response = view(request, *args, **kwargs)
        if response.status_code >= 400 and not _is_problem(response):
            return _as_problem(request, response)
        return response

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]
    return wrapped


def _is_problem(response: HttpResponse) -> bool:
    return bool(response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE))


def _as_problem(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """An error answered by Django rather than the API (an HTML 405 of ninja's method
    dispatch, ...) as a problem of the same status (``Allow`` kept)."""
    status = response.status_code
    allowed = response.get("Allow", "")
    if status == 405:
        detail = f"{request.method} is not allowed here (allowed: {allowed})"
    else:
        detail = "not found" if status == 404 else "the request could not be served"
    problem = problem_response(request, status, detail)
    if allowed:
        problem["Allow"] = allowed
    return problem


def _read_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``view`` for GET and HEAD; any other method a 405 problem (``Allow: GET``)."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            problem = problem_response(
                request, 405, f"{request.method} is not allowed here (allowed: GET)"
            )
            problem["Allow"] = "GET"
            return problem
        return view(request, *args, **kwargs)

    return wrapped


def _index(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        json.dumps({"openapi": request.path + "openapi.json", "docs": request.path + "docs"}),
        content_type="application/json",
    )


def _unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    return problem_response(request, 404, f"no API path /api/v1/{rest}")


def urls() -> tuple[list[Any], str, str]:
    """``(patterns, app_name, namespace)`` for ``path("api/v1/", urls())``. Every view is
    wrapped by ``_guard`` (CSRF-exempt: the API checks CSRF itself, for session calls only, see
    ``api.auth``), so every error under ``/api/v1/``, whatever the method and path, is a
    problem document: an unknown path (or a key holding an encoded ``/``) is a 404 problem,
    never Django's HTML CSRF page."""
    patterns, app_name, namespace = api.urls
    wrapped: list[Any] = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            callback = pattern.callback
            if pattern.name in ("openapi-json", "openapi-view"):  # the document and its docs
                callback = _read_only(callback)
            pattern.callback = _guard(callback)
        wrapped.append(pattern)
    wrapped.insert(0, path("", _guard(_read_only(_index)), name="index"))
    wrapped.append(path("<path:rest>", _guard(_unknown), name="unknown"))
    return wrapped, app_name, namespace


__all__ = ["api", "settings", "urls"]
