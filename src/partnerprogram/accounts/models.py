"""Who a signed-in user is for the program: a role, and for partner roles the partner.

The acting partner of a request always comes from the user's membership (never from a URL or
a parameter): ``accounts.middleware.MembershipMiddleware`` sets ``request.membership``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Membership(models.Model):
    """The role of one user. Vendor roles (``program_admin``, ``channel_manager``) have no
    partner; partner roles (``partner_admin``, ``partner_user``) have exactly one."""

    class Role(models.TextChoices):
        PROGRAM_ADMIN = "program_admin", "Program admin"
        CHANNEL_MANAGER = "channel_manager", "Channel manager"
        PARTNER_ADMIN = "partner_admin", "Partner admin"
        PARTNER_USER = "partner_user", "Partner user"

    VENDOR_ROLES = frozenset({Role.PROGRAM_ADMIN, Role.CHANNEL_MANAGER})
    PARTNER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_USER})

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    partner = models.ForeignKey(
        "partners.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role__in=["partner_admin", "partner_user"], partner__isnull=False)
                    | Q(role__in=["program_admin", "channel_manager"], partner__isnull=True)
                ),
                name="membership_partner_iff_partner_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"

    @property
    def is_vendor(self) -> bool:
        return self.role in self.VENDOR_ROLES

    @property
    def is_partner(self) -> bool:
        return self.role in self.PARTNER_ROLES
