"""Exports of facts in the generic mapping's columns: what ``partnerprogram export`` and the
console's "re-importable data" downloads write, so that an export re-imports to the same data
(``partnerprogram import KIND FILE`` with the generic mapping: every row ``unchanged`` on the
same database; identical rows on an empty one).

Columns are the kind's canonical fields (``core.records.kind_fields``) in documentation order;
references are written as the referenced row's external id (a certification's code). Values
follow ``core.exports`` (ISO dates, plain decimals, ``true``/``false``; in CSV a text starting
with ``=``, ``+``, ``-`` or ``@`` is prefixed with ``'``, which the generic import removes).

Texts the import would otherwise read differently are escaped with one more leading ``'``
(:func:`reimport_text`), in CSV and XLSX alike: a text that is a null word (``NULL``, ``null``:
the import reads those as empty) is written ``'NULL``, and a text that already starts with
``'`` (``'=x``, ``'abc``) is written ``''=x``, ``''abc``. The generic import removes exactly
one such ``'`` (``mappings.convert.unquote_formula``), so every text round-trips.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db.models import QuerySet

# the writers behind core.exports.export_response, used here to write a file rather than a
# response (closing a response would signal the end of a request and close the connection)
from partnerprogram.core.exports import ExportFormat, csv_stream, xlsx_file
from partnerprogram.core.records import KINDS, kind_fields
from partnerprogram.imports.values import is_null_word

#: rows fetched per database round trip while streaming an export
EXPORT_CHUNK = 2000


def reimport_text(value: Any) -> Any:
    """``value`` as a re-importable export writes it: a text that is a null word (``NULL`` in
    any case, spaces around) or starts with ``'`` gets one more leading ``'``; other values
    are returned unchanged (``core.exports`` then adds the formula-injection ``'`` in CSV)."""
    if isinstance(value, str) and (value.startswith("'") or is_null_word(value)):
        return "'" + value
    return value


def _escaped(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    for row in rows:
        yield tuple(reimport_text(value) for value in row)


def _lookup(kind: str, name: str) -> str:
    spec = KINDS[kind]
    field = spec.field(name)
    if field.type != "ref":
        return field.model_attr
    assert field.ref_kind is not None
    target = KINDS[field.ref_kind]
    key_attr = target.field(target.key[0]).model_attr
    return f"{field.model_attr}__{key_attr}"


def fact_export_columns(kind: str) -> list[str]:
    """The header of an export of ``kind``: its canonical field names. ``KeyError`` for an
    unknown kind."""
    return [f.name for f in kind_fields(kind)]


def fact_rows_export(
    *, kind: str, queryset: QuerySet[Any] | None = None
) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """``(header, rows)`` of every fact of ``kind`` (or of ``queryset``, a queryset of the
    kind's model, e.g. filtered as a list shows it), in the generic mapping's columns, ordered
    by primary key. ``rows`` is a lazy iterator (one query, streamed in chunks of 2,000):
    Python values (``date``, ``Decimal``, ``bool``, ``str``, ``None``) ready for
    ``core.exports.export_response``. ``KeyError`` for an unknown kind."""
    spec = KINDS[kind]
    header = fact_export_columns(kind)
    lookups = [_lookup(kind, name) for name in header]
    source = queryset if queryset is not None else spec.model._default_manager.all()
    rows = source.order_by("pk").values_list(*lookups).iterator(chunk_size=EXPORT_CHUNK)
    return header, _escaped(rows)


def fact_export_write(*, kind: str, path: Path, fmt: ExportFormat) -> int:
    """Write every fact of ``kind`` to ``path`` as ``fmt`` (``csv`` or ``xlsx``) with the same
    writers and rules as the console's downloads (``core.exports``); returns the number of
    rows. ``KeyError`` for an unknown kind, ``OSError`` when the file cannot be written."""
    header, rows = fact_rows_export(kind=kind)
    count = 0

    def counted() -> Iterator[tuple[Any, ...]]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    with path.open("wb") as out:
        if fmt == "csv":
            for chunk in csv_stream(counted(), header):
                out.write(chunk)
        else:
            workbook = xlsx_file(counted(), header, path.stem)
            try:
                shutil.copyfileobj(workbook, out)
            finally:
                workbook.close()
    return count
