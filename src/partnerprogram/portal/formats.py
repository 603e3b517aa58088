"""Numbers, money, percentages and dates in the current language, with Django's l10n.

``number_format(..., force_grouping=True)`` groups thousands whatever ``USE_THOUSAND_SEPARATOR``
says, so French reads ``1 234 567,89 €`` and English ``€1,234,567.89`` without changing how the
rest of the site (admin, console) renders numbers. Pure functions of the active language.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats
from django.utils.translation import get_language

#: Currencies written with a symbol; others with their ISO code.
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF", "JPY": "¥"}
NBSP = "\xa0"


def lang() -> str:
    """``fr`` or ``en``: the language of program texts (which exist in these two)."""
    return "fr" if (get_language() or "en").lower().startswith("fr") else "en"


def _dec(value: Decimal | int | float) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def number(value: Decimal | int | float | None, places: int | None = None) -> str:
    """``1 234,5`` (fr) / ``1,234.5`` (en); ``places`` fixes the decimals, else integral values
    have none and others keep theirs (trailing zeros dropped). ``—`` for ``None``."""
    if value is None:
        return "—"
    dec = _dec(value)
    if places is None:
        exponent = dec.normalize().as_tuple().exponent
        places = 0 if dec == dec.to_integral_value() else max(0, -int(exponent))
    dec = dec.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return formats.number_format(dec, decimal_pos=places, use_l10n=True, force_grouping=True)


def money(value: Decimal | int | float | None, currency: str, places: int | None = None) -> str:
    """``1 234 567,89 €`` (fr) / ``€1,234,567.89`` (en); whole amounts without cents unless
    ``places`` is given; ``USD 12`` style for currencies without a symbol."""
    if value is None:
        return "—"
    dec = _dec(value)
    if places is None:
        places = 0 if dec == dec.to_integral_value() else 2
    text = number(dec, places)
    code = currency.upper()
    symbol = SYMBOLS.get(code)
    if lang() == "fr":
        return f"{text}{NBSP}{symbol or code}"
    if symbol and len(symbol) == 1:
        return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"
    return f"{code}{NBSP}{text}"


def percent(fraction: Decimal | int | float | None, places: int = 1) -> str:
    """A fraction as a percentage: 0.125 -> ``12,5 %`` (fr) / ``12.5%`` (en)."""
    if fraction is None:
        return "—"
    value = _dec(fraction) * 100
    if value == value.to_integral_value():
        places = 0
    text = number(value, places)
    return f"{text}{NBSP}%" if lang() == "fr" else f"{text}%"


def day(value: date | None) -> str:
    """A date in the current language's DATE_FORMAT (``31 décembre 2026`` / ``Dec. 31, 2026``)."""
    if value is None:
        return "—"
    return formats.date_format(value, "DATE_FORMAT", use_l10n=True)


def metric_value(value: Decimal | None, unit: str, currency: str) -> str:
    """A metric value by unit: money in the program currency, fractions as percentages,
    counts as numbers."""
    if value is None:
        return "—"
    if unit == "money":
        return money(value, currency)
    if unit == "fraction":
        return percent(value)
    return number(value)


def month_short(value: date) -> str:
    """A month's short name in the current language (``Nov`` / ``nov.``)."""
    return formats.date_format(value, "M", use_l10n=True)


def month_long(value: date) -> str:
    """A month and its year (``November 2026`` / ``novembre 2026``)."""
    return formats.date_format(value, "YEAR_MONTH_FORMAT", use_l10n=True)
