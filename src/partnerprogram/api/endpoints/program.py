"""Program reads and actions: program versions (definition JSON), evaluation runs (trigger,
read: the vendor), assessments (latest run; a partner sees its own), standings (in effect on
a date), deal registration decisions (the vendor), and ``/me``.
"""

from datetime import date
from typing import Any, Literal

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Status
from pydantic import Field

from partnerprogram.api import selectors
from partnerprogram.api.auth import api_auth, principal_of, vendor_required
from partnerprogram.api.listing import (
    ListSpec,
    list_export,
    list_page,
    page_schema,
    query_schema,
    queryset_filter,
    requested_format,
    schema_rows,
)
from partnerprogram.api.problems import ApiProblem
from partnerprogram.api.schemas import (
    AssessmentOut,
    DealRegistrationOut,
    DecisionIn,
    EvaluationRunIn,
    EvaluationRunOut,
    MeOut,
    ProgramVersionDetailOut,
    ProgramVersionOut,
    StandingOut,
)
from partnerprogram.api.writes import key_check
from partnerprogram.console.services import DecisionError, deal_registration_decide
from partnerprogram.core.money import MissingRateError
from partnerprogram.core.periods import add_months
from partnerprogram.portal.selectors.context import portal_context
from partnerprogram.programs.engine import evaluate
from partnerprogram.programs.selectors import ProgramVersionNotFound, program_version_get
from partnerprogram.sales.models import DealRegistration
from partnerprogram.standings.selectors import status_on

router = Router()

#: the largest id accepted in a path (ids are 64-bit)
ID_MAX = 2**62
#: the earliest evaluation date accepted
DATE_MIN = date(2000, 1, 1)
#: how far ahead of today an evaluation (a projection) may be dated, in years
AS_OF_MAX_YEARS = 10


def _listed(request: HttpRequest, qs: QuerySet[Any], spec: ListSpec, query: Any, out: Any) -> Any:
    qs = queryset_filter(qs, spec, query)
    fmt: Any = requested_format(request, query)
    if fmt in ("csv", "xlsx"):
        header, rows = schema_rows(qs, out)
        return list_export(header=header, rows=rows, name=spec.name, fmt=fmt)
    return list_page(qs, query, out)


@router.get("/me", response=MeOut, tags=["me"], operation_id="me_get", summary="Who am I")
def me_get(request: HttpRequest) -> dict[str, Any]:
    """The scope of the credentials sent: ``vendor`` (every partner) or ``partner``."""
    principal = principal_of(request)
    return {
        "scope": "vendor" if principal.is_vendor else "partner",
        "partner": None if principal.partner is None else principal.partner.external_id,
        "actor": principal.actor,
    }


# -- program versions ----------------------------------------------------------------------

VERSIONS = ListSpec(
    "program_versions",
    filters={
        "program": (str, "program__key", "program key"),
        "status": (Literal["draft", "published"], "status", "status"),
        "effective_on": (date, "effective_from__lte", "in force on or before this date"),
    },
    orderings={"effective_from": "effective_from", "version": "version"},
    default_ordering="effective_from",
)
VersionsQuery = query_schema(VERSIONS)


@router.get(
    "/program-versions",
    response=page_schema(ProgramVersionOut),
    auth=api_auth(query_parameters=VersionsQuery.model_fields),
    tags=["program versions"],
    operation_id="program_versions_list",
    summary="List program versions",
)
def program_versions_list(request: HttpRequest, query: Query[VersionsQuery]) -> Any:  # type: ignore[valid-type]
    """Stored program versions (without their definition)."""
    principal = principal_of(request)
    qs = selectors.program_versions_permitted(principal=principal)
    return _listed(request, qs, VERSIONS, query, ProgramVersionOut)


@router.get(
    "/program-versions/{program}/{version}",
    response=ProgramVersionDetailOut,
    tags=["program versions"],
    operation_id="program_versions_get",
    summary="One program version with its definition",
)
def program_versions_get(
    request: HttpRequest,
    program: str = Path(..., max_length=64),
    version: str = Path(..., max_length=32),
) -> Any:
    """A stored version and its canonical definition (the program language as JSON)."""
    principal = principal_of(request)
    found = (
        selectors.program_versions_permitted(principal=principal)
        .filter(program__key=program, version=version)
        .first()
    )
    if found is None:
        raise ApiProblem(404, f"program {program!r} has no version {version!r}")
    return found


# -- evaluation runs -----------------------------------------------------------------------

RUNS = ListSpec(
    "evaluation_runs",
    filters={
        "program": (str, "program_version__program__key", "program key"),
        "version": (str, "program_version__version", "version"),
        "as_of": (date, "as_of", "evaluation date"),
    },
    orderings={"id": "id", "as_of": "as_of", "started_at": "started_at"},
    default_ordering="-id",
)
RunsQuery = query_schema(RUNS)


