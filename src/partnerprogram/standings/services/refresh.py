"""Re-evaluation between settlements: standings follow the criteria, except where a freeze,
a probation or an open cycle protects them.

Stated rules (docs/lifecycle.md), for each partner and track on ``on``, with the version in
force on ``on`` evaluated as of ``on``:

- a track whose cycle is open (claims opened and not settled) is left to the settlement;
- a provisional standing (on probation until the deadline) is left alone;
- a frozen standing (``on < frozen_until``) never changes, except that when the cycle that froze
  it allows promotions during the freeze (``promotions_during_freeze``) and the partner now
  qualifies for a higher tier, a new frozen standing at that tier starts on ``on`` with the
  same ``frozen_until`` (never a demotion);
- otherwise the standing follows the qualified tier of the track raised by grandfathering
  (status ``qualified`` or ``grandfathered``; ``lapsed`` when no longer enrolled).

Idempotent: when nothing changes nothing is written (not even the evaluation run).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from partnerprogram.partners.models import Partner
from partnerprogram.programs import rules
from partnerprogram.programs.engine import evaluate, evaluation_store
from partnerprogram.programs.models import Assessment
from partnerprogram.standings.models import SYSTEM_REFRESH, Cycle, Standing
from partnerprogram.standings.services.common import (
    ONE_DAY,
    Notice,
    base_standings_on,
    notices_send,
    overall_plan,
    program_at,
    program_key_resolve,
    rank,
    standings_create,
    tier_text,
    track_text,
    until_text,
)
from partnerprogram.standings.services.cycles import cycle_key_for, cycles_sync


@dataclass(frozen=True)
class RefreshResult:
    on: date
    version: str
    written: int
    changed: int
    promoted: int
    kept_frozen: int
    kept_provisional: int
    tracks_awaiting_settlement: list[str]
    run: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "version": self.version,
            "written": self.written,
            "changed": self.changed,
            "promoted": self.promoted,
            "kept_frozen": self.kept_frozen,
            "kept_provisional": self.kept_provisional,
            "tracks_awaiting_settlement": self.tracks_awaiting_settlement,
            "run": self.run,
        }


def standings_refresh(
    *, program: str | None = None, on: date, actor: str = SYSTEM_REFRESH
) -> RefreshResult:
    """Re-evaluate every partner as of ``on`` and write the standings that change (see the
    module's rules). Side effects, in one transaction: the evaluation run (only when something
    changes), standing rows and their audit events; then ``standing_changed`` notices for tier
    changes. Raises ``StandingsError`` when no version is in force on ``on``."""
    key = program_key_resolve(program)
    context = program_at(program=key, on=on)
    definition = context.program
    cycles_sync(program=key, on=on, actor=actor)
    cycles = {c.pk: c for c in Cycle.objects.filter(program__key=key)}
    by_key = {(c.track, c.claims_open): c for c in cycles.values()}
    awaiting: list[str] = []
    tracks: list[str] = []
    for track in sorted(definition.track_keys):
        if not definition.track_active(track, on):
            continue
        found = cycle_key_for(definition, track)
        if found is not None:
            stored = by_key.get((found[0], found[1].claims_open))
            if (
                stored is not None
                and stored.status == Cycle.Status.OPEN
                and stored.claims_open <= on
            ):
                awaiting.append(track)
                continue
        tracks.append(track)

    evaluation = evaluate(version=context.version, as_of=on, store=False)
    base = base_standings_on(on=on, tracks=tracks)
    rows: list[Standing] = []
    kept_frozen = kept_provisional = promoted = 0
    seen: set[tuple[int, str]] = set()
    label = f"{definition.program} {definition.version}"
    for partner_row, result in evaluation.results:
        for track in tracks:
            seen.add((partner_row.id, track))
            track_result = result.tracks.get(track)
            enrolled = track_result is not None and track_result.active
            current = base.get((partner_row.id, track))
            if current is not None and current.status == Standing.Status.PROVISIONAL:
                kept_provisional += 1
                continue
            tier: str | None = None
            rule = None
            qualified = None
            if enrolled and track_result is not None:
                qualified = track_result.qualified_tier
                tier, rule = rules.apply_grandfathering(
                    definition,
                    previous_tier=partner_row.previous_tier or None,
                    qualified_tier=qualified,
                    as_of=on,
                )
            tr_en, tr_fr = track_text(definition, track), track_text(definition, track, "fr")
            frozen = (
                current is not None
                and current.frozen_until is not None
                and on < current.frozen_until
            )
            if frozen:
                assert current is not None
                cycle = cycles.get(current.cycle_id) if current.cycle_id else None
                allowed = cycle.promotions_during_freeze if cycle is not None else False
                higher = rank(definition, tier) > rank(definition, current.tier)
                if not (allowed and higher):
                    kept_frozen += 1
                    continue
                en = (
                    f"Promoted during the freeze: qualifies for {tier_text(definition, tier)} "
                    f"in {tr_en} on {on} ({label}); frozen {until_text(current.frozen_until)}."
                )
                fr = (
                    f"Promotion pendant le gel : critères {tier_text(definition, tier, 'fr')} "
                    f"remplis en {tr_fr} au {on} ({label}) ; niveau gelé "
                    f"{until_text(current.frozen_until, 'fr')}."
                )
                rows.append(
                    Standing(
                        partner_id=partner_row.id,
                        track=track,
                        tier=tier or "",
                        status=Standing.Status.FROZEN,
                        valid_from=on,
                        frozen_until=current.frozen_until,
                        reason=en,
                        reason_detail={
                            "text": {"en": en, "fr": fr},
                            "qualified": qualified,
                            "promoted_from": current.tier,
                        },
                        program_version=context.version,
                        cycle_id=current.cycle_id,
                        decided_by=SYSTEM_REFRESH,
                    )
                )
                promoted += 1
                continue
            if tier is None:
                if current is None or not current.tier:
                    continue
                status = Standing.Status.LAPSED
            elif rule is not None:
                status = Standing.Status.GRANDFATHERED
            else:
                status = Standing.Status.QUALIFIED
            if current is not None and (current.tier, current.status) == (tier or "", status):
                continue
            gf_until = rule.until + ONE_DAY if rule and rule.until else None
            if tier is None:
                en = f"No tier in {tr_en} on {on}: not enrolled, or the track is not in effect."
                fr = f"Aucun niveau en {tr_fr} au {on} : pas d'inscription au parcours."
            elif rule is not None:
                en = (
                    f"{tier_text(definition, tier)} kept by grandfathering (qualifies for "
                    f"{tier_text(definition, qualified)} in {tr_en} on {on}, {label}); "
                    f"grandfathered {until_text(gf_until)}."
                )
                fr = (
                    f"{tier_text(definition, tier, 'fr')} maintenu (critères "
                    f"{tier_text(definition, qualified, 'fr')} remplis en {tr_fr} au {on}, "
                    f"{label}) ; maintenu {until_text(gf_until, 'fr')}."
                )
            else:
                en = f"Qualifies for {tier_text(definition, tier)} in {tr_en} on {on} ({label})."
                fr = (
                    f"Critères {tier_text(definition, tier, 'fr')} remplis en {tr_fr} au {on} "
                    f"({label})."
                )
            rows.append(
                Standing(
                    partner_id=partner_row.id,
                    track=track,
                    tier=tier or "",
                    status=status,
                    valid_from=on,
                    grandfathered_until=gf_until,
                    reason=en,
                    reason_detail={"text": {"en": en, "fr": fr}, "qualified": qualified},
                    program_version=context.version,
                    decided_by=SYSTEM_REFRESH,
                )
            )
    # standings of partners no longer assessed (terminated, merged): lapsed outside a freeze
    for (pid, track), current in base.items():
        if (pid, track) in seen or not current.tier or current.priority:
            continue
        if current.status == Standing.Status.PROVISIONAL or (
            current.frozen_until is not None and on < current.frozen_until
        ):
            continue
        en = f"No tier in {track_text(definition, track)} on {on}: the partner is not assessed."
        fr = f"Aucun niveau en {track_text(definition, track, 'fr')} au {on}."
        rows.append(
            Standing(
                partner_id=pid,
                track=track,
                tier="",
                status=Standing.Status.LAPSED,
                valid_from=on,
                reason=en,
                reason_detail={"text": {"en": en, "fr": fr}},
                program_version=context.version,
                decided_by=SYSTEM_REFRESH,
            )
        )

    if not rows:
        return RefreshResult(
            on=on,
            version=context.version.version,
            written=0,
            changed=0,
            promoted=0,
            kept_frozen=kept_frozen,
            kept_provisional=kept_provisional,
            tracks_awaiting_settlement=awaiting,
            run=None,
        )
    notices: list[Notice] = []
    changed = 0
    with transaction.atomic():
        run = evaluation_store(evaluation)
        assessments = dict(Assessment.objects.filter(run=run).values_list("partner_id", "id"))
        for row in rows:
            row.assessment_id = assessments.get(row.partner_id)
        standings_create(rows, actor=actor, before=dict(base))
        partner_ids = sorted({r.partner_id for r in rows})
        plan = overall_plan(
            partner_ids=partner_ids, on=on, program=definition, decided_by=SYSTEM_REFRESH
        )
        standings_create(plan.rows, actor=actor, before=plan.before)
        partners = Partner.objects.in_bulk(partner_ids)
        counts: Counter[str] = Counter()
        for row in rows:
            old = base.get((row.partner_id, row.track))
            if (old.tier if old else "") == row.tier:
                continue
            changed += 1
            counts[row.tier or "none"] += 1
            text = row.reason_detail["text"]
            was_en = tier_text(definition, old.tier if old else None)
            was_fr = tier_text(definition, old.tier if old else None, "fr")
            notices.append(
                Notice(
                    partner=partners[row.partner_id],
                    kind="standing_changed",
                    subject={
                        "en": f"Your tier in {track_text(definition, row.track)}: "
                        f"{tier_text(definition, row.tier or None)} (was {was_en})",
                        "fr": f"Votre niveau en {track_text(definition, row.track, 'fr')} : "
                        f"{tier_text(definition, row.tier or None, 'fr')} (auparavant {was_fr})",
                    },
                    body={"en": text["en"], "fr": text["fr"]},
                    dedupe_key=f"standing_changed:{row.pk}",
                    on=on,
                )
            )
    notices_send(notices)
    return RefreshResult(
        on=on,
        version=context.version.version,
        written=len(rows) + len(plan.rows),
        changed=changed,
        promoted=promoted,
        kept_frozen=kept_frozen,
        kept_provisional=kept_provisional,
        tracks_awaiting_settlement=awaiting,
        run=run.pk,
    )
