"""Calibration on the six-partner program of ``calibration_fixtures`` (pure: no database).

Every expected value is worked out by hand from the table in ``calibration_fixtures``.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import product

import pytest

from partnerprogram.programs import calibrate as calibration
from partnerprogram.programs.calibrate import (
    Calibration,
    CalibrationError,
    Direction,
    calibrate,
    free_parse,
    target_parse,
    thresholds_list,
    yaml_with_thresholds,
)
from partnerprogram.programs.schema import load_program_text
from partnerprogram.programs.simulate import program_with_threshold
from tests.simulation.calibration_fixtures import (
    ADVANCED_CERTIFIED,
    DRAFT,
    PREMIER_CERTIFIED,
    PREMIER_RESALE,
    draft_program,
    inputs,
)


def _run(
    targets: list[str], *, free: list[str] | None = None, direction: Direction = "relax"
) -> Calibration:
    program = draft_program()
    return calibrate(
        program=program,
        text=DRAFT,
        source="tiny.yaml",
        inputs=inputs(),
        targets=[target_parse(t, program=program) for t in targets],
        free=free_parse(free or [], program=program, direction=direction),
    )


def _changes(result: Calibration) -> dict[str, Decimal]:
    return {c.path: c.new for c in result.changes}


def test_thresholds_list_paths_and_values() -> None:
    found = [(t.path, t.comparator, t.value, t.unit) for t in thresholds_list(draft_program())]
    assert found == [
        (ADVANCED_CERTIFIED, "at_least", Decimal(5), "people"),
        (PREMIER_CERTIFIED, "at_least", Decimal(10), "people"),
        (PREMIER_RESALE, "at_least", Decimal(1_000_000), "money"),
    ]


def test_keep_previous_premier_that_meet_advanced() -> None:
    # Previous Premier meeting Advanced under the draft: p1, p2, p3 (p5 has 3 people < 5).
    # p2 needs certified <= 9; p3 needs certified <= 8 and resale <= 900,000.
    # Cheapest: certified 10 -> 8 (20 %) and resale 1,000,000 -> 900,000 (10 %): 30 %.
    result = _run(["keep:premier if-meets advanced"])
    assert result.found and result.method == "exact"
    assert _changes(result) == {PREMIER_CERTIFIED: 8, PREMIER_RESALE: 900_000}
    assert result.cost == Decimal("0.3")
    [target] = result.targets
    assert (target.before, target.after, target.limit) == (1, 3, 3)
    # after: premier p1 p2 p3 and p6 (11 people, 950,000); advanced p4; ready p5
    assert result.distribution_before == {"ready": 1, "advanced": 4, "premier": 1, "none": 0}
    assert result.distribution_after == {"ready": 1, "advanced": 1, "premier": 4, "none": 0}
    assert sorted(result.changed_partners) == [
        ("p2", "advanced", "premier"),
        ("p3", "advanced", "premier"),
        ("p6", "advanced", "premier"),
    ]


def test_yaml_diff_keeps_comments_and_layout() -> None:
    result = _run(["keep:premier if-meets advanced"])
    assert result.calibrated_text == DRAFT.replace("at_least: 10}", "at_least: 8}").replace(
        "at_least: 1_000_000   # EUR", "at_least: 900000   # EUR"
    )
    assert "-        - {id: people, metric: certified_people, at_least: 10}\n" in result.diff
    assert "+        - {id: people, metric: certified_people, at_least: 8}\n" in result.diff
    assert "+          at_least: 900000   # EUR\n" in result.diff
    assert result.diff.startswith("--- a/tiny.yaml\n+++ b/tiny.yaml\n")
    assert result.calibrated is not None and result.calibrated.version == "1"


def test_at_least_count_picks_the_cheapest_combination() -> None:
    # 3 Premier: certified -> 9 (p2, 10 %) + resale -> 950,000 (p6, 5 %) = 15 %: p1 p2 p6.
    # The alternatives cost more: certified -> 7 alone admits p2 and p4 (30 %).
    result = _run(["at-least:3:premier"])
    assert _changes(result) == {PREMIER_CERTIFIED: 9, PREMIER_RESALE: 950_000}
    assert result.cost == Decimal("0.15")
    assert result.distribution_after["premier"] == 3


def test_demoted_at_most() -> None:
    # Demoted vs previous tier under the draft: p2, p3 (premier -> advanced), p5 (-> ready).
    # At most 1: p5 cannot be kept Premier within the bounds, so p2 and p3 must be: 30 %.
    result = _run(["demoted-at-most:1"])
    assert _changes(result) == {PREMIER_CERTIFIED: 8, PREMIER_RESALE: 900_000}
    [target] = result.targets
    assert (target.before, target.after, target.limit) == (3, 1, 1)
    # a share: 20 % of 6 partners = 1.2, at most 1 partner
    assert _run(["demoted-at-most:20%"]).targets[0].limit == 1


def test_tighten_rounds_to_a_nice_number() -> None:
    # No Premier at all, tightening only: p1 (12 people, 1,200,000) must fail one check.
    # certified -> 13 costs 30 %; resale -> 1,200,000.01 costs 20 %, then rounded to the
    # nicer 1,210,000 (3 significant digits, within 5 % of 1,000,000, p1 still out): 21 %.
    result = _run(["at-most:0:premier"], direction="tighten")
    assert _changes(result) == {PREMIER_RESALE: 1_210_000}
    assert result.distribution_after["premier"] == 0


def test_infeasible_within_bounds() -> None:
    # keep every previous Premier, p5 included: 3 people would need certified <= 3, below the
    # default bound 5 (50 % of 10), and Advanced blocks it anyway (p5 has 3 < 5 people).
    result = _run(["keep:premier"])
    assert not result.found
    assert result.changes == [] and result.diff == ""
    assert "no combination" in result.message
    [target] = result.targets
    assert (target.before, target.after, target.limit) == (1, 1, 4)


def test_explicit_free_and_bounds() -> None:
    # Only resale may move, down to 950,000: p2 stays short of people, target unmet.
    result = _run(["keep:premier if-meets advanced"], free=[f"{PREMIER_RESALE}:950000.."])
    assert not result.found
    # Only certified may move: p3 also needs resale, unmet too; both free: met.
    both = _run(
        ["keep:premier if-meets advanced"], free=[PREMIER_CERTIFIED, f"{PREMIER_RESALE}:..1000000"]
    )
    assert _changes(both) == {PREMIER_CERTIFIED: 8, PREMIER_RESALE: 900_000}


def test_greedy_matches_exact_on_the_small_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(calibration, "EXACT_MAX_FREE", 0)
    result = _run(["keep:premier if-meets advanced"])
    assert result.method == "greedy"
    assert _changes(result) == {PREMIER_CERTIFIED: 8, PREMIER_RESALE: 900_000}


def test_draft_already_meeting_the_target() -> None:
    result = _run(["at-least:1:premier"])
    assert result.found and result.method == "none" and result.changes == []
    assert result.message == "the draft already meets every target"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("keep:gold", "unknown tier 'gold'"),
        ("keep:premier if-meets platinum", "unknown tier 'platinum'"),
        ("at-least:3:premier@cloud", "unknown track 'cloud'"),
        ("demoted-at-most:120%", "cannot exceed 100 %"),
        ("demoted-at-most:1.5", "must be whole"),
        ("most:3:premier", "not understood"),
    ],
)
def test_bad_targets(text: str, reason: str) -> None:
    with pytest.raises(CalibrationError, match=reason) as info:
        target_parse(text, program=draft_program())
    assert repr(text) in str(info.value)


def test_target_forms() -> None:
    program = draft_program()
    keep = target_parse("keep:premier  if-meets advanced@resale", program=program)
    assert (keep.kind, keep.tier, keep.if_meets, keep.track) == (
        "keep",
        "premier",
        "advanced",
        "resale",
    )
    plus = target_parse("at-most:4:advanced+", program=program)
    assert (plus.kind, plus.count, plus.tier, plus.or_above) == ("at_most", 4, "advanced", True)
    share = target_parse("demoted-at-most:5%", program=program)
    assert share.share == Decimal("0.05")


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("requirements.resale.premier.all[0].at_leest", "did you mean"),
        (f"{PREMIER_CERTIFIED}:12..20", "must include the draft's value 10"),
        (f"{PREMIER_CERTIFIED}:9..8", "MIN is above MAX"),
        (f"{PREMIER_CERTIFIED}:five", "MIN..MAX"),
    ],
)
def test_bad_free(spec: str, reason: str) -> None:
    with pytest.raises(CalibrationError, match=reason):
        free_parse([spec], program=draft_program())


def test_default_bounds_by_direction() -> None:
    program = draft_program()
    directions: tuple[Direction, ...] = ("relax", "tighten", "both")
    bounds = {
        d: {f.threshold.path: (f.low, f.high) for f in free_parse([], program=program, direction=d)}
        for d in directions
    }
    assert bounds["relax"][PREMIER_CERTIFIED] == (5, 10)
    assert bounds["tighten"][PREMIER_CERTIFIED] == (10, 15)
    assert bounds["both"][PREMIER_RESALE] == (500_000, 1_500_000)


def test_yaml_edit_refuses_a_path_that_is_not_a_number() -> None:
    with pytest.raises(CalibrationError, match="not a number in the file"):
        yaml_with_thresholds(
            DRAFT, {"requirements.resale.premier.all[5].at_least": Decimal(1)}, source="tiny.yaml"
        )


NESTED = """\
program: nested
name: Nested
currency: EUR
timezone: Europe/Paris
version: "1"
effective_from: 2026-01-01
tiers: [ready, premier]
tracks: {resale: {}}
requirements:
  resale:
    premier:
      any:
        - at_least: 2
          of:
            - {metric: certified_people, at_least: 10}
            - {metric: resale_bookings, window: 12M, at_least: 1000000}
            - {metric: resale_bookings, window: 12M, at_most: 1000}
        - score:
            - {metric: certified_people, points_each: 5, max_points: 50, min_points: 20}
            - {metric: resale_bookings, window: 12M, points_per: 100000, max_points: 50}
          at_least: 70
