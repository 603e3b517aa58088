"""Sending notices: a stored record plus an email through Django's email backend."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from partnerprogram.notifications.models import Notification
from partnerprogram.partners.models import Partner


def notice_send(
    *,
    partner: Partner,
    kind: str,
    subject: Mapping[str, str],
    body: Mapping[str, str],
    dedupe_key: str | None = None,
    on: date | None = None,
) -> Notification | None:
    """Store a notice for ``partner`` and email it to ``partner.contact_email`` (if set), in
    the partner's language (``fr`` for partners in France, else ``en``) with the other
    language below.

    ``subject``/``body``: ``{"en": ..., "fr": ...}``. ``on``: the program date the notice is
    about (default today). With a ``dedupe_key`` already used nothing is stored or sent and
    ``None`` is returned. Side effects: one INSERT, one email. Raises ``ValueError`` for an
    unknown ``kind``.
    """
    if kind not in Notification.Kind.values:
        raise ValueError(f"unknown notice kind {kind!r} ({', '.join(Notification.Kind.values)})")
    if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    recipients = [partner.contact_email] if partner.contact_email else []
    try:
        with transaction.atomic():
            notice = Notification.objects.create(
                partner=partner,
                kind=kind,
                subject=dict(subject),
                body=dict(body),
                on=on or timezone.localdate(),
                recipients=recipients,
                dedupe_key=dedupe_key or None,
            )
    except IntegrityError:
        if dedupe_key:  # a concurrent sender stored it first
            return None
        raise
    if recipients:
        first = "fr" if partner.country == "FR" else "en"
        second = "en" if first == "fr" else "fr"
        text = f"{body.get(first, '')}\n\n---\n\n{body.get(second, '')}".strip()
        send_mail(
            subject=subject.get(first) or subject.get("en", ""),
            message=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )
        notice.emailed_at = timezone.now()
        notice.save(update_fields=["emailed_at"])
    return notice
