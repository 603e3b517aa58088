"""Upserts of facts by external id: the one domain layer behind the REST API's bulk endpoints
and the file imports.

``records_upsert(kind=..., rows=...)`` reads ``(row_number, {canonical_field: value})`` pairs,
validates each row, resolves its references, compares it with the stored row of the same key
and creates, updates or leaves it unchanged. The kinds and their fields are declared in
``partners/records.py``, ``enablement/records.py`` and ``sales/records.py``; ``KINDS`` gathers
them and ``kind_fields`` documents them.

Row semantics (the same for every kind):

- Keys not among the kind's fields are ignored (a file carries extra columns). Strings are
  stripped; a blank string is an empty value.
- A **required** field must be present and non-empty in every row, on creation and on update.
- An **optional** field absent from the row keeps its stored value on update (its model default
  on creation); present but empty, it clears the stored value (blank text, null date, the model
  default for a choice, ``0`` for a quantity).
- A row is identified by its kind's key: ``external_id`` (a certification's ``code``, a
  credential's ``credential_id``), except involvements, identified by
  ``(opportunity, partner, role)``. The same key twice in one call: the first row is kept, the
  later ones are rejected with a reason naming the first row (and saying when that one was
  rejected too).
- Keys and references are taken exactly as written: one with leading or trailing spaces or a
  control character (tab, new line, NUL) is rejected, never trimmed into another id.
- References are external ids (certifications: their code); an unknown one rejects the row. A
  partner's ``merged_into`` may name a partner created on an earlier row of the same call,
  whatever the chunk.
- Currencies must be ISO 4217 codes that the engine can convert: a program currency (of a
  stored program version; EUR while none is stored) or a currency with an exchange rate.
- Errors are found stage by stage. First, for every row: field errors (type, format, bounds,
  ISO codes: all of the row's fields), the currency's exchange rate, the kind's chunk rules
  (partners: mergers) and the references that parsed, so that a row lists all these problems
  at once. Then, for rows without any: the stored row's owner (partner scope), cross-field
  invariants, unique constraints. A row rejected at this second stage is not checked further.
  ``rejected`` counts rows, not errors.
- Model invariants (dates in order, non-negative amounts, channel and transacting partner, the
  first day of a month...) and the models' unique constraints are checked before writing, so a
  rejected row never reaches the database.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pydantic
from django.db import connection, models, transaction

from partnerprogram.audit.models import AuditEvent
from partnerprogram.core.models import ExchangeRate
from partnerprogram.core.upserts import (
    FieldSpec,
    KindSpec,
    RowContext,
    RowError,
    UpsertRefused,
    UpsertReport,
)
from partnerprogram.enablement.records import ENABLEMENT_KINDS
from partnerprogram.partners.models import Partner
from partnerprogram.partners.records import PARTNER_KINDS
from partnerprogram.sales.records import SALES_KINDS

__all__ = [
    "ID_CAP",
    "KINDS",
    "FieldSpec",
    "KindSpec",
    "kind_fields",
    "records_upsert",
]

#: Every kind of fact, by name, in the order a full load should follow (references first).
_ALL = {k.name: k for k in (*PARTNER_KINDS, *ENABLEMENT_KINDS, *SALES_KINDS)}
KINDS: dict[str, KindSpec] = {
    name: _ALL[name]
    for name in (
        "partners",
        "customers",
        "people",
        "certifications",
        "credentials",
        "opportunities",
        "involvements",
        "deal_registrations",
        "bookings",
        "cloud_usage",
    )
}

#: ``created_ids`` and ``updated_ids`` list at most this many ids (the counts stay exact): a
#: report of a million-row import stays a few kilobytes.
ID_CAP = 1000
#: Values per ``IN (...)`` lookup: under SQLite's historical limit of 999 parameters.
IN_BATCH = 900
#: Objects per INSERT / UPDATE statement (Django lowers it further to SQLite's limit).
WRITE_BATCH = 1000


def kind_fields(kind: str) -> list[FieldSpec]:
    """The canonical fields of ``kind`` in documentation order: name, type, required, choices,
    ref_kind, help, example (``FieldSpec.as_dict()`` is JSON-ready). Raises ``KeyError`` for an
    unknown kind."""
    return list(KINDS[kind].fields)


def records_upsert(
    *,
    kind: str,
    rows: Iterable[tuple[int, dict[str, Any]]],
    actor: str,
    dry_run: bool = False,
    all_or_nothing: bool = False,
    partner: Partner | None = None,
    chunk_size: int = 5000,
    progress: Callable[[int], None] | None = None,
    on: date | None = None,
) -> UpsertReport:
    """Create or update the facts of ``kind`` from ``rows``, by external id.

    ``rows``: ``(row_number, {canonical_field: value})`` pairs, read once as a stream in chunks
    of ``chunk_size`` (memory stays bounded: one chunk of rows plus the within-call duplicate
    index, about 100 bytes per distinct key, i.e. ~100 MB for a million rows); values are Python
    values or ISO date / plain number strings. ``actor``: ``user:<name>`` or
    ``system:<job>``, recorded in the audit trail. ``progress(rows_done)`` is called after each
    chunk.

    Per chunk the work is set-based: one lookup per referenced kind, one for the stored rows,
    one per unique constraint (each split in batches of ``IN_BATCH`` keys), then one
    ``bulk_create`` of the new rows and one ``bulk_update`` of the changed rows (only rows with
    a changed field are written). Identical rows are counted ``unchanged``, so the same rows
    twice create and update nothing the second time.

    The whole call runs in one transaction: a crash rolls everything back.

    - ``all_or_nothing=False`` (file imports): valid rows are applied, rejected rows reported.
    - ``all_or_nothing=True`` (API bulk): any rejected row -> nothing is written and
      ``UpsertRefused(report)`` is raised with every error (also with ``dry_run``).
    - ``dry_run=True``: the upsert runs as a real one inside the transaction, which is then
      rolled back: the report (counts, ids, errors) is exactly what a real run would report,
      ``applied`` is False.

    ``partner``: a partner-scoped call (partner API token, portal). Only kinds with
    ``partner_writable`` may be written (``people`` and ``deal_registrations``; any other kind
    raises ``PermissionError`` before reading a row). The ``partner`` field may be omitted (it
    defaults to the scoped partner); a row naming another partner is rejected as an "unknown
    partner", a row whose external id belongs to another partner's row as an "unknown external
    id" (the reasons never say whose); ``vendor_only`` fields must stay empty (a partner's update
    keeps their stored values, even when it sends them blank). Rows of partners merged into the
    scoped partner are not writable through it. See the kinds'
    ``scoped_check`` for deal registrations (status ``submitted`` only; no change once decided;
    the portal's submission rules of ``sales.rules.deal_registration_problems``;
    ``registered_on`` is today in the program time zone, or ``on`` when given).
    Partner-scoped deal registrations created are audited one event each
    (``deal_registration.submitted``, as in the portal).

    Audit: one summary event per applied call (``records.upserted``, object type the model,
    object id the kind, the four counts in ``changes``) — not one event per row, which would
    double the writes of a million-row import.

    Report: ``created``/``updated``/``unchanged``/``rejected`` are exact; ``created_ids`` and
    ``updated_ids`` hold the first ``ID_CAP`` (1,000) keys (involvements:
    ``opportunity/partner/role``); ``errors`` holds every error. Raises ``KeyError`` for an
    unknown kind, ``ValueError`` for a ``chunk_size`` below 1.
    """
    spec = KINDS[kind]
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    if partner is not None and not spec.partner_writable:
        raise PermissionError(f"a partner may not write {kind}")
    report = UpsertReport(kind=kind)
    upsert = _Upsert(spec=spec, partner=partner, report=report, actor=actor, on=on)
    with transaction.atomic():
        done = 0
        for chunk in _chunks(rows, chunk_size):
            upsert.process(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done)
        refused = all_or_nothing and report.rejected > 0
        if refused or dry_run:
            transaction.set_rollback(True)
        else:
            report.applied = True
            _audit(report=report, spec=spec, actor=actor, partner=partner)
    if refused:
        raise UpsertRefused(report)
    return report


def _chunks(
    rows: Iterable[tuple[int, dict[str, Any]]], size: int
) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    it = iter(rows)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _batches(values: Iterable[Any], size: int = IN_BATCH) -> Iterator[list[Any]]:
    it = iter(values)
    while batch := list(itertools.islice(it, size)):
        yield batch


def _audit(*, report: UpsertReport, spec: KindSpec, actor: str, partner: Partner | None) -> None:
    # One summary event for the whole call (``audit_record`` wants one saved object; a bulk
    # upsert is about many). Object id = the kind; the counts as {name: [None, count]}.
    scope = f" for partner {partner.external_id}" if partner is not None else ""
    AuditEvent.objects.create(
        actor=actor,
        action="records.upserted",
        object_type=spec.model._meta.label_lower,
        object_id=spec.name,
        object_repr=f"{report.total} {spec.name} rows"[:255],
        changes={
            name: [None, getattr(report, name)]
            for name in ("created", "updated", "unchanged", "rejected")
        },
        note=f"upserted {report.total} rows of {spec.name} by {actor}{scope}",
    )


def _reason(error: Any, spec: FieldSpec | None) -> str:
    """An English sentence for one pydantic error of one field."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    name = spec.name if spec is not None else str(error["loc"][0] if error["loc"] else "row")
    if kind == "missing":
        return f"{name} is required."
    if spec is not None and spec.pattern_help and kind.startswith("string_"):
        return spec.pattern_help
    if kind == "string_too_long":
        return f"{name} is longer than {ctx.get('max_length')} characters."
    if kind == "string_pattern_mismatch":
        return f"{name} does not have the expected format."
    if kind.startswith("date"):
        return f"{name} is not a date: write it as YYYY-MM-DD (e.g. 2026-09-30)."
    if kind in ("decimal_parsing", "decimal_type", "finite_number"):
        return f"{name} is not a number: write it with a dot for decimals (e.g. 1250.50)."
    if kind in ("decimal_max_places",):
        return f"{name} has more than {ctx.get('decimal_places')} decimals."
    if kind in ("decimal_max_digits", "decimal_whole_digits"):
        return f"{name} is too large."
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        if str(bound) == "0":
            return f"{name} cannot be negative."
        return f"{name} must be at least {bound}."
    if kind in ("less_than_equal", "less_than"):
        return f"{name} must be at most {ctx.get('le', ctx.get('lt'))}."
    if kind.startswith("int"):
        return f"{name} is not a whole number."
    if kind.startswith("bool"):
        return f"{name} is not a yes/no value: write true or false."
    if kind == "literal_error":
        choices = ", ".join(spec.choices) if spec is not None else ctx.get("expected", "")
        return f"{name} must be one of: {choices}."
    if kind == "value_error":
        return f"{name} {ctx.get('error', '')}."
    if kind == "string_type":
        return f"{name} must be text."
    return f"{name}: {error['msg']}."


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(slots=True)
class _Row:
    """One row on its way through a chunk."""

    number: int
    clean: dict[str, Any]
    key: tuple[str, ...] | None
    values: dict[str, Any]
    provided: frozenset[str]
    final: dict[str, Any] | None = None
    existing: dict[str, Any] | None = None
    pk: int | None = None
    #: field errors already reported: the row is only checked for its references
    bad: bool = False
    #: fields given their ``scoped_defaults`` value (an update keeps the stored one instead)
    defaulted: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class _Pending:
    """A reference to a row of the same kind on an earlier row of the same chunk, not yet
    written: resolved after the chunk's INSERT."""

    external_id: str


