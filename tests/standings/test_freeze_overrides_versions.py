"""After settlement: the freeze (never a demotion; promotions allowed or not), overrides that
end by themselves, and version transitions in the standing history."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from partnerprogram.audit.models import AuditEvent
from partnerprogram.notifications.models import Notification
from partnerprogram.partners.models import Partner
from partnerprogram.standings.errors import OverrideError
from partnerprogram.standings.models import Override, Standing
from partnerprogram.standings.selectors import (
    standing_history,
    standing_on,
    standing_periods,
    standing_summary,
)
from partnerprogram.standings.services import (
    claim_file,
    cycle_settle,
    override_grant,
    standings_baseline,
    standings_refresh,
)
from tests.factories import PartnerFactory, TrackEnrolmentFactory
from tests.standings.conftest import DEADLINE, PROGRAM, certify, load, paris

SP = "solution_provider"


def _leave(partner: Partner, on: date) -> None:
    """Every person of ``partner`` leaves on ``on`` (their credentials stop counting)."""
    partner.people.update(employed_until=on)


@pytest.mark.django_db
def test_reevaluation_during_the_freeze_never_demotes(
    v1: None, partners: dict[str, Partner]
) -> None:
    cycle_settle(program=PROGRAM, at=DEADLINE)
    a = partners["A"]
    _leave(a, date(2027, 2, 1))  # A now qualifies for ready only
    count = Standing.objects.count()
    result = standings_refresh(program=PROGRAM, on=date(2027, 6, 1))
    assert result.written == 0 and result.run is None
    assert Standing.objects.count() == count
    s = standing_on(partner=a, track=SP, on=date(2027, 6, 1))
    assert s is not None and (s.tier, s.status) == ("premier", "frozen")
    # the last frozen day, 2027-12-31: still premier
    assert standing_on(partner=a, track=SP, on=date(2027, 12, 31)).tier == "premier"  # type: ignore[union-attr]

    # after the freeze (2028-01-01) the standing follows the criteria again
    result = standings_refresh(program=PROGRAM, on=date(2028, 1, 1))
    s = standing_on(partner=a, track=SP, on=date(2028, 1, 1))
    assert s is not None and (s.tier, s.status) == ("ready", "qualified")
    assert result.changed == 1  # A only; its look-alike A2 keeps advanced (3 people >= 2)
    notice = Notification.objects.get(partner=a, kind="standing_changed", on=date(2028, 1, 1))
    assert notice.subject["en"] == "Your tier in Solution provider: Ready (was Premier)"
    # idempotent
    assert standings_refresh(program=PROGRAM, on=date(2028, 1, 1)).written == 0


@pytest.mark.django_db
def test_promotions_during_the_freeze_not_allowed(v1: None, partners: dict[str, Partner]) -> None:
    cycle_settle(program=PROGRAM, at=DEADLINE)
    d = partners["D"]
    certify(d, 1, earned_on=date(2027, 2, 1))  # 2 certified people: qualifies for advanced
    result = standings_refresh(program=PROGRAM, on=date(2027, 6, 1))
    assert result.promoted == 0 and result.written == 0
    s = standing_on(partner=d, track="consulting", on=date(2027, 6, 1))
    assert s is not None and (s.tier, s.status) == ("ready", "frozen")


@pytest.mark.django_db
def test_promotions_during_the_freeze_allowed(
    v1_promotions: None, partners: dict[str, Partner]
) -> None:
    cycle_settle(program=PROGRAM, at=DEADLINE)
    d, a = partners["D"], partners["A"]
    certify(d, 1, earned_on=date(2027, 2, 1))
    _leave(a, date(2027, 2, 1))  # a demotion is still never applied
    result = standings_refresh(program=PROGRAM, on=date(2027, 6, 1))
    assert result.promoted == 1
    s = standing_on(partner=d, track="consulting", on=date(2027, 6, 1))
    assert s is not None
    # promoted to advanced from 2027-06-01, frozen for the rest of the same freeze
    assert (s.tier, s.status, s.valid_from, s.frozen_until) == (
        "advanced",
        "frozen",
        date(2027, 6, 1),
        date(2028, 1, 1),
    )
    assert "Promoted during the freeze" in s.reason
    before = standing_on(partner=d, track="consulting", on=date(2027, 5, 31))
    assert before is not None and before.tier == "ready"
    overall = standing_on(partner=d, on=date(2027, 6, 1))
    assert overall is not None and overall.tier == "advanced"
    assert standing_on(partner=a, track=SP, on=date(2027, 6, 1)).tier == "premier"  # type: ignore[union-attr]


@pytest.mark.django_db
def test_override_wins_while_it_lasts_then_the_frozen_standing_shows_again(
    v1: None, partners: dict[str, Partner]
) -> None:
    cycle_settle(program=PROGRAM, at=DEADLINE)
    a, a2 = partners["A"], partners["A2"]
    granted = override_grant(
        partner=a2,
        track=SP,
        tier="premier",
        reason="Strategic account: certification exam voucher delayed by the vendor",
        approver="dana",
        starts_on=date(2027, 2, 1),
        ends_on=date(2027, 4, 1),  # last day 2027-03-31
        actor="user:erik",
        program=PROGRAM,
    )
    assert granted.override.approver == "dana"
    for on, tier, status in [
        (date(2027, 1, 31), "advanced", "frozen"),
        (date(2027, 2, 1), "premier", "override"),
        (date(2027, 3, 31), "premier", "override"),
        (date(2027, 4, 1), "advanced", "frozen"),  # ended by itself
    ]:
        track = standing_on(partner=a2, track=SP, on=on)
        overall = standing_on(partner=a2, on=on)
        assert track is not None and overall is not None
        assert (track.tier, track.status) == (tier, status), on
        assert (overall.tier, overall.status) == (tier, status), on
    s = standing_on(partner=a2, track=SP, on=date(2027, 3, 1))
    assert s is not None
    assert s.override_id == granted.override.pk and s.priority == 1
    assert "approved by dana" in s.reason and "through 2027-03-31" in s.reason
    # the look-alike partner is untouched
    assert standing_on(partner=a, track=SP, on=date(2027, 3, 1)).status == "frozen"  # type: ignore[union-attr]
    # logged and notified
    event = AuditEvent.objects.get(action="override.granted")
    assert (event.actor, event.changes["approver"]) == ("user:erik", [None, "dana"])
    assert Notification.objects.get(kind="override_granted").partner_id == a2.pk


@pytest.mark.django_db
def test_override_needs_reason_approver_and_end(v1: None, partners: dict[str, Partner]) -> None:
    a = partners["A"]
    base = dict(
        partner=a,
        track=SP,
        tier="premier",
        reason="r",
        approver="dana",
        starts_on=date(2027, 2, 1),
        ends_on=date(2027, 3, 1),
        actor="user:erik",
        program=PROGRAM,
    )
    cases = [
        ({"reason": "  "}, "a reason is required"),
        ({"approver": ""}, "an approver is required"),
        ({"ends_on": None}, "an end date is required"),
        ({"ends_on": date(2027, 2, 1)}, "must end after it starts"),
        ({"tier": "gold"}, "unknown tier 'gold'"),
        ({"track": "ccsp", "starts_on": date(2026, 12, 1)}, "opens on 2027-01-01"),
    ]
    for change, expected in cases:
        with pytest.raises(OverrideError) as err:
            override_grant(**{**base, **change})  # type: ignore[arg-type]
        assert expected in str(err.value)
        assert "partner A " in str(err.value)
    assert not Override.objects.exists() and not Standing.objects.exists()


@pytest.mark.django_db
def test_version_transition_shows_in_the_standing_history(
    v1: None, partners: dict[str, Partner], tmp_path: Path
) -> None:
    # version 2 from 2026-09-01: premier needs EUR 400,000 resale instead of 500,000
    load(tmp_path, version="2", effective_from="2026-09-01", resale=400000)
    a = partners["A"]
    standings_baseline(program=PROGRAM)  # A had no previous tier: nothing for A
    claim_file(
        partner=a,
        track=SP,
        tier="advanced",
        filed_by="alice",
        at=paris(2026, 8, 1),
        program=PROGRAM,
    )
    claim_file(
        partner=a,
        track=SP,
        tier="premier",
        filed_by="alice",
        at=paris(2026, 10, 1),
        program=PROGRAM,
    )
    [settled] = cycle_settle(program=PROGRAM, at=DEADLINE)
    assert settled.result["version"] == "2"  # in force on the deadline date

    periods = [
        (p.start, p.until, p.standing.tier, p.standing.status, p.standing.program_version.version)
        for p in standing_periods(standing_history(partner=a, track=SP))
    ]
    assert periods == [
        (date(2026, 8, 1), date(2026, 10, 1), "advanced", "provisional", "1"),
        (date(2026, 10, 1), date(2027, 1, 1), "premier", "provisional", "2"),
        (date(2027, 1, 1), None, "premier", "frozen", "2"),
    ]
    # one query for the history, whatever its length
    s = standing_on(partner=a, track=SP, on=date(2026, 8, 15))
    assert s is not None and s.program_version.version == "1"


@pytest.mark.django_db
def test_cycle_dates_follow_the_latest_version_until_settled(
    v1: None, partners: dict[str, Partner], tmp_path: Path
) -> None:
    from partnerprogram.standings.models import Cycle
    from partnerprogram.standings.services import cycles_sync

    cycles_sync(program=PROGRAM, on=date(2026, 7, 1), actor="system:test")
    text = tmp_path / "v3.yaml"
    from tests.standings.conftest import program_text

    text.write_text(
        program_text(version="3", effective_from="2026-10-01").replace(
            "claim_deadline: 2026-12-31", "claim_deadline: 2027-01-15"
        ),
        encoding="utf-8",
    )
    from partnerprogram.programs.services import program_versions_load

    program_versions_load(paths=[text])
    synced = {
        s.cycle.track: s.status
        for s in cycles_sync(program=PROGRAM, on=date(2026, 10, 1), actor="system:test")
    }
    assert synced[""] == "updated"
    cycle = Cycle.objects.get(track="")
    assert cycle.claim_deadline == date(2027, 1, 15)
    assert cycle.freeze_until == date(2028, 1, 16)
    assert cycle.program_version.version == "3"
    event = AuditEvent.objects.get(action="cycle.updated")
    assert event.changes["claim_deadline"] == ["2026-12-31", "2027-01-15"]


@pytest.mark.django_db
def test_refresh_leaves_an_open_cycle_to_the_settlement(
    v1: None, partners: dict[str, Partner]
) -> None:
    standings_baseline(program=PROGRAM)  # C: premier (previous program), qualifies advanced
    _leave(partners["C"], date(2026, 9, 1))  # C now qualifies for ready only
    result = standings_refresh(program=PROGRAM, on=date(2026, 10, 1))
    assert result.tracks_awaiting_settlement == ["consulting", SP]
    assert result.written == 0
    s = standing_on(partner=partners["C"], track=SP, on=date(2026, 10, 1))
    assert s is not None and (s.tier, s.decided_by) == ("premier", "system:baseline")


@pytest.mark.django_db
def test_a_claim_in_the_next_cycle_does_not_interrupt_the_freeze(
    v1: None, partners: dict[str, Partner], tmp_path: Path
) -> None:
    from tests.standings.conftest import program_text

    cycle_settle(program=PROGRAM, at=DEADLINE)
    # version 2 from 2027-07-01 opens the next cycle: claims 2027-07-01..2028-03-31
    path = tmp_path / "v2.yaml"
    path.write_text(
        program_text(version="2", effective_from="2027-07-01")
        .replace("claims_open: 2026-07-01", "claims_open: 2027-07-01")
        .replace("claim_deadline: 2026-12-31", "claim_deadline: 2028-03-31"),
        encoding="utf-8",
    )
    from partnerprogram.programs.services import program_versions_load

    program_versions_load(paths=[path])
    a2 = partners["A2"]
    filed = claim_file(
        partner=a2,
        track=SP,
        tier="premier",
        filed_by="alice",
        at=paris(2027, 8, 1),
        program=PROGRAM,
    )
    assert filed.claim.cycle.claims_open == date(2027, 7, 1)
    assert filed.standing is not None
    # frozen advanced through 2027-12-31, then provisional premier until the new deadline
    assert (filed.standing.valid_from, filed.standing.valid_until) == (
        date(2028, 1, 1),
        date(2028, 4, 1),
    )
    assert standing_on(partner=a2, track=SP, on=date(2027, 8, 1)).tier == "advanced"  # type: ignore[union-attr]
    s = standing_on(partner=a2, track=SP, on=date(2028, 1, 1))
    assert s is not None and (s.tier, s.status) == ("premier", "provisional")


def _two_tracks(ext: str) -> Partner:
    """A partner in solution_provider and consulting, Ready under the previous program, with
    2 certified people: Advanced in both tracks on the deadline."""
    partner = PartnerFactory(external_id=ext, name=f"Partner {ext}", previous_tier="ready")
    for track in (SP, "consulting"):
        TrackEnrolmentFactory(partner=partner, track=track, enrolled_on=date(2024, 1, 1))
    certify(partner, 2)
    return partner


def _grant(partner: Partner, track: str, tier: str, starts_on: date, ends_on: date) -> Override:
    return override_grant(
        partner=partner,
        track=track,
        tier=tier,
        reason="held by hand",
        approver="dana",
        starts_on=starts_on,
        ends_on=ends_on,
        actor="user:erik",
        program=PROGRAM,
    ).override


def _shown(partner: Partner, on: date, track: str = "") -> tuple[str, str, int]:
    s = standing_on(partner=partner, track=track, on=on)
    assert s is not None
    return (s.tier, s.status, s.priority)


@pytest.mark.django_db
def test_an_override_in_a_track_the_partner_is_not_in_is_refused(
    v1: None, partners: dict[str, Partner]
) -> None:
    cycle_settle(program=PROGRAM, at=DEADLINE)
    count = Standing.objects.count()
    with pytest.raises(OverrideError) as err:
        _grant(partners["D"], SP, "premier", date(2027, 2, 1), date(2027, 4, 1))
    assert "partner D is not enrolled in track solution_provider on 2027-02-01" in str(err.value)
    assert not Override.objects.exists() and Standing.objects.count() == count
    overall = standing_on(partner=partners["D"], on=date(2027, 3, 1))
    assert overall is not None and overall.tier == "ready"  # not Premier
    # the look-alike enrolled in the track: accepted
    _grant(partners["A2"], SP, "premier", date(2027, 2, 1), date(2027, 4, 1))
    assert _shown(partners["A2"], date(2027, 3, 1)) == ("premier", "override", 1)


@pytest.mark.django_db
def test_overall_stays_the_highest_tier_while_an_override_lasts(v1: None) -> None:
    b, b2 = _two_tracks("B"), _two_tracks("B2")
    standings_baseline(program=PROGRAM)  # both: Ready in both tracks and overall
    _grant(b, SP, "ready", date(2026, 12, 1), date(2027, 7, 1))  # through 2027-06-30
    assert _shown(b, date(2026, 12, 15), SP) == ("ready", "override", 1)
    assert _shown(b, date(2026, 12, 15))[0] == "ready"

    cycle_settle(program=PROGRAM, at=DEADLINE)  # consulting: Advanced, frozen
    feb = date(2027, 2, 1)
    assert _shown(b, feb, SP) == ("ready", "override", 1)
    assert _shown(b, feb, "consulting") == ("advanced", "frozen", 0)
    # before the fix: ("ready", "override", 1), the consulting tier frozen as on 2026-12-01
    assert _shown(b, feb) == ("advanced", "frozen", 1)
    overall = standing_on(partner=b, on=feb)
    assert overall is not None and overall.reason_detail["tracks"] == {
        "consulting": "advanced",
        SP: "ready",
    }
    assert overall.frozen_until == date(2028, 1, 1) and overall.valid_until == date(2027, 7, 1)
    # the look-alike without an override, and B once the override is over
    assert _shown(b2, feb) == ("advanced", "frozen", 0)
    assert _shown(b, date(2027, 7, 1), SP) == ("advanced", "frozen", 0)
    assert _shown(b, date(2027, 7, 1)) == ("advanced", "frozen", 0)
    summary = standing_summary(on=feb, program=PROGRAM)
    assert summary["by_tier"]["advanced"] == 2 and summary["by_tier"]["ready"] == 0


@pytest.mark.django_db
def test_overall_follows_overlapping_overrides_of_two_tracks(v1: None) -> None:
    b, b2 = _two_tracks("B"), _two_tracks("B2")
    cycle_settle(program=PROGRAM, at=DEADLINE)  # Advanced, frozen, in both tracks
    _grant(b, SP, "premier", date(2027, 2, 1), date(2027, 4, 1))
    _grant(b, "consulting", "ready", date(2027, 3, 1), date(2027, 6, 1))
    expected = [
        (date(2027, 1, 15), ("advanced", "frozen", 0)),
        (date(2027, 2, 15), ("premier", "override", 1)),
        (date(2027, 3, 15), ("premier", "override", 1)),
        # the Premier override is over; consulting is still overridden (Ready): the overall is
        # the frozen Advanced of solution_provider (before the fix: Premier, as on 2027-03-01)
        (date(2027, 4, 15), ("advanced", "frozen", 1)),
        (date(2027, 6, 15), ("advanced", "frozen", 0)),
    ]
    for on, shown in expected:
        assert _shown(b, on) == shown, on
        assert _shown(b2, on) == ("advanced", "frozen", 0), on
    # the timeline shows each stretch once
    periods = [
        (p.start, p.until, p.standing.tier)
        for p in standing_periods(standing_history(partner=b, track=""))
        if p.start >= date(2027, 1, 1)
    ]
    assert periods == [
        (date(2027, 1, 1), date(2027, 2, 1), "advanced"),
        (date(2027, 2, 1), date(2027, 4, 1), "premier"),  # the first override's overall row
        (date(2027, 4, 1), date(2027, 6, 1), "advanced"),  # written by the second override
        (date(2027, 6, 1), None, "advanced"),
    ]


@pytest.mark.django_db
def test_a_claim_during_a_scheduled_override_is_counted_in_its_overall(v1: None) -> None:
    b = _two_tracks("B")
    standings_baseline(program=PROGRAM)
    _grant(b, SP, "ready", date(2026, 11, 1), date(2026, 12, 1))
    # consulting Advanced claimed on 2026-10-15, before the override starts: provisional
    claim_file(
        partner=b,
        track="consulting",
        tier="advanced",
        filed_by="alice",
        at=paris(2026, 10, 15),
        program=PROGRAM,
    )
    assert _shown(b, date(2026, 11, 15)) == ("advanced", "provisional", 1)
    assert _shown(b, date(2026, 12, 15)) == ("advanced", "provisional", 0)
