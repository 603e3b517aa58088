"""The lifecycle commands: JSON shapes, text output, and refusals (exit code 2, nothing
written)."""

from __future__ import annotations

import json
from datetime import date, datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from partnerprogram.partners.models import Partner
from partnerprogram.standings.models import Claim, Cycle, Override, Standing
from partnerprogram.standings.services import cycle_settle
from tests.standings.conftest import DEADLINE, PROGRAM

SP = "solution_provider"


def cmd(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def cmd_json(*args: str) -> Any:
    return json.loads(cmd(*args, "--format", "json"))


def refused(*args: str) -> str:
    before = (Claim.objects.count(), Standing.objects.count(), Override.objects.count())
    with pytest.raises(CommandError) as err:
        cmd(*args)
    assert err.value.returncode == 2
    assert (Claim.objects.count(), Standing.objects.count(), Override.objects.count()) == before
    return str(err.value)


@pytest.mark.django_db
def test_the_lifecycle_through_the_commands(
    v1: None, partners: dict[str, Partner], clock: datetime
) -> None:
    # "now" is 2026-11-29: the claim at the deadline's last second and the settlement act in
    # the future, as a scenario (--simulate)
    baseline = cmd_json("standing", "baseline", "--program", PROGRAM)
    assert baseline["written"] == 2 and baseline["on"] == "2026-07-01"

    status = cmd_json("cycle", "status", "--program", PROGRAM, "--at", "2026-10-01T12:00")
    phases = {c["track"]: (c["phase"], c["claim_deadline"]) for c in status["cycles"]}
    assert phases == {
        None: ("claims open", "2026-12-31"),
        "ccsp": ("not open yet", "2027-03-31"),
    }
    assert status["cycles"][0]["deadline_at"] == "2027-01-01T00:00:00+01:00"
    assert status["cycles"][0]["tracks"] == ["consulting", "solution_provider"]

    filed = cmd_json(
        "claim",
        "--program",
        PROGRAM,
        "--partner",
        "A2",
        "--track",
        "solution_provider",
        "--tier",
        "premier",
        "--at",
        "2026-12-31T23:59:59",
        "--simulate",
        "--by",
        "alice",
    )
    assert filed["claim"]["status"] == "pending"
    assert filed["claim"]["filed_at"] == "2026-12-31T23:59:59+01:00"  # read in Europe/Paris
    assert filed["standing"]["status"] == "provisional"
    assert filed["standing"]["valid_through"] == "2026-12-31"

    settled = cmd_json(
        "cycle", "settle", "--program", PROGRAM, "--at", "2027-01-01T00:00+01:00", "--simulate"
    )
    [result] = settled["settlements"]
    assert result["written"] is True and result["claims"] == {"confirmed": 0, "lowered": 1}
    again = cmd_json("cycle", "settle", "--program", PROGRAM, "--at", "2027-01-02", "--simulate")
    assert again["settlements"][0]["written"] is False
    assert {k: v for k, v in again["settlements"][0].items() if k != "written"} == {
        k: v for k, v in result.items() if k != "written"
    }

    shown = cmd_json("standing", "--program", PROGRAM, "--partner", "A2", "--on", "2027-01-01")
    s = shown["tracks"]["solution_provider"]
    assert {k: s[k] for k in ("tier", "status", "valid_from", "valid_until", "version")} == {
        "tier": "advanced",
        "status": "frozen",
        "valid_from": "2027-01-01",
        "valid_until": None,
        "version": "1",
    }
    assert s["frozen_through"] == "2027-12-31"
    assert s["reason"].startswith("Claim for Premier lowered to Advanced")
    assert s["failed"][0]["missing"] == 1
    assert shown["standing"]["tier"] == "advanced"  # overall

    c = cmd_json(
        "standing",
        "--program",
        PROGRAM,
        "--partner",
        "C",
        "--track",
        "solution_provider",
        "--on",
        "2027-06-01",
    )
    assert c["standing"]["status"] == "grandfathered"
    assert c["standing"]["grandfathered"] is True
    assert c["standing"]["grandfathered_through"] == "2027-12-31"

    history = cmd_json(
        "standing",
        "--program",
        PROGRAM,
        "--partner",
        "A2",
        "--track",
        "solution_provider",
        "--history",
    )
    assert [
        (p["from"], p["through"], p["tier"], p["status"], p["version"]) for p in history["periods"]
    ] == [
        ("2026-12-31", "2026-12-31", "premier", "provisional", "1"),
        ("2027-01-01", None, "advanced", "frozen", "1"),
    ]
    assert [c["status"] for c in history["claims"]] == ["lowered"]

    granted = cmd_json(
        "override",
        "--program",
        PROGRAM,
        "--partner",
        "A2",
        "--track",
        "solution_provider",
        "--tier",
        "premier",
        "--reason",
        "Vendor delayed the exam",
        "--approver",
        "dana",
        "--from",
        "2027-02-01",
        "--until",
        "2027-03-31",
        "--by",
        "erik",
    )
    assert granted["override"]["ends_on"] == "2027-04-01"
    assert granted["override"]["through"] == "2027-03-31"
    assert granted["standing"]["status"] == "override"

    summary = cmd_json("standing", "--summary", "--program", PROGRAM, "--on", "2027-02-15")
    assert summary["by_tier"] == {"premier": 3, "advanced": 0, "ready": 1}
    assert summary["by_status"] == {"frozen": 2, "grandfathered": 1, "override": 1}

    text = cmd(
        "standing", "--program", PROGRAM, "--partner", "A2", "--on", "2027-02-15", "--history"
    )
    assert "premier (override)" in text and "timeline" in text
    assert "settled, frozen" in cmd("cycle", "status", "--program", PROGRAM, "--at", "2027-02-01")


@pytest.mark.django_db
def test_refusals_exit_with_code_2_and_change_nothing(
    v1: None, partners: dict[str, Partner], clock: datetime
) -> None:
    claim = ["claim", "--program", PROGRAM, "--track", "solution_provider"]
    assert "partner 'NOPE' not found" in refused(*claim, "--partner", "NOPE", "--tier", "premier")
    assert "unknown tier 'gold'" in refused(
        *claim, "--partner", "A", "--tier", "gold", "--at", "2026-10-01"
    )
    message = refused(
        "claim",
        "--program",
        PROGRAM,
        "--partner",
        "A",
        "--track",
        "reseller",
        "--tier",
        "premier",
        "--at",
        "2026-10-01",
    )
    assert "unknown track 'reseller'" in message and "partner A" in message
    late = refused(
        *claim,
        "--partner",
        "A",
        "--tier",
        "premier",
        "--at",
        "2026-12-31T23:00:00+00:00",
        "--simulate",
    )
    assert "has passed" in late and "2026-12-31" in late
    early = refused(*claim, "--partner", "A", "--tier", "premier", "--at", "2026-06-30T12:00")
    assert "before claims open" in early
    ccsp = refused(
        "claim",
        "--program",
        PROGRAM,
        "--partner",
        "E",
        "--track",
        "ccsp",
        "--tier",
        "advanced",
        "--at",
        "2026-11-15T12:00",
    )
    assert "opens on 2027-01-01" in ccsp
    assert "not a date-time" in refused(
        *claim, "--partner", "A", "--tier", "premier", "--at", "tomorrow"
    )

    override = [
        "override",
        "--program",
        PROGRAM,
        "--partner",
        "A",
        "--track",
        "solution_provider",
        "--tier",
        "premier",
        "--from",
        "2026-10-01",
    ]
    assert "--reason is required" in refused(
        *override, "--approver", "dana", "--until", "2026-12-31"
    )
    assert "--approver is required" in refused(*override, "--reason", "x", "--until", "2026-12-31")
    assert "--until (the last day) is required" in refused(
        *override, "--reason", "x", "--approver", "dana"
    )
    assert "unknown tier 'gold'" in refused(
        "override",
        "--program",
        PROGRAM,
        "--partner",
        "A",
        "--track",
        "solution_provider",
        "--tier",
        "gold",
        "--reason",
        "x",
        "--approver",
        "dana",
        "--from",
        "2026-12-01",
        "--until",
        "2026-12-31",
    )
    nothing_due = refused("cycle", "settle", "--program", PROGRAM, "--at", "2026-11-01")
    assert "no cycle of life has reached its deadline" in nothing_due
    assert "the next deadline is 2026-12-31" in nothing_due
    assert "cannot settle track 'reseller' of life: unknown track" in refused(
        "cycle",
        "settle",
        "--program",
        PROGRAM,
        "--at",
        "2027-01-02",
        "--track",
        "reseller",
        "--simulate",
    )
    assert not Cycle.objects.exists()  # refusals do not even store the cycles
    assert "give --partner" in refused("standing", "--program", PROGRAM)
    assert "unknown track in life 1" in refused(
        "standing",
        "--program",
        PROGRAM,
        "--partner",
        "A",
        "--track",
        "resale",
        "--on",
        "2026-10-01",
    )
    assert "program 'nope'" in refused("standing", "--summary", "--program", "nope")


@pytest.mark.django_db
def test_messages_of_the_standing_command(v1: None, partners: dict[str, Partner]) -> None:
    missing = refused("standing", "--program", PROGRAM, "--partner", "a2")
    assert "partner 'a2' not found" in missing and "P0001" not in missing
    assert "`partnerprogram standing --summary --list`" in missing and "admin" in missing
    assert "did you mean A2?" in missing
    assert "P0001" not in refused("claim", "--partner", "NOPE", "--track", "x", "--tier", "y")

    unknown = refused("standing", "--summary", "--program", PROGRAM, "--track", "nope")
    assert "unknown track in life 1" in unknown and "consulting" in unknown
    both = refused("standing", "--summary", "--program", PROGRAM, "--partner", "A")
    assert "does not take --partner" in both

    # no standing yet: said so, in text and JSON
    text = cmd("standing", "--program", PROGRAM, "--partner", "A", "--on", "2026-10-01")
    assert "no standing on 2026-10-01" in text
    one = cmd(
        "standing", "--program", PROGRAM, "--partner", "A", "--track", SP, "--on", "2026-10-01"
    )
    assert "solution_provider: no standing on 2026-10-01" in one
    assert (
        cmd_json("standing", "--program", PROGRAM, "--partner", "A", "--on", "2026-10-01")[
            "standing"
        ]
        is None
    )

    # --list: the external ids to give --partner
    cmd("standing", "baseline", "--program", PROGRAM)
    listed = cmd_json("standing", "--summary", "--list", "--program", PROGRAM, "--on", "2026-10-01")
    assert listed["standings"] == [
        {"partner": "C", "name": "Partner C", "tier": "premier", "status": "qualified"}
    ]
    assert "Partner C" in cmd(
        "standing", "--summary", "--list", "--program", PROGRAM, "--on", "2026-10-01"
    )


@pytest.mark.django_db
def test_a_freeze_that_is_over_shows_as_qualified(v1: None, partners: dict[str, Partner]) -> None:
    cycle_settle(program=PROGRAM, at=DEADLINE)  # frozen through 2027-12-31; no refresh after
    during = cmd_json("standing", "--program", PROGRAM, "--partner", "A", "--on", "2027-12-31")
    assert during["standing"]["status"] == "frozen"
    after = cmd_json("standing", "--program", PROGRAM, "--partner", "A", "--on", "2028-02-01")
    for shown in (after["standing"], after["tracks"][SP]):
        assert (shown["tier"], shown["status"]) == ("premier", "qualified")
        assert shown["stored_status"] == "frozen"  # the row as written
        assert shown["frozen_through"] == "2027-12-31"
    text = cmd("standing", "--program", PROGRAM, "--partner", "A", "--on", "2028-02-01")
    assert "premier (qualified)" in text and "frozen through 2027-12-31 (freeze over)" in text

    summary = cmd_json("standing", "--summary", "--program", PROGRAM, "--on", "2028-02-01")
    # A, A2 and D were frozen; C is grandfathered (kept by a rule, not qualified: unchanged)
    assert summary["by_status"] == {"grandfathered": 1, "qualified": 3}
    frozen = cmd_json("standing", "--summary", "--program", PROGRAM, "--on", "2027-12-31")
    assert frozen["by_status"] == {"frozen": 3, "grandfathered": 1}


@pytest.mark.django_db
def test_baseline_text_says_what_was_written(v1: None, partners: dict[str, Partner]) -> None:
    # C (solution provider, previous tier premier) is the only partner with a previous tier:
    # 1 overall + 1 solution_provider standing = 2; A, A2, D have none; E is only in the
    # ccsp track, not open on 2026-07-01
    text = cmd("standing", "baseline", "--program", PROGRAM)
    lines = text.splitlines()
    assert lines[1] == "  standings written: 2 (1 partner × overall + one track each)"
    assert "  no previous tier (no standing until a claim or the settlement): 3 partners" in lines
    assert "{" not in text  # no raw dict
    table = lines[lines.index("") + 1 :]
    assert table[0].split() == ["tier", "partners"]
    assert [row.split() for row in table[2:]] == [
        ["premier", "1"],
        ["advanced", "0"],
        ["ready", "0"],
        ["total", "1"],
    ]
    # run again: nothing written, the 1 (partner, track) pair left alone, no table
    again = cmd("standing", "baseline", "--program", PROGRAM)
    assert again.splitlines()[1] == "  standings written: 0"
    assert "  left alone (already had a standing): 1 partner-track pair" in again.splitlines()
    assert "premier" not in again


@pytest.mark.django_db
def test_baseline_text_for_a_partner_in_two_tracks(v1: None, partners: dict[str, Partner]) -> None:
    from tests.factories import TrackEnrolmentFactory

    TrackEnrolmentFactory(partner=partners["C"], track="consulting", enrolled_on=date(2024, 1, 1))
    # C premier in solution_provider and consulting: 2 track standings + 1 overall = 3
    text = cmd("standing", "baseline", "--program", PROGRAM)
    assert text.splitlines()[1] == (
        "  standings written: 3 (1 overall, one per partner, + 2 per track: 1 partner, some "
        "in several tracks)"
    )
    assert "track standings" in text  # the table counts track standings, not partners
    # the JSON stays as it was
    assert cmd_json("standing", "baseline", "--program", PROGRAM)["written"] == 0
