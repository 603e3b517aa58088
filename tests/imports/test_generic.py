"""The generic mapping and the import semantics: every rejected row reported against its source
column, valid rows applied in one transaction, strict = all or nothing, dry run = exactly what a
real run would do, re-import idempotent, whole-file refusals naming what is missing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from partnerprogram.audit.models import AuditEvent
from partnerprogram.imports.models import ImportRun
from partnerprogram.imports.services import ImportRefused, file_import
from partnerprogram.sales.models import Booking
from tests.factories import CustomerFactory, PartnerFactory
from tests.imports.conftest import run_import

BOOKINGS = (
    "External ID;Booked On;Amount;Currency;Customer;Product Line;Channel;Transacting Partner;"
    "Comment\n"
    # row 2: valid, French number and date formats
    "BK-1;31/01/2026;1 234,50;EUR;C-1;rhel;indirect;P-1;first\n"
    # row 3: valid, direct
    "BK-2;01/02/2026;10,00;EUR;C-1;rhel;direct;;\n"
    # row 4: bad date (mm/dd is never guessed) and a missing amount: one row, two errors
    "BK-3;12/31/2026;;EUR;C-1;rhel;direct;;\n"
    # row 5: unknown customer
    "BK-4;02/02/2026;5,00;EUR;C-404;rhel;direct;;\n"
    # row 6: duplicate of row 2
    "BK-1;03/02/2026;7,00;EUR;C-1;rhel;direct;;\n"
)


@pytest.fixture
def refs() -> None:
    CustomerFactory(external_id="C-1")
    PartnerFactory(external_id="P-1")
    PartnerFactory(external_id="P-10")  # look-alike id


@pytest.mark.django_db
def test_valid_rows_are_applied_and_every_rejected_row_is_reported(refs, write_csv) -> None:
    path = write_csv("bookings.csv", BOOKINGS)
    report = run_import("bookings", path)

    # rows 2 and 3 created; rows 4, 5 and 6 rejected (row 4 has two errors)
    assert (report.created, report.updated, report.unchanged, report.rejected) == (2, 0, 0, 3)
    assert report.applied
    assert [(e.row, e.column, e.value) for e in report.errors] == [
        (4, "Booked On", "12/31/2026"),
        (4, "Amount", ""),
        (5, "Customer", "C-404"),
        (6, "External ID", "BK-1"),
    ]
    assert "already appears on row 2" in report.errors[3].reason
    assert report.delimiter == ";"
    assert report.notes and any("Comment" in note for note in report.notes)
    first = Booking.objects.get(external_id="BK-1")
    assert (first.booked_on, first.amount, first.transacting_partner.external_id) == (
        date(2026, 1, 31),
        Decimal("1234.50"),
        "P-1",
    )
    assert "decimal comma" in report.column_formats["Amount"]
    assert "dd/mm/yyyy" in report.column_formats["Booked On"]
    run = ImportRun.objects.get(pk=report.run_id)
    assert (run.kind, run.mapping, run.created, run.rejected, run.applied) == (
        "bookings",
        "generic",
        2,
        3,
        True,
    )
    assert len(run.report["errors"]) == 4 and run.sha256 == report.sha256


@pytest.mark.django_db
def test_a_dry_run_reports_exactly_what_a_real_run_does_and_writes_nothing(refs, write_csv) -> None:
    path = write_csv("bookings.csv", BOOKINGS)
    audit_before = AuditEvent.objects.count()
    dry = run_import("bookings", path, dry_run=True)
    assert Booking.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before
    assert not dry.applied
    real = run_import("bookings", path)
    assert (dry.created, dry.updated, dry.unchanged, dry.rejected) == (
        real.created,
        real.updated,
        real.unchanged,
        real.rejected,
    )
    assert dry.errors == real.errors
    assert dry.created_ids == real.created_ids == ["BK-1", "BK-2"]


@pytest.mark.django_db
def test_strict_applies_nothing_when_a_row_is_rejected(refs, write_csv) -> None:
    path = write_csv("bookings.csv", BOOKINGS)
    report = run_import("bookings", path, strict=True)
    assert not report.applied
    assert (report.created, report.rejected) == (2, 3)  # what would have happened
    assert Booking.objects.count() == 0
    # a row rejected by the mapping alone (a bad date) also blocks a strict import
    only_bad_date = write_csv(
        "b.csv",
        "external_id,booked_on,amount,currency,customer,product_line,channel\n"
        "BK-9,2026-01-01,1,EUR,C-1,rhel,direct\n"
        "BK-8,2026-13-01,1,EUR,C-1,rhel,direct\n",
    )
    report = run_import("bookings", only_bad_date, strict=True)
    assert (report.created, report.rejected, report.applied) == (1, 1, False)
    assert Booking.objects.count() == 0


@pytest.mark.django_db
def test_reimporting_changes_nothing_and_a_changed_row_is_updated(refs, write_csv) -> None:
    path = write_csv("bookings.csv", BOOKINGS)
    run_import("bookings", path)
    again = run_import("bookings", path)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 2, 3)
    changed = write_csv("changed.csv", BOOKINGS.replace("10,00;EUR", "11,00;EUR"))
    report = run_import("bookings", changed)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert report.updated_ids == ["BK-2"]
    assert Booking.objects.get(external_id="BK-2").amount == Decimal("11.00")


@pytest.mark.django_db
def test_missing_required_columns_refuse_the_whole_file(write_csv) -> None:
    path = write_csv("bookings.csv", "external_id,amount\nBK-1,1\n")
    with pytest.raises(ImportRefused) as refused:
        run_import("bookings", path)
    for column in ("booked_on", "currency", "customer", "product_line", "channel"):
        assert column in refused.value.reason
    assert "bookings.csv" in refused.value.reason
    assert ImportRun.objects.count() == 0


@pytest.mark.django_db
def test_unknown_kind_mapping_or_field_and_unreadable_files_are_refused(write_csv) -> None:
    path = write_csv("x.csv", "external_id\nA\n")
    with pytest.raises(ImportRefused, match="unknown kind 'deals'"):
        run_import("deals", path)
    with pytest.raises(ImportRefused, match="unknown mapping 'hubspot'"):
        run_import("customers", path, mapping="hubspot")
    with pytest.raises(ImportRefused, match="has no field 'colour'"):
        run_import("customers", path, defaults={"colour": "red"})
    with pytest.raises(ImportRefused, match="empty"):
        run_import("customers", write_csv("empty.csv", ""))
    with pytest.raises(ImportRefused, match="no such file"):
        run_import("customers", path.with_name("missing.csv"))


@pytest.mark.django_db
def test_set_fills_a_field_the_file_lacks_and_ragged_rows_are_rejected(write_csv) -> None:
    path = write_csv(
        "customers.csv",
        "EXTERNAL_ID,Name\nC-1,Acme\nC-2,Globex,extra cell\nC-3,'=cmd\n",
    )
    report = run_import("customers", path, defaults={"country": "fr"})
    # row 3 has 3 cells for 2 columns: unusable, reported; country set for every other row
    assert (report.created, report.rejected) == (2, 1)
    assert report.errors[0].row == 3
    from partnerprogram.sales.models import Customer

    assert dict(Customer.objects.values_list("external_id", "country")) == {
        "C-1": "FR",
        "C-3": "FR",
    }
    # the export's formula quote is removed on import
    assert Customer.objects.get(external_id="C-3").name == "=cmd"


@pytest.mark.django_db
def test_an_uploaded_stream_is_checked_against_the_previewed_hash(refs, write_csv) -> None:
    path = write_csv("bookings.csv", BOOKINGS)
    preview = run_import("bookings", path, dry_run=True)
    with (
        path.open("rb") as stream,
        pytest.raises(ImportRefused, match="differs from the one previewed"),
    ):
        file_import(
            kind="bookings",
            stream=stream,
            name="bookings.csv",
            actor="user:x",
            expected_sha256="0" * 64,
        )
    assert Booking.objects.count() == 0
    with path.open("rb") as stream:
        applied = file_import(
            kind="bookings",
            stream=stream,
            name="bookings.csv",
            actor="user:x",
            expected_sha256=preview.sha256,
        )
    assert applied.created == 2


@pytest.mark.django_db
def test_progress_is_reported_while_reading(refs, write_csv) -> None:
    lines = ["external_id,booked_on,amount,currency,customer,product_line,channel"]
    # 25,000 rows: progress every 10,000 rows, then once at the end
    lines += [f"BK-{n},2026-01-01,1,EUR,C-1,rhel,direct" for n in range(25_000)]
    path = write_csv("many.csv", "\n".join(lines) + "\n")
    calls: list[tuple[int, float | None]] = []
    report = run_import("bookings", path, dry_run=True, progress=lambda n, f: calls.append((n, f)))
    assert report.created == 25_000
    assert [n for n, _ in calls] == [10_000, 20_000, 25_000]
    assert calls[-1][1] == 1.0
