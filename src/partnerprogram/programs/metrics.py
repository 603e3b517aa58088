"""Set-based metric queries: one aggregate query per metric reference for the whole population.

Every metric of the catalog (``programs.catalog``) is computed by :func:`compute_metric` as
``{partner_id: value}`` from **one** aggregate query grouped by partner (money metrics group by
partner *and* currency, and the per-currency sums are converted in Python at the rate in force on
the as-of date, read once per :func:`compute_metrics` call — ``core.money``). The number of
queries never depends on the number of partners.

Time rules (``D`` = ``MetricContext.as_of``, a date in the program time zone):

- a person counts for a partner on ``D`` iff ``employed_from <= D`` and (``employed_until`` is
  null or ``D < employed_until``);
- a credential is valid on ``D`` iff ``earned_on <= D`` and (``expires_on`` is null or
  ``D < expires_on``): a credential expiring on ``D`` does not count, one earned on ``D`` does;
- windows come from ``core.periods.Window`` as half-open ``[start, end)`` dates with
  ``end = D + 1 day``; the fact date is ``booked_on`` (bookings), ``registered_on`` (deal
  registrations), ``month`` (cloud usage), ``attested_on`` (attestations) and, for opportunities,
  ``close_date`` when closed (won/lost) else ``created_on``;
- growth compares the window with the same window a year earlier
  (``Window.previous_year_bounds``);
- ``known_at``: only facts recorded (``recorded_at``) at or before that instant count, so an
  evaluation can be replayed "as known then". Limitation: ``recorded_at`` is an insertion time;
  later edits of a row (a status change, an ``employed_until`` set afterwards) and exchange rates
  (no ``recorded_at``) are read as they are now.

Identity: a *person* is a human identified by e-mail (case-insensitive). A human who works for two
partners has one ``Person`` row per partner; their credentials (attached to any of their rows)
count for a partner only on the days that partner employs them (stated rule: certifications
belong to the human, employment to the row). Within a metric a human counts once per partner; the
same human may count in several metrics.

Mergers: facts of a partner with ``merged_into`` set count for the survivor
(``Partner.merged_into``; one level of merger is followed). Merged-away partners are absent
from the results.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connections
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    When,
)
from django.db.models.functions import Coalesce, Lower

from partnerprogram.core.money import Rates, convert_sums, rates_on
from partnerprogram.core.periods import Window

__all__ = [
    "METRICS",
    "MetricContext",
    "MetricValues",
    "compute_metric",
    "compute_metrics",
]

#: ``{partner_id: value}``; partners without facts may be absent (see :func:`compute_metric`).
MetricValues = dict[int, Decimal | None]
WhereValue = Sequence[str] | str | bool
Bounds = tuple[date, date]


@dataclass(frozen=True)
class MetricContext:
    """What every metric query is evaluated against.

    ``as_of``: the evaluation date ``D``; ``currency``: the program currency (ISO 4217) money
    metrics are converted to; ``fiscal_year_start``: month 1..12 for fiscal windows;
    ``known_at``: when set, only facts with ``recorded_at <= known_at`` count.
    """

    as_of: date
    currency: str
    fiscal_year_start: int = 1
    known_at: datetime | None = None


# --------------------------------------------------------------------------- helpers


def _values(raw: WhereValue) -> list[str]:
    """A ``where`` value as a list of strings (a scalar is a one-item list; booleans are
    written ``true``/``false`` as in the catalog)."""
    items: Iterable[Any] = [raw] if isinstance(raw, str | bool) else raw
    out: list[str] = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        else:
            out.append(str(item))
    return out


def _bools(values: list[str], *, key: str) -> list[bool]:
    out = []
    for value in values:
        low = value.strip().lower()
        if low not in {"true", "false"}:
            raise ValueError(f"filter {key!r}: expected true/false, got {value!r}")
        out.append(low == "true")
    return out


def _partner_group(path: str) -> Coalesce:
    """Survivor partner id for the partner FK at ``path`` (merged partners count for it)."""
    return Coalesce(F(f"{path}__merged_into"), F(path), output_field=BigIntegerField())


def _employed_q(on: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}employed_from__lte": on}) & (
        Q(**{f"{prefix}employed_until__isnull": True}) | Q(**{f"{prefix}employed_until__gt": on})
    )


def _credential_valid_q(on: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}earned_on__lte": on}) & (
        Q(**{f"{prefix}expires_on__isnull": True}) | Q(**{f"{prefix}expires_on__gt": on})
    )


def _in_range(field: str, bounds: Bounds) -> Q:
    start, end = bounds
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def _term_active_q(on: date) -> Q:
    """A subscription term covering ``on`` (``term_end`` exclusive, open-ended when null)."""
    return Q(term_start__isnull=False, term_start__lte=on) & (
        Q(term_end__isnull=True) | Q(term_end__gt=on)
    )


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value or 0)


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    return None if denominator == 0 else numerator / denominator


def _growth(current: Decimal, baseline: Decimal) -> Decimal | None:
    """``current / baseline - 1``; ``None`` when there is no baseline (0)."""
    return None if baseline == 0 else current / baseline - 1


# --------------------------------------------------------------------------- computation


@dataclass
class _Request:
    metric: str
    where: Mapping[str, WhereValue]
    window: Window | None
    context: MetricContext

    def bounds(self) -> Bounds:
        assert self.window is not None
        return self.window.bounds(self.context.as_of, self.context.fiscal_year_start)

    def previous_bounds(self) -> Bounds:
        assert self.window is not None
        return self.window.previous_year_bounds(self.context.as_of, self.context.fiscal_year_start)

    def get(self, key: str) -> list[str] | None:
        raw = self.where.get(key)
        return None if raw is None else _values(raw)

    def filter(self, qs: QuerySet[Any], lookups: Mapping[str, str]) -> QuerySet[Any]:
        """Apply ``where`` keys through ``{key: orm_path}`` (``path__in=values``)."""
        for key, path in lookups.items():
            values = self.get(key)
            if values is not None:
                qs = qs.filter(**{f"{path}__in": values})
        return qs

    def known(self, qs: QuerySet[Any], *paths: str) -> QuerySet[Any]:
        """Keep rows recorded at or before ``known_at`` (``recorded_at`` at each path)."""
        known_at = self.context.known_at
        if known_at is None:
            return qs
        for path in paths:
            qs = qs.filter(**{f"{path}recorded_at__lte": known_at})
        return qs


class _Computer:
    """Runs metric queries for one context; caches the exchange rates (one query, lazily)."""

    def __init__(self, context: MetricContext) -> None:
        self.context = context
        self._rates: Rates | None = None

    @property
    def rates(self) -> Rates:
        if self._rates is None:
            self._rates = rates_on(on=self.context.as_of, target=self.context.currency)
        return self._rates

    def convert(self, sums: Mapping[str, Decimal]) -> Decimal:
        return convert_sums(sums, rates=self.rates, target=self.context.currency)

    # -- generic shapes -------------------------------------------------------------------

    def money(self, qs: QuerySet[Any], *, group: str, amount: str) -> MetricValues:
        """One query: sums per (partner, currency), converted per partner."""
        rows = qs.values(pid=_partner_group(group), cur=F("currency")).annotate(v=Sum(amount))
        sums: dict[int, dict[str, Decimal]] = defaultdict(dict)
        for row in rows:
            sums[row["pid"]][row["cur"]] = _dec(row["v"])
        return {pid: self.convert(by_currency) for pid, by_currency in sums.items()}

    def money_growth(
        self, qs: QuerySet[Any], *, group: str, amount: str, on: str, req: _Request
    ) -> MetricValues:
        """One query, two conditional sums (window, previous-year window) per currency."""
        current, previous = _in_range(on, req.bounds()), _in_range(on, req.previous_bounds())
        rows = (
            qs.filter(current | previous)
            .values(pid=_partner_group(group), cur=F("currency"))
            .annotate(now=Sum(amount, filter=current), before=Sum(amount, filter=previous))
        )
        now: dict[int, dict[str, Decimal]] = defaultdict(dict)
        before: dict[int, dict[str, Decimal]] = defaultdict(dict)
        for row in rows:
            now[row["pid"]][row["cur"]] = _dec(row["now"])
            before[row["pid"]][row["cur"]] = _dec(row["before"])
        return {pid: _growth(self.convert(now[pid]), self.convert(before[pid])) for pid in now}

    # -- people ----------------------------------------------------------------------------

    def _people_metric(self, req: _Request, *, count: str) -> MetricValues:
        """One query joining employed people to the credentials of the same human (e-mail,
        case-insensitive): ``count`` is ``people`` (distinct humans) or ``credentials``
        (distinct credentials). Both sides are ORM querysets (filters, ``known_at``) used as
        derived tables, joined on the lower-cased e-mail so that the database hashes or
        indexes the join (a correlated subquery per person would be quadratic)."""
        from partnerprogram.enablement.models import Credential
        from partnerprogram.partners.models import Person

        on = req.context.as_of
        employed = req.known(Person.objects.filter(_employed_q(on)), "").values(
            pid=_partner_group("partner"), mail=Lower("email")
        )
        held = req.filter(Credential.objects.filter(_credential_valid_q(on)), _CERT_FILTERS)
        held = req.known(held, "").values(cid=F("id"), mail=Lower("person__email"))
        # DISTINCT keeps SQLite from flattening the derived tables (it then materializes them
        # and builds an automatic index for the join); it changes no count.
        e_sql, e_params = employed.distinct().query.sql_with_params()
        h_sql, h_params = held.distinct().query.sql_with_params()
        db = connections[employed.db]
        q = db.ops.quote_name
        counted = f"e.{q('mail')}" if count == "people" else f"h.{q('cid')}"
        sql = (
            f"SELECT e.{q('pid')}, COUNT(DISTINCT {counted}) "
            f"FROM ({e_sql}) e INNER JOIN ({h_sql}) h ON e.{q('mail')} = h.{q('mail')} "
            f"GROUP BY e.{q('pid')}"
        )
        with db.cursor() as cursor:
            cursor.execute(sql, (*e_params, *h_params))
            return {pid: _dec(value) for pid, value in cursor.fetchall()}

    def certified_people(self, req: _Request) -> MetricValues:
        return self._people_metric(req, count="people")

    def credentials(self, req: _Request) -> MetricValues:
        return self._people_metric(req, count="credentials")

    # -- deal registrations ------------------------------------------------------------------

    def _registrations(self, req: _Request) -> QuerySet[Any]:
        from partnerprogram.sales.models import DealRegistration

        qs = DealRegistration.objects.filter(_in_range("registered_on", req.bounds()))
        qs = req.filter(qs, {"status": "status", "product_line": "product_line"})
        return req.known(qs, "")

    def registered_opportunities(self, req: _Request) -> MetricValues:
        rows = (
            self._registrations(req).values(pid=_partner_group("partner")).annotate(v=Count("id"))
        )
        return {row["pid"]: _dec(row["v"]) for row in rows}

    def registered_amount(self, req: _Request) -> MetricValues:
        return self.money(self._registrations(req), group="partner", amount="estimated_amount")

    # -- bookings ----------------------------------------------------------------------------

    def _bookings_by_role(self, req: _Request, role: str) -> tuple[QuerySet[Any], str]:
        """Bookings attributed to a partner in ``role`` and the ORM path of that partner."""
        from partnerprogram.sales.models import Booking

        qs = req.known(Booking.objects.all(), "")
        if role == "resell":
            return qs.filter(transacting_partner__isnull=False), "transacting_partner"
        if role == "influenced":
            return qs.filter(influencing_partner__isnull=False), "influencing_partner"
        if role == "sourced":
            conditions = {
                "opportunity__involvements__role": "sourced",
                "opportunity__involvements__validated": True,
            }
            if req.context.known_at is not None:
                conditions["opportunity__involvements__recorded_at__lte"] = req.context.known_at
            # One filter() call: the partner grouped on is the one of the sourced involvement.
            return qs.filter(**conditions), "opportunity__involvements__partner"
        raise ValueError(f"filter 'role': unknown role {role!r} (resell, influenced, sourced)")

    def _bookings(self, req: _Request, role: str) -> MetricValues:
        qs, group = self._bookings_by_role(req, role)
        qs = qs.filter(_in_range("booked_on", req.bounds()))
        qs = req.filter(qs, _BOOKING_FILTERS)
        return self.money(qs, group=group, amount="amount")

    def resale_bookings(self, req: _Request) -> MetricValues:
        return self._bookings(req, "resell")

    def influenced_bookings(self, req: _Request) -> MetricValues:
        return self._bookings(req, "influenced")

    def sourced_bookings(self, req: _Request) -> MetricValues:
        return self._bookings(req, "sourced")

    def bookings_growth(self, req: _Request) -> MetricValues:
        roles = req.get("role") or ["resell"]
        if len(roles) != 1:
            raise ValueError(f"filter 'role': exactly one role expected, got {roles!r}")
        qs, group = self._bookings_by_role(req, roles[0])
        qs = req.filter(qs, {"product_line": "product_line"})
        return self.money_growth(qs, group=group, amount="amount", on="booked_on", req=req)

    def new_customers(self, req: _Request) -> MetricValues:
        rows = (
            self._first_bookings_in_window(req)
            .filter(**_in_lookup(req, "customer_segment", "customer__segment"))
            .values("pid")
            .annotate(v=Count("customer", distinct=True))
        )
        return {row["pid"]: _dec(row["v"]) for row in rows}

    def _first_bookings_in_window(self, req: _Request) -> QuerySet[Any]:
        """Bookings transacted in the window for customers with no earlier booking transacted
        by the same (survivor) partner: their customers' first booking with P is in the window.
        With a ``product_line`` filter, "first" is among bookings of those product lines."""
        from partnerprogram.sales.models import Booking

        start, _end = bounds = req.bounds()
        lines = {"product_line": "product_line"}
        base = req.known(Booking.objects.filter(transacting_partner__isnull=False), "")
        earlier = (
            req.filter(base.filter(booked_on__lt=start), lines)
            .annotate(pid=_partner_group("transacting_partner"))
            .filter(pid=OuterRef("pid"), customer=OuterRef("customer"))
        )
        return (
            req.filter(base.filter(_in_range("booked_on", bounds)), lines)
            .annotate(pid=_partner_group("transacting_partner"))
            .exclude(Exists(earlier))
        )

    def net_new_users(self, req: _Request) -> MetricValues:
        from partnerprogram.sales.models import Booking

        qs = Booking.objects.filter(
            _in_range("booked_on", req.bounds()), transacting_partner__isnull=False
        )
        qs = req.known(req.filter(qs, {"product_line": "product_line"}), "")
        rows = qs.values(pid=_partner_group("transacting_partner")).annotate(
            plus=Sum("quantity", filter=Q(motion__in=["new", "upsell"])),
            minus=Sum("quantity", filter=Q(motion__in=["downsell", "churn"])),
        )
        return {row["pid"]: _dec(row["plus"]) - _dec(row["minus"]) for row in rows}

    def customer_retention(self, req: _Request) -> MetricValues:
        from partnerprogram.sales.models import Booking

        bases = req.get("basis")
        if not bases or len(bases) != 1:
            raise ValueError(
                "filter 'basis' is required for customer_retention: active_in_window or "
                "acquired_in_window"
            )
        basis = bases[0]
        on = req.context.as_of
        start, end = req.bounds()
        qs: QuerySet[Any]
        if basis == "active_in_window":
            # Odoo v9a: customers with a term covering D, among customers with a term
            # intersecting the window (bookings transacted by P, booked by D).
            qs = Booking.objects.filter(
                Q(term_end__isnull=True) | Q(term_end__gt=start),
                transacting_partner__isnull=False,
                booked_on__lt=end,
                term_start__isnull=False,
                term_start__lt=end,
            )
            qs = req.known(req.filter(qs, {"product_line": "product_line"}), "")
            qs = qs.annotate(pid=_partner_group("transacting_partner"))
        elif basis == "acquired_in_window":
            # Odoo v11: customers whose first booking with P is in the window and who have a
            # term covering D, among those customers.
            qs = self._first_bookings_in_window(req)
        else:
            raise ValueError(
                f"filter 'basis': unknown basis {basis!r} (active_in_window, acquired_in_window)"
            )
        rows = qs.values("pid").annotate(
            den=Count("customer", distinct=True),
            num=Count("customer", distinct=True, filter=_term_active_q(on)),
        )
        return {row["pid"]: _ratio(_dec(row["num"]), _dec(row["den"])) for row in rows}

    # -- cloud usage -------------------------------------------------------------------------

    def _usage(self, req: _Request) -> QuerySet[Any]:
        from partnerprogram.sales.models import CloudUsage

        qs = req.filter(CloudUsage.objects.all(), {"product_line": "product_line"})
        return req.known(qs, "")

    def cloud_usage(self, req: _Request) -> MetricValues:
        qs = self._usage(req).filter(_in_range("month", req.bounds()))
        return self.money(qs, group="partner", amount="amount")

    def cloud_usage_growth(self, req: _Request) -> MetricValues:
        return self.money_growth(
            self._usage(req), group="partner", amount="amount", on="month", req=req
        )

    # -- opportunities, attestations ---------------------------------------------------------

    def influenced_opportunities(self, req: _Request) -> MetricValues:
        from partnerprogram.sales.models import Opportunity

        validated = _bools(req.get("validated") or ["true"], key="validated")
        conditions: dict[str, Any] = {
            "involvements__role": "influenced",
            "involvements__validated__in": validated,
        }
        if req.context.known_at is not None:
            conditions["involvements__recorded_at__lte"] = req.context.known_at
        qs = req.known(Opportunity.objects.filter(**conditions), "")
        qs = req.filter(qs, {"stage": "stage", "product_line": "product_line"})
        qs = qs.annotate(
            fact_on=Case(
                When(stage__in=["won", "lost"], close_date__isnull=False, then=F("close_date")),
                default=F("created_on"),
                output_field=DateField(),
            )
        ).filter(_in_range("fact_on", req.bounds()))
        rows = qs.values(pid=_partner_group("involvements__partner")).annotate(
            v=Count("id", distinct=True)
        )
        return {row["pid"]: _dec(row["v"]) for row in rows}

    def attestations(self, req: _Request) -> MetricValues:
        from partnerprogram.partners.models import Attestation

        qs = req.filter(Attestation.objects.all(), {"kind": "kind", "category": "category"})
        qs = req.known(qs, "")
        if req.window is not None:
            qs = qs.filter(_in_range("attested_on", req.bounds()))
        else:
            on = req.context.as_of
            qs = qs.filter(Q(valid_until__isnull=True) | Q(valid_until__gt=on), attested_on__lte=on)
        rows = qs.values(pid=_partner_group("partner")).annotate(v=Count("id"))
        return {row["pid"]: _dec(row["v"]) for row in rows}


_CERT_FILTERS = {
    "family": "certification__family",
    "level": "certification__level",
    "certification": "certification__code",
}
_BOOKING_FILTERS = {
    "product_line": "product_line",
    "motion": "motion",
    "customer_segment": "customer__segment",
}


def _in_lookup(req: _Request, key: str, path: str) -> dict[str, list[str]]:
    values = req.get(key)
    return {} if values is None else {f"{path}__in": values}


@dataclass(frozen=True)
class _MetricDef:
    window: str  # required | optional | forbidden
    filters: frozenset[str]
    run: Callable[[_Computer, _Request], MetricValues]


def _def(
    window: str, filters: str, run: Callable[[_Computer, _Request], MetricValues]
) -> _MetricDef:
    return _MetricDef(window, frozenset(filters.split()), run)


#: Implemented metrics: window rule, allowed ``where`` keys and query (mirrors the catalog).
METRICS: Mapping[str, _MetricDef] = {
    "certified_people": _def("forbidden", "family level certification", _Computer.certified_people),
    "credentials": _def("forbidden", "family level certification", _Computer.credentials),
    "registered_opportunities": _def(
        "required", "status product_line", _Computer.registered_opportunities
    ),
    "registered_amount": _def("required", "status product_line", _Computer.registered_amount),
    "resale_bookings": _def(
        "required", "product_line motion customer_segment", _Computer.resale_bookings
    ),
    "influenced_bookings": _def(
        "required", "product_line motion customer_segment", _Computer.influenced_bookings
    ),
    "sourced_bookings": _def(
        "required", "product_line motion customer_segment", _Computer.sourced_bookings
    ),
    "bookings_growth": _def("required", "role product_line", _Computer.bookings_growth),
    "influenced_opportunities": _def(
        "required", "stage product_line validated", _Computer.influenced_opportunities
    ),
    "new_customers": _def("required", "customer_segment product_line", _Computer.new_customers),
    "net_new_users": _def("required", "product_line", _Computer.net_new_users),
    "customer_retention": _def("required", "basis product_line", _Computer.customer_retention),
    "cloud_usage": _def("required", "product_line", _Computer.cloud_usage),
    "cloud_usage_growth": _def("required", "product_line", _Computer.cloud_usage_growth),
    "attestations": _def("optional", "kind category", _Computer.attestations),
}


def _request(
    metric: str,
    where: Mapping[str, WhereValue] | Iterable[Any] | None,
    window: str | Window | None,
    context: MetricContext,
) -> tuple[_MetricDef, _Request]:
    definition = METRICS.get(metric)
    if definition is None:
        raise ValueError(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
    mapping: dict[str, WhereValue] = dict(where or {})  # also accepts ((key, values), ...)
    unknown = sorted(set(mapping) - definition.filters)
    if unknown:
        raise ValueError(
            f"metric {metric!r}: unknown filter key(s) {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(sorted(definition.filters)) or 'none'}"
        )
    if window is None and definition.window == "required":
        raise ValueError(f"metric {metric!r} needs a window (e.g. 12M)")
    if window is not None and definition.window == "forbidden":
        raise ValueError(f"metric {metric!r} is point in time: no window allowed, got {window!r}")
    parsed = window if isinstance(window, Window) or window is None else Window.parse(window)
    return definition, _Request(metric, mapping, parsed, context)


def _run(computer: _Computer, metric: str, where: Any, window: Any) -> MetricValues:
    definition, req = _request(metric, where, window, computer.context)
    return definition.run(computer, req)


def compute_metric(
    *,
    metric: str,
    where: Mapping[str, WhereValue],
    window: str | None,
    context: MetricContext,
) -> MetricValues:
    """Value of ``metric`` for every partner as of ``context.as_of`` (one aggregate query, plus
    one exchange-rate query for money metrics).

    Returns ``{partner_id: value}``. Partners without any fact in scope may be **absent**: the
    caller reads absent as ``Decimal(0)`` for counts and sums and as ``None`` for ratios and
    growth (``customer_retention``, ``bookings_growth``, ``cloud_usage_growth``). A present
    ratio/growth value may itself be ``None`` (zero denominator, no baseline). Counts are
    whole ``Decimal``; money is in ``context.currency`` rounded half-up to the cent; fractions
    are unrounded ``Decimal`` (0.75 = 75 %).

    ``where`` maps catalog filter keys to a value or a list of values (any of them matches;
    booleans may be given as ``True``/``"true"``). Raises ``ValueError`` naming an unknown metric
    or filter key, a missing/forbidden window, or a bad filter value;
    ``core.periods.WindowError`` on a bad window; ``core.money.MissingRateError`` when an amount
    is in a currency without a rate in force on ``as_of``.
    """
    return _run(_Computer(context), metric, where, window)


def compute_metrics(
    refs: Iterable[tuple[str, str, Mapping[str, WhereValue], str | None] | Any],
    *,
    context: MetricContext,
) -> dict[str, MetricValues]:
    """Compute several metric references at once: ``{key: {partner_id: value}}``.

    Each item is ``(key, metric, where, window)`` or an object with ``key``, ``metric``,
    ``where`` (mapping or ``((filter, values), ...)``) and ``window`` attributes (a
    ``MetricRef``). Each distinct key is computed once (one query per key, plus at most one
    exchange-rate query for the whole call). Same semantics and errors as
    :func:`compute_metric`.
    """
    computer = _Computer(context)
    results: dict[str, MetricValues] = {}
    for ref in refs:
        if isinstance(ref, tuple):
            key, metric, where, window = ref
        else:
            key, metric, where, window = ref.key, ref.metric, ref.where, ref.window
        if key not in results:
            results[key] = _run(computer, metric, where, window)
    return results
