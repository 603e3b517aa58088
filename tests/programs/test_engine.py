"""The engine end to end on a hand-built population, and its query budget."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerprogram.programs.engine import BULK_BATCH, evaluate
from partnerprogram.programs.models import Assessment, EvaluationRun, ProgramVersion
from partnerprogram.programs.services import program_versions_load
from tests.factories import (
    BookingFactory,
    CertificationFactory,
    CloudUsageFactory,
    CredentialFactory,
    PartnerFactory,
    PersonFactory,
    TrackEnrolmentFactory,
)

PROGRAM = """
program: test-prog
name: Test program
currency: EUR
timezone: Europe/Paris
version: "1"
effective_from: 2026-01-01
tiers: [ready, advanced, premier]
tracks:
  solution_provider: {}
  consulting: {}
  ccsp: {effective_from: 2027-01-01}
requirements:
  solution_provider:
    advanced:
      all:
        - {metric: certified_people, at_least: 2}
        - {metric: resale_bookings, window: 12M, at_least: 100000}
    premier:
      all:
        - {metric: certified_people, at_least: 4}
        - {metric: resale_bookings, window: 12M, at_least: 500000}
  consulting:
    advanced:
      score:
        - {metric: influenced_bookings, window: 12M, points_per: 10000, max_points: 50}
        - {metric: certified_people, points_each: 10, max_points: 50}
      at_least: 60
  ccsp:
    advanced: {metric: cloud_usage, window: 12M, at_least: 1000}
grandfathering:
  - keep: premier
    for: {was: premier, tier_on: 2025-12-31}
    while_qualifying_for: advanced
