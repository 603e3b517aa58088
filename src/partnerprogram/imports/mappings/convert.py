"""Cell conversion by canonical field type, shared by the mappings.

``cell_converter(spec, column, formats)`` returns, once per column, a function ``text -> value``
for a ``records.FieldSpec`` (``None`` for an empty or null cell) that raises
``values.CellError`` with a reason. ``cell_convert`` converts one cell. Dates and decimals go
through the table's ``ColumnFormats`` (one format per column, detected from the file:
``2026-12-31``, ``31/12/2026``, ``1 234,50``...); ``country`` fields are normalised to ISO
3166 alpha-2 (``France`` -> ``FR``); a ``choice`` matches its choices ignoring case; text loses
the export's formula-injection quote (``'=x`` -> ``=x``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from partnerprogram.imports.values import (
    CellError,
    bool_parse,
    country_normalize,
    is_null,
    is_null_word,
)

#: what core.exports prefixes with "'" in CSV (formula injection): the quote is removed
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: what a re-importable export escapes with one more "'" (imports/exports.py)
_ESCAPED = (*_FORMULA_START, "'")

Converter = Callable[[str | None], Any]


def unquote_formula(text: str) -> str:
    """``'=SUM(A1)`` -> ``=SUM(A1)``: undo the export's escaping quote: a text that starts with
    ``'`` followed by ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (formula
    injection), by another ``'`` (``''=x`` -> ``'=x``), or that is ``'`` and a null word
    (``'NULL`` -> ``NULL``, the text, not an empty value). Exactly one ``'`` is removed."""
    if text.startswith("'") and text[1:2] and (text[1] in _ESCAPED or is_null_word(text[1:])):
        return text[1:]
    return text


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise CellError(f"not a whole number: {text!r}") from None


def cell_converter(spec: Any, column: str, formats: Any) -> Converter:
    """The converter of source column ``column`` holding field ``spec`` (``FieldSpec``:
    ``name``, ``type`` in str/date/decimal/int/bool/choice/ref, ``choices``)."""
    kind = str(getattr(spec, "type", "str"))
    parse: Callable[[str], Any]
    if kind == "date":

        def parse(text: str) -> Any:
            return formats.date(column, text)

    elif kind == "decimal":

        def parse(text: str) -> Any:
            return formats.decimal(column, text)

    elif kind == "bool":
        parse = bool_parse
    elif kind == "int":
        parse = _int
    elif getattr(spec, "name", "") == "country":
        parse = country_normalize
    elif getattr(spec, "choices", None):
        folded = {str(c).casefold(): c for c in spec.choices}

        def parse(text: str) -> Any:
            return folded.get(text.casefold(), text)

    else:
        parse = unquote_formula

    def convert(text: str | None) -> Any:
        if text is None:
            return None
        text = text.strip()
        if not text or (len(text) == 4 and is_null(text)):  # "" or NULL in any case
            return None
        return parse(text)

    return convert


def cell_convert(spec: Any, column: str, text: str | None, formats: Any) -> Any:
    """The value of one cell ``text`` of column ``column`` for field ``spec``; raises
    ``CellError``."""
    return cell_converter(spec, column, formats)(text)
