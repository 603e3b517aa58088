"""Lists: pagination counts, filters, ordering, CSV/XLSX exports, and a query budget
independent of the number of rows."""

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import World, auth
from tests.factories import BookingFactory, CustomerFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(world: World) -> None:
    """23 more people of A (PER-A1-00..22), employed from 1 Jan 2021 + n months for n < 12,
    then from 2022; job role sales for even n, technical for odd n."""
    for n in range(23):
        PersonFactory(
            external_id=f"PER-A1-{n:02d}",
            partner=world.a,
            last_name=f"Name{22 - n:02d}",
            employed_from=date(2021 + n // 12, n % 12 + 1, 1),
            job_role="sales" if n % 2 == 0 else "technical",
        )


def test_pages_cover_the_list_once(client, world: World, staff) -> None:
    # A has 1 + 23 = 24 people: pages of 10 -> 10, 10, 4
    seen = []
    for offset, size in ((0, 10), (10, 10), (20, 4)):
        page = client.get(f"/api/v1/people?limit=10&offset={offset}", **auth(world.a_token)).json()
        assert (page["count"], page["limit"], page["offset"]) == (24, 10, offset)
        assert len(page["items"]) == size
        seen += [p["external_id"] for p in page["items"]]
    assert len(set(seen)) == 24
    beyond = client.get("/api/v1/people?limit=10&offset=30", **auth(world.a_token)).json()
    assert (beyond["count"], beyond["items"]) == (24, [])


def test_filters(client, world: World, staff) -> None:
    # sales: even n of 0..22 -> 12 people (PER-A1 itself is technical)
    sales = client.get("/api/v1/people?job_role=sales", **auth(world.a_token)).json()
    assert sales["count"] == 12
    # employed on 2021-06-15: the fixture person (from 2020) + n = 0..5 -> 7
    on = client.get("/api/v1/people?employed_on=2021-06-15", **auth(world.a_token)).json()
    assert on["count"] == 7


def test_ordering(client, world: World, staff) -> None:
    page = client.get(
        "/api/v1/people?ordering=-employed_from&limit=3", **auth(world.a_token)
    ).json()
    # latest starts: n = 22 (2022-11-01), 21 (2022-10-01), 20 (2022-09-01)
    assert [p["external_id"] for p in page["items"]] == ["PER-A1-22", "PER-A1-21", "PER-A1-20"]
    page = client.get("/api/v1/people?ordering=last_name&limit=2", **auth(world.a_token)).json()
    # the fixture's person is "Last<n>" ("L" < "N"), then Name00 (n = 22), Name01 (n = 21)...
    assert [p["external_id"] for p in page["items"]] == ["PER-A1", "PER-A1-22"]


def test_unknown_ordering_is_a_422_naming_the_parameter(client, world: World) -> None:
    response = client.get("/api/v1/people?ordering=salary", **auth(world.a_token))
    assert response.status_code == 422
    assert [e["parameter"] for e in response.json()["errors"]] == ["ordering"]


def test_csv_export_holds_the_whole_filtered_list(client, world: World, staff) -> None:
    response = client.get("/api/v1/people?format=csv&job_role=sales&limit=1", **auth(world.a_token))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    # every page: the 12 sales people, none of B's
    assert len(rows) == 12
    assert {r["partner"] for r in rows} == {"P-A1"}
    assert "external_id" in rows[0]


def test_xlsx_export(client, world: World) -> None:
    response = client.get("/api/v1/bookings?format=xlsx", **auth(world.a_token))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    values = list(book.active.iter_rows(values_only=True))
    header, rows = values[0], values[1:]
    assert len(rows) == 1
    assert rows[0][header.index("external_id")] == "BK-A1"


def test_accept_header_asks_for_csv(client, world: World) -> None:
    response = client.get("/api/v1/cloud-usage", HTTP_ACCEPT="text/csv", **auth(world.a_token))
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    # header + A's one row
    assert len(text.strip().splitlines()) == 2 and "CU-A1" in text and "CU-A1B" not in text
    as_json = client.get("/api/v1/cloud-usage", HTTP_ACCEPT="*/*", **auth(world.a_token))
    assert as_json["Content-Type"] == "application/json; charset=utf-8"


def test_program_lists_export_too(client, world: World) -> None:
    response = client.get("/api/v1/program-versions?format=csv", **auth(world.a_token))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("program,version,effective_from")


def _queries(client, path: str, token: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **auth(token))
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "path",
    [
        # partners, customers and certifications have no partner filter (an unknown
        # parameter is a 400): their whole list, a page of up to 500
        "/api/v1/partners?limit=500",
        "/api/v1/customers?limit=500",
        "/api/v1/people?partner=P-A1",
        "/api/v1/credentials?partner=P-A1",
        "/api/v1/opportunities?partner=P-A1",
        "/api/v1/involvements?partner=P-A1",
        "/api/v1/deal-registrations?partner=P-A1",
        "/api/v1/bookings?partner=P-A1",
        "/api/v1/cloud-usage?partner=P-A1",
        "/api/v1/certifications?limit=500",
    ],
)
def test_query_budget_same_for_1_and_20_rows(client, world: World, path: str) -> None:
    from tests.api import test_lists_data

    client.get("/api/v1/me", **auth(world.vendor_token))  # last_used_at written once
    one = _queries(client, path, world.vendor_token)
    test_lists_data.grow(world, 19)
    twenty = _queries(client, path, world.vendor_token)
    assert one == twenty


def test_bookings_partner_filter_counts_influence(client, world: World) -> None:
    BookingFactory(
        external_id="BK-INF",
        customer=CustomerFactory(external_id="CUS-INF"),
        transacting_partner=world.b,
        influencing_partner=world.a,
        amount=Decimal("7.00"),
    )
    mine = client.get("/api/v1/bookings?ordering=amount", **auth(world.a_token)).json()
    # A resold BK-A1 (1000.00) and influenced BK-INF (7.00)
    assert [b["external_id"] for b in mine["items"]] == ["BK-INF", "BK-A1"]
