"""Journey (c): a partner admin claims the next tier from the overview and sees it
provisional until the claim deadline."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from partnerprogram.standings.models import Claim
from tests.browser.conftest import DEADLINE_TEXT, Shot, World, login

pytestmark = pytest.mark.browser


def test_partner_admin_claims_premier_and_sees_it_provisional(
    page: Page, world: World, shot: Shot
) -> None:
    login(page, "alice")
    overall = page.get_by_role("region", name="Overall")
    expect(overall.locator(".badge")).to_have_text("Advanced")

    claim = page.get_by_role("region", name="Claim a tier")
    expect(claim).to_contain_text("provisional until the claim deadline")
    claim.get_by_label("Track").select_option(label="Solution provider")
    claim.get_by_label("Tier").select_option(label="Premier")
    shot(page, "claim-form")
    claim.get_by_role("button", name="Claim this tier").click()

    # back on the overview: the confirmation, the provisional standing, the claim
    expect(page.get_by_role("status")).to_have_text(
        f"Claim filed: Premier, provisional until the claim deadline {DEADLINE_TEXT}."
    )
    expect(overall.locator(".badge")).to_have_text("Premier")
    expect(overall.locator(".status")).to_have_text("Provisional")
    expect(overall).to_contain_text(f"provisional until {DEADLINE_TEXT}")
    track = page.get_by_role("region", name="Solution provider").first
    expect(track.locator(".badge")).to_have_text("Premier")
    expect(page.get_by_text("You claimed Premier on")).to_contain_text(
        f"provisional until {DEADLINE_TEXT}."
    )
    # on current figures the claim would not hold at the deadline: said, with what is missing
    expect(
        page.get_by_text(
            "On current figures you would not hold Premier at the deadline (Advanced instead)."
        )
    ).to_be_visible()
    claims = page.get_by_role("region", name="Your claims")
    row = claims.get_by_role("row").filter(has_text="Premier")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Solution provider")
    expect(row).to_contain_text("alice")
    expect(row).to_contain_text(DEADLINE_TEXT)
    expect(row).to_contain_text("Pending")
    shot(page, "claimed")

    filed = Claim.objects.get(partner=world.alpha)
    assert (filed.track, filed.tier, filed.status) == ("solution_provider", "premier", "pending")
    # the look-alike partner's standing is untouched
    assert not Claim.objects.filter(partner=world.beta).exists()
