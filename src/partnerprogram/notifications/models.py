"""Notices to partners: every standing change and every risk, stored and emailed."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Notification(models.Model):
    """A notice to a partner, in English and French. ``dedupe_key`` makes risk notices
    idempotent (the 30-days-before-deadline notice of a claim is sent once)."""

    class Kind(models.TextChoices):
        STANDING_CHANGED = "standing_changed", "Standing changed"
        CLAIM_FILED = "claim_filed", "Claim filed"
        CLAIM_SETTLED = "claim_settled", "Claim settled"
        PROBATION_RISK = "probation_risk", "Claim at risk before the deadline"
        CREDENTIAL_EXPIRY_RISK = "credential_expiry_risk", "Credential expiry puts the tier at risk"
        OVERRIDE_GRANTED = "override_granted", "Override granted"
        DEAL_REGISTRATION_DECIDED = "deal_registration_decided", "Deal registration decided"
        INFLUENCE_CLAIM_DECIDED = "influence_claim_decided", "Influence claim decided"

    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    subject = models.JSONField(help_text="{lang: text}")
    body = models.JSONField(help_text="{lang: text}")
    on = models.DateField(help_text="the program date the notice is about")
    created_at = models.DateTimeField(default=timezone.now)
    recipients = models.JSONField(default=list)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.TextField(
        blank=True, help_text="why the last email attempt failed (retried by `notices send`)"
    )
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["partner", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} to {self.partner_id} on {self.on}"
