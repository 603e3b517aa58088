"""The shared shapes of fact upserts: what the API's bulk endpoints and the file imports both
call (``records_upsert`` in ``partnerprogram.core.records``) and what they get back.

A row is ``(row_number, {field: value})``: ``row_number`` is the 1-based line of the source file
(the header is line 1, so the first data row is 2) or the 1-based index of the item in an API
payload; ``field`` is a canonical field name of the kind (documented in ``docs/imports.md``);
values are Python values (``date``, ``Decimal``, ``str``, ``bool``, ``None``) or ISO strings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Annotated, Any, Literal

import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, create_model


@dataclass(frozen=True)
class RowError:
    """Why one value of one row was rejected.

    ``row``: 1-based source row (file line, header = 1; or payload item index);
    ``column``: the canonical field name, or the source column name once an import maps it back;
    ``value``: the offending value as text ('' when missing); ``reason``: a sentence in English.
    """

    row: int
    column: str
    value: str
    reason: str


@dataclass
class UpsertReport:
    """The outcome of an upsert of one kind of fact.

    Counts are rows: ``created`` (new external id), ``updated`` (existing, some field changed),
    ``unchanged`` (existing, identical), ``rejected`` (at least one error; each error is in
    ``errors``). ``created_ids`` / ``updated_ids`` list external ids (what a dry run shows).
    ``applied`` is False for a dry run and for an all-or-nothing upsert refused because of errors.
    """

    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    created_ids: list[str] = field(default_factory=list)
    updated_ids: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def total(self) -> int:
        """Rows read: created + updated + unchanged + rejected."""
        return self.created + self.updated + self.unchanged + self.rejected

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: ``{kind, created, updated, unchanged, rejected, applied, errors: [{row,
        column, value, reason}], created_ids, updated_ids}``."""
        return {
            "kind": self.kind,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "applied": self.applied,
            "errors": [
                {"row": e.row, "column": e.column, "value": e.value, "reason": e.reason}
                for e in self.errors
            ],
            "created_ids": list(self.created_ids),
            "updated_ids": list(self.updated_ids),
        }


class UpsertRefused(Exception):
    """An all-or-nothing upsert met at least one rejected row: nothing was written.
    ``report`` holds every error."""

    def __init__(self, report: UpsertReport) -> None:
        super().__init__(f"{report.rejected} rejected row(s) in {report.kind}: nothing applied")
        self.report = report


#: The value types of a field, as documented to importers and API clients.
FieldType = Literal["str", "date", "decimal", "int", "bool", "choice", "ref"]

#: A pattern that every slug field (``product_line``, ``family``...) must match.
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
#: ISO 3166-1 alpha-2 (the importer maps country names to codes before calling).
COUNTRY_PATTERN = r"^[A-Z]{2}$"
#: ISO 4217 alphabetic code.
CURRENCY_PATTERN = r"^[A-Z]{3}$"


@dataclass(frozen=True)
class FieldSpec:
    """One canonical field of a kind of fact.

    ``name``: the canonical name (file column after mapping, API property); ``type``: see
    ``FieldType`` (``ref`` is the external id of a row of ``ref_kind``); ``required``: the row
    must carry a non-empty value (on creation and on update alike); ``choices``: the allowed
    values of a ``choice``; ``help``: one English sentence for the docs; ``example``: a value as
    it would appear in a file. The remaining attributes drive validation and storage:
    ``attr`` the model field it is stored in (default: ``name``), ``max_length`` for strings,
    ``pattern`` (+ ``pattern_help``, the reason given when it does not match), ``email``,
    ``ge``/``le`` bounds of numbers, ``max_digits``/``decimal_places`` of decimals,
    ``vendor_only``: a partner-scoped upsert may not set it; ``iso``: ``"country"`` (an
    ISO 3166-1 alpha-2 code pycountry knows) or ``"currency"`` (an ISO 4217 code pycountry
    knows).
    """

    name: str
    type: FieldType
    required: bool
    help: str
    example: str = ""
    choices: tuple[str, ...] = ()
    ref_kind: str | None = None
    attr: str = ""
    max_length: int | None = None
    pattern: str | None = None
    pattern_help: str = ""
    email: bool = False
    ge: int | None = None
    le: int | None = None
    max_digits: int | None = None
    decimal_places: int | None = None
    vendor_only: bool = False
    iso: Literal["", "country", "currency"] = ""

    @property
    def model_attr(self) -> str:
        """The model field (``code`` for a certification's ``external_id``)."""
        return self.attr or self.name

    def as_dict(self) -> dict[str, object]:
        """JSON-ready documentation of the field: ``{name, type, required, choices, ref_kind,
        help, example}``."""
        return {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "choices": list(self.choices),
            "ref_kind": self.ref_kind,
            "help": self.help,
            "example": self.example,
        }


#: ``(field, reason)`` pairs a kind's invariant check returns for one row.
Problems = list[tuple[str, str]]


