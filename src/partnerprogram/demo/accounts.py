"""Demo sign-in accounts created by ``make demo`` (never in production: DEBUG must be on)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class DemoAccount:
    """A demo login. ``role`` is one of program_admin, channel_manager, partner_admin,
    partner_user; ``partner`` the partner's external id for partner roles."""

    username: str
    password: str
    role: str
    partner: str | None = None


DEMO_ACCOUNTS = (DemoAccount("admin", "pex-demo-admin-2026", "program_admin"),)


def demo_accounts_ensure() -> list[DemoAccount]:
    """Create or reset the demo accounts (idempotent). The program admin is a Django superuser
    (the admin site at /admin/). Raises ImproperlyConfigured when DEBUG is off."""
    if not settings.DEBUG:
        raise ImproperlyConfigured("demo accounts are only created with DEBUG on")
    users = get_user_model()
    for account in DEMO_ACCOUNTS:
        user, _ = users.objects.get_or_create(username=account.username)
        user.is_staff = user.is_superuser = account.role == "program_admin"
        user.set_password(account.password)
        user.save()
    return list(DEMO_ACCOUNTS)
