"""One partner's 360° view for vendor staff: the partner's own overview, plus claims, deals,
overrides and what staff act on.

The standings, requirements, gaps and projection are the portal's overview of the partner, built
by the portal's selectors (``portal.selectors.context_for`` and ``overview_for``) and rendered by
the portal's partial ``portal/_overview_body.html`` (without the claim form): staff see exactly
what the partner sees. ``console/partials/partner_360.html`` adds the staff-only sections.

Reads only; the partner is the one named in the URL (vendor staff may see every partner). The
number of queries is fixed (about 25), whatever the partner's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q

from partnerprogram.console.labels import (
    CLAIM_STATUS,
    REGISTRATION_STATUS,
    label,
)
from partnerprogram.console.programs import ProgramView, lang
from partnerprogram.console.selectors.approvals import influence_status
from partnerprogram.console.selectors.risk import ClaimRisk, claims_risk
from partnerprogram.partners.models import Partner, Person, TrackEnrolment
from partnerprogram.portal.selectors import context_for, overview_for
from partnerprogram.portal.selectors.overview import Overview
from partnerprogram.programs import rules
from partnerprogram.programs.models import Assessment
from partnerprogram.programs.selectors import assessment_explain
from partnerprogram.sales.models import DealRegistration, PartnerInvolvement
from partnerprogram.standings.models import Claim, Override
from partnerprogram.standings.selectors import claims_of

RECENT = 20


@dataclass(frozen=True)
class ClaimView:
    claim: Claim
    track_label: str
    tier_label: str
    status_label: str
    outcome_label: str
    risk: ClaimRisk | None
    missing: tuple[str, ...]


@dataclass(frozen=True)
class RegistrationView:
    registration: DealRegistration
    status_label: str


@dataclass(frozen=True)
class InfluenceView:
    involvement: PartnerInvolvement
    status: str
    status_label: str


@dataclass(frozen=True)
class Partner360:
    partner: Partner
    on: date
    program: ProgramView | None
    overview: Overview | None
    assessment: Assessment | None
    claims: tuple[ClaimView, ...]
    registrations: tuple[RegistrationView, ...]
    registration_counts: dict[str, int]
    registrations_pending: int
    influence: tuple[InfluenceView, ...]
    influence_pending: int
    people: int
    overrides: tuple[Override, ...]
    enrolled_tracks: tuple[str, ...]


def _claim_missing(
    explained: rules.Assessment | None, claim: Claim, currency: str
) -> tuple[str, ...]:
    if explained is None or claim.status != Claim.Status.PENDING:
        return ()
    track_result = explained.tracks.get(claim.track)
    if track_result is None:
        return ()
    try:
        tier_result = track_result.tier_result(claim.tier)
    except StopIteration:
        return ()
    if tier_result.met or tier_result.requirement is None:
        return ()
    return tuple(
        s.text.get(lang()) for s in rules.shortfalls(tier_result.requirement, currency=currency)
    )


def enrolled_tracks(*, partner: Partner, on: date) -> tuple[str, ...]:
    """The tracks ``partner`` is enrolled in on ``on``, by key. One query."""
    return tuple(
        TrackEnrolment.objects.filter(partner=partner, enrolled_on__lte=on)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))
        .order_by("track")
        .values_list("track", flat=True)
        .distinct()
    )


def partner_get(*, external_id: str) -> Partner | None:
    """The partner with ``external_id`` (exact), or ``None``. One query."""
    return Partner.objects.filter(external_id=external_id).select_related("merged_into").first()


def partner_360(*, partner: Partner, on: date, program: ProgramView | None) -> Partner360:
    """Everything the console's partner page shows about ``partner`` as of ``on``: the partner's
    own overview on ``on`` (``portal.selectors.overview_for``: standings, requirements, gaps,
    projection), the latest assessment of the program (what pending claims miss), claims with
    their risk, the latest deal registrations and influence claims, people employed on ``on``,
    overrides."""
    overview = overview_for(context_for(partner=partner, on=on))

    assessment: Assessment | None = None
    explained: rules.Assessment | None = None
    risks: dict[int, ClaimRisk] = {}
    if program is not None:
        assessment = (
            Assessment.objects.filter(
                partner=partner,
                run__finished_at__isnull=False,
                run__program_version__program__key=program.key,
            )
            .select_related("run__program_version__program")
            .order_by("-run__as_of", "-run_id")
            .first()
        )
        if assessment is not None:
            explained = assessment_explain(assessment)
        risks = {
            r.claim_id: r
            for r in claims_risk(program=program.key, partner_ids=[partner.pk]).values()
        }

    currency = program.currency if program is not None else "EUR"
    claims = tuple(
        ClaimView(
            claim=c,
            track_label=program.track_label(c.track) if program else c.track,
            tier_label=program.tier_label(c.tier) if program else c.tier,
            status_label=label(CLAIM_STATUS, c.status),
            outcome_label=(program.tier_label(c.outcome_tier) if program else c.outcome_tier)
            if c.outcome_tier
            else "",
            risk=risks.get(c.pk),
            missing=_claim_missing(explained, c, currency),
        )
        for c in reversed(claims_of(partner=partner))
    )

    registrations = tuple(
        RegistrationView(registration=r, status_label=label(REGISTRATION_STATUS, r.status))
        for r in DealRegistration.objects.filter(partner=partner).order_by("-registered_on", "-id")[
            :RECENT
        ]
    )
    registration_counts = {
        row["status"]: row["n"]
        for row in DealRegistration.objects.filter(partner=partner)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    }
    influence_rows = list(
        PartnerInvolvement.objects.filter(partner=partner, role=PartnerInvolvement.Role.INFLUENCED)
        .select_related("opportunity__customer")
        .order_by("-recorded_at", "-id")[:RECENT]
    )
    influence = []
    for inv in influence_rows:
        status, status_label = influence_status(inv)
        influence.append(InfluenceView(involvement=inv, status=status, status_label=status_label))
    influence_pending = PartnerInvolvement.objects.filter(
        partner=partner,
        role=PartnerInvolvement.Role.INFLUENCED,
        validated=False,
        decided_by="",
    ).count()
    people = (
        Person.objects.filter(partner=partner, employed_from__lte=on)
        .filter(Q(employed_until__isnull=True) | Q(employed_until__gt=on))
        .count()
    )
    overrides = tuple(
        Override.objects.filter(partner=partner)
        .select_related("program_version")
        .order_by("-starts_on", "-id")
    )
    enrolled = enrolled_tracks(partner=partner, on=on)
    return Partner360(
        partner=partner,
        on=on,
        program=program,
        overview=overview,
        assessment=assessment,
        claims=claims,
        registrations=registrations,
        registration_counts=registration_counts,
        registrations_pending=registration_counts.get(DealRegistration.Status.SUBMITTED, 0),
        influence=tuple(influence),
        influence_pending=influence_pending,
        people=people,
        overrides=overrides,
        enrolled_tracks=enrolled,
    )
