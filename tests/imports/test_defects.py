"""Defects a tester found in the imports, each pinned by a case that failed before its fix:
unterminated quotes losing rows, duplicate headers by case/space, "1.250" in a ;-separated file,
export/re-import of "NULL" and "'=x", stale console previews, --set/--partner against a column
of the file, empty-looking rows, NUL characters, the value shown in errors, and the JSON output
of a refused file. Every expected value is worked out by hand from the file in the test."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from partnerprogram.imports.exports import fact_export_write
from partnerprogram.imports.mappings.convert import unquote_formula
from partnerprogram.imports.models import ImportRun
from partnerprogram.imports.readers import ReadError, table_open
from partnerprogram.imports.services import ImportRefused
from partnerprogram.imports.values import CellError, ColumnFormats, decimal_parse
from partnerprogram.partners.models import Person
from partnerprogram.sales.models import Booking, Customer
from tests.console.conftest import client_for, make_user
from tests.factories import CustomerFactory, PartnerFactory
from tests.imports.conftest import run_import

# ------------------------------------------------------------------ 1. unterminated quotes

UNCLOSED = 'external_id,name,country\nT-Q1,"open,FR\nT-Q2,Two,FR\nT-Q3,Three,FR\n'


@pytest.mark.django_db
def test_an_unterminated_quote_refuses_the_whole_file(write_csv) -> None:
    # the quote opened on row 2 is never closed: rows 3 and 4 would vanish inside it
    with pytest.raises(ImportRefused) as caught:
        run_import("customers", write_csv("q.csv", UNCLOSED))
    assert (caught.value.file, caught.value.row) == ("q.csv", 2)
    assert caught.value.detail.startswith("unterminated quote starting at row 2")
    assert Customer.objects.count() == 0
    assert ImportRun.objects.count() == 0


@pytest.mark.django_db
def test_an_unterminated_quote_after_many_good_rows_applies_nothing(write_csv) -> None:
    # 12,000 good rows (rows 2..12001), the bad row 12002, then 10 more: refused, not 12,000
    # created and 10 lost
    good = "".join(f"C-{n},Name {n},FR\n" for n in range(12_000))
    tail = "".join(f"Z-{n},Tail {n},FR\n" for n in range(10))
    path = write_csv("big.csv", "external_id,name,country\n" + good + 'BAD,"open,FR\n' + tail)
    with pytest.raises(ImportRefused) as caught:
        run_import("customers", path)
    assert caught.value.row == 12_002
    assert Customer.objects.count() == 0


def test_a_quote_closed_by_a_later_row_is_refused_too(tmp_path: Path) -> None:
    # the quote of row 2 is "closed" by the opening quote of row 4's "Three": the cell would
    # hold rows 3 and 4, and its second line "T-Q2,Two,FR" has the header's 3 cells
    path = tmp_path / "q.csv"
    path.write_text(
        'external_id,name,country\nT-Q1,"open,FR\nT-Q2,Two,FR\nT-Q3,"Three",FR\nT-Q4,4,FR\n'
    )
    with table_open(path=path) as table, pytest.raises(ReadError) as caught:
        list(table.rows())
    assert caught.value.row == 2
    assert "line 2 of a quoted cell has 3 cells" in caught.value.reason


def test_legitimate_multi_line_cells_still_read(tmp_path: Path) -> None:
    # a two-line address with one comma per line: 2 cells per inner line, header has 3
    path = tmp_path / "m.csv"
    path.write_text(
        'external_id,name,country\nC-1,"Line one, A\nline two, B",FR\nC-2,Two,FR\n"C-3",x,"FR"'
    )
    with table_open(path=path) as table:
        rows = list(table.rows())
    assert rows == [
        (2, {"external_id": "C-1", "name": "Line one, A\nline two, B", "country": "FR"}),
        (3, {"external_id": "C-2", "name": "Two", "country": "FR"}),
        (4, {"external_id": "C-3", "name": "x", "country": "FR"}),
    ]


# ------------------------------------------------------------------- 2. duplicate headers


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "header", "first", "second"),
    [
        ("partners", "external_id,name,country,joined on,joined_on", "joined on", "joined_on"),
        ("customers", "external_id,Name,NAME", "Name", "NAME"),
    ],
)
def test_two_columns_for_one_field_refuse_the_file(write_csv, kind, header, first, second):
    path = write_csv("h.csv", header + "\n")
    with pytest.raises(ImportRefused) as caught:
        run_import(kind, path)
    assert f"columns {first!r} and {second!r} both map to the field" in caught.value.reason


@pytest.mark.django_db
def test_repeated_ignored_columns_are_allowed(write_csv) -> None:
    path = write_csv("h.csv", "external_id,name,notes,Notes\nC-1,One,a,b\n")
    report = run_import("customers", path)
    assert (report.created, report.rejected) == (1, 0)


# ------------------------------------------------------------ 3. "1.250" in a ;-separated file


def test_a_dot_before_three_digits_is_ambiguous_in_a_semicolon_file() -> None:
    with pytest.raises(CellError, match="ambiguous"):
        decimal_parse("1.250", dot_thousands=True)
    assert decimal_parse("1.250") == Decimal("1.250")  # a ,-separated file: a decimal point
    assert decimal_parse("1.25", dot_thousands=True) == Decimal("1.25")  # 2 digits: no group
    assert decimal_parse("1.250.000", dot_thousands=True) == Decimal(1250000)
    formats = ColumnFormats(dot_thousands=True)
    assert formats.decimal("amount", "12,50") == Decimal("12.50")  # shows a decimal comma
    assert formats.decimal("amount", "1.250") == Decimal(1250)  # so "." groups thousands


BOOKING_HEAD = "external_id{d}booked_on{d}amount{d}currency{d}customer{d}product_line{d}channel\n"


@pytest.mark.django_db
def test_one_point_two_five_zero_is_rejected_in_a_semicolon_file_not_stored(write_csv) -> None:
    CustomerFactory(external_id="C-1")
    path = write_csv(
        "b.csv", BOOKING_HEAD.format(d=";") + "T-A1;2026-01-01;1.250;EUR;C-1;rhel;direct\n"
    )
    report = run_import("bookings", path)
    assert (report.created, report.rejected) == (0, 1)
    error = report.errors[0]
    assert (error.row, error.column, error.value) == (2, "amount", "1.250")
    assert "ambiguous" in error.reason
    comma = write_csv(
        "c.csv", BOOKING_HEAD.format(d=",") + "T-A1,2026-01-01,1.250,EUR,C-1,rhel,direct\n"
    )
    assert run_import("bookings", comma).created == 1
    assert Booking.objects.get().amount == Decimal("1.25")  # decimal point: 1.250 = 1.25


# ------------------------------------------------------------ 4. export / re-import round trip

TRICKY_NAMES = ["NULL", "null", "'=x", "=SUM(A1)", "''y", "-5", "'plain"]


def test_the_import_removes_exactly_one_escaping_quote() -> None:
    assert unquote_formula("'NULL") == "NULL"
    assert unquote_formula("''=x") == "'=x"
    assert unquote_formula("'=x") == "=x"
    assert unquote_formula("'plain") == "'plain"  # not an escape: kept


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_tricky_names_round_trip_through_an_export(tmp_path: Path, fmt) -> None:
    for number, name in enumerate(TRICKY_NAMES):
        CustomerFactory(external_id=f"C-{number}", name=name)
    path = tmp_path / f"customers.{fmt}"
    assert fact_export_write(kind="customers", path=path, fmt=fmt) == 7
    if fmt == "csv":
        text = path.read_text(encoding="utf-8-sig")
        # NULL/null and texts starting with ' get one more '; =SUM and -5 the formula '
        for written in ("'NULL", "'null", "''=x", "'=SUM(A1)", "'''y", "'-5", "''plain"):
            assert f",{written}," in text
    report = run_import("customers", path)
    # 7 rows, every one identical to the stored one
    assert (report.unchanged, report.updated, report.rejected) == (7, 0, 0)
    assert sorted(Customer.objects.values_list("name", flat=True)) == sorted(TRICKY_NAMES)


# ----------------------------------------------------------------- 5. stale console previews


@pytest.mark.django_db
def test_a_preview_older_than_a_day_is_not_applied(tmp_path: Path, write_csv) -> None:
    with override_settings(IMPORT_UPLOAD_DIR=tmp_path / "uploads"):
        client: Client = client_for(make_user("carol", "channel_manager"))
        from django.core.files.uploadedfile import SimpleUploadedFile

        data = b"external_id,name\nC-1,One\n"
        response = client.post(
            reverse("console:imports"),
            {"file": SimpleUploadedFile("c.csv", data), "kind": "customers", "mapping": "generic"},
        )
        run_id = int(response["Location"].rsplit("run=", 1)[1])
        ImportRun.objects.filter(pk=run_id).update(
            started_at=timezone.now() - timedelta(days=1, minutes=1)
        )
        page = client.get(reverse("console:imports"), {"run": run_id})
        assert page.context["can_apply"] is False
        response = client.post(reverse("console:imports"), {"run": run_id}, follow=True)
        text = response.content.decode()
        assert "more than a day old" in text
        assert Customer.objects.count() == 0
        assert ImportRun.objects.count() == 1  # the preview only: nothing was applied


# ------------------------------------------------------ 6. --set / --partner against a column


@pytest.mark.django_db
def test_set_conflicting_with_a_column_of_the_file_is_refused(write_csv) -> None:
    CustomerFactory(external_id="C-1")
    path = write_csv(
        "set.csv", BOOKING_HEAD.format(d=",") + "B-1,2026-01-01,10.00,EUR,C-1,rhel,direct\n"
    )
    with pytest.raises(ImportRefused) as caught:
        run_import("bookings", path, defaults={"product_line": "openshift"})
    assert "--set product_line conflicts with the file's column product_line" in str(
        caught.value.reason
    )
    assert Booking.objects.count() == 0


@pytest.mark.django_db
def test_partner_option_needs_a_partner_field_absent_from_the_file(write_csv) -> None:
    PartnerFactory(external_id="P-1")
    PartnerFactory(external_id="P-2")
    with_column = write_csv(
        "move.csv",
        "external_id,partner,email,employed_from\nPER-1,P-2,a@x.example,2026-01-01\n",
    )
    with pytest.raises(ImportRefused, match="--partner conflicts with the file's column partner"):
        run_import("people", with_column, defaults={"partner": "P-1"})
    with pytest.raises(ImportRefused, match="kind 'customers' has no partner field"):
        run_import(
            "customers",
            write_csv("c.csv", "external_id,name\nC-1,One\n"),
            defaults={"partner": "P-1"},
        )
    without = write_csv("p.csv", "external_id,email,employed_from\nPER-1,a@x.example,2026-01-01\n")
    report = run_import("people", without, defaults={"partner": "P-1"})
    assert report.created == 1
    assert Person.objects.get().partner.external_id == "P-1"


# -------------------------------------------------------------------- 7. empty-looking rows


@pytest.mark.django_db
def test_rows_of_empty_cells_are_skipped_and_counted(write_csv) -> None:
    # rows 3 (",,"), 4 (spaces) and 6 (",,") are empty-looking: 3 skipped; C-2 is on row 5
    path = write_csv("e.csv", "external_id,name,country\nC-1,One,FR\n,,\n   \nC-2,,FR\n,,\n")
    report = run_import("customers", path)
    assert (report.created, report.rejected) == (1, 1)  # C-2 has no name: a real problem
    assert (report.errors[0].row, report.errors[0].reason) == (5, "missing name")
    assert "skipped 3 empty row(s) (every cell empty or spaces)" in report.notes


# -------------------------------------------------------------------------- 8. NUL characters


@pytest.mark.django_db
def test_a_nul_character_rejects_its_row_naming_the_column(write_csv) -> None:
    path = write_csv("n.csv", "external_id,name,country\nC-1,On\x00e,FR\nC-2,Two,FR\n")
    report = run_import("customers", path)
    assert (report.created, report.rejected) == (1, 1)
    error = report.errors[0]
    assert (error.row, error.column, error.value, error.reason) == (
        2,
        "name",
        "On\\x00e",
        "contains a NUL character",
    )
    assert list(Customer.objects.values_list("external_id", flat=True)) == ["C-2"]


# ------------------------------------------------------- 9. values shown, JSON of a refusal


@pytest.mark.django_db
def test_an_upsert_error_shows_the_value_as_the_file_writes_it(write_csv) -> None:
    CustomerFactory(external_id="C-1")
    # row 2 sets the column's decimal comma; row 3's 10,555 has 3 decimals: the upsert refuses
    # it, and the report shows the file's "10,555", not the converted "10.555"
    path = write_csv(
        "v.csv",
        BOOKING_HEAD.format(d=";")
        + "B-1;2026-01-01;12,50;EUR;C-1;rhel;direct\n"
        + "B-2;2026-01-01;10,555;EUR;C-1;rhel;direct\n",
    )
    report = run_import("bookings", path)
    assert (report.created, report.rejected) == (1, 1)
    assert (report.errors[0].row, report.errors[0].column, report.errors[0].value) == (
        3,
        "amount",
        "10,555",
    )


@pytest.mark.django_db
def test_a_refused_file_prints_a_json_error_with_format_json(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text(UNCLOSED)
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import", "customers", str(path), "--format", "json", stdout=out)
    assert caught.value.returncode == 2
    data = json.loads(out.getvalue())
    assert (data["file"], data["row"], data["column"]) == ("q.csv", 2, None)
    assert data["reason"].startswith("unterminated quote starting at row 2")
    assert data["error"].startswith("q.csv, row 2: unterminated quote")
