"""Template filters for numbers, money, percentages and dates in the current language
(``portal.formats``): ``{{ amount|money:currency }}``, ``{{ n|num }}``, ``{{ f|pct }}``,
``{{ d|day }}``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import template

from partnerprogram.portal import formats

register = template.Library()


@register.filter
def money(value: Decimal | None, currency: str = "EUR") -> str:
    return formats.money(value, currency, places=2)


@register.filter
def num(value: Decimal | int | None) -> str:
    return formats.number(value)


@register.filter
def pct(value: Decimal | None) -> str:
    return formats.percent(value)


@register.filter
def day(value: date | None) -> str:
    return formats.day(value)
