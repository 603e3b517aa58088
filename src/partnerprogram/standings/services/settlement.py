"""Settling a claims cycle after its deadline.

Stated rules (docs/lifecycle.md):

- Refused before the deadline instant (end of ``claim_deadline`` in the program zone).
- Idempotent: a settled cycle returns the result stored at its settlement and writes nothing.
- Atomic: one transaction, the cycle row locked (``select_for_update``); an error anywhere
  leaves nothing written (no run, no standing, no claim change, no audit event, no notice).
- The version in force on the deadline date is evaluated as of the deadline date with the
  engine (the run is stored). For every partner enrolled in a track the cycle covers, and in
  effect on the deadline: the decided tier is the qualified tier of the track, raised by
  grandfathering (the version's rules applied to the track's qualified tier).

  * with a claim: ``confirmed`` when the decided tier ranks at least the claimed tier (the
    standing is the decided tier, which may be above the claim); otherwise ``lowered`` to the
    decided tier, and the standing's reason lists the failed requirements of the claimed tier
    with the missing amounts;
  * without a claim: the decided tier.

  New standings start on the deadline + 1 day, are open-ended, ``frozen`` until
  ``add_months(deadline, freeze_months) + 1 day`` (status ``grandfathered`` when a rule kept
  the tier, with ``grandfathered_until`` = the rule's ``until`` + 1 day, else the end of the
  freeze), ``lapsed`` without a tier (a claimant or a standing holder no longer enrolled).
- Each claim gets a ``claim_settled`` notice; each standing whose tier differs from the one in
  effect on the deadline gets a ``standing_changed`` notice (sent after the transaction).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from partnerprogram.audit.services import AuditEntry, audit_record, audit_record_bulk
from partnerprogram.partners.models import Partner
from partnerprogram.programs import rules
from partnerprogram.programs.engine import evaluate
from partnerprogram.programs.models import Assessment
from partnerprogram.programs.schema import GrandfatherRule, Program
from partnerprogram.standings.errors import SettlementError
from partnerprogram.standings.models import OVERALL, SYSTEM_SETTLEMENT, Claim, Cycle, Standing
from partnerprogram.standings.selectors import standing_summary
from partnerprogram.standings.services.common import (
    ONE_DAY,
    Notice,
    base_standings_on,
    local_date,
    notices_send,
    overall_plan,
    program_at,
    program_key_resolve,
    program_zone,
    rank,
    standings_create,
    tier_text,
    track_text,
    until_text,
)
from partnerprogram.standings.services.cycles import cycle_tracks, cycles_sync


@dataclass(frozen=True)
class Settlement:
    """A settled cycle and its stored result; ``created`` is False when the cycle was already
    settled and nothing was written."""

    cycle: Cycle
    result: dict[str, Any]
    created: bool


@dataclass(frozen=True)
class Decision:
    """The outcome for one partner in one track (pure: computed from the assessment)."""

    tier: str | None
    qualified: str | None
    rule: GrandfatherRule | None
    claim_status: str | None  # confirmed / lowered / None without a claim
    failed: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)


def cycle_settle(
    *,
    program: str | None = None,
    at: datetime | None = None,
    actor: str = SYSTEM_SETTLEMENT,
    track: str | None = None,
) -> list[Settlement]:
    """Settle every cycle of ``program`` whose deadline has passed at ``at`` (default: now);
    with ``track`` only the cycle covering that track. Cycles already settled return their
    stored result (``created`` False). Each cycle is settled in its own transaction, in
    deadline order; notices are sent after each transaction.

    Raises ``SettlementError`` when no cycle is due (the message gives the next deadline) or
    when the cycle of ``track`` has not reached its deadline.
    """
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise ValueError("`at` must be an aware datetime")
    key = program_key_resolve(program)
    zone = program_zone(key)
    on = local_date(at, zone)
    with transaction.atomic():  # a refused settlement leaves no synced cycle behind
        due = _due(program=key, at=at, on=on, actor=actor, track=track)
    out = []
    for cycle in due:
        settlement, notices = _settle(cycle_id=cycle.pk, at=at, actor=actor)
        notices_send(notices)
        out.append(settlement)
    return out


def _due(*, program: str, at: datetime, on: date, actor: str, track: str | None) -> list[Cycle]:
    """The cycles to settle (or return) at ``at``, after syncing them from the versions."""
    key = program
    cycles_sync(program=key, on=on, actor=actor)
    cycles = list(
        Cycle.objects.select_related("program")
        .filter(program__key=key)
        .order_by("claim_deadline", "track")
    )
    if track is not None:
        known = program_at(program=key, on=on).program.track_keys
        if track not in known:
            raise SettlementError(
                f"cannot settle track {track!r} of {key}: unknown track (tracks: "
                f"{', '.join(sorted(known))})"
            )
        own = [c for c in cycles if c.track == track]
        cycles = own or [c for c in cycles if c.track == OVERALL]
        cycles = [c for c in cycles if c.claims_open <= on] or cycles[:1]
        if not cycles:
            raise SettlementError(f"{key} has no claims cycle for track {track!r}")
        latest = cycles[-1]
        if at < latest.deadline_at:
            raise SettlementError(
                f"cannot settle the {latest.label} at {at.isoformat()}: its claim deadline "
                f"{latest.claim_deadline} ends at {latest.deadline_at.isoformat()} "
                f"({latest.timezone}); settlement runs after the deadline"
            )
        cycles = [latest]
    due = [c for c in cycles if c.deadline_at <= at]
    if not due:
        upcoming = [c for c in cycles if c.deadline_at > at]
        nxt = (
            f"; the next deadline is {upcoming[0].claim_deadline} for the {upcoming[0].label} "
            f"(ends at {upcoming[0].deadline_at.isoformat()})"
            if upcoming
            else ""
        )
        raise SettlementError(
            f"no cycle of {key} has reached its deadline at {at.isoformat()}{nxt}"
        )
    return due


def _decide(
    program: Program,
    *,
    track: str,
    result: rules.TrackResult,
    previous_tier: str | None,
    as_of: date,
    claim: Claim | None,
) -> Decision:
    """The tier decided for one partner in one track (see the module's rules)."""
    qualified = result.qualified_tier
    tier, rule = rules.apply_grandfathering(
        program, previous_tier=previous_tier, qualified_tier=qualified, as_of=as_of
    )
    notes: list[dict[str, str]] = []
    for candidate in program.grandfathering:
        if (
            previous_tier == candidate.for_.was
            and candidate is not rule
            and (candidate.until is None or as_of <= candidate.until)
            and candidate.while_qualifying_for is not None
            and rank(program, qualified) < program.tier_rank(candidate.while_qualifying_for)
            and rank(program, candidate.keep) > rank(program, tier)
        ):
            need_en = tier_text(program, candidate.while_qualifying_for)
            need_fr = tier_text(program, candidate.while_qualifying_for, "fr")
            notes.append(
                {
                    "en": f"grandfathering keeps {tier_text(program, candidate.keep)} only "
                    f"while qualifying for {need_en}",
                    "fr": f"le maintien des acquis {tier_text(program, candidate.keep, 'fr')} "
                    f"exige de remplir les critères {need_fr}",
                }
            )
    if claim is None:
        return Decision(tier=tier, qualified=qualified, rule=rule, claim_status=None, notes=notes)
    if rank(program, tier) >= rank(program, claim.tier):
        return Decision(
            tier=tier,
            qualified=qualified,
            rule=rule,
            claim_status=Claim.Status.CONFIRMED,
            notes=notes,
        )
    failed: list[dict[str, Any]] = []
    claimed = next((t for t in result.tiers if t.tier == claim.tier), None)
    if claimed is None or not claimed.offered:
        notes.append(
            {
                "en": f"{tier_text(program, claim.tier)} is not offered in this track",
                "fr": f"{tier_text(program, claim.tier, 'fr')} n'est pas proposé dans ce parcours",
            }
        )
    elif claimed.requirement is not None:
        for s in rules.shortfalls(claimed.requirement, currency=program.currency):
            failed.append(
                {
                    "kind": s.kind,
                    "path": s.path,
                    "metric": s.metric,
                    "value": _num(s.value),
                    "threshold": _num(s.threshold),
                    "missing": _num(s.missing),
                    "text": s.text.to_dict(),
                }
            )
    return Decision(
        tier=tier,
        qualified=qualified,
        rule=rule,
        claim_status=Claim.Status.LOWERED,
        failed=failed,
        notes=notes,
    )


def _num(value: Any) -> Any:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _texts(
    program: Program,
    *,
    track: str,
    decision: Decision,
    claim: Claim | None,
    as_of: date,
    frozen_until: date | None,
    grandfathered_until: date | None,
) -> dict[str, str]:
    """The standing's reason in English and French."""
    t_en, t_fr = tier_text(program, decision.tier), tier_text(program, decision.tier, "fr")
    tr_en, tr_fr = track_text(program, track), track_text(program, track, "fr")
    label = f"{program.program} {program.version}"
    if decision.rule is not None:
        rule_name = decision.rule.id or f"keep {decision.rule.keep}"
        basis_en = (
            f"{t_en} kept by grandfathering (rule {rule_name}; qualifies for "
            f"{tier_text(program, decision.qualified)}) on {as_of} ({label}); grandfathered "
            f"{until_text(grandfathered_until)}"
        )
        basis_fr = (
            f"{t_fr} maintenu par maintien des acquis (règle {rule_name} ; critères "
            f"{tier_text(program, decision.qualified, 'fr')} remplis) au {as_of} ({label}) ; "
            f"maintenu {until_text(grandfathered_until, 'fr')}"
        )
    elif decision.tier is None:
        basis_en = f"qualifies for no tier in {tr_en} on {as_of} ({label})"
        basis_fr = f"aucun niveau atteint en {tr_fr} au {as_of} ({label})"
    else:
        basis_en = f"qualifies for {t_en} in {tr_en} on {as_of} ({label})"
        basis_fr = f"critères {t_fr} remplis en {tr_fr} au {as_of} ({label})"
    if claim is None:
        en, fr = basis_en[:1].upper() + basis_en[1:], basis_fr[:1].upper() + basis_fr[1:]
    elif decision.claim_status == Claim.Status.CONFIRMED:
        c_en = tier_text(program, claim.tier)
        c_fr = tier_text(program, claim.tier, "fr")
        en = f"Claim for {c_en} confirmed: {basis_en}"
        fr = f"Candidature {c_fr} confirmée : {basis_fr}"
    else:
        c_en, c_fr = tier_text(program, claim.tier), tier_text(program, claim.tier, "fr")
        missing_en = "; ".join(f["text"]["en"] for f in decision.failed)
        missing_fr = " ; ".join(f["text"]["fr"] for f in decision.failed)
        notes_en = "; ".join(n["en"] for n in decision.notes)
        notes_fr = " ; ".join(n["fr"] for n in decision.notes)
        what_en = "; ".join(x for x in (missing_en, notes_en) if x) or "requirements not met"
        what_fr = " ; ".join(x for x in (missing_fr, notes_fr) if x) or "critères non remplis"
        en = (
            f"Claim for {c_en} lowered to {t_en}: missing for {c_en} on {as_of}: {what_en}; "
            f"{basis_en}"
        )
        fr = (
            f"Candidature {c_fr} ramenée à {t_fr} : manque pour {c_fr} au {as_of} : "
            f"{what_fr} ; {basis_fr}"
        )
    if frozen_until is not None and decision.tier is not None:
        en += f". Frozen {until_text(frozen_until)}."
        fr += f". Niveau gelé {until_text(frozen_until, 'fr')}."
    else:
        en += "."
        fr += "."
    return {"en": en, "fr": fr}


def _lapsed_texts(program: Program, *, track: str, as_of: date, why: str) -> dict[str, str]:
    tr_en, tr_fr = track_text(program, track), track_text(program, track, "fr")
    if why == "claim":
        return {
            "en": f"No tier in {tr_en}: the partner is not enrolled in the track, or the track "
            f"is not in effect, on the deadline {as_of}; the claim cannot be confirmed.",
            "fr": f"Aucun niveau en {tr_fr} : le partenaire n'est pas inscrit dans ce parcours, "
            f"ou le parcours n'est pas en vigueur, à la date limite du {as_of}.",
        }
    return {
        "en": f"No tier in {tr_en}: the partner is not enrolled in the track, or the track is "
        f"not in effect, on the deadline {as_of}.",
        "fr": f"Aucun niveau en {tr_fr} : le partenaire n'est pas inscrit dans ce parcours, ou "
        f"le parcours n'est pas en vigueur, à la date limite du {as_of}.",
    }


def _settle(*, cycle_id: int, at: datetime, actor: str) -> tuple[Settlement, list[Notice]]:
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().select_related("program").get(pk=cycle_id)
        if cycle.status == Cycle.Status.SETTLED:
            return Settlement(cycle=cycle, result=cycle.result, created=False), []
        if at < cycle.deadline_at:
            raise SettlementError(
                f"cannot settle the {cycle.label} at {at.isoformat()}: the deadline ends at "
                f"{cycle.deadline_at.isoformat()}"
            )
        deadline = cycle.claim_deadline
        context = program_at(program=cycle.program.key, on=deadline)
        program = context.program
        evaluation = evaluate(version=context.version, as_of=deadline, store=True)
        run = evaluation.run
        assert run is not None
        assessment_ids = dict(Assessment.objects.filter(run=run).values_list("partner_id", "id"))
        tracks = cycle_tracks(program, cycle.track)
        valid_from = deadline + ONE_DAY
        frozen_until = cycle.freeze_until if cycle.freeze_months > 0 else None
        claims = {
            (c.partner_id, c.track): c
            for c in Claim.objects.select_for_update().filter(
                cycle=cycle, status=Claim.Status.PENDING
            )
        }
        before = base_standings_on(on=deadline, tracks=[*tracks, OVERALL])

        rows: list[Standing] = []
        decided: list[tuple[Standing, Claim | None, Decision | None]] = []
        covered: set[tuple[int, str]] = set()
        for partner_row, assessed in evaluation.results:
            for track in tracks:
                track_result = assessed.tracks.get(track)
                if track_result is None or not track_result.active:
                    continue
                covered.add((partner_row.id, track))
                claim = claims.get((partner_row.id, track))
                decision = _decide(
                    program,
                    track=track,
                    result=track_result,
                    previous_tier=partner_row.previous_tier or None,
                    as_of=deadline,
                    claim=claim,
                )
                if decision.tier is None:
                    status = Standing.Status.LAPSED
                elif decision.rule is not None:
                    status = Standing.Status.GRANDFATHERED
                elif frozen_until is not None:
                    status = Standing.Status.FROZEN
                else:
                    status = Standing.Status.QUALIFIED
                gf_until = None
                if decision.rule is not None:
                    gf_until = (
                        decision.rule.until + ONE_DAY
                        if decision.rule.until is not None
                        else frozen_until
                    )
                row_frozen = frozen_until if decision.tier is not None else None
                text = _texts(
                    program,
                    track=track,
                    decision=decision,
                    claim=claim,
                    as_of=deadline,
                    frozen_until=row_frozen,
                    grandfathered_until=gf_until,
                )
                row = Standing(
                    partner_id=partner_row.id,
                    track=track,
                    tier=decision.tier or "",
                    status=status,
                    valid_from=valid_from,
                    valid_until=None,
                    frozen_until=row_frozen,
                    grandfathered_until=gf_until,
                    priority=0,
                    reason=text["en"],
                    reason_detail={
                        "text": text,
                        "as_of": deadline.isoformat(),
                        "qualified": decision.qualified,
                        "claimed": claim.tier if claim else None,
                        "claim_status": decision.claim_status,
                        "grandfathering_rule": (
                            (decision.rule.id or program.grandfathering.index(decision.rule))
                            if decision.rule is not None
                            else None
                        ),
                        "failed": decision.failed,
                        "notes": decision.notes,
                    },
                    program_version=context.version,
                    assessment_id=assessment_ids.get(partner_row.id),
                    cycle=cycle,
                    claim=claim,
                    decided_by=SYSTEM_SETTLEMENT,
                )
                rows.append(row)
                decided.append((row, claim, decision))

        # claimants and standing holders the evaluation does not cover any more: lapsed
        orphans = {k for k in claims if k not in covered} | {
            k for k, s in before.items() if k[1] != OVERALL and s.tier and k not in covered
        }
        for partner_id, track in sorted(orphans):
            claim = claims.get((partner_id, track))
            text = _lapsed_texts(
                program, track=track, as_of=deadline, why="claim" if claim else "standing"
            )
            row = Standing(
                partner_id=partner_id,
                track=track,
                tier="",
                status=Standing.Status.LAPSED,
                valid_from=valid_from,
                reason=text["en"],
                reason_detail={
                    "text": text,
                    "as_of": deadline.isoformat(),
                    "claimed": claim.tier if claim else None,
                },
                program_version=context.version,
                assessment_id=assessment_ids.get(partner_id),
                cycle=cycle,
                claim=claim,
                decided_by=SYSTEM_SETTLEMENT,
            )
            rows.append(row)
            decided.append(
                (
                    row,
                    claim,
                    Decision(
                        tier=None,
                        qualified=None,
                        rule=None,
                        claim_status=Claim.Status.LOWERED if claim else None,
                    ),
                )
            )

        standings_create(rows, actor=actor, before=before)
        partner_ids = sorted({r.partner_id for r in rows})
        plan = overall_plan(
            partner_ids=partner_ids, on=valid_from, program=program, decided_by=SYSTEM_SETTLEMENT
        )
        standings_create(plan.rows, actor=actor, before=plan.before)

        partners = Partner.objects.in_bulk(partner_ids)
        notices: list[Notice] = []
        claim_counts: Counter[str] = Counter()
        settled_claims: list[Claim] = []
        claim_events: dict[str, list[AuditEntry]] = {}
        changed = 0
        for row, claim, outcome in decided:
            old = before.get((row.partner_id, row.track))
            partner = partners[row.partner_id]
            if claim is not None and outcome is not None:
                claim_status = Claim.Status(outcome.claim_status or Claim.Status.LOWERED)
                claim.status = claim_status
                claim.outcome_tier = row.tier
                claim.settled_at = at
                settled_claims.append(claim)
                claim_events.setdefault(claim_status, []).append(
                    (
                        claim,
                        {
                            "status": (Claim.Status.PENDING, claim_status),
                            "outcome_tier": ("", row.tier),
                        },
                        row.reason[:500],
                    )
                )
                claim_counts[claim_status] += 1
                notices.append(_claim_notice(program, claim, row, partner, deadline))
            if (old.tier if old else "") != row.tier:
                changed += 1
                notices.append(_change_notice(program, row, old, partner))
        # one UPDATE (per batch) for the claims and one INSERT per action for their events
        Claim.objects.bulk_update(
            settled_claims, ["status", "outcome_tier", "settled_at"], batch_size=500
        )
        for action, entries in sorted(claim_events.items()):
            audit_record_bulk(actor=actor, action=f"claim.{action}", entries=entries)

        by_track: dict[str, dict[str, int]] = {
            t: dict.fromkeys([*reversed(program.tier_keys), "none"], 0) for t in tracks
        }
        by_status: Counter[str] = Counter()
        for row in rows:
            by_track.setdefault(row.track, {}).setdefault(row.tier or "none", 0)
            by_track[row.track][row.tier or "none"] += 1
            by_status[row.status] += 1
        result: dict[str, Any] = {
            "program": cycle.program.key,
            "cycle": {
                "id": cycle.pk,
                "track": cycle.track or None,
                "tracks": tracks,
                "claims_open": cycle.claims_open.isoformat(),
                "claim_deadline": deadline.isoformat(),
                "deadline_at": cycle.deadline_at.isoformat(),
                "frozen_through": (
                    (cycle.freeze_until - ONE_DAY).isoformat() if frozen_until else None
                ),
                "promotions_during_freeze": cycle.promotions_during_freeze,
            },
            "version": context.version.version,
            "as_of": deadline.isoformat(),
            "run": run.pk,
            "settled_at": at.isoformat(),
            "settled_by": actor,
            "standings_from": valid_from.isoformat(),
            "partners": len(partner_ids),
            "by_track": by_track,
            "by_status": dict(sorted(by_status.items())),
            "claims": {
                "confirmed": claim_counts.get(Claim.Status.CONFIRMED, 0),
                "lowered": claim_counts.get(Claim.Status.LOWERED, 0),
            },
            "changed": changed,
            "overall": standing_summary(on=valid_from, program=cycle.program.key),
        }
        cycle.status = Cycle.Status.SETTLED
        cycle.settled_at = at
        cycle.settled_by = actor
        cycle.run = run
        cycle.result = result
        cycle.save(update_fields=["status", "settled_at", "settled_by", "run", "result"])
        audit_record(
            actor=actor,
            action="cycle.settled",
            obj=cycle,
            changes={"status": (Cycle.Status.OPEN, Cycle.Status.SETTLED), "run": (None, run.pk)},
            note=f"{len(rows)} standings, {changed} changes",
        )
    return Settlement(cycle=cycle, result=result, created=True), notices


def _claim_notice(
    program: Program, claim: Claim, row: Standing, partner: Partner, deadline: date
) -> Notice:
    c_en, c_fr = tier_text(program, claim.tier), tier_text(program, claim.tier, "fr")
    tr_en, tr_fr = track_text(program, claim.track), track_text(program, claim.track, "fr")
    text = row.reason_detail["text"]
    if claim.status == Claim.Status.CONFIRMED:
        subject = {
            "en": f"Claim confirmed: {c_en} ({tr_en})",
            "fr": f"Candidature confirmée : {c_fr} ({tr_fr})",
        }
    else:
        o_en = tier_text(program, row.tier or None)
        o_fr = tier_text(program, row.tier or None, "fr")
        subject = {
            "en": f"Claim for {c_en} ({tr_en}) lowered to {o_en}",
            "fr": f"Candidature {c_fr} ({tr_fr}) ramenée à {o_fr}",
        }
    return Notice(
        partner=partner,
        kind="claim_settled",
        subject=subject,
        body={"en": text["en"], "fr": text["fr"]},
        dedupe_key=f"claim_settled:{claim.pk}",
        on=deadline + ONE_DAY,
    )


def _change_notice(
    program: Program, row: Standing, old: Standing | None, partner: Partner
) -> Notice:
    tr_en, tr_fr = track_text(program, row.track), track_text(program, row.track, "fr")
    was_en = tier_text(program, old.tier if old else None)
    was_fr = tier_text(program, old.tier if old else None, "fr")
    now_en, now_fr = tier_text(program, row.tier or None), tier_text(program, row.tier, "fr")
    text = row.reason_detail.get("text", {"en": row.reason, "fr": row.reason})
    return Notice(
        partner=partner,
        kind="standing_changed",
        subject={
            "en": f"Your tier in {tr_en}: {now_en} (was {was_en})",
            "fr": f"Votre niveau en {tr_fr} : {now_fr} (auparavant {was_fr})",
        },
        body={"en": text["en"], "fr": text["fr"]},
        dedupe_key=f"standing_changed:{row.pk}",
        on=row.valid_from,
    )
