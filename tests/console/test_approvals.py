"""Approvals: services (state, audit, notice) and views (list, decide, htmx, query budget)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerprogram.audit.models import AuditEvent
from partnerprogram.console.services import (
    DecisionError,
    deal_registration_decide,
    influence_claim_decide,
)
from partnerprogram.notifications.models import Notification
from partnerprogram.sales.models import DealRegistration, PartnerInvolvement
from tests.console.conftest import World, client_for
from tests.factories import DealRegistrationFactory, PartnerInvolvementFactory

ON = date(2026, 10, 15)


@pytest.mark.django_db
def test_approving_a_registration_protects_it_90_days_logs_and_notifies(world: World) -> None:
    decided = deal_registration_decide(
        registration=world.registration_a, approve=True, reason="", actor="user:carol", on=ON
    )
    stored = DealRegistration.objects.get(pk=world.registration_a.pk)
    assert stored.status == "approved" == decided.status
    assert stored.decided_on == ON
    assert stored.expires_on == date(2027, 1, 13)  # 2026-10-15 + 90 days (exclusive)
    assert (stored.decided_by, stored.decision_reason) == ("user:carol", "")
    event = AuditEvent.objects.get(action="deal_registration.approved")
    assert event.actor == "user:carol"
    assert event.object_id == str(stored.pk)
    assert event.changes == {
        "status": ["submitted", "approved"],
        "decided_on": [None, "2026-10-15"],
        "expires_on": [None, "2027-01-13"],
    }
    notice = Notification.objects.get(kind="deal_registration_decided")
    assert notice.partner == world.alpha
    assert notice.recipients == ["alpha@example.test"]
    assert notice.subject["en"] == "Deal registration DR-A1 approved"
    assert "through 2027-01-12" in notice.body["en"]
    assert "jusqu'au 2027-01-12 inclus" in notice.body["fr"]
    assert "12\u202f500,00 EUR" in notice.body["fr"]


@pytest.mark.django_db
def test_rejecting_needs_a_reason_which_the_partner_reads(world: World) -> None:
    with pytest.raises(DecisionError, match="a reason is required"):
        deal_registration_decide(
            registration=world.registration_a, approve=False, reason=" ", actor="user:carol", on=ON
        )
    assert DealRegistration.objects.get(pk=world.registration_a.pk).status == "submitted"
    assert not AuditEvent.objects.filter(action__startswith="deal_registration").exists()
    deal_registration_decide(
        registration=world.registration_a,
        approve=False,
        reason="Customer already registered by another partner",
        actor="user:carol",
        on=ON,
    )
    stored = DealRegistration.objects.get(pk=world.registration_a.pk)
    assert (stored.status, stored.expires_on) == ("rejected", None)
    assert stored.decision_reason == "Customer already registered by another partner"
    notice = Notification.objects.get(kind="deal_registration_decided")
    assert "Reason: Customer already registered by another partner" in notice.body["en"]
    assert "Motif : Customer already registered" in notice.body["fr"]


@pytest.mark.django_db
def test_a_decided_registration_cannot_be_decided_again(world: World) -> None:
    deal_registration_decide(
        registration=world.registration_a, approve=True, reason="", actor="user:carol", on=ON
    )
    with pytest.raises(DecisionError, match="already approved"):
        deal_registration_decide(
            registration=world.registration_a, approve=False, reason="x", actor="user:paula", on=ON
        )
    assert AuditEvent.objects.filter(action__startswith="deal_registration").count() == 1
    with pytest.raises(DecisionError, match="precedes its registration"):
        deal_registration_decide(
            registration=world.registration_b,
            approve=True,
            reason="",
            actor="user:carol",
            on=date(2026, 10, 1),
        )


@pytest.mark.django_db
def test_influence_claims_validated_or_rejected(world: World) -> None:
    influence_claim_decide(
        involvement=world.influence_a,
        approve=True,
        reason="Confirmed by the account manager",
        actor="user:carol",
        on=ON,
    )
    stored = PartnerInvolvement.objects.get(pk=world.influence_a.pk)
    assert (stored.validated, stored.validated_on, stored.decided_on) == (True, ON, ON)
    assert stored.decision_reason == "Confirmed by the account manager"
    assert AuditEvent.objects.get(action="influence_claim.validated").changes == {
        "validated": [False, True],
        "decided_on": [None, "2026-10-15"],
    }
    notice = Notification.objects.get(kind="influence_claim_decided")
    assert notice.subject == {
        "en": "Influence on OPP-A1 validated",
        "fr": "Influence sur OPP-A1 validée",
    }
    with pytest.raises(DecisionError, match="already validated"):
        influence_claim_decide(
            involvement=world.influence_a, approve=False, reason="x", actor="user:carol", on=ON
        )

    other = PartnerInvolvementFactory(partner=world.beta, validated=False, validated_on=None)
    influence_claim_decide(
        involvement=other, approve=False, reason="No evidence", actor="user:carol", on=ON
    )
    other.refresh_from_db()
    assert (other.validated, other.validated_on, other.decided_by) == (False, None, "user:carol")
    resell = PartnerInvolvementFactory(partner=world.beta, role="resell", validated=False)
    with pytest.raises(DecisionError, match="not an influence claim"):
        influence_claim_decide(
            involvement=resell, approve=True, reason="", actor="user:carol", on=ON
        )


@pytest.mark.django_db
def test_approvals_page_lists_what_waits(world: World) -> None:
    client = client_for(world.carol)
    html = client.get("/console/approvals/").content.decode()
    assert "DR-A1" in html and "DR-B1" in html
    assert "Deal registrations (2)" in html and "Influence claims (1)" in html
    html = client.get("/console/approvals/?partner=BETA").content.decode()
    assert "DR-B1" in html and "DR-A1" not in html
    html = client.get("/console/approvals/?kind=influence").content.decode()
    assert "OPP-A1" in html and "DR-A1" not in html


@pytest.mark.django_db
def test_approve_from_the_page_then_see_it_decided(world: World) -> None:
    client = client_for(world.carol)
    response = client.post(
        "/console/approvals/registrations/DR-A1/decide/",
        {"decision": "approve", "reason": "", "next": "/console/approvals/?partner=ALPHA"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/console/approvals/?partner=ALPHA"
    assert DealRegistration.objects.get(external_id="DR-A1").status == "approved"
    page = client.get(response["Location"]).content.decode()
    assert "Deal registration DR-A1 approved." in page
    assert "DR-A1" not in page.split("Deal registration DR-A1 approved.")[1]  # left the list
    decided = client.get("/console/approvals/?state=decided").content.decode()
    assert "DR-A1" in decided and "user:carol" in decided
    # an outside "next" is not followed
    response = client.post(
        "/console/approvals/registrations/DR-B1/decide/",
        {"decision": "reject", "reason": "Duplicate", "next": "https://evil.test/"},
    )
    assert response["Location"] == "/console/approvals/"


@pytest.mark.django_db
def test_decide_with_htmx_swaps_the_row(world: World) -> None:
    client = client_for(world.carol)
    refused = client.post(
        "/console/approvals/registrations/DR-A1/decide/",
        {"decision": "reject", "reason": ""},
        HTTP_HX_REQUEST="true",
    )
    html = refused.content.decode()
    assert refused.status_code == 200 and html.lstrip().startswith("<tr")
    assert "Give a reason to reject" in html
    assert DealRegistration.objects.get(external_id="DR-A1").status == "submitted"
    done = client.post(
        f"/console/approvals/influence/{world.influence_a.pk}/decide/",
        {"decision": "reject", "reason": "No evidence of influence"},
        HTTP_HX_REQUEST="true",
    )
    html = done.content.decode()
    assert "Influence claim on OPP-A1 rejected." in html
    assert "No evidence of influence" in html and "<form" not in html
    again = client.post(
        f"/console/approvals/influence/{world.influence_a.pk}/decide/",
        {"decision": "approve", "reason": ""},
        HTTP_HX_REQUEST="true",
    )
    assert "Decision refused: influence claim" in again.content.decode()
    # a non-influence involvement is not found here
    resell = PartnerInvolvementFactory(partner=world.beta, role="resell", validated=False)
    assert (
        client.post(
            f"/console/approvals/influence/{resell.pk}/decide/", {"decision": "approve"}
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_decisions_need_a_post_with_a_csrf_token(world: World) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.carol)
    assert client.get("/console/approvals/registrations/DR-A1/decide/").status_code == 405
    response = client.post(
        "/console/approvals/registrations/DR-A1/decide/", {"decision": "approve"}
    )
    assert response.status_code == 403
    assert DealRegistration.objects.get(external_id="DR-A1").status == "submitted"


@pytest.mark.django_db
def test_approvals_query_count_does_not_depend_on_the_list(world: World) -> None:
    client = client_for(world.carol)

    def count(query: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/console/approvals/{query}").status_code == 200
        return len(queries)

    def add(n: int) -> None:
        for _ in range(n):
            DealRegistrationFactory(partner=world.gamma, status="submitted", registered_on=ON)
            DealRegistrationFactory(
                partner=world.gamma, status="approved", decided_on=ON, registered_on=ON
            )
            PartnerInvolvementFactory(partner=world.gamma, validated=False, validated_on=None)
            PartnerInvolvementFactory(
                partner=world.gamma,
                validated=False,
                validated_on=None,
                decided_by="user:x",
                decided_on=ON,
            )

    queries = ("", "?kind=influence", "?state=decided", "?kind=influence&state=decided")
    add(1)  # at least one row in every list (an empty list skips the page query)
    before = {q: count(q) for q in queries}
    add(30)
    assert {q: count(q) for q in queries} == before
    assert max(before.values()) <= 8, before
