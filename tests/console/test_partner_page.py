"""The console's partner page: the 360° view and the override action."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerprogram.audit.models import AuditEvent
from partnerprogram.notifications.models import Notification
from partnerprogram.standings.models import Override, Standing
from partnerprogram.standings.selectors import standing_on
from tests.console.conftest import World, client_for, make_user
from tests.factories import DealRegistrationFactory, PartnerInvolvementFactory


@pytest.mark.django_db
def test_partner_page_shows_standings_assessment_gaps_claims_and_deals(world: World) -> None:
    page = client_for(world.carol).get("/console/partners/BETA/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>Alpha Conseil Bis</h1>" in html
    # the partner's own overview (the portal's partial) as of today: provisional premier after
    # the claim of 2026-09-15, requirements measured by the assessment of 2026-10-01
    assert "Console test program, version 1 — as of Oct. 15, 2026." in html
    assert "Requirement values measured on Oct. 1, 2026." in html
    assert '<span class="status">Provisional</span>' in html
    assert "Your tier: Premier" in html
    assert '<td class="num">at least 4</td>' in html
    assert "<li>2 more certified people</li>" in html
    assert "Projection at the claim deadline (Dec. 31, 2026)" in html
    # the latest assessment run, for staff
    assert "Version 1, as of Oct. 1, 2026 (evaluation run" in html
    # the claim at risk with what is missing
    assert "at risk" in html
    # people employed, deal registrations
    assert "2 people employed on Oct. 15, 2026" in html
    assert "DR-B1" in html
    # the look-alike's data does not leak in
    assert "DR-A1" not in html and "OPP-A1" not in html
    # staff actions
    assert 'href="/console/approvals/?partner=BETA"' in html
    assert "1 deal registration to approve or reject" in html
    assert 'action="/console/partners/BETA/override/"' in html
    assert 'name="csrfmiddlewaretoken"' in html


@pytest.mark.django_db
def test_unknown_external_id_is_404(world: World) -> None:
    client = client_for(world.carol)
    assert client.get("/console/partners/NOPE/").status_code == 404
    assert client.get("/console/partners/alpha/").status_code == 404  # exact id only
    assert client.post("/console/partners/NOPE/override/", {}).status_code == 404


@pytest.mark.django_db
def test_partner_page_query_count_does_not_grow_with_history(world: World) -> None:
    client = client_for(world.carol)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/console/partners/ALPHA/").status_code == 200
        return len(queries)

    before = count()
    for _ in range(30):
        DealRegistrationFactory(partner=world.alpha, registered_on=date(2026, 9, 1))
        PartnerInvolvementFactory(partner=world.alpha, validated=False, validated_on=None)
    assert count() == before
    # 19 before the page showed the portal's overview of the partner (+9: its context and the
    # overview's reads, see ``portal.selectors.overview_for``)
    assert before <= 28, before


def _override(**changes: str) -> dict[str, str]:
    data = {
        "track": "solution_provider",
        "tier": "advanced",
        "reason": "Certification exams postponed by the vendor",
        "approver": "dana",
        "starts_on": "2026-10-15",
        "until": "2026-12-31",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_grant_an_override(world: World) -> None:
    client = client_for(world.carol)
    response = client.post("/console/partners/DELTA/override/", _override())
    assert response.status_code == 302
    assert response["Location"] == "/console/partners/DELTA/"
    override = Override.objects.get(partner=world.delta)
    assert (override.tier, override.starts_on, override.ends_on) == (
        "advanced",
        date(2026, 10, 15),
        date(2027, 1, 1),  # the day after the last day
    )
    assert (override.approver, override.granted_by) == ("dana", "user:carol")
    standing = standing_on(partner=world.delta, track="solution_provider", on=date(2026, 12, 31))
    assert standing is not None and standing.status == Standing.Status.OVERRIDE
    assert standing_on(partner=world.delta, track="solution_provider", on=date(2027, 1, 1)) is None
    assert AuditEvent.objects.filter(action="override.granted", actor="user:carol").count() == 1
    assert Notification.objects.filter(partner=world.delta, kind="override_granted").count() == 1
    page = client.get("/console/partners/DELTA/").content.decode()
    assert "Override granted: Advanced in Solution provider until Dec. 31, 2026." in page
    assert "Certification exams postponed by the vendor" in page


@pytest.mark.django_db
def test_override_with_htmx_redirects_or_swaps_the_form(world: World) -> None:
    client = client_for(world.paula)
    ok = client.post("/console/partners/DELTA/override/", _override(), HTTP_HX_REQUEST="true")
    assert ok.status_code == 204 and ok["HX-Redirect"] == "/console/partners/DELTA/"
    bad = client.post(
        "/console/partners/DELTA/override/", _override(reason=""), HTTP_HX_REQUEST="true"
    )
    assert bad.status_code == 200
    html = bad.content.decode()
    assert html.lstrip().startswith("<form") and "This field is required." in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reason": " "}, "This field is required."),
        ({"approver": ""}, "This field is required."),
        ({"until": "2026-10-01"}, "The last day cannot be before the first day."),
        # a track the partner is not enrolled in is not offered
        ({"track": "consulting"}, "Select a valid choice."),
        ({"tier": "emperor"}, "Select a valid choice."),
        # refused by the service: no version in force before 2026-07-01
        ({"starts_on": "2026-01-01"}, "Override refused:"),
    ],
)
def test_override_refusals_are_shown_and_nothing_is_written(
    world: World, changes: dict[str, str], message: str
) -> None:
    before = (Override.objects.count(), Standing.objects.count(), AuditEvent.objects.count())
    response = client_for(world.carol).post(
        "/console/partners/DELTA/override/", _override(**changes)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (
        Override.objects.count(),
        Standing.objects.count(),
        AuditEvent.objects.count(),
    ) == before


@pytest.mark.django_db
def test_partner_page_in_french(world: World) -> None:
    page = client_for(world.carol).get("/console/partners/BETA/", HTTP_ACCEPT_LANGUAGE="fr")
    html = page.content.decode()
    assert '<html lang="fr">' in html
    assert "Programme de test de la console" in html  # the program's French name
    assert "encore 2 personnes certifiées" in html  # the engine's French gap sentence
    assert "Revendeur intégrateur" in html  # the track's French name from the program
    assert "Accorder une dérogation" in html


SHARED = re.compile(
    r'<section (?:class="card" )?aria-labelledby="(?:overall-title|track-[\w-]+)">.*?</section>',
    re.S,
)
ROWS = re.compile(r"<tbody>.*?</tbody>", re.S)
GAPS = re.compile(r'<ul class="gap">.*?</ul>', re.S)


def _shared(html: str) -> list[str]:
    """The overview's sections: standings cards, then each track's requirements, gaps and
    projection."""
    return SHARED.findall(html)


@pytest.mark.django_db
@pytest.mark.parametrize("ext", ["ALPHA", "BETA"])
def test_partner_page_shows_the_portal_overview_of_the_partner_without_the_claim_form(
    world: World, ext: str
) -> None:
    partner = {"ALPHA": world.alpha, "BETA": world.beta}[ext]
    admin = world.alice if ext == "ALPHA" else make_user("bob", "partner_admin", partner)
    portal = client_for(admin).get("/portal/").content.decode()
    console = client_for(world.carol).get(f"/console/partners/{ext}/").content.decode()
    # the partner admin sees the claim form in the portal (the cycle is open) ...
    assert 'action="/portal/claim/"' in portal and 'id="claim-title"' in portal
    # ... staff never do
    assert 'action="/portal/claim/"' not in console and 'id="claim-title"' not in console
    assert "Claim this tier" not in console
    # one rendering: the same sections, requirement rows and gap sentences, byte for byte
    sections = _shared(portal)
    assert sections and any("<tbody>" in s for s in sections)
    assert _shared(console) == sections
    shared = "".join(sections)
    assert ROWS.findall(shared)
    rows = [ROWS.findall(s) for s in _shared(console)]
    assert rows == [ROWS.findall(s) for s in sections]
    gaps = [GAPS.findall(s) for s in _shared(console)]
    assert gaps == [GAPS.findall(s) for s in sections]
    if ext == "BETA":  # short of premier: the gap sentences are among them
        assert "<li>2 more certified people</li>" in "".join(g for gs in gaps for g in gs)
