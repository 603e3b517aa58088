"""The submission rules of a deal registration, shared by the portal form
(``portal.services.deal_registration_submit``) and partner-scoped upserts (partner API token,
``core.records.records_upsert``): whatever the door, a partner's registration obeys the same
rules.

Pure: the caller passes the facts the rules need (today in the program time zone, the vendor's
product lines, the currencies that convert into the program currency).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

__all__ = ["MAX_AMOUNT", "deal_registration_problems"]

#: Largest estimated amount accepted (the column holds 18 digits, 2 of them decimals).
MAX_AMOUNT = Decimal("9999999999999999.99")


def deal_registration_problems(
    *,
    customer_name: str | None,
    product_line: str | None,
    estimated_amount: Decimal | None,
    currency: str | None,
    expected_close: date | None,
    on: date,
    product_lines: Collection[str],
    currencies: Collection[str],
) -> list[tuple[str, str]]:
    """Every rule a partner's new or corrected registration breaks, as ``(field, reason)``
    pairs in field order (empty: acceptable). ``field`` is one of ``customer_name``,
    ``product_line``, ``estimated_amount``, ``currency``, ``expected_close``; reasons are in the
    active language.

    Rules: a customer name that is not blank; a product line among ``product_lines`` (the
    vendor's, from its pipeline and bookings); an estimated amount above 0 and at most
    ``MAX_AMOUNT`` (EUR or the row's currency) with at most 2 decimals; a currency among
    ``currencies`` (those convertible into the program currency); an expected close on or after
    ``on`` (today in the program time zone). A value given as ``None`` is not checked (the
    caller reports it missing when it is required); ``expected_close`` is optional.
    """
    problems: list[tuple[str, str]] = []
    if customer_name is not None and not " ".join(customer_name.split()):
        problems.append(("customer_name", _("Give the customer's name.")))
    if product_line is not None and product_line not in product_lines:
        problems.append(("product_line", _("Choose one of the vendor's product lines.")))
    if estimated_amount is not None:
        if estimated_amount <= 0 or estimated_amount > MAX_AMOUNT:
            problems.append(
                ("estimated_amount", _("The estimated amount must be a positive amount."))
            )
        elif estimated_amount != estimated_amount.quantize(Decimal("0.01")):
            problems.append(("estimated_amount", _("The estimated amount has at most 2 decimals.")))
    if currency is not None and currency not in currencies:
        problems.append(("currency", _("This currency cannot be converted.")))
    if expected_close is not None and expected_close < on:
        problems.append(("expected_close", _("The expected close date cannot be in the past.")))
    return problems
