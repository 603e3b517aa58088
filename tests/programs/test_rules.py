"""Pure rule evaluation: hand-computed points, gates, gaps, grandfathering, assessments."""

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from partnerprogram.programs.rules import (
    CheckResult,
    LogicResult,
    ScoreResult,
    apply_grandfathering,
    assess_partner,
    evaluate_requirement,
    evaluate_track,
    gap_to_next_tier,
    qualify_track,
    shortfalls,
)
from partnerprogram.programs.schema import Program

D = Decimal


def program(requirements: dict[str, Any], **overrides: Any) -> Program:
    data: dict[str, Any] = {
        "program": "demo",
        "name": {"en": "Demo", "fr": "Démo"},
        "currency": "EUR",
        "timezone": "Europe/Paris",
        "version": "1",
        "effective_from": "2026-01-01",
        "tiers": [
            "ready",
            {"key": "advanced", "name": {"en": "Advanced", "fr": "Avancé"}},
            "premier",
        ],
        "tracks": {"main": {}},
        "requirements": requirements,
    }
    data.update(overrides)
    return Program.model_validate(data)


def one(node: dict[str, Any], **overrides: Any) -> Program:
    """A program whose ``main`` track has ``node`` as the advanced requirement."""
    return program({"main": {"advanced": node}}, **overrides)


def evaluate(prog: Program, values: dict[str, Any]) -> Any:
    node = prog.requirement("main", "advanced")
    assert node is not None
    return evaluate_requirement(node, program=prog, values=values)


def gate(metric: str, threshold: Any, comparator: str = "at_least", **extra: Any) -> dict[str, Any]:
    return {"metric": metric, comparator: threshold, **extra}


SKILLING = {
    "metric": "certified_people",
    "where": {"level": "advanced"},
    "points_each": "2.14",
    "max_points": 15,
}
SKILL_KEY = "certified_people[level=advanced]"


# --------------------------------------------------------------------------- scores


def test_points_rounded_per_component_seven_times_2_14_is_14_98() -> None:
    prog = one({"score": [SKILLING], "at_least": 15})
    result = evaluate(prog, {SKILL_KEY: D(7)})
    assert isinstance(result, ScoreResult)
    assert result.components[0].points == D("14.98")
    assert result.total == D("14.98")
    assert not result.met
    assert result.missing == D("0.02")
    result = evaluate(prog, {SKILL_KEY: D(8)})  # 17.12 capped at 15
    assert result.components[0].raw_points == D("17.12")
    assert result.components[0].points == D(15)
    assert result.met


def test_69_98_is_not_70() -> None:
    prog = one(
        {
            "score": [
                SKILLING,
                {"metric": "new_customers", "window": "6CM", "points_per": 1, "max_points": 55},
            ],
            "at_least": 70,
        }
    )
    result = evaluate(prog, {SKILL_KEY: D(7), "new_customers@6CM": D(55)})
    assert result.total == D("69.98")
    assert not result.met
    (short,) = shortfalls(result, currency="EUR")
    assert short.kind == "points"
    assert short.missing == D("0.02")
    assert short.text.en == "0.02 more points (score 69.98 of 70)"
    assert short.text.fr == "encore 0,02 points (score 69,98 sur 70)"
    # only the skilling component can still earn points (0.02 of headroom)
    assert [(h.metric, h.headroom) for h in short.can_earn] == [(SKILL_KEY, D("0.02"))]


def test_spec_consulting_score_hand_computed() -> None:
    prog = one(
        {
            "score": [
                {
                    "metric": "influenced_bookings",
                    "window": "12M",
                    "points_per": 50000,
                    "max_points": 40,
                },
                {"metric": "certified_people", "points_per": 1, "max_points": 30},
                {
                    "metric": "registered_opportunities",
                    "window": "12M",
                    "points_per": 2,
                    "max_points": 30,
                },
            ],
            "at_least": 60,
        }
    )
    values = {
        "influenced_bookings@12M": D(1_250_000),
        "certified_people": D(12),
        "registered_opportunities@12M": D(9),
    }
    result = evaluate(prog, values)
    # 1,250,000 / 50,000 = 25; 12 / 1 = 12; 9 / 2 = 4.5 → 41.5
    assert [c.points for c in result.components] == [D(25), D(12), D("4.5")]
    assert result.total == D("41.5")
    (short,) = shortfalls(result, currency="EUR")
    assert short.text.en == "18.5 more points (score 41.5 of 60)"
    values["influenced_bookings@12M"] = D(5_000_000)  # 100 → capped at 40
    values["certified_people"] = D(20)
    result = evaluate(prog, values)
    assert [c.points for c in result.components] == [D(40), D(20), D("4.5")]
    assert result.total == D("64.5") and result.met
    assert shortfalls(result, currency="EUR") == ()


