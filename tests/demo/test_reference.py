"""The reference data set reproduces the founding case's figures (docs/reference-case.md;
checked with independent ORM queries, not with the generator's own summary) and is
deterministic.

The population is generated once for the module (about 5 s) inside a transaction that is rolled
back at the end; every test runs in a savepoint inside it.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum

from partnerprogram.core.models import ExchangeRate
from partnerprogram.demo.reference import (
    ReferenceDataInUse,
    ReferenceSummary,
    build_reference,
    luhn_valid,
    siren_check_digit,
    vat_number,
)
from partnerprogram.demo.story import lifecycle_compute
from partnerprogram.enablement.models import Credential
from partnerprogram.partners.models import Attestation, Partner, Person, TrackEnrolment
from partnerprogram.programs.engine import Evaluation, evaluate
from partnerprogram.programs.models import Assessment, EvaluationRun, ProgramVersion
from partnerprogram.programs.services import program_versions_load
from partnerprogram.sales.models import (
    Booking,
    CloudUsage,
    Customer,
    DealRegistration,
    PartnerInvolvement,
)

D = date(2026, 12, 31)
PROGRAMS = Path(__file__).resolve().parents[2] / "programs" / "pex-fr"
TIER_RANK = {None: -1, "ready": 0, "advanced": 1, "premier": 2}
YEAR_2026 = (date(2026, 1, 1), date(2026, 12, 31))
YEAR_2025 = (date(2025, 1, 1), date(2025, 12, 31))


@pytest.fixture(scope="module")
def reference(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest
) -> Iterator[ReferenceSummary]:
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        summary = build_reference(region="fr", seed=2026)
        yield summary
        transaction.set_rollback(True)


# ------------------------------------------------------------------------- independent helpers


def _rate_on(currency: str, day: date) -> Decimal:
    if currency == "EUR":
        return Decimal(1)
    rate = (
        ExchangeRate.objects.filter(currency=currency, base="EUR", valid_from__lte=day)
        .order_by("-valid_from")
        .values_list("rate", flat=True)
        .first()
    )
    assert rate is not None, f"no {currency} rate on {day}"
    return rate


def _eur(rows: object) -> Decimal:
    """Sum of ``{currency, total}`` rows converted at the rates in force on D."""
    return sum(
        (row["total"] * _rate_on(row["currency"], D) for row in rows),  # type: ignore
        Decimal(0),
    )


def _bookings_eur(**filters: object) -> Decimal:
    rows = Booking.objects.filter(**filters).values("currency").annotate(total=Sum("amount"))
    return _eur(rows)


def _usage_eur(bounds: tuple[date, date]) -> Decimal:
    rows = (
        CloudUsage.objects.filter(month__range=bounds)
        .values("currency")
        .annotate(total=Sum("amount"))
    )
    return _eur(rows)


def _certified_people() -> dict[int, int]:
    """Distinct people employed on D holding a credential valid on D, per partner."""
    valid = Credential.objects.filter(person=OuterRef("pk"), earned_on__lte=D).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gt=D)
    )
    rows = (
        Person.objects.filter(employed_from__lte=D)
        .filter(Q(employed_until__isnull=True) | Q(employed_until__gt=D))
        .filter(Exists(valid))
        .values("partner_id")
        .annotate(n=Count("id"))
    )
    return {row["partner_id"]: row["n"] for row in rows}


def _by_previous_tier() -> dict[str, list[int]]:
    tiers: dict[str, list[int]] = defaultdict(list)
    for pk, tier in Partner.objects.values_list("pk", "previous_tier"):
        tiers[tier].append(pk)
    return tiers


def _db_digest() -> str:
    """Partner names and tiers with their booking sums, by external id (no primary keys)."""
    h = hashlib.sha256()
    for ext, name, tier in Partner.objects.order_by("external_id").values_list(
        "external_id", "name", "previous_tier"
    ):
        h.update(f"{ext}|{name}|{tier}\n".encode())
    sums = (
        Booking.objects.values("transacting_partner__external_id", "currency")
        .annotate(total=Sum("amount"), n=Count("id"))
        .order_by("transacting_partner__external_id", "currency")
    )
    for row in sums:
        h.update(f"{row}\n".encode())
    for model, field in (
        (Person, "email"),
        (DealRegistration, "status"),
        (CloudUsage, "amount"),
        (Credential, "earned_on"),
    ):
        h.update(str(sorted(model.objects.values_list(field, flat=True))).encode())
    return h.hexdigest()


# ------------------------------------------------------------------------------ figures


@pytest.mark.django_db
def test_470_partners_with_the_previous_tiers(reference: ReferenceSummary) -> None:
    assert Partner.objects.count() == 470
    tiers = {t: len(pks) for t, pks in _by_previous_tier().items()}
    assert tiers["premier"] == 19
    assert tiers["advanced"] == 27
    ccsp = TrackEnrolment.objects.filter(track="ccsp").values("partner_id")
    assert tiers[""] == ccsp.count()  # CCSPs had no tier
    assert tiers["ready"] == 470 - 19 - 27 - ccsp.count()
    # Every partner is enrolled in exactly one track.
    assert TrackEnrolment.objects.values("partner_id").distinct().count() == 470
    assert TrackEnrolment.objects.count() == 470


@pytest.mark.django_db
def test_about_50_ccsp_join_on_1_january(reference: ReferenceSummary) -> None:
    ccsp = TrackEnrolment.objects.filter(track="ccsp")
    assert 45 <= ccsp.count() <= 55
    assert set(ccsp.values_list("enrolled_on", flat=True)) == {date(2027, 1, 1)}
    assert not Partner.objects.filter(enrolments__track="ccsp").exclude(previous_tier="").exists()
    # Usage from 2024-01 to 2027-03 (the CCSP cycle's deadline), only from CCSPs; the first
    # quarter of 2027 is the same months of 2026 plus 30 %.
    months = CloudUsage.objects.values_list("month", flat=True)
    assert min(months) == date(2024, 1, 1)
    assert max(months) == date(2027, 3, 1)
    q1 = {year: _usage_eur((date(year, 1, 1), date(year, 3, 31))) for year in (2026, 2027)}
    assert (
        abs(q1[2027] - q1[2026] * Decimal("1.3"))
        <= Decimal("0.01") * CloudUsage.objects.filter(month__year=2027).count()
    )
    assert not CloudUsage.objects.exclude(partner__enrolments__track="ccsp").exists()


@pytest.mark.django_db
def test_about_half_the_partners_are_active(reference: ReferenceSummary) -> None:
    in_2026 = {"booked_on__range": YEAR_2026}
    active = Partner.objects.filter(
        Exists(Booking.objects.filter(transacting_partner=OuterRef("pk"), **in_2026))
        | Exists(Booking.objects.filter(influencing_partner=OuterRef("pk"), **in_2026))
        | Exists(
            DealRegistration.objects.filter(partner=OuterRef("pk"), registered_on__range=YEAR_2026)
        )
        | Exists(CloudUsage.objects.filter(partner=OuterRef("pk"), month__range=YEAR_2026))
    )
    assert 220 <= active.count() <= 250
    assert active.count() == reference.active
    # Every partner with a previous Premier or Advanced tier is active.
    assert active.filter(previous_tier__in=["premier", "advanced"]).count() == 46


@pytest.mark.django_db
def test_indirect_is_65_percent_of_2026_bookings(reference: ReferenceSummary) -> None:
    indirect = _bookings_eur(booked_on__range=YEAR_2026, channel="indirect")
    direct = _bookings_eur(booked_on__range=YEAR_2026, channel="direct")
    share = indirect / (indirect + direct)
    assert Decimal("0.64") <= share <= Decimal("0.66")
    # Indirect iff a partner transacted it (the model's constraint, checked on the data).
    assert not Booking.objects.filter(channel="indirect", transacting_partner__isnull=True).exists()


@pytest.mark.django_db
def test_ccsp_usage_is_17_percent_of_partner_bookings_and_grows_30_percent(
    reference: ReferenceSummary,
) -> None:
    indirect = _bookings_eur(booked_on__range=YEAR_2026, channel="indirect")
    usage_2026 = _usage_eur(YEAR_2026)
    usage_2025 = _usage_eur(YEAR_2025)
    assert Decimal("0.16") <= usage_2026 / indirect <= Decimal("0.18")
    assert Decimal("0.27") <= usage_2026 / usage_2025 - 1 <= Decimal("0.33")


@pytest.mark.django_db
def test_certified_people_follow_the_previous_tiers(reference: ReferenceSummary) -> None:
    certified = _certified_people()
    tiers = _by_previous_tier()
    premier = sorted(certified.get(pk, 0) for pk in tiers["premier"])
    advanced = sorted(certified.get(pk, 0) for pk in tiers["advanced"])
    ready = [certified.get(pk, 0) for pk in tiers["ready"]]
    assert max(premier) <= 26
    assert premier[len(premier) // 2] >= 10  # median Premier: 10 or more
    assert sum(1 for n in premier if n < 8) >= 4  # some Premier short on certifications
    assert sum(1 for n in advanced if 4 <= n <= 11) >= 20
    assert sum(1 for n in ready if n <= 4) >= 0.85 * len(ready)


@pytest.mark.django_db
def test_some_consultancies_have_large_influence_and_little_resale(
    reference: ReferenceSummary,
) -> None:
    consultancies = Partner.objects.filter(enrolments__track="consulting")
    big = 0
    for partner in consultancies:
        influenced = _bookings_eur(influencing_partner=partner, booked_on__range=YEAR_2026)
        resold = _bookings_eur(transacting_partner=partner, booked_on__range=YEAR_2026)
        if influenced >= Decimal(1_000_000) and resold <= influenced / 10:
            big += 1
    assert big >= 8
    validated = PartnerInvolvement.objects.filter(role="influenced", partner__in=consultancies)
    assert validated.filter(validated=True).count() > 100
    assert validated.filter(validated=False).exists()  # claims awaiting validation


@pytest.mark.django_db
def test_identifiers_are_french_and_valid(reference: ReferenceSummary) -> None:
    rows = list(Partner.objects.values_list("name", "siren", "vat_number", "country", "city"))
    assert len({r[0] for r in rows}) == 470  # unique names
    assert len({r[1] for r in rows}) == 470  # unique SIREN
    for _name, siren, vat, country, city in rows:
        assert len(siren) == 9 and siren.isdigit() and luhn_valid(siren)
        assert vat == f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
        assert country == "FR" and city


def test_siren_and_vat_helpers() -> None:
    # 732 829 320 is a valid Luhn SIREN (check digit 0); its VAT key is 44.
    assert siren_check_digit("73282932") == 0
    assert luhn_valid("732829320")
    assert not luhn_valid("732829321")
    assert vat_number("732829320") == "FR44732829320"


@pytest.mark.django_db
def test_facts_cover_the_cases_the_engine_must_handle(reference: ReferenceSummary) -> None:
    statuses = set(
        DealRegistration.objects.filter(registered_on__gte=date(2025, 1, 1)).values_list(
            "status", flat=True
        )
    )
    assert statuses == {"submitted", "approved", "rejected", "expired", "won", "lost"}
    assert not DealRegistration.objects.filter(registered_on__lt=date(2025, 1, 1)).exists()
    assert set(Customer.objects.values_list("segment", flat=True)) == {
        "enterprise",
        "smb",
        "public",
    }
    assert set(Booking.objects.values_list("product_line", flat=True)) == {
        "rhel",
        "openshift",
        "ansible",
        "middleware",
        "cloud-services",
    }
    assert set(Booking.objects.values_list("motion", flat=True)) == {
        "new",
        "upsell",
        "renewal",
        "downsell",
        "churn",
    }
    terms = Booking.objects.filter(term_start__isnull=False, term_end__isnull=False).values_list(
        "term_start", "term_end"
    )[:500]
    assert {round((end - start).days / 30.4) for start, end in terms if start and end} == {12, 36}
    assert Booking.objects.filter(currency="USD").exists()
    assert Booking.objects.filter(currency="GBP").exists()
    assert min(Booking.objects.values_list("booked_on", flat=True)) >= date(2024, 1, 1)
    assert max(Booking.objects.values_list("booked_on", flat=True)) <= D
    # Sourced involvements on won registrations.
    assert PartnerInvolvement.objects.filter(
        role="sourced", validated=True, opportunity__bookings__isnull=False
    ).exists()
    # Credentials expiring around the deadline, on both sides of it.
    assert Credential.objects.filter(expires_on__range=(date(2026, 11, 15), D)).exists()
    assert Credential.objects.filter(
        expires_on__range=(date(2027, 1, 1), date(2027, 1, 31))
    ).exists()
    assert {c.certification.validity_months for c in Credential.objects.all()[:50]} == {36}
    # People who left, and humans employed by two partners at once.
    assert Person.objects.filter(employed_until__lte=D).count() >= 50
    twins = (
        Person.objects.values("email").annotate(n=Count("partner", distinct=True)).filter(n__gte=2)
    )
    assert twins.count() >= 5
    assert (
        Attestation.objects.filter(
            kind="business_plan", attested_on__lte=D, valid_until__gt=D
        ).count()
        >= 40
    )


@pytest.mark.django_db
def test_facts_are_recorded_on_their_own_dates(reference: ReferenceSummary) -> None:
    booking = Booking.objects.order_by("external_id").first()
    assert booking is not None
    assert booking.recorded_at.date() == booking.booked_on


# ------------------------------------------------------------------------------ the story


@pytest.fixture(scope="module")
def story(
    reference: ReferenceSummary, django_db_blocker: pytest.FixtureRequest
) -> dict[str, Evaluation]:
    """Both program versions loaded and evaluated (not stored) as of the claim deadline."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        program_versions_load(paths=sorted(PROGRAMS.glob("2026.*.yaml")))
        return {
            version: evaluate(
                version=ProgramVersion.objects.get(program__key="pex-fr", version=version),
                as_of=D,
                store=False,
            )
            for version in ("2026.1", "2026.2")
        }


