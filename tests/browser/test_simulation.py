"""Journey: a program admin writes a draft from the published version, simulates it and reads
who moves and why; a channel manager reads it without writing; a partner user is refused.

The world (``tests/browser/conftest.py``) has two partners, both in the solution_provider
track, both ``advanced`` under the published version ``browser 1`` (advanced: 2 certified
people; premier: 4 certified people and EUR 500,000 resale bookings over 12 months):

- Alpha Conseil Lyon (ALPHA): 3 certified people, EUR 200,000 resale bookings (60 days ago);
- Alpha Conseil Lille (ALPHA-BIS): 2 certified people, EUR 100,000.

The draft lowers premier to 2 certified people and EUR 150,000: Alpha (3 >= 2, 200,000 >=
150,000) moves advanced -> premier; Alpha Lille stays advanced (100,000 < 150,000).
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import Locator, Page, expect

from partnerprogram.programs.models import ProgramDraft
from tests.browser.conftest import Shot, World, login, logout

pytestmark = pytest.mark.browser

DRAFT = "browser 1 draft"  # the default name of a draft started from browser version 1
PREMIER_PEOPLE = "- {metric: certified_people, at_least: 4}"
PREMIER_RESALE = "- {metric: resale_bookings, window: 12M, at_least: 500000}"
BAD_PATH = "requirements.solution_provider.premier.all[0].at_least"


def _draft_text(original: str) -> str:
    """The published text with premier lowered (and the version the draft would publish)."""
    assert PREMIER_PEOPLE in original and PREMIER_RESALE in original
    return (
        original.replace(PREMIER_PEOPLE, "- {metric: certified_people, at_least: 2}")
        .replace(PREMIER_RESALE, "- {metric: resale_bookings, window: 12M, at_least: 150000}")
        .replace('version: "1"', 'version: "2"')
    )


def _cells(table: Locator, tier: str) -> Locator:
    """The data cells of the row of ``table`` whose header cell is ``tier``."""
    return (
        table.get_by_role("row")
        .filter(has=table.page.get_by_role("rowheader", name=tier, exact=True))
        .get_by_role("cell")
    )


def _assert_result(page: Page) -> None:
    """The distribution and the transition matrix of the draft against version 1."""
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Simulation of “{DRAFT}”")
    expect(page.get_by_text(re.compile(r"2 partners of browser, as of "))).to_be_visible()
    # Partners by tier: version 1 | draft | difference. Before: both advanced; after: Alpha
    # premier, Alpha Lille advanced.
    by_tier = page.get_by_role("table", name="Partners by tier", exact=True)
    expect(_cells(by_tier, "Premier")).to_have_text(["0", "1", "+1"])
    expect(_cells(by_tier, "Advanced")).to_have_text(["2", "1", "-1"])
    expect(_cells(by_tier, "Ready")).to_have_text(["0", "0", "0"])
    expect(_cells(by_tier, "No tier")).to_have_text(["0", "0", "0"])
    # Transitions: rows version 1, columns the draft (Premier, Advanced, Ready, No tier, Total).
    # From advanced: 1 to premier (Alpha), 1 stays (Alpha Lille); nobody else was anywhere.
    matrix = page.get_by_role("table", name="Transition matrix")
    expect(_cells(matrix, "Advanced")).to_have_text(["1", "1", "0", "0", "2"])
    for tier in ("Premier", "Ready", "No tier"):
        expect(_cells(matrix, tier)).to_have_text(["0", "0", "0", "0", "0"])


def test_program_admin_drafts_simulates_and_reads_the_movers(
    page: Page, world: World, shot: Shot
) -> None:
    login(page, "dora")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Simulation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Simulation")
    expect(page.get_by_text("No draft yet.")).to_be_visible()
    versions = page.get_by_role("table", name="Published versions")
    versions.get_by_role("row").filter(has_text="browser").get_by_role(
        "link", name="New draft from version 1"
    ).click()

    # the new draft, pre-filled with the published text
    expect(page.get_by_role("heading", level=1)).to_have_text("New draft")
    expect(page.get_by_text("Based on browser version 1.")).to_be_visible()
    expect(page.get_by_label("Draft name")).to_have_value(DRAFT)
    yaml_box = page.get_by_label("Program (YAML)")
    original = yaml_box.input_value()
    yaml_box.fill(_draft_text(original))
    shot(page, "draft-edited")
    page.get_by_role("button", name="Validate and save the draft").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Draft “{DRAFT}”")
    expect(page.get_by_text(f"Draft “{DRAFT}” saved.")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    draft = ProgramDraft.objects.get(name=DRAFT)
    assert "at_least: 150000" in draft.yaml
    assert draft.based_on_id == world.version.pk
    assert draft.updated_by == "user:dora"

    # the run page: against version 1 (the draft's base), as of today, run explicitly
    page.get_by_role("link", name="Run a simulation").click()
    page.get_by_label("Compare against").select_option(
        label=f"Version 1 (from {world.version.effective_from.isoformat()})"
    )
    page.get_by_label("As of").fill(world.today.isoformat())
    page.get_by_role("button", name="Run the simulation").click()
    expect(page).to_have_url(re.compile(rf"[?&]on={world.today.isoformat()}"))
    expect(page).to_have_url(re.compile(rf"[?&]against=version%3A{world.version.pk}"))
    _assert_result(page)
    # binding: below premier, Alpha Lille (2 people, EUR 100,000) lacks only the resale
    binding = page.get_by_role("table", name="Binding requirements")
    resale = binding.get_by_role("row").filter(has_text="premier.all[1]")
    expect(resale.get_by_role("cell")).to_have_text(
        ["Solution provider", "Premier", re.compile("at least 150000"), "1", "0", "1"]
    )
    shot(page, "result")

    # the transitions table downloads with the program's tier keys; the draft's version is 2
    transitions = page.get_by_role("region", name="Transitions", exact=True)
    with page.expect_download() as info:
        transitions.get_by_role("link", name="CSV").click()
    download = info.value
    assert download.suggested_filename.endswith("-transitions.csv")
    path = download.path()
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows == [
        ["tier_1", "tier_2", "partners"],
        ["advanced", "premier", "1"],
        ["advanced", "advanced", "1"],
    ]

    # the advanced -> premier count opens its mover, with what version 1 asked of it for
    # premier: 4 - 3 = 1 more certified person, EUR 500,000 - 200,000 = 300,000 more resale
    matrix = page.get_by_role("table", name="Transition matrix")
    _cells(matrix, "Advanced").first.get_by_role("link", name="1").click()
    expect(page).to_have_url(re.compile(r"from_tier=advanced&to_tier=premier"))
    movers_region = page.get_by_role("region", name="Partners who move")
    expect(movers_region).to_contain_text("filtered: Advanced → Premier")
    movers = page.get_by_role("table", name="Partners who move")
    expect(movers.get_by_role("row")).to_have_count(2)  # the header and Alpha
    mover = movers.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=re.compile("Alpha Conseil Lyon"))
    )
    expect(mover).to_contain_text("ALPHA")
    expect(mover).to_contain_text("Advanced → Premier")
    expect(mover).to_contain_text("certified_people at least 4: 1 more certified person")
    expect(mover).to_contain_text(
        "resale_bookings 12M at least 500000: EUR 300,000 more resale bookings (12 months)"
    )
    expect(mover).to_contain_text("certified_people = 3")  # its values: 3 people, EUR 200,000
    expect(mover).to_contain_text(re.compile(r"resale_bookings@12M = 200,000"))
    expect(movers).not_to_contain_text("Alpha Conseil Lille")
    shot(page, "mover")

    # an invalid threshold: the problem with its field path, the text kept, nothing stored
    page.get_by_role("link", name=f"Draft “{DRAFT}”").click()
    yaml_box = page.get_by_label("Program (YAML)")
    bad = yaml_box.input_value().replace(
        "- {metric: certified_people, at_least: 2}", "- {metric: certified_people, at_least: -1}"
    )
    assert "at_least: -1" in bad
    yaml_box.fill(bad)
    page.get_by_role("button", name="Validate and save the draft").click()
    problems = page.get_by_role("alert")
    expect(problems).to_contain_text("The draft was not saved: 1 problem")
    problem = problems.get_by_role("row").filter(has_text=BAD_PATH)
    expect(problem).to_contain_text("must be greater than or equal to 0")
    expect(page.get_by_label("Program (YAML)")).to_have_value(re.compile(r"at_least: -1\}"))
    shot(page, "invalid-threshold")
    draft.refresh_from_db()
    assert "at_least: -1" not in draft.yaml
    assert "{metric: certified_people, at_least: 2}" in draft.yaml


def test_channel_manager_reads_and_partner_user_is_refused(
    page: Page, world: World, shot: Shot
) -> None:
    # dora writes the draft (as in the journey above), then carol reads it
    login(page, "dora")
    page.goto(f"/console/simulation/draft/?from={world.version.pk}")
    yaml_box = page.get_by_label("Program (YAML)")
    yaml_box.fill(_draft_text(yaml_box.input_value()))
    page.get_by_role("button", name="Validate and save the draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Draft “{DRAFT}”")
    draft = ProgramDraft.objects.get(name=DRAFT)
    logout(page)

    login(page, "carol")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Simulation").click()
    expect(page.get_by_text("only program admins write drafts")).to_be_visible()
    expect(page.get_by_role("button", name="Upload and validate")).to_have_count(0)
    drafts = page.get_by_role("table", name="Drafts")
    drafts.get_by_role("row").filter(has_text=DRAFT).get_by_role("link", name="Run").click()
    _assert_result(page)  # the run's defaults: against the draft's base version, today
    shot(page, "carol-result")

    # the draft page is read-only: no save button, no delete
    page.get_by_role("link", name=f"Draft “{DRAFT}”").click()
    expect(page.get_by_text("Only program admins write drafts.")).to_be_visible()
    expect(page.get_by_role("button", name="Validate and save the draft")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete this draft")).to_have_count(0)
    expect(page.get_by_label("Program (YAML)")).to_have_value(re.compile("at_least: 150000"))
    # and a save posted anyway (valid CSRF token) is refused: 403, the draft unchanged
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    refused = page.request.post(
        "/console/simulation/draft/",
        form={"draft": str(draft.pk), "name": "carol's", "yaml_text": draft.yaml},
        headers={"X-CSRFToken": token, "Referer": page.url},
    )
    assert refused.status == 403
    assert "CSRF verification failed" not in refused.text()  # refused by the role
    draft.refresh_from_db()
    assert (draft.name, draft.updated_by) == (DRAFT, "user:dora")
    logout(page)

    # a partner user: the 403 page
    login(page, "bert")
    response = page.goto("/console/simulation/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Access denied")
    expect(page.get_by_text(DRAFT)).to_have_count(0)
    shot(page, "bert-403")
    for url in (
        f"/console/simulation/draft/?draft={draft.pk}",
        f"/console/simulation/run/?draft={draft.pk}",
    ):
        response = page.goto(url)
        assert response is not None and response.status == 403, url
        expect(page.get_by_role("heading", level=1)).to_have_text("Access denied")
        assert "at_least: 150000" not in page.content()
