"""Deal registrations and influence claims of the acting partner.

Every queryset here is filtered on the partner (``context.owned``): a detail page fetches its
object **through** :func:`registrations_of`, so another partner's id is a 404. The duplicate
check is the only read across partners, and it returns a boolean, never a row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from partnerprogram.core.models import ExchangeRate
from partnerprogram.partners.models import Partner
from partnerprogram.portal.presenters import STAGE_LABELS
from partnerprogram.portal.selectors.context import owned
from partnerprogram.sales.models import (
    Booking,
    DealRegistration,
    Opportunity,
    PartnerInvolvement,
)

#: Statuses of a registration that still claims the deal (a new one for the same customer and
#: product line is then a likely conflict).
OPEN_STATUSES = (DealRegistration.Status.SUBMITTED, DealRegistration.Status.APPROVED)


def registrations_of(*, partner: Partner) -> QuerySet[DealRegistration]:
    """The partner's deal registrations (with those of partners merged into it), newest
    first. The only way the portal reads registrations."""
    return (
        DealRegistration.objects.filter(owned(partner))
        .select_related("opportunity", "portal_submission")
        .order_by("-registered_on", "-id")
    )


def registration_get(*, partner: Partner, pk: int) -> DealRegistration | None:
    """One of the partner's registrations, or ``None`` (another partner's id included)."""
    return registrations_of(partner=partner).filter(pk=pk).first()


def normalize_name(name: str) -> str:
    """A customer name as compared for duplicates: inner spaces collapsed, case folded."""
    return " ".join(name.split()).casefold()


def registration_duplicate_exists(*, customer_name: str, product_line: str) -> bool:
    """True when an open registration (submitted or approved) for the same customer name
    (case and spacing ignored) and product line exists, **whoever** registered it. Returns only
    a boolean: the portal never says who, for how much or in which status. One query.

    The database narrows the candidates with the longest ASCII word of the name
    (``icontains`` folds ASCII case on every backend; SQLite does not fold accented letters),
    then names are compared in Python with Unicode case folding.
    """
    name = normalize_name(customer_name)
    if not name or not product_line:
        return False
    candidates = DealRegistration.objects.filter(
        product_line=product_line, status__in=OPEN_STATUSES
    )
    words = [w for w in name.split(" ") if w.isascii() and w.isalnum()]
    if words:
        candidates = candidates.filter(customer_name__icontains=max(words, key=len))
    names = candidates.values_list("customer_name", flat=True)
    return any(normalize_name(other) == name for other in names)


def product_lines() -> list[str]:
    """The vendor's product lines (from its pipeline and bookings), sorted. One query."""
    rows = Opportunity.objects.values_list("product_line", flat=True).union(
        Booking.objects.values_list("product_line", flat=True)
    )
    return sorted(set(rows))


def registration_currencies(*, currency: str) -> list[str]:
    """Currencies a registration may use: the program currency and every currency with an
    exchange rate into it (so that the engine can convert it). One query."""
    rows = ExchangeRate.objects.filter(Q(base=currency) | Q(currency=currency)).values_list(
        "currency", "base"
    )
    found = {currency}
    for code, base in rows:
        found.add(code if base == currency else base)
    return sorted(found)


def visible_opportunities(*, partner: Partner) -> QuerySet[Opportunity]:
    """Opportunities the partner may name in an influence claim: those it is involved in (any
    role) or registered. One query when evaluated."""
    involved = PartnerInvolvement.objects.filter(owned(partner), opportunity=OuterRef("pk"))
    registered = DealRegistration.objects.filter(owned(partner), opportunity=OuterRef("pk"))
    return (
        Opportunity.objects.filter(Q(Exists(involved)) | Q(Exists(registered)))
        .select_related("customer")
        .order_by("name", "id")
    )


def claimable_opportunities(*, partner: Partner) -> QuerySet[Opportunity]:
    """Visible opportunities the partner has not yet declared as influenced."""
    declared = PartnerInvolvement.objects.filter(
        owned(partner), opportunity=OuterRef("pk"), role=PartnerInvolvement.Role.INFLUENCED
    )
    return visible_opportunities(partner=partner).exclude(Exists(declared))


@dataclass(frozen=True)
class InfluenceClaim:
    opportunity: str
    external_id: str
    customer: str
    stage: str
    declared_on: object
    status: str  # pending | approved | rejected
    decided_on: object
    reason: str


def influence_claims_of(*, partner: Partner) -> list[InfluenceClaim]:
    """The partner's influence declarations with their approval status: approved (validated),
    rejected (decided but not validated) or pending. One query."""
    rows = (
        PartnerInvolvement.objects.filter(owned(partner), role=PartnerInvolvement.Role.INFLUENCED)
        .select_related("opportunity__customer")
        .order_by("-recorded_at", "-id")
    )
    out = []
    for row in rows:
        decided_by = getattr(row, "decided_by", "")
        if row.validated:
            status = "approved"
        elif decided_by:
            status = "rejected"
        else:
            status = "pending"
        out.append(
            InfluenceClaim(
                opportunity=row.opportunity.name,
                external_id=row.opportunity.external_id,
                customer=row.opportunity.customer.name,
                stage=str(STAGE_LABELS.get(row.opportunity.stage, row.opportunity.stage)),
                declared_on=row.recorded_at,
                status=status,
                decided_on=row.validated_on or getattr(row, "decided_on", None),
                reason=getattr(row, "decision_reason", ""),
            )
        )
    return out
