"""Metric queries (``programs.metrics``): hand-computed values for every catalog metric.

Every test builds facts for a partner ``a`` and a look-alike ``b`` (same shapes, different
numbers) and checks both, so a fact leaking from one partner to the other changes a value.
The evaluation date is D = 2026-06-30; ``12M`` covers [2025-07-01, 2026-07-01).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerprogram.core.money import MissingRateError, convert_sums, rates_on
from partnerprogram.enablement.models import Credential
from partnerprogram.partners.models import Person
from partnerprogram.programs.catalog import CATALOG
from partnerprogram.programs.metrics import METRICS, MetricContext, compute_metric, compute_metrics
from tests.factories import (
    AttestationFactory,
    BookingFactory,
    CertificationFactory,
    CloudUsageFactory,
    CredentialFactory,
    CustomerFactory,
    DealRegistrationFactory,
    ExchangeRateFactory,
    OpportunityFactory,
    PartnerFactory,
    PartnerInvolvementFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

D = date(2026, 6, 30)
CTX = MetricContext(as_of=D, currency="EUR")


def run(metric, where=None, window=None, context=CTX):
    return compute_metric(metric=metric, where=where or {}, window=window, context=context)


def d(text: str) -> date:
    return date.fromisoformat(text)


ON_TIME = datetime(2026, 6, 30, 18, tzinfo=UTC)
LATE = datetime(2026, 7, 10, 9, tzinfo=UTC)
KNOWN_THEN = MetricContext(as_of=D, currency="EUR", known_at=datetime(2026, 7, 1, tzinfo=UTC))


def recorded(model, when: datetime) -> None:
    """Set ``recorded_at`` of every row of ``model`` (facts created "now" by the factories)."""
    model.objects.update(recorded_at=when)


@pytest.fixture
def a():
    return PartnerFactory(name="Alpha")


@pytest.fixture
def b():
    return PartnerFactory(name="Alpha Bis")


@pytest.fixture
def usd_rates():
    """USD -> EUR: 0.80 from 2025, 0.90 from 2026-01-01 (in force on D), 0.50 from 2026-07-01."""
    ExchangeRateFactory(currency="USD", base="EUR", rate=Decimal("0.8"), valid_from=d("2025-01-01"))
    ExchangeRateFactory(currency="USD", base="EUR", rate=Decimal("0.9"), valid_from=d("2026-01-01"))
    ExchangeRateFactory(currency="USD", base="EUR", rate=Decimal("0.5"), valid_from=d("2026-07-01"))


# ------------------------------------------------------------------------------ catalog


def test_every_catalog_metric_is_implemented_with_its_filters_and_window_rule():
    assert set(METRICS) == set(CATALOG)
    for name, spec in CATALOG.items():
        assert METRICS[name].filters == set(spec.filters), name
        assert METRICS[name].window == spec.window, name


def test_unknown_metric_or_filter_key_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown metric 'nope'"):
        run("nope")
    with pytest.raises(ValueError, match="'colour'"):
        run("certified_people", where={"colour": "red"})
    with pytest.raises(ValueError, match="needs a window"):
        run("resale_bookings")
    with pytest.raises(ValueError, match="no window allowed"):
        run("certified_people", window="12M")
    with pytest.raises(ValueError, match="basis"):
        run("customer_retention", window="12M")


# ------------------------------------------------------------------------------ people


@pytest.fixture
def people(a, b):
    """Alpha: p1 (3 credentials: rhel-pro, rhel-assoc, openshift), p3 (openshift earned on D)
    count; p2 (expires on D), p4 (left before D), p5 (starts after D), p6 (no credential) do not.
    The human dual@ worked for Alpha until 2026-03-01 then for Alpha Bis; their credential is on
    the Alpha row. Alpha Bis: q1 (rhel) and dual."""
    rhel_pro = CertificationFactory(code="RH-PRO", family="rhel", level="professional")
    rhel_assoc = CertificationFactory(code="RH-ASSOC", family="rhel", level="associate")
    ocp = CertificationFactory(code="OCP", family="openshift", level="professional")

    p1 = PersonFactory(partner=a)
    CredentialFactory(person=p1, certification=rhel_pro, earned_on=d("2025-01-01"))
    CredentialFactory(
        person=p1, certification=rhel_assoc, earned_on=d("2024-01-01"), expires_on=d("2027-01-01")
    )
    CredentialFactory(
        person=p1, certification=ocp, earned_on=d("2024-05-01"), expires_on=d("2027-05-01")
    )
    p2 = PersonFactory(partner=a)
    CredentialFactory(
        person=p2, certification=rhel_pro, earned_on=d("2023-06-30"), expires_on=D
    )  # expires on D: not counted
    p3 = PersonFactory(partner=a)
    CredentialFactory(person=p3, certification=ocp, earned_on=D)  # earned on D: counted
    p4 = PersonFactory(partner=a, employed_until=d("2026-06-01"))  # left before D
    CredentialFactory(person=p4, certification=rhel_pro)
    p5 = PersonFactory(partner=a, employed_from=d("2026-07-01"))  # starts after D
    CredentialFactory(person=p5, certification=rhel_pro)
    PersonFactory(partner=a)  # p6, no credential

    dual_at_a = PersonFactory(
        partner=a,
        email="dual@example.test",
        employed_from=d("2020-01-01"),
        employed_until=d("2026-03-01"),
    )
    PersonFactory(partner=b, email="DUAL@Example.test", employed_from=d("2026-03-01"))
    CredentialFactory(person=dual_at_a, certification=rhel_pro, earned_on=d("2025-06-01"))

    q1 = PersonFactory(partner=b)
    CredentialFactory(person=q1, certification=rhel_pro, earned_on=d("2025-01-01"))


def test_certified_people_counts_each_person_once_with_time_rules(a, b, people):
    assert run("certified_people") == {a.id: Decimal(2), b.id: Decimal(2)}
    assert run("certified_people", where={"family": "rhel"}) == {a.id: 1, b.id: 2}
    assert run("certified_people", where={"family": ["rhel", "openshift"]}) == {a.id: 2, b.id: 2}
    assert run("certified_people", where={"level": ["associate"]}) == {a.id: 1}
    assert run("certified_people", where={"certification": "OCP"}) == {a.id: 2}


def test_credentials_counts_valid_credentials_of_employed_people(a, b, people):
    assert run("credentials") == {a.id: Decimal(4), b.id: Decimal(2)}
    assert run("credentials", where={"family": "rhel"}) == {a.id: 2, b.id: 2}
    assert run("credentials", where={"certification": ["OCP"]}) == {a.id: 2}


def test_one_person_counts_in_several_metrics(a, b, people):
    values = compute_metrics(
        [
            ("rhel", "certified_people", {"family": ["rhel"]}, None),
            ("ocp", "certified_people", {"family": ["openshift"]}, None),
            ("rhel", "certified_people", {"family": ["rhel"]}, None),  # computed once
        ],
        context=CTX,
    )
    assert values == {"rhel": {a.id: 1, b.id: 2}, "ocp": {a.id: 2}}


def test_person_linked_to_two_partners_counts_where_employed_on_the_date(a, b, people):
    before_move = MetricContext(as_of=d("2026-01-15"), currency="EUR")
    # On 2026-01-15 Alpha has p1, p2 (expires later), p4 (still employed) and dual; p3's
    # credential is not earned yet. Alpha Bis has only q1.
    assert run("certified_people", context=before_move) == {a.id: 4, b.id: 1}
    # Exactly on the move date the human counts for the new employer only.
    on_move = MetricContext(as_of=d("2026-03-01"), currency="EUR")
    assert run("certified_people", context=on_move) == {a.id: 3, b.id: 2}


def test_late_credential_is_ignored_when_evaluating_as_known_before(a, b, people):
    recorded(Person, ON_TIME)
    recorded(Credential, ON_TIME)
    late = CredentialFactory(
        person=Person.objects.get(partner=b, email__istartswith="dual"), earned_on=d("2026-06-01")
    )
    Credential.objects.filter(pk=late.pk).update(recorded_at=LATE)
    late_person = PersonFactory(partner=a)
    CredentialFactory(person=late_person, recorded_at=ON_TIME)
    Person.objects.filter(pk=late_person.pk).update(recorded_at=LATE)

    assert run("credentials", context=KNOWN_THEN) == {a.id: 4, b.id: 2}
    assert run("certified_people", context=KNOWN_THEN) == {a.id: 2, b.id: 2}
    assert run("credentials") == {a.id: 5, b.id: 3}
    assert run("certified_people") == {a.id: 3, b.id: 2}


# ------------------------------------------------------------------------------ registrations


def test_registered_opportunities_and_amount_in_window(a, b, usd_rates):
    DealRegistrationFactory(
        partner=a,
        registered_on=d("2025-07-01"),
        status="approved",
        estimated_amount=Decimal("1000"),
    )
    DealRegistrationFactory(
        partner=a, registered_on=D, status="won", estimated_amount=Decimal("2000"), currency="USD"
    )
    DealRegistrationFactory(
        partner=a, registered_on=d("2026-01-01"), status="rejected", estimated_amount=Decimal("500")
    )
    DealRegistrationFactory(
        partner=a,
        registered_on=d("2026-02-01"),
        status="approved",
        product_line="openshift",
        estimated_amount=Decimal("300"),
    )
    DealRegistrationFactory(partner=a, registered_on=d("2025-06-30"), estimated_amount=9999)
    DealRegistrationFactory(partner=a, registered_on=d("2026-07-01"), estimated_amount=9999)
    DealRegistrationFactory(
        partner=b, registered_on=d("2026-01-01"), status="approved", estimated_amount=Decimal("700")
    )

    assert run("registered_opportunities", window="12M") == {a.id: 4, b.id: 1}
    won_or_approved = {"status": ["approved", "won"]}
    assert run("registered_opportunities", where=won_or_approved, window="12M") == {
        a.id: 3,
        b.id: 1,
    }
    assert run(
        "registered_opportunities", where={**won_or_approved, "product_line": "rhel"}, window="12M"
    ) == {a.id: 2, b.id: 1}
    # 2000 USD at 0.90 (rate in force on D; the 0.50 rate from 2026-07-01 does not apply).
    assert run("registered_amount", window="12M") == {
        a.id: Decimal("3600.00"),
        b.id: Decimal("700.00"),
    }
    assert run("registered_amount", where=won_or_approved, window="12M") == {
        a.id: Decimal("3100.00"),
        b.id: Decimal("700.00"),
    }
    # Evaluated on 2026-07-01 the new rate applies (window then [2025-07-02, 2026-07-02)).
    later = MetricContext(as_of=d("2026-07-01"), currency="EUR")
    assert run("registered_amount", where={"status": "won"}, window="12M", context=later) == {
        a.id: Decimal("1000.00")
    }


# ------------------------------------------------------------------------------ bookings


def test_resale_and_influenced_bookings(a, b, usd_rates):
    enterprise = CustomerFactory(segment="enterprise")
    BookingFactory(
        transacting_partner=a,
        booked_on=d("2026-01-10"),
        amount=1000,
        customer=enterprise,
        influencing_partner=b,
    )
    BookingFactory(
        transacting_partner=a,
        booked_on=d("2026-05-05"),
        amount=1000,
        currency="USD",
        product_line="openshift",
        motion="renewal",
    )
    BookingFactory(transacting_partner=a, booked_on=d("2025-06-30"), amount=5000)  # before
    BookingFactory(transacting_partner=a, booked_on=d("2026-07-01"), amount=5000)  # after D
    BookingFactory(transacting_partner=b, booked_on=d("2025-07-01"), amount=400)
    BookingFactory(transacting_partner=b, booked_on=D, amount=250, influencing_partner=a)
    BookingFactory(
        transacting_partner=None, channel="direct", booked_on=D, amount=75, influencing_partner=a
    )

    assert run("resale_bookings", window="12M") == {
        a.id: Decimal("1900.00"),
        b.id: Decimal("650.00"),
    }
    assert run("resale_bookings", where={"product_line": "rhel"}, window="12M") == {
        a.id: Decimal("1000.00"),
        b.id: Decimal("650.00"),
    }
    assert run("resale_bookings", where={"motion": "renewal"}, window="12M") == {
        a.id: Decimal("900.00")
    }
    assert run("resale_bookings", where={"customer_segment": ["enterprise"]}, window="12M") == {
        a.id: Decimal("1000.00")
    }
    assert run("influenced_bookings", window="12M") == {
        a.id: Decimal("325.00"),
        b.id: Decimal("1000.00"),
    }


def test_sourced_bookings_need_a_validated_sourced_involvement(a, b):
    o1 = OpportunityFactory()
    PartnerInvolvementFactory(opportunity=o1, partner=a, role="sourced", validated=True)
    PartnerInvolvementFactory(opportunity=o1, partner=b, role="sourced", validated=False)
    PartnerInvolvementFactory(opportunity=o1, partner=b, role="influenced", validated=True)
    o2 = OpportunityFactory()
    PartnerInvolvementFactory(opportunity=o2, partner=a, role="sourced", validated=False)
    PartnerInvolvementFactory(opportunity=o2, partner=b, role="sourced", validated=True)
    o3 = OpportunityFactory()
    PartnerInvolvementFactory(opportunity=o3, partner=a, role="resell", validated=True)

    BookingFactory(opportunity=o1, transacting_partner=b, booked_on=d("2026-02-01"), amount=3000)
    BookingFactory(
        opportunity=o1,
        transacting_partner=b,
        booked_on=d("2026-03-01"),
        amount=500,
        product_line="openshift",
    )
    BookingFactory(opportunity=o1, transacting_partner=b, booked_on=d("2025-01-01"), amount=999)
    BookingFactory(opportunity=o2, transacting_partner=a, booked_on=d("2026-02-01"), amount=700)
    BookingFactory(opportunity=o3, transacting_partner=a, booked_on=d("2026-02-01"), amount=800)

    assert run("sourced_bookings", window="12M") == {
        a.id: Decimal("3500.00"),
        b.id: Decimal("700.00"),
    }
    assert run("sourced_bookings", where={"product_line": "openshift"}, window="12M") == {
        a.id: Decimal("500.00")
    }


def test_bookings_growth_with_no_baseline_is_none(a, b):
    newcomer = PartnerFactory(name="Newcomer", joined_on=d("2025-11-01"))
    shrinking = PartnerFactory(name="Shrinking")
    BookingFactory(transacting_partner=a, booked_on=d("2024-07-01"), amount=600)  # baseline
    BookingFactory(transacting_partner=a, booked_on=d("2025-06-30"), amount=400)  # baseline
    BookingFactory(transacting_partner=a, booked_on=d("2025-07-01"), amount=1500)
    BookingFactory(transacting_partner=a, booked_on=d("2024-06-30"), amount=9999)  # neither
    BookingFactory(transacting_partner=b, booked_on=d("2025-01-01"), amount=200)
    BookingFactory(
        transacting_partner=b, booked_on=d("2026-01-01"), amount=500, influencing_partner=a
    )
    BookingFactory(
        transacting_partner=None,
        channel="direct",
        booked_on=d("2025-01-01"),
        amount=1000,
        influencing_partner=a,
        product_line="openshift",
    )
    BookingFactory(transacting_partner=newcomer, booked_on=d("2026-01-01"), amount=800)
    BookingFactory(transacting_partner=shrinking, booked_on=d("2025-01-01"), amount=800)

    assert run("bookings_growth", window="12M") == {
        a.id: Decimal("0.5"),  # 1500 / 1000 - 1
        b.id: Decimal("1.5"),  # 500 / 200 - 1
        newcomer.id: None,  # < 12 months of history: no baseline
        shrinking.id: Decimal("-1"),
    }
    assert run("bookings_growth", where={"role": "influenced"}, window="12M") == {
        a.id: Decimal("-0.5"),  # 500 / 1000 - 1
    }
    assert run(
        "bookings_growth", where={"role": "influenced", "product_line": "rhel"}, window="12M"
    ) == {a.id: None}
    with pytest.raises(ValueError, match="role"):
        run("bookings_growth", where={"role": "owner"}, window="12M")


def test_new_customers_first_booking_with_the_partner_in_window(a, b):
    c1, c2, c3, c4 = (CustomerFactory() for _ in range(4))
    c5 = CustomerFactory(segment="enterprise")
    BookingFactory(transacting_partner=a, customer=c1, booked_on=d("2024-01-01"))
    BookingFactory(
        transacting_partner=a, customer=c1, booked_on=d("2026-01-01"), product_line="openshift"
    )  # not new to Alpha, but new on openshift
    BookingFactory(transacting_partner=b, customer=c2, booked_on=d("2024-01-01"))
    BookingFactory(transacting_partner=a, customer=c2, booked_on=d("2026-02-01"))  # new to Alpha
    BookingFactory(transacting_partner=a, customer=c3, booked_on=d("2025-07-01"))
    BookingFactory(transacting_partner=a, customer=c3, booked_on=d("2026-03-01"))  # once
    BookingFactory(transacting_partner=a, customer=c4, booked_on=d("2026-07-01"))  # after D
    BookingFactory(transacting_partner=a, customer=c5, booked_on=D, product_line="openshift")
    BookingFactory(transacting_partner=None, channel="direct", customer=c4, booked_on=D)
    BookingFactory(transacting_partner=b, customer=c3, booked_on=d("2026-05-01"))

    assert run("new_customers", window="12M") == {a.id: 3, b.id: 1}
    assert run("new_customers", where={"customer_segment": "enterprise"}, window="12M") == {a.id: 1}
    assert run("new_customers", where={"product_line": "openshift"}, window="12M") == {a.id: 2}


def test_net_new_users_signs_quantity_by_motion(a, b):
    for motion, quantity in [
        ("new", 10),
        ("upsell", 5),
        ("renewal", 100),
        ("downsell", 3),
        ("churn", 2),
    ]:
        BookingFactory(
            transacting_partner=a, motion=motion, quantity=quantity, booked_on=d("2026-01-01")
        )
    BookingFactory(transacting_partner=a, motion="new", quantity=50, booked_on=d("2025-06-30"))
    BookingFactory(
        transacting_partner=a, motion="new", quantity=4, booked_on=D, product_line="openshift"
    )
    BookingFactory(transacting_partner=b, motion="new", quantity=7, booked_on=D)
    BookingFactory(
        transacting_partner=b, motion="churn", quantity=9, booked_on=D, product_line="openshift"
    )

    assert run("net_new_users", window="12M") == {a.id: Decimal(14), b.id: Decimal(-2)}
    assert run("net_new_users", where={"product_line": "rhel"}, window="12M") == {a.id: 10, b.id: 7}


# ------------------------------------------------------------------------------ retention


def _term(partner, customer, start, end, booked=None):
    return BookingFactory(
        transacting_partner=partner,
        customer=customer,
        booked_on=d(booked or start),
        term_start=d(start),
        term_end=d(end) if end else None,
    )


def test_retention_active_in_window_odoo_v9a(a, b):
    c1, c2, c3, c4, c5, c6 = (CustomerFactory() for _ in range(6))
    _term(a, c1, "2025-01-01", "2026-01-01")  # in window, ended: denominator only
    _term(a, c2, "2025-07-01", "2026-07-01")  # active on D
    _term(a, c3, "2024-01-01", "2025-07-01")  # ends when the window starts: excluded
    _term(a, c4, "2026-06-30", "2027-06-30")  # starts on D: active
    _term(a, c5, "2025-06-30", "2026-06-30")  # ends on D: not active on D
    _term(a, c6, "2025-01-01", "2026-01-01")
    _term(a, c6, "2026-01-01", None)  # renewed, open-ended: counted once
    _term(a, c3, "2026-07-01", "2027-07-01")  # booked after D: ignored
    _term(b, c1, "2026-01-01", "2027-01-01")  # c1 moved to Alpha Bis: not retained by Alpha
    no_terms = PartnerFactory(name="No terms")
    BookingFactory(transacting_partner=no_terms, booked_on=D)  # no term: no customer base

    values = run("customer_retention", where={"basis": "active_in_window"}, window="12M")
    assert values == {a.id: Decimal(3) / Decimal(5), b.id: Decimal(1)}
    assert values.get(no_terms.id) is None  # zero denominator: absent, read as None
    assert (
        run(
            "customer_retention",
            where={"basis": "active_in_window", "product_line": "openshift"},
            window="12M",
        )
        == {}
    )


def test_retention_acquired_in_window_odoo_v11(a, b):
    k1, k2, k3, k4 = (CustomerFactory() for _ in range(4))
    _term(a, k1, "2022-01-01", "2023-01-01")
    _term(a, k1, "2024-01-01", "2027-01-01")  # acquired before the 36M window
    _term(a, k2, "2024-01-01", "2025-01-01")  # acquired, lost
    _term(a, k3, "2024-02-01", "2025-02-01")
    _term(a, k3, "2025-02-01", "2027-02-01")  # acquired, renewed: retained
    _term(a, k4, "2026-06-30", "2027-06-30")  # acquired on D, active
    _term(b, k1, "2025-01-01", "2025-06-01")  # new to Alpha Bis, lost

    values = run("customer_retention", where={"basis": "acquired_in_window"}, window="36M")
    assert values == {a.id: Decimal(2) / Decimal(3), b.id: Decimal(0)}
    with pytest.raises(ValueError, match="unknown basis"):
        run("customer_retention", where={"basis": "forever"}, window="36M")


# ------------------------------------------------------------------------------ cloud usage


def test_cloud_usage_and_growth(a, b, usd_rates):
    CloudUsageFactory(partner=a, month=d("2024-06-01"), amount=700)  # neither window
    CloudUsageFactory(partner=a, month=d("2024-07-01"), amount=400)  # baseline
    CloudUsageFactory(partner=a, month=d("2025-06-01"), amount=600)  # baseline
    CloudUsageFactory(partner=a, month=d("2025-07-01"), amount=1000)
    CloudUsageFactory(
        partner=a, month=d("2026-06-01"), amount=500, currency="USD", product_line="ansible"
    )
    CloudUsageFactory(partner=b, month=d("2026-01-01"), amount=300)

    assert run("cloud_usage", window="12M") == {a.id: Decimal("1450.00"), b.id: Decimal("300.00")}
    assert run("cloud_usage", where={"product_line": "ansible"}, window="12M") == {
        a.id: Decimal("450.00")
    }
    assert run("cloud_usage_growth", window="12M") == {a.id: Decimal("0.45"), b.id: None}


# ------------------------------------------------------------------------------ opportunities


def test_influenced_opportunities(a, b):
    def influenced(partner, validated=True, **opportunity):
        opp = OpportunityFactory(**opportunity)
        PartnerInvolvementFactory(opportunity=opp, partner=partner, validated=validated)
        return opp

    opp1 = influenced(a, created_on=d("2026-01-01"))  # open: created in window
    influenced(a, stage="won", created_on=d("2025-01-01"), close_date=D)  # closed on D
    influenced(a, stage="lost", created_on=d("2025-05-01"), close_date=d("2025-06-30"))
    influenced(a, validated=False, created_on=d("2026-02-01"))  # claim not validated
    influenced(a, created_on=d("2026-04-01"), close_date=d("2027-01-01"))  # expected close
    sourced = OpportunityFactory(stage="won", close_date=d("2026-03-01"))
    PartnerInvolvementFactory(opportunity=sourced, partner=a, role="sourced")
    PartnerInvolvementFactory(opportunity=opp1, partner=b)

    assert run("influenced_opportunities", window="12M") == {a.id: 3, b.id: 1}
    assert run("influenced_opportunities", where={"stage": "won"}, window="12M") == {a.id: 1}
    assert run(
        "influenced_opportunities", where={"validated": ["true", "false"]}, window="12M"
    ) == {a.id: 4, b.id: 1}
    assert run("influenced_opportunities", where={"validated": False}, window="12M") == {a.id: 1}


# ------------------------------------------------------------------------------ attestations


def test_attestations_valid_on_date_or_attested_in_window(a, b):
    AttestationFactory(
        partner=a, kind="business_plan", attested_on=d("2025-07-01"), valid_until=d("2026-07-01")
    )
    AttestationFactory(
        partner=a, kind="business_plan", attested_on=d("2024-01-01"), valid_until=d("2025-01-01")
    )
    AttestationFactory(partner=a, kind="executive_review", attested_on=D)
    AttestationFactory(
        partner=a, kind="technical_validation", category="msp", attested_on=d("2026-07-01")
    )
    AttestationFactory(
        partner=a,
        kind="technical_validation",
        category="devops",
        attested_on=d("2025-06-30"),
        valid_until=D,
    )
    AttestationFactory(
        partner=b, kind="technical_validation", category="msp", attested_on=d("2026-01-01")
    )

    assert run("attestations") == {a.id: 2, b.id: 1}
    assert run("attestations", where={"kind": "business_plan"}) == {a.id: 1}
    assert run("attestations", where={"kind": "technical_validation"}) == {b.id: 1}
    assert run("attestations", window="12M") == {a.id: 2, b.id: 1}
    assert run("attestations", where={"category": ["msp"]}, window="12M") == {b.id: 1}


# ------------------------------------------------------------------------------ money, time


def test_inverse_rate_and_missing_rate(a):
    ExchangeRateFactory(currency="EUR", base="GBP", rate=Decimal("0.8"), valid_from=d("2026-01-01"))
    BookingFactory(transacting_partner=a, booked_on=D, amount=Decimal("100"), currency="GBP")
    assert run("resale_bookings", window="12M") == {a.id: Decimal("125.00")}

    BookingFactory(transacting_partner=a, booked_on=D, amount=Decimal("100"), currency="CHF")
    with pytest.raises(MissingRateError) as error:
        run("resale_bookings", window="12M")
    assert (error.value.currency, error.value.target, error.value.on) == ("CHF", "EUR", D)


def test_late_data_with_known_at(a, b):
    BookingFactory(
        transacting_partner=a, booked_on=d("2026-06-01"), amount=1000, recorded_at=ON_TIME
    )
    BookingFactory(transacting_partner=a, booked_on=d("2026-06-20"), amount=500, recorded_at=LATE)
    BookingFactory(
        transacting_partner=b, booked_on=d("2026-06-01"), amount=1000, recorded_at=ON_TIME
    )
    assert run("resale_bookings", window="12M", context=KNOWN_THEN) == {
        a.id: Decimal("1000.00"),
        b.id: Decimal("1000.00"),
    }
    assert run("resale_bookings", window="12M") == {
        a.id: Decimal("1500.00"),
        b.id: Decimal("1000.00"),
    }


def test_facts_of_a_merged_partner_count_for_the_survivor(a, b):
    absorbed = PartnerFactory(name="Absorbed", merged_into=a)
    BookingFactory(transacting_partner=a, booked_on=D, amount=100)
    BookingFactory(transacting_partner=absorbed, booked_on=D, amount=50)
    BookingFactory(transacting_partner=b, booked_on=D, amount=10)
    assert run("resale_bookings", window="12M") == {a.id: Decimal("150.00"), b.id: Decimal("10.00")}


def test_fiscal_window_uses_the_fiscal_year_start(a):
    BookingFactory(transacting_partner=a, booked_on=d("2026-03-01"), amount=100)
    BookingFactory(transacting_partner=a, booked_on=d("2026-02-28"), amount=10)
    fiscal_march = MetricContext(as_of=D, currency="EUR", fiscal_year_start=3)
    assert run("resale_bookings", window="fiscal_year", context=fiscal_march) == {
        a.id: Decimal("100.00")
    }
    assert run("resale_bookings", window="calendar_year", context=fiscal_march) == {
        a.id: Decimal("110.00")
    }


# ------------------------------------------------------------------------------ query budget

ALL_REFS = [
    ("certified_people", {"family": ["rhel"]}, None),
    ("credentials", {}, None),
    ("registered_opportunities", {"status": ["approved", "won"]}, "12M"),
    ("registered_amount", {}, "12M"),
    ("resale_bookings", {}, "12M"),
    ("influenced_bookings", {}, "12M"),
    ("sourced_bookings", {}, "12M"),
    ("bookings_growth", {}, "12M"),
    ("bookings_growth", {"role": "sourced"}, "12M"),
    ("influenced_opportunities", {}, "12M"),
    ("new_customers", {}, "12M"),
    ("net_new_users", {}, "12M"),
    ("customer_retention", {"basis": "active_in_window"}, "12M"),
    ("customer_retention", {"basis": "acquired_in_window"}, "36M"),
    ("cloud_usage", {}, "12M"),
    ("cloud_usage_growth", {}, "12M"),
    ("attestations", {"kind": "business_plan"}, None),
]


def _partner_with_facts(index: int) -> None:
    partner = PartnerFactory()
    person = PersonFactory(partner=partner)
    CredentialFactory(person=person, certification=CertificationFactory(code="RH-PRO"))
    DealRegistrationFactory(partner=partner, registered_on=d("2026-01-01"))
    DealRegistrationFactory(partner=partner, registered_on=d("2026-01-02"), currency="USD")
    opportunity = OpportunityFactory()
    PartnerInvolvementFactory(opportunity=opportunity, partner=partner, role="sourced")
    PartnerInvolvementFactory(opportunity=opportunity, partner=partner, role="influenced")
    customer = CustomerFactory()
    BookingFactory(
        transacting_partner=partner,
        influencing_partner=partner,
        customer=customer,
        opportunity=opportunity,
        booked_on=d("2026-01-01"),
        currency="USD",
        quantity=index % 7,
        term_start=d("2026-01-01"),
        term_end=d("2027-01-01"),
    )
    BookingFactory(transacting_partner=partner, booked_on=d("2025-01-01"))
    CloudUsageFactory(partner=partner, month=d("2026-01-01"))
    CloudUsageFactory(partner=partner, month=d("2025-01-01"), currency="USD")
    AttestationFactory(partner=partner)


def _count_queries() -> tuple[int, dict[str, dict[int, Decimal | None]]]:
    refs = [(f"{m}{i}", m, where, window) for i, (m, where, window) in enumerate(ALL_REFS)]
    with CaptureQueriesContext(connection) as captured:
        values = compute_metrics(refs, context=CTX)
    return len(captured.captured_queries), values


def test_query_count_does_not_grow_with_the_number_of_partners(usd_rates):
    for i in range(10):
        _partner_with_facts(i)
    small, small_values = _count_queries()
    for i in range(10, 200):
        _partner_with_facts(i)
    large, large_values = _count_queries()

    assert small == large == len(ALL_REFS) + 1  # one per reference + one for the rates
    assert all(len(v) == 10 for v in small_values.values())
    assert all(len(v) == 200 for v in large_values.values())
    some = next(iter(large_values["resale_bookings4"]))
    assert large_values["resale_bookings4"][some] == Decimal("900.00")  # 1000 USD at 0.90
    assert large_values["bookings_growth7"][some] == Decimal("-0.1")  # 900 / 1000 - 1
    assert large_values["customer_retention12"][some] == Decimal(1)


def test_rates_on_prefers_the_direct_rate_in_force_and_inverts_otherwise():
    ExchangeRateFactory(currency="USD", base="EUR", rate=Decimal("0.9"), valid_from=d("2026-01-01"))
    ExchangeRateFactory(currency="EUR", base="USD", rate=Decimal("2"), valid_from=d("2026-02-01"))
    ExchangeRateFactory(currency="EUR", base="GBP", rate=Decimal("0.8"), valid_from=d("2026-01-01"))
    ExchangeRateFactory(currency="EUR", base="GBP", rate=Decimal("0.5"), valid_from=d("2026-07-01"))
    rates = rates_on(on=D, target="EUR")
    assert rates == {"EUR": 1, "USD": Decimal("0.9"), "GBP": Decimal("1.25")}
    assert rates_on(on=d("2025-12-31"), target="EUR") == {"EUR": 1}
    assert convert_sums(
        {"EUR": Decimal("1.005"), "GBP": Decimal("0.00")}, rates=rates, target="EUR"
    ) == Decimal("1.01")  # half-up to the cent


def test_a_human_with_two_rows_in_one_partner_group_counts_once(a):
    absorbed = PartnerFactory(name="Absorbed", merged_into=a)
    at_a = PersonFactory(partner=a, email="same@example.test")
    PersonFactory(partner=absorbed, email="same@example.test")
    CredentialFactory(person=at_a)
    CredentialFactory(person=at_a, certification=CertificationFactory(code="OCP2"))
    assert run("certified_people") == {a.id: 1}
    assert run("credentials") == {a.id: 2}