def test_score_explanation_on_points_per_round_numbers() -> None:
    prog = one(
        {
            "score": [
                {"metric": "certified_people", "points_per": 1, "max_points": 30},
            ],
            "at_least": 60,
        }
    )
    result = evaluate(prog, {"certified_people": D(48)})
    (short,) = shortfalls(result, currency="EUR")
    assert short.text.en == "30 more points (score 30 of 60)"
    result = evaluate(
        one({"score": [{"metric": "certified_people", "points_per": 1}], "at_least": 60}),
        {"certified_people": D(48)},
    )
    (short,) = shortfalls(result, currency="EUR")
    assert short.text.en == "12 more points (score 48 of 60)"
    assert short.can_earn[0].headroom is None  # uncapped component


def test_whole_units() -> None:
    prog = one(
        {
            "score": [
                {
                    "metric": "influenced_bookings",
                    "window": "12M",
                    "points_per": 50000,
                    "whole_units": True,
                    "max_points": 40,
                }
            ],
            "at_least": 7,
        }
    )
    result = evaluate(prog, {"influenced_bookings@12M": D(399_999)})
    assert result.components[0].points == D(7)  # floor(7.99998)
    assert result.met
    each = one(
        {
            "score": [{"metric": "certified_people", "points_each": "2.5", "whole_units": True}],
            "at_least": 0,
        }
    )
    assert evaluate(each, {"certified_people": D("3.9")}).components[0].points == D("7.5")


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("half_up", D("2.15")), ("half_even", D("2.14")), ("down", D("2.14")), ("up", D("2.15"))],
)
def test_rounding_modes(mode: str, expected: Decimal) -> None:
    prog = one(
        {
            "score": [{"metric": "certified_people", "points_each": "0.429"}],
            "at_least": 0,
            "rounding": {"places": 2, "mode": mode},
        }
    )
    # 5 x 0.429 = 2.145
    assert evaluate(prog, {"certified_people": D(5)}).components[0].points == expected


def test_program_default_rounding_applies() -> None:
    prog = one(
        {"score": [{"metric": "certified_people", "points_each": "0.429"}], "at_least": 0},
        rounding={"places": 0, "mode": "down"},
    )
    result = evaluate(prog, {"certified_people": D(5)})
    assert result.components[0].points == D(2)
    assert result.rounding.places == 0


def test_group_caps_and_minimums() -> None:
    prog = one(
        {
            "score": [
                {
                    "metric": "certified_people",
                    "where": {"level": "intermediate"},
                    "points_per": 1,
                    "max_points": 20,
                    "group": "skilling",
                },
                SKILLING | {"group": "skilling"},
                {
                    "metric": "new_customers",
                    "window": "6CM",
                    "points_per": 1,
                    "max_points": 15,
                    "group": "performance",
                },
                {
                    "metric": "net_new_users",
                    "window": "12M",
                    "points_per": 10,
                    "max_points": 15,
                    "group": "performance",
                },
            ],
            "groups": {"skilling": {"max_points": 30}, "performance": {"min_points": 10}},
            "at_least": 30,
        }
    )
    values = {
        "certified_people[level=intermediate]": D(20),
        SKILL_KEY: D(10),
        "new_customers@6CM": D(4),
        "net_new_users@12M": D(30),
    }
    result = evaluate(prog, values)
    skilling, performance = result.groups
    assert (skilling.raw_points, skilling.points) == (D(35), D(30))  # 20 + 15 capped at 30
    assert (performance.points, performance.met) == (D(7), False)  # 4 + 3 < 10
    assert result.total == D(37)
    assert not result.met  # total is enough, the group minimum is not
    (short,) = shortfalls(result, currency="EUR")
    assert short.kind == "group_minimum"
    assert short.missing == D(3)
    assert short.text.en == "group performance: needs at least 10 points (has 7)"
    values["net_new_users@12M"] = D(60)
    assert evaluate(prog, values).met


