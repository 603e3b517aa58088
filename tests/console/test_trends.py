"""The indirect share over time (reports.trends), by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerprogram.core.money import MissingRateError
from partnerprogram.reports.kpis import kpis_compute
from partnerprogram.reports.trends import indirect_share_monthly
from partnerprogram.sales.models import Booking
from tests.factories import BookingFactory, ExchangeRateFactory


@pytest.fixture
def bookings(db: None) -> None:
    """Direct EUR 1,000 on 2025-03-15; indirect EUR 600 on 2026-05-10, USD 100 on 2026-06-15;
    direct EUR 310 on 2026-07-01. 1 USD = 0.90 EUR from 2026-01-01, 0.80 from 2026-10-01."""
    ExchangeRateFactory(currency="USD", rate=Decimal("0.90"), valid_from=date(2026, 1, 1))
    ExchangeRateFactory(currency="USD", rate=Decimal("0.80"), valid_from=date(2026, 10, 1))
    direct = {"transacting_partner": None, "channel": Booking.Channel.DIRECT}
    BookingFactory(amount=Decimal("1000.00"), booked_on=date(2025, 3, 15), **direct)
    BookingFactory(amount=Decimal("600.00"), booked_on=date(2026, 5, 10))
    BookingFactory(amount=Decimal("100.00"), currency="USD", booked_on=date(2026, 6, 15))
    BookingFactory(amount=Decimal("310.00"), booked_on=date(2026, 7, 1), **direct)


def test_monthly_trailing_share_by_hand(bookings: None) -> None:
    points = indirect_share_monthly(as_of=date(2026, 10, 15), months=24)
    assert [p.month for p in points][:2] == [date(2024, 11, 1), date(2024, 12, 1)]
    by_month = {p.month: p for p in points}
    assert len(points) == 24
    # nothing booked in the 12 months to 2025-02-28: no share (not 0)
    assert by_month[date(2025, 2, 1)].share is None
    # 2025-03 .. 2026-02 hold the direct EUR 1,000 only
    assert by_month[date(2025, 3, 1)].share == 0
    assert by_month[date(2026, 2, 1)].total == Decimal("1000.00")
    # 2025-04 .. 2026-03: nothing
    assert by_month[date(2026, 3, 1)].share is None
    # to 2026-06-30: 600 + 100 USD at 0.90 = 690, all indirect
    assert by_month[date(2026, 6, 1)].indirect == Decimal("690.00")
    assert by_month[date(2026, 6, 1)].share == 1
    # to 2026-09-30: 690 / (690 + 310)
    assert by_month[date(2026, 9, 1)].share == Decimal("0.69")
    # October to date: the USD booking at the rate of 2026-10-01 (0.80): 680 / 990
    last = points[-1]
    assert (last.month, last.end, last.month_to_date) == (
        date(2026, 10, 1),
        date(2026, 10, 15),
        True,
    )
    assert last.share == Decimal(680) / Decimal(990)
    assert last.share == kpis_compute(as_of=date(2026, 10, 15)).indirect_share


def test_a_month_end_point_equals_the_kpi_as_of_that_day(bookings: None) -> None:
    for as_of in (date(2026, 6, 30), date(2026, 9, 30), date(2026, 2, 28)):
        last = indirect_share_monthly(as_of=as_of, months=3)[-1]
        assert last.month_to_date is False
        assert last.share == kpis_compute(as_of=as_of).indirect_share


def test_two_queries_whatever_the_number_of_months(bookings: None) -> None:
    for months in (1, 24, 60):
        with CaptureQueriesContext(connection) as queries:
            indirect_share_monthly(as_of=date(2026, 10, 15), months=months)
        assert len(queries) == 2


def test_a_missing_rate_names_the_currency(db: None) -> None:
    BookingFactory(amount=Decimal("5.00"), currency="GBP", booked_on=date(2026, 5, 1))
    with pytest.raises(MissingRateError, match="GBP"):
        indirect_share_monthly(as_of=date(2026, 10, 15))
