"""The fact resources: partners, customers, people, certifications, credentials,
opportunities, involvements, deal registrations, bookings, cloud usage.

Each has ``GET /<name>`` (paged, filtered, ordered, exportable), ``GET /<name>/{key}``,
``PUT /<name>/{key}`` (upsert of one row) and ``POST /<name>/bulk`` (up to 10,000 rows, all
or nothing); involvements, keyed by (opportunity, partner, role), have no single-row paths.
Reads go through ``api.selectors`` (a partner principal sees its own rows only; another
partner's key is a 404); writes through ``api.writes`` (``core.records.records_upsert``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponseBase
from ninja import Path, Query, Router, Schema
from pydantic import Field, create_model

from partnerprogram.api import selectors
from partnerprogram.api.auth import Principal, api_auth, principal_of
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
    BookingOut,
    BulkReportOut,
    CertificationOut,
    CloudUsageOut,
    CredentialOut,
    CustomerOut,
    DealRegistrationOut,
    InvolvementOut,
    OpportunityOut,
    PartnerOut,
    PersonOut,
)
from partnerprogram.api.writes import (
    bulk_schema,
    bulk_size_check,
    item_schema,
    key_check,
    put_key_check,
    report_out,
    rows_upsert,
)
from partnerprogram.core.records import KINDS
from partnerprogram.sales.models import PartnerInvolvement

router = Router()

UpsertStatus: Any = Literal["created", "updated", "unchanged"]

KeyPath = Path(..., min_length=1, max_length=64, description="the external id")


def _partner_any(qs: QuerySet[Any], value: str) -> QuerySet[Any]:
    return qs.filter(
        Q(transacting_partner__external_id=value) | Q(influencing_partner__external_id=value)
    )


def _involved(qs: QuerySet[Any], value: str) -> QuerySet[Any]:
    return qs.filter(
        Exists(
            PartnerInvolvement.objects.filter(
                opportunity=OuterRef("pk"), partner__external_id=value
            )
        )
    )


def _employed_on(qs: QuerySet[Any], value: date) -> QuerySet[Any]:
    return qs.filter(employed_from__lte=value).filter(
        Q(employed_until__isnull=True) | Q(employed_until__gt=value)
    )


def _valid_on(qs: QuerySet[Any], value: date) -> QuerySet[Any]:
    return qs.filter(earned_on__lte=value).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gt=value)
    )


@dataclass(frozen=True)
class Resource:
    """A fact resource: URL segment ``path``, records ``kind``, model field of the key
    (``key_attr``), permitted-queryset selector, output schema, list spec."""

    path: str
    kind: str
    key_attr: str
    selector: Callable[..., QuerySet[Any]]
    out: type[Schema]
    listing: ListSpec
    single: bool = True


_STR = str
RESOURCES: tuple[Resource, ...] = (
    Resource(
        "partners",
        "partners",
        "external_id",
        selectors.partners_permitted,
        PartnerOut,
        ListSpec(
            "partners",
            filters={
                "status": (Literal["active", "suspended", "terminated"], "status", "status"),
                "country": (_STR, "country", "ISO 3166-1 alpha-2 code"),
                "q": (_STR, "name__icontains", "part of the name"),
                "previous_tier": (_STR, "previous_tier", "tier under the previous program"),
            },
            orderings={"name": "name", "external_id": "external_id", "joined_on": "joined_on"},
            default_ordering="external_id",
        ),
    ),
    Resource(
        "customers",
        "customers",
        "external_id",
        selectors.customers_permitted,
        CustomerOut,
        ListSpec(
            "customers",
            filters={
                "segment": (Literal["enterprise", "smb", "public"], "segment", "segment"),
                "country": (_STR, "country", "ISO 3166-1 alpha-2 code"),
                "q": (_STR, "name__icontains", "part of the name"),
            },
            orderings={"name": "name", "external_id": "external_id"},
            default_ordering="external_id",
        ),
    ),
    Resource(
        "people",
        "people",
        "external_id",
        selectors.people_permitted,
        PersonOut,
        ListSpec(
            "people",
            filters={
                "partner": (_STR, "partner__external_id", "partner external id"),
                "job_role": (Literal["technical", "sales", "other"], "job_role", "job role"),
                "email": (_STR, "email__iexact", "e-mail address"),
                "employed_on": (date, _employed_on, "employed on this date"),
            },
            orderings={
                "external_id": "external_id",
                "last_name": "last_name",
                "employed_from": "employed_from",
            },
            default_ordering="external_id",
        ),
    ),
    Resource(
        "certifications",
        "certifications",
        "code",
        selectors.certifications_permitted,
        CertificationOut,
        ListSpec(
            "certifications",
            filters={
                "family": (_STR, "family", "product family"),
                "level": (_STR, "level", "level"),
            },
            orderings={"external_id": "code", "name": "name", "family": "family"},
            default_ordering="external_id",
        ),
    ),
    Resource(
        "credentials",
        "credentials",
        "credential_id",
        selectors.credentials_permitted,
        CredentialOut,
        ListSpec(
            "credentials",
            filters={
                "partner": (_STR, "person__partner__external_id", "partner external id"),
                "person": (_STR, "person__external_id", "person external id"),
                "certification": (_STR, "certification__code", "certification code"),
                "family": (_STR, "certification__family", "certification family"),
                "valid_on": (date, _valid_on, "counting on this date"),
            },
            orderings={
                "external_id": "credential_id",
                "earned_on": "earned_on",
                "expires_on": "expires_on",
            },
            default_ordering="external_id",
        ),
    ),
    Resource(
        "opportunities",
        "opportunities",
        "external_id",
        selectors.opportunities_permitted,
        OpportunityOut,
        ListSpec(
            "opportunities",
            filters={
                "customer": (_STR, "customer__external_id", "customer external id"),
                "partner": (_STR, _involved, "external id of a partner involved"),
                "stage": (
                    Literal[
                        "prospecting", "qualification", "proposal", "negotiation", "won", "lost"
                    ],
                    "stage",
                    "stage",
                ),
                "product_line": (_STR, "product_line", "product line"),
                "created_from": (date, "created_on__gte", "created on or after"),
                "created_to": (date, "created_on__lte", "created on or before"),
            },
            orderings={
                "external_id": "external_id",
                "created_on": "created_on",
                "amount": "amount",
                "close_date": "close_date",
            },
            default_ordering="external_id",
        ),
    ),
    Resource(
        "involvements",
        "involvements",
        "",
        selectors.involvements_permitted,
        InvolvementOut,
        ListSpec(
            "involvements",
            filters={
                "partner": (_STR, "partner__external_id", "partner external id"),
                "opportunity": (_STR, "opportunity__external_id", "opportunity external id"),
                "role": (Literal["resell", "sourced", "influenced"], "role", "role"),
                "validated": (bool, "validated", "validated or not"),
            },
            orderings={"opportunity": "opportunity__external_id", "role": "role"},
            default_ordering="opportunity",
        ),
        single=False,
    ),
    Resource(
        "deal-registrations",
        "deal_registrations",
        "external_id",
        selectors.deal_registrations_permitted,
        DealRegistrationOut,
        ListSpec(
            "deal_registrations",
            filters={
                "partner": (_STR, "partner__external_id", "partner external id"),
                "status": (
                    Literal["submitted", "approved", "rejected", "expired", "won", "lost"],
                    "status",
                    "status",
                ),
                "product_line": (_STR, "product_line", "product line"),
                "registered_from": (date, "registered_on__gte", "registered on or after"),
                "registered_to": (date, "registered_on__lte", "registered on or before"),
            },
            orderings={
                "external_id": "external_id",
                "registered_on": "registered_on",
                "estimated_amount": "estimated_amount",
            },
            default_ordering="external_id",
        ),
    ),
    Resource(
        "bookings",
        "bookings",
        "external_id",
        selectors.bookings_permitted,
        BookingOut,
        ListSpec(
            "bookings",
            filters={
                "partner": (_STR, _partner_any, "transacting or influencing partner"),
                "customer": (_STR, "customer__external_id", "customer external id"),
                "channel": (Literal["direct", "indirect"], "channel", "channel"),
                "product_line": (_STR, "product_line", "product line"),
                "booked_from": (date, "booked_on__gte", "booked on or after"),
                "booked_to": (date, "booked_on__lte", "booked on or before"),
            },
            orderings={"external_id": "external_id", "booked_on": "booked_on", "amount": "amount"},
            default_ordering="external_id",
        ),
    ),
    Resource(
        "cloud-usage",
        "cloud_usage",
        "external_id",
        selectors.cloud_usage_permitted,
        CloudUsageOut,
        ListSpec(
            "cloud_usage",
            filters={
                "partner": (_STR, "partner__external_id", "partner external id"),
                "product_line": (_STR, "product_line", "product line"),
                "month_from": (date, "month__gte", "month on or after"),
                "month_to": (date, "month__lte", "month on or before"),
            },
            orderings={"external_id": "external_id", "month": "month", "amount": "amount"},
            default_ordering="external_id",
        ),
    ),
)


def fact_export(
    resource: Resource, qs: QuerySet[Any], fmt: Literal["csv", "xlsx"]
) -> HttpResponseBase:
    """A download of the filtered list in the import columns (``imports.exports``) when that
    helper exists, else in the output schema's fields (the same names)."""
    try:
        from partnerprogram.imports.exports import fact_rows_export
    except ImportError:  # pragma: no cover - the import app's helper not there yet
        header, rows = schema_rows(qs, resource.out)
    else:
        header, rows = fact_rows_export(kind=resource.kind, queryset=qs)
    return list_export(header=header, rows=rows, name=resource.path, fmt=fmt)


