"""The certification catalog and the credentials people earned.

A credential counts on date D when ``earned_on <= D`` and (``expires_on`` is null or
``D < expires_on``): a credential expiring on D no longer counts on D.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Certification(models.Model):
    """A catalog item: ``family`` groups products (``rhel``, ``openshift``...), ``level`` the
    depth (``foundational``, ``associate``, ``professional``, ``specialty``, ``accreditation``...),
    ``validity_months`` how long a credential lasts (null: no expiry)."""

    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    family = models.SlugField(max_length=64)
    level = models.SlugField(max_length=64)
    validity_months = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Credential(models.Model):
    """A person's earned certification. ``credential_id`` is the registry's id (external id)."""

    credential_id = models.CharField(max_length=64, unique=True)
    person = models.ForeignKey(
        "partners.Person", on_delete=models.PROTECT, related_name="credentials"
    )
    certification = models.ForeignKey(
        Certification, on_delete=models.PROTECT, related_name="credentials"
    )
    earned_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=F("earned_on")),
                name="credential_expires_after_earned",
            ),
        ]
        indexes = [models.Index(fields=["earned_on", "expires_on"])]

    def __str__(self) -> str:
        return f"{self.credential_id} ({self.certification_id})"
