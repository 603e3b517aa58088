"""The generic mapping: one column per canonical field of the kind (``records.kind_fields``),
documented in ``docs/imports.md``; what ``partnerprogram export`` writes, so an export
re-imports to the same data.

A required field left empty rejects the row ("missing amount"), like a cell that does not
convert (bad date, bad number): such a row is reported and never reaches the upsert (so it does
not count as the first occurrence of its external id). Header matching ignores case, spaces,
underscores and hyphens (``Close Date`` = ``close_date``).
Columns the kind does not know are ignored and listed in the report's notes. A file without a
required column is refused as a whole, naming the missing columns. An optional column absent
from the file leaves the field out of the row (the upsert keeps what is stored, or the default
for a new record); ``--set field=value`` fills a field the file lacks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from collections.abc import Mapping as MappingType
from typing import Any

from partnerprogram.core.records import kind_fields
from partnerprogram.core.upserts import RowError
from partnerprogram.imports.mappings.base import (
    BoundMapping,
    Mapping,
    MappingRefused,
    RowOutcome,
    SourceRow,
    columns_unique,
    find_columns,
    header_key,
    option_name,
)
from partnerprogram.imports.mappings.convert import cell_convert, cell_converter
from partnerprogram.imports.values import CellError


def defaults_convert(
    *, kind: str, defaults: MappingType[str, str] | None, formats: Any
) -> dict[str, Any]:
    """``--set field=value`` pairs converted like cells; ``MappingRefused`` for an unknown field
    or a value that does not convert."""
    if not defaults:
        return {}
    specs = {spec.name: spec for spec in kind_fields(kind)}
    converted: dict[str, Any] = {}
    for name, text in defaults.items():
        spec = specs.get(name)
        if spec is None and name == "partner":
            raise MappingRefused(
                f"--partner: kind {kind!r} has no partner field (--partner gives the partner "
                "of every row of a file without a partner column)"
            )
        if spec is None:
            raise MappingRefused(
                f"--set {name}=...: kind {kind!r} has no field {name!r} "
                f"(fields: {', '.join(specs)})"
            )
        try:
            converted[name] = cell_convert(spec, f"--set {name}", text, formats)
        except CellError as exc:
            raise MappingRefused(f"--set {name}={text!r}: {exc.reason}") from None
    return converted


class GenericBound(BoundMapping):
    """The generic mapping bound to a header: ``columns_used`` field -> source column."""

    def __init__(
        self, *, kind: str, columns: list[str], formats: Any, defaults: dict[str, Any]
    ) -> None:
        super().__init__(kind=kind, mapping_name="generic")
        self.specs = kind_fields(kind)
        self.formats = formats
        self.defaults = defaults
        by_key = find_columns(columns)
        known = {header_key(spec.name) for spec in self.specs}
        columns_unique(columns, {header_key(spec.name): spec.name for spec in self.specs})
        for spec in self.specs:
            column = by_key.get(header_key(spec.name))
            if column is not None:
                self.columns_used[spec.name] = column
        for name in defaults:
            if name in self.columns_used:
                raise MappingRefused(
                    f"{option_name(name)} conflicts with the file's column "
                    f"{self.columns_used[name]}: the file gives it on every row (remove the "
                    "option, or the column)"
                )
        missing = [
            spec.name
            for spec in self.specs
            if spec.required and spec.name not in self.columns_used and spec.name not in defaults
        ]
        if missing:
            raise MappingRefused(
                f"missing required column(s) for {kind}: {', '.join(missing)} "
                f"(found: {', '.join(columns) or 'none'})"
            )
        ignored = [c for c in columns if header_key(c) not in known]
        if ignored:
            self.notes.append(f"columns ignored (not fields of {kind}): {', '.join(ignored)}")
        applied = [name for name in defaults if name not in self.columns_used]
        if applied:
            self.notes.append(
                "set for every row: " + ", ".join(f"{name}={defaults[name]}" for name in applied)
            )
        self._plan = [
            (
                spec.name,
                self.columns_used[spec.name],
                cell_converter(spec, self.columns_used[spec.name], formats),
                spec.required,
                spec.name in defaults,
            )
            for spec in self.specs
            if spec.name in self.columns_used
        ]
        self._fixed = {
            name: value for name, value in defaults.items() if name not in self.columns_used
        }

    def rows(self, source: Iterable[SourceRow]) -> Iterator[RowOutcome]:
        plan, fixed, defaults = self._plan, self._fixed, self.defaults
        for number, cells in source:
            fields = dict(fixed)
            errors: list[RowError] = []
            for name, column, convert, required, defaulted in plan:
                text = cells.get(column)
                try:
                    value = convert(text)
                except CellError as exc:
                    errors.append(
                        RowError(row=number, column=column, value=text or "", reason=exc.reason)
                    )
                    continue
                if value is None:
                    if defaulted:
                        value = defaults[name]
                    elif required:
                        errors.append(
                            RowError(row=number, column=column, value="", reason=f"missing {name}")
                        )
                        continue
                fields[name] = value
            yield RowOutcome(row=number, fields=fields, errors=errors)


class GenericMapping(Mapping):
    """Columns named after the canonical fields (docs/imports.md lists them per kind)."""

    name = "generic"
    title = "Generic (documented columns)"

    @property
    def kinds(self) -> tuple[str, ...]:  # type: ignore[override]
        from partnerprogram.core.records import KINDS

        return tuple(KINDS)

    def bind(
        self,
        *,
        kind: str,
        columns: list[str],
        formats: Any,
        defaults: MappingType[str, str] | None = None,
    ) -> BoundMapping:
        self.check_kind(kind)
        return GenericBound(
            kind=kind,
            columns=columns,
            formats=formats,
            defaults=defaults_convert(kind=kind, defaults=defaults, formats=formats),
        )
