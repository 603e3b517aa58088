"""Cell values of real exports: numbers, dates, booleans, countries, nulls.

Pure functions (no Django) that turn one cell's text into a Python value or raise
:class:`CellError` with a reason a person can act on; the caller adds the file, row and column.
:class:`ColumnFormats` applies them column by column and remembers how each column was read,
so an import report can say "CLOSEDATE: dates read as dd/mm/yyyy".

Stated rules (the decisions behind them):

- **Null**: an empty cell, a cell of spaces and the literal ``NULL`` (any case: ``null``,
  ``Null``) are null. ``N/A``, ``-``, ``none`` and ``0`` are *not*: they may be meaningful or a
  typo, and a typo must be reported, not silently emptied.
- **Numbers** (:func:`decimal_parse`) are exact :class:`~decimal.Decimal` built from the
  digits (never through a float): ``-0.00000080000`` keeps its 11 decimals. Accepted: a decimal
  point or a decimal comma; thousands separators (``,`` ``.`` space, no-break space, narrow
  no-break space, ``'``) in groups of three; scientific notation (``1.2E+7``, ``8.48E10``); a
  leading ``+``/``-``/``−``. Rejected: currency symbols and codes (``€ 12,00``, ``12 EUR``: the
  currency belongs in its own column, and silently reading dollars as euros is worse than an
  error), percentages, parentheses for negatives, ``NaN``/``Infinity``.
  A single ``.`` is a decimal point (``1.234`` is 1.234, as machine exports write it). A single
  ``,`` followed by exactly three digits (``1,234``) is ambiguous (1234 in English exports,
  1.234 in French ones): it is an error unless the column has already shown its convention
  (another value such as ``12,50`` or ``1,234.50``) or the caller says so
  (``decimal_comma=True/False``). In a file separated by ``;`` (French and European exports,
  where ``.`` groups thousands: ``1.250`` is 1250) a single ``.`` followed by exactly three
  digits is ambiguous in the same way (``dot_thousands=True``; ``ColumnFormats`` is told so by
  the importer); ``1.25`` or ``1.2500`` are not (a group has exactly three digits).
- **Dates** (:func:`date_parse`): ISO ``2026-01-31`` (``"iso"``); ISO timestamps
  ``2024-09-18 23:00:00``, ``2006-04-15T03:23:15.000Z``, ``...+02:00`` (``"iso-datetime"``);
  ``31/01/2026``, ``31.01.2026``, ``31-01-2026``, optionally with a time (``"dmy"``); compact
  ``20260131`` (``"iso-basic"``); Excel serial day numbers ``46053`` (``"excel-serial"``, 1900
  date system, Lotus leap-year bug handled: serial 60 is the fictitious 1900-02-29 and is
  refused; after it, date = 1899-12-30 + serial days; a fraction is the time of day and is
  dropped). **mm/dd/yyyy is never guessed**: ``12/31/2026`` is an error (the program's exports
  are French/European). A timestamp *with* a zone (``Z``, ``+02:00``, `` UTC``) is converted
  to the program time zone (Europe/Paris unless ``tz`` says otherwise) *before* the date is
  taken: ``2024-09-30T23:30:00Z`` is 2024-10-01. A timestamp without a zone is taken as
  already in the program time zone. Two-digit years are refused.
- **Booleans** (:func:`bool_parse`): ``true/false``, ``1/0``, ``yes/no``, ``y/n``,
  ``oui/non``, ``vrai/faux``, ``x`` (true, as ticked in a spreadsheet), any case.
- **Countries** (:func:`country_normalize`): ISO 3166-1 codes and English/French names to the
  alpha-2 code (see :mod:`partnerprogram.imports.countries`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from partnerprogram.imports.countries import country_code

__all__ = [
    "DATE_FORMATS",
    "PROGRAM_TZ",
    "CellError",
    "ColumnFormats",
    "bool_parse",
    "country_normalize",
    "date_parse",
    "decimal_parse",
    "is_null",
    "is_null_word",
]

#: The program time zone: dates of timestamps with a zone are taken here.
PROGRAM_TZ = ZoneInfo("Europe/Paris")

#: Date format names returned by :func:`date_parse` -> how a report says them.
DATE_FORMATS: dict[str, str] = {
    "iso": "ISO dates (yyyy-mm-dd)",
    "iso-datetime": "ISO timestamps (yyyy-mm-dd hh:mm:ss or yyyy-mm-ddThh:mm:ss, a zone optional)",
    "iso-basic": "compact dates (yyyymmdd)",
    "dmy": "dd/mm/yyyy",
    "excel-serial": "Excel serial day numbers (1900 date system)",
}


class CellError(Exception):
    """A cell's text cannot be read as the expected value; ``reason`` says why (with the text)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------------------------------- nulls

