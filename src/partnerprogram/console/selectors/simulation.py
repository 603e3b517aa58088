"""Reads of the simulation pages: drafts and published versions to start from, a draft by id.

Vendor data only (drafts and versions belong to no partner); the views check the role first.
Query counts are fixed whatever the number of drafts (one query for the list).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import yaml
from django.utils.translation import gettext as _

from partnerprogram.console.charts import BarChart, LineChart, bar_chart, line_chart
from partnerprogram.console.programs import definition_of, lang
from partnerprogram.partners.models import Partner
from partnerprogram.programs.calibrate import (
    Calibration,
    Direction,
    calibrate,
    calibration_inputs,
    free_parse,
    target_parse,
    thresholds_list,
)
from partnerprogram.programs.drafts import program_draft_parse, program_drafts_list
from partnerprogram.programs.models import ProgramDraft, ProgramVersion
from partnerprogram.programs.schema import Program
from partnerprogram.programs.simulate import (
    NONE,
    Binding,
    Mover,
    SensitivityPoint,
    SimulationResult,
    simulation_run,
    threshold_get,
    threshold_sensitivity,
)


@dataclass(frozen=True)
class DraftRow:
    """One line of the drafts list. ``version`` is the ``version`` key written in the YAML
    (``""`` when the text cannot be read); ``based_on`` the published version it started from."""

    draft: ProgramDraft
    program: str
    version: str
    based_on: str
    updated_by: str
    updated_at: datetime


def _yaml_version(text: str) -> str:
    """The ``version`` key of a program text without validating it (the list only shows it);
    ``""`` when the text is not a YAML mapping."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return ""
    if isinstance(data, dict) and data.get("version") is not None:
        return str(data["version"])
    return ""


def simulation_drafts(*, program: str | None = None) -> list[DraftRow]:
    """Every draft (optionally of one program key), most recently edited first. One query."""
    return [
        DraftRow(
            draft=d,
            program=d.program.key,
            version=_yaml_version(d.yaml),
            based_on=d.based_on.version if d.based_on is not None else "",
            updated_by=d.updated_by.removeprefix("user:"),
            updated_at=d.updated_at,
        )
        for d in program_drafts_list(program=program)
    ]


def simulation_versions() -> list[ProgramVersion]:
    """Published versions, by program key then start date. One query."""
    return list(
        ProgramVersion.objects.select_related("program")
        .filter(status=ProgramVersion.Status.PUBLISHED)
        .order_by("program__key", "effective_from", "version")
    )


def _pk(value: str | int | None) -> int | None:
    try:
        pk = int(value or "")
    except (TypeError, ValueError):
        return None
    return pk if pk > 0 else None


def simulation_draft_get(*, pk: str | int | None) -> ProgramDraft | None:
    """The draft with this id (a query-string value: anything not a positive integer is no
    draft), with its program and ``based_on`` version; ``None`` when there is none."""
    found = _pk(pk)
    if found is None:
        return None
    return (
        ProgramDraft.objects.select_related("program", "based_on", "based_on__program")
        .filter(pk=found)
        .first()
    )


def simulation_version_get(*, pk: str | int | None) -> ProgramVersion | None:
    """The published version with this id, or ``None``."""
    found = _pk(pk)
    if found is None:
        return None
    return (
        ProgramVersion.objects.select_related("program")
        .filter(pk=found, status=ProgramVersion.Status.PUBLISHED)
        .first()
    )


# --------------------------------------------------------------------------- a simulation run


@dataclass(frozen=True)
class TierCount:
    """One tier on both sides: ``before`` (the other side; ``None`` when that side has no such
    figure, e.g. per-track tiers of the previous program), ``after`` (the draft)."""

    key: str
    label: str
    before: int | None
    after: int

    @property
    def difference(self) -> int | None:
        return None if self.before is None else self.after - self.before


