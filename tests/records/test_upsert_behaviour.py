"""``records_upsert``: counts, idempotence, duplicates, unknown references, all-or-nothing,
dry run, streaming, audit. Expected values are computed by hand from the rows written in each
test (the comments say how)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerprogram.audit.models import AuditEvent
from partnerprogram.core import records as records_module
from partnerprogram.core.records import records_upsert
from partnerprogram.core.upserts import RowError, UpsertRefused
from partnerprogram.partners.models import Partner, Person
from partnerprogram.sales.models import Booking
from tests.factories import CustomerFactory, PartnerFactory, PersonFactory

pytestmark = pytest.mark.django_db

ACTOR = "system:test"


def _booking(ext: str, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "external_id": ext,
        "booked_on": "2026-03-01",
        "amount": "1000.00",
        "currency": "EUR",
        "customer": "CUS-1",
        "product_line": "rhel",
        "channel": "indirect",
        "transacting_partner": "P-1",
    }
    row.update(over)
    return row


def _numbered(rows: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """File numbering: the header is line 1, the first data row line 2."""
    return [(i + 2, row) for i, row in enumerate(rows)]


@pytest.fixture
def refs() -> None:
    PartnerFactory(external_id="P-1", name="Alpha")
    CustomerFactory(external_id="CUS-1")


def test_created_updated_unchanged_counts() -> None:
    PartnerFactory(external_id="P-A", name="Alpha", country="FR")
    PartnerFactory(external_id="P-B", name="Beta", country="FR")
    rows = [
        {"external_id": "P-A", "name": "Alpha", "country": "FR"},  # same values: unchanged
        {"external_id": "P-B", "name": "Beta SAS", "country": "FR"},  # new name: updated
        {"external_id": "P-C", "name": "Gamma", "country": "BE"},  # new id: created
    ]
    report = records_upsert(kind="partners", rows=_numbered(rows), actor=ACTOR)
    assert (report.created, report.updated, report.unchanged, report.rejected) == (1, 1, 1, 0)
    assert report.created_ids == ["P-C"]
    assert report.updated_ids == ["P-B"]
    assert report.applied is True
    assert Partner.objects.get(external_id="P-B").name == "Beta SAS"
    gamma = Partner.objects.get(external_id="P-C")
    # absent optional fields take the model defaults on creation
    assert (gamma.country, gamma.status, gamma.city, gamma.joined_on) == ("BE", "active", "", None)


def test_absent_optional_field_kept_blank_one_cleared() -> None:
    PartnerFactory(external_id="P-A", name="Alpha", city="Paris", joined_on=date(2020, 1, 1))
    # city absent -> kept (Paris); joined_on blank -> cleared (None): one field changed
    report = records_upsert(
        kind="partners",
        rows=[(2, {"external_id": "P-A", "name": "Alpha", "country": "FR", "joined_on": " "})],
        actor=ACTOR,
    )
    assert (report.updated, report.unchanged) == (1, 0)
    partner = Partner.objects.get(external_id="P-A")
    assert (partner.city, partner.joined_on) == ("Paris", None)


def test_same_rows_twice_is_idempotent(refs: None) -> None:
    rows = _numbered([_booking(f"BK-{i}") for i in range(5)])
    first = records_upsert(kind="bookings", rows=rows, actor=ACTOR)
    second = records_upsert(kind="bookings", rows=rows, actor=ACTOR)
    assert (first.created, first.updated, first.unchanged) == (5, 0, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 5)
    assert Booking.objects.count() == 5


def test_values_as_python_objects_equal_their_text(refs: None) -> None:
    records_upsert(kind="bookings", rows=[(2, _booking("BK-1"))], actor=ACTOR)
    # the same booking with a date, a Decimal with fewer decimals and an extra column
    again = _booking("BK-1", booked_on=date(2026, 3, 1), amount=Decimal("1000"), note="x")
    report = records_upsert(kind="bookings", rows=[(2, again)], actor=ACTOR)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)


def test_numbers_for_text_fields_are_taken_as_text() -> None:
    # a spreadsheet's numeric cells: id 42, SIREN 552100554
    report = records_upsert(
        kind="partners",
        rows=[(2, {"external_id": 42, "name": "Num", "country": "FR", "siren": 552100554})],
        actor=ACTOR,
    )
    assert report.created_ids == ["42"]
    assert Partner.objects.get(external_id="42").siren == "552100554"


def test_duplicates_within_a_call_keep_the_first(refs: None) -> None:
    rows = _numbered(
        [
            _booking("BK-1", amount="10.00"),  # row 2, kept
            _booking("BK-2"),  # row 3
            _booking("BK-1", amount="20.00"),  # row 4: duplicate of row 2
            _booking("BK-1", amount="30.00"),  # row 5: duplicate of row 2
        ]
    )
    report = records_upsert(kind="bookings", rows=rows, actor=ACTOR, chunk_size=2)
    assert (report.created, report.rejected) == (2, 2)
    assert report.errors == [
        RowError(
            row=n,
            column="external_id",
            value="BK-1",
            reason="booking BK-1 already appears on row 2 of this upload: only the first is kept.",
        )
        for n in (4, 5)
    ]
    assert Booking.objects.get(external_id="BK-1").amount == Decimal("10.00")


def test_unknown_references_one_error_each(refs: None) -> None:
    rows = _numbered(
        [
            _booking("BK-1", customer="CUS-404"),
            _booking("BK-2", transacting_partner="P-404"),
            _booking("BK-3", influencing_partner="P-1"),  # known: created
        ]
    )
    report = records_upsert(kind="bookings", rows=rows, actor=ACTOR)
    assert report.errors == [
        RowError(2, "customer", "CUS-404", "Unknown customer: no customer has this external id."),
        RowError(
            3, "transacting_partner", "P-404", "Unknown partner: no partner has this external id."
        ),
    ]
    assert (report.created, report.rejected) == (1, 2)


def test_field_errors_name_row_column_value_and_reason() -> None:
    rows = [
        (
            7,
            {
                "external_id": "P-X",
                "name": "",
                "country": "France",
                "joined_on": "31/12/2024",
                "contact_email": "not-an-address",
                "status": "gold",
            },
        )
    ]
    report = records_upsert(kind="partners", rows=rows, actor=ACTOR)
    assert report.rejected == 1
    assert {(e.row, e.column, e.value) for e in report.errors} == {
        (7, "name", ""),
        (7, "country", "France"),
        (7, "joined_on", "31/12/2024"),
        (7, "contact_email", "not-an-address"),
        (7, "status", "gold"),
    }
    reasons = {e.column: e.reason for e in report.errors}
    assert reasons["name"] == "name is required."
    assert reasons["status"] == "status must be one of: active, suspended, terminated."
    assert (
        reasons["joined_on"] == "joined_on is not a date: write it as YYYY-MM-DD (e.g. 2026-09-30)."
    )


def test_all_or_nothing_refusal_leaves_the_database_untouched(refs: None) -> None:
    records_upsert(kind="bookings", rows=[(2, _booking("BK-0"))], actor=ACTOR)
    before = (Booking.objects.count(), AuditEvent.objects.count())
    rows = _numbered(
        [
            _booking("BK-0", amount="5.00"),  # would update
            _booking("BK-1"),  # would create
            _booking("BK-2", amount="-1"),  # rejected: negative
        ]
    )
    with pytest.raises(UpsertRefused) as refused:
        records_upsert(kind="bookings", rows=rows, actor=ACTOR, all_or_nothing=True)
    report = refused.value.report
    assert report.applied is False
    assert report.errors == [RowError(4, "amount", "-1", "amount cannot be negative.")]
    assert (Booking.objects.count(), AuditEvent.objects.count()) == before
    assert Booking.objects.get(external_id="BK-0").amount == Decimal("1000.00")


def test_dry_run_reports_exactly_what_the_real_run_does(refs: None) -> None:
    records_upsert(kind="bookings", rows=[(2, _booking("BK-0"))], actor=ACTOR)
    rows = _numbered(
        [
            _booking("BK-0", amount="5.00"),
            _booking("BK-1"),
            _booking("BK-1"),
            _booking("BK-2", customer="CUS-9"),
        ]
    )
    dry = records_upsert(kind="bookings", rows=rows, actor=ACTOR, dry_run=True)
    assert Booking.objects.count() == 1  # nothing written
    assert Booking.objects.get(external_id="BK-0").amount == Decimal("1000.00")
    real = records_upsert(kind="bookings", rows=rows, actor=ACTOR)
    assert (dry.applied, real.applied) == (False, True)
    dry.applied = True
    assert dry == real
    # by hand: BK-0 updated, BK-1 created, row 4 duplicate, row 5 unknown customer
    assert (real.created, real.updated, real.unchanged, real.rejected) == (1, 1, 0, 2)
    assert Booking.objects.count() == 2


def test_one_summary_audit_event_per_applied_call(refs: None) -> None:
    rows = _numbered([_booking("BK-1"), _booking("BK-2"), _booking("BK-3", currency="eur")])
    records_upsert(kind="bookings", rows=rows, actor="user:ops")
    event = AuditEvent.objects.get(action="records.upserted")
    assert (event.actor, event.object_type, event.object_id) == (
        "user:ops",
        "sales.booking",
        "bookings",
    )
    assert event.changes == {
        "created": [None, 2],
        "updated": [None, 0],
        "unchanged": [None, 0],
        "rejected": [None, 1],
    }


def test_streaming_in_chunks_reports_progress(refs: None) -> None:
    done: list[int] = []

    def rows():  # a generator: records_upsert must not need len()
        for i in range(5):
            yield (i + 2, _booking(f"BK-{i}"))

    report = records_upsert(
        kind="bookings", rows=rows(), actor=ACTOR, chunk_size=2, progress=done.append
    )
    assert done == [2, 4, 5]
    assert report.created == 5


def test_a_crash_rolls_everything_back(refs: None) -> None:
    def rows():
        yield (2, _booking("BK-1"))
        yield (3, _booking("BK-2"))
        raise RuntimeError("the file reader failed")

    with pytest.raises(RuntimeError):
        records_upsert(kind="bookings", rows=rows(), actor=ACTOR, chunk_size=1)
    assert Booking.objects.count() == 0  # chunk 1 (BK-1) was written, then rolled back


def test_ids_are_capped_counts_are_not(refs: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records_module, "ID_CAP", 2)
    report = records_upsert(
        kind="bookings", rows=_numbered([_booking(f"BK-{i}") for i in range(3)]), actor=ACTOR
    )
    assert report.created == 3
    assert report.created_ids == ["BK-0", "BK-1"]


@pytest.mark.parametrize("size", [10, 200])
def test_query_count_does_not_grow_with_rows(refs: None, size: int) -> None:
    # Half the rows exist (updated), half are new; each row names the customer, a reseller and
    # an influencer. Expected statements, by hand (savepoints left out): the exchange rates'
    # currencies and the programs' currencies (once per call), the customers lookup, the
    # partners lookup (reseller and influencer together), the stored bookings lookup, one
    # INSERT (executemany), one UPDATE (executemany), the audit INSERT = 8, for 10 and 200 rows.
    PartnerFactory(external_id="P-2")
    records_upsert(
        kind="bookings",
        rows=_numbered([_booking(f"BK-{i}") for i in range(size // 2)]),
        actor=ACTOR,
    )
    rows = _numbered(
        [_booking(f"BK-{i}", amount="7.00", influencing_partner="P-2") for i in range(size)]
    )
    with CaptureQueriesContext(connection) as ctx:
        report = records_upsert(kind="bookings", rows=rows, actor=ACTOR)
    assert (report.created, report.updated) == (size - size // 2, size // 2)
    statements = [
        q["sql"]
        for q in ctx.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN"))
    ]
    assert len(statements) == 8


def test_people_unique_employment_checked_before_the_database() -> None:
    partner = PartnerFactory(external_id="P-1")
    PersonFactory(
        external_id="PER-1", partner=partner, email="a@x.test", employed_from=date(2024, 1, 1)
    )
    rows = _numbered(
        [
            # same partner, e-mail and start as the stored PER-1, another external id
            {
                "external_id": "PER-2",
                "partner": "P-1",
                "email": "a@x.test",
                "employed_from": "2024-01-01",
            },
            {
                "external_id": "PER-3",
                "partner": "P-1",
                "email": "b@x.test",
                "employed_from": "2024-01-01",
            },
            # same as row 3 within the upload
            {
                "external_id": "PER-4",
                "partner": "P-1",
                "email": "b@x.test",
                "employed_from": "2024-01-01",
            },
        ]
    )
    report = records_upsert(kind="people", rows=rows, actor=ACTOR)
    assert (report.created, report.rejected) == (1, 2)
    assert [(e.row, e.column) for e in report.errors] == [(2, "partner"), (4, "partner")]
    assert report.errors[1].reason == (
        "Row 3 of this upload already has the same partner, email, employed_from: "
        "a person is unique on them."
    )
    assert Person.objects.count() == 2


def test_unknown_kind_and_bad_chunk_size() -> None:
    with pytest.raises(KeyError):
        records_upsert(kind="invoices", rows=[], actor=ACTOR)
    with pytest.raises(ValueError):
        records_upsert(kind="partners", rows=[], actor=ACTOR, chunk_size=0)