_NULL_WORDS = frozenset({"", "null"})


def is_null(text: str | None) -> bool:
    """True for ``None``, an empty or blank cell and the literal ``NULL`` in any case."""
    return text is None or text.strip().casefold() in _NULL_WORDS


def is_null_word(text: str) -> bool:
    """True for a non-blank text the import reads as null (``NULL`` in any case): a
    re-importable export escapes it as ``'NULL`` (imports/exports.py)."""
    return bool(text.strip()) and is_null(text)


# -------------------------------------------------------------------------------------- numbers

_SPACES = " \u00a0\u202f\u2009"
_GROUP_CHARS = _SPACES + "'"
_NUMBER_CHARS = re.compile(r"^[0-9.,'" + _SPACES + r"]+$")
_EXPONENT = re.compile(r"^(?P<mantissa>.*?)[eE](?P<exponent>[+-]?[0-9]{1,4})$")
_CURRENCY = re.compile(r"[€$£¥₹]|\b(?:EUR|USD|GBP|CHF|JPY|CAD|AUD)\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Number:
    value: Decimal
    decimal_sep: str | None  # "." or "," when the text had decimals
    grouped: bool  # thousands separators used
    scientific: bool
    #: True when the text reads differently with a decimal point and a decimal comma
    ambiguous: bool


def _read_mantissa(text: str, decimal_sep: str) -> tuple[str, str, bool] | None:
    """(integer digits, fraction digits, grouped) reading ``text`` with ``decimal_sep``.

    ``None`` if the text is not a number in that convention. The other of ``.``/``,`` and the
    spaces/apostrophe may only group the integer part by three.
    """
    other = "," if decimal_sep == "." else "."
    if text.count(decimal_sep) > 1:
        return None
    integer, _, fraction = text.partition(decimal_sep)
    if decimal_sep in text and not fraction.isdigit():
        return None
    if not integer and not fraction:
        return None
    group_chars = {ch for ch in integer if ch in _GROUP_CHARS or ch == other}
    if not group_chars:
        if integer and not integer.isdigit():
            return None
        return integer or "0", fraction, False
    if len(group_chars) > 1:
        return None
    (sep,) = group_chars
    groups = integer.split(sep)
    if not (1 <= len(groups[0]) <= 3 and groups[0].isdigit() and not groups[0].startswith("0")):
        return None
    if any(len(group) != 3 or not group.isdigit() for group in groups[1:]):
        return None
    return "".join(groups), fraction, True


def _number_read(text: str, decimal_comma: bool | None, dot_thousands: bool = False) -> _Number:
    """Read a number (see the module rules); ``decimal_comma`` forces the convention;
    ``dot_thousands``: ``1.234`` is ambiguous too (a ``;``-separated file)."""
    original = text
    text = text.strip(_SPACES)
    if not text:
        raise CellError("empty, a number was expected")
    if _CURRENCY.search(text):
        raise CellError(
            f"'{original}' has a currency symbol or code: give the amount alone "
            "(the currency goes in its own column)"
        )
    if "%" in text:
        raise CellError(f"'{original}' is a percentage: give the number alone")
    sign = ""
    if text[0] in "+-−":
        sign = "-" if text[0] in "-−" else ""
        text = text[1:].lstrip(_SPACES)
    exponent = ""
    match = _EXPONENT.match(text)
    if match:
        text, exponent = match["mantissa"], match["exponent"]
    if not text or not _NUMBER_CHARS.match(text):
        raise CellError(f"'{original}' is not a number")
    readings: dict[str, tuple[str, str, bool]] = {}
    for sep in (".", ","):
        if decimal_comma is not None and (sep == ",") != decimal_comma:
            continue
        reading = _read_mantissa(text, sep)
        if reading is not None:
            readings[sep] = reading
    if not readings:
        convention = {None: "", True: " with a decimal comma", False: " with a decimal point"}
        raise CellError(
            f"'{original}' is not a number{convention[decimal_comma]} "
            "(thousands separators must group digits by three)"
        )
    values = {
        sep: Decimal(
            sign
            + integer
            + (f".{fraction}" if fraction else "")
            + (f"E{exponent}" if exponent else "")
        )
        for sep, (integer, fraction, _) in readings.items()
    }
    ambiguous = len(values) == 2 and values["."] != values[","]
    if ambiguous and decimal_comma is None and "," in text:
        raise CellError(
            f"'{original}' is ambiguous: {values['.']} with ',' as thousands separator or "
            f"{values[',']} with a decimal comma; write the decimals (1,234.00 or 1 234,000)"
        )
    if ambiguous and decimal_comma is None and dot_thousands and "." in text:
        raise CellError(
            f"'{original}' is ambiguous in a ;-separated file: {values[',']} with '.' as "
            f"thousands separator or {values['.']} with a decimal point; write the decimals "
            "(1.234,00 or 1,234)"
        )
    sep = "." if "." in readings else ","
    _, fraction, grouped = readings[sep]
    return _Number(
        value=values[sep],
        decimal_sep=sep if fraction else None,
        grouped=grouped,
        scientific=bool(exponent),
        ambiguous=ambiguous,
    )


def decimal_parse(
    text: str, *, decimal_comma: bool | None = None, dot_thousands: bool = False
) -> Decimal:
    """The exact Decimal written in ``text`` (rules in the module docstring).

    ``decimal_comma``: ``True`` reads ``,`` as the decimal separator, ``False`` reads ``.``,
    ``None`` (default) decides from the text and refuses ambiguous ``1,234`` (and ``1.234``
    when ``dot_thousands``: a ``;``-separated file).
    Examples: ``"1 234,50"`` -> 1234.50, ``"1,234.50"`` -> 1234.50, ``"1.2E+7"`` -> 12000000,
    ``"-0.00000080000"`` -> -8.0000E-7 (exact). Raises :class:`CellError`.
    """
    return _number_read(text, decimal_comma, dot_thousands).value


# ---------------------------------------------------------------------------------------- dates

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)"
    r"\s*(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$"
)
_DMY = re.compile(
    r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$"
)
_DMY_SHORT_YEAR = re.compile(r"^\d{1,2}([/.-])\d{1,2}\1\d{2}$")
_ISO_BASIC = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{1,7}(?:\.\d+)?$")
#: an unformatted number is taken for an Excel serial only from 10000 (1927-05-18) on: below,
#: it is far more likely a year (2026) or a quantity than a date (say ``fmt="excel-serial"``)
_SERIAL_GUESS_MIN = 10000
#: Excel's largest date: 9999-12-31
_SERIAL_MAX = 2958465
_EXCEL_EPOCH = date(1899, 12, 30)
_LOTUS_LEAP_DAY = 60


