"""``partnerprogram import`` and ``partnerprogram export`` as a user runs them: JSON report keys,
exit codes (0 all accepted, 1 rows rejected, 2 file refused), nothing written on refusal."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from partnerprogram.sales.models import Customer, Opportunity
from tests.imports.conftest import SALESFORCE


def _run(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("import", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


@pytest.mark.django_db
@pytest.mark.usefixtures("usd_rate")
def test_json_report_and_exit_codes() -> None:
    code, text = _run(
        "customers",
        str(SALESFORCE / "accountData.csv"),
        "--mapping",
        "salesforce",
        "--format",
        "json",
    )
    report = json.loads(text)
    assert code == 0
    assert (report["created"], report["updated"], report["rejected"], report["errors"]) == (
        423,
        0,
        0,
        [],
    )
    code, text = _run(
        "opportunities",
        str(SALESFORCE / "opportunityData.csv"),
        "--mapping",
        "salesforce",
        "--format",
        "json",
    )
    report = json.loads(text)
    assert code == 1  # 30 rows rejected (tests/imports/test_salesforce.py), 8 applied
    assert (report["created"], report["rejected"], report["applied"]) == (8, 30, True)
    assert set(report["errors"][0]) == {"row", "column", "value", "reason"}
    assert report["errors"][0] == {
        "row": 10,
        "column": "AMOUNT",
        "value": "",
        "reason": "missing amount",
    }
    assert Opportunity.objects.count() == 8


@pytest.mark.django_db
def test_dry_run_and_text_output() -> None:
    code, text = _run(
        "customers", str(SALESFORCE / "accountData.csv"), "--mapping", "salesforce", "--dry-run"
    )
    assert code == 0
    assert "created 423, updated 0, unchanged 0, rejected 0 (dry run: nothing written)" in text
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_refused_files_exit_2_and_write_nothing(tmp_path: Path) -> None:
    for args, message in (
        (("deals", str(SALESFORCE / "accountData.csv")), "unknown kind 'deals'"),
        (("customers", str(tmp_path / "missing.csv")), "no such file"),
        (("customers", str(SALESFORCE / "accountData.csv"), "--mapping", "x"), "unknown mapping"),
        (("bookings", str(SALESFORCE / "accountData.csv")), "missing required column(s)"),
        (("customers", str(SALESFORCE / "accountData.csv"), "--set", "oops"), "FIELD=VALUE"),
    ):
        with pytest.raises(CommandError) as refused:
            call_command("import", *args, stdout=StringIO())
        assert refused.value.returncode == 2
        assert message in str(refused.value)
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_export_refuses_an_unknown_kind(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("export", "deals", str(tmp_path / "x.csv"), stdout=StringIO())
    assert refused.value.returncode == 2
