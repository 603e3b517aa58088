"""Standings (official tiers over time), claims cycles, claims and overrides.

Dates and instants (docs/lifecycle.md):

- Standings are effective-dated with calendar **dates** in the program time zone: ``valid_from``
  inclusive, ``valid_until`` exclusive (null: open-ended). ``frozen_until`` and
  ``grandfathered_until`` are exclusive too: the first day the protection no longer applies.
- Claims are filed at an aware **instant** (``filed_at``); the claim deadline is the end of the
  deadline day in the program zone (``core.periods.end_of_day``), an exclusive bound.

A ``Standing`` row is never updated or deleted: a change is a new row. The standing of a partner
on a date is the row in effect that day with the highest ``priority`` (overrides: 1), then the
latest ``valid_from``, then the latest id (``standings.selectors.standing_on``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NoReturn

from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from partnerprogram.core.periods import end_of_day

#: ``decided_by`` of standings written by the settlement, the baseline and a refresh.
SYSTEM_SETTLEMENT = "system:settlement"
SYSTEM_BASELINE = "system:baseline"
SYSTEM_REFRESH = "system:refresh"

#: ``track`` of a partner's overall standing (the highest tier over its tracks).
OVERALL = ""


class Cycle(models.Model):
    """One claims cycle of a program, from the program version that defines it.

    ``track`` is blank for the program-wide cycle (every track without a cycle of its own) or
    names the track whose own cycle it is (``ccsp``). Claims are accepted from ``claims_open``
    (start of that day in ``timezone``) until the end of ``claim_deadline``; settled standings
    are frozen until ``freeze_until`` (exclusive: deadline + ``freeze_months`` months + 1 day).
    ``result`` is the stored settlement result: settling again returns it and writes nothing.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SETTLED = "settled", "Settled"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="cycles")
    track = models.CharField(max_length=64, blank=True)
    claims_open = models.DateField()
    claim_deadline = models.DateField()
    freeze_months = models.PositiveSmallIntegerField(default=0)
    freeze_until = models.DateField(help_text="first day after the freeze (exclusive)")
    promotions_during_freeze = models.BooleanField(default=False)
    timezone = models.CharField(max_length=64)
    program_version = models.ForeignKey(
        "programs.ProgramVersion",
        on_delete=models.PROTECT,
        related_name="cycles",
        help_text="the version whose cycle block defines this cycle",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.CharField(max_length=150, blank=True)
    run = models.ForeignKey(
        "programs.EvaluationRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="settled_cycles",
        help_text="the evaluation run of the settlement",
    )
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["program", "claims_open", "track"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "track", "claims_open"], name="cycle_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(claim_deadline__gte=models.F("claims_open")),
                name="cycle_deadline_after_open",
            ),
        ]

    def __str__(self) -> str:
        scope = self.track or "program"
        return f"{self.program_id}:{scope} cycle {self.claims_open}..{self.claim_deadline}"

    @property
    def label(self) -> str:
        """``pex-fr cycle 2026-07-01..2026-12-31`` or ``pex-fr ccsp cycle ...``."""
        key = self.program.key
        scope = f" {self.track}" if self.track else ""
        return f"{key}{scope} cycle {self.claims_open}..{self.claim_deadline}"

    @property
    def opens_at(self) -> datetime:
        """The instant claims open: start of ``claims_open`` in the program zone."""
        return end_of_day(self.claims_open - timedelta(days=1), self.timezone)

    @property
    def deadline_at(self) -> datetime:
        """The exclusive deadline instant: end of ``claim_deadline`` in the program zone."""
        return end_of_day(self.claim_deadline, self.timezone)


