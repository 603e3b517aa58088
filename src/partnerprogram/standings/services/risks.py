"""Risk notices before a claim deadline (issue 3, item 8).

Two risks, each sent once (``dedupe_key``) through ``notifications.notice_send``:

- **Probation at risk**: a partner with a pending claim that would not be confirmed if the
  cycle were settled today (it neither qualifies for the claimed tier in the track nor is kept
  there by grandfathering), 60, 30 and 7 days before the deadline. A run on day D sends the
  notice of the tightest threshold reached (``days_left <= 7`` -> the 7-day notice), once per
  claim and threshold; a run more than 60 days before the deadline sends nothing.
- **Credential expiry**: a partner whose target tier in a track (the claimed tier, else its
  current standing's tier) it holds on the facts of today but would miss on the deadline
  because of people's credentials that expire in between: the projection evaluates the same
  version as of the deadline (credentials valid on the deadline day; one expiring on it no
  longer counts), and the notice lists the expiring credentials. Once per partner, track and
  deadline.

Set-based: two evaluations of the whole population (today and the deadline) and one query for
the expiring credentials, whatever the number of claims.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from partnerprogram.enablement.models import Credential
from partnerprogram.programs import rules
from partnerprogram.programs.engine import Evaluation, evaluate
from partnerprogram.programs.schema import Program
from partnerprogram.standings.models import Claim, Cycle
from partnerprogram.standings.services.common import (
    Notice,
    local_date,
    notices_send,
    program_at,
    program_key_resolve,
    program_zone,
    rank,
    tier_text,
    track_text,
    winning_standings_on,
)

THRESHOLDS = (7, 30, 60)
PEOPLE_METRICS = frozenset({"certified_people", "credentials"})


@dataclass
class RiskReport:
    """What one run found and sent: ``probation`` and ``credential_expiry`` list
    ``{partner, track, tier, ...}`` per risk found (sent now or earlier); ``sent`` counts the
    notices new in this run."""

    program: str
    on: date
    probation: list[dict[str, object]] = field(default_factory=list)
    credential_expiry: list[dict[str, object]] = field(default_factory=list)
    sent: int = 0


def threshold_reached(days_left: int) -> int | None:
    """The tightest threshold (7, 30 or 60 days) that ``days_left`` has reached; ``None``
    more than 60 days before the deadline or after it."""
    if days_left < 0:
        return None
    return next((t for t in THRESHOLDS if days_left <= t), None)


def _track_tier(
    program: Program, result: rules.Assessment, track: str, previous: str, on: date
) -> str | None:
    """The tier a settlement on ``on`` would give in ``track``: qualified, or grandfathered."""
    track_result = result.tracks.get(track)
    qualified = track_result.qualified_tier if track_result else None
    tier, _rule = rules.apply_grandfathering(
        program, previous_tier=previous or None, qualified_tier=qualified, as_of=on
    )
    return tier


def _gap_texts(
    program: Program, result: rules.Assessment, track: str, tier: str, lang: str
) -> list[str]:
    """Shortfalls of ``result`` for ``tier`` in ``track`` (the failing leaves), in ``lang``."""
    track_result = result.tracks.get(track)
    if track_result is None:
        return []
    requirement = track_result.tier_result(tier).requirement
    if requirement is None:
        return []
    return [s.text.get(lang) for s in rules.shortfalls(requirement, currency=program.currency)]


def _shortfall_metrics(
    program: Program, result: rules.Assessment, track: str, tier: str
) -> set[str | None]:
    """Metric names behind the shortfalls for ``tier`` in ``track`` (score components that
    could still earn points included)."""
    track_result = result.tracks.get(track)
    requirement = track_result.tier_result(tier).requirement if track_result else None
    if requirement is None:
        return set()
    found = rules.shortfalls(requirement, currency=program.currency)
    return {s.metric_name for s in found} | {c.metric_name for s in found for c in s.can_earn}


def _by_partner(evaluation: Evaluation) -> dict[int, tuple[str, rules.Assessment]]:
    return {row.id: (row.previous_tier, result) for row, result in evaluation.results}


def risks_notify(*, program: str | None = None, at: datetime | None = None) -> RiskReport:
    """Find and notify the risks of every open cycle of ``program`` whose deadline is ahead of
    ``at`` (default now). Idempotent: a notice already sent is not sent again.

    Raises ``StandingsError`` when the program has no version in force on that date.
    """
    key = program_key_resolve(program)
    at = at or timezone.now()
    zone = program_zone(key)
    today = local_date(at, zone)
    report = RiskReport(program=key, on=today)
    cycles = [
        c
        for c in Cycle.objects.filter(program__key=key, status=Cycle.Status.OPEN)
        if c.deadline_at > at and c.opens_at <= at
    ]
    if not cycles:
        return report
    current = program_at(program=key, on=today)
    now = _by_partner(evaluate(version=current.version, as_of=today, store=False))
    notices: list[Notice] = []
    claims = list(
        Claim.objects.filter(cycle__in=cycles, status=Claim.Status.PENDING).select_related(
            "partner", "cycle"
        )
    )
    claimed = {(c.partner_id, c.track): c for c in claims}
    definition = current.program

    for claim in claims:
        days_left = (claim.cycle.claim_deadline - today).days
        threshold = threshold_reached(days_left)
        if threshold is None or claim.partner_id not in now:
            continue
        previous, result = now[claim.partner_id]
        tier = _track_tier(definition, result, claim.track, previous, today)
        if rank(definition, tier) >= rank(definition, claim.tier):
            continue
        gaps = {
            lang: _gap_texts(definition, result, claim.track, claim.tier, lang)
            for lang in ("en", "fr")
        }
        report.probation.append(
            {
                "partner": claim.partner.external_id,
                "track": claim.track,
                "claimed": claim.tier,
                "qualifies_for": tier,
                "days_left": days_left,
                "threshold": threshold,
                "missing": gaps["en"],
            }
        )
        deadline = claim.cycle.claim_deadline
        notices.append(
            Notice(
                partner=claim.partner,
                kind="probation_risk",
                subject={
                    "en": f"{days_left} days left to meet {tier_text(definition, claim.tier)} "
                    f"({track_text(definition, claim.track)})",
                    "fr": f"Plus que {days_left} jours pour remplir les critères "
                    f"{tier_text(definition, claim.tier, 'fr')} "
                    f"({track_text(definition, claim.track, 'fr')})",
                },
                body={
                    "en": (
                        f"Your claim for {tier_text(definition, claim.tier)} in "
                        f"{track_text(definition, claim.track)} is on probation until "
                        f"{deadline.isoformat()}. On today's facts it would not be confirmed "
                        f"({tier_text(definition, tier)} instead). Missing: "
                        + "; ".join(gaps["en"])
                    ),
                    "fr": (
                        f"Votre candidature au niveau {tier_text(definition, claim.tier, 'fr')} "
                        f"({track_text(definition, claim.track, 'fr')}) est en période "
                        f"probatoire jusqu'au {deadline.strftime('%d/%m/%Y')}. Sur les faits "
                        f"d'aujourd'hui elle ne serait pas confirmée "
                        f"({tier_text(definition, tier, 'fr')} à la place). Il manque : "
                        + " ; ".join(gaps["fr"])
                    ),
                },
                dedupe_key=f"probation_risk:{claim.pk}:{threshold}",
                on=today,
            )
        )

    for cycle in cycles:
        deadline = cycle.claim_deadline
        expiring: dict[int, list[Credential]] = defaultdict(list)
        for credential in (
            Credential.objects.filter(expires_on__gt=today, expires_on__lte=deadline)
            .filter(person__employed_from__lte=today)
            .filter(Q(person__employed_until__isnull=True) | Q(person__employed_until__gt=deadline))
            .select_related("person", "certification")
            .order_by("expires_on", "credential_id")
        ):
            expiring[credential.person.partner_id].append(credential)
        if not expiring:
            continue
        at_deadline = program_at(program=key, on=deadline)
        projection = _by_partner(evaluate(version=at_deadline.version, as_of=deadline, store=False))
        standings = winning_standings_on(on=today, partner_ids=list(expiring))
        for partner_id, credentials in expiring.items():
            if partner_id not in projection or partner_id not in now:
                continue
            previous, result_now = now[partner_id]
            _, result_then = projection[partner_id]
            for track in result_then.tracks:
                pending = claimed.get((partner_id, track))
                standing = standings.get((partner_id, track))
                target = pending.tier if pending else (standing.tier if standing else "")
                if not target:
                    continue
                holds_now = rank(
                    definition, _track_tier(definition, result_now, track, previous, today)
                ) >= rank(definition, target)
                program_then = at_deadline.program
                then_tier = _track_tier(program_then, result_then, track, previous, deadline)
                if not holds_now or rank(program_then, then_tier) >= rank(program_then, target):
                    continue
                if not _shortfall_metrics(program_then, result_then, track, target) & (
                    PEOPLE_METRICS
                ):
                    continue
                lines = [
                    f"{c.person.first_name} {c.person.last_name} — {c.certification.code} "
                    f"({c.expires_on})"
                    for c in credentials
                ]
                partner = credentials[0].person.partner
                report.credential_expiry.append(
                    {
                        "partner": partner.external_id,
                        "track": track,
                        "tier": target,
                        "projected": then_tier,
                        "deadline": deadline.isoformat(),
                        "credentials": [c.credential_id for c in credentials],
                    }
                )
                notices.append(
                    Notice(
                        partner=partner,
                        kind="credential_expiry_risk",
                        subject={
                            "en": f"Expiring certifications put "
                            f"{tier_text(program_then, target)} at risk",
                            "fr": f"Des certifications expirent : le niveau "
                            f"{tier_text(program_then, target, 'fr')} est menacé",
                        },
                        body={
                            "en": (
                                f"On {deadline.isoformat()} you would no longer meet "
                                f"{tier_text(program_then, target)} in "
                                f"{track_text(program_then, track)} "
                                f"({tier_text(program_then, then_tier)} instead), because "
                                "these credentials expire before then: " + "; ".join(lines)
                            ),
                            "fr": (
                                f"Au {deadline.strftime('%d/%m/%Y')} vous ne rempliriez plus "
                                f"les critères {tier_text(program_then, target, 'fr')} "
                                f"({track_text(program_then, track, 'fr')}) "
                                f"({tier_text(program_then, then_tier, 'fr')} à la place), car "
                                "ces certifications expirent avant : " + " ; ".join(lines)
                            ),
                        },
                        dedupe_key=f"credential_expiry_risk:{partner_id}:{track}:{deadline}",
                        on=today,
                    )
                )
    report.sent = notices_send(notices)
    return report