def vendor_fields_unchanged_dropped(
    *, resource: Resource, principal: Principal, rows: list[tuple[int, dict[str, Any]]]
) -> list[tuple[int, dict[str, Any]]]:
    """``rows`` of a partner principal without the vendor-only fields (``FieldSpec.
    vendor_only``: a registration's decision) that equal the stored row's, as a GET returned
    them: a partner can write back what it read. A vendor-only value that differs is kept, so
    ``records_upsert`` refuses it. The vendor's rows are returned as they are. One query."""
    names = [f.name for f in KINDS[resource.kind].fields if f.vendor_only]
    if principal.partner is None or not names:
        return rows
    key_name = KINDS[resource.kind].key[0]
    keys = {row.get(key_name) for _, row in rows if any(n in row for n in names)}
    keys.discard(None)
    if not keys:
        return rows
    stored = {
        getattr(obj, resource.key_attr): resource.out.model_validate(obj).model_dump()
        for obj in resource.selector(principal=principal).filter(
            **{f"{resource.key_attr}__in": keys}
        )
    }
    out: list[tuple[int, dict[str, Any]]] = []
    for number, row in rows:
        before = stored.get(row.get(key_name))
        if before is not None:
            row = {k: v for k, v in row.items() if not (k in names and before.get(k) == v)}
        out.append((number, row))
    return out