@router.get(
    "/evaluation-runs",
    response=page_schema(EvaluationRunOut),
    auth=api_auth(vendor=True, query_parameters=RunsQuery.model_fields),
    tags=["evaluation runs"],
    operation_id="evaluation_runs_list",
    summary="List evaluation runs (vendor)",
)
def evaluation_runs_list(request: HttpRequest, query: Query[RunsQuery]) -> Any:  # type: ignore[valid-type]
    """Stored runs with their population summary (tier counts): the vendor only (403)."""
    principal = vendor_required(request)
    qs = selectors.evaluation_runs_permitted(principal=principal)
    return _listed(request, qs, RUNS, query, EvaluationRunOut)


@router.get(
    "/evaluation-runs/{run_id}",
    response=EvaluationRunOut,
    auth=api_auth(vendor=True),
    tags=["evaluation runs"],
    operation_id="evaluation_runs_get",
    summary="One evaluation run (vendor)",
)
def evaluation_runs_get(request: HttpRequest, run_id: int = Path(..., ge=1, le=ID_MAX)) -> Any:
    """A stored run: the vendor only (403)."""
    principal = vendor_required(request)
    run = selectors.evaluation_runs_permitted(principal=principal).filter(pk=run_id).first()
    if run is None:
        raise ApiProblem(404, f"no evaluation run {run_id}")
    return run


@router.post(
    "/evaluation-runs",
    response={201: EvaluationRunOut},
    auth=api_auth(vendor=True),
    tags=["evaluation runs"],
    operation_id="evaluation_runs_create",
    summary="Evaluate every partner (vendor)",
)
def evaluation_runs_create(request: HttpRequest, payload: EvaluationRunIn) -> Any:
    """Evaluate every partner against a program version as of a date and store the run and
    its assessments (``programs.engine.evaluate``). The vendor only (403). ``as_of`` from
    ``DATE_MIN`` (2000-01-01) to today plus ``AS_OF_MAX_YEARS`` (10) years (program time zone;
    a later date may serve a projection). An unknown program or version, a date out of range
    or a missing exchange rate is a 422 problem."""
    vendor_required(request)
    today = selectors.program_today(program=payload.program)
    latest = add_months(today, 12 * AS_OF_MAX_YEARS)
    if not DATE_MIN <= payload.as_of <= latest:
        detail = (
            f"as_of {payload.as_of} is out of range: from {DATE_MIN} to {latest} (today plus "
            f"{AS_OF_MAX_YEARS} years: a projection may look ahead, not further)"
        )
        raise ApiProblem(422, detail, errors=[{"pointer": "/as_of", "detail": detail}])
    try:
        version = program_version_get(
            program=payload.program, version=payload.version, on=payload.as_of
        )
    except ProgramVersionNotFound as exc:
        pointer = "/version" if payload.version else "/program"
        raise ApiProblem(422, str(exc), errors=[{"pointer": pointer, "detail": str(exc)}]) from exc
    try:
        evaluation = evaluate(version=version, as_of=payload.as_of, store=True)
    except MissingRateError as exc:
        raise ApiProblem(422, str(exc), errors=[{"pointer": "/as_of", "detail": str(exc)}]) from exc
    run = evaluation.run
    assert run is not None
    stored = selectors.evaluation_runs_permitted(principal=principal_of(request)).get(pk=run.pk)
    return Status(201, stored)


# -- assessments ---------------------------------------------------------------------------

ASSESSMENTS = ListSpec(
    "assessments",
    filters={
        "program": (str, "run__program_version__program__key", "program key"),
        "run": (int, "run_id", "evaluation run id (default: the latest run)"),
        "partner": (str, "partner__external_id", "partner external id"),
        "tier": (str, "tier", "assessed tier"),
    },
    orderings={"partner": "partner__external_id", "tier": "tier"},
    default_ordering="partner",
)


class AssessmentsQuery(query_schema(ASSESSMENTS)):  # type: ignore[misc]
    run: int | None = Field(None, ge=1, le=ID_MAX, description="run id (default: the latest)")


@router.get(
    "/assessments",
    response=page_schema(AssessmentOut),
    auth=api_auth(query_parameters=AssessmentsQuery.model_fields),
    tags=["assessments"],
    operation_id="assessments_list",
    summary="List assessments of the latest run",
)
def assessments_list(request: HttpRequest, query: Query[AssessmentsQuery]) -> Any:
    """Assessments of one run (``run``; default: ``selectors.evaluation_run_current``, the
    latest run of a published version dated on or before today, of ``program`` if given). A
    partner sees its own assessment only."""
    principal = principal_of(request)
    qs = selectors.assessments_permitted(principal=principal)
    if query.run is None:
        latest = selectors.evaluation_run_current(program=query.program or None)
        qs = qs.filter(run_id=latest) if latest is not None else qs.none()
    return _listed(request, qs, ASSESSMENTS, query, AssessmentOut)


