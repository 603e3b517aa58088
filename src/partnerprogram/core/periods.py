"""Metric windows and calendar arithmetic (pure: no Django).

A *window* names the dates a metric covers as of an evaluation date ``D`` (the as-of date, a
calendar day in the program time zone). Every window is returned as a **half-open** pair of dates
``[start, end)``: a fact dated ``d`` is in the window iff ``start <= d < end``. ``end`` is always
``D + 1 day`` (the as-of day is included).

Window texts (closed vocabulary, see ``docs/program-language.md``):

``NM`` (e.g. ``12M``, ``36M``)
    trailing months ``(D - N months, D]`` → ``[add_months(D, -N) + 1 day, D + 1 day)``.
    Month arithmetic clamps the day to the end of the target month (stated rule):
    ``add_months(2024-02-29, -12) = 2023-02-28`` so ``12M`` as of 2024-02-29 is
    ``[2023-03-01, 2024-03-01)``; ``add_months(2024-03-31, -1) = 2024-02-29`` so ``1M`` as of
    2024-03-31 is ``[2024-03-01, 2024-04-01)``. Consequence: as of 2024-03-29, -30 and -31 the
    ``1M`` window starts on 2024-03-01 for all three.
``NCM`` (e.g. ``6CM``)
    calendar months: the current month plus the ``N - 1`` previous full months up to ``D``
    (Microsoft: ``6CM`` as of 2024-08-15 is 2024-03-01 … 2024-08-15).
``calendar_year`` / ``fiscal_year``
    from 1 January (or the first day of the fiscal year) of the year containing ``D`` up to ``D``.
``quarter`` / ``fiscal_quarter``
    quarter to date; fiscal quarters start on the fiscal year start month and every 3 months after.

No window (``None`` in the program) means *point in time*: the metric is read as of ``D``.

Growth metrics compare a window with the same window one year earlier:
:meth:`Window.previous_year_bounds` evaluates the window as of ``add_months(D, -12)``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

__all__ = [
    "Window",
    "WindowError",
    "WindowKind",
    "add_months",
    "end_of_day",
]

WindowKind = Literal[
    "trailing_months",
    "calendar_months",
    "calendar_year",
    "fiscal_year",
    "quarter",
    "fiscal_quarter",
]

_TRAILING = re.compile(r"^([1-9][0-9]{0,2})M$")
_CALENDAR = re.compile(r"^([1-9][0-9]{0,2})CM$")
_NAMED: dict[str, WindowKind] = {
    "calendar_year": "calendar_year",
    "fiscal_year": "fiscal_year",
    "quarter": "quarter",
    "fiscal_quarter": "fiscal_quarter",
}
_LABELS: dict[str, dict[str, str]] = {
    "calendar_year": {"en": "calendar year to date", "fr": "année civile en cours"},
    "fiscal_year": {"en": "fiscal year to date", "fr": "exercice fiscal en cours"},
    "quarter": {"en": "quarter to date", "fr": "trimestre en cours"},
    "fiscal_quarter": {"en": "fiscal quarter to date", "fr": "trimestre fiscal en cours"},
}


class WindowError(ValueError):
    """A window text that is not in the closed vocabulary (``NM``, ``NCM``, named windows)."""


def add_months(day: date, months: int) -> date:
    """Return ``day`` moved by ``months`` calendar months, clamping the day of month.

    Stated rule: the day is kept when the target month has it, otherwise it becomes the last day
    of the target month (``2024-02-29 - 12 months = 2023-02-28``,
    ``2024-03-31 - 1 month = 2024-02-29``, ``2023-01-31 + 1 month = 2023-02-28``).
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def _fiscal_year_start(day: date, fiscal_year_start: int) -> date:
    if not 1 <= fiscal_year_start <= 12:
        raise WindowError(f"fiscal_year_start must be a month 1..12, got {fiscal_year_start}")
    year = day.year if day.month >= fiscal_year_start else day.year - 1
    return date(year, fiscal_year_start, 1)