def test_score_total_cap() -> None:
    prog = one(
        {
            "score": [
                {"metric": "certified_people", "points_per": 1},
                {"metric": "credentials", "points_per": 1},
            ],
            "max_points": 100,
            "at_least": 0,
        }
    )
    result = evaluate(prog, {"certified_people": D(80), "credentials": D(90)})
    assert result.total == D(100)


def test_more_than_zero_points_on_every_metric() -> None:
    prog = one(
        {
            "score": [
                {
                    "metric": "certified_people",
                    "points_per": 1,
                    "max_points": 80,
                    "more_than_points": 0,
                },
                {
                    "metric": "new_customers",
                    "window": "6CM",
                    "points_per": 1,
                    "max_points": 20,
                    "more_than_points": 0,
                },
            ],
            "at_least": 70,
        }
    )
    result = evaluate(prog, {"certified_people": D(80), "new_customers@6CM": D(0)})
    assert result.total == D(80)
    assert not result.met
    (short,) = shortfalls(result, currency="EUR")
    assert short.kind == "component_minimum"
    assert short.text.en == "new customers (6 calendar months): needs more than 0 points (has 0)"
    assert evaluate(prog, {"certified_people": D(80), "new_customers@6CM": D(1)}).met


def test_none_value_scores_zero_and_negative_values_never_score() -> None:
    prog = one(
        {
            "score": [
                {
                    "metric": "bookings_growth",
                    "window": "12M",
                    "points_per": "0.01",
                    "max_points": 30,
                },
                {"metric": "net_new_users", "window": "12M", "points_per": 1, "max_points": 30},
            ],
            "at_least": 0,
        }
    )
    result = evaluate(prog, {"bookings_growth@12M": None, "net_new_users@12M": D(-12)})
    assert [c.points for c in result.components] == [D(0), D(0)]
    assert result.components[0].value_status == "undefined"


# --------------------------------------------------------------------------- gates


def test_gate_comparators_and_missing() -> None:
    cases = [
        ("at_least", D(4), D(4), True, None),
        ("at_least", D(4), D(2), False, D(2)),
        ("more_than", D(4), D(4), False, D(1)),
        ("more_than", D(4), D("4.5"), True, None),
        ("at_most", D(4), D(4), True, None),
        ("at_most", D(4), D(6), False, D(2)),
        ("less_than", D(4), D(4), False, D(1)),
    ]
    for comparator, threshold, value, met, missing in cases:
        prog = one(gate("certified_people", threshold, comparator))
        result = evaluate(prog, {"certified_people": value})
        assert isinstance(result, CheckResult)
        assert (result.met, result.missing) == (met, missing), comparator


def test_gate_count_missing_rounds_up_to_whole_units() -> None:
    prog = one(gate("certified_people", "2.5"))
    assert evaluate(prog, {"certified_people": D(1)}).missing == D(2)


def test_gate_money_sentence() -> None:
    prog = one(gate("influenced_bookings", 500000, window="12M"))
    result = evaluate(prog, {"influenced_bookings@12M": D(380000)})
    assert result.missing == D(120000)
    (short,) = shortfalls(result, currency="EUR")
    assert short.text.en == "EUR 120,000 more influenced bookings (12 months)"
    assert short.text.fr == "encore 120 000 EUR de prises de commande influencées (12 mois)"
    cents = evaluate(prog, {"influenced_bookings@12M": D("499999.995")})
    (short,) = shortfalls(cents, currency="EUR")
    assert short.text.en == "EUR 0.01 more influenced bookings (12 months)"


def test_gate_count_sentence_with_filter() -> None:
    prog = one(gate("certified_people", 4, where={"family": "openshift"}))
    (short,) = shortfalls(
        evaluate(prog, {"certified_people[family=openshift]": D(2)}), currency="EUR"
    )
    assert short.text.en == "2 more certified people (family: openshift)"
    assert short.text.fr == "encore 2 personnes certifiées (family : openshift)"
    (short,) = shortfalls(
        evaluate(prog, {"certified_people[family=openshift]": D(3)}), currency="EUR"
    )
    assert short.text.en == "1 more certified person (family: openshift)"
    assert short.text.fr == "encore 1 personne certifiée (family : openshift)"


def test_gate_fraction_sentence() -> None:
    prog = one(gate("customer_retention", "0.7", window="12M", where={"basis": "active_in_window"}))
    result = evaluate(prog, {"customer_retention[basis=active_in_window]@12M": D("0.65")})
    (short,) = shortfalls(result, currency="EUR")
    assert short.missing == D("0.05")
    assert short.text.en == (
        "customer retention (basis: active_in_window; 12 months) must reach 70% (now 65%)"
    )


