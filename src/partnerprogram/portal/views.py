"""Portal views: thin. The acting partner is ``request.membership.partner`` (never a URL or a
parameter); reads go through ``portal.selectors``, writes through ``portal.services`` and
``standings.services.claim_file``; objects are fetched through the partner's querysets, so
another partner's id is a 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from partnerprogram.accounts.access import partner_admin_required, partner_member_required
from partnerprogram.portal import formats, presenters, selectors
from partnerprogram.portal.forms import ClaimForm, DealRegistrationForm, InfluenceClaimForm
from partnerprogram.portal.selectors.overview import Overview
from partnerprogram.portal.services import (
    PortalError,
    deal_registration_submit,
    influence_claim_submit,
)
from partnerprogram.sales.models import DealRegistration
from partnerprogram.standings.errors import StandingsError
from partnerprogram.standings.services import claim_file

PAGE_SIZE = 50


def _context(request: HttpRequest) -> selectors.PortalContext:
    return selectors.portal_context(partner=request.membership.partner)  # type: ignore[attr-defined]


def _page(request: HttpRequest, template: str, section: str, **context: Any) -> HttpResponse:
    status = context.pop("status", 200)
    return render(request, template, {"section": section, **context}, status=status)


def _claimable(overview: Overview | None) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    if overview is None:
        return {}
    return {t.key: (t.name, t.claimable) for t in overview.tracks if t.can_claim}


# --------------------------------------------------------------------------- overview, claims


def _overview_page(
    request: HttpRequest, ctx: selectors.PortalContext, form: ClaimForm | None, status: int = 200
) -> HttpResponse:
    overview = selectors.overview_for(ctx)
    if form is None and request.user.has_perm("portal.claim_tier"):
        form = ClaimForm(claimable=_claimable(overview))
    return _page(
        request,
        "portal/overview.html",
        "overview",
        ctx=ctx,
        partner=ctx.partner,
        overview=overview,
        claim_form=form,
        status=status,
    )


@require_GET
@partner_member_required
def overview(request: HttpRequest) -> HttpResponse:
    """Standings per track and overall, the requirements of the current and next tier, the gap
    in words, the projection at the claim deadline, and (partner admins) the claim form."""
    return _overview_page(request, _context(request), None)


@require_http_methods(["GET", "POST"])
@partner_admin_required
def claim(request: HttpRequest) -> HttpResponse:
    """A partner admin claims a tier (``standings.services.claim_file``); refusals are shown in
    the form. The form lives on the overview: a GET goes there."""
    if request.method == "GET":
        return redirect("portal:overview")
    ctx = _context(request)
    form = ClaimForm(request.POST, claimable=_claimable(selectors.overview_for(ctx)))
    if form.is_valid():
        current = ctx.current
        try:
            filed = claim_file(
                partner=ctx.partner,
                track=form.cleaned_data["track"],
                tier=form.cleaned_data["tier"],
                filed_by=request.user.get_username(),
                program=current.version.program.key if current else None,
            )
        except StandingsError as exc:
            form.add_error(None, _("The claim was refused: %(reason)s") % {"reason": exc})
        else:
            messages.success(
                request,
                _("Claim filed: %(tier)s, provisional until the claim deadline %(date)s.")
                % {
                    "tier": presenters.tier_name(ctx.program, filed.claim.tier, ctx.lang),
                    "date": formats.day(filed.claim.cycle.claim_deadline),
                },
            )
            return redirect("portal:overview")
    return _overview_page(request, ctx, form, status=400)


# --------------------------------------------------------------------------- people


@require_GET
@partner_member_required
def people(request: HttpRequest) -> HttpResponse:
    """The team, credentials with expiry (warned before the claim deadline) and the
    requirements each person counts for."""
    ctx = _context(request)
    tracks = list(selectors.tracks_of(ctx))
    return _page(
        request,
        "portal/people.html",
        "people",
        ctx=ctx,
        page=selectors.people_page(ctx, tracks=tracks),
    )


# --------------------------------------------------------------------------- opportunities


@require_GET
@partner_member_required
def opportunities(request: HttpRequest) -> HttpResponse:
    """The partner's deal registrations (filter by status, 50 a page) and influence claims."""
    ctx = _context(request)
    registrations = selectors.registrations_of(partner=ctx.partner)
    status = request.GET.get("status", "")
    if status in DealRegistration.Status.values:
        registrations = registrations.filter(status=status)
    else:
        status = ""
    page = Paginator(registrations, PAGE_SIZE).get_page(request.GET.get("page"))
    return _page(
        request,
        "portal/opportunities.html",
        "opportunities",
        ctx=ctx,
        page=page,
        current_status=status,
        statuses=presenters.REGISTRATION_STATUS_LABELS,
        influence=selectors.influence_claims_of(partner=ctx.partner),
    )


