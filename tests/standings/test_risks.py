"""Risk notices before the claim deadline (60/30/7 days; expiring credentials).

Hand-computed on the conftest population, claims filed on 2026-10-01 (deadline 2026-12-31):

- A claims premier: 4 certified people, EUR 600,000 resale -> qualifies today and on the
  deadline: no risk.
- A2 (A's look-alike) claims premier: 4 certified people today, but one credential expires on
  2026-12-31 and does not count on the deadline day -> 3 people < 4 on the deadline:
  credential expiry risk (not a probation risk: it qualifies today).
- D claims advanced with 1 certified person (< 2): probation risk.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail

from partnerprogram.notifications.models import Notification
from partnerprogram.partners.models import Partner
from partnerprogram.standings.services.claims import claim_file
from partnerprogram.standings.services.risks import risks_notify, threshold_reached
from tests.standings.conftest import PROGRAM, paris


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [(61, None), (60, 60), (31, 60), (30, 30), (8, 30), (7, 7), (0, 7), (-1, None)],
)
def test_threshold_reached(days_left: int, expected: int | None) -> None:
    assert threshold_reached(days_left) == expected


@pytest.fixture
def claims(v1: None, partners: dict[str, Partner]) -> dict[str, Partner]:
    for ext, track, tier in [
        ("A", "solution_provider", "premier"),
        ("A2", "solution_provider", "premier"),
        ("D", "consulting", "advanced"),
    ]:
        claim_file(
            partner=partners[ext],
            track=track,
            tier=tier,
            filed_by="user:admin",
            at=paris(2026, 10, 1, 10, 0),
        )
    mail.outbox.clear()
    return partners


def _kinds() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for n in Notification.objects.filter(kind__endswith="_risk").order_by("id"):
        out.setdefault(n.partner.external_id, []).append(
            n.dedupe_key.split(":")[0] + ":" + n.dedupe_key.split(":")[-1]
        )
    return out


@pytest.mark.django_db
def test_sixty_days_before_the_deadline(claims: dict[str, Partner]) -> None:
    report = risks_notify(program=PROGRAM, at=paris(2026, 11, 1, 9, 0))
    assert report.on == date(2026, 11, 1)
    assert [
        (r["partner"], r["claimed"], r["qualifies_for"], r["days_left"], r["threshold"])
        for r in report.probation
    ] == [("D", "advanced", "ready", 60, 60)]
    assert report.probation[0]["missing"] == ["1 more certified person"]
    assert [(r["partner"], r["tier"], r["projected"]) for r in report.credential_expiry] == [
        ("A2", "premier", "advanced")
    ]
    assert report.sent == 2
    assert _kinds() == {
        "D": ["probation_risk:60"],
        "A2": ["credential_expiry_risk:2026-12-31"],
    }
    to = sorted(m.to[0] for m in mail.outbox)
    assert to == ["a2@example.test", "d@example.test"]
    expiry = Notification.objects.get(kind="credential_expiry_risk")
    assert "(2026-12-31)" in expiry.body["en"] and "RH124" in expiry.body["en"]

    # the same day again: nothing new
    assert risks_notify(program=PROGRAM, at=paris(2026, 11, 1, 18, 0)).sent == 0
    # thirty days before: the 30-day probation notice only
    later = risks_notify(program=PROGRAM, at=paris(2026, 12, 1, 9, 0))
    assert later.sent == 1
    assert _kinds()["D"] == ["probation_risk:60", "probation_risk:30"]


@pytest.mark.django_db
def test_no_probation_notice_more_than_sixty_days_before(claims: dict[str, Partner]) -> None:
    report = risks_notify(program=PROGRAM, at=paris(2026, 10, 15, 9, 0))
    assert report.probation == []
    # the credential risk does not depend on the 60/30/7 thresholds
    assert [r["partner"] for r in report.credential_expiry] == ["A2"]


@pytest.mark.django_db
def test_nothing_after_the_deadline(claims: dict[str, Partner]) -> None:
    report = risks_notify(program=PROGRAM, at=paris(2027, 1, 1, 0, 0))
    assert (report.probation, report.credential_expiry, report.sent) == ([], [], 0)
    assert not Notification.objects.filter(kind__endswith="_risk").exists()


@pytest.mark.django_db
def test_cycle_risks_command_json(claims: dict[str, Partner]) -> None:
    import json
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "cycle",
        "risks",
        "--program",
        PROGRAM,
        "--at",
        "2026-11-01T09:00",
        "--format",
        "json",
        stdout=out,
    )
    data = json.loads(out.getvalue())  # the console emails go to stderr, not here
    assert data["on"] == "2026-11-01" and data["sent"] == 2
    assert [r["partner"] for r in data["probation"]] == ["D"]
    assert [r["credentials"] for r in data["credential_expiry"]] == [
        [
            c
            for c in claims["A2"]
            .people.values_list("credentials__credential_id", flat=True)
            .filter(credentials__expires_on=date(2026, 12, 31))
        ]
    ]
