"""Who calls the API: a bearer token or the portal's session, resolved to a ``Principal``.

- ``Authorization: Bearer pp_...``: an active ``ApiToken`` (not revoked, not expired); its
  partner (None: the vendor) is the scope. The token of a partner since merged into another or
  terminated is refused (401 problem ``partner-inactive``).
- The session (the portal's and console's own calls): the user's ``Membership`` gives the
  scope (vendor roles: every partner; partner roles: their partner). Unsafe methods need the
  CSRF token (``X-CSRFToken``), as any form of the site. A request that sends an
  ``Authorization`` header is judged on it alone.

Anything else is a 401 problem with ``WWW-Authenticate: Bearer``.

Checks that must come before ninja validates the parameters and the body (a partner on a
vendor-only operation: 403; an unknown query parameter on a list: 400) run as part of the
authentication (ninja authenticates first): ``api_auth(vendor_only=..., query_parameters=...)``
gives an operation's ``auth`` list, the same two schemes (same names in the OpenAPI document)
with those checks run on the principal found.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from partnerprogram.api.models import ApiToken
from partnerprogram.api.problems import ApiProblem
from partnerprogram.api.services import api_token_authenticate, partner_active
from partnerprogram.partners.models import Partner


@dataclass(frozen=True)
class Principal:
    """The acting party of a request: ``partner`` None means the vendor (every partner);
    ``actor`` is what audit events record (``token:<prefix>`` or ``user:<username>``)."""

    partner: Partner | None
    actor: str
    token: ApiToken | None = None

    @property
    def is_vendor(self) -> bool:
        return self.partner is None

    @property
    def partner_id(self) -> int | None:
        return None if self.partner is None else self.partner.pk


def principal_of(request: HttpRequest) -> Principal:
    """The principal the authentication step put on the request."""
    auth = getattr(request, "auth", None)
    if not isinstance(auth, Principal):  # pragma: no cover - every operation is authenticated
        raise ApiProblem(401, "authentication required")
    return auth


def vendor_required(request: HttpRequest) -> Principal:
    """The principal, or a 403 problem for a partner (vendor-only operations)."""
    principal = principal_of(request)
    if not principal.is_vendor:
        raise ApiProblem(403, "only the vendor may do this; a partner token may not")
    return principal


#: a check run on the principal once authenticated, before any parameter or body is read:
#: raises ``ApiProblem`` to refuse the request
PrincipalCheck = Callable[[HttpRequest, Principal], None]


def vendor_only(request: HttpRequest, principal: Principal) -> None:
    """A ``PrincipalCheck``: a partner principal gets a 403 problem (vendor-only operation),
    before the body is validated or anything looked up."""
    if not principal.is_vendor:
        raise ApiProblem(403, "only the vendor may do this; a partner token may not")


def query_parameters_known(accepted: Collection[str]) -> PrincipalCheck:
    """A ``PrincipalCheck`` refusing query parameters outside ``accepted`` (a misspelt filter
    would otherwise be ignored and the whole list returned): a 400 problem naming each unknown
    parameter (``errors``: ``[{parameter, detail}]``) and listing the accepted ones."""
    names = sorted(accepted)

    def check(request: HttpRequest, principal: Principal) -> None:
        unknown = sorted(set(request.GET) - set(names))
        if not unknown:
            return
        listed = ", ".join(names)
        raise ApiProblem(
            400,
            f"unknown query parameter(s): {', '.join(unknown)}; accepted: {listed}",
            slug="unknown-parameter",
            errors=[
                {"parameter": name, "detail": f"unknown query parameter {name}; accepted: {listed}"}
                for name in unknown
            ],
        )

    return check


class _Checked:
    """Runs the ``checks`` on the principal an authentication found."""

    checks: Sequence[PrincipalCheck] = ()

    def checked(self, request: HttpRequest, principal: Principal | None) -> Principal | None:
        if principal is not None:
            for check in self.checks:
                check(request, principal)
        return principal


class BearerToken(_Checked, HttpBearer):
    """``Authorization: Bearer <token>`` against stored token hashes. Another scheme is not
    this authentication (None: a 401 in the end); the header's value is never logged.
    ``checks`` run on the principal found (see the module)."""

    def __init__(self, checks: Sequence[PrincipalCheck] = ()) -> None:
        super().__init__()
        self.checks = tuple(checks)

    def __call__(self, request: HttpRequest) -> Principal | None:
        value = request.headers.get("Authorization") or ""
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self.checked(request, self.authenticate(request, token))

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        record = api_token_authenticate(token=token.strip())
        if record is None:
            return None
        if record.partner is not None and not partner_active(record.partner):
            # a valid token, but its partner has left the program (merged away, terminated):
            # no longer a credential; the answer names no partner
            raise ApiProblem(
                401,
                "the partner of this token is no longer active in the program: the token "
                "does not work any more",
                slug="partner-inactive",
            )
        return Principal(partner=record.partner, actor=f"token:{record.prefix}", token=record)


class SessionMembership(_Checked, APIKeyCookie):
    """The signed-in user's membership; unsafe methods checked against CSRF (403 problem).
    ``checks`` run on the principal found (see the module)."""

    param_name = "sessionid"

    def __init__(self, checks: Sequence[PrincipalCheck] = ()) -> None:
        super().__init__(csrf=False)  # checked below, after the user is known
        self.checks = tuple(checks)

    def __call__(self, request: HttpRequest) -> Principal | None:
        return self.checked(request, super().__call__(request))

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        if request.headers.get("Authorization"):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        membership = getattr(request, "membership", None)
        if membership is None:
            raise ApiProblem(403, "this user has no role in the program")
        unsafe = request.method not in ("GET", "HEAD", "OPTIONS", "TRACE")
        if unsafe and check_csrf(request) is not None:
            raise ApiProblem(403, "CSRF check failed: send the X-CSRFToken header")
        partner = membership.partner if membership.is_partner else None
        return Principal(partner=partner, actor=f"user:{user.get_username()}")


def api_auth(
    *, vendor: bool = False, query_parameters: Collection[str] | None = None
) -> list[HttpBearer | APIKeyCookie]:
    """The ``auth`` of an operation: a bearer token, else the session, then the checks:
    ``vendor`` (a partner principal: 403) and ``query_parameters`` (the accepted query
    parameters of a list: any other is a 400). Both run before ninja validates anything."""
    checks: list[PrincipalCheck] = []
    if vendor:
        checks.append(vendor_only)
    if query_parameters is not None:
        checks.append(query_parameters_known(query_parameters))
    return [BearerToken(checks), SessionMembership(checks)]
