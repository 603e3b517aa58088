"""Partners, the tracks they are enrolled in, their people and their attested facts.

Dates are calendar dates in the program's time zone. A person counts for a partner on D only
while employed there on D: ``employed_from <= D`` and (``employed_until`` is null or
``D < employed_until``; ``employed_until`` is the first day no longer employed).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Partner(models.Model):
    """An organization enrolled in the program (one legal entity in one country).

    ``previous_tier`` is the tier key held under the previous program (e.g. ``premier``), blank
    for partners that had none; grandfathering rules read it. ``merged_into`` points to the
    surviving partner after a merger (its facts then count for the survivor).
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        TERMINATED = "terminated", "Terminated"

    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    siren = models.CharField("SIREN", max_length=9, blank=True)
    vat_number = models.CharField("VAT number", max_length=20, blank=True)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    city = models.CharField(max_length=128, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    joined_on = models.DateField(null=True, blank=True)
    contact_email = models.EmailField(
        blank=True, help_text="where program notices are emailed (the partner's program contact)"
    )
    previous_tier = models.CharField(max_length=32, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_partners"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(merged_into=F("id")), name="partner_not_merged_into_itself"
            ),
            models.CheckConstraint(condition=~Q(external_id=""), name="partner_external_id_set"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"


class TrackEnrolment(models.Model):
    """A partner's enrolment in one track of the program from ``enrolled_on`` (inclusive)
    until ``ended_on`` (exclusive, null while enrolled). Track keys are those of the program
    (``solution_provider``, ``consulting``, ``ccsp``)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="enrolments")
    track = models.CharField(max_length=64)
    enrolled_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "track", "enrolled_on"], name="enrolment_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gt=F("enrolled_on")),
                name="enrolment_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id}:{self.track} from {self.enrolled_on}"


class Person(models.Model):
    """Someone employed by a partner between ``employed_from`` (inclusive) and
    ``employed_until`` (exclusive, null while employed). A human who works for two partners
    has one row per partner (same email)."""

    class JobRole(models.TextChoices):
        TECHNICAL = "technical", "Technical"
        SALES = "sales", "Sales"
        OTHER = "other", "Other"

    external_id = models.CharField(max_length=64, unique=True)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="people")
    email = models.EmailField()
    first_name = models.CharField(max_length=128, blank=True)
    last_name = models.CharField(max_length=128, blank=True)
    job_role = models.CharField(max_length=16, choices=JobRole.choices, default=JobRole.OTHER)
    employed_from = models.DateField()
    employed_until = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(employed_until__isnull=True) | Q(employed_until__gt=F("employed_from")),
                name="person_employment_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["partner", "email", "employed_from"], name="person_unique_employment"
            ),
        ]
        indexes = [models.Index(fields=["partner", "employed_from"])]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} <{self.email}>"


class Attestation(models.Model):
    """A fact attested by the partner or the vendor, valid from ``attested_on`` (inclusive)
    to ``valid_until`` (exclusive): a business plan, an executive business review, a technical
    validation (``category`` e.g. ``msp``, ``devops``), a customer deployment."""

    external_id = models.CharField(max_length=64, unique=True)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="attestations")
    kind = models.SlugField(max_length=64)
    category = models.SlugField(max_length=64, blank=True)
    attested_on = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    reference = models.CharField(max_length=255, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=F("attested_on")),
                name="attestation_valid_after_attested",
            ),
        ]
        indexes = [models.Index(fields=["kind", "attested_on"])]

    def __str__(self) -> str:
        return f"{self.kind} of {self.partner_id} on {self.attested_on}"
