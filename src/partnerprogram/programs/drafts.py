"""Program drafts: criteria being written in the console, simulated and calibrated, never
published by doing so (publishing is ``partnerprogram program load FILE``).

Writes (``program_draft_save``, ``program_draft_delete``) validate the YAML with the program
language (``programs.schema``) and record an audit event; reads return drafts with their parsed
``Program``. A draft is vendor data: only vendor staff reach these functions (console views
check the role before calling them).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from django.db import transaction
from django.utils import timezone

from partnerprogram.audit.services import audit_record
from partnerprogram.programs.models import Program as ProgramRecord
from partnerprogram.programs.models import ProgramDraft, ProgramVersion
from partnerprogram.programs.schema import Program, ProgramError, load_program_text

#: the longest draft accepted (characters); published programs are a few KB
MAX_DRAFT_CHARS = 200_000


def program_draft_parse(draft: ProgramDraft) -> Program:
    """The validated ``Program`` of a stored draft. Raises ``ProgramError`` (listing
    ``(source, field_path, reason)``) if the stored text no longer validates, for example after
    an upgrade of the language."""
    return load_program_text(draft.yaml, source=f"draft {draft.name!r}")


def program_draft_text_of(version: ProgramVersion) -> str:
    """YAML text to start a draft from a published version: the file it was loaded from when it
    is still readable and has the same content (comments and layout kept), else the canonical
    definition dumped as YAML."""
    source = Path(version.source) if version.source else None
    if source is not None and source.is_file():
        try:
            text = source.read_text(encoding="utf-8")
            if load_program_text(text, source=str(source)).sha256() == version.sha256:
                return text
        except (OSError, UnicodeDecodeError, ProgramError):
            pass
    return yaml.safe_dump(version.definition, sort_keys=False, allow_unicode=True)


def program_draft_save(
    *,
    name: str,
    yaml_text: str,
    actor: str,
    draft: ProgramDraft | None = None,
    based_on: ProgramVersion | None = None,
) -> ProgramDraft:
    """Create (``draft`` None) or update a draft after validating ``yaml_text``.

    ``name``: 1–120 characters, unique per program; ``actor``: ``user:<username>``. The program
    of the draft is the YAML's ``program`` key, which must already be published (a draft never
    creates anything outside the drafts); an update cannot move a draft to another program.
    Side effects: one draft row written, one audit event (``drafted``).

    Raises ``ProgramError`` with every problem as ``(draft name, field_path, reason)`` — bad YAML,
    an invalid program, an unknown program key, an empty or duplicate name, a text over
    ``MAX_DRAFT_CHARS`` — and then stores nothing.
    """
    name = (name or "").strip()
    source = f"draft {name!r}" if name else "draft"
    problems: list[tuple[str, str, str]] = []
    if not name or len(name) > 120:
        problems.append((source, "name", "give the draft a name of 1 to 120 characters"))
    if len(yaml_text) > MAX_DRAFT_CHARS:
        problems.append(
            (source, "", f"the text is over {MAX_DRAFT_CHARS:,} characters; is it a program?")
        )
    if problems:
        raise ProgramError(problems)
    program = load_program_text(yaml_text, source=source)
    if draft is not None and draft.program.key != program.program:
        raise ProgramError(
            [
                (
                    source,
                    "program",
                    f"this draft belongs to {draft.program.key!r}: save {program.program!r} "
                    "as a new draft",
                )
            ]
        )
    record = ProgramRecord.objects.filter(key=program.program).first()
    if record is None:
        known = ", ".join(ProgramRecord.objects.order_by("key").values_list("key", flat=True))
        raise ProgramError(
            [
                (
                    source,
                    "program",
                    f"no published program {program.program!r} (programs: {known or 'none'}); "
                    "a draft is a new version of a published program — a new program starts "
                    "with `partnerprogram program load FILE`",
                )
            ]
        )
    with transaction.atomic():
        clash = ProgramDraft.objects.filter(program=record, name=name)
        if draft is not None:
            clash = clash.exclude(pk=draft.pk)
        if clash.exists():
            raise ProgramError(
                [(source, "name", f"{program.program} already has a draft named {name!r}")]
            )
        now = timezone.now()
        if draft is None:
            draft = ProgramDraft(program=record, created_by=actor, created_at=now)
            before = None
        else:
            before = draft.yaml
        draft.name = name
        draft.yaml = yaml_text
        draft.updated_by = actor
        draft.updated_at = now
        if based_on is not None:
            draft.based_on = based_on
        draft.save()
        audit_record(
            actor=actor,
            action="drafted",
            obj=draft,
            changes={"version": (None, program.version), "sha256": (None, program.sha256())},
            note="created" if before is None else "edited",
        )
    return draft


def program_draft_delete(*, draft: ProgramDraft, actor: str) -> None:
    """Delete a draft (nothing else refers to it). Side effect: one audit event (``deleted``)
    recorded before the row goes."""
    with transaction.atomic():
        audit_record(actor=actor, action="deleted", obj=draft, note=f"draft {draft.name!r}")
        draft.delete()


def program_drafts_list(*, program: str | None = None) -> list[ProgramDraft]:
    """Drafts, most recently edited first, optionally of one program key."""
    drafts = ProgramDraft.objects.select_related("program", "based_on")
    if program:
        drafts = drafts.filter(program__key=program)
    return list(drafts.order_by("-updated_at", "name"))
