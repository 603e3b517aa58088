"""Settlement: confirmed and lowered claims, a credential expiring on the deadline day,
grandfathering, idempotence, atomicity, notices and the audit trail."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from partnerprogram.audit.models import AuditEvent
from partnerprogram.notifications.models import Notification
from partnerprogram.partners.models import Partner
from partnerprogram.programs.models import EvaluationRun
from partnerprogram.standings.errors import SettlementError
from partnerprogram.standings.models import Claim, Cycle, Standing
from partnerprogram.standings.selectors import standing_on
from partnerprogram.standings.services import claim_file, cycle_settle, standings_baseline
from partnerprogram.standings.services import settlement as settlement_module
from tests.factories import PartnerFactory, TrackEnrolmentFactory
from tests.standings.conftest import DEADLINE, PROGRAM, certify, paris

SP = "solution_provider"
JAN1 = date(2027, 1, 1)


def _claim(partner: Partner, tier: str, track: str = SP) -> Claim:
    return claim_file(
        partner=partner,
        track=track,
        tier=tier,
        filed_by="alice",
        at=paris(2026, 10, 1),
        program=PROGRAM,
    ).claim


def _snapshot() -> dict[str, Any]:
    return {
        "standings": Standing.objects.count(),
        "runs": EvaluationRun.objects.count(),
        "audit": AuditEvent.objects.count(),
        "notices": Notification.objects.count(),
        "claims": sorted(Claim.objects.values_list("id", "status", "outcome_tier")),
        "cycles": sorted(Cycle.objects.values_list("id", "status")),
    }


@pytest.fixture
def claimed(v1: None, partners: dict[str, Partner]) -> dict[str, Claim]:
    standings_baseline(program=PROGRAM)
    return {
        "A": _claim(partners["A"], "premier"),
        "A2": _claim(partners["A2"], "premier"),
        "C": _claim(partners["C"], "premier"),
    }


@pytest.mark.django_db
def test_settlement_refused_before_the_deadline(
    claimed: dict[str, Claim], partners: dict[str, Partner]
) -> None:
    before = _snapshot()
    with pytest.raises(SettlementError) as err:
        cycle_settle(program=PROGRAM, at=paris(2026, 12, 31, 23, 59, 59))
    assert "2026-12-31" in str(err.value) and "2027-01-01T00:00:00+01:00" in str(err.value)
    assert _snapshot() == before


@pytest.mark.django_db
def test_credential_expiring_on_the_deadline_day_lowers_the_claim(
    claimed: dict[str, Claim], partners: dict[str, Partner]
) -> None:
    [settled] = cycle_settle(program=PROGRAM, at=DEADLINE)
    a, a2 = partners["A"], partners["A2"]

    # A: 4 certified people on 2026-12-31 and EUR 600,000 >= 500,000 -> premier, confirmed
    claimed["A"].refresh_from_db()
    assert (claimed["A"].status, claimed["A"].outcome_tier) == ("confirmed", "premier")
    s_a = standing_on(partner=a, track=SP, on=JAN1)
    assert s_a is not None
    assert (s_a.tier, s_a.status, s_a.frozen_until) == ("premier", "frozen", date(2028, 1, 1))

    # A2, the look-alike: its 4th credential expires on 2026-12-31 and does not count that day:
    # 3 people < 4 -> lowered to advanced (3 >= 2), 1 person missing
    claimed["A2"].refresh_from_db()
    assert (claimed["A2"].status, claimed["A2"].outcome_tier) == ("lowered", "advanced")
    s_a2 = standing_on(partner=a2, track=SP, on=JAN1)
    assert s_a2 is not None
    assert (s_a2.tier, s_a2.status) == ("advanced", "frozen")
    assert s_a2.reason_detail["failed"] == [
        {
            "kind": "value",
            "path": "all[0]",
            "metric": "certified_people",
            "value": 3,
            "threshold": 4,
            "missing": 1,
            "text": {"en": "1 more certified person", "fr": "encore 1 personne certifiée"},
        }
    ]
    assert "Claim for Premier lowered to Advanced" in s_a2.reason
    assert "1 more certified person" in s_a2.reason
    assert "Frozen through 2027-12-31" in s_a2.reason

    # the notices: A2 is told which requirement failed and by how much
    notice = Notification.objects.get(partner=a2, kind="claim_settled")
    assert notice.subject["en"] == "Claim for Premier (Solution provider) lowered to Advanced"
    assert "1 more certified person" in notice.body["en"]
    assert "encore 1 personne certifiée" in notice.body["fr"]
    assert Notification.objects.get(partner=a, kind="claim_settled").subject["en"] == (
        "Claim confirmed: Premier (Solution provider)"
    )
    # the provisional premier of A2 became advanced: a standing change; A's did not change
    assert Notification.objects.filter(partner=a2, kind="standing_changed").count() == 1
    assert not Notification.objects.filter(partner=a, kind="standing_changed").exists()
    assert settled.result["claims"] == {"confirmed": 2, "lowered": 1}


@pytest.mark.django_db
def test_grandfathering_at_settlement_says_until_when(
    claimed: dict[str, Claim], partners: dict[str, Partner]
) -> None:
    cycle_settle(program=PROGRAM, at=DEADLINE)
    c = partners["C"]
    # C: previous premier, 2 certified people -> qualifies advanced; the rule keeps premier
    s = standing_on(partner=c, track=SP, on=JAN1)
    assert s is not None
    assert (s.tier, s.status) == ("premier", Standing.Status.GRANDFATHERED)
    # no `until` on the rule: protected as long as the freeze (through 2027-12-31)
    assert s.grandfathered_until == date(2028, 1, 1)
    assert s.frozen_until == date(2028, 1, 1)
    assert s.reason_detail["grandfathering_rule"] == "keep-premier"
    assert s.reason_detail["qualified"] == "advanced"
    assert "grandfathered through 2027-12-31" in s.reason
    claimed["C"].refresh_from_db()
    assert claimed["C"].status == Claim.Status.CONFIRMED  # grandfathering keeps the claim
    overall = standing_on(partner=c, on=JAN1)
    assert overall is not None
    assert (overall.tier, overall.status, overall.grandfathered_until) == (
        "premier",
        "grandfathered",
        date(2028, 1, 1),
    )


@pytest.mark.django_db
def test_partners_without_a_claim_get_their_qualified_tier(
    claimed: dict[str, Claim], partners: dict[str, Partner]
) -> None:
    [settled] = cycle_settle(program=PROGRAM, at=DEADLINE)
    d, e = partners["D"], partners["E"]
    # D: consulting, 1 certified person < 2 -> ready, frozen
    s = standing_on(partner=d, track="consulting", on=JAN1)
    assert s is not None and (s.tier, s.status, s.claim_id) == ("ready", "frozen", None)
    # E: CCSP only, the track is not in effect on 2026-12-31: no standing at all
    assert standing_on(partner=e, on=JAN1) is None
    assert settled.result["by_track"] == {
        "solution_provider": {"premier": 2, "advanced": 1, "ready": 0, "none": 0},
        "consulting": {"premier": 0, "advanced": 0, "ready": 1, "none": 0},
    }
    assert settled.result["overall"]["by_tier"] == {"premier": 2, "advanced": 1, "ready": 1}
    assert settled.result["version"] == "1" and settled.result["as_of"] == "2026-12-31"


@pytest.mark.django_db
def test_settlement_run_twice_changes_nothing_the_second_time(
    claimed: dict[str, Claim], partners: dict[str, Partner]
) -> None:
    [first] = cycle_settle(program=PROGRAM, at=DEADLINE)
    after_first = _snapshot()
    [second] = cycle_settle(program=PROGRAM, at=paris(2027, 1, 5, 8))
    assert first.created and not second.created
    assert second.result == first.result
    assert _snapshot() == after_first


@pytest.mark.django_db
def test_settlement_is_atomic(
    claimed: dict[str, Claim], partners: dict[str, Partner], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _snapshot()
    calls = {"n": 0}
    decide = settlement_module._decide

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:  # mid-way: two partners decided already
            raise RuntimeError("boom")
        return decide(*args, **kwargs)

    monkeypatch.setattr(settlement_module, "_decide", failing)
    with pytest.raises(RuntimeError, match="boom"):
        cycle_settle(program=PROGRAM, at=DEADLINE)
    assert calls["n"] == 3
    assert _snapshot() == before  # no run, no standing, no claim change, no audit, no notice
    assert Cycle.objects.get(track="").status == Cycle.Status.OPEN

    monkeypatch.setattr(settlement_module, "_decide", decide)
    [settled] = cycle_settle(program=PROGRAM, at=DEADLINE)
    assert settled.created and settled.result["claims"] == {"confirmed": 2, "lowered": 1}


@pytest.mark.django_db
def test_settlement_is_audited(claimed: dict[str, Claim], partners: dict[str, Partner]) -> None:
    cycle_settle(program=PROGRAM, at=DEADLINE, actor="user:carol")
    cycle = Cycle.objects.get(track="")
    event = AuditEvent.objects.get(action="cycle.settled", object_id=str(cycle.pk))
    assert event.actor == "user:carol"
    assert event.changes["status"] == ["open", "settled"]
    lowered = AuditEvent.objects.get(action="claim.lowered")
    assert lowered.object_id == str(claimed["A2"].pk)
    assert lowered.changes == {"status": ["pending", "lowered"], "outcome_tier": ["", "advanced"]}
    s = standing_on(partner=partners["A2"], track=SP, on=JAN1)
    assert s is not None
    change = AuditEvent.objects.get(
        action="standing.created", object_type="standings.standing", object_id=str(s.pk)
    )
    assert change.changes["tier"] == ["premier", "advanced"]
    assert change.changes["status"] == ["provisional", "frozen"]


@pytest.mark.django_db
def test_ccsp_cycle_settles_on_its_own_deadline(v1: None, partners: dict[str, Partner]) -> None:
    cycle_settle(program=PROGRAM, at=DEADLINE)
    e = partners["E"]
    claim = claim_file(
        partner=e,
        track="ccsp",
        tier="advanced",
        filed_by="erin",
        at=paris(2027, 1, 2),
        program=PROGRAM,
    ).claim
    with pytest.raises(SettlementError, match="2027-03-31"):
        cycle_settle(program=PROGRAM, at=paris(2027, 2, 1), track="ccsp")
    settled = cycle_settle(program=PROGRAM, at=paris(2027, 4, 1))
    # the program cycle is returned as stored, the CCSP cycle is settled now
    assert [(s.cycle.track, s.created) for s in settled] == [("", False), ("ccsp", True)]
    claim.refresh_from_db()
    # EUR 5,000 cloud usage in 2026-11 within 12 months of 2027-03-31 >= 1,000 -> advanced
    assert (claim.status, claim.outcome_tier) == ("confirmed", "advanced")
    s = standing_on(partner=e, track="ccsp", on=date(2027, 4, 1))
    assert s is not None
    # 2027-03-31 + 9 months = 2027-12-31: frozen through 2027-12-31, like the others
    assert (s.tier, s.status, s.frozen_until) == ("advanced", "frozen", date(2028, 1, 1))
    overall = standing_on(partner=e, on=date(2027, 4, 1))
    assert overall is not None and overall.tier == "advanced"


def _population(n: int) -> None:
    """``n`` partners in solution_provider with 2 certified people (Advanced); every other one
    claims Premier (lowered to Advanced), the others claim Advanced (confirmed)."""
    for i in range(n):
        partner = PartnerFactory(external_id=f"N{n:03d}-{i:03d}", previous_tier="ready")
        TrackEnrolmentFactory(partner=partner, track=SP, enrolled_on=date(2024, 1, 1))
        certify(partner, 2)
        _claim(partner, "premier" if i % 2 else "advanced")


def _settlement_writes(n: int) -> Counter[str]:
    """The INSERT and UPDATE statements of a settlement of ``n`` partners, by table (rolled
    back afterwards)."""
    with transaction.atomic():
        _population(n)
        standings_baseline(program=PROGRAM)
        with CaptureQueriesContext(connection) as queries:
            [settled] = cycle_settle(program=PROGRAM, at=DEADLINE)
        assert settled.result["partners"] == n
        assert AuditEvent.objects.filter(action="standing.created").count() >= 2 * n
        transaction.set_rollback(True)
    writes: Counter[str] = Counter()
    for query in queries.captured_queries:
        found = re.match(r'(INSERT INTO|UPDATE) "(\w+)"', query["sql"])
        if found:
            writes[f"{found[1]} {found[2]}"] += 1
    return writes


@pytest.mark.django_db
def test_settlement_audit_writes_do_not_grow_with_the_partners(v1: None) -> None:
    small, large = _settlement_writes(10), _settlement_writes(40)
    # one INSERT per kind of audit event (standing.created, claim.confirmed, claim.lowered,
    # cycle.settled...), not one per standing or claim
    assert small["INSERT INTO audit_auditevent"] == large["INSERT INTO audit_auditevent"]
    assert large["INSERT INTO audit_auditevent"] <= 6
    assert small["UPDATE standings_claim"] == large["UPDATE standings_claim"]
    assert small["INSERT INTO standings_standing"] == large["INSERT INTO standings_standing"]
