"""Reads for the portal, always for one partner: the acting membership's partner.

Every function takes the partner (or a ``PortalContext`` built for it by ``portal_context``)
that the view got from ``request.membership`` — never from the URL or a parameter — and can
only return that partner's rows (and those of partners merged into it). Split by page:
``overview``, ``people``, ``opportunities``, ``business``, ``program`` (benefits and guide).
"""

from partnerprogram.portal.selectors.business import business_of
from partnerprogram.portal.selectors.context import (
    PortalContext,
    context_for,
    owned,
    portal_context,
)
from partnerprogram.portal.selectors.opportunities import (
    claimable_opportunities,
    influence_claims_of,
    product_lines,
    registration_currencies,
    registration_duplicate_exists,
    registration_get,
    registrations_of,
    visible_opportunities,
)
from partnerprogram.portal.selectors.overview import overview_for, tracks_of
from partnerprogram.portal.selectors.people import people_page
from partnerprogram.portal.selectors.program import benefits_for, guide_for

__all__ = [
    "PortalContext",
    "benefits_for",
    "business_of",
    "claimable_opportunities",
    "context_for",
    "guide_for",
    "influence_claims_of",
    "overview_for",
    "owned",
    "people_page",
    "portal_context",
    "product_lines",
    "registration_currencies",
    "registration_duplicate_exists",
    "registration_get",
    "registrations_of",
    "tracks_of",
    "visible_opportunities",
]
