"""Permission predicates (django-rules), composed from the user's membership."""

from __future__ import annotations

from typing import Any

import rules


def _role(user: Any) -> str | None:
    membership = getattr(user, "membership", None) if user.is_authenticated else None
    return membership.role if membership is not None else None


@rules.predicate
def is_program_admin(user: Any) -> bool:
    return _role(user) == "program_admin"


@rules.predicate
def is_channel_manager(user: Any) -> bool:
    return _role(user) == "channel_manager"


@rules.predicate
def is_partner_admin(user: Any) -> bool:
    return _role(user) == "partner_admin"


@rules.predicate
def is_partner_user(user: Any) -> bool:
    return _role(user) == "partner_user"


is_vendor_staff = is_program_admin | is_channel_manager
is_partner_member = is_partner_admin | is_partner_user

rules.add_perm("portal.view", is_partner_member)
rules.add_perm("portal.register_deal", is_partner_member)
rules.add_perm("portal.claim_tier", is_partner_admin)
rules.add_perm("console.view", is_vendor_staff)
rules.add_perm("console.approve", is_vendor_staff)
rules.add_perm("console.override", is_vendor_staff)
rules.add_perm("console.publish", is_program_admin)
