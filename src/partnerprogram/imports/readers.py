"""Reading real export files (CSV and XLSX) as streaming tables of text cells.

``table_open(path=...)`` or ``table_open(stream=..., name=...)`` returns a :class:`Table`: the
header (``columns``) is read at once, the rows are streamed by :meth:`Table.rows`, so memory
stays bounded whatever the file size (CSV: one record at a time; XLSX: openpyxl's read-only
mode, which streams the sheet but keeps the shared-strings table). Pure module: no Django.

Stated rules (decisions a reviewer may question):

- **CSV or XLSX** is decided by the content (XLSX is a zip: ``PK\\x03\\x04``), not only the
  extension; a legacy ``.xls`` (OLE2) is refused with a sentence saying to save as XLSX/CSV.
- **Encoding** is detected on the first 64 KiB: a byte-order mark says UTF-8 (``utf-8-sig``)
  or UTF-16 (``utf-16``, either byte order); without one, NUL bytes on every other position
  say UTF-16 without a mark. Otherwise the file is decoded **line by line**: each line as
  UTF-8, and a line that is not valid UTF-8 as Windows-1252, because real exports mix them
  (a UTF-8 file edited once in an old tool). ``encoding`` is then ``"utf-8"`` (no line
  needed Windows-1252), ``"cp1252"`` (some lines needed it and no line held UTF-8 accents)
  or ``"utf-8+cp1252"`` (both seen); a note lists the rows read as Windows-1252. The value
  set at opening reflects the first 64 KiB; it is final once ``rows()`` is exhausted.
- **Delimiter**: ``,`` ``;`` or tab, decided on the first records of the sample by parsing
  with each candidate and keeping the one whose rows have the header's cell count most
  consistently, then the most columns (ties: ``,`` then ``;`` then tab). ``csv.Sniffer`` is
  not used: it guesses from character frequencies and is fooled by delimiters inside quoted
  values (JSON tags, ``!`` or ``,`` in names). A file with a single column reads as ``,``.
- **Quoting**: RFC 4180: ``"`` quotes a cell, ``""`` is a literal quote, a quoted cell may
  hold delimiters and line breaks. An **unterminated quote** refuses the whole file
  (:class:`ReadError` "unterminated quote starting at row N"), because the rows after it would
  otherwise be swallowed into one cell and vanish. A quoted cell is taken for one when it
  runs to the end of the file, when it is longer than 131,072 characters or spans more than
  1,000 lines, or (a header of 3 or more columns) when one of the lines inside it holds
  exactly the header's number of cells, i.e. looks like a row of the file. Multi-line notes
  and descriptions (a few lines with a few delimiters, as AWS's Opportunity-Fields.csv has)
  are read as usual.
- **Header**: the first record (row 1) names the columns; names are stripped of spaces and
  byte-order marks. An empty name in the middle or a name given twice is a ReadError (names
  differing only in case, spaces or underscores are refused by the mappings when they fill the
  same field);
  unnamed columns at the end (a trailing delimiter) are ignored (their cells must be empty).
- **Rows**: ``rows()`` yields ``(row number, {column: text or None})``; the row number is
  the record number a spreadsheet shows (header = 1; blank lines count but are not
  yielded). A row whose cells are all empty or spaces (``,,`` or ``   ``, as spreadsheets
  leave at the end of an export) is skipped too, and a note says how many were. A null cell
  (empty, spaces only, ``NULL`` in any case: see
  :func:`~partnerprogram.imports.values.is_null`) is ``None``; other cells are the raw text,
  not stripped. A row whose cell count differs from the header's is still yielded, with the
  cells it has and the key :data:`ROW_ERROR` (``"__error__"``) holding the reason: the row is
  unusable and the importer reports it (a row problem, not a file problem). A cell holding a
  NUL character (which no database text column stores) makes its row unusable the same way,
  naming the column in :data:`ROW_ERROR_COLUMN`. A file is refused as binary only when its
  first 64 KiB hold more than 8 NUL bytes, or NUL bytes and other control bytes (and it is
  not UTF-16).
- **XLSX** cells come typed; ``rows()`` gives them as text so there is one parsing path:
  numbers via ``Decimal(str(value))`` (``0.1`` stays ``0.1``, integers without ``.0``),
  dates as ISO (``2025-01-01``; a time other than midnight as ``2025-01-01 14:30:00``),
  booleans ``true``/``false``. Formulas give their cached value (none if the file was never
  opened in a spreadsheet). The first sheet is read unless ``sheet`` names another.
- ``rows()`` may be called again (it reopens the file or seeks the stream back); a
  non-seekable stream is first spooled to a temporary file (in memory up to 8 MiB).
- **Progress**: ``bytes_read()`` / ``size_bytes`` for CSV; for XLSX ``bytes_read()`` counts
  rows and :meth:`Table.progress` divides by the sheet's row count when the file states it.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, BinaryIO

from partnerprogram.imports.values import is_null

__all__ = [
    "QUOTED_LINES_MAX",
    "ROW_ERROR",
    "ROW_ERROR_COLUMN",
    "SAMPLE_BYTES",
    "ReadError",
    "Table",
    "table_open",
]

#: key of a row dict holding the reason the row is unusable (ragged row, NUL character)
ROW_ERROR = "__error__"
#: key of a row dict naming the column of the ROW_ERROR, when it is about one cell
ROW_ERROR_COLUMN = "__error_column__"
#: a quoted cell spanning more lines than this is taken for an unterminated quote
QUOTED_LINES_MAX = 1000
#: NUL bytes in the sample above which a file is binary, not a CSV with a stray NUL
_BINARY_NULS = 8
#: C0 control bytes no text file holds (tab, line feed, form feed, carriage return excepted)
_CONTROL_BYTES = re.compile(rb"[\x01-\x08\x0e-\x1f]")
#: bytes read at opening to detect the encoding and the delimiter
SAMPLE_BYTES = 64 * 1024
_SPOOL_MAX = 8 * 1024 * 1024
_DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma (,)", ";": "semicolon (;)", "\t": "tab"}
_SNIFF_RECORDS = 200
_ENCODING_NOTES = {
    "utf-8": "encoding: UTF-8",
    "utf-8-sig": "encoding: UTF-8 with byte-order mark",
    "cp1252": "encoding: Windows-1252",
    "utf-8+cp1252": "encoding: UTF-8 with some lines in Windows-1252 (decoded line by line)",
}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"


class ReadError(Exception):
    """A file cannot be read as a table.

    ``source`` is the file name, ``row`` the row number (header = 1; ``None`` for the whole
    file), ``column`` the column name or position (``None`` if not about one), ``reason`` a
    sentence. ``str()`` names all of them: ``"deals.csv, row 1, column 'Amount': ..."``.
    """

    def __init__(self, source: str, row: int | None, column: str | None, reason: str) -> None:
        self.source = source
        self.row = row
        self.column = column
        self.reason = reason
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [self.source or "file"]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        return f"{', '.join(parts)}: {self.reason}"


@dataclass
class Table:
    """An open table: header read, rows streamed.

    ``source``: file name shown in errors. ``encoding``: ``"utf-8"``, ``"utf-8-sig"``,
    ``"utf-16"``, ``"cp1252"``, ``"utf-8+cp1252"`` (per line) or ``"xlsx"``.
    ``delimiter``: ``","``, ``";"``, ``"\\t"`` (``None`` for XLSX). ``columns``: header names in
    order. ``size_bytes``: file size when known. ``notes``: sentences for the report
    ("delimiter: semicolon (;)", "read as Windows-1252 on rows 72, 87"). Use as a context
    manager, or call :meth:`close`.
    """

    source: str
    encoding: str
    delimiter: str | None
    columns: list[str]
    size_bytes: int | None
    notes: list[str] = field(default_factory=list)

    def rows(self) -> Iterator[tuple[int, dict[str, str | None]]]:
        """``(row number, {column: text or None})`` for each data row (see module rules).

        Raises :class:`ReadError` when the file becomes unreadable midway.
        """
        raise NotImplementedError

    def bytes_read(self) -> int:
        """Bytes consumed so far (CSV) or rows read so far (XLSX), for progress."""
        raise NotImplementedError

    def progress(self) -> float | None:
        """Fraction done in [0, 1], or ``None`` when the total is unknown."""
        if self.size_bytes:
            return min(1.0, self.bytes_read() / self.size_bytes)
        return None

    def close(self) -> None:
        """Release the file (files opened from a path; a caller's stream is left open)."""

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------- sources


class _Source:
    """A re-readable binary source: a path, a seekable stream, or a spooled copy."""

    def __init__(self, path: Path | None, stream: IO[bytes] | None, owned: bool) -> None:
        self.path = path
        self.stream = stream
        self.owned = owned
        self.start = stream.tell() if stream is not None else 0
        self._opened: list[IO[bytes]] = []

    def open(self) -> IO[bytes]:
        if self.path is not None:
            handle: IO[bytes] = open(self.path, "rb")  # noqa: SIM115 - closed by close()
            self._opened.append(handle)
            return handle
        assert self.stream is not None
        self.stream.seek(self.start)
        return self.stream

    def sample(self, limit: int) -> bytes:
        """The first ``limit`` bytes (the handle of a path is closed at once)."""
        if self.path is not None:
            with open(self.path, "rb") as handle:
                return handle.read(limit)
        return self.open().read(limit)

    def size(self) -> int | None:
        if self.path is not None:
            return os.path.getsize(self.path)
        assert self.stream is not None
        position = self.stream.tell()
        end = self.stream.seek(0, io.SEEK_END)
        self.stream.seek(position)
        return end - self.start

    def close(self) -> None:
        for handle in self._opened:
            handle.close()
        self._opened.clear()
        if self.owned and self.stream is not None:
            self.stream.close()


def _source(path: str | Path | None, stream: BinaryIO | None, name: str) -> _Source:
    if (path is None) == (stream is None):
        raise TypeError("table_open needs exactly one of path= or stream=")
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ReadError(name or path.name, None, None, "no such file")
        return _Source(path, None, owned=False)
    assert stream is not None
    seekable = False
    try:
        seekable = stream.seekable()
    except (AttributeError, ValueError):
        seekable = False
    if seekable:
        return _Source(None, stream, owned=False)
    spooled = tempfile.SpooledTemporaryFile(max_size=_SPOOL_MAX)  # noqa: SIM115 - owned
    while chunk := stream.read(1024 * 1024):
        spooled.write(chunk)
    spooled.seek(0)
    return _Source(None, spooled, owned=True)


# ------------------------------------------------------------------------------------- CSV


class _LineDecoder:
    """Decodes an 8-bit file line by line: UTF-8, else Windows-1252; counts bytes."""

    def __init__(
        self, handle: IO[bytes], source: str, skip_bom: bool, cr_only: bool = False
    ) -> None:
        self.handle = handle
        self.cr_only = cr_only
        self.source = source
        self.bytes = 0
        self.skip_bom = skip_bom
        self.utf8_accents = False
        self.line_was_cp1252 = False  # reset by the reader after each record
        self.record = 1  # the record being read (header = 1), for errors

    def __iter__(self) -> Iterator[str]:
        if self.skip_bom:
            self.bytes += len(self.handle.read(len(codecs.BOM_UTF8)))
        # readline, not the stream's own iteration: Django's File splits on "\r" too
        raws: Iterator[bytes] = (
            _cr_lines(self.handle) if self.cr_only else iter(self.handle.readline, b"")
        )
        for raw in raws:
            self.bytes += len(raw)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                try:
                    text = raw.decode("cp1252")
                except UnicodeDecodeError as error:
                    raise ReadError(
                        self.source,
                        self.record,
                        None,
                        f"byte 0x{raw[error.start]:02x} is neither UTF-8 nor Windows-1252",
                    ) from error
                self.line_was_cp1252 = True
            else:
                if not raw.isascii():
                    self.utf8_accents = True
            yield text


def _cr_lines(handle: IO[bytes], chunk_size: int = 64 * 1024) -> Iterator[bytes]:
    """Lines ended by a lone ``\\r`` (classic Mac OS exports), each with its ``\\r``."""
    rest = b""
    while chunk := handle.read(chunk_size):
        rest += chunk
        *lines, rest = rest.split(b"\r")
        for line in lines:
            yield line + b"\r"
    if rest:
        yield rest


#: the line appended after the last one: a quoted cell that swallows it ran to the end of the
#: file (csv.reader, not strict, silently closes such a cell at the end of the data)
_END = "\ue000end-of-file\ue001"


@dataclass
class _LineCount:
    lines: int = 0
    ended: bool = False


def _ended_lines(lines: Iterator[str], count: _LineCount) -> Iterator[str]:
    """``lines`` counted, then a line break if the last one has none, then the :data:`_END`
    line."""
    last = ""
    for line in lines:
        count.lines += 1
        last = line
        yield line
    if last and not last.endswith(("\n", "\r")):
        yield "\n"
    count.ended = True
    yield _END + "\n"


class _CountingReader(io.RawIOBase):
    """A raw stream counting the bytes read through it (for UTF-16 progress)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.handle.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


def _detect_encoding(sample: bytes) -> str:
    """``utf-8-sig``, ``utf-16``, ``utf-16-le``, ``utf-16-be`` or ``8bit`` (line by line)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        even = sample[0::2].count(0)
        odd = sample[1::2].count(0)
        half = max(1, len(sample) // 2)
        if odd > half * 0.3 and even < half * 0.05:
            return "utf-16-le"
        if even > half * 0.3 and odd < half * 0.05:
            return "utf-16-be"
        if sample.count(0) > _BINARY_NULS or _CONTROL_BYTES.search(sample):
            return "binary"
    return "8bit"


def _sample_text(sample: bytes, encoding: str, whole: bool) -> str:
    """The sample as text, cut at the last line break unless it is the whole file."""
    if encoding.startswith("utf-16"):
        text = sample[: len(sample) // 2 * 2].decode(encoding, errors="replace")
    else:
        lines = []
        for raw in sample.splitlines(keepends=True):
            try:
                lines.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                lines.append(raw.decode("cp1252", errors="replace"))
        text = "".join(lines)
    text = text.lstrip("\ufeff")
    if not whole:
        cut = max(text.rfind("\n"), text.rfind("\r"))
        text = text[: cut + 1] if cut >= 0 else text
    return text


def _detect_delimiter(text: str) -> str:
    """The candidate whose records best keep the header's cell count (see module rules)."""
    best: tuple[tuple[bool, float, int, int], str] | None = None
    for rank, delimiter in enumerate(_DELIMITERS):
        records: list[list[str]] = []
        try:
            for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
                if record:
                    records.append(record)
                if len(records) >= _SNIFF_RECORDS:
                    break
        except csv.Error:
            continue
        if not records:
            continue
        width = len(records[0])
        body = records[1:] or records
        consistent = sum(len(record) == width for record in body) / len(body)
        score = (width > 1, consistent, width, -rank)
        if best is None or score > best[0]:
            best = (score, delimiter)
    return best[1] if best else ","


def _header(cells: list[str], source: str, notes: list[str]) -> tuple[list[str], int]:
    """(column names, count of ignored trailing unnamed columns); raises ReadError."""
    names = [cell.replace("\ufeff", "").strip() for cell in cells]
    changed = [cell for name, cell in zip(names, cells, strict=True) if name and name != cell]
    if changed:
        notes.append(
            "header: removed spaces or byte-order marks around "
            + ", ".join(repr(cell) for cell in changed)
        )
    trailing = 0
    while names and not names[-1]:
        names.pop()
        trailing += 1
    if not names:
        raise ReadError(
            source, 1, None, "the header row is empty: the first row must name the columns"
        )
    if trailing:
        notes.append(f"ignored {trailing} unnamed column(s) at the end of the header")
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if not name:
            raise ReadError(source, 1, f"#{position}", "this column has no name in the header")
        if name in seen:
            raise ReadError(
                source,
                1,
                name,
                f"the column name appears twice (columns {seen[name]} and {position})",
            )
        seen[name] = position
    return names, trailing


def _blank(cells: list[str] | list[str | None]) -> bool:
    """True when every cell is empty or spaces (a row a spreadsheet leaves empty)."""
    first = cells[0]
    if first is not None and first.strip():  # the usual row: decided by its first cell
        return False
    return all(cell is None or not cell.strip() for cell in cells)


def _has_nul(cells: list[str | None]) -> bool:
    try:
        joined = "".join(cells)  # type: ignore[arg-type]  # one C call for a row of texts
    except TypeError:  # XLSX rows hold None
        joined = "".join(cell for cell in cells if cell is not None)
    return "\x00" in joined


def _row_dict(columns: list[str], cells: list[str | None]) -> dict[str, str | None]:
    """Cells mapped to columns (nulls to None); ROW_ERROR when the counts differ or a cell
    holds a NUL character (ROW_ERROR_COLUMN names its column)."""
    values: dict[str, str | None] = {
        column: (None if is_null(cell) else cell)
        for column, cell in zip(columns, cells, strict=False)
    }
    if _has_nul(cells):
        for position, cell in enumerate(cells):
            if cell is not None and "\x00" in cell:
                column = columns[position] if position < len(columns) else f"#{position + 1}"
                values[ROW_ERROR] = "contains a NUL character"
                values[ROW_ERROR_COLUMN] = column
                return values
    extra = cells[len(columns) :]
    if len(cells) < len(columns) or any(not is_null(cell) for cell in extra):
        for column in columns[len(cells) :]:
            values[column] = None
        values[ROW_ERROR] = (
            f"the row has {len(cells)} cells but the header has {len(columns)} columns"
        )
    return values


@dataclass
class _CsvTable(Table):
    _src: _Source | None = field(default=None, repr=False)
    _file_encoding: str = field(default="8bit", repr=False)
    _pending: Iterator[tuple[int, dict[str, str | None]]] | None = field(default=None, repr=False)
    _counter: Callable[[], int] = field(default=lambda: 0, repr=False)
    _cp1252_rows: list[int] = field(default_factory=list, repr=False)
    _cr_only: bool = field(default=False, repr=False)
    _decoder: _LineDecoder | None = field(default=None, repr=False)
    _blank_rows: int = field(default=0, repr=False)

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        """(record number, cells) from the start of the file, header included."""
        assert self._src is not None
        handle = self._src.open()
        self._cp1252_rows = []
        decoder: _LineDecoder | None = None
        lines: Iterator[str]
        if self._file_encoding in ("8bit", "utf-8-sig"):
            decoder = _LineDecoder(
                handle, self.source, self._file_encoding == "utf-8-sig", self._cr_only
            )
            lines = iter(decoder)
            self._decoder = decoder
            self._counter = lambda: decoder.bytes if decoder else 0
        else:
            counting = _CountingReader(handle)
            text = io.TextIOWrapper(
                io.BufferedReader(counting), encoding=self._file_encoding, newline=""
            )
            lines = iter(text)
            self._counter = lambda: counting.count
        count = _LineCount()
        reader = csv.reader(
            _ended_lines(lines, count),
            delimiter=self.delimiter or ",",
            doublequote=True,
            strict=False,
        )
        number = 0
        while True:
            number += 1
            if decoder is not None:
                decoder.record = number
            before = count.lines
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                if "field limit" in str(error):
                    raise self._unterminated(
                        number, f"a cell is longer than {csv.field_size_limit():,} characters"
                    ) from error
                raise ReadError(self.source, number, None, f"malformed CSV: {error}") from error
            except UnicodeDecodeError as error:
                raise ReadError(
                    self.source, number, None, f"not valid {self._file_encoding}: {error.reason}"
                ) from error
            if count.ended:
                if cells == [_END]:
                    return
                raise self._unterminated(number, "the quoted cell runs to the end of the file")
            if count.lines - before > 1:
                self._check_quoted(number, cells)
            if decoder is not None and decoder.line_was_cp1252:
                self._cp1252_rows.append(number)
                decoder.line_was_cp1252 = False
            yield number, cells

    def _unterminated(self, number: int, why: str) -> ReadError:
        return ReadError(
            self.source,
            number,
            None,
            f"unterminated quote starting at row {number}: {why}; the rows after it would be "
            "lost in one cell, so the file is refused (close the quote, or double a quote "
            'inside a quoted cell: "")',
        )

    def _check_quoted(self, number: int, cells: list[str]) -> None:
        """Refuse a record whose multi-line quoted cell looks like swallowed rows."""
        width = len(self.columns)
        for cell in cells:
            if "\n" not in cell and "\r" not in cell:
                continue
            lines = cell.splitlines()
            if len(lines) > QUOTED_LINES_MAX:
                raise self._unterminated(
                    number, f"a quoted cell spans {len(lines):,} lines (more than 1,000)"
                )
            if width < 3:
                continue
            for offset, line in enumerate(lines[1:], start=1):
                inner = next(csv.reader([line], delimiter=self.delimiter or ","), [])
                if len(inner) == width:
                    raise self._unterminated(
                        number,
                        f"line {offset + 1} of a quoted cell has {width} cells like a row of "
                        f"the file ({line[:60]!r})",
                    )

    def _settle_encoding(self, decoder: _LineDecoder) -> None:
        """The final encoding once every line has been decoded (module rules)."""
        base = "utf-8-sig" if self._file_encoding == "utf-8-sig" else "utf-8"
        if self._cp1252_rows and (decoder.utf8_accents or base == "utf-8-sig"):
            self.encoding = "utf-8+cp1252"
        elif self._cp1252_rows:
            self.encoding = "cp1252"
        else:
            self.encoding = base

    def _data_rows(
        self, records: Iterator[tuple[int, list[str]]]
    ) -> Iterator[tuple[int, dict[str, str | None]]]:
        self._blank_rows = 0
        for number, cells in records:
            if not cells or _blank(cells):
                self._blank_rows += 1  # blank line, or a row of empty cells
                continue
            yield number, _row_dict(self.columns, list(cells))
        self._finish_notes()

    def _finish_notes(self) -> None:
        if self._decoder is not None:
            self._settle_encoding(self._decoder)
        if self.notes and self.notes[0] in _ENCODING_NOTES.values():
            self.notes[0] = _ENCODING_NOTES.get(self.encoding, self.notes[0])
        self.notes[:] = [
            note
            for note in self.notes
            if not note.startswith(("read as Windows", _BLANK_NOTE_START))
        ]
        if self._blank_rows:
            self.notes.append(_blank_note(self._blank_rows))
        if self._cp1252_rows:
            shown = ", ".join(str(row) for row in self._cp1252_rows[:50])
            more = f" and {len(self._cp1252_rows) - 50} more" if len(self._cp1252_rows) > 50 else ""
            self.notes.append(f"read as Windows-1252 (not valid UTF-8) on rows {shown}{more}")

    def rows(self) -> Iterator[tuple[int, dict[str, str | None]]]:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            return pending
        records = self._records()
        next(records)  # the header, already read at opening
        return self._data_rows(records)

    def bytes_read(self) -> int:
        return self._counter()

    def close(self) -> None:
        if self._src is not None:
            self._src.close()


def _csv_open(src: _Source, source: str, sample: bytes, size: int | None) -> Table:
    file_encoding = _detect_encoding(sample)
    if file_encoding == "binary":
        raise ReadError(source, None, None, "this is not a text (CSV) file: it holds NUL bytes")
    whole = size is not None and len(sample) >= size
    text = _sample_text(sample, file_encoding, whole)
    delimiter = _detect_delimiter(text)
    notes: list[str] = []
    table = _CsvTable(
        source=source,
        encoding=file_encoding if file_encoding != "8bit" else "utf-8",
        delimiter=delimiter,
        columns=[],
        size_bytes=size,
        notes=notes,
        _src=src,
        _file_encoding=file_encoding,
        _cr_only=b"\r" in sample and b"\n" not in sample,
    )
    records = table._records()
    header: list[str] | None = None
    for _number, cells in records:
        if cells:
            header = cells
            break
        raise ReadError(source, 1, None, "the first row is blank: it must name the columns")
    if header is None:
        raise ReadError(source, None, None, "the file has no header row (it is empty)")
    table.columns, _ = _header(header, source, notes)
    if file_encoding.startswith("utf-16"):
        table.encoding = "utf-16"
        order = {"utf-16": "with byte-order mark", "utf-16-le": "little-endian, no byte-order mark"}
        notes.insert(
            0, f"encoding: UTF-16 {order.get(file_encoding, 'big-endian, no byte-order mark')}"
        )
    elif file_encoding == "utf-8-sig":
        notes.insert(0, _ENCODING_NOTES["utf-8-sig"])
    else:
        # guess from the sample (whole lines); final once rows() is exhausted
        lines = sample if whole else sample[: sample.rfind(b"\n") + 1]
        probe = _LineDecoder(io.BytesIO(lines), source, False)
        cp1252_in_sample = False
        for _ in probe:
            cp1252_in_sample = cp1252_in_sample or probe.line_was_cp1252
        if cp1252_in_sample:
            table.encoding = "utf-8+cp1252" if probe.utf8_accents else "cp1252"
        notes.insert(0, _ENCODING_NOTES[table.encoding])
    notes.insert(1, f"delimiter: {_DELIMITER_NAMES[delimiter]}")
    if table._cr_only:
        notes.append("lines end with a lone carriage return (classic Mac OS)")
    table._pending = table._data_rows(records)
    return table


# ------------------------------------------------------------------------------------ XLSX

_BLANK_NOTE_START = "skipped "


def _blank_note(count: int) -> str:
    return f"skipped {count:,} empty row(s) (every cell empty or spaces)"


def _cell_text(value: object) -> str | None:
    """An XLSX cell value as the text a CSV export would hold (see module rules)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(str(value)), "f") if abs(value) < 1e16 else str(Decimal(str(value)))
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


@dataclass
class _XlsxTable(Table):
    _src: _Source | None = field(default=None, repr=False)
    _sheet: str | None = field(default=None, repr=False)
    _rows_read: int = field(default=0, repr=False)
    _max_row: int | None = field(default=None, repr=False)
    _header_row: int = field(default=1, repr=False)
    _pending: Iterator[tuple[int, dict[str, str | None]]] | None = field(default=None, repr=False)
    _workbooks: list[Any] = field(default_factory=list, repr=False)
    _blank_rows: int = field(default=0, repr=False)

    def _sheet_rows(self) -> Iterator[tuple[int, list[str | None]]]:
        from openpyxl import load_workbook

        assert self._src is not None
        try:
            workbook = load_workbook(self._src.open(), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises zip/XML/KeyError variants
            raise ReadError(
                self.source, None, None, f"not a readable XLSX file ({error})"
            ) from error
        self._workbooks.append(workbook)
        names = workbook.sheetnames
        if self._sheet is not None and self._sheet not in names:
            raise ReadError(
                self.source,
                None,
                None,
                f"no sheet named {self._sheet!r} (sheets: {', '.join(names)})",
            )
        self._sheet = self._sheet or names[0]
        if len(names) > 1 and not self.notes:
            self.notes.append(f"{len(names)} sheets ({', '.join(names)}); only this one is read")
        sheet = workbook[self._sheet]
        self._max_row = sheet.max_row
        self._rows_read = 0
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            self._rows_read = number
            yield number, [_cell_text(value) for value in values]
        workbook.close()

    def _data_rows(
        self, records: Iterator[tuple[int, list[str | None]]]
    ) -> Iterator[tuple[int, dict[str, str | None]]]:
        self._blank_rows = 0
        for number, cells in records:
            if number <= self._header_row:
                continue
            while cells and is_null(cells[-1]):
                cells.pop()
            if not cells or _blank(cells):
                self._blank_rows += 1
                continue
            cells.extend([None] * (len(self.columns) - len(cells)))  # XLSX omits empty tails
            yield number, _row_dict(self.columns, cells)
        self.notes[:] = [note for note in self.notes if not note.startswith(_BLANK_NOTE_START)]
        if self._blank_rows:
            self.notes.append(_blank_note(self._blank_rows))

    def rows(self) -> Iterator[tuple[int, dict[str, str | None]]]:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            return pending
        return self._data_rows(self._sheet_rows())

    def bytes_read(self) -> int:
        return self._rows_read

    def progress(self) -> float | None:
        if self._max_row:
            return min(1.0, self._rows_read / self._max_row)
        return None

    def close(self) -> None:
        for workbook in self._workbooks:
            workbook.close()
        self._workbooks.clear()
        if self._src is not None:
            self._src.close()


def _xlsx_open(src: _Source, source: str, size: int | None, sheet: str | None) -> Table:
    table = _XlsxTable(
        source=source,
        encoding="xlsx",
        delimiter=None,
        columns=[],
        size_bytes=size,
        _src=src,
        _sheet=sheet,
    )
    records = table._sheet_rows()
    header: list[str | None] | None = None
    for number, cells in records:
        if any(not is_null(cell) for cell in cells):
            header = cells
            table._header_row = number
            break
    if header is None:
        raise ReadError(source, None, None, f"sheet {table._sheet!r} is empty: no header row")
    while header and is_null(header[-1]):
        header.pop()
    table.columns, _ = _header([cell or "" for cell in header], source, table.notes)
    table.notes.insert(0, f"sheet {table._sheet!r}")
    if table._header_row != 1:
        table.notes.append(f"header on row {table._header_row} (rows above it are empty)")
    table._pending = table._data_rows(records)
    return table


# ------------------------------------------------------------------------------------ entry


def table_open(
    *,
    path: str | Path | None = None,
    stream: BinaryIO | None = None,
    name: str = "",
    sheet: str | None = None,
) -> Table:
    """Open a CSV or XLSX file as a streaming :class:`Table` (rules in the module docstring).

    Give ``path`` or a binary ``stream`` (an upload); ``name`` is the file name shown in
    errors (default: the path's name). ``sheet`` chooses an XLSX sheet (default: the first).
    Raises :class:`ReadError` for an unreadable file: empty, no header, a header name missing
    or repeated, a legacy .xls, a binary file, an unknown sheet.
    """
    source = name or (Path(path).name if path is not None else "upload")
    src = _source(path, stream, source)
    try:
        sample = src.sample(SAMPLE_BYTES)
        size = src.size()
        if not sample:
            raise ReadError(source, None, None, "the file is empty")
        if sample.startswith(_OLE2_MAGIC):
            raise ReadError(
                source, None, None, "legacy Excel .xls files are not read: save it as .xlsx or CSV"
            )
        if sample.startswith(_ZIP_MAGIC):
            return _xlsx_open(src, source, size, sheet)
        if source.lower().endswith((".xlsx", ".xlsm")):
            raise ReadError(source, None, None, "named .xlsx but not an XLSX file (not a zip)")
        return _csv_open(src, source, sample, size)
    except BaseException:
        src.close()
        raise
