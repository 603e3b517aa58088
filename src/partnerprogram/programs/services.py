"""Writes on program versions: loading validated YAML files into immutable stored versions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import transaction

from partnerprogram.audit.services import audit_record
from partnerprogram.programs.models import Program as ProgramRecord
from partnerprogram.programs.models import ProgramVersion
from partnerprogram.programs.schema import Program, ProgramError, load_program


@dataclass(frozen=True)
class LoadedVersion:
    """Outcome of loading one file: ``status`` is ``created`` or ``unchanged``."""

    path: str
    program: str
    version: str
    effective_from: str
    sha256: str
    status: str


def program_versions_load(
    *, paths: Sequence[str | Path], actor: str = "system:cli"
) -> list[LoadedVersion]:
    """Validate every file, then store them all in one transaction (all or nothing).

    Each stored version is recorded in the audit trail as ``loaded`` by ``actor``.

    A version already stored with the same canonical content (sha256) is left ``unchanged``;
    one stored with different content is refused — a published version is immutable, publish a
    new version number instead. Two files declaring the same program version are refused too.

    Raises ``ProgramError`` listing ``(file, field_path, reason)`` for every problem found in
    any file; in that case nothing is stored.
    """
    parsed: list[tuple[str, Program]] = []
    errors: list[tuple[str, str, str]] = []
    for path in paths:
        try:
            parsed.append((str(path), load_program(path)))
        except ProgramError as exc:
            errors.extend(exc.errors)
    seen: dict[tuple[str, str], str] = {}
    for path, program in parsed:
        key = (program.program, program.version)
        if key in seen:
            errors.append((path, "version", f"{program.version!r} is also declared by {seen[key]}"))
        seen[key] = path
    existing = {
        (v.program.key, v.version): v
        for v in ProgramVersion.objects.select_related("program").filter(
            program__key__in={p.program for _, p in parsed}
        )
    }
    starts: dict[tuple[str, date], str] = {
        (v.program.key, v.effective_from): f"version {v.version}" for v in existing.values()
    }
    for path, program in parsed:
        start = (program.program, program.effective_from)
        other = starts.get(start)
        if other is not None and other != f"version {program.version}":
            errors.append(
                (
                    path,
                    "effective_from",
                    f"{program.effective_from} is already the start of {program.program} "
                    f"{other}: two versions starting the same day would leave the version in "
                    "force ambiguous",
                )
            )
        starts[start] = f"version {program.version}"
    for path, program in parsed:
        stored = existing.get((program.program, program.version))
        if stored is not None and stored.sha256 != program.sha256():
            errors.append(
                (
                    path,
                    "version",
                    f"{program.program} {program.version} is already published with other "
                    f"content (sha256 {stored.sha256[:12]}…); a published version is immutable: "
                    "give the new criteria a new version number",
                )
            )
    if errors:
        raise ProgramError(errors)

    results: list[LoadedVersion] = []
    with transaction.atomic():
        for path, program in parsed:
            record, _ = ProgramRecord.objects.get_or_create(
                key=program.program, defaults={"name": program.display_name("en")}
            )
            stored = existing.get((program.program, program.version))
            status = "unchanged"
            if stored is None:
                created = ProgramVersion.objects.create(
                    program=record,
                    version=program.version,
                    effective_from=program.effective_from,
                    status=ProgramVersion.Status.PUBLISHED,
                    definition=program.canonical_dict(),
                    sha256=program.sha256(),
                    source=path,
                )
                audit_record(
                    actor=actor,
                    action="loaded",
                    obj=created,
                    changes={
                        "effective_from": (None, created.effective_from),
                        "sha256": (None, created.sha256),
                    },
                    note=f"from {path}",
                )
                status = "created"
            results.append(
                LoadedVersion(
                    path=path,
                    program=program.program,
                    version=program.version,
                    effective_from=program.effective_from.isoformat(),
                    sha256=program.sha256(),
                    status=status,
                )
            )
    return results
