"""Demo sign-in accounts created by ``make demo`` (never in production: DEBUG must be on).

One program admin (also a Django superuser, for /admin/), one channel manager, and a partner
admin and a partner user for three reference partners: a Premier solution provider, a
consulting partner and a CCSP (the first of each by external id in the reference data).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from partnerprogram.accounts.models import Membership
from partnerprogram.partners.models import Partner


@dataclass(frozen=True)
class DemoAccount:
    """A demo login. ``role`` is one of program_admin, channel_manager, partner_admin,
    partner_user; ``partner`` the partner's external id for partner roles."""

    username: str
    password: str
    role: str
    partner: str | None = None
    partner_name: str | None = None


PASSWORD = "pex-demo-2026"

#: (username prefix, what to pick) for the partner accounts
_PARTNERS: tuple[tuple[str, dict[str, object]], ...] = (
    ("premier", {"previous_tier": "premier", "enrolments__track": "solution_provider"}),
    (
        "consulting",
        {"enrolments__track": "consulting", "previous_tier__in": ["premier", "advanced"]},
    ),
    ("ccsp", {"enrolments__track": "ccsp"}),
)


def _partner(filters: dict[str, object]) -> Partner | None:
    return (
        Partner.objects.filter(merged_into__isnull=True, **filters)
        .exclude(status=Partner.Status.TERMINATED)
        .order_by("external_id")
        .first()
    )


@transaction.atomic
def demo_accounts_ensure() -> list[DemoAccount]:
    """Create or reset the demo accounts (idempotent) and return them. Partner accounts are
    created for the partners found (none without reference data). Raises
    ImproperlyConfigured when DEBUG is off: demo passwords are public."""
    if not settings.DEBUG:
        raise ImproperlyConfigured("demo accounts are only created with DEBUG on")
    accounts = [
        DemoAccount("admin", PASSWORD, Membership.Role.PROGRAM_ADMIN),
        DemoAccount("channel", PASSWORD, Membership.Role.CHANNEL_MANAGER),
    ]
    for prefix, filters in _PARTNERS:
        partner = _partner(filters)
        if partner is None:
            continue
        for suffix, role in (("admin", "partner_admin"), ("user", "partner_user")):
            accounts.append(
                DemoAccount(f"{prefix}-{suffix}", PASSWORD, role, partner.external_id, partner.name)
            )
    users = get_user_model()
    partners = {
        p.external_id: p
        for p in Partner.objects.filter(external_id__in=[a.partner for a in accounts if a.partner])
    }
    for account in accounts:
        user, _ = users.objects.get_or_create(username=account.username)
        user.is_staff = user.is_superuser = account.role == Membership.Role.PROGRAM_ADMIN
        user.email = f"{account.username}@demo.invalid"
        user.set_password(account.password)
        user.save()
        Membership.objects.update_or_create(
            user=user,
            defaults={
                "role": account.role,
                "partner": partners.get(account.partner) if account.partner else None,
            },
        )
    return accounts
