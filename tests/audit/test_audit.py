"""The audit trail records who changed what, from which value to which."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from partnerprogram.audit.models import AuditEvent
from partnerprogram.audit.services import audit_record, audit_record_bulk
from partnerprogram.programs.models import ProgramVersion
from partnerprogram.programs.services import program_versions_load
from tests.factories import PartnerFactory

PROGRAM = """
program: acme
name: Acme
currency: EUR
timezone: Europe/Paris
version: "1"
effective_from: 2026-01-01
tiers: [ready, gold]
tracks: {resell: {}}
"""


@pytest.mark.django_db
def test_record_changes_with_json_values() -> None:
    partner = PartnerFactory(external_id="P-1")
    event = audit_record(
        actor="user:alice",
        action="changed",
        obj=partner,
        changes={"previous_tier": ("ready", "premier"), "joined_on": (None, date(2026, 7, 1))},
        note="status match",
    )
    event.refresh_from_db()
    assert event.object_type == "partners.partner"
    assert event.object_id == str(partner.pk)
    assert event.changes == {
        "previous_tier": ["ready", "premier"],
        "joined_on": [None, "2026-07-01"],
    }
    assert (event.actor, event.action, event.note) == ("user:alice", "changed", "status match")


@pytest.mark.django_db
def test_unsaved_object_is_refused() -> None:
    from partnerprogram.partners.models import Partner

    with pytest.raises(ValueError, match="unsaved Partner"):
        audit_record(actor="system:test", action="changed", obj=Partner(name="x"))


@pytest.mark.django_db
def test_loading_a_version_is_audited_once(tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(PROGRAM, encoding="utf-8")
    program_versions_load(paths=[path], actor="user:bob")
    program_versions_load(paths=[path], actor="user:bob")  # unchanged: no second event
    version = ProgramVersion.objects.get()
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.object_id) == ("user:bob", "loaded", str(version.pk))
    assert event.changes["sha256"] == [None, version.sha256]


@pytest.mark.django_db
def test_admin_is_read_only(admin_user: object) -> None:
    request = RequestFactory().get("/admin/audit/auditevent/")
    request.user = admin_user
    model_admin = site._registry[AuditEvent]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


@pytest.mark.django_db
def test_bulk_record_is_one_insert(django_assert_num_queries: Any) -> None:
    first, second = PartnerFactory(external_id="P-1"), PartnerFactory(external_id="P-2")
    with django_assert_num_queries(1):
        events = audit_record_bulk(
            actor="system:test",
            action="changed",
            entries=[
                (first, {"previous_tier": ("ready", "premier")}),
                (second, {"joined_on": (None, date(2026, 7, 1))}, "its own note"),
            ],
            note="shared note",
        )
    assert len(events) == 2
    stored = {e.object_id: e for e in AuditEvent.objects.all()}
    one, two = stored[str(first.pk)], stored[str(second.pk)]
    assert (one.changes, one.note) == ({"previous_tier": ["ready", "premier"]}, "shared note")
    assert (two.changes, two.note) == ({"joined_on": [None, "2026-07-01"]}, "its own note")
    assert one.object_type == "partners.partner" and one.actor == "system:test"
    with django_assert_num_queries(0):
        assert audit_record_bulk(actor="system:test", action="changed", entries=[]) == []


@pytest.mark.django_db
def test_bulk_record_refuses_unsaved_objects() -> None:
    from partnerprogram.partners.models import Partner

    saved = PartnerFactory(external_id="P-1")
    with pytest.raises(ValueError, match="unsaved Partner"):
        audit_record_bulk(
            actor="system:test",
            action="changed",
            entries=[(saved, None), (Partner(name="x"), None)],
        )
    assert not AuditEvent.objects.exists()
