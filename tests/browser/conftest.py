"""Browser journeys (Playwright, Debian's chromium) against a live server.

Every test module here sets ``pytestmark = pytest.mark.browser``. Run them with
``make browser-test`` (``pytest -m browser tests/browser``); ``make test`` leaves them out.
Chromium is never downloaded: the tests use Debian's ``/usr/bin/chromium`` (``apt-get install
chromium``) and fail, never skip, when it is missing.

Fixtures:

- ``browser`` (session): one headless chromium;
- ``page``: a fresh context (own cookies) per test, its base URL the live server, requests
  to any other host aborted, JavaScript errors failing the test;
- ``login(page, username, password)``: signs in through the real form;
- ``shot(page, name)``: a full-page PNG ``test-output/screenshots/<test>-<name>.png``;
- ``world``: the program ``browser`` (tiers ready/advanced/premier, tracks solution_provider
  and consulting, a claims cycle placed around today), two look-alike partners with people,
  credentials, bookings and registrations, the baseline standings, an evaluation run stored
  for today, and the users: ``alice`` (partner admin of Alpha Conseil Lyon), ``bert``
  (partner user of the look-alike Alpha Conseil Lille), ``carol`` (channel manager) and
  ``dora`` (program admin).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.utils import dateformat, timezone
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Route,
    expect,
    sync_playwright,
)

from partnerprogram.accounts.models import Membership
from partnerprogram.partners.models import Partner
from partnerprogram.programs.engine import evaluate
from partnerprogram.programs.models import ProgramVersion
from partnerprogram.programs.services import program_versions_load
from partnerprogram.sales.models import DealRegistration
from partnerprogram.standings.services.baseline import standings_baseline
from tests.factories import (
    BookingFactory,
    CertificationFactory,
    CredentialFactory,
    DealRegistrationFactory,
    OpportunityFactory,
    PartnerFactory,
    PartnerInvolvementFactory,
    PersonFactory,
    TrackEnrolmentFactory,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
PASSWORD = "browser-journey-password-2026"
PROGRAM = "browser"
ZONE = ZoneInfo("Europe/Paris")
#: The server runs on the real date: the program's cycle is placed around today so that the
#: claims journeys always find it open (claims opened 120 days ago, deadline in 32 days).
TODAY = timezone.localdate(timezone=ZONE)
START = TODAY - timedelta(days=120)
DEADLINE = TODAY + timedelta(days=32)
#: The deadline as the English pages show it ("Dec. 31, 2026").
DEADLINE_TEXT = dateformat.format(DEADLINE, "N j, Y")
TIMEOUT_MS = 15_000

PROGRAM_YAML = """
program: browser
name: Browser test program
currency: EUR
timezone: Europe/Paris
version: "1"
effective_from: START
tiers: [ready, advanced, premier]
tracks:
  solution_provider: {}
  consulting: {}
requirements:
  solution_provider:
    advanced: {metric: certified_people, at_least: 2}
    premier:
      all:
        - {metric: certified_people, at_least: 4}
        - {metric: resale_bookings, window: 12M, at_least: 500000}
  consulting:
    advanced: {metric: certified_people, at_least: 2}
cycle:
  claims_open: START
  claim_deadline: DEADLINE
  freeze_months: 12
""".replace("START", START.isoformat()).replace("DEADLINE", DEADLINE.isoformat())


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    """Playwright's sync API runs an event loop in the test thread: Django would then refuse
    every query made from it ("You cannot call this from an async context"). Django reads
    DJANGO_ALLOW_ASYNC_UNSAFE at each call, so it is set for the browser tests only."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            yield p
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium. Install it with "
            "`apt-get update && apt-get install -y chromium` (`playwright install` is not used).",
            pytrace=False,
        )
    browser = playwright_session.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture(scope="session", autouse=True)
def _screenshot_folder() -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture
def page(browser: Browser, live_server: object) -> Iterator[Page]:
    """A new browser context per test (no cookies shared between tests), English first."""
    base = str(live_server.url)  # type: ignore[attr-defined]
    context: BrowserContext = browser.new_context(
        base_url=base, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)

    def local_only(route: Route) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", local_only)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


# --------------------------------------------------------------------------- helpers


