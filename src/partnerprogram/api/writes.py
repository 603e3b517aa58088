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

What a ``GET`` returns can be written back as it is (``GET`` -> ``PUT``, a list page's
``items`` -> ``POST /bulk``): a ``PUT`` body may repeat the key (it must then equal the path's,
else 422), and the read-only fields of ``READ_ONLY`` (derived from other fields, such as a
credential's ``partner``) are accepted and ignored.
"""

import unicodedata
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

#: required fields a partner token may leave out, by kind: ``records_upsert`` gives them their
#: ``KindSpec.scoped_defaults`` value (a registration's ``registered_on``: today in the program
#: time zone); optional in the request schema, still required of the vendor (422 otherwise)
PARTNER_DEFAULTED: dict[str, tuple[str, ...]] = {"deal_registrations": ("registered_on",)}

#: fields a GET returns that no write sets (derived from other fields), by kind: accepted in a
#: request body so a GET can be written back, and ignored (name -> description)
READ_ONLY: dict[str, dict[str, str]] = {
    "credentials": {"partner": "the person's partner: read only, ignored on writes"},
}


class StrictSchema(BaseModel):
    """A request body: unknown properties are refused (422), not silently dropped. A plain
    pydantic model (ninja's ``Schema`` wraps every value for ORM reads: 5x slower on 10,000
    rows)."""

    model_config = ConfigDict(extra="forbid")


def _camel(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


def _annotation(spec: FieldSpec, *, blank: bool = False) -> Any:
    """The pydantic type of a field; ``blank``: an empty string is accepted besides the
    pattern (it clears an optional field, and is what a GET returns for an empty one)."""
    base: Any
    if spec.type in ("str", "ref"):
        pattern = spec.pattern
        if blank and pattern:
            pattern = f"^$|{pattern}"
        base = Annotated[str, StringConstraints(max_length=spec.max_length, pattern=pattern)]
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
    ``docs/imports.md``), required ones required, the read-only fields of ``READ_ONLY``
    optional, unknown properties refused. Without ``with_key`` the key fields are optional
    (the path gives them; ``put_key_check`` compares them). The owner field (``partner``) and
    the ``PARTNER_DEFAULTED`` fields are optional: a partner token may omit them."""
    spec = KINDS[kind]
    defaulted = PARTNER_DEFAULTED.get(kind, ())
    fields: dict[str, Any] = {}
    for f in spec.fields:
        annotation = _annotation(f, blank=not f.required)
        description = f.help + (f" (e.g. {f.example})" if f.example else "")
        if f.vendor_only:
            description += "; vendor only"
        if not with_key and f.name in spec.key:
            description = "the key, optional: if given, it must equal the path's " + description
            fields[f.name] = (annotation | None, Field(None, description=description))
        elif f.required and f.name != spec.owner and f.name not in defaulted:
            fields[f.name] = (annotation, Field(..., description=description))
        else:
            fields[f.name] = (annotation | None, Field(None, description=description))
    for name, description in READ_ONLY.get(kind, {}).items():
        fields[name] = (str | None, Field(None, max_length=64, description=description))
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


def _located(error: RowError, *, bulk: bool, key_fields: tuple[str, ...] = ()) -> dict[str, str]:
    detail = error.reason + (f" (value: {error.value!r})" if error.value else "")
    if not bulk and error.column in key_fields:
        return {"parameter": "key", "detail": f"path parameter key: {detail}"}
    return {"pointer": _pointer(error, bulk=bulk), "detail": detail}


def refused_problem(
    report: UpsertReport, *, bulk: bool, key_fields: tuple[str, ...] = ()
) -> ApiProblem:
    """The 422 problem of a refused upsert: one ``{pointer, detail}`` per error (for a
    ``PUT``, an error on a ``key_fields`` field points at the path parameter ``key``)."""
    errors = [_located(e, bulk=bulk, key_fields=key_fields) for e in report.errors]
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
    """Upsert ``rows`` all or nothing as ``principal`` (the ``READ_ONLY`` fields dropped).
    Raises ``ApiProblem`` 403 (a kind a partner may not write) or 422 (rejected rows, with
    pointers; for a single row, ``bulk`` False, errors on the key point at the path)."""
    ignored = tuple(READ_ONLY.get(kind, ()))
    writable = (
        (number, {k: v for k, v in row.items() if k not in ignored}) for number, row in rows
    )
    try:
        return records_upsert(
            kind=kind,
            rows=writable,
            actor=principal.actor,
            dry_run=dry_run,
            all_or_nothing=True,
            partner=principal.partner,
        )
    except PermissionError as exc:
        raise ApiProblem(403, f"{exc}: only the vendor writes {kind}") from exc
    except UpsertRefused as exc:
        raise refused_problem(exc.report, bulk=bulk, key_fields=KINDS[kind].key) from exc


def key_check(key: str, *, parameter: str = "key") -> str:
    """``key`` (a path parameter naming an external id) if it can be one: no leading or
    trailing whitespace, no control character. Else a 422 problem pointing at the parameter,
    raised before anything is read or written (a key is stored exactly as sent)."""
    reason = None
    if key != key.strip():
        reason = "leading or trailing whitespace (send the key exactly as stored)"
    elif any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in key):
        reason = "a control character"
    if reason is not None:
        raise ApiProblem(
            422,
            f"path parameter {parameter} {key!r} is not a valid external id: {reason}; "
            "nothing was written",
            errors=[{"parameter": parameter, "detail": f"path parameter {parameter}: {reason}"}],
        )
    return key


def put_key_check(*, kind: str, key: str, row: dict[str, Any]) -> dict[str, Any]:
    """The row of a ``PUT`` with its key set from the path: a key repeated in the body (what a
    ``GET`` returns) must equal the path's, else a 422 problem pointing at it."""
    key_name = KINDS[kind].key[0]
    given = row.get(key_name)
    if given is not None and given != key:
        detail = f"{key_name} {given!r} differs from the key in the path {key!r}"
        raise ApiProblem(
            422,
            detail + "; nothing was written",
            errors=[{"pointer": f"/{key_name}", "detail": detail}],
        )
    return {**row, key_name: key}


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
