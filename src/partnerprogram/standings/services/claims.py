"""Filing claims: a partner admin claims a tier in a track for the current cycle.

Stated rules (docs/lifecycle.md):

- The cycle is the one the version in force on the filing date (program zone) defines for the
  track: the track's own cycle, else the program's.
- Refused (``ClaimError``, nothing written) when: the partner is terminated or merged; the
  track or tier is unknown; the track is not in effect on the filing date (no CCSP claim before
  2027-01-01); the version defines no cycle for the track; the claim is filed before claims
  open (start of ``claims_open``) or at or after the deadline instant (end of
  ``claim_deadline`` in the program zone, exclusive); the cycle is settled; the partner is not
  enrolled in the track on the filing date; the tier is not offered in the track.
- A new claim supersedes the pending one of the same partner and track; it is refused when it
  is dated before that pending claim (its provisional standing would start before the one it
  replaces, and the superseded claim's standing would show after it). Filing locks the partner
  row, then the cycle row (``select_for_update``), so concurrent claims serialize: exactly one
  claim stays pending (also a partial unique constraint).
- Filing writes a provisional standing for the track (and the overall one when it changes),
  from the filing date until the deadline + 1 day (exclusive). A standing still frozen by a
  previous cycle is not interrupted: the provisional standing starts when the freeze ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from partnerprogram.audit.services import audit_record
from partnerprogram.core.periods import end_of_day
from partnerprogram.partners.models import Partner, TrackEnrolment
from partnerprogram.standings.errors import ClaimError, StandingsError
from partnerprogram.standings.models import Claim, Cycle, Standing
from partnerprogram.standings.services.common import (
    ONE_DAY,
    Notice,
    base_standings_on,
    notices_send,
    offered_tiers,
    overall_plan,
    program_at_instant,
    program_first,
    program_key_resolve,
    standings_create,
    tier_text,
    track_text,
)
from partnerprogram.standings.services.cycles import cycle_key_for, cycles_sync

ATTEMPTS = 3


@dataclass(frozen=True)
class FiledClaim:
    """The new claim, the claim it superseded (if any) and the provisional standing written
    (``None`` when a freeze still protects the current standing until after the deadline)."""

    claim: Claim
    superseded: Claim | None
    standing: Standing | None


def claim_file(
    *,
    partner: Partner,
    track: str,
    tier: str,
    filed_by: str,
    at: datetime | None = None,
    program: str | None = None,
) -> FiledClaim:
    """File a claim of ``tier`` in ``track`` for ``partner`` at instant ``at`` (default: now).

    Side effects, in one transaction: the pending claim of the partner and track (if any)
    becomes ``superseded``; a ``Claim`` and a provisional ``Standing`` (plus the overall
    standing when it changes) are written; audit events for each; after the transaction a
    ``claim_filed`` notice. Raises ``ClaimError`` (nothing written) with a message naming the
    partner, track, tier and the reason.
    """
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise ValueError("`at` must be an aware datetime")
    key = program_key_resolve(program)
    what = f"claim of {tier!r} in track {track!r} for partner {partner.external_id}"
    for attempt in range(ATTEMPTS):
        try:
            filed, notice = _file(
                partner=partner,
                track=track,
                tier=tier,
                filed_by=filed_by,
                at=at,
                program=key,
                what=what,
            )
        except IntegrityError as exc:  # a concurrent claim won the race: retry on fresh data
            if attempt + 1 == ATTEMPTS:
                raise ClaimError(
                    f"{what}: another claim for this partner and track was being filed at the "
                    "same moment; nothing was changed, file it again"
                ) from exc
            continue
        notices_send([notice])
        return filed
    raise AssertionError("unreachable")


def _refuse(what: str, reason: str) -> ClaimError:
    return ClaimError(f"{what} refused: {reason}")


def _file(
    *, partner: Partner, track: str, tier: str, filed_by: str, at: datetime, program: str, what: str
) -> tuple[FiledClaim, Notice]:
    try:
        context = program_at_instant(program=program, at=at)
    except StandingsError as exc:
        first = program_first(program=program)
        if first is not None and track in first.program.tracks:
            found = cycle_key_for(first.program, track)
            if found is not None:
                opens = found[1].claims_open
                raise _refuse(
                    what,
                    f"claims open on {opens} ({first.program.timezone}); filed at "
                    f"{at.isoformat()}, before claims open (and before the first version, "
                    f"{first.version.version}, takes effect on {first.version.effective_from})",
                ) from None
        raise _refuse(what, str(exc)) from None
    definition = context.program
    on = context.on
    zone = definition.timezone
    label = f"{definition.program} {definition.version}"
    if partner.status == Partner.Status.TERMINATED:
        raise _refuse(what, f"partner {partner.external_id} is terminated")
    if partner.merged_into_id is not None:
        raise _refuse(
            what,
            f"partner {partner.external_id} was merged into another partner; file the claim "
            "for the surviving partner",
        )
    if track not in definition.tracks:
        raise _refuse(
            what, f"unknown track {track!r} (tracks of {label}: {', '.join(definition.track_keys)})"
        )
    if tier not in definition.tier_keys:
        raise _refuse(
            what, f"unknown tier {tier!r} (tiers of {label}: {', '.join(definition.tier_keys)})"
        )
    if not definition.track_active(track, on):
        spec = definition.tracks[track]
        if spec.effective_from is not None and on < spec.effective_from:
            reason = (
                f"track {track} ({definition.track_name(track)}) opens on "
                f"{spec.effective_from}; no claim or standing in it before that date "
                f"(filed on {on}, {zone})"
            )
        else:
            reason = f"track {track} ended on {spec.effective_until} (filed on {on})"
        raise _refuse(what, reason)
    found = cycle_key_for(definition, track)
    if found is None:
        raise _refuse(what, f"{label} defines no claims cycle for track {track}")
    cycle_track, cycle_def = found
    deadline_text = f"{cycle_def.claim_deadline} (end of that day, {zone})"
    opens_at = end_of_day(cycle_def.claims_open - ONE_DAY, zone)
    deadline_at = end_of_day(cycle_def.claim_deadline, zone)
    if at < opens_at:
        raise _refuse(
            what,
            f"claims open on {cycle_def.claims_open} ({zone}: {opens_at.isoformat()}); "
            f"filed at {at.isoformat()}, before claims open",
        )
    if at >= deadline_at:
        raise _refuse(
            what,
            f"the claim deadline {deadline_text} has passed: the deadline instant is "
            f"{deadline_at.isoformat()} and the claim was filed at "
            f"{at.astimezone(context.zone).isoformat()} ({zone})",
        )
    enrolled = (
        TrackEnrolment.objects.filter(partner=partner, track=track, enrolled_on__lte=on)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))
        .exists()
    )
    if not enrolled:
        raise _refuse(
            what, f"partner {partner.external_id} is not enrolled in track {track} on {on}"
        )
    if tier not in offered_tiers(definition, track):
        raise _refuse(
            what,
            f"tier {tier} is not offered in track {track} under {label} "
            f"(offered: {', '.join(offered_tiers(definition, track))})",
        )

    actor = f"user:{filed_by}"
    with transaction.atomic():
        Partner.objects.select_for_update().filter(pk=partner.pk).first()
        cycles_sync(program=program, on=on, actor=actor)
        cycle = (
            Cycle.objects.select_for_update()
            .select_related("program")
            .get(program=context.record, track=cycle_track, claims_open=cycle_def.claims_open)
        )
        if cycle.status == Cycle.Status.SETTLED:
            raise _refuse(what, f"the {cycle.label} is already settled")

        previous = (
            Claim.objects.select_for_update()
            .filter(cycle=cycle, partner=partner, track=track, status=Claim.Status.PENDING)
            .first()
        )
        if previous is not None and at < previous.filed_at:
            raise _refuse(
                what,
                "a claim cannot be dated before the pending claim filed at "
                f"{previous.filed_at.astimezone(context.zone).isoformat()} (claim {previous.pk}, "
                f"{previous.tier}) that it would supersede; filed at "
                f"{at.astimezone(context.zone).isoformat()}",
            )
        if previous is not None:
            previous.status = Claim.Status.SUPERSEDED
            previous.save(update_fields=["status"])
            audit_record(
                actor=actor,
                action="claim.superseded",
                obj=previous,
                changes={"status": (Claim.Status.PENDING, Claim.Status.SUPERSEDED)},
                note=f"superseded by a claim of {tier} filed at {at.isoformat()}",
            )
        claim = Claim.objects.create(
            cycle=cycle,
            partner=partner,
            track=track,
            tier=tier,
            filed_at=at,
            filed_by=filed_by,
            program_version=context.version,
        )
        audit_record(
            actor=actor,
            action="claim.filed",
            obj=claim,
            changes={"status": (None, claim.status), "tier": (None, tier)},
            note=f"{cycle.label}",
        )

        before = base_standings_on(on=on, partner_ids=[partner.pk])
        current = before.get((partner.pk, track))
        start = on
        if current is not None and current.frozen_until is not None and current.frozen_until > on:
            start = current.frozen_until  # a freeze is never interrupted
        end = cycle.claim_deadline + ONE_DAY
        standing: Standing | None = None
        if start < end:
            en = (
                f"Claimed {tier_text(definition, tier)} in {track_text(definition, track)} on "
                f"{on}; provisional (on probation) until the claim deadline {deadline_text}."
            )
            fr = (
                f"{tier_text(definition, tier, 'fr')} revendiqué en "
                f"{track_text(definition, track, 'fr')} le {on} ; provisoire (période "
                f"probatoire) jusqu'à la date limite du {cycle.claim_deadline} ({zone})."
            )
            row = Standing(
                partner=partner,
                track=track,
                tier=tier,
                status=Standing.Status.PROVISIONAL,
                valid_from=start,
                valid_until=end,
                reason=en,
                reason_detail={"text": {"en": en, "fr": fr}, "claimed": tier},
                program_version=context.version,
                cycle=cycle,
                claim=claim,
                decided_by=actor,
            )
            standing = standings_create([row], actor=actor, before=before)[0]
            plan = overall_plan(
                partner_ids=[partner.pk], on=start, program=definition, decided_by=actor
            )
            standings_create(plan.rows, actor=actor, before=plan.before)

    notice = Notice(
        partner=partner,
        kind="claim_filed",
        subject={
            "en": f"Claim filed: {tier_text(definition, tier)} ({track_text(definition, track)})",
            "fr": (
                f"Candidature enregistrée : {tier_text(definition, tier, 'fr')} "
                f"({track_text(definition, track, 'fr')})"
            ),
        },
        body={
            "en": (
                f"Your claim for {tier_text(definition, tier)} in "
                f"{track_text(definition, track)} was filed on {on} by {filed_by}. Until the "
                f"deadline, {cycle.claim_deadline} at the end of the day ({zone}), your tier "
                "in this track is provisional; the criteria must be met on the deadline."
            ),
            "fr": (
                f"Votre candidature au niveau {tier_text(definition, tier, 'fr')} en "
                f"{track_text(definition, track, 'fr')} a été enregistrée le {on} par "
                f"{filed_by}. Jusqu'à la date limite ({cycle.claim_deadline}) votre niveau "
                "dans ce parcours est provisoire ; les critères doivent être remplis à la "
                "date limite."
            ),
        },
        dedupe_key=f"claim_filed:{claim.pk}",
        on=on,
    )
    return FiledClaim(claim=claim, superseded=previous, standing=standing), notice
