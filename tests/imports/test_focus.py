"""The FOCUS 1.0 sample (tests/data/thirdparty/focus/focus_sample.csv, 1,000 charge rows of
the FinOps Foundation's sample data) gives cloud usage totals per provider and month equal to
sums computed here independently: the plain ``csv`` module and ``Decimal``, no project code.

What the file holds (read by hand, confirmed with a one-off count): 942 AWS rows (billing
account 1234567890123), 51 Microsoft rows (``/providers/Microsoft.Billing/billingAccounts/
8611537``), 7 Oracle rows (20209880); every ``ChargePeriodStart`` is in September 2024; every
``BillingCurrency`` is USD; costs have 11 decimals and include negative credits.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from partnerprogram.imports.mappings.focus import usage_external_id
from partnerprogram.imports.services import ImportRefused
from partnerprogram.sales.models import CloudUsage
from tests.factories import PartnerFactory
from tests.imports.conftest import FOCUS, run_import

AWS = "1234567890123"
MICROSOFT = "/providers/Microsoft.Billing/billingAccounts/8611537"
ORACLE = "20209880"


def _independent_totals() -> dict[tuple[str, str], Decimal]:
    """(provider, YYYY-MM) -> sum of BilledCost, rounded half-even to cents at the end."""
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    with FOCUS.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            sums[(row["ProviderName"], row["ChargePeriodStart"][:7])] += Decimal(row["BilledCost"])
    return {
        key: value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
        for key, value in sums.items()
    }


@pytest.mark.django_db
@pytest.mark.usefixtures("usd_rate")
def test_focus_totals_per_provider_and_month_match_independent_sums() -> None:
    for account in (AWS, MICROSOFT, ORACLE):
        PartnerFactory(external_id=account)
    report = run_import("cloud_usage", FOCUS, mapping="focus")

    assert (report.created, report.rejected) == (3, 0)
    expected = _independent_totals()
    assert set(expected) == {("AWS", "2024-09"), ("Microsoft", "2024-09"), ("Oracle", "2024-09")}
    stored = {
        (u.product_line, f"{u.month:%Y-%m}"): (u.amount, u.currency, u.partner.external_id)
        for u in CloudUsage.objects.select_related("partner")
    }
    assert stored == {
        ("aws", "2024-09"): (expected[("AWS", "2024-09")], "USD", AWS),
        ("microsoft", "2024-09"): (expected[("Microsoft", "2024-09")], "USD", MICROSOFT),
        ("oracle", "2024-09"): (expected[("Oracle", "2024-09")], "USD", ORACLE),
    }
    # the mixed units of each provider (GB, Hours, Requests...) give a count of charge rows
    assert dict(CloudUsage.objects.values_list("product_line", "quantity")) == {
        "aws": Decimal("942"),
        "microsoft": Decimal("51"),
        "oracle": Decimal("7"),
    }
    assert set(CloudUsage.objects.values_list("unit", flat=True)) == {"charges"}
    # the Microsoft id is too long for a 64-character external id: its partner part is hashed
    aws = CloudUsage.objects.get(product_line="aws")
    assert aws.external_id == "focus:1234567890123:2024-09:aws"
    microsoft = CloudUsage.objects.get(product_line="microsoft").external_id
    assert microsoft.startswith("focus:h") and microsoft.endswith(":2024-09:microsoft")
    assert len(microsoft) <= 64

    again = run_import("cloud_usage", FOCUS, mapping="focus")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


@pytest.mark.django_db
@pytest.mark.usefixtures("usd_rate")
def test_unknown_billing_accounts_are_rejected_on_their_first_charge_row() -> None:
    PartnerFactory(external_id=AWS)
    report = run_import("cloud_usage", FOCUS, mapping="focus")
    assert (report.created, report.rejected) == (1, 2)
    # 3 records (one per provider, all September); the 2 unknown accounts' records refused
    assert (report.records, report.records_rejected) == (3, 2)
    by_value = {e.value: (e.row, e.column) for e in report.errors}
    assert set(by_value) == {MICROSOFT, ORACLE}
    assert {column for _, column in by_value.values()} == {"BillingAccountId"}
    with FOCUS.open(encoding="utf-8-sig", newline="") as handle:
        first_rows = {}
        for number, row in enumerate(csv.DictReader(handle), start=2):
            first_rows.setdefault(row["BillingAccountId"], number)
    assert by_value[MICROSOFT][0] == first_rows[MICROSOFT]
    assert by_value[ORACLE][0] == first_rows[ORACLE]


@pytest.mark.django_db
@pytest.mark.usefixtures("usd_rate")
def test_a_ccsp_report_belongs_to_the_partner_given() -> None:
    ccsp = PartnerFactory(external_id="CCSP-1")
    PartnerFactory(external_id="CCSP-10")  # look-alike: gets nothing
    report = run_import("cloud_usage", FOCUS, mapping="focus", defaults={"partner": "CCSP-1"})
    assert (report.created, report.rejected) == (3, 0)
    assert set(CloudUsage.objects.values_list("partner_id", flat=True)) == {ccsp.pk}
    expected = _independent_totals()
    assert dict(CloudUsage.objects.values_list("product_line", "amount")) == {
        "aws": expected[("AWS", "2024-09")],
        "microsoft": expected[("Microsoft", "2024-09")],
        "oracle": expected[("Oracle", "2024-09")],
    }
    assert CloudUsage.objects.get(product_line="oracle").external_id == (
        "focus:CCSP-1:2024-09:oracle"
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("usd_rate")
def test_one_unit_sums_quantities_and_months_split_groups(write_csv) -> None:
    PartnerFactory(external_id="ACC")
    path = write_csv(
        "focus.csv",
        "BillingAccountId,ChargePeriodStart,ProviderName,BilledCost,BillingCurrency,"
        "ConsumedQuantity,ConsumedUnit\n"
        "ACC,2024-09-30 23:00:00,AWS,1.005,USD,2,Hours\n"
        "ACC,2024-09-01 00:00:00,AWS,0.001,USD,3.5,Hours\n"
        "ACC,2024-09-02 00:00:00,AWS,-0.5,USD,NULL,NULL\n"
        "ACC,2024-10-01 00:00:00,AWS,2,USD,1,GB\n"
        "ACC,2024-10-01 00:00:00,AWS,2,EUR,1,GB\n"
        "ACC,someday,AWS,2,USD,1,GB\n",
    )
    report = run_import("cloud_usage", path, mapping="focus")
    # September: 1.005 + 0.001 - 0.5 = 0.506 -> 0.51; 2 + 3.5 Hours (the credit has none)
    # October: row 5 only (row 6 is in EUR, row 7 has no date)
    assert (report.created, report.rejected) == (2, 2)
    # 2 records (September, October) built; the 2 rejections are charge rows, no record
    assert (report.records, report.records_rejected) == (2, 0)
    assert [(e.row, e.column) for e in report.errors] == [
        (6, "BillingCurrency"),
        (7, "ChargePeriodStart"),
    ]
    september = CloudUsage.objects.get(month=date(2024, 9, 1))
    assert (september.amount, september.quantity, september.unit) == (
        Decimal("0.51"),
        Decimal("5.5"),
        "Hours",
    )
    october = CloudUsage.objects.get(month=date(2024, 10, 1))
    assert (october.amount, october.quantity, october.unit) == (Decimal("2.00"), 1, "GB")


@pytest.mark.django_db
def test_a_file_without_focus_columns_is_refused(write_csv) -> None:
    path = write_csv("x.csv", "BillingAccountId,BilledCost\nA,1\n")
    with pytest.raises(ImportRefused, match=r"missing column.*ChargePeriodStart"):
        run_import("cloud_usage", path, mapping="focus")
    with pytest.raises(ImportRefused, match="does not read kind 'bookings'"):
        run_import("bookings", FOCUS, mapping="focus")


def test_external_ids_fit_the_column() -> None:
    assert usage_external_id(partner="P1", month=date(2024, 9, 1), product_line="aws") == (
        "focus:P1:2024-09:aws"
    )
    long = usage_external_id(partner="x" * 80, month=date(2024, 9, 1), product_line="aws")
    assert len(long) == len("focus:h") + 16 + len(":2024-09:aws")
