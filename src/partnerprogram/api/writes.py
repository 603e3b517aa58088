"""Writes of the API: every one is an upsert by external id through
``core.records.records_upsert`` (the same layer as file imports), applied all or nothing.

- ``PUT /<kind>/{external_id}``: one row (the path gives the key); ``{status, item}`` with
  ``status`` ``created``, ``updated`` or ``unchanged``.
- ``POST /<kind>/bulk``: ``{items: [...]}``, up to ``BULK_MAX`` (10,000) rows; more is a 413
  problem. Any rejected row -> 422 problem listing every error at ``/items/<index>/<field>``
  (0-based index), nothing written. The same payload twice creates nothing the second time.

A partner principal writes only the kinds ``records_upsert`` lets a partner write (people,
deal registrations), only for itself (the ``partner`` field may be omitted); other kinds are a
403 problem, another partner's row a 404 (single) or an "unknown external id" error (bulk).
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from partnerprogram.api.auth import Principal
from partnerprogram.api.problems import ApiProblem, error_summary, json_pointer
from partnerprogram.core.records import KINDS, records_upsert
from partnerprogram.core.upserts import FieldSpec, RowError, UpsertRefused, UpsertReport

#: rows one bulk request may carry
BULK_MAX = 10_000


class StrictSchema(BaseModel):
    """A request body: unknown properties are refused (422), not silently dropped. A plain
    pydantic model (ninja's ``Schema`` wraps every value for ORM reads: 5x slower on 10,000
    rows)."""

    model_config = ConfigDict(extra="forbid")


def _camel(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


def _annotation(spec: FieldSpec) -> Any:
    base: Any
    if spec.type in ("str", "ref"):
        base = Annotated[str, StringConstraints(max_length=spec.max_length, pattern=spec.pattern)]
    elif spec.type == "date":
        base = date
    elif spec.type == "decimal":
        base = Annotated[
            Decimal,
            Field(
                ge=spec.ge,
                le=spec.le,
                max_digits=spec.max_digits,
                decimal_places=spec.decimal_places,
            ),
        ]
    elif spec.type == "int":
        base = Annotated[int, Field(ge=spec.ge, le=spec.le)]
    elif spec.type == "bool":
        base = bool
    else:
        base = Literal[spec.choices]
    return base


def item_schema(kind: str, *, with_key: bool) -> type[BaseModel]:
    """The request schema of one row of ``kind``: its canonical fields (documented in
    ``docs/imports.md``), required ones required, unknown properties refused. Without
    ``with_key`` the key fields are left out (the path gives them). The owner field
    (``partner``) is optional: a partner token may omit it."""
    spec = KINDS[kind]
    fields: dict[str, Any] = {}
    for f in spec.fields:
        if not with_key and f.name in spec.key:
            continue
        annotation = _annotation(f)
        description = f.help + (f" (e.g. {f.example})" if f.example else "")
        if f.vendor_only:
            description += "; vendor only"
        if f.required and f.name != spec.owner:
            fields[f.name] = (annotation, Field(..., description=description))
        else:
            fields[f.name] = (annotation | None, Field(None, description=description))
    suffix = "Item" if with_key else "Fields"
    model: type[BaseModel] = create_model(
        f"{_camel(kind)}{suffix}", __base__=StrictSchema, __doc__=spec.help or None, **fields
    )
    return model


def bulk_schema(kind: str) -> type[BaseModel]:
    """``{items: [row]}`` (the limit of 10,000 rows is checked by the endpoint: 413)."""
    item: Any = item_schema(kind, with_key=True)
    items: Any = list[item]
    model: type[BaseModel] = create_model(
        f"{_camel(kind)}Bulk",
        __base__=StrictSchema,
        items=(items, Field(description="1 to 10,000 rows")),
    )
    return model


def _pointer(error: RowError, *, bulk: bool) -> str:
    parts: list[Any] = ["items", error.row - 1] if bulk else []
    if error.column:
        parts.append(error.column)
    return json_pointer(parts)


def refused_problem(report: UpsertReport, *, bulk: bool) -> ApiProblem:
    """The 422 problem of a refused upsert: one ``{pointer, detail}`` per error."""
    errors = [
        {
            "pointer": _pointer(e, bulk=bulk),
            "detail": e.reason + (f" (value: {e.value!r})" if e.value else ""),
        }
        for e in report.errors
    ]
    return ApiProblem(
        422,
        "nothing was written: " + error_summary(errors),
        slug="rows-rejected",
        errors=errors,
    )


def rows_upsert(
    *,
    kind: str,
    rows: Iterable[tuple[int, dict[str, Any]]],
    principal: Principal,
    bulk: bool,
    dry_run: bool = False,
) -> UpsertReport:
    """Upsert ``rows`` all or nothing as ``principal``. Raises ``ApiProblem`` 403 (a kind a
    partner may not write) or 422 (rejected rows, with pointers)."""
    try:
        return records_upsert(
            kind=kind,
            rows=rows,
            actor=principal.actor,
            dry_run=dry_run,
            all_or_nothing=True,
            partner=principal.partner,
        )
    except PermissionError as exc:
        raise ApiProblem(403, f"{exc}: only the vendor writes {kind}") from exc
    except UpsertRefused as exc:
        raise refused_problem(exc.report, bulk=bulk) from exc


def bulk_size_check(count: int) -> None:
    """413 problem above ``BULK_MAX`` rows, 422 for none."""
    if count > BULK_MAX:
        raise ApiProblem(
            413,
            f"{count} rows in one request: at most {BULK_MAX:,} (split the load); nothing written",
            errors=[{"pointer": "/items", "detail": f"at most {BULK_MAX} rows"}],
        )
    if count == 0:
        raise ApiProblem(
            422,
            "no rows: items is empty",
            errors=[{"pointer": "/items", "detail": "give at least one row"}],
        )


def report_out(report: UpsertReport) -> dict[str, Any]:
    """The JSON of an applied (or dry-run) bulk upsert."""
    data = report.as_dict()
    return {
        k: data[k]
        for k in (
            "kind",
            "created",
            "updated",
            "unchanged",
            "applied",
            "created_ids",
            "updated_ids",
        )
    }
