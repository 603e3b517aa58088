"""Formatting filters of the console, localized with Django's l10n (``floatformat`` with
grouping uses the active language's separators: ``1,234`` in English, ``1 234`` in French)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

from partnerprogram.console.labels import (
    PARTNER_STATUS,
    REGISTRATION_STATUS,
    STANDING_STATUS,
    label,
)

register = template.Library()

DASH = "—"


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter
def number(value: Any, places: int = 0) -> str:
    """``1234.5|number`` -> ``1,235`` (grouped, ``places`` decimals); ``—`` for nothing."""
    d = _decimal(value)
    if d is None:
        return DASH
    return str(floatformat(d, f"{int(places)}g"))


@register.filter
def percent(value: Any, places: int = 1) -> str:
    """A fraction as a percentage: ``0.6543|percent`` -> ``65.4%`` (``65,4 %`` in French);
    ``—`` when undefined."""
    d = _decimal(value)
    if d is None:
        return DASH
    return _("%(number)s%%") % {"number": floatformat(d * 100, f"{int(places)}g")}


@register.filter
def signed_percent(value: Any, places: int = 1) -> str:
    """A growth as a signed percentage: ``0.3|signed_percent`` -> ``+30.0%``."""
    d = _decimal(value)
    if d is None:
        return DASH
    text = percent(d, places)
    return f"+{text}" if d > 0 else text


@register.filter
def money(value: Any, currency: str = "") -> str:
    """``1234567.8|money:"EUR"`` -> ``1,234,568 EUR`` (whole units, grouped)."""
    d = _decimal(value)
    if d is None:
        return DASH
    return _("%(amount)s %(currency)s") % {
        "amount": floatformat(d, "0g"),
        "currency": currency,
    }


@register.filter
def lookup(mapping: Any, key: Any) -> Any:
    """``mapping|lookup:key``: ``mapping[key]`` or ``""``."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.filter
def bar_percent(value: Any) -> str:
    """A fraction as a CSS width (``0.25`` -> ``25.00%``), unlocalized for style attributes."""
    d = _decimal(value)
    if d is None:
        return "0%"
    return f"{max(Decimal(0), min(d, Decimal(1))) * 100:.2f}%"


@register.filter
def percent_of(part: Any, whole: Any) -> str:
    """``part|percent_of:whole`` as a percentage (``—`` when ``whole`` is 0 or missing)."""
    p, w = _decimal(part), _decimal(whole)
    if p is None or not w:
        return DASH
    return percent(p / w, 0)


@register.filter
def standing_status(value: str) -> str:
    """The translated name of a standing status."""
    return label(STANDING_STATUS, value)


@register.filter
def partner_status(value: str) -> str:
    """The translated name of a partner status."""
    return label(PARTNER_STATUS, value)


@register.filter
def registration_status(value: str) -> str:
    """The translated name of a deal registration status."""
    return label(REGISTRATION_STATUS, value)


@register.filter
def tier_name(program: Any, tier: str | None) -> str:
    """``program|tier_name:key``: the tier's name in the active language (``ProgramView``)."""
    if not tier:
        return ""
    return program.tier_label(tier) if program is not None else tier


@register.filter
def track_name(program: Any, track: str) -> str:
    """``program|track_name:key``: the track's name in the active language."""
    return program.track_label(track) if program is not None else track
