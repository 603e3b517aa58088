"""Channel KPIs as of a date: partners, activity, tiers, indirect share, CCSP share and growth.

Definitions (all windows are the trailing 12 months (D - 12 months, D], amounts converted to
``currency`` at the rates in force on D — see ``core.money``):

- ``partners``: partners not merged into another and not terminated.
- ``active_partners``: those of them with at least one booking resold or influenced, one deal
  registration or one month of cloud usage in the window (docs/reference-case.md, the founding
  case: "really active partners, about half").
- ``indirect_share``: bookings through a partner (channel ``indirect``) / all bookings.
- ``ccsp_share``: cloud usage reported by CCSP partners / partner (indirect) bookings
  (docs/reference-case.md, the founding case: "CSP share of partner business 17 %").
- ``ccsp_growth``: cloud usage in the window / cloud usage in the 12 months before, minus 1;
  ``None`` when there was none before.

Each figure is one aggregate query over the whole population (no per-partner query).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from partnerprogram.core.money import convert_sums, rates_on
from partnerprogram.core.periods import Window
from partnerprogram.partners.models import Partner
from partnerprogram.programs.models import Assessment, EvaluationRun
from partnerprogram.sales.models import Booking, CloudUsage, DealRegistration

TRAILING_12M = Window.parse("12M")


@dataclass(frozen=True)
class Kpis:
    """KPI values as of ``as_of``; shares and growth are fractions (0.65 = 65 %), money in
    ``currency``. ``by_tier`` comes from the latest stored evaluation run with ``as_of`` on or
    before the date (empty when none was run); ``previous_by_tier`` from the partners'
    tier under the previous program."""

    as_of: date
    currency: str
    partners: int
    active_partners: int
    total_bookings: Decimal
    indirect_bookings: Decimal
    indirect_share: Decimal | None
    cloud_usage: Decimal
    cloud_usage_year_before: Decimal
    ccsp_share: Decimal | None
    ccsp_growth: Decimal | None
    previous_by_tier: dict[str, int] = field(default_factory=dict)
    by_tier: dict[str, int] = field(default_factory=dict)
    evaluation: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: counts as ints, money and fractions as floats rounded to 6 places."""

        def num(value: Decimal | None) -> float | None:
            return None if value is None else round(float(value), 6)

        return {
            "as_of": self.as_of.isoformat(),
            "currency": self.currency,
            "partners": self.partners,
            "active_partners": self.active_partners,
            "total_bookings": num(self.total_bookings),
            "indirect_bookings": num(self.indirect_bookings),
            "indirect_share": num(self.indirect_share),
            "cloud_usage": num(self.cloud_usage),
            "cloud_usage_year_before": num(self.cloud_usage_year_before),
            "ccsp_share": num(self.ccsp_share),
            "ccsp_growth": num(self.ccsp_growth),
            "previous_by_tier": self.previous_by_tier,
            "by_tier": self.by_tier,
            "evaluation": self.evaluation,
        }


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    return None if denominator == 0 else numerator / denominator


def _sums_by_currency(rows: Any, key: str = "total") -> Mapping[str, Decimal]:
    return {row["currency"]: row[key] or Decimal(0) for row in rows}


def kpis_compute(*, as_of: date, currency: str = "EUR") -> Kpis:
    """Compute the channel KPIs as of ``as_of`` (a date in the program time zone).

    Raises ``core.money.MissingRateError`` when an amount's currency has no rate to
    ``currency`` in force on ``as_of``.
    """
    start, end = TRAILING_12M.bounds(as_of)
    prev_start, prev_end = TRAILING_12M.previous_year_bounds(as_of)
    rates = rates_on(on=as_of, target=currency)

    population = Partner.objects.filter(merged_into__isnull=True).exclude(
        status=Partner.Status.TERMINATED
    )
    partners = population.count()
    previous_by_tier = {
        row["previous_tier"] or "none": row["n"]
        for row in population.values("previous_tier").annotate(n=Count("id")).order_by()
    }

    in_window = {"booked_on__gte": start, "booked_on__lt": end}
    active: set[int] = set()
    active.update(
        Booking.objects.filter(**in_window, transacting_partner__isnull=False)
        .values_list("transacting_partner_id", flat=True)
        .distinct()
    )
    active.update(
        Booking.objects.filter(**in_window, influencing_partner__isnull=False)
        .values_list("influencing_partner_id", flat=True)
        .distinct()
    )
    active.update(
        DealRegistration.objects.filter(registered_on__gte=start, registered_on__lt=end)
        .values_list("partner_id", flat=True)
        .distinct()
    )
    active.update(
        CloudUsage.objects.filter(month__gte=start, month__lt=end)
        .values_list("partner_id", flat=True)
        .distinct()
    )
    population_ids = set(population.values_list("id", flat=True))
    active_partners = len(active & population_ids)

    booking_rows = list(
        Booking.objects.filter(**in_window)
        .values("currency")
        .annotate(
            total=Sum("amount"),
            indirect=Sum("amount", filter=Q(channel=Booking.Channel.INDIRECT)),
        )
        .order_by()
    )
    total = convert_sums(_sums_by_currency(booking_rows, "total"), rates=rates, target=currency)
    indirect = convert_sums(
        _sums_by_currency(booking_rows, "indirect"), rates=rates, target=currency
    )

    usage_rows = list(
        CloudUsage.objects.filter(month__gte=prev_start, month__lt=end)
        .values("currency")
        .annotate(
            now=Sum("amount", filter=Q(month__gte=start)),
            before=Sum("amount", filter=Q(month__lt=prev_end)),
        )
        .order_by()
    )
    usage = convert_sums(_sums_by_currency(usage_rows, "now"), rates=rates, target=currency)
    usage_before = convert_sums(
        _sums_by_currency(usage_rows, "before"), rates=rates, target=currency
    )
    growth = None if usage_before == 0 else usage / usage_before - 1

    by_tier: dict[str, int] = {}
    evaluation = None
    run = (
        EvaluationRun.objects.filter(as_of__lte=as_of, finished_at__isnull=False)
        .select_related("program_version__program")
        .order_by("-as_of", "-program_version__effective_from", "-id")
        .first()
    )
    if run is not None:
        evaluation = {
            "run": run.pk,
            "program": run.program_version.program.key,
            "version": run.program_version.version,
            "as_of": run.as_of.isoformat(),
        }
        by_tier = {
            row["tier"] or "none": row["n"]
            for row in Assessment.objects.filter(run=run)
            .values("tier")
            .annotate(n=Count("id"))
            .order_by()
        }

    return Kpis(
        as_of=as_of,
        currency=currency,
        partners=partners,
        active_partners=active_partners,
        total_bookings=total,
        indirect_bookings=indirect,
        indirect_share=_ratio(indirect, total),
        cloud_usage=usage,
        cloud_usage_year_before=usage_before,
        ccsp_share=_ratio(usage, indirect),
        ccsp_growth=growth,
        previous_by_tier=previous_by_tier,
        by_tier=by_tier,
        evaluation=evaluation,
    )
