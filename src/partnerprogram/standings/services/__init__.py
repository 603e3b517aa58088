"""Writes of the program lifecycle, split by use case (``claims``, ``settlement``,
``overrides``, ``refresh``, ``baseline``, ``cycles``); shared helpers in ``common``."""

from partnerprogram.standings.services.baseline import standings_baseline
from partnerprogram.standings.services.claims import claim_file
from partnerprogram.standings.services.cycles import cycles_plan, cycles_sync
from partnerprogram.standings.services.overrides import override_grant
from partnerprogram.standings.services.refresh import standings_refresh
from partnerprogram.standings.services.settlement import cycle_settle

__all__ = [
    "claim_file",
    "cycle_settle",
    "cycles_plan",
    "cycles_sync",
    "override_grant",
    "standings_baseline",
    "standings_refresh",
]
