"""Shapes of standings, claims, overrides and cycles for output (JSON and text); no rule here.

Dates: ``valid_until``, ``frozen_until`` and ``grandfathered_until`` are exclusive (the first day
it no longer applies), as stored; the ``*_through`` fields give the last day it applies.

Status: given the date ``on`` it is shown for, a standing's ``status`` is the one that applies
that day (``selectors.status_on``: a ``frozen`` standing whose freeze is over shows as
``qualified``); ``stored_status`` is the status of the row as written.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from partnerprogram.standings.models import Claim, Override, Standing
from partnerprogram.standings.selectors import Period, status_on
from partnerprogram.standings.services.common import ONE_DAY


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _through(value: date | None) -> str | None:
    return (value - ONE_DAY).isoformat() if value else None


def _status(standing: Standing, on: date | None) -> str:
    return standing.status if on is None else status_on(standing.status, standing.frozen_until, on)


def standing_json(standing: Standing | None, on: date | None = None) -> dict[str, Any] | None:
    """One standing: tier, status (as of ``on`` when given, see the module), validity,
    protections, reason (en, fr), failed requirements, the version that decided it and what it
    comes from."""
    if standing is None:
        return None
    detail = standing.reason_detail or {}
    return {
        "id": standing.pk,
        "track": standing.track or None,
        "tier": standing.tier or None,
        "status": _status(standing, on),
        "stored_status": standing.status,
        "valid_from": _iso(standing.valid_from),
        "valid_until": _iso(standing.valid_until),
        "valid_through": _through(standing.valid_until),
        "frozen_until": _iso(standing.frozen_until),
        "frozen_through": _through(standing.frozen_until),
        "grandfathered": standing.status == Standing.Status.GRANDFATHERED,
        "grandfathered_until": _iso(standing.grandfathered_until),
        "grandfathered_through": _through(standing.grandfathered_until),
        "reason": standing.reason,
        "reason_fr": (detail.get("text") or {}).get("fr"),
        "failed": detail.get("failed", []),
        "version": standing.program_version.version,
        "decided_by": standing.decided_by,
        "priority": standing.priority,
        "assessment": standing.assessment_id,
        "cycle": standing.cycle_id,
        "claim": standing.claim_id,
        "override": standing.override_id,
    }


def period_json(period: Period) -> dict[str, Any]:
    """One period of the timeline: which row (and which version) decided those days."""
    s = period.standing
    return {
        "track": period.track or None,
        "from": _iso(period.start),
        "until": _iso(period.until),
        "through": _through(period.until),
        "tier": s.tier or None,
        "status": s.status,
        "version": s.program_version.version,
        "decided_by": s.decided_by,
        "reason": s.reason,
        "standing": s.pk,
    }


def claim_json(claim: Claim | None) -> dict[str, Any] | None:
    if claim is None:
        return None
    return {
        "id": claim.pk,
        "partner": claim.partner.external_id,
        "track": claim.track,
        "tier": claim.tier,
        "status": claim.status,
        "filed_at": claim.filed_at.isoformat(),
        "filed_by": claim.filed_by,
        "version": claim.program_version.version,
        "cycle": {
            "id": claim.cycle_id,
            "claims_open": _iso(claim.cycle.claims_open),
            "claim_deadline": _iso(claim.cycle.claim_deadline),
            "deadline_at": claim.cycle.deadline_at.isoformat(),
        },
        "outcome_tier": claim.outcome_tier or None,
        "settled_at": claim.settled_at.isoformat() if claim.settled_at else None,
    }


def override_json(override: Override) -> dict[str, Any]:
    return {
        "id": override.pk,
        "partner": override.partner.external_id,
        "track": override.track,
        "tier": override.tier,
        "reason": override.reason,
        "approver": override.approver,
        "starts_on": _iso(override.starts_on),
        "ends_on": _iso(override.ends_on),
        "through": _through(override.ends_on),
        "granted_by": override.granted_by,
        "version": override.program_version.version,
    }


def standing_line(standing: Standing | None, on: date | None = None) -> str:
    """``premier (frozen) from 2027-01-01, open-ended, frozen through 2027-12-31 [2026.2]``;
    the status as of ``on`` when given (``premier (qualified) ..., frozen through 2027-12-31
    (freeze over) ...`` on 2028-02-01)."""
    if standing is None:
        return f"no standing on {on}" if on is not None else "no standing"
    status = _status(standing, on)
    parts = [f"{standing.tier or 'no tier'} ({status})", f"from {standing.valid_from}"]
    parts.append(
        f"through {_through(standing.valid_until)}" if standing.valid_until else "open-ended"
    )
    if standing.frozen_until:
        over = " (freeze over)" if status != standing.status else ""
        parts.append(f"frozen through {_through(standing.frozen_until)}{over}")
    if standing.grandfathered_until:
        parts.append(f"grandfathered through {_through(standing.grandfathered_until)}")
    return ", ".join(parts) + f" [{standing.program_version.version}, {standing.decided_by}]"