class Claim(models.Model):
    """The tier a partner asks for in one track during a cycle (filed by a partner admin).

    Until the deadline the partner's standing in the track is provisional at the claimed tier.
    At settlement the claim is ``confirmed`` (the partner qualifies, or is grandfathered, on the
    deadline) or ``lowered`` (``outcome_tier`` is the highest tier it qualifies for). A new
    claim for the same partner and track ``supersedes`` the pending one: at most one pending
    claim per (cycle, partner, track), enforced by a partial unique constraint.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CONFIRMED = "confirmed", "Confirmed"
        LOWERED = "lowered", "Lowered"
        SUPERSEDED = "superseded", "Superseded"
        WITHDRAWN = "withdrawn", "Withdrawn"

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="claims")
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="claims")
    track = models.CharField(max_length=64)
    tier = models.CharField(max_length=32)
    filed_at = models.DateTimeField()
    filed_by = models.CharField(max_length=150)
    program_version = models.ForeignKey(
        "programs.ProgramVersion",
        on_delete=models.PROTECT,
        related_name="claims",
        help_text="the version in force when the claim was filed",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    outcome_tier = models.CharField(max_length=32, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["filed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "partner", "track"],
                condition=Q(status="pending"),
                name="claim_one_pending_per_track",
            ),
        ]
        indexes = [models.Index(fields=["cycle", "status"])]

    def __str__(self) -> str:
        return f"claim {self.pk}: {self.partner_id} {self.track} {self.tier} ({self.status})"


class Override(models.Model):
    """A standing set by hand by vendor staff for one track, from ``starts_on`` (inclusive) to
    ``ends_on`` (exclusive), with a reason and an approver. It wins over every other standing
    while it lasts and ends by itself; it is never edited."""

    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="overrides"
    )
    track = models.CharField(max_length=64)
    tier = models.CharField(max_length=32)
    reason = models.TextField()
    approver = models.CharField(max_length=150)
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="first day the override no longer applies")
    granted_by = models.CharField(max_length=150)
    granted_at = models.DateTimeField(default=now)
    program_version = models.ForeignKey(
        "programs.ProgramVersion", on_delete=models.PROTECT, related_name="overrides"
    )

    class Meta:
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="override_ends_after_start"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="override_reason_set"),
            models.CheckConstraint(condition=~Q(approver=""), name="override_approver_set"),
        ]

    def __str__(self) -> str:
        return f"override {self.pk}: {self.partner_id} {self.track} {self.tier}"


class AppendOnlyError(RuntimeError):
    """A standing row cannot be changed: write a new one."""


class StandingQuerySet(models.QuerySet["Standing"]):
    """Standings are append-only: ``update()`` is refused."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("standings are append-only: write a new Standing instead")


class Standing(models.Model):
    """A partner's official tier in one track (``track`` blank: overall) over a period.

    ``tier`` blank means no tier (``lapsed``). ``status``: ``qualified`` (meets the criteria),
    ``provisional`` (claimed, on probation until the deadline), ``frozen`` (settled, protected
    until ``frozen_until``), ``grandfathered`` (kept by a grandfathering rule until
    ``grandfathered_until``), ``override`` (set by hand) or ``lapsed``. ``reason`` is an English
    sentence; ``reason_detail`` holds the failed requirements (value, threshold, missing, en/fr
    texts) and other facts. ``decided_by``: ``system:settlement``, ``system:baseline``,
    ``system:refresh`` or ``user:<username>``.
    """

    class Status(models.TextChoices):
        QUALIFIED = "qualified", "Qualified"
        PROVISIONAL = "provisional", "Provisional (on probation)"
        FROZEN = "frozen", "Frozen"
        GRANDFATHERED = "grandfathered", "Grandfathered"
        OVERRIDE = "override", "Override"
        LAPSED = "lapsed", "Lapsed"

    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="standings"
    )
    track = models.CharField(max_length=64, blank=True)
    tier = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    frozen_until = models.DateField(null=True, blank=True)
    grandfathered_until = models.DateField(null=True, blank=True)
    priority = models.SmallIntegerField(default=0)
    reason = models.TextField()
    reason_detail = models.JSONField(default=dict, blank=True)
    program_version = models.ForeignKey(
        "programs.ProgramVersion", on_delete=models.PROTECT, related_name="standings"
    )
    assessment = models.ForeignKey(
        "programs.Assessment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="standings",
    )
    cycle = models.ForeignKey(
        Cycle, null=True, blank=True, on_delete=models.PROTECT, related_name="standings"
    )
    claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="standings"
    )
    override = models.ForeignKey(
        Override, null=True, blank=True, on_delete=models.PROTECT, related_name="standings"
    )
    decided_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=now, editable=False)

    objects = StandingQuerySet.as_manager()

    class Meta:
        ordering = ["partner", "track", "valid_from", "id"]
        indexes = [models.Index(fields=["partner", "track", "valid_from"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="standing_until_after_from",
            ),
        ]

    def __str__(self) -> str:
        scope = self.track or "overall"
        tier = self.tier or "-"
        return f"{self.partner_id} {scope}: {tier} ({self.status}) from {self.valid_from}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("standings are append-only: write a new Standing instead")
        super().save(*args, **kwargs)
