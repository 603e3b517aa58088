"""Writes on API tokens: create (the plaintext is returned once, never stored) and revoke.

Each write appends one audit event (``api_token.created`` / ``api_token.revoked``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from partnerprogram.api.models import ApiToken
from partnerprogram.audit.services import audit_record
from partnerprogram.partners.models import Partner

#: default lifetime of a token
DEFAULT_DAYS = 90
#: longest lifetime a token may have
MAX_DAYS = 366
#: every token starts with it (secret scanners recognize it)
TOKEN_START = "pp_"
PREFIX_LENGTH = 8


class TokenError(ValueError):
    """A token request that cannot be honoured (bad lifetime, unknown prefix...); nothing
    was written. The message says why."""


@dataclass(frozen=True)
class CreatedToken:
    """A new token: ``token`` is the plaintext, shown once; ``record`` the stored row."""

    token: str
    record: ApiToken


def token_hash(token: str) -> str:
    """sha256 hex of a token's text (what is stored and looked up)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def partner_active(partner: Partner) -> bool:
    """Whether a partner may hold a working token: not merged into another partner
    (``merged_into``) and not terminated. A suspended partner is still in the program."""
    return partner.merged_into_id is None and partner.status != Partner.Status.TERMINATED


def partner_inactive_reason(partner: Partner) -> str:
    """Why ``partner_active`` is False, as a phrase: "merged into P-..." or "terminated"."""
    if partner.merged_into_id is not None:
        merged = Partner.objects.filter(pk=partner.merged_into_id).values_list(
            "external_id", flat=True
        )
        return f"merged into {merged.first() or 'another partner'}"
    return "terminated"


def api_token_create(
    *,
    name: str,
    partner: Partner | None,
    actor: str,
    expires_in_days: int = DEFAULT_DAYS,
    now: datetime | None = None,
) -> CreatedToken:
    """Create a token bound to ``partner`` (None: the vendor) that expires ``expires_in_days``
    days (1 to ``MAX_DAYS``) after ``now`` (default: now).

    Returns the plaintext with the stored row; only the sha256 and the first 8 characters are
    kept. Side effects: one ``ApiToken`` row, one audit event. Raises ``TokenError`` for a blank
    name, a lifetime out of range, or a partner merged into another or terminated
    (``partner_active``).
    """
    name = (name or "").strip()
    if not name:
        raise TokenError("a token needs a name (what it is for)")
    if len(name) > 100:
        raise TokenError("a token name has at most 100 characters")
    if partner is not None and not partner_active(partner):
        raise TokenError(
            f"partner {partner.external_id} is {partner_inactive_reason(partner)}: a token "
            "can only be created for a partner still in the program"
        )
    if not 1 <= expires_in_days <= MAX_DAYS:
        raise TokenError(
            f"expires in {expires_in_days} days: a token lives from 1 to {MAX_DAYS} days"
        )
    created_at = now or timezone.now()
    for _attempt in range(5):
        token = TOKEN_START + secrets.token_urlsafe(32)
        try:
            with transaction.atomic():
                record = ApiToken.objects.create(
                    name=name,
                    prefix=token[:PREFIX_LENGTH],
                    key_hash=token_hash(token),
                    partner=partner,
                    created_by=actor,
                    created_at=created_at,
                    expires_at=created_at + timedelta(days=expires_in_days),
                )
                audit_record(
                    actor=actor,
                    action="api_token.created",
                    obj=record,
                    changes={
                        "scope": (None, record.scope),
                        "expires_at": (None, record.expires_at),
                    },
                    note=name,
                )
        except IntegrityError:  # the 8-character prefix is taken: draw again
            continue
        return CreatedToken(token=token, record=record)
    raise TokenError("could not draw a unique token prefix; try again")  # pragma: no cover


def api_token_revoke(*, prefix: str, actor: str, now: datetime | None = None) -> ApiToken:
    """Revoke the token whose prefix is ``prefix`` (it stops working at once).

    Idempotent: revoking a revoked token changes nothing and records nothing. Side effect: one
    audit event. Raises ``TokenError`` when no token has that prefix.
    """
    at = now or timezone.now()
    with transaction.atomic():
        record = (
            ApiToken.objects.select_for_update(of=("self",))
            .select_related("partner")
            .filter(prefix=prefix)
            .first()
        )
        if record is None:
            raise TokenError(f"no API token has the prefix {prefix!r}")
        if record.revoked_at is not None:
            return record
        record.revoked_at = at
        record.revoked_by = actor
        record.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=actor,
            action="api_token.revoked",
            obj=record,
            changes={"revoked_at": (None, at)},
            note=record.name,
        )
    return record


def api_token_authenticate(*, token: str, now: datetime | None = None) -> ApiToken | None:
    """The active token whose text is ``token`` (with its partner), or None when unknown,
    revoked or expired. Side effect: ``last_used_at`` set (at most once a minute, one UPDATE)."""
    at = now or timezone.now()
    if not token.startswith(TOKEN_START) or len(token) > 200:
        return None
    record = (
        ApiToken.objects.select_related("partner")
        .filter(key_hash=token_hash(token), revoked_at__isnull=True, expires_at__gt=at)
        .first()
    )
    if record is None:
        return None
    if record.last_used_at is None or at - record.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=at)
        record.last_used_at = at
    return record


def api_tokens_list(*, include_inactive: bool = True) -> list[ApiToken]:
    """Every token, newest first, with its partner (one query); without ``include_inactive``
    only the active ones."""
    qs = ApiToken.objects.select_related("partner")
    if not include_inactive:
        qs = qs.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())
    return list(qs)
