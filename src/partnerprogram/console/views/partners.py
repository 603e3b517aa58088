"""The partner directory and the partner page (360° view and staff actions)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from partnerprogram.accounts.access import vendor_staff_required
from partnerprogram.console.forms import AsOfForm, DirectoryFilterForm, OverrideForm
from partnerprogram.console.programs import ProgramView
from partnerprogram.console.selectors.directory import (
    DIRECTORY_EXPORT_COLUMNS,
    countries,
    directory_export_rows,
    directory_row,
    partner_directory,
)
from partnerprogram.console.selectors.partner import enrolled_tracks, partner_360, partner_get
from partnerprogram.console.views.common import (
    actor,
    as_of,
    is_htmx,
    paginate,
    program_for,
    require_perm,
    vary_on_htmx,
)
from partnerprogram.core.exports import export_format, export_response
from partnerprogram.partners.models import Partner
from partnerprogram.standings.errors import StandingsError
from partnerprogram.standings.services import override_grant


@vendor_staff_required  # type: ignore[arg-type]  # an export is a streaming response
@require_GET
def partners(request: HttpRequest) -> HttpResponseBase:
    """Search, filter, sort and page through partners; ``?format=csv|xlsx`` downloads every
    partner matching the same filters."""
    on, on_form = as_of(request)
    program = program_for(request, on)
    form = DirectoryFilterForm(request.GET, program=program, countries=countries())
    directory = partner_directory(on=on, program=program, filters=form.filters())
    fmt = export_format(request.GET.get("format"))
    if fmt is not None:
        return export_response(
            directory_export_rows(directory, on=on, program=program),
            [str(h) for h in DIRECTORY_EXPORT_COLUMNS],
            filename=f"partners-{on.isoformat()}",
            fmt=fmt,
        )
    page = paginate(request, directory.partners, form.page_size())
    context = {
        "form": form,
        "on": on,
        "on_form": on_form,
        "program": program,
        "page": page,
        "rows": [
            directory_row(p, on=on, program=program, at_risk=directory.at_risk)
            for p in page.object_list
        ],
        "sort": form.filters().sort,
    }
    template = (
        "console/partials/partners_results.html" if is_htmx(request) else "console/partners.html"
    )
    return vary_on_htmx(render(request, template, context))


def _partner_or_404(external_id: str) -> Partner:
    partner = partner_get(external_id=external_id)
    if partner is None:
        raise Http404(_("No partner with this external id."))
    return partner


def _partner_page(
    request: HttpRequest,
    partner: Partner,
    *,
    program: ProgramView | None,
    on_form: AsOfForm,
    on: date,
    override_form: OverrideForm | None = None,
    status: int = 200,
) -> HttpResponse:
    view = partner_360(partner=partner, on=on, program=program)
    if override_form is None:
        override_form = OverrideForm(
            program=program, tracks=view.enrolled_tracks, initial={"starts_on": on}
        )
    context = {"view": view, "on_form": on_form, "override_form": override_form}
    return render(request, "console/partner.html", context, status=status)


@vendor_staff_required
@require_GET
def partner(request: HttpRequest, external_id: str) -> HttpResponse:
    """One partner's 360° view with the staff actions (override, approvals)."""
    found = _partner_or_404(external_id)
    on, on_form = as_of(request)
    program = program_for(request, on)
    return _partner_page(request, found, program=program, on_form=on_form, on=on)


@vendor_staff_required
@require_POST
def partner_override(request: HttpRequest, external_id: str) -> HttpResponse:
    """Grant an override (``standings.services.override_grant``); refusals are shown on the
    form, nothing written."""
    require_perm(request, "console.override")
    found = _partner_or_404(external_id)
    on, on_form = as_of(request)
    program = program_for(request, on)
    tracks = enrolled_tracks(partner=found, on=on)
    form = OverrideForm(request.POST, program=program, tracks=tracks)
    if form.is_valid():
        try:
            override_grant(
                partner=found,
                track=form.cleaned_data["track"],
                tier=form.cleaned_data["tier"],
                reason=form.cleaned_data["reason"],
                approver=form.cleaned_data["approver"],
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.ends_on,
                actor=actor(request),
                program=program.key if program is not None else None,
            )
        except StandingsError as exc:
            form.add_error(None, _("Override refused: %(reason)s") % {"reason": exc})
        else:
            messages.success(
                request,
                _("Override granted: %(tier)s in %(track)s until %(until)s.")
                % {
                    "tier": program.tier_label(form.cleaned_data["tier"])
                    if program
                    else form.cleaned_data["tier"],
                    "track": program.track_label(form.cleaned_data["track"])
                    if program
                    else form.cleaned_data["track"],
                    "until": date_format(form.cleaned_data["until"]),
                },
            )
            target = reverse("console:partner", args=[found.external_id])
            if is_htmx(request):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return redirect(target)
    if is_htmx(request):
        return vary_on_htmx(
            render(
                request,
                "console/partials/override_form.html",
                {"override_form": form, "partner": found},
            )
        )
    return _partner_page(
        request, found, program=program, on_form=on_form, on=on, override_form=form
    )
