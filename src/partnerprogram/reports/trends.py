"""KPIs over time, for the console's charts.

``indirect_share_monthly``: the indirect share of revenue (bookings through a partner / all
bookings, as in ``reports.kpis``) over the trailing 12 months, at the end of each of the last
``months`` calendar months, against the program's goal (``INDIRECT_SHARE_GOAL``, 80 % in the
founding case: "raise indirect sales from 65 % to 80 % of revenue").

Stated rules:

- The point of month ``M`` covers the 12 calendar months ``M - 11 .. M``: it is the trailing
  12 months (``(D - 12 months, D]``, ``core.periods.Window("12M")``) as of ``D`` = the last day
  of ``M``. The month of ``as_of`` counts up to ``as_of`` only (month to date), so the last
  point equals ``reports.kpis.kpis_compute(as_of=as_of).indirect_share`` when ``as_of`` is a
  month's last day.
- Amounts are converted into ``currency`` at the rates in force on each point's ``D``
  (the rule of ``core.money.rates_on``), so a point never moves when later rates are added.
- A point with no bookings has no share (``None``), never 0.

Two queries whatever the number of months: one aggregate of bookings grouped by month and
currency, one read of the exchange rates.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth

from partnerprogram.core.models import ExchangeRate
from partnerprogram.core.money import Rates, convert_sums
from partnerprogram.core.periods import add_months
from partnerprogram.sales.models import Booking

__all__ = ["INDIRECT_SHARE_GOAL", "SharePoint", "indirect_share_monthly"]

#: The vendor's goal for the indirect share of revenue (docs/reference-case.md, the founding
#: case: from 65 % to 80 %).
INDIRECT_SHARE_GOAL = Decimal("0.80")

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class SharePoint:
    """The indirect share over the 12 months ending ``end`` (inclusive): ``month`` is the first
    day of the last month counted; amounts in the currency asked for."""

    month: date
    end: date
    total: Decimal
    indirect: Decimal
    share: Decimal | None

    @property
    def month_to_date(self) -> bool:
        """True when ``end`` is not the last day of ``month`` (the current month)."""
        return (self.end + ONE_DAY).month == self.end.month


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _month_end(month: date) -> date:
    return add_months(month, 1) - ONE_DAY


def _rates_at(rows: list[tuple[str, str, Decimal, date]], *, on: date, target: str) -> Rates:
    """The rates in force on ``on`` from rows sorted by ``valid_from``: the rule of
    ``core.money.rates_on`` (a direct rate wins over an inverted one; the latest
    ``valid_from <= on`` of each wins), read from rows fetched once."""
    direct: dict[str, Decimal] = {}
    inverse: dict[str, Decimal] = {}
    for currency, base, rate, valid_from in rows:
        if valid_from > on:
            break
        if base == target:
            direct[currency] = Decimal(rate)
        else:
            inverse[base] = Decimal(1) / Decimal(rate)
    return Rates({**inverse, **direct, target: Decimal(1)}, on=on, target=target)


def indirect_share_monthly(
    *, as_of: date, months: int = 24, currency: str = "EUR"
) -> list[SharePoint]:
    """The trailing-12-month indirect share at the end of each of the last ``months`` months
    up to ``as_of`` (oldest first; see the module for the rules). Raises
    ``core.money.MissingRateError`` when an amount's currency has no rate on a point's date."""
    if months < 1:
        raise ValueError("months must be at least 1")
    target = currency.upper()
    last_month = _month_start(as_of)
    first_month = add_months(last_month, -(months - 1))
    start = add_months(first_month, -11)

    sums: dict[date, dict[str, tuple[Decimal, Decimal]]] = defaultdict(dict)
    for row in (
        Booking.objects.filter(booked_on__gte=start, booked_on__lte=as_of)
        .annotate(month=TruncMonth("booked_on"))
        .values("month", "currency")
        .annotate(
            total=Sum("amount"),
            indirect=Sum("amount", filter=Q(channel=Booking.Channel.INDIRECT)),
        )
        .order_by()
    ):
        sums[row["month"]][row["currency"]] = (
            row["total"] or Decimal(0),
            row["indirect"] or Decimal(0),
        )
    rate_rows = list(
        ExchangeRate.objects.filter(valid_from__lte=as_of)
        .filter(Q(base=target) | Q(currency=target))
        .order_by("valid_from", "id")
        .values_list("currency", "base", "rate", "valid_from")
    )

    points: list[SharePoint] = []
    for i in range(months):
        month = add_months(first_month, i)
        end = min(_month_end(month), as_of)
        total_by_currency: dict[str, Decimal] = defaultdict(Decimal)
        indirect_by_currency: dict[str, Decimal] = defaultdict(Decimal)
        for k in range(12):
            for code, (total, indirect) in sums.get(add_months(month, -k), {}).items():
                total_by_currency[code] += total
                indirect_by_currency[code] += indirect
        rates = _rates_at(rate_rows, on=end, target=target)
        total = convert_sums(total_by_currency, rates=rates, target=target)
        indirect = convert_sums(indirect_by_currency, rates=rates, target=target)
        share = None if total == 0 else indirect / total
        points.append(SharePoint(month=month, end=end, total=total, indirect=indirect, share=share))
    return points
