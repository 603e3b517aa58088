"""Published partner programs (``programs/examples/``) evaluated end to end by the engine.

Each example is loaded with ``program_versions_load`` like any program, evaluated with
``engine.evaluate`` against hand-built partners (always with a look-alike that differs in one
fact), and every expected tier is computed by hand in the comments. The sources, grades and
simplifications of each example are in ``programs/examples/README.md``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from partnerprogram.partners.models import Partner
from partnerprogram.programs.engine import Evaluation, evaluate
from partnerprogram.programs.models import ProgramVersion
from partnerprogram.programs.rules import Assessment, ScoreResult
from partnerprogram.programs.schema import ProgramError, load_program, load_program_text
from partnerprogram.programs.services import program_versions_load
from tests.factories import (
    AttestationFactory,
    BookingFactory,
    CertificationFactory,
    CloudUsageFactory,
    CredentialFactory,
    CustomerFactory,
    DealRegistrationFactory,
    PartnerFactory,
    PersonFactory,
    TrackEnrolmentFactory,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "programs" / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


def load_examples(*names: str) -> dict[str, ProgramVersion]:
    """Load ``programs/examples/<name>.yaml`` files; ``{name: stored version}``."""
    loaded = program_versions_load(paths=[EXAMPLES / f"{name}.yaml" for name in names])
    return {
        Path(item.path).stem: ProgramVersion.objects.select_related("program").get(
            program__key=item.program, version=item.version
        )
        for item in loaded
    }


def enrolled(ext: str, *tracks: str, **fields: Any) -> Partner:
    partner = PartnerFactory(external_id=ext, name=f"Partner {ext}", **fields)
    for track in tracks:
        TrackEnrolmentFactory(partner=partner, track=track, enrolled_on=date(2019, 1, 1))
    return partner


def by_ext(evaluation: Evaluation) -> dict[str, Assessment]:
    return {row.external_id: result for row, result in evaluation.results}


def tiers(evaluation: Evaluation) -> dict[str, str | None]:
    return {ext: result.tier for ext, result in by_ext(evaluation).items()}


# --------------------------------------------------------------------------- all examples


def test_every_example_is_documented_and_loads() -> None:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    assert {p.name for p in EXAMPLE_FILES} >= {
        "odoo-v9a.yaml",
        "odoo-v11.yaml",
        "aws-services-path.yaml",
        "microsoft-business-applications.yaml",
    }
    for path in EXAMPLE_FILES:
        program = load_program(path)
        assert path.name in readme, f"{path.name} is not described in README.md"
        assert program.sha256() == load_program(path).sha256()


@pytest.mark.django_db
def test_examples_load_into_stored_versions_once() -> None:
    first = program_versions_load(paths=EXAMPLE_FILES)
    assert {r.status for r in first} == {"created"}
    again = program_versions_load(paths=EXAMPLE_FILES)
    assert {r.status for r in again} == {"unchanged"}
    assert sorted(ProgramVersion.objects.values_list("program__key", "version")) == sorted(
        (r.program, r.version) for r in first
    )


# --------------------------------------------------------------------------- Odoo v9a / v11

ODOO_AS_OF = date(2023, 6, 30)
# 12M as of 2023-06-30: [2022-07-01, 2023-06-30]; 36M: [2020-07-01, 2023-06-30].
TERM = (date(2022, 9, 1), date(2023, 9, 1))  # a yearly subscription covering the as-of date


def odoo_partner(ext: str, *, churned_users: int = 15, certified: int = 3) -> Partner:
    """An Odoo partner with five Enterprise customers C1..C5 sold in the last 12 months.

    Net new Enterprise users (12M) = new 50 + 40 + 25 + 20 + 20 + upsell 15 - downsell 5
    - churn ``churned_users`` (renewal of 50 users: 0; a hosting booking of 40: other product
    line) = 150 with the default churn of 15.
    Retention: C1..C4 have a term covering the as-of date, C5's ended on 2023-02-01:
    v9a (active in the 12M window) 4 / 5 = 0.80; v11 (acquired in 36M, all five) 4 / 5 = 0.80.
    Certified employees: ``certified`` people with an Odoo 16 credential, plus one person whose
    Odoo 12 credential expired when that version left the three supported ones (not counted).
    """
    partner = enrolled(ext, "partner")
    odoo16 = CertificationFactory(code="ODOO-16", family="odoo", level="functional")
    odoo12 = CertificationFactory(code="ODOO-12", family="odoo", level="functional")
    for _ in range(certified):
        CredentialFactory(
            person=PersonFactory(partner=partner), certification=odoo16, earned_on=date(2022, 11, 2)
        )
    CredentialFactory(
        person=PersonFactory(partner=partner),
        certification=odoo12,
        earned_on=date(2019, 1, 10),
        expires_on=date(2022, 10, 12),
    )
    c1, c2, c3, c4, c5 = (CustomerFactory() for _ in range(5))

    def sold(customer: Any, motion: str, users: int, on: date, **extra: Any) -> None:
        BookingFactory(
            transacting_partner=partner,
            customer=customer,
            product_line=extra.pop("product_line", "enterprise"),
            motion=motion,
            quantity=Decimal(users),
            booked_on=on,
            amount=Decimal(users * 300),
            **extra,
        )

    start, end = TERM
    sold(c1, "new", 50, start, term_start=start, term_end=end)
    sold(c2, "new", 40, start, term_start=start, term_end=end)
    sold(c3, "new", 25, start, term_start=start, term_end=end)
    sold(c4, "new", 20, start, term_start=start, term_end=end)
    sold(c4, "upsell", 15, date(2023, 2, 1), term_start=date(2023, 2, 1), term_end=end)
    sold(c5, "new", 20, date(2022, 8, 1), term_start=date(2022, 8, 1), term_end=date(2023, 2, 1))
    sold(c5, "churn", churned_users, date(2023, 2, 1))
    sold(c2, "downsell", 5, date(2023, 3, 1))
    sold(c1, "renewal", 50, date(2023, 6, 1))  # renewals count 0
    sold(c1, "new", 40, date(2023, 1, 1), product_line="hosting")  # not Enterprise users
    return partner


@pytest.mark.django_db
def test_odoo_gold_under_v9a_falls_to_silver_under_v11() -> None:
    versions = load_examples("odoo-v9a", "odoo-v11")
    gold = odoo_partner("G")
    odoo_partner("L", churned_users=16)  # look-alike: one user fewer (149)
    odoo_partner("R", certified=2)  # look-alike: two certified employees

    v9a = evaluate(version=versions["odoo-v9a"], as_of=ODOO_AS_OF, store=False)
    v11 = evaluate(version=versions["odoo-v11"], as_of=ODOO_AS_OF, store=False)

    users = "net_new_users[product_line=enterprise]@12M"
    assert v9a.values[users][gold.pk] == Decimal(150)
    assert v9a.values["certified_people[family=odoo]"][gold.pk] == Decimal(3)
    assert v9a.values["customer_retention[basis=active_in_window,product_line=enterprise]@12M"][
        gold.pk
    ] == Decimal("0.8")
    assert v11.values["customer_retention[basis=acquired_in_window,product_line=enterprise]@36M"][
        gold.pk
    ] == Decimal("0.8")

    # v9a: G 150 >= 150 users, 3 >= 3 certified, 80 % >= 80 % -> Gold.
    #      L 149 < 150 -> not Gold; 149 >= 50, 3 >= 2, 80 % >= 70 % -> Silver.
    #      R 2 < 3 certified -> not Gold; 150 >= 50, 2 >= 2, 80 % >= 70 % -> Silver.
    assert tiers(v9a) == {"G": "gold", "L": "silver", "R": "silver"}
    # v11: G 150 < 300 users and 3 < 6 certified -> not Gold; 150 >= 75, 3 >= 3, 80 % >= 70 %
    #      -> Silver (the published "falls to Silver or lower": exactly Silver).
    #      L 149 >= 75, 3 >= 3, 80 % -> Silver.
    #      R 2 < 3 certified -> not Silver; 150 >= 10, 2 >= 1 -> Ready.
    assert tiers(v11) == {"G": "silver", "L": "silver", "R": "ready"}

    gap = by_ext(v11)["G"].next_tier
    assert gap is not None and gap.to_tier == "gold"
    # Gold under v11: 300 - 150 = 150 more users, 6 - 3 = 3 more certified people; retention met.
    assert {s.metric: s.missing for s in gap.shortfalls} == {
        users: Decimal(150),
        "certified_people[family=odoo]": Decimal(3),
    }
    assert "150 more net new users" in gap.summary.en


# --------------------------------------------------------------------------- AWS Services Path

AWS_AS_OF = date(2023, 12, 31)  # 12M: [2023-01-01, 2023-12-31]


def aws_partner(ext: str, *, business_plan_on: date) -> Partner:
    """Ten people, some counted under several knowledge requirements:

    - B1..B4: business accreditation + foundational (Cloud Practitioner);
    - T1: technical accreditation + foundational + professional + specialty (counts once in
      "technical certified" and once in "professional or specialty");
    - T2: technical accreditation + professional; T3: technical accreditation + specialty;
      T4: technical accreditation + associate; A1, A2: associate.

    accredited 8 (4 business + 4 technical), foundational 5, technical certified 6 (T1..T4,
    A1, A2), of which professional or specialty 3 (T1..T3).
    20 launched (won) registrations of USD 500 in the window = USD 10,000; registrations that
    are approved but not won, or won before the window, do not count.
    """
    partner = enrolled(ext, "services")

    def cert(code: str, level: str) -> Any:
        return CertificationFactory(code=code, family="aws", level=level)

    biz = cert("AWS-BIZ-ACC", "business_accreditation")
    tech = cert("AWS-TECH-ACC", "technical_accreditation")
    ccp = cert("AWS-CCP", "foundational")
    saa = cert("AWS-SAA", "associate")
    sap = cert("AWS-SAP", "professional")
    sec = cert("AWS-SCS", "specialty")
    holdings = [
        [biz, ccp], [biz, ccp], [biz, ccp], [biz, ccp],
        [tech, ccp, sap, sec], [tech, sap], [tech, sec], [tech, saa],
        [saa], [saa],
    ]  # fmt: skip
    for certs in holdings:
        person = PersonFactory(partner=partner)
        for certification in certs:
            CredentialFactory(
                person=person, certification=certification, earned_on=date(2022, 6, 1)
            )
    for i in range(20):
        DealRegistrationFactory(
            partner=partner,
            status="won",
            registered_on=date(2023, 3, 1 + i),
            estimated_amount=Decimal("500.00"),
            currency="USD",
        )
    DealRegistrationFactory(
        partner=partner,
        status="approved",
        registered_on=date(2023, 5, 2),
        estimated_amount=Decimal("9000.00"),
        currency="USD",
    )
    DealRegistrationFactory(
        partner=partner,
        status="won",
        registered_on=date(2022, 12, 31),
        estimated_amount=Decimal("9000.00"),
        currency="USD",
    )
    AttestationFactory(partner=partner, kind="business_plan", attested_on=business_plan_on)
    return partner


@pytest.mark.django_db
def test_aws_services_path_advanced_and_select() -> None:
    version = load_examples("aws-services-path")["aws-services-path"]
    adv = aws_partner("A", business_plan_on=date(2023, 2, 1))
    # look-alike: its business plan was attested 2022-12-31, 12 months and a day before
    aws_partner("B", business_plan_on=date(2022, 12, 31))

    result = evaluate(version=version, as_of=AWS_AS_OF, store=False)
    values = {key: by_partner.get(adv.pk) for key, by_partner in result.values.items()}
    assert (
        values["certified_people[family=aws,level=business_accreditation|technical_accreditation]"]
        == 8
    )
    assert values["certified_people[family=aws,level=foundational]"] == 5
    assert values["certified_people[family=aws,level=associate|professional|specialty]"] == 6
    assert values["certified_people[family=aws,level=professional|specialty]"] == 3
    assert values["registered_opportunities[status=won]@12M"] == 20
    assert values["registered_amount[status=won]@12M"] == Decimal("10000.00")

    # A: Advanced needs 8 accredited (>= 4 + >= 4): 8 (4 + 4); 4 foundational: 5; 6 technical:
    #    6 with >= 3 professional/specialty: 3; 20 launched: 20; USD 10,000 MRR: 10,000;
    #    business plan in the last 12 months: 2023-02-01 -> Advanced. Premier needs far more.
    # B: same, but no business plan in [2023-01-01, 2023-12-31] -> not Advanced; Select needs
    #    4 (2 + 2), 2, 2, 3 launched, USD 1,500: all met -> Select.
    assert tiers(result) == {"A": "advanced", "B": "select"}

    gap = by_ext(result)["A"].next_tier
    assert gap is not None and gap.to_tier == "premier"
    missing = {s.metric: s.missing for s in gap.shortfalls}
    # Premier: 20 - 8 accredited, 10 - 4 technical and 10 - 4 business accredited, 10 - 5
    # foundational, 25 - 6 technical, 10 - 3 professional, 50 - 20 launched, USD 50,000 - 10,000,
    # 3 technical validations, one of them MSP/DevOps/Cloud Ops, an executive business review.
    assert missing == {
        "certified_people[family=aws,level=business_accreditation|technical_accreditation]": 12,
        "certified_people[family=aws,level=technical_accreditation]": 6,
        "certified_people[family=aws,level=business_accreditation]": 6,
        "certified_people[family=aws,level=foundational]": 5,
        "certified_people[family=aws,level=associate|professional|specialty]": 19,
        "certified_people[family=aws,level=professional|specialty]": 7,
        "registered_opportunities[status=won]@12M": 30,
        "registered_amount[status=won]@12M": Decimal("40000.00"),
        "attestations[kind=technical_validation]@12M": 3,
        "attestations[category=cloud_ops|devops|msp,kind=technical_validation]@12M": 1,
        "attestations[kind=executive_business_review]@12M": 1,
    }


# --------------------------------------------------------------------------- Microsoft

MS_AS_OF = date(2024, 8, 15)
# 6CM as of 2024-08-15: [2024-03-01, 2024-08-15]; a year earlier: [2023-03-01, 2023-08-15].


def ms_partner(
    ext: str,
    *tracks: str,
    new_customers: int,
    intermediate: int,
    advanced: int,
    usage: tuple[int, int],
    deployments: int,
) -> Partner:
    """A Business Applications partner: ``new_customers`` first sold in the window,
    ``intermediate`` / ``advanced`` certified people (one credential each), cloud usage of
    ``usage[0]`` USD in April 2023 and ``usage[1]`` USD in April 2024, ``deployments``
    attested in the window."""
    partner = enrolled(ext, *tracks)
    for _ in range(new_customers):
        BookingFactory(
            transacting_partner=partner,
            booked_on=date(2024, 5, 2),
            product_line="dynamics365",
            amount=Decimal("2000.00"),
            currency="USD",
        )
    for code, level, count in (
        ("PL-200", "intermediate", intermediate),
        ("PL-600", "advanced", advanced),
    ):
        certification = CertificationFactory(code=code, family="business_applications", level=level)
        for _ in range(count):
            CredentialFactory(
                person=PersonFactory(partner=partner),
                certification=certification,
                earned_on=date(2023, 10, 2),
            )
    for month, amount in ((date(2023, 4, 1), usage[0]), (date(2024, 4, 1), usage[1])):
        CloudUsageFactory(
            partner=partner,
            month=month,
            product_line="dynamics365",
            amount=Decimal(amount),
            currency="USD",
        )
    for _ in range(deployments):
        AttestationFactory(partner=partner, kind="deployment", attested_on=date(2024, 6, 3))
    return partner


def points(result: Assessment, track: str) -> tuple[Decimal, list[Decimal]]:
    requirement = result.tracks[track].tier_result("solutions_partner").requirement
    assert isinstance(requirement, ScoreResult)
    return requirement.total, [c.points for c in requirement.components]


@pytest.mark.django_db
def test_microsoft_capability_score_enterprise_and_smb() -> None:
    version = load_examples("microsoft-business-applications")["microsoft-business-applications"]
    ms_partner(
        "ENT",
        "enterprise",
        new_customers=5,
        intermediate=6,
        advanced=5,
        usage=(1000, 1300),
        deployments=2,
    )
    # look-alike: more intermediate people but no deployment
    ms_partner(
        "ENT2",
        "enterprise",
        new_customers=5,
        intermediate=16,
        advanced=5,
        usage=(1000, 1300),
        deployments=0,
    )
    ms_partner(
        "SMB",
        "smb",
        new_customers=10,
        intermediate=5,
        advanced=2,
        usage=(1000, 1200),
        deployments=3,
    )
    # scored on both paths: keeps the best WHOLE score, not the best points per metric
    ms_partner(
        "BOTH",
        "enterprise",
        "smb",
        new_customers=5,
        intermediate=4,
        advanced=2,
        usage=(1000, 1200),
        deployments=4,
    )

    result = evaluate(version=version, as_of=MS_AS_OF, store=False)
    got = by_ext(result)
    # ENT (Enterprise): customers 5 x 3 = 15 (max 15); intermediate 6 x 1 = 6; advanced
    # 5 x 2.14 = 10.70; usage growth 1300 / 1000 - 1 = 30 % -> 30 points; deployments 2 x 5 =
    # 10. Total 71.70 >= 70 and every metric > 0 -> Solutions Partner.
    assert points(got["ENT"], "enterprise") == (
        Decimal("71.70"),
        [Decimal(15), Decimal(6), Decimal("10.70"), Decimal(30), Decimal(10)],
    )
    # ENT2: 15 + 16 + 10.70 + 30 + 0 = 71.70 >= 70, but deployments earn 0 points -> Member.
    assert points(got["ENT2"], "enterprise")[0] == Decimal("71.70")
    # SMB: customers 10 x 1.5 = 15; intermediate 5 x 4 = 20 (max 20); advanced 2 x 7.5 = 15;
    # growth 20 % -> 20; deployments 3 x 2 = 6. Total 76 -> Solutions Partner.
    assert points(got["SMB"], "smb") == (
        Decimal(76),
        [Decimal(15), Decimal(20), Decimal(15), Decimal(20), Decimal(6)],
    )
    # BOTH, Enterprise: 15 + 4 + 4.28 + 20 + 20 = 63.28; SMB: 7.5 + 16 + 15 + 20 + 8 = 66.50.
    # Neither whole score reaches 70 (the best per metric, 15 + 16 + 15 + 20 + 20 = 86, is not
    # how scores combine) -> Member.
    assert points(got["BOTH"], "enterprise")[0] == Decimal("63.28")
    assert points(got["BOTH"], "smb")[0] == Decimal("66.50")
    assert tiers(result) == {
        "ENT": "solutions_partner",
        "ENT2": "member",
        "SMB": "solutions_partner",
        "BOTH": "member",
    }
    assert got["SMB"].qualified_track == "smb"
    gap = got["ENT2"].next_tier
    assert gap is not None and [s.kind for s in gap.shortfalls] == ["component_minimum"]
    assert gap.shortfalls[0].metric == "attestations[kind=deployment]@6CM"


# --------------------------------------------------------------------------- Atlassian


def _sales(partner: Partner, total: int, cloud: int) -> None:
    """``total`` USD of resale in the 12 months to 2024-12-31, ``cloud`` of it product line
    ``cloud``."""
    if cloud:
        BookingFactory(
            transacting_partner=partner,
            product_line="cloud",
            currency="USD",
            amount=Decimal(cloud),
            booked_on=date(2024, 6, 1),
        )
    if total - cloud:
        BookingFactory(
            transacting_partner=partner,
            product_line="jira-dc",
            currency="USD",
            amount=Decimal(total - cloud),
            booked_on=date(2024, 3, 1),
        )


@pytest.mark.django_db
def test_atlassian_cloud_share_and_alternative_paths() -> None:
    version = load_examples("atlassian-marketplace")["atlassian-marketplace"]
    silver = enrolled("AT-SILVER", "marketplace")
    _sales(silver, 400_000, 100_000)  # 400k >= 100k and 25 % >= 15 %; gold needs 500k
    lookalike = enrolled("AT-SILVER-BIS", "marketplace")
    _sales(lookalike, 400_000, 40_000)  # 10 % < 15 %: registered
    gold = enrolled("AT-GOLD", "marketplace")
    _sales(gold, 3_100_000, 0)  # >= 3M path; 0 % cloud fails silver, tiers stand alone
    platinum = enrolled("AT-PLATINUM", "marketplace")
    _sales(platinum, 2_500_000, 2_500_000)  # both platinum paths pass
    enrolled("AT-NONE", "marketplace")  # no sales: the share is undefined

    result = by_ext(evaluate(version=version, as_of=date(2024, 12, 31), store=False))
    assert {ext: r.tier for ext, r in result.items()} == {
        "AT-SILVER": "silver",
        "AT-SILVER-BIS": "registered",
        "AT-GOLD": "gold",
        "AT-PLATINUM": "platinum",
        "AT-NONE": "registered",
    }
    share_key = "resale_bookings[product_line=cloud]@12M/resale_bookings@12M"
    silver_track = result["AT-SILVER"].tracks["marketplace"]
    check = silver_track.tier_result("silver").requirement.children[1]
    assert (check.metric, check.value, check.met) == (share_key, Decimal("0.25"), True)
    bis = result["AT-SILVER-BIS"].next_tier
    assert bis is not None and bis.to_tier == "silver"
    assert [(s.metric, s.missing) for s in bis.shortfalls] == [(share_key, Decimal("0.05"))]
    assert "share of resale bookings" in bis.shortfalls[0].text.en
    none = result["AT-NONE"].tracks["marketplace"].tier_result("silver").requirement
    assert none.children[1].value is None and none.children[1].value_status == "undefined"


def test_share_of_a_fraction_is_refused() -> None:
    text = (EXAMPLES / "atlassian-marketplace.yaml").read_text(encoding="utf-8")
    bad = text.replace(
        "share_of: {metric: resale_bookings, window: 12M}\n          at_least: 0.15",
        "share_of: {metric: bookings_growth, window: 12M}\n          at_least: 0.15",
        1,
    )
    assert bad != text
    with pytest.raises(ProgramError) as err:
        load_program_text(bad, source="atl.yaml")
    assert (
        "atl.yaml",
        "requirements.marketplace.silver.all[1].share_of.metric",
        "bookings_growth is a fraction: a share needs sums or counts",
    ) in err.value.errors
