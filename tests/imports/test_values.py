"""Cell values: exact decimals, dates in every accepted format, booleans, countries, nulls.

Expected values are worked out by hand in the comments (no value is copied from a run).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partnerprogram.imports.values import (
    CellError,
    ColumnFormats,
    bool_parse,
    country_normalize,
    date_parse,
    decimal_parse,
    is_null,
)

# ------------------------------------------------------------------------------------- nulls


@pytest.mark.parametrize("text", [None, "", "   ", "NULL", "null", "Null", " NULL "])
def test_null_texts(text: str | None) -> None:
    assert is_null(text)


@pytest.mark.parametrize("text", ["N/A", "-", "0", "none", "NUL", "NULLS"])
def test_not_null_texts(text: str) -> None:
    # N/A, "-" and "0" may mean something or be a typo: they are not silently emptied
    assert not is_null(text)


# ----------------------------------------------------------------------------------- decimals


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.5", Decimal("1234.5")),
        ("1 234,50", Decimal("1234.50")),  # French: space groups, decimal comma
        ("1\u202f234,50", Decimal("1234.50")),  # narrow no-break space (Excel fr-FR)
        ("1\u00a0234,50", Decimal("1234.50")),  # no-break space
        ("1.234,50", Decimal("1234.50")),  # German: dot groups, decimal comma
        ("1,234.50", Decimal("1234.50")),  # English: comma groups, decimal point
        ("1'234.50", Decimal("1234.50")),  # Swiss
        ("1,234,567", Decimal("1234567")),  # two comma groups: commas cannot be decimals
        ("1.234.567", Decimal("1234567")),
        ("1.2E+7", Decimal("12000000")),  # 1.2 x 10^7
        ("6.0E7", Decimal("60000000")),  # Salesforce ANNUALREVENUE
        ("8.48E10", Decimal("84800000000")),  # 8.48 x 10^10
        ("1e-3", Decimal("0.001")),
        ("-0.00000080000", Decimal("-0.0000008")),
        ("-2.61370000000", Decimal("-2.6137")),  # the FOCUS credit
        ("+12", Decimal("12")),
        ("−12,5", Decimal("-12.5")),  # U+2212 minus sign
        (" 42 ", Decimal("42")),
        (".5", Decimal("0.5")),
        ("0,125", Decimal("0.125")),  # a group cannot start with 0: decimal comma
        ("1.234", Decimal("1.234")),  # a single dot is a decimal point
    ],
)
def test_decimal_parse(text: str, expected: Decimal) -> None:
    assert decimal_parse(text) == expected


def test_decimal_parse_keeps_every_digit() -> None:
    # 11 decimals written, 11 decimals kept: the exponent says -11, no float rounding
    value = decimal_parse("0.00000080000")
    assert value.as_tuple().exponent == -11
    assert value == Decimal(8) / Decimal(10**7)


@pytest.mark.parametrize(
    ("text", "reason_part"),
    [
        ("", "empty"),
        ("1,234", "ambiguous"),  # 1234 (English) or 1.234 (French)
        ("€ 12,00", "currency"),
        ("12,00 EUR", "currency"),
        ("$5", "currency"),
        ("12%", "percentage"),
        ("abc", "not a number"),
        ("1,23,4", "three"),  # Indian grouping is not accepted
        ("1.234,5.6", "not a number"),
        ("12-", "not a number"),
        ("NaN", "not a number"),
        ("Infinity", "not a number"),
        ("(12.50)", "not a number"),
        ("1,234.567,8", "not a number"),
    ],
)
def test_decimal_parse_refuses(text: str, reason_part: str) -> None:
    with pytest.raises(CellError) as caught:
        decimal_parse(text)
    assert reason_part in caught.value.reason
    assert text.strip() in caught.value.reason or text == ""


def test_decimal_comma_forced() -> None:
    # the caller knows the convention: 1,234 with a decimal comma is 1 + 234/1000
    assert decimal_parse("1,234", decimal_comma=True) == Decimal("1.234")
    assert decimal_parse("1,234", decimal_comma=False) == Decimal("1234")
    with pytest.raises(CellError):
        decimal_parse("12.5", decimal_comma=True)


@st.composite
def _formatted(draw: st.DrawFn) -> tuple[Decimal, str]:
    """A Decimal with up to 2 decimals, and the same number written in a random convention."""
    cents = draw(st.integers(min_value=-(10**12), max_value=10**12))
    value = Decimal(cents).scaleb(-2)
    style = draw(st.sampled_from(["plain", "fr", "de", "en", "sci"]))
    sign = "-" if value < 0 else ""
    integer, fraction = f"{abs(value):.2f}".split(".")
    groups = f"{int(integer):,}"  # "1,234,567"
    if style == "plain":
        return value, f"{sign}{integer}.{fraction}"
    if style == "fr":
        return value, f"{sign}{groups.replace(',', ' ')},{fraction}"
    if style == "de":
        return value, f"{sign}{groups.replace(',', '.')},{fraction}"
    if style == "en":
        return value, f"{sign}{groups}.{fraction}"
    return value, f"{value:E}"


@given(_formatted())
def test_decimal_parse_round_trip(case: tuple[Decimal, str]) -> None:
    value, text = case
    assert decimal_parse(text) == value


# --------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected", "fmt"),
    [
        ("2026-01-31", date(2026, 1, 31), "iso"),
        ("2024-09-18 23:00:00", date(2024, 9, 18), "iso-datetime"),  # no zone: as is
        ("2006-04-15T03:23:15.000Z", date(2006, 4, 15), "iso-datetime"),  # 05:23 in Paris
        # 23:30 UTC on 30 Sep = 01:30 on 1 Oct in Paris (UTC+2, summer time)
        ("2024-09-30T23:30:00Z", date(2024, 10, 1), "iso-datetime"),
        # 23:30 UTC on 30 Nov = 00:30 on 1 Dec in Paris (UTC+1, winter time)
        ("2024-11-30 23:30:00 UTC", date(2024, 12, 1), "iso-datetime"),
        # already in UTC+2: 23:30+02:00 is 23:30 in Paris
        ("2024-09-30T23:30:00+02:00", date(2024, 9, 30), "iso-datetime"),
        # 22:30 at UTC-05:00 is 03:30 UTC next day = 05:30 in Paris
        ("2024-09-30T22:30:00-0500", date(2024, 10, 1), "iso-datetime"),
        ("2024-09-30T12:00:00.1234567Z", date(2024, 9, 30), "iso-datetime"),
        ("31/01/2026", date(2026, 1, 31), "dmy"),
        ("31.01.2026", date(2026, 1, 31), "dmy"),
        ("31-01-2026", date(2026, 1, 31), "dmy"),
        ("1/2/2026", date(2026, 2, 1), "dmy"),  # 1 February, never 2 January
        ("31/01/2026 14:30", date(2026, 1, 31), "dmy"),
        ("20260131", date(2026, 1, 31), "iso-basic"),
        # 45658 (> 60): 1899-12-30 + 45658 days. 1899-12-30 -> 1900-01-01 is 2 days;
        # 1900-01-01 -> 2025-01-01 is 125 x 365 + 31 leap days (1904..2024; 1900 is not
        # leap) = 45656 days; 2 + 45656 = 45658.
        ("45658", date(2025, 1, 1), "excel-serial"),
        ("45658.75", date(2025, 1, 1), "excel-serial"),  # 18:00 the same day
        # 46053 = 45658 + 395 = 2025-01-01 + 365 days (2026-01-01) + 30 = 2026-01-31
        ("46053", date(2026, 1, 31), "excel-serial"),
    ],
)
def test_date_parse(text: str, expected: date, fmt: str) -> None:
    assert date_parse(text) == (expected, fmt)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Excel 1900 system: serial 1 = 1900-01-01
        ("1", date(1900, 1, 1)),
        # serial 59 = 1900-01-01 + 58 days = 1900-02-28 (31 days of January + 27)
        ("59", date(1900, 2, 28)),
        # serial 61 = 1899-12-30 + 61 days = 1900-03-01 (60 is the fictitious 29 Feb)
        ("61", date(1900, 3, 1)),
    ],
)
def test_small_excel_serials_only_when_said(text: str, expected: date) -> None:
    assert date_parse(text, fmt="excel-serial") == (expected, "excel-serial")
    # guessed, a small number is refused: "2026" is a year, not 1905-07-18
    with pytest.raises(CellError, match="before 1927"):
        date_parse(text)


def test_excel_serials_out_of_range_when_said() -> None:
    with pytest.raises(CellError, match="fictitious 1900-02-29"):
        date_parse("60", fmt="excel-serial")
    with pytest.raises(CellError, match="outside Excel's date range"):
        date_parse("0", fmt="excel-serial")


def test_a_bare_year_is_not_a_date() -> None:
    with pytest.raises(CellError, match="a year"):
        date_parse("2026")


def test_date_parse_time_zone_parameter() -> None:
    # 2024-09-30T23:30Z is still 30 September in New York (19:30 EDT)
    day, _ = date_parse("2024-09-30T23:30:00Z", tz=ZoneInfo("America/New_York"))
    assert day == date(2024, 9, 30)


@pytest.mark.parametrize(
    ("text", "reason_part"),
    [
        ("12/31/2026", "mm/dd/yyyy is not guessed"),
        ("31/01/26", "two-digit year"),
        ("60", "before 1927"),
        ("0", "before 1927"),
        ("2026-02-30", "not a valid date"),
        ("30/02/2026", "not a valid date"),
        ("hello", "not a date"),
        ("", "empty"),
        ("Jan 31, 2026", "not a date"),
    ],
)
def test_date_parse_refuses(text: str, reason_part: str) -> None:
    with pytest.raises(CellError) as caught:
        date_parse(text)
    assert reason_part in caught.value.reason


def test_date_parse_restricted_format() -> None:
    assert date_parse("31/01/2026", fmt="dmy") == (date(2026, 1, 31), "dmy")
    with pytest.raises(CellError, match="dd/mm/yyyy"):
        date_parse("2026-01-31", fmt="dmy")
    with pytest.raises(ValueError, match="unknown date format"):
        date_parse("2026-01-31", fmt="mdy")


# ------------------------------------------------------------------------------------ booleans


@pytest.mark.parametrize("text", ["true", "TRUE", "1", "yes", "Y", "oui", "Vrai", "x", " X "])
def test_bool_true(text: str) -> None:
    assert bool_parse(text) is True


@pytest.mark.parametrize("text", ["false", "False", "0", "no", "N", "non", "faux"])
def test_bool_false(text: str) -> None:
    assert bool_parse(text) is False


@pytest.mark.parametrize("text", ["maybe", "2", "-", "t"])
def test_bool_refuses(text: str) -> None:
    with pytest.raises(CellError, match=f"'{text}'"):
        bool_parse(text)


# ----------------------------------------------------------------------------------- countries


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("US", "US"),
        ("us", "US"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("United States", "US"),
        ("United States of America", "US"),
        ("États-Unis", "US"),
        ("Etats-Unis", "US"),
        ("840", "US"),  # ISO numeric
        ("France", "FR"),
        ("FR", "FR"),
        ("fra", "FR"),
        ("Royaume-Uni", "GB"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("Allemagne", "DE"),
        ("Germany", "DE"),
        ("DEU", "DE"),
        ("Canada", "CA"),
        ("South Korea", "KR"),
        ("Turkey", "TR"),
        ("Côte d'Ivoire", "CI"),
        ("  Belgique ", "BE"),
    ],
)
def test_country_normalize(text: str, code: str) -> None:
    assert country_normalize(text) == code


@pytest.mark.parametrize("text", ["XX", "Atlantis", "", "U"])
def test_country_refuses(text: str) -> None:
    with pytest.raises(CellError) as caught:
        country_normalize(text)
    assert f"'{text}'" in caught.value.reason


# ------------------------------------------------------------------------------ column formats


def test_column_formats_describe() -> None:
    formats = ColumnFormats()
    assert formats.date("CLOSEDATE", "31/01/2026") == date(2026, 1, 31)
    assert formats.date("CLOSEDATE", "01/02/2026") == date(2026, 2, 1)
    assert formats.date("CREATEDDATE", "2024-09-30T23:30:00Z") == date(2024, 10, 1)
    assert formats.date("Signed", "45658") == date(2025, 1, 1)
    assert formats.date("Signed", "2025-01-02") == date(2025, 1, 2)
    assert formats.decimal("Amount", "1 234,50") == Decimal("1234.50")
    assert formats.decimal("Revenue", "6.0E7") == Decimal("60000000")
    assert formats.decimal("Count", "12") == Decimal(12)
    assert formats.formats == {
        "CLOSEDATE": ["dmy"],
        "CREATEDDATE": ["iso-datetime"],
        "Signed": ["excel-serial", "iso"],
    }
    assert formats.describe() == {
        "CLOSEDATE": "dates read as dd/mm/yyyy",
        # the format actually seen, quoting the column's first timestamp as written
        "CREATEDDATE": "dates read as ISO timestamps with a time zone, e.g. "
        "2024-09-30T23:30:00Z; converted to Europe/Paris before taking the date",
        "Signed": "dates read as Excel serial day numbers (1900 date system) and ISO dates "
        "(yyyy-mm-dd)",
        "Amount": "numbers with decimal comma, thousands separators",
        "Revenue": "numbers with decimal point, scientific notation",
        "Count": "plain numbers",
    }


def test_column_convention_resolves_ambiguity() -> None:
    formats = ColumnFormats()
    # "12,50" shows a decimal comma, so the column's "1,234" is 1 + 234/1000
    assert formats.decimal("French", "12,50") == Decimal("12.50")
    assert formats.decimal("French", "1,234") == Decimal("1.234")
    # "1,234.50" shows comma groups, so the column's "1,234" is 1234
    assert formats.decimal("English", "1,234.50") == Decimal("1234.50")
    assert formats.decimal("English", "1,234") == Decimal("1234")
    # "1,234,567" alone shows the convention too (commas group: decimals are points)
    assert formats.decimal("Grouped", "1,234,567") == Decimal("1234567")
    assert formats.decimal("Grouped", "9,876") == Decimal("9876")


def test_column_convention_conflict_is_an_error() -> None:
    formats = ColumnFormats()
    formats.decimal("Amount", "1.234,50")
    with pytest.raises(CellError, match="this column uses a decimal comma"):
        formats.decimal("Amount", "1,234.50")


def test_column_ambiguous_before_convention_is_an_error() -> None:
    with pytest.raises(CellError, match="ambiguous"):
        ColumnFormats().decimal("Amount", "1,234")
