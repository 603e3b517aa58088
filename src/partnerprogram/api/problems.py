"""One error format for the whole API: RFC 9457 problem details (``application/problem+json``).

Every error response is ``{type, title, status, detail, instance, errors}``: ``type`` a URN
naming the problem (``urn:partnerprogram:problem:<slug>``), ``title`` the HTTP reason,
``detail`` a sentence, ``instance`` the request path as a URI reference (percent-encoded:
``/api/v1/customers/%20ACME%20``), ``errors`` a list of
``{pointer, detail}`` (``pointer`` a JSON pointer into the request body, such as
``/items/3/amount``) or ``{parameter, detail}`` (a query or path parameter). Tracebacks are
never sent: a 500 says only that the error was logged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.encoding import escape_uri_path
from ninja import Schema
from pydantic import Field

logger = logging.getLogger("partnerprogram.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ProblemError(Schema):
    """One offending value: where it is and why."""

    pointer: str | None = Field(
        None, description="JSON pointer into the request body, e.g. /items/3/amount"
    )
    parameter: str | None = Field(None, description="query or path parameter name")
    detail: str


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str = Field(description="URN naming the problem")
    title: str
    status: int
    detail: str
    instance: str = Field(description="the request path (a percent-encoded URI reference)")
    errors: list[ProblemError] = Field(default_factory=list)


class ApiProblem(Exception):
    """Raised by endpoints to answer with a problem: ``status``, ``detail``, a ``slug`` for the
    type URN, ``errors`` (``[{pointer|parameter, detail}]``) and extra ``headers``."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        errors: Sequence[dict[str, Any]] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug
        self.errors = list(errors)
        self.headers = headers or {}


_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-many-rows",
    422: "validation-error",
    429: "throttled",
    500: "server-error",
}


def json_pointer(parts: Iterable[Any]) -> str:
    """The JSON pointer (RFC 6901) of a path: ``("items", 3, "amount")`` -> ``/items/3/amount``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def problem_response(
    request: HttpRequest,
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    errors: Sequence[dict[str, Any]] = (),
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """An ``application/problem+json`` response (see the module)."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:  # pragma: no cover - every status used here is standard
        title = "Error"
    body = {
        "type": f"urn:partnerprogram:problem:{slug or _SLUGS.get(status, 'error')}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": escape_uri_path(request.path),
        "errors": [{k: v for k, v in e.items() if v is not None} for e in errors],
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="partnerprogram"'
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def validation_errors(errors: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """ninja/pydantic errors (``{loc, msg, ...}``) -> ``[{pointer|parameter, detail}]``.

    A body location ``("body", "payload", "items", 3, "amount")`` becomes the pointer
    ``/items/3/amount`` (the parameter name is not part of the document sent)."""
    out: list[dict[str, Any]] = []
    for error in errors:
        loc = list(error.get("loc", ()))
        msg = _message(error)
        source = loc[0] if loc else "body"
        if source == "body":
            path = loc[2:] if len(loc) >= 2 else []
            out.append({"pointer": json_pointer(path), "detail": msg})
        else:
            name = ".".join(str(p) for p in loc[1:]) or str(source)
            out.append({"parameter": name, "detail": f"{source} parameter {name}: {msg}"})
    return out


def _message(error: dict[str, Any]) -> str:
    """pydantic's message, but bounds said plainly: ``must be 0 or more`` rather than
    ``Input should be greater than or equal to 0``."""
    kind = error.get("type", "")
    bound = (error.get("ctx") or {}).get(
        {"greater_than_equal": "ge", "less_than_equal": "le"}.get(kind, "")
    )
    if bound is not None and kind == "greater_than_equal":
        return f"must be {bound} or more"
    if bound is not None and kind == "less_than_equal":
        return f"must be {bound} or less"
    return str(error.get("msg", "invalid value"))


def error_summary(errors: Sequence[dict[str, Any]], limit: int = 3) -> str:
    """A one-sentence summary of the first errors (the ``detail`` of a 422)."""
    parts = []
    for e in errors[:limit]:
        where = e.get("pointer") or e.get("parameter") or "/"
        parts.append(f"{where}: {e['detail']}")
    more = f" (and {len(errors) - limit} more)" if len(errors) > limit else ""
    return f"{len(errors)} invalid value(s): " + "; ".join(parts) + more
