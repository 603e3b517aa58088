"""The shared shapes of fact upserts: what the API's bulk endpoints and the file imports both
call (``records_upsert`` in ``partnerprogram.core.records``) and what they get back.

A row is ``(row_number, {field: value})``: ``row_number`` is the 1-based line of the source file
(the header is line 1, so the first data row is 2) or the 1-based index of the item in an API
payload; ``field`` is a canonical field name of the kind (documented in ``docs/imports.md``);
values are Python values (``date``, ``Decimal``, ``str``, ``bool``, ``None``) or ISO strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RowError:
    """Why one value of one row was rejected.

    ``row``: 1-based source row (file line, header = 1; or payload item index);
    ``column``: the canonical field name, or the source column name once an import maps it back;
    ``value``: the offending value as text ('' when missing); ``reason``: a sentence in English.
    """

    row: int
    column: str
    value: str
    reason: str


@dataclass
class UpsertReport:
    """The outcome of an upsert of one kind of fact.

    Counts are rows: ``created`` (new external id), ``updated`` (existing, some field changed),
    ``unchanged`` (existing, identical), ``rejected`` (at least one error; each error is in
    ``errors``). ``created_ids`` / ``updated_ids`` list external ids (what a dry run shows).
    ``applied`` is False for a dry run and for an all-or-nothing upsert refused because of errors.
    """

    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    created_ids: list[str] = field(default_factory=list)
    updated_ids: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def total(self) -> int:
        """Rows read: created + updated + unchanged + rejected."""
        return self.created + self.updated + self.unchanged + self.rejected

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: ``{kind, created, updated, unchanged, rejected, applied, errors: [{row,
        column, value, reason}], created_ids, updated_ids}``."""
        return {
            "kind": self.kind,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "applied": self.applied,
            "errors": [
                {"row": e.row, "column": e.column, "value": e.value, "reason": e.reason}
                for e in self.errors
            ],
            "created_ids": list(self.created_ids),
            "updated_ids": list(self.updated_ids),
        }


class UpsertRefused(Exception):
    """An all-or-nothing upsert met at least one rejected row: nothing was written.
    ``report`` holds every error."""

    def __init__(self, report: UpsertReport) -> None:
        super().__init__(f"{report.rejected} rejected row(s) in {report.kind}: nothing applied")
        self.report = report
