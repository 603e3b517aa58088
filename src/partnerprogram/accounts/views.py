"""Entry point after sign-in: each role lands on its own workspace."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Vendor staff -> the console; partner members -> the portal; a user without a role
    (e.g. a bare superuser) -> a page saying so (the admin stays available to superusers)."""
    membership = getattr(request, "membership", None)
    if membership is not None and membership.is_vendor:
        return redirect("console:dashboard")
    if membership is not None and membership.is_partner:
        return redirect("portal:overview")
    if request.user.is_superuser:
        return redirect("admin:index")
    return render(request, "accounts/no_role.html", status=403)
