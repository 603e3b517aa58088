"""Journeys (b) and (d): a partner registers a deal through the portal and finds it in its
list; a channel manager approves it in the console; the partner then sees it approved."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from partnerprogram.sales.models import DealRegistration
from tests.browser.conftest import Shot, World, login, logout

pytestmark = pytest.mark.browser

CUSTOMER = "Villeurbanne Énergie"
AMOUNT = re.compile(r"45[,\u202f\u00a0 ]000")


def register_deal(page: Page, world: World, customer: str = CUSTOMER) -> None:
    """From the portal's navigation: Opportunities -> Register a deal -> the form, sent."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Opportunities").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Opportunities")
    page.get_by_role("link", name="Register a deal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register a deal")
    page.get_by_label("Customer name").fill(customer)
    page.get_by_label("Product line").select_option("rhel")
    page.get_by_label("Estimated amount").fill("45000")
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_label("Expected close").fill((world.today + timedelta(days=45)).isoformat())
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Deal registration: {customer}")


def _row(page: Page, customer: str) -> Locator:
    """The row of the registrations table whose header cell is ``customer``."""
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=customer))


def test_partner_registers_a_deal_and_finds_it_in_the_list(
    page: Page, world: World, shot: Shot
) -> None:
    login(page, "alice")
    page.get_by_role("link", name="Opportunities").click()
    page.get_by_role("link", name="Register a deal").click()
    page.wait_for_load_state()  # htmx (a deferred script) is listening

    # a customer the look-alike partner already registered: a warning that never says who
    page.get_by_label("Customer name").fill("lille  métropole HABITAT")
    page.get_by_label("Product line").select_option("rhel")
    warning = page.locator("#duplicate-warning")
    expect(warning).to_contain_text(
        "A registration for this customer and product line already exists."
    )
    expect(warning).not_to_contain_text("Alpha Conseil Lille")
    shot(page, "duplicate-warning")
    page.get_by_label("Customer name").fill(CUSTOMER)
    page.get_by_label("Estimated amount").click()  # leaves the name field: checked again
    expect(warning).to_be_empty()

    # a close date in the past is refused next to the field, nothing registered
    page.get_by_label("Estimated amount").fill("45000")
    page.get_by_label("Expected close").fill((world.today - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_role("alert")).to_have_text("The expected close date cannot be in the past.")
    assert not DealRegistration.objects.filter(customer_name=CUSTOMER).exists()

    page.get_by_label("Expected close").fill((world.today + timedelta(days=45)).isoformat())
    page.get_by_role("button", name="Submit for approval").click()

    # the registration's page
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Deal registration: {CUSTOMER}")
    expect(page.get_by_role("status")).to_contain_text("Deal registration submitted for approval.")
    details = page.locator("dl")
    expect(details).to_contain_text("Submitted")
    expect(details).to_contain_text(AMOUNT)
    expect(details).to_contain_text("rhel")
    shot(page, "registration")

    # and in the list, with the partner's other registrations, not the look-alike's
    page.get_by_role("link", name="← Opportunities").click()
    row = _row(page, CUSTOMER)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Submitted")
    expect(row).to_contain_text(AMOUNT)
    expect(_row(page, "Rhône Transports Urbains")).to_contain_text("Submitted")
    expect(_row(page, "Lyon Hospices Civils")).to_contain_text("Approved")
    expect(page.get_by_text("Lille Métropole Habitat")).to_have_count(0)
    # the status filter
    page.get_by_role("navigation", name="Filter by status").get_by_role(
        "link", name="Approved"
    ).click()
    expect(_row(page, "Lyon Hospices Civils")).to_have_count(1)
    expect(_row(page, CUSTOMER)).to_have_count(0)
    page.get_by_role("navigation", name="Filter by status").get_by_role("link", name="All").click()
    expect(_row(page, CUSTOMER)).to_have_count(1)
    shot(page, "opportunities")


def test_channel_manager_approves_the_registration_and_the_partner_sees_it(
    page: Page, world: World, shot: Shot
) -> None:
    login(page, "alice")
    register_deal(page, world)
    logout(page)

    # the channel manager's approvals
    login(page, "carol")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Approvals").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Approvals")
    page.wait_for_load_state()  # htmx (a deferred script) is listening
    row = page.get_by_role("row").filter(has_text=CUSTOMER)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Alpha Conseil Lyon")
    expect(row).to_contain_text(AMOUNT)
    shot(page, "approvals")
    row.get_by_label("Reason").fill("Confirmed with the account team.")
    row.get_by_role("button", name="Approve").click()
    # htmx replaces the row with the decision
    expect(row.get_by_role("status")).to_have_text(re.compile(r"Deal registration .+ approved\."))
    expect(row).to_contain_text("Approved")
    expect(row).to_contain_text("user:carol")
    expect(row.get_by_role("button", name="Approve")).to_have_count(0)
    shot(page, "approved")
    registration = DealRegistration.objects.get(customer_name=CUSTOMER)
    assert registration.status == DealRegistration.Status.APPROVED
    # the look-alike's registration is still waiting
    expect(
        page.get_by_role("row")
        .filter(has_text="Lille Métropole Habitat")
        .get_by_role("button", name="Approve")
    ).to_be_visible()
    logout(page)

    # the partner sees the approval, the protection and the reason
    login(page, "alice")
    page.get_by_role("link", name="Opportunities").click()
    listed = _row(page, CUSTOMER)
    expect(listed).to_contain_text("Approved")
    assert registration.expires_on is not None
    expect(listed.get_by_role("cell").last).not_to_have_text("—")
    listed.get_by_role("link", name=CUSTOMER).click()
    details = page.locator("dl")
    expect(details).to_contain_text("Approved")
    expect(details).to_contain_text("Decided on")
    expect(details).to_contain_text("Confirmed with the account team.")
    expect(details).to_contain_text("Protected until")
    shot(page, "partner-sees-approved")
