"""Program language: loading, exact numbers, error paths, metric references, canonical form."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from partnerprogram.programs.catalog import CATALOG, is_money
from partnerprogram.programs.schema import (
    AllNode,
    AnyNode,
    AtLeastNode,
    Comparison,
    MetricRef,
    Program,
    ProgramError,
    Score,
    load_program,
    load_program_text,
    program_from_json,
)

SPEC_EXAMPLE = """\
program: pex-fr
name: Partner Experience France
currency: EUR
timezone: Europe/Paris
fiscal_year_start: 1
version: "2026.2"
effective_from: 2026-09-01
rounding: {places: 2, mode: half_up}
tiers: [ready, advanced, {key: premier, name: {en: Premier, fr: Premier}}]
tracks:
  solution_provider: {name: {en: Solution provider, fr: Revendeur intégrateur}}
  consulting: {}
  ccsp: {effective_from: 2027-01-01}
requirements:
  solution_provider:
    advanced:
      all:
        - {metric: certified_people, where: {family: [rhel, openshift]}, at_least: 4}
        - {metric: registered_opportunities, where: {status: [approved, won]}, window: 12M,
           at_least: 6}
        - {metric: resale_bookings, window: 12M, at_least: 250000}
  consulting:
    advanced:
      score:
        - {metric: influenced_bookings, window: 12M, points_per: 50000, max_points: 40}
        - {metric: certified_people, points_per: 1, max_points: 30}
        - {metric: registered_opportunities, window: 12M, points_each: 2.14, max_points: 30}
      at_least: 60
grandfathering:
  - keep: premier
    for: {was: premier, tier_on: 2026-06-30}
    while_qualifying_for: advanced
    until: 2027-12-31
cycle: {claims_open: 2026-07-01, claim_deadline: 2026-12-31, freeze_months: 12,
        promotions_during_freeze: false}
