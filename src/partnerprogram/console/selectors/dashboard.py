"""The console dashboard: the channel's figures as of a date.

- **Partners, active partners, CCSP share and growth**: ``reports.kpis.kpis_compute`` (its
  definitions; amounts in the program currency).
- **Distribution by tier and by track**: the official standings in effect on the date
  (``standings.selectors.standing_summary``, overall and per track of the program). When no
  standing is in effect (before the first baseline), the latest finished evaluation run of the
  program with ``as_of`` on or before the date (its stored summary); ``source`` says which.
  The standings source also counts the partners of the KPI population (not merged, not
  terminated) **without a standing** in effect (not assessed yet, or only in a track that is
  not open yet): ``no_standing``; ``total`` = the tier rows + ``no_standing``, and the shares
  are over ``total``, so the rows add up to the partners shown. A track not open on the date
  says from when (``opens_on``) instead of showing zeros.
- **Indirect share over time**: ``reports.trends.indirect_share_monthly`` (24 monthly points,
  trailing 12 months each) against ``INDIRECT_SHARE_GOAL``.
- **Claims pending** and **partners at risk before the deadline**: ``selectors.risk``.

The number of queries does not depend on the number of partners.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.translation import gettext

from partnerprogram.console.charts import BarChart, LineChart, bar_chart, line_chart
from partnerprogram.console.programs import ProgramView
from partnerprogram.console.selectors.risk import ClaimRisk, claims_risk
from partnerprogram.core.money import MissingRateError
from partnerprogram.partners.models import Partner
from partnerprogram.programs.models import EvaluationRun
from partnerprogram.reports.kpis import Kpis, kpis_compute
from partnerprogram.reports.trends import (
    INDIRECT_SHARE_GOAL,
    SharePoint,
    indirect_share_monthly,
)
from partnerprogram.standings.models import Claim
from partnerprogram.standings.selectors import standing_summary

NONE = "none"
#: the chart bar of the partners without a standing in effect
NO_STANDING = "no_standing"


@dataclass(frozen=True)
class TierCount:
    key: str
    label: str
    count: int
    fraction: Decimal | None


@dataclass(frozen=True)
class TrackDistribution:
    track: str
    label: str
    partners: int
    tiers: tuple[TierCount, ...]
    #: the track's effective_from when it is not open yet on the date shown, else None
    opens_on: date | None = None


@dataclass(frozen=True)
class Distribution:
    """``source``: ``standings`` (in effect on ``on``), ``evaluation`` (run ``run`` as of
    ``as_of``) or ``""`` (nothing to show). ``partners``: partners holding a standing (or
    evaluated); ``no_standing``: partners of the KPI population without one (standings
    source only); ``total`` = ``partners`` + ``no_standing``, what the ``fraction`` of the
    ``overall`` rows and ``no_standing_fraction`` are shares of."""

    source: str
    overall: tuple[TierCount, ...] = ()
    by_track: tuple[TrackDistribution, ...] = ()
    partners: int = 0
    run: int | None = None
    as_of: date | None = None
    chart: BarChart | None = None
    no_standing: int = 0
    no_standing_fraction: Decimal | None = None

    @property
    def total(self) -> int:
        """Every partner shown: with a tier row, or without a standing."""
        return self.partners + self.no_standing


@dataclass(frozen=True)
class AtRisk:
    claim: ClaimRisk
    partner: Partner
    track_label: str
    claimed_label: str
    assessed_label: str


@dataclass(frozen=True)
class Dashboard:
    on: date
    program: ProgramView | None
    kpis: Kpis | None
    error: str
    distribution: Distribution
    share: tuple[SharePoint, ...]
    share_chart: LineChart | None
    share_goal: Decimal
    claims_pending: int
    at_risk: tuple[AtRisk, ...]
    partners_at_risk: int


def _tier_keys(program: ProgramView, *by_tiers: dict[str, int]) -> list[str]:
    """The program's tiers (highest first), then any other key found, then ``none`` when some
    partner has no tier: the same columns for the overall and every track."""
    keys = list(program.tier_keys_desc)
    found = {k for by_tier in by_tiers for k, n in by_tier.items() if n or k in keys}
    keys += sorted(k for k in found if k not in keys and k != NONE)
    if any(by_tier.get(NONE) for by_tier in by_tiers):
        keys.append(NONE)
    return keys


def _tier_counts(
    by_tier: dict[str, int], program: ProgramView, keys: list[str], *, extra: int = 0
) -> tuple[TierCount, ...]:
    """One row per key; fractions over the rows' sum plus ``extra`` (partners without a
    standing, shown in a row of their own)."""
    total = sum(by_tier.get(k, 0) for k in keys) + extra
    return tuple(
        TierCount(
            key=k,
            label=program.tier_label(k) if k != NONE else "",
            count=by_tier.get(k, 0),
            fraction=None if total == 0 else Decimal(by_tier.get(k, 0)) / Decimal(total),
        )
        for k in keys
    )


def distribution_on(*, on: date, program: ProgramView) -> Distribution:
    """Tier distribution overall and per track (see the module): from the standings in effect
    on ``on``, else from the latest evaluation run. About two queries per track."""
    overall = standing_summary(on=on, program=program.key, listed=True)  # same one query
    if overall["partners"]:
        summaries = {
            track: standing_summary(on=on, program=program.key, track=track)
            for track in program.definition.track_keys
        }
        keys = _tier_keys(program, overall["by_tier"], *(s["by_tier"] for s in summaries.values()))
        with_standing = {row["partner"] for row in overall["standings"]}
        no_standing = sum(
            1 for external_id in _population_external_ids() if external_id not in with_standing
        )
        total = overall["partners"] + no_standing
        counts = _tier_counts(overall["by_tier"], program, keys, extra=no_standing)
        bars = [(c.key, c.label, c.count) for c in counts]
        if no_standing:
            bars.append((NO_STANDING, gettext("No standing"), no_standing))
        definition = program.definition
        return Distribution(
            source="standings",
            overall=counts,
            by_track=tuple(
                TrackDistribution(
                    track=track,
                    label=program.track_label(track),
                    partners=summary["partners"],
                    tiers=_tier_counts(summary["by_tier"], program, keys),
                    opens_on=(
                        None
                        if definition.track_active(track, on)
                        else definition.tracks[track].effective_from
                    ),
                )
                for track, summary in summaries.items()
            ),
            partners=overall["partners"],
            chart=bar_chart(bars),
            no_standing=no_standing,
            no_standing_fraction=Decimal(no_standing) / Decimal(total) if total else None,
        )
    run = (
        EvaluationRun.objects.filter(
            program_version__program__key=program.key, as_of__lte=on, finished_at__isnull=False
        )
        .order_by("-as_of", "-id")
        .only("id", "as_of", "summary", "partner_count")
        .first()
    )
    if run is None:
        return Distribution(source="")
    summary = run.summary or {}
    by_tier = dict(summary.get("by_tier", {}))
    if summary.get("unassessed"):
        by_tier[NONE] = summary["unassessed"]
    by_track = {track: dict(tiers) for track, tiers in summary.get("by_track", {}).items()}
    keys = _tier_keys(program, by_tier, *by_track.values())
    counts = _tier_counts(by_tier, program, keys)
    return Distribution(
        source="evaluation",
        overall=counts,
        by_track=tuple(
            TrackDistribution(
                track=track,
                label=program.track_label(track),
                partners=sum(tiers.values()),
                tiers=_tier_counts(tiers, program, keys),
            )
            for track, tiers in by_track.items()
        ),
        partners=sum(c.count for c in counts),
        run=run.pk,
        as_of=run.as_of,
        chart=bar_chart([(c.key, c.label, c.count) for c in counts]),
    )


def _population_external_ids() -> list[str]:
    """External ids of the partners the KPIs count (not merged, not terminated). One query."""
    return list(
        Partner.objects.filter(merged_into__isnull=True)
        .exclude(status=Partner.Status.TERMINATED)
        .values_list("external_id", flat=True)
    )


def at_risk_list(*, program: ProgramView, limit: int | None = None) -> list[AtRisk]:
    """Pending claims at risk (``selectors.risk``) with their partner, by partner name. Four
    queries."""
    risky = [r for r in claims_risk(program=program.key).values() if r.at_risk]
    partners = Partner.objects.in_bulk({r.partner_id for r in risky})
    rows = [
        AtRisk(
            claim=r,
            partner=partners[r.partner_id],
            track_label=program.track_label(r.track),
            claimed_label=program.tier_label(r.claimed_tier),
            assessed_label=program.tier_label(r.assessed_tier),
        )
        for r in risky
    ]
    rows.sort(key=lambda a: (a.partner.name, a.partner.pk, a.claim.track))
    return rows[:limit] if limit is not None else rows


def dashboard_compute(
    *, on: date, program: ProgramView | None, at_risk_shown: int = 10
) -> Dashboard:
    """Everything the dashboard shows as of ``on`` (a date in the program's zone). A missing
    exchange rate does not break the page: ``error`` names it and the money figures are
    left out."""
    currency = program.currency if program is not None else "EUR"
    error = ""
    kpis: Kpis | None = None
    share: list[SharePoint] = []
    try:
        kpis = kpis_compute(as_of=on, currency=currency)
        share = indirect_share_monthly(as_of=on, months=24, currency=currency)
    except MissingRateError as exc:
        error = str(exc)
    chart = (
        line_chart(
            [(date_format(p.month, "M Y"), p.share) for p in share],
            goal=INDIRECT_SHARE_GOAL,
        )
        if share
        else None
    )
    if program is None:
        return Dashboard(
            on=on,
            program=None,
            kpis=kpis,
            error=error,
            distribution=Distribution(source=""),
            share=tuple(share),
            share_chart=chart,
            share_goal=INDIRECT_SHARE_GOAL,
            claims_pending=0,
            at_risk=(),
            partners_at_risk=0,
        )
    risky = at_risk_list(program=program)
    return Dashboard(
        on=on,
        program=program,
        kpis=kpis,
        error=error,
        distribution=distribution_on(on=on, program=program),
        share=tuple(share),
        share_chart=chart,
        share_goal=INDIRECT_SHARE_GOAL,
        claims_pending=Claim.objects.filter(
            status=Claim.Status.PENDING, cycle__program__key=program.key
        ).count(),
        at_risk=tuple(risky[:at_risk_shown]),
        partners_at_risk=len({a.partner.pk for a in risky}),
    )