def login(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real sign-in form and wait for the landing page."""
    page.goto("/accounts/login/")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def logout(page: Page) -> None:
    """Sign out with the header's button."""
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


Shot = Callable[[Page, str], Path]


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shot:
    """``shot(page, "overview")`` saves ``test-output/screenshots/<test>-overview.png``."""
    test = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)

    def take(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{test}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# --------------------------------------------------------------------------- data


@dataclass
class World:
    today: date
    version: ProgramVersion
    alpha: Partner  # Alpha Conseil Lyon: alice's partner
    beta: Partner  # Alpha Conseil Lille: the look-alike, bert's partner
    alice: object  # partner admin of alpha
    bert: object  # partner user of beta
    carol: object  # channel manager
    dora: object  # program admin (writes program drafts)
    #: texts that belong to alpha only (its name, customers, people): never shown to bert
    alpha_secrets: list[str] = field(default_factory=list)


def _user(username: str, role: str, partner: Partner | None = None) -> object:
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.test"
    )
    Membership.objects.create(user=user, role=role, partner=partner)
    return user


def _partner(ext: str, name: str, *, certified: int, resale: str) -> Partner:
    partner = PartnerFactory(
        external_id=ext,
        name=name,
        previous_tier="advanced",
        contact_email=f"{ext.lower()}@example.test",
    )
    TrackEnrolmentFactory(partner=partner, track="solution_provider", enrolled_on=date(2024, 1, 1))
    cert = CertificationFactory(code="RH124", name="Red Hat System Administration I")
    for i in range(certified):
        CredentialFactory(
            person=PersonFactory(
                partner=partner,
                first_name=f"{name.split()[-1]}{i}",
                last_name="Engineer",
                email=f"engineer{i}@{ext.lower()}.example.test",
            ),
            certification=cert,
            earned_on=TODAY - timedelta(days=400),
        )
    BookingFactory(
        transacting_partner=partner, amount=Decimal(resale), booked_on=TODAY - timedelta(days=60)
    )
    return partner


@pytest.fixture
def world(transactional_db: None, tmp_path: Path) -> World:
    """The program, the two look-alike partners, standings, an evaluation and the users."""
    path = tmp_path / "browser.yaml"
    path.write_text(PROGRAM_YAML, encoding="utf-8")
    program_versions_load(paths=[path])
    version = ProgramVersion.objects.get(program__key=PROGRAM, version="1")

    # Alpha: advanced (3 certified people); premier needs 1 more person and EUR 300,000 resale
    alpha = _partner("ALPHA", "Alpha Conseil Lyon", certified=3, resale="200000.00")
    DealRegistrationFactory(
        partner=alpha,
        external_id="DR-ALPHA-1",
        customer_name="Lyon Hospices Civils",
        status=DealRegistration.Status.APPROVED,
        registered_on=TODAY - timedelta(days=89),
        decided_on=TODAY - timedelta(days=87),
        expires_on=TODAY + timedelta(days=94),
    )
    DealRegistrationFactory(
        partner=alpha,
        external_id="DR-ALPHA-2",
        customer_name="Rhône Transports Urbains",
        status=DealRegistration.Status.SUBMITTED,
        registered_on=TODAY - timedelta(days=27),
    )
    PartnerInvolvementFactory(  # an influence claim waiting for a decision
        partner=alpha,
        opportunity=OpportunityFactory(external_id="OPP-ALPHA-1", name="Lyon Data Centre Move"),
        validated=False,
        validated_on=None,
    )
    # the look-alike: advanced too (2 certified people)
    beta = _partner("ALPHA-BIS", "Alpha Conseil Lille", certified=2, resale="100000.00")
    DealRegistrationFactory(
        partner=beta,
        external_id="DR-BETA-1",
        customer_name="Lille Métropole Habitat",
        status=DealRegistration.Status.SUBMITTED,
        registered_on=TODAY - timedelta(days=55),
    )
    PartnerInvolvementFactory(
        partner=beta,
        opportunity=OpportunityFactory(external_id="OPP-BETA-1", name="Lille Campus Network"),
        validated=False,
        validated_on=None,
    )

    today = timezone.localdate(timezone=ZONE)
    standings_baseline(program=PROGRAM)
    evaluate(version=version, as_of=today, store=True)

    return World(
        today=today,
        version=version,
        alpha=alpha,
        beta=beta,
        alice=_user("alice", Membership.Role.PARTNER_ADMIN, alpha),
        bert=_user("bert", Membership.Role.PARTNER_USER, beta),
        carol=_user("carol", Membership.Role.CHANNEL_MANAGER),
        dora=_user("dora", Membership.Role.PROGRAM_ADMIN),
        alpha_secrets=[
            "Alpha Conseil Lyon",
            "Lyon Hospices Civils",
            "Rhône Transports Urbains",
            "DR-ALPHA-1",
            "DR-ALPHA-2",
            "Lyon Data Centre Move",
            "engineer0@alpha.example.test",
            "Lyon0 Engineer",
        ],
    )
