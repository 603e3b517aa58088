"""The Salesforce Data Loader sample files import with counts worked out by hand from the files
(tests/data/thirdparty/salesforce/, unchanged copies of forcedotcom/dataloader's samples).

How the expected counts were found (reading the CSVs; a one-off ``csv.DictReader`` count
confirmed them):

accountData.csv: 423 data rows (lines 2-424), 423 distinct ``ID`` values, every ``ISDELETED``
is ``false``. ``BILLINGCOUNTRY``: 358 ``US``, 5 ``United States``, 2 ``USA``, 18 ``CA``,
2 ``Canada``..., and 3 empty (lines 422-424: "My Company, Inc", "name1149203564219",
"name1149205434309"). As customers (country optional): 423 created. As partners (country
required): 420 created, 3 rejected ("missing country").

opportunityData.csv: 38 data rows (lines 2-39).
- 9 rows have an empty ``ORACLE_ID__C`` (lines 20-28) -> rejected "missing external id".
- ``ORACLE_ID__C`` 12340, 12341, 12342, 12343, 12344, 12346, 12347, 12348 appear 3 times each
  (lines 2-9, again 11-18 and 31-38) with an amount: the first of each is created (8), the
  16 later ones are rejected as duplicates.
- 12349 (lines 10, 19, 39) and 12345 (lines 29, 30) have an empty ``AMOUNT``: 5 rows rejected
  "missing amount" (so 12349 is never created; its repeats are rejected for the amount first).
- 8 + 9 + 16 + 5 = 38. Created 8, rejected 30.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from partnerprogram.imports.mappings.salesforce import STAGES
from partnerprogram.partners.models import Partner
from partnerprogram.sales.models import Customer, Opportunity
from tests.imports.conftest import SALESFORCE, run_import

ACCOUNTS = SALESFORCE / "accountData.csv"
OPPORTUNITIES = SALESFORCE / "opportunityData.csv"
DUPLICATED = ["12340", "12341", "12342", "12343", "12344", "12346", "12347", "12348"]


@pytest.mark.django_db
def test_accounts_import_as_customers_with_normalised_countries() -> None:
    report = run_import("customers", ACCOUNTS, mapping="salesforce")
    assert (report.created, report.updated, report.rejected) == (423, 0, 0)
    assert report.applied
    assert Customer.objects.count() == 423
    # line 2: "001x0000002xLCVAA2","false","","Gravity Investments",... BILLINGCOUNTRY "US"
    gravity = Customer.objects.get(external_id="001x0000002xLCVAA2")
    assert (gravity.name, gravity.country) == ("Gravity Investments", "US")
    # 5 "United States" + 2 "USA" + 358 "US" = 365 customers in the US; 18 "CA" + 2 "Canada"
    assert Customer.objects.filter(country="US").count() == 365
    assert Customer.objects.filter(country="CA").count() == 20
    assert Customer.objects.filter(country="").count() == 3
    # the 4 lines in Windows-1252 (72, 87, 361, 375) are read, not rejected
    assert any("72, 87, 361, 375" in note for note in report.notes)


@pytest.mark.django_db
def test_accounts_as_partners_reject_the_three_without_a_country() -> None:
    report = run_import("partners", ACCOUNTS, mapping="salesforce")
    assert (report.created, report.rejected) == (420, 3)
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (422, "BILLINGCOUNTRY", "", "missing country"),
        (423, "BILLINGCOUNTRY", "", "missing country"),
        (424, "BILLINGCOUNTRY", "", "missing country"),
    ]
    assert Partner.objects.count() == 420
    # BILLINGCITY is kept for partners: line 2's city is "FORT COLLINS"
    assert Partner.objects.get(external_id="001x0000002xLCVAA2").city == "FORT COLLINS"


@pytest.mark.django_db
@pytest.mark.usefixtures("usd_rate")
def test_opportunities_import_with_the_expected_counts_and_reasons() -> None:
    run_import("customers", ACCOUNTS, mapping="salesforce")
    report = run_import("opportunities", OPPORTUNITIES, mapping="salesforce")

    assert (report.created, report.updated, report.unchanged, report.rejected) == (8, 0, 0, 30)
    assert sorted(Opportunity.objects.values_list("external_id", flat=True)) == DUPLICATED
    rows_by_reason: dict[str, list[int]] = {}
    for error in report.errors:
        key = "duplicate" if "already appears" in error.reason else error.reason
        rows_by_reason.setdefault(key, []).append(error.row)
    assert rows_by_reason == {
        "missing external id": list(range(20, 29)),
        "missing amount": [10, 19, 29, 30, 39],
        "duplicate": [*range(11, 19), *range(31, 39)],
    }
    # one error per rejected row here, each against the Salesforce column
    assert len(report.errors) == 30
    columns = {e.row: e.column for e in report.errors}
    assert columns[20] == "ORACLE_ID__C" and columns[10] == "AMOUNT"
    assert columns[11] == "ORACLE_ID__C"  # the duplicate's key column, by its source name

    # line 2: Closed Won, 500000.0, CLOSEDATE 2005-11-09, CREATEDDATE 2006-06-15T20:47:07.000Z
    # (22:47 in Paris, same day); product line and currency are the documented defaults
    first = Opportunity.objects.get(external_id="12340")
    assert first.customer.external_id == "001x0000002xLD0AAM"
    assert first.name == "George Foundation - 5000 Widgets"
    assert (first.amount, first.currency, first.stage) == (Decimal("500000.00"), "USD", "won")
    assert (first.close_date, first.created_on) == (date(2005, 11, 9), date(2006, 6, 15))
    assert first.product_line == "unspecified"
    # line 4: "Value Proposition" -> proposal; line 5: "Negotiation/Review" -> negotiation;
    # line 6: "Id. Decision Makers" -> proposal; line 9: "Prospecting" -> prospecting
    stages = dict(Opportunity.objects.values_list("external_id", "stage"))
    assert stages["12342"] == "proposal"
    assert stages["12343"] == "negotiation"
    assert stages["12344"] == "proposal"
    assert stages["12348"] == "prospecting"


@pytest.mark.django_db
@pytest.mark.usefixtures("usd_rate")
def test_reimporting_the_opportunities_changes_nothing() -> None:
    run_import("customers", ACCOUNTS, mapping="salesforce")
    run_import("opportunities", OPPORTUNITIES, mapping="salesforce")
    before = list(Opportunity.objects.order_by("pk").values())
    again = run_import("opportunities", OPPORTUNITIES, mapping="salesforce")
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 8, 30)
    assert list(Opportunity.objects.order_by("pk").values()) == before


@pytest.mark.django_db
def test_opportunities_before_their_accounts_are_rejected_as_unknown_customers() -> None:
    # no customer stored: the 8 rows that would be created name an unknown ACCOUNTID
    report = run_import("opportunities", OPPORTUNITIES, mapping="salesforce")
    assert (report.created, report.rejected) == (0, 38)
    unknown = [e for e in report.errors if e.column == "ACCOUNTID"]
    assert [e.row for e in unknown] == list(range(2, 10))
    assert all(e.value == "001x0000002xLD0AAM" for e in unknown)
    assert Opportunity.objects.count() == 0


@pytest.mark.django_db
def test_product_line_and_currency_can_be_set_for_the_file() -> None:
    run_import("customers", ACCOUNTS, mapping="salesforce")
    report = run_import(
        "opportunities",
        OPPORTUNITIES,
        mapping="salesforce",
        defaults={"product_line": "widgets", "currency": "EUR"},
    )
    assert report.created == 8
    assert set(Opportunity.objects.values_list("product_line", "currency")) == {("widgets", "EUR")}


@pytest.mark.django_db
@pytest.mark.usefixtures("usd_rate")
def test_deleted_rows_are_rejected_and_timestamps_take_the_paris_date(write_csv) -> None:
    run_import("customers", ACCOUNTS, mapping="salesforce")
    path = write_csv(
        "opps.csv",
        '"ID","ISDELETED","ACCOUNTID","NAME","STAGENAME","AMOUNT","CLOSEDATE","CREATEDDATE",'
        '"ORACLE_ID__C"\n'
        # 23:57 UTC on 15 June is 01:57 on 16 June in Paris (summer time, UTC+2)
        '"006A","false","001x0000002xLD0AAM","A","Closed Lost","10.0","2006-07-01",'
        '"2006-06-15T23:57:14.000Z","X1"\n'
        '"006B","true","001x0000002xLD0AAM","B","Closed Won","10.0","2006-07-01",'
        '"2006-06-15T10:00:00.000Z","X2"\n'
        '"006C","false","001x0000002xLD0AAM","C","Won somehow","10.0","2006-07-01",'
        '"2006-06-15T10:00:00.000Z","X3"\n',
    )
    report = run_import("opportunities", path, mapping="salesforce")
    assert (report.created, report.rejected) == (1, 2)
    assert [(e.row, e.column, e.value, e.reason[:20]) for e in report.errors] == [
        (3, "ISDELETED", "true", "deleted in the sourc"),
        (4, "STAGENAME", "Won somehow", "unknown stage 'Won s"),
    ]
    created = Opportunity.objects.get(external_id="X1")
    assert (created.stage, created.created_on) == ("lost", date(2006, 6, 16))


def test_every_salesforce_default_stage_has_a_stage() -> None:
    # Salesforce's default sales process, in order (Setup > Opportunity Stages)
    assert [
        STAGES[s.casefold()]
        for s in (
            "Prospecting",
            "Qualification",
            "Needs Analysis",
            "Value Proposition",
            "Id. Decision Makers",
            "Perception Analysis",
            "Proposal/Price Quote",
            "Negotiation/Review",
            "Closed Won",
            "Closed Lost",
        )
    ] == [
        "prospecting",
        "qualification",
        "qualification",
        "proposal",
        "proposal",
        "proposal",
        "proposal",
        "negotiation",
        "won",
        "lost",
    ]