@dataclass(frozen=True, slots=True)
class Window:
    """A parsed window. ``months`` is N for ``NM``/``NCM`` windows, ``None`` otherwise.

    ``str(window)`` gives back the canonical text (``"12M"``, ``"6CM"``, ``"fiscal_year"``).
    """

    kind: WindowKind
    months: int | None = None

    @classmethod
    def parse(cls, text: str) -> Window:
        """Parse a window text; raise :class:`WindowError` on anything else.

        Accepted: ``NM`` and ``NCM`` with 1 <= N <= 999, ``calendar_year``, ``fiscal_year``,
        ``quarter``, ``fiscal_quarter``. Surrounding spaces are ignored; case matters.
        """
        if not isinstance(text, str):
            raise WindowError(f"window must be a string like '12M', got {text!r}")
        value = text.strip()
        if m := _TRAILING.match(value):
            return cls("trailing_months", int(m.group(1)))
        if m := _CALENDAR.match(value):
            return cls("calendar_months", int(m.group(1)))
        if value in _NAMED:
            return cls(_NAMED[value])
        raise WindowError(
            f"unknown window {text!r}: expected NM (e.g. 12M), NCM (e.g. 6CM), calendar_year, "
            "fiscal_year, quarter or fiscal_quarter"
        )

    def __str__(self) -> str:
        if self.kind == "trailing_months":
            return f"{self.months}M"
        if self.kind == "calendar_months":
            return f"{self.months}CM"
        return self.kind

    @property
    def text(self) -> str:
        """Canonical window text (same as ``str(self)``)."""
        return str(self)

    def bounds(self, as_of: date, fiscal_year_start: int = 1) -> tuple[date, date]:
        """Half-open ``[start, end)`` dates covered as of ``as_of`` (``end = as_of + 1 day``).

        ``fiscal_year_start`` is the month (1..12) the fiscal year starts on; it only matters for
        ``fiscal_year`` and ``fiscal_quarter``. Example: ``12M`` as of 2026-12-31 covers
        (2025-12-31, 2026-12-31], returned as ``(date(2026, 1, 1), date(2027, 1, 1))``.
        """
        end = as_of + timedelta(days=1)
        if self.kind == "trailing_months":
            assert self.months is not None
            start = add_months(as_of, -self.months) + timedelta(days=1)
        elif self.kind == "calendar_months":
            assert self.months is not None
            start = add_months(as_of.replace(day=1), -(self.months - 1))
        elif self.kind == "calendar_year":
            start = date(as_of.year, 1, 1)
        elif self.kind == "fiscal_year":
            start = _fiscal_year_start(as_of, fiscal_year_start)
        elif self.kind == "quarter":
            start = date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
        else:  # fiscal_quarter
            fy = _fiscal_year_start(as_of, fiscal_year_start)
            elapsed = (as_of.year - fy.year) * 12 + as_of.month - fy.month
            start = add_months(fy, 3 * (elapsed // 3))
        return start, end

    def previous_year_bounds(self, as_of: date, fiscal_year_start: int = 1) -> tuple[date, date]:
        """The same window one year earlier: :meth:`bounds` as of ``add_months(as_of, -12)``.

        Used by growth metrics (window sum ÷ previous-year window sum − 1). As of 2024-02-29 the
        previous-year ``12M`` window is evaluated as of 2023-02-28.
        """
        return self.bounds(add_months(as_of, -12), fiscal_year_start)

    def shifted_years(
        self, years: int, as_of: date, fiscal_year_start: int = 1
    ) -> tuple[date, date]:
        """:meth:`bounds` as of ``add_months(as_of, 12 * years)`` (``years=-1``: previous year)."""
        return self.bounds(add_months(as_of, 12 * years), fiscal_year_start)

    def label(self, lang: str = "en") -> str:
        """Human label: ``12 months`` / ``12 mois``, ``6 calendar months`` / ``6 mois civils``."""
        fr = lang == "fr"
        if self.kind == "trailing_months":
            return (
                f"{self.months} mois"
                if fr
                else (f"{self.months} month" + ("" if self.months == 1 else "s"))
            )
        if self.kind == "calendar_months":
            if fr:
                return f"{self.months} mois civil" + ("" if self.months == 1 else "s")
            return f"{self.months} calendar month" + ("" if self.months == 1 else "s")
        return _LABELS[self.kind]["fr" if fr else "en"]


def end_of_day(day: date, tz: str | ZoneInfo) -> datetime:
    """The instant ``day`` ends in time zone ``tz``: local midnight starting ``day + 1``.

    Returns an aware datetime, the **exclusive** bound of a deadline: something happens on or
    before the deadline day iff ``moment < end_of_day(day, tz)``. Example: a claim deadline of
    2026-12-31 in Europe/Paris ends at ``2027-01-01T00:00:00+01:00`` (= 2026-12-31T23:00Z).
    Raises ``zoneinfo.ZoneInfoNotFoundError`` for an unknown zone name.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)
