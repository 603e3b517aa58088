"""Windows and month arithmetic: hand-computed bounds, month ends, leap years."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partnerprogram.core.periods import Window, WindowError, add_months, end_of_day


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 2, 29), -12, date(2023, 2, 28)),  # leap day → clamp
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),  # month end → leap February
        (date(2023, 3, 31), -1, date(2023, 2, 28)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2026, 12, 31), -12, date(2025, 12, 31)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),  # year change backwards
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2026, 5, 31), -36, date(2023, 5, 31)),
    ],
)
def test_add_months_clamps_day(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("text", "kind", "months", "canonical"),
    [
        ("12M", "trailing_months", 12, "12M"),
        ("36M", "trailing_months", 36, "36M"),
        (" 6CM ", "calendar_months", 6, "6CM"),
        ("calendar_year", "calendar_year", None, "calendar_year"),
        ("fiscal_year", "fiscal_year", None, "fiscal_year"),
        ("quarter", "quarter", None, "quarter"),
        ("fiscal_quarter", "fiscal_quarter", None, "fiscal_quarter"),
    ],
)
def test_parse(text: str, kind: str, months: int | None, canonical: str) -> None:
    window = Window.parse(text)
    assert (window.kind, window.months, str(window)) == (kind, months, canonical)


@pytest.mark.parametrize("text", ["0M", "12", "12m", "M", "12Y", "year", "-3M", "1000M", ""])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(WindowError):
        Window.parse(text)


@pytest.mark.parametrize(
    ("text", "as_of", "fy_start", "start", "end"),
    [
        # trailing 12M as of 2026-12-31 covers (2025-12-31, 2026-12-31]
        ("12M", date(2026, 12, 31), 1, date(2026, 1, 1), date(2027, 1, 1)),
        ("12M", date(2026, 6, 15), 1, date(2025, 6, 16), date(2026, 6, 16)),
        # leap day: 2024-02-29 - 12M = 2023-02-28, so the window starts 2023-03-01
        ("12M", date(2024, 2, 29), 1, date(2023, 3, 1), date(2024, 3, 1)),
        # one year later, 2025-02-28 - 12M = 2024-02-28: the leap day is inside
        ("12M", date(2025, 2, 28), 1, date(2024, 2, 29), date(2025, 3, 1)),
        ("1M", date(2024, 3, 31), 1, date(2024, 3, 1), date(2024, 4, 1)),
        ("1M", date(2024, 3, 29), 1, date(2024, 3, 1), date(2024, 3, 30)),
        ("36M", date(2026, 12, 31), 1, date(2024, 1, 1), date(2027, 1, 1)),
        # Microsoft: 6CM on 2024-08-15 = 2024-03-01 .. 2024-08-15
        ("6CM", date(2024, 8, 15), 1, date(2024, 3, 1), date(2024, 8, 16)),
        ("1CM", date(2024, 8, 15), 1, date(2024, 8, 1), date(2024, 8, 16)),
        ("3CM", date(2025, 1, 31), 1, date(2024, 11, 1), date(2025, 2, 1)),
        ("calendar_year", date(2026, 12, 31), 1, date(2026, 1, 1), date(2027, 1, 1)),
        ("calendar_year", date(2026, 1, 1), 7, date(2026, 1, 1), date(2026, 1, 2)),
        ("fiscal_year", date(2026, 3, 10), 1, date(2026, 1, 1), date(2026, 3, 11)),
        ("fiscal_year", date(2026, 3, 10), 7, date(2025, 7, 1), date(2026, 3, 11)),
        ("fiscal_year", date(2026, 7, 1), 7, date(2026, 7, 1), date(2026, 7, 2)),
        ("fiscal_year", date(2026, 2, 28), 3, date(2025, 3, 1), date(2026, 3, 1)),
        ("quarter", date(2026, 5, 20), 1, date(2026, 4, 1), date(2026, 5, 21)),
        ("quarter", date(2026, 12, 31), 7, date(2026, 10, 1), date(2027, 1, 1)),
        ("fiscal_quarter", date(2026, 5, 20), 2, date(2026, 5, 1), date(2026, 5, 21)),
        ("fiscal_quarter", date(2026, 4, 30), 2, date(2026, 2, 1), date(2026, 5, 1)),
        ("fiscal_quarter", date(2026, 1, 15), 11, date(2025, 11, 1), date(2026, 1, 16)),
        ("fiscal_quarter", date(2026, 2, 1), 11, date(2026, 2, 1), date(2026, 2, 2)),
    ],
)
def test_bounds(text: str, as_of: date, fy_start: int, start: date, end: date) -> None:
    assert Window.parse(text).bounds(as_of, fy_start) == (start, end)


def test_previous_year_bounds() -> None:
    window = Window.parse("12M")
    assert window.previous_year_bounds(date(2026, 12, 31)) == (date(2025, 1, 1), date(2026, 1, 1))
    # leap day: previous-year window is evaluated as of 2023-02-28
    assert window.previous_year_bounds(date(2024, 2, 29)) == (date(2022, 3, 1), date(2023, 3, 1))
    assert window.shifted_years(-1, date(2024, 2, 29)) == window.previous_year_bounds(
        date(2024, 2, 29)
    )
    fiscal = Window.parse("fiscal_year")
    assert fiscal.previous_year_bounds(date(2026, 3, 10), 7) == (
        date(2024, 7, 1),
        date(2025, 3, 11),
    )


def test_fiscal_year_start_validated() -> None:
    with pytest.raises(WindowError):
        Window.parse("fiscal_year").bounds(date(2026, 1, 1), 13)


def test_labels() -> None:
    assert Window.parse("12M").label("en") == "12 months"
    assert Window.parse("12M").label("fr") == "12 mois"
    assert Window.parse("1M").label("en") == "1 month"
    assert Window.parse("6CM").label("fr") == "6 mois civils"
    assert Window.parse("fiscal_year").label("en") == "fiscal year to date"


def test_end_of_day_paris_winter() -> None:
    deadline = end_of_day(date(2026, 12, 31), "Europe/Paris")
    assert deadline == datetime(2027, 1, 1, 0, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert deadline.astimezone(UTC) == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    assert datetime(2026, 12, 31, 22, 59, 59, tzinfo=UTC) < deadline
    assert not datetime(2026, 12, 31, 23, 0, tzinfo=UTC) < deadline


def test_end_of_day_dst_change() -> None:
    # 2026-03-28 ends at 2026-03-29T00:00+01:00 (DST starts later that night)
    deadline = end_of_day(date(2026, 3, 28), ZoneInfo("Europe/Paris"))
    assert deadline.astimezone(UTC) == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    summer = end_of_day(date(2026, 7, 14), "Europe/Paris")
    assert summer.astimezone(UTC) == datetime(2026, 7, 14, 22, 0, tzinfo=UTC)


@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)),
    st.integers(min_value=1, max_value=60),
)
def test_trailing_window_properties(as_of: date, months: int) -> None:
    start, end = Window.parse(f"{months}M").bounds(as_of)
    assert end == as_of + timedelta(days=1)
    assert start <= as_of
    # the window is (add_months(D, -N), D]: its start is the day after that point
    assert start - timedelta(days=1) == add_months(as_of, -months)
    # N months of days: between 28*N and 31*N days
    assert 28 * months <= (end - start).days <= 31 * months


@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)),
    st.sampled_from(["6CM", "calendar_year", "fiscal_year", "quarter", "fiscal_quarter"]),
    st.integers(min_value=1, max_value=12),
)
def test_to_date_windows_start_on_first_of_month(as_of: date, text: str, fy: int) -> None:
    start, end = Window.parse(text).bounds(as_of, fy)
    assert start.day == 1
    assert start <= as_of < end == as_of + timedelta(days=1)
    assert (end - start).days <= 366