@dataclass(frozen=True)
class TrackDistribution:
    """Tiers met in one track on both sides, with a bar chart per side."""

    track: str
    label: str
    rows: list[TierCount]
    chart_before: BarChart | None  # None: the other side has no per-track tiers
    chart_after: BarChart


@dataclass(frozen=True)
class MatrixCell:
    before: str
    after: str
    count: int

    @property
    def diagonal(self) -> bool:
        return self.before == self.after


@dataclass(frozen=True)
class MatrixRow:
    """One row of the transition matrix: partners whose tier was ``key`` on the other side,
    by their tier under the draft (columns in ``SimulationPage.tiers`` order)."""

    key: str
    label: str
    cells: list[MatrixCell]

    @property
    def total(self) -> int:
        return sum(c.count for c in self.cells)


@dataclass(frozen=True)
class CheckPair:
    """One check of the tier at stake for a mover, under both sides (``None``: that side has no
    rules, e.g. the standings, or the check does not exist there)."""

    track: str
    path: str
    metric: str
    value: Decimal | None
    comparator: str
    threshold_before: Decimal | None
    met_before: bool | None
    threshold_after: Decimal | None
    met_after: bool | None
    #: a score component (``comparator`` ``points``): the points the value earns on each side;
    #: the thresholds are then minimum points, not values
    points_before: Decimal | None = None
    points_after: Decimal | None = None

    @property
    def is_points(self) -> bool:
        return self.comparator == "points"

    @property
    def changed(self) -> bool:
        return (self.threshold_before, self.met_before) != (self.threshold_after, self.met_after)


@dataclass(frozen=True)
class MoverRow:
    """A partner who moves, with the requirement that moves it and its values under both."""

    mover: Mover
    before_label: str
    after_label: str
    checks: list[CheckPair]
    #: the display name of the tier the reasons are measured against (the tier a partner
    #: moving down fell from, the tier a partner moving up reached); "" without reasons
    reason_tier_label: str = ""

    @property
    def reasons(self) -> str:
        """``for Premier: Certified people: 8 more certified people; …`` ("" without reasons)."""
        if not self.mover.reasons:
            return ""
        return _("for %(tier)s: ") % {"tier": self.reason_tier_label} + "; ".join(
            f"{r.label_local}: {r.text}" for r in self.mover.reasons
        )


@dataclass(frozen=True)
class CostRow:
    """One benefit kind (``discount``, ``rebate``, ``mdf``, ``total``) on both sides."""

    key: str
    before: Decimal
    after: Decimal

    @property
    def difference(self) -> Decimal:
        return self.after - self.before


@dataclass(frozen=True)
class Sensitivity:
    """A threshold's curve: ``points`` (every tier at each value); ``tier`` the tier the
    threshold belongs to and ``share`` the chart of the share of ``base`` partners (the
    track's, else the whole population) holding ``tier`` or higher at each value."""

    path: str
    current: Decimal
    track: str | None
    tier: str | None
    base: int
    points: list[SensitivityPoint]
    chart: LineChart
    reached: list[int]

    @property
    def rows(self) -> list[tuple[SensitivityPoint, int]]:
        """``(point, partners reaching the tier)`` per value."""
        return list(zip(self.points, self.reached, strict=True))


@dataclass(frozen=True)
class SimulationPage:
    """Everything the result page and its exports show (see ``programs.simulate`` for the
    definitions). ``tiers``: keys highest first then ``none``; ``labels``: display names."""

    draft: ProgramDraft
    program: Program
    result: SimulationResult
    tiers: tuple[str, ...]
    labels: dict[str, str]
    track_labels: dict[str, str]
    distribution: list[TierCount]
    chart_before: BarChart
    chart_after: BarChart
    tracks: list[TrackDistribution]
    matrix: list[MatrixRow]
    binding: list[Binding]
    movers: list[MoverRow]
    cost: list[CostRow]
    cost_by_tier: list[CostRow]
    currency: str
    sensitivity: Sensitivity | None = None

    @property
    def before(self) -> str:
        return self.result.labels[0]

    @property
    def after(self) -> str:
        return self.result.labels[1]