def test_fail_closed_on_none_and_missing() -> None:
    prog = one(gate("bookings_growth", 0, window="12M"))
    undefined = evaluate(prog, {"bookings_growth@12M": None})
    assert not undefined.met and undefined.missing is None
    assert undefined.value_status == "undefined"
    assert "no baseline" in undefined.explanation.en
    assert "pas de référence" in undefined.explanation.fr
    (short,) = shortfalls(undefined, currency="EUR")
    assert short.kind == "no_value"
    missing = evaluate(prog, {})
    assert not missing.met and missing.value_status == "missing"
    assert "not measured" in missing.explanation.en
    # at_most on None is not met either
    low = one(gate("bookings_growth", 1, "at_most", window="12M"))
    assert not evaluate(low, {"bookings_growth@12M": None}).met


def test_int_and_float_values_are_accepted() -> None:
    prog = one(gate("resale_bookings", "0.3", window="12M"))
    assert evaluate(prog, {"resale_bookings@12M": 0.3}).met
    assert evaluate(prog, {"resale_bookings@12M": 1}).met
    with pytest.raises(TypeError):
        evaluate(prog, {"resale_bookings@12M": "1"})


# --------------------------------------------------------------------------- any / all / k of

ATLASSIAN_GOLD = {
    "any": [
        {
            "all": [
                gate("resale_bookings", 500000, window="12M"),
                gate("cloud_usage", 125000, window="12M"),
            ]
        },
        gate("resale_bookings", 3000000, window="12M"),
    ]
}


@pytest.mark.parametrize(
    ("resale", "cloud", "met", "met_count"),
    [
        (D(3_500_000), D(900_000), True, 2),  # both paths
        (D(600_000), D(150_000), True, 1),  # first path only
        (D(3_000_000), D(0), True, 1),  # second path only
        (D(400_000), D(100_000), False, 0),  # neither
    ],
)
def test_any_of_both_and_neither(
    resale: Decimal, cloud: Decimal, met: bool, met_count: int
) -> None:
    prog = one(ATLASSIAN_GOLD)
    result = evaluate(prog, {"resale_bookings@12M": resale, "cloud_usage@12M": cloud})
    assert isinstance(result, LogicResult)
    assert (result.met, result.met_count, result.required) == (met, met_count, 1)


def test_any_gap_picks_the_path_with_fewest_shortfalls() -> None:
    prog = one(ATLASSIAN_GOLD)
    result = evaluate(prog, {"resale_bookings@12M": D(400_000), "cloud_usage@12M": D(100_000)})
    found = shortfalls(result, currency="EUR")
    assert [s.path for s in found] == ["any[1]"]  # one shortfall beats two
    assert found[0].missing == D(2_600_000)
    result = evaluate(prog, {"resale_bookings@12M": D(600_000), "cloud_usage@12M": D(100_000)})
    assert [s.path for s in shortfalls(result, currency="EUR")] == ["any[0].all[1]"]  # tie: first


def test_all_gap_lists_every_failing_child() -> None:
    prog = one(
        {
            "all": [
                gate("certified_people", 4),
                gate("credentials", 6),
                gate("attestations", 1, where={"kind": "business_plan"}),
            ]
        }
    )
    result = evaluate(
        prog,
        {"certified_people": D(1), "credentials": D(6), "attestations[kind=business_plan]": D(0)},
    )
    assert [s.path for s in shortfalls(result, currency="EUR")] == ["all[0]", "all[2]"]


def test_at_least_two_of_three() -> None:
    prog = one(
        {
            "at_least": 2,
            "of": [
                {"all": [gate("certified_people", 4), gate("credentials", 8)]},
                gate("new_customers", 3, window="12M"),
                gate("attestations", 1),
            ],
        }
    )
    values = {
        "certified_people": D(5),
        "credentials": D(9),
        "new_customers@12M": D(1),
        "attestations": D(0),
    }
    result = evaluate(prog, values)
    assert (result.met, result.met_count, result.required) == (False, 1, 2)
    # one more child needed: both failing children cost one shortfall; the first wins
    assert [s.path for s in shortfalls(result, currency="EUR")] == ["of[1]"]
    values["attestations"] = D(1)
    assert evaluate(prog, values).met
    values.update({"certified_people": D(0), "credentials": D(0), "attestations": D(0)})
    result = evaluate(prog, values)
    # two children needed: the two single-shortfall children beat the two-shortfall one
    assert [s.path for s in shortfalls(result, currency="EUR")] == ["of[1]", "of[2]"]


