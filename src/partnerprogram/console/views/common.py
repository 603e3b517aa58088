"""Helpers shared by the console views (request parsing only: no business rule)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from partnerprogram.console.forms import AsOfForm
from partnerprogram.console.programs import ProgramView, program_view


def actor(request: HttpRequest) -> str:
    """``user:<username>``: who acts, for audit events and decisions."""
    return f"user:{request.user.get_username()}"


def require_perm(request: HttpRequest, perm: str) -> None:
    """403 unless the user has the django-rules permission ``perm`` (``console.approve``...)."""
    if not request.user.has_perm(perm):
        raise PermissionDenied


def as_of(request: HttpRequest) -> tuple[date, AsOfForm]:
    """The date shown (``?on=``, default today in the server zone) and its form."""
    today = timezone.localdate()
    if request.GET.get("on"):
        form = AsOfForm(request.GET)
        return form.as_of(today), form
    return today, AsOfForm(initial={"on": today})


def program_for(request: HttpRequest, on: date) -> ProgramView | None:
    """The program shown (``?program=``, else the only or first one)."""
    return program_view(on=on, program=request.GET.get("program") or None)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def vary_on_htmx(response: HttpResponse) -> HttpResponse:
    """Partial and full pages share URLs: caches must tell them apart."""
    existing = response.get("Vary")
    response["Vary"] = f"{existing}, HX-Request" if existing else "HX-Request"
    return response


def paginate(request: HttpRequest, rows: QuerySet, per_page: int) -> Page:
    """The requested page (``?page=``; out of range: the last one)."""
    return Paginator(rows, per_page).get_page(request.GET.get("page"))


def safe_next(request: HttpRequest, default: str) -> str:
    """``next`` from the POST if it is a local URL, else ``default``."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