def _iso_datetime(text: str, tz: ZoneInfo) -> tuple[date, bool]:
    """(date, had a zone) of an ISO timestamp; aware ones are converted to ``tz`` first."""
    match = _ISO_DATETIME.match(text)
    if not match:
        raise ValueError(text)
    day, clock, zone = match.groups()
    clock = clock.replace(",", ".")
    if "." in clock:  # fromisoformat takes 3 or 6 fraction digits only
        whole, fraction = clock.split(".")
        clock = f"{whole}.{(fraction + '000000')[:6]}"
    if zone in ("Z", "z", "UTC", "GMT"):
        zone = "+00:00"
    elif zone and len(zone) == 3:
        zone += ":00"
    moment = datetime.fromisoformat(f"{day}T{clock}{zone or ''}")
    if moment.tzinfo is None:
        return moment.date(), False
    return moment.astimezone(tz).date(), True


def _excel_serial(text: str) -> date:
    serial = Decimal(text)
    days = int(serial)  # the fraction is the time of day
    if days < 1 or days > _SERIAL_MAX:
        raise CellError(f"'{text}' is outside Excel's date range (1 = 1900-01-01)")
    if days == _LOTUS_LEAP_DAY:
        raise CellError(f"'{text}' is Excel's fictitious 1900-02-29 (Lotus leap-year bug)")
    if days < _LOTUS_LEAP_DAY:
        return _EXCEL_EPOCH + timedelta(days=days + 1)
    return _EXCEL_EPOCH + timedelta(days=days)