# --------------------------------------------------------------------------- tracks and tiers

ODOO_V11 = {
    "ready": {"all": [gate("net_new_users", 10, window="12M"), gate("certified_people", 1)]},
    "advanced": {
        "all": [
            gate("net_new_users", 75, window="12M"),
            gate("certified_people", 3),
            gate("customer_retention", "0.7", window="36M", where={"basis": "acquired_in_window"}),
        ]
    },
    "premier": {
        "all": [
            gate("net_new_users", 300, window="12M"),
            gate("certified_people", 6),
            gate("customer_retention", "0.8", window="36M", where={"basis": "acquired_in_window"}),
        ]
    },
}
RETENTION = "customer_retention[basis=acquired_in_window]@36M"


@pytest.mark.parametrize(
    ("users", "people", "retention", "tier"),
    [
        (D(150), D(3), D("0.75"), "advanced"),
        (D(150), D(3), None, "ready"),  # no customers acquired: retention undefined
        (D(300), D(6), D("0.8"), "premier"),
        (D(300), D(6), D("0.79"), "advanced"),
        (D(9), D(6), D("0.9"), None),  # below the entry tier
    ],
)
def test_odoo_v11_levels(
    users: Decimal, people: Decimal, retention: Decimal | None, tier: str | None
) -> None:
    prog = program({"main": ODOO_V11})
    values = {"net_new_users@12M": users, "certified_people": people, RETENTION: retention}
    assert qualify_track(prog, track="main", values=values) == tier


def test_tier_without_requirement_is_met_but_only_up_to_the_highest_defined() -> None:
    prog = program({"main": {"advanced": gate("certified_people", 4)}})
    result = evaluate_track(prog, track="main", values={"certified_people": D(9)})
    assert [(t.tier, t.offered, t.met) for t in result.tiers] == [
        ("ready", True, True),
        ("advanced", True, True),
        ("premier", False, False),
    ]
    assert result.qualified_tier == "advanced"
    assert qualify_track(prog, track="main", values={"certified_people": D(1)}) == "ready"
    # a track without any requirement offers the lowest tier only
    bare = program({})
    assert qualify_track(bare, track="main", values={}) == "ready"


def test_gap_to_next_tier() -> None:
    prog = program({"main": ODOO_V11})
    values = {"net_new_users@12M": D(150), "certified_people": D(3), RETENTION: D("0.75")}
    gap = gap_to_next_tier(prog, track="main", values=values, tier="advanced")
    assert gap is not None
    assert (gap.from_tier, gap.to_tier, gap.met) == ("advanced", "premier", False)
    assert [s.text.en for s in gap.shortfalls] == [
        "150 more net new users (12 months)",
        "3 more certified people",
        "customer retention (basis: acquired_in_window; 36 months) must reach 80% (now 75%)",
    ]
    assert gap.summary.en.startswith("For Premier: 150 more net new users (12 months); ")
    assert gap_to_next_tier(prog, track="main", values=values, tier="premier") is None
    lowest = gap_to_next_tier(prog, track="main", values={}, tier=None)
    assert lowest is not None and lowest.to_tier == "ready"
    assert [s.kind for s in lowest.shortfalls] == ["no_value", "no_value"]


# --------------------------------------------------------------------------- grandfathering

GRANDFATHER = [
    {
        "keep": "premier",
        "for": {"was": "premier", "tier_on": "2026-06-30"},
        "while_qualifying_for": "advanced",
        "until": "2027-12-31",
    }
]


@pytest.mark.parametrize(
    ("previous", "qualified", "as_of", "tier", "applied"),
    [
        ("premier", "advanced", date(2026, 12, 31), "premier", True),
        ("premier", "premier", date(2026, 12, 31), "premier", False),  # nothing to keep
        ("premier", "ready", date(2026, 12, 31), "ready", False),  # must qualify for advanced
        ("premier", None, date(2026, 12, 31), None, False),
        ("premier", "advanced", date(2027, 12, 31), "premier", True),  # until is inclusive
        ("premier", "advanced", date(2028, 1, 1), "advanced", False),  # protection ended
        ("advanced", "advanced", date(2026, 12, 31), "advanced", False),
        (None, "advanced", date(2026, 12, 31), "advanced", False),
    ],
)
def test_apply_grandfathering(
    previous: str | None, qualified: str | None, as_of: date, tier: str | None, applied: bool
) -> None:
    prog = program({}, grandfathering=GRANDFATHER)
    result, rule = apply_grandfathering(
        prog, previous_tier=previous, qualified_tier=qualified, as_of=as_of
    )
    assert result == tier
    assert (rule is not None) == applied


