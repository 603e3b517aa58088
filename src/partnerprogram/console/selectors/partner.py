"""One partner's 360° view for vendor staff: standings, assessment, gaps, claims, deals.

HOOK (portal 360°): the partner portal builds the partner's own 360° view. Until it can be
shared, the console renders this selector with ``console/partials/partner_360.html``; to reuse
the portal's, include its partial from ``console/partner.html`` (block ``partner_360``) and keep
the staff actions (override form, approval links) that ``console/partner.html`` adds around it.

Reads only; the partner is the one named in the URL (vendor staff may see every partner). The
number of queries is fixed (about 14), whatever the partner's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from partnerprogram.console.labels import (
    CLAIM_STATUS,
    REGISTRATION_STATUS,
    STANDING_STATUS,
    label,
)
from partnerprogram.console.programs import ProgramView, lang
from partnerprogram.console.selectors.approvals import influence_status
from partnerprogram.console.selectors.risk import ClaimRisk, claims_risk
from partnerprogram.partners.models import Partner, Person, TrackEnrolment
from partnerprogram.programs import rules
from partnerprogram.programs.models import Assessment
from partnerprogram.programs.selectors import assessment_explain
from partnerprogram.sales.models import DealRegistration, PartnerInvolvement
from partnerprogram.standings.models import OVERALL, Claim, Override, Standing
from partnerprogram.standings.selectors import claims_of, standings_of, status_on

ONE_DAY = timedelta(days=1)
RECENT = 20


@dataclass(frozen=True)
class StandingView:
    track: str
    track_label: str
    tier: str
    tier_label: str
    status: str
    status_label: str
    valid_from: date
    valid_through: date | None
    frozen_through: date | None
    grandfathered_through: date | None
    reason: str
    version: str
    decided_by: str
    standing: Standing


@dataclass(frozen=True)
class RequirementLine:
    """One line of a requirement tree: a check or a score in words, or a group heading
    (``kind`` ``group``) whose children follow at ``depth + 1``."""

    depth: int
    kind: str
    text: str
    met: bool


@dataclass(frozen=True)
class TierRequirements:
    tier: str
    label: str
    met: bool
    lines: tuple[RequirementLine, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class TrackView:
    track: str
    label: str
    active: bool
    assessed_tier: str | None
    assessed_label: str
    current: TierRequirements | None
    next: TierRequirements | None


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
    overall: StandingView | None
    standings: tuple[StandingView, ...]
    assessment: Assessment | None
    gap: str
    tracks: tuple[TrackView, ...]
    claims: tuple[ClaimView, ...]
    registrations: tuple[RegistrationView, ...]
    registration_counts: dict[str, int]
    registrations_pending: int
    influence: tuple[InfluenceView, ...]
    influence_pending: int
    people: int
    overrides: tuple[Override, ...]
    enrolled_tracks: tuple[str, ...]


def _through(value: date | None) -> date | None:
    return value - ONE_DAY if value else None


def _standing_view(row: Standing, *, on: date, program: ProgramView | None) -> StandingView:
    status = status_on(row.status, row.frozen_until, on)
    texts = (row.reason_detail or {}).get("text") or {}
    return StandingView(
        track=row.track,
        track_label=(program.track_label(row.track) if program else row.track)
        if row.track
        else _("Overall"),
        tier=row.tier,
        tier_label=(program.tier_label(row.tier) if program else row.tier) or _("No tier"),
        status=status,
        status_label=label(STANDING_STATUS, status),
        valid_from=row.valid_from,
        valid_through=_through(row.valid_until),
        frozen_through=_through(row.frozen_until),
        grandfathered_through=_through(row.grandfathered_until),
        reason=texts.get(lang()) or row.reason,
        version=row.program_version.version,
        decided_by=row.decided_by,
        standing=row,
    )


def requirement_lines(node: rules.NodeResult | None, depth: int = 0) -> list[RequirementLine]:
    """A requirement tree as lines in the active language: a top-level ``all`` is flattened;
    other groups get a heading ("Any of:", "At least 2 of:"). Pure."""
    if node is None:
        return []
    language = lang()
    if isinstance(node, rules.LogicResult):
        if node.kind == "all" and depth == 0:
            return [line for child in node.children for line in requirement_lines(child, 0)]
        if node.kind == "all":
            heading = _("All of:")
        elif node.kind == "any":
            heading = _("Any of:")
        else:
            heading = _("At least %(count)s of:") % {"count": node.required}
        lines = [RequirementLine(depth=depth, kind="group", text=heading, met=node.met)]
        for child in node.children:
            lines.extend(requirement_lines(child, depth + 1))
        return lines
    kind = "score" if isinstance(node, rules.ScoreResult) else "check"
    return [
        RequirementLine(depth=depth, kind=kind, text=node.explanation.get(language), met=node.met)
    ]


def _tier_requirements(
    track_result: rules.TrackResult, tier: str, *, program: ProgramView, currency: str
) -> TierRequirements | None:
    try:
        tier_result = track_result.tier_result(tier)
    except StopIteration:
        return None
    if not tier_result.offered:
        return None
    requirement = tier_result.requirement
    missing = (
        tuple(s.text.get(lang()) for s in rules.shortfalls(requirement, currency=currency))
        if requirement is not None and not tier_result.met
        else ()
    )
    return TierRequirements(
        tier=tier,
        label=program.tier_label(tier),
        met=tier_result.met,
        lines=tuple(requirement_lines(requirement)),
        missing=missing,
    )


def _track_views(explained: rules.Assessment, *, program: ProgramView) -> tuple[TrackView, ...]:
    keys = program.definition.tier_keys
    currency = program.currency
    views = []
    for track, result in explained.tracks.items():
        qualified = result.qualified_tier
        current = (
            _tier_requirements(result, qualified, program=program, currency=currency)
            if qualified
            else None
        )
        rank = keys.index(qualified) if qualified in keys else -1
        following = keys[rank + 1] if rank + 1 < len(keys) else None
        views.append(
            TrackView(
                track=track,
                label=program.track_label(track),
                active=result.active,
                assessed_tier=qualified,
                assessed_label=program.tier_label(qualified) or _("No tier"),
                current=current,
                next=(
                    _tier_requirements(result, following, program=program, currency=currency)
                    if following
                    else None
                ),
            )
        )
    return tuple(views)


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
    """Everything the console's partner page shows about ``partner`` as of ``on``: standings in
    effect (overall and per track, status as of ``on``), the latest assessment of the program
    explained (``programs.selectors.assessment_explain``: requirements of the assessed and the
    next tier per track, what is missing), claims with their risk, the latest deal
    registrations and influence claims, people employed on ``on``, overrides."""
    in_effect = standings_of(partner=partner, on=on)
    views = [_standing_view(row, on=on, program=program) for row in in_effect.values()]
    overall = next((v for v in views if v.track == OVERALL), None)
    per_track = tuple(v for v in views if v.track != OVERALL)

    assessment: Assessment | None = None
    explained: rules.Assessment | None = None
    tracks: tuple[TrackView, ...] = ()
    gap = ""
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
            tracks = _track_views(explained, program=program)
            if explained.next_tier is not None:
                gap = explained.next_tier.summary.get(lang())
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
        overall=overall,
        standings=per_track,
        assessment=assessment,
        gap=gap,
        tracks=tracks,
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
