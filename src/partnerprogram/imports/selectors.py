"""Reads of the import history (the console's imports page)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from partnerprogram.imports.models import ImportRun

#: the history export's columns
RUN_EXPORT_COLUMNS = (
    "started_at",
    "actor",
    "kind",
    "mapping",
    "file_name",
    "sha256",
    "dry_run",
    "strict",
    "applied",
    "created",
    "updated",
    "unchanged",
    "rejected",
    "duration_ms",
)
#: the error report export's columns
ERROR_EXPORT_COLUMNS = ("row", "column", "value", "reason")


def import_runs_list() -> QuerySet[ImportRun]:
    """Every import run, newest first, without the (possibly large) JSON report."""
    return ImportRun.objects.defer("report").order_by("-started_at", "-pk")


def import_run_get(*, pk: int) -> ImportRun | None:
    """The run with this id, or ``None``."""
    return ImportRun.objects.filter(pk=pk).first()


def import_run_export_rows(runs: QuerySet[ImportRun]) -> Iterator[tuple[Any, ...]]:
    """Rows of ``RUN_EXPORT_COLUMNS`` for ``runs`` (streamed)."""
    return runs.values_list(*RUN_EXPORT_COLUMNS).iterator(chunk_size=2000)


def import_run_errors(run: ImportRun) -> list[dict[str, Any]]:
    """The run's rejected rows: ``[{row, column, value, reason}]`` in row order."""
    errors = run.report.get("errors", []) if isinstance(run.report, dict) else []
    return list(errors)


def import_error_export_rows(run: ImportRun) -> Iterator[tuple[Any, ...]]:
    """Rows of ``ERROR_EXPORT_COLUMNS`` for the run's error report."""
    for error in import_run_errors(run):
        yield tuple(error.get(name, "") for name in ERROR_EXPORT_COLUMNS)
