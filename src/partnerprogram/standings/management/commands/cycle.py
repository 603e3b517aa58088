"""``partnerprogram cycle status|settle|sync|risks --program KEY [--at DATETIME] [--simulate]
[--track TRACK] [--format text|json]``.

- ``status``: every cycle the program versions define, its phase at ``--at`` (default now, any
  instant) and its claims by status. Reads only.
- ``sync``: store the cycles of the versions in force (idempotent).
- ``settle``: settle every cycle whose deadline has passed at ``--at`` (``--track``: only the
  cycle covering that track). Idempotent: a settled cycle prints its stored result.
- ``risks``: notify the partners whose pending claim would not be confirmed (60, 30 and 7 days
  before the deadline) and those whose expiring credentials would drop them below their tier
  by the deadline (``standings.services.risks``). Each notice is sent once; run it daily.

``sync``, ``settle`` and ``risks`` write: they refuse an ``--at`` later than now (exit code 2)
unless ``--simulate`` (act as if it were ``--at``: scenarios, demos and tests on a throw-away
database).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from partnerprogram.core.cli_output import to_json, to_table
from partnerprogram.core.periods import end_of_day
from partnerprogram.programs.selectors import program_definition
from partnerprogram.standings.management.commands._options import (
    add_simulate,
    instant_not_future,
    parse_instant,
    program_option,
    run,
    user_option,
    zone_of,
)
from partnerprogram.standings.selectors import cycles_list
from partnerprogram.standings.services.common import ONE_DAY, local_date
from partnerprogram.standings.services.cycles import (
    cycle_tracks,
    cycles_plan,
    cycles_sync,
)
from partnerprogram.standings.services.risks import risks_notify
from partnerprogram.standings.services.settlement import cycle_settle


def _phase(
    *, at: datetime, opens: datetime, deadline: datetime, settled: bool, freeze_end: datetime
) -> str:
    if settled:
        return "settled, frozen" if at < freeze_end else "settled, freeze over"
    if at < opens:
        return "not open yet"
    if at < deadline:
        return "claims open"
    return "awaiting settlement"


class Command(BaseCommand):
    help = "Claims cycles: status, sync (store them from the versions), settle."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["status", "settle", "sync", "risks"])
        parser.add_argument("--program", help="program key, e.g. pex-fr")
        parser.add_argument(
            "--at",
            help="instant, ISO 8601 (default now; without offset: program time zone); sync, "
            "settle and risks: not later than now unless --simulate",
        )
        add_simulate(parser)
        parser.add_argument("--track", help="settle: only the cycle covering this track")
        parser.add_argument("--by", help="acting user (default: system:settlement for settle)")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        program = program_option(options["program"])
        zone = zone_of(program)
        at = parse_instant(options["at"], zone=zone)
        action = options["action"]
        if action != "status":  # status reads only: any instant
            instant_not_future(at, simulate=options["simulate"], what=f"cycle {action}")
        if action == "status":
            data = self._status(program, at)
        elif action == "sync":
            actor = f"user:{user_option(options['by'])}"
            synced = run(lambda: cycles_sync(program=program, on=local_date(at, zone), actor=actor))
            data = {
                "program": program,
                "at": at.isoformat(),
                "cycles": [
                    {
                        "track": s.cycle.track or None,
                        "claims_open": s.cycle.claims_open.isoformat(),
                        "claim_deadline": s.cycle.claim_deadline.isoformat(),
                        "frozen_through": (s.cycle.freeze_until - ONE_DAY).isoformat(),
                        "version": s.cycle.program_version.version,
                        "sync": s.status,
                    }
                    for s in synced
                ],
            }
        elif action == "risks":
            report = run(lambda: risks_notify(program=program, at=at))
            data = {
                "program": program,
                "at": at.isoformat(),
                "on": report.on.isoformat(),
                "probation": report.probation,
                "credential_expiry": report.credential_expiry,
                "sent": report.sent,
            }
        else:
            actor = f"user:{options['by']}" if options["by"] else "system:settlement"
            settlements = run(
                lambda: cycle_settle(program=program, at=at, actor=actor, track=options["track"])
            )
            data = {
                "program": program,
                "at": at.isoformat(),
                "settlements": [{"written": s.created, **s.result} for s in settlements],
            }
        if options["format"] == "json":
            self.stdout.write(to_json(data))
        else:
            self.stdout.write(self._text(action, data))

    def _status(self, program: str, at: datetime) -> dict[str, Any]:
        stored = {(c.track, c.claims_open): c for c in cycles_list(program=program)}
        plans = run(lambda: cycles_plan(program=program))
        rows = []
        keys = sorted(
            {(p.track, p.claims_open) for p in plans} | set(stored),
            key=lambda k: (k[1], k[0]),
        )
        by_key = {(p.track, p.claims_open): p for p in plans}
        for key in keys:
            cycle = stored.get(key)
            plan = by_key.get(key)
            if cycle is not None:
                deadline, freeze_until, tz = (
                    cycle.claim_deadline,
                    cycle.freeze_until,
                    cycle.timezone,
                )
                version = cycle.program_version
                promotions = cycle.promotions_during_freeze
            else:
                assert plan is not None
                deadline, freeze_until, tz = plan.claim_deadline, plan.freeze_until, plan.timezone
                version = plan.version
                promotions = plan.promotions_during_freeze
            settled = cycle is not None and cycle.status == "settled"
            opens = end_of_day(key[1] - ONE_DAY, tz)
            deadline_at = end_of_day(deadline, tz)
            freeze_end = end_of_day(freeze_until - ONE_DAY, tz)
            rows.append(
                {
                    "track": key[0] or None,
                    "tracks": cycle_tracks(program_definition(version), key[0]),
                    "claims_open": key[1].isoformat(),
                    "claim_deadline": deadline.isoformat(),
                    "deadline_at": deadline_at.isoformat(),
                    "frozen_through": (freeze_until - ONE_DAY).isoformat(),
                    "promotions_during_freeze": promotions,
                    "timezone": tz,
                    "version": version.version,
                    "stored": cycle is not None,
                    "status": cycle.status if cycle is not None else "not stored",
                    "phase": _phase(
                        at=at,
                        opens=opens,
                        deadline=deadline_at,
                        settled=settled,
                        freeze_end=freeze_end,
                    ),
                    "settled_at": (
                        cycle.settled_at.isoformat() if cycle and cycle.settled_at else None
                    ),
                    "run": cycle.run_id if cycle is not None else None,
                    "claims": dict(sorted(getattr(cycle, "claim_counts", {}).items())),
                }
            )
        return {"program": program, "at": at.isoformat(), "cycles": rows}

    def _text(self, action: str, data: dict[str, Any]) -> str:
        head = f"{data['program']} at {data['at']}\n\n"
        if action == "status":
            return head + to_table(
                [
                    "cycle",
                    "tracks",
                    "claims open",
                    "deadline",
                    "frozen through",
                    "version",
                    "phase",
                    "claims",
                ],
                [
                    [
                        c["track"] or "program",
                        " ".join(c["tracks"]),
                        c["claims_open"],
                        f"{c['claim_deadline']} (ends {c['deadline_at']})",
                        c["frozen_through"],
                        c["version"],
                        c["phase"],
                        ", ".join(f"{k} {v}" for k, v in c["claims"].items()) or "-",
                    ]
                    for c in data["cycles"]
                ],
            )
        if action == "sync":
            return head + to_table(
                ["cycle", "claims open", "deadline", "frozen through", "version", "sync"],
                [
                    [
                        c["track"] or "program",
                        c["claims_open"],
                        c["claim_deadline"],
                        c["frozen_through"],
                        c["version"],
                        c["sync"],
                    ]
                    for c in data["cycles"]
                ],
            )
        if action == "risks":
            lines = [
                head.rstrip("\n"),
                f"claims at risk: {len(data['probation'])}, credential expiry risks: "
                f"{len(data['credential_expiry'])}, notices sent now: {data['sent']}",
            ]
            for r in data["probation"]:
                lines.append(
                    f"  {r['partner']} {r['track']}: claims {r['claimed']}, qualifies for "
                    f"{r['qualifies_for'] or 'no tier'} ({r['days_left']} days left): "
                    + "; ".join(r["missing"])
                )
            for r in data["credential_expiry"]:
                lines.append(
                    f"  {r['partner']} {r['track']}: {r['tier']} -> {r['projected'] or 'no tier'}"
                    f" on {r['deadline']}, expiring: {', '.join(r['credentials'])}"
                )
            return "\n".join(lines) + "\n"
        lines = [head.rstrip("\n")]
        for s in data["settlements"]:
            cycle = s["cycle"]
            state = "settled now" if s["written"] else f"already settled at {s['settled_at']}"
            lines.append(
                f"\n{cycle['track'] or 'program'} cycle {cycle['claims_open']}.."
                f"{cycle['claim_deadline']}: {state} (version {s['version']}, run {s['run']})"
            )
            lines.append(
                f"  standings from {s['standings_from']}, frozen through "
                f"{cycle['frozen_through']}; {s['partners']} partners, {s['changed']} changes; "
                f"claims confirmed {s['claims']['confirmed']}, lowered {s['claims']['lowered']}"
            )
            for track, counts in s["by_track"].items():
                lines.append(f"  {track}: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
            overall = s["overall"]
            lines.append(
                "  overall: " + ", ".join(f"{t} {n}" for t, n in overall["by_tier"].items())
            )
        return "\n".join(lines) + "\n"