@dataclass(frozen=True)
class RowContext:
    """What a kind's checks see of one row.

    ``values``: every canonical field after merging the row into the stored row (refs as primary
    keys, ``None`` when empty); ``given``: what the row itself carried, validated (references
    as primary keys, ``None`` for a blank value); ``provided``: the fields the row carried;
    ``existing``: the stored row's values in the same shape (``None`` for a new row); ``pk``:
    the stored row's primary key (``None`` for a new row); ``scoped``: a partner-scoped upsert;
    ``number``: the row number; ``context``: what the kind's ``scoped_context`` computed once
    for the call (``None`` outside partner scope or without one).
    """

    values: dict[str, Any]
    given: dict[str, Any]
    provided: frozenset[str]
    existing: dict[str, Any] | None
    pk: int | None
    scoped: bool
    number: int = 0
    context: Any = None


#: A chunk-level check: ``[(row number, {field: validated value})]`` of the chunk's rows (the
#: fields that parsed, references as external ids) -> ``[(row number, field, reason)]``.
ChunkCheck = Callable[[list[tuple[int, dict[str, Any]]]], list[tuple[int, str, str]]]


@dataclass(frozen=True)
class KindSpec:
    """A kind of fact that can be upserted: its model, fields, key and rules.

    ``key``: the canonical fields identifying a row (``("external_id",)``; involvements:
    ``("opportunity", "partner", "role")``); ``label``: the noun used in reasons ("partner");
    ``partner_writable``: a partner-scoped upsert may write it; ``owner``: the ``ref`` field
    naming the partner a row belongs to (for partner scope); ``unique``: other unique field
    combinations of the model, checked before the database does; ``check``: cross-field
    invariants -> ``[(field, reason)]``; ``scoped_check``: extra rules for partner-scoped rows;
    ``scoped_frozen``: fields a partner-scoped update never changes (their stored value is kept).
    ``chunk_check``: rules across the rows of a chunk and the stored rows (partners: mergers);
    ``scoped_context(partner)``: computed once per partner-scoped call, handed to
    ``scoped_check`` as ``RowContext.context``; ``scoped_defaults(context)``: values of fields a
    partner-scoped row may omit on creation (an update keeps the stored value);
    ``scoped_created(keys, actor)``: called after a partner-scoped call wrote new rows (audit).
    """

    name: str
    model: type[models.Model]
    label: str
    fields: tuple[FieldSpec, ...]
    key: tuple[str, ...] = ("external_id",)
    partner_writable: bool = False
    owner: str | None = None
    unique: tuple[tuple[str, ...], ...] = ()
    check: Callable[[RowContext], Problems] | None = None
    scoped_check: Callable[[RowContext], Problems] | None = None
    scoped_frozen: tuple[str, ...] = ()
    help: str = ""
    chunk_check: ChunkCheck | None = None
    scoped_context: Callable[[Any, date | None], Any] | None = None
    scoped_defaults: Callable[[Any], dict[str, Any]] | None = None
    scoped_created: Callable[[list[str], str], None] | None = None

    def field(self, name: str) -> FieldSpec:
        """The field called ``name`` (``KeyError`` if the kind has none)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @cached_property
    def input_model(self) -> type[BaseModel]:
        """The pydantic model validating one row (optional fields default to ``None``; blank
        strings are turned into ``None`` before validation by ``records_upsert``; a number
        given for a text field, e.g. a spreadsheet's numeric id cell, is taken as its text)."""
        definitions: dict[str, Any] = {f.name: _annotation(f) for f in self.fields}
        return create_model(
            f"{''.join(p.title() for p in self.name.split('_'))}Row",
            __config__=ConfigDict(
                extra="ignore", str_strip_whitespace=True, coerce_numbers_to_str=True
            ),
            **definitions,
        )


def _email(value: str) -> str:
    try:
        validate_email(value)
    except ValidationError:
        raise ValueError("is not a valid e-mail address") from None
    return value


def iso_country(value: str) -> str:
    """``value`` if it is an ISO 3166-1 alpha-2 code (``FR``), else ``ValueError``."""
    if pycountry.countries.get(alpha_2=value) is None:
        raise ValueError(f"{value} is not an ISO 3166-1 alpha-2 country code (such as FR)")
    return value


def iso_currency(value: str) -> str:
    """``value`` if it is an ISO 4217 alphabetic code (``EUR``), else ``ValueError``."""
    if pycountry.currencies.get(alpha_3=value) is None:
        raise ValueError(f"{value} is not an ISO 4217 currency code (such as EUR)")
    return value


def _annotation(f: FieldSpec) -> tuple[Any, Any]:
    base: Any
    if f.type in ("str", "ref"):
        base = Annotated[str, StringConstraints(max_length=f.max_length, pattern=f.pattern)]
        if f.email:
            base = Annotated[base, AfterValidator(_email)]
        if f.iso == "country":
            base = Annotated[base, AfterValidator(iso_country)]
        elif f.iso == "currency":
            base = Annotated[base, AfterValidator(iso_currency)]
    elif f.type == "date":
        base = date
    elif f.type == "decimal":
        base = Annotated[
            Decimal,
            Field(ge=f.ge, le=f.le, max_digits=f.max_digits, decimal_places=f.decimal_places),
        ]
    elif f.type == "int":
        base = Annotated[int, Field(ge=f.ge, le=f.le)]
    elif f.type == "bool":
        base = bool
    else:
        base = Literal[f.choices]
    if f.required:
        return (base, ...)
    return (base | None, None)
