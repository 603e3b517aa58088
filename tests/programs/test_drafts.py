"""Program drafts: validated on save, audited, never published, started from a version."""

from __future__ import annotations

from pathlib import Path

import pytest

from partnerprogram.audit.models import AuditEvent
from partnerprogram.programs.drafts import (
    program_draft_delete,
    program_draft_parse,
    program_draft_save,
    program_draft_text_of,
    program_drafts_list,
)
from partnerprogram.programs.models import Program as ProgramRecord
from partnerprogram.programs.models import ProgramDraft, ProgramVersion
from partnerprogram.programs.schema import ProgramError, load_program_text
from partnerprogram.programs.selectors import program_version_get
from partnerprogram.programs.services import program_versions_load

GOOD = """
program: acme
name: Acme partners
currency: EUR
timezone: Europe/Paris
version: "2"
effective_from: 2027-01-01
tiers: [ready, gold]
tracks: {resell: {}}
requirements:
  resell:
    gold: {metric: certified_people, at_least: 3}   # three people
"""


@pytest.fixture
def published(tmp_path: Path) -> ProgramVersion:
    """acme version 1 is published: drafts are new versions of a published program."""
    path = tmp_path / "acme-1.yaml"
    path.write_text(
        GOOD.replace('version: "2"', 'version: "1"').replace("2027-01-01", "2026-01-01"),
        encoding="utf-8",
    )
    program_versions_load(paths=[path])
    return program_version_get(program="acme", version="1")


@pytest.mark.django_db
def test_save_validates_and_audits_without_publishing(published: ProgramVersion) -> None:
    draft = program_draft_save(name="Relaxed", yaml_text=GOOD, actor="user:admin")
    assert draft.program.key == "acme"
    assert program_draft_parse(draft).requirement("resell", "gold") is not None
    # a draft is not a version: nothing more is published
    assert list(ProgramVersion.objects.values_list("version", flat=True)) == ["1"]
    event = AuditEvent.objects.get(action="drafted")
    assert event.actor == "user:admin" and event.note == "created"

    program_draft_save(
        draft=draft,
        name="Relaxed",
        yaml_text=GOOD.replace("at_least: 3", "at_least: 2"),
        actor="user:other",
    )
    draft.refresh_from_db()
    assert "at_least: 2" in draft.yaml and draft.updated_by == "user:other"
    assert draft.created_by == "user:admin"
    assert [d.name for d in program_drafts_list(program="acme")] == ["Relaxed"]
    assert program_drafts_list(program="other") == []


@pytest.mark.django_db
def test_invalid_text_stores_nothing_and_names_the_field(published: ProgramVersion) -> None:
    with pytest.raises(ProgramError) as err:
        program_draft_save(
            name="Bad", yaml_text=GOOD.replace("at_least: 3", "at_least: -1"), actor="user:a"
        )
    assert any("requirements.resell.gold" in path for _, path, _ in err.value.errors)
    with pytest.raises(ProgramError) as err:
        program_draft_save(name="Bad", yaml_text="tiers: [a, b", actor="user:a")
    assert "invalid YAML" in str(err.value)
    with pytest.raises(ProgramError) as err:
        program_draft_save(name="  ", yaml_text=GOOD, actor="user:a")
    assert err.value.errors[0][1] == "name"
    assert ProgramDraft.objects.count() == 0
    assert not AuditEvent.objects.filter(action="drafted").exists()


@pytest.mark.django_db
def test_a_draft_never_creates_a_program(published: ProgramVersion) -> None:
    other = GOOD.replace("program: acme", "program: globex")
    with pytest.raises(ProgramError, match="no published program 'globex' \\(programs: acme\\)"):
        program_draft_save(name="New", yaml_text=other, actor="user:a")
    assert list(ProgramRecord.objects.values_list("key", flat=True)) == ["acme"]
    assert ProgramDraft.objects.count() == 0


@pytest.mark.django_db
def test_names_are_unique_per_program_and_a_draft_keeps_its_program(
    published: ProgramVersion, tmp_path: Path
) -> None:
    draft = program_draft_save(name="A", yaml_text=GOOD, actor="user:a")
    with pytest.raises(ProgramError, match="already has a draft named 'A'"):
        program_draft_save(name="A", yaml_text=GOOD, actor="user:a")
    other = GOOD.replace("program: acme", "program: globex")
    globex = tmp_path / "globex.yaml"
    globex.write_text(other.replace("2027-01-01", "2026-01-01"), encoding="utf-8")
    program_versions_load(paths=[globex])
    with pytest.raises(ProgramError, match="belongs to 'acme'"):
        program_draft_save(draft=draft, name="A", yaml_text=other, actor="user:a")
    # the same name in another program is fine
    program_draft_save(name="A", yaml_text=other, actor="user:a")
    assert ProgramDraft.objects.count() == 2


@pytest.mark.django_db
def test_start_from_a_version_keeps_the_file_or_dumps_the_definition(tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(GOOD, encoding="utf-8")
    program_versions_load(paths=[path])
    version = program_version_get(program="acme", version="2")
    # the file is still there with the same content: its text, comment included
    assert program_draft_text_of(version) == GOOD
    # the file changed or went away: the canonical definition, which validates to the same sha
    path.write_text(GOOD.replace("at_least: 3", "at_least: 4"), encoding="utf-8")
    dumped = program_draft_text_of(version)
    assert "# three people" not in dumped
    assert load_program_text(dumped, source="x").sha256() == version.sha256


@pytest.mark.django_db
def test_delete_is_audited(published: ProgramVersion) -> None:
    draft = program_draft_save(name="Gone", yaml_text=GOOD, actor="user:a")
    program_draft_delete(draft=draft, actor="user:a")
    assert ProgramDraft.objects.count() == 0
    assert AuditEvent.objects.filter(action="deleted").count() == 1
