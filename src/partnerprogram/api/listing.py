"""Lists of the API: pagination (``limit``/``offset``), filters, ordering and exports.

Every list takes ``limit`` (1 to 500, default 50), ``offset`` (default 0), ``ordering`` (a
field name, ``-`` for descending; ties broken by id) and ``format`` (``json``, ``csv`` or
``xlsx``: the whole filtered list as a download, every page). The JSON answer is
``{count, limit, offset, items}``. A page costs the same queries for 1 row or 500: one count,
one select (related rows joined).
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpResponseBase
from ninja import Schema
from pydantic import Field, create_model

from partnerprogram.core.exports import export_response

LIMIT_DEFAULT = 50
LIMIT_MAX = 500
#: offsets above this are refused (a 64-bit database offset never overflows)
OFFSET_MAX = 1_000_000_000

#: a filter: an ORM lookup (``partner__external_id``) or ``f(queryset, value) -> queryset``
FilterApply = str | Callable[[QuerySet[Any], Any], QuerySet[Any]]


@dataclass(frozen=True)
class ListSpec:
    """How a resource lists: ``filters`` maps a query parameter to ``(type, apply,
    description)``; ``orderings`` an API field name to the ORM field; ``default_ordering`` the
    API name used when none is asked (``-`` prefix allowed)."""

    name: str
    filters: dict[str, tuple[Any, FilterApply, str]] = field(default_factory=dict)
    orderings: dict[str, str] = field(default_factory=dict)
    default_ordering: str = ""


class ListQuery(Schema):
    limit: int = Field(LIMIT_DEFAULT, ge=1, le=LIMIT_MAX, description="rows per page (1-500)")
    offset: int = Field(0, ge=0, le=OFFSET_MAX, description="rows skipped")
    format: Literal["json", "csv", "xlsx"] = Field(
        "json", description="json (a page), or csv / xlsx (the whole filtered list)"
    )


def _camel(name: str) -> str:
    return "".join(part.title() for part in name.replace("-", "_").split("_"))


def query_schema(spec: ListSpec) -> type[ListQuery]:
    """The query-parameter schema of a list: ``ListQuery`` + the filters + ``ordering``."""
    fields: dict[str, Any] = {}
    for name, (typ, _apply, description) in spec.filters.items():
        fields[name] = (typ | None, Field(None, description=description))
    if spec.orderings:
        choices = tuple(value for key in spec.orderings for value in (key, f"-{key}"))
        fields["ordering"] = (
            Literal[choices],
            Field(spec.default_ordering, description="field to sort by; - for descending"),
        )
    model: type[ListQuery] = create_model(f"{_camel(spec.name)}Query", __base__=ListQuery, **fields)
    return model


def page_schema(out: type[Schema]) -> type[Schema]:
    """``{count, limit, offset, items: [out]}``."""
    model: type[Schema] = create_model(
        f"{out.__name__.removesuffix('Out')}Page",
        __base__=Schema,
        count=(int, Field(description="rows matching the filters (every page)")),
        limit=(int, ...),
        offset=(int, ...),
        items=(list[out], ...),  # type: ignore[valid-type]
    )
    return model


def queryset_filter(qs: QuerySet[Any], spec: ListSpec, query: Any) -> QuerySet[Any]:
    """``qs`` with the filters given in ``query`` and its ordering (then id)."""
    for name, (_typ, apply, _description) in spec.filters.items():
        value = getattr(query, name, None)
        if value is None:
            continue
        qs = qs.filter(**{apply: value}) if isinstance(apply, str) else apply(qs, value)
    ordering = getattr(query, "ordering", None) or spec.default_ordering
    if ordering:
        desc = ordering.startswith("-")
        column = spec.orderings[ordering.lstrip("-")]
        qs = qs.order_by(f"-{column}" if desc else column, "-pk" if desc else "pk")
    else:
        qs = qs.order_by("pk")
    return qs


def list_page(qs: QuerySet[Any], query: Any, out: type[Schema]) -> dict[str, Any]:
    """The JSON page of an ordered, filtered queryset (two queries: count and rows)."""
    count = qs.count()
    rows = list(qs[query.offset : query.offset + query.limit]) if count else []
    return {
        "count": count,
        "limit": query.limit,
        "offset": query.offset,
        "items": rows,
    }


def schema_rows(qs: QuerySet[Any], out: type[Schema]) -> tuple[list[str], Iterable[Sequence[Any]]]:
    """``(header, rows)`` of a queryset through its output schema (nested values as JSON)."""
    header = list(out.model_fields)

    def rows() -> Iterable[Sequence[Any]]:
        for obj in qs.iterator(chunk_size=2000):
            data = out.from_orm(obj).model_dump()
            yield [
                data[name] if not isinstance(data[name], dict | list) else _json(data[name])
                for name in header
            ]

    return header, rows()


def _json(value: Any) -> str:
    import json

    return json.dumps(value, default=str, ensure_ascii=False, sort_keys=True)


_ACCEPTED = {
    "text/csv": "csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}


def requested_format(request: Any, query: Any) -> str:
    """``json``, ``csv`` or ``xlsx``: the ``format`` parameter, else an ``Accept`` header
    naming only CSV or XLSX (``Accept: text/csv``)."""
    fmt = str(getattr(query, "format", "json") or "json")
    if fmt != "json":
        return fmt
    accept = [part.split(";")[0].strip() for part in request.headers.get("Accept", "").split(",")]
    wanted = {_ACCEPTED[a] for a in accept if a in _ACCEPTED}
    if len(wanted) == 1 and not any(a in ("application/json", "*/*") for a in accept):
        return wanted.pop()
    return "json"


def list_export(
    *,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    name: str,
    fmt: Literal["csv", "xlsx"],
) -> HttpResponseBase:
    """The download of a whole list (``core.exports``)."""
    return export_response(rows, header, filename=name, fmt=fmt)