@require_GET
@partner_member_required
def registration(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the partner's deal registrations (another partner's id: 404)."""
    ctx = _context(request)
    found = selectors.registration_get(partner=ctx.partner, pk=pk)
    if found is None:
        raise Http404
    return _page(
        request,
        "portal/registration.html",
        "opportunities",
        ctx=ctx,
        registration=found,
        statuses=presenters.REGISTRATION_STATUS_LABELS,
        stage=presenters.STAGE_LABELS.get(found.opportunity.stage, "") if found.opportunity else "",
    )


def _registration_form(ctx: selectors.PortalContext, data: Any = None) -> DealRegistrationForm:
    return DealRegistrationForm(
        data,
        product_lines=selectors.product_lines(),
        currencies=selectors.registration_currencies(currency=ctx.currency),
        on=ctx.on,
        initial={"currency": ctx.currency},
    )


@require_http_methods(["GET", "POST"])
@partner_member_required
def register(request: HttpRequest) -> HttpResponse:
    """Register a deal. A registration for the same customer and product line (by anyone) is
    a warning to confirm, which never says who registered it."""
    ctx = _context(request)
    form = _registration_form(ctx, request.POST if request.method == "POST" else None)
    duplicate = False
    if request.method == "POST":
        valid = form.is_valid()
        data = form.cleaned_data
        if "customer_name" in data and "product_line" in data:
            duplicate = selectors.registration_duplicate_exists(
                customer_name=data["customer_name"], product_line=data["product_line"]
            )
        if valid and (not duplicate or data["confirm_duplicate"]):
            try:
                created = deal_registration_submit(
                    partner=ctx.partner,
                    customer_name=data["customer_name"],
                    product_line=data["product_line"],
                    estimated_amount=data["estimated_amount"],
                    currency=data["currency"],
                    expected_close=data["expected_close"],
                    submitted_by=request.user.get_username(),
                    program_currency=ctx.currency,
                    on=ctx.on,
                )
            except PortalError as exc:
                form.add_error(exc.field, str(exc))
            else:
                messages.success(request, _("Deal registration submitted for approval."))
                return redirect("portal:registration", pk=created.pk)
    return _page(
        request,
        "portal/register.html",
        "opportunities",
        ctx=ctx,
        form=form,
        duplicate=duplicate,
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@partner_member_required
def register_check(request: HttpRequest) -> HttpResponse:
    """htmx: the duplicate warning for the customer name and product line typed so far."""
    duplicate = selectors.registration_duplicate_exists(
        customer_name=request.GET.get("customer_name", "")[:255],
        product_line=request.GET.get("product_line", "")[:64],
    )
    return render(request, "portal/_duplicate.html", {"duplicate": duplicate})


@require_http_methods(["GET", "POST"])
@partner_member_required
def influence(request: HttpRequest) -> HttpResponse:
    """Declare influence on one of the partner's opportunities (approved later by the vendor)."""
    ctx = _context(request)
    choices = selectors.claimable_opportunities(partner=ctx.partner)
    form = InfluenceClaimForm(
        request.POST if request.method == "POST" else None, opportunities=choices
    )
    if request.method == "POST" and form.is_valid():
        try:
            influence_claim_submit(
                partner=ctx.partner,
                opportunity=form.cleaned_data["opportunity"],
                declared_by=request.user.get_username(),
            )
        except PortalError as exc:
            form.add_error(exc.field, str(exc))
        else:
            messages.success(
                request, _("Influence declared: it counts once the vendor approves it.")
            )
            return redirect("portal:opportunities")
    return _page(
        request,
        "portal/influence.html",
        "opportunities",
        ctx=ctx,
        form=form,
        options=choices[:200],
        status=400 if request.method == "POST" else 200,
    )


# --------------------------------------------------------------------------- business, program


@require_GET
@partner_member_required
def business(request: HttpRequest) -> HttpResponse:
    """Bookings by quarter and role, cloud usage by month (CCSP), year on year, with charts."""
    ctx = _context(request)
    data = selectors.business_of(ctx, ccsp="ccsp" in list(selectors.tracks_of(ctx)))
    return _page(
        request,
        "portal/business.html",
        "business",
        ctx=ctx,
        business=data,
        charts=presenters.business_charts(data),
        roles=presenters.ROLE_LABELS,
    )


@require_GET
@partner_member_required
def benefits(request: HttpRequest) -> HttpResponse:
    """The benefits of the partner's tier and of the next tier."""
    ctx = _context(request)
    return _page(
        request, "portal/benefits.html", "benefits", ctx=ctx, page=selectors.benefits_for(ctx)
    )


@require_GET
@partner_member_required
def guide(request: HttpRequest) -> HttpResponse:
    """The program guide: every track's tiers and requirements in words."""
    ctx = _context(request)
    return _page(request, "portal/guide.html", "guide", ctx=ctx, guide=selectors.guide_for(ctx))
