"""The partner directory: search, filters, sort; the same queryset feeds the page and the
exports.

Each partner row carries its overall standing in effect on the date (tier, status, freeze end:
correlated subqueries on the standings index, so filtering and sorting by tier stay in SQL), the
number of its pending claims, and its tracks on the date (prefetched). Partners merged into
another are left out (their facts count for the survivor). The number of queries does not
depend on the number of partners or on the page size: count, page, tracks, plus the at-risk
set (``selectors.risk``) and the list of countries.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from partnerprogram.console.programs import ProgramView
from partnerprogram.console.selectors.risk import claims_risk
from partnerprogram.partners.models import Partner, TrackEnrolment
from partnerprogram.standings.models import OVERALL, Claim, Standing
from partnerprogram.standings.selectors import status_on

#: sort keys -> ordering; ``tier`` is by rank (no tier lowest), highest first with ``-tier``
SORTS = ("name", "-name", "tier", "-tier", "city", "-city")
NO_TIER = "none"


@dataclass(frozen=True)
class DirectoryFilters:
    """What the directory is asked for; blank means "any". ``at_risk``: ``yes`` or ``no``."""

    q: str = ""
    tier: str = ""
    track: str = ""
    status: str = ""
    country: str = ""
    at_risk: str = ""
    sort: str = "name"


def _in_effect(on: date) -> Q:
    return Q(valid_from__lte=on) & (Q(valid_until__isnull=True) | Q(valid_until__gt=on))


def _enrolled(on: date) -> Q:
    return Q(enrolled_on__lte=on) & (Q(ended_on__isnull=True) | Q(ended_on__gt=on))


def _standing(on: date, program: ProgramView | None, field: str) -> Subquery:
    rows = Standing.objects.filter(_in_effect(on), partner_id=OuterRef("pk"), track=OVERALL)
    if program is not None:
        rows = rows.filter(program_version__program__key=program.key)
    return Subquery(rows.order_by("-priority", "-valid_from", "-id").values(field)[:1])


def countries() -> list[str]:
    """Country codes of the partners, sorted. One query."""
    return list(
        Partner.objects.filter(merged_into__isnull=True)
        .order_by("country")
        .values_list("country", flat=True)
        .distinct()
    )


@dataclass(frozen=True)
class Directory:
    partners: QuerySet[Partner]
    at_risk: frozenset[int]


def partner_directory(
    *, on: date, program: ProgramView | None, filters: DirectoryFilters
) -> Directory:
    """The partners matching ``filters``, annotated with ``tier``, ``standing_status``,
    ``standing_frozen_until``, ``pending_claims`` and ``tier_rank``, tracks on ``on`` in
    ``tracks_now`` (when evaluated), ordered by ``filters.sort``; and the ids of partners with
    a claim at risk. Lazy: the caller pages through it."""
    pending = (
        Claim.objects.filter(partner_id=OuterRef("pk"), status=Claim.Status.PENDING)
        .order_by()
        .values("partner_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    qs = Partner.objects.filter(merged_into__isnull=True).annotate(
        tier=_standing(on, program, "tier"),
        standing_status=_standing(on, program, "status"),
        standing_frozen_until=_standing(on, program, "frozen_until"),
        pending_claims=Coalesce(Subquery(pending), Value(0)),
    )
    ranks = program.definition.tier_keys if program is not None else ()
    qs = qs.annotate(
        tier_rank=Case(
            *[When(tier=key, then=Value(rank)) for rank, key in enumerate(ranks)],
            default=Value(-1),
            output_field=IntegerField(),
        )
    )
    f = filters
    if f.q.strip():
        term = f.q.strip()
        qs = qs.filter(
            Q(name__icontains=term) | Q(external_id__icontains=term) | Q(city__icontains=term)
        )
    if f.tier == NO_TIER:
        qs = qs.filter(Q(tier__isnull=True) | Q(tier=""))
    elif f.tier:
        qs = qs.filter(tier=f.tier)
    if f.track:
        qs = qs.filter(
            pk__in=TrackEnrolment.objects.filter(_enrolled(on), track=f.track).values("partner_id")
        )
    if f.status:
        qs = qs.filter(status=f.status)
    if f.country:
        qs = qs.filter(country=f.country)
    risky: frozenset[int] = frozenset()
    if program is not None:
        risky = frozenset(
            r.partner_id for r in claims_risk(program=program.key).values() if r.at_risk
        )
    if f.at_risk == "yes":
        qs = qs.filter(pk__in=risky)
    elif f.at_risk == "no":
        qs = qs.exclude(pk__in=risky)
    sort = f.sort if f.sort in SORTS else "name"
    descending = sort.startswith("-")
    column = {"name": "name", "tier": "tier_rank", "city": "city"}[sort.lstrip("-")]
    order = [f"-{column}" if descending else column]
    if column != "name":
        order.append("name")
    order.append("id")
    qs = qs.order_by(*order).prefetch_related(
        Prefetch(
            "enrolments",
            queryset=TrackEnrolment.objects.filter(_enrolled(on)).order_by("track"),
            to_attr="tracks_now",
        )
    )
    return Directory(partners=qs, at_risk=risky)


@dataclass(frozen=True)
class DirectoryRow:
    """One partner as the directory shows it."""

    partner: Partner
    tier: str
    tier_label: str
    status: str
    tracks: tuple[tuple[str, str], ...]
    pending_claims: int
    at_risk: bool


def directory_row(
    partner: Partner, *, on: date, program: ProgramView | None, at_risk: frozenset[int]
) -> DirectoryRow:
    """A row of ``partner_directory``'s queryset, with names. Pure."""
    tier = getattr(partner, "tier", None) or ""
    status = getattr(partner, "standing_status", None) or ""
    if status:
        status = status_on(status, getattr(partner, "standing_frozen_until", None), on)
    tracks = tuple(
        (e.track, program.track_label(e.track) if program else e.track)
        for e in getattr(partner, "tracks_now", [])
    )
    return DirectoryRow(
        partner=partner,
        tier=tier,
        tier_label=program.tier_label(tier) if program and tier else tier,
        status=status,
        tracks=tracks,
        pending_claims=getattr(partner, "pending_claims", 0) or 0,
        at_risk=partner.pk in at_risk,
    )


#: header of ``directory_export_rows``
DIRECTORY_EXPORT_COLUMNS = (
    _("External id"),
    _("Name"),
    _("City"),
    _("Country"),
    _("Partner status"),
    _("Tier"),
    _("Standing status"),
    _("Tracks"),
    _("Pending claims"),
    _("At risk"),
    _("Contact email"),
)


def directory_export_rows(
    directory: Directory, *, on: date, program: ProgramView | None
) -> Iterator[Sequence[Any]]:
    """Every partner of the directory as export rows (``DIRECTORY_EXPORT_COLUMNS``), in the
    directory's order; read in chunks."""
    for partner in directory.partners.iterator(chunk_size=500):
        row = directory_row(partner, on=on, program=program, at_risk=directory.at_risk)
        yield (
            partner.external_id,
            partner.name,
            partner.city,
            partner.country,
            partner.status,
            row.tier or None,
            row.status or None,
            " ".join(key for key, _label in row.tracks),
            row.pending_claims,
            row.at_risk,
            partner.contact_email,
        )
