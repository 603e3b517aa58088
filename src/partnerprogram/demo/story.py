"""The founding case's story on the reference data (REFERENCE.md), as data for the demo.

Evaluates two program versions as of one date and compares them with the previous program:
the tier distribution under each, and what happens to the partners that were Premier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from partnerprogram.programs.engine import Evaluation, evaluate
from partnerprogram.programs.selectors import program_version_get


@dataclass(frozen=True)
class StoryVersion:
    """One version's outcome: ``by_tier`` counts, previous top-tier partners that keep it
    (``kept``, of which ``grandfathered``) and those that fall (``fallen``: external id, name,
    new tier, what they miss in words)."""

    version: str
    by_tier: dict[str, int]
    unassessed: int
    kept: int
    grandfathered: int
    fallen: list[dict[str, Any]]
    run: int | None


def _story_version(evaluation: Evaluation, *, top: str, lang: str) -> StoryVersion:
    kept = grandfathered = 0
    fallen = []
    for row, result in evaluation.results:
        if row.previous_tier != top:
            continue
        if result.tier == top:
            kept += 1
            grandfathered += int(result.grandfathered)
            continue
        gap = result.next_tier
        fallen.append(
            {
                "external_id": row.external_id,
                "name": row.name,
                "tier": result.tier,
                "missing": [s.text.get(lang) for s in gap.shortfalls] if gap else [],
            }
        )
    return StoryVersion(
        version=evaluation.program.version,
        by_tier=dict(evaluation.summary["by_tier"]),
        unassessed=evaluation.summary["unassessed"],
        kept=kept,
        grandfathered=grandfathered,
        fallen=fallen,
        run=evaluation.run.pk if evaluation.run else None,
    )


def story_compute(
    *, program: str, versions: list[str], as_of: date, lang: str = "en"
) -> dict[str, Any]:
    """Evaluate each of ``versions`` of ``program`` as of ``as_of`` (runs are stored) and
    return ``{"program", "as_of", "tiers", "previous_by_tier", "versions": [StoryVersion]}``.

    Raises ``ProgramVersionNotFound`` when a version is not loaded.
    """
    outcomes = []
    previous: dict[str, int] = {}
    tiers: list[str] = []
    for key in versions:
        evaluation = evaluate(
            version=program_version_get(program=program, version=key), as_of=as_of
        )
        tiers = list(evaluation.program.tier_keys)
        previous = {t: 0 for t in tiers}
        for row, _ in evaluation.results:
            if row.previous_tier in previous:
                previous[row.previous_tier] += 1
        outcomes.append(_story_version(evaluation, top=tiers[-1], lang=lang))
    return {
        "program": program,
        "as_of": as_of.isoformat(),
        "tiers": tiers,
        "previous_by_tier": previous,
        "versions": outcomes,
    }
