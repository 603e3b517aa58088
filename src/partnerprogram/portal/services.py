"""Writes of the portal: a partner registers a deal or declares its influence on an opportunity.

Claims of a tier go through ``standings.services.claim_file``. Each function is keyword-only,
runs in one transaction, re-checks inside it what the partner may write (never trusting the
form alone), records an audit event, and raises :class:`PortalError` (a ``ValueError`` naming the
field) with nothing written when refused.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from partnerprogram.audit.services import audit_record
from partnerprogram.partners.models import Partner
from partnerprogram.portal.models import DealRegistrationSubmission
from partnerprogram.portal.selectors.opportunities import (
    claimable_opportunities,
    product_lines,
    registration_currencies,
)
from partnerprogram.sales.models import DealRegistration, Opportunity, PartnerInvolvement
from partnerprogram.sales.rules import deal_registration_problems


class PortalError(ValueError):
    """A refused write; ``field`` names the form field at fault (``None``: the whole form)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def deal_registration_submit(
    *,
    partner: Partner,
    customer_name: str,
    product_line: str,
    estimated_amount: Decimal,
    currency: str,
    expected_close: date,
    submitted_by: str,
    program_currency: str,
    on: date,
) -> DealRegistration:
    """Register a deal for ``partner``: a ``DealRegistration`` with status ``submitted``,
    ``registered_on`` = ``on`` (today in the program's time zone), for the vendor to approve.

    Side effects, in one transaction: the registration, its ``DealRegistrationSubmission``
    (who, when, expected close) and an audit event ``deal_registration.submitted``. Refused
    (``PortalError``, nothing written) for an empty customer name, an unknown product line, an
    amount that is not positive (or has more than 2 decimals), a currency that cannot be
    converted into the program currency, or an expected close before ``on``
    (``sales.rules.deal_registration_problems``, the rules partner-scoped upserts apply too;
    the first problem is raised). A registration
    for the same customer and product line by anyone is allowed (the vendor arbitrates); the
    form warns about it first.
    """
    name = " ".join(customer_name.split())
    problems = deal_registration_problems(
        customer_name=customer_name,
        product_line=product_line,
        estimated_amount=estimated_amount,
        currency=currency,
        expected_close=expected_close,
        on=on,
        product_lines=product_lines(),
        currencies=registration_currencies(currency=program_currency),
    )
    if problems:
        field, reason = problems[0]
        raise PortalError(reason, field)
    actor = f"user:{submitted_by}"
    with transaction.atomic():
        registration = DealRegistration.objects.create(
            external_id=f"portal-{uuid.uuid4().hex[:16]}",
            partner=partner,
            customer_name=name,
            product_line=product_line,
            estimated_amount=estimated_amount,
            currency=currency,
            status=DealRegistration.Status.SUBMITTED,
            registered_on=on,
            expected_close_on=expected_close,
        )
        DealRegistrationSubmission.objects.create(
            registration=registration, expected_close=expected_close, submitted_by=actor
        )
        audit_record(
            actor=actor,
            action="deal_registration.submitted",
            obj=registration,
            changes={
                "status": (None, registration.status),
                "customer_name": (None, name),
                "product_line": (None, product_line),
                "estimated_amount": (None, estimated_amount),
                "currency": (None, currency),
                "expected_close": (None, expected_close),
            },
        )
    return registration


def influence_claim_submit(
    *, partner: Partner, opportunity: Opportunity, declared_by: str
) -> PartnerInvolvement:
    """Declare that ``partner`` shaped the customer's choice on ``opportunity``: a
    ``PartnerInvolvement`` with role ``influenced``, not validated (it counts in metrics once
    vendor staff approve it).

    Side effects, in one transaction: the involvement and an audit event
    ``involvement.declared``. Refused (``PortalError``, nothing written) when the opportunity
    is not one the partner may name (involved in or registered, re-checked inside the
    transaction) or was already declared.
    """
    actor = f"user:{declared_by}"
    refused = PortalError(
        _("Choose one of your opportunities that you have not declared yet."), "opportunity"
    )
    try:
        with transaction.atomic():
            if not claimable_opportunities(partner=partner).filter(pk=opportunity.pk).exists():
                raise refused
            involvement = PartnerInvolvement.objects.create(
                opportunity=opportunity,
                partner=partner,
                role=PartnerInvolvement.Role.INFLUENCED,
                validated=False,
            )
            audit_record(
                actor=actor,
                action="involvement.declared",
                obj=involvement,
                changes={"role": (None, "influenced"), "validated": (None, False)},
            )
    except IntegrityError:  # declared at the same moment by another member
        raise refused from None
    return involvement
