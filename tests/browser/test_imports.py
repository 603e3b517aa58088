"""Journey: a channel manager imports a people file through the console: upload, dry-run
preview with the rejected row, apply, result; a partner user is refused.

The file (generic columns, ``docs/imports.md``) has a header (row 1) and two data rows: row 2,
a new person of Alpha Conseil Lyon (``ALPHA``, in the world); row 3, a person of
``ALPHA-TER``, a partner id that does not exist (close to the world's ``ALPHA`` and
``ALPHA-BIS``): 1 to create, 1 rejected on its ``partner`` column.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from partnerprogram.imports.models import ImportRun
from partnerprogram.partners.models import Person
from tests.browser.conftest import Shot, World, login, logout

pytestmark = pytest.mark.browser

PEOPLE_CSV = """external_id,partner,email,first_name,last_name,job_role,employed_from
PER-BROWSER-1,ALPHA,nina.roux@alpha.example.test,Nina,Roux,technical,2026-02-02
PER-BROWSER-2,ALPHA-TER,paul.girard@alpha-ter.example.test,Paul,Girard,sales,2026-03-02
"""


@pytest.fixture
def people_file(tmp_path: Path, settings: Any) -> Path:
    """The CSV above; uploads kept under ``tmp_path`` (the live server runs in this process)."""
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE_CSV, encoding="utf-8")
    return path


def _count(page: Page, title: str) -> Locator:
    """The figure of the count card titled ``title`` (Created, Updated, Unchanged, Rejected)."""
    card = page.locator(".card").filter(
        has=page.get_by_role("heading", level=3, name=title, exact=True)
    )
    return card.get_by_role("paragraph")


def test_channel_manager_previews_and_applies_a_people_file(
    page: Page, world: World, shot: Shot, people_file: Path
) -> None:
    people_before = Person.objects.count()
    login(page, "carol")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Imports")
    page.get_by_label("File (CSV or XLSX)").set_input_files(people_file)
    page.get_by_label("It holds").select_option(label="People")
    page.get_by_label("Shape").select_option(label="Generic (documented columns)")
    page.get_by_role("button", name="Preview").click()

    # the dry run: nothing written, 1 to create, 1 rejected (row 3, column partner)
    expect(page.get_by_role("heading", level=1)).to_have_text("Preview of an import")
    expect(page.get_by_role("status")).to_have_text(
        "Nothing was written. This is what importing the file would do:"
    )
    expect(page.get_by_text(re.compile(r"^2 rows read on .+ by user:carol"))).to_be_visible()
    expect(_count(page, "Created")).to_have_text("1")
    expect(_count(page, "Updated")).to_have_text("0")
    expect(_count(page, "Unchanged")).to_have_text("0")
    expect(_count(page, "Rejected")).to_have_text("1")
    rejected = page.get_by_role("table", name="Rejected rows")
    expect(rejected.get_by_role("row")).to_have_count(2)  # the header and row 3
    expect(rejected.get_by_role("row").nth(1).get_by_role("cell")).to_have_text(
        ["3", "partner", "ALPHA-TER", "Unknown partner: no partner has this external id."]
    )
    shot(page, "preview")
    assert Person.objects.count() == people_before
    assert not Person.objects.filter(external_id="PER-BROWSER-1").exists()

    # apply the valid row
    page.get_by_role("button", name="Apply the valid rows (1 rejected row is left out)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import result")
    expect(page.get_by_text("Import applied.")).to_be_visible()
    expect(page.get_by_text("Applied in one transaction.")).to_be_visible()
    expect(_count(page, "Created")).to_have_text("1")
    expect(_count(page, "Rejected")).to_have_text("1")
    expect(page.get_by_role("heading", level=2, name="Created", exact=True)).to_be_visible()
    expect(page.get_by_text("PER-BROWSER-1", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Apply"))).to_have_count(0)
    shot(page, "applied")

    # in the database: the good row at Alpha Conseil Lyon, the rejected one nowhere
    person = Person.objects.get(external_id="PER-BROWSER-1")
    assert (person.partner_id, person.email, person.first_name, person.last_name) == (
        world.alpha.pk,
        "nina.roux@alpha.example.test",
        "Nina",
        "Roux",
    )
    assert person.job_role == Person.JobRole.TECHNICAL
    assert person.employed_from.isoformat() == "2026-02-02"
    assert not Person.objects.filter(external_id="PER-BROWSER-2").exists()
    assert not Person.objects.filter(email="paul.girard@alpha-ter.example.test").exists()
    assert Person.objects.count() == people_before + 1
    # the history lists the preview and the applied import
    page.get_by_role("link", name="Back to imports").click()
    history = page.get_by_role("table", name="Imports")
    expect(history.get_by_role("row").filter(has_text="people.csv")).to_have_count(2)
    expect(history.get_by_role("row").filter(has_text="applied")).to_have_count(1)
    assert ImportRun.objects.filter(actor="user:carol").count() == 2
    logout(page)

    # a partner user: 403 on the page and on an upload
    login(page, "bert")
    response = page.goto("/console/imports/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Access denied")
    shot(page, "bert-403")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    refused = page.request.post(
        "/console/imports/",
        multipart={
            "file": {"name": "people.csv", "mimeType": "text/csv", "buffer": PEOPLE_CSV.encode()},
            "kind": "people",
            "mapping": "generic",
        },
        headers={"X-CSRFToken": token, "Referer": page.url},
    )
    assert refused.status == 403
    assert ImportRun.objects.count() == 2
    assert Person.objects.count() == people_before + 1
