"""The standing model: one query on a date, append-only, set-based summary, baseline."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerprogram.partners.models import Partner
from partnerprogram.standings.models import AppendOnlyError, Standing
from partnerprogram.standings.selectors import standing_on, standing_summary, standings_of
from partnerprogram.standings.services import (
    claim_file,
    cycle_settle,
    override_grant,
    standings_baseline,
    standings_refresh,
)
from tests.factories import PartnerFactory, TrackEnrolmentFactory
from tests.standings.conftest import DEADLINE, PROGRAM, paris

SP = "solution_provider"


@pytest.mark.django_db
def test_standing_on_a_date_is_one_query(
    v1: None, partners: dict[str, Partner], django_assert_num_queries: Any
) -> None:
    c, a = partners["C"], partners["A"]
    standings_baseline(program=PROGRAM)
    claim_file(
        partner=c,
        track=SP,
        tier="advanced",
        filed_by="alice",
        at=paris(2026, 9, 1),
        program=PROGRAM,
    )
    cycle_settle(program=PROGRAM, at=DEADLINE)
    expected = {
        date(2026, 6, 30): None,
        date(2026, 7, 1): ("premier", "qualified", "system:baseline"),
        date(2026, 9, 1): ("advanced", "provisional", "user:alice"),
        date(2026, 12, 31): ("advanced", "provisional", "user:alice"),
        date(2027, 1, 1): ("premier", "grandfathered", "system:settlement"),
    }
    for on, want in expected.items():
        with django_assert_num_queries(1):
            s = standing_on(partner=c, track=SP, on=on)
            got = (s.tier, s.status, s.decided_by) if s else None
            version = s.program_version.version if s else None  # joined: no extra query
        assert got == want, on
        assert version == (None if want is None else "1")
    # the look-alike partner without a previous tier has no baseline standing
    with django_assert_num_queries(1):
        assert standing_on(partner=a, track=SP, on=date(2026, 7, 1)) is None
    with django_assert_num_queries(1):
        assert set(standings_of(partner=c, on=date(2027, 1, 1))) == {"", SP}


@pytest.mark.django_db
def test_standings_are_append_only(v1: None, partners: dict[str, Partner]) -> None:
    """No UPDATE (nor DELETE) is ever issued on the standings table over a whole lifecycle."""
    table = Standing._meta.db_table
    with CaptureQueriesContext(connection) as captured:
        standings_baseline(program=PROGRAM)
        claim_file(
            partner=partners["A"],
            track=SP,
            tier="advanced",
            filed_by="alice",
            at=paris(2026, 9, 1),
            program=PROGRAM,
        )
        claim_file(
            partner=partners["A"],
            track=SP,
            tier="premier",
            filed_by="alice",
            at=paris(2026, 9, 2),
            program=PROGRAM,
        )  # supersedes
        cycle_settle(program=PROGRAM, at=DEADLINE)
        override_grant(
            partner=partners["D"],
            track="consulting",
            tier="advanced",
            reason="pilot",
            approver="dana",
            starts_on=date(2027, 2, 1),
            ends_on=date(2027, 3, 1),
            actor="user:erik",
            program=PROGRAM,
        )
        standings_refresh(program=PROGRAM, on=date(2028, 1, 1))
    statements = [q["sql"].upper() for q in captured.captured_queries]
    assert any(s.startswith("INSERT") and table.upper() in s for s in statements)
    touched = [
        s
        for s in statements
        if table.upper() in s and (s.startswith("UPDATE") or s.startswith("DELETE"))
    ]
    assert touched == []
    # and the model refuses it
    row = Standing.objects.first()
    assert row is not None
    row.tier = "premier"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        Standing.objects.filter(pk=row.pk).update(tier="premier")


@pytest.mark.django_db
def test_summary_is_set_based(v1: None, django_assert_num_queries: Any) -> None:
    def population(n: int, previous: str) -> None:
        for _ in range(n):
            p = PartnerFactory(previous_tier=previous)
            TrackEnrolmentFactory(partner=p, track=SP, enrolled_on=date(2024, 1, 1))

    population(2, "premier")
    standings_baseline(program=PROGRAM, on=date(2026, 7, 1))
    with django_assert_num_queries(2):  # the standings, and the tier list of the version
        small = standing_summary(on=date(2026, 7, 1), program=PROGRAM)
    population(20, "advanced")
    standings_baseline(program=PROGRAM, on=date(2026, 8, 1))
    with django_assert_num_queries(2):
        large = standing_summary(on=date(2026, 8, 1), program=PROGRAM)
    assert small["by_tier"] == {"premier": 2, "advanced": 0, "ready": 0}
    assert large["by_tier"] == {"premier": 2, "advanced": 20, "ready": 0}
    assert large["by_status"] == {"qualified": 22}
    assert large["partners"] == 22


@pytest.mark.django_db
def test_summary_counts_overrides_and_lapsed(v1: None, partners: dict[str, Partner]) -> None:
    cycle_settle(program=PROGRAM, at=DEADLINE)
    override_grant(
        partner=partners["D"],
        track="consulting",
        tier="advanced",
        reason="pilot",
        approver="dana",
        starts_on=date(2027, 2, 1),
        ends_on=date(2027, 3, 1),
        actor="user:erik",
        program=PROGRAM,
    )
    # A premier (frozen), A2 advanced (frozen), C premier (grandfathered), D ready -> advanced
    # by override until 2027-02-28
    summary = standing_summary(on=date(2027, 2, 15), program=PROGRAM)
    assert summary["by_tier"] == {"premier": 2, "advanced": 2, "ready": 0}
    assert summary["by_status"] == {"frozen": 2, "grandfathered": 1, "override": 1}
    after = standing_summary(on=date(2027, 3, 1), program=PROGRAM)
    assert after["by_tier"] == {"premier": 2, "advanced": 1, "ready": 1}


@pytest.mark.django_db
def test_baseline_writes_previous_tiers_once(v1: None, partners: dict[str, Partner]) -> None:
    first = standings_baseline(program=PROGRAM)
    # only C has a previous tier (premier); A, A2 and D have none; E's track is not open
    assert first.on == date(2026, 7, 1)
    assert (first.written, first.partners, first.no_previous_tier) == (2, 1, 3)
    s = standing_on(partner=partners["C"], track=SP, on=date(2026, 7, 1))
    assert s is not None
    assert (s.tier, s.status, s.valid_until) == ("premier", "qualified", None)
    assert "tier held under the previous program" in s.reason
    again = standings_baseline(program=PROGRAM)
    assert again.written == 0 and again.skipped_existing == 1
    assert Standing.objects.count() == 2
