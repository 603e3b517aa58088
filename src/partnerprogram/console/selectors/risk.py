"""Claims at risk before the deadline, read from stored assessments.

Stated rule: a **pending** claim is *at risk* when the partner's **latest assessment** in the
claim's program (the finished run with the latest ``as_of``, then the latest run) does not
reach the claimed tier in the claimed track: the track's qualified tier in that assessment,
raised by the grandfathering rules of the assessment's version (as a settlement would,
``programs.rules.apply_grandfathering``), ranks below the claimed tier. A partner with no
assessment yet, or not assessed in the track, is at risk too (fail closed: nothing says it
qualifies); ``assessed_on`` is then ``None``.

This reads what was stored; ``standings.services.risks`` re-evaluates the population to send
the risk notices. Three queries whatever the number of claims: the pending claims, the latest
assessment of each of their partners (a window function), the program versions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from partnerprogram.console.programs import definition_of
from partnerprogram.programs import rules
from partnerprogram.programs.models import Assessment, ProgramVersion
from partnerprogram.standings.models import Claim


@dataclass(frozen=True)
class ClaimRisk:
    """A pending claim against the partner's latest assessment."""

    claim_id: int
    partner_id: int
    track: str
    claimed_tier: str
    assessed_tier: str | None
    assessed_on: date | None
    assessment_id: int | None
    at_risk: bool


def assessments_latest(
    *, partner_ids: Iterable[int], program: str, fields: tuple[str, ...] = ()
) -> dict[int, dict[str, Any]]:
    """``{partner id: row}`` of each partner's latest assessment in ``program`` (finished runs;
    latest ``as_of``, then latest run). A row holds ``id``, ``partner_id``, ``previous_tier``,
    ``detail``, ``run__as_of``, ``run__program_version_id`` and ``fields``. One query."""
    ids = list(partner_ids)
    if not ids:
        return {}
    rows = (
        Assessment.objects.filter(
            partner_id__in=ids,
            run__finished_at__isnull=False,
            run__program_version__program__key=program,
        )
        .annotate(
            rn=Window(
                RowNumber(),
                partition_by=[F("partner_id")],
                order_by=[F("run__as_of").desc(), F("run_id").desc()],
            )
        )
        .filter(rn=1)
        .values(
            "id",
            "partner_id",
            "previous_tier",
            "detail",
            "run__as_of",
            "run__program_version_id",
            *fields,
        )
    )
    return {row["partner_id"]: row for row in rows}


def claims_risk(*, program: str, partner_ids: Iterable[int] | None = None) -> dict[int, ClaimRisk]:
    """``{claim id: ClaimRisk}`` for every pending claim of ``program`` (of ``partner_ids``
    when given). See the module for the rule. Three queries (one when nothing is pending)."""
    pending = Claim.objects.filter(status=Claim.Status.PENDING, cycle__program__key=program)
    if partner_ids is not None:
        pending = pending.filter(partner_id__in=list(partner_ids))
    claims = list(pending.values_list("id", "partner_id", "track", "tier"))
    if not claims:
        return {}
    latest = assessments_latest(partner_ids={c[1] for c in claims}, program=program)
    versions = {
        v.pk: v
        for v in ProgramVersion.objects.select_related("program").filter(
            pk__in={row["run__program_version_id"] for row in latest.values()}
        )
    }
    out: dict[int, ClaimRisk] = {}
    for claim_id, partner_id, track, tier in claims:
        row = latest.get(partner_id)
        assessed: str | None = None
        at_risk = True
        if row is not None:
            definition = definition_of(versions[row["run__program_version_id"]])
            track_detail = (row["detail"] or {}).get("tracks", {}).get(track)
            qualified = (track_detail or {}).get("tier") or None
            if track_detail is not None:
                assessed, _rule = rules.apply_grandfathering(
                    definition,
                    previous_tier=row["previous_tier"] or None,
                    qualified_tier=qualified,
                    as_of=row["run__as_of"],
                )
            keys = definition.tier_keys
            reached = keys.index(assessed) if assessed in keys else -1
            wanted = keys.index(tier) if tier in keys else len(keys)
            at_risk = reached < wanted
        out[claim_id] = ClaimRisk(
            claim_id=claim_id,
            partner_id=partner_id,
            track=track,
            claimed_tier=tier,
            assessed_tier=assessed,
            assessed_on=row["run__as_of"] if row is not None else None,
            assessment_id=row["id"] if row is not None else None,
            at_risk=at_risk,
        )
    return out


def partners_at_risk(*, program: str) -> set[int]:
    """Ids of the partners with at least one pending claim at risk (``claims_risk``)."""
    return {r.partner_id for r in claims_risk(program=program).values() if r.at_risk}
