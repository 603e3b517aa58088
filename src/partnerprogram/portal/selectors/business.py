"""The partner's business: bookings by quarter and role, cloud usage by month, year on year.

Every figure is aggregated in SQL (``GROUP BY`` quarter or month and currency): one query for
the bookings by quarter, one for the year-to-date comparison, one for cloud usage, one for the
exchange rates; the number of rows never changes the number of queries.

Roles (the metric catalog's): **resell** — bookings the partner transacted
(``transacting_partner``); **influenced** — bookings it influenced (``influencing_partner``);
**sourced** — bookings whose opportunity it brought in (a validated ``sourced`` involvement).
One booking may count in several roles. Amounts in other currencies are converted into the
program currency at the rates in force today (``core.money``); a currency without a rate is
reported, not guessed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, Sum
from django.db.models.functions import ExtractYear, TruncQuarter
from django.utils.translation import gettext as _

from partnerprogram.core.money import MissingRateError, Rates, convert_sums, rates_on
from partnerprogram.core.periods import add_months
from partnerprogram.portal.selectors.context import PortalContext, owned
from partnerprogram.sales.models import Booking, CloudUsage, PartnerInvolvement

ROLES = ("resell", "sourced", "influenced")


@dataclass
class Quarter:
    year: int
    quarter: int
    amounts: dict[str, Decimal]  # role -> amount in the program currency

    @property
    def label(self) -> str:
        """``Q1 2026`` (translated: ``T1 2026``)."""
        return _("Q%(quarter)s %(year)s") % {"quarter": self.quarter, "year": self.year}


@dataclass
class YearOnYear:
    role: str
    this_year: Decimal
    last_year: Decimal

    @property
    def growth(self) -> Decimal | None:
        """This year ÷ last year − 1 (``None`` without last year)."""
        return None if self.last_year == 0 else self.this_year / self.last_year - 1


@dataclass
class Month:
    month: date
    amount: Decimal
    previous: Decimal  # the same month a year earlier


@dataclass
class Business:
    currency: str
    on: date
    quarters: list[Quarter]
    year_on_year: list[YearOnYear]
    ytd_start: date
    months: list[Month]
    usage_total: Decimal
    usage_previous: Decimal
    shows_usage: bool
    missing_rates: list[str] = field(default_factory=list)

    @property
    def usage_growth(self) -> Decimal | None:
        return None if self.usage_previous == 0 else self.usage_total / self.usage_previous - 1


def _roles_q(ctx: PortalContext) -> tuple[Q, Q, Q]:
    resell = owned(ctx.partner, "transacting_partner")
    influenced = owned(ctx.partner, "influencing_partner")
    sourced = Q(is_sourced=True)
    return resell, sourced, influenced


def _bookings(ctx: PortalContext) -> Q:
    return (
        owned(ctx.partner, "transacting_partner")
        | owned(ctx.partner, "influencing_partner")
        | Q(is_sourced=True)
    )


def _sourced_exists(ctx: PortalContext) -> Exists:
    return Exists(
        PartnerInvolvement.objects.filter(
            owned(ctx.partner),
            opportunity=OuterRef("opportunity"),
            role=PartnerInvolvement.Role.SOURCED,
            validated=True,
        )
    )


class _Converter:
    def __init__(self, rates: Rates, currency: str) -> None:
        self.rates, self.currency, self.missing = rates, currency, set()  # type: ignore[var-annotated]

    def __call__(self, sums: dict[str, Decimal]) -> Decimal:
        usable = {}
        for code, amount in sums.items():
            if code.upper() == self.currency or code.upper() in self.rates:
                usable[code] = amount
            elif amount:
                self.missing.add(code.upper())
        try:
            return convert_sums(usable, rates=self.rates, target=self.currency)
        except MissingRateError as exc:  # pragma: no cover - filtered above
            self.missing.add(exc.currency)
            return Decimal(0)


def business_of(ctx: PortalContext, *, ccsp: bool) -> Business:
    """Bookings of the partner by quarter (this year and last year) and role, year to date
    against the same days last year, and (``ccsp``, or when it reported any) cloud usage by
    month over the last 12 months against the 12 before. Four queries."""
    on = ctx.on
    currency = ctx.currency
    convert = _Converter(rates_on(on=on, target=currency), currency)
    start = date(on.year - 1, 1, 1)
    end = on + timedelta(days=1)
    resell, sourced, influenced = _roles_q(ctx)
    in_scope = Booking.objects.annotate(is_sourced=_sourced_exists(ctx)).filter(_bookings(ctx))
    sums = {
        "resell": Sum("amount", filter=resell),
        "sourced": Sum("amount", filter=sourced),
        "influenced": Sum("amount", filter=influenced),
    }
    by_quarter: dict[date, dict[str, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    rows = (
        in_scope.filter(booked_on__gte=start, booked_on__lt=end)
        .annotate(q=TruncQuarter("booked_on"))
        .values("q", "currency")
        .annotate(**sums)
        .order_by("q", "currency")
    )
    for row in rows:
        for role in ROLES:
            by_quarter[row["q"]][role][row["currency"]] = row[role] or Decimal(0)
    quarters = []
    for year in (on.year - 1, on.year):
        for q in range(1, 5):
            first = date(year, 3 * q - 2, 1)
            if first > on:
                break
            found = by_quarter.get(first, {})
            quarters.append(
                Quarter(year, q, {role: convert(found.get(role, {})) for role in ROLES})
            )

    ytd_start = date(on.year, 1, 1)
    last_year_on = add_months(on, -12)
    ytd_rows = (
        in_scope.filter(
            Q(booked_on__gte=ytd_start, booked_on__lte=on)
            | Q(booked_on__gte=date(on.year - 1, 1, 1), booked_on__lte=last_year_on)
        )
        .annotate(year=ExtractYear("booked_on"))
        .values("year", "currency")
        .annotate(**sums)
        .order_by("year", "currency")
    )
    ytd: dict[int, dict[str, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for row in ytd_rows:
        for role in ROLES:
            ytd[row["year"]][role][row["currency"]] = row[role] or Decimal(0)
    year_on_year = [
        YearOnYear(
            role,
            convert(ytd.get(on.year, {}).get(role, {})),
            convert(ytd.get(on.year - 1, {}).get(role, {})),
        )
        for role in ROLES
    ]

    first_month = add_months(on.replace(day=1), -23)
    usage_rows = (
        CloudUsage.objects.filter(owned(ctx.partner), month__gte=first_month, month__lte=on)
        .values("month", "currency")
        .annotate(amount=Sum("amount"))
        .order_by("month", "currency")
    )
    by_month: dict[date, dict[str, Decimal]] = defaultdict(dict)
    for row in usage_rows:
        by_month[row["month"]][row["currency"]] = row["amount"] or Decimal(0)
    months = []
    for i in range(12):
        month = add_months(on.replace(day=1), i - 11)
        previous = add_months(month, -12)
        months.append(
            Month(month, convert(by_month.get(month, {})), convert(by_month.get(previous, {})))
        )
    return Business(
        currency=currency,
        on=on,
        quarters=quarters,
        year_on_year=year_on_year,
        ytd_start=ytd_start,
        months=months,
        usage_total=sum((m.amount for m in months), Decimal(0)),
        usage_previous=sum((m.previous for m in months), Decimal(0)),
        shows_usage=ccsp or bool(by_month),
        missing_rates=sorted(convert.missing),
    )
