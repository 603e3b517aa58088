"""Translated display names of the stored statuses (the models keep plain English choices)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

PARTNER_STATUS: dict[str, Promise] = {
    "active": pgettext_lazy("partner status", "Active"),
    "suspended": pgettext_lazy("partner status", "Suspended"),
    "terminated": pgettext_lazy("partner status", "Terminated"),
}

STANDING_STATUS: dict[str, Promise] = {
    "qualified": _("Qualified"),
    "provisional": _("Provisional (on probation)"),
    "frozen": _("Frozen"),
    "grandfathered": _("Grandfathered"),
    "override": _("Override"),
    "lapsed": _("Lapsed"),
}

CLAIM_STATUS: dict[str, Promise] = {
    "pending": pgettext_lazy("claim status", "Pending"),
    "confirmed": pgettext_lazy("claim status", "Confirmed"),
    "lowered": pgettext_lazy("claim status", "Lowered"),
    "superseded": pgettext_lazy("claim status", "Superseded"),
    "withdrawn": pgettext_lazy("claim status", "Withdrawn"),
}

REGISTRATION_STATUS: dict[str, Promise] = {
    "submitted": pgettext_lazy("deal registration status", "Submitted"),
    "approved": pgettext_lazy("deal registration status", "Approved"),
    "rejected": pgettext_lazy("deal registration status", "Rejected"),
    "expired": pgettext_lazy("deal registration status", "Expired"),
    "won": pgettext_lazy("deal registration status", "Won"),
    "lost": pgettext_lazy("deal registration status", "Lost"),
}

INFLUENCE_STATUS: dict[str, Promise] = {
    "pending": pgettext_lazy("influence claim status", "Pending"),
    "validated": pgettext_lazy("influence claim status", "Validated"),
    "rejected": pgettext_lazy("influence claim status", "Rejected"),
}


def label(mapping: dict[str, Promise], key: str | None) -> str:
    """The translated name of ``key`` in ``mapping`` (the key itself when unknown)."""
    if not key:
        return ""
    found = mapping.get(key)
    return str(found) if found is not None else key
