"""The CRM export shape of Salesforce's Data Loader: upper-case API field names (``ID``,
``ACCOUNTID``, ``STAGENAME``, ``CLOSEDATE``...), as in ``tests/data/thirdparty/salesforce/``.

Accounts file (``accountData.csv``) -> kind ``customers`` (or ``partners``: an account is a
company; import it as the kind it is for you):

=============== ====================================================================
field           source
=============== ====================================================================
external_id     ``ID`` (the Salesforce record id; opportunities point to it by ``ACCOUNTID``)
name            ``NAME``
country         ``BILLINGCOUNTRY``, normalised to ISO 3166 alpha-2 (US/USA/United States -> US)
city            ``BILLINGCITY`` (partners only; customers have no city)
=============== ====================================================================

Opportunities file (``opportunityData.csv``) -> kind ``opportunities``:

=============== ====================================================================
field           source
=============== ====================================================================
external_id     ``ORACLE_ID__C``, the integration key the Data Loader upserted on (the sample
                reject log says "Oracle_Id__c not specified"); a row without it is rejected
                ("missing external id"); a repeated id keeps the first row, the later ones are
                rejected as duplicates
customer        ``ACCOUNTID`` (the account's ``ID``: import accounts first)
name            ``NAME``
amount          ``AMOUNT``; empty -> rejected ("missing amount")
currency        ``CURRENCYISOCODE`` when the column exists, else ``USD`` (``--set currency=``)
stage           ``STAGENAME`` through ``STAGES`` (an unknown stage is rejected)
close_date      ``CLOSEDATE``
created_on      ``CREATEDDATE`` (an instant, ``...Z``) as a date in the program time zone
                (Europe/Paris: ``2006-06-15T23:57:14.000Z`` is 2006-06-16)
product_line    not in the export: ``unspecified`` (``--set product_line=...`` to choose)
=============== ====================================================================

``LEADSOURCE=Partner`` says a partner brought the deal but not which one: nothing is recorded
from it (involvements are imported separately, kind ``involvements``). Rows with
``ISDELETED=true`` are rejected ("deleted in the source").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from collections.abc import Mapping as MappingType
from dataclasses import dataclass
from typing import Any

from partnerprogram.core.upserts import RowError
from partnerprogram.imports.mappings.base import (
    BoundMapping,
    Mapping,
    MappingRefused,
    RowOutcome,
    SourceRow,
    columns_unique,
    find_columns,
    header_key,
    option_name,
    text_or_none,
)
from partnerprogram.imports.mappings.generic import defaults_convert
from partnerprogram.imports.values import CellError, bool_parse, country_normalize, is_null

#: Salesforce's default sales process stages -> our opportunity stages
STAGES: dict[str, str] = {
    "prospecting": "prospecting",
    "qualification": "qualification",
    "needs analysis": "qualification",
    "value proposition": "proposal",
    "id. decision makers": "proposal",
    "perception analysis": "proposal",
    "proposal/price quote": "proposal",
    "negotiation/review": "negotiation",
    "closed won": "won",
    "closed lost": "lost",
}

DEFAULT_PRODUCT_LINE = "unspecified"
DEFAULT_CURRENCY = "USD"

Convert = Callable[[str, Any], Any]


@dataclass(frozen=True)
class Column:
    """One canonical field read from one source column. ``missing``: the reason when the
    cell is empty and the field is required ('' = optional)."""

    field: str
    source: str
    convert: Convert
    missing: str = ""


def _stage(text: str) -> str:
    stage = STAGES.get(" ".join(text.split()).casefold())
    if stage is None:
        raise CellError(f"unknown stage {text!r} (known: {', '.join(sorted(set(STAGES)))})")
    return stage


def _columns(kind: str, header: MappingType[str, str]) -> list[Column]:
    def plain(column: str, text: str, formats: Any) -> Any:
        return text

    def country(column: str, text: str, formats: Any) -> Any:
        return country_normalize(text)

    def decimal(column: str, text: str, formats: Any) -> Any:
        return formats.decimal(column, text)

    def day(column: str, text: str, formats: Any) -> Any:
        return formats.date(column, text)

    def stage(column: str, text: str, formats: Any) -> Any:
        return _stage(text)

    def currency(column: str, text: str, formats: Any) -> Any:
        return text.upper()

    def wrap(fn: Callable[[str, str, Any], Any], column: str) -> Convert:
        return lambda text, formats: fn(column, text, formats)

    if kind in ("customers", "partners"):
        spec = [
            ("external_id", "ID", plain, "missing external id"),
            ("name", "NAME", plain, "missing name"),
            ("country", "BILLINGCOUNTRY", country, "missing country" if kind == "partners" else ""),
        ]
        if kind == "partners":
            spec.append(("city", "BILLINGCITY", plain, ""))
    else:
        spec = [
            ("external_id", "ORACLE_ID__C", plain, "missing external id"),
            ("customer", "ACCOUNTID", plain, "missing account"),
            ("name", "NAME", plain, "missing name"),
            ("amount", "AMOUNT", decimal, "missing amount"),
            ("stage", "STAGENAME", stage, "missing stage"),
            ("close_date", "CLOSEDATE", day, ""),
            ("created_on", "CREATEDDATE", day, "missing creation date"),
        ]
        if header_key("CURRENCYISOCODE") in header:
            spec.append(("currency", "CURRENCYISOCODE", currency, "missing currency"))
    columns = []
    missing = []
    for name, source, fn, reason in spec:
        actual = header.get(header_key(source))
        if actual is None:
            missing.append(source)
            continue
        columns.append(Column(field=name, source=actual, convert=wrap(fn, actual), missing=reason))
    if missing:
        raise MappingRefused(
            f"not a Salesforce {'account' if kind != 'opportunities' else 'opportunity'} "
            f"export: missing column(s) {', '.join(missing)}"
        )
    return columns


class SalesforceBound(BoundMapping):
    """The Salesforce mapping bound to a header."""

    def __init__(
        self, *, kind: str, columns: list[str], formats: Any, defaults: dict[str, Any]
    ) -> None:
        super().__init__(kind=kind, mapping_name="salesforce")
        header = find_columns(columns)
        self.formats = formats
        self.plan = _columns(kind, header)
        self.columns_used = {c.field: c.source for c in self.plan}
        used_keys = {header_key(c.source): c.field for c in self.plan}
        used_keys[header_key("ISDELETED")] = "deleted flag"
        columns_unique(columns, used_keys)
        for name in defaults:
            if name in self.columns_used:
                raise MappingRefused(
                    f"{option_name(name)} conflicts with the file's column "
                    f"{self.columns_used[name]}: the file gives it on every row (remove the "
                    "option, or the column)"
                )
        self.deleted_column = header.get(header_key("ISDELETED"))
        self.fixed: dict[str, Any] = {}
        if kind == "opportunities":
            self.fixed = {"product_line": DEFAULT_PRODUCT_LINE, "currency": DEFAULT_CURRENCY}
            if "currency" in self.columns_used:
                del self.fixed["currency"]
        self.fixed.update(defaults)
        for name in defaults:
            self.columns_used.pop(name, None)
        # a defaulted field's errors are reported against the option, not a column
        for name in self.fixed:
            self.columns_used.setdefault(name, f"--set {name}")
        if self.fixed:
            self.notes.append(
                "set for every row: "
                + ", ".join(f"{name}={value}" for name, value in self.fixed.items())
            )
        used = {header_key(c.source) for c in self.plan}
        if self.deleted_column:
            used.add(header_key(self.deleted_column))
        ignored = len([c for c in columns if header_key(c) not in used])
        if ignored:
            self.notes.append(f"{ignored} Salesforce column(s) not imported")

    def rows(self, source: Iterable[SourceRow]) -> Iterator[RowOutcome]:
        for number, cells in source:
            outcome = RowOutcome(row=number, fields=dict(self.fixed))
            if self.deleted_column:
                flag = text_or_none(cells.get(self.deleted_column))
                try:
                    deleted = flag is not None and bool_parse(flag)
                except CellError:
                    deleted = False
                if deleted:
                    outcome.errors.append(
                        RowError(
                            row=number,
                            column=self.deleted_column,
                            value=flag or "",
                            reason="deleted in the source",
                        )
                    )
                    yield outcome
                    continue
            for column in self.plan:
                if column.field in self.fixed:
                    continue
                raw = cells.get(column.source)
                text = text_or_none(raw)
                if text is not None and is_null(text):
                    text = None
                if text is None:
                    if column.missing:
                        outcome.errors.append(
                            RowError(
                                row=number, column=column.source, value="", reason=column.missing
                            )
                        )
                    else:
                        outcome.fields[column.field] = None
                    continue
                try:
                    outcome.fields[column.field] = column.convert(text, self.formats)
                except CellError as exc:
                    outcome.errors.append(
                        RowError(row=number, column=column.source, value=text, reason=exc.reason)
                    )
            yield outcome


class SalesforceMapping(Mapping):
    """Salesforce Data Loader exports (accounts, opportunities)."""

    name = "salesforce"
    title = "Salesforce export (Data Loader, upper-case API names)"
    kinds = ("customers", "partners", "opportunities")

    def bind(
        self,
        *,
        kind: str,
        columns: list[str],
        formats: Any,
        defaults: MappingType[str, str] | None = None,
    ) -> BoundMapping:
        self.check_kind(kind)
        return SalesforceBound(
            kind=kind,
            columns=columns,
            formats=formats,
            defaults=defaults_convert(kind=kind, defaults=defaults, formats=formats),
        )
