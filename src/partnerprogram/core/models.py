"""Shared reference data: dated currency exchange rates."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class ExchangeRate(models.Model):
    """A dated conversion rate: 1 ``currency`` = ``rate`` ``base`` from ``valid_from`` on.

    Example: currency=USD, base=EUR, rate=0.92, valid_from=2026-01-01. The rate in force on a
    date is the one with the latest ``valid_from`` on or before it (see ``core.money``).
    """

    currency = models.CharField(max_length=3)
    base = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=18, decimal_places=8)
    valid_from = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "base", "valid_from"], name="exchangerate_unique_day"
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchangerate_rate_positive"),
            models.CheckConstraint(
                condition=~Q(currency=models.F("base")), name="exchangerate_distinct_currencies"
            ),
        ]
        indexes = [models.Index(fields=["currency", "base", "-valid_from"])]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} {self.base} from {self.valid_from}"
