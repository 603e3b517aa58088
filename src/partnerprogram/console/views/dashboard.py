"""The console dashboard."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from partnerprogram.accounts.access import vendor_staff_required
from partnerprogram.console.selectors.approvals import pending_counts
from partnerprogram.console.selectors.dashboard import dashboard_compute
from partnerprogram.console.views.common import as_of, program_for


@vendor_staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Partners, activity, tier distribution, indirect share over time, CCSP, claims pending
    and at risk, approvals waiting; as of ``?on=`` (default today)."""
    on, on_form = as_of(request)
    program = program_for(request, on)
    context = {
        "data": dashboard_compute(on=on, program=program),
        "on_form": on_form,
        "waiting": pending_counts(),
    }
    return render(request, "console/dashboard.html", context)