def _register(resource: Resource) -> None:
    tag = resource.path.replace("-", " ")
    name = resource.kind
    query_cls = query_schema(resource.listing)
    page_cls = page_schema(resource.out)
    out = resource.out

    def list_view(request: HttpRequest, query: Query[query_cls]) -> Any:  # type: ignore[valid-type]
        principal = principal_of(request)
        fmt: Any = requested_format(request, query)
        qs = queryset_filter(resource.selector(principal=principal), resource.listing, query)
        if fmt in ("csv", "xlsx"):
            return fact_export(resource, qs, fmt)
        return list_page(qs, query, out)

    list_view.__name__ = f"{name}_list"
    list_view.__doc__ = f"List {tag} (a partner token: its own only), paged, filtered, sorted."
    router.add_api_operation(
        f"/{resource.path}",
        ["GET"],
        list_view,
        response={200: page_cls},
        auth=api_auth(query_parameters=query_cls.model_fields),
        tags=[tag],
        operation_id=f"{name}_list",
        summary=f"List {tag}",
    )

    spec = KINDS[resource.kind]
    bulk_cls = bulk_schema(resource.kind)
    # a kind only the vendor writes: a partner principal is refused (403) before the body is
    # validated, so it never learns the vendor's schema from a 422
    write_auth = api_auth(vendor=not spec.partner_writable)

    def bulk_view(
        request: HttpRequest,
        payload: bulk_cls,  # type: ignore[valid-type]
        dry_run: bool = False,
    ) -> Any:
        principal = principal_of(request)
        items = payload.items  # type: ignore[attr-defined]
        bulk_size_check(len(items))
        rows: Any = (
            (number, item.model_dump(exclude_unset=True))
            for number, item in enumerate(items, start=1)
        )
        if principal.partner is not None:
            rows = vendor_fields_unchanged_dropped(
                resource=resource, principal=principal, rows=list(rows)
            )
        report = rows_upsert(
            kind=resource.kind, rows=rows, principal=principal, bulk=True, dry_run=dry_run
        )
        return report_out(report)

    bulk_view.__name__ = f"{name}_bulk"
    bulk_view.__doc__ = (
        f"Upsert up to 10,000 {tag} by key, all or nothing (dry_run: report only). "
        "The same payload twice creates nothing the second time."
    )
    router.add_api_operation(
        f"/{resource.path}/bulk",
        ["POST"],
        bulk_view,
        response={200: BulkReportOut},
        auth=write_auth,
        tags=[tag],
        operation_id=f"{name}_bulk",
        summary=f"Upsert {tag} in bulk",
    )

    if not resource.single:
        return
    fields_cls = item_schema(resource.kind, with_key=False)
    upsert_cls = create_model(
        f"{out.__name__.removesuffix('Out')}Upsert",
        __base__=Schema,
        status=(UpsertStatus, ...),
        item=(out, ...),
    )

    def _get(principal: Principal, key: str) -> Any:
        obj = resource.selector(principal=principal).filter(**{resource.key_attr: key}).first()
        if obj is None:
            raise ApiProblem(404, f"no {spec.label} {key!r} among the records you can see")
        return obj

    def get_view(request: HttpRequest, key: str = KeyPath) -> Any:
        return _get(principal_of(request), key_check(key))

    get_view.__name__ = f"{name}_get"
    get_view.__doc__ = f"One {spec.label} by its key (another partner's: 404)."
    router.add_api_operation(
        f"/{resource.path}/{{key}}",
        ["GET"],
        get_view,
        response={200: out},
        tags=[tag],
        operation_id=f"{name}_get",
        summary=f"Get one {spec.label}",
    )

    def put_view(
        request: HttpRequest,
        payload: fields_cls,  # type: ignore[valid-type]
        key: str = KeyPath,
    ) -> Any:
        principal = principal_of(request)
        key_check(key)
        row = put_key_check(
            kind=resource.kind,
            key=key,
            row=payload.model_dump(exclude_unset=True),  # type: ignore[attr-defined]
        )
        if principal.partner is not None:
            if not spec.partner_writable:
                raise ApiProblem(403, f"a partner may not write {tag}: only the vendor does")
            model = resource.selector(principal=principal).model
            if (
                model.objects.filter(**{resource.key_attr: key}).exists()
                and not resource.selector(principal=principal)
                .filter(**{resource.key_attr: key})
                .exists()
            ):
                raise ApiProblem(404, f"no {spec.label} {key!r} among the records you can see")
        rows = vendor_fields_unchanged_dropped(
            resource=resource, principal=principal, rows=[(1, row)]
        )
        with transaction.atomic():
            # the write and its read-back together: a failure after the write undoes it
            report = rows_upsert(kind=resource.kind, rows=rows, principal=principal, bulk=False)
            written = (report.created_ids or report.updated_ids or [key])[0]
            item = _get(principal, written)
        status = "created" if report.created else "updated" if report.updated else "unchanged"
        return {"status": status, "item": item}

    put_view.__name__ = f"{name}_put"
    put_view.__doc__ = (
        f"Create or update one {spec.label} by key (idempotent). Absent optional fields keep "
        "their stored value; null clears it. What a GET returns can be sent back: the key, if "
        "repeated, must equal the path's; read-only fields are ignored."
    )
    router.add_api_operation(
        f"/{resource.path}/{{key}}",
        ["PUT"],
        put_view,
        response={200: upsert_cls},
        auth=write_auth,
        tags=[tag],
        operation_id=f"{name}_put",
        summary=f"Upsert one {spec.label}",
    )


for _resource in RESOURCES:
    _register(_resource)


__all__ = ["RESOURCES", "Field", "router"]
