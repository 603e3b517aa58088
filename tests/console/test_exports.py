"""Exports: the generic CSV/XLSX writer, and every console list read back and compared."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.http import HttpResponseBase
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from partnerprogram.core.exports import csv_value, export_response
from tests.console.conftest import World, client_for
from tests.factories import DealRegistrationFactory


def _body(response: HttpResponseBase) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content  # type: ignore[attr-defined]


def _csv(response: HttpResponseBase) -> list[list[str]]:
    raw = _body(response)
    assert raw.startswith("\ufeff".encode())  # BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def _xlsx(response: HttpResponseBase) -> tuple[list[list[Any]], Any]:
    book = load_workbook(io.BytesIO(_body(response)))
    sheet = book.worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    return rows, sheet


ROWS: list[tuple[Any, ...]] = [
    ("P1", "Société Générale d'Études", Decimal("1234.50"), date(2026, 12, 31), True, None),
    ("P2", "=1+1", Decimal("-3"), datetime(2026, 10, 15, 12, 30), False, 7),
    ("P3", "+33 1 23", Decimal("0"), None, None, "@SUM(A1)"),
]
HEADER = ["id", "name", "amount", "on", "flag", "other"]


def test_csv_is_streamed_typed_and_safe() -> None:
    response = export_response(iter(ROWS), HEADER, filename="my list/2026", fmt="csv")
    assert response.streaming  # type: ignore[attr-defined]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="my-list-2026.csv"'
    assert _csv(response) == [
        HEADER,
        ["P1", "Société Générale d'Études", "1234.50", "2026-12-31", "true", ""],
        ["P2", "'=1+1", "-3", "2026-10-15T12:30:00", "false", "7"],
        ["P3", "'+33 1 23", "0", "", "", "'@SUM(A1)"],
    ]


def test_xlsx_keeps_types_and_never_writes_a_formula() -> None:
    response = export_response(ROWS, HEADER, filename="list.csv", fmt="xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="list.xlsx"'
    rows, sheet = _xlsx(response)
    assert rows[0] == HEADER
    assert sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2"
    assert rows[1] == [
        "P1",
        "Société Générale d'Études",
        1234.5,
        datetime(2026, 12, 31),
        True,
        None,
    ]
    assert rows[2] == ["P2", "=1+1", -3, datetime(2026, 10, 15, 12, 30), False, 7]
    assert sheet["B3"].data_type == "s"  # text, not a formula
    assert sheet["F4"].value == "@SUM(A1)" and sheet["F4"].data_type == "s"
    assert sheet["D2"].number_format == "yyyy-mm-dd"


def test_negative_numbers_stay_numbers_in_csv() -> None:
    # a number is data whatever its sign: only text starting with - is a possible formula
    assert [csv_value(v) for v in (-1, -4.5, Decimal("-525000.10"), 0)] == [
        "-1",
        "-4.5",
        "-525000.10",
        "0",
    ]
    assert csv_value("-1+cmd") == "'-1+cmd"


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown export format"):
        export_response([], HEADER, filename="x", fmt="pdf")  # type: ignore[arg-type]


@pytest.mark.django_db
def test_directory_export_holds_every_filtered_partner(world: World) -> None:
    client = client_for(world.carol)
    query = "?q=alpha&per_page=10&page=1"
    header = [
        "External id",
        "Name",
        "City",
        "Country",
        "Partner status",
        "Tier",
        "Standing status",
        "Tracks",
        "Pending claims",
        "At risk",
        "Contact email",
    ]
    expected = [
        [
            "ALPHA",
            "Alpha Conseil",
            "Paris",
            "FR",
            "active",
            "premier",
            "provisional",
            "solution_provider",
            "1",
            "false",
            "alpha@example.test",
        ],
        [
            "BETA",
            "Alpha Conseil Bis",
            "Lyon",
            "FR",
            "active",
            "premier",
            "provisional",
            "solution_provider",
            "1",
            "true",
            "beta@example.test",
        ],
    ]
    response = client.get(f"/console/partners/{query}&format=csv")
    assert response["Content-Disposition"] == 'attachment; filename="partners-2026-10-15.csv"'
    assert _csv(response) == [header, *expected]
    rows, _sheet = _xlsx(client.get(f"/console/partners/{query}&format=xlsx"))
    assert rows[0] == header
    assert rows[1:] == [[*r[:8], int(r[8]), r[9] == "true", r[10]] for r in expected]
    # the same filters as the page, every page
    everyone = _csv(client.get("/console/partners/?per_page=10&format=csv"))
    assert [r[0] for r in everyone[1:]] == ["ALPHA", "BETA", "DELTA", "GAMMA", "OMEGA"]


@pytest.mark.django_db
def test_approvals_exports(world: World) -> None:
    client = client_for(world.carol)
    rows = _csv(client.get("/console/approvals/?format=csv"))
    assert rows[0][:3] == ["Registration", "Partner id", "Partner"]
    assert [(r[0], r[1], r[3], r[5], r[8]) for r in rows[1:]] == [
        ("DR-A1", "ALPHA", "Mairie de Lyon", "12500.00", "submitted"),
        ("DR-B1", "BETA", '\'=HYPERLINK("http://x.test")', "10000.00", "submitted"),
    ]
    sheet_rows, sheet = _xlsx(client.get("/console/approvals/?format=xlsx"))
    assert sheet_rows[2][3] == '=HYPERLINK("http://x.test")'
    assert sheet["D3"].data_type == "s"
    assert sheet_rows[1][5] == 12500 and sheet_rows[1][7] == datetime(2026, 10, 1)
    influence = _csv(client.get("/console/approvals/?kind=influence&format=csv"))
    assert influence[0][0] == "Opportunity"
    assert [(r[0], r[1], r[5], r[8]) for r in influence[1:]] == [
        ("OPP-A1", "ERP rollout", "ALPHA", "pending")
    ]


@pytest.mark.django_db
def test_claims_export(world: World) -> None:
    client = client_for(world.carol)
    rows = _csv(client.get("/console/claims/?status=pending&format=csv"))
    assert rows[0][:6] == ["Claim", "Partner id", "Partner", "Track", "Claimed tier", "Status"]
    # latest filed first; at risk with the latest assessed tier and its date
    assert [(r[1], r[3], r[4], r[5], r[11], r[12], r[13]) for r in rows[1:]] == [
        ("GAMMA", "consulting", "advanced", "pending", "true", "ready", "2026-10-01"),
        ("ALPHA", "solution_provider", "premier", "pending", "false", "premier", "2026-10-01"),
        ("BETA", "solution_provider", "premier", "pending", "true", "advanced", "2026-10-01"),
    ]
    assert rows[1][7].startswith("2026-09-25T10:00:00")  # local time of filing
    sheet_rows, _sheet = _xlsx(client.get("/console/claims/?at_risk=yes&format=xlsx"))
    assert [r[1] for r in sheet_rows[1:]] == ["GAMMA", "BETA"]
    assert sheet_rows[1][7] == datetime(2026, 9, 25, 10, 0)


@pytest.mark.django_db
def test_export_query_count_does_not_depend_on_the_rows(world: World) -> None:
    client = client_for(world.carol)

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            _body(client.get(url))
        return len(queries)

    urls = (
        "/console/approvals/?format=csv",
        "/console/approvals/?format=xlsx",
        "/console/partners/?format=csv",
        "/console/claims/?format=csv",
    )
    before = {u: count(u) for u in urls}
    for _ in range(40):
        DealRegistrationFactory(
            partner=world.gamma, status="submitted", registered_on=date(2026, 10, 3)
        )
    assert {u: count(u) for u in urls} == before