def _previous_premier(evaluation: Evaluation) -> list[tuple[str | None, str | None, bool]]:
    return [
        (result.tier, result.qualified_tier, result.grandfathered)
        for row, result in evaluation.results
        if row.previous_tier == "premier"
    ]


@pytest.mark.django_db
def test_first_criteria_demote_a_visible_part_of_the_premier(story: dict[str, Evaluation]) -> None:
    premier = _previous_premier(story["2026.1"])
    assert len(premier) == 19
    fallen = [tier for tier, _q, _g in premier if tier != "premier"]
    assert 4 <= len(fallen) <= 8
    assert not any(g for _t, _q, g in premier)  # 2026.1 has no grandfathering
    # Consultancies are recognised: some reach the top two tiers on influence alone.
    consulting = story["2026.1"].summary["by_track"]["consulting"]
    assert consulting["advanced"] + consulting["premier"] >= 5


@pytest.mark.django_db
def test_relaxed_criteria_keep_the_premier_that_qualify_advanced(
    story: dict[str, Evaluation],
) -> None:
    premier = _previous_premier(story["2026.2"])
    for tier, qualified, grandfathered in premier:
        if TIER_RANK[qualified] >= TIER_RANK["advanced"]:
            assert tier == "premier"
            assert grandfathered == (qualified != "premier")
        else:  # not qualifying Advanced: no protection
            assert tier == qualified and not grandfathered
    held = sum(1 for tier, _q, _g in premier if tier == "premier")
    assert held >= 15
    assert any(g for _t, _q, g in premier)  # grandfathering did some of the work
    by_tier = story["2026.2"].summary["by_tier"]
    assert by_tier["premier"] + by_tier["advanced"] >= 46  # more partners in the top two tiers
    first = story["2026.1"].summary["by_tier"]
    assert by_tier["premier"] + by_tier["advanced"] > first["premier"] + first["advanced"]


