"""The console's import page: upload -> dry-run preview -> confirm applies the SAME file ->
result; history and error report downloads; re-importable data downloads. Program admins and
channel managers only: partner members (and a look-alike partner's) get 403 and change nothing.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from partnerprogram.imports.models import ImportRun
from partnerprogram.imports.uploads import upload_path
from partnerprogram.partners.models import Partner
from partnerprogram.sales.models import Customer, Opportunity
from tests.console.conftest import client_for, make_user
from tests.factories import PartnerFactory
from tests.imports.conftest import SALESFORCE

#: session, user, membership, the runs' count and page (docs/console.md states it)
HISTORY_QUERIES = 5


@pytest.fixture(autouse=True)
def _uploads_in_tmp(tmp_path: Path):  # type: ignore[no-untyped-def]
    with override_settings(IMPORT_UPLOAD_DIR=tmp_path / "uploads"):
        yield


@pytest.fixture
def staff() -> Client:
    return client_for(make_user("carol", "channel_manager"))


def _upload(client: Client, path: Path, kind: str, mapping: str = "generic", **extra: str):  # type: ignore[no-untyped-def]
    data = {
        "file": SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv"),
        "kind": kind,
        "mapping": mapping,
        **extra,
    }
    return client.post(reverse("console:imports"), data)


def _run_id(response) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, response.content[:500]
    return int(response["Location"].rsplit("run=", 1)[1])


@pytest.mark.django_db
def test_partner_members_and_look_alikes_get_403_and_change_nothing() -> None:
    alpha = PartnerFactory(external_id="ALPHA", name="Alpha")
    alpha2 = PartnerFactory(external_id="ALPHA2", name="Alpha")  # look-alike
    preview = ImportRun.objects.create(
        actor="user:carol",
        kind="customers",
        mapping="salesforce",
        file_name="a.csv",
        sha256="0" * 64,
        dry_run=True,
    )
    users = [
        make_user("alice", "partner_admin", alpha),
        make_user("amy", "partner_user", alpha),
        make_user("alex", "partner_admin", alpha2),
        make_user("dave", None),
    ]
    accounts = SALESFORCE / "accountData.csv"
    for user in users:
        client = client_for(user)
        url = reverse("console:imports")
        for query in ({}, {"run": preview.pk}, {"data": "partners"}, {"format": "csv"}):
            assert client.get(url, query).status_code == 403
        assert client.post(url, {"run": preview.pk}).status_code == 403
        assert _upload(client, accounts, "customers", "salesforce").status_code == 403
    assert Customer.objects.count() == 0
    assert ImportRun.objects.count() == 1  # only the one made above
    # anonymous: sent to sign in
    assert client_for(None).get(reverse("console:imports")).status_code == 302


@pytest.mark.django_db
def test_preview_then_confirm_applies_the_previewed_file(staff: Client) -> None:
    response = _upload(staff, SALESFORCE / "accountData.csv", "customers", "salesforce")
    preview_id = _run_id(response)
    assert Customer.objects.count() == 0  # a preview writes nothing
    page = staff.get(reverse("console:imports"), {"run": preview_id})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Preview of an import" in text
    assert "423" in text  # 423 accounts would be created (tests/imports/test_salesforce.py)
    assert "72, 87, 361, 375" in text  # rows read as Windows-1252, from the reader's notes
    assert 'name="run"' in text  # the confirm form

    applied = staff.post(reverse("console:imports"), {"run": preview_id})
    result_id = _run_id(applied)
    assert result_id != preview_id
    assert Customer.objects.count() == 423
    preview, result = ImportRun.objects.get(pk=preview_id), ImportRun.objects.get(pk=result_id)
    assert (result.sha256, result.kind, result.mapping) == (
        preview.sha256,
        "customers",
        "salesforce",
    )
    assert (result.dry_run, result.applied, result.created, result.actor) == (
        False,
        True,
        423,
        "user:carol",
    )
    history = staff.get(reverse("console:imports")).content.decode()
    assert history.count("accountData.csv") == 2


@pytest.mark.django_db
def test_confirm_never_applies_a_file_other_than_the_previewed_one(staff: Client) -> None:
    preview_id = _run_id(_upload(staff, SALESFORCE / "accountData.csv", "customers", "salesforce"))
    stored = upload_path(ImportRun.objects.get(pk=preview_id).sha256)
    assert stored is not None
    stored.write_bytes(b'"ID","NAME","BILLINGCOUNTRY"\n"X","Other","FR"\n')  # swapped on disk
    response = staff.post(reverse("console:imports"), {"run": preview_id})
    assert response.status_code == 302
    assert Customer.objects.count() == 0
    assert not ImportRun.objects.filter(dry_run=False).exists()
    # a gone upload cannot be applied either
    stored.unlink()
    response = staff.post(reverse("console:imports"), {"run": preview_id})
    assert response["Location"] == reverse("console:imports")  # upload again
    assert Customer.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.usefixtures("usd_rate")
def test_rejected_rows_are_listed_and_downloadable(staff: Client) -> None:
    _run_id(_upload(staff, SALESFORCE / "accountData.csv", "customers", "salesforce"))
    staff.post(
        reverse("console:imports"), {"run": ImportRun.objects.get().pk}
    )  # the accounts, applied
    preview_id = _run_id(
        _upload(staff, SALESFORCE / "opportunityData.csv", "opportunities", "salesforce")
    )
    page = staff.get(reverse("console:imports"), {"run": preview_id}).content.decode()
    assert "missing external id" in page and "ORACLE_ID__C" in page
    download = staff.get(reverse("console:imports"), {"run": preview_id, "format": "csv"})
    body = b"".join(download.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(body)))
    # 30 rejected rows, one problem each (see test_salesforce.py for the count by hand)
    assert len(rows) == 30
    assert rows[0] == {"row": "10", "column": "AMOUNT", "value": "", "reason": "missing amount"}
    assert Opportunity.objects.count() == 0  # still only a preview
    history = staff.get(reverse("console:imports"), {"format": "xlsx"})
    assert history.status_code == 200 and history["Content-Type"].startswith("application/vnd")


@pytest.mark.django_db
def test_a_refused_file_is_shown_with_its_reason(staff: Client, tmp_path: Path) -> None:
    path = tmp_path / "bookings.csv"
    path.write_text("external_id,amount\nBK-1,1\n", encoding="utf-8")
    response = _upload(staff, path, "bookings")
    assert response.status_code == 400
    assert "missing required column(s) for bookings" in response.content.decode()
    assert ImportRun.objects.count() == 0
    # a shape that does not hold the kind is a form error
    response = _upload(staff, path, "bookings", "focus")
    assert response.status_code == 200 and "does not hold" in response.content.decode()


@pytest.mark.django_db
def test_data_export_reimports_unchanged_through_the_console(tmp_path: Path) -> None:
    admin = client_for(make_user("paula", "program_admin"))
    PartnerFactory(external_id="P-1", name="=Alpha")
    PartnerFactory(external_id="P-2", name="Beta")
    download = admin.get(reverse("console:imports"), {"data": "partners", "format": "csv"})
    path = tmp_path / "partners.csv"
    path.write_bytes(b"".join(download.streaming_content))  # type: ignore[attr-defined]
    preview_id = _run_id(_upload(admin, path, "partners"))
    run = ImportRun.objects.get(pk=preview_id)
    assert (run.created, run.updated, run.unchanged, run.rejected) == (0, 0, 2, 0)
    assert Partner.objects.get(external_id="P-1").name == "=Alpha"
    assert admin.get(reverse("console:imports"), {"data": "nope"}).status_code == 404


def _history_queries(client: Client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("console:imports")).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.django_db
def test_history_page_queries_do_not_grow_with_the_runs(staff: Client) -> None:
    def run(n: int) -> None:
        ImportRun.objects.create(
            actor="user:carol",
            kind="bookings",
            mapping="generic",
            file_name=f"b{n}.csv",
            sha256=f"{n:064x}",
            report={"errors": [{"row": 2, "column": "x", "value": "", "reason": "y"}] * 100},
        )

    run(0)
    one = _history_queries(staff)
    for n in range(1, 20):
        run(n)
    assert _history_queries(staff) == one == HISTORY_QUERIES


@pytest.mark.django_db
def test_a_strict_preview_with_rejected_rows_offers_no_apply(staff: Client) -> None:
    # no account stored: all 38 opportunities are rejected (test_salesforce.py)
    preview_id = _run_id(
        _upload(
            staff, SALESFORCE / "opportunityData.csv", "opportunities", "salesforce", strict="on"
        )
    )
    page = staff.get(reverse("console:imports"), {"run": preview_id}).content.decode()
    assert 'name="run"' not in page
    assert "All or nothing was asked" in page


@pytest.mark.django_db
def test_the_imports_page_reads_in_french(staff: Client) -> None:
    staff.cookies["django_language"] = "fr"
    page = staff.get(reverse("console:imports"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Importer un fichier" in page and "Historique" in page


@pytest.mark.django_db
@pytest.mark.usefixtures("usd_rate")
def test_preview_says_the_encoding_once_and_focus_records(staff: Client) -> None:
    from tests.imports.conftest import FOCUS

    response = _upload(staff, SALESFORCE / "accountData.csv", "customers", "salesforce")
    text = staff.get(reverse("console:imports"), {"run": _run_id(response)}).content.decode()
    assert text.count("Encoding:") == 1
    assert "<li>encoding: Windows-1252</li>" not in text  # the reader's note is not repeated
    assert "monthly record" not in text  # one row, one record

    response = _upload(staff, FOCUS, "cloud_usage", "focus")
    text = staff.get(reverse("console:imports"), {"run": _run_id(response)}).content.decode()
    # 1,000 charge rows of 3 providers in September 2024: 3 records
    assert "1,000 rows read" in text
    assert "3 monthly records (the counts below are records)" in text
