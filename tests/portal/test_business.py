"""Business: bookings by quarter and role, year on year, cloud usage by month, SVG charts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from partnerprogram.portal.charts import Series, bar_chart, nice_ceiling
from partnerprogram.portal.selectors import business_of, portal_context
from tests.factories import CloudUsageFactory, TrackEnrolmentFactory
from tests.portal.conftest import BETA_SECRETS, TODAY, World, client_for, text


@pytest.mark.django_db
def test_bookings_by_quarter_and_role(world: World) -> None:
    data = business_of(portal_context(partner=world.alpha, on=TODAY), ccsp=False)
    by_label = {q.label: q.amounts for q in data.quarters}
    assert list(by_label) == [f"Q{q} {y}" for y in (2025, 2026) for q in range(1, 5)]
    assert by_label["Q1 2025"] == {"resell": Decimal("100000.00"), "sourced": 0, "influenced": 0}
    assert by_label["Q1 2026"]["resell"] == Decimal("150000.00")
    assert by_label["Q2 2026"]["influenced"] == Decimal("20000.00")
    # sourced: the opportunity Alpha brought in, resold by Beta (Beta's resale is not Alpha's)
    assert by_label["Q3 2026"] == {"resell": 0, "sourced": Decimal("30000.00"), "influenced": 0}
    assert by_label["Q4 2026"]["resell"] == Decimal("9000.00")  # USD 10,000 at 0.9
    yoy = {y.role: y for y in data.year_on_year}
    assert yoy["resell"].this_year == Decimal("159000.00")
    assert yoy["resell"].last_year == Decimal("100000.00")
    assert yoy["resell"].growth == Decimal("0.59")
    assert yoy["influenced"].growth is None  # nothing last year
    assert data.shows_usage is False and data.missing_rates == []


@pytest.mark.django_db
def test_business_page_in_french_with_usage(world: World) -> None:
    TrackEnrolmentFactory(partner=world.alpha, track="ccsp", enrolled_on=date(2026, 1, 1))
    CloudUsageFactory(partner=world.alpha, month=date(2026, 11, 1), amount=Decimal("1234567.89"))
    CloudUsageFactory(partner=world.alpha, month=date(2025, 11, 1), amount=Decimal("1000000"))
    CloudUsageFactory(partner=world.beta, month=date(2026, 11, 1), amount=Decimal("777777"))
    page = text(client_for(world.personas.alice, "fr").get(reverse("portal:business")))
    nbsp = "\xa0"
    assert f"1{nbsp}234{nbsp}567,89{nbsp}€" in page
    assert f"159{nbsp}000,00{nbsp}€" in page  # resold this year to date
    assert f"59{nbsp}%" in page  # growth
    assert f"23,5{nbsp}%" in page  # cloud usage: 1,234,567.89 / 1,000,000 - 1
    assert page.count('<svg class="chart"') == 2
    assert "<title" in page and "Prises" not in page  # chart titles are gettext strings
    assert [s for s in BETA_SECRETS if s in page] == []
    english = text(client_for(world.personas.alice).get(reverse("portal:business")))
    assert "€1,234,567.89" in english and "€159,000.00" in english


def test_bar_chart_escapes_and_scales() -> None:
    svg = bar_chart(
        title="<b>Bookings</b>",
        categories=["Q1", "Q2"],
        series=[Series("Resold & more", [Decimal(100), Decimal(-50)])],
        format_value=lambda v: f"{v:.0f}",
    )
    assert "<b>" not in svg and "&lt;b&gt;Bookings&lt;/b&gt;" in svg
    assert "Resold &amp; more" in svg
    assert svg.count("<rect") == 3  # two bars and the legend swatch
    assert 'role="img"' in svg and "Q2 · Resold &amp; more: -50" in svg
    assert nice_ceiling(0) == 1 and nice_ceiling(159000) == 200000 and nice_ceiling(30) == 50