def threshold_paths(program: Program) -> list[tuple[str, str]]:
    """The numeric thresholds of ``program`` a curve or a calibration can move, as ``(path,
    "label: value (path)")`` in document order (``programs.calibrate.thresholds_list``: checks,
    score minimums, component and group minimums), labels in the active language."""
    return [
        (t.path, f"{t.label}: {t.value:f} ({t.path})")
        for t in thresholds_list(program, lang=lang())
    ]


def _tier_labels(program: Program, tiers: tuple[str, ...], language: str) -> dict[str, str]:
    labels = {t: program.tier_name(t, language) for t in tiers if t in program.tier_keys}
    for t in tiers:
        labels.setdefault(t, str(_("No tier")) if t == NONE else t)
    return labels


def _bars(counts: dict[str, int], tiers: tuple[str, ...], labels: dict[str, str]) -> BarChart:
    return bar_chart([(t, labels[t], counts.get(t, 0)) for t in tiers])


def _checks(mover: Mover, before: str, after: str) -> list[CheckPair]:
    values = mover.values or {}
    sides = {
        label: {(c["track"], c["path"]): c for c in values.get(label, [])}
        for label in (before, after)
    }
    keys = list(sides[after]) + [k for k in sides[before] if k not in sides[after]]
    pairs = []
    for key in keys:
        b, a = sides[before].get(key), sides[after].get(key)
        some = a or b
        assert some is not None
        pairs.append(
            CheckPair(
                track=key[0],
                path=key[1],
                metric=some["metric"],
                value=some["value"],
                comparator=some["comparator"],
                threshold_before=b["threshold"] if b else None,
                met_before=b["met"] if b else None,
                threshold_after=a["threshold"] if a else None,
                met_after=a["met"] if a else None,
                points_before=b.get("points") if b else None,
                points_after=a.get("points") if a else None,
            )
        )
    return pairs


def _sensitivity(
    program: Program, result: SimulationResult, path: str, values: list[Decimal]
) -> Sensitivity:
    points = threshold_sensitivity(
        program=program,
        snapshot=result.snapshot,
        path=path,
        values=values,
        base=result.outcome,
    )
    parts = path.split(".")
    track = parts[1] if len(parts) > 3 and parts[0] == "requirements" else None
    tier = parts[2].split("[")[0] if track else None
    if tier is not None and tier not in program.tier_keys:
        tier = None
    reached: list[int] = []
    base = result.partners
    for point in points:
        counts = point.track if track else point.by_tier
        if track:
            base = sum(point.track.values())
        if tier is None:
            reached.append(sum(n for t, n in counts.items() if t != NONE))
        else:
            rank = program.tier_rank(tier)
            reached.append(
                sum(n for t, n in counts.items() if t != NONE and program.tier_rank(t) >= rank)
            )
    shares = [
        (f"{p.value:f}", None if not base else Decimal(n) / Decimal(base))
        for p, n in zip(points, reached, strict=True)
    ]
    top = max((v for _label, v in shares if v is not None), default=Decimal(0))
    # the scale: the smallest of these that holds the curve (a 5 % curve is not drawn flat)
    y_max = next(m for m in map(Decimal, ("0.05", "0.1", "0.2", "0.25", "0.5", "1")) if top <= m)
    chart = line_chart(shares, y_max=y_max, max_labels=10)
    return Sensitivity(
        path=path,
        current=threshold_get(program, path),
        track=track,
        tier=tier,
        base=base,
        points=points,
        chart=chart,
        reached=reached,
    )


