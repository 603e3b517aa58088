"""Decisions of vendor staff on what partners submit: deal registrations and influence claims.

Stated rules:

- Only a waiting item is decided: a registration in status ``submitted``; an influence claim
  (``PartnerInvolvement`` role ``influenced``) not validated and not decided yet. The row is
  locked (``SELECT ... FOR UPDATE``) and re-checked inside the transaction, so two managers
  deciding at once cannot both win: the second gets ``DecisionError``.
- Rejecting needs a reason (the partner reads it); approving may carry one.
- Approving a registration sets ``approved``, ``decided_on`` and ``expires_on`` = decision day
  + ``protection_days`` (90 by default; exclusive: protected through the day before). Rejecting
  sets ``rejected`` (no protection). The decision date may not precede the registration.
- Approving an influence claim sets ``validated`` and ``validated_on`` (it then counts in the
  influence metrics); rejecting leaves it unvalidated. Both record ``decided_on``.
- Both record ``decided_by`` (``user:<username>``) and ``decision_reason``, write an audit
  event in the transaction (``deal_registration.approved|rejected``,
  ``influence_claim.validated|rejected``) and, after it, a notice to the partner (kinds
  ``deal_registration_decided`` and ``influence_claim_decided``, English and French).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from partnerprogram.audit.services import audit_record
from partnerprogram.notifications.services import notice_send
from partnerprogram.sales.models import DealRegistration, PartnerInvolvement

__all__ = [
    "PROTECTION_DAYS",
    "DecisionError",
    "deal_registration_decide",
    "influence_claim_decide",
]

#: Days an approved deal registration protects the partner (benefit "protection days").
PROTECTION_DAYS = 90


class DecisionError(ValueError):
    """A decision refused; the message names the item and the reason. Nothing was written."""


def _money(amount: Decimal, currency: str, lang: str) -> str:
    text = f"{amount:,.2f}"
    if lang == "fr":
        return text.replace(",", "\u202f").replace(".", ",") + f" {currency}"
    return f"{currency} {text}"


def deal_registration_decide(
    *,
    registration: DealRegistration,
    approve: bool,
    reason: str,
    actor: str,
    on: date,
    protection_days: int = PROTECTION_DAYS,
) -> DealRegistration:
    """Approve or reject a submitted deal registration on ``on`` (see the module).

    Side effects: the registration updated, one audit event, then one
    ``deal_registration_decided`` notice (emailed to the partner's contact). Returns the updated
    registration. Raises ``DecisionError`` (nothing written) when it is not ``submitted`` any
    more, when rejecting without a reason, or when ``on`` precedes its registration.
    """
    reason = (reason or "").strip()
    what = f"deal registration {registration.external_id}"
    if not approve and not reason:
        raise DecisionError(f"{what}: a reason is required to reject it")
    if protection_days < 1:
        raise DecisionError(f"{what}: protection days must be at least 1")
    with transaction.atomic():
        locked = (
            DealRegistration.objects.select_for_update()
            .select_related("partner")
            .filter(pk=registration.pk)
            .first()
        )
        if locked is None:
            raise DecisionError(f"{what} no longer exists")
        if locked.status != DealRegistration.Status.SUBMITTED:
            raise DecisionError(
                f"{what} is already {locked.status}"
                + (f" (decided on {locked.decided_on})" if locked.decided_on else "")
                + ": only a submitted registration can be decided"
            )
        if on < locked.registered_on:
            raise DecisionError(
                f"{what}: the decision date {on} precedes its registration on "
                f"{locked.registered_on}"
            )
        before = locked.status
        locked.status = (
            DealRegistration.Status.APPROVED if approve else DealRegistration.Status.REJECTED
        )
        locked.decided_on = on
        locked.expires_on = on + timedelta(days=protection_days) if approve else None
        locked.decided_by = actor
        locked.decision_reason = reason
        locked.save(
            update_fields=["status", "decided_on", "expires_on", "decided_by", "decision_reason"]
        )
        audit_record(
            actor=actor,
            action="deal_registration.approved" if approve else "deal_registration.rejected",
            obj=locked,
            changes={
                "status": (before, locked.status),
                "decided_on": (None, on),
                "expires_on": (None, locked.expires_on),
            },
            note=reason,
        )
    partner = locked.partner
    deal = {
        lang: f"{locked.external_id} ({locked.customer_name}, {locked.product_line}, "
        f"{_money(locked.estimated_amount, locked.currency, lang)})"
        for lang in ("en", "fr")
    }
    if approve:
        through = (locked.expires_on or on) - timedelta(days=1)
        subject = {
            "en": f"Deal registration {locked.external_id} approved",
            "fr": f"Enregistrement d'affaire {locked.external_id} approuvé",
        }
        body = {
            "en": f"Your deal registration {deal['en']} was approved on {on}. It protects the "
            f"deal through {through}." + (f" Note: {reason}" if reason else ""),
            "fr": f"Votre enregistrement d'affaire {deal['fr']} a été approuvé le {on}. Il "
            f"protège l'affaire jusqu'au {through} inclus."
            + (f" Remarque : {reason}" if reason else ""),
        }
    else:
        subject = {
            "en": f"Deal registration {locked.external_id} rejected",
            "fr": f"Enregistrement d'affaire {locked.external_id} refusé",
        }
        body = {
            "en": f"Your deal registration {deal['en']} was rejected on {on}. Reason: {reason}",
            "fr": f"Votre enregistrement d'affaire {deal['fr']} a été refusé le {on}. "
            f"Motif : {reason}",
        }
    notice_send(
        partner=partner,
        kind="deal_registration_decided",
        subject=subject,
        body=body,
        dedupe_key=f"deal_registration_decided:{locked.pk}",
        on=on,
    )
    return locked


def influence_claim_decide(
    *,
    involvement: PartnerInvolvement,
    approve: bool,
    reason: str,
    actor: str,
    on: date,
) -> PartnerInvolvement:
    """Validate or reject a pending influence claim on ``on`` (see the module).

    Side effects: the involvement updated, one audit event, then one
    ``influence_claim_decided`` notice. Returns the updated row. Raises ``DecisionError``
    (nothing written) when it is not an influence claim, is already decided, or when rejecting
    without a reason.
    """
    reason = (reason or "").strip()
    what = f"influence claim {involvement.pk}"
    if not approve and not reason:
        raise DecisionError(f"{what}: a reason is required to reject it")
    with transaction.atomic():
        locked = (
            PartnerInvolvement.objects.select_for_update()
            .select_related("partner", "opportunity__customer")
            .filter(pk=involvement.pk)
            .first()
        )
        if locked is None:
            raise DecisionError(f"{what} no longer exists")
        if locked.role != PartnerInvolvement.Role.INFLUENCED:
            raise DecisionError(f"{what} is a {locked.role} involvement, not an influence claim")
        if locked.validated or locked.decided_by:
            state = "validated" if locked.validated else "rejected"
            raise DecisionError(
                f"{what} is already {state}"
                + (f" (decided on {locked.decided_on})" if locked.decided_on else "")
                + ": only a pending claim can be decided"
            )
        locked.validated = approve
        locked.validated_on = on if approve else None
        locked.decided_on = on
        locked.decided_by = actor
        locked.decision_reason = reason
        locked.save(
            update_fields=[
                "validated",
                "validated_on",
                "decided_on",
                "decided_by",
                "decision_reason",
            ]
        )
        audit_record(
            actor=actor,
            action="influence_claim.validated" if approve else "influence_claim.rejected",
            obj=locked,
            changes={"validated": (False, approve), "decided_on": (None, on)},
            note=reason,
        )
    opportunity = locked.opportunity
    deal = f"{opportunity.name} ({opportunity.customer.name}, {opportunity.external_id})"
    if approve:
        subject = {
            "en": f"Influence on {opportunity.external_id} validated",
            "fr": f"Influence sur {opportunity.external_id} validée",
        }
        body = {
            "en": f"Your influence claim on {deal} was validated on {on}: it now counts in "
            "your influence metrics." + (f" Note: {reason}" if reason else ""),
            "fr": f"Votre déclaration d'influence sur {deal} a été validée le {on} : elle "
            "compte désormais dans vos indicateurs d'influence."
            + (f" Remarque : {reason}" if reason else ""),
        }
    else:
        subject = {
            "en": f"Influence on {opportunity.external_id} not validated",
            "fr": f"Influence sur {opportunity.external_id} non validée",
        }
        body = {
            "en": f"Your influence claim on {deal} was rejected on {on}. Reason: {reason}",
            "fr": f"Votre déclaration d'influence sur {deal} a été refusée le {on}. "
            f"Motif : {reason}",
        }
    notice_send(
        partner=locked.partner,
        kind="influence_claim_decided",
        subject=subject,
        body=body,
        dedupe_key=f"influence_claim_decided:{locked.pk}",
        on=on,
    )
    return locked
