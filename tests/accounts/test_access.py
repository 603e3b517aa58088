"""Sign-in, landing per role, workspace access and login throttling."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.test import Client

from partnerprogram.accounts.models import Membership
from tests.accounts.conftest import PASSWORD, Personas


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.mark.django_db
def test_login_page_has_a_csrf_protected_form() -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in page.content
    refused = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert refused.status_code == 403  # no CSRF token


@pytest.mark.django_db
def test_each_role_lands_on_its_workspace(personas: Personas) -> None:
    assert _client(personas.alice).get("/")["Location"] == "/portal/"
    assert _client(personas.amy).get("/")["Location"] == "/portal/"
    assert _client(personas.carol).get("/")["Location"] == "/console/"
    assert _client(personas.paula).get("/")["Location"] == "/console/"
    assert _client(personas.dave).get("/").status_code == 403
    assert Client().get("/")["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_workspaces_are_closed_to_the_other_side(personas: Personas) -> None:
    assert _client(personas.alice).get("/console/").status_code == 403
    assert _client(personas.carol).get("/portal/").status_code == 403
    assert _client(personas.dave).get("/portal/").status_code == 403
    assert Client().get("/portal/")["Location"] == "/accounts/login/?next=/portal/"


@pytest.mark.django_db
def test_portal_shows_only_the_members_partner(personas: Personas) -> None:
    page = _client(personas.alice).get("/portal/")
    assert page.status_code == 200
    assert b"Alpha Conseil</h1>" in page.content
    assert b"Alpha Conseil Bis" not in page.content
    # a parameter naming the other partner changes nothing
    page = _client(personas.alice).get("/portal/?partner=BETA")
    assert b"Alpha Conseil Bis" not in page.content


@pytest.mark.django_db
def test_sign_in_then_lockout_after_repeated_failures(personas: Personas) -> None:
    client = Client()
    ok = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert ok.status_code == 302 and ok["Location"] == "/"
    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"username": "bob", "password": "wrong"})
    locked = client.post("/accounts/login/", {"username": "bob", "password": PASSWORD})
    assert locked.status_code == 429  # django-axes: locked out for a cool-off period


@pytest.mark.django_db
def test_partner_roles_need_a_partner_and_vendor_roles_none(personas: Personas) -> None:
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=personas.dave, role="partner_user", partner=None)


@pytest.mark.django_db
def test_language_switcher_turns_the_site_french(personas: Personas) -> None:
    client = Client()
    english = client.get("/accounts/login/")
    assert b'<html lang="en">' in english.content and b"Sign in</h1>" in english.content
    switched = client.post("/i18n/setlang/", {"language": "fr", "next": "/accounts/login/"})
    assert switched.status_code == 302
    french = client.get("/accounts/login/")
    assert b'<html lang="fr">' in french.content
    assert "Se connecter</h1>" in french.content.decode()
    assert "Mot de passe oublié ?" in french.content.decode()


@pytest.mark.django_db
def test_password_reset_by_email_and_password_change(personas: Personas) -> None:
    import re

    from django.core import mail

    client = Client()
    sent = client.post("/accounts/password_reset/", {"email": "alice@example.test"})
    assert sent.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.test"]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body)
    assert link is not None
    form = client.get(link.group(1), follow=True)
    assert b"Choose a new password" in form.content
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a new long passphrase 42", "new_password2": "a new long passphrase 42"},
    )
    assert done.status_code == 302
    signed_in = Client().post(
        "/accounts/login/", {"username": "alice", "password": "a new long passphrase 42"}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/"
    # an unknown address sends nothing and says the same
    client.post("/accounts/password_reset/", {"email": "nobody@example.test"})
    assert len(mail.outbox) == 1
