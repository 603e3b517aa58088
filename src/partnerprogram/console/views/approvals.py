"""Approvals: deal registrations and influence claims waiting for vendor staff."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from partnerprogram.accounts.access import vendor_staff_required
from partnerprogram.console.forms import ApprovalFilterForm, DecisionForm
from partnerprogram.console.labels import REGISTRATION_STATUS, label
from partnerprogram.console.selectors.approvals import (
    INFLUENCE_EXPORT_COLUMNS,
    REGISTRATION_EXPORT_COLUMNS,
    influence_claims_to_decide,
    influence_export_rows,
    influence_status,
    pending_counts,
    registration_export_rows,
    registrations_to_decide,
)
from partnerprogram.console.services import (
    DecisionError,
    deal_registration_decide,
    influence_claim_decide,
)
from partnerprogram.console.views.common import (
    actor,
    is_htmx,
    paginate,
    require_perm,
    safe_next,
    vary_on_htmx,
)
from partnerprogram.core.exports import export_format, export_response
from partnerprogram.sales.models import DealRegistration, PartnerInvolvement

PER_PAGE = 25


@vendor_staff_required  # type: ignore[arg-type]  # an export is a streaming response
@require_GET
def approvals(request: HttpRequest) -> HttpResponseBase:
    """Registrations (``?kind=registrations``, default) or influence claims
    (``?kind=influence``) waiting (``?state=pending``) or decided; ``?format=csv|xlsx``
    downloads the whole list."""
    form = ApprovalFilterForm(request.GET)
    filters = form.filters()
    fmt = export_format(request.GET.get("format"))
    filename = f"{filters.kind}-{filters.state}-{timezone.localdate().isoformat()}"
    rows: QuerySet[Any]
    if filters.kind == "influence":
        claims = influence_claims_to_decide(filters=filters)
        if fmt is not None:
            return export_response(
                influence_export_rows(claims),
                [str(h) for h in INFLUENCE_EXPORT_COLUMNS],
                filename=filename,
                fmt=fmt,
            )
        rows = claims
    else:
        registrations = registrations_to_decide(filters=filters)
        if fmt is not None:
            return export_response(
                registration_export_rows(registrations),
                [str(h) for h in REGISTRATION_EXPORT_COLUMNS],
                filename=filename,
                fmt=fmt,
            )
        rows = registrations
    page = paginate(request, rows, PER_PAGE)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "items": [_item(filters.kind, obj) for obj in page.object_list],
        "counts": pending_counts(),
    }
    template = (
        "console/partials/approvals_results.html" if is_htmx(request) else "console/approvals.html"
    )
    return vary_on_htmx(render(request, template, context))


def _item(kind: str, obj: object, form: DecisionForm | None = None) -> dict[str, object]:
    """What a row of the approvals table shows."""
    if kind == "influence":
        assert isinstance(obj, PartnerInvolvement)
        status, status_label = influence_status(obj)
        return {
            "kind": kind,
            "obj": obj,
            "status": status,
            "status_label": status_label,
            "pending": status == "pending",
            "form": form,
        }
    assert isinstance(obj, DealRegistration)
    return {
        "kind": kind,
        "obj": obj,
        "status": obj.status,
        "status_label": label(REGISTRATION_STATUS, obj.status),
        "pending": obj.status == DealRegistration.Status.SUBMITTED,
        "form": form,
    }


def _decided(
    request: HttpRequest, *, kind: str, obj: object, form: DecisionForm, message: str
) -> HttpResponse:
    """After a decision attempt: the row (htmx) or a redirect back to the list."""
    if is_htmx(request):
        return vary_on_htmx(
            render(
                request,
                "console/partials/approval_row.html",
                {"item": _item(kind, obj, form if form.errors else None), "message": message},
            )
        )
    if form.errors:
        for error in form.errors.values():
            messages.error(request, " ".join(str(e) for e in error))
    elif message:
        messages.success(request, message)
    default = reverse("console:approvals") + ("?kind=influence" if kind == "influence" else "")
    return redirect(safe_next(request, default))


@vendor_staff_required
@require_POST
def registration_decide(request: HttpRequest, external_id: str) -> HttpResponse:
    """Approve or reject one submitted deal registration
    (``console.services.deal_registration_decide``)."""
    require_perm(request, "console.approve")
    registration = (
        DealRegistration.objects.select_related("partner").filter(external_id=external_id).first()
    )
    if registration is None:
        raise Http404(_("No deal registration with this id."))
    form = DecisionForm(request.POST)
    message = ""
    if form.is_valid():
        try:
            registration = deal_registration_decide(
                registration=registration,
                approve=form.approve,
                reason=form.cleaned_data["reason"],
                actor=actor(request),
                on=timezone.localdate(),
            )
        except DecisionError as exc:
            form.add_error(None, _("Decision refused: %(reason)s") % {"reason": exc})
        else:
            message = (
                _("Deal registration %(id)s approved.")
                if form.approve
                else _("Deal registration %(id)s rejected.")
            ) % {"id": registration.external_id}
    return _decided(request, kind="registrations", obj=registration, form=form, message=message)


@vendor_staff_required
@require_POST
def influence_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Validate or reject one influence claim (``console.services.influence_claim_decide``)."""
    require_perm(request, "console.approve")
    involvement = (
        PartnerInvolvement.objects.select_related("partner", "opportunity__customer")
        .filter(pk=pk, role=PartnerInvolvement.Role.INFLUENCED)
        .first()
    )
    if involvement is None:
        raise Http404(_("No influence claim with this id."))
    form = DecisionForm(request.POST)
    message = ""
    if form.is_valid():
        try:
            involvement = influence_claim_decide(
                involvement=involvement,
                approve=form.approve,
                reason=form.cleaned_data["reason"],
                actor=actor(request),
                on=timezone.localdate(),
            )
        except DecisionError as exc:
            form.add_error(None, _("Decision refused: %(reason)s") % {"reason": exc})
        else:
            message = (
                _("Influence claim on %(opportunity)s validated.")
                if form.approve
                else _("Influence claim on %(opportunity)s rejected.")
            ) % {"opportunity": involvement.opportunity.external_id}
    return _decided(request, kind="influence", obj=involvement, form=form, message=message)
