"""Simulation on a hand-built population of 9 partners; every figure is computed by hand in the
comments from the facts below (no value is copied from the code's output).

Facts as of 2026-12-31 (certified people; resale = indirect bookings in the 12 months;
influenced = bookings influenced in the 12 months; opps = approved deal registrations):

| partner | track   | people | resale  | influenced | opps | previous tier |
| A       | resell  | 3      | 150,000 | 0          | 0    | gold          |
| B       | resell  | 2      | 150,000 | 0          | 0    | gold          |
| C       | resell  | 3      | 60,000  | 0          | 0    | ready         |
| D       | resell  | 1      | 60,000  | 0          | 0    | ready         |
| E       | resell  | 0      | 0       | 0          | 0    | (none)        |
| F       | consult | 2      | 0       | 0          | 3    | gold          |
| G       | consult | 1      | 0       | 60,000     | 0    | ready         |
| H       | consult | 0      | 0       | 0          | 0    | ready         |
| I       | (none)  | 0      | 0       | 0          | 0    | (none)        |

Version 1 (published): resell gold = people >= 2 and resale >= 50,000; consult gold = at least
2 of (people >= 2, influenced >= 50,000, opps >= 3). The draft (version 2) raises resell gold to
people >= 3 and resale >= 100,000; consult unchanged. Ready has no requirement: every enrolled
partner is at least ready; I, enrolled nowhere, has no tier.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from partnerprogram.programs.models import EvaluationRun, ProgramVersion
from partnerprogram.programs.schema import Program, load_program_text
from partnerprogram.programs.selectors import program_definition, program_version_get
from partnerprogram.programs.services import program_versions_load
from partnerprogram.programs.simulate import (
    SimulationError,
    binding_requirements,
    program_with_threshold,
    sensitivity_values,
    simulation_run,
    snapshot_take,
    threshold_get,
    threshold_sensitivity,
    tiers_assess,
)
from tests.factories import (
    BookingFactory,
    CertificationFactory,
    CredentialFactory,
    DealRegistrationFactory,
    PartnerFactory,
    PersonFactory,
    TrackEnrolmentFactory,
)

AS_OF = date(2026, 12, 31)

V1 = """
program: sim-test
name: Simulation test
currency: EUR
timezone: Europe/Paris
version: "1"
effective_from: 2026-01-01
tiers: [ready, gold]
tracks: {resell: {}, consult: {}}
requirements:
  resell:
    gold:
      all:
        - {id: people, label: Certified people, metric: certified_people, at_least: 2}
        - {id: resale, label: Resale, metric: resale_bookings, window: 12M, at_least: 50000}
  consult:
    gold:
      at_least: 2
      of:
        - {label: Certified people, metric: certified_people, at_least: 2}
        - {label: Influence, metric: influenced_bookings, window: 12M, at_least: 50000}
        - label: Opportunities
          metric: registered_opportunities
          where: {status: [approved, won]}
          window: 12M
          at_least: 3
benefits:
  ready:
    - {key: discount, kind: discount, value: 0.05, label: Discount}
    - {key: protection, kind: protection_days, value: 60, label: Protection}
  gold:
    - {key: discount, kind: discount, value: 0.10, label: Discount}
    - {key: mdf, kind: mdf, value: 1000, label: MDF}