@router.get(
    "/partners/{key}/assessment",
    response=AssessmentOut,
    tags=["assessments"],
    operation_id="partner_assessment_get",
    summary="A partner's latest assessment",
)
def partner_assessment_get(
    request: HttpRequest,
    key: str = Path(..., min_length=1, max_length=64),
    program: str | None = Query(None, max_length=64),
) -> Any:
    """The assessment the partner sees in its portal (``selectors.partner_assessment_current``):
    of the published version in force today (program time zone) of its program (``program``
    to choose another), the latest run by ``as_of`` then id dated on or before today (else
    the run nearest after today). A vendor's what-if run dated later does not replace it.
    Another partner's is a 404 for a partner token."""
    principal = principal_of(request)
    found = selectors.partner_assessment_current(
        principal=principal, key=key_check(key), program=program or None
    )
    if found is None:
        raise ApiProblem(404, f"no assessment of partner {key!r} among the records you can see")
    return found


# -- standings -----------------------------------------------------------------------------

STANDINGS = ListSpec(
    "standings",
    filters={
        "partner": (str, "partner__external_id", "partner external id"),
        "track": (str, "track", "track key (blank: overall)"),
        "tier": (str, "tier", "tier key"),
        "program": (str, "program_version__program__key", "program key"),
    },
    orderings={"partner": "partner__external_id", "tier": "tier", "valid_from": "valid_from"},
    default_ordering="partner",
)


class StandingsQuery(query_schema(STANDINGS)):  # type: ignore[misc]
    on: date | None = Field(None, description="date (default: today, program time zone)")


def _in_effect(qs: QuerySet[Any], on: date) -> QuerySet[Any]:
    from django.db.models import Q

    return (
        qs.filter(valid_from__lte=on)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=on))
        .annotate(
            rn=Window(
                RowNumber(),
                partition_by=[F("partner_id"), F("track")],
                order_by=[F("priority").desc(), F("valid_from").desc(), F("id").desc()],
            )
        )
        .filter(rn=1)
    )


@router.get(
    "/standings",
    response=page_schema(StandingOut),
    auth=api_auth(query_parameters=StandingsQuery.model_fields),
    tags=["standings"],
    operation_id="standings_list",
    summary="List standings in effect on a date",
)
def standings_list(request: HttpRequest, query: Query[StandingsQuery]) -> Any:
    """The standing in effect on ``on`` of each partner in each track (track blank: overall);
    a frozen standing whose freeze is over is reported ``qualified``. A partner sees its own."""
    principal = principal_of(request)
    on = query.on or timezone.localdate()
    qs = _in_effect(selectors.standings_permitted(principal=principal), on)
    result = _listed(request, qs, STANDINGS, query, StandingOut)
    if isinstance(result, dict):
        for item in result["items"]:
            item.status = status_on(item.status, item.frozen_until, on)
    return result


# -- deal registration decisions -----------------------------------------------------------


@router.post(
    "/deal-registrations/{key}/decision",
    response=DealRegistrationOut,
    tags=["deal registrations"],
    operation_id="deal_registrations_decide",
    auth=api_auth(vendor=True),
    summary="Approve or reject a submitted deal registration (vendor)",
)
def deal_registrations_decide(
    request: HttpRequest,
    payload: DecisionIn,
    key: str = Path(..., min_length=1, max_length=64),
) -> Any:
    """The vendor approves or rejects a submitted registration
    (``console.services.deal_registration_decide``: audit event, notice to the partner). A
    partner token: 403. Already decided: 409. Rejecting without a reason, or a decision date
    ``on`` (default today, program time zone) in the future or before the registration: 422."""
    principal = vendor_required(request)
    key_check(key)
    registration = (
        selectors.deal_registrations_permitted(principal=principal).filter(external_id=key).first()
    )
    if registration is None:
        raise ApiProblem(404, f"no deal registration {key!r}")
    if registration.status != DealRegistration.Status.SUBMITTED:
        raise ApiProblem(
            409,
            f"deal registration {key} is already {registration.status}: only a submitted "
            "registration can be decided",
        )
    # today as the portal and records_upsert see it for this partner (its program's zone)
    today = portal_context(partner=registration.partner).on
    on = payload.on or today
    if on > today:
        detail = f"the decision date {on} is in the future (today is {today})"
    elif on < registration.registered_on:
        detail = f"the decision date {on} precedes the registration on {registration.registered_on}"
    else:
        detail = ""
    if detail:
        raise ApiProblem(422, detail, errors=[{"pointer": "/on", "detail": detail}])
    try:
        deal_registration_decide(
            registration=registration,
            approve=payload.decision == "approved",
            reason=payload.reason,
            actor=principal.actor,
            on=on,
        )
    except DecisionError as exc:
        message = str(exc)
        pointer = "/reason" if "reason" in message else "/on"
        raise ApiProblem(422, message, errors=[{"pointer": pointer, "detail": message}]) from exc
    return selectors.deal_registrations_permitted(principal=principal).get(pk=registration.pk)
