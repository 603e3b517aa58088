"""Filing claims: the deadline's last second, claims opening, the CCSP opening, superseding,
and two concurrent claims on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from django.db import connection, connections

from partnerprogram.audit.models import AuditEvent
from partnerprogram.notifications.models import Notification
from partnerprogram.partners.models import Partner
from partnerprogram.standings.errors import ClaimError
from partnerprogram.standings.models import Claim, Standing
from partnerprogram.standings.selectors import standing_on
from partnerprogram.standings.services import claim_file
from tests.standings.conftest import PROGRAM, paris

SP = "solution_provider"


def _file(partner: Partner, at: datetime, tier: str = "premier", track: str = SP) -> Claim:
    return claim_file(
        partner=partner, track=track, tier=tier, filed_by="alice", at=at, program=PROGRAM
    ).claim


def _counts() -> tuple[int, int, int, int]:
    return (
        Claim.objects.count(),
        Standing.objects.count(),
        AuditEvent.objects.count(),
        Notification.objects.count(),
    )


@pytest.mark.django_db
def test_claim_makes_the_standing_provisional_until_the_deadline(
    v1: None, partners: dict[str, Partner]
) -> None:
    a2, a = partners["A2"], partners["A"]
    claim = _file(a2, paris(2026, 10, 1, 9, 30))
    assert claim.status == Claim.Status.PENDING
    assert claim.cycle.claim_deadline == date(2026, 12, 31)
    # provisional at the claimed tier from the filing date up to the deadline day included
    for on in (date(2026, 10, 1), date(2026, 12, 31)):
        track = standing_on(partner=a2, track=SP, on=on)
        overall = standing_on(partner=a2, on=on)
        assert track is not None and overall is not None
        assert (track.tier, track.status) == ("premier", Standing.Status.PROVISIONAL)
        assert (overall.tier, overall.status) == ("premier", Standing.Status.PROVISIONAL)
    provisional = standing_on(partner=a2, track=SP, on=date(2026, 10, 1))
    assert provisional is not None
    assert provisional.valid_until == date(2027, 1, 1)
    assert provisional.claim_id == claim.pk
    assert provisional.decided_by == "user:alice"
    assert "provisional" in provisional.reason and "2026-12-31" in provisional.reason
    # the day before filing, and the look-alike partner: nothing
    assert standing_on(partner=a2, track=SP, on=date(2026, 9, 30)) is None
    assert standing_on(partner=a, track=SP, on=date(2026, 10, 1)) is None
    # audited, notified
    assert AuditEvent.objects.filter(action="claim.filed", object_id=str(claim.pk)).exists()
    notice = Notification.objects.get(kind="claim_filed")
    assert notice.partner_id == a2.pk and notice.recipients == ["a2@example.test"]


@pytest.mark.django_db
def test_last_second_of_the_deadline_in_paris_is_in_time(
    v1: None, partners: dict[str, Partner]
) -> None:
    # 2026-12-31T23:59:59+01:00 = 2026-12-31T22:59:59Z: the deadline day in Paris
    claim = _file(partners["A"], datetime.fromisoformat("2026-12-31T23:59:59+01:00"))
    assert claim.status == Claim.Status.PENDING
    standing = standing_on(partner=partners["A"], track=SP, on=date(2026, 12, 31))
    assert standing is not None and standing.valid_from == date(2026, 12, 31)


@pytest.mark.django_db
def test_2300_utc_on_the_deadline_day_is_already_late_in_paris(
    v1: None, partners: dict[str, Partner]
) -> None:
    # 2026-12-31T23:00:00Z = 2027-01-01T00:00:00+01:00: the deadline (end of the day in Paris)
    before = _counts()
    with pytest.raises(ClaimError) as err:
        _file(partners["A"], datetime(2026, 12, 31, 23, 0, tzinfo=UTC))
    message = str(err.value)
    assert "partner A" in message and "'premier'" in message and "solution_provider" in message
    assert "deadline 2026-12-31" in message and "has passed" in message
    assert "2027-01-01T00:00:00+01:00" in message
    assert _counts() == before


@pytest.mark.django_db
def test_claim_after_the_deadline_is_refused(v1: None, partners: dict[str, Partner]) -> None:
    _file(partners["A"], paris(2026, 11, 1))
    before = _counts()
    with pytest.raises(ClaimError, match="has passed"):
        _file(partners["A"], paris(2027, 1, 15), tier="advanced")
    assert _counts() == before
    assert Claim.objects.get().tier == "premier"  # the earlier claim is untouched


@pytest.mark.django_db
def test_claim_before_claims_open_is_refused(v1: None, partners: dict[str, Partner]) -> None:
    before = _counts()
    # the last second of 2026-06-30 in Paris (CEST, +02:00)
    with pytest.raises(ClaimError, match="before claims open") as err:
        _file(partners["A"], datetime.fromisoformat("2026-06-30T23:59:59+02:00"))
    assert "2026-07-01" in str(err.value)
    assert _counts() == before
    # the first second is in time
    assert _file(partners["A"], datetime.fromisoformat("2026-07-01T00:00:00+02:00")).pk


@pytest.mark.django_db
def test_ccsp_claim_refused_before_2027_and_accepted_on_2027_01_02(
    v1: None, partners: dict[str, Partner]
) -> None:
    e = partners["E"]
    before = _counts()
    with pytest.raises(ClaimError) as err:
        _file(e, paris(2026, 12, 15), tier="advanced", track="ccsp")
    assert "opens on 2027-01-01" in str(err.value) and "partner E" in str(err.value)
    assert _counts() == before
    assert standing_on(partner=e, track="ccsp", on=date(2026, 12, 15)) is None

    claim = _file(e, paris(2027, 1, 2, 10), tier="advanced", track="ccsp")
    # the CCSP track's own cycle: claims 2027-01-01..2027-03-31, 9 months' freeze
    assert claim.cycle.track == "ccsp"
    assert (claim.cycle.claims_open, claim.cycle.claim_deadline) == (
        date(2027, 1, 1),
        date(2027, 3, 31),
    )
    assert claim.cycle.freeze_until == date(2028, 1, 1)
    standing = standing_on(partner=e, track="ccsp", on=date(2027, 1, 2))
    assert standing is not None and standing.status == Standing.Status.PROVISIONAL
    assert standing.valid_until == date(2027, 4, 1)


@pytest.mark.django_db
def test_refusals_name_the_object_and_the_reason(v1: None, partners: dict[str, Partner]) -> None:
    a, d = partners["A"], partners["D"]
    at = paris(2026, 10, 1)
    cases = [
        (dict(partner=a, track=SP, tier="platinum"), "unknown tier 'platinum'"),
        (dict(partner=a, track="reseller", tier="premier"), "unknown track 'reseller'"),
        (dict(partner=d, track=SP, tier="advanced"), "not enrolled in track solution_provider"),
        # consulting offers ready and advanced only
        (dict(partner=d, track="consulting", tier="premier"), "not offered"),
    ]
    before = _counts()
    for kwargs, expected in cases:
        with pytest.raises(ClaimError) as err:
            claim_file(filed_by="alice", at=at, program=PROGRAM, **kwargs)  # type: ignore[arg-type]
        assert expected in str(err.value)
        assert f"partner {kwargs['partner'].external_id}" in str(err.value)  # type: ignore[attr-defined]
    assert _counts() == before


@pytest.mark.django_db
def test_a_new_claim_supersedes_the_pending_one(v1: None, partners: dict[str, Partner]) -> None:
    a = partners["A"]
    first = _file(a, paris(2026, 9, 1), tier="advanced")
    filed = claim_file(
        partner=a, track=SP, tier="premier", filed_by="bob", at=paris(2026, 9, 2), program=PROGRAM
    )
    first.refresh_from_db()
    assert first.status == Claim.Status.SUPERSEDED
    assert filed.superseded is not None and filed.superseded.pk == first.pk
    assert list(Claim.objects.filter(status="pending").values_list("tier", flat=True)) == [
        "premier"
    ]
    standing = standing_on(partner=a, track=SP, on=date(2026, 9, 2))
    assert standing is not None and standing.tier == "premier"
    earlier = standing_on(partner=a, track=SP, on=date(2026, 9, 1))
    assert earlier is not None and earlier.tier == "advanced"  # history is kept


@pytest.mark.django_db
def test_a_claim_dated_before_the_pending_one_is_refused(
    v1: None, partners: dict[str, Partner]
) -> None:
    a, a2 = partners["A"], partners["A2"]
    first = _file(a, paris(2026, 11, 1), tier="advanced")
    before = _counts()
    with pytest.raises(ClaimError) as err:
        _file(a, paris(2026, 10, 15), tier="premier")
    message = str(err.value)
    assert "partner A" in message and "'premier'" in message
    assert (
        "a claim cannot be dated before the pending claim filed at 2026-11-01T00:00:00+01:00"
        in (message)
    )
    assert _counts() == before
    first.refresh_from_db()
    assert first.status == Claim.Status.PENDING
    # the standing is the pending claim's, on every day after it was filed
    s = standing_on(partner=a, track=SP, on=date(2026, 11, 15))
    assert s is not None and (s.tier, s.claim_id) == ("advanced", first.pk)
    assert standing_on(partner=a, track=SP, on=date(2026, 10, 15)) is None

    # the look-alike files in order: the later claim supersedes the earlier one
    _file(a2, paris(2026, 10, 15), tier="advanced")
    later = _file(a2, paris(2026, 11, 1), tier="premier")
    assert Claim.objects.get(partner=a2, status=Claim.Status.PENDING) == later
    s = standing_on(partner=a2, track=SP, on=date(2026, 11, 15))
    assert s is not None and s.tier == "premier"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_claims_leave_exactly_one_pending(
    v1: None, partners: dict[str, Partner]
) -> None:
    from partnerprogram.standings.services import cycles_sync

    cycles_sync(program=PROGRAM, on=date(2026, 10, 1), actor="system:test")
    a = partners["A"]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def file(tier: str) -> None:
        try:
            barrier.wait(timeout=10)
            claim_file(
                partner=a,
                track=SP,
                tier=tier,
                filed_by=tier,
                at=paris(2026, 10, 1, 12),
                program=PROGRAM,
            )
        except BaseException as exc:  # collected and asserted in the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=file, args=(t,)) for t in ("advanced", "premier")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    claims = list(Claim.objects.filter(partner=a).order_by("id"))
    assert len(claims) == 2
    assert [c.status for c in claims] == [Claim.Status.SUPERSEDED, Claim.Status.PENDING]
    assert Claim.objects.filter(partner=a, status=Claim.Status.PENDING).count() == 1
    standing = standing_on(partner=a, track=SP, on=date(2026, 10, 1))
    assert standing is not None and standing.tier == claims[1].tier
