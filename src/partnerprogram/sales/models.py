"""Customers, opportunities, partner involvement, deal registrations, bookings, cloud usage.

Money is ``Decimal`` with its ISO 4217 ``currency`` on the same row; metrics convert to the
program currency at the rate in force on the evaluation date (``core.money``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Customer(models.Model):
    """An end customer of the vendor. ``segment`` classifies by size (``enterprise``, ``smb``)."""

    class Segment(models.TextChoices):
        ENTERPRISE = "enterprise", "Enterprise"
        SMB = "smb", "SMB"
        PUBLIC = "public", "Public sector"

    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    country = models.CharField(max_length=2, blank=True)
    segment = models.CharField(max_length=16, choices=Segment.choices, default=Segment.SMB)

    def __str__(self) -> str:
        return self.name


class Opportunity(models.Model):
    """A customer deal in the vendor's pipeline (from the CRM)."""

    class Stage(models.TextChoices):
        PROSPECTING = "prospecting", "Prospecting"
        QUALIFICATION = "qualification", "Qualification"
        PROPOSAL = "proposal", "Proposal"
        NEGOTIATION = "negotiation", "Negotiation"
        WON = "won", "Closed won"
        LOST = "lost", "Closed lost"

    external_id = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="opportunities")
    name = models.CharField(max_length=255)
    product_line = models.SlugField(max_length=64)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)
    stage = models.CharField(max_length=16, choices=Stage.choices)
    created_on = models.DateField()
    close_date = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="opportunity_amount_nonneg"),
        ]

    def __str__(self) -> str:
        return self.name


class PartnerInvolvement(models.Model):
    """A partner's role on an opportunity: it brought the deal (``sourced``), transacts it
    (``resell``) or shaped the customer's choice (``influenced``). Only ``validated`` rows count
    in metrics; an influence claim starts unvalidated until a channel manager approves it.

    A decision by vendor staff (``console.services.influence_claim_decide``) sets ``decided_on``,
    ``decided_by`` and ``decision_reason``: approved -> ``validated`` with ``validated_on``;
    rejected -> still not validated, with ``decided_by`` set. An unvalidated row without
    ``decided_by`` is pending."""

    class Role(models.TextChoices):
        RESELL = "resell", "Resell"
        SOURCED = "sourced", "Sourced"
        INFLUENCED = "influenced", "Influenced"

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="involvements"
    )
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="involvements"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    validated = models.BooleanField(default=False)
    validated_on = models.DateField(null=True, blank=True)
    decided_on = models.DateField(
        null=True, blank=True, help_text="when vendor staff approved or rejected the claim"
    )
    decided_by = models.CharField(
        max_length=150, blank=True, default="", help_text="user:<username> who decided"
    )
    decision_reason = models.TextField(
        blank=True, default="", help_text="why it was approved or rejected (shown to the partner)"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "partner", "role"], name="involvement_unique_role"
            ),
        ]
        indexes = [models.Index(fields=["partner", "role"])]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.role} on {self.opportunity_id}"


class DealRegistration(models.Model):
    """A partner declaring an opportunity it brings; the vendor approves or rejects it; an
    approved registration protects the partner until ``expires_on`` (exclusive) and ends ``won``
    or ``lost``. ``registered_on`` is the submission date (windows read it);
    ``expected_close_on`` the close date the partner expects (optional). The decision
    (``console.services.deal_registration_decide``) sets ``decided_on``, ``decided_by`` and
    ``decision_reason``, which the partner sees."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    external_id = models.CharField(max_length=64, unique=True)
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="deal_registrations"
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="registrations"
    )
    customer_name = models.CharField(max_length=255)
    product_line = models.SlugField(max_length=64)
    estimated_amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    registered_on = models.DateField()
    expected_close_on = models.DateField(
        null=True, blank=True, help_text="when the partner expects the deal to close"
    )
    decided_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(
        null=True, blank=True, help_text="first day the registration no longer protects"
    )
    decided_by = models.CharField(
        max_length=150, blank=True, default="", help_text="user:<username> who decided"
    )
    decision_reason = models.TextField(
        blank=True, default="", help_text="why it was approved or rejected (shown to the partner)"
    )
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.SET_NULL, related_name="registrations"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(estimated_amount__gte=0), name="registration_amount_nonneg"
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | Q(decided_on__gte=F("registered_on")),
                name="registration_decided_after_registered",
            ),
        ]
        indexes = [
            models.Index(
                fields=["registered_on", "status", "partner"], name="registration_window_cover"
            )
        ]

    def __str__(self) -> str:
        return f"{self.external_id} ({self.customer_name}, {self.status})"


class Booking(models.Model):
    """Recognized revenue. ``channel`` is ``indirect`` exactly when a ``transacting_partner``
    resold it; ``influencing_partner`` shaped the deal (consultancies). ``motion`` and
    ``quantity`` (seats/users) describe subscriptions: new, upsell, renewal, downsell, churn;
    ``term_start``/``term_end`` (end exclusive) is the subscription term, for retention."""

    class Channel(models.TextChoices):
        DIRECT = "direct", "Direct"
        INDIRECT = "indirect", "Indirect"

    class Motion(models.TextChoices):
        NEW = "new", "New"
        UPSELL = "upsell", "Upsell"
        RENEWAL = "renewal", "Renewal"
        DOWNSELL = "downsell", "Downsell"
        CHURN = "churn", "Churn"

    external_id = models.CharField(max_length=64, unique=True)
    booked_on = models.DateField()
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="bookings")
    product_line = models.SlugField(max_length=64)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    motion = models.CharField(max_length=16, choices=Motion.choices, default=Motion.NEW)
    quantity = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    term_start = models.DateField(null=True, blank=True)
    term_end = models.DateField(null=True, blank=True)
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings"
    )
    transacting_partner = models.ForeignKey(
        "partners.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resale_bookings",
    )
    influencing_partner = models.ForeignKey(
        "partners.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="influenced_bookings",
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(channel="indirect") & Q(transacting_partner__isnull=False))
                | (Q(channel="direct") & Q(transacting_partner__isnull=True)),
                name="booking_indirect_iff_partner",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="booking_quantity_nonneg"),
            models.CheckConstraint(
                condition=Q(term_end__isnull=True)
                | Q(term_start__isnull=False, term_end__gt=F("term_start")),
                name="booking_term_ordered",
            ),
        ]
        indexes = [
            # Covering index of the window metrics (one range scan, no table lookups):
            # resale/influenced bookings per partner and currency over a date window.
            models.Index(
                fields=[
                    "booked_on",
                    "transacting_partner",
                    "influencing_partner",
                    "currency",
                    "amount",
                ],
                name="booking_window_cover",
            ),
            models.Index(fields=["transacting_partner", "booked_on"]),
            models.Index(fields=["influencing_partner", "booked_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} {self.amount} {self.currency} on {self.booked_on}"


class CloudUsage(models.Model):
    """Monthly usage reported by a CCSP partner: ``month`` is the first day of the month."""

    external_id = models.CharField(max_length=64, unique=True)
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="cloud_usage"
    )
    month = models.DateField()
    product_line = models.SlugField(max_length=64)
    quantity = models.DecimalField(max_digits=18, decimal_places=4)
    unit = models.CharField(max_length=32, default="unit")
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "month", "product_line"], name="cloudusage_unique_month"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="cloudusage_quantity_nonneg"),
            models.CheckConstraint(condition=Q(month__day=1), name="cloudusage_month_first_day"),
        ]
        indexes = [models.Index(fields=["month"])]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.product_line} {self.month:%Y-%m}"
