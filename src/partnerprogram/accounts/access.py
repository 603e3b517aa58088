"""View decorators for the two workspaces. The acting partner comes from the membership only.

- ``partner_member_required``: a partner admin or user; the view gets ``request.membership``
  with its ``partner``. Vendor staff and users without a role get 403.
- ``vendor_staff_required``: a program admin or channel manager (the console).
- ``partner_admin_required``: a partner admin (claiming a tier, managing people).
Anonymous users are sent to the sign-in page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

View = Callable[..., HttpResponse]


def _require(check: Callable[[Any], bool]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = getattr(request, "membership", None)
            if membership is None or not check(membership):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


partner_member_required = _require(lambda m: m.is_partner)
partner_admin_required = _require(lambda m: m.role == "partner_admin")
vendor_staff_required = _require(lambda m: m.is_vendor)
