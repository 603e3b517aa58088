"""Console views: thin; vendor staff only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from partnerprogram.accounts.access import vendor_staff_required
from partnerprogram.reports.kpis import kpis_compute


@vendor_staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Partners, activity, tiers and shares as of today."""
    kpis = kpis_compute(as_of=timezone.localdate())
    return render(request, "console/dashboard.html", {"kpis": kpis})
