"""Claims of the program across partners, with their risk (``selectors.risk``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerprogram.console.programs import ProgramView
from partnerprogram.console.selectors.risk import ClaimRisk, claims_risk
from partnerprogram.standings.models import Claim


@dataclass(frozen=True)
class ClaimFilters:
    """Blank means "any"; ``at_risk``: ``yes`` (pending and at risk) or ``no``."""

    status: str = ""
    track: str = ""
    tier: str = ""
    at_risk: str = ""
    q: str = ""


@dataclass(frozen=True)
class ClaimList:
    claims: QuerySet[Claim]
    risks: dict[int, ClaimRisk]


def claims_list(*, program: ProgramView, filters: ClaimFilters) -> ClaimList:
    """Claims of ``program`` matching ``filters`` (latest filed first), and the risk of every
    pending one. Lazy queryset with partner and cycle joined."""
    risks = claims_risk(program=program.key)
    qs = (
        Claim.objects.filter(cycle__program__key=program.key)
        .select_related("partner", "cycle", "program_version")
        .order_by("-filed_at", "-id")
    )
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.track:
        qs = qs.filter(track=filters.track)
    if filters.tier:
        qs = qs.filter(tier=filters.tier)
    risky = [cid for cid, r in risks.items() if r.at_risk]
    if filters.at_risk == "yes":
        qs = qs.filter(pk__in=risky)
    elif filters.at_risk == "no":
        qs = qs.exclude(pk__in=risky)
    if filters.q.strip():
        term = filters.q.strip()
        qs = qs.filter(
            Q(partner__name__icontains=term)
            | Q(partner__external_id__icontains=term)
            | Q(filed_by__icontains=term)
        )
    return ClaimList(claims=qs, risks=risks)


CLAIM_EXPORT_COLUMNS = (
    _("Claim"),
    _("Partner id"),
    _("Partner"),
    _("Track"),
    _("Claimed tier"),
    _("Status"),
    _("Outcome tier"),
    _("Filed at"),
    _("Filed by"),
    _("Claim deadline"),
    _("Version"),
    _("At risk"),
    _("Latest assessed tier"),
    _("Assessed on"),
)


def claim_export_rows(claims: ClaimList) -> Iterator[Sequence[Any]]:
    for c in claims.claims.iterator(chunk_size=500):
        risk = claims.risks.get(c.pk)
        yield (
            c.pk,
            c.partner.external_id,
            c.partner.name,
            c.track,
            c.tier,
            c.status,
            c.outcome_tier or None,
            timezone.localtime(c.filed_at),
            c.filed_by,
            c.cycle.claim_deadline,
            c.program_version.version,
            risk.at_risk if risk else None,
            risk.assessed_tier if risk else None,
            risk.assessed_on if risk else None,
        )
