"""Cell conversion by canonical field type, shared by the mappings.

``cell_convert(spec, column, text, formats)`` returns the Python value of a cell for a
``records.FieldSpec`` (``None`` for an empty or null cell) or raises ``values.CellError`` with a
reason. Dates and decimals go through the table's ``ColumnFormats`` (one format per column,
detected from the file: ``2026-12-31``, ``31/12/2026``, ``1 234,50``...).
"""

from __future__ import annotations

from typing import Any

from partnerprogram.imports.values import CellError, bool_parse, country_normalize, is_null

_DATE_TYPES = {"date"}
_DECIMAL_TYPES = {"decimal", "money", "amount", "quantity", "number"}
_BOOL_TYPES = {"bool", "boolean"}
_INT_TYPES = {"int", "integer"}
_COUNTRY_TYPES = {"country"}
#: what core.exports prefixes with "'" in CSV (formula injection): the quote is removed
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def unquote_formula(text: str) -> str:
    """``'=SUM(A1)`` -> ``=SUM(A1)``: undo the export's formula-injection quote (a text that
    starts with ``'`` followed by ``=``, ``+``, ``-``, ``@``, a tab or a carriage return)."""
    if text.startswith("'") and text[1:2] and text[1] in _FORMULA_START:
        return text[1:]
    return text


def cell_convert(spec: Any, column: str, text: str | None, formats: Any) -> Any:
    """The value of ``text`` for the field ``spec`` (``FieldSpec``: ``name``, ``type``,
    ``choices``), read from source column ``column``. Raises ``CellError``."""
    if text is None or is_null(text):
        return None
    text = text.strip()
    if not text:
        return None
    kind = str(getattr(spec, "type", "str")).lower()
    if kind in _DATE_TYPES:
        return formats.date(column, text)
    if kind in _DECIMAL_TYPES:
        return formats.decimal(column, text)
    if kind in _BOOL_TYPES:
        return bool_parse(text)
    if kind in _INT_TYPES:
        try:
            return int(text)
        except ValueError:
            raise CellError(f"not a whole number: {text!r}") from None
    if kind in _COUNTRY_TYPES or getattr(spec, "name", "") == "country":
        return country_normalize(text)
    choices = getattr(spec, "choices", None)
    if choices:
        folded = {str(c).casefold(): c for c in choices}
        return folded.get(text.casefold(), text)
    return unquote_formula(text)