"""


def test_bit_set_model_agrees_with_the_rules_on_nested_requirements() -> None:
    # The fast model (bit sets over all partners) against rules.assess_partner for every
    # combination of three thresholds: any disagreement is an AssertionError in calibrate(),
    # here checked directly on the tiers.
    program = load_program_text(NESTED, source="nested.yaml")
    data = inputs()
    model = calibration._Model(program, data)
    paths = [
        "requirements.resale.premier.any[0].of[0].at_least",
        "requirements.resale.premier.any[0].of[2].at_most",
        "requirements.resale.premier.any[1].score[0].min_points",
    ]
    grid = [[8, 10, 12], [900_000, 1000, 2_000_000], [10, 20, 45]]
    for combo in product(*grid):
        changed = program
        masks = list(model.original)
        for path, value in zip(paths, combo, strict=True):
            changed = program_with_threshold(changed, path, value)
            slot = model.index[path]
            masks[slot] = model.data[slot].masks([Decimal(value)])[0]
        fast = model.outcome(masks).ge[1]
        full = calibration._outcome_of(model, calibration._full_tiers(changed, data)).ge[1]
        assert fast == full, combo


def test_validation_of_only_the_flipped_partners_gives_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Large populations re-assess only partners whose changed checks flip (p2, p3, p6 here);
    # calibrate() asserts the fast model and the rules agree on every partner either way.
    full = _run(["keep:premier if-meets advanced"])
    monkeypatch.setattr(calibration, "FULL_VALIDATION_MAX", 0)
    partial = _run(["keep:premier if-meets advanced"])
    assert partial.distribution_after == full.distribution_after
    assert partial.changed_partners == full.changed_partners
    assert calibration._indexes(0b1010_0001) == [0, 5, 7]


def test_free_thresholds_are_capped() -> None:
    """The tiny draft has 3 non-zero thresholds: above a cap of 2 the search is refused, at 3
    they are all free; naming 3 with --free counts the same."""
    program = draft_program()
    with pytest.raises(CalibrationError, match="the draft has 3 non-zero thresholds, above the "
                       "limit of 2"):  # fmt: skip
        free_parse([], program=program, max_thresholds=2)
    assert len(free_parse([], program=program, max_thresholds=3)) == 3
    named = [ADVANCED_CERTIFIED, PREMIER_CERTIFIED, PREMIER_RESALE]
    with pytest.raises(CalibrationError, match="3 --free given, above the limit of 2"):
        free_parse(named, program=program, max_thresholds=2)
    assert calibration.MAX_FREE_THRESHOLDS == 50


def test_search_memo_holds_only_the_moved_thresholds() -> None:
    """The memo of evaluated versions is keyed by the moved thresholds only: the draft itself
    is ``()`` and moving the second free threshold to its candidate 1 is ``((1, 1),)`` — not
    one entry per free threshold (which made memory grow with their square)."""
    program = draft_program()
    model = calibration._Model(program, inputs(), "en")
    search = calibration._Search(
        model,
        [target_parse("at-least:3:premier", program=program)],
        free_parse([], program=program),
    )
    search.shortfall((0, 0, 0))
    search.shortfall((0, 1, 0))
    assert set(search._memo) == {(), ((1, 1),)}
    # moves are generated one at a time, not built as a list of full assignments
    moves = search._moves((0, 0, 0), [0, 1, 2], 1)
    assert not isinstance(moves, list)
    assert next(iter(moves)) == (1, 0, 0)


NO_ADVANCED = DRAFT.replace("tiers: [ready, advanced, premier]", "tiers: [ready, premier]").replace(
    "    advanced:\n      metric: certified_people\n      at_least: 5      # five people\n", ""
)


def test_a_removed_tier_counts_its_partners_as_demoted() -> None:
    """Without Advanced, premier needs 10 people and EUR 1,000,000: only p1 keeps it; p2, p3,
    p5 (previous premier) and p4, p6 (previous advanced) fall to ready: 5 demoted. Advanced
    ranks by the baseline's order (ready < advanced < premier), so advanced -> ready is a
    demotion; without that order only the 3 premier falls would count."""
    import dataclasses

    program = load_program_text(NO_ADVANCED, source="noadv.yaml")
    assert program.tier_keys == ("ready", "premier")
    base = dataclasses.replace(inputs(), baseline_order=("ready", "advanced", "premier"))
    result = calibrate(
        program=program,
        text=NO_ADVANCED,
        source="noadv.yaml",
        inputs=base,
        targets=[target_parse("demoted-at-most:5", program=program)],
        free=free_parse([], program=program),
    )
    assert (result.targets[0].before, result.targets[0].met_before) == (5, True)


def test_a_target_about_no_partner_is_flagged() -> None:
    """Every partner was ready under the given baseline: ``keep:premier`` concerns nobody; it
    is met (0 of 0) but flagged, and the message does not claim plain success."""
    program = draft_program()
    result = calibrate(
        program=program,
        text=DRAFT,
        source="tiny.yaml",
        inputs=inputs(baseline={ext: "ready" for ext in ("p1", "p2", "p3", "p4", "p5", "p6")}),
        targets=[target_parse("keep:premier if-meets advanced", program=program)],
        free=free_parse([], program=program),
    )
    outcome = result.targets[0]
    assert (outcome.before, outcome.limit, outcome.concerns_no_partner) == (0, 0, True)
    assert result.warnings == [
        "target 'keep:premier if-meets advanced' concerns no partner: no partner was premier "
        "under given and meets advanced under the draft; it is met only because it is empty"
    ]
    assert "concerns no partner" in result.message
    assert result.to_dict()["targets"][0]["concerns_no_partner"] is True


def test_nice_rounding_keeps_the_same_partners_and_shows_the_exact_value() -> None:
    """p6 (11 people) has EUR 959,234.56 of resale, p3 (8 people) 955,000. To get 2 Premier
    the resale threshold falls from 1,000,000 to p6's 959,234.56 (found exactly). Rounded to
    2 significant digits, 950,000 would also let p3 meet the resale check (a bigger change,
    though the target still holds since p3 lacks people); 960,000 would shut p6 out. The
    3-digit 959,000 keeps exactly the same partners: it is the suggestion, with the exact
    value alongside."""
    import dataclasses

    from tests.simulation.calibration_fixtures import RESALE

    base = inputs()
    values = {pid: dict(v) for pid, v in base.values.items()}
    values[6][RESALE] = Decimal("959234.56")
    values[3][RESALE] = Decimal("955000")
    program = draft_program()
    result = calibrate(
        program=program,
        text=DRAFT,
        source="tiny.yaml",
        inputs=dataclasses.replace(base, values=values),
        targets=[target_parse("at-least:2:premier", program=program)],
        free=free_parse([PREMIER_RESALE], program=program),
    )
    [change] = result.changes
    assert (change.new, change.exact) == (Decimal("959000"), Decimal("959234.56"))
    assert result.to_dict()["changes"][0]["exact"] == 959234.56
    assert (result.targets[0].after, result.targets[0].met_after) == (2, True)
