"""Sending notices: a stored record plus an email through Django's email backend."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from partnerprogram.notifications.models import Notification
from partnerprogram.partners.models import Partner

logger = logging.getLogger(__name__)


def notice_send(
    *,
    partner: Partner,
    kind: str,
    subject: Mapping[str, str],
    body: Mapping[str, str],
    dedupe_key: str | None = None,
    on: date | None = None,
) -> Notification | None:
    """Store a notice for ``partner`` and email it to ``partner.contact_email`` (if set) with
    ``notice_email`` (a mail server failure leaves it stored and unsent, to retry).

    ``subject``/``body``: ``{"en": ..., "fr": ...}``. ``on``: the program date the notice is
    about (default today). With a ``dedupe_key`` already used nothing is stored or sent and
    ``None`` is returned. Side effects: one INSERT, one email attempt. Raises ``ValueError``
    for an unknown ``kind``.
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
        notice_email(notice=notice)
    return notice


def notice_email(*, notice: Notification) -> bool:
    """Email a stored notice to its recipients, in the partner's language (``fr`` for partners
    in France, else ``en``) with the other language below. A failure of the mail server is not
    raised: it is logged and kept in ``email_error`` (the notice stays unsent, ``emailed_at``
    null, for ``notices_send_pending``). Returns True when the email went out."""
    partner = notice.partner
    first = "fr" if partner.country == "FR" else "en"
    second = "en" if first == "fr" else "fr"
    text = f"{notice.body.get(first, '')}\n\n---\n\n{notice.body.get(second, '')}".strip()
    try:
        send_mail(
            subject=notice.subject.get(first) or notice.subject.get("en", ""),
            message=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=list(notice.recipients),
        )
    except Exception as exc:  # any transport error: the notice is kept for a retry
        logger.warning("notice %s to %s not emailed: %s", notice.pk, notice.recipients, exc)
        notice.email_error = f"{type(exc).__name__}: {exc}"[:2000]
        notice.save(update_fields=["email_error"])
        return False
    notice.emailed_at = timezone.now()
    notice.email_error = ""
    notice.save(update_fields=["emailed_at", "email_error"])
    return True


def notices_send_pending(*, limit: int | None = None) -> tuple[int, int]:
    """Retry every stored notice that has recipients and was not emailed yet (oldest first).
    Returns ``(sent, failed)``."""
    pending = (
        Notification.objects.filter(emailed_at__isnull=True)
        .exclude(recipients=[])
        .select_related("partner")
        .order_by("created_at", "id")
    )
    sent = failed = 0
    for notice in pending[:limit] if limit else pending:
        if notice_email(notice=notice):
            sent += 1
        else:
            failed += 1
    return sent, failed
