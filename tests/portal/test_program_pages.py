"""Benefits (the program language's ``benefits`` block, the partner's tier and the next) and the
program guide (every track's tiers and requirements in words)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from partnerprogram.programs.schema import ProgramError, load_program, load_program_text
from partnerprogram.standings.models import Standing
from tests.portal.conftest import PROGRAM, World, client_for, text

ROOT = Path(__file__).resolve().parents[2]


def test_benefits_are_validated_and_optional() -> None:
    program = load_program_text(PROGRAM, source="pp")
    premier = program.benefits_of("premier")
    assert [b.key for b in premier] == ["discount", "mdf", "protection", "manager"]
    assert str(premier[1].value) == "50000" and premier[1].unit and premier[1].unit.fr == "par an"
    without = PROGRAM.split("benefits:", 1)[0]
    assert "benefits" not in load_program_text(without, source="pp").canonical_json()
    bad = without + (
        "benefits:\n"
        "  gold: [{key: a, label: A, kind: discount}]\n"
        "  advanced:\n"
        "    - {key: a, label: A, kind: cash}\n"
        "    - {key: b, label: B, kind: mdf, value: -1}\n"
    )
    with pytest.raises(ProgramError) as err:
        load_program_text(bad, source="pp")
    paths = {path for _file, path, _reason in err.value.errors}
    assert paths == {"benefits.gold", "benefits.advanced[0].kind", "benefits.advanced[1].value"}
    twice = without + (
        "benefits:\n"
        "  advanced: [{key: a, label: A, kind: other}, {key: a, label: B, kind: other}]\n"
    )
    with pytest.raises(ProgramError, match=r"benefits.advanced\[1\].key: duplicate benefit 'a'"):
        load_program_text(twice, source="pp")


@pytest.mark.parametrize("version", ["2026.1", "2026.2"])
def test_reference_versions_list_benefits_for_every_tier(version: str) -> None:
    program = load_program(ROOT / "programs" / "pex-fr" / f"{version}.yaml")
    for tier in program.tier_keys:
        kinds = {b.kind for b in program.benefits_of(tier)}
        assert {"discount", "protection_days"} <= kinds, tier
    assert program.benefits_of("premier")[2].kind == "mdf"


@pytest.mark.django_db
def test_benefits_of_my_tier_and_the_next(world: World) -> None:
    page = text(client_for(world.personas.amy).get(reverse("portal:benefits")))
    assert "Your tier: Advanced." in page and "Next tier: Premier." in page
    row = page.split("Marketing funds", 1)[1].split("</tr>", 1)[0]
    assert "€15,000 per year" in row and "<strong>€50,000 per year</strong>" in row
    assert "90 days" in page and "120 days" in page and "10%" in page and "15%" in page
    manager = page.split("Dedicated partner manager", 1)[1].split("</tr>", 1)[0]
    assert "<td>—</td>" in manager  # not in Advanced
    french = text(client_for(world.personas.amy, "fr").get(reverse("portal:benefits")))
    assert "15\xa0000\xa0€ par an" in french and "Fonds marketing" in french


@pytest.mark.django_db
def test_benefits_without_a_standing_use_the_measured_tier(world: World) -> None:
    page = text(client_for(world.personas.bob).get(reverse("portal:benefits")))
    # Beta: no standing; measured ready (1 certified person, no resale of its own in 12 months?)
    assert Standing.objects.filter(partner=world.beta).count() == 0
    assert "(as measured: you hold no official standing yet)" in page
    assert "Your tier: Ready." in page and "Next tier: Advanced." in page


@pytest.mark.django_db
def test_guide_words_every_track_in_the_current_language(world: World) -> None:
    page = text(client_for(world.personas.amy).get(reverse("portal:guide")))
    assert "Portal test program" in page and "version 1, in force since July 1, 2026." in page
    assert "Certified people: at least 4 certified people" in page
    assert "At least 4 registered opportunities (status: approved, won · 12 months)" in page
    assert "At least €500,000 of resale bookings (12 months)" in page
    assert "A score of at least 60 points from:" in page
    assert "Influenced bookings (12 months): 1 point per €10,000, up to 50 points" in page
    assert "Certified people: 10 points per certified person, up to 30 points" in page
    # consulting offers no Premier
    consulting = page.split('id="guide-consulting-title"', 1)[1].split("</section>", 1)[0]
    assert "Not offered in this track." in consulting
    assert "Claims from July 1, 2026 to Dec. 31, 2026 (end of that day)." in page
    assert "Settled tiers are then frozen for 12 months." in page
    assert "Dedicated partner manager" in page
    french = text(client_for(world.personas.amy, "fr").get(reverse("portal:guide")))
    assert "Programme de test du portail" in french and "Revendeur intégrateur" in french
    assert "500\xa0000\xa0€" in french and "personnes certifiées" in french
    assert "1 juillet 2026" in french