def test_grandfathering_highest_keep_wins_and_unconditional_rule() -> None:
    rules = [
        {"keep": "advanced", "for": {"was": "premier", "tier_on": "2026-06-30"}},
        {
            "keep": "premier",
            "for": {"was": "premier", "tier_on": "2026-06-30"},
            "while_qualifying_for": "ready",
        },
    ]
    prog = program({}, grandfathering=rules)
    tier, rule = apply_grandfathering(
        prog, previous_tier="premier", qualified_tier=None, as_of=date(2026, 9, 1)
    )
    assert (tier, rule) == ("advanced", prog.grandfathering[0])
    tier, rule = apply_grandfathering(
        prog, previous_tier="premier", qualified_tier="ready", as_of=date(2026, 9, 1)
    )
    assert (tier, rule) == ("premier", prog.grandfathering[1])


# --------------------------------------------------------------------------- assessment

TWO_TRACKS = {
    "sp": {
        "advanced": gate("resale_bookings", 250000, window="12M"),
        "premier": gate("resale_bookings", 1000000, window="12M"),
    },
    "ccsp": {
        "advanced": gate("cloud_usage", 100000, window="12M"),
        "premier": gate("cloud_usage", 500000, window="12M"),
    },
}


def two_tracks(**overrides: Any) -> Program:
    return program(
        TWO_TRACKS,
        tracks={"sp": {}, "ccsp": {"effective_from": "2027-01-01"}},
        grandfathering=GRANDFATHER,
        **overrides,
    )


def test_assess_skips_tracks_not_yet_effective() -> None:
    prog = two_tracks()
    values = {"resale_bookings@12M": D(300_000), "cloud_usage@12M": D(600_000)}
    before = assess_partner(
        prog,
        tracks_enrolled=["sp", "ccsp", "gone"],
        values=values,
        previous_tier=None,
        as_of=date(2026, 12, 31),
    )
    assert (before.qualified_tier, before.qualified_track, before.tier) == (
        "advanced",
        "sp",
        "advanced",
    )
    assert not before.tracks["ccsp"].active
    assert before.tracks["ccsp"].qualified_tier == "premier"  # evaluated, but does not count
    assert before.unknown_tracks == ("gone",)
    assert before.next_tier is not None
    assert (before.next_tier.track, before.next_tier.to_tier) == ("sp", "premier")
    assert before.next_tier.shortfalls[0].text.en == "EUR 700,000 more resale bookings (12 months)"
    after = assess_partner(
        prog,
        tracks_enrolled=["sp", "ccsp"],
        values=values,
        previous_tier=None,
        as_of=date(2027, 1, 1),
    )
    assert (after.qualified_tier, after.qualified_track, after.tier) == (
        "premier",
        "ccsp",
        "premier",
    )
    assert after.next_tier is None


def test_assess_applies_grandfathering_on_the_overall_tier() -> None:
    prog = two_tracks()
    values = {"resale_bookings@12M": D(300_000), "cloud_usage@12M": D(0)}
    result = assess_partner(
        prog,
        tracks_enrolled=["sp"],
        values=values,
        previous_tier="premier",
        as_of=date(2026, 12, 31),
    )
    assert (result.qualified_tier, result.tier, result.grandfathered) == (
        "advanced",
        "premier",
        True,
    )
    assert result.grandfathering_rule == 0 == result.grandfathered_by
    assert result.next_tier is None  # already at the top tier
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["tracks"]["sp"]["tiers"][1]["requirement"]["value"] == 300000
    assert data["tier"] == "premier"


def test_assess_with_no_active_track() -> None:
    prog = two_tracks()
    result = assess_partner(
        prog, tracks_enrolled=["ccsp"], values={}, previous_tier=None, as_of=date(2026, 9, 1)
    )
    assert (result.qualified_tier, result.tier, result.next_tier) == (None, None, None)


