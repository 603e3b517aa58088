"""Claims across partners and their risk before the deadline."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerprogram.console.selectors.risk import claims_risk
from partnerprogram.programs.engine import evaluate
from partnerprogram.programs.models import Assessment
from partnerprogram.programs.selectors import program_version_get
from partnerprogram.standings.services import claim_file
from tests.console.conftest import World, certify, client_for, paris
from tests.factories import PartnerFactory, TrackEnrolmentFactory


def _partners(html: str) -> list[str]:
    return re.findall(r"<small>([A-Z]+)</small></th>", html)


@pytest.mark.django_db
def test_risk_reads_the_latest_assessment(world: World) -> None:
    risks = {r.partner_id: r for r in claims_risk(program="cons").values()}
    assert risks[world.alpha.pk].at_risk is False
    assert (risks[world.beta.pk].at_risk, risks[world.beta.pk].assessed_tier) == (True, "advanced")
    assert (risks[world.gamma.pk].at_risk, risks[world.gamma.pk].assessed_tier) == (True, "ready")

    # BETA certifies two more people; a new evaluation says premier: no longer at risk
    certify(world.beta, 2)
    evaluate(version=program_version_get(program="cons", version="1"), as_of=date(2026, 10, 14))
    risks = {r.partner_id: r for r in claims_risk(program="cons").values()}
    assert risks[world.beta.pk].at_risk is False
    assert risks[world.beta.pk].assessed_on == date(2026, 10, 14)


@pytest.mark.django_db
def test_a_partner_never_assessed_is_at_risk(world: World) -> None:
    Assessment.objects.filter(partner=world.alpha).delete()
    risk = next(r for r in claims_risk(program="cons").values() if r.partner_id == world.alpha.pk)
    assert (risk.at_risk, risk.assessed_tier, risk.assessed_on) == (True, None, None)


@pytest.mark.django_db
def test_claims_page_filters(world: World) -> None:
    client = client_for(world.carol)
    html = client.get("/console/claims/").content.decode()
    assert _partners(html) == ["GAMMA", "ALPHA", "BETA"]
    assert "3 claims" in html
    assert _partners(client.get("/console/claims/?at_risk=yes").content.decode()) == [
        "GAMMA",
        "BETA",
    ]
    assert _partners(client.get("/console/claims/?track=consulting").content.decode()) == ["GAMMA"]
    assert _partners(client.get("/console/claims/?q=bis").content.decode()) == ["BETA"]
    assert _partners(client.get("/console/claims/?status=confirmed").content.decode()) == []


@pytest.mark.django_db
def test_claims_query_count_does_not_depend_on_the_claims(world: World) -> None:
    client = client_for(world.carol)
    with CaptureQueriesContext(connection) as three:
        client.get("/console/claims/")
    for n in range(15):
        partner = PartnerFactory(external_id=f"C{n:02d}")
        TrackEnrolmentFactory(partner=partner, enrolled_on=date(2024, 1, 1))
        claim_file(
            partner=partner,
            track="solution_provider",
            tier="advanced",
            filed_by="x",
            at=paris(2026, 9, 1, 10),
            program="cons",
        )
    with CaptureQueriesContext(connection) as eighteen:
        client.get("/console/claims/")
    assert len(eighteen) == len(three) <= 10