def _date_read(text: str, fmt: str | None, tz: ZoneInfo) -> tuple[date, str, bool]:
    """(date, format name, had a time zone); raises CellError."""
    original = text
    text = text.strip()
    if not text:
        raise CellError("empty, a date was expected")
    if fmt is not None and fmt not in DATE_FORMATS:
        raise ValueError(f"unknown date format {fmt!r}; one of {', '.join(DATE_FORMATS)}")
    tried = [fmt] if fmt else list(DATE_FORMATS)
    try:
        if "iso" in tried and _ISO_DATE.match(text):
            return date.fromisoformat(text), "iso", False
        if "iso-datetime" in tried and _ISO_DATETIME.match(text):
            day, zoned = _iso_datetime(text, tz)
            return day, "iso-datetime", zoned
        if "dmy" in tried and (match := _DMY.match(text)):
            day_text, _, month_text, year_text = match.groups()[:4]
            month = int(month_text)
            if month > 12:
                raise CellError(
                    f"'{original}': month {month} does not exist; dates are read as "
                    "dd/mm/yyyy (mm/dd/yyyy is not guessed)"
                )
            return date(int(year_text), month, int(day_text)), "dmy", False
        if "iso-basic" in tried and (match := _ISO_BASIC.match(text)):
            year_number, month_number, day_number = (int(part) for part in match.groups())
            return date(year_number, month_number, day_number), "iso-basic", False
        if "excel-serial" in tried and _SERIAL.match(text):
            if fmt is None and Decimal(text) < _SERIAL_GUESS_MIN:
                raise CellError(
                    f"'{original}' is not a date: a number under {_SERIAL_GUESS_MIN} "
                    "would be an Excel serial before 1927 (a year? an amount?); write the "
                    "date as yyyy-mm-dd"
                )
            return _excel_serial(text), "excel-serial", False
    except ValueError as error:  # a well-formed text with an impossible date (2026-02-30)
        raise CellError(f"'{original}' is not a valid date ({error})") from error
    if _DMY_SHORT_YEAR.match(text):
        raise CellError(f"'{original}' has a two-digit year: write the year in full")
    expected = DATE_FORMATS[fmt] if fmt else "yyyy-mm-dd, dd/mm/yyyy or an Excel serial number"
    raise CellError(f"'{original}' is not a date ({expected} expected)")


def date_parse(text: str, *, fmt: str | None = None, tz: ZoneInfo = PROGRAM_TZ) -> tuple[date, str]:
    """``(date, format name)`` of a date or timestamp cell.

    ``fmt`` (a key of :data:`DATE_FORMATS`) restricts the reading to that one format;
    ``None`` tries them all (they cannot be confused: mm/dd is never guessed).
    ``tz``: the program time zone; a timestamp with a zone is converted to it before its date
    is taken (``"2024-09-30T23:30:00Z"`` -> 2024-10-01 in Europe/Paris).
    Raises :class:`CellError` naming the text and what was expected.
    """
    day, name, _ = _date_read(text, fmt, tz)
    return day, name


# ------------------------------------------------------------------------------------- booleans

_TRUE = frozenset({"true", "1", "yes", "y", "oui", "o", "vrai", "x"})
_FALSE = frozenset({"false", "0", "no", "n", "non", "faux"})


def bool_parse(text: str) -> bool:
    """``True``/``False`` from true/false, 1/0, yes/no, y/n, oui/non, vrai/faux, x (any case).

    Raises :class:`CellError` for anything else (null cells are the caller's: see is_null).
    """
    key = text.strip().casefold()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellError(f"'{text}' is not a yes/no value (true/false, yes/no, oui/non, 1/0)")


# ------------------------------------------------------------------------------------ countries


def country_normalize(text: str) -> str:
    """ISO 3166-1 alpha-2 code of a country code or name: ``"USA"``, ``"United States"``,
    ``"United States of America"``, ``"us"`` -> ``"US"``; ``"Royaume-Uni"``, ``"UK"`` -> ``"GB"``.

    Raises :class:`CellError` naming the value when it is not a known country.
    """
    code = country_code(text)
    if code is None:
        raise CellError(
            f"'{text}' is not a known country: give an ISO 3166 code (FR, DEU) or its English "
            "or French name"
        )
    return code


# ------------------------------------------------------------------------------- column formats


@dataclass
class _NumberStyle:
    decimal_sep: str | None = None  # the column's convention once shown
    features: list[str] = field(default_factory=list)


