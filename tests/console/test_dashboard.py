"""The dashboard's figures, computed by hand on the console world (tests/console/conftest.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerprogram.console.programs import program_view
from partnerprogram.console.selectors.dashboard import dashboard_compute
from partnerprogram.core.models import ExchangeRate
from partnerprogram.programs.services import program_versions_load
from partnerprogram.standings.models import Standing
from tests.console.conftest import PROGRAM, TODAY, World, client_for
from tests.factories import (
    BookingFactory,
    PartnerFactory,
    TrackEnrolmentFactory,
)


@pytest.mark.django_db
def test_dashboard_figures_by_hand(world: World) -> None:
    data = dashboard_compute(on=TODAY, program=program_view(on=TODAY))
    kpis = data.kpis
    assert kpis is not None
    # ALPHA, BETA, GAMMA, DELTA (suspended counts); OMEGA is terminated
    assert kpis.partners == 4
    # ALPHA resold, BETA registered a deal, GAMMA reported cloud usage; DELTA did nothing
    assert kpis.active_partners == 3
    # 12 months to 2026-10-15: indirect EUR 600 + USD 100 at 0.80 (rate of 2026-10-01) = 680;
    # all = 680 + direct 310 = 990
    assert kpis.indirect_bookings == Decimal("680.00")
    assert kpis.total_bookings == Decimal("990.00")
    assert kpis.indirect_share == Decimal(680) / Decimal(990)
    # cloud usage 68 / indirect 680; 68 against 50 the year before
    assert kpis.ccsp_share == Decimal("0.1")
    assert kpis.ccsp_growth == Decimal("0.36")

    # standings on 2026-10-15: ALPHA and BETA provisional premier, GAMMA provisional advanced
    dist = data.distribution
    assert dist.source == "standings"
    assert [(c.key, c.count) for c in dist.overall] == [
        ("premier", 2),
        ("advanced", 1),
        ("ready", 0),
    ]
    # the rows add up to the partners shown: DELTA (suspended, in the KPI population) holds
    # no standing; OMEGA is terminated, outside both. 3 with a standing + 1 = 4 = kpis.partners
    assert (dist.partners, dist.no_standing, dist.total) == (3, 1, 4)
    assert [c.fraction for c in dist.overall] == [Decimal("0.5"), Decimal("0.25"), Decimal(0)]
    assert dist.no_standing_fraction == Decimal("0.25")
    by_track = {t.track: [(c.key, c.count) for c in t.tiers] for t in dist.by_track}
    assert by_track == {
        "consulting": [("premier", 0), ("advanced", 1), ("ready", 0)],
        "solution_provider": [("premier", 2), ("advanced", 0), ("ready", 0)],
    }
    assert {t.opens_on for t in dist.by_track} == {None}  # both tracks open on 2026-07-01

    # three claims pending; BETA (assessed advanced, claims premier) and GAMMA (assessed ready,
    # claims advanced) are at risk; ALPHA (assessed premier) is not
    assert data.claims_pending == 3
    assert data.partners_at_risk == 2
    assert [(a.partner.external_id, a.claim.assessed_tier) for a in data.at_risk] == [
        ("BETA", "advanced"),
        ("GAMMA", "ready"),
    ]

    # 24 monthly points, the last one the 12 months to date
    assert len(data.share) == 24
    assert data.share[-1].share == kpis.indirect_share
    assert data.share_goal == Decimal("0.80")


@pytest.mark.django_db
def test_dashboard_page_shows_the_figures_localized(world: World) -> None:
    page = client_for(world.carol).get("/console/?on=2026-10-15")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<p class="kpi">4</p>' in html
    assert "68.7%" in html  # 680 / 990
    assert "10.0%" in html and "+36.0%" in html
    assert "goal 80%" in html
    assert 'href="/console/claims/?status=pending">3</a>' in html
    assert "2 partners at risk before the deadline" in html
    assert "Alpha Conseil Bis" in html and "Gamma Influence" in html
    assert '<svg class="chart"' in html and 'role="img"' in html

    fr = client_for(world.carol).get("/console/?on=2026-10-15", HTTP_ACCEPT_LANGUAGE="fr")
    text = fr.content.decode()
    assert "68,7" in text  # decimal comma in French
    # SVG coordinates stay unlocalized: no "12,0" style numbers inside attributes
    assert 'y1="' in text
    for chunk in text.split('y1="')[1:]:
        assert "," not in chunk.split('"')[0]


@pytest.mark.django_db
def test_dashboard_page_rows_add_up_and_a_track_not_open_says_when(
    world: World, tmp_path: Path
) -> None:
    # version 2 (from 2026-10-01) adds a cloud track opening on 2027-01-01
    path = tmp_path / "cons-2.yaml"
    path.write_text(
        PROGRAM.replace('version: "1"', 'version: "2"')
        .replace("effective_from: 2026-07-01", "effective_from: 2026-10-01")
        .replace(
            "  consulting: {name: {en: Consulting, fr: Conseil}}\n",
            "  consulting: {name: {en: Consulting, fr: Conseil}}\n"
            "  ccsp: {name: {en: Cloud service provider}, effective_from: 2027-01-01}\n",
        ),
        encoding="utf-8",
    )
    program_versions_load(paths=[path])
    data = dashboard_compute(on=TODAY, program=program_view(on=TODAY))
    tracks = {t.track: (t.partners, t.opens_on) for t in data.distribution.by_track}
    assert tracks["ccsp"] == (0, date(2027, 1, 1))
    assert tracks["consulting"] == (1, None)

    html = client_for(world.carol).get("/console/?on=2026-10-15").content.decode()
    assert "track opens 2027-01-01" in html
    # Partners by tier: premier 2 (50.0%), advanced 1 (25.0%), ready 0, no standing 1 (25.0%),
    # total 4 = the "Partners" figure
    assert "No standing" in html
    no_standing_row = html.split("(not assessed yet", 1)[1].split("</tr>", 1)[0]
    assert '<td class="num">1</td><td class="num">25.0%</td>' in no_standing_row
    total_row = html.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    assert '<td class="num">4</td><td class="num">100.0%</td>' in total_row


@pytest.mark.django_db
def test_dashboard_falls_back_to_the_latest_evaluation_without_standings(world: World) -> None:
    # before the baseline (2026-07-01) no standing is in effect: the evaluation of 2026-10-01
    # is not as of that date either; on 2026-10-01 itself with no standings we read the run.
    data = dashboard_compute(on=date(2026, 6, 30), program=program_view(on=date(2026, 6, 30)))
    assert data.distribution.source == ""  # no standing, no run as of 2026-06-30
    Standing.objects.all().delete()
    on = date(2026, 10, 1)
    data = dashboard_compute(on=on, program=program_view(on=on))
    assert data.distribution.source == "evaluation"
    assert data.distribution.as_of == on
    # the run as of 2026-10-01: ALPHA premier, BETA advanced, GAMMA and DELTA ready
    assert [(c.key, c.count) for c in data.distribution.overall] == [
        ("premier", 1),
        ("advanced", 1),
        ("ready", 2),
    ]


@pytest.mark.django_db
def test_a_missing_rate_is_reported_not_a_crash(world: World) -> None:
    ExchangeRate.objects.all().delete()
    page = client_for(world.carol).get("/console/?on=2026-10-15")
    assert page.status_code == 200
    assert b"no exchange rate from USD to EUR" in page.content


@pytest.mark.django_db
def test_dashboard_query_count_does_not_depend_on_the_population(world: World) -> None:
    client = client_for(world.carol)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/console/?on=2026-10-15").status_code == 200
        return len(queries)

    before = count()
    for _ in range(40):
        partner = PartnerFactory()
        TrackEnrolmentFactory(partner=partner, enrolled_on=date(2024, 1, 1))
        BookingFactory(transacting_partner=partner, booked_on=date(2026, 8, 1))
    assert count() == before


def test_line_chart_geometry() -> None:
    from partnerprogram.console.charts import line_chart

    chart = line_chart(
        [("a", Decimal("0.5")), ("b", None), ("c", Decimal("1.2")), ("d", Decimal(0))],
        goal=Decimal("0.8"),
        width=144,
        height=140,
        max_labels=2,
    )
    # plot area: x 44..132, y 12..112 (height 100)
    assert [p.x for p in chart.points] == [44.0, 73.33, 102.67, 132.0]
    assert [p.y for p in chart.points] == [62.0, None, 12.0, 112.0]  # 1.2 clamped to the top
    assert chart.segments == ("44.0,62.0", "102.67,12.0 132.0,112.0")  # a gap at None
    assert chart.goal_y == 32.0
    assert [(p.label, anchor) for p, anchor in chart.labelled] == [("b", "middle"), ("d", "end")]