def simulation_compute(
    *,
    draft: ProgramDraft,
    against: ProgramVersion | Literal["standings", "previous"],
    on: date,
    sensitivity: tuple[str, list[Decimal]] | None = None,
) -> SimulationPage:
    """Simulate ``draft`` as of ``on`` (program time zone) against a published version or
    ``"standings"`` / ``"previous"`` (``programs.simulate.simulation_run``), shaped for the
    page: tier names in the active language, bar charts, the transition matrix, binding
    requirements sorted by how many partners each alone keeps out (then together), the movers
    with their checks under both sides, and the benefit cost (program currency, over a year).
    ``sensitivity``: ``(threshold path, values)`` adds a curve. Stores nothing.

    Raises ``ProgramError`` when the draft no longer validates, ``SimulationError`` for a bad
    threshold path or value, ``core.money.MissingRateError`` when money cannot be converted.
    Queries: those of one snapshot (one aggregate per metric, whatever the population).
    """
    program = program_draft_parse(draft)
    other = definition_of(against) if isinstance(against, ProgramVersion) else against
    result = simulation_run(draft=program, against=other, as_of=on, detail_limit=10**9)
    language = lang()
    tiers = result.tiers
    labels = _tier_labels(program, tiers, language)
    before, after = result.labels
    distribution = [
        TierCount(
            key=t,
            label=labels[t],
            before=result.distribution[before].get(t, 0),
            after=result.distribution[after].get(t, 0),
        )
        for t in tiers
    ]
    tracks = []
    # the previous program (Partner.previous_tier) has an overall tier only: its per-track
    # figures are "not available", never zeros
    before_known = before in result.by_track
    for track in program.track_keys:
        b = result.by_track.get(before, {}).get(track, {})
        a = result.by_track.get(after, {}).get(track, {})
        shown = tuple(t for t in tiers if t != NONE or b.get(t) or a.get(t))
        tracks.append(
            TrackDistribution(
                track=track,
                label=program.track_name(track, language),
                rows=[
                    TierCount(
                        key=t,
                        label=labels[t],
                        before=b.get(t, 0) if before_known else None,
                        after=a.get(t, 0),
                    )
                    for t in shown
                ],
                chart_before=_bars(b, shown, labels) if before_known else None,
                chart_after=_bars(a, shown, labels),
            )
        )
    pairs = {(f, t): n for f, t, n in result.transitions}
    matrix = [
        MatrixRow(
            key=f,
            label=labels[f],
            cells=[MatrixCell(before=f, after=t, count=pairs.get((f, t), 0)) for t in tiers],
        )
        for f in tiers
    ]
    binding = sorted(  # tracks not in effect on the date last (all zero, still listed)
        result.binding,
        key=lambda b: (
            not b.track_active,
            -b.alone,
            -b.together,
            b.track,
            -program.tier_rank(b.tier),
        ),
    )
    movers = [
        MoverRow(
            mover=m,
            before_label=labels.get(m.before, m.before),
            after_label=labels.get(m.after, m.after),
            checks=_checks(m, before, after),
            reason_tier_label=labels.get(m.reasons[0].tier, m.reasons[0].tier) if m.reasons else "",
        )
        for m in result.movers
    ]
    cb, ca = result.cost[before], result.cost[after]
    cost = [
        CostRow(key=k, before=getattr(cb, k), after=getattr(ca, k))
        for k in ("discount", "rebate", "mdf", "total")
    ]
    cost_by_tier = [
        CostRow(key=t, before=cb.by_tier.get(t, Decimal(0)), after=ca.by_tier.get(t, Decimal(0)))
        for t in tiers
        if t != NONE
    ]
    return SimulationPage(
        draft=draft,
        program=program,
        result=result,
        tiers=tiers,
        labels=labels,
        track_labels={t: program.track_name(t, language) for t in program.track_keys},
        distribution=distribution,
        chart_before=_bars(result.distribution[before], tiers, labels),
        chart_after=_bars(result.distribution[after], tiers, labels),
        tracks=tracks,
        matrix=matrix,
        binding=binding,
        movers=movers,
        cost=cost,
        cost_by_tier=cost_by_tier,
        currency=result.snapshot.currency,
        sensitivity=_sensitivity(program, result, *sensitivity) if sensitivity else None,
    )


