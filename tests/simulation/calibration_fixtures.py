"""A six-partner program whose calibrations can be worked out by hand (no database).

One track (``resale``), three tiers. Premier needs 10 certified people and EUR 1,000,000 of
resale over 12 months; Advanced needs 5 certified people.

| partner | certified | resale 12M | previous tier | tier under the draft |
| ------- | --------- | ---------- | ------------- | -------------------- |
| p1      | 12        | 1,200,000  | premier       | premier              |
| p2      | 9         | 1,500,000  | premier       | advanced (1 person)  |
| p3      | 8         | 900,000    | premier       | advanced (both)      |
| p4      | 7         | 2,000,000  | advanced      | advanced             |
| p5      | 3         | 100,000    | premier       | ready                |
| p6      | 11        | 950,000    | advanced      | advanced (resale)    |
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from partnerprogram.programs.calibrate import CalibrationInputs
from partnerprogram.programs.schema import Program, load_program_text

AS_OF = date(2026, 12, 31)
CERTIFIED = "certified_people"
RESALE = "resale_bookings@12M"
PREMIER_CERTIFIED = "requirements.resale.premier.all[0].at_least"
PREMIER_RESALE = "requirements.resale.premier.all[1].at_least"
ADVANCED_CERTIFIED = "requirements.resale.advanced.at_least"

DRAFT = """\
# A small draft (comments and layout must survive calibration).
program: tiny
name: Tiny program
currency: EUR
timezone: Europe/Paris
version: "1"
effective_from: 2026-01-01
tiers: [ready, advanced, premier]
tracks:
  resale: {}
requirements:
  resale:
    advanced:
      metric: certified_people
      at_least: 5      # five people
    premier:
      all:
        - {id: people, metric: certified_people, at_least: 10}
        - id: resale
          metric: resale_bookings
          window: 12M
          at_least: 1_000_000   # EUR
"""

PARTNERS = {
    # external id: (certified people, resale EUR, previous tier)
    "p1": (12, "1200000", "premier"),
    "p2": (9, "1500000", "premier"),
    "p3": (8, "900000", "premier"),
    "p4": (7, "2000000", "advanced"),
    "p5": (3, "100000", "premier"),
    "p6": (11, "950000", "advanced"),
}


def draft_program() -> Program:
    return load_program_text(DRAFT, source="tiny.yaml")


def inputs(baseline: dict[str, str] | None = None) -> CalibrationInputs:
    """The six partners (ids 1..6); the baseline is the previous tier unless given."""
    partners = []
    values = {}
    tiers = {}
    for pid, (ext, (people, resale, previous)) in enumerate(PARTNERS.items(), start=1):
        partners.append((pid, ext, ("resale",), previous))
        values[pid] = {CERTIFIED: Decimal(people), RESALE: Decimal(resale)}
        tier = (baseline or {}).get(ext, previous) if baseline is not None else previous
        if tier:
            tiers[pid] = tier
    return CalibrationInputs(
        partners=partners,
        values=values,
        baseline=tiers,
        baseline_name="previous" if baseline is None else "given",
        as_of=AS_OF,
    )
