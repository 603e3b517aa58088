"""What every mapping shares: binding a source header to canonical fields, converting cells,
reporting conversion errors against the source column.

A *mapping* (``Mapping``) turns the rows of a source file (``{source column: text | None}``, as
``readers.Table.rows()`` yields them) into canonical rows (``{canonical field: value}``, what
``core.records.records_upsert`` takes). Binding it to a file (``Mapping.bind``) checks the
header once: a file without a column the mapping needs is refused as a whole
(``MappingRefused``), before any row is read.

A row whose cells do not convert (bad date, bad amount, missing required value...) is *rejected
by the mapping*: it never reaches the upsert, and each problem is a ``RowError`` naming the
source column. A row the upsert rejects comes back with canonical field names; the bound
mapping's ``source_column(field)`` names the source column they came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from partnerprogram.core.upserts import RowError

#: a source row as the readers yield it: (1-based line, {column: text or None})
SourceRow = tuple[int, dict[str, str | None]]
#: a canonical row as records_upsert takes it
CanonicalRow = tuple[int, dict[str, Any]]

_NOT_ALNUM = re.compile(r"[\s_\-]+")


def header_key(name: str) -> str:
    """How headers are compared: case-insensitive, spaces, underscores and hyphens ignored, a
    byte-order mark or surrounding quotes/spaces dropped (``" Close_Date"`` -> ``closedate``)."""
    return _NOT_ALNUM.sub("", name.replace("\ufeff", "").strip().strip('"').casefold())


class MappingRefused(Exception):
    """The whole file cannot be imported with this mapping (unknown kind for the mapping,
    missing required columns, bad option). ``reason`` names the columns or option."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class RowOutcome:
    """A mapped row: its canonical fields, or the errors that reject it."""

    row: int
    fields: dict[str, Any] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)


class BoundMapping:
    """A mapping bound to one file's header and one kind.

    ``rows(source)`` maps each source row lazily (memory bounded): it yields ``RowOutcome``
    (either fields or errors). ``source_column(field)`` gives the source column a canonical
    field comes from ('' when none: a default or a derived value). ``notes`` are sentences for
    the report (ignored columns, defaults applied). ``columns_used`` maps canonical field ->
    source column for the report.
    """

    def __init__(self, *, kind: str, mapping_name: str) -> None:
        self.kind = kind
        self.mapping_name = mapping_name
        self.notes: list[str] = []
        self.columns_used: dict[str, str] = {}

    def source_column(self, canonical: str) -> str:
        """The source column of ``canonical`` (the canonical name itself when unmapped)."""
        return self.columns_used.get(canonical, canonical)

    def rows(self, source: Iterable[SourceRow]) -> Iterator[RowOutcome]:  # pragma: no cover
        raise NotImplementedError


class Mapping:
    """A named way to read source files. Subclasses set ``name``, ``title``, ``kinds`` and
    implement ``bind``."""

    name: str = ""
    title: str = ""
    kinds: tuple[str, ...] = ()

    def bind(
        self,
        *,
        kind: str,
        columns: list[str],
        formats: Any,
        defaults: MappingType[str, str] | None = None,
    ) -> BoundMapping:  # pragma: no cover
        """Check ``columns`` (the file's header) for ``kind``; raise ``MappingRefused`` when
        the file cannot be read with this mapping. ``formats`` is the table's
        ``values.ColumnFormats``; ``defaults`` are values for canonical fields the file lacks
        (``--set field=value``)."""
        raise NotImplementedError

    def check_kind(self, kind: str) -> None:
        """``MappingRefused`` unless this mapping reads ``kind``."""
        if kind not in self.kinds:
            raise MappingRefused(
                f"mapping {self.name!r} does not read kind {kind!r} "
                f"(it reads: {', '.join(self.kinds)})"
            )


def find_columns(columns: Iterable[str]) -> dict[str, str]:
    """``{header_key(column): column}`` for a file's header (first occurrence wins)."""
    found: dict[str, str] = {}
    for column in columns:
        found.setdefault(header_key(column), column)
    return found


def columns_unique(columns: Iterable[str], fields: MappingType[str, str]) -> None:
    """``MappingRefused`` when two columns of a file map to the same field.

    ``fields`` maps a :func:`header_key` to the field it fills (``{"joinedon": "joined_on"}``);
    ``joined on`` and ``joined_on``, or ``Name`` and ``NAME``, would otherwise both fill it and
    one would be silently dropped. Columns the mapping ignores may repeat."""
    first: dict[str, str] = {}
    for column in columns:
        key = header_key(column)
        if key not in fields:
            continue
        if key in first:
            raise MappingRefused(
                f"columns {first[key]!r} and {column!r} both map to the field {fields[key]}: "
                "keep one of them"
            )
        first[key] = column


def option_name(field_name: str) -> str:
    """How a default is given on the command line: ``--partner`` or ``--set FIELD``."""
    return "--partner" if field_name == "partner" else f"--set {field_name}"


def text_or_none(value: str | None) -> str | None:
    """A cell stripped; '' becomes None."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def month_start(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def decimal_text(value: Decimal) -> str:
    """A Decimal as plain text (no exponent), for error values."""
    return format(value, "f")
