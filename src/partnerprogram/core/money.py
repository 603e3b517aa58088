"""Currency conversion at dated rates.

Stated rule: money in another currency is converted to the program currency at the rate **in
force on the evaluation date** ``D``: for each currency, the ``ExchangeRate`` with the latest
``valid_from <= D``. A rate changed after ``D`` never applies to an evaluation as of ``D``.

Rates are data (``core.models.ExchangeRate``: 1 ``currency`` = ``rate`` ``base``). To convert
``X`` into ``target``:

- a *direct* rate ``currency=X, base=target`` is used when one is in force on ``D``;
- otherwise the *inverse* of a rate ``currency=target, base=X`` (1 target = r X, so
  1 X = 1 / r target) is used when one is in force on ``D``;
- there are no cross rates (USD → GBP through EUR): a currency with neither is missing, and
  converting an amount in it raises :class:`MissingRateError`.

The target currency always converts to itself at 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

__all__ = ["CENT", "MissingRateError", "Rates", "convert_sums", "rates_on"]

CENT = Decimal("0.01")


class MissingRateError(LookupError):
    """No rate from ``currency`` to ``target`` is in force on ``on``.

    Attributes ``currency``, ``target`` and ``on`` (a date, or ``None`` when unknown) say which.
    """

    def __init__(self, currency: str, target: str, on: date | None) -> None:
        self.currency = currency
        self.target = target
        self.on = on
        when = f" on {on.isoformat()}" if on is not None else ""
        super().__init__(
            f"no exchange rate from {currency} to {target} in force{when}: add an ExchangeRate "
            f"(currency={currency}, base={target}, valid_from <= that date)"
        )


class Rates(dict[str, Decimal]):
    """``{currency: Decimal}`` — the value of 1 unit of ``currency`` in ``target`` — plus the
    date ``on`` and the ``target`` the rates were read for (used in error messages)."""

    def __init__(self, values: Mapping[str, Decimal], *, on: date, target: str) -> None:
        super().__init__(values)
        self.on = on
        self.target = target


def rates_on(*, on: date, target: str) -> Rates:
    """Rates in force on ``on`` for every currency into ``target`` (one query).

    Returns a :class:`Rates` mapping ``{currency: rate}`` where ``amount * rate`` is the amount
    in ``target``; ``target`` itself maps to ``Decimal(1)``. For each currency the direct rate
    (``currency -> target``) with the latest ``valid_from <= on`` wins; an inverse rate
    (``target -> currency``, inverted) is used only when no direct rate is in force. Inverses are
    exact Decimal divisions (28 significant digits).
    """
    from partnerprogram.core.models import ExchangeRate

    target = target.upper()
    rows = (
        ExchangeRate.objects.filter(valid_from__lte=on)
        .filter(Q(base=target) | Q(currency=target))
        .order_by("valid_from")
        .values_list("currency", "base", "rate")
    )
    direct: dict[str, Decimal] = {}
    inverse: dict[str, Decimal] = {}
    for currency, base, rate in rows:  # ascending valid_from: the last one seen is in force
        if base == target:
            direct[currency] = Decimal(rate)
        else:
            inverse[base] = Decimal(1) / Decimal(rate)
    values = {**inverse, **direct, target: Decimal(1)}
    return Rates(values, on=on, target=target)


def convert_sums(
    sums: Mapping[str, Decimal],
    *,
    rates: Mapping[str, Decimal],
    target: str,
    on: date | None = None,
) -> Decimal:
    """Total of ``{currency: amount}`` in ``target``, rounded half-up to the cent.

    Each currency's sum is multiplied by its rate (``rates`` from :func:`rates_on` for the same
    ``target``); the total is then quantized to 0.01 ``ROUND_HALF_UP``. Zero amounts need no
    rate. Raises :class:`MissingRateError` (``on`` defaults to ``rates.on``) for a currency with
    a non-zero amount and no rate.
    """
    target = target.upper()
    when = on if on is not None else getattr(rates, "on", None)
    total = Decimal(0)
    for currency, amount in sums.items():
        if amount is None or amount == 0:
            continue
        code = currency.upper()
        if code == target:
            total += Decimal(amount)
            continue
        rate = rates.get(code)
        if rate is None:
            raise MissingRateError(code, target, when)
        total += Decimal(amount) * rate
    return total.quantize(CENT, rounding=ROUND_HALF_UP)
