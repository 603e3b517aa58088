"""The reference data set: the French partner population of the founding case.

``build_reference(region="fr", seed=2026)`` writes an invented but plausible population that
reproduces the founding case's figures (``docs/reference-case.md``) as of 2026-12-31 (the
claim deadline):

- 470 partners; exactly 19 ``premier`` and 27 ``advanced`` under the previous program
  (``Partner.previous_tier``), every other non-CCSP partner ``ready``;
- about 50 cloud service providers (track ``ccsp`` from 2027-01-01, no previous tier) whose
  monthly ``CloudUsage`` over 2026 is 17 % of the partners' indirect bookings of 2026 and grows
  30 % over 2025;
- about 235 *active* partners (a booking resold or influenced, a deal registration or cloud
  usage in 2026), the others dormant;
- bookings 2024-01-01..2026-12-31 where indirect bookings (``channel=indirect``) are 65 % of all
  bookings of 2026 (59 % in 2024, 62 % in 2025);
- people and credentials whose counts follow the previous tiers, with some Premier partners short
  on certified people, consultancies with large influence and little resale, credentials
  expiring around the deadline, people who left and a few people employed by two partners;
- deal registrations (2025-2026) with every status, opportunities with resell / sourced /
  influenced involvements, customers (enterprise, SMB, public), business plan attestations and
  USD/GBP exchange rates (a few bookings are in USD or GBP).

Stated rules:

- Deterministic: ``random.Random(seed)`` drives every choice and ``Faker("fr_FR")`` is seeded from
  it; no network, no clock. ``recorded_at`` of every fact is derived from the fact's own date
  (end of its day, 18:00 Europe/Paris), so ``known_at`` replays are meaningful and the output does
  not depend on when it is generated. Primary keys are the database's; compare runs by
  ``external_id``.
- Idempotent by **wipe-and-rebuild**: every reference row carries an ``external_id`` (or
  certification ``code``) starting with ``ref-fr-`` (``PEX-`` for certifications); a new run
  deletes those rows and writes them again, in one transaction. Rows that are not reference data
  are left alone. If other rows still point at reference rows (e.g. assessments of an evaluation
  run), the rebuild is refused with :class:`ReferenceDataInUse` and nothing changes.
- Money targets are in EUR; a USD or GBP amount is the EUR amount divided by the rate in force on
  2026-12-31 (the evaluation date of the story), so it converts back to the same EUR amount.
- The figures are hit exactly in the generator (up to cent rounding): direct bookings are drawn
  until the indirect share of each year is met; cloud usage is scaled to the share and growth.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from faker import Faker

from partnerprogram.core.models import ExchangeRate
from partnerprogram.core.periods import add_months
from partnerprogram.enablement.models import Certification, Credential
from partnerprogram.partners.models import Attestation, Partner, Person, TrackEnrolment
from partnerprogram.sales.models import (
    Booking,
    CloudUsage,
    Customer,
    DealRegistration,
    Opportunity,
    PartnerInvolvement,
)

__all__ = [
    "AS_OF",
    "DEFAULT_SEED",
    "PREFIX",
    "REGIONS",
    "ReferenceDataInUse",
    "ReferenceSummary",
    "build_reference",
    "siren_check_digit",
    "vat_number",
    "wipe_reference",
]

DEFAULT_SEED = 2026
REGIONS = ("fr",)
PREFIX = "ref-fr-"
CERT_PREFIX = "PEX-"
AS_OF = date(2026, 12, 31)
CCSP_OPENS = date(2027, 1, 1)
YEARS = (2024, 2025, 2026)
TZ = ZoneInfo("Europe/Paris")
BATCH = 1000

#: Indirect bookings / all bookings per calendar year (2026 is the REFERENCE 65 %).
INDIRECT_SHARE = {2024: 0.59, 2025: 0.62, 2026: 0.65}
#: Cloud usage of 2026 / indirect bookings of 2026, and year-on-year growth of cloud usage.
CCSP_SHARE = 0.17
CCSP_GROWTH = {2025: 0.26, 2026: 0.30}

PRODUCT_LINES = ("rhel", "openshift", "ansible", "middleware", "cloud-services")
#: Yearly list price of one unit (subscription, core pair, node...) per product line, EUR.
UNIT_PRICE = {
    "rhel": 900,
    "openshift": 3200,
    "ansible": 1500,
    "middleware": 1300,
    "cloud-services": 600,
}
FAMILIES = {
    "rhel": "Enterprise Linux",
    "openshift": "OpenShift",
    "ansible": "Ansible Automation",
    "middleware": "Application Foundations",
}
LEVELS = {
    "associate": ("100", "Associate"),
    "professional": ("200", "Professional"),
    "specialist": ("300", "Specialist"),
    "architect": ("400", "Architect"),
}
CERT_VALIDITY_MONTHS = 36

#: Real French cities with rough weights (head offices concentrate in Paris and Lyon).
CITIES = (
    ("Paris", 30),
    ("Lyon", 8),
    ("Toulouse", 5),
    ("Nantes", 5),
    ("Lille", 5),
    ("Bordeaux", 5),
    ("Marseille", 4),
    ("Rennes", 4),
    ("Strasbourg", 3),
    ("Montpellier", 3),
    ("Nice", 3),
    ("Grenoble", 3),
    ("Sophia Antipolis", 2),
    ("Boulogne-Billancourt", 3),
    ("Nanterre", 2),
    ("Issy-les-Moulineaux", 2),
    ("Levallois-Perret", 2),
    ("Courbevoie", 2),
    ("Rouen", 2),
    ("Tours", 2),
    ("Orléans", 2),
    ("Dijon", 2),
    ("Clermont-Ferrand", 2),
    ("Reims", 1),
    ("Metz", 1),
    ("Nancy", 1),
    ("Caen", 1),
    ("Brest", 1),
    ("Angers", 1),
    ("Le Mans", 1),
    ("Limoges", 1),
    ("Poitiers", 1),
    ("Pau", 1),
    ("Perpignan", 1),
    ("Aix-en-Provence", 2),
    ("Annecy", 1),
    ("Saint-Étienne", 1),
    ("Amiens", 1),
    ("Besançon", 1),
    ("Valence", 1),
)

_SUFFIX = {
    "solution_provider": (
        "Informatique",
        "Systèmes",
        "Solutions",
        "Intégration",
        "Services",
        "Technologies",
        "Réseaux",
        "Numérique",
        "IT",
        "Logiciels",
        "Data",
    ),
    "consulting": (
        "Conseil",
        "Consulting",
        "Partners",
        "Stratégie",
        "Architectes",
        "Transformation",
        "Expertise",
    ),
    "ccsp": ("Cloud", "Hébergement", "Datacenter", "Hosting", "Infogérance", "Cloud Services"),
}
_LEGAL = ("SAS", "SAS", "SAS", "SARL", "SA", "")
_SYLLABLES = (
    "ar",
    "bel",
    "cor",
    "dal",
    "eo",
    "fi",
    "gal",
    "ka",
    "lu",
    "mer",
    "no",
    "or",
    "pra",
    "qui",
    "ri",
    "sol",
    "ta",
    "ve",
    "xo",
    "zen",
    "lys",
    "nov",
    "tec",
    "via",
)


class ReferenceDataInUse(Exception):
    """Raised when reference rows cannot be replaced because other rows still point at them
    (e.g. assessments of an evaluation run); nothing is changed."""


@dataclass(frozen=True, slots=True)
class Profile:
    """A kind of partner in the population.

    Ranges are inclusive ``(low, high)``: ``cert`` people holding a valid credential on 2026-12-31;
    ``regs`` approved or won deal registrations submitted in 2026; ``resale`` and ``influence``
    EUR of 2026 (drawn log-uniformly); ``trend`` the 2025 amount as a multiple of 2026 (2024 is
    2025 times the same draw); ``deal`` the mean booking size in EUR.
    """

    key: str
    track: str
    previous_tier: str
    count: int
    active: bool = True
    cert: tuple[int, int] = (0, 0)
    regs: tuple[int, int] = (0, 0)
    resale: tuple[float, float] = (0.0, 0.0)
    influence: tuple[float, float] = (0.0, 0.0)
    trend: tuple[float, float] = (0.75, 1.0)
    deal: float = 20_000.0
    joined: tuple[int, int] = (2008, 2022)


SP, CONS, CCSP = "solution_provider", "consulting", "ccsp"

#: The population (the counts of ``sp_small``, ``sp_dormant`` and ``ccsp`` vary a little with the
#: seed; the previous tiers never do).
PROFILES: tuple[Profile, ...] = (
    Profile(
        "premier_core",
        SP,
        "premier",
        13,
        cert=(12, 24),
        regs=(16, 34),
        resale=(1.8e6, 6.0e6),
        deal=45_000,
        joined=(2006, 2016),
    ),
    Profile(
        "premier_short",
        SP,
        "premier",
        5,
        cert=(5, 8),
        regs=(14, 26),
        resale=(1.6e6, 3.5e6),
        deal=45_000,
        joined=(2008, 2016),
    ),
    Profile(
        "premier_fading",
        SP,
        "premier",
        1,
        cert=(2, 3),
        regs=(1, 3),
        resale=(1.2e5, 2.0e5),
        trend=(9.0, 12.0),
        deal=30_000,
        joined=(2009, 2012),
    ),
    Profile(
        "advanced_core",
        SP,
        "advanced",
        17,
        cert=(5, 10),
        regs=(7, 14),
        resale=(5.5e5, 1.4e6),
        deal=30_000,
        joined=(2010, 2019),
    ),
    Profile(
        "advanced_rising",
        SP,
        "advanced",
        3,
        cert=(9, 12),
        regs=(13, 18),
        resale=(1.3e6, 2.0e6),
        trend=(0.6, 0.8),
        deal=35_000,
        joined=(2012, 2019),
    ),
    Profile(
        "advanced_weak",
        SP,
        "advanced",
        4,
        cert=(3, 5),
        regs=(4, 7),
        resale=(3.0e5, 5.0e5),
        trend=(1.0, 1.4),
        deal=25_000,
        joined=(2010, 2018),
    ),
    Profile(
        "advanced_consulting",
        CONS,
        "advanced",
        3,
        cert=(6, 12),
        regs=(3, 8),
        resale=(5.0e4, 1.5e5),
        influence=(1.2e6, 2.5e6),
        deal=20_000,
        joined=(2011, 2018),
    ),
    Profile(
        "consulting_star",
        CONS,
        "ready",
        8,
        cert=(8, 20),
        regs=(3, 10),
        resale=(0.0, 8.0e4),
        influence=(1.5e6, 5.0e6),
        deal=15_000,
        joined=(2014, 2024),
    ),
    Profile(
        "consulting_mid",
        CONS,
        "ready",
        12,
        cert=(3, 9),
        regs=(1, 6),
        resale=(0.0, 5.0e4),
        influence=(4.0e5, 1.4e6),
        deal=12_000,
        joined=(2015, 2025),
    ),
    Profile(
        "consulting_small",
        CONS,
        "ready",
        12,
        cert=(0, 4),
        regs=(0, 3),
        resale=(0.0, 3.0e4),
        influence=(5.0e4, 3.5e5),
        deal=10_000,
        joined=(2016, 2025),
    ),
    Profile(
        "consulting_dormant", CONS, "ready", 25, active=False, cert=(0, 3), joined=(2012, 2024)
    ),
    Profile(
        "sp_rising",
        SP,
        "ready",
        12,
        cert=(4, 8),
        regs=(6, 12),
        resale=(4.0e5, 1.0e6),
        trend=(0.55, 0.8),
        deal=25_000,
        joined=(2015, 2023),
    ),
    Profile(
        "sp_small",
        SP,
        "ready",
        95,
        cert=(0, 4),
        regs=(0, 5),
        resale=(1.0e4, 3.0e5),
        deal=15_000,
        joined=(2012, 2025),
    ),
    Profile("sp_dormant", SP, "ready", 0, active=False, cert=(0, 2), joined=(2008, 2024)),
    Profile("ccsp", CCSP, "", 50, cert=(1, 6), joined=(2027, 2027)),
)
TOTAL_PARTNERS = 470


@dataclass
class _Plan:
    """What the generator decided for one partner (amounts EUR per calendar year)."""

    profile: Profile
    partner: Partner
    resale: dict[int, float] = field(default_factory=dict)
    influence: dict[int, float] = field(default_factory=dict)
    regs_good: dict[int, int] = field(default_factory=dict)
    regs_bad: dict[int, int] = field(default_factory=dict)
    certified: int = 0
    focus: tuple[float, ...] = ()
    customers: list[Customer] = field(default_factory=list)
    domain: str = ""


@dataclass(frozen=True, slots=True)
class ReferenceSummary:
    """What :func:`build_reference` wrote: counts, the REFERENCE figures it hit, the seconds it
    took and a digest of the content (equal for equal seeds)."""

    region: str
    seed: int
    as_of: date
    partners: int
    active: int
    previous_tiers: dict[str, int]
    tracks: dict[str, int]
    ccsp: int
    indirect_share: float
    ccsp_share: float
    ccsp_growth: float
    rows: dict[str, int]
    deleted: int
    digest: str
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (dates ISO, shares rounded to 4 places)."""
        return {
            "region": self.region,
            "seed": self.seed,
            "as_of": self.as_of.isoformat(),
            "partners": self.partners,
            "active": self.active,
            "previous_tiers": dict(self.previous_tiers),
            "tracks": dict(self.tracks),
            "ccsp": self.ccsp,
            "indirect_share": round(self.indirect_share, 4),
            "ccsp_share": round(self.ccsp_share, 4),
            "ccsp_growth": round(self.ccsp_growth, 4),
            "rows": dict(self.rows),
            "deleted": self.deleted,
            "digest": self.digest,
            "seconds": round(self.seconds, 2),
        }