#: the tables of a result page that download (``?export=<name>&format=csv|xlsx``)
EXPORTS = (
    "distribution",
    "by_track",
    "transitions",
    "movers",
    "mover_checks",
    "binding",
    "cost",
    "sensitivity",
)


def movers_filter(
    movers: list[MoverRow], *, from_tier: str | None, to_tier: str | None
) -> list[MoverRow]:
    """The movers from ``from_tier`` (other side) and/or to ``to_tier`` (the draft)."""
    return [
        m
        for m in movers
        if (not from_tier or m.mover.before == from_tier)
        and (not to_tier or m.mover.after == to_tier)
    ]


def simulation_export(
    page: SimulationPage, *, table: str, movers: list[MoverRow] | None = None
) -> tuple[list[str], list[list[Any]]] | None:
    """``(header, rows)`` of one table of ``page`` (names in :data:`EXPORTS`; ``None`` for an
    unknown name or a sensitivity not computed). Tier and track columns hold the keys of the
    program language (stable across languages); counts are partners; money is in
    ``page.currency``. ``movers``: the (filtered) movers to export, default all."""
    before, after = page.before, page.after
    rows: list[list[Any]]
    if table == "distribution":
        header = ["tier", "tier_name", f"partners_{before}", f"partners_{after}", "difference"]
        rows = [[r.key, r.label, r.before, r.after, r.difference] for r in page.distribution]
    elif table == "by_track":
        header = ["track", "tier", f"partners_{before}", f"partners_{after}", "difference"]
        rows = [
            [t.track, r.key, r.before, r.after, r.difference] for t in page.tracks for r in t.rows
        ]
    elif table == "transitions":
        header = [f"tier_{before}", f"tier_{after}", "partners"]
        rows = [[c.before, c.after, c.count] for row in page.matrix for c in row.cells if c.count]
    elif table == "movers":
        header = [
            "external_id",
            "partner",
            f"tier_{before}",
            f"tier_{after}",
            "direction",
            "grandfathered",
            f"resale_bookings_12m_{page.currency}",
            "requirements",
            "what_is_missing",
        ]
        rows = [
            [
                m.mover.external_id,
                m.mover.name,
                m.mover.before,
                m.mover.after,
                m.mover.direction,
                m.mover.grandfathered,
                m.mover.resale,
                "; ".join(r.path for r in m.mover.reasons),
                m.reasons,
            ]
            for m in (page.movers if movers is None else movers)
        ]
    elif table == "mover_checks":
        header = [
            "external_id",
            "partner",
            f"tier_{before}",
            f"tier_{after}",
            "track",
            "requirement",
            "metric",
            "value",
            "comparator",
            f"threshold_{before}",
            f"met_{before}",
            f"threshold_{after}",
            f"met_{after}",
        ]
        rows = [
            [
                m.mover.external_id,
                m.mover.name,
                m.mover.before,
                m.mover.after,
                c.track,
                c.path,
                c.metric,
                c.value,
                c.comparator,
                c.threshold_before,
                c.met_before,
                c.threshold_after,
                c.met_after,
            ]
            for m in (page.movers if movers is None else movers)
            for c in m.checks
        ]
    elif table == "binding":
        header = [
            "track",
            "tier",
            "requirement",
            "label",
            "alone",
            "together",
            "failing",
            "partners_below_tier",
            "track_active",
        ]
        rows = [
            [
                b.track,
                b.tier,
                b.requirement,
                b.label,
                b.alone,
                b.together,
                b.failing,
                b.below,
                b.track_active,
            ]
            for b in page.binding
        ]
    elif table == "cost":
        header = ["item", f"{before}_{page.currency}", f"{after}_{page.currency}", "difference"]
        rows = [[c.key, c.before, c.after, c.difference] for c in page.cost]
        rows += [[f"tier:{c.key}", c.before, c.after, c.difference] for c in page.cost_by_tier]
    elif table == "sensitivity" and page.sensitivity is not None:
        s = page.sensitivity
        tiers = [t for t in page.tiers if t in s.points[0].by_tier] if s.points else []
        header = [s.path, *(f"partners_{t}" for t in tiers)]
        if s.track:
            header += [f"{s.track}_{t}" for t in tiers]
        header.append(f"reaching_{s.tier or 'a_tier'}")
        rows = [
            [
                p.value,
                *(p.by_tier.get(t, 0) for t in tiers),
                *((p.track.get(t, 0) for t in tiers) if s.track else ()),
                n,
            ]
            for p, n in zip(s.points, s.reached, strict=True)
        ]
    else:
        return None
    return header, rows