@pytest.mark.django_db
def test_ccsp_are_not_assessed_before_1_january(story: dict[str, Evaluation]) -> None:
    ccsp_ids = set(TrackEnrolment.objects.filter(track="ccsp").values_list("partner_id", flat=True))
    for evaluation in story.values():
        assert evaluation.summary["unassessed"] >= len(ccsp_ids)
        assert not any(result.tier for row, result in evaluation.results if row.id in ccsp_ids)
    on_1_january = evaluate(
        version=ProgramVersion.objects.get(program__key="pex-fr", version="2026.2"),
        as_of=date(2027, 1, 1),
        store=False,
    )
    assessed = [result.tier for row, result in on_1_january.results if row.id in ccsp_ids]
    assert len(assessed) == len(ccsp_ids)
    assert all(tier is not None for tier in assessed)


# ------------------------------------------------------------------------------ determinism


@pytest.mark.django_db
def test_same_seed_same_data_other_seed_other_data(reference: ReferenceSummary) -> None:
    first = _db_digest()
    out = StringIO()
    call_command("seed-reference", region="fr", seed=2026, output_format="json", stdout=out)
    again = json.loads(out.getvalue())
    assert again["digest"] == reference.digest
    assert again["deleted"] > 0  # wipe-and-rebuild, not appended
    assert Partner.objects.count() == 470
    assert _db_digest() == first
    other = build_reference(region="fr", seed=7)
    assert other.digest != reference.digest
    assert _db_digest() != first
    assert Partner.objects.count() == 470


