"""Commands that write act now (or, for overrides, from today on): a future ``--at``/``--on``
or a past ``--from`` is refused (exit code 2, nothing written) unless ``--simulate``. Read-only
commands accept any date. "Now" is pinned to 2026-11-29 12:00 in Paris (``clock``), inside the
claims window of the ``life`` cycle (2026-07-01..2026-12-31)."""

from __future__ import annotations

import json
from datetime import date, datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from partnerprogram.audit.models import AuditEvent
from partnerprogram.notifications.models import Notification
from partnerprogram.partners.models import Partner
from partnerprogram.standings.models import Claim, Cycle, Override, Standing
from partnerprogram.standings.selectors import standing_on
from tests.standings.conftest import PROGRAM

SP = "solution_provider"


def cmd(*args: str) -> str:
    out = StringIO()
    call_command(*args, "--program", PROGRAM, stdout=out)
    return out.getvalue()


def cmd_json(*args: str) -> Any:
    return json.loads(cmd(*args, "--format", "json"))


def _state() -> tuple[int, ...]:
    return (
        Claim.objects.count(),
        Standing.objects.count(),
        Override.objects.count(),
        Cycle.objects.count(),
        Cycle.objects.filter(status="settled").count(),
        AuditEvent.objects.count(),
        Notification.objects.count(),
    )


def refused(*args: str) -> str:
    before = _state()
    with pytest.raises(CommandError) as err:
        cmd(*args)
    assert err.value.returncode == 2
    assert _state() == before
    return str(err.value)


def claim(partner: str, tier: str, *more: str) -> tuple[str, ...]:
    return ("claim", "--partner", partner, "--track", SP, "--tier", tier, "--by", "alice", *more)


@pytest.mark.django_db
def test_settling_in_the_future_is_refused_and_real_claims_still_go_through(
    v1: None, partners: dict[str, Partner], clock: datetime
) -> None:
    message = refused("cycle", "settle", "--at", "2027-01-01T00:00")
    assert "cycle settle refused" in message
    assert "--at 2027-01-01T00:00:00+01:00 is later than now (2026-11-29T12:00:00+01:00)" in message
    assert "--simulate" in message
    # the cycle is still open: a claim filed now is accepted (before the fix the settlement
    # went through and this claim was refused: "the ... cycle is already settled")
    filed = cmd_json(*claim("A2", "premier"))
    assert filed["claim"]["status"] == "pending"
    assert filed["claim"]["filed_at"] == "2026-11-29T12:00:00+01:00"


@pytest.mark.django_db
def test_every_writing_command_refuses_the_future_unless_simulated(
    v1: None, partners: dict[str, Partner], clock: datetime
) -> None:
    assert "later than now" in refused(*claim("A", "premier", "--at", "2026-12-01T09:00"))
    assert "cycle sync refused" in refused("cycle", "sync", "--at", "2027-01-02")
    assert "cycle risks refused" in refused("cycle", "risks", "--at", "2026-12-25T09:00")
    message = refused("standing", "refresh", "--on", "2026-11-30")
    assert "--on 2026-11-30 is after today (2026-11-29, Europe/Paris)" in message
    # an offset is taken into account: 11:00 UTC is 12:00 in Paris, now
    assert cmd_json(*claim("A", "premier", "--at", "2026-11-29T11:00:00+00:00"))["claim"]
    # a few seconds of tolerance for clocks and typing
    assert cmd_json(*claim("A", "advanced", "--at", "2026-11-29T12:00:05"))["claim"]
    # today is not the future
    assert cmd_json("standing", "refresh", "--on", "2026-11-29")["on"] == "2026-11-29"
    # --simulate: act as if it were --at (scenarios, demos, tests)
    simulated = cmd_json(*claim("A2", "premier", "--at", "2026-12-31T23:59:59", "--simulate"))
    assert simulated["claim"]["filed_at"] == "2026-12-31T23:59:59+01:00"
    settled = cmd_json("cycle", "settle", "--at", "2027-01-01T00:00", "--simulate")
    assert settled["settlements"][0]["written"] is True
    assert cmd_json("standing", "refresh", "--on", "2028-01-01", "--simulate")["on"] == (
        "2028-01-01"
    )


@pytest.mark.django_db
def test_cycle_status_reads_any_instant(
    v1: None, partners: dict[str, Partner], clock: datetime
) -> None:
    status = cmd_json("cycle", "status", "--at", "2030-01-01T00:00")
    assert [c["phase"] for c in status["cycles"]] == ["awaiting settlement", "awaiting settlement"]
    assert not Cycle.objects.exists()


@pytest.mark.django_db
def test_an_override_cannot_start_in_the_past_unless_simulated(
    v1: None, partners: dict[str, Partner], clock: datetime
) -> None:
    grant = (
        "override",
        "--track",
        SP,
        "--tier",
        "premier",
        "--reason",
        "exam postponed",
        "--approver",
        "dana",
        "--until",
        "2027-03-31",
        "--by",
        "erik",
    )
    message = refused(*grant, "--partner", "A", "--from", "2026-11-28")
    assert "override of partner A" in message
    assert "--from 2026-11-28 is before today (2026-11-29, Europe/Paris)" in message
    assert "--simulate" in message
    # from today (the default) or later: accepted; the look-alike A2 from the past: simulated
    assert cmd_json(*grant, "--partner", "A")["override"]["starts_on"] == "2026-11-29"
    assert cmd_json(*grant, "--partner", "A2", "--from", "2026-12-15")["override"]
    past = cmd_json(*grant, "--partner", "A2", "--from", "2026-10-01", "--simulate")
    assert past["override"]["starts_on"] == "2026-10-01"
    s = standing_on(partner=partners["A2"], track=SP, on=date(2026, 10, 1))
    assert s is not None and s.status == "override"


@pytest.mark.django_db
def test_a_baseline_later_than_today_and_than_claims_open_is_refused(
    v1: None, partners: dict[str, Partner], clock: datetime
) -> None:
    message = refused("standing", "baseline", "--on", "2027-06-01")
    assert "standing baseline of life refused: --on 2027-06-01 is after today" in message
    # on claims_open (the default), or any day up to today: accepted
    assert cmd_json("standing", "baseline", "--on", "2026-07-01")["written"] == 2
    s = standing_on(partner=partners["C"], track=SP, on=date(2026, 7, 1))
    assert s is not None and s.decided_by == "system:baseline"