"""

DRAFT = (
    V1.replace('version: "1"', 'version: "2"')
    .replace(
        "metric: certified_people, at_least: 2}\n        - {id: resale",
        "metric: certified_people, at_least: 3}\n        - {id: resale",
    )
    .replace(
        "window: 12M, at_least: 50000}\n  consult", "window: 12M, at_least: 100000}\n  consult"
    )
)


def test_draft_differs_from_version_1_only_in_the_resell_gold_thresholds() -> None:
    draft = load_program_text(DRAFT, source="draft")
    assert threshold_get(draft, "requirements.resell.gold.all[0].at_least") == 3
    assert threshold_get(draft, "requirements.resell.gold.all[1].at_least") == 100000
    assert threshold_get(draft, "requirements.consult.gold.of[0].at_least") == 2


@pytest.fixture
def published(tmp_path: Path, db: None) -> Program:
    path = tmp_path / "v1.yaml"
    path.write_text(V1, encoding="utf-8")
    program_versions_load(paths=[path])
    return program_definition(program_version_get(program="sim-test", version="1"))


@pytest.fixture
def draft() -> Program:
    return load_program_text(DRAFT, source="draft.yaml")


def _partner(ext: str, track: str | None, previous: str, people: int, resale: int) -> object:
    partner = PartnerFactory(external_id=ext, name=f"Partner {ext}", previous_tier=previous)
    if track:
        TrackEnrolmentFactory(partner=partner, track=track, enrolled_on=date(2024, 1, 1))
    cert = CertificationFactory(code="RH124")
    for _ in range(people):
        CredentialFactory(person=PersonFactory(partner=partner), certification=cert)
    if resale:
        BookingFactory(
            transacting_partner=partner, amount=Decimal(resale), booked_on=date(2026, 6, 1)
        )
    return partner


@pytest.fixture
def population(db: None) -> dict[str, object]:
    partners = {
        "A": _partner("A", "resell", "gold", 3, 150_000),
        "B": _partner("B", "resell", "gold", 2, 150_000),
        "C": _partner("C", "resell", "ready", 3, 60_000),
        "D": _partner("D", "resell", "ready", 1, 60_000),
        "E": _partner("E", "resell", "", 0, 0),
        "F": _partner("F", "consult", "gold", 2, 0),
        "G": _partner("G", "consult", "ready", 1, 0),
        "H": _partner("H", "consult", "ready", 0, 0),
        "I": _partner("I", None, "", 0, 0),
    }
    for _ in range(3):
        DealRegistrationFactory(partner=partners["F"], status="approved")
    BookingFactory(
        influencing_partner=partners["G"],
        transacting_partner=None,
        channel="direct",
        amount=Decimal("60000"),
        booked_on=date(2026, 5, 1),
    )
    return partners


def test_distribution_and_transitions_against_a_version(
    published: Program, draft: Program, population: dict[str, object]
) -> None:
    result = simulation_run(draft=draft, against=published, as_of=AS_OF)
    assert result.labels == ("1", "2")
    assert result.partners == 9
    # version 1: gold = A, B, C (resell: people >= 2 and resale >= 50k) and F (consult: people
    # and opps, 2 of 3); ready = D, E, G (1 of 3), H (0 of 3); none = I
    assert result.distribution["1"] == {"gold": 4, "ready": 4, "none": 1}
    # draft: resell gold needs 3 people and 100k: only A; consult unchanged: F
    assert result.distribution["2"] == {"gold": 2, "ready": 6, "none": 1}
    assert result.transitions == [
        ("gold", "gold", 2),  # A, F
        ("gold", "ready", 2),  # B (2 people < 3), C (60k < 100k)
        ("ready", "ready", 4),  # D, E, G, H
        ("none", "none", 1),  # I
    ]
    # per track: resell 5 partners (gold A..C -> A), consult 3 (gold F in both)
    assert result.by_track["1"]["resell"] == {"gold": 3, "ready": 2}
    assert result.by_track["2"]["resell"] == {"gold": 1, "ready": 4}
    assert result.by_track["2"]["consult"] == {"gold": 1, "ready": 2}
    # the movers and the requirement of the draft that moves each
    movers = {m.external_id: m for m in result.movers}
    assert set(movers) == {"B", "C"}
    assert movers["B"].direction == "down"
    assert [r.path for r in movers["B"].reasons] == ["requirements.resell.gold.all[0]"]
    assert movers["B"].reasons[0].text == "1 more certified person"  # 3 - 2
    assert [r.path for r in movers["C"].reasons] == ["requirements.resell.gold.all[1]"]
    assert movers["C"].reasons[0].missing == Decimal("40000")  # 100,000 - 60,000
    # moved groups are ordered by resale, biggest first: B (150k) before C (60k); their values
    # under both versions: B has 2 people, needs 2 under 1 (met) and 3 under the draft (not)
    assert [m.external_id for m in result.movers] == ["B", "C"]
    b_values = movers["B"].values
    assert b_values is not None
    people_1 = next(c for c in b_values["1"] if c["path"] == "all[0]")
    people_2 = next(c for c in b_values["2"] if c["path"] == "all[0]")
    assert (people_1["value"], people_1["threshold"], people_1["met"]) == (2, 2, True)
    assert (people_2["value"], people_2["threshold"], people_2["met"]) == (2, 3, False)


def test_binding_requirements_by_hand(
    published: Program, draft: Program, population: dict[str, object]
) -> None:
    result = simulation_run(draft=draft, against=published, as_of=AS_OF)
    rows = {b.requirement: (b.alone, b.together, b.below) for b in result.binding}
    assert rows == {
        # resell gold, below: B, C, D, E (A is gold). people >= 3: B fails it alone (resale
        # met), D and E fail it with resale too -> alone 1, together 2
        "requirements.resell.gold.all[0]": (1, 2, 4),
        # resale >= 100k: C alone (3 people), D and E together
        "requirements.resell.gold.all[1]": (1, 2, 4),
        # consult gold (2 of 3), below: G (meets 1: influence) and H (meets 0); F is gold.
        # people: G fails it and meeting it would make 2 -> alone; H would reach 1 -> together
        "requirements.consult.gold.of[0]": (1, 1, 2),
        # influence: G meets it; H together
        "requirements.consult.gold.of[1]": (0, 1, 2),
        # opps: like people
        "requirements.consult.gold.of[2]": (1, 1, 2),
    }
    labels = {b.requirement: b.label for b in result.binding}
    assert labels["requirements.resell.gold.all[1]"] == "Resale"


def test_binding_of_a_score(draft: Program, population: dict[str, object]) -> None:
    """Consult gold as a score: people 10 points each (max 50, min 20), influence 1 point per
    10,000 (max 50), at least 40 points."""
    text = DRAFT.replace(
        DRAFT[DRAFT.index("  consult:\n    gold:") : DRAFT.index("benefits:")],
        """  consult:
    gold:
      label: Influence score
      score:
        - {metric: certified_people, points_each: 10, max_points: 50, min_points: 20}
        - {metric: influenced_bookings, window: 12M, points_per: 10000, max_points: 50}
      at_least: 40
