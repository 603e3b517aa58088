"""File imports: read a CSV/XLSX file, map it, upsert its rows in one transaction, report.

``file_import(kind=..., path=... | stream=..., mapping=..., dry_run=..., strict=..., actor=...)``
is what the ``partnerprogram import`` command and the console upload page call. The semantics
(docs/imports.md):

- The file is read as a stream (memory bounded), each row mapped to canonical fields
  (``imports.mappings``), then upserted by ``core.records.records_upsert`` in **one
  transaction**: the valid rows are applied together or, if anything fails (a database error,
  an unreadable row half-way through), none is.
- Every rejected row is reported with its row number (the file's line, header = 1), the
  **source** column, the value and the reason; valid rows are still applied, unless ``strict``
  (all or nothing: one rejected row and nothing is applied).
- ``dry_run`` computes exactly the same report (created, updated, unchanged, rejected, ids)
  and writes nothing but the history entry.
- Imports are upserts on the external id: re-importing a file changes nothing
  (``unchanged`` = every valid row).
- Each call is recorded as an ``ImportRun`` (history, sha256 of the file).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import transaction

from partnerprogram.core.records import KINDS, records_upsert
from partnerprogram.core.upserts import RowError, UpsertRefused, UpsertReport
from partnerprogram.imports.mappings import MappingRefused, mapping_get
from partnerprogram.imports.models import ImportRun
from partnerprogram.imports.readers import ROW_ERROR, ROW_ERROR_COLUMN, ReadError, table_open
from partnerprogram.imports.values import ColumnFormats

#: progress(rows_read, fraction done in [0, 1] or None) every PROGRESS_EVERY rows and at the end
Progress = Callable[[int, float | None], None]
PROGRESS_EVERY = 10_000
_HASH_CHUNK = 1024 * 1024


class ImportRefused(Exception):
    """The whole file is refused, nothing read into the database: unknown kind or mapping,
    unreadable file (encoding, not CSV/XLSX, an unterminated quote), missing or repeated
    columns, a bad option, or a row the reader could not parse. ``reason`` names the file and
    what is wrong (the whole sentence); ``file``, ``row`` (header = 1), ``column`` and
    ``detail`` (the reason alone) give its parts when known (``None`` otherwise)."""

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.file = file
        self.row = row
        self.column = column
        self.detail = detail if detail is not None else reason

    @classmethod
    def from_read_error(cls, error: ReadError) -> ImportRefused:
        """The refusal of a file the reader could not read (its file, row, column, reason)."""
        return cls(
            str(error),
            file=error.source,
            row=error.row,
            column=error.column,
            detail=error.reason,
        )

    def as_dict(self) -> dict[str, object]:
        """``{"error": sentence, "file", "row", "column", "reason"}`` (JSON-ready)."""
        return {
            "error": self.reason,
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "reason": self.detail,
        }


@dataclass
class ImportReport(UpsertReport):
    """An ``UpsertReport`` (counts, errors against source columns, ids, ``applied``) plus
    what was read: ``mapping``, ``source`` (file name), ``sha256``, ``size_bytes``,
    ``encoding``, ``delimiter`` (CSV), ``column_formats`` (``{column: format}`` detected for
    dates and numbers), ``notes`` (sentences: ignored columns, defaults), ``dry_run``,
    ``strict``, ``rows_read`` (data rows in the file), ``duration_s`` (wall seconds),
    ``run_id`` (the ``ImportRun``), ``options`` (the ``defaults`` given: ``--set``,
    ``--partner``), and for mappings that sum several rows into one record (FOCUS: charge
    rows -> monthly cloud usage records) ``records`` (records built from the rows) and
    ``records_rejected`` (of those, refused by the upsert; ``rejected`` minus it = rows
    rejected while reading); both ``None`` when every row is one record."""

    mapping: str = "generic"
    source: str = ""
    sha256: str = ""
    size_bytes: int = 0
    encoding: str = ""
    delimiter: str = ""
    column_formats: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False
    strict: bool = False
    rows_read: int = 0
    duration_s: float = 0.0
    run_id: int | None = None
    options: dict[str, str] = field(default_factory=dict)
    records: int | None = None
    records_rejected: int | None = None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: the upsert report's keys then ``mapping, source, sha256, size_bytes,
        encoding, delimiter, column_formats, notes, dry_run, strict, rows_read, duration_s,
        run_id, options, records, records_rejected``."""
        data = super().as_dict()
        data.update(
            {
                "mapping": self.mapping,
                "source": self.source,
                "sha256": self.sha256,
                "size_bytes": self.size_bytes,
                "encoding": self.encoding,
                "delimiter": self.delimiter,
                "column_formats": dict(self.column_formats),
                "notes": list(self.notes),
                "dry_run": self.dry_run,
                "strict": self.strict,
                "rows_read": self.rows_read,
                "duration_s": round(self.duration_s, 3),
                "run_id": self.run_id,
                "options": dict(self.options),
                "records": self.records,
                "records_rejected": self.records_rejected,
            }
        )
        return data


