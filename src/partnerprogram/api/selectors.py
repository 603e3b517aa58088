"""Permitted querysets of the API: one selector per resource, always filtered by the
principal's partner when it is a partner (``Principal.partner``), never by a URL parameter.

Objects are fetched **through** these querysets, so another partner's object is simply not
found (404), never "forbidden". Each queryset selects the related rows its schema shows, so a
list page costs the same number of queries for 1 row or 500.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from partnerprogram.api.auth import Principal
from partnerprogram.enablement.models import Certification, Credential
from partnerprogram.partners.models import Partner, Person
from partnerprogram.portal.selectors.context import (
    PortalContext,
    portal_context,
    published_versions,
)
from partnerprogram.portal.selectors.overview import latest_assessment
from partnerprogram.programs.models import Assessment, EvaluationRun, ProgramVersion
from partnerprogram.sales.models import (
    Booking,
    CloudUsage,
    Customer,
    DealRegistration,
    Opportunity,
    PartnerInvolvement,
)
from partnerprogram.standings.models import Standing


def partners_permitted(*, principal: Principal) -> QuerySet[Partner]:
    """Partners: every one for the vendor; only itself for a partner."""
    qs = Partner.objects.select_related("merged_into")
    if principal.partner_id is not None:
        qs = qs.filter(pk=principal.partner_id)
    return qs


def customers_permitted(*, principal: Principal) -> QuerySet[Customer]:
    """Customers: every one for the vendor; for a partner those of its own deal registrations,
    involvements (through the opportunity) and bookings it resold or influenced."""
    qs = Customer.objects.all()
    pid = principal.partner_id
    if pid is not None:
        qs = qs.filter(
            Exists(DealRegistration.objects.filter(customer=OuterRef("pk"), partner_id=pid))
            | Exists(
                PartnerInvolvement.objects.filter(
                    opportunity__customer=OuterRef("pk"), partner_id=pid
                )
            )
            | Exists(
                Booking.objects.filter(customer=OuterRef("pk")).filter(
                    Q(transacting_partner_id=pid) | Q(influencing_partner_id=pid)
                )
            )
        )
    return qs


def people_permitted(*, principal: Principal) -> QuerySet[Person]:
    """People with their partner; a partner sees its own people only."""
    qs = Person.objects.select_related("partner")
    if principal.partner_id is not None:
        qs = qs.filter(partner_id=principal.partner_id)
    return qs


def certifications_permitted(*, principal: Principal) -> QuerySet[Certification]:
    """The certification catalog: public to every principal."""
    return Certification.objects.all()


def credentials_permitted(*, principal: Principal) -> QuerySet[Credential]:
    """Credentials with person, partner and certification; a partner sees those of its own
    people only."""
    qs = Credential.objects.select_related("person__partner", "certification")
    if principal.partner_id is not None:
        qs = qs.filter(person__partner_id=principal.partner_id)
    return qs


def opportunities_permitted(*, principal: Principal) -> QuerySet[Opportunity]:
    """Opportunities with their customer; a partner sees those it is involved in."""
    qs = Opportunity.objects.select_related("customer")
    if principal.partner_id is not None:
        qs = qs.filter(
            Exists(
                PartnerInvolvement.objects.filter(
                    opportunity=OuterRef("pk"), partner_id=principal.partner_id
                )
            )
        )
    return qs


def involvements_permitted(*, principal: Principal) -> QuerySet[PartnerInvolvement]:
    """Partner involvements with opportunity and partner; a partner sees its own."""
    qs = PartnerInvolvement.objects.select_related("opportunity", "partner")
    if principal.partner_id is not None:
        qs = qs.filter(partner_id=principal.partner_id)
    return qs


def deal_registrations_permitted(*, principal: Principal) -> QuerySet[DealRegistration]:
    """Deal registrations with partner, customer and opportunity; a partner sees its own."""
    qs = DealRegistration.objects.select_related("partner", "customer", "opportunity")
    if principal.partner_id is not None:
        qs = qs.filter(partner_id=principal.partner_id)
    return qs


def bookings_permitted(*, principal: Principal) -> QuerySet[Booking]:
    """Bookings with customer, opportunity and partners; a partner sees those it resold or
    influenced."""
    qs = Booking.objects.select_related(
        "customer", "opportunity", "transacting_partner", "influencing_partner"
    )
    pid = principal.partner_id
    if pid is not None:
        qs = qs.filter(Q(transacting_partner_id=pid) | Q(influencing_partner_id=pid))
    return qs


def cloud_usage_permitted(*, principal: Principal) -> QuerySet[CloudUsage]:
    """Cloud usage with its partner; a partner sees its own."""
    qs = CloudUsage.objects.select_related("partner")
    if principal.partner_id is not None:
        qs = qs.filter(partner_id=principal.partner_id)
    return qs


def program_versions_permitted(*, principal: Principal) -> QuerySet[ProgramVersion]:
    """Program versions (the program is public to its partners): every principal."""
    return ProgramVersion.objects.select_related("program")


def evaluation_runs_permitted(*, principal: Principal) -> QuerySet[EvaluationRun]:
    """Evaluation runs (population summaries): the vendor only; none for a partner."""
    qs = EvaluationRun.objects.select_related("program_version__program")
    if principal.partner_id is not None:
        return qs.none()
    return qs


def assessments_permitted(*, principal: Principal) -> QuerySet[Assessment]:
    """Assessments with run, version and partner; a partner sees its own."""
    qs = Assessment.objects.select_related("run__program_version__program", "partner")
    if principal.partner_id is not None:
        qs = qs.filter(partner_id=principal.partner_id)
    return qs


def standings_permitted(*, principal: Principal) -> QuerySet[Standing]:
    """Standing rows with partner and deciding version; a partner sees its own."""
    qs = Standing.objects.select_related("partner", "program_version__program")
    if principal.partner_id is not None:
        qs = qs.filter(partner_id=principal.partner_id)
    return qs


def program_today(*, program: str | None = None) -> date:
    """Today in the program's time zone: that of the latest published version of ``program``
    (None: of any program), as the portal computes it; the server's without one."""
    versions = [v for v in published_versions() if program is None or v.program.key == program]
    zone = versions[-1].definition.get("timezone") if versions else None
    return timezone.localdate(timezone=ZoneInfo(zone)) if zone else timezone.localdate()


