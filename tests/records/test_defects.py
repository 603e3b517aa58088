"""Defects of the upsert layer found by a tester, one test (or more) each: every expected value
is written by hand from the rule stated in ``core.records`` and ``docs/imports.md``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from partnerprogram.audit.models import AuditEvent
from partnerprogram.core.models import ExchangeRate
from partnerprogram.core.records import records_upsert
from partnerprogram.core.upserts import RowError
from partnerprogram.partners.models import Partner, Person
from partnerprogram.programs.models import Program, ProgramVersion
from partnerprogram.sales.models import Booking, DealRegistration
from partnerprogram.sales.rules import deal_registration_problems
from tests.factories import (
    CustomerFactory,
    DealRegistrationFactory,
    OpportunityFactory,
    PartnerFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

ACTOR = "system:test"
TODAY = date(2026, 4, 2)


def _booking(ext: str, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "external_id": ext,
        "booked_on": "2026-06-30",
        "amount": "10.00",
        "currency": "EUR",
        "customer": "CUS-1",
        "product_line": "rhel",
        "channel": "direct",
    }
    row.update(over)
    return row


def _numbered(rows: list[dict[str, Any]], start: int = 1) -> list[tuple[int, dict[str, Any]]]:
    return list(enumerate(rows, start=start))


@pytest.fixture
def customer() -> None:
    CustomerFactory(external_id="CUS-1")


def _reasons(report: Any) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.reason) for e in report.errors]


# -- 1. currencies the engine cannot convert ----------


def test_unknown_or_unconvertible_currency_is_rejected(customer: None) -> None:
    # No program stored: EUR is the program currency. GBP has no rate; XYZ is not ISO 4217.
    rows = _numbered(
        [
            _booking("BK-1", currency="XYZ"),
            _booking("BK-2", currency="GBP"),
            _booking("BK-3", currency="EUR"),
        ]
    )
    report = records_upsert(kind="bookings", rows=rows, actor=ACTOR)
    assert _reasons(report) == [
        (1, "currency", "currency XYZ is not an ISO 4217 currency code (such as EUR)."),
        (2, "currency", "no exchange rate for GBP: load rates first."),
    ]
    assert (report.created, report.rejected) == (1, 2)
    assert list(Booking.objects.values_list("external_id", flat=True)) == ["BK-3"]


def test_a_currency_with_a_rate_or_a_programs_currency_is_accepted(customer: None) -> None:
    # A stored program in USD: EUR is no longer implied. GBP has a direct rate into USD, CHF
    # is the base of a rate (an inverse rate converts it), EUR has none -> rejected.
    program = Program.objects.create(key="pex", name="PEX")
    ProgramVersion.objects.create(
        program=program,
        version="1",
        effective_from=date(2026, 1, 1),
        definition={"currency": "USD", "timezone": "Europe/Paris"},
        sha256="0" * 64,
    )
    for code, base in (("GBP", "USD"), ("USD", "CHF")):
        ExchangeRate.objects.create(
            currency=code, base=base, rate=Decimal("1.1"), valid_from=date(2026, 1, 1)
        )
    rows = _numbered([_booking(f"BK-{c}", currency=c) for c in ("USD", "GBP", "CHF", "EUR")])
    report = records_upsert(kind="bookings", rows=rows, actor=ACTOR)
    assert _reasons(report) == [(4, "currency", "no exchange rate for EUR: load rates first.")]
    assert report.created == 3


# -- 2. external ids taken exactly as written ----------


def test_ids_with_outer_spaces_or_control_characters_are_rejected(customer: None) -> None:
    spaces = (
        "external_id has leading or trailing spaces: ids are taken exactly as written, "
        "remove the spaces."
    )
    control = (
        "external_id contains a control character (tab, new line, NUL...): an id cannot hold one."
    )
    rows = _numbered(
        [
            _booking(" TEST-SP "),
            _booking("BK-TAB\t"),
            _booking("BK\x00NUL"),
            _booking("BK-NL\nX"),
            _booking("BK-4", customer="CUS-1 "),
            _booking("BK 5"),  # an inner space is part of the id
        ]
    )
    report = records_upsert(kind="bookings", rows=rows, actor=ACTOR)
    assert _reasons(report) == [
        (1, "external_id", spaces),
        (2, "external_id", control),
        (3, "external_id", control),
        (4, "external_id", control),
        (
            5,
            "customer",
            "customer has leading or trailing spaces: ids are taken exactly as written, "
            "remove the spaces.",
        ),
    ]
    assert report.errors[0].value == " TEST-SP "
    assert list(Booking.objects.values_list("external_id", flat=True)) == ["BK 5"]


# -- 3. a person does not move to another partner ----------


def test_changing_a_persons_partner_is_refused() -> None:
    old = PartnerFactory(external_id="P-1")
    PartnerFactory(external_id="P-2")
    PersonFactory(
        external_id="PER-1", partner=old, email="jane@acme.test", employed_from=date(2024, 1, 8)
    )
    row = {
        "external_id": "PER-1",
        "partner": "P-2",
        "email": "jane@acme.test",
        "employed_from": "2024-01-08",
    }
    report = records_upsert(kind="people", rows=[(2, row)], actor=ACTOR)
    assert report.errors == [
        RowError(
            2,
            "partner",
            "P-2",
            "A person's employment at another partner is a new person row: end this one with "
            "employed_until and add one for the new partner.",
        )
    ]
    assert Person.objects.get(external_id="PER-1").partner_id == old.pk


# -- 4. mergers: one step, no cycle ----------


def _partner(ext: str, merged_into: str | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"external_id": ext, "name": ext, "country": "FR"}
    if merged_into is not None:
        row["merged_into"] = merged_into
    return row


def test_a_merger_cycle_in_one_file_is_refused_on_both_rows() -> None:
    PartnerFactory(external_id="P-A")
    PartnerFactory(external_id="P-B")
    rows = _numbered([_partner("P-A", "P-B"), _partner("P-B", "P-A")], start=2)
    report = records_upsert(kind="partners", rows=rows, actor=ACTOR)
    cycle = (
        "{} and {} would be merged into each other (a cycle): merge one into the other, not both."
    )
    assert _reasons(report) == [
        (2, "merged_into", cycle.format("P-A", "P-B")),
        (3, "merged_into", cycle.format("P-B", "P-A")),
    ]
    assert not Partner.objects.filter(merged_into__isnull=False).exists()


def test_a_merger_into_itself_is_refused_also_for_a_new_partner() -> None:
    report = records_upsert(kind="partners", rows=[(2, _partner("P-A", "P-A"))], actor=ACTOR)
    assert _reasons(report) == [(2, "merged_into", "A partner cannot be merged into itself.")]


def test_merger_chains_are_refused_stored_or_in_the_same_file() -> None:
    c = PartnerFactory(external_id="P-C")
    PartnerFactory(external_id="P-B", merged_into=c)  # stored: B -> C
    PartnerFactory(external_id="P-A")
    PartnerFactory(external_id="P-X")
    # A -> B: B is merged. C -> X: B is merged into C, so C cannot be merged itself.
    rows = _numbered([_partner("P-A", "P-B"), _partner("P-C", "P-X")], start=2)
    report = records_upsert(kind="partners", rows=rows, actor=ACTOR)
    assert _reasons(report) == [
        (
            2,
            "merged_into",
            "P-B is itself merged into P-C: merge P-A into the surviving partner (P-C or the "
            "end of its chain), not into a merged one.",
        ),
        (
            3,
            "merged_into",
            "P-B is merged into P-C: a partner other partners are merged into cannot itself be "
            "merged (no chains); merge them into P-X first.",
        ),
    ]
    # in one file: A -> B and B -> C are both refused; re-pointing B's partners with it works
    rows = _numbered([_partner("P-A", "P-X"), _partner("P-B", "P-X")], start=2)
    report = records_upsert(kind="partners", rows=rows, actor=ACTOR)
    assert (report.updated, report.rejected) == (2, 0)
    # A -> X and B -> X stored now: C -> X is fine but X -> A is not (A is merged into X)
    rows = _numbered([_partner("P-C", "P-X"), _partner("P-X", "P-A")], start=2)
    report = records_upsert(kind="partners", rows=rows, actor=ACTOR)
    assert _reasons(report) == [
        (
            2,
            "merged_into",
            "P-X is itself merged into P-A: merge P-C into the surviving partner (P-A or the "
            "end of its chain), not into a merged one.",
        ),
        (
            3,
            "merged_into",
            "P-X and P-A would be merged into each other (a cycle): merge one into the other, "
            "not both.",
        ),
    ]


# -- 5. partner registrations follow the portal's rules ----------


def test_deal_registration_problems_lists_every_broken_rule() -> None:
    problems = deal_registration_problems(
        customer_name="  ",
        product_line="made-up-line",
        estimated_amount=Decimal("0"),
        currency="XYZ",
        expected_close=date(2000, 1, 1),
        on=TODAY,
        product_lines={"rhel"},
        currencies={"EUR"},
    )
    assert problems == [
        ("customer_name", "Give the customer's name."),
        ("product_line", "Choose one of the vendor's product lines."),
        ("estimated_amount", "The estimated amount must be a positive amount."),
        ("currency", "This currency cannot be converted."),
        ("expected_close", "The expected close date cannot be in the past."),
    ]
    assert deal_registration_problems(
        customer_name="Banque",
        product_line="rhel",
        estimated_amount=Decimal("0.001"),
        currency="EUR",
        expected_close=TODAY,
        on=TODAY,
        product_lines={"rhel"},
        currencies={"EUR"},
    ) == [("estimated_amount", "The estimated amount has at most 2 decimals.")]


def _registration(ext: str, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "external_id": ext,
        "customer_name": "Banque Exemple",
        "product_line": "rhel",
        "estimated_amount": "5000.00",
        "currency": "EUR",
    }
    row.update(over)
    return row


def test_partner_registrations_follow_the_portal_rules() -> None:
    acme = PartnerFactory(external_id="P-100")
    OpportunityFactory(product_line="rhel")
    # GBP converts into USD only: known to the engine, not convertible into the program's EUR
    ExchangeRate.objects.create(
        currency="GBP", base="USD", rate=Decimal("1.27"), valid_from=date(2026, 1, 1)
    )
    rows = _numbered(
        [
            _registration(
                "DR-1",
                product_line="made-up-line",
                estimated_amount="0",
                registered_on="2019-01-01",
                expected_close_on="2000-01-01",
            ),
            _registration("DR-2", registered_on="9999-12-31"),
            _registration("DR-3", currency="GBP"),
            _registration("DR-4", expected_close_on="2026-04-30"),  # registered today
        ]
    )
    report = records_upsert(
        kind="deal_registrations", rows=rows, actor="user:acme", partner=acme, on=TODAY
    )
    not_today = (
        "registered_on is the day a registration is submitted: today (2026-04-02 in the "
        "program time zone); leave it out."
    )
    assert _reasons(report) == [
        (1, "registered_on", not_today),
        (1, "product_line", "Choose one of the vendor's product lines."),
        (1, "estimated_amount", "The estimated amount must be a positive amount."),
        (1, "expected_close_on", "The expected close date cannot be in the past."),
        (2, "registered_on", not_today),
        (3, "currency", "This currency cannot be converted."),
    ]
    assert (report.created, report.rejected) == (1, 3)
    created = DealRegistration.objects.get(external_id="DR-4")
    assert (created.registered_on, created.status) == (TODAY, "submitted")
    # one portal-style audit event for the created registration (plus the call's summary)
    events = AuditEvent.objects.filter(action="deal_registration.submitted")
    assert [(e.actor, e.object_id) for e in events] == [("user:acme", str(created.pk))]
    assert events[0].changes["expected_close"] == [None, "2026-04-30"]


def test_a_correction_keeps_the_submission_date() -> None:
    acme = PartnerFactory(external_id="P-100")
    OpportunityFactory(product_line="rhel")
    DealRegistrationFactory(
        external_id="DR-1", partner=acme, status="submitted", registered_on=date(2026, 3, 1)
    )
    # registered_on left out: the stored 2026-03-01 is kept (today's default is for creation)
    report = records_upsert(
        kind="deal_registrations",
        rows=[(1, _registration("DR-1", estimated_amount="7000"))],
        actor="user:acme",
        partner=acme,
        on=TODAY,
    )
    assert (report.updated, report.rejected) == (1, 0)
    reg = DealRegistration.objects.get(external_id="DR-1")
    assert (reg.registered_on, reg.estimated_amount) == (date(2026, 3, 1), Decimal("7000"))
    moved = records_upsert(
        kind="deal_registrations",
        rows=[(1, _registration("DR-1", registered_on="2026-04-02"))],
        actor="user:acme",
        partner=acme,
        on=TODAY,
    )
    assert _reasons(moved) == [
        (
            1,
            "registered_on",
            "registered_on is the day the registration was submitted (2026-03-01): it cannot "
            "be changed.",
        )
    ]
    # no audit event for an update
    assert not AuditEvent.objects.filter(action="deal_registration.submitted").exists()


# -- 6. references to earlier rows, whatever the chunk ----------


@pytest.mark.parametrize("chunk_size", [5000, 2, 1])
def test_merged_into_a_partner_created_earlier_in_the_file(chunk_size: int) -> None:
    rows = _numbered(
        [
            _partner("T-CH-A"),
            _partner("T-CH-B", "T-CH-A"),
            _partner("T-CH-C", "T-CH-D"),  # D comes later: unknown
            _partner("T-CH-D"),
        ],
        start=2,
    )
    report = records_upsert(kind="partners", rows=rows, actor=ACTOR, chunk_size=chunk_size)
    assert _reasons(report) == [
        (
            4,
            "merged_into",
            "Unknown partner: no partner has this external id (in the database or earlier in "
            "this file).",
        )
    ]
    assert (report.created, report.rejected) == (3, 1)
    b = Partner.objects.get(external_id="T-CH-B")
    assert b.merged_into is not None and b.merged_into.external_id == "T-CH-A"
    again = records_upsert(kind="partners", rows=rows[:2], actor=ACTOR, chunk_size=chunk_size)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_a_reference_to_a_rejected_earlier_row_is_unknown() -> None:
    rows = _numbered([_partner("T-A") | {"country": "ZZ"}, _partner("T-B", "T-A")], start=2)
    report = records_upsert(kind="partners", rows=rows, actor=ACTOR)
    assert [(r, c) for r, c, _ in _reasons(report)] == [(2, "country"), (3, "merged_into")]
    assert report.errors[1].reason == (
        "Unknown partner: no partner has this external id (in the database or earlier in this "
        "file: the row of T-A is rejected)."
    )
    assert not Partner.objects.exists()


# -- 7. every problem of every row ----------


def test_each_row_lists_all_its_problems(customer: None) -> None:
    rows = _numbered(
        [
            _booking("BK-0"),
            _booking("BK-1"),
            _booking("BK-2"),
            _booking("BK-3", amount="-5"),
            _booking("BK-4", customer="NOPE"),
            _booking("BK-5", amount="-5", customer="NOPE", currency="GBP"),
        ],
        start=0,
    )
    report = records_upsert(kind="bookings", rows=rows, actor=ACTOR)
    unknown = "Unknown customer: no customer has this external id."
    assert _reasons(report) == [
        (3, "amount", "amount cannot be negative."),
        (4, "customer", unknown),
        (5, "amount", "amount cannot be negative."),
        (5, "currency", "no exchange rate for GBP: load rates first."),
        (5, "customer", unknown),
    ]
    # rows, not errors: rows 3, 4 and 5
    assert (report.created, report.rejected) == (3, 3)


# -- 8. a decided registration: the partner's vendor fields are refused, not dropped ----------


def test_vendor_fields_sent_on_a_decided_registration_are_refused() -> None:
    acme = PartnerFactory(external_id="P-100")
    DealRegistrationFactory(
        external_id="DR-1",
        partner=acme,
        customer_name="Banque Exemple",
        product_line="rhel",
        estimated_amount=Decimal("5000.00"),
        currency="EUR",
        status="approved",
        registered_on=date(2026, 3, 1),
        decided_on=date(2026, 3, 5),
    )
    row = _registration("DR-1", status="submitted", decided_on=None)
    report = records_upsert(
        kind="deal_registrations", rows=[(1, row)], actor="user:a", partner=acme, on=TODAY
    )
    assert _reasons(report) == [
        (
            1,
            "status",
            "The vendor has already decided this registration (status approved): it can no "
            "longer be changed (status, decided_on are the vendor's: leave them out).",
        )
    ]
    reg = DealRegistration.objects.get(external_id="DR-1")
    assert (reg.status, reg.decided_on) == ("approved", date(2026, 3, 5))
    # the stored status sent back, vendor dates left out: unchanged
    same = _registration("DR-1", status="approved")
    report = records_upsert(
        kind="deal_registrations", rows=[(1, same)], actor="user:a", partner=acme, on=TODAY
    )
    assert (report.unchanged, report.rejected) == (1, 0)


# -- 9. duplicates of a rejected row ----------


@pytest.mark.parametrize("chunk_size", [5000, 1])
def test_duplicate_of_a_rejected_row_does_not_say_the_first_is_kept(
    customer: None, chunk_size: int
) -> None:
    rows = _numbered(
        [_booking("BK-1", amount="-1"), _booking("BK-1"), _booking("BK-2"), _booking("BK-2")],
        start=2,
    )
    report = records_upsert(kind="bookings", rows=rows, actor=ACTOR, chunk_size=chunk_size)
    assert _reasons(report) == [
        (2, "amount", "amount cannot be negative."),
        (
            3,
            "external_id",
            "booking BK-1 already appears on row 2 of this upload, which is rejected too: "
            "neither is kept (keep one corrected row).",
        ),
        (
            5,
            "external_id",
            "booking BK-2 already appears on row 4 of this upload: only the first is kept.",
        ),
    ]
    assert (report.created, report.rejected) == (1, 3)


# -- 10. countries ----------


def test_countries_are_iso_3166_alpha_2() -> None:
    rows = _numbered([_partner(f"P-{c}") | {"country": c} for c in ("ZZ", "EU", "GB")], start=2)
    report = records_upsert(kind="partners", rows=rows, actor=ACTOR)
    assert _reasons(report) == [
        (2, "country", "country ZZ is not an ISO 3166-1 alpha-2 country code (such as FR)."),
        (3, "country", "country EU is not an ISO 3166-1 alpha-2 country code (such as FR)."),
    ]
    customers = records_upsert(
        kind="customers",
        rows=[(2, {"external_id": "CUS-9", "name": "X", "country": "XK"})],
        actor=ACTOR,
    )
    assert customers.rejected == 1