@pytest.mark.django_db
def test_unknown_region_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown region"):
        build_reference(region="de")


@pytest.mark.django_db
def test_rebuild_is_refused_while_assessments_point_at_reference_partners(
    story: dict[str, Evaluation],
) -> None:
    version = ProgramVersion.objects.get(program__key="pex-fr", version="2026.2")
    run = EvaluationRun.objects.create(program_version=version, as_of=D)
    partner = Partner.objects.order_by("external_id").first()
    assert partner is not None
    Assessment.objects.create(run=run, partner=partner, tier="ready")
    before = _db_digest()
    with pytest.raises(ReferenceDataInUse, match="Assessment"):
        build_reference(region="fr", seed=2026)
    assert _db_digest() == before  # nothing changed


@pytest.mark.django_db
def test_lifecycle_story(story: dict[str, Evaluation]) -> None:
    """Issue 3's reference story: baseline, claims, probation, settlement at the deadline,
    freeze, CCSP opening (``demo.story.lifecycle_compute``, as printed by ``make demo``)."""
    life = lifecycle_compute(program="pex-fr")
    # the 421 non-CCSP partners start from their previous tier
    assert life.baseline == {"premier": 19, "advanced": 27, "ready": 375}
    claims = sum(life.claims.values())
    assert claims >= 46  # every previous Premier and Advanced claims at least its tier
    assert life.before["by_status"] == {"provisional": claims, "qualified": 421 - claims}
    # after the settlement the standings are those of 2026.2 on the deadline
    relaxed = story["2026.2"].summary
    assert {tier: life.after["by_tier"][tier] for tier in relaxed["by_tier"]} == relaxed["by_tier"]
    assert life.after["by_status"]["grandfathered"] == relaxed["grandfathered"] == 4
    assert set(life.after["by_status"]) <= {"frozen", "grandfathered", "lapsed"}
    assert life.settlement["confirmed"] + life.settlement.get("lowered", 0) == claims
    assert life.frozen_through == "2027-12-31"
    # CCSP: refused before 1 January, then in with its own cycle
    assert "opens on 2027-01-01" in life.ccsp_refused
    assert life.ccsp_claims > 0
    assert sum(life.ccsp_after["by_tier"].values()) == 470
    # the freeze holds: a re-evaluation on 2027-06-30 writes nothing
    assert life.refresh_changes == 0