class ColumnFormats:
    """Reads cells column by column and remembers how each column was read.

    One instance per imported file. :meth:`date` and :meth:`decimal` parse one cell (raising
    :class:`CellError`) and record the formats seen; :meth:`describe` gives one sentence per
    column for the import report. ``formats`` maps a column to the date format names seen, in
    the order first seen (``{"CLOSEDATE": ["dmy"]}``).

    A column's number convention is set by the first value that shows it (``12,50``: decimal
    comma; ``1,234.50``: decimal point); later values are read in that convention, so
    ``1,234`` after ``12,50`` is 1.234, and ``1.234,50`` after ``1,234.50`` is an error.
    Date formats may mix within a column (each is unambiguous); all are reported.
    ``dot_thousands``: the file is ``;``-separated, so ``1.250`` is ambiguous until the column
    shows its convention (module rules).
    """

    def __init__(self, *, tz: ZoneInfo = PROGRAM_TZ, dot_thousands: bool = False) -> None:
        self.tz = tz
        self.dot_thousands = dot_thousands
        self.formats: dict[str, list[str]] = {}
        self._zoned: set[str] = set()
        self._unzoned: set[str] = set()
        #: column -> its first ISO timestamp as the file writes it (the report quotes it)
        self._timestamp_example: dict[str, str] = {}
        self._numbers: dict[str, _NumberStyle] = {}

    def date(self, column: str, text: str) -> date:
        """The date in ``text`` (see :func:`date_parse`); records the column's format."""
        day, name, zoned = _date_read(text, None, self.tz)
        seen = self.formats.setdefault(column, [])
        if name not in seen:
            seen.append(name)
        if name == "iso-datetime":
            (self._zoned if zoned else self._unzoned).add(column)
            self._timestamp_example.setdefault(column, text.strip())
        return day

    def decimal(self, column: str, text: str) -> Decimal:
        """The exact Decimal in ``text`` (see :func:`decimal_parse`), in the column's
        convention once known; records decimal comma/point, thousands separators and
        scientific notation for the column."""
        style = self._numbers.setdefault(column, _NumberStyle())
        forced = None if style.decimal_sep is None else style.decimal_sep == ","
        try:
            number = _number_read(text, forced, self.dot_thousands)
        except CellError as error:
            if forced is None:
                raise
            name = "a decimal comma" if forced else "a decimal point"
            raise CellError(f"{error.reason}; this column uses {name}") from error
        if style.decimal_sep is None and number.decimal_sep is not None:
            style.decimal_sep = number.decimal_sep
        elif style.decimal_sep is None and number.grouped and not number.ambiguous:
            # "1,234,567" shows "," groups, so decimals are "."; "1.234.567" the reverse
            grouping = {ch for ch in text if ch in ",."}
            if grouping == {","}:
                style.decimal_sep = "."
            elif grouping == {"."}:
                style.decimal_sep = ","
        for feature, present in (
            ("decimal comma", number.decimal_sep == ","),
            ("decimal point", number.decimal_sep == "."),
            ("thousands separators", number.grouped),
            ("scientific notation", number.scientific),
        ):
            if present and feature not in style.features:
                style.features.append(feature)
        return number.value

    def _timestamps_said(self, column: str) -> str:
        """How a column's ISO timestamps are said: with or without a zone, and the first one
        as the file writes it (``ISO timestamps with a time zone, e.g.
        2006-06-15T20:47:07.000Z``)."""
        if column in self._zoned and column in self._unzoned:
            kind = "ISO timestamps, some with a time zone"
        elif column in self._zoned:
            kind = "ISO timestamps with a time zone"
        else:
            kind = "ISO timestamps without a time zone"
        return f"{kind}, e.g. {self._timestamp_example[column]}"

    def describe(self) -> dict[str, str]:
        """Column -> how it was read, e.g. ``"dates read as dd/mm/yyyy"``,
        ``"numbers with decimal comma, thousands separators"``. Columns read only as plain
        integers say ``"plain numbers"``."""
        described: dict[str, str] = {}
        for column, names in self.formats.items():
            read = [
                self._timestamps_said(column) if name == "iso-datetime" else DATE_FORMATS[name]
                for name in names
            ]
            sentence = "dates read as " + " and ".join(read)
            if column in self._zoned:
                which = "those with a zone " if column in self._unzoned else ""
                sentence += f"; {which}converted to {self.tz.key} before taking the date"
            described[column] = sentence
        for column, style in self._numbers.items():
            features = ", ".join(style.features) or "plain numbers"
            text = f"numbers with {features}" if style.features else features
            described[column] = f"{described[column]}; {text}" if column in described else text
        return described