# --------------------------------------------------------------------------- calibration


@dataclass(frozen=True)
class CalibrationPage:
    """A calibration of a draft (``programs.calibrate.Calibration``) shaped for the page:
    ``distribution``: tiers under the draft as written (``before``) and calibrated (``after``);
    ``partners``: ``(external id, name, tier as written, tier calibrated)`` of the partners
    whose tier the calibration changes."""

    draft: ProgramDraft
    calibration: Calibration
    labels: dict[str, str]
    distribution: list[TierCount]
    partners: list[tuple[str, str, str, str]]


def calibration_compute(
    *,
    draft: ProgramDraft,
    baseline: str,
    on: date,
    targets: list[str],
    free: list[str],
    direction: Direction,
) -> CalibrationPage:
    """Calibrate ``draft``: the smallest relative change of its ``free`` thresholds (``PATH`` or
    ``PATH:MIN..MAX``; none: every threshold) that meets ``targets`` (``TARGET_GRAMMAR``)
    against ``baseline`` (``previous``, ``standings`` or a version of the draft's program) as
    of ``on``. Stores nothing.

    Raises ``ProgramError`` (the draft no longer validates), ``CalibrationError`` naming the bad
    target, threshold or baseline, ``core.money.MissingRateError``. Queries: the population,
    one aggregate per metric, and one for the names of the partners that change tier.
    """
    program = program_draft_parse(draft)
    parsed = [target_parse(t, program=program) for t in targets]
    moves = free_parse(free, program=program, direction=direction)
    inputs = calibration_inputs(program=program, as_of=on, baseline=baseline)
    result = calibrate(
        program=program,
        text=draft.yaml,
        source=f"draft {draft.name!r}",
        inputs=inputs,
        targets=parsed,
        free=moves,
        lang=lang(),
    )
    tiers = (*reversed(program.tier_keys), NONE)
    labels = _tier_labels(program, tiers, lang())
    distribution = [
        TierCount(
            key=t,
            label=labels[t],
            before=result.distribution_before.get(t, 0),
            after=result.distribution_after.get(t, 0),
        )
        for t in tiers
    ]
    names = dict(
        Partner.objects.filter(
            external_id__in=[ext for ext, _b, _a in result.changed_partners]
        ).values_list("external_id", "name")
    )
    partners = [
        (ext, names.get(ext, ""), before or NONE, after or NONE)
        for ext, before, after in result.changed_partners
    ]
    return CalibrationPage(
        draft=draft,
        calibration=result,
        labels=labels,
        distribution=distribution,
        partners=partners,
    )


def calibration_export(
    page: CalibrationPage, *, table: str
) -> tuple[list[str], list[list[Any]]] | None:
    """``(header, rows)`` of ``changes`` (suggested thresholds), ``targets`` or ``partners``
    (those whose tier changes); ``None`` for another name."""
    result = page.calibration
    if table == "changes":
        return ["threshold", "requirement", "draft", "calibrated", "relative_change"], [
            [c.path, c.label, c.old, c.new, c.relative] for c in result.changes
        ]
    if table == "targets":
        return ["target", "draft", "calibrated", "limit", "met_draft", "met_calibrated"], [
            [t.target, t.before, t.after, t.limit, t.met_before, t.met_after]
            for t in result.targets
        ]
    if table == "partners":
        return ["external_id", "partner", "tier_draft", "tier_calibrated"], [
            list(row) for row in page.partners
        ]
    return None
