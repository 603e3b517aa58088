"""Notices are stored, emailed to the partner's contact, and deduplicated."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail

from partnerprogram.notifications.models import Notification
from partnerprogram.notifications.services import notice_send
from tests.factories import PartnerFactory

SUBJECT = {"en": "Your tier changed", "fr": "Votre niveau a changé"}
BODY = {"en": "You are now Advanced.", "fr": "Vous êtes désormais Avancé."}


@pytest.mark.django_db
def test_notice_is_stored_and_emailed_in_the_partner_language() -> None:
    partner = PartnerFactory(contact_email="programme@alpha.fr", country="FR")
    other = PartnerFactory(contact_email="programme@alpha-bis.fr", country="FR")
    notice = notice_send(
        partner=partner,
        kind="standing_changed",
        subject=SUBJECT,
        body=BODY,
        on=date(2027, 1, 1),
    )
    assert notice is not None
    notice.refresh_from_db()
    assert notice.emailed_at is not None and notice.recipients == ["programme@alpha.fr"]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["programme@alpha.fr"]
    assert message.subject == "Votre niveau a changé"
    assert message.body.startswith("Vous êtes désormais Avancé.")
    assert "You are now Advanced." in message.body
    assert not Notification.objects.filter(partner=other).exists()


@pytest.mark.django_db
def test_dedupe_key_sends_once() -> None:
    partner = PartnerFactory(contact_email="x@beta.example", country="DE")
    first = notice_send(
        partner=partner,
        kind="probation_risk",
        subject=SUBJECT,
        body=BODY,
        dedupe_key="risk:claim-1:30",
    )
    second = notice_send(
        partner=partner,
        kind="probation_risk",
        subject=SUBJECT,
        body=BODY,
        dedupe_key="risk:claim-1:30",
    )
    assert first is not None and second is None
    assert Notification.objects.count() == 1 and len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Your tier changed"


@pytest.mark.django_db
def test_without_contact_the_notice_is_kept_not_emailed() -> None:
    partner = PartnerFactory(contact_email="")
    notice = notice_send(partner=partner, kind="claim_filed", subject=SUBJECT, body=BODY)
    assert notice is not None and notice.recipients == [] and notice.emailed_at is None
    assert mail.outbox == []


@pytest.mark.django_db
def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown notice kind 'gossip'"):
        notice_send(partner=PartnerFactory(), kind="gossip", subject=SUBJECT, body=BODY)
    assert Notification.objects.count() == 0


@pytest.mark.django_db
def test_mail_server_down_keeps_the_notice_for_a_retry(settings: object) -> None:
    from io import StringIO

    from django.core.management import call_command

    from partnerprogram.notifications.services import notices_send_pending

    partner = PartnerFactory(contact_email="programme@gamma.fr", country="FR")
    no_contact = PartnerFactory(contact_email="")
    settings.EMAIL_BACKEND = "tests.notifications.failing_backend.EmailBackend"  # type: ignore[attr-defined]
    notice = notice_send(partner=partner, kind="claim_filed", subject=SUBJECT, body=BODY)
    notice_send(partner=no_contact, kind="claim_filed", subject=SUBJECT, body=BODY)
    assert notice is not None
    notice.refresh_from_db()
    assert notice.emailed_at is None
    assert notice.email_error == "ConnectionRefusedError: [Errno 111] Connection refused"
    assert notices_send_pending() == (0, 1)  # still down; the notice without contact is not due

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # type: ignore[attr-defined]
    out = StringIO()
    call_command("notices", "send", "--format", "json", stdout=out)
    assert out.getvalue().strip().replace(" ", "").replace("\n", "") == '{"sent":1,"failed":0}'
    notice.refresh_from_db()
    assert notice.emailed_at is not None and notice.email_error == ""
    assert [m.to for m in mail.outbox] == [["programme@gamma.fr"]]
    assert notices_send_pending() == (0, 0)
