"""Reads on program versions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from partnerprogram.programs import rules
from partnerprogram.programs.models import Assessment, ProgramVersion
from partnerprogram.programs.schema import Program, program_from_json


class ProgramVersionNotFound(LookupError):
    """No stored version matches; the message lists what exists."""


def program_version_get(
    *, program: str, version: str | None = None, on: date | None = None
) -> ProgramVersion:
    """The stored version ``version`` of ``program``, or when ``version`` is None the published
    version in force on ``on`` (latest ``effective_from`` on or before it).

    Raises ``ProgramVersionNotFound`` naming the versions that exist.
    """
    versions = ProgramVersion.objects.select_related("program").filter(program__key=program)
    if version is not None:
        found = versions.filter(version=version).first()
    else:
        if on is None:
            raise ValueError("give a version or a date")
        found = (
            versions.filter(status=ProgramVersion.Status.PUBLISHED, effective_from__lte=on)
            .order_by("-effective_from", "-loaded_at")
            .first()
        )
    if found is None:
        known = ", ".join(versions.values_list("version", flat=True).order_by("effective_from"))
        what = f"version {version}" if version else f"version in force on {on}"
        raise ProgramVersionNotFound(
            f"program {program!r} has no {what} (loaded versions: {known or 'none'}; "
            "load one with `partnerprogram program load FILE`)"
        )
    return found


def program_definition(version: ProgramVersion) -> Program:
    """The validated ``Program`` of a stored version (re-validated from its canonical JSON)."""
    return program_from_json(version.definition, source=f"{version.program.key} {version.version}")


def assessment_explain(assessment: Assessment) -> rules.Assessment:
    """The full explanation of a stored assessment (every requirement's value, threshold,
    result, points, the gap to the next tier, in English and French), rebuilt from the metric
    values it stored and its immutable program version by the pure rules — the same result as
    at evaluation time. Two queries (run and version) unless ``run__program_version__program``
    is already selected."""
    run = assessment.run
    program = program_definition(run.program_version)
    detail = assessment.detail
    values = {
        key: None if value is None else Decimal(value)
        for key, value in detail.get("values", {}).items()
    }
    return rules.assess_partner(
        program,
        tracks_enrolled=list(detail.get("tracks", {})),
        values=values,
        previous_tier=assessment.previous_tier or None,
        as_of=run.as_of,
    )