def _id_problem(name: str, value: str) -> str | None:
    """Why ``value`` cannot be an external id (``None``: it can)."""
    if value.isprintable() and value == value.strip():
        return None  # the common case, in C
    if any(unicodedata.category(c) == "Cc" for c in value):
        return (
            f"{name} contains a control character (tab, new line, NUL...): an id cannot hold one."
        )
    if value != value.strip() and value.strip():
        return (
            f"{name} has leading or trailing spaces: ids are taken exactly as written, remove "
            "the spaces."
        )
    return None


@dataclass(frozen=True, slots=True)
class _Duplicate:
    """A row repeating the key of an earlier row of the call (its reason is written once the
    chunk knows whether that earlier row is kept)."""

    number: int
    key: tuple[str, ...]
    first: int


class _Upsert:
    """The state of one ``records_upsert`` call across its chunks."""

    def __init__(
        self,
        *,
        spec: KindSpec,
        partner: Partner | None,
        report: UpsertReport,
        actor: str = "",
        on: date | None = None,
    ) -> None:
        self.spec = spec
        self.partner = partner
        self.report = report
        self.actor = actor
        self.context: Any = None
        self.scoped_defaults: dict[str, Any] = {}
        if partner is not None and spec.scoped_context is not None:
            self.context = spec.scoped_context(partner, on)
            if spec.scoped_defaults is not None:
                self.scoped_defaults = spec.scoped_defaults(self.context)
        self.model = spec.model
        self.fields = {f.name: f for f in spec.fields}
        self.names = [f.name for f in spec.fields]
        meta = spec.model._meta
        self.model_fields: dict[str, models.Field[Any, Any]] = {}
        # canonical name -> attribute / column holding the raw value (``partner_id``)
        self.attnames: dict[str, str] = {}
        self.columns: dict[str, str] = {}
        for f in spec.fields:
            mf = meta.get_field(f.model_attr)
            assert isinstance(mf, models.Field) and mf.column
            self.model_fields[f.name] = mf
            self.attnames[f.name] = mf.attname
            self.columns[f.name] = mf.column
        self.defaults: dict[str, Any] = {}
        self.empty: dict[str, Any] = {}
        for name, mf in self.model_fields.items():
            assert isinstance(mf, models.Field)
            default = mf.get_default()
            self.defaults[name] = default
            self.empty[name] = None if mf.null else default
        self.refs = [f for f in spec.fields if f.type == "ref"]
        # keys and references: taken exactly as written
        self.id_fields = [
            f.name
            for f in spec.fields
            if f.type == "ref" or (f.name in spec.key and f.type == "str")
        ]
        self.currency = "currency" if "currency" in self.fields else None
        self._convertible: set[str] | None = None
        self.vendor_only = [f.name for f in spec.fields if f.vendor_only]
        self.frozen = [*spec.scoped_frozen, *self.vendor_only]
        self.required = {f.name for f in spec.fields if f.required}
        self.single_key = spec.key == ("external_id",)
        self.input_model = spec.input_model
        # Within-call duplicate index: {hash(key): first row number}. Python's 64-bit hash of
        # the key string (or tuple) instead of the key itself: about 100 bytes per distinct
        # key (dict slot + two ints) whatever the length of the external id, i.e. ~100 MB for
        # a million rows. Two different keys sharing a 64-bit hash (odds ~3e-8 for a million
        # keys) would wrongly reject the second as a duplicate.
        self.seen: dict[int, int] = {}

    # -- a chunk ------------------------------------------------------------------------------

    def process(self, chunk: list[tuple[int, dict[str, Any]]]) -> None:
        """Validate, resolve, compare and write one chunk; add its outcome to the report."""
        errors: list[RowError] = []
        rejected: set[int] = set()

        def reject(row: _Row | int, column: str, value: Any, reason: str) -> None:
            number = row if isinstance(row, int) else row.number
            errors.append(RowError(row=number, column=column, value=_text(value), reason=reason))
            rejected.add(number)

        duplicates: list[_Duplicate] = []
        read = [self._validate(n, raw, reject, duplicates) for n, raw in chunk]
        rows = [r for r in read if r is not None]
        self._chunk_rules(rows, reject)
        rows = self._resolve(rows, reject)
        rows = [r for r in rows if not r.bad and r.number not in rejected]
        rows = self._merge(rows, reject)
        rows = self._unique(rows, reject)
        rows = self._pending(rows, reject)
        self._write(rows)
        # first occurrences rejected: marked negative for the duplicates that name them
        for row in read:
            if row is not None and row.key is not None and row.number in rejected:
                h = hash(row.key)
                if self.seen.get(h) == row.number:
                    self.seen[h] = -row.number
        for dup in duplicates:
            what = "/".join(dup.key)
            if self.seen.get(hash(dup.key), 0) < 0:
                reason = (
                    f"{self.spec.label} {what} already appears on row {dup.first} of this "
                    "upload, which is rejected too: neither is kept (keep one corrected row)."
                )
            else:
                reason = (
                    f"{self.spec.label} {what} already appears on row {dup.first} of this "
                    "upload: only the first is kept."
                )
            reject(dup.number, self.spec.key[0], what, reason)
        errors.sort(key=lambda e: e.row)
        self.report.errors.extend(errors)
        self.report.rejected += len(rejected)

    def _chunk_rules(self, rows: list[_Row], reject: Callable[..., None]) -> None:
        """Rules on values that parsed, for every row (field errors or not): the currency can
        be converted, and the kind's ``chunk_check``."""
        if self.currency is not None:
            known: set[str] | None = None
            for row in rows:
                code = row.values.get(self.currency)
                if code is None:
                    continue
                if known is None:
                    known = self._convertible_currencies()
                if code not in known:
                    reject(
                        row, self.currency, code, f"no exchange rate for {code}: load rates first."
                    )
        if self.spec.chunk_check is not None and rows:
            by_number = {r.number: r for r in rows}
            for number, name, reason in self.spec.chunk_check(
                [(r.number, dict(r.values)) for r in rows]
            ):
                row = by_number[number]
                reject(row, name, row.clean.get(name), reason)

    def _convertible_currencies(self) -> set[str]:
        """Currencies the engine can convert: every stored program's currency (EUR when no
        program is stored) and every currency of an exchange rate. Two queries, once per call."""
        if self._convertible is None:
            from partnerprogram.programs.models import ProgramVersion

            found: set[str] = set()
            for code, base in ExchangeRate.objects.values_list("currency", "base").distinct():
                found.update((code, base))
            programs = {
                c
                for c in ProgramVersion.objects.values_list("definition__currency", flat=True)
                if isinstance(c, str)
            }
            found.update(programs or {"EUR"})
            self._convertible = found
        return self._convertible

    # -- validation ---------------------------------------------------------------------------

    def _validate(
        self,
        number: int,
        raw: dict[str, Any],
        reject: Callable[..., None],
        duplicates: list[_Duplicate],
    ) -> _Row | None:
        spec = self.spec
        fields = self.fields
        clean: dict[str, Any] = {}
        bad_ids: set[str] = set()
        for name, value in raw.items():
            if name in fields:
                if isinstance(value, str):
                    if name in self.id_fields:
                        problem = _id_problem(name, value)
                        if problem is not None:
                            reject(number, name, value, problem)
                            bad_ids.add(name)
                    value = value.strip() or None
                clean[name] = value
        defaulted: set[str] = set()
        for name, value in self.scoped_defaults.items():
            if clean.get(name) is None:
                clean[name] = value
                defaulted.add(name)
        if self.partner is not None and spec.owner and clean.get(spec.owner) is None:
            clean[spec.owner] = self.partner.external_id

        key: tuple[str, ...] | None
        if any(k in bad_ids for k in spec.key):
            key = None
        elif self.single_key:
            value = clean.get("external_id")
            key = None if value is None else (str(value),)
        else:
            key = tuple(_text(clean.get(k)) for k in spec.key)
        if key is not None and all(key):
            h = hash(key)
            first = self.seen.get(h)
            if first is not None:
                # the reason is written once the chunk knows whether the first row is kept
                duplicates.append(_Duplicate(number=number, key=key, first=abs(first)))
                return None
            self.seen[h] = number
        else:
            key = None

        if self.partner is not None:
            for name in self.vendor_only:
                if clean.get(name) is not None:
                    reject(
                        number, name, clean[name], f"Only the vendor sets {name}: leave it empty."
                    )
                    # not validated nor resolved: a partner never probes the vendor's ids
                    bad_ids.add(name)
        required = self.required
        data = {
            k: v
            for k, v in clean.items()
            if (v is not None or k not in required) and k not in bad_ids
        }
        bad = bool(bad_ids)
        try:
            model = self.input_model.model_validate(data)
        except pydantic.ValidationError as exc:
            failed: set[str] = set()
            for err in exc.errors():
                name = str(err["loc"][0]) if err["loc"] else spec.key[0]
                failed.add(name)
                if name in bad_ids:
                    continue  # already reported
                fs = fields.get(name)
                reject(number, name, clean.get(name), _reason(err, fs))
            # keep the values that parsed and that later checks of every row read:
            # references, keys and the currency
            values = {
                k: None if data[k] is None else str(data[k])
                for k in (*self.id_fields, *([self.currency] if self.currency else []))
                if k in data and k not in failed
            }
            return _Row(
                number=number,
                clean=clean,
                key=key,
                values=values,
                provided=frozenset(values),
                bad=True,
            )
        validated = model.__dict__
        values = {k: validated[k] for k in data}
        return _Row(
            number=number,
            clean=clean,
            key=key,
            values=values,
            provided=frozenset(data) - defaulted,
            bad=bad,
            defaulted=frozenset(defaulted),
        )

    # -- references ---------------------------------------------------------------------------

    def _resolve(self, rows: list[_Row], reject: Callable[..., None]) -> list[_Row]:
        """Replace every reference's external id by the primary key: one lookup per
        referenced kind (batched by ``IN_BATCH``)."""
        if not self.refs or not rows:
            return rows
        wanted: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            for f in self.refs:
                value = row.values.get(f.name)
                if value is not None:
                    wanted[f.ref_kind or ""].add(value)
        found: dict[str, dict[str, int]] = {}
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for ref_kind, ids in wanted.items():
                # Plain SQL: the key and the primary key need no conversion, and Django's
                # per-parameter handling of ``__in`` costs more than the query here.
                meta = KINDS[ref_kind].model._meta
                key = meta.get_field(KINDS[ref_kind].field("external_id").model_attr)
                assert isinstance(key, models.Field) and meta.pk is not None
                head = (
                    f"SELECT {qn(key.column)}, {qn(meta.pk.column)} FROM {qn(meta.db_table)} "
                    f"WHERE {qn(key.column)} IN "
                )
                pks: dict[str, int] = {}
                for batch in _batches(sorted(ids)):
                    cursor.execute(head + "(" + ", ".join(["%s"] * len(batch)) + ")", batch)
                    pks.update(cursor.fetchall())
                found[ref_kind] = pks
        scope_pk = self.partner.pk if self.partner is not None else None
        # rows of this kind on earlier rows of the chunk (a self-reference may name them)
        earlier: dict[str, int] = {}
        if any(f.ref_kind == self.spec.name for f in self.refs):
            for row in rows:
                if row.key is not None:
                    earlier.setdefault(row.key[0], row.number)
        for row in rows:
            for f in self.refs:
                value = row.values.get(f.name)
                if value is None:
                    continue
                pk = found[f.ref_kind or ""].get(value)
                if f.ref_kind == "partners" and scope_pk is not None and pk != scope_pk:
                    pk = None  # another partner: the same answer as an unknown one
                if pk is not None:
                    row.values[f.name] = pk
                    continue
                label = KINDS[f.ref_kind or ""].label
                if f.ref_kind == self.spec.name:
                    if row.key is not None and value == row.key[0]:
                        continue  # itself: the kind's rules say why
                    if earlier.get(value, row.number) < row.number:
                        row.values[f.name] = _Pending(value)
                        continue
                    reason = (
                        f"Unknown {label}: no {label} has this external id (in the database "
                        "or earlier in this file)."
                    )
                else:
                    reason = f"Unknown {label}: no {label} has this external id."
                reject(row, f.name, value, reason)
        return rows

    # -- stored rows, merge, invariants -------------------------------------------------------

    def _stored(self, rows: list[_Row]) -> dict[tuple[Any, ...], tuple[int, dict[str, Any]]]:
        """The stored rows with the keys of ``rows``: ``{key: (pk, canonical values)}``, where
        the key is the tuple of key values (references as primary keys)."""
        spec = self.spec
        atts = [self.attnames[n] for n in self.names]
        first = spec.key[0]
        lookup = self.fields[first].model_attr if len(spec.key) == 1 else self.attnames[first]
        key_pos = [self.names.index(k) for k in spec.key]
        out: dict[tuple[Any, ...], tuple[int, dict[str, Any]]] = {}
        wanted = {row.values[first] for row in rows}
        for batch in _batches(sorted(wanted)):
            for pk, *vals in self.model._default_manager.filter(
                **{f"{lookup}__in": batch}
            ).values_list("pk", *atts):
                out[tuple(vals[i] for i in key_pos)] = (
                    pk,
                    dict(zip(self.names, vals, strict=True)),
                )
        return out

    def _merge(self, rows: list[_Row], reject: Callable[..., None]) -> list[_Row]:
        if not rows:
            return rows
        spec = self.spec
        stored = self._stored(rows)
        scoped = self.partner is not None
        scope_pk = self.partner.pk if self.partner is not None else None
        kept = []
        for row in rows:
            key = tuple(row.values[k] for k in spec.key)
            hit = stored.get(key)
            if hit is not None:
                row.pk, existing = hit
                row.existing = existing
                if scoped and spec.owner and existing[spec.owner] != scope_pk:
                    reject(
                        row,
                        spec.key[0],
                        row.clean.get(spec.key[0]),
                        f"Unknown external id: no {spec.label} of this partner has it, and it "
                        "cannot be used for a new one.",
                    )
                    continue
                final = dict(existing)
            else:
                final = dict(self.defaults)
            empty = self.empty
            for name, value in row.values.items():
                final[name] = empty[name] if value is None else value
            if scoped and row.existing is not None:
                # a partner never changes the vendor's fields, not even by blanking them
                for name in self.frozen:
                    final[name] = row.existing[name]
                # a default is for creation: an update keeps the stored value
                for name in row.defaulted:
                    final[name] = row.values[name] = row.existing[name]
            row.final = final
            ctx = RowContext(
                values=final,
                given=row.values,
                provided=row.provided,
                existing=row.existing,
                pk=row.pk,
                scoped=scoped,
                number=row.number,
                context=self.context,
            )
            problems = spec.check(ctx) if spec.check is not None else []
            if scoped and spec.scoped_check is not None:
                problems += spec.scoped_check(ctx)
            if problems:
                for name, reason in problems:
                    reject(row, name, row.clean.get(name), reason)
                continue
            kept.append(row)
        return kept

    def _unique(self, rows: list[_Row], reject: Callable[..., None]) -> list[_Row]:
        """Check the model's other unique constraints against this chunk and the stored rows
        (one query per ``IN_BATCH // len(fields)`` rows)."""
        for unique in self.spec.unique:
            if not rows:
                break
            first_row: dict[tuple[Any, ...], int] = {}
            kept = []
            for row in rows:
                assert row.final is not None
                values = tuple(row.final[n] for n in unique)
                if any(v is None for v in values):
                    kept.append(row)
                    continue
                prior = first_row.get(values)
                if prior is not None:
                    reject(
                        row,
                        unique[0],
                        row.clean.get(unique[0]),
                        f"Row {prior} of this upload already has the same "
                        f"{', '.join(unique)}: a {self.spec.label} is unique on them.",
                    )
                    continue
                first_row[values] = row.number
                kept.append(row)
            rows = kept
            taken: dict[tuple[Any, ...], int] = {}
            for batch in _batches(first_row, max(1, IN_BATCH // len(unique))):
                lookup = {
                    f"{self.attnames[n]}__in": {v[i] for v in batch} for i, n in enumerate(unique)
                }
                for pk, *vals in self.model._default_manager.filter(**lookup).values_list(
                    "pk", *[self.attnames[n] for n in unique]
                ):
                    taken[tuple(vals)] = pk
            kept = []
            for row in rows:
                assert row.final is not None
                values = tuple(row.final[n] for n in unique)
                other = taken.get(values)
                if other is not None and other != row.pk:
                    reject(
                        row,
                        unique[0],
                        row.clean.get(unique[0]),
                        f"Another {self.spec.label} with a different key already has the same "
                        f"{', '.join(unique)}.",
                    )
                    continue
                kept.append(row)
            rows = kept
        return rows

    def _pending(self, rows: list[_Row], reject: Callable[..., None]) -> list[_Row]:
        """A reference to an earlier row of the chunk holds only if that row is written too."""
        while True:
            written = {row.key[0] for row in rows if row.key is not None}
            kept = []
            for row in rows:
                assert row.final is not None
                missing = [
                    (name, v.external_id)
                    for name, v in row.final.items()
                    if isinstance(v, _Pending) and v.external_id not in written
                ]
                if missing:
                    for name, ext in missing:
                        label = self.spec.label
                        reject(
                            row,
                            name,
                            ext,
                            f"Unknown {label}: no {label} has this external id (in the "
                            f"database or earlier in this file: the row of {ext} is rejected).",
                        )
                    continue
                kept.append(row)
            if len(kept) == len(rows):
                return kept
            rows = kept

    # -- writing ------------------------------------------------------------------------------

    def _write(self, rows: list[_Row]) -> None:
        report = self.report
        names = self.names
        creates: list[dict[str, Any]] = []
        updates: list[tuple[int, dict[str, Any]]] = []
        changed: set[str] = set()
        created_keys: list[str] = []
        # (key of the row, field, external id of the earlier row it names)
        pending: list[tuple[str, str, str]] = []
        for row in rows:
            final = row.final
            assert final is not None
            existing = row.existing
            ident = "/".join(row.key) if row.key else ""
            if existing is None:
                diff = names
            else:
                diff = [n for n in names if final[n] != existing[n]]
                if not diff:
                    report.unchanged += 1
                    continue
            for name in diff:
                value = final[name]
                if isinstance(value, _Pending):
                    assert row.key is not None
                    pending.append((row.key[0], name, value.external_id))
                    final[name] = None  # set once the earlier row is inserted
            if existing is None:
                creates.append(final)
                report.created += 1
                created_keys.append(ident)
                if len(report.created_ids) < ID_CAP:
                    report.created_ids.append(ident)
                continue
            assert row.pk is not None
            changed.update(diff)
            updates.append((row.pk, final))
            report.updated += 1
            if len(report.updated_ids) < ID_CAP:
                report.updated_ids.append(ident)
        if creates:
            self._insert(creates)
        if updates:
            self._update(updates, [n for n in names if n in changed])
        if pending:
            self._link(pending)
        if created_keys and self.partner is not None and self.spec.scoped_created is not None:
            self.spec.scoped_created(created_keys, self.actor)

    def _link(self, pending: list[tuple[str, str, str]]) -> None:
        """Set the references to rows inserted earlier in the chunk (one lookup, one UPDATE
        per field)."""
        lookup = self.fields["external_id"].model_attr
        ids = {k for k, _n, _t in pending} | {t for _k, _n, t in pending}
        pks: dict[str, int] = {}
        for batch in _batches(sorted(ids)):
            pks.update(
                self.model._default_manager.filter(**{f"{lookup}__in": batch}).values_list(
                    lookup, "pk"
                )
            )
        meta = self.model._meta
        qn = connection.ops.quote_name
        assert meta.pk is not None and meta.pk.column
        by_field: dict[str, list[list[int]]] = defaultdict(list)
        for key, name, target in pending:
            by_field[name].append([pks[target], pks[key]])
        with connection.cursor() as cursor:
            for name, params in by_field.items():
                sql = (
                    f"UPDATE {qn(meta.db_table)} SET {qn(self.columns[name])} = %s "
                    f"WHERE {qn(meta.pk.column)} = %s"
                )
                for batch in _batches(params, WRITE_BATCH):
                    cursor.executemany(sql, batch)

    def _adapters(self) -> dict[str, Callable[[Any], Any]]:
        """Per canonical field, the function turning a Python value into the database
        parameter (what ``Field.get_db_prep_save`` does, without its per-value overhead)."""
        ops = connection.ops
        out: dict[str, Callable[[Any], Any]] = {}
        for name, mf in self.model_fields.items():
            assert isinstance(mf, models.Field)
            internal = mf.get_internal_type()
            if internal == "DateField":
                out[name] = ops.adapt_datefield_value
            elif internal == "DecimalField":
                assert isinstance(mf, models.DecimalField)
                digits, places = mf.max_digits, mf.decimal_places

                def decimal(value: Any, digits: Any = digits, places: Any = places) -> Any:
                    return ops.adapt_decimalfield_value(value, digits, places)

                out[name] = decimal
            else:
                out[name] = _same
        return out

    def _insert(self, creates: list[dict[str, Any]]) -> None:
        """One ``executemany`` INSERT of the new rows (raw SQL through Django's connection:
        ``bulk_create`` spends most of its time building model instances and per-value
        preparation; this is 3-4x faster for a million rows). Columns of the model that are
        not fields of the kind (``recorded_at``) take their model default, computed once per
        chunk."""
        meta = self.model._meta
        qn = connection.ops.quote_name
        adapters = self._adapters()
        columns = [self.columns[n] for n in self.names]
        extra: list[Any] = []
        for mf in meta.concrete_fields:
            if mf.primary_key or not mf.column or mf.column in columns:
                continue
            columns.append(mf.column)
            extra.append(mf.get_db_prep_save(mf.get_default(), connection))
        sql = "INSERT INTO {} ({}) VALUES ({})".format(
            qn(meta.db_table), ", ".join(qn(c) for c in columns), ", ".join(["%s"] * len(columns))
        )
        items = [(n, adapters[n]) for n in self.names]
        params = [[adapt(final[n]) for n, adapt in items] + extra for final in creates]
        with connection.cursor() as cursor:
            for batch in _batches(params, WRITE_BATCH):
                cursor.executemany(sql, batch)

    def _update(self, updates: list[tuple[int, dict[str, Any]]], fields: list[str]) -> None:
        """One ``executemany`` UPDATE of the changed rows, setting the fields changed in at
        least one row of the chunk (unchanged values are written back as they were)."""
        meta = self.model._meta
        qn = connection.ops.quote_name
        adapters = self._adapters()
        sets = ", ".join(f"{qn(self.columns[n])} = %s" for n in fields)
        assert meta.pk is not None and meta.pk.column
        sql = f"UPDATE {qn(meta.db_table)} SET {sets} WHERE {qn(meta.pk.column)} = %s"
        items = [(n, adapters[n]) for n in fields]
        params = [[adapt(final[n]) for n, adapt in items] + [pk] for pk, final in updates]
        with connection.cursor() as cursor:
            for batch in _batches(params, WRITE_BATCH):
                cursor.executemany(sql, batch)


def _same(value: Any) -> Any:
    return value
