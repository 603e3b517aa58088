"""FOCUS 1.0 cloud billing (FinOps Foundation) -> kind ``cloud_usage``.

A FOCUS file has one row per charge; the program counts cloud usage per partner, month and
product line. Charge rows are aggregated into one cloud usage record per
``(partner, month, product line)`` (the model's unique key):

=============== ====================================================================
field           source
=============== ====================================================================
partner         ``BillingAccountId`` read as the partner's external id, or ``--partner EXT``
                for a cloud service provider's own report (every row is that partner's)
month           the month of ``ChargePeriodStart`` (as written: FOCUS instants are UTC)
product_line    the slug of ``ProviderName`` (``AWS`` -> ``aws``, ``Microsoft`` ->
                ``microsoft``, ``Oracle`` -> ``oracle``)
amount          the exact Decimal sum of ``BilledCost`` (credits and adjustments, negative,
                included), rounded half-even to cents once, at the end
currency        ``BillingCurrency``; a row in another currency than the group's first row is
                rejected (one record holds one currency)
quantity, unit  the sum of ``ConsumedQuantity`` when every charge of the group that has a
                quantity uses one ``ConsumedUnit`` (unit = that unit); otherwise the number of
                charge rows, unit ``charges``
external_id     ``focus:<partner>:<YYYY-MM>:<product_line>`` (when longer than 64 characters the
                partner part is ``h`` + the first 16 hex digits of its SHA-256)
=============== ====================================================================

Counts: ``created``/``updated``/``unchanged`` count cloud usage records; ``rejected`` counts
charge rows rejected while reading (bad cost, bad date...) plus records the upsert refused
(unknown partner: reported on the group's first charge row, column ``BillingAccountId``).
Re-importing the same file recomputes the same sums: nothing changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.utils.text import slugify

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
    text_or_none,
)
from partnerprogram.imports.values import CellError, is_null

REQUIRED = (
    "BillingAccountId",
    "ChargePeriodStart",
    "ProviderName",
    "BilledCost",
    "BillingCurrency",
)
OPTIONAL = ("ConsumedQuantity", "ConsumedUnit")
CENT = Decimal("0.01")
EXTERNAL_ID_MAX = 64


def usage_external_id(*, partner: str, month: date, product_line: str) -> str:
    """``focus:<partner>:<YYYY-MM>:<product_line>``; a partner part that would make it longer
    than 64 characters is replaced by ``h`` + 16 hex digits of its SHA-256."""
    ident = f"focus:{partner}:{month:%Y-%m}:{product_line}"
    if len(ident) > EXTERNAL_ID_MAX:
        digest = hashlib.sha256(partner.encode("utf-8")).hexdigest()[:16]
        ident = f"focus:h{digest}:{month:%Y-%m}:{product_line}"
    return ident


def _instant_month(text: str) -> date:
    try:
        instant = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CellError(f"not a date and time: {text!r}") from None
    return instant.date().replace(day=1)


@dataclass
class _Group:
    first_row: int
    currency: str
    amount: Decimal = Decimal(0)
    quantity: Decimal = Decimal(0)
    rows: int = 0
    units: set[str] = field(default_factory=set)
    quantity_without_unit: bool = False


class FocusBound(BoundMapping):
    """The FOCUS mapping bound to a header."""

    def __init__(self, *, columns: list[str], formats: Any, partner: str | None) -> None:
        super().__init__(kind="cloud_usage", mapping_name="focus")
        header = find_columns(columns)
        columns_unique(columns, {header_key(c): c for c in (*REQUIRED, *OPTIONAL)})
        missing = [c for c in REQUIRED if header_key(c) not in header]
        if missing:
            raise MappingRefused(f"not a FOCUS file: missing column(s) {', '.join(missing)}")
        self.col = {c: header[header_key(c)] for c in REQUIRED}
        for c in OPTIONAL:
            if header_key(c) in header:
                self.col[c] = header[header_key(c)]
        self.formats = formats
        self.partner = partner
        #: cloud usage records the charge rows were summed into (known once rows() is consumed)
        self.records = 0
        self.columns_used = {
            "partner": self.col["BillingAccountId"] if partner is None else "--partner",
            "month": self.col["ChargePeriodStart"],
            "product_line": self.col["ProviderName"],
            "amount": self.col["BilledCost"],
            "currency": self.col["BillingCurrency"],
            "quantity": self.col.get("ConsumedQuantity", "ConsumedQuantity"),
            "unit": self.col.get("ConsumedUnit", "ConsumedUnit"),
            "external_id": self.col["BillingAccountId"],
        }
        self.notes.append(
            "charge rows aggregated per partner, month of ChargePeriodStart and provider; "
            "created/updated/unchanged count cloud usage records"
        )
        if partner is not None:
            self.notes.append(f"every row is partner {partner} (--partner)")

    def _cell(self, cells: dict[str, str | None], name: str) -> str | None:
        column = self.col.get(name)
        if column is None:
            return None
        text = text_or_none(cells.get(column))
        if text is None or is_null(text):
            return None
        return text

    def _failer(
        self, number: int, errors: list[RowError]
    ) -> Callable[[str, str | None, str], None]:
        def fail(name: str, value: str | None, reason: str) -> None:
            errors.append(
                RowError(
                    row=number, column=self.col.get(name, name), value=value or "", reason=reason
                )
            )

        return fail

    def rows(self, source: Iterable[SourceRow]) -> Iterator[RowOutcome]:
        groups: dict[tuple[str, date, str], _Group] = {}
        for number, cells in source:
            errors: list[RowError] = []

            fail = self._failer(number, errors)
            account = self.partner or self._cell(cells, "BillingAccountId")
            if account is None:
                fail("BillingAccountId", None, "missing billing account")
            start = self._cell(cells, "ChargePeriodStart")
            month = None
            if start is None:
                fail("ChargePeriodStart", None, "missing charge period start")
            else:
                try:
                    month = _instant_month(start)
                except CellError as exc:
                    fail("ChargePeriodStart", start, exc.reason)
            provider = self._cell(cells, "ProviderName")
            product_line = slugify(provider or "")
            if not product_line:
                fail("ProviderName", provider, "missing provider")
            cost_text = self._cell(cells, "BilledCost")
            cost = None
            if cost_text is None:
                fail("BilledCost", None, "missing amount")
            else:
                try:
                    cost = self.formats.decimal(self.col["BilledCost"], cost_text)
                except CellError as exc:
                    fail("BilledCost", cost_text, exc.reason)
            currency = self._cell(cells, "BillingCurrency")
            if currency is None:
                fail("BillingCurrency", None, "missing currency")
            quantity_text = self._cell(cells, "ConsumedQuantity")
            quantity = None
            if quantity_text is not None:
                try:
                    quantity = self.formats.decimal(self.col["ConsumedQuantity"], quantity_text)
                except CellError as exc:
                    fail("ConsumedQuantity", quantity_text, exc.reason)
            unit = self._cell(cells, "ConsumedUnit")
            if errors:
                yield RowOutcome(row=number, errors=errors)
                continue
            assert account is not None and month is not None and cost is not None
            assert currency is not None
            key = (account, month, product_line)
            group = groups.get(key)
            if group is None:
                group = groups[key] = _Group(first_row=number, currency=currency.upper())
            elif currency.upper() != group.currency:
                fail(
                    "BillingCurrency",
                    currency,
                    f"currency differs from {group.currency} of row {group.first_row} "
                    f"(same partner, month and provider)",
                )
                yield RowOutcome(row=number, errors=errors)
                continue
            group.rows += 1
            group.amount += cost
            if quantity is not None:
                group.quantity += quantity
                if unit is None:
                    group.quantity_without_unit = True
                else:
                    group.units.add(unit)
        self.records = len(groups)
        for (account, month, product_line), group in groups.items():
            if len(group.units) == 1 and not group.quantity_without_unit:
                quantity, unit_name = group.quantity, next(iter(group.units))
            else:
                quantity, unit_name = Decimal(group.rows), "charges"
            yield RowOutcome(
                row=group.first_row,
                fields={
                    "external_id": usage_external_id(
                        partner=account, month=month, product_line=product_line
                    ),
                    "partner": account,
                    "month": month,
                    "product_line": product_line,
                    "quantity": quantity,
                    "unit": unit_name,
                    "amount": group.amount.quantize(CENT, rounding=ROUND_HALF_EVEN),
                    "currency": group.currency,
                },
            )


class FocusMapping(Mapping):
    """FOCUS 1.0 cost and usage files (any provider)."""

    name = "focus"
    title = "FOCUS 1.0 cloud billing"
    kinds = ("cloud_usage",)

    def bind(
        self,
        *,
        kind: str,
        columns: list[str],
        formats: Any,
        defaults: MappingType[str, str] | None = None,
    ) -> BoundMapping:
        self.check_kind(kind)
        defaults = dict(defaults or {})
        partner = defaults.pop("partner", None)
        if defaults:
            raise MappingRefused(
                f"the focus mapping takes only --partner (not --set {', '.join(defaults)})"
            )
        return FocusBound(columns=columns, formats=formats, partner=partner)
