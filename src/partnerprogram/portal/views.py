"""Portal views: thin; reads go through ``portal.selectors`` scoped to the acting partner."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from partnerprogram.accounts.access import partner_member_required
from partnerprogram.portal import selectors


@partner_member_required
def overview(request: HttpRequest) -> HttpResponse:
    """The partner's standing per track and overall, and what it needs for the next tier."""
    partner = request.membership.partner  # type: ignore[attr-defined]
    context = selectors.overview_for(partner=partner)
    return render(request, "portal/overview.html", context)
