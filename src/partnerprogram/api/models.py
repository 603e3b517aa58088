"""API tokens: how integrations and partners' systems authenticate to ``/api/v1``.

A token is a random secret shown once when created; only its sha256 is stored, with its first
8 characters (``prefix``) to recognize it in lists. A token is bound to the vendor
(``partner`` null: integration, every partner) or to one partner (only its own data). It ends
at ``expires_at`` or when revoked (``revoked_at``); ``last_used_at`` is the last request.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class ApiToken(models.Model):
    """One API token (see the module). ``created_by`` is ``user:<username>`` or ``cli``."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8, unique=True, help_text="first 8 characters")
    key_hash = models.CharField(max_length=64, unique=True, help_text="sha256 hex of the token")
    partner = models.ForeignKey(
        "partners.Partner",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="empty: a vendor token (every partner)",
    )
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=150, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="apitoken_expires_after_created",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def scope(self) -> str:
        """``vendor`` or ``partner:<external_id>``."""
        if self.partner is None:
            return "vendor"
        return f"partner:{self.partner.external_id}"

    def is_active(self, at: object = None) -> bool:
        """Not revoked and not expired at ``at`` (default now)."""
        now = at or timezone.now()
        return self.revoked_at is None and self.expires_at > now  # type: ignore[operator]
