"""The partner directory: search, filters, sort, pagination, query budget."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from partnerprogram.console.programs import program_view
from partnerprogram.console.selectors.directory import DirectoryFilters, partner_directory
from partnerprogram.partners.models import Partner
from partnerprogram.standings.services import claim_file, standings_baseline
from tests.console.conftest import TODAY, World, client_for, load_program, make_user, paris
from tests.factories import PartnerFactory, TrackEnrolmentFactory


def _ids(**filters: str) -> list[str]:
    found = partner_directory(
        on=TODAY, program=program_view(on=TODAY), filters=DirectoryFilters(**filters)
    )
    return [p.external_id for p in found.partners]


def _page_ids(client: Client, query: str) -> list[str]:
    html = client.get(f"/console/partners/{query}").content.decode()
    return re.findall(r'href="/console/partners/([^/"]+)/"', html)


@pytest.mark.django_db
def test_search_matches_name_external_id_and_city(world: World) -> None:
    assert _ids(q="alpha conseil") == ["ALPHA", "BETA"]
    assert _ids(q="gamm") == ["GAMMA"]
    assert _ids(q="lyon") == ["BETA"]
    assert _ids(q="nobody") == []


@pytest.mark.django_db
def test_filters(world: World) -> None:
    assert _ids(tier="premier") == ["ALPHA", "BETA"]  # both on probation at premier
    assert _ids(tier="advanced") == ["GAMMA"]
    assert _ids(tier="none") == ["DELTA", "OMEGA"]
    assert _ids(track="consulting") == ["GAMMA"]
    assert _ids(status="suspended") == ["DELTA"]
    assert _ids(country="BE") == ["DELTA"]
    assert _ids(at_risk="yes") == ["BETA", "GAMMA"]
    assert _ids(at_risk="no") == ["ALPHA", "DELTA", "OMEGA"]
    assert _ids(tier="premier", at_risk="yes") == ["BETA"]


@pytest.mark.django_db
def test_sort_by_name_tier_and_city(world: World) -> None:
    assert _ids(sort="name") == ["ALPHA", "BETA", "DELTA", "GAMMA", "OMEGA"]
    assert _ids(sort="-name") == ["OMEGA", "GAMMA", "DELTA", "BETA", "ALPHA"]
    # highest tier first, then by name; no tier last
    assert _ids(sort="-tier") == ["ALPHA", "BETA", "GAMMA", "DELTA", "OMEGA"]
    assert _ids(sort="tier") == ["DELTA", "OMEGA", "GAMMA", "ALPHA", "BETA"]
    # Liège, Lyon, Nantes, Paris (Alpha Conseil, then Omega)
    assert _ids(sort="city") == ["DELTA", "BETA", "GAMMA", "ALPHA", "OMEGA"]


@pytest.mark.django_db
def test_the_page_shows_tier_status_tracks_and_risk(world: World) -> None:
    client = client_for(world.carol)
    page = client.get("/console/partners/?q=alpha")
    html = page.content.decode()
    assert page.status_code == 200
    assert "2 partners" in html
    assert '<span class="badge premier">Premier</span>' in html
    assert "Provisional (on probation)" in html
    assert "at risk" in html  # BETA
    # an unknown filter value is refused, not passed on
    page = client.get("/console/partners/?tier=emperor")
    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()
    assert _page_ids(client, "?tier=emperor") == ["ALPHA", "BETA", "DELTA", "GAMMA", "OMEGA"]


@pytest.mark.django_db
def test_htmx_gets_the_results_only(world: World) -> None:
    page = client_for(world.carol).get("/console/partners/?q=gamma", HTTP_HX_REQUEST="true")
    html = page.content.decode()
    assert "<html" not in html and "Gamma Influence" in html
    assert "HX-Request" in page["Vary"]


@pytest.mark.django_db
def test_pagination(world: World) -> None:
    for n in range(12):
        partner = PartnerFactory(name=f"Zeta {n:02d}")
        TrackEnrolmentFactory(partner=partner)
    client = client_for(world.carol)
    first = _page_ids(client, "?per_page=10")
    second = _page_ids(client, "?per_page=10&page=2")
    assert len(first) == 10 and len(second) == 7
    assert first[:5] == ["ALPHA", "BETA", "DELTA", "GAMMA", "OMEGA"]
    assert not set(first) & set(second)
    html = client.get("/console/partners/?per_page=10&page=2").content.decode()
    assert "Page 2 of 2" in html
    assert 'href="?per_page=10&amp;page=1"' in html  # previous keeps the filters
    # out of range: the last page
    assert _page_ids(client, "?per_page=10&page=9") == second


@pytest.fixture
def population(db: None, tmp_path: Path, clock: object) -> None:
    load_program(tmp_path)


def _add_partners(count: int, start: int) -> None:
    """Partners with a baseline standing and a pending claim each."""
    for n in range(start, start + count):
        partner = PartnerFactory(
            external_id=f"Q{n:03d}", name=f"Partner {n:03d}", previous_tier="advanced"
        )
        TrackEnrolmentFactory(partner=partner, enrolled_on=date(2024, 1, 1))
    standings_baseline(program="cons", on=date(2026, 7, 1))
    for partner in Partner.objects.filter(claims__isnull=True):
        claim_file(
            partner=partner,
            track="solution_provider",
            tier="premier",
            filed_by="x",
            at=paris(2026, 9, 1, 10),
            program="cons",
        )


@pytest.mark.django_db
def test_query_count_is_the_same_for_1_and_50_partners(population: None) -> None:
    client = client_for(make_user("carol", "channel_manager"))

    def count(query: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/console/partners/{query}")
            assert response.status_code == 200
        return len(queries)

    _add_partners(1, 0)
    one = {q: count(q) for q in ("", "?per_page=100", "?sort=-tier&at_risk=no", "?q=partner")}
    _add_partners(49, 1)
    fifty = {q: count(q) for q in one}
    assert fifty == one
    assert len(_page_ids(client, "?per_page=100")) == 50
    assert one[""] <= 12, one