""",
    )
    program = load_program_text(text, source="score")
    snapshot = snapshot_take(programs=[program], as_of=AS_OF)
    outcome = tiers_assess(program=program, snapshot=snapshot)
    rows = {
        b.requirement: (b.alone, b.together, b.below)
        for b in binding_requirements(program=program, outcome=outcome, snapshot=snapshot)
        if b.track == "consult"
    }
    # F: 2 people = 20 points (minimum met), no influence: 20 < 40 -> only the total fails
    # G: 1 person = 10 points (minimum 20 not met) + 6 = 16 < 40 -> both fail
    # H: 0 points -> both fail. Nobody is gold in consult: below = 3
    assert rows == {
        "requirements.consult.gold.at_least": (1, 2, 3),
        "requirements.consult.gold.score[0].min_points": (0, 2, 3),
    }


def test_against_previous_program(draft: Program, population: dict[str, object]) -> None:
    result = simulation_run(draft=draft, against="previous", as_of=AS_OF)
    # previous: gold A, B, F; ready C, D, G, H; none E, I
    assert result.distribution["previous"] == {"gold": 3, "ready": 4, "none": 2}
    assert result.transitions == [
        ("gold", "gold", 2),  # A, F
        ("gold", "ready", 1),  # B
        ("ready", "ready", 4),  # C, D, G, H
        ("none", "ready", 1),  # E, enrolled in resell
        ("none", "none", 1),  # I
    ]
    movers = {m.external_id: m for m in result.movers}
    assert set(movers) == {"B", "E"}
    assert movers["E"].direction == "up" and movers["E"].reasons == ()
    assert "previous" not in result.by_track  # the previous program has no per-track tiers


def test_benefit_cost_by_hand(
    published: Program, draft: Program, population: dict[str, object]
) -> None:
    result = simulation_run(draft=draft, against=published, as_of=AS_OF)
    v1, v2 = result.cost["1"], result.cost["2"]
    # version 1: gold A, B, C, F: 10 % of 150k + 150k + 60k + 0 = 36,000, MDF 4 x 1,000;
    # ready D, E, G, H: 5 % of 60k = 3,000 -> discounts 39,000. Protection days are not priced.
    assert (v1.discount, v1.rebate, v1.mdf, v1.total) == (39000, 0, 4000, 43000)
    # draft: gold A, F: 10 % of 150k = 15,000, MDF 2,000; ready B, C, D, E, G, H:
    # 5 % of 150k + 60k + 60k = 13,500
    assert (v2.discount, v2.mdf, v2.total) == (28500, 2000, 30500)
    assert v2.by_tier == {"gold": 17000, "ready": 13500}
    assert result.cost_difference == -12500


def test_sensitivity_curve_by_hand(draft: Program, population: dict[str, object]) -> None:
    snapshot = snapshot_take(programs=[draft], as_of=AS_OF)
    path = "requirements.resell.gold.all[0].at_least"
    values = sensitivity_values(Decimal(1), Decimal(4), Decimal(1))
    assert values == [1, 2, 3, 4]
    with CaptureQueriesContext(connection) as queries:
        points = threshold_sensitivity(program=draft, snapshot=snapshot, path=path, values=values)
    assert len(queries) == 0  # only the rules run again
    # resale >= 100k: A and B. People >= 1 or 2: A (3), B (2) -> 2 gold in resell; >= 3: A;
    # >= 4: nobody. Overall gold adds F (consult); 8 enrolled partners, I has none.
    assert [p.track["gold"] for p in points] == [2, 2, 1, 0]
    assert [p.by_tier for p in points] == [
        {"gold": 3, "ready": 5, "none": 1},
        {"gold": 3, "ready": 5, "none": 1},
        {"gold": 2, "ready": 6, "none": 1},
        {"gold": 1, "ready": 7, "none": 1},
    ]


def test_threshold_paths_are_checked(draft: Program) -> None:
    changed = program_with_threshold(draft, "requirements.resell.gold.all[1].at_least", 75000)
    assert threshold_get(changed, "requirements.resell.gold.all[1].at_least") == 75000
    assert threshold_get(draft, "requirements.resell.gold.all[1].at_least") == 100000
    assert changed.version == draft.version
    with pytest.raises(SimulationError, match=r"has no item \[5\] \(2 items\)"):
        program_with_threshold(draft, "requirements.resell.gold.all[5].at_least", 1)
    with pytest.raises(SimulationError, match="has no field 'platinum'"):
        program_with_threshold(draft, "requirements.resell.platinum.all[0].at_least", 1)
    with pytest.raises(SimulationError, match="must end with a numeric field"):
        program_with_threshold(draft, "requirements.resell.gold.all[0].metric", 1)
    with pytest.raises(SimulationError, match="has no 'more_than' \\(it has at_least\\)"):
        program_with_threshold(draft, "requirements.resell.gold.all[0].more_than", 1)
    with pytest.raises(SimulationError, match="greater than or equal to 0"):
        program_with_threshold(draft, "requirements.resell.gold.all[0].at_least", -1)
    with pytest.raises(SimulationError, match="malformed"):
        threshold_get(draft, "requirements..resell")
    with pytest.raises(SimulationError, match="at most 1000"):
        sensitivity_values(Decimal(0), Decimal(10000), Decimal(1))


def test_metrics_are_measured_once_whatever_the_number_of_versions(
    published: Program, draft: Program, population: dict[str, object]
) -> None:
    relaxed = program_with_threshold(draft, "requirements.resell.gold.all[0].at_least", 1)
    with CaptureQueriesContext(connection) as one:
        snapshot_take(programs=[draft], as_of=AS_OF)
    with CaptureQueriesContext(connection) as three:
        snapshot = snapshot_take(programs=[draft, published, relaxed], as_of=AS_OF)
    # the same tracks and tiers: 2 population queries; 4 distinct metric references
    # (certified people, resale 12M, influenced 12M, opportunities 12M), resale 12M also prices
    # the discounts; at most 1 exchange-rate query
    assert len(one) == len(three) <= 2 + 4 + 1
    with CaptureQueriesContext(connection) as again:
        simulation_run(draft=relaxed, against=published, as_of=AS_OF, snapshot=snapshot)
    assert len(again) == 0


def test_simulating_stores_and_publishes_nothing(
    published: Program, draft: Program, population: dict[str, object]
) -> None:
    simulation_run(draft=draft, against=published, as_of=AS_OF)
    assert list(ProgramVersion.objects.values_list("version", flat=True)) == ["1"]
    assert EvaluationRun.objects.count() == 0


# --------------------------------------------------------------------------- command


@pytest.fixture
def draft_file(tmp_path: Path) -> Path:
    path = tmp_path / "draft.yaml"
    path.write_text(DRAFT, encoding="utf-8")
    return path


def _run(*args: str) -> str:
    out = StringIO()
    call_command("simulate", *args, stdout=out)
    return out.getvalue()


def test_command_json(published: Program, draft_file: Path, population: dict[str, object]) -> None:
    data = json.loads(
        _run(
            "--draft",
            str(draft_file),
            "--against",
            "sim-test/1",
            "--as-of",
            "2026-12-31",
            "--format",
            "json",
        )
    )
    assert data["distribution"] == {
        "1": {"gold": 4, "ready": 4, "none": 1},
        "2": {"gold": 2, "ready": 6, "none": 1},
    }
    assert {"from": "gold", "to": "ready", "count": 2} in data["transitions"]
    people = next(
        b for b in data["binding"] if b["requirement"] == "requirements.resell.gold.all[0]"
    )
    assert (people["track"], people["tier"], people["alone"], people["together"]) == (
        "resell",
        "gold",
        1,
        2,
    )
    assert data["benefit_cost"]["difference"] == -12500
    assert data["draft"]["source"] == str(draft_file)
    # B: 2 certified people, the draft's gold needs 3: 1 missing, written as whole numbers
    # (2, not 2.0), in the requirements and in the values; a resale amount keeps its cents
    b = next(m for m in data["movers"] if m["partner"] == "B")
    [reason] = b["requirements"]
    assert (reason["tier"], reason["value"], reason["threshold"], reason["missing"]) == (
        "gold",
        2,
        3,
        1,
    )
    assert all(type(reason[k]) is int for k in ("value", "threshold", "missing"))
    people = next(c for c in b["values"]["2"] if c["path"] == "all[0]")
    assert (people["label"], people["value"], people["threshold"]) == ("Certified people", 2, 3)
    assert type(people["value"]) is int and type(people["threshold"]) is int


def test_to_json_whole_decimals() -> None:
    from partnerprogram.programs.simulate import _whole

    assert [_whole(v) for v in (Decimal("7.0"), Decimal("10"), Decimal("0.50"), None)] == [
        7,
        10,
        Decimal("0.50"),
        None,
    ]


def test_command_table_and_default_against(
    published: Program, draft_file: Path, population: dict[str, object]
) -> None:
    # without --against: version 1, in force on the date
    text = _run("--draft", str(draft_file), "--as-of", "2026-12-31")
    assert "against 1 as of 2026-12-31: 9 partners" in text
    assert "Binding requirements of 2" in text
    assert "B" in text and "1 more certified person" in text
    # the reason names the tier it is measured against (B falls from gold under the draft "2")
    assert "2, for gold: 1 more certified person" in text
    # values under both versions, by label: B's 2 people need 2 under 1 (met), 3 under 2
    values = text.split("Values under both versions")[1].split("Cost of")[0]
    assert re.search(
        r"B\s+gold->ready\s+1\s+resell\s+Certified people\s+2\s+at least 2\s+yes", values
    )
    assert re.search(
        r"B\s+gold->ready\s+2\s+resell\s+Certified people\s+2\s+at least 3\s+no", values
    )
    assert "all[0]" not in values


def test_command_values_against_previous_are_the_drafts_only(
    published: Program, draft_file: Path, population: dict[str, object]
) -> None:
    text = _run("--draft", str(draft_file), "--against", "previous", "--as-of", "2026-12-31")
    assert "Values under both versions" not in text
    assert "Values under 2 (the previous program has no requirements)" in text


def test_needs_of_a_score_component_and_total() -> None:
    from partnerprogram.programs.management.commands.simulate import _needs

    # a component: its points earned go in their own column; "needs" is its minimum
    component = {"comparator": "points", "metric": "certified_people", "threshold": Decimal(16)}
    assert _needs(component) == "min 16 points"
    assert _needs({**component, "threshold": None}) == "-"
    total = {"comparator": "at_least", "metric": "points", "threshold": Decimal(85)}
    assert _needs(total) == "at least 85 points"
    assert _needs({"comparator": "at_least", "metric": "x", "threshold": 10}) == "at least 10"


def test_command_sensitivity(draft_file: Path, population: dict[str, object]) -> None:
    data = json.loads(
        _run(
            "--draft", str(draft_file), "--as-of", "2026-12-31", "--format", "json",
            "--sensitivity", "requirements.resell.gold.all[0].at_least",
            "--from", "1", "--to", "4", "--step", "1",
        )
    )  # fmt: skip
    assert data["current"] == 3
    assert [p["by_tier"]["gold"] for p in data["points"]] == [3, 3, 2, 1]  # as computed above


def test_command_exports(
    published: Program, draft_file: Path, population: dict[str, object], tmp_path: Path
) -> None:
    base = ["--draft", str(draft_file), "--against", "1", "--as-of", "2026-12-31"]
    _run(*base, "--format", "csv", "--output", str(tmp_path / "sim.csv"))
    transitions = (tmp_path / "sim-transitions.csv").read_text(encoding="utf-8-sig")
    assert transitions.splitlines() == [
        "from,to,count",
        "gold,gold,2",
        "gold,ready,2",
        "ready,ready,4",
        "none,none,1",
    ]
    _run(*base, "--format", "xlsx", "--output", str(tmp_path / "sim.xlsx"))
    book = load_workbook(tmp_path / "sim.xlsx", read_only=True)
    assert book.sheetnames == [
        "distribution",
        "by_track",
        "binding",
        "transitions",
        "movers",
        "values",
        "cost",
    ]
    rows = list(book["distribution"].values)
    assert rows[1] == ("gold", 4, 2, -2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--against", "9"], "has no version 9"),
        (["--against", "1", "--as-of", "2026-13-01"], "not a date"),
        (["--against", "1", "--format", "csv"], "needs --output"),
        (
            [
                "--sensitivity",
                "requirements.resell.gold.all[3].at_least",
                "--from",
                "1",
                "--to",
                "2",
                "--step",
                "1",
            ],
            r"has no item \[3\]",
        ),
        (["--sensitivity", "requirements.resell.gold.all[0].at_least"], "needs --from"),
    ],
)
def test_command_bad_input_exit_2(
    published: Program, draft_file: Path, args: list[str], message: str
) -> None:
    argv = ["--draft", str(draft_file)] + (
        ["--as-of", "2026-12-31"] if "--as-of" not in args else []
    )
    with pytest.raises(CommandError, match=message) as err:
        _run(*argv, *args)
    assert err.value.returncode == 2


def test_command_invalid_draft_names_file_and_field(tmp_path: Path, db: None) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(DRAFT.replace("at_least: 3}", "at_least: -3}"), encoding="utf-8")
    with pytest.raises(CommandError, match=r"bad.yaml: requirements.resell.gold.all\[0\]"):
        _run("--draft", str(path), "--against", "previous", "--as-of", "2026-12-31")


def test_against_standings(
    published: Program, draft: Program, population: dict[str, object]
) -> None:
    from partnerprogram.standings.models import Standing

    version = ProgramVersion.objects.get(program__key="sim-test", version="1")

    def standing(ext: str, tier: str, track: str = "", **extra: object) -> None:
        Standing.objects.create(
            partner=population[ext],
            track=track,
            tier=tier,
            status="qualified",
            valid_from=date(2026, 7, 1),
            reason="test",
            program_version=version,
            decided_by="system:baseline",
            **extra,
        )

    standing("A", "gold")
    standing("A", "gold", track="resell")
    standing("B", "gold")
    standing("C", "ready")
    standing("D", "gold", valid_until=date(2026, 12, 31))  # ended on the date: not in effect
    result = simulation_run(draft=draft, against="standings", as_of=AS_OF)
    # standings: A, B gold, C ready, everyone else none; draft: gold A, F; ready B..E, G, H
    assert result.distribution["standings"] == {"gold": 2, "ready": 1, "none": 6}
    assert result.transitions == [
        ("gold", "gold", 1),  # A
        ("gold", "ready", 1),  # B
        ("ready", "ready", 1),  # C
        ("none", "gold", 1),  # F
        ("none", "ready", 4),  # D, E, G, H
        ("none", "none", 1),  # I
    ]
    assert result.by_track["standings"]["resell"] == {"gold": 1, "ready": 0}
    # priced with version 1 (in force on the date): A and B gold, 10 % of 150k + 1,000 MDF
    # each; C ready, 5 % of 60k -> 16,000 + 16,000 + 3,000
    assert result.cost["standings"].total == 35000


def test_grandfathering_in_the_draft(population: dict[str, object]) -> None:
    """The draft plus: previous gold partners keep gold while they qualify for ready."""
    text = DRAFT.replace(
        "benefits:",
        "grandfathering:\n"
        "  - {keep: gold, for: {was: gold, tier_on: 2026-06-30}, while_qualifying_for: ready}\n"
        "benefits:",
    )
    program = load_program_text(text, source="grandfathering")
    result = simulation_run(draft=program, against="previous", as_of=AS_OF)
    # gold: A, F by the criteria, B (previous gold, 2 people < 3, enrolled: ready) by the rule
    assert result.distribution["2"] == {"gold": 3, "ready": 5, "none": 1}
    assert result.outcome.grandfathered == {population["B"].pk}  # type: ignore[attr-defined]
    # B no longer moves; E (none -> ready) is the only mover
    assert [m.external_id for m in result.movers] == ["E"]


def test_command_simulates_a_draft_saved_in_the_console(
    published: Program, population: dict[str, object]
) -> None:
    from partnerprogram.programs.drafts import program_draft_save

    program_draft_save(name="Stricter resell", yaml_text=DRAFT, actor="user:admin")
    data = json.loads(
        _run(
            "--draft-name", "Stricter resell", "--against", "1", "--as-of", "2026-12-31",
            "--format", "json",
        )
    )  # fmt: skip
    assert data["draft"]["source"] == "draft 'Stricter resell'"
    assert data["distribution"]["2"] == {"gold": 2, "ready": 6, "none": 1}  # as above
    assert list(ProgramVersion.objects.values_list("version", flat=True)) == ["1"]
    with pytest.raises(CommandError, match="no such draft") as err:
        _run("--draft-name", "Other", "--as-of", "2026-12-31")
    assert err.value.returncode == 2


# --------------------------------------------------------------------------- bad input (tester)


@pytest.mark.parametrize(
    ("flag", "values"),
    [
        ("--from", ("nan", "5", "1")),
        ("--to", ("1", "nan", "1")),
        ("--to", ("1", "inf", "1")),
        ("--step", ("1", "5", "nan")),
        ("--step", ("1", "5", "inf")),
    ],
)
def test_command_sensitivity_refuses_nan_and_infinity(
    draft_file: Path, flag: str, values: tuple[str, str, str]
) -> None:
    start, stop, step = values
    with pytest.raises(CommandError, match=rf"{flag} '(nan|inf)': not a number") as exc:
        _run(
            "--draft", str(draft_file), "--as-of", "2026-12-31",
            "--sensitivity", "requirements.resell.gold.all[0].at_least",
            "--from", start, "--to", stop, "--step", step,
        )  # fmt: skip
    assert exc.value.returncode == 2


def test_sensitivity_values_refuse_non_finite() -> None:
    with pytest.raises(SimulationError, match="--to Infinity: not a number"):
        sensitivity_values(Decimal(1), Decimal("Infinity"), Decimal(1))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--against", "sim-test/"), "give PROGRAM/VERSION"),
        (("--against", "/1"), "give PROGRAM/VERSION"),
        (
            ("--against", "1", "--sensitivity", "requirements.resell.gold.all[0].at_least",
             "--from", "1", "--to", "3", "--step", "1"),
            "--against does not apply to --sensitivity",
        ),
        (("--format", "xlsx", "--output", "x.csv"), "must end in .xlsx"),
        (("--format", "csv", "--output", "x.xlsx"), "must end in .csv"),
    ],
)  # fmt: skip
def test_command_refuses_ambiguous_options(
    published: Program, draft_file: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    args = tuple(str(tmp_path / a) if a.startswith("x.") else a for a in args)
    with pytest.raises(CommandError, match=message) as exc:
        _run("--draft", str(draft_file), "--as-of", "2026-12-31", *args)
    assert exc.value.returncode == 2
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.xlsx").exists()


def _calibrate(*args: str) -> str:
    out = StringIO()
    call_command("calibrate", *args, stdout=out)
    return out.getvalue()


def test_calibrate_command_baseline_forms_diff_header_and_output(
    published: Program, draft_file: Path, population: dict[str, object], tmp_path: Path
) -> None:
    """Against version 1, the draft demotes B (2 people < 3) and C (resale 60,000 < 100,000)
    from gold: 2 demotions before. ``sim-test/1`` and ``1`` name the same baseline."""
    base = ["--draft", str(draft_file), "--as-of", "2026-12-31", "--target", "demoted-at-most:0"]
    for baseline in ("1", "sim-test/1"):
        data = json.loads(_calibrate(*base, "--baseline", baseline, "--format", "json"))
        assert (data["targets"][0]["before"], data["targets"][0]["after"]) == (2, 0)
    with pytest.raises(CommandError, match="give a version of sim-test") as exc:
        _calibrate(*base, "--baseline", "other/1")
    assert exc.value.returncode == 2
    # the diff names the absolute path as given (no "a//tmp/...")
    text = _calibrate(*base, "--baseline", "1")
    assert f"--- {draft_file}\n+++ {draft_file}\n" in text
    # --output on the --draft file is refused unless --force; the file is untouched
    with pytest.raises(CommandError, match="this is the --draft file") as exc:
        _calibrate(*base, "--baseline", "1", "--output", str(draft_file))
    assert exc.value.returncode == 2
    assert draft_file.read_text(encoding="utf-8") == DRAFT
    _calibrate(*base, "--baseline", "1", "--output", str(draft_file), "--force")
    assert draft_file.read_text(encoding="utf-8") != DRAFT


def test_calibrate_command_max_thresholds(
    published: Program, draft_file: Path, population: dict[str, object]
) -> None:
    """The draft has 5 non-zero thresholds (resell gold: people 3, resale 100,000; consult
    gold: people 2, influence 50,000, opportunities 3), above a limit of 4."""
    base = ["--draft", str(draft_file), "--as-of", "2026-12-31", "--target", "demoted-at-most:0"]
    with pytest.raises(CommandError, match="the draft has 5 non-zero thresholds, above the limit "
                       "of 4") as exc:  # fmt: skip
        _calibrate(*base, "--baseline", "1", "--max-thresholds", "4")
    assert exc.value.returncode == 2
    data = json.loads(
        _calibrate(*base, "--baseline", "1", "--max-thresholds", "5", "--format", "json")
    )
    assert len(data["free"]) == 5


def test_calibrate_command_draft_name(published: Program, population: dict[str, object]) -> None:
    from partnerprogram.programs.models import Program as ProgramRow
    from partnerprogram.programs.models import ProgramDraft

    ProgramDraft.objects.create(
        program=ProgramRow.objects.get(key="sim-test"),
        name="stricter",
        yaml=DRAFT,
        created_by="user:t",
        updated_by="user:t",
    )
    data = json.loads(
        _calibrate(
            "--draft-name", "stricter", "--as-of", "2026-12-31", "--baseline", "1",
            "--target", "demoted-at-most:0", "--format", "json",
        )
    )  # fmt: skip
    assert (data["targets"][0]["before"], data["targets"][0]["after"]) == (2, 0)


# --------------------------------------------------------------------------- removed tier/track


def test_tier_order_merged() -> None:
    from partnerprogram.programs.simulate import tier_order_merged

    # a removed middle tier stays between its neighbours; a removed bottom tier at the bottom;
    # a new tier of the draft keeps the draft's place
    assert tier_order_merged(["ready", "premier"], ["ready", "advanced", "premier"]) == (
        "ready",
        "advanced",
        "premier",
    )
    assert tier_order_merged(["advanced", "premier"], ["ready", "advanced", "premier"]) == (
        "ready",
        "advanced",
        "premier",
    )
    assert tier_order_merged(["ready", "premier", "elite"], ["ready", "premier"]) == (
        "ready",
        "premier",
        "elite",
    )
    assert tier_order_merged(["ready"], []) == ("ready",)


V1_INACTIVE_RESELL = V1.replace('version: "1"', 'version: "2"').replace(
    "tracks: {resell: {}, consult: {}}",
    "tracks: {resell: {effective_from: 2027-06-01}, consult: {}}",
)
V1_WITHOUT_CONSULT = (
    V1.replace('version: "1"', 'version: "2"')
    .replace("tracks: {resell: {}, consult: {}}", "tracks: {resell: {}}")
    .split("  consult:\n    gold:")[0]
    + "benefits:"
    + V1.split("benefits:")[1]
)


def test_a_track_not_in_effect_or_removed_is_the_reason(
    published: Program, population: dict[str, object]
) -> None:
    """Resell not in effect until 2027-06-01: its five partners A..E (gold A, B, C; ready D,
    E under version 1) have no tier on 2026-12-31, and the reason says why. Without the
    consult track, F (gold), G and H (ready) fall to none for that reason."""
    v1 = program_definition(program_version_get(program="sim-test", version="1"))
    inactive = load_program_text(V1_INACTIVE_RESELL, source="inactive.yaml")
    result = simulation_run(draft=inactive, against=v1, as_of=AS_OF)
    falls = {m.external_id: (m.before, m.after, m.direction) for m in result.movers}
    assert falls == {
        "A": ("gold", "none", "down"),
        "B": ("gold", "none", "down"),
        "C": ("gold", "none", "down"),
        "D": ("ready", "none", "down"),
        "E": ("ready", "none", "down"),
    }
    for m in result.movers:
        assert [(r.path, r.text) for r in m.reasons] == [
            ("tracks.resell", "track resell not in effect until 2027-06-01")
        ]
    without = load_program_text(V1_WITHOUT_CONSULT, source="without.yaml")
    assert list(without.tracks) == ["resell"]
    result = simulation_run(draft=without, against=v1, as_of=AS_OF)
    falls = {m.external_id: (m.before, m.after) for m in result.movers}
    assert falls == {"F": ("gold", "none"), "G": ("ready", "none"), "H": ("ready", "none")}
    for m in result.movers:
        assert [(r.path, r.text) for r in m.reasons] == [
            ("tracks.consult", "track consult not in 2")
        ]


def test_command_table_marks_a_track_not_in_effect(
    published: Program, population: dict[str, object], tmp_path: Path
) -> None:
    path = tmp_path / "inactive.yaml"
    path.write_text(V1_INACTIVE_RESELL, encoding="utf-8")
    text = _run("--draft", str(path), "--against", "1", "--as-of", "2026-12-31")
    binding = text.split("Binding requirements")[1].split("Transitions")[0]
    # both resell gold requirements listed and marked; consult's unmarked
    assert binding.count("resell (not in effect)") == 2
    assert "consult (not in effect)" not in binding and "consult " in binding
    # resell comes first in the file, but not in effect: its rows after consult's
    assert binding.index("resell (not in effect)") > binding.rindex("consult ")
