"""Numbers, money, percentages and dates in English and French (Django l10n)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import translation

from partnerprogram.portal import formats

NBSP = "\xa0"


def test_french() -> None:
    with translation.override("fr"):
        assert formats.money(Decimal("1234567.89"), "EUR") == f"1{NBSP}234{NBSP}567,89{NBSP}€"
        assert formats.money(Decimal("350000"), "EUR") == f"350{NBSP}000{NBSP}€"
        assert formats.money(Decimal("12"), "EUR", places=2) == f"12,00{NBSP}€"
        assert formats.money(Decimal("10"), "NOK") == f"10{NBSP}NOK"
        assert formats.number(Decimal("2.50")) == "2,5"
        assert formats.percent(Decimal("0.125")) == f"12,5{NBSP}%"
        assert formats.day(date(2026, 12, 31)) == "31 décembre 2026"
        assert formats.lang() == "fr"


def test_english() -> None:
    with translation.override("en"):
        assert formats.money(Decimal("1234567.89"), "EUR") == "€1,234,567.89"
        assert formats.money(Decimal("-5"), "USD") == "-$5"
        assert formats.money(Decimal("10"), "NOK") == f"NOK{NBSP}10"
        assert formats.money(None, "EUR") == "—"
        assert formats.number(1234) == "1,234"
        assert formats.percent(Decimal("0.1")) == "10%"
        assert formats.day(date(2026, 12, 31)) == "Dec. 31, 2026"
        assert formats.lang() == "en"