def partner_assessment_current(
    *, principal: Principal, key: str, program: str | None = None
) -> Assessment | None:
    """The assessment a partner sees in the portal (``portal.selectors.overview.
    latest_assessment``): of the published version in force today (program time zone) of
    its program (``program`` to choose another), the latest run by ``as_of`` then id dated on
    or before today, else the run nearest after today. A what-if run dated later never
    replaces a run already due. None when the partner is not among those ``principal`` sees,
    or has no such assessment. Three queries at most."""
    partner = partners_permitted(principal=principal).filter(external_id=key).first()
    if partner is None:
        return None
    ctx = portal_context(partner=partner)
    if program is not None and not (ctx.versions and ctx.versions[0].program.key == program):
        versions = [v for v in published_versions() if v.program.key == program]
        ctx = PortalContext(
            partner=partner, on=program_today(program=program), lang=ctx.lang, versions=versions
        )
    current = ctx.current
    if current is None:
        return None
    return latest_assessment(ctx, current)


def evaluation_run_current(*, program: str | None = None) -> int | None:
    """The id of the run whose assessments are current: among the runs of published versions
    (of ``program`` if given), the latest by ``as_of`` then id dated on or before today
    (program time zone), else the one nearest after today; None without any. The portal's
    rule (``latest_assessment``) for the whole population: a what-if run dated later is not
    the default. Two queries."""
    runs = EvaluationRun.objects.filter(program_version__status=ProgramVersion.Status.PUBLISHED)
    if program is not None:
        runs = runs.filter(program_version__program__key=program)
    today = program_today(program=program)
    past = runs.filter(as_of__lte=today).order_by("-as_of", "-id")
    found = past.values_list("id", flat=True).first()
    if found is None:
        found = runs.order_by("as_of", "id").values_list("id", flat=True).first()
    return found
