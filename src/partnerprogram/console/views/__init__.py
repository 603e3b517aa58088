"""Console views (/console/): thin; every view requires vendor staff
(``accounts.access.vendor_staff_required``); reads go through ``console.selectors``, writes
through ``console.services`` and ``standings.services``."""

from partnerprogram.console.views.approvals import approvals, influence_decide, registration_decide
from partnerprogram.console.views.claims import claims
from partnerprogram.console.views.dashboard import dashboard
from partnerprogram.console.views.imports import imports
from partnerprogram.console.views.partners import partner, partner_override, partners
from partnerprogram.console.views.simulation import (
    simulation,
    simulation_calibrate,
    simulation_draft,
    simulation_run,
)

__all__ = [
    "approvals",
    "claims",
    "dashboard",
    "imports",
    "influence_decide",
    "partner",
    "partner_override",
    "partners",
    "registration_decide",
    "simulation",
    "simulation_calibrate",
    "simulation_draft",
    "simulation_run",
]
