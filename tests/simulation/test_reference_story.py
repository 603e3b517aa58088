"""The reference story as a simulation: on the French reference data, simulating 2026.1
against the previous program shows the Premier partners it would demote.

The figures are the founding case's (``docs/reference-case.md``): 19 partners
were Premier under the previous program; under 2026.1, 18 are Premier and 6 of the 19 fall
(5 short on certified people, 1 whose business collapsed); under 2026.2, 27 are Premier and
18 of the 19 keep it. The simulation is also checked partner by partner against the engine
(``engine.evaluate``), which computes the same tiers by another path (its own metric queries).

The population is generated once for the module (about 5 s) inside a transaction rolled back
at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction

from partnerprogram.demo.reference import ReferenceSummary, build_reference
from partnerprogram.programs.engine import evaluate
from partnerprogram.programs.models import EvaluationRun
from partnerprogram.programs.schema import load_program
from partnerprogram.programs.selectors import program_version_get
from partnerprogram.programs.services import program_versions_load
from partnerprogram.programs.simulate import simulation_run, snapshot_take

D = date(2026, 12, 31)
PROGRAMS = Path(__file__).resolve().parents[2] / "programs" / "pex-fr"


@pytest.fixture(scope="module")
def reference(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest
) -> Iterator[ReferenceSummary]:
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        summary = build_reference(region="fr", seed=2026)
        program_versions_load(paths=sorted(PROGRAMS.glob("*.yaml")))
        yield summary
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_2026_1_against_the_previous_program_demotes_6_premier(
    reference: ReferenceSummary,
) -> None:
    draft = load_program(PROGRAMS / "2026.1.yaml")
    result = simulation_run(draft=draft, against="previous", as_of=D)
    assert result.labels == ("previous", "2026.1")
    assert result.partners == 470
    assert result.distribution["previous"]["premier"] == 19
    assert result.distribution["2026.1"]["premier"] == 18
    fallen = [m for m in result.movers if m.before == "premier"]
    assert len(fallen) == 6
    kept = sum(n for f, t, n in result.transitions if f == t == "premier")
    assert kept == 19 - 6
    # all 6 are short on certified people (the first requirement of solution provider
    # Premier); the one whose business collapsed is short on all three
    short_on_people = [
        m for m in fallen if [r.path for r in m.reasons][:1]
        == ["requirements.solution_provider.premier.all[0]"]
    ]  # fmt: skip
    assert len(short_on_people) == 6
    assert sum(1 for m in fallen if len(m.reasons) == 3) == 1
    # each demoted partner names the requirement, with value and threshold
    for m in fallen:
        assert all(r.value is not None and r.threshold is not None for r in m.reasons)
    assert EvaluationRun.objects.count() == 0  # nothing stored


@pytest.mark.django_db
def test_2026_2_keeps_18_of_the_19_and_has_27_premier(reference: ReferenceSummary) -> None:
    draft = load_program(PROGRAMS / "2026.2.yaml")
    first = load_program(PROGRAMS / "2026.1.yaml")
    snapshot = snapshot_take(programs=[draft, first], as_of=D)
    previous = simulation_run(draft=draft, against="previous", as_of=D, snapshot=snapshot)
    assert previous.distribution["2026.2"]["premier"] == 27
    assert sum(n for f, t, n in previous.transitions if f == t == "premier") == 18
    # against 2026.1 on the same snapshot: nobody Premier under 2026.1 falls under 2026.2
    versus = simulation_run(draft=draft, against=first, as_of=D, snapshot=snapshot)
    assert versus.distribution["2026.1"]["premier"] == 18
    assert all(m.direction == "up" for m in versus.movers)


@pytest.mark.django_db
def test_simulation_gives_the_engine_tiers_partner_by_partner(
    reference: ReferenceSummary,
) -> None:
    first = load_program(PROGRAMS / "2026.1.yaml")
    second = load_program(PROGRAMS / "2026.2.yaml")
    result = simulation_run(draft=second, against=first, as_of=D)
    for label, key in (("2026.1", "2026.1"), ("2026.2", "2026.2")):
        evaluation = evaluate(
            version=program_version_get(program="pex-fr", version=key), as_of=D, store=False
        )
        engine = {row.id: r.tier for row, r in evaluation.results}
        side = result.against if result.against.label == label else result.outcome
        assert dict(side.tiers) == engine


@pytest.mark.django_db
def test_both_stories_name_the_tier_the_gap_is_measured_against(
    reference: ReferenceSummary,
) -> None:
    """ref-fr-p00125 (previous Premier, Ready under 2026.1) as of 2026-12-31 has 2 certified
    people, 3 approved or won opportunities over 12 months and EUR 189,574.52 of resale
    (docs/reference-case.md). demo-story measures its gap to the next tier, Advanced (5, 8,
    EUR 500,000): 3, 5 and EUR 310,425.48 more; the simulation its fall from Premier (10, 15,
    EUR 1,500,000): 8, 12 and EUR 1,310,425.48 more. Each names its tier."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    with transaction.atomic():  # demo-story stores its evaluation runs: undone
        call_command("demo-story", "--as-of", "2026-12-31", "--no-lifecycle", stdout=out)
        transaction.set_rollback(True)
    assert (
        "(ref-fr-p00125) -> ready, for advanced: 3 more certified people; 5 more registered "
        "opportunities (status: approved, won; 12 months); EUR 310,425.48 more resale"
    ) in out.getvalue()

    result = simulation_run(
        draft=load_program(PROGRAMS / "2026.1.yaml"), against="previous", as_of=D
    )
    [mover] = [m for m in result.movers if m.external_id == "ref-fr-p00125"]
    assert {r.tier for r in mover.reasons} == {"premier"}
    assert [r.missing for r in mover.reasons] == [8, 12, Decimal("1310425.48")]

    from partnerprogram.programs.management.commands.simulate import _why

    assert _why(mover, "2026.1").startswith("2026.1, for premier: 8 more certified people; 12 more")
