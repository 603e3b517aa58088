"""What vendor staff approve: submitted deal registrations and influence claims.

- A deal registration waits while its status is ``submitted``; decided ones are ``approved``
  or ``rejected`` (latest decisions first).
- An influence claim is a ``PartnerInvolvement`` with role ``influenced``: pending while not
  validated and not decided (``decided_by`` blank); decided ones are validated or rejected.

Lists are querysets (paged by the view, exported whole), ``select_related`` so the number of
queries does not depend on their length.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerprogram.console.labels import INFLUENCE_STATUS, label
from partnerprogram.sales.models import DealRegistration, PartnerInvolvement

KINDS = ("registrations", "influence")
STATES = ("pending", "decided")


@dataclass(frozen=True)
class ApprovalFilters:
    kind: str = "registrations"
    state: str = "pending"
    q: str = ""
    partner: str = ""


def influence_status(involvement: PartnerInvolvement) -> tuple[str, str]:
    """``(status, translated name)``: ``validated``, ``rejected`` (decided, not validated) or
    ``pending``. Pure."""
    if involvement.validated:
        status = "validated"
    elif involvement.decided_by:
        status = "rejected"
    else:
        status = "pending"
    return status, label(INFLUENCE_STATUS, status)


def _search(q: str, *fields: str) -> Q:
    term = q.strip()
    cond = Q()
    for f in fields:
        cond |= Q(**{f"{f}__icontains": term})
    return cond


def registrations_to_decide(*, filters: ApprovalFilters) -> QuerySet[DealRegistration]:
    """Deal registrations ``pending`` (submitted; oldest first) or ``decided`` (approved or
    rejected; latest decision first), of partner ``filters.partner`` (external id) when given,
    matching ``filters.q`` (registration id, customer, partner name or id)."""
    qs = DealRegistration.objects.select_related("partner")
    if filters.state == "decided":
        qs = qs.filter(
            status__in=[DealRegistration.Status.APPROVED, DealRegistration.Status.REJECTED]
        ).order_by("-decided_on", "-id")
    else:
        qs = qs.filter(status=DealRegistration.Status.SUBMITTED).order_by("registered_on", "id")
    if filters.partner:
        qs = qs.filter(partner__external_id=filters.partner)
    if filters.q.strip():
        qs = qs.filter(
            _search(
                filters.q,
                "external_id",
                "customer_name",
                "partner__name",
                "partner__external_id",
            )
        )
    return qs


def influence_claims_to_decide(*, filters: ApprovalFilters) -> QuerySet[PartnerInvolvement]:
    """Influence claims ``pending`` (oldest first) or ``decided`` (latest first), filtered as
    ``registrations_to_decide``."""
    qs = PartnerInvolvement.objects.filter(role=PartnerInvolvement.Role.INFLUENCED).select_related(
        "partner", "opportunity__customer"
    )
    if filters.state == "decided":
        qs = qs.exclude(decided_by="").order_by("-decided_on", "-id")
    else:
        qs = qs.filter(validated=False, decided_by="").order_by("recorded_at", "id")
    if filters.partner:
        qs = qs.filter(partner__external_id=filters.partner)
    if filters.q.strip():
        qs = qs.filter(
            _search(
                filters.q,
                "opportunity__external_id",
                "opportunity__name",
                "opportunity__customer__name",
                "partner__name",
                "partner__external_id",
            )
        )
    return qs


def pending_counts() -> dict[str, int]:
    """``{"registrations": n, "influence": n}`` waiting for a decision. Two queries."""
    return {
        "registrations": DealRegistration.objects.filter(
            status=DealRegistration.Status.SUBMITTED
        ).count(),
        "influence": PartnerInvolvement.objects.filter(
            role=PartnerInvolvement.Role.INFLUENCED, validated=False, decided_by=""
        ).count(),
    }


REGISTRATION_EXPORT_COLUMNS = (
    _("Registration"),
    _("Partner id"),
    _("Partner"),
    _("Customer"),
    _("Product line"),
    _("Estimated amount"),
    _("Currency"),
    _("Registered on"),
    _("Status"),
    _("Decided on"),
    _("Protected until (exclusive)"),
    _("Decided by"),
    _("Reason"),
)


def registration_export_rows(qs: QuerySet[DealRegistration]) -> Iterator[Sequence[Any]]:
    for r in qs.iterator(chunk_size=500):
        yield (
            r.external_id,
            r.partner.external_id,
            r.partner.name,
            r.customer_name,
            r.product_line,
            r.estimated_amount,
            r.currency,
            r.registered_on,
            r.status,
            r.decided_on,
            r.expires_on,
            r.decided_by,
            r.decision_reason,
        )


INFLUENCE_EXPORT_COLUMNS = (
    _("Opportunity"),
    _("Opportunity name"),
    _("Customer"),
    _("Amount"),
    _("Currency"),
    _("Partner id"),
    _("Partner"),
    _("Claimed at"),
    _("Status"),
    _("Decided on"),
    _("Decided by"),
    _("Reason"),
)


def influence_export_rows(qs: QuerySet[PartnerInvolvement]) -> Iterator[Sequence[Any]]:
    for inv in qs.iterator(chunk_size=500):
        status, _label = influence_status(inv)
        yield (
            inv.opportunity.external_id,
            inv.opportunity.name,
            inv.opportunity.customer.name,
            inv.opportunity.amount,
            inv.opportunity.currency,
            inv.partner.external_id,
            inv.partner.name,
            timezone.localtime(inv.recorded_at),
            status,
            inv.decided_on,
            inv.decided_by,
            inv.decision_reason,
        )
