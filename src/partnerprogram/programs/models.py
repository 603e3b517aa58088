"""Stored program versions and evaluation results.

A ``ProgramVersion`` keeps the canonical JSON of a validated YAML definition and its sha256; it
is immutable once published. An ``EvaluationRun`` measures every partner against one version as
of a date and stores one ``Assessment`` per partner (append-only: runs are never rewritten).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone


class Program(models.Model):
    """A partner program (``key`` such as ``pex-fr``); its criteria live in versions."""

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=255)

    def __str__(self) -> str:
        return self.key


class ProgramVersion(models.Model):
    """One dated set of criteria. ``definition`` is the canonical JSON of the validated
    program (see ``programs.schema``); ``sha256`` its digest. Published versions are never
    changed: loading different content under the same version number is refused."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(max_length=32)
    effective_from = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PUBLISHED)
    definition = models.JSONField()
    sha256 = models.CharField(max_length=64)
    source = models.CharField(max_length=500, blank=True)
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "version"], name="programversion_unique"),
        ]
        ordering = ["program", "effective_from", "version"]

    def __str__(self) -> str:
        return f"{self.program.key} {self.version}"


class EvaluationRun(models.Model):
    """One evaluation of a program version as of a date (in the program time zone).

    ``known_at`` (optional) limits facts to those recorded at or before that instant, so a past
    run can be reproduced. ``summary`` holds ``{"by_tier": {tier: count}, ...}``.
    """

    program_version = models.ForeignKey(
        ProgramVersion, on_delete=models.PROTECT, related_name="runs"
    )
    as_of = models.DateField()
    known_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    partner_count = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["program_version", "as_of"])]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.program_version} as of {self.as_of}"


class Assessment(models.Model):
    """The result of measuring one partner against one version as of a date.

    ``tier`` is the assessed tier after grandfathering (blank: below the entry tier or no
    active track); ``qualified_tier`` what the criteria alone give; ``detail`` the JSON
    explanation: metric values, per-track requirement results and the gap to the next tier.
    """

    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="assessments")
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="assessments"
    )
    tier = models.CharField(max_length=32, blank=True)
    qualified_tier = models.CharField(max_length=32, blank=True)
    previous_tier = models.CharField(max_length=32, blank=True)
    grandfathered = models.BooleanField(default=False)
    next_tier = models.CharField(max_length=32, blank=True)
    detail = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "partner"], name="assessment_unique_partner"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id}: {self.tier or '-'}"

    @property
    def tracks(self) -> dict[str, Any]:
        """Per-track results, ``{track: {"tier": str | None, ...}}``."""
        return dict(self.detail.get("tracks", {}))


class ProgramDraft(models.Model):
    """A program version being written in the console: YAML text that is validated on every
    save but never evaluated for standings. Simulating or calibrating a draft reads it; only
    ``program load`` (a file) publishes a version. ``based_on`` is the published version it
    started from (the default comparison of a simulation)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="drafts")
    name = models.CharField(max_length=120)
    yaml = models.TextField(help_text="the program definition in the YAML language")
    based_on = models.ForeignKey(
        ProgramVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="drafts"
    )
    created_by = models.CharField(max_length=150, help_text="user:<username>")
    updated_by = models.CharField(max_length=150, help_text="user:<username>")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="programdraft_unique_name"),
        ]
        ordering = ["program", "-updated_at"]

    def __str__(self) -> str:
        return f"{self.program.key} draft {self.name}"