def test_to_dict_keeps_decimals_out_of_json_but_exact_inside() -> None:
    prog = one({"score": [SKILLING], "at_least": 15})
    result = evaluate(prog, {SKILL_KEY: D(7)})
    assert result.total == D("14.98")
    data = result.to_dict()
    assert data["total"] == 14.98 and data["threshold"] == 15
    assert data["components"][0]["points_each"] == 2.14
    json.dumps(data)


# --------------------------------------------------------------------------- properties

GATE_METRICS = ["certified_people", "credentials", "attestations"]
_thresholds = st.integers(min_value=0, max_value=20).map(Decimal)
_values = st.one_of(st.none(), st.integers(min_value=0, max_value=25).map(Decimal))


@st.composite
def up_gates(draw: st.DrawFn) -> dict[str, Any]:
    return gate(
        draw(st.sampled_from(GATE_METRICS)),
        str(draw(_thresholds)),
        draw(st.sampled_from(["at_least", "more_than"])),
    )


def gate_trees() -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        up_gates(),
        lambda children: st.one_of(
            st.builds(lambda c: {"all": c}, st.lists(children, min_size=1, max_size=3)),
            st.builds(lambda c: {"any": c}, st.lists(children, min_size=1, max_size=3)),
            st.lists(children, min_size=1, max_size=3).flatmap(
                lambda c: st.integers(1, len(c)).map(lambda k: {"at_least": k, "of": c})
            ),
        ),
        max_leaves=5,
    )


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.one_of(st.none(), gate_trees()), min_size=3, max_size=3),
    st.fixed_dictionaries({m: _values for m in GATE_METRICS}),
    st.sampled_from(GATE_METRICS),
    st.integers(min_value=1, max_value=10),
)
def test_raising_a_value_never_lowers_the_tier(
    trees: list[dict[str, Any] | None],
    values: dict[str, Decimal | None],
    metric: str,
    increase: int,
) -> None:
    requirements = {
        tier: tree
        for tier, tree in zip(["ready", "advanced", "premier"], trees, strict=True)
        if tree is not None
    }
    prog = program({"main": requirements})
    before = qualify_track(prog, track="main", values=values)
    raised = dict(values)
    raised[metric] = (values[metric] or D(0)) + increase
    after = qualify_track(prog, track="main", values=raised)
    rank = {None: -1} | {k: i for i, k in enumerate(prog.tier_keys)}
    assert rank[after] >= rank[before]


_component = st.fixed_dictionaries(
    {
        "metric": st.sampled_from(["certified_people", "credentials"]),
        "points_each": st.decimals(min_value="0.01", max_value=10, places=2),
        "max_points": st.one_of(st.none(), st.decimals(min_value=0, max_value=50, places=2)),
        "group": st.sampled_from([None, "a", "b"]),
    }
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_component, min_size=1, max_size=5),
    st.one_of(st.none(), st.decimals(min_value=0, max_value=40, places=1)),
    st.one_of(st.none(), st.decimals(min_value=0, max_value=80, places=1)),
    st.fixed_dictionaries(
        {
            "certified_people": st.one_of(
                st.none(), st.decimals(min_value=-5, max_value=100, places=3)
            ),
            "credentials": st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=3)),
        }
    ),
)
def test_points_never_exceed_caps(
    components: list[dict[str, Any]],
    group_cap: Decimal | None,
    total_cap: Decimal | None,
    values: dict[str, Decimal | None],
) -> None:
    assume(all(v is None or v.is_finite() for v in values.values()))
    comps = [
        {k: str(v) if isinstance(v, Decimal) else v for k, v in c.items() if v is not None}
        for c in components
    ]
    groups = {"a": {"max_points": str(group_cap)} if group_cap is not None else {}, "b": {}}
    node: dict[str, Any] = {"score": comps, "groups": groups, "at_least": 0}
    if total_cap is not None:
        node["max_points"] = str(total_cap)
    result = evaluate(one(node), values)
    for comp in result.components:
        assert comp.points >= 0
        if comp.max_points is not None:
            assert comp.points <= comp.max_points
    for group in result.groups:
        if group.max_points is not None:
            assert group.points <= group.max_points
        assert group.points <= group.raw_points
    if total_cap is not None:
        assert result.total <= total_cap
    ungrouped = sum((c.points for c in result.components if c.group is None), D(0))
    assert result.total <= ungrouped + sum((g.points for g in result.groups), D(0))
