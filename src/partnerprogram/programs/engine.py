"""The evaluation engine: one program version, as of a date, for every partner.

Flow (DESIGN.md): population (2 queries) -> metric values (one aggregate query per metric
reference, ``programs.metrics``) -> pure rules per partner (``programs.rules``) -> one
``EvaluationRun`` and one ``Assessment`` per partner written with bulk inserts.

The number of queries does not depend on the number of partners, except the bulk insert which
writes ``BULK_BATCH`` assessments per statement.

Merged partners: a partner with ``merged_into`` set is not assessed; its facts count for the
survivor (the metric queries group by the survivor), its enrolments too, and the survivor's
previous tier is the higher of the two (PROGRAMS.md, Dell EMC merger: "got
the higher of their two tiers").
"""

from __future__ import annotations

import gc
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from partnerprogram.partners.models import Partner, TrackEnrolment
from partnerprogram.programs import catalog, rules
from partnerprogram.programs.metrics import MetricContext, compute_metrics
from partnerprogram.programs.models import Assessment, EvaluationRun, ProgramVersion
from partnerprogram.programs.schema import MetricRef, Program
from partnerprogram.programs.selectors import program_definition

BULK_BATCH = 2000

Progress = Callable[[str], None]


@dataclass(frozen=True)
class PartnerRow:
    """A partner in the evaluated population: ``tracks`` are the track keys it is enrolled in
    on the evaluation date; ``merged_ids`` the partners merged into it."""

    id: int
    external_id: str
    name: str
    previous_tier: str
    tracks: tuple[str, ...]
    merged_ids: tuple[int, ...] = ()


@dataclass
class Evaluation:
    """An evaluation's results in memory: ``results`` pairs each partner with its assessment
    (``rules.Assessment``); ``values`` maps metric key -> {partner id: value}; ``inputs`` each
    partner's values by metric key (what the rules read); ``run`` is the stored run (None when
    ``store=False``)."""

    program: Program
    version: ProgramVersion
    as_of: date
    known_at: datetime | None
    results: list[tuple[PartnerRow, rules.Assessment]]
    values: dict[str, dict[int, Decimal | None]]
    inputs: dict[int, dict[str, Decimal | None]] = field(default_factory=dict)
    run: EvaluationRun | None = None
    summary: dict[str, Any] = field(default_factory=dict)


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: an evaluation creates hundreds of thousands of small
    result objects without reference cycles, which it would only rescan over and over (a
    third of the time at 100,000 partners). Reference counting still frees everything."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def population_select(*, as_of: date, program: Program) -> list[PartnerRow]:
    """Partners to assess as of ``as_of``: not terminated, not merged into another, with the
    tracks of ``program`` they are enrolled in on that date (enrolled_on <= D < ended_on).
    Two queries whatever the population size. Ordered by external id."""
    enrolments: dict[int, set[str]] = defaultdict(set)
    for partner_id, track in (
        TrackEnrolment.objects.filter(enrolled_on__lte=as_of, track__in=program.track_keys)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=as_of))
        .values_list("partner_id", "track")
    ):
        enrolments[partner_id].add(track)
    rows = list(
        Partner.objects.exclude(status=Partner.Status.TERMINATED)
        .order_by("external_id")
        .values_list("id", "external_id", "name", "previous_tier", "merged_into_id")
    )
    merged: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pid, _ext, _name, previous, survivor in rows:
        if survivor is not None:
            merged[survivor].append((pid, previous))
    order = {key: rank for rank, key in enumerate(program.tier_keys)}
    population: list[PartnerRow] = []
    for pid, ext, name, previous, survivor in rows:
        if survivor is not None:
            continue
        tracks = set(enrolments.get(pid, ()))
        best = previous
        for other_id, other_previous in merged.get(pid, ()):
            tracks |= enrolments.get(other_id, set())
            if order.get(other_previous, -1) > order.get(best, -1):
                best = other_previous
        population.append(
            PartnerRow(
                id=pid,
                external_id=ext,
                name=name,
                previous_tier=best,
                tracks=tuple(t for t in program.track_keys if t in tracks),
                merged_ids=tuple(other for other, _ in merged.get(pid, ())),
            )
        )
    return population


def metric_values(
    *, program: Program, context: MetricContext
) -> dict[str, dict[int, Decimal | None]]:
    """Every metric reference of ``program`` for the whole population: ``{ref.key: {partner
    id: value}}`` with one aggregate query per distinct reference (``programs.metrics``, which
    already counts a merged partner's facts for its survivor)."""
    refs = sorted(program.metric_refs(), key=lambda r: r.key)
    return compute_metrics(
        [(ref.key, ref.metric, ref.where_dict(), ref.window) for ref in refs], context=context
    )


def partner_values(
    *, refs: Sequence[MetricRef], values: Mapping[str, Mapping[int, Decimal | None]], pid: int
) -> dict[str, Decimal | None]:
    """One partner's values by metric key; an absent value is 0 for counts and sums and
    ``None`` (undefined) for ratios and growth."""
    out: dict[str, Decimal | None] = {}
    for ref in refs:
        by_partner = values.get(ref.key, {})
        if pid in by_partner:
            out[ref.key] = by_partner[pid]
        else:
            out[ref.key] = None if catalog.get_metric(ref.metric).unit == "fraction" else Decimal(0)
    return out


