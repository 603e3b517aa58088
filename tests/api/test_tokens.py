"""API tokens: services, the ``token`` command and the console page (program admins only)."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from partnerprogram.accounts.models import Membership
from partnerprogram.api.models import ApiToken
from partnerprogram.api.services import TokenError, api_token_create, token_hash
from partnerprogram.audit.models import AuditEvent
from tests.api.conftest import CREATED, World, auth

pytestmark = pytest.mark.django_db


def test_create_stores_only_the_hash(world: World) -> None:
    created = api_token_create(name="crm", partner=world.a, actor="user:amy", now=CREATED)
    record = ApiToken.objects.get(pk=created.record.pk)
    assert record.key_hash == token_hash(created.token) != created.token
    assert record.prefix == created.token[:8]
    # default lifetime: 90 days after creation
    assert record.expires_at == CREATED + timedelta(days=90)
    assert AuditEvent.objects.filter(action="api_token.created", actor="user:amy").count() == 1


@pytest.mark.parametrize("days", [0, 367])
def test_lifetime_bounds(world: World, days: int) -> None:
    with pytest.raises(TokenError, match="1 to 366 days"):
        api_token_create(name="x", partner=None, actor="test", expires_in_days=days)


def test_command_create_json_list_revoke(client, world: World) -> None:
    out = StringIO()
    call_command("token", "create", "--partner", "P-A1", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["scope"] == "partner:P-A1" and data["prefix"] == data["token"][:8]
    assert client.get("/api/v1/me", **auth(data["token"])).json()["partner"] == "P-A1"
    out = StringIO()
    call_command("token", "list", "--format", "json", stdout=out)
    listed = {t["prefix"]: t for t in json.loads(out.getvalue())}
    assert "token" not in listed[data["prefix"]]
    call_command("token", "revoke", data["prefix"], stdout=StringIO())
    assert client.get("/api/v1/me", **auth(data["token"])).status_code == 401


def test_command_vendor_token(client, world: World) -> None:
    out = StringIO()
    call_command(
        "token", "create", "--vendor", "--expires-in-days", "7", "--format", "json", stdout=out
    )
    data = json.loads(out.getvalue())
    assert data["scope"] == "vendor"
    assert client.get("/api/v1/me", **auth(data["token"])).json()["scope"] == "vendor"


def test_command_unknown_partner_exits_2(world: World) -> None:
    with pytest.raises(CommandError, match="P-NOPE") as exc:
        call_command("token", "create", "--partner", "P-NOPE", stdout=StringIO())
    assert exc.value.returncode == 2
    with pytest.raises(CommandError, match="no API token"):
        call_command("token", "revoke", "pp_nope0", stdout=StringIO())


def _user(name: str, role: str, partner=None) -> Client:
    user = get_user_model().objects.create_user(name, password="x-pass-2026")
    Membership.objects.create(user=user, role=role, partner=partner)
    client = Client()
    client.force_login(user)
    return client


def test_console_page_creates_shows_once_and_revokes(world: World) -> None:
    admin = _user("pat", "program_admin")
    response = admin.post(
        "/console/tokens/",
        {"action": "create", "name": "ERP sync", "partner": "P-A1B", "expires_in_days": "30"},
    )
    assert response.status_code == 200
    token = response.context["created"].token
    assert token in response.content.decode()
    assert Client().get("/api/v1/me", **auth(token)).json()["partner"] == "P-A1B"
    # the list shows the prefix, never the token again
    listing = admin.get("/console/tokens/").content.decode()
    assert token[:8] in listing and token not in listing
    admin.post("/console/tokens/", {"action": "revoke", "prefix": token[:8]})
    assert Client().get("/api/v1/me", **auth(token)).status_code == 401
    # the list downloads as CSV: the prefix and the revocation, never the token
    export = b"".join(admin.get("/console/tokens/?format=csv").streaming_content).decode()
    lines = export.lstrip("\ufeff").splitlines()
    assert lines[0] == (
        "prefix,name,scope,created_at,created_by,expires_at,last_used_at,revoked_at,state"
    )
    assert token not in export
    (row,) = [line.split(",") for line in lines[1:] if line.startswith(token[:8])]
    assert (row[1], row[2], row[-1]) == ("ERP sync", "P-A1B", "revoked")


def test_console_page_refuses_channel_managers_and_partners(world: World) -> None:
    manager = _user("chan", "channel_manager")
    api_token_create(name="seen", partner=None, actor="test", now=CREATED)
    page = manager.get("/console/tokens/")
    # a channel manager sees the list, without the forms, and may not create or revoke
    assert page.status_code == 200 and "seen" in page.content.decode()
    assert 'name="action"' not in page.content.decode()
    before = ApiToken.objects.count()
    assert (
        manager.post(
            "/console/tokens/", {"action": "create", "name": "x", "expires_in_days": "3"}
        ).status_code
        == 403
    )
    assert ApiToken.objects.count() == before
    partner = _user("amy", "partner_admin", world.a)
    assert partner.get("/console/tokens/").status_code == 403
    before = ApiToken.objects.count()
    partner.post("/console/tokens/", {"action": "create", "name": "x", "expires_in_days": "3"})
    assert ApiToken.objects.count() == before


@pytest.mark.parametrize("how", ["merged", "terminated"])
def test_no_token_for_a_partner_no_longer_active(world: World, how: str) -> None:
    if how == "merged":
        world.b.merged_into = world.a
    else:
        world.b.status = "terminated"
    world.b.save()
    expected = "merged into P-A1" if how == "merged" else "terminated"
    before = ApiToken.objects.count()
    with pytest.raises(TokenError, match=f"P-A1B is {expected}"):
        api_token_create(name="late", partner=world.b, actor="test", now=CREATED)
    # the command: exit status 2 with the reason
    with pytest.raises(CommandError, match=expected) as exc:
        call_command("token", "create", "--partner", "P-A1B", stdout=StringIO())
    assert exc.value.returncode == 2
    # the console: the form answers with the reason, nothing created
    admin = _user("pat", "program_admin")
    response = admin.post(
        "/console/tokens/",
        {"action": "create", "name": "late", "partner": "P-A1B", "expires_in_days": "30"},
    )
    assert response.status_code == 200
    assert response.context["created"] is None
    assert expected in response.content.decode()
    assert ApiToken.objects.count() == before


@pytest.mark.parametrize("how", ["merged", "terminated"])
def test_token_of_a_partner_since_gone_is_refused(client, world: World, how: str) -> None:
    # B's token was created while B was active; then B leaves the program
    assert client.get("/api/v1/me", **auth(world.b_token)).status_code == 200
    if how == "merged":
        world.b.merged_into = world.a
    else:
        world.b.status = "terminated"
    world.b.save()
    response = client.get("/api/v1/me", **auth(world.b_token))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert "no longer active" in body["detail"]
    # nothing leaked: no partner id, name or merge target in the answer
    assert client.get("/api/v1/partners/P-A1B", **auth(world.b_token)).status_code == 401
    text = response.content.decode()
    assert "P-A1" not in text and "Alpine" not in text
    # A's token (the absorbing partner) and the vendor's still work; a suspended partner's too
    assert client.get("/api/v1/me", **auth(world.a_token)).status_code == 200
    assert client.get("/api/v1/me", **auth(world.vendor_token)).status_code == 200


def test_suspended_partner_keeps_its_token(client, world: World) -> None:
    world.b.status = "suspended"
    world.b.save()
    assert client.get("/api/v1/me", **auth(world.b_token)).json()["partner"] == "P-A1B"
