"""Overrides: vendor staff set a partner's standing in a track by hand.

Stated rules (docs/lifecycle.md): a reason, an approver and an end are required; the override
applies from ``starts_on`` (inclusive) to ``ends_on`` (exclusive) and wins over every other
standing while it lasts (priority 1); then the standing below it shows again by itself. It is
refused in a track the partner is not enrolled in on ``starts_on``. The overall standing gets
priority-1 rows over the same period with the highest tier over the tracks' winning standings,
the overridden track counted at the override's tier; every later decision (settlement, refresh,
claim, another override) re-plans them from its date (``common.overall_plan``), so the overall
stays the highest tier over the tracks while the override lasts. Overrides are never edited;
there is no early revocation (grant a new override instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Q

from partnerprogram.audit.services import audit_record
from partnerprogram.partners.models import Partner, TrackEnrolment
from partnerprogram.standings.errors import OverrideError, StandingsError
from partnerprogram.standings.models import Override, Standing
from partnerprogram.standings.services.common import (
    ONE_DAY,
    Notice,
    notices_send,
    overall_plan,
    program_at,
    program_key_resolve,
    standings_create,
    tier_text,
    track_text,
    until_text,
    winning_standings_on,
)


@dataclass(frozen=True)
class GrantedOverride:
    override: Override
    standing: Standing
    overall: Standing | None


def override_grant(
    *,
    partner: Partner,
    track: str,
    tier: str,
    reason: str,
    approver: str,
    starts_on: date,
    ends_on: date | None,
    actor: str,
    program: str | None = None,
) -> GrantedOverride:
    """Grant an override of ``partner`` in ``track`` at ``tier`` from ``starts_on`` until
    ``ends_on`` (exclusive: the first day it no longer applies).

    Side effects, in one transaction: an ``Override``, a ``Standing`` (status ``override``,
    priority 1) for the track and the overall standings at priority 1 while it lasts (``overall``:
    the one from ``starts_on``; ``None`` when the overall in effect is already right), audit
    events; then an ``override_granted`` notice. Raises ``OverrideError`` (nothing written)
    without a reason, an approver or an end, with an end not after the start, an unknown track
    or tier, a track not in effect on ``starts_on``, or a partner not enrolled in the track on
    ``starts_on``.
    """
    what = f"override of partner {partner.external_id} in track {track!r} at tier {tier!r}"
    if not (reason or "").strip():
        raise OverrideError(f"{what} refused: a reason is required (--reason)")
    if not (approver or "").strip():
        raise OverrideError(f"{what} refused: an approver is required (--approver)")
    if ends_on is None:
        raise OverrideError(f"{what} refused: an end date is required (--until)")
    if ends_on <= starts_on:
        raise OverrideError(
            f"{what} refused: it must end after it starts (from {starts_on}, last day "
            f"{ends_on - ONE_DAY})"
        )
    try:
        context = program_at(program=program_key_resolve(program), on=starts_on)
    except StandingsError as exc:
        raise OverrideError(f"{what} refused: {exc}") from None
    definition = context.program
    label = f"{definition.program} {definition.version}"
    if track not in definition.tracks:
        raise OverrideError(
            f"{what} refused: unknown track {track!r} (tracks of {label}: "
            f"{', '.join(definition.track_keys)})"
        )
    if tier not in definition.tier_keys:
        raise OverrideError(
            f"{what} refused: unknown tier {tier!r} (tiers of {label}: "
            f"{', '.join(definition.tier_keys)})"
        )
    if not definition.track_active(track, starts_on):
        spec = definition.tracks[track]
        raise OverrideError(
            f"{what} refused: track {track} is not in effect on {starts_on}"
            + (f" (it opens on {spec.effective_from})" if spec.effective_from else "")
        )
    enrolled = (
        TrackEnrolment.objects.filter(partner=partner, track=track, enrolled_on__lte=starts_on)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=starts_on))
        .exists()
    )
    if not enrolled:
        raise OverrideError(
            f"{what} refused: partner {partner.external_id} is not enrolled in track {track} "
            f"on {starts_on}"
        )
    reason = reason.strip()
    approver = approver.strip()
    with transaction.atomic():
        Partner.objects.select_for_update().filter(pk=partner.pk).first()
        override = Override.objects.create(
            partner=partner,
            track=track,
            tier=tier,
            reason=reason,
            approver=approver,
            starts_on=starts_on,
            ends_on=ends_on,
            granted_by=actor,
            program_version=context.version,
        )
        audit_record(
            actor=actor,
            action="override.granted",
            obj=override,
            changes={
                "tier": (None, tier),
                "starts_on": (None, starts_on),
                "ends_on": (None, ends_on),
                "approver": (None, approver),
            },
            note=reason,
        )
        current = winning_standings_on(on=starts_on, partner_ids=[partner.pk])
        en = (
            f"Override: {tier_text(definition, tier)} in {track_text(definition, track)} from "
            f"{starts_on} {until_text(ends_on)}, approved by {approver}: {reason}"
        )
        fr = (
            f"Dérogation : {tier_text(definition, tier, 'fr')} en "
            f"{track_text(definition, track, 'fr')} du {starts_on} "
            f"{until_text(ends_on, 'fr')}, approuvée par {approver} : {reason}"
        )
        row = Standing(
            partner=partner,
            track=track,
            tier=tier,
            status=Standing.Status.OVERRIDE,
            valid_from=starts_on,
            valid_until=ends_on,
            priority=1,
            reason=en,
            reason_detail={"text": {"en": en, "fr": fr}, "approver": approver},
            program_version=context.version,
            override=override,
            decided_by=actor,
        )
        note = f"override {override.pk}: {reason}"[:500]
        [standing] = standings_create(
            [row],
            actor=actor,
            before={(partner.pk, track): current.get((partner.pk, track))},
            note=note,
        )
        # the overall standing while it lasts: highest tier over the tracks, this one counted
        # at the override's tier (common.overall_plan, override layer)
        plan = overall_plan(
            partner_ids=[partner.pk], on=starts_on, program=definition, decided_by=actor
        )
        created = standings_create(plan.rows, actor=actor, before=plan.before, note=note)
        overall = next((r for r in created if r.priority > 0 and r.valid_from == starts_on), None)
    notices_send(
        [
            Notice(
                partner=partner,
                kind="override_granted",
                subject={
                    "en": f"Your tier in {track_text(definition, track)}: "
                    f"{tier_text(definition, tier)} (override)",
                    "fr": f"Votre niveau en {track_text(definition, track, 'fr')} : "
                    f"{tier_text(definition, tier, 'fr')} (dérogation)",
                },
                body={"en": en, "fr": fr},
                dedupe_key=f"override_granted:{override.pk}",
                on=starts_on,
            )
        ]
    )
    return GrantedOverride(override=override, standing=standing, overall=overall)