def evaluate(
    *,
    version: ProgramVersion,
    as_of: date,
    known_at: datetime | None = None,
    store: bool = True,
    progress: Progress | None = None,
) -> Evaluation:
    """Evaluate ``version`` as of ``as_of`` (a date in the program time zone) for every partner.

    ``known_at`` limits facts to those recorded at or before it (reproduce a past run).
    With ``store`` the run and its assessments are written in one transaction.
    Returns an ``Evaluation``; its ``summary`` has ``by_tier`` ({tier: count}, every tier of
    the program present), ``unassessed`` (partners with no active track or below the entry
    tier), ``by_track`` and ``grandfathered``.

    Raises ``core.money.MissingRateError`` when an amount cannot be converted.
    """
    say = progress or (lambda _msg: None)
    program = program_definition(version)
    context = MetricContext(
        as_of=as_of,
        currency=program.currency,
        fiscal_year_start=program.fiscal_year_start,
        known_at=known_at,
    )
    started = timezone.now()
    population = population_select(as_of=as_of, program=program)
    say(f"population: {len(population)} partners")
    refs = sorted(program.metric_refs(), key=lambda r: r.key)
    values = metric_values(program=program, context=context)
    say(f"metrics: {len(refs)} references computed")
    with cyclic_gc_paused():
        results = []
        for row in population:
            inputs = partner_values(refs=refs, values=values, pid=row.id)
            results.append(
                (
                    row,
                    rules.assess_partner(
                        program,
                        tracks_enrolled=row.tracks,
                        values=inputs,
                        previous_tier=row.previous_tier or None,
                        as_of=as_of,
                    ),
                    inputs,
                )
            )
    say(f"rules: {len(results)} partners assessed")
    evaluation = Evaluation(
        program=program,
        version=version,
        as_of=as_of,
        known_at=known_at,
        results=[(row, result) for row, result, _ in results],
        values=values,
        inputs={row.id: inputs for row, _, inputs in results},
    )
    evaluation.summary = summarize(evaluation)
    if store:
        with cyclic_gc_paused():
            evaluation.run = _store(evaluation, started=started)
        say(f"stored: run {evaluation.run.pk}")
    return evaluation


def summarize(evaluation: Evaluation) -> dict[str, Any]:
    """Counts: ``by_tier`` (every program tier, lowest first), ``unassessed``, ``by_track``
    ({track: {tier: count}}), ``grandfathered``, ``transitions`` ({previous: {tier: count}})."""
    program = evaluation.program
    by_tier: dict[str, int] = {key: 0 for key in program.tier_keys}
    by_track: dict[str, Counter[str]] = {key: Counter() for key in program.track_keys}
    transitions: dict[str, Counter[str]] = defaultdict(Counter)
    unassessed = grandfathered = 0
    for row, result in evaluation.results:
        if result.tier is None:
            unassessed += 1
        else:
            by_tier[result.tier] += 1
        if result.grandfathered_by is not None:
            grandfathered += 1
        for track, track_result in result.tracks.items():
            if track_result.tier is not None:
                by_track[track][track_result.tier] += 1
        transitions[row.previous_tier or "none"][result.tier or "none"] += 1
    return {
        "partners": len(evaluation.results),
        "by_tier": by_tier,
        "unassessed": unassessed,
        "grandfathered": grandfathered,
        "by_track": {
            track: {tier: counts.get(tier, 0) for tier in program.tier_keys}
            for track, counts in by_track.items()
        },
        "transitions": {prev: dict(counts) for prev, counts in sorted(transitions.items())},
    }


def evaluation_store(evaluation: Evaluation) -> EvaluationRun:
    """Store an evaluation computed with ``store=False`` (the run and its assessments, in one
    transaction), e.g. once a caller knows the result is needed; sets and returns
    ``evaluation.run``."""
    if evaluation.run is None:
        evaluation.run = _store(evaluation, started=timezone.now())
    return evaluation.run


def assessment_detail(
    result: rules.Assessment, inputs: Mapping[str, Decimal | None]
) -> dict[str, Any]:
    """The stored explanation of one assessment, compact (a few hundred bytes):

    ``{"values": {metric key: "12.5" | null}, "tracks": {track: {"active", "tier"}},
    "qualified_track", "grandfathering_rule", "next_tier": {"tier", "track", "missing":
    [{"metric", "missing"}]} | null}`` — decimals as exact strings.

    Every requirement's value, threshold, result and points follow from these values and the
    version, which is immutable and evaluated by pure rules: ``selectors.assessment_explain``
    rebuilds the whole explanation, identical to the one computed at evaluation time.
    """
    gap = result.next_tier
    return {
        "values": {k: None if v is None else str(v) for k, v in inputs.items()},
        "tracks": {
            track: {"active": r.active, "tier": r.qualified_tier}
            for track, r in result.tracks.items()
        },
        "qualified_track": result.qualified_track,
        "grandfathering_rule": result.grandfathering_rule,
        "next_tier": None
        if gap is None
        else {
            "tier": gap.to_tier,
            "track": gap.track,
            "missing": [
                {"metric": s.metric, "missing": None if s.missing is None else str(s.missing)}
                for s in gap.shortfalls
            ],
        },
    }


@transaction.atomic
def _store(evaluation: Evaluation, *, started: datetime) -> EvaluationRun:
    run = EvaluationRun.objects.create(
        program_version=evaluation.version,
        as_of=evaluation.as_of,
        known_at=evaluation.known_at,
        started_at=started,
        partner_count=len(evaluation.results),
        summary=evaluation.summary,
    )
    Assessment.objects.bulk_create(
        (
            Assessment(
                run=run,
                partner_id=row.id,
                tier=result.tier or "",
                qualified_tier=result.qualified_tier or "",
                previous_tier=row.previous_tier,
                grandfathered=result.grandfathered_by is not None,
                next_tier=(result.next_tier.tier if result.next_tier else "") or "",
                detail=assessment_detail(result, evaluation.inputs.get(row.id, {})),
            )
            for row, result in evaluation.results
        ),
        batch_size=BULK_BATCH,
    )
    run.finished_at = timezone.now()
    run.save(update_fields=["finished_at"])
    return run
