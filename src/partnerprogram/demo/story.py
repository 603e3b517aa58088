"""The founding case's story on the reference data (docs/reference-case.md), as data for the demo.

Evaluates two program versions as of one date and compares them with the previous program:
the tier distribution under each, and what happens to the partners that were Premier.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction

from partnerprogram.programs.engine import Evaluation, evaluate
from partnerprogram.programs.selectors import program_version_get


@dataclass(frozen=True)
class StoryVersion:
    """One version's outcome: ``by_tier`` counts, previous top-tier partners that keep it
    (``kept``, of which ``grandfathered``) and those that fall (``fallen``: ``external_id``,
    ``name``, new ``tier``, ``missing``: what they miss in words for ``missing_for``, the tier
    just above the new one — not necessarily the tier they fell from)."""

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
                "missing_for": gap.tier if gap else None,
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


# --------------------------------------------------------------------------- lifecycle


@dataclass(frozen=True)
class LifecycleStory:
    """The founding case's calendar on the reference data (issue 3, item 11).

    ``before`` / ``after`` / ``ccsp_after`` / ``freeze``: standing summaries (overall) as
    ``{"on", "by_tier", "by_status"}`` on the deadline day, the day after the settlement, after
    the CCSP cycle's settlement, and mid-freeze after a re-evaluation; ``claims``: claims filed
    per tier; ``settlement`` / ``ccsp_settlement``: claims confirmed and lowered; ``risks``:
    notices sent 60 days before the deadline; ``ccsp_refused``: the error a CCSP claim gets
    before the track opens; ``refresh_changes``: standings changed by the mid-freeze
    re-evaluation (0: the freeze holds)."""

    baseline: dict[str, int]
    claims: dict[str, int]
    risks: dict[str, int]
    before: dict[str, Any]
    settlement: dict[str, int]
    after: dict[str, Any]
    ccsp_refused: str
    ccsp_claims: int
    ccsp_after: dict[str, Any]
    ccsp_settlement: dict[str, int]
    refresh_changes: int
    frozen_through: str


def _summary(on: date, program: str) -> dict[str, Any]:
    from partnerprogram.standings.selectors import standing_summary

    data = standing_summary(on=on, program=program)
    return {"on": on.isoformat(), "by_tier": data["by_tier"], "by_status": data["by_status"]}


def _claims_for(program: str, *, on: date, at: datetime, tracks: set[str]) -> Counter[str]:
    """Each partner enrolled in one of ``tracks`` claims, in each such track, the higher of
    its previous tier and the tier it qualifies for on ``on`` under the version then in force
    (a partner at the entry tier with nothing more claims nothing)."""
    from partnerprogram.partners.models import Partner
    from partnerprogram.standings.services.claims import claim_file

    version = program_version_get(program=program, on=on)
    evaluation = evaluate(version=version, as_of=on, store=False)
    definition = evaluation.program
    entry = definition.tier_keys[0]
    partners = Partner.objects.in_bulk([row.id for row, _ in evaluation.results])
    filed: Counter[str] = Counter()
    for row, result in evaluation.results:
        for track, track_result in result.tracks.items():
            if track not in tracks or not track_result.active:
                continue
            candidates = [t for t in (row.previous_tier, track_result.qualified_tier) if t]
            if not candidates:
                continue
            tier = max(candidates, key=definition.tier_rank)
            if tier == entry:
                continue
            claim_file(partner=partners[row.id], track=track, tier=tier, filed_by="demo", at=at)
            filed[tier] += 1
    return filed


def lifecycle_compute(*, program: str = "pex-fr", keep: bool = False) -> LifecycleStory:
    """The reference calendar (see ``_lifecycle``) run as a simulation: everything it writes
    (standings, claims, settlements, notices, audit events) is rolled back at the end unless
    ``keep``, so the database stays at today's state (the portal can still take claims) while
    the story is told. Raises ``StandingsError`` if the versions are missing."""
    with transaction.atomic():
        story = _lifecycle(program=program)
        if not keep:
            transaction.set_rollback(True)
    return story


def _lifecycle(*, program: str) -> LifecycleStory:
    """Run the reference calendar on the loaded reference data and versions:

    1. 2026-07-01: cycles stored, baseline standings from the previous program's tiers;
    2. 2026-10-01 (2026.2 in force since 2026-09-01): claims filed (see ``_claims_for``);
    3. 2026-11-01: risk notices (60 days before the deadline);
    4. 2026-12-31: standings on probation (provisional); 2027-01-01 00:00 Paris: settlement;
    5. CCSP: a claim on 2026-12-31 is refused; on 2027-01-02 the CCSP partners claim; their
       cycle settles on 2027-04-01;
    6. 2027-06-30: a re-evaluation during the freeze changes nothing.

    Writes standings, claims, notices and audit events (``lifecycle_compute`` rolls them back).
    """
    from zoneinfo import ZoneInfo

    from partnerprogram.partners.models import Partner
    from partnerprogram.standings.errors import StandingsError
    from partnerprogram.standings.models import Standing
    from partnerprogram.standings.services.baseline import standings_baseline
    from partnerprogram.standings.services.claims import claim_file
    from partnerprogram.standings.services.cycles import cycles_sync
    from partnerprogram.standings.services.refresh import standings_refresh
    from partnerprogram.standings.services.risks import risks_notify
    from partnerprogram.standings.services.settlement import cycle_settle

    paris = ZoneInfo("Europe/Paris")
    cycles_sync(program=program, on=date(2026, 7, 1), actor="user:demo")
    baseline = standings_baseline(program=program, on=date(2026, 7, 1))
    claims = _claims_for(
        program,
        on=date(2026, 10, 1),
        at=datetime(2026, 10, 1, 10, 0, tzinfo=paris),
        tracks={"solution_provider", "consulting"},
    )
    risks = risks_notify(program=program, at=datetime(2026, 11, 1, 9, 0, tzinfo=paris))
    before = _summary(date(2026, 12, 31), program)

    ccsp_partner = Partner.objects.filter(enrolments__track="ccsp").order_by("external_id")[0]
    try:
        claim_file(
            partner=ccsp_partner,
            track="ccsp",
            tier="advanced",
            filed_by="demo",
            at=datetime(2026, 12, 31, 12, 0, tzinfo=paris),
        )
        refused = ""
    except StandingsError as exc:
        refused = str(exc)

    (settled,) = cycle_settle(
        program=program, at=datetime(2027, 1, 1, 0, 0, tzinfo=paris), actor="user:demo"
    )
    after = _summary(date(2027, 1, 1), program)
    ccsp_claims = _claims_for(
        program,
        on=date(2027, 1, 2),
        at=datetime(2027, 1, 2, 10, 0, tzinfo=paris),
        tracks={"ccsp"},
    )
    (ccsp_settled,) = cycle_settle(
        program=program,
        at=datetime(2027, 4, 1, 0, 0, tzinfo=paris),
        actor="user:demo",
        track="ccsp",
    )
    ccsp_after = _summary(date(2027, 4, 1), program)
    before_refresh = Standing.objects.count()
    standings_refresh(program=program, on=date(2027, 6, 30), actor="user:demo")
    return LifecycleStory(
        baseline=dict(baseline.by_tier),
        claims=dict(claims),
        risks={
            "probation": len(risks.probation),
            "credential_expiry": len(risks.credential_expiry),
            "sent": risks.sent,
        },
        before=before,
        settlement=dict(settled.result["claims"]),
        after=after,
        ccsp_refused=refused,
        ccsp_claims=sum(ccsp_claims.values()),
        ccsp_after=ccsp_after,
        ccsp_settlement=dict(ccsp_settled.result["claims"]),
        refresh_changes=Standing.objects.count() - before_refresh,
        frozen_through=settled.result["cycle"]["frozen_through"],
    )
