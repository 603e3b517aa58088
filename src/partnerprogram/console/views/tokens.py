"""API tokens: program admins list, create (the token is shown once, on the page that answers
the creation, never again) and revoke them; channel managers only see the list (prefixes,
scopes, expiry: no secret). Writes go through ``api.services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from partnerprogram.accounts.access import vendor_staff_required
from partnerprogram.api.services import (
    DEFAULT_DAYS,
    MAX_DAYS,
    TokenError,
    api_token_create,
    api_token_revoke,
    api_tokens_list,
)
from partnerprogram.console.views.common import actor
from partnerprogram.core.exports import export_format, export_response
from partnerprogram.partners.models import Partner


class TokenForm(forms.Form):
    """A new token: its name, its scope (empty partner: the vendor) and its lifetime."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    partner = forms.CharField(
        label=gettext_lazy("Partner external id"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("Empty: a vendor token that sees every partner."),
    )
    expires_in_days = forms.IntegerField(
        label=gettext_lazy("Expires in (days)"),
        min_value=1,
        max_value=MAX_DAYS,
        initial=DEFAULT_DAYS,
    )

    def clean_partner(self) -> Partner | None:
        external_id = (self.cleaned_data.get("partner") or "").strip()
        if not external_id:
            return None
        partner = Partner.objects.filter(external_id=external_id).first()
        if partner is None:
            raise forms.ValidationError(_("No partner has this external id."))
        return partner


def _is_program_admin(request: HttpRequest) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and membership.role == "program_admin"


@never_cache
@vendor_staff_required  # type: ignore[arg-type]  # an export is a streaming response
def tokens(request: HttpRequest) -> HttpResponseBase:
    """GET: the tokens and (program admins) the creation form. POST (program admins only, else
    403) ``action=create``: create one and show it once; ``action=revoke`` with ``prefix``:
    revoke it. ``?format=csv|xlsx`` downloads the list (prefixes only, never a token)."""
    fmt = export_format(request.GET.get("format"))
    if fmt is not None and request.method == "GET":
        return export_response(
            (
                (
                    t.prefix,
                    t.name,
                    t.partner.external_id if t.partner else "vendor",
                    t.created_at,
                    t.created_by,
                    t.expires_at,
                    t.last_used_at,
                    t.revoked_at,
                    "revoked" if t.revoked_at else "active" if t.is_active() else "expired",
                )
                for t in api_tokens_list()
            ),
            [
                "prefix",
                "name",
                "scope",
                "created_at",
                "created_by",
                "expires_at",
                "last_used_at",
                "revoked_at",
                "state",
            ],
            filename="api-tokens",
            fmt=fmt,
        )
    can_manage = _is_program_admin(request)
    created: Any = None
    form = TokenForm()
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if request.POST.get("action") == "revoke":
            try:
                record = api_token_revoke(
                    prefix=request.POST.get("prefix", ""), actor=actor(request)
                )
            except TokenError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request, _("Token %(prefix)s revoked.") % {"prefix": record.prefix}
                )
            return redirect("console:tokens")
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                created = api_token_create(
                    name=form.cleaned_data["name"],
                    partner=form.cleaned_data["partner"],
                    actor=actor(request),
                    expires_in_days=form.cleaned_data["expires_in_days"],
                )
            except TokenError as exc:
                form.add_error(None, str(exc))
            else:
                form = TokenForm()
    return render(
        request,
        "console/tokens.html",
        {
            "form": form,
            "created": created,
            "tokens": api_tokens_list(),
            "can_manage": can_manage,
        },
    )
