"""Downloads of tabular data: CSV (streamed) and XLSX (openpyxl, write-only).

``export_response(rows, header, filename=..., fmt=...)`` turns any iterable of row sequences
into an attachment. Views build the rows from the same filtered queryset they page through
(``?format=csv|xlsx``), so a download holds exactly what the list shows, every page.

Stated rules:

- **CSV**: UTF-8 with a byte-order mark (Excel opens accents correctly), comma-separated,
  ``\\r\\n`` line ends (RFC 4180); streamed row by row, so a long list never sits in memory.
  Dates are ISO (``2026-12-31``), Decimals in plain notation with a dot, ``None`` is empty,
  booleans ``true``/``false``.
- **XLSX**: one sheet, the header row bold and frozen; dates, numbers and booleans keep their
  types (a spreadsheet can sum them); ``None`` is an empty cell.
- **Formula injection** (OWASP "CSV injection"): a text cell starting with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return is data, never a formula: in CSV it is prefixed with ``'``;
  in XLSX it is written as a text cell (the value is unchanged). Partners type some of these
  texts (customer names), so an export must not run them in a channel manager's spreadsheet.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

__all__ = [
    "FORMATS",
    "ExportFormat",
    "csv_stream",
    "csv_value",
    "export_format",
    "export_response",
    "xlsx_cell",
    "xlsx_file",
    "xlsx_workbook",
]

ExportFormat = Literal["csv", "xlsx"]
FORMATS: tuple[ExportFormat, ...] = ("csv", "xlsx")

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
#: Excel's limit on sheet titles
_SHEET_TITLE_MAX = 31


def export_format(value: str | None) -> ExportFormat | None:
    """The export format named by a ``?format=`` parameter, or ``None`` (not an export)."""
    if value in FORMATS:
        return value  # type: ignore[return-value]
    return None


def _filename(filename: str, fmt: ExportFormat) -> str:
    stem = _UNSAFE_FILENAME.sub("-", filename.rsplit(".", 1)[0] if "." in filename else filename)
    return f"{stem.strip('-') or 'export'}.{fmt}"


def csv_value(value: Any) -> str:
    """One CSV cell as text under the stated rules (ISO dates, plain Decimals, ``true``/``false``,
    empty for ``None``, a ``'`` before a text that would start a formula)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | float):
        return str(value)  # a number, negative or not, is never a formula
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose ``write`` returns what it was given (csv.writer -> stream)."""

    def write(self, value: str) -> str:
        return value


def csv_stream(rows: Iterable[Sequence[Any]], header: Sequence[str]) -> Iterator[bytes]:
    """``header`` then ``rows`` as UTF-8 CSV chunks (byte-order mark first, ``\\r\\n`` line
    ends), one chunk per row: write them to a file or stream them in a response."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield ("\ufeff" + writer.writerow([csv_value(h) for h in header])).encode("utf-8")
    for row in rows:
        yield writer.writerow([csv_value(v) for v in row]).encode("utf-8")


def xlsx_cell(sheet: Any, value: Any) -> Any:
    """A write-only cell of ``sheet`` keeping the value's type; text is always a text cell
    (never a formula), dates get a date format, aware datetimes their wall time."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)  # Excel has no time zones: the local wall time
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, even when it starts with "="
    if isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def xlsx_workbook(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> Any:
    """A write-only workbook with one sheet per ``(title, header, rows)``: bold frozen header,
    typed cells (``xlsx_cell``); titles cut to Excel's 31 characters. The caller saves it."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:_SHEET_TITLE_MAX] or "export")
        sheet.freeze_panes = "A2"
        head = []
        for name in header:
            cell = xlsx_cell(sheet, str(name))
            cell.font = bold
            head.append(cell)
        sheet.append(head)
        for row in rows:
            sheet.append([xlsx_cell(sheet, v) for v in row])
    return workbook


def xlsx_file(rows: Iterable[Sequence[Any]], header: Sequence[str], title: str) -> Any:
    """A one-sheet workbook (sheet ``title``, bold frozen header) in a spooled temporary file
    positioned at its start; the caller closes it."""
    workbook = xlsx_workbook([(title, header, rows)])
    # a spooled file: small workbooks stay in memory, large ones go to disk
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (FileResponse closes it)
    workbook.save(out)
    out.seek(0)
    return out


def export_response(
    rows: Iterable[Sequence[Any]],
    header: Sequence[str],
    *,
    filename: str,
    fmt: ExportFormat,
) -> HttpResponseBase:
    """An attachment holding ``header`` then ``rows`` as ``fmt`` (``csv`` or ``xlsx``).

    ``filename`` is the download's name (its extension is replaced by the format's; characters
    other than letters, digits, ``.``, ``_`` and ``-`` become ``-``). CSV is streamed while
    ``rows`` is iterated (after the view returns); XLSX is built, then sent. Raises
    ``ValueError`` for another format.
    """
    name = _filename(filename, fmt)
    if fmt == "csv":
        response: HttpResponseBase = StreamingHttpResponse(
            csv_stream(rows, header), content_type=CSV_CONTENT_TYPE
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    if fmt == "xlsx":
        title = name.rsplit(".", 1)[0]
        return FileResponse(
            xlsx_file(rows, header, title),
            as_attachment=True,
            filename=name,
            content_type=XLSX_CONTENT_TYPE,
        )
    raise ValueError(f"unknown export format {fmt!r} (formats: {', '.join(FORMATS)})")
