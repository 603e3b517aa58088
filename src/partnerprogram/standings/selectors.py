"""Reads on standings, cycles and claims.

``standing_on`` is the reference query: the standing of a partner in a track on a date is the
row in effect that day (``valid_from <= D`` and ``valid_until`` null or ``> D``) with the
highest ``priority``, then the latest ``valid_from``, then the latest id. One indexed query
(index ``partner, track, valid_from``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from partnerprogram.partners.models import Partner
from partnerprogram.programs.models import ProgramVersion
from partnerprogram.programs.selectors import program_definition
from partnerprogram.standings.models import OVERALL, Claim, Cycle, Standing

_ORDER = ("-priority", "-valid_from", "-id")


def status_on(status: str, frozen_until: date | None, on: date) -> str:
    """The status to report for a standing in effect on ``on``: a ``frozen`` standing whose
    freeze is over (``frozen_until <= on``; no refresh wrote the standing that follows it) is
    reported ``qualified``: it is still the standing in effect, no longer protected. The stored
    row keeps ``frozen`` (standings are append-only). Pure."""
    if status == Standing.Status.FROZEN and frozen_until is not None and frozen_until <= on:
        return Standing.Status.QUALIFIED
    return status


def _in_effect(on: date) -> Q:
    return Q(valid_from__lte=on) & (Q(valid_until__isnull=True) | Q(valid_until__gt=on))


def standing_on(*, partner: Partner | int, track: str = OVERALL, on: date) -> Standing | None:
    """The standing of ``partner`` in ``track`` (blank: overall) on ``on``, or ``None``.
    One query (the version that decided it is joined)."""
    pid = partner.pk if isinstance(partner, Partner) else partner
    return (
        Standing.objects.filter(_in_effect(on), partner_id=pid, track=track)
        .select_related("program_version")
        .order_by(*_ORDER)
        .first()
    )


def standings_of(*, partner: Partner | int, on: date) -> dict[str, Standing]:
    """The standing of ``partner`` on ``on`` in every track it has one in, overall first
    (key ``""``). One query."""
    pid = partner.pk if isinstance(partner, Partner) else partner
    rows = (
        Standing.objects.filter(_in_effect(on), partner_id=pid)
        .select_related("program_version")
        .order_by("track", *_ORDER)
    )
    out: dict[str, Standing] = {}
    for row in rows:
        out.setdefault(row.track, row)
    return out


def standing_history(*, partner: Partner | int, track: str | None = None) -> list[Standing]:
    """Every standing row of ``partner`` (of ``track`` when given), in the order written
    within each track. One query."""
    pid = partner.pk if isinstance(partner, Partner) else partner
    qs: QuerySet[Standing] = Standing.objects.filter(partner_id=pid).select_related(
        "program_version"
    )
    if track is not None:
        qs = qs.filter(track=track)
    return list(qs.order_by("track", "valid_from", "id"))


@dataclass(frozen=True)
class Period:
    """A stretch of days over which one standing row was the one in effect; ``until`` is
    exclusive (``None``: open-ended)."""

    track: str
    start: date
    until: date | None
    standing: Standing


def standing_periods(rows: list[Standing]) -> list[Period]:
    """The timeline of who decided each day: from the rows of ``standing_history``, the
    periods over which each row was the one in effect (by the ``standing_on`` rule),
    consecutive days of the same row merged. Pure."""
    out: list[Period] = []
    by_track: dict[str, list[Standing]] = {}
    for row in rows:
        by_track.setdefault(row.track, []).append(row)
    for track, items in by_track.items():
        bounds = sorted(
            {r.valid_from for r in items} | {r.valid_until for r in items if r.valid_until}
        )
        for i, start in enumerate(bounds):
            until = bounds[i + 1] if i + 1 < len(bounds) else None
            live = [
                r
                for r in items
                if r.valid_from <= start and (r.valid_until is None or r.valid_until > start)
            ]
            if not live:
                continue
            best = max(live, key=lambda r: (r.priority, r.valid_from, r.pk or 0))
            if (
                out
                and out[-1].track == track
                and out[-1].standing.pk == best.pk
                and (out[-1].until == start)
            ):
                out[-1] = Period(track, out[-1].start, until, best)
            else:
                out.append(Period(track, start, until, best))
    return out


def standing_summary(
    *, on: date, program: str | None = None, track: str = OVERALL, listed: bool = False
) -> dict[str, Any]:
    """Distribution of the standings in effect on ``on`` in ``track`` (blank: overall) over all
    partners: ``{"on", "track", "partners", "by_tier": {tier: n}, "by_status": {status: n}}``;
    with ``listed`` also ``"standings"``: ``[{"partner": external id, "name", "tier",
    "status"}]`` by external id. ``by_tier`` lists the tiers of ``program``'s version in force
    on ``on`` (highest first, zeros included) and ``none`` for lapsed standings; statuses are
    reported as of ``on`` (``status_on``: a freeze that is over counts as ``qualified``). One
    query for the standings (a window function picks each partner's standing in effect),
    whatever the number of partners, plus one for the tier list when ``program`` is given."""
    ranked = (
        Standing.objects.filter(_in_effect(on), track=track)
        .annotate(
            rn=Window(
                RowNumber(),
                partition_by=[F("partner_id")],
                order_by=[F("priority").desc(), F("valid_from").desc(), F("id").desc()],
            )
        )
        .filter(rn=1)
    )
    if program:
        ranked = ranked.filter(program_version__program__key=program)
    found = list(
        ranked.values_list(
            "tier", "status", "frozen_until", "partner__external_id", "partner__name"
        ).order_by("partner__external_id")
    )
    tiers: list[str] = []
    if program:
        version = (
            ProgramVersion.objects.select_related("program")
            .filter(program__key=program, effective_from__lte=on)
            .order_by("-effective_from", "-loaded_at")
            .first()
        )
        if version is not None:
            tiers = list(reversed(program_definition(version).tier_keys))
    by_tier: dict[str, int] = dict.fromkeys(tiers, 0)
    by_status: Counter[str] = Counter()
    listing: list[dict[str, Any]] = []
    for tier, status, frozen_until, external_id, name in found:
        status = status_on(status, frozen_until, on)
        by_tier[tier or "none"] = by_tier.get(tier or "none", 0) + 1
        by_status[status] += 1
        if listed:
            listing.append(
                {"partner": external_id, "name": name, "tier": tier or None, "status": status}
            )
    out: dict[str, Any] = {
        "on": on.isoformat(),
        "track": track or None,
        "partners": len(found),
        "by_tier": by_tier,
        "by_status": dict(sorted(by_status.items())),
    }
    if listed:
        out["standings"] = listing
    return out


def cycles_list(*, program: str) -> list[Cycle]:
    """The stored cycles of ``program`` with ``claim_counts`` ({status: n}) attached, ordered
    by claims_open. Two queries."""
    cycles = list(
        Cycle.objects.select_related("program", "program_version", "run")
        .filter(program__key=program)
        .order_by("claims_open", "track")
    )
    counts: dict[int, dict[str, int]] = {}
    for cycle_id, status, n in (
        Claim.objects.filter(cycle__in=cycles)
        .values_list("cycle_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts.setdefault(cycle_id, {})[status] = n
    for cycle in cycles:
        cycle.claim_counts = counts.get(cycle.pk, {})  # type: ignore[attr-defined]
    return cycles


def claims_of(*, partner: Partner | int, track: str | None = None) -> list[Claim]:
    """The claims of a partner, oldest first."""
    pid = partner.pk if isinstance(partner, Partner) else partner
    qs = Claim.objects.filter(partner_id=pid).select_related("cycle", "program_version")
    if track is not None:
        qs = qs.filter(track=track)
    return list(qs.order_by("filed_at", "id"))
