"""What the portal records beside the facts it creates.

``DealRegistrationSubmission``: who submitted a deal registration through the portal, when, and
the close date the partner expects. (``sales.DealRegistration`` has no expected close date; once
it has one, this row can move there.)
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class DealRegistrationSubmission(models.Model):
    """A deal registration submitted through the portal (one per registration)."""

    registration = models.OneToOneField(
        "sales.DealRegistration", on_delete=models.CASCADE, related_name="portal_submission"
    )
    expected_close = models.DateField()
    submitted_by = models.CharField(max_length=150, help_text="user:<username>")
    submitted_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"submission of {self.registration_id} by {self.submitted_by}"
