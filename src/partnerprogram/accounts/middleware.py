"""Resolve the acting membership (role and partner) of each request from the signed-in user."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from partnerprogram.accounts.models import Membership


class MembershipMiddleware:
    """Sets ``request.membership`` (``Membership`` or ``None``) for authenticated users, with
    its partner loaded (one query). Views never take the partner from the URL."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            membership = (
                Membership.objects.select_related("partner").filter(user_id=user.pk).first()
            )
        request.membership = membership  # type: ignore[attr-defined]
        return self.get_response(request)