# --------------------------------------------------------------------------------------------
# identifiers


def siren_check_digit(first_eight: str) -> int:
    """The Luhn check digit that completes an 8-digit string into a valid SIREN."""
    total = 0
    # Positions counted from the right of the 9-digit number: the check digit is position 1,
    # so the digits at even positions from the right (the 8th, 6th... digit of the 8) double.
    for i, ch in enumerate(reversed(first_eight)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def luhn_valid(number: str) -> bool:
    """True when ``number`` (digits) passes the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def vat_number(siren: str) -> str:
    """French intra-EU VAT number of a SIREN: ``FR`` + key ``(12 + 3 * (siren mod 97)) mod 97``
    on two digits + the SIREN."""
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _slug(text: str) -> str:
    """E-mail local part of a name: ASCII letters, digits and hyphens (``Le Gall`` → ``legall``)."""
    return "".join(ch for ch in _ascii(text) if ch.isalnum() or ch == "-").strip("-")


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", _ascii(text))


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _recorded(day: date) -> datetime:
    """``recorded_at`` of a fact dated ``day``: 18:00 in Paris that day."""
    return datetime.combine(day, dtime(18, 0), tzinfo=TZ)


# --------------------------------------------------------------------------------------------
# wipe


def _reference_querysets(region: str) -> list[models.QuerySet[Any]]:
    """Reference rows per model, in deletion order (children first). Certifications go only
    when no credential uses them any more."""
    prefix = f"ref-{region}-"
    return [
        Booking.objects.filter(external_id__startswith=prefix),
        CloudUsage.objects.filter(external_id__startswith=prefix),
        DealRegistration.objects.filter(external_id__startswith=prefix),
        PartnerInvolvement.objects.filter(opportunity__external_id__startswith=prefix),
        Opportunity.objects.filter(external_id__startswith=prefix),
        Customer.objects.filter(external_id__startswith=prefix),
        Credential.objects.filter(credential_id__startswith=prefix),
        Attestation.objects.filter(external_id__startswith=prefix),
        Person.objects.filter(external_id__startswith=prefix),
        TrackEnrolment.objects.filter(partner__external_id__startswith=prefix),
        Partner.objects.filter(external_id__startswith=prefix),
        Certification.objects.filter(code__startswith=CERT_PREFIX).exclude(
            pk__in=Credential.objects.values("certification_id")
        ),
    ]


def wipe_reference(*, region: str = "fr") -> int:
    """Delete the reference rows of ``region`` (external ids ``ref-<region>-``) and the exchange
    rates the generator writes; returns the number of rows deleted. Runs in one transaction.

    Raises :class:`ReferenceDataInUse` when other rows protect them (e.g. evaluation assessments
    of reference partners); nothing is deleted then.
    """
    deleted = 0
    try:
        with transaction.atomic():
            for qs in _reference_querysets(region):
                count, _ = qs.delete()
                deleted += count
            for rate in _exchange_rate_keys():
                count, _ = ExchangeRate.objects.filter(**rate).delete()
                deleted += count
    except (ProtectedError, RestrictedError) as exc:
        blockers = sorted({type(obj).__name__ for obj in exc.args[1]})
        raise ReferenceDataInUse(
            f"the reference data of region {region!r} is referenced by other rows "
            f"({', '.join(blockers)}), e.g. assessments of an evaluation run; start from an "
            f"empty database (`partnerprogram flush`) or delete those rows first"
        ) from exc
    return deleted


def _exchange_rate_keys() -> list[dict[str, Any]]:
    keys = []
    for currency in ("USD", "GBP"):
        for i in range(-1, 36):
            keys.append(
                {"currency": currency, "base": "EUR", "valid_from": add_months(date(2024, 1, 1), i)}
            )
    return keys


# --------------------------------------------------------------------------------------------
# generator


class _Builder:
    """Draws the population in memory, then writes it with ``bulk_create``."""

    def __init__(self, *, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.fake = Faker("fr_FR")
        self.fake.seed_instance(self.rng.randrange(2**31))
        self.plans: list[_Plan] = []
        self.certifications: list[Certification] = []
        self.customers: list[Customer] = []
        self.people: list[Person] = []
        self.credentials: list[Credential] = []
        self.enrolments: list[TrackEnrolment] = []
        self.opportunities: list[Opportunity] = []
        self.involvements: list[PartnerInvolvement] = []
        self.registrations: list[DealRegistration] = []
        self.bookings: list[Booking] = []
        self.usage: list[CloudUsage] = []
        self.attestations: list[Attestation] = []
        self.rates: list[ExchangeRate] = []
        self.final_rate: dict[str, float] = {"EUR": 1.0}
        self.eur: dict[int, float] = {}  # id(booking) -> EUR amount at the final rate
        self._names: set[str] = set()
        self._sirens: set[str] = set()
        self._domains: set[str] = set()
        self._emails: set[str] = set()
        self._seq: dict[str, int] = defaultdict(int)

    # -- helpers ------------------------------------------------------------------------------

    def next_id(self, kind: str) -> str:
        self._seq[kind] += 1
        return f"{PREFIX}{kind}{self._seq[kind]:05d}"

    def day_in(self, start: date, end: date) -> date:
        """A uniform day in ``[start, end]``."""
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def day_of_year(self, year: int) -> date:
        return self.day_in(date(year, 1, 1), min(date(year, 12, 31), AS_OF))

    def loguniform(self, low: float, high: float) -> float:
        if low <= 0:
            return self.rng.uniform(low, high)
        return math.exp(self.rng.uniform(math.log(low), math.log(high)))

    def split(self, total: float, mean: float) -> list[float]:
        """``total`` split into lognormal parts of mean about ``mean`` (at least 1 part)."""
        if total <= 0:
            return []
        n = max(1, round(total / mean * self.rng.uniform(0.8, 1.2)))
        weights = [self.rng.lognormvariate(0, 0.8) for _ in range(n)]
        scale = total / sum(weights)
        return [w * scale for w in weights]

    def pick_currency(self, eur: float) -> str:
        if eur < 20_000:
            return "EUR"
        roll = self.rng.random()
        return "USD" if roll < 0.04 else "GBP" if roll < 0.06 else "EUR"

    def in_currency(self, eur: float, currency: str) -> Decimal:
        return _money(eur / self.final_rate[currency])

    # -- reference tables ---------------------------------------------------------------------

    def build_rates(self) -> None:
        for currency, start in (("USD", 0.915), ("GBP", 1.165)):
            rate = start
            for i in range(-1, 36):
                rate = max(0.5, rate * (1 + self.rng.gauss(0, 0.008)))
                valid_from = add_months(date(2024, 1, 1), i)
                value = Decimal(str(rate)).quantize(Decimal("0.000001"))
                self.rates.append(
                    ExchangeRate(currency=currency, base="EUR", rate=value, valid_from=valid_from)
                )
                self.final_rate[currency] = float(value)

    def build_certifications(self) -> None:
        for family, family_name in FAMILIES.items():
            for level, (number, level_name) in LEVELS.items():
                self.certifications.append(
                    Certification(
                        code=f"{CERT_PREFIX}{family.upper()}-{number}",
                        name=f"Certified {level_name} — {family_name}",
                        family=family,
                        level=level,
                        validity_months=CERT_VALIDITY_MONTHS,
                    )
                )

    def build_customers(self, count: int) -> None:
        segments = ("enterprise", "smb", "public")
        for _ in range(count):
            segment = self.rng.choices(segments, weights=(25, 60, 15))[0]
            if segment == "public":
                kind = self.rng.choice(
                    (
                        "Mairie de",
                        "Conseil départemental de",
                        "Centre hospitalier de",
                        "Université de",
                        "Communauté d'agglomération de",
                        "Région",
                    )
                )
                city = self.rng.choice(CITIES)[0]
                name = f"{kind} {city}" if kind != "Région" else f"Région {self.fake.last_name()}"
            else:
                name = self.fake.company()
                if segment == "enterprise" and self.rng.random() < 0.5:
                    name = f"Groupe {name}"
            self.customers.append(
                Customer(external_id=self.next_id("k"), name=name, country="FR", segment=segment)
            )

    # -- partners -----------------------------------------------------------------------------

    def company_name(self, track: str) -> str:
        for _ in range(100):
            style = self.rng.random()
            if style < 0.45:
                base = self.fake.last_name()
            elif style < 0.6:
                base = f"{self.fake.last_name()} & {self.fake.last_name()}"
            elif style < 0.8:
                base = "".join(
                    self.rng.choice(_SYLLABLES) for _ in range(self.rng.randint(2, 3))
                ).capitalize()
            else:
                base = "".join(self.rng.choice("ABCDEFGHIJKLMNOPRSTV") for _ in range(3))
            name = f"{base} {self.rng.choice(_SUFFIX[track])}"
            legal = self.rng.choice(_LEGAL)
            if legal:
                name = f"{name} {legal}"
            if name not in self._names:
                self._names.add(name)
                return name
        raise RuntimeError("could not invent a unique partner name")  # pragma: no cover

    def siren(self) -> str:
        while True:
            first = str(self.rng.randint(3, 9)) + "".join(
                str(self.rng.randint(0, 9)) for _ in range(7)
            )
            siren = first + str(siren_check_digit(first))
            if siren not in self._sirens:
                self._sirens.add(siren)
                return siren

    def build_partners(self) -> None:
        counts = {p.key: p.count for p in PROFILES}
        counts["ccsp"] = self.rng.randint(48, 52)
        counts["sp_small"] = 95 + self.rng.randint(-5, 5)
        counts["sp_dormant"] = TOTAL_PARTNERS - sum(
            n for key, n in counts.items() if key != "sp_dormant"
        )
        by_key = {p.key: p for p in PROFILES}
        slots = [by_key[key] for key, n in counts.items() for _ in range(n)]
        self.rng.shuffle(slots)
        names, weights = zip(*CITIES, strict=True)
        for profile in slots:
            siren = self.siren()
            low, high = profile.joined
            joined = (
                CCSP_OPENS
                if profile.track == CCSP
                else self.day_in(date(low, 1, 1), date(high, 12, 31))
            )
            name = self.company_name(profile.track)
            partner = Partner(
                external_id=self.next_id("p"),
                name=name,
                siren=siren,
                vat_number=vat_number(siren),
                country="FR",
                city=self.rng.choices(names, weights=weights)[0],
                joined_on=joined,
                previous_tier=profile.previous_tier,
                recorded_at=_recorded(min(joined, AS_OF)),
            )
            domain = self.domain(name)
            partner.contact_email = f"partenariats@{domain}"
            self.enrolments.append(
                TrackEnrolment(partner=partner, track=profile.track, enrolled_on=joined)
            )
            plan = _Plan(profile=profile, partner=partner, domain=domain)
            self.draw_plan(plan)
            self.plans.append(plan)

    def domain(self, name: str) -> str:
        """A unique e-mail domain for a partner name (``dupont-informatique.fr``)."""
        words = [w for w in _words(name) if w not in ("sas", "sarl", "sa")] or ["partenaire"]
        stem = "-".join(words[:3])
        domain, n = f"{stem}.fr", 1
        while domain in self._domains:
            n += 1
            domain = f"{stem}{n}.fr"
        self._domains.add(domain)
        return domain

    def draw_plan(self, plan: _Plan) -> None:
        p = plan.profile
        rng = self.rng
        plan.certified = rng.randint(*p.cert)
        weights = [rng.random() for _ in PRODUCT_LINES]
        weights[0] += 1.5  # Enterprise Linux is everybody's base
        if p.track == CONS:
            weights[1] += 1.0
            weights[3] += 0.8
        weights[4] *= 0.3
        plan.focus = tuple(weights)
        if p.track == CCSP:
            return
        if p.active:
            r26 = self.loguniform(*p.resale) if p.resale[1] > 0 else 0.0
            if p.track == CONS and rng.random() < 0.3:
                r26 = 0.0  # pure consultancies resell nothing
            ratio = rng.uniform(*p.trend)
            plan.resale = {2026: r26, 2025: r26 * ratio, 2024: r26 * ratio * rng.uniform(*p.trend)}
            if p.influence[1] > 0:
                i26 = self.loguniform(*p.influence)
                ratio = rng.uniform(0.7, 0.95)
                plan.influence = {2026: i26, 2025: i26 * ratio, 2024: i26 * ratio * ratio}
            good = rng.randint(*p.regs)
            plan.regs_good = {2026: good, 2025: max(0, round(good * rng.uniform(0.6, 1.1)))}
            plan.regs_bad = {
                year: round(n * rng.uniform(0.25, 0.7)) + rng.randint(0, 1)
                for year, n in plan.regs_good.items()
            }
        else:
            # Dormant: nothing in 2026; some lapsed in 2025 or 2024.
            last = rng.choices((None, 2024, 2025), weights=(45, 25, 30))[0]
            plan.resale = {2024: 0.0, 2025: 0.0, 2026: 0.0}
            if last is not None:
                plan.resale[last] = self.loguniform(5e3, 1.2e5)
                if last == 2025 and rng.random() < 0.5:
                    plan.resale[2024] = self.loguniform(5e3, 1.5e5)
                plan.regs_good = {2025: rng.randint(0, 2) if last == 2025 else 0, 2026: 0}
                plan.regs_bad = {2025: rng.randint(0, 2) if last == 2025 else 0, 2026: 0}

    # -- people -------------------------------------------------------------------------------

    def person(
        self, plan: _Plan, *, role: str, employed_from: date, employed_until: date | None = None
    ) -> Person:
        first, last = self.fake.first_name(), self.fake.last_name()
        local, n = f"{_slug(first)}.{_slug(last)}", 1
        email = f"{local}@{plan.domain}"
        while email in self._emails:  # one e-mail is one human
            n += 1
            email = f"{local}{n}@{plan.domain}"
        self._emails.add(email)
        person = Person(
            external_id=self.next_id("h"),
            partner=plan.partner,
            email=email,
            first_name=first,
            last_name=last,
            job_role=role,
            employed_from=employed_from,
            employed_until=employed_until,
            recorded_at=_recorded(min(employed_from, AS_OF)),
        )
        self.people.append(person)
        return person

    def credential(
        self, person: Person, family: str, earned: date, *, level: str | None = None
    ) -> None:
        if level is None:
            level = self.rng.choices(tuple(LEVELS), weights=(45, 35, 15, 5))[0]
        cert = self.cert_by_key[(family, level)]
        self.credentials.append(
            Credential(
                credential_id=self.next_id("c"),
                person=person,
                certification=cert,
                earned_on=earned,
                expires_on=add_months(earned, CERT_VALIDITY_MONTHS),
                recorded_at=_recorded(earned),
            )
        )

    def family(self, plan: _Plan) -> str:
        return self.rng.choices(tuple(FAMILIES), weights=plan.focus[:4])[0]

    def build_people(self) -> None:
        self.cert_by_key = {(c.family, c.level): c for c in self.certifications}
        rng = self.rng
        valid_from, valid_to = date(2024, 1, 1), date(2026, 12, 15)
        certified_people: list[tuple[_Plan, Person]] = []
        for plan in self.plans:
            start = date(2012, 1, 1)
            hired_until = date(2026, 9, 30)
            size = plan.certified
            # Certified people (count exactly ``plan.certified`` on AS_OF).
            for i in range(plan.certified):
                person = self.person(
                    plan, role="technical", employed_from=self.day_in(start, hired_until)
                )
                if i == 0 and rng.random() < 0.25:
                    earned = self.day_in(date(2024, 1, 1), date(2024, 1, 31))  # expires Jan 2027
                else:
                    earned = self.day_in(valid_from, valid_to)
                family = self.family(plan)
                self.credential(
                    person,
                    family,
                    earned,
                    level="architect"
                    if plan.profile.track == CONS and rng.random() < 0.3
                    else None,
                )
                for _ in range(rng.choices((0, 1, 2), weights=(55, 35, 10))[0]):
                    self.credential(
                        person, self.family(plan), self.day_in(date(2019, 1, 1), date(2026, 11, 30))
                    )
                certified_people.append((plan, person))
            # Credentials expiring just before the deadline (counted in July, not on Dec 31).
            if plan.certified >= 3 and rng.random() < 0.3:
                person = self.person(
                    plan, role="technical", employed_from=self.day_in(start, date(2023, 6, 30))
                )
                self.credential(
                    person, self.family(plan), self.day_in(date(2023, 11, 15), date(2023, 12, 31))
                )
            # Technical staff whose credentials have lapsed.
            for _ in range(rng.randint(0, 1 + size // 4)):
                person = self.person(
                    plan, role="technical", employed_from=self.day_in(start, date(2024, 6, 30))
                )
                self.credential(
                    person, self.family(plan), self.day_in(date(2018, 1, 1), date(2023, 10, 31))
                )
            # Sales and other staff.
            for _ in range(rng.randint(1, 2 + size // 3)):
                self.person(
                    plan,
                    role=rng.choice(("sales", "sales", "other")),
                    employed_from=self.day_in(start, hired_until),
                )
            # People who left, some with credentials still valid (they no longer count).
            for _ in range(rng.choices((0, 1, 2), weights=(50, 35, 15))[0]):
                hired = self.day_in(start, date(2024, 12, 31))
                left = self.day_in(max(hired + timedelta(days=30), date(2025, 1, 1)), AS_OF)
                person = self.person(
                    plan, role="technical", employed_from=hired, employed_until=left
                )
                if rng.random() < 0.7:
                    self.credential(person, self.family(plan), self.day_in(valid_from, valid_to))
        # A few people employed by two partners at once (same e-mail, one row per partner; the
        # credentials are attached to the first row and belong to the human, so the metrics
        # count them for both employers).
        active_plans = [p for p in self.plans if p.profile.active and p.profile.track != CCSP]
        for plan, person in rng.sample(certified_people, k=min(8, len(certified_people))):
            other = rng.choice([p for p in active_plans if p is not plan])
            twin = Person(
                external_id=self.next_id("h"),
                partner=other.partner,
                email=person.email,
                first_name=person.first_name,
                last_name=person.last_name,
                job_role="technical",
                employed_from=self.day_in(date(2023, 1, 1), date(2026, 6, 30)),
            )
            twin.recorded_at = _recorded(twin.employed_from)
            self.people.append(twin)

    # -- bookings -----------------------------------------------------------------------------

    def booking(
        self,
        *,
        eur: float,
        booked_on: date,
        customer: Customer,
        product_line: str,
        partner: Partner | None,
        motion: str,
        influencing: Partner | None = None,
        opportunity: Opportunity | None = None,
        quantity: float | None = None,
        currency: str | None = None,
    ) -> Booking:
        currency = currency or self.pick_currency(eur)
        term = 36 if self.rng.random() < 0.25 else 12
        if quantity is None:
            quantity = max(1, round(eur / (UNIT_PRICE[product_line] * term / 12)))
        booking = Booking(
            external_id=self.next_id("b"),
            booked_on=booked_on,
            amount=self.in_currency(eur, currency),
            currency=currency,
            customer=customer,
            product_line=product_line,
            channel=Booking.Channel.INDIRECT if partner else Booking.Channel.DIRECT,
            motion=motion,
            quantity=Decimal(round(quantity)),
            term_start=booked_on,
            term_end=add_months(booked_on, term),
            opportunity=opportunity,
            transacting_partner=partner,
            influencing_partner=influencing,
            recorded_at=_recorded(booked_on),
        )
        self.bookings.append(booking)
        self.eur[id(booking)] = (
            eur if currency == "EUR" else float(booking.amount) * self.final_rate[currency]
        )
        return booking

    def product_line(self, plan: _Plan | None) -> str:
        weights = plan.focus if plan else (4, 3, 2, 1.5, 0.5)
        return self.rng.choices(PRODUCT_LINES, weights=weights)[0]

    def assign_customers(self) -> None:
        for plan in self.plans:
            total = sum(plan.resale.values()) + sum(plan.influence.values())
            regs = sum(plan.regs_good.values()) + sum(plan.regs_bad.values())
            size = max(2 if total or regs else 0, round(total / 40_000) + regs // 2)
            size = min(size, 160)
            plan.customers = self.rng.sample(self.customers, k=size) if size else []

    def build_resale(self) -> None:
        """Indirect bookings per partner and year, motions following each subscription."""
        mean_by_plan = {id(p): p.profile.deal for p in self.plans}
        for plan in self.plans:
            entries: list[tuple[date, float]] = []
            for year in YEARS:
                for eur in self.split(plan.resale.get(year, 0.0), mean_by_plan[id(plan)]):
                    entries.append((self.day_of_year(year), eur))
            entries.sort()
            seen: dict[tuple[int, str], Decimal] = {}
            for booked_on, eur in entries:
                customer = self.rng.choice(plan.customers)
                line = self.product_line(plan)
                key = (id(customer), line)
                if key in seen:
                    motion = self.rng.choices(
                        ("renewal", "upsell", "downsell"), weights=(60, 30, 10)
                    )[0]
                else:
                    motion = "new"
                b = self.booking(
                    eur=eur,
                    booked_on=booked_on,
                    customer=customer,
                    product_line=line,
                    partner=plan.partner,
                    motion=motion,
                )
                seen[key] = b.quantity
                if self.rng.random() < 0.25 and motion in ("new", "upsell"):
                    self.opportunity_for(b, plan.partner, role="resell")
            # A few subscriptions churn (amount 0, the seats lost).
            for (cust_id, line), qty in list(seen.items()):
                if self.rng.random() < 0.04:
                    customer = next(c for c in plan.customers if id(c) == cust_id)
                    self.booking(
                        eur=0.0,
                        booked_on=self.day_in(date(2025, 1, 1), AS_OF),
                        customer=customer,
                        product_line=line,
                        partner=plan.partner,
                        motion="churn",
                        quantity=float(qty),
                        currency="EUR",
                    )

    def opportunity_for(
        self, booking: Booking, partner: Partner | None, *, role: str, validated: bool = True
    ) -> Opportunity:
        created = booking.booked_on - timedelta(days=self.rng.randint(20, 200))
        opp = Opportunity(
            external_id=self.next_id("o"),
            customer=booking.customer,
            name=f"{booking.customer.name} — {booking.product_line}",
            product_line=booking.product_line,
            amount=booking.amount,
            currency=booking.currency,
            stage=Opportunity.Stage.WON,
            created_on=created,
            close_date=booking.booked_on,
            recorded_at=_recorded(created),
        )
        self.opportunities.append(opp)
        booking.opportunity = opp
        if partner is not None:
            self.involve(opp, partner, role=role, validated=validated, on=booking.booked_on)
        return opp

    def involve(
        self, opp: Opportunity, partner: Partner, *, role: str, validated: bool, on: date
    ) -> None:
        validated_on = (
            min(on + timedelta(days=self.rng.randint(1, 20)), AS_OF) if validated else None
        )
        self.involvements.append(
            PartnerInvolvement(
                opportunity=opp,
                partner=partner,
                role=role,
                validated=validated,
                validated_on=validated_on,
                recorded_at=_recorded(min(on, AS_OF)),
            )
        )

    def build_influence(self) -> dict[int, float]:
        """Consultancies' influence: part tagged on partners' indirect bookings, the rest on
        direct bookings. Returns the EUR of direct influenced bookings per year."""
        direct_influenced: dict[int, float] = defaultdict(float)
        by_year: dict[int, list[Booking]] = defaultdict(list)
        sp_partners = {id(p.partner) for p in self.plans if p.profile.track == SP}
        for b in self.bookings:
            if (
                b.transacting_partner is not None
                and id(b.transacting_partner) in sp_partners
                and self.eur[id(b)] >= 10_000
                and b.customer.segment != "smb"
            ):
                by_year[b.booked_on.year].append(b)
        for pool in by_year.values():
            self.rng.shuffle(pool)
        cursor = dict.fromkeys(by_year, 0)
        for plan in self.plans:
            for year, total in sorted(plan.influence.items()):
                if total <= 0:
                    continue
                tagged = 0.0
                pool = by_year[year]
                target = total * self.rng.uniform(0.3, 0.5)
                while tagged < target and cursor[year] < len(pool):
                    b = pool[cursor[year]]
                    cursor[year] += 1
                    if tagged + self.eur[id(b)] > target * 1.15:
                        continue
                    b.influencing_partner = plan.partner
                    tagged += self.eur[id(b)]
                    opp = b.opportunity or self.opportunity_for(
                        b, b.transacting_partner, role="resell"
                    )
                    self.involve(
                        opp, plan.partner, role="influenced", validated=True, on=b.booked_on
                    )
                big = [c for c in plan.customers if c.segment != "smb"] or plan.customers
                for eur in self.split(total - tagged, plan.profile.deal * 5):
                    b = self.booking(
                        eur=eur,
                        booked_on=self.day_of_year(year),
                        customer=self.rng.choice(big),
                        product_line=self.product_line(plan),
                        partner=None,
                        motion=self.rng.choice(("new", "new", "upsell")),
                        influencing=plan.partner,
                    )
                    opp = self.opportunity_for(b, plan.partner, role="influenced", validated=True)
                    opp.name = f"{opp.name} (architecture)"
                    direct_influenced[year] += self.eur[id(b)]
                # Influence claims still awaiting validation (not counted by metrics).
                for _ in range(self.rng.randint(0, 3)):
                    created = self.day_of_year(year)
                    opp = Opportunity(
                        external_id=self.next_id("o"),
                        customer=self.rng.choice(big),
                        name="Étude d'architecture",
                        product_line=self.product_line(plan),
                        amount=_money(self.loguniform(3e4, 3e5)),
                        currency="EUR",
                        stage=self.rng.choice(("qualification", "proposal", "negotiation")),
                        created_on=created,
                        recorded_at=_recorded(created),
                    )
                    opp.name = f"{opp.customer.name} — {opp.name}"
                    self.opportunities.append(opp)
                    self.involve(opp, plan.partner, role="influenced", validated=False, on=created)
        return direct_influenced

    def indirect_by_year(self) -> dict[int, float]:
        totals: dict[int, float] = defaultdict(float)
        for b in self.bookings:
            if b.transacting_partner is not None:
                totals[b.booked_on.year] += self.eur[id(b)]
        return totals

    def build_direct(self, direct_influenced: dict[int, float]) -> None:
        """Direct bookings until indirect is ``INDIRECT_SHARE`` of each year."""
        indirect = self.indirect_by_year()
        big = [c for c in self.customers if c.segment != "smb"]
        for year in YEARS:
            share = INDIRECT_SHARE[year]
            needed = indirect[year] * (1 - share) / share - direct_influenced[year]
            for eur in self.split(needed, 70_000):
                customer = self.rng.choice(big if self.rng.random() < 0.8 else self.customers)
                b = self.booking(
                    eur=eur,
                    booked_on=self.day_of_year(year),
                    customer=customer,
                    product_line=self.product_line(None),
                    partner=None,
                    motion=self.rng.choices(("new", "renewal", "upsell"), weights=(30, 50, 20))[0],
                )
                if self.rng.random() < 0.3:
                    self.opportunity_for(b, None, role="resell")

    # -- deal registrations -------------------------------------------------------------------

    def build_registrations(self) -> None:
        rng = self.rng
        bookings_by_partner: dict[int, list[Booking]] = defaultdict(list)
        for b in self.bookings:
            if b.transacting_partner is not None and b.motion in ("new", "upsell"):
                bookings_by_partner[id(b.transacting_partner)].append(b)
        for plan in self.plans:
            own = sorted(bookings_by_partner[id(plan.partner)], key=lambda b: b.booked_on)
            for year in (2025, 2026):
                kinds = ["good"] * plan.regs_good.get(year, 0) + ["bad"] * plan.regs_bad.get(
                    year, 0
                )
                for kind in kinds:
                    registered = self.day_in(
                        date(year, 1, 1), date(year, 12, 28) if year == 2026 else date(year, 12, 31)
                    )
                    age = (AS_OF - registered).days
                    if kind == "good":
                        status = "won" if age > 90 and rng.random() < 0.7 else "approved"
                    elif age < 25:
                        status = rng.choice(("submitted", "submitted", "rejected"))
                    else:
                        status = rng.choices(("rejected", "lost", "expired"), weights=(40, 35, 25))[
                            0
                        ]
                    self.registration(plan, registered, status, own)

    def registration(self, plan: _Plan, registered: date, status: str, own: list[Booking]) -> None:
        rng = self.rng
        linked: Booking | None = None
        if status == "won":
            candidates = [
                b
                for b in own
                if b.opportunity is None
                and registered + timedelta(days=15)
                <= b.booked_on
                <= registered + timedelta(days=200)
            ]
            if candidates:
                linked = rng.choice(candidates)
        customer: Customer | None
        if linked is not None:
            customer, line = linked.customer, linked.product_line
            eur = self.eur[id(linked)] * rng.uniform(0.8, 1.3)
        else:
            customer = (
                rng.choice(plan.customers) if plan.customers and rng.random() < 0.85 else None
            )
            line = self.product_line(plan)
            eur = self.loguniform(plan.profile.deal * 0.5, plan.profile.deal * 4)
        decided = (
            None
            if status == "submitted"
            else min(registered + timedelta(days=rng.randint(2, 15)), AS_OF)
        )
        reg = DealRegistration(
            external_id=self.next_id("d"),
            partner=plan.partner,
            customer=customer,
            customer_name=customer.name if customer else self.fake.company(),
            product_line=line,
            estimated_amount=_money(eur),
            currency="EUR",
            status=status,
            registered_on=registered,
            decided_on=decided,
            expires_on=registered + timedelta(days=90)
            if status != "rejected" and decided
            else None,
            recorded_at=_recorded(registered),
        )
        if linked is not None:
            reg.opportunity = self.opportunity_for(linked, plan.partner, role="sourced")
            self.involve(
                reg.opportunity, plan.partner, role="resell", validated=True, on=linked.booked_on
            )
        elif customer is not None and status in ("approved", "lost", "won"):
            stage = {
                "approved": rng.choice(("proposal", "negotiation")),
                "lost": "lost",
                "won": "won",
            }[status]
            opp = Opportunity(
                external_id=self.next_id("o"),
                customer=customer,
                name=f"{customer.name} — {line}",
                product_line=line,
                amount=_money(eur),
                currency="EUR",
                stage=stage,
                created_on=registered,
                close_date=decided if stage in ("won", "lost") else None,
                recorded_at=_recorded(registered),
            )
            self.opportunities.append(opp)
            reg.opportunity = opp
            self.involve(
                opp, plan.partner, role="sourced", validated=status != "lost", on=registered
            )
        self.registrations.append(reg)

    # -- cloud usage --------------------------------------------------------------------------

    def build_cloud_usage(self) -> None:
        """Monthly usage of the CCSPs: 2026 total = ``CCSP_SHARE`` of indirect 2026, growing
        ``CCSP_GROWTH`` a year; each provider has its own size, start month and growth."""
        rng = self.rng
        indirect_2026 = self.indirect_by_year()[2026]
        target = {2026: indirect_2026 * CCSP_SHARE}
        target[2025] = target[2026] / (1 + CCSP_GROWTH[2026])
        target[2024] = target[2025] / (1 + CCSP_GROWTH[2025])
        plans = [p for p in self.plans if p.profile.track == CCSP]
        raw: dict[int, dict[int, list[float]]] = {year: {} for year in YEARS}
        for plan in plans:
            start = rng.choices((date(2024, 1, 1), None), weights=(80, 20))[0] or date(
                rng.choice((2024, 2025, 2025, 2026)), rng.randint(1, 12), 1
            )
            if start.year == 2026:
                start = date(2026, rng.randint(1, 6), 1)
            size = rng.lognormvariate(0, 0.9)
            growth = min(0.9, max(-0.1, rng.gauss(CCSP_GROWTH[2026], 0.15)))
            for year in YEARS:
                level = size * (1 + growth) ** (year - 2025)
                months = []
                for m in range(1, 13):
                    month = date(year, m, 1)
                    months.append(
                        0.0
                        if month < start
                        else level * (1 + 0.025 * (m - 6.5)) * rng.uniform(0.93, 1.07)
                    )
                raw[year][id(plan)] = months
        for year in YEARS:
            scale = target[year] / sum(sum(m) for m in raw[year].values())
            for plan in plans:
                for m, value in enumerate(raw[year][id(plan)], start=1):
                    if value <= 0:
                        continue
                    month = date(year, m, 1)
                    eur = value * scale
                    for line, share in (
                        ("cloud-services", 0.6),
                        ("openshift", 0.25),
                        ("rhel", 0.15),
                    ):
                        amount = _money(eur * share)
                        self.usage.append(
                            CloudUsage(
                                external_id=self.next_id("u"),
                                partner=plan.partner,
                                month=month,
                                product_line=line,
                                quantity=(amount / Decimal(UNIT_PRICE[line] / 12)).quantize(
                                    Decimal("0.0001")
                                ),
                                unit="subscription-month",
                                amount=amount,
                                currency="EUR",
                                recorded_at=_recorded(add_months(month, 1) - timedelta(days=1)),
                            )
                        )

        # The CCSP cycle (claims 2027-01-01..2027-03-31) settles on the usage up to its deadline:
        # the first quarter of 2027 continues each provider's 2026 months at +CCSP_GROWTH (no
        # random draw, so the rest of the data set is unchanged).
        grow = Decimal(str(1 + CCSP_GROWTH[2026]))
        first_quarter = [u for u in self.usage if u.month.year == 2026 and u.month.month <= 3]
        for row in first_quarter:
            month = date(2027, row.month.month, 1)
            self.usage.append(
                CloudUsage(
                    external_id=self.next_id("u"),
                    partner=row.partner,
                    month=month,
                    product_line=row.product_line,
                    quantity=(row.quantity * grow).quantize(Decimal("0.0001")),
                    unit=row.unit,
                    amount=(row.amount * grow).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
                    currency=row.currency,
                    recorded_at=_recorded(add_months(month, 1) - timedelta(days=1)),
                )
            )

    # -- attestations -------------------------------------------------------------------------

    def build_attestations(self) -> None:
        rng = self.rng
        for plan in self.plans:
            p = plan.profile
            wants_plan = (
                p.previous_tier in ("premier", "advanced")
                or p.key in ("consulting_star", "sp_rising")
                or (p.active and p.track != CCSP and rng.random() < 0.15)
            )
            if wants_plan:
                # Last year's plan (expired) and this cycle's plan.
                for start, end in (
                    (date(2025, 6, 1), date(2025, 10, 31)),
                    (date(2026, 7, 1), date(2026, 11, 30)),
                ):
                    if start.year == 2025 and rng.random() < 0.5:
                        continue
                    if start.year == 2026 and rng.random() < 0.08:
                        continue  # forgot to file it this year
                    attested = self.day_in(start, end)
                    self.attestations.append(
                        Attestation(
                            external_id=self.next_id("a"),
                            partner=plan.partner,
                            kind="business_plan",
                            attested_on=attested,
                            valid_until=add_months(attested, 12),
                            reference=f"BP-{attested.year}-{plan.partner.external_id[-4:]}",
                            recorded_at=_recorded(attested),
                        )
                    )
            if p.active and p.track != CCSP and rng.random() < 0.12:
                attested = self.day_in(date(2025, 1, 1), date(2026, 11, 30))
                self.attestations.append(
                    Attestation(
                        external_id=self.next_id("a"),
                        partner=plan.partner,
                        kind="technical_validation",
                        category=rng.choice(("msp", "devops", "automation")),
                        attested_on=attested,
                        valid_until=add_months(attested, 24),
                        recorded_at=_recorded(attested),
                    )
                )

    # -- run ----------------------------------------------------------------------------------

    def draw(self) -> None:
        self.build_rates()
        self.build_certifications()
        self.build_customers(3200)
        self.build_partners()
        self.build_people()
        self.assign_customers()
        self.build_resale()
        direct_influenced = self.build_influence()
        self.build_direct(direct_influenced)
        self.build_registrations()
        self.build_cloud_usage()
        self.build_attestations()

    def write(self) -> dict[str, int]:
        """bulk_create every table in dependency order; returns rows per table."""
        steps: list[tuple[str, type[models.Model], list[Any]]] = [
            ("exchange_rates", ExchangeRate, self.rates),
            ("certifications", Certification, self.certifications),
            ("customers", Customer, self.customers),
            ("partners", Partner, [p.partner for p in self.plans]),
            ("enrolments", TrackEnrolment, self.enrolments),
            ("people", Person, self.people),
            ("credentials", Credential, self.credentials),
            ("attestations", Attestation, self.attestations),
            ("opportunities", Opportunity, self.opportunities),
            ("involvements", PartnerInvolvement, self.involvements),
            ("deal_registrations", DealRegistration, self.registrations),
            ("bookings", Booking, self.bookings),
            ("cloud_usage", CloudUsage, self.usage),
        ]
        rows = {}
        for name, model, objs in steps:
            if name == "certifications":
                existing = {
                    c.code: c for c in Certification.objects.filter(code__in=[c.code for c in objs])
                }
                for cert in objs:
                    if cert.code in existing:
                        cert.pk = existing[cert.code].pk
                        cert._state.adding = False
                        cert.save()
                objs = [c for c in objs if c.code not in existing]
            created = model._default_manager.bulk_create(objs, batch_size=BATCH)
            if created and created[0].pk is None:  # pragma: no cover - old database backends
                raise RuntimeError(f"{model.__name__}: the database did not return primary keys")
            rows[name] = len(self.certifications) if name == "certifications" else len(objs)
        return rows

    def figures(self) -> dict[str, Any]:
        indirect = self.indirect_by_year()
        total_2026 = sum(self.eur[id(b)] for b in self.bookings if b.booked_on.year == 2026)
        usage: dict[int, float] = defaultdict(float)
        for u in self.usage:
            usage[u.month.year] += float(u.amount)
        active: set[int] = set()
        for b in self.bookings:
            if b.booked_on.year == 2026:
                for partner in (b.transacting_partner, b.influencing_partner):
                    if partner is not None:
                        active.add(id(partner))
        for r in self.registrations:
            if r.registered_on.year == 2026:
                active.add(id(r.partner))
        for u in self.usage:
            if u.month.year == 2026:
                active.add(id(u.partner))
        tiers: dict[str, int] = defaultdict(int)
        tracks: dict[str, int] = defaultdict(int)
        for plan in self.plans:
            tiers[plan.partner.previous_tier or "none"] += 1
            tracks[plan.profile.track] += 1
        return {
            "active": len(active),
            "previous_tiers": dict(sorted(tiers.items())),
            "tracks": dict(sorted(tracks.items())),
            "ccsp": tracks[CCSP],
            "indirect_share": indirect[2026] / total_2026,
            "ccsp_share": usage[2026] / indirect[2026],
            "ccsp_growth": usage[2026] / usage[2025] - 1,
        }

    def digest(self) -> str:
        h = hashlib.sha256()
        for plan in self.plans:
            p = plan.partner
            h.update(f"{p.external_id}|{p.name}|{p.siren}|{p.previous_tier}\n".encode())
        for b in self.bookings:
            h.update(f"{b.external_id}|{b.booked_on}|{b.amount}|{b.currency}\n".encode())
        for person in self.people:
            h.update(f"{person.external_id}|{person.email}\n".encode())
        for c in self.credentials:
            h.update(f"{c.credential_id}|{c.earned_on}\n".encode())
        for r in self.registrations:
            h.update(f"{r.external_id}|{r.status}|{r.registered_on}\n".encode())
        for u in self.usage:
            h.update(f"{u.external_id}|{u.amount}\n".encode())
        return h.hexdigest()


def build_reference(*, region: str = "fr", seed: int = DEFAULT_SEED) -> ReferenceSummary:
    """Replace the reference data of ``region`` with the population drawn from ``seed``.

    One transaction: the previous reference rows are deleted (see :func:`wipe_reference`) and
    the new ones bulk-created. Returns a :class:`ReferenceSummary`.

    Raises ``ValueError`` for an unknown region and :class:`ReferenceDataInUse` when the old
    reference rows are still referenced (nothing changes then).
    """
    if region not in REGIONS:
        raise ValueError(f"unknown region {region!r}; known: {', '.join(REGIONS)}")
    started = time.perf_counter()
    builder = _Builder(seed=seed)
    builder.draw()
    with transaction.atomic():
        deleted = wipe_reference(region=region)
        rows = builder.write()
    figures = builder.figures()
    return ReferenceSummary(
        region=region,
        seed=seed,
        as_of=AS_OF,
        partners=len(builder.plans),
        active=figures["active"],
        previous_tiers=figures["previous_tiers"],
        tracks=figures["tracks"],
        ccsp=figures["ccsp"],
        indirect_share=figures["indirect_share"],
        ccsp_share=figures["ccsp_share"],
        ccsp_growth=figures["ccsp_growth"],
        rows=rows,
        deleted=deleted,
        digest=builder.digest(),
        seconds=time.perf_counter() - started,
    )


def summary_text(summary: ReferenceSummary) -> str:
    """Human-readable lines of a summary (the command's text format)."""
    d = summary.as_dict()
    tiers = ", ".join(f"{k} {v}" for k, v in d["previous_tiers"].items())
    tracks = ", ".join(f"{k} {v}" for k, v in d["tracks"].items())
    rows = "\n".join(f"  {name:<20} {count:>7}" for name, count in d["rows"].items())
    return (
        f"Reference data set {d['region']} (seed {d['seed']}, as of {d['as_of']})\n"
        f"partners        {d['partners']}  (active in the last 12 months: {d['active']})\n"
        f"previous tiers  {tiers}\n"
        f"tracks          {tracks}  (CCSP: {d['ccsp']}, track opens {CCSP_OPENS.isoformat()})\n"
        f"indirect share  {d['indirect_share']:.2%} of 2026 bookings\n"
        f"CCSP usage      {d['ccsp_share']:.2%} of indirect bookings, "
        f"{d['ccsp_growth']:+.2%} on 2025\n"
        f"rows written\n{rows}\n"
        f"rows replaced   {d['deleted']}\n"
        f"digest          {d['digest']}\n"
        f"seconds         {d['seconds']:.2f}"
    )


def summary_json(summary: ReferenceSummary) -> str:
    """The summary as indented JSON (the command's json format)."""
    return json.dumps(summary.as_dict(), indent=2, sort_keys=False, ensure_ascii=False)
