"""Reads for the portal, always for one partner: the acting membership's partner.

Every function takes the ``partner`` the view got from ``request.membership`` and can only
return that partner's rows.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from partnerprogram.partners.models import Partner
from partnerprogram.standings.selectors import standings_of


def overview_for(*, partner: Partner) -> dict[str, Any]:
    """``{"partner", "on", "standings"}``: the partner's standings in effect today (overall
    first, then per track)."""
    on = timezone.localdate()
    return {"partner": partner, "on": on, "standings": standings_of(partner=partner, on=on)}
