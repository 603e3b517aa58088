"""Claims across partners, with their risk before the deadline."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from partnerprogram.accounts.access import vendor_staff_required
from partnerprogram.console.forms import ClaimFilterForm
from partnerprogram.console.labels import CLAIM_STATUS, label
from partnerprogram.console.selectors.claims import (
    CLAIM_EXPORT_COLUMNS,
    claim_export_rows,
    claims_list,
)
from partnerprogram.console.views.common import (
    as_of,
    is_htmx,
    paginate,
    program_for,
    vary_on_htmx,
)
from partnerprogram.core.exports import export_format, export_response

PER_PAGE = 25


@vendor_staff_required  # type: ignore[arg-type]  # an export is a streaming response
@require_GET
def claims(request: HttpRequest) -> HttpResponseBase:
    """Claims of the program, filtered (status, track, tier, at risk, search), paged;
    ``?format=csv|xlsx`` downloads them all."""
    on, _on_form = as_of(request)
    program = program_for(request, on)
    form = ClaimFilterForm(request.GET, program=program)
    if program is None:
        return render(request, "console/claims.html", {"form": form, "program": None})
    found = claims_list(program=program, filters=form.filters())
    fmt = export_format(request.GET.get("format"))
    if fmt is not None:
        return export_response(
            claim_export_rows(found),
            [str(h) for h in CLAIM_EXPORT_COLUMNS],
            filename=f"claims-{on.isoformat()}",
            fmt=fmt,
        )
    page = paginate(request, found.claims, PER_PAGE)
    rows = [
        {
            "claim": c,
            "track_label": program.track_label(c.track),
            "tier_label": program.tier_label(c.tier),
            "outcome_label": program.tier_label(c.outcome_tier),
            "status_label": label(CLAIM_STATUS, c.status),
            "risk": found.risks.get(c.pk),
            "assessed_label": program.tier_label(
                found.risks[c.pk].assessed_tier if c.pk in found.risks else None
            ),
        }
        for c in page.object_list
    ]
    context = {"form": form, "program": program, "page": page, "rows": rows}
    template = "console/partials/claims_results.html" if is_htmx(request) else "console/claims.html"
    return vary_on_htmx(render(request, template, context))