"""

AS_OF = date(2026, 12, 31)


@pytest.fixture
def version(tmp_path: Path) -> ProgramVersion:
    path = tmp_path / "test-prog.yaml"
    path.write_text(PROGRAM, encoding="utf-8")
    program_versions_load(paths=[path])
    return ProgramVersion.objects.get(program__key="test-prog", version="1")


def _partner(ext: str, track: str, previous: str = "") -> object:
    partner = PartnerFactory(external_id=ext, name=f"Partner {ext}", previous_tier=previous)
    TrackEnrolmentFactory(partner=partner, track=track, enrolled_on=date(2024, 1, 1))
    return partner


def _certified(partner: object, count: int) -> None:
    cert = CertificationFactory(code="RH124", family="rhel")
    for _ in range(count):
        CredentialFactory(person=PersonFactory(partner=partner), certification=cert)


@pytest.fixture
def population(db: None) -> dict[str, object]:
    a = _partner("A", "solution_provider")
    _certified(a, 3)
    # a second credential of an already certified person: still 3 people
    CredentialFactory(
        person=a.people.first(), certification=CertificationFactory(code="DO180", family="rhel")
    )
    # a person who left before the evaluation date does not count
    gone = PersonFactory(partner=a, employed_until=date(2026, 6, 1))
    CredentialFactory(person=gone, certification=CertificationFactory(code="RH124"))
    BookingFactory(
        transacting_partner=a,
        channel="indirect",
        amount=Decimal("150000.00"),
        booked_on=date(2026, 3, 1),
    )
    # 13 months before: outside the 12-month window
    BookingFactory(
        transacting_partner=a,
        channel="indirect",
        amount=Decimal("900000.00"),
        booked_on=date(2025, 11, 30),
    )

    b = _partner("B", "solution_provider", previous="premier")
    _certified(b, 2)
    BookingFactory(
        transacting_partner=b,
        channel="indirect",
        amount=Decimal("120000.00"),
        booked_on=date(2026, 12, 31),
    )

    c = _partner("C", "solution_provider", previous="premier")
    _certified(c, 1)
    BookingFactory(
        transacting_partner=c,
        channel="indirect",
        amount=Decimal("800000.00"),
        booked_on=date(2026, 1, 1),
    )

    d = _partner("D", "consulting")
    _certified(d, 2)
    BookingFactory(
        influencing_partner=d,
        transacting_partner=None,
        channel="direct",
        amount=Decimal("400000.00"),
        booked_on=date(2026, 6, 30),
    )

    e = _partner("E", "ccsp")
    CloudUsageFactory(partner=e, month=date(2026, 11, 1), amount=Decimal("5000.00"))
    return {"A": a, "B": b, "C": c, "D": d, "E": e}


@pytest.mark.django_db
def test_hand_built_population(version: ProgramVersion, population: dict[str, object]) -> None:
    result = evaluate(version=version, as_of=AS_OF)
    tiers = {row.external_id: (r.qualified_tier, r.tier) for row, r in result.results}
    # A: 3 people >= 2, 150,000 >= 100,000 -> advanced; premier needs 4 and 500,000
    assert tiers["A"] == ("advanced", "advanced")
    # B: qualifies advanced and was premier -> grandfathered premier
    assert tiers["B"] == ("advanced", "premier")
    # C: was premier but 1 certified person: ready (offered, no requirement), no grandfathering
    assert tiers["C"] == ("ready", "ready")
    # D: 400,000 / 10,000 = 40 points + 2 x 10 = 20 points -> 60 >= 60
    assert tiers["D"] == ("advanced", "advanced")
    # E: the CCSP track opens on 2027-01-01
    assert tiers["E"] == (None, None)
    assert result.summary["by_tier"] == {"ready": 1, "advanced": 2, "premier": 1}
    assert result.summary["unassessed"] == 1
    assert result.summary["grandfathered"] == 1

    a = next(r for row, r in result.results if row.external_id == "A")
    assert a.next_tier is not None and a.next_tier.to_tier == "premier"
    missing = {s.metric: s.missing for s in a.next_tier.shortfalls}
    assert missing == {
        "certified_people": Decimal(1),
        "resale_bookings@12M": Decimal("350000"),
    }

    run = EvaluationRun.objects.get()
    assert run.partner_count == 5 and run.finished_at is not None
    stored = dict(Assessment.objects.values_list("partner__external_id", "tier"))
    assert stored == {"A": "advanced", "B": "premier", "C": "ready", "D": "advanced", "E": ""}


@pytest.mark.django_db
def test_ccsp_track_counts_once_open(
    version: ProgramVersion, population: dict[str, object]
) -> None:
    result = evaluate(version=version, as_of=date(2027, 1, 31), store=False)
    e = next(r for row, r in result.results if row.external_id == "E")
    # 5,000 of cloud usage in (2026-01-31, 2027-01-31] >= 1,000
    assert e.tier == "advanced"
    assert EvaluationRun.objects.count() == 0


def _grow(n: int) -> None:
    cert = CertificationFactory(code="RH124", family="rhel")
    for i in range(n):
        partner = PartnerFactory(external_id=f"Q{i:04d}")
        TrackEnrolmentFactory(partner=partner, track="solution_provider")
        TrackEnrolmentFactory(partner=partner, track="consulting")
        CredentialFactory(person=PersonFactory(partner=partner), certification=cert)
        BookingFactory(
            transacting_partner=partner,
            channel="indirect",
            booked_on=date(2026, 5, 1),
            amount=Decimal(1000 * i),
        )


def _queries(version: ProgramVersion) -> list[str]:
    version = ProgramVersion.objects.select_related("program").get(pk=version.pk)
    with CaptureQueriesContext(connection) as ctx:
        evaluate(version=version, as_of=AS_OF)
    return [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]


@pytest.mark.django_db
def test_query_count_does_not_grow_with_partners(version: ProgramVersion) -> None:
    _grow(10)
    small = _queries(version)
    _grow_more = 190
    cert = CertificationFactory(code="RH124")
    for i in range(10, 10 + _grow_more):
        partner = PartnerFactory(external_id=f"Q{i:04d}")
        TrackEnrolmentFactory(partner=partner, track="solution_provider")
        CredentialFactory(person=PersonFactory(partner=partner), certification=cert)
    large = _queries(version)
    assert Assessment.objects.filter(run__partner_count=200).count() == 200

    def reads(sqls: list[str]) -> list[str]:
        return [q for q in sqls if q.startswith("SELECT")]

    # enrolments + partners, exchange rates, 4 distinct metric references
    # (certified_people, resale_bookings@12M, influenced_bookings@12M, cloud_usage@12M):
    # 7 reads for 10 partners and for 200.
    assert len(reads(small)) == len(reads(large)) == 7
    # writes: the run, its assessments in bulk, the run's end time. A bulk insert carries as
    # many rows as the database accepts in one statement (SQLite: 999 parameters).
    per_statement = min(BULK_BATCH, connection.ops.bulk_batch_size(ASSESSMENT_FIELDS, [1] * 200))
    expected_inserts = 1 + -(-200 // per_statement)
    assert len([q for q in large if q.startswith("INSERT")]) == expected_inserts
    assert len(large) == 7 + expected_inserts + 1


ASSESSMENT_FIELDS = [f for f in Assessment._meta.concrete_fields if not f.primary_key]


@pytest.mark.django_db
def test_evaluate_command_json(version: ProgramVersion, population: dict[str, object]) -> None:
    out = StringIO()
    call_command(
        "evaluate",
        "--program",
        "test-prog",
        "--version",
        "1",
        "--as-of",
        "2026-12-31",
        "--format",
        "json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert (data["program"], data["version"], data["as_of"]) == ("test-prog", "1", "2026-12-31")
    assert data["summary"]["by_tier"] == {"ready": 1, "advanced": 2, "premier": 1}
    a = next(p for p in data["partners"] if p["external_id"] == "A")
    assert a["tier"] == "advanced" and a["tracks"] == ["solution_provider"]
    assert a["previous_tier"] is None
    rows = {(r["tier"], r["metric"]): r for r in a["requirements"]}
    assert rows[("advanced", "certified_people")] == {
        "track": "solution_provider",
        "tier": "advanced",
        "path": "all[0]",
        "metric": "certified_people",
        "value": 3,
        "threshold": 2,
        "comparator": "at_least",
        "met": True,
    }
    assert rows[("premier", "resale_bookings@12M")]["met"] is False
    assert a["next_tier"]["tier"] == "premier"
    assert sorted(m["missing"] for m in a["next_tier"]["missing"]) == [1, 350000]


@pytest.mark.django_db
def test_evaluate_unknown_version_exit_2(version: ProgramVersion) -> None:
    with pytest.raises(CommandError) as err:
        call_command(
            "evaluate", "--program", "test-prog", "--version", "9", "--as-of", "2026-12-31"
        )
    assert err.value.returncode == 2
    assert "loaded versions: 1" in str(err.value)


@pytest.mark.django_db
def test_evaluate_bad_date_exit_2(version: ProgramVersion) -> None:
    with pytest.raises(CommandError) as err:
        call_command("evaluate", "--program", "test-prog", "--as-of", "31/12/2026")
    assert err.value.returncode == 2 and "--as-of" in str(err.value)


@pytest.mark.django_db
def test_stored_assessment_is_compact_and_explains_like_the_run(
    version: ProgramVersion, population: dict[str, object]
) -> None:
    from partnerprogram.programs.selectors import assessment_explain

    result = evaluate(version=version, as_of=AS_OF)
    in_memory = {row.external_id: r for row, r in result.results}
    stored = Assessment.objects.select_related("partner", "run__program_version__program")
    for assessment in stored:
        explained = assessment_explain(assessment)
        assert explained.to_dict() == in_memory[assessment.partner.external_id].to_dict()
    a = stored.get(partner__external_id="A").detail
    assert a == {
        "values": {
            "certified_people": "3",
            "cloud_usage@12M": "0",
            "influenced_bookings@12M": "0",
            "resale_bookings@12M": "150000.00",
        },
        "tracks": {"solution_provider": {"active": True, "tier": "advanced"}},
        "qualified_track": "solution_provider",
        "grandfathering_rule": None,
        "next_tier": {
            "tier": "premier",
            "track": "solution_provider",
            "missing": [
                {"metric": "certified_people", "missing": "1"},
                {"metric": "resale_bookings@12M", "missing": "350000.00"},
            ],
        },
    }


@pytest.mark.django_db
def test_unwritable_output_is_refused_before_anything_is_stored(
    version: ProgramVersion, population: dict[str, object], tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "out.json"
    with pytest.raises(CommandError) as err:
        call_command(
            "evaluate",
            "--program",
            "test-prog",
            "--as-of",
            "2026-12-31",
            "--format",
            "json",
            "--output",
            str(target),
        )
    assert err.value.returncode == 2
    assert f"folder {target.parent} does not exist" in str(err.value)
    assert EvaluationRun.objects.count() == 0 and Assessment.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31"])
def test_out_of_range_dates_are_refused(version: ProgramVersion, as_of: str) -> None:
    with pytest.raises(CommandError) as err:
        call_command("evaluate", "--program", "test-prog", "--as-of", as_of)
    assert err.value.returncode == 2 and "out of range" in str(err.value)