"""


def base(**overrides: Any) -> dict[str, Any]:
    """A minimal valid program as a dict."""
    data: dict[str, Any] = {
        "program": "demo",
        "name": "Demo",
        "currency": "EUR",
        "timezone": "Europe/Paris",
        "version": "1",
        "effective_from": date(2026, 1, 1),
        "tiers": ["ready", "advanced", "premier"],
        "tracks": {"main": {}},
        "requirements": {},
    }
    data.update(overrides)
    return data


def load(data: dict[str, Any]) -> Program:
    return load_program_text(yaml.safe_dump(data, sort_keys=False), source="programs/x.yaml")


def errors_of(data: dict[str, Any] | str) -> list[tuple[str, str, str]]:
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    with pytest.raises(ProgramError) as info:
        load_program_text(text, source="programs/x.yaml")
    return info.value.errors


def paths(data: dict[str, Any] | str) -> dict[str, str]:
    return {path: reason for _file, path, reason in errors_of(data)}


def test_spec_example_loads() -> None:
    program = load_program_text(SPEC_EXAMPLE, source="spec.yaml")
    assert program.program == "pex-fr"
    assert program.tier_keys == ("ready", "advanced", "premier")
    assert program.tier_rank("ready") == 0
    assert program.tier_rank("premier") == 2
    assert program.tier_name("premier", "fr") == "Premier"
    assert program.tier_name("advanced") == "Advanced"
    assert program.track_name("solution_provider", "fr") == "Revendeur intégrateur"
    assert program.name.get("fr") == "Partner Experience France"
    assert program.effective_from == date(2026, 9, 1)
    assert program.cycle is not None
    assert program.cycle.claim_deadline == date(2026, 12, 31)
    assert program.grandfathering[0].for_.tier_on == date(2026, 6, 30)
    assert program.grandfathering[0].for_.was == "premier"
    sp = program.requirement("solution_provider", "advanced")
    assert isinstance(sp, AllNode)
    gate = sp.all[2]
    assert isinstance(gate, Comparison)
    assert (gate.comparator, gate.threshold) == ("at_least", Decimal(250000))
    score = program.requirement("consulting", "advanced")
    assert isinstance(score, Score)
    assert score.score[2].points_each == Decimal("2.14")
    assert program.requirement("consulting", "premier") is None
    with pytest.raises(KeyError):
        program.tier_rank("gold")


def test_decimals_are_exact_not_binary_floats() -> None:
    program = load_program_text(SPEC_EXAMPLE, source="spec.yaml")
    score = program.requirement("consulting", "advanced")
    assert isinstance(score, Score)
    rate = score.score[2].points_each
    assert isinstance(rate, Decimal)
    assert str(rate) == "2.14"
    assert rate * 7 == Decimal("14.98")
    text = SPEC_EXAMPLE.replace("points_each: 2.14", "points_each: 0.1")
    score = load_program_text(text, source="x").requirement("consulting", "advanced")
    assert isinstance(score, Score)
    assert score.score[2].points_each == Decimal("0.1")
    assert (score.score[2].points_each or 0) * 3 == Decimal("0.3")


def test_floats_from_python_are_converted_via_repr() -> None:
    program = load(
        base(
            requirements={
                "main": {
                    "advanced": {"metric": "resale_bookings", "window": "12M", "at_least": 0.1}
                }
            }
        )
    )
    node = program.requirement("main", "advanced")
    assert isinstance(node, Comparison)
    assert node.threshold == Decimal("0.1")


def test_track_active() -> None:
    program = load_program_text(SPEC_EXAMPLE, source="spec.yaml")
    assert program.track_active("consulting", date(2026, 9, 1))
    assert not program.track_active("ccsp", date(2026, 12, 31))
    assert program.track_active("ccsp", date(2027, 1, 1))
    limited = load(
        base(
            tracks={
                "main": {"effective_from": date(2026, 1, 1), "effective_until": date(2026, 12, 31)}
            }
        )
    )
    assert limited.track_active("main", date(2026, 12, 31))
    assert not limited.track_active("main", date(2027, 1, 1))
    assert not limited.track_active("main", date(2025, 12, 31))


def test_metric_refs_and_keys() -> None:
    program = load_program_text(SPEC_EXAMPLE, source="spec.yaml")
    assert sorted(r.key for r in program.metric_refs()) == [
        "certified_people",
        "certified_people[family=openshift|rhel]",
        "influenced_bookings@12M",
        "registered_opportunities@12M",
        "registered_opportunities[status=approved|won]@12M",
        "resale_bookings@12M",
    ]


def test_metric_ref_key_is_order_independent_and_parses_back() -> None:
    a = MetricRef.build(
        "registered_opportunities",
        {"status": ["won", "approved"], "product_line": ["ansible"]},
        "12M",
    )
    b = MetricRef.build(
        "registered_opportunities",
        {"product_line": ["ansible"], "status": ["approved", "won"]},
        "12M",
    )
    assert a == b
    assert a.key == "registered_opportunities[product_line=ansible,status=approved|won]@12M"
    assert MetricRef.parse(a.key) == a
    assert MetricRef.parse("certified_people").key == "certified_people"
    assert a.where_dict() == {"product_line": ("ansible",), "status": ("approved", "won")}
    with pytest.raises(ValueError):
        MetricRef.parse("Bad Key")


def test_scalar_and_boolean_filter_values_are_normalized() -> None:
    program = load(
        base(
            requirements={
                "main": {
                    "advanced": {
                        "all": [
                            {
                                "metric": "influenced_opportunities",
                                "window": "12M",
                                "where": {"validated": True, "stage": "won"},
                                "at_least": 3,
                            },
                        ]
                    }
                }
            }
        )
    )
    (ref,) = program.metric_refs()
    assert ref.key == "influenced_opportunities[stage=won,validated=true]@12M"


def test_canonical_json_round_trip() -> None:
    program = load_program_text(SPEC_EXAMPLE, source="spec.yaml")
    text = program.canonical_json()
    data = json.loads(text)
    assert data["requirements"]["consulting"]["advanced"]["score"][2]["points_each"] == "2.14"
    assert data["effective_from"] == "2026-09-01"
    assert data["grandfathering"][0]["for"]["was"] == "premier"
    again = program_from_json(text)
    assert again == program
    assert again.canonical_json() == text
    assert again.sha256() == program.sha256()
    assert program_from_json(program.canonical_dict()).sha256() == program.sha256()
    assert len(program.sha256()) == 64


def test_hash_changes_with_a_threshold() -> None:
    one = load_program_text(SPEC_EXAMPLE, source="a")
    two = load_program_text(SPEC_EXAMPLE.replace("at_least: 60", "at_least: 55"), source="b")
    assert one.sha256() != two.sha256()


def test_load_program_from_file(tmp_path: Path) -> None:
    path = tmp_path / "pex.yaml"
    path.write_text(SPEC_EXAMPLE, encoding="utf-8")
    assert load_program(path).program == "pex-fr"
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC_EXAMPLE.replace("points_per: 50000", "points_per: 0"), encoding="utf-8")
    with pytest.raises(ProgramError) as info:
        load_program(bad)
    assert info.value.errors == [
        (
            str(bad),
            "requirements.consulting.advanced.score[0].points_per",
            "must be greater than 0",
        ),
    ]
    assert str(info.value) == (
        f"{bad}: requirements.consulting.advanced.score[0].points_per: must be greater than 0"
    )
    with pytest.raises(ProgramError, match="cannot read file"):
        load_program(tmp_path / "missing.yaml")


def test_every_error_is_listed_with_its_path() -> None:
    text = (
        SPEC_EXAMPLE.replace("points_per: 50000", "points_per: 0")
        .replace("currency: EUR", "currency: euro")
        .replace("at_least: 4}", "at_least: -1}")
        .replace("window: 12M, at_least: 250000", "window: 12X, at_least: 250000")
    )
    found = paths(text)
    sp = "requirements.solution_provider.advanced"
    assert found == {
        "currency": "must be an ISO 4217 code such as EUR",
        f"{sp}.all[0].at_least": "must be greater than or equal to 0",
        f"{sp}.all[2].window": (
            "unknown window '12X': expected NM (e.g. 12M), NCM (e.g. 6CM), calendar_year, "
            "fiscal_year, quarter or fiscal_quarter"
        ),
        "requirements.consulting.advanced.score[0].points_per": "must be greater than 0",
    }
    assert all(file == "programs/x.yaml" for file, _p, _r in errors_of(text))


@pytest.mark.parametrize(
    ("node", "path", "reason"),
    [
        (
            {"metric": "certified_people", "where": {"colour": "red"}, "at_least": 1},
            "requirements.main.advanced.where.colour",
            "filter not allowed for certified_people (allowed: family, level, certification)",
        ),
        (
            {
                "metric": "registered_opportunities",
                "where": {"status": ["approved", "maybe"]},
                "window": "12M",
                "at_least": 1,
            },
            "requirements.main.advanced.where.status",
            "maybe not allowed (allowed: submitted, approved, rejected, expired, won, lost)",
        ),
        (
            {"metric": "resale_bookings", "at_least": 1},
            "requirements.main.advanced.window",
            "is required for resale_bookings (e.g. 12M)",
        ),
        (
            {"metric": "certified_people", "window": "12M", "at_least": 1},
            "requirements.main.advanced.window",
            "not allowed for certified_people: it is read as of the date",
        ),
        (
            {"metric": "customer_retention", "window": "12M", "at_least": 0.7},
            "requirements.main.advanced.where.basis",
            "is required for customer_retention",
        ),
        (
            {
                "metric": "bookings_growth",
                "window": "12M",
                "where": {"role": "reseller"},
                "at_least": 0.1,
            },
            "requirements.main.advanced.where.role",
            "reseller not allowed (allowed: resell, influenced, sourced)",
        ),
        (
            {"metric": "resale_bookings", "window": "12M"},
            "requirements.main.advanced",
            "needs exactly one comparator among at_least, more_than, at_most, less_than",
        ),
        (
            {"metric": "resale_bookings", "window": "12M", "at_least": 1, "at_most": 5},
            "requirements.main.advanced",
            "needs exactly one comparator among at_least, more_than, at_most, less_than "
            "(got at_least, at_most)",
        ),
        (
            {"metric": "resale_bookings", "window": "12M", "at_least": 1, "colour": "red"},
            "requirements.main.advanced.colour",
            "unknown field (not part of the program language)",
        ),
        ({"metric": "unicorns", "at_least": 1}, "requirements.main.advanced.metric", None),
        (
            {"foo": 1},
            "requirements.main.advanced",
            "not a requirement node: expected a mapping with one of all, any, at_least+of, "
            "score or metric",
        ),
        ({"all": []}, "requirements.main.advanced.all", "must not be empty"),
        (
            {"at_least": 3, "of": [{"metric": "attestations", "at_least": 1}]},
            "requirements.main.advanced.at_least",
            "3 is more than the 1 nodes in 'of'",
        ),
        (
            {"at_least": 0, "of": [{"metric": "attestations", "at_least": 1}]},
            "requirements.main.advanced.at_least",
            "must be greater than or equal to 1",
        ),
        (
            {
                "any": [
                    {"metric": "attestations", "at_least": 1},
                    {"metric": "attestations", "window": "bad", "at_least": 1},
                ]
            },
            "requirements.main.advanced.any[1].window",
            None,
        ),
        (
            {
                "score": [{"metric": "certified_people", "points_per": 1, "points_each": 2}],
                "at_least": 1,
            },
            "requirements.main.advanced.score[0]",
            "needs exactly one of points_per and points_each",
        ),
        (
            {
                "score": [{"metric": "certified_people", "points_per": 1, "group": "skills"}],
                "at_least": 1,
            },
            "requirements.main.advanced.score[0].group",
            "unknown group 'skills' (groups: none)",
        ),
        (
            {
                "score": [
                    {
                        "metric": "certified_people",
                        "points_per": 1,
                        "min_points": 1,
                        "more_than_points": 0,
                    }
                ],
                "at_least": 1,
            },
            "requirements.main.advanced.score[0]",
            "give at most one of min_points and more_than_points",
        ),
        (
            {"score": [{"metric": "certified_people", "points_each": -2}], "at_least": 1},
            "requirements.main.advanced.score[0].points_each",
            "must be greater than 0",
        ),
        (
            {"score": [{"metric": "certified_people", "points_per": 1}]},
            "requirements.main.advanced.at_least",
            "is required",
        ),
        (
            {
                "score": [{"metric": "certified_people", "points_per": 1}],
                "at_least": 1,
                "rounding": {"places": 2, "mode": "bankers"},
            },
            "requirements.main.advanced.rounding.mode",
            None,
        ),
    ],
)
def test_invalid_node_paths(node: dict[str, Any], path: str, reason: str | None) -> None:
    found = paths(base(requirements={"main": {"advanced": node}}))
    assert path in found, found
    if reason is not None:
        assert found[path] == reason
    assert len(found) == 1, found


def test_cross_references() -> None:
    found = paths(
        base(
            tiers=["ready", "advanced", "advanced"],
            requirements={
                "other": {"ready": {"metric": "attestations", "at_least": 1}},
                "main": {"gold": {"metric": "attestations", "at_least": 1}},
            },
            grandfathering=[
                {
                    "keep": "platinum",
                    "for": {"was": "gold", "tier_on": date(2026, 6, 30)},
                    "while_qualifying_for": "silver",
                }
            ],
            cycle={"claims_open": date(2026, 7, 1), "claim_deadline": date(2026, 6, 30)},
        )
    )
    tiers = "(tiers: ready, advanced, advanced)"
    assert found == {
        "tiers[2]": "duplicate tier 'advanced'",
        "requirements.other": "unknown track (tracks: main)",
        "requirements.main.gold": "unknown tier (tiers: ready, advanced, advanced)",
        "grandfathering[0].keep": "unknown tier 'platinum' (tiers: ready, advanced, advanced)",
        "grandfathering[0].for.was": "unknown tier 'gold' (tiers: ready, advanced, advanced)",
        "grandfathering[0].while_qualifying_for": f"unknown tier 'silver' {tiers}",
        "cycle.claim_deadline": "must not be before claims_open",
    }


def test_cross_references_reported_with_structural_errors() -> None:
    found = paths(
        base(
            currency="eu",
            requirements={"main": {"gold": {"metric": "attestations", "at_least": 1}}},
        )
    )
    assert set(found) == {"currency", "requirements.main.gold"}


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("program", "Pex FR", "must be a lowercase slug (letters a-z, digits, '-' or '_')"),
        ("timezone", "Europe/Nowhere", "unknown time zone 'Europe/Nowhere' (e.g. Europe/Paris)"),
        ("fiscal_year_start", 13, "must be less than or equal to 12"),
        ("tiers", [], "must not be empty"),
        ("effective_from", None, None),
        ("surprise", 1, "unknown field (not part of the program language)"),
    ],
)
def test_invalid_top_level(field: str, value: Any, reason: str | None) -> None:
    found = paths(base(**{field: value}))
    assert field in found, found
    if reason is not None:
        assert found[field] == reason


def test_missing_top_level_field() -> None:
    data = base()
    del data["currency"]
    assert paths(data) == {"currency": "is required"}


def test_duplicate_yaml_keys_are_rejected() -> None:
    text = SPEC_EXAMPLE.replace("currency: EUR\n", "currency: EUR\ncurrency: USD\n")
    ((file, path, reason),) = errors_of(text)
    assert (file, path) == ("programs/x.yaml", "")
    assert reason.startswith("invalid YAML: found duplicate key 'currency' (line 4")


def test_yaml_syntax_error_and_non_mapping() -> None:
    ((_f, _p, reason),) = errors_of("tiers: [ready\n")
    assert reason.startswith("invalid YAML:")
    assert errors_of("- a\n- b\n") == [
        ("programs/x.yaml", "", "a program must be a YAML mapping at the top level")
    ]


def test_yaml_is_safe() -> None:
    with pytest.raises(ProgramError):
        load_program_text("!!python/object/apply:os.system ['true']\n", source="evil.yaml")


def test_models_are_frozen() -> None:
    program = load_program_text(SPEC_EXAMPLE, source="spec.yaml")
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError
        program.currency = "USD"  # type: ignore[misc]


def test_catalog_consistency() -> None:
    assert is_money("resale_bookings")
    assert not is_money("certified_people")
    with pytest.raises(KeyError):
        is_money("unicorns")
    for name, spec in CATALOG.items():
        assert spec.name == name
        assert spec.definition["en"] and spec.definition["fr"]
        assert spec.noun["en"][1] and spec.noun["fr"][1]
        assert spec.facts
    assert CATALOG["certified_people"].noun["fr"][1] == "personnes certifiées"
    assert CATALOG["bookings_growth"].filters["role"].values == ("resell", "influenced", "sourced")


# --------------------------------------------------------------------------- hypothesis

_metric_names = st.sampled_from(
    ["certified_people", "resale_bookings", "attestations", "registered_opportunities"]
)
_amounts = st.decimals(
    min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False
)


@st.composite
def comparisons(draw: st.DrawFn) -> dict[str, Any]:
    metric = draw(_metric_names)
    node: dict[str, Any] = {
        "metric": metric,
        draw(st.sampled_from(["at_least", "more_than", "at_most", "less_than"])): str(
            draw(_amounts)
        ),
    }
    if CATALOG[metric].window == "required":
        node["window"] = draw(st.sampled_from(["12M", "6CM", "fiscal_year", "36M"]))
    if metric == "registered_opportunities" and draw(st.booleans()):
        node["where"] = {
            "status": draw(
                st.lists(
                    st.sampled_from(["approved", "won", "lost"]),
                    min_size=1,
                    max_size=3,
                    unique=True,
                )
            )
        }
    return node


def nodes() -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        comparisons(),
        lambda children: st.one_of(
            st.builds(lambda c: {"all": c}, st.lists(children, min_size=1, max_size=3)),
            st.builds(lambda c: {"any": c}, st.lists(children, min_size=1, max_size=3)),
            st.lists(children, min_size=1, max_size=3).flatmap(
                lambda c: st.integers(1, len(c)).map(lambda k: {"at_least": k, "of": c})
            ),
        ),
        max_leaves=6,
    )


@settings(max_examples=60, deadline=None)
@given(nodes())
def test_canonical_json_round_trip_is_stable(node: dict[str, Any]) -> None:
    program = Program.model_validate(base(requirements={"main": {"advanced": node}}))
    text = program.canonical_json()
    again = program_from_json(text)
    assert again.canonical_json() == text
    assert again.sha256() == program.sha256()
    assert again.metric_refs() == program.metric_refs()
    root = again.requirement("main", "advanced")
    expected = (
        AtLeastNode
        if "of" in node
        else AllNode
        if "all" in node
        else AnyNode
        if "any" in node
        else Comparison
    )
    assert type(root) is expected


# --------------------------------------------------------------------------- documentation

DOC = Path(__file__).resolve().parents[2] / "docs" / "program-language.md"


def _doc_blocks() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    return [
        block.split("\n", 1)[1]
        for block in text.split("```yaml")[1:]
        for block in [block.split("```", 1)[0]]
    ]


def test_doc_catalog_table_is_generated_from_the_catalog() -> None:
    from partnerprogram.programs.catalog import catalog_markdown

    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- catalog:start -->\n", 1)[1].split("<!-- catalog:end -->", 1)[0]
    assert table == catalog_markdown()


def test_doc_complete_example_loads() -> None:
    (example,) = [b for b in _doc_blocks() if b.startswith("program: pex-fr\nname: Partner")]
    program = load_program_text(example, source="docs/program-language.md")
    assert program.track_keys == ("ccsp", "consulting", "solution_provider")  # key order


def test_doc_score_examples_load() -> None:
    scores = [b for b in _doc_blocks() if b.startswith("score:")]
    assert len(scores) == 2
    for block in scores:
        node = yaml.safe_load(block)
        load(base(requirements={"main": {"advanced": node}}))