class _StrictRollback(Exception):
    pass


def file_sha256(path: Path) -> tuple[str, int]:
    """``(hex sha256, size in bytes)`` of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _printable(text: str) -> str:
    """``text`` with NUL characters shown as ``\\x00`` (a database cannot store them)."""
    return text.replace("\x00", "\\x00")


def _source_values(table: Any, errors: list[RowError]) -> None:
    """Replace, in place, the value of each upsert error by the cell's text as the file says
    it (``10,555``, not the converted ``10.555``), reading the file a second time for just
    those rows. Errors about a column the file does not have (a ``--set`` value, a FOCUS
    aggregate) keep their value."""
    columns = set(getattr(table, "columns", []) or [])
    wanted: dict[int, list[int]] = {}
    for position, error in enumerate(errors):
        if error.column in columns:
            wanted.setdefault(error.row, []).append(position)
    if not wanted:
        return
    last = max(wanted)
    for number, cells in table.rows():
        for position in wanted.get(number, ()):
            error = errors[position]
            raw = cells.get(error.column)
            errors[position] = RowError(
                row=error.row, column=error.column, value=_printable(raw or ""), reason=error.reason
            )
        if number >= last:
            break


def _formats_of(table: Any) -> Any:
    formats = getattr(table, "formats", None)
    if formats is not None:
        return formats
    # a ;-separated file is a French/European export: "1.250" may be 1250 (values.py rules)
    return ColumnFormats(dot_thousands=getattr(table, "delimiter", None) == ";")


def _describe_formats(formats: Any) -> dict[str, str]:
    try:
        described = formats.describe()
    except Exception:
        return {}
    if isinstance(described, dict):
        return {str(k): str(v) for k, v in described.items()}
    return {}


def file_import(
    *,
    kind: str,
    path: str | Path | None = None,
    stream: IO[bytes] | None = None,
    name: str | None = None,
    mapping: str = "generic",
    dry_run: bool = False,
    strict: bool = False,
    actor: str,
    defaults: MappingType[str, str] | None = None,
    progress: Progress | None = None,
    expected_sha256: str | None = None,
) -> ImportReport:
    """Import the file at ``path`` (or the binary ``stream``; ``name`` is its file name, which
    tells CSV from XLSX) as facts of ``kind`` read with ``mapping``.

    ``defaults``: values for canonical fields the file lacks (``--set field=value``; the FOCUS
    mapping takes ``partner``). ``actor``: who imports (``user:<name>``, ``cli:<name>``).
    ``expected_sha256``: refuse unless the file's bytes hash to it (the console applies only
    the file it previewed). ``progress(rows_read, fraction)`` (fraction of the file read, in
    [0, 1], ``None`` when unknown) is called every 10,000 rows and at the end.

    Returns an ``ImportReport`` (also stored as an ``ImportRun``); rejected rows are in it, not
    raised. Raises ``ImportRefused`` when the whole file is refused (nothing written but no
    history either).
    """
    started = time.monotonic()
    if kind not in KINDS:
        raise ImportRefused(f"unknown kind {kind!r} (kinds: {', '.join(KINDS)})")
    try:
        chosen = mapping_get(mapping)
        chosen.check_kind(kind)
    except MappingRefused as exc:
        raise ImportRefused(exc.reason, file=name or (Path(path).name if path else None)) from None
    with tempfile.TemporaryDirectory(prefix="pp-import-") as scratch:
        if path is None:
            if stream is None:
                raise ImportRefused("give a file path or a stream")
            display = name or "upload"
            spooled = Path(scratch) / (Path(display).name or "upload")
            with spooled.open("wb") as out:
                shutil.copyfileobj(stream, out, _HASH_CHUNK)
            file_path = spooled
        else:
            file_path = Path(path)
            display = name or file_path.name
            if not file_path.is_file():
                raise ImportRefused(
                    f"{file_path}: no such file", file=str(file_path), detail="no such file"
                )
        sha256, size = file_sha256(file_path)
        if expected_sha256 is not None and sha256 != expected_sha256:
            detail = (
                f"the file differs from the one previewed (sha256 {sha256[:12]}... "
                f"instead of {expected_sha256[:12]}...): preview it again"
            )
            raise ImportRefused(f"{display}: {detail}", file=display, detail=detail)
        report = _run(
            kind=kind,
            file_path=file_path,
            display=display,
            mapping_name=mapping,
            chosen=chosen,
            dry_run=dry_run,
            strict=strict,
            actor=actor,
            defaults=defaults,
            progress=progress,
        )
    report.sha256 = sha256
    report.size_bytes = size
    report.options = {str(k): str(v) for k, v in (defaults or {}).items()}
    report.duration_s = time.monotonic() - started
    run = ImportRun.objects.create(
        actor=actor,
        kind=kind,
        mapping=mapping,
        file_name=display[:255],
        sha256=sha256,
        size_bytes=size,
        dry_run=dry_run,
        strict=strict,
        applied=report.applied,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        rejected=report.rejected,
        duration_ms=int(report.duration_s * 1000),
        report={},
    )
    report.run_id = run.pk
    run.report = report.as_dict()
    run.save(update_fields=["report"])
    return report


def _run(
    *,
    kind: str,
    file_path: Path,
    display: str,
    mapping_name: str,
    chosen: Any,
    dry_run: bool,
    strict: bool,
    actor: str,
    defaults: MappingType[str, str] | None,
    progress: Progress | None,
) -> ImportReport:
    try:
        table = table_open(path=file_path, name=display)
    except ReadError as exc:
        raise ImportRefused.from_read_error(exc) from None
    with table:
        return _run_table(
            kind=kind,
            table=table,
            display=display,
            mapping_name=mapping_name,
            chosen=chosen,
            dry_run=dry_run,
            strict=strict,
            actor=actor,
            defaults=defaults,
            progress=progress,
        )


def _run_table(
    *,
    kind: str,
    table: Any,
    display: str,
    mapping_name: str,
    chosen: Any,
    dry_run: bool,
    strict: bool,
    actor: str,
    defaults: MappingType[str, str] | None,
    progress: Progress | None,
) -> ImportReport:
    formats = _formats_of(table)
    try:
        bound = chosen.bind(
            kind=kind, columns=list(table.columns), formats=formats, defaults=defaults
        )
    except MappingRefused as exc:
        raise ImportRefused(
            f"{display}: {exc.reason}", file=display, row=1, detail=exc.reason
        ) from None

    mapping_errors: list[RowError] = []
    state = {"rejected": 0, "read": 0}

    def source_rows() -> Iterator[tuple[int, dict[str, str | None]]]:
        for number, cells in table.rows():
            state["read"] += 1
            if progress is not None and state["read"] % PROGRESS_EVERY == 0:
                progress(state["read"], table.progress())
            problem = cells.get(ROW_ERROR)
            if problem is not None:  # a ragged row or a NUL character: unusable, reported
                state["rejected"] += 1
                column = cells.get(ROW_ERROR_COLUMN) or ""
                value = _printable(cells.get(column) or "") if column else ""
                mapping_errors.append(
                    RowError(row=number, column=column, value=value, reason=problem)
                )
                continue
            yield number, cells
        if progress is not None:
            progress(state["read"], table.progress())

    def canonical_rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for outcome in bound.rows(source_rows()):
            if outcome.errors:
                state["rejected"] += 1
                mapping_errors.extend(outcome.errors)
                continue
            yield outcome.row, outcome.fields

    try:
        with transaction.atomic():
            try:
                upserted = records_upsert(
                    kind=kind,
                    rows=canonical_rows(),
                    actor=actor,
                    dry_run=dry_run,
                    all_or_nothing=strict,
                )
            except UpsertRefused as exc:
                upserted = exc.report
                upserted.applied = False
            if strict and state["rejected"] and upserted.applied:
                upserted.applied = False
                raise _StrictRollback
    except _StrictRollback:
        pass
    except ReadError as exc:
        raise ImportRefused.from_read_error(exc) from None

    errors = [
        RowError(row=e.row, column=bound.source_column(e.column), value=e.value, reason=e.reason)
        for e in upserted.errors
    ]
    if mapping_name != "focus":  # FOCUS records are sums of rows: no one cell to show
        _source_values(table, errors)
    errors.extend(mapping_errors)
    errors.sort(key=lambda e: e.row)
    report = ImportReport(
        kind=kind,
        created=upserted.created,
        updated=upserted.updated,
        unchanged=upserted.unchanged,
        rejected=upserted.rejected + state["rejected"],
        errors=errors,
        created_ids=list(upserted.created_ids),
        updated_ids=list(upserted.updated_ids),
        applied=upserted.applied and not dry_run,
        mapping=mapping_name,
        source=display,
        encoding=str(getattr(table, "encoding", "") or ""),
        delimiter=str(getattr(table, "delimiter", "") or ""),
        column_formats=_describe_formats(formats),
        notes=[*list(getattr(table, "notes", []) or []), *bound.notes],
        dry_run=dry_run,
        strict=strict,
        rows_read=state["read"],
    )
    records = getattr(bound, "records", None)
    if records is not None:  # rows summed into records (FOCUS)
        report.records = records
        report.records_rejected = upserted.rejected
    return report
